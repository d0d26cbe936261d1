//! `vpnform graph`: a plan's action graph, or the recorded resources and their
//! references, as Graphviz DOT or Mermaid (which renders in pull-request comments).
//!
//! An edge `X --> Y` means Y waits for X: X runs first. It is the graph apply runs (see
//! [`super::graph::waits`]): `depends_on` among writes, reversed among deletes, a create
//! after the delete that frees its gateway. A VPN gateway's one-operation-at-a-time
//! lane is the executor's, not an edge, and is not drawn.

use std::fmt::Write as _;

use super::graph::Graph;
use super::model::{ActionKind, Plan};
use crate::state::State;

/// How a graph is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Graphviz DOT (`dot -Tsvg`), as `terraform graph` prints.
    Dot,
    /// Mermaid flowchart: GitHub and GitLab render it in Markdown.
    Mermaid,
}

/// One node: its id in the picture, its label's lines, its style.
struct Node {
    label: Vec<String>,
    style: Option<&'static str>,
}

/// The plan's actions, in execution order, and who waits for whom.
pub(crate) fn actions(plan: &Plan, graph: &Graph, format: Format) -> String {
    let position: std::collections::BTreeMap<&str, usize> = graph
        .order()
        .iter()
        .enumerate()
        .map(|(i, a)| (a.as_str(), i))
        .collect();
    let by_address: std::collections::BTreeMap<&str, &super::Action> = plan
        .actions
        .iter()
        .map(|a| (a.address.as_str(), a))
        .collect();
    let nodes: Vec<Node> = graph
        .order()
        .iter()
        .map(|address| {
            let action = by_address[address.as_str()];
            let (word, style) = match action.action {
                ActionKind::Create if action.recreates.is_some() => ("+ create again", "create"),
                ActionKind::Create => ("+ create", "create"),
                ActionKind::Delete => ("- delete", "delete"),
                ActionKind::Replace => ("-/+ replace", "replace"),
                ActionKind::Update if action.moved_from.is_some() => ("moved", "state"),
                ActionKind::Update if action.mutates_cloud() => ("~ update", "update"),
                ActionKind::Update => ("~ record", "state"),
                ActionKind::Adopt if action.mutates_cloud() => ("adopt, ~ update", "update"),
                ActionKind::Adopt => ("adopt", "state"),
                ActionKind::Forget => ("forget", "state"),
            };
            let word = if action.resumes.is_some() {
                "resume"
            } else {
                word
            };
            let mut label = vec![word.to_owned(), address.to_string()];
            if !action.id.is_empty() {
                label.push(action.id.clone());
            }
            Node {
                label,
                style: Some(style),
            }
        })
        .collect();
    let mut edges = Vec::new();
    for address in graph.order() {
        for needed in graph.waits_for(address) {
            edges.push((position[needed.as_str()], position[address.as_str()]));
        }
    }
    edges.sort();
    draw(&nodes, &edges, format)
}

/// The recorded resources and their `depends_on`: an edge `B --> A` where A depends on
/// B (B is created first, deleted last).
pub(crate) fn recorded(state: &State, format: Format) -> String {
    let position: std::collections::BTreeMap<&str, usize> = state
        .resources
        .keys()
        .enumerate()
        .map(|(i, a)| (a.as_str(), i))
        .collect();
    let nodes: Vec<Node> = state
        .resources
        .iter()
        .map(|(address, r)| Node {
            label: vec![address.to_string(), r.id.clone()],
            style: None,
        })
        .collect();
    let mut edges = Vec::new();
    for (address, r) in &state.resources {
        for needed in &r.depends_on {
            // A dependency the state does not record is nothing to draw.
            if let Some(&from) = position.get(needed.as_str()) {
                edges.push((from, position[address.as_str()]));
            }
        }
    }
    edges.sort();
    edges.dedup();
    draw(&nodes, &edges, format)
}

fn draw(nodes: &[Node], edges: &[(usize, usize)], format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Dot => {
            out.push_str("digraph vpnform {\n  rankdir = \"LR\";\n  node [shape = \"box\"];\n");
            for (i, node) in nodes.iter().enumerate() {
                let label: Vec<String> = node.label.iter().map(|l| dot_escape(l)).collect();
                let _ = write!(out, "  n{i} [label = \"{}\"", label.join("\\n"));
                if let Some(style) = node.style {
                    let (fill, _) = colours(style);
                    let _ = write!(out, ", style = \"filled\", fillcolor = \"{fill}\"");
                }
                out.push_str("];\n");
            }
            for (from, to) in edges {
                let _ = writeln!(out, "  n{from} -> n{to};");
            }
            out.push_str("}\n");
        }
        Format::Mermaid => {
            out.push_str("flowchart LR\n");
            for (i, node) in nodes.iter().enumerate() {
                let label = node
                    .label
                    .iter()
                    .map(|l| mermaid_escape(l))
                    .collect::<Vec<_>>()
                    .join("<br/>");
                let _ = write!(out, "  n{i}[\"{label}\"]");
                if let Some(style) = node.style {
                    let _ = write!(out, ":::{style}");
                }
                out.push('\n');
            }
            for (from, to) in edges {
                let _ = writeln!(out, "  n{from} --> n{to}");
            }
            let mut styles: Vec<&str> = nodes.iter().filter_map(|n| n.style).collect();
            styles.sort();
            styles.dedup();
            for style in styles {
                let (fill, stroke) = colours(style);
                let _ = writeln!(out, "  classDef {style} fill:{fill},stroke:{stroke}");
            }
        }
    }
    out
}

/// Fill and stroke of an action's node: Terraform's plan colours, pale.
fn colours(style: &str) -> (&'static str, &'static str) {
    match style {
        "create" => ("#e6ffed", "#22863a"),
        "delete" => ("#ffeef0", "#cb2431"),
        "replace" => ("#fff5e6", "#b08800"),
        "update" => ("#fffbdd", "#b08800"),
        _ => ("#f6f8fa", "#6a737d"),
    }
}

/// One line of text inside a DOT double-quoted string.
fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Text inside a Mermaid quoted label: its entity codes for the characters Mermaid
/// reads as syntax.
fn mermaid_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => "#quot;".to_owned(),
            '<' => "#lt;".to_owned(),
            '>' => "#gt;".to_owned(),
            '#' => "#35;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}
