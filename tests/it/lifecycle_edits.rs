//! Terraform's lifecycle edits (issue 24, item 3): a desired `id` is an import
//! instruction, a recorded server deleted in the console is created again, `--destroy`
//! plans the delete of everything recorded, `validate --json` answers in Terraform's
//! shape. The real binary against the sandbox on 127.0.0.1:0, asserted from its whole
//! output, the state file and what the sandbox holds.

use std::time::Duration;

use crate::support::{
    Cloud, Workspace, configuring, ipsec_server, read_state, state_file, world_of,
};

const PSK: &str = "lifecycle-edits-canary-psk-77a0";
const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];
const HASH: &str = r"Plan hash: [0-9a-f]{64}";

/// `office` imported (`iss-office` on `vpn-a`) and `lab` created by vpnform
/// (`iss-lab` on `vpn-b`).
fn recorded() -> String {
    state_file()
        .resource(
            ipsec_server("lab", "iss-lab", "vpn-b")
                .psk_env("LAB_PSK")
                .attribute("client_ip_pool", "10.9.0.0/16")
                .attribute("local_subnet", "10.1.0.0/24")
                .named(),
        )
        .resource(
            ipsec_server("office", "iss-office", "vpn-a")
                .attribute("client_ip_pool", "10.8.0.0/16")
                .attribute("local_subnet", "10.0.0.0/24")
                .named(),
        )
        .render()
}

const DESIRED: &str = "version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  lab:
    vpn_gateway: vpn-b
    name: lab
    local_subnet: 10.1.0.0/24
    client_ip_pool: 10.9.0.0/16
    psk: {env: LAB_PSK}
  office:
    id: iss-office
    vpn_gateway: vpn-a
    name: office
    local_subnet: 10.0.0.0/24
    client_ip_pool: 10.8.0.0/16
";

fn setup() -> (Cloud, Workspace) {
    let mut world = world_of(&recorded());
    for server in world.ipsec_servers.values_mut() {
        server.psk = Some(vpnform::secret::Secret::new(PSK));
    }
    let cloud = Cloud::start(configuring(Duration::from_millis(50)), world);
    let ws = cloud.workspace(&recorded(), DESIRED).env("LAB_PSK", PSK);
    (cloud, ws)
}

const RECREATE_PLAN: &str = r#"Resource actions are indicated with the following symbols:
  + create (create in the cloud, then record its id in the state)

