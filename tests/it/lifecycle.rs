//! Create and update end to end (issue #12): the real binary against the sandbox on
//! 127.0.0.1:0, asserted from its whole output, the state file, the sandbox's audit log
//! (the effects and their ClientTokens) and its wire log (what was sent).

use std::time::Duration;

use vpnform::sandbox::{Injection, World};

use crate::support::{Cloud, Workspace, configuring, ipsec_server, param, read_state, state_file};

const REGION: &str = "cn-hangzhou";
const PSK: &str = "lifecycle-canary-psk-5e1b";
const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];
const CREATE: &str = "version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office:
    vpn_gateway: vpn-a
    name: office
    local_subnet: [10.0.0.0/24]
    client_ip_pool: 10.8.0.0/16
    psk: {env: OFFICE_PSK}
";

/// One free gateway, `vpn-a`.
fn cloud() -> Cloud {
    let mut world = World::default();
    world.add_gateway("vpn-a", REGION).internet_ip = Some("47.98.1.1".into());
    world.check().unwrap();
    Cloud::start(configuring(Duration::from_millis(150)), world)
}

/// No file under the workspace and no stream holds the key.
fn assert_no_psk(ws: &Workspace, outputs: &[&str]) {
    for text in outputs {
        assert!(!text.contains(PSK), "the PSK leaked: {text}");
    }
    for entry in walk(ws.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(PSK),
            "the PSK is in {}",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
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

const CREATE_PLAN: &str = r#"Resource actions are indicated with the following symbols:
  + create (create in the cloud, then record its id in the state)

vpnform will perform the following actions:

  # ipsec_server.office will be created
  # (because ipsec_server.office is in the desired state without an id)
  + resource "ipsec_server" "office" {
      + id             = (known after apply)
      + vpn_gateway    = "vpn-a"
      + region         = "cn-hangzhou"
      + client_ip_pool = "10.8.0.0/16"
      + local_subnet   = "10.0.0.0/24"
      + name           = "office"
      + psk            = (sensitive, from env OFFICE_PSK)
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 1 to add, 0 to change, 0 to destroy, 0 to adopt, 0 to forget.
Plan hash: a203cc5d9aa029d0de88e9049a4f13f32c6dfdce56e17b973f631c79c386d6a9

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -0,0 +1,16 @@
+# Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
+version: 1
+lineage: ""
+serial: 1
+resources:
+  ipsec_server.office:
+    id: (known after apply)
+    region: cn-hangzhou
+    vpn_gateway: vpn-a
+    psk:
+      env: OFFICE_PSK
+    attributes:
+      client_ip_pool: 10.8.0.0/16
+      local_subnet: 10.0.0.0/24
+      name: office
+pending: []

Saved the plan to: plan.json

To perform exactly these actions, run:
    vpnform apply plan.json
"#;

const REQUEST_ID: &str = r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}";

/// The next `times` CreateIpsecServer calls take effect and are answered 500.
fn lost_after_effect(times: u32) -> Injection {
    Injection {
        action: Some("CreateIpsecServer".into()),
        status: 500,
        code: "InternalError".into(),
        retry_after: None,
        after_effect: true,
        times,
    }
}

/// Checks the state after one create of `ipsec_server.office` and returns its new id,
/// the one the sandbox's single create effect made.
fn assert_one_create_recorded(cloud: &Cloud, ws: &Workspace, token: &str) -> String {
    let effects = cloud.effects("CreateIpsecServer");
    assert_eq!(effects.len(), 1, "{effects:?}");
    assert_eq!(effects[0].client_token.as_deref(), Some(token));
    assert_eq!(effects[0].vpn_gateway, "vpn-a");
    let sent = cloud.wire.sent("CreateIpsecServer");
    assert!(!sent.is_empty());
    for call in &sent {
        assert_eq!(param(call, "ClientToken"), Some(token), "{call:?}");
    }
    let state = read_state(ws);
    assert!(state.pending.is_empty(), "{:?}", state.pending);
    let office = &state.resources["ipsec_server.office"];
    assert_eq!(office.id, effects[0].resource);
    assert_eq!(
        office.psk,
        Some(vpnform::state::PskRecord::Env("OFFICE_PSK".into()))
    );
    for (field, value) in [
        ("name", "office"),
        ("local_subnet", "10.0.0.0/24"),
        ("client_ip_pool", "10.8.0.0/16"),
        ("internet_ip", "47.98.1.1"),
    ] {
        assert_eq!(office.attributes[field], value, "{field}");
    }
    office.id.clone()
}

/// Done when (issue #12): a desired entry without `id` plans a create with a passing
/// DryRun (no ClientToken), applies to exactly one CreateIpsecServer effect carrying
/// the plan's token, and the state records the new id; the next plan has nothing to do.
#[test]
fn an_entry_without_id_plans_a_create_and_applies_one_effect_with_the_plans_token() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", CREATE)
        .against(&cloud)
        .env("OFFICE_PSK", PSK);
    let plan = ws
        .vpnform(&["plan", "--out", "plan.json"])
        .filter(REQUEST_ID, "[REQUEST_ID]")
        .stdout(CREATE_PLAN)
        .stderr(
            "No recorded state at state/vpnform.state.yaml: desired servers with an id will be adopted, those without one created.\n",
        )
        .run();
    let dry_runs: Vec<_> = cloud
        .wire
        .calls()
        .into_iter()
        .filter(|c| c.action == "CreateIpsecServer")
        .collect();
    assert_eq!(dry_runs.len(), 1, "{dry_runs:?}");
    assert_eq!(
        own_params(&dry_runs[0]),
        pairs(&[
            ("ClientIpPool", "10.8.0.0/16"),
            ("DryRun", "true"),
            ("IpSecServerName", "office"),
            ("LocalSubnet", "10.0.0.0/24"),
            ("Psk", "***"),
            ("PskEnabled", "true"),
            ("RegionId", "cn-hangzhou"),
            ("VpnGatewayId", "vpn-a"),
        ])
    );
    let saved: serde_json::Value = serde_json::from_str(&ws.read("plan.json")).unwrap();
    let token = saved["actions"][0]["client_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(saved["actions"][0]["action"], "create");

    let apply = ws
        .vpnform(&[APPLY, &["plan.json"]].concat())
        .filter(r"\[id=iss-[a-z0-9]+\]", "[id=ISS]")
        .filter_durations()
        .stdout("\nApply complete! Resources: 1 added, 0 changed, 0 destroyed, 0 adopted, 0 forgotten.\n")
        .stderr(
            "ipsec_server.office: Creating...\nipsec_server.office: Creation complete after [DURATION] [id=ISS]\n",
        )
        .run();
    // Planned before any state existed: tokened for the lineage the first write made.
    assert_eq!(
        token,
        vpnform::plan::client_token(
            "",
            saved["plan_hash"].as_str().unwrap(),
            "ipsec_server.office",
            "create"
        )
    );
    let token = vpnform::plan::client_token(
        &read_state(&ws).lineage,
        saved["plan_hash"].as_str().unwrap(),
        "ipsec_server.office",
        "create",
    );
    assert_one_create_recorded(&cloud, &ws, &token);

    let again = ws
        .vpnform(&["plan"])
        .stdout("No changes. Your infrastructure matches the configuration.\n\nvpnform has compared the desired state with the recorded state and the cloud and found no differences, so no changes are needed.\n")
        .run();
    assert_no_psk(
        &ws,
        &[
            &plan.stdout,
            &plan.stderr,
            &apply.stdout,
            &apply.stderr,
            &again.stdout,
            &again.stderr,
        ],
    );
}

/// A create whose answer is lost after the cloud made the server (a 500 after the
/// effect) is re-sent with the same token and answered with the first result: one
/// server, recorded.
#[test]
fn a_create_whose_answer_was_lost_is_one_server_recorded() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", CREATE)
        .against(&cloud)
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "--out", "plan.json"])
        .any_stdout()
        .any_stderr()
        .run();
    // After the plan, whose DryRun would take it.
    cloud.sandbox().inject(lost_after_effect(1));
    let saved: serde_json::Value = serde_json::from_str(&ws.read("plan.json")).unwrap();
    ws.vpnform(&[APPLY, &["plan.json"]].concat())
        .any_stderr()
        .stdout("\nApply complete! Resources: 1 added, 0 changed, 0 destroyed, 0 adopted, 0 forgotten.\n")
        .run();
    // A plan made before any state existed is tokened for the lineage the apply's first
    // write creates.
    let token = vpnform::plan::client_token(
        &read_state(&ws).lineage,
        saved["plan_hash"].as_str().unwrap(),
        "ipsec_server.office",
        "create",
    );
    assert_eq!(cloud.wire.sent("CreateIpsecServer").len(), 2);
    assert_one_create_recorded(&cloud, &ws, &token);
}

