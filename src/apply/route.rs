//! Destination and policy-based routes on their gateway's lane: each mutation journaled
//! first, sent with its token when the gateway is free, confirmed by listing the
//! gateway's routes of the kind once it is `active` again, and recorded at once. A route
//! has no id in the API: it is named by its tuple in every call (a policy-based route's
//! has a source, and its changes and delete give back its priority), and recorded under
//! the synthetic id of that tuple (`crate::kinds::vpn_route::route_id`,
//! `crate::kinds::vpn_policy_route::route_id`), which a create knows once its next hop (a
//! connection named by address and created this run) is resolved. The two kinds differ
//! only in the calls (`Client::create_route_entry`, ...); the steps are these.

use std::collections::BTreeMap;

use super::configure_time::{Rereads, WaitKind};
use super::error::{StepError, Unmet};
use super::schedule::Lease;
use super::step::{Sent, Step};
use super::work::Finished;
use crate::kinds::Kind;
use crate::kinds::vpn_route::{api::RouteKey, calls};

/// The kind's facts (its calls' names).
fn kind(step: &Step<'_>) -> &'static Kind {
    step.action().address.kind().facts()
}

/// The gateway's routes of the action's kind, as listed now.
async fn list(step: &Step<'_>) -> Result<Vec<crate::kinds::vpn_route::VpnRoute>, StepError> {
    let a = step.action();
    step.progress(step.shared.client.describe_route_entries(
        calls::is_policy(a),
        &a.region,
        &a.vpn_gateway,
    ))
    .await
    .map_err(|error| step.unreadable(error))
}

/// The route's next hop, resolved to the connection's id.
fn next_hop(step: &Step<'_>) -> Result<String, StepError> {
    let named = step
        .action()
        .attributes
        .get("next_hop")
        .cloned()
        .unwrap_or_default();
    step.shared
        .resolve(&named)
        .ok_or(StepError::Unresolved { reference: named })
}

/// The route `id` as its gateway lists it now, or `None` when it is gone.
async fn listed(
    step: &Step<'_>,
    id: &str,
) -> Result<Option<crate::kinds::vpn_route::VpnRoute>, StepError> {
    Ok(list(step).await?.into_iter().find(|r| r.id == id))
}

/// The route `id` as its gateway lists it now, or `None` when it is gone.
async fn read(step: &Step<'_>, id: &str) -> Result<Option<BTreeMap<String, String>>, StepError> {
    Ok(list(step)
        .await?
        .iter()
        .find(|r| r.id == id)
        .map(calls::attributes))
}

/// Waits for the gateway, then reads `id` until it holds `intended` (bounded), and
/// records it.
async fn confirm_written(
    step: &Step<'_>,
    id: &str,
    intended: &BTreeMap<String, String>,
    call: &'static str,
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
            && crate::plan::calls::holds(&listed, intended)
        {
            return step.record_written(id, listed).await;
        }
    }
    Err(StepError::Unconfirmed {
        call,
        id: id.to_owned(),
        unmet: Unmet::ValuesNotListed,
        reads: step.shared.options.confirm_attempts,
        gateway: a.vpn_gateway.clone(),
    }
    .kept())
}

/// Creates the action's route; returns its (synthetic) id. A create journaled by an
/// earlier run is re-sent as journaled, with its token: a lost answer is never a second
/// route.
pub(super) async fn create(step: &Step<'_>, lane: Lease) -> Result<String, StepError> {
    let (shared, a) = (step.shared, step.action());
    let hop = next_hop(step)?;
    let request = calls::create_request(a, &hop, Some(step.work.token.clone()), false);
    let mut intended = a.attributes.clone();
    intended.insert("next_hop".to_owned(), hop);
    step.intent(None, Some(super::step::sent(a))).await?;
    let Sent::Accepted(id) = step
        .send(|| shared.client.create_route_entry(&request))
        .await
        .map_err(|e| match e {
            // The tuple is listed: an offline plan could not know to adopt it.
            StepError::Api(error) if error.code == crate::kinds::vpn_route::DUPLICATE => {
                StepError::RouteExists {
                    gateway: a.vpn_gateway.clone(),
                    error,
                }
            }
            other => other,
        })?
    else {
        unreachable!("only a delete is answered not-found or gone")
    };
    let confirmed = confirm_written(step, &id, &intended, kind(step).calls.create).await;
    drop(lane);
    confirmed.map(|()| id)
}

/// The route's tuple as recorded (an update's and a delete's).
fn recorded_key(step: &Step<'_>) -> Result<RouteKey, StepError> {
    Ok(calls::key(step.action(), &next_hop(step)?))
}

