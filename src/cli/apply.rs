//! `vpnform apply [FILE]`: plan (or load a saved plan), approve, execute, record.

use crate::ui::progress::{LINE_EVERY, StepProgress};
use std::io::{BufRead, IsTerminal as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sha2::{Digest, Sha256};

use super::plan::{CloudArgs, Item, Loaded, Several, empty_state};
use super::{Context, connect, exit};
use crate::apply::saved::{self as saved_check, Start};
use crate::apply::{ActionResult, ApplyOptions, Journal, Outcome, UiReporter, execute};
use crate::plan::render;
use crate::plan::{ActionKind, Plan, online, saved};
use crate::state::{ApplyingPlan, Lock, State};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A saved plan (from `plan --out`) to run without asking.
    #[arg(value_name = "FILE")]
    pub plan_file: Option<PathBuf>,

    /// Do not ask for approval.
    #[arg(long)]
    pub auto_approve: bool,

    /// One JSON object a line (Terraform's machine-readable UI shape) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Show every action's block and the state file diff, however large the plan (a plan
    /// of more than 25 actions is otherwise condensed to one line per action).
    #[arg(long)]
    pub full: bool,

    /// Fail if the plan would delete more than N servers.
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<usize>,

    #[command(flatten)]
    pub cloud: CloudArgs,

    /// How long to wait for the state lock (0: fail at once and say who holds it).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub lock_timeout: Duration,

    /// Pause between two rounds of gateway status polls.
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = super::parse_duration, hide = true)]
    pub poll_interval: Duration,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let runtime = connect::runtime()?;
    let result = runtime.block_on(apply(ctx, &args));
    if let (Err(err), true) = (&result, args.json) {
        // As plan does: machine readers get the error on stdout as a diagnostic; people
        // reading the job log still see it on stderr.
        diagnostic(ctx, err);
    }
    result
}

fn diagnostic(ctx: &Context, err: &anyhow::Error) {
    super::plan::json_diagnostic(ctx, err);
}

async fn apply(ctx: &Context, args: &Args) -> anyhow::Result<u8> {
    if args.json {
        ctx.ui.out(&render::json_line(&render::version_event()));
    }
    // The lock is held for the whole run: plan, approval, every write.
    let _lock = Lock::acquire_with(
        ctx.state_dir(),
        &super::command_line(),
        args.lock_timeout,
        |holder| {
            // Without a word, a run waiting up to --lock-timeout looks hung.
            let who = holder.map_or_else(
                || "another process".to_owned(),
                |h| {
                    format!(
                        "pid {} on host {} running `{}` since {}",
                        h.pid, h.host, h.command, h.since
                    )
                },
            );
            ctx.ui.status(&format!(
                "The state is locked by {who}; waiting for it (up to {}).",
                crate::apply::report::human(args.lock_timeout)
            ));
        },
    )?;
    let recorded = crate::state::read(ctx.state_dir())?;
    if let Some(state) = &recorded {
        // Whatever apply does, it writes the state: refuse now what would refuse that
        // write (a serial at its maximum, a link in place of the file), before any call.
        let path = crate::state::state_path(ctx.state_dir());
        crate::state::next_serial(&path, state.serial)?;
        if !args.cloud.sandbox {
            crate::state::check_write_target(&path)?;
        }
    }
    let state_exists = recorded.is_some();
    let state = recorded.clone().unwrap_or_else(empty_state);

    // With --sandbox the run writes a copy of the state in a temp dir, never the real one.
    let rehearsal_dir = if args.cloud.sandbox {
        Some(tempfile::tempdir().context("cannot make a temp dir for the rehearsal")?)
    } else {
        None
    };
    let write_dir: PathBuf = match &rehearsal_dir {
        Some(dir) => {
            if let Some(state) = &recorded {
                crate::state::write(dir.path(), state)?;
            }
            dir.path().to_owned()
        }
        None => ctx.state_dir().to_owned(),
    };

    // A saved plan is checked against (and a rehearsal seeded from) the desired file it
    // was made from, unless --desired names another.
    let mut desired_path = ctx.desired.clone();
    let saved_plan = match &args.plan_file {
        Some(path) => {
            // `required_version` comes first, as in every command: a vpnform too old or
            // too new for this repository reads no saved plan either.
            if let Ok(bytes) = crate::config::read_bytes(&ctx.desired) {
                crate::config::check_required_version(&ctx.desired, &bytes)?;
            }
            let saved = saved::load(path)?;
            let plan = saved.plan();
            if !ctx.desired_given && saved.desired_path != ctx.desired {
                desired_path = saved.desired_path.clone();
                ctx.ui.status(&format!(
                    "Using the desired-state file {} that the saved plan {} was made from.",
                    desired_path.display(),
                    path.display()
                ));
            }
            let bytes = crate::config::read_bytes(&desired_path)?;
            crate::config::check_required_version(&desired_path, &bytes)?;
            saved_check::same_version(path, &saved.vpnform_version)?;
            if saved.offline {
                ctx.ui.warn(&format!(
                    "the saved plan {} was made with --offline: the cloud was not read and \
                     no delete was prechecked with DryRun",
                    path.display()
                ));
            }
            let sha = hex::encode(Sha256::digest(&bytes));
            let start = saved_check::check(
                &plan,
                path,
                recorded.as_ref(),
                ctx.state_dir(),
                &desired_path,
                &sha,
            )?;
            Some((path, plan, start))
        }
        None => None,
    };
    let addresses = state.resources.keys().cloned().collect();
    let desired = crate::config::load(&desired_path, &addresses)?;
    crate::apply::check_pending(
        &state,
        &desired.servers.keys().cloned().collect(),
        &crate::state::state_path(ctx.state_dir()),
    )?;
    let saved_plan = match saved_plan {
        Some((path, plan, start)) => {
            let actions =
                saved_check::derive(&plan, path, start, &state, ctx.state_dir(), &desired)?;
            // Limits apply to a saved plan as to a fresh one.
            let deletes = actions
                .iter()
                .filter(|a| a.action == ActionKind::Delete)
                .count();
            if let Some(max) = args.max_deletes
                && deletes > max
            {
                return Err(crate::plan::PlanError::TooManyDeletes { deletes, max }.into());
            }
            if start == Start::Resume {
                ctx.ui.status(&format!(
                    "Resuming the saved plan {} (hash {}): finished actions are skipped, \
                     pending ones resolved with their original ClientTokens.",
                    path.display(),
                    plan.hash
                ));
            }
            Some(SavedRun {
                path: path.clone(),
                plan,
                actions,
            })
        }
        None => None,
    };
    let desired_for_seed = (args.plan_file.is_none() || args.cloud.sandbox).then_some(desired);
    let connection =
        connect::connect(&ctx.ui, &args.cloud, &state, desired_for_seed.as_ref()).await?;
    let result = run_with(
        ctx,
        args,
        connection.client.clone(),
        state,
        state_exists,
        desired_for_seed,
        saved_plan,
        &write_dir,
    )
    .await;
    connection.close().await;
    let (code, final_state) = result?;
    if let (Some(_), Some(final_state)) = (&rehearsal_dir, final_state) {
        let before = match &recorded {
            Some(s) => crate::state::to_yaml(s)?,
            None => String::new(),
        };
        let after = crate::state::to_yaml(&final_state)?;
        let path = crate::state::state_path(ctx.state_dir());
        if !args.json {
            ctx.ui.out(&format!(
                "\nRehearsal against the in-process sandbox: {} was not written. It would become:\n\n{}",
                path.display(),
                render::state_diff(&path.display().to_string(), &before, &after)
            ));
        }
    }
    Ok(code)
}

