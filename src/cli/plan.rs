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

    /// Show every action's block and the state file diff, however large the plan (a plan
    /// of more than 25 actions is otherwise condensed to one line per action).
    #[arg(long)]
    pub full: bool,

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

    /// The aliyun CLI profile to take credentials from (~/.aliyun/config.json, then the
    /// ini file), ahead of any keys in the environment. ALIBABA_CLOUD_PROFILE names a
    /// profile too, but only when the environment holds no keys.
    // Not bound to ALIBABA_CLOUD_PROFILE with clap's `env`: the credential chain must
    // know whether the name was typed (it then beats the environment's keys) or inherited.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// At most N API requests in flight, 1 to 1000 (operations waiting for a gateway do
    /// not count).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = super::parallelism)]
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
    if args.json {
        ctx.ui.out(&render::json_line(&render::version_event()));
    }
    let result = plan(ctx, &args);
    if let (Err(err), true) = (&result, args.json) {
        json_diagnostic(ctx, err);
    }
    result
}

/// An error as `diagnostic` lines on stdout for `--json` readers, one per problem (each
/// error in the desired file with its `range`, each refused precheck or failed action
/// with its address); people reading the job log still see it on stderr.
pub fn json_diagnostic(ctx: &Context, err: &anyhow::Error) {
    for event in diagnostics(err) {
        ctx.ui.out(&render::json_line(&event));
    }
}

fn diagnostics(err: &anyhow::Error) -> Vec<serde_json::Value> {
    let config = err
        .chain()
        .find_map(|e| e.downcast_ref::<crate::config::ConfigError>());
    if let Some(crate::config::ConfigError::Invalid { path, diagnostics }) = config
        && !diagnostics.is_empty()
    {
        let text = std::fs::read_to_string(path).ok();
        return diagnostics
            .iter()
            .map(|d| {
                let event = render::diagnostic_event("error", &d.message, &d.render(path), None);
                let width = d
                    .labels
                    .iter()
                    .find(|l| l.primary && l.line == d.line && l.column == d.column)
                    .map_or(0, |l| l.width.max(1));
                match text
                    .as_deref()
                    .and_then(|t| range_of(t, d.line, d.column, width))
                {
                    Some((start, end)) => {
                        render::with_range(event, &path.display().to_string(), start, end)
                    }
                    None => event,
                }
            })
            .collect();
    }
    if let Some((path, line, column)) = err.chain().find_map(file_location) {
        let detail = err.chain().map(|c| c.to_string()).collect::<Vec<_>>();
        let summary = err.to_string();
        let summary = summary.lines().next().unwrap_or_default();
        let event = render::diagnostic_event("error", summary, &detail.join("\n"), None);
        let range = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| range_of(&t, line, column, 0));
        return vec![match range {
            Some((start, end)) => {
                render::with_range(event, &path.display().to_string(), start, end)
            }
            None => event,
        }];
    }
    if let Some(plan_error) = err
        .chain()
        .find_map(|e| e.downcast_ref::<plan::PlanError>())
    {
        // One line per address, in the list's order.
        let addresses: Vec<&str> = match plan_error {
            plan::PlanError::Mismatch(list) => list.iter().map(|m| m.address.as_str()).collect(),
            plan::PlanError::Protected(list) => list.iter().map(|(a, _)| a.as_str()).collect(),
            _ => Vec::new(),
        };
        let text = plan_error.to_string();
        if addresses.len() > 1 && text.lines().count() == addresses.len() {
            return text
                .lines()
                .zip(addresses)
                .map(|(line, address)| render::diagnostic_event("error", line, line, Some(address)))
                .collect();
        }
    }
    if let Some(several) = err.downcast_ref::<Several>() {
        return several
            .items
            .iter()
            .map(|item| {
                let text = item.to_string();
                let summary = text.lines().next().unwrap_or_default();
                render::diagnostic_event(
                    "error",
                    summary,
                    &format!("{}\n\n{text}", several.headline),
                    item.address.as_deref(),
                )
            })
            .collect();
    }
    let detail: Vec<String> = err.chain().skip(1).map(|c| c.to_string()).collect();
    vec![render::diagnostic_event(
        "error",
        &err.to_string(),
        &detail.join("\n"),
        None,
    )]
}

/// The file, line and column an error about the state file or a saved plan points at.
fn file_location<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<(&'a std::path::Path, u64, u64)> {
    use crate::state::StateError;
    if let Some(
        StateError::Parse {
            path, line, column, ..
        }
        | StateError::NewerVersion {
            path, line, column, ..
        }
        | StateError::UnsupportedVersion {
            path, line, column, ..
        }
        | StateError::Invalid {
            path, line, column, ..
        },
    ) = err.downcast_ref::<StateError>()
    {
        return Some((path, *line, *column));
    }
    match err.downcast_ref::<saved::SavedPlanError>() {
        Some(saved::SavedPlanError::Parse {
            path, line, column, ..
        }) => Some((path, *line as u64, *column as u64)),
        _ => None,
    }
}

