//! The command line: clap definitions and dispatch. Each command builds its options and
//! calls one library operation; the logic lives in the library where tests reach it.

mod apply;
pub mod argv;
mod cloud;
mod completions;
mod export;
mod force_unlock;
mod graph;
mod import;
mod init;
mod man;
mod plan;
mod policy;
mod sandbox;
mod show;
mod state;
mod validate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

use crate::ui::{Ui, Verbosity};

pub(crate) use cloud::CloudArgs;

/// Exit codes, as docs/cli.md documents them.
pub mod exit {
    /// Success; with `--detailed-exitcode`, success and no changes.
    pub const OK: u8 = 0;
    /// Any error, including bad usage.
    pub const ERROR: u8 = 1;
    /// With `--detailed-exitcode`: success, and the plan has changes.
    pub const CHANGES: u8 = 2;
}

#[derive(Debug, Parser)]
#[command(
    name = "vpnform",
    version,
    about = "Declarative reconciler for Alibaba Cloud VPN gateway IPsec servers",
    propagate_version = true
)]
pub struct Cli {
    /// Run as if started in DIR.
    #[arg(short = 'C', long = "chdir", global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,

    /// The desired-state file.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        default_value = "vpnform.yaml"
    )]
    pub desired: PathBuf,

    /// The directory holding the recorded state (vpnform.state.yaml) and its lock.
    #[arg(
        long = "state",
        global = true,
        value_name = "DIR",
        default_value = "state"
    )]
    pub state_dir: PathBuf,

    /// No colour in the output (NO_COLOR is honoured too).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// More output on stderr: -v shows each API call, -vv debug logs.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Only errors and warnings on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per run: the size of the largest variant (`sandbox serve`'s flags) costs
// nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the desired-state file (and its references into the state) without planning.
    Validate(validate::Args),
    /// Show what apply would do: diff desired against recorded (and the cloud).
    Plan(plan::Args),
    /// Run the plan: create, update, replace and delete what it lists, recording each
    /// confirmed result.
    Apply(apply::Args),
    /// Print the minimal RAM policy (JSON) for the desired file's kinds and regions: for
    /// a plan job (`--plan`, read actions) or an apply job (`--apply`).
    Policy(policy::Args),
    /// Show a saved plan file.
    Show(show::Args),
    /// Draw the plan's action graph (or the recorded resources and their `depends_on`)
    /// as Graphviz DOT or Mermaid.
    Graph(graph::Args),
    /// Write desired entries for the IPsec servers (with `--kind`, the resources of
    /// any kind: gateways, connections, routes, SSL-VPN servers and certificates) no
    /// address records, so that the next plan adopts them.
    Import(import::Args),
    /// Write a recorded SSL-VPN client certificate's files (CA, certificate, key, client
    /// configuration) into a directory, each with mode 0600.
    Export(export::Args),
    /// Inspect or edit the recorded state without touching the cloud.
    #[command(subcommand)]
    State(state::Command),
    /// Set up the workspace (idempotent): `.gitignore` lines for saved plans and key
    /// files, and the postgres schema the desired file's `backend` names;
    /// `--migrate-state` copies the local state in.
    Init(init::Args),
    /// Remove the state lock file when its holder will never release it (a hung run, a
    /// lock kept by another host or a network filesystem). Does not stop that process.
    ForceUnlock(force_unlock::Args),
    /// The local emulator of the VPC API.
    #[command(subcommand)]
    Sandbox(sandbox::Command),
    /// Print a shell completion script.
    Completions(completions::Args),
    /// Write the man pages (vpnform.1 and one per command) into a directory.
    Man(man::Args),
}

/// What every command gets: the output channel and the resolved paths.
#[derive(Debug, Clone)]
pub struct Context {
    pub ui: Ui,
    /// The desired-state file, relative to the working directory (after `-C`).
    pub desired: PathBuf,
    /// The state directory, relative to the working directory (after `-C`).
    pub state_dir: PathBuf,
}

impl Context {
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }
}

