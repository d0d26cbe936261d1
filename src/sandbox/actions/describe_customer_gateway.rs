//! `DescribeCustomerGateway`: one customer gateway by `CustomerGatewayId` (404
//! `InvalidCustomerGatewayInstanceId.NotFound`, also for one in another region), with
//! the fields of the response model.

use serde_json::Value;

use super::{customer_gateways, region};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("CustomerGatewayId")?;
    if inner.config.policy.deny_resources.contains(id) {
        return Err(ApiError::forbidden());
    }
    let gateway = customer_gateways::find(inner.live.world(), id, region)?;
    let mut answer = customer_gateways::json(id, gateway);
    answer["RequestId"] = call.request_id.clone().into();
    Ok(answer)
}
