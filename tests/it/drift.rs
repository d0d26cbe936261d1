//! Changes made outside vpnform (issue #12): a console-side change of an observed
//! attribute is listed as "changed outside vpnform" before the plan's actions, recorded by
//! the next apply, and `--refresh-only` records it (and the forgets) without changing
//! anything in the cloud. The real binary against the sandbox on 127.0.0.1:0, asserted
//! from its whole output, the state file and the sandbox's wire log.

use std::time::Duration;

use crate::support::{
    Cloud, Workspace, configuring, ipsec_server, param, read_state, state_file, world_of,
};

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];
const PSK: &str = "drift-canary-psk-91c3";

/// `ipsec_server.office` (`iss-office` on `vpn-a`) and `ipsec_server.lab` (`iss-lab` on
/// `vpn-b`), with every attribute the sandbox answers for them, as vpnform writes it.
fn recorded() -> String {
    let server = |name: &str, gateway: &str, pool: &str| {
        ipsec_server(name, &format!("iss-{name}"), gateway)
            .attribute("client_ip_pool", pool)
            .attribute("creation_time", "2024-01-02T03:04:05Z")
            .attribute("effect_immediately", "false")
            .attribute("ike_config.ike_auth_alg", "sha1")
            .attribute("ike_config.ike_enc_alg", "aes")
            .attribute("ike_config.ike_lifetime", "86400")
            .attribute("ike_config.ike_mode", "main")
            .attribute("ike_config.ike_pfs", "group2")
            .attribute("ike_config.ike_version", "ikev2")
            .attribute("ike_config.local_id", "198.51.100.10")
            .attribute("internet_ip", "198.51.100.10")
            .attribute("ipsec_config.ipsec_auth_alg", "sha1")
            .attribute("ipsec_config.ipsec_enc_alg", "aes")
            .attribute("ipsec_config.ipsec_lifetime", "86400")
            .attribute("ipsec_config.ipsec_pfs", "group2")
            .attribute("local_subnet", "10.0.0.0/24")
            .named()
    };
    state_file()
        .resource(server("lab", "vpn-b", "10.9.0.0/16"))
        .resource(server("office", "vpn-a", "10.8.0.0/16"))
        .render()
}

/// Both servers desired by id, writing no attribute: every attribute is observed.
const DESIRED: &str = "version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  lab:
    id: iss-lab
    vpn_gateway: vpn-b
  office:
    id: iss-office
    vpn_gateway: vpn-a
";

/// The sandbox holding what `recorded` records (its PSKs the canary), and a workspace.
fn setup(desired: &str) -> (Cloud, Workspace) {
    let mut world = world_of(&recorded());
    for server in world.ipsec_servers.values_mut() {
        server.psk = Some(vpnform::secret::Secret::new(PSK));
    }
    let cloud = Cloud::start(configuring(Duration::from_millis(100)), world);
    let ws = cloud.workspace(&recorded(), desired);
    (cloud, ws)
}

