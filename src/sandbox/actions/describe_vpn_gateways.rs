//! `DescribeVpnGateways`: a page of a region's gateways (`PageNumber` from 1,
//! `PageSize` 1-50, default 10), optionally filtered by `VpnGatewayId`, `VpcId`,
//! `ResourceGroupId`, `Status` or `BusinessStatus` (filters of the request model). One
//! call reports the status of up to 50 gateways.

use serde_json::Value;

use super::{Page, gateway_json, region};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let page = Page::parse(req)?;
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
    Ok(page.answer(call, ("VpnGateways", "VpnGateway"), matching))
}
