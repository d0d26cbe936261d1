//! Rate discovery, throttling and busy answers, and lag-proof waits, against the sandbox
//! (GitHub issue 15). The real binary runs against a sandbox the test serves in-process;
//! every answer of interest is scripted with the sandbox's injections, so each case is
//! deterministic, and asserted from the wire log, the audit log, the state and stderr.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use vpnform::sandbox::{Injection, RateLimits, Sandbox, SandboxConfig, World};

use crate::support::{
    Cloud as Fixture, Output, Seen, Workspace, configuring, ipsec_server, param, read_state,
    state_file, world_of,
};

/// `(name, server id, gateway id, depends_on names)`, all in cn-hangzhou.
type Recorded<'a> = (&'a str, &'a str, &'a str, &'a [&'a str]);

/// A state recording `servers` at serial 3, each with a `name` attribute.
fn state_yaml(servers: &[Recorded]) -> String {
    state_file()
        .resources(servers.iter().map(|(name, id, gateway, deps)| {
            ipsec_server(name, id, gateway).depends_on(deps).named()
        }))
        .render()
}

/// A desired file that keeps nothing: every recorded server is deleted.
const DESIRED_NOTHING: &str = "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers:\n  keep:\n    id: iss-keep\n    vpn_gateway: vpn-keep\n";

/// The shared sandbox fixture, holding the world these tests record.
struct Cloud(Fixture);

impl Cloud {
    fn start(servers: &[Recorded], tune: impl FnOnce(&mut SandboxConfig)) -> Cloud {
        let mut world = World::default();
        for (_, id, gateway, _) in servers {
            world.add_server(id, gateway, "cn-hangzhou");
        }
        world.add_server("iss-keep", "vpn-keep", "cn-hangzhou");
        let mut config = configuring(Duration::from_millis(200));
        tune(&mut config);
        Cloud(Fixture::start(config, world))
    }

    fn sandbox(&self) -> &Sandbox {
        self.0.sandbox()
    }

    fn workspace(&self, servers: &[Recorded]) -> Workspace {
        Workspace::new()
            .file("vpnform.yaml", DESIRED_NOTHING)
            .file("state/vpnform.state.yaml", &state_yaml(servers))
            .against(&self.0)
    }

    fn wire(&self) -> Vec<Seen> {
        self.0.wire.seen()
    }

    /// Real (not DryRun) DeleteIpsecServer calls, in order: `(server, token, outcome)`
    /// with the outcome the error code or `OK`.
    fn real_deletes(&self) -> Vec<(String, String, String)> {
        self.wire()
            .into_iter()
            .filter(|s| {
                s.call.action == "DeleteIpsecServer" && param(&s.call, "DryRun") != Some("true")
            })
            .map(|s| {
                (
                    param(&s.call, "IpsecServerId")
                        .unwrap_or_default()
                        .to_owned(),
                    param(&s.call, "ClientToken").unwrap_or_default().to_owned(),
                    s.call.code.clone().unwrap_or_else(|| "OK".to_owned()),
                )
            })
            .collect()
    }

    /// Delete effects per server, from the audit log.
    fn effects(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for e in self.sandbox().audit() {
            *out.entry(e.resource).or_default() += 1;
        }
        out
    }
}

fn recorded(ws: &Workspace) -> Vec<String> {
    read_state(ws)
        .resources
        .keys()
        .map(|a| a.to_string())
        .collect()
}

const ONE: &[Recorded] = &[("office", "iss-office", "vpn-office", &[])];

