//! `vpnform apply [FILE]`: its arguments, the approval prompt, the view, and a call of
//! [`ops::apply::run`].

use std::io::{BufRead, IsTerminal as _};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use super::{CloudArgs, Context, exit};
use crate::apply::ApplyOptions;
use crate::ops::{self, apply::ApplyRequest};

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

    /// Record only the changes made outside vpnform and the servers gone from the cloud:
    /// nothing changes in the cloud.
    #[arg(long)]
    pub refresh_only: bool,

    /// Delete every recorded resource, whatever the desired file says (`protect` still
    /// holds). Terraform's `-destroy`. A saved destroy plan carries it.
    #[arg(long, conflicts_with_all = ["refresh_only", "plan_file"])]
    pub destroy: bool,

    /// Fail if the plan would delete more than N servers.
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<usize>,

    /// Apply only ADDRESS's action and the actions it must wait for (repeatable). Not for
    /// routine use: for staging a large decommission or recovering from a mistake.
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<crate::Address>,

    /// Replace ADDRESS's server even though nothing in the desired file forces it
    /// (repeatable): a new server with the desired values, the old one deleted (on the
    /// same gateway: deleted first). Terraform's `-replace`.
    #[arg(long = "replace", value_name = "ADDRESS", conflicts_with = "plan_file")]
    pub replace: Vec<crate::Address>,

    #[command(flatten)]
    pub cloud: CloudArgs,

    /// How long to wait for the state lock (0: fail at once and say who holds it).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub lock_timeout: Duration,

    /// Pause between two rounds of gateway status polls.
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = super::parse_duration, hide = true)]
    pub poll_interval: Duration,
}

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let request = ApplyRequest {
        desired: ctx.desired.clone(),
        state_dir: ctx.state_dir.clone(),
        plan_file: args.plan_file.clone(),
        max_deletes: args.max_deletes,
        targets: args.targets.iter().cloned().collect(),
        replace: args.replace.iter().cloned().collect(),
        lock_timeout: args.lock_timeout,
        command: super::command_line(),
        cloud: args.cloud.cloud(),
        refresh_only: args.refresh_only,
        destroy: args.destroy,
        options: ApplyOptions {
            poll_interval: args.poll_interval,
            ..ApplyOptions::default()
        },
        ctrl_c: true,
    };
    let view = crate::views::for_format(&ctx.ui, args.json, args.full);
    let approve = |plan: &crate::plan::Plan| {
        if args.auto_approve {
            Ok(true)
        } else {
            approve(ctx, plan.refresh_only)
        }
    };
    let result = ops::connect::runtime()
        .and_then(|runtime| runtime.block_on(ops::apply::run(&request, view, approve)));
    match result {
        Ok(_) => Ok(exit::OK),
        Err(err) => {
            // As plan does: machine readers get the error on stdout as a diagnostic;
            // people reading the job log still see it on stderr.
            if args.json {
                crate::views::Json::new(ctx.ui.clone()).error(&err);
            }
            Err(err)
        }
    }
}

/// Why apply stops before asking: nobody can answer.
const NO_TERMINAL: &str = "there is no terminal to confirm the apply on: standard input \
is not a terminal and holds no answer. Nothing was changed. Pass --auto-approve to apply \
without asking, or save the plan with `vpnform plan --out FILE` and apply it with `vpnform \
apply FILE`, which does not ask";

/// Asks on stderr, reads one line from stdin: only `yes` approves. Off a terminal the
/// answer is read before the question is asked: an input that holds none (`/dev/null`,
/// a closed pipe) is refused without a prompt that nobody will see.
fn approve(ctx: &Context, refresh_only: bool) -> anyhow::Result<bool> {
    let terminal = std::io::stdin().is_terminal();
    let piped = if terminal {
        None
    } else {
        let line = read_answer()?;
        if line.is_empty() {
            anyhow::bail!(NO_TERMINAL);
        }
        Some(line)
    };
    ctx.ui.status(if refresh_only {
        "\nWould you like to update the vpnform state to reflect these detected changes?\n  \
         vpnform will write these changes to the state without modifying any real \
         infrastructure.\n  Only 'yes' will be accepted to confirm.\n"
    } else {
        "\nDo you want to perform these actions?\n  vpnform will perform the actions described \
         above.\n  Only 'yes' will be accepted to approve.\n"
    });
    {
        use std::io::Write as _;
        let mut err = ctx.ui.stderr();
        let _ = write!(err, "  Enter a value: ");
        let _ = err.flush();
    }
    let line = match piped {
        Some(line) => line,
        None => read_answer()?,
    };
    // A terminal echoes the answer and its newline; end of input or a pipe echoes
    // nothing, and what is printed next would continue the prompt's line.
    if line.is_empty() || !terminal {
        ctx.ui.status("");
    }
    Ok(line.trim_end_matches(['\r', '\n']) == "yes")
}

/// One line of standard input; empty at its end.
fn read_answer() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the answer from standard input")?;
    Ok(line)
}
