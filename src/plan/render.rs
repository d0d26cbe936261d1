//! How a plan reads as text: Terraform-like blocks and the unified diff of the state
//! file before and after. Pure functions returning strings; the human view
//! (`crate::views::human`) writes them through [`crate::ui`], and the JSON view has its
//! own shapes (`crate::views::json`). The text carries ANSI
//! styles, which the ui's streams strip when colour is off (`--no-color`, `NO_COLOR`, a
//! pipe). Same plan in, same bytes out.

use std::fmt::Write as _;

use anstyle::Style;

use super::graph::Graph;
use super::model::{Action, ActionKind, Plan, Precheck};
use super::{reason, resource_name};
use crate::ui::style;

/// What the text rendering needs besides the plan.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextOptions {
    /// Made with `--offline`: say so once, at the top.
    pub offline: bool,
    /// The state diff from [`state_diff`], shown after the summary.
    pub state_diff: Option<String>,
    /// `--full` (and `vpnform show`): every block and the state diff, however large the
    /// plan. Without it a plan of more than [`LARGE_PLAN_ACTIONS`] actions is condensed.
    pub full: bool,
}

/// Above this many actions the text is condensed: one line per action, full blocks only
/// for what needs attention, the summary first and last, no state diff. A block and its
/// share of the state diff take about 15 lines, so 25 actions already fill some 400
/// lines, several screens, with the summary scrolled far out of sight; one line each
/// keeps a 25-action plan on one screen and a 200-action plan near 250 lines.
pub(crate) const LARGE_PLAN_ACTIONS: usize = 25;

