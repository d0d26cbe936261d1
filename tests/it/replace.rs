//! Replace end to end (issue #12): a created entry whose `vpn_gateway` or `region`
//! changed is created anew on the new gateway, then the old server is deleted. The real
//! binary against the sandbox on 127.0.0.1:0, asserted from its whole output, the state
//! file, the sandbox's audit log and its wire log (what was sent, and when).

use std::time::Duration;

use vpnform::sandbox::World;

use crate::support::{
    Cloud, LINEAGE, Workspace, configuring, ipsec_server, param, read_state, state_file,
};

const PSK: &str = "replace-canary-psk-41c9";
const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];
const REQUEST_ID: &str = r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}";

/// `office` without an id, on `gateway`.
fn desired(gateway: &str) -> String {
    format!(
        "version: 1
defaults: {{region: cn-hangzhou}}
ipsec_servers:
  office:
    vpn_gateway: {gateway}
    name: office
    local_subnet: [10.0.0.0/24]
    client_ip_pool: 10.8.0.0/16
    psk: {{env: OFFICE_PSK}}
"
    )
}

/// The state of a run that created `office` as `iss-office` on `vpn-a`; `protect` and
/// the `pending` entries as given.
fn recorded(protect: bool, pending: &str) -> String {
    let office = ipsec_server("office", "iss-office", "vpn-a")
        .psk_env("OFFICE_PSK")
        .attribute("client_ip_pool", "10.8.0.0/16")
        .attribute("local_subnet", "10.0.0.0/24")
        .named();
    state_file()
        .resource(if protect { office.protect() } else { office })
        .pending(pending)
        .render()
}

/// `iss-office` on `vpn-a`, and a free `vpn-b`.
fn world() -> World {
    let mut world = crate::support::world_of(&recorded(false, ""));
    world.ipsec_servers.get_mut("iss-office").unwrap().psk =
        Some(vpnform::secret::Secret::new(PSK));
    world.add_gateway("vpn-b", "cn-hangzhou").internet_ip = Some("47.98.2.2".into());
    world.check().unwrap();
    world
}

fn cloud() -> Cloud {
    Cloud::start(configuring(Duration::from_millis(150)), world())
}

const REPLACE_PLAN: &str = r#"Resource actions are indicated with the following symbols:
  -/+ replace (create the new server, then destroy the old one)

vpnform will perform the following actions:

  # ipsec_server.office must be replaced
  # (because its vpn_gateway changed in the desired state: the new server is created before the old one is destroyed)
-/+ resource "ipsec_server" "office" {
      ~ id             = "iss-office" -> (known after apply)
      ~ vpn_gateway    = "vpn-a" -> "vpn-b" # forces replacement
        region         = "cn-hangzhou"
        client_ip_pool = "10.8.0.0/16"
        local_subnet   = "10.0.0.0/24"
        name           = "office"
        psk            = (sensitive, from env OFFICE_PSK)
    }
    precheck of the create on vpn-b: passed (DryRunOperation, RequestId [REQUEST_ID])
    precheck of the delete of iss-office: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 1 to add, 0 to change, 1 to destroy, 0 to adopt, 0 to forget.
Plan hash: bdfc51bb9ef69955d41c72b3f9eb89e77dbdd5c5502b9ee1779611706f1c1a16

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,12 +1,12 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 4
 resources:
   ipsec_server.office:
-    id: iss-office
+    id: (known after apply)
     region: cn-hangzhou
-    vpn_gateway: vpn-a
+    vpn_gateway: vpn-b
     psk:
       env: OFFICE_PSK
     attributes:
"#;

/// Done when (issue #12): changing a created entry's gateway plans `-/+` with both
/// halves prechecked by DryRun (no ClientToken on either).
#[test]
fn changing_a_created_entrys_gateway_plans_a_replace_with_both_halves_prechecked() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(false, ""), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "--out", "plan.json"])
        .filter(REQUEST_ID, "[REQUEST_ID]")
        .stdout(format!(
            "{REPLACE_PLAN}\nSaved the plan to: plan.json\n\nTo perform exactly these actions, run:\n    vpnform apply plan.json\n"
        ))
        .run();
    // Both halves prechecked with DryRun and no ClientToken: the create on the new
    // gateway with the desired values and the key, the delete of the old server.
    let mut dry_runs: Vec<(String, Vec<(String, String)>)> = cloud
        .wire
        .calls()
        .into_iter()
        .filter(|c| c.action.ends_with("IpsecServer") && c.action != "ListIpsecServers")
        .map(|c| (c.action.clone(), own_params(&c)))
        .collect();
    // Sent side by side: compared in a fixed order.
    dry_runs.sort();
    assert_eq!(
        dry_runs,
        vec![
            (
                "CreateIpsecServer".to_string(),
                pairs(&[
                    ("ClientIpPool", "10.8.0.0/16"),
                    ("DryRun", "true"),
                    ("IpSecServerName", "office"),
                    ("LocalSubnet", "10.0.0.0/24"),
                    ("Psk", "***"),
                    ("PskEnabled", "true"),
                    ("RegionId", "cn-hangzhou"),
                    ("VpnGatewayId", "vpn-b"),
                ])
            ),
            (
                "DeleteIpsecServer".to_string(),
                pairs(&[
                    ("DryRun", "true"),
                    ("IpsecServerId", "iss-office"),
                    ("RegionId", "cn-hangzhou"),
                ])
            ),
        ]
    );
    // The saved plan carries the replace with the two tokens.
    let saved: serde_json::Value = serde_json::from_str(&ws.read("plan.json")).unwrap();
    let action = &saved["actions"][0];
    assert_eq!(action["action"], "replace");
    assert_eq!(action["id"], "iss-office");
    assert_eq!(action["vpn_gateway"], "vpn-b");
    assert_eq!(action["replaced"]["vpn_gateway"], "vpn-a");
    let (create, delete) = tokens(&saved);
    assert_ne!(create, delete);
    assert!(
        create.starts_with("vpnform-") && create.len() == 40,
        "{create}"
    );
    assert!(
        delete.starts_with("vpnform-") && delete.len() == 40,
        "{delete}"
    );
}

