//! What the IPsec-VPN connection actions share: a connection found by id, the busy
//! check of a call on one, what the Describe calls show (the list lag included), and a
//! connection as the response models answer it (`alibabacloud_vpc20160428` 7.2.2:
//! `DescribeVpnConnectionResponseBody`, `DescribeVpnConnectionsResponseBody...
//! VpnConnection`, `ModifyVpnConnectionAttributeResponseBody`).
//!
//! The PSKs are answered in clear text (`IkeConfig.Psk`, and each tunnel's
//! `TunnelIkeConfig.Psk`), as Alibaba does: the client is the one that must drop them.
//! `Status` is the IKE negotiation's, `ike_sa_not_established` (there is no peer), and
//! `State` is always `active`: neither says whether the gateway is still configuring
//! the connection, which only the gateway's status tells.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::child_ready;
use crate::sandbox::attributes::{IkeConfig, IpsecConfig, cidr};
use crate::sandbox::connections::{
    BgpConfig, CustomerGateway, DEFAULT_CREATE_TIME, Tunnel, VpnConnection, tunnel_id,
};
use crate::sandbox::inner::Inner;
use crate::sandbox::wire::ApiError;
use crate::sandbox::world::{Gateway, World};

/// The response model a connection is answered in: they differ in a few fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Model {
    /// DescribeVpnConnection.
    Describe,
    /// An item of DescribeVpnConnections.
    List,
    /// ModifyVpnConnectionAttribute.
    Modify,
}

/// A connection by id whose gateway is in the region (404
/// `InvalidVpnConnectionInstanceId.NotFound`), with its gateway.
pub(super) fn find<'w>(
    world: &'w World,
    id: &str,
    region: &str,
) -> Result<(&'w VpnConnection, &'w Gateway), ApiError> {
    world
        .vpn_connections
        .get(id)
        .and_then(|c| Some((c, world.vpn_gateways.get(&c.vpn_gateway)?)))
        .filter(|(_, g)| g.region == region)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "InvalidVpnConnectionInstanceId.NotFound",
                format!("The specified vpn connection instance id {id} does not exist."),
            )
        })
}

/// [`child_ready`] for a call on a connection: `VpnConnection.Configuring` while an
/// operation on the connection itself configures.
pub(super) fn connection_ready(
    inner: &Inner,
    connection_id: &str,
    gateway_id: &str,
    gateway: &Gateway,
) -> Result<(), ApiError> {
    child_ready(
        inner,
        connection_id,
        gateway_id,
        gateway,
        (
            "VpnConnection.Configuring",
            format!(
                "The specified IPsec-VPN connection {connection_id} is being configured. Try again later."
            ),
        ),
    )
}

/// The connections the Describe calls show: what exists, and a deleted or changed one
/// as it was while the list lag lasts, less the created ones the lag still hides.
pub(super) fn shown(inner: &Inner) -> BTreeMap<&String, &VpnConnection> {
    super::shown(inner, &inner.live.world().vpn_connections)
}

/// A connection as `model` answers it.
pub(super) fn json(
    world: &World,
    id: &str,
    c: &VpnConnection,
    gateway: Option<&Gateway>,
    model: Model,
) -> Value {
    let gateway_ip = gateway.map(Gateway::internet_ip).unwrap_or_default();
    let customer_gateway = |cgw: &str| world.customer_gateways.get(cgw);
    let mut answer = json!({
        "VpnConnectionId": id,
        "VpnGatewayId": c.vpn_gateway,
        "Name": c.name.clone().unwrap_or_default(),
        "LocalSubnet": c.local_subnet,
        "RemoteSubnet": c.remote_subnet,
        "CreateTime": c.create_time.unwrap_or(DEFAULT_CREATE_TIME),
        "EffectImmediately": c.effect_immediately,
        "EnableDpd": c.enable_dpd,
        "EnableNatTraversal": c.enable_nat_traversal,
        "EnableTunnelsBgp": c.enable_tunnels_bgp,
        "ResourceGroupId": gateway.map(|g| g.resource_group_id.clone()).unwrap_or_default(),
        "TunnelOptionsSpecification": {
            "TunnelOptions": c.tunnels.iter().enumerate().map(|(i, t)| {
                tunnel_json(id, i + 1, t, &gateway_ip, customer_gateway(&t.customer_gateway), model)
            }).collect::<Vec<Value>>(),
        },
    });
    if let Some(cgw_id) = &c.customer_gateway {
        let cgw = customer_gateway(cgw_id);
        answer["CustomerGatewayId"] = cgw_id.as_str().into();
        answer["IkeConfig"] = ike_json(&c.ike_config, c.psk_or_default(id), &gateway_ip, cgw);
        answer["IpsecConfig"] = ipsec_json(&c.ipsec_config);
        let mut bgp = bgp_json(&c.bgp.clone().unwrap_or_default(), cgw);
        if model != Model::List {
            bgp["EnableBgp"] = c.bgp.as_ref().is_some_and(|b| b.enable).to_string().into();
        }
        answer["VpnBgpConfig"] = bgp;
        answer["VcoHealthCheck"] = health_json(c, model);
    }
    match model {
        Model::Describe | Model::List => {
            answer["Status"] = "ike_sa_not_established".into();
            answer["State"] = "active".into();
            answer["InternetIp"] = gateway_ip.into();
            answer["NetworkType"] = "public".into();
            answer["AttachType"] = "VPNGW".into();
            let tags = if model == Model::List { "Tag" } else { "Tags" };
            answer[tags] = json!({ "Tag": [] });
        }
        Model::Modify => answer["Description"] = "".into(),
    }
    answer
}

