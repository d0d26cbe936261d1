//! Dependency-ordered, per-gateway-serialized execution of a plan.
//!
//! Every action is a task. It waits for the actions it depends on, then (for a delete)
//! for its VPN gateway to be free of other actions of this run, and then runs:
//!
//! 1. journal the intent (`pending`, with the ClientToken) and wait until it is durable;
//! 2. `DeleteIpsecServer` with that token; contention waits for the gateway and retries,
//!    the client itself retries throttling and transient failures with the same token;
//! 3. wait until the gateway is `active` again (batched polling, [`GatewayWatch`]);
//! 4. confirm with `ListIpsecServers` that the server is gone (absence is read, never
//!    inferred from an error);
//! 5. record the deletion (resource and pending entry removed) and wait until durable.
//!
//! An intent left in `pending` by an earlier run is resolved first by reading the cloud
//! and, if the server is still there, re-sent with the token in the journal, so a request
//! whose answer was lost is never a second operation.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::configure_time::Rereads;
use super::error::{StepError, Unmet};
use super::journal::{Change, Journal};
use super::report::{Event, Reporter};
use super::schedule::{self, Hooks, Job, Lanes, Lease, Ran};
use super::watch::{GatewayWatch, PollStrategy, WaitKind};
use crate::Address;
use crate::cloud::{ApiError, Client, DeleteIpsecServer, ErrorClass};
use crate::plan::{Action, ActionKind};
use crate::secret::Secret;
use crate::state::{Deposed, PendingOp};

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Pause between two rounds of gateway status polls in a region.
    pub poll_interval: Duration,
    /// How often a waiting action reports that it is still waiting.
    pub progress_every: Duration,
    /// The longest one wait for a gateway to become active may take.
    pub max_wait: Duration,
    /// How many times a busy gateway is waited for before a delete gives up.
    pub max_contention_waits: u32,
    /// How many `ListIpsecServers` reads confirm a change before giving up on it.
    pub confirm_attempts: u32,
    /// How gateway waits are polled; [`PollStrategy::Fixed`] is the classic fixed-interval
    /// waiter, kept for benchmarks.
    pub poll_strategy: PollStrategy,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            poll_interval: Duration::from_millis(500),
            progress_every: Duration::from_secs(10),
            max_wait: Duration::from_secs(30 * 60),
            max_contention_waits: 20,
            // With pauses from 50ms growing by half up to a second (`Rereads`), sixty
            // reads ride out a status or listing lag of about 55s.
            confirm_attempts: 60,
            poll_strategy: PollStrategy::Adaptive,
        }
    }
}

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
}

