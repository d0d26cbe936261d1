//! The mutations, each the steps of `step.rs` in its order: a delete, a create, an
//! update (after an adopt, when the adopted server differs), a replace (a create, then
//! the old server's delete, each on its own gateway), and the resolution of a create
//! journaled by an earlier run that is no longer desired.

use tokio::time::Instant;

use super::configure_time::Rereads;
use super::configure_time::WaitKind;
use super::error::{StepError, Unmet};
use super::report::ActionEvent;
use super::schedule::Lease;
use super::step::{Sent, Step};
use super::work::{Finished, Half, Work, lane_of, queued};
use crate::cloud::ErrorClass;
use crate::kinds::ipsec_server::DeleteIpsecServer;
use crate::plan::{Action, ActionKind};
use crate::state::Deposed;

/// Deletes the action's server; `Ok(true)` when the cloud said it was already gone.
pub(super) async fn delete(step: &Step<'_>, lane: Lease) -> Result<bool, StepError> {
    let (shared, work, a) = (step.shared, step.work, step.action());
    step.intent(Some(a.id.clone()), None).await?;

    if work.journaled && !step.listed(true).await? {
        // An earlier run's delete took effect and only its record was lost.
        return step.record_deleted().await.map(|()| false);
    }

    let request = DeleteIpsecServer {
        region: a.region.clone(),
        ipsec_server_id: a.id.clone(),
        client_token: Some(work.token.clone()),
        dry_run: false,
    };
    let already_gone = match step
        .send(|| shared.client.delete_ipsec_server(&request))
        .await?
    {
        Sent::Accepted(_request_id) => false,
        // A repeated token gets the first answer again, so a not-found here is not this
        // run's own effect; a journaled intent's earlier request may have been.
        Sent::NotFound => !work.journaled,
        Sent::Gone => return step.record_deleted().await.map(|()| false),
    };

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
            step.wait_active(kind).await?;
            if !already_gone {
                step.until_listing_shows(accepted).await;
            }
        } else {
            // A confirmation that did not hold: the status or the listing lags.
            step.before_reread(rereads.pause()).await?;
        }
        let read = accepted.elapsed();
        // Urgent when an action waits for this one's result or for its gateway;
        // otherwise it may share a ListIpsecServers call with other confirmations.
        if !step.listed(work.has_dependents || queued).await? {
            if !already_gone {
                shared.watch.listing_confirmed(&a.region, missed, read);
            }
            let recorded = step.record_deleted().await;
            drop(lane);
            return recorded.map(|()| already_gone);
        }
        missed = Some(read);
    }
    drop(lane);
    Err(StepError::Unconfirmed {
        call: a.address.kind().facts().calls.delete,
        id: a.id.clone(),
        unmet: Unmet::StillListed,
        reads: shared.options.confirm_attempts,
        gateway: a.vpn_gateway.clone(),
    }
    .kept())
}

/// Which steps run an action: the IPsec server's (here), a kind without a lane's
/// (`synchronous.rs`), or another kind on a gateway's lane (`lane.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Steps {
    IpsecServer,
    Synchronous,
    OnLane,
    /// A VPN gateway: updated in place only (`gateway.rs`).
    Gateway,
    /// An SSL-VPN server or client certificate (`ssl_vpn.rs`).
    SslVpn,
    /// A destination or policy-based route (`route.rs`).
    Route,
}

pub(super) fn steps_of(a: &Action) -> Steps {
    if a.address.kind() == crate::address::Kind::IpsecServer {
        Steps::IpsecServer
    } else if matches!(
        a.address.kind(),
        crate::address::Kind::SslVpnServer | crate::address::Kind::SslVpnClientCert
    ) {
        Steps::SslVpn
    } else if matches!(
        a.address.kind(),
        crate::address::Kind::VpnRoute | crate::address::Kind::VpnPolicyRoute
    ) {
        Steps::Route
    } else if a.address.kind().facts().lane == crate::kinds::Lane::Itself {
        Steps::Gateway
    } else if a.address.kind().facts().lane == crate::kinds::Lane::None {
        Steps::Synchronous
    } else {
        Steps::OnLane
    }
}

/// A delete, of whichever kind.
pub(super) async fn delete_any(step: &Step<'_>, lane: Lease) -> Result<bool, StepError> {
    match steps_of(step.action()) {
        Steps::IpsecServer => delete(step, lane).await,
        Steps::Synchronous => super::synchronous::delete(step, lane).await,
        Steps::OnLane => super::lane::delete(step, lane).await,
        Steps::SslVpn => super::ssl_vpn::delete(step, lane).await,
        Steps::Route => super::route::delete(step, lane).await,
        Steps::Gateway => super::gateway::delete(step, lane).await,
    }
}

/// A create, of whichever kind.
pub(super) async fn create_any(step: &Step<'_>, lane: Lease) -> Result<String, StepError> {
    match steps_of(step.action()) {
        Steps::IpsecServer => create(step, lane).await,
        Steps::Synchronous => super::synchronous::create(step, lane).await,
        Steps::OnLane => super::lane::create(step, lane).await,
        Steps::SslVpn => super::ssl_vpn::create(step, lane).await,
        Steps::Route => super::route::create(step, lane).await,
        Steps::Gateway => super::gateway::create(step, lane).await,
    }
}

