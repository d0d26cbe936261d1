//! The SSL-VPN server's calls: `CreateSslVpnServer` and `ModifySslVpnServer` (both with
//! DryRun), `DeleteSslVpnServer` and `DescribeSslVpnServers`, sent through the generic
//! [`Client`]. Field names are the official SDK's (alibabacloud_vpc20160428 7.2.2).

// ApiError is the contract type every layer matches on (as in `crate::cloud`).
#![allow(clippy::result_large_err)]

use serde::Deserialize;

use super::KIND;
use crate::cloud::client::{DESCRIBE_PAGE, client_token, decode_body};
use crate::cloud::{ApiError, Client};

/// What a create and a modify send besides the server's place: only the fields that
/// are `Some` (a modify changes only those).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerSpec {
    pub name: Option<String>,
    pub client_ip_pool: Option<String>,
    pub local_subnet: Option<Vec<String>>,
    pub proto: Option<String>,
    pub port: Option<u32>,
    pub cipher: Option<String>,
    pub compress: Option<bool>,
}

/// `CreateSslVpnServer`. A dry run sends no token.
#[derive(Debug, Clone, Default)]
pub struct CreateSslVpnServer {
    pub region: String,
    pub vpn_gateway: String,
    pub spec: ServerSpec,
    pub client_token: Option<String>,
    pub dry_run: bool,
}

/// `ModifySslVpnServer`. A dry run sends no token.
#[derive(Debug, Clone, Default)]
pub struct ModifySslVpnServer {
    pub region: String,
    pub id: String,
    pub spec: ServerSpec,
    pub client_token: Option<String>,
    pub dry_run: bool,
}

/// Which servers to list.
#[derive(Debug, Clone, Default)]
pub struct DescribeSslVpnServers {
    pub region: String,
    pub vpn_gateway: Option<String>,
    pub id: Option<String>,
}

/// One server as `DescribeSslVpnServers` answers it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SslVpnServer {
    pub id: String,
    pub region: String,
    pub vpn_gateway: String,
    pub name: String,
    pub client_ip_pool: String,
    /// Comma-separated, as answered.
    pub local_subnet: String,
    pub proto: String,
    pub port: Option<u32>,
    pub cipher: String,
    pub compress: bool,
    pub internet_ip: String,
    pub create_time: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribePage {
    #[serde(default)]
    ssl_vpn_servers: ServerList,
    #[serde(default)]
    total_count: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ServerList {
    #[serde(default)]
    ssl_vpn_server: Vec<RawServer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawServer {
    ssl_vpn_server_id: String,
    #[serde(default)]
    vpn_gateway_id: String,
    #[serde(default)]
    region_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    client_ip_pool: String,
    #[serde(default)]
    local_subnet: String,
    #[serde(default)]
    proto: String,
    #[serde(default)]
    port: Option<u32>,
    #[serde(default)]
    cipher: String,
    #[serde(default)]
    compress: bool,
    #[serde(default)]
    internet_ip: String,
    #[serde(default)]
    create_time: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Created {
    ssl_vpn_server_id: String,
}

impl Client {
    /// `CreateSslVpnServer`; returns the new id. The gateway then configures. A passed
    /// dry run comes back as `Err` with class `DryRunPassed`.
    pub async fn create_ssl_vpn_server(
        &self,
        req: &CreateSslVpnServer,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.create;
        let mut params = vec![
            ("RegionId".to_owned(), req.region.clone()),
            ("VpnGatewayId".to_owned(), req.vpn_gateway.clone()),
            ("DryRun".to_owned(), req.dry_run.to_string()),
        ];
        push_spec(&mut params, &req.spec);
        if !req.dry_run {
            params.push(client_token(ACTION, req.client_token.as_deref())?);
        }
        let answer = self.call(ACTION, &req.region, params).await?;
        let created: Created = decode_body(ACTION, &answer)?;
        Ok(created.ssl_vpn_server_id)
    }

    /// `ModifySslVpnServer` with the fields given; returns the RequestId.
    pub async fn modify_ssl_vpn_server(
        &self,
        req: &ModifySslVpnServer,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.modify[0];
        let mut params = vec![
            ("RegionId".to_owned(), req.region.clone()),
            ("SslVpnServerId".to_owned(), req.id.clone()),
            ("DryRun".to_owned(), req.dry_run.to_string()),
        ];
        push_spec(&mut params, &req.spec);
        if !req.dry_run {
            params.push(client_token(ACTION, req.client_token.as_deref())?);
        }
        let answer = self.call(ACTION, &req.region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `DeleteSslVpnServer` (no DryRun: the API has none); returns the RequestId.
    pub async fn delete_ssl_vpn_server(
        &self,
        region: &str,
        id: &str,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.delete;
        let params = vec![
            ("RegionId".to_owned(), region.to_owned()),
            ("SslVpnServerId".to_owned(), id.to_owned()),
            client_token(ACTION, token)?,
        ];
        let answer = self.call(ACTION, region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `DescribeSslVpnServers` with the filters given, 50 a page, sorted by id.
    pub async fn describe_ssl_vpn_servers(
        &self,
        req: &DescribeSslVpnServers,
    ) -> Result<Vec<SslVpnServer>, ApiError> {
        const ACTION: &str = KIND.calls.list;
        let mut params = vec![("RegionId".to_owned(), req.region.clone())];
        for (key, value) in [
            ("VpnGatewayId", &req.vpn_gateway),
            ("SslVpnServerId", &req.id),
        ] {
            if let Some(value) = value {
                params.push((key.to_owned(), value.clone()));
            }
        }
        let region = req.region.as_str();
        let mut out = self
            .describe_pages(ACTION, region, params, DESCRIBE_PAGE, |answer| {
                let page: DescribePage = decode_body(ACTION, answer)?;
                Ok((
                    page.ssl_vpn_servers
                        .ssl_vpn_server
                        .into_iter()
                        .map(|s| SslVpnServer {
                            id: s.ssl_vpn_server_id,
                            region: if s.region_id.is_empty() {
                                region.to_owned()
                            } else {
                                s.region_id
                            },
                            vpn_gateway: s.vpn_gateway_id,
                            name: s.name,
                            client_ip_pool: s.client_ip_pool,
                            local_subnet: s.local_subnet,
                            proto: s.proto,
                            port: s.port,
                            cipher: s.cipher,
                            compress: s.compress,
                            internet_ip: s.internet_ip,
                            create_time: s.create_time,
                        })
                        .collect(),
                    page.total_count,
                ))
            })
            .await?;
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }
}

fn push_spec(params: &mut Vec<(String, String)>, spec: &ServerSpec) {
    let mut push = |k: &str, v: String| params.push((k.to_owned(), v));
    if let Some(name) = &spec.name {
        push("Name", name.clone());
    }
    if let Some(pool) = &spec.client_ip_pool {
        push("ClientIpPool", pool.clone());
    }
    if let Some(subnets) = &spec.local_subnet {
        push("LocalSubnet", subnets.join(","));
    }
    if let Some(proto) = &spec.proto {
        push("Proto", proto.clone());
    }
    if let Some(port) = spec.port {
        push("Port", port.to_string());
    }
    if let Some(cipher) = &spec.cipher {
        push("Cipher", cipher.clone());
    }
    if let Some(compress) = spec.compress {
        push("Compress", compress.to_string());
    }
}
