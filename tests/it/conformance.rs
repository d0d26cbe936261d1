//! The backend conformance suite (STYLE.md 19; Terraform's `statemgr.TestFull`): the
//! same cases on every backend, the local state directory and a PostgreSQL schema (the
//! throwaway server of `support::pg`). Each case is one function taking the backend it
//! runs on; [`on_every_backend!`] makes a test of it per backend, so
//! `conformance::local::edit_rm` and `conformance::postgres::edit_rm` run the same code.
//!
//! - edit: `state rm`, `mv`, `unprotect` and `push` give the exact state expected, in
//!   one write, and refuse naming the state where it lives;
//! - lock: a second holder is refused at once, told who holds the lock; force-unlock
//!   (through the trait) lets the next one in;
//! - stale write: a writer that started from an older serial cannot overwrite;
//! - crash: a writer killed at any moment leaves the old state or the new one, whole;
//! - the lock is held for a whole run: a second apply is refused naming the first while
//!   the first waits for its gateway mid-apply.

use std::process::Stdio;
use std::time::{Duration, Instant};

use vpnform::state::{Backend, LockStatus, State, StateError};

use crate::support::{Cloud, Output, Workspace, pg};

const LINEAGE: &str = "5d0c3a2b-1e4f-4a6b-8c7d-9e0f1a2b3c4d";
const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

/// Where a case runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum On {
    Local,
    Postgres,
}

/// Makes one test per backend of each case: `local::CASE` and `postgres::CASE`.
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        mod local {
            $(#[test] fn $case() { super::$case(super::On::Local) })*
        }
        mod postgres {
            $(#[test] fn $case() { super::$case(super::On::Postgres) })*
        }
    };
}

on_every_backend!(
    edit_rm,
    edit_mv,
    edit_unprotect,
    edit_push,
    edit_refusals_name_the_state_where_it_lives,
    lock_a_second_holder_is_told_who_holds_it,
    lock_force_unlock_lets_the_next_holder_in,
    stale_write_from_an_older_serial_is_refused,
    crash_a_killed_writer_leaves_the_old_or_the_new_state,
    the_lock_is_held_for_the_whole_run,
);

/// Servers a, b and c on gateways of their own; c depends on b and is protected.
fn base() -> State {
    let mut text = format!("version: 1\nlineage: {LINEAGE}\nserial: 3\nresources:\n");
    for name in ["a", "b", "c"] {
        text.push_str(&format!(
            "  ipsec_server.{name}:\n    id: iss-{name}\n    region: cn-hangzhou\n    vpn_gateway: vpn-{name}\n"
        ));
        if name == "c" {
            text.push_str("    depends_on: [ipsec_server.b]\n    protect: true\n");
        }
        text.push_str(&format!("    attributes:\n      name: {name}\n"));
    }
    text.push_str("pending: []\n");
    vpnform::state::parse(std::path::Path::new("base"), &text).expect("the base state")
}

fn yaml(state: &State) -> String {
    vpnform::state::to_yaml(state).unwrap()
}

/// One workspace whose backend records a state, and how to reach that backend.
struct Store {
    on: On,
    ws: Workspace,
    /// The postgres schema and the connection its runs use.
    schema: String,
    url: String,
}

impl Store {
    /// A workspace recording `state` on `on` (on postgres: migrated into a new schema),
    /// with a desired file keeping `keep`.
    fn new(on: On, state: &State, keep: &[&str], cloud: Option<&Cloud>) -> Store {
        let schema = pg::schema();
        let mut desired = String::from("version: 1\n");
        if on == On::Postgres {
            desired.push_str(&format!("backend:\n  postgres: {{ schema: {schema} }}\n"));
        }
        desired.push_str("defaults:\n  region: cn-hangzhou\nipsec_servers:\n");
        for name in keep {
            desired.push_str(&format!(
                "  {name}:\n    id: iss-{name}\n    vpn_gateway: vpn-{name}\n"
            ));
        }
        let mut ws = Workspace::new()
            .file("vpnform.yaml", &desired)
            .file("state/vpnform.state.yaml", &yaml(state));
        if let Some(cloud) = cloud {
            ws = ws.against(cloud);
        }
        let url = match on {
            On::Local => String::new(),
            On::Postgres => format!("{}?application_name={schema}", pg::server().url()),
        };
        if on == On::Postgres {
            ws = ws.env("VPNFORM_PG_URL", &url);
            ok(&ws, &["init", "--migrate-state"]);
        }
        Store {
            on,
            ws,
            schema,
            url,
        }
    }

