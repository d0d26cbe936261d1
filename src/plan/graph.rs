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
use super::model::{ActionKind, Plan};
use crate::Address;

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
        let deletes: BTreeSet<&str> = plan
            .actions
            .iter()
            .filter(|a| a.action == ActionKind::Delete)
            .map(|a| a.address.as_str())
            .collect();
        let writes: BTreeSet<&str> = plan
            .actions
            .iter()
            .filter(|a| a.action.writes())
            .map(|a| a.address.as_str())
            .collect();
        for action in &plan.actions {
            for needed in &action.depends_on {
                // A dependency that is kept or forgotten orders nothing here.
                if action.action == ActionKind::Delete && deletes.contains(needed.as_str()) {
                    graph.add_edge(index[&action.address], index[needed], ());
                } else if action.action.writes() && writes.contains(needed.as_str()) {
                    graph.add_edge(index[needed], index[&action.address], ());
                }
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
