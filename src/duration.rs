//! Durations as the user writes them on the command line (`--lock-timeout 30s`,
//! `--configure-time 1s..3s`). Below both `cli` and `sandbox`, which both take them.

use std::time::Duration;

/// The longest duration a flag takes. Each is added to a clock reading somewhere (a
/// deadline, a gateway's configure end), and `Instant + 10^11 h` panics; a week is far
/// beyond any sensible wait, latency or configure time.
pub const MAX: Duration = Duration::from_secs(7 * 24 * 3600);

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
