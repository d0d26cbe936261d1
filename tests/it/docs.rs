//! The documentation's examples, run: every console block of README.md and docs/ that is
//! marked `<!-- tested: ... -->` runs in a `bash` session in a copy of the repository's
//! `examples/` and `state/`, with the binary under test first on PATH, and its output
//! (stdout and stderr together, as a terminal shows them) must be the block's, whole,
//! after the same filters on both sides. Also: no console block that uses the sandbox
//! and shows output goes untested, and the pages' relative links resolve.
//! docs/testing.md describes the marking for writers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Workspace, assert_text, bin};

/// The line that marks a block as run by this test.
const MARK: &str = "<!-- tested:";

/// The pages whose marked blocks the tests below run. A page that gains a marked block
/// needs its test here (checked by `every_page_with_tested_examples_is_run`).
const RUN: &[&str] = &[
    "docs/credentials.md",
    "docs/onboarding.md",
    "docs/plan-and-apply.md",
    "docs/quickstart.md",
    "docs/sandbox.md",
];

/// The quickstart rehearsal, exactly as README.md gives it and docs/quickstart.md
/// shows it: one create, one update in place, four deletes (a chain of three) and an
/// adopt, rehearsed; the real state untouched.
#[test]
fn quickstart_rehearsal_creates_updates_deletes_and_adopts_as_the_docs_say() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.contains(
            "$ cargo run -- apply --sandbox --desired examples/quickstart.yaml --auto-approve\n"
        ),
        "README.md gives the quickstart's command"
    );
    let (ws, outputs) = run_page("docs/quickstart.md");
    // The chain is deleted dependents first: compare the order of the unsorted output.
    let transcript = outputs.concat();
    let at = |line: &str| {
        transcript
            .find(line)
            .unwrap_or_else(|| panic!("{line}: {transcript}"))
    };
    assert!(at("lab_ci: Destruction complete") < at("lab_monitoring: Destroying"));
    assert!(at("lab_monitoring: Destruction complete") < at("lab: Destroying"));
    // The filters hide every `+serial:`; the plan's own diff is exact: one more.
    assert!(
        transcript.contains("\n-serial: 12\n+serial: 13\n"),
        "{transcript}"
    );
    assert_eq!(
        ws.read("state/vpnform.state.yaml"),
        std::fs::read_to_string(repo().join("state/vpnform.state.yaml")).unwrap()
    );
}

/// docs/onboarding.md: a served sandbox with three unmanaged servers, a desired file that
/// manages none, its RAM policy, import, a saved plan of three adopts, its apply, and no
/// changes after.
#[test]
fn onboarding_steps_run_against_the_sandbox_as_the_docs_show() {
    let (ws, _) = run_page("docs/onboarding.md");
    let state = ws.read("infra/state/vpnform.state.yaml");
    for address in [
        "ipsec_server.office:",
        "ipsec_server.s_2nd_floor:",
        "ipsec_server.sh-branch:",
    ] {
        assert!(state.contains(address), "{address} recorded: {state}");
    }
}

/// docs/sandbox.md: `sandbox serve` on a free port, its shell lines, and a plan against
/// it.
#[test]
fn sandbox_serve_example_runs_as_the_docs_show() {
    run_page("docs/sandbox.md");
}

/// docs/plan-and-apply.md: an offline plan of a `moved` entry; a `--read-only` plan
/// against a served sandbox, saved, and its apply (which runs the deferred prechecks
/// first).
#[test]
fn read_only_plan_example_runs_as_the_docs_show() {
    run_page("docs/plan-and-apply.md");
}

/// docs/credentials.md: `vpnform policy --plan` and `--apply` for the quickstart's file.
#[test]
fn policy_examples_print_what_the_docs_show() {
    run_page("docs/credentials.md");
}

#[test]
fn every_page_with_tested_examples_is_run() {
    let marked: BTreeSet<String> = pages()
        .into_iter()
        .filter(|(_, text)| blocks(text).iter().any(|b| b.marked))
        .map(|(page, _)| page)
        .collect();
    let run: BTreeSet<String> = RUN.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        marked, run,
        "pages with marked blocks vs the pages tests/it/docs.rs runs (RUN)"
    );
}

