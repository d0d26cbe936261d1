//! The JSON view: Terraform's machine-readable UI, one JSON object a line on stdout
//! (`version`, `planned_change`, `change_summary`, `diagnostic`, and during apply
//! `apply_start`, `apply_queued`, `apply_progress`, `apply_complete`, `apply_errored`),
//! and the `show --json` plan document. Every line is built here: one `resource` shape,
//! one `@timestamp` function (the view's clock, [`crate::ui::timestamp`] unless a test
//! injects another). What it says on stderr is what the human view says there.

use std::path::Path;

use serde_json::{Value, json};

use crate::apply::Outcome;
use crate::ops::{Event, Reporter, Several};
use crate::plan::render::{display_order, summary_line};
use crate::plan::{self, Action, ActionKind, Graph, Plan, resource_name};
use crate::ui::Ui;

/// The version of Terraform's machine-readable UI whose shape `--json` follows.
pub(crate) const JSON_UI_VERSION: &str = "1.2";
const MODULE: &str = "vpnform.ui";

/// Where a line's `@timestamp` comes from.
pub(crate) type Clock = fn() -> String;

/// Renders an operation's events as JSON lines on stdout.
pub(crate) struct Json {
    ui: Ui,
    clock: Clock,
    planning: super::Planning,
    /// Held from an event's stamp to its line being written: events of actions running
    /// side by side reach stdout in the order of their `@timestamp`s.
    order: std::sync::Mutex<()>,
}

impl Json {
    pub(crate) fn new(ui: Ui) -> Self {
        Json::with_clock(ui, crate::ui::timestamp)
    }

    /// A view whose lines carry `clock()`'s time (tests pin it).
    pub(crate) fn with_clock(ui: Ui, clock: Clock) -> Self {
        Json {
            planning: super::Planning::new(&ui, true),
            ui,
            clock,
            order: std::sync::Mutex::new(()),
        }
    }

    /// An operation's error as `diagnostic` lines, one per problem (each error in the
    /// desired file with its `range`, each refused precheck or failed action with its
    /// address). The caller still prints it on stderr for people reading the job log.
    pub(crate) fn error(&self, err: &anyhow::Error) {
        for event in self.diagnostics(err) {
            self.ui.out(&line(&event));
        }
    }

