//! The configuration parameters CreateIpsecServer and UpdateIpsecServer share, decoded
//! and checked as the cloud checks them: CIDR syntax (`LocalSubnet` comma-separated,
//! `IllegalParam.LocalSubnet` when malformed; `ClientIpPool` one block), lengths (name
//! and PSK 1-100 characters), `IkeConfig` and `IpsecConfig` as JSON objects whose
//! algorithms are enumerated and whose lifetimes are 0-86400, and then the checks
//! against the gateway (`ClientIpPool` outside the VPC CIDR and clear of every
//! `LocalSubnet`).
//!
//! An update gives some fields; the rest keep their values. So [`Settings`] holds what
//! was given and [`Settings::apply`] writes it over a server.

use serde_json::{Map, Value};

use crate::ipsec::{self, AuthAlg, EncAlg, IkeMode, IkePfs, IkeVersion, IpsecPfs, Lifetime};
use crate::sandbox::attributes::vocabulary::MAX_TEXT;
use crate::sandbox::attributes::{IkeConfig, IpsecConfig, cidr};
use crate::sandbox::wire::{ApiError, Request};
use crate::sandbox::world::{Gateway, IpsecServer, ROUTE_QUOTA};
use crate::secret::Secret;

/// Lifetimes are seconds in `0..=MAX_LIFETIME`.
const MAX_LIFETIME: u32 = Lifetime::MAX;

/// The configuration fields one request gives (absent: unchanged, or the default).
#[derive(Debug, Default)]
pub(super) struct Settings {
    pub(crate) name: Option<String>,
    pub(crate) local_subnet: Option<String>,
    pub(crate) client_ip_pool: Option<String>,
    pub(crate) psk: Option<Secret>,
    pub(crate) effect_immediately: Option<bool>,
    ike_config: Option<Map<String, Value>>,
    ipsec_config: Option<Map<String, Value>>,
}

impl Settings {
    /// Decodes and checks the fields; `name_param` is `IpSecServerName` on a create and
    /// `IpsecServerName` on an update (the API spells them differently).
    pub(crate) fn parse(req: &Request, name_param: &str) -> Result<Settings, ApiError> {
        let name = match req.get(name_param) {
            Some(n) if n.chars().count() > MAX_TEXT => {
                return Err(ApiError::invalid(
                    name_param,
                    &format!("the name is 1 to {MAX_TEXT} characters."),
                ));
            }
            other => other.map(str::to_owned),
        };
        let local_subnet = match req.get("LocalSubnet") {
            None => None,
            Some(list) => Some(cidr_list("LocalSubnet", list)?),
        };
        let client_ip_pool = match req.get("ClientIpPool") {
            None => None,
            Some(pool) => Some(
                cidr(pool)
                    .map_err(|why| ApiError::invalid("ClientIpPool", &format!("{why}.")))?
                    .to_string(),
            ),
        };
        match req.get("PskEnabled") {
            None => {}
            Some(v) if v.eq_ignore_ascii_case("true") => {}
            Some(_) => {
                return Err(ApiError::invalid(
                    "PskEnabled",
                    "only true is supported (pre-shared key authentication).",
                ));
            }
        }
        let psk = match req.get("Psk") {
            None => None,
            Some(p) => Some(psk("Psk", p)?),
        };
        let effect_immediately = match req.get("EffectImmediately") {
            None => None,
            Some(_) => Some(req.bool("EffectImmediately")?),
        };
        let ike_config = json_object(req, "IkeConfig")?;
        let ipsec_config = json_object(req, "IpsecConfig")?;
        let settings = Settings {
            name,
            local_subnet,
            client_ip_pool,
            psk,
            effect_immediately,
            ike_config,
            ipsec_config,
        };
        // Every key and value of the two JSON objects is checked now, on defaults, so
        // that a bad one is refused before anything else is looked at.
        settings.apply(&mut IpsecServer::new(""))?;
        Ok(settings)
    }

