//! Hostile inputs: forged saved plans and journal entries.
//!
//! The plan hash is a public SHA-256 that anyone can recompute, so every forgery here
//! recomputes it (and the ClientTokens) exactly as docs/plan-and-apply.md says, with [`reseal`]. What
//! must stop a forged plan is the state and the desired file: apply and show derive the
//! plan again from them. Each test runs the real binary against an in-process sandbox
//! and proves from its audit log that no delete took effect.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest as _, Sha256};
use vpnform::sandbox;

use crate::support::{Cloud, Output, Workspace, configuring, world_of};

/// `keep` is protected and desired, `s1` and `s2` (which depends on `s1`) are to be
/// deleted, and `new` is desired with an id but not recorded: an adopt.
const STATE: &str = "\
version: 1
lineage: 6a0f3e1c-2b4d-4e5f-8a9b-0c1d2e3f4a5b
serial: 3
resources:
  ipsec_server.keep:
    id: iss-keep
    region: cn-hangzhou
    vpn_gateway: vpn-g3
    protect: true
    attributes:
      name: keep
  ipsec_server.s1:
    id: iss-s1
    region: cn-hangzhou
    vpn_gateway: vpn-g1
    attributes:
      name: s1
  ipsec_server.s2:
    id: iss-s2
    region: cn-hangzhou
    vpn_gateway: vpn-g2
    depends_on:
    - ipsec_server.s1
    attributes:
      name: s2
pending: []
";

const DESIRED: &str = "\
version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  keep:
    id: iss-keep
    vpn_gateway: vpn-g3
    protect: true
  new:
    id: iss-new
    vpn_gateway: vpn-g4
";

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

/// The sandbox, its world [`STATE`]'s servers plus `new`.
fn cloud() -> Cloud {
    let mut world = world_of(STATE);
    world.add_gateway("vpn-g4", "cn-hangzhou");
    let mut new = sandbox::IpsecServer::new("vpn-g4");
    new.name = Some("new".into());
    world.ipsec_servers.insert("iss-new".into(), new);
    Cloud::start(configuring(Duration::from_millis(100)), world)
}

/// The servers every delete that took effect acted on.
fn deleted(cloud: &Cloud) -> Vec<String> {
    cloud.deletes().into_iter().map(|e| e.resource).collect()
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Recomputes `plan_hash` and every `client_token` of a saved plan exactly as
/// docs/plan-and-apply.md says: SHA-256 over the compact JSON `{"lineage","serial","actions":[{"address","kind",
/// "action","id","region","gateway","depends_on"}...]}`, keys in that order, actions
/// sorted by address; a token is `vpnform-` + 32 hex digits of
/// SHA-256(`plan_hash:address:action`).
fn reseal(plan: &mut Value) {
    let s = |v: &Value| serde_json::to_string(v).unwrap();
    let mut actions: Vec<&Value> = plan["actions"].as_array().unwrap().iter().collect();
    actions.sort_by_key(|a| a["address"].as_str().unwrap().to_owned());
    let actions: Vec<String> = actions
        .into_iter()
        .map(|a| {
            format!(
                "{{\"address\":{},\"kind\":{},\"action\":{},\"id\":{},\"region\":{},\
                 \"gateway\":{},\"depends_on\":{}}}",
                s(&a["address"]),
                s(&a["resource_kind"]),
                s(&a["action"]),
                s(&a["id"]),
                s(&a["region"]),
                s(&a["vpn_gateway"]),
                s(&a["depends_on"])
            )
        })
        .collect();
    let canonical = format!(
        "{{\"lineage\":{},\"serial\":{},\"desired_path\":{},\"actions\":[{}]}}",
        s(&plan["lineage"]),
        s(&plan["serial"]),
        s(&plan["desired_path"]),
        actions.join(",")
    );
    let hash = sha256_hex(&canonical);
    let lineage = plan["lineage"].as_str().unwrap().to_owned();
    for action in plan["actions"].as_array_mut().unwrap() {
        let input = format!(
            "{lineage}:{hash}:{}:{}",
            action["address"].as_str().unwrap(),
            action["action"].as_str().unwrap()
        );
        action["client_token"] = Value::from(format!("vpnform-{}", &sha256_hex(&input)[..32]));
    }
    plan["plan_hash"] = Value::from(hash);
}

/// Makes `plan.json` online, then rewrites it with `edit` and a recomputed hash.
fn forge(ws: &Workspace, edit: impl FnOnce(&mut Vec<Value>)) {
    let out = ws.run(&["plan", "--out", "plan.json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut plan: Value = serde_json::from_str(&ws.read("plan.json")).unwrap();
    // The helper recomputes what vpnform computed for the untouched plan.
    let mut same = plan.clone();
    reseal(&mut same);
    assert_eq!(same, plan, "reseal follows the documented formula");
    let mut actions = plan["actions"].as_array().unwrap().clone();
    edit(&mut actions);
    plan["actions"] = Value::from(actions);
    reseal(&mut plan);
    ws.write(
        "plan.json",
        &format!("{}\n", serde_json::to_string_pretty(&plan).unwrap()),
    );
}

fn action<'a>(actions: &'a mut [Value], address: &str) -> &'a mut Value {
    actions
        .iter_mut()
        .find(|a| a["address"] == address)
        .unwrap_or_else(|| panic!("no action for {address}"))
}

/// Runs `args`, asserting it fails with exactly `error: {message}`, no delete was sent or
/// took effect, and the state file is as it was.
fn assert_refused(cloud: &Cloud, ws: &Workspace, args: &[&str], message: &str) -> Output {
    let before = ws.read("state/vpnform.state.yaml");
    let sent = cloud.sent_deletes().len();
    let out = ws.run(args);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stderr, format!("error: {message}\n"));
    assert_eq!(out.stdout, "");
    assert_eq!(cloud.sent_deletes().len(), sent);
    assert_eq!(deleted(cloud), Vec::<String>::new());
    assert_eq!(ws.read("state/vpnform.state.yaml"), before);
    out
}

