//! A saved plan checked against the workspace: the one verification `apply FILE` and
//! `show FILE` share. Apply refuses a plan that does not verify; show says that apply
//! would refuse it.

use std::path::Path;

use crate::apply::saved_check::{self, Start};
use crate::config::{Desired, Source};
use crate::plan::{Action, Plan};
use crate::state::{Backend, State};

/// What the state and the desired file say of a saved plan.
pub(crate) enum Verification {
    /// The files moved on since the plan (another state, a newer serial, a changed
    /// desired file): its actions cannot be checked against them.
    Stale(saved_check::Refused),
    /// The plan is what the files give.
    Verified {
        start: Start,
        /// The desired file the plan was checked against, validated.
        desired: Desired,
        /// The actions still to run: all of them, or what is left when resuming.
        actions: Vec<Action>,
    },
}

/// Checks `plan` (read from `plan_file`, its hash verified) against the state `recorded`
/// in `backend` (`None`: no state yet) and the desired `source`: the SHA-256 of the
/// source's bytes, the state's lineage and serial, then the offline part of the plan
/// derived again from those same bytes and that state (a forged plan, whatever its
/// public hash says, is refused with an error). The caller has checked that the plan
/// was made for `source`'s path.
pub(crate) fn verify(
    plan: &Plan,
    plan_file: &Path,
    backend: &dyn Backend,
    recorded: Option<&State>,
    source: &Source,
) -> anyhow::Result<Verification> {
    let place = super::state_place(backend);
    let start = match saved_check::check(
        plan,
        plan_file,
        recorded,
        &place,
        source.path(),
        source.sha256()?,
    ) {
        Ok(start) => start,
        Err(stale) => return Ok(Verification::Stale(stale)),
    };
    let empty;
    let state = match recorded {
        Some(state) => state,
        None => {
            empty = super::empty_state();
            &empty
        }
    };
    let mut desired = super::desired_for(source, backend, state)?;
    if plan.destroy {
        desired = desired.emptied();
    }
    let actions = saved_check::derive(plan, plan_file, start, state, &place, &desired)?;
    Ok(Verification::Verified {
        start,
        desired,
        actions,
    })
}
