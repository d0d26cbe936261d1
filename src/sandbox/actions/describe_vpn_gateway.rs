//! `DescribeVpnGateway`: one gateway's status and business status. An unknown gateway
//! (or one in another region) is 404 `InvalidVpnGatewayInstanceId.NotFound`.

use serde_json::Value;

use super::{gateway_json, region};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("VpnGatewayId")?;
    if inner.config.policy.deny_resources.contains(id) {
        return Err(ApiError::forbidden());
    }
    let gateway = inner
        .live
        .world()
        .vpn_gateways
        .get(id)
        .filter(|g| g.region == region)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "InvalidVpnGatewayInstanceId.NotFound",
                "The specified vpn gateway instance id does not exist.",
            )
        })?;
    let mut answer = gateway_json(inner, id, gateway);
    answer["RequestId"] = call.request_id.clone().into();
    Ok(answer)
}
