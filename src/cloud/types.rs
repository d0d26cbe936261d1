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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VpnGateway {
    pub id: String,
    pub region: String,
    /// `init`, `provisioning`, `active`, `updating`, `deleting`.
    pub status: String,
    /// `Normal` or `FinancialLocked`.
    pub(crate) business_status: String,
    /// What `DescribeVpnGateway(s)` answers of its settings, as answered (empty when
    /// not answered).
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) auto_propagate: Option<bool>,
    /// The bandwidth, e.g. `10M`.
    pub(crate) spec: String,
    pub(crate) charge_type: String,
    pub(crate) ssl_vpn: String,
    pub(crate) ipsec_vpn: String,
    pub(crate) ssl_max_connections: Option<u64>,
    pub(crate) internet_ip: String,
    pub(crate) vpc_id: String,
    /// Its vSwitch, and the second zone's of a dual-tunnel gateway.
    pub(crate) vswitch: String,
    pub(crate) dr_vswitch: String,
    pub(crate) network_type: String,
    pub(crate) vpn_type: String,
}
