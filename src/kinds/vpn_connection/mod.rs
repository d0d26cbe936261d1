//! The IPsec connection (`vpn_connection`, `vco-` ids): a site-to-site tunnel (or two)
//! from a VPN gateway to customer gateways, configured on its gateway's lane. Its own
//! `State` reports IKE negotiation and never gates readiness: the gateway's status does.
//! API facts: API.md, "The rest of the VPN-gateway family" (VpnConnection); DESIGN.md,
//! the kinds table.
//!
//! A desired entry names its customer gateway (or, dual tunnel, each tunnel's with its
//! role), subnets, name, PSK (by source; each tunnel's) and `effect_immediately`; the
//! IKE, IPsec, BGP and health-check settings are observed only, not yet written.

pub(crate) mod api;
pub(crate) mod calls;

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
    never_replaced: false,
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
        // `single` or `dual`.
        Attribute::replacing("tunnel_mode"),
        // An id, or the address of a customer gateway of the workspace (an edge): the
        // single tunnel's, or each tunnel's of a dual-tunnel connection.
        Attribute::reference("customer_gateway"),
        Attribute::reference("tunnels.master.customer_gateway"),
        Attribute::reference("tunnels.slave.customer_gateway"),
        Attribute::managed("name"),
        Attribute::managed("local_subnet"),
        Attribute::managed("remote_subnet"),
        boolean("effect_immediately"),
        Attribute::secret("psk"),
        Attribute::managed("create_time"),
    ],
};
