//! Waiting for VPN gateways to return to `active`, and confirming deletes with batched
//! `ListIpsecServers` reads.
//!
//! A delete makes its gateway `updating` for as long as the cloud takes. Every action
//! that waits registers here; one poll loop per region then asks for the status of the
//! gateways whose wait is due in one round, so a thousand gateways configuring side by
//! side cost a few calls a round, not one each.
//!
//! With [`PollStrategy::Adaptive`] (the default) the loop learns how long the region's
//! gateways take to configure and polls a gateway first when it should be done, then
//! every twentieth of that until it is: the wait ends within a few percent of the
//! configure time instead of up to a whole fixed interval late. A round that waits only
//! on gateways this run made busy asks for the region's `updating` gateways
//! (`DescribeVpnGateways` with `Status=updating`, one page for up to 50) and takes a
//! waited gateway missing from that answer as done; any other wait reads the gateway
//! itself. A wait nobody is queued behind (no further action on the gateway, no
//! dependent) is "lazy": its round may come a little later, so that many such waits
//! share one call. [`PollStrategy::Fixed`] is the classic waiter: one
//! `DescribeVpnGateway` per waited gateway every `interval`, for comparisons.
//!
//! Confirmations go through the same per-region batching, deletes', creates' and
//! updates' alike: up to 20 server ids per `ListIpsecServers` (`IpsecServerId.N`); an
//! urgent confirmation is sent at once with whatever else is queued, a lazy one waits a
//! little for company.

