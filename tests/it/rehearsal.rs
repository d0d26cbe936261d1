//! Rehearsals (`--sandbox`): the quickstart exactly as the README runs it, and what a
//! rehearsal's in-process sandbox is seeded with (the empty gateway of a create, the key
//! of a recorded source).

use crate::support::Workspace;

const QUICKSTART: &str = include_str!("../../examples/quickstart.yaml");
const QUICKSTART_STATE: &str = include_str!("../../state/vpnform.state.yaml");

/// The README's first command, from a clone's root: one create, one update in place,
/// four deletes (a chain of three) and an adopt, rehearsed; the real state untouched.
#[test]
fn quickstart_rehearsal_creates_updates_deletes_and_adopts_as_the_readme_says() {
    let ws = Workspace::new()
        .file("examples/quickstart.yaml", QUICKSTART)
        .file("state/vpnform.state.yaml", QUICKSTART_STATE);
    let out = ws
        .vpnform(&[
            "apply",
            "--sandbox",
            "--desired",
            "examples/quickstart.yaml",
            "--auto-approve",
        ])
        // Writes are grouped as they come, so the rehearsal's final serial varies.
        .filter(r"\+serial: (1[4-9]|[2-9][0-9])\n", "+serial: [SERIAL]\n")
        .stdout(QUICKSTART_REHEARSAL)
        // The progress lines' order depends on timing: compared sorted, below.
        .any_stderr()
        .run();
    let elapsed = regex::Regex::new(r"after \d+s").unwrap();
    let stderr = elapsed.replace_all(&out.stderr, "after [DURATION]");
    let mut progress: Vec<&str> = stderr.lines().collect();
    progress.sort_unstable();
    assert_eq!(
        progress,
        [
            "ipsec_server.contractors: Update complete after [DURATION]",
            "ipsec_server.contractors: Updating... [id=iss-bp191dhodzdoc9is0j8ht]",
            "ipsec_server.dev: Creating...",
            "ipsec_server.dev: Creation complete after [DURATION] [id=iss-sbx5df77a8735ae915eb]",
            "ipsec_server.lab: Destroying... [id=iss-bp19lgmxg9edn581u33xt]",
            "ipsec_server.lab: Destruction complete after [DURATION]",
            "ipsec_server.lab_ci: Destroying... [id=iss-bp10ce9uvw53efr4edt2s]",
            "ipsec_server.lab_ci: Destruction complete after [DURATION]",
            "ipsec_server.lab_monitoring: Destroying... [id=iss-bp1plpft75v2seh60kvj5]",
            "ipsec_server.lab_monitoring: Destruction complete after [DURATION]",
            "ipsec_server.sh_branch: Adopting... [id=iss-uf6n4a4wfhym4l1vfz3zf]",
            "ipsec_server.sh_branch: Adoption complete after [DURATION]",
            "ipsec_server.sh_staging: Destroying... [id=iss-uf6wbbr4qmw2wxfogo4mv]",
            "ipsec_server.sh_staging: Destruction complete after [DURATION]",
        ]
    );
    // The chain is deleted dependents first.
    let at = |line: &str| {
        stderr
            .find(line)
            .unwrap_or_else(|| panic!("{line}: {stderr}"))
    };
    assert!(at("lab_ci: Destruction complete") < at("lab_monitoring: Destroying"));
    assert!(at("lab_monitoring: Destruction complete") < at("lab: Destroying"));
    assert_eq!(ws.read("state/vpnform.state.yaml"), QUICKSTART_STATE);
}

const QUICKSTART_REHEARSAL: &str = r#"Resource actions are indicated with the following symbols:
  + create (create in the cloud, then record its id in the state)
  - destroy (delete in the cloud, then drop from the state)
  > adopt (record in the state; nothing changes in the cloud)
  ~ update in-place (UpdateIpsecServer with the changed fields)

