//! Rehearsals (`--sandbox`): what a rehearsal's in-process sandbox is seeded with (the
//! empty gateway of a create, the key of a recorded source). The quickstart's rehearsal,
//! as the documentation shows it, is run by `docs.rs`.

use crate::support::Workspace;

const KEY: &str = "rehearsal-canary-psk-41c7";

const OFFICE_STATE: &str = "\
version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 3
resources:
  ipsec_server.office:
    id: iss-bp1ujzde8gxd6ncf10epf
    region: cn-hangzhou
    vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk
    psk:
      env: OFFICE_PSK
    attributes:
      client_ip_pool: 10.8.0.0/16
      local_subnet: 10.0.0.0/24
      name: office
pending: []
";

fn office_desired(psk_env: &str) -> String {
    format!(
        "version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office:
    id: iss-bp1ujzde8gxd6ncf10epf
    vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk
    client_ip_pool: 10.18.0.0/16
    psk: {{env: {psk_env}}}
"
    )
}

/// The rehearsal's sandbox held no key for a recorded server, so every rehearsal of an
/// entry with `psk` claimed the key had changed, which the state says it has not (the
/// offline plan agreed with the state). It now holds the key of the recorded source;
/// another source is still a change.
#[test]
fn rehearsal_showed_a_key_change_for_a_key_recorded_from_the_same_source() {
    let ws = Workspace::new()
        .file("vpnform.yaml", &office_desired("OFFICE_PSK"))
        .file("state/vpnform.state.yaml", OFFICE_STATE);
    let block = |psk_line: &str| {
        format!(
            r#"Resource actions are indicated with the following symbols:
  ~ update in-place (UpdateIpsecServer with the changed fields)

vpnform will perform the following actions:

  # ipsec_server.office will be updated in-place
  # (because its managed attributes differ from the desired state)
  ~ resource "ipsec_server" "office" {{
      ~ client_ip_pool = "10.8.0.0/16" -> "10.18.0.0/16"
{psk_line}    }}
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 0 to add, 1 to change, 0 to destroy, 0 to adopt, 0 to forget.
"#
        )
    };
    let same = ws
        .vpnform(&["plan", "--sandbox", "--detailed-exitcode"])
        .env("OFFICE_PSK", KEY)
        .code(2)
        .any_stdout()
        .stderr("Note: planned against the in-process sandbox (--sandbox), not the cloud.\n")
        .run();
    let plan = |stdout: &str| {
        let cut = stdout.find("Plan hash:").expect("a plan hash");
        regex::Regex::new(r"\b[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\b")
            .unwrap()
            .replace_all(&stdout[..cut], "[REQUEST_ID]")
            .into_owned()
    };
    crate::support::assert_text("plan --sandbox", "stdout", &block(""), &plan(&same.stdout));

    // Rehearsed to the end: the update sends the pool and not the key, and confirms.
    let applied = ws
        .vpnform(&["apply", "--sandbox", "--auto-approve"])
        .env("OFFICE_PSK", KEY)
        .any_stdout()
        .any_stderr()
        .run();
    assert!(
        applied
            .stdout
            .contains("Apply complete! Resources: 0 added, 1 changed, 0 destroyed"),
        "{applied:?}"
    );

    // Another source is a key change, as offline.
    ws.write("vpnform.yaml", &office_desired("OFFICE_PSK_NEW"));
    let other = ws
        .vpnform(&["plan", "--sandbox", "--detailed-exitcode"])
        .env("OFFICE_PSK", KEY)
        .env("OFFICE_PSK_NEW", KEY)
        .code(2)
        .any_stdout()
        .any_stderr()
        .run();
    crate::support::assert_text(
        "plan --sandbox",
        "stdout",
        &block("      ~ psk            = (sensitive value changed)\n"),
        &plan(&other.stdout),
    );
    for text in [
        &same.stdout,
        &same.stderr,
        &applied.stdout,
        &applied.stderr,
        &other.stdout,
        &other.stderr,
    ] {
        assert!(!text.contains(KEY), "the key leaked: {text}");
    }
    assert_eq!(ws.read("state/vpnform.state.yaml"), OFFICE_STATE);
}
