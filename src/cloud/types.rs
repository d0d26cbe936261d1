//! The client's contract with the rest of the crate (plan, apply, tests). The cloud
//! issue fills in the bodies; these signatures are what other modules build against.

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
}

/// A decoded error answer (or a transport failure) with its class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// 0 for transport failures (timeout, connection refused, ...).
    pub http_status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub host_id: Option<String>,
    pub recommend: Option<String>,
    pub class: ErrorClass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// `DryRunOperation`: the precheck passed.
    DryRunPassed,
    /// The gateway is busy (`VpnGateway.Configuring`, `TaskConflict`, ...): wait for it to
    /// be `active`, then retry.
    Contention,
    /// `Throttling*`: slow down and retry.
    Throttling,
    /// 5xx, timeouts, connection errors: back off and retry.
    Transient,
    /// `*.NotFound`.
    NotFound,
    /// Everything else: fail the action.
    Terminal,
}

/// `DeleteIpsecServer`.
#[derive(Debug, Clone)]
pub struct DeleteIpsecServer {
    pub region: String,
    pub ipsec_server_id: String,
    pub client_token: Option<String>,
    pub dry_run: bool,
}

/// One server from `ListIpsecServers`. The PSK is dropped at decode time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpsecServer {
    pub id: String,
    pub name: String,
    pub vpn_gateway: String,
    pub region: String,
    pub local_subnet: String,
    pub client_ip_pool: String,
    pub internet_ip: String,
    pub psk_enabled: bool,
    pub creation_time: String,
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
    pub business_status: String,
}
