//! How long a region's gateways take to configure after a change, learned from the
//! waits [`super::watch`] sees end, and when to poll a gateway next. Pure: every time is
//! passed in, so it is tested on a paused clock, without a cloud.

use std::time::Duration;

use tokio::time::Instant;

/// One region's configure-time estimate with the poll timing it implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConfigureTime {
    strategy: PollStrategy,
    /// The pause between polls before any configure time is known (always, with
    /// [`PollStrategy::Fixed`]).
    interval: Duration,
    estimate: Option<Duration>,
}

impl ConfigureTime {
    pub(crate) fn new(
        strategy: PollStrategy,
        interval: Duration,
        estimate: Option<Duration>,
    ) -> Self {
        ConfigureTime {
            strategy,
            interval,
            // A fixed poller learns nothing.
            estimate: estimate.filter(|_| strategy == PollStrategy::Adaptive),
        }
    }

    /// The configure time learned so far.
    pub(crate) fn estimate(&self) -> Option<Duration> {
        self.estimate
    }

    /// The pause from registering a wait to its first poll: a gateway this run made busy
    /// is looked at when it should be done.
    pub(crate) fn first_poll(&self, kind: WaitKind) -> Duration {
        match self.estimate {
            Some(estimate) if kind.after_own_change => estimate,
            Some(_) => self.next_poll(),
            None => self.interval,
        }
    }

    /// The pause before polling again a gateway that was still busy: a twentieth of the
    /// configure time (20ms to the interval), so the wait ends a few percent late at most.
    pub(crate) fn next_poll(&self) -> Duration {
        self.estimate.map_or(self.interval, |e| {
            (e / 20).clamp(Duration::from_millis(20), self.interval)
        })
    }

    /// How much later than due a lazy wait or confirmation may be served, to share a call.
    pub(crate) fn slack(&self) -> Duration {
        self.estimate
            .map_or(self.interval, |e| (e / 4).max(self.interval))
    }

    /// A wait for a change of this run's own ended: registered at `registered`, answered
    /// busy `polls` times, seen done by the round that started at `detected`.
    pub(crate) fn observe_done(&mut self, registered: Instant, polls: u32, detected: Instant) {
        if self.strategy != PollStrategy::Adaptive {
            return;
        }
        let took = detected - registered;
        self.estimate = Some(match self.estimate {
            // The first observation lies between the last poll that saw it busy and this
            // one.
            None => {
                let interval_guess = took / (polls + 1).max(1);
                took.saturating_sub(interval_guess / 2)
            }
            // Done on the first poll: it may have been done earlier; creep down a little,
            // so an estimate that started high converges, at the cost of a rare early poll.
            Some(e) if polls == 0 => e.mul_f64(0.999).max(Duration::from_millis(1)),
            Some(e) => e,
        });
    }

    /// A wait for a change of this run's own, registered at `registered`, was still busy
    /// at the round that started at `polled`: polled too early, so it takes at least
    /// that long.
    pub(crate) fn observe_busy(&mut self, registered: Instant, polled: Instant) {
        let Some(e) = self.estimate else { return };
        let at_least = polled - registered;
        if at_least >= e {
            self.estimate = Some(at_least + self.next_poll() / 2);
        }
    }
}

/// How long after the cloud accepted a change `ListIpsecServers` shows it, in a region
/// where the listing lags behind the gateway's status: learned from the confirmations
/// that did not hold on their first read, so that later ones read when the listing can
/// have caught up, not at once (a wasted read) nor a whole configure time late.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ListingDelay {
    estimate: Option<Duration>,
}

impl ListingDelay {
    /// When, after acceptance, the first confirming read should go (`None`: as soon as
    /// the gateway is active; the listing has not lagged in this region).
    pub(crate) fn first_read(&self) -> Option<Duration> {
        self.estimate
    }

