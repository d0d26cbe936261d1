//! `ModifyVpnGatewayAttribute`: a gateway's `Name`, `Description` and `AutoPropagate`,
//! the only attributes with a modify API. A mutation on the gateway's own lane: it
//! needs the gateway `active` (`VpnGateway.Configuring` while it configures, as every
//! mutation of the gateway or a child). A change of the name or description is
//! synchronous; a change of `AutoPropagate` (route propagation) makes the gateway
//! `updating` for the configure time, the new value described at once.
//!
//! Checks, in order: parameters (`Name` 2-100 characters starting with a letter, then
//! letters, digits, `_`, `-` and `.`, as the request model says: `InvalidName`;
//! `InvalidDescription`; `AutoPropagate` true or false), policy (403 `Forbidden` for
//! the gateway), the ClientToken, the gateway (404 `InvalidVpnGatewayInstanceId.NotFound`,
//! locked, busy). No `DryRun`: one sent acts. The answer has the fields of the response
//! model that [`super::gateway_json`] answers, the gateway as it now is.

use serde_json::Value;

use super::{
    Effect, description_param, find_gateway, gateway_json, gateway_name, gateway_ready, lane,
    record, region, remember, replay,
};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

/// The fields of the response model (`ModifyVpnGatewayAttributeResponseBody`) that the
/// sandbox answers for every gateway.
const ANSWERED: [&str; 15] = [
    "VpnGatewayId",
    "Name",
    "Description",
    "VpcId",
    "VSwitchId",
    "InternetIp",
    "Status",
    "BusinessStatus",
    "Spec",
    "CreateTime",
    "EndTime",
    "EnableBgp",
    "AutoPropagate",
    "ResourceGroupId",
    "RequestId",
];

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let gateway_id = req.required("VpnGatewayId")?;
    let client_token = req.client_token()?;
    let name = gateway_name(req)?;
    let description = description_param(req)?;
    let auto_propagate = match req.get("AutoPropagate") {
        None => None,
        Some(_) => Some(req.bool("AutoPropagate")?),
    };

    if inner.config.policy.deny_resources.contains(gateway_id) {
        return Err(ApiError::forbidden());
    }
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }

    let current = find_gateway(inner.live.world(), gateway_id, region)?;
    gateway_ready(inner, gateway_id, current)?;
    let mut gateway = current.clone();
    if let Some(name) = name {
        gateway.name = Some(name.to_owned());
    }
    if let Some(description) = description {
        gateway.description = Some(description.to_owned());
    }
    let propagation_changes = auto_propagate.is_some_and(|p| p != gateway.auto_propagate);
    if let Some(propagate) = auto_propagate {
        gateway.auto_propagate = propagate;
    }
    let (configured_at, active_since) = if propagation_changes {
        let lane = lane(inner, gateway_id, call);
        inner
            .live
            .begin_gateway_change(gateway_id, lane.shows_from, lane.until);
        (lane.until, lane.active_since)
    } else {
        (call.now, inner.live.active_since(gateway_id))
    };
    inner
        .live
        .world_mut()
        .vpn_gateways
        .insert(gateway_id.to_owned(), gateway.clone());
    let mut full = gateway_json(inner, gateway_id, &gateway);
    full["RequestId"] = call.request_id.clone().into();
    let answer: Value = ANSWERED
        .iter()
        .map(|key| ((*key).to_owned(), full[*key].clone()))
        .collect::<serde_json::Map<String, Value>>()
        .into();
    record(
        inner,
        call,
        Effect {
            action: "ModifyVpnGatewayAttribute",
            resource: gateway_id,
            vpn_gateway: gateway_id,
            region,
            client_token,
            effect: "updated",
            configured_at,
            gateway_active_since: active_since,
        },
    );
    remember(inner, client_token, fingerprint, &answer);
    Ok(answer)
}