/// Plans (prechecks included) and saves the plan, so that an injection set up
/// afterwards meets the real delete, not its DryRun.
fn saved_plan(ws: &Workspace) {
    let out = ws.run(&["plan", "--out", "p.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
}

fn apply_saved(ws: &Workspace) -> Output {
    ws.run(&["apply", "--poll-interval", "50ms", "p.plan"])
}

fn inject(cloud: &Cloud, status: u16, code: &str, retry_after_ms: Option<u64>, after: bool) {
    cloud.sandbox().inject(Injection {
        action: Some("DeleteIpsecServer".into()),
        status,
        code: code.into(),
        retry_after: retry_after_ms.map(Duration::from_millis),
        after_effect: after,
        times: 1,
    });
}

// ---------------------------------------------------------------------------------------
// Throttling: every form is slowed down for and retried with the same ClientToken.

fn throttled_delete_is_retried_with_the_same_token(status: u16, code: &str, header: Option<u64>) {
    let cloud = Cloud::start(ONE, |_| {});
    let ws = cloud.workspace(ONE);
    saved_plan(&ws);
    inject(&cloud, status, code, header, false);
    let out = apply_saved(&ws);
    assert_eq!(out.code, 0, "{out:?}");
    let deletes = cloud.real_deletes();
    assert_eq!(deletes.len(), 2, "{deletes:?}");
    assert_eq!(deletes[0].2, code);
    assert_eq!(deletes[1].2, "OK");
    assert_eq!(
        deletes[0].1, deletes[1].1,
        "the retry carries the same token"
    );
    assert_eq!(cloud.effects(), BTreeMap::from([("iss-office".into(), 1)]));
    assert_eq!(recorded(&ws), ["ipsec_server.keep"]);
}

#[test]
fn throttling_is_retried_with_the_same_token() {
    throttled_delete_is_retried_with_the_same_token(400, "Throttling", None);
}

#[test]
fn throttling_user_is_retried_with_the_same_token() {
    throttled_delete_is_retried_with_the_same_token(400, "Throttling.User", Some(100));
}

#[test]
fn throttling_api_is_retried_with_the_same_token() {
    throttled_delete_is_retried_with_the_same_token(400, "Throttling.Api", None);
}

/// Regression: `Rejected.Throttling` was read as terminal and failed the delete.
#[test]
fn rejected_throttling_was_terminal() {
    throttled_delete_is_retried_with_the_same_token(400, "Rejected.Throttling", None);
}

#[test]
fn service_unavailable_is_throttling_and_retried_with_the_same_token() {
    throttled_delete_is_retried_with_the_same_token(503, "ServiceUnavailable", None);
}

/// Regression: an error answer carrying `x-acs-retry-after` failed the delete when its
/// code was terminal; the SDKs read any such answer as throttling.
#[test]
fn any_answer_with_x_acs_retry_after_was_not_throttling() {
    throttled_delete_is_retried_with_the_same_token(400, "InvalidParameter.Whatever", Some(200));
}

// ---------------------------------------------------------------------------------------
// Busy answers: wait for the gateway, then send again with the same token.

fn busy_delete_waits_for_the_gateway_then_retries(code: &str) {
    let cloud = Cloud::start(ONE, |_| {});
    let ws = cloud.workspace(ONE);
    saved_plan(&ws);
    inject(&cloud, 400, code, None, false);
    let out = apply_saved(&ws);
    assert_eq!(out.code, 0, "{out:?}");
    let deletes = cloud.real_deletes();
    assert_eq!(deletes.len(), 2, "{deletes:?}");
    assert_eq!((deletes[0].2.as_str(), deletes[1].2.as_str()), (code, "OK"));
    assert_eq!(deletes[0].1, deletes[1].1);
    // Between the two, the gateway was read.
    let wire = cloud.wire();
    let calls: Vec<&str> = wire.iter().map(|s| s.call.action.as_str()).collect();
    let first = wire
        .iter()
        .position(|s| s.call.code.as_deref() == Some(code))
        .unwrap();
    let retry = first
        + 1
        + wire[first + 1..]
            .iter()
            .position(|s| s.call.action == "DeleteIpsecServer")
            .unwrap();
    assert!(
        calls[first..retry]
            .iter()
            .any(|c| c.starts_with("DescribeVpnGateway")),
        "{calls:?}"
    );
    assert_eq!(cloud.effects(), BTreeMap::from([("iss-office".into(), 1)]));
    assert_eq!(recorded(&ws), ["ipsec_server.keep"]);
}

#[test]
fn appliance_configuring_is_busy() {
    busy_delete_waits_for_the_gateway_then_retries("Appliance.Configuring");
}

/// Regression: `VpnTask.CONFLICT` was terminal.
#[test]
fn vpn_task_conflict_was_terminal() {
    busy_delete_waits_for_the_gateway_then_retries("VpnTask.CONFLICT");
}

#[test]
fn vpn_connection_configuring_is_busy() {
    busy_delete_waits_for_the_gateway_then_retries("VpnConnection.Configuring");
}

#[test]
fn vpn_route_entry_configuring_is_busy() {
    busy_delete_waits_for_the_gateway_then_retries("VpnRouteEntry.Configuring");
}

#[test]
fn task_conflict_is_busy() {
    busy_delete_waits_for_the_gateway_then_retries("TaskConflict");
}

#[test]
fn operation_conflict_is_busy() {
    busy_delete_waits_for_the_gateway_then_retries("OperationConflict");
}

/// Regression: `Operation.Blocking` (a transit-router attachment holds the gateway) was
/// final; API.md lists it as busy.
#[test]
fn operation_blocking_was_final() {
    busy_delete_waits_for_the_gateway_then_retries("Operation.Blocking");
}

/// Regression: `InvalidRegionId.NotFound` was read as "gone" (a not-found class): a
/// delete answered so was taken as done and its absence read. It is a plain failure
/// naming the region, sent once.
#[test]
fn invalid_region_id_not_found_was_read_as_gone() {
    let cloud = Cloud::start(ONE, |_| {});
    let ws = cloud.workspace(ONE);
    saved_plan(&ws);
    inject(&cloud, 404, "InvalidRegionId.NotFound", None, false);
    let failed = "ipsec_server.office: DeleteIpsecServer failed: InvalidRegionId.NotFound (HTTP 404): \
                  InvalidRegionId.NotFound (injected by the sandbox).\n  \
                  RequestId: [REQUEST_ID]\n  \
                  HostId: 127.0.0.1:[PORT]\n  \
                  Recommend: https://api.aliyun.com/troubleshoot?q=InvalidRegionId.NotFound&product=Vpc&requestId=[REQUEST_ID]\n  \
                  hint: the region `cn-hangzhou` does not exist at this endpoint: check the `region` \
                  in the desired file (or the state) against the account's regions\n";
    let out = ws
        .vpnform(&["apply", "--poll-interval", "50ms", "p.plan"])
        .code(1)
        .any_stdout()
        .any_stderr()
        .run();
    let stderr = crate::support::apply_filters(
        &[
            crate::support::Filter::new(
                r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}",
                "[REQUEST_ID]",
            ),
            crate::support::Filter::new(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
            crate::support::Filter::new(r"after \d+s", "after [DURATION]"),
        ],
        &out.stderr,
    );
    // The adopt and the delete run side by side: their progress lines interleave in
    // either order; the error that ends the run is whole.
    let tail = format!(
        "{}error: apply did not finish: the state records every action that did\n\n{failed}",
        failed.replacen("ipsec_server.office: ", "ipsec_server.office: failed: ", 1)
    );
    let head = stderr
        .strip_suffix(tail.as_str())
        .unwrap_or_else(|| panic!("{stderr}"));
    let mut progress: Vec<&str> = head.lines().collect();
    progress.sort_unstable();
    assert_eq!(
        progress,
        [
            "ipsec_server.keep: Adopting... [id=iss-keep]",
            "ipsec_server.keep: Adoption complete after [DURATION]",
            "ipsec_server.office: Destroying... [id=iss-office]",
        ]
    );
    let deletes = cloud.real_deletes();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].2, "InvalidRegionId.NotFound");
    assert!(cloud.effects().is_empty());
    assert_eq!(recorded(&ws), ["ipsec_server.keep", "ipsec_server.office"]);
}

