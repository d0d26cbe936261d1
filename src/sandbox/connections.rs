//! Customer gateways and IPsec-VPN connections as the sandbox's world holds them (the
//! YAML keys `customer_gateways` and `vpn_connections`, documented in [`super::world`],
//! which checks the rules between them and the gateways): their fields, the cloud's
//! defaults, generated PSKs and tunnel ids, and the checks of one value (an ASN, a list
//! of CIDR blocks).
//!
//! A connection's negotiation settings default to the cloud's defaults for a
//! connection (IKEv1, MD5), which are not an IPsec server's (IKEv2, SHA-1): a world file
//! gives only the keys that differ.

use serde::{Deserialize, Deserializer, Serialize};

use super::attributes::{IkeConfig, IpsecConfig, cidr, derived_psk, is_false, secret_option, yes};
use crate::secret::Secret;

/// The prefix of a customer gateway id.
pub(crate) const CUSTOMER_GATEWAY_PREFIX: &str = "cgw-";
/// The prefix of an IPsec-VPN connection id.
pub(crate) const VPN_CONNECTION_PREFIX: &str = "vco-";
/// The connections a gateway holds (API.md: 10 per gateway), anonymous ones included.
pub(crate) const CONNECTIONS_PER_GATEWAY: usize = 10;
/// The customer gateways a region holds (API.md: 100 per region).
pub(crate) const CUSTOMER_GATEWAYS_PER_REGION: usize = 100;
/// The cloud side's BGP ASN when a `BgpConfig` gives none (Alibaba Cloud's own).
pub(crate) const ALIBABA_ASN: u64 = 45104;
/// The largest ASN: four bytes.
pub(crate) const MAX_ASN: u64 = 4_294_967_295;
/// `CreateTime` of what a world file gives none for (2024-01-02T03:04:05Z).
pub(crate) const DEFAULT_CREATE_TIME: u64 = 1_704_164_645_000;
/// The tunnel roles of a dual-tunnel connection.
pub(crate) const ROLES: [&str; 2] = ["master", "slave"];

/// The on-premises end of IPsec-VPN connections: an IP address in a region. No lane:
/// its calls are synchronous.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerGateway {
    pub(crate) region: String,
    pub ip_address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The BGP authentication key: DescribeCustomerGateway(s) answer it in clear text,
    /// as Alibaba does; the client must drop it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "secret_option"
    )]
    pub auth_key: Option<Secret>,
    /// Milliseconds since the epoch, as the API answers `CreateTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<u64>,
}

impl CustomerGateway {
    pub fn new(region: &str, ip_address: &str) -> Self {
        CustomerGateway {
            region: region.to_owned(),
            ip_address: ip_address.to_owned(),
            asn: None,
            name: None,
            description: None,
            auth_key: None,
            create_time: None,
        }
    }
}

/// An IPsec-VPN connection on a gateway's lane: single tunnel (`customer_gateway`) or
/// dual tunnel (two `tunnels`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpnConnection {
    pub vpn_gateway: String,
    /// A single-tunnel connection's customer gateway; none for a dual-tunnel one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_gateway: Option<String>,
    /// Comma-separated CIDR blocks, as the API answers them.
    #[serde(default = "any_network")]
    pub local_subnet: String,
    #[serde(default = "any_network")]
    pub remote_subnet: String,
    /// A single-tunnel connection's PSK (`IkeConfig.Psk`), answered in clear text.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "secret_option"
    )]
    pub psk: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub effect_immediately: bool,
    #[serde(default = "yes")]
    pub enable_dpd: bool,
    #[serde(default = "yes")]
    pub enable_nat_traversal: bool,
    #[serde(default = "yes")]
    pub auto_config_route: bool,
    #[serde(
        default = "IkeConfig::for_connection",
        deserialize_with = "connection_ike",
        skip_serializing_if = "IkeConfig::is_connection_default"
    )]
    pub ike_config: IkeConfig,
    #[serde(
        default = "IpsecConfig::for_connection",
        deserialize_with = "connection_ipsec",
        skip_serializing_if = "IpsecConfig::is_connection_default"
    )]
    pub ipsec_config: IpsecConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bgp: Option<BgpConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Dual tunnel: whether the tunnels run BGP (`EnableTunnelsBgp`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub enable_tunnels_bgp: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tunnels: Vec<Tunnel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<u64>,
}

