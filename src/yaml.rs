//! serde-saphyr settings shared by every YAML reader (desired state, recorded state).

/// Options for parsing `text`. serde-saphyr's default budget stops at 250,000 nodes
/// (roughly 25,000 state entries); a node takes at least one byte of input, so a budget
/// the size of the input never stops a real file while it still bounds alias expansion
/// (a "billion laughs" file is small and expands to far more nodes than its bytes).
pub fn options_for(text: &str) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = budget.max_nodes.max(text.len());
    budget.max_events = budget.max_events.max(2 * text.len());
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// A parser limit that `text` went over, in words, with the limit: serde-saphyr's own
/// message for these is its Rust debug text (`Nodes { nodes: 250001 }`).
pub(crate) fn parser_limit(text: &str, breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    let budget = crate::yaml::options_for(text).budget.unwrap_or_default();
    let over = match breach {
        B::Nodes { .. } => format!("more than {} values, lists and mappings", budget.max_nodes),
        B::Events { .. } => format!("more than {} YAML parser events", budget.max_events),
        B::Depth { .. } => format!(
            "more than {} levels of nested lists and mappings",
            budget.max_depth
        ),
        B::Aliases { .. } => format!("more than {} aliases (`*name`)", budget.max_aliases),
        B::Anchors { .. } => format!("more than {} anchors (`&name`)", budget.max_anchors),
        B::MergeKeys { .. } => format!("more than {} merge keys (`<<`)", budget.max_merge_keys),
        B::ScalarBytes { .. } => format!(
            "more than {} MiB of text in values",
            budget.max_total_scalar_bytes / (1024 * 1024)
        ),
        B::AliasAnchorRatio { .. } => {
            "too many aliases for its anchors (`*name` for `&name`)".to_owned()
        }
        _ => "more than the YAML parser allows for one file".to_owned(),
    };
    format!("the file goes over a limit of the YAML parser: {over}")
}

/// The parser limit behind `err` (through the alias or snippet it comes wrapped in), in
/// words, if a limit is what stopped the parse.
pub(crate) fn parser_limit_of(text: &str, err: &serde_saphyr::Error) -> Option<String> {
    let mut original = err;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = original
    {
        original = error;
    }
    match original {
        serde_saphyr::Error::Budget { breach, .. } => Some(parser_limit(text, breach)),
        _ => None,
    }
}

/// The most characters of a source line an error message quotes: a line of a terminal.
pub(crate) const EXCERPT_CHARS: usize = 100;

/// The most characters of a value an error message quotes.
pub(crate) const VALUE_CHARS: usize = 60;

/// A line-sized excerpt of `line` around the 1-based character `column`, and that
/// column's place in the excerpt. A line longer than [`EXCERPT_CHARS`] (a 50 MB one-line
/// value) is cut around the column, each cut shown as `…`: an error quotes a line, never
/// a file, and what it writes to stderr stays small whatever the input.
pub(crate) fn excerpt(line: &str, column: u64) -> (String, u64) {
    if line.chars().nth(EXCERPT_CHARS).is_none() {
        return (line.to_owned(), column.max(1));
    }
    let at = column.max(1) as usize - 1;
    // Only the characters up to the excerpt's end are looked at: no copy of the line.
    let start = at.saturating_sub(EXCERPT_CHARS / 3);
    let mut chars = line.chars().skip(start);
    let text: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    let cut_end = chars.next().is_some();
    let (mut shown, mut shown_column) = (String::new(), (at - start + 1) as u64);
    if start > 0 {
        shown.push('…');
        shown_column += 1;
    }
    shown.push_str(&text);
    if cut_end {
        shown.push('…');
    }
    (shown, shown_column)
}

/// `value` for quoting in a message: at most [`VALUE_CHARS`] characters, then `…` and
/// how many more there were.
pub(crate) fn shown(value: &str) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(VALUE_CHARS) {
        None => std::borrow::Cow::Borrowed(value),
        Some((cut, _)) => {
            let more = value[cut..].chars().count();
            std::borrow::Cow::Owned(format!("{}… ({more} more characters)", &value[..cut]))
        }
    }
}

/// The lines of `text` as YAML numbers them: a line break is `\r\n`, `\r` or `\n`. The
/// parser counts a lone `\r` as a break, so splitting on `\n` alone (`str::lines`)
/// would put every snippet after one on the wrong line. The last line may be empty.
pub fn source_lines(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    lines.push(&text[start..]);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_and_values_are_quoted_whole() {
        assert_eq!(excerpt("  region: x", 11), ("  region: x".to_owned(), 11));
        assert_eq!(shown("cn-hangzhou"), "cn-hangzhou");
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = format!("{}X{}", "a".repeat(1000), "b".repeat(1000));
        let (text, column) = excerpt(&line, 1001);
        assert_eq!(text.chars().count(), EXCERPT_CHARS + 2);
        assert_eq!(text.chars().nth(column as usize - 1), Some('X'));
        assert!(text.starts_with('…') && text.ends_with('…'));
        let (text, column) = excerpt(&line, 1);
        assert_eq!((text.chars().count(), column), (EXCERPT_CHARS + 1, 1));
        assert_eq!(
            shown(&"z".repeat(61)),
            format!("{}… (1 more characters)", "z".repeat(60))
        );
    }
}
