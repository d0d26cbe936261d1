//! The command line itself: help, version, usage errors, completions, man pages.

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

/// `vpnform man --dir DIR`: a page per command, the subcommands' own pages included, and
/// each page generated from the command's clap definition (apply's flags in its page).
#[test]
fn man_writes_a_page_per_command_into_the_directory() {
    const PAGES: [&str; 21] = [
        "vpnform.1",
        "vpnform-validate.1",
        "vpnform-plan.1",
        "vpnform-apply.1",
        "vpnform-policy.1",
        "vpnform-show.1",
        "vpnform-import.1",
        "vpnform-state.1",
        "vpnform-state-list.1",
        "vpnform-state-show.1",
        "vpnform-state-rm.1",
        "vpnform-state-pull.1",
        "vpnform-state-push.1",
        "vpnform-state-mv.1",
        "vpnform-state-unprotect.1",
        "vpnform-init.1",
        "vpnform-force-unlock.1",
        "vpnform-sandbox.1",
        "vpnform-sandbox-serve.1",
        "vpnform-completions.1",
        "vpnform-man.1",
    ];
    let ws = Workspace::new();
    ws.vpnform(&["man", "--dir", "man/man1"])
        .stderr(format!(
            "Wrote 21 man pages to man/man1: {}\n",
            PAGES.join(", ")
        ))
        .run();
    let dir = ws.path().join("man/man1");
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = PAGES.iter().map(|p| p.to_string()).collect();
    expected.sort();
    assert_eq!(
        written, expected,
        "no page for `help`, one for every other command"
    );

    let apply = std::fs::read_to_string(dir.join("vpnform-apply.1")).unwrap();
    assert!(
        apply.contains(".TH vpnform-apply 1 "),
        "a roff page: {apply}"
    );
    // Every flag of `apply --help` is an entry of the page's OPTIONS (roff escapes `-`).
    let options = &apply[apply.find(".SH OPTIONS").expect("an OPTIONS section")..];
    for flag in [
        "auto-approve",
        "json",
        "full",
        "refresh-only",
        "max-deletes",
        "target",
        "sandbox",
        "endpoint",
        "profile",
        "parallelism",
        "max-rate",
        "sandbox-configure-time",
        "lock-timeout",
    ] {
        let entry = format!(".TP\n\\fB\\-\\-{}\\fR", flag.replace('-', "\\-"));
        assert!(
            options.contains(&entry),
            "vpnform-apply.1 has {entry:?}: {apply}"
        );
    }
    assert!(
        options.contains("[default: 1000]"),
        "--max-rate's default: {apply}"
    );
    assert!(options.contains("\\fBVPNFORM_ENDPOINT\\fR"), "{apply}");
    // A hidden flag stays out of the page, as out of --help.
    assert!(!apply.contains("poll\\-interval"), "{apply}");
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
