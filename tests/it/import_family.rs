//! `vpnform import --kind` (issue 22, item 6): VPN gateways, customer gateways and IPsec
//! connections imported beside IPsec servers, against a sandbox world the test writes.
//! The entries name what they refer to by address where the desired file or the import
//! has it (the plan's edges), else by id; `--write` appends each kind to its own block;
//! the next plan adopts each with no update; no PSK or BGP key is ever printed or
//! written, only a comment where its source goes.

use std::time::Duration;

use vpnform::sandbox::World;

use crate::support::{Cloud, Output, Workspace, configuring, read_state};

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

/// No secret of the world in what vpnform printed or wrote.
fn assert_no_secret(what: &str, text: &str) {
    for secret in [PSK, TUNNEL_PSKS[0], TUNNEL_PSKS[1], BGP_KEY] {
        assert!(
            !text.contains(secret),
            "{what} holds the secret {secret}:\n{text}"
        );
    }
}

fn assert_output_has_no_secret(out: &Output) {
    assert_no_secret("stdout", &out.stdout);
    assert_no_secret("stderr", &out.stderr);
}

/// Every kind of cn-hangzhou, printed: each kind's entries under a comment naming its
/// key, gateways first; names alike numbered; the connections name the gateways and
/// customer gateways of the import by address; a comment where each PSK and the one BGP
/// key go.
const HANGZHOU: &str = r#"# vpn_gateways:
  hz-main:
    id: vpn-hz
    region: cn-hangzhou
    name: "hz-main"
    description: "Hangzhou"
    auto_propagate: false
  hz-main_2:
    id: vpn-hz2
    region: cn-hangzhou
    name: "hz-main"
    auto_propagate: false
# customer_gateways:
  backup:
    id: cgw-backup
    region: cn-hangzhou
    ip_address: "203.0.113.8"
    name: "backup"
  branch:
    id: cgw-branch
    region: cn-hangzhou
    ip_address: "203.0.113.7"
    asn: 65001
    name: "branch"
    description: "Hangzhou branch"
    # auth_key: { env: BRANCH_BGP_KEY }  # the cloud holds this customer gateway's BGP key: name its source to manage it
  branch_2:
    id: cgw-branch2
    region: cn-hangzhou
    ip_address: "203.0.113.9"
    name: "Branch"
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
  dual:
    id: vco-dual
    vpn_gateway: vpn_gateway.hz-main_2
    region: cn-hangzhou
    tunnels:
      - { customer_gateway: customer_gateway.branch, role: master }
      - { customer_gateway: customer_gateway.backup, role: slave }
    name: "dual"
    local_subnet: ["10.1.0.0/16"]
    remote_subnet: ["192.168.1.0/24", "192.168.2.0/24"]
    effect_immediately: false
    # the cloud holds each tunnel's own PSK: to manage them, add `psk: { env: DUAL_MASTER_PSK }` to the master tunnel and `psk: { env: DUAL_SLAVE_PSK }` to the slave
# 7 entries for the VPN gateways, customer gateways, IPsec connections, destination routes, policy-based routes, SSL-VPN servers, SSL-VPN client certificates and IPsec servers that no address records: add each under the key the comment above it names in vpnform.yaml, or run `vpnform import --write`.
"#;

#[test]
fn import_of_every_kind_prints_entries_naming_what_it_imports_by_address() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers: {}\n",
        )
        .against(&cloud);
    let out = ws
        .vpnform(&["import", "--kind", "all"])
        .stderr("cn-hangzhou: 2 VPN gateways, 3 customer gateways, 2 IPsec connections listed, 7 to import\n")
        .stdout(HANGZHOU)
        .run();
    assert_output_has_no_secret(&out);
    // The four kinds of issue 22 named one by one: the same entries, those kinds named.
    ws.vpnform(&[
        "import",
        "--kind",
        "vpn_connection",
        "--kind",
        "ipsec_server",
        "--kind",
        "customer_gateway",
        "--kind",
        "vpn_gateway",
    ])
    .any_stderr()
    .stdout(HANGZHOU.replace(
        "IPsec connections, destination routes, policy-based routes, SSL-VPN servers, SSL-VPN client certificates and IPsec servers",
        "IPsec connections and IPsec servers",
    ))
    .run();
    // Nothing written without --write.
    assert_eq!(
        ws.read("vpnform.yaml"),
        "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers: {}\n"
    );
}