/// A saved plan checked against the files, with the actions it still has to run.
struct SavedRun {
    path: PathBuf,
    plan: Plan,
    actions: Vec<crate::plan::Action>,
}

#[allow(clippy::too_many_arguments)]
async fn run_with(
    ctx: &Context,
    args: &Args,
    client: crate::cloud::Client,
    state: State,
    state_exists: bool,
    desired: Option<crate::config::Desired>,
    saved_plan: Option<SavedRun>,
    write_dir: &std::path::Path,
) -> anyhow::Result<(u8, Option<State>)> {
    let (plan, actions) = match (saved_plan, desired) {
        (Some(saved), _) => {
            // What the plan took from the cloud is read again before anything is dropped
            // or recorded from it.
            let regions = saved_check::cloud_regions(&saved.actions);
            if !regions.is_empty() {
                let found = online::refresh(&client, regions)
                    .await
                    .map_err(online::OnlineError::Refresh)?;
                saved_check::check_cloud(&saved.actions, &saved.path, &found)?;
            }
            (saved.plan, saved.actions)
        }
        (None, None) => unreachable!("a fresh plan is made from the desired file"),
        (None, Some(desired)) => {
            let progress = StepProgress::new(&ctx.ui, args.json, LINE_EVERY);
            let plan =
                online::plan_with_progress(&desired, &state, &client, args.max_deletes, &progress)
                    .await;
            progress.finish();
            let plan = plan?;
            let graph = plan.graph()?;
            let loaded = Loaded {
                state: state.clone(),
                state_exists,
                desired,
            };
            let options = super::plan::ShowOptions {
                offline: false,
                json: args.json,
                full: args.full,
            };
            super::plan::show(ctx, &plan, &graph, &loaded, &options)?;
            if let Some(refused) = super::plan::refused(&plan, ", so nothing was applied") {
                return Err(refused.into());
            }
            if !plan.has_changes() && state.pending.is_empty() {
                return Ok((exit::OK, None));
            }
            if !args.auto_approve && !approve(ctx)? {
                anyhow::bail!("apply cancelled: nothing was changed");
            }
            let actions = plan.actions.clone();
            (plan, actions)
        }
    };

    if actions.is_empty() && state.pending.is_empty() {
        summary(ctx, args.json, &Outcome::default());
        return Ok((exit::OK, None));
    }

    let journal_state = if state.lineage.is_empty() {
        State::new()
    } else {
        state.clone()
    };
    let pending = state.pending.clone();
    let journal = Arc::new(Journal::start(
        write_dir.to_owned(),
        journal_state,
        Some(ApplyingPlan {
            plan_hash: plan.hash.clone(),
            base_serial: plan.serial,
        }),
        Arc::new(|dir: &std::path::Path, s: &State| {
            crate::state::write(dir, s).map_err(|e| e.to_string())
        }),
    ));
    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let ui = ctx.ui.clone();
    let interrupts = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            ui.warn(
                "interrupted: no new operation starts; those in flight finish and are \
                 recorded. Press Ctrl-C again to exit at once (pending operations are then \
                 resolved by the next run).",
            );
            let _ = cancel_tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    let reporter = Arc::new(UiReporter::new(
        ctx.ui.clone(),
        args.json,
        actions.len() + pending.len(),
    ));
    let options = ApplyOptions {
        poll_interval: args.poll_interval,
        ..ApplyOptions::default()
    };
    let outcome = execute(
        &actions,
        &pending,
        &plan.hash,
        client,
        journal.clone(),
        reporter.clone(),
        options,
        cancel_rx,
    )
    .await;
    reporter.finish();
    interrupts.abort();
    let journal = Arc::into_inner(journal).expect("every action task has ended");
    if outcome.is_success()
        && let Err(err) = journal.record(crate::apply::Change::Finished).await
    {
        ctx.ui.warn(&format!(
            "every action is done, but the state still marks the plan as in progress: {err}"
        ));
    }
    let final_state = journal.finish().await;

    summary(ctx, args.json, &outcome);
    if outcome.is_success() {
        return Ok((exit::OK, Some(final_state)));
    }
    let mut items = Vec::new();
    for (address, message) in outcome.failures() {
        items.push(Item {
            address: Some(address.to_string()),
            message: message.to_owned(),
        });
    }
    for (address, because) in outcome.skipped() {
        items.push(Item {
            address: Some(address.to_string()),
            message: format!("skipped: it waits for {because}, which did not complete"),
        });
    }
    let not_started = outcome.not_started();
    if not_started > 0 {
        items.push(Item {
            address: None,
            message: format!(
                "{not_started} action(s) not started because the run was interrupted; run \
                 apply again"
            ),
        });
    }
    let err = anyhow::Error::new(Several {
        headline: "apply did not finish: the state records every action that did".into(),
        separator: "\n\n",
        items,
    });
    if args.json {
        diagnostic(ctx, &err);
    }
    ctx.ui.error(&err);
    Ok((exit::ERROR, Some(final_state)))
}