/// Changes the route's weight (ModifyVpnRouteEntryWeight or
/// ModifyVpnPbrRouteEntryWeight, from the old weight), a policy-based route's priority
/// (ModifyVpnPbrRouteEntryPriority, from the old priority) and its publishing
/// (PublishVpnRouteEntry) in place, each its own configuring operation with its own
/// token, in that order; each names the route by the weight and priority it has then.
pub(super) async fn adopt_then_update(step: &Step<'_>, lane: Lease) -> Result<(), StepError> {
    let (shared, a) = (step.shared, step.action());
    step.record_if_adopted().await?;
    step.intent(Some(a.id.clone()), Some(super::step::sent(a)))
        .await?;
    let key = recorded_key(step)?;
    let calls_of = &kind(step).calls;
    let token = step.work.token.clone();
    let changes: Vec<_> = a.cloud_changes().collect();
    let from = |field: &str| {
        changes
            .iter()
            .find(|c| c.field == field)
            .map(|c| c.from.clone())
            .or_else(|| a.attributes.get(field).cloned())
    };
    let mut weight = calls::weight(from("weight").as_ref());
    let mut priority = calls::priority(from("priority").as_ref());
    let mut call = calls_of.modify[0];
    let mut first = true;
    for field in ["weight", "priority", "publish_vpc"] {
        let Some(change) = changes.iter().find(|c| c.field == field) else {
            continue;
        };
        if !first {
            // The gateway configures one operation at a time.
            step.wait_active(WaitKind {
                urgent: true,
                after_own_change: true,
            })
            .await?;
        }
        // A token names one request: after the first change, each its own.
        let token = if first {
            token.clone()
        } else {
            let mut t = token.clone();
            t.truncate(62);
            t + if field == "priority" { "-r" } else { "-p" }
        };
        match field {
            "weight" => {
                let to = calls::weight(Some(&change.to));
                call = calls_of.modify[0];
                if key.route_source.is_some() {
                    step.send(|| {
                        shared.client.modify_vpn_pbr_route_entry_weight(
                            &key,
                            (weight, priority),
                            to,
                            Some(&token),
                        )
                    })
                    .await?;
                } else {
                    step.send(|| {
                        shared
                            .client
                            .modify_vpn_route_entry_weight(&key, weight, to, Some(&token))
                    })
                    .await?;
                }
                weight = to;
            }
            "priority" => {
                let to = calls::priority(Some(&change.to));
                call = calls_of.modify[1];
                step.send(|| {
                    shared.client.modify_vpn_pbr_route_entry_priority(
                        &key,
                        (weight, priority),
                        to,
                        Some(&token),
                    )
                })
                .await?;
                priority = to;
            }
            _ => {
                let on = change.to == "true";
                call = calls_of.modify[calls_of.modify.len() - 1];
                step.send(|| {
                    shared
                        .client
                        .publish_vpn_route_entry(&key, on, Some(&token))
                })
                .await?;
            }
        }
        first = false;
    }
    let confirmed = confirm_written(step, &a.id, &crate::plan::calls::intended(a), call).await;
    drop(lane);
    confirmed
}

/// Deletes the action's route (its tuple, its current weight and priority); `Ok(true)` when the
/// cloud said it was already gone.
pub(super) async fn delete(step: &Step<'_>, lane: Lease) -> Result<bool, StepError> {
    let (shared, work, a) = (step.shared, step.work, step.action());
    step.intent(Some(a.id.clone()), None).await?;
    // Named by the tuple and the weight the cloud lists for its id (a replace's
    // delete half carries the new values).
    let Some(route) = listed(step, &a.id).await? else {
        return step.record_deleted().await.map(|()| !work.journaled);
    };
    let key = RouteKey {
        region: a.region.clone(),
        vpn_gateway: route.vpn_gateway.clone(),
        route_dest: route.route_dest.clone(),
        next_hop: route.next_hop.clone(),
        route_source: route.route_source.clone(),
    };
    let (weight, priority) = (route.weight, route.priority);
    let sent = step
        .send(|| {
            shared
                .client
                .delete_route_entry(&key, weight, priority, Some(&work.token))
        })
        .await?;
    step.confirm_deleted(lane, sent, true, || async move {
        Ok(read(step, &a.id).await?.is_none())
    })
    .await
}

/// Resolves a create journaled by an earlier run whose entry left the desired file:
/// the route of the journaled tuple listed means the create took effect (recorded, then
/// deleted); not listed, it took none (dropped). The tuple is the identity, so no
/// re-send is needed to tell.
pub(super) async fn resolve_orphan(step: &Step<'_>, lane: Lease) -> Result<Finished, StepError> {
    let (shared, a) = (step.shared, step.action());
    let hop = next_hop(step)?;
    let key = calls::key(a, &hop);
    let id = calls::id_of(&key);
    step.wait_active(WaitKind::EXACT).await?;
    let Some(attributes) = read(step, &id).await? else {
        step.abandon().await;
        return Ok(Finished::Dropped(format!(
            "the create journaled on {} by an interrupted run took no effect (the gateway \
             lists no route to {} through {}); its pending entry is dropped",
            a.vpn_gateway, key.route_dest, key.next_hop
        )));
    };
    let delete_work = step.record_orphan(&id, attributes).await?;
    delete(&Step::new(shared, &delete_work, step.started), lane)
        .await
        .map(|_| Finished::Done(None))
}
