//! IPsec connections (issue 22), single tunnel, through the one planner and executor:
//! a customer gateway named by address is created first and deleted last; a subnet
//! change is one ModifyVpnConnectionAttribute; another customer gateway replaces the
//! connection; only the create is prechecked with DryRun; a gateway holds an IPsec
//! server or connections, never both, and a server waits for the connections the plan
//! deletes on its gateway.

use std::time::Duration;

use vpnform::sandbox::World;

use crate::support::{Cloud, Workspace, configuring, param, read_state};

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];
const PSK: &str = "branch-psk-canary-7c1e";

fn cloud() -> Cloud {
    let mut world = World::default();
    world.add_gateway("vpn-hz", "cn-hangzhou");
    world.add_gateway("vpn-sh", "cn-hangzhou");
    Cloud::start(configuring(Duration::from_millis(200)), world)
}

fn desired(customer_gateways: &str, connections: &str) -> String {
    format!(
        "version: 1\ndefaults:\n  region: cn-hangzhou\ncustomer_gateways:\n{customer_gateways}vpn_connections:\n{connections}"
    )
}

const BRANCH: &str = "  branch: {ip_address: 203.0.113.7}\n";

fn connection(customer_gateway: &str, remote_subnet: &str) -> String {
    format!(
        "  branch:\n    vpn_gateway: vpn-hz\n    customer_gateway: {customer_gateway}\n    local_subnet: [10.0.0.0/16]\n    remote_subnet: [{remote_subnet}]\n    psk: {{env: BRANCH_PSK}}\n    name: branch\n"
    )
}

/// The effects the sandbox made, in order: `action resource`.
fn effects(cloud: &Cloud) -> Vec<String> {
    cloud
        .sandbox()
        .audit()
        .iter()
        .map(|e| e.action.clone())
        .collect()
}

#[test]
fn a_connection_to_a_customer_gateway_by_address_is_created_after_it_and_deleted_before_it() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired(
                BRANCH,
                &connection("customer_gateway.branch", "192.168.0.0/24"),
            ),
        )
        .env("BRANCH_PSK", PSK)
        .against(&cloud);
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains(
            "      + customer_gateway = (known after apply) (customer_gateway.branch)\n"
        ) && plan.stdout.contains(
            "    waits for: customer_gateway.branch\n    precheck: not run: it names a resource this plan creates first\n"
        ),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud),
        ["CreateCustomerGateway", "CreateVpnConnection"]
    );
    let state = read_state(&ws);
    let cgw = state.resources["customer_gateway.branch"].id.clone();
    let vco = &state.resources["vpn_connection.branch"];
    assert!(vco.id.starts_with("vco-"), "{vco:?}");
    assert_eq!(vco.vpn_gateway, "vpn-hz");
    assert_eq!(vco.attributes["customer_gateway"], cgw, "recorded by id");
    assert_eq!(vco.attributes["remote_subnet"], "192.168.0.0/24");
    let world = cloud.sandbox().world();
    let made = &world.vpn_connections[&vco.id];
    assert_eq!(made.customer_gateway.as_deref(), Some(cgw.as_str()));
    assert_eq!(made.psk.as_ref().map(|p| p.expose()), Some(PSK));
    assert!(
        !ws.read("state/vpnform.state.yaml").contains(PSK),
        "the PSK is in the state"
    );

    // A new remote subnet: one modify, in place, with no DryRun (the API has none).
    ws.write(
        "vpnform.yaml",
        &desired(
            BRANCH,
            &connection("customer_gateway.branch", "192.168.9.0/24"),
        ),
    );
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains(
            "  ~ resource \"vpn_connection\" \"branch\" {\n      ~ remote_subnet = \"192.168.0.0/24\" -> \"192.168.9.0/24\"\n    }\n    precheck: model only (the API has no DryRun)\n"
        ),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud)[2..],
        ["ModifyVpnConnectionAttribute"],
        "one modify"
    );
    assert_eq!(
        read_state(&ws).resources["vpn_connection.branch"].attributes["remote_subnet"],
        "192.168.9.0/24"
    );

    // Removing both deletes the connection first, then its customer gateway.
    ws.write("vpnform.yaml", &desired("  {}\n", "  {}\n"));
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud)[3..],
        ["DeleteVpnConnection", "DeleteCustomerGateway"]
    );
    assert!(read_state(&ws).resources.is_empty());

    // DryRun went to CreateVpnConnection alone (and the IPsec server calls, none here).
    for call in cloud.wire.calls() {
        if param(&call, "DryRun") == Some("true") {
            assert_eq!(call.action, "CreateVpnConnection", "{call:?}");
        }
    }
    for call in cloud.wire.calls() {
        assert!(
            !format!("{:?}", call.params).contains(PSK),
            "the PSK in the call log"
        );
    }
}

