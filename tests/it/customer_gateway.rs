//! Customer gateways, the second kind vpnform manages (issue 22): created, updated in
//! place, replaced destroy first when their IP address changes, deleted, adopted by id
//! and forgotten when gone, all through the one planner and executor; no DryRun ever
//! sent (the API has none), each mutation once, with its token.

use std::time::Duration;

use vpnform::sandbox::World;

use crate::support::{Cloud, Workspace, configuring, param, read_state};

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

fn cloud() -> Cloud {
    Cloud::start(configuring(Duration::from_millis(100)), World::default())
}

fn desired(entries: &str) -> String {
    format!("version: 1\ndefaults:\n  region: cn-hangzhou\ncustomer_gateways:\n{entries}")
}

/// The mutations the sandbox saw, in order, DryRuns marked.
fn mutations(cloud: &Cloud) -> Vec<String> {
    cloud
        .wire
        .calls()
        .iter()
        .filter(|c| !c.action.starts_with("Describe") && !c.action.starts_with("List"))
        .map(|c| match param(c, "DryRun") {
            Some(dry) => format!("{} DryRun={dry}", c.action),
            None => c.action.clone(),
        })
        .collect()
}

fn customer_gateways(cloud: &Cloud) -> Vec<(String, String, Option<String>)> {
    cloud
        .sandbox()
        .world()
        .customer_gateways
        .iter()
        .map(|(id, g)| (id.clone(), g.ip_address.clone(), g.name.clone()))
        .collect()
}

#[test]
fn a_customer_gateway_is_created_updated_replaced_and_deleted() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired("  branch: {ip_address: 203.0.113.7, asn: 65001, name: branch}\n"),
        )
        .against(&cloud);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let state = read_state(&ws);
    let created = &state.resources["customer_gateway.branch"];
    assert!(created.id.starts_with("cgw-"), "{created:?}");
    assert_eq!(
        created.vpn_gateway, "",
        "a customer gateway is on no gateway"
    );
    assert_eq!(created.attributes["ip_address"], "203.0.113.7");
    assert_eq!(created.attributes["asn"], "65001");
    assert_eq!(
        customer_gateways(&cloud),
        [(
            created.id.clone(),
            "203.0.113.7".to_owned(),
            Some("branch".to_owned())
        )]
    );
    assert_eq!(mutations(&cloud), ["CreateCustomerGateway"]);
    assert!(
        !ws.read("state/vpnform.state.yaml").contains("vpn_gateway"),
        "the state writes no gateway for it"
    );

    // A new name: one modify, in place, shown as the plan shows every update.
    ws.write(
        "vpnform.yaml",
        &desired("  branch: {ip_address: 203.0.113.7, asn: 65001, name: branch-office}\n"),
    );
    ws.vpnform(&["plan"])
        .filter(r"Plan hash: [0-9a-f]{64}", "Plan hash: [HASH]")
        .filter(r"serial: \d+", "serial: [N]")
        .filter(r"@@ -\d+,\d+ \+\d+,\d+ @@", "@@ [LINES] @@")
        .stdout(format!(
            r#"Resource actions are indicated with the following symbols:
  ~ update in-place (ModifyCustomerGatewayAttribute with the changed fields)

vpnform will perform the following actions:

  # customer_gateway.branch will be updated in-place
  # (because its managed attributes differ from the desired state)
  ~ resource "customer_gateway" "branch" {{
      ~ name = "branch" -> "branch-office"
    }}
    precheck: model only (the API has no DryRun)

Plan: 0 to add, 1 to change, 0 to destroy, 0 to adopt, 0 to forget.
Plan hash: [HASH]

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ [LINES] @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: {}
-serial: [N]
+serial: [N]
 resources:
   customer_gateway.branch:
     id: {}
@@ [LINES] @@
       asn: "65001"
       create_time: "{}"
       ip_address: "203.0.113.7"
-      name: branch
+      name: branch-office
 pending: []
"#,
            state.lineage, created.id, created.attributes["create_time"]
        ))
        .any_stderr()
        .run();
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        mutations(&cloud),
        ["CreateCustomerGateway", "ModifyCustomerGatewayAttribute"]
    );
    assert_eq!(
        read_state(&ws).resources["customer_gateway.branch"].attributes["name"],
        "branch-office"
    );

    // A new IP address replaces it, the old one destroyed first: a region holds one
    // customer gateway per address, and the id changes.
    ws.write(
        "vpnform.yaml",
        &desired("  branch: {ip_address: 203.0.113.9, asn: 65001, name: branch-office}\n"),
    );
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains(
            "  # customer_gateway.branch must be replaced\n  # (because its ip_address changed in the desired state, which cannot change in place: the old customer gateway is destroyed before the new one is created, as a region holds one customer gateway per IP address)\n"
        ),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        mutations(&cloud)[2..],
        ["DeleteCustomerGateway", "CreateCustomerGateway"]
    );
    let replaced = read_state(&ws).resources["customer_gateway.branch"].clone();
    assert_ne!(replaced.id, created.id);
    assert_eq!(
        customer_gateways(&cloud),
        [(
            replaced.id.clone(),
            "203.0.113.9".to_owned(),
            Some("branch-office".to_owned())
        )]
    );

    // Removed from the desired file: deleted.
    ws.write("vpnform.yaml", &desired("  {}\n"));
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(read_state(&ws).resources.is_empty());
    assert!(customer_gateways(&cloud).is_empty());
    assert_eq!(
        mutations(&cloud)[4..],
        ["DeleteCustomerGateway"],
        "each mutation once, and no DryRun anywhere"
    );
}