fn tunnel_json(
    connection_id: &str,
    index: usize,
    t: &Tunnel,
    gateway_ip: &str,
    cgw: Option<&CustomerGateway>,
    model: Model,
) -> Value {
    let mut bgp = bgp_json(&t.bgp.clone().unwrap_or_default(), cgw);
    // The tunnel models call the BGP status `BgpStatus`.
    if let Some(status) = bgp.as_object_mut().and_then(|b| b.remove("Status")) {
        bgp["BgpStatus"] = status;
    }
    let mut answer = json!({
        "TunnelId": tunnel_id(connection_id, index),
        "CustomerGatewayId": t.customer_gateway,
        "Role": t.role,
        "State": "active",
        "EnableDpd": t.enable_dpd,
        "EnableNatTraversal": t.enable_nat_traversal,
        "InternetIp": gateway_ip,
        "TunnelIkeConfig": ike_json(&t.ike_config, t.psk_or_default(connection_id, index), gateway_ip, cgw),
        "TunnelIpsecConfig": ipsec_json(&t.ipsec_config),
        "TunnelBgpConfig": bgp,
    });
    if model != Model::Modify {
        answer["TunnelIndex"] = index.into();
        answer["Status"] = "ike_sa_not_established".into();
    }
    answer
}

/// `IkeConfig` with its PSK; `LocalId` defaults to the gateway's address and
/// `RemoteId` to the customer gateway's, as the request model says.
fn ike_json(
    ike: &IkeConfig,
    psk: String,
    gateway_ip: &str,
    cgw: Option<&CustomerGateway>,
) -> Value {
    let or = |given: &str, default: &str| {
        if given.is_empty() {
            default.to_owned()
        } else {
            given.to_owned()
        }
    };
    json!({
        "IkeVersion": ike.ike_version,
        "IkeMode": ike.ike_mode,
        "IkeEncAlg": ike.ike_enc_alg,
        "IkeAuthAlg": ike.ike_auth_alg,
        "IkePfs": ike.ike_pfs,
        "IkeLifetime": ike.ike_lifetime,
        "LocalId": or(&ike.local_id, gateway_ip),
        "RemoteId": or(&ike.remote_id, cgw.map(|g| g.ip_address.as_str()).unwrap_or_default()),
        "Psk": psk,
    })
}

fn ipsec_json(ipsec: &IpsecConfig) -> Value {
    json!({
        "IpsecEncAlg": ipsec.ipsec_enc_alg,
        "IpsecAuthAlg": ipsec.ipsec_auth_alg,
        "IpsecPfs": ipsec.ipsec_pfs,
        "IpsecLifetime": ipsec.ipsec_lifetime,
    })
}

/// BGP as answered: the peer's ASN is the customer gateway's (when it has one), the
/// peer's address the other host of the tunnel's /30; never established (no peer).
fn bgp_json(bgp: &BgpConfig, cgw: Option<&CustomerGateway>) -> Value {
    let peer_ip = cidr(&bgp.tunnel_cidr)
        .ok()
        .and_then(|net| {
            net.hosts()
                .map(|h| h.to_string())
                .find(|h| *h != bgp.local_bgp_ip)
        })
        .unwrap_or_default();
    let mut answer = json!({
        "LocalAsn": bgp.local_asn,
        "LocalBgpIp": bgp.local_bgp_ip,
        "PeerBgpIp": peer_ip,
        "TunnelCidr": bgp.tunnel_cidr,
        "Status": "false",
    });
    if let Some(asn) = cgw.and_then(|g| g.asn) {
        answer["PeerAsn"] = asn.into();
    }
    answer
}

/// `VcoHealthCheck`: `Enable` as the string `"true"` or `"false"`, as every model types
/// it; `Policy` and `Status` only where the Describe models have them.
fn health_json(c: &VpnConnection, model: Model) -> Value {
    let check = c.health_check.clone().unwrap_or_default();
    let mut answer = json!({
        "Enable": check.enable.to_string(),
        "Dip": check.dip,
        "Sip": check.sip,
        "Interval": check.interval,
        "Retry": check.retry,
    });
    if model != Model::Modify {
        answer["Policy"] = check.policy.into();
        answer["Status"] = if check.enable { "failed" } else { "" }.into();
    }
    answer
}
