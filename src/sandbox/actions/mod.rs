//! The API actions the sandbox answers, one file each, and the [`Action`] enum that
//! routes to them. An action name the sandbox does not know is refused by
//! [`Action::parse`] with 404 `InvalidAction.NotFound`, as Alibaba answers it, before
//! any rate limit or fault applies.

mod connection_settings;
mod connections;
mod create_customer_gateway;
mod create_ipsec_server;
mod create_vpn_connection;
mod customer_gateways;
mod delete_customer_gateway;
mod delete_ipsec_server;
mod delete_vpn_connection;
mod describe_customer_gateway;
mod describe_customer_gateways;
mod describe_vpn_connection;
mod describe_vpn_connections;
mod describe_vpn_gateway;
mod describe_vpn_gateways;
mod list_ipsec_servers;
mod modify_customer_gateway_attribute;
mod modify_vpn_connection_attribute;
mod modify_vpn_gateway_attribute;
pub(crate) mod settings;
mod update_ipsec_server;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::audit::AuditEntry;
use super::inner::{Call, Inner};
use super::wire::{ApiError, Request};
use super::connections::DEFAULT_CREATE_TIME;
use super::world::Gateway;

/// The [`Action`] enum, its API names and the module that runs each: one line per action.
macro_rules! actions {
    ($($variant:ident => $module:ident),+ $(,)?) => {
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub(crate) enum Action {
            $($variant),+
        }

        impl Action {
            pub(crate) fn parse(name: &str) -> Result<Action, ApiError> {
                match name {
                    $(stringify!($variant) => Ok(Action::$variant),)+
                    other => Err(ApiError::new(
                        404,
                        "InvalidAction.NotFound",
                        format!(
                            "Specified api {other} is not found, please check your url and method."
                        ),
                    )),
                }
            }

            pub(crate) fn name(&self) -> &str {
                match self {
                    $(Action::$variant => stringify!($variant),)+
                }
            }

            /// Runs the action on an authenticated request; the world is settled to
            /// `call.now`.
            pub(super) fn execute(
                &self,
                req: &Request,
                inner: &mut Inner,
                call: &Call,
            ) -> Result<Value, ApiError> {
                match self {
                    $(Action::$variant => $module::run(req, inner, call),)+
                }
            }
        }
    };
}

