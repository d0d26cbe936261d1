//! How a plan is shown: Terraform-like text, Terraform's machine-readable UI lines
//! (`--json`), and the unified diff of the state file before and after. Pure functions
//! returning strings; the CLI writes them through [`crate::ui`]. The text carries ANSI
//! styles, which the ui's streams strip when colour is off (`--no-color`, `NO_COLOR`, a
//! pipe). Same plan in, same bytes out.

use std::fmt::Write as _;

use anstyle::Style;
use serde_json::{Value, json};

use super::graph::Graph;
use super::model::{Action, ActionKind, Plan, Precheck};
use super::{IPSEC_SERVER, reason, resource_name};
use crate::ui::style;

/// The version of Terraform's machine-readable UI whose shape `--json` follows.
pub const JSON_UI_VERSION: &str = "1.2";
const MODULE: &str = "vpnform.ui";

/// What the text rendering needs besides the plan.
#[derive(Debug, Clone, Default)]
pub struct TextOptions {
    /// Made with `--offline`: say so once, at the top.
    pub offline: bool,
    /// The state diff from [`state_diff`], shown after the summary.
    pub state_diff: Option<String>,
}

/// The actions in the order they are shown: deletes in execution order (dependencies
/// first, ties by address), then adopts, then forgets, each by address.
pub fn display_order<'p>(plan: &'p Plan, graph: &Graph) -> Vec<&'p Action> {
    let by_address: std::collections::BTreeMap<&str, &Action> = plan
        .actions
        .iter()
        .map(|a| (a.address.as_str(), a))
        .collect();
    let mut list = Vec::with_capacity(plan.actions.len());
    for kind in [
        ActionKind::Delete,
        ActionKind::Adopt,
        ActionKind::Update,
        ActionKind::Forget,
    ] {
        list.extend(
            graph
                .order()
                .iter()
                .filter_map(|address| by_address.get(address.as_str()).copied())
                .filter(|a| a.action == kind),
        );
    }
    list
}

/// `Plan: 0 to add, 0 to change, 2 to destroy, 1 to adopt, 0 to forget.` (updates are
/// the "change": state-only, nothing changes in the cloud).
pub fn summary_line(plan: &Plan) -> String {
    format!(
        "Plan: 0 to add, {} to change, {} to destroy, {} to adopt, {} to forget.",
        plan.count(ActionKind::Update),
        plan.count(ActionKind::Delete),
        plan.count(ActionKind::Adopt),
        plan.count(ActionKind::Forget)
    )
}

/// The plan as text, Terraform-like.
pub fn text(plan: &Plan, graph: &Graph, options: &TextOptions) -> String {
    let mut out = String::new();
    if options.offline {
        let _ = writeln!(
            out,
            "{}Note:{} offline plan: the cloud was not read (no refresh, no delete prechecks).\n",
            style::BOLD.render(),
            style::BOLD.render_reset()
        );
    }
    if !plan.pending.is_empty() {
        let s = style::WARNING;
        let _ = writeln!(
            out,
            "{s}Pending operations{s:#} from an interrupted apply; apply resolves them first, \
             re-sending each with its original ClientToken:"
        );
        for p in &plan.pending {
            let _ = writeln!(
                out,
                "  {}: {} {} (ClientToken {}, plan {})",
                p.address,
                p.action,
                p.id,
                p.client_token,
                short_hash(&p.plan_hash)
            );
        }
        out.push('\n');
    }
    if !plan.has_changes() {
        let _ = writeln!(
            out,
            "{b}No changes.{r} Your infrastructure matches the configuration.\n\n\
             vpnform has compared the desired state with the recorded state{cloud} and found \
             no differences, so no changes are needed.",
            b = style::ADD.bold().render(),
            r = style::ADD.bold().render_reset(),
            cloud = if options.offline {
                ""
            } else {
                " and the cloud"
            },
        );
        return out;
    }

    let _ = writeln!(
        out,
        "Resource actions are indicated with the following symbols:"
    );
    for (kind, text) in [
        (
            ActionKind::Delete,
            "destroy (delete in the cloud, then drop from the state)",
        ),
        (
            ActionKind::Adopt,
            "adopt (record in the state; nothing changes in the cloud)",
        ),
        (
            ActionKind::Update,
            "update (record the new protect/depends_on; nothing changes in the cloud)",
        ),
        (
            ActionKind::Forget,
            "forget (drop from the state; nothing changes in the cloud)",
        ),
    ] {
        if plan.count(kind) > 0 {
            let (symbol, s) = symbol(kind);
            let _ = writeln!(out, "  {s}{symbol}{s:#} {text}");
        }
    }
    let _ = writeln!(out, "\nvpnform will perform the following actions:\n");

    for action in display_order(plan, graph) {
        block(&mut out, action, graph);
        out.push('\n');
    }

    let _ = writeln!(
        out,
        "{}{}{}",
        style::BOLD.render(),
        summary_line(plan),
        style::BOLD.render_reset()
    );
    let _ = writeln!(out, "Plan hash: {}", plan.hash);
    if let Some(diff) = &options.state_diff {
        out.push('\n');
        out.push_str(diff);
    }
    out
}