fn apply_plan() -> Vec<&'static str> {
    let mut args = APPLY.to_vec();
    args.push("plan.json");
    args
}

/// The refusal of a saved plan that differs from the derived one in `lines`.
fn differs(lines: &[&str]) -> String {
    format!(
        "the saved plan plan.json does not match the plan that the state in state and \
         vpnform.yaml give now, so it is not trusted:\n{}\nA saved plan is checked against \
         the files it was made from, whatever its hash says (the hash is public); make a new \
         plan with `vpnform plan --out FILE` and review it",
        lines
            .iter()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// Appends a delete of `keep` (protected, still desired) to the saved plan.
fn append_protected_delete(actions: &mut Vec<Value>) {
    let mut delete = action(actions, "ipsec_server.s1").clone();
    delete["address"] = "ipsec_server.keep".into();
    delete["id"] = "iss-keep".into();
    delete["vpn_gateway"] = "vpn-g3".into();
    delete["depends_on"] = Value::Array(vec![]);
    actions.push(delete);
}

#[test]
fn regression_a_forged_plan_with_a_protected_delete_appended_deleted_it() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    forge(&ws, append_protected_delete);
    assert_refused(
        &cloud,
        &ws,
        &apply_plan(),
        &differs(&["ipsec_server.keep: action: the saved plan has delete, the files give none"]),
    );
}

#[test]
fn regression_show_called_a_forged_plan_valid() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    forge(&ws, append_protected_delete);
    let message =
        differs(&["ipsec_server.keep: action: the saved plan has delete, the files give none"]);
    assert_refused(&cloud, &ws, &["show", "plan.json"], &message);
    // Machine readers get the same refusal; nothing of the forged plan is printed.
    let out = ws.run(&["show", "--json", "plan.json"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, format!("error: {message}\n"));
}

#[test]
fn regression_a_forged_plan_that_turned_an_adopt_into_a_delete_deleted_the_server() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    forge(&ws, |actions| {
        let new = action(actions, "ipsec_server.new");
        new["action"] = "delete".into();
        new["attributes"] = Value::Object(Default::default());
    });
    assert_refused(
        &cloud,
        &ws,
        &apply_plan(),
        &differs(&["ipsec_server.new: action: the saved plan has delete, the files give adopt"]),
    );
    assert!(
        cloud
            .sandbox()
            .world()
            .ipsec_servers
            .contains_key("iss-new")
    );
}

#[test]
fn regression_a_forged_plan_with_depends_on_emptied_deleted_out_of_order() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    forge(&ws, |actions| {
        action(actions, "ipsec_server.s2")["depends_on"] = Value::Array(vec![]);
    });
    assert_refused(
        &cloud,
        &ws,
        &apply_plan(),
        &differs(&[
            "ipsec_server.s2: depends_on: the saved plan has [], the files give \
             [ipsec_server.s1]",
        ]),
    );
}

#[test]
fn regression_a_forged_plan_with_a_region_changed_sent_the_delete_elsewhere() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    forge(&ws, |actions| {
        action(actions, "ipsec_server.s1")["region"] = "cn-shanghai".into();
    });
    assert_refused(
        &cloud,
        &ws,
        &apply_plan(),
        &differs(&[
            "ipsec_server.s1: region: the saved plan has cn-shanghai, the files give \
             cn-hangzhou",
        ]),
    );
}

