//! Onboarding (issue 13): `vpnform import` against a sandbox world the test builds
//! itself (not derived from a state), `--write` into the desired file, the plan that
//! follows, and the online plan's hint at unmanaged servers.

use std::time::Duration;

use vpnform::sandbox::World;

use crate::support::{Cloud, Workspace, configuring, read_state};

const REGIONS: [&str; 3] = ["cn-hangzhou", "cn-shanghai", "cn-beijing"];

/// Thirty servers, ten a region, each on a gateway of its own; the names collide, start
/// with digits, are missing, are YAML words or hold a control character.
fn thirty() -> World {
    let mut world = World::default();
    for i in 0..30 {
        let name = match i {
            0 => "Office".to_owned(),
            1 => "office".to_owned(),
            2 => "2nd floor".to_owned(),
            3 => String::new(),
            4 => "Lab 1".to_owned(),
            5 => "lab_1".to_owned(),
            6 => "yes".to_owned(),
            // Not a valid desired name (a control character): written without attributes.
            7 => "Wi-Fi\u{7}Hall".to_owned(),
            _ => format!("srv-{i}"),
        };
        let server = world.add_server(
            &format!("iss-s{i:02}"),
            &format!("vpn-g{i:02}"),
            REGIONS[i % 3],
        );
        if !name.is_empty() {
            server.name = Some(name);
        }
    }
    world
}

const EMPTY: &str = "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers: {}\n";

fn workspace(cloud: &Cloud, desired: &str) -> Workspace {
    Workspace::new()
        .file("vpnform.yaml", desired)
        .against(cloud)
}

#[test]
fn import_write_then_plan_adopts_thirty_apply_records_them_and_nothing_is_left() {
    let cloud = Cloud::start(configuring(Duration::from_millis(50)), thirty());
    let ws = workspace(&cloud, EMPTY);
    let regions = [
        "--region",
        "cn-hangzhou",
        "--region",
        "cn-shanghai",
        "--region",
        "cn-beijing",
    ];
    const LISTED: &str = "cn-beijing: 10 IPsec servers listed, 10 to import\n\
cn-hangzhou: 10 IPsec servers listed, 10 to import\n\
cn-shanghai: 10 IPsec servers listed, 10 to import\n\
3 regions: 30 IPsec servers listed in 3 of them, 30 to import\n";
    // Printed, the entries; written, only what was written where.
    let printed = ws
        .vpnform(&[&["import"], &regions[..]].concat())
        .any_stdout()
        .stderr(LISTED)
        .run()
        .stdout;
    let entries = printed.rsplit_once("# 30 entries").unwrap().0;
    ws.vpnform(&[&["import", "--write"], &regions[..]].concat())
        .stdout(written_summary("Appended", entries))
        .stderr(LISTED)
        .run();
    // The `{}` gave way; every other byte is as it was.
    assert_eq!(
        ws.read("vpnform.yaml"),
        format!("version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers: \n{entries}")
    );

    let out = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy, 30 to adopt, 0 to forget."),
        "{out:?}"
    );
    assert!(!out.stdout.contains("not managed by vpnform"), "{out:?}");

    let out = ws.run(&["apply", "--auto-approve", "--poll-interval", "50ms"]);
    assert_eq!(out.code, 0, "{out:?}");
    let state = read_state(&ws);
    assert_eq!(state.resources.len(), 30);
    // Nothing was mutated in the cloud.
    assert!(cloud.sandbox().audit().is_empty());

    let out = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("No changes."), "{out:?}");

    // Everything is recorded now: nothing to import, and the file is left alone.
    let before = ws.read("vpnform.yaml");
    ws.vpnform(&["import", "--write", "--region", "cn-shanghai"])
        .stdout("# No IPsec server to import in cn-shanghai: each one there is recorded in the state or named by an `id` in vpnform.yaml. Nothing was written.\n")
        .stderr("cn-shanghai: 10 IPsec servers listed, 0 to import\n")
        .run();
    assert_eq!(ws.read("vpnform.yaml"), before);
}

