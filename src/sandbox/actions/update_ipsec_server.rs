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
use super::{dry_run_passed, gateway_ready, region, replay};
use crate::sandbox::audit::AuditEntry;
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
    let active_since = inner.live.active_since(&gateway_id);
    let until = if name_only {
        inner
            .live
            .world_mut()
            .ipsec_servers
            .insert(server_id.to_owned(), updated);
        call.now
    } else {
        let configure_time = inner.dice.configure_time(inner.config.configure_time);
        let shows_from = call.now + inner.config.status_lag;
        let until = shows_from + configure_time;
        let list_lag = inner.config.list_lag;
        inner
            .live
            .begin_change(server_id, updated, Some(shows_from), until, list_lag);
        until
    };
    let entry = AuditEntry {
        time: inner.wall(call.now),
        action: "UpdateIpsecServer".to_owned(),
        resource: server_id.to_owned(),
        vpn_gateway: gateway_id,
        region: region.to_owned(),
        client_token: client_token.map(str::to_owned),
        request_id: call.request_id.clone(),
        effect: "updated".to_owned(),
        configured_at: inner.wall(until),
        gateway_active_since: active_since.map(|at| inner.wall(at)),
    };
    inner.record(entry);
    if let Some(token) = client_token {
        inner
            .tokens
            .insert(token.to_owned(), (fingerprint, answer.clone()));
    }
    Ok(answer)
}