#[test]
fn an_existing_customer_gateway_is_adopted_by_id_and_forgotten_when_gone() {
    let cloud = cloud();
    cloud.sandbox().shared().edit_world(|w| {
        w.add_customer_gateway("cgw-existing", "cn-hangzhou", "198.51.100.20")
            .name = Some("hq".into());
    });
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired("  hq: {id: cgw-existing}\n"))
        .against(&cloud);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let adopted = &read_state(&ws).resources["customer_gateway.hq"];
    assert_eq!(adopted.id, "cgw-existing");
    assert_eq!(adopted.attributes["ip_address"], "198.51.100.20");
    assert_eq!(adopted.attributes["name"], "hq");
    assert!(mutations(&cloud).is_empty(), "an adopt changes nothing");

    // Deleted in the console: the next plan forgets it.
    cloud.sandbox().shared().edit_world(|w| {
        w.customer_gateways.remove("cgw-existing");
    });
    ws.write("vpnform.yaml", &desired("  {}\n"));
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains(
            "Apply complete! Resources: 0 added, 0 changed, 0 destroyed, 0 adopted, 1 forgotten."
        ),
        "{}",
        out.stdout
    );
    assert!(read_state(&ws).resources.is_empty());
    assert!(mutations(&cloud).is_empty());
}

#[test]
fn an_id_of_a_customer_gateway_the_cloud_does_not_have_fails_the_plan() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired("  hq: {id: cgw-nothere}\n"))
        .against(&cloud);
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(
            "customer_gateway.hq: customer gateway cgw-nothere does not exist in cn-hangzhou (DescribeCustomerGateways does not list it); check the `id` in vpnform.yaml"
        ),
        "{}",
        out.stderr
    );
}

/// A create whose answer is lost after it took effect is journaled without an id; the
/// next apply re-sends it with its token and records the one gateway the cloud made.
#[test]
fn a_lost_create_answer_makes_one_customer_gateway() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired("  branch: {ip_address: 203.0.113.7}\n"),
        )
        .against(&cloud);
    cloud.sandbox().inject(vpnform::sandbox::Injection {
        action: Some("CreateCustomerGateway".into()),
        status: 500,
        code: "InternalError".into(),
        retry_after: None,
        after_effect: true,
        times: 5,
    });
    let first = ws.run(APPLY);
    assert_eq!(first.code, 1, "{first:?}");
    let state = read_state(&ws);
    assert_eq!(state.pending.len(), 1, "{state:?}");
    assert_eq!(state.pending[0].action, "create");
    let token = state.pending[0].client_token.clone();

    let second = ws.run(APPLY);
    assert_eq!(second.code, 0, "{second:?}");
    let state = read_state(&ws);
    assert!(state.pending.is_empty(), "{state:?}");
    let gateways = customer_gateways(&cloud);
    assert_eq!(gateways.len(), 1, "one gateway, not two: {gateways:?}");
    assert_eq!(state.resources["customer_gateway.branch"].id, gateways[0].0);
    let tokens: Vec<String> = cloud
        .wire
        .sent("CreateCustomerGateway")
        .iter()
        .filter_map(|c| param(c, "ClientToken").map(str::to_owned))
        .collect();
    assert!(tokens.iter().all(|t| *t == token), "{tokens:?}");
}

#[test]
fn two_entries_at_one_ip_address_are_refused_with_both_named() {
    let ws = Workspace::new().file(
        "vpnform.yaml",
        &desired("  a: {ip_address: 203.0.113.7}\n  b: {ip_address: 203.0.113.7}\n"),
    );
    ws.vpnform(&["validate"])
        .code(1)
        .stderr(
            "error: vpnform.yaml:6:19: customer_gateway.a and customer_gateway.b both have `ip_address: 203.0.113.7` in cn-hangzhou, and a region holds one customer gateway per IP address
  |
6 |   b: {ip_address: 203.0.113.7}
  |                   ^^^^^^^^^^^
  = help: keep one entry for the address (`depends_on` and connections can name it by address)
",
        )
        .run();
}