    /// `validate --json`: Terraform's one validation document (`format_version`,
    /// `valid`, the counts, and each error's diagnostic with its `range`).
    pub(crate) fn validation(&self, result: &anyhow::Result<()>) {
        let diagnostics: Vec<Value> = match result {
            Ok(()) => Vec::new(),
            Err(err) => self
                .diagnostics(err)
                .into_iter()
                .map(|mut event| event["diagnostic"].take())
                .collect(),
        };
        // Terraform's key order.
        #[derive(serde::Serialize)]
        struct Document {
            format_version: &'static str,
            valid: bool,
            error_count: usize,
            warning_count: usize,
            diagnostics: Vec<Value>,
        }
        let document = Document {
            format_version: "1.0",
            valid: result.is_ok(),
            error_count: diagnostics.len(),
            warning_count: 0,
            diagnostics,
        };
        self.ui.out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&document).expect("JSON values serialize")
        ));
    }

    fn now(&self) -> String {
        (self.clock)()
    }

    /// The first line of every `--json` stream.
    pub(crate) fn version_event(&self) -> Value {
        let version = env!("CARGO_PKG_VERSION");
        json!({
            "@level": "info",
            "@message": format!("vpnform {version}"),
            "@module": MODULE,
            "@timestamp": self.now(),
            "type": "version",
            "vpnform": version,
            "ui": JSON_UI_VERSION,
        })
    }

    /// A plan's lines: a warning per pending operation, a `planned_change` per action in
    /// display order, the `change_summary`.
    pub(crate) fn plan_lines(&self, plan: &Plan, graph: &Graph) -> String {
        let mut out = String::new();
        for p in &plan.pending {
            out.push_str(&line(&self.diagnostic_event(
                "warning",
                "Pending operation from an interrupted apply",
                &format!(
                    "{} {} {} was sent with ClientToken {} and is not confirmed; this \
                     targeted plan does not resolve it: a plan that targets it re-sends it \
                     with that token.",
                    p.address,
                    p.action,
                    p.id.as_deref().unwrap_or("(no id yet)"),
                    p.client_token
                ),
                Some(&p.address),
            )));
        }
        for warning in &plan.warnings {
            // Each names its address first: `ipsec_server.x: ...`.
            let address = warning
                .split_once(": ")
                .map(|(a, _)| a)
                .filter(|a| a.parse::<crate::Address>().is_ok());
            let summary = warning.split(". ").next().unwrap_or(warning);
            out.push_str(&line(
                &self.diagnostic_event("warning", summary, warning, address),
            ));
        }
        for drift in plan.shown_drift() {
            out.push_str(&line(&self.resource_drift_event(drift)));
        }
        for action in display_order(plan, graph) {
            out.push_str(&line(&self.planned_change_event(action, graph)));
        }
        out.push_str(&line(&self.change_summary_event(plan)));
        out
    }

    fn planned_change_event(&self, action: &Action, graph: &Graph) -> Value {
        let verb = match action.action {
            ActionKind::Create => "Plan to create",
            ActionKind::Delete => "Plan to delete",
            ActionKind::Adopt => "Plan to adopt",
            ActionKind::Forget => "Plan to forget",
            ActionKind::Update => "Plan to update",
            ActionKind::Replace => "Plan to replace",
        };
        let waits: Vec<&str> = graph
            .waits_for(&action.address)
            .iter()
            .map(|a| a.as_str())
            .collect();
        json!({
            "@level": "info",
            "@message": format!("{}: {verb}", action.address),
            "@module": MODULE,
            "@timestamp": self.now(),
            "type": "planned_change",
            "change": {
                "resource": resource(&action.address),
                "action": action.action.as_str(),
                "reason": action.reason,
                "id": action.id,
                "vpn_gateway": action.vpn_gateway,
                "region": action.region,
                "depends_on": action.depends_on,
                "waits_for": waits,
                "client_token": action.client_token,
                "precheck": action.precheck,
            },
        })
        .tap_moved(action)
        .tap_psk(action)
    }

    /// A server changed outside vpnform: Terraform's `resource_drift` line, with the
    /// attributes' recorded (`before`) and current (`after`) values. Never the PSK: it
    /// is not an attribute.
    fn resource_drift_event(&self, drift: &plan::Drift) -> Value {
        let changes: Vec<Value> = drift
            .changes
            .iter()
            .map(|c| json!({"field": c.field, "before": c.from, "after": c.to}))
            .collect();
        json!({
            "@level": "info",
            "@message": format!("{}: Drift detected (update)", drift.address),
            "@module": MODULE,
            "@timestamp": self.now(),
            "type": "resource_drift",
            "change": {
                "resource": resource(&drift.address),
                "action": "update",
                "id": drift.id,
                "changes": changes,
            },
        })
    }

    fn change_summary_event(&self, plan: &Plan) -> Value {
        let mut event = self.plan_summary(plan);
        if plan.refresh_only {
            event["changes"]["refresh_only"] = json!(true);
            event["changes"]["record"] = json!(plan.drift.len());
        }
        if plan.read_only {
            // Its prechecks are deferred to apply.
            event["changes"]["read_only"] = json!(true);
        }
        event
    }

    fn plan_summary(&self, plan: &Plan) -> Value {
        json!({
            "@level": "info",
            "@message": summary_line(plan),
            "@module": MODULE,
            "@timestamp": self.now(),
            "type": "change_summary",
            "changes": {
                "add": plan.count(ActionKind::Create),
                "change": plan.count(ActionKind::Update),
                "remove": plan.count(ActionKind::Delete),
                "adopt": plan.count(ActionKind::Adopt),
                "forget": plan.count(ActionKind::Forget),
                "operation": "plan",
            },
            "plan_hash": plan.hash,
        })
    }

    /// The apply's `change_summary`.
    fn apply_summary_event(&self, outcome: &Outcome) -> Value {
        let counts = super::Counts::of(outcome);
        let mut line = json!({
            "@level": "info",
            "@message": counts.message(outcome.is_success()),
            "@module": MODULE,
            "@timestamp": self.now(),
            "changes": {"add": counts.added, "change": counts.changed, "remove": counts.destroyed,
                        "adopt": counts.adopted, "forget": counts.forgotten, "operation": "apply"},
            "type": "change_summary",
        });
        if counts.gone > 0 {
            line["changes"]["already_gone"] = counts.gone.into();
        }
        line
    }

    /// The unmanaged-servers hint: an `info` line whose `unmanaged` object counts the
    /// servers per region.
    fn unmanaged_event(
        &self,
        note: &str,
        unmanaged: &std::collections::BTreeMap<String, usize>,
    ) -> Value {
        json!({
            "@level": "info",
            "@message": note,
            "@module": MODULE,
            "@timestamp": self.now(),
            "type": "unmanaged_servers",
            "unmanaged": {
                "total": unmanaged.values().sum::<usize>(),
                "regions": unmanaged,
            },
        })
    }

    /// A `diagnostic` line: `severity` is `error` or `warning`; `address` names the
    /// resource the diagnostic is about, if any.
    fn diagnostic_event(
        &self,
        severity: &str,
        summary: &str,
        detail: &str,
        address: Option<&str>,
    ) -> Value {
        let level = if severity == "error" { "error" } else { "warn" };
        let title = if severity == "error" {
            "Error"
        } else {
            "Warning"
        };
        let mut diagnostic = json!({
            "severity": severity,
            "summary": summary,
            "detail": detail,
        });
        if let Some(address) = address {
            diagnostic["address"] = json!(address);
        }
        json!({
            "@level": level,
            "@message": format!("{title}: {summary}"),
            "@module": MODULE,
            "@timestamp": self.now(),
            "type": "diagnostic",
            "diagnostic": diagnostic,
        })
    }

    /// One apply event's line.
    pub(crate) fn action_event(&self, event: &crate::apply::ActionEvent) -> Value {
        use crate::apply::ActionEvent as E;
        let (kind, level, hook) = match event {
            E::Start {
                address,
                action,
                id,
            } => (
                "apply_start",
                "info",
                json!({"resource": resource(address), "action": action_word(*action), "id_key": "id", "id_value": id}),
            ),
            E::Queued {
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
            E::Progress {
                address,
                action,
                elapsed,
                ..
            } => (
                "apply_progress",
                "info",
                json!({"resource": resource(address), "action": action_word(*action), "elapsed_seconds": elapsed.as_secs()}),
            ),
            E::Complete {
                address,
                action,
                id,
                elapsed,
            } => (
                "apply_complete",
                "info",
                json!({"resource": resource(address), "action": action_word(*action), "id_key": "id", "id_value": id, "elapsed_seconds": elapsed.as_secs()}),
            ),
            E::AlreadyGone {
                address,
                id,
                elapsed,
            } => (
                "apply_complete",
                "info",
                json!({"resource": resource(address), "action": "delete", "id_key": "id", "id_value": id, "elapsed_seconds": elapsed.as_secs(), "already_gone": true}),
            ),
            E::Errored {
                address,
                action,
                elapsed,
                error,
                ..
            } => {
                let mut hook = json!({"resource": resource(address), "action": action_word(*action), "elapsed_seconds": elapsed.as_secs()});
                // An API failure's code and RequestId as fields, for a machine reader to
                // act on or quote to support without parsing the message.
                if let Some(code) = error.code() {
                    hook["code"] = json!(code);
                    hook["request_id"] = json!(error.request_id());
                }
                ("apply_errored", "error", hook)
            }
            E::Note { address, message } => (
                "log",
                "warn",
                json!({"resource": resource(address), "message": message}),
            ),
            E::Skipped {
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
            "@message": super::human::action_line(event),
            "@module": MODULE,
            "@timestamp": self.now(),
            "hook": hook,
            "type": kind,
        });
        if let E::Errored { error, .. } = event {
            line["diagnostic"] =
                json!({"severity": "error", "summary": error.to_string(), "detail": ""});
        }
        line
    }

    fn diagnostics(&self, err: &anyhow::Error) -> Vec<Value> {
        /// The text of a file an error points into, for the error's byte range: through
        /// the bounded reader (standard input for `--desired -`, as it was read).
        fn reread(path: &std::path::Path) -> Option<String> {
            let bytes = if crate::config::is_stdin(path) {
                crate::config::read_bytes(path).ok()?
            } else {
                crate::files::read(path, crate::files::STATE).ok()?
            };
            String::from_utf8(bytes).ok()
        }
        // Every key that could not be read: one diagnostic each, with its address.
        let psk = err.chain().find_map(|e| {
            use crate::plan::online::OnlineError;
            e.downcast_ref::<crate::config::psk::PskErrors>()
                .or_else(|| match e.downcast_ref::<OnlineError>() {
                    Some(OnlineError::Psk(errors)) => Some(errors),
                    _ => None,
                })
        });
        if let Some(errors) = psk {
            return errors
                .0
                .iter()
                .map(|e| {
                    let text = e.to_string();
                    let summary = text.lines().next().unwrap_or_default();
                    self.diagnostic_event("error", summary, &text, Some(e.address().as_str()))
                })
                .collect();
        }
        let config = err
            .chain()
            .find_map(|e| e.downcast_ref::<crate::config::ConfigError>());
        if let Some(crate::config::ConfigError::Invalid { path, diagnostics }) = config
            && !diagnostics.is_empty()
        {
            let text = reread(path);
            return diagnostics
                .iter()
                .map(|d| {
                    let event = self.diagnostic_event("error", &d.message, &d.render(path), None);
                    let width = d
                        .labels
                        .iter()
                        .find(|l| l.primary && l.line == d.line && l.column == d.column)
                        .map_or(0, |l| l.width.max(1));
                    match text
                        .as_deref()
                        .and_then(|t| range_of(t, d.line, d.column, width))
                    {
                        Some((start, end)) => {
                            with_range(event, &path.display().to_string(), start, end)
                        }
                        None => event,
                    }
                })
                .collect();
        }
        if let Some((path, line, column)) = err.chain().find_map(file_location) {
            let detail = err.chain().map(|c| c.to_string()).collect::<Vec<_>>();
            let summary = err.to_string();
            let summary = summary.lines().next().unwrap_or_default();
            let event = self.diagnostic_event("error", summary, &detail.join("\n"), None);
            let range = reread(path).and_then(|t| range_of(&t, line, column, 0));
            return vec![match range {
                Some((start, end)) => with_range(event, &path.display().to_string(), start, end),
                None => event,
            }];
        }
        if let Some(plan_error) = err
            .chain()
            .find_map(|e| e.downcast_ref::<plan::PlanError>())
        {
            // One line per address, in the list's order.
            let addresses: Vec<&str> = match plan_error {
                plan::PlanError::Mismatch(list) => {
                    list.iter().map(|m| m.address.as_str()).collect()
                }
                plan::PlanError::Protected(list) | plan::PlanError::ProtectedFromDestroy(list) => {
                    list.iter().map(|(a, _)| a.as_str()).collect()
                }
                _ => Vec::new(),
            };
            let text = plan_error.to_string();
            if addresses.len() > 1 && text.lines().count() == addresses.len() {
                return text
                    .lines()
                    .zip(addresses)
                    .map(|(line, address)| {
                        self.diagnostic_event("error", line, line, Some(address))
                    })
                    .collect();
            }
        }
        if let Some(several) = err.downcast_ref::<Several>() {
            return several
                .items
                .iter()
                .map(|item| {
                    let text = item.to_string();
                    let summary = text.lines().next().unwrap_or_default();
                    self.diagnostic_event(
                        "error",
                        summary,
                        &format!("{}\n\n{text}", several.headline),
                        item.address.as_deref(),
                    )
                })
                .collect();
        }
        let detail: Vec<String> = err.chain().skip(1).map(|c| c.to_string()).collect();
        vec![self.diagnostic_event("error", &err.to_string(), &detail.join("\n"), None)]
    }
}

