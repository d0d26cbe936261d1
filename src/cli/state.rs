//! `vpnform state list|show|rm|unprotect`: inspect or edit the recorded state without
//! touching the cloud. The operations live in [`crate::state::ops`].

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
    /// Clear `protect` on a recorded resource so that a plan may delete it.
    Unprotect {
        #[arg(value_name = "ADDRESS")]
        address: String,
        /// How long to wait for the state lock.
        #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
        lock_timeout: std::time::Duration,
    },
}

pub fn run(ctx: &Context, cmd: Command) -> anyhow::Result<u8> {
    let dir = ctx.state_dir();
    let backend = crate::ops::state_backend(&ctx.desired, dir)?;
    // The local file keeps its own edits (with a backup file), below.
    let cmd = if backend.local_dir().is_some() {
        cmd
    } else {
        match cmd {
            Command::Rm {
                addresses,
                lock_timeout,
            } => {
                let removed = crate::ops::init::remove(
                    &*backend,
                    &addresses,
                    &super::command_line(),
                    lock_timeout,
                    &mut |holder| {
                        ctx.ui
                            .status(&crate::views::lock_wait(holder, lock_timeout))
                    },
                )?;
                let mut text = String::new();
                for address in &removed {
                    text.push_str(&format!("Removed {address}\n"));
                }
                text.push_str(&format!(
                    "Successfully removed {} resource instance(s).\n",
                    removed.len()
                ));
                ctx.ui.out(&text);
                return Ok(exit::OK);
            }
            Command::Unprotect {
                address,
                lock_timeout,
            } => {
                let changed = crate::ops::init::unprotect(
                    &*backend,
                    &address,
                    &super::command_line(),
                    lock_timeout,
                    &mut |holder| {
                        ctx.ui
                            .status(&crate::views::lock_wait(holder, lock_timeout))
                    },
                )?;
                ctx.ui.out(&if changed {
                    format!("Unprotected {address}: a plan may now delete it.\n")
                } else {
                    format!("{address} is not protected; nothing to change.\n")
                });
                return Ok(exit::OK);
            }
            other => other,
        }
    };
    match cmd {
        Command::List => {
            let Some(st) = backend.read()? else {
                ctx.ui.status(&match backend.local_dir() {
                    Some(_) => format!(
                        "No state file at {}: vpnform manages no resources here yet.",
                        state::state_path(dir).display()
                    ),
                    None => format!(
                        "No state in {}: vpnform manages no resources here yet.",
                        backend.name()
                    ),
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
            let pushed = crate::ops::init::push(
                &*backend,
                &file,
                force,
                &super::command_line(),
                lock_timeout,
                &mut |holder| {
                    ctx.ui
                        .status(&crate::views::lock_wait(holder, lock_timeout))
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
            let st = match backend.local_dir() {
                Some(_) => ops::read_existing(dir)?,
                None => backend.read()?.ok_or_else(|| {
                    anyhow::anyhow!(
                        "no state in {}: vpnform manages no resources there yet",
                        backend.name()
                    )
                })?,
            };
            let (address, resource) = ops::resource(dir, &st, &address)?;
            ctx.ui.out(&ops::render_resource(&st, address, resource));
        }
        Command::Rm {
            addresses,
            lock_timeout,
        } => {
            let removed = ops::remove(
                dir,
                &addresses,
                &super::command_line(),
                lock_timeout,
                |holder| {
                    ctx.ui
                        .status(&crate::views::lock_wait(holder, lock_timeout))
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
        Command::Unprotect {
            address,
            lock_timeout,
        } => {
            let changed = ops::unprotect(
                dir,
                &address,
                &super::command_line(),
                lock_timeout,
                |holder| {
                    ctx.ui
                        .status(&crate::views::lock_wait(holder, lock_timeout))
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
