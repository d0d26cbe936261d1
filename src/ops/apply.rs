//! `apply`: under the state lock, plan afresh (and ask for approval) or check a saved
//! plan against the state, the desired file and the cloud; then run the executor with
//! the journal writing the state (a temp copy when rehearsing), Ctrl-C handled, and
//! report what was done.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::saved::Verification;
use super::{Cloud, Event, Item, PlanShown, Reporter, Several, empty_state, refused};
use crate::apply::saved_check::{self, Start};
use crate::apply::{ApplyOptions, Journal, Outcome, execute};
use crate::config::Desired;
use crate::plan::{Action, ActionKind, Plan, Precheck, online, saved};
use crate::state::{ApplyingPlan, State};

/// What to apply.
pub struct ApplyRequest {
    /// The desired-state file.
    pub desired: PathBuf,
    /// The directory of the recorded state and its lock.
    pub state_dir: PathBuf,
    /// A saved plan (from `plan --out`) to run; `None`: plan afresh and ask.
    pub plan_file: Option<PathBuf>,
    /// Fail if the plan deletes more than this many servers (saved plans too).
    pub max_deletes: Option<usize>,
    /// `--target`: only these addresses' actions and those they wait for; empty: all.
    /// A saved plan must have been made with the same targets.
    pub targets: std::collections::BTreeSet<crate::Address>,
    /// How long to wait for the state lock.
    pub lock_timeout: Duration,
    /// Who takes the lock, for the message another run prints (`vpnform apply ...`).
    pub command: String,
    pub cloud: Cloud,
    /// `--refresh-only`: record the forgets and the changes made outside vpnform, change
    /// nothing in the cloud (a saved plan is refresh-only if it was made so).
    pub refresh_only: bool,
    /// `--destroy`: plan afresh the delete of every recorded resource (a saved destroy
    /// plan carries its own flag).
    pub destroy: bool,
    /// `--replace ADDRESS`: plan afresh a replace of these recorded servers even where
    /// nothing forces it (a saved plan carries its own).
    pub replace: std::collections::BTreeSet<crate::Address>,
    /// How the executor paces itself.
    pub options: ApplyOptions,
    /// Whether Ctrl-C interrupts the run: the first stops new actions (those in flight
    /// finish and are recorded), the second exits the process at once (status 130),
    /// leaving `pending` for the next run. Off for callers that are not a command.
    pub ctrl_c: bool,
}

/// A finished apply: every action done (an incomplete one is an error).
#[derive(Debug)]
pub struct Applied {
    /// What each action did; empty when there was nothing to do.
    pub outcome: Outcome,
    /// The state the run wrote last (of the rehearsal copy when rehearsing); `None` when
    /// nothing was written.
    pub state: Option<State>,
    /// What the state writer did (all zero when nothing ran).
    pub journal: crate::apply::JournalStats,
}

/// A saved plan checked against the files, with the actions it still has to run.
struct SavedRun {
    path: PathBuf,
    plan: Plan,
    actions: Vec<Action>,
}

/// Where the plan comes from.
enum Source {
    Saved(Box<SavedRun>),
    Fresh(Desired),
}

