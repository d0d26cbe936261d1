//! The steps every mutation is made of, written once: journal the intent, send the call
//! (one contention loop), wait for the gateway, confirm by reading the cloud, record the
//! result. The actions (`actions.rs`) are these steps in their order; the scheduler
//! (`schedule.rs`) decides when an action runs.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::configure_time::Rereads;
use super::configure_time::WaitKind;
use super::error::{StepError, Unmet};
use super::journal::Change;
use super::report::ActionEvent;
use super::schedule::Lease;
use super::work::{Half, Shared, Work};
use crate::cloud::{ApiError, ErrorClass};
use crate::kinds::ipsec_server::{IpsecServer, ListIpsecServers};
use crate::plan::{Action, ActionKind};
use crate::secret::Secret;
use crate::state::{PendingOp, SentCreate};

/// One action under way: the run it belongs to, the work, and when it got its gateway.
pub(super) struct Step<'a> {
    pub(super) shared: &'a Shared,
    pub(super) work: &'a Work,
    pub(super) started: Instant,
}

/// How the cloud answered a call the contention loop sent.
pub(super) enum Sent<T> {
    /// Accepted (or a repeated token's first answer).
    Accepted(T),
    /// A delete answered not-found: whatever the code says, absence is read after.
    NotFound,
    /// A delete refused as `IncorrectStatus.*` whose server a read found gone.
    Gone,
}

impl<'a> Step<'a> {
    pub(super) fn new(shared: &'a Shared, work: &'a Work, started: Instant) -> Self {
        Step {
            shared,
            work,
            started,
        }
    }

