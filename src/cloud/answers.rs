//! The answers of the API actions as they arrive on the wire (PascalCase JSON), which
//! the client decodes and turns into the types of `types.rs`.

use serde::Deserialize;

use super::types::VpnGateway;

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

/// One server as the API sends it, minus `Psk`: the field is not declared, so serde
/// skips it and the clear-text key never reaches a vpnform value.
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
