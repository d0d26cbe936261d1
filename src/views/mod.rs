//! The views: where an operation's events (`crate::ops::Event`) become output. Two
//! side by side over the same events, as Terraform's `views/hook_ui.go` beside
//! `views/hook_json.go`: [`Human`] (text: the plan and summaries on stdout, progress on
//! stderr) and [`Json`] (Terraform's machine-readable UI lines on stdout). A command
//! picks one ([`for_format`]); everything either prints is built here, through
//! [`crate::ui`].

pub(crate) mod human;
pub(crate) mod json;

use std::sync::Arc;
use std::time::Duration;

pub(crate) use human::Human;
pub(crate) use json::Json;

use crate::apply::Outcome;
use crate::ops::{Event, Reporter};
use crate::plan::ActionKind;
use crate::state::LockHolder;
use crate::ui::Ui;

/// A view for a command whose stdout is something else (`vpnform graph`): the notices
/// and warnings on stderr, nothing more.
pub(crate) struct Notices(Ui);

impl Notices {
    pub(crate) fn new(ui: Ui) -> Self {
        Notices(ui)
    }
}

impl Reporter for Notices {
    fn event(&self, event: &Event<'_>) {
        notice(&self.0, event);
    }
}

/// The view a command's `--json` and `--full` ask for.
pub(crate) fn for_format(ui: &Ui, json: bool, full: bool) -> Arc<dyn Reporter> {
    if json {
        Arc::new(Json::new(ui.clone()))
    } else {
        Arc::new(Human::new(ui.clone(), full))
    }
}

/// The line a run prints when it starts waiting for the state lock, whichever command
/// it is: without it, a run waiting up to `--lock-timeout` looks hung.
pub(crate) fn lock_wait(holder: Option<&LockHolder>, timeout: Duration) -> String {
    let who = holder.map_or_else(|| "another process".to_owned(), LockHolder::describe);
    format!(
        "The state is locked by {who}; waiting for it (up to {}).",
        crate::duration::human(timeout)
    )
}

/// The hint an online plan gives when the refreshed regions hold servers that no
/// address records (else `None`): how many, where, and that `vpnform import` adopts them.
pub(crate) fn unmanaged_note(
    unmanaged: &std::collections::BTreeMap<String, usize>,
) -> Option<String> {
    let total: usize = unmanaged.values().sum();
    if total == 0 {
        return None;
    }
    let per_region: Vec<String> = unmanaged
        .iter()
        .map(|(region, n)| format!("{region}: {n}"))
        .collect();
    let (servers, are, them) = if total == 1 {
        ("IPsec server", "is", "it")
    } else {
        ("IPsec servers", "are", "them")
    };
    Some(format!(
        "{total} {servers} in the refreshed regions ({}) {are} not managed by vpnform: no \
         address records {them}. `vpnform import` prints desired entries for {them} \
         (`vpnform import --write` appends them to the desired file), and the next plan \
         adopts {them}.",
        per_region.join(", ")
    ))
}

/// The hint for the other kinds (else `None`): how many of each the refreshed regions
/// hold that vpnform does not manage, and the `vpnform import --kind` that adopts them.
pub(crate) fn unmanaged_kinds_note(
    unmanaged: &std::collections::BTreeMap<String, usize>,
) -> Option<String> {
    let total: usize = unmanaged.values().sum();
    if total == 0 {
        return None;
    }
    let mut counts = Vec::new();
    let mut flags = Vec::new();
    for kind in crate::kinds::ALL {
        let Some(n) = unmanaged.get(kind.name).filter(|n| **n > 0) else {
            continue;
        };
        counts.push(format!(
            "{n} {}{}",
            kind.noun,
            if *n == 1 { "" } else { "s" }
        ));
        flags.push(format!("--kind {}", kind.name));
    }
    let (them, are) = if total == 1 {
        ("it", "is")
    } else {
        ("them", "are")
    };
    Some(format!(
        "{} in the refreshed regions {are} not managed by vpnform either. `vpnform import \
         {}` prints desired entries for {them} (`--write` appends them), and the next plan \
         adopts {them}.",
        counts.join(", "),
        flags.join(" ")
    ))
}

