//! Injected failures and rate limits: what the real API does to a client on a bad day.
//!
//! Each request draws once from the seeded generator; the probabilities of the failure
//! kinds add up (a draw lands in at most one), and added latency draws on its own.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};

/// Probabilities (0.0..=1.0) of each injected failure, per request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// 500 `InternalError` before any effect.
    pub internal_error: f64,
    /// 503 `ServiceUnavailable` before any effect.
    pub unavailable: f64,
    /// 400 `Throttling.User` before any effect.
    pub throttle: f64,
    /// The effect is applied, then the connection is dropped without an answer.
    pub lost_drop: f64,
    /// The effect is applied, then the answer is 500 `InternalError`.
    pub lost_500: f64,
    /// Probability of `latency_extra` added before the request is handled.
    pub latency: f64,
    pub latency_extra: Duration,
}

impl Faults {
    /// `--fault-rate R`: R spread evenly over the five failure kinds, and 250ms of added
    /// latency with probability R.
    pub fn mixed(rate: f64) -> Faults {
        Faults {
            internal_error: rate / 5.0,
            unavailable: rate / 5.0,
            throttle: rate / 5.0,
            lost_drop: rate / 5.0,
            lost_500: rate / 5.0,
            latency: rate,
            latency_extra: Duration::from_millis(250),
        }
    }

    pub(crate) fn is_none(&self) -> bool {
        *self == Faults::default() || (self.total() == 0.0 && self.latency == 0.0)
    }

    fn total(&self) -> f64 {
        self.internal_error + self.unavailable + self.throttle + self.lost_drop + self.lost_500
    }
}

/// The failure one request drew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    InternalError,
    Unavailable,
    Throttle,
    LostDrop,
    Lost500,
}

impl Fault {
    /// Whether the effect happens before the failure.
    pub(crate) fn after_effect(self) -> bool {
        matches!(self, Fault::LostDrop | Fault::Lost500)
    }
}

/// What one request drew: an optional failure and an optional added latency.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Draw {
    pub(crate) fault: Option<Fault>,
    pub(crate) latency: Duration,
}

/// The seeded generator behind faults and configure times.
#[derive(Debug)]
pub(crate) struct Dice {
    rng: StdRng,
}

