//! Papercuts a Terraform user meets: versions, single-dash flags, stale and finished plans.

use std::time::Duration;

use crate::support::{Cloud, LINEAGE, Workspace, ipsec_server, state_file};

/// `ipsec_server.old` and `ipsec_server.keep`, recorded at serial 3.
fn recorded_state() -> String {
    state_file()
        .resource(ipsec_server("keep", "iss-keep", "vpn-g2").named())
        .resource(ipsec_server("old", "iss-old", "vpn-g1").named())
        .render()
}

/// Keeps `keep`: the plan deletes `old`.
const DESIRED: &str = "version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  keep:
    id: iss-keep
    vpn_gateway: vpn-g2
";

fn offline_workspace() -> Workspace {
    Workspace::new()
        .file("vpnform.yaml", DESIRED)
        .file("state/vpnform.state.yaml", &recorded_state())
}

/// A sandbox seeded from [`recorded_state`].
fn cloud() -> Cloud {
    Cloud::for_state(&recorded_state(), Duration::from_millis(100))
}

const APPLY_FAST: &[&str] = &["--poll-interval", "20ms"];

// ---------------------------------------------------------------------------------------
// Terraform's single-dash flags.

#[test]
fn terraform_single_dash_flags_are_accepted() {
    let ws = offline_workspace();
    let out = ws.run(&[
        "plan",
        "-offline",
        "-no-color",
        "-detailed-exitcode",
        "-lock-timeout=1s",
        "-parallelism=2",
        "-max-deletes=1",
        "-out=eq.plan",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(ws.exists("eq.plan"));
    let out = ws.run(&["plan", "-offline", "-out", "space.plan", "-json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(ws.exists("space.plan"));
    assert!(
        out.stdout.lines().all(|l| l.starts_with('{')),
        "{}",
        out.stdout
    );
    // Rehearsed against the in-process sandbox: the state is not written.
    ws.vpnform(&[
        "apply",
        "-auto-approve",
        "-sandbox",
        "-sandbox-configure-time=50ms",
        "-poll-interval=20ms",
    ])
    .filter_durations()
    .stdout(
        r#"Resource actions are indicated with the following symbols:
  - destroy (delete in the cloud, then drop from the state)

vpnform will perform the following actions:

  # ipsec_server.old will be destroyed
  # (because ipsec_server.old is not in the desired state)
  - resource "ipsec_server" "old" {
      - id          = "iss-old"
      - vpn_gateway = "vpn-g1"
      - region      = "cn-hangzhou"
      - name        = "old"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 0 to add, 0 to change, 1 to destroy, 0 to adopt, 0 to forget.
Plan hash: 6f3263b33574196ae918d296c02177d3c013bea5c3beecdf17ed9618e4b45ed0

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
     vpn_gateway: vpn-g2
     attributes:
       name: keep
-  ipsec_server.old:
-    id: iss-old
-    region: cn-hangzhou
-    vpn_gateway: vpn-g1
-    attributes:
-      name: old
 pending: []

Apply complete! Resources: 0 added, 0 changed, 1 destroyed, 0 adopted, 0 forgotten.

Rehearsal against the in-process sandbox: state/vpnform.state.yaml was not written. It would become:

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,7 +1,7 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 6
 resources:
   ipsec_server.keep:
     id: iss-keep
@@ -9,10 +9,4 @@
     vpn_gateway: vpn-g2
     attributes:
       name: keep
-  ipsec_server.old:
-    id: iss-old
-    region: cn-hangzhou
-    vpn_gateway: vpn-g1
-    attributes:
-      name: old
 pending: []
"#,
    )
    .stderr(
        r"ipsec_server.old: Destroying... [id=iss-old]
ipsec_server.old: Destruction complete after [DURATION]
",
    )
    .run();
    assert_eq!(ws.read("state/vpnform.state.yaml"), recorded_state());
}

#[test]
fn regression_a_mistyped_single_dash_flag_got_clap_s_tip_to_pass_it_as_a_plan_file() {
    let ws = offline_workspace();
    let out = ws.run(&["apply", "-auto-aprove"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: unknown flag `-auto-aprove`\n  = help: did you mean `-auto-approve`?\n"
    );
    // A mistyped two-dash flag on a command with a positional argument: no `-- ...` tip.
    let out = ws.run(&["apply", "--auto-aprove"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: unexpected argument '--auto-aprove' found\n\n  \
         tip: a similar argument exists: '--auto-approve'\n\n\
         Usage: vpnform apply --auto-approve [FILE]\n\n\
         For more information, try '--help'.\n"
    );
    assert_eq!(ws.read("state/vpnform.state.yaml"), recorded_state());
}

// ---------------------------------------------------------------------------------------
// Versions.

#[test]
fn required_version_unmet_is_reported_first_and_alone() {
    let ws = offline_workspace().file(
        "vpnform.yaml",
        "version: 1\nrequired_version: \">= 99.0, < 100\"\nnew_feature: {}\nipsec_servers: {}\n",
    );
    let this = env!("CARGO_PKG_VERSION");
    for command in [&["validate"][..], &["plan", "--offline"], &["apply"]] {
        let out = ws.run(command);
        assert_eq!(out.code, 1, "{command:?}: {out:?}");
        assert_eq!(
            out.stderr,
            format!(
                "error: vpnform.yaml:2:19: this file requires vpnform `>= 99.0, < 100`, and this is vpnform {this}\n  \
                 |\n\
                 2 | required_version: \">= 99.0, < 100\"\n  \
                 |                   ^^^^^^^^^^^^^^^^\n  \
                 = help: run a vpnform whose version meets `required_version` (`vpnform --version` shows it), or change the requirement\n"
            ),
            "{command:?}"
        );
    }
    // `apply FILE` checks it before the saved plan.
    ws.vpnform(&["apply", "no-such.plan"])
        .code(1)
        .stderr(format!(
            "error: vpnform.yaml:2:19: this file requires vpnform `>= 99.0, < 100`, and this is vpnform {this}\n  \
             |\n\
             2 | required_version: \">= 99.0, < 100\"\n  \
             |                   ^^^^^^^^^^^^^^^^\n  \
             = help: run a vpnform whose version meets `required_version` (`vpnform --version` shows it), or change the requirement\n"
        ))
        .run();
}

#[test]
fn required_version_met_passes_and_malformed_is_located() {
    let ws = offline_workspace().file(
        "vpnform.yaml",
        &DESIRED.replace("version: 1\n", "version: 1\nrequired_version: \">= 0.1\"\n"),
    );
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 0, "{out:?}");

    ws.write(
        "vpnform.yaml",
        &DESIRED.replace("version: 1\n", "version: 1\nrequired_version: soon\n"),
    );
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: vpnform.yaml:2:19: `required_version: soon` is not a version requirement: \
         unexpected character 's' while parsing major version number\n  \
         |\n\
         2 | required_version: soon\n  \
         |                   ^^^^\n  \
         = help: write a semver requirement, e.g. `required_version: \">= 0.2, < 0.3\"`\n"
    );
}

#[test]
fn a_saved_plan_made_by_another_vpnform_version_is_refused() {
    let ws = offline_workspace();
    let out = ws.run(&["plan", "--offline", "--out", "old.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    let this = env!("CARGO_PKG_VERSION");
    let text = ws.read("old.plan").replace(
        &format!("\"vpnform_version\": \"{this}\""),
        "\"vpnform_version\": \"0.0.1\"",
    );
    ws.write("old.plan", &text);
    let out = ws.run(&["apply", "old.plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "error: the saved plan old.plan was made by vpnform 0.0.1, and this is vpnform {this}: \
             a saved plan runs only with the version that made it; make a new plan with this \
             version (`vpnform plan --out FILE`) and review it, or apply it with vpnform 0.0.1\n"
        )
    );
    assert_eq!(ws.read("state/vpnform.state.yaml"), recorded_state());
    // `show` says so before anyone tries.
    let out = ws.run(&["show", "old.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "warning: the saved plan old.plan was made by vpnform 0.0.1, and this is vpnform {this}: \
             a saved plan runs only with the version that made it; make a new plan with this \
             version (`vpnform plan --out FILE`) and review it, or apply it with vpnform 0.0.1; \
             `vpnform apply` would refuse it\n"
        )
    );
}

// ---------------------------------------------------------------------------------------
// Stale and finished plans, offline plans, servers already gone.

#[test]
fn show_of_a_stale_plan_says_it_is_stale() {
    let ws = offline_workspace();
    let out = ws.run(&["plan", "--offline", "--out", "p.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    let fresh = ws.run(&["show", "p.plan"]);
    assert_eq!(fresh.code, 0, "{fresh:?}");
    assert_eq!(fresh.stderr, "");

    let out = ws.run(&["state", "rm", "ipsec_server.keep"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = ws.run(&["show", "p.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stderr,
        "warning: the saved plan p.plan is stale: it was made from state serial 3, and the \
         state is now at serial 4, written since by another run; make a new plan with \
         `vpnform plan --out FILE` and review it; `vpnform apply` would refuse it\n"
    );
    // Stale, the plan is shown as when fresh, without its state diff: the state moved.
    let (without_diff, _) = fresh.stdout.split_once("\nState file changes").unwrap();
    assert_eq!(out.stdout, without_diff);

    // No state at all: shown, with the other lineage named, not a failure.
    std::fs::remove_dir_all(ws.path().join("state")).unwrap();
    let out = ws.run(&["show", "p.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "warning: the saved plan p.plan was made for another state (lineage {LINEAGE}, the \
             state in state has none: no state file yet); make a new plan with `vpnform plan \
             --out FILE`; `vpnform apply` would refuse it\n"
        )
    );
}

#[test]
fn regression_reapplying_a_finished_saved_plan_said_resuming_and_exited_0() {
    let cloud = cloud();
    let ws = cloud.workspace(&recorded_state(), DESIRED);
    let out = ws.run(&["plan", "--out", "p.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut apply = vec!["apply", "p.plan"];
    apply.extend(APPLY_FAST);
    let out = ws.run(&apply);
    assert_eq!(out.code, 0, "{out:?}");
    let state = ws.read("state/vpnform.state.yaml");
    assert!(!state.contains("applying:"), "{state}");
    assert_eq!(cloud.deletes().len(), 1);

    let out = ws.run(&apply);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(!out.stderr.contains("Resuming"), "{}", out.stderr);
    let serial = vpnform::state::parse(std::path::Path::new("s"), &state)
        .unwrap()
        .serial;
    assert_eq!(
        out.stderr,
        format!(
            "error: the saved plan p.plan is stale: it was made from state serial 3, and the \
             state is now at serial {serial}, written since by another run; make a new plan \
             with `vpnform plan --out FILE` and review it\n"
        )
    );
    assert_eq!(ws.read("state/vpnform.state.yaml"), state);
    assert_eq!(cloud.deletes().len(), 1);
}

#[test]
fn an_offline_plan_warns_at_apply_and_a_server_already_gone_is_counted_apart() {
    let cloud = cloud();
    let ws = cloud.workspace(&recorded_state(), DESIRED);
    let out = ws.run(&["plan", "--offline", "--out", "p.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    // Deleted outside vpnform after the plan.
    cloud.sandbox().shared().edit_world(|w| {
        w.ipsec_servers.remove("iss-old");
    });
    let mut apply = vec!["apply", "p.plan"];
    apply.extend(APPLY_FAST);
    let out = ws.run(&apply);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stderr,
        "warning: the saved plan p.plan was made with --offline: the cloud was not read and \
         no delete was prechecked with DryRun\n\
         ipsec_server.old: Destroying... [id=iss-old]\n\
         ipsec_server.old: Already gone [id=iss-old]: deleted outside vpnform since the plan; \
         removed from the state\n"
    );
    assert_eq!(
        out.stdout,
        "\nApply complete! Resources: 0 added, 0 changed, 0 destroyed, 0 adopted, 0 forgotten, 1 already gone.\n"
    );
    assert_eq!(cloud.deletes().len(), 0);
    let state = ws.read("state/vpnform.state.yaml");
    assert!(!state.contains("ipsec_server.old"), "{state}");
}

#[test]
fn a_server_already_gone_is_counted_apart_in_json_too() {
    let cloud = cloud();
    let ws = cloud.workspace(&recorded_state(), DESIRED);
    let out = ws.run(&["plan", "--offline", "--out", "p.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    cloud.sandbox().shared().edit_world(|w| {
        w.ipsec_servers.remove("iss-old");
    });
    let mut apply = vec!["apply", "--json", "p.plan"];
    apply.extend(APPLY_FAST);
    let out = ws.run(&apply);
    assert_eq!(out.code, 0, "{out:?}");
    let events: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let complete = events
        .iter()
        .find(|e| e["type"] == "apply_complete")
        .expect("an apply_complete event");
    assert_eq!(complete["hook"]["already_gone"], true, "{complete}");
    assert_eq!(complete["hook"]["action"], "delete", "{complete}");
    let summary = events
        .iter()
        .find(|e| e["type"] == "change_summary")
        .expect("a change_summary event");
    assert_eq!(summary["changes"]["remove"], 0, "{summary}");
    assert_eq!(summary["changes"]["already_gone"], 1, "{summary}");
}

/// Regression: applying a saved offline plan of updates warned that "no delete was
/// prechecked"; the warning names what the plan holds.
#[test]
fn regression_an_offline_plan_of_updates_warned_that_no_delete_was_prechecked() {
    let cloud = cloud();
    let desired =
        format!("{DESIRED}    name: kept\n  old:\n    id: iss-old\n    vpn_gateway: vpn-g1\n");
    let ws = cloud.workspace(&recorded_state(), &desired);
    ws.vpnform(&["plan", "--offline", "--out", "p.plan"])
        .any_stdout()
        .run();
    ws.vpnform(&[&["apply", "p.plan"], APPLY_FAST].concat())
        .filter_durations()
        .stdout(
            "\nApply complete! Resources: 0 added, 1 changed, 0 destroyed, 0 adopted, 0 forgotten.\n",
        )
        .stderr(
            "warning: the saved plan p.plan was made with --offline: the cloud was not read and \
             no update was prechecked with DryRun\n\
             ipsec_server.keep: Updating... [id=iss-keep]\n\
             ipsec_server.keep: Update complete after [DURATION]\n",
        )
        .run();
}

/// Regression: `apply` without --auto-approve and with nothing on standard input (a CI
/// job) printed "Enter a value: error: apply cancelled". It refuses before asking, and
/// says how to apply without a terminal.
#[test]
fn regression_apply_without_a_terminal_prompted_and_cancelled_without_a_hint() {
    let cloud = cloud();
    let ws = cloud.workspace(&recorded_state(), DESIRED);
    let before = ws.read("state/vpnform.state.yaml");
    ws.vpnform(&[&["apply"], APPLY_FAST].concat())
        .code(1)
        .any_stdout()
        .stderr(
            "error: there is no terminal to confirm the apply on: standard input is not a \
             terminal and holds no answer. Nothing was changed. Pass --auto-approve to apply \
             without asking, or save the plan with `vpnform plan --out FILE` and apply it with \
             `vpnform apply FILE`, which does not ask\n",
        )
        .run();
    assert_eq!(ws.read("state/vpnform.state.yaml"), before);
    assert_eq!(cloud.deletes().len(), 0);
}

/// `git add -A` committed saved plans and key files: nothing suggested ignoring them.
/// `vpnform init` adds the lines a `.gitignore` lacks (creating it if need be), never
/// twice, and says what it did; on the local backend it needs no `backend`.
#[test]
fn init_keeps_saved_plans_and_key_files_out_of_git() {
    let desired = "version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office:
    id: iss-office
    vpn_gateway: vpn-g1
    psk: {file: keys/office.psk}
  lab:
    id: iss-lab
    vpn_gateway: vpn-g2
    psk: {file: lab.psk}
";
    let ws = Workspace::new().file("vpnform.yaml", desired);
    ws.vpnform(&["init"])
        .stdout(
            "The state is local (state/vpnform.state.yaml): no backend to initialize.\n\
             Created .gitignore with *.plan, /secrets/, /keys/, /lab.psk, .vpnform.rates: saved \
             plans, pre-shared key files and learned request rates stay out of git.\n",
        )
        .run();
    assert_eq!(
        ws.read(".gitignore"),
        "# vpnform: saved plans and pre-shared key files stay out of git\n\
         *.plan\n/secrets/\n/keys/\n/lab.psk\n.vpnform.rates\n"
    );
    ws.vpnform(&["init"])
        .stdout(
            "The state is local (state/vpnform.state.yaml): no backend to initialize.\n\
             .gitignore already ignores *.plan, /secrets/, /keys/, /lab.psk, .vpnform.rates: nothing \
             added.\n",
        )
        .run();
    // An existing file gets only the lines it lacks, after every byte it has.
    ws.write(".gitignore", "target/\n*.plan");
    ws.vpnform(&["init"])
        .stdout(
            "The state is local (state/vpnform.state.yaml): no backend to initialize.\n\
             Added /secrets/, /keys/, /lab.psk, .vpnform.rates to .gitignore: saved plans, \
             pre-shared key files and learned request rates stay out of git.\n",
        )
        .run();
    assert_eq!(
        ws.read(".gitignore"),
        "target/\n*.plan\n# vpnform: saved plans and pre-shared key files stay out of git\n\
         /secrets/\n/keys/\n/lab.psk\n.vpnform.rates\n"
    );
}
