//! `vpnform validate`: load the desired-state file against the recorded addresses and
//! say whether it is valid. No cloud, no lock, no writes.

use std::collections::BTreeSet;

use super::{Context, exit};
use crate::config::Source;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON document (Terraform's `validate -json` shape): `valid`, the counts, and
    /// each error as a diagnostic with its file range.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let result = validate(ctx);
    if args.json {
        crate::views::Json::new(ctx.ui.clone()).validation(&result);
        return Ok(if result.is_ok() {
            exit::OK
        } else {
            exit::ERROR
        });
    }
    result?;
    ctx.ui.out("Success! The configuration is valid.\n");
    Ok(exit::OK)
}

fn validate(ctx: &Context) -> anyhow::Result<()> {
    // Read once: the `backend` it names holds the recorded addresses it is checked against.
    let source = Source::read(&ctx.desired)?;
    let recorded: BTreeSet<_> = crate::ops::open_backend(&source, ctx.state_dir())?
        .read()?
        .map(|state| state.resources.into_keys().collect())
        .unwrap_or_default();
    source.load(&recorded)?;
    Ok(())
}
