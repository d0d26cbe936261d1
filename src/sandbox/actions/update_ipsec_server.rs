//! `UpdateIpsecServer`: changes a server's fields in place; the fields not given keep
//! their values (`IkeConfig`/`IpsecConfig` keys included). Asynchronous like a delete
//! (the gateway `updating` for the configure time, then the new values listed), except
//! that an update changing nothing but the name is synchronous: listed at once, the
//! gateway never `updating`.
//!
//! Checks, in order: parameters (as a create's; the name is spelled `IpsecServerName`
//! here), policy (403 `Forbidden` for the action, the server or its gateway), the
//! ClientToken (as a delete's), the server (404 `InvalidIpsecServerId.NotFound`), the
//! gateway (locked, busy), the client CIDR against the VPC and the local subnets as
//! they would be after the update, then `DryRun`. A server whose create still
//! configures exists: an update meets its gateway busy (`VpnGateway.Configuring`).
//! The answer is `{RequestId}` only, as the response model has it.

use serde_json::{Value, json};

use super::settings::{Settings, check_against_gateway};
use super::{Effect, dry_run_passed, gateway_ready, lane, record, region, remember, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let server_id = req.required("IpsecServerId")?;
    let client_token = req.client_token()?;
    let dry_run = req.bool("DryRun")?;
    let settings = Settings::parse(req, "IpsecServerName")?;

    let policy = &inner.config.policy;
    let world = inner.live.world();
    let current = world.ipsec_servers.get(server_id);
    if policy.deny_resources.contains(server_id)
        || current.is_some_and(|s| policy.deny_resources.contains(&s.vpn_gateway))
    {
        return Err(ApiError::forbidden());
    }
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, dry_run, &fingerprint) {
        return first;
    }

    let not_found = || {
        ApiError::new(
            404,
            "InvalidIpsecServerId.NotFound",
            format!("The specified IpsecServerId {server_id} does not exist."),
        )
    };
    let current = current.ok_or_else(not_found)?;
    let gateway_id = current.vpn_gateway.clone();
    let gateway = world
        .vpn_gateways
        .get(&gateway_id)
        .filter(|g| g.region == region)
        .ok_or_else(not_found)?;
    gateway_ready(inner, &gateway_id, gateway)?;
    let mut updated = current.clone();
    settings.apply(&mut updated)?;
    check_against_gateway(&updated, gateway)?;
    if dry_run {
        return Err(dry_run_passed());
    }

    let name_only = {
        let mut renamed = current.clone();
        renamed.name = updated.name.clone();
        renamed == updated
    };
    // The UpdateIpsecServer response model holds the RequestId and nothing else.
    let answer = json!({ "RequestId": call.request_id });
    let (until, active_since) = if name_only {
        let active_since = inner.live.active_since(&gateway_id);
        inner
            .live
            .world_mut()
            .ipsec_servers
            .insert(server_id.to_owned(), updated);
        (call.now, active_since)
    } else {
        let lane = lane(inner, &gateway_id, call);
        inner.live.begin_change(
            server_id,
            &gateway_id,
            updated,
            Some(lane.shows_from),
            lane.until,
            lane.list_lag,
        );
        (lane.until, lane.active_since)
    };
    record(
        inner,
        call,
        Effect {
            action: "UpdateIpsecServer",
            resource: server_id,
            vpn_gateway: &gateway_id,
            region,
            client_token,
            effect: "updated",
            configured_at: until,
            gateway_active_since: active_since,
        },
    );
    remember(inner, client_token, fingerprint, &answer);
    Ok(answer)
}