// ---------------------------------------------------------------------------------------
// IncorrectStatus: read the server again rather than retry blind.

/// Regression: on `IncorrectStatus.*` vpnform retried blind, where the server may be
/// gone. Here the delete took effect (configure time 0: gone at once) and the answer
/// said IncorrectStatus: the read finds it gone and records it, with no second call.
#[test]
fn incorrect_status_of_a_gone_server_was_retried_blind() {
    let cloud = Cloud::start(ONE, |c| c.configure_time = (Duration::ZERO, Duration::ZERO));
    let ws = cloud.workspace(ONE);
    saved_plan(&ws);
    inject(&cloud, 400, "IncorrectStatus.IpsecServer", None, true);
    let out = apply_saved(&ws);
    assert_eq!(out.code, 0, "{out:?}");
    let deletes = cloud.real_deletes();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].2, "IncorrectStatus.IpsecServer");
    let wire = cloud.wire();
    let at = wire
        .iter()
        .position(|s| s.call.code.as_deref() == Some("IncorrectStatus.IpsecServer"))
        .unwrap();
    assert_eq!(wire[at + 1].call.action, "ListIpsecServers");
    assert_eq!(cloud.effects(), BTreeMap::from([("iss-office".into(), 1)]));
    assert_eq!(recorded(&ws), ["ipsec_server.keep"]);
}

/// The delete took effect but the answer said IncorrectStatus: the server is still
/// there and its gateway busy, so apply waits for the gateway and sends again with the
/// same token (the first answer comes back, no second effect).
#[test]
fn incorrect_status_of_a_busy_server_waits_then_retries() {
    let cloud = Cloud::start(ONE, |_| {});
    let ws = cloud.workspace(ONE);
    saved_plan(&ws);
    inject(&cloud, 400, "IncorrectStatus.VpnGateway", None, true);
    let out = apply_saved(&ws);
    assert_eq!(out.code, 0, "{out:?}");
    let deletes = cloud.real_deletes();
    assert_eq!(deletes.len(), 2, "{deletes:?}");
    assert_eq!(deletes[0].1, deletes[1].1);
    let wire = cloud.wire();
    let calls: Vec<(&str, Option<&str>)> = wire
        .iter()
        .map(|s| (s.call.action.as_str(), s.call.code.as_deref()))
        .filter(|(a, _)| *a != "DescribeVpnGateways")
        .collect();
    let at = calls
        .iter()
        .position(|c| c.1 == Some("IncorrectStatus.VpnGateway"))
        .unwrap();
    assert_eq!(calls[at + 1], ("ListIpsecServers", None), "{calls:?}");
    assert_eq!(calls[at + 2], ("DescribeVpnGateway", None), "{calls:?}");
    assert_eq!(cloud.effects(), BTreeMap::from([("iss-office".into(), 1)]));
    assert_eq!(recorded(&ws), ["ipsec_server.keep"]);
}

/// Refused before any effect with the gateway idle: read, then retried at once.
#[test]
fn incorrect_status_of_an_idle_server_is_retried_after_the_read() {
    let cloud = Cloud::start(ONE, |_| {});
    let ws = cloud.workspace(ONE);
    saved_plan(&ws);
    inject(&cloud, 400, "IncorrectStatus", None, false);
    let out = apply_saved(&ws);
    assert_eq!(out.code, 0, "{out:?}");
    let deletes = cloud.real_deletes();
    assert_eq!(deletes.len(), 2, "{deletes:?}");
    assert_eq!(
        (deletes[0].2.as_str(), deletes[1].2.as_str()),
        ("IncorrectStatus", "OK")
    );
    assert_eq!(cloud.effects(), BTreeMap::from([("iss-office".into(), 1)]));
}

