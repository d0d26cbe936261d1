//! What the route actions share, for destination routes (`CreateVpnRouteEntry`, ...)
//! and policy-based ones (`CreateVpnPbrRouteEntry`, ...) alike: a route named by the
//! tuple a call gives, the checks of `Weight` and `Priority`, the busy answer of a call
//! on a route (`VpnRouteEntry.Configuring`), what the Describe calls show (the list lag
//! included), and the calls whose steps are the same for both kinds (create, delete, a
//! change in place).
//!
//! A route has no id: every call gives its tuple (`VpnGatewayId`, `RouteDest`,
//! `NextHop`, and a policy-based route's `RouteSource`), and a delete or a change also
//! gives back the route's `Weight` (and, if it gives one, its `Priority`): a value that
//! differs names no route, 400 `InvalidRouteEntry.NotFound` (the code the Terraform
//! provider treats as "already gone" on DeleteVpnRouteEntry).
//!
//! Codes the API documents no spelling for, the sandbox takes from VPC route tables'
//! CreateRouteEntry: 400 `InvalidNextHop.NotFound` (the next hop is not an IPsec-VPN
//! connection of the gateway) and 400 `InvalidRouteEntry.Duplicate` (the tuple exists).
//! The quota of 20 of a kind per gateway is 400 `Resource.QuotaFull`, the code
//! CreateVpnRouteEntry documents.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    Mutation, Page, child_ready, denied, description_param, dry_run_passed, find_gateway,
    gateway_ready, now_millis, region, replay,
};
use crate::sandbox::attributes::cidr;
use crate::sandbox::connections::DEFAULT_CREATE_TIME;
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::live::OnLane;
use crate::sandbox::routes::{
    PRIORITIES, ROUTES_PER_GATEWAY, Route, VpnPbrRoute, VpnRoute, WEIGHTS, state,
};
use crate::sandbox::wire::{ApiError, Request};
use crate::sandbox::world::{Gateway, World};

/// A kind of route as its calls spell it.
pub(super) trait RouteKind: Route + OnLane + 'static {
    /// The kind's routes in the world.
    fn all(world: &World) -> &[Self];
    /// The route whose tuple a request gives, every other field at its default.
    fn tuple(req: &Request) -> Result<Self, ApiError>;
    /// Reads the kind's own fields of a create (a policy-based route's `Priority`).
    fn read_own(&mut self, req: &Request) -> Result<(), ApiError>;
    /// Whether the request gives back the kind's own fields as the route has them.
    fn own_matches(&self, req: &Request) -> Result<bool, ApiError>;
    /// The route as the Describe model answers it.
    fn json(&self) -> Value;
}

impl RouteKind for VpnRoute {
    fn all(world: &World) -> &[Self] {
        &world.vpn_routes
    }

    fn tuple(req: &Request) -> Result<Self, ApiError> {
        Ok(VpnRoute::new(
            req.required("VpnGatewayId")?,
            cidr_param(req, "RouteDest")?,
            req.required("NextHop")?,
        ))
    }

    fn read_own(&mut self, _req: &Request) -> Result<(), ApiError> {
        Ok(())
    }

    fn own_matches(&self, _req: &Request) -> Result<bool, ApiError> {
        Ok(true)
    }

    /// `DescribeVpnRouteEntriesResponseBodyVpnRouteEntriesVpnRouteEntry`, less the BGP
    /// route fields (`AsPath`, `Community`, `Source`) and a dual-tunnel next hop's
    /// `NextHopTunnelId`.
    fn json(&self) -> Value {
        json!({
            "VpnInstanceId": self.vpn_gateway,
            "RouteDest": self.route_dest,
            "NextHop": self.next_hop,
            "Weight": self.weight,
            "State": state(self.publish_vpc),
            "RouteEntryType": "custom",
            "CreateTime": self.create_time.unwrap_or(DEFAULT_CREATE_TIME),
        })
    }
}

