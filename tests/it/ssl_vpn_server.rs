//! SSL-VPN servers (issue 23), through the one planner and executor: created on their
//! gateway's lane (DryRun on the create and the modify, never on the delete), changed
//! in place with one ModifySslVpnServer, replaced destroy first where they are (a
//! gateway holds one) and create first onto another gateway; local subnets and ports
//! the API refuses are refused at plan time; a lost create answer makes one server.

use std::time::Duration;

use vpnform::sandbox::World;

use crate::support::{Cloud, Workspace, configuring, param, read_state};

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

fn cloud() -> Cloud {
    let mut world = World::default();
    world.add_gateway("vpn-hz", "cn-hangzhou");
    world.add_gateway("vpn-sh", "cn-hangzhou");
    Cloud::start(configuring(Duration::from_millis(100)), world)
}

fn desired(servers: &str) -> String {
    format!(
        "version: 1\ndefaults:\n  region: cn-hangzhou\nvpn_gateways:\n  hz: {{id: vpn-hz}}\nssl_vpn_servers:\n{servers}"
    )
}

fn staff(gateway: &str, port: u32) -> String {
    format!(
        "  staff:\n    vpn_gateway: {gateway}\n    name: staff\n    client_ip_pool: 10.30.0.0/16\n    local_subnet: [10.0.0.0/16]\n    proto: UDP\n    port: {port}\n"
    )
}

/// The effects the sandbox made, in order.
fn effects(cloud: &Cloud) -> Vec<String> {
    cloud
        .sandbox()
        .audit()
        .iter()
        .map(|e| e.action.clone())
        .collect()
}

