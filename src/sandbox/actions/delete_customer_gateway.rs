//! `DeleteCustomerGateway`: synchronous; gone from the answer on.
//!
//! Checks, in order: parameters, policy (403 `Forbidden` for the customer gateway), the
//! ClientToken, the customer gateway (404 `InvalidCustomerGatewayInstanceId.NotFound`),
//! then that no IPsec-VPN connection uses it, on any gateway and in any tunnel, a
//! connection still configuring or being deleted included: 400
//! `DependencyViolation.VpnConnection` (the API documents no code for this; the sandbox
//! borrows DeleteVpnGateway's for the same dependency). No `DryRun`: one sent acts.

use serde_json::{Value, json};

use super::customer_gateways::find;
use super::{Effect, record, region, remember, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("CustomerGatewayId")?;
    let client_token = req.client_token()?;

    if inner.config.policy.deny_resources.contains(id) {
        return Err(ApiError::forbidden());
    }
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }

    let world = inner.live.world();
    find(world, id, region)?;
    if let Some((connection, _)) = world
        .vpn_connections
        .iter()
        .find(|(_, c)| c.customer_gateways().any(|g| g == id))
    {
        return Err(ApiError::new(
            400,
            "DependencyViolation.VpnConnection",
            format!(
                "The customer gateway {id} is used by the IPsec-VPN connection {connection}: delete the connection first."
            ),
        ));
    }
    inner.live.world_mut().customer_gateways.remove(id);
    record(
        inner,
        call,
        Effect {
            action: "DeleteCustomerGateway",
            resource: id,
            vpn_gateway: "",
            region,
            client_token,
            effect: "deleted",
            configured_at: call.now,
            gateway_active_since: None,
        },
    );
    let answer = json!({ "RequestId": call.request_id });
    remember(inner, client_token, fingerprint, &answer);
    Ok(answer)
}
