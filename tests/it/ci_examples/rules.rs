//! The rules docs/ci.md states for the examples, each a function listing what breaks
//! it; the examples keep them all, and each broken once is caught.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use serde_json::Value;

use super::{
    CREDENTIALS, EXAMPLES, LOCAL, PINS, POSTGRES, WRITE_SECRET_PREFIX, jobs, parse, read_workflow,
    scripts, step_commands, step_name, steps, string_map, vpnform_commands, workflow_env,
};

/// Whether a step runs `vpnform plan` or `vpnform apply`: the commands that read every
/// pre-shared key of the desired file (`show` reads none).
pub(super) fn reads_keys(workflow: &Value, step: &Value) -> bool {
    step_commands(workflow, step)
        .iter()
        .any(|w| w[1] == "plan" || w[1] == "apply")
}

/// Whether a step writes key files into `VPNFORM_SECRETS_DIR`.
fn writes_key_files(step: &Value) -> bool {
    step["run"]
        .as_str()
        .is_some_and(|r| r.contains("> \"$VPNFORM_SECRETS_DIR/"))
}

/// Whether a step removes `VPNFORM_SECRETS_DIR`, even after a failure.
fn removes_key_files(step: &Value) -> bool {
    step["if"].as_str() == Some("always()")
        && step["run"].as_str().map(str::trim) == Some("rm -rf \"$VPNFORM_SECRETS_DIR\"")
}

/// Whether `text` has an expression that reads the `secrets` context.
fn mentions_secrets(text: &str) -> bool {
    Regex::new(r"\$\{\{[^}]*\bsecrets\b")
        .unwrap()
        .is_match(text)
}

/// `${{ secrets.NAME }}`: NAME.
fn secret_of(value: &str) -> Option<String> {
    let re = Regex::new(r"^\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}$").unwrap();
    re.captures(value).map(|c| c[1].to_owned())
}

/// The variables a step sets from secrets: variable -> secret.
fn step_secrets(step: &Value) -> BTreeMap<String, String> {
    string_map(&step["env"])
        .into_iter()
        .filter_map(|(k, v)| Some((k, secret_of(&v)?)))
        .collect()
}

/// The key variables a step sets from secrets (not vpnform's credentials).
pub(super) fn step_keys(step: &Value) -> BTreeSet<String> {
    step_secrets(step)
        .into_keys()
        .filter(|k| CREDENTIALS.iter().all(|(variable, _)| variable != k))
        .collect()
}

/// Every `uses:` names `owner/repo@<40-hex commit> # vX.Y.Z`, one of [`PINS`]; and every
/// `uses` the YAML holds is on such a line (none hides in a flow mapping).
pub(super) fn pin_problems(text: &str, workflow: &Value) -> Vec<String> {
    let line = Regex::new(r"^\s*(?:-\s+)?uses:\s*(.*?)\s*$").unwrap();
    let pinned =
        Regex::new(r"^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@([0-9a-f]{40}) # (v\d+(?:\.\d+)*)$")
            .unwrap();
    let mut problems = Vec::new();
    let mut lines = 0;
    for (n, text) in text.lines().enumerate() {
        let Some(c) = line.captures(text) else {
            continue;
        };
        lines += 1;
        let spec = &c[1];
        match pinned.captures(spec) {
            None => problems.push(format!(
                "line {}: `{spec}` is not `owner/repo@<40-hex commit> # vX.Y.Z`",
                n + 1
            )),
            Some(p) if !PINS.contains(&(&p[1], &p[2], &p[3])) => problems.push(format!(
                "line {}: `{spec}` is not a commit read from that tag (docs/ci.md lists them)",
                n + 1
            )),
            Some(_) => {}
        }
    }
    let in_yaml = jobs(workflow)
        .keys()
        .flat_map(|job| steps(workflow, job))
        .filter(|s| s.get("uses").is_some())
        .count();
    if in_yaml != lines {
        problems.push(format!(
            "{in_yaml} steps use an action, {lines} `uses:` lines were checked"
        ));
    }
    problems
}

