//! `DescribeVpnGateways`: a page of a region's gateways (`PageNumber` from 1,
//! `PageSize` 1-50, default 10), optionally filtered by `VpnGatewayId`, `VpcId`,
//! `ResourceGroupId`, `Status` or `BusinessStatus` (filters of the request model). One
//! call reports the status of up to 50 gateways.

use serde_json::{Value, json};

use super::{gateway_json, region};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let page_number = req.int("PageNumber", 1, u32::MAX as u64, 1)?;
    let page_size = req.int("PageSize", 1, 50, 10)?;
    let want_id = req.get("VpnGatewayId");
    let want_status = req.get("Status");
    let want_business = req.get("BusinessStatus");
    let want_vpc = req.get("VpcId");
    let want_group = req.get("ResourceGroupId");
    let matching: Vec<Value> = inner
        .live
        .world()
        .vpn_gateways
        .iter()
        .filter(|(id, g)| {
            g.region == region
                && want_id.is_none_or(|w| w == id.as_str())
                && want_status.is_none_or(|w| w == inner.live.status(id, g))
                && want_business.is_none_or(|w| w == g.business_status)
                && want_vpc.is_none_or(|w| w == g.vpc_id(id))
                && want_group.is_none_or(|w| w == g.resource_group_id)
        })
        .map(|(id, g)| gateway_json(inner, id, g))
        .collect();
    let total = matching.len();
    let page: Vec<Value> = matching
        .into_iter()
        .skip(((page_number - 1) * page_size) as usize)
        .take(page_size as usize)
        .collect();
    Ok(json!({
        "RequestId": call.request_id,
        "TotalCount": total,
        "PageNumber": page_number,
        "PageSize": page_size,
        "VpnGateways": { "VpnGateway": page },
    }))
}