#[test]
fn another_customer_gateway_replaces_the_connection() {
    let cloud = cloud();
    let both = "  branch: {ip_address: 203.0.113.7}\n  backup: {ip_address: 203.0.113.8}\n";
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired(
                both,
                &connection("customer_gateway.branch", "192.168.0.0/24"),
            ),
        )
        .env("BRANCH_PSK", PSK)
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    let before = read_state(&ws).resources["vpn_connection.branch"]
        .id
        .clone();
    ws.write(
        "vpnform.yaml",
        &desired(
            both,
            &connection("customer_gateway.backup", "192.168.0.0/24"),
        ),
    );
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    // Another customer gateway: the new connection can stand beside the old one, so it
    // is created first (rule 7), and the tunnel is down for as short a time as can be.
    assert!(
        plan.stdout.contains("  # vpn_connection.branch must be replaced\n  # (because its customer_gateway changed in the desired state, which cannot change in place: the new IPsec connection is created before the old one is destroyed)\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let state = read_state(&ws);
    let after = &state.resources["vpn_connection.branch"];
    assert_ne!(after.id, before);
    assert_eq!(
        after.attributes["customer_gateway"],
        state.resources["customer_gateway.backup"].id
    );
    assert_eq!(
        effects(&cloud)[3..],
        ["CreateVpnConnection", "DeleteVpnConnection"]
    );
    assert_eq!(cloud.sandbox().world().vpn_connections.len(), 1);
    assert!(state.resources["vpn_connection.branch"].deposed.is_none());
}

#[test]
fn a_gateway_holds_an_ipsec_server_or_connections_never_both() {
    let ws = Workspace::new().file(
        "vpnform.yaml",
        &format!(
            "{}ipsec_servers:\n  office: {{vpn_gateway: vpn-hz, local_subnet: [10.1.0.0/24], client_ip_pool: 10.9.0.0/16}}\n",
            desired(BRANCH, &connection("customer_gateway.branch", "192.168.0.0/24"))
        ),
    );
    ws.vpnform(&["validate"])
        .code(1)
        .stderr(
            "error: vpnform.yaml:15:3: ipsec_server.office is an IPsec server on vpn-hz, where vpn_connection.branch is an IPsec connection: a VPN gateway holds an IPsec server or IPsec connections, never both
   |
15 |   office: {vpn_gateway: vpn-hz, local_subnet: [10.1.0.0/24], client_ip_pool: 10.9.0.0/16}
   |   ^^^^^^
   = help: put the server on another gateway, or remove the gateway's connections from the file (the plan then deletes them first)
",
        )
        .run();
}

/// The connection on vpn-hz leaves the desired file and an IPsec server takes the
/// gateway in the same plan: the server's create waits for the connection's delete.
#[test]
fn an_ipsec_server_waits_for_the_connections_its_gateway_loses() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired(
                BRANCH,
                &connection("customer_gateway.branch", "192.168.0.0/24"),
            ),
        )
        .env("BRANCH_PSK", PSK)
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    ws.write(
        "vpnform.yaml",
        &format!(
            "{}ipsec_servers:\n  office: {{vpn_gateway: vpn-hz, local_subnet: [10.1.0.0/24], client_ip_pool: 10.9.0.0/16}}\n",
            desired(BRANCH, "  {}\n")
        ),
    );
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout
            .contains("    waits for: vpn_connection.branch\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud)[2..],
        ["DeleteVpnConnection", "CreateIpsecServer"]
    );
}

