use std::path::PathBuf;

use super::connect;
use super::{Context, exit};
use crate::config::Desired;
use crate::plan::render::{self, TextOptions};
use crate::plan::saved::{self, SavedPlan};
use crate::plan::{self, Plan, PlanOptions, online};
use crate::state::{STATE_VERSION, State};
use crate::ui::progress::{LINE_EVERY, StepProgress};

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

    /// At most N requests a second per API action. vpnform starts each action at 10 a
    /// second and finds the cloud's limit from its throttling; this caps what it may
    /// reach (e.g. to leave room for other tools on the account).
    #[arg(long, value_name = "N", default_value_t = crate::cloud::DEFAULT_MAX_RATE as u32,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_rate: u32,

    /// With --sandbox: how long a gateway configures after a delete (`2s`, `1s..3s`).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = super::connect::parse_configure_time)]
    pub sandbox_configure_time: (std::time::Duration, std::time::Duration),
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let timestamp = render::now_timestamp();
    if args.json {
        ctx.ui
            .out(&render::json_line(&render::version_event(&timestamp)));
    }
    let result = plan(ctx, &args, &timestamp);
    if let (Err(err), true) = (&result, args.json) {
        json_diagnostic(ctx, err, &timestamp);
    }
    result
}

/// An error as a `diagnostic` line on stdout for `--json` readers; people reading the
/// job log still see it on stderr.
pub fn json_diagnostic(ctx: &Context, err: &anyhow::Error, timestamp: &str) {
    let detail: Vec<String> = err.chain().skip(1).map(|c| c.to_string()).collect();
    ctx.ui.out(&render::json_line(&render::diagnostic_event(
        "error",
        &err.to_string(),
        &detail.join("\n"),
        None,
        timestamp,
    )));
}

fn plan(ctx: &Context, args: &Args, timestamp: &str) -> anyhow::Result<u8> {
    let loaded = load(ctx, args.lock_timeout)?;
    let (plan, rehearsal) = if args.offline {
        (
            plan::build(
                &loaded.desired,
                &loaded.state,
                &PlanOptions {
                    max_deletes: args.max_deletes,
                    refresh: None,
                },
            )?,
            false,
        )
    } else {
        let runtime = connect::runtime()?;
        let plan = runtime.block_on(async {
            let connection =
                connect::connect(&ctx.ui, &args.cloud, &loaded.state, Some(&loaded.desired))
                    .await?;
            let progress = StepProgress::new(&ctx.ui, args.json, LINE_EVERY);
            let plan = online::plan_with_progress(
                &loaded.desired,
                &loaded.state,
                &connection.client,
                args.max_deletes,
                &progress,
            )
            .await;
            progress.finish();
            connection.close().await;
            anyhow::Ok(plan?)
        })?;
        (plan, args.cloud.sandbox)
    };
    let graph = plan.graph()?;
    show(
        ctx,
        &plan,
        &graph,
        &loaded,
        args.offline,
        args.json,
        timestamp,
    )?;
    if rehearsal && !args.json {
        ctx.ui
            .status("Note: planned against the in-process sandbox (--sandbox), not the cloud.");
    }

    let refused = online::refused_prechecks(&plan);
    if !refused.is_empty() {
        anyhow::bail!(
            "the DryRun precheck refused {} of the deletes; apply would fail there:\n{}",
            refused.len(),
            refused.join("\n")
        );
    }

    if let Some(out) = &args.out {
        if rehearsal {
            anyhow::bail!(
                "a plan made against the sandbox (--sandbox) cannot be saved: its prechecks \
                 say nothing about the cloud; plan without --sandbox to save one"
            );
        }
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

/// What a plan is made from: the recorded state (or an empty one) and the desired file.
pub struct Loaded {
    pub state: State,
    /// Whether the state file exists (a missing one is planned as empty).
    pub state_exists: bool,
    pub desired: Desired,
}

/// Reads the state (under the lock while reading, as Terraform does) and the desired file.
pub fn load(ctx: &Context, lock_timeout: std::time::Duration) -> anyhow::Result<Loaded> {
    let recorded = {
        // No lock directory is created for a workspace that has no state yet.
        let _lock = if crate::state::state_path(ctx.state_dir()).exists() {
            Some(crate::state::Lock::acquire(
                ctx.state_dir(),
                &super::command_line(),
                lock_timeout,
            )?)
        } else {
            None
        };
        crate::state::read(ctx.state_dir())?
    };
    let state_exists = recorded.is_some();
    let state = recorded.unwrap_or_else(|| {
        ctx.ui.status(&format!(
            "No recorded state at {}: every desired server will be adopted.",
            crate::state::state_path(ctx.state_dir()).display()
        ));
        empty_state()
    });
    let addresses = state.resources.keys().cloned().collect();
    let desired = crate::config::load(&ctx.desired, &addresses)?;
    Ok(Loaded {
        state,
        state_exists,
        desired,
    })
}

/// Renders `plan` (text with the state diff, or JSON lines) to stdout.
pub fn show(
    ctx: &Context,
    plan: &Plan,
    graph: &plan::Graph,
    loaded: &Loaded,
    offline: bool,
    json: bool,
    timestamp: &str,
) -> anyhow::Result<()> {
    if json {
        ctx.ui.out(&render::json_lines(plan, graph, timestamp));
        return Ok(());
    }
    let state_diff = if plan.has_changes() {
        let before = if loaded.state_exists {
            crate::state::to_yaml(&loaded.state)?
        } else {
            String::new()
        };
        let after = if loaded.state_exists {
            render::after_yaml(plan, &loaded.state, &before)?
        } else {
            crate::state::to_yaml(&plan.apply_to(&loaded.state))?
        };
        let path = crate::state::state_path(&ctx.state_dir);
        Some(render::state_diff(
            &path.display().to_string(),
            &before,
            &after,
        ))
    } else {
        None
    };
    let options = TextOptions {
        offline,
        state_diff,
    };
    ctx.ui.out(&render::text(plan, graph, &options));
    Ok(())
}

/// What a plan starts from before any state exists: nothing recorded. The empty lineage
/// marks it; apply creates the real state (and its lineage) on the first write.
pub fn empty_state() -> State {
    State {
        version: STATE_VERSION,
        lineage: String::new(),
        serial: 0,
        applying: None,
        resources: Default::default(),
        pending: Vec::new(),
    }
}
