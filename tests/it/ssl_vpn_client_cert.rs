//! SSL-VPN client certificates (issue 23): created after their server on its
//! gateway's lane (the server named by address, resolved to the id its create got),
//! renamed in place, deleted with DeleteSslVpnClientCert while the server stays, and
//! deleted with their server by the cloud (rule 6: no DeleteSslVpnClientCert, recorded
//! gone once the server is); every delete warned about; their material never in the
//! state, the plan, apply's output or the logs, and written by `vpnform export` alone.

use std::time::Duration;

use vpnform::sandbox::World;

use crate::sandbox::Client;
use crate::sandbox_family::{call, ok};
use crate::support::{Cloud, Workspace, configuring, read_state};

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

fn cloud() -> Cloud {
    let mut world = World::default();
    world.add_gateway("vpn-hz", "cn-hangzhou");
    Cloud::start(configuring(Duration::from_millis(100)), world)
}

const STAFF: &str = "ssl_vpn_servers:\n  staff: {vpn_gateway: vpn_gateway.hz, client_ip_pool: 10.30.0.0/16, local_subnet: [10.0.0.0/16]}\n";

fn desired(servers: &str, certs: &str) -> String {
    format!(
        "version: 1\ndefaults:\n  region: cn-hangzhou\nvpn_gateways:\n  hz: {{id: vpn-hz}}\n{servers}ssl_vpn_client_certs:\n{certs}"
    )
}

fn cert(name: &str, label: &str) -> String {
    format!("  {name}: {{ssl_vpn_server: ssl_vpn_server.staff, name: {label}}}\n")
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

/// What DescribeSslVpnClientCert answers for `id`: CaCert, ClientCert, ClientKey,
/// ClientConfig.
pub(crate) fn material(cloud: &Cloud, id: &str) -> [String; 4] {
    let c = Client::new(cloud.sandbox());
    let r = cloud.runtime().block_on(call(
        &c,
        "DescribeSslVpnClientCert",
        &[("SslVpnClientCertId", id)],
    ));
    let body = ok(&r);
    ["CaCert", "ClientCert", "ClientKey", "ClientConfig"]
        .map(|k| body[k].as_str().unwrap().to_owned())
}

/// Lines of `text` recognizable as material: each PEM body line and the config's
/// sandbox line.
fn canaries(material: &[String; 4]) -> Vec<String> {
    material
        .iter()
        .flat_map(|m| m.lines())
        .filter(|l| l.len() >= 20 && !l.starts_with("-----"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn certificates_follow_their_server_and_go_with_it() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            &desired(STAFF, &(cert("alice", "alice") + &cert("bob", "bob"))),
        )
        .against(&cloud);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        effects(&cloud),
        [
            "CreateSslVpnServer",
            "CreateSslVpnClientCert",
            "CreateSslVpnClientCert"
        ]
    );
    let state = read_state(&ws);
    let server = state.resources["ssl_vpn_server.staff"].id.clone();
    let alice = &state.resources["ssl_vpn_client_cert.alice"];
    assert!(alice.id.starts_with("vsc-"), "{alice:?}");
    assert_eq!(
        alice.vpn_gateway, "vpn-hz",
        "on its server's gateway's lane"
    );
    assert_eq!(alice.attributes["ssl_vpn_server"], server, "recorded by id");
    let [_, client_cert, _, _] = material(&cloud, &alice.id);
    let digest: String = {
        use sha2::Digest as _;
        sha2::Sha256::digest(client_cert.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(alice.attributes["fingerprint"], format!("sha256:{digest}"));
    let alice_id = alice.id.clone();

    // A new name: one ModifySslVpnClientCert.
    ws.write(
        "vpnform.yaml",
        &desired(
            STAFF,
            &(cert("alice", "alice-laptop") + &cert("bob", "bob")),
        ),
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(effects(&cloud)[3..], ["ModifySslVpnClientCert"]);
    let state = read_state(&ws);
    assert_eq!(
        state.resources["ssl_vpn_client_cert.alice"].attributes["fingerprint"],
        format!("sha256:{digest}"),
        "the same certificate keeps its fingerprint"
    );

    // Bob's certificate alone: DeleteSslVpnClientCert, and the plan warns.
    ws.write(
        "vpnform.yaml",
        &desired(STAFF, &cert("alice", "alice-laptop")),
    );
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let warning = format!(
        "this plan deletes or replaces a certificate of SSL-VPN server {server} (ssl_vpn_client_cert.bob): deleting any certificate disconnects every client of its server, who must connect again"
    );
    assert!(
        plan.stderr.contains(&format!("warning: {warning}\n")),
        "{}",
        plan.stderr
    );
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(effects(&cloud)[4..], ["DeleteSslVpnClientCert"]);

    // The server and its last certificate: DeleteSslVpnServer only (rule 6), the
    // certificate recorded gone once the server is.
    ws.write("vpnform.yaml", &desired("ssl_vpn_servers: {}\n", "  {}\n"));
    let plan = ws.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout.contains(
            "  # ssl_vpn_client_cert.alice will be destroyed\n  # (because its server ssl_vpn_server.staff is destroyed by this plan, and the cloud deletes a server's certificates with it: no call is sent, it is recorded gone once ssl_vpn_server.staff is)\n"
        ) && plan.stdout.contains("    waits for: ssl_vpn_server.staff\n"),
        "{}",
        plan.stdout
    );
    let sent_before = cloud.wire.calls().len();
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let mutations: Vec<String> = cloud.wire.calls()[sent_before..]
        .iter()
        .map(|c| c.action.clone())
        .filter(|a| !a.starts_with("Describe") && !a.starts_with("List"))
        .collect();
    assert_eq!(mutations, ["DeleteSslVpnServer"]);
    let state = read_state(&ws);
    assert!(!state.resources.contains_key("ssl_vpn_client_cert.alice"));
    assert!(!state.resources.contains_key("ssl_vpn_server.staff"));
    assert!(state.pending.is_empty());
    let world = cloud.sandbox().world();
    assert!(world.ssl_vpn_client_certs.is_empty());
    assert!(!world.ssl_vpn_client_certs.contains_key(&alice_id));
}

/// Recognizable material in the sandbox: in no state, plan, apply output or `-vv` log.
#[test]
fn certificate_material_is_never_stored_printed_or_logged() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(STAFF, &cert("alice", "alice")))
        .against(&cloud);
    let apply = ws.run(&[APPLY, &["-vv"][..]].concat());
    assert_eq!(apply.code, 0, "{apply:?}");
    let plan = ws.run(&["plan", "-vv"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let show = ws.run(&["state", "show", "ssl_vpn_client_cert.alice"]);
    let id = read_state(&ws).resources["ssl_vpn_client_cert.alice"]
        .id
        .clone();
    let canaries = canaries(&material(&cloud, &id));
    assert!(canaries.len() > 10, "{canaries:?}");
    let state = ws.read("state/vpnform.state.yaml");
    for canary in &canaries {
        for (what, text) in [
            ("the state", &state),
            ("apply's stdout", &apply.stdout),
            ("apply's stderr (-vv)", &apply.stderr),
            ("the plan", &plan.stdout),
            ("the plan's stderr (-vv)", &plan.stderr),
            ("state show", &show.stdout),
        ] {
            assert!(
                !text.contains(canary.as_str()),
                "material in {what}: {canary}"
            );
        }
    }
    // The sandbox's own call log neither.
    for call in cloud.wire.calls() {
        let logged = format!("{call:?}");
        assert!(canaries.iter().all(|c| !logged.contains(c.as_str())));
    }
}
