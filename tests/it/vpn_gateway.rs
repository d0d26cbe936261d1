//! VPN gateways by reference (issue 22): adopted by id, their name, description and
//! auto-propagation changed in place on their own lane, named by address from a
//! connection; never replaced or given a setting the API cannot change. Deleted (issue
//! 23) after everything on it, never while it holds what vpnform does not manage, nor a
//! subscription one.

use std::time::Duration;

use vpnform::sandbox::World;

use crate::support::{Cloud, Workspace, configuring, read_state};

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

fn cloud() -> Cloud {
    let mut world = World::default();
    world.add_gateway("vpn-hz", "cn-hangzhou");
    Cloud::start(configuring(Duration::from_millis(200)), world)
}

fn effects(cloud: &Cloud) -> Vec<String> {
    cloud
        .sandbox()
        .audit()
        .iter()
        .map(|e| e.action.clone())
        .collect()
}

const GATEWAY: &str = "version: 1
defaults:
  region: cn-hangzhou
vpn_gateways:
  hz: {id: vpn-hz, name: hz-main, description: Hangzhou}
";

#[test]
fn a_gateway_is_adopted_by_id_and_renamed_in_place() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", GATEWAY)
        .against(&cloud);
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains("  # vpn_gateway.hz will be adopted"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("precheck: model only (the API has no DryRun)"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(effects(&cloud), ["ModifyVpnGatewayAttribute"]);
    let recorded = &read_state(&ws).resources["vpn_gateway.hz"];
    assert_eq!(recorded.id, "vpn-hz");
    assert_eq!(recorded.vpn_gateway, "vpn-hz", "its own lane");
    assert_eq!(recorded.attributes["name"], "hz-main");
    assert_eq!(recorded.attributes["description"], "Hangzhou");
    assert_eq!(
        recorded.attributes["charge_type"], "PostpayByFlow",
        "observed"
    );
    let world = cloud.sandbox().world();
    let shown = serde_json::to_value(&world.vpn_gateways["vpn-hz"]).unwrap();
    assert_eq!(shown["name"], "hz-main");

    // Nothing left to do.
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
}

#[test]
fn a_connection_names_its_gateway_by_address() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &format!(
                "{GATEWAY}customer_gateways:\n  branch: {{ip_address: 203.0.113.7}}\nvpn_connections:\n  branch:\n    vpn_gateway: vpn_gateway.hz\n    customer_gateway: customer_gateway.branch\n    local_subnet: [10.0.0.0/16]\n    remote_subnet: [192.168.0.0/24]\n    psk: {{env: BRANCH_PSK}}\n"
            ),
        )
        .env("BRANCH_PSK", "gateway-test-psk")
        .against(&cloud);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let state = read_state(&ws);
    assert_eq!(
        state.resources["vpn_connection.branch"].vpn_gateway,
        "vpn-hz"
    );
    let mut effects = effects(&cloud);
    effects.sort();
    assert_eq!(
        effects,
        [
            "CreateCustomerGateway",
            "CreateVpnConnection",
            "ModifyVpnGatewayAttribute"
        ]
    );
}

