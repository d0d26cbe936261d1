//! Tests of the config area: `vpnform validate` on desired-state files, asserting the
//! whole message a user sees for every kind of error.

use crate::support::{Output, Workspace};

/// Runs `vpnform validate` on `yaml` as `vpnform.yaml`.
fn validate(yaml: &str) -> Output {
    Workspace::new()
        .file("vpnform.yaml", yaml)
        .run(&["validate"])
}

/// `validate` fails with exit 1, nothing on stdout and exactly `expected` on stderr.
#[track_caller]
fn fails_with(yaml: &str, expected: &str) {
    let out = validate(yaml);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "", "{out:?}");
    assert_eq!(
        out.stderr, expected,
        "\n--- got:\n{}\n--- expected:\n{expected}",
        out.stderr
    );
}

const SUCCESS: &str = "Success! The configuration is valid.\n";

#[test]
fn unknown_field_names_the_entry_and_the_expected_fields() {
    fails_with(
        r#"version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office:
    id: iss-bp1jougp8cfsbo8y9abcd
    regoin: cn-shanghai
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
"#,
        r#"error: vpnform.yaml:7:5: unknown field `regoin` in `ipsec_servers.office`
  |
7 |     regoin: cn-shanghai
  |     ^^^^^^
  = help: did you mean `region`?
  = help: expected one of: id, vpn_gateway, region, name, local_subnet, client_ip_pool, psk, effect_immediately, ike_config, ipsec_config, depends_on, protect
"#,
    );
}

#[test]
fn duplicate_entry_pasted_twice_is_an_error_not_a_silent_merge() {
    fails_with(
        r#"version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office:
    id: iss-bp1jougp8cfsbo8y9abcd
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
  office:
    id: iss-bp1jougp8cfsbo8y9abcd
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
"#,
        r#"error: vpnform.yaml:8:3: duplicate key `office` in `ipsec_servers`
  |
5 |   office:
  |   ------ first defined here
  ...
8 |   office:
  |   ^^^^^^
  = help: a key may appear once in a mapping: remove or rename one of them
"#,
    );
}

#[test]
fn unsupported_version_is_refused() {
    fails_with(
        r#"version: 2
ipsec_servers: {}
"#,
        r#"error: vpnform.yaml:1:10: unsupported `version: 2`: this vpnform reads version 1
  |
1 | version: 2
  |          ^
  = help: write `version: 1`; a file written for a newer vpnform needs that vpnform
"#,
    );
}

#[test]
fn missing_version_is_an_error() {
    fails_with(
        r#"ipsec_servers: {}
"#,
        r#"error: vpnform.yaml:1:1: missing `version`
  |
1 | ipsec_servers: {}
  | ^
  = help: add `version: 1` at the top of the file
"#,
    );
}

#[test]
fn malformed_ids_and_swapped_ids_say_which_prefix_goes_where() {
    fails_with(
        r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office:
    id: bp1jougp8cfsbo8y9abcd
    vpn_gateway: vpn-BP1Q8
  lab:
    id: vpn-bp1q8bgx4xnkm2ogjabcd
    vpn_gateway: "vpn-"
"#,
        r#"error: vpnform.yaml:5:9: `bp1jougp8cfsbo8y9abcd` in `ipsec_servers.office.id` is not the id of an IPsec server: it does not start with `iss-`
  |
5 |     id: bp1jougp8cfsbo8y9abcd
  |         ^^^^^^^^^^^^^^^^^^^^^
  = help: write the id of an IPsec server, e.g. `id: iss-bp1jougp8cfsbo8y9abcd`

error: vpnform.yaml:6:18: `vpn-BP1Q8` in `ipsec_servers.office.vpn_gateway` is not the id of a VPN gateway: after `vpn-` come only lowercase letters and digits
  |
6 |     vpn_gateway: vpn-BP1Q8
  |                  ^^^^^^^^^
  = help: write the id of a VPN gateway, e.g. `vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd`

error: vpnform.yaml:8:9: `vpn-bp1q8bgx4xnkm2ogjabcd` in `ipsec_servers.lab.id` is not the id of an IPsec server: it does not start with `iss-`
  |
8 |     id: vpn-bp1q8bgx4xnkm2ogjabcd
  |         ^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: write the id of an IPsec server, e.g. `id: iss-bp1jougp8cfsbo8y9abcd`
  = help: `vpn-...` is the id of a VPN gateway (it goes in `vpn_gateway`)

error: vpnform.yaml:9:18: `vpn-` in `ipsec_servers.lab.vpn_gateway` is not the id of a VPN gateway: after `vpn-` come only lowercase letters and digits
  |
9 |     vpn_gateway: "vpn-"
  |                  ^^^^^^
  = help: write the id of a VPN gateway, e.g. `vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd`

error: vpnform.yaml has 4 errors
"#,
    );
}

