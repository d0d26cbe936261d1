//! How long a region's gateways take to configure after a change, learned from the
//! waits [`super::watch`] sees end, and when to poll a gateway next. Pure: every time is
//! passed in, so it is tested on a paused clock, without a cloud.

use std::time::Duration;

use tokio::time::Instant;

use super::watch::{PollStrategy, WaitKind};

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
    /// A delete was confirmed only `took` after it was accepted, by a later read than
    /// the first (a lagging status or listing): it takes at least that long.
    pub(crate) fn observe_confirmed_late(&mut self, took: Duration) {
        if self.strategy == PollStrategy::Adaptive {
            self.estimate = Some(self.estimate.map_or(took, |e| e.max(took)));
        }
    }
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

    #[tokio::test(start_paused = true)]
    async fn a_late_confirmation_raises_the_estimate_only() {
        let mut time = adaptive();
        time.observe_confirmed_late(secs(4.0));
        assert_eq!(time.estimate(), Some(secs(4.0)));
        time.observe_confirmed_late(secs(3.0));
        assert_eq!(time.estimate(), Some(secs(4.0)));
        let mut fixed = ConfigureTime::new(PollStrategy::Fixed, INTERVAL, None);
        fixed.observe_confirmed_late(secs(4.0));
        assert_eq!(fixed.estimate(), None);
    }
}
