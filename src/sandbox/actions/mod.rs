//! The API actions the sandbox answers, one file each, and the [`Action`] enum that
//! routes to them. An action name the sandbox does not know is refused by
//! [`Action::parse`] with 404 `InvalidAction.NotFound`, as Alibaba answers it, before
//! any rate limit or fault applies.

mod connection_settings;
mod connections;
mod create_customer_gateway;
mod create_ipsec_server;
mod create_ssl_vpn_client_cert;
mod create_ssl_vpn_server;
mod create_vpn_connection;
mod create_vpn_gateway;
mod create_vpn_pbr_route_entry;
mod create_vpn_route_entry;
mod customer_gateways;
mod delete_customer_gateway;
mod delete_ipsec_server;
mod delete_ssl_vpn_client_cert;
mod delete_ssl_vpn_server;
mod delete_vpn_connection;
mod delete_vpn_gateway;
mod delete_vpn_pbr_route_entry;
mod delete_vpn_route_entry;
mod describe_customer_gateway;
mod describe_customer_gateways;
mod describe_ssl_vpn_client_cert;
mod describe_ssl_vpn_client_certs;
mod describe_ssl_vpn_servers;
mod describe_vpn_connection;
mod describe_vpn_connections;
mod describe_vpn_gateway;
mod describe_vpn_gateways;
mod describe_vpn_pbr_route_entries;
mod describe_vpn_route_entries;
mod list_ipsec_servers;
mod modify_customer_gateway_attribute;
mod modify_ssl_vpn_client_cert;
mod modify_ssl_vpn_server;
mod modify_vpn_connection_attribute;
mod modify_vpn_gateway_attribute;
mod modify_vpn_pbr_route_entry_priority;
mod modify_vpn_pbr_route_entry_weight;
mod modify_vpn_route_entry_weight;
mod publish_vpn_route_entry;
mod routes;
pub(crate) mod settings;
mod ssl_vpn;
mod update_ipsec_server;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::audit::AuditEntry;
use super::connections::DEFAULT_CREATE_TIME;
use super::inner::{Call, Inner};
use super::live::{Live, OnLane};
use super::wire::{ApiError, Request};
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
    CreateVpnRouteEntry => create_vpn_route_entry,
    DeleteVpnRouteEntry => delete_vpn_route_entry,
    ModifyVpnRouteEntryWeight => modify_vpn_route_entry_weight,
    PublishVpnRouteEntry => publish_vpn_route_entry,
    DescribeVpnRouteEntries => describe_vpn_route_entries,
    CreateVpnPbrRouteEntry => create_vpn_pbr_route_entry,
    DeleteVpnPbrRouteEntry => delete_vpn_pbr_route_entry,
    ModifyVpnPbrRouteEntryWeight => modify_vpn_pbr_route_entry_weight,
    ModifyVpnPbrRouteEntryPriority => modify_vpn_pbr_route_entry_priority,
    DescribeVpnPbrRouteEntries => describe_vpn_pbr_route_entries,
    CreateSslVpnServer => create_ssl_vpn_server,
    ModifySslVpnServer => modify_ssl_vpn_server,
    DeleteSslVpnServer => delete_ssl_vpn_server,
    DescribeSslVpnServers => describe_ssl_vpn_servers,
    CreateSslVpnClientCert => create_ssl_vpn_client_cert,
    ModifySslVpnClientCert => modify_ssl_vpn_client_cert,
    DeleteSslVpnClientCert => delete_ssl_vpn_client_cert,
    DescribeSslVpnClientCerts => describe_ssl_vpn_client_certs,
    DescribeSslVpnClientCert => describe_ssl_vpn_client_cert,
    CreateVpnGateway => create_vpn_gateway,
    DeleteVpnGateway => delete_vpn_gateway,
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

impl Lane {
    /// Starts creating `child` on `gateway_id`'s lane.
    fn create(&self, live: &mut Live, id: &str, gateway_id: &str, child: impl OnLane) {
        live.begin_create(
            id,
            gateway_id,
            child,
            Some(self.shows_from),
            self.until,
            self.list_lag,
        );
    }

    /// Starts changing child `id` into `child`.
    fn change(&self, live: &mut Live, id: &str, gateway_id: &str, child: impl OnLane) {
        live.begin_change(
            id,
            gateway_id,
            child,
            Some(self.shows_from),
            self.until,
            self.list_lag,
        );
    }

    /// Starts deleting child `id`.
    fn delete(&self, live: &mut Live, id: &str, gateway_id: &str) {
        live.begin_delete_lagging(
            id,
            gateway_id,
            Some(self.shows_from),
            self.until,
            self.list_lag,
        );
    }
}

/// An accepted mutation of one resource, as the audit log records it. Its two ends
/// ([`Mutation::on_lane`], [`Mutation::at_once`]) apply it, record the effect and keep
/// the answer under the ClientToken.
struct Mutation<'a> {
    action: &'a str,
    resource: &'a str,
    /// Empty for a resource without a gateway.
    vpn_gateway: &'a str,
    region: &'a str,
    client_token: Option<&'a str>,
    fingerprint: String,
    /// `created`, `updated`, `deleted`.
    effect: &'a str,
}

