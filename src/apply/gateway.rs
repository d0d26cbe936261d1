//! A VPN gateway's update in place (`ModifyVpnGatewayAttribute`: name, description,
//! auto-propagation) and its delete, on its own lane: journaled, sent with its token,
//! confirmed by reading the gateway (`active` again; gone), recorded; and its create,
//! read until the new gateway is `active` (minutes in the cloud) before anything on it
//! starts.

use super::configure_time::{Rereads, WaitKind};
use super::error::{StepError, Unmet};
use super::schedule::Lease;
use super::step::{Sent, Step};
use super::work::Finished;
use crate::cloud::ErrorClass;
use crate::kinds::vpn_gateway::calls;

/// Updates the action's gateway in place (an adopt's differing attributes after it is
/// recorded as described).
pub(super) async fn adopt_then_update(step: &Step<'_>, lane: Lease) -> Result<(), StepError> {
    let (shared, a) = (step.shared, step.action());
    step.record_if_adopted().await?;
    step.intent(Some(a.id.clone()), Some(super::step::sent(a)))
        .await?;
    let request = calls::modify_request(a, step.work.token.clone());
    step.send(|| shared.client.modify_vpn_gateway(&request))
        .await?;
    let intended = crate::plan::calls::intended(a);
    let mut rereads = Rereads::new();
    for attempt in 0..shared.options.confirm_attempts {
        if attempt == 0 {
            step.wait_active(WaitKind {
                urgent: true,
                after_own_change: true,
            })
            .await?;
        } else {
            step.before_reread(rereads.pause()).await?;
        }
        let described = step
            .progress(shared.client.describe_vpn_gateway(&a.region, &a.id))
            .await
            .map_err(|error| step.unreadable(error))?;
        let listed = calls::attributes(&described);
        if crate::plan::calls::holds(&listed, &intended) {
            let recorded = step.record_written(&a.id, listed).await;
            drop(lane);
            return recorded;
        }
    }
    drop(lane);
    Err(StepError::Unconfirmed {
        call: a.address.kind().facts().calls.modify[0],
        id: a.id.clone(),
        unmet: Unmet::ValuesNotListed,
        reads: shared.options.confirm_attempts,
        gateway: a.vpn_gateway.clone(),
    }
    .kept())
}

/// Deletes the action's gateway once everything on it is gone (the plan ordered its
/// children's deletes first, and refused a gateway that keeps one): `DeleteVpnGateway`
/// with the token, then its status read until the cloud no longer knows it (it shows
/// `deleting` meanwhile). `Ok(true)` when the cloud said it was already gone.
pub(super) async fn delete(step: &Step<'_>, lane: Lease) -> Result<bool, StepError> {
    let (shared, work, a) = (step.shared, step.work, step.action());
    step.intent(Some(a.id.clone()), None).await?;
    let gone = |error: &crate::cloud::ApiError| error.class == ErrorClass::NotFound;
    let describe = || shared.client.describe_vpn_gateway(&a.region, &a.id);
    if work.journaled {
        match step.progress(describe()).await {
            Err(error) if gone(&error) => return step.record_deleted().await.map(|()| false),
            Err(error) => return Err(step.unreadable(error)),
            Ok(_) => {}
        }
    }
    let already_gone = match step
        .send(|| {
            shared
                .client
                .delete_vpn_gateway(&a.region, &a.id, Some(&work.token))
        })
        .await?
    {
        Sent::Accepted(_) => false,
        Sent::NotFound => !work.journaled,
        Sent::Gone => return step.record_deleted().await.map(|()| false),
    };
    // Released over the gateway's configure time (minutes in the cloud): read until the
    // cloud no longer knows it, within the run's longest wait.
    let released = async {
        loop {
            match step.progress(describe()).await {
                Err(error) if gone(&error) => return Ok(()),
                Err(error) => return Err(step.unreadable(error)),
                Ok(_) => tokio::time::sleep(shared.options.poll_interval).await,
            }
        }
    };
    let waited = tokio::time::timeout(shared.options.max_wait, released).await;
    drop(lane);
    match waited {
        Ok(Ok(())) => step.record_deleted().await.map(|()| already_gone),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(StepError::Unconfirmed {
            call: a.address.kind().facts().calls.delete,
            id: a.id.clone(),
            unmet: Unmet::StillListed,
            reads: shared.options.confirm_attempts,
            gateway: a.vpn_gateway.clone(),
        }
        .kept()),
    }
}

