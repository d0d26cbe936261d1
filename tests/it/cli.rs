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
    const PAGES: [&str; 23] = [
        "vpnform.1",
        "vpnform-validate.1",
        "vpnform-plan.1",
        "vpnform-apply.1",
        "vpnform-policy.1",
        "vpnform-show.1",
        "vpnform-graph.1",
        "vpnform-import.1",
        "vpnform-export.1",
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
            "Wrote 23 man pages to man/man1: {}\n",
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

/// Regression: `vpnform --help` and `apply --help` said apply deletes what the plan says
/// (it creates, updates and replaces too), and `--sandbox-configure-time` said a gateway
/// configures "after a delete" (after every mutation).
#[test]
fn regression_help_said_apply_only_deletes() {
    let ws = Workspace::new();
    ws.vpnform(&["--help"])
        .stdout(
            r#"Declarative reconciler for Alibaba Cloud VPN gateway IPsec servers

Usage: vpnform [OPTIONS] <COMMAND>

Commands:
  validate      Check the desired-state file (and its references into the state) without planning
  plan          Show what apply would do: diff desired against recorded (and the cloud)
  apply         Run the plan: create, update, replace and delete what it lists, recording each confirmed result
  policy        Print the minimal RAM policy (JSON) for the desired file's kinds and regions: for a plan job (`--plan`, read actions) or an apply job (`--apply`)
  show          Show a saved plan file
  graph         Draw the plan's action graph (or the recorded resources and their `depends_on`) as Graphviz DOT or Mermaid
  import        Write desired entries for the IPsec servers (with `--kind`, the resources of any kind: gateways, connections, routes, SSL-VPN servers and certificates) no address records, so that the next plan adopts them
  export        Write a recorded SSL-VPN client certificate's files (CA, certificate, key, client configuration) into a directory, each with mode 0600
  state         Inspect or edit the recorded state without touching the cloud
  init          Set up the workspace (idempotent): `.gitignore` lines for saved plans and key files, and the postgres schema the desired file's `backend` names; `--migrate-state` copies the local state in
  force-unlock  Remove the state lock file when its holder will never release it (a hung run, a lock kept by another host or a network filesystem). Does not stop that process
  sandbox       The local emulator of the VPC API
  completions   Print a shell completion script
  man           Write the man pages (vpnform.1 and one per command) into a directory
  help          Print this message or the help of the given subcommand(s)

Options:
  -C, --chdir <DIR>     Run as if started in DIR
      --desired <FILE>  The desired-state file [default: vpnform.yaml]
      --state <DIR>     The directory holding the recorded state (vpnform.state.yaml) and its lock [default: state]
      --no-color        No colour in the output (NO_COLOR is honoured too)
  -v, --verbose...      More output on stderr: -v shows each API call, -vv debug logs
  -q, --quiet           Only errors and warnings on stderr
  -h, --help            Print help
  -V, --version         Print version
"#,
        )
        .run();
    ws.vpnform(&["apply", "--help"])
        .stdout(
            r#"Run the plan: create, update, replace and delete what it lists, recording each confirmed result

Usage: vpnform apply [OPTIONS] [FILE]

Arguments:
  [FILE]  A saved plan (from `plan --out`) to run without asking

Options:
      --auto-approve
          Do not ask for approval
  -C, --chdir <DIR>
          Run as if started in DIR
      --desired <FILE>
          The desired-state file [default: vpnform.yaml]
      --json
          One JSON object a line (Terraform's machine-readable UI shape) instead of text
      --full
          Show every action's block and the state file diff, however large the plan (a plan of more than 25 actions is otherwise condensed to one line per action)
      --state <DIR>
          The directory holding the recorded state (vpnform.state.yaml) and its lock [default: state]
      --no-color
          No colour in the output (NO_COLOR is honoured too)
      --refresh-only
          Record only the changes made outside vpnform and the servers gone from the cloud: nothing changes in the cloud
      --destroy
          Delete every recorded resource, whatever the desired file says (`protect` still holds). Terraform's `-destroy`. A saved destroy plan carries it
  -v, --verbose...
          More output on stderr: -v shows each API call, -vv debug logs
      --max-deletes <N>
          Fail if the plan would delete more than N servers
  -q, --quiet
          Only errors and warnings on stderr
      --target <ADDRESS>
          Apply only ADDRESS's action and the actions it must wait for (repeatable). Not for routine use: for staging a large decommission or recovering from a mistake
      --replace <ADDRESS>
          Replace ADDRESS's server even though nothing in the desired file forces it (repeatable): a new server with the desired values, the old one deleted (on the same gateway: deleted first). Terraform's `-replace`
      --sandbox
          Rehearse against an in-process sandbox seeded from the recorded state and the desired ids; the real state file is never written
      --endpoint <URL>
          Send API calls to URL instead of the region's endpoint (http:// only for loopback) [env: VPNFORM_ENDPOINT=]
      --profile <NAME>
          The aliyun CLI profile to take credentials from (~/.aliyun/config.json, then the ini file), ahead of any keys in the environment. ALIBABA_CLOUD_PROFILE names a profile too, but only when the environment holds no keys
      --parallelism <N>
          At most N API requests in flight, 1 to 1000 (operations waiting for a gateway do not count) [default: 50]
      --max-rate <N>
          At most N requests a second per API action. vpnform starts each action at the rate the last apply learned against the endpoint, else 10 a second, and finds the cloud's limit from its throttling; this caps what it may reach (e.g. to leave room for other tools on the account) [default: 1000]
      --sandbox-configure-time <DURATION>
          With --sandbox: how long a gateway configures after a create, an update or a delete (`2s`, `1s..3s`) [default: 2s]
      --lock-timeout <DURATION>
          How long to wait for the state lock (0: fail at once and say who holds it) [default: 0]
  -h, --help
          Print help
  -V, --version
          Print version
"#,
        )
        .run();
}