/// The desired file the write test starts from: a gateway of cn-shanghai under the name
/// the import would give vpn-hz, a customer gateway adopted under a name of its own, a
/// comment and a block after them; every byte of it stays.
const BEFORE: &str = "version: 1
defaults:
  region: cn-hangzhou
customer_gateways:
    peer:   # the backup line, adopted by hand
        id: cgw-backup
        region: cn-hangzhou

# Shanghai
vpn_gateways:
  hz-main: {id: vpn-sh, region: cn-shanghai}
";

#[test]
fn import_write_appends_each_kind_to_its_block_and_the_plan_adopts_each_with_no_update() {
    let cloud = cloud();
    let ws = Workspace::new()
        .file("vpnform.yaml", BEFORE)
        .against(&cloud);
    let out = ws
        .vpnform(&["import", "--kind", "all", "--write"])
        .stderr(
            "cn-hangzhou: 2 VPN gateways, 3 customer gateways, 2 IPsec connections listed, 6 to import\n\
             cn-shanghai: 1 VPN gateway, 1 IPsec server listed, 1 to import\n\
             2 regions: 3 VPN gateways, 3 customer gateways, 2 IPsec connections, 1 IPsec server listed in 2 of them, 7 to import\n",
        )
        .stdout(
            "Appended 7 entries to vpnform.yaml:
  vpn_gateway.hz-main_2: vpn-hz (cn-hangzhou)
  vpn_gateway.hz-main_3: vpn-hz2 (cn-hangzhou)
  customer_gateway.branch: cgw-branch (cn-hangzhou)
  customer_gateway.branch_2: cgw-branch2 (cn-hangzhou)
  vpn_connection.branch: vco-branch on vpn-hz (cn-hangzhou)
  vpn_connection.dual: vco-dual on vpn-hz2 (cn-hangzhou)
  ipsec_server.office: iss-sh on vpn-sh (cn-shanghai)
`vpnform plan` shows one adopt each.
",
        )
        .run();
    assert_output_has_no_secret(&out);
    // Each kind at the end of its block, at the block's indent; the blocks the file had
    // not, at its end; every byte that was there, as it was.
    let written = ws.read("vpnform.yaml");
    assert_eq!(
        written,
        r#"version: 1
defaults:
  region: cn-hangzhou
customer_gateways:
    peer:   # the backup line, adopted by hand
        id: cgw-backup
        region: cn-hangzhou
    branch:
      id: cgw-branch
      region: cn-hangzhou
      ip_address: "203.0.113.7"
      asn: 65001
      name: "branch"
      description: "Hangzhou branch"
      # auth_key: { env: BRANCH_BGP_KEY }  # the cloud holds this customer gateway's BGP key: name its source to manage it
    branch_2:
      id: cgw-branch2
      region: cn-hangzhou
      ip_address: "203.0.113.9"
      name: "Branch"

# Shanghai
vpn_gateways:
  hz-main: {id: vpn-sh, region: cn-shanghai}
  hz-main_2:
    id: vpn-hz
    region: cn-hangzhou
    name: "hz-main"
    description: "Hangzhou"
    auto_propagate: false
  hz-main_3:
    id: vpn-hz2
    region: cn-hangzhou
    name: "hz-main"
    auto_propagate: false
vpn_connections:
  branch:
    id: vco-branch
    vpn_gateway: vpn_gateway.hz-main_2
    region: cn-hangzhou
    customer_gateway: customer_gateway.branch
    name: "branch"
    local_subnet: ["10.0.0.0/16"]
    remote_subnet: ["192.168.0.0/24"]
    effect_immediately: false
    # psk: { env: BRANCH_PSK }  # the cloud holds this connection's PSK: name its source to manage it
  dual:
    id: vco-dual
    vpn_gateway: vpn_gateway.hz-main_3
    region: cn-hangzhou
    tunnels:
      - { customer_gateway: customer_gateway.branch, role: master }
      - { customer_gateway: customer_gateway.peer, role: slave }
    name: "dual"
    local_subnet: ["10.1.0.0/16"]
    remote_subnet: ["192.168.1.0/24", "192.168.2.0/24"]
    effect_immediately: false
    # the cloud holds each tunnel's own PSK: to manage them, add `psk: { env: DUAL_MASTER_PSK }` to the master tunnel and `psk: { env: DUAL_SLAVE_PSK }` to the slave
ipsec_servers:
  office:
    id: iss-sh
    vpn_gateway: vpn_gateway.hz-main
    region: cn-shanghai
    name: "office"
    local_subnet: ["192.168.0.0/24"]
    client_ip_pool: "10.10.0.0/16"
    effect_immediately: false
    ike_config: { ike_version: "ikev2", ike_mode: "main", ike_enc_alg: "aes", ike_auth_alg: "sha1", ike_pfs: "group2", ike_lifetime: 86400, local_id: "198.51.100.10" }
    ipsec_config: { ipsec_enc_alg: "aes", ipsec_auth_alg: "sha1", ipsec_pfs: "group2", ipsec_lifetime: 86400 }
    # psk: { env: OFFICE_PSK }  # the cloud holds this server's PSK: name its source to manage it
"#
    );

    // One adopt each, the two written before included, and no update: every attribute
    // written is the cloud's, every reference the id the cloud answers.
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy, 9 to adopt, 0 to forget.\n"),
        "{}",
        plan.stdout
    );
    assert_eq!(
        plan.stdout
            .matches(" will be adopted: recorded in the state, nothing changes in the cloud\n")
            .count(),
        9,
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("updated in-place") && !plan.stdout.contains("  ~ "),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(
            "    waits for: customer_gateway.branch, customer_gateway.peer, vpn_gateway.hz-main_3\n"
        ),
        "the dual connection's edges: {}",
        plan.stdout
    );
    assert_output_has_no_secret(&plan);

    let apply = ws.run(APPLY);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert_output_has_no_secret(&apply);
    // Nothing changed in the cloud.
    assert!(cloud.sandbox().audit().is_empty());
    let state = read_state(&ws);
    assert_eq!(state.resources.len(), 9);
    assert_eq!(
        state.resources["vpn_connection.branch"].attributes["customer_gateway"],
        "cgw-branch"
    );
    assert_eq!(
        state.resources["vpn_connection.dual"].attributes["tunnels.slave.customer_gateway"],
        "cgw-backup"
    );
    assert_no_secret("the state", &ws.read("state/vpnform.state.yaml"));
    assert_no_secret("the desired file", &ws.read("vpnform.yaml"));
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");

    // The PSK is the one thing left to the user: its source named where the comment
    // says, the cloud's key is no change, another key is an update of the PSK alone.
    ws.write(
        "vpnform.yaml",
        &written.replace(
            "    # psk: { env: BRANCH_PSK }  # the cloud holds this connection's PSK: name its source to manage it\n",
            "    psk: { env: BRANCH_PSK }\n",
        ),
    );
    ws.vpnform(&["plan", "--detailed-exitcode"])
        .env("BRANCH_PSK", PSK)
        .stdout("No changes. Your infrastructure matches the configuration.\n\nvpnform has compared the desired state with the recorded state and the cloud and found no differences, so no changes are needed.\n")
        .run();
    // Each tunnel's own key, named where the comment says: the cloud's keys, no change.
    let tunnels = written
        .replace(
            "    # psk: { env: BRANCH_PSK }  # the cloud holds this connection's PSK: name its source to manage it\n",
            "    psk: { env: BRANCH_PSK }\n",
        )
        .replace(
            "role: master }",
            "role: master, psk: { env: DUAL_MASTER_PSK } }",
        )
        .replace("role: slave }", "role: slave, psk: { env: DUAL_SLAVE_PSK } }");
    ws.write("vpnform.yaml", &tunnels);
    ws.vpnform(&["plan", "--detailed-exitcode"])
        .env("BRANCH_PSK", PSK)
        .env("DUAL_MASTER_PSK", TUNNEL_PSKS[0])
        .env("DUAL_SLAVE_PSK", TUNNEL_PSKS[1])
        .stdout("No changes. Your infrastructure matches the configuration.\n\nvpnform has compared the desired state with the recorded state and the cloud and found no differences, so no changes are needed.\n")
        .run();
    // One key for both, as if the tunnels shared one: the slave's differs, an update.
    let swapped = ws
        .vpnform(&["plan", "--detailed-exitcode"])
        .env("BRANCH_PSK", PSK)
        .env("DUAL_MASTER_PSK", TUNNEL_PSKS[0])
        .env("DUAL_SLAVE_PSK", TUNNEL_PSKS[0])
        .code(2)
        .any_stdout()
        .run();
    assert!(
        swapped.stdout.contains(
            "  ~ resource \"vpn_connection\" \"dual\" {\n      ~ psk = (sensitive value changed)\n    }\n"
        ),
        "{}",
        swapped.stdout
    );
    assert_output_has_no_secret(&swapped);
    ws.write(
        "vpnform.yaml",
        &written.replace(
            "    # psk: { env: BRANCH_PSK }  # the cloud holds this connection's PSK: name its source to manage it\n",
            "    psk: { env: BRANCH_PSK }\n",
        ),
    );
    let other = ws
        .vpnform(&["plan", "--detailed-exitcode"])
        .env("BRANCH_PSK", "another-key")
        .code(2)
        .any_stdout()
        .run();
    assert!(
        other.stdout.contains(
            "  ~ resource \"vpn_connection\" \"branch\" {\n      ~ psk = (sensitive value changed)\n    }\n"
        ) && other
            .stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy, 0 to adopt, 0 to forget.\n"),
        "{}",
        other.stdout
    );
    assert_output_has_no_secret(&other);
}