/// One tunnel of a dual-tunnel connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tunnel {
    pub customer_gateway: String,
    /// `master` or `slave`.
    pub role: String,
    /// The tunnel's PSK (`TunnelIkeConfig.Psk`), answered in clear text.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "secret_option"
    )]
    pub psk: Option<Secret>,
    #[serde(default = "yes")]
    pub enable_dpd: bool,
    #[serde(default = "yes")]
    pub enable_nat_traversal: bool,
    #[serde(
        default = "IkeConfig::for_connection",
        deserialize_with = "connection_ike",
        skip_serializing_if = "IkeConfig::is_connection_default"
    )]
    pub ike_config: IkeConfig,
    #[serde(
        default = "IpsecConfig::for_connection",
        deserialize_with = "connection_ipsec",
        skip_serializing_if = "IpsecConfig::is_connection_default"
    )]
    pub ipsec_config: IpsecConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bgp: Option<BgpConfig>,
}

/// BGP on a connection or a tunnel (`BgpConfig`, `TunnelBgpConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BgpConfig {
    #[serde(default = "yes")]
    pub enable: bool,
    #[serde(default = "alibaba_asn")]
    pub local_asn: u64,
    /// A /30 inside 169.254.0.0/16; empty when none was given.
    #[serde(default)]
    pub tunnel_cidr: String,
    /// An address inside `tunnel_cidr`; empty when none was given.
    #[serde(default)]
    pub local_bgp_ip: String,
}

impl Default for BgpConfig {
    fn default() -> Self {
        BgpConfig {
            enable: false,
            local_asn: ALIBABA_ASN,
            tunnel_cidr: String::new(),
            local_bgp_ip: String::new(),
        }
    }
}

/// A connection's health check (`HealthCheckConfig`, answered as `VcoHealthCheck`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    #[serde(default = "yes")]
    pub enable: bool,
    #[serde(default)]
    pub dip: String,
    #[serde(default)]
    pub sip: String,
    #[serde(default = "three")]
    pub interval: u32,
    #[serde(default = "three")]
    pub retry: u32,
    #[serde(default = "revoke_route")]
    pub policy: String,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            enable: false,
            dip: String::new(),
            sip: String::new(),
            interval: 3,
            retry: 3,
            policy: revoke_route(),
        }
    }
}

impl VpnConnection {
    /// A connection on `vpn_gateway` with every optional field at the cloud's default:
    /// single tunnel when `customer_gateway` is given.
    pub fn new(vpn_gateway: &str, customer_gateway: Option<&str>) -> Self {
        VpnConnection {
            vpn_gateway: vpn_gateway.to_owned(),
            customer_gateway: customer_gateway.map(str::to_owned),
            local_subnet: any_network(),
            remote_subnet: any_network(),
            psk: None,
            name: None,
            effect_immediately: false,
            enable_dpd: true,
            enable_nat_traversal: true,
            auto_config_route: true,
            ike_config: IkeConfig::for_connection(),
            ipsec_config: IpsecConfig::for_connection(),
            bgp: None,
            health_check: None,
            enable_tunnels_bgp: false,
            tunnels: Vec::new(),
            create_time: None,
        }
    }

    pub(crate) fn is_dual_tunnel(&self) -> bool {
        !self.tunnels.is_empty()
    }

    /// Every customer gateway it uses: the single tunnel's, or each tunnel's.
    pub(crate) fn customer_gateways(&self) -> impl Iterator<Item = &str> {
        self.customer_gateway
            .as_deref()
            .into_iter()
            .chain(self.tunnels.iter().map(|t| t.customer_gateway.as_str()))
    }

    /// The PSK Describe answers: the configured one, else 16 characters derived from
    /// the id (the cloud generates a random one when a create gives none).
    pub fn psk_or_default(&self, id: &str) -> String {
        match &self.psk {
            Some(psk) => psk.expose().to_owned(),
            None => derived_psk(id),
        }
    }
}

impl Tunnel {
    pub fn new(customer_gateway: &str, role: &str) -> Self {
        Tunnel {
            customer_gateway: customer_gateway.to_owned(),
            role: role.to_owned(),
            psk: None,
            enable_dpd: true,
            enable_nat_traversal: true,
            ike_config: IkeConfig::for_connection(),
            ipsec_config: IpsecConfig::for_connection(),
            bgp: None,
        }
    }

    /// The tunnel's PSK: the configured one, else one derived from the connection's id
    /// and the tunnel's place (1 or 2).
    pub fn psk_or_default(&self, connection_id: &str, index: usize) -> String {
        match &self.psk {
            Some(psk) => psk.expose().to_owned(),
            None => derived_psk(&format!("{connection_id}:{index}")),
        }
    }
}

