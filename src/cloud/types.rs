//! The client's contract with the rest of the crate (plan, apply, tests): the options it
//! is built with (each with its `Default` beside it), the credentials, and the requests
//! and resources of each API action.

use std::time::Duration;

use crate::secret::Secret;

/// Access key (and STS token) to sign with.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub security_token: Option<Secret>,
    /// Where they came from, for `-v` and error messages (`environment`, a file path...).
    pub source: String,
}

/// How the client behaves; `Default` is what the CLI uses.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `--endpoint`: every call goes here instead of the region's endpoint.
    pub endpoint: Option<String>,
    /// At most this many requests in flight (`--parallelism`).
    pub max_in_flight: usize,
    /// One HTTP attempt may take this long.
    pub request_timeout: Duration,
    /// All attempts of one call together may take this long.
    pub call_deadline: Duration,
    /// How throttling and transient failures are retried.
    pub retry: RetryPolicy,
    /// The ceiling per API action, requests a second (`--max-rate`). Each action starts
    /// at [`super::retry::START_RATE`] (or this, if lower) and discovers the cloud's limit: it
    /// rises fast while nothing is throttled, halves on throttling, probes gently after.
    pub requests_per_second: f64,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            endpoint: None,
            max_in_flight: super::retry::DEFAULT_PARALLELISM,
            request_timeout: Duration::from_secs(10),
            call_deadline: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            // The ceiling, not the rate: each action starts at START_RATE and finds the
            // cloud's limit from its throttling, which is the signal. 1000/s is far
            // above every per-API limit Alibaba documents for the VPC API (DescribeVpnGateway
            // 600 a minute, mutations 30 to 300), so the cloud is the bound, never
            // vpnform; the cap only bounds what a lane can reach (and burst) before the
            // cloud first says no. `--max-rate N` lowers it to share an account.
            requests_per_second: super::retry::DEFAULT_MAX_RATE,
        }
    }
}

/// Retry bounds per error class. Contention, not-found and terminal errors are never
/// retried by the client: the caller decides (apply waits for the gateway on contention).
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all (first try included) for 5xx, timeouts and connection errors.
    pub transient_max_attempts: u32,
    /// Attempts in all for `Throttling*`.
    pub throttling_max_attempts: u32,
    /// First backoff after a transient failure; doubles each retry, with jitter.
    pub transient_base: Duration,
    /// First backoff after throttling (or `x-acs-retry-after`, whichever is longer).
    pub throttling_base: Duration,
    /// No single backoff is longer than this.
    pub max_backoff: Duration,
    /// A server-requested wait (`x-acs-retry-after`) longer than this is capped to it.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            transient_max_attempts: 5,
            throttling_max_attempts: 8,
            transient_base: Duration::from_millis(500),
            throttling_base: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// `DeleteIpsecServer`.
///
/// `client_token` makes the delete idempotent: the client sends the same token on every
/// retry. Without one the client makes up a token for the call, so its own retries are
/// still one operation. A dry run sends no token at all: a precheck has no effect to
/// deduplicate, and a token seen first with `DryRun=true` would make the real delete
/// with the same token an `IdempotentParameterMismatch`.
#[derive(Debug, Clone)]
pub struct DeleteIpsecServer {
    pub region: String,
    pub ipsec_server_id: String,
    pub client_token: Option<String>,
    pub dry_run: bool,
}

/// `CreateIpsecServer`. Only the optional fields that are `Some` are sent; the cloud
/// gives the others its defaults (and generates a PSK when none is given).
///
/// The token works as a delete's (see [`DeleteIpsecServer`]): the same one on every
/// retry, made up for the call when `None`, never sent with a dry run.
#[derive(Debug, Clone, Default)]
pub struct CreateIpsecServer {
    pub region: String,
    pub vpn_gateway: String,
    /// Sent comma-separated, as `LocalSubnet`.
    pub local_subnet: Vec<String>,
    pub client_ip_pool: String,
    /// Sent as `IpSecServerName` (the create spells it with a capital S).
    pub name: Option<String>,
    pub psk: Option<Secret>,
    pub effect_immediately: Option<bool>,
    pub ike_config: Option<IkeConfig>,
    pub ipsec_config: Option<IpsecConfig>,
    pub client_token: Option<String>,
    pub dry_run: bool,
}

/// What a create answered: the new server's id (known from the answer, before the
/// gateway has finished configuring it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedIpsecServer {
    pub id: String,
    pub(crate) request_id: String,
}

/// `UpdateIpsecServer`: only the fields that are `Some` are sent, and only they change.
/// Tokens as for [`CreateIpsecServer`].
#[derive(Debug, Clone, Default)]
pub struct UpdateIpsecServer {
    pub region: String,
    pub ipsec_server_id: String,
    /// Sent as `IpsecServerName`.
    pub name: Option<String>,
    pub local_subnet: Option<Vec<String>>,
    pub client_ip_pool: Option<String>,
    pub psk: Option<Secret>,
    pub effect_immediately: Option<bool>,
    pub ike_config: Option<IkeConfig>,
    pub ipsec_config: Option<IpsecConfig>,
    pub client_token: Option<String>,
    pub dry_run: bool,
}

/// Phase-one negotiation settings. In a request, the fields that are `Some` are sent
/// (as the JSON string `IkeConfig` the API takes); in a listed server, what the cloud
/// answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IkeConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_enc_alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_auth_alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_pfs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_lifetime: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
}

/// Phase-two negotiation settings, as [`IkeConfig`] (the JSON string `IpsecConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpsecConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipsec_enc_alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipsec_auth_alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipsec_pfs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipsec_lifetime: Option<u32>,
}

/// One server from `ListIpsecServers`, every attribute the API answers. The PSK, which
/// the API answers in clear text, goes straight into a [`Secret`]: it can be compared
/// with the desired one, never printed (`Debug` shows `***`), logged or serialized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpsecServer {
    pub id: String,
    pub name: String,
    pub vpn_gateway: String,
    pub(crate) region: String,
    /// Comma-separated, as the API answers it; [`IpsecServer::local_subnets`] splits it.
    pub local_subnet: String,
    pub client_ip_pool: String,
    pub internet_ip: String,
    pub psk_enabled: bool,
    pub creation_time: String,
    /// `None` when the answer had no PSK.
    pub psk: Option<Secret>,
    pub effect_immediately: bool,
    pub(crate) multi_factor_auth_enabled: bool,
    pub(crate) online_client_count: u32,
    pub(crate) max_connections: u32,
    pub ike_config: IkeConfig,
    pub ipsec_config: IpsecConfig,
}

impl IpsecServer {
    /// The `LocalSubnet` blocks, in the order answered.
    pub fn local_subnets(&self) -> Vec<String> {
        self.local_subnet
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Which servers to list.
#[derive(Debug, Clone, Default)]
pub struct ListIpsecServers {
    pub region: String,
    pub vpn_gateway: Option<String>,
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpnGateway {
    pub id: String,
    pub region: String,
    /// `init`, `provisioning`, `active`, `updating`, `deleting`.
    pub status: String,
    /// `Normal` or `FinancialLocked`.
    pub(crate) business_status: String,
}