impl Outcome {
    /// Done actions of `kind`, a replace counting as a create and as a delete.
    pub fn count(&self, kind: ActionKind) -> usize {
        self.results
            .values()
            .filter(|(k, r)| {
                (*k == kind
                    || (*k == ActionKind::Replace
                        && matches!(kind, ActionKind::Create | ActionKind::Delete)))
                    && matches!(r, ActionResult::Done { .. })
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

/// One unit of work: a plan action or a pending intent of an earlier run.
#[derive(Debug, Clone)]
struct Work {
    action: Action,
    /// The ClientToken to send: the journal's when an intent is pending.
    token: String,
    /// An intent is already journaled (an earlier run's): resolve it from the cloud.
    journaled: bool,
    waits_for: Vec<Address>,
    /// Some other action waits for this one.
    has_dependents: bool,
    /// Which half of a replace this is, if it is one.
    half: Option<Half>,
}

/// The two halves of a replace, each on its own gateway.
#[derive(Debug, Clone)]
enum Half {
    /// The create on the new gateway. Once it is confirmed, one write records the new
    /// server, keeps the old one as `deposed` and journals its delete with `delete_token`
    /// (the token of `delete_plan`, the plan that journaled the create).
    Create {
        deposed: Deposed,
        delete_token: String,
        delete_plan: String,
    },
    /// The delete of the deposed old server: confirmed, it drops `deposed` (and its
    /// pending entry), never the resource, which records the new server.
    DeleteDeposed,
    /// A create journaled by an earlier run whose entry left the desired file: resolved
    /// from the cloud, and its server, if it made one, recorded and deleted.
    Orphan,
}

/// `(region, gateway id)`.
type GatewayKey = (String, String);

struct Shared {
    client: Client,
    journal: Arc<Journal>,
    watch: GatewayWatch,
    reporter: Arc<dyn Reporter>,
    options: ApplyOptions,
    plan_hash: String,
    keys: BTreeMap<Address, Secret>,
    /// One mutation per VPN gateway at a time; cancellation.
    lanes: Arc<Lanes<GatewayKey, Address>>,
}

impl Shared {
    /// Another mutation of this run is still to run on `a`'s gateway.
    fn more_queued(&self, a: &Action) -> bool {
        self.lanes.more_queued(&lane_of(a))
    }
}

fn lane_of(a: &Action) -> GatewayKey {
    (a.region.clone(), a.vpn_gateway.clone())
}

impl Job for Work {
    type Id = Address;
    type Lane = GatewayKey;

    fn id(&self) -> &Address {
        &self.action.address
    }

    fn waits_for(&self) -> &[Address] {
        &self.waits_for
    }

    /// A mutation holds its gateway; a state-only action needs none.
    fn lane(&self) -> Option<GatewayKey> {
        self.action.mutates_cloud().then(|| lane_of(&self.action))
    }
}

/// The scheduler's news, as the run's events.
struct Events(Arc<dyn Reporter>);

impl Hooks<Work> for Events {
    fn skipped(&self, work: &Work, because: &Address) {
        self.0.event(&Event::Skipped {
            address: work.action.address.clone(),
            action: work.action.action,
            because: because.clone(),
        });
    }

    fn queued(&self, work: &Work, behind: Option<Address>) {
        queued(&*self.0, &work.action, behind);
    }
}

/// `a` waits for its gateway, held by `behind` of this run.
fn queued(reporter: &dyn Reporter, a: &Action, behind: Option<Address>) {
    reporter.event(&Event::Queued {
        address: a.address.clone(),
        action: a.action,
        id: a.id.clone(),
        gateway: a.vpn_gateway.clone(),
        behind,
        code: None,
    });
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
    pub reporter: Arc<dyn Reporter>,
    pub options: ApplyOptions,
    /// The PSKs read from their sources at the start of the run, by address.
    pub keys: BTreeMap<Address, Secret>,
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
        lanes: lanes.clone(),
    });
    let kinds: BTreeMap<Address, ActionKind> = works
        .iter()
        .map(|w| (w.action.address.clone(), w.action.action))
        .collect();
    let ran = schedule::run(works, &lanes, &hooks, move |work, lease| {
        let shared = shared.clone();
        async move { run(&shared, work, lease).await }
    })
    .await;
    let mut outcome = Outcome::default();
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
    let deletes: std::collections::BTreeSet<&str> = actions
        .iter()
        .filter(|a| a.action == ActionKind::Delete)
        .map(|a| a.address.as_str())
        .collect();
    // `A depends_on B`: B is deleted only after A, as Terraform destroys.
    let mut waits_for: BTreeMap<&str, Vec<Address>> = BTreeMap::new();
    for a in actions.iter().filter(|a| a.action == ActionKind::Delete) {
        for b in &a.depends_on {
            if deletes.contains(b.as_str()) {
                waits_for
                    .entry(b.as_str())
                    .or_default()
                    .push(a.address.clone());
            }
        }
    }
    // `A depends_on B`, both written (created, replaced, updated, adopted): A only after
    // B, as Terraform creates. The desired file refuses cycles among them.
    let writes = |a: &&Action| a.action.writes();
    let written: std::collections::BTreeSet<&str> = actions
        .iter()
        .filter(writes)
        .map(|a| a.address.as_str())
        .collect();
    for a in actions.iter().filter(writes) {
        let needed = a
            .depends_on
            .iter()
            .filter(|b| written.contains(b.as_str()))
            .cloned();
        waits_for
            .entry(a.address.as_str())
            .or_default()
            .extend(needed);
    }
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
                has_dependents: a.depends_on.iter().any(|b| deletes.contains(b.as_str())),
                action: a.clone(),
                half,
            }
        })
        .collect()
}