#[test]
fn unknown_region_suggests_the_closest_real_one() {
    fails_with(
        r#"version: 1
ipsec_servers:
  office: {id: iss-a1, vpn_gateway: vpn-b1, region: cn-hangzou}
  lab: {id: iss-a2, vpn_gateway: vpn-b2, region: mars-north-1}
"#,
        r#"error: vpnform.yaml:3:53: unknown region `cn-hangzou` in `ipsec_servers.office.region`
  |
3 |   office: {id: iss-a1, vpn_gateway: vpn-b1, region: cn-hangzou}
  |                                                     ^^^^^^^^^^
  = help: did you mean `cn-hangzhou`?

error: vpnform.yaml:4:50: unknown region `mars-north-1` in `ipsec_servers.lab.region`
  |
4 |   lab: {id: iss-a2, vpn_gateway: vpn-b2, region: mars-north-1}
  |                                                  ^^^^^^^^^^^^
  = help: write an Alibaba Cloud region id such as cn-hangzhou or ap-southeast-1

error: vpnform.yaml has 2 errors
"#,
    );
}

#[test]
fn missing_region_without_defaults_region() {
    fails_with(
        r#"version: 1
ipsec_servers:
  office: {id: iss-a1, vpn_gateway: vpn-b1}
"#,
        r#"error: vpnform.yaml:3:3: ipsec_server.office has no `region`, and there is no `defaults.region`
  |
3 |   office: {id: iss-a1, vpn_gateway: vpn-b1}
  |   ^^^^^^
  = help: add `region: cn-hangzhou` (for example) to the entry, or set `defaults: {region: ...}` for every entry
"#,
    );
}

#[test]
fn same_id_under_two_addresses_names_both_places() {
    fails_with(
        r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office:
    id: iss-bp1jougp8cfsbo8y9abcd
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
  office_copy:
    id: iss-bp1jougp8cfsbo8y9abcd
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
"#,
        r#"error: vpnform.yaml:8:9: the IPsec server `iss-bp1jougp8cfsbo8y9abcd` is under two addresses: ipsec_server.office and ipsec_server.office_copy
  |
5 |     id: iss-bp1jougp8cfsbo8y9abcd
  |         ------------------------- first kept by ipsec_server.office
  ...
8 |     id: iss-bp1jougp8cfsbo8y9abcd
  |         ^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: an existing server is kept by one entry only: remove one of them
"#,
    );
}

#[test]
fn depends_on_problems_are_each_reported() {
    fails_with(
        r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office:
    id: iss-a1
    vpn_gateway: vpn-b1
    depends_on: [ipsec_server.labb, ipsec_server.office, lab, ipsec_server.gone]
  lab: {id: iss-a2, vpn_gateway: vpn-b2}
"#,
        r#"error: vpnform.yaml:7:18: ipsec_server.office depends on ipsec_server.labb, which is neither in `ipsec_servers` nor in the recorded state
  |
7 |     depends_on: [ipsec_server.labb, ipsec_server.office, lab, ipsec_server.gone]
  |                  ^^^^^^^^^^^^^^^^^
  = help: did you mean `ipsec_server.lab`?

error: vpnform.yaml:7:37: ipsec_server.office depends on itself
  |
7 |     depends_on: [ipsec_server.labb, ipsec_server.office, lab, ipsec_server.gone]
  |                                     ^^^^^^^^^^^^^^^^^^^
  = help: remove it from its own `depends_on`

error: vpnform.yaml:7:58: `lab` in `ipsec_servers.office.depends_on` is not an address
  |
7 |     depends_on: [ipsec_server.labb, ipsec_server.office, lab, ipsec_server.gone]
  |                                                          ^^^
  = help: write `ipsec_server.lab`

error: vpnform.yaml:7:63: ipsec_server.office depends on ipsec_server.gone, which is neither in `ipsec_servers` nor in the recorded state
  |
7 |     depends_on: [ipsec_server.labb, ipsec_server.office, lab, ipsec_server.gone]
  |                                                               ^^^^^^^^^^^^^^^^^
  = help: add that entry to `ipsec_servers`, or remove it from `depends_on`

error: vpnform.yaml has 4 errors
"#,
    );
}

