//! Policy-based routes (issue 23): a route to a connection named by address is created
//! after it and deleted before it, on the gateway's lane; its weight, its priority and
//! its publishing change in place (one call each); another source replaces it destroy
//! first; only the create takes DryRun; a lost create answer makes one route; the
//! file's mistakes are refused before any call.

use std::time::Duration;

use vpnform::sandbox::World;

use crate::support::{Cloud, Workspace, configuring, param, read_state};

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];
const PSK: &str = "pbr-psk-canary-71c2";

fn cloud() -> Cloud {
    let mut world = World::default();
    world.add_gateway("vpn-hz", "cn-hangzhou");
    Cloud::start(configuring(Duration::from_millis(200)), world)
}

/// A customer gateway, a connection to it, and `routes` (the `vpn_policy_routes`
/// entries).
fn desired(routes: &str) -> String {
    format!(
        "version: 1\ndefaults:\n  region: cn-hangzhou\ncustomer_gateways:\n  branch: {{ip_address: 203.0.113.7}}\nvpn_connections:\n  branch:\n    vpn_gateway: vpn-hz\n    customer_gateway: customer_gateway.branch\n    local_subnet: [10.0.0.0/16]\n    remote_subnet: [192.168.0.0/24]\n    psk: {{env: BRANCH_PSK}}\nvpn_policy_routes:\n{routes}"
    )
}