impl RouteKind for VpnPbrRoute {
    fn all(world: &World) -> &[Self] {
        &world.vpn_policy_routes
    }

    fn tuple(req: &Request) -> Result<Self, ApiError> {
        Ok(VpnPbrRoute::new(
            req.required("VpnGatewayId")?,
            cidr_param(req, "RouteSource")?,
            cidr_param(req, "RouteDest")?,
            req.required("NextHop")?,
        ))
    }

    fn read_own(&mut self, req: &Request) -> Result<(), ApiError> {
        if let Some(priority) = priority_param(req, "Priority")? {
            self.priority = priority;
        }
        Ok(())
    }

    /// `Priority` is optional on a delete and a change; given, it must be the route's.
    fn own_matches(&self, req: &Request) -> Result<bool, ApiError> {
        Ok(priority_param(req, "Priority")?.is_none_or(|p| p == self.priority))
    }

    /// `DescribeVpnPbrRouteEntriesResponseBodyVpnPbrRouteEntriesVpnPbrRouteEntry`, less
    /// `NextHopTunnelId`.
    fn json(&self) -> Value {
        json!({
            "VpnInstanceId": self.vpn_gateway,
            "RouteSource": self.route_source,
            "RouteDest": self.route_dest,
            "NextHop": self.next_hop,
            "Weight": self.weight,
            "Priority": self.priority,
            "State": state(self.publish_vpc),
            "CreateTime": self.create_time.unwrap_or(DEFAULT_CREATE_TIME),
        })
    }
}

/// A CIDR block parameter (`RouteDest`, `RouteSource`): required, one IPv4 block.
fn cidr_param<'r>(req: &'r Request, name: &str) -> Result<&'r str, ApiError> {
    let value = req.required(name)?;
    cidr(value).map_err(|why| ApiError::invalid(name, &format!("{why}.")))?;
    Ok(value)
}

/// `Weight`, `NewWeight`: required, 0 or 100.
pub(super) fn weight_param(req: &Request, name: &str) -> Result<u32, ApiError> {
    let value = req.required(name)?;
    value
        .parse::<u32>()
        .ok()
        .filter(|w| WEIGHTS.contains(w))
        .ok_or_else(|| ApiError::invalid(name, "a weight is 0 (standby) or 100 (active)."))
}

/// `Priority`, `NewPriority`: 1 to 100, if given.
pub(super) fn priority_param(req: &Request, name: &str) -> Result<Option<u32>, ApiError> {
    match req.get(name) {
        None => Ok(None),
        Some(_) => {
            let (min, max) = (*PRIORITIES.start() as u64, *PRIORITIES.end() as u64);
            Ok(Some(req.int(name, min, max, 0)? as u32))
        }
    }
}

/// The route a delete or a change names, with its gateway: the tuple, and the weight
/// (and priority) it gives back.
fn find<'w, R: RouteKind>(
    world: &'w World,
    req: &Request,
    region: &str,
) -> Result<(&'w R, &'w Gateway), ApiError> {
    let wanted = R::tuple(req)?;
    let weight = weight_param(req, "Weight")?;
    let gateway = find_gateway(world, wanted.vpn_gateway(), region)?;
    let mut found = None;
    for route in R::all(world).iter().filter(|r| r.key() == wanted.key()) {
        if route.weight() == weight && route.own_matches(req)? {
            found = Some(route);
        }
    }
    let route =
        found.ok_or_else(|| not_found(R::KIND, wanted.vpn_gateway(), &wanted.describe()))?;
    Ok((route, gateway))
}

/// 400 `InvalidRouteEntry.NotFound`: no route of `kind` (`vpn route`) on `gateway` is
/// `route` (`DEST via HOP`) with the fields given.
pub(super) fn not_found(kind: &str, gateway: &str, route: &str) -> ApiError {
    ApiError::new(
        400,
        "InvalidRouteEntry.NotFound",
        format!(
            "The specified route entry does not exist: the VPN gateway {gateway} has no {kind} {route} with the weight (and priority) given."
        ),
    )
}

