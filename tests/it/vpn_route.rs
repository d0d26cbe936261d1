//! Destination routes (issue 23): a route to a connection named by address is created
//! after it and deleted before it, on the gateway's lane; its weight and its publishing
//! change in place (one call each); another destination replaces it destroy first;
//! only the create takes DryRun; a lost create answer makes one route; the file's
//! mistakes are refused before any call.

use std::time::Duration;

use vpnform::sandbox::World;

use crate::support::{Cloud, Workspace, configuring, param, read_state};

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];
const PSK: &str = "route-psk-canary-3d9a";

fn cloud() -> Cloud {
    let mut world = World::default();
    world.add_gateway("vpn-hz", "cn-hangzhou");
    Cloud::start(configuring(Duration::from_millis(200)), world)
}

/// A customer gateway, a connection to it, and `routes` (the `vpn_routes` entries).
fn desired(routes: &str) -> String {
    format!(
        "version: 1\ndefaults:\n  region: cn-hangzhou\ncustomer_gateways:\n  branch: {{ip_address: 203.0.113.7}}\nvpn_connections:\n  branch:\n    vpn_gateway: vpn-hz\n    customer_gateway: customer_gateway.branch\n    local_subnet: [10.0.0.0/16]\n    remote_subnet: [192.168.0.0/24]\n    psk: {{env: BRANCH_PSK}}\nvpn_routes:\n{routes}"
    )
}

fn route(dest: &str, weight: u32, publish: bool) -> String {
    format!(
        "  to_branch: {{vpn_gateway: vpn-hz, route_dest: {dest}, next_hop: vpn_connection.branch, weight: {weight}, publish_vpc: {publish}}}\n"
    )
}

fn effects(cloud: &Cloud) -> Vec<String> {
    cloud
        .sandbox()
        .audit()
        .iter()
        .map(|e| e.action.clone())
        .collect()
}

fn workspace(cloud: &Cloud, routes: &str) -> Workspace {
    Workspace::new()
        .file("vpnform.yaml", &desired(routes))
        .env("BRANCH_PSK", PSK)
        .against(cloud)
}

#[test]
fn a_route_is_created_after_its_connection_changed_in_place_replaced_and_deleted_before_it() {
    let cloud = cloud();
    let ws = workspace(&cloud, &route("172.16.0.0/24", 0, false));
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout
            .contains("      + next_hop    = (known after apply) (vpn_connection.branch)\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud),
        [
            "CreateCustomerGateway",
            "CreateVpnConnection",
            "CreateVpnRouteEntry"
        ]
    );
    let state = read_state(&ws);
    let vco = state.resources["vpn_connection.branch"].id.clone();
    let vre = &state.resources["vpn_route.to_branch"];
    assert!(vre.id.starts_with("vre-"), "{vre:?}");
    assert_eq!(vre.id.len(), 28);
    assert_eq!(vre.vpn_gateway, "vpn-hz");
    assert_eq!(vre.attributes["next_hop"], vco, "recorded by id");
    assert_eq!(vre.attributes["route_dest"], "172.16.0.0/24");
    assert_eq!(vre.attributes["weight"], "0");
    assert_eq!(vre.attributes["publish_vpc"], "false");
    let world = cloud.sandbox().world();
    assert_eq!(world.vpn_routes.len(), 1);
    assert_eq!(world.vpn_routes[0].next_hop, vco);

    // Nothing to do the second time.
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{plan:?}");

    // A new weight: one ModifyVpnRouteEntryWeight, from the old weight.
    ws.write(
        "vpnform.yaml",
        &desired(&route("172.16.0.0/24", 100, false)),
    );
    let plan = ws.run(&["plan"]);
    assert!(
        plan.stdout.contains("      ~ weight = 0 -> 100\n")
            && plan
                .stdout
                .contains("    precheck: model only (the API has no DryRun)\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(effects(&cloud)[3..], ["ModifyVpnRouteEntryWeight"]);
    let sent = cloud
        .wire
        .calls()
        .into_iter()
        .filter(|c| c.action == "ModifyVpnRouteEntryWeight")
        .collect::<Vec<_>>();
    assert_eq!(param(&sent[0], "Weight"), Some("0"));
    assert_eq!(param(&sent[0], "NewWeight"), Some("100"));
    assert_eq!(cloud.sandbox().world().vpn_routes[0].weight, 100);

    // Published: one PublishVpnRouteEntry.
    ws.write("vpnform.yaml", &desired(&route("172.16.0.0/24", 100, true)));
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(effects(&cloud)[4..], ["PublishVpnRouteEntry"]);
    assert!(cloud.sandbox().world().vpn_routes[0].publish_vpc);
    assert_eq!(
        read_state(&ws).resources["vpn_route.to_branch"].attributes["publish_vpc"],
        "true"
    );

    // Another destination replaces the route, destroy first.
    ws.write("vpnform.yaml", &desired(&route("172.16.1.0/24", 100, true)));
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("-/+"), "{}", plan.stdout);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud)[5..],
        ["DeleteVpnRouteEntry", "CreateVpnRouteEntry"]
    );
    let world = cloud.sandbox().world();
    assert_eq!(world.vpn_routes.len(), 1);
    assert_eq!(world.vpn_routes[0].route_dest, "172.16.1.0/24");
    let state = read_state(&ws);
    assert_eq!(
        state.resources["vpn_route.to_branch"].attributes["route_dest"],
        "172.16.1.0/24"
    );

    // A route to the recorded connection by id is prechecked with DryRun (plan only).
    let second = format!(
        "{}  other: {{vpn_gateway: vpn-hz, route_dest: 172.16.2.0/24, next_hop: {vco}}}\n",
        route("172.16.1.0/24", 100, true)
    );
    ws.write("vpnform.yaml", &desired(&second));
    let plan = ws.run(&["plan"]);
    assert!(
        plan.stdout
            .contains("    precheck: passed (DryRunOperation, RequestId "),
        "{}",
        plan.stdout
    );
    assert!(
        cloud
            .wire
            .calls()
            .iter()
            .any(|c| c.action == "CreateVpnRouteEntry" && param(c, "DryRun") == Some("true"))
    );

    // Removing both deletes the route first, then the connection.
    ws.write(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\ncustomer_gateways:\n  branch: {ip_address: 203.0.113.7}\n",
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud)[7..],
        ["DeleteVpnRouteEntry", "DeleteVpnConnection"]
    );
    assert!(cloud.sandbox().world().vpn_routes.is_empty());

    // DryRun went to the creates that take it, never to a route's other calls.
    for call in cloud.wire.calls() {
        if param(&call, "DryRun") == Some("true") {
            assert!(
                ["CreateVpnConnection", "CreateVpnRouteEntry"].contains(&call.action.as_str()),
                "{call:?}"
            );
        }
    }
}