/// `--gateway`: the gateways named, the connections and servers on them; customer
/// gateways are the region's, on no gateway. One kind alone prints as IPsec servers do,
/// under its key.
#[test]
fn import_gateway_keeps_what_is_on_it_and_every_customer_gateway() {
    let cloud = cloud();
    let ws = Workspace::new().against(&cloud);
    ws.vpnform(&[
        "import",
        "--kind",
        "all",
        "--region",
        "cn-hangzhou",
        "--region",
        "cn-shanghai",
        "--gateway",
        "vpn-hz",
        "--write",
    ])
    .stderr(
        "cn-hangzhou: 2 VPN gateways, 3 customer gateways, 2 IPsec connections listed, 5 to import\n\
         cn-shanghai: 1 VPN gateway, 1 IPsec server listed, 0 to import\n\
         2 regions: 3 VPN gateways, 3 customer gateways, 2 IPsec connections, 1 IPsec server listed in 2 of them, 5 to import\n",
    )
    .stdout(
        "Wrote 5 entries to vpnform.yaml:
  vpn_gateway.hz-main: vpn-hz (cn-hangzhou)
  customer_gateway.backup: cgw-backup (cn-hangzhou)
  customer_gateway.branch: cgw-branch (cn-hangzhou)
  customer_gateway.branch_2: cgw-branch2 (cn-hangzhou)
  vpn_connection.branch: vco-branch on vpn-hz (cn-hangzhou)
`vpnform plan` shows one adopt each.
",
    )
    .run();
    // A created file: `version`, then each kind's block.
    let written = ws.read("vpnform.yaml");
    assert!(
        written.starts_with("version: 1\nvpn_gateways:\n  hz-main:\n    id: vpn-hz\n")
            && written.contains("\ncustomer_gateways:\n  backup:\n")
            && written.contains("\nvpn_connections:\n  branch:\n    id: vco-branch\n    vpn_gateway: vpn_gateway.hz-main\n"),
        "{written}"
    );
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy, 5 to adopt, 0 to forget.\n"),
        "{plan:?}"
    );

    // The other gateway's connection, alone: its customer gateways are entries of the
    // file now, named by their addresses; its gateway is not, named by its id.
    let out = ws
        .vpnform(&["import", "--kind", "vpn_connection", "--gateway", "vpn-hz2"])
        .stderr("cn-hangzhou: 2 IPsec connections listed, 1 to import\n")
        .stdout(
            r#"  dual:
    id: vco-dual
    vpn_gateway: vpn-hz2
    region: cn-hangzhou
    tunnels:
      - { customer_gateway: customer_gateway.branch, role: master }
      - { customer_gateway: customer_gateway.backup, role: slave }
    name: "dual"
    local_subnet: ["10.1.0.0/16"]
    remote_subnet: ["192.168.1.0/24", "192.168.2.0/24"]
    effect_immediately: false
    # the cloud holds each tunnel's own PSK: to manage them, add `psk: { env: DUAL_MASTER_PSK }` to the master tunnel and `psk: { env: DUAL_SLAVE_PSK }` to the slave
# 1 entry for the IPsec connections that no address records: add them under `vpn_connections:` in vpnform.yaml, or run `vpnform import --write`.
"#,
        )
        .run();
    assert_output_has_no_secret(&out);
    // Nothing of a kind left to import says so, naming the gateway.
    ws.vpnform(&[
        "import",
        "--kind",
        "vpn_gateway",
        "--kind",
        "customer_gateway",
        "--gateway",
        "vpn-hz",
    ])
    .stderr("cn-hangzhou: 2 VPN gateways, 3 customer gateways listed, 0 to import\n")
    .stdout("# No VPN gateway or customer gateway to import in cn-hangzhou on vpn-hz: each one there is recorded in the state or named by an `id` in vpnform.yaml.\n")
    .run();
}