impl Dice {
    pub(crate) fn new(seed: u64) -> Self {
        Dice {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    pub(crate) fn draw(&mut self, faults: &Faults) -> Draw {
        if faults.is_none() {
            return Draw::default();
        }
        let x: f64 = self.rng.random();
        let kinds = [
            (faults.internal_error, Fault::InternalError),
            (faults.unavailable, Fault::Unavailable),
            (faults.throttle, Fault::Throttle),
            (faults.lost_drop, Fault::LostDrop),
            (faults.lost_500, Fault::Lost500),
        ];
        let mut edge = 0.0;
        let mut fault = None;
        for (p, kind) in kinds {
            edge += p;
            if x < edge {
                fault = Some(kind);
                break;
            }
        }
        let y: f64 = self.rng.random();
        let latency = if y < faults.latency {
            faults.latency_extra
        } else {
            Duration::ZERO
        };
        Draw { fault, latency }
    }

    /// A configure time in `min..=max`.
    pub(crate) fn configure_time(&mut self, (min, max): (Duration, Duration)) -> Duration {
        if max <= min {
            return min;
        }
        let nanos = self
            .rng
            .random_range(min.as_nanos() as u64..=max.as_nanos() as u64);
        Duration::from_nanos(nanos)
    }
}

/// A scripted answer: the next `times` calls of `action` (of any action when `None`)
/// are answered `status` `code`, with `x-acs-retry-after` when `retry_after` is set.
/// With `after_effect` the action runs first (its effect is applied, its answer lost),
/// like a cloud that did the work and then reported a busy or throttled state. Any code
/// the real API gives can so be produced on demand, deterministically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    pub action: Option<String>,
    pub status: u16,
    pub code: String,
    pub retry_after: Option<Duration>,
    pub after_effect: bool,
    pub times: u32,
}

impl Injection {
    /// `[ACTION:]STATUS:CODE[:RETRY_AFTER_MS][xN]`, e.g. `DeleteIpsecServer:400:VpnTask.CONFLICT`
    /// or `503:ServiceUnavailable:800x3` (`--inject`).
    pub(crate) fn parse(text: &str) -> Result<Injection, String> {
        let usage = || {
            format!(
                "--inject `{text}`: write [ACTION:]STATUS:CODE[:RETRY_AFTER_MS][xN], \
                 e.g. DeleteIpsecServer:400:VpnTask.CONFLICT or 400:Throttling.Api:500x3"
            )
        };
        let (body, times) = match text.rsplit_once('x') {
            Some((b, n)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => {
                (b, n.parse::<u32>().map_err(|_| usage())?)
            }
            _ => (text, 1),
        };
        let mut parts: Vec<&str> = body.split(':').collect();
        let action = match parts.first() {
            Some(p) if p.parse::<u16>().is_err() => Some(parts.remove(0).to_owned()),
            _ => None,
        };
        let (status, code, retry_after) = match parts.as_slice() {
            [s, c] => (*s, *c, None),
            [s, c, ms] => (*s, *c, Some(*ms)),
            _ => return Err(usage()),
        };
        let status: u16 = status
            .parse()
            .ok()
            .filter(|s| (400..600).contains(s))
            .ok_or_else(usage)?;
        let retry_after = match retry_after {
            Some(ms) => Some(Duration::from_millis(ms.parse().map_err(|_| usage())?)),
            None => None,
        };
        if code.is_empty() || times == 0 {
            return Err(usage());
        }
        Ok(Injection {
            action,
            status,
            code: code.to_owned(),
            retry_after,
            after_effect: false,
            times,
        })
    }
}

/// Takes one use of the first injection that matches `action`.
pub(crate) fn take_injection(injections: &mut Vec<Injection>, action: &str) -> Option<Injection> {
    let i = injections
        .iter()
        .position(|j| j.action.as_deref().is_none_or(|a| a == action))?;
    let taken = injections[i].clone();
    injections[i].times -= 1;
    if injections[i].times == 0 {
        injections.remove(i);
    }
    Some(taken)
}

/// Requests per second allowed per action (a token bucket each, burst = one second's
/// worth). Over the limit: 400 `Throttling.User` with `x-acs-retry-after`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateLimits {
    /// Limits for every action not named in `per_action`.
    pub default_per_second: Option<f64>,
    pub per_action: BTreeMap<String, f64>,
}

impl RateLimits {
    fn rate(&self, action: &str) -> Option<f64> {
        self.per_action
            .get(action)
            .copied()
            .or(self.default_per_second)
            .filter(|r| *r > 0.0)
    }
}

/// The token buckets, one per action.
#[derive(Debug, Default)]
pub(crate) struct Buckets {
    buckets: BTreeMap<String, (f64, Instant)>,
}

impl Buckets {
    /// Takes a token for `action`, or says how long until one is free.
    pub(crate) fn take(
        &mut self,
        limits: &RateLimits,
        action: &str,
        now: Instant,
    ) -> Result<(), Duration> {
        let Some(rate) = limits.rate(action) else {
            return Ok(());
        };
        let burst = rate.max(1.0);
        let (tokens, last) = self
            .buckets
            .entry(action.to_owned())
            .or_insert((burst, now));
        let refilled =
            (*tokens + now.saturating_duration_since(*last).as_secs_f64() * rate).min(burst);
        *last = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            // A tiny rate names a wait longer than a `Duration` holds: an hour is plenty.
            let wait = Duration::try_from_secs_f64((1.0 - refilled) / rate)
                .unwrap_or(Duration::MAX)
                .min(Duration::from_secs(3600));
            Err(wait)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injections_parse_and_are_used_up_in_order() {
        let j = Injection::parse("DeleteIpsecServer:400:VpnTask.CONFLICT").unwrap();
        assert_eq!(j.action.as_deref(), Some("DeleteIpsecServer"));
        assert_eq!(
            (j.status, j.code.as_str(), j.times),
            (400, "VpnTask.CONFLICT", 1)
        );
        let k = Injection::parse("503:ServiceUnavailable:800x3").unwrap();
        assert_eq!(k.action, None);
        assert_eq!(k.retry_after, Some(Duration::from_millis(800)));
        assert_eq!(k.times, 3);
        assert!(Injection::parse("200:Fine").is_err());
        assert!(Injection::parse("Delete:400").is_err());
        assert!(Injection::parse("400:X:soon").is_err());

        let mut list = vec![j, k];
        assert_eq!(
            take_injection(&mut list, "ListIpsecServers")
                .unwrap()
                .status,
            503
        );
        assert_eq!(
            take_injection(&mut list, "DeleteIpsecServer")
                .unwrap()
                .status,
            400
        );
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].times, 2);
    }
}
