//! `vpnform validate`: load the desired-state file against the recorded addresses and
//! say whether it is valid. No cloud, no lock, no writes.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context as _;

use super::{Context, exit};
use crate::Address;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(ctx: &Context, _args: Args) -> anyhow::Result<u8> {
    let recorded = recorded_addresses(ctx.state_dir())?;
    crate::config::load(&ctx.desired, &recorded)?;
    ctx.ui.out("Success! The configuration is valid.\n");
    Ok(exit::OK)
}

/// The addresses in the recorded state; none when there is no state yet.
// TODO(merge): use crate::state::read
fn recorded_addresses(state_dir: &Path) -> anyhow::Result<BTreeSet<Address>> {
    let path = state_dir.join("vpnform.state.yaml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read the state {}", path.display()));
        }
    };
    let state: crate::state::State = serde_saphyr::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}", e.render()))
        .with_context(|| format!("cannot read the state {}", path.display()))?;
    Ok(state.resources.into_keys().collect())
}
