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
  import        Write desired entries for the IPsec servers no address records, so that the next plan adopts them
  state         Inspect or edit the recorded state without touching the cloud
  init          Set up the workspace (idempotent): `.gitignore` lines for saved plans and key files, and the postgres schema the desired file's `backend` names; `--migrate-state` copies the local state in
  force-unlock  Remove the state lock file when its holder will never release it (a hung run, a lock kept by another host or a network filesystem). Does not stop that process
  sandbox       The local emulator of the VPC API
  completions   Print a shell completion script
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
      --max-deletes <N>
          Fail if the plan would delete more than N servers
  -v, --verbose...
          More output on stderr: -v shows each API call, -vv debug logs
  -q, --quiet
          Only errors and warnings on stderr
      --target <ADDRESS>
          Apply only ADDRESS's action and the actions it must wait for (repeatable). Not for routine use: for staging a large decommission or recovering from a mistake
      --sandbox
          Rehearse against an in-process sandbox seeded from the recorded state and the desired ids; the real state file is never written
      --endpoint <URL>
          Send API calls to URL instead of the region's endpoint (http:// only for loopback) [env: VPNFORM_ENDPOINT=]
      --profile <NAME>
          The aliyun CLI profile to take credentials from (~/.aliyun/config.json, then the ini file), ahead of any keys in the environment. ALIBABA_CLOUD_PROFILE names a profile too, but only when the environment holds no keys
      --parallelism <N>
          At most N API requests in flight, 1 to 1000 (operations waiting for a gateway do not count) [default: 50]
      --max-rate <N>
          At most N requests a second per API action. vpnform starts each action at 10 a second and finds the cloud's limit from its throttling; this caps what it may reach (e.g. to leave room for other tools on the account) [default: 1000]
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