/// What `import --write` prints for the printed `entries` it wrote: a line each, with
/// the address, the id, the gateway and the region.
fn written_summary(how: &str, entries: &str) -> String {
    let mut lines = Vec::new();
    let mut entry: Vec<String> = Vec::new();
    let mut flush = |entry: &mut Vec<String>| {
        if let [name, id, gateway, region, ..] = entry.as_slice() {
            lines.push(format!(
                "  ipsec_server.{}: {id} on {gateway} ({region})\n",
                name.trim_matches('"')
            ));
        }
        entry.clear();
    };
    for line in entries.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            continue;
        }
        let (key, value) = trimmed.split_once(':').unwrap();
        if line.len() - trimmed.len() <= 4 && value.is_empty() {
            flush(&mut entry);
            entry.push(key.to_owned());
        } else if ["id", "vpn_gateway", "region"].contains(&key) {
            entry.push(value.trim().to_owned());
        }
    }
    flush(&mut entry);
    let n = lines.len();
    format!(
        "{how} {n} entr{} to vpnform.yaml:\n{}`vpnform plan` shows one adopt each.\n",
        if n == 1 { "y" } else { "ies" },
        lines.concat()
    )
}

#[test]
fn import_names_collisions_digits_and_missing_names_as_design_says() {
    let cloud = Cloud::start(configuring(Duration::from_millis(50)), thirty());
    // `office` is taken by an entry already; only cn-hangzhou is listed (the default
    // region), and the entry's own server is not listed again.
    let desired = "\
version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
    office:
        id: iss-s09
        vpn_gateway: vpn-g09
";
    let ws = workspace(&cloud, desired);
    let mut args = vec!["import"];
    for region in REGIONS {
        args.extend(["--region", region]);
    }
    // The first eight servers (and office's own, which is not listed again).
    let gateways: Vec<String> = (0..8).chain([9]).map(|i| format!("vpn-g{i:02}")).collect();
    for g in &gateways {
        args.extend(["--gateway", g]);
    }
    ws.vpnform(&args)
        .stderr(
            "cn-beijing: 10 IPsec servers listed, 2 to import\n\
cn-hangzhou: 10 IPsec servers listed, 3 to import\n\
cn-shanghai: 10 IPsec servers listed, 3 to import\n\
3 regions: 30 IPsec servers listed in 3 of them, 8 to import\n",
        )
        .stdout(IMPORTED)
        .run();
    // Nothing written without --write.
    assert_eq!(ws.read("vpnform.yaml"), desired);

    let mut write = args.clone();
    write.push("--write");
    let entries = IMPORTED.rsplit_once("# 8 entries").unwrap().0;
    ws.vpnform(&write)
        .any_stderr()
        .stdout(
            "Appended 8 entries to vpnform.yaml:
  ipsec_server.iss-s03: iss-s03 on vpn-g03 (cn-hangzhou)
  ipsec_server.lab_1: iss-s04 on vpn-g04 (cn-shanghai)
  ipsec_server.lab_1_2: iss-s05 on vpn-g05 (cn-beijing)
  ipsec_server.office_2: iss-s00 on vpn-g00 (cn-hangzhou)
  ipsec_server.office_3: iss-s01 on vpn-g01 (cn-shanghai)
  ipsec_server.s_2nd_floor: iss-s02 on vpn-g02 (cn-beijing)
  ipsec_server.wi-fi_hall: iss-s07 on vpn-g07 (cn-shanghai)
  ipsec_server.yes: iss-s06 on vpn-g06 (cn-hangzhou)
`vpnform plan` shows one adopt each.
",
        )
        .run();
    assert_eq!(ws.read("vpnform.yaml"), format!("{desired}{entries}"));
    let out = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy, 9 to adopt, 0 to forget."),
        "{out:?}"
    );
}

