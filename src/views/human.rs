//! The human view: the plan as Terraform-like text and the apply's summary on stdout;
//! what is happening (each action's steps, the lock wait, notices) on stderr, with a
//! progress bar under the lines when stderr is a terminal.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use crate::apply::ActionEvent;
use crate::ops::{self, PlanShown, Reporter};
use crate::plan::ActionKind;
use crate::plan::render::{self, TextOptions};
use crate::ui::Ui;

/// Renders an operation's events as text.
pub(crate) struct Human {
    ui: Ui,
    /// `--full`: every block and the state diff, however large the plan.
    full: bool,
    /// The apply's progress bar, while the executor runs on a terminal.
    bar: Mutex<Option<indicatif::ProgressBar>>,
    /// Started and not finished yet.
    in_flight: AtomicUsize,
    planning: super::Planning,
}

impl Human {
    pub(crate) fn new(ui: Ui, full: bool) -> Self {
        Human {
            planning: super::Planning::new(&ui, false),
            ui,
            full,
            bar: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// The bar for a run of `actions` actions, when stderr is a terminal (and not `-q`).
    fn start_bar(&self, actions: usize) {
        if !self.ui.stderr_is_terminal() || self.ui.verbosity() <= crate::ui::Verbosity::Quiet {
            return;
        }
        let bar = indicatif::ProgressBar::new(actions as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} done, {msg}  [{elapsed}]",
            )
            .expect("a valid template"),
        );
        bar.set_message(bar_message(0, 0, actions));
        bar.enable_steady_tick(Duration::from_millis(500));
        *self.bar.lock().unwrap() = Some(bar);
    }

    /// Removes the bar, leaving the lines printed above it.
    fn finish_bar(&self) {
        if let Some(bar) = self.bar.lock().unwrap().take() {
            bar.finish_and_clear();
        }
    }

    fn action(&self, event: &ActionEvent) {
        let guard = self.bar.lock().unwrap();
        let Some(bar) = guard.as_ref() else {
            self.ui.status(&action_line(event));
            return;
        };
        bar.suspend(|| self.ui.status(&action_line(event)));
        match event {
            ActionEvent::Start { .. } => {
                self.in_flight.fetch_add(1, SeqCst);
            }
            ActionEvent::Complete { .. }
            | ActionEvent::AlreadyGone { .. }
            | ActionEvent::Errored { .. } => {
                let _ = self
                    .in_flight
                    .fetch_update(SeqCst, SeqCst, |n| Some(n.saturating_sub(1)));
                bar.inc(1);
            }
            ActionEvent::Skipped { .. } => bar.inc(1),
            ActionEvent::Queued { .. }
            | ActionEvent::Progress { .. }
            | ActionEvent::Note { .. } => {}
        }
        let total = bar.length().unwrap_or(0) as usize;
        bar.set_message(bar_message(
            bar.position() as usize,
            self.in_flight.load(SeqCst),
            total,
        ));
    }

    /// The plan's text, with the state diff when it changes anything.
    fn plan(&self, shown: &PlanShown<'_>) -> Result<String, serde_saphyr::SerializeError> {
        let PlanShown {
            plan,
            graph,
            state,
            state_exists,
            state_path,
            offline,
        } = *shown;
        let state_diff = if plan.records_anything() {
            let before = if state_exists {
                crate::state::to_yaml(state)?
            } else {
                String::new()
            };
            let after = if state_exists {
                render::after_yaml(plan, state, &before)?
            } else {
                crate::state::to_yaml(&plan.state_after(state))?
            };
            Some(render::state_diff(
                &state_path.display().to_string(),
                &before,
                &after,
            ))
        } else {
            None
        };
        let options = TextOptions {
            offline,
            state_diff,
            full: self.full,
        };
        let mut text = render::text(plan, graph, &options);
        if let Some(note) = super::unmanaged_note(&plan.unmanaged) {
            text.push_str(&format!("\nNote: {note}\n"));
        }
        if let Some(note) = super::unmanaged_kinds_note(&plan.unmanaged_kinds) {
            text.push_str(&format!("\nNote: {note}\n"));
        }
        Ok(text)
    }
}

impl Reporter for Human {
    fn event(&self, event: &ops::Event<'_>) {
        use ops::Event as E;
        if self.planning.event(event) {
            return;
        }
        match event {
            E::Planned(shown) => match self.plan(shown) {
                Ok(text) => self.ui.out(&text),
                Err(err) => self
                    .ui
                    .warn(&format!("cannot render the state file after the plan: {err}")),
            },
            E::PlannedAgainstSandbox => self
                .ui
                .status("Note: planned against the in-process sandbox (--sandbox), not the cloud."),
            E::PlanSaved { path } => self.ui.out(&format!(
                "\nSaved the plan to: {path}\n\nTo perform exactly these actions, run:\n    \
                 vpnform apply {path}\n",
                path = path.display()
            )),
            E::ApplyStarting { actions } => self.start_bar(*actions),
            E::Action(action) => self.action(action),
            E::ApplyFinished => self.finish_bar(),
            E::Summary(outcome) => {
                let message = super::Counts::of(outcome).message(outcome.is_success());
                self.ui.out(&format!("\n{message}\n"));
            }
            E::Rehearsed {
                path,
                before,
                after,
            } => self.ui.out(&format!(
                "\nRehearsal against the in-process sandbox: {} was not written. It would become:\n\n{}",
                path.display(),
                render::state_diff(&path.display().to_string(), before, after)
            )),
            other => super::notice(&self.ui, other),
        }
    }
}

/// The bar's words after `done/total done, `: what is running and what is still to
/// start (waiting for a gateway or for the actions it depends on).
pub(crate) fn bar_message(done: usize, in_flight: usize, total: usize) -> String {
    let queued = total.saturating_sub(done + in_flight);
    format!("{in_flight} in flight, {queued} queued")
}

