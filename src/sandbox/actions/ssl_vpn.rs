//! What the SSL-VPN actions share: a server or a client certificate found by id, the
//! server parameters CreateSslVpnServer and ModifySslVpnServer share (decoded and
//! checked as the cloud checks them), what the Describe calls show (the list lag
//! included), and a server or certificate as the response models answer it
//! (`alibabacloud_vpc20160428` 7.2.2: `DescribeSslVpnServersResponseBody...SslVpnServer`,
//! `ModifySslVpnServerResponseBody`, `DescribeSslVpnClientCertsResponseBody...
//! SslVpnClientCertKey`, `DescribeSslVpnClientCertResponseBody`).
//!
//! The server models' two-factor authentication fields (`IDaaS*`) and `DnsServers` are
//! left out: the sandbox has no IDaaS instance, and refuses `EnableMultiFactorAuth=true`.

use serde_json::{Value, json};

use super::settings::cidr_list;
use super::{name_param, shown};
use crate::sandbox::connections::DEFAULT_CREATE_TIME;
use crate::sandbox::inner::Inner;
use crate::sandbox::ssl_vpn::{
    CERT_VALIDITY_MILLIS, CIPHERS, MAX_LOCAL_SUBNETS, PROTOS, SslVpnClientCert, SslVpnServer,
    check_client_ip_pool, check_port,
};
use crate::sandbox::wire::{ApiError, Request};
use crate::sandbox::world::{Gateway, World};

/// A server by id whose gateway is in the region (404 `InvalidSslVpnServerId.NotFound`),
/// with its gateway.
pub(super) fn find_server<'w>(
    world: &'w World,
    id: &str,
    region: &str,
) -> Result<(&'w SslVpnServer, &'w Gateway), ApiError> {
    world
        .ssl_vpn_servers
        .get(id)
        .and_then(|s| Some((s, world.vpn_gateways.get(&s.vpn_gateway)?)))
        .filter(|(_, g)| g.region == region)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "InvalidSslVpnServerId.NotFound",
                format!("The specified SSL-VPN server {id} does not exist."),
            )
        })
}

/// A certificate by id whose server's gateway is in the region (404
/// `InvalidSslVpnClientCertId.NotFound`), with its server's gateway id and gateway.
pub(super) fn find_cert<'w>(
    world: &'w World,
    id: &str,
    region: &str,
) -> Result<(&'w SslVpnClientCert, &'w str, &'w Gateway), ApiError> {
    world
        .ssl_vpn_client_certs
        .get(id)
        .and_then(|c| {
            let server = world.ssl_vpn_servers.get(&c.ssl_vpn_server)?;
            let gateway = world.vpn_gateways.get(&server.vpn_gateway)?;
            Some((c, server.vpn_gateway.as_str(), gateway))
        })
        .filter(|(_, _, g)| g.region == region)
        .ok_or_else(|| cert_not_found(id))
}

/// What a call on server `id` names for the policy: the server, and its gateway if the
/// server exists.
pub(super) fn server_names<'w>(world: &'w World, id: &'w str) -> Vec<&'w str> {
    let gateway = world
        .ssl_vpn_servers
        .get(id)
        .map(|s| s.vpn_gateway.as_str());
    std::iter::once(id).chain(gateway).collect()
}

/// What a call on certificate `id` names for the policy: the certificate, and its
/// server and gateway if it exists.
pub(super) fn cert_names<'w>(world: &'w World, id: &'w str) -> Vec<&'w str> {
    let mut names = vec![id];
    if let Some(cert) = world.ssl_vpn_client_certs.get(id) {
        names.extend(server_names(world, &cert.ssl_vpn_server));
    }
    names
}

pub(super) fn cert_not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        "InvalidSslVpnClientCertId.NotFound",
        format!("The specified SSL-VPN client certificate {id} does not exist."),
    )
}

/// The servers the Describe calls show, with their gateways in the region.
pub(super) fn shown_servers<'i>(
    inner: &'i Inner,
    region: &str,
) -> Vec<(&'i String, &'i SslVpnServer, &'i Gateway)> {
    let world = inner.live.world();
    shown(inner, &world.ssl_vpn_servers)
        .into_iter()
        .filter_map(|(id, s)| {
            let gateway = world.vpn_gateways.get(&s.vpn_gateway)?;
            (gateway.region == region).then_some((id, s, gateway))
        })
        .collect()
}

/// The certificates the Describe calls show, with their servers and gateways in the
/// region (a certificate deleted with its server is shown as long as the server).
pub(super) fn shown_certs<'i>(
    inner: &'i Inner,
    region: &str,
) -> Vec<(
    &'i String,
    &'i SslVpnClientCert,
    &'i SslVpnServer,
    &'i Gateway,
)> {
    let servers = shown_servers(inner, region);
    shown(inner, &inner.live.world().ssl_vpn_client_certs)
        .into_iter()
        .filter_map(|(id, c)| {
            let (_, server, gateway) = servers.iter().find(|(s, ..)| **s == c.ssl_vpn_server)?;
            Some((id, c, *server, *gateway))
        })
        .collect()
}

