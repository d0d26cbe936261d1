//! Runs a workflow's `run:` steps as a GitHub runner does, for the tests that execute
//! the scripts rather than read them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::Value;

use super::{step_name, steps, string_map};

/// Runs a workflow's `run:` steps as a GitHub runner does: the workflow's, the job's and
/// the step's `env` (each `${{ ... }}` from `expressions`, which must know every one it
/// meets), the script under `bash --noprofile --norc -eo pipefail`, in `dir`, with
/// GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_PATH and RUNNER_TEMP; then `overrides`
/// (what stands for the runner: VPNFORM_ENDPOINT to reach the sandbox, the one variable
/// the workflows do not set). vpnform on PATH is the binary under test.
pub(super) struct Runner {
    pub(super) workflow: Value,
    pub(super) dir: PathBuf,
    pub(super) temp: tempfile::TempDir,
    pub(super) expressions: BTreeMap<String, String>,
    pub(super) overrides: Vec<(String, String)>,
}

/// What a step did: its exit code, its output, and what it wrote to GITHUB_OUTPUT.
#[derive(Debug)]
pub(super) struct StepRun {
    pub(super) code: i32,
    pub(super) output: String,
    pub(super) outputs: BTreeMap<String, String>,
}

impl Runner {
    pub(super) fn new(workflow: Value, dir: &Path) -> Runner {
        Runner {
            workflow,
            dir: dir.to_owned(),
            temp: tempfile::tempdir().unwrap(),
            expressions: BTreeMap::new(),
            overrides: Vec::new(),
        }
    }

    pub(super) fn expression(&mut self, expression: &str, value: &str) {
        self.expressions
            .insert(expression.to_owned(), value.to_owned());
    }

    fn evaluate(&self, text: &str, at: &str) -> String {
        let re = Regex::new(r"\$\{\{\s*(.*?)\s*\}\}").unwrap();
        re.replace_all(text, |c: &regex::Captures| {
            self.expressions
                .get(&c[1])
                .unwrap_or_else(|| panic!("{at}: no value for `{}`", &c[1]))
                .clone()
        })
        .into_owned()
    }

    pub(super) fn step(&self, job: &str, name: &str) -> StepRun {
        let step = steps(&self.workflow, job)
            .iter()
            .find(|s| step_name(s) == name)
            .unwrap_or_else(|| panic!("job {job} has no step {name:?}"));
        let at = format!("job {job}, step {name:?}");
        let script = step["run"].as_str().expect("a run step");
        let output_file = self.temp.path().join("output");
        std::fs::write(&output_file, "").unwrap();
        let bin_dir = crate::support::bin().parent().unwrap().to_owned();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = std::process::Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(&self.dir)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.temp.path().join("home"))
            .env("RUNNER_TEMP", self.temp.path().join("runner"))
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", self.temp.path().join("summary.md"))
            .env("GITHUB_PATH", self.temp.path().join("path"))
            .stdin(std::process::Stdio::null());
        for env in [
            &self.workflow["env"],
            &self.workflow["jobs"][job]["env"],
            &step["env"],
        ] {
            for (k, v) in string_map(env) {
                command.env(k, self.evaluate(&v, &at));
            }
        }
        for (k, v) in &self.overrides {
            command.env(k, v);
        }
        std::fs::create_dir_all(self.temp.path().join("runner")).unwrap();
        let out = command.output().expect("bash runs");
        let outputs = std::fs::read_to_string(&output_file)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        StepRun {
            code: out.status.code().unwrap_or(-1),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            outputs,
        }
    }

    /// Runs step `name` of `job`, which must succeed.
    pub(super) fn ok(&self, job: &str, name: &str) -> StepRun {
        let run = self.step(job, name);
        assert_eq!(run.code, 0, "job {job}, step {name:?}: {}", run.output);
        run
    }

    /// Runs every `run:` step of `job` in order but the install (tested on its own) and
    /// `skipped`; each must succeed. Returns each step's run by name.
    pub(super) fn job(&self, job: &str, skipped: &[&str]) -> BTreeMap<String, StepRun> {
        let names: Vec<String> = steps(&self.workflow, job)
            .iter()
            .filter(|s| s.get("run").is_some())
            .map(step_name)
            .filter(|n| n != "Install vpnform" && !skipped.contains(&n.as_str()))
            .collect();
        names
            .into_iter()
            .map(|name| {
                let run = self.ok(job, &name);
                (name, run)
            })
            .collect()
    }
}
