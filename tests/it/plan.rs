//! `vpnform plan --offline` and `vpnform show`: the rendered plan, its JSON lines, exit
//! codes, saved plans, and the refusals (protected, too many deletes, id mismatch,
//! tampered saved plan).

use crate::support::Workspace;

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
        r#"Note: offline plan: the cloud was not read (no refresh, no delete prechecks).

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
            "  # ipsec_server.lab_ci will be destroyed",
            "  # ipsec_server.lab_monitoring will be destroyed",
            "  # ipsec_server.lab will be destroyed",
            "  # ipsec_server.sh_staging will be destroyed",
            "  # ipsec_server.sh_branch will be adopted: recorded in the state, nothing \
             changes in the cloud",
        ]
    );
    assert!(
        out.stdout
            .contains("    waits for: ipsec_server.lab_monitoring\n")
    );
    assert!(
        out.stdout
            .contains("Plan: 0 to add, 0 to change, 4 to destroy, 1 to adopt, 0 to forget.\n")
    );
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
        "Note: offline plan: the cloud was not read (no refresh, no delete prechecks).\n\n\
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

#[test]
fn a_different_id_under_a_recorded_address_is_an_error_naming_both() {
    let ws = small().file(
        "vpnform.yaml",
        &SMALL_DESIRED.replace("iss-bp1ujzde8gxd6ncf10epf", "iss-bp1zzzzzzzzzzzzzzzzzzzz"),
    );
    let out = ws.run(&["plan", "--offline"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: ipsec_server.office: the desired id iss-bp1zzzzzzzzzzzzzzzzzzzz differs from \
         the recorded id iss-bp1ujzde8gxd6ncf10epf; vpnform does not replace servers. If \
         iss-bp1zzzzzzzzzzzzzzzzzzzz is the server to keep, run `vpnform state rm \
         ipsec_server.office` (nothing changes in the cloud) and plan again to adopt it\n"
    );
}

#[test]
fn online_plan_without_credentials_says_where_it_looked() {
    let out = small().run(&["plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(
        out.stderr.contains("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(".aliyun/config.json"), "{}", out.stderr);
}

#[test]
fn without_a_state_every_desired_server_is_adopted() {
    let ws = Workspace::new().file("vpnform.yaml", SMALL_DESIRED);
    let out = ws.run(&["plan", "--offline"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy, 2 to adopt, 0 to forget.\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("No recorded state at state/vpnform.state.yaml")
    );
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
    let change = &lines[1]["change"];
    assert_eq!(change["resource"]["addr"], "ipsec_server.lab_ci");
    assert_eq!(change["resource"]["resource_type"], "ipsec_server");
    assert_eq!(change["resource"]["resource_name"], "lab_ci");
    assert_eq!(change["action"], "delete");
    assert_eq!(change["reason"], "removed from desired state");
    assert_eq!(change["precheck"]["result"], "skipped");
    assert_eq!(change["client_token"].as_str().unwrap().len(), 40);
    assert_eq!(lines[5]["change"]["action"], "adopt");
    let summary = &lines[6];
    assert_eq!(
        summary["@message"],
        "Plan: 0 to add, 0 to change, 4 to destroy, 1 to adopt, 0 to forget."
    );
    assert_eq!(
        summary["changes"],
        serde_json::json!({"add": 0, "change": 0, "remove": 4, "adopt": 1, "forget": 0,
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
    assert_eq!(saved["actions"].as_array().unwrap().len(), 5);
    assert_eq!(saved["desired_sha256"].as_str().unwrap().len(), 64);

    let show = ws.run(&["show", "lab.plan"]);
    assert_eq!(show.code, 0, "{show:?}");
    // The same blocks, summary and hash; the state diff is the plan's alone.
    let body = |text: &str| {
        let start = text.find("Note: offline plan").unwrap();
        let end = text.find("Plan hash: ").unwrap();
        text[start..end].to_string()
    };
    assert_eq!(body(&show.stdout), body(&out.stdout));
    assert!(show.stdout.starts_with("Saved plan lab.plan (vpnform "));
    assert!(
        show.stdout
            .contains(&format!("Plan hash: {}\n", plan_hash_of(&out.stdout)))
    );

    // One plan document (`terraform show -json` shape), not event lines.
    let json = ws.run(&["show", "lab.plan", "--json"]);
    assert_eq!(json.code, 0, "{json:?}");
    let documents = json_lines(&json.stdout);
    assert_eq!(documents.len(), 1, "{}", json.stdout);
    assert_eq!(
        documents[0]["resource_changes"].as_array().unwrap().len(),
        5
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
    let out = ws.run(&["show", "lab.plan"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.starts_with(&format!(
            "error: the saved plan lab.plan has been tampered with: it records plan hash \
             {recorded}, but its actions hash to "
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .ends_with("; make a new plan with `vpnform plan --out`\n")
    );
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
    let out = ws.run(&["plan", "--offline", "--detailed-exitcode"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stdout.contains(
            "  # ipsec_server.office will be updated in the state, nothing changes in the cloud\n  \
             # (because its protect or depends_on changed in the desired state)\n  \
             ~ resource \"ipsec_server\" \"office\" {\n      \
             ~ protect    = false -> true\n      \
             ~ depends_on = [] -> [ipsec_server.lab]\n    }\n"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy, 0 to adopt, 0 to forget.\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("+    protect: true\n"),
        "{}",
        out.stdout
    );

    // Rehearsed, the update applies; the real state file is not written.
    let out = ws.run(&["apply", "--sandbox", "--auto-approve"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains(
            "Apply complete! Resources: 0 added, 1 changed, 0 destroyed, 0 adopted, 0 forgotten.\n"
        ),
        "{}",
        out.stdout
    );
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
    let out = ws.run(&["plan", "--offline", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.starts_with("Note: offline plan"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("No changes."), "{}", out.stdout);
}
