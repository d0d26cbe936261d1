//! The test builder: a workspace in a temp dir, the real binary run in it, and what the
//! run must print compared whole (after [`Filter`]s for times, ids and paths), in the
//! style of just's `Test`:
//!
//! ```ignore
//! ws.vpnform(&["plan", "--offline"]).code(2).stdout(PLAN).stderr("").run();
//! ```
//!
//! The sandbox the runs reach, served in-process, is [`Cloud`] (`support/cloud.rs`); the
//! state files they start from are built with [`state_file`] (`support/state.rs`).

#![allow(dead_code)]

mod cloud;
pub mod pg;
mod state;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use cloud::{Cloud, Seen, Wire, configuring, param, serve, world_of};
pub use state::{LINEAGE, ipsec_server, read_state, state_file};

pub struct Workspace {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Workspace {
    pub fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().expect("temp dir"),
            env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `relative` (parents created).
    pub fn file(self, relative: &str, contents: &str) -> Self {
        self.write(relative, contents);
        self
    }

    pub fn write(&self, relative: &str, contents: &str) {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, contents).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(relative))
            .unwrap_or_else(|e| panic!("reading {relative}: {e}"))
    }

    pub fn exists(&self, relative: &str) -> bool {
        self.dir.path().join(relative).exists()
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// A command for the real binary, run in the workspace with a clean environment:
    /// HOME points into the workspace, no colour, no credentials from the host.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_via(&[], args)
    }

    /// [`Workspace::command`] run through `wrapper` (a program and its arguments, such
    /// as `strace -o FILE`), which is given the binary's path and `args`.
    pub fn command_via(&self, wrapper: &[&str], args: &[&str]) -> Command {
        let mut cmd = match wrapper {
            [] => Command::new(bin()),
            [program, wrapper_args @ ..] => {
                let mut cmd = Command::new(program);
                cmd.args(wrapper_args).arg(bin());
                cmd
            }
        };
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path().join("home"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// A run of the binary to describe and check: expects exit code 0 and empty stdout
    /// and stderr unless told otherwise.
    pub fn vpnform<'a>(&'a self, args: &[&str]) -> Run<'a> {
        Run {
            ws: self,
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
            stdin: None,
            code: 0,
            stdout: Some(String::new()),
            stderr: Some(String::new()),
            filters: Filter::defaults(self),
        }
    }

    /// The sandbox's endpoint and key pair in this workspace's environment.
    pub fn against(mut self, cloud: &Cloud) -> Self {
        for (key, value) in cloud.env() {
            self = self.env(key, &value);
        }
        self
    }

    /// Runs the binary to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().expect("run vpnform");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs the binary to completion with `input` on its standard input.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write as _;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run vpnform");
        // A run that exits before reading its input closes the pipe: not the test's error.
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        let out = child.wait_with_output().expect("run vpnform");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Cloud {
    /// A workspace with a desired file and a state file whose runs reach this sandbox.
    pub fn workspace(&self, state: &str, desired: &str) -> Workspace {
        Workspace::new()
            .file("vpnform.yaml", desired)
            .file("state/vpnform.state.yaml", state)
            .against(self)
    }
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vpnform"))
}

/// One run of the binary and what it must print, compared whole. `run` panics with a
/// diff on the first stream that differs (code, then stdout, then stderr).
#[must_use = "nothing runs until `.run()`"]
pub struct Run<'a> {
    ws: &'a Workspace,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
    code: i32,
    /// None: not compared (say why at the call).
    stdout: Option<String>,
    stderr: Option<String>,
    filters: Vec<Filter>,
}

