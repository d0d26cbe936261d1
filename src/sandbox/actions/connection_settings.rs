//! The configuration parameters CreateVpnConnection and ModifyVpnConnectionAttribute
//! share, decoded and checked as the cloud checks them: `LocalSubnet` and `RemoteSubnet`
//! as comma-separated CIDR blocks (`IllegalParam.LocalSubnet`, `IllegalParam.RemoteSubnet`
//! when malformed), `Name` (`InvalidName`), the JSON objects `IkeConfig` (its `Psk`
//! included), `IpsecConfig`, `BgpConfig` and `HealthCheckConfig`, and a dual-tunnel
//! connection's `TunnelOptionsSpecification.N.*` (numbered from 1 without a gap; per
//! tunnel `CustomerGatewayId`, `Role`, `TunnelId`, `EnableDpd`, `EnableNatTraversal`,
//! `TunnelIkeConfig.*` with its `Psk`, `TunnelIpsecConfig.*`, `TunnelBgpConfig.*`).
//! Anything else wrong is `InvalidParameter`; a PSK is never echoed.
//!
//! A modify gives some fields; the rest keep their values (keys of the JSON objects
//! included). So [`ConnectionSettings`] holds what was given, and
//! [`ConnectionSettings::apply`] writes it over a connection.
//!
//! The single-tunnel parameters (`IkeConfig`, `IpsecConfig`, `BgpConfig`,
//! `HealthCheckConfig`, `EnableDpd`, `EnableNatTraversal`) on a dual-tunnel connection,
//! or tunnel options on a single-tunnel one, are refused (`InvalidParameter`) rather
//! than dropped: a PSK sent where the connection does not read it must not vanish
//! silently.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde_json::{Map, Value};

use super::name_param;
use super::settings::{apply_ike, apply_ipsec, cidr_list, json_object, psk, unknown_key};
use crate::sandbox::attributes::cidr;
use crate::sandbox::connections::{
    BgpConfig, HealthCheck, MAX_ASN, ROLES, Tunnel, VpnConnection, tunnel_id,
};
use crate::sandbox::wire::{ApiError, Request};
use crate::secret::Secret;

const TUNNELS: &str = "TunnelOptionsSpecification";

/// The fields one request gives (absent: unchanged, or the default).
#[derive(Debug, Default)]
pub(super) struct ConnectionSettings {
    name: Option<String>,
    local_subnet: Option<String>,
    remote_subnet: Option<String>,
    effect_immediately: Option<bool>,
    auto_config_route: Option<bool>,
    enable_dpd: Option<bool>,
    enable_nat_traversal: Option<bool>,
    enable_tunnels_bgp: Option<bool>,
    /// `IkeConfig` without its `Psk`, which is `psk`.
    ike: Option<Map<String, Value>>,
    psk: Option<Secret>,
    ipsec: Option<Map<String, Value>>,
    bgp: Option<Map<String, Value>>,
    health_check: Option<Map<String, Value>>,
    pub(super) tunnels: Vec<TunnelSettings>,
}

/// One `TunnelOptionsSpecification.N`.
#[derive(Debug, Default)]
pub(super) struct TunnelSettings {
    /// `N`.
    number: usize,
    tunnel_id: Option<String>,
    pub(super) customer_gateway: Option<String>,
    role: Option<String>,
    enable_dpd: Option<bool>,
    enable_nat_traversal: Option<bool>,
    psk: Option<Secret>,
    ike: Map<String, Value>,
    ipsec: Map<String, Value>,
    bgp: Map<String, Value>,
}

