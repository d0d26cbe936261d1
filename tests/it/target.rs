//! `--target ADDRESS` on plan and apply (issue 13): only the targets' actions and the
//! actions they must wait for, the warning, the targets in the hash and the saved plan,
//! `--max-deletes` counting the targeted plan, and the unknown-target error.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::{Cloud, Workspace, ipsec_server, read_state, state_file};

const STATE: &str = "state/vpnform.state.yaml";

/// Ten recorded servers d0..d9, each on its own gateway. d5 depends_on d4 and d6
/// depends_on d5: d4 is deleted only after d5, which goes only after d6.
fn ten_state() -> String {
    state_file()
        .resources((0..10).map(|i| {
            let server = ipsec_server(&format!("d{i}"), &format!("iss-d{i}"), &format!("vpn-g{i}"));
            match i {
                5 | 6 => server.depends_on(&[format!("d{}", i - 1)]),
                _ => server,
            }
        }))
        .render()
}

/// A desired file that keeps `kept` of the ten (the rest are deletes).
fn desired(kept: &[usize]) -> String {
    let mut text = "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers:\n".to_owned();
    if kept.is_empty() {
        text.push_str("  {}\n");
    }
    for i in kept {
        text.push_str(&format!(
            "  d{i}:\n    id: iss-d{i}\n    vpn_gateway: vpn-g{i}\n"
        ));
        if *i == 5 || *i == 6 {
            text.push_str(&format!("    depends_on: [ipsec_server.d{}]\n", i - 1));
        }
    }
    text
}

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

const WARNING: &str = "warning: resource targeting is in effect: this plan holds only the actions of the --target addresses and the actions they wait for, so it may not represent all of the changes the desired file asks for. --target is not for routine use: it is for exceptional situations such as staging a large decommission or recovering from a mistake. Run `vpnform plan` without --target afterwards to see what else is pending.\n";

fn deleted_ids(cloud: &Cloud) -> BTreeSet<String> {
    cloud.deletes().iter().map(|e| e.resource.clone()).collect()
}

fn ids(list: &[usize]) -> BTreeSet<String> {
    list.iter().map(|i| format!("iss-d{i}")).collect()
}

fn recorded(ws: &Workspace) -> BTreeSet<String> {
    read_state(ws)
        .resources
        .keys()
        .map(|a| a.name().to_owned())
        .collect()
}

#[test]
fn target_on_a_ten_delete_plan_deletes_only_the_target_and_what_it_waits_for() {
    let state = ten_state();
    let cloud = Cloud::for_state(&state, Duration::from_millis(100));
    // Every server removed from the desired file: a 10-delete plan.
    let ws = cloud.workspace(&state, &desired(&[]));
    let mut args = APPLY.to_vec();
    args.extend(["--target", "ipsec_server.d4", "--max-deletes", "3"]);
    let out = ws.run(&args);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.starts_with(WARNING), "{out:?}");
    assert!(
        out.stdout
            .contains("Plan: 0 to add, 0 to change, 3 to destroy, 0 to adopt, 0 to forget."),
        "{out:?}"
    );
    assert!(
        out.stdout.contains(
            "Apply complete! Resources: 0 added, 0 changed, 3 destroyed, 0 adopted, 0 forgotten."
        ),
        "{out:?}"
    );
    // d4 and the two that must go before it; nothing else, and not even a DryRun of
    // another delete.
    assert_eq!(deleted_ids(&cloud), ids(&[4, 5, 6]));
    let prechecked: BTreeSet<String> = cloud
        .wire
        .calls()
        .iter()
        .filter(|c| c.action == "DeleteIpsecServer")
        .filter_map(|c| crate::support::param(c, "IpsecServerId").map(str::to_owned))
        .collect();
    assert_eq!(prechecked, ids(&[4, 5, 6]));
    let left: BTreeSet<String> = [0, 1, 2, 3, 7, 8, 9]
        .iter()
        .map(|i| format!("d{i}"))
        .collect();
    assert_eq!(recorded(&ws), left);

    // Untargeted, the rest is what remains, and --max-deletes counts all of it.
    let out = ws.run(&["plan", "--max-deletes", "3"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            1,
            "",
            "error: the plan would delete 7 IPsec servers, more than --max-deletes 3 allows; check the desired file, or raise --max-deletes if this is intended\n"
        )
    );
}

#[test]
fn target_of_a_leaf_plans_only_the_leaf_offline_with_the_warning() {
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(&[]))
        .file(STATE, &ten_state());
    let out = ws.run(&[
        "plan",
        "--offline",
        "-target=ipsec_server.d6",
        "--target",
        "ipsec_server.d0",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stderr, WARNING);
    let hash = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Plan hash: "))
        .expect("a plan hash")
        .to_owned();
    assert_eq!(
        out.stdout,
        EXPECTED_LEAF_PLAN.replace("HASH", &hash),
        "{}",
        out.stdout
    );
    // The targets are hashed: the same actions untargeted hash differently.
    let untargeted = ws.run(&["plan", "--offline"]);
    assert!(!untargeted.stdout.contains(&hash), "{untargeted:?}");
}

