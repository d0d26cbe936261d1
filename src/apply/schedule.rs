//! The executor's scheduler: when each action runs, apart from what it does.
//!
//! A [`Job`] runs once every job it waits for is done; one whose dependency did not
//! complete (failed, skipped, or never started) is skipped. A job that needs a lane (a
//! VPN gateway: the cloud runs one configuring operation per gateway at a time) runs
//! only while it holds that lane; jobs on different lanes run side by side. Once
//! `cancel` turns true (the first Ctrl-C) no job starts, and those under way finish.
//!
//! What a job does is the `step` the caller passes, one future per job, as
//! kube-runtime's controller runner is apart from its reconciler; so the scheduler is
//! tested here on a paused clock with steps that only sleep.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedMutexGuard, watch};

/// Something to run: who it is, whom it waits for, and the lane it needs to itself.
pub(crate) trait Job: Send + Sync + 'static {
    type Id: Clone + Eq + Hash + Send + Sync + 'static;
    type Lane: Clone + Eq + Hash + Send + Sync + 'static;

    fn id(&self) -> &Self::Id;
    /// The jobs that must be done before this one starts (unknown ids are ignored).
    fn waits_for(&self) -> &[Self::Id];
    /// The lane this job holds while it runs; `None`: it needs none.
    fn lane(&self) -> Option<Self::Lane>;
}

/// What the scheduler tells about jobs that do not simply run, at the moment it happens.
pub(crate) trait Hooks<J: Job>: Send + Sync + 'static {
    /// `job` will not run: `because`, which it waits for, did not complete.
    fn skipped(&self, job: &J, because: &J::Id);
    /// `job` waits for its lane, held by `behind` (when known).
    fn queued(&self, job: &J, behind: Option<J::Id>);
}

/// What became of a job.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ran<T, E, Id> {
    /// Its step ran to this end; `Ok` lets those waiting for it run.
    Finished(Result<T, E>),
    /// Not run: `because`, which it waits for, did not complete.
    Skipped { because: Id },
    /// Not started: the run was cancelled first.
    NotStarted,
}

/// The lanes of one run: one job at a time on each.
pub(crate) struct Lanes<L, Id> {
    locks: Mutex<HashMap<L, Arc<tokio::sync::Mutex<()>>>>,
    /// How many jobs are still to take each lane, so a job can tell whether another
    /// waits behind it.
    queued: Mutex<HashMap<L, usize>>,
    /// The job that last took each lane, so one queued behind it can say whom it waits for.
    holders: Mutex<HashMap<L, Id>>,
    cancel: watch::Receiver<bool>,
}

/// A lane held; dropping it lets the next job on the lane start.
#[must_use = "the lane is free again once the lease is dropped"]
pub(crate) struct Lease {
    _guard: OwnedMutexGuard<()>,
}

impl<L: Clone + Eq + Hash, Id: Clone> Lanes<L, Id> {
    pub(crate) fn new(cancel: watch::Receiver<bool>) -> Self {
        Lanes {
            locks: Mutex::new(HashMap::new()),
            queued: Mutex::new(HashMap::new()),
            holders: Mutex::new(HashMap::new()),
            cancel,
        }
    }

    /// The run was cancelled: nothing new starts.
    pub(crate) fn cancelled(&self) -> bool {
        *self.cancel.borrow()
    }

    /// Another job of this run is still to take `lane`.
    pub(crate) fn more_queued(&self, lane: &L) -> bool {
        self.queued
            .lock()
            .unwrap()
            .get(lane)
            .is_some_and(|n| *n > 0)
    }

    /// Waits for `lane` to be free and takes it for `by`; `on_busy` is told whom it waits
    /// behind when it is not free at once. `None` when the run was cancelled meanwhile.
    pub(crate) async fn take(
        &self,
        lane: &L,
        by: &Id,
        on_busy: impl FnOnce(Option<Id>),
    ) -> Option<Lease> {
        let lock = self
            .locks
            .lock()
            .unwrap()
            .entry(lane.clone())
            .or_default()
            .clone();
        let guard = match lock.clone().try_lock_owned() {
            Ok(guard) => guard,
            Err(_) => {
                let behind = self.holders.lock().unwrap().get(lane).cloned();
                on_busy(behind);
                lock.lock_owned().await
            }
        };
        self.holders
            .lock()
            .unwrap()
            .insert(lane.clone(), by.clone());
        if let Some(n) = self.queued.lock().unwrap().get_mut(lane) {
            *n = n.saturating_sub(1);
        }
        (!self.cancelled()).then_some(Lease { _guard: guard })
    }

