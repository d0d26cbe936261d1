//! `DescribeVpnPbrRouteEntries`: a page of the policy-based routes of `VpnGatewayId`
//! (`PageNumber` from 1, `PageSize` 1-50, default 10). Answers `{VpnPbrRouteEntries:
//! {VpnPbrRouteEntry: [...]}, TotalCount, PageNumber, PageSize}`, each route with
//! `VpnInstanceId`, `RouteSource`, `RouteDest`, `NextHop`, `Weight`, `Priority`, `State`
//! and `CreateTime`, ordered by tuple; lags as DescribeVpnRouteEntries.

use serde_json::Value;

use super::routes;
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::routes::VpnPbrRoute;
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    routes::describe::<VpnPbrRoute>(
        req,
        inner,
        call,
        ("VpnPbrRouteEntries", "VpnPbrRouteEntry"),
        true,
    )
}
