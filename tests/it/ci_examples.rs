//! The CI workflow examples: valid YAML, and every vpnform command line in them parses.

use std::collections::BTreeMap;
use std::ffi::OsString;

use clap::{CommandFactory as _, Parser as _};
use serde_json::Value;
use vpnform::cli::Cli;

const LOCAL: &str = "examples/ci/github-actions.yml";
const POSTGRES: &str = "examples/ci/github-actions-postgres.yml";

fn read_workflow(relative: &str) -> (String, Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
    let value: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{relative}: {e}"));
    (text, value)
}

/// Every `run:` script of every job: (job, step name, script).
fn scripts(workflow: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (job, body) in workflow["jobs"].as_object().expect("jobs") {
        for step in body["steps"].as_array().expect("steps") {
            if let Some(run) = step["run"].as_str() {
                let name = step["name"].as_str().unwrap_or("").to_owned();
                out.push((job.clone(), name, run.to_owned()));
            }
        }
    }
    out
}

/// The shell words of each command line in `script` that runs vpnform, with `$NAME`
/// and `${NAME}` replaced from `env` (a `${{ ... }}` value stands for any word). A line
/// ending in `\` continues on the next; words stop at a redirection, pipe or list operator.
fn vpnform_commands(script: &str, env: &BTreeMap<String, String>) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    let mut commands = Vec::new();
    for line in joined.lines() {
        // A command starts a line or follows an operator: `&& vpnform show ...`.
        let starts = line.match_indices("vpnform ").filter(|(at, _)| {
            let before = line[..*at].trim_end();
            before.is_empty()
                || ["&&", "||", "!", ";", "|", "$(", "then", "do"]
                    .iter()
                    .any(|op| before.ends_with(op))
        });
        for (at, _) in starts {
            commands.push(command_words(&line[at + "vpnform ".len()..], env));
        }
    }
    commands
}

/// The words of one vpnform command line, `rest` being what follows `vpnform `.
fn command_words(rest: &str, env: &BTreeMap<String, String>) -> Vec<String> {
    let mut words = vec!["vpnform".to_owned()];
    for word in shell_words(rest, env) {
        if matches!(word.as_str(), "|" | ";" | "&&" | "||" | ")")
            || word.starts_with('>')
            || word.starts_with("2>")
        {
            break;
        }
        words.push(word);
    }
    words
}

/// A small POSIX-shell word splitter: quotes, `$VAR` expansion, operators as words.
fn shell_words(text: &str, env: &BTreeMap<String, String>) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    let expand = |chars: &mut std::iter::Peekable<std::str::Chars>| -> String {
        let mut name = String::new();
        if chars.peek() == Some(&'{') {
            chars.next();
            for c in chars.by_ref() {
                if c == '}' {
                    break;
                }
                name.push(c);
            }
        } else {
            while let Some(c) = chars
                .peek()
                .copied()
                .filter(|c| c.is_alphanumeric() || *c == '_')
            {
                name.push(c);
                chars.next();
            }
        }
        let value = env
            .get(&name)
            .unwrap_or_else(|| panic!("${name} is not set in the workflow's env"));
        if value.contains("${{") {
            "value".to_owned()
        } else {
            value.clone()
        }
    };
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '$' => word.push_str(&expand(&mut chars)),
                        c => word.push(c),
                    }
                }
            }
            '$' => {
                in_word = true;
                word.push_str(&expand(&mut chars));
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

fn workflow_env(workflow: &Value) -> BTreeMap<String, String> {
    workflow["env"]
        .as_object()
        .expect("a workflow-level env")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().expect("env values are strings").to_owned(),
            )
        })
        .collect()
}

/// Parses both workflows and runs every vpnform command line in them through the
/// binary's own argument parsing (Terraform spellings, then clap). Returns the commands.
fn checked_commands(relative: &str) -> Vec<Vec<String>> {
    let (_, workflow) = read_workflow(relative);
    let env = workflow_env(&workflow);
    let mut all = Vec::new();
    for (job, step, script) in scripts(&workflow) {
        for words in vpnform_commands(&script, &env) {
            let args: Vec<OsString> = words.iter().map(OsString::from).collect();
            let args = vpnform::cli::argv::terraform_spellings(&Cli::command(), args)
                .unwrap_or_else(|e| panic!("{relative}, job {job}, step {step:?}: {words:?}: {e}"));
            if let Err(e) = Cli::try_parse_from(args) {
                panic!("{relative}, job {job}, step {step:?}: {words:?} is refused:\n{e}");
            }
            all.push(words);
        }
    }
    all
}

#[test]
fn every_vpnform_command_line_in_the_workflows_is_accepted() {
    for relative in [LOCAL, POSTGRES] {
        let commands = checked_commands(relative);
        let subcommands: Vec<&str> = commands.iter().map(|w| w[1].as_str()).collect();
        for needed in ["plan", "show", "apply"] {
            assert!(
                subcommands.contains(&needed),
                "{relative}: no `vpnform {needed}` found in {subcommands:?}"
            );
        }
        // Every plan and apply is bounded.
        for words in commands
            .iter()
            .filter(|w| w[1] == "plan" || w[1] == "apply")
        {
            assert!(
                words.iter().any(|w| w == "--max-deletes"),
                "{relative}: {words:?} has no --max-deletes"
            );
        }
    }
}

