//! What exists in the sandbox's cloud: regions, VPN gateways, IPsec servers, customer
//! gateways, IPsec-VPN connections, routes, SSL-VPN servers and their client
//! certificates, as a world YAML file describes them (or as
//! `kinds::ipsec_server::seed` derives them from a vpnform state), and the rules it must
//! keep. How requests change it over time is [`super::live`]'s.
//!
//! ```yaml
//! regions: [cn-hangzhou]              # optional: regions with no gateway yet
//! vpn_gateways:
//!   vpn-bp1q8bgx4xnkm2ogjabcd:
//!     region: cn-hangzhou
//!     status: active                  # optional: init|provisioning|active|updating|deleting
//!     business_status: Normal         # optional: Normal|FinancialLocked
//!     name: office-gw                 # optional
//!     description: main office        # optional
//!     auto_propagate: false           # optional (ModifyVpnGatewayAttribute changes it)
//!     ssl_vpn: enable                 # optional: enable|disable (CreateIpsecServer needs enable)
//!     vpc_cidr: 172.16.0.0/12         # optional: a ClientIpPool must not overlap it
//!     ipsec_connections: 0            # optional: anonymous IPsec connections, besides those
//!                                     #   under `vpn_connections`; CreateIpsecServer needs none
//!     vpc_id: vpc-bp1...              # optional: else derived from the gateway's id
//!     resource_group_id: rg-sandbox   # optional: its servers are in the same group
//!     route_entries: 0                # optional: entries in the VPC's route table; a
//!                                     #   create adds the client pool's, up to 200
//!     supports_ipsec_server: true     # optional: false for a gateway version too old
//!     charge_type: PostpayByFlow      # optional: PostpayByFlow|Prepay (a Prepay one is not deleted)
//!     bandwidth: 10                   # optional: Mbit/s, 5|10|20|50|100|200|500|1000 (private: 200|1000)
//!     ipsec_vpn: enable               # optional: enable|disable
//!     ssl_connections: 5              # optional: 5|10|20|50|100|200|500|1000
//!     vswitch_id: vsw-bp1q8bgx4xnkm2ogjabcd   # optional: else derived from the gateway's id
//!     disaster_recovery_vswitch_id: vsw-bp1second   # optional: a dual-tunnel gateway's second
//!     network_type: public            # optional: public|private
//!     vpn_type: Normal                # optional: Normal|NationalStandard
//!     internet_ip: 47.98.1.1          # optional: else 198.51.100.10
//!     create_time: 1704164645000      # optional: milliseconds since the epoch
//!   vpn-bp1connectionsgwabcd:         # its connections' gateway (a gateway with a server holds none)
//!     region: cn-hangzhou
//! ipsec_servers:
//!   iss-bp1jougp8cfsbo8y9abcd:
//!     vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
//!     name: office                    # optional, like every field below
//!     local_subnet: 10.0.0.0/24,10.0.1.0/24   # comma-separated, as the API answers it
//!     client_ip_pool: 10.8.0.0/16
//!     psk: not-so-secret              # optional: else one derived from the id
//!     effect_immediately: false
//!     creation_time: "2024-01-02T03:04:05Z"
//!     ike_config: { ike_version: ikev2, ike_mode: main, ike_enc_alg: aes, ike_auth_alg: sha1,
//!                   ike_pfs: group2, ike_lifetime: 86400, local_id: "", remote_id: "" }
//!     ipsec_config: { ipsec_enc_alg: aes, ipsec_auth_alg: sha1, ipsec_pfs: group2,
//!                     ipsec_lifetime: 86400 }
//! customer_gateways:
//!   cgw-bp1mvj4g9kogwabcd:
//!     region: cn-hangzhou
//!     ip_address: 203.0.113.7         # one customer gateway per IP address and region
//!     asn: 65001                      # optional, like every field below
//!     name: branch
//!     description: branch office
//!     auth_key: bgp-key               # the BGP key, answered in clear text as Alibaba does
//!     create_time: 1704164645000      # milliseconds since the epoch
//!   cgw-bp1backupgwabcd: { region: cn-hangzhou, ip_address: 203.0.113.8 }
//! vpn_connections:
//!   vco-bp15oes1py4i6abcd:            # single tunnel: `customer_gateway`
//!     vpn_gateway: vpn-bp1connectionsgwabcd
//!     customer_gateway: cgw-bp1mvj4g9kogwabcd   # in the gateway's region
//!     local_subnet: 10.0.0.0/16,10.1.0.0/16     # optional (default 0.0.0.0/0), comma-separated
//!     remote_subnet: 192.168.0.0/24             # optional (default 0.0.0.0/0)
//!     psk: not-so-secret              # optional: else one derived from the id
//!     name: branch                    # optional, like every field below
//!     effect_immediately: false
//!     enable_dpd: true
//!     enable_nat_traversal: true
//!     auto_config_route: true
//!     ike_config: { ike_version: ikev1, ike_mode: main, ike_enc_alg: aes, ike_auth_alg: md5,
//!                   ike_pfs: group2, ike_lifetime: 86400, local_id: "", remote_id: "" }
//!     ipsec_config: { ipsec_enc_alg: aes, ipsec_auth_alg: md5, ipsec_pfs: group2,
//!                     ipsec_lifetime: 86400 }
//!     bgp: { enable: true, local_asn: 45104, tunnel_cidr: 169.254.11.0/30,
//!            local_bgp_ip: 169.254.11.1 }
//!     health_check: { enable: true, dip: 192.168.0.1, sip: 10.0.0.1, interval: 3, retry: 3,
//!                     policy: revoke_route }
//!     create_time: 1704164645000
//!   vco-bp1dualtunnelabcd:            # dual tunnel: exactly two `tunnels`, no `customer_gateway`
//!     vpn_gateway: vpn-bp1connectionsgwabcd
//!     local_subnet: 10.0.0.0/16
//!     remote_subnet: 192.168.1.0/24
//!     enable_tunnels_bgp: false       # optional
//!     tunnels:
//!       - { customer_gateway: cgw-bp1mvj4g9kogwabcd, role: master, psk: first-key }
//!       - { customer_gateway: cgw-bp1backupgwabcd, role: slave, psk: second-key }
//!       # each tunnel also takes enable_dpd, enable_nat_traversal, ike_config,
//!       # ipsec_config and bgp, as a single-tunnel connection does
//! vpn_routes:                         # destination routes: a list, a route's tuple names it
//!   - vpn_gateway: vpn-bp1connectionsgwabcd
//!     route_dest: 192.168.10.0/24
//!     next_hop: vco-bp15oes1py4i6abcd # an IPsec connection on the same gateway
//!     weight: 100                     # optional: 0 (default, standby) or 100 (active)
//!     publish_vpc: true               # optional (default false): `State` published, else normal
//!     create_time: 1704164645000      # optional
//! vpn_policy_routes:                  # policy-based routes: the same, and a source and priority
//!   - { vpn_gateway: vpn-bp1connectionsgwabcd, route_source: 10.0.0.0/16,
//!       route_dest: 192.168.20.0/24, next_hop: vco-bp1dualtunnelabcd, weight: 0,
//!       priority: 10 }                # optional: 1 to 100 (default 10)
//! ssl_vpn_servers:
//!   vss-bp18q7hzj6largv4vabcd:
//!     vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd   # with ssl_vpn: enable
//!     client_ip_pool: 10.30.0.0/16    # /16 to /29
//!     local_subnet: 10.0.0.0/16,10.1.0.0/16    # comma-separated, at most 5 blocks
//!     name: staff                     # optional, like every field below
//!     proto: TCP                      # TCP (default) or UDP
//!     port: 1194                      # not 22, 2222, 22222, 9000-9002, 7505, 80, 443, 53,
//!                                     #   68, 123, 4510, 4560, 500, 4500
//!     cipher: AES-128-CBC             # AES-128-CBC (default), AES-192-CBC, AES-256-CBC, none
//!     compress: false
//!     create_time: 1704164645000
//! ssl_vpn_client_certs:
//!   vsc-bp1n8wcf134yl0osrabcd:
//!     ssl_vpn_server: vss-bp18q7hzj6largv4vabcd
//!     name: alice                     # optional, like every field below
//!     status: normal                  # normal|expiring-soon|expired
//!     create_time: 1704164645000      # it expires three years later
//! ```
//!
//! `ike_config` and `ipsec_config` give only the keys that differ from the cloud's
//! defaults, which are not the same for a server and a connection (a connection's are
//! the ones above). The world must hold together, as the cloud does: a gateway holds at
//! most one IPsec server, and a gateway with a server holds no IPsec connection
//! (anonymous or not); a connection's gateway and customer gateways exist, in one
//! region; a region holds one customer gateway per IP address; a gateway holds at most
//! ten connections; a dual-tunnel connection has one master and one slave tunnel; a
//! route is on a gateway that exists, its next hop an IPsec connection on that gateway,
//! each tuple once, at most 20 destination and 20 policy-based routes a gateway; an
//! SSL-VPN server is on a gateway that exists with `ssl_vpn: enable`, one a gateway;
//! a certificate is of a server that exists, and the world (one account) holds at most
//! 50. A world that breaks a rule is refused. A certificate's material (CA, certificate,
//! key, client configuration) is never in a world file: it derives from the ids.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::attributes::{
    IkeConfig, IpsecConfig, check_negotiation, cidr, derived_psk, is_false, secret_option, yes,
};
use super::connections::{
    CONNECTIONS_PER_GATEWAY, CUSTOMER_GATEWAY_PREFIX, CustomerGateway, MAX_ASN, ROLES,
    VPN_CONNECTION_PREFIX, VpnConnection, check_asn, check_cidr_list,
};
use super::routes::{ROUTES_PER_GATEWAY, Route, VpnPbrRoute, VpnRoute};
use super::ssl_vpn::{
    CERT_STATUSES, CLIENT_CERTS_PER_ACCOUNT, SSL_VPN_CLIENT_CERT_PREFIX, SSL_VPN_SERVER_PREFIX,
    SslVpnClientCert, SslVpnServer,
};
use crate::secret::Secret;