/// A saved plan's replace tokens: the create half's, the delete half's.
fn tokens(saved: &serde_json::Value) -> (String, String) {
    let action = &saved["actions"][0];
    (
        action["client_token"].as_str().unwrap().to_owned(),
        action["replaced"]["client_token"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// The parameters of a logged call other than the signature's common ones.
fn own_params(call: &vpnform::sandbox::CallLog) -> Vec<(String, String)> {
    const COMMON: &[&str] = &[
        "Action",
        "Version",
        "Format",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
    ];
    let mut own: Vec<(String, String)> = call
        .params
        .iter()
        .filter(|(k, _)| !COMMON.contains(&k.as_str()))
        .cloned()
        .collect();
    own.sort();
    own
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A protected server is never replaced (its old server would be deleted): refused as a
/// protected delete is, naming `vpnform state unprotect`; nothing is sent.
#[test]
fn a_protected_server_is_never_replaced() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(true, ""), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan"])
        .code(1)
        .stdout("")
        .stderr(
            "error: ipsec_server.office is protected (`protect: true`), and its vpn_gateway \
             changed from vpn-a to vpn-b in the desired state, so the plan would replace it: \
             create a new server and delete the old one; put vpn_gateway back to vpn-a, or run \
             `vpnform state unprotect ipsec_server.office` (and drop `protect: true` from the \
             desired entry) first if it really must be replaced\n",
        )
        .run();
    assert!(cloud.wire.sent("CreateIpsecServer").is_empty());
    assert!(cloud.wire.sent("DeleteIpsecServer").is_empty());
}

/// An entry that names its server by `id` (imported) and moves to another gateway is
/// replaced like one vpnform created: the desired `id` imports only while the address is
/// not recorded. Once replaced, the line names the deleted server: the next plan says to
/// remove it, and changes nothing.
#[test]
fn an_imported_entry_moved_to_another_gateway_is_replaced_and_then_told_to_drop_its_id() {
    let cloud = cloud();
    let with_id = desired("vpn-b").replace(
        "    vpn_gateway: vpn-b\n",
        "    vpn_gateway: vpn-b\n    id: iss-office\n",
    );
    let ws = cloud
        .workspace(&recorded(false, ""), &with_id)
        .env("OFFICE_PSK", PSK);
    let plan = ws.run(&["plan", "--offline"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout
            .contains("  # ipsec_server.office must be replaced\n"),
        "{}",
        plan.stdout
    );
    assert_eq!(plan.stderr, "");
    ws.vpnform(APPLY)
        .filter_durations()
        .any_stdout()
        .any_stderr()
        .run();
    let state = read_state(&ws);
    let office = &state.resources["ipsec_server.office"];
    assert_eq!(office.vpn_gateway, "vpn-b");
    assert_ne!(office.id, "iss-office");
    assert!(
        !cloud
            .sandbox()
            .world()
            .ipsec_servers
            .contains_key("iss-office")
    );
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

/// `--max-deletes` counts the old server a replace deletes.
#[test]
fn max_deletes_counts_a_replaces_delete() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(false, ""), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "--offline", "--max-deletes", "0"])
        .code(1)
        .stdout("")
        .stderr(
            "error: the plan would delete 1 IPsec servers, more than --max-deletes 0 allows; \
             check the desired file, or raise --max-deletes if this is intended\n",
        )
        .run();
    ws.vpnform(&["plan", "--offline", "--max-deletes", "1"])
        .any_stdout()
        .run();
}

/// `--json`: the replace is one `planned_change` with `action: "replace"` (Terraform's
/// machine UI word), both halves' tokens and prechecks, and the summary counts it as
/// one to add and one to remove.
#[test]
fn a_replace_in_json_lines() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(false, ""), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    let out = ws.run(&["plan", "--json", "--out", "plan.json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let change = lines
        .iter()
        .find(|l| l["type"] == "planned_change")
        .expect("a planned_change line");
    let saved: serde_json::Value = serde_json::from_str(&ws.read("plan.json")).unwrap();
    let (create, delete) = tokens(&saved);
    assert_eq!(change["@message"], "ipsec_server.office: Plan to replace");
    let c = &change["change"];
    assert_eq!(c["action"], "replace");
    assert_eq!(c["id"], "iss-office");
    assert_eq!(c["vpn_gateway"], "vpn-b");
    assert_eq!(c["client_token"], create.as_str());
    assert_eq!(c["precheck"]["result"], "passed");
    assert_eq!(
        c["replaced"]["vpn_gateway"],
        "vpn-a",
        "{}",
        serde_json::to_string(c).unwrap()
    );
    assert_eq!(c["replaced"]["id"], "iss-office");
    assert_eq!(c["replaced"]["client_token"], delete.as_str());
    assert_eq!(c["replaced"]["precheck"]["result"], "passed");
    assert_eq!(c["psk"]["source"], "env OFFICE_PSK");
    let summary = lines
        .iter()
        .find(|l| l["type"] == "change_summary")
        .unwrap();
    assert_eq!(
        summary["@message"],
        "Plan: 1 to add, 0 to change, 1 to destroy, 0 to adopt, 0 to forget."
    );
    assert_eq!(summary["changes"]["add"], 1);
    assert_eq!(summary["changes"]["remove"], 1);
    assert!(!out.stdout.contains(PSK) && !out.stderr.contains(PSK));
}

/// The calls the sandbox answered for `action` (real ones, not DryRun), with when.
fn sent_at(cloud: &Cloud, action: &str) -> Vec<crate::support::Seen> {
    cloud
        .wire
        .seen()
        .into_iter()
        .filter(|s| s.call.action == action && param(&s.call, "DryRun") != Some("true"))
        .collect()
}

/// Done when (issue #12): changing a created entry's gateway creates on the new one
/// before deleting the old. The wire shows the CreateIpsecServer on `vpn-b`, then a
/// ListIpsecServers that confirms it, and only then the DeleteIpsecServer of the old
/// server; each half once, with its own token from the saved plan; the state records the
/// new server and nothing deposed.
#[test]
fn a_replace_creates_on_the_new_gateway_and_confirms_it_before_deleting_the_old() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(false, ""), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "--out", "plan.json"])
        .any_stdout()
        .run();
    let saved: serde_json::Value = serde_json::from_str(&ws.read("plan.json")).unwrap();
    let (create_token, delete_token) = tokens(&saved);
    let before = cloud.wire.seen().len();
    ws.vpnform(&[APPLY, &["plan.json"]].concat())
        .filter(r"iss-[a-z0-9]{10,}", "ISS-NEW")
        .filter_durations()
        .stdout(
            "\nApply complete! Resources: 1 added, 0 changed, 1 destroyed, 0 adopted, 0 forgotten.\n",
        )
        .stderr(
            "ipsec_server.office: Creating...\n\
             ipsec_server.office: Creation complete after [DURATION] [id=ISS-NEW]\n\
             ipsec_server.office: Destroying... [id=iss-office]\n\
             ipsec_server.office: Destruction complete after [DURATION]\n",
        )
        .run();
    let creates = cloud.effects("CreateIpsecServer");
    let deletes = cloud.deletes();
    assert_eq!(creates.len(), 1, "{creates:?}");
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(creates[0].vpn_gateway, "vpn-b");
    assert_eq!(
        creates[0].client_token.as_deref(),
        Some(create_token.as_str())
    );
    assert_eq!(deletes[0].resource, "iss-office");
    assert_eq!(
        deletes[0].client_token.as_deref(),
        Some(delete_token.as_str())
    );
    let new_id = creates[0].resource.clone();

    // Order on the wire: create, a List that shows the new server, then the delete.
    let create_sent = sent_at(&cloud, "CreateIpsecServer");
    let delete_sent = sent_at(&cloud, "DeleteIpsecServer");
    assert_eq!(create_sent.len(), 1);
    assert_eq!(delete_sent.len(), 1);
    assert_eq!(
        param(&create_sent[0].call, "ClientToken"),
        Some(create_token.as_str())
    );
    assert_eq!(param(&create_sent[0].call, "VpnGatewayId"), Some("vpn-b"));
    assert_eq!(
        param(&delete_sent[0].call, "ClientToken"),
        Some(delete_token.as_str())
    );
    assert_eq!(
        param(&delete_sent[0].call, "IpsecServerId"),
        Some("iss-office")
    );
    let confirmed = cloud.wire.seen()[before..]
        .iter()
        .filter(|s| s.call.action == "ListIpsecServers")
        .filter(|s| s.at > create_sent[0].at && s.at < delete_sent[0].at)
        .count();
    assert!(
        create_sent[0].at < delete_sent[0].at && confirmed > 0,
        "the create was not confirmed before the delete"
    );

    let state = read_state(&ws);
    assert!(state.pending.is_empty(), "{:?}", state.pending);
    let office = &state.resources["ipsec_server.office"];
    assert_eq!(office.id, new_id);
    assert_eq!(office.vpn_gateway, "vpn-b");
    assert_eq!(office.deposed, None);
    assert_eq!(office.attributes["internet_ip"], "47.98.2.2");
    assert!(state.applying.is_none());
    ws.vpnform(&["plan", "--detailed-exitcode"])
        .any_stdout()
        .run();
    let world = cloud.sandbox().world();
    assert_eq!(world.ipsec_servers.keys().collect::<Vec<_>>(), [&new_id]);
}

