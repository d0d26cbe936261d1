//! The IPsec server (`ipsec_server`, `iss-` ids): an SSL-less client VPN endpoint, one
//! per VPN gateway, configured on its gateway's lane. API facts: API.md, "IPsec-server
//! details"; DESIGN.md, "The VPN-gateway family" (the kinds table).

pub(crate) mod api;
pub(crate) mod calls;
pub mod seed;

pub use api::{
    CreateIpsecServer, CreatedIpsecServer, DeleteIpsecServer, IkeConfig, IpsecConfig, IpsecServer,
    ListIpsecServers, UpdateIpsecServer,
};

use super::{Attribute, Calls, Kind, Lane, ValueKind};

const fn managed(name: &'static str) -> Attribute {
    Attribute::managed(name)
}

const fn number(name: &'static str) -> Attribute {
    Attribute {
        value: ValueKind::Number,
        ..managed(name)
    }
}

const fn boolean(name: &'static str) -> Attribute {
    Attribute {
        value: ValueKind::Bool,
        ..managed(name)
    }
}

const fn observed(name: &'static str) -> Attribute {
    managed(name)
}

/// The IPsec server kind.
pub(crate) const KIND: Kind = Kind {
    name: "ipsec_server",
    desired_key: "ipsec_servers",
    id_prefix: "iss-",
    noun: "IPsec server",
    lane: Lane::ItsGateway,
    never_replaced: false,
    calls: Calls {
        list: "ListIpsecServers",
        create: "CreateIpsecServer",
        modify: &["UpdateIpsecServer"],
        delete: "DeleteIpsecServer",
        dry_run: &[
            "CreateIpsecServer",
            "UpdateIpsecServer",
            "DeleteIpsecServer",
        ],
    },
    attributes: &[
        Attribute::replacing("vpn_gateway"),
        Attribute::replacing("region"),
        managed("name"),
        managed("local_subnet"),
        managed("client_ip_pool"),
        boolean("effect_immediately"),
        managed("ike_config.ike_version"),
        managed("ike_config.ike_mode"),
        managed("ike_config.ike_enc_alg"),
        managed("ike_config.ike_auth_alg"),
        managed("ike_config.ike_pfs"),
        number("ike_config.ike_lifetime"),
        managed("ike_config.local_id"),
        managed("ike_config.remote_id"),
        managed("ipsec_config.ipsec_enc_alg"),
        managed("ipsec_config.ipsec_auth_alg"),
        managed("ipsec_config.ipsec_pfs"),
        number("ipsec_config.ipsec_lifetime"),
        Attribute::secret("psk"),
        observed("internet_ip"),
        observed("creation_time"),
    ],
};
