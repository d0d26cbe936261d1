//! Hostile inputs: state, lock, backup and plan files on disk (links, modes, sizes, serials).
//!
//! Tests run as root in CI, where permission bits do not stop anything: a read-only
//! checkout is tested by running the binary as `nobody` when the tests are root.

use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

#[allow(unused_imports)]
use crate::support::*;

const STATE: &str = "state/vpnform.state.yaml";
const LOCK: &str = "state/.vpnform.lock";
const BACKUP: &str = "state/vpnform.state.yaml.backup";

/// Two recorded servers; the desired file below keeps `office`, so a plan deletes `lab`.
const TWO_SERVERS: &str = "\
version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 12
resources:
  ipsec_server.lab:
    id: iss-bp1lab0000000000000001
    region: cn-hangzhou
    vpn_gateway: vpn-bp1lab0000000000000001
  ipsec_server.office:
    id: iss-bp1jougp8cfsbo8y9abcd
    region: cn-hangzhou
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
pending: []
";

const KEEP_OFFICE: &str = "\
version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office:
    id: iss-bp1jougp8cfsbo8y9abcd
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
";

const LIMIT: u64 = 256 * 1024 * 1024;

fn workspace() -> Workspace {
    Workspace::new()
        .file(STATE, TWO_SERVERS)
        .file("vpnform.yaml", KEEP_OFFICE)
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run vpnform");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs with a bounded address space, so that a run that reads without a bound fails
/// fast instead of taking the machine's memory, and with a deadline, so that one that
/// blocks (a FIFO) fails the test instead of hanging it.
fn run_bounded(ws: &Workspace, args: &[&str]) -> Output {
    let mut cmd = ws.command(args);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 2 << 30,
                rlim_max: 2 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("run vpnform");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("vpnform {args:?} did not finish in 20s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[track_caller]
fn assert_err(out: &Output, stderr: &str) {
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (1, "", stderr),
        "{out:?}"
    );
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .unwrap()
        .file_type()
        .is_symlink()
}

fn lock_link_message() -> String {
    "error: the lock file state/.vpnform.lock is a symbolic link, not a regular file; vpnform \
     opens its lock file only as a regular file, never through a link (a planted link would \
     make it truncate the link's target). Remove it (`rm state/.vpnform.lock`) and run again: \
     vpnform creates the lock file itself.\n"
        .to_string()
}

/// Regression (#10.3): `ln -s /tmp/victim state/.vpnform.lock; vpnform plan --offline`
/// emptied the victim; `state rm` and `apply` wrote their holder info into it.
#[test]
fn a_symlinked_lock_file_truncated_its_target() {
    let ws = workspace();
    let victim = ws.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    symlink(&victim, ws.path().join(LOCK)).unwrap();
    for args in [
        &["plan", "--offline"][..],
        &["state", "rm", "ipsec_server.lab"],
        &["state", "unprotect", "ipsec_server.lab"],
        &["apply", "--auto-approve"],
        &["force-unlock", "--force"],
    ] {
        assert_err(&ws.run(args), &lock_link_message());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        assert!(is_link(&ws.path().join(LOCK)), "{args:?}");
        assert_eq!(ws.read(STATE), TWO_SERVERS, "{args:?}");
    }
}

/// Regression (#10.3): a dangling link at the lock's path made vpnform create the file it
/// points to.
#[test]
fn a_dangling_lock_link_created_its_target() {
    let ws = workspace();
    let target = ws.path().join("planted");
    symlink(&target, ws.path().join(LOCK)).unwrap();
    for args in [
        &["plan", "--offline"][..],
        &["state", "rm", "ipsec_server.lab"],
        &["apply", "--auto-approve"],
    ] {
        assert_err(&ws.run(args), &lock_link_message());
        assert!(!target.exists(), "{args:?} created the link's target");
    }
}

/// A sibling of the link: a hard link at the lock's path is another file's second name,
/// which taking the lock emptied.
#[test]
fn a_hard_linked_lock_file_truncated_its_other_name() {
    let ws = workspace();
    let victim = ws.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::hard_link(&victim, ws.path().join(LOCK)).unwrap();
    let message = lock_link_message().replace(
        "is a symbolic link, not a regular file",
        "is a hard link to another file, not a regular file",
    );
    for args in [
        &["plan", "--offline"][..],
        &["state", "rm", "ipsec_server.lab"],
    ] {
        assert_err(&ws.run(args), &message);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    }
}

/// A lock path that is not a file at all (a FIFO would block a reader forever).
#[test]
fn a_fifo_or_directory_at_the_lock_path_is_refused() {
    let ws = workspace();
    let fifo = std::ffi::CString::new(ws.path().join(LOCK).to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let message = "error: the lock file state/.vpnform.lock is a FIFO (named pipe), not a regular \
                   file; vpnform opens its lock file only as a regular file, never through a link \
                   (a planted link would make it truncate the link's target). Remove it (`rm \
                   state/.vpnform.lock`) and run again: vpnform creates the lock file itself.\n";
    assert_err(&run_bounded(&ws, &["plan", "--offline"]), message);
    assert_err(
        &run_bounded(&ws, &["state", "rm", "ipsec_server.lab"]),
        message,
    );
    std::fs::remove_file(ws.path().join(LOCK)).unwrap();
    std::fs::create_dir(ws.path().join(LOCK)).unwrap();
    assert_err(
        &ws.run(&["state", "rm", "ipsec_server.lab"]),
        &message.replace("a FIFO (named pipe)", "a directory"),
    );
    assert_eq!(ws.read(STATE), TWO_SERVERS);
}

fn link_message(what: &str, path: &str, target: &Path) -> String {
    format!(
        "error: refusing to write the {what} {path}: it is a symbolic link (to {target}). vpnform \
         never writes through or over a link: a link planted in a checkout could send the write \
         anywhere. Remove the link, or replace it with a copy of what it points to (`cp \
         --remove-destination {target} {path}`), and run again.\n",
        target = target.display()
    )
}

/// Regression (#10.4): a state file that is a link was replaced by a `-rwxrwxrwx` regular
/// file (the link's mode), and the file it pointed to went stale. Reading through the link
/// is fine; writing refuses, before anything is done (no backup, no cloud call).
#[test]
fn writing_over_a_symlinked_state_file_left_a_world_writable_copy() {
    let ws = Workspace::new().file("vpnform.yaml", KEEP_OFFICE);
    ws.write("elsewhere/real.yaml", TWO_SERVERS);
    let real = ws.path().join("elsewhere/real.yaml");
    std::fs::create_dir_all(ws.path().join("state")).unwrap();
    symlink(&real, ws.path().join(STATE)).unwrap();
    let out = ws.run(&["state", "list"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "ipsec_server.lab\nipsec_server.office\n"),
        "{out:?}"
    );
    for args in [
        &["state", "rm", "ipsec_server.lab"][..],
        &["state", "unprotect", "ipsec_server.lab"],
        &["apply", "--auto-approve"],
    ] {
        let out = ws.run(args);
        if args[1] == "unprotect" {
            // Not protected: nothing to write, so nothing refused.
            assert_eq!(out.code, 0, "{out:?}");
            continue;
        }
        assert_err(&out, &link_message("state file", STATE, &real));
        assert!(is_link(&ws.path().join(STATE)), "{args:?}");
        assert_eq!(std::fs::read_to_string(&real).unwrap(), TWO_SERVERS);
        assert!(!ws.exists(BACKUP), "{args:?} wrote a backup");
    }
}

/// Regression (#10.4): `state rm` wrote its backup over a link (the link's target kept
/// the old text, the link became a world-writable file).
#[test]
fn writing_over_a_symlinked_backup_left_a_world_writable_copy() {
    let ws = workspace();
    let target = ws.path().join("victim.txt");
    std::fs::write(&target, "precious\n").unwrap();
    symlink(&target, ws.path().join(BACKUP)).unwrap();
    assert_err(
        &ws.run(&["state", "rm", "ipsec_server.lab"]),
        &link_message("state backup", BACKUP, &target),
    );
    assert!(is_link(&ws.path().join(BACKUP)));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    assert_eq!(ws.read(STATE), TWO_SERVERS);
}

/// Regression (#10.4): `plan --out LINK` replaced the link with a world-writable file.
/// The target is checked before planning.
#[test]
fn plan_out_over_a_symlink_left_a_world_writable_copy() {
    let ws = workspace();
    let target = ws.path().join("victim.txt");
    std::fs::write(&target, "precious\n").unwrap();
    symlink(&target, ws.path().join("p.plan")).unwrap();
    assert_err(
        &ws.run(&["plan", "--offline", "--out", "p.plan"]),
        &link_message("saved plan", "p.plan", &target),
    );
    assert!(is_link(&ws.path().join("p.plan")));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    std::fs::create_dir(ws.path().join("dir.plan")).unwrap();
    assert_err(
        &ws.run(&["plan", "--offline", "--out", "dir.plan"]),
        "error: refusing to write the saved plan dir.plan: it is a directory, not a regular \
         file. Move it out of the way, or write to another path.\n",
    );
}

fn with_umask_000(mut cmd: Command) -> Command {
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0);
            Ok(())
        });
    }
    cmd
}

