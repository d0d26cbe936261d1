//! The destination route (`vpn_route`): traffic of a VPN gateway to `route_dest` leaves
//! through `next_hop`, one of the gateway's IPsec connections, with weight 0 (standby)
//! or 100 (active), published to the VPC's route table or not. On the gateway's lane.
//!
//! The API gives a route no id: its identity is the tuple (gateway, destination, next
//! hop). vpnform records a synthetic one, derived from the tuple ([`route_id`]: `vre-`
//! and 24 hex digits of its SHA-256), which no API id uses, so that the state, the
//! refresh, the journal and the confirmations key on an id as for every other kind; a
//! listed route computes the same. The gateway, the destination and the next hop force
//! a replacement (destroyed first: the tuple is unique, rule 7); the weight is changed
//! in place with `ModifyVpnRouteEntryWeight`, `publish_vpc` with `PublishVpnRouteEntry`.
//! API facts: API.md (VpnRouteEntry); DESIGN.md, the kinds table.

pub(crate) mod api;
pub(crate) mod calls;

pub use api::{CreateVpnRouteEntry, VpnRoute};

use sha2::{Digest, Sha256};

use super::{Attribute, Calls, Kind, Lane, ValueKind};

/// The most destination routes a gateway holds (API.md).
pub(crate) const PER_GATEWAY: usize = 20;

/// The code a create is refused with when the gateway holds its tuple already (either
/// kind of route).
pub(crate) const DUPLICATE: &str = "InvalidRouteEntry.Duplicate";

/// The weights a route takes: 0 (standby) or 100 (active).
pub(crate) const WEIGHTS: [u32; 2] = [0, 100];

/// The destination route kind.
pub(crate) const KIND: Kind = Kind {
    name: "vpn_route",
    desired_key: "vpn_routes",
    // Synthetic: the API has no route id (see [`route_id`]).
    id_prefix: "vre-",
    noun: "destination route",
    lane: Lane::ItsGateway,
    never_replaced: false,
    calls: Calls {
        list: "DescribeVpnRouteEntries",
        create: "CreateVpnRouteEntry",
        modify: &["ModifyVpnRouteEntryWeight", "PublishVpnRouteEntry"],
        delete: "DeleteVpnRouteEntry",
        // Only the create takes DryRun; the others sent with it would act.
        dry_run: &["CreateVpnRouteEntry"],
    },
    attributes: &[
        Attribute::replacing("region"),
        Attribute::replacing("vpn_gateway"),
        Attribute::replacing("route_dest"),
        Attribute::reference("next_hop"),
        Attribute {
            value: ValueKind::Number,
            ..Attribute::managed("weight")
        },
        Attribute {
            value: ValueKind::Bool,
            ..Attribute::managed("publish_vpc")
        },
        // Observed only.
        Attribute::managed("create_time"),
    ],
};

/// The id vpnform records for the route (`gateway`, `route_dest`, `next_hop`), all three
/// as the cloud spells them (ids, the CIDR block as listed): `vre-` and the first 24
/// hex digits of SHA-256 of `gateway|route_dest|next_hop`.
pub(crate) fn route_id(gateway: &str, route_dest: &str, next_hop: &str) -> String {
    let digest = Sha256::digest(format!("{gateway}|{route_dest}|{next_hop}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}{}", KIND.id_prefix, &hex[..24])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_the_tuples_and_reads_as_an_id() {
        let id = route_id("vpn-a", "192.168.0.0/24", "vco-b");
        assert_eq!(id, route_id("vpn-a", "192.168.0.0/24", "vco-b"));
        assert_ne!(id, route_id("vpn-a", "192.168.0.0/24", "vco-c"));
        assert_eq!(id.len(), 4 + 24);
        assert!(crate::id::is_id(&id, KIND.id_prefix));
    }
}
