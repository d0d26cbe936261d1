//! The local emulator of the VPC API subset vpnform uses: HTTP on loopback, signature v1
//! verified, Alibaba-shaped errors, a world of regions, gateways, IPsec servers,
//! customer gateways, IPsec-VPN connections, routes, SSL-VPN servers and their client
//! certificates, configurable configuring times, faults and an audit log of every
//! effect.
//!
//! It sits beside the data's path, in the cloud's place: every test, benchmark and
//! `--sandbox` rehearsal talks to it instead of Alibaba. Read it in this order:
//! - [`server`]: `run(listener, shared, shutdown)`, one request from bytes to answer;
//! - [`wire`]: parameters, signature checks, Alibaba's JSON/XML answer shapes;
//! - `actions/`: the [`actions::Action`] enum and one file per API action;
//! - [`world`]: what exists (the YAML format and its rules); [`live`]: the world while
//!   requests change it, and how time turns `updating` into `active`;
//!   [`connections`]: the customer gateways and IPsec-VPN connections in it;
//!   [`routes`]: its destination and policy-based routes; [`ssl_vpn`]: its SSL-VPN
//!   servers, client certificates and their material;
//!   [`attributes`]: the settings its resources share (negotiation, secrets, CIDRs);
//! - [`faults`] and [`audit`]: injected failures, rate limits, and the effect log;

pub(crate) mod actions;
pub(crate) mod attributes;
pub(crate) mod audit;
pub(crate) mod connections;
pub(crate) mod faults;
pub(crate) mod inner;
pub(crate) mod live;
pub(crate) mod routes;
pub(crate) mod server;
pub(crate) mod ssl_vpn;
pub(crate) mod wire;
pub(crate) mod world;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use audit::AuditEntry;
pub use connections::{BgpConfig, CustomerGateway, HealthCheck, Tunnel, VpnConnection};
pub use faults::{Faults, Injection, RateLimits};
pub use routes::{VpnPbrRoute, VpnRoute};
pub use server::CallLog;
pub(crate) use server::{Shared, run};
pub use ssl_vpn::{SslVpnClientCert, SslVpnServer};
pub use world::{Gateway, IpsecServer, World};

use crate::secret::Secret;

/// The access key id the sandbox accepts when none is configured.
pub const DEFAULT_ACCESS_KEY_ID: &str = "sandbox";
/// The access key secret the sandbox accepts when none is configured. Not a secret: it
/// is documented so that a first run needs no setup.
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "sandbox-secret";

/// Who may do what. Empty (the default) allows everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Actions answered with 403 `Forbidden` (e.g. `DeleteIpsecServer`).
    pub deny_actions: BTreeSet<String>,
    /// Resource ids (a server, a gateway, a customer gateway, a connection) whose
    /// mutations (and Describe) answer 403 `Forbidden`.
    pub deny_resources: BTreeSet<String>,
}

/// A callback that sees every call once it is answered (the CLI prints it on stderr).
pub(crate) type CallLogger = Arc<dyn Fn(&CallLog) + Send + Sync>;