impl ConnectionSettings {
    /// Decodes and checks every given field.
    pub(super) fn parse(req: &Request) -> Result<ConnectionSettings, ApiError> {
        let mut ike = json_object(req, "IkeConfig")?;
        let psk = match ike.as_mut().and_then(|given| given.remove("Psk")) {
            None => None,
            Some(Value::String(key)) => Some(psk("IkeConfig", &key)?),
            Some(_) => {
                return Err(ApiError::invalid(
                    "IkeConfig",
                    "Psk must be a string of 1 to 100 visible ASCII characters.",
                ));
            }
        };
        let subnets = |param| {
            req.get(param)
                .map(|list| cidr_list(param, list))
                .transpose()
        };
        let settings = ConnectionSettings {
            name: name_param(req, "Name")?.map(str::to_owned),
            local_subnet: subnets("LocalSubnet")?,
            remote_subnet: subnets("RemoteSubnet")?,
            effect_immediately: optional_bool(req, "EffectImmediately")?,
            auto_config_route: optional_bool(req, "AutoConfigRoute")?,
            enable_dpd: optional_bool(req, "EnableDpd")?,
            enable_nat_traversal: optional_bool(req, "EnableNatTraversal")?,
            enable_tunnels_bgp: optional_bool(req, "EnableTunnelsBgp")?,
            ike,
            psk,
            ipsec: json_object(req, "IpsecConfig")?,
            bgp: json_object(req, "BgpConfig")?,
            health_check: json_object(req, "HealthCheckConfig")?,
            tunnels: tunnel_settings(req)?,
        };
        // Every key and value of the JSON objects is checked now, on defaults, so that a
        // bad one is refused before anything else is looked at.
        settings.apply_single(&mut VpnConnection::new("", Some("")))?;
        for tunnel in &settings.tunnels {
            tunnel.apply(&mut Tunnel::new("", ROLES[0]))?;
        }
        Ok(settings)
    }

    /// Whether the request gives tunnel options (a dual-tunnel connection).
    pub(super) fn is_dual_tunnel(&self) -> bool {
        !self.tunnels.is_empty()
    }

    /// Refuses the parameters that do not fit the connection's shape: the single-tunnel
    /// ones on a dual-tunnel connection, tunnel options on a single-tunnel one.
    pub(super) fn check_shape(&self, dual_tunnel: bool) -> Result<(), ApiError> {
        let single_only = [
            (self.ike.is_some() || self.psk.is_some(), "IkeConfig"),
            (self.ipsec.is_some(), "IpsecConfig"),
            (self.bgp.is_some(), "BgpConfig"),
            (self.health_check.is_some(), "HealthCheckConfig"),
            (self.enable_dpd.is_some(), "EnableDpd"),
            (self.enable_nat_traversal.is_some(), "EnableNatTraversal"),
        ];
        if dual_tunnel {
            if let Some((_, param)) = single_only.iter().find(|(given, _)| *given) {
                return Err(ApiError::invalid(
                    param,
                    &format!(
                        "it is a single-tunnel connection's; give a dual-tunnel connection's per tunnel in {TUNNELS}.N."
                    ),
                ));
            }
        } else if self.is_dual_tunnel() || self.enable_tunnels_bgp.is_some() {
            let param = if self.is_dual_tunnel() {
                TUNNELS
            } else {
                "EnableTunnelsBgp"
            };
            return Err(ApiError::invalid(
                param,
                "it is a dual-tunnel connection's; a single-tunnel connection takes IkeConfig, IpsecConfig, BgpConfig, HealthCheckConfig, EnableDpd and EnableNatTraversal.",
            ));
        }
        Ok(())
    }

    /// A dual-tunnel create's two tunnels: each with its customer gateway, one
    /// `master` and one `slave`.
    pub(super) fn new_tunnels(&self) -> Result<Vec<Tunnel>, ApiError> {
        if self.tunnels.len() != 2 {
            return Err(ApiError::invalid(
                TUNNELS,
                &format!(
                    "a dual-tunnel connection has exactly two tunnels ({TUNNELS}.1 and {TUNNELS}.2), not {}.",
                    self.tunnels.len()
                ),
            ));
        }
        let mut tunnels = Vec::new();
        for given in &self.tunnels {
            let number = given.number;
            let customer_gateway = given.customer_gateway.as_deref().ok_or_else(|| {
                ApiError::missing(&format!("{TUNNELS}.{number}.CustomerGatewayId"))
            })?;
            let role = given
                .role
                .as_deref()
                .ok_or_else(|| ApiError::missing(&format!("{TUNNELS}.{number}.Role")))?;
            let mut tunnel = Tunnel::new(customer_gateway, role);
            given.apply(&mut tunnel)?;
            tunnels.push(tunnel);
        }
        check_roles(&tunnels)?;
        Ok(tunnels)
    }

