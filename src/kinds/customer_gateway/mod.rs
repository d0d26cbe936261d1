//! The customer gateway (`customer_gateway`, `cgw-` ids): the peer end of an IPsec
//! connection, one per public IP address and region. It has no lane: its calls are
//! synchronous and touch no VPN gateway, so they run in parallel. API facts: API.md,
//! "The rest of the VPN-gateway family" (CustomerGateway); DESIGN.md, the kinds table.
//!
//! Managed without its BGP `auth_key` so far (issue 22): a desired file cannot write
//! one, and the state records none.

pub(crate) mod api;
pub(crate) mod calls;

pub use api::{CreateCustomerGateway, CustomerGateway, ModifyCustomerGateway};

use super::{Attribute, Calls, Kind, Lane, ValueKind};

/// The customer gateway kind.
pub(crate) const KIND: Kind = Kind {
    name: "customer_gateway",
    desired_key: "customer_gateways",
    id_prefix: "cgw-",
    noun: "customer gateway",
    lane: Lane::None,
    never_replaced: false,
    calls: Calls {
        list: "DescribeCustomerGateways",
        create: "CreateCustomerGateway",
        modify: &["ModifyCustomerGatewayAttribute"],
        delete: "DeleteCustomerGateway",
        // None of its calls takes DryRun: the cloud ignores the parameter and acts.
        dry_run: &[],
    },
    attributes: &[
        Attribute::replacing("region"),
        Attribute::replacing("ip_address"),
        Attribute {
            value: ValueKind::Number,
            ..Attribute::replacing("asn")
        },
        Attribute::managed("name"),
        Attribute::managed("description"),
        // The BGP authentication key: given by source, never stored or printed.
        Attribute::secret("auth_key"),
        Attribute::managed("create_time"),
    ],
};