    pub(super) fn action(&self) -> &'a Action {
        &self.work.action
    }

    /// Step 1: journals the intent (unless an earlier run did: it is re-sent with that
    /// entry's token) and reports the action's start.
    pub(super) async fn intent(
        &self,
        id: Option<String>,
        sent: Option<SentCreate>,
    ) -> Result<(), StepError> {
        let a = self.action();
        if !self.work.journaled {
            self.shared
                .journal
                .record(Change::Pending(PendingOp {
                    address: a.address.clone(),
                    action: a.action.as_str().into(),
                    id,
                    region: a.region.clone(),
                    vpn_gateway: a.vpn_gateway.clone(),
                    client_token: self.work.token.clone(),
                    plan_hash: self.shared.plan_hash.clone(),
                    started_at: now(),
                    sent,
                }))
                .await
                .map_err(StepError::NotSent)?;
        }
        self.shared.reporter.event(&ActionEvent::Start {
            address: a.address.clone(),
            action: a.action,
            id: a.id.clone(),
        });
        Ok(())
    }

    /// The PSK the action sends: read from its source at the start of this run.
    pub(super) fn key(&self) -> Result<Option<Secret>, StepError> {
        let a = self.action();
        match &a.psk {
            Some(psk) if psk.changed => match self.shared.keys.get(&a.address) {
                Some(key) => Ok(Some(key.clone())),
                None => Err(StepError::MissingSecret {
                    from: psk.source.clone(),
                }),
            },
            _ => Ok(None),
        }
    }

    /// Step 2: sends the call with the action's token until the cloud accepts or refuses
    /// it. The one contention loop: a busy gateway is waited for and the call sent again
    /// (the client itself retries throttling and transient failures with the same
    /// token). A refusal is final; an unknown outcome keeps the intent journaled.
    pub(super) async fn send<T, F, Fut>(&self, mut call: F) -> Result<Sent<T>, StepError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let a = self.action();
        let deleting = a.action == ActionKind::Delete;
        let waits = self.shared.options.max_contention_waits;
        let mut contention_waits = 0;
        loop {
            let e = match self.progress(call()).await {
                Ok(answer) => return Ok(Sent::Accepted(answer)),
                Err(e) => e,
            };
            match e.class {
                ErrorClass::Contention => {
                    contention_waits += 1;
                    if contention_waits > waits {
                        // A busy answer had no effect. A journaled delete's server was
                        // read still there before it was sent, so its entry goes too.
                        if deleting || !self.work.journaled {
                            self.abandon().await;
                        }
                        return Err(StepError::Busy {
                            gateway: a.vpn_gateway.clone(),
                            waits,
                            error: Box::new(e),
                        });
                    }
                    // `IncorrectStatus.*`: read the resource again rather than retry
                    // blind, on every path (API.md). A delete or an update reads its
                    // server: gone, the delete is done (ours, lost on the way, or someone
                    // else's) and the update has nothing left to change; there, wait for
                    // its gateway (returns at once when it is idle), then retry. A
                    // create's resource is its gateway, which the wait reads.
                    if e.is_incorrect_status()
                        && a.action != ActionKind::Create
                        && !self.listed(true).await?
                    {
                        if deleting {
                            return Ok(Sent::Gone);
                        }
                        let gone = StepError::Gone {
                            id: a.id.clone(),
                            error: Box::new(e),
                        };
                        if self.work.journaled {
                            return Err(gone.kept());
                        }
                        self.abandon().await;
                        return Err(gone);
                    }
                    self.shared.reporter.event(&ActionEvent::Queued {
                        address: a.address.clone(),
                        action: a.action,
                        id: a.id.clone(),
                        gateway: a.vpn_gateway.clone(),
                        behind: None,
                        code: Some(e.code.clone()),
                    });
                    self.wait_active(WaitKind::EXACT).await?;
                }
                // The API documents no not-found code for a delete; absence is read after.
                ErrorClass::NotFound if deleting => return Ok(Sent::NotFound),
                ErrorClass::Terminal | ErrorClass::NotFound => {
                    // A refusal: this request had no effect. Unless an earlier run's
                    // request with this token may have had one, the intent is dropped.
                    if !self.work.journaled {
                        self.abandon().await;
                        return Err(StepError::api(e));
                    }
                    return Err(StepError::api(e).kept());
                }
                // Retries exhausted: the outcome is unknown, so the intent is kept.
                _ => return Err(StepError::api(e).kept()),
            }
        }
    }

    /// Step 3: waits for the action's gateway to be active again (bounded).
    pub(super) async fn wait_active(&self, kind: WaitKind) -> Result<(), StepError> {
        let a = self.action();
        let wait = self
            .shared
            .watch
            .wait_active_for(&a.region, &a.vpn_gateway, kind);
        match tokio::time::timeout(self.shared.options.max_wait, self.progress(wait)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(StepError::Wait(Box::new(e)).kept()),
            Err(_) => Err(StepError::WaitTimeout {
                gateway: a.vpn_gateway.clone(),
                within: self.shared.options.max_wait,
            }
            .kept()),
        }
    }

    /// Waits, where the region's listing lags behind the gateways' status, until it
    /// showed this run's earlier changes (`accepted`: when this one's was): a read sooner
    /// is a read wasted.
    pub(super) async fn until_listing_shows(&self, accepted: Instant) {
        if let Some(delay) = self.shared.watch.listing_delay(&self.action().region) {
            self.progress(tokio::time::sleep_until(accepted + delay))
                .await;
        }
    }

    /// Before a confirmation that did not hold is read again: the re-read schedule's
    /// `pause` and the gateway read again (`active`, or waited for until it is), side by
    /// side, so the status read costs no time of its own.
    pub(super) async fn before_reread(&self, pause: Duration) -> Result<(), StepError> {
        let (_, active) =
            tokio::join!(tokio::time::sleep(pause), self.wait_active(WaitKind::EXACT));
        active
    }

    /// The servers `ListIpsecServers` answers for the action's gateway.
    pub(super) async fn list_gateway(&self) -> Result<Vec<IpsecServer>, StepError> {
        let a = self.action();
        let request = ListIpsecServers {
            region: a.region.clone(),
            vpn_gateway: Some(a.vpn_gateway.clone()),
            ids: Vec::new(),
        };
        self.progress(self.shared.client.list_ipsec_servers(&request))
            .await
            .map_err(|error| {
                StepError::Unreadable {
                    action: a.action.as_str(),
                    error: Box::new(error),
                }
                .kept()
            })
    }

    /// Whether the action's server is still listed in the cloud (batched with other
    /// confirmations unless `urgent`).
    pub(super) async fn listed(&self, urgent: bool) -> Result<bool, StepError> {
        use crate::address::Kind;
        let a = self.action();
        let client = &self.shared.client;
        // Each kind read by its own call (`ListIpsecServers` knows only IPsec servers).
        let read = async {
            match a.address.kind() {
                Kind::IpsecServer => self.shared.watch.listed(&a.region, &a.id, urgent).await,
                Kind::VpnGateway => client
                    .describe_vpn_gateway(&a.region, &a.id)
                    .await
                    .map(|_| true),
                Kind::CustomerGateway => client
                    .describe_customer_gateways(&a.region, Some(&a.id))
                    .await
                    .map(|listed| listed.iter().any(|g| g.id == a.id)),
                Kind::SslVpnServer => {
                    let request = crate::kinds::ssl_vpn_server::api::DescribeSslVpnServers {
                        region: a.region.clone(),
                        id: Some(a.id.clone()),
                        ..Default::default()
                    };
                    client
                        .describe_ssl_vpn_servers(&request)
                        .await
                        .map(|listed| listed.iter().any(|s| s.id == a.id))
                }
                Kind::SslVpnClientCert => {
                    let request =
                        crate::kinds::ssl_vpn_client_cert::api::DescribeSslVpnClientCerts {
                            region: a.region.clone(),
                            id: Some(a.id.clone()),
                            ..Default::default()
                        };
                    client
                        .describe_ssl_vpn_client_certs(&request)
                        .await
                        .map(|listed| listed.iter().any(|c| c.id == a.id))
                }
                Kind::VpnRoute | Kind::VpnPolicyRoute => client
                    .describe_route_entries(
                        a.address.kind() == Kind::VpnPolicyRoute,
                        &a.region,
                        &a.vpn_gateway,
                    )
                    .await
                    .map(|listed| listed.iter().any(|r| r.id == a.id)),
                Kind::VpnConnection => {
                    let request = crate::kinds::vpn_connection::DescribeVpnConnections {
                        region: a.region.clone(),
                        id: Some(a.id.clone()),
                        ..Default::default()
                    };
                    client
                        .describe_vpn_connections(&request)
                        .await
                        .map(|listed| listed.iter().any(|c| c.id == a.id))
                }
            }
        };
        match self.progress(read).await {
            Ok(listed) => Ok(listed),
            Err(e) if e.class == crate::cloud::ErrorClass::NotFound => Ok(false),
            Err(error) => Err(StepError::Unreadable {
                action: "delete",
                error: Box::new(error),
            }
            .kept()),
        }
    }

    /// Steps 3 to 5 of a create or update: waits for the gateway, then reads `id` until
    /// it holds what was sent (bounded); then records it (the listed attributes, never
    /// the key) and drops the pending entry. As a delete's: the wait and the read are
    /// urgent when an action waits for this one's result or for its gateway; otherwise
    /// the wait may share a status round and the read a `ListIpsecServers` call with
    /// other confirmations of the region.
    pub(super) async fn confirm_written(&self, id: &str) -> Result<(), StepError> {
        let a = self.action();
        let mut rereads = Rereads::new();
        for attempt in 0..self.shared.options.confirm_attempts {
            let urgent = self.work.has_dependents || self.shared.more_queued(a);
            if attempt == 0 {
                let kind = WaitKind {
                    urgent,
                    after_own_change: true,
                };
                self.wait_active(kind).await?;
            } else {
                // The status or the listing lags.
                self.before_reread(rereads.pause()).await?;
            }
            let listed = self
                .progress(self.shared.watch.listed_as(&a.region, id, urgent))
                .await
                .map_err(|error| {
                    StepError::Unreadable {
                        action: a.action.as_str(),
                        error: Box::new(error),
                    }
                    .kept()
                })?;
            if let Some(server) = listed
                && self.holds_intended(&server)
            {
                return self
                    .record_written(id, crate::plan::calls::attributes(&server))
                    .await;
            }
        }
        Err(StepError::Unconfirmed {
            call: if a.action == ActionKind::Create {
                a.address.kind().facts().calls.create
            } else {
                a.address.kind().facts().calls.modify[0]
            },
            id: id.to_owned(),
            unmet: Unmet::ValuesNotListed,
            reads: self.shared.options.confirm_attempts,
            gateway: a.vpn_gateway.clone(),
        }
        .kept())
    }

    /// Whether a listed server holds what the action sent: its values, and the key.
    fn holds_intended(&self, server: &IpsecServer) -> bool {
        let a = self.action();
        let key_holds = match &a.psk {
            Some(p) if p.changed => self
                .shared
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

    /// Step 5 of a create or update: records the resource with the attributes it is
    /// listed with.
    pub(super) async fn record_written(
        &self,
        id: &str,
        attributes: std::collections::BTreeMap<String, String>,
    ) -> Result<(), StepError> {
        let a = self.action();
        let mut resource = a.resource_after();
        resource.id = id.to_owned();
        resource.attributes = attributes;
        let change = match &self.work.half {
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
        self.shared.journal.record(change).await.map_err(|error| {
            StepError::NotRecorded {
                id: Some(id.to_owned()),
                change: match a.action {
                    ActionKind::Create => "created",
                    _ => "updated",
                },
                error,
            }
            .kept()
        })
    }

    /// A delete's end, once `sent` is its answer: reads with `gone` (first once the
    /// gateway is active again when `on_lane`, then paced) until the resource is no
    /// longer there, and records it deleted, holding the lease until then; `Ok(true)` when
    /// the cloud said it was already gone. Every kind's delete ends here.
    pub(super) async fn confirm_deleted<T, F, Fut>(
        &self,
        lane: Lease,
        sent: Sent<T>,
        on_lane: bool,
        gone: F,
    ) -> Result<bool, StepError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<bool, StepError>>,
    {
        let (work, a) = (self.work, self.action());
        let already_gone = match sent {
            Sent::Accepted(_) => false,
            Sent::NotFound => !work.journaled,
            Sent::Gone => return self.record_deleted().await.map(|()| false),
        };
        let mut rereads = Rereads::new();
        for attempt in 0..self.shared.options.confirm_attempts {
            if attempt > 0 {
                self.before_reread(rereads.pause()).await?;
            } else if on_lane {
                self.wait_active(WaitKind {
                    urgent: true,
                    after_own_change: true,
                })
                .await?;
            }
            if gone().await? {
                let recorded = self.record_deleted().await;
                drop(lane);
                return recorded.map(|()| already_gone);
            }
        }
        drop(lane);
        Err(StepError::Unconfirmed {
            call: a.address.kind().facts().calls.delete,
            id: a.id.clone(),
            unmet: Unmet::StillListed,
            reads: self.shared.options.confirm_attempts,
            gateway: if on_lane {
                a.vpn_gateway.clone()
            } else {
                String::new()
            },
        }
        .kept())
    }

    /// Step 5 of a delete: the resource (or a replace's deposed server) and its pending
    /// entry are dropped.
    pub(super) async fn record_deleted(&self) -> Result<(), StepError> {
        let address = self.action().address.clone();
        let change = match self.work.half {
            Some(Half::DeleteDeposed) => Change::DeposedDeleted { address },
            _ => Change::Deleted { address },
        };
        self.shared.journal.record(change).await.map_err(|error| {
            StepError::NotRecorded {
                id: None,
                change: "deleted",
                error,
            }
            .kept()
        })
    }

    /// A read that was to confirm the action failed: the intent stays journaled.
    pub(super) fn unreadable(&self, error: crate::cloud::ApiError) -> StepError {
        StepError::Unreadable {
            action: self.action().action.as_str(),
            error: Box::new(error),
        }
        .kept()
    }

    /// An adopt whose attributes differ is recorded first, as the cloud lists it (then
    /// updated like any recorded resource); any other action records nothing here.
    pub(super) async fn record_if_adopted(&self) -> Result<(), StepError> {
        let a = self.action();
        if a.action != ActionKind::Adopt {
            return Ok(());
        }
        let mut resource = a.resource_after();
        resource.attributes = a.attributes.clone();
        self.shared
            .journal
            .record(Change::Adopted {
                address: a.address.clone(),
                resource,
            })
            .await
            .map_err(StepError::NotAdopted)
    }

    /// An orphaned create's resolution once the cloud answered its token with `id`: the
    /// resource is recorded at the entry's address as listed (`attributes`, the key's
    /// source with it), and the work that deletes it, no longer desired, with the
    /// plan's own token for that delete, is returned.
    pub(super) async fn record_orphan(
        &self,
        id: &str,
        attributes: std::collections::BTreeMap<String, String>,
    ) -> Result<Work, StepError> {
        let a = self.action();
        let resource = crate::state::Resource {
            id: id.to_owned(),
            region: a.region.clone(),
            vpn_gateway: a.vpn_gateway.clone(),
            depends_on: Vec::new(),
            protect: false,
            psk: a.psk.as_ref().map(|p| p.source.clone()),
            attributes,
            deposed: None,
        };
        self.shared
            .journal
            .record(Change::Written {
                address: a.address.clone(),
                resource,
            })
            .await
            .map_err(|error| {
                StepError::NotRecorded {
                    id: Some(id.to_owned()),
                    change: "created",
                    error,
                }
                .kept()
            })?;
        Ok(Work {
            action: Action {
                action: ActionKind::Delete,
                id: id.to_owned(),
                psk: None,
                attributes: Default::default(),
                ..a.clone()
            },
            token: a.client_token.clone(),
            journaled: false,
            waits_for: Vec::new(),
            has_dependents: false,
            half: None,
        })
    }

    /// Drops the pending entry of a request that certainly had no effect.
    pub(super) async fn abandon(&self) {
        // A deposed server's delete is never dropped: the old server would be lost track of.
        if matches!(self.work.half, Some(Half::DeleteDeposed)) {
            return;
        }
        let _ = self
            .shared
            .journal
            .record(Change::Abandoned {
                address: self.action().address.clone(),
            })
            .await;
    }

    /// Runs `fut`, reporting `Still destroying...` every `progress_every` since `started`.
    pub(super) async fn progress<F: Future>(&self, fut: F) -> F::Output {
        let (shared, started) = (self.shared, self.started);
        let every = shared.options.progress_every;
        tokio::pin!(fut);
        let elapsed = started.elapsed().as_nanos() / every.as_nanos().max(1);
        let first = started + every * (elapsed as u32 + 1);
        let mut tick = tokio::time::interval_at(first, every);
        loop {
            tokio::select! {
                out = &mut fut => return out,
                _ = tick.tick() => {
                    let a = self.action();
                    shared.reporter.event(&ActionEvent::Progress {
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
}

/// What a create or update sends, as its intent records it: the values (never a
/// secret) and the source of a key it sends.
pub(super) fn sent(a: &Action) -> SentCreate {
    SentCreate {
        values: crate::plan::calls::intended(a),
        psk: a
            .psk
            .as_ref()
            .filter(|p| p.changed)
            .map(|p| p.source.clone()),
    }
}

/// RFC 3339 UTC, to the second, as `pending` entries record when they were journaled.
pub(super) fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
