//! Hostile inputs, issue 20 ("the plan is the whole truth"): the routes by which an
//! input could reach around the plan. Secret sources outside the repository or the
//! secrets directory, redirects from the API endpoint, files that block or never end,
//! a sandbox listening beyond loopback, a linked state directory, postgres schema
//! names that are not vpnform's own, a quoted serial, an endpoint checked after the
//! secrets were read, addresses of any length.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::os::unix::fs::symlink;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[allow(unused_imports)]
use crate::support::*;

const DESIRED: &str = "\
version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office:
    id: iss-bp1jougp8cfsbo8y9abcd
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
";

/// Runs `args` with a deadline (a run that blocks fails the test instead of hanging
/// it) and `stdin` on its standard input (none: /dev/null).
fn run_bounded(ws: &Workspace, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = ws
        .command(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vpnform");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        // A run that exits before reading all of it closes the pipe: not the test's error.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "vpnform {args:?} did not finish in 20s; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
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

fn mkfifo(path: &std::path::Path) {
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
}

// ---- one bounded reader for every input file ----

/// Regression (#20.7): a FIFO as the desired file blocked every command on its open
/// (waiting for a writer that never came), `apply FILE` while it held the state lock.
#[test]
fn desired_file_that_is_a_fifo_is_refused_not_hung() {
    let ws = Workspace::new().file("vpnform.yaml", DESIRED);
    ws.vpnform(&["plan", "--offline", "--out", "saved.plan"])
        .code(0)
        .any_stdout()
        .any_stderr()
        .run();
    std::fs::remove_file(ws.path().join("vpnform.yaml")).unwrap();
    mkfifo(&ws.path().join("vpnform.yaml"));
    let message = "error: the desired-state file vpnform.yaml is a FIFO (named pipe), not a \
                   regular file; vpnform reads it only from a regular file\n  = help: pass the \
                   path of the file itself, or `--desired -` to read it from standard input\n";
    for args in [
        &["validate"][..],
        &["plan", "--offline"],
        &["show", "saved.plan"],
        &["apply", "saved.plan"],
        &["apply", "--auto-approve", "--sandbox"],
    ] {
        assert_err(&run_bounded(&ws, args, None), message);
    }
    // No lock was left behind, and none was taken.
    assert!(!ws.exists("state/.vpnform.lock"));
}

/// Regression (#20.7): `--desired /dev/zero` was read up to the limit; it is refused
/// unread, as every file that is not a regular one.
#[test]
fn desired_file_that_is_a_device_is_refused_unread() {
    let ws = Workspace::new();
    assert_err(
        &run_bounded(&ws, &["validate", "--desired", "/dev/zero"], None),
        "error: the desired-state file /dev/zero is a character device, not a regular file; \
         vpnform reads it only from a regular file\n  = help: pass the path of the file \
         itself, or `--desired -` to read it from standard input\n",
    );
}

/// Regression (#20.7): `--desired -` looked for a file named `-`. It reads standard
/// input, once (the backend and the entries come from the same bytes), bounded.
#[test]
fn desired_from_stdin_was_a_file_named_dash() {
    let ws = Workspace::new();
    let out = run_bounded(&ws, &["validate", "--desired", "-"], Some(DESIRED.as_bytes()));
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "Success! The configuration is valid.\n", ""),
        "{out:?}"
    );
    let out = run_bounded(
        &ws,
        &["plan", "--offline", "--desired", "-"],
        Some(DESIRED.as_bytes()),
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("> resource \"ipsec_server\" \"office\""), "{out:?}");
    let mut big = DESIRED.as_bytes().to_vec();
    big.resize(64 * 1024 * 1024 + 1, b'#');
    assert_err(
        &run_bounded(&ws, &["validate", "--desired", "-"], Some(&big)),
        "error: the desired-state file - is larger than 64 MiB, the most vpnform reads\n  = \
         help: check that `--desired` names your desired-state file; 100,000 servers take \
         about 11 MiB\n",
    );
    assert_err(
        &run_bounded(&ws, &["import", "--write", "--desired", "-"], Some(b"")),
        "error: `import --write` appends to the desired file, and `--desired -` reads it from \
         standard input, which cannot be written: name the file with `--desired FILE`, or run \
         without --write and paste the printed entries\n",
    );
}

/// Regression (#20.7): `sandbox serve --world /dev/zero` read until memory ran out, and
/// a FIFO world blocked the sandbox before it listened.
#[test]
fn world_file_dev_zero_was_read_until_out_of_memory() {
    let ws = Workspace::new();
    mkfifo(&ws.path().join("world.yaml"));
    for (file, kind) in [
        ("/dev/zero", "a character device"),
        ("world.yaml", "a FIFO (named pipe)"),
    ] {
        assert_err(
            &run_bounded(
                &ws,
                &["sandbox", "serve", "--listen", "127.0.0.1:0", "--world", file],
                None,
            ),
            &format!(
                "error: cannot read the world file {file}: it is {kind}, not a regular file; \
                 vpnform reads a world file only from a regular file. Pass the path of the \
                 file itself.\n"
            ),
        );
    }
}
