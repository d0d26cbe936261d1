//! The human and JSON views (issue 16, items 4-6): large plans condensed with the
//! summary first and last, progress that tells the truth, one `diagnostic` per error with
//! its `range`, every event stamped at its own moment, and `show --json` as one plan
//! document in the shape of `terraform show -json`.

use std::time::Duration;

use serde_json::{Value, json};
use vpnform::cloud::{Client, ClientOptions, Credentials};
use vpnform::kinds::ipsec_server::DeleteIpsecServer;
use vpnform::sandbox::{self, Policy};
use vpnform::secret::Secret;

use crate::support::{
    Cloud, LINEAGE, Workspace, configuring, ipsec_server, param, state_file, world_of,
};

/// A state recording `servers` (name, gateway) at serial 3, each with a `name` attribute.
fn state_yaml(servers: &[(String, String)]) -> String {
    state_file()
        .resources(
            servers
                .iter()
                .map(|(name, gateway)| ipsec_server(name, &format!("iss-{name}"), gateway).named()),
        )
        .render()
}

/// `n` servers `s000`, `s001`... each on its own gateway `vpn-gs000`...
fn numbered(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("s{i:03}"), format!("vpn-gs{i:03}")))
        .collect()
}

/// A desired file keeping only `keep`, now with `protect: true` (a state-only update).
const KEEP_PROTECTED: &str = "version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  keep:
    id: iss-keep
    vpn_gateway: vpn-gkeep
    protect: true
";

/// 200 recorded servers to delete and one kept whose protection is turned on.
fn two_hundred_deletes() -> Workspace {
    let mut servers = numbered(200);
    servers.push(("keep".into(), "vpn-gkeep".into()));
    Workspace::new()
        .file("vpnform.yaml", KEEP_PROTECTED)
        .file("state/vpnform.state.yaml", &state_yaml(&servers))
}

fn plan_hash_of(stdout: &str) -> &str {
    let start = stdout.find("Plan hash: ").expect("a plan hash") + "Plan hash: ".len();
    &stdout[start..start + 64]
}

#[test]
fn a_200_delete_plan_fits_in_250_lines_with_the_summary_first_and_last() {
    let ws = two_hundred_deletes();
    let out = ws.run(&["plan", "--offline"]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut one_line_each = String::new();
    for i in 0..200 {
        one_line_each.push_str(&format!(
            "  - ipsec_server.s{i:03} will be destroyed [id=iss-s{i:03}, vpn_gateway=vpn-gs{i:03}]\n"
        ));
    }
    let summary = "Plan: 0 to add, 1 to change, 200 to destroy, 0 to adopt, 0 to forget.";
    let expected = format!(
        "Note: offline plan: the cloud was not read (no refresh, no prechecks).

{summary}
This plan has 201 actions: one line each, full blocks only for those that need attention. \
`--full` (or `vpnform show FILE` for a saved plan) shows every block and the state file diff.

Resource actions are indicated with the following symbols:
  - destroy (delete in the cloud, then drop from the state)
  ~ update (record the new protect/depends_on; nothing changes in the cloud)

vpnform will perform the following actions:

{one_line_each}  ~ ipsec_server.keep will be updated in the state [id=iss-keep, vpn_gateway=vpn-gkeep] (see below)

  prechecks of the 200 deletes: 0 passed, 0 warning, 0 failed, 200 skipped

Actions that need attention (1):

  # ipsec_server.keep will be updated in the state, nothing changes in the cloud
  # (because its protect or depends_on changed in the desired state)
  ~ resource \"ipsec_server\" \"keep\" {{
      ~ protect = false -> true
    }}

{summary}
Plan hash: {hash}

State file changes: not shown for a plan this large; `--full` shows them.
",
        hash = plan_hash_of(&out.stdout)
    );
    assert_eq!(out.stdout, expected);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines.len() <= 250, "{} lines", lines.len());
    assert_eq!(lines.iter().position(|l| *l == summary), Some(2));
    assert_eq!(
        lines.iter().rposition(|l| *l == summary),
        Some(lines.len() - 4)
    );
}

