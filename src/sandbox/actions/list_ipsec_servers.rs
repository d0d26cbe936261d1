//! `ListIpsecServers`: a region's servers, optionally filtered by `VpnGatewayId`,
//! `IpsecServerId.N` (numbered from 1 without a gap), `IpsecServerName` and
//! `ResourceGroupId` (a server's is its gateway's), paged by `MaxResults` (1-20,
//! default 10) and `NextToken`; the request model has no other filter (no `VpcId`), and
//! the cloud ignores parameters it does not know. Every field of the response model
//! (`alibabacloud_vpc20160428` 7.2.2, `ListIpsecServersResponseBodyIpsecServers`) is
//! answered, the PSK in clear text as Alibaba does: the client is the one that must
//! drop it. `IkeConfig.LocalId` defaults to the gateway's public IP, as the model says.
//!
//! `NextToken` names the last id of the previous page, so paging stays consistent
//! while servers disappear between pages. The last page answers `NextToken: ""`.

use base64::Engine as _;
use serde_json::{Value, json};

use super::region;
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};
use crate::sandbox::world::Gateway;

const TOKEN_PREFIX: &str = "sandbox-after:";

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let max_results = req.int("MaxResults", 1, 20, 10)? as usize;
    let after = match req.get("NextToken") {
        None => None,
        Some(token) => Some(decode_token(token).ok_or_else(|| {
            ApiError::invalid("NextToken", "it is not a token this API returned.")
        })?),
    };
    let gateway = req.get("VpnGatewayId");
    let ids = req.list("IpsecServerId")?;
    let name = req.get("IpsecServerName");
    let resource_group = req.get("ResourceGroupId");
    let world = inner.live.world();
    // Deleted servers still shown (the list lag) are answered as if they were there.
    let shown: std::collections::BTreeMap<&String, &crate::sandbox::IpsecServer> = world
        .ipsec_servers
        .iter()
        .chain(inner.live.ghosts::<crate::sandbox::IpsecServer>())
        .collect();
    let matching: Vec<(&String, &crate::sandbox::IpsecServer, &Gateway)> = shown
        .into_iter()
        .filter(|(id, s)| {
            !inner.live.is_hidden(id)
                && gateway.is_none_or(|g| g == s.vpn_gateway)
                && (ids.is_empty() || ids.contains(&id.as_str()))
                && name.is_none_or(|n| Some(n) == s.name.as_deref())
        })
        .filter_map(|(id, s)| {
            let g = world.vpn_gateways.get(&s.vpn_gateway)?;
            (g.region == region && resource_group.is_none_or(|r| r == g.resource_group_id))
                .then_some((id, s, g))
        })
        .collect();
    let total = matching.len();
    let rest: Vec<_> = matching
        .into_iter()
        .filter(|(id, ..)| after.as_deref().is_none_or(|a| id.as_str() > a))
        .collect();
    let page: Vec<Value> = rest
        .iter()
        .take(max_results)
        .map(|(id, s, g)| {
            // Both are "the public IP address of the VPN gateway" in the model.
            let internet_ip = s.internet_ip.clone().unwrap_or_else(|| g.internet_ip());
            let local_id = if s.ike_config.local_id.is_empty() {
                internet_ip.clone()
            } else {
                s.ike_config.local_id.clone()
            };
            json!({
                "IpsecServerId": id,
                "IpsecServerName": s.name.clone().unwrap_or_default(),
                "VpnGatewayId": s.vpn_gateway,
                "RegionId": region,
                "LocalSubnet": s.local_subnet.clone().unwrap_or_else(|| "192.168.0.0/24".to_owned()),
                "ClientIpPool": s.client_ip_pool.clone().unwrap_or_else(|| "10.10.0.0/16".to_owned()),
                "InternetIp": internet_ip,
                "PskEnabled": s.psk_enabled,
                "Psk": s.psk_or_default(id),
                "EffectImmediately": s.effect_immediately,
                "MultiFactorAuthEnabled": s.multi_factor_auth_enabled,
                "OnlineClientCount": s.online_client_count,
                "MaxConnections": s.max_connections,
                "CreationTime": s.creation_time.clone().unwrap_or_else(|| "2024-01-02T03:04:05Z".to_owned()),
                "IDaaSInstanceId": "",
                "ResourceGroupId": g.resource_group_id,
                "IkeConfig": {
                    "IkeVersion": s.ike_config.ike_version,
                    "IkeMode": s.ike_config.ike_mode,
                    "IkeEncAlg": s.ike_config.ike_enc_alg,
                    "IkeAuthAlg": s.ike_config.ike_auth_alg,
                    "IkePfs": s.ike_config.ike_pfs,
                    "IkeLifetime": s.ike_config.ike_lifetime,
                    "LocalId": local_id,
                    "RemoteId": s.ike_config.remote_id,
                },
                "IpsecConfig": {
                    "IpsecEncAlg": s.ipsec_config.ipsec_enc_alg,
                    "IpsecAuthAlg": s.ipsec_config.ipsec_auth_alg,
                    "IpsecPfs": s.ipsec_config.ipsec_pfs,
                    "IpsecLifetime": s.ipsec_config.ipsec_lifetime,
                },
            })
        })
        .collect();
    let next_token = if rest.len() > max_results {
        encode_token(rest[max_results - 1].0)
    } else {
        String::new()
    };
    Ok(json!({
        "RequestId": call.request_id,
        "TotalCount": total,
        "MaxResults": max_results,
        "NextToken": next_token,
        "IpsecServers": page,
    }))
}

fn encode_token(last_id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{last_id}"))
}

fn decode_token(token: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix(TOKEN_PREFIX)
        .map(str::to_owned)
}