use super::configure_time::{PollStrategy, WaitKind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

use super::configure_time::{ConfigureTime, ListingDelay};
use crate::cloud::{ApiError, Client, ErrorClass, VpnGateway};
use crate::kinds::ipsec_server::{IpsecServer, ListIpsecServers};

#[derive(Debug, Clone, thiserror::Error)]
pub enum WaitError {
    #[error("VPN gateway {gateway} in {region} no longer exists")]
    GatewayGone { region: String, gateway: String },
    #[error("VPN gateway {gateway} in {region} is {status}: it will not become active")]
    GatewayDeleting {
        region: String,
        gateway: String,
        status: String,
    },
    #[error("cannot read the status of VPN gateway {gateway}: {error}")]
    Api { gateway: String, error: ApiError },
}

type Answer = oneshot::Sender<Result<VpnGateway, WaitError>>;

struct Waiter {
    tx: Answer,
    kind: WaitKind,
    registered: Instant,
    due: Instant,
    polls: u32,
}

#[derive(Default)]
struct Region {
    waiters: HashMap<String, Vec<Waiter>>,
    last_status: HashMap<String, String>,
    running: bool,
    wake: Arc<Notify>,
    /// The learned configure time (from the delete's answer to `active`).
    estimate: Option<Duration>,
    /// How late the listing shows a change, where it lags.
    listing: ListingDelay,
    confirms: Vec<Confirm>,
    confirming: bool,
    confirm_wake: Arc<Notify>,
}

struct Confirm {
    id: String,
    urgent: bool,
    queued: Instant,
    tx: oneshot::Sender<Result<Option<IpsecServer>, ApiError>>,
}

struct Inner {
    client: Client,
    interval: Duration,
    strategy: PollStrategy,
    regions: Mutex<HashMap<String, Region>>,
}

/// Shared by every action of a run.
#[derive(Clone)]
pub(crate) struct GatewayWatch {
    inner: Arc<Inner>,
}

/// Consecutive failed rounds (after the client's own retries) before waiters are told.
const MAX_FAILED_ROUNDS: u32 = 5;
/// `ListIpsecServers` takes at most this many `IpsecServerId.N`.
const CONFIRM_BATCH: usize = 20;

impl GatewayWatch {
    /// `interval`: the pause between two polling rounds of a region before a configure
    /// time has been observed (and always, with [`PollStrategy::Fixed`]).
    pub(crate) fn with_strategy(
        client: Client,
        interval: Duration,
        strategy: PollStrategy,
    ) -> Self {
        GatewayWatch {
            inner: Arc::new(Inner {
                client,
                interval,
                strategy,
                regions: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Returns once `gateway` is done configuring; see [`WaitKind`].
    pub(crate) async fn wait_active_for(
        &self,
        region: &str,
        gateway: &str,
        kind: WaitKind,
    ) -> Result<VpnGateway, WaitError> {
        let (tx, rx) = oneshot::channel();
        let now = Instant::now();
        let (spawn, wake) = {
            let mut regions = self.inner.regions.lock().unwrap();
            let r = regions.entry(region.to_owned()).or_default();
            let first = self.inner.configure_time(r).first_poll(kind);
            r.waiters
                .entry(gateway.to_owned())
                .or_default()
                .push(Waiter {
                    tx,
                    kind,
                    registered: now,
                    due: now + first,
                    polls: 0,
                });
            (!std::mem::replace(&mut r.running, true), r.wake.clone())
        };
        if spawn {
            tokio::spawn(poll_region(self.inner.clone(), region.to_owned()));
        } else {
            wake.notify_one();
        }
        rx.await.expect("the poll loop answers every waiter")
    }

    /// Whether server `id` is still listed (`ListIpsecServers`, batched with the other
    /// confirmations of the region; `urgent`: sent at once).
    pub(crate) async fn listed(
        &self,
        region: &str,
        id: &str,
        urgent: bool,
    ) -> Result<bool, ApiError> {
        Ok(self.listed_as(region, id, urgent).await?.is_some())
    }

    /// Server `id` as `ListIpsecServers` lists it (`None`: not listed), batched like
    /// [`Self::listed`].
    pub(crate) async fn listed_as(
        &self,
        region: &str,
        id: &str,
        urgent: bool,
    ) -> Result<Option<IpsecServer>, ApiError> {
        let (tx, rx) = oneshot::channel();
        let (spawn, wake) = {
            let mut regions = self.inner.regions.lock().unwrap();
            let r = regions.entry(region.to_owned()).or_default();
            r.confirms.push(Confirm {
                id: id.to_owned(),
                urgent: urgent || self.inner.strategy == PollStrategy::Fixed,
                queued: Instant::now(),
                tx,
            });
            (
                !std::mem::replace(&mut r.confirming, true),
                r.confirm_wake.clone(),
            )
        };
        if spawn {
            tokio::spawn(confirm_region(self.inner.clone(), region.to_owned()));
        } else {
            wake.notify_one();
        }
        rx.await.expect("the confirm loop answers every request")
    }

    /// The status last read for `gateway`, for progress lines.
    pub(crate) fn last_status(&self, region: &str, gateway: &str) -> Option<String> {
        let regions = self.inner.regions.lock().unwrap();
        regions.get(region)?.last_status.get(gateway).cloned()
    }

    /// When, after acceptance, a change's first confirming read should go in `region`
    /// (`None`: once its gateway is active).
    pub(crate) fn listing_delay(&self, region: &str) -> Option<Duration> {
        let regions = self.inner.regions.lock().unwrap();
        regions.get(region)?.listing.first_read()
    }

    /// A confirmation in `region` held at the read sent `held` after the change was
    /// accepted; `missed`: the last earlier read that did not hold (a lagging listing).
    pub(crate) fn listing_confirmed(&self, region: &str, missed: Option<Duration>, held: Duration) {
        if self.inner.strategy == PollStrategy::Fixed {
            // The classic waiter learns nothing.
            return;
        }
        let mut regions = self.inner.regions.lock().unwrap();
        regions
            .entry(region.to_owned())
            .or_default()
            .listing
            .observe(missed, held);
    }
}

impl Inner {
    /// The region's configure time as learned so far, with this watch's poll timing.
    fn configure_time(&self, r: &Region) -> ConfigureTime {
        ConfigureTime::new(self.strategy, self.interval, r.estimate)
    }
}

/// The time the next round must start: the earliest due urgent wait, or a lazy one's
/// due time plus slack.
fn next_round(r: &Region, time: ConfigureTime) -> Option<Instant> {
    // Waiting for company makes sense only when there is some: a last wait is served
    // when due.
    let slack = if r.waiters.len() > 1 {
        time.slack()
    } else {
        Duration::ZERO
    };
    r.waiters
        .values()
        .flatten()
        .map(|w| if w.kind.urgent { w.due } else { w.due + slack })
        .min()
}

async fn poll_region(inner: Arc<Inner>, region: String) {
    let mut failed_rounds = 0;
    loop {
        // Sleep until the next round is due; a new waiter may bring it forward.
        loop {
            let (at, wake) = {
                let regions = inner.regions.lock().unwrap();
                let r = &regions[&region];
                (next_round(r, inner.configure_time(r)), r.wake.clone())
            };
            if !sleep_unless_woken(at, &wake).await {
                break;
            }
        }
        let started = Instant::now();
        let (due, mut time) = {
            let mut regions = inner.regions.lock().unwrap();
            let r = regions.get_mut(&region).expect("registered");
            if r.waiters.is_empty() {
                r.running = false;
                return;
            }
            (r.due(started), inner.configure_time(r))
        };
        if due.is_empty() {
            continue;
        }
        let answer = read_statuses(&inner, &region, &due).await;
        let now = Instant::now();
        let mut regions = inner.regions.lock().unwrap();
        let r = regions.get_mut(&region).expect("registered");
        match answer {
            Ok(statuses) => {
                failed_rounds = 0;
                r.settle(&region, statuses, started, now, &mut time);
                if inner.strategy == PollStrategy::Adaptive {
                    r.estimate = time.estimate();
                }
            }
            Err(error) => {
                failed_rounds += 1;
                let give_up = failed_rounds >= MAX_FAILED_ROUNDS
                    || !matches!(error.class, ErrorClass::Throttling | ErrorClass::Transient);
                r.failed_round(error, give_up, now + inner.interval);
            }
        }
        if r.waiters.is_empty() {
            r.running = false;
            return;
        }
    }
}

impl Region {
    /// The gateways with a wait due at `started`, each read exactly unless every wait on
    /// it is for this run's own change.
    fn due(&self, started: Instant) -> Vec<(String, WaitKind)> {
        self.waiters
            .iter()
            .filter(|(_, ws)| ws.iter().any(|w| w.due <= started))
            .map(|(id, ws)| {
                let inferable = ws.iter().all(|w| w.kind.after_own_change);
                (
                    id.clone(),
                    WaitKind {
                        urgent: true,
                        after_own_change: inferable,
                    },
                )
            })
            .collect()
    }

    /// Answers the waits on every gateway of a round (read when the round `started`,
    /// answered at `now`) that is done or will never be, reschedules the others, and
    /// learns the configure time from both.
    fn settle(
        &mut self,
        region: &str,
        statuses: Vec<(String, Option<VpnGateway>)>,
        started: Instant,
        now: Instant,
        time: &mut ConfigureTime,
    ) {
        for (id, status) in &statuses {
            if let Some(g) = status {
                self.last_status.insert(id.clone(), g.status.clone());
            }
        }
        for (id, status) in statuses {
            let outcome = wait_outcome(region, &id, status);
            let Some(waiters) = self.waiters.get_mut(&id) else {
                continue;
            };
            let Some(outcome) = outcome else {
                for w in waiters.iter_mut().filter(|w| w.due <= started) {
                    if w.kind.after_own_change {
                        time.observe_busy(w.registered, started);
                    }
                    w.polls += 1;
                    w.due = now + time.next_poll();
                }
                continue;
            };
            for w in waiters.drain(..) {
                if w.kind.after_own_change && outcome.is_ok() {
                    time.observe_done(w.registered, w.polls, started);
                }
                let _ = w.tx.send(outcome.clone());
            }
            self.waiters.remove(&id);
        }
    }

    /// A round's read failed: every waiter is told (`give_up`), or all wait until
    /// `retry_at` at least.
    fn failed_round(&mut self, error: ApiError, give_up: bool, retry_at: Instant) {
        if !give_up {
            for w in self.waiters.values_mut().flatten() {
                w.due = w.due.max(retry_at);
            }
            return;
        }
        for (id, waiters) in self.waiters.drain() {
            for w in waiters {
                let _ = w.tx.send(Err(WaitError::Api {
                    gateway: id.clone(),
                    error: error.clone(),
                }));
            }
        }
    }
}

/// What a wait on gateway `id` ends with, given its status (`None`: it does not exist);
/// `None` while it is still configuring.
fn wait_outcome(
    region: &str,
    id: &str,
    status: Option<VpnGateway>,
) -> Option<Result<VpnGateway, WaitError>> {
    match status {
        Some(g) if g.status == "active" => Some(Ok(g)),
        Some(g) if g.status == "deleting" => Some(Err(WaitError::GatewayDeleting {
            region: region.to_owned(),
            gateway: id.to_owned(),
            status: g.status,
        })),
        Some(_) => None,
        None => Some(Err(WaitError::GatewayGone {
            region: region.to_owned(),
            gateway: id.to_owned(),
        })),
    }
}

/// The status of each due gateway (`None`: it does not exist). In a round of several
/// gateways, those whose every wait is for this run's own change are read from the
/// region's `updating` list (a few pages however many they are); the others exactly, one
/// `DescribeVpnGateway` each, side by side with that list. One wait that needs an exact
/// read no longer turns the whole round into exact reads.
async fn read_statuses(
    inner: &Inner,
    region: &str,
    due: &[(String, WaitKind)],
) -> Result<Vec<(String, Option<VpnGateway>)>, ApiError> {
    let inferable = |k: &WaitKind| {
        inner.strategy == PollStrategy::Adaptive && due.len() > 1 && k.after_own_change
    };
    let (listed, exact): (Vec<_>, Vec<_>) = due.iter().partition(|(_, k)| inferable(k));
    let (busy, read) = tokio::join!(
        async {
            if listed.is_empty() {
                return Ok(HashMap::new());
            }
            let busy = inner
                .client
                .describe_vpn_gateways_with_status(region, Some("updating"))
                .await?;
            Ok::<_, ApiError>(busy.into_iter().map(|g| (g.id.clone(), g)).collect())
        },
        read_exactly(inner, region, &exact)
    );
    let (busy, mut read) = (busy?, read?);
    // A gateway this run made busy that is no longer `updating` is done with our request.
    for (id, _) in listed {
        let g = busy.get(id).cloned().unwrap_or_else(|| VpnGateway {
            id: id.clone(),
            region: region.to_owned(),
            status: "active".into(),
            ..VpnGateway::default()
        });
        read.push((id.clone(), Some(g)));
    }
    Ok(read)
}

/// Exact reads, one `DescribeVpnGateway` per gateway, side by side.
async fn read_exactly(
    inner: &Inner,
    region: &str,
    due: &[&(String, WaitKind)],
) -> Result<Vec<(String, Option<VpnGateway>)>, ApiError> {
    let mut set = tokio::task::JoinSet::new();
    for (i, (id, _)) in due.iter().map(|d| (*d).clone()).enumerate() {
        let client = inner.client.clone();
        let region = region.to_owned();
        set.spawn(async move {
            let answer = match client.describe_vpn_gateway(&region, &id).await {
                Ok(g) => Ok(Some(g)),
                Err(e) if e.class == ErrorClass::NotFound => Ok(None),
                Err(e) => Err(e),
            };
            (i, answer)
        });
    }
    let mut out: Vec<Option<Option<VpnGateway>>> = vec![None; due.len()];
    let mut error = None;
    while let Some(joined) = set.join_next().await {
        let (i, answer) = joined.expect("a describe task does not panic");
        match answer {
            Ok(g) => out[i] = Some(g),
            Err(e) => error = Some(e),
        }
    }
    if let Some(e) = error {
        return Err(e);
    }
    Ok(due
        .iter()
        .zip(out)
        .map(|((id, _), g)| (id.clone(), g.expect("every task answered")))
        .collect())
}

async fn confirm_region(inner: Arc<Inner>, region: String) {
    loop {
        // Wait until an urgent confirmation is queued, a lazy one has waited its slack,
        // or a full batch is ready.
        loop {
            let (at, wake) = {
                let regions = inner.regions.lock().unwrap();
                let r = &regions[&region];
                // Company for a lazy confirmation comes from waits still running; with
                // none left, nothing is gained by waiting.
                let slack = if r.waiters.is_empty() {
                    Duration::ZERO
                } else {
                    inner.configure_time(r).slack()
                };
                let at = if r.confirms.len() >= CONFIRM_BATCH {
                    Some(Instant::now())
                } else {
                    r.confirms
                        .iter()
                        .map(|c| if c.urgent { c.queued } else { c.queued + slack })
                        .min()
                };
                (at, r.confirm_wake.clone())
            };
            if !sleep_unless_woken(at, &wake).await {
                break;
            }
        }
        let batch: Vec<Confirm> = {
            let mut regions = inner.regions.lock().unwrap();
            let r = regions.get_mut(&region).expect("registered");
            if r.confirms.is_empty() {
                r.confirming = false;
                return;
            }
            // Urgent ones first, then the oldest.
            r.confirms.sort_by_key(|c| (!c.urgent, c.queued));
            let n = r.confirms.len().min(CONFIRM_BATCH);
            r.confirms.drain(..n).collect()
        };
        let request = ListIpsecServers {
            region: region.clone(),
            vpn_gateway: None,
            ids: {
                let mut ids: Vec<String> = batch.iter().map(|c| c.id.clone()).collect();
                ids.sort();
                ids.dedup();
                ids
            },
        };
        let answer = inner.client.list_ipsec_servers(&request).await;
        for c in batch {
            let _ = c.tx.send(
                answer
                    .as_ref()
                    .map(|servers| servers.iter().find(|s| s.id == c.id).cloned())
                    .map_err(Clone::clone),
            );
        }
    }
}

/// Sleeps until `at` (`None`: no deadline is due, return at once) unless `wake` fires
/// first. Returns true when woken early, so the caller looks again.
async fn sleep_unless_woken(at: Option<Instant>, wake: &Notify) -> bool {
    let Some(at) = at else { return false };
    if at <= Instant::now() {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep_until(at) => false,
        _ = wake.notified() => true,
    }
}
