//! The command line itself: help, version, usage errors, completions.

use crate::support::Workspace;

#[test]
fn usage_error_exits_1_not_2() {
    let ws = Workspace::new();
    let out = ws.run(&["plan", "--no-such-flag"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("--no-such-flag"), "{}", out.stderr);
}

#[test]
fn help_and_version_exit_0() {
    let ws = Workspace::new();
    let out = ws.run(&["--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("Usage: vpnform"), "{}", out.stdout);
    let out = ws.run(&["--version"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout.trim(),
        format!("vpnform {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn completions_for_bash_name_the_commands() {
    let ws = Workspace::new();
    let out = ws.run(&["completions", "bash"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("force-unlock"), "{}", out.stdout);
}

#[test]
fn bad_lock_timeout_is_a_usage_error_that_says_what_to_write() {
    let ws = Workspace::new();
    let out = ws.run(&["plan", "--lock-timeout", "soon"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("`soon` is not a duration"),
        "{}",
        out.stderr
    );
}
