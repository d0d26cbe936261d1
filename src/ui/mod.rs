//! The one output channel. The plan (and `--json` events) go to stdout; progress, logs,
//! warnings and errors to stderr. Both are anstream streams, so colour follows
//! `--no-color`, `NO_COLOR` and whether the stream is a terminal, and pipes get plain
//! text. Nothing else in the crate prints.

use std::io::{IsTerminal, Write};

use anstream::{AutoStream, ColorChoice};

pub(crate) mod progress;

/// Styles used across the output, in one place.
pub(crate) mod style {
    use anstyle::{AnsiColor, Style};

    pub(crate) const ERROR: Style = AnsiColor::Red.on_default().bold();
    pub(crate) const WARNING: Style = AnsiColor::Yellow.on_default().bold();
    pub(crate) const DELETE: Style = AnsiColor::Red.on_default();
    pub(crate) const ADD: Style = AnsiColor::Green.on_default();
    pub(crate) const CHANGE: Style = AnsiColor::Yellow.on_default();
    pub(crate) const BOLD: Style = Style::new().bold();
    pub(crate) const DIM: Style = Style::new().dimmed();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    Quiet,
    Normal,
    Verbose,
    Debug,
}

#[derive(Debug, Clone)]
pub struct Ui {
    color: ColorChoice,
    verbosity: Verbosity,
}

impl Ui {
    pub(crate) fn new(no_color: bool, verbosity: Verbosity) -> Self {
        let color = if no_color {
            ColorChoice::Never
        } else {
            // Auto honours NO_COLOR, CLICOLOR_FORCE and whether the stream is a terminal.
            ColorChoice::Auto
        };
        Ui { color, verbosity }
    }

    pub(crate) fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// Standard output: the plan, rendered documents, `--json` events.
    pub(crate) fn stdout(&self) -> AutoStream<std::io::Stdout> {
        AutoStream::new(std::io::stdout(), self.color)
    }

    /// Standard error: progress, logs, warnings, errors, prompts.
    pub(crate) fn stderr(&self) -> AutoStream<std::io::Stderr> {
        AutoStream::new(std::io::stderr(), self.color)
    }

    /// Whether stderr is an interactive terminal (progress bars, prompts).
    pub(crate) fn stderr_is_terminal(&self) -> bool {
        std::io::stderr().is_terminal()
    }

    /// Writes `text` to stdout as is.
    pub(crate) fn out(&self, text: &str) {
        let mut out = self.stdout();
        // A closed pipe (`vpnform plan | head`) is not an error worth a panic.
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// A progress or status line on stderr, unless `-q`.
    pub(crate) fn status(&self, line: &str) {
        if self.verbosity > Verbosity::Quiet {
            let _ = writeln!(self.stderr(), "{line}");
        }
    }

    /// `warning: ...` on stderr (shown even with `-q`).
    pub(crate) fn warn(&self, message: &str) {
        let s = style::WARNING;
        let _ = writeln!(self.stderr(), "{s}warning{s:#}: {}", printable(message));
    }

    /// `error: ...` then one `Caused by:` line per source, as cargo prints them.
    pub(crate) fn error(&self, err: &anyhow::Error) {
        let _ = self
            .stderr()
            .write_all(render_error(err, self.color != ColorChoice::Never).as_bytes());
    }
}

/// Now, as every `@timestamp` of the `--json` output and every time a view prints:
/// RFC 3339 UTC with microseconds, as Terraform writes them. One function, one precision.
pub(crate) fn timestamp() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// The text of an error chain: `error: top`, then `Caused by:` and each cause indented.
pub fn render_error(err: &anyhow::Error, color: bool) -> String {
    let (s, r) = if color {
        (
            style::ERROR.render().to_string(),
            style::ERROR.render_reset().to_string(),
        )
    } else {
        (String::new(), String::new())
    };
    let mut text = format!("{s}error{r}: {}\n", printable(&err.to_string()));
    let mut causes = err.chain().skip(1).peekable();
    if causes.peek().is_some() {
        text.push_str("\nCaused by:\n");
        for cause in causes {
            for line in cause.to_string().lines() {
                text.push_str("  ");
                text.push_str(&printable(line));
                text.push('\n');
            }
        }
    }
    text
}

/// `text` with every control character but line breaks and tabs shown as `\u{fffd}`.
/// Errors quote the user's files (a snippet of a corrupted state file, a value with an
/// escape in it): an ESC from there must not reach a colour terminal, where it would be
/// an escape sequence, and a NUL dropped by the pipe's stripping would shift the caret.
/// Bidirectional overrides (U+202E turns `iss-abc` into what reads as another id) and
/// the Unicode line and paragraph separators (U+2028, U+2029: a line break to some
/// terminals and viewers) are shown the same way.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if (c.is_control() && c != '\n' && c != '\t') || is_invisible_layout(c) {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// [`printable`] for text that must stay on one line: a value or an API message quoted
/// inside a message, where a line break from a file or a server would start what reads
/// as a line of vpnform's own (a forged `error:` or `Apply complete!`).
pub(crate) fn one_line(text: &str) -> String {
    printable(text)
        .chars()
        .map(|c| if c == '\n' { '\u{fffd}' } else { c })
        .collect()
}

/// Characters that change how text around them is laid out without showing: the
/// bidirectional marks, embeddings, overrides and isolates, and the line and
/// paragraph separators.
fn is_invisible_layout(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            | '\u{2028}' | '\u{2029}'
    )
}

/// `2.5`, `40`: a rate with one decimal where it has one.
pub(crate) fn format_rate(rate: f64) -> String {
    let r = (rate * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a control character quoted from a file (an ESC in a corrupted state
    /// file's line) went to the terminal as is.
    /// Regression: U+202E (right-to-left override) and U+2028 (line separator) from a
    /// file or an API message reached the terminal; a newline in a quoted value started
    /// a line that looked like vpnform's own.
    #[test]
    fn bidi_overrides_and_line_separators_reached_the_terminal() {
        assert_eq!(
            printable("a\u{202e}b\u{2028}c\u{2029}d\u{2066}e\u{200f}f\ng"),
            "a\u{fffd}b\u{fffd}c\u{fffd}d\u{fffd}e\u{fffd}f\ng"
        );
        assert_eq!(
            one_line("x\nerror: forged\r\n"),
            "x\u{fffd}error: forged\u{fffd}\u{fffd}"
        );
    }

    #[test]
    fn control_characters_from_files_reached_the_terminal() {
        let err = anyhow::anyhow!("f:1:6: bad\n1 | a\u{1b}]0;x\u{7}b\0c\r\n  |  \t^");
        assert_eq!(
            render_error(&err, false),
            "error: f:1:6: bad\n1 | a\u{fffd}]0;x\u{fffd}b\u{fffd}c\u{fffd}\n  |  \t^\n"
        );
    }
}