/// A create journaled by a run that never learnt its answer (every attempt lost after
/// the effect) stays in `pending` without an id; the next apply re-sends it with its
/// token, and the cloud's answer (the first call's) is the server it records: no second
/// server.
#[test]
fn a_pending_create_is_re_sent_with_its_token_and_makes_no_second_server() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", CREATE)
        .against(&cloud)
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "--out", "plan.json"])
        .any_stdout()
        .any_stderr()
        .run();
    // Every attempt the client makes (5) is answered 500 after the effect.
    cloud.sandbox().inject(lost_after_effect(5));
    let first = ws.run(&[APPLY, &["plan.json"]].concat());
    assert_eq!(first.code, 1, "{first:?}");
    let state = read_state(&ws);
    assert_eq!(state.pending.len(), 1, "{state:?}");
    assert_eq!(
        (
            state.pending[0].action.as_str(),
            state.pending[0].id.as_deref()
        ),
        ("create", None)
    );
    assert!(state.resources.is_empty());
    let token = state.pending[0].client_token.clone();

    // A fresh plan shows the journaled create as resuming (not prechecked: its DryRun
    // would find the gateway taken by this very create); apply re-sends it.
    let second = ws.run(APPLY);
    assert_eq!(second.code, 0, "{second:?}");
    assert!(
        second
            .stdout
            .contains("  # ipsec_server.office will be created (resuming an interrupted run)\n"),
        "{second:?}"
    );
    assert_one_create_recorded(&cloud, &ws, &token);
    // Re-sent once with the journal's token, answered without a second effect.
    assert_eq!(cloud.wire.sent("CreateIpsecServer").len(), 6);
    assert_no_psk(
        &ws,
        &[&first.stdout, &first.stderr, &second.stdout, &second.stderr],
    );
}

