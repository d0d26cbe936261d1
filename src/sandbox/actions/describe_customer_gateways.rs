//! `DescribeCustomerGateways`: a page of a region's customer gateways (`PageNumber` from
//! 1, `PageSize` 1-50, default 10), optionally filtered by `CustomerGatewayId` (one id)
//! and `ResourceGroupId`, the filters of the request model. Answers
//! `{CustomerGateways: {CustomerGateway: [...]}, TotalCount, PageNumber, PageSize}`.

use serde_json::Value;

use super::{Page, customer_gateways, region};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};
use crate::sandbox::world::DEFAULT_RESOURCE_GROUP;

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let page = Page::parse(req)?;
    let want_id = req.get("CustomerGatewayId");
    let want_group = req.get("ResourceGroupId");
    let matching: Vec<Value> = inner
        .live
        .world()
        .customer_gateways
        .iter()
        .filter(|(id, g)| {
            g.region == region
                && want_id.is_none_or(|w| w == id.as_str())
                && want_group.is_none_or(|w| w == DEFAULT_RESOURCE_GROUP)
        })
        .map(|(id, g)| customer_gateways::json(id, g))
        .collect();
    Ok(page.answer(call, ("CustomerGateways", "CustomerGateway"), matching))
}
