//! Politeness: backoff with jitter, the server's `x-acs-retry-after`, and a per-action
//! rate limiter that discovers the cloud's limit: it starts modestly, rises fast while
//! nothing is throttled, halves on throttling and probes gently after.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The default ceiling per API action, requests a second (`--max-rate`). Far above any
/// per-action limit Alibaba documents for the VPC and VPN Gateway APIs (30 to 1,200 a
/// minute per region, API and account; raised quotas go higher): the cloud's
/// throttling is what stops a lane's rise, never this. BENCHMARKS.md: against an
/// unlimited sandbox 100 held 1,000 deletes to 100 a second (13.8 s), 1,000 lets them
/// run at the discovery's own pace; against a limit of 40 a second it changes nothing.
pub(crate) const DEFAULT_MAX_RATE: f64 = 1000.0;

/// The default bound on requests in flight (`--parallelism`): at the sandbox's 20ms a
/// request, 10 in flight cap the client near 500 requests a second in all, which the
/// status polls and deletes of 1,000 gateways reach (BENCHMARKS.md: 10.4 s with 10,
/// 7.5 s with 50); against the real cloud's limits a few are ever in flight.
pub(crate) const DEFAULT_PARALLELISM: usize = 50;

/// The wait before retry number `retry` (1 = the first retry): `base * 2^(retry-1)`,
/// capped, with "equal jitter" (half fixed, half random) so many clients that failed
/// together do not come back together, yet every wait is at least half the nominal one.
/// `random` is in `[0, 1)`.
pub(crate) fn backoff(base: Duration, cap: Duration, retry: u32, random: f64) -> Duration {
    let exp = retry.saturating_sub(1).min(30);
    let nominal = base.saturating_mul(1u32 << exp).min(cap);
    let half = nominal / 2;
    half + half.mul_f64(random.clamp(0.0, 1.0))
}

/// Reads the server's requested wait. `x-acs-retry-after` is in milliseconds: that is
/// how the official SDKs read it (Go, C#, Python, TypeScript, PHP and C++, and the aliyun
/// CLI; API.md). Being liberal: a value with a unit (`500ms`, `2s`) is taken at its
/// word, fractions are accepted, and the standard `Retry-After` (seconds) is used when
/// the Alibaba header is absent. Non-positive or unreadable values mean "no hint".
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    retry_after_acs(headers).or_else(|| {
        headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_wait(v, Unit::Seconds))
    })
}

/// Alibaba's `x-acs-retry-after` alone (milliseconds), positive or `None`. Its presence
/// on any error answer makes that answer throttling.
pub(crate) fn retry_after_acs(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get("x-acs-retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_wait(v, Unit::Millis))
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

/// The rate a lane starts at: Alibaba documents about 10 requests a second for the VPC
/// Describe calls, per region and account; from there the lane finds the real limit.
pub(crate) const START_RATE: f64 = 10.0;
/// Throttling with no pause this long between two throttled answers is one streak...
const STREAK_GAP: Duration = Duration::from_secs(3);
/// ...and a streak this long is persistent: worth a warning.
const PERSISTENT: Duration = Duration::from_secs(3);
/// Before the first throttle, each success adds this many requests a second: the rate
/// grows like `START_RATE e^3t`, 149 requests sent in about 0.9 s. A faster climb
/// overshoots a limit by more, but only for one round trip: a request sent after a cut
/// and throttled halves the rate again (see [`RateLimiter::throttled`]).
const SLOW_START_GAIN: f64 = 3.0;
/// How far back a lane counts its successes to know the rate the cloud accepted.
const WINDOW: Duration = Duration::from_secs(1);

/// One action's share of the request rate, and what it learned of the cloud's limit.
#[derive(Debug)]
struct Lane {
    rate: f64,
    next_slot: Instant,
    /// Below this the lane regrows fast (one more request a second per success: the
    /// rate doubles every second it is used); above it, it probes gently (one more
    /// request a second per second). Infinite until the first throttle (slow start:
    /// [`SLOW_START_GAIN`] more per success); then nine tenths of the rate the cloud
    /// was accepting when it throttled.
    known_good: f64,
    last_cut: Option<Instant>,
    /// Successes in the last [`WINDOW`].
    recent: VecDeque<Instant>,
    streak_start: Option<Instant>,
    last_throttle: Option<Instant>,
    warned: bool,
    /// The callers waiting for a slot, in order of arrival (see [`RateLimiter::acquire`]).
    queue: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Lane {
    fn new(rate: f64, now: Instant) -> Lane {
        Lane {
            rate,
            next_slot: now,
            known_good: f64::INFINITY,
            last_cut: None,
            recent: VecDeque::new(),
            streak_start: None,
            last_throttle: None,
            warned: false,
            queue: Default::default(),
        }
    }

    fn forget_before(&mut self, now: Instant) {
        while self
            .recent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > WINDOW)
        {
            self.recent.pop_front();
        }
    }
}

/// What a lane learned of one action's rate, for the next run's start (the cache beside
/// the state, `ops::rates`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearnedRate {
    /// Requests a second to start from.
    pub rate: f64,
    /// The cloud throttled this action: above `rate` the lane probes gently. Otherwise
    /// it was never throttled and keeps rising fast from `rate`.
    pub limited: bool,
}

/// Persistent throttling of one action, for the one warning a run shows about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ThrottleWarning {
    pub(crate) action: String,
    /// How long the action has been throttled without a pause.
    pub(crate) throttled_for: Duration,
    /// The rate the lane sends at now, requests per second.
    pub(crate) rate: f64,
}