/// The PSK changed in the console: the plan shows it (never the key) and apply sets the
/// desired one again, in place.
#[test]
fn a_psk_changed_outside_vpnform_is_set_again() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired(
                BRANCH,
                &connection("customer_gateway.branch", "192.168.0.0/24"),
            ),
        )
        .env("BRANCH_PSK", PSK)
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    let id = read_state(&ws).resources["vpn_connection.branch"]
        .id
        .clone();
    cloud.sandbox().shared().edit_world(|w| {
        w.vpn_connections.get_mut(&id).unwrap().psk = Some("console-changed".into());
    });
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout
            .contains("      ~ psk = (sensitive value changed)\n"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("console-changed") && !plan.stdout.contains(PSK));
    assert_eq!(ws.run(APPLY).code, 0);
    let world = cloud.sandbox().world();
    assert_eq!(
        world.vpn_connections[&id].psk.as_ref().map(|p| p.expose()),
        Some(PSK)
    );
}

/// The worked example rehearses against the in-process sandbox as its comment says.
#[test]
fn the_family_example_rehearses_in_the_sandbox() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/family.yaml");
    let ws = Workspace::new()
        .file("vpnform.yaml", &std::fs::read_to_string(example).unwrap())
        .env("BRANCH_PSK", PSK);
    let out = ws.run(&["apply", "--sandbox", "--auto-approve"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains(
            "Apply complete! Resources: 5 added, 0 changed, 0 destroyed, 1 adopted, 0 forgotten."
        ),
        "{}",
        out.stdout
    );
    let order: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("Creation complete") && !l.starts_with("ssl_vpn"))
        .collect();
    assert!(
        order[0].starts_with("customer_gateway.branch")
            && order[1].starts_with("vpn_connection.branch")
            && order[2].starts_with("vpn_route.to_branch"),
        "{order:?}"
    );
    assert!(!out.stdout.contains(PSK) && !out.stderr.contains(PSK));
    assert!(
        !ws.exists("state/vpnform.state.yaml"),
        "a rehearsal writes no state"
    );
}

/// Every answer to the connection's create lost after it took effect: the create stays
/// journaled without an id, and the next apply re-sends it with its token and records
/// the one connection the cloud made; its delete, answered lost too, is confirmed from
/// the cloud by the run after.
#[test]
fn lost_answers_make_one_connection_and_delete_it_once() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired(
                BRANCH,
                &connection("customer_gateway.branch", "192.168.0.0/24"),
            ),
        )
        .env("BRANCH_PSK", PSK)
        .against(&cloud);
    let lost = |action: &str| vpnform::sandbox::Injection {
        action: Some(action.into()),
        status: 500,
        code: "InternalError".into(),
        retry_after: None,
        after_effect: true,
        times: 5,
    };
    cloud.sandbox().inject(lost("CreateVpnConnection"));
    let first = ws.run(APPLY);
    assert_eq!(first.code, 1, "{first:?}");
    let state = read_state(&ws);
    assert_eq!(state.pending.len(), 1, "{state:?}");
    assert_eq!(state.pending[0].action, "create");
    let second = ws.run(APPLY);
    assert_eq!(second.code, 0, "{second:?}");
    let world = cloud.sandbox().world();
    assert_eq!(world.vpn_connections.len(), 1, "one connection, not two");
    let id = read_state(&ws).resources["vpn_connection.branch"]
        .id
        .clone();
    assert!(world.vpn_connections.contains_key(&id));
    assert_eq!(
        cloud.effects("CreateVpnConnection").len(),
        1,
        "the token took effect once"
    );

    ws.write("vpnform.yaml", &desired(BRANCH, "  {}\n"));
    cloud.sandbox().inject(lost("DeleteVpnConnection"));
    let third = ws.run(APPLY);
    assert_eq!(third.code, 1, "{third:?}");
    let fourth = ws.run(APPLY);
    assert_eq!(fourth.code, 0, "{fourth:?}");
    assert!(cloud.sandbox().world().vpn_connections.is_empty());
    assert!(
        !read_state(&ws)
            .resources
            .contains_key("vpn_connection.branch")
    );
    assert!(read_state(&ws).pending.is_empty());
    assert_eq!(cloud.effects("DeleteVpnConnection").len(), 1);
}

