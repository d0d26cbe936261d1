use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::{Context, exit};
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
    let graph = plan.graph()?;
    if let Err(other) = crate::apply::saved::same_version(&args.plan_file, &saved.vpnform_version) {
        ctx.ui
            .warn(&format!("{other}; `vpnform apply` would refuse it"));
    }
    stale_warning(ctx, &args, &plan);
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

/// Warns when `apply FILE` would refuse the plan as it stands (another state, a newer
/// serial, a changed desired file). Showing a plan needs neither file, so a state or
/// desired file that cannot be read is only mentioned.
fn stale_warning(ctx: &Context, args: &Args, plan: &crate::plan::Plan) {
    let state = match crate::state::read(ctx.state_dir()) {
        Ok(state) => state,
        Err(err) => {
            ctx.ui.warn(&format!(
                "cannot tell whether the saved plan {} is stale: {err}",
                args.plan_file.display()
            ));
            return;
        }
    };
    // An unreadable desired file is not this command's business: compare the rest.
    let desired_sha256 = std::fs::read(&ctx.desired).map_or_else(
        |_| plan.desired_sha256.clone(),
        |bytes| hex::encode(Sha256::digest(bytes)),
    );
    if let Err(refused) = crate::apply::saved::check(
        plan,
        &args.plan_file,
        state.as_ref(),
        ctx.state_dir(),
        &ctx.desired,
        &desired_sha256,
    ) {
        ctx.ui
            .warn(&format!("{refused}; `vpnform apply` would refuse it"));
    }
}
