//! The IPsec server's calls: `ListIpsecServers`, `CreateIpsecServer`,
//! `UpdateIpsecServer` and `DeleteIpsecServer`, their requests, the servers they answer,
//! and how each is sent through the generic [`Client`] (signing, retries and rates stay
//! there). API facts: API.md, "IPsec-server details".

use serde::Deserialize;

use super::KIND;
use crate::cloud::client::{LIST_PAGE, MAX_PAGES, client_token, decode_body, invalid_answer};
use crate::cloud::{ApiError, Client};
use crate::secret::Secret;

/// `DeleteIpsecServer`.
///
/// `client_token` makes the delete idempotent: the client sends the same token on every
/// retry. Without one the client makes up a token for the call, so its own retries are
/// still one operation. A dry run sends no token at all: a precheck has no effect to
/// deduplicate, and a token seen first with `DryRun=true` would make the real delete
/// with the same token an `IdempotentParameterMismatch`.
#[derive(Debug, Clone)]
pub struct DeleteIpsecServer {
    pub region: String,
    pub ipsec_server_id: String,
    pub client_token: Option<String>,
    pub dry_run: bool,
}

/// `CreateIpsecServer`. Only the optional fields that are `Some` are sent, and
/// `PskEnabled=true` always; the cloud gives the others its defaults (and generates a
/// PSK when none is given).
///
/// The token works as a delete's (see [`DeleteIpsecServer`]): the same one on every
/// retry, made up for the call when `None`, never sent with a dry run.
#[derive(Debug, Clone, Default)]
pub struct CreateIpsecServer {
    pub region: String,
    pub vpn_gateway: String,
    /// Sent comma-separated, as `LocalSubnet`.
    pub local_subnet: Vec<String>,
    pub client_ip_pool: String,
    /// Sent as `IpSecServerName` (the create spells it with a capital S).
    pub name: Option<String>,
    pub psk: Option<Secret>,
    pub effect_immediately: Option<bool>,
    pub ike_config: Option<IkeConfig>,
    pub ipsec_config: Option<IpsecConfig>,
    pub client_token: Option<String>,
    pub dry_run: bool,
}

/// What a create answered: the new server's id (known from the answer, before the
/// gateway has finished configuring it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedIpsecServer {
    pub id: String,
    pub(crate) request_id: String,
}

/// `UpdateIpsecServer`: only the fields that are `Some` are sent, and only they change;
/// `IkeConfig` and `IpsecConfig` are sent as given, so a caller changing one key sends
/// the whole object (see `calls::update_request`). Tokens as for [`CreateIpsecServer`].
#[derive(Debug, Clone, Default)]
pub struct UpdateIpsecServer {
    pub region: String,
    pub ipsec_server_id: String,
    /// Sent as `IpsecServerName`.
    pub name: Option<String>,
    pub local_subnet: Option<Vec<String>>,
    pub client_ip_pool: Option<String>,
    pub psk: Option<Secret>,
    pub effect_immediately: Option<bool>,
    pub ike_config: Option<IkeConfig>,
    pub ipsec_config: Option<IpsecConfig>,
    pub client_token: Option<String>,
    pub dry_run: bool,
}

/// Phase-one negotiation settings. In a request, the fields that are `Some` are sent
/// (as the JSON string `IkeConfig` the API takes); in a listed server, what the cloud
/// answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IkeConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_enc_alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_auth_alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_pfs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_lifetime: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
}

/// Phase-two negotiation settings, as [`IkeConfig`] (the JSON string `IpsecConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpsecConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipsec_enc_alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipsec_auth_alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipsec_pfs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipsec_lifetime: Option<u32>,
}

/// One server from `ListIpsecServers`, every attribute the API answers. The PSK, which
/// the API answers in clear text, goes straight into a [`Secret`]: it can be compared
/// with the desired one, never printed (`Debug` shows `***`), logged or serialized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpsecServer {
    pub id: String,
    pub name: String,
    pub vpn_gateway: String,
    pub(crate) region: String,
    /// Comma-separated, as the API answers it; [`IpsecServer::local_subnets`] splits it.
    pub local_subnet: String,
    pub client_ip_pool: String,
    pub internet_ip: String,
    pub psk_enabled: bool,
    pub creation_time: String,
    /// `None` when the answer had no PSK.
    pub psk: Option<Secret>,
    pub effect_immediately: bool,
    pub(crate) multi_factor_auth_enabled: bool,
    pub(crate) online_client_count: u32,
    pub(crate) max_connections: u32,
    pub ike_config: IkeConfig,
    pub ipsec_config: IpsecConfig,
}