fn verb(action: ActionKind) -> (&'static str, &'static str, &'static str) {
    match action {
        ActionKind::Create => ("Creating...", "Still creating...", "Creation complete"),
        ActionKind::Delete => (
            "Destroying...",
            "Still destroying...",
            "Destruction complete",
        ),
        ActionKind::Adopt => ("Adopting...", "Still adopting...", "Adoption complete"),
        ActionKind::Forget => ("Forgetting...", "Still forgetting...", "Forgotten"),
        ActionKind::Update => ("Updating...", "Still updating...", "Update complete"),
        ActionKind::Replace => ("Replacing...", "Still replacing...", "Replacement complete"),
    }
}

/// ` [id=ID]`, or nothing for a create the cloud has not answered yet.
fn id_part(id: &str) -> String {
    if id.is_empty() {
        String::new()
    } else {
        format!(" [id={id}]")
    }
}

/// One executor event as a line of text.
pub(crate) fn action_line(event: &ActionEvent) -> String {
    match event {
        // A create has no id until the cloud answers it.
        ActionEvent::Start {
            address,
            action: ActionKind::Create,
            ..
        } => format!("{address}: {}", verb(ActionKind::Create).0),
        ActionEvent::Start {
            address,
            action,
            id,
        } => format!("{address}: {} [id={id}]", verb(*action).0),
        ActionEvent::Queued {
            address,
            id,
            gateway,
            behind,
            code,
            ..
        } => {
            let why = match (behind, code) {
                (Some(b), _) => format!("busy with {b}; one operation per gateway at a time"),
                (None, Some(c)) => {
                    format!("busy in the cloud ({c}); the delete is sent again when it is active")
                }
                (None, None) => "busy with another action of this run".to_owned(),
            };
            format!(
                "{address}: Waiting for gateway {gateway}{}: {why}",
                id_part(id)
            )
        }
        ActionEvent::Progress {
            address,
            action,
            id,
            elapsed,
            gateway,
            status,
        } => format!(
            "{address}: {} [{}{} elapsed, gateway {gateway} {}]",
            verb(*action).1,
            if id.is_empty() {
                String::new()
            } else {
                format!("id={id}, ")
            },
            crate::duration::elapsed(*elapsed),
            status.as_deref().unwrap_or("status not read yet")
        ),
        ActionEvent::Complete {
            address,
            action: ActionKind::Create,
            elapsed,
            id,
        } => format!(
            "{address}: {} after {} [id={id}]",
            verb(ActionKind::Create).2,
            crate::duration::elapsed(*elapsed)
        ),
        ActionEvent::Complete {
            address,
            action,
            elapsed,
            ..
        } => format!(
            "{address}: {} after {}",
            verb(*action).2,
            crate::duration::elapsed(*elapsed)
        ),
        ActionEvent::AlreadyGone { address, id, .. } => format!(
            "{address}: Already gone [id={id}]: deleted outside vpnform since the plan; removed from the state"
        ),
        ActionEvent::Errored { address, error, .. } => format!("{address}: failed: {error}"),
        ActionEvent::Skipped {
            address, because, ..
        } => format!("{address}: skipped: it waits for {because}, which did not complete"),
        ActionEvent::Note { address, message } => format!("{address}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A create has no id until the cloud answers: its lines said `[id=]`.
    #[test]
    fn a_create_s_lines_name_no_empty_id() {
        let address: crate::Address = "ipsec_server.new".into();
        let start = ActionEvent::Start {
            address: address.clone(),
            action: ActionKind::Create,
            id: String::new(),
        };
        assert_eq!(action_line(&start), "ipsec_server.new: Creating...");
        let progress = ActionEvent::Progress {
            address: address.clone(),
            action: ActionKind::Create,
            id: String::new(),
            elapsed: std::time::Duration::from_secs(10),
            gateway: "vpn-a".into(),
            status: Some("updating".into()),
        };
        assert_eq!(
            action_line(&progress),
            "ipsec_server.new: Still creating... [10s elapsed, gateway vpn-a updating]"
        );
        let done = ActionEvent::Complete {
            address,
            action: ActionKind::Create,
            id: "iss-new".into(),
            elapsed: std::time::Duration::from_secs(12),
        };
        assert_eq!(
            action_line(&done),
            "ipsec_server.new: Creation complete after 12s [id=iss-new]"
        );
    }

    /// The bar counted only finished actions: a run of 200 deletes queued behind busy
    /// gateways looked the same as one stuck.
    #[test]
    fn the_bar_shows_done_in_flight_and_queued() {
        assert_eq!(bar_message(0, 0, 200), "0 in flight, 200 queued");
        assert_eq!(bar_message(40, 10, 200), "10 in flight, 150 queued");
        assert_eq!(bar_message(200, 0, 200), "0 in flight, 0 queued");
    }

    #[test]
    fn queued_lines_say_what_they_wait_for() {
        let queued = |behind: Option<&str>, code: Option<&str>| ActionEvent::Queued {
            address: "ipsec_server.b".into(),
            action: ActionKind::Delete,
            id: "iss-b".into(),
            gateway: "vpn-g".into(),
            behind: behind.map(Into::into),
            code: code.map(Into::into),
        };
        assert_eq!(
            action_line(&queued(Some("ipsec_server.a"), None)),
            "ipsec_server.b: Waiting for gateway vpn-g [id=iss-b]: busy with ipsec_server.a; \
             one operation per gateway at a time"
        );
        assert_eq!(
            action_line(&queued(None, None)),
            "ipsec_server.b: Waiting for gateway vpn-g [id=iss-b]: busy with another action \
             of this run"
        );
    }
}