/// `import --json --kind`: each region's count per kind, each entry's kind and
/// references as written, its observed attributes (never a key); the whole document.
#[test]
fn import_json_with_kinds_counts_each_kind_and_shows_the_references() {
    let cloud = cloud();
    let ws = Workspace::new().against(&cloud);
    let out = ws.run(&[
        "import",
        "--region",
        "cn-hangzhou",
        "--kind",
        "customer_gateway",
        "--kind",
        "vpn_connection",
        "--gateway",
        "vpn-hz",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stderr, "");
    assert_output_has_no_secret(&out);
    let document: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let created = "1704164645000";
    assert_eq!(
        document,
        serde_json::json!({
            "regions": [{
                "region": "cn-hangzhou",
                "to_import": 4,
                "kinds": {
                    "customer_gateway": {"listed": 3, "to_import": 3},
                    "vpn_connection": {"listed": 2, "to_import": 1},
                },
            }],
            "entries": [
                {
                    "address": "customer_gateway.backup",
                    "kind": "customer_gateway",
                    "id": "cgw-backup",
                    "vpn_gateway": null,
                    "region": "cn-hangzhou",
                    "references": {},
                    "attributes": {"create_time": created, "ip_address": "203.0.113.8", "name": "backup"},
                },
                {
                    "address": "customer_gateway.branch",
                    "kind": "customer_gateway",
                    "id": "cgw-branch",
                    "vpn_gateway": null,
                    "region": "cn-hangzhou",
                    "references": {},
                    "attributes": {
                        "asn": "65001",
                        "create_time": created,
                        "description": "Hangzhou branch",
                        "ip_address": "203.0.113.7",
                        "name": "branch",
                    },
                },
                {
                    "address": "customer_gateway.branch_2",
                    "kind": "customer_gateway",
                    "id": "cgw-branch2",
                    "vpn_gateway": null,
                    "region": "cn-hangzhou",
                    "references": {},
                    "attributes": {"create_time": created, "ip_address": "203.0.113.9", "name": "Branch"},
                },
                {
                    "address": "vpn_connection.branch",
                    "kind": "vpn_connection",
                    "id": "vco-branch",
                    "vpn_gateway": "vpn-hz",
                    "region": "cn-hangzhou",
                    "references": {
                        "customer_gateway": "customer_gateway.branch",
                        "vpn_gateway": "vpn-hz",
                    },
                    "attributes": {
                        "create_time": created,
                        "customer_gateway": "cgw-branch",
                        "effect_immediately": "false",
                        "local_subnet": "10.0.0.0/16",
                        "name": "branch",
                        "remote_subnet": "192.168.0.0/24",
                        "tunnel_mode": "single",
                    },
                },
            ],
            "written": null,
            "created": false,
        })
    );
}

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

/// An answer the desired file cannot hold (a name with a control character) leaves the
/// entry without its attributes, which stay observed; its references are still
/// written, by address. The next plan adopts each with no update.
#[test]
fn import_of_an_answer_no_entry_can_hold_writes_its_references_and_leaves_the_rest_observed() {
    let mut world = World::default();
    // Unnamed: the sandbox answers its id as its name.
    world.add_gateway("vpn-hz", "cn-hangzhou");
    world
        .add_customer_gateway("cgw-bell", "cn-hangzhou", "203.0.113.20")
        .name = Some("Door\u{7}bell".into());
    let connection = world.add_connection("vco-bell", "vpn-hz", "cgw-bell");
    connection.name = Some("Bell\u{7}".into());
    connection.psk = Some(vpnform::secret::Secret::new(PSK));
    let cloud = Cloud::start(configuring(Duration::from_millis(50)), world);
    let ws = Workspace::new().against(&cloud);
    let out = ws
        .vpnform(&["import", "--kind", "all", "--region", "cn-hangzhou"])
        .stderr("cn-hangzhou: 1 VPN gateway, 1 customer gateway, 1 IPsec connection listed, 3 to import\n")
        .stdout(
            r#"# vpn_gateways:
  vpn-hz:
    id: vpn-hz
    region: cn-hangzhou
    name: "vpn-hz"
    auto_propagate: false
# customer_gateways:
  door_bell:
    id: cgw-bell
    region: cn-hangzhou
    # the cloud's attributes are not valid desired values: they stay observed
# vpn_connections:
  bell_:
    id: vco-bell
    vpn_gateway: vpn_gateway.vpn-hz
    region: cn-hangzhou
    customer_gateway: customer_gateway.door_bell
    # the cloud's attributes are not valid desired values: they stay observed
    # psk: { env: BELL__PSK }  # the cloud holds this connection's PSK: name its source to manage it
# 3 entries for the VPN gateways, customer gateways, IPsec connections, destination routes, policy-based routes, SSL-VPN servers, SSL-VPN client certificates and IPsec servers that no address records: add each under the key the comment above it names in vpnform.yaml, or run `vpnform import --write`.
"#,
        )
        .run();
    assert_output_has_no_secret(&out);
    ws.vpnform(&[
        "import",
        "--kind",
        "all",
        "--region",
        "cn-hangzhou",
        "--write",
    ])
    .any_stderr()
    .any_stdout()
    .run();
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy, 3 to adopt, 0 to forget.\n")
            && !plan.stdout.contains("updated in-place"),
        "{}",
        plan.stdout
    );
    assert_output_has_no_secret(&plan);
}

/// Regression: a saved plan adopting a connection that names by address a customer
/// gateway the same plan adopts (what `import --write` writes for the two) was refused
/// at apply: derived again from the files, the address was compared with the id the
/// plan showed, a change the saved plan did not have. Online and offline alike.
#[test]
fn regression_a_saved_plan_adopting_a_connection_and_its_customer_gateway_was_refused() {
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
    for plan in [
        &["plan", "--out", "adopt.plan"][..],
        &["plan", "--offline", "--out", "adopt.plan"],
    ] {
        let ws = Workspace::new()
            .file("vpnform.yaml", desired)
            .against(&cloud);
        let out = ws.run(plan);
        assert_eq!(out.code, 0, "{out:?}");
        let apply = ws.run(&["apply", "adopt.plan", "--poll-interval", "50ms"]);
        assert_eq!(apply.code, 0, "{plan:?}: {apply:?}");
        assert_eq!(
            read_state(&ws).resources["vpn_connection.branch"].id,
            "vco-branch"
        );
    }
    assert!(cloud.sandbox().audit().is_empty());
}