#[test]
fn a_server_is_created_modified_in_place_and_deleted_with_dry_run_only_where_the_api_has_it() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(&staff("vpn_gateway.hz", 1194)))
        .against(&cloud);
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains(
            "  # ssl_vpn_server.staff will be created\n  # (because ssl_vpn_server.staff is in the desired state without an id)\n  + resource \"ssl_vpn_server\" \"staff\" {\n      + id             = (known after apply)\n      + vpn_gateway    = \"vpn-hz\"\n      + region         = \"cn-hangzhou\"\n      + depends_on     = [\"vpn_gateway.hz\"]\n      + client_ip_pool = \"10.30.0.0/16\"\n      + local_subnet   = \"10.0.0.0/16\"\n      + name           = \"staff\"\n      + port           = 1194\n      + proto          = \"UDP\"\n    }\n    waits for: vpn_gateway.hz\n    precheck: passed (DryRunOperation, RequestId "
        ),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(effects(&cloud), ["CreateSslVpnServer"]);
    let state = read_state(&ws);
    let server = &state.resources["ssl_vpn_server.staff"];
    assert!(server.id.starts_with("vss-"), "{server:?}");
    assert_eq!(server.vpn_gateway, "vpn-hz");
    assert_eq!(server.attributes["port"], "1194");
    assert_eq!(server.attributes["client_ip_pool"], "10.30.0.0/16");
    let id = server.id.clone();

    // Another port: one ModifySslVpnServer, in place, prechecked with DryRun.
    ws.write("vpnform.yaml", &desired(&staff("vpn_gateway.hz", 1195)));
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains(
            "  ~ resource \"ssl_vpn_server\" \"staff\" {\n      ~ port = 1194 -> 1195\n    }\n    precheck: passed (DryRun"
        ),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(effects(&cloud)[1..], ["ModifySslVpnServer"], "one modify");
    let modify = cloud.wire.sent("ModifySslVpnServer");
    let real: Vec<_> = modify
        .iter()
        .filter(|c| param(c, "DryRun") != Some("true"))
        .collect();
    assert_eq!(real.len(), 1);
    assert_eq!(param(real[0], "Port"), Some("1195"));
    assert_eq!(param(real[0], "Name"), None, "only the changed field");
    assert_eq!(cloud.sandbox().world().ssl_vpn_servers[&id].port, 1195);

    // Removed: DeleteSslVpnServer, with no DryRun (the API has none there).
    ws.write("vpnform.yaml", &desired("  {}\n"));
    let plan = ws.run(&["plan"]);
    assert!(
        plan.stdout
            .contains("    precheck: model only (the API has no DryRun)\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(effects(&cloud)[2..], ["DeleteSslVpnServer"]);
    assert!(
        !read_state(&ws)
            .resources
            .contains_key("ssl_vpn_server.staff")
    );
    assert!(cloud.sandbox().world().ssl_vpn_servers.is_empty());

    // Each plan (and apply's own) prechecked: the create and the modify, never the delete.
    let mut dry: Vec<String> = cloud
        .wire
        .calls()
        .iter()
        .filter(|c| param(c, "DryRun") == Some("true"))
        .map(|c| c.action.clone())
        .collect();
    dry.dedup();
    assert_eq!(dry, ["CreateSslVpnServer", "ModifySslVpnServer"]);
}

#[test]
fn a_forbidden_port_and_six_local_subnets_are_refused_at_plan_time() {
    let ws = Workspace::new().file(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\nssl_vpn_servers:\n  staff:\n    vpn_gateway: vpn-hz\n    client_ip_pool: 10.30.0.0/16\n    local_subnet: [10.0.0.0/24, 10.0.1.0/24, 10.0.2.0/24, 10.0.3.0/24, 10.0.4.0/24, 10.0.5.0/24]\n    port: 443\n  lab: {vpn_gateway: vpn-hz, client_ip_pool: 10.31.0.0/16, local_subnet: 10.1.0.0/16}\n",
    );
    let out = ws.run(&["plan", "--offline"]);
    assert_eq!(out.code, 1, "{out:?}");
    let reserved =
        "22, 2222, 22222, 9000, 9001, 9002, 7505, 80, 443, 53, 68, 123, 4510, 4560, 500, 4500";
    assert_eq!(
        out.stderr,
        format!(
            "No recorded state at state/vpnform.state.yaml: desired servers with an id will be adopted, those without one created.
error: vpnform.yaml:8:19: `ssl_vpn_servers.staff.local_subnet` lists 6 CIDR blocks, and an SSL-VPN server's local subnet lists at most 5
  |
8 |     local_subnet: [10.0.0.0/24, 10.0.1.0/24, 10.0.2.0/24, 10.0.3.0/24, 10.0.4.0/24, 10.0.5.0/24]
  |                   ^
  = help: merge adjacent blocks into a shorter prefix, or reach the rest through a route

error: vpnform.yaml:9:11: port 443 in `ssl_vpn_servers.staff.port` is reserved: an SSL-VPN server listens on none of {reserved}
  |
9 |     port: 443
  |           ^^^
  = help: write a port from 1 to 65535 other than {reserved} (the default is 1194)

error: vpnform.yaml:10:3: ssl_vpn_server.staff and ssl_vpn_server.lab are both SSL-VPN servers on vpn-hz, and a VPN gateway holds one
   |
10 |   lab: {{vpn_gateway: vpn-hz, client_ip_pool: 10.31.0.0/16, local_subnet: 10.1.0.0/16}}
   |   ^^^
   = help: give each server its own gateway, or remove one of them

error: vpnform.yaml has 3 errors
"
        )
    );
}

/// `--replace` where the server is: destroy first (a gateway holds one). Another
/// gateway: the new server can stand beside the old one, created first (rule 7).
#[test]
fn a_server_is_replaced_destroy_first_where_it_is_and_create_first_onto_another_gateway() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(&staff("vpn-hz", 1194)))
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    let first = read_state(&ws).resources["ssl_vpn_server.staff"].id.clone();

    let plan = ws.run(&["plan", "--replace", "ssl_vpn_server.staff"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout
            .contains("  # ssl_vpn_server.staff must be replaced\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(&[APPLY, &["--replace", "ssl_vpn_server.staff"][..]].concat());
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud)[1..],
        ["DeleteSslVpnServer", "CreateSslVpnServer"],
        "destroy first"
    );
    let second = read_state(&ws).resources["ssl_vpn_server.staff"].id.clone();
    assert_ne!(second, first);

    ws.write("vpnform.yaml", &desired(&staff("vpn-sh", 1194)));
    let plan = ws.run(&["plan"]);
    assert!(
        plan.stdout.contains("  # ssl_vpn_server.staff must be replaced\n  # (because its vpn_gateway or region changed in the desired state: vpnform creates it anew: the new SSL-VPN server is created before the old one is destroyed)\n"),
        "{}",
        plan.stdout
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud)[3..],
        ["CreateSslVpnServer", "DeleteSslVpnServer"],
        "create first onto another gateway"
    );
    let state = read_state(&ws);
    let server = &state.resources["ssl_vpn_server.staff"];
    assert_eq!(server.vpn_gateway, "vpn-sh");
    assert!(server.deposed.is_none());
    let world = cloud.sandbox().world();
    assert_eq!(world.ssl_vpn_servers.len(), 1);
    assert_eq!(world.ssl_vpn_servers[&server.id].vpn_gateway, "vpn-sh");
}

/// Every answer to the server's create lost after it took effect: the create stays
/// journaled, and the next apply re-sends it with its token: one server.
#[test]
fn a_lost_create_answer_makes_one_server() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(&staff("vpn-hz", 1194)))
        .against(&cloud);
    cloud.sandbox().inject(vpnform::sandbox::Injection {
        action: Some("CreateSslVpnServer".into()),
        status: 500,
        code: "InternalError".into(),
        retry_after: None,
        after_effect: true,
        // The plan's DryRun meets the first; the create's five attempts the rest.
        times: 6,
    });
    let first = ws.run(APPLY);
    assert_eq!(first.code, 1, "{first:?}");
    let state = read_state(&ws);
    assert_eq!(state.pending.len(), 1, "{state:?}");
    assert_eq!(state.pending[0].action, "create");
    let second = ws.run(APPLY);
    assert_eq!(second.code, 0, "{second:?}");
    let world = cloud.sandbox().world();
    assert_eq!(world.ssl_vpn_servers.len(), 1, "one server, not two");
    let id = read_state(&ws).resources["ssl_vpn_server.staff"].id.clone();
    assert!(world.ssl_vpn_servers.contains_key(&id));
    assert_eq!(cloud.effects("CreateSslVpnServer").len(), 1);
    assert!(read_state(&ws).pending.is_empty());
}
