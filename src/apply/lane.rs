//! The mutations of a kind on a gateway's lane other than the IPsec server (IPsec
//! connections): each journaled first, sent with its token when the gateway is free
//! (a busy gateway waited for), confirmed by reading the resource by its id once the
//! gateway is `active` again, and recorded at once. The IPsec server's own steps, with
//! their batched confirmations, are in `actions.rs`.

use std::collections::BTreeMap;

use super::configure_time::{Rereads, WaitKind};
use super::error::{StepError, Unmet};
use super::schedule::Lease;
use super::step::{Sent, Step};
use super::work::Finished;
use crate::cloud::ErrorClass;
use crate::kinds::vpn_connection::{
    CreateVpnConnection, DescribeVpnConnections, VpnConnection, calls,
};
use crate::plan::ActionKind;
use crate::secret::Secret;

/// The connection `id` as listed now, or `None` when it is gone.
async fn read(step: &Step<'_>, id: &str) -> Result<Option<VpnConnection>, StepError> {
    let a = step.action();
    let request = DescribeVpnConnections {
        region: a.region.clone(),
        id: Some(id.to_owned()),
        ..DescribeVpnConnections::default()
    };
    let listed = step
        .progress(step.shared.client.describe_vpn_connections(&request))
        .await
        .map_err(|error| step.unreadable(error))?;
    Ok(listed.into_iter().find(|c| c.id == id))
}

/// Whether `listed` holds what the action sent: its values, and the key.
fn holds(step: &Step<'_>, listed: &VpnConnection, intended: &BTreeMap<String, String>) -> bool {
    let a = step.action();
    let key_holds = match &a.psk {
        Some(p) if p.changed => step
            .shared
            .keys
            .get(&a.address)
            .is_some_and(|key| calls::holds_key(listed, key)),
        _ => true,
    };
    key_holds && crate::plan::calls::holds(&calls::attributes(listed), intended)
}

/// Waits for the gateway, then reads `id` until it holds what was sent (bounded), and
/// records it.
async fn confirm_written(
    step: &Step<'_>,
    id: &str,
    intended: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    let a = step.action();
    let mut rereads = Rereads::new();
    for attempt in 0..step.shared.options.confirm_attempts {
        if attempt == 0 {
            step.wait_active(WaitKind {
                urgent: true,
                after_own_change: true,
            })
            .await?;
        } else {
            step.before_reread(rereads.pause()).await?;
        }
        if let Some(listed) = read(step, id).await?
            && holds(step, &listed, intended)
        {
            return step.record_written(id, calls::attributes(&listed)).await;
        }
    }
    let kind = a.address.kind().facts();
    Err(StepError::Unconfirmed {
        call: if a.action == ActionKind::Create {
            kind.calls.create
        } else {
            kind.calls.modify[0]
        },
        id: id.to_owned(),
        unmet: Unmet::ValuesNotListed,
        reads: step.shared.options.confirm_attempts,
        gateway: a.vpn_gateway.clone(),
    }
    .kept())
}

/// The request of a create, every customer gateway it names by address resolved to
/// the id its create recorded, and what the connection is then meant to hold.
fn create_request(
    step: &Step<'_>,
    key: Option<Secret>,
) -> Result<(CreateVpnConnection, BTreeMap<String, String>), StepError> {
    let a = step.action();
    let resolve = |value: &str| step.shared.resolve(value);
    let request = calls::create_request(a, &resolve, key, Some(step.work.token.clone()), false)
        .map_err(|reference| StepError::Unresolved { reference })?;
    let kind = a.address.kind().facts();
    let mut intended = a.attributes.clone();
    for (field, value) in intended.iter_mut() {
        if kind.names_by_address(field, value)
            && let Some(id) = step.shared.resolve(value)
        {
            *value = id;
        }
    }
    Ok((request, intended))
}

/// Creates the action's connection; returns its new id. A create journaled by an
/// earlier run is re-sent as journaled, with its token: a lost answer is never a
/// second connection.
pub(super) async fn create(step: &Step<'_>, lane: Lease) -> Result<String, StepError> {
    let (shared, a) = (step.shared, step.action());
    let key = step.key()?;
    let (request, intended) = create_request(step, key)?;
    step.intent(None, Some(super::step::sent(a))).await?;
    let Sent::Accepted(id) = step
        .send(|| shared.client.create_vpn_connection(&request))
        .await?
    else {
        unreachable!("only a delete is answered not-found or gone")
    };
    let confirmed = confirm_written(step, &id, &intended).await;
    drop(lane);
    confirmed.map(|()| id)
}