impl IpsecServer {
    /// The `LocalSubnet` blocks, in the order answered.
    pub fn local_subnets(&self) -> Vec<String> {
        self.local_subnet
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Which servers to list.
#[derive(Debug, Clone, Default)]
pub struct ListIpsecServers {
    pub region: String,
    pub vpn_gateway: Option<String>,
    pub ids: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// The answers as they arrive on the wire (PascalCase JSON).

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListIpsecServersPage {
    #[serde(default)]
    pub(crate) ipsec_servers: ServerList,
    #[serde(default)]
    pub(crate) next_token: Option<String>,
}

/// API.md documents a plain array; the XML-to-JSON shape `{"IpsecServer":[...]}` that
/// other VPC lists use is accepted too.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum ServerList {
    Plain(Vec<RawServer>),
    Wrapped {
        #[serde(rename = "IpsecServer", default)]
        ipsec_server: Vec<RawServer>,
    },
}

impl Default for ServerList {
    fn default() -> Self {
        ServerList::Plain(Vec::new())
    }
}

impl ServerList {
    pub(crate) fn into_vec(self) -> Vec<RawServer> {
        match self {
            ServerList::Plain(v) | ServerList::Wrapped { ipsec_server: v } => v,
        }
    }
}

/// One server as the API sends it. `Psk` is decoded straight into a [`Secret`], so the
/// clear-text key never sits in a printable vpnform value.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RawServer {
    pub(crate) ipsec_server_id: String,
    #[serde(default)]
    pub(crate) ipsec_server_name: String,
    #[serde(default)]
    pub(crate) vpn_gateway_id: String,
    #[serde(default)]
    pub(crate) region_id: Option<String>,
    #[serde(default)]
    pub(crate) local_subnet: String,
    #[serde(default)]
    pub(crate) client_ip_pool: String,
    #[serde(default)]
    pub(crate) internet_ip: String,
    #[serde(default)]
    pub(crate) psk_enabled: bool,
    #[serde(default)]
    pub(crate) creation_time: String,
    #[serde(default, deserialize_with = "crate::secret::optional")]
    pub(crate) psk: Option<Secret>,
    #[serde(default)]
    pub(crate) effect_immediately: bool,
    #[serde(default)]
    pub(crate) multi_factor_auth_enabled: bool,
    #[serde(default)]
    pub(crate) online_client_count: u32,
    #[serde(default)]
    pub(crate) max_connections: u32,
    #[serde(default)]
    pub(crate) ike_config: IkeConfig,
    #[serde(default)]
    pub(crate) ipsec_config: IpsecConfig,
}

impl RawServer {
    /// The typed server; `region` when the answer names none.
    pub(crate) fn into_server(self, region: &str) -> IpsecServer {
        IpsecServer {
            region: self.region_id.unwrap_or_else(|| region.to_owned()),
            id: self.ipsec_server_id,
            name: self.ipsec_server_name,
            vpn_gateway: self.vpn_gateway_id,
            local_subnet: self.local_subnet,
            client_ip_pool: self.client_ip_pool,
            internet_ip: self.internet_ip,
            psk_enabled: self.psk_enabled,
            creation_time: self.creation_time,
            psk: self.psk,
            effect_immediately: self.effect_immediately,
            multi_factor_auth_enabled: self.multi_factor_auth_enabled,
            online_client_count: self.online_client_count,
            max_connections: self.max_connections,
            ike_config: self.ike_config,
            ipsec_config: self.ipsec_config,
        }
    }
}

/// `CreateIpsecServer`'s answer: the new id.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreatedAnswer {
    pub(crate) ipsec_server_id: String,
}

// ---------------------------------------------------------------------------------------
// The calls.

