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

use super::{Effect, dry_run_passed, gateway_ready, lane, record, region, remember, replay};
use crate::sandbox::inner::{Call, Inner};
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
    let server = world.ipsec_servers.get(server_id).ok_or_else(not_found)?;
    let gateway_id = server.vpn_gateway.clone();
    let gateway = world
        .vpn_gateways
        .get(&gateway_id)
        .filter(|g| g.region == region)
        .ok_or_else(not_found)?;
    gateway_ready(inner, &gateway_id, gateway)?;
    if dry_run {
        return Err(dry_run_passed());
    }

    let lane = lane(inner, &gateway_id, call);
    inner.live.begin_delete_lagging(
        server_id,
        &gateway_id,
        Some(lane.shows_from),
        lane.until,
        lane.list_lag,
    );
    record(
        inner,
        call,
        Effect {
            action: "DeleteIpsecServer",
            resource: server_id,
            vpn_gateway: &gateway_id,
            region,
            client_token,
            effect: "deleted",
            configured_at: lane.until,
            gateway_active_since: lane.active_since,
        },
    );
    let answer = json!({ "RequestId": call.request_id });
    remember(inner, client_token, fingerprint, &answer);
    Ok(answer)
}
