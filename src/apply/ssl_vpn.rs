//! The SSL-VPN kinds' mutations on their gateway's lane: the server (create and modify
//! sent with the plan's token, confirmed by reading it by id once the gateway is
//! `active` again) and its client certificates (the same, the server named by address
//! resolved to the id this run created, the certificate's fingerprint read once with
//! DescribeSslVpnClientCert; its material never leaves the call).
//!
//! Rule 6: the cloud deletes a server's certificates with it. A certificate's delete
//! first reads its server: gone (the plan's server delete, which the graph runs
//! first, or anyone's), the certificate went with it and is recorded gone with no call;
//! there, DeleteSslVpnClientCert is sent as any delete.

use std::collections::BTreeMap;

use super::configure_time::{Rereads, WaitKind};
use super::error::{StepError, Unmet};
use super::schedule::Lease;
use super::step::{Sent, Step};
use super::work::Finished;
use crate::address::Kind;
use crate::kinds::ssl_vpn_client_cert::{DescribeSslVpnClientCerts, calls as cert_calls};
use crate::kinds::ssl_vpn_server::{DescribeSslVpnServers, calls as server_calls};
use crate::plan::ActionKind;

fn is_server(step: &Step<'_>) -> bool {
    step.action().address.kind() == Kind::SslVpnServer
}

/// The server `id` in `region` as listed now, or `None` when it is gone.
async fn read_server(
    step: &Step<'_>,
    region: &str,
    id: &str,
) -> Result<Option<BTreeMap<String, String>>, StepError> {
    let request = DescribeSslVpnServers {
        region: region.to_owned(),
        id: Some(id.to_owned()),
        ..DescribeSslVpnServers::default()
    };
    let listed = step
        .progress(step.shared.client.describe_ssl_vpn_servers(&request))
        .await
        .map_err(|error| step.unreadable(error))?;
    Ok(listed
        .iter()
        .find(|s| s.id == id)
        .map(server_calls::attributes))
}

/// The action's resource `id` (of its kind) as listed now, or `None` when it is gone.
async fn read(step: &Step<'_>, id: &str) -> Result<Option<BTreeMap<String, String>>, StepError> {
    let a = step.action();
    if is_server(step) {
        return read_server(step, &a.region, id).await;
    }
    let request = DescribeSslVpnClientCerts {
        region: a.region.clone(),
        id: Some(id.to_owned()),
        ..DescribeSslVpnClientCerts::default()
    };
    let listed = step
        .progress(step.shared.client.describe_ssl_vpn_client_certs(&request))
        .await
        .map_err(|error| step.unreadable(error))?;
    Ok(listed
        .iter()
        .find(|c| c.id == id)
        .map(cert_calls::attributes))
}

