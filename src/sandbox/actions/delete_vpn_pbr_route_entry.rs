//! `DeleteVpnPbrRouteEntry`: the policy-based route `VpnGatewayId`, `RouteSource`,
//! `RouteDest`, `NextHop` and `Weight` name, and `Priority` if given (a value other than
//! the route's names none: 400 `InvalidRouteEntry.NotFound`). As DeleteVpnRouteEntry:
//! on the gateway's lane, checks and codes in [`super::routes::change`], no `DryRun` (one
//! sent acts), `{RequestId}`.

use serde_json::Value;

use super::routes;
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::routes::VpnPbrRoute;
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    routes::delete::<VpnPbrRoute>(req, inner, call, "DeleteVpnPbrRouteEntry")
}
