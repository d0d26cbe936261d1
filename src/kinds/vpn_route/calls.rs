//! A route's plan actions as requests (built from the action alone, so that a resumed
//! operation sends what its intent journaled), and a listed route as the attributes the
//! state records.

use std::collections::BTreeMap;

use super::api::{CreateVpnRouteEntry, RouteKey, VpnRoute};
use crate::plan::Action;

/// The attributes the state records of a route, in the text form the plan compares.
pub(crate) fn attributes(route: &VpnRoute) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    a.insert("route_dest".to_owned(), route.route_dest.clone());
    a.insert("next_hop".to_owned(), route.next_hop.clone());
    a.insert("weight".to_owned(), route.weight.to_string());
    a.insert("publish_vpc".to_owned(), route.publish_vpc.to_string());
    if let Some(source) = &route.route_source {
        a.insert("route_source".to_owned(), source.clone());
    }
    if let Some(priority) = route.priority {
        a.insert("priority".to_owned(), priority.to_string());
    }
    if let Some(t) = route.create_time {
        a.insert("create_time".to_owned(), t.to_string());
    }
    a
}

/// Whether `action` is a policy-based route's (its tuple has a source, its calls are
/// the `...Pbr...` ones).
pub(crate) fn is_policy(action: &Action) -> bool {
    action.address.kind() == crate::address::Kind::VpnPolicyRoute
}

/// The route's tuple as `action` names it, its next hop `next_hop` (resolved).
pub(crate) fn key(action: &Action, next_hop: &str) -> RouteKey {
    RouteKey {
        region: action.region.clone(),
        vpn_gateway: action.vpn_gateway.clone(),
        route_dest: action
            .attributes
            .get("route_dest")
            .cloned()
            .unwrap_or_default(),
        next_hop: next_hop.to_owned(),
        route_source: is_policy(action).then(|| {
            action
                .attributes
                .get("route_source")
                .cloned()
                .unwrap_or_default()
        }),
    }
}

/// A priority as the state records it (the API's default when absent or unreadable).
pub(crate) fn priority(text: Option<&String>) -> u32 {
    text.and_then(|p| p.parse().ok())
        .unwrap_or(crate::kinds::vpn_policy_route::DEFAULT_PRIORITY)
}

/// The synthetic id of a route's tuple, of its kind.
pub(crate) fn id_of(key: &RouteKey) -> String {
    match &key.route_source {
        Some(source) => crate::kinds::vpn_policy_route::route_id(
            &key.vpn_gateway,
            source,
            &key.route_dest,
            &key.next_hop,
        ),
        None => super::route_id(&key.vpn_gateway, &key.route_dest, &key.next_hop),
    }
}

/// The synthetic id of a desired route entry's tuple (of either route kind), its
/// references resolved to ids; `None` for another kind, or while its gateway or next
/// hop is an address (one not created yet holds no route).
pub(crate) fn entry_id(entry: &crate::config::DesiredServer) -> Option<String> {
    use crate::address::Kind;
    let policy = match entry.address.kind() {
        Kind::VpnRoute => false,
        Kind::VpnPolicyRoute => true,
        _ => return None,
    };
    let value = |field: &str| {
        entry
            .values
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.clone())
    };
    let next_hop = value("next_hop")?;
    if !crate::id::is_id(&entry.vpn_gateway, crate::id::VPN_GATEWAY_PREFIX)
        || !crate::id::is_id(&next_hop, crate::kinds::vpn_connection::KIND.id_prefix)
    {
        return None;
    }
    let key = RouteKey {
        region: entry.region.clone(),
        vpn_gateway: entry.vpn_gateway.clone(),
        route_dest: value("route_dest")?,
        next_hop,
        route_source: if policy {
            Some(value("route_source")?)
        } else {
            None
        },
    };
    Some(id_of(&key))
}

/// A weight as the state records it (0 when absent or unreadable).
pub(crate) fn weight(text: Option<&String>) -> u32 {
    text.and_then(|w| w.parse().ok()).unwrap_or(0)
}

/// `CreateVpnRouteEntry` (`CreateVpnPbrRouteEntry` for a policy-based route) for a create (or a replace's create half), its next hop
/// `next_hop` (resolved); `token` is `None` for the DryRun.
pub(crate) fn create_request(
    action: &Action,
    next_hop: &str,
    token: Option<String>,
    dry_run: bool,
) -> CreateVpnRouteEntry {
    CreateVpnRouteEntry {
        key: key(action, next_hop),
        weight: weight(action.attributes.get("weight")),
        publish_vpc: action
            .attributes
            .get("publish_vpc")
            .is_some_and(|p| p == "true"),
        priority: is_policy(action).then(|| priority(action.attributes.get("priority"))),
        client_token: if dry_run { None } else { token },
        dry_run,
    }
}