/// Runs the apply `request` asks for. `approve` sees a fresh plan after it was reported
/// and says whether to go on (it is not asked for a saved plan, nor when there is nothing
/// to do). The reporter is shared with the executor's tasks, hence the `Arc`.
pub async fn run(
    request: &ApplyRequest,
    reporter: Arc<dyn Reporter>,
    approve: impl FnOnce(&Plan) -> anyhow::Result<bool>,
) -> anyhow::Result<Applied> {
    reporter.event(&Event::Begin);
    request.cloud.check_endpoint()?;
    // The desired file is read once, here: its `backend` names where the state is, and
    // every later check (a saved plan's SHA-256, the validation) uses these same bytes.
    let source = crate::config::Source::read(&request.desired)?;
    let backend = super::open_backend(&source, &request.state_dir)?;
    // The lock is held for the whole run: plan, approval, every write.
    let _lock = backend.lock(&request.command, request.lock_timeout, &mut |holder| {
        reporter.event(&Event::LockWait {
            holder,
            timeout: request.lock_timeout,
        })
    })?;
    // The state file's path, or `postgres schema NAME`.
    let state_path = super::state_label(&*backend);
    let rehearsal = request.cloud.is_rehearsal();
    let recorded = backend.read()?;
    if let Some(state) = &recorded {
        // Whatever apply does, it writes the state: refuse now what would refuse that
        // write (a serial at its maximum, a link in place of the file), before any call.
        crate::state::next_serial(&state_path, state.serial)?;
        if !rehearsal {
            backend.check_writable(state)?;
        }
    }
    let state_exists = recorded.is_some();
    let state = recorded.clone().unwrap_or_else(empty_state);

    // A rehearsal writes a copy of the state in a temp dir, never the real one.
    let rehearsal_dir = if rehearsal {
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
        None => request.state_dir.clone(),
    };

    let (saved_plan, desired) = load(
        request,
        &source,
        &*backend,
        recorded.as_ref(),
        &state,
        &*reporter,
    )?;
    // A saved plan needs the desired file only to seed a rehearsal.
    let seed = (saved_plan.is_none() || rehearsal).then_some(&desired);
    // Every key read again before any call: a source gone since the plan stops here. A
    // refresh-only run sends none.
    let refresh_only = request.refresh_only
        || saved_plan
            .as_ref()
            .is_some_and(|saved| saved.plan.refresh_only);
    let mut keys: std::collections::BTreeMap<_, _> = if refresh_only {
        Default::default()
    } else {
        crate::config::psk::read_all(&desired)?
            .into_iter()
            .collect()
    };
    if refresh_only && !state.pending.is_empty() {
        reporter.event(&Event::Warning(&format!(
            "the state holds {} pending operation(s) from an interrupted apply; a \
             refresh-only apply does not resolve them (that would send them again): run \
             `vpnform apply` to resolve them",
            state.pending.len()
        )));
    }
    // A journaled create or update is re-sent as it was sent: with the key of the source
    // its entry names (the journal check allows only the desired or the recorded one).
    let desired_dir = desired.path.parent().unwrap_or(Path::new("."));
    for p in state.pending.iter().filter(|_| !refresh_only) {
        if let Some(record) = p.sent.as_ref().and_then(|s| s.psk.as_ref()) {
            let key = record.source(desired_dir).read(&p.address)?;
            keys.insert(p.address.clone(), key);
        }
    }
    let connection = super::connect::connect(&request.cloud, &state, seed, &reporter).await?;
    // Each action starts from the rate an earlier run learned against this endpoint; a
    // rehearsal's sandbox is new every time, and learns nothing worth keeping.
    if !rehearsal {
        super::rates::start(&*backend, &connection.client);
    }
    let source = match saved_plan {
        Some(saved) => Source::Saved(Box::new(saved)),
        None => Source::Fresh(desired),
    };
    let run = Run {
        request,
        // A rehearsal writes its copy as a file, whatever the backend.
        backend: (!rehearsal).then(|| backend.clone()),
        reporter: &reporter,
        client: connection.client.clone(),
        state_path: &state_path,
        state_exists,
        write_dir: &write_dir,
        keys,
    };
    let result = run.go(source, state, approve).await;
    if !rehearsal {
        super::rates::save(&*backend, &connection.client);
    }
    connection.close().await;
    let applied = result?;
    if let (Some(_), Some(final_state)) = (&rehearsal_dir, &applied.state) {
        let before = match &recorded {
            Some(s) => crate::state::to_yaml(s)?,
            None => String::new(),
        };
        let after = crate::state::to_yaml(final_state)?;
        reporter.event(&Event::Rehearsed {
            path: &state_path,
            before: &before,
            after: &after,
        });
    }
    match incomplete(&applied.outcome) {
        Some(err) => Err(err.into()),
        None => Ok(applied),
    }
}