#[test]
fn an_unknown_target_is_an_error_with_a_suggestion() {
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(&[1]))
        .file(STATE, &ten_state());
    let out = ws.run(&[
        "plan",
        "--offline",
        "--target",
        "ipsec_server.d44",
        "--target",
        "ipsec_server.nothing_like_it",
    ]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            1,
            "",
            "error: --target ipsec_server.d44: no such address in vpnform.yaml or the recorded state; did you mean `ipsec_server.d4` or `ipsec_server.d0` or `ipsec_server.d1`?\n\
--target ipsec_server.nothing_like_it: no such address in vpnform.yaml or the recorded state\n\
Check the address: `vpnform state list` shows the recorded ones.\n"
        )
    );
    let out = ws.run(&["plan", "--offline", "--target", "d4"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: invalid value 'd4' for '--target <ADDRESS>': `d4` is not a resource address: write ipsec_server.NAME (NAME of letters, digits, `_`, `-`)\n\nFor more information, try '--help'.\n"
    );
}

#[test]
fn a_saved_targeted_plan_applies_its_targets_and_refuses_other_ones() {
    let state = ten_state();
    let cloud = Cloud::for_state(&state, Duration::from_millis(100));
    let ws = cloud.workspace(&state, &desired(&[]));
    let out = ws.run(&["plan", "--target", "ipsec_server.d5", "--out", "plan.json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let saved: serde_json::Value = serde_json::from_str(&ws.read("plan.json")).unwrap();
    assert_eq!(saved["targets"], serde_json::json!(["ipsec_server.d5"]));

    let mut other = APPLY.to_vec();
    other.extend(["plan.json", "--target", "ipsec_server.d4"]);
    let out = ws.run(&other);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            1,
            "",
            "error: the saved plan plan.json was made with --target ipsec_server.d5, and this apply asks for --target ipsec_server.d4: a saved plan runs exactly what was reviewed; apply it without --target, or make a new plan with these targets (`vpnform plan --out FILE`) and review it\n"
        )
    );
    assert!(cloud.deletes().is_empty());

    // A tampered target list no longer verifies.
    let original = ws.read("plan.json");
    ws.write(
        "plan.json",
        &original.replace("\"ipsec_server.d5\"\n", "\"ipsec_server.d4\"\n"),
    );
    let mut saved_apply = APPLY.to_vec();
    saved_apply.push("plan.json");
    let out = ws.run(&saved_apply);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("has been tampered with"), "{out:?}");
    ws.write("plan.json", &original);

    let out = ws.run(&saved_apply);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.starts_with(WARNING), "{out:?}");
    assert_eq!(deleted_ids(&cloud), ids(&[5, 6]));
}

/// The offline plan of `--target ipsec_server.d6 --target ipsec_server.d0`.
const EXPECTED_LEAF_PLAN: &str = r#"Note: offline plan: the cloud was not read (no refresh, no prechecks).

Resource actions are indicated with the following symbols:
  - destroy (delete in the cloud, then drop from the state)

vpnform will perform the following actions:

  # ipsec_server.d0 will be destroyed
  # (because ipsec_server.d0 is not in the desired state)
  - resource "ipsec_server" "d0" {
      - id          = "iss-d0"
      - vpn_gateway = "vpn-g0"
      - region      = "cn-hangzhou"
    }
    precheck: skipped (--offline)

  # ipsec_server.d6 will be destroyed
  # (because ipsec_server.d6 is not in the desired state)
  - resource "ipsec_server" "d6" {
      - id          = "iss-d6"
      - vpn_gateway = "vpn-g6"
      - region      = "cn-hangzhou"
      - depends_on  = ["ipsec_server.d5"]
    }
    precheck: skipped (--offline)

Plan: 0 to add, 0 to change, 2 to destroy, 0 to adopt, 0 to forget.
Plan hash: HASH

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,12 +1,8 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 4
 resources:
-  ipsec_server.d0:
-    id: iss-d0
-    region: cn-hangzhou
-    vpn_gateway: vpn-g0
   ipsec_server.d1:
     id: iss-d1
     region: cn-hangzhou
@@ -29,12 +25,6 @@
     vpn_gateway: vpn-g5
     depends_on:
     - ipsec_server.d4
-  ipsec_server.d6:
-    id: iss-d6
-    region: cn-hangzhou
-    vpn_gateway: vpn-g6
-    depends_on:
-    - ipsec_server.d5
   ipsec_server.d7:
     id: iss-d7
     region: cn-hangzhou
"#;