fn route(source: &str, weight: u32, priority: u32, publish: bool) -> String {
    format!(
        "  office: {{vpn_gateway: vpn-hz, route_source: {source}, route_dest: 192.168.0.0/24, next_hop: vpn_connection.branch, weight: {weight}, priority: {priority}, publish_vpc: {publish}}}\n"
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

const NO_ROUTES: &str = "version: 1\ndefaults:\n  region: cn-hangzhou\ncustomer_gateways:\n  branch: {ip_address: 203.0.113.7}\n";

#[test]
fn a_policy_route_is_created_after_its_connection_changed_in_place_replaced_and_deleted_before_it()
{
    let cloud = cloud();
    let ws = workspace(&cloud, &route("10.0.0.0/16", 0, 10, false));
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud),
        [
            "CreateCustomerGateway",
            "CreateVpnConnection",
            "CreateVpnPbrRouteEntry"
        ]
    );
    let state = read_state(&ws);
    let vco = state.resources["vpn_connection.branch"].id.clone();
    let vpr = &state.resources["vpn_policy_route.office"];
    assert!(vpr.id.starts_with("vpr-"), "{vpr:?}");
    assert_eq!(vpr.id.len(), 28);
    assert_eq!(vpr.vpn_gateway, "vpn-hz");
    assert_eq!(vpr.attributes["next_hop"], vco, "recorded by id");
    assert_eq!(vpr.attributes["route_source"], "10.0.0.0/16");
    assert_eq!(vpr.attributes["route_dest"], "192.168.0.0/24");
    assert_eq!(vpr.attributes["weight"], "0");
    assert_eq!(vpr.attributes["priority"], "10");
    assert_eq!(vpr.attributes["publish_vpc"], "false");
    let world = cloud.sandbox().world();
    assert_eq!(world.vpn_policy_routes.len(), 1);
    assert_eq!(world.vpn_policy_routes[0].next_hop, vco);
    assert!(world.vpn_routes.is_empty());

    // Nothing to do the second time.
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{plan:?}");

    // A new weight: one ModifyVpnPbrRouteEntryWeight, from the old weight, naming the
    // route by its priority too.
    ws.write(
        "vpnform.yaml",
        &desired(&route("10.0.0.0/16", 100, 10, false)),
    );
    let plan = ws.run(&["plan"]);
    assert!(
        plan.stdout.contains("      ~ weight = 0 -> 100\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(effects(&cloud)[3..], ["ModifyVpnPbrRouteEntryWeight"]);
    let sent = cloud
        .wire
        .calls()
        .into_iter()
        .find(|c| c.action == "ModifyVpnPbrRouteEntryWeight")
        .unwrap();
    assert_eq!(param(&sent, "Weight"), Some("0"));
    assert_eq!(param(&sent, "NewWeight"), Some("100"));
    assert_eq!(param(&sent, "Priority"), Some("10"));
    assert_eq!(param(&sent, "RouteSource"), Some("10.0.0.0/16"));

    // A new priority: one ModifyVpnPbrRouteEntryPriority.
    ws.write(
        "vpnform.yaml",
        &desired(&route("10.0.0.0/16", 100, 20, false)),
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(effects(&cloud)[4..], ["ModifyVpnPbrRouteEntryPriority"]);
    let sent = cloud
        .wire
        .calls()
        .into_iter()
        .find(|c| c.action == "ModifyVpnPbrRouteEntryPriority")
        .unwrap();
    assert_eq!(param(&sent, "Priority"), Some("10"));
    assert_eq!(param(&sent, "NewPriority"), Some("20"));
    assert_eq!(param(&sent, "Weight"), Some("100"));
    let world = cloud.sandbox().world();
    assert_eq!(
        (
            world.vpn_policy_routes[0].weight,
            world.vpn_policy_routes[0].priority
        ),
        (100, 20)
    );

    // Published: one PublishVpnRouteEntry of the policy-based routes.
    ws.write(
        "vpnform.yaml",
        &desired(&route("10.0.0.0/16", 100, 20, true)),
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(effects(&cloud)[5..], ["PublishVpnRouteEntry"]);
    let sent = cloud
        .wire
        .calls()
        .into_iter()
        .find(|c| c.action == "PublishVpnRouteEntry")
        .unwrap();
    assert_eq!(param(&sent, "RouteType"), Some("pbr"));
    assert!(cloud.sandbox().world().vpn_policy_routes[0].publish_vpc);
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{plan:?}");

    // Another source replaces the route, destroy first.
    ws.write(
        "vpnform.yaml",
        &desired(&route("10.1.0.0/16", 100, 20, true)),
    );
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("-/+"), "{}", plan.stdout);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud)[6..],
        ["DeleteVpnPbrRouteEntry", "CreateVpnPbrRouteEntry"]
    );
    let world = cloud.sandbox().world();
    assert_eq!(world.vpn_policy_routes.len(), 1);
    assert_eq!(world.vpn_policy_routes[0].route_source, "10.1.0.0/16");
    assert_eq!(world.vpn_policy_routes[0].priority, 20);
    let sent = cloud
        .wire
        .calls()
        .into_iter()
        .find(|c| c.action == "DeleteVpnPbrRouteEntry")
        .unwrap();
    assert_eq!(
        (param(&sent, "Weight"), param(&sent, "Priority")),
        (Some("100"), Some("20")),
        "the listed weight and priority"
    );

    // A route to the recorded connection by id is prechecked with DryRun (plan only).
    let second = format!(
        "{}  other: {{vpn_gateway: vpn-hz, route_source: 10.2.0.0/16, route_dest: 172.16.2.0/24, next_hop: {vco}}}\n",
        route("10.1.0.0/16", 100, 20, true)
    );
    ws.write("vpnform.yaml", &desired(&second));
    let plan = ws.run(&["plan"]);
    assert!(
        plan.stdout
            .contains("    precheck: passed (DryRunOperation, RequestId "),
        "{}",
        plan.stdout
    );

    // Removing both deletes the route first, then the connection.
    ws.write("vpnform.yaml", NO_ROUTES);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud)[8..],
        ["DeleteVpnPbrRouteEntry", "DeleteVpnConnection"]
    );
    assert!(cloud.sandbox().world().vpn_policy_routes.is_empty());

    // DryRun went to the creates that take it, never to a route's other calls.
    let mut dry = 0;
    for call in cloud.wire.calls() {
        if param(&call, "DryRun") == Some("true") {
            assert!(
                ["CreateVpnConnection", "CreateVpnPbrRouteEntry"].contains(&call.action.as_str()),
                "{call:?}"
            );
            dry += usize::from(call.action == "CreateVpnPbrRouteEntry");
        }
    }
    assert!(dry > 0, "the create was prechecked");
}

