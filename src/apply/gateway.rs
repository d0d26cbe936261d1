//! A VPN gateway's update in place (`ModifyVpnGatewayAttribute`: name, description,
//! auto-propagation) and its delete, on its own lane: journaled, sent with its token,
//! confirmed by reading the gateway (`active` again; gone), recorded. vpnform does not
//! create a gateway yet: the planner refuses to.

use super::configure_time::{Rereads, WaitKind};
use super::error::{StepError, Unmet};
use super::schedule::Lease;
use super::step::{Sent, Step};
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
