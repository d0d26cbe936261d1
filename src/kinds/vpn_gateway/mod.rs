//! The VPN gateway (`vpn_gateway`, `vpn-` ids): the lane every other kind of the family
//! configures on. Its own mutations configure itself. API facts: API.md, "The rest of
//! the VPN-gateway family" (VpnGateway); DESIGN.md, the kinds table and the paragraph on
//! what a gateway cannot change.
//!
//! Not yet a kind vpnform manages (not in [`super::ALL`]): its typed modify call is here
//! for the planner and executor of the family to use; its reads are the client's
//! (`Client::describe_vpn_gateway(s)`), which every lane's wait uses.

pub(crate) mod api;

pub use api::ModifyVpnGateway;

use super::{Attribute, Calls, Kind, Lane, ValueKind};

/// The VPN gateway kind.
pub(crate) const KIND: Kind = Kind {
    name: "vpn_gateway",
    desired_key: "vpn_gateways",
    id_prefix: "vpn-",
    noun: "VPN gateway",
    lane: Lane::Itself,
    calls: Calls {
        list: "DescribeVpnGateways",
        create: "CreateVpnGateway",
        modify: &["ModifyVpnGatewayAttribute"],
        delete: "DeleteVpnGateway",
        // No call of the gateway's takes DryRun: the cloud ignores it and acts.
        dry_run: &[],
    },
    attributes: &[
        Attribute::replacing("region"),
        Attribute::replacing("vpc"),
        Attribute::replacing("vswitch"),
        Attribute::replacing("dr_vswitch"),
        Attribute::replacing("network_type"),
        Attribute::replacing("vpn_type"),
        Attribute::managed("name"),
        Attribute::managed("description"),
        Attribute {
            value: ValueKind::Bool,
            ..Attribute::managed("auto_propagate")
        },
        // Its bandwidth, SSL-VPN and IPsec-VPN switches, SSL connections and charge
        // type have no modify API, and a replaced gateway gets a new public IP and
        // drops every tunnel: the family's planner refuses a change to them, with that
        // reason (DESIGN.md), and they join this list with it.
        Attribute::managed("internet_ip"),
    ],
};