/// An update (or an adopt followed by one), of whichever kind.
pub(super) async fn adopt_then_update_any(step: &Step<'_>, lane: Lease) -> Result<(), StepError> {
    match steps_of(step.action()) {
        Steps::IpsecServer => adopt_then_update(step, lane).await,
        Steps::Synchronous => super::synchronous::adopt_then_update(step, lane).await,
        Steps::OnLane => super::lane::adopt_then_update(step, lane).await,
        Steps::SslVpn => super::ssl_vpn::adopt_then_update(step, lane).await,
        Steps::Route => super::route::adopt_then_update(step, lane).await,
        Steps::Gateway => super::gateway::adopt_then_update(step, lane).await,
    }
}

/// Creates the action's server; returns its new id.
///
/// A create journaled by an earlier run is re-sent exactly as it was journaled (its
/// `sent` values, its token): if the earlier request took effect, the cloud answers it
/// again (same token, same parameters) with the same id, so a lost answer is never a
/// second server, and only that answer ties a server to the entry: never a server found
/// on the gateway or holding the same values.
pub(super) async fn create(step: &Step<'_>, lane: Lease) -> Result<String, StepError> {
    let (shared, a) = (step.shared, step.action());
    let key = step.key()?;
    step.intent(None, Some(super::step::sent(a))).await?;
    let request = crate::plan::calls::create_request(a, key, Some(step.work.token.clone()), false);
    let Sent::Accepted(created) = step
        .send(|| shared.client.create_ipsec_server(&request))
        .await?
    else {
        unreachable!("only a delete is answered not-found or gone")
    };
    let confirmed = step.confirm_written(&created.id).await;
    drop(lane);
    confirmed.map(|()| created.id)
}

/// An adopt whose managed attributes differ is recorded first (as the cloud lists it),
/// then updated in place like any recorded server.
pub(super) async fn adopt_then_update(step: &Step<'_>, lane: Lease) -> Result<(), StepError> {
    step.record_if_adopted().await?;
    update(step, lane).await
}

/// Updates the action's server in place: `UpdateIpsecServer` with the changed fields
/// only. An update journaled by an earlier run is re-sent as it was journaled, with its
/// token: the cloud answers a repeat with its first answer and no second effect.
async fn update(step: &Step<'_>, lane: Lease) -> Result<(), StepError> {
    let (shared, a) = (step.shared, step.action());
    let key = step.key()?;
    step.intent(Some(a.id.clone()), Some(super::step::sent(a)))
        .await?;
    let request = crate::plan::calls::update_request(a, key, Some(step.work.token.clone()), false);
    step.send(|| shared.client.update_ipsec_server(&request))
        .await?;
    let confirmed = step.confirm_written(&a.id).await;
    drop(lane);
    confirmed
}

/// Replaces the action's resource (an IPsec server or connection), create before
/// destroy: the new one is created on
/// its gateway (held as `lane`) and confirmed; one write records it, deposes the old one
/// and journals the old one's delete; then the old one is deleted under its own
/// gateway. Each half holds only its own gateway. Returns when the delete half started
/// (once it had the old server's gateway); the create half reported the new id.
pub(super) async fn replace(step: &Step<'_>, lane: Lease) -> Result<Instant, StepError> {
    let (shared, work, a) = (step.shared, step.work, step.action());
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
    let new_id = create_any(&Step::new(shared, &create_half, step.started), lane)
        .await
        .map_err(|error| StepError::ReplaceCreate {
            error: Box::new(error),
            old: deposed.id.clone(),
            gateway: deposed.vpn_gateway.clone(),
        })?;
    shared.reporter.event(&ActionEvent::Complete {
        address: a.address.clone(),
        action: ActionKind::Create,
        id: new_id.clone(),
        elapsed: step.started.elapsed(),
    });
    // What names it by address (an SSL-VPN server's certificates) resolves to it.
    shared.created(&a.address, &new_id);
    let delete_half = Work {
        action: Action {
            action: ActionKind::Delete,
            id: deposed.id.clone(),
            region: deposed.region.clone(),
            vpn_gateway: deposed.vpn_gateway.clone(),
            client_token: old.client_token.clone(),
            replaced: None,
            resumes: None,
            recreates: None,
            moved_from: None,
            ..a.clone()
        },
        token: old.client_token.clone(),
        // Journaled with the new server's record.
        journaled: true,
        waits_for: Vec::new(),
        has_dependents: false,
        half: Some(Half::DeleteDeposed),
    };
    let old_lane = lane_of(&delete_half.action);
    let taken = shared.lanes.take(&old_lane, &a.address, |behind| {
        queued(&*shared.reporter, &delete_half.action, behind)
    });
    let Some(old_lane) = taken.await else {
        return Err(StepError::ReplaceInterrupted {
            new: new_id,
            old: deposed.id.clone(),
        }
        .kept());
    };
    let delete_started = Instant::now();
    delete_any(&Step::new(shared, &delete_half, delete_started), old_lane)
        .await
        .map_err(|error| StepError::ReplaceDelete {
            new: new_id.clone(),
            old: deposed.id.clone(),
            error: Box::new(error),
        })?;
    Ok(delete_started)
}