    /// The backend, opened in this test process (a second writer beside the binary's).
    fn backend(&self) -> Box<dyn Backend> {
        match self.on {
            On::Local => Box::new(vpnform::state::Local::new(self.ws.path().join("state"))),
            On::Postgres => Box::new(
                vpnform::state::Postgres::connect_url(&self.schema, &self.url)
                    .expect("connect to the test server"),
            ),
        }
    }

    /// How the binary's messages name the state.
    fn state_name(&self) -> String {
        match self.on {
            On::Local => "state/vpnform.state.yaml".into(),
            On::Postgres => format!("postgres schema {}", self.schema),
        }
    }

    /// How the binary's messages name the lock.
    fn lock_name(&self) -> String {
        match self.on {
            On::Local => "state/.vpnform.lock".into(),
            On::Postgres => format!("the lock of postgres schema {}", self.schema),
        }
    }

    /// The recorded state as `state pull` prints it (the file's exact bytes).
    fn pulled(&self) -> String {
        ok(&self.ws, &["state", "pull"]).stdout
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self.ws.run(args);
        if self.on == On::Postgres {
            let password = pg::server().password();
            assert!(
                !out.stdout.contains(password) && !out.stderr.contains(password),
                "the password was printed: {out:?}"
            );
        }
        out
    }
}

fn ok(ws: &Workspace, args: &[&str]) -> Output {
    let out = ws.run(args);
    assert_eq!(out.code, 0, "{args:?}: {out:?}");
    out
}

/// `base()` after an edit, at serial 4 (one write).
fn edited(edit: impl FnOnce(&mut State)) -> String {
    let mut state = base();
    edit(&mut state);
    state.serial = 4;
    yaml(&state)
}