/// Asks on stderr, reads one line from stdin: only `yes` approves.
fn approve(ctx: &Context) -> anyhow::Result<bool> {
    ctx.ui.status(
        "\nDo you want to perform these actions?\n  vpnform will perform the actions described \
         above.\n  Only 'yes' will be accepted to approve.\n",
    );
    {
        use std::io::Write as _;
        let mut err = ctx.ui.stderr();
        let _ = write!(err, "  Enter a value: ");
        let _ = err.flush();
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the answer from standard input")?;
    // A terminal echoes the answer and its newline; end of input or a pipe echoes
    // nothing, and what is printed next would continue the prompt's line.
    if line.is_empty() || !std::io::stdin().is_terminal() {
        ctx.ui.status("");
    }
    Ok(line.trim_end_matches(['\r', '\n']) == "yes")
}

fn summary(ctx: &Context, json: bool, outcome: &Outcome) {
    let (changed, destroyed, adopted, forgotten) = (
        outcome.count(ActionKind::Update),
        outcome.count(ActionKind::Delete),
        outcome.count(ActionKind::Adopt),
        outcome.count(ActionKind::Forget),
    );
    let word = if outcome.is_success() {
        "Apply complete!"
    } else {
        "Apply incomplete!"
    };
    let gone = outcome.already_gone();
    // Deleted outside vpnform: not counted as destroyed by this run.
    let gone_text = if gone > 0 {
        format!(", {gone} already gone")
    } else {
        String::new()
    };
    let message = format!(
        "{word} Resources: 0 added, {changed} changed, {destroyed} destroyed, {adopted} adopted, {forgotten} forgotten{gone_text}."
    );
    if json {
        let mut line = serde_json::json!({
            "@level": "info",
            "@message": message,
            "@module": "vpnform.ui",
            "@timestamp": crate::ui::timestamp(),
            "changes": {"add": 0, "change": changed, "remove": destroyed, "adopt": adopted, "forget": forgotten, "operation": "apply"},
            "type": "change_summary",
        });
        if gone > 0 {
            line["changes"]["already_gone"] = gone.into();
        }
        ctx.ui.out(&render::json_line(&line));
    } else {
        ctx.ui.out(&format!("\n{message}\n"));
    }
    let _ = outcome
        .results
        .values()
        .filter(|(_, r)| matches!(r, ActionResult::Done { .. }))
        .count();
}
