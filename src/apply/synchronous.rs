//! The mutations of a kind without a lane (customer gateways): synchronous calls on no
//! VPN gateway, so nothing is waited for; each is journaled first, sent with its token,
//! confirmed by reading the resource by its id, and recorded at once, as every step of
//! `step.rs` does for the kinds on a gateway's lane.

use super::configure_time::Rereads;
use super::error::{StepError, Unmet};
use super::schedule::Lease;
use super::step::{Sent, Step};
use super::work::Finished;
use crate::cloud::ErrorClass;
use crate::kinds::customer_gateway::{CustomerGateway, calls};
use crate::plan::{Action, ActionKind};

/// The resource `id` as listed now, or `None` when it is gone.
async fn read(step: &Step<'_>, id: &str) -> Result<Option<CustomerGateway>, StepError> {
    let a = step.action();
    let listed = step
        .progress(
            step.shared
                .client
                .describe_customer_gateways(&a.region, Some(id)),
        )
        .await
        .map_err(|error| step.unreadable(error))?;
    Ok(listed.into_iter().find(|g| g.id == id))
}

/// Whether the listed gateway holds the key the action sends, if it sends one.
fn holds_key(step: &Step<'_>, listed: &CustomerGateway) -> bool {
    let a = step.action();
    match &a.psk {
        Some(p) if p.changed => step
            .shared
            .keys
            .get(&a.address)
            .is_some_and(|key| listed.auth_key.as_ref() == Some(key)),
        _ => true,
    }
}

/// Reads `id` until it holds what the action sent (bounded), then records it.
async fn confirm_written(step: &Step<'_>, id: &str) -> Result<(), StepError> {
    let a = step.action();
    let intended = crate::plan::calls::intended(a);
    let mut rereads = Rereads::new();
    for attempt in 0..step.shared.options.confirm_attempts {
        if attempt > 0 {
            step.before_reread(rereads.pause()).await?;
        }
        if let Some(listed) = read(step, id).await?
            && holds_key(step, &listed)
            && crate::plan::calls::holds(&calls::attributes(&listed), &intended)
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
        gateway: String::new(),
    }
    .kept())
}

/// Creates the action's resource; returns its new id. A create journaled by an earlier
/// run is re-sent as journaled (its values, its token): the cloud answers a token it has
/// seen with its first answer, so a lost answer is never a second resource.
pub(super) async fn create(step: &Step<'_>, lane: Lease) -> Result<String, StepError> {
    let (shared, a) = (step.shared, step.action());
    let key = step.key()?;
    step.intent(None, Some(super::step::sent(a))).await?;
    let request = calls::create_request(a, key, step.work.token.clone());
    let Sent::Accepted(id) = step
        .send(|| shared.client.create_customer_gateway(&request))
        .await?
    else {
        unreachable!("only a delete is answered not-found or gone")
    };
    let confirmed = confirm_written(step, &id).await;
    drop(lane);
    confirmed.map(|()| id)
}

/// Updates the action's resource in place (an adopt's differing attributes after it is
/// recorded as listed).
pub(super) async fn adopt_then_update(step: &Step<'_>, lane: Lease) -> Result<(), StepError> {
    let (shared, a) = (step.shared, step.action());
    step.record_if_adopted().await?;
    let key = step.key()?;
    step.intent(Some(a.id.clone()), Some(super::step::sent(a)))
        .await?;
    let request = calls::modify_request(a, key, step.work.token.clone());
    step.send(|| shared.client.modify_customer_gateway(&request))
        .await?;
    let confirmed = confirm_written(step, &a.id).await;
    drop(lane);
    confirmed
}

/// Deletes the action's resource; `Ok(true)` when the cloud said it was already gone.
pub(super) async fn delete(step: &Step<'_>, lane: Lease) -> Result<bool, StepError> {
    let (shared, work, a) = (step.shared, step.work, step.action());
    step.intent(Some(a.id.clone()), None).await?;
    if work.journaled && read(step, &a.id).await?.is_none() {
        // An earlier run's delete took effect and only its record was lost.
        return step.record_deleted().await.map(|()| false);
    }
    let sent = step
        .send(|| {
            shared
                .client
                .delete_customer_gateway(&a.region, &a.id, Some(&work.token))
        })
        .await?;
    step.confirm_deleted(lane, sent, false, || async move {
        Ok(read(step, &a.id).await?.is_none())
    })
    .await
}

/// Resolves a create journaled by an earlier run whose entry left the desired file. No
/// customer gateway holds the journaled IP address: the create took no effect, its entry
/// is dropped. One does: the create is re-sent with the journal's token and values; an
/// answer proves the gateway is this create's (the cloud answers a token it has seen
/// with its first answer), so it is recorded and then deleted, being no longer desired;
/// a refusal proves the token made nothing, and that gateway is left alone.
pub(super) async fn resolve_orphan(step: &Step<'_>, lane: Lease) -> Result<Finished, StepError> {
    let (shared, work, a) = (step.shared, step.work, step.action());
    let Some(ip) = a.attributes.get("ip_address") else {
        return Err(StepError::OrphanUnsendable {
            gateway: a.region.clone(),
            server: String::new(),
        });
    };
    let listed = step
        .progress(shared.client.describe_customer_gateways(&a.region, None))
        .await
        .map_err(|error| step.unreadable(error))?;
    let Some(holder) = listed.iter().find(|g| &g.ip_address == ip) else {
        step.abandon().await;
        return Ok(Finished::Dropped(format!(
            "the create journaled for {ip} in {} by an interrupted run took no effect (no \
             customer gateway holds that address); its pending entry is dropped",
            a.region
        )));
    };
    let create = Action {
        action: ActionKind::Create,
        ..a.clone()
    };
    let key = step.key()?;
    let request = calls::create_request(&create, key, work.token.clone());
    let id = match step
        .progress(shared.client.create_customer_gateway(&request))
        .await
    {
        Ok(id) => id,
        Err(e) if matches!(e.class, ErrorClass::Terminal | ErrorClass::NotFound) => {
            step.abandon().await;
            return Ok(Finished::Dropped(format!(
                "the create journaled for {ip} in {} by an interrupted run took no effect: {} \
                 there is not its customer gateway (re-sent with its token, the create was \
                 refused: {}); its pending entry is dropped and {} left alone",
                a.region, holder.id, e.code, holder.id
            )));
        }
        Err(e) => return Err(StepError::api(e).kept()),
    };
    let delete_work = step.record_orphan(&id, calls::attributes(holder)).await?;
    delete(&Step::new(shared, &delete_work, step.started), lane)
        .await
        .map(|_| Finished::Done(None))
}
