//! `DeleteVpnGateway`: a gateway with nothing on it. Its lane's last operation: the
//! gateway still shows `active` for the status lag, then `deleting` for the configure
//! time, then it is gone (404 `InvalidVpnGatewayInstanceId.NotFound`).
//!
//! Checks, in order: parameters, policy (403 `Forbidden` for the gateway), the
//! ClientToken (a retry of an applied delete gets its first answer), the gateway (404
//! `InvalidVpnGatewayInstanceId.NotFound`), a subscription (`Prepay`) gateway (403
//! `ForbiddenRelease`: it is released when its subscription ends), the gateway free
//! (`VpnGateway.Configuring`, `VpnTask.CONFLICT`, `VpnGateway.FinancialLocked`;
//! `IncorrectStatus.VpnGateway` while it is created or deleted), then what is on it:
//! an IPsec-VPN connection, under `vpn_connections` or anonymous (400
//! `DependencyViolation.VpnConnection`), an SSL-VPN server (400
//! `DependencyViolation.SslVpnServer`), an IPsec server (400
//! `DependencyViolation.SslVpnServer` too: the API documents no code for one, and an
//! IPsec server is the other client-to-site server, riding on the gateway's SSL-VPN;
//! the message names it). A route needs a connection, so it cannot outlive one. No
//! `DryRun`: the API has none here, so a `DryRun=true` acts. Answers `{RequestId}`.

use serde_json::{Value, json};

use super::{Mutation, denied, find_gateway, gateway_ready, region, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};
use crate::sandbox::world::World;

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("VpnGatewayId")?;
    let client_token = req.client_token()?;

    denied(inner, &[id])?;
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }

    let world = inner.live.world();
    let gateway = find_gateway(world, id, region)?;
    if gateway.charge_type == "Prepay" {
        return Err(ApiError::new(
            403,
            "ForbiddenRelease",
            format!(
                "Forbidden to release a prepaid instance within validity period: the VPN gateway {id} is a subscription."
            ),
        ));
    }
    gateway_ready(inner, id, gateway)?;
    if let Some((code, message)) = dependency(world, id, gateway.ipsec_connections) {
        return Err(ApiError::new(400, code, message));
    }

    let answer = json!({ "RequestId": call.request_id });
    let mutation = Mutation {
        action: "DeleteVpnGateway",
        resource: id,
        vpn_gateway: id,
        region,
        client_token,
        fingerprint,
        effect: "deleted",
    };
    mutation.on_lane(inner, call, &answer, |live, lane| {
        live.begin_gateway_delete(id, lane.shows_from, lane.until)
    });
    Ok(answer)
}

/// The first thing on the gateway that keeps it, as its code and message.
fn dependency(world: &World, id: &str, anonymous: u32) -> Option<(&'static str, String)> {
    let held = |what: String| format!("The VPN gateway {id} still holds {what}: delete it first.");
    if let Some((connection, _)) = (world.vpn_connections.iter()).find(|(_, c)| c.vpn_gateway == id)
    {
        return Some((
            "DependencyViolation.VpnConnection",
            held(format!("the IPsec-VPN connection {connection}")),
        ));
    }
    if anonymous > 0 {
        return Some((
            "DependencyViolation.VpnConnection",
            held(format!("{anonymous} IPsec-VPN connection(s)")),
        ));
    }
    if let Some((server, _)) = (world.ssl_vpn_servers.iter()).find(|(_, s)| s.vpn_gateway == id) {
        return Some((
            "DependencyViolation.SslVpnServer",
            held(format!("the SSL-VPN server {server}")),
        ));
    }
    let ipsec_server = (world.ipsec_servers.iter()).find(|(_, s)| s.vpn_gateway == id);
    ipsec_server.map(|(server, _)| {
        (
            "DependencyViolation.SslVpnServer",
            held(format!("the IPsec server {server}")),
        )
    })
}
