//! Routes the cloud lists that no address records (issue 23): a route has no `id` in the
//! desired file, so the online plan adopts the one whose tuple the cloud lists, where it
//! planned a create the cloud refuses as a duplicate. A sandbox served from a state
//! holding routes has them.

use std::io::BufRead as _;
use std::time::Duration;

use vpnform::sandbox::World;

use crate::support::{Cloud, Workspace, configuring, read_state};

const PSK: &str = "psk-canary-route-41c7";

/// One gateway in cn-hangzhou with a connection, a destination route and a
/// policy-based route through it, and an SSL-VPN server with two certificates.
fn world() -> World {
    let yaml = format!(
        "regions: [cn-hangzhou]
vpn_gateways:
  vpn-hz: {{region: cn-hangzhou, name: hz-main}}
customer_gateways:
  cgw-branch: {{region: cn-hangzhou, ip_address: 203.0.113.7, name: branch}}
vpn_connections:
  vco-branch: {{vpn_gateway: vpn-hz, customer_gateway: cgw-branch, local_subnet: 10.0.0.0/16, remote_subnet: 192.168.0.0/24, psk: {PSK}, name: branch}}
vpn_routes:
  - {{vpn_gateway: vpn-hz, route_dest: 192.168.0.0/24, next_hop: vco-branch, weight: 100, publish_vpc: true}}
vpn_policy_routes:
  - {{vpn_gateway: vpn-hz, route_source: 10.0.0.0/16, route_dest: 192.168.0.0/24, next_hop: vco-branch, priority: 20}}
ssl_vpn_servers:
  vss-staff: {{vpn_gateway: vpn-hz, client_ip_pool: 10.30.0.0/16, local_subnet: '10.0.0.0/16,10.1.0.0/16', name: staff, port: 1195, compress: true}}
ssl_vpn_client_certs:
  vsc-alice: {{ssl_vpn_server: vss-staff, name: alice}}
  vsc-bob: {{ssl_vpn_server: vss-staff, name: Bob}}
"
    );
    serde_saphyr::from_str(&yaml).expect("the test's world parses")
}

fn cloud() -> Cloud {
    Cloud::start(configuring(Duration::from_millis(50)), world())
}

/// A gateway, its connection (adopted by `id`) and a route through it that the cloud
/// has: the route entry has no `id`, as every route entry.
const ROUTED: &str = "version: 1
defaults:
  region: cn-hangzhou
ipsec_servers: {}
vpn_gateways:
  hz: {id: vpn-hz}
customer_gateways:
  branch: {id: cgw-branch}
vpn_connections:
  branch: {id: vco-branch, vpn_gateway: vpn_gateway.hz, customer_gateway: customer_gateway.branch}
vpn_routes:
  to_branch: {vpn_gateway: vpn_gateway.hz, route_dest: 192.168.0.0/24, next_hop: vpn_connection.branch, weight: 100, publish_vpc: true}
vpn_policy_routes:
  office: {vpn_gateway: vpn-hz, route_source: 10.0.0.0/16, route_dest: 192.168.0.0/24, next_hop: vco-branch, priority: 20}
";

