//! `vpnform plan --offline` and `vpnform show`: the rendered plan, its JSON lines, exit
//! codes, saved plans, and the refusals (protected, too many deletes, id mismatch,
//! tampered saved plan).

use crate::support::{Workspace, ipsec_server, state_file};

const QUICKSTART: &str = include_str!("../../examples/quickstart.yaml");
const QUICKSTART_STATE: &str = include_str!("../../state/vpnform.state.yaml");

fn quickstart() -> Workspace {
    Workspace::new()
        .file("vpnform.yaml", QUICKSTART)
        .file("state/vpnform.state.yaml", QUICKSTART_STATE)
}

const SMALL_STATE: &str = "\
version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 3
resources:
  ipsec_server.lab:
    id: iss-bp19lgmxg9edn581u33xt
    region: cn-hangzhou
    vpn_gateway: vpn-bp1a5lqsaj08xui6d39zz
    attributes:
      name: lab
  ipsec_server.office:
    id: iss-bp1ujzde8gxd6ncf10epf
    region: cn-hangzhou
    vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk
    protect: true
pending: []
";

const SMALL_DESIRED: &str = "\
version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office:
    id: iss-bp1ujzde8gxd6ncf10epf
    vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk
  branch:
    id: iss-bp10ce9uvw53efr4edt2s
    vpn_gateway: vpn-bp1gxbenyjqwx4hh5344t
";

fn small() -> Workspace {
    Workspace::new()
        .file("vpnform.yaml", SMALL_DESIRED)
        .file("state/vpnform.state.yaml", SMALL_STATE)
}

#[test]
fn small_plan_renders_exactly() {
    let ws = small();
    let out = ws.run(&["plan", "--offline"]);
    assert_eq!(out.code, 0, "{out:?}");
    let hash = plan_hash_of(&out.stdout);
    let expected = format!(
        r#"Note: offline plan: the cloud was not read (no refresh, no prechecks).

Resource actions are indicated with the following symbols:
  - destroy (delete in the cloud, then drop from the state)
  > adopt (record in the state; nothing changes in the cloud)

vpnform will perform the following actions:

  # ipsec_server.lab will be destroyed
  # (because ipsec_server.lab is not in the desired state)
  - resource "ipsec_server" "lab" {{
      - id          = "iss-bp19lgmxg9edn581u33xt"
      - vpn_gateway = "vpn-bp1a5lqsaj08xui6d39zz"
      - region      = "cn-hangzhou"
      - name        = "lab"
    }}
    precheck: skipped (--offline)

  # ipsec_server.branch will be adopted: recorded in the state, nothing changes in the cloud
  # (because it is in the desired state but not yet recorded)
  > resource "ipsec_server" "branch" {{
      > id          = "iss-bp10ce9uvw53efr4edt2s"
      > vpn_gateway = "vpn-bp1gxbenyjqwx4hh5344t"
      > region      = "cn-hangzhou"
    }}

Plan: 0 to add, 0 to change, 1 to destroy, 1 to adopt, 0 to forget.
Plan hash: {hash}

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,14 +1,12 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
-serial: 3
+serial: 4
 resources:
-  ipsec_server.lab:
-    id: iss-bp19lgmxg9edn581u33xt
+  ipsec_server.branch:
+    id: iss-bp10ce9uvw53efr4edt2s
     region: cn-hangzhou
-    vpn_gateway: vpn-bp1a5lqsaj08xui6d39zz
-    attributes:
-      name: lab
+    vpn_gateway: vpn-bp1gxbenyjqwx4hh5344t
   ipsec_server.office:
     id: iss-bp1ujzde8gxd6ncf10epf
     region: cn-hangzhou
"#
    );
    assert_eq!(out.stdout, expected);
    assert_eq!(hash.len(), 64);
}

fn plan_hash_of(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("Plan hash: "))
        .unwrap_or_else(|| panic!("no plan hash in {stdout}"))
        .to_string()
}