impl Reporter for Json {
    fn event(&self, event: &Event<'_>) {
        let _in_order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        if self.planning.event(event) {
            return;
        }
        match event {
            Event::Begin => self.ui.out(&line(&self.version_event())),
            Event::Planned(shown) => {
                self.ui.out(&self.plan_lines(shown.plan, shown.graph));
                if let Some(note) = super::unmanaged_note(&shown.plan.unmanaged) {
                    self.ui
                        .out(&line(&self.unmanaged_event(&note, &shown.plan.unmanaged)));
                }
                if let Some(note) = super::unmanaged_kinds_note(&shown.plan.unmanaged_kinds) {
                    self.ui.out(&line(&json!({
                        "@level": "info",
                        "@message": note,
                        "@module": MODULE,
                        "@timestamp": self.now(),
                        "type": "unmanaged_resources",
                        "unmanaged": {
                            "total": shown.plan.unmanaged_kinds.values().sum::<usize>(),
                            "kinds": shown.plan.unmanaged_kinds,
                        },
                    })));
                }
            }
            Event::Action(action) => self.ui.out(&line(&self.action_event(action))),
            Event::Summary(outcome) => self.ui.out(&line(&self.apply_summary_event(outcome))),
            // Said on stderr as the human view says it: a JSON reader needs none of it.
            other => super::notice(&self.ui, other),
        }
    }
}

