//! `vpnform apply` end to end (GitHub issue 5): the real binary against a sandbox the
//! test runs in-process, asserted from the sandbox's audit log and wire log, the state
//! file, stdout/stderr and the exit code.
//!
//! Every test owns a tokio runtime that serves the sandbox on its worker threads while the
//! test thread runs the binary. The sandbox's configure time is short (200ms) and the
//! binary polls every 50ms, so a run takes about a second; order is asserted from audit
//! timestamps only where the design guarantees a gap (a gateway configures before the
//! next operation on it, a dependency is confirmed gone before its waiter starts).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

use vpnform::sandbox::{self, AuditEntry, CallLog};
use vpnform::state::State;

use crate::support::{
    Cloud, LINEAGE, Output, Workspace, assert_text, ipsec_server, param, read_state, state_file,
};

/// One recorded server: address name, id, region, gateway, depends_on (names).
struct Server {
    name: &'static str,
    id: &'static str,
    region: &'static str,
    gateway: &'static str,
    depends_on: &'static [&'static str],
}

const fn server(
    name: &'static str,
    id: &'static str,
    region: &'static str,
    gateway: &'static str,
    depends_on: &'static [&'static str],
) -> Server {
    Server {
        name,
        id,
        region,
        gateway,
        depends_on,
    }
}

/// A state file recording `servers` at serial 3, each with its `name` attribute.
fn state_yaml(servers: &[Server]) -> String {
    state_file()
        .resources(servers.iter().map(|s| {
            ipsec_server(s.name, s.id, s.gateway)
                .region(s.region)
                .depends_on(s.depends_on)
                .named()
        }))
        .render()
}

/// A desired file keeping `servers`.
fn desired_yaml(servers: &[Server]) -> String {
    let mut text = "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers:\n".to_owned();
    for s in servers {
        text.push_str(&format!(
            "  {}:\n    id: {}\n    vpn_gateway: {}\n    region: {}\n",
            s.name, s.id, s.gateway, s.region
        ));
    }
    text
}

const CONFIGURE: Duration = Duration::from_millis(200);
const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