/// Renames `iss-office` in the console.
fn rename_in_console(cloud: &Cloud) {
    cloud.console("iss-office", |s| s.name = Some("office-console".into()));
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

fn assert_no_psk(texts: &[&str]) {
    for text in texts {
        assert!(!text.contains(PSK), "the PSK leaked: {text}");
    }
}

const NOTE: &str = r#"Note: Objects have changed outside of vpnform

vpnform detected the following changes made outside of vpnform since the last
"vpnform apply":

  # ipsec_server.office has changed
  ~ resource "ipsec_server" "office" {
      ~ name = "office" -> "office-console"
    }

"#;

const NO_CHANGES_BUT_RECORDED: &str = "No changes. Your infrastructure matches the configuration.

vpnform has compared the desired state with the recorded state and the cloud: nothing needs \
to change in the cloud. `vpnform apply` (or `vpnform apply --refresh-only`) records the \
changes made outside vpnform above in the state.
";

const NO_CHANGES: &str = "No changes. Your infrastructure matches the configuration.

vpnform has compared the desired state with the recorded state and the cloud and found no \
differences, so no changes are needed.
";

/// Done when (issue #12): a console-side change of an observed attribute shows as
/// changed outside vpnform, before the plan's (here: no) actions, and is not an action;
/// the next apply records it, and the plan after that has nothing to say.
#[test]
fn a_console_rename_of_an_observed_name_shows_as_changed_outside_and_apply_records_it() {
    let (cloud, ws) = setup(DESIRED);
    rename_in_console(&cloud);
    let plan = ws
        .vpnform(&["plan", "--detailed-exitcode"])
        .stdout(format!("{NOTE}{NO_CHANGES_BUT_RECORDED}"))
        .run();
    // Recording what changed outside is no change of the cloud: exit 0, not 2.
    assert_eq!(plan.code, 0);

    let apply = ws
        .vpnform(APPLY)
        .stdout(format!(
            "{NOTE}{NO_CHANGES_BUT_RECORDED}\nApply complete! Resources: 0 added, 0 changed, \
             0 destroyed, 0 adopted, 0 forgotten.\n"
        ))
        .stderr("Recorded the attributes the cloud answers for 1 server changed outside vpnform.\n")
        .run();
    let state = read_state(&ws);
    assert_eq!(state.serial, 4);
    assert_eq!(
        state.resources["ipsec_server.office"].attributes["name"],
        "office-console"
    );
    assert_eq!(
        ws.read("state/vpnform.state.yaml"),
        recorded()
            .replace("serial: 3", "serial: 4")
            .replace("name: office\n", "name: office-console\n")
    );
    // Reads only: one ListIpsecServers per run.
    assert_eq!(
        wire_actions(&cloud),
        ["ListIpsecServers", "ListIpsecServers"]
    );
    let again = ws
        .vpnform(&["plan", "--detailed-exitcode"])
        .stdout(NO_CHANGES)
        .run();
    assert_no_psk(&[
        &plan.stdout,
        &plan.stderr,
        &apply.stdout,
        &apply.stderr,
        &again.stdout,
        &ws.read("state/vpnform.state.yaml"),
    ]);
}

/// Desired: `office` manages a pool other than the cloud's, so that a normal plan would
/// update it; a refresh-only plan must not.
fn desired_with_office_pool(pool: &str) -> String {
    DESIRED.replace(
        "    vpn_gateway: vpn-a\n",
        &format!("    vpn_gateway: vpn-a\n    client_ip_pool: {pool}\n"),
    )
}

const HASH: &str = r"\b[0-9a-f]{64}\b";

const REFRESH_ONLY_PLAN: &str = r#"Plan: 0 to add, 0 to change, 0 to destroy, 0 to adopt, 0 to forget.
This is a refresh-only plan, so vpnform will not take any actions to undo these. If you were expecting these changes then you can apply this plan to record the updated values in the vpnform state without changing any remote objects.
Plan hash: [HASH]

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
@@ -46,5 +46,5 @@
       ipsec_config.ipsec_lifetime: "86400"
       ipsec_config.ipsec_pfs: group2
       local_subnet: 10.0.0.0/24
-      name: office
+      name: office-console
 pending: []
"#;

/// `plan --refresh-only` lists the console rename and plans nothing for the cloud (the
/// desired pool differs, and no update is planned or prechecked); `apply
/// --refresh-only` records it, and the sandbox saw reads only.
#[test]
fn plan_and_apply_refresh_only_record_a_console_rename_and_send_no_mutation() {
    let (cloud, ws) = setup(&desired_with_office_pool("10.7.0.0/16"));
    rename_in_console(&cloud);
    let plan = ws
        .vpnform(&["plan", "--refresh-only", "--detailed-exitcode"])
        .filter(HASH, "[HASH]")
        .code(2)
        .stdout(format!("{NOTE}{REFRESH_ONLY_PLAN}"))
        .run();
    let apply = ws
        .vpnform(&[APPLY, &["--refresh-only"]].concat())
        .filter(HASH, "[HASH]")
        .stdout(format!(
            "{NOTE}{REFRESH_ONLY_PLAN}\nApply complete! Resources: 0 added, 0 changed, 0 \
             destroyed, 0 adopted, 0 forgotten.\n"
        ))
        .stderr("Recorded the attributes the cloud answers for 1 server changed outside vpnform.\n")
        .run();
    assert_eq!(
        ws.read("state/vpnform.state.yaml"),
        recorded()
            .replace("serial: 3", "serial: 4")
            .replace("name: office\n", "name: office-console\n")
    );
    // No mutation and no DryRun of one: one list per run.
    assert_eq!(
        wire_actions(&cloud),
        ["ListIpsecServers", "ListIpsecServers"]
    );
    // Nothing is left to record; the update of the pool is still to do.
    ws.vpnform(&["plan", "--refresh-only", "--detailed-exitcode"])
        .stdout(
            "No changes. Your infrastructure still matches the configuration.\n\nvpnform has \
             checked that the real remote objects still match the result of your most recent \
             changes, and found no differences.\n",
        )
        .run();
    let normal = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(normal.code, 2, "{normal:?}");
    assert!(
        normal
            .stdout
            .contains("      ~ client_ip_pool = \"10.8.0.0/16\" -> \"10.7.0.0/16\"\n"),
        "{}",
        normal.stdout
    );
    assert_no_psk(&[&plan.stdout, &plan.stderr, &apply.stdout, &apply.stderr]);
}

const FORGET_BLOCK: &str = r#"Resource actions are indicated with the following symbols:
  < forget (drop from the state; nothing changes in the cloud)

vpnform will perform the following actions:

  # ipsec_server.lab will be forgotten: dropped from the state, nothing changes in the cloud
  # (because iss-lab is gone from the cloud; it is still in the desired state, remove it there too)
  < resource "ipsec_server" "lab" {
"#;

/// A refresh-only plan lists a server gone from the cloud as a forget next to the
/// console rename; saved, it is marked refresh-only, `show` and `apply FILE` run it:
/// the state records both, and the sandbox saw reads only.
#[test]
fn a_saved_refresh_only_plan_with_a_gone_server_records_the_forget_and_the_rename() {
    let (cloud, ws) = setup(DESIRED);
    rename_in_console(&cloud);
    cloud.sandbox().shared().edit_world(|w| {
        w.ipsec_servers.remove("iss-lab");
    });
    let plan = ws
        .vpnform(&["plan", "--refresh-only", "--out", "refresh.json"])
        .any_stdout()
        .run();
    assert!(
        plan.stdout.starts_with(&format!("{NOTE}{FORGET_BLOCK}")),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(
            "Plan: 0 to add, 0 to change, 0 to destroy, 0 to adopt, 1 to forget.\nThis is a \
             refresh-only plan, so vpnform will not take any actions to undo these."
        ),
        "{}",
        plan.stdout
    );
    let saved: serde_json::Value = serde_json::from_str(&ws.read("refresh.json")).unwrap();
    assert_eq!(saved["refresh_only"], true);
    assert_eq!(saved["actions"][0]["action"], "forget");
    assert_eq!(
        saved["drift"][0]["changes"],
        serde_json::json!([{"field": "name", "from": "office", "to": "office-console"}])
    );
    // `show` renders it as the plan did; `show --json` has Terraform's `resource_drift`.
    let shown = ws.vpnform(&["show", "refresh.json"]).any_stdout().run();
    assert!(
        shown
            .stdout
            .contains(&format!("serial 3.\n\n{NOTE}{FORGET_BLOCK}")),
        "{}",
        shown.stdout
    );
    let document = ws
        .vpnform(&["show", "--json", "refresh.json"])
        .any_stdout()
        .run();
    let document: serde_json::Value = serde_json::from_str(&document.stdout).unwrap();
    assert_eq!(document["refresh_only"], true);
    assert_eq!(
        document["resource_drift"],
        serde_json::json!([{
            "address": "ipsec_server.office",
            "mode": "managed",
            "type": "ipsec_server",
            "name": "office",
            "provider_name": "vpnform",
            "change": {
                "actions": ["update"],
                "before": {"name": "office"},
                "after": {"name": "office-console"},
            },
        }])
    );
    ws.vpnform(&[APPLY, &["refresh.json"]].concat())
        .filter_durations()
        .stdout("\nApply complete! Resources: 0 added, 0 changed, 0 destroyed, 0 adopted, 1 forgotten.\n")
        .stderr(
            "Recorded the attributes the cloud answers for 1 server changed outside vpnform.\n\
             ipsec_server.lab: Forgetting... [id=iss-lab]\n\
             ipsec_server.lab: Forgotten after [DURATION]\n",
        )
        .run();
    let state = read_state(&ws);
    assert_eq!(
        state
            .resources
            .keys()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        ["ipsec_server.office"]
    );
    assert_eq!(
        state.resources["ipsec_server.office"].attributes["name"],
        "office-console"
    );
    assert!(state.applying.is_none(), "{state:?}");
    assert_eq!(
        wire_actions(&cloud),
        ["ListIpsecServers", "ListIpsecServers"]
    );
}

/// A saved refresh-only plan whose flag is flipped (a file can be edited) no longer
/// verifies: the flag is part of the plan hash. Nothing is applied.
#[test]
fn a_refresh_only_plan_with_the_flag_flipped_is_refused_by_its_hash() {
    let (cloud, ws) = setup(DESIRED);
    rename_in_console(&cloud);
    ws.vpnform(&["plan", "--refresh-only", "--out", "refresh.json"])
        .any_stdout()
        .run();
    let text = ws.read("refresh.json");
    assert!(text.contains("\n  \"refresh_only\": true,\n"), "{text}");
    ws.write(
        "refresh.json",
        &text.replace("\n  \"refresh_only\": true,\n", "\n"),
    );
    let before = ws.read("state/vpnform.state.yaml");
    ws.vpnform(&[APPLY, &["refresh.json"]].concat())
        .filter(HASH, "[HASH]")
        .code(1)
        .stderr(
            "error: the saved plan refresh.json has been tampered with: it records plan hash \
             [HASH], but its actions hash to [HASH]; make a new plan with `vpnform plan --out`\n",
        )
        .run();
    assert_eq!(ws.read("state/vpnform.state.yaml"), before);
    // A normal plan applied with --refresh-only is refused too, by its flag.
    ws.vpnform(&["plan", "--out", "plan.json"])
        .any_stdout()
        .run();
    ws.vpnform(&[APPLY, &["--refresh-only", "plan.json"]].concat())
        .code(1)
        .stderr(
            "error: the saved plan plan.json is not a refresh-only plan, and --refresh-only \
             asks for one: apply it without --refresh-only to run what it plans, or make a \
             refresh-only plan with `vpnform plan --refresh-only --out FILE`\n",
        )
        .run();
    assert_eq!(ws.read("state/vpnform.state.yaml"), before);
    assert_eq!(
        wire_actions(&cloud),
        ["ListIpsecServers", "ListIpsecServers"]
    );
}

/// A managed attribute changed in the console is an update back to the desired value,
/// not also a change outside vpnform; an observed one on another server is listed.
#[test]
fn a_managed_attribute_changed_in_the_console_is_an_update_listed_once() {
    let (cloud, ws) = setup(&DESIRED.replace(
        "    vpn_gateway: vpn-a\n",
        "    vpn_gateway: vpn-a\n    name: office\n",
    ));
    rename_in_console(&cloud);
    cloud.console("iss-lab", |s| s.name = Some("lab-console".into()));
    ws.vpnform(&["plan"])
        .filter(HASH, "[HASH]")
        .filter(
            r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}",
            "[REQUEST_ID]",
        )
        .stdout(MANAGED_AND_OBSERVED)
        .run();
    ws.vpnform(APPLY).any_stdout().any_stderr().run();
    let sent = cloud.wire.sent("UpdateIpsecServer");
    assert_eq!(sent.len(), 1);
    assert_eq!(param(&sent[0], "IpsecServerName"), Some("office"));
    assert_eq!(param(&sent[0], "IpsecServerId"), Some("iss-office"));
    let state = read_state(&ws);
    assert_eq!(
        state.resources["ipsec_server.office"].attributes["name"],
        "office"
    );
    assert_eq!(
        state.resources["ipsec_server.lab"].attributes["name"],
        "lab-console"
    );
    ws.vpnform(&["plan", "--detailed-exitcode"])
        .stdout(NO_CHANGES)
        .run();
}

const MANAGED_AND_OBSERVED: &str = r#"Note: Objects have changed outside of vpnform

vpnform detected the following changes made outside of vpnform since the last
"vpnform apply":

  # ipsec_server.lab has changed
  ~ resource "ipsec_server" "lab" {
      ~ name = "lab" -> "lab-console"
    }

Nothing in this plan changes these back: the desired file does not write these attributes, or already holds their new values. `vpnform apply` records them in the state.

Resource actions are indicated with the following symbols:
  ~ update in-place (UpdateIpsecServer with the changed fields)

vpnform will perform the following actions:

  # ipsec_server.office will be updated in-place
  # (because its managed attributes differ from the desired state)
  ~ resource "ipsec_server" "office" {
      ~ name = "office-console" -> "office"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 0 to add, 1 to change, 0 to destroy, 0 to adopt, 0 to forget.
Plan hash: [HASH]

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
@@ -24,7 +24,7 @@
       ipsec_config.ipsec_lifetime: "86400"
       ipsec_config.ipsec_pfs: group2
       local_subnet: 10.0.0.0/24
-      name: lab
+      name: lab-console
   ipsec_server.office:
     id: iss-office
     region: cn-hangzhou
"#;

/// `--json`: one `resource_drift` line per server changed outside vpnform, before the
/// planned changes, with the attributes' values before and after; never the PSK.
#[test]
fn json_lists_each_server_changed_outside_as_a_resource_drift_line() {
    let (cloud, ws) = setup(DESIRED);
    rename_in_console(&cloud);
    cloud.console("iss-lab", |s| s.client_ip_pool = Some("10.6.0.0/16".into()));
    let out = ws.vpnform(&["plan", "--json"]).any_stdout().run();
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "version",
            "resource_drift",
            "resource_drift",
            "change_summary"
        ]
    );
    let mut drift = lines[1].clone();
    drift["@timestamp"] = "T".into();
    assert_eq!(
        drift,
        serde_json::json!({
            "@level": "info",
            "@message": "ipsec_server.lab: Drift detected (update)",
            "@module": "vpnform.ui",
            "@timestamp": "T",
            "type": "resource_drift",
            "change": {
                "resource": {
                    "addr": "ipsec_server.lab",
                    "resource_type": "ipsec_server",
                    "resource_name": "lab",
                    "module": "",
                    "implied_provider": "alicloud",
                },
                "action": "update",
                "id": "iss-lab",
                "changes": [
                    {"field": "client_ip_pool", "before": "10.9.0.0/16", "after": "10.6.0.0/16"}
                ],
            },
        })
    );
    assert_eq!(
        lines[2]["change"]["resource"]["addr"],
        "ipsec_server.office"
    );
    assert_eq!(
        lines[2]["change"]["changes"],
        serde_json::json!([{"field": "name", "before": "office", "after": "office-console"}])
    );
    assert_eq!(lines[3]["changes"]["change"], 0);
    assert_no_psk(&[&out.stdout, &out.stderr]);
}