    /// Writes the given fields over `connection` (`connection_id` names its tunnels):
    /// a dual-tunnel connection's tunnel options go to the tunnel with the given
    /// `TunnelId`, else the given `Role`, else the tunnel in that place.
    pub(super) fn apply(
        &self,
        connection: &mut VpnConnection,
        connection_id: &str,
    ) -> Result<(), ApiError> {
        if !connection.is_dual_tunnel() {
            return self.apply_single(connection);
        }
        self.apply_common(connection);
        for given in &self.tunnels {
            let param = format!("{TUNNELS}.{}", given.number);
            let by_id = given.tunnel_id.as_deref().map(|wanted| {
                (1..=connection.tunnels.len())
                    .find(|i| tunnel_id(connection_id, *i) == wanted)
                    .map(|i| i - 1)
                    .ok_or_else(|| {
                        ApiError::invalid(
                            &format!("{param}.TunnelId"),
                            &format!("the connection {connection_id} has no tunnel {wanted}."),
                        )
                    })
            });
            let index = match by_id {
                Some(found) => found?,
                None => given
                    .role
                    .as_deref()
                    .and_then(|role| connection.tunnels.iter().position(|t| t.role == role))
                    .unwrap_or(given.number - 1),
            };
            let tunnel = connection.tunnels.get_mut(index).ok_or_else(|| {
                ApiError::invalid(&param, "the connection has two tunnels, numbered 1 and 2.")
            })?;
            given.apply(tunnel)?;
        }
        check_roles(&connection.tunnels)
    }

    fn apply_common(&self, c: &mut VpnConnection) {
        if let Some(name) = &self.name {
            c.name = Some(name.clone());
        }
        if let Some(list) = &self.local_subnet {
            c.local_subnet = list.clone();
        }
        if let Some(list) = &self.remote_subnet {
            c.remote_subnet = list.clone();
        }
        if let Some(effect) = self.effect_immediately {
            c.effect_immediately = effect;
        }
        if let Some(auto) = self.auto_config_route {
            c.auto_config_route = auto;
        }
        if let Some(bgp) = self.enable_tunnels_bgp {
            c.enable_tunnels_bgp = bgp;
        }
    }

    fn apply_single(&self, c: &mut VpnConnection) -> Result<(), ApiError> {
        self.apply_common(c);
        if let Some(dpd) = self.enable_dpd {
            c.enable_dpd = dpd;
        }
        if let Some(nat) = self.enable_nat_traversal {
            c.enable_nat_traversal = nat;
        }
        if let Some(key) = &self.psk {
            c.psk = Some(key.clone());
        }
        if let Some(ike) = &self.ike {
            apply_ike("IkeConfig", &mut c.ike_config, ike)?;
        }
        if let Some(ipsec) = &self.ipsec {
            apply_ipsec("IpsecConfig", &mut c.ipsec_config, ipsec)?;
        }
        if let Some(bgp) = &self.bgp {
            apply_bgp(
                "BgpConfig",
                c.bgp.get_or_insert_with(BgpConfig::default),
                bgp,
            )?;
        }
        if let Some(check) = &self.health_check {
            apply_health_check(
                c.health_check.get_or_insert_with(HealthCheck::default),
                check,
            )?;
        }
        Ok(())
    }
}

impl TunnelSettings {
    fn apply(&self, t: &mut Tunnel) -> Result<(), ApiError> {
        let param = format!("{TUNNELS}.{}", self.number);
        if let Some(customer_gateway) = &self.customer_gateway {
            t.customer_gateway = customer_gateway.clone();
        }
        if let Some(role) = &self.role {
            t.role = role.clone();
        }
        if let Some(dpd) = self.enable_dpd {
            t.enable_dpd = dpd;
        }
        if let Some(nat) = self.enable_nat_traversal {
            t.enable_nat_traversal = nat;
        }
        if let Some(key) = &self.psk {
            t.psk = Some(key.clone());
        }
        apply_ike(
            &format!("{param}.TunnelIkeConfig"),
            &mut t.ike_config,
            &self.ike,
        )?;
        apply_ipsec(
            &format!("{param}.TunnelIpsecConfig"),
            &mut t.ipsec_config,
            &self.ipsec,
        )?;
        if !self.bgp.is_empty() {
            // Tunnel BGP is switched on for the connection (`EnableTunnelsBgp`).
            let config = t.bgp.get_or_insert_with(|| BgpConfig {
                enable: true,
                ..BgpConfig::default()
            });
            apply_bgp(&format!("{param}.TunnelBgpConfig"), config, &self.bgp)?;
        }
        Ok(())
    }
}