/// What an offline plan's actions would have prechecked online, in words (`create`,
/// `update or delete`, `create, update or delete`); `None` when they change nothing in
/// the cloud.
fn unprechecked(actions: &[crate::plan::Action]) -> Option<String> {
    use crate::plan::ActionKind as K;
    let mutating = || actions.iter().filter(|a| a.mutates_cloud());
    let words: Vec<&str> = [
        (
            "create",
            mutating().any(|a| matches!(a.action, K::Create | K::Replace)),
        ),
        (
            "update",
            mutating().any(|a| matches!(a.action, K::Update | K::Adopt)),
        ),
        (
            "delete",
            mutating().any(|a| matches!(a.action, K::Delete | K::Replace)),
        ),
    ]
    .into_iter()
    .filter_map(|(word, any)| any.then_some(word))
    .collect();
    match words.as_slice() {
        [] => None,
        [one] => Some((*one).to_owned()),
        [rest @ .., last] => Some(format!("{} or {last}", rest.join(", "))),
    }
}

/// Reads the saved plan (if any) and checks it against the state and the desired
/// `source`; validates the desired file and checks the journal against it.
fn load(
    request: &ApplyRequest,
    source: &crate::config::Source,
    backend: &dyn crate::state::Backend,
    recorded: Option<&State>,
    state: &State,
    reporter: &dyn Reporter,
) -> anyhow::Result<(Option<SavedRun>, Desired)> {
    let Some(path) = &request.plan_file else {
        let desired = super::desired_for(source, backend, state)?;
        // Validated as written, then planned as if it had no entry.
        let desired = if request.destroy {
            desired.emptied()
        } else {
            desired
        };
        return Ok((None, desired));
    };
    // `required_version` comes first, as in every command: a vpnform too old or too new
    // for this repository reads no saved plan either.
    source.check_required_version()?;
    let saved = saved::load(path)?;
    if request.refresh_only && !saved.refresh_only {
        anyhow::bail!(
            "the saved plan {} is not a refresh-only plan, and --refresh-only asks for one: \
             apply it without --refresh-only to run what it plans, or make a refresh-only \
             plan with `vpnform plan --refresh-only --out FILE`",
            path.display()
        );
    }
    let plan = saved.plan();
    // A saved plan runs against this workspace's desired file (the default, or
    // `--desired`), never a path read from the plan: one made for another file is refused.
    if saved.desired_path != request.desired {
        return Err(saved_check::Refused::OtherDesired {
            path: path.clone(),
            saved: saved.desired_path.clone(),
            desired: request.desired.clone(),
        }
        .into());
    }
    // A missing desired file is said before anything about the plan's contents.
    source.sha256()?;
    saved_check::same_version(path, &saved.vpnform_version)?;
    if saved.offline {
        let unchecked = match unprechecked(&plan.actions) {
            Some(calls) => format!(" and no {calls} was prechecked with DryRun"),
            None => String::new(),
        };
        reporter.event(&Event::Warning(&format!(
            "the saved plan {} was made with --offline: the cloud was not read{unchecked}",
            path.display()
        )));
    }
    let given: Vec<crate::Address> = request.targets.iter().cloned().collect();
    if !request.targets.is_empty() && given != saved.targets {
        return Err(saved_check::Refused::OtherTargets {
            path: path.clone(),
            saved: saved.targets.clone(),
            given,
        }
        .into());
    }
    if !saved.targets.is_empty() {
        reporter.event(&Event::Warning(super::TARGETING_WARNING));
    }
    let (start, desired, actions) =
        match super::saved::verify(&plan, path, backend, recorded, source)? {
            Verification::Stale(refused) => return Err(refused.into()),
            Verification::Verified {
                start,
                desired,
                actions,
            } => (start, desired, actions),
        };
    // Limits apply to a saved plan as to a fresh one.
    let deletes = crate::plan::plan_deletes(&actions);
    if let Some(max) = request.max_deletes
        && deletes > max
    {
        return Err(crate::plan::PlanError::TooManyDeletes { deletes, max }.into());
    }
    if start == Start::Resume {
        reporter.event(&Event::Resuming {
            plan_file: path,
            hash: &plan.hash,
        });
    }
    let saved = SavedRun {
        path: path.clone(),
        plan,
        actions,
    };
    Ok((Some(saved), desired))
}