impl Mutation<'_> {
    /// Accepts it on its gateway's lane: `begin` starts it in the world with the lane's
    /// timing (drawn now); configured when the gateway is `active` again.
    fn on_lane(
        self,
        inner: &mut Inner,
        call: &Call,
        answer: &Value,
        begin: impl FnOnce(&mut Live, &Lane),
    ) -> Lane {
        let lane = lane(inner, self.vpn_gateway, call);
        begin(&mut inner.live, &lane);
        self.done(inner, call, answer, lane.until, lane.active_since);
        lane
    }

    /// Applies it at once (`apply` changes the world): configured the moment it happens.
    fn at_once(
        self,
        inner: &mut Inner,
        call: &Call,
        answer: &Value,
        apply: impl FnOnce(&mut super::World),
    ) {
        apply(inner.live.world_mut());
        let active_since = inner.live.active_since(self.vpn_gateway);
        self.done(inner, call, answer, call.now, active_since);
    }

    fn done(
        self,
        inner: &mut Inner,
        call: &Call,
        answer: &Value,
        configured_at: Instant,
        gateway_active_since: Option<Instant>,
    ) {
        record(
            inner,
            call,
            Effect {
                action: self.action,
                resource: self.resource,
                vpn_gateway: self.vpn_gateway,
                region: self.region,
                client_token: self.client_token,
                effect: self.effect,
                configured_at,
                gateway_active_since,
            },
        );
        remember(inner, self.client_token, self.fingerprint, answer);
    }
}

/// 403 `Forbidden` when the policy denies any of `ids` (the resource a call acts on,
/// its gateway, the resources it names).
fn denied(inner: &Inner, ids: &[&str]) -> Result<(), ApiError> {
    if ids
        .iter()
        .any(|id| inner.config.policy.deny_resources.contains(*id))
    {
        Err(ApiError::forbidden())
    } else {
        Ok(())
    }
}

/// [`gateway_ready`] for a call on one child of the gateway. While an operation on the
/// child itself (its create, a change, its delete) configures, the busy answer names
/// the child: 400 `code` with `message` (`VpnConnection.Configuring`,
/// `VpnRouteEntry.Configuring`); while the gateway configures something else, it is the
/// gateway's `VpnGateway.Configuring`. Both are busy answers (API.md).
fn child_ready(
    inner: &Inner,
    child_id: &str,
    gateway_id: &str,
    gateway: &Gateway,
    (code, message): (&str, String),
) -> Result<(), ApiError> {
    gateway_ready(inner, gateway_id, gateway).map_err(|e| {
        if e.code == "VpnGateway.Configuring" && inner.live.is_configuring(child_id) {
            ApiError::new(400, code, message)
        } else {
            e
        }
    })
}

/// The page a `Describe...s` call asks for: `PageNumber` from 1, `PageSize` 1-50
/// (default 10).
struct Page {
    number: u64,
    size: u64,
}

impl Page {
    fn parse(req: &Request) -> Result<Page, ApiError> {
        Ok(Page {
            number: req.int("PageNumber", 1, u32::MAX as u64, 1)?,
            size: req.int("PageSize", 1, 50, 10)?,
        })
    }

    /// `{RequestId, TotalCount, PageNumber, PageSize, outer: {inner: [the page]}}`, the
    /// shape every paged Describe model has.
    fn answer(&self, call: &Call, (outer, inner): (&str, &str), items: Vec<Value>) -> Value {
        let total = items.len();
        let page: Vec<Value> = items
            .into_iter()
            .skip(((self.number - 1) * self.size) as usize)
            .take(self.size as usize)
            .collect();
        json!({
            "RequestId": call.request_id,
            "TotalCount": total,
            "PageNumber": self.number,
            "PageSize": self.size,
            outer: { inner: page },
        })
    }
}

/// What the Describe calls show of a kind of child kept by id (`items`, the world's
/// map): what exists, and a deleted or changed one as it was while the list lag lasts,
/// less the created ones the lag still hides.
fn shown<'i, T: OnLane + 'static>(
    inner: &'i Inner,
    items: &'i BTreeMap<String, T>,
) -> BTreeMap<&'i String, &'i T> {
    items
        .iter()
        .chain(inner.live.ghosts::<T>())
        .filter(|(id, _)| !inner.live.is_hidden(id))
        .collect()
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

/// A gateway's `Name`: 2 to 100 characters, a letter first, then letters, digits, `_`,
/// `-` and `.` (400 `InvalidName`).
fn gateway_name(req: &Request) -> Result<Option<&str>, ApiError> {
    let Some(name) = req.get("Name") else {
        return Ok(None);
    };
    let mut chars = name.chars();
    let valid = (2..=100).contains(&name.chars().count())
        && chars.next().is_some_and(char::is_alphabetic)
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        Ok(Some(name))
    } else {
        Err(ApiError::new(
            400,
            "InvalidName",
            "The name is not valid: a VPN gateway's Name is 2 to 100 characters, a letter first, then letters, digits, underscores, hyphens and periods.",
        ))
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