/// A console block that reaches the sandbox (`--sandbox`, `sandbox serve`, its env file)
/// and shows what it prints is a claim about the output: it must be run. A block of
/// commands alone (what to type, no output shown) claims nothing and needs no mark.
#[test]
fn every_console_block_that_uses_the_sandbox_and_shows_output_is_tested() {
    let mut untested = Vec::new();
    for (page, text) in pages() {
        for block in blocks(&text) {
            let uses_sandbox = block.lines.iter().any(|l| {
                l.starts_with("$ ")
                    && (l.contains("--sandbox")
                        || l.contains("sandbox serve")
                        || l.contains("sandbox.env"))
            });
            let shows_output = block
                .lines
                .iter()
                .any(|l| !l.starts_with("$ ") && !l.trim().is_empty());
            if block.lang == "console" && uses_sandbox && shows_output && !block.marked {
                untested.push(format!("{page}:{}", block.line));
            }
        }
    }
    assert!(
        untested.is_empty(),
        "console blocks that run against the sandbox and show output, not marked `{MARK} ...`: {untested:?}"
    );
}

/// Every relative link of README.md and docs/ names a file that exists, and a heading
/// of that file where it has an anchor (`page.md#heading`, GitHub's slugs).
#[test]
fn relative_links_of_the_pages_resolve() {
    let link = regex::Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let mut broken = Vec::new();
    for (page, text) in pages() {
        let dir = Path::new(&page).parent().unwrap_or(Path::new(""));
        for (n, line) in prose_lines(&text) {
            for found in link.captures_iter(line) {
                let target = &found[1];
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (file, anchor) = match target.split_once('#') {
                    Some((file, anchor)) => (file, Some(anchor)),
                    None => (target, None),
                };
                let path = if file.is_empty() {
                    PathBuf::from(&page)
                } else {
                    normalize(&dir.join(file))
                };
                let full = repo().join(&path);
                if !full.exists() {
                    broken.push(format!("{page}:{n}: {target}: no file {}", path.display()));
                    continue;
                }
                if let Some(anchor) = anchor {
                    let target_text = std::fs::read_to_string(&full).unwrap_or_default();
                    if !headings(&target_text).contains(anchor) {
                        broken.push(format!("{page}:{n}: {target}: no such heading"));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links: {broken:#?}");
}

/// Runs the marked blocks of `page` in order in one bash session and compares each with
/// what it printed; returns the workspace and each block's output, unfiltered.
fn run_page(page: &str) -> (Workspace, Vec<String>) {
    let text = std::fs::read_to_string(repo().join(page)).unwrap();
    let marked: Vec<Block> = blocks(&text).into_iter().filter(|b| b.marked).collect();
    assert!(!marked.is_empty(), "{page} has no marked block");
    let ws = Workspace::new();
    for dir in ["examples", "state"] {
        copy_dir(&repo().join(dir), &ws.path().join(dir));
    }
    let script = script(&marked);
    let outputs = run_script(&ws, &script, marked.len());
    for (block, output) in marked.iter().zip(&outputs) {
        let expected = block
            .lines
            .iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>();
        assert_text(
            &format!("{page}:{} (a marked console block)", block.line),
            "output",
            &filter(&expected),
            &filter(output),
        );
    }
    (ws, outputs)
}

/// Separates the blocks' outputs: printed after each block.
const END_OF_BLOCK: &str = "@@ end of a documentation block @@";

/// Each `$ ` line echoed as the terminal shows it, then run; a separator after each
/// block; the background jobs (a served sandbox) stopped at the end.
fn script(blocks: &[Block]) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut script = String::new();
    for block in blocks {
        for line in &block.lines {
            if let Some(command) = line.strip_prefix("$ ") {
                script.push_str(&format!("printf '%s\\n' {}\n{command}\n", quote(line)));
            }
        }
        script.push_str(&format!("printf '%s\\n' {}\n", quote(END_OF_BLOCK)));
    }
    script.push_str("kill $(jobs -p) 2>/dev/null; wait\n");
    script
}

/// Runs `script` with bash in the workspace: stdout and stderr into one file (so the
/// lines interleave as on a terminal), a clean environment, the binary's directory first
/// on PATH; in its own process group, killed whole at the end or after a timeout.
fn run_script(ws: &Workspace, script: &str, blocks: usize) -> Vec<String> {
    use std::os::unix::process::CommandExt as _;
    let dir = tempfile::tempdir().unwrap();
    let script_path = dir.path().join("script.sh");
    std::fs::write(&script_path, script).unwrap();
    let out_path = dir.path().join("output");
    let out = std::fs::File::create(&out_path).unwrap();
    let bin_dir = bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("bash")
        .arg(&script_path)
        .current_dir(ws.path())
        .env_clear()
        .env("PATH", path)
        .env("HOME", ws.path().join("home"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .process_group(0)
        .spawn()
        .expect("run bash");
    let group = child.id();
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Whatever is left of the session (a sandbox the script did not stop) goes too.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
    let output = std::fs::read_to_string(&out_path).unwrap();
    assert!(
        status.is_some(),
        "the examples did not finish in 300 s:\n{output}"
    );
    let mut parts: Vec<String> = output
        .split(&format!("{END_OF_BLOCK}\n"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        parts.len(),
        blocks + 1,
        "one output per block, then nothing:\n{output}"
    );
    let rest = parts.pop().unwrap();
    assert_eq!(rest, "", "output after the last block:\n{output}");
    parts
}

/// What differs from run to run, rewritten the same way in the page and in the output:
/// RequestIds, times, loopback ports, elapsed seconds, the rehearsal's final serial; and
/// runs of progress lines (`ipsec_server.NAME: ...`, whose order depends on timing)
/// sorted.
fn filter(text: &str) -> String {
    let rules = [
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
            "[TIME]",
        ),
        (
            r"\b[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\b",
            "[REQUEST_ID]",
        ),
        (r"\b127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"\bafter \d+s\b", "after [DURATION]"),
        (r"(?m)^\+serial: \d+$", "+serial: [SERIAL]"),
    ];
    let text = rules.iter().fold(text.to_owned(), |text, (pattern, to)| {
        regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&text, *to)
            .into_owned()
    });
    let progress = regex::Regex::new(r"^[a-z_]+\.[A-Za-z0-9_-]+: ").unwrap();
    let mut out = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    for line in text.split_inclusive('\n') {
        if progress.is_match(line) {
            run.push(line);
            continue;
        }
        run.sort_unstable();
        out.append(&mut run);
        out.push(line);
    }
    run.sort_unstable();
    out.append(&mut run);
    out.concat()
}

/// A fenced block of a page.
struct Block {
    /// The line of its opening fence, from 1.
    line: usize,
    lang: String,
    /// The line before the fence is the mark.
    marked: bool,
    lines: Vec<String>,
}

/// The fenced blocks of a Markdown text (a fence of N backticks closes on a line of at
/// least N; blocks inside a longer fence are its text, not blocks).
fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let ticks = trimmed.chars().take_while(|c| *c == '`').count();
        if ticks >= 3 {
            let indent = lines[i].len() - trimmed.len();
            let lang = trimmed[ticks..].trim().to_owned();
            let marked = i > 0 && lines[i - 1].trim_start().starts_with(MARK);
            let mut body = Vec::new();
            let mut j = i + 1;
            while j < lines.len() {
                let t = lines[j].trim();
                if t.len() >= ticks && t.chars().all(|c| c == '`') {
                    break;
                }
                body.push(
                    lines[j]
                        .get(indent..)
                        .unwrap_or(lines[j].trim_start())
                        .to_owned(),
                );
                j += 1;
            }
            blocks.push(Block {
                line: i + 1,
                lang,
                marked,
                lines: body,
            });
            i = j + 1;
        } else {
            i += 1;
        }
    }
    blocks
}

/// The lines of a Markdown text outside fenced blocks, numbered from 1.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<usize> = None;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        let ticks = t.chars().take_while(|c| *c == '`').count();
        match fence {
            Some(open) if ticks >= open && t.chars().all(|c| c == '`') => fence = None,
            Some(_) => {}
            None if ticks >= 3 => fence = Some(ticks),
            None => out.push((n + 1, line)),
        }
    }
    out
}

/// The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces
/// as hyphens.
fn headings(text: &str) -> BTreeSet<String> {
    prose_lines(text)
        .into_iter()
        .filter_map(|(_, line)| line.strip_prefix('#'))
        .map(|heading| {
            heading
                .trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

/// README.md and every page under docs/, by path from the repository's root.
fn pages() -> BTreeMap<String, String> {
    let mut pages = BTreeMap::new();
    let mut dirs = vec![PathBuf::from("docs")];
    pages.insert(
        "README.md".to_owned(),
        std::fs::read_to_string(repo().join("README.md")).unwrap(),
    );
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(repo().join(&dir)).unwrap() {
            let entry = entry.unwrap();
            let relative = dir.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                dirs.push(relative);
            } else if relative.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                pages.insert(relative.to_string_lossy().into_owned(), text);
            }
        }
    }
    pages
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `a/../b` as `b`: links are written relative to their page.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
