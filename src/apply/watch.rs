//! Waiting for VPN gateways to return to `active`.
//!
//! A delete makes its gateway `updating` for as long as the cloud takes. Every action
//! that waits registers here; one poll loop per region then asks for the status of all
//! the gateways anyone waits on in one batched round (`DescribeVpnGateways`, 50 a page,
//! or `DescribeVpnGateway` when only one gateway is waited on), so a thousand gateways
//! configuring side by side cost a few calls a round, not one each.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::cloud::{ApiError, Client, ErrorClass, VpnGateway};

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

type Waiter = oneshot::Sender<Result<VpnGateway, WaitError>>;

#[derive(Default)]
struct Region {
    waiters: HashMap<String, Vec<Waiter>>,
    last_status: HashMap<String, String>,
    running: bool,
}

struct Inner {
    client: Client,
    interval: Duration,
    regions: Mutex<HashMap<String, Region>>,
    rounds: AtomicU64,
}

/// Shared by every action of a run.
#[derive(Clone)]
pub struct GatewayWatch {
    inner: Arc<Inner>,
}

/// Consecutive failed rounds (after the client's own retries) before waiters are told.
const MAX_FAILED_ROUNDS: u32 = 5;

impl GatewayWatch {
    /// `interval`: the pause between two polling rounds of a region.
    pub fn new(client: Client, interval: Duration) -> Self {
        GatewayWatch {
            inner: Arc::new(Inner {
                client,
                interval,
                regions: Mutex::new(HashMap::new()),
                rounds: AtomicU64::new(0),
            }),
        }
    }

    /// Returns once `gateway` reports `active` (the first answer comes one interval
    /// after the call, since the caller has just made the gateway busy).
    pub async fn wait_active(&self, region: &str, gateway: &str) -> Result<VpnGateway, WaitError> {
        let (tx, rx) = oneshot::channel();
        let spawn = {
            let mut regions = self.inner.regions.lock().unwrap();
            let r = regions.entry(region.to_owned()).or_default();
            r.waiters.entry(gateway.to_owned()).or_default().push(tx);
            !std::mem::replace(&mut r.running, true)
        };
        if spawn {
            tokio::spawn(poll_region(self.inner.clone(), region.to_owned()));
        }
        rx.await.expect("the poll loop answers every waiter")
    }

    /// The status last read for `gateway`, for progress lines.
    pub fn last_status(&self, region: &str, gateway: &str) -> Option<String> {
        let regions = self.inner.regions.lock().unwrap();
        regions.get(region)?.last_status.get(gateway).cloned()
    }

    /// Polling rounds made so far (all regions).
    pub fn rounds(&self) -> u64 {
        self.inner.rounds.load(Ordering::Relaxed)
    }
}

async fn poll_region(inner: Arc<Inner>, region: String) {
    let mut failed_rounds = 0;
    loop {
        tokio::time::sleep(inner.interval).await;
        let wanted: Vec<String> = {
            let regions = inner.regions.lock().unwrap();
            regions[&region].waiters.keys().cloned().collect()
        };
        inner.rounds.fetch_add(1, Ordering::Relaxed);
        let answer = if let [only] = wanted.as_slice() {
            inner
                .client
                .describe_vpn_gateway(&region, only)
                .await
                .map(|g| vec![g])
                .or_else(|e| {
                    if e.class == ErrorClass::NotFound {
                        Ok(vec![])
                    } else {
                        Err(e)
                    }
                })
        } else {
            inner.client.describe_vpn_gateways(&region).await
        };
        let mut regions = inner.regions.lock().unwrap();
        let r = regions.get_mut(&region).expect("registered");
        match answer {
            Ok(gateways) => {
                failed_rounds = 0;
                let by_id: HashMap<&str, &VpnGateway> =
                    gateways.iter().map(|g| (g.id.as_str(), g)).collect();
                for g in &gateways {
                    r.last_status.insert(g.id.clone(), g.status.clone());
                }
                for id in &wanted {
                    let outcome = match by_id.get(id.as_str()) {
                        Some(g) if g.status == "active" => Some(Ok((*g).clone())),
                        Some(g) if g.status == "deleting" => {
                            Some(Err(WaitError::GatewayDeleting {
                                region: region.clone(),
                                gateway: id.clone(),
                                status: g.status.clone(),
                            }))
                        }
                        Some(_) => None,
                        None => Some(Err(WaitError::GatewayGone {
                            region: region.clone(),
                            gateway: id.clone(),
                        })),
                    };
                    if let Some(outcome) = outcome {
                        for waiter in r.waiters.remove(id).unwrap_or_default() {
                            let _ = waiter.send(outcome.clone());
                        }
                    }
                }
            }
            Err(error) => {
                failed_rounds += 1;
                let give_up = failed_rounds >= MAX_FAILED_ROUNDS
                    || !matches!(error.class, ErrorClass::Throttling | ErrorClass::Transient);
                if give_up {
                    for (id, waiters) in r.waiters.drain() {
                        for waiter in waiters {
                            let _ = waiter.send(Err(WaitError::Api {
                                gateway: id.clone(),
                                error: error.clone(),
                            }));
                        }
                    }
                }
            }
        }
        if r.waiters.is_empty() {
            r.running = false;
            return;
        }
    }
}
