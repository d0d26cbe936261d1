//! Read-only plans (issue 24): `plan --read-only` reads the cloud with read calls only and
//! sends no DryRun, so a key that may only Describe and List can plan; a saved read-only
//! plan's prechecks run in `apply FILE`, with apply's key, before the first mutation, and
//! any terminal failure refuses the whole plan. The real binary against the sandbox on
//! 127.0.0.1:0, whose policy stands for the key's RAM policy.

use std::time::Duration;

use vpnform::sandbox::Policy;

use crate::support::{
    Cloud, Workspace, configuring, ipsec_server, param, read_state, state_file, world_of,
};

const PSK: &str = "read-only-canary-psk-5e1d";

/// `ipsec_server.office` (`iss-office` on `vpn-a`) recorded.
fn recorded() -> String {
    state_file()
        .resource(
            ipsec_server("office", "iss-office", "vpn-a")
                .attribute("client_ip_pool", "10.8.0.0/16")
                .attribute("local_subnet", "10.0.0.0/24")
                .named(),
        )
        .render()
}

/// The office server's pool changed (an update), and a new server on `vpn-b` (a create
/// with a PSK).
const DESIRED: &str = "version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  lab:
    vpn_gateway: vpn-b
    local_subnet: 10.1.0.0/24
    client_ip_pool: 10.9.0.0/16
    psk: {env: LAB_PSK}
  office:
    id: iss-office
    vpn_gateway: vpn-a
    local_subnet: 10.0.0.0/24
    client_ip_pool: 10.7.0.0/16
";

/// What a key that may only Describe and List is refused.
fn read_only_key() -> Policy {
    Policy {
        deny_actions: [
            "CreateIpsecServer",
            "UpdateIpsecServer",
            "DeleteIpsecServer",
        ]
        .map(String::from)
        .into(),
        ..Policy::default()
    }
}

fn setup() -> (Cloud, Workspace) {
    let mut world = world_of(&recorded());
    world.add_gateway("vpn-b", "cn-hangzhou");
    let cloud = Cloud::start(configuring(Duration::from_millis(50)), world);
    cloud.sandbox().set_policy(read_only_key());
    let ws = cloud.workspace(&recorded(), DESIRED).env("LAB_PSK", PSK);
    (cloud, ws)
}

/// The calls the sandbox answered, by action, DryRuns marked.
fn wire_actions(cloud: &Cloud) -> Vec<String> {
    cloud
        .wire
        .calls()
        .iter()
        .map(|c| match param(c, "DryRun") {
            Some("true") => format!("{} (DryRun)", c.action),
            _ => c.action.clone(),
        })
        .collect()
}

/// The plan hash, filtered out of an output.
const HASH: &str = r"Plan hash: [0-9a-f]{64}";

const READ_ONLY_PLAN: &str = r#"Note: read-only plan: the cloud was read, nothing was prechecked. Apply runs the prechecks with its own key before it changes anything, and refuses the whole plan if one fails.

Resource actions are indicated with the following symbols:
  + create (create in the cloud, then record its id in the state)
  ~ update in-place (UpdateIpsecServer with the changed fields)

vpnform will perform the following actions:

  # ipsec_server.lab will be created
  # (because ipsec_server.lab is in the desired state without an id)
  + resource "ipsec_server" "lab" {
      + id             = (known after apply)
      + vpn_gateway    = "vpn-b"
      + region         = "cn-hangzhou"
      + client_ip_pool = "10.9.0.0/16"
      + local_subnet   = "10.1.0.0/24"
      + psk            = (sensitive, from env LAB_PSK)
    }
    precheck: deferred to apply (--read-only)

  # ipsec_server.office will be updated in-place
  # (because its managed attributes differ from the desired state)
  ~ resource "ipsec_server" "office" {
      ~ client_ip_pool = "10.8.0.0/16" -> "10.7.0.0/16"
    }
    precheck: deferred to apply (--read-only)

Plan: 1 to add, 1 to change, 0 to destroy, 0 to adopt, 0 to forget.
[HASH]

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,14 +1,23 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 4
 resources:
+  ipsec_server.lab:
+    id: (known after apply)
+    region: cn-hangzhou
+    vpn_gateway: vpn-b
+    psk:
+      env: LAB_PSK
+    attributes:
+      client_ip_pool: 10.9.0.0/16
+      local_subnet: 10.1.0.0/24
   ipsec_server.office:
     id: iss-office
     region: cn-hangzhou
     vpn_gateway: vpn-a
     attributes:
-      client_ip_pool: 10.8.0.0/16
+      client_ip_pool: 10.7.0.0/16
       local_subnet: 10.0.0.0/24
       name: office
 pending: []

Saved the plan to: pr.plan

To perform exactly these actions, run:
    vpnform apply pr.plan
"#;

/// The pull-request job: a key that may only Describe and List cannot make a normal plan
/// (its DryRun prechecks are mutations), and makes a read-only one that sent reads only.
/// The apply job's key runs the deferred prechecks, then the plan; the state records
/// both servers.
#[test]
fn a_read_only_key_plans_with_read_only_and_the_apply_key_prechecks_then_applies() {
    let (cloud, ws) = setup();
    let normal = ws.run(&["plan"]);
    assert_eq!(normal.code, 1, "{normal:?}");
    assert!(
        normal.stderr.starts_with(
            "error: the DryRun precheck refused 2 of the plan's calls; apply would fail there:\n"
        ),
        "{}",
        normal.stderr
    );
    // Its prechecks were sent, side by side, and refused.
    let mut sent = wire_actions(&cloud);
    sent[1..].sort();
    assert_eq!(
        sent,
        [
            "ListIpsecServers",
            "CreateIpsecServer (DryRun)",
            "UpdateIpsecServer (DryRun)"
        ]
    );
    let before = cloud.wire.calls().len();
    ws.vpnform(&["plan", "--read-only", "--out", "pr.plan"])
        .filter(HASH, "[HASH]")
        .stdout(READ_ONLY_PLAN)
        .run();
    assert_eq!(wire_actions(&cloud)[before..], ["ListIpsecServers"]);
    let saved: serde_json::Value = serde_json::from_str(&ws.read("pr.plan")).unwrap();
    assert_eq!(saved["read_only"], true);
    assert_eq!(
        saved["actions"][0]["precheck"],
        serde_json::json!({"result": "deferred"})
    );

    cloud.sandbox().set_policy(Policy::default());
    let before = cloud.wire.calls().len();
    ws.vpnform(&["apply", "--poll-interval", "50ms", "pr.plan"])
        .filter_durations()
        .stdout("\nApply complete! Resources: 1 added, 1 changed, 0 destroyed, 0 adopted, 0 forgotten.\n")
        .any_stderr()
        .run();
    let mut sent = wire_actions(&cloud)[before..].to_vec();
    // The refresh, the two prechecks (side by side), then the two operations.
    assert_eq!(sent[0], "ListIpsecServers");
    sent[1..3].sort();
    assert_eq!(
        sent[1..3],
        ["CreateIpsecServer (DryRun)", "UpdateIpsecServer (DryRun)"]
    );
    assert!(sent.contains(&"CreateIpsecServer".to_owned()), "{sent:?}");
    assert!(sent.contains(&"UpdateIpsecServer".to_owned()), "{sent:?}");
    let first_mutation = sent
        .iter()
        .position(|a| !a.contains("DryRun") && !a.starts_with("List") && !a.starts_with("Describe"))
        .unwrap();
    assert_eq!(
        first_mutation, 3,
        "the prechecks come before any mutation: {sent:?}"
    );
    let state = read_state(&ws);
    assert_eq!(state.resources.len(), 2);
    assert_eq!(
        state.resources["ipsec_server.office"].attributes["client_ip_pool"],
        "10.7.0.0/16"
    );
    assert_eq!(
        cloud.sandbox().world().ipsec_servers["iss-office"]
            .client_ip_pool
            .as_deref(),
        Some("10.7.0.0/16")
    );
    assert!(!ws.read("pr.plan").contains(PSK));
    assert!(!ws.read("state/vpnform.state.yaml").contains(PSK));
}