#[test]
fn dependency_cycle_names_every_member_in_order() {
    fails_with(
        r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  a:
    id: iss-a1
    vpn_gateway: vpn-b1
    depends_on: [ipsec_server.c]
  b:
    id: iss-a2
    vpn_gateway: vpn-b2
    depends_on: [ipsec_server.a]
  c:
    id: iss-a3
    vpn_gateway: vpn-b3
    depends_on: [ipsec_server.b]
"#,
        r#"error: vpnform.yaml:7:18: dependency cycle: ipsec_server.a -> ipsec_server.c -> ipsec_server.b -> ipsec_server.a
   |
 7 |     depends_on: [ipsec_server.c]
   |                  ^^^^^^^^^^^^^^ ipsec_server.a depends on ipsec_server.c
   ...
11 |     depends_on: [ipsec_server.a]
   |                  -------------- ipsec_server.b depends on ipsec_server.a
   ...
15 |     depends_on: [ipsec_server.b]
   |                  -------------- ipsec_server.c depends on ipsec_server.b
   = help: remove one of these `depends_on` items to break the cycle
"#,
    );
}

#[test]
fn entry_without_id_is_a_create_that_needs_local_subnet_and_client_ip_pool() {
    fails_with(
        r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office:
    vpn_gateway: vpn-b1
"#,
        r#"error: vpnform.yaml:4:3: ipsec_server.office has no `id`, so vpnform creates it, and a create needs `local_subnet` and `client_ip_pool`
  |
4 |   office:
  |   ^^^^^^
  = help: add `local_subnet: [10.0.0.0/24]` and `client_ip_pool: 10.8.0.0/16` (your blocks), or the `id` of the existing server (`id: iss-...`)
"#,
    );
}

#[test]
fn wrong_types_are_located() {
    fails_with(
        r#"version: 1
defaults: [cn-hangzhou]
ipsec_servers:
  office:
    id: 42
    vpn_gateway: vpn-b1
    region: cn-hangzhou
    depends_on: ipsec_server.lab
    protect: yes
"#,
        r#"error: vpnform.yaml:2:11: expected a mapping for `defaults`, found a list
  |
2 | defaults: [cn-hangzhou]
  |           ^
  = help: write `defaults:` with an indented `region: cn-hangzhou` under it

error: vpnform.yaml:5:9: expected a string for `ipsec_servers.office.id`, found a number
  |
5 |     id: 42
  |         ^^
  = help: write the id of an IPsec server, e.g. `id: iss-bp1jougp8cfsbo8y9abcd`

error: vpnform.yaml:8:17: expected a list for `ipsec_servers.office.depends_on`, found a string
  |
8 |     depends_on: ipsec_server.lab
  |                 ^^^^^^^^^^^^^^^^
  = help: write a list of addresses, e.g. `depends_on: [ipsec_server.lab]`

error: vpnform.yaml:9:14: expected true or false for `ipsec_servers.office.protect`, found a string
  |
9 |     protect: yes
  |              ^^^
  = help: write `protect: true` or `protect: false`

error: vpnform.yaml has 4 errors
"#,
    );
}

#[test]
fn a_list_of_servers_where_a_mapping_is_expected() {
    fails_with(
        r#"version: 1
ipsec_servers:
  - id: iss-a1
    vpn_gateway: vpn-b1
"#,
        r#"error: vpnform.yaml:3:3: expected a mapping for `ipsec_servers`, found a list
  |
3 |   - id: iss-a1
  |   ^
  = help: write one entry per server under `ipsec_servers:`, e.g. `office: {id: iss-..., vpn_gateway: vpn-...}`
"#,
    );
}

