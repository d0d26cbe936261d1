//! Whether a saved plan may run against the state as it is now.
//!
//! A saved plan runs only against the state it was made from: same lineage, same
//! serial, same desired file. The one exception is its own progress: a state last written
//! by this very plan (recorded in `applying`) resumes it, so an apply interrupted
//! mid-way can be finished with the plan that was reviewed.

use std::path::{Path, PathBuf};

use crate::plan::{ActionKind, Plan};
use crate::state::State;

/// How a saved plan starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The state is as the plan saw it.
    Fresh,
    /// This plan already ran part-way; what it finished is skipped.
    Resume,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error(
        "the saved plan {path} was made for another state (lineage {plan}, the state in \
         {state_dir} has {state}); make a new plan with `vpnform plan --out FILE`"
    )]
    Lineage {
        path: PathBuf,
        state_dir: PathBuf,
        plan: String,
        state: String,
    },
    #[error(
        "the saved plan {path} is stale: it was made from state serial {plan}, and the state \
         is now at serial {state}, written since by another run; make a new plan with \
         `vpnform plan --out FILE` and review it"
    )]
    Stale {
        path: PathBuf,
        plan: u64,
        state: u64,
    },
    #[error(
        "the desired-state file {desired} has changed since the saved plan {path} was made \
         (SHA-256 {plan} then, {now} now); review the change and make a new plan with \
         `vpnform plan --out FILE`"
    )]
    DesiredChanged {
        path: PathBuf,
        desired: PathBuf,
        plan: String,
        now: String,
    },
    #[error(
        "the saved plan {path} was made by vpnform {plan}, and this is vpnform {this}: a \
         saved plan runs only with the version that made it; make a new plan with this \
         version (`vpnform plan --out FILE`) and review it, or apply it with vpnform {plan}"
    )]
    OtherVersion {
        path: PathBuf,
        plan: String,
        this: String,
    },
}

/// Refuses a saved plan made by another vpnform version, as Terraform does: another
/// version may plan, hash or record differently.
pub fn same_version(path: &Path, plan_version: &str) -> Result<(), Refused> {
    let this = env!("CARGO_PKG_VERSION");
    if plan_version == this {
        return Ok(());
    }
    Err(Refused::OtherVersion {
        path: path.to_owned(),
        plan: plan_version.to_owned(),
        this: this.to_owned(),
    })
}

/// Checks `plan` (loaded from `path`, its hash verified) against the state (None: no
/// state file yet) and the desired file's current SHA-256.
pub fn check(
    plan: &Plan,
    path: &Path,
    state: Option<&State>,
    state_dir: &Path,
    desired: &Path,
    desired_sha256: &str,
) -> Result<Start, Refused> {
    if plan.desired_sha256 != desired_sha256 {
        return Err(Refused::DesiredChanged {
            path: path.to_owned(),
            desired: desired.to_owned(),
            plan: plan.desired_sha256.clone(),
            now: desired_sha256.to_owned(),
        });
    }
    let (lineage, serial) = state.map_or(("", 0), |s| (s.lineage.as_str(), s.serial));
    // A plan made before any state existed has an empty lineage; the state its first
    // write created has a fresh one, which `applying` then ties to this plan.
    let own_progress = state.is_some_and(|s| {
        s.applying
            .as_ref()
            .is_some_and(|a| a.plan_hash == plan.hash && a.base_serial == plan.serial)
    });
    if plan.lineage != lineage && !(plan.lineage.is_empty() && own_progress) {
        return Err(Refused::Lineage {
            path: path.to_owned(),
            state_dir: state_dir.to_owned(),
            plan: display_lineage(&plan.lineage),
            state: display_lineage(lineage),
        });
    }
    if plan.serial == serial && !own_progress {
        return Ok(Start::Fresh);
    }
    if own_progress {
        return Ok(Start::Resume);
    }
    Err(Refused::Stale {
        path: path.to_owned(),
        plan: plan.serial,
        state: serial,
    })
}

fn display_lineage(lineage: &str) -> String {
    if lineage.is_empty() {
        "none: no state file yet".into()
    } else {
        lineage.to_owned()
    }
}

/// The actions of `plan` still to do against `state` when resuming: a delete or forget
/// whose address is still recorded, an adopt whose address is not yet.
pub fn remaining(plan: &Plan, state: &State) -> Vec<crate::plan::Action> {
    plan.actions
        .iter()
        .filter(|a| match a.action {
            ActionKind::Delete | ActionKind::Forget => state.resources.contains_key(&a.address),
            ActionKind::Adopt => !state.resources.contains_key(&a.address),
            // Recording the desired values again is harmless.
            ActionKind::Update => state.resources.contains_key(&a.address),
        })
        .cloned()
        .collect()
}