    /// A confirmation held at the read sent `held` after acceptance; `missed`: the last
    /// read before it that did not hold, if any.
    pub(crate) fn observe(&mut self, missed: Option<Duration>, held: Duration) {
        self.estimate = match (missed, self.estimate) {
            // The listing caught up between the two reads: next time read at the later,
            // the earliest instant known to hold.
            (Some(_), _) => Some(held),
            // Held at the first read: it may show earlier; creep down a little (a
            // four-hundredth, at least 5ms: every confirmation of the region's gateways
            // creeps it), so an estimate taken high converges, at the cost of an
            // occasional early read that the re-read schedule makes cheap.
            (None, Some(e)) => Some(
                e.min(held)
                    .saturating_sub((e / 400).max(Duration::from_millis(5))),
            ),
            (None, None) => None,
        };
    }
}

/// The pauses between the reads of a confirmation that does not hold yet (the
/// listing lags): 50ms, then half as long again each time, at most a second. The
/// listing is seen the moment it catches up to within a fraction of the time already
/// waited (a doubling schedule would be up to the whole of it late), for a few reads
/// more than the lag takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rereads {
    next: Duration,
}

impl Rereads {
    const FIRST: Duration = Duration::from_millis(50);
    const LONGEST: Duration = Duration::from_secs(1);

    pub(crate) fn new() -> Self {
        Rereads { next: Self::FIRST }
    }

    /// The pause before the next read.
    pub(crate) fn pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (pause * 3 / 2).min(Self::LONGEST);
        pause
    }
}

/// How gateway waits are polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PollStrategy {
    /// Learn the configure time, poll when a gateway should be done, batch lazily.
    #[default]
    Adaptive,
    /// One `DescribeVpnGateway` per waited gateway every interval (what Terraform's
    /// provider and the aliyun CLI waiter do); kept as a baseline for benchmarks.
    Fixed,
}

/// What a wait is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaitKind {
    /// Something (another action on the gateway, a dependent) is queued behind it.
    pub urgent: bool,
    /// This run's own accepted request made the gateway busy, so once it is no longer
    /// `updating` the request is finished (the confirmation reads the outcome).
    pub after_own_change: bool,
}

