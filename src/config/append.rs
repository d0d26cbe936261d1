//! Appending entries under a kind's key (`ipsec_servers:`, `customer_gateways:`, ...)
//! for `vpnform import --write`, leaving every byte of the file as the user wrote it: the
//! new entries go after the last line of that key's block, wherever it is among the
//! top-level keys (a `backend:` appended after it, as the team recipe does, stays where
//! it is); a key the file lacks is written at its end. The block must be written as a
//! block mapping; the one exception is an empty flow mapping, `ipsec_servers: {}` (how
//! an empty desired state is written): those two characters give way to the entries.

use std::path::{Path, PathBuf};

use super::raw::{self, Node, Value};

/// Why entries cannot be appended to a desired file without rewriting it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AppendError {
    #[error(
        "{}:{line}:{column}: `{key}` is written in flow style (`{{...}}` on one line), \
         so block entries cannot be appended to it; vpnform import --write never rewrites \
         what is there. Write the entries as a block (`name:` lines indented under \
         `{key}:`) and run again, or add the printed entries by hand",
        path.display()
    )]
    Flow {
        path: PathBuf,
        /// The desired-file key whose block it is (`ipsec_servers`).
        key: &'static str,
        line: u64,
        column: u64,
    },
}

/// How to append to a file: what to cut (an empty `{}`), and at which indent entries go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppendPoint {
    /// The desired-file key the entries go under (`ipsec_servers`).
    pub key: &'static str,
    /// Byte range of an empty flow mapping `{}` to remove, if any.
    pub cut: Option<std::ops::Range<usize>>,
    /// Spaces before an entry's name (its fields go two further).
    pub indent: usize,
    /// Whether the key itself (`ipsec_servers:`) is missing and must be written first.
    pub header: bool,
    /// Byte offset of the line the entries go before, when a top-level key follows the
    /// block; `None`: at the end of the file.
    pub before: Option<usize>,
}

/// Where entries under `key` (a kind's desired-file key) go in `text` (a desired file
/// that validated).
pub(crate) fn append_point(
    path: &Path,
    text: &str,
    key: &'static str,
) -> Result<AppendPoint, AppendError> {
    let root = raw::parse(text).ok();
    let entries: &[(Node, Node)] = match root.as_ref().map(|r| &r.value) {
        Some(Value::Map(entries)) => entries,
        _ => &[],
    };
    let key_is = |k: &Node, name: &str| k.value.scalar_text().as_deref() == Some(name);
    let Some(position) = entries.iter().position(|(k, _)| key_is(k, key)) else {
        return Ok(AppendPoint {
            key,
            cut: None,
            indent: 2,
            header: true,
            before: None,
        });
    };
    let (name, value) = &entries[position];
    let flow = || AppendError::Flow {
        path: path.to_owned(),
        key,
        line: value.pos.line,
        column: value.pos.column,
    };
    let before = match entries.get(position + 1) {
        None => None,
        // A top-level mapping written in flow style (`{ipsec_servers: ..., ...}`).
        Some((next, _)) if next.pos.line <= name.pos.line => return Err(flow()),
        Some((next, _)) => {
            let end = block_end(text, name.pos.line, next.pos.line);
            Some(byte_offset(text, end + 1, 1).ok_or_else(flow)?)
        }
    };
    let indent = name.pos.column as usize - 1 + 2;
    match &value.value {
        Value::Null => Ok(AppendPoint {
            key,
            cut: None,
            indent,
            header: false,
            before,
        }),
        Value::Map(list) if list.is_empty() => {
            let start = byte_offset(text, value.pos.line, value.pos.column);
            match start {
                Some(start) if text[start..].starts_with("{}") => Ok(AppendPoint {
                    key,
                    cut: Some(start..start + 2),
                    indent,
                    header: false,
                    before,
                }),
                _ => Err(flow()),
            }
        }
        Value::Map(list) if list[0].0.pos.line > name.pos.line => Ok(AppendPoint {
            key,
            cut: None,
            indent: list[0].0.pos.column as usize - 1,
            header: false,
            before,
        }),
        _ => Err(flow()),
    }
}

