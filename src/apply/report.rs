//! What a run tells the user: events, rendered as Terraform-like text lines on stderr or
//! as Terraform's machine-readable UI JSON lines on stdout.

use std::time::Duration;

use serde_json::json;

use crate::Address;
use crate::plan::ActionKind;
use crate::ui::Ui;

#[derive(Debug, Clone)]
pub enum Event {
    /// An action starts (after its intent is journaled).
    Start {
        address: Address,
        action: ActionKind,
        id: String,
    },
    /// A delete waits for its VPN gateway: another action of this run holds it
    /// (`behind`, when known; one operation per gateway at a time), or the cloud answered
    /// that it is busy (`code`, e.g. `VpnGateway.Configuring`).
    Queued {
        address: Address,
        action: ActionKind,
        id: String,
        gateway: String,
        behind: Option<Address>,
        code: Option<String>,
    },
    /// Still waiting; `status` is the gateway's last known status.
    Progress {
        address: Address,
        action: ActionKind,
        id: String,
        elapsed: Duration,
        gateway: String,
        status: Option<String>,
    },
    Complete {
        address: Address,
        action: ActionKind,
        id: String,
        elapsed: Duration,
    },
    /// A delete found its server already gone and recorded it as deleted.
    AlreadyGone {
        address: Address,
        id: String,
        elapsed: Duration,
    },
    Errored {
        address: Address,
        action: ActionKind,
        id: String,
        elapsed: Duration,
        message: String,
    },
    /// An action that waited for a failed one and was not run.
    Skipped {
        address: Address,
        action: ActionKind,
        because: Address,
    },
}

pub trait Reporter: Send + Sync {
    fn event(&self, event: &Event);
}

/// Reports through the ui: text on stderr, or JSON lines on stdout; with a progress bar
/// under the text when stderr is a terminal.
pub struct UiReporter {
    ui: Ui,
    json: bool,
    bar: Option<indicatif::ProgressBar>,
    /// Started and not finished yet.
    in_flight: std::sync::atomic::AtomicUsize,
}

impl UiReporter {
    /// `actions`: how many actions the run has (the bar's length).
    pub fn new(ui: Ui, json: bool, actions: usize) -> Self {
        let bar =
            (!json && ui.stderr_is_terminal() && ui.verbosity() > crate::ui::Verbosity::Quiet)
                .then(|| {
                    let bar = indicatif::ProgressBar::new(actions as u64);
                    bar.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{bar:30} {pos}/{len} done, {msg}  [{elapsed}]",
                        )
                        .expect("a valid template"),
                    );
                    bar.set_message(bar_message(0, 0, actions));
                    bar.enable_steady_tick(Duration::from_millis(500));
                    bar
                });
        UiReporter {
            ui,
            json,
            bar,
            in_flight: Default::default(),
        }
    }

    /// Removes the bar, leaving the lines printed above it.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Reporter for UiReporter {
    fn event(&self, event: &Event) {
        if self.json {
            self.ui.out(&(json_line(event).to_string() + "\n"));
            return;
        }
        match &self.bar {
            Some(bar) => {
                use std::sync::atomic::Ordering::SeqCst;
                bar.suspend(|| self.ui.status(&text_line(event)));
                match event {
                    Event::Start { .. } => {
                        self.in_flight.fetch_add(1, SeqCst);
                    }
                    Event::Complete { .. } | Event::AlreadyGone { .. } | Event::Errored { .. } => {
                        let _ = self
                            .in_flight
                            .fetch_update(SeqCst, SeqCst, |n| Some(n.saturating_sub(1)));
                        bar.inc(1);
                    }
                    Event::Skipped { .. } => bar.inc(1),
                    Event::Queued { .. } | Event::Progress { .. } => {}
                }
                let total = bar.length().unwrap_or(0) as usize;
                bar.set_message(bar_message(
                    bar.position() as usize,
                    self.in_flight.load(SeqCst),
                    total,
                ));
            }
            None => self.ui.status(&text_line(event)),
        }
    }
}

/// The bar's words after `done/total done, `: what is running and what is still to
/// start (waiting for a gateway or for the actions it depends on).
pub fn bar_message(done: usize, in_flight: usize, total: usize) -> String {
    let queued = total.saturating_sub(done + in_flight);
    format!("{in_flight} in flight, {queued} queued")
}

fn verb(action: ActionKind) -> (&'static str, &'static str, &'static str) {
    match action {
        ActionKind::Delete => (
            "Destroying...",
            "Still destroying...",
            "Destruction complete",
        ),
        ActionKind::Adopt => ("Adopting...", "Still adopting...", "Adoption complete"),
        ActionKind::Forget => ("Forgetting...", "Still forgetting...", "Forgotten"),
        ActionKind::Update => ("Updating...", "Still updating...", "Update complete"),
    }
}