/// One apply after loading: the plan to run, the executor, the summary.
struct Run<'a> {
    request: &'a ApplyRequest,
    backend: Option<Arc<dyn crate::state::Backend>>,
    reporter: &'a Arc<dyn Reporter>,
    client: crate::cloud::Client,
    state_path: &'a Path,
    state_exists: bool,
    write_dir: &'a Path,
    /// The PSKs read from their sources at the start of this run, by address.
    keys: std::collections::BTreeMap<crate::Address, crate::secret::Secret>,
}

impl Run<'_> {
    async fn go(
        &self,
        source: Source,
        state: State,
        approve: impl FnOnce(&Plan) -> anyhow::Result<bool>,
    ) -> anyhow::Result<Applied> {
        let nothing = || Applied {
            outcome: Outcome::default(),
            state: None,
            journal: Default::default(),
        };
        let (plan, mut actions, answered) = match source {
            Source::Saved(saved) => {
                // What the plan took from the cloud is read again before anything is
                // dropped or recorded from it; so are the servers it lists as changed
                // outside vpnform: the cloud's answer is recorded, never the file's.
                let mut regions = saved_check::cloud_regions(&saved.actions);
                regions.extend(
                    saved
                        .plan
                        .drift
                        .iter()
                        .filter_map(|d| state.resources.get(&d.address))
                        .map(|r| r.region.clone()),
                );
                // So is every server an update sends an object of whole: the change is
                // merged with what the cloud holds now.
                regions.extend(
                    saved
                        .actions
                        .iter()
                        .filter(|a| a.action == ActionKind::Update)
                        .filter(|a| crate::plan::calls::sends_whole_object(a))
                        .map(|a| a.region.clone()),
                );
                let mut answered = BTreeMap::new();
                if !regions.is_empty() {
                    let scope = online::Scope::of(
                        regions.clone(),
                        saved
                            .actions
                            .iter()
                            .map(|a| (&a.address, &a.region, &a.vpn_gateway)),
                    );
                    let found = online::refresh(&self.client, scope)
                        .await
                        .map_err(online::OnlineError::Refresh)?;
                    saved_check::check_cloud(&saved.actions, &saved.path, &found)?;
                    answered = online::recorded_attributes(&state, &found);
                }
                if saved.plan.read_only {
                    self.deferred_prechecks(&saved).await?;
                }
                (saved.plan, saved.actions, answered)
            }
            Source::Fresh(desired) => {
                let plan = super::plan_online(
                    &desired,
                    &state,
                    &self.client,
                    &crate::plan::PlanOptions {
                        max_deletes: self.request.max_deletes,
                        refresh: None,
                        targets: self.request.targets.clone(),
                        replace: self.request.replace.clone(),
                        destroy: self.request.destroy,
                    },
                    if self.request.refresh_only {
                        online::Mode::RefreshOnly
                    } else {
                        online::Mode::Full
                    },
                    &**self.reporter,
                )
                .await?;
                let plan = if self.request.destroy {
                    crate::plan::destroying(plan)
                } else {
                    plan
                };
                let graph = plan.graph()?;
                if !plan.targets.is_empty() {
                    self.reporter
                        .event(&Event::Warning(super::TARGETING_WARNING));
                }
                self.reporter.event(&Event::Planned(PlanShown {
                    plan: &plan,
                    graph: &graph,
                    state: &state,
                    state_exists: self.state_exists,
                    state_path: self.state_path,
                    offline: false,
                }));
                for warning in &plan.warnings {
                    self.reporter.event(&Event::Warning(warning));
                }
                if let Some(refused) = refused(&plan, ", so nothing was applied") {
                    return Err(refused.into());
                }
                // This run's refresh read them: the cloud's answer as of now.
                let answered: BTreeMap<_, _> = plan
                    .drift
                    .iter()
                    .map(|d| (d.address.clone(), d.attributes.clone()))
                    .collect();
                if plan.refresh_only && !plan.records_anything() {
                    return Ok(nothing());
                }
                if !plan.has_changes() && !plan.refresh_only {
                    // Recording what changed outside vpnform changes nothing in the
                    // cloud: no approval asked, as for a plan without changes.
                    let refreshed = refreshed(&plan, &[], &state, &answered);
                    if refreshed.is_empty() || self.request.cloud.is_rehearsal() {
                        return Ok(nothing());
                    }
                    return self.record_only(&plan, refreshed, state).await;
                }
                if !approve(&plan)? {
                    anyhow::bail!("apply cancelled: nothing was changed");
                }
                let actions = plan.actions.clone();
                (plan, actions, answered)
            }
        };
        // A rehearsal's cloud is seeded from the state: what it answers is no news.
        let refreshed = if self.request.cloud.is_rehearsal() {
            Vec::new()
        } else {
            refreshed(&plan, &actions, &state, &answered)
        };
        if actions.is_empty() {
            if !refreshed.is_empty() {
                return self.record_only(&plan, refreshed, state).await;
            }
            self.reporter.event(&Event::Summary(&Outcome::default()));
            return Ok(nothing());
        }
        // An update of `protect` or `depends_on` records the resource as the plan saw
        // it: with the attributes the cloud answers now, not the old ones.
        let now: BTreeMap<&crate::Address, &BTreeMap<String, String>> =
            refreshed.iter().map(|(a, _, now)| (a, now)).collect();
        for action in actions.iter_mut().filter(|a| !a.mutates_cloud()) {
            if let Some(attributes) = now.get(&action.address) {
                action.attributes = (*attributes).clone();
            }
        }
        // An update sends `IkeConfig`/`IpsecConfig` whole, built from its attributes:
        // those are the cloud's answer where this run read one, so a key changed
        // outside vpnform is sent as the cloud holds it, not as the state recorded it.
        for action in actions
            .iter_mut()
            .filter(|a| a.action == ActionKind::Update && a.mutates_cloud())
        {
            if let Some(attributes) = answered.get(&action.address) {
                action.attributes = attributes.clone();
            }
        }
        self.execute(&plan, &actions, state, refreshed).await
    }

    /// Runs the prechecks a `--read-only` plan deferred, with this run's key, before
    /// anything is sent: a terminal failure refuses the whole plan; a transient one is a
    /// warning, as in a plan.
    async fn deferred_prechecks(&self, saved: &SavedRun) -> anyhow::Result<()> {
        let mut actions = saved.actions.clone();
        online::precheck_with_progress(
            &self.client,
            &mut actions,
            &self.keys,
            &super::Planning(&**self.reporter),
        )
        .await;
        self.reporter.event(&Event::PlanningDone);
        let mut failed = Vec::new();
        for action in &actions {
            let halves = std::iter::once(("", &action.precheck)).chain(
                action
                    .replaced
                    .as_ref()
                    .map(|old| (" (the delete of the replaced server)", &old.precheck)),
            );
            for (half, precheck) in halves {
                let line = format!(
                    "{}{half}: {}",
                    action.address,
                    crate::plan::render::precheck_text(precheck)
                );
                match precheck {
                    Precheck::Failed { .. } => failed.push(line),
                    Precheck::Warning { .. } => self
                        .reporter
                        .event(&Event::Warning(&format!("precheck {line}"))),
                    _ => {}
                }
            }
        }
        if !failed.is_empty() {
            anyhow::bail!(
                "the saved plan {} was made with --read-only, and {} of the prechecks it \
                 deferred to apply failed with this run's key, so nothing was applied:\n  {}\n\
                 For Forbidden, give this key the policy `vpnform policy --apply` prints and \
                 run `vpnform apply {}` again; for anything else, fix the desired file and make \
                 a new plan",
                saved.path.display(),
                failed.len(),
                failed.join("\n  "),
                saved.path.display()
            );
        }
        Ok(())
    }

    /// Records the attributes of servers changed outside vpnform, when the plan has
    /// nothing else to do: one write.
    async fn record_only(
        &self,
        plan: &Plan,
        refreshed: Vec<Refreshed>,
        state: State,
    ) -> anyhow::Result<Applied> {
        let journal = self.journal(plan, state, false);
        let shown = shown_count(plan, &refreshed);
        journal
            .record(crate::apply::Change::Refreshed(refreshed))
            .await?;
        let (final_state, stats) = journal.finish_with_stats().await;
        if shown > 0 {
            self.reporter
                .event(&Event::RecordedOutside { servers: shown });
        }
        let outcome = Outcome::default();
        self.reporter.event(&Event::Summary(&outcome));
        Ok(Applied {
            outcome,
            state: Some(final_state),
            journal: stats,
        })
    }

    /// Runs `actions` (and the journal's pending operations) with the journal writing
    /// the state, and reports the summary.
    async fn execute(
        &self,
        plan: &Plan,
        actions: &[Action],
        state: State,
        refreshed: Vec<Refreshed>,
    ) -> anyhow::Result<Applied> {
        // The tokens of the state the journal writes: a plan made before any state
        // existed is tokened for the lineage its first write creates.
        let state = self.journal_state(state);
        let mut plan = plan.clone();
        plan.actions = actions.to_vec();
        plan.token(&state.lineage);
        let actions = &plan.actions[..];
        let plan = &plan;
        // The ids a reference by address resolves to; a create of this run adds its own.
        let ids = state
            .resources
            .iter()
            .map(|(a, r)| (a.clone(), r.id.clone()))
            .collect();
        let journal = Arc::new(self.journal(plan, state, true));
        if !refreshed.is_empty() {
            // In the write that marks the plan as in progress, before any action.
            let shown = shown_count(plan, &refreshed);
            journal
                .record(crate::apply::Change::Refreshed(refreshed))
                .await?;
            if shown > 0 {
                self.reporter
                    .event(&Event::RecordedOutside { servers: shown });
            }
        }
        let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
        let interrupts = self.request.ctrl_c.then(|| {
            let reporter = self.reporter.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    reporter.event(&Event::Interrupted);
                    let _ = cancel_tx.send(true);
                    if tokio::signal::ctrl_c().await.is_ok() {
                        std::process::exit(130);
                    }
                }
            })
        });
        // A replace reports two operations: its create, then its delete.
        let replaces = actions.iter().filter(|a| a.creates_and_deletes()).count();
        self.reporter.event(&Event::ApplyStarting {
            actions: actions.len() + replaces,
        });
        let forward: Arc<dyn crate::apply::ActionReporter> =
            Arc::new(Forward(self.reporter.clone()));
        let outcome = execute(
            crate::apply::Execution {
                actions,
                plan_hash: &plan.hash,
                client: self.client.clone(),
                journal: journal.clone(),
                reporter: forward,
                options: self.request.options.clone(),
                keys: self.keys.clone(),
                ids,
            },
            cancel_rx,
        )
        .await;
        self.reporter.event(&Event::ApplyFinished);
        if let Some(interrupts) = interrupts {
            interrupts.abort();
        }
        let journal = Arc::into_inner(journal).expect("every action task has ended");
        if outcome.is_success()
            && let Err(err) = journal.record(crate::apply::Change::Finished).await
        {
            self.reporter.event(&Event::Warning(&format!(
                "every action is done, but the state still marks the plan as in progress: {err}"
            )));
        }
        let (final_state, journal) = journal.finish_with_stats().await;
        self.reporter.event(&Event::Summary(&outcome));
        Ok(Applied {
            outcome,
            state: Some(final_state),
            journal,
        })
    }
}

