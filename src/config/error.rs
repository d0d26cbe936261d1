//! What can be wrong with a desired-state file, and how it is shown: each problem is a
//! [`Diagnostic`] that points into the file (`vpnform.yaml:7:5`), quotes the offending
//! line with a caret under the place, and says what to do, as rustc and cargo do.

use std::path::PathBuf;

/// Why the desired state could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file does not exist.
    #[error(
        "the desired-state file {} does not exist\n  = help: create it, or point at another file with `--desired FILE`",
        path.display()
    )]
    NotFound { path: PathBuf },

    /// The file exists but could not be read.
    #[error("cannot read the desired-state file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Not a regular file: a FIFO (which would block), a device, a directory.
    #[error(
        "the desired-state file {} is {kind}, not a regular file; vpnform reads it only from a regular file\n  = help: pass the path of the file itself, or `--desired -` to read it from standard input",
        path.display()
    )]
    NotRegular { path: PathBuf, kind: &'static str },

    /// The file is larger than vpnform reads (or never ends: a device, a pipe).
    #[error(
        "the desired-state file {} is larger than {} MiB, the most vpnform reads\n  = help: check that `--desired` names your desired-state file; 100,000 servers take about 11 MiB",
        path.display(),
        limit / (1024 * 1024)
    )]
    TooLarge { path: PathBuf, limit: u64 },

    /// The file was read but is not a valid desired state: every problem found, sorted by
    /// position.
    #[error("{}", render_all(path, diagnostics))]
    Invalid {
        path: PathBuf,
        diagnostics: Vec<Diagnostic>,
    },
}

impl ConfigError {
    /// The problems found in the file (empty when the file could not be read at all).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ConfigError::Invalid { diagnostics, .. } => diagnostics,
            _ => &[],
        }
    }
}

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line of the place the problem is about.
    pub line: u64,
    /// 1-based column (in characters) of that place.
    pub column: u64,
    pub message: String,
    /// The places to show: the first is the primary one (`^`), others give context (`-`).
    pub labels: Vec<Label>,
    /// What to do about it, one line each.
    pub help: Vec<String>,
}

/// A place in the file shown under a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub line: u64,
    pub column: u64,
    /// How many characters to underline (at least one is).
    pub width: u64,
    pub primary: bool,
    /// Said after the underline; may be empty.
    pub text: String,
    /// The text of line `line` as in the file, or a line-sized excerpt of it around
    /// the column when the line is long ([`crate::yaml::excerpt`]).
    pub source_line: String,
    /// Where `column` is in `source_line` (1-based characters).
    pub source_column: u64,
}

impl Diagnostic {
    /// Renders the diagnostic without the leading `error: `, which the caller's error
    /// channel adds.
    pub fn render(&self, path: &std::path::Path) -> String {
        // The message, label texts and helps are one line each by construction; a value
        // quoted in them (a string with a `\n` in it) must not make another.
        use crate::ui::one_line;
        let mut out = format!(
            "{}:{}:{}: {}",
            path.display(),
            self.line,
            self.column,
            one_line(&self.message)
        );
        let mut labels: Vec<&Label> = self.labels.iter().collect();
        labels.sort_by_key(|l| (l.line, l.column));
        let gutter = labels
            .iter()
            .map(|l| l.line.to_string().len())
            .max()
            .unwrap_or(1);
        let pad = " ".repeat(gutter);
        if !labels.is_empty() {
            out.push_str(&format!("\n{pad} |"));
        }
        let mut previous_line: Option<u64> = None;
        for label in &labels {
            if previous_line != Some(label.line) {
                if let Some(prev) = previous_line
                    && label.line > prev + 1
                {
                    out.push_str(&format!("\n{pad} ..."));
                }
                let source = label.source_line.trim_end();
                if source.is_empty() {
                    out.push_str(&format!("\n{:>gutter$} |", label.line));
                } else {
                    out.push_str(&format!("\n{:>gutter$} | {source}", label.line));
                }
            }
            previous_line = Some(label.line);
            out.push_str(&format!("\n{pad} | {}", underline(label)));
        }
        for help in &self.help {
            out.push_str(&format!("\n{pad} = help: {}", one_line(help)));
        }
        out
    }
}

/// The line under a source line: blanks up to the column (tabs kept, so that the mark
/// lines up with tab-indented text), then `^^^` or `---` and the label's text.
fn underline(label: &Label) -> String {
    let chars: Vec<char> = label.source_line.trim_end().chars().collect();
    let start = (label.source_column.max(1) - 1) as usize;
    let mut text: String = chars
        .iter()
        .take(start)
        .map(|c| if *c == '\t' { '\t' } else { ' ' })
        .collect();
    // A value's span can run past its line (a mapping, a folded string): underline only
    // what is on this line.
    let room = chars.len().saturating_sub(start);
    let width = (label.width as usize).min(room).max(1);
    let mark = if label.primary { '^' } else { '-' };
    text.extend(std::iter::repeat_n(mark, width));
    if !label.text.is_empty() {
        text.push(' ');
        text.push_str(&crate::ui::one_line(&label.text));
    }
    text
}

/// Every diagnostic, each after the first on its own `error: ` paragraph (the first gets
/// its `error: ` from the error channel), then a count when there are several.
fn render_all(path: &std::path::Path, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, diagnostic) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\nerror: ");
        }
        out.push_str(&diagnostic.render(path));
    }
    if diagnostics.len() > 1 {
        out.push_str(&format!(
            "\n\nerror: {} has {} errors",
            path.display(),
            diagnostics.len()
        ));
    }
    out
}