/// Updates the action's connection in place (an adopt's differing attributes after it
/// is recorded as listed).
pub(super) async fn adopt_then_update(step: &Step<'_>, lane: Lease) -> Result<(), StepError> {
    let (shared, a) = (step.shared, step.action());
    step.record_if_adopted().await?;
    let key: Option<Secret> = step.key()?;
    step.intent(Some(a.id.clone()), Some(super::step::sent(a)))
        .await?;
    let request = calls::modify_request(a, key, step.work.token.clone());
    step.send(|| shared.client.modify_vpn_connection(&request))
        .await?;
    let confirmed = confirm_written(step, &a.id, &crate::plan::calls::intended(a)).await;
    drop(lane);
    confirmed
}

/// Deletes the action's connection; `Ok(true)` when the cloud said it was already gone.
pub(super) async fn delete(step: &Step<'_>, lane: Lease) -> Result<bool, StepError> {
    let (shared, work, a) = (step.shared, step.work, step.action());
    step.intent(Some(a.id.clone()), None).await?;
    if work.journaled && read(step, &a.id).await?.is_none() {
        return step.record_deleted().await.map(|()| false);
    }
    let sent = step
        .send(|| {
            shared
                .client
                .delete_vpn_connection(&a.region, &a.id, Some(&work.token))
        })
        .await?;
    step.confirm_deleted(lane, sent, true, || async move {
        Ok(read(step, &a.id).await?.is_none())
    })
    .await
}

/// Resolves a create journaled by an earlier run whose entry left the desired file. No
/// connection of the gateway uses the journaled customer gateway: the create took no
/// effect, its entry is dropped. One does: the create is re-sent with the journal's
/// token and values; an answer proves the connection is this create's, so it is
/// recorded and then deleted; a refusal proves the token made nothing.
pub(super) async fn resolve_orphan(step: &Step<'_>, lane: Lease) -> Result<Finished, StepError> {
    let (shared, a) = (step.shared, step.action());
    let key = step.key()?;
    let (request, intended) = create_request(step, key)?;
    // The customer gateways the journaled create names: a connection of the gateway
    // that uses them is where it may have taken effect.
    let customer_gateways: Vec<&String> = intended
        .iter()
        .filter(|(k, _)| k.ends_with("customer_gateway"))
        .map(|(_, v)| v)
        .collect();
    step.wait_active(WaitKind::EXACT).await?;
    let on_gateway = DescribeVpnConnections {
        region: a.region.clone(),
        vpn_gateway: Some(a.vpn_gateway.clone()),
        ..DescribeVpnConnections::default()
    };
    let listed = step
        .progress(shared.client.describe_vpn_connections(&on_gateway))
        .await
        .map_err(|error| step.unreadable(error))?;
    let uses = |c: &VpnConnection| {
        let attributes = calls::attributes(c);
        customer_gateways
            .iter()
            .all(|id| attributes.values().any(|v| v == *id))
    };
    if !listed.iter().any(uses) {
        step.abandon().await;
        return Ok(Finished::Dropped(format!(
            "the create journaled on {} by an interrupted run took no effect (no connection \
             there uses its customer gateway); its pending entry is dropped",
            a.vpn_gateway
        )));
    }
    let id = match step
        .progress(shared.client.create_vpn_connection(&request))
        .await
    {
        Ok(id) => id,
        Err(e) if matches!(e.class, ErrorClass::Terminal | ErrorClass::NotFound) => {
            step.abandon().await;
            return Ok(Finished::Dropped(format!(
                "the create journaled on {} by an interrupted run took no effect (re-sent \
                 with its token, it was refused: {}); its pending entry is dropped",
                a.vpn_gateway, e.code
            )));
        }
        Err(e) => return Err(StepError::api(e).kept()),
    };
    let attributes = listed
        .iter()
        .find(|c| c.id == id)
        .map(calls::attributes)
        .unwrap_or_default();
    let delete_work = step.record_orphan(&id, attributes).await?;
    delete(&Step::new(shared, &delete_work, step.started), lane)
        .await
        .map(|_| Finished::Done(None))
}