fn edit_rm(on: On) {
    let store = Store::new(on, &base(), &[], None);
    let out = store.run(&["state", "rm", "ipsec_server.a", "ipsec_server.a"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "Removed ipsec_server.a\nSuccessfully removed 1 resource instance(s).\n"
    );
    assert_eq!(
        store.pulled(),
        edited(|s| {
            s.resources.remove("ipsec_server.a");
        })
    );
}

fn edit_mv(on: On) {
    let store = Store::new(on, &base(), &[], None);
    let out = store.run(&["state", "mv", "ipsec_server.b", "ipsec_server.lab"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "Move \"ipsec_server.b\" to \"ipsec_server.lab\"\n\
         Updated depends_on in ipsec_server.c: ipsec_server.b -> ipsec_server.lab\n\
         Successfully moved 1 object(s).\n\
         Rename the entry in the desired file to `lab` too, or the next plan deletes it and adopts or creates the old one.\n"
    );
    assert_eq!(
        store.pulled(),
        edited(|s| {
            let b = s.resources.remove("ipsec_server.b").unwrap();
            let lab: vpnform::Address = "ipsec_server.lab".parse().unwrap();
            s.resources.insert(lab.clone(), b);
            s.resources.get_mut("ipsec_server.c").unwrap().depends_on = vec![lab];
        })
    );
}

fn edit_unprotect(on: On) {
    let store = Store::new(on, &base(), &[], None);
    let out = store.run(&["state", "unprotect", "ipsec_server.c"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "Unprotected ipsec_server.c: a plan may now delete it.\n"
    );
    let expected = edited(|s| s.resources.get_mut("ipsec_server.c").unwrap().protect = false);
    assert_eq!(store.pulled(), expected);
    // Again: nothing to change, nothing written.
    let out = store.run(&["state", "unprotect", "ipsec_server.c"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "ipsec_server.c is not protected; nothing to change.\n"
    );
    assert_eq!(store.pulled(), expected);
}

fn edit_push(on: On) {
    let store = Store::new(on, &base(), &[], None);
    let name = store.state_name();
    // Not newer: refused.
    store.ws.write("same.yaml", &yaml(&base()));
    let out = store.run(&["state", "push", "same.yaml"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "error: refusing to replace the state in {name}: it is at serial 3, and same.yaml is \
             at serial 3 of the same lineage, not newer. Nothing was written. `vpnform state \
             pull` shows what is there, or pass --force to replace it anyway\n"
        )
    );
    // Another lineage: refused.
    let mut other = base();
    other.lineage = "1c2d3e4f-0000-4000-8000-000000000001".into();
    other.serial = 9;
    store.ws.write("other.yaml", &yaml(&other));
    let out = store.run(&["state", "push", "other.yaml"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.starts_with(&format!(
            "error: refusing to replace the state in {name}: it holds lineage {LINEAGE}, and \
             other.yaml is lineage {}, another state.",
            other.lineage
        )),
        "{}",
        out.stderr
    );
    assert_eq!(store.pulled(), yaml(&base()));
    // Newer: the file's state exactly, serial and all.
    let mut newer = base();
    newer.serial = 9;
    newer.resources.remove("ipsec_server.b");
    store.ws.write("newer.yaml", &yaml(&newer));
    let out = store.run(&["state", "push", "newer.yaml"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        format!("Pushed newer.yaml (lineage {LINEAGE}, serial 9) to {name}.\n")
    );
    assert_eq!(store.pulled(), yaml(&newer));
}

fn edit_refusals_name_the_state_where_it_lives(on: On) {
    let mut state = base();
    let hash = "0".repeat(64);
    state.pending.push(
        serde_json::from_value(serde_json::json!({
            "address": "ipsec_server.a",
            "action": "delete",
            "id": "iss-a",
            "region": "cn-hangzhou",
            "vpn_gateway": "vpn-a",
            "client_token": vpnform::plan::client_token(LINEAGE, &hash, "ipsec_server.a", "delete"),
            "plan_hash": hash,
            "started_at": "2026-11-28T00:00:00Z",
        }))
        .unwrap(),
    );
    let store = Store::new(on, &state, &[], None);
    let name = store.state_name();
    let refused = |args: &[&str], expected: String| {
        let out = store.run(args);
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert_eq!(out.stderr, expected, "{args:?}");
    };
    let unknown = |what: &str| {
        format!(
            "error: no resource {what} in {name}; did you mean `ipsec_server.a` or \
             `ipsec_server.b` or `ipsec_server.c`?\nNothing was changed. `vpnform state list` \
             shows the recorded addresses.\n"
        )
    };
    refused(
        &["state", "rm", "ipsec_server.d"],
        unknown("ipsec_server.d"),
    );
    refused(
        &["state", "mv", "ipsec_server.d", "ipsec_server.e"],
        unknown("ipsec_server.d"),
    );
    refused(
        &["state", "unprotect", "ipsec_server.d"],
        unknown("ipsec_server.d"),
    );
    refused(
        &["state", "show", "ipsec_server.d"],
        unknown("ipsec_server.d"),
    );
    refused(
        &["state", "mv", "ipsec_server.b", "ipsec_server.a"],
        format!(
            "error: ipsec_server.a is already in {name}: `state mv` never replaces a recorded \
             resource. Move to another address, or forget that one first (`vpnform state rm \
             ipsec_server.a`) if its record is wrong. Nothing was changed.\n"
        ),
    );
    let pending = "error: ipsec_server.a has a pending delete (ClientToken ";
    for args in [
        &["state", "rm", "ipsec_server.a"][..],
        &["state", "mv", "ipsec_server.a", "ipsec_server.z"],
    ] {
        let out = store.run(args);
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert!(out.stderr.starts_with(pending), "{args:?}: {}", out.stderr);
    }
    // Nothing was written.
    assert_eq!(store.pulled(), yaml(&state));
}

fn lock_a_second_holder_is_told_who_holds_it(on: On) {
    let store = Store::new(on, &base(), &[], None);
    let first = store.backend();
    let _held = first
        .lock("vpnform apply", Duration::ZERO, &mut |_| {})
        .expect("the first holder takes the lock");
    // Another writer in this process.
    let second = store.backend();
    let err = second
        .lock("vpnform plan", Duration::ZERO, &mut |_| {})
        .err()
        .expect("the second is refused");
    let StateError::Locked { holder, .. } = &err else {
        panic!("{err}")
    };
    let holder = holder.as_deref().expect("the holder is named").clone();
    assert_eq!(holder.pid, std::process::id());
    assert_eq!(holder.command, "vpnform apply");
    assert_eq!(
        err.to_string().lines().next().unwrap(),
        format!(
            "the state is locked: {} is held by {} (lock id {}).",
            second.location().lock().display(),
            holder.describe(),
            holder.id
        )
    );
    // Another process: every writing command is refused at once, naming the holder.
    for args in [
        &["state", "rm", "ipsec_server.a"][..],
        &["state", "mv", "ipsec_server.a", "ipsec_server.z"],
        &["state", "unprotect", "ipsec_server.c"],
        &["apply", "--auto-approve"],
    ] {
        let out = store.run(args);
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert!(
            out.stderr.starts_with(&format!(
                "error: the state is locked: {} is held by {} (lock id {}).\n",
                store.lock_name(),
                holder.describe(),
                holder.id
            )),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert_eq!(store.pulled(), yaml(&base()));
}

fn lock_force_unlock_lets_the_next_holder_in(on: On) {
    let store = Store::new(on, &base(), &[], None);
    let stuck = store.backend();
    let held = stuck
        .lock("vpnform apply", Duration::ZERO, &mut |_| {})
        .unwrap();
    let other = store.backend();
    let status = other.lock_status().unwrap();
    let LockStatus::Held { holder, .. } = &status else {
        panic!("{status:?}")
    };
    assert_eq!(holder.as_ref().unwrap().command, "vpnform apply");
    assert!(other.force_unlock(&status).unwrap());
    // The server ends the holder's session a moment after it is told to.
    let next = other
        .lock("vpnform apply", Duration::from_secs(30), &mut |_| {})
        .expect("the lock is free");
    drop(next);
    drop(held);
    // A dropped holder's session ends on the server a moment later (postgres releases
    // a session's advisory lock when its backend exits): read until it has, bounded.
    let started = std::time::Instant::now();
    let mut status = other.lock_status().unwrap();
    while matches!(status, LockStatus::Held { .. }) && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
        status = other.lock_status().unwrap();
    }
    assert!(
        !matches!(status, LockStatus::Held { .. }),
        "nothing holds the lock: {status:?}"
    );
}

fn stale_write_from_an_older_serial_is_refused(on: On) {
    let store = Store::new(on, &base(), &[], None);
    // The stale writer read serial 3 ...
    let stale = store.backend();
    let from = stale.read().unwrap().unwrap();
    assert_eq!(from.serial, 3);
    // ... then another wrote serial 4 under the lock ...
    let other = store.backend();
    {
        let _lock = other
            .lock("vpnform state rm", Duration::ZERO, &mut |_| {})
            .unwrap();
        let mut next = other.read().unwrap().unwrap();
        next.resources.remove("ipsec_server.a");
        next.serial = 4;
        other.write(&next).unwrap();
    }
    let written = store.pulled();
    // ... and the stale writer, even holding the lock now, cannot overwrite it.
    let _lock = stale
        .lock("vpnform apply", Duration::ZERO, &mut |_| {})
        .unwrap();
    let mut overwrite = from.clone();
    overwrite.resources.remove("ipsec_server.b");
    overwrite.serial = 4;
    let err = stale.write(&overwrite).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "refusing to write the state in {}: it holds serial 4 of lineage {LINEAGE}, but this \
             run started from serial 3 of lineage {LINEAGE}. Another run wrote the state \
             meanwhile (this run's lock was lost or forced), so nothing was overwritten. Run \
             `vpnform plan` to see the state as it is now.",
            stale.name()
        )
    );
    assert_eq!(store.pulled(), written);
    // Having read what is there, it writes the next serial.
    let mut current = stale.read().unwrap().unwrap();
    current.resources.remove("ipsec_server.b");
    current.serial = 5;
    stale.write(&current).unwrap();
    assert_eq!(store.pulled(), yaml(&current));
}

/// splitmix64, for the kill moments.
fn next(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn crash_a_killed_writer_leaves_the_old_or_the_new_state(on: On) {
    // A state big enough that a write takes a while (many rows on postgres).
    let mut big = base();
    for i in 0..2000 {
        let mut r = big.resources["ipsec_server.a"].clone();
        r.id = format!("iss-n{i:05}");
        r.attributes.insert("name".into(), format!("n{i}"));
        let address: vpnform::Address = format!("ipsec_server.n{i:05}").parse().unwrap();
        big.resources.insert(address, r);
    }
    let store = Store::new(on, &big, &[], None);
    // The next state: the serial after the recorded one, every resource renamed (so a
    // half-written state would show).
    let next_of = |before: &str, trial: usize| {
        let mut state = vpnform::state::parse(std::path::Path::new("pulled"), before).unwrap();
        state.serial += 1;
        for r in state.resources.values_mut() {
            r.attributes.insert("name".into(), format!("t{trial}"));
        }
        yaml(&state)
    };
    let push = || {
        store
            .ws
            .command(&["state", "push", "next.yaml", "--lock-timeout", "30s"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // How long a whole push takes here: the kills land anywhere from its start to after
    // its end.
    store.ws.write("next.yaml", &next_of(&store.pulled(), 99));
    let start = Instant::now();
    assert!(push().wait().unwrap().success());
    let whole = start.elapsed().as_millis() as u64 * 5 / 4 + 1;
    let mut seed = 0x5eed_u64 + on as u64;
    let (mut old_seen, mut new_seen) = (0, 0);
    for trial in 0..10 {
        let before = store.pulled();
        let after = next_of(&before, trial);
        store.ws.write("next.yaml", &after);
        let mut child = push();
        std::thread::sleep(Duration::from_millis(next(&mut seed) % whole));
        let _ = child.kill();
        child.wait().unwrap();
        let now = store.pulled();
        if now == before {
            old_seen += 1;
        } else {
            assert_eq!(
                now, after,
                "trial {trial}: neither the old state nor the new one"
            );
            new_seen += 1;
        }
    }
    eprintln!(
        "{on:?}: a push killed within {whole} ms left the old state {old_seen} times, the new one {new_seen}"
    );
    // Whatever the kill left, the next writer takes the lock and writes.
    let mut last = vpnform::state::parse(std::path::Path::new("pulled"), &store.pulled()).unwrap();
    last.serial += 1;
    store.ws.write("last.yaml", &yaml(&last));
    let out = store.run(&["state", "push", "last.yaml", "--lock-timeout", "30s"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(store.pulled(), yaml(&last));
}

fn the_lock_is_held_for_the_whole_run(on: On) {
    // The first run deletes b, then waits for b's gateway for two minutes: it is held
    // mid-apply, holding the lock, for as long as the test needs.
    let mut state = base();
    for r in state.resources.values_mut() {
        r.depends_on.clear();
        r.protect = false;
    }
    let cloud = Cloud::for_state(&yaml(&state), Duration::from_secs(120));
    let store = Store::new(on, &state, &["a", "c"], Some(&cloud));
    let mut first = store
        .ws
        .command(APPLY)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Mid-apply: the delete is journaled and answered, the run waits for the gateway.
    let start = Instant::now();
    while cloud.sent_deletes().is_empty() || !store.pulled().contains("action: delete") {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the first run never journaled and sent its delete"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Refused at once; a second run that got the lock would wait for the gateway too:
    // ended after a minute, failing the test rather than hanging it.
    let mut second = store
        .ws
        .command(&["apply", "--auto-approve", "--lock-timeout", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while second.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = second.kill();
    let second = second.wait_with_output().unwrap();
    let second = Output {
        code: second.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&second.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&second.stderr).into_owned(),
    };
    let _ = first.kill();
    first.wait().unwrap();
    assert_eq!(second.code, 1, "{second:?}");
    let refused = format!(
        "error: the state is locked: {} is held by pid {} on host ",
        store.lock_name(),
        first.id()
    );
    assert!(
        second.stderr.starts_with(&refused)
            && second
                .stderr
                .contains("running `vpnform apply --auto-approve --poll-interval 50ms`"),
        "{}",
        second.stderr
    );
    // The second run sent nothing: one delete in all, the first run's.
    let sent = cloud.sent_deletes();
    assert_eq!(sent.len(), 1, "{sent:?}");
}