/// One master and one slave.
fn check_roles(tunnels: &[Tunnel]) -> Result<(), ApiError> {
    let mut roles: Vec<&str> = tunnels.iter().map(|t| t.role.as_str()).collect();
    roles.sort_unstable();
    if roles == ROLES {
        Ok(())
    } else {
        Err(ApiError::invalid(
            &format!("{TUNNELS}.N.Role"),
            "a dual-tunnel connection has one tunnel with Role master and one with Role slave.",
        ))
    }
}

/// `true`/`false` (any case), or absent.
fn optional_bool(req: &Request, name: &str) -> Result<Option<bool>, ApiError> {
    match req.get(name) {
        None => Ok(None),
        Some(_) => req.bool(name).map(Some),
    }
}

/// Every `TunnelOptionsSpecification.N.*` parameter, by `N` (from 1, without a gap).
fn tunnel_settings(req: &Request) -> Result<Vec<TunnelSettings>, ApiError> {
    let prefix = format!("{TUNNELS}.");
    let mut by_number: BTreeMap<usize, TunnelSettings> = BTreeMap::new();
    for (key, value) in &req.params {
        let Some(rest) = key.strip_prefix(&prefix) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let usage = || ApiError::invalid(key, &format!("write {TUNNELS}.N.Field, N from 1."));
        let (number, field) = rest.split_once('.').ok_or_else(usage)?;
        let number: usize = number
            .parse()
            .ok()
            .filter(|n| *n >= 1 && number.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(usage)?;
        let tunnel = by_number.entry(number).or_insert_with(|| TunnelSettings {
            number,
            ..TunnelSettings::default()
        });
        let flag = |v: &str| {
            if v.eq_ignore_ascii_case("true") {
                Ok(true)
            } else if v.eq_ignore_ascii_case("false") {
                Ok(false)
            } else {
                Err(ApiError::invalid(key, "expected true or false."))
            }
        };
        match field {
            "CustomerGatewayId" => tunnel.customer_gateway = Some(value.clone()),
            "TunnelId" => tunnel.tunnel_id = Some(value.clone()),
            "Role" if ROLES.contains(&value.as_str()) => tunnel.role = Some(value.clone()),
            "Role" => {
                return Err(ApiError::invalid(
                    key,
                    "a tunnel's Role is master or slave.",
                ));
            }
            "EnableDpd" => tunnel.enable_dpd = Some(flag(value)?),
            "EnableNatTraversal" => tunnel.enable_nat_traversal = Some(flag(value)?),
            // For a ShangMi (SM) gateway's certificates, which the sandbox does not model.
            "RemoteCaCertificate" => {}
            "TunnelIkeConfig.Psk" => tunnel.psk = Some(psk(key, value)?),
            _ => {
                let (object, inner) = field.split_once('.').ok_or_else(|| unknown(key))?;
                let target = match object {
                    "TunnelIkeConfig" => &mut tunnel.ike,
                    "TunnelIpsecConfig" => &mut tunnel.ipsec,
                    "TunnelBgpConfig" => &mut tunnel.bgp,
                    _ => return Err(unknown(key)),
                };
                target.insert(inner.to_owned(), scalar(inner, value));
            }
        }
    }
    if let Some((missing, _)) = (1..).zip(by_number.keys()).find(|(i, n)| i != *n) {
        return Err(ApiError::invalid(
            TUNNELS,
            &format!(
                "the tunnels are numbered {TUNNELS}.1, {TUNNELS}.2 without a gap, and {TUNNELS}.{missing} is missing."
            ),
        ));
    }
    Ok(by_number.into_values().collect())
}

fn unknown(key: &str) -> ApiError {
    ApiError::invalid(
        key,
        "a tunnel takes CustomerGatewayId, Role, TunnelId, EnableDpd, EnableNatTraversal, TunnelIkeConfig.*, TunnelIpsecConfig.* and TunnelBgpConfig.*.",
    )
}

/// A flattened value as the JSON it stands for: the numeric keys as numbers.
fn scalar(key: &str, value: &str) -> Value {
    match value.parse::<u64>() {
        Ok(n) if matches!(key, "IkeLifetime" | "IpsecLifetime" | "LocalAsn") => n.into(),
        _ => value.into(),
    }
}

/// `true`/`false` as a JSON boolean or string (the documents send `"true"`).
fn flag(param: &str, key: &str, value: &Value) -> Result<bool, ApiError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ApiError::invalid(
            param,
            &format!("{key} is true or false."),
        )),
    }
}

