//! The desired attributes of issue #12 (`name`, `local_subnet`, `client_ip_pool`, `psk`,
//! `effect_immediately`, `ike_config`, `ipsec_config`, an entry without `id`): every
//! validation error compared whole, and the pre-shared key read from its source at plan
//! and apply time without ever being printed or written.

use crate::support::{Output, Workspace};

/// `validate` fails with exit 1, nothing on stdout and exactly `expected` on stderr.
#[track_caller]
fn fails_with(yaml: &str, expected: &str) {
    let out = Workspace::new()
        .file("vpnform.yaml", yaml)
        .run(&["validate"]);
    assert_eq!((out.code, out.stdout.as_str()), (1, ""), "{out:?}");
    assert_eq!(
        out.stderr, expected,
        "\n--- got:\n{}\n--- expected:\n{expected}",
        out.stderr
    );
}

#[test]
fn every_attribute_of_the_design_example_is_valid() {
    let out = Workspace::new()
        .file(
            "vpnform.yaml",
            r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office:
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
    id: iss-bp1jougp8cfsbo8y9abcd
    name: office
    local_subnet: [10.0.0.0/24, 10.0.1.0/24]
    client_ip_pool: 10.8.0.0/16
    psk: { env: OFFICE_PSK }
    effect_immediately: false
    ike_config:   { ike_version: ikev2, ike_mode: main, ike_enc_alg: aes, ike_auth_alg: sha1,
                    ike_pfs: group2, ike_lifetime: 86400, local_id: 47.98.1.1, remote_id: office }
    ipsec_config: { ipsec_enc_alg: aes, ipsec_auth_alg: sha1, ipsec_pfs: group2, ipsec_lifetime: 86400 }
  lab:
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjlab1
    local_subnet: 10.1.0.0/24
    client_ip_pool: 10.9.0.0/16
    psk: { file: secrets/lab.psk }
    ipsec_config: { ipsec_pfs: disabled, ipsec_lifetime: 0 }
"#,
        )
        .run(&["validate"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "Success! The configuration is valid.\n", "")
    );
}

#[test]
fn malformed_and_overlapping_cidrs_are_located() {
    fails_with(
        r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office:
    vpn_gateway: vpn-b1
    local_subnet: [10.0.0.0/24, 10.0.1.5/24, 300.0.0.0/8, 10.0.0.128/25]
    client_ip_pool: 10.0.0.0/16
  lab:
    vpn_gateway: vpn-b2
    local_subnet: 10.1.0.0
    client_ip_pool: [10.9.0.0/16]
"#,
        r#"error: vpnform.yaml:6:33: `10.0.1.5/24` in `ipsec_servers.office.local_subnet` is not a CIDR block
  |
6 |     local_subnet: [10.0.0.0/24, 10.0.1.5/24, 300.0.0.0/8, 10.0.0.128/25]
  |                                 ^^^^^^^^^^^
  = help: the address has bits set after the prefix: did you mean `10.0.1.0/24`?

error: vpnform.yaml:6:46: `300.0.0.0/8` in `ipsec_servers.office.local_subnet` is not a CIDR block
  |
6 |     local_subnet: [10.0.0.0/24, 10.0.1.5/24, 300.0.0.0/8, 10.0.0.128/25]
  |                                              ^^^^^^^^^^^
  = help: a CIDR block is an IPv4 address, `/` and a prefix length from 0 to 32, e.g. `10.0.0.0/24`

error: vpnform.yaml:6:59: `10.0.0.128/25` in `ipsec_servers.office.local_subnet` overlaps another block of the list
  |
6 |     local_subnet: [10.0.0.0/24, 10.0.1.5/24, 300.0.0.0/8, 10.0.0.128/25]
  |                    ----------- overlaps this one
  |                                                           ^^^^^^^^^^^^^
  = help: each address is in one block: remove the one inside the other

error: vpnform.yaml:7:21: `ipsec_servers.office.client_ip_pool` 10.0.0.0/16 overlaps the local subnet 10.0.0.0/24
  |
6 |     local_subnet: [10.0.0.0/24, 10.0.1.5/24, 300.0.0.0/8, 10.0.0.128/25]
  |                    ----------- `10.0.0.0/24` is a local subnet
7 |     client_ip_pool: 10.0.0.0/16
  |                     ^^^^^^^^^^^
  = help: the client pool hands out addresses that must not exist behind the server: choose a block outside every `local_subnet`

error: vpnform.yaml:10:19: `10.1.0.0` in `ipsec_servers.lab.local_subnet` is not a CIDR block
   |
10 |     local_subnet: 10.1.0.0
   |                   ^^^^^^^^
   = help: a CIDR block is an IPv4 address, `/` and a prefix length, e.g. `10.0.0.0/24`

error: vpnform.yaml:11:21: expected a string for `ipsec_servers.lab.client_ip_pool`, found a list
   |
11 |     client_ip_pool: [10.9.0.0/16]
   |                     ^
   = help: write a CIDR block, e.g. `10.0.0.0/24`

error: vpnform.yaml has 6 errors
"#,
    );
}

