//! The VPN gateway (`vpn_gateway`, `vpn-` ids): the lane every other kind of the family
//! configures on. Its own mutations configure itself. API facts: API.md, "The rest of
//! the VPN-gateway family" (VpnGateway); DESIGN.md, the kinds table and the paragraph on
//! what a gateway cannot change.
//!
//! An entry with an `id` adopts an existing gateway; one without is created
//! (`CreateVpnGateway`, pay as you go, then read until `active`). Its name, description
//! and auto-propagation change in place; what only the create sets (VPC, bandwidth, the
//! SSL-VPN and IPsec-VPN switches, SSL connections, vSwitches, network and VPN type) never changes: a gateway is never
//! replaced. A removed entry deletes it after everything on it (planner rule 4). Its reads are the client's
//! (`Client::describe_vpn_gateway(s)`), which every lane's wait uses.

pub(crate) mod api;
pub(crate) mod calls;

pub use api::{CreateVpnGateway, ModifyVpnGateway};

use super::{Attribute, Calls, Kind, Lane, ValueKind};

/// The VPN gateway kind.
pub(crate) const KIND: Kind = Kind {
    name: "vpn_gateway",
    desired_key: "vpn_gateways",
    id_prefix: "vpn-",
    noun: "VPN gateway",
    lane: Lane::Itself,
    never_replaced: true,
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
        Attribute::managed("name"),
        Attribute::managed("description"),
        Attribute {
            value: ValueKind::Bool,
            ..Attribute::managed("auto_propagate")
        },
        // Set by the create alone: no modify API changes them, and a replaced gateway
        // gets a new public IP and drops every tunnel. An adopted gateway's entry may
        // not write them (config::validate); a created one's change is a plan error
        // (`never_replaced`).
        Attribute::replacing("vpc"),
        Attribute::replacing("bandwidth"),
        Attribute::replacing("ssl_vpn"),
        Attribute::replacing("ipsec_vpn"),
        Attribute {
            value: ValueKind::Number,
            ..Attribute::replacing("ssl_connections")
        },
        Attribute::replacing("vswitch"),
        Attribute::replacing("dr_vswitch"),
        Attribute::replacing("network_type"),
        Attribute::replacing("vpn_type"),
        // Observed only.
        Attribute::managed("charge_type"),
        Attribute::managed("internet_ip"),
    ],
};
