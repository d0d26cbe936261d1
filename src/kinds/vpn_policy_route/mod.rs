//! The policy-based route (`vpn_policy_route`): traffic of a VPN gateway from
//! `route_source` to `route_dest` leaves through `next_hop`, one of the gateway's IPsec
//! connections, with weight 0 (standby) or 100 (active) and priority 1 to 100 (a smaller
//! one wins), published to the VPC's route table or not. On the gateway's lane.
//!
//! As the destination route ([`super::vpn_route`]), it has no id in the API: its
//! identity is the tuple (gateway, source, destination, next hop), recorded under a
//! synthetic id ([`route_id`]: `vpr-` and 24 hex digits of its SHA-256), which a listed
//! route computes the same. The four force a replacement (destroyed first); the weight is
//! changed in place with `ModifyVpnPbrRouteEntryWeight`, the priority with
//! `ModifyVpnPbrRouteEntryPriority`, `publish_vpc` with `PublishVpnRouteEntry`
//! (`RouteType=pbr`). The calls share the destination route's types and steps
//! (`crate::apply::route`). API facts: API.md (VpnPbrRouteEntry); DESIGN.md, the kinds
//! table.

pub(crate) mod api;

use sha2::{Digest, Sha256};

use super::{Attribute, Calls, Kind, Lane, ValueKind};

/// The most policy-based routes a gateway holds (counted apart from the destination
/// routes').
pub(crate) const PER_GATEWAY: usize = 20;

/// The priorities a route takes (a smaller one wins).
pub(crate) const PRIORITIES: std::ops::RangeInclusive<u32> = 1..=100;

/// The priority the API gives a route created without one.
pub(crate) const DEFAULT_PRIORITY: u32 = 10;

/// The policy-based route kind.
pub(crate) const KIND: Kind = Kind {
    name: "vpn_policy_route",
    desired_key: "vpn_policy_routes",
    // Synthetic: the API has no route id (see [`route_id`]).
    id_prefix: "vpr-",
    noun: "policy-based route",
    lane: Lane::ItsGateway,
    never_replaced: false,
    calls: Calls {
        list: "DescribeVpnPbrRouteEntries",
        create: "CreateVpnPbrRouteEntry",
        modify: &[
            "ModifyVpnPbrRouteEntryWeight",
            "ModifyVpnPbrRouteEntryPriority",
            "PublishVpnRouteEntry",
        ],
        delete: "DeleteVpnPbrRouteEntry",
        // Only the create takes DryRun; the others sent with it would act.
        dry_run: &["CreateVpnPbrRouteEntry"],
    },
    attributes: &[
        Attribute::replacing("region"),
        Attribute::replacing("vpn_gateway"),
        Attribute::replacing("route_source"),
        Attribute::replacing("route_dest"),
        Attribute::reference("next_hop"),
        Attribute {
            value: ValueKind::Number,
            ..Attribute::managed("weight")
        },
        Attribute {
            value: ValueKind::Number,
            ..Attribute::managed("priority")
        },
        Attribute {
            value: ValueKind::Bool,
            ..Attribute::managed("publish_vpc")
        },
        // Observed only.
        Attribute::managed("create_time"),
    ],
};

/// The id vpnform records for the route (`gateway`, `route_source`, `route_dest`,
/// `next_hop`, as the cloud spells them): `vpr-` and the first 24 hex digits of SHA-256
/// of `gateway|route_source|route_dest|next_hop`.
pub(crate) fn route_id(
    gateway: &str,
    route_source: &str,
    route_dest: &str,
    next_hop: &str,
) -> String {
    let digest =
        Sha256::digest(format!("{gateway}|{route_source}|{route_dest}|{next_hop}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}{}", KIND.id_prefix, &hex[..24])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_the_tuples_and_reads_as_an_id() {
        let id = route_id("vpn-a", "10.0.0.0/16", "192.168.0.0/24", "vco-b");
        assert_eq!(
            id,
            route_id("vpn-a", "10.0.0.0/16", "192.168.0.0/24", "vco-b")
        );
        assert_ne!(
            id,
            route_id("vpn-a", "10.1.0.0/16", "192.168.0.0/24", "vco-b")
        );
        assert_ne!(
            id,
            crate::kinds::vpn_route::route_id("vpn-a", "192.168.0.0/24", "vco-b")
        );
        assert_eq!(id.len(), 4 + 24);
        assert!(crate::id::is_id(&id, KIND.id_prefix));
    }
}
