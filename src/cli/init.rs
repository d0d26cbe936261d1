//! `vpnform init [--migrate-state]`: create the postgres schema the desired file's
//! `backend` names, copy the local state in, and keep saved plans and key files out of
//! git. The operation is [`crate::ops::init`].

use super::{Context, exit};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Copy the local state (the state directory's file) into the new backend.
    #[arg(long)]
    pub migrate_state: bool,
    /// How long to wait for the state lock.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub lock_timeout: std::time::Duration,
}

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let done = crate::ops::init::init(
        &ctx.desired,
        ctx.state_dir(),
        args.migrate_state,
        &super::command_line(),
        args.lock_timeout,
        &mut |holder| {
            ctx.ui
                .status(&crate::views::lock_wait(holder, args.lock_timeout))
        },
    )?;
    let mut text = String::new();
    match &done.postgres {
        None => text.push_str(&format!(
            "The state is local ({}): no backend to initialize.\n",
            crate::state::state_path(ctx.state_dir()).display()
        )),
        Some(pg) => {
            text.push_str(&format!(
                "Initialized postgres schema {} at {} (layout version {}).\n",
                pg.schema,
                pg.target,
                crate::state::postgres::SCHEMA_VERSION
            ));
            if let Some(m) = &pg.migrated {
                if m.already {
                    text.push_str(&format!(
                        "The state of {} (lineage {}, serial {}) is there already: nothing copied.\n",
                        m.from.display(),
                        m.lineage,
                        m.serial
                    ));
                } else {
                    text.push_str(&format!(
                        "Copied the state of {} (lineage {}, serial {}) into postgres schema {}.\n\
vpnform now reads and writes the state there; {} is no longer read (keep it as a backup, or remove it).\n",
                        m.from.display(),
                        m.lineage,
                        m.serial,
                        pg.schema,
                        m.from.display()
                    ));
                }
            }
        }
    }
    let ignore = &done.gitignore;
    let path = ignore.path.display();
    let why = "saved plans, pre-shared key files and learned request rates stay out of git";
    text.push_str(&if ignore.added.is_empty() {
        format!(
            "{path} already ignores {}: nothing added.\n",
            ignore.lines.join(", ")
        )
    } else if ignore.created {
        format!("Created {path} with {}: {why}.\n", ignore.added.join(", "))
    } else {
        format!("Added {} to {path}: {why}.\n", ignore.added.join(", "))
    });
    ctx.ui.out(&text);
    Ok(exit::OK)
}