/// The id the cloud gives a tunnel (`tun-...`): derived from its connection's id and
/// its place, so that the same world always answers the same ids.
pub(crate) fn tunnel_id(connection_id: &str, index: usize) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("sandbox-tunnel:{connection_id}:{index}"));
    format!("tun-sbx{}", &hex::encode(digest)[..17])
}

impl IkeConfig {
    /// The cloud's defaults for a connection's phase one (CreateVpnConnection's
    /// `IkeConfig`): IKEv1, main mode, AES, MD5, group 2, a day.
    pub(crate) fn for_connection() -> Self {
        IkeConfig {
            ike_version: "ikev1".to_owned(),
            ike_auth_alg: "md5".to_owned(),
            ..IkeConfig::default()
        }
    }

    fn is_connection_default(&self) -> bool {
        *self == IkeConfig::for_connection()
    }
}

impl IpsecConfig {
    /// The cloud's defaults for a connection's phase two: AES, MD5, group 2, a day.
    pub(crate) fn for_connection() -> Self {
        IpsecConfig {
            ipsec_auth_alg: "md5".to_owned(),
            ..IpsecConfig::default()
        }
    }

    fn is_connection_default(&self) -> bool {
        *self == IpsecConfig::for_connection()
    }
}

/// A world file's `ike_config` of a connection or tunnel: the keys given, over the
/// connection defaults.
fn connection_ike<'de, D: Deserializer<'de>>(d: D) -> Result<IkeConfig, D::Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Given {
        ike_version: Option<String>,
        ike_mode: Option<String>,
        ike_enc_alg: Option<String>,
        ike_auth_alg: Option<String>,
        ike_pfs: Option<String>,
        ike_lifetime: Option<u32>,
        local_id: Option<String>,
        remote_id: Option<String>,
    }
    let given = Given::deserialize(d)?;
    let mut config = IkeConfig::for_connection();
    let texts = [
        (given.ike_version, &mut config.ike_version),
        (given.ike_mode, &mut config.ike_mode),
        (given.ike_enc_alg, &mut config.ike_enc_alg),
        (given.ike_auth_alg, &mut config.ike_auth_alg),
        (given.ike_pfs, &mut config.ike_pfs),
        (given.local_id, &mut config.local_id),
        (given.remote_id, &mut config.remote_id),
    ];
    for (value, field) in texts {
        if let Some(value) = value {
            *field = value;
        }
    }
    if let Some(lifetime) = given.ike_lifetime {
        config.ike_lifetime = lifetime;
    }
    Ok(config)
}

/// A world file's `ipsec_config` of a connection or tunnel, over the connection
/// defaults.
fn connection_ipsec<'de, D: Deserializer<'de>>(d: D) -> Result<IpsecConfig, D::Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Given {
        ipsec_enc_alg: Option<String>,
        ipsec_auth_alg: Option<String>,
        ipsec_pfs: Option<String>,
        ipsec_lifetime: Option<u32>,
    }
    let given = Given::deserialize(d)?;
    let mut config = IpsecConfig::for_connection();
    let texts = [
        (given.ipsec_enc_alg, &mut config.ipsec_enc_alg),
        (given.ipsec_auth_alg, &mut config.ipsec_auth_alg),
        (given.ipsec_pfs, &mut config.ipsec_pfs),
    ];
    for (value, field) in texts {
        if let Some(value) = value {
            *field = value;
        }
    }
    if let Some(lifetime) = given.ipsec_lifetime {
        config.ipsec_lifetime = lifetime;
    }
    Ok(config)
}

fn any_network() -> String {
    "0.0.0.0/0".to_owned()
}
fn alibaba_asn() -> u64 {
    ALIBABA_ASN
}
fn three() -> u32 {
    3
}
fn revoke_route() -> String {
    "revoke_route".to_owned()
}

/// A comma-separated list of CIDR blocks, each checked; the first bad block's reason.
pub(crate) fn check_cidr_list(list: &str) -> Result<(), String> {
    list.split(',')
        .try_for_each(|block| cidr(block).map(|_| ()))
}

/// An ASN the cloud takes: 1 to 4294967295, not Alibaba Cloud's own 45104.
pub(crate) fn check_asn(asn: u64) -> Result<(), String> {
    if asn == ALIBABA_ASN {
        Err(format!("{ALIBABA_ASN} is Alibaba Cloud's own ASN"))
    } else if !(1..=MAX_ASN).contains(&asn) {
        Err(format!("an ASN is 1 to {MAX_ASN}"))
    } else {
        Ok(())
    }
}
