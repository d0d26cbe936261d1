//! A VPN gateway's update in place (`ModifyVpnGatewayAttribute`: name, description,
//! auto-propagation), on its own lane: journaled, sent with its token, confirmed by
//! reading the gateway once it is `active` again, recorded. vpnform neither creates nor
//! deletes a gateway yet: the planner refuses to.

use super::configure_time::{Rereads, WaitKind};
use super::error::{StepError, Unmet};
use super::schedule::Lease;
use super::step::Step;
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