/// The actions in the order they are shown: creates, deletes in execution order (dependencies
/// first, ties by address), then adopts, then forgets, each by address.
pub(crate) fn display_order<'p>(plan: &'p Plan, graph: &Graph) -> Vec<&'p Action> {
    let by_address: std::collections::BTreeMap<&str, &Action> = plan
        .actions
        .iter()
        .map(|a| (a.address.as_str(), a))
        .collect();
    let mut list = Vec::with_capacity(plan.actions.len());
    for kind in [
        ActionKind::Create,
        ActionKind::Replace,
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

/// `Plan: 1 to add, 0 to change, 2 to destroy, 1 to adopt, 0 to forget.`
pub(crate) fn summary_line(plan: &Plan) -> String {
    format!(
        "Plan: {} to add, {} to change, {} to destroy, {} to adopt, {} to forget.",
        plan.count(ActionKind::Create),
        plan.count(ActionKind::Update),
        plan.count(ActionKind::Delete),
        plan.count(ActionKind::Adopt),
        plan.count(ActionKind::Forget)
    )
}

/// The plan as text, Terraform-like.
pub(crate) fn text(plan: &Plan, graph: &Graph, options: &TextOptions) -> String {
    let mut out = String::new();
    if options.offline {
        let _ = writeln!(
            out,
            "{}Note:{} offline plan: the cloud was not read (no refresh, no prechecks).\n",
            style::BOLD.render(),
            style::BOLD.render_reset()
        );
    }
    if plan.read_only {
        let _ = writeln!(
            out,
            "{}Note:{} read-only plan: the cloud was read, nothing was prechecked. Apply runs \
             the prechecks with its own key before it changes anything, and refuses the \
             whole plan if one fails.\n",
            style::BOLD.render(),
            style::BOLD.render_reset()
        );
    }
    if !plan.pending.is_empty() {
        let s = style::WARNING;
        let _ = writeln!(
            out,
            "{s}Pending operations{s:#} from an interrupted apply that this targeted plan does \
             not resolve; they stay in the journal for a plan that targets them:"
        );
        for p in &plan.pending {
            let _ = writeln!(
                out,
                "  {}: {} {} (ClientToken {}, plan {})",
                p.address,
                p.action,
                p.id.as_deref().unwrap_or("(no id yet)"),
                p.client_token,
                short_hash(&p.plan_hash)
            );
        }
        out.push('\n');
    }
    let noted = drift_note(plan, !options.full);
    if let Some(note) = &noted {
        out.push_str(note);
        if !plan.refresh_only && plan.has_changes() {
            let _ = writeln!(out, "{UNDONE_BY_NOTHING}\n");
        }
    }
    if !plan.has_changes() {
        let (b, r) = (style::ADD.bold().render(), style::ADD.bold().render_reset());
        if plan.refresh_only && !plan.drift.is_empty() {
            // Nothing to forget, only attributes to record.
            if noted.is_none() {
                let _ = writeln!(out, "{}\n", unrecorded_text(plan.drift.len()));
            }
            summary(&mut out, plan);
            let _ = writeln!(out, "{REFRESH_ONLY}");
            let _ = writeln!(out, "Plan hash: {}", plan.hash);
            if let Some(diff) = &options.state_diff {
                out.push('\n');
                out.push_str(diff);
            }
        } else if plan.refresh_only {
            let _ = writeln!(
                out,
                "{b}No changes.{r} Your infrastructure still matches the configuration.\n\n\
                 vpnform has checked that the real remote objects still match the result of \
                 your most recent changes, and found no differences."
            );
        } else if noted.is_some() {
            let _ = writeln!(
                out,
                "{b}No changes.{r} Your infrastructure matches the configuration.\n\n\
                 vpnform has compared the desired state with the recorded state and the cloud: \
                 nothing needs to change in the cloud. `vpnform apply` (or `vpnform apply \
                 --refresh-only`) records the changes made outside vpnform above in the state."
            );
        } else {
            let _ = writeln!(
                out,
                "{b}No changes.{r} Your infrastructure matches the configuration.\n\n\
                 vpnform has compared the desired state with the recorded state{cloud} and \
                 found no differences, so no changes are needed.",
                cloud = if options.offline {
                    ""
                } else {
                    " and the cloud"
                },
            );
        }
        return out;
    }
    let condensed = !options.full && plan.actions.len() > LARGE_PLAN_ACTIONS;
    if condensed {
        summary(&mut out, plan);
        let _ = writeln!(
            out,
            "This plan has {} actions: one line each, full blocks only for those that need \
             attention. `--full` (or `vpnform show FILE` for a saved plan) shows every block \
             and the state file diff.\n",
            plan.actions.len()
        );
    }

    // A move has no symbol: a plan of moves only has no legend.
    let legend = plan.actions.iter().any(|a| a.moved_from.is_none());
    if legend {
        let _ = writeln!(
            out,
            "Resource actions are indicated with the following symbols:"
        );
    }
    // One line a symbol. An update is in place (a call), or of the state alone (a new
    // protect or depends_on), or some of each: the line says what this plan's are.
    let updates = |in_place: bool| {
        plan.actions.iter().any(|a| {
            a.action == ActionKind::Update
                && a.moved_from.is_none()
                && a.mutates_cloud() == in_place
        })
    };
    // The calls this plan's in-place updates make, one per kind.
    let mut calls: Vec<&str> = plan
        .actions
        .iter()
        .filter(|a| a.action == ActionKind::Update && a.moved_from.is_none() && a.mutates_cloud())
        .map(|a| a.address.kind().facts().calls.modify[0])
        .collect();
    calls.sort();
    calls.dedup();
    let calls = calls.join(" or ");
    let update = match (updates(true), updates(false)) {
        (true, false) => format!("update in-place ({calls} with the changed fields)"),
        (false, _) => {
            "update (record the new protect/depends_on; nothing changes in the cloud)".to_owned()
        }
        (true, true) => format!(
            "update in-place ({calls} with the changed fields), or of the state alone (a new \
             protect/depends_on; nothing changes in the cloud)"
        ),
    };
    for (kind, text) in [
        (
            ActionKind::Create,
            "create (create in the cloud, then record its id in the state)",
        ),
        (
            ActionKind::Replace,
            if plan.actions.iter().any(Action::replaces_in_place) {
                "replace (create the new server, then destroy the old one; on the same \
                 gateway, destroy it first)"
            } else {
                "replace (create the new server, then destroy the old one)"
            },
        ),
        (
            ActionKind::Delete,
            "destroy (delete in the cloud, then drop from the state)",
        ),
        (
            ActionKind::Adopt,
            "adopt (record in the state; nothing changes in the cloud)",
        ),
        (ActionKind::Update, &update),
        (
            ActionKind::Forget,
            "forget (drop from the state; nothing changes in the cloud)",
        ),
    ] {
        if plan
            .actions
            .iter()
            .any(|a| a.action == kind && a.moved_from.is_none())
        {
            let (symbol, s) = symbol(kind);
            let _ = writeln!(out, "  {s}{symbol}{s:#} {text}");
        }
    }
    if legend {
        out.push('\n');
    }
    let _ = writeln!(out, "vpnform will perform the following actions:\n");

    let order = display_order(plan, graph);
    if condensed {
        condensed_actions(&mut out, plan, &order, graph);
    } else {
        for action in order {
            block(&mut out, action, graph);
            out.push('\n');
        }
    }

    summary(&mut out, plan);
    if plan.refresh_only {
        let _ = writeln!(out, "{REFRESH_ONLY}");
    }
    let _ = writeln!(out, "Plan hash: {}", plan.hash);
    if condensed {
        if options.state_diff.is_some() {
            let _ = writeln!(
                out,
                "\nState file changes: not shown for a plan this large; `--full` shows them."
            );
        }
    } else if let Some(diff) = &options.state_diff {
        out.push('\n');
        out.push_str(diff);
    }
    out
}

/// What a normal plan says under the changes made outside vpnform: the plan lists no
/// change of them (an update of a managed attribute is an action of its own).
const UNDONE_BY_NOTHING: &str = "Nothing in this plan changes these back: the desired file \
does not write these attributes, or already holds their new values. `vpnform apply` records \
them in the state.";

/// What a `--refresh-only` plan says under its summary (Terraform's words).
pub(crate) const REFRESH_ONLY: &str = "This is a refresh-only plan, so vpnform will not take any \
actions to undo these. If you were expecting these changes then you can apply this plan to \
record the updated values in the vpnform state without changing any remote objects.";

/// A refresh-only plan whose only differences are values the state never held.
fn unrecorded_text(servers: usize) -> String {
    let n = if servers == 1 {
        "1 server".to_owned()
    } else {
        format!("{servers} servers")
    };
    format!(
        "Nothing has changed outside vpnform, but the state does not hold every attribute \
         the cloud answers for {n} yet (it was written before vpnform recorded them)."
    )
}

/// "Objects have changed outside of vpnform", as Terraform says it: every recorded
/// server whose attributes changed in the cloud since the state recorded them, old value
/// and new, quoted as the other blocks quote values. `None` when none did (values the
/// state never held are recorded silently). More than [`LARGE_PLAN_ACTIONS`] servers,
/// unless `--full` (`condense` false), are one line each, as a large plan's actions are.
pub(crate) fn drift_note(plan: &Plan, condense: bool) -> Option<String> {
    let mut shown = plan.shown_drift().peekable();
    shown.peek()?;
    let count = plan.shown_drift().count();
    let b = style::BOLD;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{b}Note: Objects have changed outside of vpnform{b:#}\n\n\
         vpnform detected the following changes made outside of vpnform since the last\n\
         \"vpnform apply\":\n"
    );
    let (symbol, s) = symbol(ActionKind::Update);
    if condense && count > LARGE_PLAN_ACTIONS {
        for d in shown {
            let fields: Vec<&str> = d.changes.iter().map(|c| c.field.as_str()).collect();
            let _ = writeln!(
                out,
                "  {s}{symbol}{s:#} {} has changed: {}",
                d.address,
                fields.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "\n{count} servers changed outside vpnform: one line each. `--full` (or `vpnform \
             show FILE` for a saved plan) shows every old and new value.\n"
        );
        return Some(out);
    }
    for d in shown {
        let _ = writeln!(out, "  {b}# {}{b:#} has changed", d.address);
        let _ = writeln!(
            out,
            "  {s}{symbol}{s:#} resource {} {} {{",
            quote(d.address.kind().as_str()),
            quote(resource_name(&d.address))
        );
        let width = d.changes.iter().map(|c| c.field.len()).max().unwrap_or(0);
        for c in &d.changes {
            let _ = writeln!(
                out,
                "      {s}{symbol}{s:#} {:<width$} = {} -> {}",
                c.field,
                shown_value(d.address.kind().facts(), &c.field, &c.from),
                shown_value(d.address.kind().facts(), &c.field, &c.to)
            );
        }
        let _ = writeln!(out, "    }}\n");
    }
    Some(out)
}

fn summary(out: &mut String, plan: &Plan) {
    let _ = writeln!(
        out,
        "{}{}{}",
        style::BOLD.render(),
        summary_line(plan),
        style::BOLD.render_reset()
    );
}

/// Whether an action's full block is shown even in a condensed plan: what a reviewer
/// must read rather than count (a protection recorded, a precheck that did not pass, a
/// change to a recorded resource, a forget that asks for an edit of the desired file).
fn needs_attention(action: &Action) -> bool {
    action.protect
        || action.resumes.is_some()
        || matches!(action.action, ActionKind::Update | ActionKind::Replace)
        || matches!(
            action.precheck,
            Precheck::Warning { .. } | Precheck::Failed { .. }
        )
        || action.reason == reason::GONE_STILL_DESIRED
}

/// One line per action, a precheck tally, then the blocks that need attention.
fn condensed_actions(out: &mut String, plan: &Plan, order: &[&Action], graph: &Graph) {
    let attention: Vec<&Action> = order
        .iter()
        .copied()
        .filter(|a| needs_attention(a))
        .collect();
    for action in order {
        let (symbol, s) = symbol(action.action);
        let headline = match action.action {
            ActionKind::Create => "will be created",
            ActionKind::Update if action.mutates_cloud() => "will be updated in-place",
            ActionKind::Delete => "will be destroyed",
            ActionKind::Adopt => "will be adopted",
            ActionKind::Update => "will be updated in the state",
            ActionKind::Forget => "will be forgotten",
            ActionKind::Replace => "must be replaced",
        };
        let see = if needs_attention(action) {
            " (see below)"
        } else {
            ""
        };
        let resuming = if action.resumes.is_some() {
            " (resuming an interrupted run)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {s}{symbol}{s:#} {} {headline}{resuming} [id={}, vpn_gateway={}]{see}",
            action.address,
            printable_value(&action.id),
            printable_value(&action.vpn_gateway)
        );
    }
    let deletes: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| a.action == ActionKind::Delete)
        .collect();
    if !deletes.is_empty() {
        let count = |f: fn(&Precheck) -> bool| deletes.iter().filter(|a| f(&a.precheck)).count();
        let _ = writeln!(
            out,
            "\n  prechecks of the {} deletes: {} passed, {} warning, {} failed, {} skipped",
            deletes.len(),
            count(|p| matches!(p, Precheck::Passed { .. })),
            count(|p| matches!(p, Precheck::Warning { .. })),
            count(|p| matches!(p, Precheck::Failed { .. })),
            count(|p| matches!(p, Precheck::Skipped)),
        );
    }
    out.push('\n');
    if !attention.is_empty() {
        let _ = writeln!(
            out,
            "{}Actions that need attention ({}):{}\n",
            style::BOLD.render(),
            attention.len(),
            style::BOLD.render_reset()
        );
        for action in attention {
            block(out, action, graph);
            out.push('\n');
        }
    }
}

/// An id or gateway from a hand-editable file, without its quotes but with control
/// characters escaped, as [`quote`] does.
fn printable_value(text: &str) -> String {
    let quoted = quote(text);
    quoted[1..quoted.len() - 1].to_owned()
}

fn symbol(kind: ActionKind) -> (&'static str, Style) {
    match kind {
        ActionKind::Create => ("+", style::ADD),
        ActionKind::Delete => ("-", style::DELETE),
        ActionKind::Adopt => (">", style::ADD),
        ActionKind::Forget => ("<", style::CHANGE),
        ActionKind::Update => ("~", style::CHANGE),
        ActionKind::Replace => ("-/+", style::DELETE),
    }
}

/// A replace, as Terraform shows one: what forces it, then the new server's values.
fn replace_block(out: &mut String, action: &Action, graph: &Graph) {
    let kind = action.address.kind().facts();
    let address = &action.address;
    let b = style::BOLD;
    let Some(old) = &action.replaced else {
        return;
    };
    let moved: Vec<&str> = [
        ("vpn_gateway", old.vpn_gateway != action.vpn_gateway),
        ("region", old.region != action.region),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect();
    match resuming_because(action) {
        Some(because) => {
            let _ = writeln!(
                out,
                "  {b}# {address}{b:#} must be replaced {RESUMING}\n  # ({because}: the new \
                 server is created before the old one is destroyed)"
            );
        }
        None if action.address.kind() != crate::address::Kind::IpsecServer
            && !action.replaces_in_place() =>
        {
            let _ = writeln!(out, "  {b}# {address}{b:#} must be replaced");
            let _ = writeln!(
                out,
                "  # (because {}: the new {noun} is created before the old one is \
                 destroyed)",
                action.reason,
                noun = kind.noun
            );
        }
        None if action.address.kind() != crate::address::Kind::IpsecServer => {
            let why = if kind.lane == crate::kinds::Lane::None {
                format!(", as a region holds one {} per IP address", kind.noun)
            } else if action.address.kind() == crate::address::Kind::VpnConnection {
                let kept = action.attributes.iter().find(|(field, value)| {
                    kind.attribute(field).is_some_and(|a| a.reference)
                        && old.references.contains(value)
                });
                match kept {
                    Some((_, id)) => format!(
                        ", as it keeps customer gateway {id} and a gateway holds one \
                         connection per customer gateway"
                    ),
                    None => ", as its gateway holds no more than 10 connections".to_owned(),
                }
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {b}# {address}{b:#} must be replaced");
            let _ = writeln!(
                out,
                "  # (because {}: the old {noun} is destroyed before the new one is \
                 created{why})",
                action.reason,
                noun = kind.noun
            );
        }
        None if action.replaces_in_place() => {
            let _ = writeln!(out, "  {b}# {address}{b:#} must be replaced");
            let _ = writeln!(
                out,
                "  # (because --replace names it: the old server is destroyed before the new \
                 one is created, as its gateway holds one IPsec server)"
            );
        }
        None => {
            let _ = writeln!(out, "  {b}# {address}{b:#} must be replaced");
            let _ = writeln!(
                out,
                "  # (because its {} changed in the desired state: the new server is created \
                 before the old one is destroyed)",
                moved.join(" and ")
            );
        }
    }
    let (symbol, s) = symbol(ActionKind::Replace);
    let _ = writeln!(
        out,
        "{s}{symbol}{s:#} resource {} {} {{",
        quote(&action.resource_kind),
        quote(resource_name(address))
    );
    let c = style::CHANGE;
    let mut rows: Vec<(bool, &str, String)> = vec![(
        true,
        "id",
        format!("{} -> {}", quote(&action.id), super::KNOWN_AFTER_APPLY),
    )];
    for (key, was, now) in [
        ("vpn_gateway", &old.vpn_gateway, &action.vpn_gateway),
        ("region", &old.region, &action.region),
    ] {
        if was.is_empty() && now.is_empty() {
            // A kind without a lane is on no gateway.
            continue;
        }
        // What the kind says a change of it does: a replacement, or a change in place.
        let forces = kind.attribute(key).is_some_and(|a| a.forces_replacement);
        rows.push(if was == now {
            (false, key, shown_value(kind, key, now))
        } else if forces {
            (
                true,
                key,
                format!(
                    "{} -> {} # forces replacement",
                    shown_value(kind, key, was),
                    shown_value(kind, key, now)
                ),
            )
        } else {
            (
                true,
                key,
                format!(
                    "{} -> {}",
                    shown_value(kind, key, was),
                    shown_value(kind, key, now)
                ),
            )
        });
    }
    if !action.depends_on.is_empty() {
        let list: Vec<String> = action.depends_on.iter().map(|d| quote(d)).collect();
        rows.push((false, "depends_on", format!("[{}]", list.join(", "))));
    }
    for (key, value) in &action.attributes {
        rows.push((false, key, shown_value(kind, key, value)));
    }
    if let Some(psk) = &action.psk {
        rows.push((
            false,
            kind.secret_name(),
            format!("(sensitive, from {})", psk.source),
        ));
    }
    let width = rows.iter().map(|(_, k, _)| k.len()).max().unwrap_or(0);
    for (changed, key, value) in rows {
        if changed {
            let _ = writeln!(out, "      {c}~{c:#} {key:<width$} = {value}");
        } else {
            let _ = writeln!(out, "        {key:<width$} = {value}");
        }
    }
    let _ = writeln!(out, "    }}");
    waits_for_line(out, graph, &action.address);
    if action.resumes.is_some() {
        let _ = writeln!(out, "    precheck: {NOT_PRECHECKED}");
        return;
    }
    if action.replaces_in_place() {
        // The delete goes first: a DryRun of the create would meet the old server.
        let _ = writeln!(
            out,
            "    precheck of the delete of {}: {}",
            action.id,
            precheck_text(&old.precheck)
        );
        let _ = writeln!(
            out,
            "    precheck of the create on {}: {}",
            action.vpn_gateway,
            precheck_text_of(action)
        );
        return;
    }
    let _ = writeln!(
        out,
        "    precheck of the create on {}: {}",
        action.vpn_gateway,
        precheck_text(&action.precheck)
    );
    let _ = writeln!(
        out,
        "    precheck of the delete of {}: {}",
        action.id,
        precheck_text(&old.precheck)
    );
}

fn block(out: &mut String, action: &Action, graph: &Graph) {
    let kind = action.address.kind().facts();
    if action.action == ActionKind::Replace {
        return replace_block(out, action, graph);
    }
    if let Some(from) = &action.moved_from {
        // Terraform's words for a `moved` block; the rename is all the action does.
        let b = style::BOLD;
        let _ = writeln!(
            out,
            "  {b}# {from}{b:#} has moved to {b}{}{b:#}",
            action.address
        );
        let _ = writeln!(
            out,
            "  # (because the desired file's `moved` renames it; the state records {} under \
             the new address, nothing changes in the cloud)",
            printable_value(&action.id)
        );
        return;
    }
    let address = &action.address;
    let b = style::BOLD;
    let (headline, because) = match action.action {
        ActionKind::Create => (
            "will be created".to_string(),
            match &action.recreates {
                Some(gone) => format!(
                    "because the recorded server {} no longer exists in the cloud, and \
                     {address} is still in the desired state",
                    printable_value(gone)
                ),
                None => format!("because {address} is in the desired state without an id"),
            },
        ),
        ActionKind::Update if action.mutates_cloud() => (
            "will be updated in-place".to_string(),
            "because its managed attributes differ from the desired state".to_string(),
        ),
        ActionKind::Delete => (
            "will be destroyed".to_string(),
            if action.reason == reason::DESTROY || super::ssl_vpn::is_folded(action) {
                format!("because {}", action.reason)
            } else {
                format!("because {address} is not in the desired state")
            },
        ),
        ActionKind::Adopt if action.mutates_cloud() => (
            "will be adopted, then updated in-place".to_string(),
            "because it is in the desired state but not yet recorded, and its managed \
             attributes differ from the desired state"
                .to_string(),
        ),
        ActionKind::Adopt => (
            "will be adopted: recorded in the state, nothing changes in the cloud".to_string(),
            "because it is in the desired state but not yet recorded".to_string(),
        ),
        ActionKind::Update => (
            "will be updated in the state, nothing changes in the cloud".to_string(),
            "because its protect or depends_on changed in the desired state".to_string(),
        ),
        ActionKind::Replace => unreachable!("a replace has its own block"),
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
    let (headline, because) = match resuming_because(action) {
        Some(because) => (format!("{headline} {RESUMING}"), because),
        None => (headline, because),
    };
    let deposed = match &action.resumes {
        Some(r) if r.deposed => format!(" (deposed {})", printable_value(&action.id)),
        _ => String::new(),
    };
    let _ = writeln!(out, "  {b}# {address}{b:#}{deposed} {headline}");
    let _ = writeln!(out, "  # ({because})");
    let (symbol, s) = symbol(action.action);
    let _ = writeln!(
        out,
        "  {s}{symbol}{s:#} resource {} {} {{",
        quote(&action.resource_kind),
        quote(resource_name(address))
    );
    let id = if action.action == ActionKind::Create {
        super::KNOWN_AFTER_APPLY.to_owned()
    } else {
        quote(&action.id)
    };
    let mut rows: Vec<(&str, String)> = vec![("id", id)];
    // A kind without a lane is on no gateway.
    if action.vpn_gateway.parse::<crate::Address>().is_ok() {
        // On a gateway this plan creates (or the gateway's own create).
        rows.push((
            "vpn_gateway",
            format!("{} ({})", super::KNOWN_AFTER_APPLY, action.vpn_gateway),
        ));
    } else if !action.vpn_gateway.is_empty() {
        rows.push(("vpn_gateway", quote(&action.vpn_gateway)));
    }
    rows.push(("region", quote(&action.region)));
    if !action.depends_on.is_empty() {
        let list: Vec<String> = action.depends_on.iter().map(|d| quote(d)).collect();
        rows.push(("depends_on", format!("[{}]", list.join(", "))));
    }
    if action.protect {
        rows.push(("protect", "true".into()));
    }
    for (key, value) in &action.attributes {
        rows.push((key, shown_value(kind, key, value)));
    }
    if (action.action == ActionKind::Create || action.creates_and_deletes())
        && let Some(psk) = &action.psk
    {
        rows.push((
            kind.secret_name(),
            format!("(sensitive, from {})", psk.source),
        ));
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
            if c.field == "psk" {
                let _ = writeln!(
                    out,
                    "      {s}{symbol}{s:#} {:<width$} = (sensitive value changed)",
                    kind.secret_name()
                );
                continue;
            }
            let _ = writeln!(
                out,
                "      {s}{symbol}{s:#} {:<width$} = {} -> {}",
                c.field,
                shown_value(kind, &c.field, &c.from),
                shown_value(kind, &c.field, &c.to)
            );
        }
        let _ = writeln!(out, "    }}");
        if action.resumes.is_some() {
            let _ = writeln!(out, "    precheck: {NOT_PRECHECKED}");
        } else if action.mutates_cloud() {
            let _ = writeln!(out, "    precheck: {}", precheck_text(&action.precheck));
        }
        return;
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in rows {
        let _ = writeln!(out, "      {s}{symbol}{s:#} {key:<width$} = {value}");
    }
    if action.action == ActionKind::Adopt && action.mutates_cloud() {
        // What the update after the adopt changes.
        let s = style::CHANGE;
        for c in &action.changes {
            if c.field == "psk" {
                let _ = writeln!(
                    out,
                    "      {s}~{s:#} {} = (sensitive value changed)",
                    kind.secret_name()
                );
            } else {
                let _ = writeln!(
                    out,
                    "      {s}~{s:#} {} = {} -> {}",
                    c.field,
                    shown_value(kind, &c.field, &c.from),
                    shown_value(kind, &c.field, &c.to)
                );
            }
        }
    }
    let _ = writeln!(out, "    }}");
    waits_for_line(out, graph, address);
    if action.resumes.is_some() {
        if action.mutates_cloud() {
            let _ = writeln!(out, "    precheck: {NOT_PRECHECKED}");
        }
        return;
    }
    if action.action == ActionKind::Adopt && action.mutates_cloud() {
        let _ = writeln!(out, "    precheck: {}", precheck_text(&action.precheck));
    }
    if action.action == ActionKind::Create {
        let _ = writeln!(out, "    precheck: {}", precheck_text_of(action));
    }
    if action.action == ActionKind::Delete {
        let _ = writeln!(out, "    precheck: {}", precheck_text(&action.precheck));
    }
}

/// After the headline of an action that resolves a journal entry.
const RESUMING: &str = "(resuming an interrupted run)";

/// The precheck line of such an action.
const NOT_PRECHECKED: &str = "not run: the interrupted run's operation is re-sent as it was \
     journaled, with its ClientToken";

/// Why an action that resolves a journal entry exists, with the token it re-sends.
fn resuming_because(action: &Action) -> Option<String> {
    let r = action.resumes.as_ref()?;
    Some(if action.action == ActionKind::Forget {
        format!(
            "because {} is {}",
            printable_value(&action.id),
            action.reason
        )
    } else {
        format!(
            "because {}; ClientToken {}, plan {}",
            action.reason,
            printable_value(&r.client_token),
            printable_value(short_hash(&r.plan_hash))
        )
    })
}

/// `waits for: A, B` under an action's block, when it waits for any.
fn waits_for_line(out: &mut String, graph: &Graph, address: &str) {
    let waits = graph.waits_for(address);
    if !waits.is_empty() {
        let list: Vec<&str> = waits.iter().map(|a| a.as_str()).collect();
        let _ = writeln!(out, "    waits for: {}", list.join(", "));
    }
}

/// One line for a precheck result.
/// The precheck of `action` (a create, or a replace's create half) in its kind's words:
/// a create that waits for a delete of the plan is an IPsec server's only where the
/// gateway holds one server.
fn precheck_text_of(action: &Action) -> String {
    if action.precheck == Precheck::AfterDelete
        && action.address.kind() != crate::address::Kind::IpsecServer
    {
        let noun = action.address.kind().facts().noun;
        return if action.action == ActionKind::Replace {
            format!("not run: the old {noun} is deleted first, and a DryRun now would meet it")
        } else {
            "not run: it waits for a delete of this plan on its gateway".to_owned()
        };
    }
    precheck_text(&action.precheck)
}

pub(crate) fn precheck_text(precheck: &Precheck) -> String {
    match precheck {
        Precheck::Skipped => "skipped (--offline)".into(),
        Precheck::Deferred => "deferred to apply (--read-only)".into(),
        Precheck::ModelOnly => "model only (the API has no DryRun)".into(),
        Precheck::AfterCreate => "not run: it names a resource this plan creates first".into(),
        Precheck::AfterDelete => {
            "not run: the gateway holds a server this plan deletes first".into()
        }
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

/// A value as every block shows it, by one rule, Terraform's: text quoted, numbers and
/// booleans bare. An attribute goes by what its kind says it is; `protect` is a boolean;
/// a `depends_on` list shows each address quoted; a placeholder (`(known after apply)`,
/// `(not recorded)`) shows as it is.
fn shown_value(kind: &crate::kinds::Kind, field: &str, text: &str) -> String {
    if text == super::KNOWN_AFTER_APPLY || text == super::drift::NOT_RECORDED {
        return text.to_owned();
    }
    if kind.names_by_address(field, text) {
        // The id of a resource this plan creates.
        return format!("{} ({text})", super::KNOWN_AFTER_APPLY);
    }
    match field {
        "protect" if text == "true" || text == "false" => text.to_owned(),
        "depends_on" => match text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            Some(list) => {
                let items: Vec<String> = list
                    .split(", ")
                    .filter(|item| !item.is_empty())
                    .map(quote)
                    .collect();
                format!("[{}]", items.join(", "))
            }
            None => quote(text),
        },
        _ => kind.show_value(field, text),
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
pub(crate) fn state_diff(label: &str, before: &str, after: &str) -> String {
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

/// The state file text after `plan`: `state::to_yaml(&plan.state_after(state))`. When the
/// plan only removes resources, it is cut from `before` (which must be
/// `state::to_yaml(state)`) by [`crate::state::to_yaml_without`]: serializing a
/// 100k-server state is a quarter of an offline plan's time, and this halves it.
pub(crate) fn after_yaml(
    plan: &Plan,
    state: &crate::state::State,
    before: &str,
) -> Result<String, serde_saphyr::SerializeError> {
    let slow = || crate::state::to_yaml(&plan.state_after(state));
    // Only removals are cut from the text; anything that writes a resource serializes.
    if plan.actions.iter().any(|a| {
        matches!(
            a.action,
            ActionKind::Adopt | ActionKind::Update | ActionKind::Create | ActionKind::Replace
        )
    }) || !plan.has_changes()
        || plan.shown_drift().next().is_some()
        || !state.pending.is_empty()
    {
        return slow();
    }
    let removed: std::collections::BTreeSet<&str> = plan
        .actions
        .iter()
        .filter(|a| state.resources.contains_key(&a.address))
        .map(|a| a.address.as_str())
        .collect();
    match crate::state::to_yaml_without(state, before, &removed) {
        Some(after) => Ok(after),
        None => slow(),
    }
}
