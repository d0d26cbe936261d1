//! `CreateVpnGateway`: a new gateway in a VPC (`VpcId`, `Bandwidth`;
//! `InstanceChargeType` `POSTPAY` (the default: pay-as-you-go, `ChargeType`
//! `PostpayByFlow`) or `PREPAY` (subscription, `Prepay`, with `Period` in months: 1-9,
//! 12, 24 or 36), `VSwitchId` and `DisasterRecoveryVSwitchId`, `EnableSsl` (default
//! false), `SslConnections` (default 5), `EnableIpsec` (default true), `NetworkType`
//! (`public`, `private`), `VpnType` (`Normal`, `NationalStandard`), `AutoPay`, `Name`,
//! `ResourceGroupId`). The gateway exists from the answer on: `init` for the first half
//! of the create time (`SandboxConfig::gateway_create_time`), `provisioning` for the
//! second, then `active`; until then every mutation on it is refused
//! (`IncorrectStatus.VpnGateway`). It is in the VPC's CIDR block as another gateway of
//! the VPC has it, else the default one.
//!
//! Checks, in order: parameters (`MissingVpcId`, `MissingBandwidth`, `MissingPeriod`
//! for a subscription; `InvalidName`; `InvalidParameter` for a bandwidth the network
//! type does not come in (5, 10, 20, 50, 100, 200, 500 or 1000 Mbit/s public, 200 or
//! 1000 private), a period, a connection count, a charge type, network type or VPN type
//! outside its list), the VPC (404 `InvalidVpcId.NotFound` for an id that is not
//! `vpc-...`: the world has no VPCs to look in), policy (403 `Forbidden` for the VPC),
//! the ClientToken (a repeat with the same parameters gets the first answer, the same
//! id, and no second gateway), 30 gateways in the account (400 `Resource.QuotaFull`,
//! documented). No `DryRun`: the API has none here, so a `DryRun=true` acts. The answer
//! is the create model's: `VpnGatewayId`, `Name` (the id when none was given, as the
//! request model says), `OrderId`, `RequestId`. The audit entry's `configured_at` is
//! when the gateway turns `active`.

use serde_json::{Value, json};
use sha2::Digest as _;

use super::{Mutation, denied, gateway_name, now_millis, region, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};
use crate::sandbox::world::{
    CHARGE_TYPES, GATEWAYS_PER_ACCOUNT, Gateway, NETWORK_TYPES, SSL_CONNECTIONS, VPN_TYPES,
    bandwidths,
};

