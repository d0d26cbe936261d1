use std::path::PathBuf;

use super::{Context, exit};
use crate::plan::render::{self, TextOptions};
use crate::plan::saved;

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
        // `show` is where a reviewer reads a saved plan in full: every block.
        let options = TextOptions {
            offline: saved.offline,
            state_diff: None,
            full: true,
        };
        ctx.ui.out(&render::text(&plan, &graph, &options));
    }
    Ok(exit::OK)
}
