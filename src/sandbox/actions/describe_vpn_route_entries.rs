//! `DescribeVpnRouteEntries`: a page of the destination routes of `VpnGatewayId`
//! (`PageNumber` from 1, `PageSize` 1-50, default 10). `RouteEntryType` `custom` (the
//! default) asks for the routes made by CreateVpnRouteEntry, `bgp` for the routes BGP
//! learned, of which the sandbox has none. Answers `{VpnRouteEntries: {VpnRouteEntry:
//! [...]}, TotalCount, PageNumber, PageSize}`, each route with `VpnInstanceId`,
//! `RouteDest`, `NextHop`, `Weight`, `State` (`published` or `normal`),
//! `RouteEntryType` and `CreateTime`, ordered by tuple. A route whose create still
//! configures is listed; the list lag keeps the old answer a while after the gateway
//! is `active` again. A gateway that does not exist (or is in another region) has none.

use serde_json::Value;

use super::routes;
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::routes::VpnRoute;
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let custom = match req.get("RouteEntryType") {
        None | Some("custom") => true,
        Some("bgp") => false,
        Some(_) => {
            return Err(ApiError::invalid(
                "RouteEntryType",
                "it is custom (destination routes) or bgp (BGP routes).",
            ));
        }
    };
    routes::describe::<VpnRoute>(
        req,
        inner,
        call,
        ("VpnRouteEntries", "VpnRouteEntry"),
        custom,
    )
}