/// A saved plan of the family runs exactly as saved (its file holds no key), and a
/// protected customer gateway is never deleted, the connection that uses it with it.
#[test]
fn a_saved_family_plan_applies_as_saved_and_protect_holds() {
    let cloud = cloud();
    let protected = "  branch: {ip_address: 203.0.113.7, protect: true}\n";
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired(
                protected,
                &connection("customer_gateway.branch", "192.168.0.0/24"),
            ),
        )
        .env("BRANCH_PSK", PSK)
        .against(&cloud);
    let plan = ws.run(&["plan", "--out", "family.plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        !ws.read("family.plan").contains(PSK),
        "the key is in the saved plan"
    );
    let out = ws.run(&["apply", "family.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud),
        ["CreateCustomerGateway", "CreateVpnConnection"]
    );
    // Applied once, the saved plan is stale: refused, nothing sent.
    let again = ws.run(&["apply", "family.plan"]);
    assert_eq!(again.code, 1, "{again:?}");
    assert_eq!(effects(&cloud).len(), 2);

    ws.write("vpnform.yaml", &desired("  {}\n", "  {}\n"));
    let refused = ws.run(&["plan"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("customer_gateway.branch"),
        "{}",
        refused.stderr
    );
    assert_eq!(ws.run(APPLY).code, 1);
    assert_eq!(effects(&cloud).len(), 2, "nothing deleted");
    assert_eq!(read_state(&ws).resources.len(), 2);
}

/// A dual-tunnel connection: each tunnel's customer gateway by address, the entry's one
/// PSK in both tunnels; created after both customer gateways, recorded with each
/// tunnel's by id; a tunnel's other customer gateway replaces it; removing everything
/// deletes the connection before both customer gateways.
#[test]
fn a_dual_tunnel_connection_is_created_replaced_and_deleted_in_order() {
    let cloud = cloud();
    let gateways = "  branch: {ip_address: 203.0.113.7}\n  backup: {ip_address: 203.0.113.8}\n  spare: {ip_address: 203.0.113.9}\n";
    let dual = |slave: &str| {
        format!(
            "  dual:\n    vpn_gateway: vpn-hz\n    local_subnet: [10.0.0.0/16]\n    remote_subnet: [192.168.1.0/24]\n    psk: {{env: BRANCH_PSK}}\n    tunnels:\n      - {{customer_gateway: customer_gateway.branch, role: master}}\n      - {{customer_gateway: customer_gateway.{slave}, role: slave}}\n"
        )
    };
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(gateways, &dual("backup")))
        .env("BRANCH_PSK", PSK)
        .against(&cloud);
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout
            .contains("    waits for: customer_gateway.backup, customer_gateway.branch\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let state = read_state(&ws);
    let vco = &state.resources["vpn_connection.dual"];
    assert_eq!(vco.attributes["tunnel_mode"], "dual");
    assert_eq!(
        vco.attributes["tunnels.master.customer_gateway"],
        state.resources["customer_gateway.branch"].id
    );
    assert_eq!(
        vco.attributes["tunnels.slave.customer_gateway"],
        state.resources["customer_gateway.backup"].id
    );
    let world = cloud.sandbox().world();
    let made = &world.vpn_connections[&vco.id];
    assert_eq!(made.tunnels.len(), 2);
    assert!(
        made.tunnels
            .iter()
            .all(|t| t.psk.as_ref().map(|p| p.expose()) == Some(PSK)),
        "each tunnel holds the key"
    );
    // The connection is created after the two customer gateways it uses (the third,
    // unused so far, may be created at any time).
    let audit = cloud.sandbox().audit();
    let created = |id: &str| audit.iter().position(|e| e.resource == id).unwrap();
    for name in ["branch", "backup"] {
        let cgw = &state.resources[&*format!("customer_gateway.{name}")].id;
        assert!(created(cgw) < created(&vco.id), "{audit:?}");
    }

    // Nothing left to do: the PSK compared in both tunnels.
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");

    ws.write("vpnform.yaml", &desired(gateways, &dual("spare")));
    let plan = ws.run(&["plan"]);
    assert!(
        plan.stdout.contains("  # vpn_connection.dual must be replaced\n  # (because its tunnels.slave.customer_gateway changed in the desired state"),
        "{}",
        plan.stdout
    );
    assert_eq!(ws.run(APPLY).code, 0);
    let replaced = read_state(&ws).resources["vpn_connection.dual"].clone();
    assert_ne!(replaced.id, vco.id);

    let state = read_state(&ws);
    let used: Vec<String> = ["branch", "spare"]
        .iter()
        .map(|n| {
            state.resources[&*format!("customer_gateway.{n}")]
                .id
                .clone()
        })
        .collect();
    ws.write("vpnform.yaml", &desired("  {}\n", "  {}\n"));
    assert_eq!(ws.run(APPLY).code, 0);
    // The connection's delete goes before the deletes of the two it uses (the third,
    // unused since the replace, may go at any time).
    let audit = cloud.sandbox().audit();
    let at = |action: &str, resource: &str| {
        audit
            .iter()
            .rposition(|e| e.action == action && e.resource == resource)
            .unwrap()
    };
    let connection = at("DeleteVpnConnection", &replaced.id);
    for id in &used {
        assert!(connection < at("DeleteCustomerGateway", id), "{audit:?}");
    }
    assert!(cloud.sandbox().world().vpn_connections.is_empty());
    assert!(cloud.sandbox().world().customer_gateways.is_empty());
}

/// An IPsec server planned on a gateway that keeps a connection vpnform does not manage:
/// the DryRun refuses the create, and the plan names the connection.
#[test]
fn an_ipsec_server_on_a_gateway_with_an_unmanaged_connection_fails_naming_it() {
    let cloud = cloud();
    cloud.sandbox().shared().edit_world(|w| {
        w.add_customer_gateway("cgw-peer", "cn-hangzhou", "198.51.100.7");
        w.add_connection("vco-unmanaged", "vpn-hz", "cgw-peer");
    });
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers:\n  office: {vpn_gateway: vpn-hz, local_subnet: [10.1.0.0/24], client_ip_pool: 10.9.0.0/16}\n",
        )
        .against(&cloud);
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("[vpn-hz holds the IPsec connection vco-unmanaged (not managed by vpnform: delete it, or manage it as a `vpn_connections` entry and remove that): a VPN gateway holds an IPsec server or IPsec connections, never both]"),
        "{}",
        out.stderr
    );
    assert!(effects(&cloud).is_empty());
}