#[test]
fn quickstart_deletes_the_dependency_chain_dependents_first() {
    let ws = quickstart();
    let out = ws.run(&["plan", "--offline"]);
    assert_eq!(out.code, 0, "{out:?}");
    let headings: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("  # ipsec_server."))
        .collect();
    assert_eq!(
        headings,
        [
            "  # ipsec_server.dev will be created",
            "  # ipsec_server.lab_ci will be destroyed",
            "  # ipsec_server.lab_monitoring will be destroyed",
            "  # ipsec_server.lab will be destroyed",
            "  # ipsec_server.sh_staging will be destroyed",
            "  # ipsec_server.sh_branch will be adopted: recorded in the state, nothing \
             changes in the cloud",
            "  # ipsec_server.contractors will be updated in-place",
        ]
    );
    // The whole plan: the create, `waits for` under the dependent, the adopt, the update
    // of one field, the summary, the state diff.
    ws.vpnform(&["plan", "--offline"])
        .stdout(
            r#"Note: offline plan: the cloud was not read (no refresh, no prechecks).

Resource actions are indicated with the following symbols:
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
    precheck: skipped (--offline)

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
    precheck: skipped (--offline)

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
    precheck: skipped (--offline)

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
    precheck: skipped (--offline)

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
    precheck: skipped (--offline)

  # ipsec_server.sh_branch will be adopted: recorded in the state, nothing changes in the cloud
  # (because it is in the desired state but not yet recorded)
  > resource "ipsec_server" "sh_branch" {
      > id          = "iss-uf6n4a4wfhym4l1vfz3zf"
      > vpn_gateway = "vpn-uf6u7794g9dpmrcg629be"
      > region      = "cn-shanghai"
    }

  # ipsec_server.contractors will be updated in-place
  # (because its managed attributes differ from the desired state)
  ~ resource "ipsec_server" "contractors" {
      ~ client_ip_pool = "10.9.0.0/16" -> "10.19.0.0/16"
    }
    precheck: skipped (--offline)

Plan: 1 to add, 1 to change, 4 to destroy, 1 to adopt, 0 to forget.
Plan hash: 66b7ef0b6894ddd1b39f35a51aad963bc50c1b8c02c4337c66f92102f46b08dd

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
@@ -53,6 +30,10 @@
       internet_ip: "47.98.112.4"
       local_subnet: 10.0.0.0/24
       name: office
+  ipsec_server.sh_branch:
+    id: iss-uf6n4a4wfhym4l1vfz3zf
+    region: cn-shanghai
+    vpn_gateway: vpn-uf6u7794g9dpmrcg629be
   ipsec_server.sh_dr:
     id: iss-uf6q7xkwo886vompzom75
     region: cn-shanghai
@@ -73,13 +54,4 @@
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
"#,
        )
        .run();
}