/// The last line of the block that starts at line `key` and ends before the top-level
/// key at line `next` (both 1-based): blank lines and comments at the left margin
/// between them belong to what follows (a `# team backend` line above `backend:`).
fn block_end(text: &str, key: u64, next: u64) -> u64 {
    let lines = super::source_lines(text);
    (key..next)
        .rev()
        .find(|&n| {
            let line = lines.get(n as usize - 1).copied().unwrap_or_default();
            !line.trim().is_empty() && !line.starts_with('#')
        })
        .unwrap_or(key)
}

/// The byte offset of 1-based `line` and character `column` in `text`.
fn byte_offset(text: &str, line: u64, column: u64) -> Option<usize> {
    let lines = super::source_lines(text);
    let mut offset = 0;
    for (i, l) in lines.iter().enumerate() {
        if i as u64 + 1 == line {
            let within = l
                .char_indices()
                .nth(column as usize - 1)
                .map_or(l.len(), |(b, _)| b);
            return Some(offset + within);
        }
        // The line and its break (`\r\n`, `\r` or `\n`).
        offset += l.len();
        let rest = &text[offset..];
        offset += if rest.starts_with("\r\n") {
            2
        } else {
            usize::from(!rest.is_empty())
        };
    }
    None
}

/// `text` with `entries` (already indented per [`append_point`]) added at the end of
/// the block of the point's key.
pub(crate) fn appended(text: &str, point: &AppendPoint, entries: &str) -> String {
    let (head, tail) = text.split_at(point.before.unwrap_or(text.len()));
    let mut out = match &point.cut {
        Some(range) => format!("{}{}", &head[..range.start], &head[range.end..]),
        None => head.to_owned(),
    };
    if !out.is_empty() && !out.ends_with('\n') && !out.ends_with('\r') {
        out.push('\n');
    }
    if point.header {
        out.push_str(&format!("{}:\n", point.key));
    }
    out.push_str(entries);
    out.push_str(tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(text: &str) -> Result<AppendPoint, AppendError> {
        append_point(Path::new("vpnform.yaml"), text, "ipsec_servers")
    }

    #[test]
    fn a_block_mapping_at_the_end_takes_entries_at_its_indent() {
        let text = "version: 1\nipsec_servers:\n    a:\n      id: iss-a\n";
        assert_eq!(
            point(text).unwrap(),
            AppendPoint {
                key: "ipsec_servers",
                cut: None,
                indent: 4,
                header: false,
                before: None,
            }
        );
    }

    #[test]
    fn an_empty_flow_mapping_gives_way_and_nothing_else_changes() {
        let text = "version: 1\r\nipsec_servers: {}  # none yet";
        let p = point(text).unwrap();
        assert_eq!(p.indent, 2);
        assert_eq!(
            appended(text, &p, "  a:\n    id: iss-a\n"),
            "version: 1\r\nipsec_servers:   # none yet\n  a:\n    id: iss-a\n"
        );
    }

    #[test]
    fn entries_go_at_the_end_of_the_block_whatever_key_follows_it() {
        let text = "version: 1\nipsec_servers:\n  a:\n    id: iss-a\n\n# the team's state\nbackend:\n  postgres: { schema: s }\n";
        let p = point(text).unwrap();
        assert_eq!(
            appended(text, &p, "  b:\n    id: iss-b\n"),
            "version: 1\nipsec_servers:\n  a:\n    id: iss-a\n  b:\n    id: iss-b\n\n# the team's state\nbackend:\n  postgres: { schema: s }\n"
        );
        let text = "ipsec_servers: {}\nbackend:\n  postgres: { schema: s }\n";
        let p = point(text).unwrap();
        assert_eq!(
            appended(text, &p, "  b:\n    id: iss-b\n"),
            "ipsec_servers: \n  b:\n    id: iss-b\nbackend:\n  postgres: { schema: s }\n"
        );
    }

    #[test]
    fn flow_is_refused_with_the_position() {
        assert!(matches!(
            point("version: 1\nipsec_servers: {a: {id: iss-a}}\n").unwrap_err(),
            AppendError::Flow { line: 2, .. }
        ));
        assert!(matches!(
            point("{ipsec_servers: {}, version: 1}\n").unwrap_err(),
            AppendError::Flow { line: 1, .. }
        ));
    }
}