/// Regression (#10.4): new state, backup and plan files took the umask's mode (0666
/// under `umask 000`): they are 0600 whatever the umask; a state that exists keeps its
/// mode.
#[test]
fn new_files_took_the_umask_mode_instead_of_0600() {
    let ws = workspace();
    std::fs::set_permissions(
        ws.path().join(STATE),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let out = run(&mut with_umask_000(ws.command(&[
        "plan",
        "--offline",
        "--out",
        "p.plan",
    ])));
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(mode(&ws.path().join("p.plan")), 0o600);
    let out = run(&mut with_umask_000(ws.command(&[
        "state",
        "rm",
        "ipsec_server.lab",
    ])));
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(mode(&ws.path().join(BACKUP)), 0o600);
    assert_eq!(
        mode(&ws.path().join(STATE)),
        0o640,
        "an existing state keeps its mode"
    );

    // A new state, written by an apply that adopts into a workspace without one.
    let cloud = Cloud::for_state(TWO_SERVERS);
    let fresh = Workspace::new()
        .file("vpnform.yaml", KEEP_OFFICE)
        .env("VPNFORM_ENDPOINT", &cloud.sandbox.as_ref().unwrap().url())
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            vpnform::sandbox::DEFAULT_ACCESS_KEY_ID,
        )
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            vpnform::sandbox::DEFAULT_ACCESS_KEY_SECRET,
        );
    let out = run(&mut with_umask_000(fresh.command(&[
        "apply",
        "--auto-approve",
        "--poll-interval",
        "50ms",
    ])));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(fresh.read(STATE).contains("ipsec_server.office"));
    assert_eq!(mode(&fresh.path().join(STATE)), 0o600);
    // The state directory apply created ignores the lock and the backup in git.
    assert_eq!(fresh.read("state/.gitignore"), vpnform::state::GITIGNORE);
    assert!(vpnform::state::GITIGNORE.contains("\n.vpnform.lock\n"));
    assert!(vpnform::state::GITIGNORE.contains("\nvpnform.state.yaml.backup\n"));
}

