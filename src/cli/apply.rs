//! `vpnform apply [FILE]`: plan (or load a saved plan), approve, execute, record.

use crate::ui::progress::{LINE_EVERY, StepProgress};
use std::io::{BufRead, IsTerminal as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sha2::{Digest, Sha256};

use super::plan::{CloudArgs, Loaded, empty_state};
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
    super::plan::json_diagnostic(ctx, err, &render::now_timestamp());
}

async fn apply(ctx: &Context, args: &Args) -> anyhow::Result<u8> {
    let timestamp = render::now_timestamp();
    if args.json {
        ctx.ui
            .out(&render::json_line(&render::version_event(&timestamp)));
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

    let saved_plan = match &args.plan_file {
        Some(path) => {
            let saved = saved::load(path)?;
            let plan = saved.plan();
            let bytes = std::fs::read(&ctx.desired).with_context(|| {
                format!(
                    "cannot read the desired-state file {}",
                    ctx.desired.display()
                )
            })?;
            let sha = hex::encode(Sha256::digest(&bytes));
            let start = saved_check::check(
                &plan,
                path,
                recorded.as_ref(),
                ctx.state_dir(),
                &ctx.desired,
                &sha,
            )?;
            if start == Start::Resume {
                ctx.ui.status(&format!(
                    "Resuming the saved plan {} (hash {}): finished actions are skipped, \
                     pending ones resolved with their original ClientTokens.",
                    path.display(),
                    plan.hash
                ));
            }
            Some((plan, start))
        }
        None => None,
    };
    let desired_for_seed = if args.plan_file.is_none() || args.cloud.sandbox {
        let addresses = state.resources.keys().cloned().collect();
        Some(crate::config::load(&ctx.desired, &addresses)?)
    } else {
        None
    };
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
        &timestamp,
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

#[allow(clippy::too_many_arguments)]
async fn run_with(
    ctx: &Context,
    args: &Args,
    client: crate::cloud::Client,
    state: State,
    state_exists: bool,
    desired: Option<crate::config::Desired>,
    saved_plan: Option<(Plan, Start)>,
    write_dir: &std::path::Path,
    timestamp: &str,
) -> anyhow::Result<(u8, Option<State>)> {
    let (plan, start) = match (saved_plan, desired) {
        (Some(saved), _) => saved,
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
            super::plan::show(ctx, &plan, &graph, &loaded, false, args.json, timestamp)?;
            let refused = online::refused_prechecks(&plan);
            if !refused.is_empty() {
                anyhow::bail!(
                    "the DryRun precheck refused {} of the deletes, so nothing was applied:\n{}",
                    refused.len(),
                    refused.join("\n")
                );
            }
            if !plan.has_changes() && state.pending.is_empty() {
                return Ok((exit::OK, None));
            }
            if !args.auto_approve && !approve(ctx)? {
                anyhow::bail!("apply cancelled: nothing was changed");
            }
            (plan, Start::Fresh)
        }
    };

    let actions = match start {
        Start::Fresh => plan.actions.clone(),
        Start::Resume => saved_check::remaining(&plan, &state),
    };
    if actions.is_empty() && state.pending.is_empty() {
        summary(ctx, args.json, &Outcome::default(), timestamp);
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
    let final_state = journal.finish().await;

    summary(ctx, args.json, &outcome, timestamp);
    if outcome.is_success() {
        return Ok((exit::OK, Some(final_state)));
    }
    let mut lines = Vec::new();
    for (address, message) in outcome.failures() {
        lines.push(format!("{address}: {message}"));
    }
    for (address, because) in outcome.skipped() {
        lines.push(format!(
            "{address}: skipped: it waits for {because}, which did not complete"
        ));
    }
    let not_started = outcome.not_started();
    if not_started > 0 {
        lines.push(format!(
            "{not_started} action(s) not started because the run was interrupted; run apply again"
        ));
    }
    let err = anyhow::anyhow!(
        "apply did not finish: the state records every action that did\n\n{}",
        lines.join("\n")
    );
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

fn summary(ctx: &Context, json: bool, outcome: &Outcome, timestamp: &str) {
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
    let message = format!(
        "{word} Resources: 0 added, {changed} changed, {destroyed} destroyed, {adopted} adopted, {forgotten} forgotten."
    );
    if json {
        ctx.ui.out(&render::json_line(&serde_json::json!({
            "@level": "info",
            "@message": message,
            "@module": "vpnform.ui",
            "@timestamp": timestamp,
            "changes": {"add": 0, "change": changed, "remove": destroyed, "adopt": adopted, "forget": forgotten, "operation": "apply"},
            "type": "change_summary",
        })));
    } else {
        ctx.ui.out(&format!("\n{message}\n"));
    }
    let _ = outcome
        .results
        .values()
        .filter(|(_, r)| matches!(r, ActionResult::Done { .. }))
        .count();
}