#[test]
fn a_gateway_is_never_replaced_nor_deleted_under_an_entry_nor_given_a_setting_the_api_cannot_change()
 {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", GATEWAY)
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    let sent = cloud.sandbox().audit().len();
    // Another region: a replace, never planned.
    ws.write(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\nvpn_gateways:\n  hz: {id: vpn-hz, region: cn-shanghai}\n",
    );
    ws.vpnform(&["plan", "--offline"])
        .code(1)
        .stderr("error: vpn_gateway.hz: the plan would replace VPN gateway vpn-hz (its region changed), and a gateway is never replaced: a new one gets a new public IP address and drops every tunnel. Restore it in the desired file, or run `vpnform state rm vpn_gateway.hz` to stop managing it (the gateway stays)\n")
        .run();
    // Removed while an entry stays on it by id.
    ws.write(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\ncustomer_gateways:\n  branch: {ip_address: 203.0.113.7}\nvpn_connections:\n  branch: {vpn_gateway: vpn-hz, customer_gateway: customer_gateway.branch, local_subnet: [10.0.0.0/16], remote_subnet: [192.168.0.0/24], psk: {env: BRANCH_PSK}}\n",
    );
    ws.vpnform(&["plan", "--offline"])
        .code(1)
        .stderr("error: vpn_gateway.hz: the plan would delete VPN gateway vpn-hz, but vpn_connection.branch stays on it in the desired file: remove vpn_connection.branch too (the plan then deletes it first), or keep vpn_gateway.hz\n")
        .run();
    assert_eq!(cloud.sandbox().audit().len(), sent);
    assert!(cloud.sandbox().world().vpn_gateways.contains_key("vpn-hz"));

    ws.write(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\nvpn_gateways:\n  hz: {id: vpn-hz, bandwidth: 20}\n  new: {name: x}\n",
    );
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("`vpn_gateways.hz.bandwidth` cannot be managed: the API has no call that changes it, and a replaced gateway gets a new public IP address and drops every tunnel")
            && out.stderr.contains("vpn_gateway.new has no `id`, so vpnform creates it, and a create needs `vpc` and `bandwidth`"),
        "{}",
        out.stderr
    );
    // A create writes what the create takes, within the API's lists.
    ws.write(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\nvpn_gateways:\n  new: {vpc: vpc-a, bandwidth: 7, description: d}\n",
    );
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("`7` in `vpn_gateways.new.bandwidth` is not one the API offers\n  |\n5 |   new: {vpc: vpc-a, bandwidth: 7, description: d}\n  |                                ^\n  = help: write one of 5, 10, 20, 50, 100, 200, 500, 1000 (Mbit/s)\n")
            && out.stderr.contains("`vpn_gateways.new.description` cannot be written in a gateway vpnform creates: `ModifyVpnGatewayAttribute` sets it once the gateway exists: add it after the apply that creates it"),
        "{}",
        out.stderr
    );
}

const FAMILY: &str = "version: 1
defaults:
  region: cn-hangzhou
vpn_gateways:
  hz: {id: vpn-hz}
customer_gateways:
  branch: {ip_address: 203.0.113.7}
vpn_connections:
  branch:
    vpn_gateway: vpn_gateway.hz
    customer_gateway: customer_gateway.branch
    local_subnet: [10.0.0.0/16]
    remote_subnet: [192.168.0.0/24]
    psk: {env: BRANCH_PSK}
";

const NOTHING: &str = "version: 1\ndefaults:\n  region: cn-hangzhou\nvpn_gateways: {}\ncustomer_gateways: {}\nvpn_connections: {}\n";

/// Everything removed from the file: the connection is deleted first, then the gateway
/// (after everything on it) and the customer gateway (after the connection using it);
/// nothing is left in the cloud or the state.
#[test]
fn a_gateway_and_everything_on_it_are_decommissioned_in_order() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", FAMILY)
        .env("BRANCH_PSK", "decommission-psk-canary")
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    let state = read_state(&ws);
    let (cgw, vco) = (
        state.resources["customer_gateway.branch"].id.clone(),
        state.resources["vpn_connection.branch"].id.clone(),
    );
    ws.write("vpnform.yaml", NOTHING);
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let block = "  # vpn_gateway.hz will be destroyed
  # (because vpn_gateway.hz is not in the desired state)
  - resource \"vpn_gateway\" \"hz\" {
      - id              = \"vpn-hz\"
      - vpn_gateway     = \"vpn-hz\"
      - region          = \"cn-hangzhou\"
      - auto_propagate  = false
      - bandwidth       = \"10M\"
      - charge_type     = \"PostpayByFlow\"
      - internet_ip     = \"198.51.100.10\"
      - ipsec_vpn       = \"enable\"
      - name            = \"vpn-hz\"
      - network_type    = \"public\"
      - ssl_connections = 5
      - ssl_vpn         = \"enable\"
      - vpc             = \"vpc-hz\"
      - vpn_type        = \"Normal\"
      - vswitch         = \"vsw-hz\"
    }
    waits for: vpn_connection.branch
    precheck: model only (the API has no DryRun)

