//! The executor's entry: a plan's actions become work (each with its token, whom it
//! waits for and its gateway), the scheduler (`schedule.rs`) runs each in its turn, and
//! this module dispatches it to its mutation (`actions.rs`, built of the steps in
//! `step.rs`) or records it (a state-only action), then reports how it ended.
//!
//! A mutation's steps: journal the intent (`pending`, with the ClientToken) and wait
//! until it is durable; send the call with that token (contention waits for the gateway
//! and retries, the client itself retries throttling and transient failures with the
//! same token); wait until the gateway is `active` again (batched polling,
//! [`GatewayWatch`]); confirm with `ListIpsecServers` (a deleted server's absence is
//! read, never inferred from an error); record the result and wait until it is durable.
//!
//! An action that resolves a journal entry of an earlier run (the plan shows it as
//! resuming) re-sends the entry's operation with the journal's token, so a request whose
//! answer was lost is never a second operation.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::actions;
use super::error::StepError;
use super::journal::{Change, Journal};
use super::report::{ActionEvent, ActionReporter};
use super::schedule::{self, Hooks, Lanes, Lease, Ran};
use super::step::Step;
use super::watch::GatewayWatch;
use super::work::{ApplyOptions, Finished, Half, Shared, Work, queued};
use crate::Address;
use crate::cloud::Client;
use crate::plan::{Action, ActionKind};
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub enum ActionResult {
    Done {
        elapsed: Duration,
    },
    /// A delete that found its server already gone (deleted outside vpnform since the
    /// plan): recorded as deleted, counted apart from what this run destroyed.
    AlreadyGone {
        elapsed: Duration,
    },
    Failed {
        error: StepError,
    },
    Skipped {
        because: Address,
    },
    /// A journaled create re-read from the cloud had taken no effect: its entry is
    /// dropped, nothing was sent or made.
    Dropped {
        elapsed: Duration,
    },
    /// Not started because the run was interrupted.
    NotStarted,
}

impl ActionResult {
    /// The action's effect holds: what waits for it may run.
    pub fn is_done(&self) -> bool {
        matches!(
            self,
            ActionResult::Done { .. }
                | ActionResult::AlreadyGone { .. }
                | ActionResult::Dropped { .. }
        )
    }
}

/// What a run did, per address.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub results: BTreeMap<Address, (ActionKind, ActionResult)>,
    /// The addresses whose action was a move (the desired file's `moved`): shown, not
    /// counted, as in the plan.
    pub moved: std::collections::BTreeSet<Address>,
}

impl Outcome {
    /// Done actions of `kind`, a replace counting as a create and as a delete.
    pub fn count(&self, kind: ActionKind) -> usize {
        self.results
            .iter()
            .filter(|(address, _)| !self.moved.contains(*address))
            .filter(|(_, (k, r))| {
                let replace_half = *k == ActionKind::Replace
                    && matches!(kind, ActionKind::Create | ActionKind::Delete);
                match r {
                    ActionResult::Done { .. } => *k == kind || replace_half,
                    // A replace whose delete half failed has added its server.
                    ActionResult::Failed { error } => {
                        *k == ActionKind::Replace
                            && ((kind == ActionKind::Create && error.added_a_server())
                                || (kind == ActionKind::Delete && error.removed_a_server()))
                    }
                    _ => false,
                }
            })
            .count()
    }

    /// Journaled creates that had taken no effect, their entries dropped.
    pub fn dropped(&self) -> usize {
        self.results
            .values()
            .filter(|(_, r)| matches!(r, ActionResult::Dropped { .. }))
            .count()
    }

    /// Deletes whose server was already gone.
    pub fn already_gone(&self) -> usize {
        self.results
            .values()
            .filter(|(_, r)| matches!(r, ActionResult::AlreadyGone { .. }))
            .count()
    }

    pub fn failures(&self) -> Vec<(&Address, String)> {
        self.results
            .iter()
            .filter_map(|(a, (_, r))| match r {
                ActionResult::Failed { error } => Some((a, error.to_string())),
                _ => None,
            })
            .collect()
    }

    pub fn skipped(&self) -> Vec<(&Address, &Address)> {
        self.results
            .iter()
            .filter_map(|(a, (_, r))| match r {
                ActionResult::Skipped { because } => Some((a, because)),
                _ => None,
            })
            .collect()
    }

    pub fn not_started(&self) -> usize {
        self.results
            .values()
            .filter(|(_, r)| matches!(r, ActionResult::NotStarted))
            .count()
    }

    pub fn is_success(&self) -> bool {
        self.results.values().all(|(_, r)| r.is_done())
    }
}

/// The scheduler's news, as the run's events.
struct Events(Arc<dyn ActionReporter>);

impl Hooks<Work> for Events {
    fn skipped(&self, work: &Work, because: &Address) {
        self.0.event(&ActionEvent::Skipped {
            address: work.action.address.clone(),
            action: work.action.action,
            because: because.clone(),
        });
    }

