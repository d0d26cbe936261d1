//! `PublishVpnRouteEntry`: publishes a route to the VPC's route table
//! (`PublishVpc=true`, its `State` then `published`) or withdraws it (`false`,
//! `normal`). `RouteType` `dbr` names the destination route `VpnGatewayId`, `RouteDest`,
//! `NextHop`; `pbr` every policy-based route with that destination and next hop (the
//! request has no `RouteSource`). Asynchronous on the gateway's lane, like a weight
//! change: one configure time for them all, one audit entry each.
//!
//! Checks, in order: parameters (`MissingVpnGatewayId`, `MissingRouteDest`,
//! `MissingNextHop`, `MissingRouteType`, `MissingPublishVpc`; `InvalidParameter` for
//! another `RouteType`), policy (403 `Forbidden` for the gateway or the next hop), the
//! ClientToken, the gateway (404 `InvalidVpnGatewayInstanceId.NotFound`), the routes
//! (400 `InvalidRouteEntry.NotFound` when none), each route and the gateway free
//! (`VpnRouteEntry.Configuring`, `VpnGateway.Configuring`, `VpnTask.CONFLICT`,
//! `VpnGateway.FinancialLocked`). No `DryRun`: one sent acts. Answers `{RequestId}`.

use serde_json::{Value, json};

use super::routes::{RouteKind, not_found, route_ready};
use super::{Effect, denied, find_gateway, lane, record, region, remember, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::routes::{VpnPbrRoute, VpnRoute};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    // A destination route's tuple: a policy-based route's without its source.
    let wanted = VpnRoute::tuple(req)?;
    match req.required("RouteType")? {
        "dbr" => publish::<VpnRoute>(req, inner, call, wanted),
        "pbr" => publish::<VpnPbrRoute>(req, inner, call, wanted),
        _ => Err(ApiError::invalid(
            "RouteType",
            "it is dbr (destination routes) or pbr (policy-based routes).",
        )),
    }
}

fn publish<R: RouteKind>(
    req: &Request,
    inner: &mut Inner,
    call: &Call,
    wanted: VpnRoute,
) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    req.required("PublishVpc")?;
    let publish_vpc = req.bool("PublishVpc")?;
    let client_token = req.client_token()?;
    let gateway_id = wanted.vpn_gateway.clone();
    denied(inner, &[&gateway_id, &wanted.next_hop])?;
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }

    let world = inner.live.world();
    let gateway = find_gateway(world, &gateway_id, region)?;
    let routes: Vec<R> = R::all(world)
        .iter()
        .filter(|r| {
            r.vpn_gateway() == gateway_id
                && r.route_dest() == wanted.route_dest
                && r.next_hop() == wanted.next_hop
        })
        .cloned()
        .collect();
    if routes.is_empty() {
        return Err(not_found(R::KIND, &gateway_id, &wanted.describe()));
    }
    for route in &routes {
        route_ready(inner, route, gateway)?;
    }

    let answer = json!({ "RequestId": call.request_id });
    let lane = lane(inner, &gateway_id, call);
    for mut route in routes {
        *route.publish_vpc_mut() = publish_vpc;
        let key = route.key();
        lane.change(&mut inner.live, &key, &gateway_id, route);
        record(
            inner,
            call,
            Effect {
                action: "PublishVpnRouteEntry",
                resource: &key,
                vpn_gateway: &gateway_id,
                region,
                client_token,
                effect: "updated",
                configured_at: lane.until,
                gateway_active_since: lane.active_since,
            },
        );
    }
    remember(inner, client_token, fingerprint, &answer);
    Ok(answer)
}