/// The sandbox's cloud. Maps are keyed by id, so a world file cannot name one twice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// Regions that exist besides those of the gateways (a List there answers empty).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub(crate) regions: BTreeSet<String>,
    #[serde(default)]
    pub vpn_gateways: BTreeMap<String, Gateway>,
    #[serde(default)]
    pub ipsec_servers: BTreeMap<String, IpsecServer>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub customer_gateways: BTreeMap<String, CustomerGateway>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vpn_connections: BTreeMap<String, VpnConnection>,
    /// Destination routes: a list, as a route has no id (its tuple names it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vpn_routes: Vec<VpnRoute>,
    /// Policy-based routes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vpn_policy_routes: Vec<VpnPbrRoute>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ssl_vpn_servers: BTreeMap<String, SslVpnServer>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ssl_vpn_client_certs: BTreeMap<String, SslVpnClientCert>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gateway {
    pub(crate) region: String,
    /// `init`, `provisioning`, `active`, `updating`, `deleting`. A gateway seeded
    /// `updating` stays so; one a delete made busy is `updating` until its time is up.
    #[serde(default = "active")]
    pub status: String,
    /// `Normal` or `FinancialLocked` (mutations then fail `VpnGateway.FinancialLocked`).
    #[serde(default = "normal")]
    pub business_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// What ModifyVpnGatewayAttribute sets besides the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_propagate: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) vpc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_ip: Option<String>,
    /// `enable` or `disable`: CreateIpsecServer needs SSL-VPN enabled.
    #[serde(default = "enable")]
    pub ssl_vpn: String,
    /// The VPC's CIDR block: a server's `ClientIpPool` must not overlap it.
    #[serde(default = "default_vpc_cidr")]
    pub(crate) vpc_cidr: String,
    /// Anonymous IPsec-VPN connections on the gateway, besides those `vpn_connections`
    /// names: CreateIpsecServer needs none, and they count towards the ten a gateway holds.
    #[serde(default)]
    pub ipsec_connections: u32,
    /// The resource group of the gateway and of its IPsec server (ListIpsecServers:
    /// "the IPsec server belongs to the same resource group as the associated VPN
    /// gateway instance").
    #[serde(default = "default_resource_group")]
    pub resource_group_id: String,
    /// Route entries in the route table of the gateway's VPC. A server's client pool
    /// becomes one more (API.md), so a create on a table holding [`ROUTE_QUOTA`] fails
    /// `QuotaExceeded.VpnRouteEntry`.
    #[serde(default)]
    pub route_entries: u32,
    /// `false` for a gateway whose version is too old for an IPsec server: a create
    /// fails `OperationUnsupported.IPsecServer`.
    #[serde(default = "yes")]
    pub supports_ipsec_server: bool,
    /// `PostpayByFlow` (pay-as-you-go) or `Prepay` (subscription: DeleteVpnGateway
    /// refuses it, 403 `ForbiddenRelease`), as DescribeVpnGateway answers `ChargeType`.
    #[serde(default = "postpay")]
    pub charge_type: String,
    /// Mbit/s, answered as `Spec` (`10M`).
    #[serde(default = "ten")]
    pub bandwidth: u32,
    /// `enable` or `disable`.
    #[serde(default = "enable")]
    pub ipsec_vpn: String,
    /// The most SSL-VPN clients connected at once (`SslMaxConnections`).
    #[serde(default = "five")]
    pub ssl_connections: u32,
    /// Else one derived from the gateway's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vswitch_id: Option<String>,
    /// The second vSwitch of a dual-tunnel gateway; answered only when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disaster_recovery_vswitch_id: Option<String>,
    /// `public` or `private`.
    #[serde(default = "public")]
    pub network_type: String,
    /// `Normal` or `NationalStandard`.
    #[serde(default = "normal_type")]
    pub vpn_type: String,
    /// Milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<u64>,
}