    fn queued(&self, work: &Work, behind: Option<Address>) {
        queued(&*self.0, &work.action, behind);
    }
}

/// What one run of the executor works on.
pub(crate) struct Execution<'a> {
    /// The plan's actions still to run: the journal's entries among them, as the
    /// actions that resolve them (nothing else is sent or recorded).
    pub actions: &'a [Action],
    pub plan_hash: &'a str,
    pub client: Client,
    /// The one writer of the state during the run.
    pub journal: Arc<Journal>,
    pub reporter: Arc<dyn ActionReporter>,
    pub options: ApplyOptions,
    /// The PSKs read from their sources at the start of the run, by address.
    pub keys: BTreeMap<Address, Secret>,
    /// The recorded ids at the start of the run, by address: what a reference by
    /// address (a connection's customer gateway) resolves to.
    pub ids: BTreeMap<Address, String>,
}

/// Runs the actions (and resolves the pending operations), returning what happened to
/// each address.
///
/// `cancel` turning true starts nothing new;
/// what is in flight finishes and is recorded.
pub(crate) async fn execute(execution: Execution<'_>, cancel: watch::Receiver<bool>) -> Outcome {
    let Execution {
        actions,
        plan_hash,
        client,
        journal,
        reporter,
        options,
        keys,
        ids,
    } = execution;
    let works = works(actions);
    let lanes = Arc::new(Lanes::new(cancel));
    let hooks = Arc::new(Events(reporter.clone()));
    let shared = Arc::new(Shared {
        watch: GatewayWatch::with_strategy(
            client.clone(),
            options.poll_interval,
            options.poll_strategy,
        ),
        client,
        journal,
        reporter,
        options,
        plan_hash: plan_hash.to_owned(),
        keys,
        ids: std::sync::Mutex::new(ids),
        lanes: lanes.clone(),
    });
    let kinds: BTreeMap<Address, ActionKind> = works
        .iter()
        .map(|w| (w.action.address.clone(), w.action.action))
        .collect();
    let moved = works
        .iter()
        .filter(|w| w.action.moved_from.is_some())
        .map(|w| w.action.address.clone())
        .collect();
    let ran = schedule::run(works, &lanes, &hooks, move |work, lease| {
        let shared = shared.clone();
        async move { run(&shared, work, lease).await }
    })
    .await;
    let mut outcome = Outcome {
        moved,
        ..Outcome::default()
    };
    for (address, ran) in ran {
        let result = match ran {
            Ran::Finished(Ok(result)) => result,
            Ran::Finished(Err(error)) => ActionResult::Failed { error },
            Ran::Skipped { because } => ActionResult::Skipped { because },
            Ran::NotStarted => ActionResult::NotStarted,
        };
        let kind = kinds[&address];
        outcome.results.insert(address, (kind, result));
    }
    outcome
}

/// The work list: every plan action, an action that resolves a journal entry with that
/// entry's token.
fn works(actions: &[Action]) -> Vec<Work> {
    // One definition of who waits for whom, the graph's (`plan::graph::waits`).
    let mut waits_for: BTreeMap<&str, Vec<Address>> = crate::plan::graph::waits(actions)
        .into_iter()
        .map(|(a, needed)| (a.as_str(), needed.into_iter().cloned().collect()))
        .collect();
    // What some action waits for: its confirmation is urgent.
    let awaited: std::collections::BTreeSet<Address> =
        waits_for.values().flatten().cloned().collect();
    actions
        .iter()
        .map(|a| {
            let resumes = a.resumes.as_ref();
            let half = resumes.and_then(|r| match (a.action, r.deposed, r.action.as_str()) {
                (ActionKind::Delete, true, _) => Some(Half::DeleteDeposed),
                (ActionKind::Delete, false, "create") => Some(Half::Orphan),
                _ => None,
            });
            Work {
                token: resumes.map_or_else(|| a.client_token.clone(), |r| r.client_token.clone()),
                journaled: resumes.is_some(),
                waits_for: waits_for.remove(a.address.as_str()).unwrap_or_default(),
                has_dependents: awaited.contains(&a.address),
                action: a.clone(),
                half,
            }
        })
        .collect()
}