impl Client {
    /// `DeleteIpsecServer`. Returns the RequestId. A passed dry run comes back as
    /// `Err` with class [`ErrorClass::DryRunPassed`]. Throttling and transient failures
    /// are retried here with the same ClientToken; contention, not-found and terminal
    /// errors go back to the caller (apply waits for the gateway on contention).
    pub async fn delete_ipsec_server(&self, req: &DeleteIpsecServer) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.delete;
        let mut params = vec![
            ("RegionId".to_owned(), req.region.clone()),
            ("IpsecServerId".to_owned(), req.ipsec_server_id.clone()),
            ("DryRun".to_owned(), req.dry_run.to_string()),
        ];
        if !req.dry_run {
            params.push(client_token(ACTION, req.client_token.as_deref())?);
        }
        let answer = self.call(ACTION, &req.region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `CreateIpsecServer`. Returns the new id (and the RequestId) from the answer; the
    /// gateway then configures, as after every mutation. Errors and retries as for
    /// [`Client::delete_ipsec_server`]: the same ClientToken on every retry.
    pub async fn create_ipsec_server(
        &self,
        req: &CreateIpsecServer,
    ) -> Result<CreatedIpsecServer, ApiError> {
        const ACTION: &str = KIND.calls.create;
        let mut params = vec![
            ("RegionId".to_owned(), req.region.clone()),
            ("VpnGatewayId".to_owned(), req.vpn_gateway.clone()),
            ("LocalSubnet".to_owned(), req.local_subnet.join(",")),
            ("ClientIpPool".to_owned(), req.client_ip_pool.clone()),
            ("DryRun".to_owned(), req.dry_run.to_string()),
            // Required on every create, with or without a PSK, and only `true`: the
            // CreateIpsecServer request model (alibabacloud_vpc20160428 7.2.2,
            // `psk_enabled`: "This parameter is required"; API.md).
            ("PskEnabled".to_owned(), "true".to_owned()),
        ];
        let fields = Fields {
            name: req.name.as_deref(),
            local_subnet: None,
            client_ip_pool: None,
            psk: req.psk.as_ref(),
            effect_immediately: req.effect_immediately,
            ike_config: req.ike_config.as_ref(),
            ipsec_config: req.ipsec_config.as_ref(),
        };
        fields.push_into(&mut params, "IpSecServerName");
        if !req.dry_run {
            params.push(client_token(ACTION, req.client_token.as_deref())?);
        }
        let answer = self.call(ACTION, &req.region, params).await?;
        let created: CreatedAnswer = decode_body(ACTION, &answer)?;
        Ok(CreatedIpsecServer {
            id: created.ipsec_server_id,
            request_id: answer.request_id.unwrap_or_default(),
        })
    }

    /// `UpdateIpsecServer` with the fields given. Returns the RequestId. Errors and
    /// retries as for [`Client::delete_ipsec_server`].
    pub async fn update_ipsec_server(&self, req: &UpdateIpsecServer) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.modify[0];
        let mut params = vec![
            ("RegionId".to_owned(), req.region.clone()),
            ("IpsecServerId".to_owned(), req.ipsec_server_id.clone()),
            ("DryRun".to_owned(), req.dry_run.to_string()),
        ];
        let local_subnet = req.local_subnet.as_ref().map(|l| l.join(","));
        let fields = Fields {
            name: req.name.as_deref(),
            local_subnet: local_subnet.as_deref(),
            client_ip_pool: req.client_ip_pool.as_deref(),
            psk: req.psk.as_ref(),
            effect_immediately: req.effect_immediately,
            ike_config: req.ike_config.as_ref(),
            ipsec_config: req.ipsec_config.as_ref(),
        };
        // The UpdateIpsecServer request model does not require `PskEnabled`: sent with
        // a new key only, to say what the key is for.
        if req.psk.is_some() {
            params.push(("PskEnabled".to_owned(), "true".to_owned()));
        }
        fields.push_into(&mut params, "IpsecServerName");
        if !req.dry_run {
            params.push(client_token(ACTION, req.client_token.as_deref())?);
        }
        let answer = self.call(ACTION, &req.region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `ListIpsecServers`, every page, sorted by id. Filters by gateway and by ids (sent
    /// in batches of 20) when given; the region is always required.
    pub async fn list_ipsec_servers(
        &self,
        req: &ListIpsecServers,
    ) -> Result<Vec<IpsecServer>, ApiError> {
        let mut out = Vec::new();
        if req.ids.is_empty() {
            out.extend(self.list_ipsec_servers_filtered(req, &[]).await?);
        } else {
            for chunk in req.ids.chunks(LIST_PAGE) {
                out.extend(self.list_ipsec_servers_filtered(req, chunk).await?);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }

    async fn list_ipsec_servers_filtered(
        &self,
        req: &ListIpsecServers,
        ids: &[String],
    ) -> Result<Vec<IpsecServer>, ApiError> {
        const ACTION: &str = KIND.calls.list;
        let mut out = Vec::new();
        let mut next_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = vec![
                ("RegionId".to_owned(), req.region.clone()),
                ("MaxResults".to_owned(), LIST_PAGE.to_string()),
            ];
            if let Some(gw) = &req.vpn_gateway {
                params.push(("VpnGatewayId".to_owned(), gw.clone()));
            }
            for (i, id) in ids.iter().enumerate() {
                params.push((format!("IpsecServerId.{}", i + 1), id.clone()));
            }
            if let Some(t) = &next_token {
                params.push(("NextToken".to_owned(), t.clone()));
            }
            let answer = self.call(ACTION, &req.region, params).await?;
            let page: ListIpsecServersPage = decode_body(ACTION, &answer)?;
            out.extend(
                page.ipsec_servers
                    .into_vec()
                    .into_iter()
                    .map(|s| s.into_server(&req.region)),
            );
            match page.next_token.filter(|t| !t.is_empty()) {
                None => return Ok(out),
                Some(t) if next_token.as_deref() == Some(t.as_str()) => {
                    return Err(invalid_answer(
                        ACTION,
                        &answer,
                        "the server answered the same NextToken twice",
                    ));
                }
                Some(t) => next_token = Some(t),
            }
        }
        Err(ApiError {
            action: ACTION.to_owned(),
            ..ApiError::new(
                0,
                "vpnform.TooManyPages",
                "the listing did not end after 10000 pages",
            )
        })
    }
}

/// The optional configuration fields a create or an update sends: only those given.
struct Fields<'a> {
    name: Option<&'a str>,
    local_subnet: Option<&'a str>,
    client_ip_pool: Option<&'a str>,
    psk: Option<&'a Secret>,
    effect_immediately: Option<bool>,
    ike_config: Option<&'a IkeConfig>,
    ipsec_config: Option<&'a IpsecConfig>,
}

impl Fields<'_> {
    /// Appends the given fields; the name under `name_param` (the API spells it
    /// `IpSecServerName` on a create and `IpsecServerName` on an update).
    fn push_into(&self, params: &mut Vec<(String, String)>, name_param: &str) {
        let mut push = |k: &str, v: String| params.push((k.to_owned(), v));
        if let Some(name) = self.name {
            push(name_param, name.to_owned());
        }
        if let Some(subnet) = self.local_subnet {
            push("LocalSubnet", subnet.to_owned());
        }
        if let Some(pool) = self.client_ip_pool {
            push("ClientIpPool", pool.to_owned());
        }
        if let Some(psk) = self.psk {
            // The only place the PSK leaves its Secret: the signed query. Parameters
            // are never logged (see `call`), and signature diagnoses name parameters,
            // never values.
            push("Psk", psk.expose().to_owned());
        }
        if let Some(effect) = self.effect_immediately {
            push("EffectImmediately", effect.to_string());
        }
        // The API takes these as JSON strings; serializing a struct of strings and
        // integers cannot fail.
        if let Some(ike) = self.ike_config {
            push("IkeConfig", serde_json::to_string(ike).unwrap_or_default());
        }
        if let Some(ipsec) = self.ipsec_config {
            push(
                "IpsecConfig",
                serde_json::to_string(ipsec).unwrap_or_default(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_page_drops_psk_and_accepts_both_shapes() {
        let plain = br#"{"RequestId":"R","NextToken":"n2","IpsecServers":[{"IpsecServerId":"iss-1","IpsecServerName":"office","VpnGatewayId":"vpn-1","RegionId":"cn-hangzhou","LocalSubnet":"10.0.0.0/24","ClientIpPool":"10.8.0.0/16","InternetIp":"1.2.3.4","PskEnabled":true,"Psk":"pre-shared-canary","CreationTime":"2024-01-01T00:00:00Z","IkeConfig":{"IkeVersion":"ikev2"}}]}"#;
        let page: ListIpsecServersPage = serde_json::from_slice(plain).unwrap();
        assert_eq!(page.next_token.as_deref(), Some("n2"));
        let servers = page.ipsec_servers.into_vec();
        assert_eq!(servers.len(), 1);
        assert_eq!(servers[0].ipsec_server_id, "iss-1");
        assert!(servers[0].psk_enabled);

        let wrapped = br#"{"IpsecServers":{"IpsecServer":[{"IpsecServerId":"iss-2","Psk":"x"}]}}"#;
        let page: ListIpsecServersPage = serde_json::from_slice(wrapped).unwrap();
        assert_eq!(page.ipsec_servers.into_vec()[0].ipsec_server_id, "iss-2");
    }
}
