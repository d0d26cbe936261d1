//! `vpnform sandbox serve`: the emulated VPC API on loopback until Ctrl-C. Prints the
//! endpoint and key pair as `export` lines (so `eval` works) and logs each call on
//! stderr.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use super::Context;
use crate::sandbox::{self, Faults, Policy, RateLimits, SandboxConfig, World};
use crate::secret::Secret;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serve the emulated VPC API on loopback until Ctrl-C.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port; the URL is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8765")]
    pub listen: String,

    /// Seed the world from a world YAML file.
    #[arg(long, value_name = "FILE", conflicts_with = "from_state")]
    pub world: Option<PathBuf>,

    /// Seed the world from a vpnform state file: every recorded server exists, on an
    /// active gateway. Default: the workspace's state file, if there is one.
    #[arg(long, value_name = "FILE")]
    pub from_state: Option<PathBuf>,

    /// The access key id the sandbox accepts (printed as ALIBABA_CLOUD_ACCESS_KEY_ID).
    #[arg(long, value_name = "ID", default_value = sandbox::DEFAULT_ACCESS_KEY_ID)]
    pub access_key_id: String,

    /// The access key secret the sandbox accepts (printed as
    /// ALIBABA_CLOUD_ACCESS_KEY_SECRET). The default pair is published, not a secret: the
    /// sandbox listens on loopback only.
    #[arg(long, value_name = "SECRET", default_value = sandbox::DEFAULT_ACCESS_KEY_SECRET)]
    pub access_key_secret: String,

    /// How long a gateway stays `updating` after a mutation: `2s`, or a range `1s..3s`.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = sandbox::parse_configure_time)]
    pub configure_time: (Duration, Duration),

    /// How long a gateway vpnform creates takes to turn `active` (`init`, then
    /// `provisioning`): `5s`, or a range `3s..8s` (minutes in the cloud).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = sandbox::parse_configure_time)]
    pub gateway_create_time: (Duration, Duration),

    /// Latency added to every answer.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub latency: Duration,

    /// Append every effect to FILE as a JSON line.
    #[arg(long, value_name = "FILE")]
    pub audit: Option<PathBuf>,

    /// Inject failures with total probability P, spread evenly over 500, 503,
    /// Throttling.User, dropped-after-effect and 500-after-effect; and 250ms of latency
    /// with probability P. Per-kind options override their share.
    #[arg(long, value_name = "P", value_parser = probability)]
    pub fault_rate: Option<f64>,

    /// Probability of 500 InternalError before the effect.
    #[arg(long = "fault-500", value_name = "P", value_parser = probability)]
    pub fault_500: Option<f64>,

    /// Probability of 503 ServiceUnavailable.
    #[arg(long = "fault-503", value_name = "P", value_parser = probability)]
    pub fault_503: Option<f64>,

    /// Probability of 400 Throttling.User.
    #[arg(long, value_name = "P", value_parser = probability)]
    pub fault_throttle: Option<f64>,

    /// Probability that the effect is applied and the answer lost (half the time the
    /// connection drops, half the time a 500 comes back).
    #[arg(long, value_name = "P", value_parser = probability)]
    pub fault_lost: Option<f64>,

    /// Added latency: with probability P, DURATION more (e.g. `0.1:2s`).
    #[arg(long, value_name = "P:DURATION", value_parser = latency_fault)]
    pub fault_latency: Option<(f64, Duration)>,

    /// Seed for faults and configure-time ranges (default: from the clock, printed).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Requests per second per action, `N` for every action or `ACTION=N` for one
    /// (repeatable), N from 0.001 to 1000000. Over it: Throttling.User.
    #[arg(long, value_name = "[ACTION=]N", value_parser = rate_limit)]
    pub rate_limit: Vec<(Option<String>, f64)>,

    /// Answer 403 Forbidden to this action, or on this server or gateway id (repeatable).
    #[arg(long, value_name = "ACTION|ID")]
    pub deny: Vec<String>,

    /// Answer the next N calls (of ACTION, or of any action) with this error and, if
    /// given, `x-acs-retry-after: MS` (repeatable; used up in order), e.g.
    /// `DeleteIpsecServer:400:VpnTask.CONFLICT` or `400:Rejected.Throttling:500x3`.
    #[arg(long, value_name = "[ACTION:]STATUS:CODE[:MS][xN]", value_parser = sandbox::Injection::parse)]
    pub inject: Vec<sandbox::Injection>,

    /// A gateway still shows `active` for DURATION after accepting a mutation, then
    /// `updating` for the configure time.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub status_lag: Duration,

    /// ListIpsecServers still gives the old answer (a deleted server, old values, no
    /// created server yet) for DURATION after its gateway is `active` again.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub list_lag: Duration,
}

