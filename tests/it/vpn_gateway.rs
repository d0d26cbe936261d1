//! VPN gateways by reference (issue 22): adopted by id, their name, description and
//! auto-propagation changed in place on their own lane, named by address from a
//! connection; never deleted, replaced or given a setting the API cannot change.

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
fn a_gateway_is_never_deleted_or_given_a_setting_the_api_cannot_change() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", GATEWAY)
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    ws.write(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\nvpn_gateways: {}\n",
    );
    ws.vpnform(&["plan"])
        .code(1)
        .stderr("error: vpn_gateway.hz: the plan would delete VPN gateway vpn-hz (it left the desired file, or its region changed), and vpnform does not delete or replace VPN gateways: restore the entry, or run `vpnform state rm vpn_gateway.hz` to stop managing it (the gateway stays)\n")
        .run();
    assert!(cloud.sandbox().world().vpn_gateways.contains_key("vpn-hz"));

    ws.write(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\nvpn_gateways:\n  hz: {id: vpn-hz, bandwidth: 20}\n  new: {name: x}\n",
    );
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("`vpn_gateways.hz.bandwidth` cannot be managed: the API has no call that changes it, and a replaced gateway gets a new public IP address and drops every tunnel")
            && out.stderr.contains("vpn_gateway.new has no `id`: vpnform manages existing VPN gateways by their id, and creates none yet"),
        "{}",
        out.stderr
    );
}