impl WaitKind {
    /// A wait for a gateway busy for reasons of its own: read it exactly, soon.
    pub(crate) const EXACT: WaitKind = WaitKind {
        urgent: true,
        after_own_change: false,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(1);
    const OWN: WaitKind = WaitKind {
        urgent: false,
        after_own_change: true,
    };

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn adaptive() -> ConfigureTime {
        ConfigureTime::new(PollStrategy::Adaptive, INTERVAL, None)
    }

    #[tokio::test(start_paused = true)]
    async fn before_anything_is_learned_every_poll_is_an_interval_apart() {
        let time = adaptive();
        assert_eq!(time.estimate(), None);
        assert_eq!(time.first_poll(OWN), INTERVAL);
        assert_eq!(time.first_poll(WaitKind::EXACT), INTERVAL);
        assert_eq!(time.next_poll(), INTERVAL);
        assert_eq!(time.slack(), INTERVAL);
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_observation_is_taken_half_a_poll_early() {
        let mut time = adaptive();
        let registered = Instant::now();
        tokio::time::advance(secs(3.0)).await;
        // Busy at 1s and 2s, done at 3s: it finished somewhere in (2s, 3s].
        time.observe_done(registered, 2, Instant::now());
        assert_eq!(time.estimate(), Some(secs(2.5)));
        assert_eq!(time.first_poll(OWN), secs(2.5));
        assert_eq!(time.first_poll(WaitKind::EXACT), secs(0.125));
        assert_eq!(time.next_poll(), secs(0.125));
        assert_eq!(time.slack(), INTERVAL);
    }

    #[tokio::test(start_paused = true)]
    async fn done_on_the_first_poll_creeps_down() {
        let mut time = ConfigureTime::new(PollStrategy::Adaptive, INTERVAL, Some(secs(2.0)));
        let registered = Instant::now();
        tokio::time::advance(secs(2.0)).await;
        time.observe_done(registered, 0, Instant::now());
        assert_eq!(time.estimate(), Some(secs(2.0).mul_f64(0.999)));
        // Done after a busy answer: the estimate was not early, it stays.
        let before = time.estimate();
        time.observe_done(registered, 1, Instant::now());
        assert_eq!(time.estimate(), before);
    }

    #[tokio::test(start_paused = true)]
    async fn busy_past_the_estimate_raises_it() {
        let mut time = ConfigureTime::new(PollStrategy::Adaptive, INTERVAL, Some(secs(2.0)));
        let registered = Instant::now();
        tokio::time::advance(secs(1.5)).await;
        // Busy before the estimate: nothing learned.
        time.observe_busy(registered, Instant::now());
        assert_eq!(time.estimate(), Some(secs(2.0)));
        tokio::time::advance(secs(1.5)).await;
        // Busy at 3s: at least 3s, plus half a fine poll (100ms at 2s).
        time.observe_busy(registered, Instant::now());
        assert_eq!(time.estimate(), Some(secs(3.05)));
        assert_eq!(time.slack(), INTERVAL);
    }

    #[tokio::test(start_paused = true)]
    async fn long_configure_times_poll_finely_within_the_interval() {
        let time = ConfigureTime::new(PollStrategy::Adaptive, INTERVAL, Some(secs(60.0)));
        assert_eq!(time.next_poll(), INTERVAL);
        assert_eq!(time.slack(), secs(15.0));
        let time = ConfigureTime::new(PollStrategy::Adaptive, INTERVAL, Some(secs(0.1)));
        assert_eq!(time.next_poll(), Duration::from_millis(20));
    }

    #[tokio::test(start_paused = true)]
    async fn a_fixed_poller_learns_nothing() {
        let mut time = ConfigureTime::new(PollStrategy::Fixed, INTERVAL, Some(secs(5.0)));
        let registered = Instant::now();
        tokio::time::advance(secs(3.0)).await;
        time.observe_done(registered, 2, Instant::now());
        time.observe_busy(registered, Instant::now());
        assert_eq!(time.estimate(), None);
        assert_eq!(time.first_poll(OWN), INTERVAL);
        assert_eq!(time.next_poll(), INTERVAL);
    }

    #[test]
    fn a_listing_that_never_lagged_is_read_at_once() {
        let mut delay = ListingDelay::default();
        assert_eq!(delay.first_read(), None);
        delay.observe(None, secs(2.0));
        assert_eq!(delay.first_read(), None);
    }

    #[test]
    fn a_lagging_listing_is_read_next_time_when_it_held() {
        let mut delay = ListingDelay::default();
        // Missed at 3.05s (the gateway active again), held at 4.1s.
        delay.observe(Some(secs(3.05)), secs(4.1));
        assert_eq!(delay.first_read(), Some(secs(4.1)));
        // Held at the first read: it may hold earlier; creep down a four-hundredth.
        delay.observe(None, secs(4.1));
        assert_eq!(delay.first_read(), Some(secs(4.1) - secs(4.1) / 400));
        // Read too early, held 50ms later: that is the new first read.
        delay.observe(Some(secs(4.02)), secs(4.07));
        assert_eq!(delay.first_read(), Some(secs(4.07)));
        // A short delay creeps by at least 5ms.
        let mut short = ListingDelay::default();
        short.observe(Some(secs(0.1)), secs(0.2));
        short.observe(None, secs(0.2));
        assert_eq!(short.first_read(), Some(secs(0.195)));
    }

    /// Regression: a confirmation that did not hold was read again after a twentieth of
    /// the configure time, then twice as late each time (and the region's later waits
    /// took the whole late confirmation as their first poll): with a 1s listing lag
    /// each step of a chain paid about 3s instead of the lag's 1s.
    #[test]
    fn rereads_of_a_lagging_listing_come_soon_and_stay_close() {
        let mut rereads = Rereads::new();
        let pauses: Vec<u64> = (0..10)
            .map(|_| rereads.pause().as_millis() as u64)
            .collect();
        assert_eq!(pauses, [50, 75, 112, 168, 253, 379, 569, 854, 1000, 1000]);
        // A listing that catches up 1s after the first miss is seen within 0.2s of it.
        let mut rereads = Rereads::new();
        let mut at = Duration::ZERO;
        while at < secs(1.0) {
            at += rereads.pause();
        }
        assert!(at < secs(1.2), "{at:?}");
    }
}