/// `ipsec_server.office` recorded as `office`, desired as `office-new`: one update. The
/// plan is saved (its DryRun precheck run) before the test scripts the real update's
/// answer.
fn renaming() -> (Fixture, Workspace) {
    let state = state_file()
        .resource(ipsec_server("office", "iss-office", "vpn-office").named())
        .render();
    let cloud = Fixture::start(configuring(Duration::from_millis(200)), world_of(&state));
    let ws = cloud.workspace(
        &state,
        "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers:\n  office:\n    id: iss-office\n    vpn_gateway: vpn-office\n    name: office-new\n",
    );
    saved_plan(&ws);
    (cloud, ws)
}

fn inject_update(cloud: &Fixture, code: &str) {
    cloud.sandbox().inject(Injection {
        action: Some("UpdateIpsecServer".into()),
        status: 400,
        code: code.into(),
        retry_after: None,
        after_effect: false,
        times: 1,
    });
}

/// The calls the sandbox answered, but the gateway polls: `(action, code or OK)`.
fn calls_but_polls(cloud: &Fixture) -> Vec<(String, String)> {
    cloud
        .wire
        .seen()
        .into_iter()
        .filter(|s| !s.call.action.starts_with("DescribeVpnGateway"))
        .map(|s| {
            let code = s.call.code.clone().unwrap_or_else(|| "OK".into());
            let dry = if param(&s.call, "DryRun") == Some("true") {
                " (DryRun)"
            } else {
                ""
            };
            (format!("{}{dry}", s.call.action), code)
        })
        .collect()
}

/// Regression: `IncorrectStatus.*` was read again only on the delete path; an update
/// waited and sent again blind. It reads the server first (there: wait, then retry).
#[test]
fn incorrect_status_on_an_update_was_retried_without_a_read() {
    let (cloud, ws) = renaming();
    inject_update(&cloud, "IncorrectStatus.VpnGateway");
    let out = apply_saved(&ws);
    assert_eq!(out.code, 0, "{out:?}");
    let call = |a: &str, c: &str| (a.to_owned(), c.to_owned());
    assert_eq!(
        calls_but_polls(&cloud),
        [
            call("ListIpsecServers", "OK"),
            call("UpdateIpsecServer (DryRun)", "DryRunOperation"),
            call("ListIpsecServers", "OK"),
            call("UpdateIpsecServer", "IncorrectStatus.VpnGateway"),
            call("ListIpsecServers", "OK"),
            call("UpdateIpsecServer", "OK"),
            call("ListIpsecServers", "OK"),
        ]
    );
    assert_eq!(
        read_state(&ws).resources["ipsec_server.office"].attributes["name"],
        "office-new"
    );
}

/// The read finds the server gone (deleted outside vpnform since the plan): the update
/// is not sent again, and the error says so.
#[test]
fn incorrect_status_on_an_update_of_a_gone_server_is_not_retried() {
    let (cloud, ws) = renaming();
    cloud.sandbox().shared().edit_world(|w| {
        w.ipsec_servers.remove("iss-office");
    });
    inject_update(&cloud, "IncorrectStatus.IpsecServer");
    let out = apply_saved(&ws);
    assert_eq!(out.code, 1, "{out:?}");
    let updates: Vec<(String, String)> = calls_but_polls(&cloud)
        .into_iter()
        .filter(|(a, _)| a == "UpdateIpsecServer")
        .collect();
    assert_eq!(
        updates,
        [(
            "UpdateIpsecServer".to_owned(),
            "IncorrectStatus.IpsecServer".to_owned()
        )]
    );
    assert!(
        out.stderr.contains(
            "ipsec_server.office: failed: iss-office is gone from the cloud (ListIpsecServers no longer lists it): UpdateIpsecServer failed: IncorrectStatus.IpsecServer (HTTP 400)"
        ),
        "{}",
        out.stderr
    );
    // Nothing was changed, so nothing stays journaled: the next plan forgets it.
    assert!(read_state(&ws).pending.is_empty());
}

// ---------------------------------------------------------------------------------------
// Rates: the cap, and the one warning of persistent throttling.

fn many(n: usize) -> Vec<Recorded<'static>> {
    (0..n)
        .map(|i| {
            let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
            (
                leak(format!("s{i:02}")),
                leak(format!("iss-s{i:02}")),
                leak(format!("vpn-s{i:02}")),
                &[][..],
            )
        })
        .collect()
}

