//! The request rates a run learned, kept for the next run against the same endpoint
//! (DESIGN "Request rates"): each API action then starts where the last run left it, not
//! at the modest start rate, and a wide apply does not spend its first seconds climbing.
//!
//! A cache, never the truth: the local backend keeps it in `.vpnform.rates` beside the
//! state file (`vpnform init` keeps it out of git), postgres in the schema's `rates`
//! table. It holds endpoints (without query or user), action names and numbers, never a
//! secret. Whatever is there is read carefully: at most 64 KiB (`files::RATES`), never through a
//! link, every line checked and every rate clamped to this run's bounds (`--max-rate`);
//! a file that cannot be read or parsed is ignored with a warning in `-v`, and the run
//! starts as if there were none. Writing it is best effort too: a run never fails on it.

use crate::cloud::{Client, LearnedRate};
use crate::state::Backend;

/// The file's name in the local state directory.
pub(crate) const FILE: &str = crate::state::RATES_FILE;

/// The most lines kept: the endpoints used most recently win.
const MAX_LINES: usize = 512;

const HEADER: &str = "# vpnform: request rates learned from the cloud's answers, per endpoint and API action.\n\
# A cache: no secret, safe to delete, never committed. ENDPOINT ACTION RATE open|limited\n";

/// One line: `ENDPOINT ACTION RATE open|limited`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) endpoint: String,
    pub(crate) action: String,
    pub(crate) learned: LearnedRate,
}

/// The entries of `bytes`, and how many lines were not entries (skipped). Text that is
/// not UTF-8 is no entries at all.
pub(crate) fn parse(bytes: &[u8]) -> Result<(Vec<Entry>, usize), &'static str> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text")?;
    let mut entries = Vec::new();
    let mut skipped = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match entry(line) {
            Some(e) if entries.len() < MAX_LINES => entries.push(e),
            _ => skipped += 1,
        }
    }
    Ok((entries, skipped))
}

fn entry(line: &str) -> Option<Entry> {
    let mut fields = line.split_ascii_whitespace();
    let (endpoint, action, rate, kind) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if fields.next().is_some()
        || endpoint.len() > 256
        || !endpoint.chars().all(|c| c.is_ascii_graphic())
        || action.is_empty()
        || action.len() > 64
        || !action.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let rate: f64 = rate.parse().ok()?;
    if !rate.is_finite() || rate <= 0.0 {
        return None;
    }
    let limited = match kind {
        "open" => false,
        "limited" => true,
        _ => return None,
    };
    Some(Entry {
        endpoint: endpoint.to_owned(),
        action: action.to_owned(),
        learned: LearnedRate { rate, limited },
    })
}

/// The file's text: `ours` first (this run's endpoint), then the others kept.
pub(crate) fn render(entries: &[Entry]) -> String {
    let mut out = HEADER.to_owned();
    for e in entries.iter().take(MAX_LINES) {
        out.push_str(&format!(
            "{} {} {} {}\n",
            e.endpoint,
            e.action,
            rate_text(e.learned.rate),
            if e.learned.limited { "limited" } else { "open" }
        ));
    }
    out
}

/// A rate as the file holds it and `-v` shows it: at most three decimals.
fn rate_text(rate: f64) -> String {
    format!("{}", (rate * 1000.0).round() / 1000.0)
}

/// The entries stored in `backend`; empty, with a warning in `-v`, when there are none
/// that can be used.
fn stored(backend: &dyn Backend) -> Vec<Entry> {
    let bytes = match backend.read_rates() {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Vec::new(),
        Err(why) => {
            tracing::warn!("the learned request rates are ignored: {why}");
            return Vec::new();
        }
    };
    match parse(&bytes) {
        Ok((entries, skipped)) => {
            if skipped > 0 {
                tracing::warn!(
                    "{skipped} line(s) of the learned request rates are not rates and are ignored"
                );
            }
            entries
        }
        Err(why) => {
            tracing::warn!("the learned request rates are ignored: {why}");
            Vec::new()
        }
    }
}

/// Starts each of `client`'s actions from the rate learned for its endpoint, if any.
pub(crate) fn start(backend: &dyn Backend, client: &Client) {
    let endpoint = client.endpoint_key();
    for e in stored(backend)
        .into_iter()
        .filter(|e| e.endpoint == endpoint)
    {
        if let Some(rate) = client.start_from(&e.action, e.learned) {
            tracing::debug!(
                action = e.action.as_str(),
                rate,
                "{} starts at {} requests a second, as an earlier run against this endpoint learned",
                e.action,
                rate_text(rate)
            );
        }
    }
}

/// Keeps what `client` learned for its endpoint, beside the other endpoints' entries.
pub(crate) fn save(backend: &dyn Backend, client: &Client) {
    let learned = client.learned_rates();
    if learned.is_empty() {
        return;
    }
    let endpoint = client.endpoint_key();
    let mut entries: Vec<Entry> = learned
        .into_iter()
        .map(|(action, learned)| Entry {
            endpoint: endpoint.clone(),
            action,
            learned,
        })
        .collect();
    entries.extend(
        stored(backend)
            .into_iter()
            .filter(|e| e.endpoint != endpoint),
    );
    if let Err(why) = backend.write_rates(render(&entries).as_bytes()) {
        tracing::warn!("the learned request rates were not kept: {why}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(endpoint: &str, action: &str, rate: f64, limited: bool) -> Entry {
        Entry {
            endpoint: endpoint.into(),
            action: action.into(),
            learned: LearnedRate { rate, limited },
        }
    }

    #[test]
    fn entries_round_trip() {
        let entries = vec![
            e("http://127.0.0.1:8080/", "DeleteIpsecServer", 512.25, false),
            e("regional", "ListIpsecServers", 38.7, true),
        ];
        let (back, skipped) = parse(render(&entries).as_bytes()).unwrap();
        assert_eq!((back, skipped), (entries, 0));
    }

    #[test]
    fn garbage_is_skipped_line_by_line_and_binary_is_refused() {
        let text = "\
regional DeleteIpsecServer 40 open
regional DeleteIpsecServer NaN open
regional DeleteIpsecServer inf open
regional DeleteIpsecServer -5 open
regional DeleteIpsecServer 0 limited
regional Delete;rm 40 open
regional DeleteIpsecServer 40 maybe
regional DeleteIpsecServer 40 open extra
regional DeleteIpsecServer
";
        let (entries, skipped) = parse(text.as_bytes()).unwrap();
        assert_eq!(entries, [e("regional", "DeleteIpsecServer", 40.0, false)]);
        assert_eq!(skipped, 8);
        assert!(parse(&[0xff, 0xfe, 0x00, 0x41]).is_err());
        let long = format!("{} A 1 open\n", "x".repeat(300));
        assert_eq!(parse(long.as_bytes()).unwrap(), (vec![], 1));
    }

    #[test]
    fn at_most_max_lines_are_kept() {
        let text = "regional A 1 open\n".repeat(MAX_LINES + 10);
        let (entries, skipped) = parse(text.as_bytes()).unwrap();
        assert_eq!((entries.len(), skipped), (MAX_LINES, 10));
    }
}