const FORBIDDEN: &str = r"ipsec_server.office: Creating...
ipsec_server.office: failed: CreateIpsecServer failed: Forbidden (HTTP 403): User not authorized to operate on the specified resource.
  RequestId: [REQUEST_ID]
  HostId: 127.0.0.1:[PORT]
  Recommend: https://api.aliyun.com/troubleshoot?q=Forbidden&product=Vpc&requestId=[REQUEST_ID]
  hint: the RAM policy of this access key must allow `vpc:CreateIpsecServer` on this resource
  the old server iss-office on vpn-a is still recorded, and nothing was sent to it
error: apply did not finish: the state records every action that did

ipsec_server.office: CreateIpsecServer failed: Forbidden (HTTP 403): User not authorized to operate on the specified resource.
  RequestId: [REQUEST_ID]
  HostId: 127.0.0.1:[PORT]
  Recommend: https://api.aliyun.com/troubleshoot?q=Forbidden&product=Vpc&requestId=[REQUEST_ID]
  hint: the RAM policy of this access key must allow `vpc:CreateIpsecServer` on this resource
  the old server iss-office on vpn-a is still recorded, and nothing was sent to it
";

/// A replace whose create is refused (policy: Forbidden on the new gateway, after the
/// plan) leaves the old server recorded and untouched: no delete is sent, nothing is
/// deposed, no intent is left.
#[test]
fn a_replace_whose_create_fails_leaves_the_old_server_recorded_and_untouched() {
    let cloud = cloud();
    let state = recorded(false, "");
    let ws = cloud
        .workspace(&state, &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "--out", "plan.json"])
        .any_stdout()
        .run();
    let mut policy = vpnform::sandbox::Policy::default();
    policy.deny_resources.insert("vpn-b".into());
    cloud.sandbox().set_policy(policy);
    ws.vpnform(&[APPLY, &["plan.json"]].concat())
        .code(1)
        .filter(REQUEST_ID, "[REQUEST_ID]")
        .filter_durations()
        .stdout("\nApply incomplete! Resources: 0 added, 0 changed, 0 destroyed, 0 adopted, 0 forgotten.\n")
        .stderr(FORBIDDEN)
        .run();
    assert!(cloud.effects("CreateIpsecServer").is_empty());
    assert!(cloud.sent_deletes().is_empty());
    let after = read_state(&ws);
    assert!(after.pending.is_empty(), "{:?}", after.pending);
    let office = &after.resources["ipsec_server.office"];
    assert_eq!(
        (
            office.id.as_str(),
            office.vpn_gateway.as_str(),
            &office.deposed
        ),
        ("iss-office", "vpn-a", &None)
    );
    assert!(
        cloud
            .sandbox()
            .world()
            .ipsec_servers
            .contains_key("iss-office")
    );
}

/// The plan hash of the run that "crashed", and its tokens.
const CRASHED_PLAN: &str = "5d1c0f6e2a9b4c3d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d";

fn crashed_token(kind: vpnform::plan::ActionKind) -> String {
    let half = match kind {
        vpnform::plan::ActionKind::Create => vpnform::plan::REPLACE_CREATE,
        _ => vpnform::plan::REPLACE_DELETE,
    };
    vpnform::plan::client_token(LINEAGE, CRASHED_PLAN, "ipsec_server.office", half)
}

/// A crash after the create's intent was journaled, before its answer was recorded:
/// the address still records the old server, `pending` holds the create on `vpn-b`.
fn crashed_in_the_create() -> String {
    recorded(
        false,
        &format!(
            "- address: ipsec_server.office\n  action: create\n  region: cn-hangzhou\n  \
             vpn_gateway: vpn-b\n  client_token: {}\n  plan_hash: {CRASHED_PLAN}\n  \
             started_at: 2026-12-01T00:00:00Z\n  sent:\n    values:\n      \
             client_ip_pool: 10.8.0.0/16\n      local_subnet: 10.0.0.0/24\n      name: office\n    \
             psk:\n      env: OFFICE_PSK",
            crashed_token(vpnform::plan::ActionKind::Create)
        ),
    )
}

/// The new server the crashed run's create made on `vpn-b`.
fn with_new_server(mut world: World) -> World {
    let server = world.add_server("iss-new", "vpn-b", "cn-hangzhou");
    server.name = Some("office".into());
    server.local_subnet = Some("10.0.0.0/24".into());
    server.client_ip_pool = Some("10.8.0.0/16".into());
    server.psk = Some(vpnform::secret::Secret::new(PSK));
    // What a create on vpn-b answers: the gateway's address.
    server.internet_ip = Some("47.98.2.2".into());
    world.vpn_gateways.get_mut("vpn-b").unwrap().internet_ip = Some("47.98.2.2".into());
    world.check().unwrap();
    world
}

/// After the resumed run: one server, `iss-new` or the one created now, recorded on
/// `vpn-b`; the old one deleted exactly once; nothing pending or deposed.
fn assert_replaced(cloud: &Cloud, ws: &Workspace) -> String {
    let state = read_state(ws);
    assert!(state.pending.is_empty(), "{:?}", state.pending);
    let office = &state.resources["ipsec_server.office"];
    assert_eq!(office.vpn_gateway, "vpn-b");
    assert_eq!(office.deposed, None);
    let world = cloud.sandbox().world();
    assert_eq!(
        world.ipsec_servers.keys().collect::<Vec<_>>(),
        [&office.id],
        "exactly the new server"
    );
    let deletes = cloud.deletes();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].resource, "iss-office");
    office.id.clone()
}