/// The sandbox allows one DeleteIpsecServer a second; vpnform starts at 10 a second, so
/// its prechecks are throttled for some seconds while it halves its way down: one
/// warning, naming the action and the rate it then sends at, however many answers.
#[test]
fn persistent_throttling_warns_once() {
    let servers = many(8);
    let cloud = Cloud::start(&servers, |c| {
        c.rate_limits = Some(RateLimits {
            default_per_second: None,
            per_action: BTreeMap::from([("DeleteIpsecServer".to_owned(), 1.0)]),
        })
    });
    let ws = cloud.workspace(&servers);
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    let throttled = cloud
        .wire()
        .iter()
        .filter(|s| s.call.code.as_deref() == Some("Throttling.User"))
        .count();
    assert!(throttled > 3, "{throttled}");
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: the cloud has throttled"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    let w = warnings[0];
    let prefix =
        "warning: the cloud has throttled DeleteIpsecServer for 3s: vpnform now sends it at ";
    let suffix = " requests a second and keeps adapting; if other tools share this account's API limits, `--max-rate N` caps vpnform's share";
    assert!(w.starts_with(prefix) && w.ends_with(suffix), "{w}");
    let rate: f64 = w[prefix.len()..w.len() - suffix.len()].parse().unwrap();
    assert!(rate > 0.0 && rate <= 5.0, "{rate}");
}

/// `--max-rate 2`: six prechecks (one action) take at least 2.5 s, none throttled.
#[test]
fn max_rate_caps_each_action() {
    let servers = many(6);
    let cloud = Cloud::start(&servers, |_| {});
    let ws = cloud.workspace(&servers);
    let started = Instant::now();
    let out = ws.run(&["plan", "--max-rate", "2"]);
    let took = started.elapsed();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(took >= Duration::from_millis(2400), "{took:?}");
    let dry_runs = cloud
        .wire()
        .iter()
        .filter(|s| param(&s.call, "DryRun") == Some("true"))
        .count();
    assert_eq!(dry_runs, 6);
}

#[test]
fn max_rate_out_of_range_is_a_usage_error() {
    let ws = Workspace::new();
    for bad in ["0", "10001", "fast"] {
        let out = ws.run(&["plan", "--max-rate", bad]);
        assert_eq!(out.code, 1, "{out:?}");
        let first = out.stderr.lines().next().unwrap_or_default();
        let why = if bad == "fast" {
            "invalid digit found in string".to_owned()
        } else {
            format!("{bad} is not in 1..=10000")
        };
        assert_eq!(
            first,
            format!("error: invalid value '{bad}' for '--max-rate <N>': {why}")
        );
    }
}

// ---------------------------------------------------------------------------------------
// Lags: a gateway that shows `active` for a while after accepting a delete, a listing
// that still shows a deleted server for a while after its gateway is active again.

/// Two gateways carrying three servers each (the sandbox, unlike Alibaba, allows it:
/// that is what makes a chain of operations per gateway), and a cross-gateway
/// dependency.
const LAGGED: &[Recorded] = &[
    ("a1", "iss-a1", "vpn-a", &[]),
    ("a2", "iss-a2", "vpn-a", &[]),
    ("a3", "iss-a3", "vpn-a", &["b1"]),
    ("b1", "iss-b1", "vpn-b", &[]),
    ("b2", "iss-b2", "vpn-b", &[]),
    ("b3", "iss-b3", "vpn-b", &[]),
];