/// Only a reference attribute names a resource: a connection whose `name` reads like
/// an address keeps it as its name, whatever the state records at that address.
#[test]
fn a_name_that_reads_like_an_address_is_a_name() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired(
                BRANCH,
                &connection("customer_gateway.branch", "192.168.0.0/24"),
            ),
        )
        .env("BRANCH_PSK", PSK)
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    ws.write(
        "vpnform.yaml",
        &desired(
            BRANCH,
            &connection("customer_gateway.branch", "192.168.0.0/24"),
        )
        .replace("name: branch", "name: customer_gateway.branch"),
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let state = read_state(&ws);
    let vco = &state.resources["vpn_connection.branch"];
    assert_eq!(vco.attributes["name"], "customer_gateway.branch");
    let world = cloud.sandbox().world();
    assert_eq!(
        world.vpn_connections[&vco.id].name.as_deref(),
        Some("customer_gateway.branch")
    );
}

/// A replace on the same gateway keeping a customer gateway goes destroy first: the
/// gateway holds one connection per customer gateway (rule 7), and the plan says why.
#[test]
fn a_forced_replace_keeping_its_customer_gateway_goes_destroy_first() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired(
                BRANCH,
                &connection("customer_gateway.branch", "192.168.0.0/24"),
            ),
        )
        .env("BRANCH_PSK", PSK)
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    let cgw = read_state(&ws).resources["customer_gateway.branch"]
        .id
        .clone();
    let plan = ws.run(&["plan", "--replace", "vpn_connection.branch"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let want = format!(
        "  # vpn_connection.branch must be replaced\n  # (because `--replace` names it: the old IPsec connection is destroyed before the new one is created, as it keeps customer gateway {cgw} and a gateway holds one connection per customer gateway)\n"
    );
    assert!(plan.stdout.contains(&want), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("    precheck of the create on vpn-hz: not run: the old IPsec connection is deleted first, and a DryRun now would meet it\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(&[
        "apply",
        "--auto-approve",
        "--poll-interval",
        "50ms",
        "--replace",
        "vpn_connection.branch",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud)[2..],
        ["DeleteVpnConnection", "CreateVpnConnection"]
    );
}

/// A connection moved to a new customer gateway while its old one leaves the file: one
/// apply creates the new customer gateway, then the new connection, deletes the old
/// connection, and deletes the old customer gateway last (rules 5 and 7).
#[test]
fn a_connection_moved_to_a_new_customer_gateway_is_created_first_and_the_old_gateway_deleted_last()
{
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired(
                BRANCH,
                &connection("customer_gateway.branch", "192.168.0.0/24"),
            ),
        )
        .env("BRANCH_PSK", PSK)
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    let before = read_state(&ws);
    let (old_cgw, old_vco) = (
        before.resources["customer_gateway.branch"].id.clone(),
        before.resources["vpn_connection.branch"].id.clone(),
    );
    ws.write(
        "vpnform.yaml",
        &desired(
            "  branch_new: {ip_address: 203.0.113.70}\n",
            &connection("customer_gateway.branch_new", "192.168.0.0/24"),
        ),
    );
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout
            .contains("  # customer_gateway.branch will be destroyed\n"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("    waits for: vpn_connection.branch\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let after = read_state(&ws);
    let new_cgw = after.resources["customer_gateway.branch_new"].id.clone();
    let new_vco = after.resources["vpn_connection.branch"].id.clone();
    let wire: Vec<(String, String)> = cloud
        .sandbox()
        .audit()
        .iter()
        .skip(2)
        .map(|e| (e.action.clone(), e.resource.clone()))
        .collect();
    assert_eq!(
        wire,
        [
            ("CreateCustomerGateway".to_owned(), new_cgw.clone()),
            ("CreateVpnConnection".to_owned(), new_vco),
            ("DeleteVpnConnection".to_owned(), old_vco),
            ("DeleteCustomerGateway".to_owned(), old_cgw),
        ]
    );
    assert!(!after.resources.contains_key("customer_gateway.branch"));
    assert_eq!(
        after.resources["vpn_connection.branch"].attributes["customer_gateway"],
        new_cgw
    );
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
}

/// A customer gateway whose address changes while a connection goes on using it: the
/// cloud deletes no customer gateway in use, so the plan refuses, naming both and the
/// way that works in one apply; nothing is sent.
#[test]
fn a_customer_gateway_replaced_under_a_connection_fails_the_plan_naming_both() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired(
                BRANCH,
                &connection("customer_gateway.branch", "192.168.0.0/24"),
            ),
        )
        .env("BRANCH_PSK", PSK)
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    let cgw = read_state(&ws).resources["customer_gateway.branch"]
        .id
        .clone();
    let sent = cloud.sandbox().audit().len();
    ws.write(
        "vpnform.yaml",
        &desired(
            "  branch: {ip_address: 203.0.113.70}\n",
            &connection("customer_gateway.branch", "192.168.0.0/24"),
        ),
    );
    for command in [&["plan"][..], APPLY] {
        let out = ws.run(command);
        assert_eq!(out.code, 1, "{out:?}");
        assert_eq!(
            out.stderr,
            format!(
                "error: customer_gateway.branch must be replaced (its ip_address changed in the desired state, which cannot change in place), but vpn_connection.branch goes on using it, and the cloud deletes no customer gateway a connection uses ({cgw}). Give the new address an entry of its own (e.g. `customer_gateway.branch_new`), point vpn_connection.branch at it and remove customer_gateway.branch: one apply then creates the new customer gateway, creates the new connection before it deletes the old one, and deletes customer_gateway.branch last\n"
            )
        );
    }
    assert_eq!(cloud.sandbox().audit().len(), sent);
}