/// A subscription's `Period`, in months.
const PERIODS: [u64; 12] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36];

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let vpc_id = req.required("VpcId")?;
    req.required("Bandwidth")?;
    let network_type = one_of(req, "NetworkType", &NETWORK_TYPES)?;
    let vpn_type = one_of(req, "VpnType", &VPN_TYPES)?;
    let bandwidth = listed(req, "Bandwidth", bandwidths(network_type), 0)?;
    let ssl_connections = listed(req, "SslConnections", &SSL_CONNECTIONS, 5)?;
    let charge_type = charge_type(req)?;
    let enable_ssl = req.bool("EnableSsl")?;
    let enable_ipsec = req.get("EnableIpsec").is_none() || req.bool("EnableIpsec")?;
    req.bool("AutoPay")?;
    let name = gateway_name(req)?;
    let client_token = req.client_token()?;
    if !crate::id::is_id(vpc_id, "vpc-") {
        return Err(ApiError::new(
            404,
            "InvalidVpcId.NotFound",
            format!("The specified VpcId {vpc_id} does not exist."),
        ));
    }

    denied(inner, &[vpc_id])?;
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }
    let world = inner.live.world();
    let count = world.vpn_gateways.len();
    if count >= GATEWAYS_PER_ACCOUNT {
        return Err(ApiError::new(
            400,
            "Resource.QuotaFull",
            format!(
                "The quota of resource is full: the account holds {count} VPN gateways, its quota of {GATEWAYS_PER_ACCOUNT}."
            ),
        ));
    }

    let vpc_cidr = (world.vpn_gateways.iter())
        .find(|(other, g)| g.vpc_id(other) == vpc_id)
        .map(|(_, g)| g.vpc_cidr.clone());
    let id = inner.live.next_id(
        crate::id::VPN_GATEWAY_PREFIX,
        &format!("sandbox-gateway:{region}:{vpc_id}"),
    );
    let switch = |on: bool| if on { "enable" } else { "disable" }.to_owned();
    let mut gateway = Gateway::new(region);
    gateway.vpc_id = Some(vpc_id.to_owned());
    if let Some(cidr) = vpc_cidr {
        gateway.vpc_cidr = cidr;
    }
    gateway.name = name.map(str::to_owned);
    gateway.charge_type = charge_type.to_owned();
    gateway.bandwidth = bandwidth;
    gateway.ssl_vpn = switch(enable_ssl);
    gateway.ipsec_vpn = switch(enable_ipsec);
    gateway.ssl_connections = ssl_connections;
    gateway.vswitch_id = req.get("VSwitchId").map(str::to_owned);
    gateway.disaster_recovery_vswitch_id = req.get("DisasterRecoveryVSwitchId").map(str::to_owned);
    gateway.network_type = network_type.to_owned();
    gateway.vpn_type = vpn_type.to_owned();
    gateway.create_time = Some(now_millis());
    if let Some(group) = req.get("ResourceGroupId") {
        gateway.resource_group_id = group.to_owned();
    }
    let answer = json!({
        "RequestId": call.request_id,
        "VpnGatewayId": id,
        "Name": name.unwrap_or(&id),
        "OrderId": order_id(&id),
    });

    let create_time = inner.dice.configure_time(inner.config.gateway_create_time);
    let (provisioning, active) = (call.now + create_time / 2, call.now + create_time);
    inner
        .live
        .begin_gateway_create(&id, gateway, provisioning, active);
    let mutation = Mutation {
        action: "CreateVpnGateway",
        resource: &id,
        vpn_gateway: &id,
        region,
        client_token,
        fingerprint,
        effect: "created",
    };
    mutation.done(inner, call, &answer, active, None);
    Ok(answer)
}

/// `InstanceChargeType`: the world's `ChargeType` it makes, `Period` checked for a
/// subscription.
fn charge_type(req: &Request) -> Result<&'static str, ApiError> {
    match req.get("InstanceChargeType") {
        None | Some("POSTPAY") => Ok(CHARGE_TYPES[0]),
        Some("PREPAY") => {
            req.required("Period")?;
            listed(req, "Period", &PERIODS, 0)?;
            Ok(CHARGE_TYPES[1])
        }
        Some(_) => Err(ApiError::invalid(
            "InstanceChargeType",
            "it is POSTPAY (pay-as-you-go) or PREPAY (subscription, with a Period).",
        )),
    }
}

/// An enumerated parameter: one of `allowed`, the first when absent.
fn one_of<'a>(req: &Request, name: &str, allowed: &[&'a str]) -> Result<&'a str, ApiError> {
    match req.get(name) {
        None => Ok(allowed[0]),
        Some(value) => allowed
            .iter()
            .find(|a| **a == value)
            .copied()
            .ok_or_else(|| {
                ApiError::invalid(name, &format!("it is one of {}.", allowed.join(", ")))
            }),
    }
}

/// A number parameter from a list, `default` when absent.
fn listed<T>(req: &Request, name: &str, allowed: &[T], default: T) -> Result<T, ApiError>
where
    T: Copy + PartialEq + std::fmt::Display + std::str::FromStr,
{
    let Some(text) = req.get(name) else {
        return Ok(default);
    };
    text.parse::<T>()
        .ok()
        .filter(|n| allowed.contains(n))
        .ok_or_else(|| {
            let values: Vec<String> = allowed.iter().map(T::to_string).collect();
            ApiError::invalid(name, &format!("it is one of {}.", values.join(", ")))
        })
}

/// The order a create places: digits derived from the gateway's id.
fn order_id(gateway_id: &str) -> String {
    let digest = sha2::Sha256::digest(format!("sandbox-order:{gateway_id}"));
    let number = u64::from_be_bytes(digest[..8].try_into().unwrap_or_default());
    format!("{:015}", number % 1_000_000_000_000_000)
}