/// The VPC CIDR of a gateway the world does not give one.
pub(crate) const DEFAULT_VPC_CIDR: &str = "172.16.0.0/12";
/// The public address a server answers when neither it nor its gateway has one.
pub(crate) const DEFAULT_INTERNET_IP: &str = "198.51.100.10";
/// The resource group of a gateway the world does not put in one.
pub(crate) const DEFAULT_RESOURCE_GROUP: &str = "rg-sandbox";
/// The route entries a VPC route table holds: Alibaba's default quota of custom route
/// entries per route table.
pub(crate) const ROUTE_QUOTA: u32 = 200;

impl Gateway {
    /// An `active`, `Normal` gateway in `region`.
    pub fn new(region: &str) -> Self {
        Gateway {
            region: region.to_owned(),
            status: active(),
            business_status: normal(),
            name: None,
            description: None,
            auto_propagate: false,
            vpc_id: None,
            internet_ip: None,
            ssl_vpn: enable(),
            vpc_cidr: default_vpc_cidr(),
            ipsec_connections: 0,
            resource_group_id: default_resource_group(),
            route_entries: 0,
            supports_ipsec_server: true,
            charge_type: postpay(),
            bandwidth: ten(),
            ipsec_vpn: enable(),
            ssl_connections: five(),
            vswitch_id: None,
            disaster_recovery_vswitch_id: None,
            network_type: public(),
            vpn_type: normal_type(),
            create_time: None,
        }
    }

    /// The gateway's VPC: the world's, else one derived from the gateway's id.
    pub(crate) fn vpc_id(&self, gateway_id: &str) -> String {
        self.vpc_id
            .clone()
            .unwrap_or_else(|| format!("vpc-{}", gateway_id.get(4..).unwrap_or(gateway_id)))
    }

    /// The gateway's vSwitch: the world's, else one derived from the gateway's id.
    pub(crate) fn vswitch_id(&self, gateway_id: &str) -> String {
        self.vswitch_id
            .clone()
            .unwrap_or_else(|| format!("vsw-{}", gateway_id.get(4..).unwrap_or(gateway_id)))
    }

    /// The gateway's public address, as its servers answer it.
    pub(crate) fn internet_ip(&self) -> String {
        self.internet_ip
            .clone()
            .unwrap_or_else(|| DEFAULT_INTERNET_IP.to_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpsecServer {
    pub vpn_gateway: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_subnet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip_pool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_ip: Option<String>,
    /// ListIpsecServers answers it in clear text, as Alibaba does; the client must drop it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "secret_option"
    )]
    pub psk: Option<Secret>,
    #[serde(default = "yes")]
    pub psk_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<String>,
    #[serde(default)]
    pub effect_immediately: bool,
    #[serde(default)]
    pub(crate) multi_factor_auth_enabled: bool,
    #[serde(default)]
    pub(crate) online_client_count: u32,
    #[serde(default = "five")]
    pub(crate) max_connections: u32,
    #[serde(default, skip_serializing_if = "IkeConfig::is_default")]
    pub ike_config: IkeConfig,
    #[serde(default, skip_serializing_if = "IpsecConfig::is_default")]
    pub ipsec_config: IpsecConfig,
}

impl IpsecServer {
    /// A server on `vpn_gateway` with every optional field at its default.
    pub fn new(vpn_gateway: &str) -> Self {
        IpsecServer {
            vpn_gateway: vpn_gateway.to_owned(),
            name: None,
            local_subnet: None,
            client_ip_pool: None,
            internet_ip: None,
            psk: None,
            psk_enabled: true,
            creation_time: None,
            effect_immediately: false,
            multi_factor_auth_enabled: false,
            online_client_count: 0,
            max_connections: 5,
            ike_config: IkeConfig::default(),
            ipsec_config: IpsecConfig::default(),
        }
    }

    #[cfg(test)]
    pub(crate) fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// The PSK ListIpsecServers answers: the configured one, else 16 characters derived
    /// from the id (the cloud generates "a 16-character string" when a create gives
    /// none: the CreateIpsecServer model's `Psk`), so that the same world always
    /// answers the same bytes.
    pub fn psk_or_default(&self, id: &str) -> String {
        match &self.psk {
            Some(psk) => psk.expose().to_owned(),
            None => derived_psk(id),
        }
    }
}

fn enable() -> String {
    "enable".to_owned()
}
fn default_vpc_cidr() -> String {
    DEFAULT_VPC_CIDR.to_owned()
}
fn default_resource_group() -> String {
    DEFAULT_RESOURCE_GROUP.to_owned()
}
fn active() -> String {
    "active".to_owned()
}
fn normal() -> String {
    "Normal".to_owned()
}
fn five() -> u32 {
    5
}
fn ten() -> u32 {
    10
}
fn postpay() -> String {
    CHARGE_TYPES[0].to_owned()
}
fn public() -> String {
    NETWORK_TYPES[0].to_owned()
}
fn normal_type() -> String {
    VPN_TYPES[0].to_owned()
}

/// A world file or state that cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    #[error("the world file {path} is not UTF-8 text: save it as UTF-8 (YAML files are UTF-8)")]
    NotUtf8 { path: PathBuf },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error(
        "{kind} {id} is on vpn gateway {gateway}, which the world does not define: add it under `vpn_gateways`"
    )]
    UnknownGateway {
        kind: &'static str,
        id: String,
        gateway: String,
    },
    #[error(
        "vpn connection {connection} uses customer gateway {customer_gateway}, which the world does not define: add it under `customer_gateways`"
    )]
    UnknownCustomerGateway {
        connection: String,
        customer_gateway: String,
    },
    #[error(
        "vpn connection {connection} is on vpn gateway {gateway} in {gateway_region} but uses customer gateway {customer_gateway} in {customer_gateway_region}: a connection and its customer gateways are in one region"
    )]
    OtherRegion {
        connection: String,
        gateway: String,
        gateway_region: String,
        customer_gateway: String,
        customer_gateway_region: String,
    },
    #[error(
        "{place}: customer gateways {first} and {second} both have ip_address {ip_address} in {region}, and a region holds one customer gateway per IP address: remove one or change its ip_address"
    )]
    SharedIpAddress {
        place: String,
        region: String,
        ip_address: String,
        first: String,
        second: String,
    },
    #[error(
        "{place}: vpn gateway {gateway} holds {count} IPsec connections ({named} under `vpn_connections`, {anonymous} anonymous `ipsec_connections`), and a gateway holds at most {max}: remove some or move them to another gateway"
    )]
    TooManyConnections {
        place: String,
        gateway: String,
        count: usize,
        named: usize,
        anonymous: u32,
        max: usize,
    },
    #[error(
        "{place}: vpn gateway {gateway} holds ipsec server {server} and {connections}, and a gateway with an IPsec server holds no IPsec connection: remove one or move it to another gateway"
    )]
    ServerWithConnections {
        place: String,
        gateway: String,
        server: String,
        /// `vpn connection vco-...` or `2 anonymous IPsec connections (ipsec_connections)`.
        connections: String,
    },
    #[error("{id}: {why}")]
    BadTunnels { id: String, why: &'static str },
    #[error("{id}: {field} `{value}` is not one of {expected}")]
    BadValue {
        id: String,
        field: &'static str,
        value: String,
        /// The values allowed, joined by commas.
        expected: String,
    },
    #[error(
        "{place}: {} {first} and {second} are both on vpn gateway {gateway}, and a gateway holds one {}: remove one or move it to another gateway",
        kind.plural(),
        kind.one()
    )]
    SharedGateway {
        place: String,
        kind: ServerKind,
        gateway: String,
        first: String,
        second: String,
    },
    #[error(
        "{kind} {route} is on vpn gateway {gateway}, but its next_hop {next_hop} is not an IPsec connection on that gateway: give one under `vpn_connections` whose vpn_gateway is {gateway}"
    )]
    BadNextHop {
        /// `vpn route`, `vpn policy route`.
        kind: &'static str,
        route: String,
        gateway: String,
        next_hop: String,
    },
    #[error(
        "{place}: {kind} {route} is on vpn gateway {gateway} twice, and a gateway holds a route once: remove one"
    )]
    DuplicateRoute {
        place: String,
        kind: &'static str,
        route: String,
        gateway: String,
    },
    #[error(
        "{place}: vpn gateway {gateway} holds {count} {kinds}, and a gateway holds at most {max}: remove some or move them to another gateway"
    )]
    TooManyRoutes {
        place: String,
        gateway: String,
        /// `destination routes`, `policy-based routes`.
        kinds: &'static str,
        count: usize,
        max: usize,
    },
    #[error(
        "ssl vpn server {server} is on vpn gateway {gateway}, whose ssl_vpn is disable: give the gateway `ssl_vpn: enable` or move the server to another gateway"
    )]
    SslVpnDisabled { server: String, gateway: String },
    #[error(
        "ssl vpn client cert {cert} is of ssl vpn server {server}, which the world does not define: add it under `ssl_vpn_servers`"
    )]
    UnknownServer { cert: String, server: String },
    #[error(
        "{place}: the world holds {count} SSL-VPN client certificates, and an account holds at most {max}: remove some"
    )]
    TooManyCerts {
        place: String,
        count: usize,
        max: usize,
    },
    #[error("{id}: {field} `{value}` is not valid: {why}")]
    BadSetting {
        id: String,
        field: &'static str,
        value: String,
        why: String,
    },
    #[error("`{id}` is not a {kind} id: write `{prefix}` then lowercase letters and digits")]
    BadId {
        id: String,
        kind: &'static str,
        prefix: &'static str,
    },
}