/// The sandbox on 127.0.0.1:0, its world what a state records.
struct Cloud {
    runtime: tokio::runtime::Runtime,
    sandbox: Option<vpnform::sandbox::Sandbox>,
}

impl Cloud {
    fn for_state(state_text: &str) -> Cloud {
        let state =
            vpnform::state::parse(Path::new("state.yaml"), state_text).expect("test state parses");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let config = vpnform::sandbox::SandboxConfig {
            configure_time: (Duration::from_millis(100), Duration::from_millis(100)),
            ..Default::default()
        };
        let sandbox = runtime
            .block_on(vpnform::sandbox::start(
                config,
                vpnform::kinds::ipsec_server::seed::from_state(&state),
            ))
            .expect("sandbox starts");
        Cloud {
            runtime,
            sandbox: Some(sandbox),
        }
    }
}

impl Drop for Cloud {
    fn drop(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            self.runtime.block_on(sandbox.shutdown());
        }
    }
}

fn serial_message() -> String {
    "error: refusing to write state/vpnform.state.yaml: its serial 18446744073709551615 is the \
     largest a state can hold, and the next write would wrap it to 0, so that saved plans made \
     long ago would look current. vpnform never writes such a serial; nothing was changed. A \
     serial that high was written by hand: restore the state from version control (`git log -p \
     -- state/vpnform.state.yaml`).\n"
        .to_string()
}