impl Run<'_> {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.into());
        self
    }

    pub fn code(mut self, code: i32) -> Self {
        self.code = code;
        self
    }

    pub fn stdout(mut self, expected: impl Into<String>) -> Self {
        self.stdout = Some(expected.into());
        self
    }

    pub fn stderr(mut self, expected: impl Into<String>) -> Self {
        self.stderr = Some(expected.into());
        self
    }

    /// Leaves stdout unchecked here: for output asserted another way (parsed JSON).
    pub fn any_stdout(mut self) -> Self {
        self.stdout = None;
        self
    }

    /// Leaves stderr unchecked here: for progress whose order is not deterministic.
    pub fn any_stderr(mut self) -> Self {
        self.stderr = None;
        self
    }

    /// Replaces every match of `pattern` by `replacement` in both streams before the
    /// comparison (after the default filters).
    pub fn filter(mut self, pattern: &str, replacement: &str) -> Self {
        self.filters.push(Filter::new(pattern, replacement));
        self
    }

    /// Durations (`0.3s`, `250ms`, `1m2s`) become `[DURATION]`.
    pub fn filter_durations(self) -> Self {
        self.filter(r"\b(\d+m)?\d+(\.\d+)?(ms|s)\b|\b\d+m\b", "[DURATION]")
    }

    /// Runs the binary, compares, and returns the unfiltered output.
    pub fn run(self) -> Output {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut cmd = self.ws.command(&args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = match &self.stdin {
            None => cmd.output().expect("run vpnform"),
            Some(input) => {
                use std::io::Write as _;
                let mut child = cmd
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("run vpnform");
                // A run that exits before reading its input closes the pipe.
                let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
                child.wait_with_output().expect("run vpnform")
            }
        };
        let out = Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let stdout = apply_filters(&self.filters, &out.stdout);
        let stderr = apply_filters(&self.filters, &out.stderr);
        let command = format!("vpnform {}", self.args.join(" "));
        if out.code != self.code {
            panic!(
                "{command}: exit code {} (expected {})\n--- stdout\n{stdout}--- stderr\n{stderr}",
                out.code, self.code
            );
        }
        if let Some(expected) = &self.stdout {
            assert_text(&command, "stdout", expected, &stdout);
        }
        if let Some(expected) = &self.stderr {
            assert_text(&command, "stderr", expected, &stderr);
        }
        out
    }
}

/// Panics with a line diff when `actual` is not `expected`.
pub fn assert_text(what: &str, stream: &str, expected: &str, actual: &str) {
    if expected == actual {
        return;
    }
    let diff = similar::TextDiff::from_lines(expected, actual);
    panic!(
        "{what}: {stream} differs (- expected, + actual):\n{}\n--- whole {stream}\n{actual}",
        diff.unified_diff().context_radius(3)
    );
}

/// A rewrite of output that differs from run to run, so the rest compares exactly.
pub struct Filter {
    pattern: regex::Regex,
    replacement: String,
}

impl Filter {
    pub fn new(pattern: &str, replacement: &str) -> Filter {
        Filter {
            pattern: regex::Regex::new(pattern).unwrap_or_else(|e| panic!("filter {pattern}: {e}")),
            replacement: replacement.into(),
        }
    }

    /// The workspace's path, RFC 3339 times, RequestIds (upper-case UUIDs) and loopback
    /// ports (the sandbox's). Durations are filtered only when asked ([`Run::filter_durations`]):
    /// many messages state one on purpose.
    fn defaults(ws: &Workspace) -> Vec<Filter> {
        let mut filters = Vec::new();
        for path in [ws.path().to_path_buf(), ws.path().canonicalize().unwrap()] {
            filters.push(Filter::new(&regex::escape(&path.to_string_lossy()), "[WS]"));
        }
        filters.extend([
            Filter::new(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
                "[TIME]",
            ),
            Filter::new(
                r"\b[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\b",
                "[REQUEST_ID]",
            ),
            Filter::new(r"\b127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        ]);
        filters
    }
}

pub fn apply_filters(filters: &[Filter], text: &str) -> String {
    filters.iter().fold(text.to_owned(), |text, f| {
        f.pattern
            .replace_all(&text, f.replacement.as_str())
            .into_owned()
    })
}
