//! `vpnform import --kind` (issue 22, item 6): VPN gateways, customer gateways and IPsec
//! connections imported beside IPsec servers, against a sandbox world the test writes.

use std::time::Duration;

use vpnform::sandbox::World;

use crate::support::{Cloud, Workspace, configuring, read_state};

const PSK: &str = "psk-canary-93a1";
const TUNNEL_PSKS: [&str; 2] = ["psk-canary-t1-5e", "psk-canary-t2-7f"];
const BGP_KEY: &str = "bgp-canary-5d1c";

/// Two regions: in cn-hangzhou two gateways with one name, three customer gateways
/// (two names alike, one with a BGP key), a single-tunnel and a dual-tunnel connection;
/// in cn-shanghai a gateway with an IPsec server.
fn world() -> World {
    let yaml = format!(
        "regions: [cn-hangzhou, cn-shanghai]
vpn_gateways:
  vpn-hz: {{region: cn-hangzhou, name: hz-main, description: Hangzhou}}
  vpn-hz2: {{region: cn-hangzhou, name: hz-main, disaster_recovery_vswitch_id: vsw-dr}}
  vpn-sh: {{region: cn-shanghai, name: sh}}
customer_gateways:
  cgw-branch: {{region: cn-hangzhou, ip_address: 203.0.113.7, asn: 65001, name: branch, description: Hangzhou branch, auth_key: {BGP_KEY}}}
  cgw-backup: {{region: cn-hangzhou, ip_address: 203.0.113.8, name: backup}}
  cgw-branch2: {{region: cn-hangzhou, ip_address: 203.0.113.9, name: Branch}}
vpn_connections:
  vco-branch: {{vpn_gateway: vpn-hz, customer_gateway: cgw-branch, local_subnet: 10.0.0.0/16, remote_subnet: 192.168.0.0/24, psk: {PSK}, name: branch}}
  vco-dual:
    vpn_gateway: vpn-hz2
    local_subnet: 10.1.0.0/16
    remote_subnet: 192.168.1.0/24,192.168.2.0/24
    name: dual
    tunnels:
      - {{customer_gateway: cgw-branch, role: master, psk: {}}}
      - {{customer_gateway: cgw-backup, role: slave, psk: {}}}
ipsec_servers:
  iss-sh: {{vpn_gateway: vpn-sh, name: office}}
",
        TUNNEL_PSKS[0], TUNNEL_PSKS[1]
    );
    serde_saphyr::from_str(&yaml).expect("the test's world parses")
}

fn cloud() -> Cloud {
    Cloud::start(configuring(Duration::from_millis(50)), world())
}

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

/// Regression: a connection naming by address a customer gateway that the same plan
/// adopts (what `import` writes for the two) was planned as adopted, then updated: the
/// address was compared with the id the cloud answers, and the state would have
/// recorded the address. A reference to an entry with an `id` is that id.
#[test]
fn regression_a_connection_naming_an_adopted_customer_gateway_by_address_planned_an_update() {
    let cloud = cloud();
    let desired = "version: 1
defaults:
  region: cn-hangzhou
vpn_gateways:
  hz: {id: vpn-hz}
customer_gateways:
  branch: {id: cgw-branch}
vpn_connections:
  branch:
    id: vco-branch
    vpn_gateway: vpn_gateway.hz
    customer_gateway: customer_gateway.branch
";
    let ws = Workspace::new()
        .file("vpnform.yaml", desired)
        .against(&cloud);
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout.contains(
            "  # vpn_connection.branch will be adopted: recorded in the state, nothing changes in the cloud\n"
        ) && plan
            .stdout
            .contains("      > customer_gateway   = \"cgw-branch\"\n")
            && !plan.stdout.contains("known after apply"),
        "{}",
        plan.stdout
    );
    let apply = ws.run(APPLY);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(cloud.sandbox().audit().is_empty());
    assert_eq!(
        read_state(&ws).resources["vpn_connection.branch"].attributes["customer_gateway"],
        "cgw-branch"
    );
}
