//! Politeness: backoff with jitter, the server's `x-acs-retry-after`, and a per-action
//! AIMD rate limiter that halves on throttling and creeps back on success.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::types::{ClientOptions, RetryPolicy};

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            transient_max_attempts: 5,
            throttling_max_attempts: 8,
            transient_base: Duration::from_millis(500),
            throttling_base: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            endpoint: None,
            max_in_flight: 10,
            request_timeout: Duration::from_secs(10),
            call_deadline: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            // Alibaba documents Describe calls at about 10/s per region and account; stay
            // under that so other tools on the same account keep their share.
            requests_per_second: 8.0,
        }
    }
}

/// The wait before retry number `retry` (1 = the first retry): `base * 2^(retry-1)`,
/// capped, with "equal jitter" (half fixed, half random) so many clients that failed
/// together do not come back together, yet every wait is at least half the nominal one.
/// `random` is in `[0, 1)`.
pub fn backoff(base: Duration, cap: Duration, retry: u32, random: f64) -> Duration {
    let exp = retry.saturating_sub(1).min(30);
    let nominal = base.saturating_mul(1u32 << exp).min(cap);
    let half = nominal / 2;
    half + half.mul_f64(random.clamp(0.0, 1.0))
}

/// Reads the server's requested wait. `x-acs-retry-after` is in milliseconds: that is
/// how the official SDKs (Darabonba tea-openapi for Java, C#, Swift, TypeScript) read
/// it. Being liberal: a value with a unit (`500ms`, `2s`) is taken at its word,
/// fractions are accepted, and the standard `Retry-After` (seconds) is used when the
/// Alibaba header is absent. Non-positive or unreadable values mean "no hint".
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    get("x-acs-retry-after")
        .and_then(|v| parse_wait(v, Unit::Millis))
        .or_else(|| get("retry-after").and_then(|v| parse_wait(v, Unit::Seconds)))
}

#[derive(Clone, Copy)]
enum Unit {
    Millis,
    Seconds,
}

fn parse_wait(raw: &str, default_unit: Unit) -> Option<Duration> {
    let v = raw.trim().to_ascii_lowercase();
    let (number, unit) = if let Some(n) = v.strip_suffix("ms") {
        (n.trim(), Unit::Millis)
    } else if let Some(n) = v.strip_suffix('s') {
        (n.trim(), Unit::Seconds)
    } else {
        (v.as_str(), default_unit)
    };
    let n: f64 = number.parse().ok()?;
    if !n.is_finite() || n <= 0.0 {
        return None;
    }
    let secs = match unit {
        Unit::Millis => n / 1000.0,
        Unit::Seconds => n,
    };
    // Anything beyond a day is nonsense; the caller caps it far lower anyway.
    Some(Duration::from_secs_f64(secs.min(86_400.0)))
}

/// One action's share of the request rate, additive increase, multiplicative decrease.
#[derive(Debug)]
struct Lane {
    rate: f64,
    next_slot: Instant,
}

/// A client-side rate limiter with one lane per API action. `acquire` returns when the
/// caller may send; the lanes are independent because Alibaba's limits are per API.
#[derive(Debug)]
pub struct RateLimiter {
    ceiling: f64,
    floor: f64,
    lanes: Mutex<BTreeMap<String, Lane>>,
}

impl RateLimiter {
    pub fn new(requests_per_second: f64) -> Self {
        let ceiling = if requests_per_second.is_finite() && requests_per_second > 0.0 {
            requests_per_second
        } else {
            8.0
        };
        RateLimiter {
            ceiling,
            floor: (ceiling / 32.0).min(0.5),
            lanes: Mutex::new(BTreeMap::new()),
        }
    }