/// `--refresh-only` with `--offline`: nothing to refresh, said before anything is read.
#[test]
fn refresh_only_with_offline_is_refused() {
    let (cloud, ws) = setup(DESIRED);
    ws.vpnform(&["plan", "--refresh-only", "--offline"])
        .code(1)
        .stderr(
            "error: --refresh-only cannot be used with --offline: a refresh-only plan records \
             what the cloud answers now, and --offline does not read the cloud, so there is \
             nothing to refresh. Drop --offline to refresh from the cloud, or drop \
             --refresh-only to plan from the files alone\n",
        )
        .run();
    assert!(cloud.wire.calls().is_empty());
}

/// `apply FILE` records what the cloud answers when it runs, never a value the saved plan
/// says: here the file's value is forged (the changes made outside vpnform are not part
/// of the hash, being no action) and the console renamed the server again since.
#[test]
fn apply_file_records_what_the_cloud_answers_never_the_files_values() {
    let (cloud, ws) = setup(DESIRED);
    rename_in_console(&cloud);
    ws.vpnform(&["plan", "--out", "plan.json"])
        .any_stdout()
        .run();
    let text = ws.read("plan.json");
    assert!(text.contains("\"to\": \"office-console\""), "{text}");
    ws.write(
        "plan.json",
        &text.replace("\"to\": \"office-console\"", "\"to\": \"forged\""),
    );
    cloud.console("iss-office", |s| s.name = Some("office-again".into()));
    ws.vpnform(&[APPLY, &["plan.json"]].concat())
        .stdout("\nApply complete! Resources: 0 added, 0 changed, 0 destroyed, 0 adopted, 0 forgotten.\n")
        .stderr("Recorded the attributes the cloud answers for 1 server changed outside vpnform.\n")
        .run();
    assert_eq!(
        ws.read("state/vpnform.state.yaml"),
        recorded()
            .replace("serial: 3", "serial: 4")
            .replace("name: office\n", "name: office-again\n")
    );
    // The plan's list, then apply's read again of the server it names.
    assert_eq!(
        wire_actions(&cloud),
        ["ListIpsecServers", "ListIpsecServers"]
    );
}