actions! {
    CreateIpsecServer => create_ipsec_server,
    UpdateIpsecServer => update_ipsec_server,
    DeleteIpsecServer => delete_ipsec_server,
    ListIpsecServers => list_ipsec_servers,
    DescribeVpnGateway => describe_vpn_gateway,
    DescribeVpnGateways => describe_vpn_gateways,
    ModifyVpnGatewayAttribute => modify_vpn_gateway_attribute,
    CreateCustomerGateway => create_customer_gateway,
    ModifyCustomerGatewayAttribute => modify_customer_gateway_attribute,
    DeleteCustomerGateway => delete_customer_gateway,
    DescribeCustomerGateways => describe_customer_gateways,
    DescribeCustomerGateway => describe_customer_gateway,
    CreateVpnConnection => create_vpn_connection,
    ModifyVpnConnectionAttribute => modify_vpn_connection_attribute,
    DeleteVpnConnection => delete_vpn_connection,
    DescribeVpnConnections => describe_vpn_connections,
    DescribeVpnConnection => describe_vpn_connection,
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

/// A mutation's checks on the gateway it configures: not financially locked, and free
/// (`VpnGateway.Configuring` while it shows `updating`, `VpnTask.CONFLICT` while an
/// accepted task has not started to show, `IncorrectStatus.VpnGateway` otherwise).
fn gateway_ready(inner: &Inner, gateway_id: &str, gateway: &Gateway) -> Result<(), ApiError> {
    if gateway.business_status == "FinancialLocked" {
        return Err(ApiError::new(
            400,
            "VpnGateway.FinancialLocked",
            "The specified VPN gateway is locked due to an overdue payment.",
        ));
    }
    match inner.live.status(gateway_id, gateway) {
        // The status lag: it still shows `active`, but a task is queued on it.
        "active" if inner.live.has_task(gateway_id) => Err(ApiError::new(
            400,
            "VpnTask.CONFLICT",
            "A task is already running on the specified VPN gateway.",
        )),
        "active" => Ok(()),
        "updating" => Err(ApiError::new(
            400,
            "VpnGateway.Configuring",
            "The specified VPN gateway is being configured. Try again later.",
        )),
        other => Err(ApiError::new(
            400,
            "IncorrectStatus.VpnGateway",
            format!("The VPN gateway is {other}: the operation needs it active."),
        )),
    }
}

/// When a mutation accepted now on a gateway's lane shows and ends: the gateway still
/// shows `active` for the status lag, then `updating` for the configure time. Drawn once
/// per accepted mutation, before its effect.
struct Lane {
    shows_from: Instant,
    until: Instant,
    list_lag: Duration,
    /// When the gateway last became active, for the audit entry.
    active_since: Option<Instant>,
}

fn lane(inner: &mut Inner, gateway_id: &str, call: &Call) -> Lane {
    let configure_time = inner.dice.configure_time(inner.config.configure_time);
    let shows_from = call.now + inner.config.status_lag;
    Lane {
        shows_from,
        until: shows_from + configure_time,
        list_lag: inner.config.list_lag,
        active_since: inner.live.active_since(gateway_id),
    }
}

/// One effect for the audit log. A synchronous one (no lane) has `vpn_gateway` empty
/// for a resource without a gateway, and is configured at once.
struct Effect<'a> {
    action: &'a str,
    resource: &'a str,
    vpn_gateway: &'a str,
    region: &'a str,
    client_token: Option<&'a str>,
    /// `created`, `updated`, `deleted`.
    effect: &'a str,
    configured_at: Instant,
    gateway_active_since: Option<Instant>,
}

fn record(inner: &mut Inner, call: &Call, effect: Effect<'_>) {
    let entry = AuditEntry {
        time: inner.wall(call.now),
        action: effect.action.to_owned(),
        resource: effect.resource.to_owned(),
        vpn_gateway: effect.vpn_gateway.to_owned(),
        region: effect.region.to_owned(),
        client_token: effect.client_token.map(str::to_owned),
        request_id: call.request_id.clone(),
        effect: effect.effect.to_owned(),
        configured_at: inner.wall(effect.configured_at),
        gateway_active_since: effect.gateway_active_since.map(|at| inner.wall(at)),
    };
    inner.record(entry);
}

/// Keeps an applied call's answer under its ClientToken, for [`replay`].
fn remember(inner: &mut Inner, token: Option<&str>, fingerprint: String, answer: &Value) {
    if let Some(token) = token {
        inner
            .tokens
            .insert(token.to_owned(), (fingerprint, answer.clone()));
    }
}

/// A repeated ClientToken: the first answer when the parameters are the same,
/// `IdempotentParameterMismatch` when not, `None` for a token not seen (or a DryRun,
/// which neither consults nor records tokens).
fn replay(
    inner: &Inner,
    token: Option<&str>,
    dry_run: bool,
    fingerprint: &str,
) -> Option<Result<Value, ApiError>> {
    let (first, answer) = inner.tokens.get(token.filter(|_| !dry_run)?)?;
    Some(if first == fingerprint {
        Ok(answer.clone())
    } else {
        Err(ApiError::new(
            400,
            "IdempotentParameterMismatch",
            "The request uses the same client token as a previous, but non-identical request.",
        ))
    })
}

/// The DryRun answer: every check passed.
fn dry_run_passed() -> ApiError {
    ApiError::new(
        400,
        "DryRunOperation",
        "Request validation has been passed with DryRun flag set.",
    )
}