/// One JSON object and its newline.
pub(crate) fn line(value: &Value) -> String {
    format!("{value}\n")
}

/// A resource as every line names it: Terraform's `resource` object.
fn resource(address: &str) -> Value {
    json!({
        "addr": address,
        "resource_type": resource_kind(address),
        "resource_name": resource_name(address),
        "module": "",
        "implied_provider": "alicloud",
    })
}

fn resource_kind(address: &str) -> &str {
    address
        .split_once('.')
        .map_or(crate::address::IPSEC_SERVER, |(kind, _)| kind)
}

fn action_word(action: ActionKind) -> &'static str {
    action.as_str()
}

/// A place in a file as Terraform's diagnostics give it: 1-based line and column (in
/// characters), 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pos {
    line: u64,
    column: u64,
    byte: u64,
}

/// `event` (a diagnostic) pointing at `start..end` of `filename`, so a CI annotation can
/// mark the line.
fn with_range(mut event: Value, filename: &str, start: Pos, end: Pos) -> Value {
    let pos = |p: Pos| json!({"line": p.line, "column": p.column, "byte": p.byte});
    event["diagnostic"]["range"] = json!({
        "filename": filename,
        "start": pos(start),
        "end": pos(end),
    });
    event
}

/// The file, line and column an error about the state file or a saved plan points at.
fn file_location<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<(&'a Path, u64, u64)> {
    use crate::state::StateError;
    if let Some(
        StateError::Parse {
            path, line, column, ..
        }
        | StateError::NewerVersion {
            path, line, column, ..
        }
        | StateError::UnsupportedVersion {
            path, line, column, ..
        }
        | StateError::Invalid {
            path, line, column, ..
        },
    ) = err.downcast_ref::<StateError>()
    {
        return Some((path, *line, *column));
    }
    match err.downcast_ref::<plan::saved::SavedPlanError>() {
        Some(plan::saved::SavedPlanError::Parse {
            path, line, column, ..
        }) => Some((path, *line as u64, *column as u64)),
        _ => None,
    }
}