    /// Writes the given fields over `server`.
    pub(crate) fn apply(&self, server: &mut IpsecServer) -> Result<(), ApiError> {
        if let Some(name) = &self.name {
            server.name = Some(name.clone());
        }
        if let Some(subnet) = &self.local_subnet {
            server.local_subnet = Some(subnet.clone());
        }
        if let Some(pool) = &self.client_ip_pool {
            server.client_ip_pool = Some(pool.clone());
        }
        if let Some(psk) = &self.psk {
            server.psk = Some(psk.clone());
        }
        if let Some(effect) = self.effect_immediately {
            server.effect_immediately = effect;
        }
        if let Some(ike) = &self.ike_config {
            apply_ike("IkeConfig", &mut server.ike_config, ike)?;
        }
        if let Some(ipsec) = &self.ipsec_config {
            apply_ipsec("IpsecConfig", &mut server.ipsec_config, ipsec)?;
        }
        Ok(())
    }
}

/// A pre-shared key: 1 to 100 visible ASCII characters, without spaces. Never echoed:
/// the message says what is wrong, not what was sent.
pub(super) fn psk(param: &str, value: &str) -> Result<Secret, ApiError> {
    if value.is_empty() || value.len() > MAX_TEXT || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid(
            param,
            &format!(
                "the pre-shared key is 1 to {MAX_TEXT} visible ASCII characters, without spaces."
            ),
        ));
    }
    Ok(Secret::new(value))
}

/// `LocalSubnet` or `RemoteSubnet`: comma-separated CIDR blocks, answered back joined by
/// commas. A block that is not an IPv4 CIDR (host bits set, an empty one after a
/// trailing comma, IPv6) is 400 `IllegalParam.{param}` (API.md), not
/// `InvalidParameter`.
pub(super) fn cidr_list(param: &str, list: &str) -> Result<String, ApiError> {
    let mut blocks = Vec::new();
    for part in list.split(',') {
        let net = cidr(part).map_err(|why| {
            ApiError::new(
                400,
                &format!("IllegalParam.{param}"),
                format!("The specified {param} is illegal: {why}."),
            )
        })?;
        blocks.push(net.to_string());
    }
    Ok(blocks.join(","))
}

/// A parameter whose value is a JSON object (`IkeConfig`, `BgpConfig`, ...).
pub(super) fn json_object(
    req: &Request,
    name: &str,
) -> Result<Option<Map<String, Value>>, ApiError> {
    let Some(text) = req.get(name) else {
        return Ok(None);
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(ApiError::invalid(
            name,
            "it must be a JSON object, e.g. {\"IkeVersion\":\"ikev2\"}.",
        )),
        Err(e) => Err(ApiError::invalid(name, &format!("it is not JSON: {e}."))),
    }
}

/// Writes the keys of an `IkeConfig` object (`param` names it in errors) over `config`.
pub(super) fn apply_ike(
    param: &str,
    config: &mut IkeConfig,
    given: &Map<String, Value>,
) -> Result<(), ApiError> {
    let p = param;
    for (key, value) in given {
        match key.as_str() {
            "IkeVersion" => config.ike_version = one_of(p, key, value, IkeVersion::ALL)?,
            "IkeMode" => config.ike_mode = one_of(p, key, value, IkeMode::ALL)?,
            "IkeEncAlg" => config.ike_enc_alg = one_of(p, key, value, EncAlg::ALL)?,
            "IkeAuthAlg" => config.ike_auth_alg = one_of(p, key, value, AuthAlg::ALL)?,
            "IkePfs" => config.ike_pfs = one_of(p, key, value, IkePfs::ALL)?,
            "IkeLifetime" => config.ike_lifetime = lifetime(p, key, value)?,
            "LocalId" => config.local_id = text(p, key, value)?,
            "RemoteId" => config.remote_id = text(p, key, value)?,
            _ => {
                return Err(unknown_key(
                    p,
                    key,
                    "IkeVersion, IkeMode, IkeEncAlg, IkeAuthAlg, IkePfs, IkeLifetime, LocalId, RemoteId",
                ));
            }
        }
    }
    Ok(())
}

/// Writes the keys of an `IpsecConfig` object (`param` names it in errors) over
/// `config`.
pub(super) fn apply_ipsec(
    param: &str,
    config: &mut IpsecConfig,
    given: &Map<String, Value>,
) -> Result<(), ApiError> {
    let p = param;
    for (key, value) in given {
        match key.as_str() {
            "IpsecEncAlg" => config.ipsec_enc_alg = one_of(p, key, value, EncAlg::ALL)?,
            "IpsecAuthAlg" => config.ipsec_auth_alg = one_of(p, key, value, AuthAlg::ALL)?,
            "IpsecPfs" => config.ipsec_pfs = one_of(p, key, value, IpsecPfs::ALL)?,
            "IpsecLifetime" => config.ipsec_lifetime = lifetime(p, key, value)?,
            _ => {
                return Err(unknown_key(
                    p,
                    key,
                    "IpsecEncAlg, IpsecAuthAlg, IpsecPfs, IpsecLifetime",
                ));
            }
        }
    }
    Ok(())
}

