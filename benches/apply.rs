//! Apply against the in-process sandbox, measured against the physical limit.
//!
//! `cargo bench --bench apply` (add `-- --quick`, or set `VPNFORM_BENCH_QUICK=1`, for
//! one tenth of the sizes). Each scenario runs with vpnform's defaults (adaptive
//! polling) and with a fixed-interval waiter polling every 3 s and 5 s (what
//! Terraform's provider and the aliyun CLI waiter do), all side by side in one process:
//! absolute times drift on a shared machine, ratios within one run hold.
//!
//! The sandbox answers every call after `LATENCY` and keeps a gateway `updating` for
//! `CONFIGURE` after each delete, create and (not name-only) update. The lower bound of a scenario is the cloud's: the
//! longer of the longest chain of configure times that must run one after another and,
//! where the sandbox limits requests per action (`--rate-limit`), the calls of the
//! busiest action divided by that limit. The client's own ceiling (`--max-rate`) is no
//! bound. Scenarios marked "plan + apply" run what `vpnform apply --auto-approve` runs:
//! the refresh, every DryRun precheck, then the mutations and their waits. Most
//! scenarios delete; the create and update ones create on empty gateways (entries
//! without `id`) and change `client_ip_pool` of recorded servers.
//!
//! `VPNFORM_BENCH_ONLY=TEXT` runs only the scenarios whose name contains TEXT.
//!
//! The postgres row runs the local file's first scenario with the state in PostgreSQL:
//! a throwaway server started the way the black-box tests start theirs (Debian's
//! `postgresql` package, `tests/it/support/pg.rs`, included here by path).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vpnform::apply::{ApplyOptions, PollStrategy};
use vpnform::cloud::{Client, ClientOptions, Credentials};
use vpnform::ops::apply::ApplyRequest;
use vpnform::ops::plan::PlanRequest;
use vpnform::ops::{self, Cloud, Destination, Quiet};
use vpnform::plan::ActionKind;
use vpnform::sandbox::{self, SandboxConfig, World};
use vpnform::secret::Secret;
use vpnform::state::{Resource, State};

/// The black-box tests' throwaway PostgreSQL (benches cannot import `tests/`).
#[allow(dead_code)]
#[path = "../tests/it/support/pg.rs"]
mod pg;

const LATENCY: Duration = Duration::from_millis(20);
const CONFIGURE: Duration = Duration::from_secs(2);
const REGION: &str = "cn-hangzhou";

/// What every action of a scenario does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Delete,
    /// A desired entry without `id` on an empty gateway.
    Create,
    /// A recorded server whose desired `client_ip_pool` differs (asynchronous, T).
    Update,
    /// Issue 22: an IPsec connection (two per gateway) to a customer gateway of its own
    /// pair, both created by the plan (the customer gateway first).
    Connection,
    /// Issue 23: a whole gateway decommissioned (its routes, policy routes,
    /// connections, SSL-VPN server with its certificates, then it, and the customer
    /// gateways of its connections), all built by an unmeasured apply first.
    Decommission,
}

impl Op {
    fn kind(self) -> ActionKind {
        match self {
            Op::Delete => ActionKind::Delete,
            Op::Create => ActionKind::Create,
            Op::Update => ActionKind::Update,
            Op::Connection => ActionKind::Create,
            Op::Decommission => ActionKind::Delete,
        }
    }

    /// The API action of the mutation.
    fn action(self) -> &'static str {
        match self {
            Op::Delete => "DeleteIpsecServer",
            Op::Create => "CreateIpsecServer",
            Op::Update => "UpdateIpsecServer",
            Op::Connection => "CreateVpnConnection",
            Op::Decommission => "DeleteVpnGateway",
        }
    }
}

/// The client pool an update scenario's servers have, and the one it asks for.
const POOL_BEFORE: &str = "10.8.0.0/16";
const POOL_AFTER: &str = "10.9.0.0/16";
const LOCAL_SUBNET: &str = "10.0.0.0/24";

#[derive(Clone)]
struct Scenario {
    name: String,
    op: Op,
    /// How many actions (all of `op`).
    count: usize,
    gateways: usize,
    /// `(chains, length)`: chain `c`'s step `k` is on gateway `(c + k) % gateways` (on a
    /// gateway of its own when there are as many gateways as servers) and must be
    /// deleted after step `k - 1`.
    chains: Option<(usize, usize)>,
    /// The sandbox's limit, requests a second per action (`None`: unlimited).
    limit: Option<f64>,
    /// The sandbox's status and list lag (both).
    lag: Duration,
    /// How long a gateway configures after each mutation (`CONFIGURE` but for the deep
    /// chains of issue 25, at 0.5 s).
    configure: Duration,
    /// Refresh and precheck before the mutations, as `apply` does.
    with_plan: bool,
    /// The state in a postgres schema (`pg`'s server) instead of the local file.
    postgres: bool,
    /// `(--max-rate, --parallelism)` other than the client's defaults.
    client: Option<(u32, usize)>,
    /// Measure a second run: the same deletes again (the servers put back in the cloud
    /// and in the state) by a new client against the same endpoint, which starts from
    /// the request rates the first run learned (`.vpnform.rates` beside the state).
    warm: bool,
}

