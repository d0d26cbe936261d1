//! The IPsec connection's calls: `CreateVpnConnection` (the only one with DryRun),
//! `ModifyVpnConnectionAttribute`, `DeleteVpnConnection` and `DescribeVpnConnections`,
//! sent through the generic [`Client`]. Field names are the official SDK's
//! (alibabacloud_vpc20160428 7.2.2): `IkeConfig`, `IpsecConfig`, `BgpConfig` and
//! `HealthCheckConfig` go as JSON strings, a dual-tunnel connection's tunnels as
//! `TunnelOptionsSpecification.N.*` (nested objects flattened with dots, as the SDK's
//! query encoding does).

// ApiError is the contract type every layer matches on (as in `crate::cloud`).
#![allow(clippy::result_large_err)]

use serde::Deserialize;

use super::KIND;
use crate::cloud::client::{DESCRIBE_PAGE, client_token, decode_body};
use crate::cloud::{ApiError, Client};
use crate::kinds::ipsec_server::{IkeConfig, IpsecConfig};
use crate::secret::Secret;

/// One tunnel of a dual-tunnel connection, as a create or a modify sends it.
#[derive(Debug, Clone, Default)]
pub struct TunnelSpec {
    /// The tunnel's id: a modify names the tunnel it changes; a create has none.
    pub id: Option<String>,
    pub customer_gateway: String,
    /// `master` or `slave`.
    pub role: String,
    pub psk: Option<Secret>,
    pub ike_config: Option<IkeConfig>,
    pub ipsec_config: Option<IpsecConfig>,
    pub enable_dpd: Option<bool>,
    pub enable_nat_traversal: Option<bool>,
}

/// What a create and a modify send besides the connection's place: only the fields
/// that are `Some` (a modify changes only those).
#[derive(Debug, Clone, Default)]
pub struct ConnectionSpec {
    pub name: Option<String>,
    pub local_subnet: Option<Vec<String>>,
    pub remote_subnet: Option<Vec<String>>,
    /// Single tunnel: the PSK goes inside `IkeConfig`.
    pub psk: Option<Secret>,
    pub ike_config: Option<IkeConfig>,
    pub ipsec_config: Option<IpsecConfig>,
    pub effect_immediately: Option<bool>,
    pub auto_config_route: Option<bool>,
    /// Dual tunnel: exactly two.
    pub tunnels: Vec<TunnelSpec>,
}

/// `CreateVpnConnection`. Tokens as every create's; a dry run sends none.
#[derive(Debug, Clone, Default)]
pub struct CreateVpnConnection {
    pub region: String,
    pub vpn_gateway: String,
    /// Single tunnel; `None` for a dual-tunnel connection (its tunnels name theirs).
    pub customer_gateway: Option<String>,
    pub spec: ConnectionSpec,
    pub client_token: Option<String>,
    pub dry_run: bool,
}

/// `ModifyVpnConnectionAttribute`: no DryRun (the cloud would act on one).
#[derive(Debug, Clone, Default)]
pub struct ModifyVpnConnection {
    pub region: String,
    pub id: String,
    pub spec: ConnectionSpec,
    pub client_token: Option<String>,
}

/// One tunnel as `DescribeVpnConnections` answers it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tunnel {
    pub id: String,
    pub customer_gateway: String,
    pub role: String,
    pub psk: Option<Secret>,
    pub ike_config: IkeConfig,
    pub ipsec_config: IpsecConfig,
    pub enable_dpd: bool,
    pub enable_nat_traversal: bool,
}

/// One connection as `DescribeVpnConnections` answers it. The PSKs, which the API
/// answers in clear text, go straight into [`Secret`]s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VpnConnection {
    pub id: String,
    pub region: String,
    pub vpn_gateway: String,
    /// Single tunnel: the customer gateway; empty for a dual-tunnel connection.
    pub customer_gateway: String,
    pub name: String,
    /// Comma-separated, as answered.
    pub local_subnet: String,
    pub remote_subnet: String,
    pub effect_immediately: bool,
    pub create_time: Option<u64>,
    /// The IKE negotiation's state (`ike_sa_not_established`, ...): shown, never waited
    /// for.
    pub state: String,
    pub psk: Option<Secret>,
    pub ike_config: IkeConfig,
    pub ipsec_config: IpsecConfig,
    pub tunnels: Vec<Tunnel>,
}