/// A dual-tunnel connection whose tunnels each name their own key: each tunnel is
/// created with its own, the state records both sources and neither key, a key changed
/// in its source is one ModifyVpnConnectionAttribute, and nothing shows a key.
#[test]
fn each_tunnel_of_a_dual_tunnel_connection_has_its_own_key() {
    const MASTER: &str = "master-tunnel-canary-51f0";
    const SLAVE: &str = "slave-tunnel-canary-9a2c";
    let cloud = cloud();
    let gateways = "  branch: {ip_address: 203.0.113.7}\n  backup: {ip_address: 203.0.113.8}\n";
    let dual = "  dual:\n    vpn_gateway: vpn-hz\n    local_subnet: [10.0.0.0/16]\n    remote_subnet: [192.168.1.0/24]\n    tunnels:\n      - {customer_gateway: customer_gateway.branch, role: master, psk: {env: T1_PSK}}\n      - {customer_gateway: customer_gateway.backup, role: slave, psk: {env: T2_PSK}}\n";
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(gateways, dual))
        .env("T1_PSK", MASTER)
        .env("T2_PSK", SLAVE)
        .against(&cloud);
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains(
            "      + psk                             = (sensitive, from env T1_PSK (master), env T2_PSK (slave))\n"
        ),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let state = read_state(&ws);
    let vco = &state.resources["vpn_connection.dual"];
    let world = cloud.sandbox().world();
    let keys: Vec<(String, String)> = world.vpn_connections[&vco.id]
        .tunnels
        .iter()
        .map(|t| (t.role.clone(), t.psk.as_ref().unwrap().expose().to_owned()))
        .collect();
    assert_eq!(
        keys,
        [
            ("master".to_owned(), MASTER.to_owned()),
            ("slave".to_owned(), SLAVE.to_owned())
        ]
    );
    let text = ws.read("state/vpnform.state.yaml");
    assert!(
        text.contains("    psk:\n      tunnels:\n        master:\n          env: T1_PSK\n        slave:\n          env: T2_PSK\n"),
        "{text}"
    );
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");

    // The slave's key changed in its source: one modify, both tunnels sent their own.
    let ws = ws.env("T2_PSK", "slave-tunnel-rotated-33d1");
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout.contains(
            "  ~ resource \"vpn_connection\" \"dual\" {\n      ~ psk = (sensitive value changed)\n    }\n"
        ),
        "{}",
        plan.stdout
    );
    let sent = cloud.sandbox().audit().len();
    assert_eq!(ws.run(APPLY).code, 0);
    let effects: Vec<String> = cloud.sandbox().audit()[sent..]
        .iter()
        .map(|e| e.action.clone())
        .collect();
    assert_eq!(effects, ["ModifyVpnConnectionAttribute"]);
    let world = cloud.sandbox().world();
    let tunnels = &world.vpn_connections[&vco.id].tunnels;
    assert_eq!(tunnels[0].psk.as_ref().unwrap().expose(), MASTER);
    assert_eq!(
        tunnels[1].psk.as_ref().unwrap().expose(),
        "slave-tunnel-rotated-33d1"
    );
    for text in [
        ws.read("state/vpnform.state.yaml"),
        plan.stdout,
        plan.stderr,
    ] {
        for key in [MASTER, SLAVE, "slave-tunnel-rotated-33d1"] {
            assert!(!text.contains(key), "{key} in {text}");
        }
    }
}

