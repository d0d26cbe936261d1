//! Changes made outside vpnform (issue #12): a console-side change of an observed
//! attribute is listed as "changed outside vpnform" before the plan's actions, recorded by
//! the next apply, and `--refresh-only` records it (and the forgets) without changing
//! anything in the cloud. The real binary against the sandbox on 127.0.0.1:0, asserted
//! from its whole output, the state file and the sandbox's wire log.

use std::time::Duration;

use vpnform::state::State;

use crate::support::{Cloud, Workspace, configuring, param, world_of};

const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];
const LINEAGE: &str = "0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b";
const PSK: &str = "drift-canary-psk-91c3";

/// `ipsec_server.office` (`iss-office` on `vpn-a`) and `ipsec_server.lab` (`iss-lab` on
/// `vpn-b`), with every attribute the sandbox answers for them, as vpnform writes it.
fn recorded() -> String {
    let attributes = |name: &str, pool: &str| {
        format!(
            r#"    attributes:
      client_ip_pool: {pool}
      creation_time: "2024-01-02T03:04:05Z"
      effect_immediately: "false"
      ike_config.ike_auth_alg: sha1
      ike_config.ike_enc_alg: aes
      ike_config.ike_lifetime: "86400"
      ike_config.ike_mode: main
      ike_config.ike_pfs: group2
      ike_config.ike_version: ikev2
      internet_ip: "198.51.100.10"
      ipsec_config.ipsec_auth_alg: sha1
      ipsec_config.ipsec_enc_alg: aes
      ipsec_config.ipsec_lifetime: "86400"
      ipsec_config.ipsec_pfs: group2
      local_subnet: 10.0.0.0/24
      name: {name}
"#
        )
    };
    format!(
        "# Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
version: 1
lineage: {LINEAGE}
serial: 3
resources:
  ipsec_server.lab:
    id: iss-lab
    region: cn-hangzhou
    vpn_gateway: vpn-b
{}  ipsec_server.office:
    id: iss-office
    region: cn-hangzhou
    vpn_gateway: vpn-a
{}pending: []
",
        attributes("lab", "10.9.0.0/16"),
        attributes("office", "10.8.0.0/16")
    )
}

/// Both servers desired by id, writing no attribute: every attribute is observed.
const DESIRED: &str = "version: 1
defaults: {region: cn-hangzhou}
ipsec_servers:
  lab:
    id: iss-lab
    vpn_gateway: vpn-b
  office:
    id: iss-office
    vpn_gateway: vpn-a
";

/// The sandbox holding what `recorded` records (its PSKs the canary), and a workspace.
fn setup(desired: &str) -> (Cloud, Workspace) {
    let mut world = world_of(&recorded());
    for server in world.ipsec_servers.values_mut() {
        server.psk = Some(vpnform::secret::Secret::new(PSK));
    }
    let cloud = Cloud::start(configuring(Duration::from_millis(100)), world);
    let ws = cloud.workspace(&recorded(), desired);
    (cloud, ws)
}

fn read_state(ws: &Workspace) -> State {
    vpnform::state::read(&ws.path().join("state"))
        .expect("state reads")
        .expect("state exists")
}

/// Renames `iss-office` in the console.
fn rename_in_console(cloud: &Cloud) {
    cloud.console("iss-office", |s| s.name = Some("office-console".into()));
}

/// The calls the sandbox answered, by action, DryRuns marked.
fn wire_actions(cloud: &Cloud) -> Vec<String> {
    cloud
        .wire
        .calls()
        .iter()
        .map(|c| match param(c, "DryRun") {
            Some("true") => format!("{} (DryRun)", c.action),
            _ => c.action.clone(),
        })
        .collect()
}

fn assert_no_psk(texts: &[&str]) {
    for text in texts {
        assert!(!text.contains(PSK), "the PSK leaked: {text}");
    }
}

const NOTE: &str = r#"Note: Objects have changed outside of vpnform

vpnform detected the following changes made outside of vpnform since the last
"vpnform apply":

  # ipsec_server.office has changed
  ~ resource "ipsec_server" "office" {
      ~ name = "office" -> "office-console"
    }

"#;

const NO_CHANGES_BUT_RECORDED: &str = "No changes. Your infrastructure matches the configuration.

vpnform has compared the desired state with the recorded state and the cloud: nothing needs \
to change in the cloud. `vpnform apply` (or `vpnform apply --refresh-only`) records the \
changes made outside vpnform above in the state.
";

const NO_CHANGES: &str = "No changes. Your infrastructure matches the configuration.

vpnform has compared the desired state with the recorded state and the cloud and found no \
differences, so no changes are needed.
";

/// Done when (issue #12): a console-side change of an observed attribute shows as
/// changed outside vpnform, before the plan's (here: no) actions, and is not an action;
/// the next apply records it, and the plan after that has nothing to say.
#[test]
fn a_console_rename_of_an_observed_name_shows_as_changed_outside_and_apply_records_it() {
    let (cloud, ws) = setup(DESIRED);
    rename_in_console(&cloud);
    let plan = ws
        .vpnform(&["plan", "--detailed-exitcode"])
        .stdout(format!("{NOTE}{NO_CHANGES_BUT_RECORDED}"))
        .run();
    // Recording what changed outside is no change of the cloud: exit 0, not 2.
    assert_eq!(plan.code, 0);

    let apply = ws
        .vpnform(APPLY)
        .stdout(format!(
            "{NOTE}{NO_CHANGES_BUT_RECORDED}\nApply complete! Resources: 0 added, 0 changed, \
             0 destroyed, 0 adopted, 0 forgotten.\n"
        ))
        .stderr("Recorded the attributes the cloud answers for 1 server changed outside vpnform.\n")
        .run();
    let state = read_state(&ws);
    assert_eq!(state.serial, 4);
    assert_eq!(
        state.resources["ipsec_server.office"].attributes["name"],
        "office-console"
    );
    assert_eq!(
        ws.read("state/vpnform.state.yaml"),
        recorded()
            .replace("serial: 3", "serial: 4")
            .replace("name: office\n", "name: office-console\n")
    );
    // Reads only: one ListIpsecServers per run.
    assert_eq!(
        wire_actions(&cloud),
        ["ListIpsecServers", "ListIpsecServers"]
    );
    let again = ws
        .vpnform(&["plan", "--detailed-exitcode"])
        .stdout(NO_CHANGES)
        .run();
    assert_no_psk(&[
        &plan.stdout,
        &plan.stderr,
        &apply.stdout,
        &apply.stderr,
        &again.stdout,
        &ws.read("state/vpnform.state.yaml"),
    ]);
}
