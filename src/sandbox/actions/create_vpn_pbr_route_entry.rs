//! `CreateVpnPbrRouteEntry`: a policy-based route on a gateway: traffic from
//! `RouteSource` to `RouteDest` leaves through `NextHop` (an IPsec-VPN connection of
//! the gateway), with `Weight` 0 or 100 and `Priority` 1 to 100 (default 10; a smaller
//! one wins), published to the VPC if `PublishVpc`. On the gateway's lane, with the
//! checks, codes and DryRun of CreateVpnRouteEntry (see [`super::routes`]), `RouteSource`
//! checked as `RouteDest` and a `Priority` outside 1-100 `InvalidParameter`; the quota of
//! 20 is counted apart from the destination routes'. The answer adds `RouteSource` and
//! `Priority` to CreateVpnRouteEntry's; the audit names the route by its tuple
//! (`vpn-...:vco-...:SOURCE:DEST`).

use serde_json::Value;

use super::routes;
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::routes::VpnPbrRoute;
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    routes::create::<VpnPbrRoute>(req, inner, call, "CreateVpnPbrRouteEntry")
}