/// Where a diagnostic points, as Terraform's `range`: from `line:column` over `width`
/// characters of that line (a point for 0). `None` if the file has no such line.
fn range_of(text: &str, line: u64, column: u64, width: u64) -> Option<(render::Pos, render::Pos)> {
    let mut line_start = 0usize;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index as u64 + 1 != line {
            line_start += content.len();
            continue;
        }
        let content = content.trim_end_matches(['\n', '\r']);
        let chars = content.chars().count() as u64;
        let pos = |column: u64| {
            let skip = (column.max(1) - 1) as usize;
            let within = content
                .char_indices()
                .nth(skip)
                .map_or(content.len(), |(b, _)| b);
            render::Pos {
                line,
                column,
                byte: (line_start + within) as u64,
            }
        };
        let end_column = (column + width).min(chars + 1).max(column);
        return Some((pos(column), pos(end_column)));
    }
    None
}

/// An error about several things at once (refused prechecks, failed actions): one
/// message on stderr, as before, and one `diagnostic` each in `--json`.
#[derive(Debug)]
pub struct Several {
    /// The first line: what went wrong overall.
    pub headline: String,
    /// Between the headline and the items (`\n`, or `\n\n` for a paragraph).
    pub separator: &'static str,
    pub items: Vec<Item>,
}

/// One problem of a [`Several`]: about an address, or about the run.
#[derive(Debug)]
pub struct Item {
    pub address: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.address {
            Some(address) => write!(f, "{address}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::fmt::Display for Several {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.headline, self.separator)?;
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Several {}

/// The plan's refused prechecks as one error, one item each; `None` if none was refused.
pub fn refused(plan: &Plan, consequence: &str) -> Option<Several> {
    let items: Vec<Item> = plan
        .actions
        .iter()
        .filter(|a| matches!(a.precheck, plan::Precheck::Failed { .. }))
        .map(|a| Item {
            address: Some(a.address.to_string()),
            message: render::precheck_text(&a.precheck),
        })
        .collect();
    (!items.is_empty()).then(|| Several {
        headline: format!(
            "the DryRun precheck refused {} of the deletes{consequence}:",
            items.len()
        ),
        separator: "\n",
        items,
    })
}

fn plan(ctx: &Context, args: &Args) -> anyhow::Result<u8> {
    if let Some(out) = &args.out {
        saved::check_target(out)?;
    }
    let loaded = load(ctx, args.lock_timeout)?;
    // A plan lists the journal as what apply resolves first: never a planted entry.
    crate::apply::check_pending(
        &loaded.state,
        &loaded.desired.servers.keys().cloned().collect(),
        &crate::state::state_path(ctx.state_dir()),
    )?;
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
    if plan.has_changes() {
        // A plan whose apply could not record anything is refused now, not mid-apply.
        let path = crate::state::state_path(ctx.state_dir());
        crate::state::next_serial(&path, loaded.state.serial)?;
    }
    show(
        ctx,
        &plan,
        &graph,
        &loaded,
        &ShowOptions {
            offline: args.offline,
            json: args.json,
            full: args.full,
        },
    )?;
    if rehearsal && !args.json {
        ctx.ui
            .status("Note: planned against the in-process sandbox (--sandbox), not the cloud.");
    }

    if let Some(refused) = refused(&plan, "; apply would fail there") {
        return Err(refused.into());
    }

    if let Some(out) = &args.out {
        if rehearsal {
            anyhow::bail!(
                "a plan made against the sandbox (--sandbox) cannot be saved: its prechecks \
                 say nothing about the cloud; plan without --sandbox to save one"
            );
        }
        let saved = SavedPlan::new(&plan, &ctx.desired, args.offline, crate::ui::timestamp());
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

/// Reads the state (sharing the lock while reading, so a running apply is waited for, as
/// Terraform does) and the desired file. Writes nothing: a read-only checkout can plan.
pub fn load(ctx: &Context, lock_timeout: std::time::Duration) -> anyhow::Result<Loaded> {
    let recorded = {
        let _lock = crate::state::Lock::acquire_shared(ctx.state_dir(), lock_timeout)?;
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

/// How [`show`] renders a plan.
pub struct ShowOptions {
    pub offline: bool,
    pub json: bool,
    /// `--full`: every block and the state diff, however large the plan.
    pub full: bool,
}

/// Renders `plan` (text with the state diff, or JSON lines) to stdout.
pub fn show(
    ctx: &Context,
    plan: &Plan,
    graph: &plan::Graph,
    loaded: &Loaded,
    options: &ShowOptions,
) -> anyhow::Result<()> {
    if options.json {
        ctx.ui.out(&render::json_lines(plan, graph));
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
    let text_options = TextOptions {
        offline: options.offline,
        state_diff,
        full: options.full,
    };
    ctx.ui.out(&render::text(plan, graph, &text_options));
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