/// The kinds of server a gateway holds one of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    Ipsec,
    SslVpn,
}

impl ServerKind {
    fn plural(self) -> &'static str {
        match self {
            ServerKind::Ipsec => "ipsec servers",
            ServerKind::SslVpn => "ssl vpn servers",
        }
    }

    fn one(self) -> &'static str {
        match self {
            ServerKind::Ipsec => "IPsec server",
            ServerKind::SslVpn => "SSL-VPN server",
        }
    }
}

const GATEWAY_STATUSES: [&str; 5] = ["init", "provisioning", "active", "updating", "deleting"];
const BUSINESS_STATUSES: [&str; 2] = ["Normal", "FinancialLocked"];
/// `ssl_vpn` and `ipsec_vpn`.
pub(crate) const SWITCHES: [&str; 2] = ["enable", "disable"];
/// A gateway's `ChargeType`, the default first: pay-as-you-go, subscription.
pub(crate) const CHARGE_TYPES: [&str; 2] = ["PostpayByFlow", "Prepay"];
/// A gateway's `NetworkType`, the default first.
pub(crate) const NETWORK_TYPES: [&str; 2] = ["public", "private"];
/// A gateway's `VpnType`, the default first.
pub(crate) const VPN_TYPES: [&str; 2] = ["Normal", "NationalStandard"];
/// A gateway's `SslConnections` (the request model's values).
pub(crate) const SSL_CONNECTIONS: [u32; 8] = [5, 10, 20, 50, 100, 200, 500, 1000];
/// The gateways an account holds (API.md: 30).
pub(crate) const GATEWAYS_PER_ACCOUNT: usize = 30;

/// The bandwidths (Mbit/s) a gateway of `network_type` comes in (the request model's,
/// China site).
pub(crate) fn bandwidths(network_type: &str) -> &'static [u32] {
    if network_type == "private" {
        &[200, 1000]
    } else {
        &[5, 10, 20, 50, 100, 200, 500, 1000]
    }
}

impl World {
    /// Reads and checks a world YAML file.
    pub(crate) fn read(path: &Path) -> Result<World, WorldError> {
        // The one bounded reader: a regular file (`--world /dev/zero` or a FIFO is
        // refused before a byte is read), at most the state's limit.
        let bytes = crate::files::read(path, crate::files::WORLD)?;
        let text = String::from_utf8(bytes).map_err(|_| WorldError::NotUtf8 {
            path: path.to_owned(),
        })?;
        World::from_yaml(&text, path)
    }

