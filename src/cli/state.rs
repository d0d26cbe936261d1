//! `vpnform state list|show|rm|mv|unprotect`: inspect or edit the recorded state without
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

pub fn run(ctx: &Context, cmd: Command) -> anyhow::Result<u8> {
    let dir = ctx.state_dir();
    match cmd {
        Command::List => {
            let Some(st) = state::read(dir)? else {
                ctx.ui.status(&format!(
                    "No state file at {}: vpnform manages no resources here yet.",
                    state::state_path(dir).display()
                ));
                return Ok(exit::OK);
            };
            let mut text = String::new();
            for address in st.resources.keys() {
                text.push_str(address);
                text.push('\n');
            }
            ctx.ui.out(&text);
        }
        Command::Show { address } => {
            let st = ops::read_existing(dir)?;
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
        Command::Mv {
            old,
            new,
            lock_timeout,
        } => {
            let moved = ops::mv(
                dir,
                &old,
                &new,
                &super::command_line(),
                lock_timeout,
                |holder| {
                    ctx.ui
                        .status(&crate::views::lock_wait(holder, lock_timeout))
                },
            )?;
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