/// Crash point: the create's intent journaled and its server made, every answer lost.
/// The next apply re-sends the create with the journal's token: the cloud answers the
/// server it made (no second one), which is recorded with the old one deposed, and the
/// old one is deleted. Never a server merely found on the new gateway.
#[test]
fn a_crash_in_a_replaces_create_resumes_from_the_new_gateways_server() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(false, ""), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    // Planned first: the injection is for the real creates, not the plan's DryRun.
    ws.vpnform(&["plan", "--out", "plan.json"])
        .any_stdout()
        .run();
    cloud.sandbox().inject(vpnform::sandbox::Injection {
        action: Some("CreateIpsecServer".into()),
        status: 500,
        code: "InternalError".into(),
        retry_after: None,
        after_effect: true,
        times: 5,
    });
    let first = ws.run(&[APPLY, &["plan.json"]].concat());
    assert_eq!(first.code, 1, "{first:?}");
    let journaled = read_state(&ws).pending;
    assert_eq!(journaled.len(), 1, "{journaled:?}");
    let made = cloud.effects("CreateIpsecServer");
    assert_eq!(made.len(), 1);
    ws.vpnform(APPLY)
        .any_stdout()
        .filter_durations()
        .stderr(format!(
            "ipsec_server.office: Creating...\n\
             ipsec_server.office: Creation complete after [DURATION] [id={new}]\n\
             ipsec_server.office: Destroying... [id=iss-office]\n\
             ipsec_server.office: Destruction complete after [DURATION]\n",
            new = made[0].resource
        ))
        .run();
    assert_eq!(cloud.effects("CreateIpsecServer").len(), 1);
    assert_eq!(
        cloud.effects("CreateIpsecServer")[0]
            .client_token
            .as_deref(),
        Some(journaled[0].client_token.as_str())
    );
    assert_eq!(assert_replaced(&cloud, &ws), made[0].resource);
}

/// Crash point: the create's intent journaled, the request never arrived. The next
/// apply sends the create with the journal's token (not the new plan's), then deletes
/// the old server.
#[test]
fn a_crash_before_a_replaces_create_was_sent_resends_it_with_the_journals_token() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&crashed_in_the_create(), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(APPLY).any_stdout().any_stderr().run();
    let creates = cloud.effects("CreateIpsecServer");
    assert_eq!(creates.len(), 1, "{creates:?}");
    assert_eq!(
        creates[0].client_token.as_deref(),
        Some(crashed_token(vpnform::plan::ActionKind::Create).as_str())
    );
    assert_eq!(assert_replaced(&cloud, &ws), creates[0].resource);
}

/// A crash between the halves: the new server recorded, the old one deposed with its
/// delete journaled (the one write a replace makes when its create is confirmed).
fn crashed_between_the_halves() -> String {
    format!(
        "version: 1
lineage: {LINEAGE}
serial: 5
resources:
  ipsec_server.office:
    id: iss-new
    region: cn-hangzhou
    vpn_gateway: vpn-b
    psk:
      env: OFFICE_PSK
    attributes:
      client_ip_pool: 10.8.0.0/16
      effect_immediately: 'false'
      internet_ip: 47.98.2.2
      local_subnet: 10.0.0.0/24
      name: office
    deposed:
      id: iss-office
      vpn_gateway: vpn-a
      region: cn-hangzhou
pending:
- address: ipsec_server.office
  action: delete
  id: iss-office
  region: cn-hangzhou
  vpn_gateway: vpn-a
  client_token: {}
  plan_hash: {CRASHED_PLAN}
  started_at: 2026-12-01T00:00:00Z
",
        crashed_token(vpnform::plan::ActionKind::Delete)
    )
}

/// Crash point: between the halves. The next apply re-sends the old server's delete
/// with the journal's token, once, and drops `deposed`; the new server stays recorded.
#[test]
fn a_crash_between_a_replaces_halves_deletes_the_deposed_server_with_the_journals_token() {
    let cloud = Cloud::start(
        configuring(Duration::from_millis(150)),
        with_new_server(world()),
    );
    let ws = cloud
        .workspace(&crashed_between_the_halves(), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    // The journaled delete is the plan's one action: shown, counted, hashed.
    ws.vpnform(&["plan", "--detailed-exitcode"])
        .code(2)
        .stdout(format!(
            r#"Resource actions are indicated with the following symbols:
  - destroy (delete in the cloud, then drop from the state)

vpnform will perform the following actions:

  # ipsec_server.office (deposed iss-office) will be destroyed (resuming an interrupted run)
  # (because it is the old server of an interrupted replace; ClientToken {token}, plan 5d1c0f6e2a9b)
  - resource "ipsec_server" "office" {{
      - id          = "iss-office"
      - vpn_gateway = "vpn-a"
      - region      = "cn-hangzhou"
    }}
    precheck: not run: the interrupted run's operation is re-sent as it was journaled, with its ClientToken

Plan: 0 to add, 0 to change, 1 to destroy, 0 to adopt, 0 to forget.
Plan hash: 7cb04a2ae022dfbc35ffefb0822e0ed2a3988aa17565b23e1871ae899c059971

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,7 +1,7 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 5
+serial: 6
 resources:
   ipsec_server.office:
     id: iss-new
@@ -15,16 +15,4 @@
       internet_ip: "47.98.2.2"
       local_subnet: 10.0.0.0/24
       name: office
-    deposed:
-      id: iss-office
-      vpn_gateway: vpn-a
-      region: cn-hangzhou
-pending:
-- address: ipsec_server.office
-  action: delete
-  id: iss-office
-  region: cn-hangzhou
-  vpn_gateway: vpn-a
-  client_token: {token}
-  plan_hash: {CRASHED_PLAN}
-  started_at: "[TIME]"
+pending: []
"#,
            token = crashed_token(vpnform::plan::ActionKind::Delete)
        ))
        .run();
    // `--max-deletes 0` refuses it like any delete.
    let out = ws.run(&["plan", "--max-deletes", "0"]);
    assert_eq!(out.code, 1, "{out:?}");
    ws.vpnform(APPLY)
        .any_stdout()
        .filter_durations()
        .stderr(
            "ipsec_server.office: Destroying... [id=iss-office]\n\
             ipsec_server.office: Destruction complete after [DURATION]\n",
        )
        .run();
    let sent = cloud.sent_deletes();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        param(&sent[0], "ClientToken"),
        Some(crashed_token(vpnform::plan::ActionKind::Delete).as_str())
    );
    assert_eq!(assert_replaced(&cloud, &ws), "iss-new");
    assert!(cloud.effects("CreateIpsecServer").is_empty());
}