/// Regression: a route entry the state did not record was planned as a create even
/// where the cloud listed its tuple, and the create was refused as a duplicate
/// (`InvalidRouteEntry.Duplicate`), so an imported route could never be adopted. The
/// online plan adopts it under its tuple's id, exactly like an entry with an `id`, and
/// a saved plan of it applies; a plan made without the cloud still plans a create, and
/// applying it fails saying what to do, with nothing created and nothing pending.
#[test]
fn regression_a_route_the_cloud_lists_was_planned_as_a_create_refused_as_a_duplicate() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", ROUTED)
        .against(&cloud);
    let plan = ws.run(&["plan", "--out", "adopt.plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains(
            "  # vpn_route.to_branch will be adopted: recorded in the state, nothing changes in the cloud\n  # (because it is in the desired state but not yet recorded)\n  > resource \"vpn_route\" \"to_branch\" {\n      > id          = \"vre-56230f79233ba645b00c960c\"\n"
        ) && plan.stdout.contains(
            "  # vpn_policy_route.office will be adopted: recorded in the state, nothing changes in the cloud\n"
        ) && plan
            .stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy, 5 to adopt, 0 to forget.\n"),
        "{}",
        plan.stdout
    );
    // The saved plan is derived again from the files: the adopt under the same id.
    let apply = ws.run(&["apply", "adopt.plan", "--poll-interval", "50ms"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(cloud.sandbox().audit().is_empty(), "nothing created");
    let state = read_state(&ws);
    assert_eq!(
        state.resources["vpn_route.to_branch"].id,
        "vre-56230f79233ba645b00c960c"
    );
    assert_eq!(
        state.resources["vpn_policy_route.office"].id,
        "vpr-1184b630fd5ec0ff51205c9e"
    );
    assert_eq!(
        ws.run(&["plan", "--detailed-exitcode"]).code,
        0,
        "no changes after"
    );

    // Without the cloud, a create; applied, refused with what to do.
    let offline = Workspace::new()
        .file("vpnform.yaml", ROUTED)
        .against(&cloud);
    let plan = offline.run(&["plan", "--offline", "--out", "offline.plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout
            .contains("Plan: 2 to add, 0 to change, 0 to destroy, 3 to adopt, 0 to forget.\n"),
        "{}",
        plan.stdout
    );
    let apply = offline.run(&["apply", "offline.plan", "--poll-interval", "50ms"]);
    assert_eq!(apply.code, 1, "{apply:?}");
    assert!(
        apply.stderr.contains(
            "vpn_route.to_branch: CreateVpnRouteEntry failed: InvalidRouteEntry.Duplicate (HTTP 400): The route entry already exist: the VPN gateway vpn-hz has the vpn route 192.168.0.0/24 via vco-branch.\n"
        ) && apply.stderr.contains(
            "  vpn-hz holds this route already, and no address of the state records it: nothing was created. Run `vpnform plan`: it reads the cloud and adopts the route\n"
        ),
        "{}",
        apply.stderr
    );
    assert!(cloud.sandbox().audit().is_empty(), "nothing created");
    let state = read_state(&offline);
    assert!(state.pending.is_empty(), "{:?}", state.pending);
    assert!(!state.resources.contains_key("vpn_route.to_branch"));
    // As it says: the next plan adopts what the cloud has.
    let plan = offline.run(&["plan"]);
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy, 2 to adopt, 0 to forget.\n"),
        "{}",
        plan.stdout
    );
}

/// `vpnform sandbox serve` from a state holding routes serves them: a plan of the same
/// routes against it finds no change (it found them gone and planned them again).
#[test]
fn sandbox_serve_from_a_state_holding_routes_serves_them() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", ROUTED)
        .against(&cloud);
    assert_eq!(ws.run(&["apply", "--auto-approve"]).code, 0);
    let state = ws.read("state/vpnform.state.yaml");
    assert!(state.contains("vpn_route.to_branch:") && state.contains("vpn_policy_route.office:"));

    let served = Workspace::new()
        .file("vpnform.yaml", ROUTED)
        .file("state/vpnform.state.yaml", &state);
    let mut child = served
        .command(&["sandbox", "serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut env = Vec::new();
    while env.len() < 3 {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "{env:?}");
        if let Some((key, value)) = line
            .trim()
            .strip_prefix("export ")
            .and_then(|l| l.split_once('='))
        {
            env.push((key.to_owned(), value.to_owned()));
        }
    }
    let mut against = served;
    for (key, value) in &env {
        against = against.env(key, value);
    }
    let plan = against.run(&["plan", "--detailed-exitcode"]);
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.starts_with("No changes."), "{}", plan.stdout);
}