impl Run<'_> {
    /// The state the run's journal starts from: `state`, or, when nothing is recorded
    /// yet, a new one whose first write creates the state and its lineage.
    fn journal_state(&self, state: State) -> State {
        if self.state_exists || !state.lineage.is_empty() {
            state
        } else {
            State::with_new_lineage()
        }
    }

    /// The run's state writer over `state`; `applying`: stamp the plan into its first
    /// write, so that an interrupted saved plan can resume.
    fn journal(&self, plan: &Plan, state: State, applying: bool) -> Journal {
        let journal_state = self.journal_state(state);
        // Where the journal's messages say it writes: the state dir, or the schema.
        let journal_place = match &self.backend {
            Some(backend) => backend.location().place(),
            None => self.write_dir.to_owned(),
        };
        Journal::start(
            journal_place,
            journal_state,
            applying.then(|| ApplyingPlan {
                plan_hash: plan.hash.clone(),
                base_serial: plan.serial,
            }),
            match &self.backend {
                Some(backend) => {
                    let backend = backend.clone();
                    Arc::new(move |_: &Path, s: &State| backend.write(s).map_err(|e| e.to_string()))
                }
                None => Arc::new(|dir: &Path, s: &State| {
                    crate::state::write(dir, s).map_err(|e| e.to_string())
                }),
            },
        )
    }
}