/// Crash point: the old server's delete took effect, its record was lost. The next apply
/// reads that it is gone and only drops `deposed`: no call.
#[test]
fn a_deposed_server_already_deleted_is_only_dropped_from_the_state() {
    let mut world = with_new_server(world());
    world.ipsec_servers.remove("iss-office");
    let cloud = Cloud::start(configuring(Duration::from_millis(150)), world);
    let ws = cloud
        .workspace(&crashed_between_the_halves(), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(APPLY).any_stdout().any_stderr().run();
    assert!(cloud.sent_deletes().is_empty());
    let state = read_state(&ws);
    assert!(state.pending.is_empty());
    assert_eq!(state.resources["ipsec_server.office"].id, "iss-new");
    assert_eq!(state.resources["ipsec_server.office"].deposed, None);
}

const VALIDATION: &str = "vpnform left the file untouched and will not overwrite it. Restore a good copy from version control (`git log -p -- state/vpnform.state.yaml`) or from state/vpnform.state.yaml.backup (written by `vpnform state rm`), then run the command again.\n";
fn journal_advice() -> String {
    format!(
        "{} Restore the state from git (`git log -p -- state/vpnform.state.yaml`), or remove \
         the entries from `pending` if you know no such operation was sent\n",
        vpnform::apply::JOURNALED
    )
}

/// Forged `deposed` and `pending` entries are refused before anything is acted on, with
/// the whole message naming the file, the entry and what to do: a deposed id that the
/// state records as a live server (its delete would delete it), a deposed server with no
/// journaled delete, a deposed delete sent elsewhere, and a create whose token is not
/// its plan's.
#[test]
fn forged_deposed_and_pending_entries_are_refused() {
    let between = crashed_between_the_halves();
    let cases = [
        (
            "a deposed id that is the live one",
            between.replace(
                "    deposed:\n      id: iss-office",
                "    deposed:\n      id: iss-new",
            ),
            format!(
                "error: state/vpnform.state.yaml:18:11: ipsec_server.office: deposed id `iss-new` is recorded under ipsec_server.office: a deposed server is the old one of a replace, recorded nowhere else\n   |\n18 |       id: iss-new\n   |           ^\n{VALIDATION}"
            ),
        ),
        (
            "a deposed server with no journaled delete",
            between[..between.find("pending:").unwrap()].to_owned() + "pending: []\n",
            format!(
                "error: state/vpnform.state.yaml:18:11: ipsec_server.office: deposed server `iss-office` has no pending delete with its id; a replace journals the old server's delete in the same write that deposes it\n   |\n18 |       id: iss-office\n   |           ^\n{VALIDATION}"
            ),
        ),
        (
            "the deposed delete sent to another gateway",
            between.replace(
                "  vpn_gateway: vpn-a\n  client_token",
                "  vpn_gateway: vpn-zzz\n  client_token",
            ),
            format!(
                "error: the state file state/vpnform.state.yaml is corrupt: its `pending` journal has an entry that vpnform would not have written, so nothing was applied:\n  pending entry 1 (ipsec_server.office): vpn_gateway: vpn-zzz differs from the deposed vpn_gateway vpn-a\n{}",
                journal_advice()
            ),
        ),
        (
            "a create whose token is not its plan's",
            crashed_in_the_create().replace(
                &crashed_token(vpnform::plan::ActionKind::Create),
                &crashed_token(vpnform::plan::ActionKind::Delete),
            ),
            format!(
                "error: the state file state/vpnform.state.yaml is corrupt: its `pending` journal has an entry that vpnform would not have written, so nothing was applied:\n  pending entry 1 (ipsec_server.office): client_token: {} is not the replace:create token this state's lineage gives plan {CRASHED_PLAN} for this address ({})\n{}",
                crashed_token(vpnform::plan::ActionKind::Delete),
                crashed_token(vpnform::plan::ActionKind::Create),
                journal_advice()
            ),
        ),
    ];
    for (what, state, message) in cases {
        let ws = Workspace::new()
            .file("vpnform.yaml", &desired("vpn-b"))
            .file("state/vpnform.state.yaml", &state)
            .env("OFFICE_PSK", PSK);
        let out = ws.run(&["plan", "--offline"]);
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (1, "", message.as_str()),
            "{what}"
        );
    }
}

/// `lab`, recorded on `vpn-c` and still desired: what is left of the desired file once
/// `office` is removed from it.
fn lab_only() -> &'static str {
    "version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  lab:
    vpn_gateway: vpn-c
    id: iss-lab
"
}

/// `lab` (`iss-lab` on `vpn-c`) recorded, the `pending` entries as given.
fn lab_state(pending: &str) -> String {
    state_file()
        .resource(ipsec_server("lab", "iss-lab", "vpn-c"))
        .pending(pending)
        .render()
}

fn lab_world() -> World {
    let mut world = crate::support::world_of(&lab_state(""));
    world.add_gateway("vpn-b", "cn-hangzhou");
    world.check().unwrap();
    world
}

/// Issue #12 item 3: a create journaled by a run that never learnt its answer, whose
/// entry was then removed from the desired file, was refused as a corrupt journal
/// though the server may exist. It resolves from the cloud: re-sent with the journal's
/// token and parameters, the cloud answers the server it made (no second create); it is
/// recorded, then deleted as no longer desired.
#[test]
fn a_pending_create_whose_entry_was_removed_was_refused_as_corrupt() {
    let cloud = Cloud::start(configuring(Duration::from_millis(150)), lab_world());
    let both = format!(
        "{}  office:\n    vpn_gateway: vpn-b\n    name: office\n    local_subnet: [10.0.0.0/24]\n    \
         client_ip_pool: 10.8.0.0/16\n    psk: {{env: OFFICE_PSK}}\n",
        lab_only()
    );
    let ws = cloud
        .workspace(&lab_state(""), &both)
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "--out", "plan.json"])
        .any_stdout()
        .run();
    // Every attempt's answer is lost after the effect (after the plan, whose DryRun would
    // take it): the run ends with the create journaled and its server made.
    cloud.sandbox().inject(vpnform::sandbox::Injection {
        action: Some("CreateIpsecServer".into()),
        status: 500,
        code: "InternalError".into(),
        retry_after: None,
        after_effect: true,
        times: 5,
    });
    let first = ws.run(&[APPLY, &["plan.json"]].concat());
    assert_eq!(first.code, 1, "{first:?}");
    let state = read_state(&ws);
    assert_eq!(state.pending.len(), 1);
    assert_eq!(state.pending[0].action, "create");
    let made = cloud.effects("CreateIpsecServer");
    assert_eq!(made.len(), 1);

    ws.write("vpnform.yaml", lab_only());
    ws.vpnform(APPLY)
        .any_stdout()
        .filter_durations()
        .stderr(format!(
            "ipsec_server.office: Destroying... [id={}]\n\
             ipsec_server.office: Destruction complete after [DURATION]\n",
            made[0].resource
        ))
        .run();
    // One server was made, by the first run; the second only learnt its id.
    assert_eq!(cloud.effects("CreateIpsecServer").len(), 1);
    let deletes = cloud.deletes();
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].resource, made[0].resource);
    let state = read_state(&ws);
    assert!(state.pending.is_empty(), "{:?}", state.pending);
    assert_eq!(
        state
            .resources
            .keys()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        ["ipsec_server.lab"]
    );
    let world = cloud.sandbox().world();
    assert_eq!(world.ipsec_servers.keys().collect::<Vec<_>>(), ["iss-lab"]);
}