    /// Waits for this action's next slot.
    pub async fn acquire(&self, action: &str) {
        let slot = {
            let mut lanes = self.lanes.lock().expect("rate limiter lock");
            let now = Instant::now();
            let lane = lanes.entry(action.to_owned()).or_insert(Lane {
                rate: self.ceiling,
                next_slot: now,
            });
            // GCRA with a burst of one second's worth: a lane idle for a second may send
            // `rate` requests at once, and never more than `rate` a second on average.
            // Bursts keep gateways that finish together in step (one poll, one confirming
            // List and one journal write serve them all), instead of spreading their
            // deletes 1/rate apart for the rest of the run.
            let step = Duration::from_secs_f64(1.0 / lane.rate);
            let tolerance = step.mul_f64((lane.rate.floor() - 1.0).max(0.0));
            let earliest = now.checked_sub(tolerance).unwrap_or(now);
            let slot = lane.next_slot.max(earliest);
            lane.next_slot = slot + step;
            slot.max(now)
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Throttled: halve the rate, and push the next slot out by `pause` if the server
    /// asked for one, so every task on this action waits, not only the throttled one.
    pub fn throttled(&self, action: &str, pause: Option<Duration>) {
        let mut lanes = self.lanes.lock().expect("rate limiter lock");
        let now = Instant::now();
        let lane = lanes.entry(action.to_owned()).or_insert(Lane {
            rate: self.ceiling,
            next_slot: now,
        });
        lane.rate = (lane.rate / 2.0).max(self.floor);
        // No burst right after a throttle: the server said the budget is spent.
        lane.next_slot = lane.next_slot.max(now);
        if let Some(p) = pause {
            lane.next_slot = lane.next_slot.max(now + p);
        }
    }

    /// A success wins back a tenth of a request per second, up to the ceiling.
    pub fn succeeded(&self, action: &str) {
        let mut lanes = self.lanes.lock().expect("rate limiter lock");
        if let Some(lane) = lanes.get_mut(action) {
            lane.rate = (lane.rate + self.ceiling / 80.0).min(self.ceiling);
        }
    }

    /// The current rate of every action that has been used.
    pub fn rates(&self) -> BTreeMap<String, f64> {
        let lanes = self.lanes.lock().expect("rate limiter lock");
        lanes.iter().map(|(k, l)| (k.clone(), l.rate)).collect()
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};

    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters_within_bounds() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(2);
        assert_eq!(backoff(base, cap, 1, 0.0), Duration::from_millis(50));
        assert_eq!(backoff(base, cap, 1, 0.999_999).as_millis(), 99);
        assert_eq!(backoff(base, cap, 3, 0.0), Duration::from_millis(200));
        assert_eq!(backoff(base, cap, 3, 1.0), Duration::from_millis(400));
        // Capped: 100ms * 2^9 would be 51.2s.
        assert_eq!(backoff(base, cap, 10, 1.0), cap);
        assert_eq!(backoff(base, cap, 10, 0.0), cap / 2);
        // No overflow for absurd retry counts.
        assert_eq!(
            backoff(base, cap, u32::MAX, 0.5),
            Duration::from_millis(1500)
        );
        for retry in 1..40 {
            for r in [0.0, 0.3, 0.7, 0.99] {
                let d = backoff(base, cap, retry, r);
                assert!(d <= cap && d >= base.min(cap) / 2, "{retry} {r} {d:?}");
            }
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn retry_after_is_read_liberally() {
        let ms = |n| Some(Duration::from_millis(n));
        assert_eq!(
            retry_after(&headers(&[("x-acs-retry-after", "1200")])),
            ms(1200)
        );
        assert_eq!(
            retry_after(&headers(&[("x-acs-retry-after", " 80 ")])),
            ms(80)
        );
        assert_eq!(
            retry_after(&headers(&[("x-acs-retry-after", "2s")])),
            ms(2000)
        );
        assert_eq!(
            retry_after(&headers(&[("x-acs-retry-after", "250ms")])),
            ms(250)
        );
        assert_eq!(
            retry_after(&headers(&[("x-acs-retry-after", "1.5")])),
            Some(Duration::from_micros(1500))
        );
        assert_eq!(retry_after(&headers(&[("x-acs-retry-after", "0")])), None);
        assert_eq!(retry_after(&headers(&[("x-acs-retry-after", "-1")])), None);
        assert_eq!(
            retry_after(&headers(&[("x-acs-retry-after", "soon")])),
            None
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "3")])), ms(3000));
        assert_eq!(
            retry_after(&headers(&[
                ("x-acs-retry-after", "100"),
                ("retry-after", "3")
            ])),
            ms(100)
        );
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    /// Virtual time (a paused tokio clock): exact, whatever the machine is doing.
    #[tokio::test(start_paused = true)]
    async fn a_lane_keeps_its_rate_and_bursts_one_seconds_worth_after_idling() {
        let rl = RateLimiter::new(8.0);
        let start = Instant::now();
        for _ in 0..16 {
            rl.acquire("Describe").await;
        }
        // A fresh lane: the first request at once, then one every 125 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(15 * 125));

        // Idle for two seconds: eight go at once, the ninth waits its step.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let idle_end = Instant::now();
        for _ in 0..8 {
            rl.acquire("Describe").await;
        }
        assert_eq!(idle_end.elapsed(), Duration::ZERO);
        rl.acquire("Describe").await;
        assert_eq!(idle_end.elapsed(), Duration::from_millis(125));

        // Lanes are independent: another action is not held back by this one.
        let other = Instant::now();
        rl.acquire("Delete").await;
        assert_eq!(other.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_pause_holds_every_task_of_that_action_and_ends_the_burst() {
        let rl = RateLimiter::new(8.0);
        tokio::time::sleep(Duration::from_secs(2)).await;
        rl.throttled("Delete", Some(Duration::from_secs(3)));
        let start = Instant::now();
        rl.acquire("Delete").await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        // Halved to 4 a second, and no burst right after the throttle.
        rl.acquire("Delete").await;
        assert_eq!(start.elapsed(), Duration::from_millis(3250));
    }

    #[test]
    fn aimd_halves_and_recovers() {
        let rl = RateLimiter::new(8.0);
        rl.throttled("A", None);
        rl.throttled("A", None);
        assert_eq!(rl.rates()["A"], 2.0);
        for _ in 0..200 {
            rl.succeeded("A");
        }
        assert_eq!(rl.rates()["A"], 8.0);
        for _ in 0..50 {
            rl.throttled("A", None);
        }
        assert_eq!(rl.rates()["A"], 0.25);
        assert!(!rl.rates().contains_key("B"));
    }
}