#[test]
fn full_and_show_keep_every_block_and_the_state_diff_of_a_large_plan() {
    let ws = two_hundred_deletes();
    let full = ws.run(&["plan", "--offline", "--full"]);
    assert_eq!(full.code, 0, "{full:?}");
    assert_eq!(full.stdout.matches(" will be destroyed\n").count(), 200);
    assert_eq!(
        full.stdout
            .matches("    precheck: skipped (--offline)\n")
            .count(),
        200
    );
    assert!(!full.stdout.contains("This plan has"), "{}", full.stdout);
    assert!(full.stdout.contains(
        "\nState file changes (state/vpnform.state.yaml):\n\n--- a/state/vpnform.state.yaml\n"
    ));
    assert!(full.stdout.contains("\n-  ipsec_server.s199:\n"));

    // `show` of the saved plan is where a reviewer reads it in full: the same blocks.
    assert_eq!(ws.run(&["plan", "--offline", "--out", "big.plan"]).code, 0);
    let show = ws.run(&["show", "big.plan"]);
    assert_eq!(show.code, 0, "{show:?}");
    let blocks = |text: &str| {
        let start = text.find("Resource actions are").unwrap();
        let end = text.find("Plan hash: ").unwrap();
        text[start..end].to_owned()
    };
    assert_eq!(blocks(&show.stdout), blocks(&full.stdout));
    let diff = |text: &str| text[text.find("\nState file changes").unwrap()..].to_owned();
    assert_eq!(diff(&show.stdout), diff(&full.stdout));

    // Once the state has moved on, the plan's diff is no longer true: none is shown.
    let state = ws.read("state/vpnform.state.yaml");
    ws.write(
        "state/vpnform.state.yaml",
        &state.replace("serial: 3\n", "serial: 4\n"),
    );
    let show = ws.run(&["show", "big.plan"]);
    assert_eq!(show.code, 0, "{show:?}");
    assert!(
        !show.stdout.contains("State file changes"),
        "{}",
        show.stdout
    );
    assert_eq!(blocks(&show.stdout), blocks(&full.stdout));
}

