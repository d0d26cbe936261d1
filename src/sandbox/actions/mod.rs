//! The API actions the sandbox answers, one file each, and the [`Action`] enum that
//! routes to them. An action name the sandbox does not know is refused by
//! [`Action::parse`] with 404 `InvalidAction.NotFound`, as Alibaba answers it, before
//! any rate limit or fault applies.

mod delete_ipsec_server;
mod describe_vpn_gateway;
mod describe_vpn_gateways;
mod list_ipsec_servers;

use serde_json::{Value, json};

use super::server::{Call, Inner};
use super::wire::{ApiError, Request};
use super::world::Gateway;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    DeleteIpsecServer,
    ListIpsecServers,
    DescribeVpnGateway,
    DescribeVpnGateways,
}

impl Action {
    pub fn parse(name: &str) -> Result<Action, ApiError> {
        Ok(match name {
            "DeleteIpsecServer" => Action::DeleteIpsecServer,
            "ListIpsecServers" => Action::ListIpsecServers,
            "DescribeVpnGateway" => Action::DescribeVpnGateway,
            "DescribeVpnGateways" => Action::DescribeVpnGateways,
            other => {
                return Err(ApiError::new(
                    404,
                    "InvalidAction.NotFound",
                    format!(
                        "Specified api {other} is not found, please check your url and method."
                    ),
                ));
            }
        })
    }

    pub fn name(&self) -> &str {
        match self {
            Action::DeleteIpsecServer => "DeleteIpsecServer",
            Action::ListIpsecServers => "ListIpsecServers",
            Action::DescribeVpnGateway => "DescribeVpnGateway",
            Action::DescribeVpnGateways => "DescribeVpnGateways",
        }
    }

    /// Runs the action on an authenticated request; the world is settled to `call.now`.
    pub(super) fn execute(
        &self,
        req: &Request,
        inner: &mut Inner,
        call: &Call,
    ) -> Result<Value, ApiError> {
        match self {
            Action::DeleteIpsecServer => delete_ipsec_server::run(req, inner, call),
            Action::ListIpsecServers => list_ipsec_servers::run(req, inner, call),
            Action::DescribeVpnGateway => describe_vpn_gateway::run(req, inner, call),
            Action::DescribeVpnGateways => describe_vpn_gateways::run(req, inner, call),
        }
    }
}

/// `RegionId`, required and known (404 `InvalidRegionId.NotFound` otherwise).
fn region<'r>(req: &'r Request, inner: &Inner) -> Result<&'r str, ApiError> {
    let region = req.required("RegionId")?;
    if crate::regions::is_known(region) || inner.live.world().known_regions().contains(region) {
        Ok(region)
    } else {
        Err(ApiError::new(
            404,
            "InvalidRegionId.NotFound",
            format!("The specified RegionId {region} does not exist."),
        ))
    }
}

/// A gateway as DescribeVpnGateway(s) answer it.
fn gateway_json(inner: &Inner, id: &str, g: &Gateway) -> Value {
    let has_server = inner
        .live
        .world()
        .ipsec_servers
        .values()
        .any(|s| s.vpn_gateway == id);
    json!({
        "VpnGatewayId": id,
        "Name": g.name.clone().unwrap_or_else(|| id.to_owned()),
        "Description": "",
        "RegionId": g.region,
        "VpcId": g.vpc_id.clone().unwrap_or_else(|| format!("vpc-{}", &id[4..])),
        "VSwitchId": format!("vsw-{}", &id[4..]),
        "InternetIp": g.internet_ip.clone().unwrap_or_else(|| "198.51.100.10".to_owned()),
        "Status": inner.live.status(id, g),
        "BusinessStatus": g.business_status,
        "ChargeType": "PrePay",
        "Spec": "10M",
        "IpsecVpn": "enable",
        "SslVpn": if has_server { "enable" } else { "disable" },
        "SslMaxConnections": 5,
        "CreateTime": 1704164645000u64,
        "EndTime": 1735787045000u64,
        "EnableBgp": false,
        "AutoPropagate": false,
        "Tag": "",
    })
}
