//! `vpnform force-unlock`: break the state lock when the process holding it will never
//! release it (hung, or on a host or network filesystem that keeps it), through
//! [`crate::state::Backend::force_unlock`]: the lock file is removed, or the postgres
//! session that holds the lock is ended.

use std::io::{BufRead, IsTerminal};

use super::{Context, exit};
use crate::state::{self, LockHolder, LockStatus};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only remove the lock if its lock id is this one (as printed by the error that
    /// reported the lock).
    #[arg(value_name = "LOCK_ID")]
    pub lock_id: Option<String>,

    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub force: bool,
}

fn describe(holder: Option<&LockHolder>) -> String {
    match holder {
        Some(h) => format!("held by {} (lock id {})", h.describe(), h.id),
        None => "held by a process whose holder info is not readable".to_string(),
    }
}

/// How force-unlock's messages name the lock and what breaking it does, from where the
/// state lives: a lock file is removed, a postgres session is ended.
struct Wording {
    /// `state/.vpnform.lock`, or `the lock of postgres schema NAME`.
    lock: String,
    /// `the lock on state/.vpnform.lock`, or `the lock of postgres schema NAME`.
    the_lock: String,
    /// The lock at the start of a sentence: `state/.vpnform.lock`, or `The lock of
    /// postgres schema NAME`.
    headline: String,
    /// ` (server session 42)` on postgres.
    session: String,
    /// `removed` or `ended`.
    done: &'static str,
    /// `remove it` or `end that session`.
    act: &'static str,
    /// `remove it` or `end it`.
    act_short: &'static str,
    /// What forcing does, for the confirmation prompt.
    consequence: &'static str,
}

impl Wording {
    fn new(location: &state::Location, session: Option<i32>) -> Wording {
        let lock = location.lock().display().to_string();
        let session = session.map_or(String::new(), |pid| format!(" (server session {pid})"));
        match location {
            state::Location::Dir(_) => Wording {
                the_lock: format!("the lock on {lock}"),
                headline: lock.clone(),
                lock,
                session,
                done: "removed",
                act: "remove it",
                act_short: "remove it",
                consequence: "Removing the lock file lets the next vpnform run take the state. The holding \
process is not stopped: if it still runs and writes the state, two runs will write it at once.",
            },
            state::Location::Schema(schema) => Wording {
                the_lock: lock.clone(),
                headline: format!("The lock of postgres schema {schema}"),
                lock,
                session,
                done: "ended",
                act: "end that session",
                act_short: "end it",
                consequence: "Forcing it ends that database session: the run in it can no longer write \
the state, and the next vpnform run takes the lock.",
            },
        }
    }
}

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let backend = crate::ops::state_backend(&ctx.desired, ctx.state_dir())?;
    let location = backend.location();
    let status = backend.lock_status()?;
    let (holder, session) = match (&status, &location) {
        (LockStatus::NoLockFile, _) => {
            ctx.ui.out(&format!(
                "No lock file at {}: the state is not locked. Nothing removed.\n",
                location.lock().display()
            ));
            return Ok(exit::OK);
        }
        (LockStatus::NotHeld(stale), state::Location::Dir(_)) => {
            // The OS released the lock with its process; the next run takes it as is.
            let left_by = match stale {
                Some(h) => format!(
                    " (its holder info is left over from {}, which ended)",
                    h.describe()
                ),
                None => String::new(),
            };
            ctx.ui.out(&format!(
                "The state is not locked: no process holds {}{left_by}. Nothing removed.\n",
                location.lock().display()
            ));
            return Ok(exit::OK);
        }
        (LockStatus::NotHeld(_), state::Location::Schema(_)) => {
            ctx.ui.out(&format!(
                "The state in {location} is not locked: no session holds its lock. Nothing ended.\n"
            ));
            return Ok(exit::OK);
        }
        (LockStatus::Held { holder, session }, _) => (holder.clone(), *session),
    };
    let w = Wording::new(&location, session);
    let held = format!("{}{}", describe(holder.as_ref()), w.session);
    if let Some(wanted) = &args.lock_id {
        let actual = holder.as_ref().map(|h| h.id.as_str());
        if actual != Some(wanted.as_str()) {
            anyhow::bail!(
                "{} has lock id {}, not {wanted}: it is {}. Nothing {}; check again before forcing.",
                w.the_lock,
                actual.unwrap_or("(unreadable)"),
                describe(holder.as_ref()),
                w.done,
            );
        }
    }
    let here = state::host_name();
    if let state::Location::Dir(_) = location
        && let Some(h) = &holder
        && h.host == here
        && std::path::Path::new(&format!("/proc/{}", h.pid)).exists()
    {
        ctx.ui.warn(&format!(
            "process {} on this host ({here}) is still running; if it is a vpnform run, it still believes it holds the lock",
            h.pid
        ));
    }
    if !args.force {
        if !std::io::stdin().is_terminal() {
            anyhow::bail!(
                "{} is {held}; refusing to {} without confirmation because stdin is not a terminal. \
Pass --force to {}.",
                w.lock,
                w.act,
                w.act_short
            );
        }
        ctx.ui.status(&format!(
            "{} is {held}.\n{}\n\
Do you really want to force-unlock? Only 'yes' will be accepted to confirm.\n",
            w.headline, w.consequence
        ));
        let _ = std::io::Write::write_all(&mut ctx.ui.stderr(), b"  Enter a value: ");
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            ctx.ui
                .status(&format!("force-unlock cancelled. Nothing {}.", w.done));
            return Ok(exit::ERROR);
        }
    }
    if !backend.force_unlock(&status)? {
        let pid = session.unwrap_or_default();
        anyhow::bail!(
            "{} is {held}, and this role may not end that session (it needs to be the same role, \
a member of pg_signal_backend, or a superuser). Nothing ended. Ask a database administrator to run \
`SELECT pg_terminate_backend({pid})`, or wait for that run to end.",
            w.lock
        );
    }
    ctx.ui.out(&match session {
        None => format!(
            "Removed {} ({held}).\nThe state is unlocked: the next vpnform run will take a new lock.\n",
            w.lock
        ),
        Some(pid) => format!(
            "Ended server session {pid}, which held {} ({}).\n\
The state is unlocked: the next vpnform run will take the lock. The run that held it can no longer write the state.\n",
            w.lock,
            describe(holder.as_ref())
        ),
    });
    Ok(exit::OK)
}
