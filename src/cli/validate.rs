//! `vpnform validate`: load the desired-state file against the recorded addresses and
//! say whether it is valid. No cloud, no lock, no writes.

use std::collections::BTreeSet;

use super::{Context, exit};
use crate::config::Source;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub(super) fn run(ctx: &Context, _args: Args) -> anyhow::Result<u8> {
    // Read once: the `backend` it names holds the recorded addresses it is checked against.
    let source = Source::read(&ctx.desired)?;
    let recorded: BTreeSet<_> = crate::ops::open_backend(&source, ctx.state_dir())?
        .read()?
        .map(|state| state.resources.into_keys().collect())
        .unwrap_or_default();
    source.load(&recorded)?;
    ctx.ui.out("Success! The configuration is valid.\n");
    Ok(exit::OK)
}
