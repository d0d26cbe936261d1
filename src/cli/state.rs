//! `vpnform state list|show|rm|mv|unprotect|pull|push`: inspect or edit the recorded
//! state without touching the cloud. The operations live in [`crate::state::ops`], the
//! same on every backend.

use super::{Context, exit};
use crate::state::{self, ops};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the recorded addresses.
    List,
    /// Show one recorded resource.
    Show {
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
    /// Forget resources without deleting them in the cloud (a backup is kept).
    Rm {
        #[arg(value_name = "ADDRESS", required = true)]
        addresses: Vec<String>,
        /// How long to wait for the state lock.
        #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
        lock_timeout: std::time::Duration,
    },
    /// Print the recorded state in the state file's format (byte for byte what the local
    /// backend writes), e.g. to keep a copy or to move back to the local backend.
    Pull,
    /// Replace the recorded state with FILE (a state file): it must be the same lineage
    /// at a higher serial, unless --force.
    Push {
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
        /// Replace the state even if FILE is another lineage or not newer.
        #[arg(long)]
        force: bool,
        /// How long to wait for the state lock.
        #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
        lock_timeout: std::time::Duration,
    },
    /// Rename a recorded address, keeping its id, attributes, protect and depends_on
    /// (references in other entries follow; a backup is kept).
    Mv {
        #[arg(value_name = "OLD")]
        old: String,
        #[arg(value_name = "NEW")]
        new: String,
        /// How long to wait for the state lock.
        #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
        lock_timeout: std::time::Duration,
    },
    /// Clear `protect` on a recorded resource so that a plan may delete it.
    Unprotect {
        #[arg(value_name = "ADDRESS")]
        address: String,
        /// How long to wait for the state lock.
        #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
        lock_timeout: std::time::Duration,
    },
}

pub(super) fn run(ctx: &Context, cmd: Command) -> anyhow::Result<u8> {
    let backend = crate::ops::state_backend(&ctx.desired, ctx.state_dir())?;
    let command = super::command_line();
    let on_wait = |timeout| {
        move |holder: Option<&state::LockHolder>| {
            ctx.ui.status(&crate::views::lock_wait(holder, timeout))
        }
    };
    match cmd {
        Command::List => {
            let Some(st) = backend.read()? else {
                ctx.ui.status(&match backend.location() {
                    location @ state::Location::Dir(_) => format!(
                        "No state file at {location}: vpnform manages no resources here yet."
                    ),
                    location @ state::Location::Schema(_) => {
                        format!("No state in {location}: vpnform manages no resources here yet.")
                    }
                });
                return Ok(exit::OK);
            };
            let mut text = String::new();
            for address in st.resources.keys() {
                text.push_str(address);
                text.push('\n');
            }
            ctx.ui.out(&text);
        }
        Command::Pull => {
            let Some(st) = backend.read()? else {
                anyhow::bail!(
                    "no state in {}: nothing to pull (vpnform manages no resources there yet)",
                    backend.name()
                );
            };
            ctx.ui.out(&state::to_yaml(&st)?);
        }
        Command::Push {
            file,
            force,
            lock_timeout,
        } => {
            let pushed = ops::push(
                &*backend,
                &file,
                force,
                ops::Locking {
                    command: &command,
                    timeout: lock_timeout,
                    on_wait: &mut on_wait(lock_timeout),
                },
            )?;
            ctx.ui.out(&format!(
                "Pushed {} (lineage {}, serial {}) to {}.\n",
                file.display(),
                pushed.lineage,
                pushed.serial,
                backend.name()
            ));
        }
        Command::Show { address } => {
            let st = ops::read_existing(&*backend)?;
            let (address, resource) = ops::resource(&backend.location(), &st, &address)?;
            ctx.ui.out(&ops::render_resource(&st, address, resource));
        }
        Command::Rm {
            addresses,
            lock_timeout,
        } => {
            let removed = ops::remove(
                &*backend,
                &addresses,
                ops::Locking {
                    command: &command,
                    timeout: lock_timeout,
                    on_wait: &mut on_wait(lock_timeout),
                },
            )?;
            let mut text = String::new();
            for address in &removed.addresses {
                text.push_str(&format!("Removed {address}\n"));
            }
            text.push_str(&format!(
                "Successfully removed {} resource instance(s).\n",
                removed.addresses.len()
            ));
            ctx.ui.out(&text);
        }
        Command::Mv {
            old,
            new,
            lock_timeout,
        } => {
            let moved = ops::mv(
                &*backend,
                &old,
                &new,
                ops::Locking {
                    command: &command,
                    timeout: lock_timeout,
                    on_wait: &mut on_wait(lock_timeout),
                },
            )?;
            ctx.ui.out(&moved_text(&moved));
        }
        Command::Unprotect {
            address,
            lock_timeout,
        } => {
            let changed = ops::unprotect(
                &*backend,
                &address,
                ops::Locking {
                    command: &command,
                    timeout: lock_timeout,
                    on_wait: &mut on_wait(lock_timeout),
                },
            )?;
            if changed {
                ctx.ui.out(&format!(
                    "Unprotected {address}: a plan may now delete it.\n"
                ));
            } else {
                ctx.ui
                    .out(&format!("{address} is not protected; nothing to change.\n"));
            }
        }
    }
    Ok(exit::OK)
}

/// What `state mv` prints, on every backend.
fn moved_text(moved: &state::ops::Moved) -> String {
    let mut text = format!("Move \"{}\" to \"{}\"\n", moved.from, moved.to);
    for address in &moved.rewritten {
        text.push_str(&format!(
            "Updated depends_on in {address}: {} -> {}\n",
            moved.from, moved.to
        ));
    }
    text.push_str("Successfully moved 1 object(s).\n");
    text.push_str(&format!(
        "Rename the entry in the desired file to `{}` too, or the next plan deletes it and adopts or creates the old one.\n",
        moved.to.name()
    ));
    text
}
