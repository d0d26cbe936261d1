use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Context, exit};
use crate::apply::saved_check;
use crate::plan::render::{self, TextOptions};
use crate::plan::{Plan, saved};
use crate::views::json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A saved plan file (from `plan --out`).
    #[arg(value_name = "FILE")]
    pub plan_file: PathBuf,

    /// The plan as one JSON document, in the shape of `terraform show -json PLANFILE`.
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
    // As `apply FILE`: against this workspace's desired file, never a path from the plan.
    if saved.desired_path != ctx.desired {
        let other = saved_check::Refused::OtherDesired {
            path: args.plan_file.clone(),
            saved: saved.desired_path.clone(),
            desired: ctx.desired.clone(),
        };
        ctx.ui
            .warn(&format!("{other}; `vpnform apply` would refuse it"));
    } else {
        verify(ctx, &args, &plan, &ctx.desired)?;
    }
    let graph = plan.graph()?;
    if args.json {
        let info = json::DocumentInfo {
            vpnform_version: &saved.vpnform_version,
            created_at: &saved.created_at,
            offline: saved.offline,
        };
        ctx.ui
            .out(&json::line(&json::plan_document(&plan, &graph, &info)));
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
        // `show` is where a reviewer reads a saved plan in full: every block, and the
        // state diff when the state is still the one the plan was made against.
        let options = TextOptions {
            offline: saved.offline,
            state_diff: state_diff(ctx, &plan),
            full: true,
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
    let backend = crate::ops::state_backend(&ctx.desired, ctx.state_dir())?;
    let recorded = backend.read()?;
    let bytes = crate::config::read_bytes(desired_path)?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let start = match saved_check::check(
        plan,
        &args.plan_file,
        recorded.as_ref(),
        &crate::ops::state_place(&*backend),
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
    let state = recorded.unwrap_or_else(crate::ops::empty_state);
    let addresses = state.resources.keys().cloned().collect();
    let desired = crate::config::load(desired_path, &addresses)?;
    crate::ops::check_pending(&*backend, &state, &desired)?;
    saved_check::derive(
        plan,
        &args.plan_file,
        start,
        &state,
        &crate::ops::state_place(&*backend),
        &desired,
    )?;
    Ok(())
}

/// The state file diff the saved plan would make, if the recorded state is still at the
/// plan's lineage and serial; otherwise (moved on, absent, unreadable) there is no true
/// diff to show, and `apply FILE` is what says why.
fn state_diff(ctx: &Context, plan: &Plan) -> Option<String> {
    let backend = crate::ops::state_backend(&ctx.desired, ctx.state_dir()).ok()?;
    let state = backend.read().ok()??;
    if !plan.records_anything() || state.lineage != plan.lineage || state.serial != plan.serial {
        return None;
    }
    let before = crate::state::to_yaml(&state).ok()?;
    let after = render::after_yaml(plan, &state, &before).ok()?;
    let path = crate::ops::state_label(&*backend);
    Some(render::state_diff(
        &path.display().to_string(),
        &before,
        &after,
    ))
}
