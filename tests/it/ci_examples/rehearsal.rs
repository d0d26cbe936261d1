//! The examples, unchanged, run against the sandbox: the pull request's job with a key
//! that may only read (and, on postgres, the read-only role of docs/ci.md), then the
//! apply job with the write key, creating, updating and deleting servers.

use std::path::Path;
use std::time::Duration;

use vpnform::sandbox::{DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Policy};

use super::runner::Runner;
use super::{DOCS, LOCAL, POSTGRES, read, read_workflow, step_name, steps};
use crate::support::{Cloud, Workspace, configuring, ipsec_server, pg, state_file, world_of};

#[test]
fn the_pr_comment_stays_under_github_s_limit_for_a_huge_plan() {
    let (_, workflow) = read_workflow(LOCAL);
    let dir = tempfile::tempdir().unwrap();
    let huge: String = (0..20_000)
        .map(|i| format!("  # ipsec_server.s{i} will be destroyed\n"))
        .collect::<String>()
        + "Plan: 0 to add, 0 to change, 20000 to destroy, 0 to adopt, 0 to forget.\n";
    std::fs::write(dir.path().join("plan.txt"), &huge).unwrap();
    std::fs::write(dir.path().join("plan.err"), "").unwrap();
    let mut runner = Runner::new(workflow, dir.path());
    runner.expression("vars.VPNFORM_REPO", "acme/vpnform");
    runner.expression("github.event.pull_request.head.sha", "abc123");
    runner.expression(
        "steps.artifact.outputs.artifact-url",
        "https://example.invalid/artifact",
    );
    runner.expression("github.server_url", "https://example.invalid");
    runner.expression("github.repository", "acme/infra");
    runner.expression("github.run_id", "7");
    runner.ok("plan", "Write the comment");
    let posted = std::fs::read_to_string(dir.path().join("comment.md")).unwrap();
    assert!(posted.chars().count() < 65_536, "{}", posted.len());
    // The marker the posting step finds its earlier comment by comes first.
    assert!(posted.starts_with("<!-- vpnform plan -->\n"));
    assert!(
        posted.contains(
            "**Plan: 0 to add, 0 to change, 20000 to destroy, 0 to adopt, 0 to forget.**"
        )
    );
    assert!(posted.contains("<details><summary>Plan</summary>"));
    assert!(posted.contains("[artifact](https://example.invalid/artifact)"));
    assert!(posted.contains("... truncated: the full plan is in the artifact."));
    let (_, workflow) = read_workflow(LOCAL);
    let post = steps(&workflow, "plan")
        .iter()
        .find(|s| step_name(s) == "Post the comment")
        .unwrap();
    assert!(
        post["with"]["script"]
            .as_str()
            .unwrap()
            .contains("'<!-- vpnform plan -->'")
    );
}

/// The pre-shared keys the jobs are given, as the secrets hold them.
const OFFICE_KEY: &str = "office-key-from-a-secret-7c1f";
const LAB_KEY: &str = "lab-key-from-a-secret-file-93ab";

/// A key id the sandbox does not know: where a job must not reach the cloud with a
/// secret, the secret holds this, and a call made with it fails.
const UNKNOWN_KEY_ID: &str = "not-this-job-s-key";

/// Recorded: office (iss-office on vpn-a) and old (iss-old on vpn-c).
fn recorded() -> String {
    state_file()
        .resource(
            ipsec_server("office", "iss-office", "vpn-a")
                .attribute("client_ip_pool", "10.8.0.0/16")
                .attribute("local_subnet", "10.0.0.0/24")
                .named(),
        )
        .resource(ipsec_server("old", "iss-old", "vpn-c").named())
        .render()
}

/// The pull request: office's pool changes and its key comes from env OFFICE_PSK (an
/// update), lab is new with its key in a file under `secrets_dir` (a create), old is
/// gone (a delete).
fn desired(secrets_dir: &Path, backend: &str) -> String {
    format!(
        "version: 1
{backend}defaults: {{region: cn-hangzhou}}
ipsec_servers:
  lab:
    vpn_gateway: vpn-b
    local_subnet: 10.1.0.0/24
    client_ip_pool: 10.9.0.0/16
    psk: {{file: {}/lab.psk}}
  office:
    id: iss-office
    vpn_gateway: vpn-a
    local_subnet: 10.0.0.0/24
    client_ip_pool: 10.7.0.0/16
    psk: {{env: OFFICE_PSK}}
",
        secrets_dir.display()
    )
}

