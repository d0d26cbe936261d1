//! The VPN gateway's modify and delete calls, `ModifyVpnGatewayAttribute` (name,
//! description, auto-propagation) and `DeleteVpnGateway` (neither takes DryRun). Its
//! reads are the client's own (`Client::describe_vpn_gateway(s)`).

use super::KIND;
use crate::cloud::client::{client_token, decode_body};
use crate::cloud::{ApiError, Client};

/// The create's answer: the new gateway's id.
#[derive(serde::Deserialize)]
struct Created {
    #[serde(rename = "VpnGatewayId")]
    vpn_gateway_id: String,
}

/// `CreateVpnGateway` of a pay-as-you-go gateway: what the desired entry writes, the
/// cloud's defaults for the rest.
#[derive(Debug, Clone, Default)]
pub struct CreateVpnGateway {
    pub region: String,
    pub vpc: String,
    /// Mbit/s.
    pub bandwidth: u64,
    pub name: Option<String>,
    pub enable_ssl: Option<bool>,
    pub ssl_connections: Option<u64>,
    pub enable_ipsec: Option<bool>,
    /// The first zone's vSwitch, and the second zone's of a dual-tunnel gateway.
    pub vswitch: Option<String>,
    pub dr_vswitch: Option<String>,
    /// `public` or `private`.
    pub network_type: Option<String>,
    /// `Normal` or `NationalStandard`.
    pub vpn_type: Option<String>,
    pub client_token: Option<String>,
}

/// `ModifyVpnGatewayAttribute`: only the fields that are `Some` change.
#[derive(Debug, Clone, Default)]
pub struct ModifyVpnGateway {
    pub region: String,
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub auto_propagate: Option<bool>,
    pub client_token: Option<String>,
}

impl Client {
    /// `ModifyVpnGatewayAttribute` with the fields given; returns the RequestId.
    pub async fn modify_vpn_gateway(&self, req: &ModifyVpnGateway) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.modify[0];
        let mut params = vec![
            ("RegionId".to_owned(), req.region.clone()),
            ("VpnGatewayId".to_owned(), req.id.clone()),
        ];
        if let Some(name) = &req.name {
            params.push(("Name".to_owned(), name.clone()));
        }
        if let Some(description) = &req.description {
            params.push(("Description".to_owned(), description.clone()));
        }
        if let Some(auto) = req.auto_propagate {
            params.push(("AutoPropagate".to_owned(), auto.to_string()));
        }
        params.push(client_token(ACTION, req.client_token.as_deref())?);
        let answer = self.call(ACTION, &req.region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `CreateVpnGateway` (`InstanceChargeType=POSTPAY`); returns the new gateway's id.
    /// The gateway exists from the answer on, `init` then `provisioning` for minutes,
    /// then `active`.
    pub async fn create_vpn_gateway(&self, req: &CreateVpnGateway) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.create;
        let mut params = vec![
            ("RegionId".to_owned(), req.region.clone()),
            ("VpcId".to_owned(), req.vpc.clone()),
            ("Bandwidth".to_owned(), req.bandwidth.to_string()),
            ("InstanceChargeType".to_owned(), "POSTPAY".to_owned()),
        ];
        if let Some(name) = &req.name {
            params.push(("Name".to_owned(), name.clone()));
        }
        if let Some(on) = req.enable_ssl {
            params.push(("EnableSsl".to_owned(), on.to_string()));
        }
        if let Some(n) = req.ssl_connections {
            params.push(("SslConnections".to_owned(), n.to_string()));
        }
        if let Some(on) = req.enable_ipsec {
            params.push(("EnableIpsec".to_owned(), on.to_string()));
        }
        for (key, value) in [
            ("VSwitchId", &req.vswitch),
            ("DisasterRecoveryVSwitchId", &req.dr_vswitch),
            ("NetworkType", &req.network_type),
            ("VpnType", &req.vpn_type),
        ] {
            if let Some(value) = value {
                params.push((key.to_owned(), value.clone()));
            }
        }
        params.push(client_token(ACTION, req.client_token.as_deref())?);
        let answer = self.call(ACTION, &req.region, params).await?;
        let created: Created = decode_body(ACTION, &answer)?;
        Ok(created.vpn_gateway_id)
    }

    /// `DeleteVpnGateway` with `token`; returns the RequestId. The gateway then shows
    /// `deleting`, and is gone (`InvalidVpnGatewayInstanceId.NotFound`) once it is
    /// released.
    pub async fn delete_vpn_gateway(
        &self,
        region: &str,
        id: &str,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.delete;
        let params = vec![
            ("RegionId".to_owned(), region.to_owned()),
            ("VpnGatewayId".to_owned(), id.to_owned()),
            client_token(ACTION, token)?,
        ];
        let answer = self.call(ACTION, region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }
}