/// Waits for the gateway, then reads `id` until it holds `intended` (bounded); returns
/// what it lists.
async fn confirm(
    step: &Step<'_>,
    id: &str,
    intended: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, StepError> {
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
            return Ok(listed);
        }
    }
    let kind = a.address.kind().facts();
    Err(StepError::Unconfirmed {
        call: if matches!(a.action, ActionKind::Create | ActionKind::Replace) {
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

/// What a certificate records besides what its listing says: the fingerprint of its
/// certificate, read with DescribeSslVpnClientCert (the material is dropped at once).
async fn with_fingerprint(
    step: &Step<'_>,
    id: &str,
    mut listed: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, StepError> {
    let a = step.action();
    let fingerprint = match a.attributes.get("fingerprint") {
        // The same certificate keeps its fingerprint (an update changes its name).
        Some(known) if a.id == id => known.clone(),
        _ => step
            .progress(
                step.shared
                    .client
                    .describe_ssl_vpn_client_cert(&a.region, id),
            )
            .await
            .map_err(|error| step.unreadable(error))?
            .fingerprint(),
    };
    listed.insert("fingerprint".to_owned(), fingerprint);
    Ok(listed)
}

/// Creates the action's server or certificate; returns its new id. A create journaled
/// by an earlier run is re-sent as journaled, with its token: a lost answer is never a
/// second resource.
pub(super) async fn create(step: &Step<'_>, lane: Lease) -> Result<String, StepError> {
    let (shared, a) = (step.shared, step.action());
    let token = step.work.token.clone();
    let mut intended = a.attributes.clone();
    let id = if is_server(step) {
        let request = server_calls::create_request(a, Some(token), false);
        step.intent(None, Some(super::step::sent(a))).await?;
        let Sent::Accepted(id) = step
            .send(|| shared.client.create_ssl_vpn_server(&request))
            .await?
        else {
            unreachable!("only a delete is answered not-found or gone")
        };
        id
    } else {
        let named = a
            .attributes
            .get("ssl_vpn_server")
            .cloned()
            .unwrap_or_default();
        let server = shared
            .resolve(&named)
            .ok_or(StepError::Unresolved { reference: named })?;
        intended.insert("ssl_vpn_server".to_owned(), server.clone());
        let name = a.attributes.get("name").cloned();
        step.intent(None, Some(super::step::sent(a))).await?;
        let Sent::Accepted(id) = step
            .send(|| {
                shared.client.create_ssl_vpn_client_cert(
                    &a.region,
                    &server,
                    name.as_deref(),
                    Some(&token),
                )
            })
            .await?
        else {
            unreachable!("only a delete is answered not-found or gone")
        };
        id
    };
    let confirmed = confirm(step, &id, &intended).await;
    drop(lane);
    let mut listed = confirmed?;
    if !is_server(step) {
        listed = with_fingerprint(step, &id, listed).await?;
    }
    step.record_written(&id, listed).await.map(|()| id)
}

/// Updates the action's server (ModifySslVpnServer, the changed fields) or
/// certificate (ModifySslVpnClientCert, its name) in place, an adopt recorded first.
pub(super) async fn adopt_then_update(step: &Step<'_>, lane: Lease) -> Result<(), StepError> {
    let (shared, a) = (step.shared, step.action());
    step.record_if_adopted().await?;
    step.intent(Some(a.id.clone()), Some(super::step::sent(a)))
        .await?;
    let token = step.work.token.clone();
    if is_server(step) {
        let request = server_calls::modify_request(a, Some(token), false);
        step.send(|| shared.client.modify_ssl_vpn_server(&request))
            .await?;
    } else {
        let name = a
            .cloud_changes()
            .find(|c| c.field == "name")
            .map(|c| c.to.clone())
            .unwrap_or_default();
        step.send(|| {
            shared
                .client
                .modify_ssl_vpn_client_cert(&a.region, &a.id, &name, Some(&token))
        })
        .await?;
    }
    let confirmed = confirm(step, &a.id, &crate::plan::calls::intended(a)).await;
    drop(lane);
    let mut listed = confirmed?;
    if !is_server(step) {
        listed = with_fingerprint(step, &a.id, listed).await?;
    }
    step.record_written(&a.id, listed).await
}

/// Deletes the action's server or certificate; `Ok(true)` when the cloud said it was
/// already gone. A certificate whose server is gone went with it: recorded gone, no
/// call (rule 6).
pub(super) async fn delete(step: &Step<'_>, lane: Lease) -> Result<bool, StepError> {
    let (shared, work, a) = (step.shared, step.work, step.action());
    step.intent(Some(a.id.clone()), None).await?;
    if !is_server(step)
        && let Some(server) = a.attributes.get("ssl_vpn_server")
        && read_server(step, &a.region, server).await?.is_none()
    {
        let recorded = step.record_deleted().await;
        drop(lane);
        return recorded.map(|()| false);
    }
    if work.journaled && read(step, &a.id).await?.is_none() {
        return step.record_deleted().await.map(|()| false);
    }
    let sent = if is_server(step) {
        step.send(|| {
            shared
                .client
                .delete_ssl_vpn_server(&a.region, &a.id, Some(&work.token))
        })
        .await?
    } else {
        step.send(|| {
            shared
                .client
                .delete_ssl_vpn_client_cert(&a.region, &a.id, Some(&work.token))
        })
        .await?
    };
    step.confirm_deleted(lane, sent, true, || async move {
        Ok(read(step, &a.id).await?.is_none())
    })
    .await
}

/// Resolves a create journaled by an earlier run whose entry left the desired file:
/// re-sent once with its token and values. An answer proves the resource is this
/// create's: it is recorded, then deleted; a refusal proves the token made nothing.
pub(super) async fn resolve_orphan(step: &Step<'_>, lane: Lease) -> Result<Finished, StepError> {
    let (shared, a) = (step.shared, step.action());
    step.wait_active(WaitKind::EXACT).await?;
    let token = step.work.token.clone();
    let answer = if is_server(step) {
        let create = crate::plan::Action {
            action: ActionKind::Create,
            ..a.clone()
        };
        let request = server_calls::create_request(&create, Some(token), false);
        step.progress(shared.client.create_ssl_vpn_server(&request))
            .await
    } else {
        let server = a
            .attributes
            .get("ssl_vpn_server")
            .and_then(|named| shared.resolve(named))
            .unwrap_or_default();
        let name = a.attributes.get("name").cloned();
        step.progress(shared.client.create_ssl_vpn_client_cert(
            &a.region,
            &server,
            name.as_deref(),
            Some(&token),
        ))
        .await
    };
    let id = match answer {
        Ok(id) => id,
        Err(e)
            if matches!(
                e.class,
                crate::cloud::ErrorClass::Terminal | crate::cloud::ErrorClass::NotFound
            ) =>
        {
            step.abandon().await;
            return Ok(Finished::Dropped(format!(
                "the create journaled on {} by an interrupted run took no effect (re-sent \
                 with its token, it was refused: {}); its pending entry is dropped",
                a.vpn_gateway, e.code
            )));
        }
        Err(e) => return Err(StepError::api(e).kept()),
    };
    let attributes = read(step, &id).await?.unwrap_or_default();
    let delete_work = step.record_orphan(&id, attributes).await?;
    delete(&Step::new(shared, &delete_work, step.started), lane)
        .await
        .map(|_| Finished::Done(None))
}
