//! `CreateVpnRouteEntry`: a destination route on a gateway: traffic to `RouteDest`
//! leaves through `NextHop`, an IPsec-VPN connection of the gateway, with `Weight` 0
//! (standby) or 100 (active), published to the VPC's route table if `PublishVpc`.
//! Asynchronous on the gateway's lane, like CreateVpnConnection: the route exists from
//! the answer on (described while it configures, and calls on it meet
//! `VpnRouteEntry.Configuring`), the gateway is `updating` for the configure time
//! (after the status lag), and DescribeVpnRouteEntries leaves it out for the list lag
//! after that.
//!
//! Checks, in order: parameters (`MissingVpnGatewayId`, `MissingRouteDest`,
//! `MissingNextHop`, `MissingWeight`, `MissingPublishVpc`; `InvalidParameter` for a
//! `RouteDest` that is not a CIDR block, a weight other than 0 and 100, an
//! `OverlayMode` other than `Ipsec`; `InvalidDescription`), policy (403 `Forbidden` for
//! the gateway or the next hop), the ClientToken (a repeat with the same parameters gets
//! the first answer and no second route), the gateway (404
//! `InvalidVpnGatewayInstanceId.NotFound`; locked, busy), the next hop (400
//! `InvalidNextHop.NotFound`), the tuple not taken (400 `InvalidRouteEntry.Duplicate`),
//! 20 per gateway (400 `Resource.QuotaFull`), then `DryRun` (`DryRunOperation`, which
//! neither consults nor records tokens): see [`super::routes`] for the codes the API
//! leaves unspelled. The answer is the create model's (`VpnInstanceId`, `RouteDest`,
//! `NextHop`, `Weight`, `State`, `CreateTime`, `Description`, `OverlayMode`,
//! `RequestId`); the audit names the route by its tuple (`vpn-...:vco-...:DEST`).

use serde_json::Value;

use super::routes;
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::routes::VpnRoute;
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    routes::create::<VpnRoute>(req, inner, call, "CreateVpnRouteEntry")
}