#[test]
fn a_lost_create_answer_makes_one_route() {
    let cloud = cloud();
    let ws = workspace(&cloud, &route("172.16.0.0/24", 0, false));
    cloud.sandbox().inject(vpnform::sandbox::Injection {
        action: Some("CreateVpnRouteEntry".into()),
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
    let second = ws.run(APPLY);
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(cloud.sandbox().world().vpn_routes.len(), 1, "one route");
    assert_eq!(cloud.effects("CreateVpnRouteEntry").len(), 1);
    assert!(read_state(&ws).pending.is_empty());
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{plan:?}");
}

#[test]
fn route_mistakes_are_refused_whole() {
    let routes = "  a: {vpn_gateway: vpn-hz, route_dest: 10.1.0.0/33, next_hop: vco-x, weight: 50, publish_vpc: maybe}\n  b: {vpn_gateway: vpn-hz, route_dest: 10.2.0.0/24, next_hop: vco-x}\n  c: {vpn_gateway: vpn-hz, route_dest: 10.2.0.0/24, next_hop: vco-x}\n  d: {vpn_gateway: vpn-hz, route_dest: 10.3.0.0/24, next_hop: cgw-x}\n";
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(routes))
        .env("BRANCH_PSK", PSK);
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: vpnform.yaml:14:40: `10.1.0.0/33` in `vpn_routes.a.route_dest` is not a CIDR block\n   |\n14 |   a: {vpn_gateway: vpn-hz, route_dest: 10.1.0.0/33, next_hop: vco-x, weight: 50, publish_vpc: maybe}\n   |                                        ^^^^^^^^^^^\n   = help: a CIDR block is an IPv4 address, `/` and a prefix length from 0 to 32, e.g. `10.0.0.0/24`\n\nerror: vpnform.yaml:14:78: weight 50 in `vpn_routes.a.weight` is not 0 or 100\n   |\n14 |   a: {vpn_gateway: vpn-hz, route_dest: 10.1.0.0/33, next_hop: vco-x, weight: 50, publish_vpc: maybe}\n   |                                                                              ^^\n   = help: write `weight: 0` (standby) or `weight: 100` (active)\n\nerror: vpnform.yaml:14:95: expected true or false for `vpn_routes.a.publish_vpc`, found a string\n   |\n14 |   a: {vpn_gateway: vpn-hz, route_dest: 10.1.0.0/33, next_hop: vco-x, weight: 50, publish_vpc: maybe}\n   |                                                                                               ^^^^^\n   = help: write `true` or `false`\n\nerror: vpnform.yaml:16:3: vpn_route.b and vpn_route.c are both the route to 10.2.0.0/24 through vco-x on vpn-hz, and a gateway holds a route once\n   |\n16 |   c: {vpn_gateway: vpn-hz, route_dest: 10.2.0.0/24, next_hop: vco-x}\n   |   ^\n   = help: remove one of them, or change its `route_dest` or `next_hop`\n\nerror: vpnform.yaml:17:63: `cgw-x` in `vpn_routes.d.next_hop` is neither an IPsec connection's address nor its id\n   |\n17 |   d: {vpn_gateway: vpn-hz, route_dest: 10.3.0.0/24, next_hop: cgw-x}\n   |                                                               ^^^^^\n   = help: write the IPsec connection's address in this file (`next_hop: vpn_connection.branch`) or its id (`vco-...`)\n\nerror: vpnform.yaml has 5 errors\n"
    );
}