impl Scenario {
    /// Server `i`'s gateway and the server it must be deleted before (its `depends_on`;
    /// chains are for deletes only).
    fn layout(&self, i: usize) -> (usize, Option<usize>) {
        match self.chains {
            None => (i % self.gateways, None),
            Some((_, len)) => {
                let (c, k) = (i / len, i % len);
                let next = (k + 1 < len).then_some(i + 1);
                let gateway = if self.gateways >= self.count {
                    i
                } else {
                    (c + k) % self.gateways
                };
                (gateway, next)
            }
        }
    }

    /// The longest chain of configure times that must run one after another.
    fn chain_bound(&self) -> Duration {
        if self.op == Op::Decommission {
            // Each gateway's lane: its routes, its connections, its SSL-VPN server, then
            // itself, one configure time each.
            return self.configure * (DC_ROUTES + DC_POLICY_ROUTES + DC_CONNECTIONS + 2) as u32;
        }
        let per_gateway = self.count.div_ceil(self.gateways);
        let chain = self.chains.map_or(1, |(_, len)| len);
        self.configure * per_gateway.max(chain) as u32
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Vpnform,
    Fixed(Duration),
}

impl Mode {
    fn label(self) -> String {
        match self {
            Mode::Vpnform => "vpnform".into(),
            Mode::Fixed(d) => format!("fixed {}s poll", d.as_secs()),
        }
    }
}

struct Row {
    scenario: Scenario,
    mode: Mode,
    wall: Duration,
    bound: Duration,
    /// The busiest action's accepted calls over the sandbox's limit (None: no limit).
    rate_floor: Option<Duration>,
    throttled: u64,
    calls: BTreeMap<String, u64>,
    median_delay: Option<Duration>,
    /// What the state writer did.
    journal: Option<vpnform::apply::JournalStats>,
    /// From the first to the last accepted real (not DryRun) mutation, and how many.
    mutations_span: Option<(Duration, usize)>,
    ok: bool,
}

/// Issue 23's decommission, per gateway: connections (each to a customer gateway of its
/// own), destination routes and policy-based routes (through the connections), and the
/// SSL-VPN server's client certificates.
const DC_CONNECTIONS: usize = 2;
const DC_ROUTES: usize = 2;
const DC_POLICY_ROUTES: usize = 2;
const DC_CERTS: usize = 3;

/// What a decommission deletes per gateway: the gateway, what is on it, and the
/// customer gateways of its connections.
const DC_PER_GATEWAY: usize = 1 + DC_CONNECTIONS * 2 + DC_ROUTES + DC_POLICY_ROUTES + 1 + DC_CERTS;

/// The world and the desired file that build `gateways` whole gateways for a
/// decommission to delete: the gateways exist (adopted by `id`), everything on them
/// and the customer gateways are created by the file.
fn decommission_build(gateways: usize, world: &mut World) -> String {
    let mut text = DESIRED.to_owned();
    let mut blocks: [(&str, String); 7] = [
        ("vpn_gateways", String::new()),
        ("customer_gateways", String::new()),
        ("vpn_connections", String::new()),
        ("vpn_routes", String::new()),
        ("vpn_policy_routes", String::new()),
        ("ssl_vpn_servers", String::new()),
        ("ssl_vpn_client_certs", String::new()),
    ];
    for g in 0..gateways {
        let gateway = format!("vpn-{g:06}");
        world.add_gateway(&gateway, REGION);
        blocks[0].1 += &format!("  g{g:04}: {{id: {gateway}}}\n");
        for c in 0..DC_CONNECTIONS {
            let n = g * DC_CONNECTIONS + c;
            blocks[1].1 += &format!(
                "  b{g:04}_{c}: {{ip_address: 198.18.{}.{}}}\n",
                n / 250,
                1 + n % 250
            );
            blocks[2].1 += &format!(
                "  c{g:04}_{c}:\n    vpn_gateway: vpn_gateway.g{g:04}\n    customer_gateway: customer_gateway.b{g:04}_{c}\n    local_subnet: [10.{}.{}.0/24]\n    remote_subnet: [192.168.{c}.0/24]\n    psk: {{env: BENCH_BRANCH_PSK}}\n",
                g / 256,
                g % 256
            );
        }
        for r in 0..DC_ROUTES {
            blocks[3].1 += &format!(
                "  r{g:04}_{r}: {{vpn_gateway: vpn_gateway.g{g:04}, route_dest: 172.16.{r}.0/24, next_hop: vpn_connection.c{g:04}_{}, weight: 0, publish_vpc: false}}\n",
                r % DC_CONNECTIONS
            );
        }
        for r in 0..DC_POLICY_ROUTES {
            blocks[4].1 += &format!(
                "  p{g:04}_{r}: {{vpn_gateway: vpn_gateway.g{g:04}, route_source: 10.{}.{}.0/24, route_dest: 172.17.{r}.0/24, next_hop: vpn_connection.c{g:04}_{}, weight: 0, priority: 10, publish_vpc: false}}\n",
                g / 256,
                g % 256,
                r % DC_CONNECTIONS
            );
        }
        blocks[5].1 += &format!(
            "  s{g:04}: {{vpn_gateway: vpn_gateway.g{g:04}, client_ip_pool: 10.200.0.0/16, local_subnet: [10.{}.{}.0/24]}}\n",
            g / 256,
            g % 256
        );
        for k in 0..DC_CERTS {
            blocks[6].1 += &format!(
                "  s{g:04}_{k}: {{ssl_vpn_server: ssl_vpn_server.s{g:04}, name: user{k}}}\n"
            );
        }
    }
    for (kind, entries) in blocks {
        text += &format!("{kind}:\n{entries}");
    }
    text
}

/// The one server the desired file keeps (a desired file never declares nothing).
const DESIRED: &str = "\
version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  keep:
    vpn_gateway: vpn-keep
    id: iss-keep
";

/// A client of the sandbox with its default credentials.
fn sandbox_client(options: ClientOptions) -> Client {
    Client::new(
        Credentials {
            access_key_id: sandbox::DEFAULT_ACCESS_KEY_ID.into(),
            access_key_secret: Secret::new(sandbox::DEFAULT_ACCESS_KEY_SECRET),
            security_token: None,
            source: "sandbox".into(),
        },
        options,
    )
    .expect("client")
}

async fn run(scenario: Scenario, mode: Mode) -> Row {
    let log: Arc<Mutex<Vec<(Instant, sandbox::CallLog)>>> = Arc::default();
    let log2 = log.clone();
    let config = SandboxConfig {
        configure_time: (scenario.configure, scenario.configure),
        latency: LATENCY,
        rate_limits: scenario.limit.map(|r| sandbox::RateLimits {
            default_per_second: Some(r),
            per_action: BTreeMap::new(),
        }),
        status_lag: scenario.lag,
        list_lag: scenario.lag,
        // The decommission's certificates are more than the account's default quota of
        // 50 (20 gateways with 3 each): the quota raised, as the cloud's Quota Center
        // raises it on request.
        client_cert_quota: (DC_CERTS * scenario.gateways)
            .max(SandboxConfig::default().client_cert_quota),
        logger: Some(Arc::new(move |call: &sandbox::CallLog| {
            log2.lock().unwrap().push((Instant::now(), call.clone()));
        })),
        ..SandboxConfig::default()
    };
    let mut world = World::default();
    let mut state = State {
        version: vpnform::state::STATE_VERSION,
        lineage: "6b3f1c9e-2d4a-4e8b-9f10-000000000007".into(),
        serial: 1,
        applying: None,
        resources: Default::default(),
        pending: vec![],
    };
    world.add_server("iss-keep", "vpn-keep", REGION);
    state.resources.insert(
        "ipsec_server.keep".parse().unwrap(),
        Resource {
            id: "iss-keep".into(),
            region: REGION.into(),
            vpn_gateway: "vpn-keep".into(),
            depends_on: vec![],
            protect: false,
            psk: None,
            attributes: Default::default(),
            deposed: None,
        },
    );
    // Deletes: recorded servers the desired file no longer names. Creates: entries
    // without `id` on empty gateways. Updates: recorded servers whose desired
    // `client_ip_pool` differs from the one they have.
    let mut desired_text = DESIRED.to_owned();
    let (mut family_text, mut cgw_text) = (String::new(), String::new());
    let mut gateway_of = BTreeMap::new();
    let build = (scenario.op == Op::Decommission)
        .then(|| decommission_build(scenario.gateways, &mut world));
    let laid_out = if build.is_some() { 0 } else { scenario.count };
    for i in 0..laid_out {
        let (g, before) = scenario.layout(i);
        let (id, gateway) = (format!("iss-{i:06}"), format!("vpn-{g:06}"));
        let name = format!("s{i:06}");
        if scenario.op == Op::Connection {
            // Connection i on gateway i % gateways (two a gateway); connections 2k and
            // 2k + 1, on two gateways, to customer gateway k.
            world.add_gateway(&gateway, REGION);
            let pair = i / 2;
            family_text.push_str(&format!(
                "  c{i:06}:\n    vpn_gateway: {gateway}\n    customer_gateway: customer_gateway.p{pair:06}\n    local_subnet: [10.{}.{}.0/24]\n    remote_subnet: [192.168.{}.0/24]\n    psk: {{env: BENCH_BRANCH_PSK}}\n",
                i / 256, i % 256, i % 2
            ));
            if i % 2 == 0 {
                cgw_text.push_str(&format!(
                    "  p{pair:06}: {{ip_address: 198.18.{}.{}}}\n",
                    pair / 250,
                    1 + pair % 250
                ));
            }
            continue;
        }
        if scenario.op == Op::Create {
            world.add_gateway(&gateway, REGION);
            desired_text.push_str(&format!(
                "  {name}:\n    vpn_gateway: {gateway}\n    local_subnet: {LOCAL_SUBNET}\n    client_ip_pool: {POOL_AFTER}\n"
            ));
            continue;
        }
        let server = world.add_server(&id, &gateway, REGION);
        let mut attributes = BTreeMap::new();
        if scenario.op == Op::Update {
            server.local_subnet = Some(LOCAL_SUBNET.into());
            server.client_ip_pool = Some(POOL_BEFORE.into());
            attributes.insert("local_subnet".to_owned(), LOCAL_SUBNET.to_owned());
            attributes.insert("client_ip_pool".to_owned(), POOL_BEFORE.to_owned());
            desired_text.push_str(&format!(
                "  {name}:\n    vpn_gateway: {gateway}\n    id: {id}\n    local_subnet: {LOCAL_SUBNET}\n    client_ip_pool: {POOL_AFTER}\n"
            ));
        }
        gateway_of.insert(id.clone(), gateway.clone());
        let address: vpnform::Address = format!("ipsec_server.{name}").parse().unwrap();
        let depends_on: Vec<vpnform::Address> = before
            .map(|j| format!("ipsec_server.s{j:06}").parse().unwrap())
            .into_iter()
            .collect();
        state.resources.insert(
            address.clone(),
            Resource {
                id,
                region: REGION.into(),
                vpn_gateway: gateway.clone(),
                depends_on,
                protect: false,
                psk: None,
                attributes,
                deposed: None,
            },
        );
    }
    if matches!(scenario.op, Op::Connection | Op::Decommission) {
        // SAFETY: set before the apply reads it, by every scenario alike.
        unsafe { std::env::set_var("BENCH_BRANCH_PSK", "bench-psk-value") };
    }
    if scenario.op == Op::Connection {
        desired_text.push_str(&format!(
            "customer_gateways:\n{cgw_text}vpn_connections:\n{family_text}"
        ));
        // SAFETY: set before the apply reads it, by every scenario alike.
        unsafe { std::env::set_var("BENCH_BRANCH_PSK", "bench-psk-value") };
    }
    let sandbox = sandbox::start(config, world).await.expect("sandbox starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let (desired, state_dir) = (dir.path().join("vpnform.yaml"), dir.path().join("state"));
    vpnform::state::write(&state_dir, &state).expect("initial state");
    let rounds = if scenario.warm { 2 } else { 1 };
    let (mut calls_before, mut log_from) = (BTreeMap::new(), 0);
    let mut measured = None;
    for round in 0..rounds {
        if round > 0 {
            // The same servers again, in the cloud and in the state (the next serial): the
            // same apply, as a new process would run it against the same endpoint.
            sandbox.shared().edit_world(|w| {
                for (id, gateway) in &gateway_of {
                    w.add_server(id, gateway, REGION);
                }
            });
            let serial = vpnform::state::read(&state_dir)
                .expect("state")
                .map_or(1, |s| s.serial);
            let again = State {
                serial: serial + 1,
                ..state.clone()
            };
            std::fs::remove_file(vpnform::state::state_path(&state_dir)).expect("state file");
            vpnform::state::write(&state_dir, &again).expect("state again");
            calls_before = sandbox.calls();
            log_from = log.lock().unwrap().len();
        }
        let defaults = ClientOptions::default();
        let (max_rate, parallelism) = scenario
            .client
            .unwrap_or((defaults.requests_per_second as u32, defaults.max_in_flight));
        let options = ClientOptions {
            endpoint: Some(sandbox.url()),
            requests_per_second: f64::from(max_rate),
            max_in_flight: parallelism,
            ..defaults
        };
        let client = sandbox_client(options);
        if scenario.postgres && round == 0 {
            // A schema of its own, the local state migrated in as `vpnform init
            // --migrate-state` does (VPNFORM_PG_URL is set by main), then the file removed.
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
            let schema = format!(
                "bench{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            );
            let text = desired_text.replacen(
                "defaults:",
                &format!("backend:\n  postgres: {{ schema: {schema} }}\ndefaults:"),
                1,
            );
            std::fs::write(&desired, text).expect("desired file");
            let (d, s) = (desired.clone(), state_dir.clone());
            tokio::task::spawn_blocking(move || {
                ops::init::init(&d, &s, true, "bench", Duration::ZERO, &mut |_| {})
            })
            .await
            .expect("init runs")
            .expect("init --migrate-state");
            std::fs::remove_file(vpnform::state::state_path(&state_dir)).expect("local state");
        } else {
            std::fs::write(&desired, &desired_text).expect("desired file");
        }
        let cloud = Cloud {
            destination: Destination::Client(client),
            parallelism,
            max_rate,
        };
        if let Some(build) = build.as_ref().filter(|_| round == 0) {
            // The decommission's world, built by an apply of its own (another client:
            // the measured run starts as a new process would, from no learned rate).
            std::fs::write(&desired, build).expect("build file");
            let builder = Cloud {
                destination: Destination::Client(sandbox_client(ClientOptions {
                    endpoint: Some(sandbox.url()),
                    ..ClientOptions::default()
                })),
                ..cloud.clone()
            };
            let setup = ApplyRequest {
                desired: desired.clone(),
                state_dir: state_dir.clone(),
                plan_file: None,
                max_deletes: None,
                targets: Default::default(),
                replace: Default::default(),
                lock_timeout: Duration::ZERO,
                command: "bench".into(),
                cloud: builder,
                options: ApplyOptions::default(),
                refresh_only: false,
                destroy: false,
                ctrl_c: false,
            };
            let built = ops::apply::run(&setup, Arc::new(Quiet), |_| Ok(true))
                .await
                .expect("the build applies");
            assert_eq!(
                built.outcome.count(ActionKind::Create),
                scenario.count - scenario.gateways,
                "{}: the build",
                scenario.name
            );
            let _ = std::fs::remove_file(state_dir.join(".vpnform.rates"));
            std::fs::write(&desired, &desired_text).expect("desired file");
            for c in sandbox.world().vpn_connections.iter() {
                gateway_of.insert(c.0.clone(), c.1.vpn_gateway.clone());
            }
            for s in sandbox.world().ssl_vpn_servers.iter() {
                gateway_of.insert(s.0.clone(), s.1.vpn_gateway.clone());
            }
            calls_before = sandbox.calls();
            log_from = log.lock().unwrap().len();
        }
        // Without the plan: the actions of an offline plan saved beforehand, as `vpnform
        // apply FILE` runs them.
        let plan_file =
            (!scenario.with_plan).then(|| dir.path().join(format!("saved{round}.plan")));
        if let Some(out) = &plan_file {
            let plan = ops::plan::run(
                &PlanRequest {
                    desired: desired.clone(),
                    state_dir: state_dir.clone(),
                    offline: true,
                    max_deletes: None,
                    targets: Default::default(),
                    replace: Default::default(),
                    lock_timeout: Duration::ZERO,
                    out: Some(out.clone()),
                    refresh_only: false,
                    read_only: false,
                    destroy: false,
                    cloud: cloud.clone(),
                },
                Arc::new(Quiet),
            )
            .await
            .expect("offline plan");
            assert_eq!(plan.count(scenario.op.kind()), scenario.count);
        }
        let request = ApplyRequest {
            desired: desired.clone(),
            state_dir: state_dir.clone(),
            plan_file,
            max_deletes: None,
            targets: Default::default(),
            replace: Default::default(),
            lock_timeout: Duration::ZERO,
            command: "bench".into(),
            cloud,
            options: match mode {
                Mode::Vpnform => ApplyOptions::default(),
                Mode::Fixed(interval) => ApplyOptions {
                    poll_interval: interval,
                    poll_strategy: PollStrategy::Fixed,
                    ..ApplyOptions::default()
                },
            },
            refresh_only: false,
            destroy: false,
            ctrl_c: false,
        };
        let started = Instant::now();
        // With the plan: what `vpnform apply --auto-approve` runs (refresh, every DryRun
        // precheck, then the mutations and their waits).
        let applied = ops::apply::run(&request, Arc::new(Quiet), |_| Ok(true)).await;
        measured = Some((applied, started, started.elapsed()));
    }
    let (applied, started, wall) = measured.expect("one round at least");
    if let Err(e) = &applied {
        eprintln!("{}: the apply failed: {e:#}", scenario.name);
    }
    let journal = applied.as_ref().ok().map(|a| a.journal);
    let mut calls = sandbox.calls();
    for (action, before) in &calls_before {
        if let Some(n) = calls.get_mut(action) {
            *n -= before;
        }
    }
    // A created server's id is in the answer, which the call log does not hold.
    for effect in sandbox.audit() {
        if effect.action == "CreateIpsecServer" {
            gateway_of.insert(effect.resource, effect.vpn_gateway);
        }
    }
    sandbox.shutdown().await;
    let log = std::mem::take(&mut *log.lock().unwrap()).split_off(log_from);
    if std::env::var_os("VPNFORM_BENCH_TIMELINE").is_some() {
        timeline(&scenario.name, started, &log);
    }
    if let Ok(gateway) = std::env::var("VPNFORM_BENCH_TRACE") {
        trace(&scenario.name, started, &log, &gateway, &gateway_of);
    }
    let throttled = log
        .iter()
        .filter(|(_, c)| {
            c.code
                .as_deref()
                .is_some_and(|c| c.starts_with("Throttling"))
        })
        .count() as u64;
    // The cloud's rate bound: the busiest action's accepted calls at the sandbox's limit.
    let rate_floor = scenario.limit.map(|limit| {
        let mut accepted: BTreeMap<&str, u64> = BTreeMap::new();
        for (_, c) in log.iter().filter(|(_, c)| {
            !c.code
                .as_deref()
                .is_some_and(|c| c.starts_with("Throttling"))
        }) {
            *accepted.entry(c.action.as_str()).or_default() += 1;
        }
        let busiest = accepted.values().copied().max().unwrap_or(0);
        Duration::from_secs_f64(busiest as f64 / limit)
    });
    Row {
        bound: scenario
            .chain_bound()
            .max(rate_floor.unwrap_or(Duration::ZERO)),
        throttled,
        median_delay: median_delay(
            &log,
            scenario.op,
            &gateway_of,
            scenario.lag + scenario.configure,
        ),
        journal,
        mutations_span: mutations_span(&log, scenario.op),
        // A connection scenario also creates its customer gateways, one a pair.
        ok: applied.is_ok_and(|a| {
            if scenario.op == Op::Decommission {
                return a.outcome.count(ActionKind::Delete) == scenario.count;
            }
            let extra = if scenario.op == Op::Connection {
                scenario.count / 2
            } else {
                0
            };
            a.outcome.count(scenario.op.kind()) == scenario.count + extra
        }),
        scenario,
        mode,
        wall,
        rate_floor,
        calls,
    }
}

/// For every accepted mutation: from the instant its gateway turned active (the
/// mutation's answer plus the status lag and the configure time) to the next call
/// concerning it (the List confirming the server, or the next mutation on the
/// gateway); the median of those. `gateway_of`: every server's gateway, the created
/// ones included; `settle`: the status lag plus the configure time.
fn median_delay(
    log: &[(Instant, sandbox::CallLog)],
    op: Op,
    gateway_of: &BTreeMap<String, String>,
    settle: Duration,
) -> Option<Duration> {
    let param = |c: &sandbox::CallLog, k: &str| {
        c.params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    if op == Op::Decommission {
        return lane_delay(log, gateway_of, settle);
    }
    // The gateway a mutation call names (a create names it, the others their server).
    let gateway_of_call = |c: &sandbox::CallLog| match op {
        Op::Create | Op::Connection => param(c, "VpnGatewayId"),
        _ => param(c, "IpsecServerId").and_then(|s| gateway_of.get(&s).cloned()),
    };
    let created_on: BTreeMap<&String, &String> =
        gateway_of.iter().map(|(server, gw)| (gw, server)).collect();
    let mut delays = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (at, call) in log {
        if call.action != op.action() || call.status != 200 {
            continue;
        }
        let Some(gateway) = gateway_of_call(call) else {
            continue;
        };
        let server = match op {
            Op::Create | Op::Connection => created_on.get(&gateway).map(|s| (*s).clone()),
            _ => param(call, "IpsecServerId"),
        };
        let Some(server) = server else {
            continue;
        };
        if !seen.insert(server.clone()) {
            continue;
        }
        let active = *at + settle;
        let next = log.iter().filter(|(t, _)| *t >= active).find(|(_, c)| {
            if c.action == "ListIpsecServers" {
                c.params.iter().any(|(k, v)| {
                    (k.starts_with("IpsecServerId.") && *v == server)
                        || (k == "VpnGatewayId" && *v == gateway)
                })
            } else {
                c.action == op.action() && gateway_of_call(c).as_ref() == Some(&gateway)
            }
        });
        if let Some((t, _)) = next {
            delays.push(*t - active);
        }
    }
    delays.sort();
    delays.get(delays.len() / 2).copied()
}

/// A decommission's [`median_delay`]: from the instant a gateway turned active after a
/// delete on its lane to the next delete on that lane (its last delete, the gateway's
/// own, has none). `gateway_of`: every connection's and SSL-VPN server's gateway.
fn lane_delay(
    log: &[(Instant, sandbox::CallLog)],
    gateway_of: &BTreeMap<String, String>,
    settle: Duration,
) -> Option<Duration> {
    let lane_of = |c: &sandbox::CallLog| -> Option<String> {
        if !c.action.starts_with("Delete")
            || c.action == "DeleteCustomerGateway"
            || c.status != 200
            || c.params.iter().any(|(k, v)| k == "DryRun" && v == "true")
        {
            return None;
        }
        c.params.iter().find_map(|(k, v)| match k.as_str() {
            "VpnGatewayId" => Some(v.clone()),
            "VpnConnectionId" | "SslVpnServerId" => gateway_of.get(v).cloned(),
            _ => None,
        })
    };
    let deletes: Vec<(Instant, String)> = log
        .iter()
        .filter_map(|(t, c)| lane_of(c).map(|g| (*t, g)))
        .collect();
    let mut delays: Vec<Duration> = deletes
        .iter()
        .filter_map(|(at, gateway)| {
            let active = *at + settle;
            deletes
                .iter()
                .find(|(t, g)| g == gateway && *t > *at)
                .map(|(t, _)| t.saturating_duration_since(active))
        })
        .collect();
    delays.sort();
    delays.get(delays.len() / 2).copied()
}

/// `VPNFORM_BENCH_TIMELINE=1`: per second of the run, the calls the sandbox answered per
/// action (accepted+throttled), on stderr.
fn timeline(name: &str, started: Instant, log: &[(Instant, sandbox::CallLog)]) {
    let mut seconds: BTreeMap<u64, BTreeMap<String, (u32, u32)>> = BTreeMap::new();
    for (at, c) in log {
        let second = at.saturating_duration_since(started).as_secs();
        let dry = c.params.iter().any(|(k, v)| k == "DryRun" && v == "true");
        let action = if dry {
            format!("{}(DryRun)", c.action)
        } else {
            c.action.clone()
        };
        let e = seconds
            .entry(second)
            .or_default()
            .entry(action)
            .or_default();
        if c.code
            .as_deref()
            .is_some_and(|c| c.starts_with("Throttling"))
        {
            e.1 += 1;
        } else {
            e.0 += 1;
        }
    }
    eprintln!("timeline of {name}:");
    for (second, actions) in seconds {
        let line: Vec<String> = actions
            .iter()
            .map(|(a, (ok, thr))| format!("{a} {ok}+{thr}"))
            .collect();
        eprintln!("  {second:>3}s {}", line.join(", "));
    }
}

/// `VPNFORM_BENCH_TRACE=GATEWAY` (e.g. `vpn-000000`): every call concerning that
/// gateway, in order, with its time since the start of the run and its answer, on
/// stderr; status pages (`DescribeVpnGateways`) concern every gateway and are listed
/// too. The finest view of where a step's time goes.
fn trace(
    name: &str,
    started: Instant,
    log: &[(Instant, sandbox::CallLog)],
    gateway: &str,
    gateway_of: &BTreeMap<String, String>,
) {
    eprintln!("calls concerning {gateway} in {name}:");
    for (at, c) in log {
        let on = |id: &str| gateway_of.get(id).is_some_and(|g| g == gateway);
        let mut servers = c
            .params
            .iter()
            .filter(|(k, v)| (k == "IpsecServerId" || k.starts_with("IpsecServerId.")) && on(v))
            .map(|(_, v)| v.as_str());
        let what = match c.action.as_str() {
            "DescribeVpnGateways" => Some(String::new()),
            "DescribeVpnGateway" => c
                .params
                .iter()
                .any(|(k, v)| k == "VpnGatewayId" && v == gateway)
                .then(String::new),
            _ => servers.next().map(str::to_owned),
        };
        let Some(what) = what else { continue };
        let dry = c.params.iter().any(|(k, v)| k == "DryRun" && v == "true");
        eprintln!(
            "  {:>8.3}s {}{} {} {}",
            at.saturating_duration_since(started).as_secs_f64(),
            c.action,
            if dry { "(DryRun)" } else { "" },
            what,
            c.code.as_deref().unwrap_or("OK"),
        );
    }
}

/// From the first to the last accepted real mutation (DryRun prechecks aside), and how
/// many.
fn mutations_span(log: &[(Instant, sandbox::CallLog)], op: Op) -> Option<(Duration, usize)> {
    let sent: Vec<Instant> = log
        .iter()
        .filter(|(_, c)| {
            c.action == op.action()
                && c.status == 200
                && !c.params.iter().any(|(k, v)| k == "DryRun" && v == "true")
        })
        .map(|(t, _)| *t)
        .collect();
    Some((*sent.last()? - *sent.first()?, sent.len()))
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick")
        || std::env::var_os("VPNFORM_BENCH_QUICK").is_some_and(|v| v != "0");
    let scale = if quick { 10 } else { 1 };
    let plain = |name: String, count, gateways, chains| Scenario {
        name,
        op: Op::Delete,
        count,
        gateways,
        chains,
        limit: None,
        lag: Duration::ZERO,
        configure: CONFIGURE,
        with_plan: false,
        postgres: false,
        client: None,
        warm: false,
    };
    let scenarios = [
        plain(
            format!("{} deletes on {} gateways", 1000 / scale, 1000 / scale),
            1000 / scale,
            1000 / scale,
            None,
        ),
        Scenario {
            postgres: true,
            ..plain(
                format!(
                    "{} deletes on {} gateways, postgres backend",
                    1000 / scale,
                    1000 / scale
                ),
                1000 / scale,
                1000 / scale,
                None,
            )
        },
        plain(
            format!("{} deletes on 10 gateways", 1000 / scale),
            1000 / scale,
            10,
            None,
        ),
        plain(
            format!(
                "{} deletes, 10 depends_on chains of {} across 10 gateways",
                300 / scale,
                30 / scale
            ),
            300 / scale,
            10,
            Some((10, 30 / scale)),
        ),
        // Issue 25's deep chains: the bound is eight configure times one after another;
        // what a step costs beyond its configure time is the per-step overhead.
        Scenario {
            configure: Duration::from_millis(500),
            ..plain(
                "32 deletes, 4 depends_on chains of 8 across 32 gateways, configure time 0.5 s"
                    .to_owned(),
                32,
                32,
                Some((4, 8)),
            )
        },
        Scenario {
            with_plan: true,
            limit: Some(40.0),
            ..plain(
                format!(
                    "plan + apply, {} deletes on {} gateways, sandbox limit 40/s per action",
                    400 / scale,
                    400 / scale
                ),
                400 / scale,
                400 / scale,
                None,
            )
        },
        Scenario {
            lag: Duration::from_secs(1),
            ..plain(
                format!(
                    "{} deletes on 10 gateways, 1 s status and list lag",
                    100 / scale.min(10)
                ),
                100 / scale.min(10),
                10,
                None,
            )
        },
        plain(
            format!("{} deletes on 10 gateways, no lag", 100 / scale.min(10)),
            100 / scale.min(10),
            10,
            None,
        ),
        Scenario {
            lag: Duration::from_secs(1),
            ..plain(
                format!(
                    "{} deletes on {} gateways, 1 s status and list lag",
                    100 / scale.min(10),
                    100 / scale.min(10)
                ),
                100 / scale.min(10),
                100 / scale.min(10),
                None,
            )
        },
        // Issue 12: the create and update counterparts of the rated plan + apply.
        Scenario {
            op: Op::Create,
            with_plan: true,
            limit: Some(40.0),
            ..plain(
                format!(
                    "plan + apply, {} creates on {} gateways, sandbox limit 40/s per action",
                    500 / scale,
                    500 / scale
                ),
                500 / scale,
                500 / scale,
                None,
            )
        },
        Scenario {
            client: Some((1000, 10)),
            ..plain(
                format!(
                    "{} deletes on {} gateways, --max-rate 1000 --parallelism 10",
                    1000 / scale,
                    1000 / scale
                ),
                1000 / scale,
                1000 / scale,
                None,
            )
        },
        Scenario {
            op: Op::Update,
            with_plan: true,
            limit: Some(40.0),
            ..plain(
                format!(
                    "plan + apply, {} updates on {} gateways (client_ip_pool), sandbox limit 40/s per action",
                    500 / scale,
                    500 / scale
                ),
                500 / scale,
                500 / scale,
                None,
            )
        },
        Scenario {
            client: Some((100, 10)),
            ..plain(
                format!(
                    "{} deletes on {} gateways, --max-rate 100 --parallelism 10 (the former defaults)",
                    1000 / scale,
                    1000 / scale
                ),
                1000 / scale,
                1000 / scale,
                None,
            )
        },
        Scenario {
            with_plan: true,
            limit: Some(40.0),
            client: Some((100, 10)),
            ..plain(
                format!(
                    "plan + apply, {} deletes on {} gateways, sandbox limit 40/s per action, --max-rate 100 --parallelism 10 (the former defaults)",
                    400 / scale,
                    400 / scale
                ),
                400 / scale,
                400 / scale,
                None,
            )
        },
        // Issue 22: the family: 100 connections on 50 gateways to 50 new customer
        // gateways, the plan and the apply.
        Scenario {
            op: Op::Connection,
            with_plan: true,
            ..plain(
                format!(
                    "plan + apply, {} IPsec connections on {} gateways to {} new customer gateways",
                    100 / scale.min(10),
                    50 / scale.min(10),
                    50 / scale.min(10)
                ),
                100 / scale.min(10),
                50 / scale.min(10),
                None,
            )
        },
        // Issue 23: decommission 20 whole gateways (each with 2 connections, 2 routes
        // and 2 policy-based routes, an SSL-VPN server with 3 certificates) and the
        // customer gateways of their connections, the plan and the apply.
        Scenario {
            op: Op::Decommission,
            with_plan: true,
            ..plain(
                format!(
                    "plan + apply, decommission {} gateways, each with {DC_CONNECTIONS} connections, {} routes, an SSL-VPN server with {DC_CERTS} certificates, and their customer gateways",
                    20 / scale.min(10),
                    DC_ROUTES + DC_POLICY_ROUTES
                ),
                DC_PER_GATEWAY * (20 / scale.min(10)),
                20 / scale.min(10),
                None,
            )
        },
        // Issue 25: deletes at the sandbox's limit under status and list lags, where
        // the climb must find the limit without throttling more than 5% of answers.
        Scenario {
            limit: Some(40.0),
            lag: Duration::from_millis(500),
            ..plain(
                format!(
                    "{} deletes on {} gateways, sandbox limit 40/s per action, 0.5 s status and list lag",
                    200 / scale,
                    200 / scale
                ),
                200 / scale,
                200 / scale,
                None,
            )
        },
        // Issue 25: the wide apply a second time, from the rates the first learned; and
        // the same first (cold) run alone, to compare.
        plain(
            format!(
                "{} deletes on {} gateways",
                1490 / scale / 10,
                1490 / scale / 10
            ),
            1490 / scale / 10,
            1490 / scale / 10,
            None,
        ),
        Scenario {
            warm: true,
            ..plain(
                format!(
                    "{} deletes on {} gateways, second run (learned rates)",
                    1490 / scale / 10,
                    1490 / scale / 10
                ),
                1490 / scale / 10,
                1490 / scale / 10,
                None,
            )
        },
    ];
    let modes = [
        Mode::Vpnform,
        Mode::Fixed(Duration::from_secs(3)),
        Mode::Fixed(Duration::from_secs(5)),
    ];
    let only_vpnform = std::env::args().any(|a| a == "--vpnform-only");
    let mut tasks = tokio::task::JoinSet::new();
    let only = std::env::var("VPNFORM_BENCH_ONLY").unwrap_or_default();
    if scenarios
        .iter()
        .any(|s| s.postgres && s.name.contains(&only))
    {
        // SAFETY: set before any task or thread of ours reads the environment.
        unsafe { std::env::set_var("VPNFORM_PG_URL", pg::server().url()) };
    }
    for (si, s) in scenarios.iter().enumerate() {
        if !s.name.contains(&only) {
            continue;
        }
        for (mi, m) in modes.iter().enumerate() {
            // The baselines only for the classic scenarios (the local file's).
            if (only_vpnform
                || s.postgres
                || s.limit.is_some()
                || s.lag > Duration::ZERO
                || s.client.is_some()
                || si > 3)
                && mi > 0
            {
                continue;
            }
            let (s, m) = (s.clone(), *m);
            tasks.spawn(async move { ((si, mi), run(s, m).await) });
        }
    }
    let mut rows = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (key, row) = joined.expect("a scenario does not panic");
        rows.insert(key, row);
    }
    println!(
        "apply: sandbox latency {} ms, configure time {} s, client defaults{}\n",
        LATENCY.as_millis(),
        CONFIGURE.as_secs(),
        if quick { ", --quick sizes" } else { "" }
    );
    println!(
        "| scenario | mode | wall | cloud's bound (chain / calls at the sandbox's limit) | ratio | API calls per operation (mutation/Describe*/List) | answers throttled | median active-to-next-action |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for row in rows.values() {
        let n = row.scenario.count as f64;
        let get = |k: &str| row.calls.get(k).copied().unwrap_or(0) as f64;
        let total: u64 = row.calls.values().sum();
        let describe = get("DescribeVpnGateway") + get("DescribeVpnGateways");
        println!(
            "| {} | {} | {} | {} ({} / {}) | {:.2}{} | {:.2} ({:.2}/{:.2}/{:.2}) | {:.1}% | {} |",
            row.scenario.name,
            row.mode.label(),
            secs(row.wall),
            secs(row.bound),
            secs(row.scenario.chain_bound()),
            row.rate_floor.map_or("-".into(), secs),
            row.wall.as_secs_f64() / row.bound.as_secs_f64(),
            if row.ok { "" } else { " (FAILED)" },
            total as f64 / n,
            get(row.scenario.op.action()) / n,
            describe / n,
            get("ListIpsecServers") / n,
            100.0 * row.throttled as f64 / total.max(1) as f64,
            row.median_delay
                .map_or("-".into(), |d| format!("{} ms", d.as_millis())),
        );
    }
    println!(
        "\nWhere the time goes:\n\n| scenario | mode | state writes per operation | changes per write | mean write | longest write | mutations accepted: first to last | their rate |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for row in rows.values() {
        let n = row.scenario.count as f64;
        let j = row.journal.unwrap_or_default();
        let (span, accepted) = row.mutations_span.unwrap_or_default();
        println!(
            "| {} | {} | {:.2} | {:.1} | {:.1} ms | {:.1} ms | {} | {:.1}/s |",
            row.scenario.name,
            row.mode.label(),
            j.writes as f64 / n,
            j.changes as f64 / (j.writes.max(1)) as f64,
            j.writing.as_secs_f64() * 1000.0 / (j.writes.max(1)) as f64,
            j.longest.as_secs_f64() * 1000.0,
            secs(span),
            accepted.saturating_sub(1) as f64 / span.as_secs_f64().max(1e-9),
        );
    }
}