/// Regression (#10.6): `serial: 18446744073709551615` then `state rm` wrote `serial: 0`.
/// Every command that would write refuses; so does a plan with changes (its apply could
/// never record them); reading still works.
#[test]
fn the_serial_wrapped_to_0_after_u64_max() {
    let text = TWO_SERVERS.replace("serial: 12", "serial: 18446744073709551615");
    let text = text.replace(
        "    vpn_gateway: vpn-bp1lab0000000000000001\n",
        "    vpn_gateway: vpn-bp1lab0000000000000001\n    protect: true\n",
    );
    let ws = Workspace::new()
        .file(STATE, &text)
        .file("vpnform.yaml", KEEP_OFFICE);
    for args in [
        &["state", "rm", "ipsec_server.lab"][..],
        &["state", "unprotect", "ipsec_server.lab"],
        &["apply", "--auto-approve"],
    ] {
        assert_err(&ws.run(args), &serial_message());
        assert_eq!(ws.read(STATE), text, "{args:?}");
        assert!(!ws.exists(BACKUP), "{args:?}");
    }
    let out = ws.run(&["state", "list"]);
    assert_eq!(out.code, 0, "{out:?}");
    // Keeping both servers: no changes, nothing to refuse.
    ws.write(
        "vpnform.yaml",
        &format!(
            "{KEEP_OFFICE}  lab:\n    id: iss-bp1lab0000000000000001\n    vpn_gateway: vpn-bp1lab0000000000000001\n    protect: true\n"
        ),
    );
    let out = ws.run(&["plan", "--offline"]);
    assert_eq!(out.code, 0, "{out:?}");
    ws.write("vpnform.yaml", KEEP_OFFICE);
    // The protected lab is not deleted; unprotect it by hand to get a plan with a change.
    ws.write(STATE, &text.replace("    protect: true\n", ""));
    assert_err(&ws.run(&["plan", "--offline"]), &serial_message());
}