#[test]
fn algorithms_lifetimes_and_names_are_checked_with_the_nearest_value_suggested() {
    fails_with(
        r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office:
    id: iss-a1
    vpn_gateway: vpn-b1
    name: ""
    effect_immediately: True
    ike_config: {ike_version: ikev3, ike_enc_alg: aes257, ike_lifetime: 86401, remote_id: "", ike_mod: main}
    ipsec_config: {ipsec_auth_alg: SHA1, ipsec_pfs: group3, ipsec_lifetime: -1}
  lab:
    id: iss-a2
    vpn_gateway: vpn-b2
    name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
"#,
        r#"error: vpnform.yaml:7:11: `ipsec_servers.office.name` is empty: a name has at least 1 character
  |
7 |     name: ""
  |           ^^
  = help: write 1 to 100 characters, e.g. `name: office`

error: vpnform.yaml:8:25: `True` in `ipsec_servers.office.effect_immediately` is not a boolean of this file: write `true` or `false`
  |
8 |     effect_immediately: True
  |                         ^^^^
  = help: write `true` or `false` (lower case)

error: vpnform.yaml:9:31: unknown value `ikev3` in `ipsec_servers.office.ike_config.ike_version`
  |
9 |     ike_config: {ike_version: ikev3, ike_enc_alg: aes257, ike_lifetime: 86401, remote_id: "", ike_mo…
  |                               ^^^^^
  = help: did you mean `ikev1`?
  = help: expected one of: ikev1, ikev2

error: vpnform.yaml:9:51: unknown value `aes257` in `ipsec_servers.office.ike_config.ike_enc_alg`
  |
9 | …ike_version: ikev3, ike_enc_alg: aes257, ike_lifetime: 86401, remote_id: "", ike_mod: main}
  |                                   ^^^^^^
  = help: did you mean `aes256`?
  = help: expected one of: aes, aes192, aes256, des, 3des

error: vpnform.yaml:9:73: `86401` in `ipsec_servers.office.ike_config.ike_lifetime` is out of range: a lifetime is 0 to 86400 seconds
  |
9 | …e_enc_alg: aes257, ike_lifetime: 86401, remote_id: "", ike_mod: main}
  |                                   ^^^^^
  = help: a lifetime is a number of seconds from 0 to 86400, e.g. `86400`

error: vpnform.yaml:9:91: `ipsec_servers.office.ike_config.remote_id` is empty: an IKE identity has at least 1 character
  |
9 | … ike_lifetime: 86401, remote_id: "", ike_mod: main}
  |                                   ^^
  = help: write 1 to 100 characters: an IP address or a name

error: vpnform.yaml:9:95: unknown field `ike_mod` in `ipsec_servers.office.ike_config`
  |
9 | …_lifetime: 86401, remote_id: "", ike_mod: main}
  |                                   ^^^^^^^
  = help: did you mean `ike_mode`?
  = help: expected one of: ike_version, ike_mode, ike_enc_alg, ike_auth_alg, ike_pfs, ike_lifetime, local_id, remote_id

error: vpnform.yaml:10:36: unknown value `SHA1` in `ipsec_servers.office.ipsec_config.ipsec_auth_alg`
   |