/// Runs one action whose turn it is (a mutation holding its gateway's `lease`) and
/// reports how it ended; `Ok` holds a result that lets its dependents run.
async fn run(shared: &Shared, work: Work, lease: Option<Lease>) -> Result<ActionResult, StepError> {
    let a = &work.action;
    // The clock starts once the action has its gateway: its elapsed time is its own,
    // not the time it spent queued behind another action.
    let started = Instant::now();
    if !a.mutates_cloud() {
        // A mutation reports its start once its intent is journaled.
        shared.reporter.event(&Event::Start {
            address: a.address.clone(),
            action: a.action,
            id: a.id.clone(),
        });
    }
    let result = if let Some(gateway) = lease {
        if matches!(work.half, Some(Half::Orphan)) {
            resolve_orphan(shared, &work, started, gateway).await
        } else {
            match a.action {
                ActionKind::Delete => delete(shared, &work, started, gateway).await.map(|gone| {
                    if gone {
                        Finished::AlreadyGone
                    } else {
                        Finished::Done(None)
                    }
                }),
                ActionKind::Create => create(shared, &work, started, gateway)
                    .await
                    .map(|id| Finished::Done(Some(id))),
                ActionKind::Replace => replace(shared, &work, started, gateway)
                    .await
                    .map(|id| Finished::Done(Some(id))),
                _ => adopt_then_update(shared, &work, started, gateway)
                    .await
                    .map(|()| Finished::Done(None)),
            }
        }
    } else {
        let change = match a.action {
            ActionKind::Forget => Change::Forgotten {
                address: a.address.clone(),
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
            shared.reporter.event(&Event::Note {
                address: a.address.clone(),
                message,
            });
            Ok(ActionResult::Dropped {
                elapsed: started.elapsed(),
            })
        }
        Ok(Finished::AlreadyGone) => {
            let elapsed = started.elapsed();
            shared.reporter.event(&Event::AlreadyGone {
                address: a.address.clone(),
                id: a.id.clone(),
                elapsed,
            });
            Ok(ActionResult::AlreadyGone { elapsed })
        }
        Ok(Finished::Done(new_id)) => {
            let elapsed = started.elapsed();
            // A replace ends with its delete half, as Terraform's create-before-destroy
            // does: its create half reported its own completion.
            let (action, id) = match a.action {
                ActionKind::Replace => (ActionKind::Delete, a.id.clone()),
                kind => (kind, new_id.unwrap_or_else(|| a.id.clone())),
            };
            shared.reporter.event(&Event::Complete {
                address: a.address.clone(),
                action,
                id,
                elapsed,
            });
            Ok(ActionResult::Done { elapsed })
        }
        Err(error) => {
            shared.reporter.event(&Event::Errored {
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

/// How an action ended well.
enum Finished {
    /// Done; a create's new id.
    Done(Option<String>),
    /// A delete whose server was already gone.
    AlreadyGone,
    /// Nothing to do after all (a journaled create that made no server): why.
    Dropped(String),
}

/// Deletes `work`'s server; `Ok(true)` when the cloud said it was already gone.
async fn delete(
    shared: &Shared,
    work: &Work,
    started: Instant,
    gateway: Lease,
) -> Result<bool, StepError> {
    let a = &work.action;
    if !work.journaled {
        shared
            .journal
            .record(Change::Pending(PendingOp {
                address: a.address.clone(),
                action: "delete".into(),
                id: Some(a.id.clone()),
                region: a.region.clone(),
                vpn_gateway: a.vpn_gateway.clone(),
                client_token: work.token.clone(),
                plan_hash: shared.plan_hash.clone(),
                started_at: jiff::Timestamp::now()
                    .strftime("%Y-%m-%dT%H:%M:%SZ")
                    .to_string(),
                sent: None,
            }))
            .await
            .map_err(StepError::NotSent)?;
    }
    shared.reporter.event(&Event::Start {
        address: a.address.clone(),
        action: a.action,
        id: a.id.clone(),
    });

    if work.journaled && !listed(shared, work, started, true).await? {
        // An earlier run's delete took effect and only its record was lost.
        return record_deleted(shared, work).await.map(|()| false);
    }

    let request = DeleteIpsecServer {
        region: a.region.clone(),
        ipsec_server_id: a.id.clone(),
        client_token: Some(work.token.clone()),
        dry_run: false,
    };
    let mut contention_waits = 0;
    let mut already_gone = false;
    loop {
        let answer = progress(
            shared,
            work,
            started,
            shared.client.delete_ipsec_server(&request),
        )
        .await;
        match answer {
            Ok(_request_id) => break,
            Err(e) if e.class == ErrorClass::Contention => {
                contention_waits += 1;
                if contention_waits > shared.options.max_contention_waits {
                    abandon(shared, work).await;
                    return Err(StepError::Busy {
                        gateway: a.vpn_gateway.clone(),
                        waits: shared.options.max_contention_waits,
                        error: e,
                    });
                }
                // `IncorrectStatus.*`: read the server again rather than retry blind. Gone:
                // the delete is done (ours, lost on the way, or someone else's); there:
                // wait for its gateway (returns at once when it is idle), then retry.
                if e.is_incorrect_status() && !listed(shared, work, started, true).await? {
                    return record_deleted(shared, work).await.map(|()| false);
                }
                shared.reporter.event(&Event::Queued {
                    address: a.address.clone(),
                    action: a.action,
                    id: a.id.clone(),
                    gateway: a.vpn_gateway.clone(),
                    behind: None,
                    code: Some(e.code.clone()),
                });
                wait_active(shared, work, started, WaitKind::EXACT).await?;
            }
            // The API documents no not-found code; whatever it says, absence is read below.
            // A repeated token gets the first answer again, so a not-found here is not
            // this run's own effect; a journaled intent's earlier request may have been.
            Err(e) if e.class == ErrorClass::NotFound => {
                already_gone = !work.journaled;
                break;
            }
            Err(e) if e.class == ErrorClass::Terminal => {
                // A refusal: this request had no effect. Unless an earlier run's request
                // with this token may have had one, the intent is dropped.
                if !work.journaled {
                    abandon(shared, work).await;
                    return Err(StepError::Api(e));
                }
                return Err(StepError::Api(e).kept());
            }
            Err(e) => {
                // Retries exhausted: the outcome is unknown, so the intent is kept.
                return Err(StepError::Api(e).kept());
            }
        }
    }

    // The gateway stays ours until the delete is confirmed: no document promises a
    // gateway shows `updating` the instant a call is accepted, nor that the listing is
    // current the instant it is `active` again, so only the confirming List proves the
    // operation is over and the gateway free for the next one.
    let accepted = Instant::now();
    let mut rereads = Rereads::new();
    let mut missed = None;
    for attempt in 0..shared.options.confirm_attempts {
        let queued = shared.more_queued(a);
        if attempt == 0 {
            let kind = WaitKind {
                urgent: work.has_dependents || queued,
                after_own_change: true,
            };
            wait_active(shared, work, started, kind).await?;
            if !already_gone {
                until_listing_shows(shared, work, started, accepted).await;
            }
        } else {
            // A confirmation that did not hold: the status or the listing lags.
            before_reread(shared, work, started, rereads.pause()).await?;
        }
        let read = accepted.elapsed();
        // Urgent when an action waits for this one's result or for its gateway;
        // otherwise it may share a ListIpsecServers call with other confirmations.
        if !listed(shared, work, started, work.has_dependents || queued).await? {
            if !already_gone {
                shared.watch.listing_confirmed(&a.region, missed, read);
            }
            let recorded = record_deleted(shared, work).await;
            drop(gateway);
            return recorded.map(|()| already_gone);
        }
        missed = Some(read);
    }
    drop(gateway);
    Err(StepError::Unconfirmed {
        call: "DeleteIpsecServer",
        id: a.id.clone(),
        unmet: Unmet::StillListed,
        reads: shared.options.confirm_attempts,
        gateway: a.vpn_gateway.clone(),
    }
    .kept())
}

/// Journals the intent of a create or update (unless an earlier run did) and reports
/// its start.
async fn journal_intent(shared: &Shared, work: &Work, id: Option<String>) -> Result<(), StepError> {
    let a = &work.action;
    if !work.journaled {
        shared
            .journal
            .record(Change::Pending(PendingOp {
                address: a.address.clone(),
                action: a.action.as_str().into(),
                id,
                region: a.region.clone(),
                vpn_gateway: a.vpn_gateway.clone(),
                client_token: work.token.clone(),
                plan_hash: shared.plan_hash.clone(),
                started_at: jiff::Timestamp::now()
                    .strftime("%Y-%m-%dT%H:%M:%SZ")
                    .to_string(),
                sent: Some(crate::state::SentCreate {
                    values: if a.action == ActionKind::Create {
                        a.attributes.clone()
                    } else {
                        a.cloud_changes()
                            .filter(|c| c.field != "psk")
                            .map(|c| (c.field.clone(), c.to.clone()))
                            .collect()
                    },
                    psk: a
                        .psk
                        .as_ref()
                        .filter(|p| p.changed)
                        .map(|p| p.source.clone()),
                }),
            }))
            .await
            .map_err(StepError::NotSent)?;
    }
    shared.reporter.event(&Event::Start {
        address: a.address.clone(),
        action: a.action,
        id: a.id.clone(),
    });
    Ok(())
}

/// The PSK an action sends: read from its source at the start of this run.
fn key_of(shared: &Shared, a: &Action) -> Result<Option<Secret>, StepError> {
    match &a.psk {
        Some(psk) if psk.changed => match shared.keys.get(&a.address) {
            Some(key) => Ok(Some(key.clone())),
            None => Err(StepError::MissingSecret {
                from: psk.source.clone(),
            }),
        },
        _ => Ok(None),
    }
}

/// Sends a create or update with the action's token until the cloud accepts or refuses
/// it: contention waits for the gateway and retries (the client itself retries
/// throttling and transient failures with the same token).
async fn send<T, F, Fut>(
    shared: &Shared,
    work: &Work,
    started: Instant,
    mut call: F,
) -> Result<T, StepError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let a = &work.action;
    let mut contention_waits = 0;
    loop {
        match progress(shared, work, started, call()).await {
            Ok(answer) => return Ok(answer),
            Err(e) if e.class == ErrorClass::Contention => {
                contention_waits += 1;
                if contention_waits > shared.options.max_contention_waits {
                    if !work.journaled {
                        abandon(shared, work).await;
                    }
                    return Err(StepError::Busy {
                        gateway: a.vpn_gateway.clone(),
                        waits: shared.options.max_contention_waits,
                        error: e,
                    });
                }
                shared.reporter.event(&Event::Queued {
                    address: a.address.clone(),
                    action: a.action,
                    id: a.id.clone(),
                    gateway: a.vpn_gateway.clone(),
                    behind: None,
                    code: Some(e.code.clone()),
                });
                wait_active(shared, work, started, WaitKind::EXACT).await?;
            }
            Err(e) if matches!(e.class, ErrorClass::Terminal | ErrorClass::NotFound) => {
                // A refusal: this request had no effect. Unless an earlier run's request
                // with this token may have had one, the intent is dropped.
                if !work.journaled {
                    abandon(shared, work).await;
                    return Err(StepError::Api(e));
                }
                return Err(StepError::Api(e).kept());
            }
            // Retries exhausted: the outcome is unknown, so the intent is kept.
            Err(e) => return Err(StepError::Api(e).kept()),
        }
    }
}

/// The servers `ListIpsecServers` answers for `a`'s gateway (`id: None`) or for `id`.
async fn list(
    shared: &Shared,
    work: &Work,
    started: Instant,
    id: Option<&str>,
) -> Result<Vec<crate::cloud::IpsecServer>, StepError> {
    let a = &work.action;
    let request = crate::cloud::ListIpsecServers {
        region: a.region.clone(),
        vpn_gateway: id.is_none().then(|| a.vpn_gateway.clone()),
        ids: id.map(|id| vec![id.to_owned()]).unwrap_or_default(),
    };
    progress(
        shared,
        work,
        started,
        shared.client.list_ipsec_servers(&request),
    )
    .await
    .map_err(|error| {
        StepError::Unreadable {
            action: a.action.as_str(),
            error,
        }
        .kept()
    })
}

/// Whether a listed server holds what `a` sent: its values, and the key it sent.
fn holds_intended(shared: &Shared, a: &Action, server: &crate::cloud::IpsecServer) -> bool {
    let key_holds = match &a.psk {
        Some(p) if p.changed => shared
            .keys
            .get(&a.address)
            .is_some_and(|key| server.psk.as_ref() == Some(key)),
        _ => true,
    };
    key_holds
        && crate::plan::calls::holds(
            &crate::plan::calls::attributes(server),
            &crate::plan::calls::intended(a),
        )
}

/// Waits for the gateway, then reads `id` until it holds what `a` sent (bounded); then
/// records it (the listed attributes, never the key) and drops the pending entry.
async fn confirm_and_record(
    shared: &Shared,
    work: &Work,
    started: Instant,
    id: &str,
) -> Result<(), StepError> {
    let a = &work.action;
    let mut rereads = Rereads::new();
    for attempt in 0..shared.options.confirm_attempts {
        if attempt == 0 {
            let kind = WaitKind {
                urgent: true,
                after_own_change: true,
            };
            wait_active(shared, work, started, kind).await?;
        } else {
            // The status or the listing lags.
            before_reread(shared, work, started, rereads.pause()).await?;
        }
        let listed = list(shared, work, started, Some(id)).await?;
        if let Some(server) = listed.iter().find(|s| s.id == id)
            && holds_intended(shared, a, server)
        {
            return record_written(shared, work, id, server).await;
        }
    }
    Err(StepError::Unconfirmed {
        call: if a.action == ActionKind::Create {
            "CreateIpsecServer"
        } else {
            "UpdateIpsecServer"
        },
        id: id.to_owned(),
        unmet: Unmet::ValuesNotListed,
        reads: shared.options.confirm_attempts,
        gateway: a.vpn_gateway.clone(),
    }
    .kept())
}

async fn record_written(
    shared: &Shared,
    work: &Work,
    id: &str,
    server: &crate::cloud::IpsecServer,
) -> Result<(), StepError> {
    let a = &work.action;
    let mut resource = a.resource_after();
    resource.id = id.to_owned();
    resource.attributes = crate::plan::calls::attributes(server);
    let change = match &work.half {
        // The old server is deposed and its delete journaled in the same write, so no
        // moment on disk has the address without a server, or the old one untracked.
        Some(Half::Create {
            deposed,
            delete_token,
            delete_plan,
        }) => Change::Replaced {
            address: a.address.clone(),
            resource: Box::new(resource),
            deposed: deposed.clone(),
            delete: Box::new(PendingOp {
                address: a.address.clone(),
                action: "delete".into(),
                id: Some(deposed.id.clone()),
                region: deposed.region.clone(),
                vpn_gateway: deposed.vpn_gateway.clone(),
                client_token: delete_token.clone(),
                plan_hash: delete_plan.clone(),
                started_at: now(),
                sent: None,
            }),
        },
        _ => Change::Written {
            address: a.address.clone(),
            resource,
        },
    };
    shared.journal.record(change).await.map_err(|error| {
        StepError::NotRecorded {
            id: Some(id.to_owned()),
            change: past(a.action),
            error,
        }
        .kept()
    })
}

fn past(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Create => "created",
        _ => "updated",
    }
}

/// Creates `work`'s server; returns its new id.
///
/// A create journaled by an earlier run is re-sent exactly as it was journaled (its
/// `sent` values, its token): if the earlier request took effect, the cloud answers it
/// again (same token, same parameters) with the same id, so a lost answer is never a
/// second server, and only that answer ties a server to the entry: never a server found
/// on the gateway or holding the same values.
async fn create(
    shared: &Shared,
    work: &Work,
    started: Instant,
    gateway: Lease,
) -> Result<String, StepError> {
    let a = &work.action;
    let key = key_of(shared, a)?;
    journal_intent(shared, work, None).await?;
    let request = crate::plan::calls::create_request(a, key, Some(work.token.clone()), false);
    let created = send(shared, work, started, || {
        shared.client.create_ipsec_server(&request)
    })
    .await?;
    let confirmed = confirm_and_record(shared, work, started, &created.id).await;
    drop(gateway);
    confirmed.map(|()| created.id)
}

/// RFC 3339 UTC, to the second, as `pending` entries record when they were journaled.
fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Replaces `work`'s server, create before destroy: the new server is created on its
/// gateway (held as `gateway`) and confirmed; one write records it, deposes the old one
/// and journals the old one's delete; then the old one is deleted under its own
/// gateway. Each half holds only its own gateway. Returns the new id.
async fn replace(
    shared: &Shared,
    work: &Work,
    started: Instant,
    gateway: Lease,
) -> Result<String, StepError> {
    let a = &work.action;
    let Some(old) = &a.replaced else {
        return Err(StepError::NoOldServer { id: a.id.clone() });
    };
    let deposed = Deposed {
        id: a.id.clone(),
        vpn_gateway: old.vpn_gateway.clone(),
        region: old.region.clone(),
    };
    let create_half = Work {
        action: Action {
            action: ActionKind::Create,
            id: String::new(),
            ..a.clone()
        },
        token: work.token.clone(),
        journaled: work.journaled,
        waits_for: Vec::new(),
        // The delete half waits for it.
        has_dependents: true,
        half: Some(Half::Create {
            deposed: deposed.clone(),
            delete_token: old.client_token.clone(),
            // A resumed replace finishes as the plan that started it.
            delete_plan: a
                .resumes
                .as_ref()
                .map_or_else(|| shared.plan_hash.clone(), |r| r.plan_hash.clone()),
        }),
    };
    let new_id = create(shared, &create_half, started, gateway)
        .await
        .map_err(|error| StepError::ReplaceCreate {
            error: Box::new(error),
            old: deposed.id.clone(),
            gateway: deposed.vpn_gateway.clone(),
        })?;
    shared.reporter.event(&Event::Complete {
        address: a.address.clone(),
        action: ActionKind::Create,
        id: new_id.clone(),
        elapsed: started.elapsed(),
    });
    let delete_half = Work {
        action: Action {
            action: ActionKind::Delete,
            id: deposed.id.clone(),
            region: deposed.region.clone(),
            vpn_gateway: deposed.vpn_gateway.clone(),
            client_token: old.client_token.clone(),
            replaced: None,
            resumes: None,
            ..a.clone()
        },
        token: old.client_token.clone(),
        // Journaled with the new server's record.
        journaled: true,
        waits_for: Vec::new(),
        has_dependents: false,
        half: Some(Half::DeleteDeposed),
    };
    let lane = lane_of(&delete_half.action);
    let taken = shared.lanes.take(&lane, &a.address, |behind| {
        queued(&*shared.reporter, &delete_half.action, behind)
    });
    let Some(gateway) = taken.await else {
        return Err(StepError::ReplaceInterrupted {
            new: new_id,
            old: deposed.id.clone(),
        }
        .kept());
    };
    delete(shared, &delete_half, Instant::now(), gateway)
        .await
        .map_err(|error| StepError::ReplaceDelete {
            new: new_id.clone(),
            old: deposed.id.clone(),
            error: Box::new(error),
        })?;
    Ok(new_id)
}

/// Resolves a create journaled by an earlier run whose entry left the desired file, from
/// the cloud. The gateway (which no recorded server is on: the journal check saw to it)
/// holds no server: the create took no effect, its entry is dropped. It holds one: the
/// create is re-sent with the journal's token and parameters. The cloud answers a token
/// it has seen with the same parameters with its first answer and no second effect, so
/// an answer proves the server is this create's: it is recorded, then deleted, being no
/// longer desired. A refusal of the re-sent create proves the token made nothing (the
/// gateway holds another's server): the entry is dropped and that server left alone.
async fn resolve_orphan(
    shared: &Shared,
    work: &Work,
    started: Instant,
    gateway: Lease,
) -> Result<Finished, StepError> {
    let a = &work.action;
    wait_active(shared, work, started, WaitKind::EXACT).await?;
    let listed = list(shared, work, started, None).await?;
    let Some(server) = listed.iter().find(|s| s.vpn_gateway == a.vpn_gateway) else {
        abandon(shared, work).await;
        return Ok(Finished::Dropped(format!(
            "the create journaled on {} by an interrupted run took no effect (the gateway \
             holds no server); its pending entry is dropped",
            a.vpn_gateway
        )));
    };
    if a.attributes.is_empty() {
        return Err(StepError::OrphanUnsendable {
            gateway: a.vpn_gateway.clone(),
            server: server.id.clone(),
        });
    }
    let create = Action {
        action: ActionKind::Create,
        ..a.clone()
    };
    let key = key_of(shared, &create)?;
    let request = crate::plan::calls::create_request(&create, key, Some(work.token.clone()), false);
    let answer = progress(
        shared,
        work,
        started,
        shared.client.create_ipsec_server(&request),
    )
    .await;
    let id = match answer {
        Ok(created) => created.id,
        Err(e) if e.code == "IdempotentParameterMismatch" => {
            return Err(StepError::OrphanMismatch {
                gateway: a.vpn_gateway.clone(),
                server: server.id.clone(),
                error: e,
            });
        }
        Err(e) if matches!(e.class, ErrorClass::Terminal | ErrorClass::NotFound) => {
            abandon(shared, work).await;
            return Ok(Finished::Dropped(format!(
                "the create journaled on {} by an interrupted run took no effect: {} there is \
                 not its server (re-sent with its token, the create was refused: {}); its \
                 pending entry is dropped and {} left alone",
                a.vpn_gateway, server.id, e.code, server.id
            )));
        }
        Err(e) => return Err(StepError::Api(e).kept()),
    };
    let resource = crate::state::Resource {
        id: id.clone(),
        region: a.region.clone(),
        vpn_gateway: a.vpn_gateway.clone(),
        depends_on: Vec::new(),
        protect: false,
        psk: a.psk.as_ref().map(|p| p.source.clone()),
        attributes: if server.id == id {
            crate::plan::calls::attributes(server)
        } else {
            Default::default()
        },
        deposed: None,
    };
    shared
        .journal
        .record(Change::Written {
            address: a.address.clone(),
            resource,
        })
        .await
        .map_err(|error| {
            StepError::NotRecorded {
                id: Some(id.clone()),
                change: "created",
                error,
            }
            .kept()
        })?;
    let delete_work = Work {
        action: Action {
            action: ActionKind::Delete,
            id: id.clone(),
            psk: None,
            attributes: Default::default(),
            ..a.clone()
        },
        // The plan's own token for the delete of what the journaled create made.
        token: a.client_token.clone(),
        journaled: false,
        waits_for: Vec::new(),
        has_dependents: false,
        half: None,
    };
    delete(shared, &delete_work, started, gateway)
        .await
        .map(|_| Finished::Done(None))
}

/// An adopt whose managed attributes differ is recorded first (as the cloud lists it),
/// then updated in place like any recorded server.
async fn adopt_then_update(
    shared: &Shared,
    work: &Work,
    started: Instant,
    gateway: Lease,
) -> Result<(), StepError> {
    let a = &work.action;
    if a.action == ActionKind::Adopt {
        let mut resource = a.resource_after();
        resource.attributes = a.attributes.clone();
        shared
            .journal
            .record(Change::Adopted {
                address: a.address.clone(),
                resource,
            })
            .await
            .map_err(StepError::NotAdopted)?;
    }
    update(shared, work, started, gateway).await
}

/// Updates `work`'s server in place: `UpdateIpsecServer` with the changed fields only.
/// An update journaled by an earlier run is re-sent as it was journaled, with its token:
/// the cloud answers a repeat with its first answer and no second effect.
async fn update(
    shared: &Shared,
    work: &Work,
    started: Instant,
    gateway: Lease,
) -> Result<(), StepError> {
    let a = &work.action;
    let key = key_of(shared, a)?;
    journal_intent(shared, work, Some(a.id.clone())).await?;
    let request = crate::plan::calls::update_request(a, key, Some(work.token.clone()), false);
    send(shared, work, started, || {
        shared.client.update_ipsec_server(&request)
    })
    .await?;
    let confirmed = confirm_and_record(shared, work, started, &a.id).await;
    drop(gateway);
    confirmed
}

/// Waits, where the region's listing lags behind the gateways' status, until it
/// showed this run's earlier changes (`accepted`: when this one's was): a read sooner
/// is a read wasted.
async fn until_listing_shows(shared: &Shared, work: &Work, started: Instant, accepted: Instant) {
    if let Some(delay) = shared.watch.listing_delay(&work.action.region) {
        progress(
            shared,
            work,
            started,
            tokio::time::sleep_until(accepted + delay),
        )
        .await;
    }
}

/// Before a confirmation that did not hold is read again: the re-read schedule's
/// `pause` and the gateway read again (`active`, or waited for until it is), side by
/// side, so the status read costs no time of its own.
async fn before_reread(
    shared: &Shared,
    work: &Work,
    started: Instant,
    pause: Duration,
) -> Result<(), StepError> {
    let (_, active) = tokio::join!(
        tokio::time::sleep(pause),
        wait_active(shared, work, started, WaitKind::EXACT)
    );
    active
}

/// Drops the pending entry of a request that certainly had no effect.
async fn abandon(shared: &Shared, work: &Work) {
    // A deposed server's delete is never dropped: the old server would be lost track of.
    if matches!(work.half, Some(Half::DeleteDeposed)) {
        return;
    }
    let a = &work.action;
    let _ = shared
        .journal
        .record(Change::Abandoned {
            address: a.address.clone(),
        })
        .await;
}

async fn record_deleted(shared: &Shared, work: &Work) -> Result<(), StepError> {
    let address = work.action.address.clone();
    let change = match work.half {
        Some(Half::DeleteDeposed) => Change::DeposedDeleted { address },
        _ => Change::Deleted { address },
    };
    shared.journal.record(change).await.map_err(|error| {
        StepError::NotRecorded {
            id: None,
            change: "deleted",
            error,
        }
        .kept()
    })
}

/// Whether the server is still listed in the cloud.
async fn listed(
    shared: &Shared,
    work: &Work,
    started: Instant,
    urgent: bool,
) -> Result<bool, StepError> {
    let a = &work.action;
    let listed = progress(
        shared,
        work,
        started,
        shared.watch.listed(&a.region, &a.id, urgent),
    )
    .await
    .map_err(|error| {
        StepError::Unreadable {
            action: "delete",
            error,
        }
        .kept()
    })?;
    Ok(listed)
}

async fn wait_active(
    shared: &Shared,
    work: &Work,
    started: Instant,
    kind: WaitKind,
) -> Result<(), StepError> {
    let a = &work.action;
    let wait = shared
        .watch
        .wait_active_for(&a.region, &a.vpn_gateway, kind);
    match tokio::time::timeout(
        shared.options.max_wait,
        progress(shared, work, started, wait),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(StepError::Wait(e).kept()),
        Err(_) => Err(StepError::WaitTimeout {
            gateway: a.vpn_gateway.clone(),
            within: shared.options.max_wait,
        }
        .kept()),
    }
}

/// Runs `fut`, reporting `Still destroying...` every `progress_every` since `started`.
async fn progress<F: Future>(shared: &Shared, work: &Work, started: Instant, fut: F) -> F::Output {
    let every = shared.options.progress_every;
    tokio::pin!(fut);
    let elapsed = started.elapsed().as_nanos() / every.as_nanos().max(1);
    let first = started + every * (elapsed as u32 + 1);
    let mut tick = tokio::time::interval_at(first, every);
    loop {
        tokio::select! {
            out = &mut fut => return out,
            _ = tick.tick() => {
                let a = &work.action;
                shared.reporter.event(&Event::Progress {
                    address: a.address.clone(),
                    action: a.action,
                    id: a.id.clone(),
                    elapsed: started.elapsed(),
                    gateway: a.vpn_gateway.clone(),
                    status: shared.watch.last_status(&a.region, &a.vpn_gateway),
                });
            }
        }
    }
}