/// Parses the command line, runs the command, prints any error and returns the exit code.
pub fn main() -> ExitCode {
    use clap::FromArgMatches as _;
    // Terraform's `-auto-approve`, `-out=FILE`, ... are read as `--auto-approve`, ...
    let args = match argv::terraform_spellings(&Cli::command(), std::env::args_os().collect()) {
        Ok(args) => args,
        Err(unknown) => {
            Ui::new(false, Verbosity::Normal).error(&anyhow::Error::new(unknown));
            return ExitCode::from(exit::ERROR);
        }
    };
    let parsed = Cli::command()
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(parsed) => parsed,
        Err(mut err) => {
            without_value_tip(&mut err);
            let _ = err.print();
            // `--help` and `--version` are not errors. Usage errors exit 1, not clap's 2,
            // which `--detailed-exitcode` reserves for "the plan has changes".
            return if err.use_stderr() {
                ExitCode::from(exit::ERROR)
            } else {
                ExitCode::from(exit::OK)
            };
        }
    };
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, 0) => Verbosity::Normal,
        (false, 1) => Verbosity::Verbose,
        (false, _) => Verbosity::Debug,
    };
    let ui = Ui::new(cli.no_color, verbosity);
    init_logging(&ui, cli.verbose);
    if let Some(dir) = &cli.chdir
        && let Err(err) = std::env::set_current_dir(dir)
    {
        ui.error(&anyhow::anyhow!(
            "cannot change to directory {} given with -C: {err}",
            dir.display()
        ));
        return ExitCode::from(exit::ERROR);
    }
    let ctx = Context {
        ui: ui.clone(),
        desired: cli.desired,
        state_dir: cli.state_dir,
    };
    let result = match cli.command {
        Command::Validate(args) => validate::run(&ctx, args),
        Command::Policy(args) => policy::run(&ctx, args),
        Command::Plan(args) => plan::run(&ctx, args),
        Command::Apply(args) => apply::run(&ctx, args),
        Command::Show(args) => show::run(&ctx, args),
        Command::Graph(args) => graph::run(&ctx, args),
        Command::Export(args) => export::run(&ctx, args),
        Command::Import(args) => import::run(&ctx, args),
        Command::State(cmd) => state::run(&ctx, cmd),
        Command::ForceUnlock(args) => force_unlock::run(&ctx, args),
        Command::Init(args) => init::run(&ctx, args),
        Command::Sandbox(cmd) => sandbox::run(&ctx, cmd),
        Command::Completions(args) => completions::run(&ctx, args),
        Command::Man(args) => man::run(&ctx, args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            ui.error(&err);
            ExitCode::from(exit::ERROR)
        }
    }
}

/// Drops clap's tip "to pass '-x' as a value, use '-- -x'" from an unknown-flag error:
/// for a mistyped flag it would pass the word on as a plan file or a path.
fn without_value_tip(err: &mut clap::Error) {
    use clap::error::{ContextKind, ContextValue};
    if err.kind() != clap::error::ErrorKind::UnknownArgument {
        return;
    }
    if let Some(ContextValue::StyledStrs(tips)) = err.remove(ContextKind::Suggested) {
        let kept: Vec<_> = tips
            .into_iter()
            .filter(|tip| !tip.to_string().contains("as a value, use '-- "))
            .collect();
        if !kept.is_empty() {
            err.insert(ContextKind::Suggested, ContextValue::StyledStrs(kept));
        }
    }
}

/// Sends `tracing` events to stderr through the ui: `-v` shows each VPC API call (action,
/// attempt, status, code, RequestId), `-vv` debug logs of every crate. `VPNFORM_LOG`
/// (`RUST_LOG` syntax) overrides the level. Without either nothing is installed, so a
/// plain run pays nothing for logging. The events carry no secret: the client logs
/// names and codes, never parameters or bodies.
fn init_logging(ui: &Ui, verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("VPNFORM_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::new(spec),
        _ => match verbose {
            0 => return,
            1 => EnvFilter::new("warn,vpnform=debug"),
            _ => EnvFilter::new("debug"),
        },
    };
    let ui = ui.clone();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        // The ui's stream strips colour for pipes and NO_COLOR.
        .with_writer(move || ui.stderr())
        .try_init();
}

/// Parses `--lock-timeout` and similar: the one duration grammar, [`crate::duration`].
pub use crate::duration::parse as parse_duration;

/// The most API requests in flight `--parallelism` allows. Beyond it the per-API rate
/// limits decide the pace anyway, and each request in flight holds a connection.
pub const MAX_PARALLELISM: usize = 1000;

/// Parses `--parallelism`: 1 to [`MAX_PARALLELISM`]. Zero would stall every call, and a
/// huge number overflows the request semaphore (a panic): both are usage errors.
pub fn parallelism(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_PARALLELISM).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{text}` is not a number of requests from 1 to {MAX_PARALLELISM}"
        )),
    }
}

/// The command line as run, for the state lock's holder info (`vpnform apply ...`).
pub fn command_line() -> String {
    let mut words: Vec<String> = std::env::args().skip(1).collect();
    words.insert(0, "vpnform".to_string());
    words.join(" ")
}