/// `apply --refresh-only` asks in Terraform's words for a refresh-only apply; anything
/// but `yes` records nothing.
#[test]
fn apply_refresh_only_asks_to_update_the_state_and_a_no_records_nothing() {
    let (cloud, ws) = setup(DESIRED);
    rename_in_console(&cloud);
    const PROMPT: &str = "\nWould you like to update the vpnform state to reflect these \
        detected changes?\n  vpnform will write these changes to the state without \
        modifying any real infrastructure.\n  Only 'yes' will be accepted to confirm.\n\n  \
        Enter a value: \n";
    ws.vpnform(&["apply", "--refresh-only"])
        .stdin("no\n")
        .code(1)
        .any_stdout()
        .stderr(format!(
            "{PROMPT}error: apply cancelled: nothing was changed\n"
        ))
        .run();
    assert_eq!(ws.read("state/vpnform.state.yaml"), recorded());
    ws.vpnform(&["apply", "--refresh-only"])
        .stdin("yes\n")
        .any_stdout()
        .stderr(format!(
            "{PROMPT}Recorded the attributes the cloud answers for 1 server changed outside \
             vpnform.\n"
        ))
        .run();
    assert_eq!(
        read_state(&ws).resources["ipsec_server.office"].attributes["name"],
        "office-console"
    );
}