/// A state recording `ipsec_server.office` (`iss-office` on `vpn-a`) as created with
/// CREATE's values.
fn recorded_office() -> String {
    state_file()
        .resource(
            ipsec_server("office", "iss-office", "vpn-a")
                .psk_env("OFFICE_PSK")
                .attribute("client_ip_pool", "10.8.0.0/16")
                .attribute("local_subnet", "10.0.0.0/24")
                .named(),
        )
        .render()
}

/// The sandbox holding what `recorded_office` records, with `psk` as its key.
fn cloud_of_office(psk: &str) -> Cloud {
    let mut world = crate::support::world_of(&recorded_office());
    let server = world.ipsec_servers.get_mut("iss-office").unwrap();
    server.psk = Some(vpnform::secret::Secret::new(psk));
    Cloud::start(configuring(Duration::from_millis(150)), world)
}

const UPDATE_PLAN: &str = r#"Resource actions are indicated with the following symbols:
  ~ update in-place (UpdateIpsecServer with the changed fields)

vpnform will perform the following actions:

  # ipsec_server.office will be updated in-place
  # (because its managed attributes differ from the desired state)
  ~ resource "ipsec_server" "office" {
      ~ client_ip_pool = "10.8.0.0/16" -> "10.9.0.0/16"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 0 to add, 1 to change, 0 to destroy, 0 to adopt, 0 to forget.
Plan hash: 7cf81bf54ba13ea798ab9cd099aebaf5b227ce5006d4221a10ded00af7bd7113

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
   ipsec_server.office:
     id: iss-office
@@ -10,7 +10,7 @@
     psk:
       env: OFFICE_PSK
     attributes:
-      client_ip_pool: 10.8.0.0/16
+      client_ip_pool: 10.9.0.0/16
       local_subnet: 10.0.0.0/24
       name: office
 pending: []
"#;

/// Done when (issue #12): changing `client_ip_pool` plans `~` with that field only
/// (DryRun passed) and applies one UpdateIpsecServer carrying that field only, with the
/// plan's token; the state records the cloud's new value.
#[test]
fn changing_client_ip_pool_plans_and_applies_one_update_of_that_field_only() {
    let cloud = cloud_of_office(PSK);
    let ws = cloud
        .workspace(
            &recorded_office(),
            &CREATE.replace("10.8.0.0/16", "10.9.0.0/16"),
        )
        .env("OFFICE_PSK", PSK);
    ws.vpnform(&["plan", "--out", "plan.json"])
        .filter(REQUEST_ID, "[REQUEST_ID]")
        .stdout(format!(
            "{UPDATE_PLAN}\nSaved the plan to: plan.json\n\nTo perform exactly these actions, run:\n    vpnform apply plan.json\n"
        ))
        .run();
    let saved: serde_json::Value = serde_json::from_str(&ws.read("plan.json")).unwrap();
    let token = saved["actions"][0]["client_token"]
        .as_str()
        .unwrap()
        .to_owned();
    ws.vpnform(&[APPLY, &["plan.json"]].concat())
        .filter_durations()
        .stdout("\nApply complete! Resources: 0 added, 1 changed, 0 destroyed, 0 adopted, 0 forgotten.\n")
        .stderr("ipsec_server.office: Updating... [id=iss-office]\nipsec_server.office: Update complete after [DURATION]\n")
        .run();
    let sent = cloud.wire.sent("UpdateIpsecServer");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        own_params(&sent[0]),
        pairs(&[
            ("ClientIpPool", "10.9.0.0/16"),
            ("ClientToken", &token),
            ("DryRun", "false"),
            ("IpsecServerId", "iss-office"),
            ("RegionId", "cn-hangzhou"),
        ])
    );
    let effects = cloud.effects("UpdateIpsecServer");
    assert_eq!(effects.len(), 1, "{effects:?}");
    assert_eq!(effects[0].client_token.as_deref(), Some(token.as_str()));
    let state = read_state(&ws);
    assert!(state.pending.is_empty());
    let office = &state.resources["ipsec_server.office"];
    assert_eq!(office.id, "iss-office");
    assert_eq!(office.attributes["client_ip_pool"], "10.9.0.0/16");
    ws.vpnform(&["plan", "--detailed-exitcode"])
        .any_stdout()
        .run();
}

