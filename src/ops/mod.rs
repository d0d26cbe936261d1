//! Operations: what a command does, from its request to its result. Each takes a
//! request struct and a [`Reporter`], and composes the layers below (state and its
//! lock, config, plan, apply's executor and journal, the sandbox for rehearsals):
//! [`plan::run`] and [`apply::run`]. The commands in `cli` only build the request from
//! their arguments, pick a view (`crate::views`) and, for apply, ask for approval; tests
//! and benchmarks call the same operations.
//!
//! They sit in a module of their own, as cargo's `ops` do, because an operation needs
//! every layer: in `plan` the plan operation would import the executor's journal check
//! and the sandbox from above it.
//!
//! Data's path: desired YAML -> config -> plan -> apply -> state; **ops** walk it for
//! one command.

pub mod apply;
pub(crate) mod connect;
pub mod export;
pub(crate) mod import;
pub mod init;
pub mod plan;
pub(crate) mod rates;
pub(crate) mod saved;

use std::path::Path;
use std::time::Duration;

pub use connect::{Cloud, Connection, Destination};

use crate::apply::Outcome;
use crate::config::Desired;
use crate::plan::{Graph, Plan};
use crate::state::{LockHolder, STATE_VERSION, State};

/// What an operation tells its caller as it goes. A view renders each event: as text
/// (`crate::views::Human`) or as JSON lines (`crate::views::Json`).
#[derive(Debug)]
pub enum Event<'a> {
    /// The operation starts: the JSON stream's `version` line.
    Begin,
    /// The state lock is held by another run; waiting up to `timeout` for it.
    LockWait {
        holder: Option<&'a LockHolder>,
        timeout: Duration,
    },
    /// No state file at `path`: the plan starts from nothing recorded.
    NoState { path: &'a Path },
    /// A saved plan interrupted mid-apply is run again.
    Resuming { plan_file: &'a Path, hash: &'a str },
    /// Something the user should know that does not stop the operation.
    Warning(&'a str),
    /// The online plan's progress: `done` of `total` units of `stage`; `rate`: requests a
    /// second the stage's API action is sent at now.
    Planning {
        stage: crate::plan::online::Stage,
        done: usize,
        total: usize,
        rate: Option<f64>,
    },
    /// The online plan's refresh and prechecks have ended.
    PlanningDone,
    /// An API action has been throttled for a while (said once per action).
    Throttled(&'a crate::cloud::ThrottleWarning),
    /// A plan, made and checked, to show.
    Planned(PlanShown<'a>),
    /// The plan was made against the in-process sandbox (`--sandbox`).
    PlannedAgainstSandbox,
    /// `plan --out`: the plan was saved to `path`.
    PlanSaved { path: &'a Path },
    /// The executor starts `actions` actions (pending ones included).
    ApplyStarting { actions: usize },
    /// One action's progress.
    Action(&'a crate::apply::ActionEvent),
    /// The executor has ended (whatever drew its progress can go).
    ApplyFinished,
    /// The first Ctrl-C: no new action starts.
    Interrupted,
    /// Apply recorded the attributes the cloud answers for `servers` servers changed
    /// outside vpnform.
    RecordedOutside { servers: usize },
    /// What the apply did.
    Summary(&'a Outcome),
    /// A rehearsal (`apply --sandbox`) ended: the state file `path` was not written; it
    /// would go from `before` to `after`.
    Rehearsed {
        path: &'a Path,
        before: &'a str,
        after: &'a str,
    },
}

/// A plan and what showing it needs.
#[derive(Debug, Clone, Copy)]
pub struct PlanShown<'a> {
    pub plan: &'a Plan,
    pub graph: &'a Graph,
    /// The recorded state the plan was made from (empty if none exists).
    pub state: &'a State,
    pub state_exists: bool,
    /// The state file, as the user names it (for the diff's heading).
    pub state_path: &'a Path,
    /// Made without reading the cloud (`--offline`).
    pub offline: bool,
}

/// Receives an operation's events. `Send + Sync`: the executor reports from its tasks.
pub trait Reporter: Send + Sync {
    fn event(&self, event: &Event<'_>);
}

/// The online plan's progress, passed on as the operation's events.
struct Planning<'a>(&'a dyn Reporter);

impl crate::plan::online::Progress for Planning<'_> {
    fn update(
        &self,
        stage: crate::plan::online::Stage,
        done: usize,
        total: usize,
        rate: Option<f64>,
    ) {
        self.0.event(&Event::Planning {
            stage,
            done,
            total,
            rate,
        });
    }
}

/// Makes the online plan, reporting its progress.
async fn plan_online(
    desired: &Desired,
    state: &State,
    client: &crate::cloud::Client,
    scope: &crate::plan::PlanOptions,
    mode: crate::plan::online::Mode,
    reporter: &dyn Reporter,
) -> Result<Plan, crate::plan::online::OnlineError> {
    let plan = crate::plan::online::plan_with_progress(
        desired,
        state,
        client,
        scope,
        mode,
        &Planning(reporter),
    )
    .await;
    reporter.event(&Event::PlanningDone);
    plan
}

/// Terraform's "Resource targeting is in effect", for a plan made or applied with
/// `--target`.
pub const TARGETING_WARNING: &str = "resource targeting is in effect: this plan holds only \
the actions of the --target addresses and the actions they wait for, so it may not represent \
all of the changes the desired file asks for. --target is not for routine use: it is for \
exceptional situations such as staging a large decommission or recovering from a mistake. \
Run `vpnform plan` without --target afterwards to see what else is pending.";

/// Reports nothing (tests, benchmarks).
pub struct Quiet;

impl Reporter for Quiet {
    fn event(&self, _: &Event<'_>) {}
}

/// What a plan is made from: the recorded state (or an empty one) and the desired file.
pub(crate) struct Loaded {
    pub state: State,
    /// Whether the state file exists (a missing one is planned as empty).
    pub state_exists: bool,
    pub desired: Desired,
    /// The state file's path, or `postgres schema NAME`: how messages name the state.
    pub place: std::path::PathBuf,
    /// Where the state lives, and the request rates earlier runs learned.
    pub backend: std::sync::Arc<dyn crate::state::Backend>,
}

/// The backend the desired file at `desired` names (`backend:`), else the local state
/// directory `state_dir`: [`open_backend`] of a file read for that alone.
pub fn state_backend(
    desired: &Path,
    state_dir: &Path,
) -> anyhow::Result<std::sync::Arc<dyn crate::state::Backend>> {
    open_backend(&crate::config::Source::read(desired)?, state_dir)
}

/// The backend the desired `source` names (`backend:`), else the local state directory
/// `state_dir`.
pub(crate) fn open_backend(
    source: &crate::config::Source,
    state_dir: &Path,
) -> anyhow::Result<std::sync::Arc<dyn crate::state::Backend>> {
    Ok(match source.backend()? {
        Some(schema) => std::sync::Arc::new(crate::state::postgres::Postgres::connect(&schema)?),
        None => std::sync::Arc::new(crate::state::Local::new(state_dir)),
    })
}

/// The desired `source` validated against `state` (whose addresses a `depends_on` may
/// name), and the state's journal checked against it: a plan lists the journal as what
/// apply resolves first, never a planted entry.
pub(crate) fn desired_for(
    source: &crate::config::Source,
    backend: &dyn crate::state::Backend,
    state: &State,
) -> anyhow::Result<Desired> {
    let addresses = state.resources.keys().cloned().collect();
    let desired = source.load(&addresses)?;
    check_pending(backend, state, &desired)?;
    Ok(desired)
}

/// How messages name the state in `backend`: the state file's path, or the backend
/// (`postgres schema NAME`).
pub fn state_label(backend: &dyn crate::state::Backend) -> std::path::PathBuf {
    backend.location().state()
}

/// How messages name the state in `backend` where they name a place: the local state
/// directory, or the backend itself (`postgres schema NAME`).
pub fn state_place(backend: &dyn crate::state::Backend) -> std::path::PathBuf {
    backend.location().place()
}

/// [`crate::apply::check_pending`] for the state in `backend`: on the local file it names
/// the file; elsewhere it names the backend and says how to fix the state through it
/// (the file's message points at the file and its git history).
pub fn check_pending(
    backend: &dyn crate::state::Backend,
    state: &State,
    desired: &crate::config::Desired,
) -> anyhow::Result<()> {
    let location = backend.location();
    let checked = crate::apply::check_pending(state, desired, &location.state());
    match location {
        crate::state::Location::Dir(_) => Ok(checked?),
        crate::state::Location::Schema(_) => checked.map_err(|e| {
            CorruptJournalIn {
                place: location.to_string(),
                entries: e.entries,
            }
            .into()
        }),
    }
}

/// The journal of a state on a backend other than the local file holds entries vpnform
/// did not write ([`crate::apply::CorruptJournal`] for the file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the state in {place} is corrupt: its `pending` journal has {} that vpnform would not \
     have written, so nothing was applied:\n{}\n{} Pull the state (`vpnform state pull > \
     state.yaml`), remove the entries from `pending` if you know no such operation was \
     sent, raise its `serial` by one and push it back (`vpnform state push state.yaml`)",
    if entries.len() == 1 { "an entry".to_string() } else { format!("{} entries", entries.len()) },
    crate::apply::journal::render_entries(entries),
    crate::apply::journal::JOURNALED,
)]
pub struct CorruptJournalIn {
    /// `postgres schema NAME`.
    pub place: String,
    pub entries: Vec<crate::apply::journal::BadEntry>,
}

/// What a plan starts from before any state exists: nothing recorded, no lineage yet
/// (whether a state exists is [`Loaded::state_exists`], not this lineage); apply creates
/// the real state (and its lineage) on the first write.
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

/// An error about several things at once (refused prechecks, failed actions): one
/// message on stderr, and one `diagnostic` each in `--json`.
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
fn refused(plan: &Plan, consequence: &str) -> Option<Several> {
    // A replace's delete half has its own precheck.
    let prechecks = plan.actions.iter().flat_map(|a| {
        std::iter::once((a, "", &a.precheck)).chain(
            a.replaced
                .as_ref()
                .map(|old| (a, "the delete of the old server: ", &old.precheck)),
        )
    });
    let items: Vec<Item> = prechecks
        .filter(|(_, _, p)| matches!(p, crate::plan::Precheck::Failed { .. }))
        .map(|(a, half, p)| Item {
            address: Some(a.address.to_string()),
            message: format!("{half}{}", crate::plan::render::precheck_text(p)),
        })
        .collect();
    (!items.is_empty()).then(|| Several {
        headline: format!(
            "the DryRun precheck refused {} of the plan's calls{consequence}:",
            items.len()
        ),
        separator: "\n",
        items,
    })
}