#[test]
fn yaml_syntax_error_is_located() {
    fails_with(
        r#"version: 1
ipsec_servers:
  office: {id: iss-a1, vpn_gateway: vpn-b1
"#,
        r#"error: vpnform.yaml:3:11: unclosed bracket '{'
  |
3 |   office: {id: iss-a1, vpn_gateway: vpn-b1
  |           ^
  = help: fix the YAML syntax at this place
"#,
    );
}

#[test]
fn invalid_names_are_refused() {
    fails_with(
        r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  9office: {id: iss-a1, vpn_gateway: vpn-b1}
  "my office": {id: iss-a2, vpn_gateway: vpn-b1}
"#,
        r#"error: vpnform.yaml:4:3: `9office` is not a valid name for an entry of `ipsec_servers`
  |
4 |   9office: {id: iss-a1, vpn_gateway: vpn-b1}
  |   ^^^^^^^
  = help: a name starts with a letter or `_` and has only letters, digits, `_` and `-`

error: vpnform.yaml:5:3: `my office` is not a valid name for an entry of `ipsec_servers`
  |
5 |   "my office": {id: iss-a2, vpn_gateway: vpn-b1}
  |   ^^^^^^^^^^^
  = help: a name starts with a letter or `_` and has only letters, digits, `_` and `-`

error: vpnform.yaml has 2 errors
"#,
    );
}

#[test]
fn empty_file_is_not_delete_everything() {
    fails_with(
        r#""#,
        r#"error: vpnform.yaml:1:1: the desired-state file is empty: refusing to treat an empty desired state as 'delete everything'
  = help: list what to keep under its kind's key (`ipsec_servers:`, `vpn_gateways:`, `customer_gateways:`, `vpn_connections:`, `vpn_routes:`, `vpn_policy_routes:`, `ssl_vpn_servers:`, `ssl_vpn_client_certs:`); to delete everything of a kind the state records, write its key as `{}` (e.g. `ipsec_servers: {}`)
"#,
    );
}

#[test]
fn comment_only_file_is_not_delete_everything() {
    fails_with(
        r#"# all servers moved to the new account
"#,
        r#"error: vpnform.yaml:1:1: the desired-state file is empty: refusing to treat an empty desired state as 'delete everything'
  = help: list what to keep under its kind's key (`ipsec_servers:`, `vpn_gateways:`, `customer_gateways:`, `vpn_connections:`, `vpn_routes:`, `vpn_policy_routes:`, `ssl_vpn_servers:`, `ssl_vpn_client_certs:`); to delete everything of a kind the state records, write its key as `{}` (e.g. `ipsec_servers: {}`)
"#,
    );
}

#[test]
fn file_without_ipsec_servers_is_not_delete_everything() {
    fails_with(
        r#"version: 1
defaults: {region: cn-hangzhou}
"#,
        r#"error: vpnform.yaml:1:1: no kind of resource in the desired-state file: refusing to treat an empty desired state as 'delete everything'
  |
1 | version: 1
  | ^
  = help: list what to keep under its kind's key (`ipsec_servers:`, `vpn_gateways:`, `customer_gateways:`, `vpn_connections:`, `vpn_routes:`, `vpn_policy_routes:`, `ssl_vpn_servers:`, `ssl_vpn_client_certs:`); to delete everything of a kind the state records, write its key as `{}` (e.g. `ipsec_servers: {}`)
"#,
    );
}

#[test]
fn ipsec_servers_left_empty_by_commenting_out_is_not_delete_everything() {
    fails_with(
        r#"version: 1
ipsec_servers:
#  office: {id: iss-a1, vpn_gateway: vpn-b1, region: cn-hangzhou}
"#,
        r#"error: vpnform.yaml:2:1: `ipsec_servers` is empty: refusing to treat an empty desired state as 'delete everything'
  |
2 | ipsec_servers:
  | ^^^^^^^^^^^^^
  = help: list the IPsec servers to keep under `ipsec_servers:`; to delete every recorded server, write `ipsec_servers: {}`
"#,
    );
}

#[test]
fn valid_file_succeeds_on_stdout() {
    let out = validate(
        r#"version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office:
    id: iss-bp1jougp8cfsbo8y9abcd
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
    depends_on: [ipsec_server.lab, ipsec_server.lab]
    protect: true
  lab:
    id: iss-bp1jougp8cfsbo8y9abce
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabce
    region: ap-southeast-1
"#,
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, SUCCESS, "")
    );
}

#[test]
fn explicit_empty_ipsec_servers_is_valid() {
    // The one way to say "delete every recorded server": the literal, empty mapping.
    let out = validate("version: 1\nipsec_servers: {}\n");
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, SUCCESS, "")
    );
}

