//! The execution graph of a plan: which action waits for which. `A depends_on B` means
//! A needs B: among the servers vpnform writes (creates, replaces, updates, adopts) A
//! only after B, as Terraform creates; among deletes (as recorded in the state) B only
//! after A, the reverse, as Terraform destroys. Forgets touch the state alone and wait
//! for nothing. The VPN gateway is a serialization domain that apply enforces, not an
//! edge here.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::Direction;
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::PlanError;
use super::model::{Action, ActionKind, Plan};
use crate::Address;

/// For each action of `actions`, the actions it waits for (every action has an entry):
/// - `A depends_on B`, both deleted: B waits for A (deleted in reverse, as Terraform
///   destroys);
/// - `A depends_on B`, both written (created, replaced, updated, adopted): A waits for B;
/// - a create, or a replace's create half, on a gateway whose server the plan deletes:
///   it waits for that delete, as the gateway holds one IPsec server (a swap);
/// - a customer gateway's create waits for the delete of the one recorded at its IP
///   address in its region (a region holds one per address);
/// - a customer gateway's delete (or replace) waits for the deletes and replaces of the
///   connections whose old side uses it;
/// - a VPN gateway's delete waits for every delete on it, and every replace leaving it;
/// - an IPsec connection's delete (or replace) waits for the deletes and replaces of the
///   routes (destination and policy-based) whose old side has it as next hop;
///
/// a dependency that is kept or forgotten orders nothing. The graph and the executor
/// both read this one list.
pub(crate) fn waits(actions: &[Action]) -> BTreeMap<&Address, Vec<&Address>> {
    let mut waits: BTreeMap<&Address, Vec<&Address>> =
        actions.iter().map(|a| (&a.address, Vec::new())).collect();
    let deletes: BTreeSet<&str> = actions
        .iter()
        .filter(|a| a.action == ActionKind::Delete)
        .map(|a| a.address.as_str())
        .collect();
    let writes: BTreeMap<&str, &Address> = actions
        .iter()
        .filter(|a| a.action.writes())
        .map(|a| (a.address.as_str(), &a.address))
        .collect();
    // The gateways a delete frees: (region, gateway) -> the deletes.
    let mut freed: BTreeMap<(&str, &str), Vec<&Address>> = BTreeMap::new();
    for a in actions.iter().filter(|a| a.action == ActionKind::Delete) {
        freed
            .entry((a.region.as_str(), a.vpn_gateway.as_str()))
            .or_default()
            .push(&a.address);
    }
    for action in actions {
        // Rule 6: a certificate deleted with its server waits for the server's delete
        // (not the reverse) and sends nothing of its own.
        let folded = super::ssl_vpn::folded_into(action, actions);
        if let (Some(server), Some(list)) = (folded, waits.get_mut(&action.address)) {
            list.push(server);
        }
        for needed in &action.depends_on {
            if Some(needed) == folded {
                continue;
            }
            if action.action == ActionKind::Delete && deletes.contains(needed.as_str()) {
                if let Some(list) = waits.get_mut(needed) {
                    list.push(&action.address);
                }
            } else if action.action.writes()
                && let Some(needed) = writes.get(needed.as_str())
                && let Some(list) = waits.get_mut(&action.address)
            {
                list.push(needed);
            }
        }
        if creates_on_a_freed_gateway(action)
            && let Some(deleted) = freed.get(&(action.region.as_str(), action.vpn_gateway.as_str()))
            && let Some(list) = waits.get_mut(&action.address)
        {
            list.extend(deleted.iter().filter(|d| **d != &action.address));
        }
        // A VPN gateway is deleted after everything the plan deletes on it, and after
        // the old side of every replace that leaves it (rule 4).
        if action.action == ActionKind::Delete
            && action.address.kind() == crate::address::Kind::VpnGateway
        {
            let children: Vec<&Address> = actions
                .iter()
                .filter(|c| c.address != action.address)
                .filter(|c| match c.action {
                    ActionKind::Delete => c.region == action.region && c.vpn_gateway == action.id,
                    ActionKind::Replace => c.replaced.as_ref().is_some_and(|old| {
                        old.region == action.region && old.vpn_gateway == action.id
                    }),
                    _ => false,
                })
                .map(|c| &c.address)
                .collect();
            if let Some(list) = waits.get_mut(&action.address) {
                list.extend(children);
            }
        }
        // A customer gateway is deleted (or replaced, destroy first) after every
        // connection the plan deletes or replaces that uses it, whatever names it (rule
        // 5; a reference by address is a depends_on).
        if matches!(action.action, ActionKind::Delete | ActionKind::Replace)
            && action.address.kind().facts().lane == crate::kinds::Lane::None
        {
            let users: Vec<&Address> = actions
                .iter()
                .filter(|c| c.address != action.address)
                .filter(|c| match c.action {
                    ActionKind::Delete => c
                        .attributes
                        .iter()
                        .any(|(k, v)| k.ends_with("customer_gateway") && *v == action.id),
                    ActionKind::Replace => c
                        .replaced
                        .as_ref()
                        .is_some_and(|old| old.references.contains(&action.id)),
                    _ => false,
                })
                .map(|c| &c.address)
                .collect();
            if let Some(list) = waits.get_mut(&action.address) {
                list.extend(users);
            }
        }
        // An IPsec connection is deleted (or replaced) after every destination route the
        // plan deletes or replaces whose next hop it is, whatever names it (as rule 5;
        // a reference by address is a depends_on).
        if matches!(action.action, ActionKind::Delete | ActionKind::Replace)
            && action.address.kind() == crate::address::Kind::VpnConnection
        {
            let routes: Vec<&Address> = actions
                .iter()
                .filter(|c| {
                    matches!(
                        c.address.kind(),
                        crate::address::Kind::VpnRoute | crate::address::Kind::VpnPolicyRoute
                    )
                })
                .filter(|c| match c.action {
                    ActionKind::Delete => c.attributes.get("next_hop") == Some(&action.id),
                    ActionKind::Replace => c
                        .replaced
                        .as_ref()
                        .is_some_and(|old| old.references.contains(&action.id)),
                    _ => false,
                })
                .map(|c| &c.address)
                .collect();
            if let Some(list) = waits.get_mut(&action.address) {
                list.extend(routes);
            }
        }
        // A customer gateway per IP address and region: a create waits for the delete of
        // the one that holds its address.
        if action.action == ActionKind::Create
            && action.resumes.is_none()
            && let Some(ip) = action.attributes.get("ip_address")
        {
            let holders: Vec<&Address> = actions
                .iter()
                .filter(|d| {
                    d.action == ActionKind::Delete
                        && d.address.kind() == action.address.kind()
                        && d.region == action.region
                        && d.attributes.get("ip_address") == Some(ip)
                })
                .map(|d| &d.address)
                .collect();
            if let Some(list) = waits.get_mut(&action.address) {
                list.extend(holders);
            }
        }
    }
    for list in waits.values_mut() {
        list.sort();
        list.dedup();
    }
    waits
}