/// What only reads the cloud: the pull request's key.
fn read_only_key() -> Policy {
    Policy {
        deny_actions: [
            "CreateIpsecServer",
            "UpdateIpsecServer",
            "DeleteIpsecServer",
        ]
        .map(String::from)
        .into(),
        ..Policy::default()
    }
}

/// The sandbox holding the recorded servers and the new server's gateway.
fn cloud() -> Cloud {
    let mut world = world_of(&recorded());
    world.add_gateway("vpn-b", "cn-hangzhou");
    Cloud::start(configuring(Duration::from_millis(50)), world)
}

/// The examples' secrets as this rehearsal holds them: the pull request's job gets the
/// sandbox's key through the plan secrets, the apply job through the apply secrets, and
/// the other job's key secrets hold a key the sandbox refuses.
fn secrets(runner: &mut Runner, job_key: &str, plan_url: &str, apply_url: &str) {
    for (role, url) in [("PLAN", plan_url), ("APPLY", apply_url)] {
        let (id, secret) = if role == job_key {
            (DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
        } else {
            (UNKNOWN_KEY_ID, "none")
        };
        runner.expression(&format!("secrets.VPNFORM_{role}_ACCESS_KEY_ID"), id);
        runner.expression(&format!("secrets.VPNFORM_{role}_ACCESS_KEY_SECRET"), secret);
        runner.expression(&format!("secrets.VPNFORM_{role}_PG_URL"), url);
    }
}

/// Sets up a runner for `relative` in `ws` with the pull request's context.
fn runner(relative: &str, ws: &Workspace, cloud: &Cloud, secrets_dir: &Path) -> Runner {
    let (_, workflow) = read_workflow(relative);
    let mut runner = Runner::new(workflow, ws.path());
    runner.overrides = vec![
        ("VPNFORM_ENDPOINT".into(), cloud.url()),
        (
            "VPNFORM_SECRETS_DIR".into(),
            secrets_dir.display().to_string(),
        ),
    ];
    for (expression, value) in [
        ("vars.VPNFORM_REPO", "acme/vpnform"),
        ("secrets.OFFICE_PSK", OFFICE_KEY),
        ("secrets.LAB_PSK", LAB_KEY),
        ("github.event.pull_request.head.sha", "0123abcd"),
        (
            "steps.artifact.outputs.artifact-url",
            "https://example.invalid/artifact",
        ),
        ("github.server_url", "https://example.invalid"),
        ("github.repository", "acme/infra"),
        ("github.run_id", "42"),
    ] {
        runner.expression(expression, value);
    }
    runner
}

/// The calls the sandbox answered since `from`, by action, DryRuns marked.
fn calls_since(cloud: &Cloud, from: usize) -> Vec<String> {
    cloud.wire.calls()[from..]
        .iter()
        .map(|c| match crate::support::param(c, "DryRun") {
            Some("true") => format!("{} (DryRun)", c.action),
            _ => c.action.clone(),
        })
        .collect()
}

/// The pull request's job with the read-only key: exit code 2 (changes), reads only,
/// the key files gone afterwards; the comment has the summary; returns the saved plan.
fn run_pull_request(runner: &Runner, cloud: &Cloud, secrets_dir: &Path) {
    cloud.sandbox().set_policy(read_only_key());
    let before = cloud.wire.calls().len();
    let steps = runner.job("plan", &[]);
    assert_eq!(
        steps["Plan"].outputs["exitcode"], "2",
        "{}",
        steps["Plan"].output
    );
    let calls = calls_since(cloud, before);
    assert!(
        calls
            .iter()
            .all(|c| c.starts_with("List") || c.starts_with("Describe")),
        "the pull request's job only reads: {calls:?}"
    );
    assert!(cloud.sandbox().audit().is_empty());
    assert!(!secrets_dir.exists(), "the key files are removed");
    let comment = std::fs::read_to_string(runner.dir.join("comment.md")).unwrap();
    assert!(
        comment.contains("**Plan: 1 to add, 1 to change, 1 to destroy, 0 to adopt, 0 to forget.**"),
        "{comment}"
    );
    assert!(comment.contains("precheck: deferred to apply (--read-only)"));
    // The action graph of the saved plan, as `vpnform graph` draws it, closes the comment.
    let graph = std::process::Command::new(env!("CARGO_BIN_EXE_vpnform"))
        .args(["graph", "plan.json", "--format", "mermaid"])
        .current_dir(&runner.dir)
        .output()
        .unwrap();
    assert!(graph.status.success(), "{graph:?}");
    let graph = String::from_utf8(graph.stdout).unwrap();
    assert!(graph.starts_with("flowchart"), "{graph}");
    assert!(
        comment.ends_with(&format!(
            "<details><summary>Graph</summary>\n\n```mermaid\n{graph}```\n</details>\n"
        )),
        "{comment}"
    );
    for key in [OFFICE_KEY, LAB_KEY] {
        assert!(!comment.contains(key));
        assert!(
            !std::fs::read_to_string(runner.dir.join("plan.json"))
                .unwrap()
                .contains(key)
        );
    }
}

/// The apply job with the write key, given the pull request's saved plan: the plan is
/// fresh, its deferred prechecks run before the first change, and the cloud ends as
/// reviewed: lab created with the key from its file, office updated with the key from
/// env, old deleted.
fn run_apply(runner: &Runner, cloud: &Cloud, secrets_dir: &Path, skipped: &[&str]) {
    std::fs::create_dir_all(runner.dir.join("saved")).unwrap();
    std::fs::copy(
        runner.dir.join("plan.json"),
        runner.dir.join("saved/plan.json"),
    )
    .unwrap();
    cloud.sandbox().set_policy(Policy::default());
    let before = cloud.wire.calls().len();
    let mut skipped = skipped.to_vec();
    // The artifact was put in place above; the plan is fresh, so the stale-plan step's
    // `if` is false (checked below).
    skipped.extend([
        "Fetch the plan reviewed on the pull request",
        "Stale plan - plan again, show it, stop",
    ]);
    let steps = runner.job("apply", &skipped);
    assert_eq!(
        steps["Check that the reviewed plan still holds"].outputs["fresh"],
        "true"
    );
    assert!(
        steps["Apply the reviewed plan"].output.contains(
            "Apply complete! Resources: 1 added, 1 changed, 1 destroyed, 0 adopted, 0 forgotten."
        ),
        "{}",
        steps["Apply the reviewed plan"].output
    );
    let calls = calls_since(cloud, before);
    let first_change = calls
        .iter()
        .position(|c| !c.contains("DryRun") && !c.starts_with("List") && !c.starts_with("Describe"))
        .unwrap();
    assert!(
        calls[..first_change]
            .iter()
            .filter(|c| c.contains("DryRun"))
            .count()
            >= 2,
        "the deferred prechecks run before the first change: {calls:?}"
    );
    assert!(!secrets_dir.exists(), "the key files are removed");
    let world = cloud.sandbox().world();
    let lab = world
        .ipsec_servers
        .values()
        .find(|s| s.vpn_gateway == "vpn-b")
        .expect("lab was created");
    assert_eq!(
        lab.psk.as_ref().map(|k| k.expose().to_owned()),
        Some(LAB_KEY.into())
    );
    let office = &world.ipsec_servers["iss-office"];
    assert_eq!(office.client_ip_pool.as_deref(), Some("10.7.0.0/16"));
    assert_eq!(
        office.psk.as_ref().map(|k| k.expose().to_owned()),
        Some(OFFICE_KEY.into())
    );
    assert!(!world.ipsec_servers.contains_key("iss-old"));
}

/// The local example, unchanged, against the sandbox: the pull request plans with a key
/// that may only read, the merge applies that plan with the write key.
#[test]
fn the_local_example_plans_read_only_on_the_pull_request_and_applies_on_merge() {
    let cloud = cloud();
    let secrets_root = tempfile::tempdir().unwrap();
    let secrets_dir = secrets_root.path().join("vpnform-secrets");
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(&secrets_dir, ""))
        .file("state/vpnform.state.yaml", &recorded());
    let mut runner = runner(LOCAL, &ws, &cloud, &secrets_dir);
    secrets(&mut runner, "PLAN", "", "");
    run_pull_request(&runner, &cloud, &secrets_dir);
    secrets(&mut runner, "APPLY", "", "");
    run_apply(
        &runner,
        &cloud,
        &secrets_dir,
        &["Commit the state back to main"],
    );
    let state = crate::support::read_state(&ws);
    assert_eq!(
        state
            .resources
            .keys()
            .map(|a| a.to_string())
            .collect::<Vec<_>>(),
        ["ipsec_server.lab", "ipsec_server.office"]
    );
}