/// A key for one tunnel only, or the entry's and the tunnels' both: refused at the line,
/// with what to write.
#[test]
fn tunnel_keys_are_both_tunnels_or_none() {
    let gateways = "  branch: {ip_address: 203.0.113.7}\n  backup: {ip_address: 203.0.113.8}\n";
    let one = "  dual:\n    vpn_gateway: vpn-hz\n    local_subnet: [10.0.0.0/16]\n    remote_subnet: [192.168.1.0/24]\n    tunnels:\n      - {customer_gateway: customer_gateway.branch, role: master, psk: {env: T1_PSK}}\n      - {customer_gateway: customer_gateway.backup, role: slave}\n";
    let ws = Workspace::new().file("vpnform.yaml", &desired(gateways, one));
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("the slave tunnel of `vpn_connections.dual` names no `psk`, and the other tunnel names its own: each tunnel needs one"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("vpnform.yaml:14:9:"), "{}", out.stderr);
    let both = "  dual:\n    vpn_gateway: vpn-hz\n    local_subnet: [10.0.0.0/16]\n    remote_subnet: [192.168.1.0/24]\n    psk: {env: BOTH}\n    tunnels:\n      - {customer_gateway: customer_gateway.branch, role: master, psk: {env: T1_PSK}}\n      - {customer_gateway: customer_gateway.backup, role: slave, psk: {env: T2_PSK}}\n";
    ws.write("vpnform.yaml", &desired(gateways, both));
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(
            "`vpn_connections.dual` names a `psk` and its tunnels name their own: keep one"
        ),
        "{}",
        out.stderr
    );
}