#[test]
fn regression_a_forged_plan_with_an_id_changed_deleted_the_protected_server() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    forge(&ws, |actions| {
        let s1 = action(actions, "ipsec_server.s1");
        s1["id"] = "iss-keep".into();
        s1["vpn_gateway"] = "vpn-g3".into();
    });
    assert_refused(
        &cloud,
        &ws,
        &apply_plan(),
        &differs(&[
            "ipsec_server.s1: id: the saved plan has iss-keep, the files give iss-s1",
            "ipsec_server.s1: vpn_gateway: the saved plan has vpn-g3, the files give vpn-g1",
        ]),
    );
}

#[test]
fn regression_a_forged_plan_with_recomputed_tokens_ran_with_tokens_no_plan_made() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    let mut planned = Vec::new();
    forge(&ws, |actions| {
        planned = actions.iter().map(|a| a["client_token"].clone()).collect();
        // A hashed field no one reads changes the hash, so every token changes with it.
        action(actions, "ipsec_server.s1")["resource_kind"] = "ipsec_server_".into();
    });
    let forged: Value = serde_json::from_str(&ws.read("plan.json")).unwrap();
    let forged: Vec<Value> = forged["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["client_token"].clone())
        .collect();
    assert!(forged.iter().zip(&planned).all(|(f, p)| f != p));
    assert_refused(
        &cloud,
        &ws,
        &apply_plan(),
        &differs(&[
            "ipsec_server.s1: kind: the saved plan has ipsec_server_, the files give ipsec_server",
        ]),
    );
}

#[test]
fn regression_a_forged_forget_dropped_a_server_the_cloud_still_lists() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    forge(&ws, |actions| {
        let s1 = action(actions, "ipsec_server.s1");
        s1["action"] = "forget".into();
        s1["reason"] = "gone from the cloud at refresh".into();
        s1["precheck"] = serde_json::json!({"result": "skipped"});
    });
    // The forget agrees with the files (they cannot say what the cloud holds): only the
    // cloud can refute it, and apply reads it again before dropping anything.
    assert_refused(
        &cloud,
        &ws,
        &apply_plan(),
        "the saved plan plan.json does not match the cloud now, so nothing was applied:\n  \
         ipsec_server.s1: the saved plan forgets iss-s1 as gone from the cloud, but \
         ListIpsecServers lists it in cn-hangzhou (on vpn-g1); it stays in the state\n\
         Make a new plan with `vpnform plan --out FILE` and review it",
    );
}

#[test]
fn regression_a_forged_adopt_recorded_attributes_the_cloud_never_answered() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    forge(&ws, |actions| {
        action(actions, "ipsec_server.new")["attributes"]["name"] = "office".into();
    });
    assert_refused(
        &cloud,
        &ws,
        &apply_plan(),
        "the saved plan plan.json does not match the cloud now, so nothing was applied:\n  \
         ipsec_server.new: the saved plan records name = \"office\" for iss-new, \
         ListIpsecServers answers \"new\"\n\
         Make a new plan with `vpnform plan --out FILE` and review it",
    );
}

#[test]
fn regression_an_offline_saved_plan_adopted_a_server_that_does_not_exist() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    cloud.sandbox().shared().edit_world(|w| {
        w.ipsec_servers.remove("iss-new");
    });
    let out = ws.run(&["plan", "--offline", "--out", "plan.json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let before = ws.read("state/vpnform.state.yaml");
    let out = ws.run(&apply_plan());
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            1,
            "",
            "warning: the saved plan plan.json was made with --offline: the cloud was not read \
             and no delete was prechecked with DryRun\n\
             error: the saved plan plan.json does not match the cloud now, so nothing was \
             applied:\n  ipsec_server.new: the saved plan adopts iss-new, but ListIpsecServers \
             does not list it in cn-hangzhou\n\
             Make a new plan with `vpnform plan --out FILE` and review it\n"
        )
    );
    assert_eq!(cloud.sent_deletes().len(), 0);
    assert_eq!(ws.read("state/vpnform.state.yaml"), before);
}