fn lag_proof(status_lag: Duration, list_lag: Duration) {
    let cloud = Cloud::start(LAGGED, |c| {
        c.status_lag = status_lag;
        c.list_lag = list_lag;
    });
    let ws = cloud.workspace(LAGGED);
    let state_path = ws.path().join("state");
    let early: Mutex<Vec<String>> = Mutex::default();
    let done = std::sync::atomic::AtomicBool::new(false);
    let out = std::thread::scope(|scope| {
        // Records nothing early: whenever the state lacks a server, the cloud (read
        // after the state) must lack it too.
        scope.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(Some(state)) = vpnform::state::read(&state_path) {
                    let world = cloud.sandbox().world();
                    for (name, id, _, _) in LAGGED {
                        let address = format!("ipsec_server.{name}");
                        if !state.resources.contains_key(address.as_str())
                            && world.ipsec_servers.contains_key(*id)
                        {
                            early.lock().unwrap().push(address);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        let out = ws.run(&["apply", "--auto-approve", "--poll-interval", "50ms"]);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        out
    });
    let context = format!("status lag {status_lag:?}, list lag {list_lag:?}");
    assert_eq!(out.code, 0, "{context}: {out:?}");
    assert!(
        early.lock().unwrap().is_empty(),
        "{context}: recorded before the cloud was done: {:?}",
        early.lock().unwrap()
    );
    assert_eq!(recorded(&ws), ["ipsec_server.keep"], "{context}");
    // Each delete took effect exactly once.
    let effects = cloud.effects();
    assert_eq!(effects.len(), 6, "{context}: {effects:?}");
    assert!(effects.values().all(|n| *n == 1), "{context}: {effects:?}");
    // No second mutation on a gateway before the first is confirmable: every delete
    // sent on a gateway after an accepted one comes after that one's server stopped
    // being listed (its configure end plus the list lag).
    let audit = cloud.sandbox().audit();
    let list_lag = jiff::SignedDuration::try_from(list_lag).unwrap();
    for seen in cloud.wire().iter().filter(|s| {
        s.call.action == "DeleteIpsecServer" && param(&s.call, "DryRun") != Some("true")
    }) {
        let id = param(&seen.call, "IpsecServerId").unwrap();
        let gateway = &LAGGED.iter().find(|s| s.1 == id).unwrap().2;
        for earlier in audit
            .iter()
            .filter(|e| e.vpn_gateway == *gateway && e.resource != id)
        {
            let accepted: jiff::Timestamp = earlier.time.parse().unwrap();
            let unlisted = earlier
                .configured_at
                .parse::<jiff::Timestamp>()
                .unwrap()
                .checked_add(list_lag)
                .unwrap();
            assert!(
                seen.at < accepted || seen.at >= unlisted,
                "{context}: DeleteIpsecServer {id} sent at {} while {} on the same gateway \
                 was accepted at {accepted} and listed until {unlisted}",
                seen.at,
                earlier.resource
            );
        }
    }
}

#[test]
fn lags_none() {
    lag_proof(Duration::ZERO, Duration::ZERO);
}

#[test]
fn lag_in_status_only() {
    lag_proof(Duration::from_millis(300), Duration::ZERO);
}

#[test]
fn lag_in_listing_only() {
    lag_proof(Duration::ZERO, Duration::from_millis(300));
}

#[test]
fn lags_of_a_second_in_status_and_listing() {
    lag_proof(Duration::from_secs(1), Duration::from_secs(1));
}

/// Four servers on one gateway: each delete waits for the one before to be confirmed.
const ONE_GATEWAY: &[Recorded] = &[
    ("c1", "iss-c1", "vpn-c", &[]),
    ("c2", "iss-c2", "vpn-c", &[]),
    ("c3", "iss-c3", "vpn-c", &[]),
    ("c4", "iss-c4", "vpn-c", &[]),
];

/// Regression: a confirmation that did not hold was read again a twentieth of the
/// configure time later, then twice as late each time, and the region's later waits
/// first looked as late as that confirmation had held: with a listing lag of 1s each
/// step on a gateway paid about half a second more than the lag. Now the re-reads come
/// soon and stay close, and later confirmations read when the listing showed the
/// earlier ones: from the second step on, each delete goes within a few hundred
/// milliseconds of the instant the one before stopped being listed.
#[test]
fn regression_a_lagging_listing_cost_each_step_the_overshoot_of_doubling_rereads() {
    let list_lag = Duration::from_secs(1);
    let cloud = Cloud::start(ONE_GATEWAY, |c| {
        c.configure_time = (Duration::from_millis(300), Duration::from_millis(300));
        c.list_lag = list_lag;
    });
    let ws = cloud.workspace(ONE_GATEWAY);
    let out = ws.run(&["apply", "--auto-approve", "--poll-interval", "50ms"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(recorded(&ws), ["ipsec_server.keep"]);
    let mut audit = cloud.sandbox().audit();
    audit.sort_by(|a, b| a.time.cmp(&b.time));
    assert_eq!(audit.len(), 4, "{audit:?}");
    let list_lag = jiff::SignedDuration::try_from(list_lag).unwrap();
    let mut late = Vec::new();
    for pair in audit.windows(2) {
        let unlisted = pair[0]
            .configured_at
            .parse::<jiff::Timestamp>()
            .unwrap()
            .checked_add(list_lag)
            .unwrap();
        let next: jiff::Timestamp = pair[1].time.parse().unwrap();
        // Never before (the rule), and how long after.
        assert!(
            next >= unlisted,
            "{} sent before {} was unlisted",
            pair[1].resource,
            pair[0].resource
        );
        late.push((next - unlisted).as_millis());
    }
    // The first step learns the lag; the later ones use it.
    let later = &late[1..];
    assert!(
        later.iter().all(|ms| *ms < 350),
        "each delete after the first two, in ms after the one before was unlisted: {late:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Progress: the online plan's prechecks, with the rate they run at.

/// Eight prechecks at two a second take about 3.5 s: off a terminal, a line after 2 s
/// and one when they end, naming the rate; `-q` shows none.
#[test]
fn online_plan_shows_precheck_progress_with_its_rate_unless_quiet() {
    let servers = many(8);
    let cloud = Cloud::start(&servers, |_| {});
    let ws = cloud.workspace(&servers);
    let out = ws.run(&["plan", "--max-rate", "2"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("Prechecking: "))
        .collect();
    assert!(lines.len() >= 2, "{}", out.stderr);
    for line in &lines[..lines.len() - 1] {
        let rest = line.strip_prefix("Prechecking: ").unwrap();
        let (count, rest) = rest
            .split_once(" prechecks, 2 requests a second, ")
            .unwrap();
        let (done, total) = count.split_once('/').unwrap();
        assert!(done.parse::<usize>().unwrap() < 8 && total == "8", "{line}");
        assert!(rest.ends_with('s'), "{line}");
    }
    let last = lines.last().unwrap();
    assert!(
        last.starts_with("Prechecking: 8/8 prechecks, 2 requests a second, ")
            && last.ends_with("s (done)"),
        "{last}"
    );

    let quiet = ws.run(&["-q", "plan", "--max-rate", "2"]);
    assert_eq!(quiet.code, 0, "{quiet:?}");
    assert_eq!(quiet.stderr, "");
}

/// Regression: prechecking a plan of updates said "8/8 deletes", at DeleteIpsecServer's
/// rate. The line counts prechecks, at the rate of the call most of them use.
#[test]
fn regression_the_precheck_progress_of_updates_counted_deletes() {
    let servers = many(8);
    let cloud = Cloud::start(&servers, |_| {});
    let ws = cloud.workspace(&servers);
    let mut desired = DESIRED_NOTHING.to_owned();
    for (name, id, gateway, _) in &servers {
        desired.push_str(&format!(
            "  {name}:\n    id: {id}\n    vpn_gateway: {gateway}\n    name: renamed-{name}\n"
        ));
    }
    ws.write("vpnform.yaml", &desired);
    // The lines before the last come every 2 s: how many depends on the machine.
    ws.vpnform(&["plan", "--max-rate", "2"])
        .any_stdout()
        .filter(
            r"(?m)^Prechecking: [0-7]/8 prechecks, 2 requests a second, \S+\n",
            "",
        )
        .filter_durations()
        .stderr("Prechecking: 8/8 prechecks, 2 requests a second, [DURATION] (done)\n")
        .run();
}

// ---------------------------------------------------------------------------------------
// Learned rates (issue 25): a run starts from what the last one learned against the
// same endpoint; whatever the cache file holds never breaks a run.

/// The DryRun deletes of the calls from `from` on: how long from the first to the last.
fn dry_run_span(wire: &[Seen]) -> Duration {
    let times: Vec<jiff::Timestamp> = wire
        .iter()
        .filter(|s| {
            s.call.action == "DeleteIpsecServer" && param(&s.call, "DryRun") == Some("true")
        })
        .map(|s| s.at)
        .collect();
    let (first, last) = (times.first().unwrap(), times.last().unwrap());
    Duration::try_from(last.duration_since(*first)).unwrap()
}

/// `servers` exist in the cloud again and are recorded again: the same plan a second time.
fn record_again(cloud: &Cloud, ws: &Workspace, servers: &[Recorded]) {
    cloud.sandbox().shared().edit_world(|w| {
        for (_, id, gateway, _) in servers {
            w.add_server(id, gateway, "cn-hangzhou");
        }
    });
    ws.write("state/vpnform.state.yaml", &state_yaml(servers));
}

#[test]
fn a_second_run_starts_at_the_rate_the_first_learned() {
    let servers = many(40);
    let cloud = Cloud::start(&servers, |_| {});
    let ws = cloud.workspace(&servers);
    let out = ws.run(&["apply", "--auto-approve", "--poll-interval", "50ms"]);
    assert_eq!(out.code, 0, "{out:?}");
    // The first run climbs from the start rate, 10 a second, three more a second for
    // each answer: 40 prechecks take (10/3)(e^3t - 1) = 40, t = 0.85 s, or longer.
    let first = dry_run_span(&cloud.wire());
    assert!(first >= Duration::from_millis(700), "{first:?}");

    // What it learned, beside the state: the endpoint, each action, no secret.
    let cache = ws.read("state/.vpnform.rates");
    let url = cloud.sandbox().url();
    let line = cache
        .lines()
        .find(|l| l.starts_with(&format!("{url} DeleteIpsecServer ")))
        .unwrap_or_else(|| panic!("{cache}"));
    let fields: Vec<&str> = line.split(' ').collect();
    let learned: f64 = fields[2].parse().unwrap();
    assert!(learned >= 40.0, "{line}");
    assert_eq!(fields[3], "open", "{line}");
    for secret in [
        vpnform::sandbox::DEFAULT_ACCESS_KEY_ID,
        vpnform::sandbox::DEFAULT_ACCESS_KEY_SECRET,
    ] {
        assert!(!cache.contains(secret), "{cache}");
    }

    // The second run starts there: `-v` says so, and its prechecks go out together.
    record_again(&cloud, &ws, &servers);
    let before = cloud.wire().len();
    let out = ws.run(&["-v", "plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    let said = format!(
        "DeleteIpsecServer starts at {} requests a second, as an earlier run against this \
         endpoint learned",
        fields[2]
    );
    assert!(out.stderr.contains(&said), "{said}\n{}", out.stderr);
    let second = dry_run_span(&cloud.wire()[before..]);
    assert!(second < first / 2, "{second:?} against {first:?}");
}

#[test]
fn a_garbage_rates_file_is_ignored_and_replaced() {
    let servers = many(3);
    let cloud = Cloud::start(&servers, |_| {});
    let ws = cloud.workspace(&servers);
    let url = cloud.sandbox().url();
    // Not UTF-8, a rate of no number, one beyond any ceiling, a line of 100 KiB.
    let garbage = [
        "\u{0}\u{1}binary\n".to_owned(),
        format!("{url} DeleteIpsecServer NaN open\n"),
        format!("{url} ListIpsecServers 1e308 limited\n"),
        format!("{url} DescribeVpnGateway {} open\n", "9".repeat(100 * 1024)),
    ]
    .concat();
    ws.write("state/.vpnform.rates", &garbage);
    let out = ws.run(&["apply", "--auto-approve", "--poll-interval", "50ms"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stderr.contains("rates"), "{}", out.stderr);
    assert_eq!(recorded(&ws), ["ipsec_server.keep"]);
    // Replaced by what this run learned.
    let cache = ws.read("state/.vpnform.rates");
    assert!(cache.len() < 4096, "{cache}");
    assert!(
        cache.contains(&format!("{url} DeleteIpsecServer ")),
        "{cache}"
    );
    assert!(
        !cache.contains("NaN") && !cache.contains("1e308"),
        "{cache}"
    );
}

#[cfg(unix)]
#[test]
fn a_rates_file_that_is_a_link_is_neither_read_nor_written_through() {
    let servers = many(3);
    let cloud = Cloud::start(&servers, |_| {});
    let ws = cloud.workspace(&servers);
    let url = cloud.sandbox().url();
    // A link to a file the run must not touch, holding a rate that would show in `-v`.
    let elsewhere = ws.path().join("elsewhere");
    let text = format!("{url} DeleteIpsecServer 777 open\n");
    std::fs::write(&elsewhere, &text).unwrap();
    std::os::unix::fs::symlink(&elsewhere, ws.path().join("state/.vpnform.rates")).unwrap();
    let out = ws.run(&["-v", "apply", "--auto-approve", "--poll-interval", "50ms"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stderr.contains("starts at 777"), "{}", out.stderr);
    assert!(out.stderr.contains("symbolic link"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), text);
    assert_eq!(recorded(&ws), ["ipsec_server.keep"]);
}

// ---------------------------------------------------------------------------------------
// Confirmations (issue 25): creates and updates confirm as deletes do, sharing
// ListIpsecServers calls of up to 20 ids where nothing waits for them.

#[test]
fn creates_share_their_confirming_list_calls() {
    let n = 20;
    let cloud = Cloud::start(&[], |c| {
        c.configure_time = (Duration::from_millis(300), Duration::from_millis(300))
    });
    let mut desired = DESIRED_NOTHING.to_owned();
    cloud.sandbox().shared().edit_world(|w| {
        for i in 0..n {
            w.add_gateway(&format!("vpn-c{i:02}"), "cn-hangzhou");
        }
    });
    for i in 0..n {
        desired.push_str(&format!(
            "  c{i:02}:\n    vpn_gateway: vpn-c{i:02}\n    local_subnet: 10.0.0.0/24\n    \
             client_ip_pool: 10.9.0.0/16\n"
        ));
    }
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired)
        .file("state/vpnform.state.yaml", &state_yaml(&[]))
        .against(&cloud.0);
    let out = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(recorded(&ws).len(), n + 1, "{out:?}");
    let wire = cloud.wire();
    let first_create = wire
        .iter()
        .position(|s| {
            s.call.action == "CreateIpsecServer" && param(&s.call, "DryRun") != Some("true")
        })
        .unwrap();
    // The confirming reads: ListIpsecServers naming servers by id.
    let confirms: Vec<usize> = wire[first_create..]
        .iter()
        .filter(|s| s.call.action == "ListIpsecServers")
        .map(|s| {
            s.call
                .params
                .iter()
                .filter(|(k, _)| k.starts_with("IpsecServerId."))
                .count()
        })
        .collect();
    assert_eq!(confirms.iter().sum::<usize>(), n, "{confirms:?}");
    assert!(confirms.len() <= n / 4, "{confirms:?}");
    // At most 3 calls per create, everything counted: the refresh, the prechecks, the
    // creates, the gateways' status and the confirmations.
    assert!(wire.len() <= 3 * n, "{} calls for {n} creates", wire.len());
}

/// A gateway busy for reasons of its own is read exactly, with `DescribeVpnGateway`,
/// as long as it is; the gateways this run's deletes made busy, polled in the same
/// rounds, are still read from the region's `updating` list, never one by one.
#[test]
fn one_exact_wait_does_not_turn_a_rounds_other_reads_exact() {
    let servers = many(12);
    let cloud = Cloud::start(&servers, |c| {
        c.configure_time = (Duration::from_millis(300), Duration::from_millis(300))
    });
    let ws = cloud.workspace(&servers);
    saved_plan(&ws);
    let shared = cloud.sandbox().shared().clone();
    shared.edit_world(|w| w.vpn_gateways.get_mut("vpn-s00").unwrap().status = "updating".into());
    let before = cloud.wire().len();
    let out = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(1500));
            shared.edit_world(|w| {
                w.vpn_gateways.get_mut("vpn-s00").unwrap().status = "active".into()
            });
        });
        apply_saved(&ws)
    });
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(recorded(&ws), ["ipsec_server.keep"]);
    let wire = cloud.wire();
    let exact: Vec<&str> = wire[before..]
        .iter()
        .filter(|s| s.call.action == "DescribeVpnGateway")
        .filter_map(|s| param(&s.call, "VpnGatewayId"))
        .collect();
    // The busy gateway, read exactly all along; the others (each read in some round
    // beside it while it was busy) exactly only in a round of their own, if ever.
    let busy = exact.iter().filter(|g| **g == "vpn-s00").count();
    assert!(busy >= 5, "{exact:?}");
    assert!(exact.len() - busy <= 3, "{exact:?}");
}