/// The attributes to record for one server changed outside vpnform:
/// `(address, id, attributes)`.
type Refreshed = (crate::Address, String, BTreeMap<String, String>);

/// What apply records of the changes made outside vpnform that `plan` lists: for each of
/// its servers still recorded under the same id, the attributes the cloud answers now
/// (`answered`, by address: read by this run) where they differ from the recorded ones.
/// None for a server that one of `actions` changes in the cloud: its confirmation
/// records what the cloud answers then.
fn refreshed(
    plan: &Plan,
    actions: &[Action],
    state: &State,
    answered: &BTreeMap<crate::Address, BTreeMap<String, String>>,
) -> Vec<Refreshed> {
    let mutated: std::collections::BTreeSet<&crate::Address> = actions
        .iter()
        .filter(|a| a.mutates_cloud())
        .map(|a| &a.address)
        .collect();
    plan.drift
        .iter()
        .filter(|d| !mutated.contains(&d.address))
        .filter_map(|d| {
            let recorded = state.resources.get(&d.address)?;
            let now =
                crate::plan::drift::with_answer(&recorded.attributes, answered.get(&d.address)?);
            (recorded.id == d.id && recorded.attributes != now)
                .then(|| (d.address.clone(), d.id.clone(), now))
        })
        .collect()
}

/// How many of `refreshed` the plan showed as changed outside vpnform (the others only
/// complete what the state never held).
fn shown_count(plan: &Plan, refreshed: &[Refreshed]) -> usize {
    let shown: std::collections::BTreeSet<&crate::Address> =
        plan.shown_drift().map(|d| &d.address).collect();
    refreshed
        .iter()
        .filter(|(address, ..)| shown.contains(address))
        .count()
}

/// The executor's events, passed on as the operation's.
struct Forward(Arc<dyn Reporter>);

impl crate::apply::ActionReporter for Forward {
    fn event(&self, event: &crate::apply::ActionEvent) {
        self.0.event(&Event::Action(event));
    }
}

/// A run that did not do every action, as one error naming each failed, skipped and
/// unstarted action; `None` for a complete run.
fn incomplete(outcome: &Outcome) -> Option<Several> {
    if outcome.is_success() {
        return None;
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
    Some(Several {
        headline: "apply did not finish: the state records every action that did".into(),
        separator: "\n\n",
        items,
    })
}