    /// Parses and checks world YAML; `path` is only for messages.
    pub(crate) fn from_yaml(text: &str, path: &Path) -> Result<World, WorldError> {
        let world: World = serde_saphyr::from_str(text).map_err(|e| WorldError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        world.check_in(&path.display().to_string())?;
        Ok(world)
    }

    /// Adds an active gateway unless one with that id exists; returns it.
    pub fn add_gateway(&mut self, id: &str, region: &str) -> &mut Gateway {
        self.vpn_gateways
            .entry(id.to_owned())
            .or_insert_with(|| Gateway::new(region))
    }

    /// Adds (or replaces) a server on `gateway` (which must exist in `region`: it is
    /// added when missing); returns it for further settings.
    pub fn add_server(&mut self, id: &str, gateway: &str, region: &str) -> &mut IpsecServer {
        self.add_gateway(gateway, region);
        self.ipsec_servers
            .insert(id.to_owned(), IpsecServer::new(gateway));
        self.ipsec_servers.get_mut(id).expect("just inserted")
    }

    /// Adds (or replaces) a customer gateway; returns it for further settings.
    pub fn add_customer_gateway(
        &mut self,
        id: &str,
        region: &str,
        ip_address: &str,
    ) -> &mut CustomerGateway {
        self.customer_gateways
            .insert(id.to_owned(), CustomerGateway::new(region, ip_address));
        self.customer_gateways.get_mut(id).expect("just inserted")
    }

    /// Adds (or replaces) a single-tunnel connection of `customer_gateway` on `gateway`
    /// (both must be in the world: [`World::check`] says so); returns it for further
    /// settings (a dual-tunnel connection: clear `customer_gateway`, set `tunnels`).
    pub fn add_connection(
        &mut self,
        id: &str,
        gateway: &str,
        customer_gateway: &str,
    ) -> &mut VpnConnection {
        self.vpn_connections.insert(
            id.to_owned(),
            VpnConnection::new(gateway, Some(customer_gateway)),
        );
        self.vpn_connections.get_mut(id).expect("just inserted")
    }

    /// Adds a destination route of `gateway` to `route_dest` through `next_hop` (a
    /// connection on that gateway: [`World::check`] says so); returns it for further
    /// settings.
    pub fn add_route(&mut self, gateway: &str, route_dest: &str, next_hop: &str) -> &mut VpnRoute {
        self.vpn_routes
            .push(VpnRoute::new(gateway, route_dest, next_hop));
        self.vpn_routes.last_mut().expect("just pushed")
    }

    /// Adds a policy-based route; returns it for further settings.
    pub fn add_policy_route(
        &mut self,
        gateway: &str,
        route_source: &str,
        route_dest: &str,
        next_hop: &str,
    ) -> &mut VpnPbrRoute {
        self.vpn_policy_routes.push(VpnPbrRoute::new(
            gateway,
            route_source,
            route_dest,
            next_hop,
        ));
        self.vpn_policy_routes.last_mut().expect("just pushed")
    }

    /// Adds (or replaces) an SSL-VPN server on `gateway`; returns it for further
    /// settings.
    pub fn add_ssl_server(
        &mut self,
        id: &str,
        gateway: &str,
        client_ip_pool: &str,
        local_subnet: &str,
    ) -> &mut SslVpnServer {
        self.ssl_vpn_servers.insert(
            id.to_owned(),
            SslVpnServer::new(gateway, client_ip_pool, local_subnet),
        );
        self.ssl_vpn_servers.get_mut(id).expect("just inserted")
    }

    /// Adds (or replaces) a client certificate of `server`; returns it for further
    /// settings.
    pub fn add_client_cert(&mut self, id: &str, server: &str) -> &mut SslVpnClientCert {
        self.ssl_vpn_client_certs
            .insert(id.to_owned(), SslVpnClientCert::new(server));
        self.ssl_vpn_client_certs
            .get_mut(id)
            .expect("just inserted")
    }

    /// Every region the world knows: those listed and those of its gateways and
    /// customer gateways.
    pub(crate) fn known_regions(&self) -> BTreeSet<String> {
        let mut regions = self.regions.clone();
        regions.extend(self.vpn_gateways.values().map(|g| g.region.clone()));
        regions.extend(self.customer_gateways.values().map(|g| g.region.clone()));
        regions
    }

    /// Ids, statuses, settings, and the rules between resources (see the module doc).
    pub fn check(&self) -> Result<(), WorldError> {
        self.check_in("world")
    }

    /// [`World::check`], naming `place` (the file the world came from) where an error
    /// involves several entries.
    pub(crate) fn check_in(&self, place: &str) -> Result<(), WorldError> {
        for (id, gateway) in &self.vpn_gateways {
            check_id(id, "vpn gateway", crate::id::VPN_GATEWAY_PREFIX)?;
            let enumerated: [(&'static str, &String, &[&str]); 7] = [
                ("status", &gateway.status, &GATEWAY_STATUSES),
                (
                    "business_status",
                    &gateway.business_status,
                    &BUSINESS_STATUSES,
                ),
                ("ssl_vpn", &gateway.ssl_vpn, &SWITCHES),
                ("ipsec_vpn", &gateway.ipsec_vpn, &SWITCHES),
                ("charge_type", &gateway.charge_type, &CHARGE_TYPES),
                ("network_type", &gateway.network_type, &NETWORK_TYPES),
                ("vpn_type", &gateway.vpn_type, &VPN_TYPES),
            ];
            for (field, value, allowed) in enumerated {
                if !allowed.contains(&value.as_str()) {
                    return Err(WorldError::BadValue {
                        id: id.clone(),
                        field,
                        value: value.clone(),
                        expected: allowed.join(", "),
                    });
                }
            }
            let numbers = [
                (
                    "bandwidth",
                    gateway.bandwidth,
                    bandwidths(&gateway.network_type),
                ),
                (
                    "ssl_connections",
                    gateway.ssl_connections,
                    &SSL_CONNECTIONS[..],
                ),
            ];
            for (field, value, allowed) in numbers {
                if !allowed.contains(&value) {
                    let allowed: Vec<String> = allowed.iter().map(u32::to_string).collect();
                    return Err(WorldError::BadValue {
                        id: id.clone(),
                        field,
                        value: value.to_string(),
                        expected: allowed.join(", "),
                    });
                }
            }
            if let Err(why) = cidr(&gateway.vpc_cidr) {
                return Err(WorldError::BadSetting {
                    id: id.clone(),
                    field: "vpc_cidr",
                    value: gateway.vpc_cidr.clone(),
                    why,
                });
            }
        }
        let mut on_gateway: BTreeMap<&str, &str> = BTreeMap::new();
        for (id, server) in &self.ipsec_servers {
            check_id(id, "ipsec server", crate::id::IPSEC_SERVER_PREFIX)?;
            if !self.vpn_gateways.contains_key(&server.vpn_gateway) {
                return Err(WorldError::UnknownGateway {
                    kind: "ipsec server",
                    id: id.clone(),
                    gateway: server.vpn_gateway.clone(),
                });
            }
            one_a_gateway(
                &mut on_gateway,
                (&server.vpn_gateway, id),
                ServerKind::Ipsec,
                place,
            )?;
            if let Err((field, value, why)) = check_server(server) {
                return Err(WorldError::BadSetting {
                    id: id.clone(),
                    field,
                    value,
                    why,
                });
            }
        }
        check_family(self, place)?;
        check_routes(self, place)?;
        check_ssl_vpn(self, place)
    }
}

/// A server of `kind` on its gateway, `(gateway, id)`, the first of its kind there
/// (`seen` maps a gateway to the server seen on it).
fn one_a_gateway<'w>(
    seen: &mut BTreeMap<&'w str, &'w str>,
    (gateway, id): (&'w str, &'w str),
    kind: ServerKind,
    place: &str,
) -> Result<(), WorldError> {
    match seen.insert(gateway, id) {
        Some(first) => Err(WorldError::SharedGateway {
            place: place.to_owned(),
            kind,
            gateway: gateway.to_owned(),
            first: first.to_owned(),
            second: id.to_owned(),
        }),
        None => Ok(()),
    }
}

pub(crate) fn check_id(
    id: &str,
    kind: &'static str,
    prefix: &'static str,
) -> Result<(), WorldError> {
    if crate::id::is_id(id, prefix) {
        Ok(())
    } else {
        Err(WorldError::BadId {
            id: id.to_owned(),
            kind,
            prefix,
        })
    }
}

/// The world's customer gateways and connections, and the rules between them and the
/// gateways (see the module doc). `place` names the file in errors about several
/// entries.
fn check_family(world: &World, place: &str) -> Result<(), WorldError> {
    let mut by_address: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for (id, gateway) in &world.customer_gateways {
        check_id(id, "customer gateway", CUSTOMER_GATEWAY_PREFIX)?;
        let bad = |field, value: String, why: String| WorldError::BadSetting {
            id: id.clone(),
            field,
            value,
            why,
        };
        if gateway.ip_address.parse::<Ipv4Addr>().is_err() {
            return Err(bad(
                "ip_address",
                gateway.ip_address.clone(),
                "not an IPv4 address such as 203.0.113.7".to_owned(),
            ));
        }
        if let Some(asn) = gateway.asn {
            check_asn(asn).map_err(|why| bad("asn", asn.to_string(), why))?;
        }
        if let Some(first) = by_address.insert((&gateway.region, &gateway.ip_address), id.as_str())
        {
            return Err(WorldError::SharedIpAddress {
                place: place.to_owned(),
                region: gateway.region.clone(),
                ip_address: gateway.ip_address.clone(),
                first: first.to_owned(),
                second: id.clone(),
            });
        }
    }
    for (id, connection) in &world.vpn_connections {
        check_connection(world, id, connection)?;
    }
    for (gateway_id, gateway) in &world.vpn_gateways {
        let named: Vec<&String> = world
            .vpn_connections
            .iter()
            .filter(|(_, c)| c.vpn_gateway == *gateway_id)
            .map(|(id, _)| id)
            .collect();
        let count = named.len() + gateway.ipsec_connections as usize;
        if count > CONNECTIONS_PER_GATEWAY {
            return Err(WorldError::TooManyConnections {
                place: place.to_owned(),
                gateway: gateway_id.clone(),
                count,
                named: named.len(),
                anonymous: gateway.ipsec_connections,
                max: CONNECTIONS_PER_GATEWAY,
            });
        }
        let server = world
            .ipsec_servers
            .iter()
            .find(|(_, s)| s.vpn_gateway == *gateway_id);
        if let Some((server, _)) = server
            && count > 0
        {
            let connections = match named.first() {
                Some(first) => format!("vpn connection {first}"),
                None => format!(
                    "{} anonymous IPsec connection(s) (`ipsec_connections`)",
                    gateway.ipsec_connections
                ),
            };
            return Err(WorldError::ServerWithConnections {
                place: place.to_owned(),
                gateway: gateway_id.clone(),
                server: server.clone(),
                connections,
            });
        }
    }
    Ok(())
}

fn check_connection(world: &World, id: &str, c: &VpnConnection) -> Result<(), WorldError> {
    check_id(id, "vpn connection", VPN_CONNECTION_PREFIX)?;
    let gateway =
        world
            .vpn_gateways
            .get(&c.vpn_gateway)
            .ok_or_else(|| WorldError::UnknownGateway {
                kind: "vpn connection",
                id: id.to_owned(),
                gateway: c.vpn_gateway.clone(),
            })?;
    for tunnel in &c.tunnels {
        if !ROLES.contains(&tunnel.role.as_str()) {
            return Err(WorldError::BadValue {
                id: id.to_owned(),
                field: "role",
                value: tunnel.role.clone(),
                expected: ROLES.join(", "),
            });
        }
    }
    let shape = match (&c.customer_gateway, c.tunnels.len()) {
        (Some(_), 0) => Ok(()),
        (Some(_), _) => {
            Err("give `customer_gateway` (single tunnel) or `tunnels` (dual tunnel), not both")
        }
        (None, 0) => Err("give `customer_gateway` (single tunnel) or two `tunnels` (dual tunnel)"),
        (None, 2) => {
            let mut roles: Vec<&str> = c.tunnels.iter().map(|t| t.role.as_str()).collect();
            roles.sort_unstable();
            if roles == ROLES {
                Ok(())
            } else {
                Err(
                    "a dual-tunnel connection has one tunnel with role master and one with role slave",
                )
            }
        }
        (None, _) => {
            Err("a dual-tunnel connection has exactly two `tunnels`, one master and one slave")
        }
    };
    shape.map_err(|why| WorldError::BadTunnels {
        id: id.to_owned(),
        why,
    })?;
    for customer_gateway in c.customer_gateways() {
        let found = world
            .customer_gateways
            .get(customer_gateway)
            .ok_or_else(|| WorldError::UnknownCustomerGateway {
                connection: id.to_owned(),
                customer_gateway: customer_gateway.to_owned(),
            })?;
        if found.region != gateway.region {
            return Err(WorldError::OtherRegion {
                connection: id.to_owned(),
                gateway: c.vpn_gateway.clone(),
                gateway_region: gateway.region.clone(),
                customer_gateway: customer_gateway.to_owned(),
                customer_gateway_region: found.region.clone(),
            });
        }
    }
    let bad = |(field, value, why): (&'static str, String, String)| WorldError::BadSetting {
        id: id.to_owned(),
        field,
        value,
        why,
    };
    for (field, list) in [
        ("local_subnet", &c.local_subnet),
        ("remote_subnet", &c.remote_subnet),
    ] {
        check_cidr_list(list).map_err(|why| bad((field, list.clone(), why)))?;
    }
    check_negotiation(&c.ike_config, &c.ipsec_config).map_err(bad)?;
    for tunnel in &c.tunnels {
        check_negotiation(&tunnel.ike_config, &tunnel.ipsec_config).map_err(bad)?;
    }
    let bgps = c
        .bgp
        .iter()
        .chain(c.tunnels.iter().filter_map(|t| t.bgp.as_ref()));
    for bgp in bgps {
        // The cloud side's ASN may be Alibaba Cloud's own (its default).
        if !(1..=MAX_ASN).contains(&bgp.local_asn) {
            return Err(bad((
                "local_asn",
                bgp.local_asn.to_string(),
                format!("an ASN is 1 to {MAX_ASN}"),
            )));
        }
        if !bgp.tunnel_cidr.is_empty() {
            cidr(&bgp.tunnel_cidr)
                .map_err(|why| bad(("tunnel_cidr", bgp.tunnel_cidr.clone(), why)))?;
        }
    }
    Ok(())
}

/// The world's routes and the rules between them, the gateways and the connections
/// (see the module doc).
fn check_routes(world: &World, place: &str) -> Result<(), WorldError> {
    check_route_list(world, place, &world.vpn_routes)?;
    check_route_list(world, place, &world.vpn_policy_routes)
}

fn check_route_list<R: Route>(world: &World, place: &str, routes: &[R]) -> Result<(), WorldError> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut per_gateway: BTreeMap<&str, usize> = BTreeMap::new();
    for route in routes {
        let gateway = route.vpn_gateway();
        if !world.vpn_gateways.contains_key(gateway) {
            return Err(WorldError::UnknownGateway {
                kind: R::KIND,
                id: route.describe(),
                gateway: gateway.to_owned(),
            });
        }
        route
            .check()
            .map_err(|(field, value, why)| WorldError::BadSetting {
                id: format!("{} {}", R::KIND, route.describe()),
                field,
                value,
                why,
            })?;
        let on_gateway = world
            .vpn_connections
            .get(route.next_hop())
            .is_some_and(|c| c.vpn_gateway == gateway);
        if !on_gateway {
            return Err(WorldError::BadNextHop {
                kind: R::KIND,
                route: route.describe(),
                gateway: gateway.to_owned(),
                next_hop: route.next_hop().to_owned(),
            });
        }
        if !seen.insert(route.key()) {
            return Err(WorldError::DuplicateRoute {
                place: place.to_owned(),
                kind: R::KIND,
                route: route.describe(),
                gateway: gateway.to_owned(),
            });
        }
        let count = per_gateway.entry(gateway).or_default();
        *count += 1;
        if *count > ROUTES_PER_GATEWAY {
            return Err(WorldError::TooManyRoutes {
                place: place.to_owned(),
                gateway: gateway.to_owned(),
                kinds: R::KINDS,
                count: routes.iter().filter(|r| r.vpn_gateway() == gateway).count(),
                max: ROUTES_PER_GATEWAY,
            });
        }
    }
    Ok(())
}

