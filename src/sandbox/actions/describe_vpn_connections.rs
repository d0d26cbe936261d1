//! `DescribeVpnConnections`: a page of a region's IPsec-VPN connections (`PageNumber`
//! from 1, `PageSize` 1-50, default 10), optionally filtered by `VpnGatewayId`,
//! `CustomerGatewayId` (a single tunnel's or either tunnel's) and `VpnConnectionId`, the
//! filters of the request model. Answers `{VpnConnections: {VpnConnection: [...]},
//! TotalCount, PageNumber, PageSize}`, each connection with its PSKs in clear text (see
//! [`super::connections`]). A connection whose create still configures is listed; the
//! list lag keeps the old answer a while after the gateway is `active` again.

use serde_json::Value;

use super::connections::{Model, json, shown};
use super::{Page, region};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let page = Page::parse(req)?;
    let want_gateway = req.get("VpnGatewayId");
    let want_customer_gateway = req.get("CustomerGatewayId");
    let want_id = req.get("VpnConnectionId");
    let world = inner.live.world();
    let matching: Vec<Value> = shown(inner)
        .into_iter()
        .filter_map(|(id, c)| {
            let gateway = world.vpn_gateways.get(&c.vpn_gateway)?;
            let wanted = gateway.region == region
                && want_gateway.is_none_or(|w| w == c.vpn_gateway)
                && want_customer_gateway.is_none_or(|w| c.customer_gateways().any(|g| g == w))
                && want_id.is_none_or(|w| w == id.as_str());
            wanted.then(|| json(world, id, c, Some(gateway), Model::List))
        })
        .collect();
    Ok(page.answer(call, ("VpnConnections", "VpnConnection"), matching))
}
