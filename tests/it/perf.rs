//! The adaptive engine (issue 7) end to end against the sandbox, through the apply
//! operation the command runs: batched polls and confirms, gateways freed before the
//! confirm, still exactly one delete per server, in dependency order, each recorded only
//! once confirmed. No timing assertions.

use std::sync::Arc;
use std::time::Duration;

use vpnform::apply::{ApplyOptions, PollStrategy};
use vpnform::cloud::{Client, ClientOptions, Credentials};
use vpnform::ops::apply::ApplyRequest;
use vpnform::ops::plan::PlanRequest;
use vpnform::ops::{self, Cloud, Destination, Quiet};
use vpnform::plan::ActionKind;
use vpnform::sandbox::{self, SandboxConfig, World};
use vpnform::secret::Secret;
use vpnform::state::{Resource, State};

use crate::support::serve;

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

/// 12 servers on 3 gateways to delete, through the apply operation (an offline plan
/// saved, then applied); `chained`: server i must be deleted after server i - 1 (i on
/// gateway i % 3).
async fn run(strategy: PollStrategy, chained: bool) {
    let mut world = World::default();
    let mut state = State {
        version: vpnform::state::STATE_VERSION,
        lineage: "6b3f1c9e-2d4a-4e8b-9f10-000000000008".into(),
        serial: 1,
        applying: None,
        resources: Default::default(),
        pending: vec![],
    };
    let mut servers = vec![(
        "keep".to_owned(),
        "iss-keep".to_owned(),
        "vpn-keep".to_owned(),
        vec![],
    )];
    for i in 0..12 {
        let depends_on: Vec<String> = if chained && i < 11 {
            vec![format!("ipsec_server.s{:03}", i + 1)]
        } else {
            vec![]
        };
        servers.push((
            format!("s{i:03}"),
            format!("iss-{i:03}"),
            format!("vpn-{:03}", i % 3),
            depends_on,
        ));
    }
    for (name, id, gw, depends_on) in servers {
        world.add_server(&id, &gw, "cn-hangzhou");
        state.resources.insert(
            format!("ipsec_server.{name}").parse().unwrap(),
            Resource {
                id,
                region: "cn-hangzhou".into(),
                vpn_gateway: gw,
                depends_on: depends_on.iter().map(|a| a.parse().unwrap()).collect(),
                protect: false,
                psk: None,
                attributes: Default::default(),
                deposed: None,
            },
        );
    }
    let config = SandboxConfig {
        configure_time: (Duration::from_millis(30), Duration::from_millis(80)),
        ..SandboxConfig::default()
    };
    let (sandbox, _) = serve(config, world).await;
    let client = Client::new(
        Credentials {
            access_key_id: sandbox::DEFAULT_ACCESS_KEY_ID.into(),
            access_key_secret: Secret::new(sandbox::DEFAULT_ACCESS_KEY_SECRET),
            security_token: None,
            source: "sandbox".into(),
        },
        ClientOptions {
            endpoint: Some(sandbox.url()),
            requests_per_second: 1000.0,
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (desired, state_dir) = (dir.path().join("vpnform.yaml"), dir.path().join("state"));
    let plan_file = dir.path().join("deletes.plan");
    std::fs::write(&desired, DESIRED).unwrap();
    vpnform::state::write(&state_dir, &state).unwrap();
    let cloud = Cloud {
        destination: Destination::Client(client),
        parallelism: 10,
        max_rate: 100,
    };
    let plan = ops::plan::run(
        &PlanRequest {
            desired: desired.clone(),
            state_dir: state_dir.clone(),
            offline: true,
            max_deletes: None,
            targets: Default::default(),
            replace: Default::default(),
            lock_timeout: Duration::ZERO,
            out: Some(plan_file.clone()),
            refresh_only: false,
            read_only: false,
            destroy: false,
            cloud: cloud.clone(),
        },
        Arc::new(Quiet),
    )
    .await
    .unwrap();
    assert_eq!(plan.count(ActionKind::Delete), 12);
    let request = ApplyRequest {
        desired,
        state_dir: state_dir.clone(),
        plan_file: Some(plan_file),
        max_deletes: None,
        targets: Default::default(),
        replace: Default::default(),
        lock_timeout: Duration::ZERO,
        command: "perf".into(),
        cloud,
        options: ApplyOptions {
            poll_interval: Duration::from_millis(20),
            poll_strategy: strategy,
            ..ApplyOptions::default()
        },
        refresh_only: false,
        destroy: false,
        ctrl_c: false,
    };
    let applied = ops::apply::run(&request, Arc::new(Quiet), |_| {
        unreachable!("a saved plan is not approved")
    })
    .await
    .unwrap();
    assert_eq!(applied.outcome.count(ActionKind::Delete), 12);
    let kept = |s: &State| {
        s.resources.keys().cloned().collect::<Vec<_>>() == ["ipsec_server.keep"]
            && s.pending.is_empty()
    };
    assert!(kept(&applied.state.unwrap()));
    assert!(kept(&vpnform::state::read(&state_dir).unwrap().unwrap()));
    assert_eq!(
        sandbox.world().ipsec_servers.keys().collect::<Vec<_>>(),
        ["iss-keep"]
    );
    // One effect per server, and in dependency order when chained.
    let deleted: Vec<String> = sandbox
        .audit()
        .into_iter()
        .filter(|e| e.action == "DeleteIpsecServer")
        .map(|e| e.resource)
        .collect();
    let mut sorted = deleted.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 12, "{deleted:?}");
    assert_eq!(deleted.len(), 12, "{deleted:?}");
    if chained {
        let expected: Vec<String> = (0..12).map(|i| format!("iss-{i:03}")).collect();
        assert_eq!(deleted, expected);
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn adaptive_apply_deletes_each_server_once_and_records_all() {
    run(PollStrategy::Adaptive, false).await;
}

#[tokio::test]
async fn adaptive_apply_keeps_depends_on_order_across_gateways() {
    run(PollStrategy::Adaptive, true).await;
}

#[tokio::test]
async fn fixed_interval_baseline_deletes_each_server_once() {
    run(PollStrategy::Fixed, false).await;
}