/// A server as the Describe model answers it (and the modify model, with its
/// `RequestId`).
pub(super) fn server_json(id: &str, s: &SslVpnServer, gateway: &Gateway) -> Value {
    json!({
        "SslVpnServerId": id,
        "VpnGatewayId": s.vpn_gateway,
        "RegionId": gateway.region,
        "Name": s.name.clone().unwrap_or_default(),
        "ClientIpPool": s.client_ip_pool,
        "LocalSubnet": s.local_subnet,
        "Proto": s.proto,
        "Port": s.port,
        "Cipher": s.cipher,
        "Compress": s.compress,
        "Connections": 0,
        "MaxConnections": gateway.ssl_connections,
        "InternetIp": gateway.internet_ip(),
        "CreateTime": s.create_time.unwrap_or(DEFAULT_CREATE_TIME),
        "EnableMultiFactorAuth": false,
        "ResourceGroupId": gateway.resource_group_id,
    })
}

/// A certificate as the list model answers it: no key material.
pub(super) fn cert_json(id: &str, c: &SslVpnClientCert, gateway: &Gateway) -> Value {
    let created = c.create_time.unwrap_or(DEFAULT_CREATE_TIME);
    json!({
        "SslVpnClientCertId": id,
        "SslVpnServerId": c.ssl_vpn_server,
        "Name": c.name.clone().unwrap_or_default(),
        "RegionId": gateway.region,
        "ResourceGroupId": gateway.resource_group_id,
        "Status": c.status,
        "CreateTime": created,
        "EndTime": created + CERT_VALIDITY_MILLIS,
    })
}

/// The server fields one CreateSslVpnServer or ModifySslVpnServer gives (absent:
/// unchanged, or the default).
#[derive(Debug, Default)]
pub(super) struct ServerSettings {
    name: Option<String>,
    client_ip_pool: Option<String>,
    local_subnet: Option<String>,
    proto: Option<String>,
    port: Option<u32>,
    cipher: Option<String>,
    compress: Option<bool>,
}

impl ServerSettings {
    /// Decodes and checks the fields: `Name` (`InvalidName`), `ClientIpPool` (one block,
    /// /16 to /29: `InvalidParameter`), `LocalSubnet` (malformed:
    /// `IllegalParam.LocalSubnet`; more than five blocks: `InvalidParameter`), `Proto`,
    /// `Cipher` (`InvalidParameter`), `Port` (1 to 65535: `InvalidParameter`; a reserved
    /// one: 400 `IllegalParam.Port`, the sandbox's spelling where the API documents the
    /// ports but no code), `Compress`; `EnableMultiFactorAuth=true` is refused
    /// (`InvalidParameter`): the sandbox has no IDaaS.
    pub(super) fn parse(req: &Request) -> Result<ServerSettings, ApiError> {
        let name = name_param(req, "Name")?.map(str::to_owned);
        let client_ip_pool = match req.get("ClientIpPool") {
            None => None,
            Some(pool) => {
                check_client_ip_pool(pool)
                    .map_err(|why| ApiError::invalid("ClientIpPool", &format!("{why}.")))?;
                Some(pool.to_owned())
            }
        };
        let local_subnet = match req.get("LocalSubnet") {
            None => None,
            Some(list) => {
                let blocks = list.split(',').count();
                if blocks > MAX_LOCAL_SUBNETS {
                    return Err(ApiError::invalid(
                        "LocalSubnet",
                        &format!(
                            "it lists {blocks} CIDR blocks, and a server's local subnet lists at most {MAX_LOCAL_SUBNETS}."
                        ),
                    ));
                }
                Some(cidr_list("LocalSubnet", list)?)
            }
        };
        let proto = one_of(req, "Proto", &PROTOS)?;
        let cipher = one_of(req, "Cipher", &CIPHERS)?;
        let port = match req.get("Port") {
            None => None,
            Some(_) => {
                let port = req.int("Port", 1, 65535, 0)? as u32;
                check_port(port).map_err(|why| {
                    ApiError::new(
                        400,
                        "IllegalParam.Port",
                        format!("The specified Port is illegal: {why}."),
                    )
                })?;
                Some(port)
            }
        };
        let compress = match req.get("Compress") {
            None => None,
            Some(_) => Some(req.bool("Compress")?),
        };
        if req.bool("EnableMultiFactorAuth")? {
            return Err(ApiError::invalid(
                "EnableMultiFactorAuth",
                "the sandbox has no IDaaS instance for two-factor authentication.",
            ));
        }
        Ok(ServerSettings {
            name,
            client_ip_pool,
            local_subnet,
            proto,
            port,
            cipher,
            compress,
        })
    }

    /// Writes the given fields over `server`.
    pub(super) fn apply(&self, server: &mut SslVpnServer) {
        if let Some(name) = &self.name {
            server.name = Some(name.clone());
        }
        let texts = [
            (&self.client_ip_pool, &mut server.client_ip_pool),
            (&self.local_subnet, &mut server.local_subnet),
            (&self.proto, &mut server.proto),
            (&self.cipher, &mut server.cipher),
        ];
        for (given, field) in texts {
            if let Some(value) = given {
                *field = value.clone();
            }
        }
        if let Some(port) = self.port {
            server.port = port;
        }
        if let Some(compress) = self.compress {
            server.compress = compress;
        }
    }
}

/// An enumerated parameter, if given: one of `allowed` (`InvalidParameter` otherwise).
fn one_of(req: &Request, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match req.get(name) {
        None => Ok(None),
        Some(value) if allowed.contains(&value) => Ok(Some(value.to_owned())),
        Some(_) => Err(ApiError::invalid(
            name,
            &format!("it is one of {}.", allowed.join(", ")),
        )),
    }
}

/// What a Describe...s call's filter `name` keeps: all when it is not given.
pub(super) fn wanted(req: &Request, name: &str, value: &str) -> bool {
    req.get(name).is_none_or(|w| w == value)
}