/// Which connections to list.
#[derive(Debug, Clone, Default)]
pub struct DescribeVpnConnections {
    pub region: String,
    pub vpn_gateway: Option<String>,
    pub customer_gateway: Option<String>,
    pub id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribePage {
    #[serde(default)]
    vpn_connections: ConnectionList,
    #[serde(default)]
    total_count: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConnectionList {
    #[serde(default)]
    vpn_connection: Vec<RawConnection>,
}

/// `IkeConfig` as answered: the settings and the PSK.
#[derive(Default, Deserialize)]
struct RawIke {
    #[serde(flatten)]
    config: IkeConfig,
    #[serde(rename = "Psk", default, deserialize_with = "crate::secret::optional")]
    psk: Option<Secret>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawConnection {
    vpn_connection_id: String,
    #[serde(default)]
    vpn_gateway_id: String,
    #[serde(default)]
    customer_gateway_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    local_subnet: String,
    #[serde(default)]
    remote_subnet: String,
    #[serde(default)]
    effect_immediately: bool,
    #[serde(default)]
    create_time: Option<u64>,
    #[serde(default)]
    state: String,
    #[serde(default)]
    ike_config: Option<RawIke>,
    #[serde(default)]
    ipsec_config: Option<IpsecConfig>,
    #[serde(default)]
    tunnel_options_specification: Option<RawTunnels>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawTunnels {
    #[serde(default)]
    tunnel_options: Vec<RawTunnel>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawTunnel {
    #[serde(default)]
    tunnel_id: String,
    #[serde(default)]
    customer_gateway_id: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    tunnel_ike_config: Option<RawIke>,
    #[serde(default)]
    tunnel_ipsec_config: Option<IpsecConfig>,
    #[serde(default)]
    enable_dpd: bool,
    #[serde(default)]
    enable_nat_traversal: bool,
}

impl RawConnection {
    fn into_connection(self, region: &str) -> VpnConnection {
        let ike = self.ike_config.unwrap_or_default();
        VpnConnection {
            id: self.vpn_connection_id,
            region: region.to_owned(),
            vpn_gateway: self.vpn_gateway_id,
            customer_gateway: self.customer_gateway_id,
            name: self.name,
            local_subnet: self.local_subnet,
            remote_subnet: self.remote_subnet,
            effect_immediately: self.effect_immediately,
            create_time: self.create_time,
            state: self.state,
            psk: ike.psk,
            ike_config: ike.config,
            ipsec_config: self.ipsec_config.unwrap_or_default(),
            tunnels: self
                .tunnel_options_specification
                .unwrap_or_default()
                .tunnel_options
                .into_iter()
                .map(|t| {
                    let ike = t.tunnel_ike_config.unwrap_or_default();
                    Tunnel {
                        id: t.tunnel_id,
                        customer_gateway: t.customer_gateway_id,
                        role: t.role,
                        psk: ike.psk,
                        ike_config: ike.config,
                        ipsec_config: t.tunnel_ipsec_config.unwrap_or_default(),
                        enable_dpd: t.enable_dpd,
                        enable_nat_traversal: t.enable_nat_traversal,
                    }
                })
                .collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Created {
    vpn_connection_id: String,
}

impl Client {
    /// `CreateVpnConnection`; returns the new id. The gateway then configures. A passed
    /// dry run comes back as `Err` with class `DryRunPassed`.
    pub async fn create_vpn_connection(
        &self,
        req: &CreateVpnConnection,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.create;
        let mut params = vec![
            ("RegionId".to_owned(), req.region.clone()),
            ("VpnGatewayId".to_owned(), req.vpn_gateway.clone()),
            ("DryRun".to_owned(), req.dry_run.to_string()),
        ];
        if let Some(cgw) = &req.customer_gateway {
            params.push(("CustomerGatewayId".to_owned(), cgw.clone()));
        }
        push_spec(&mut params, &req.spec);
        if !req.dry_run {
            params.push(client_token(ACTION, req.client_token.as_deref())?);
        }
        let answer = self.call(ACTION, &req.region, params).await?;
        let created: Created = decode_body(ACTION, &answer)?;
        Ok(created.vpn_connection_id)
    }

    /// `ModifyVpnConnectionAttribute` with the fields given; returns the RequestId.
    pub async fn modify_vpn_connection(
        &self,
        req: &ModifyVpnConnection,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.modify[0];
        let mut params = vec![
            ("RegionId".to_owned(), req.region.clone()),
            ("VpnConnectionId".to_owned(), req.id.clone()),
        ];
        push_spec(&mut params, &req.spec);
        params.push(client_token(ACTION, req.client_token.as_deref())?);
        let answer = self.call(ACTION, &req.region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `DeleteVpnConnection`; returns the RequestId.
    pub async fn delete_vpn_connection(
        &self,
        region: &str,
        id: &str,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.delete;
        let params = vec![
            ("RegionId".to_owned(), region.to_owned()),
            ("VpnConnectionId".to_owned(), id.to_owned()),
            client_token(ACTION, token)?,
        ];
        let answer = self.call(ACTION, region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `DescribeVpnConnections` with the filters given, 50 a page, sorted by id.
    pub async fn describe_vpn_connections(
        &self,
        req: &DescribeVpnConnections,
    ) -> Result<Vec<VpnConnection>, ApiError> {
        const ACTION: &str = KIND.calls.list;
        let mut params = vec![("RegionId".to_owned(), req.region.clone())];
        for (key, value) in [
            ("VpnGatewayId", &req.vpn_gateway),
            ("CustomerGatewayId", &req.customer_gateway),
            ("VpnConnectionId", &req.id),
        ] {
            if let Some(value) = value {
                params.push((key.to_owned(), value.clone()));
            }
        }
        let region = req.region.as_str();
        let mut out = self
            .describe_pages(ACTION, region, params, DESCRIBE_PAGE, |answer| {
                let page: DescribePage = decode_body(ACTION, answer)?;
                let connections = page.vpn_connections.vpn_connection;
                Ok((
                    connections
                        .into_iter()
                        .map(|c| c.into_connection(region))
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

/// `IkeConfig`'s JSON with the PSK inside, as the API takes it.
fn ike_json(config: Option<&IkeConfig>, psk: Option<&Secret>) -> Option<String> {
    if config.is_none() && psk.is_none() {
        return None;
    }
    let mut object = match serde_json::to_value(config.cloned().unwrap_or_default()) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    if let Some(psk) = psk {
        // The only place the PSK leaves its Secret: the signed request, never logged.
        object.insert("Psk".to_owned(), psk.expose().into());
    }
    Some(serde_json::Value::Object(object).to_string())
}

fn push_spec(params: &mut Vec<(String, String)>, spec: &ConnectionSpec) {
    let mut push = |k: String, v: String| params.push((k, v));
    if let Some(name) = &spec.name {
        push("Name".into(), name.clone());
    }
    if let Some(subnets) = &spec.local_subnet {
        push("LocalSubnet".into(), subnets.join(","));
    }
    if let Some(subnets) = &spec.remote_subnet {
        push("RemoteSubnet".into(), subnets.join(","));
    }
    if let Some(ike) = ike_json(spec.ike_config.as_ref(), spec.psk.as_ref()) {
        push("IkeConfig".into(), ike);
    }
    if let Some(ipsec) = &spec.ipsec_config {
        push(
            "IpsecConfig".into(),
            serde_json::to_string(ipsec).unwrap_or_default(),
        );
    }
    if let Some(effect) = spec.effect_immediately {
        push("EffectImmediately".into(), effect.to_string());
    }
    if let Some(auto) = spec.auto_config_route {
        push("AutoConfigRoute".into(), auto.to_string());
    }
    for (i, tunnel) in spec.tunnels.iter().enumerate() {
        let at = |k: &str| format!("TunnelOptionsSpecification.{}.{k}", i + 1);
        if let Some(id) = &tunnel.id {
            push(at("TunnelId"), id.clone());
        }
        push(at("CustomerGatewayId"), tunnel.customer_gateway.clone());
        push(at("Role"), tunnel.role.clone());
        if let Some(dpd) = tunnel.enable_dpd {
            push(at("EnableDpd"), dpd.to_string());
        }
        if let Some(nat) = tunnel.enable_nat_traversal {
            push(at("EnableNatTraversal"), nat.to_string());
        }
        // Nested objects flattened, as the SDK's query encoding sends them.
        let ike = tunnel.ike_config.clone().unwrap_or_default();
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&ike) {
            for (k, v) in map {
                push(at(&format!("TunnelIkeConfig.{k}")), scalar(&v));
            }
        }
        if let Some(psk) = &tunnel.psk {
            push(at("TunnelIkeConfig.Psk"), psk.expose().to_owned());
        }
        if let Some(ipsec) = &tunnel.ipsec_config
            && let Ok(serde_json::Value::Object(map)) = serde_json::to_value(ipsec)
        {
            for (k, v) in map {
                push(at(&format!("TunnelIpsecConfig.{k}")), scalar(&v));
            }
        }
    }
}

/// A JSON scalar as a query value: a string without its quotes.
fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dual_tunnel_create_flattens_its_tunnels_and_a_single_one_puts_the_psk_in_ike_config() {
        let mut params = Vec::new();
        let spec = ConnectionSpec {
            local_subnet: Some(vec!["10.0.0.0/16".into()]),
            remote_subnet: Some(vec!["192.168.1.0/24".into(), "192.168.2.0/24".into()]),
            tunnels: vec![
                TunnelSpec {
                    customer_gateway: "cgw-a".into(),
                    role: "master".into(),
                    psk: Some("t1-canary".into()),
                    ike_config: Some(IkeConfig {
                        ike_version: Some("ikev2".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                TunnelSpec {
                    customer_gateway: "cgw-b".into(),
                    role: "slave".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        push_spec(&mut params, &spec);
        let text: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            text,
            [
                "LocalSubnet=10.0.0.0/16",
                "RemoteSubnet=192.168.1.0/24,192.168.2.0/24",
                "TunnelOptionsSpecification.1.CustomerGatewayId=cgw-a",
                "TunnelOptionsSpecification.1.Role=master",
                "TunnelOptionsSpecification.1.TunnelIkeConfig.IkeVersion=ikev2",
                "TunnelOptionsSpecification.1.TunnelIkeConfig.Psk=t1-canary",
                "TunnelOptionsSpecification.2.CustomerGatewayId=cgw-b",
                "TunnelOptionsSpecification.2.Role=slave",
            ]
        );

        let mut params = Vec::new();
        let single = ConnectionSpec {
            psk: Some("single-canary".into()),
            ike_config: Some(IkeConfig {
                ike_lifetime: Some(3600),
                ..Default::default()
            }),
            ..Default::default()
        };
        push_spec(&mut params, &single);
        assert_eq!(
            params,
            [(
                "IkeConfig".to_owned(),
                r#"{"IkeLifetime":3600,"Psk":"single-canary"}"#.to_owned()
            )]
        );
    }

    #[test]
    fn a_listed_connection_keeps_its_psks_secret() {
        let body = br#"{"TotalCount":1,"VpnConnections":{"VpnConnection":[{"VpnConnectionId":"vco-1","VpnGatewayId":"vpn-1","CustomerGatewayId":"","LocalSubnet":"10.0.0.0/16","RemoteSubnet":"192.168.0.0/24","State":"ike_sa_not_established","IkeConfig":{"IkeVersion":"ikev2","Psk":"conn-canary"},"TunnelOptionsSpecification":{"TunnelOptions":[{"TunnelId":"tun-1","CustomerGatewayId":"cgw-a","Role":"master","TunnelIkeConfig":{"Psk":"tunnel-canary","IkeLifetime":86400}}]}}]}}"#;
        let page: DescribePage = serde_json::from_slice(body).unwrap();
        let connection = page
            .vpn_connections
            .vpn_connection
            .into_iter()
            .next()
            .unwrap()
            .into_connection("cn-hangzhou");
        assert_eq!(
            connection.psk.as_ref().map(Secret::expose),
            Some("conn-canary")
        );
        assert_eq!(connection.ike_config.ike_version.as_deref(), Some("ikev2"));
        assert_eq!(connection.tunnels.len(), 1);
        assert_eq!(
            connection.tunnels[0].psk.as_ref().map(Secret::expose),
            Some("tunnel-canary")
        );
        assert_eq!(connection.tunnels[0].ike_config.ike_lifetime, Some(86400));
        let shown = format!("{connection:?}");
        assert!(!shown.contains("canary"), "{shown}");
    }
}
