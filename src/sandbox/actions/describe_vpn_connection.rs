//! `DescribeVpnConnection`: one connection by `VpnConnectionId` (404
//! `InvalidVpnConnectionInstanceId.NotFound`, also for one in another region), with the
//! fields of the response model: its PSK in clear text in `IkeConfig.Psk`, and each
//! tunnel's in `TunnelOptionsSpecification.TunnelOptions[].TunnelIkeConfig.Psk`. It
//! reads what DescribeVpnConnections reads, list lag included.

use serde_json::Value;

use super::connections::{Model, json, shown};
use super::region;
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("VpnConnectionId")?;
    if inner.config.policy.deny_resources.contains(id) {
        return Err(ApiError::forbidden());
    }
    let world = inner.live.world();
    let found = shown(inner).get(&id.to_owned()).and_then(|c| {
        let gateway = world.vpn_gateways.get(&c.vpn_gateway)?;
        (gateway.region == region).then(|| json(world, id, c, Some(gateway), Model::Describe))
    });
    let mut answer = found.ok_or_else(|| {
        ApiError::new(
            404,
            "InvalidVpnConnectionInstanceId.NotFound",
            format!("The specified vpn connection instance id {id} does not exist."),
        )
    })?;
    answer["RequestId"] = call.request_id.clone().into();
    Ok(answer)
}
