//! The VPN gateway (`vpn_gateway`, `vpn-` ids): the lane every other kind of the family
//! configures on. Its own mutations configure itself. API facts: API.md, "The rest of
//! the VPN-gateway family" (VpnGateway); DESIGN.md, the kinds table and the paragraph on
//! what a gateway cannot change.
//!
//! Managed by reference so far (issue 22): an entry names an existing gateway by `id`,
//! and its name, description and auto-propagation change in place; a removed entry
//! deletes it after everything on it (issue 23, planner rule 4); vpnform creates none
//! yet. Its reads are the client's
//! (`Client::describe_vpn_gateway(s)`), which every lane's wait uses.

pub(crate) mod api;
pub(crate) mod calls;

pub use api::ModifyVpnGateway;

use super::{Attribute, Calls, Kind, Lane, ValueKind};

/// The VPN gateway kind.
pub(crate) const KIND: Kind = Kind {
    name: "vpn_gateway",
    desired_key: "vpn_gateways",
    id_prefix: "vpn-",
    noun: "VPN gateway",
    lane: Lane::Itself,
    by_reference: true,
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
        // Observed: no modify API changes them, and a replaced gateway gets a new public
        // IP and drops every tunnel; a desired file that writes one is refused with
        // that reason (config::validate).
        Attribute::managed("bandwidth"),
        Attribute::managed("charge_type"),
        Attribute::managed("ssl_vpn"),
        Attribute::managed("ipsec_vpn"),
        Attribute {
            value: ValueKind::Number,
            ..Attribute::managed("ssl_connections")
        },
        Attribute::managed("internet_ip"),
        Attribute::managed("vpc"),
    ],
};