/// A journaled create (entry removed since) on a gateway that holds no server took no
/// effect: its entry is dropped with a note, and nothing is sent.
#[test]
fn a_pending_create_that_made_no_server_is_dropped_with_a_note() {
    let cloud = Cloud::start(configuring(Duration::from_millis(150)), lab_world());
    let pending = format!(
        "- address: ipsec_server.office\n  action: create\n  region: cn-hangzhou\n  \
         vpn_gateway: vpn-b\n  client_token: {}\n  plan_hash: {CRASHED_PLAN}\n  \
         started_at: 2026-12-01T00:00:00Z\n  sent:\n    values:\n      client_ip_pool: 10.8.0.0/16\n      \
         local_subnet: 10.0.0.0/24",
        vpnform::plan::client_token(LINEAGE, CRASHED_PLAN, "ipsec_server.office", "create")
    );
    let ws = cloud.workspace(&lab_state(&pending), lab_only());
    ws.vpnform(APPLY)
        .any_stdout()
        .stderr(
            "ipsec_server.office: the create journaled on vpn-b by an interrupted run took no \
             effect (the gateway holds no server); its pending entry is dropped\n",
        )
        .run();
    assert!(cloud.wire.sent("CreateIpsecServer").is_empty());
    assert!(cloud.sent_deletes().is_empty());
    assert!(read_state(&ws).pending.is_empty());
}

/// A forged journaled create (a token of the right form, entry not desired) naming a
/// gateway that holds a server nobody records: re-sent with its token, the create is
/// refused (the token made nothing, the gateway is taken), so the entry is dropped and
/// that server is neither recorded nor deleted.
#[test]
fn a_forged_pending_create_never_records_or_deletes_anothers_server() {
    let mut world = lab_world();
    world.add_server("iss-theirs", "vpn-b", "cn-hangzhou");
    let cloud = Cloud::start(configuring(Duration::from_millis(150)), world);
    let pending = format!(
        "- address: ipsec_server.office\n  action: create\n  region: cn-hangzhou\n  \
         vpn_gateway: vpn-b\n  client_token: {}\n  plan_hash: {CRASHED_PLAN}\n  \
         started_at: 2026-12-01T00:00:00Z\n  sent:\n    values:\n      client_ip_pool: 10.8.0.0/16\n      \
         local_subnet: 10.0.0.0/24",
        vpnform::plan::client_token(LINEAGE, CRASHED_PLAN, "ipsec_server.office", "create")
    );
    let ws = cloud.workspace(&lab_state(&pending), lab_only());
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.starts_with(
            "ipsec_server.office: the create journaled on vpn-b by an interrupted run took no \
             effect: iss-theirs there is not its server (re-sent with its token, the create \
             was refused: "
        ),
        "{}",
        out.stderr
    );
    assert!(cloud.effects("CreateIpsecServer").is_empty());
    assert!(cloud.sent_deletes().is_empty());
    let state = read_state(&ws);
    assert!(state.pending.is_empty());
    assert!(!state.resources.contains_key("ipsec_server.office"));
    assert!(
        cloud
            .sandbox()
            .world()
            .ipsec_servers
            .contains_key("iss-theirs")
    );
}

/// A saved replace round trip: `show` renders it as `plan` did, and a saved plan whose
/// replace was edited to delete another place is refused (the hash covers the old
/// gateway), with nothing sent.
#[test]
fn a_saved_replace_is_shown_and_an_edited_one_refused() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(false, ""), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "--out", "plan.json"])
        .any_stdout()
        .run();
    let shown = ws.run(&["show", "plan.json"]);
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(
        shown.stdout.contains(
            "-/+ resource \"ipsec_server\" \"office\" {\n      ~ id             = \"iss-office\" -> (known after apply)\n      ~ vpn_gateway    = \"vpn-a\" -> \"vpn-b\" # forces replacement\n"
        ),
        "{}",
        shown.stdout
    );
    let text = ws.read("plan.json");
    let mut saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    saved["actions"][0]["replaced"]["vpn_gateway"] = "vpn-c".into();
    ws.write(
        "edited.json",
        &serde_json::to_string_pretty(&saved).unwrap(),
    );
    let out = ws.run(&[APPLY, &["edited.json"]].concat());
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: the saved plan edited.json has been tampered with: it records plan hash \
         bdfc51bb9ef69955d41c72b3f9eb89e77dbdd5c5502b9ee1779611706f1c1a16, but its actions \
         hash to 6365562220db26988c763a13229f66c136b213099dc88d17898dc74e5e262b8e; make a new \
         plan with `vpnform plan --out`\n"
    );
    assert!(cloud.wire.sent("CreateIpsecServer").is_empty());
    assert!(cloud.sent_deletes().is_empty());
}

/// The postgres backend stores `deposed` (in the resource's JSON body): a state pushed
/// mid-replace is pulled back byte for byte as the local backend writes it, and the
/// pending delete of the deposed server with it.
#[test]
fn deposed_round_trips_through_the_postgres_backend() {
    use crate::support::pg;
    let schema = pg::schema();
    let url = format!("{}?application_name={schema}", pg::server().url());
    let local = recorded(false, "");
    let cloud = Cloud::start(configuring(Duration::from_millis(150)), world());
    let ws = cloud
        .workspace(
            &local,
            &desired("vpn-b").replace(
                "defaults:",
                &format!("backend:\n  postgres: {{ schema: {schema} }}\ndefaults:"),
            ),
        )
        .env("VPNFORM_PG_URL", &url);
    let init = ws.run(&["init", "--migrate-state"]);
    assert_eq!(init.code, 0, "{init:?}");
    let between = vpnform::state::to_yaml(
        &vpnform::state::parse(std::path::Path::new("s"), &crashed_between_the_halves()).unwrap(),
    )
    .unwrap();
    assert!(between.contains("    deposed:\n      id: iss-office\n"));
    ws.write("between.yaml", &between);
    let push = ws.run(&["state", "push", "between.yaml"]);
    assert_eq!(push.code, 0, "{push:?}");
    let pull = ws.run(&["state", "pull"]);
    assert_eq!(pull.code, 0, "{pull:?}");
    assert_eq!(pull.stdout, between);
}

