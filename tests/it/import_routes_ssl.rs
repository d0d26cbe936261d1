//! `vpnform import --kind` of the rest of the family (issue 23): destination and
//! policy-based routes, SSL-VPN servers and their client certificates, imported beside
//! the gateways and connections they name (by address where the file or the import has
//! them, else by id). A route has no `id` in the desired file: the next plan adopts the
//! route whose tuple the cloud lists, where it planned a create the cloud refuses as a
//! duplicate. No PSK and no certificate material is ever printed or written; a
//! sandbox served from a state holding routes has them.

use std::io::BufRead as _;
use std::time::Duration;

use vpnform::sandbox::World;

use crate::ssl_vpn_client_cert::{canaries, material};
use crate::support::{Cloud, Output, Workspace, configuring, read_state};

const PSK: &str = "psk-canary-route-41c7";

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

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

/// The PSK and every recognizable line of both certificates' material.
fn secrets(cloud: &Cloud) -> Vec<String> {
    let mut all = vec![PSK.to_owned()];
    for id in ["vsc-alice", "vsc-bob"] {
        all.extend(canaries(&material(cloud, id)));
    }
    assert!(all.len() > 20, "{all:?}");
    all
}

/// No secret of the world in `text`.
fn assert_no_secret(secrets: &[String], what: &str, text: &str) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} holds the secret {secret}:\n{text}"
        );
    }
}

fn assert_output_has_no_secret(secrets: &[String], out: &Output) {
    assert_no_secret(secrets, "stdout", &out.stdout);
    assert_no_secret(secrets, "stderr", &out.stderr);
}

const EMPTY: &str = "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers: {}\n";

/// Every kind, printed: routes after the connection they go through, named after
/// where they lead, no `id`, their next hop by address; certificates after their
/// server, named by address, a comment where their material would be.
const ALL: &str = r#"# vpn_gateways:
  hz-main:
    id: vpn-hz
    region: cn-hangzhou
    name: "hz-main"
    auto_propagate: false
# customer_gateways:
  branch:
    id: cgw-branch
    region: cn-hangzhou
    ip_address: "203.0.113.7"
    name: "branch"
# vpn_connections:
  branch:
    id: vco-branch
    vpn_gateway: vpn_gateway.hz-main
    region: cn-hangzhou
    customer_gateway: customer_gateway.branch
    name: "branch"
    local_subnet: ["10.0.0.0/16"]
    remote_subnet: ["192.168.0.0/24"]
    effect_immediately: false
    # psk: { env: BRANCH_PSK }  # the cloud holds this connection's PSK: name its source to manage it
# vpn_routes:
  to_192_168_0_0_24:
    vpn_gateway: vpn_gateway.hz-main
    region: cn-hangzhou
    route_dest: "192.168.0.0/24"
    next_hop: vpn_connection.branch
    weight: 100
    publish_vpc: true
# vpn_policy_routes:
  from_10_0_0_0_16_to_192_168_0_0_24:
    vpn_gateway: vpn_gateway.hz-main
    region: cn-hangzhou
    route_source: "10.0.0.0/16"
    route_dest: "192.168.0.0/24"
    next_hop: vpn_connection.branch
    weight: 0
    priority: 20
    publish_vpc: false
# ssl_vpn_servers:
  staff:
    id: vss-staff
    vpn_gateway: vpn_gateway.hz-main
    region: cn-hangzhou
    name: "staff"
    client_ip_pool: "10.30.0.0/16"
    local_subnet: ["10.0.0.0/16", "10.1.0.0/16"]
    proto: "TCP"
    port: 1195
    cipher: "AES-128-CBC"
    compress: true
# ssl_vpn_client_certs:
  alice:
    id: vsc-alice
    ssl_vpn_server: ssl_vpn_server.staff
    region: cn-hangzhou
    name: "alice"
    # the cloud holds this certificate's key and configuration: `vpnform export ssl_vpn_client_cert.alice --dir DIR` writes them
  bob:
    id: vsc-bob
    ssl_vpn_server: ssl_vpn_server.staff
    region: cn-hangzhou
    name: "Bob"
    # the cloud holds this certificate's key and configuration: `vpnform export ssl_vpn_client_cert.bob --dir DIR` writes them
# 8 entries for the VPN gateways, customer gateways, IPsec connections, destination routes, policy-based routes, SSL-VPN servers, SSL-VPN client certificates and IPsec servers that no address records: add each under the key the comment above it names in vpnform.yaml, or run `vpnform import --write`.
"#;

const LISTED: &str = "cn-hangzhou: 1 VPN gateway, 1 customer gateway, 1 IPsec connection, 1 destination route, 1 policy-based route, 1 SSL-VPN server, 2 SSL-VPN client certificates listed, 8 to import\n";