/// Seconds as Terraform prints them: `23s`, `1m5s`.
pub fn human(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    if secs >= 60 {
        format!("{}m{}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

pub fn text_line(event: &Event) -> String {
    match event {
        Event::Start {
            address,
            action,
            id,
        } => format!("{address}: {} [id={id}]", verb(*action).0),
        Event::Queued {
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
            format!("{address}: Waiting for gateway {gateway} [id={id}]: {why}")
        }
        Event::Progress {
            address,
            action,
            id,
            elapsed,
            gateway,
            status,
        } => format!(
            "{address}: {} [id={id}, {} elapsed, gateway {gateway} {}]",
            verb(*action).1,
            human(*elapsed),
            status.as_deref().unwrap_or("status not read yet")
        ),
        Event::Complete {
            address,
            action,
            elapsed,
            ..
        } => format!("{address}: {} after {}", verb(*action).2, human(*elapsed)),
        Event::AlreadyGone { address, id, .. } => format!(
            "{address}: Already gone [id={id}]: deleted outside vpnform since the plan; removed from the state"
        ),
        Event::Errored {
            address, message, ..
        } => format!("{address}: failed: {message}"),
        Event::Skipped {
            address, because, ..
        } => format!("{address}: skipped: it waits for {because}, which did not complete"),
    }
}

fn resource(address: &Address) -> serde_json::Value {
    let (kind, name) = (address.kind().as_str(), address.name());
    json!({"addr": address, "resource_type": kind, "resource_name": name, "module": "", "implied_provider": "alicloud"})
}

fn action_word(action: ActionKind) -> &'static str {
    match action {
        ActionKind::Delete => "delete",
        ActionKind::Adopt => "adopt",
        ActionKind::Forget => "forget",
        ActionKind::Update => "update",
    }
}

pub fn json_line(event: &Event) -> serde_json::Value {
    let (kind, level, hook) = match event {
        Event::Start {
            address,
            action,
            id,
        } => (
            "apply_start",
            "info",
            json!({"resource": resource(address), "action": action_word(*action), "id_key": "id", "id_value": id}),
        ),
        Event::Queued {
            address,
            action,
            gateway,
            behind,
            code,
            ..
        } => (
            "apply_queued",
            "info",
            json!({"resource": resource(address), "action": action_word(*action), "vpn_gateway": gateway, "busy_with": behind, "code": code}),
        ),
        Event::Progress {
            address,
            action,
            elapsed,
            ..
        } => (
            "apply_progress",
            "info",
            json!({"resource": resource(address), "action": action_word(*action), "elapsed_seconds": elapsed.as_secs()}),
        ),
        Event::Complete {
            address,
            action,
            id,
            elapsed,
        } => (
            "apply_complete",
            "info",
            json!({"resource": resource(address), "action": action_word(*action), "id_key": "id", "id_value": id, "elapsed_seconds": elapsed.as_secs()}),
        ),
        Event::AlreadyGone {
            address,
            id,
            elapsed,
        } => (
            "apply_complete",
            "info",
            json!({"resource": resource(address), "action": "delete", "id_key": "id", "id_value": id, "elapsed_seconds": elapsed.as_secs(), "already_gone": true}),
        ),
        Event::Errored {
            address,
            action,
            elapsed,
            ..
        } => (
            "apply_errored",
            "error",
            json!({"resource": resource(address), "action": action_word(*action), "elapsed_seconds": elapsed.as_secs()}),
        ),
        Event::Skipped {
            address,
            action,
            because,
        } => (
            "apply_errored",
            "error",
            json!({"resource": resource(address), "action": action_word(*action), "elapsed_seconds": 0, "skipped_because": because}),
        ),
    };
    let mut line = json!({
        "@level": level,
        "@message": text_line(event),
        "@module": "vpnform.ui",
        "@timestamp": crate::ui::timestamp(),
        "hook": hook,
        "type": kind,
    });
    if let Event::Errored { message, .. } = event {
        line["diagnostic"] = json!({"severity": "error", "summary": message, "detail": ""});
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let queued = |behind: Option<&str>, code: Option<&str>| Event::Queued {
            address: "ipsec_server.b".into(),
            action: ActionKind::Delete,
            id: "iss-b".into(),
            gateway: "vpn-g".into(),
            behind: behind.map(Into::into),
            code: code.map(Into::into),
        };
        assert_eq!(
            text_line(&queued(Some("ipsec_server.a"), None)),
            "ipsec_server.b: Waiting for gateway vpn-g [id=iss-b]: busy with ipsec_server.a; \
             one operation per gateway at a time"
        );
        assert_eq!(
            text_line(&queued(None, None)),
            "ipsec_server.b: Waiting for gateway vpn-g [id=iss-b]: busy with another action \
             of this run"
        );
    }
}