/// `apply --json`: a replace's halves as Terraform's machine UI shows a
/// create-before-destroy, the create's start and completion (with the new id), then the
/// delete's, and the summary counts one added and one destroyed.
#[test]
fn a_replace_applies_in_json_lines_as_a_create_then_a_delete() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(false, ""), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    let out = ws.run(&[APPLY, &["--json"]].concat());
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let hooks: Vec<(String, String, String)> = lines
        .iter()
        .filter(|l| matches!(l["type"].as_str(), Some("apply_start" | "apply_complete")))
        .map(|l| {
            (
                l["type"].as_str().unwrap().to_owned(),
                l["hook"]["action"].as_str().unwrap().to_owned(),
                l["hook"]["id_value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let new_id = read_state(&ws).resources["ipsec_server.office"].id.clone();
    let s = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        hooks,
        [
            s("apply_start", "create", ""),
            s("apply_complete", "create", &new_id),
            s("apply_start", "delete", "iss-office"),
            s("apply_complete", "delete", "iss-office"),
        ]
    );
    let summary = lines
        .iter()
        .rfind(|l| l["type"] == "change_summary")
        .unwrap();
    assert_eq!(summary["changes"]["add"], 1, "{summary}");
    assert_eq!(summary["changes"]["remove"], 1, "{summary}");
    assert!(!out.stdout.contains(PSK) && !out.stderr.contains(PSK));
}

/// A replace whose delete half the DryRun refuses (the old server's delete is denied)
/// fails the plan like a refused delete, naming that half; nothing is sent.
#[test]
fn a_replace_whose_delete_half_fails_its_precheck_fails_the_plan() {
    let cloud = cloud();
    let mut policy = vpnform::sandbox::Policy::default();
    policy.deny_actions.insert("DeleteIpsecServer".into());
    cloud.sandbox().set_policy(policy);
    let ws = cloud
        .workspace(&recorded(false, ""), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(APPLY)
        .code(1)
        .filter(REQUEST_ID, "[REQUEST_ID]")
        .any_stdout()
        .stderr(
            "error: the DryRun precheck refused 1 of the plan's calls, so nothing was applied:\n\
             ipsec_server.office: the delete of the old server: failed: Forbidden: User not \
             authorized to operate on the specified resource. (RequestId [REQUEST_ID])\n",
        )
        .run();
    assert!(cloud.wire.sent("CreateIpsecServer").is_empty());
    assert!(cloud.sent_deletes().is_empty());
}

/// A create journaled on `vpn-b` by a crashed replace, and the desired gateway changed
/// again since to `vpn-c`. Issue 20: once refused ("put vpn_gateway back"), so a person
/// had to act. The journaled replace is the plan's action for the address: re-sent to
/// `vpn-b` with its token, the old server deleted; the next plan replaces `vpn-b` by
/// `vpn-c`. Two runs, no one editing anything, each token taking effect once.
#[test]
fn a_pending_create_on_another_gateway_than_the_plans_is_not_resent_elsewhere() {
    let mut world = world();
    world.add_gateway("vpn-c", "cn-hangzhou");
    let cloud = Cloud::start(configuring(Duration::from_millis(150)), world);
    let ws = cloud
        .workspace(&crashed_in_the_create(), &desired("vpn-c"))
        .env("OFFICE_PSK", PSK);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("  # ipsec_server.office must be replaced (resuming an interrupted run)\n"),
        "{}",
        out.stdout
    );
    let creates = cloud.effects("CreateIpsecServer");
    assert_eq!(creates.len(), 1, "{creates:?}");
    assert_eq!(creates[0].vpn_gateway, "vpn-b");
    assert_eq!(
        creates[0].client_token.as_deref(),
        Some(crashed_token(vpnform::plan::ActionKind::Create).as_str())
    );
    let state = read_state(&ws);
    assert!(state.pending.is_empty(), "{:?}", state.pending);
    assert_eq!(state.resources["ipsec_server.office"].vpn_gateway, "vpn-b");
    // The next run replaces it onto vpn-c, with its own tokens.
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let creates = cloud.effects("CreateIpsecServer");
    assert_eq!(creates.len(), 2, "{creates:?}");
    assert_eq!(creates[1].vpn_gateway, "vpn-c");
    let deletes = cloud.deletes();
    assert_eq!(
        deletes
            .iter()
            .map(|d| d.resource.as_str())
            .collect::<Vec<_>>(),
        ["iss-office", creates[0].resource.as_str()]
    );
    let state = read_state(&ws);
    assert_eq!(state.resources["ipsec_server.office"].vpn_gateway, "vpn-c");
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
}

/// `state show` between a replace's halves: the PSK's source (never the key), the old
/// server kept as deposed, and the delete journaled for it.
#[test]
fn state_show_names_the_deposed_server_and_the_psks_source() {
    let ws = Workspace::new().file("state/vpnform.state.yaml", &crashed_between_the_halves());
    ws.vpnform(&["state", "show", "ipsec_server.office"])
        .stdout(format!(
            r#"# ipsec_server.office:
resource "ipsec_server" "office" {{
    id          = "iss-new"
    region      = "cn-hangzhou"
    vpn_gateway = "vpn-b"
    depends_on  = []
    protect     = false
    psk         = (sensitive, from env OFFICE_PSK)
    deposed     = {{ id = "iss-office", vpn_gateway = "vpn-a", region = "cn-hangzhou" }}
    attributes  = {{
        client_ip_pool     = "10.8.0.0/16"
        effect_immediately = false
        internet_ip        = "47.98.2.2"
        local_subnet       = "10.0.0.0/24"
        name               = "office"
    }}
}}
# pending delete since [TIME] with ClientToken {} (plan {CRASHED_PLAN}): `vpnform apply` resolves it
"#,
            crashed_token(vpnform::plan::ActionKind::Delete)
        ))
        .run();
}

/// A replace whose delete half fails has still added its server: the summary counts it
/// (1 added), and the old server stays deposed for the next apply.
#[test]
fn a_replace_whose_delete_fails_still_counts_the_server_it_added() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(false, ""), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "--out", "plan.json"])
        .any_stdout()
        .run();
    cloud.sandbox().set_policy(vpnform::sandbox::Policy {
        deny_actions: ["DeleteIpsecServer".to_owned()].into(),
        ..Default::default()
    });
    ws.vpnform(&["apply", "--poll-interval", "50ms", "plan.json"])
        .code(1)
        .stdout(
            "\nApply incomplete! Resources: 1 added, 0 changed, 0 destroyed, 0 adopted, 0 \
             forgotten.\n",
        )
        .any_stderr()
        .run();
    let state = read_state(&ws);
    let office = &state.resources["ipsec_server.office"];
    assert_eq!(office.vpn_gateway, "vpn-b");
    assert_eq!(
        office.deposed.as_ref().map(|d| d.id.as_str()),
        Some("iss-office")
    );
}