/// A route naming its connection by id (no edge in the file) is still deleted before
/// it: the connection's delete waits for the deletes of the routes that use it.
#[test]
fn a_route_naming_its_connection_by_id_is_deleted_before_it() {
    let cloud = cloud();
    let ws = workspace(&cloud, "  {}\n");
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let vco = read_state(&ws).resources["vpn_connection.branch"]
        .id
        .clone();
    ws.write(
        "vpnform.yaml",
        &desired(&format!(
            "  to_branch: {{vpn_gateway: vpn-hz, route_dest: 172.16.0.0/24, next_hop: {vco}, weight: 100}}\n"
        )),
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(cloud.sandbox().world().vpn_routes.len(), 1);
    // Both settings at once: one call each, in one update, each with its own token.
    ws.write(
        "vpnform.yaml",
        &desired(&format!(
            "  to_branch: {{vpn_gateway: vpn-hz, route_dest: 172.16.0.0/24, next_hop: {vco}, weight: 0, publish_vpc: true}}\n"
        )),
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let changes: Vec<String> = cloud
        .sandbox()
        .audit()
        .iter()
        .filter(|e| e.action.starts_with("Modify") || e.action.starts_with("Publish"))
        .map(|e| e.action.clone())
        .collect();
    assert_eq!(
        changes,
        ["ModifyVpnRouteEntryWeight", "PublishVpnRouteEntry"]
    );
    let route = &cloud.sandbox().world().vpn_routes[0];
    assert_eq!((route.weight, route.publish_vpc), (0, true));
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    ws.write(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\ncustomer_gateways:\n  branch: {ip_address: 203.0.113.7}\n",
    );
    let plan = ws.run(&["plan"]);
    assert!(
        plan.stdout.contains("waits for: vpn_route.to_branch"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let deletes: Vec<String> = cloud
        .sandbox()
        .audit()
        .iter()
        .filter(|e| e.action.starts_with("Delete"))
        .map(|e| e.action.clone())
        .collect();
    assert_eq!(deletes, ["DeleteVpnRouteEntry", "DeleteVpnConnection"]);
    let sent = cloud
        .wire
        .calls()
        .into_iter()
        .find(|c| c.action == "DeleteVpnRouteEntry")
        .unwrap();
    assert_eq!(param(&sent, "Weight"), Some("0"), "the current weight");
}

/// A connection replaced while a route keeps it as its next hop: the cloud deletes no
/// connection a route uses, so the plan refuses, naming both and what to do; nothing is
/// sent.
#[test]
fn a_connection_replaced_under_a_route_fails_the_plan_naming_both() {
    let cloud = cloud();
    let ws = workspace(&cloud, &route("172.16.0.0/16", 0, false));
    assert_eq!(ws.run(APPLY).code, 0);
    let vco = read_state(&ws).resources["vpn_connection.branch"]
        .id
        .clone();
    let sent = cloud.sandbox().audit().len();
    ws.write(
        "vpnform.yaml",
        &desired(&route("172.16.0.0/16", 0, false)).replace(
            "vpn_gateway: vpn-hz\n    customer_gateway",
            "vpn_gateway: vpn-hz\n    name: moved\n    customer_gateway",
        ),
    );
    let out = ws.run(&["plan", "--replace", "vpn_connection.branch"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "error: vpn_connection.branch must be replaced (`--replace` names it), but vpn_route.to_branch goes on using it as its next hop, and the cloud deletes no connection a route uses ({vco}). Give the new connection an entry of its own (e.g. `vpn_connection.branch_new`), point vpn_route.to_branch at it and remove vpn_connection.branch: the plan then moves the route before it deletes the old connection\n"
        )
    );
    assert_eq!(cloud.sandbox().audit().len(), sent);
}