10 |     ipsec_config: {ipsec_auth_alg: SHA1, ipsec_pfs: group3, ipsec_lifetime: -1}
   |                                    ^^^^
   = help: did you mean `sha1`?
   = help: expected one of: md5, sha1, sha256, sha384, sha512

error: vpnform.yaml:10:53: unknown value `group3` in `ipsec_servers.office.ipsec_config.ipsec_pfs`
   |
10 |     ipsec_config: {ipsec_auth_alg: SHA1, ipsec_pfs: group3, ipsec_lifetime: -1}
   |                                                     ^^^^^^
   = help: did you mean `group1`?
   = help: expected one of: disabled, group1, group2, group5, group14

error: vpnform.yaml:10:77: `-1` in `ipsec_servers.office.ipsec_config.ipsec_lifetime` is out of range: a lifetime is 0 to 86400 seconds
   |
10 |     ipsec_config: {ipsec_auth_alg: SHA1, ipsec_pfs: group3, ipsec_lifetime: -1}
   |                                                                             ^^
   = help: a lifetime is a number of seconds from 0 to 86400, e.g. `86400`

error: vpnform.yaml:14:11: `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa… (41 more characters)` in `ipsec_servers.lab.name` is not a server name: a name has at most 100 characters
   |
14 |     name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…
   |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = help: write 1 to 100 characters, e.g. `name: office`

error: vpnform.yaml has 11 errors
"#,
    );
}