#[test]
fn the_command_line_checker_catches_a_refused_flag() {
    let env = BTreeMap::from([("N".to_owned(), "5".to_owned())]);
    let words = vpnform_commands("  vpnform plan --max-deletez \"$N\" > plan.txt\n", &env);
    assert_eq!(words, [["vpnform", "plan", "--max-deletez", "5"]]);
    let args: Vec<OsString> = words[0].iter().map(OsString::from).collect();
    assert!(Cli::try_parse_from(args).is_err());
    let words = vpnform_commands("if [ -f p ] && vpnform show p > /dev/null; then", &env);
    assert_eq!(words, [["vpnform", "show", "p"]]);
}

#[test]
fn the_workflows_pin_this_version_and_keep_plans_and_applies_apart() {
    for relative in [LOCAL, POSTGRES] {
        let (text, workflow) = read_workflow(relative);
        assert!(!text.contains("OWNER"), "{relative}: a placeholder is left");
        // A saved plan runs only with the version that made it: the pin is this version.
        assert_eq!(
            workflow["env"]["VPNFORM_VERSION"].as_str(),
            Some(env!("CARGO_PKG_VERSION")),
            "{relative}"
        );
        assert!(
            text.contains("--git \"$VPNFORM_GIT\" --tag \"v$VPNFORM_VERSION\""),
            "{relative}"
        );
        let jobs = &workflow["jobs"];
        let plan = &jobs["plan"]["concurrency"];
        assert!(
            plan["group"]
                .as_str()
                .unwrap()
                .contains("github.event.pull_request.number"),
            "{relative}: plans are grouped per pull request"
        );
        assert_eq!(plan["cancel-in-progress"], Value::Bool(true), "{relative}");
        let apply = &jobs["apply"];
        assert_eq!(
            apply["environment"].as_str(),
            Some("production"),
            "{relative}"
        );
        assert_eq!(
            apply["concurrency"]["cancel-in-progress"],
            Value::Bool(false),
            "{relative}: an apply is never cancelled"
        );
        assert_ne!(apply["concurrency"]["group"], plan["group"], "{relative}");
        // Every installation is cached.
        for (job, body) in jobs.as_object().unwrap() {
            let steps = body["steps"].as_array().unwrap();
            assert!(
                steps
                    .iter()
                    .any(|s| s["uses"].as_str() == Some("actions/cache@v4")),
                "{relative}: job {job} does not cache vpnform"
            );
        }
    }
}

#[test]
fn the_local_workflow_keeps_the_state_before_pushing_and_the_postgres_one_commits_nothing() {
    let (_, workflow) = read_workflow(LOCAL);
    let steps = workflow["jobs"]["apply"]["steps"].as_array().unwrap();
    let position = |pred: &dyn Fn(&Value) -> bool| steps.iter().position(pred);
    let upload = position(&|s| {
        s["uses"].as_str() == Some("actions/upload-artifact@v4")
            && s["with"]["path"].as_str() == Some("state/vpnform.state.yaml")
    })
    .expect("the state is uploaded as an artifact");
    let push = position(&|s| s["run"].as_str().is_some_and(|r| r.contains("git push")))
        .expect("the state is pushed");
    assert!(upload < push);
    let script = steps[push]["run"].as_str().unwrap();
    for needed in [
        "git fetch origin main",
        "git rebase origin/main",
        "for attempt in",
    ] {
        assert!(script.contains(needed), "{needed}");
    }

    let (text, _) = read_workflow(POSTGRES);
    assert!(!text.contains("git push"));
    assert!(text.contains("VPNFORM_PG_URL: ${{ secrets.VPNFORM_PG_URL }}"));
    assert!(text.contains("vpnform init --migrate-state"));
}

#[test]
fn the_pr_comment_stays_under_github_s_limit_for_a_huge_plan() {
    let (_, workflow) = read_workflow(LOCAL);
    let steps = workflow["jobs"]["plan"]["steps"].as_array().unwrap();
    let script = steps
        .iter()
        .find_map(|s| s["run"].as_str().filter(|r| r.contains("gh pr comment")))
        .expect("a comment step");
    let dir = tempfile::tempdir().unwrap();
    let huge: String = (0..20_000)
        .map(|i| format!("  # ipsec_server.s{i} will be destroyed\n"))
        .collect::<String>()
        + "Plan: 0 to add, 0 to change, 20000 to destroy, 0 to adopt, 0 to forget.\n";
    std::fs::write(dir.path().join("plan.txt"), &huge).unwrap();
    std::fs::write(dir.path().join("plan.err"), "").unwrap();
    // `gh` is replaced by a function that keeps the body it would post.
    let script = format!("set -e\ngh() {{ cp \"$5\" posted.md; }}\n{script}");
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PR", "7")
        .env("HEAD_SHA", "abc123")
        .env("ARTIFACT_URL", "https://example.invalid/artifact")
        .env("RUN_URL", "https://example.invalid/run")
        .status()
        .expect("bash runs");
    assert!(status.success());
    let posted = std::fs::read_to_string(dir.path().join("posted.md")).unwrap();
    assert!(posted.chars().count() < 65_536, "{}", posted.len());
    assert!(
        posted.contains(
            "**Plan: 0 to add, 0 to change, 20000 to destroy, 0 to adopt, 0 to forget.**"
        )
    );
    assert!(posted.contains("<details><summary>Plan</summary>"));
    assert!(posted.contains("[artifact](https://example.invalid/artifact)"));
    assert!(posted.contains("... truncated: the full plan is in the artifact."));
}