    fn expect(&self, lane: L) {
        *self.queued.lock().unwrap().entry(lane).or_default() += 1;
    }
}

/// Runs `jobs` side by side, each once those it waits for are done and it holds its
/// lane, as `step(job, lease)`; returns what became of each, in the order they ended.
pub(crate) async fn run<J, T, E, H, F, Fut>(
    jobs: Vec<J>,
    lanes: &Arc<Lanes<J::Lane, J::Id>>,
    hooks: &Arc<H>,
    step: F,
) -> Vec<(J::Id, Ran<T, E, J::Id>)>
where
    J: Job,
    H: Hooks<J>,
    F: Fn(J, Option<Lease>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    // A job that ends publishes whether it completed; those waiting for it read it.
    let mut done: HashMap<J::Id, watch::Sender<Option<bool>>> = HashMap::new();
    for job in &jobs {
        done.insert(job.id().clone(), watch::channel(None).0);
        if let Some(lane) = job.lane() {
            lanes.expect(lane);
        }
    }
    let step = Arc::new(step);
    let mut tasks = tokio::task::JoinSet::new();
    for job in jobs {
        let waits: Vec<(J::Id, watch::Receiver<Option<bool>>)> = job
            .waits_for()
            .iter()
            .filter_map(|id| done.get(id).map(|tx| (id.clone(), tx.subscribe())))
            .collect();
        let publish = done[job.id()].clone();
        let (lanes, hooks, step) = (lanes.clone(), hooks.clone(), step.clone());
        tasks.spawn(async move {
            let id = job.id().clone();
            let ran = one(job, waits, &lanes, &*hooks, &*step).await;
            let _ = publish.send(Some(matches!(ran, Ran::Finished(Ok(_)))));
            (id, ran)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        results.push(joined.expect("a job's task does not panic"));
    }
    results
}

/// One job: its dependencies, the run's cancellation, its lane, then its step.
async fn one<J, T, E, H, F, Fut>(
    job: J,
    waits: Vec<(J::Id, watch::Receiver<Option<bool>>)>,
    lanes: &Lanes<J::Lane, J::Id>,
    hooks: &H,
    step: &F,
) -> Ran<T, E, J::Id>
where
    J: Job,
    H: Hooks<J>,
    F: Fn(J, Option<Lease>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    for (dep, mut rx) in waits {
        let completed = match rx.wait_for(|v| v.is_some()).await {
            Ok(v) => v.unwrap_or(false),
            Err(_) => false,
        };
        if !completed {
            hooks.skipped(&job, &dep);
            return Ran::Skipped { because: dep };
        }
    }
    if lanes.cancelled() {
        return Ran::NotStarted;
    }
    let lease = match job.lane() {
        Some(lane) => {
            let taken = lanes
                .take(&lane, job.id(), |behind| hooks.queued(&job, behind))
                .await;
            match taken {
                Some(lease) => Some(lease),
                None => return Ran::NotStarted,
            }
        }
        None => None,
    };
    Ran::Finished(step(job, lease).await)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::{Instant, sleep};

    use super::*;

    /// A job that takes `secs` seconds, then succeeds unless it `fails`.
    #[derive(Debug, Clone)]
    struct Sleep {
        id: &'static str,
        waits_for: Vec<&'static str>,
        lane: Option<&'static str>,
        secs: u64,
        fails: bool,
    }

    fn job(id: &'static str, lane: Option<&'static str>, waits_for: &[&'static str]) -> Sleep {
        Sleep {
            id,
            waits_for: waits_for.to_vec(),
            lane,
            secs: 1,
            fails: false,
        }
    }

    impl Job for Sleep {
        type Id = &'static str;
        type Lane = &'static str;
        fn id(&self) -> &&'static str {
            &self.id
        }
        fn waits_for(&self) -> &[&'static str] {
            &self.waits_for
        }
        fn lane(&self) -> Option<&'static str> {
            self.lane
        }
    }

    /// One thing a hook or step saw: `(what, job, other, second since the start)`.
    type Seen = (&'static str, &'static str, Option<&'static str>, u64);

    /// What the hooks and steps saw.
    struct Log {
        origin: Instant,
        seen: Mutex<Vec<Seen>>,
    }

    impl Log {
        fn new() -> Arc<Log> {
            Arc::new(Log {
                origin: Instant::now(),
                seen: Mutex::default(),
            })
        }
        fn push(&self, what: &'static str, job: &'static str, other: Option<&'static str>) {
            let at = self.origin.elapsed().as_secs();
            self.seen.lock().unwrap().push((what, job, other, at));
        }
        fn of(&self, what: &str) -> Vec<(&'static str, Option<&'static str>, u64)> {
            let mut seen: Vec<_> = (self.seen.lock().unwrap().iter())
                .filter(|(w, ..)| *w == what)
                .map(|(_, j, o, at)| (*j, *o, *at))
                .collect();
            seen.sort();
            seen
        }
    }

    impl Hooks<Sleep> for Log {
        fn skipped(&self, job: &Sleep, because: &&'static str) {
            self.push("skipped", job.id, Some(because));
        }
        fn queued(&self, job: &Sleep, behind: Option<&'static str>) {
            self.push("queued", job.id, behind);
        }
    }

    type Results = Vec<(&'static str, Ran<u64, &'static str, &'static str>)>;

    /// Runs `jobs` with steps that log their start and end and sleep, from now.
    async fn run_all(
        jobs: Vec<Sleep>,
        cancel: watch::Receiver<bool>,
    ) -> (Arc<Log>, Arc<Lanes<&'static str, &'static str>>, Results) {
        let log = Log::new();
        let lanes = Arc::new(Lanes::new(cancel));
        let (steps, seen) = (log.clone(), lanes.clone());
        let mut results = run(jobs, &lanes, &log, move |job: Sleep, lease| {
            let (log, lanes) = (steps.clone(), seen.clone());
            async move {
                let more = job.lane.is_some_and(|lane| lanes.more_queued(&lane));
                log.push("start", job.id, more.then_some("more queued"));
                sleep(Duration::from_secs(job.secs)).await;
                drop(lease);
                log.push("end", job.id, None);
                if job.fails {
                    Err("refused")
                } else {
                    Ok(job.secs)
                }
            }
        })
        .await;
        results.sort_by_key(|(id, _)| *id);
        (log, lanes, results)
    }

    fn not_cancelled() -> watch::Receiver<bool> {
        let (tx, rx) = watch::channel(false);
        // The sender stays alive for the whole test: a dropped one is no cancellation.
        std::mem::forget(tx);
        rx
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_starts_once_those_it_waits_for_are_done() {
        let jobs = vec![
            job("a", Some("g1"), &["b"]),
            job("b", None, &["c"]),
            job("c", Some("g3"), &[]),
        ];
        let (log, _, results) = run_all(jobs, not_cancelled()).await;
        assert_eq!(
            log.of("start"),
            [("a", None, 2), ("b", None, 1), ("c", None, 0)]
        );
        assert!(results.iter().all(|(_, r)| *r == Ran::Finished(Ok(1))));
    }

    #[tokio::test(start_paused = true)]
    async fn one_lane_runs_one_job_at_a_time_and_says_who_holds_it() {
        let started = Instant::now();
        let jobs = vec![job("x", Some("g"), &[]), job("y", Some("g"), &[])];
        let (log, _, _) = run_all(jobs, not_cancelled()).await;
        let starts = log.of("start");
        let (first, second) = if starts[0].2 == 0 {
            (starts[0].0, starts[1].0)
        } else {
            (starts[1].0, starts[0].0)
        };
        // The first to start knows another waits behind it; the second does not.
        let mut expected = vec![(first, Some("more queued"), 0), (second, None, 1)];
        expected.sort();
        assert_eq!(starts, expected);
        assert_eq!(log.of("queued"), [(second, Some(first), 0)]);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn jobs_on_different_lanes_run_side_by_side() {
        let started = Instant::now();
        let jobs = vec![
            job("a", Some("g1"), &[]),
            job("b", Some("g2"), &[]),
            job("c", Some("g3"), &[]),
            job("state-only", None, &[]),
        ];
        let (log, _, _) = run_all(jobs, not_cancelled()).await;
        assert!(log.of("start").iter().all(|(_, _, at)| *at == 0));
        assert!(log.of("queued").is_empty());
        assert_eq!(started.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_job_skips_those_that_wait_for_it_and_not_the_others() {
        let jobs = vec![
            Sleep {
                fails: true,
                ..job("f", Some("g1"), &[])
            },
            job("i", Some("g2"), &[]),
            job("w", Some("g3"), &["f"]),
            job("w2", Some("g4"), &["w"]),
        ];
        let (log, _, results) = run_all(jobs, not_cancelled()).await;
        assert_eq!(
            results,
            [
                ("f", Ran::Finished(Err("refused"))),
                ("i", Ran::Finished(Ok(1))),
                ("w", Ran::Skipped { because: "f" }),
                ("w2", Ran::Skipped { because: "w" }),
            ]
        );
        assert_eq!(log.of("start"), [("f", None, 0), ("i", None, 0)]);
        // Each is told at once: when what it waits for ended.
        assert_eq!(
            log.of("skipped"),
            [("w", Some("f"), 1), ("w2", Some("w"), 1)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_run_starts_nothing() {
        let (tx, rx) = watch::channel(true);
        let jobs = vec![job("a", Some("g"), &[]), job("b", None, &["a"])];
        let (log, _, results) = run_all(jobs, rx).await;
        drop(tx);
        assert!(log.of("start").is_empty());
        assert_eq!(
            results,
            [
                ("a", Ran::NotStarted),
                // What waits for a job that never started is skipped, as Terraform does.
                ("b", Ran::Skipped { because: "a" }),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_lets_a_running_job_finish_and_starts_none_behind_it() {
        let (tx, rx) = watch::channel(false);
        let jobs = vec![
            Sleep {
                secs: 5,
                ..job("a", Some("g"), &[])
            },
            job("b", Some("g"), &[]),
            job("c", None, &["a"]),
        ];
        let cancel = async {
            sleep(Duration::from_secs(1)).await;
            tx.send(true).unwrap();
        };
        let ((log, _, results), ()) = tokio::join!(run_all(jobs, rx), cancel);
        assert_eq!(log.of("end"), [("a", None, 5)]);
        assert_eq!(
            results,
            [
                ("a", Ran::Finished(Ok(5))),
                ("b", Ran::NotStarted),
                ("c", Ran::NotStarted),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_may_free_its_lane_before_it_ends_and_take_another() {
        let log = Log::new();
        let lanes: Arc<Lanes<&'static str, &'static str>> = Arc::new(Lanes::new(not_cancelled()));
        let (steps, more) = (log.clone(), lanes.clone());
        // `r` holds g1 for a second, then g2 for a second (a replace's two halves); `d`
        // holds g2 for two seconds from the start.
        let jobs = vec![
            job("r", Some("g1"), &[]),
            Sleep {
                secs: 2,
                ..job("d", Some("g2"), &[])
            },
        ];
        run(jobs, &lanes, &log, move |job: Sleep, lease| {
            let (log, lanes) = (steps.clone(), more.clone());
            async move {
                log.push("start", job.id, None);
                if job.id == "r" {
                    sleep(Duration::from_secs(1)).await;
                    // Its first lane is free for others from here on.
                    drop(lease);
                    let second = lanes.take(&"g2", &"r", |behind| {
                        log.push("queued", "r", behind);
                    });
                    let _second = second.await.expect("not cancelled");
                    log.push("took g2", job.id, None);
                }
                sleep(Duration::from_secs(job.secs)).await;
                log.push("end", job.id, None);
                Ok::<_, ()>(())
            }
        })
        .await;
        // r frees g1 at 1s and queues behind d for g2, which it takes at 2s.
        assert_eq!(log.of("queued"), [("r", Some("d"), 1)]);
        assert_eq!(log.of("took g2"), [("r", None, 2)]);
        assert_eq!(log.of("end"), [("d", None, 2), ("r", None, 3)]);
    }
}
