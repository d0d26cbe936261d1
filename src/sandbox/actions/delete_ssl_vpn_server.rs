//! `DeleteSslVpnServer`: a server and, with it, every client certificate it issued
//! (every client of the server is disconnected). Asynchronous on the gateway's lane: the
//! gateway is `updating` for the configure time, then the server and its certificates
//! are gone; the Describe calls still show them for the list lag. The audit log has a
//! `deleted` entry for the server and one for each certificate, all configured when the
//! gateway is `active` again.
//!
//! Checks, in order: parameters, policy (403 `Forbidden` for the server or its gateway),
//! the ClientToken (a retry of an applied delete gets its first answer), the server (404
//! `InvalidSslVpnServerId.NotFound`), the gateway free (`VpnGateway.Configuring`,
//! `VpnTask.CONFLICT`, `VpnGateway.FinancialLocked`). No `DryRun`: the API has none
//! here, so a `DryRun=true` acts. Answers `{RequestId}`.

use serde_json::{Value, json};

use super::ssl_vpn::{find_server, server_names};
use super::{Effect, Mutation, denied, gateway_ready, record, region, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("SslVpnServerId")?;
    let client_token = req.client_token()?;

    let world = inner.live.world();
    denied(inner, &server_names(world, id))?;
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }

    let (server, gateway) = find_server(world, id, region)?;
    let gateway_id = server.vpn_gateway.clone();
    gateway_ready(inner, &gateway_id, gateway)?;
    let certs: Vec<String> = (world.ssl_vpn_client_certs.iter())
        .filter(|(_, c)| c.ssl_vpn_server == id)
        .map(|(cert, _)| cert.clone())
        .collect();

    let answer = json!({ "RequestId": call.request_id });
    let mutation = Mutation {
        action: "DeleteSslVpnServer",
        resource: id,
        vpn_gateway: &gateway_id,
        region,
        client_token,
        fingerprint,
        effect: "deleted",
    };
    let lane = mutation.on_lane(inner, call, &answer, |live, lane| {
        lane.delete(live, id, &gateway_id)
    });
    for cert in &certs {
        record(
            inner,
            call,
            Effect {
                action: "DeleteSslVpnServer",
                resource: cert,
                vpn_gateway: &gateway_id,
                region,
                client_token,
                effect: "deleted",
                configured_at: lane.until,
                gateway_active_since: lane.active_since,
            },
        );
    }
    Ok(answer)
}