/// Regression: a replace's "Destruction complete after 4s" counted from the start of its
/// create. The create here is held back 2.5 s (the cloud throttles its first send); the
/// delete half, timed from its own start, takes well under a second.
#[test]
fn regression_a_replace_timed_its_destruction_from_the_start_of_its_create() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(false, ""), &desired("vpn-b"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "--out", "plan.json"])
        .any_stdout()
        .run();
    cloud.sandbox().inject(vpnform::sandbox::Injection {
        action: Some("CreateIpsecServer".into()),
        status: 400,
        code: "Throttling.User".into(),
        retry_after: Some(Duration::from_millis(2500)),
        after_effect: false,
        times: 1,
    });
    ws.vpnform(&[APPLY, &["plan.json"]].concat())
        .filter(r"iss-[a-z0-9]{10,}", "ISS-NEW")
        .filter(r"Creation complete after \d+s", "Creation complete after [DURATION]")
        .stdout(
            "\nApply complete! Resources: 1 added, 0 changed, 1 destroyed, 0 adopted, 0 forgotten.\n",
        )
        .stderr(
            "ipsec_server.office: Creating...\n\
             ipsec_server.office: Creation complete after [DURATION] [id=ISS-NEW]\n\
             ipsec_server.office: Destroying... [id=iss-office]\n\
             ipsec_server.office: Destruction complete after 0s\n",
        )
        .run();
}

const REPLACE_IN_PLACE_PLAN: &str = r#"Resource actions are indicated with the following symbols:
  -/+ replace (create the new server, then destroy the old one; on the same gateway, destroy it first)

vpnform will perform the following actions:

  # ipsec_server.office must be replaced
  # (because --replace names it: the old server is destroyed before the new one is created, as its gateway holds one IPsec server)
-/+ resource "ipsec_server" "office" {
      ~ id             = "iss-office" -> (known after apply)
        vpn_gateway    = "vpn-a"
        region         = "cn-hangzhou"
        client_ip_pool = "10.8.0.0/16"
        local_subnet   = "10.0.0.0/24"
        name           = "office"
        psk            = (sensitive, from env OFFICE_PSK)
    }
    precheck of the delete of iss-office: passed (DryRunOperation, RequestId [REQUEST_ID])
    precheck of the create on vpn-a: not run: the gateway holds a server this plan deletes first

Plan: 1 to add, 0 to change, 1 to destroy, 0 to adopt, 0 to forget.
[HASH]

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,10 +1,10 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 4
 resources:
   ipsec_server.office:
-    id: iss-office
+    id: (known after apply)
     region: cn-hangzhou
     vpn_gateway: vpn-a
     psk:

Saved the plan to: r.plan

To perform exactly these actions, run:
    vpnform apply r.plan
"#;

/// `--replace ADDRESS` (Terraform's `-replace`, either spelling) of a server whose
/// gateway did not change: one IPsec server per gateway, so the plan destroys before it
/// creates (the create is not prechecked: the gateway still holds the old server), and a
/// saved plan of it applies in that order, each half confirmed and recorded.
#[test]
fn replace_flag_on_the_same_gateway_destroys_then_creates() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(false, ""), &desired("vpn-a"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "-replace", "ipsec_server.office", "--out", "r.plan"])
        .filter(REQUEST_ID, "[REQUEST_ID]")
        .filter(r"Plan hash: [0-9a-f]{64}", "[HASH]")
        .stdout(REPLACE_IN_PLACE_PLAN)
        .run();
    ws.vpnform(&["apply", "--poll-interval", "50ms", "r.plan"])
        .filter(r"iss-sbx[a-z0-9]+", "ISS-NEW")
        .filter_durations()
        .stdout("\nApply complete! Resources: 1 added, 0 changed, 1 destroyed, 0 adopted, 0 forgotten.\n")
        .stderr(
            "ipsec_server.office: Destroying... [id=iss-office]\n\
             ipsec_server.office: Destruction complete after [DURATION]\n\
             ipsec_server.office: Creating...\n\
             ipsec_server.office: Creation complete after [DURATION] [id=ISS-NEW]\n",
        )
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
            ("DeleteIpsecServer".to_owned(), "vpn-a".to_owned()),
            ("CreateIpsecServer".to_owned(), "vpn-a".to_owned())
        ]
    );
    let state = read_state(&ws);
    let office = &state.resources["ipsec_server.office"];
    assert_ne!(office.id, "iss-office");
    assert_eq!(office.vpn_gateway, "vpn-a");
    assert!(state.pending.is_empty());
    // The next plan has nothing to do: `--replace` is not remembered.
    let next = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(next.code, 0, "{next:?}");
}

/// A replace where the server is whose create half fails has deleted the old server:
/// the summary says 1 destroyed, the state records nothing there and no pending entry,
/// and the next plan creates the server.
#[test]
fn replace_flag_whose_create_fails_leaves_a_plain_create_for_the_next_plan() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(false, ""), &desired("vpn-a"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&[
        "plan",
        "--replace",
        "ipsec_server.office",
        "--out",
        "r.plan",
    ])
    .any_stdout()
    .run();
    cloud.sandbox().set_policy(vpnform::sandbox::Policy {
        deny_actions: ["CreateIpsecServer".to_owned()].into(),
        ..Default::default()
    });
    ws.vpnform(&["apply", "--poll-interval", "50ms", "r.plan"])
        .code(1)
        .stdout("\nApply incomplete! Resources: 0 added, 0 changed, 1 destroyed, 0 adopted, 0 forgotten.\n")
        .any_stderr()
        .run();
    let state = read_state(&ws);
    assert!(state.resources.is_empty(), "{:?}", state.resources);
    assert!(state.pending.is_empty(), "{:?}", state.pending);
    cloud
        .sandbox()
        .set_policy(vpnform::sandbox::Policy::default());
    let next = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(next.code, 2, "{next:?}");
    assert!(
        next.stdout
            .contains("  # ipsec_server.office will be created\n"),
        "{}",
        next.stdout
    );
}

/// `--replace` names a recorded, desired, unprotected server, or the plan says why not.
#[test]
fn replace_flag_refuses_what_it_cannot_replace() {
    let cloud = cloud();
    let ws = cloud
        .workspace(&recorded(true, ""), &desired("vpn-a"))
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "--offline", "--replace", "ipsec_server.nowhere"])
        .code(1)
        .stderr(
            "error: --replace ipsec_server.nowhere: the state records no resource at this \
             address (`vpnform state list` shows the recorded ones)\n",
        )
        .run();
    ws.vpnform(&["plan", "--offline", "--replace", "ipsec_server.office"])
        .code(1)
        .stderr(
            "error: ipsec_server.office is protected (`protect: true`), and --replace would \
             replace it: create a new server and delete iss-office; run `vpnform state \
             unprotect ipsec_server.office` (and drop `protect: true` from the desired entry) \
             first if it really must be replaced\n",
        )
        .run();
    assert!(cloud.wire.calls().is_empty());
}