#[test]
fn import_of_routes_and_ssl_vpn_prints_entries_naming_what_they_refer_to_and_no_material() {
    let cloud = cloud();
    let secrets = secrets(&cloud);
    // The calls the test made to learn the material.
    let asked = cloud.wire.calls().len();
    let ws = Workspace::new().file("vpnform.yaml", EMPTY).against(&cloud);
    let out = ws
        .vpnform(&["import", "--kind", "all"])
        .stderr(LISTED)
        .stdout(ALL)
        .run();
    assert_output_has_no_secret(&secrets, &out);
    // The eight kinds named one by one are `all`.
    let out = ws
        .vpnform(&[
            "import",
            "--kind",
            "ssl_vpn_client_cert",
            "--kind",
            "vpn_policy_route",
            "--kind",
            "ssl_vpn_server",
            "--kind",
            "vpn_route",
            "--kind",
            "vpn_connection",
            "--kind",
            "ipsec_server",
            "--kind",
            "customer_gateway",
            "--kind",
            "vpn_gateway",
        ])
        .stderr(LISTED)
        .stdout(ALL)
        .run();
    assert_output_has_no_secret(&secrets, &out);
    // The certificates alone: their server is no entry of the file nor of the import,
    // so it is named by id, and its gateway (the certificate's lane) is written too.
    let out = ws
        .vpnform(&["import", "--kind", "ssl_vpn_client_cert"])
        .stderr("cn-hangzhou: 2 SSL-VPN client certificates listed, 2 to import\n")
        .stdout(
            r#"  alice:
    id: vsc-alice
    vpn_gateway: vpn-hz
    ssl_vpn_server: vss-staff
    region: cn-hangzhou
    name: "alice"
    # the cloud holds this certificate's key and configuration: `vpnform export ssl_vpn_client_cert.alice --dir DIR` writes them
  bob:
    id: vsc-bob
    vpn_gateway: vpn-hz
    ssl_vpn_server: vss-staff
    region: cn-hangzhou
    name: "Bob"
    # the cloud holds this certificate's key and configuration: `vpnform export ssl_vpn_client_cert.bob --dir DIR` writes them
# 2 entries for the SSL-VPN client certificates that no address records: add them under `ssl_vpn_client_certs:` in vpnform.yaml, or run `vpnform import --write`.
"#,
        )
        .run();
    assert_output_has_no_secret(&secrets, &out);
    // As JSON: the certificates' listed attributes, never their material.
    let json = ws.run(&["import", "--kind", "ssl_vpn_client_cert", "--json"]);
    assert_eq!(json.code, 0, "{json:?}");
    assert_output_has_no_secret(&secrets, &json);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        document["entries"][1]["attributes"],
        serde_json::json!({
            "create_time": "1704164645000",
            "end_time": "1798772645000",
            "name": "Bob",
            "ssl_vpn_server": "vss-staff",
            "status": "normal",
        })
    );
    assert_eq!(
        document["entries"][1]["references"],
        serde_json::json!({"ssl_vpn_server": "vss-staff", "vpn_gateway": "vpn-hz"})
    );
    // `--gateway`: only what is on it.
    ws.vpnform(&["import", "--kind", "vpn_route", "--kind", "ssl_vpn_client_cert", "--gateway", "vpn-bp1other"])
        .stderr("cn-hangzhou: 1 destination route, 2 SSL-VPN client certificates listed, 0 to import\n")
        .stdout("# No destination route or SSL-VPN client certificate to import in cn-hangzhou on vpn-bp1other: each one there is recorded in the state or named by an `id` (a route: by its tuple) in vpnform.yaml.\n")
        .run();
    // Only the listings: the material is never asked for.
    let sent: Vec<String> = cloud.wire.calls()[asked..]
        .iter()
        .map(|c| c.action.clone())
        .collect();
    assert!(
        !sent.iter().any(|a| a == "DescribeSslVpnClientCert"),
        "{sent:?}"
    );
    assert_eq!(
        ws.read("vpnform.yaml"),
        EMPTY,
        "nothing written without --write"
    );
}