/// What both views say on stderr, in words: the notices and warnings a person reading
/// a job log needs whatever format stdout is in.
fn notice(ui: &Ui, event: &Event<'_>) {
    match event {
        Event::LockWait { holder, timeout } => ui.status(&lock_wait(*holder, *timeout)),
        Event::NoState { path } => ui.status(&format!(
            "No recorded state at {}: desired servers with an id will be adopted, those without one created.",
            path.display()
        )),
        Event::Resuming { plan_file, hash } => ui.status(&format!(
            "Resuming the saved plan {} (hash {hash}): finished actions are skipped, \
             pending ones resolved with their original ClientTokens.",
            plan_file.display()
        )),
        Event::RecordedOutside { servers } => ui.status(&format!(
            "Recorded the attributes the cloud answers for {servers} {} changed outside vpnform.",
            if *servers == 1 { "server" } else { "servers" }
        )),
        Event::Warning(message) => ui.warn(message),
        Event::Throttled(warning) => ui.warn(&warning.to_string()),
        Event::Interrupted => ui.warn(
            "interrupted: no new operation starts; those in flight finish and are \
             recorded. Press Ctrl-C again to exit at once (pending operations are then \
             resolved by the next run).",
        ),
        _ => {}
    }
}

/// The online plan's progress on stderr (`crate::ui::progress`): a bar on a terminal
/// for the human view, lines every few seconds otherwise and always for the JSON view.
struct Planning {
    ui: Ui,
    json: bool,
    step: std::sync::Mutex<Option<crate::ui::progress::StepProgress>>,
}

impl Planning {
    fn new(ui: &Ui, json: bool) -> Self {
        Planning {
            ui: ui.clone(),
            json,
            step: Default::default(),
        }
    }

    /// Shows the online plan's progress events; `false` for any other event.
    fn event(&self, event: &Event<'_>) -> bool {
        use crate::plan::online::Stage;
        use crate::ui::progress::{LINE_EVERY, StepProgress};
        match event {
            Event::Planning {
                stage,
                done,
                total,
                rate,
            } => {
                let (label, unit) = match stage {
                    Stage::Refresh => ("Refreshing", "regions"),
                    Stage::Precheck => ("Prechecking", "prechecks"),
                };
                let mut step = self.step.lock().unwrap();
                step.get_or_insert_with(|| StepProgress::new(&self.ui, self.json, LINE_EVERY))
                    .update(label, *done, *total, unit, *rate);
            }
            Event::PlanningDone => {
                if let Some(step) = self.step.lock().unwrap().take() {
                    step.finish();
                }
            }
            _ => return false,
        }
        true
    }
}

/// An apply's counts, as its summary says them.
struct Counts {
    added: usize,
    changed: usize,
    destroyed: usize,
    adopted: usize,
    forgotten: usize,
    /// Deleted outside vpnform: not counted as destroyed by this run.
    gone: usize,
    /// Journaled creates of an interrupted run that had taken no effect.
    dropped: usize,
}

impl Counts {
    fn of(outcome: &Outcome) -> Self {
        Counts {
            added: outcome.count(ActionKind::Create),
            changed: outcome.count(ActionKind::Update),
            destroyed: outcome.count(ActionKind::Delete),
            adopted: outcome.count(ActionKind::Adopt),
            forgotten: outcome.count(ActionKind::Forget),
            gone: outcome.already_gone(),
            dropped: outcome.dropped(),
        }
    }

    /// `Apply complete! Resources: 0 added, 0 changed, 2 destroyed, ...`.
    fn message(&self, complete: bool) -> String {
        let word = if complete {
            "Apply complete!"
        } else {
            "Apply incomplete!"
        };
        let gone = if self.gone > 0 {
            format!(", {} already gone", self.gone)
        } else {
            String::new()
        };
        let dropped = if self.dropped > 0 {
            format!(
                ", {} interrupted create(s) found to have taken no effect",
                self.dropped
            )
        } else {
            String::new()
        };
        format!(
            "{word} Resources: {} added, {} changed, {} destroyed, {} adopted, {} forgotten{gone}{dropped}.",
            self.added, self.changed, self.destroyed, self.adopted, self.forgotten
        )
    }
}