/// Where a diagnostic points, as Terraform's `range`: from `line:column` over `width`
/// characters of that line (a point for 0). `None` if the file has no such line.
fn range_of(text: &str, line: u64, column: u64, width: u64) -> Option<(Pos, Pos)> {
    let mut line_start = 0usize;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index as u64 + 1 != line {
            line_start += content.len();
            continue;
        }
        let content = content.trim_end_matches(['\n', '\r']);
        let chars = content.chars().count() as u64;
        let pos = |column: u64| {
            let skip = (column.max(1) - 1) as usize;
            let within = content
                .char_indices()
                .nth(skip)
                .map_or(content.len(), |(b, _)| b);
            Pos {
                line,
                column,
                byte: (line_start + within) as u64,
            }
        };
        let end_column = (column + width).min(chars + 1).max(column);
        return Some((pos(column), pos(end_column)));
    }
    None
}

/// The version of Terraform's `show -json` plan representation this document follows.
pub(crate) const PLAN_FORMAT_VERSION: &str = "1.2";

/// What a plan document says about the plan besides its actions.
#[derive(Debug, Clone)]
pub(crate) struct DocumentInfo<'a> {
    /// The vpnform version that made the plan.
    pub vpnform_version: &'a str,
    pub created_at: &'a str,
    pub offline: bool,
}