/// Secrets are read in a step's `env:` only, one `${{ secrets.NAME }}` a variable;
/// the write secrets only in the `apply` job, which has an `environment:`; vpnform's
/// credentials from the plan secrets outside `apply` and the apply secrets in it.
fn secret_problems(workflow: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut outside_steps = workflow.clone();
    for job in outside_steps["jobs"]
        .as_object_mut()
        .expect("jobs")
        .values_mut()
    {
        job.as_object_mut().expect("a job").remove("steps");
    }
    if mentions_secrets(&serde_json::to_string(&outside_steps).unwrap()) {
        problems.push("a secret is read outside a step's env (the workflow's or a job's)".into());
    }
    for (job, body) in jobs(workflow) {
        let is_apply = job == "apply";
        if is_apply && body["environment"].is_null() {
            problems.push("job apply has no `environment:`".into());
        }
        for step in steps(workflow, job) {
            let name = step_name(step);
            let mut rest = step.clone();
            rest.as_object_mut().expect("a step").remove("env");
            if mentions_secrets(&serde_json::to_string(&rest).unwrap()) {
                problems.push(format!(
                    "job {job}, step {name:?}: a secret outside the step's env"
                ));
            }
            for (variable, value) in string_map(&step["env"]) {
                if !mentions_secrets(&value) {
                    continue;
                }
                let Some(secret) = secret_of(&value) else {
                    problems.push(format!(
                        "job {job}, step {name:?}: {variable} is not one `${{{{ secrets.NAME }}}}`"
                    ));
                    continue;
                };
                if secret.starts_with(WRITE_SECRET_PREFIX) && !is_apply {
                    problems.push(format!(
                        "job {job}, step {name:?}: reads the write secret {secret}"
                    ));
                }
                if let Some((_, suffix)) = CREDENTIALS.iter().find(|(v, _)| *v == variable) {
                    let wanted = format!(
                        "VPNFORM_{}_{suffix}",
                        if is_apply { "APPLY" } else { "PLAN" }
                    );
                    if secret != wanted {
                        problems.push(format!(
                            "job {job}, step {name:?}: {variable} comes from {secret}, not {wanted}"
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// Every `vpnform plan` is read-only: the pull request's, the re-run's, and the one the
/// apply job shows for a stale plan.
fn read_only_problems(workflow: &Value) -> Vec<String> {
    let env = workflow_env(workflow);
    scripts(workflow)
        .into_iter()
        .flat_map(|(job, step, script)| {
            vpnform_commands(&script, &env)
                .into_iter()
                .filter(|w| w[1] == "plan" && !w.iter().any(|w| w == "--read-only"))
                .map(move |w| format!("job {job}, step {step:?}: {w:?} has no --read-only"))
        })
        .collect()
}

/// The keys reach exactly the steps that read them: each step that runs `vpnform plan`
/// or `vpnform apply` has the same key variables, a step that writes key files has the
/// file secrets, no other step has any; in each job the key files are written before
/// the first such step and removed after the last, even after a failure.
fn psk_problems(workflow: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    match workflow_env(workflow).get("VPNFORM_SECRETS_DIR") {
        Some(dir) if dir.starts_with('/') => {}
        other => problems.push(format!(
            "VPNFORM_SECRETS_DIR is {other:?}, not an absolute path"
        )),
    }
    let mut env_keys: Option<BTreeSet<String>> = None;
    let mut file_keys: Option<BTreeSet<String>> = None;
    for job in jobs(workflow).keys() {
        let steps = steps(workflow, job);
        for step in steps {
            let name = step_name(step);
            let keys = step_keys(step);
            let expected = if reads_keys(workflow, step) {
                &mut env_keys
            } else if writes_key_files(step) {
                &mut file_keys
            } else {
                if !keys.is_empty() {
                    problems.push(format!(
                        "job {job}, step {name:?}: has the keys {keys:?} and reads none"
                    ));
                }
                continue;
            };
            if keys.is_empty() {
                problems.push(format!("job {job}, step {name:?}: has no key"));
            }
            match expected {
                None => *expected = Some(keys),
                Some(first) if *first != keys => problems.push(format!(
                    "job {job}, step {name:?}: has the keys {keys:?}, another step {first:?}"
                )),
                Some(_) => {}
            }
        }
        let first = steps.iter().position(|s| reads_keys(workflow, s));
        let last = steps.iter().rposition(|s| reads_keys(workflow, s));
        if let (Some(first), Some(last)) = (first, last) {
            if !steps[..first].iter().any(writes_key_files) {
                problems.push(format!(
                    "job {job}: no step writes the key files before the first plan or apply"
                ));
            }
            if !steps[last + 1..].iter().any(removes_key_files) {
                problems.push(format!(
                    "job {job}: no `if: always()` step removes the key files after the last plan or apply"
                ));
            }
        }
    }
    problems
}

/// Each job that runs vpnform installs it first with the one install step, which
/// checks the download's SHA-256 against the release's SHA256SUMS. Returns the problems
/// and the install script.
pub(super) fn install_problems(workflow: &Value) -> (Vec<String>, Option<String>) {
    let mut problems = Vec::new();
    let mut script: Option<String> = None;
    for job in jobs(workflow).keys() {
        let steps = steps(workflow, job);
        let Some(first_use) = steps
            .iter()
            .position(|s| !step_commands(workflow, s).is_empty())
        else {
            continue;
        };
        let Some(install) = steps[..first_use]
            .iter()
            .find(|s| step_name(s) == "Install vpnform")
        else {
            problems.push(format!("job {job}: vpnform runs before it is installed"));
            continue;
        };
        let run = install["run"].as_str().unwrap_or("").to_owned();
        for needed in [
            "/releases/download/v$VPNFORM_VERSION",
            "SHA256SUMS",
            "sha256sum --check --strict expected",
        ] {
            if !run.contains(needed) {
                problems.push(format!("job {job}: the install step has no `{needed}`"));
            }
        }
        match &script {
            None => script = Some(run),
            Some(first) if *first != run => problems.push(format!(
                "job {job}: another install step than the first job's"
            )),
            Some(_) => {}
        }
    }
    (problems, script)
}

/// Every rule above, for one workflow's text.
fn all_problems(relative: &str, text: &str) -> Vec<String> {
    let workflow = parse(relative, text);
    let mut problems = pin_problems(text, &workflow);
    problems.extend(secret_problems(&workflow));
    problems.extend(read_only_problems(&workflow));
    problems.extend(psk_problems(&workflow));
    problems.extend(install_problems(&workflow).0);
    problems
}

#[test]
fn both_examples_keep_the_rules() {
    let mut installs = Vec::new();
    for relative in EXAMPLES {
        let (text, workflow) = read_workflow(relative);
        assert_eq!(
            all_problems(relative, &text),
            Vec::<String>::new(),
            "{relative}"
        );
        installs.push(install_problems(&workflow).1.expect("an install step"));
        // The rules are not met vacuously: each job that plans or applies has the keys
        // and the credentials it needs.
        let env_keys: Vec<BTreeSet<String>> = jobs(&workflow)
            .keys()
            .flat_map(|job| steps(&workflow, job))
            .filter(|s| reads_keys(&workflow, s))
            .map(step_keys)
            .collect();
        assert_eq!(
            env_keys.len(),
            4,
            "{relative}: two plans, a stale plan, an apply"
        );
        assert!(env_keys.iter().all(|k| k.contains("OFFICE_PSK")));
        for (job, secret) in [
            ("plan", "VPNFORM_PLAN_ACCESS_KEY_ID"),
            ("replan", "VPNFORM_PLAN_ACCESS_KEY_ID"),
            ("apply", "VPNFORM_APPLY_ACCESS_KEY_ID"),
        ] {
            assert!(
                steps(&workflow, job)
                    .iter()
                    .any(|s| step_secrets(s).values().any(|v| v == secret)),
                "{relative}: job {job} reads no {secret}"
            );
        }
        assert_eq!(
            workflow["jobs"]["apply"]["environment"].as_str(),
            Some("production"),
            "{relative}"
        );
    }
    assert_eq!(
        installs[0], installs[1],
        "one install step in both examples"
    );
    let (text, workflow) = read_workflow(POSTGRES);
    assert!(text.contains("VPNFORM_PG_URL: ${{ secrets.VPNFORM_PLAN_PG_URL }}"));
    assert!(text.contains("VPNFORM_PG_URL: ${{ secrets.VPNFORM_APPLY_PG_URL }}"));
    assert!(
        steps(&workflow, "plan")
            .iter()
            .all(|s| !serde_json::to_string(s).unwrap().contains("APPLY")),
        "the pull request's job names no write secret"
    );
}

/// Each rule, broken once in the local example, is reported.
#[test]
fn each_rule_broken_is_caught() {
    let (text, _) = read_workflow(LOCAL);
    let checkout = "actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0";
    let plan_key = "ALIBABA_CLOUD_ACCESS_KEY_ID: ${{ secrets.VPNFORM_PLAN_ACCESS_KEY_ID }}";
    let office = "          OFFICE_PSK: ${{ secrets.OFFICE_PSK }}\n";
    let broken: [(&str, String, &str); 10] = [
        (
            "a tag instead of a commit",
            text.replacen(checkout, "actions/checkout@v4", 1),
            "is not `owner/repo@<40-hex commit> # vX.Y.Z`",
        ),
        (
            "a commit that is not the tag's",
            text.replacen(checkout, &checkout.replace("11d5960a", "11d5960b"), 1),
            "is not a commit read from that tag",
        ),
        (
            "the write key in the pull request's job",
            text.replacen(plan_key, &plan_key.replace("_PLAN_", "_APPLY_"), 1),
            "job plan, step \"Plan\": reads the write secret VPNFORM_APPLY_ACCESS_KEY_ID",
        ),
        (
            "the apply job without its environment",
            text.replacen("    environment: production\n", "", 1),
            "job apply has no `environment:`",
        ),
        (
            "a key for the whole workflow",
            text.replacen(
                "  VPNFORM_MAX_DELETES: \"5\"\n",
                "  VPNFORM_MAX_DELETES: \"5\"\n  OFFICE_PSK: ${{ secrets.OFFICE_PSK }}\n",
                1,
            ),
            "a secret is read outside a step's env",
        ),
        (
            "every secret to one step",
            text.replacen(
                "OFFICE_PSK: ${{ secrets.OFFICE_PSK }}",
                "ALL: ${{ toJSON(secrets) }}",
                1,
            ),
            "ALL is not one `${{ secrets.NAME }}`",
        ),
        (
            "a plan that prechecks",
            text.replacen(
                "          vpnform plan --read-only --no-color",
                "          vpnform plan --no-color",
                1,
            ),
            "job plan, step \"Plan\": [\"vpnform\", \"plan\", \"--no-color\"",
        ),
        (
            "the apply step without a key",
            {
                let at = text.rfind(office).unwrap();
                format!("{}{}", &text[..at], &text[at + office.len()..])
            },
            "job apply, step \"Apply the reviewed plan\": has the keys {}, another step {\"OFFICE_PSK\"}",
        ),
        (
            "a key file left behind",
            text.replacen(
                "      - name: Remove the key files\n        if: always()\n",
                "      - name: Remove the key files\n",
                1,
            ),
            "job plan: no `if: always()` step removes the key files",
        ),
        (
            "an unchecked download",
            text.replacen("sha256sum --check --strict expected", "true", 1),
            "job plan: the install step has no `sha256sum --check --strict expected`",
        ),
    ];
    for (what, text, expected) in broken {
        let problems = all_problems(LOCAL, &text);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{what}: {expected:?} not in {problems:#?}"
        );
    }
}