/// `import` of the first eight servers with `office` taken.
const IMPORTED: &str = r#"    iss-s03:
      id: iss-s03
      vpn_gateway: vpn-g03
      region: cn-hangzhou
      local_subnet: ["192.168.0.0/24"]
      client_ip_pool: "10.10.0.0/16"
      effect_immediately: false
      ike_config: { ike_version: "ikev2", ike_mode: "main", ike_enc_alg: "aes", ike_auth_alg: "sha1", ike_pfs: "group2", ike_lifetime: 86400, local_id: "198.51.100.10" }
      ipsec_config: { ipsec_enc_alg: "aes", ipsec_auth_alg: "sha1", ipsec_pfs: "group2", ipsec_lifetime: 86400 }
      # psk: { env: ISS_S03_PSK }  # the cloud holds this server's PSK: name its source to manage it
    lab_1:
      id: iss-s04
      vpn_gateway: vpn-g04
      region: cn-shanghai
      name: "Lab 1"
      local_subnet: ["192.168.0.0/24"]
      client_ip_pool: "10.10.0.0/16"
      effect_immediately: false
      ike_config: { ike_version: "ikev2", ike_mode: "main", ike_enc_alg: "aes", ike_auth_alg: "sha1", ike_pfs: "group2", ike_lifetime: 86400, local_id: "198.51.100.10" }
      ipsec_config: { ipsec_enc_alg: "aes", ipsec_auth_alg: "sha1", ipsec_pfs: "group2", ipsec_lifetime: 86400 }
      # psk: { env: LAB_1_PSK }  # the cloud holds this server's PSK: name its source to manage it
    lab_1_2:
      id: iss-s05
      vpn_gateway: vpn-g05
      region: cn-beijing
      name: "lab_1"
      local_subnet: ["192.168.0.0/24"]
      client_ip_pool: "10.10.0.0/16"
      effect_immediately: false
      ike_config: { ike_version: "ikev2", ike_mode: "main", ike_enc_alg: "aes", ike_auth_alg: "sha1", ike_pfs: "group2", ike_lifetime: 86400, local_id: "198.51.100.10" }
      ipsec_config: { ipsec_enc_alg: "aes", ipsec_auth_alg: "sha1", ipsec_pfs: "group2", ipsec_lifetime: 86400 }
      # psk: { env: LAB_1_2_PSK }  # the cloud holds this server's PSK: name its source to manage it
    office_2:
      id: iss-s00
      vpn_gateway: vpn-g00
      region: cn-hangzhou
      name: "Office"
      local_subnet: ["192.168.0.0/24"]
      client_ip_pool: "10.10.0.0/16"
      effect_immediately: false
      ike_config: { ike_version: "ikev2", ike_mode: "main", ike_enc_alg: "aes", ike_auth_alg: "sha1", ike_pfs: "group2", ike_lifetime: 86400, local_id: "198.51.100.10" }
      ipsec_config: { ipsec_enc_alg: "aes", ipsec_auth_alg: "sha1", ipsec_pfs: "group2", ipsec_lifetime: 86400 }
      # psk: { env: OFFICE_2_PSK }  # the cloud holds this server's PSK: name its source to manage it
    office_3:
      id: iss-s01
      vpn_gateway: vpn-g01
      region: cn-shanghai
      name: "office"
      local_subnet: ["192.168.0.0/24"]
      client_ip_pool: "10.10.0.0/16"
      effect_immediately: false
      ike_config: { ike_version: "ikev2", ike_mode: "main", ike_enc_alg: "aes", ike_auth_alg: "sha1", ike_pfs: "group2", ike_lifetime: 86400, local_id: "198.51.100.10" }
      ipsec_config: { ipsec_enc_alg: "aes", ipsec_auth_alg: "sha1", ipsec_pfs: "group2", ipsec_lifetime: 86400 }
      # psk: { env: OFFICE_3_PSK }  # the cloud holds this server's PSK: name its source to manage it
    s_2nd_floor:
      id: iss-s02
      vpn_gateway: vpn-g02
      region: cn-beijing
      name: "2nd floor"
      local_subnet: ["192.168.0.0/24"]
      client_ip_pool: "10.10.0.0/16"
      effect_immediately: false
      ike_config: { ike_version: "ikev2", ike_mode: "main", ike_enc_alg: "aes", ike_auth_alg: "sha1", ike_pfs: "group2", ike_lifetime: 86400, local_id: "198.51.100.10" }
      ipsec_config: { ipsec_enc_alg: "aes", ipsec_auth_alg: "sha1", ipsec_pfs: "group2", ipsec_lifetime: 86400 }
      # psk: { env: S_2ND_FLOOR_PSK }  # the cloud holds this server's PSK: name its source to manage it
    wi-fi_hall:
      id: iss-s07
      vpn_gateway: vpn-g07
      region: cn-shanghai
      # the cloud's attributes are not valid desired values: they stay observed
      # psk: { env: WI_FI_HALL_PSK }  # the cloud holds this server's PSK: name its source to manage it
    "yes":
      id: iss-s06
      vpn_gateway: vpn-g06
      region: cn-hangzhou
      name: "yes"
      local_subnet: ["192.168.0.0/24"]
      client_ip_pool: "10.10.0.0/16"
      effect_immediately: false
      ike_config: { ike_version: "ikev2", ike_mode: "main", ike_enc_alg: "aes", ike_auth_alg: "sha1", ike_pfs: "group2", ike_lifetime: 86400, local_id: "198.51.100.10" }
      ipsec_config: { ipsec_enc_alg: "aes", ipsec_auth_alg: "sha1", ipsec_pfs: "group2", ipsec_lifetime: 86400 }
      # psk: { env: YES_PSK }  # the cloud holds this server's PSK: name its source to manage it