fn with(base: &[&str], more: &[&'static str]) -> Vec<String> {
    base.iter().chain(more).map(|s| s.to_string()).collect()
}

fn run(ws: &Workspace, args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ws.run(&args)
}

fn time(text: &str) -> jiff::Timestamp {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn addresses(state: &State) -> BTreeSet<String> {
    state.resources.keys().map(|a| a.to_string()).collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|n| format!("ipsec_server.{n}")).collect()
}

// ---------------------------------------------------------------------------------------
// Many gateways: dependency order, one operation per gateway, exactly once, converged.

/// Six deletes over three gateways in two regions. The sandbox (unlike Alibaba) allows
/// several servers on one gateway, which is what proves the per-gateway serialization:
/// hz1 carries three, hz2 two. Dependencies cross gateways and regions:
/// a3 -> c1 -> b2 (so b2 after c1 after a3) and b1 -> a1 (a1 after b1).
const MANY: &[Server] = &[
    server("a1", "iss-a1", "cn-hangzhou", "vpn-hz1", &[]),
    server("a2", "iss-a2", "cn-hangzhou", "vpn-hz1", &[]),
    server("a3", "iss-a3", "cn-hangzhou", "vpn-hz1", &["c1"]),
    server("b1", "iss-b1", "cn-hangzhou", "vpn-hz2", &["a1"]),
    server("b2", "iss-b2", "cn-hangzhou", "vpn-hz2", &[]),
    server("c1", "iss-c1", "cn-shanghai", "vpn-sh1", &["b2"]),
    server("keep", "iss-keep", "cn-shanghai", "vpn-sh2", &[]),
];

#[test]
fn many_gateways_apply_in_dependency_order_one_operation_per_gateway_exactly_once() {
    let state = state_yaml(MANY);
    let cloud = Cloud::for_state(&state, CONFIGURE);
    let ws = cloud.workspace(&state, &desired_yaml(&MANY[6..]));

    let out = run(&ws, &with(APPLY, &[]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.ends_with(
            "\nApply complete! Resources: 0 added, 0 changed, 6 destroyed, 0 adopted, 0 forgotten.\n"
        ),
        "{}",
        out.stdout
    );

    // Each delete effect exactly once.
    let deletes = cloud.deletes();
    let mut effects: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &deletes {
        *effects.entry(e.resource.as_str()).or_default() += 1;
    }
    let expected: BTreeMap<&str, usize> = MANY[..6].iter().map(|s| (s.id, 1)).collect();
    assert_eq!(effects, expected);
    let by_id: BTreeMap<&str, &AuditEntry> =
        deletes.iter().map(|e| (e.resource.as_str(), e)).collect();

    // `A depends_on B`: B's delete starts only once A's gateway finished configuring.
    for a in &MANY[..6] {
        for b in a.depends_on {
            let b = MANY.iter().find(|s| s.name == *b).unwrap();
            let (ea, eb) = (by_id[a.id], by_id[b.id]);
            assert!(
                time(&eb.time) >= time(&ea.configured_at),
                "{} (depends on {}) configured until {}, but {} started at {}",
                a.name,
                b.name,
                ea.configured_at,
                b.name,
                eb.time
            );
        }
    }

    // Per gateway, never two operations in flight: each starts once the previous one's
    // configuring ended, and the sandbox saw the gateway become active in between.
    let mut per_gateway: BTreeMap<&str, Vec<&AuditEntry>> = BTreeMap::new();
    for e in &deletes {
        per_gateway
            .entry(e.vpn_gateway.as_str())
            .or_default()
            .push(e);
    }
    assert_eq!(
        per_gateway
            .iter()
            .map(|(g, es)| (*g, es.len()))
            .collect::<Vec<_>>(),
        vec![("vpn-hz1", 3), ("vpn-hz2", 2), ("vpn-sh1", 1)]
    );
    for entries in per_gateway.values_mut() {
        entries.sort_by_key(|e| time(&e.time));
        assert_eq!(entries[0].gateway_active_since, None);
        for pair in entries.windows(2) {
            assert!(
                time(&pair[1].time) >= time(&pair[0].configured_at),
                "{pair:#?}"
            );
            assert_eq!(
                pair[1].gateway_active_since.as_deref(),
                Some(pair[0].configured_at.as_str())
            );
        }
    }
    // vpnform waited for each gateway itself: the API never had to turn one away.
    assert_eq!(cloud.wire.answers_with("VpnGateway.Configuring"), 0);

    // Every delete carried a ClientToken, and every real send of one server the same one.
    for e in &deletes {
        let token = e.client_token.as_deref().expect("a ClientToken");
        assert!(
            token.starts_with("vpnform-") && token.len() == 40,
            "{token}"
        );
    }

    let state = read_state(&ws);
    assert_eq!(addresses(&state), names(&["keep"]));
    assert!(state.pending.is_empty());
    assert!(state.serial > 3, "serial {}", state.serial);
    assert_eq!(state.lineage, LINEAGE);
    let world = cloud.sandbox().world();
    assert_eq!(
        world.ipsec_servers.keys().collect::<Vec<_>>(),
        vec!["iss-keep"]
    );
}

// ---------------------------------------------------------------------------------------
// Saved plans that must not run.

/// Two deletes on two gateways, one server kept.
const SMALL: &[Server] = &[
    server("keep", "iss-keep", "cn-hangzhou", "vpn-g3", &[]),
    server("s1", "iss-s1", "cn-hangzhou", "vpn-g1", &[]),
    server("s2", "iss-s2", "cn-hangzhou", "vpn-g2", &["s1"]),
];

fn small(cloud_configure: Duration) -> (Cloud, Workspace) {
    let state = state_yaml(SMALL);
    let cloud = Cloud::for_state(&state, cloud_configure);
    let ws = cloud.workspace(&state, &desired_yaml(&SMALL[..1]));
    (cloud, ws)
}

fn sha256(text: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

fn save_plan(ws: &Workspace) {
    let out = ws.run(&["plan", "--out", "plan.json"]);
    assert_eq!(out.code, 0, "{out:?}");
}

/// Applies `plan.json`, asserting it is refused with exactly `message`, nothing sent and
/// the state untouched.
fn assert_refused(cloud: &Cloud, ws: &Workspace, message: &str) {
    let before = ws.read("state/vpnform.state.yaml");
    let out = run(ws, &with(APPLY, &["plan.json"]));
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stderr, format!("error: {message}\n"));
    assert_eq!(out.stdout, "");
    assert!(
        cloud.sent_deletes().is_empty(),
        "{:?}",
        cloud.sent_deletes()
    );
    assert!(cloud.deletes().is_empty());
    assert_eq!(ws.read("state/vpnform.state.yaml"), before);
}

#[test]
fn a_stale_saved_plan_is_refused_and_nothing_is_sent() {
    let (cloud, ws) = small(CONFIGURE);
    save_plan(&ws);
    // Another run wrote the state since (here: by hand, serial 3 -> 4).
    let state = ws.read("state/vpnform.state.yaml");
    ws.write(
        "state/vpnform.state.yaml",
        &state.replace("serial: 3\n", "serial: 4\n"),
    );
    assert_refused(
        &cloud,
        &ws,
        "the saved plan plan.json is stale: it was made from state serial 3, and the state \
         is now at serial 4, written since by another run; make a new plan with \
         `vpnform plan --out FILE` and review it",
    );
}

#[test]
fn a_tampered_saved_plan_is_refused_and_nothing_is_sent() {
    let (cloud, ws) = small(CONFIGURE);
    save_plan(&ws);
    let text = ws.read("plan.json");
    let recorded: serde_json::Value = serde_json::from_str(&text).unwrap();
    let recorded = recorded["plan_hash"].as_str().unwrap().to_owned();
    // Point the delete of s1 at the server that is to be kept.
    let tampered = text.replacen("\"iss-s1\"", "\"iss-keep\"", 1);
    assert_ne!(tampered, text);
    ws.write("plan.json", &tampered);
    let saved: vpnform::plan::saved::SavedPlan = serde_json::from_str(&tampered).unwrap();
    let computed = vpnform::plan::plan_hash(&saved.plan());
    assert_refused(
        &cloud,
        &ws,
        &format!(
            "the saved plan plan.json has been tampered with: it records plan hash {recorded}, \
             but its actions hash to {computed}; make a new plan with `vpnform plan --out`"
        ),
    );
}

#[test]
fn a_saved_plan_whose_desired_file_changed_is_refused_and_nothing_is_sent() {
    let (cloud, ws) = small(CONFIGURE);
    save_plan(&ws);
    let before = ws.read("vpnform.yaml");
    let after = format!("{before}# edited after the plan was made\n");
    ws.write("vpnform.yaml", &after);
    assert_refused(
        &cloud,
        &ws,
        &format!(
            "the desired-state file vpnform.yaml has changed since the saved plan plan.json \
             was made (SHA-256 {} then, {} now); review the change and make a new plan with \
             `vpnform plan --out FILE`",
            sha256(&before),
            sha256(&after)
        ),
    );
}

/// The servers deleted, each once, in id order.
fn deleted(cloud: &Cloud) -> Vec<String> {
    let mut ids: Vec<String> = cloud.deletes().into_iter().map(|d| d.resource).collect();
    ids.sort();
    ids
}

/// Runs `args` under `strace -f` (every thread and child of the binary) with `stdin` on
/// its standard input, and returns the output and each `open`-family call of the run
/// that names `path` exactly (as given on the command line or by default).
fn opens_of(ws: &Workspace, path: &str, args: &[&str], stdin: &str) -> (Output, Vec<String>) {
    use std::io::Write as _;
    let trace = ws.path().join("strace.txt");
    let trace_arg = trace.to_str().unwrap().to_owned();
    // `%file`: every call that takes a path (`open` does not exist on every architecture,
    // `openat2` not on every kernel); only the `open` family is counted below.
    let wrapper = ["strace", "-f", "-qq", "-e", "trace=%file", "-o", &trace_arg];
    let mut child = ws
        .command_via(&wrapper, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vpnform under strace (the CI installs it: .ci/run)");
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    let out = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    let text = std::fs::read_to_string(&trace).expect("strace wrote its trace");
    std::fs::remove_file(&trace).unwrap();
    // The trace holds the whole run: the state file's open is in it.
    assert!(text.contains("\"state/vpnform.state.yaml\""), "{text}");
    let quoted = format!("\"{path}\"");
    let opens = text
        .lines()
        .filter(|line| {
            let call = line.split_whitespace().nth(1).unwrap_or("");
            call.starts_with("open") && line.contains(&quoted)
        })
        .map(str::to_owned)
        .collect();
    (out, opens)
}

/// Regression (#21.4): `apply FILE` read the desired file four times (for its `backend`,
/// its `required_version`, the SHA-256 the saved plan pins, then to load it), so the hash
/// it checked was not of the bytes it went on to load. Plan, show and apply FILE each
/// open it once, and apply runs the plan.
#[test]
fn regression_apply_file_read_the_desired_file_four_times() {
    let (cloud, ws) = small(CONFIGURE);
    let poll = ["--poll-interval", "50ms"];
    for args in [
        &["plan", "--out", "plan.json"][..],
        &["show", "plan.json"],
        &[&["apply", "plan.json"][..], &poll].concat(),
    ] {
        let (out, opens) = opens_of(&ws, "vpnform.yaml", args, "");
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        assert_eq!(
            opens.len(),
            1,
            "{args:?} opened the desired file: {opens:#?}"
        );
    }
    assert_eq!(deleted(&cloud), ["iss-s1", "iss-s2"]);
    assert_eq!(addresses(&read_state(&ws)), names(&["keep"]));
}

/// `--desired -`: plan and apply FILE read the desired file from standard input, once,
/// and the saved plan pins the SHA-256 of those bytes: other bytes on the input are a
/// changed desired file.
#[test]
fn a_saved_plan_of_the_desired_file_on_stdin_applies_from_stdin() {
    let (cloud, ws) = small(CONFIGURE);
    let desired = ws.read("vpnform.yaml");
    std::fs::remove_file(ws.path().join("vpnform.yaml")).unwrap();
    let (out, opens) = opens_of(
        &ws,
        "-",
        &["plan", "--desired", "-", "--out", "plan.json"],
        &desired,
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(opens, Vec::<String>::new());

    let edited = format!("{desired}# edited\n");
    let apply = with(APPLY, &["plan.json", "--desired", "-"]);
    let apply: Vec<&str> = apply.iter().map(String::as_str).collect();
    let out = ws.run_with_stdin(&apply, &edited);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "error: the desired-state file - has changed since the saved plan plan.json was \
             made (SHA-256 {} then, {} now); review the change and make a new plan with \
             `vpnform plan --out FILE`\n",
            sha256(&desired),
            sha256(&edited)
        )
    );
    assert!(cloud.sent_deletes().is_empty());

    let (out, opens) = opens_of(&ws, "-", &apply, &desired);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(opens, Vec::<String>::new());
    assert_eq!(deleted(&cloud), ["iss-s1", "iss-s2"]);
    assert_eq!(addresses(&read_state(&ws)), names(&["keep"]));
}

// ---------------------------------------------------------------------------------------
// The state lock.

#[test]
fn a_second_apply_is_refused_by_the_lock_of_the_first() {
    let (cloud, ws) = small(CONFIGURE);
    let lock = vpnform::state::Lock::acquire(
        &ws.path().join("state"),
        "vpnform apply (the first run)",
        Duration::ZERO,
    )
    .unwrap();
    let h = lock.holder().clone();
    let before = ws.read("state/vpnform.state.yaml");
    let out = run(&ws, &with(APPLY, &[]));
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "error: the state is locked: state/.vpnform.lock is held by {} (lock id {}).\n\
             Wait for that run to finish, or wait for the lock with `--lock-timeout 5m`. \
             If that process is gone but its host or filesystem still holds the lock (a hung \
             process, a network filesystem), run `vpnform force-unlock`.\n",
            h.describe(),
            h.id
        )
    );
    // Refused before planning: not even a read reached the cloud.
    assert_eq!(cloud.sandbox().calls(), BTreeMap::new());
    assert_eq!(ws.read("state/vpnform.state.yaml"), before);
    drop(lock);
}