#[test]
fn a_lost_policy_route_create_answer_makes_one_route() {
    let cloud = cloud();
    let ws = workspace(&cloud, &route("10.0.0.0/16", 0, 10, false));
    cloud.sandbox().inject(vpnform::sandbox::Injection {
        action: Some("CreateVpnPbrRouteEntry".into()),
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
    assert_eq!(
        cloud.sandbox().world().vpn_policy_routes.len(),
        1,
        "one route"
    );
    assert_eq!(cloud.effects("CreateVpnPbrRouteEntry").len(), 1);
    assert!(read_state(&ws).pending.is_empty());
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{plan:?}");
}

#[test]
fn policy_route_mistakes_are_refused_whole() {
    let routes = "  a: {vpn_gateway: vpn-hz, route_source: 10.0.0.0/8, route_dest: 10.1.0.0/33, next_hop: vco-x, weight: 50, priority: 0}\n  b: {vpn_gateway: vpn-hz, route_source: 10.0.0.0/8, route_dest: 10.2.0.0/24, next_hop: vco-x}\n  c: {vpn_gateway: vpn-hz, route_source: 10.0.0.0/8, route_dest: 10.2.0.0/24, next_hop: vco-x, priority: 5}\n  d: {vpn_gateway: vpn-hz, route_dest: 10.3.0.0/24, next_hop: vco-x}\n";
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(routes))
        .env("BRANCH_PSK", PSK);
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: vpnform.yaml:14:66: `10.1.0.0/33` in `vpn_policy_routes.a.route_dest` is not a CIDR block\n   |\n14 | …_source: 10.0.0.0/8, route_dest: 10.1.0.0/33, next_hop: vco-x, weight: 50, priority: 0}\n   |                                   ^^^^^^^^^^^\n   = help: a CIDR block is an IPv4 address, `/` and a prefix length from 0 to 32, e.g. `10.0.0.0/24`\n\nerror: vpnform.yaml:14:104: weight 50 in `vpn_policy_routes.a.weight` is not 0 or 100\n   |\n14 | …0.0/33, next_hop: vco-x, weight: 50, priority: 0}\n   |                                   ^^\n   = help: write `weight: 0` (standby) or `weight: 100` (active)\n\nerror: vpnform.yaml:14:118: priority 0 in `vpn_policy_routes.a.priority` is not from 1 to 100\n   |\n14 | …op: vco-x, weight: 50, priority: 0}\n   |                                   ^\n   = help: write a priority from 1 to 100, e.g. `priority: 10` (a smaller one wins)\n\nerror: vpnform.yaml:16:3: vpn_policy_route.b and vpn_policy_route.c are both the route from 10.0.0.0/8 to 10.2.0.0/24 through vco-x on vpn-hz, and a gateway holds a route once\n   |\n16 |   c: {vpn_gateway: vpn-hz, route_source: 10.0.0.0/8, route_dest: 10.2.0.0/24, next_hop: vco-x, prior…\n   |   ^\n   = help: remove one of them, or change its `route_source`, `route_dest` or `next_hop`\n\nerror: vpnform.yaml:17:3: missing `route_source` in `vpn_policy_routes.d`\n   |\n17 |   d: {vpn_gateway: vpn-hz, route_dest: 10.3.0.0/24, next_hop: vco-x}\n   |   ^\n   = help: add the source CIDR block, e.g. `route_source: 10.0.0.0/16`\n\nerror: vpnform.yaml has 5 errors\n"
    );
}

/// A connection replaced while a policy-based route keeps it as its next hop fails the
/// plan as a destination route's does; nothing is sent.
#[test]
fn a_connection_replaced_under_a_policy_route_fails_the_plan_naming_both() {
    let cloud = cloud();
    let ws = workspace(&cloud, &route("10.0.0.0/16", 0, 10, false));
    assert_eq!(ws.run(APPLY).code, 0);
    let vco = read_state(&ws).resources["vpn_connection.branch"]
        .id
        .clone();
    let sent = cloud.sandbox().audit().len();
    let out = ws.run(&["plan", "--replace", "vpn_connection.branch"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "error: vpn_connection.branch must be replaced (`--replace` names it), but vpn_policy_route.office goes on using it as its next hop, and the cloud deletes no connection a route uses ({vco}). Give the new connection an entry of its own (e.g. `vpn_connection.branch_new`), point vpn_policy_route.office at it and remove vpn_connection.branch: the plan then moves the route before it deletes the old connection\n"
        )
    );
    assert_eq!(cloud.sandbox().audit().len(), sent);
}

/// `PublishVpnRouteEntry` names no source: two policy-based routes of one destination
/// and next hop that write different `publish_vpc` are refused, naming both.
#[test]
fn policy_routes_of_one_destination_and_next_hop_publish_alike() {
    let routes = "  a: {vpn_gateway: vpn-hz, route_source: 10.0.0.0/16, route_dest: 192.168.0.0/24, next_hop: vco-x, publish_vpc: true}\n  b: {vpn_gateway: vpn-hz, route_source: 10.1.0.0/16, route_dest: 192.168.0.0/24, next_hop: vco-x, publish_vpc: false}\n  c: {vpn_gateway: vpn-hz, route_source: 10.2.0.0/16, route_dest: 192.168.0.0/24, next_hop: vco-x}\n";
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(routes))
        .env("BRANCH_PSK", PSK);
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: vpnform.yaml:15:3: vpn_policy_route.a writes `publish_vpc: true` and vpn_policy_route.b `publish_vpc: false`, but both are routes to 192.168.0.0/24 through vco-x on vpn-hz, and PublishVpnRouteEntry publishes or withdraws every policy-based route of a destination and next hop at once\n   |\n15 |   b: {vpn_gateway: vpn-hz, route_source: 10.1.0.0/16, route_dest: 192.168.0.0/24, next_hop: vco-x, p…\n   |   ^\n   = help: write the same `publish_vpc` in both, or leave it out of one\n"
    );
}

