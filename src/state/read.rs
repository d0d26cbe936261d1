//! Reading `vpnform.state.yaml`: bounded, UTF-8, parsed, then validated.
//!
//! A state file that cannot be read is never overwritten: every reader returns an error
//! that names the file and position (see [`super::validate`] for the checks serde cannot
//! do).

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::error::{StateError, snippet};
use super::{STATE_VERSION, State, state_path};

/// Reads and validates the state in `dir`. `Ok(None)` when there is no state file (or
/// no directory): nothing is managed yet.
pub fn read(dir: &Path) -> Result<Option<State>, StateError> {
    crate::files::check_dir_path(dir, super::STATE_DIR)?;
    let path = state_path(dir);
    match read_file(&path) {
        Ok((state, _)) => Ok(Some(state)),
        Err(StateError::File(e)) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads and validates the state file at `path` (a regular file, through a link, at
/// most [`crate::files::STATE`]'s limit); also returns its bytes as read.
pub fn read_file(path: &Path) -> Result<(State, Vec<u8>), StateError> {
    let bytes = crate::files::read(path, crate::files::STATE)?;
    let state = parse(path, utf8(path, &bytes)?)?;
    Ok((state, bytes))
}

/// The text of a state file, or an error at the first byte that is not UTF-8.
fn utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, StateError> {
    let err = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(err) => err,
    };
    let at = err.valid_up_to();
    let valid = std::str::from_utf8(&bytes[..at]).expect("valid up to here");
    // Lines as the YAML parser numbers them, so the position matches its other errors.
    let lines = crate::yaml::source_lines(valid);
    let line = lines.len().max(1) as u64;
    let column = lines.last().map_or(0, |l| l.chars().count()) as u64 + 1;
    let text = String::from_utf8_lossy(bytes);
    Err(StateError::NotUtf8 {
        path: path.to_path_buf(),
        line,
        column,
        byte: bytes[at],
        snippet: snippet(&text, line, column),
    })
}

/// Parses and validates the text of a state file; `path` is for messages.
pub fn parse(path: &Path, source: &str) -> Result<State, StateError> {
    if source.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    }) {
        return Err(StateError::Empty {
            path: path.to_path_buf(),
        });
    }
    // One parse on the happy path: the version probe (a second whole-file parse) runs
    // only when the full parse fails or finds another version, to say which.
    let state: State =
        match serde_saphyr::from_str_with_options(source, crate::yaml::options_for(source)) {
            Ok(state) => state,
            Err(e) => {
                check_version(path, source)?;
                super::validate::check_addresses(path, source)?;
                return Err(parse_error(path, source, &e));
            }
        };
    if state.version != STATE_VERSION {
        check_version(path, source)?;
    }
    super::validate::validate(path, source, &state)?;
    // Only a file that parses gets here: a cut mid-value is reported with its place.
    check_whole(path, source)?;
    Ok(state)
}

/// A cut at a line boundary still parses (`serial: 12` cut to `serial: 1`, an entry
/// dropped), so the shape vpnform always writes is checked: a final newline, and the
/// `pending:` key, which comes last.
fn check_whole(path: &Path, source: &str) -> Result<(), StateError> {
    let why = if !source.ends_with('\n') {
        "it does not end with a newline"
    } else if !source.lines().any(|l| l.starts_with("pending:")) {
        "it has no top-level `pending:` key"
    } else {
        return Ok(());
    };
    Err(StateError::Truncated {
        path: path.to_path_buf(),
        why,
    })
}

/// The version is checked before the full parse, so that a newer vpnform's file (which
/// may have fields this one does not know) says "newer", not "unknown field".
fn check_version(path: &Path, source: &str) -> Result<(), StateError> {
    #[derive(Deserialize)]
    struct Probe {
        version: Option<Spanned<u64>>,
    }
    // A probe that fails (syntax error, version not a number) leaves the full parse to
    // report it with its own position.
    let Ok(Probe {
        version: Some(version),
    }) = serde_saphyr::from_str_with_options::<Probe>(source, crate::yaml::options_for(source))
    else {
        return Ok(());
    };
    let found = version.value;
    let (line, column) = (version.referenced.line(), version.referenced.column());
    let path = path.to_path_buf();
    let snippet = snippet(source, line, column);
    if found > u64::from(STATE_VERSION) {
        Err(StateError::NewerVersion {
            path,
            line,
            column,
            found,
            snippet,
        })
    } else if found != u64::from(STATE_VERSION) {
        Err(StateError::UnsupportedVersion {
            path,
            line,
            column,
            found,
            snippet,
        })
    } else {
        Ok(())
    }
}

fn parse_error(path: &Path, source: &str, err: &serde_saphyr::Error) -> StateError {
    let (line, column) = err
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    // The user-facing formatter: the default one gives advice to the programmer
    // ("use Option<String>").
    // A parser limit in words (serde-saphyr's own text for it is Rust debug output).
    let message = crate::yaml::parser_limit_of(source, err).unwrap_or_else(|| {
        let mut message = err
            .without_snippet()
            .render_with_formatter(&serde_saphyr::UserMessageFormatter);
        // serde-saphyr appends the position in prose; ours is in front as file:line:column.
        if let Some(at) = message.rfind(" at line ") {
            message.truncate(at);
        }
        message
    });
    StateError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
        snippet: snippet(source, line, column),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_dir_or_file_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(&dir.path().join("nope")).unwrap(), None);
        assert_eq!(read(dir.path()).unwrap(), None);
    }
}