/// The key in the cloud differs from the one its source holds: compared in memory, it
/// plans `~ psk = (sensitive value changed)`, the update sends the key (and only it),
/// and neither the key in the source nor the cloud's old one appears anywhere.
#[test]
fn a_psk_that_differs_in_the_cloud_plans_an_update_that_never_shows_it() {
    const OLD: &str = "old-cloud-canary-psk-77aa";
    let cloud = cloud_of_office(OLD);
    let ws = cloud
        .workspace(&recorded_office(), CREATE)
        .env("OFFICE_PSK", PSK);
    let plan = ws
        .vpnform(&["plan", "-vv"])
        .filter(REQUEST_ID, "[REQUEST_ID]")
        .any_stdout()
        .any_stderr()
        .run();
    assert!(
        plan.stdout.contains(
            "  ~ resource \"ipsec_server\" \"office\" {\n      ~ psk = (sensitive value changed)\n    }\n"
        ),
        "{}",
        plan.stdout
    );
    let apply = ws
        .vpnform(&["-vv", APPLY[0], APPLY[1], APPLY[2], APPLY[3]])
        .any_stdout()
        .any_stderr()
        .run();
    let sent = cloud.wire.sent("UpdateIpsecServer");
    assert_eq!(sent.len(), 1, "{sent:?}");
    let names: Vec<String> = own_params(&sent[0]).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "ClientToken",
            "DryRun",
            "IpsecServerId",
            "Psk",
            "PskEnabled",
            "RegionId"
        ]
    );
    let after = cloud.sandbox().world().ipsec_servers["iss-office"]
        .psk
        .clone()
        .unwrap();
    assert_eq!(after.expose(), PSK);
    let again = ws
        .vpnform(&["plan", "--detailed-exitcode"])
        .any_stdout()
        .run();
    for text in [
        &plan.stdout,
        &plan.stderr,
        &apply.stdout,
        &apply.stderr,
        &again.stdout,
    ] {
        assert!(!text.contains(OLD), "the old key leaked: {text}");
    }
    assert_no_psk(
        &ws,
        &[&plan.stdout, &plan.stderr, &apply.stdout, &apply.stderr],
    );
}