#[test]
fn state_mv_keeps_an_address_within_its_kind() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired("  branch: {ip_address: 203.0.113.7}\n"),
        )
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    let before = ws.read("state/vpnform.state.yaml");
    ws.vpnform(&["state", "mv", "customer_gateway.branch", "ipsec_server.branch"])
        .code(1)
        .stderr("error: `vpnform state mv` renames an address within its kind: customer_gateway.branch cannot become ipsec_server.branch, an address of another kind. Nothing was changed.\n")
        .run();
    assert_eq!(ws.read("state/vpnform.state.yaml"), before);
    ws.vpnform(&[
        "state",
        "mv",
        "customer_gateway.branch",
        "customer_gateway.office",
    ])
    .any_stdout()
    .any_stderr()
    .run();
    assert!(
        read_state(&ws)
            .resources
            .contains_key("customer_gateway.office")
    );
}

/// The BGP key by source, as a PSK: sent on the create, compared with the cloud's in
/// memory, set again when changed outside vpnform; never in the output or the state.
#[test]
fn a_bgp_auth_key_is_sent_compared_and_never_shown() {
    const KEY: &str = "bgp-auth-key-canary-41";
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired("  branch: {ip_address: 203.0.113.7, asn: 65001, auth_key: {env: BRANCH_BGP_KEY}}\n"),
        )
        .env("BRANCH_BGP_KEY", KEY)
        .against(&cloud);
    let plan = ws.run(&["plan"]);
    assert!(
        plan.stdout
            .contains("      + auth_key   = (sensitive, from env BRANCH_BGP_KEY)\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let id = read_state(&ws).resources["customer_gateway.branch"]
        .id
        .clone();
    let key_of = |cloud: &Cloud| {
        cloud.sandbox().world().customer_gateways[&id]
            .auth_key
            .as_ref()
            .map(|k| k.expose().to_owned())
    };
    assert_eq!(key_of(&cloud).as_deref(), Some(KEY));
    cloud.sandbox().shared().edit_world(|w| {
        w.customer_gateways.get_mut(&id).unwrap().auth_key = Some("console-key".into());
    });
    let plan = ws.run(&["plan"]);
    assert!(
        plan.stdout
            .contains("      ~ auth_key = (sensitive value changed)\n"),
        "{}",
        plan.stdout
    );
    assert_eq!(ws.run(APPLY).code, 0);
    assert_eq!(key_of(&cloud).as_deref(), Some(KEY));
    for text in [
        plan.stdout,
        plan.stderr,
        out.stdout,
        out.stderr,
        ws.read("state/vpnform.state.yaml"),
    ] {
        assert!(
            !text.contains(KEY) && !text.contains("console-key"),
            "{text}"
        );
    }
    for call in cloud.wire.calls() {
        assert!(!format!("{:?}", call.params).contains(KEY), "{call:?}");
    }
}

/// The JSON plan names a customer gateway's secret by its own name, never the key.
#[test]
fn the_json_plan_names_the_auth_key_by_its_name() {
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired("  branch: {ip_address: 203.0.113.7, auth_key: {env: BRANCH_BGP_KEY}}\n"),
        )
        .env("BRANCH_BGP_KEY", "json-bgp-canary");
    let out = ws.run(&["plan", "--offline", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains(r#""auth_key":{"changed":true,"source":"env BRANCH_BGP_KEY"}"#),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("\"psk\"") && !out.stdout.contains("json-bgp-canary"));
}

/// The family's unmanaged resources are counted like IPsec servers are: a workspace
/// with customer gateways hears of the ones no address records, and the import that
/// adopts them; after it, nothing is left to say.
#[test]
fn a_plan_counts_the_customer_gateways_it_does_not_manage() {
    let mut world = World::default();
    world.add_customer_gateway("cgw-console1", "cn-hangzhou", "203.0.113.31");
    world.add_customer_gateway("cgw-console2", "cn-hangzhou", "203.0.113.32");
    let cloud = Cloud::start(configuring(Duration::from_millis(100)), world);
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired("  branch: {ip_address: 203.0.113.7}\n"),
        )
        .against(&cloud);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let note = "\nNote: 2 customer gateways in the refreshed regions are not managed by vpnform either. `vpnform import --kind customer_gateway` prints desired entries for them (`--write` appends them), and the next plan adopts them.\n";
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.ends_with(note), "{}", plan.stdout);
    let json = ws.run(&["plan", "--json"]);
    let event: serde_json::Value = json
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "unmanaged_resources")
        .expect("an unmanaged_resources line");
    assert_eq!(
        event["unmanaged"],
        serde_json::json!({"total": 2, "kinds": {"customer_gateway": 2}})
    );
    let out = ws.run(&["import", "--kind", "customer_gateway", "--write"]);
    assert_eq!(out.code, 0, "{out:?}");
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(!plan.stdout.contains("Note:"), "{}", plan.stdout);
    assert!(plan.stdout.contains("2 to adopt"), "{}", plan.stdout);
}