/// Creates the action's gateway: `CreateVpnGateway` with the token (a lost answer is
/// sent again with it, and the cloud answers the same id), then its status read until
/// it is `active`, within the run's longest wait; recorded as described then, its lane
/// its own id. Returns the new id, which the entries on it then resolve their
/// `vpn_gateway` to.
pub(super) async fn create(step: &Step<'_>, lane: Lease) -> Result<String, StepError> {
    let (shared, work, a) = (step.shared, step.work, step.action());
    // Journaled on no gateway: it has no id yet (its entries name it by address).
    Step::new(shared, &on_gateway(work, ""), step.started)
        .intent(None, Some(super::step::sent(a)))
        .await?;
    let request = calls::create_request(a, work.token.clone());
    let Sent::Accepted(id) = step
        .send(|| shared.client.create_vpn_gateway(&request))
        .await?
    else {
        unreachable!("only a delete is answered not-found or gone")
    };
    let active = async {
        loop {
            match step
                .progress(shared.client.describe_vpn_gateway(&a.region, &id))
                .await
            {
                Ok(gateway) if gateway.status == "active" => return Ok(gateway),
                // Known from the answer on; a lagging read may not know it yet.
                Ok(_) => {}
                Err(error) if error.class == ErrorClass::NotFound => {}
                Err(error) => return Err(step.unreadable(error)),
            }
            tokio::time::sleep(shared.options.poll_interval).await;
        }
    };
    let waited = tokio::time::timeout(shared.options.max_wait, active).await;
    drop(lane);
    let gateway = match waited {
        Ok(Ok(gateway)) => gateway,
        Ok(Err(error)) => return Err(error),
        Err(_) => {
            return Err(StepError::WaitTimeout {
                gateway: id,
                within: shared.options.max_wait,
            }
            .kept());
        }
    };
    // Recorded on its own lane, its id.
    Step::new(shared, &on_gateway(work, &id), step.started)
        .record_written(&id, calls::attributes(&gateway))
        .await
        .map(|()| id)
}

/// Resolves a gateway create journaled by an earlier run whose entry left the desired
/// file. No gateway of the region is in the journaled VPC: the create took no effect,
/// its entry is dropped. One is: the create is re-sent with the journal's token, and the
/// cloud answers the gateway that token made (a repeat has no second effect); it is
/// recorded, then deleted, being no longer desired.
pub(super) async fn resolve_orphan(step: &Step<'_>, lane: Lease) -> Result<Finished, StepError> {
    let (shared, work, a) = (step.shared, step.work, step.action());
    let vpc = a.attributes.get("vpc").cloned().unwrap_or_default();
    let listed = step
        .progress(shared.client.describe_vpn_gateways(&a.region))
        .await
        .map_err(|error| step.unreadable(error))?;
    if !listed.iter().any(|g| g.vpc_id == vpc) {
        step.abandon().await;
        return Ok(Finished::Dropped(format!(
            "the create of a VPN gateway in {vpc} journaled by an interrupted run took no \
             effect (the VPC holds no gateway); its pending entry is dropped"
        )));
    }
    let request = calls::create_request(a, work.token.clone());
    let id = match step
        .progress(shared.client.create_vpn_gateway(&request))
        .await
    {
        Ok(id) => id,
        Err(e) if matches!(e.class, ErrorClass::Terminal | ErrorClass::NotFound) => {
            step.abandon().await;
            return Ok(Finished::Dropped(format!(
                "the create of a VPN gateway in {vpc} journaled by an interrupted run took \
                 no effect (re-sent with its token, it was refused: {}); its pending entry is \
                 dropped",
                e.code
            )));
        }
        Err(e) => return Err(StepError::api(e).kept()),
    };
    let described = step
        .progress(shared.client.describe_vpn_gateway(&a.region, &id))
        .await
        .map_err(|error| step.unreadable(error))?;
    let delete_work = Step::new(shared, &on_gateway(work, &id), step.started)
        .record_orphan(&id, calls::attributes(&described))
        .await?;
    delete(&Step::new(shared, &delete_work, step.started), lane)
        .await
        .map(|_| Finished::Done(None))
}

/// `work` on `gateway`: a gateway's own create is on none until it has an id (its
/// entries name it by address meanwhile), then on that id.
fn on_gateway(work: &super::work::Work, gateway: &str) -> super::work::Work {
    let mut moved = work.clone();
    moved.action.vpn_gateway = gateway.to_owned();
    moved
}