/// The world's SSL-VPN servers and client certificates, and the rules between them
/// and the gateways (see the module doc).
fn check_ssl_vpn(world: &World, place: &str) -> Result<(), WorldError> {
    let mut on_gateway: BTreeMap<&str, &str> = BTreeMap::new();
    for (id, server) in &world.ssl_vpn_servers {
        check_id(id, "ssl vpn server", SSL_VPN_SERVER_PREFIX)?;
        let gateway = world.vpn_gateways.get(&server.vpn_gateway).ok_or_else(|| {
            WorldError::UnknownGateway {
                kind: "ssl vpn server",
                id: id.clone(),
                gateway: server.vpn_gateway.clone(),
            }
        })?;
        server
            .check()
            .map_err(|(field, value, why)| WorldError::BadSetting {
                id: id.clone(),
                field,
                value,
                why,
            })?;
        if gateway.ssl_vpn != "enable" {
            return Err(WorldError::SslVpnDisabled {
                server: id.clone(),
                gateway: server.vpn_gateway.clone(),
            });
        }
        one_a_gateway(
            &mut on_gateway,
            (&server.vpn_gateway, id),
            ServerKind::SslVpn,
            place,
        )?;
    }
    for (id, cert) in &world.ssl_vpn_client_certs {
        check_id(id, "ssl vpn client cert", SSL_VPN_CLIENT_CERT_PREFIX)?;
        if !world.ssl_vpn_servers.contains_key(&cert.ssl_vpn_server) {
            return Err(WorldError::UnknownServer {
                cert: id.clone(),
                server: cert.ssl_vpn_server.clone(),
            });
        }
        if !CERT_STATUSES.contains(&cert.status.as_str()) {
            return Err(WorldError::BadValue {
                id: id.clone(),
                field: "status",
                value: cert.status.clone(),
                expected: CERT_STATUSES.join(", "),
            });
        }
    }
    let count = world.ssl_vpn_client_certs.len();
    if count > CLIENT_CERTS_PER_ACCOUNT {
        return Err(WorldError::TooManyCerts {
            place: place.to_owned(),
            count,
            max: CLIENT_CERTS_PER_ACCOUNT,
        });
    }
    Ok(())
}