/// A policy-based route naming its connection by id (no edge in the file) is still
/// deleted before it; weight, priority and publishing changed at once are one call
/// each, each with its own token, each naming the route as it is then.
#[test]
fn a_policy_route_naming_its_connection_by_id_changes_everything_at_once_and_goes_first() {
    let cloud = cloud();
    let ws = workspace(&cloud, "  {}\n");
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let vco = read_state(&ws).resources["vpn_connection.branch"]
        .id
        .clone();
    let entry = |weight: u32, priority: u32, publish: bool| {
        format!(
            "  office: {{vpn_gateway: vpn-hz, route_source: 10.0.0.0/16, route_dest: 192.168.0.0/24, next_hop: {vco}, weight: {weight}, priority: {priority}, publish_vpc: {publish}}}\n"
        )
    };
    ws.write("vpnform.yaml", &desired(&entry(100, 5, false)));
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    ws.write("vpnform.yaml", &desired(&entry(0, 50, true)));
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let sent: Vec<_> = cloud
        .wire
        .calls()
        .into_iter()
        .filter(|c| c.action.starts_with("Modify") || c.action.starts_with("Publish"))
        .collect();
    let actions: Vec<&str> = sent.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "ModifyVpnPbrRouteEntryWeight",
            "ModifyVpnPbrRouteEntryPriority",
            "PublishVpnRouteEntry"
        ]
    );
    assert_eq!(
        (param(&sent[0], "Weight"), param(&sent[0], "Priority")),
        (Some("100"), Some("5"))
    );
    assert_eq!(
        (param(&sent[1], "Weight"), param(&sent[1], "Priority")),
        (Some("0"), Some("5")),
        "named by the weight it has after the first call"
    );
    let tokens: std::collections::BTreeSet<_> =
        sent.iter().map(|c| param(c, "ClientToken")).collect();
    assert_eq!(tokens.len(), 3, "{tokens:?}");
    let route = &cloud.sandbox().world().vpn_policy_routes[0];
    assert_eq!(
        (route.weight, route.priority, route.publish_vpc),
        (0, 50, true)
    );
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{plan:?}");

    ws.write("vpnform.yaml", NO_ROUTES);
    let plan = ws.run(&["plan"]);
    assert!(
        plan.stdout.contains("waits for: vpn_policy_route.office"),
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
    assert_eq!(deletes, ["DeleteVpnPbrRouteEntry", "DeleteVpnConnection"]);
}

/// A gateway the plan deletes that holds a policy-based route vpnform does not manage:
/// the plan refuses, naming the route by its tuple and the call that deletes it (routes
/// are not importable); nothing is sent.
#[test]
fn a_gateway_with_an_unmanaged_policy_route_is_not_deleted() {
    let cloud = cloud();
    let ws = workspace(&cloud, &route("10.0.0.0/16", 0, 10, false));
    ws.write(
        "vpnform.yaml",
        &desired(&route("10.0.0.0/16", 0, 10, false)).replace(
            "customer_gateways:",
            "vpn_gateways:\n  hz: {id: vpn-hz}\ncustomer_gateways:",
        ),
    );
    assert_eq!(ws.run(APPLY).code, 0);
    let state = read_state(&ws);
    let vco = state.resources["vpn_connection.branch"].id.clone();
    let vpr = state.resources["vpn_policy_route.office"].id.clone();
    // vpnform forgets the route; the cloud keeps it.
    assert_eq!(ws.run(&["state", "rm", "vpn_policy_route.office"]).code, 0);
    ws.write("vpnform.yaml", NO_ROUTES);
    let sent = cloud.sandbox().audit().len();
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "error: vpn_gateway.hz: the plan would delete VPN gateway vpn-hz, which still holds policy-based route {vpr} (from 10.0.0.0/16 to 192.168.0.0/24 through {vco}), which vpnform does not manage: run `vpnform import --kind vpn_policy_route --gateway vpn-hz --write` and remove the entry it writes (the plan then deletes it first), or delete it yourself (DeleteVpnPbrRouteEntry); the cloud deletes no gateway with anything on it (DependencyViolation)\n"
        )
    );
    assert_eq!(cloud.sandbox().audit().len(), sent);
}
