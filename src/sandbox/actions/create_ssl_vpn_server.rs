//! `CreateSslVpnServer`: the SSL-VPN server of a gateway (`VpnGatewayId`,
//! `ClientIpPool`, `LocalSubnet` of at most five blocks; `Name`, `Proto`, `Port`,
//! `Cipher`, `Compress`). Asynchronous on the gateway's lane, like CreateIpsecServer:
//! the server exists from the answer on (DescribeSslVpnServers lists it while the
//! gateway configures, after the list lag), the gateway is `updating` for the
//! configure time.
//!
//! Checks, in order: parameters (`MissingVpnGatewayId`, `MissingClientIpPool`,
//! `MissingLocalSubnet`, then [`ServerSettings::parse`]'s), policy (403 `Forbidden` for
//! the gateway), the ClientToken (a repeat with the same parameters gets the first
//! answer, the same id, and no second server), the gateway (404
//! `InvalidVpnGatewayInstanceId.NotFound`; locked, busy), SSL-VPN enabled on it (400
//! `VpnGateway.SslVpnDisabled`), one server a gateway (400 `Resource.QuotaFull`, the
//! quota code the API documents for this call), the client pool outside the VPC and the
//! local subnets (`InvalidClientIpPool.ConflictWithVpc`,
//! `InvalidClientIpPool.ConflictWithLocalSubnet`, as for an IPsec server), the route the
//! pool becomes in the VPC's table (400 `QuotaExceeded.VpnRouteEntry`, documented),
//! then `DryRun` (`DryRunOperation`; a DryRun neither consults nor records tokens).
//! The answer is the create model's: `SslVpnServerId`, `Name`, `RequestId`.

use serde_json::{Value, json};

use super::settings::{check_client_pool, route_table_has_room};
use super::ssl_vpn::ServerSettings;
use super::{
    Mutation, denied, dry_run_passed, find_gateway, gateway_ready, now_millis, region, replay,
};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::ssl_vpn::{SSL_VPN_SERVER_PREFIX, SslVpnServer};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let gateway_id = req.required("VpnGatewayId")?;
    let pool = req.required("ClientIpPool")?;
    let local_subnet = req.required("LocalSubnet")?;
    let settings = ServerSettings::parse(req)?;
    let client_token = req.client_token()?;
    let dry_run = req.bool("DryRun")?;

    denied(inner, &[gateway_id])?;
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, dry_run, &fingerprint) {
        return first;
    }

    let world = inner.live.world();
    let gateway = find_gateway(world, gateway_id, region)?;
    gateway_ready(inner, gateway_id, gateway)?;
    if gateway.ssl_vpn != "enable" {
        return Err(ApiError::new(
            400,
            "VpnGateway.SslVpnDisabled",
            format!(
                "The SSL-VPN feature of the VPN gateway {gateway_id} is disabled: enable it before creating an SSL-VPN server."
            ),
        ));
    }
    if let Some((existing, _)) = world
        .ssl_vpn_servers
        .iter()
        .find(|(_, s)| s.vpn_gateway == gateway_id)
    {
        return Err(ApiError::new(
            400,
            "Resource.QuotaFull",
            format!(
                "The quota of resource is full: the VPN gateway {gateway_id} already has an SSL-VPN server ({existing}), and a gateway holds one."
            ),
        ));
    }
    let mut server = SslVpnServer::new(gateway_id, pool, local_subnet);
    settings.apply(&mut server);
    check_client_pool(Some(&server.client_ip_pool), &server.local_subnet, gateway)?;
    route_table_has_room(gateway_id, gateway)?;
    if dry_run {
        return Err(dry_run_passed());
    }

    let id = inner.live.next_id(
        SSL_VPN_SERVER_PREFIX,
        &format!("sandbox-ssl-vpn-server:{gateway_id}"),
    );
    server.create_time = Some(now_millis());
    let answer = json!({
        "RequestId": call.request_id,
        "SslVpnServerId": id,
        "Name": server.name.clone().unwrap_or_default(),
    });
    let mutation = Mutation {
        action: "CreateSslVpnServer",
        resource: &id,
        vpn_gateway: gateway_id,
        region,
        client_token,
        fingerprint,
        effect: "created",
    };
    mutation.on_lane(inner, call, &answer, |live, lane| {
        lane.create(live, &id, gateway_id, server)
    });
    Ok(answer)
}
