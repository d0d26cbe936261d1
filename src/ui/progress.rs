//! Progress of a long step on stderr, as apply shows its own: a bar on a terminal
//! (indicatif), otherwise a plain line once the step has taken a while and then every
//! few seconds, and a last line when it ends; nothing under `-q`. A step that ends
//! quickly prints nothing, so short runs and pipes stay quiet.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Ui, Verbosity};

/// The pause before the first line, and between two lines, off a terminal.
pub(crate) const LINE_EVERY: Duration = Duration::from_secs(2);

/// One step's progress: `label` (`Prechecking`), how many of how many `unit`s, and the
/// rate its API calls are sent at.
pub(crate) struct StepProgress {
    ui: Ui,
    every: Duration,
    bar: Option<indicatif::ProgressBar>,
    state: Mutex<Step>,
}

#[derive(Default)]
struct Step {
    label: String,
    started: Option<Instant>,
    next_line: Option<Instant>,
    printed: bool,
    last: String,
}

impl StepProgress {
    /// `json`: the caller writes JSON on stdout; lines still go to stderr, but no bar.
    pub(crate) fn new(ui: &Ui, json: bool, every: Duration) -> Self {
        let bar =
            (!json && ui.stderr_is_terminal() && ui.verbosity() > Verbosity::Quiet).then(|| {
                let bar = indicatif::ProgressBar::new(0);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg} {bar:30} {pos}/{len} [{elapsed}]",
                    )
                    .expect("a valid template"),
                );
                bar.enable_steady_tick(Duration::from_millis(500));
                bar
            });
        StepProgress {
            ui: ui.clone(),
            every,
            bar,
            state: Mutex::new(Step::default()),
        }
    }

    /// `done` of `total` `unit`s of the step `label`; `rate` in requests a second.
    pub(crate) fn update(
        &self,
        label: &str,
        done: usize,
        total: usize,
        unit: &str,
        rate: Option<f64>,
    ) {
        let now = Instant::now();
        let mut step = self.state.lock().expect("progress lock");
        if step.label != label {
            self.end(&mut step);
            *step = Step {
                label: label.to_owned(),
                started: Some(now),
                next_line: Some(now + self.every),
                ..Step::default()
            };
            if let Some(bar) = &self.bar {
                bar.reset();
                bar.set_length(total as u64);
            }
        }
        let rate = rate
            .map(|r| format!(", {} requests a second", crate::ui::format_rate(r)))
            .unwrap_or_default();
        let elapsed = step.started.map_or(Duration::ZERO, |s| now - s);
        step.last = format!(
            "{label}: {done}/{total} {unit}{rate}, {}",
            crate::duration::elapsed(elapsed)
        );
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(format!("{label}{rate}"));
            return;
        }
        if step.next_line.is_some_and(|at| now >= at) && done < total {
            self.ui.status(&step.last);
            step.printed = true;
            step.next_line = Some(now + self.every);
        }
    }

    /// Ends the current step (its last line, if it printed any) and removes the bar.
    pub(crate) fn finish(&self) {
        let mut step = self.state.lock().expect("progress lock");
        self.end(&mut step);
        *step = Step::default();
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn end(&self, step: &mut Step) {
        if step.printed {
            self.ui.status(&format!("{} (done)", step.last));
        }
    }
}
