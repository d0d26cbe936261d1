//! Tests of the state area: the state file, the lock, `vpnform state ...` and
//! `vpnform force-unlock`, through the real binary.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use vpnform::state::Lock;

use crate::support::{Output, Workspace, read_state};

const STATE: &str = "state/vpnform.state.yaml";
const BACKUP: &str = "state/vpnform.state.yaml.backup";

/// As a user (or an old vpnform) might have it: flow style, unsorted, no header.
const TWO_SERVERS: &str = "\
version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 12
resources:
  ipsec_server.office:
    id: iss-bp1jougp8cfsbo8y9abcd
    region: cn-hangzhou
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
    depends_on: [ipsec_server.lab]
    protect: true
    attributes: { name: office, local_subnet: 10.0.0.0/24, client_ip_pool: 10.8.0.0/16 }
  ipsec_server.lab:
    id: iss-bp1lab0000000000000001
    region: cn-hangzhou
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
pending: []
";

const PENDING_LAB: &str = "\
version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 3
resources:
  ipsec_server.lab:
    id: iss-bp1lab0000000000000001
    region: cn-hangzhou
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
pending:
- address: ipsec_server.lab
  action: delete
  id: iss-bp1lab0000000000000001
  region: cn-hangzhou
  vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
  client_token: vpnform-0123456789abcdef0123456789abcdef
  plan_hash: 1111111111111111111111111111111111111111111111111111111111111111
  started_at: 2025-01-02T03:04:05Z
";

fn two_servers() -> Workspace {
    Workspace::new().file(STATE, TWO_SERVERS)
}

