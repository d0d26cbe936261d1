use std::path::PathBuf;

use super::{Context, exit};
use crate::apply::saved as saved_check;
use crate::plan::render::{self, TextOptions};
use crate::plan::saved;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A saved plan file (from `plan --out`).
    #[arg(value_name = "FILE")]
    pub plan_file: PathBuf,

    /// The plan as one JSON object a line.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let saved = saved::load(&args.plan_file)?;
    let plan = saved.plan();
    verify(ctx, &args, &plan)?;
    let graph = plan.graph()?;
    if args.json {
        let timestamp = render::now_timestamp();
        ctx.ui
            .out(&render::json_line(&render::version_event(&timestamp)));
        ctx.ui.out(&render::json_lines(&plan, &graph, &timestamp));
    } else {
        let lineage = if saved.lineage.is_empty() {
            "none yet".to_string()
        } else {
            saved.lineage.clone()
        };
        ctx.ui.out(&format!(
            "Saved plan {} (vpnform {}, {}), from {} (SHA-256 {}), \
             against state lineage {lineage} serial {}.\n\n",
            args.plan_file.display(),
            saved.vpnform_version,
            saved.created_at,
            saved.desired_path.display(),
            saved.desired_sha256,
            saved.serial
        ));
        let options = TextOptions {
            offline: saved.offline,
            state_diff: None,
        };
        ctx.ui.out(&render::text(&plan, &graph, &options));
    }
    Ok(exit::OK)
}

/// Shows a saved plan only if apply would run it: the checks apply makes before it reaches
/// the cloud (the state it was made from, the desired file, and the plan derived again from
/// both). Reads only: no lock is taken (the state is replaced by rename, so a read sees
/// one whole file).
fn verify(ctx: &Context, args: &Args, plan: &crate::plan::Plan) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use sha2::{Digest as _, Sha256};

    let recorded = crate::state::read(ctx.state_dir())?;
    let bytes = std::fs::read(&ctx.desired).with_context(|| {
        format!(
            "cannot read the desired-state file {}",
            ctx.desired.display()
        )
    })?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let start = saved_check::check(
        plan,
        &args.plan_file,
        recorded.as_ref(),
        ctx.state_dir(),
        &ctx.desired,
        &sha,
    )?;
    let state = recorded.unwrap_or_else(super::plan::empty_state);
    let addresses = state.resources.keys().cloned().collect();
    let desired = crate::config::load(&ctx.desired, &addresses)?;
    crate::apply::check_pending(
        &state,
        &desired.servers.keys().cloned().collect(),
        &crate::state::state_path(ctx.state_dir()),
    )?;
    saved_check::derive(
        plan,
        &args.plan_file,
        start,
        &state,
        ctx.state_dir(),
        &desired,
    )?;
    Ok(())
}
