//! The adaptive engine (issue 7) end to end against the sandbox: batched polls and
//! confirms, gateways freed before the confirm, still exactly one delete per server, in
//! dependency order, each recorded only once confirmed. No timing assertions.

use std::sync::Arc;
use std::time::Duration;

use vpnform::apply::{ApplyOptions, Event, Journal, PollStrategy, Reporter, execute};
use vpnform::cloud::{Client, ClientOptions, Credentials};
use vpnform::plan::{Action, ActionKind, Precheck};
use vpnform::sandbox::{self, SandboxConfig, World};
use vpnform::secret::Secret;
use vpnform::state::{Resource, State};

use crate::support::serve;

struct Quiet;
impl Reporter for Quiet {
    fn event(&self, _: &Event) {}
}

/// 12 servers on 3 gateways; `chained`: server i must be deleted after server i - 1
/// (i on gateway i % 3).
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
    let mut actions = Vec::new();
    for i in 0..12 {
        let (id, gw) = (format!("iss-{i:03}"), format!("vpn-{:03}", i % 3));
        world.add_server(&id, &gw, "cn-hangzhou");
        let depends_on: Vec<vpnform::Address> = if chained && i < 11 {
            vec![format!("ipsec_server.s{:03}", i + 1).parse().unwrap()]
        } else {
            vec![]
        };
        let address: vpnform::Address = format!("ipsec_server.s{i:03}").parse().unwrap();
        state.resources.insert(
            address.clone(),
            Resource {
                id: id.clone(),
                region: "cn-hangzhou".into(),
                vpn_gateway: gw.clone(),
                depends_on: depends_on.clone(),
                protect: false,
                attributes: Default::default(),
            },
        );
        actions.push(Action {
            address,
            resource_kind: "ipsec_server".into(),
            action: ActionKind::Delete,
            id,
            region: "cn-hangzhou".into(),
            vpn_gateway: gw,
            depends_on,
            client_token: format!("vpnform-t{i:030}"),
            precheck: Precheck::Skipped,
            reason: "removed from desired state".into(),
            protect: false,
            attributes: Default::default(),
            changes: Vec::new(),
        });
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
    vpnform::state::write(dir.path(), &state).unwrap();
    let journal = Arc::new(Journal::start(
        dir.path().to_path_buf(),
        state,
        None,
        Arc::new(|d: &std::path::Path, s: &State| {
            vpnform::state::write(d, s).map_err(|e| e.to_string())
        }),
    ));
    let (_tx, cancel) = tokio::sync::watch::channel(false);
    let options = ApplyOptions {
        poll_interval: Duration::from_millis(20),
        poll_strategy: strategy,
        ..ApplyOptions::default()
    };
    let outcome = execute(
        &actions,
        &[],
        "test",
        client,
        journal.clone(),
        Arc::new(Quiet),
        options,
        cancel,
    )
    .await;
    assert!(outcome.is_success(), "{:?}", outcome.failures());
    assert_eq!(outcome.count(ActionKind::Delete), 12);
    let journal = Arc::try_unwrap(journal).ok().expect("one owner left");
    let last = journal.finish().await;
    assert!(last.resources.is_empty() && last.pending.is_empty());
    let on_disk = vpnform::state::read(dir.path()).unwrap().unwrap();
    assert!(on_disk.resources.is_empty() && on_disk.pending.is_empty());
    assert!(sandbox.world().ipsec_servers.is_empty());
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
