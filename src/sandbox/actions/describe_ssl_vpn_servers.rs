//! `DescribeSslVpnServers`: a page of a region's SSL-VPN servers (`PageNumber` from 1,
//! `PageSize` 1-50, default 10), optionally filtered by `VpnGatewayId`,
//! `SslVpnServerId`, `Name` and `ResourceGroupId` (a server's is its gateway's), the
//! filters of the request model. Answers `{SslVpnServers: {SslVpnServer: [...]},
//! TotalCount, PageNumber, PageSize}`, each server with the fields of
//! [`super::ssl_vpn::server_json`]. A server whose create still configures is listed;
//! the list lag keeps the old answer a while after the gateway is `active` again.

use serde_json::Value;

use super::ssl_vpn::{server_json, shown_servers, wanted};
use super::{Page, region};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let page = Page::parse(req)?;
    let matching: Vec<Value> = shown_servers(inner, region)
        .into_iter()
        .filter(|(id, s, g)| {
            wanted(req, "VpnGatewayId", &s.vpn_gateway)
                && wanted(req, "SslVpnServerId", id)
                && wanted(req, "Name", s.name.as_deref().unwrap_or_default())
                && wanted(req, "ResourceGroupId", &g.resource_group_id)
        })
        .map(|(id, s, g)| server_json(id, s, g))
        .collect();
    Ok(page.answer(call, ("SslVpnServers", "SslVpnServer"), matching))
}