/// A plan as one document in the shape of `terraform show -json PLANFILE`:
/// `format_version`, the tool's version, `resource_changes[]` (`address`, `mode`,
/// `type`, `name`, `change.actions`, `before`, `after`). Terraform's action words:
/// a delete is `["delete"]`; an adopt is `["no-op"]` with `importing.id`, as Terraform
/// shows an import that changes nothing; an update is `["update"]`; a forget is
/// `["forget"]`, Terraform's word (since 1.7) for a `removed` block that keeps the
/// object. `before`/`after` are the recorded resource before and after (`null` where
/// it does not exist), never a secret.
pub(crate) fn plan_document(plan: &Plan, graph: &Graph, info: &DocumentInfo) -> Value {
    let changes: Vec<Value> = display_order(plan, graph)
        .into_iter()
        .map(|a| {
            let object = resource_object(a);
            let (actions, before, after) = match a.action {
                ActionKind::Create => (json!(["create"]), Value::Null, object),
                // Create before destroy: Terraform lists the actions in that order.
                ActionKind::Replace => {
                    let mut before = object.clone();
                    if let Some(old) = &a.replaced {
                        before["id"] = json!(a.id);
                        before["vpn_gateway"] = json!(old.vpn_gateway);
                        before["region"] = json!(old.region);
                    }
                    (json!(["create", "delete"]), before, object)
                }
                ActionKind::Delete => (json!(["delete"]), object, Value::Null),
                ActionKind::Forget => (json!(["forget"]), object, Value::Null),
                ActionKind::Adopt => (json!(["no-op"]), object.clone(), object),
                ActionKind::Update => {
                    let (mut before, mut after) = (object.clone(), object);
                    for c in a.changes.iter().filter(|c| c.field != "psk") {
                        before[&c.field] = field_value(&c.field, &c.from);
                        after[&c.field] = field_value(&c.field, &c.to);
                    }
                    (json!(["update"]), before, after)
                }
            };
            let mut change = json!({
                "actions": actions,
                "before": before,
                "after": after,
                "client_token": a.client_token,
                "precheck": a.precheck,
                "reason": a.reason,
            });
            if a.action == ActionKind::Adopt {
                change["importing"] = json!({"id": a.id});
            }
            json!({
                "address": a.address,
                "mode": "managed",
                "type": a.resource_kind,
                "name": resource_name(&a.address),
                "provider_name": "vpnform",
                "change": change,
            })
        })
        .collect();
    let pending: Vec<Value> = plan
        .pending
        .iter()
        .map(|p| {
            json!({"address": p.address, "action": p.action, "id": p.id,
                   "client_token": p.client_token, "plan_hash": p.plan_hash})
        })
        .collect();
    let mut document = json!({
        "format_version": PLAN_FORMAT_VERSION,
        "vpnform_version": info.vpnform_version,
        "timestamp": info.created_at,
        "lineage": plan.lineage,
        "serial": plan.serial,
        "plan_hash": plan.hash,
        "offline": info.offline,
        "errored": false,
        "resource_changes": changes,
        "pending": pending,
        "summary": {
            "add": plan.count(ActionKind::Create),
            "change": plan.count(ActionKind::Update),
            "remove": plan.count(ActionKind::Delete),
            "adopt": plan.count(ActionKind::Adopt),
            "forget": plan.count(ActionKind::Forget),
        },
    });
    // As `terraform show -json`: `resource_drift` (only when something changed outside
    // vpnform, so other documents read as before), each with the changed attributes'
    // recorded and current values.
    let drift: Vec<Value> = plan
        .shown_drift()
        .map(|d| {
            let (mut before, mut after) = (json!({}), json!({}));
            for c in &d.changes {
                before[&c.field] = json!(c.from);
                after[&c.field] = json!(c.to);
            }
            json!({
                "address": d.address,
                "mode": "managed",
                "type": resource_kind(&d.address),
                "name": resource_name(&d.address),
                "provider_name": "vpnform",
                "change": {"actions": ["update"], "before": before, "after": after},
            })
        })
        .collect();
    if !drift.is_empty() {
        document["resource_drift"] = json!(drift);
    }
    if plan.refresh_only {
        document["refresh_only"] = json!(true);
    }
    if plan.read_only {
        document["read_only"] = json!(true);
    }
    if plan.destroy {
        document["destroy"] = json!(true);
    }
    document
}

