use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

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
    if let Err(other) = saved_check::same_version(&args.plan_file, &saved.vpnform_version) {
        ctx.ui
            .warn(&format!("{other}; `vpnform apply` would refuse it"));
    }
    // As `apply FILE`: the desired file the plan was made from, unless --desired names another.
    let desired_path = if ctx.desired_given {
        ctx.desired.clone()
    } else {
        saved.desired_path.clone()
    };
    verify(ctx, &args, &plan, &desired_path)?;
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

/// Shows a saved plan as apply would see it. A plan that is stale (another state, a newer
/// serial, a changed desired file) is shown with a warning that `apply` would refuse it:
/// its actions cannot be checked against files that have moved on. A plan that is not
/// stale is derived again from the state and the desired file, and a forged one (actions
/// that those files do not give, whatever its public hash says) is refused. Reads only:
/// no lock is taken (the state is replaced by rename, so a read sees one whole file).
fn verify(
    ctx: &Context,
    args: &Args,
    plan: &crate::plan::Plan,
    desired_path: &Path,
) -> anyhow::Result<()> {
    use anyhow::Context as _;

    let recorded = crate::state::read(ctx.state_dir())?;
    let bytes = std::fs::read(desired_path).with_context(|| {
        format!(
            "cannot read the desired-state file {}",
            desired_path.display()
        )
    })?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let start = match saved_check::check(
        plan,
        &args.plan_file,
        recorded.as_ref(),
        ctx.state_dir(),
        desired_path,
        &sha,
    ) {
        Ok(start) => start,
        Err(stale) => {
            ctx.ui
                .warn(&format!("{stale}; `vpnform apply` would refuse it"));
            return Ok(());
        }
    };
    let state = recorded.unwrap_or_else(super::plan::empty_state);
    let addresses = state.resources.keys().cloned().collect();
    let desired = crate::config::load(desired_path, &addresses)?;
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