/// How the sandbox behaves. `Default` is what `vpnform sandbox serve` uses without flags.
#[derive(Clone)]
pub struct SandboxConfig {
    pub access_key_id: String,
    pub access_key_secret: Secret,
    /// How long a gateway stays `updating` after a mutation: a fixed time when both ends
    /// are equal, else uniform in `min..=max` (from the seeded generator).
    pub configure_time: (Duration, Duration),
    /// Added to every answer, always: the API latency benchmarks assume.
    pub latency: Duration,
    /// Injected failures, by probability.
    pub faults: Faults,
    /// Seeds the generator behind faults, configure times and nothing else.
    pub seed: u64,
    /// Per-action request rate limits; `None`: unlimited.
    pub rate_limits: Option<RateLimits>,
    /// Also write every audit entry here as a JSON line (appended).
    pub audit_path: Option<PathBuf>,
    pub policy: Policy,
    /// Reject timestamps more than 15 minutes off (`InvalidTimeStamp.Expired`). Off only
    /// to replay recorded requests such as the signature vectors.
    pub check_timestamp: bool,
    /// Sees every call (action, parameters without the signature, status, code).
    pub logger: Option<CallLogger>,
    /// How long a client may take to send a request's line and headers, and then its
    /// body; a connection that sends slower (slowloris) is dropped.
    pub read_timeout: Duration,
    /// Scripted answers, used up in order (`--inject`).
    pub injections: Vec<Injection>,
    /// A gateway still shows `active` for this long after accepting a mutation, and only
    /// then `updating` for the configure time (`--status-lag`).
    pub status_lag: Duration,
    /// ListIpsecServers still gives the old answer (a deleted server, a server's old
    /// values, no created server yet) for this long after its gateway turned `active`
    /// again (`--list-lag`).
    pub list_lag: Duration,
    /// How long a CreateVpnGateway takes: the gateway is `init` for the first half,
    /// `provisioning` for the second, then `active` (minutes in the cloud, seconds
    /// here, as the configure time is). A fixed time when both ends are equal, else
    /// uniform in `min..=max`.
    pub gateway_create_time: (Duration, Duration),
    /// The account's SSL-VPN client certificate quota: 50 unless raised (the cloud's
    /// Quota Center raises it on request); a create beyond it is `Resource.QuotaFull`.
    pub client_cert_quota: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            access_key_id: DEFAULT_ACCESS_KEY_ID.to_owned(),
            access_key_secret: Secret::new(DEFAULT_ACCESS_KEY_SECRET),
            configure_time: (Duration::from_secs(2), Duration::from_secs(2)),
            latency: Duration::ZERO,
            faults: Faults::default(),
            seed: 0,
            rate_limits: None,
            audit_path: None,
            policy: Policy::default(),
            check_timestamp: true,
            logger: None,
            read_timeout: Duration::from_secs(10),
            injections: Vec::new(),
            status_lag: Duration::ZERO,
            list_lag: Duration::ZERO,
            gateway_create_time: (Duration::from_secs(5), Duration::from_secs(5)),
            client_cert_quota: ssl_vpn::CLIENT_CERTS_PER_ACCOUNT,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret)
            .field("configure_time", &self.configure_time)
            .field("latency", &self.latency)
            .field("faults", &self.faults)
            .field("seed", &self.seed)
            .field("rate_limits", &self.rate_limits)
            .field("audit_path", &self.audit_path)
            .field("policy", &self.policy)
            .field("check_timestamp", &self.check_timestamp)
            .field("logger", &self.logger.as_ref().map(|_| "<fn>"))
            .field("read_timeout", &self.read_timeout)
            .field("injections", &self.injections)
            .field("status_lag", &self.status_lag)
            .field("list_lag", &self.list_lag)
            .field("gateway_create_time", &self.gateway_create_time)
            .field("client_cert_quota", &self.client_cert_quota)
            .finish()
    }
}

/// Parses `--configure-time`: `2s` (fixed) or `1s..3s` (uniform in the range).
pub(crate) fn parse_configure_time(text: &str) -> Result<(Duration, Duration), String> {
    let (min, max) = match text.split_once("..") {
        Some((a, b)) => (crate::duration::parse(a)?, crate::duration::parse(b)?),
        None => {
            let d = crate::duration::parse(text)?;
            (d, d)
        }
    };
    if min > max {
        return Err(format!(
            "`{text}`: the range's start is after its end (write MIN..MAX)"
        ));
    }
    Ok((min, max))
}

/// A running sandbox on `127.0.0.1`; [`Sandbox::shutdown`] stops it.
pub struct Sandbox {
    addr: std::net::SocketAddr,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

/// Binds `127.0.0.1:0` and serves `world` with `config` until [`Sandbox::shutdown`].
pub async fn start(config: SandboxConfig, world: World) -> std::io::Result<Sandbox> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let shared = Shared::new(config, world)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run(listener, shared.clone(), async move {
        let _ = stopped.await;
    }));
    Ok(Sandbox {
        addr,
        shared,
        stop: Some(stop),
        task,
    })
}

impl Sandbox {
    /// `http://127.0.0.1:PORT/`: the endpoint to give the client.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// The state behind the server, for callers that need more than the methods below.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Every effect so far, in order.
    pub fn audit(&self) -> Vec<AuditEntry> {
        self.shared.audit()
    }

    /// What exists now, with statuses resolved at this instant.
    pub fn world(&self) -> World {
        self.shared.world()
    }

    /// Calls received per `Action` (every call, answered or refused).
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.shared.calls()
    }

    /// The most gateways that were `updating` at the same time.
    pub fn max_concurrent_updating(&self) -> usize {
        self.shared.max_concurrent_updating()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.shared.with_config(|c| c.faults = faults);
    }

    pub fn set_policy(&self, policy: Policy) {
        self.shared.with_config(|c| c.policy = policy);
    }

    pub fn set_rate_limits(&self, limits: Option<RateLimits>) {
        self.shared.with_config(|c| c.rate_limits = limits);
    }

    /// Adds a scripted answer (see [`Injection`]).
    pub fn inject(&self, injection: Injection) {
        self.shared.with_config(|c| c.injections.push(injection));
    }

    pub fn set_latency(&self, latency: Duration) {
        self.shared.with_config(|c| c.latency = latency);
    }

    /// Adds (or replaces) a gateway while the server runs.
    pub fn add_gateway(&self, gateway_id: &str, gateway: Gateway) {
        self.shared.edit_world(|w| {
            w.vpn_gateways.insert(gateway_id.to_owned(), gateway);
        });
    }

    /// Stops accepting, lets answers in flight finish, and returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // A test that forgets shutdown must not leave a server behind.
        if self.stop.is_some() {
            self.task.abort();
        }
    }
}

/// Keeps `Mutex` poisoning (a panic in a test) from cascading into every later call.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