/// A sparse file: `len` bytes long, nothing written.
fn sparse(path: &Path, len: u64) {
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

fn too_large(what: &str, path: &str, typical: &str) -> String {
    format!(
        "error: cannot read the {what} {path}: it is larger than 256 MiB ({LIMIT} bytes), the \
         most vpnform reads of a {what} ({typical}). This is not a file vpnform wrote: check the \
         path.\n"
    )
}

/// Regression (#10.9): the state file was read whole whatever its size.
#[test]
fn an_oversized_state_was_read_without_a_limit() {
    let ws = workspace();
    sparse(&ws.path().join(STATE), LIMIT + 1);
    let message = too_large(
        "state file",
        STATE,
        "100,000 servers take about 25 to 90 MiB",
    );
    for args in [
        &["plan", "--offline"][..],
        &["validate"],
        &["state", "list"],
        &["state", "show", "ipsec_server.lab"],
        &["state", "rm", "ipsec_server.lab"],
        &["apply", "--auto-approve"],
    ] {
        assert_err(&run_bounded(&ws, args), &message);
    }
    assert_eq!(
        std::fs::metadata(ws.path().join(STATE)).unwrap().len(),
        LIMIT + 1
    );
}

/// Regression (#10.9): a saved plan was read whole whatever its size, and `show
/// /dev/zero` read until out of memory; a FIFO blocked forever.
#[test]
fn show_and_apply_of_dev_zero_read_until_out_of_memory() {
    let ws = workspace();
    sparse(&ws.path().join("big.plan"), LIMIT + 1);
    let message = too_large(
        "saved plan",
        "big.plan",
        "a plan of 100,000 actions takes about 60 to 150 MiB",
    );
    assert_err(&run_bounded(&ws, &["show", "big.plan"]), &message);
    assert_err(&run_bounded(&ws, &["apply", "big.plan"]), &message);
    let fifo = std::ffi::CString::new(ws.path().join("fifo.plan").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    for (file, kind) in [
        ("/dev/zero", "a character device"),
        ("fifo.plan", "a FIFO (named pipe)"),
        ("state", "a directory"),
    ] {
        let message = format!(
            "error: cannot read the saved plan {file}: it is {kind}, not a regular file; vpnform \
             reads a saved plan only from a regular file. Pass the path of the file itself.\n"
        );
        assert_err(&run_bounded(&ws, &["show", file]), &message);
        assert_err(&run_bounded(&ws, &["apply", file]), &message);
    }
    assert_eq!(ws.read(STATE), TWO_SERVERS);
}

/// A state file that is a device or a FIFO (through a link, which reading follows).
#[test]
fn a_state_file_that_is_a_device_or_fifo_was_read_forever() {
    let ws = Workspace::new().file("vpnform.yaml", KEEP_OFFICE);
    std::fs::create_dir(ws.path().join("state")).unwrap();
    symlink("/dev/zero", ws.path().join(STATE)).unwrap();
    let message = "error: cannot read the state file state/vpnform.state.yaml: it is a character \
                   device, not a regular file; vpnform reads a state file only from a regular \
                   file. Pass the path of the file itself.\n";
    assert_err(&run_bounded(&ws, &["plan", "--offline"]), message);
    assert_err(&run_bounded(&ws, &["state", "list"]), message);
    std::fs::remove_file(ws.path().join(STATE)).unwrap();
    let fifo = std::ffi::CString::new(ws.path().join(STATE).to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    assert_err(
        &run_bounded(&ws, &["validate"]),
        &message.replace("a character device", "a FIFO (named pipe)"),
    );
}

/// Regression: a state file with a byte that is not UTF-8 got "stream did not contain
/// valid UTF-8", with no line and column.
#[test]
fn a_non_utf8_state_had_no_line_and_column() {
    let ws = Workspace::new().file("vpnform.yaml", KEEP_OFFICE);
    let mut bytes = TWO_SERVERS.as_bytes().to_vec();
    // Line 7, `    region: cn-hangzhou`: the `h` (column 16) becomes 0xff.
    let at = TWO_SERVERS.find("cn-hangzhou").unwrap() + 3;
    bytes[at] = 0xff;
    std::fs::create_dir_all(ws.path().join("state")).unwrap();
    std::fs::write(ws.path().join(STATE), &bytes).unwrap();
    let message = "error: state/vpnform.state.yaml:7:16: the state file is not valid UTF-8 (byte \
                   0xff); vpnform writes UTF-8 only, so the file was damaged (a bad merge, an \
                   editor's encoding, a binary copy).\n  |\n7 |     region: cn-\u{fffd}angzhou\n  \
                   |                ^\nvpnform left the file untouched and will not overwrite \
                   it. Restore a good copy from version control (`git log -p -- \
                   state/vpnform.state.yaml`) or from state/vpnform.state.yaml.backup (written by \
                   `vpnform state rm`), then run the command again.\n";
    for args in [
        &["plan", "--offline"][..],
        &["state", "list"],
        &["state", "rm", "ipsec_server.lab"],
    ] {
        assert_err(&ws.run(args), message);
    }
    assert_eq!(std::fs::read(ws.path().join(STATE)).unwrap(), bytes);
}

/// Regression: `plan --offline` opened (and created) the lock file for writing, so a
/// read-only checkout could not plan. As root permission bits stop nothing, so the
/// commands run as `nobody` there: what is proven is that they need no write access
/// anywhere in the workspace (a lock file left by an earlier apply included), and that
/// they create no lock file.
#[test]
fn plan_offline_needed_write_access_in_a_read_only_checkout() {
    let ws = workspace();
    let out = ws.run(&["plan", "--offline", "--out", "p.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    let chmod = |writable: bool| {
        let status = Command::new("chmod")
            .args(["-R", if writable { "u+w" } else { "a-w,a+rX" }])
            .arg(ws.path())
            .status()
            .unwrap();
        assert!(status.success());
    };
    let as_reader = |args: &[&str]| {
        let mut cmd = ws.command(args);
        if unsafe { libc::geteuid() } == 0 {
            cmd.uid(65534).gid(65534);
        }
        run(&mut cmd)
    };
    chmod(false);
    let read_only = [
        &["plan", "--offline"][..],
        &["validate"],
        &["show", "p.plan"],
        &["state", "list"],
        &["state", "show", "ipsec_server.lab"],
    ];
    for args in read_only {
        let out = as_reader(args);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        assert!(!ws.exists(LOCK), "{args:?} created the lock file");
    }
    // A lock file an earlier apply left (read-only like the rest) is shared, not written.
    chmod(true);
    ws.write(LOCK, "");
    chmod(false);
    let out = as_reader(&["plan", "--offline"]);
    assert_eq!(out.code, 0, "{out:?}");
    // A write still needs write access: the same user cannot `state rm`.
    if unsafe { libc::geteuid() } == 0 {
        let out = as_reader(&["state", "rm", "ipsec_server.lab"]);
        assert_eq!(out.code, 1, "{out:?}");
        assert!(
            out.stderr.starts_with(
                "error: cannot use the lock file state/.vpnform.lock: Permission denied"
            ),
            "{out:?}"
        );
    }
    chmod(true);
    assert_eq!(ws.read(STATE), TWO_SERVERS);
}

/// A plan shares the lock: it still waits for (and names) a writer holding it.
#[test]
fn a_plan_still_waits_for_an_apply_holding_the_lock() {
    let ws = workspace();
    let lock = vpnform::state::Lock::acquire(
        &ws.path().join("state"),
        "vpnform apply --auto-approve",
        Duration::ZERO,
    )
    .unwrap();
    let out = ws.run(&["plan", "--offline"]);
    let h = lock.holder();
    assert_err(
        &out,
        &format!(
            "error: the state is locked: state/.vpnform.lock is held by {} (lock id {}).\nWait for that run to finish, \
             or wait for the lock with `--lock-timeout 5m`. If that process is gone but its host \
             or filesystem still holds the lock (a hung process, a network filesystem), run \
             `vpnform force-unlock`.\n",
            h.describe(),
            h.id
        ),
    );
    drop(lock);
    assert_eq!(ws.run(&["plan", "--offline"]).code, 0);
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Regression: `apply FILE` checked `vpnform.yaml` even when the plan was made from
/// `--desired prod.yaml`, and said so ("cannot read the desired-state file vpnform.yaml").
/// Since issue 20 a saved plan never picks its own desired file: it is refused, naming
/// the file it was made for and the `--desired` that applies it there.
#[test]
fn apply_file_named_vpnform_yaml_when_the_plan_was_made_from_another_file() {
    let ws = Workspace::new()
        .file(STATE, TWO_SERVERS)
        .file("prod.yaml", KEEP_OFFICE);
    let out = ws.run(&[
        "plan",
        "--offline",
        "--desired",
        "prod.yaml",
        "--out",
        "p.plan",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let changed = format!("{KEEP_OFFICE}# reviewed\n");
    ws.write("prod.yaml", &changed);
    let out = ws.run(&["apply", "p.plan"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            1,
            "",
            "error: the saved plan p.plan was made for the desired file prod.yaml, and this \
             apply reads vpnform.yaml: a saved plan runs only against the desired file it was \
             made from. Make a new plan of this workspace's desired file with `vpnform plan \
             --out FILE`, or pass `--desired prod.yaml` if that file is the one to apply\n"
        ),
        "{out:?}"
    );
    let out = ws.run(&["apply", "--desired", "prod.yaml", "p.plan"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            1,
            "",
            format!(
                "warning: the saved plan p.plan was made with --offline: the cloud was \
                 not read and no delete was prechecked with DryRun\nerror: the desired-state file prod.yaml has changed since the saved plan \
                 p.plan was made (SHA-256 {} then, {} now); review the change and make a new plan \
                 with `vpnform plan --out FILE`\n",
                sha256_hex(KEEP_OFFICE.as_bytes()),
                sha256_hex(changed.as_bytes())
            )
            .as_str()
        ),
        "{out:?}"
    );
    // Another file than the plan's, named with --desired, is refused the same way.
    ws.write("prod.yaml", KEEP_OFFICE);
    ws.write("other.yaml", &changed);
    let out = ws.run(&["apply", "--desired", "other.yaml", "p.plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.starts_with(
            "error: the saved plan p.plan was made for the desired file prod.yaml, and this \
             apply reads other.yaml"
        ),
        "{out:?}"
    );
}