/// Replaces the action's server where it is (`--replace` on the same gateway): the
/// gateway holds one IPsec server, so destroy before create. The delete is journaled,
/// sent and confirmed as any delete (the address then records nothing), then the create
/// as any create, each with its own token (see `plan::action_tokens`). Interrupted
/// between the halves, the state holds a plain pending delete or create, or nothing at
/// that address: the next plan resolves it or creates the server. Returns the new id and
/// when the create half started.
pub(super) async fn replace_in_place(
    step: &Step<'_>,
    lane: Lease,
) -> Result<(String, Instant), StepError> {
    let (shared, work, a) = (step.shared, step.work, step.action());
    let Some(old) = &a.replaced else {
        return Err(StepError::NoOldServer { id: a.id.clone() });
    };
    let delete_half = Work {
        action: Action {
            action: ActionKind::Delete,
            client_token: old.client_token.clone(),
            // Where the old one is (a customer gateway replaced destroy first may move).
            region: old.region.clone(),
            vpn_gateway: old.vpn_gateway.clone(),
            replaced: None,
            resumes: None,
            recreates: None,
            moved_from: None,
            ..a.clone()
        },
        token: old.client_token.clone(),
        journaled: false,
        waits_for: Vec::new(),
        // The create half waits for it.
        has_dependents: true,
        half: None,
    };
    delete_any(&Step::new(shared, &delete_half, step.started), lane).await?;
    shared.reporter.event(&ActionEvent::Complete {
        address: a.address.clone(),
        action: ActionKind::Delete,
        id: a.id.clone(),
        elapsed: step.started.elapsed(),
    });
    let create_half = Work {
        action: Action {
            action: ActionKind::Create,
            id: String::new(),
            replaced: None,
            ..a.clone()
        },
        token: work.token.clone(),
        journaled: false,
        waits_for: Vec::new(),
        has_dependents: work.has_dependents,
        half: None,
    };
    let gateway = lane_of(a);
    let taken = shared.lanes.take(&gateway, &a.address, |behind| {
        queued(&*shared.reporter, &create_half.action, behind)
    });
    let Some(lane) = taken.await else {
        return Err(StepError::ReplacedInPlaceInterrupted { old: a.id.clone() });
    };
    let create_started = Instant::now();
    let new_id = create_any(&Step::new(shared, &create_half, create_started), lane)
        .await
        .map_err(|error| StepError::ReplacedInPlaceCreate {
            old: a.id.clone(),
            error: Box::new(error),
        })?;
    Ok((new_id, create_started))
}

/// Resolves a create journaled by an earlier run whose entry left the desired file, from
/// the cloud. The gateway (which no recorded server is on: the journal check saw to it)
/// holds no server: the create took no effect, its entry is dropped. It holds one: the
/// create is re-sent with the journal's token and parameters. The cloud answers a token
/// it has seen with the same parameters with its first answer and no second effect, so
/// an answer proves the server is this create's: it is recorded, then deleted, being no
/// longer desired. A refusal of the re-sent create proves the token made nothing (the
/// gateway holds another's server): the entry is dropped and that server left alone.
pub(super) async fn resolve_orphan(step: &Step<'_>, lane: Lease) -> Result<Finished, StepError> {
    let (shared, work, a) = (step.shared, step.work, step.action());
    step.wait_active(WaitKind::EXACT).await?;
    let listed = step.list_gateway().await?;
    let Some(server) = listed.iter().find(|s| s.vpn_gateway == a.vpn_gateway) else {
        step.abandon().await;
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
    let key = step.key()?;
    let request = crate::plan::calls::create_request(&create, key, Some(work.token.clone()), false);
    // Sent once, not through the contention loop: the gateway was just waited for, and
    // any refusal is an answer about the token.
    let answer = step
        .progress(shared.client.create_ipsec_server(&request))
        .await;
    let id = match answer {
        Ok(created) => created.id,
        Err(e) if e.code == "IdempotentParameterMismatch" => {
            return Err(StepError::OrphanMismatch {
                gateway: a.vpn_gateway.clone(),
                server: server.id.clone(),
                error: Box::new(e),
            });
        }
        Err(e) if matches!(e.class, ErrorClass::Terminal | ErrorClass::NotFound) => {
            step.abandon().await;
            return Ok(Finished::Dropped(format!(
                "the create journaled on {} by an interrupted run took no effect: {} there is \
                 not its server (re-sent with its token, the create was refused: {}); its \
                 pending entry is dropped and {} left alone",
                a.vpn_gateway, server.id, e.code, server.id
            )));
        }
        Err(e) => return Err(StepError::api(e).kept()),
    };
    let attributes = if server.id == id {
        crate::plan::calls::attributes(server)
    } else {
        Default::default()
    };
    let delete_work = step.record_orphan(&id, attributes).await?;
    delete(&Step::new(shared, &delete_work, step.started), lane)
        .await
        .map(|_| Finished::Done(None))
}