Plan: 0 to add, 0 to change, 3 to destroy, 0 to adopt, 0 to forget.
";
    assert!(plan.stdout.contains(block), "{}", plan.stdout);
    // The decommission graph, as a pull request shows it.
    let graph = ws.run(&["graph", "--format", "mermaid"]);
    assert_eq!(graph.code, 0, "{graph:?}");
    assert_eq!(
        graph.stdout,
        format!(
            "flowchart LR
  n0[\"- delete<br/>vpn_connection.branch<br/>{vco}\"]:::delete
  n1[\"- delete<br/>customer_gateway.branch<br/>{cgw}\"]:::delete
  n2[\"- delete<br/>vpn_gateway.hz<br/>vpn-hz\"]:::delete
  n0 --> n1
  n0 --> n2
  classDef delete fill:#ffeef0,stroke:#cb2431
"
        )
    );
    let sent = cloud.sandbox().audit().len();
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let wire: Vec<(String, String)> = cloud.sandbox().audit()[sent..]
        .iter()
        .map(|e| (e.action.clone(), e.resource.clone()))
        .collect();
    assert_eq!(wire.len(), 3, "{wire:?}");
    assert_eq!(wire[0], ("DeleteVpnConnection".to_owned(), vco));
    let mut rest = wire[1..].to_vec();
    rest.sort();
    assert_eq!(
        rest,
        [
            ("DeleteCustomerGateway".to_owned(), cgw),
            ("DeleteVpnGateway".to_owned(), "vpn-hz".to_owned())
        ]
    );
    let world = cloud.sandbox().world();
    assert!(world.vpn_gateways.is_empty() && world.customer_gateways.is_empty());
    assert!(world.vpn_connections.is_empty());
    assert!(read_state(&ws).resources.is_empty());
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
}

/// A gateway that holds a connection vpnform does not manage: the plan refuses its
/// delete, naming the connection and the import that brings it in; nothing is sent.
#[test]
fn a_gateway_with_an_unmanaged_connection_is_not_deleted() {
    let mut world = World::default();
    world.add_gateway("vpn-hz", "cn-hangzhou");
    let cloud = Cloud::start(configuring(Duration::from_millis(100)), world);
    let ws = Workspace::new()
        .file("vpnform.yaml", FAMILY)
        .env("BRANCH_PSK", "unmanaged-psk-canary")
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    let vco = read_state(&ws).resources["vpn_connection.branch"]
        .id
        .clone();
    // vpnform forgets the connection; the cloud keeps it.
    assert_eq!(ws.run(&["state", "rm", "vpn_connection.branch"]).code, 0);
    ws.write(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\ncustomer_gateways:\n  branch: {ip_address: 203.0.113.7}\n",
    );
    let sent = cloud.sandbox().audit().len();
    ws.vpnform(&["plan"])
        .code(1)
        .stderr(format!("error: vpn_gateway.hz: the plan would delete VPN gateway vpn-hz, which still holds IPsec connection {vco}, which vpnform does not manage: run `vpnform import --kind vpn_connection --gateway vpn-hz --write` and remove the entry it writes (the plan then deletes it first), or delete it yourself; the cloud deletes no gateway with anything on it (DependencyViolation)\n"))
        .run();
    assert_eq!(cloud.sandbox().audit().len(), sent);
}

/// A subscription gateway is released when its subscription ends, never deleted: the
/// plan refuses, offering `vpnform state rm`.
#[test]
fn a_subscription_gateway_is_not_deleted() {
    let mut world = World::default();
    world.add_gateway("vpn-hz", "cn-hangzhou").charge_type = "Prepay".into();
    let cloud = Cloud::start(configuring(Duration::from_millis(100)), world);
    let ws = Workspace::new()
        .file("vpnform.yaml", GATEWAY)
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    ws.write("vpnform.yaml", NOTHING);
    for args in [&["plan"][..], &["plan", "--offline"]] {
        ws.vpnform(args)
            .code(1)
            .stderr("error: vpn_gateway.hz: the plan would delete VPN gateway vpn-hz, a subscription (Prepay) gateway, which the cloud releases only when its subscription ends (ForbiddenRelease): restore the entry, or run `vpnform state rm vpn_gateway.hz` to stop managing it (the gateway stays)\n")
            .run();
    }
    assert!(
        !effects(&cloud).contains(&"DeleteVpnGateway".to_owned()),
        "{:?}",
        effects(&cloud)
    );
}

const CREATED: &str = "version: 1
defaults:
  region: cn-hangzhou
vpn_gateways:
  hz: {vpc: vpc-hz, bandwidth: 10, name: hz-main}
customer_gateways:
  branch: {ip_address: 203.0.113.7}
vpn_connections:
  branch:
    vpn_gateway: vpn_gateway.hz
    customer_gateway: customer_gateway.branch
    local_subnet: [10.0.0.0/16]
    remote_subnet: [192.168.0.0/24]
    psk: {env: BRANCH_PSK}
";

/// A gateway vpnform creates, and a connection on it named by address, in one apply:
/// the gateway is created and read until `active`, then the connection is created on
/// the new id; a second plan has nothing to do; what only the create sets never
/// changes; removing everything decommissions it.
#[test]
fn a_gateway_is_created_with_a_connection_on_it_in_one_apply() {
    let mut config = configuring(Duration::from_millis(100));
    config.gateway_create_time = (Duration::from_millis(400), Duration::from_millis(400));
    let cloud = Cloud::start(config, World::default());
    let ws = Workspace::new()
        .file("vpnform.yaml", CREATED)
        .env("BRANCH_PSK", "created-gateway-psk-canary")
        .against(&cloud);
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let block = "  # vpn_gateway.hz will be created
  # (because vpn_gateway.hz is in the desired state without an id)
  + resource \"vpn_gateway\" \"hz\" {
      + id          = (known after apply)
      + vpn_gateway = (known after apply) (vpn_gateway.hz)
      + region      = \"cn-hangzhou\"
      + bandwidth   = \"10M\"
      + name        = \"hz-main\"
      + vpc         = \"vpc-hz\"
    }
    precheck: model only (the API has no DryRun)
";
    assert!(plan.stdout.contains(block), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("    waits for: customer_gateway.branch, vpn_gateway.hz\n    precheck: not run: it names a resource this plan creates first\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let state = read_state(&ws);
    let gateway = state.resources["vpn_gateway.hz"].clone();
    assert!(gateway.id.starts_with("vpn-"), "{gateway:?}");
    assert_eq!(gateway.vpn_gateway, gateway.id);
    assert_eq!(gateway.attributes["bandwidth"], "10M");
    let vco = &state.resources["vpn_connection.branch"];
    assert_eq!(vco.vpn_gateway, gateway.id);
    let audit = cloud.sandbox().audit();
    let at = |action: &str| audit.iter().position(|e| e.action == action).unwrap();
    assert!(
        at("CreateVpnGateway") < at("CreateVpnConnection"),
        "{audit:?}"
    );
    let world = cloud.sandbox().world();
    assert_eq!(world.vpn_connections[&vco.id].vpn_gateway, gateway.id);
    assert_eq!(world.vpn_gateways[&gateway.id].status, "active");
    ws.vpnform(&["plan", "--detailed-exitcode"])
        .any_stdout()
        .run();

    // What only the create sets never changes.
    ws.write(
        "vpnform.yaml",
        &CREATED.replace("bandwidth: 10", "bandwidth: 20"),
    );
    ws.vpnform(&["plan"])
        .code(1)
        .stderr(format!("error: vpn_gateway.hz: the plan would replace VPN gateway {} (its bandwidth changed in the desired state, which cannot change in place), and a gateway is never replaced: a new one gets a new public IP address and drops every tunnel. Restore it in the desired file, or run `vpnform state rm vpn_gateway.hz` to stop managing it (the gateway stays)\n", gateway.id))
        .run();

    // Everything removed: the connection, then the gateway and the customer gateway.
    ws.write("vpnform.yaml", NOTHING);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(read_state(&ws).resources.is_empty());
    let world = cloud.sandbox().world();
    assert!(world.vpn_gateways.is_empty() && world.vpn_connections.is_empty());
}

/// The same, from a saved plan: what was reviewed is what runs.
#[test]
fn a_saved_plan_creates_the_gateway_and_what_is_on_it() {
    let mut config = configuring(Duration::from_millis(100));
    config.gateway_create_time = (Duration::from_millis(300), Duration::from_millis(300));
    let cloud = Cloud::start(config, World::default());
    let ws = Workspace::new()
        .file("vpnform.yaml", CREATED)
        .env("BRANCH_PSK", "saved-gateway-psk-canary")
        .against(&cloud);
    let plan = ws.run(&["plan", "--out", "create.plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let out = ws.run(&["apply", "create.plan", "--poll-interval", "50ms"]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut made = effects(&cloud);
    made.sort();
    assert_eq!(
        made,
        [
            "CreateCustomerGateway",
            "CreateVpnConnection",
            "CreateVpnGateway"
        ]
    );
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
}

const WHOLE: &str = "version: 1
defaults:
  region: cn-hangzhou
vpn_gateways:
  hz: {vpc: vpc-hz, bandwidth: 10, ssl_vpn: true}
ssl_vpn_servers:
  staff: {vpn_gateway: vpn_gateway.hz, client_ip_pool: 10.30.0.0/16, local_subnet: [10.0.0.0/16]}
ssl_vpn_client_certs:
  alice: {ssl_vpn_server: ssl_vpn_server.staff, name: alice}
customer_gateways:
  branch: {ip_address: 203.0.113.7}
vpn_connections:
  branch:
    vpn_gateway: vpn_gateway.hz
    customer_gateway: customer_gateway.branch
    local_subnet: [10.0.0.0/16]
    remote_subnet: [192.168.0.0/24]
    psk: {env: BRANCH_PSK}
vpn_routes:
  to_branch: {vpn_gateway: vpn_gateway.hz, route_dest: 192.168.0.0/24, next_hop: vpn_connection.branch, weight: 0, publish_vpc: false}
ipsec_servers:
  office: {vpn_gateway: vpn-sh, local_subnet: [10.1.0.0/16], client_ip_pool: 10.40.0.0/16, psk: {env: OFFICE_PSK}}
";

/// Issue 23's whole gateway: one file builds a gateway with an SSL-VPN server and a
/// certificate, a connection with a route, and an IPsec server on another gateway, in
/// one apply; removing everything decommissions it in order (the route before its
/// connection, everything on the gateway before it, the customer gateway after the
/// connection, no certificate delete sent), each step confirmed, nothing left.
#[test]
fn one_file_builds_a_whole_gateway_and_removing_it_decommissions_it_in_order() {
    let mut config = configuring(Duration::from_millis(100));
    config.gateway_create_time = (Duration::from_millis(300), Duration::from_millis(300));
    let mut world = World::default();
    world.add_gateway("vpn-sh", "cn-hangzhou");
    let cloud = Cloud::start(config, world);
    let ws = Workspace::new()
        .file("vpnform.yaml", WHOLE)
        .env("BRANCH_PSK", "whole-branch-psk-canary")
        .env("OFFICE_PSK", "whole-office-psk-canary")
        .against(&cloud);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let state = read_state(&ws);
    assert_eq!(state.resources.len(), 7, "{:?}", state.resources.keys());
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
    let id = |address: &str| state.resources[address].id.clone();
    let gateway = id("vpn_gateway.hz");
    for address in [
        "ssl_vpn_server.staff",
        "ssl_vpn_client_cert.alice",
        "vpn_connection.branch",
        "vpn_route.to_branch",
    ] {
        assert_eq!(state.resources[address].vpn_gateway, gateway, "{address}");
    }

    ws.write(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\nvpn_gateways: {}\nssl_vpn_servers: {}\nssl_vpn_client_certs: {}\ncustomer_gateways: {}\nvpn_connections: {}\nvpn_routes: {}\nipsec_servers: {}\n",
    );
    let sent = cloud.sandbox().audit().len();
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let audit = cloud.sandbox().audit();
    // One entry per request; the server's delete takes its certificate with it (the
    // sandbox audits that as a second effect of the same request).
    let cert = id("ssl_vpn_client_cert.alice");
    let server_delete = audit[sent..]
        .iter()
        .find(|e| e.action == "DeleteSslVpnServer" && e.resource != cert)
        .unwrap();
    assert!(
        audit[sent..]
            .iter()
            .any(|e| e.resource == cert && e.client_token == server_delete.client_token),
        "{audit:?}"
    );
    let wire: Vec<&str> = audit[sent..]
        .iter()
        .filter(|e| e.resource != cert)
        .map(|e| e.action.as_str())
        .collect();
    let at = |action: &str| {
        wire.iter()
            .position(|a| *a == action)
            .unwrap_or_else(|| panic!("no {action} in {wire:?}"))
    };
    assert!(
        at("DeleteVpnRouteEntry") < at("DeleteVpnConnection"),
        "{wire:?}"
    );
    for child in [
        "DeleteVpnConnection",
        "DeleteSslVpnServer",
        "DeleteVpnRouteEntry",
    ] {
        assert!(at(child) < at("DeleteVpnGateway"), "{wire:?}");
    }
    assert!(
        at("DeleteVpnConnection") < at("DeleteCustomerGateway"),
        "{wire:?}"
    );
    assert!(!wire.contains(&"DeleteSslVpnClientCert"), "{wire:?}");
    let mut sorted = wire.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "DeleteCustomerGateway",
            "DeleteIpsecServer",
            "DeleteSslVpnServer",
            "DeleteVpnConnection",
            "DeleteVpnGateway",
            "DeleteVpnRouteEntry"
        ]
    );
    assert!(read_state(&ws).resources.is_empty());
    let world = cloud.sandbox().world();
    assert!(!world.vpn_gateways.contains_key(&gateway));
    assert!(world.vpn_connections.is_empty() && world.customer_gateways.is_empty());
    assert!(world.ipsec_servers.is_empty());
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
}

/// Issue 23: a dual-tunnel gateway stands in two zones, one vSwitch each. A created
/// entry writes both (`vswitch`, `dr_vswitch`), its network and VPN type; the create
/// sends them, the cloud answers them, a second plan has nothing to do, and a changed
/// vSwitch is refused like every other attribute only the create sets.
#[test]
fn a_dual_tunnel_gateway_is_created_in_two_vswitches() {
    let mut config = configuring(Duration::from_millis(100));
    config.gateway_create_time = (Duration::from_millis(300), Duration::from_millis(300));
    let cloud = Cloud::start(config, World::default());
    let file = "version: 1
defaults:
  region: cn-hangzhou
vpn_gateways:
  dual: {vpc: vpc-hz, bandwidth: 200, vswitch: vsw-hzzoneh01, dr_vswitch: vsw-hzzonei02, network_type: private, vpn_type: Normal}
";
    let ws = Workspace::new().file("vpnform.yaml", file).against(&cloud);
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let block = "  + resource \"vpn_gateway\" \"dual\" {
      + id           = (known after apply)
      + vpn_gateway  = (known after apply) (vpn_gateway.dual)
      + region       = \"cn-hangzhou\"
      + bandwidth    = \"200M\"
      + dr_vswitch   = \"vsw-hzzonei02\"
      + network_type = \"private\"
      + vpc          = \"vpc-hz\"
      + vpn_type     = \"Normal\"
      + vswitch      = \"vsw-hzzoneh01\"
    }
";
    assert!(plan.stdout.contains(block), "{}", plan.stdout);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let id = read_state(&ws).resources["vpn_gateway.dual"].id.clone();
    let world = cloud.sandbox().world();
    let gateway = &world.vpn_gateways[&id];
    assert_eq!(gateway.vswitch_id.as_deref(), Some("vsw-hzzoneh01"));
    assert_eq!(
        gateway.disaster_recovery_vswitch_id.as_deref(),
        Some("vsw-hzzonei02")
    );
    assert_eq!(
        (gateway.network_type.as_str(), gateway.bandwidth),
        ("private", 200)
    );
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");

    ws.write(
        "vpnform.yaml",
        &file.replace("vsw-hzzonei02", "vsw-hzzonej03"),
    );
    ws.vpnform(&["plan"])
        .code(1)
        .stderr(format!("error: vpn_gateway.dual: the plan would replace VPN gateway {id} (its dr_vswitch changed in the desired state, which cannot change in place), and a gateway is never replaced: a new one gets a new public IP address and drops every tunnel. Restore it in the desired file, or run `vpnform state rm vpn_gateway.dual` to stop managing it (the gateway stays)\n"))
        .run();
}

/// The vSwitches and types of a created gateway, checked at their lines.
#[test]
fn a_created_gateway_placement_is_checked_at_its_line() {
    let ws = Workspace::new().file(
        "vpnform.yaml",
        "version: 1
defaults:
  region: cn-hangzhou
vpn_gateways:
  a: {vpc: vpc-hz, bandwidth: 10, dr_vswitch: vsw-hzzonei02}
  b: {vpc: vpc-hz, bandwidth: 10, vswitch: vsw-hzzoneh01, dr_vswitch: vsw-hzzoneh01}
  c: {vpc: vpc-hz, bandwidth: 10, vswitch: subnet-1, network_type: private}
  d: {vpc: vpc-hz, bandwidth: 10, vpn_type: national}
",
    );
    ws.vpnform(&["validate"])
        .code(1)
        .stderr(r#"error: vpnform.yaml:5:35: `vpn_gateways.a.dr_vswitch` needs `vpn_gateways.a.vswitch`: the second zone's vSwitch goes with the first's
  |
5 |   a: {vpc: vpc-hz, bandwidth: 10, dr_vswitch: vsw-hzzonei02}
  |                                   ^^^^^^^^^^
  = help: add `vswitch: vsw-...` (the first zone's), or remove `dr_vswitch`

error: vpnform.yaml:6:71: `vpn_gateways.b.dr_vswitch` is `vpn_gateways.b.vswitch`: a dual-tunnel gateway stands in two zones, one vSwitch each
  |
6 |   b: {vpc: vpc-hz, bandwidth: 10, vswitch: vsw-hzzoneh01, dr_vswitch: vsw-hzzoneh01}
  |                                                                       ^^^^^^^^^^^^^
  = help: write a vSwitch of another zone, or remove `dr_vswitch` for a single-tunnel gateway

error: vpnform.yaml:7:31: `10` in `vpn_gateways.c.bandwidth` is not one a private gateway comes in
  |
7 |   c: {vpc: vpc-hz, bandwidth: 10, vswitch: subnet-1, network_type: private}
  |                               ^^
  = help: write 200 or 1000 (Mbit/s), or `network_type: public`

error: vpnform.yaml:7:44: `subnet-1` in `vpn_gateways.c.vswitch` is not a vSwitch id (vsw-...)
  |
7 |   c: {vpc: vpc-hz, bandwidth: 10, vswitch: subnet-1, network_type: private}
  |                                            ^^^^^^^^
  = help: write the id of a vSwitch of the gateway's VPC, e.g. `vsw-bp1q8bgx4xnkm2ogjabcd`

error: vpnform.yaml:8:45: unknown value `national` in `vpn_gateways.d.vpn_type`
  |
8 |   d: {vpc: vpc-hz, bandwidth: 10, vpn_type: national}
  |                                             ^^^^^^^^
  = help: expected one of: Normal, NationalStandard

error: vpnform.yaml has 5 errors
"#)
        .run();
}
