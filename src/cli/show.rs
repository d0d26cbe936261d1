use std::path::PathBuf;
use std::sync::Arc;

use super::{Context, exit};
use crate::apply::saved_check;
use crate::config::Source;
use crate::ops::saved::Verification;
use crate::plan::render::{self, TextOptions};
use crate::plan::{Plan, saved};
use crate::state::Backend;
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

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let saved = saved::load(&args.plan_file)?;
    let plan = saved.plan();
    if let Err(other) = saved_check::same_version(&args.plan_file, &saved.vpnform_version) {
        ctx.ui
            .warn(&format!("{other}; `vpnform apply` would refuse it"));
    }
    // As `apply FILE`: against this workspace's desired file, never a path from the plan.
    let other_desired = saved.desired_path != ctx.desired;
    // The desired file, read once, and the backend it names. Only a plan made for it is
    // verified (a failure to read it is then an error); otherwise it serves the state
    // diff, if it can.
    let workspace = match (other_desired, open(ctx)) {
        (false, Err(err)) => return Err(err),
        (_, workspace) => workspace.ok(),
    };
    if other_desired {
        let other = saved_check::Refused::OtherDesired {
            path: args.plan_file.clone(),
            saved: saved.desired_path.clone(),
            desired: ctx.desired.clone(),
        };
        ctx.ui
            .warn(&format!("{other}; `vpnform apply` would refuse it"));
    } else if let Some((source, backend)) = &workspace {
        verify(ctx, &args, &plan, source, &**backend)?;
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
            state_diff: state_diff(workspace.as_ref().map(|(_, b)| &**b), &plan),
            full: true,
        };
        ctx.ui.out(&render::text(&plan, &graph, &options));
    }
    Ok(exit::OK)
}

/// The desired file, read once, and the backend it names.
fn open(ctx: &Context) -> anyhow::Result<(Source, Arc<dyn Backend>)> {
    let source = Source::read(&ctx.desired)?;
    let backend = crate::ops::open_backend(&source, ctx.state_dir())?;
    Ok((source, backend))
}

/// Shows a saved plan as apply would see it, through apply's own verification
/// ([`crate::ops::saved::verify`]). A plan that is stale (another state, a newer serial,
/// a changed desired file) is shown with a warning that `apply` would refuse it: its
/// actions cannot be checked against files that have moved on. A plan that is not stale
/// is derived again from the state and the desired file, and a forged one (actions that
/// those files do not give, whatever its public hash says) is refused. Reads only: no
/// lock is taken (the state is replaced by rename, so a read sees one whole file).
fn verify(
    ctx: &Context,
    args: &Args,
    plan: &Plan,
    source: &Source,
    backend: &dyn Backend,
) -> anyhow::Result<()> {
    let recorded = backend.read()?;
    match crate::ops::saved::verify(plan, &args.plan_file, backend, recorded.as_ref(), source)? {
        Verification::Stale(stale) => ctx
            .ui
            .warn(&format!("{stale}; `vpnform apply` would refuse it")),
        Verification::Verified { .. } => {}
    }
    Ok(())
}

/// The state file diff the saved plan would make, if the recorded state is still at the
/// plan's lineage and serial; otherwise (moved on, absent, unreadable) there is no true
/// diff to show, and `apply FILE` is what says why.
fn state_diff(backend: Option<&dyn Backend>, plan: &Plan) -> Option<String> {
    let backend = backend?;
    let state = backend.read().ok()??;
    if !plan.records_anything() || state.lineage != plan.lineage || state.serial != plan.serial {
        return None;
    }
    let before = crate::state::to_yaml(&state).ok()?;
    let after = render::after_yaml(plan, &state, &before).ok()?;
    let path = crate::ops::state_label(backend);
    Some(render::state_diff(
        &path.display().to_string(),
        &before,
        &after,
    ))
}
