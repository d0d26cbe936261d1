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
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    auto_propagate: Option<bool>,
    #[serde(default)]
    spec: String,
    #[serde(default)]
    charge_type: String,
    #[serde(default)]
    ssl_vpn: String,
    #[serde(default)]
    ipsec_vpn: String,
    #[serde(default)]
    ssl_max_connections: Option<u64>,
    #[serde(default)]
    internet_ip: String,
    #[serde(default)]
    vpc_id: String,
    #[serde(default, rename = "VSwitchId")]
    vswitch_id: String,
    #[serde(default, rename = "DisasterRecoveryVSwitchId")]
    dr_vswitch_id: String,
    #[serde(default)]
    network_type: String,
    #[serde(default)]
    vpn_type: String,
}

impl RawGateway {
    pub(super) fn into_gateway(self, region: &str) -> VpnGateway {
        VpnGateway {
            id: self.vpn_gateway_id,
            region: self.region_id.unwrap_or_else(|| region.to_owned()),
            status: self.status,
            business_status: self.business_status,
            name: self.name,
            description: self.description,
            auto_propagate: self.auto_propagate,
            spec: self.spec,
            charge_type: self.charge_type,
            ssl_vpn: self.ssl_vpn,
            ipsec_vpn: self.ipsec_vpn,
            ssl_max_connections: self.ssl_max_connections,
            internet_ip: self.internet_ip,
            vpc_id: self.vpc_id,
            vswitch: self.vswitch_id,
            dr_vswitch: self.dr_vswitch_id,
            network_type: self.network_type,
            vpn_type: self.vpn_type,
        }
    }
}
