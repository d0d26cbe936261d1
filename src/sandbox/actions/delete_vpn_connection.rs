//! `DeleteVpnConnection`: asynchronous on the gateway's lane, like DeleteIpsecServer:
//! the gateway is `updating` for the configure time, then the connection is gone and
//! the gateway `active` again; the Describe calls still show it for the list lag.
//!
//! Checks, in order: parameters, policy (403 `Forbidden` for the connection or its
//! gateway), the ClientToken (a retry of an applied delete gets its first answer, not
//! `Configuring`), the connection (404 `InvalidVpnConnectionInstanceId.NotFound`), the
//! gateway free (`VpnConnection.Configuring` while the connection's own create or change
//! configures, else `VpnGateway.Configuring`, `VpnTask.CONFLICT`,
//! `VpnGateway.FinancialLocked`), then no route of the gateway through it, destination
//! or policy-based: 400 `DependencyViolation.VpnRouteEntry` (the API documents no code;
//! the sandbox's, in the family of DeleteVpnGateway's). No `DryRun`: a `DryRun=true`
//! acts. Answers `{RequestId}`.

use serde_json::{Value, json};

use super::connections::{connection_ready, find};
use super::{Effect, lane, record, region, remember, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("VpnConnectionId")?;
    let client_token = req.client_token()?;

    let policy = &inner.config.policy;
    let world = inner.live.world();
    if policy.deny_resources.contains(id)
        || world
            .vpn_connections
            .get(id)
            .is_some_and(|c| policy.deny_resources.contains(&c.vpn_gateway))
    {
        return Err(ApiError::forbidden());
    }
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }

    let (connection, gateway) = find(world, id, region)?;
    let gateway_id = connection.vpn_gateway.clone();
    connection_ready(inner, id, &gateway_id, gateway)?;
    let routed = (world.vpn_routes.iter())
        .filter(|r| r.next_hop == id)
        .map(|r| r.describe())
        .chain(
            (world.vpn_policy_routes.iter())
                .filter(|r| r.next_hop == id)
                .map(|r| r.describe()),
        )
        .next();
    if let Some(route) = routed {
        return Err(ApiError::new(
            400,
            "DependencyViolation.VpnRouteEntry",
            format!(
                "The IPsec-VPN connection {id} is the next hop of the route {route} of the VPN gateway {gateway_id}: delete the route first."
            ),
        ));
    }

    let lane = lane(inner, &gateway_id, call);
    inner.live.begin_delete_lagging(
        id,
        &gateway_id,
        Some(lane.shows_from),
        lane.until,
        lane.list_lag,
    );
    record(
        inner,
        call,
        Effect {
            action: "DeleteVpnConnection",
            resource: id,
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
