//! `vpnform validate`: load the desired-state file against the recorded addresses and
//! say whether it is valid. No cloud, no lock, no writes.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Context, exit};
use crate::Address;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(ctx: &Context, _args: Args) -> anyhow::Result<u8> {
    let recorded = recorded_addresses(&ctx.desired, ctx.state_dir())?;
    crate::config::load(&ctx.desired, &recorded)?;
    ctx.ui.out("Success! The configuration is valid.\n");
    Ok(exit::OK)
}

/// The addresses in the recorded state; none when there is no state yet.
fn recorded_addresses(desired: &Path, state_dir: &Path) -> anyhow::Result<BTreeSet<Address>> {
    Ok(crate::ops::state_backend(desired, state_dir)?
        .read()?
        .map(|state| state.resources.into_keys().collect())
        .unwrap_or_default())
}