impl std::fmt::Display for ThrottleWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the cloud has throttled {} for {}: vpnform now sends it at {} requests a second \
             and keeps adapting; if other tools share this account's API limits, \
             `--max-rate N` caps vpnform's share",
            self.action,
            crate::duration::elapsed(self.throttled_for),
            crate::ui::format_rate(self.rate)
        )
    }
}

/// A client-side rate limiter with one lane per API action, which discovers the cloud's
/// limit: a lane starts modestly ([`START_RATE`]), rises fast while nothing is
/// throttled, halves on throttling, regrows fast to nine tenths of what the cloud was
/// accepting and probes gently above that; never above the ceiling (`--max-rate`).
/// `acquire` returns when the caller may send; the lanes are independent because
/// Alibaba's limits are per API.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    ceiling: f64,
    floor: f64,
    start: f64,
    lanes: Mutex<BTreeMap<String, Lane>>,
}

impl RateLimiter {
    /// `ceiling`: the most requests a second any one action may reach.
    pub(crate) fn new(ceiling: f64) -> Self {
        let ceiling = if ceiling.is_finite() && ceiling > 0.0 {
            ceiling
        } else {
            START_RATE
        };
        RateLimiter {
            ceiling,
            floor: (ceiling / 32.0).min(0.5),
            start: START_RATE.min(ceiling),
            lanes: Mutex::new(BTreeMap::new()),
        }
    }

