//! `vpnform force-unlock`: remove the state lock file when the process holding the lock
//! will never release it (hung, or on a host or network filesystem that keeps it).

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

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    if let Some(schema) = crate::config::backend(&ctx.desired)? {
        return postgres(ctx, args, &schema);
    }
    let dir = ctx.state_dir();
    let path = state::lock_path(dir);
    let holder = match state::lock_status(dir)? {
        LockStatus::NoLockFile => {
            ctx.ui.out(&format!(
                "No lock file at {}: the state is not locked. Nothing removed.\n",
                path.display()
            ));
            return Ok(exit::OK);
        }
        LockStatus::NotHeld(stale) => {
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
                path.display()
            ));
            return Ok(exit::OK);
        }
        LockStatus::Held(holder) => holder,
    };
    if let Some(wanted) = &args.lock_id {
        let actual = holder.as_ref().map(|h| h.id.as_str());
        if actual != Some(wanted.as_str()) {
            anyhow::bail!(
                "the lock on {} has lock id {}, not {wanted}: it is {}. Nothing removed; check again before forcing.",
                path.display(),
                actual.unwrap_or("(unreadable)"),
                describe(holder.as_ref())
            );
        }
    }
    let here = state::host_name();
    if let Some(h) = &holder
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
                "{} is {}; refusing to remove it without confirmation because stdin is not a terminal. \
Pass --force to remove it.",
                path.display(),
                describe(holder.as_ref())
            );
        }
        ctx.ui.status(&format!(
            "{} is {}.\n\
Removing the lock file lets the next vpnform run take the state. The holding process is not stopped: \
if it still runs and writes the state, two runs will write it at once.\n\
Do you really want to force-unlock? Only 'yes' will be accepted to confirm.\n",
            path.display(),
            describe(holder.as_ref())
        ));
        let _ = std::io::Write::write_all(&mut ctx.ui.stderr(), b"  Enter a value: ");
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            ctx.ui.status("force-unlock cancelled. Nothing removed.");
            return Ok(exit::ERROR);
        }
    }
    state::force_unlock(dir)?;
    ctx.ui.out(&format!(
        "Removed {} ({}).\nThe state is unlocked: the next vpnform run will take a new lock.\n",
        path.display(),
        describe(holder.as_ref())
    ));
    Ok(exit::OK)
}

/// The postgres backend's lock is a session's advisory lock: forcing it ends that
/// session on the server, where this role may.
fn postgres(ctx: &Context, args: Args, schema: &str) -> anyhow::Result<u8> {
    let pg = crate::state::postgres::Postgres::connect(schema)?;
    let Some((holder, pid)) = pg.lock_status()? else {
        ctx.ui.out(&format!(
            "The state in postgres schema {schema} is not locked: no session holds its lock. Nothing ended.\n"
        ));
        return Ok(exit::OK);
    };
    if let Some(wanted) = &args.lock_id {
        let actual = holder.as_ref().map(|h| h.id.as_str());
        if actual != Some(wanted.as_str()) {
            anyhow::bail!(
                "the lock of postgres schema {schema} has lock id {}, not {wanted}: it is {}. Nothing ended; check again before forcing.",
                actual.unwrap_or("(unreadable)"),
                describe(holder.as_ref())
            );
        }
    }
    if !args.force {
        if !std::io::stdin().is_terminal() {
            anyhow::bail!(
                "the lock of postgres schema {schema} is {} (server session {pid}); refusing to end \
that session without confirmation because stdin is not a terminal. Pass --force to end it.",
                describe(holder.as_ref())
            );
        }
        ctx.ui.status(&format!(
            "The lock of postgres schema {schema} is {} (server session {pid}).\n\
Forcing it ends that database session: the run in it can no longer write the state, and the next \
vpnform run takes the lock.\n\
Do you really want to force-unlock? Only 'yes' will be accepted to confirm.\n",
            describe(holder.as_ref())
        ));
        let _ = std::io::Write::write_all(&mut ctx.ui.stderr(), b"  Enter a value: ");
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            ctx.ui.status("force-unlock cancelled. Nothing ended.");
            return Ok(exit::ERROR);
        }
    }
    if !pg.terminate(pid)? {
        anyhow::bail!(
            "the lock of postgres schema {schema} is {} (server session {pid}), and this role may not \
end that session (it needs to be the same role, a member of pg_signal_backend, or a superuser). \
Nothing ended. Ask a database administrator to run `SELECT pg_terminate_backend({pid})`, or wait \
for that run to end.",
            describe(holder.as_ref())
        );
    }
    ctx.ui.out(&format!(
        "Ended server session {pid}, which held the lock of postgres schema {schema} ({}).\n\
The state is unlocked: the next vpnform run will take the lock. The run that held it can no longer write the state.\n",
        describe(holder.as_ref())
    ));
    Ok(exit::OK)
}