/// A hand-edited state whose per-tunnel source nests another per-tunnel source (or
/// gives one to a kind without tunnels) is refused at its line, before anything runs.
#[test]
fn a_nested_tunnel_source_in_the_state_is_refused_at_its_line() {
    let state = |psk: &str, address: &str, id: &str| {
        format!(
            "version: 1\nlineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a\nserial: 3\nresources:\n  {address}:\n    id: {id}\n    region: cn-hangzhou\n    vpn_gateway: vpn-hz\n    psk: {psk}\npending: []\n"
        )
    };
    let nested =
        "{tunnels: {master: {env: A}, slave: {tunnels: {master: {env: B}, slave: {env: C}}}}}";
    let text = state(nested, "vpn_connection.dual", "vco-dual");
    let err = vpnform::state::parse(std::path::Path::new("state.yaml"), &text).unwrap_err();
    assert!(
        err.to_string().starts_with("state.yaml:5:3: vpn_connection.dual: psk: a tunnel's source is itself per tunnel: each is `env` or `file`"),
        "{err}"
    );
    let flat = "{tunnels: {master: {env: A}, slave: {env: B}}}";
    let text = state(flat, "ipsec_server.office", "iss-office");
    let err = vpnform::state::parse(std::path::Path::new("state.yaml"), &text).unwrap_err();
    assert!(
        err.to_string().starts_with("state.yaml:5:3: ipsec_server.office: psk: a source per tunnel, but ipsec_server.office is not an IPsec connection"),
        "{err}"
    );
    let text = state(flat, "vpn_connection.dual", "vco-dual");
    if let Err(e) = vpnform::state::parse(std::path::Path::new("state.yaml"), &text) {
        panic!("{e}");
    }
}