/// `--write`, then `plan`: one adopt each and no update (the routes' tuples listed, the
/// certificates' servers by address), then `apply`: nothing sent, each recorded (a
/// route under its tuple's id, a certificate without material); the PSK and the
/// material in no output, the desired file nor the state.
#[test]
fn import_write_of_routes_and_ssl_vpn_then_plan_adopts_each_with_no_update() {
    let cloud = cloud();
    let secrets = secrets(&cloud);
    let ws = Workspace::new().file("vpnform.yaml", EMPTY).against(&cloud);
    let out = ws
        .vpnform(&["import", "--kind", "all", "--write"])
        .stderr(LISTED)
        .stdout(
            "Appended 8 entries to vpnform.yaml:
  vpn_gateway.hz-main: vpn-hz (cn-hangzhou)
  customer_gateway.branch: cgw-branch (cn-hangzhou)
  vpn_connection.branch: vco-branch on vpn-hz (cn-hangzhou)
  vpn_route.to_192_168_0_0_24: vre-56230f79233ba645b00c960c on vpn-hz (cn-hangzhou)
  vpn_policy_route.from_10_0_0_0_16_to_192_168_0_0_24: vpr-1184b630fd5ec0ff51205c9e on vpn-hz (cn-hangzhou)
  ssl_vpn_server.staff: vss-staff on vpn-hz (cn-hangzhou)
  ssl_vpn_client_cert.alice: vsc-alice on vpn-hz (cn-hangzhou)
  ssl_vpn_client_cert.bob: vsc-bob on vpn-hz (cn-hangzhou)
`vpnform plan` shows one adopt each.
",
        )
        .run();
    assert_output_has_no_secret(&secrets, &out);
    // Each kind's block as printed, after the file's own lines.
    let blocks: String = ALL
        .lines()
        .filter(|l| !l.starts_with("# 8 entries"))
        .map(|l| match l.strip_prefix("# ") {
            Some(key) => format!("{key}\n"),
            None => format!("{l}\n"),
        })
        .collect();
    let written = ws.read("vpnform.yaml");
    assert_eq!(written, format!("{EMPTY}{blocks}"));

    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy, 8 to adopt, 0 to forget.\n")
            && !plan.stdout.contains("updated in-place")
            && !plan.stdout.contains("  ~ "),
        "{}",
        plan.stdout
    );
    for address in [
        "vpn_route.to_192_168_0_0_24",
        "vpn_policy_route.from_10_0_0_0_16_to_192_168_0_0_24",
        "ssl_vpn_client_cert.bob",
    ] {
        assert!(
            plan.stdout.contains(&format!(
                "  # {address} will be adopted: recorded in the state, nothing changes in the cloud\n"
            )),
            "{address}: {}",
            plan.stdout
        );
    }
    assert!(
        plan.stdout
            .contains("    waits for: vpn_connection.branch, vpn_gateway.hz-main\n")
            && plan
                .stdout
                .contains("    waits for: ssl_vpn_server.staff\n"),
        "the routes' and the certificates' edges: {}",
        plan.stdout
    );
    assert_output_has_no_secret(&secrets, &plan);

    let apply = ws.run(APPLY);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert_output_has_no_secret(&secrets, &apply);
    assert!(
        cloud.sandbox().audit().is_empty(),
        "nothing changed in the cloud"
    );
    let state = read_state(&ws);
    assert_eq!(state.resources.len(), 8);
    let route = &state.resources["vpn_route.to_192_168_0_0_24"];
    assert_eq!(route.id, "vre-56230f79233ba645b00c960c");
    assert_eq!(route.attributes["next_hop"], "vco-branch");
    let policy = &state.resources["vpn_policy_route.from_10_0_0_0_16_to_192_168_0_0_24"];
    assert_eq!(policy.attributes["priority"], "20");
    let bob = &state.resources["ssl_vpn_client_cert.bob"];
    assert_eq!(
        (
            bob.vpn_gateway.as_str(),
            bob.attributes["ssl_vpn_server"].as_str()
        ),
        ("vpn-hz", "vss-staff")
    );
    assert_no_secret(&secrets, "the state", &ws.read("state/vpnform.state.yaml"));
    assert_no_secret(&secrets, "the desired file", &ws.read("vpnform.yaml"));
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
    // Nothing left to import.
    ws.vpnform(&["import", "--kind", "all"])
        .stderr("cn-hangzhou: 1 VPN gateway, 1 customer gateway, 1 IPsec connection, 1 destination route, 1 policy-based route, 1 SSL-VPN server, 2 SSL-VPN client certificates listed, 0 to import\n")
        .stdout("# No VPN gateway, customer gateway, IPsec connection, destination route, policy-based route, SSL-VPN server, SSL-VPN client certificate or IPsec server to import in cn-hangzhou: each one there is recorded in the state or named by an `id` (a route: by its tuple) in vpnform.yaml.\n")
        .run();
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
    // The entries name these routes already (by their tuples): nothing to import.
    ws.vpnform(&["import", "--kind", "vpn_route", "--kind", "vpn_policy_route"])
        .stderr("cn-hangzhou: 1 destination route, 1 policy-based route listed, 0 to import\n")
        .stdout("# No destination route or policy-based route to import in cn-hangzhou: each one there is recorded in the state or named by an `id` (a route: by its tuple) in vpnform.yaml.\n")
        .run();
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