/// A gateway by id in the region (404 `InvalidVpnGatewayInstanceId.NotFound`).
fn find_gateway<'w>(
    world: &'w super::World,
    gateway_id: &str,
    region: &str,
) -> Result<&'w Gateway, ApiError> {
    world
        .vpn_gateways
        .get(gateway_id)
        .filter(|g| g.region == region)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "InvalidVpnGatewayInstanceId.NotFound",
                format!("The specified VpnGatewayId {gateway_id} does not exist."),
            )
        })
}

/// Milliseconds since the epoch now: a `CreateTime` as the API answers it.
fn now_millis() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or(0)
}

/// Whether a name or description starts as a link, which the cloud refuses.
fn starts_as_link(text: &str) -> bool {
    text.starts_with("http://") || text.starts_with("https://")
}

/// A `Name` of a customer gateway or a connection: 1 to 100 characters, not starting
/// with `http://` or `https://` (400 `InvalidName`, as the API documents it).
fn name_param<'r>(req: &'r Request, param: &str) -> Result<Option<&'r str>, ApiError> {
    match req.get(param) {
        Some(name) if name.chars().count() > 100 || starts_as_link(name) => Err(ApiError::new(
            400,
            "InvalidName",
            format!(
                "The name is not valid: {param} is 1 to 100 characters and does not start with http:// or https://."
            ),
        )),
        other => Ok(other),
    }
}

/// A `Description`: 1 to 100 characters, not starting with `http://` or `https://` (400
/// `InvalidDescription`).
fn description_param(req: &Request) -> Result<Option<&str>, ApiError> {
    match req.get("Description") {
        Some(text) if text.chars().count() > 100 || starts_as_link(text) => Err(ApiError::new(
            400,
            "InvalidDescription",
            "The description is not valid: it is 1 to 100 characters and does not start with http:// or https://.",
        )),
        other => Ok(other),
    }
}

/// A gateway as DescribeVpnGateway(s) answer it: the fields of the response model
/// (`alibabacloud_vpc20160428` 7.2.2, `DescribeVpnGatewayResponseBody` and
/// `DescribeVpnGatewaysResponseBodyVpnGatewaysVpnGateway`), less those it answers only
/// on request (`ReservationData`) or for a dual-tunnel gateway (`SslVpnInternetIp`,
/// `DisasterRecoveryInternetIp`; `DisasterRecoveryVSwitchId` is answered when the
/// gateway has one). The model has no `RegionId`. `ChargeType` is `PostpayByFlow` or
/// `Prepay`, as the Terraform provider reads it; `Spec` the bandwidth with an `M`.
fn gateway_json(inner: &Inner, id: &str, g: &Gateway) -> Value {
    let mut answer = json!({
        "VpnGatewayId": id,
        "Name": g.name.clone().unwrap_or_else(|| id.to_owned()),
        "Description": g.description.clone().unwrap_or_default(),
        "VpcId": g.vpc_id(id),
        "VSwitchId": g.vswitch_id(id),
        "InternetIp": g.internet_ip(),
        "Status": inner.live.status(id, g),
        "BusinessStatus": g.business_status,
        "ChargeType": g.charge_type,
        "Spec": format!("{}M", g.bandwidth),
        "IpsecVpn": g.ipsec_vpn,
        "SslVpn": g.ssl_vpn,
        "SslMaxConnections": g.ssl_connections,
        "CreateTime": g.create_time.unwrap_or(DEFAULT_CREATE_TIME),
        "EndTime": 1735787045000u64,
        "EnableBgp": false,
        "AutoPropagate": g.auto_propagate,
        "GatewayType": "Traditional",
        "NetworkType": g.network_type,
        "VpnType": g.vpn_type,
        "ResourceGroupId": g.resource_group_id,
        "EniInstanceIds": { "EniInstanceId": [] },
        "Tag": "",
        "Tags": { "Tag": [] },
    });
    if let Some(second) = &g.disaster_recovery_vswitch_id {
        answer["DisasterRecoveryVSwitchId"] = second.as_str().into();
    }
    answer
}