#[test]
fn two_runs_are_byte_identical() {
    let ws = quickstart();
    let first = ws.run(&["plan", "--offline"]);
    let second = ws.run(&["plan", "--offline"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn no_changes_says_so_and_detailed_exitcode_is_0() {
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            "version: 1\nipsec_servers:\n  office:\n    id: iss-bp1ujzde8gxd6ncf10epf\n    \
             vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk\n    region: cn-hangzhou\n",
        )
        .file(
            "state/vpnform.state.yaml",
            &SMALL_STATE.replace(
                "  ipsec_server.lab:\n    id: iss-bp19lgmxg9edn581u33xt\n    region: \
                 cn-hangzhou\n    vpn_gateway: vpn-bp1a5lqsaj08xui6d39zz\n    attributes:\n      \
                 name: lab\n",
                "",
            ),
        );
    let out = ws.run(&["plan", "--offline", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "Note: offline plan: the cloud was not read (no refresh, no prechecks).\n\n\
         No changes. Your infrastructure matches the configuration.\n\n\
         vpnform has compared the desired state with the recorded state and found no \
         differences, so no changes are needed.\n"
    );
}

#[test]
fn detailed_exitcode_is_2_with_changes_and_1_on_error() {
    let ws = small();
    assert_eq!(
        ws.run(&["plan", "--offline", "--detailed-exitcode"]).code,
        2
    );
    assert_eq!(ws.run(&["plan", "--offline"]).code, 0);
    let out = ws.run(&[
        "plan",
        "--offline",
        "--detailed-exitcode",
        "--desired",
        "missing.yaml",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
}

#[test]
fn removing_a_protected_entry_fails_and_names_state_unprotect() {
    let ws = small().file(
        "vpnform.yaml",
        "version: 1\nipsec_servers:\n  lab:\n    id: iss-bp19lgmxg9edn581u33xt\n    \
         vpn_gateway: vpn-bp1a5lqsaj08xui6d39zz\n    region: cn-hangzhou\n",
    );
    let out = ws.run(&["plan", "--offline", "--detailed-exitcode"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: ipsec_server.office (iss-bp1ujzde8gxd6ncf10epf) is protected (`protect: true` \
         in the state) and is not in the desired state, so the plan would delete it; put it \
         back in the desired file, or run `vpnform state unprotect ipsec_server.office` first \
         if it really must go\n"
    );
}

#[test]
fn max_deletes_refuses_a_plan_that_deletes_more() {
    let ws = quickstart();
    let out = ws.run(&["plan", "--offline", "--max-deletes", "3"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: the plan would delete 4 IPsec servers, more than --max-deletes 3 allows; \
         check the desired file, or raise --max-deletes if this is intended\n"
    );
    assert_eq!(ws.run(&["plan", "--offline", "--max-deletes", "4"]).code, 0);
}

/// A desired `id` imports only while the address is not recorded: a different one under
/// a recorded address is a warning with both ways out, and the plan is the recorded
/// server's, as if the line were not there.
#[test]
fn a_different_id_under_a_recorded_address_is_a_warning_naming_both() {
    let ws = small().file(
        "vpnform.yaml",
        &SMALL_DESIRED.replace("iss-bp1ujzde8gxd6ncf10epf", "iss-bp1zzzzzzzzzzzzzzzzzzzz"),
    );
    let out = ws.run(&["plan", "--offline"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stderr,
        "warning: ipsec_server.office: the desired `id: iss-bp1zzzzzzzzzzzzzzzzzzzz` is not the \
         recorded server iss-bp1ujzde8gxd6ncf10epf, which is the one vpnform manages (a \
         desired `id` imports only while the address is not recorded). Remove the `id` line \
         to keep managing iss-bp1ujzde8gxd6ncf10epf; or, to manage \
         iss-bp1zzzzzzzzzzzzzzzzzzzz under ipsec_server.office instead, run `vpnform state rm \
         ipsec_server.office` and plan again (iss-bp1ujzde8gxd6ncf10epf is then left alone in \
         the cloud)\n"
    );
    let without = small().run(&["plan", "--offline"]);
    let hashless = |text: &str| {
        text.lines()
            .filter(|l| !l.starts_with("Plan hash: "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(hashless(&out.stdout), hashless(&without.stdout));
}

#[test]
fn online_plan_without_credentials_says_where_it_looked() {
    small()
        .vpnform(&["plan"])
        .code(1)
        .stderr(
            r"error: no Alibaba Cloud credentials found; looked at:
  - environment: ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET not set
  - environment: ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY not set
  - [WS]/home/.aliyun/config.json: no such file
  - [WS]/home/.alibabacloud/credentials: no such file
Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run `aliyun configure`.
",
        )
        .run();
}

#[test]
fn without_a_state_every_desired_server_is_adopted() {
    let ws = Workspace::new().file("vpnform.yaml", SMALL_DESIRED);
    ws.vpnform(&["plan", "--offline"])
        .stdout(
            r#"Note: offline plan: the cloud was not read (no refresh, no prechecks).

Resource actions are indicated with the following symbols:
  > adopt (record in the state; nothing changes in the cloud)

vpnform will perform the following actions:

  # ipsec_server.branch will be adopted: recorded in the state, nothing changes in the cloud
  # (because it is in the desired state but not yet recorded)
  > resource "ipsec_server" "branch" {
      > id          = "iss-bp10ce9uvw53efr4edt2s"
      > vpn_gateway = "vpn-bp1gxbenyjqwx4hh5344t"
      > region      = "cn-hangzhou"
    }

  # ipsec_server.office will be adopted: recorded in the state, nothing changes in the cloud
  # (because it is in the desired state but not yet recorded)
  > resource "ipsec_server" "office" {
      > id          = "iss-bp1ujzde8gxd6ncf10epf"
      > vpn_gateway = "vpn-bp1ywb3wkh5dnsipzz5fk"
      > region      = "cn-hangzhou"
    }

Plan: 0 to add, 0 to change, 0 to destroy, 2 to adopt, 0 to forget.
Plan hash: fc241c5746f64b171629a2206b2401dd27de1379c430793f4e9418c00936c4c9

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -0,0 +1,14 @@
+# Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
+version: 1
+lineage: ""
+serial: 1
+resources:
+  ipsec_server.branch:
+    id: iss-bp10ce9uvw53efr4edt2s
+    region: cn-hangzhou
+    vpn_gateway: vpn-bp1gxbenyjqwx4hh5344t
+  ipsec_server.office:
+    id: iss-bp1ujzde8gxd6ncf10epf
+    region: cn-hangzhou
+    vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk
+pending: []
"#,
        )
        .stderr(
            r"No recorded state at state/vpnform.state.yaml: desired servers with an id will be adopted, those without one created.
",
        )
        .run();
}

fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn json_lines_have_terraforms_shape() {
    let out = quickstart().run(&["plan", "--offline", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines = json_lines(&out.stdout);
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "version",
            "planned_change",
            "planned_change",
            "planned_change",
            "planned_change",
            "planned_change",
            "planned_change",
            "planned_change",
            "change_summary"
        ]
    );
    for line in &lines {
        assert_eq!(line["@module"], "vpnform.ui");
        assert!(line["@timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(line["@level"].is_string() && line["@message"].is_string());
    }
    assert_eq!(lines[0]["vpnform"], env!("CARGO_PKG_VERSION"));
    assert_eq!(lines[0]["ui"], "1.2");
    assert_eq!(lines[1]["change"]["action"], "create");
    let change = &lines[2]["change"];
    assert_eq!(change["resource"]["addr"], "ipsec_server.lab_ci");
    assert_eq!(change["resource"]["resource_type"], "ipsec_server");
    assert_eq!(change["resource"]["resource_name"], "lab_ci");
    assert_eq!(change["action"], "delete");
    assert_eq!(change["reason"], "removed from desired state");
    assert_eq!(change["precheck"]["result"], "skipped");
    assert_eq!(change["client_token"].as_str().unwrap().len(), 40);
    assert_eq!(lines[6]["change"]["action"], "adopt");
    assert_eq!(lines[7]["change"]["action"], "update");
    let summary = &lines[8];
    assert_eq!(
        summary["@message"],
        "Plan: 1 to add, 1 to change, 4 to destroy, 1 to adopt, 0 to forget."
    );
    assert_eq!(
        summary["changes"],
        serde_json::json!({"add": 1, "change": 1, "remove": 4, "adopt": 1, "forget": 0,
                           "operation": "plan"})
    );
}

#[test]
fn json_error_is_a_diagnostic_line() {
    let out = quickstart().run(&["plan", "--offline", "--json", "--max-deletes", "1"]);
    assert_eq!(out.code, 1, "{out:?}");
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert_eq!(lines[1]["type"], "diagnostic");
    assert_eq!(lines[1]["@level"], "error");
    assert_eq!(lines[1]["diagnostic"]["severity"], "error");
    assert!(
        lines[1]["diagnostic"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("the plan would delete 4 IPsec servers")
    );
}

#[test]
fn out_then_show_renders_the_same_plan() {
    let ws = quickstart();
    let out = ws.run(&["plan", "--offline", "--out", "lab.plan"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.ends_with(
        "\nSaved the plan to: lab.plan\n\nTo perform exactly these actions, run:\n    \
         vpnform apply lab.plan\n"
    ));
    let saved: serde_json::Value = serde_json::from_str(&ws.read("lab.plan")).unwrap();
    assert_eq!(saved["format_version"], 1);
    assert_eq!(saved["lineage"], "4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a");
    assert_eq!(saved["serial"], 12);
    assert_eq!(saved["desired_path"], "vpnform.yaml");
    assert_eq!(
        saved["plan_hash"].as_str().unwrap(),
        plan_hash_of(&out.stdout)
    );
    assert_eq!(saved["actions"].as_array().unwrap().len(), 7);
    assert_eq!(saved["desired_sha256"].as_str().unwrap().len(), 64);

    // The same blocks, summary, hash and state diff, under a header saying what the
    // plan was made from.
    let trailer = "\nSaved the plan to: lab.plan\n\nTo perform exactly these actions, run:\n    \
                   vpnform apply lab.plan\n";
    ws.vpnform(&["show", "lab.plan"])
        .stdout(format!(
            "Saved plan lab.plan (vpnform {}, [TIME]), from vpnform.yaml (SHA-256 {}), \
             against state lineage 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a serial 12.\n\n{}",
            env!("CARGO_PKG_VERSION"),
            saved["desired_sha256"].as_str().unwrap(),
            out.stdout.strip_suffix(trailer).unwrap()
        ))
        .run();

    // One plan document (`terraform show -json` shape), not event lines.
    let json = ws.run(&["show", "lab.plan", "--json"]);
    assert_eq!(json.code, 0, "{json:?}");
    let documents = json_lines(&json.stdout);
    assert_eq!(documents.len(), 1, "{}", json.stdout);
    assert_eq!(
        documents[0]["resource_changes"].as_array().unwrap().len(),
        7
    );
}

#[test]
fn tampered_saved_plan_is_refused() {
    let ws = quickstart();
    assert_eq!(ws.run(&["plan", "--offline", "--out", "lab.plan"]).code, 0);
    let text = ws.read("lab.plan");
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    let recorded = saved["plan_hash"].as_str().unwrap().to_string();
    // Point a delete at another server: the kind of edit that must never run.
    ws.write(
        "lab.plan",
        &text.replacen("iss-bp10ce9uvw53efr4edt2s", "iss-bp1ujzde8gxd6ncf10epf", 1),
    );
    ws.vpnform(&["show", "lab.plan"])
        // What the edited actions hash to is not the point: that it is not the record.
        .filter(r"hash to [0-9a-f]{64};", "hash to [HASH];")
        .code(1)
        .stderr(format!(
            "error: the saved plan lab.plan has been tampered with: it records plan hash \
             {recorded}, but its actions hash to [HASH]; make a new plan with `vpnform plan \
             --out`\n"
        ))
        .run();
}

const UNPROTECTED_STATE: &str = "\
version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 3
resources:
  ipsec_server.lab:
    id: iss-bp19lgmxg9edn581u33xt
    region: cn-hangzhou
    vpn_gateway: vpn-bp1a5lqsaj08xui6d39zz
  ipsec_server.office:
    id: iss-bp1ujzde8gxd6ncf10epf
    region: cn-hangzhou
    vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk
pending: []
";

#[test]
fn protect_added_in_the_desired_file_was_never_recorded() {
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            "version: 1\ndefaults: {region: cn-hangzhou}\nipsec_servers:\n  \
             office: {id: iss-bp1ujzde8gxd6ncf10epf, vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk, protect: true, depends_on: [ipsec_server.lab]}\n  \
             lab: {id: iss-bp19lgmxg9edn581u33xt, vpn_gateway: vpn-bp1a5lqsaj08xui6d39zz}\n",
        )
        .file("state/vpnform.state.yaml", UNPROTECTED_STATE);
    // The update block, the summary and `+    protect: true` in the state diff.
    ws.vpnform(&["plan", "--offline", "--detailed-exitcode"])
        .code(2)
        .stdout(
            r#"Note: offline plan: the cloud was not read (no refresh, no prechecks).

Resource actions are indicated with the following symbols:
  ~ update (record the new protect/depends_on; nothing changes in the cloud)

vpnform will perform the following actions:

  # ipsec_server.office will be updated in the state, nothing changes in the cloud
  # (because its protect or depends_on changed in the desired state)
  ~ resource "ipsec_server" "office" {
      ~ protect    = false -> true
      ~ depends_on = [] -> ["ipsec_server.lab"]
    }

Plan: 0 to add, 1 to change, 0 to destroy, 0 to adopt, 0 to forget.
Plan hash: cd6467265a6e0a159295c166dfb7c12ddece4fb9ae2598301635d22440d27014

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,7 +1,7 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
-serial: 3
+serial: 4
 resources:
   ipsec_server.lab:
     id: iss-bp19lgmxg9edn581u33xt
@@ -11,4 +11,7 @@
     id: iss-bp1ujzde8gxd6ncf10epf
     region: cn-hangzhou
     vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk
+    depends_on:
+    - ipsec_server.lab
+    protect: true
 pending: []
"#,
        )
        .run();

    // Rehearsed, the update applies; the real state file is not written.
    ws.vpnform(&["apply", "--sandbox", "--auto-approve"])
        .filter_durations()
        .stdout(
            r#"Resource actions are indicated with the following symbols:
  ~ update (record the new protect/depends_on; nothing changes in the cloud)

vpnform will perform the following actions:

  # ipsec_server.office will be updated in the state, nothing changes in the cloud
  # (because its protect or depends_on changed in the desired state)
  ~ resource "ipsec_server" "office" {
      ~ protect    = false -> true
      ~ depends_on = [] -> ["ipsec_server.lab"]
    }

Plan: 0 to add, 1 to change, 0 to destroy, 0 to adopt, 0 to forget.
Plan hash: cd6467265a6e0a159295c166dfb7c12ddece4fb9ae2598301635d22440d27014

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,7 +1,7 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
-serial: 3
+serial: 4
 resources:
   ipsec_server.lab:
     id: iss-bp19lgmxg9edn581u33xt
@@ -11,4 +11,7 @@
     id: iss-bp1ujzde8gxd6ncf10epf
     region: cn-hangzhou
     vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk
+    depends_on:
+    - ipsec_server.lab
+    protect: true
 pending: []

Apply complete! Resources: 0 added, 1 changed, 0 destroyed, 0 adopted, 0 forgotten.

Rehearsal against the in-process sandbox: state/vpnform.state.yaml was not written. It would become:

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,7 +1,7 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
-serial: 3
+serial: 5
 resources:
   ipsec_server.lab:
     id: iss-bp19lgmxg9edn581u33xt
@@ -11,4 +11,7 @@
     id: iss-bp1ujzde8gxd6ncf10epf
     region: cn-hangzhou
     vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk
+    depends_on:
+    - ipsec_server.lab
+    protect: true
 pending: []
"#,
        )
        .stderr(
            r"ipsec_server.office: Updating... [id=iss-bp1ujzde8gxd6ncf10epf]
ipsec_server.office: Update complete after [DURATION]
",
        )
        .run();
    assert_eq!(ws.read("state/vpnform.state.yaml"), UNPROTECTED_STATE);
}

#[test]
fn dropping_protect_from_the_desired_file_does_not_unprotect() {
    // Only `vpnform state unprotect` turns protection off: an edit that loses the line
    // must not make the server deletable.
    let ws = Workspace::new()
        .file(
            "vpnform.yaml",
            "version: 1\ndefaults: {region: cn-hangzhou}\nipsec_servers:\n  \
             office: {id: iss-bp1ujzde8gxd6ncf10epf, vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk}\n  \
             lab: {id: iss-bp19lgmxg9edn581u33xt, vpn_gateway: vpn-bp1a5lqsaj08xui6d39zz}\n",
        )
        .file(
            "state/vpnform.state.yaml",
            &UNPROTECTED_STATE.replace(
                "vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk\n",
                "vpn_gateway: vpn-bp1ywb3wkh5dnsipzz5fk\n    protect: true\n",
            ),
        );
    ws.vpnform(&["plan", "--offline", "--detailed-exitcode"])
        .stdout(r"Note: offline plan: the cloud was not read (no refresh, no prechecks).

No changes. Your infrastructure matches the configuration.

vpnform has compared the desired state with the recorded state and found no differences, so no changes are needed.
")
        .run();
}

/// `b depends_on a`, both created: a first, and b's block says what it waits for (the
/// plan once ordered deletes alone, so a create showed no wait though apply made one).
#[test]
fn a_create_that_depends_on_another_shows_what_it_waits_for() {
    let ws = Workspace::new().file(
        "vpnform.yaml",
        r#"version: 1
ipsec_servers:
  a:
    region: cn-hangzhou
    vpn_gateway: vpn-aaaa
    local_subnet: [10.0.0.0/24]
    client_ip_pool: 10.8.0.0/16
  b:
    region: cn-hangzhou
    vpn_gateway: vpn-bbbb
    local_subnet: [10.1.0.0/24]
    client_ip_pool: 10.9.0.0/16
    depends_on: [ipsec_server.a]
"#,
    );
    ws.vpnform(&["plan", "--offline"])
        .stderr(
            "No recorded state at state/vpnform.state.yaml: desired servers with an id will \
             be adopted, those without one created.\n",
        )
        .stdout(
            r#"Note: offline plan: the cloud was not read (no refresh, no prechecks).

Resource actions are indicated with the following symbols:
  + create (create in the cloud, then record its id in the state)

vpnform will perform the following actions:

  # ipsec_server.a will be created
  # (because ipsec_server.a is in the desired state without an id)
  + resource "ipsec_server" "a" {
      + id             = (known after apply)
      + vpn_gateway    = "vpn-aaaa"
      + region         = "cn-hangzhou"
      + client_ip_pool = "10.8.0.0/16"
      + local_subnet   = "10.0.0.0/24"
    }
    precheck: skipped (--offline)

  # ipsec_server.b will be created
  # (because ipsec_server.b is in the desired state without an id)
  + resource "ipsec_server" "b" {
      + id             = (known after apply)
      + vpn_gateway    = "vpn-bbbb"
      + region         = "cn-hangzhou"
      + depends_on     = ["ipsec_server.a"]
      + client_ip_pool = "10.9.0.0/16"
      + local_subnet   = "10.1.0.0/24"
    }
    waits for: ipsec_server.a
    precheck: skipped (--offline)

Plan: 2 to add, 0 to change, 0 to destroy, 0 to adopt, 0 to forget.
Plan hash: 25a6e2aeaa02f24a8f2864175d79e307706500ea8678133a39b82a0f2f8d0ecb

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -0,0 +1,22 @@
+# Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
+version: 1
+lineage: ""
+serial: 1
+resources:
+  ipsec_server.a:
+    id: (known after apply)
+    region: cn-hangzhou
+    vpn_gateway: vpn-aaaa
+    attributes:
+      client_ip_pool: 10.8.0.0/16
+      local_subnet: 10.0.0.0/24
+  ipsec_server.b:
+    id: (known after apply)
+    region: cn-hangzhou
+    vpn_gateway: vpn-bbbb
+    depends_on:
+    - ipsec_server.a
+    attributes:
+      client_ip_pool: 10.9.0.0/16
+      local_subnet: 10.1.0.0/24
+pending: []
"#,
        )
        .run();
}

/// Regression: an update's values were shown bare (`10.9.0.0/16 -> 10.19.0.0/16`) while
/// creates, replaces and destroys quoted every value, numbers and booleans included; and
/// a plan with both kinds of update had two `~` lines in its legend. One rule now, as
/// Terraform's: text quoted, numbers and booleans bare; one line a symbol.
#[test]
fn regression_updates_were_unquoted_and_the_legend_had_two_update_lines() {
    let state = state_file()
        .resource(
            ipsec_server("a", "iss-a", "vpn-g1")
                .attribute("client_ip_pool", "10.9.0.0/16")
                .attribute("effect_immediately", "true")
                .attribute("ike_config.ike_lifetime", "86400")
                .named(),
        )
        .resource(
            ipsec_server("c", "iss-c", "vpn-g3")
                .attribute("effect_immediately", "false")
                .attribute("ike_config.ike_lifetime", "86400")
                .named(),
        )
        .resource(ipsec_server("d", "iss-d", "vpn-g4"))
        .render();
    let desired = "version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  a:
    id: iss-a
    vpn_gateway: vpn-g1
    client_ip_pool: 10.19.0.0/16
    effect_immediately: false
    ike_config: {ike_lifetime: 3600}
  d:
    id: iss-d
    vpn_gateway: vpn-g4
    depends_on: [ipsec_server.a]
    protect: true
  n:
    vpn_gateway: vpn-g6
    local_subnet: [10.0.0.0/24, 10.1.0.0/24]
    client_ip_pool: 10.8.0.0/16
    effect_immediately: true
    ike_config: {ike_lifetime: 3600}
";
    Workspace::new()
        .file("vpnform.yaml", desired)
        .file("state/vpnform.state.yaml", &state)
        .vpnform(&["plan", "--offline"])
        .stdout(
            r#"Note: offline plan: the cloud was not read (no refresh, no prechecks).

Resource actions are indicated with the following symbols:
  + create (create in the cloud, then record its id in the state)
  - destroy (delete in the cloud, then drop from the state)
  ~ update in-place (UpdateIpsecServer with the changed fields), or of the state alone (a new protect/depends_on; nothing changes in the cloud)

vpnform will perform the following actions:

  # ipsec_server.n will be created
  # (because ipsec_server.n is in the desired state without an id)
  + resource "ipsec_server" "n" {
      + id                      = (known after apply)
      + vpn_gateway             = "vpn-g6"
      + region                  = "cn-hangzhou"
      + client_ip_pool          = "10.8.0.0/16"
      + effect_immediately      = true
      + ike_config.ike_lifetime = 3600
      + local_subnet            = "10.0.0.0/24,10.1.0.0/24"
    }
    precheck: skipped (--offline)

  # ipsec_server.c will be destroyed
  # (because ipsec_server.c is not in the desired state)
  - resource "ipsec_server" "c" {
      - id                      = "iss-c"
      - vpn_gateway             = "vpn-g3"
      - region                  = "cn-hangzhou"
      - effect_immediately      = false
      - ike_config.ike_lifetime = 86400
      - name                    = "c"
    }
    precheck: skipped (--offline)

  # ipsec_server.a will be updated in-place
  # (because its managed attributes differ from the desired state)
  ~ resource "ipsec_server" "a" {
      ~ client_ip_pool          = "10.9.0.0/16" -> "10.19.0.0/16"
      ~ effect_immediately      = true -> false
      ~ ike_config.ike_lifetime = 86400 -> 3600
    }
    precheck: skipped (--offline)

  # ipsec_server.d will be updated in the state, nothing changes in the cloud
  # (because its protect or depends_on changed in the desired state)
  ~ resource "ipsec_server" "d" {
      ~ protect    = false -> true
      ~ depends_on = [] -> ["ipsec_server.a"]
    }

Plan: 1 to add, 2 to change, 1 to destroy, 0 to adopt, 0 to forget.
Plan hash: ba650101991109fb97925f1784bdb71d408ea803170097b9ebca5ef5b4f7111e

State file changes (state/vpnform.state.yaml):

--- a/state/vpnform.state.yaml
+++ b/state/vpnform.state.yaml
@@ -1,27 +1,31 @@
 # Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
 version: 1
 lineage: 0b7c2a4e-5d1f-4c3a-9e8b-7a6f5e4d3c2b
-serial: 3
+serial: 4
 resources:
   ipsec_server.a:
     id: iss-a
     region: cn-hangzhou
     vpn_gateway: vpn-g1
     attributes:
-      client_ip_pool: 10.9.0.0/16
-      effect_immediately: "true"
-      ike_config.ike_lifetime: "86400"
+      client_ip_pool: 10.19.0.0/16
+      effect_immediately: "false"
+      ike_config.ike_lifetime: "3600"
       name: a
-  ipsec_server.c:
-    id: iss-c
-    region: cn-hangzhou
-    vpn_gateway: vpn-g3
-    attributes:
-      effect_immediately: "false"
-      ike_config.ike_lifetime: "86400"
-      name: c
   ipsec_server.d:
     id: iss-d
     region: cn-hangzhou
     vpn_gateway: vpn-g4
+    depends_on:
+    - ipsec_server.a
+    protect: true
+  ipsec_server.n:
+    id: (known after apply)
+    region: cn-hangzhou
+    vpn_gateway: vpn-g6
+    attributes:
+      client_ip_pool: 10.8.0.0/16
+      effect_immediately: "true"
+      ike_config.ike_lifetime: "3600"
+      local_subnet: 10.0.0.0/24,10.1.0.0/24
 pending: []
"#,
        )
        .run();
}