/// [`child_ready`] for a call on a route: `VpnRouteEntry.Configuring` while an
/// operation on the route itself configures.
pub(super) fn route_ready<R: Route>(
    inner: &Inner,
    route: &R,
    gateway: &Gateway,
) -> Result<(), ApiError> {
    child_ready(
        inner,
        &route.key(),
        route.vpn_gateway(),
        gateway,
        (
            "VpnRouteEntry.Configuring",
            format!(
                "The specified route entry {} is being configured. Try again later.",
                route.describe()
            ),
        ),
    )
}

/// The routes of a kind the Describe calls show on `gateway_id`: what exists, and a
/// deleted or changed one as it was while the list lag lasts, less the created ones
/// the lag still hides; ordered by their tuple.
pub(super) fn shown<'i, R: RouteKind>(inner: &'i Inner, gateway_id: &str) -> Vec<&'i R> {
    let shown: BTreeMap<String, &R> = R::all(inner.live.world())
        .iter()
        .map(|r| (r.key(), r))
        .chain(inner.live.ghosts::<R>().map(|(key, r)| (key.clone(), r)))
        .filter(|(key, r)| !inner.live.is_hidden(key) && r.vpn_gateway() == gateway_id)
        .collect();
    shown.into_values().collect()
}

/// A Describe call's page of a kind of route on `VpnGatewayId` (in the region: a
/// gateway elsewhere, or none, has none).
pub(super) fn describe<R: RouteKind>(
    req: &Request,
    inner: &Inner,
    call: &Call,
    names: (&str, &str),
    wanted: bool,
) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let page = Page::parse(req)?;
    let gateway_id = req.required("VpnGatewayId")?;
    let in_region = inner
        .live
        .world()
        .vpn_gateways
        .get(gateway_id)
        .is_some_and(|g| g.region == region);
    let items: Vec<Value> = if in_region && wanted {
        shown::<R>(inner, gateway_id)
            .into_iter()
            .map(R::json)
            .collect()
    } else {
        Vec::new()
    };
    Ok(page.answer(call, names, items))
}

/// `CreateVpnRouteEntry` and `CreateVpnPbrRouteEntry`. The answer is the create
/// model's: the route's Describe fields (no `RouteEntryType`), `Description`,
/// `OverlayMode` and `RequestId`.
pub(super) fn create<R: RouteKind>(
    req: &Request,
    inner: &mut Inner,
    call: &Call,
    action: &str,
) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let mut route = R::tuple(req)?;
    *route.weight_mut() = weight_param(req, "Weight")?;
    req.required("PublishVpc")?;
    *route.publish_vpc_mut() = req.bool("PublishVpc")?;
    route.read_own(req)?;
    let description = description_param(req)?;
    overlay_mode(req)?;
    let client_token = req.client_token()?;
    let dry_run = req.bool("DryRun")?;

    let gateway_id = route.vpn_gateway().to_owned();
    denied(inner, &[&gateway_id, route.next_hop()])?;
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, dry_run, &fingerprint) {
        return first;
    }

    let world = inner.live.world();
    let gateway = find_gateway(world, &gateway_id, region)?;
    gateway_ready(inner, &gateway_id, gateway)?;
    let on_gateway = world
        .vpn_connections
        .get(route.next_hop())
        .is_some_and(|c| c.vpn_gateway == gateway_id);
    if !on_gateway {
        return Err(ApiError::new(
            400,
            "InvalidNextHop.NotFound",
            format!(
                "Specified next hop does not exist: {} is not an IPsec-VPN connection of the VPN gateway {gateway_id}.",
                route.next_hop()
            ),
        ));
    }
    let key = route.key();
    let existing: Vec<&R> = R::all(world)
        .iter()
        .filter(|r| r.vpn_gateway() == gateway_id)
        .collect();
    if existing.iter().any(|r| r.key() == key) {
        return Err(ApiError::new(
            400,
            "InvalidRouteEntry.Duplicate",
            format!(
                "The route entry already exist: the VPN gateway {gateway_id} has the {} {}.",
                R::KIND,
                route.describe()
            ),
        ));
    }
    if existing.len() >= ROUTES_PER_GATEWAY {
        return Err(ApiError::new(
            400,
            "Resource.QuotaFull",
            format!(
                "The quota of resource is full: the VPN gateway {gateway_id} holds {ROUTES_PER_GATEWAY} {}.",
                R::KINDS
            ),
        ));
    }
    if dry_run {
        return Err(dry_run_passed());
    }

    *route.create_time_mut() = Some(now_millis());
    let mut answer = route.json();
    if let Some(fields) = answer.as_object_mut() {
        fields.remove("RouteEntryType");
        fields.insert("Description".into(), description.unwrap_or_default().into());
        fields.insert("OverlayMode".into(), "Ipsec".into());
        fields.insert("RequestId".into(), call.request_id.clone().into());
    }
    let mutation = Mutation {
        action,
        resource: &key,
        vpn_gateway: &gateway_id,
        region,
        client_token,
        fingerprint,
        effect: "created",
    };
    mutation.on_lane(inner, call, &answer, |live, lane| {
        lane.create(live, &key, &gateway_id, route)
    });
    Ok(answer)
}