# 8 entries for the servers that no address records: add them under `ipsec_servers:` in vpnform.yaml, or run `vpnform import --write`.
"#;

#[test]
fn the_unmanaged_hint_counts_what_no_address_records_in_the_refreshed_regions() {
    let cloud = Cloud::start(configuring(Duration::from_millis(50)), thirty());
    let ws = workspace(&cloud, EMPTY);
    ws.vpnform(&["plan"])
        .stdout(
            "No changes. Your infrastructure matches the configuration.\n\n\
vpnform has compared the desired state with the recorded state and the cloud and found no differences, so no changes are needed.\n\n\
Note: 10 IPsec servers in the refreshed regions (cn-hangzhou: 10) are not managed by vpnform: no address records them. `vpnform import` prints desired entries for them (`vpnform import --write` appends them to the desired file), and the next plan adopts them.\n",
        )
        .stderr("No recorded state at state/vpnform.state.yaml: desired servers with an id will be adopted, those without one created.\n")
        .run();
    let out = ws.run(&["plan", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let last: serde_json::Value = serde_json::from_str(out.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "unmanaged_servers");
    assert_eq!(last["@level"], "info");
    assert_eq!(
        last["unmanaged"],
        serde_json::json!({"total": 10, "regions": {"cn-hangzhou": 10}})
    );
    assert_eq!(
        last["@message"],
        "10 IPsec servers in the refreshed regions (cn-hangzhou: 10) are not managed by vpnform: no address records them. `vpnform import` prints desired entries for them (`vpnform import --write` appends them to the desired file), and the next plan adopts them."
    );
    // Offline nothing is refreshed, so nothing is said.
    let out = ws.run(&["plan", "--offline"]);
    assert!(!out.stdout.contains("not managed"), "{out:?}");
}

#[test]
fn import_of_one_gateway_into_a_missing_desired_file_creates_it() {
    let cloud = Cloud::start(configuring(Duration::from_millis(50)), thirty());
    let ws = Workspace::new().against(&cloud);
    ws.vpnform(&[
        "import",
        "--region",
        "cn-hangzhou",
        "--gateway",
        "vpn-g00",
        "--write",
    ])
    .stderr("cn-hangzhou: 10 IPsec servers listed, 1 to import\n")
    .stdout(
        "Wrote 1 entry to vpnform.yaml:
  ipsec_server.office: iss-s00 on vpn-g00 (cn-hangzhou)
`vpnform plan` shows one adopt each.
",
    )
    .run();
    assert_eq!(
        ws.read("vpnform.yaml"),
        r#"version: 1
ipsec_servers:
  office:
    id: iss-s00
    vpn_gateway: vpn-g00
    region: cn-hangzhou
    name: "Office"
    local_subnet: ["192.168.0.0/24"]
    client_ip_pool: "10.10.0.0/16"
    effect_immediately: false
    ike_config: { ike_version: "ikev2", ike_mode: "main", ike_enc_alg: "aes", ike_auth_alg: "sha1", ike_pfs: "group2", ike_lifetime: 86400, local_id: "198.51.100.10" }
    ipsec_config: { ipsec_enc_alg: "aes", ipsec_auth_alg: "sha1", ipsec_pfs: "group2", ipsec_lifetime: 86400 }
    # psk: { env: OFFICE_PSK }  # the cloud holds this server's PSK: name its source to manage it
"#
    );
}

#[test]
fn import_without_a_region_to_list_says_what_to_pass() {
    let ws = Workspace::new();
    ws.vpnform(&["import"])
        .code(1)
        .stderr("error: no region to list: vpnform.yaml names none and the state records none; pass --region REGION (repeatable) or --all-regions\n")
        .run();
    ws.vpnform(&["import", "--region", "cn-hangzou"])
        .code(1)
        .stderr("error: --region cn-hangzou: not an Alibaba Cloud region id; did you mean `cn-hangzhou`?\n")
        .run();
}

/// Regression: `backend:` appended after `ipsec_servers` (the team recipe's `printf
/// ... >> vpnform.yaml`) made `import --write` refuse the file: entries went only at the
/// end of the file. They now go at the end of the `ipsec_servers` block, wherever it is,
/// and every other byte stays.
#[test]
fn regression_import_write_refused_a_file_whose_servers_were_not_the_last_key() {
    let cloud = Cloud::start(configuring(Duration::from_millis(50)), thirty());
    let desired = "version: 1\nipsec_servers:\n  office:\n    id: iss-s00\n    vpn_gateway: vpn-g00\n    region: cn-hangzhou\n\n# where the servers are\ndefaults:\n  region: cn-hangzhou\n";
    let ws = workspace(&cloud, desired);
    ws.vpnform(&[
        "import",
        "--write",
        "--gateway",
        "vpn-g03",
        "--gateway",
        "vpn-g09",
    ])
    .stderr("cn-hangzhou: 10 IPsec servers listed, 2 to import\n")
    .stdout(
        "Appended 2 entries to vpnform.yaml:
  ipsec_server.iss-s03: iss-s03 on vpn-g03 (cn-hangzhou)
  ipsec_server.srv-9: iss-s09 on vpn-g09 (cn-hangzhou)
`vpnform plan` shows one adopt each.
",
    )
    .run();
    let (head, tail) = desired.split_once("\n\n").unwrap();
    let written = ws.read("vpnform.yaml");
    let entries = written
        .strip_prefix(&format!("{head}\n"))
        .and_then(|rest| rest.strip_suffix(&format!("\n{tail}")))
        .unwrap_or_else(|| panic!("{written}"));
    assert!(
        entries.starts_with("  iss-s03:\n    id: iss-s03\n")
            && entries.contains("\n  srv-9:\n    id: iss-s09\n"),
        "{written}"
    );
    let out = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy, 3 to adopt, 0 to forget."),
        "{out:?}"
    );
}

/// `--all-regions` lists every region vpnform knows, most of them empty: a line for each
/// region with servers, and one for all of them.
#[test]
fn import_all_regions_names_only_the_regions_with_servers() {
    let cloud = Cloud::start(configuring(Duration::from_millis(50)), thirty());
    let ws = workspace(&cloud, EMPTY);
    let regions = vpnform::regions::ids().count();
    ws.vpnform(&["import", "--all-regions", "--gateway", "vpn-g00"])
        .any_stdout()
        .stderr(format!(
            "cn-beijing: 10 IPsec servers listed, 0 to import\n\
             cn-hangzhou: 10 IPsec servers listed, 1 to import\n\
             cn-shanghai: 10 IPsec servers listed, 0 to import\n\
             {regions} regions: 30 IPsec servers listed in 3 of them, 1 to import\n"
        ))
        .run();
}

/// `import --json`: one JSON document on stdout (the regions listed, each entry with its
/// observed non-secret attributes, the file written), nothing else there; with `--write`
/// the file is written as in text mode.
#[test]
fn import_json_is_one_document_and_names_the_file_written() {
    let cloud = Cloud::start(configuring(Duration::from_millis(50)), thirty());
    let ws = workspace(&cloud, EMPTY);
    let out = ws.run(&[
        "import",
        "--region",
        "cn-hangzhou",
        "--gateway",
        "vpn-g00",
        "--write",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stderr, "");
    let document: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let entry = &document["entries"][0];
    assert_eq!(
        (
            &document["regions"],
            document["entries"].as_array().unwrap().len(),
            &document["written"],
            &document["created"],
        ),
        (
            &serde_json::json!([{"region": "cn-hangzhou", "servers": 10, "to_import": 1}]),
            1,
            &serde_json::json!("vpnform.yaml"),
            &serde_json::json!(false),
        )
    );
    assert_eq!(entry["vpn_gateway"], "vpn-g00");
    assert_eq!(entry["region"], "cn-hangzhou");
    let id = entry["id"].as_str().unwrap();
    let address = entry["address"].as_str().unwrap();
    assert!(
        ws.read("vpnform.yaml").contains(id),
        "{}",
        ws.read("vpnform.yaml")
    );
    assert!(entry["attributes"]["client_ip_pool"].is_string(), "{entry}");
    assert!(entry["attributes"].get("psk").is_none(), "{entry}");
    assert!(address.starts_with("ipsec_server."), "{address}");
    // An error is a JSON diagnostic on stdout too.
    let bad = ws.run(&["import", "--region", "xx-nowhere-1", "--json"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    let diagnostic: serde_json::Value =
        serde_json::from_str(bad.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(diagnostic["type"], "diagnostic");
    assert_eq!(diagnostic["diagnostic"]["severity"], "error");
}

/// Thirty servers renamed in the console: the "changed outside vpnform" note is one line
/// a server, as a large plan's actions are; `--full` shows every old and new value.
#[test]
fn a_large_changed_outside_note_is_condensed_and_full_shows_it_whole() {
    let cloud = Cloud::start(configuring(Duration::from_millis(50)), thirty());
    // Named by id alone: every attribute is observed, so a rename is a change made
    // outside vpnform, not an update.
    let mut desired = "version: 1\nipsec_servers:\n".to_owned();
    for i in 0..30 {
        desired.push_str(&format!(
            "  s{i:02}: {{id: iss-s{i:02}, vpn_gateway: vpn-g{i:02}, region: {}}}\n",
            REGIONS[i % 3]
        ));
    }
    let ws = workspace(&cloud, &desired);
    ws.vpnform(&["apply", "--auto-approve", "--poll-interval", "50ms"])
        .any_stdout()
        .any_stderr()
        .run();
    for i in 0..30 {
        cloud.console(&format!("iss-s{i:02}"), |s| {
            s.name = Some(format!("renamed-{i}"))
        });
    }
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut expected = "Note: Objects have changed outside of vpnform\n\nvpnform detected the \
                        following changes made outside of vpnform since the last\n\"vpnform \
                        apply\":\n\n"
        .to_owned();
    // s03 had no name: a value the state never held is recorded silently.
    for i in (0..30).filter(|i| *i != 3) {
        expected.push_str(&format!("  ~ ipsec_server.s{i:02} has changed: name\n"));
    }
    expected.push_str(
        "\n29 servers changed outside vpnform: one line each. `--full` (or `vpnform show FILE` \
         for a saved plan) shows every old and new value.\n\n",
    );
    assert!(out.stdout.starts_with(&expected), "{}", out.stdout);
    let full = ws.run(&["plan", "--full"]);
    assert_eq!(
        full.stdout.matches(" has changed\n").count(),
        29,
        "{}",
        full.stdout
    );
}
