//! The command line itself: help, version, usage errors, completions.

use crate::support::Workspace;

#[test]
fn usage_error_exits_1_not_2() {
    Workspace::new()
        .vpnform(&["plan", "--no-such-flag"])
        .code(1)
        .stderr(
            r"error: unexpected argument '--no-such-flag' found

Usage: vpnform plan [OPTIONS]

For more information, try '--help'.
",
        )
        .run();
}

#[test]
fn help_and_version_exit_0() {
    let ws = Workspace::new();
    let out = ws.run(&["--help"]);
    assert_eq!(out.code, 0);
    // A fragment: the help text grows with every flag, and clap renders it.
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
    // A fragment: the script is clap_complete's, not vpnform's rendering.
    assert!(out.stdout.contains("force-unlock"), "{}", out.stdout);
}

/// `sandbox serve --help` shows the key pair the sandbox accepts by default: it is
/// published (the docs and the printed `export` lines show it), so hiding it only made
/// a first run harder.
#[test]
fn sandbox_serve_help_shows_its_default_keys() {
    let out = Workspace::new().run(&["sandbox", "serve", "--help"]);
    assert_eq!(out.code, 0, "{out:?}");
    for shown in ["[default: sandbox]", "[default: sandbox-secret]"] {
        assert!(out.stdout.contains(shown), "{shown}: {}", out.stdout);
    }
}

#[test]
fn bad_lock_timeout_is_a_usage_error_that_says_what_to_write() {
    Workspace::new()
        .vpnform(&["plan", "--lock-timeout", "soon"])
        .code(1)
        .stderr(r"error: invalid value 'soon' for '--lock-timeout <DURATION>': `soon` is not a duration: write e.g. 0, 500ms, 30s, 5m or 1h

For more information, try '--help'.
")
        .run();
}
