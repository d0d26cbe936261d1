//! serde-saphyr settings shared by every YAML reader (desired state, recorded state).

/// Options for parsing `text`. serde-saphyr's default budget stops at 250,000 nodes
/// (roughly 25,000 state entries); a node takes at least one byte of input, so a budget
/// the size of the input never stops a real file while it still bounds alias expansion
/// (a "billion laughs" file is small and expands to far more nodes than its bytes).
pub fn options_for(text: &str) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = budget.max_nodes.max(text.len());
    budget.max_events = budget.max_events.max(2 * text.len());
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}
