//! Durations as the user writes them on the command line (`--lock-timeout 30s`,
//! `--configure-time 1s..3s`) and as vpnform prints them (a lock timeout, an elapsed
//! time, a wait that gave up). Below both `cli` and `sandbox`, which both take them. One
//! parser and one printer, so `--lock-timeout 500ms` reads `500ms` in every message that
//! repeats it, and what is printed parses back to the same value.

use std::time::Duration;

/// The longest duration a flag takes. Each is added to a clock reading somewhere (a
/// deadline, a gateway's configure end), and `Instant + 10^11 h` panics; a week is far
/// beyond any sensible wait, latency or configure time.
pub(crate) const MAX: Duration = Duration::from_secs(7 * 24 * 3600);

/// Parses `--lock-timeout` and similar: `0`, `30s`, `5m`, `1h30m`, `500ms`; at most
/// [`MAX`].
pub fn parse(text: &str) -> Result<Duration, String> {
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    let d: jiff::SignedDuration = text
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write e.g. 0, 500ms, 30s, 5m or 1h"))?;
    let d: Duration = d
        .try_into()
        .map_err(|_| format!("`{text}` is negative: a duration is 0 or more"))?;
    if d > MAX {
        return Err(format!("`{text}` is too long: at most 168h (a week)"));
    }
    Ok(d)
}

/// `d` in the units the duration flags take, largest first, zero units left out:
/// `0s`, `500ms`, `1s500ms`, `23s`, `1m5s`, `10m`, `1h30m`. Exact to the millisecond,
/// and parsed back by the duration flags to the same value.
pub(crate) fn human(d: Duration) -> String {
    if d.is_zero() {
        return "0s".to_owned();
    }
    let secs = d.as_secs();
    let parts = [
        (secs / 3600, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
        (u64::from(d.subsec_millis()), "ms"),
    ];
    let text: String = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    // Under a millisecond: still not nothing.
    if text.is_empty() {
        "1ms".to_owned()
    } else {
        text
    }
}

/// An elapsed time as Terraform prints it: whole seconds (`0s`, `23s`, `1m5s`).
pub(crate) fn elapsed(d: Duration) -> String {
    human(Duration::from_secs(d.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `--lock-timeout 500ms` was printed "up to 0s": the formatter counted
    /// whole seconds only.
    #[test]
    fn a_lock_timeout_of_500ms_was_printed_as_0s() {
        assert_eq!(human(Duration::from_millis(500)), "500ms");
    }

    #[test]
    fn every_unit_prints_and_zero_units_are_left_out() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_micros(10), "1ms"),
            (Duration::from_millis(200), "200ms"),
            (Duration::from_millis(1500), "1s500ms"),
            (Duration::from_secs(23), "23s"),
            (Duration::from_secs(65), "1m5s"),
            (Duration::from_secs(600), "10m"),
            (Duration::from_secs(5400), "1h30m"),
            (Duration::from_secs(7 * 24 * 3600), "168h"),
        ];
        for (d, text) in cases {
            assert_eq!(human(d), text, "{d:?}");
        }
    }

    #[test]
    fn elapsed_times_are_whole_seconds() {
        assert_eq!(elapsed(Duration::from_millis(300)), "0s");
        assert_eq!(elapsed(Duration::from_millis(65_900)), "1m5s");
    }

    /// What the formatter prints, the duration flags read back as the same value.
    #[test]
    fn printed_durations_parse_back() {
        for ms in [1, 200, 1500, 23_000, 65_000, 600_000, 5_400_000, 90_061_001] {
            let d = Duration::from_millis(ms);
            let parsed: jiff::SignedDuration = human(d).parse().unwrap();
            assert_eq!(Duration::try_from(parsed).unwrap(), d);
        }
    }
}
