//! `CreateIpsecServer`: a new server on a gateway. Asynchronous like a delete: the
//! gateway turns `updating` for the configure time, then the server is there (with every
//! attribute ListIpsecServers answers) and the gateway `active` again.
//!
//! Checks, in order: parameters (`MissingLocalSubnet`, `MissingClientIpPool`, CIDR and
//! JSON syntax, lengths, ranges, enumerated algorithms: `InvalidParameter`), policy (403
//! `Forbidden` for the action or the gateway), the ClientToken (as a delete's: a repeat
//! with the same parameters gets the first answer, the same new id, and no second
//! effect), the gateway (404 `InvalidVpnGatewayInstanceId.NotFound`, locked, busy), the
//! preconditions (`OperationUnsupported.IPsecServer`: a gateway version too old;
//! `OperationFailed.IPsecServerExist`: one server per gateway, configured or still
//! configuring; `VpnGateway.SslVpnDisabled`; `OperationFailed.IpsecConnectionExist`: no
//! IPsec connection on the gateway, anonymous or under `vpn_connections`, configured or
//! still configuring), the client CIDR against the VPC and the local subnets, the route
//! the client CIDR becomes in the VPC's route table (`QuotaExceeded.VpnRouteEntry` when
//! it is full), then `DryRun`. Codes as API.md's "IPsec-server details" gives them.
//!
//! The new server exists from the moment the create is accepted: ListIpsecServers
//! lists it while its gateway configures, and calls on it meet the gateway busy.

use serde_json::{Value, json};

use super::settings::{Settings, check_against_gateway, route_table_has_room};
use super::{Effect, dry_run_passed, gateway_ready, lane, record, region, remember, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};
use crate::sandbox::world::IpsecServer;

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let gateway_id = req.required("VpnGatewayId")?;
    req.required("LocalSubnet")?;
    req.required("ClientIpPool")?;
    let client_token = req.client_token()?;
    let dry_run = req.bool("DryRun")?;
    let settings = Settings::parse(req, "IpSecServerName")?;

    if inner.config.policy.deny_resources.contains(gateway_id) {
        return Err(ApiError::forbidden());
    }
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, dry_run, &fingerprint) {
        return first;
    }

    let world = inner.live.world();
    let gateway = world
        .vpn_gateways
        .get(gateway_id)
        .filter(|g| g.region == region)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "InvalidVpnGatewayInstanceId.NotFound",
                format!("The specified VpnGatewayId {gateway_id} does not exist."),
            )
        })?;
    gateway_ready(inner, gateway_id, gateway)?;
    if !gateway.supports_ipsec_server {
        return Err(ApiError::new(
            400,
            "OperationUnsupported.IPsecServer",
            format!(
                "The VPN gateway {gateway_id} does not support IPsec servers: its version is too old. Upgrade the VPN gateway first."
            ),
        ));
    }
    if let Some((existing, _)) = world
        .ipsec_servers
        .iter()
        .find(|(_, s)| s.vpn_gateway == gateway_id)
    {
        return Err(ApiError::new(
            400,
            "OperationFailed.IPsecServerExist",
            format!(
                "The VPN gateway {gateway_id} already has an IPsec server ({existing}): a gateway holds one."
            ),
        ));
    }
    if gateway.ssl_vpn != "enable" {
        return Err(ApiError::new(
            400,
            "VpnGateway.SslVpnDisabled",
            format!(
                "The SSL-VPN feature of the VPN gateway {gateway_id} is disabled: enable it before creating an IPsec server."
            ),
        ));
    }
    let connections = gateway.ipsec_connections as usize
        + world
            .vpn_connections
            .values()
            .filter(|c| c.vpn_gateway == gateway_id)
            .count();
    if connections > 0 {
        return Err(ApiError::new(
            400,
            "OperationFailed.IpsecConnectionExist",
            format!(
                "The VPN gateway {gateway_id} has {connections} IPsec-VPN connection(s): delete them before creating an IPsec server."
            ),
        ));
    }
    let mut server = IpsecServer::new(gateway_id);
    settings.apply(&mut server)?;
    check_against_gateway(&server, gateway)?;
    route_table_has_room(gateway_id, gateway)?;
    if dry_run {
        return Err(dry_run_passed());
    }

    let internet_ip = gateway.internet_ip();
    let server_id = inner.live.next_server_id(gateway_id);
    let creation_time = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    server.internet_ip = Some(internet_ip);
    server.creation_time = Some(creation_time.clone());
    if server.psk.is_none() {
        // The cloud generates one; the sandbox derives it from the id (see IpsecServer).
        server.psk = Some(server.psk_or_default(&server_id).into());
    }
    let answer = json!({
        "RequestId": call.request_id,
        "IpsecServerId": server_id,
        "IpsecServerName": server.name.clone().unwrap_or_default(),
        "VpnGatewayId": gateway_id,
        "RegionId": region,
        "LocalSubnet": server.local_subnet.clone().unwrap_or_default(),
        "ClientIpPool": server.client_ip_pool.clone().unwrap_or_default(),
        "CreationTime": creation_time,
    });
    let lane = lane(inner, gateway_id, call);
    inner.live.begin_create(
        &server_id,
        gateway_id,
        server,
        Some(lane.shows_from),
        lane.until,
        lane.list_lag,
    );
    record(
        inner,
        call,
        Effect {
            action: "CreateIpsecServer",
            resource: &server_id,
            vpn_gateway: gateway_id,
            region,
            client_token,
            effect: "created",
            configured_at: lane.until,
            gateway_active_since: lane.active_since,
        },
    );
    remember(inner, client_token, fingerprint, &answer);
    Ok(answer)
}