fn probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "`{text}` is not a probability: write a number from 0 to 1, e.g. 0.1"
        )),
    }
}

/// The slowest and fastest `--rate-limit`: the wait the sandbox names for a rate of
/// 1e-300 is more seconds than a `Duration` holds (a panic), and `inf` is no limit.
const RATE_LIMIT_RANGE: std::ops::RangeInclusive<f64> = 0.001..=1_000_000.0;

fn rate_limit(text: &str) -> Result<(Option<String>, f64), String> {
    let (action, n) = match text.split_once('=') {
        Some((a, n)) => (Some(a.to_owned()), n),
        None => (None, text),
    };
    match n.parse::<f64>() {
        Ok(rate) if RATE_LIMIT_RANGE.contains(&rate) => Ok((action, rate)),
        _ => Err(format!(
            "`{text}`: write N or ACTION=N, with N requests a second from 0.001 to 1000000"
        )),
    }
}

fn latency_fault(text: &str) -> Result<(f64, Duration), String> {
    let (p, d) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}`: write P:DURATION, e.g. 0.1:2s"))?;
    Ok((probability(p)?, super::parse_duration(d)?))
}

impl ServeArgs {
    fn faults(&self) -> Faults {
        let mut f = self.fault_rate.map(Faults::mixed).unwrap_or_default();
        if let Some(p) = self.fault_500 {
            f.internal_error = p;
        }
        if let Some(p) = self.fault_503 {
            f.unavailable = p;
        }
        if let Some(p) = self.fault_throttle {
            f.throttle = p;
        }
        if let Some(p) = self.fault_lost {
            f.lost_drop = p / 2.0;
            f.lost_500 = p / 2.0;
        }
        if let Some((p, d)) = self.fault_latency {
            f.latency = p;
            f.latency_extra = d;
        }
        f
    }

    fn rate_limits(&self) -> Option<RateLimits> {
        if self.rate_limit.is_empty() {
            return None;
        }
        let mut limits = RateLimits::default();
        for (action, rate) in &self.rate_limit {
            match action {
                Some(a) => {
                    limits.per_action.insert(a.clone(), *rate);
                }
                None => limits.default_per_second = Some(*rate),
            }
        }
        Some(limits)
    }

    fn policy(&self) -> Policy {
        let mut policy = Policy::default();
        for item in &self.deny {
            // Ids have a resource prefix (`iss-`, `vpn-`); actions are CamelCase words.
            if item.contains('-') {
                policy.deny_resources.insert(item.clone());
            } else {
                policy.deny_actions.insert(item.clone());
            }
        }
        policy
    }
}

pub(super) fn run(ctx: &Context, cmd: Command) -> anyhow::Result<u8> {
    match cmd {
        Command::Serve(args) => serve(ctx, args),
    }
}

fn serve(ctx: &Context, args: ServeArgs) -> anyhow::Result<u8> {
    let listen = loopback(&args.listen)?;
    let world = load_world(ctx, &args)?;
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default()
    });
    let ui = ctx.ui.clone();
    let config = SandboxConfig {
        access_key_id: args.access_key_id.clone(),
        access_key_secret: Secret::new(args.access_key_secret.clone()),
        configure_time: args.configure_time,
        gateway_create_time: args.gateway_create_time,
        latency: args.latency,
        faults: args.faults(),
        seed,
        rate_limits: args.rate_limits(),
        audit_path: args.audit.clone(),
        policy: args.policy(),
        check_timestamp: true,
        logger: Some(std::sync::Arc::new(move |call| {
            ui.status(&call.to_string())
        })),
        injections: args.inject.clone(),
        status_lag: args.status_lag,
        list_lag: args.list_lag,
        ..SandboxConfig::default()
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}/");
        let shared = sandbox::Shared::new(config, world)
            .with_context(|| match &args.audit {
                Some(p) => format!("cannot open the audit file {}", p.display()),
                None => "cannot start the sandbox".to_owned(),
            })?;
        ctx.ui.out(&format!(
            "# Sandbox listening on {url}\nexport VPNFORM_ENDPOINT={}\nexport ALIBABA_CLOUD_ACCESS_KEY_ID={}\nexport ALIBABA_CLOUD_ACCESS_KEY_SECRET={}\n",
            shell_quote(&url),
            shell_quote(&args.access_key_id),
            shell_quote(&args.access_key_secret),
        ));
        ctx.ui.status(&format!(
            "configure time {}, seed {seed}; Ctrl-C stops",
            describe_range(args.configure_time)
        ));
        sandbox::run(listener, shared, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        ctx.ui.status("Sandbox stopped.");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(super::exit::OK)
}

/// The address `--listen` names, if it is a loopback one: the sandbox accepts any key
/// pair it was given and serves plain http, so it is for this machine only. An IP
/// literal with a port, or `localhost:PORT`; no name is looked up.
fn loopback(listen: &str) -> anyhow::Result<std::net::SocketAddr> {
    use std::net::{Ipv4Addr, SocketAddr};
    let addr = match listen.parse::<SocketAddr>() {
        Ok(addr) => addr,
        Err(_) => match listen
            .strip_prefix("localhost:")
            .and_then(|port| port.parse::<u16>().ok())
        {
            Some(port) => SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            None => anyhow::bail!(
                "--listen {}: not an address and port; write a loopback one, e.g. \
                 `127.0.0.1:8765`, `[::1]:8765` or `127.0.0.1:0` (any free port)",
                crate::ui::one_line(listen)
            ),
        },
    };
    if !addr.ip().is_loopback() {
        anyhow::bail!(
            "--listen {addr}: not a loopback address; the sandbox serves plain http and \
             takes the key pair it prints, so it listens on this machine only: use \
             `127.0.0.1:{port}` or `[::1]:{port}`",
            port = addr.port()
        );
    }
    Ok(addr)
}

fn load_world(ctx: &Context, args: &ServeArgs) -> anyhow::Result<World> {
    if let Some(path) = &args.world {
        let world = World::read(path)?;
        ctx.ui.status(&format!("World from {}", path.display()));
        return Ok(world);
    }
    let default_state = ctx.state_dir().join("vpnform.state.yaml");
    let (path, explicit) = match &args.from_state {
        Some(p) => (p.clone(), true),
        None if default_state.exists() => (default_state, false),
        None => {
            ctx.ui.status(
                "Empty world: no --world or --from-state, and no state/vpnform.state.yaml here",
            );
            return Ok(World::default());
        }
    };
    // The state's own reader: a regular file, size-bounded, errors located.
    let (state, _) = crate::state::read_file(&path)?;
    let world = crate::kinds::ipsec_server::seed::from_state(&state);
    world.check_in(&path.display().to_string())?;
    ctx.ui.status(&format!(
        "World from {}{}: {} servers on {} gateways",
        path.display(),
        if explicit {
            ""
        } else {
            " (the workspace's state)"
        },
        world.ipsec_servers.len(),
        world.vpn_gateways.len()
    ));
    Ok(world)
}

fn describe_range((min, max): (Duration, Duration)) -> String {
    if min == max {
        format!("{min:?}")
    } else {
        format!("{min:?}..{max:?}")
    }
}

/// Single-quotes a value for POSIX shells.
fn shell_quote(value: &str) -> String {
    if !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:".contains(&b))
    {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}