/// A whole number in `min..=max`, as a JSON number or string.
fn number(param: &str, key: &str, value: &Value, min: u64, max: u64) -> Result<u64, ApiError> {
    let n = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    n.filter(|n| (min..=max).contains(n)).ok_or_else(|| {
        ApiError::invalid(
            param,
            &format!("{key} is a whole number from {min} to {max}."),
        )
    })
}

fn string(param: &str, key: &str, value: &Value) -> Result<String, ApiError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ApiError::invalid(param, &format!("{key} is a string.")))
}

/// An IPv4 address, or empty.
fn address(param: &str, key: &str, value: &Value) -> Result<String, ApiError> {
    let text = string(param, key, value)?;
    if text.is_empty() || text.parse::<Ipv4Addr>().is_ok() {
        Ok(text)
    } else {
        Err(ApiError::invalid(
            param,
            &format!("{key} is an IPv4 address such as 169.254.11.1."),
        ))
    }
}

/// `BgpConfig` or `TunnelBgpConfig`: `EnableBgp`, `LocalAsn` (a number, or `HIGH.LOW`),
/// `TunnelCidr` (a /30 inside 169.254.0.0/16) and `LocalBgpIp` (an address in it).
fn apply_bgp(
    param: &str,
    config: &mut BgpConfig,
    given: &Map<String, Value>,
) -> Result<(), ApiError> {
    for (key, value) in given {
        match key.as_str() {
            "EnableBgp" => config.enable = flag(param, key, value)?,
            "LocalAsn" => {
                config.local_asn = match value.as_str().and_then(|s| s.split_once('.')) {
                    Some((high, low)) => {
                        let half = |v: &str| number(param, key, &Value::from(v), 0, 65535);
                        half(high)? * 65536 + half(low)?
                    }
                    None => number(param, key, value, 1, MAX_ASN)?,
                }
            }
            "TunnelCidr" => config.tunnel_cidr = string(param, key, value)?,
            "LocalBgpIp" => config.local_bgp_ip = address(param, key, value)?,
            _ => {
                return Err(unknown_key(
                    param,
                    key,
                    "EnableBgp, LocalAsn, TunnelCidr, LocalBgpIp",
                ));
            }
        }
    }
    if config.tunnel_cidr.is_empty() {
        return Ok(());
    }
    let link_local: ipnet::Ipv4Net = "169.254.0.0/16".parse().expect("a CIDR");
    let tunnel = cidr(&config.tunnel_cidr)
        .ok()
        .filter(|net| net.prefix_len() == 30 && link_local.contains(net))
        .ok_or_else(|| {
            ApiError::invalid(
                param,
                "TunnelCidr is a /30 CIDR block inside 169.254.0.0/16, such as 169.254.11.0/30.",
            )
        })?;
    if let Ok(ip) = config.local_bgp_ip.parse::<Ipv4Addr>()
        && !tunnel.hosts().any(|host| host == ip)
    {
        return Err(ApiError::invalid(
            param,
            &format!("LocalBgpIp is an address inside TunnelCidr {tunnel}."),
        ));
    }
    Ok(())
}

/// `HealthCheckConfig`: `enable`, `dip`, `sip`, `interval`, `retry` (lower case, as the
/// documents spell them; any case is taken) and `policy`.
fn apply_health_check(
    config: &mut HealthCheck,
    given: &Map<String, Value>,
) -> Result<(), ApiError> {
    const P: &str = "HealthCheckConfig";
    for (key, value) in given {
        match key.to_ascii_lowercase().as_str() {
            "enable" => config.enable = flag(P, key, value)?,
            "dip" => config.dip = address(P, key, value)?,
            "sip" => config.sip = address(P, key, value)?,
            "interval" => config.interval = number(P, key, value, 1, 3600)? as u32,
            "retry" => config.retry = number(P, key, value, 1, 100)? as u32,
            "policy" => config.policy = string(P, key, value)?,
            _ => {
                return Err(unknown_key(
                    P,
                    key,
                    "enable, dip, sip, interval, retry, policy",
                ));
            }
        }
    }
    Ok(())
}