/// The postgres example, unchanged, against the sandbox and the test PostgreSQL: the
/// pull request plans with the read-only key and the read-only role docs/ci.md grants
/// (run as written there); that role cannot apply; the merge applies with the write key
/// and the owner.
#[test]
fn the_postgres_example_plans_with_the_read_only_role_of_docs_ci_and_applies_as_the_owner() {
    let server = pg::server();
    let schema = pg::schema();
    let owner_url = server.url();
    let cloud = cloud();
    let secrets_root = tempfile::tempdir().unwrap();
    let secrets_dir = secrets_root.path().join("vpnform-secrets");
    let backend = format!("backend:\n  postgres: {{ schema: {schema} }}\n");
    let ws = Workspace::new()
        .file("vpnform.yaml", &desired(&secrets_dir, &backend))
        .file("state/vpnform.state.yaml", &recorded())
        .env("VPNFORM_PG_URL", &owner_url);
    let init = ws.run(&["init", "--migrate-state"]);
    assert_eq!(init.code, 0, "{init:?}");
    std::fs::remove_file(ws.path().join("state/vpnform.state.yaml")).unwrap();

    // The read-only role, as docs/ci.md creates it.
    let docs = read(DOCS);
    let sql = docs
        .split("```sql\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/ci.md has the role's SQL");
    let role = format!("{schema}_plan");
    let password = "read-only-role-password-4d2e";
    server.sql(
        &sql.replace("vpnform_plan", &role)
            .replace("vpnform_prod", &schema)
            .replace("DATABASE infra", "DATABASE postgres")
            .replace("a-long-random-password", password),
    );
    let plan_url = format!(
        "postgresql://{role}:{password}@127.0.0.1:{}/postgres",
        server.port
    );

    let mut runner = runner(POSTGRES, &ws, &cloud, &secrets_dir);
    secrets(
        &mut runner,
        "PLAN",
        &plan_url,
        "postgresql://nobody@127.0.0.1:1/none",
    );
    run_pull_request(&runner, &cloud, &secrets_dir);

    // The read-only role can neither lock nor write: apply with it changes nothing,
    // with the write key and every pre-shared key at hand.
    cloud.sandbox().set_policy(Policy::default());
    std::fs::create_dir(&secrets_dir).unwrap();
    std::fs::write(secrets_dir.join("lab.psk"), LAB_KEY).unwrap();
    let refused = ws
        .command(&["apply", "plan.json"])
        .env("VPNFORM_PG_URL", &plan_url)
        .envs(cloud.env())
        .env("OFFICE_PSK", OFFICE_KEY)
        .env("VPNFORM_SECRETS_DIR", &secrets_dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&secrets_dir).unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("permission denied for table lock_holder"),
        "{stderr}"
    );
    assert!(cloud.sandbox().audit().is_empty());

    secrets(
        &mut runner,
        "APPLY",
        "postgresql://nobody@127.0.0.1:1/none",
        &owner_url,
    );
    run_apply(&runner, &cloud, &secrets_dir, &[]);
    let rows = server.sql(&format!(
        "SELECT address FROM {schema}.resources ORDER BY address"
    ));
    assert_eq!(
        rows,
        [
            [Some("ipsec_server.lab".to_owned())],
            [Some("ipsec_server.office".to_owned())]
        ]
    );
}