/// A world file's server, checked as a create would check it: `(field, value, why)`.
pub(crate) fn check_server(server: &IpsecServer) -> Result<(), (&'static str, String, String)> {
    if let Some(subnet) = &server.local_subnet {
        for block in subnet.split(',') {
            cidr(block).map_err(|why| ("local_subnet", subnet.clone(), why))?;
        }
    }
    if let Some(pool) = &server.client_ip_pool {
        cidr(pool).map_err(|why| ("client_ip_pool", pool.clone(), why))?;
    }
    check_negotiation(&server.ike_config, &server.ipsec_config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_yaml_with_defaults_and_a_psk() {
        let text = "vpn_gateways:\n  vpn-a:\n    region: cn-hangzhou\n    business_status: FinancialLocked\nipsec_servers:\n  iss-a:\n    vpn_gateway: vpn-a\n    psk: hunter2\n";
        let world = World::from_yaml(text, Path::new("world.yaml")).unwrap();
        assert_eq!(world.vpn_gateways["vpn-a"].status, "active");
        assert_eq!(
            world.vpn_gateways["vpn-a"].business_status,
            "FinancialLocked"
        );
        assert_eq!(
            world.ipsec_servers["iss-a"].psk_or_default("iss-a"),
            "hunter2"
        );
        assert!(!format!("{world:?}").contains("hunter2"));
    }

    #[test]
    fn world_yaml_naming_a_missing_gateway_says_what_to_add() {
        let text = "ipsec_servers:\n  iss-a:\n    vpn_gateway: vpn-zz\n";
        let err = World::from_yaml(text, Path::new("world.yaml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ipsec server iss-a is on vpn gateway vpn-zz, which the world does not define: add it under `vpn_gateways`"
        );
    }

    #[test]
    fn world_yaml_rejects_a_duplicate_server_id() {
        let text = "vpn_gateways:\n  vpn-a: {region: cn-hangzhou}\nipsec_servers:\n  iss-a: {vpn_gateway: vpn-a}\n  iss-a: {vpn_gateway: vpn-a}\n";
        let err = World::from_yaml(text, Path::new("world.yaml")).unwrap_err();
        assert!(err.to_string().starts_with("world.yaml: "), "{err}");
    }

    #[test]
    fn world_yaml_with_two_servers_on_one_gateway_names_the_file_and_both() {
        let text = "vpn_gateways:\n  vpn-a: {region: cn-hangzhou}\nipsec_servers:\n  iss-a: {vpn_gateway: vpn-a}\n  iss-b: {vpn_gateway: vpn-a}\n";
        let err = World::from_yaml(text, Path::new("world.yaml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "world.yaml: ipsec servers iss-a and iss-b are both on vpn gateway vpn-a, and a gateway holds one IPsec server: remove one or move it to another gateway"
        );
    }

    #[test]
    fn world_yaml_gateway_defaults_and_bad_settings() {
        let text = "vpn_gateways:\n  vpn-a: {region: cn-hangzhou}\n";
        let world = World::from_yaml(text, Path::new("world.yaml")).unwrap();
        let g = &world.vpn_gateways["vpn-a"];
        assert_eq!(
            (g.ssl_vpn.as_str(), g.vpc_cidr.as_str(), g.ipsec_connections),
            ("enable", "172.16.0.0/12", 0)
        );
        let text = "vpn_gateways:\n  vpn-a: {region: cn-hangzhou, ssl_vpn: off}\n";
        let err = World::from_yaml(text, Path::new("world.yaml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "vpn-a: ssl_vpn `off` is not one of enable, disable"
        );
        let text = "vpn_gateways:\n  vpn-a: {region: cn-hangzhou}\nipsec_servers:\n  iss-a:\n    vpn_gateway: vpn-a\n    ike_config: {ike_enc_alg: rot13}\n";
        let err = World::from_yaml(text, Path::new("world.yaml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "iss-a: ike_enc_alg `rot13` is not valid: not one of aes, aes192, aes256, des, 3des"
        );
    }

    const FAMILY: &str = "vpn_gateways:\n  vpn-a: {region: cn-hangzhou}\ncustomer_gateways:\n  cgw-a: {region: cn-hangzhou, ip_address: 203.0.113.7, asn: 65001, auth_key: bgp-canary}\n  cgw-b: {region: cn-hangzhou, ip_address: 203.0.113.8}\nvpn_connections:\n  vco-single:\n    vpn_gateway: vpn-a\n    customer_gateway: cgw-a\n    local_subnet: 10.0.0.0/16\n    remote_subnet: 192.168.0.0/24\n    psk: psk-canary\n    ike_config: {ike_version: ikev2}\n  vco-dual:\n    vpn_gateway: vpn-a\n    tunnels:\n      - {customer_gateway: cgw-a, role: master, psk: tunnel-canary}\n      - {customer_gateway: cgw-b, role: slave}\n";

    fn refused(text: &str) -> String {
        World::from_yaml(text, Path::new("world.yaml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_family_world_takes_the_connection_defaults_and_keeps_its_secrets() {
        let world = World::from_yaml(FAMILY, Path::new("world.yaml")).unwrap();
        let single = &world.vpn_connections["vco-single"];
        // Only the key given differs from a connection's defaults (MD5, not SHA-1).
        assert_eq!(
            (
                single.ike_config.ike_version.as_str(),
                single.ike_config.ike_auth_alg.as_str(),
                single.ipsec_config.ipsec_auth_alg.as_str()
            ),
            ("ikev2", "md5", "md5")
        );
        assert_eq!(single.psk_or_default("vco-single"), "psk-canary");
        let dual = &world.vpn_connections["vco-dual"];
        assert_eq!(dual.local_subnet, "0.0.0.0/0");
        assert_eq!(
            dual.tunnels[0].psk_or_default("vco-dual", 1),
            "tunnel-canary"
        );
        assert_eq!(dual.tunnels[1].psk_or_default("vco-dual", 2).len(), 16);
        let debug = format!("{world:?}");
        for secret in ["psk-canary", "tunnel-canary", "bgp-canary"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        // The world file keeps them, as it keeps a server's PSK.
        let saved = serde_saphyr::to_string(&world).unwrap();
        for secret in ["psk-canary", "tunnel-canary", "bgp-canary"] {
            assert!(saved.contains(secret), "{secret} not in {saved}");
        }
        let again = World::from_yaml(&saved, Path::new("again.yaml")).unwrap();
        assert_eq!(again, world);
    }

    #[test]
    fn a_family_world_that_breaks_a_rule_is_refused_naming_what_to_change() {
        let cases = [
            (
                FAMILY.replace("customer_gateway: cgw-a\n", "customer_gateway: cgw-zz\n"),
                "vpn connection vco-single uses customer gateway cgw-zz, which the world does not define: add it under `customer_gateways`",
            ),
            (
                FAMILY.replace("ip_address: 203.0.113.8", "ip_address: 203.0.113.7"),
                "world.yaml: customer gateways cgw-a and cgw-b both have ip_address 203.0.113.7 in cn-hangzhou, and a region holds one customer gateway per IP address: remove one or change its ip_address",
            ),
            (
                FAMILY.replace("role: slave", "role: master"),
                "vco-dual: a dual-tunnel connection has one tunnel with role master and one with role slave",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(refused(&text), message);
        }
    }

    /// The YAML of this module's doc: a world the sandbox serves.
    #[test]
    fn the_module_docs_example_is_a_world_the_sandbox_serves() {
        let source = include_str!("world.rs");
        let example: String = source
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .skip_while(|l| *l != "//! ```yaml")
            .skip(1)
            .take_while(|l| *l != "//! ```")
            .map(|l| format!("{}\n", l.strip_prefix("//! ").unwrap_or("")))
            .collect();
        let world = World::from_yaml(&example, Path::new("world.rs")).unwrap();
        assert_eq!(
            (
                world.vpn_routes.len(),
                world.vpn_policy_routes.len(),
                world.ssl_vpn_servers.len(),
                world.ssl_vpn_client_certs.len()
            ),
            (1, 1, 1, 1)
        );
        let gateway = &world.vpn_gateways["vpn-bp1connectionsgwabcd"];
        assert_eq!(
            (
                gateway.charge_type.as_str(),
                gateway.bandwidth,
                gateway.ipsec_vpn.as_str(),
                gateway.ssl_connections
            ),
            ("PostpayByFlow", 10, "enable", 5)
        );
        assert_eq!(world.vpn_policy_routes[0].priority, 10);
    }

    /// docs/sandbox.md's world (its one YAML block): a world the sandbox serves.
    #[test]
    fn the_docs_world_is_a_world_the_sandbox_serves() {
        let page = include_str!("../../docs/sandbox.md");
        let (_, rest) = page.split_once("```yaml\n").expect("a YAML block");
        let (example, _) = rest.split_once("```").expect("its end");
        let world = World::from_yaml(example, Path::new("docs/sandbox.md")).unwrap();
        assert_eq!(
            (
                world.vpn_routes.len(),
                world.vpn_policy_routes.len(),
                world.ssl_vpn_servers.len(),
                world.ssl_vpn_client_certs.len()
            ),
            (1, 1, 1, 1)
        );
    }

    const ROUTED: &str = "vpn_gateways:\n  vpn-a: {region: cn-hangzhou}\n  vpn-b: {region: cn-hangzhou}\ncustomer_gateways:\n  cgw-a: {region: cn-hangzhou, ip_address: 203.0.113.7}\nvpn_connections:\n  vco-a: {vpn_gateway: vpn-a, customer_gateway: cgw-a}\n  vco-b: {vpn_gateway: vpn-b, customer_gateway: cgw-a}\nvpn_routes:\n  - {vpn_gateway: vpn-a, route_dest: 192.168.0.0/24, next_hop: vco-a, weight: 100}\nssl_vpn_servers:\n  vss-a: {vpn_gateway: vpn-a, client_ip_pool: 10.30.0.0/16, local_subnet: 10.0.0.0/16}\nssl_vpn_client_certs:\n  vsc-a: {ssl_vpn_server: vss-a, name: alice}\n";

    #[test]
    fn routes_and_ssl_vpn_break_the_worlds_rules_only_as_the_cloud_does() {
        let world = World::from_yaml(ROUTED, Path::new("world.yaml")).unwrap();
        assert_eq!(world.vpn_routes[0].key(), "vpn-a:vco-a:192.168.0.0/24");
        assert_eq!(world.ssl_vpn_servers["vss-a"].proto, "TCP");
        let cases = [
            (
                ROUTED.replace("next_hop: vco-a", "next_hop: vco-b"),
                "vpn route 192.168.0.0/24 via vco-b is on vpn gateway vpn-a, but its next_hop vco-b is not an IPsec connection on that gateway: give one under `vpn_connections` whose vpn_gateway is vpn-a",
            ),
            (
                ROUTED.replace("weight: 100", "weight: 50"),
                "vpn route 192.168.0.0/24 via vco-a: weight `50` is not valid: a weight is 0 (standby) or 100 (active)",
            ),
            (
                ROUTED.replace(
                    "vpn-a: {region: cn-hangzhou}",
                    "vpn-a: {region: cn-hangzhou, ssl_vpn: disable}",
                ),
                "ssl vpn server vss-a is on vpn gateway vpn-a, whose ssl_vpn is disable: give the gateway `ssl_vpn: enable` or move the server to another gateway",
            ),
            (
                ROUTED.replace("ssl_vpn_server: vss-a", "ssl_vpn_server: vss-zz"),
                "ssl vpn client cert vsc-a is of ssl vpn server vss-zz, which the world does not define: add it under `ssl_vpn_servers`",
            ),
            (
                ROUTED.replace(
                    "vpn-a: {region: cn-hangzhou}",
                    "vpn-a: {region: cn-hangzhou, charge_type: Monthly}",
                ),
                "vpn-a: charge_type `Monthly` is not one of PostpayByFlow, Prepay",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(refused(&text), message);
        }
    }
}