vpnform will perform the following actions:

  # ipsec_server.office will be created
  # (because the recorded server iss-office no longer exists in the cloud, and ipsec_server.office is still in the desired state)
  + resource "ipsec_server" "office" {
      + id             = (known after apply)
      + vpn_gateway    = "vpn-a"
      + region         = "cn-hangzhou"
      + client_ip_pool = "10.8.0.0/16"
      + local_subnet   = "10.0.0.0/24"
      + name           = "office"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 1 to add, 0 to change, 0 to destroy, 0 to adopt, 0 to forget.
[HASH]

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
   ipsec_server.lab:
     id: iss-lab
@@ -14,7 +14,7 @@
       local_subnet: 10.1.0.0/24
       name: lab
   ipsec_server.office:
-    id: iss-office
+    id: (known after apply)
     region: cn-hangzhou
     vpn_gateway: vpn-a
     attributes:
"#;

/// An imported server deleted in the console, still desired: the plan creates it again
/// where it was (not a forget that leaves every later plan failing on the `id` line),
/// apply records the new server, and the next plan says to drop the `id` line.
#[test]
fn a_server_deleted_in_the_console_and_still_desired_is_created_again() {
    let (cloud, ws) = setup();
    cloud.sandbox().shared().edit_world(|w| {
        w.ipsec_servers.remove("iss-office");
    });
    ws.vpnform(&["plan", "--out", "again.plan"])
        .filter(HASH, "[HASH]")
        .stdout(format!(
            "{RECREATE_PLAN}\nSaved the plan to: again.plan\n\nTo perform exactly these actions, \
             run:\n    vpnform apply again.plan\n"
        ))
        .run();
    ws.vpnform(&["apply", "--poll-interval", "50ms", "again.plan"])
        .filter_durations()
        .stdout("\nApply complete! Resources: 1 added, 0 changed, 0 destroyed, 0 adopted, 0 forgotten.\n")
        .any_stderr()
        .run();
    let state = read_state(&ws);
    let office = &state.resources["ipsec_server.office"];
    assert_ne!(office.id, "iss-office");
    assert_eq!(office.vpn_gateway, "vpn-a");
    let world = cloud.sandbox().world();
    assert_eq!(world.ipsec_servers[&office.id].vpn_gateway, "vpn-a");
    assert_eq!(cloud.sandbox().audit().len(), 1, "one create, nothing else");
    ws.vpnform(&["plan", "--detailed-exitcode"])
        .stdout(
            "No changes. Your infrastructure matches the configuration.\n\nvpnform has compared \
             the desired state with the recorded state and the cloud and found no differences, \
             so no changes are needed.\n",
        )
        .stderr(format!(
            "warning: ipsec_server.office: the desired `id: iss-office` is not the recorded \
             server {new}, which is the one vpnform manages (a desired `id` imports only while \
             the address is not recorded). Remove the `id` line to keep managing {new}; or, to \
             manage iss-office under ipsec_server.office instead, run `vpnform state rm \
             ipsec_server.office` and plan again ({new} is then left alone in the cloud)\n",
            new = office.id
        ))
        .run();
}

/// A saved plan that creates a server again is refused if the server is back in the
/// cloud by the time it is applied: the plan's claim is read again.
#[test]
fn a_saved_create_again_is_refused_when_the_server_is_listed_again() {
    let (cloud, ws) = setup();
    let gone = cloud.sandbox().world().ipsec_servers["iss-office"].clone();
    cloud.sandbox().shared().edit_world(|w| {
        w.ipsec_servers.remove("iss-office");
    });
    ws.vpnform(&["plan", "--out", "again.plan"])
        .any_stdout()
        .run();
    cloud.sandbox().shared().edit_world(move |w| {
        w.ipsec_servers.insert("iss-office".into(), gone);
    });
    let out = ws.run(&["apply", "again.plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(
            "ipsec_server.office: the saved plan creates it again as iss-office is gone from the \
             cloud, but ListIpsecServers lists iss-office in cn-hangzhou (on vpn-a)"
        ),
        "{}",
        out.stderr
    );
    assert!(cloud.sandbox().audit().is_empty());
}

const DESTROY_PLAN: &str = r#"Resource actions are indicated with the following symbols:
  - destroy (delete in the cloud, then drop from the state)

vpnform will perform the following actions:

  # ipsec_server.lab will be destroyed
  # (because the plan destroys every recorded resource (--destroy))
  - resource "ipsec_server" "lab" {
      - id             = "iss-lab"
      - vpn_gateway    = "vpn-b"
      - region         = "cn-hangzhou"
      - client_ip_pool = "10.9.0.0/16"
      - local_subnet   = "10.1.0.0/24"
      - name           = "lab"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

  # ipsec_server.office will be destroyed
  # (because the plan destroys every recorded resource (--destroy))
  - resource "ipsec_server" "office" {
      - id             = "iss-office"
      - vpn_gateway    = "vpn-a"
      - region         = "cn-hangzhou"
      - client_ip_pool = "10.8.0.0/16"
      - local_subnet   = "10.0.0.0/24"
      - name           = "office"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 0 to add, 0 to change, 2 to destroy, 0 to adopt, 0 to forget.
[HASH]

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,24 +1,6 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
-resources:
-  ipsec_server.lab:
-    id: iss-lab
-    region: cn-hangzhou
-    vpn_gateway: vpn-b
-    psk:
-      env: LAB_PSK
-    attributes:
-      client_ip_pool: 10.9.0.0/16
-      local_subnet: 10.1.0.0/24
-      name: lab
-  ipsec_server.office:
-    id: iss-office
-    region: cn-hangzhou
-    vpn_gateway: vpn-a
-    attributes:
-      client_ip_pool: 10.8.0.0/16
-      local_subnet: 10.0.0.0/24
-      name: office
+serial: 4
+resources: {}
 pending: []
"#;

/// `plan -destroy` (Terraform's spelling) plans the delete of every recorded server
/// whatever the desired file says; saved, `apply FILE` runs it; the flag is hashed, so a
/// saved destroy plan with it dropped is refused.
#[test]
fn plan_destroy_deletes_everything_recorded_and_apply_runs_the_saved_plan() {
    let (cloud, ws) = setup();
    ws.vpnform(&["plan", "-destroy", "-out", "destroy.plan"])
        .filter(HASH, "[HASH]")
        .stdout(format!(
            "{DESTROY_PLAN}\nSaved the plan to: destroy.plan\n\nTo perform exactly these \
             actions, run:\n    vpnform apply destroy.plan\n"
        ))
        .run();
    let saved: serde_json::Value = serde_json::from_str(&ws.read("destroy.plan")).unwrap();
    assert_eq!(saved["destroy"], true);
    let mut dropped = saved.clone();
    dropped.as_object_mut().unwrap().remove("destroy");
    ws.write(
        "dropped.plan",
        &serde_json::to_string_pretty(&dropped).unwrap(),
    );
    let out = ws.run(&["apply", "dropped.plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: the saved plan dropped.plan has been tampered with"),
        "{}",
        out.stderr
    );
    assert!(cloud.sandbox().audit().is_empty());

    ws.vpnform(&["apply", "--poll-interval", "50ms", "destroy.plan"])
        .filter_durations()
        .stdout("\nApply complete! Resources: 0 added, 0 changed, 2 destroyed, 0 adopted, 0 forgotten.\n")
        .any_stderr()
        .run();
    assert!(read_state(&ws).resources.is_empty());
    assert!(cloud.sandbox().world().ipsec_servers.is_empty());
    // The desired file still wants both: a normal plan creates them.
    let again = ws.run(&["plan", "--offline", "--detailed-exitcode"]);
    assert_eq!(again.code, 2, "{again:?}");
}

/// `apply --destroy` plans and applies in one run; `protect` still holds.
#[test]
fn apply_destroy_keeps_protect() {
    let (cloud, ws) = setup();
    let protected = recorded().replace(
        "    vpn_gateway: vpn-a\n",
        "    vpn_gateway: vpn-a\n    protect: true\n",
    );
    ws.write("state/vpnform.state.yaml", &protected);
    ws.vpnform(&[APPLY, &["--destroy"]].concat())
        .code(1)
        .stdout("")
        .stderr(
            "error: ipsec_server.office (iss-office) is protected (`protect: true` in the state), \
             so --destroy would delete it; run `vpnform state unprotect ipsec_server.office` \
             first if it really must go, or `vpnform state rm ipsec_server.office` to stop \
             managing it and leave it in the cloud\n",
        )
        .run();
    assert!(cloud.sandbox().audit().is_empty());
    ws.write("state/vpnform.state.yaml", &recorded());
    ws.vpnform(&[APPLY, &["--destroy"]].concat())
        .filter(HASH, "[HASH]")
        .filter_durations()
        .stdout(format!(
            "{}\nApply complete! Resources: 0 added, 0 changed, 2 destroyed, 0 adopted, 0 \
             forgotten.\n",
            DESTROY_PLAN
        ))
        .any_stderr()
        .run();
    assert!(cloud.sandbox().world().ipsec_servers.is_empty());
}

/// `validate --json` (and Terraform's `-json`): one document in Terraform's shape and key
/// order; an error carries its file range; the exit code says whether it is valid.
#[test]
fn validate_json_answers_in_terraforms_shape() {
    let ws = Workspace::new().file("vpnform.yaml", DESIRED);
    ws.vpnform(&["validate", "--json"])
        .stdout(
            "{\n  \"format_version\": \"1.0\",\n  \"valid\": true,\n  \"error_count\": 0,\n  \
             \"warning_count\": 0,\n  \"diagnostics\": []\n}\n",
        )
        .run();
    ws.write(
        "vpnform.yaml",
        &DESIRED.replace("vpn_gateway: vpn-b", "vpn_gateway: vpn-b\n    bogus: 1"),
    );
    ws.vpnform(&["validate", "-json"])
        .code(1)
        .stdout(
            r#"{
  "format_version": "1.0",
  "valid": false,
  "error_count": 1,
  "warning_count": 0,
  "diagnostics": [
    {
      "detail": "vpnform.yaml:6:5: unknown field `bogus` in `ipsec_servers.lab`\n  |\n6 |     bogus: 1\n  |     ^^^^^\n  = help: expected one of: id, vpn_gateway, region, name, local_subnet, client_ip_pool, psk, effect_immediately, ike_config, ipsec_config, depends_on, protect",
      "range": {
        "end": {
          "byte": 97,
          "column": 10,
          "line": 6
        },
        "filename": "vpnform.yaml",
        "start": {
          "byte": 92,
          "column": 5,
          "line": 6
        }
      },
      "severity": "error",
      "summary": "unknown field `bogus` in `ipsec_servers.lab`"
    }
  ]
}
"#,
        )
        .run();
}

/// `DESIRED` with `office` renamed `hq` and a `moved` entry saying so.
fn desired_moved(extra: &str) -> String {
    DESIRED.replace("  office:\n", &format!("  hq:\n{extra}"))
        + "moved:\n  - {from: ipsec_server.office, to: ipsec_server.hq}\n"
}

const MOVED_PLAN: &str = r#"vpnform will perform the following actions:

  # ipsec_server.office has moved to ipsec_server.hq
  # (because the desired file's `moved` renames it; the state records iss-office under the new address, nothing changes in the cloud)

Plan: 0 to add, 0 to change, 0 to destroy, 0 to adopt, 0 to forget.
[HASH]

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,8 +1,16 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 4
 resources:
+  ipsec_server.hq:
+    id: iss-office
+    region: cn-hangzhou
+    vpn_gateway: vpn-a
+    attributes:
+      client_ip_pool: 10.8.0.0/16
+      local_subnet: 10.0.0.0/24
+      name: office
   ipsec_server.lab:
     id: iss-lab
     region: cn-hangzhou
@@ -13,12 +21,4 @@
       client_ip_pool: 10.9.0.0/16
       local_subnet: 10.1.0.0/24
       name: lab
-  ipsec_server.office:
-    id: iss-office
-    region: cn-hangzhou
-    vpn_gateway: vpn-a
-    attributes:
-      client_ip_pool: 10.8.0.0/16
-      local_subnet: 10.0.0.0/24
-      name: office
 pending: []
"#;

/// A `moved` entry renames a recorded address in the plan, reviewed like any change and
/// state-only at apply: the sandbox sees no mutation, the state records the server under
/// its new address, and the move left in the file is a no-op afterwards.
#[test]
fn a_moved_entry_renames_the_recorded_address_and_nothing_changes_in_the_cloud() {
    let (cloud, ws) = setup();
    ws.write("vpnform.yaml", &desired_moved(""));
    ws.vpnform(&["plan", "--detailed-exitcode"])
        .filter(HASH, "[HASH]")
        .code(2)
        .stdout(MOVED_PLAN)
        .run();
    ws.vpnform(APPLY)
        .filter(HASH, "[HASH]")
        .filter_durations()
        .stdout(format!(
            "{MOVED_PLAN}\nApply complete! Resources: 0 added, 0 changed, 0 destroyed, 0 \
             adopted, 0 forgotten.\n"
        ))
        .any_stderr()
        .run();
    let state = read_state(&ws);
    assert_eq!(
        state
            .resources
            .keys()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        ["ipsec_server.hq", "ipsec_server.lab"]
    );
    assert_eq!(state.resources["ipsec_server.hq"].id, "iss-office");
    assert!(
        cloud.sandbox().audit().is_empty(),
        "{:?}",
        cloud.sandbox().audit()
    );
    ws.vpnform(&["plan", "--detailed-exitcode"])
        .stdout(
            "No changes. Your infrastructure matches the configuration.\n\nvpnform has compared \
             the desired state with the recorded state and the cloud and found no differences, \
             so no changes are needed.\n",
        )
        .run();
}

/// A move is its address's one action: a change of the moved entry that the cloud must
/// make waits for the next plan, and the plan says so.
#[test]
fn a_moved_entry_with_a_change_moves_first_and_says_the_change_comes_next() {
    let (cloud, ws) = setup();
    let text =
        desired_moved("").replace("client_ip_pool: 10.8.0.0/16", "client_ip_pool: 10.7.0.0/16");
    ws.write("vpnform.yaml", &text);
    ws.vpnform(&["plan"])
        .filter(HASH, "[HASH]")
        .stdout(MOVED_PLAN)
        .stderr(
            "warning: ipsec_server.hq: this plan moves ipsec_server.office to ipsec_server.hq \
             and nothing else; the changes the desired file asks of ipsec_server.hq in the cloud \
             are planned once the move is applied: run `vpnform plan` again then\n",
        )
        .run();
    ws.vpnform(APPLY)
        .filter_durations()
        .any_stdout()
        .any_stderr()
        .run();
    assert!(cloud.sandbox().audit().is_empty());
    let next = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(next.code, 2, "{next:?}");
    assert!(
        next.stdout
            .contains("  # ipsec_server.hq will be updated in-place\n"),
        "{}",
        next.stdout
    );
}

/// A move onto an address that is not a desired entry is refused where it is written.
#[test]
fn a_move_to_an_address_the_file_does_not_have_is_refused_with_its_line() {
    let ws = Workspace::new().file(
        "vpnform.yaml",
        &(DESIRED.to_owned() + "moved:\n  - {from: ipsec_server.old, to: ipsec_server.nowhere}\n"),
    );
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: vpnform.yaml:17:34: `moved[0]` moves ipsec_server.old to ipsec_server.nowhere, \
         which is not an entry of the desired file\n   |\n17 |   - {from: ipsec_server.old, \
         to: ipsec_server.nowhere}\n   |                                  \
         ^^^^^^^^^^^^^^^^^^^^\n   = help: add the entry it moves to, or fix the address\n"
    );
}

/// A swap: `office` moves onto `vpn-b`, whose server `lab` the same plan deletes. The
/// replace's create waits for that delete (its DryRun would meet `lab`), and apply runs
/// them in that order: delete lab, create office on vpn-b, delete the old office.
#[test]
fn a_replace_onto_a_gateway_whose_server_the_plan_deletes_waits_for_that_delete() {
    let (cloud, ws) = setup();
    let swapped = "version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office:
    vpn_gateway: vpn-b
    name: office
    local_subnet: 10.0.0.0/24
    client_ip_pool: 10.8.0.0/16
";
    ws.write("vpnform.yaml", swapped);
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    for line in [
        "  # ipsec_server.lab will be destroyed\n",
        "  # ipsec_server.office must be replaced\n",
        "    waits for: ipsec_server.lab\n",
        "    precheck of the create on vpn-b: not run: the gateway holds a server this plan \
         deletes first\n",
    ] {
        assert!(plan.stdout.contains(line), "{line}\n{}", plan.stdout);
    }
    ws.vpnform(APPLY)
        .filter_durations()
        .any_stdout()
        .any_stderr()
        .run();
    let effects: Vec<(String, String)> = cloud
        .sandbox()
        .audit()
        .iter()
        .map(|e| (e.action.clone(), e.vpn_gateway.clone()))
        .collect();
    assert_eq!(
        effects,
        [
            ("DeleteIpsecServer".to_owned(), "vpn-b".to_owned()),
            ("CreateIpsecServer".to_owned(), "vpn-b".to_owned()),
            ("DeleteIpsecServer".to_owned(), "vpn-a".to_owned()),
        ]
    );
    let state = read_state(&ws);
    assert_eq!(
        state
            .resources
            .keys()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        ["ipsec_server.office"]
    );
    assert_eq!(state.resources["ipsec_server.office"].vpn_gateway, "vpn-b");
}

/// `--destroy` with a `moved` entry in the file: the moves go with the entries, every
/// recorded server is deleted (it crashed on the move's missing entry).
#[test]
fn regression_destroy_with_a_moved_entry_crashed() {
    let (_cloud, ws) = setup();
    ws.write("vpnform.yaml", &desired_moved(""));
    let out = ws.run(&["plan", "--offline", "--destroy"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("Plan: 0 to add, 0 to change, 2 to destroy, 0 to adopt, 0 to forget.\n"),
        "{}",
        out.stdout
    );
}

/// An imported entry that names only its id, its server deleted in the console: the
/// create again sends what the record holds of it (the cloud requires a local subnet and
/// a client pool), and the server comes back as it was.
#[test]
fn a_create_again_of_an_entry_naming_only_its_id_sends_the_recorded_values() {
    let (cloud, ws) = setup();
    ws.write(
        "vpnform.yaml",
        &DESIRED.replace(
            "  office:\n    id: iss-office\n    vpn_gateway: vpn-a\n    name: office\n    local_subnet: 10.0.0.0/24\n    client_ip_pool: 10.8.0.0/16\n",
            "  office:\n    id: iss-office\n    vpn_gateway: vpn-a\n",
        ),
    );
    cloud.sandbox().shared().edit_world(|w| {
        w.ipsec_servers.remove("iss-office");
    });
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains(
            "      + client_ip_pool = \"10.8.0.0/16\"\n      + local_subnet   = \"10.0.0.0/24\"\n      \
             + name           = \"office\"\n    }\n    precheck: passed"
        ),
        "{}",
        plan.stdout
    );
    ws.vpnform(APPLY)
        .filter_durations()
        .any_stdout()
        .any_stderr()
        .run();
    let state = read_state(&ws);
    let office = &state.resources["ipsec_server.office"];
    let world = cloud.sandbox().world();
    let server = &world.ipsec_servers[&office.id];
    assert_eq!(server.client_ip_pool.as_deref(), Some("10.8.0.0/16"));
    assert_eq!(server.local_subnet.as_deref(), Some("10.0.0.0/24"));
    assert_eq!(server.name.as_deref(), Some("office"));
}
