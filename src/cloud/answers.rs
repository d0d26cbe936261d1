//! The answers of the API actions as they arrive on the wire (PascalCase JSON), which
//! the client decodes and turns into the types of `types.rs`.

use serde::Deserialize;

use super::types::{IkeConfig, IpsecConfig, IpsecServer, VpnGateway};
use crate::secret::Secret;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RequestIdOnly {
    pub(super) request_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListIpsecServersPage {
    #[serde(default)]
    pub(super) ipsec_servers: ServerList,
    #[serde(default)]
    pub(super) next_token: Option<String>,
}

/// API.md documents a plain array; the XML-to-JSON shape `{"IpsecServer":[...]}` that
/// other VPC lists use is accepted too.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum ServerList {
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
    pub(super) fn into_vec(self) -> Vec<RawServer> {
        match self {
            ServerList::Plain(v) | ServerList::Wrapped { ipsec_server: v } => v,
        }
    }
}

/// One server as the API sends it. `Psk` is decoded straight into a [`Secret`], so the
/// clear-text key never sits in a printable vpnform value.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RawServer {
    pub(super) ipsec_server_id: String,
    #[serde(default)]
    pub(super) ipsec_server_name: String,
    #[serde(default)]
    pub(super) vpn_gateway_id: String,
    #[serde(default)]
    pub(super) region_id: Option<String>,
    #[serde(default)]
    pub(super) local_subnet: String,
    #[serde(default)]
    pub(super) client_ip_pool: String,
    #[serde(default)]
    pub(super) internet_ip: String,
    #[serde(default)]
    pub(super) psk_enabled: bool,
    #[serde(default)]
    pub(super) creation_time: String,
    #[serde(default, deserialize_with = "secret")]
    pub(super) psk: Option<Secret>,
    #[serde(default)]
    pub(super) effect_immediately: bool,
    #[serde(default)]
    pub(super) multi_factor_auth_enabled: bool,
    #[serde(default)]
    pub(super) online_client_count: u32,
    #[serde(default)]
    pub(super) max_connections: u32,
    #[serde(default)]
    pub(super) ike_config: IkeConfig,
    #[serde(default)]
    pub(super) ipsec_config: IpsecConfig,
}

impl RawServer {
    /// The typed server; `region` when the answer names none.
    pub(super) fn into_server(self, region: &str) -> IpsecServer {
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

/// An optional string decoded into a [`Secret`]; an empty one is no PSK.
fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .filter(|s| !s.is_empty())
        .map(Secret::from))
}

/// `CreateIpsecServer`'s answer: the new id.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreatedAnswer {
    pub(super) ipsec_server_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeVpnGatewaysPage {
    #[serde(default)]
    pub(super) vpn_gateways: GatewayList,
    #[serde(default)]
    pub(super) total_count: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GatewayList {
    #[serde(default)]
    pub(super) vpn_gateway: Vec<RawGateway>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RawGateway {
    pub(super) vpn_gateway_id: String,
    #[serde(default)]
    pub(super) region_id: Option<String>,
    #[serde(default)]
    pub(super) status: String,
    #[serde(default)]
    pub(super) business_status: String,
}

impl RawGateway {
    pub(super) fn into_gateway(self, region: &str) -> VpnGateway {
        VpnGateway {
            id: self.vpn_gateway_id,
            region: self.region_id.unwrap_or_else(|| region.to_owned()),
            status: self.status,
            business_status: self.business_status,
        }
    }
}