/// Whether `action` creates a server on its gateway (a create, or a replace's create
/// half), so that a delete of the plan on that gateway must go first.
pub(crate) fn creates_on_a_freed_gateway(action: &Action) -> bool {
    action.address.kind().facts().lane != crate::kinds::Lane::None
        && action.resumes.is_none()
        && (action.action == ActionKind::Create
            || (action.action == ActionKind::Replace && !action.replaces_in_place()))
}

/// A node per action; an edge `X -> Y` means Y waits for X.
#[derive(Debug, Clone)]
pub struct Graph {
    graph: DiGraph<Address, ()>,
    index: BTreeMap<Address, NodeIndex>,
    order: Vec<Address>,
}

impl Graph {
    /// Builds the graph of `plan`'s actions; a dependency cycle among them is an error
    /// naming every member.
    pub fn new(plan: &Plan) -> Result<Graph, PlanError> {
        let mut graph = DiGraph::with_capacity(plan.actions.len(), 0);
        let mut index = BTreeMap::new();
        for action in &plan.actions {
            index.insert(
                action.address.clone(),
                graph.add_node(action.address.clone()),
            );
        }
        for (waiter, needed) in waits(&plan.actions) {
            for needed in needed {
                graph.add_edge(index[needed], index[waiter], ());
            }
        }

        // kosaraju_scc is iterative; petgraph's tarjan_scc recurses once per node and
        // overflows the stack on a 100,000-long chain of deletes.
        let mut members: Vec<Address> = kosaraju_scc(&graph)
            .into_iter()
            .filter(|scc| scc.len() > 1 || graph.contains_edge(scc[0], scc[0]))
            .flatten()
            .map(|node| graph[node].clone())
            .collect();
        if !members.is_empty() {
            members.sort();
            return Err(PlanError::Cycle { members });
        }

        // Kahn's algorithm with the ready set sorted by address: a stable order for
        // rendering, and the order apply starts actions in when nothing else decides.
        let mut waiting: Vec<usize> = graph
            .node_indices()
            .map(|n| graph.neighbors_directed(n, Direction::Incoming).count())
            .collect();
        let mut ready: BTreeSet<(&Address, NodeIndex)> = graph
            .node_indices()
            .filter(|n| waiting[n.index()] == 0)
            .map(|n| (&graph[n], n))
            .collect();
        let mut order = Vec::with_capacity(graph.node_count());
        while let Some((address, node)) = ready.pop_first() {
            order.push(address.clone());
            for next in graph.neighbors_directed(node, Direction::Outgoing) {
                waiting[next.index()] -= 1;
                if waiting[next.index()] == 0 {
                    ready.insert((&graph[next], next));
                }
            }
        }
        debug_assert_eq!(order.len(), graph.node_count());
        Ok(Graph {
            graph,
            index,
            order,
        })
    }

    /// Every action in execution order (dependencies first, ties by address).
    pub fn order(&self) -> &[Address] {
        &self.order
    }

    /// The actions `address` waits for, sorted.
    pub fn waits_for(&self, address: &str) -> Vec<&Address> {
        self.neighbors(address, Direction::Incoming)
    }

    /// The actions that wait for `address` (to skip when it fails), sorted.
    pub fn dependents(&self, address: &str) -> Vec<&Address> {
        self.neighbors(address, Direction::Outgoing)
    }

    /// Every action that waits, directly or not, for `address`: what a failure skips.
    pub fn blocked_by(&self, address: &str) -> BTreeSet<&Address> {
        let mut blocked = BTreeSet::new();
        let mut todo = self.dependents(address);
        while let Some(next) = todo.pop() {
            if blocked.insert(next) {
                todo.extend(self.dependents(next));
            }
        }
        blocked
    }

    /// The actions not in `done` whose every wait is in `done`, in execution order.
    pub fn ready(&self, done: &BTreeSet<Address>) -> Vec<&Address> {
        self.order
            .iter()
            .filter(|a| !done.contains(*a))
            .filter(|a| self.waits_for(a).iter().all(|w| done.contains(*w)))
            .collect()
    }

    fn neighbors(&self, address: &str, direction: Direction) -> Vec<&Address> {
        let Some(&node) = self.index.get(address) else {
            return Vec::new();
        };
        let mut list: Vec<&Address> = self
            .graph
            .neighbors_directed(node, direction)
            .map(|n| &self.graph[n])
            .collect();
        list.sort();
        list.dedup();
        list
    }
}