fn files_in(ws: &Workspace, dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(ws.path().join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[track_caller]
fn assert_ok(out: &Output, stdout: &str) {
    assert_eq!((out.code, out.stdout.as_str()), (0, stdout), "{out:?}");
}

#[track_caller]
fn assert_err(out: &Output, stderr: &str) {
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (1, "", stderr),
        "{out:?}"
    );
}

#[test]
fn list_prints_addresses_sorted() {
    let ws = two_servers();
    assert_ok(
        &ws.run(&["state", "list"]),
        "ipsec_server.lab\nipsec_server.office\n",
    );
}

#[test]
fn list_without_a_state_file_prints_nothing_and_creates_nothing() {
    let ws = Workspace::new();
    let out = ws.run(&["state", "list"]);
    assert_ok(&out, "");
    assert_eq!(
        out.stderr,
        "No state file at state/vpnform.state.yaml: vpnform manages no resources here yet.\n"
    );
    assert!(!ws.exists("state"));
}

#[test]
fn list_honours_state_dir() {
    let ws = Workspace::new().file("elsewhere/vpnform.state.yaml", TWO_SERVERS);
    assert_ok(
        &ws.run(&["--state", "elsewhere", "state", "list"]),
        "ipsec_server.lab\nipsec_server.office\n",
    );
}

#[test]
fn show_prints_the_resource_like_terraform() {
    let ws = two_servers();
    assert_ok(
        &ws.run(&["state", "show", "ipsec_server.office"]),
        r#"# ipsec_server.office:
resource "ipsec_server" "office" {
    id          = "iss-bp1jougp8cfsbo8y9abcd"
    region      = "cn-hangzhou"
    vpn_gateway = "vpn-bp1q8bgx4xnkm2ogjabcd"
    depends_on  = ["ipsec_server.lab"]
    protect     = true
    attributes  = {
        client_ip_pool = "10.8.0.0/16"
        local_subnet   = "10.0.0.0/24"
        name           = "office"
    }
}
"#,
    );
}

#[test]
fn show_names_a_pending_operation() {
    let ws = Workspace::new().file(STATE, PENDING_LAB);
    assert_ok(
        &ws.run(&["state", "show", "ipsec_server.lab"]),
        r#"# ipsec_server.lab:
resource "ipsec_server" "lab" {
    id          = "iss-bp1lab0000000000000001"
    region      = "cn-hangzhou"
    vpn_gateway = "vpn-bp1q8bgx4xnkm2ogjabcd"
    depends_on  = []
    protect     = false
    attributes  = {}
}
# pending delete since 2025-01-02T03:04:05Z with ClientToken vpnform-0123456789abcdef0123456789abcdef (plan 1111111111111111111111111111111111111111111111111111111111111111): `vpnform apply` resolves it
"#,
    );
}

#[test]
fn show_of_an_unknown_address_lists_close_matches() {
    let ws = two_servers();
    assert_err(
        &ws.run(&["state", "show", "ipsec_server.ofice"]),
        "error: no resource ipsec_server.ofice in state/vpnform.state.yaml; did you mean `ipsec_server.office`?\n\
Nothing was changed. `vpnform state list` shows the recorded addresses.\n",
    );
    assert_err(
        &ws.run(&["state", "show", "ipsec_server.nothing_like_it"]),
        "error: no resource ipsec_server.nothing_like_it in state/vpnform.state.yaml\n\
Nothing was changed. `vpnform state list` shows the recorded addresses.\n",
    );
}

#[test]
fn show_without_a_state_file_is_an_error() {
    let ws = Workspace::new();
    assert_err(
        &ws.run(&["state", "show", "ipsec_server.office"]),
        "error: no state file at state/vpnform.state.yaml: vpnform manages no resources here yet (pass --state DIR if the state is elsewhere)\n",
    );
}

#[test]
fn rm_forgets_writes_a_backup_and_bumps_the_serial() {
    let ws = two_servers();
    let out = ws.run(&["state", "rm", "ipsec_server.lab"]);
    assert_ok(
        &out,
        "Removed ipsec_server.lab\nSuccessfully removed 1 resource instance(s).\n",
    );
    assert_eq!(out.stderr, "");
    assert_eq!(ws.read(BACKUP), TWO_SERVERS);
    assert_eq!(
        ws.read(STATE),
        "\
# Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 13
resources:
  ipsec_server.office:
    id: iss-bp1jougp8cfsbo8y9abcd
    region: cn-hangzhou
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
    depends_on:
    - ipsec_server.lab
    protect: true
    attributes:
      client_ip_pool: 10.8.0.0/16
      local_subnet: 10.0.0.0/24
      name: office
pending: []
"
    );
    // The atomic write leaves no temp file behind; the lock file stays (released).
    assert_eq!(
        files_in(&ws, "state"),
        [
            ".vpnform.lock",
            "vpnform.state.yaml",
            "vpnform.state.yaml.backup"
        ]
    );
    assert_eq!(ws.read("state/.vpnform.lock"), "");
}

#[test]
fn rm_of_several_addresses_removes_each_once() {
    let ws = two_servers();
    let out = ws.run(&[
        "state",
        "rm",
        "ipsec_server.office",
        "ipsec_server.lab",
        "ipsec_server.office",
    ]);
    assert_ok(
        &out,
        "Removed ipsec_server.office\nRemoved ipsec_server.lab\nSuccessfully removed 2 resource instance(s).\n",
    );
    let state = read_state(&ws);
    assert!(state.resources.is_empty());
    assert_eq!(state.serial, 13);
    assert_ok(&ws.run(&["state", "list"]), "");
}

#[test]
fn rm_with_one_unknown_address_changes_nothing() {
    let ws = two_servers();
    assert_err(
        &ws.run(&[
            "state",
            "rm",
            "ipsec_server.lab",
            "ipsec_server.labb",
            "ipsec_server.x",
        ]),
        "error: no resource ipsec_server.labb in state/vpnform.state.yaml; did you mean `ipsec_server.lab`?\n\
no resource ipsec_server.x in state/vpnform.state.yaml\n\
Nothing was changed. `vpnform state list` shows the recorded addresses.\n",
    );
    assert_eq!(ws.read(STATE), TWO_SERVERS);
    assert!(!ws.exists(BACKUP));
}

#[test]
fn rm_of_an_address_with_a_pending_operation_refuses() {
    let ws = Workspace::new().file(STATE, PENDING_LAB);
    assert_err(
        &ws.run(&["state", "rm", "ipsec_server.lab"]),
        "error: ipsec_server.lab has a pending delete (ClientToken vpnform-0123456789abcdef0123456789abcdef, journaled at 2025-01-02T03:04:05Z) whose result is not confirmed yet; run `vpnform apply` to resolve the pending operation first. Nothing was changed.\n",
    );
    assert_eq!(ws.read(STATE), PENDING_LAB);
    assert!(!ws.exists(BACKUP));
}

#[test]
fn rm_without_a_state_file_creates_nothing() {
    let ws = Workspace::new();
    let out = ws.run(&["state", "rm", "ipsec_server.lab"]);
    assert_err(
        &out,
        "error: no state file at state/vpnform.state.yaml: vpnform manages no resources here yet (pass --state DIR if the state is elsewhere)\n",
    );
    assert!(!ws.exists("state"));
}

#[test]
fn unprotect_clears_protect_and_bumps_the_serial() {
    let ws = two_servers();
    let out = ws.run(&["state", "unprotect", "ipsec_server.office"]);
    assert_ok(
        &out,
        "Unprotected ipsec_server.office: a plan may now delete it.\n",
    );
    let state = read_state(&ws);
    assert_eq!(state.serial, 13);
    assert!(!state.resources["ipsec_server.office"].protect);
    assert_eq!(state.resources.len(), 2);
    assert!(!ws.read(STATE).contains("protect"));
    assert!(!ws.exists(BACKUP));

    // Again: nothing to do, nothing written, exit 0.
    let before = ws.read(STATE);
    assert_ok(
        &ws.run(&["state", "unprotect", "ipsec_server.office"]),
        "ipsec_server.office is not protected; nothing to change.\n",
    );
    assert_eq!(ws.read(STATE), before);
}

#[test]
fn unprotect_of_an_unprotected_resource_does_not_write() {
    let ws = two_servers();
    assert_ok(
        &ws.run(&["state", "unprotect", "ipsec_server.lab"]),
        "ipsec_server.lab is not protected; nothing to change.\n",
    );
    assert_eq!(ws.read(STATE), TWO_SERVERS);
}

#[test]
fn unprotect_of_an_unknown_address_is_an_error() {
    let ws = two_servers();
    assert_err(
        &ws.run(&["state", "unprotect", "ipsec_server.offce"]),
        "error: no resource ipsec_server.offce in state/vpnform.state.yaml; did you mean `ipsec_server.office`?\n\
Nothing was changed. `vpnform state list` shows the recorded addresses.\n",
    );
    assert_eq!(ws.read(STATE), TWO_SERVERS);
}

const ADVICE: &str = "vpnform left the file untouched and will not overwrite it. Restore a good copy from version control (`git log -p -- state/vpnform.state.yaml`) or from state/vpnform.state.yaml.backup (written by `vpnform state rm`), then run the command again.\n";

/// Every command that reads the state, run on `contents`: each fails with `message`
/// and the file stays byte-identical.
#[track_caller]
fn every_command_refuses(contents: &str, message: &str) {
    let ws = Workspace::new().file(STATE, contents);
    for args in [
        &["state", "list"][..],
        &["state", "show", "ipsec_server.office"],
        &["state", "rm", "ipsec_server.office"],
        &["state", "unprotect", "ipsec_server.office"],
    ] {
        let out = ws.run(args);
        assert_err(&out, message);
        assert_eq!(ws.read(STATE), contents, "{args:?} changed the file");
        assert!(!ws.exists(BACKUP), "{args:?} wrote a backup");
    }
}

#[test]
fn truncated_state_is_a_clear_error_and_never_overwritten() {
    // Cut mid-way through a list, as a full disk or a killed editor leaves it.
    let truncated = &TWO_SERVERS[..TWO_SERVERS.find("[ipsec_server.lab]").unwrap() + 1];
    every_command_refuses(
        truncated,
        &format!(
            "error: state/vpnform.state.yaml:9:17: unclosed bracket '['\n  |\n9 |     depends_on: [\n  |                 ^\n{ADVICE}"
        ),
    );
}

#[test]
fn truncated_after_a_list_dash_is_a_clear_error_and_never_overwritten() {
    let ws = two_servers();
    ws.run(&["state", "rm", "ipsec_server.lab"]);
    let full = ws.read(STATE);
    let truncated = &full[..full.find("- ipsec_server.lab").unwrap() + 2];
    every_command_refuses(
        truncated,
        &format!(
            "error: state/vpnform.state.yaml:11:7: null is not allowed here\n   |\n11 |     - \n   |       ^\n{ADVICE}"
        ),
    );
}

#[test]
fn truncated_in_a_string_is_a_clear_error_and_never_overwritten() {
    let cut = "version: 1\nlineage: \"4c1e7c52-7d0f";
    every_command_refuses(
        cut,
        &format!(
            "error: state/vpnform.state.yaml:2:10: unclosed quote\n  |\n2 | lineage: \"4c1e7c52-7d0f\n  |          ^\n{ADVICE}"
        ),
    );
}

#[test]
fn empty_state_file_is_an_error_not_an_empty_state() {
    every_command_refuses(
        "# Managed by vpnform.\n\n",
        &format!(
            "error: state/vpnform.state.yaml: the state file is empty; a state file always has at least `version`, `lineage` and `serial`.\n{ADVICE}"
        ),
    );
}

#[test]
fn unknown_field_is_an_error_with_its_position() {
    let contents = TWO_SERVERS.replace(
        "    protect: true\n",
        "    protect: true\n    protected: true\n",
    );
    every_command_refuses(
        &contents,
        &format!(
            "error: state/vpnform.state.yaml:11:5: unknown field `protected`, expected one of id, region, vpn_gateway, depends_on, protect, psk, attributes, deposed\n   |\n11 |     protected: true\n   |     ^\n{ADVICE}"
        ),
    );
}

#[test]
fn duplicate_address_is_an_error() {
    let contents = TWO_SERVERS.replace("ipsec_server.lab:", "ipsec_server.office:");
    let out = Workspace::new()
        .file(STATE, &contents)
        .run(&["state", "list"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .starts_with("error: state/vpnform.state.yaml:12:3: duplicate mapping key"),
        "{}",
        out.stderr
    );
}

#[test]
fn newer_version_says_upgrade() {
    // A newer format may well have fields this vpnform does not know: the version is
    // what the user needs to hear about, not the field.
    let contents = TWO_SERVERS
        .replace("version: 1", "version: 2")
        .replace("pending: []", "pending: []\nworkspaces: {}");
    every_command_refuses(
        &contents,
        "error: state/vpnform.state.yaml:1:10: this state file was written by a newer vpnform (state format version 2; this vpnform reads version 1).\n  |\n1 | version: 2\n  |          ^\nUpgrade vpnform to work with this state; vpnform left the file untouched.\n",
    );
}

#[test]
fn version_zero_is_unsupported() {
    let contents = TWO_SERVERS.replace("version: 1", "version: 0");
    every_command_refuses(
        &contents,
        &format!(
            "error: state/vpnform.state.yaml:1:10: unsupported state format version 0; this vpnform reads version 1.\n  |\n1 | version: 0\n  |          ^\n{ADVICE}"
        ),
    );
}

#[test]
fn bad_lineage_is_an_error() {
    let contents = TWO_SERVERS.replace("4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a", "prod");
    every_command_refuses(
        &contents,
        &format!(
            "error: state/vpnform.state.yaml:2:10: lineage `prod` is not a UUID\n  |\n2 | lineage: prod\n  |          ^\n{ADVICE}"
        ),
    );
}

#[test]
fn bad_ids_and_addresses_are_errors_at_their_position() {
    let cases = [
        (
            TWO_SERVERS.replace("id: iss-bp1lab", "id: vpn-bp1lab"),
            "error: state/vpnform.state.yaml:13:9: ipsec_server.lab: id `vpn-bp1lab0000000000000001` is not an IPsec server id (iss-...)\n   |\n13 |     id: vpn-bp1lab0000000000000001\n   |         ^\n",
        ),
        (
            TWO_SERVERS.replacen(
                "vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd",
                "vpn_gateway: bp1q8bgx4xnkm2ogjabcd",
                1,
            ),
            "error: state/vpnform.state.yaml:8:18: ipsec_server.office: vpn_gateway `bp1q8bgx4xnkm2ogjabcd` is not a VPN gateway id (vpn-...)\n  |\n8 |     vpn_gateway: bp1q8bgx4xnkm2ogjabcd\n  |                  ^\n",
        ),
        (
            TWO_SERVERS.replace("  ipsec_server.lab:", "  lab:"),
            "error: state/vpnform.state.yaml:12:3: `lab` is not a resource address: write ipsec_server.NAME (NAME of letters, digits, `_`, `-`)\n   |\n12 |   lab:\n   |   ^\n",
        ),
    ];
    for (contents, message) in cases {
        every_command_refuses(&contents, &format!("{message}{ADVICE}"));
    }
}

/// Regression: the state accepted `iss-`/`vpn-` ids with upper-case letters that the
/// desired file refuses; one id grammar now holds for both (the stricter one).
#[test]
fn a_state_with_an_upper_case_id_is_refused_at_its_position() {
    every_command_refuses(
        &TWO_SERVERS.replace("id: iss-bp1lab", "id: iss-BP1lab"),
        &format!(
            "error: state/vpnform.state.yaml:13:9: ipsec_server.lab: id `iss-BP1lab0000000000000001` is not an IPsec server id (iss-...)\n   |\n13 |     id: iss-BP1lab0000000000000001\n   |         ^\n{ADVICE}"
        ),
    );
    every_command_refuses(
        &TWO_SERVERS.replacen("vpn_gateway: vpn-bp1q8", "vpn_gateway: vpn-BP1Q8", 1),
        &format!(
            "error: state/vpnform.state.yaml:8:18: ipsec_server.office: vpn_gateway `vpn-BP1Q8bgx4xnkm2ogjabcd` is not a VPN gateway id (vpn-...)\n  |\n8 |     vpn_gateway: vpn-BP1Q8bgx4xnkm2ogjabcd\n  |                  ^\n{ADVICE}"
        ),
    );
}

#[test]
fn state_written_by_vpnform_reads_back_byte_identical() {
    // Deterministic bytes: a change that is undone gives the same file back.
    let ws = two_servers();
    ws.run(&["state", "rm", "ipsec_server.lab"]);
    let first = ws.read(STATE);
    let dir = ws.path().join("state");
    let state = vpnform::state::read(&dir).unwrap().unwrap();
    assert_eq!(vpnform::state::to_yaml(&state).unwrap(), first);
    vpnform::state::write(&dir, &state).unwrap();
    assert_eq!(ws.read(STATE), first);
}

fn locked_message(lock: &Lock, waited: &str) -> String {
    let h = lock.holder();
    format!(
        "error: the state is locked{waited}: state/.vpnform.lock is held by {} (lock id {}).\n\
Wait for that run to finish, or wait for the lock with `--lock-timeout 5m`. If that process is gone but its host or filesystem still holds the lock (a hung process, a network filesystem), run `vpnform force-unlock`.\n",
        h.describe(),
        h.id
    )
}

#[test]
fn writes_fail_at_once_when_another_process_holds_the_lock() {
    let ws = two_servers();
    let lock = Lock::acquire(
        &ws.path().join("state"),
        "vpnform apply --auto-approve",
        Duration::ZERO,
    )
    .unwrap();
    for args in [
        &["state", "rm", "ipsec_server.lab"][..],
        &["state", "unprotect", "ipsec_server.office"],
        &["state", "mv", "ipsec_server.lab", "ipsec_server.lab_2"],
    ] {
        assert_err(&ws.run(args), &locked_message(&lock, ""));
        assert_eq!(ws.read(STATE), TWO_SERVERS);
    }
    // Reading does not take the lock.
    assert_ok(
        &ws.run(&["state", "list"]),
        "ipsec_server.lab\nipsec_server.office\n",
    );
    drop(lock);
    assert_eq!(ws.run(&["state", "rm", "ipsec_server.lab"]).code, 0);
}

#[test]
fn a_short_lock_timeout_fails_after_waiting() {
    let ws = two_servers();
    let lock = Lock::acquire(
        &ws.path().join("state"),
        "vpnform apply --auto-approve",
        Duration::ZERO,
    )
    .unwrap();
    let out = ws.run(&["state", "rm", "--lock-timeout", "200ms", "ipsec_server.lab"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .ends_with(&locked_message(&lock, " after waiting 200ms")),
        "{}",
        out.stderr
    );
    assert_eq!(ws.read(STATE), TWO_SERVERS);
}

/// Regression: `plan --lock-timeout` waited silently (it looked hung), and apply said it
/// waited "up to 0s" for a timeout of 500ms. Plan now says what it waits for, as apply
/// and the state commands do, in the same words, with the timeout as it was given.
#[test]
fn regression_plan_waited_for_the_lock_silently_and_500ms_printed_as_0s() {
    let ws = two_servers();
    let lock = Lock::acquire(
        &ws.path().join("state"),
        "vpnform apply --auto-approve",
        Duration::ZERO,
    )
    .unwrap();
    let h = lock.holder().clone();
    let out = ws.run(&["plan", "--offline", "--lock-timeout", "500ms"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "The state is locked by {}; waiting for it (up to 500ms).\n{}",
            h.describe(),
            locked_message(&lock, " after waiting 500ms")
        )
    );
}

#[test]
fn lock_timeout_waits_and_succeeds_when_the_lock_is_released() {
    let ws = two_servers();
    let lock = Lock::acquire(&ws.path().join("state"), "vpnform apply", Duration::ZERO).unwrap();
    let mut child = ws
        .command(&["state", "rm", "--lock-timeout", "10m", "ipsec_server.lab"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Release only once the child says it is waiting: no sleeps, no timing.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let h = lock.holder();
    assert_eq!(
        line,
        format!(
            "The state is locked by {}; waiting for it (up to 10m).\n",
            h.describe()
        )
    );
    drop(lock);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Removed ipsec_server.lab\nSuccessfully removed 1 resource instance(s).\n"
    );
    assert!(!ws.read(STATE).contains("ipsec_server.lab:"));
}

#[test]
fn a_run_that_waited_releases_the_lock_and_clears_the_holder_info() {
    let ws = two_servers();
    let dir = ws.path().join("state");
    let blocker = Lock::acquire(&dir, "blocker", Duration::ZERO).unwrap();
    let mut child = ws
        .command(&[
            "state",
            "unprotect",
            "--lock-timeout",
            "10m",
            "ipsec_server.office",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    drop(blocker);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    // Released again: the holder info is cleared.
    assert_eq!(ws.read("state/.vpnform.lock"), "");
}

#[test]
fn force_unlock_without_a_lock_file_removes_nothing() {
    let ws = two_servers();
    assert_ok(
        &ws.run(&["force-unlock", "--force"]),
        "No lock file at state/.vpnform.lock: the state is not locked. Nothing removed.\n",
    );
}

#[test]
fn force_unlock_of_a_lock_no_process_holds_removes_nothing() {
    let ws = two_servers();
    drop(Lock::acquire(&ws.path().join("state"), "vpnform apply", Duration::ZERO).unwrap());
    assert_ok(
        &ws.run(&["force-unlock", "--force"]),
        "The state is not locked: no process holds state/.vpnform.lock. Nothing removed.\n",
    );
    assert!(ws.exists("state/.vpnform.lock"));
}

#[test]
fn force_unlock_of_a_lock_left_by_a_killed_run_removes_nothing() {
    // A killed run cannot clear its holder info, but the OS released its lock.
    let ws = two_servers().file(
        "state/.vpnform.lock",
        r#"{"id":"0b7c3c2e-0000-4000-8000-000000000000","pid":4242,"host":"ci-7","command":"vpnform apply","since":"2025-01-02T03:04:05Z"}"#,
    );
    assert_ok(
        &ws.run(&["force-unlock", "--force"]),
        "The state is not locked: no process holds state/.vpnform.lock (its holder info is left over from pid 4242 on host ci-7 running `vpnform apply` since 2025-01-02T03:04:05Z, which ended). Nothing removed.\n",
    );
    // And the next run simply takes the lock.
    assert_eq!(ws.run(&["state", "rm", "ipsec_server.lab"]).code, 0);
}

/// A holder that recorded who ran it (`USER`, `GITHUB_ACTOR`) is named with them; one
/// written before vpnform recorded them reads as before (above).
#[test]
fn force_unlock_names_the_user_and_the_github_actor_of_a_left_over_holder() {
    let ws = two_servers().file(
        "state/.vpnform.lock",
        r#"{"id":"0b7c3c2e-0000-4000-8000-000000000000","pid":4242,"host":"ci-7","user":"runner","github_actor":"octocat","command":"vpnform apply","since":"2025-01-02T03:04:05Z"}"#,
    );
    assert_ok(
        &ws.run(&["force-unlock", "--force"]),
        "The state is not locked: no process holds state/.vpnform.lock (its holder info is left over from pid 4242 of user runner (GitHub actor octocat) on host ci-7 running `vpnform apply` since 2025-01-02T03:04:05Z, which ended). Nothing removed.\n",
    );
}

#[test]
fn force_unlock_without_a_terminal_needs_force() {
    let ws = two_servers();
    let lock = Lock::acquire(&ws.path().join("state"), "vpnform apply", Duration::ZERO).unwrap();
    let h = lock.holder();
    let out = ws.run(&["force-unlock"]);
    assert_eq!((out.code, out.stdout.as_str()), (1, ""), "{out:?}");
    assert!(
        out.stderr.ends_with(&format!(
            "error: state/.vpnform.lock is held by {} (lock id {}); refusing to remove it without confirmation because stdin is not a terminal. Pass --force to remove it.\n",
            h.describe(),
            h.id
        )),
        "{}",
        out.stderr
    );
    assert!(ws.exists("state/.vpnform.lock"));
}

#[test]
fn force_unlock_with_force_removes_the_lock_and_the_next_run_proceeds() {
    let ws = two_servers();
    let stuck = Lock::acquire(&ws.path().join("state"), "vpnform apply", Duration::ZERO).unwrap();
    let h = stuck.holder().clone();
    let out = ws.run(&["force-unlock", "--force", &h.id]);
    assert_ok(
        &out,
        &format!(
            "Removed state/.vpnform.lock (held by {} (lock id {})).\nThe state is unlocked: the next vpnform run will take a new lock.\n",
            h.describe(),
            h.id
        ),
    );
    assert!(!ws.exists("state/.vpnform.lock"));
    // The stuck holder still has its OS lock on the removed file; a new run does not care.
    assert_eq!(ws.run(&["state", "rm", "ipsec_server.lab"]).code, 0);
    drop(stuck);
}

#[test]
fn force_unlock_with_the_wrong_lock_id_removes_nothing() {
    let ws = two_servers();
    let lock = Lock::acquire(&ws.path().join("state"), "vpnform apply", Duration::ZERO).unwrap();
    let h = lock.holder();
    let out = ws.run(&["force-unlock", "--force", "not-this-one"]);
    assert_err(
        &out,
        &format!(
            "error: the lock on state/.vpnform.lock has lock id {}, not not-this-one: it is held by {} (lock id {}). Nothing removed; check again before forcing.\n",
            h.id,
            h.describe(),
            h.id
        ),
    );
    assert!(ws.exists("state/.vpnform.lock"));
}

/// TWO_SERVERS' desired file after `state mv ipsec_server.lab ipsec_server.lab_2`.
const TWO_SERVERS_DESIRED_AFTER_MV: &str = "\
version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office:
    id: iss-bp1jougp8cfsbo8y9abcd
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
    depends_on: [ipsec_server.lab_2]
    protect: true
  lab_2:
    id: iss-bp1lab0000000000000001
    vpn_gateway: vpn-bp1lab0000000000000001
";

/// The lab entry's gateway line in TWO_SERVERS (after office's, which is the same text).
const LAB_GATEWAY: &str = "vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd\npending";

#[test]
fn mv_renames_keeps_everything_and_rewrites_references() {
    // Each on its own gateway, as a desired file must have them.
    let before = TWO_SERVERS.replace(
        LAB_GATEWAY,
        "vpn_gateway: vpn-bp1lab0000000000000001\npending",
    );
    let ws = Workspace::new().file(STATE, &before);
    assert_ok(
        &ws.run(&["state", "mv", "ipsec_server.lab", "ipsec_server.lab_2"]),
        "Move \"ipsec_server.lab\" to \"ipsec_server.lab_2\"\n\
Updated depends_on in ipsec_server.office: ipsec_server.lab -> ipsec_server.lab_2\n\
Successfully moved 1 object(s).\n\
Rename the entry in the desired file to `lab_2` too, or the next plan deletes it and adopts or creates the old one.\n",
    );
    assert_eq!(
        ws.read(STATE),
        "\
# Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 13
resources:
  ipsec_server.lab_2:
    id: iss-bp1lab0000000000000001
    region: cn-hangzhou
    vpn_gateway: vpn-bp1lab0000000000000001
  ipsec_server.office:
    id: iss-bp1jougp8cfsbo8y9abcd
    region: cn-hangzhou
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
    depends_on:
    - ipsec_server.lab_2
    protect: true
    attributes:
      client_ip_pool: 10.8.0.0/16
      local_subnet: 10.0.0.0/24
      name: office
pending: []
"
    );
    assert_eq!(ws.read(BACKUP), before);
    // The desired file renamed the same way: nothing to do.
    ws.write("vpnform.yaml", TWO_SERVERS_DESIRED_AFTER_MV);
    let out = ws.run(&["plan", "--offline", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("No changes. Your infrastructure matches the configuration."),
        "{out:?}"
    );
}

#[test]
fn mv_of_a_protected_resource_keeps_protect_and_depends_on() {
    let ws = two_servers();
    assert_ok(
        &ws.run(&["state", "mv", "ipsec_server.office", "ipsec_server.hq"]),
        "Move \"ipsec_server.office\" to \"ipsec_server.hq\"\n\
Successfully moved 1 object(s).\n\
Rename the entry in the desired file to `hq` too, or the next plan deletes it and adopts or creates the old one.\n",
    );
    assert_ok(
        &ws.run(&["state", "show", "ipsec_server.hq"]),
        r#"# ipsec_server.hq:
resource "ipsec_server" "hq" {
    id          = "iss-bp1jougp8cfsbo8y9abcd"
    region      = "cn-hangzhou"
    vpn_gateway = "vpn-bp1q8bgx4xnkm2ogjabcd"
    depends_on  = ["ipsec_server.lab"]
    protect     = true
    attributes  = {
        client_ip_pool = "10.8.0.0/16"
        local_subnet   = "10.0.0.0/24"
        name           = "office"
    }
}
"#,
    );
    assert_ok(
        &ws.run(&["state", "list"]),
        "ipsec_server.hq\nipsec_server.lab\n",
    );
}

#[test]
fn mv_of_an_unknown_address_suggests_and_changes_nothing() {
    let ws = two_servers();
    assert_err(
        &ws.run(&["state", "mv", "ipsec_server.ofice", "ipsec_server.hq"]),
        "error: no resource ipsec_server.ofice in state/vpnform.state.yaml; did you mean `ipsec_server.office`?\n\
Nothing was changed. `vpnform state list` shows the recorded addresses.\n",
    );
    assert_eq!(ws.read(STATE), TWO_SERVERS);
    assert!(!ws.exists(BACKUP));
}

#[test]
fn mv_onto_a_recorded_address_refuses() {
    let ws = two_servers();
    assert_err(
        &ws.run(&["state", "mv", "ipsec_server.lab", "ipsec_server.office"]),
        "error: ipsec_server.office is already in state/vpnform.state.yaml: `state mv` never replaces a recorded resource. \
Move to another address, or forget that one first (`vpnform state rm ipsec_server.office`) if its record is wrong. Nothing was changed.\n",
    );
    assert_eq!(ws.read(STATE), TWO_SERVERS);
    assert!(!ws.exists(BACKUP));
}

#[test]
fn mv_to_a_malformed_address_refuses() {
    let ws = two_servers();
    for bad in ["ipsec_server.1lab", "lab", "ipsec_server.a.b"] {
        assert_err(
            &ws.run(&["state", "mv", "ipsec_server.lab", bad]),
            &format!(
                "error: `{bad}` is not a resource address: write ipsec_server.NAME (NAME of letters, digits, `_`, `-`). Nothing was changed.\n"
            ),
        );
    }
    assert_eq!(ws.read(STATE), TWO_SERVERS);
    assert!(!ws.exists(BACKUP));
}

#[test]
fn mv_of_an_address_with_a_pending_operation_refuses() {
    let ws = Workspace::new().file(STATE, PENDING_LAB);
    assert_err(
        &ws.run(&["state", "mv", "ipsec_server.lab", "ipsec_server.lab_2"]),
        "error: ipsec_server.lab has a pending delete (ClientToken vpnform-0123456789abcdef0123456789abcdef, journaled at 2025-01-02T03:04:05Z) whose result is not confirmed yet; run `vpnform apply` to resolve the pending operation first. Nothing was changed.\n",
    );
    assert_eq!(ws.read(STATE), PENDING_LAB);
    assert!(!ws.exists(BACKUP));
}
