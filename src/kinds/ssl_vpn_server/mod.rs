//! The SSL-VPN server (`ssl_vpn_server`, `vss-` ids): the point-to-site server of a VPN
//! gateway, one per gateway, on the gateway's lane. Every setting is modified in place
//! (`ModifySslVpnServer`); another gateway means a new server, destroyed first since a
//! gateway holds one (rule 7). Deleting it deletes its client certificates (rule 6).
//! API facts: API.md, "The rest of the VPN-gateway family" (SslVpnServer); DESIGN.md,
//! the kinds table.

pub(crate) mod api;
pub(crate) mod calls;

pub use api::{
    CreateSslVpnServer, DescribeSslVpnServers, ModifySslVpnServer, ServerSpec, SslVpnServer,
};

use super::{Attribute, Calls, Kind, Lane, ValueKind};

/// The most CIDR blocks a server's `local_subnet` lists (API.md).
pub(crate) const MAX_LOCAL_SUBNETS: usize = 5;

/// The ports a server never listens on (API.md, CreateSslVpnServer's `Port`).
pub(crate) const FORBIDDEN_PORTS: [u32; 16] = [
    22, 2222, 22222, 9000, 9001, 9002, 7505, 80, 443, 53, 68, 123, 4510, 4560, 500, 4500,
];

/// `proto`'s values.
pub(crate) const PROTOS: [&str; 2] = ["UDP", "TCP"];

/// `cipher`'s values.
pub(crate) const CIPHERS: [&str; 4] = ["AES-128-CBC", "AES-192-CBC", "AES-256-CBC", "none"];

/// The SSL-VPN server kind.
pub(crate) const KIND: Kind = Kind {
    name: "ssl_vpn_server",
    desired_key: "ssl_vpn_servers",
    id_prefix: "vss-",
    noun: "SSL-VPN server",
    lane: Lane::ItsGateway,
    never_replaced: false,
    calls: Calls {
        list: "DescribeSslVpnServers",
        create: "CreateSslVpnServer",
        modify: &["ModifySslVpnServer"],
        delete: "DeleteSslVpnServer",
        // The create and the modify take DryRun; a delete sent with it would act.
        dry_run: &["CreateSslVpnServer", "ModifySslVpnServer"],
    },
    attributes: &[
        Attribute::replacing("region"),
        Attribute::replacing("vpn_gateway"),
        Attribute::managed("name"),
        Attribute::managed("client_ip_pool"),
        Attribute::managed("local_subnet"),
        Attribute::managed("proto"),
        Attribute {
            value: ValueKind::Number,
            ..Attribute::managed("port")
        },
        Attribute::managed("cipher"),
        Attribute {
            value: ValueKind::Bool,
            ..Attribute::managed("compress")
        },
        // Observed only.
        Attribute::managed("internet_ip"),
        Attribute::managed("create_time"),
    ],
};
