use std::path::PathBuf;

use super::{Context, exit};
use crate::plan::render::{self, TextOptions};
use crate::plan::saved::{self, SavedPlan};
use crate::plan::{self, PlanOptions, Refresh, interim};
use crate::state::{STATE_VERSION, State};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Plan from the files alone: no refresh from the cloud, no delete prechecks.
    #[arg(long)]
    pub offline: bool,

    /// One JSON object a line (Terraform's machine-readable UI shape) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Exit 0 when there are no changes, 1 on error, 2 when there are changes.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Save the plan to FILE for `vpnform apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Fail the plan if it would delete more than N servers.
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<usize>,

    #[command(flatten)]
    pub cloud: CloudArgs,

    /// How long to wait for the state lock (0: fail at once and say who holds it).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub lock_timeout: std::time::Duration,
}

/// How to reach the cloud (online plan, apply).
#[derive(Debug, Clone, clap::Args)]
pub struct CloudArgs {
    /// Rehearse against an in-process sandbox seeded from the recorded state and the
    /// desired ids; the real state file is never written.
    #[arg(long)]
    pub sandbox: bool,

    /// Send API calls to URL instead of the region's endpoint (http:// only for loopback).
    #[arg(long, value_name = "URL", env = "VPNFORM_ENDPOINT")]
    pub endpoint: Option<String>,

    /// The aliyun CLI profile to take credentials from (~/.aliyun/config.json).
    #[arg(long, value_name = "NAME", env = "ALIBABA_CLOUD_PROFILE")]
    pub profile: Option<String>,

    /// At most N API requests in flight (operations waiting for a gateway do not count).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub parallelism: usize,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let timestamp = render::now_timestamp();
    if args.json {
        ctx.ui
            .out(&render::json_line(&render::version_event(&timestamp)));
    }
    let result = plan(ctx, &args, &timestamp);
    if let (Err(err), true) = (&result, args.json) {
        // Machine readers get the error on stdout as a diagnostic; people reading the
        // job log still see it on stderr.
        let detail: Vec<String> = err.chain().skip(1).map(|c| c.to_string()).collect();
        ctx.ui.out(&render::json_line(&render::diagnostic_event(
            "error",
            &err.to_string(),
            &detail.join("\n"),
            None,
            &timestamp,
        )));
    }
    result
}

fn plan(ctx: &Context, args: &Args, timestamp: &str) -> anyhow::Result<u8> {
    // TODO(merge): take the state lock for the whole plan, as Terraform does:
    // let _lock = crate::state::Lock::acquire(ctx.state_dir(), "plan", args.lock_timeout)?;
    let _ = args.lock_timeout;

    // TODO(merge): crate::config::load(&ctx.desired, &recorded) and crate::state::read.
    let desired = interim::load_desired(&ctx.desired)?;
    let state_file = ctx.state_dir().join(interim::STATE_FILE);
    let recorded = interim::read_state(ctx.state_dir())?;
    let state_exists = recorded.is_some();
    let state = recorded.unwrap_or_else(|| {
        ctx.ui.status(&format!(
            "No recorded state at {}: every desired server will be adopted.",
            state_file.display()
        ));
        empty_state()
    });

    let refresh = if args.offline {
        None
    } else {
        Some(refresh(ctx, args, &state)?)
    };
    let options = PlanOptions {
        max_deletes: args.max_deletes,
        refresh,
    };
    let plan = plan::build(&desired, &state, &options)?;
    let graph = plan.graph()?;

    if args.json {
        ctx.ui.out(&render::json_lines(&plan, &graph, timestamp));
    } else {
        let state_diff = plan.has_changes().then(|| {
            let before = if state_exists {
                interim::state_yaml(&state)
            } else {
                String::new()
            };
            let after = interim::state_yaml(&plan.apply_to(&state));
            render::state_diff(&state_file.display().to_string(), &before, &after)
        });
        let options = TextOptions {
            offline: args.offline,
            state_diff,
        };
        ctx.ui.out(&render::text(&plan, &graph, &options));
    }

    if let Some(out) = &args.out {
        let saved = SavedPlan::new(&plan, &ctx.desired, args.offline, timestamp.to_string());
        saved::save(out, &saved)?;
        if !args.json {
            ctx.ui.out(&format!(
                "\nSaved the plan to: {path}\n\nTo perform exactly these actions, run:\n    \
                 vpnform apply {path}\n",
                path = out.display()
            ));
        }
    }

    Ok(if args.detailed_exitcode && plan.has_changes() {
        exit::CHANGES
    } else {
        exit::OK
    })
}

/// The online step before `build`: read every recorded server from the cloud, so that
/// servers gone since become forgets, and (after `build`) precheck the deletes.
fn refresh(_ctx: &Context, _args: &Args, _state: &State) -> anyhow::Result<Refresh> {
    // TODO(merge): ListIpsecServers per region (paged) through crate::cloud.
    anyhow::bail!(
        "online planning needs the cloud client, which this build does not have yet; \
         run `vpnform plan --offline` to plan from the desired and state files alone"
    )
}

/// What a plan starts from before any state exists: nothing recorded. The empty lineage
/// marks it; apply creates the real state (and its lineage) on the first write.
fn empty_state() -> State {
    State {
        version: STATE_VERSION,
        lineage: String::new(),
        serial: 0,
        applying: None,
        resources: Default::default(),
        pending: Vec::new(),
    }
}