#[test]
fn a_second_apply_with_lock_timeout_waits_for_the_first_then_applies() {
    let (cloud, ws) = small(CONFIGURE);
    let lock = vpnform::state::Lock::acquire(
        &ws.path().join("state"),
        "vpnform apply (the first run)",
        Duration::ZERO,
    )
    .unwrap();
    let args = with(APPLY, &["--lock-timeout", "60s"]);
    let child = ws
        .command(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // While the lock is held, the waiting run sends nothing.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(cloud.sandbox().calls(), BTreeMap::new());
    drop(lock);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.ends_with(
        "\nApply complete! Resources: 0 added, 0 changed, 2 destroyed, 0 adopted, 0 forgotten.\n"
    ));
    assert_eq!(addresses(&read_state(&ws)), names(&["keep"]));
    assert_eq!(cloud.deletes().len(), 2);
}

#[test]
fn regression_an_apply_waiting_for_the_lock_said_nothing_and_looked_hung() {
    let (_cloud, ws) = small(CONFIGURE);
    let lock = vpnform::state::Lock::acquire(
        &ws.path().join("state"),
        "vpnform apply (the first run)",
        Duration::ZERO,
    )
    .unwrap();
    let h = lock.holder().clone();
    // It gives up after the timeout, having said why it was waiting.
    ws.vpnform(&with(APPLY, &["--lock-timeout", "1s"]).iter().map(String::as_str).collect::<Vec<_>>())
        // Who the holder is (this test process: its user, if the environment names one),
        // its time already filtered.
        .filter(
            &regex::escape(&h.describe().replace(&h.since, "[TIME]")),
            "[HOLDER]",
        )
        .code(1)
        .stderr(format!(r"The state is locked by [HOLDER]; waiting for it (up to 1s).
error: the state is locked after waiting 1s: state/.vpnform.lock is held by [HOLDER] (lock id {lock_id}).
Wait for that run to finish, or wait for the lock with `--lock-timeout 5m`. If that process is gone but its host or filesystem still holds the lock (a hung process, a network filesystem), run `vpnform force-unlock`.
", lock_id = h.id))
        .run();
    drop(lock);
}

/// Regression: the lock's holder said which pid, host and command held it, not who ran
/// it. A CI job's `USER` is the runner's, so the GitHub actor is said too.
#[test]
fn regression_the_lock_holder_did_not_say_who_ran_the_apply() {
    // The first apply waits two minutes for its gateway, holding the lock.
    let (_cloud, ws) = small(Duration::from_secs(120));
    let mut first = ws
        .command(APPLY)
        .env("USER", "alice")
        .env("GITHUB_ACTOR", "octocat")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let holder = loop {
        let text = std::fs::read_to_string(ws.path().join("state/.vpnform.lock"));
        if let Some(h) = text
            .ok()
            .and_then(|t| serde_json::from_str::<vpnform::state::LockHolder>(&t).ok())
        {
            break h;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no lock taken");
        std::thread::sleep(Duration::from_millis(20));
    };
    ws.vpnform(&["plan", "--offline"])
        .filter(&format!(r"\bpid {}\b", holder.pid), "pid [PID]")
        .filter(&regex::escape(&holder.host), "[HOST]")
        .code(1)
        .stderr(format!(
            "error: the state is locked: state/.vpnform.lock is held by pid [PID] of user alice \
             (GitHub actor octocat) on host [HOST] running `vpnform apply --auto-approve \
             --poll-interval 50ms` since [TIME] (lock id {}).\n\
             Wait for that run to finish, or wait for the lock with `--lock-timeout 5m`. If that \
             process is gone but its host or filesystem still holds the lock (a hung process, a \
             network filesystem), run `vpnform force-unlock`.\n",
            holder.id
        ))
        .run();
    let _ = first.kill();
    first.wait().unwrap();
}

// ---------------------------------------------------------------------------------------
// A refusal mid-apply.

/// f is refused. w waits for f (f depends_on w), w2 waits for w; i is independent.
const REFUSED: &[Server] = &[
    server("keep", "iss-keep", "cn-hangzhou", "vpn-keep", &[]),
    server("f", "iss-f", "cn-hangzhou", "vpn-f", &["w"]),
    server("i", "iss-i", "cn-hangzhou", "vpn-i", &[]),
    server("w", "iss-w", "cn-shanghai", "vpn-w", &["w2"]),
    server("w2", "iss-w2", "cn-hangzhou", "vpn-w2", &[]),
];

#[test]
fn forbidden_mid_apply_skips_its_waiters_finishes_the_rest_and_records_exactly_that() {
    let state = state_yaml(REFUSED);
    let cloud = Cloud::for_state(&state, CONFIGURE);
    let ws = cloud.workspace(&state, &desired_yaml(&REFUSED[..1]));
    // The plan's DryRun precheck passes; the permission is withdrawn before the apply.
    save_plan(&ws);
    cloud.sandbox().set_policy(sandbox::Policy {
        deny_resources: ["iss-f".to_owned()].into(),
        ..Default::default()
    });

    let out = run(&ws, &with(APPLY, &["plan.json"]));
    assert_eq!(out.code, 1, "{out:?}");
    let refused = cloud.sent_deletes();
    let refused: Vec<&CallLog> = refused
        .iter()
        .filter(|c| c.code.as_deref() == Some("Forbidden"))
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    let request_id = &refused[0].request_id;
    let host = cloud.sandbox().addr();
    let api_error = format!(
        "DeleteIpsecServer failed: Forbidden (HTTP 403): User not authorized to operate on the \
         specified resource.\n  RequestId: {request_id}\n  HostId: {host}\n  Recommend: \
         https://api.aliyun.com/troubleshoot?q=Forbidden&product=Vpc&requestId={request_id}\n  \
         hint: the RAM policy of this access key must allow `vpc:DeleteIpsecServer` on this \
         resource"
    );
    for line in [
        format!("ipsec_server.f: failed: {api_error}\n"),
        "ipsec_server.w: skipped: it waits for ipsec_server.f, which did not complete\n".to_owned(),
        "ipsec_server.w2: skipped: it waits for ipsec_server.w, which did not complete\n"
            .to_owned(),
        "ipsec_server.i: Destruction complete after ".to_owned(),
    ] {
        assert!(out.stderr.contains(&line), "{line}\nnot in\n{}", out.stderr);
    }
    assert!(
        out.stderr.ends_with(&format!(
            "error: apply did not finish: the state records every action that did\n\n\
             ipsec_server.f: {api_error}\n\
             ipsec_server.w: skipped: it waits for ipsec_server.f, which did not complete\n\
             ipsec_server.w2: skipped: it waits for ipsec_server.w, which did not complete\n"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stdout,
        "\nApply incomplete! Resources: 0 added, 0 changed, 1 destroyed, 0 adopted, 0 forgotten.\n"
    );

    // Only the independent delete took effect; the refused one left no intent behind.
    assert_eq!(
        cloud
            .deletes()
            .iter()
            .map(|e| e.resource.as_str())
            .collect::<Vec<_>>(),
        vec!["iss-i"]
    );
    let after = read_state(&ws);
    assert_eq!(addresses(&after), names(&["f", "keep", "w", "w2"]));
    assert_eq!(after.pending, vec![]);
}

// ---------------------------------------------------------------------------------------
// Killed mid-apply, then run again.

/// k1 and k2 share a gateway (so the run lasts two configure times); k3 is alone.
const KILLED: &[Server] = &[
    server("keep", "iss-keep", "cn-hangzhou", "vpn-keep", &[]),
    server("k1", "iss-k1", "cn-hangzhou", "vpn-k", &[]),
    server("k2", "iss-k2", "cn-hangzhou", "vpn-k", &[]),
    server("k3", "iss-k3", "cn-shanghai", "vpn-j", &[]),
];

/// Starts `args` and SIGKILLs the process once the state file journals an intent whose
/// delete has taken effect (its gateway still configuring, its record not yet written:
/// the moment a lost answer would leave). Returns the journal as the kill left it.
fn kill_when_pending(
    cloud: &Cloud,
    ws: &Workspace,
    args: &[String],
) -> Vec<vpnform::state::PendingOp> {
    let mut child = ws
        .command(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let path = ws.path().join("state/vpnform.state.yaml");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // The state is replaced by rename: a read sees the old file or the new one.
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let effects: Vec<String> = cloud.deletes().into_iter().map(|e| e.resource).collect();
        if let Ok(state) = vpnform::state::parse(&path, &text)
            && state
                .pending
                .iter()
                .any(|p| p.id.as_ref().is_some_and(|id| effects.contains(id)))
        {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the apply ended ({status}) before an intent was journaled");
        }
        assert!(Instant::now() < deadline, "no intent journaled in 20s");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let pending = read_state(ws).pending;
    assert!(!pending.is_empty());
    pending
}

/// After the re-run: converged, each delete took effect once, and every intent the kill
/// left was completed with its own ClientToken, on the wire and in the effect.
fn assert_converged_exactly_once(
    cloud: &Cloud,
    ws: &Workspace,
    out: &Output,
    pending: &[vpnform::state::PendingOp],
) {
    assert_eq!(out.code, 0, "{out:?}");
    let state = read_state(ws);
    assert_eq!(addresses(&state), names(&["keep"]));
    assert_eq!(state.pending, vec![]);
    let mut effects: Vec<&str> = Vec::new();
    let deletes = cloud.deletes();
    effects.extend(deletes.iter().map(|e| e.resource.as_str()));
    effects.sort();
    assert_eq!(effects, vec!["iss-k1", "iss-k2", "iss-k3"]);
    let sent = cloud.sent_deletes();
    for op in pending {
        let effect = deletes
            .iter()
            .find(|e| Some(&e.resource) == op.id.as_ref())
            .unwrap();
        assert_eq!(
            effect.client_token.as_deref(),
            Some(op.client_token.as_str())
        );
        let tokens: BTreeSet<&str> = sent
            .iter()
            .filter(|c| param(c, "IpsecServerId") == op.id.as_deref())
            .filter_map(|c| param(c, "ClientToken"))
            .collect();
        assert_eq!(tokens, BTreeSet::from([op.client_token.as_str()]), "{op:?}");
    }
}

#[test]
fn killed_mid_apply_a_fresh_plan_rerun_converges_resending_the_journaled_token() {
    let state = state_yaml(KILLED);
    let cloud = Cloud::for_state(&state, Duration::from_secs(1));
    let ws = cloud.workspace(&state, &desired_yaml(&KILLED[..1]));
    let pending = kill_when_pending(&cloud, &ws, &with(APPLY, &[]));

    let out = run(&ws, &with(APPLY, &[]));
    assert_converged_exactly_once(&cloud, &ws, &out, &pending);
    // The re-run's own plan has other tokens (the state's serial moved since): the
    // journal's token won over the plan's.
    let hash = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Plan hash: "))
        .expect("the re-run shows its plan");
    for op in &pending {
        let planned = vpnform::plan::client_token(LINEAGE, hash, &op.address, "delete");
        assert_ne!(planned, op.client_token);
    }
}

#[test]
fn killed_mid_apply_the_same_saved_plan_resumes_and_converges_exactly_once() {
    let state = state_yaml(KILLED);
    let cloud = Cloud::for_state(&state, Duration::from_secs(1));
    let ws = cloud.workspace(&state, &desired_yaml(&KILLED[..1]));
    save_plan(&ws);
    let pending = kill_when_pending(&cloud, &ws, &with(APPLY, &["plan.json"]));

    let out = run(&ws, &with(APPLY, &["plan.json"]));
    assert!(
        out.stderr
            .starts_with("Resuming the saved plan plan.json (hash "),
        "{}",
        out.stderr
    );
    assert_converged_exactly_once(&cloud, &ws, &out, &pending);
}

// ---------------------------------------------------------------------------------------
// Drift: a server deleted outside vpnform.

#[test]
fn a_server_deleted_outside_vpnform_is_forgotten_without_a_delete() {
    let state = state_yaml(&SMALL[..2]);
    let cloud = Cloud::for_state(&state, CONFIGURE);
    let ws = cloud.workspace(&state, &desired_yaml(&SMALL[..1]));
    cloud.sandbox().shared().edit_world(|w| {
        w.ipsec_servers.remove("iss-s1");
    });

    // The forget block and its summary; no delete, no precheck.
    ws.vpnform(&["plan"])
        .stdout(
            r#"Resource actions are indicated with the following symbols:
  < forget (drop from the state; nothing changes in the cloud)

vpnform will perform the following actions:

  # ipsec_server.s1 will be forgotten: dropped from the state, nothing changes in the cloud
  # (because iss-s1 is gone from the cloud)
  < resource "ipsec_server" "s1" {
      < id          = "iss-s1"
      < vpn_gateway = "vpn-g1"
      < region      = "cn-hangzhou"
      < name        = "s1"
    }

Plan: 0 to add, 0 to change, 0 to destroy, 0 to adopt, 1 to forget.
Plan hash: 910f68ed1ba1946f4bd220dc62313a6f6425753460db6f20b3628063b2c701b6

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,7 +1,7 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 4
 resources:
   ipsec_server.keep:
     id: iss-keep
@@ -9,10 +9,4 @@
     vpn_gateway: vpn-g3
     attributes:
       name: keep
-  ipsec_server.s1:
-    id: iss-s1
-    region: cn-hangzhou
-    vpn_gateway: vpn-g1
-    attributes:
-      name: s1
 pending: []
"#,
        )
        .run();

    ws.vpnform(APPLY)
        .filter_durations()
        .stdout(
            r#"Resource actions are indicated with the following symbols:
  < forget (drop from the state; nothing changes in the cloud)

vpnform will perform the following actions:

  # ipsec_server.s1 will be forgotten: dropped from the state, nothing changes in the cloud
  # (because iss-s1 is gone from the cloud)
  < resource "ipsec_server" "s1" {
      < id          = "iss-s1"
      < vpn_gateway = "vpn-g1"
      < region      = "cn-hangzhou"
      < name        = "s1"
    }

Plan: 0 to add, 0 to change, 0 to destroy, 0 to adopt, 1 to forget.
Plan hash: 910f68ed1ba1946f4bd220dc62313a6f6425753460db6f20b3628063b2c701b6

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,7 +1,7 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 4
 resources:
   ipsec_server.keep:
     id: iss-keep
@@ -9,10 +9,4 @@
     vpn_gateway: vpn-g3
     attributes:
       name: keep
-  ipsec_server.s1:
-    id: iss-s1
-    region: cn-hangzhou
-    vpn_gateway: vpn-g1
-    attributes:
-      name: s1
 pending: []

Apply complete! Resources: 0 added, 0 changed, 0 destroyed, 0 adopted, 1 forgotten.
"#,
        )
        .stderr(
            r"ipsec_server.s1: Forgetting... [id=iss-s1]
ipsec_server.s1: Forgotten after [DURATION]
",
        )
        .run();
    // Not even a DryRun: absence was read, nothing was sent.
    assert_eq!(cloud.sandbox().calls().get("DeleteIpsecServer"), None);
    let after = read_state(&ws);
    assert_eq!(addresses(&after), names(&["keep"]));
    assert_eq!(after.pending, vec![]);
}

// ---------------------------------------------------------------------------------------
// Output and approval.

#[test]
fn json_apply_prints_one_parseable_object_a_line_with_apply_events() {
    let (cloud, ws) = small(CONFIGURE);
    let out = run(&ws, &with(APPLY, &["--json"]));
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    // The plan's lines, then the apply's: two events per delete, then the summary.
    assert_eq!(
        kinds[..4],
        [
            "version",
            "planned_change",
            "planned_change",
            "change_summary"
        ]
    );
    assert_eq!(lines[3]["changes"]["operation"], "plan");
    assert_eq!(kinds.len(), 9, "{kinds:?}");
    let starts: BTreeSet<&str> = lines
        .iter()
        .filter(|l| l["type"] == "apply_start")
        .map(|l| l["hook"]["resource"]["addr"].as_str().unwrap())
        .collect();
    let completes: BTreeSet<&str> = lines
        .iter()
        .filter(|l| l["type"] == "apply_complete")
        .map(|l| l["hook"]["resource"]["addr"].as_str().unwrap())
        .collect();
    let both = BTreeSet::from(["ipsec_server.s1", "ipsec_server.s2"]);
    assert_eq!(starts, both);
    assert_eq!(completes, both);
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "change_summary");
    assert_eq!(
        summary["changes"],
        serde_json::json!({"add": 0, "change": 0, "remove": 2, "adopt": 0, "forget": 0, "operation": "apply"})
    );
    assert_eq!(cloud.deletes().len(), 2);
    // Progress goes to stdout as JSON; stderr stays empty.
    assert_eq!(out.stderr, "");
}

#[test]
fn without_auto_approve_anything_but_yes_cancels_and_sends_nothing() {
    let (cloud, ws) = small(CONFIGURE);
    let before = ws.read("state/vpnform.state.yaml");
    ws.vpnform(&["apply", "--poll-interval", "50ms"])
        .stdin("no\n")
        .code(1)
        .stdout(
            r#"Resource actions are indicated with the following symbols:
  - destroy (delete in the cloud, then drop from the state)

vpnform will perform the following actions:

  # ipsec_server.s2 will be destroyed
  # (because ipsec_server.s2 is not in the desired state)
  - resource "ipsec_server" "s2" {
      - id          = "iss-s2"
      - vpn_gateway = "vpn-g2"
      - region      = "cn-hangzhou"
      - depends_on  = ["ipsec_server.s1"]
      - name        = "s2"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

  # ipsec_server.s1 will be destroyed
  # (because ipsec_server.s1 is not in the desired state)
  - resource "ipsec_server" "s1" {
      - id          = "iss-s1"
      - vpn_gateway = "vpn-g1"
      - region      = "cn-hangzhou"
      - name        = "s1"
    }
    waits for: ipsec_server.s2
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 0 to add, 0 to change, 2 to destroy, 0 to adopt, 0 to forget.
Plan hash: f0b0493dd2f59ff30645334e3436896c1a0b8beed2a38fc71f6a0e60366d6dc4

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,7 +1,7 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 4
 resources:
   ipsec_server.keep:
     id: iss-keep
@@ -9,18 +9,4 @@
     vpn_gateway: vpn-g3
     attributes:
       name: keep
-  ipsec_server.s1:
-    id: iss-s1
-    region: cn-hangzhou
-    vpn_gateway: vpn-g1
-    attributes:
-      name: s1
-  ipsec_server.s2:
-    id: iss-s2
-    region: cn-hangzhou
-    vpn_gateway: vpn-g2
-    depends_on:
-    - ipsec_server.s1
-    attributes:
-      name: s2
 pending: []
"#,
        )
        .stderr(
            r"
Do you want to perform these actions?
  vpnform will perform the actions described above.
  Only 'yes' will be accepted to approve.

  Enter a value: 
error: apply cancelled: nothing was changed
",
        )
        .run();
    assert_eq!(cloud.sent_deletes().len(), 0);
    assert_eq!(ws.read("state/vpnform.state.yaml"), before);
}

#[test]
fn regression_an_answer_piped_to_the_prompt_glued_the_next_line_to_it() {
    let (_cloud, ws) = small(CONFIGURE);
    let out = ws.run_with_stdin(&["apply", "--poll-interval", "50ms"], "no\n");
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "\nDo you want to perform these actions?\n  vpnform will perform the actions described \
         above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: \n\
         error: apply cancelled: nothing was changed\n"
    );
}

#[test]
fn without_auto_approve_yes_applies() {
    let (cloud, ws) = small(CONFIGURE);
    // s2 waits for s1: the progress lines come in one order.
    ws.vpnform(&["apply", "--poll-interval", "50ms"])
        .stdin("yes\n")
        .filter_durations()
        .stdout(
            r#"Resource actions are indicated with the following symbols:
  - destroy (delete in the cloud, then drop from the state)

vpnform will perform the following actions:

  # ipsec_server.s2 will be destroyed
  # (because ipsec_server.s2 is not in the desired state)
  - resource "ipsec_server" "s2" {
      - id          = "iss-s2"
      - vpn_gateway = "vpn-g2"
      - region      = "cn-hangzhou"
      - depends_on  = ["ipsec_server.s1"]
      - name        = "s2"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

  # ipsec_server.s1 will be destroyed
  # (because ipsec_server.s1 is not in the desired state)
  - resource "ipsec_server" "s1" {
      - id          = "iss-s1"
      - vpn_gateway = "vpn-g1"
      - region      = "cn-hangzhou"
      - name        = "s1"
    }
    waits for: ipsec_server.s2
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 0 to add, 0 to change, 2 to destroy, 0 to adopt, 0 to forget.
Plan hash: f0b0493dd2f59ff30645334e3436896c1a0b8beed2a38fc71f6a0e60366d6dc4

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,7 +1,7 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 4
 resources:
   ipsec_server.keep:
     id: iss-keep
@@ -9,18 +9,4 @@
     vpn_gateway: vpn-g3
     attributes:
       name: keep
-  ipsec_server.s1:
-    id: iss-s1
-    region: cn-hangzhou
-    vpn_gateway: vpn-g1
-    attributes:
-      name: s1
-  ipsec_server.s2:
-    id: iss-s2
-    region: cn-hangzhou
-    vpn_gateway: vpn-g2
-    depends_on:
-    - ipsec_server.s1
-    attributes:
-      name: s2
 pending: []

Apply complete! Resources: 0 added, 0 changed, 2 destroyed, 0 adopted, 0 forgotten.
"#,
        )
        .stderr(
            r"
Do you want to perform these actions?
  vpnform will perform the actions described above.
  Only 'yes' will be accepted to approve.

  Enter a value: 
ipsec_server.s2: Destroying... [id=iss-s2]
ipsec_server.s2: Destruction complete after [DURATION]
ipsec_server.s1: Destroying... [id=iss-s1]
ipsec_server.s1: Destruction complete after [DURATION]
",
        )
        .run();
    assert_eq!(cloud.deletes().len(), 2);
    assert_eq!(addresses(&read_state(&ws)), names(&["keep"]));
}

#[test]
fn regression_apply_json_gave_machine_readers_no_diagnostic_for_an_error() {
    let (cloud, ws) = small(CONFIGURE);
    save_plan(&ws);
    let state = ws.read("state/vpnform.state.yaml");
    ws.write(
        "state/vpnform.state.yaml",
        &state.replace("serial: 3\n", "serial: 4\n"),
    );
    let out = run(&ws, &with(APPLY, &["--json", "plan.json"]));
    assert_eq!(out.code, 1, "{out:?}");
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert_eq!(lines[1]["type"], "diagnostic");
    assert_eq!(lines[1]["@level"], "error");
    assert_eq!(
        lines[1]["diagnostic"]["summary"],
        "the saved plan plan.json is stale: it was made from state serial 3, and the state \
         is now at serial 4, written since by another run; make a new plan with \
         `vpnform plan --out FILE` and review it"
    );
    assert_text(
        "vpnform apply --json",
        "stderr",
        "error: the saved plan plan.json is stale: it was made from state serial 3, and the \
         state is now at serial 4, written since by another run; make a new plan with \
         `vpnform plan --out FILE` and review it\n",
        &out.stderr,
    );

    // An apply that ran but did not finish ends with a diagnostic too.
    ws.write("state/vpnform.state.yaml", &state);
    cloud.sandbox().set_policy(sandbox::Policy {
        deny_resources: ["iss-s2".to_owned()].into(),
        ..Default::default()
    });
    let out = run(&ws, &with(APPLY, &["--json", "plan.json"]));
    assert_eq!(out.code, 1, "{out:?}");
    // One diagnostic per problem, each naming its address (issue 16).
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let diagnostics: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["type"] == "diagnostic")
        .map(|l| &l["diagnostic"])
        .collect();
    assert_eq!(diagnostics.len(), 2, "{}", out.stdout);
    assert_eq!(diagnostics[0]["address"], "ipsec_server.s2");
    let summary = diagnostics[0]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("ipsec_server.s2: DeleteIpsecServer failed: Forbidden (HTTP 403): "),
        "{summary}"
    );
    assert_eq!(diagnostics[1]["address"], "ipsec_server.s1");
    assert_eq!(
        diagnostics[1]["summary"],
        "ipsec_server.s1: skipped: it waits for ipsec_server.s2, which did not complete"
    );
    assert_eq!(lines.last().unwrap()["type"], "diagnostic");
}

// ---------------------------------------------------------------------------------------
// The rehearsal.

#[test]
fn sandbox_rehearsal_never_writes_the_real_state_and_prints_its_diff() {
    let state = state_yaml(SMALL);
    // No endpoint, no credentials: the rehearsal needs neither.
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired_yaml(&SMALL[..1]))
        .file("state/vpnform.state.yaml", &state);
    let out = run(
        &ws,
        &with(APPLY, &["--sandbox", "--sandbox-configure-time", "200ms"]),
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(ws.read("state/vpnform.state.yaml"), state);
    // A completed run leaves no `applying` behind (issue 16).
    let (_, rehearsal) = out
        .stdout
        .split_once(
            "\nApply complete! Resources: 0 added, 0 changed, 2 destroyed, 0 adopted, 0 forgotten.\n\
             \nRehearsal against the in-process sandbox: state/vpnform.state.yaml was not \
             written. It would become:\n\n",
        )
        .unwrap_or_else(|| panic!("{}", out.stdout));
    // The serial moves by one per journal write, which group commit makes vary.
    let serial = rehearsal
        .lines()
        .find_map(|l| l.strip_prefix("+serial: "))
        .unwrap();
    assert_eq!(
        rehearsal,
        format!(
            "State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,7 +1,7 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: {LINEAGE}
-serial: 3
+serial: {serial}
 resources:
   ipsec_server.keep:
     id: iss-keep
@@ -9,18 +9,4 @@
     vpn_gateway: vpn-g3
     attributes:
       name: keep
-  ipsec_server.s1:
-    id: iss-s1
-    region: cn-hangzhou
-    vpn_gateway: vpn-g1
-    attributes:
-      name: s1
-  ipsec_server.s2:
-    id: iss-s2
-    region: cn-hangzhou
-    vpn_gateway: vpn-g2
-    depends_on:
-    - ipsec_server.s1
-    attributes:
-      name: s2
 pending: []
"
        )
    );
}

#[test]
fn a_delete_the_dry_run_refuses_fails_the_plan_and_apply_sends_nothing() {
    let state = state_yaml(REFUSED);
    let cloud = Cloud::for_state(&state, CONFIGURE);
    let ws = cloud.workspace(&state, &desired_yaml(&REFUSED[..1]));
    cloud.sandbox().set_policy(sandbox::Policy {
        deny_resources: ["iss-f".to_owned()].into(),
        ..Default::default()
    });

    // The plan shows `precheck: failed: Forbidden` under the refused delete.
    ws.vpnform(&["plan", "--out", "plan.json"])
        .code(1)
        .stdout(r#"Resource actions are indicated with the following symbols:
  - destroy (delete in the cloud, then drop from the state)

vpnform will perform the following actions:

  # ipsec_server.f will be destroyed
  # (because ipsec_server.f is not in the desired state)
  - resource "ipsec_server" "f" {
      - id          = "iss-f"
      - vpn_gateway = "vpn-f"
      - region      = "cn-hangzhou"
      - depends_on  = ["ipsec_server.w"]
      - name        = "f"
    }
    precheck: failed: Forbidden: User not authorized to operate on the specified resource. (RequestId [REQUEST_ID])

  # ipsec_server.i will be destroyed
  # (because ipsec_server.i is not in the desired state)
  - resource "ipsec_server" "i" {
      - id          = "iss-i"
      - vpn_gateway = "vpn-i"
      - region      = "cn-hangzhou"
      - name        = "i"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

  # ipsec_server.w will be destroyed
  # (because ipsec_server.w is not in the desired state)
  - resource "ipsec_server" "w" {
      - id          = "iss-w"
      - vpn_gateway = "vpn-w"
      - region      = "cn-shanghai"
      - depends_on  = ["ipsec_server.w2"]
      - name        = "w"
    }
    waits for: ipsec_server.f
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

  # ipsec_server.w2 will be destroyed
  # (because ipsec_server.w2 is not in the desired state)
  - resource "ipsec_server" "w2" {
      - id          = "iss-w2"
      - vpn_gateway = "vpn-w2"
      - region      = "cn-hangzhou"
      - name        = "w2"
    }
    waits for: ipsec_server.w
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 0 to add, 0 to change, 4 to destroy, 0 to adopt, 0 to forget.
Plan hash: e366ab45886777859ea4efe37ac8340f3101ec8ce75500c16d453c77d6ebaf76

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,40 +1,12 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 4
 resources:
-  ipsec_server.f:
-    id: iss-f
-    region: cn-hangzhou
-    vpn_gateway: vpn-f
-    depends_on:
-    - ipsec_server.w
-    attributes:
-      name: f
-  ipsec_server.i:
-    id: iss-i
-    region: cn-hangzhou
-    vpn_gateway: vpn-i
-    attributes:
-      name: i
   ipsec_server.keep:
     id: iss-keep
     region: cn-hangzhou
     vpn_gateway: vpn-keep
     attributes:
       name: keep
-  ipsec_server.w:
-    id: iss-w
-    region: cn-shanghai
-    vpn_gateway: vpn-w
-    depends_on:
-    - ipsec_server.w2
-    attributes:
-      name: w
-  ipsec_server.w2:
-    id: iss-w2
-    region: cn-hangzhou
-    vpn_gateway: vpn-w2
-    attributes:
-      name: w2
 pending: []
"#)
        .stderr(r"error: the DryRun precheck refused 1 of the plan's calls; apply would fail there:
ipsec_server.f: failed: Forbidden: User not authorized to operate on the specified resource. (RequestId [REQUEST_ID])
")
        .run();
    assert!(!ws.exists("plan.json"), "a refused plan is not saved");

    let before = ws.read("state/vpnform.state.yaml");
    ws.vpnform(APPLY)
        .code(1)
        .stdout(r#"Resource actions are indicated with the following symbols:
  - destroy (delete in the cloud, then drop from the state)

vpnform will perform the following actions:

  # ipsec_server.f will be destroyed
  # (because ipsec_server.f is not in the desired state)
  - resource "ipsec_server" "f" {
      - id          = "iss-f"
      - vpn_gateway = "vpn-f"
      - region      = "cn-hangzhou"
      - depends_on  = ["ipsec_server.w"]
      - name        = "f"
    }
    precheck: failed: Forbidden: User not authorized to operate on the specified resource. (RequestId [REQUEST_ID])

  # ipsec_server.i will be destroyed
  # (because ipsec_server.i is not in the desired state)
  - resource "ipsec_server" "i" {
      - id          = "iss-i"
      - vpn_gateway = "vpn-i"
      - region      = "cn-hangzhou"
      - name        = "i"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

  # ipsec_server.w will be destroyed
  # (because ipsec_server.w is not in the desired state)
  - resource "ipsec_server" "w" {
      - id          = "iss-w"
      - vpn_gateway = "vpn-w"
      - region      = "cn-shanghai"
      - depends_on  = ["ipsec_server.w2"]
      - name        = "w"
    }
    waits for: ipsec_server.f
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

  # ipsec_server.w2 will be destroyed
  # (because ipsec_server.w2 is not in the desired state)
  - resource "ipsec_server" "w2" {
      - id          = "iss-w2"
      - vpn_gateway = "vpn-w2"
      - region      = "cn-hangzhou"
      - name        = "w2"
    }
    waits for: ipsec_server.w
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 0 to add, 0 to change, 4 to destroy, 0 to adopt, 0 to forget.
Plan hash: e366ab45886777859ea4efe37ac8340f3101ec8ce75500c16d453c77d6ebaf76

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,40 +1,12 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 4
 resources:
-  ipsec_server.f:
-    id: iss-f
-    region: cn-hangzhou
-    vpn_gateway: vpn-f
-    depends_on:
-    - ipsec_server.w
-    attributes:
-      name: f
-  ipsec_server.i:
-    id: iss-i
-    region: cn-hangzhou
-    vpn_gateway: vpn-i
-    attributes:
-      name: i
   ipsec_server.keep:
     id: iss-keep
     region: cn-hangzhou
     vpn_gateway: vpn-keep
     attributes:
       name: keep
-  ipsec_server.w:
-    id: iss-w
-    region: cn-shanghai
-    vpn_gateway: vpn-w
-    depends_on:
-    - ipsec_server.w2
-    attributes:
-      name: w
-  ipsec_server.w2:
-    id: iss-w2
-    region: cn-hangzhou
-    vpn_gateway: vpn-w2
-    attributes:
-      name: w2
 pending: []
"#)
        .stderr(r"error: the DryRun precheck refused 1 of the plan's calls, so nothing was applied:
ipsec_server.f: failed: Forbidden: User not authorized to operate on the specified resource. (RequestId [REQUEST_ID])
")
        .run();
    assert!(
        cloud.sent_deletes().is_empty(),
        "{:?}",
        cloud.sent_deletes()
    );
    assert_eq!(ws.read("state/vpnform.state.yaml"), before);
}

#[test]
fn regression_a_state_edit_after_an_apply_let_its_saved_plan_resume_over_it() {
    let (cloud, ws) = small(CONFIGURE);
    save_plan(&ws);
    let out = run(&ws, &with(APPLY, &["plan.json"]));
    assert_eq!(out.code, 0, "{out:?}");
    // The plan is finished; an edit by hand follows, and then the old plan again.
    let out = ws.run(&["state", "rm", "ipsec_server.keep"]);
    assert_eq!(out.code, 0, "{out:?}");
    let after_edit = ws.read("state/vpnform.state.yaml");
    assert!(!after_edit.contains("applying:"), "{after_edit}");
    let sent = cloud.sent_deletes().len();
    // Serial 10: the apply's writes, the first of them recording the attributes the cloud
    // answers that the state did not hold yet (issue #12), and the `state rm`.
    ws.vpnform(&with(APPLY, &["plan.json"]).iter().map(String::as_str).collect::<Vec<_>>())
        .code(1)
        .stderr(r"error: the saved plan plan.json is stale: it was made from state serial 3, and the state is now at serial 10, written since by another run; make a new plan with `vpnform plan --out FILE` and review it
")
        .run();
    assert_eq!(cloud.sent_deletes().len(), sent);
    assert_eq!(ws.read("state/vpnform.state.yaml"), after_edit);
}