/// Regression: an update of one IKE key sent `IkeConfig={"IkePfs":...}` alone, and a
/// cloud that resets the keys left out would have drifted silently. The whole object
/// goes: the cloud's answer of this run (here a console change of an unmanaged key,
/// `IkeEncAlg`, and a `RemoteId`) merged with the change. A saved plan's apply sends the
/// answer it reads again, not the state's record.
#[test]
fn an_update_of_one_ike_key_sends_the_whole_refreshed_object() {
    let desired = DESIRED.replace(
        "    id: iss-office\n",
        "    id: iss-office\n    ike_config: { ike_pfs: group5 }\n",
    );
    let whole = r#"{"IkeVersion":"ikev2","IkeMode":"main","IkeEncAlg":"aes256","IkeAuthAlg":"sha1","IkePfs":"group5","IkeLifetime":86400,"LocalId":"198.51.100.10","RemoteId":"office-peer"}"#;
    let console = |cloud: &Cloud| {
        cloud.console("iss-office", |s| {
            s.ike_config.ike_enc_alg = "aes256".into();
            s.ike_config.remote_id = "office-peer".into();
        })
    };
    let sent = |cloud: &Cloud| -> Vec<(Option<String>, Option<String>)> {
        cloud
            .wire
            .sent("UpdateIpsecServer")
            .iter()
            .map(|c| {
                (
                    param(c, "IkeConfig").map(str::to_owned),
                    param(c, "IpsecConfig").map(str::to_owned),
                )
            })
            .collect()
    };

    let (cloud, ws) = setup(&desired);
    console(&cloud);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(sent(&cloud), [(Some(whole.to_owned()), None)]);
    let attributes = &read_state(&ws).resources["ipsec_server.office"].attributes;
    assert_eq!(
        (
            attributes["ike_config.ike_pfs"].as_str(),
            attributes["ike_config.ike_enc_alg"].as_str()
        ),
        ("group5", "aes256")
    );

    let (cloud, ws) = setup(&desired);
    ws.vpnform(&["plan", "--out", "plan.json"])
        .any_stdout()
        .run();
    console(&cloud);
    let out = ws.run(&[APPLY, &["plan.json"]].concat());
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(sent(&cloud), [(Some(whole.to_owned()), None)]);
}