/// A recorded resource as a JSON object: what the state holds for it.
fn resource_object(a: &Action) -> Value {
    let mut object = json!({
        "id": a.id,
        "region": a.region,
        "vpn_gateway": a.vpn_gateway,
        "depends_on": a.depends_on,
        "protect": a.protect,
    });
    for (key, value) in &a.attributes {
        object[key] = json!(value);
    }
    if matches!(a.action, ActionKind::Create | ActionKind::Replace) {
        object["id"] = Value::Null;
    }
    // The source and whether the action sets it: never the key.
    // Under the kind's name for its secret (a customer gateway's `auth_key`).
    if let Some(psk) = &a.psk {
        object[a.address.kind().facts().secret_name()] = json!({"source": psk.source.to_string(), "sensitive": true,
                               "changed": psk.changed});
    }
    object
}

/// Adds a plan event's PSK source and set/changed flag (never the key), its changes,
/// attributes, replaced server and the journal entry it resolves.
trait TapPsk {
    fn tap_psk(self, action: &Action) -> Self;
    /// A move's old address (Terraform's `previous_resource`), a create again's gone id.
    fn tap_moved(self, action: &Action) -> Self;
}

impl TapPsk for Value {
    fn tap_moved(mut self, action: &Action) -> Value {
        if let Some(from) = &action.moved_from {
            self["change"]["previous_resource"] = resource(from);
            self["change"]["action"] = json!("move");
        }
        if let Some(gone) = &action.recreates {
            self["change"]["recreates"] = json!(gone);
        }
        self
    }

    fn tap_psk(mut self, action: &Action) -> Value {
        if let Some(psk) = &action.psk {
            self["change"][action.address.kind().facts().secret_name()] =
                json!({"source": psk.source.to_string(), "changed": psk.changed});
        }
        if action.action == ActionKind::Update && action.mutates_cloud() {
            let changes: Vec<Value> = action
                .changes
                .iter()
                .map(|c| json!({"field": c.field, "before": c.from, "after": c.to}))
                .collect();
            self["change"]["changes"] = json!(changes);
        }
        if matches!(action.action, ActionKind::Create | ActionKind::Replace)
            || action.creates_and_deletes()
        {
            self["change"]["attributes"] = json!(action.attributes);
        }
        // The journal entry of an interrupted run that the action resolves.
        if let Some(r) = &action.resumes {
            self["change"]["resumes"] = json!({"action": r.action,
                "client_token": r.client_token, "plan_hash": r.plan_hash});
            if r.deposed {
                self["change"]["deposed"] = json!(true);
            }
        }
        if let Some(old) = &action.replaced {
            self["change"]["replaced"] = json!({"id": action.id,
                "vpn_gateway": old.vpn_gateway, "region": old.region,
                "client_token": old.client_token, "precheck": old.precheck});
        }
        self
    }
}