/// A 30-delete online plan whose two prechecks the cloud refuses: the condensed text
/// shows both refusals in full, and `--json` gives one diagnostic each, by address.
#[test]
fn refused_prechecks_are_blocks_in_a_condensed_plan_and_one_diagnostic_each() {
    let servers = numbered(30);
    let state = state_yaml(&servers);
    let cloud = Cloud::for_state(&state, Duration::from_millis(200));
    cloud.sandbox().set_policy(Policy {
        deny_resources: ["iss-s007".to_owned(), "iss-s021".to_owned()].into(),
        ..Default::default()
    });
    let ws = cloud.workspace(&state, "version: 1\nipsec_servers: {}\n");

    let out = ws.run(&["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    let refusal = |name: &str| {
        let id = format!("iss-{name}");
        let request_id = request_id_of_dry_run(&cloud, &id);
        format!(
            "failed: Forbidden: User not authorized to operate on the specified resource. \
             (RequestId {request_id})"
        )
    };
    let block = |name: &str| {
        format!(
            "  # ipsec_server.{name} will be destroyed
  # (because ipsec_server.{name} is not in the desired state)
  - resource \"ipsec_server\" \"{name}\" {{
      - id          = \"iss-{name}\"
      - vpn_gateway = \"vpn-g{name}\"
      - region      = \"cn-hangzhou\"
      - name        = \"{name}\"
    }}
    precheck: {}
",
            refusal(name)
        )
    };
    assert!(
        out.stdout.contains(&format!(
            "  prechecks of the 30 deletes: 28 passed, 0 warning, 2 failed, 0 skipped\n\n\
             Actions that need attention (2):\n\n{}\n{}\n\
             Plan: 0 to add, 0 to change, 30 to destroy, 0 to adopt, 0 to forget.\n",
            block("s007"),
            block("s021")
        )),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(
        "  - ipsec_server.s007 will be destroyed [id=iss-s007, vpn_gateway=vpn-gs007] (see below)\n"
    ));
    assert!(
        out.stderr.ends_with(&format!(
            "error: the DryRun precheck refused 2 of the plan's calls; apply would fail there:\n\
             ipsec_server.s007: {}\nipsec_server.s021: {}\n",
            refusal("s007"),
            refusal("s021")
        )),
        "{}",
        out.stderr
    );

    let out = ws.run(&["plan", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let diagnostics: Vec<Value> = events(&out.stdout)
        .into_iter()
        .filter(|e| e["type"] == "diagnostic")
        .collect();
    let expected: Vec<Value> = ["s007", "s021"]
        .iter()
        .map(|name| {
            let summary = format!("ipsec_server.{name}: {}", refusal(name));
            json!({
                "@level": "error",
                "@message": format!("Error: {summary}"),
                "@module": "vpnform.ui",
                "@timestamp": "T",
                "type": "diagnostic",
                "diagnostic": {
                    "severity": "error",
                    "summary": summary,
                    "detail": format!(
                        "the DryRun precheck refused 2 of the plan's calls; apply would fail there:\
                         \n\n{summary}"
                    ),
                    "address": format!("ipsec_server.{name}"),
                },
            })
        })
        .collect();
    assert_eq!(diagnostics, expected);
}

#[test]
fn every_error_in_the_desired_file_is_its_own_diagnostic_with_a_range() {
    let ws = Workspace::new().file(
        "vpnform.yaml",
        "version: 1\ndefaults:\n  region: cn-hangzhou\nipsec_servers:\n  a:\n    id: bogus\n    \
         vpn_gateway: vpn-x\n    colour: red\n  b:\n    id: iss-\u{e9}1\n    vpn_gateway: vpn-y\n",
    );
    let out = ws.run(&["plan", "--offline", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let lines = events(&out.stdout);
    assert_eq!(lines[0]["type"], "version");
    let diagnostic = |summary: &str, detail: &str, range: Value| {
        json!({
            "@level": "error",
            "@message": format!("Error: {summary}"),
            "@module": "vpnform.ui",
            "@timestamp": "T",
            "type": "diagnostic",
            "diagnostic": {
                "severity": "error",
                "summary": summary,
                "detail": detail,
                "range": range,
            },
        })
    };
    let range = |line: u64, start: (u64, u64), end: (u64, u64)| {
        json!({
            "filename": "vpnform.yaml",
            "start": {"line": line, "column": start.0, "byte": start.1},
            "end": {"line": line, "column": end.0, "byte": end.1},
        })
    };
    let id_help = "= help: write the id of an IPsec server, e.g. `id: iss-bp1jougp8cfsbo8y9abcd`";
    let bogus = "`bogus` in `ipsec_servers.a.id` is not the id of an IPsec server: it does not \
                 start with `iss-`";
    let colour = "unknown field `colour` in `ipsec_servers.a`";
    let accent = "`iss-\u{e9}1` in `ipsec_servers.b.id` is not the id of an IPsec server: after \
                  `iss-` come only lowercase letters and digits";
    assert_eq!(
        lines[1..],
        [
            diagnostic(
                bogus,
                &format!(
                    "vpnform.yaml:6:9: {bogus}\n  |\n6 |     id: bogus\n  |         ^^^^^\n  {id_help}"
                ),
                range(6, (9, 71), (14, 76)),
            ),
            diagnostic(
                colour,
                &format!(
                    "vpnform.yaml:8:5: {colour}\n  |\n8 |     colour: red\n  |     ^^^^^^\n  \
                     = help: expected one of: id, vpn_gateway, region, name, local_subnet, \
                     client_ip_pool, psk, effect_immediately, ike_config, ipsec_config, depends_on, \
                     protect"
                ),
                range(8, (5, 104), (11, 110)),
            ),
            // Columns count characters, bytes count bytes: `é` is two.
            diagnostic(
                accent,
                &format!(
                    "vpnform.yaml:10:9: {accent}\n   |\n10 |     id: iss-\u{e9}1\n   |         \
                     ^^^^^^\n   {id_help}"
                ),
                range(10, (9, 129), (15, 136)),
            ),
        ]
    );
    // The byte offsets point at the words the diagnostics are about.
    let text = ws.read("vpnform.yaml");
    assert_eq!(&text[71..76], "bogus");
    assert_eq!(&text[104..110], "colour");
    assert_eq!(&text[129..136], "iss-\u{e9}1");
}

#[test]
fn a_state_file_error_is_a_diagnostic_with_a_range() {
    let state = state_yaml(&[("a".into(), "vpn-ga".into())])
        .replace("      name: a\n", "      name: a\n    colour: red\n");
    let ws = Workspace::new()
        .file("vpnform.yaml", "version: 1\nipsec_servers: {}\n")
        .file("state/vpnform.state.yaml", &state);
    // Line 12: after vpnform's header line, the version, lineage, serial and `a`'s lines.
    let out = ws.run(&["plan", "--offline", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let byte = state.find("colour").unwrap() as u64;
    let message = "state/vpnform.state.yaml:12:5: unknown field `colour`, expected one of id, \
                   region, vpn_gateway, depends_on, protect, psk, attributes, deposed";
    let advice = "vpnform left the file untouched and will not overwrite it. Restore a good copy \
                  from version control (`git log -p -- state/vpnform.state.yaml`) or from \
                  state/vpnform.state.yaml.backup (written by `vpnform state rm`), then run the \
                  command again.";
    let at = json!({"line": 12, "column": 5, "byte": byte});
    assert_eq!(
        events(&out.stdout)[1..],
        [json!({
            "@level": "error",
            "@message": format!("Error: {message}"),
            "@module": "vpnform.ui",
            "@timestamp": "T",
            "type": "diagnostic",
            "diagnostic": {
                "severity": "error",
                "summary": message,
                "detail": format!("{message}\n   |\n12 |     colour: red\n   |     ^\n{advice}"),
                "range": {"filename": "state/vpnform.state.yaml", "start": at, "end": at},
            },
        })]
    );
    assert_eq!(
        out.stderr,
        format!("error: {message}\n   |\n12 |     colour: red\n   |     ^\n{advice}\n")
    );
}

#[test]
fn two_protected_deletes_are_two_diagnostics_each_with_its_address() {
    let state = state_yaml(&[("a".into(), "vpn-ga".into()), ("b".into(), "vpn-gb".into())])
        .replace("    attributes:\n", "    protect: true\n    attributes:\n");
    let ws = Workspace::new()
        .file("vpnform.yaml", "version: 1\nipsec_servers: {}\n")
        .file("state/vpnform.state.yaml", &state);
    let out = ws.run(&["plan", "--offline", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let message = |name: &str| {
        format!(
            "ipsec_server.{name} (iss-{name}) is protected (`protect: true` in the state) and is \
             not in the desired state, so the plan would delete it; put it back in the desired \
             file, or run `vpnform state unprotect ipsec_server.{name}` first if it really must go"
        )
    };
    let diagnostic = |name: &str| {
        json!({
            "@level": "error",
            "@message": format!("Error: {}", message(name)),
            "@module": "vpnform.ui",
            "@timestamp": "T",
            "type": "diagnostic",
            "diagnostic": {
                "severity": "error",
                "summary": message(name),
                "detail": message(name),
                "address": format!("ipsec_server.{name}"),
            },
        })
    };
    assert_eq!(events(&out.stdout)[1..], [diagnostic("a"), diagnostic("b")]);
    assert_eq!(
        out.stderr,
        format!("error: {}\n{}\n", message("a"), message("b"))
    );
}

#[test]
fn show_json_is_one_plan_document_in_terraforms_shape() {
    let state = state_yaml(&[
        ("gone".into(), "vpn-ggone".into()),
        ("keep".into(), "vpn-gkeep".into()),
    ]);
    let desired = format!(
        "{KEEP_PROTECTED}  newcomer:\n    id: iss-newcomer\n    vpn_gateway: vpn-gnewcomer\n"
    );
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired)
        .file("state/vpnform.state.yaml", &state);
    let plan = ws.run(&["plan", "--offline", "--out", "p.plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let saved: Value = serde_json::from_str(&ws.read("p.plan")).unwrap();
    let token = |address: &str| {
        saved["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["address"] == address)
            .unwrap()["client_token"]
            .clone()
    };

    let out = ws.run(&["show", "--json", "p.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let document: Value = serde_json::from_str(&out.stdout).unwrap();
    let object = |name: &str, protect: bool, with_name: bool| {
        let mut o = json!({"id": format!("iss-{name}"), "region": "cn-hangzhou",
                           "vpn_gateway": format!("vpn-g{name}"), "depends_on": [],
                           "protect": protect});
        if with_name {
            o["name"] = json!(name);
        }
        o
    };
    let change = |name: &str, actions: Value, before: Value, after: Value, reason: &str| {
        let address = format!("ipsec_server.{name}");
        json!({
            "address": address,
            "mode": "managed",
            "type": "ipsec_server",
            "name": name,
            "provider_name": "vpnform",
            "change": {
                "actions": actions,
                "before": before,
                "after": after,
                "client_token": token(&address),
                "precheck": {"result": "skipped"},
                "reason": reason,
            },
        })
    };
    let mut adopt = change(
        "newcomer",
        json!(["no-op"]),
        object("newcomer", false, false),
        object("newcomer", false, false),
        "in the desired state, not yet recorded",
    );
    adopt["change"]["importing"] = json!({"id": "iss-newcomer"});
    let expected = json!({
        "format_version": "1.2",
        "vpnform_version": env!("CARGO_PKG_VERSION"),
        "timestamp": saved["created_at"],
        "lineage": LINEAGE,
        "serial": 3,
        "plan_hash": saved["plan_hash"],
        "offline": true,
        "errored": false,
        "resource_changes": [
            change("gone", json!(["delete"]), object("gone", false, true), Value::Null,
                   "removed from desired state"),
            adopt,
            change("keep", json!(["update"]), object("keep", false, true),
                   object("keep", true, true),
                   "protect or depends_on changed in the desired state"),
        ],
        "pending": [],
        "summary": {"add": 0, "change": 1, "remove": 1, "adopt": 1, "forget": 0},
    });
    assert_eq!(document, expected);
}

#[test]
fn every_apply_event_carries_its_own_moment_in_one_precision() {
    let state = state_yaml(&[
        ("a".into(), "vpn-ga".into()),
        ("keep".into(), "vpn-gkeep".into()),
    ]);
    let cloud = Cloud::for_state(&state, Duration::from_millis(1200));
    let ws = cloud.workspace(&state, KEEP_PROTECTED);
    let plan = ws.run(&["plan", "--out", "p.plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let saved: Value = serde_json::from_str(&ws.read("p.plan")).unwrap();
    let out = ws.run(&["apply", "--json", "--poll-interval", "50ms", "p.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    let stamps: Vec<(String, jiff::Timestamp)> = out
        .stdout
        .lines()
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            let stamp = e["@timestamp"].as_str().unwrap().to_owned();
            assert!(is_timestamp(&stamp), "{stamp} in {l}");
            (
                e["type"].as_str().unwrap().to_owned(),
                stamp.parse().unwrap(),
            )
        })
        .collect();
    let mut types: Vec<&str> = stamps.iter().map(|(t, _)| t.as_str()).collect();
    // The two actions run side by side: their events interleave.
    types[1..5].sort();
    assert_eq!(
        types,
        [
            "version",
            "apply_complete",
            "apply_complete",
            "apply_start",
            "apply_start",
            "change_summary"
        ],
        "{}",
        out.stdout
    );
    // In order, and the summary after the delete it counts (which took the gateway's
    // 1.2s), not at the plan's moment.
    assert!(stamps.windows(2).all(|w| w[0].1 <= w[1].1), "{stamps:?}");
    let created: jiff::Timestamp = saved["created_at"].as_str().unwrap().parse().unwrap();
    let summary = stamps.last().unwrap().1;
    assert!(summary.duration_since(stamps[0].1) >= jiff::SignedDuration::from_millis(1000));
    assert!(summary > created);
}

/// Two deletes on one gateway (the sandbox, unlike Alibaba, allows two servers on one):
/// the second says what it waits for, and its elapsed time is its own.
#[test]
fn regression_still_destroying_counted_from_the_start_of_the_apply() {
    let state = state_yaml(&[
        ("a".into(), "vpn-gone".into()),
        ("b".into(), "vpn-gone".into()),
    ]);
    let cloud = Cloud::for_state(&state, Duration::from_secs(2));
    let ws = cloud.workspace(&state, "version: 1\nipsec_servers: {}\n");
    let out = ws.run(&[
        "apply",
        "--auto-approve",
        "--json",
        "--poll-interval",
        "50ms",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let events = events(&out.stdout);
    let queued: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "apply_queued")
        .collect();
    assert_eq!(queued.len(), 1, "{}", out.stdout);
    let (second, first) = if queued[0]["hook"]["resource"]["addr"] == "ipsec_server.a" {
        ("a", "b")
    } else {
        ("b", "a")
    };
    assert_eq!(
        queued[0]["@message"],
        format!(
            "ipsec_server.{second}: Waiting for gateway vpn-gone [id=iss-{second}]: busy with \
             ipsec_server.{first}; one operation per gateway at a time"
        )
    );
    assert_eq!(
        queued[0]["hook"]["busy_with"],
        format!("ipsec_server.{first}")
    );
    let elapsed = |name: &str| {
        events
            .iter()
            .find(|e| {
                e["type"] == "apply_complete"
                    && e["hook"]["resource"]["addr"] == format!("ipsec_server.{name}")
            })
            .unwrap()["hook"]["elapsed_seconds"]
            .as_u64()
            .unwrap()
    };
    // Each configures for 2s; counted from the apply's start the second took 4s.
    assert!(elapsed(first) < 4, "{}", out.stdout);
    assert!(elapsed(second) < 4, "{}", out.stdout);
}

/// The cloud says the gateway is busy (another tool's operation): the delete says what
/// it waits for instead of a bare "Still destroying...".
#[test]
fn a_delete_answered_gateway_configuring_says_what_it_waits_for() {
    let state = state_yaml(&[("a".into(), "vpn-ga".into())]);
    let mut world = world_of(&state);
    world.add_server("iss-other", "vpn-ga", "cn-hangzhou");
    let cloud = Cloud::start(configuring(Duration::from_secs(3)), world);
    let ws = cloud.workspace(&state, "version: 1\nipsec_servers: {}\n");
    let plan = ws.run(&["plan", "--out", "p.plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    // Someone else's delete on the same gateway: it configures for 3s.
    let client = Client::builder(
        Credentials {
            access_key_id: sandbox::DEFAULT_ACCESS_KEY_ID.into(),
            access_key_secret: Secret::new(sandbox::DEFAULT_ACCESS_KEY_SECRET),
            security_token: None,
            source: "test".into(),
        },
        ClientOptions {
            endpoint: Some(cloud.sandbox().url()),
            ..ClientOptions::default()
        },
    )
    .build()
    .unwrap();
    cloud
        .runtime()
        .block_on(client.delete_ipsec_server(&DeleteIpsecServer {
            region: "cn-hangzhou".into(),
            ipsec_server_id: "iss-other".into(),
            client_token: None,
            dry_run: false,
        }))
        .expect("the other delete is accepted");

    let out = ws.run(&["apply", "--json", "--poll-interval", "50ms", "p.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    let queued: Vec<Value> = events(&out.stdout)
        .into_iter()
        .filter(|e| e["type"] == "apply_queued")
        .collect();
    assert_eq!(
        queued,
        [json!({
            "@level": "info",
            "@message": "ipsec_server.a: Waiting for gateway vpn-ga [id=iss-a]: busy in the \
                         cloud (VpnGateway.Configuring); the delete is sent again when it is \
                         active",
            "@module": "vpnform.ui",
            "@timestamp": "T",
            "type": "apply_queued",
            "hook": {
                "resource": {"addr": "ipsec_server.a", "resource_type": "ipsec_server",
                             "resource_name": "a", "module": "", "implied_provider": "alicloud"},
                "action": "delete",
                "vpn_gateway": "vpn-ga",
                "busy_with": null,
                "code": "VpnGateway.Configuring",
            },
        })],
        "{}",
        out.stdout
    );
}

/// An apply refused by the cloud: its `apply_errored` line carries the API error's code
/// and RequestId as fields, beside the message that quotes them (issue 21).
#[test]
fn an_api_failure_s_apply_errored_line_carries_its_code_and_request_id() {
    let state = state_yaml(&[("a".into(), "vpn-ga".into())]);
    let cloud = Cloud::for_state(&state, Duration::from_millis(200));
    let ws = cloud.workspace(&state, "version: 1\nipsec_servers: {}\n");
    let plan = ws.run(&["plan", "--out", "p.plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    // The plan's DryRun precheck passed; the permission is withdrawn before the apply.
    cloud.sandbox().set_policy(Policy {
        deny_resources: ["iss-a".to_owned()].into(),
        ..Default::default()
    });

    let out = ws.run(&["apply", "--json", "--poll-interval", "50ms", "p.plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    let refused: Vec<_> = cloud
        .sent_deletes()
        .into_iter()
        .filter(|c| c.code.as_deref() == Some("Forbidden"))
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    let request_id = &refused[0].request_id;
    let host = cloud.sandbox().addr().to_string();
    let errored: Vec<Value> = events(&out.stdout)
        .into_iter()
        .filter(|e| e["type"] == "apply_errored")
        .map(|e| {
            let text = e
                .to_string()
                .replace(request_id.as_str(), "[REQUEST_ID]")
                .replace(&host, "[HOST]");
            let mut e: Value = serde_json::from_str(&text).unwrap();
            let elapsed = e["hook"]["elapsed_seconds"].take();
            assert!(elapsed.is_u64(), "{elapsed}");
            e
        })
        .collect();
    let message = "DeleteIpsecServer failed: Forbidden (HTTP 403): User not authorized to \
                   operate on the specified resource.\n  RequestId: [REQUEST_ID]\n  HostId: \
                   [HOST]\n  Recommend: https://api.aliyun.com/troubleshoot?q=Forbidden&\
                   product=Vpc&requestId=[REQUEST_ID]\n  hint: the RAM policy of this access \
                   key must allow `vpc:DeleteIpsecServer` on this resource";
    assert_eq!(
        errored,
        [json!({
            "@level": "error",
            "@message": format!("ipsec_server.a: failed: {message}"),
            "@module": "vpnform.ui",
            "@timestamp": "T",
            "type": "apply_errored",
            "hook": {
                "resource": {"addr": "ipsec_server.a", "resource_type": "ipsec_server",
                             "resource_name": "a", "module": "", "implied_provider": "alicloud"},
                "action": "delete",
                "elapsed_seconds": null,
                "code": "Forbidden",
                "request_id": "[REQUEST_ID]",
            },
            "diagnostic": {"severity": "error", "summary": message, "detail": ""},
        })],
        "{}",
        out.stdout
    );
}

#[test]
fn a_connection_error_names_the_endpoint() {
    // Bind then drop: nothing listens on the port any more.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let state = state_yaml(&[("a".into(), "vpn-ga".into())]);
    let ws = Workspace::new()
        .file("vpnform.yaml", "version: 1\nipsec_servers: {}\n")
        .file("state/vpnform.state.yaml", &state)
        .env("VPNFORM_ENDPOINT", &format!("http://127.0.0.1:{port}"))
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            sandbox::DEFAULT_ACCESS_KEY_ID,
        )
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            sandbox::DEFAULT_ACCESS_KEY_SECRET,
        );
    let out = ws.run(&["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    let named = format!("ConnectionFailed: cannot connect to http://127.0.0.1:{port}/: ");
    assert!(out.stderr.contains(&named), "{}", out.stderr);
    assert!(!out.stderr.contains("Signature"), "{}", out.stderr);
}

/// `--json` lines with every `@timestamp` checked and replaced by `T`.
fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| {
            let mut e: Value = serde_json::from_str(l).unwrap_or_else(|err| panic!("{err}: {l}"));
            let stamp = e["@timestamp"].as_str().unwrap_or_default();
            assert!(is_timestamp(stamp), "{stamp} in {l}");
            e["@timestamp"] = json!("T");
            e
        })
        .collect()
}

/// `2026-12-01T21:07:25.522889Z`: RFC 3339 UTC with microseconds, the one precision.
fn is_timestamp(text: &str) -> bool {
    let digits = |range: std::ops::Range<usize>| {
        text.get(range)
            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
    };
    text.len() == 27
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && digits(11..13)
        && digits(14..16)
        && digits(17..19)
        && digits(20..26)
        && &text[19..20] == "."
        && text.ends_with('Z')
        && text.parse::<jiff::Timestamp>().is_ok()
}

/// The RequestId of the last DryRun delete of `id`.
fn request_id_of_dry_run(cloud: &Cloud, id: &str) -> String {
    cloud
        .wire
        .calls()
        .iter()
        .rev()
        .find(|c| {
            c.action == "DeleteIpsecServer"
                && param(c, "IpsecServerId") == Some(id)
                && param(c, "DryRun") == Some("true")
        })
        .unwrap_or_else(|| panic!("no DryRun delete of {id}"))
        .request_id
        .clone()
}

/// Regression: a pre-shared key that could not be read was one JSON diagnostic for all
/// the entries, with no `address`; each is its own diagnostic, naming its entry.
#[test]
fn regression_a_json_psk_diagnostic_had_no_address() {
    let desired = "version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  db:
    vpn_gateway: vpn-g2
    local_subnet: [10.0.0.0/24]
    client_ip_pool: 10.8.0.0/16
    psk: {env: DB_PSK}
  web:
    vpn_gateway: vpn-g1
    local_subnet: [10.0.0.0/24]
    client_ip_pool: 10.8.0.0/16
    psk: {env: WEB_PSK}
";
    Workspace::new()
        .file("vpnform.yaml", desired)
        .vpnform(&["plan", "--sandbox", "--json"])
        .code(1)
        .stdout(
            r#"{"@level":"info","@message":"vpnform VERSION","@module":"vpnform.ui","@timestamp":"[TIME]","type":"version","ui":"1.2","vpnform":"VERSION"}
{"@level":"error","@message":"Error: ipsec_server.db: the pre-shared key comes from env DB_PSK, which is not set","@module":"vpnform.ui","@timestamp":"[TIME]","diagnostic":{"address":"ipsec_server.db","detail":"ipsec_server.db: the pre-shared key comes from env DB_PSK, which is not set\n  = help: set DB_PSK in vpnform's environment (a CI secret, for example), or change `psk` in the desired file","severity":"error","summary":"ipsec_server.db: the pre-shared key comes from env DB_PSK, which is not set"},"type":"diagnostic"}
{"@level":"error","@message":"Error: ipsec_server.web: the pre-shared key comes from env WEB_PSK, which is not set","@module":"vpnform.ui","@timestamp":"[TIME]","diagnostic":{"address":"ipsec_server.web","detail":"ipsec_server.web: the pre-shared key comes from env WEB_PSK, which is not set\n  = help: set WEB_PSK in vpnform's environment (a CI secret, for example), or change `psk` in the desired file","severity":"error","summary":"ipsec_server.web: the pre-shared key comes from env WEB_PSK, which is not set"},"type":"diagnostic"}
"#
            .replace("VERSION", env!("CARGO_PKG_VERSION")),
        )
        // People reading the job log get the same errors on stderr.
        .any_stderr()
        .run();
}