#[test]
fn a_saved_online_plan_with_a_real_forget_and_an_adopt_applies() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    cloud.sandbox().shared().edit_world(|w| {
        w.ipsec_servers.remove("iss-s1");
    });
    let out = ws.run(&["plan", "--out", "plan.json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = ws.run(&apply_plan());
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.ends_with(
            "Apply complete! Resources: 0 added, 0 changed, 1 destroyed, 1 adopted, 1 forgotten.\n"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(deleted(&cloud), vec!["iss-s2".to_string()]);
    let state = vpnform::state::parse(
        Path::new("state.yaml"),
        &ws.read("state/vpnform.state.yaml"),
    )
    .unwrap();
    let addresses: Vec<&str> = state.resources.keys().map(|a| a.as_str()).collect();
    assert_eq!(addresses, vec!["ipsec_server.keep", "ipsec_server.new"]);
    assert_eq!(
        state.resources["ipsec_server.new"].attributes.get("name"),
        Some(&"new".to_string())
    );
}

#[test]
fn regression_max_deletes_was_ignored_for_a_saved_plan() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    let out = ws.run(&["plan", "--out", "plan.json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut args = APPLY.to_vec();
    args.extend(["--max-deletes", "1", "plan.json"]);
    assert_refused(
        &cloud,
        &ws,
        &args,
        "the plan would delete 2 IPsec servers, more than --max-deletes 1 allows; check the \
         desired file, or raise --max-deletes if this is intended",
    );
}

// ---------------------------------------------------------------------------------------
// Forged journal entries (`pending` in the state).

/// Writes the state with `entry` (YAML lines of one `pending` item) as its journal.
fn with_pending(ws: &Workspace, entry: &str) {
    let state = STATE.replace("pending: []\n", &format!("pending:\n{entry}"));
    ws.write("state/vpnform.state.yaml", &state);
}

/// A journaled delete as a forger who read the state writes one: with the token this
/// state's lineage gives it, so that only the check under test refuses it.
fn pending_entry(address: &str, id: &str, gateway: &str) -> String {
    let lineage = STATE
        .lines()
        .find_map(|l| l.strip_prefix("lineage: "))
        .expect("the state has a lineage");
    let hash = "0".repeat(64);
    let token = vpnform::plan::client_token(lineage, &hash, address, "delete");
    format!(
        "- address: {address}\n  action: delete\n  id: {id}\n  region: cn-hangzhou\n  \
         vpn_gateway: {gateway}\n  client_token: {token}\n  plan_hash: {hash}\n  \
         started_at: 2026-11-28T00:00:00Z\n"
    )
}

fn corrupt(entries: &[&str]) -> String {
    format!(
        "the state file state/vpnform.state.yaml is corrupt: its `pending` journal has {} \
         that vpnform would not have written, so nothing was applied:\n{}\n{} Restore \
         the state from git (`git log -p -- state/vpnform.state.yaml`), or remove the entries \
         from `pending` if you know no such operation was sent",
        if entries.len() == 1 {
            "an entry".to_string()
        } else {
            format!("{} entries", entries.len())
        },
        entries
            .iter()
            .map(|e| format!("  {e}"))
            .collect::<Vec<_>>()
            .join("\n"),
        vpnform::apply::JOURNALED
    )
}

#[test]
fn regression_a_pending_delete_of_a_protected_desired_server_deleted_it() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    with_pending(
        &ws,
        &pending_entry("ipsec_server.keep", "iss-keep", "vpn-g3"),
    );
    let message = corrupt(&[
        "pending entry 1 (ipsec_server.keep): address: a delete of a protected server \
         (`protect: true` in the state)",
    ]);
    assert_refused(&cloud, &ws, APPLY, &message);
    // Planning does not list it as an operation apply would resolve, online or offline.
    assert_refused(&cloud, &ws, &["plan"], &message);
    assert_refused(&cloud, &ws, &["plan", "--offline"], &message);
    assert!(
        cloud
            .sandbox()
            .world()
            .ipsec_servers
            .contains_key("iss-keep")
    );
}

#[test]
fn regression_a_pending_delete_of_an_unknown_address_was_reported_destroyed() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    with_pending(
        &ws,
        &pending_entry("ipsec_server.ghost", "iss-ghost", "vpn-g1"),
    );
    let out = assert_refused(
        &cloud,
        &ws,
        APPLY,
        &corrupt(&[
            "pending entry 1 (ipsec_server.ghost): address: the state records no resource at \
             this address",
        ]),
    );
    assert!(!out.stderr.contains("Destruction complete"));
}

#[test]
fn regression_a_pending_delete_with_another_id_was_dropped_silently() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    with_pending(
        &ws,
        &pending_entry("ipsec_server.s1", "iss-nothere", "vpn-g1"),
    );
    assert_refused(
        &cloud,
        &ws,
        APPLY,
        &corrupt(&[
            "pending entry 1 (ipsec_server.s1): id: iss-nothere differs from the recorded id \
             iss-s1",
        ]),
    );
}

#[test]
fn regression_a_pending_entry_planted_after_a_saved_plan_ran_with_it() {
    let cloud = cloud();
    let ws = cloud.workspace(STATE, DESIRED);
    let out = ws.run(&["plan", "--out", "plan.json"]);
    assert_eq!(out.code, 0, "{out:?}");
    // The serial stays: the forger keeps the plan fresh.
    with_pending(&ws, &pending_entry("ipsec_server.s1", "iss-keep", "vpn-g3"));
    assert_refused(
        &cloud,
        &ws,
        &apply_plan(),
        &corrupt(&[
            "pending entry 1 (ipsec_server.s1): id: iss-keep differs from the recorded id \
             iss-s1",
            "pending entry 1 (ipsec_server.s1): vpn_gateway: vpn-g3 differs from the recorded \
             vpn_gateway vpn-g1",
        ]),
    );
}