#[test]
fn a_literal_psk_is_refused_and_never_printed() {
    let canary = "canary-literal-psk-5d1e";
    let yaml = format!(
        "version: 1
defaults: {{region: cn-hangzhou}}
ipsec_servers:
  office: {{id: iss-a1, vpn_gateway: vpn-b1, psk: {canary}, regoin: x}}
  lab:
    id: iss-a2
    vpn_gateway: vpn-b2
    psk: \"{canary}\"
  shop:
    id: iss-a3
    vpn_gateway: vpn-b3
    psk: {{env: 1BAD, file: x}}
  den:
    id: iss-a4
    vpn_gateway: vpn-b4
    psk: {{env: \"\"}}
"
    );
    let out = Workspace::new()
        .file("vpnform.yaml", &yaml)
        .run(&["validate"]);
    assert!(!out.stderr.contains("canary"), "{}", out.stderr);
    fails_with(
        &yaml,
        r#"error: vpnform.yaml:4:50: a literal pre-shared key in `ipsec_servers.office.psk`: the key never goes in the desired file
  |
4 |   office: {id: iss-a1, vpn_gateway: vpn-b1, psk: ***********************, regoin: x}
  |                                                  ^^^^^^^^^^^^^^^^^^^^^^^
  = help: write `psk: {env: NAME}` (an environment variable) or `psk: {file: PATH}` (a file beside the desired file)
  = help: the key written here is in the file's history: change it on the server's clients

error: vpnform.yaml:4:75: unknown field `regoin` in `ipsec_servers.office`
  |
4 |   office: {id: iss-a1, vpn_gateway: vpn-b1, psk: ***********************, regoin: x}
  |                                                                           ^^^^^^
  = help: did you mean `region`?
  = help: expected one of: id, vpn_gateway, region, name, local_subnet, client_ip_pool, psk, effect_immediately, ike_config, ipsec_config, depends_on, protect

error: vpnform.yaml:8:10: a literal pre-shared key in `ipsec_servers.lab.psk`: the key never goes in the desired file
  |
8 |     psk: *************************
  |          ^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: write `psk: {env: NAME}` (an environment variable) or `psk: {file: PATH}` (a file beside the desired file)
  = help: the key written here is in the file's history: change it on the server's clients

error: vpnform.yaml:12:10: `ipsec_servers.shop.psk` names two sources: `env` and `file`
   |
12 |     psk: {env: 1BAD, file: x}
   |          ^
   = help: write `psk: {env: NAME}` (an environment variable) or `psk: {file: PATH}` (a file beside the desired file)

error: vpnform.yaml:16:16: `ipsec_servers.den.psk.env` must have 1 to 1024 characters
   |
16 |     psk: {env: ""}
   |                ^^
   = help: write `psk: {env: NAME}` (an environment variable) or `psk: {file: PATH}` (a file beside the desired file)

error: vpnform.yaml has 5 errors
"#,
    );
}

#[test]
fn two_entries_on_one_vpn_gateway_are_refused() {
    fails_with(
        r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office: {id: iss-a1, vpn_gateway: vpn-b1}
  lab: {vpn_gateway: vpn-b1, local_subnet: 10.0.0.0/24, client_ip_pool: 10.8.0.0/16}
"#,
        r#"error: vpnform.yaml:5:22: the VPN gateway `vpn-b1` is under two entries: ipsec_server.office and ipsec_server.lab
  |
4 |   office: {id: iss-a1, vpn_gateway: vpn-b1}
  |                                     ------ first used by ipsec_server.office
5 |   lab: {vpn_gateway: vpn-b1, local_subnet: 10.0.0.0/24, client_ip_pool: 10.8.0.0/16}
  |                      ^^^^^^
  = help: a VPN gateway holds one IPsec server: give each entry its own gateway, or remove one of them
"#,
    );
}

#[test]
fn a_create_without_local_subnet_or_client_ip_pool_names_what_is_missing() {
    fails_with(
        r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office: {vpn_gateway: vpn-b1, local_subnet: 10.0.0.0/24}
  lab: {vpn_gateway: vpn-b2, client_ip_pool: 10.8.0.0/16}
"#,
        r#"error: vpnform.yaml:4:3: ipsec_server.office has no `id`, so vpnform creates it, and a create needs `client_ip_pool`
  |
4 |   office: {vpn_gateway: vpn-b1, local_subnet: 10.0.0.0/24}
  |   ^^^^^^
  = help: add `local_subnet: [10.0.0.0/24]` and `client_ip_pool: 10.8.0.0/16` (your blocks), or the `id` of the existing server (`id: iss-...`)

error: vpnform.yaml:5:3: ipsec_server.lab has no `id`, so vpnform creates it, and a create needs `local_subnet`
  |
5 |   lab: {vpn_gateway: vpn-b2, client_ip_pool: 10.8.0.0/16}
  |   ^^^
  = help: add `local_subnet: [10.0.0.0/24]` and `client_ip_pool: 10.8.0.0/16` (your blocks), or the `id` of the existing server (`id: iss-...`)

error: vpnform.yaml has 2 errors
"#,
    );
}

#[test]
fn a_huge_local_subnet_list_is_refused_with_the_limit_named() {
    let list: Vec<String> = (0..10_000)
        .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
        .collect();
    let out = Workspace::new()
        .file(
            "vpnform.yaml",
            &format!(
                "version: 1\ndefaults: {{region: cn-hangzhou}}\nipsec_servers:\n  office:\n    vpn_gateway: vpn-b1\n    client_ip_pool: 192.168.0.0/16\n    local_subnet: [{}]\n",
                list.join(", ")
            ),
        )
        .run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.starts_with("error: vpnform.yaml:7:19: `ipsec_servers.office.local_subnet` lists 10000 CIDR blocks, more than the 100 vpnform accepts\n"),
        "{}",
        out.stderr
    );
}

const CANARY_ENV: &str = "canary-env-psk-91c2";
const CANARY_FILE: &str = "canary-file-psk-4b7e";

const PSK_STATE: &str = "version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 3
resources:
  ipsec_server.lab:
    id: iss-bp1lab0000000000000001
    region: cn-hangzhou
    vpn_gateway: vpn-bp1lab0000000000000001
  ipsec_server.office:
    id: iss-bp1office00000000000001
    region: cn-hangzhou
    vpn_gateway: vpn-bp1office00000000000001
pending: []
";

/// `lab` kept with a key from a file, `office` adopted with a key from env.
const PSK_DESIRED: &str = "version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  lab:
    id: iss-bp1lab0000000000000001
    vpn_gateway: vpn-bp1lab0000000000000001
    psk: {file: secrets/lab.psk}
  office:
    id: iss-bp1office00000000000001
    vpn_gateway: vpn-bp1office00000000000001
    psk: {env: OFFICE_PSK}
";

#[track_caller]
fn no_canary(what: &str, text: &str) {
    for canary in [CANARY_ENV, CANARY_FILE] {
        assert!(!text.contains(canary), "{what} holds a PSK:\n{text}");
    }
}

#[track_caller]
fn no_canary_in(what: &str, out: &Output) {
    no_canary(&format!("{what}: stdout"), &out.stdout);
    no_canary(&format!("{what}: stderr"), &out.stderr);
}

/// A PSK from env and one from a file are read by the online plan and by apply, and
/// appear in no output (at -vv too), saved plan, JSON stream or state file: through an
/// adopt, an update of the key (`lab`'s in the cloud is not the file's) and a create
/// (`new`, keyed from env); `office`'s adopt is followed by the update of its key.
#[test]
fn psk_canaries_from_env_and_file_never_leave_memory() {
    // The cloud holds both servers; the state records only `lab`: `office` is adopted.
    let recorded_lab = PSK_STATE
        .split("  ipsec_server.office:")
        .next()
        .unwrap()
        .to_owned()
        + "pending: []\n";
    let mut world = crate::support::world_of(PSK_STATE);
    world.add_gateway("vpn-bp1new00000000000000001", "cn-hangzhou");
    let cloud = crate::support::Cloud::start(
        crate::support::configuring(std::time::Duration::ZERO),
        world,
    );
    let desired = format!(
        "{PSK_DESIRED}  new:
    vpn_gateway: vpn-bp1new00000000000000001
    local_subnet: 10.0.0.0/24
    client_ip_pool: 10.8.0.0/16
    psk: {{env: OFFICE_PSK}}
"
    );
    let ws = cloud
        .workspace(&recorded_lab, &desired)
        .file("secrets/lab.psk", &format!("{CANARY_FILE}\n"))
        .env("OFFICE_PSK", CANARY_ENV);

    let plan = ws.run(&["plan", "-vv", "--out", "p.plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    for line in [
        "ipsec_server.office will be adopted, then updated in-place",
        "ipsec_server.lab will be updated in-place",
        "      ~ psk = (sensitive value changed)\n",
        "ipsec_server.new will be created",
        "      + psk            = (sensitive, from env OFFICE_PSK)\n",
        "Plan: 1 to add, 1 to change, 0 to destroy, 1 to adopt, 0 to forget.",
    ] {
        assert!(plan.stdout.contains(line), "{line}: {plan:?}");
    }
    no_canary_in("plan --out", &plan);
    no_canary("saved plan", &ws.read("p.plan"));

    let json = ws.run(&["plan", "--json"]);
    assert_eq!(json.code, 0, "{json:?}");
    no_canary_in("plan --json", &json);

    let apply = ws.run(&["-vv", "apply", "p.plan"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    no_canary_in("apply", &apply);
    let state = ws.read("state/vpnform.state.yaml");
    assert!(state.contains("ipsec_server.office:"), "{state}");
    assert!(state.contains("ipsec_server.new:"), "{state}");
    no_canary("state", &state);
    assert_eq!(cloud.effects("CreateIpsecServer").len(), 1);
    // `lab`'s key, and `office`'s after its adopt (the cloud's is not the source's).
    assert_eq!(cloud.effects("UpdateIpsecServer").len(), 2);

    // The keys now match: nothing more to do, and still nothing shown.
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
    no_canary_in("plan after apply", &again);
}

/// A missing env var or key file stops the online plan and apply before any call,
/// naming the entry and the source, never a value.
#[test]
fn a_missing_psk_source_fails_before_any_call() {
    let cloud = crate::support::Cloud::for_state(PSK_STATE, std::time::Duration::ZERO);
    let ws = cloud.workspace(PSK_STATE, PSK_DESIRED);
    let expected = "error: ipsec_server.lab: cannot read the pre-shared key from file secrets/lab.psk: No such file or directory (os error 2)
  = help: create the file beside the desired file, readable by vpnform, or change `psk` in the desired file

error: ipsec_server.office: the pre-shared key comes from env OFFICE_PSK, which is not set
  = help: set OFFICE_PSK in vpnform's environment (a CI secret, for example), or change `psk` in the desired file
";
    for args in [&["plan"][..], &["apply", "--auto-approve"][..]] {
        let out = ws.run(args);
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (1, ""),
            "{args:?}: {out:?}"
        );
        assert_eq!(out.stderr, expected, "{args:?}");
    }
    assert_eq!(cloud.wire.calls().len(), 0, "a request was sent");
}

const CREATE_DESIRED: &str = "version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office: {vpn_gateway: vpn-b1, local_subnet: 10.0.0.0/24, client_ip_pool: 10.8.0.0/16}
  lab: {vpn_gateway: vpn-b2, local_subnet: 10.0.0.0/24, client_ip_pool: 10.8.0.0/16}
";

/// An entry without `id` and no recorded server is a create: `+`, its managed values,
/// the id known after apply, counted "to add". (Until issue #12 the plan refused it.)
#[test]
fn an_entry_without_id_plans_a_create() {
    let out = Workspace::new()
        .file("vpnform.yaml", CREATE_DESIRED)
        .run(&["plan", "--offline"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            r#"Note: offline plan: the cloud was not read (no refresh, no prechecks).

Resource actions are indicated with the following symbols:
  + create (create in the cloud, then record its id in the state)

vpnform will perform the following actions:

  # ipsec_server.lab will be created
  # (because ipsec_server.lab is in the desired state without an id)
  + resource "ipsec_server" "lab" {
      + id             = (known after apply)
      + vpn_gateway    = "vpn-b2"
      + region         = "cn-hangzhou"
      + client_ip_pool = "10.8.0.0/16"
      + local_subnet   = "10.0.0.0/24"
    }
    precheck: skipped (--offline)

  # ipsec_server.office will be created
  # (because ipsec_server.office is in the desired state without an id)
  + resource "ipsec_server" "office" {
      + id             = (known after apply)
      + vpn_gateway    = "vpn-b1"
      + region         = "cn-hangzhou"
      + client_ip_pool = "10.8.0.0/16"
      + local_subnet   = "10.0.0.0/24"
    }
    precheck: skipped (--offline)

Plan: 2 to add, 0 to change, 0 to destroy, 0 to adopt, 0 to forget.
Plan hash: 1abb05cfe0ed95fd5f8cb3d181c3449c395c4d9215a0782c564efec0e5e4ed62

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -0,0 +1,20 @@
+# Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
+version: 1
+lineage: ""
+serial: 1
+resources:
+  ipsec_server.lab:
+    id: (known after apply)
+    region: cn-hangzhou
+    vpn_gateway: vpn-b2
+    attributes:
+      client_ip_pool: 10.8.0.0/16
+      local_subnet: 10.0.0.0/24
+  ipsec_server.office:
+    id: (known after apply)
+    region: cn-hangzhou
+    vpn_gateway: vpn-b1
+    attributes:
+      client_ip_pool: 10.8.0.0/16
+      local_subnet: 10.0.0.0/24
+pending: []
"#,
            "No recorded state at state/vpnform.state.yaml: desired servers with an id will be adopted, those without one created.\n"
        )
    );
}

/// An entry without `id` whose server is recorded is that server: no action.
#[test]
fn an_entry_without_id_is_the_recorded_server_of_its_address() {
    let state = "version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 3
resources:
  ipsec_server.office:
    id: iss-bp1office00000000000001
    region: cn-hangzhou
    vpn_gateway: vpn-b1
pending: []
";
    let out = Workspace::new()
        .file(
            "vpnform.yaml",
            CREATE_DESIRED
                .lines()
                .take(4)
                .collect::<Vec<_>>()
                .join("\n")
                .as_str(),
        )
        .file("state/vpnform.state.yaml", state)
        .run(&["plan", "--offline"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            "Note: offline plan: the cloud was not read (no refresh, no prechecks).

No changes. Your infrastructure matches the configuration.

vpnform has compared the desired state with the recorded state and found no differences, so no changes are needed.
",
            ""
        )
    );
}