#[test]
fn depends_on_may_name_an_address_only_in_the_recorded_state() {
    let yaml = r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  office: {id: iss-a1, vpn_gateway: vpn-b1, depends_on: [ipsec_server.old]}
"#;
    let ws = Workspace::new().file("vpnform.yaml", yaml).file(
        "state/vpnform.state.yaml",
        r#"version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 3
resources:
  ipsec_server.old:
    id: iss-a9
    region: cn-hangzhou
    vpn_gateway: vpn-b1
pending: []
"#,
    );
    let out = ws.run(&["validate"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, SUCCESS, "")
    );

    // Without that state, the same file names an address that exists nowhere.
    let out = validate(yaml);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        r#"error: vpnform.yaml:4:58: ipsec_server.office depends on ipsec_server.old, which is neither in `ipsec_servers` nor in the recorded state
  |
4 |   office: {id: iss-a1, vpn_gateway: vpn-b1, depends_on: [ipsec_server.old]}
  |                                                          ^^^^^^^^^^^^^^^^
  = help: add that entry to `ipsec_servers`, or remove it from `depends_on`
"#
    );
}

#[test]
fn the_state_directory_is_taken_from_state_flag() {
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            "version: 1\nipsec_servers:\n  a: {id: iss-a1, vpn_gateway: vpn-b1, region: cn-beijing, depends_on: [ipsec_server.old]}\n",
        )
        .file(
            "elsewhere/vpnform.state.yaml",
            "version: 1\nlineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a\nserial: 1\nresources:\n  ipsec_server.old: {id: iss-a9, region: cn-beijing, vpn_gateway: vpn-b1}\npending: []\n",
        );
    let out = ws.run(&["validate", "--state", "elsewhere"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, SUCCESS, "")
    );
}

#[test]
fn missing_file_says_how_to_point_at_another() {
    let ws = Workspace::new();
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: the desired-state file vpnform.yaml does not exist\n  = help: create it, or point at another file with `--desired FILE`\n"
    );
    let out = ws.run(&["validate", "--desired", "infra/prod.yaml"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "error: the desired-state file infra/prod.yaml does not exist\n  = help: create it, or point at another file with `--desired FILE`\n"
    );
}