    fn lane<'a>(&self, lanes: &'a mut BTreeMap<String, Lane>, action: &str) -> &'a mut Lane {
        lanes
            .entry(action.to_owned())
            .or_insert_with(|| Lane::new(self.start, Instant::now()))
    }

    /// Waits for this action's next slot.
    ///
    /// Callers queue in order and only the first of the queue takes a slot, once it is
    /// due, at the lane's rate of that moment. A slot booked when asked would fix the
    /// rate of a whole crowd at the one it asked at: a thousand deletes that became
    /// ready together were spread 1/START_RATE apart, 100 s, however fast the lane rose
    /// meanwhile (issue 15: ten deletes a second with nothing throttled).
    /// Returns the instant the slot was taken: the request's send time, which
    /// [`RateLimiter::throttled`] is told if the answer is a throttle.
    pub(crate) async fn acquire(&self, action: &str) -> Instant {
        let queue = {
            let mut lanes = self.lanes.lock().expect("rate limiter lock");
            self.lane(&mut lanes, action).queue.clone()
        };
        let _first = queue.lock().await;
        loop {
            let slot = {
                let mut lanes = self.lanes.lock().expect("rate limiter lock");
                let now = Instant::now();
                let lane = self.lane(&mut lanes, action);
                // GCRA with a burst of one second's worth: a lane idle for a second may
                // send `rate` requests at once, and never more than `rate` a second on
                // average. Bursts keep gateways that finish together in step (one poll,
                // one confirming List and one journal write serve them all), instead of
                // spreading their deletes 1/rate apart for the rest of the run.
                let step = Duration::from_secs_f64(1.0 / lane.rate);
                let tolerance = step.mul_f64((lane.rate.floor() - 1.0).max(0.0));
                let earliest = now.checked_sub(tolerance).unwrap_or(now);
                let slot = lane.next_slot.max(earliest);
                if slot <= now {
                    lane.next_slot = slot + step;
                    return now;
                }
                slot
            };
            // Not booked: looked at again when due, at the rate then (a throttle's pause
            // may also have moved it).
            tokio::time::sleep_until(slot).await;
        }
    }

    /// Throttled: halve the rate (once for the requests sent at one rate: a throttle of
    /// a request `sent` before the last cut is an answer to the old rate, and each of
    /// those halving again would collapse it), remember nine tenths of
    /// what the cloud was accepting, and push the next slot out by `pause` if the server
    /// asked for one, so every task on this action waits, not only the throttled one.
    /// Returns the warning to show when this action's throttling has just become
    /// persistent (once per action).
    pub(crate) fn throttled(
        &self,
        action: &str,
        sent: Instant,
        pause: Option<Duration>,
    ) -> Option<ThrottleWarning> {
        let mut lanes = self.lanes.lock().expect("rate limiter lock");
        let now = Instant::now();
        let floor = self.floor;
        let lane = self.lane(&mut lanes, action);
        if lane.last_cut.is_none_or(|cut| sent >= cut) {
            lane.forget_before(now);
            let accepted = lane.recent.len() as f64 / WINDOW.as_secs_f64();
            lane.rate = (lane.rate / 2.0).max(floor);
            lane.known_good = (0.9 * accepted).max(floor);
            lane.last_cut = Some(now);
        }
        // No burst right after a throttle: the server said the budget is spent.
        lane.next_slot = lane.next_slot.max(now);
        if let Some(p) = pause {
            lane.next_slot = lane.next_slot.max(now + p);
        }
        let streak_start = match (lane.streak_start, lane.last_throttle) {
            (Some(start), Some(last)) if now.saturating_duration_since(last) < STREAK_GAP => start,
            _ => now,
        };
        lane.streak_start = Some(streak_start);
        lane.last_throttle = Some(now);
        let throttled_for = now.saturating_duration_since(streak_start);
        (throttled_for >= PERSISTENT && !std::mem::replace(&mut lane.warned, true)).then(|| {
            ThrottleWarning {
                action: action.to_owned(),
                throttled_for,
                rate: lane.rate,
            }
        })
    }

    /// A success: fast regrowth up to what is known to be accepted, a gentle probe
    /// above it, never past the ceiling.
    pub(crate) fn succeeded(&self, action: &str) {
        let mut lanes = self.lanes.lock().expect("rate limiter lock");
        let now = Instant::now();
        let ceiling = self.ceiling;
        let lane = self.lane(&mut lanes, action);
        lane.forget_before(now);
        lane.recent.push_back(now);
        let gain = if lane.known_good.is_infinite() {
            SLOW_START_GAIN
        } else if lane.rate < lane.known_good {
            1.0
        } else {
            1.0 / lane.rate
        };
        lane.rate = (lane.rate + gain).min(ceiling);
    }

    /// Starts `action`'s lane from what an earlier run learned, clamped to this run's
    /// floor and ceiling (`--max-rate`). A lane already used keeps its own rate. Returns
    /// the rate the lane starts at, `None` when nothing was taken (a lane in use, a rate
    /// that is no number).
    pub(crate) fn start_from(&self, action: &str, learned: LearnedRate) -> Option<f64> {
        if !learned.rate.is_finite() || learned.rate <= 0.0 {
            return None;
        }
        let mut lanes = self.lanes.lock().expect("rate limiter lock");
        if lanes.contains_key(action) {
            return None;
        }
        let rate = learned.rate.clamp(self.floor, self.ceiling);
        let now = Instant::now();
        let mut lane = Lane::new(rate, now);
        if learned.limited {
            // Where the cloud throttled, no burst above the rate it accepted.
            lane.known_good = rate;
        } else {
            // A rate the cloud never throttled starts as a lane idle for a second: a
            // second's worth at once, as a new run's work is all ready together.
            lane.next_slot = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
        }
        lanes.insert(action.to_owned(), lane);
        Some(rate)
    }

    /// What every used lane learned: where the cloud throttled, the lower of its rate
    /// now and nine tenths of what the cloud accepted then; else the rate it reached.
    pub(crate) fn learned(&self) -> BTreeMap<String, LearnedRate> {
        let lanes = self.lanes.lock().expect("rate limiter lock");
        lanes
            .iter()
            .map(|(action, lane)| {
                let limited = lane.known_good.is_finite();
                let rate = if limited {
                    lane.rate.min(lane.known_good)
                } else {
                    lane.rate
                };
                (action.clone(), LearnedRate { rate, limited })
            })
            .collect()
    }

    /// The current rate of every action that has been used.
    pub(crate) fn rates(&self) -> BTreeMap<String, f64> {
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
        rl.throttled("Delete", Instant::now(), Some(Duration::from_secs(3)));
        let start = Instant::now();
        rl.acquire("Delete").await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        // Halved to 4 a second, and no burst right after the throttle.
        rl.acquire("Delete").await;
        assert_eq!(start.elapsed(), Duration::from_millis(3250));
    }

    #[tokio::test(start_paused = true)]
    async fn a_lane_starts_modestly_and_climbs_fast_while_nothing_is_throttled() {
        let rl = RateLimiter::new(100.0);
        assert!(rl.rates().is_empty());
        let start = Instant::now();
        let mut sent = 0;
        while start.elapsed() < Duration::from_millis(500) {
            rl.acquire("Delete").await;
            rl.succeeded("Delete");
            sent += 1;
        }
        // 10 a second to start, three more per success: the rate grows like 10 e^3t
        // (45 a second at 0.5 s, 11.6 sent by then).
        let rate = rl.rates()["Delete"];
        assert!((35.0..=55.0).contains(&rate), "{rate} after {sent}");
        assert!((9..=15).contains(&sent), "{sent}");
        while start.elapsed() < Duration::from_secs(3) {
            rl.acquire("Delete").await;
            rl.succeeded("Delete");
        }
        assert_eq!(rl.rates()["Delete"], 100.0);
        // Never past the ceiling.
        for _ in 0..1000 {
            rl.succeeded("Delete");
        }
        assert_eq!(rl.rates()["Delete"], 100.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_halves_once_then_regrows_fast_to_what_was_accepted_and_probes_gently() {
        let rl = RateLimiter::new(100.0);
        // The lane rises from 10 to the ceiling.
        for _ in 0..70 {
            rl.succeeded("Delete");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        for _ in 0..40 {
            rl.succeeded("Delete");
        }
        let before = rl.rates()["Delete"];
        assert_eq!(before, 100.0);
        let sent_at_the_old_rate = Instant::now();
        tokio::time::sleep(Duration::from_millis(20)).await;
        rl.throttled("Delete", sent_at_the_old_rate, None);
        // The answers to what was sent at the old rate: no second halving.
        for _ in 0..10 {
            rl.throttled("Delete", sent_at_the_old_rate, None);
        }
        assert_eq!(rl.rates()["Delete"], 50.0);
        // A request sent after the cut is throttled too: halve again, to 25; it accepted
        // nothing in the last second, so the floor is all that is known good.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        rl.throttled("Delete", Instant::now(), None);
        assert_eq!(rl.rates()["Delete"], 25.0);
        // Above what is known good, a success adds 1/rate: one request a second more
        // for each second at that rate.
        for _ in 0..25 {
            rl.succeeded("Delete");
        }
        let r = rl.rates()["Delete"];
        assert!((25.9..26.1).contains(&r), "{r}");
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_throttle_the_rate_regrows_fast_below_nine_tenths_of_the_accepted_rate() {
        let rl = RateLimiter::new(100.0);
        // An early throttle ended the climb; two seconds later the lane has found its
        // footing again, then 40 requests are accepted within a second.
        rl.throttled("Delete", Instant::now(), None);
        tokio::time::sleep(Duration::from_secs(2)).await;
        for _ in 0..40 {
            rl.succeeded("Delete");
        }
        rl.throttled("Delete", Instant::now(), None);
        let cut = rl.rates()["Delete"];
        assert!(cut < 10.0, "{cut}");
        // Below 36 (0.9 x 40) each success adds a whole request a second.
        let below = (36.0 - cut).ceil() as usize;
        for _ in 0..below - 1 {
            rl.succeeded("Delete");
        }
        let r = rl.rates()["Delete"];
        assert!((35.0..36.0).contains(&r), "{r}");
        rl.succeeded("Delete");
        rl.succeeded("Delete");
        let r = rl.rates()["Delete"];
        assert!(
            (36.0..37.0).contains(&r) && r - 36.0 < 0.2 + (r - 36.0).floor(),
            "{r}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn persistent_throttling_warns_once_naming_the_action_and_the_rate() {
        let rl = RateLimiter::new(100.0);
        let mut warnings = Vec::new();
        // Throttled every 500ms for 10 seconds.
        for _ in 0..20 {
            warnings.extend(rl.throttled("DescribeVpnGateways", Instant::now(), None));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let w = &warnings[0];
        assert_eq!(w.action, "DescribeVpnGateways");
        assert_eq!(w.throttled_for, Duration::from_secs(3));
        assert_eq!(
            w.to_string(),
            "the cloud has throttled DescribeVpnGateways for 3s: vpnform now sends it at 0.5 \
             requests a second and keeps adapting; if other tools share this account's API \
             limits, `--max-rate N` caps vpnform's share"
        );
        // A throttle now and then (a probe touching the limit) is no streak.
        let other = RateLimiter::new(100.0);
        for _ in 0..10 {
            assert_eq!(other.throttled("Delete", Instant::now(), None), None);
            tokio::time::sleep(Duration::from_secs(4)).await;
        }
    }

    /// Regression (issue 15: ten deletes a second with nothing throttled): every caller
    /// booked its slot when it asked, at the rate of that moment, so 200 deletes ready
    /// together were spread 100 ms apart (the start rate) over 20 s although the lane
    /// doubled every second. Now the queue is served at the rate as it rises.
    #[tokio::test(start_paused = true)]
    async fn callers_that_ask_together_are_not_held_to_the_rate_they_asked_at() {
        let rl = std::sync::Arc::new(RateLimiter::new(100.0));
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..200 {
            let rl = rl.clone();
            tasks.spawn(async move {
                rl.acquire("DeleteVpnRouteEntry").await;
                rl.succeeded("DeleteVpnRouteEntry");
                Instant::now()
            });
        }
        let mut last = start;
        while let Some(done) = tasks.join_next().await {
            last = last.max(done.unwrap());
        }
        // (10/3)(e^3t - 1) sent by t until the ceiling (t = ln 10 / 3, 30 sent), then
        // 100 a second: the last of 200 at about 2.5 s.
        let took = last - start;
        assert!(
            (Duration::from_secs(2)..Duration::from_secs(3)).contains(&took),
            "{took:?}"
        );
        assert_eq!(rl.rates()["DeleteVpnRouteEntry"], 100.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lane_starts_from_a_learned_rate_clamped_to_this_runs_bounds() {
        let limiter = RateLimiter::new(100.0);
        let open = LearnedRate {
            rate: 80.0,
            limited: false,
        };
        assert_eq!(limiter.start_from("DeleteIpsecServer", open), Some(80.0));
        // Above the ceiling, below the floor, no number: clamped or refused.
        let high = LearnedRate {
            rate: 1e12,
            limited: true,
        };
        assert_eq!(limiter.start_from("ListIpsecServers", high), Some(100.0));
        let low = LearnedRate {
            rate: 1e-9,
            limited: true,
        };
        assert_eq!(limiter.start_from("DescribeVpnGateway", low), Some(0.5));
        for bad in [f64::NAN, f64::INFINITY, -3.0, 0.0] {
            let bad = LearnedRate {
                rate: bad,
                limited: false,
            };
            assert_eq!(limiter.start_from("CreateIpsecServer", bad), None);
        }
        // A lane in use keeps its rate.
        assert_eq!(limiter.start_from("DeleteIpsecServer", open), None);
        let learned = limiter.learned();
        assert_eq!(learned["DeleteIpsecServer"], open);
        assert_eq!(
            learned["ListIpsecServers"],
            LearnedRate {
                rate: 100.0,
                limited: true
            }
        );
        // Eighty requests go at once: the learned rate's burst, not the start rate's ten.
        let started = Instant::now();
        for _ in 0..80 {
            limiter.acquire("DeleteIpsecServer").await;
        }
        assert!(started.elapsed() < Duration::from_millis(20));
    }

    #[test]
    fn rates_print_with_a_decimal_only_where_they_have_one() {
        assert_eq!(crate::ui::format_rate(40.0), "40");
        assert_eq!(crate::ui::format_rate(2.5), "2.5");
        assert_eq!(crate::ui::format_rate(0.625), "0.6");
    }
}
