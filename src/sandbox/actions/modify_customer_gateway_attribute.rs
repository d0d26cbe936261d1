//! `ModifyCustomerGatewayAttribute`: a customer gateway's `Name`, `Description` and
//! `AuthKey` (the others force a new one). Synchronous: described with the new values
//! from the answer on.
//!
//! Checks, in order: parameters (as a create's), policy (403 `Forbidden` for the
//! customer gateway), the ClientToken, the customer gateway (404
//! `InvalidCustomerGatewayInstanceId.NotFound`). No `DryRun`: one sent acts. The answer
//! has the fields of the response model (the gateway as it now is, without its key).

use serde_json::{Value, json};

use super::customer_gateways::{auth_key_param, find};
use super::{Effect, description_param, name_param, record, region, remember, replay};
use crate::sandbox::connections::DEFAULT_CREATE_TIME;
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};
use crate::sandbox::world::DEFAULT_RESOURCE_GROUP;

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("CustomerGatewayId")?;
    let client_token = req.client_token()?;
    let name = name_param(req, "Name")?;
    let description = description_param(req)?;
    let auth_key = auth_key_param(req)?;

    if inner.config.policy.deny_resources.contains(id) {
        return Err(ApiError::forbidden());
    }
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }

    let mut gateway = find(inner.live.world(), id, region)?.clone();
    if let Some(name) = name {
        gateway.name = Some(name.to_owned());
    }
    if let Some(description) = description {
        gateway.description = Some(description.to_owned());
    }
    if let Some(key) = auth_key {
        gateway.auth_key = Some(key);
    }
    let answer = json!({
        "RequestId": call.request_id,
        "CustomerGatewayId": id,
        "IpAddress": gateway.ip_address,
        "Name": gateway.name.clone().unwrap_or_default(),
        "Description": gateway.description.clone().unwrap_or_default(),
        "CreateTime": gateway.create_time.unwrap_or(DEFAULT_CREATE_TIME),
        "ResourceGroupId": DEFAULT_RESOURCE_GROUP,
    });
    inner
        .live
        .world_mut()
        .customer_gateways
        .insert(id.to_owned(), gateway);
    record(
        inner,
        call,
        Effect {
            action: "ModifyCustomerGatewayAttribute",
            resource: id,
            vpn_gateway: "",
            region,
            client_token,
            effect: "updated",
            configured_at: call.now,
            gateway_active_since: None,
        },
    );
    remember(inner, client_token, fingerprint, &answer);
    Ok(answer)
}
