//! `DeleteVpnRouteEntry`: the destination route `VpnGatewayId`, `RouteDest`, `NextHop`
//! and `Weight` name (a weight other than the route's names none: 400
//! `InvalidRouteEntry.NotFound`). Asynchronous on the gateway's lane: the gateway is
//! `updating` for the configure time, then the route is gone; DescribeVpnRouteEntries
//! still lists it for the list lag. Checks and codes: [`super::routes::change`]. No
//! `DryRun`: a `DryRun=true` acts. Answers `{RequestId}`.

use serde_json::Value;

use super::routes;
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::routes::VpnRoute;
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    routes::delete::<VpnRoute>(req, inner, call, "DeleteVpnRouteEntry")
}
