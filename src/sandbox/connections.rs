//! Customer gateways and IPsec-VPN connections as the sandbox's world holds them (the
//! YAML keys `customer_gateways` and `vpn_connections`, documented in [`super::world`]),
//! and the rules a world must keep for them: a connection's gateway and customer
//! gateways exist, in one region; one customer gateway per IP address and region; at
//! most ten connections per gateway; a dual-tunnel connection has one master and one
//! slave tunnel; a gateway with an IPsec server holds no connection.
//!
//! A connection's negotiation settings default to the cloud's defaults for a
//! connection (IKEv1, MD5), which are not an IPsec server's (IKEv2, SHA-1): a world file
//! gives only the keys that differ.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::{Deserialize, Deserializer, Serialize};

use super::world::{
    IkeConfig, IpsecConfig, World, WorldError, check_id, check_negotiation, cidr, derived_psk,
    is_false, secret_option, yes,
};
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

/// The world's customer gateways and connections, and the rules between them and the
/// gateways (see the module doc). `place` names the file in errors about several
/// entries.
pub(crate) fn check(world: &World, place: &str) -> Result<(), WorldError> {
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
                expected: "master, slave",
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

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
}