vpnform will perform the following actions:

  # ipsec_server.dev will be created
  # (because ipsec_server.dev is in the desired state without an id)
  + resource "ipsec_server" "dev" {
      + id             = (known after apply)
      + vpn_gateway    = "vpn-bp1k8w2dq7xnv0cmh3rfa"
      + region         = "cn-hangzhou"
      + client_ip_pool = "10.11.0.0/16"
      + local_subnet   = "10.1.0.0/24"
      + name           = "dev"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

  # ipsec_server.lab_ci will be destroyed
  # (because ipsec_server.lab_ci is not in the desired state)
  - resource "ipsec_server" "lab_ci" {
      - id             = "iss-bp10ce9uvw53efr4edt2s"
      - vpn_gateway    = "vpn-bp1gxbenyjqwx4hh5344t"
      - region         = "cn-hangzhou"
      - depends_on     = ["ipsec_server.lab_monitoring"]
      - client_ip_pool = "10.22.0.0/16"
      - internet_ip    = "47.98.140.66"
      - local_subnet   = "172.16.32.0/20"
      - name           = "lab-ci"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

  # ipsec_server.lab_monitoring will be destroyed
  # (because ipsec_server.lab_monitoring is not in the desired state)
  - resource "ipsec_server" "lab_monitoring" {
      - id             = "iss-bp1plpft75v2seh60kvj5"
      - vpn_gateway    = "vpn-bp1zzg4zdmen2khvdgaj8"
      - region         = "cn-hangzhou"
      - depends_on     = ["ipsec_server.lab"]
      - client_ip_pool = "10.21.0.0/16"
      - internet_ip    = "47.98.140.12"
      - local_subnet   = "172.16.16.0/20"
      - name           = "lab-monitoring"
    }
    waits for: ipsec_server.lab_ci
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

  # ipsec_server.lab will be destroyed
  # (because ipsec_server.lab is not in the desired state)
  - resource "ipsec_server" "lab" {
      - id             = "iss-bp19lgmxg9edn581u33xt"
      - vpn_gateway    = "vpn-bp1a5lqsaj08xui6d39zz"
      - region         = "cn-hangzhou"
      - client_ip_pool = "10.20.0.0/16"
      - internet_ip    = "47.98.140.7"
      - local_subnet   = "172.16.0.0/20"
      - name           = "lab"
    }
    waits for: ipsec_server.lab_monitoring
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

  # ipsec_server.sh_staging will be destroyed
  # (because ipsec_server.sh_staging is not in the desired state)
  - resource "ipsec_server" "sh_staging" {
      - id             = "iss-uf6wbbr4qmw2wxfogo4mv"
      - vpn_gateway    = "vpn-uf606i8j76b2lajlj4h9d"
      - region         = "cn-shanghai"
      - client_ip_pool = "10.42.0.0/16"
      - internet_ip    = "101.132.19.140"
      - local_subnet   = "10.32.32.0/20"
      - name           = "sh-staging"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

  # ipsec_server.sh_branch will be adopted: recorded in the state, nothing changes in the cloud
  # (because it is in the desired state but not yet recorded)
  > resource "ipsec_server" "sh_branch" {
      > id                          = "iss-uf6n4a4wfhym4l1vfz3zf"
      > vpn_gateway                 = "vpn-uf6u7794g9dpmrcg629be"
      > region                      = "cn-shanghai"
      > client_ip_pool              = "10.10.0.0/16"
      > creation_time               = "[TIME]"
      > effect_immediately          = false
      > ike_config.ike_auth_alg     = "sha1"
      > ike_config.ike_enc_alg      = "aes"
      > ike_config.ike_lifetime     = 86400
      > ike_config.ike_mode         = "main"
      > ike_config.ike_pfs          = "group2"
      > ike_config.ike_version      = "ikev2"
      > internet_ip                 = "198.51.100.10"
      > ipsec_config.ipsec_auth_alg = "sha1"
      > ipsec_config.ipsec_enc_alg  = "aes"
      > ipsec_config.ipsec_lifetime = 86400
      > ipsec_config.ipsec_pfs      = "group2"
      > local_subnet                = "192.168.0.0/24"
    }

  # ipsec_server.contractors will be updated in-place
  # (because its managed attributes differ from the desired state)
  ~ resource "ipsec_server" "contractors" {
      ~ client_ip_pool = "10.9.0.0/16" -> "10.19.0.0/16"
    }
    precheck: passed (DryRunOperation, RequestId [REQUEST_ID])

Plan: 1 to add, 1 to change, 4 to destroy, 1 to adopt, 0 to forget.
Plan hash: 057c867a0bbb84135e4db6196845fc3d23219d6b070b89c2f93df947c6511125

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,48 +1,25 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
-serial: 12
+serial: 13
 resources:
   ipsec_server.contractors:
     id: iss-bp191dhodzdoc9is0j8ht
     region: cn-hangzhou
     vpn_gateway: vpn-bp12z9ri19r0wyojfljoo
     attributes:
-      client_ip_pool: 10.9.0.0/16
+      client_ip_pool: 10.19.0.0/16
       internet_ip: "47.98.112.31"
       local_subnet: 10.0.8.0/24
       name: contractors
-  ipsec_server.lab:
-    id: iss-bp19lgmxg9edn581u33xt
-    region: cn-hangzhou
-    vpn_gateway: vpn-bp1a5lqsaj08xui6d39zz
-    attributes:
-      client_ip_pool: 10.20.0.0/16
-      internet_ip: "47.98.140.7"
-      local_subnet: 172.16.0.0/20
-      name: lab
-  ipsec_server.lab_ci:
-    id: iss-bp10ce9uvw53efr4edt2s
-    region: cn-hangzhou
-    vpn_gateway: vpn-bp1gxbenyjqwx4hh5344t
-    depends_on:
-    - ipsec_server.lab_monitoring
-    attributes:
-      client_ip_pool: 10.22.0.0/16
-      internet_ip: "47.98.140.66"
-      local_subnet: 172.16.32.0/20
-      name: lab-ci
-  ipsec_server.lab_monitoring:
-    id: iss-bp1plpft75v2seh60kvj5
+  ipsec_server.dev:
+    id: (known after apply)
     region: cn-hangzhou
-    vpn_gateway: vpn-bp1zzg4zdmen2khvdgaj8
-    depends_on:
-    - ipsec_server.lab
+    vpn_gateway: vpn-bp1k8w2dq7xnv0cmh3rfa
     attributes:
-      client_ip_pool: 10.21.0.0/16
-      internet_ip: "47.98.140.12"
-      local_subnet: 172.16.16.0/20
-      name: lab-monitoring
+      client_ip_pool: 10.11.0.0/16
+      local_subnet: 10.1.0.0/24
+      name: dev
   ipsec_server.office:
     id: iss-bp1ujzde8gxd6ncf10epf
     region: cn-hangzhou
@@ -53,6 +30,26 @@
       internet_ip: "47.98.112.4"
       local_subnet: 10.0.0.0/24
       name: office
+  ipsec_server.sh_branch:
+    id: iss-uf6n4a4wfhym4l1vfz3zf
+    region: cn-shanghai
+    vpn_gateway: vpn-uf6u7794g9dpmrcg629be
+    attributes:
+      client_ip_pool: 10.10.0.0/16
+      creation_time: "[TIME]"
+      effect_immediately: "false"
+      ike_config.ike_auth_alg: sha1
+      ike_config.ike_enc_alg: aes
+      ike_config.ike_lifetime: "86400"
+      ike_config.ike_mode: main
+      ike_config.ike_pfs: group2
+      ike_config.ike_version: ikev2
+      internet_ip: "198.51.100.10"
+      ipsec_config.ipsec_auth_alg: sha1
+      ipsec_config.ipsec_enc_alg: aes
+      ipsec_config.ipsec_lifetime: "86400"
+      ipsec_config.ipsec_pfs: group2
+      local_subnet: 192.168.0.0/24
   ipsec_server.sh_dr:
     id: iss-uf6q7xkwo886vompzom75
     region: cn-shanghai
@@ -73,13 +70,4 @@
       internet_ip: "101.132.18.21"
       local_subnet: 10.32.0.0/20
       name: sh-office
-  ipsec_server.sh_staging:
-    id: iss-uf6wbbr4qmw2wxfogo4mv
-    region: cn-shanghai
-    vpn_gateway: vpn-uf606i8j76b2lajlj4h9d
-    attributes:
-      client_ip_pool: 10.42.0.0/16
-      internet_ip: "101.132.19.140"
-      local_subnet: 10.32.32.0/20
-      name: sh-staging
 pending: []

Apply complete! Resources: 1 added, 1 changed, 4 destroyed, 1 adopted, 0 forgotten.

Rehearsal against the in-process sandbox: state/vpnform.state.yaml was not written. It would become:

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,48 +1,50 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
-serial: 12
+serial: [SERIAL]
 resources:
   ipsec_server.contractors:
     id: iss-bp191dhodzdoc9is0j8ht
     region: cn-hangzhou
     vpn_gateway: vpn-bp12z9ri19r0wyojfljoo
     attributes:
-      client_ip_pool: 10.9.0.0/16
+      client_ip_pool: 10.19.0.0/16
+      creation_time: "[TIME]"
+      effect_immediately: "false"
+      ike_config.ike_auth_alg: sha1
+      ike_config.ike_enc_alg: aes
+      ike_config.ike_lifetime: "86400"
+      ike_config.ike_mode: main
+      ike_config.ike_pfs: group2
+      ike_config.ike_version: ikev2
       internet_ip: "47.98.112.31"
+      ipsec_config.ipsec_auth_alg: sha1
+      ipsec_config.ipsec_enc_alg: aes
+      ipsec_config.ipsec_lifetime: "86400"
+      ipsec_config.ipsec_pfs: group2
       local_subnet: 10.0.8.0/24
       name: contractors
-  ipsec_server.lab:
-    id: iss-bp19lgmxg9edn581u33xt
+  ipsec_server.dev:
+    id: iss-sbx5df77a8735ae915eb
     region: cn-hangzhou
-    vpn_gateway: vpn-bp1a5lqsaj08xui6d39zz
+    vpn_gateway: vpn-bp1k8w2dq7xnv0cmh3rfa
     attributes:
-      client_ip_pool: 10.20.0.0/16
-      internet_ip: "47.98.140.7"
-      local_subnet: 172.16.0.0/20
-      name: lab
-  ipsec_server.lab_ci:
-    id: iss-bp10ce9uvw53efr4edt2s
-    region: cn-hangzhou
-    vpn_gateway: vpn-bp1gxbenyjqwx4hh5344t
-    depends_on:
-    - ipsec_server.lab_monitoring
-    attributes:
-      client_ip_pool: 10.22.0.0/16
-      internet_ip: "47.98.140.66"
-      local_subnet: 172.16.32.0/20
-      name: lab-ci
-  ipsec_server.lab_monitoring:
-    id: iss-bp1plpft75v2seh60kvj5
-    region: cn-hangzhou
-    vpn_gateway: vpn-bp1zzg4zdmen2khvdgaj8
-    depends_on:
-    - ipsec_server.lab
-    attributes:
-      client_ip_pool: 10.21.0.0/16
-      internet_ip: "47.98.140.12"
-      local_subnet: 172.16.16.0/20
-      name: lab-monitoring
+      client_ip_pool: 10.11.0.0/16
+      creation_time: "[TIME]"
+      effect_immediately: "false"
+      ike_config.ike_auth_alg: sha1
+      ike_config.ike_enc_alg: aes
+      ike_config.ike_lifetime: "86400"
+      ike_config.ike_mode: main
+      ike_config.ike_pfs: group2
+      ike_config.ike_version: ikev2
+      internet_ip: "198.51.100.10"
+      ipsec_config.ipsec_auth_alg: sha1
+      ipsec_config.ipsec_enc_alg: aes
+      ipsec_config.ipsec_lifetime: "86400"
+      ipsec_config.ipsec_pfs: group2
+      local_subnet: 10.1.0.0/24
+      name: dev
   ipsec_server.office:
     id: iss-bp1ujzde8gxd6ncf10epf
     region: cn-hangzhou
@@ -53,6 +55,26 @@
       internet_ip: "47.98.112.4"
       local_subnet: 10.0.0.0/24
       name: office
+  ipsec_server.sh_branch:
+    id: iss-uf6n4a4wfhym4l1vfz3zf
+    region: cn-shanghai
+    vpn_gateway: vpn-uf6u7794g9dpmrcg629be
+    attributes:
+      client_ip_pool: 10.10.0.0/16
+      creation_time: "[TIME]"
+      effect_immediately: "false"
+      ike_config.ike_auth_alg: sha1
+      ike_config.ike_enc_alg: aes
+      ike_config.ike_lifetime: "86400"
+      ike_config.ike_mode: main
+      ike_config.ike_pfs: group2
+      ike_config.ike_version: ikev2
+      internet_ip: "198.51.100.10"
+      ipsec_config.ipsec_auth_alg: sha1
+      ipsec_config.ipsec_enc_alg: aes
+      ipsec_config.ipsec_lifetime: "86400"
+      ipsec_config.ipsec_pfs: group2
+      local_subnet: 192.168.0.0/24
   ipsec_server.sh_dr:
     id: iss-uf6q7xkwo886vompzom75
     region: cn-shanghai
@@ -73,13 +95,4 @@
       internet_ip: "101.132.18.21"
       local_subnet: 10.32.0.0/20
       name: sh-office
-  ipsec_server.sh_staging:
-    id: iss-uf6wbbr4qmw2wxfogo4mv
-    region: cn-shanghai
-    vpn_gateway: vpn-uf606i8j76b2lajlj4h9d
-    attributes:
-      client_ip_pool: 10.42.0.0/16
-      internet_ip: "101.132.19.140"
-      local_subnet: 10.32.32.0/20
-      name: sh-staging
 pending: []
"#;

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