#[test]
fn desired_flag_names_the_file_in_messages() {
    let ws = Workspace::new().file("infra/prod.yaml", "version: 3\nipsec_servers: {}\n");
    let out = ws.run(&["validate", "--desired", "infra/prod.yaml"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        r#"error: infra/prod.yaml:1:10: unsupported `version: 3`: this vpnform reads version 1
  |
1 | version: 3
  |          ^
  = help: write `version: 1`; a file written for a newer vpnform needs that vpnform
"#
    );
}

#[test]
fn every_error_is_reported_sorted_by_position() {
    // Found in another order (names, then ids, then the cycle at the end): shown by line.
    fails_with(
        r#"version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  a: {id: iss-a1, vpn_gateway: vpn-b1, depends_on: [ipsec_server.b]}
  b: {id: iss-a1, vpn_gateway: vpn-b1, depends_on: [ipsec_server.a]}
  c d: {id: iss-a3, vpn_gateway: vpn-b1}
  e: {id: iss-a4, vpn_gateway: gw-1, protect: 1}
"#,
        r#"error: vpnform.yaml:4:53: dependency cycle: ipsec_server.a -> ipsec_server.b -> ipsec_server.a
  |
4 |   a: {id: iss-a1, vpn_gateway: vpn-b1, depends_on: [ipsec_server.b]}
  |                                                     ^^^^^^^^^^^^^^ ipsec_server.a depends on ipsec_server.b
5 |   b: {id: iss-a1, vpn_gateway: vpn-b1, depends_on: [ipsec_server.a]}
  |                                                     -------------- ipsec_server.b depends on ipsec_server.a
  = help: remove one of these `depends_on` items to break the cycle

error: vpnform.yaml:5:11: the IPsec server `iss-a1` is under two addresses: ipsec_server.a and ipsec_server.b
  |
4 |   a: {id: iss-a1, vpn_gateway: vpn-b1, depends_on: [ipsec_server.b]}
  |           ------ first kept by ipsec_server.a
5 |   b: {id: iss-a1, vpn_gateway: vpn-b1, depends_on: [ipsec_server.a]}
  |           ^^^^^^
  = help: an existing server is kept by one entry only: remove one of them

error: vpnform.yaml:6:3: `c d` is not a valid name for an entry of `ipsec_servers`
  |
6 |   c d: {id: iss-a3, vpn_gateway: vpn-b1}
  |   ^^^
  = help: a name starts with a letter or `_` and has only letters, digits, `_` and `-`

error: vpnform.yaml:7:32: `gw-1` in `ipsec_servers.e.vpn_gateway` is not the id of a VPN gateway: it does not start with `vpn-`
  |
7 |   e: {id: iss-a4, vpn_gateway: gw-1, protect: 1}
  |                                ^^^^
  = help: write the id of a VPN gateway, e.g. `vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd`

error: vpnform.yaml:7:47: expected true or false for `ipsec_servers.e.protect`, found a number
  |
7 |   e: {id: iss-a4, vpn_gateway: gw-1, protect: 1}
  |                                               ^
  = help: write `protect: true` or `protect: false`

error: vpnform.yaml has 5 errors
"#,
    );
}

#[test]
fn a_broken_state_file_is_an_error_not_an_empty_state() {
    let ws = Workspace::new()
        .file("vpnform.yaml", "version: 1\nipsec_servers: {}\n")
        .file("state/vpnform.state.yaml", "version: 1\nresources: [\n");
    let out = ws.run(&["validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .starts_with("error: state/vpnform.state.yaml:2:12: expected mapping start\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn duplicate_field_in_an_entry_points_at_both() {
    // serde_yaml would keep the last `id` silently: a different server than reviewed.
    fails_with(
        r#"version: 1
ipsec_servers:
  office:
    id: iss-a1
    vpn_gateway: vpn-b1
    region: cn-hangzhou
    id: iss-a2
"#,
        r#"error: vpnform.yaml:7:5: duplicate key `id` in `ipsec_servers.office`
  |
4 |     id: iss-a1
  |     -- first defined here
  ...
7 |     id: iss-a2
  |     ^^
  = help: a key may appear once in a mapping: remove or rename one of them
"#,
    );
}

#[test]
fn version_written_as_a_decimal_is_refused() {
    fails_with(
        "version: 1.5\nipsec_servers: {}\n",
        r#"error: vpnform.yaml:1:10: unsupported `version: 1.5`: this vpnform reads version 1
  |
1 | version: 1.5
  |          ^^^
  = help: write `version: 1`
"#,
    );
}

/// Regression: a tab indenting the line after a plain value was reported on the line
/// before ("while scanning a plain scalar, found a tab"), with no word of what to do.
#[test]
fn regression_a_tab_in_the_indentation_was_reported_on_the_line_before() {
    fails_with(
        "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers:\n  web:\n    vpn_gateway: vpn-g1\n\tname: web\n",
        "error: vpnform.yaml:7:1: a tab in the indentation
  |
7 | \tname: web
  | ^
  = help: tabs are not allowed in YAML indentation; use spaces
",
    );
    // Where the parser finds the tab on its own line, the hint is the same.
    fails_with(
        "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers:\n  web:\n  \tvpn_gateway: vpn-g1\n",
        "error: vpnform.yaml:6:3: a tab in the indentation
  |
6 |   \tvpn_gateway: vpn-g1
  |   ^
  = help: tabs are not allowed in YAML indentation; use spaces
",
    );
}
