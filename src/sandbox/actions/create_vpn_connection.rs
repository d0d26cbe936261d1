//! `CreateVpnConnection`: an IPsec-VPN connection on a gateway, single tunnel
//! (`CustomerGatewayId`, with `IkeConfig` and its `Psk`, `IpsecConfig`, `BgpConfig`,
//! `HealthCheckConfig`, `EnableDpd`, `EnableNatTraversal`) or dual tunnel
//! (`TunnelOptionsSpecification.1` and `.2`, one `master` and one `slave`, each with its
//! customer gateway and settings). Asynchronous on the gateway's lane, like
//! CreateIpsecServer: the connection exists from the answer on (described while it
//! configures, and calls on it meet `VpnConnection.Configuring`), the gateway is
//! `updating` for the configure time (after the status lag), and a Describe still
//! leaves it out for the list lag after that.
//!
//! Checks, in order: parameters (`MissingVpnGatewayId`, `MissingLocalSubnet`,
//! `MissingRemoteSubnet`, `MissingCustomerGatewayId` for a single tunnel;
//! `IllegalParam.LocalSubnet`, `IllegalParam.RemoteSubnet`; `InvalidName`; everything
//! else `InvalidParameter`, see [`super::connection_settings`]), policy (403 `Forbidden`
//! for the action, the gateway or a customer gateway), the ClientToken (a repeat with the
//! same parameters gets the first answer, the same new id, and no second connection),
//! the gateway (404 `InvalidVpnGatewayInstanceId.NotFound`), the customer gateways (404
//! `InvalidCustomerGatewayInstanceId.NotFound`, also for one in another region), the
//! gateway free (`VpnGateway.FinancialLocked`, `VpnGateway.Configuring`,
//! `VpnTask.CONFLICT`), no IPsec server on it (`OperationFailed.IPsecServerExist`, the
//! code CreateIpsecServer documents for a gateway that holds one: the API documents
//! none for this call), ten connections per gateway, anonymous ones included
//! (`Resource.QuotaFull`, the quota code this call documents), no other connection of
//! the same customer gateway on the gateway (`InvalidVpnConnection.AlreadyExists`), then
//! `DryRun` (`DryRunOperation`: a DryRun neither consults nor records tokens).
//!
//! A connection created without a PSK gets one of 16 characters (each tunnel its own),
//! which Describe answers. The answer is the response model's: `VpnConnectionId`,
//! `Name`, `CreateTime`, `RequestId`.

use serde_json::{Value, json};

use super::connection_settings::ConnectionSettings;
use super::{
    Effect, customer_gateways, dry_run_passed, find_gateway, gateway_ready, lane, now_millis,
    record, region, remember, replay,
};
use crate::sandbox::connections::{CONNECTIONS_PER_GATEWAY, VPN_CONNECTION_PREFIX, VpnConnection};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let gateway_id = req.required("VpnGatewayId")?;
    req.required("LocalSubnet")?;
    req.required("RemoteSubnet")?;
    let client_token = req.client_token()?;
    let dry_run = req.bool("DryRun")?;
    let settings = ConnectionSettings::parse(req)?;
    let dual_tunnel = settings.is_dual_tunnel();
    settings.check_shape(dual_tunnel)?;
    let mut connection = if dual_tunnel {
        if req.get("CustomerGatewayId").is_some() {
            return Err(ApiError::invalid(
                "CustomerGatewayId",
                "a dual-tunnel connection gives each tunnel's in TunnelOptionsSpecification.N.CustomerGatewayId.",
            ));
        }
        VpnConnection {
            tunnels: settings.new_tunnels()?,
            ..VpnConnection::new(gateway_id, None)
        }
    } else {
        VpnConnection::new(gateway_id, Some(req.required("CustomerGatewayId")?))
    };
    settings.apply(&mut connection, "")?;

    let policy = &inner.config.policy;
    if policy.deny_resources.contains(gateway_id)
        || connection
            .customer_gateways()
            .any(|g| policy.deny_resources.contains(g))
    {
        return Err(ApiError::forbidden());
    }
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, dry_run, &fingerprint) {
        return first;
    }

    let world = inner.live.world();
    let gateway = find_gateway(world, gateway_id, region)?;
    for customer_gateway in connection.customer_gateways() {
        customer_gateways::find(world, customer_gateway, region)?;
    }
    gateway_ready(inner, gateway_id, gateway)?;
    if let Some((server, _)) = world
        .ipsec_servers
        .iter()
        .find(|(_, s)| s.vpn_gateway == gateway_id)
    {
        return Err(ApiError::new(
            400,
            "OperationFailed.IPsecServerExist",
            format!(
                "An IPsec server already exists in the VPN gateway {gateway_id} ({server}): a gateway with an IPsec server holds no IPsec-VPN connection."
            ),
        ));
    }
    let on_gateway: Vec<(&String, &VpnConnection)> = world
        .vpn_connections
        .iter()
        .filter(|(_, c)| c.vpn_gateway == gateway_id)
        .collect();
    let count = on_gateway.len() + gateway.ipsec_connections as usize;
    if count >= CONNECTIONS_PER_GATEWAY {
        return Err(ApiError::new(
            400,
            "Resource.QuotaFull",
            format!(
                "The quota of resource is full: the VPN gateway {gateway_id} holds {count} IPsec-VPN connections, its quota of {CONNECTIONS_PER_GATEWAY}."
            ),
        ));
    }
    let duplicate = on_gateway.iter().find_map(|(id, existing)| {
        connection
            .customer_gateways()
            .find(|g| existing.customer_gateways().any(|e| e == *g))
            .map(|g| (id, g))
    });
    if let Some((existing, customer_gateway)) = duplicate {
        return Err(ApiError::new(
            400,
            "InvalidVpnConnection.AlreadyExists",
            format!(
                "Vpn connection already exists: {existing} connects the VPN gateway {gateway_id} to the customer gateway {customer_gateway}."
            ),
        ));
    }
    if dry_run {
        return Err(dry_run_passed());
    }

    let id = inner.live.next_id(
        VPN_CONNECTION_PREFIX,
        &format!("sandbox-connection:{gateway_id}"),
    );
    let create_time = now_millis();
    connection.create_time = Some(create_time);
    // The cloud generates the keys not given; the sandbox derives them from the id.
    if !dual_tunnel && connection.psk.is_none() {
        connection.psk = Some(connection.psk_or_default(&id).into());
    }
    for (i, tunnel) in connection.tunnels.iter_mut().enumerate() {
        if tunnel.psk.is_none() {
            tunnel.psk = Some(tunnel.psk_or_default(&id, i + 1).into());
        }
    }
    let answer = json!({
        "RequestId": call.request_id,
        "VpnConnectionId": id,
        "Name": connection.name.clone().unwrap_or_default(),
        "CreateTime": create_time,
    });
    let lane = lane(inner, gateway_id, call);
    inner.live.begin_create(
        &id,
        gateway_id,
        connection,
        Some(lane.shows_from),
        lane.until,
        lane.list_lag,
    );
    record(
        inner,
        call,
        Effect {
            action: "CreateVpnConnection",
            resource: &id,
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