/// `OverlayMode`: `Ipsec`, if given.
fn overlay_mode(req: &Request) -> Result<(), ApiError> {
    match req.get("OverlayMode") {
        None | Some("Ipsec") => Ok(()),
        Some(_) => Err(ApiError::invalid(
            "OverlayMode",
            "the tunnel protocol is Ipsec.",
        )),
    }
}

/// `DeleteVpnRouteEntry` and `DeleteVpnPbrRouteEntry`: the route the tuple, weight
/// (and priority) name, gone when its gateway is `active` again. Answers `{RequestId}`.
pub(super) fn delete<R: RouteKind>(
    req: &Request,
    inner: &mut Inner,
    call: &Call,
    action: &str,
) -> Result<Value, ApiError> {
    change::<R>(req, inner, call, (action, "deleted"), |_| Ok(()))
}

/// A delete, or a change in place that `update` makes: the steps they share. Checks,
/// in order: parameters, policy (403 `Forbidden` for the gateway or the next hop), the
/// ClientToken, the gateway (404 `InvalidVpnGatewayInstanceId.NotFound`), the route
/// (400 `InvalidRouteEntry.NotFound`), the route and gateway free
/// (`VpnRouteEntry.Configuring`, `VpnGateway.Configuring`, `VpnTask.CONFLICT`,
/// `VpnGateway.FinancialLocked`), then `update`. No `DryRun`: the API has none on these
/// calls, and the cloud ignores a parameter it does not know, so one sent acts.
/// Answers `{RequestId}`.
pub(super) fn change<R: RouteKind>(
    req: &Request,
    inner: &mut Inner,
    call: &Call,
    (action, effect): (&str, &str),
    update: impl FnOnce(&mut R) -> Result<(), ApiError>,
) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let wanted = R::tuple(req)?;
    weight_param(req, "Weight")?;
    let client_token = req.client_token()?;
    denied(inner, &[wanted.vpn_gateway(), wanted.next_hop()])?;
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }

    let (route, gateway) = find::<R>(inner.live.world(), req, region)?;
    route_ready(inner, route, gateway)?;
    let mut updated = route.clone();
    update(&mut updated)?;
    let (key, gateway_id) = (updated.key(), updated.vpn_gateway().to_owned());
    let answer = json!({ "RequestId": call.request_id });
    let mutation = Mutation {
        action,
        resource: &key,
        vpn_gateway: &gateway_id,
        region,
        client_token,
        fingerprint,
        effect,
    };
    mutation.on_lane(inner, call, &answer, |live, lane| match effect {
        "deleted" => lane.delete(live, &key, &gateway_id),
        _ => lane.change(live, &key, &gateway_id, updated),
    });
    Ok(answer)
}
