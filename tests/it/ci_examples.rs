//! The CI workflows: the two examples a team copies (examples/ci) and vpnform's own
//! release workflow (.github/workflows/release.yml). Each parses as YAML and keeps the
//! rules docs/ci.md states: every `uses:` pinned to a commit with its tag; the write key
//! and the owner's database URL read only by the `apply` job, which has an
//! `environment:`; every `vpnform plan` read-only; the pre-shared keys in exactly the
//! steps that read them; every install checked against SHA256SUMS. Each rule is a
//! function that lists what breaks it, and a test breaks each rule once to see it caught.
//!
//! Beyond reading them, the scripts run: the install step against a release packed by
//! the release workflow's own steps, and both examples' jobs, step by step as a runner
//! would, against the sandbox on 127.0.0.1 (and, for the postgres example, the test
//! PostgreSQL with the read-only role docs/ci.md grants).
//!
//! `rules.rs` holds the rules and the test that breaks each; `runner.rs` runs a
//! workflow's steps as a runner would; `release.rs` the release workflow and the
//! install step; `rehearsal.rs` the examples' jobs against the sandbox.

mod rehearsal;
mod release;
mod rules;
mod runner;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;

use clap::{CommandFactory as _, Parser as _};
use regex::Regex;
use serde_json::Value;
use vpnform::cli::Cli;

const LOCAL: &str = "examples/ci/github-actions.yml";
const POSTGRES: &str = "examples/ci/github-actions-postgres.yml";
const EXAMPLES: [&str; 2] = [LOCAL, POSTGRES];
const RELEASE: &str = ".github/workflows/release.yml";
const DOCS: &str = "docs/ci.md";

/// Each pinned action, its commit and the tag that commit was read from (the tags of
/// the action's repository); docs/ci.md lists the same.
const PINS: [(&str, &str, &str); 4] = [
    (
        "actions/checkout",
        "11d5960a326750d5838078e36cf38b85af677262",
        "v4.4.0",
    ),
    (
        "actions/upload-artifact",
        "ea165f8d65b6e75b540449e92b4886f43607fa02",
        "v4.6.2",
    ),
    (
        "actions/download-artifact",
        "d3f86a106a0bac45b974a628896c90dbdf5c8093",
        "v4.3.0",
    ),
    (
        "actions/github-script",
        "f28e40c7f34bde8b3046d885e986cb6290c5673b",
        "v7.1.0",
    ),
];

/// The secrets only the `apply` job may read: the write key and the owner's URL.
const WRITE_SECRET_PREFIX: &str = "VPNFORM_APPLY_";

/// vpnform's credential variables: from the plan secrets outside `apply`, from the
/// apply secrets in it. Every other variable a step sets from a secret is a key.
const CREDENTIALS: [(&str, &str); 3] = [
    ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ACCESS_KEY_ID"),
    ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ACCESS_KEY_SECRET"),
    ("VPNFORM_PG_URL", "PG_URL"),
];

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn parse(relative: &str, text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn read_workflow(relative: &str) -> (String, Value) {
    let text = read(relative);
    let value = parse(relative, &text);
    (text, value)
}

fn jobs(workflow: &Value) -> &serde_json::Map<String, Value> {
    workflow["jobs"].as_object().expect("jobs")
}

fn steps<'a>(workflow: &'a Value, job: &str) -> &'a Vec<Value> {
    workflow["jobs"][job]["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("job {job} has steps"))
}

fn step_name(step: &Value) -> String {
    step["name"]
        .as_str()
        .or(step["uses"].as_str())
        .unwrap_or("")
        .to_owned()
}

/// Every `run:` script of every job: (job, step name, script).
fn scripts(workflow: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for job in jobs(workflow).keys() {
        for step in steps(workflow, job) {
            if let Some(run) = step["run"].as_str() {
                out.push((job.clone(), step_name(step), run.to_owned()));
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

/// A mapping of strings (an `env:`), as a map; absent: empty.
fn string_map(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn workflow_env(workflow: &Value) -> BTreeMap<String, String> {
    string_map(&workflow["env"])
}

/// The vpnform commands of one step.
fn step_commands(workflow: &Value, step: &Value) -> Vec<Vec<String>> {
    step["run"]
        .as_str()
        .map(|run| vpnform_commands(run, &workflow_env(workflow)))
        .unwrap_or_default()
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
    for relative in EXAMPLES {
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
        // The pull request's plan is saved where the upload and the apply find it.
        assert!(
            commands
                .iter()
                .any(|w| w[1..].windows(2).any(|p| p == ["--out", "plan.json"])),
            "{relative}"
        );
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
fn the_examples_pin_this_version_and_keep_plans_and_applies_apart() {
    for relative in EXAMPLES {
        let (text, workflow) = read_workflow(relative);
        assert!(!text.contains("OWNER"), "{relative}: a placeholder is left");
        assert!(
            !text.contains("cargo install"),
            "{relative}: built, not installed"
        );
        // A saved plan runs only with the version that made it: the pin is this version.
        assert_eq!(
            workflow["env"]["VPNFORM_VERSION"].as_str(),
            Some(env!("CARGO_PKG_VERSION")),
            "{relative}"
        );
        assert_eq!(
            workflow["env"]["VPNFORM_REPO"].as_str(),
            Some("${{ vars.VPNFORM_REPO }}"),
            "{relative}"
        );
        let jobs = &workflow["jobs"];
        // Secrets are not given to a fork's pull request: the plan job says so itself.
        assert!(
            jobs["plan"]["if"]
                .as_str()
                .unwrap()
                .contains("github.event.pull_request.head.repo.full_name == github.repository"),
            "{relative}"
        );
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
            apply["concurrency"]["cancel-in-progress"],
            Value::Bool(false),
            "{relative}: an apply is never cancelled"
        );
        assert_ne!(apply["concurrency"]["group"], plan["group"], "{relative}");
        assert_eq!(
            jobs["plan"]["permissions"],
            serde_json::json!({"contents": "read", "pull-requests": "write"}),
            "{relative}"
        );
    }
}

#[test]
fn the_local_workflow_keeps_the_state_before_pushing_and_the_postgres_one_commits_nothing() {
    let (_, workflow) = read_workflow(LOCAL);
    let steps = steps(&workflow, "apply");
    let position = |pred: &dyn Fn(&Value) -> bool| steps.iter().position(pred);
    let upload = position(&|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
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

    let (text, workflow) = read_workflow(POSTGRES);
    assert!(!text.contains("git push"));
    assert!(text.contains("vpnform init --migrate-state"));
    assert_eq!(
        workflow["jobs"]["apply"]["permissions"]["contents"].as_str(),
        Some("read")
    );
}

/// Every secret and the variable the examples read are in docs/ci.md's table, and so is
/// every pin.
#[test]
fn docs_ci_names_every_secret_and_pin() {
    let docs = read(DOCS);
    let names = Regex::new(r"\$\{\{\s*(?:secrets|vars)\.([A-Za-z0-9_]+)\s*\}\}").unwrap();
    for relative in EXAMPLES {
        let (text, _) = read_workflow(relative);
        for c in names.captures_iter(&text) {
            assert!(
                docs.contains(&format!("`{}`", &c[1])),
                "{relative} reads {}, which docs/ci.md does not name",
                &c[1]
            );
        }
    }
    for (action, commit, tag) in PINS {
        assert!(
            docs.contains(&format!("| `{action}` | {tag} | `{commit}` |")),
            "{action}"
        );
    }
}