fn symbol(kind: ActionKind) -> (&'static str, Style) {
    match kind {
        ActionKind::Delete => ("-", style::DELETE),
        ActionKind::Adopt => (">", style::ADD),
        ActionKind::Forget => ("<", style::CHANGE),
        ActionKind::Update => ("~", style::CHANGE),
    }
}

fn block(out: &mut String, action: &Action, graph: &Graph) {
    let address = &action.address;
    let b = style::BOLD;
    let (headline, because) = match action.action {
        ActionKind::Delete => (
            "will be destroyed".to_string(),
            format!("because {address} is not in the desired state"),
        ),
        ActionKind::Adopt => (
            "will be adopted: recorded in the state, nothing changes in the cloud".to_string(),
            "because it is in the desired state but not yet recorded".to_string(),
        ),
        ActionKind::Update => (
            "will be updated in the state, nothing changes in the cloud".to_string(),
            "because its protect or depends_on changed in the desired state".to_string(),
        ),
        ActionKind::Forget => (
            "will be forgotten: dropped from the state, nothing changes in the cloud".to_string(),
            if action.reason == reason::GONE_STILL_DESIRED {
                format!(
                    "because {} is gone from the cloud; it is still in the desired state, \
                     remove it there too",
                    action.id
                )
            } else {
                format!("because {} is gone from the cloud", action.id)
            },
        ),
    };
    let _ = writeln!(out, "  {b}# {address}{b:#} {headline}");
    let _ = writeln!(out, "  # ({because})");
    let (symbol, s) = symbol(action.action);
    let _ = writeln!(
        out,
        "  {s}{symbol}{s:#} resource {} {} {{",
        quote(&action.resource_kind),
        quote(resource_name(address))
    );
    let mut rows: Vec<(&str, String)> = vec![
        ("id", quote(&action.id)),
        ("vpn_gateway", quote(&action.vpn_gateway)),
        ("region", quote(&action.region)),
    ];
    if !action.depends_on.is_empty() {
        let list: Vec<String> = action.depends_on.iter().map(|d| quote(d)).collect();
        rows.push(("depends_on", format!("[{}]", list.join(", "))));
    }
    if action.protect {
        rows.push(("protect", "true".into()));
    }
    for (key, value) in &action.attributes {
        rows.push((key, quote(value)));
    }
    if action.action == ActionKind::Update {
        // Only what changes, with the old and the new value.
        let width = action
            .changes
            .iter()
            .map(|c| c.field.len())
            .max()
            .unwrap_or(0);
        for c in &action.changes {
            let _ = writeln!(
                out,
                "      {s}{symbol}{s:#} {:<width$} = {} -> {}",
                c.field, c.from, c.to
            );
        }
        let _ = writeln!(out, "    }}");
        return;
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in rows {
        let _ = writeln!(out, "      {s}{symbol}{s:#} {key:<width$} = {value}");
    }
    let _ = writeln!(out, "    }}");
    if action.action == ActionKind::Delete {
        let waits = graph.waits_for(address);
        if !waits.is_empty() {
            let list: Vec<&str> = waits.iter().map(|a| a.as_str()).collect();
            let _ = writeln!(out, "    waits for: {}", list.join(", "));
        }
        let _ = writeln!(out, "    precheck: {}", precheck_text(&action.precheck));
    }
}

/// One line for a precheck result.
pub fn precheck_text(precheck: &Precheck) -> String {
    match precheck {
        Precheck::Skipped => "skipped (--offline)".into(),
        Precheck::Passed { request_id } => {
            format!("passed (DryRunOperation, RequestId {request_id})")
        }
        Precheck::Warning {
            code,
            message,
            request_id,
        } => format!("warning: {code}: {message} (RequestId {request_id})"),
        Precheck::Failed {
            code,
            message,
            request_id,
        } => format!("failed: {code}: {message} (RequestId {request_id})"),
    }
}

/// A value as a double-quoted string; JSON escaping keeps control characters from a
/// hand-edited state out of the terminal.
fn quote(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The unified diff of the state file before and after the plan, with a heading.
/// `label` is the state file as the user names it (`state/vpnform.state.yaml`).
pub fn state_diff(label: &str, before: &str, after: &str) -> String {
    // Patience anchors on the lines unique to both sides (addresses, ids), which keeps
    // the diff of a large state fast; no deadline, so the output never depends on time.
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .diff_lines(before, after);
    let mut out = String::new();
    let _ = writeln!(out, "State file changes ({label}):\n");
    let body = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{label}"), &format!("b/{label}"))
        .to_string();
    for line in body.lines() {
        let s = if line.starts_with("+++") || line.starts_with("---") {
            style::BOLD
        } else if line.starts_with('+') {
            style::ADD
        } else if line.starts_with('-') {
            style::DELETE
        } else if line.starts_with("@@") {
            style::DIM
        } else {
            Style::new()
        };
        let _ = writeln!(out, "{s}{line}{s:#}");
    }
    out
}

/// Terraform's machine-readable UI lines for a plan (after the [`version_event`] line
/// the caller writes first), each a JSON object followed by a newline. `timestamp` goes
/// in every `@timestamp` (injected, so tests are exact).
pub fn json_lines(plan: &Plan, graph: &Graph, timestamp: &str) -> String {
    let mut out = String::new();
    for p in &plan.pending {
        push(
            &mut out,
            diagnostic_event(
                "warning",
                "Pending operation from an interrupted apply",
                &format!(
                    "{} {} {} was sent with ClientToken {} and is not confirmed; apply \
                     resolves it first, re-sending it with that token.",
                    p.address, p.action, p.id, p.client_token
                ),
                Some(&p.address),
                timestamp,
            ),
        );
    }
    for action in display_order(plan, graph) {
        push(&mut out, planned_change_event(action, graph, timestamp));
    }
    push(&mut out, change_summary_event(plan, timestamp));
    out
}

/// One JSON object and its newline.
pub fn json_line(value: &Value) -> String {
    format!("{value}\n")
}

fn push(out: &mut String, value: Value) {
    out.push_str(&value.to_string());
    out.push('\n');
}

/// The first line of every `--json` stream.
pub fn version_event(timestamp: &str) -> Value {
    let version = env!("CARGO_PKG_VERSION");
    json!({
        "@level": "info",
        "@message": format!("vpnform {version}"),
        "@module": MODULE,
        "@timestamp": timestamp,
        "type": "version",
        "vpnform": version,
        "ui": JSON_UI_VERSION,
    })
}

fn planned_change_event(action: &Action, graph: &Graph, timestamp: &str) -> Value {
    let verb = match action.action {
        ActionKind::Delete => "Plan to delete",
        ActionKind::Adopt => "Plan to adopt",
        ActionKind::Forget => "Plan to forget",
        ActionKind::Update => "Plan to update",
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
        "@timestamp": timestamp,
        "type": "planned_change",
        "change": {
            "resource": {
                "addr": action.address,
                "resource_type": IPSEC_SERVER,
                "resource_name": resource_name(&action.address),
            },
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
}

fn change_summary_event(plan: &Plan, timestamp: &str) -> Value {
    json!({
        "@level": "info",
        "@message": summary_line(plan),
        "@module": MODULE,
        "@timestamp": timestamp,
        "type": "change_summary",
        "changes": {
            "add": 0,
            "change": plan.count(ActionKind::Update),
            "remove": plan.count(ActionKind::Delete),
            "adopt": plan.count(ActionKind::Adopt),
            "forget": plan.count(ActionKind::Forget),
            "operation": "plan",
        },
        "plan_hash": plan.hash,
    })
}

/// A `diagnostic` line: `severity` is `error` or `warning`; `address` names the
/// resource the diagnostic is about, if any.
pub fn diagnostic_event(
    severity: &str,
    summary: &str,
    detail: &str,
    address: Option<&str>,
    timestamp: &str,
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
        "@timestamp": timestamp,
        "type": "diagnostic",
        "diagnostic": diagnostic,
    })
}

/// Now, as Terraform writes `@timestamp`: RFC 3339 UTC with microseconds.
pub fn now_timestamp() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// The state file text after `plan`: `state::to_yaml(&plan.apply_to(state))`, derived
/// from `before` (which must be `state::to_yaml(state)`) by cutting the deleted and
/// forgotten resources' blocks and bumping the serial, when that is all the plan does.
/// Serializing a 100k-server state is a quarter of an offline plan's time; this halves
/// it. Anything else (adopts, a key the serializer quoted) takes the full serialization.
pub fn after_yaml(
    plan: &Plan,
    state: &crate::state::State,
    before: &str,
) -> Result<String, serde_saphyr::SerializeError> {
    let slow = || crate::state::to_yaml(&plan.apply_to(state));
    // Only removals are cut from the text; anything that writes a resource serializes.
    if plan
        .actions
        .iter()
        .any(|a| matches!(a.action, ActionKind::Adopt | ActionKind::Update))
        || !plan.has_changes()
    {
        return slow();
    }
    let removed: std::collections::BTreeSet<&str> = plan
        .actions
        .iter()
        .filter(|a| state.resources.contains_key(&a.address))
        .map(|a| a.address.as_str())
        .collect();
    let mut out = String::with_capacity(before.len());
    let (mut in_resources, mut skipping) = (false, false);
    let (mut cut, mut serials) = (0usize, 0usize);
    for line in before.split_inclusive('\n') {
        let top_level = !line.starts_with([' ', '#', '\n', '-']);
        if top_level {
            in_resources = line.starts_with("resources:");
            skipping = false;
            if let Some(rest) = line.strip_prefix("serial: ") {
                if rest.trim_end() != state.serial.to_string() {
                    return slow();
                }
                serials += 1;
                let _ = writeln!(out, "serial: {}", state.serial + 1);
                continue;
            }
        } else if in_resources
            && let Some(key) = line.strip_prefix("  ")
            && !key.starts_with(' ')
        {
            let key = key.trim_end();
            skipping = key
                .strip_suffix(':')
                .is_some_and(|address| removed.contains(address));
            cut += usize::from(skipping);
        }
        if !skipping {
            out.push_str(line);
        }
    }
    if cut != removed.len() || serials != 1 || (state.resources.len() == removed.len()) {
        // A quoted key, an empty map after the cut (`{}`), or anything unexpected.
        return slow();
    }
    Ok(out)
}
