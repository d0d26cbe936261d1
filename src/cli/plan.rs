//! `vpnform plan`: its arguments, the view, and a call of [`ops::plan::run`].

use std::path::PathBuf;

use super::{CloudArgs, Context, exit};
use crate::ops::{self, plan::PlanRequest};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Plan from the files alone: no refresh from the cloud, no prechecks.
    #[arg(long)]
    pub offline: bool,

    /// One JSON object a line (Terraform's machine-readable UI shape) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Exit 0 when there are no changes, 1 on error, 2 when there are changes.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Show every action's block and the state file diff, however large the plan (a plan
    /// of more than 25 actions is otherwise condensed to one line per action).
    #[arg(long)]
    pub full: bool,

    /// List the changes made outside vpnform and the servers gone from the cloud, and
    /// plan only to record them: nothing changes in the cloud. Needs the cloud.
    #[arg(long)]
    pub refresh_only: bool,

    /// Read the cloud with read calls only and send no DryRun, so that a key that may
    /// only Describe and List can plan (a pull request's CI job). The prechecks are
    /// deferred: `vpnform apply FILE` runs them with its own key before it changes
    /// anything. See `vpnform policy --plan`.
    #[arg(long)]
    pub read_only: bool,

    /// Plan the delete of every recorded resource, whatever the desired file says
    /// (`protect` still holds). Terraform's `-destroy`.
    #[arg(long, conflicts_with = "refresh_only")]
    pub destroy: bool,

    /// Save the plan to FILE for `vpnform apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Fail the plan if it would delete more than N servers.
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<usize>,

    /// Plan only ADDRESS's action and the actions it must wait for (repeatable). Not for
    /// routine use: for staging a large decommission or recovering from a mistake.
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<crate::Address>,

    /// Replace ADDRESS's server even though nothing in the desired file forces it
    /// (repeatable): a new server with the desired values, the old one deleted (on the
    /// same gateway: deleted first). Terraform's `-replace`.
    #[arg(long = "replace", value_name = "ADDRESS")]
    pub replace: Vec<crate::Address>,

    #[command(flatten)]
    pub cloud: CloudArgs,

    /// How long to wait for the state lock (0: fail at once and say who holds it).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub lock_timeout: std::time::Duration,
}

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let request = PlanRequest {
        desired: ctx.desired.clone(),
        state_dir: ctx.state_dir.clone(),
        offline: args.offline,
        max_deletes: args.max_deletes,
        targets: args.targets.iter().cloned().collect(),
        replace: args.replace.iter().cloned().collect(),
        lock_timeout: args.lock_timeout,
        out: args.out.clone(),
        refresh_only: args.refresh_only,
        read_only: args.read_only,
        destroy: args.destroy,
        cloud: args.cloud.cloud(),
    };
    let view = crate::views::for_format(&ctx.ui, args.json, args.full);
    let result = ops::connect::runtime()
        .and_then(|runtime| runtime.block_on(ops::plan::run(&request, view)));
    match result {
        // A refresh-only plan's changes are what it would record.
        Ok(plan)
            if args.detailed_exitcode
                && (plan.has_changes() || plan.refresh_only && plan.records_anything()) =>
        {
            Ok(exit::CHANGES)
        }
        Ok(_) => Ok(exit::OK),
        Err(err) => {
            if args.json {
                crate::views::Json::new(ctx.ui.clone()).error(&err);
            }
            Err(err)
        }
    }
}