/// Runs one action whose turn it is (a mutation holding its gateway's `lease`) and
/// reports how it ended; `Ok` holds a result that lets its dependents run.
async fn run(shared: &Shared, work: Work, lease: Option<Lease>) -> Result<ActionResult, StepError> {
    // On a VPN gateway this run created (the plan named it by address, and ordered the
    // gateway's create first): its id from here on.
    let mut work = work;
    if work.action.vpn_gateway.parse::<Address>().is_ok()
        && let Some(id) = shared.resolve(&work.action.vpn_gateway)
    {
        work.action.vpn_gateway = id;
    }
    let a = &work.action;
    // The clock starts once the action has its gateway: its elapsed time is its own,
    // not the time it spent queued behind another action.
    let started = Instant::now();
    if !a.mutates_cloud() {
        // A mutation reports its start once its intent is journaled.
        shared.reporter.event(&ActionEvent::Start {
            address: a.address.clone(),
            action: a.action,
            id: a.id.clone(),
        });
    }
    let result = if let Some(lane) = lease {
        let step = Step::new(shared, &work, started);
        if matches!(work.half, Some(Half::Orphan)) {
            match actions::steps_of(a) {
                actions::Steps::IpsecServer => actions::resolve_orphan(&step, lane).await,
                actions::Steps::Synchronous => {
                    super::synchronous::resolve_orphan(&step, lane).await
                }
                actions::Steps::OnLane => super::lane::resolve_orphan(&step, lane).await,
                actions::Steps::SslVpn => super::ssl_vpn::resolve_orphan(&step, lane).await,
                actions::Steps::Route => super::route::resolve_orphan(&step, lane).await,
                actions::Steps::Gateway => super::gateway::resolve_orphan(&step, lane).await,
            }
        } else {
            match a.action {
                ActionKind::Delete => actions::delete_any(&step, lane).await.map(|gone| {
                    if gone {
                        Finished::AlreadyGone
                    } else {
                        Finished::Done(None)
                    }
                }),
                ActionKind::Create => actions::create_any(&step, lane)
                    .await
                    .map(|id| Finished::Done(Some(id))),
                ActionKind::Replace if a.replaces_in_place() => {
                    actions::replace_in_place(&step, lane)
                        .await
                        .map(|(new_id, create_started)| Finished::ReplacedInPlace {
                            new_id,
                            create_started,
                        })
                }
                ActionKind::Replace => actions::replace(&step, lane)
                    .await
                    .map(|delete_started| Finished::Replaced { delete_started }),
                _ => actions::adopt_then_update_any(&step, lane)
                    .await
                    .map(|()| Finished::Done(None)),
            }
        }
    } else {
        let change = match (a.action, &a.moved_from) {
            (ActionKind::Forget, _) => Change::Forgotten {
                address: a.address.clone(),
            },
            (_, Some(from)) => Change::Moved {
                from: from.clone(),
                to: a.address.clone(),
                resource: a.resource_after(),
            },
            _ => Change::Adopted {
                address: a.address.clone(),
                resource: a.resource_after(),
            },
        };
        shared
            .journal
            .record(change)
            .await
            .map(|()| Finished::Done(None))
            .map_err(StepError::NotRecordedOnly)
    };
    match result {
        Ok(Finished::Dropped(message)) => {
            shared.reporter.event(&ActionEvent::Note {
                address: a.address.clone(),
                message,
            });
            Ok(ActionResult::Dropped {
                elapsed: started.elapsed(),
            })
        }
        Ok(Finished::AlreadyGone) => {
            let elapsed = started.elapsed();
            shared.reporter.event(&ActionEvent::AlreadyGone {
                address: a.address.clone(),
                id: a.id.clone(),
                elapsed,
            });
            Ok(ActionResult::AlreadyGone { elapsed })
        }
        Ok(Finished::Done(new_id)) => {
            if let Some(id) = &new_id {
                shared.created(&a.address, id);
            }
            let elapsed = started.elapsed();
            shared.reporter.event(&ActionEvent::Complete {
                address: a.address.clone(),
                action: a.action,
                id: new_id.unwrap_or_else(|| a.id.clone()),
                elapsed,
            });
            Ok(ActionResult::Done { elapsed })
        }
        Ok(Finished::ReplacedInPlace {
            new_id,
            create_started,
        }) => {
            shared.created(&a.address, &new_id);
            // Destroy, then create: it ends with its create half, timed from there.
            shared.reporter.event(&ActionEvent::Complete {
                address: a.address.clone(),
                action: ActionKind::Create,
                id: new_id,
                elapsed: create_started.elapsed(),
            });
            Ok(ActionResult::Done {
                elapsed: started.elapsed(),
            })
        }
        Ok(Finished::Replaced { delete_started }) => {
            // A replace ends with its delete half, as Terraform's create-before-destroy
            // does, timed from that half's start: its create half reported its own
            // completion, with its own time.
            shared.reporter.event(&ActionEvent::Complete {
                address: a.address.clone(),
                action: ActionKind::Delete,
                id: a.id.clone(),
                elapsed: delete_started.elapsed(),
            });
            Ok(ActionResult::Done {
                elapsed: started.elapsed(),
            })
        }
        Err(error) => {
            shared.reporter.event(&ActionEvent::Errored {
                address: a.address.clone(),
                action: a.action,
                id: a.id.clone(),
                elapsed: started.elapsed(),
                error: error.clone(),
            });
            Err(error)
        }
    }
}
