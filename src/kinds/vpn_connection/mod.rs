//! The IPsec connection (`vpn_connection`, `vco-` ids): a site-to-site tunnel (or two)
//! from a VPN gateway to customer gateways, configured on its gateway's lane. Its own
//! `State` reports IKE negotiation and never gates readiness: the gateway's status does.
//! API facts: API.md, "The rest of the VPN-gateway family" (VpnConnection); DESIGN.md,
//! the kinds table.
//!
//! Not yet a kind vpnform manages (not in [`super::ALL`]): its typed calls are here for
//! the planner and executor of the family to use.

pub(crate) mod api;

pub use api::{
    ConnectionSpec, CreateVpnConnection, DescribeVpnConnections, ModifyVpnConnection, Tunnel,
    TunnelSpec, VpnConnection,
};

use super::{Attribute, Calls, Kind, Lane, ValueKind};

const fn boolean(name: &'static str) -> Attribute {
    Attribute {
        value: ValueKind::Bool,
        ..Attribute::managed(name)
    }
}

/// The IPsec connection kind.
pub(crate) const KIND: Kind = Kind {
    name: "vpn_connection",
    desired_key: "vpn_connections",
    id_prefix: "vco-",
    noun: "IPsec connection",
    lane: Lane::ItsGateway,
    calls: Calls {
        list: "DescribeVpnConnections",
        create: "CreateVpnConnection",
        modify: &["ModifyVpnConnectionAttribute"],
        delete: "DeleteVpnConnection",
        // Only the create takes DryRun; a modify or delete sent with it would act.
        dry_run: &["CreateVpnConnection"],
    },
    attributes: &[
        Attribute::replacing("region"),
        Attribute::replacing("vpn_gateway"),
        // Single tunnel; a dual-tunnel connection names one per tunnel.
        Attribute::replacing("customer_gateway"),
        // `single` or `dual`: a change replaces the connection.
        Attribute::replacing("tunnel_mode"),
        Attribute::managed("name"),
        Attribute::managed("local_subnet"),
        Attribute::managed("remote_subnet"),
        boolean("effect_immediately"),
        boolean("auto_config_route"),
        Attribute::secret("psk"),
        Attribute::managed("ike_config"),
        Attribute::managed("ipsec_config"),
        Attribute::managed("bgp"),
        Attribute::managed("health_check"),
        Attribute::managed("tunnels"),
        Attribute::managed("create_time"),
    ],
};
