//! `ModifyVpnConnectionAttribute`: everything of a connection but its customer gateway
//! and its shape: `Name`, `LocalSubnet`, `RemoteSubnet`, `EffectImmediately`,
//! `AutoConfigRoute`, and a single tunnel's `IkeConfig` (its `Psk` included),
//! `IpsecConfig`, `BgpConfig`, `HealthCheckConfig`, `EnableDpd`, `EnableNatTraversal`, or
//! a dual tunnel's `TunnelOptionsSpecification.N.*` and `EnableTunnelsBgp`. The fields
//! not given keep their values, keys of the JSON objects included. Asynchronous on the
//! gateway's lane, like UpdateIpsecServer: the gateway is `updating` for the configure
//! time, then the new values are described (after the list lag).
//!
//! Checks, in order: parameters (as a create's), policy (403 `Forbidden` for the
//! connection or its gateway), the ClientToken, the connection (404
//! `InvalidVpnConnectionInstanceId.NotFound`), the parameters against its shape, the
//! gateway free (`VpnConnection.Configuring` while the connection's own create or change
//! configures, else `VpnGateway.Configuring`, `VpnTask.CONFLICT`, `VpnGateway.FinancialLocked`),
//! a tunnel's new customer gateway (404 `InvalidCustomerGatewayInstanceId.NotFound`).
//! No `DryRun`: the API has none here, and the cloud ignores a parameter it does not
//! know, so a `DryRun=true` acts. The answer is the response model's: the connection as
//! it will be, its PSKs included.

use serde_json::Value;

use super::connection_settings::ConnectionSettings;
use super::connections::{Model, connection_ready, find, json};
use super::{Effect, customer_gateways, lane, record, region, remember, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("VpnConnectionId")?;
    let client_token = req.client_token()?;
    let settings = ConnectionSettings::parse(req)?;

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

    let (current, gateway) = find(world, id, region)?;
    settings.check_shape(current.is_dual_tunnel())?;
    let gateway_id = current.vpn_gateway.clone();
    connection_ready(inner, id, &gateway_id, gateway)?;
    let mut updated = current.clone();
    settings.apply(&mut updated, id)?;
    for customer_gateway in updated.customer_gateways() {
        customer_gateways::find(world, customer_gateway, region)?;
    }
    let mut answer = json(world, id, &updated, Some(gateway), Model::Modify);
    answer["RequestId"] = call.request_id.clone().into();

    let lane = lane(inner, &gateway_id, call);
    inner.live.begin_change(
        id,
        &gateway_id,
        updated,
        Some(lane.shows_from),
        lane.until,
        lane.list_lag,
    );
    record(
        inner,
        call,
        Effect {
            action: "ModifyVpnConnectionAttribute",
            resource: id,
            vpn_gateway: &gateway_id,
            region,
            client_token,
            effect: "updated",
            configured_at: lane.until,
            gateway_active_since: lane.active_since,
        },
    );
    remember(inner, client_token, fingerprint, &answer);
    Ok(answer)
}