/// An update's rendered old or new value as JSON: `protect` a boolean, `depends_on` a
/// list of addresses.
fn field_value(field: &str, text: &str) -> Value {
    match field {
        "protect" => json!(text == "true"),
        "depends_on" => {
            let inner = text.trim_start_matches('[').trim_end_matches(']');
            let list: Vec<&str> = inner.split(", ").filter(|s| !s.is_empty()).collect();
            json!(list)
        }
        _ => json!(text),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ui::Verbosity;

    fn fixed() -> String {
        "2026-01-02T03:04:05.000000Z".to_owned()
    }

    fn view() -> Json {
        Json::with_clock(Ui::new(true, Verbosity::Normal), fixed)
    }

    /// Every line's time comes from the view's one clock, so a test can pin it.
    #[test]
    fn lines_carry_the_views_clock() {
        let event = crate::apply::ActionEvent::Complete {
            address: "ipsec_server.a".into(),
            action: ActionKind::Delete,
            id: "iss-a".into(),
            elapsed: Duration::from_millis(2500),
        };
        assert_eq!(
            line(&view().action_event(&event)),
            "{\"@level\":\"info\",\"@message\":\"ipsec_server.a: Destruction complete after 2s\",\
             \"@module\":\"vpnform.ui\",\"@timestamp\":\"2026-01-02T03:04:05.000000Z\",\
             \"hook\":{\"action\":\"delete\",\"elapsed_seconds\":2,\"id_key\":\"id\",\
             \"id_value\":\"iss-a\",\"resource\":{\"addr\":\"ipsec_server.a\",\
             \"implied_provider\":\"alicloud\",\"module\":\"\",\"resource_name\":\"a\",\
             \"resource_type\":\"ipsec_server\"}},\"type\":\"apply_complete\"}\n"
        );
        assert_eq!(view().version_event()["@timestamp"], fixed());
    }

    /// Regression: a plan's `planned_change` named its resource with three keys, the
    /// apply's events with five. One shape now.
    #[test]
    fn planned_changes_and_apply_events_had_two_resource_shapes() {
        let action = Action {
            address: "ipsec_server.a".into(),
            resource_kind: crate::address::IPSEC_SERVER.into(),
            action: ActionKind::Delete,
            id: "iss-a".into(),
            region: "cn-hangzhou".into(),
            vpn_gateway: "vpn-a".into(),
            depends_on: vec![],
            client_token: "vpnform-t".into(),
            precheck: plan::Precheck::Skipped,
            reason: "removed from desired state".into(),
            protect: false,
            attributes: Default::default(),
            changes: vec![],
            psk: None,
            replaced: None,
            resumes: None,
            recreates: None,
            moved_from: None,
        };
        let plan = Plan {
            lineage: String::new(),
            serial: 0,
            desired_sha256: String::new(),
            desired_path: String::new(),
            actions: vec![action.clone()],
            unmanaged: Default::default(),
            unmanaged_kinds: Default::default(),
            targets: vec![],
            hash: String::new(),
            pending: vec![],
            drift: vec![],
            refresh_only: false,
            read_only: false,
            destroy: false,
            warnings: Vec::new(),
        };
        let graph = plan.graph().unwrap();
        let planned = view().planned_change_event(&action, &graph);
        let started = view().action_event(&crate::apply::ActionEvent::Start {
            address: "ipsec_server.a".into(),
            action: ActionKind::Delete,
            id: "iss-a".into(),
        });
        assert_eq!(planned["change"]["resource"], started["hook"]["resource"]);
        assert_eq!(planned["change"]["resource"], resource("ipsec_server.a"));
    }
}
