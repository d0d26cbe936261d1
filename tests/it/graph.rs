//! `vpnform graph` (issue 23): the plan's action graph as DOT or Mermaid, from a new
//! plan (offline or against the sandbox) or a saved one, and the recorded resources with
//! their `depends_on`. Outputs compared whole.

use std::time::Duration;

use crate::support::{Cloud, Workspace, ipsec_server, state_file};

/// Recorded: a chain lab <- lab_monitoring <- lab_ci (each depends on the one before),
/// office, and contractors. Desired: office kept, contractors' pool changed, a new dev,
/// the chain gone.
fn state() -> String {
    state_file()
        .resources([
            ipsec_server("office", "iss-office", "vpn-a"),
            ipsec_server("contractors", "iss-contractors", "vpn-b")
                .attribute("client_ip_pool", "10.9.0.0/16"),
            ipsec_server("lab", "iss-lab", "vpn-c"),
            ipsec_server("lab_monitoring", "iss-labmon", "vpn-d").depends_on(&["lab"]),
            ipsec_server("lab_ci", "iss-labci", "vpn-e").depends_on(&["lab_monitoring"]),
        ])
        .render()
}

const DESIRED: &str = "version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office: {id: iss-office, vpn_gateway: vpn-a}
  contractors: {id: iss-contractors, vpn_gateway: vpn-b, client_ip_pool: 10.19.0.0/16}
  dev: {vpn_gateway: vpn-f, local_subnet: [10.1.0.0/24], client_ip_pool: 10.11.0.0/16}
";

const MERMAID: &str = r#"flowchart LR
  n0["~ update<br/>ipsec_server.contractors<br/>iss-contractors"]:::update
  n1["+ create<br/>ipsec_server.dev"]:::create
  n2["- delete<br/>ipsec_server.lab_ci<br/>iss-labci"]:::delete
  n3["- delete<br/>ipsec_server.lab_monitoring<br/>iss-labmon"]:::delete
  n4["- delete<br/>ipsec_server.lab<br/>iss-lab"]:::delete
  n2 --> n3
  n3 --> n4
  classDef create fill:#e6ffed,stroke:#22863a
  classDef delete fill:#ffeef0,stroke:#cb2431
  classDef update fill:#fffbdd,stroke:#b08800
"#;

#[test]
fn an_offline_plan_is_drawn_as_mermaid_with_deletes_in_reverse_dependency_order() {
    let ws = Workspace::new()
        .file("vpnform.yaml", DESIRED)
        .file("state/vpnform.state.yaml", &state());
    ws.vpnform(&["graph", "--offline", "--format", "mermaid"])
        .stdout(MERMAID)
        .run();
}

#[test]
fn dot_is_the_default_format() {
    let ws = Workspace::new()
        .file("vpnform.yaml", DESIRED)
        .file("state/vpnform.state.yaml", &state());
    ws.vpnform(&["graph", "--offline"])
        .stdout(
            r##"digraph vpnform {
  rankdir = "LR";
  node [shape = "box"];
  n0 [label = "~ update\nipsec_server.contractors\niss-contractors", style = "filled", fillcolor = "#fffbdd"];
  n1 [label = "+ create\nipsec_server.dev", style = "filled", fillcolor = "#e6ffed"];
  n2 [label = "- delete\nipsec_server.lab_ci\niss-labci", style = "filled", fillcolor = "#ffeef0"];
  n3 [label = "- delete\nipsec_server.lab_monitoring\niss-labmon", style = "filled", fillcolor = "#ffeef0"];
  n4 [label = "- delete\nipsec_server.lab\niss-lab", style = "filled", fillcolor = "#ffeef0"];
  n2 -> n3;
  n3 -> n4;
}
"##,
        )
        .run();
}

/// A saved plan is drawn as it was saved; the state and the cloud are not read again.
#[test]
fn a_saved_plan_is_drawn_as_the_plan_that_made_it() {
    let state = state();
    let cloud = Cloud::for_state(&state, Duration::from_millis(100));
    cloud.sandbox().shared().edit_world(|w| {
        w.vpn_gateways.insert(
            "vpn-f".into(),
            vpnform::sandbox::Gateway::new("cn-hangzhou"),
        );
    });
    let ws = cloud.workspace(&state, DESIRED);
    let out = ws.run(&["plan", "--out", "release.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    let calls = cloud.wire.calls().len();
    ws.vpnform(&["graph", "release.plan", "--format", "mermaid"])
        .stdout(MERMAID)
        .run();
    assert_eq!(
        cloud.wire.calls().len(),
        calls,
        "drawing a saved plan reads the cloud"
    );
}

#[test]
fn the_recorded_resources_are_drawn_with_their_depends_on() {
    let ws = Workspace::new()
        .file("vpnform.yaml", DESIRED)
        .file("state/vpnform.state.yaml", &state());
    ws.vpnform(&["graph", "--recorded", "--format", "mermaid"])
        .stdout(
            r#"flowchart LR
  n0["ipsec_server.contractors<br/>iss-contractors"]
  n1["ipsec_server.lab<br/>iss-lab"]
  n2["ipsec_server.lab_ci<br/>iss-labci"]
  n3["ipsec_server.lab_monitoring<br/>iss-labmon"]
  n4["ipsec_server.office<br/>iss-office"]
  n1 --> n3
  n3 --> n2
"#,
        )
        .run();
}

/// An online plan is drawn as the plan shows it: against the sandbox, a swap (a create
/// on a gateway whose server the plan deletes) waits for that delete.
#[test]
fn an_online_plan_draws_the_wait_of_a_create_on_a_freed_gateway() {
    let state = state_file()
        .resources([ipsec_server("old", "iss-old", "vpn-a")])
        .render();
    let cloud = Cloud::for_state(&state, Duration::from_millis(100));
    let ws = cloud.workspace(
        &state,
        "version: 1\ndefaults: {region: cn-hangzhou}\nipsec_servers:\n  new: {vpn_gateway: vpn-a, local_subnet: [10.1.0.0/24], client_ip_pool: 10.11.0.0/16}\n",
    );
    ws.vpnform(&["graph", "--format", "mermaid"])
        .stdout(
            r#"flowchart LR
  n0["- delete<br/>ipsec_server.old<br/>iss-old"]:::delete
  n1["+ create<br/>ipsec_server.new"]:::create
  n0 --> n1
  classDef create fill:#e6ffed,stroke:#22863a
  classDef delete fill:#ffeef0,stroke:#cb2431
"#,
        )
        .run();
    assert!(
        cloud.deletes().is_empty() && cloud.effects("CreateIpsecServer").is_empty(),
        "drawing a plan changed the cloud"
    );
}

#[test]
fn a_saved_plan_and_recorded_do_not_go_together() {
    let ws = Workspace::new().file("vpnform.yaml", DESIRED);
    let out = ws.run(&["graph", "release.plan", "--recorded"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: the argument '[FILE]' cannot be used with '--recorded'"),
        "{}",
        out.stderr
    );
}