pub(super) fn unknown_key(param: &str, key: &str, known: &str) -> ApiError {
    ApiError::invalid(param, &format!("unknown key `{key}` (known: {known})."))
}

fn one_of(param: &str, key: &str, value: &Value, allowed: &[&str]) -> Result<String, ApiError> {
    match value.as_str() {
        Some(v) if allowed.contains(&v) => Ok(v.to_owned()),
        _ => Err(ApiError::invalid(
            param,
            &format!("{key} {value} is not one of {}.", allowed.join(", ")),
        )),
    }
}

fn lifetime(param: &str, key: &str, value: &Value) -> Result<u32, ApiError> {
    match value.as_u64() {
        Some(n) if n <= u64::from(MAX_LIFETIME) => Ok(n as u32),
        _ => Err(ApiError::invalid(
            param,
            &format!("{key} {value} is not an integer from 0 to {MAX_LIFETIME} (seconds)."),
        )),
    }
}

fn text(param: &str, key: &str, value: &Value) -> Result<String, ApiError> {
    match value.as_str() {
        Some(v) if v.chars().count() <= MAX_TEXT => Ok(v.to_owned()),
        _ => Err(ApiError::invalid(
            param,
            &format!("{key} must be a string of at most {MAX_TEXT} characters."),
        )),
    }
}

/// The checks that need the gateway: `ClientIpPool` outside the VPC CIDR, and clear of
/// every `LocalSubnet` block. `server` is the server as it would be after the call.
pub(super) fn check_against_gateway(
    server: &IpsecServer,
    gateway: &Gateway,
) -> Result<(), ApiError> {
    check_client_pool(
        server.client_ip_pool.as_deref(),
        server.local_subnet.as_deref().unwrap_or(""),
        gateway,
    )
}

/// A client pool of an IPsec or SSL-VPN server against its gateway: outside the VPC
/// CIDR (`InvalidClientIpPool.ConflictWithVpc`), and clear of every block of the
/// comma-separated `local_subnet` (`InvalidClientIpPool.ConflictWithLocalSubnet`).
pub(super) fn check_client_pool(
    pool: Option<&str>,
    local_subnet: &str,
    gateway: &Gateway,
) -> Result<(), ApiError> {
    let Some(pool) = pool else {
        return Ok(());
    };
    let Ok(pool_net) = cidr(pool) else {
        return Ok(());
    };
    if let Ok(vpc) = cidr(&gateway.vpc_cidr)
        && ipsec::overlap(&pool_net, &vpc)
    {
        return Err(ApiError::new(
            400,
            "InvalidClientIpPool.ConflictWithVpc",
            format!(
                "The specified ClientIpPool {pool} overlaps the VPC CIDR block {} of the VPN gateway: choose a client CIDR block outside the VPC.",
                gateway.vpc_cidr
            ),
        ));
    }
    for block in local_subnet.split(',') {
        if let Ok(net) = cidr(block)
            && ipsec::overlap(&pool_net, &net)
        {
            return Err(ApiError::new(
                400,
                "InvalidClientIpPool.ConflictWithLocalSubnet",
                format!(
                    "The specified ClientIpPool {pool} overlaps the LocalSubnet block {net}: the client and local CIDR blocks must not overlap."
                ),
            ));
        }
    }
    Ok(())
}

/// A server's client pool becomes a route in its gateway's VPC route table (API.md): 400
/// `QuotaExceeded.VpnRouteEntry` when the table holds [`ROUTE_QUOTA`] already.
pub(super) fn route_table_has_room(gateway_id: &str, gateway: &Gateway) -> Result<(), ApiError> {
    if gateway.route_entries >= ROUTE_QUOTA {
        return Err(ApiError::new(
            400,
            "QuotaExceeded.VpnRouteEntry",
            format!(
                "The route table of the VPC of the VPN gateway {gateway_id} holds {} route entries, its quota of {ROUTE_QUOTA}: the client CIDR block needs one more.",
                gateway.route_entries
            ),
        ));
    }
    Ok(())
}
