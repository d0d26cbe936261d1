use std::path::PathBuf;

use super::{Context, exit};
use crate::plan::render::{self, TextOptions};
use crate::plan::{Plan, saved};

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
    let graph = plan.graph()?;
    if args.json {
        let info = render::DocumentInfo {
            vpnform_version: &saved.vpnform_version,
            created_at: &saved.created_at,
            offline: saved.offline,
        };
        ctx.ui.out(&render::json_line(&render::plan_document(
            &plan, &graph, &info,
        )));
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

/// The state file diff the saved plan would make, if the recorded state is still at the
/// plan's lineage and serial; otherwise (moved on, absent, unreadable) there is no true
/// diff to show, and `apply FILE` is what says why.
fn state_diff(ctx: &Context, plan: &Plan) -> Option<String> {
    let state = crate::state::read(ctx.state_dir()).ok()??;
    if !plan.has_changes() || state.lineage != plan.lineage || state.serial != plan.serial {
        return None;
    }
    let before = crate::state::to_yaml(&state).ok()?;
    let after = render::after_yaml(plan, &state, &before).ok()?;
    let path = crate::state::state_path(ctx.state_dir());
    Some(render::state_diff(
        &path.display().to_string(),
        &before,
        &after,
    ))
}
