use std::path::PathBuf;

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
