//! SSL-VPN client certificates (issue 23): created after their server on its
//! gateway's lane (the server named by address, resolved to the id its create got),
//! renamed in place, deleted with DeleteSslVpnClientCert while the server stays, and
//! deleted with their server by the cloud (rule 6: no DeleteSslVpnClientCert, recorded
//! gone once the server is); every delete warned about; their material never in the
//! state, the plan, apply's output or the logs, and written by `vpnform export` alone.

use std::path::Path;
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
pub(crate) fn canaries(material: &[String; 4]) -> Vec<String> {
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

/// `vpnform export`: the four files hold what the sandbox answers, each 0600; a
/// directory in a git work tree and existing files are refused without `--force`;
/// nothing of the material on stdout or stderr; unknown, unrecorded and other-kind
/// addresses are refused with what to do.
#[test]
fn export_writes_the_material_into_private_files_and_nowhere_else() {
    use std::os::unix::fs::PermissionsExt as _;

    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(STAFF, &cert("alice", "alice")))
        .against(&cloud);
    assert_eq!(ws.run(APPLY).code, 0);
    let id = read_state(&ws).resources["ssl_vpn_client_cert.alice"]
        .id
        .clone();
    let expected = material(&cloud, &id);

    let out = ws.run(&["export", "ssl_vpn_client_cert.alice", "--dir", "keys/alice"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "");
    let names = ["ca.crt", "client.crt", "client.key", "alice.ovpn"];
    let dir = ws.path().join("keys/alice");
    for (name, want) in names.iter().zip(&expected) {
        let path = dir.join(name);
        assert_eq!(&std::fs::read_to_string(&path).unwrap(), want, "{name}");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
        assert!(
            out.stderr.contains(&format!(
                "wrote {} (mode 0600)\n",
                Path::new("keys/alice").join(name).display()
            )),
            "{}",
            out.stderr
        );
    }
    for canary in canaries(&expected) {
        assert!(!out.stderr.contains(&canary) && !out.stdout.contains(&canary));
    }

    // Again: the files exist, refused; --force replaces them.
    let again = ws.run(&["export", "ssl_vpn_client_cert.alice", "--dir", "keys/alice"]);
    assert_eq!(again.code, 1, "{again:?}");
    assert_eq!(
        again.stderr,
        "error: keys/alice/ca.crt already exists: remove it, export to another directory, or pass --force to replace it\n"
    );
    // A file made readable by others meanwhile is replaced by a private one, whole.
    {
        use std::os::unix::fs::PermissionsExt as _;
        let key = ws.path().join("keys/alice/client.key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let forced = ws.run(&[
        "export",
        "ssl_vpn_client_cert.alice",
        "--dir",
        "keys/alice",
        "--force",
    ]);
    assert_eq!(forced.code, 0, "{forced:?}");
    {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = ws.path().join("keys/alice");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["alice.ovpn", "ca.crt", "client.crt", "client.key"]);
        for name in names {
            let mode = std::fs::metadata(dir.join(&name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }

    // Inside a git work tree: refused, unless --force.
    std::fs::create_dir(ws.path().join(".git")).unwrap();
    let git = ws.run(&["export", "ssl_vpn_client_cert.alice", "--dir", "keys/bob"]);
    assert_eq!(git.code, 1, "{git:?}");
    assert!(
        git.stderr.starts_with("error: keys/bob is inside the git work tree at ")
            && git.stderr.ends_with(": a client key there is one `git add` away from a commit; choose a directory outside it, or pass --force\n"),
        "{}",
        git.stderr
    );
    assert!(!ws.exists("keys/bob"));
    let forced = ws.run(&[
        "export",
        "ssl_vpn_client_cert.alice",
        "--dir",
        "keys/bob",
        "--force",
    ]);
    assert_eq!(forced.code, 0, "{forced:?}");
    assert!(ws.exists("keys/bob/client.key"));

    for (address, message) in [
        (
            "ssl_vpn_client_cert.carol",
            "error: ssl_vpn_client_cert.carol is not recorded in the state: apply the desired file first (`vpnform state list` shows the recorded addresses)\n",
        ),
        (
            "ssl_vpn_server.staff",
            "error: ssl_vpn_server.staff is not an SSL-VPN client certificate: `vpnform export` writes a certificate's files; name an ssl_vpn_client_cert address\n",
        ),
        (
            "alice",
            "error: `alice` is not a resource address: write ssl_vpn_client_cert.NAME (`vpnform state list` shows the recorded ones)\n",
        ),
    ] {
        let out = ws.run(&["export", address, "--dir", "/tmp/never-written", "--force"]);
        assert_eq!((out.code, out.stderr.as_str()), (1, message));
    }
    assert!(!Path::new("/tmp/never-written").exists());
    let reads: Vec<String> = cloud
        .wire
        .calls()
        .iter()
        .filter(|c| c.action == "DescribeSslVpnClientCert")
        .map(|c| c.action.clone())
        .collect();
    // Apply's fingerprint, the test's own read, and the three exports that wrote.
    assert_eq!(reads.len(), 5);
}

/// The account holds 50 client certificates unless its quota was raised: a plan that
/// creates certificates while the desired file has more than 50 says so (the creates
/// past it would be refused with `Resource.QuotaFull`), and one with 50 does not.
#[test]
fn a_plan_past_the_certificate_quota_warns() {
    let cloud = cloud();
    let certs = |n: usize| -> String {
        (0..n)
            .map(|i| cert(&format!("u{i:02}"), &format!("user{i:02}")))
            .collect()
    };
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(STAFF, &certs(51)))
        .against(&cloud);
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    let warning = "the desired file has 51 ssl_vpn_client_cert entries, and an account holds 50 unless its quota was raised: past it, the cloud refuses a create with Resource.QuotaFull (raise it in the Quota Center first)";
    assert!(
        out.stderr.contains(&format!("warning: {warning}\n")),
        "{}",
        out.stderr
    );
    ws.write("vpnform.yaml", &desired(STAFF, &certs(50)));
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stderr.contains("quota"), "{}", out.stderr);
}

/// Rule 6 and certificates vpnform does not manage: the cloud deletes a server's
/// certificates with it, so a plan that deletes a server holding one made in the
/// console would delete it unseen. The online plan lists the server's certificates and
/// refuses, naming it and the import that brings it in; nothing is sent.
#[test]
fn a_server_holding_an_unmanaged_certificate_is_not_deleted_unseen() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(STAFF, " {}\n"))
        .against(&cloud);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "{out:?}");
    let server = read_state(&ws).resources["ssl_vpn_server.staff"].id.clone();
    let c = Client::new(cloud.sandbox());
    let made = cloud.runtime().block_on(call(
        &c,
        "CreateSslVpnClientCert",
        &[
            ("SslVpnServerId", server.as_str()),
            ("Name", "console-made"),
        ],
    ));
    let cert = ok(&made)["SslVpnClientCertId"].as_str().unwrap().to_owned();
    std::thread::sleep(Duration::from_millis(300));
    let sent = effects(&cloud).len();
    ws.write(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\nvpn_gateways:\n  hz: {id: vpn-hz}\nssl_vpn_servers: {}\n",
    );
    ws.vpnform(&["plan"])
        .code(1)
        .stderr(format!("error: ssl_vpn_server.staff: the plan would delete SSL-VPN server {server}, and the cloud deletes its client certificates with it, {cert} (console-made) among them, which vpnform does not manage: run `vpnform import --kind ssl_vpn_client_cert --write` and remove the entry it writes (the plan then shows its delete), or delete it yourself\n"))
        .run();
    let out = ws.run(APPLY);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(effects(&cloud).len(), sent, "nothing is sent");
    assert!(
        cloud
            .sandbox()
            .world()
            .ssl_vpn_client_certs
            .contains_key(&cert)
    );
}