/// An apply whose key is refused one of the deferred prechecks sends nothing: the whole
/// plan is refused, each failure named, the state and the cloud as they were.
#[test]
fn a_deferred_precheck_refused_to_the_apply_key_refuses_the_whole_plan() {
    let (cloud, ws) = setup();
    ws.vpnform(&["plan", "--read-only", "--out", "pr.plan"])
        .any_stdout()
        .run();
    // The apply key may update, not create.
    cloud.sandbox().set_policy(Policy {
        deny_actions: ["CreateIpsecServer".to_owned()].into(),
        ..Policy::default()
    });
    let state_before = ws.read("state/vpnform.state.yaml");
    ws.vpnform(&["apply", "pr.plan"])
        .code(1)
        .stdout("")
        .stderr(
            "error: the saved plan pr.plan was made with --read-only, and 1 of the prechecks it \
             deferred to apply failed with this run's key, so nothing was applied:\n  \
             ipsec_server.lab: failed: Forbidden: User not authorized to operate on the \
             specified resource. (RequestId [REQUEST_ID])\nFor Forbidden, give this key the policy \
             `vpnform policy --apply` prints and run `vpnform apply pr.plan` again; for \
             anything else, fix the desired file and make a new plan\n",
        )
        .run();
    assert!(
        cloud.sandbox().audit().is_empty(),
        "{:?}",
        cloud.sandbox().audit()
    );
    assert_eq!(ws.read("state/vpnform.state.yaml"), state_before);
    // With the policy fixed, the same plan applies.
    cloud.sandbox().set_policy(Policy::default());
    ws.vpnform(&["apply", "--poll-interval", "50ms", "pr.plan"])
        .stdout("\nApply complete! Resources: 1 added, 1 changed, 0 destroyed, 0 adopted, 0 forgotten.\n")
        .any_stderr()
        .run();
    assert_eq!(cloud.sandbox().audit().len(), 2);
}

/// The read-only flag is hashed: a saved plan whose flag is dropped (to skip the
/// deferred prechecks) is refused as tampered.
#[test]
fn a_read_only_plan_with_its_flag_dropped_is_refused() {
    let (cloud, ws) = setup();
    ws.vpnform(&["plan", "--read-only", "--out", "pr.plan"])
        .any_stdout()
        .run();
    let mut saved: serde_json::Value = serde_json::from_str(&ws.read("pr.plan")).unwrap();
    saved.as_object_mut().unwrap().remove("read_only");
    ws.write("pr.plan", &serde_json::to_string_pretty(&saved).unwrap());
    cloud.sandbox().set_policy(Policy::default());
    let out = ws.run(&["apply", "pr.plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: the saved plan pr.plan has been tampered with"),
        "{}",
        out.stderr
    );
    assert!(cloud.sandbox().audit().is_empty());
}

#[test]
fn read_only_and_offline_are_refused_together() {
    let (_cloud, ws) = setup();
    ws.vpnform(&["plan", "--read-only", "--offline"])
        .code(1)
        .stderr(
            "error: --read-only cannot be used with --offline: --offline already sends no call \
             at all, and a read-only plan reads the cloud with read calls only. Drop --offline \
             to plan against the cloud with a read-only key\n",
        )
        .run();
}

/// `vpnform policy`: the actions a plan job and an apply job need, in the regions the
/// desired file names.
#[test]
fn policy_prints_the_plan_and_the_apply_policies_of_the_desired_file() {
    let ws = Workspace::new().file(
        "vpnform.yaml",
        "version: 1\ndefaults: {region: cn-hangzhou}\nipsec_servers:\n  a: {vpn_gateway: vpn-a, region: cn-shanghai, local_subnet: 10.0.0.0/24, client_ip_pool: 10.8.0.0/16}\n",
    );
    ws.vpnform(&["policy", "--plan"])
        .stdout(
            r#"{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "vpc:ListIpsecServers"
      ],
      "Resource": [
        "acs:vpc:cn-hangzhou:*:*",
        "acs:vpc:cn-shanghai:*:*"
      ]
    }
  ]
}
"#,
        )
        .run();
    ws.vpnform(&["policy", "--apply"])
        .stdout(
            r#"{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "vpc:CreateIpsecServer",
        "vpc:DeleteIpsecServer",
        "vpc:DescribeVpnGateway",
        "vpc:DescribeVpnGateways",
        "vpc:ListIpsecServers",
        "vpc:UpdateIpsecServer"
      ],
      "Resource": [
        "acs:vpc:cn-hangzhou:*:*",
        "acs:vpc:cn-shanghai:*:*"
      ]
    }
  ]
}
"#,
        )
        .run();
}
