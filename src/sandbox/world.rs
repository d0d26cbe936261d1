//! What exists in the sandbox's cloud: regions, VPN gateways, IPsec servers, customer
//! gateways and IPsec-VPN connections, as a world YAML file describes them (or as
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
//! ```
//!
//! `ike_config` and `ipsec_config` give only the keys that differ from the cloud's
//! defaults, which are not the same for a server and a connection (a connection's are
//! the ones above). The world must hold together, as the cloud does: a gateway holds at
//! most one IPsec server, and a gateway with a server holds no IPsec connection
//! (anonymous or not); a connection's gateway and customer gateways exist, in one
//! region; a region holds one customer gateway per IP address; a gateway holds at most
//! ten connections; a dual-tunnel connection has one master and one slave tunnel. A
//! world that breaks a rule is refused.

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
        }
    }

    /// The gateway's VPC: the world's, else one derived from the gateway's id.
    pub(crate) fn vpc_id(&self, gateway_id: &str) -> String {
        self.vpc_id
            .clone()
            .unwrap_or_else(|| format!("vpc-{}", gateway_id.get(4..).unwrap_or(gateway_id)))
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
        expected: &'static str,
    },
    #[error(
        "{place}: ipsec servers {first} and {second} are both on vpn gateway {gateway}, and a gateway holds one IPsec server: remove one or move it to another gateway"
    )]
    SharedGateway {
        place: String,
        gateway: String,
        first: String,
        second: String,
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

const GATEWAY_STATUSES: [&str; 5] = ["init", "provisioning", "active", "updating", "deleting"];
const BUSINESS_STATUSES: [&str; 2] = ["Normal", "FinancialLocked"];

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
            if !GATEWAY_STATUSES.contains(&gateway.status.as_str()) {
                return Err(WorldError::BadValue {
                    id: id.clone(),
                    field: "status",
                    value: gateway.status.clone(),
                    expected: "init, provisioning, active, updating, deleting",
                });
            }
            if !BUSINESS_STATUSES.contains(&gateway.business_status.as_str()) {
                return Err(WorldError::BadValue {
                    id: id.clone(),
                    field: "business_status",
                    value: gateway.business_status.clone(),
                    expected: "Normal, FinancialLocked",
                });
            }
            if !["enable", "disable"].contains(&gateway.ssl_vpn.as_str()) {
                return Err(WorldError::BadValue {
                    id: id.clone(),
                    field: "ssl_vpn",
                    value: gateway.ssl_vpn.clone(),
                    expected: "enable, disable",
                });
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
            if let Some(first) = on_gateway.insert(&server.vpn_gateway, id) {
                return Err(WorldError::SharedGateway {
                    place: place.to_owned(),
                    gateway: server.vpn_gateway.clone(),
                    first: first.to_owned(),
                    second: id.clone(),
                });
            }
            if let Err((field, value, why)) = check_server(server) {
                return Err(WorldError::BadSetting {
                    id: id.clone(),
                    field,
                    value,
                    why,
                });
            }
        }
        check_family(self, place)
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
}
