//! `DeleteIpsecServer`: the one mutation. The gateway turns `updating` for the
//! configure time, then the server is gone and the gateway `active` again.
//!
//! Checks, in order: parameters, policy (403 `Forbidden`), the ClientToken (a repeat
//! with the same parameters gets the first answer and no second effect; with others,
//! `IdempotentParameterMismatch`), the server (404 `InvalidIpsecServerId.NotFound`: the
//! API documents no not-found code, this is the sandbox's choice), the gateway
//! (`VpnGateway.FinancialLocked`, `VpnGateway.Configuring`), then `DryRun`. The token
//! comes before the gateway's status because a retry of a delete that was applied finds
//! its own gateway still configuring: it must get its first answer, not `Configuring`.
//! A DryRun neither consults nor records tokens: a plan's precheck may use the token its
//! apply will use.

use serde_json::{Value, json};

use super::region;
use crate::sandbox::audit::AuditEntry;
use crate::sandbox::server::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let server_id = req.required("IpsecServerId")?;
    let client_token = req.client_token()?;
    let dry_run = req.bool("DryRun")?;

    let policy = &inner.config.policy;
    let world = inner.live.world();
    let gateway_id = world
        .ipsec_servers
        .get(server_id)
        .map(|s| s.vpn_gateway.as_str());
    if policy.deny_resources.contains(server_id)
        || gateway_id.is_some_and(|g| policy.deny_resources.contains(g))
    {
        return Err(ApiError::forbidden());
    }

    let fingerprint = req.fingerprint();
    if let (Some(token), false) = (client_token, dry_run)
        && let Some((first, answer)) = inner.tokens.get(token)
    {
        return if *first == fingerprint {
            Ok(answer.clone())
        } else {
            Err(ApiError::new(
                400,
                "IdempotentParameterMismatch",
                "The request uses the same client token as a previous, but non-identical request.",
            ))
        };
    }

    let not_found = || {
        ApiError::new(
            404,
            "InvalidIpsecServerId.NotFound",
            format!("The specified IpsecServerId {server_id} does not exist."),
        )
    };
    let server = world.ipsec_servers.get(server_id).ok_or_else(not_found)?;
    let gateway_id = server.vpn_gateway.clone();
    let gateway = world
        .vpn_gateways
        .get(&gateway_id)
        .filter(|g| g.region == region)
        .ok_or_else(not_found)?;
    if gateway.business_status == "FinancialLocked" {
        return Err(ApiError::new(
            400,
            "VpnGateway.FinancialLocked",
            "The specified VPN gateway is locked due to an overdue payment.",
        ));
    }
    match inner.live.status(&gateway_id, gateway) {
        // The status lag: it still shows `active`, but a task is queued on it.
        "active" if inner.live.has_task(&gateway_id) => {
            return Err(ApiError::new(
                400,
                "VpnTask.CONFLICT",
                "A task is already running on the specified VPN gateway.",
            ));
        }
        "active" => {}
        "updating" => {
            return Err(ApiError::new(
                400,
                "VpnGateway.Configuring",
                "The specified VPN gateway is being configured. Try again later.",
            ));
        }
        other => {
            return Err(ApiError::new(
                400,
                "IncorrectStatus.VpnGateway",
                format!("The VPN gateway is {other}: the operation needs it active."),
            ));
        }
    }
    if dry_run {
        return Err(ApiError::new(
            400,
            "DryRunOperation",
            "Request validation has been passed with DryRun flag set.",
        ));
    }

    let configure_time = inner.dice.configure_time(inner.config.configure_time);
    let shows_from = call.now + inner.config.status_lag;
    let until = shows_from + configure_time;
    let active_since = inner.live.active_since(&gateway_id);
    let list_lag = inner.config.list_lag;
    inner
        .live
        .begin_delete_lagging(server_id, &gateway_id, Some(shows_from), until, list_lag);
    let entry = AuditEntry {
        time: inner.wall(call.now),
        action: "DeleteIpsecServer".to_owned(),
        resource: server_id.to_owned(),
        vpn_gateway: gateway_id,
        region: region.to_owned(),
        client_token: client_token.map(str::to_owned),
        request_id: call.request_id.clone(),
        effect: "deleted".to_owned(),
        configured_at: inner.wall(until),
        gateway_active_since: active_since.map(|at| inner.wall(at)),
    };
    inner.record(entry);
    let answer = json!({ "RequestId": call.request_id });
    if let Some(token) = client_token {
        inner
            .tokens
            .insert(token.to_owned(), (fingerprint, answer.clone()));
    }
    Ok(answer)
}
