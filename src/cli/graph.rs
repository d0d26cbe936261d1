//! `vpnform graph`: the plan's action graph (a new plan, or a saved one), or the
//! recorded resources and their `depends_on`, as DOT or Mermaid on stdout.

use std::path::PathBuf;

use super::{CloudArgs, Context, exit};
use crate::ops::{self, plan::PlanRequest};
use crate::plan::picture::{self, Format};
use crate::plan::saved;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A saved plan file (from `plan --out`) to draw; without one, vpnform plans (as
    /// `vpnform plan` does) and draws that plan.
    #[arg(value_name = "FILE", conflicts_with_all = ["recorded", "offline"])]
    pub plan_file: Option<PathBuf>,

    /// How to write the graph: `dot` (Graphviz) or `mermaid` (renders in pull-request
    /// comments).
    #[arg(long, value_enum, default_value = "dot")]
    pub format: Format,

    /// Draw the recorded resources and their `depends_on` instead of a plan.
    #[arg(long)]
    pub recorded: bool,

    /// Plan from the files alone: no refresh from the cloud, no prechecks.
    #[arg(long, conflicts_with = "recorded")]
    pub offline: bool,

    #[command(flatten)]
    pub cloud: CloudArgs,

    /// How long to wait for the state lock (0: fail at once and say who holds it).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub lock_timeout: std::time::Duration,
}

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let picture = if args.recorded {
        let backend = crate::ops::state_backend(&ctx.desired, ctx.state_dir())?;
        let state = backend
            .read()?
            .unwrap_or_else(crate::state::State::with_new_lineage);
        picture::recorded(&state, args.format)
    } else if let Some(file) = &args.plan_file {
        let plan = saved::load(file)?.plan();
        picture::actions(&plan, &plan.graph()?, args.format)
    } else {
        let request = PlanRequest {
            desired: ctx.desired.clone(),
            state_dir: ctx.state_dir.clone(),
            offline: args.offline,
            max_deletes: None,
            targets: Default::default(),
            replace: Default::default(),
            lock_timeout: args.lock_timeout,
            out: None,
            refresh_only: false,
            read_only: false,
            destroy: false,
            cloud: args.cloud.cloud(),
        };
        let view = std::sync::Arc::new(crate::views::Notices::new(ctx.ui.clone()));
        let plan = ops::connect::runtime()
            .and_then(|runtime| runtime.block_on(ops::plan::run(&request, view)))?;
        picture::actions(&plan, &plan.graph()?, args.format)
    };
    ctx.ui.out(&picture);
    Ok(exit::OK)
}
