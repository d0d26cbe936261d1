//! The layer rules of ARCHITECTURE.md, checked on the source: a module uses what is
//! below it, never what is above it or beside it (vocabulary modules aside). Read as
//! text, outside comments and `#[cfg(test)]` blocks: every `crate::MODULE` a file names
//! is an edge. The edges the code still has against the rules are listed by name in
//! [`KNOWN`]; a new one fails, and so does a listed one that is gone (strike it off).

use std::collections::BTreeSet;
use std::path::Path;

/// Each place's layer, most specific first: higher may use lower.
const PLACES: &[(&str, f32)] = &[
    ("lib.rs", 10.0),
    ("main.rs", 9.0),
    ("cli/", 9.0),
    ("views/", 8.0),
    ("ops/", 7.0),
    ("apply/", 6.0),
    // How a plan action becomes a kind's request: above the planner's model.
    ("kinds/ipsec_server/calls.rs", 5.5),
    ("kinds/customer_gateway/calls.rs", 5.5),
    ("kinds/vpn_connection/calls.rs", 5.5),
    ("kinds/vpn_gateway/calls.rs", 5.5),
    ("kinds/ssl_vpn_server/calls.rs", 5.5),
    ("kinds/ssl_vpn_client_cert/calls.rs", 5.5),
    ("kinds/vpn_route/calls.rs", 5.5),
    // How the kind's recorded attributes seed a sandbox world: above both.
    ("kinds/ipsec_server/seed.rs", 5.5),
    ("plan/", 5.0),
    ("config/", 4.0),
    ("state/", 4.0),
    ("kinds/ipsec_server/api.rs", 3.0),
    ("kinds/customer_gateway/api.rs", 3.0),
    ("kinds/vpn_connection/api.rs", 3.0),
    ("kinds/vpn_gateway/api.rs", 3.0),
    ("kinds/ssl_vpn_server/api.rs", 3.0),
    ("kinds/ssl_vpn_client_cert/api.rs", 3.0),
    ("kinds/vpn_route/api.rs", 3.0),
    ("kinds/vpn_policy_route/api.rs", 3.0),
    ("sandbox/", 3.0),
    ("cloud/", 2.0),
    // The addresses and ids spell what the kinds' facts say.
    ("address.rs", 1.6),
    ("id.rs", 1.6),
    // A kind's facts (name, key, prefix, calls, attributes): plain data.
    ("kinds/", 1.5),
];

/// The layer of a top-level module as a target of `crate::MODULE`.
fn module_layer(module: &str) -> f32 {
    match module {
        "cli" => 9.0,
        "views" => 8.0,
        "ops" => 7.0,
        "apply" => 6.0,
        "plan" => 5.0,
        "config" | "state" => 4.0,
        "sandbox" => 3.0,
        "cloud" => 2.0,
        "address" | "id" => 1.6,
        "kinds" => 1.5,
        // The shared vocabulary: `ipsec`, `regions`, `duration`, `suggest`, `yaml`,
        // `secret`, `files`, `pg_schema`, `ui`.
        _ => 1.0,
    }
}

/// Edges against the rules that the code still has (issue 21, item 5), as
/// `file -> module`.
const KNOWN: &[&str] = &[];

fn layer_of(file: &str) -> f32 {
    PLACES
        .iter()
        .find(|(prefix, _)| file.starts_with(prefix))
        .map_or(1.0, |(_, layer)| *layer)
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `file -> module` edge of `src`, outside comments and test modules.
fn edges() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut edges = BTreeSet::new();
    for path in files {
        let file = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let own = file.split(['/', '.']).next().unwrap_or_default().to_owned();
        for line in code.lines() {
            let line = line.split("//").next().unwrap_or_default();
            for (i, _) in line.match_indices("crate::") {
                let module: String = line[i + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !module.is_empty() && module != own {
                    edges.insert((file.clone(), module));
                }
            }
        }
    }
    edges
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let mut against = BTreeSet::new();
    for (file, module) in edges() {
        let (from, to) = (layer_of(&file), module_layer(&module));
        // Beside: only the vocabulary may use the vocabulary.
        if to > from || (to == from && from > 1.0) {
            against.insert(format!("{file} -> {module}"));
        }
    }
    let known: BTreeSet<String> = KNOWN.iter().map(|e| e.to_string()).collect();
    let new: Vec<&String> = against.difference(&known).collect();
    let gone: Vec<&String> = known.difference(&against).collect();
    assert!(
        new.is_empty(),
        "a module uses a layer above (or beside) its own; see ARCHITECTURE.md: {new:?}"
    );
    assert!(
        gone.is_empty(),
        "these edges are gone: strike them off `KNOWN` in tests/it/layers.rs: {gone:?}"
    );
}

#[test]
fn the_layer_test_sees_an_edge_against_the_rules() {
    // The check itself: the planner naming the executor would be one.
    assert!(module_layer("apply") > layer_of("plan/mod.rs"));
    assert!(
        edges().contains(&("plan/mod.rs".to_owned(), "state".to_owned())),
        "the planner's use of the state is read"
    );
}

/// Every `file -> sibling` edge inside one directory of `src` (`super::NAME`, or
/// `crate::DIR::NAME`, where `NAME.rs` or `NAME/` sits beside the file), outside comments
/// and test modules; a directory's `mod.rs` is its facade, not a sibling.
fn sibling_edges() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut edges = BTreeSet::new();
    for path in files {
        let dir = path.parent().unwrap();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if stem == "mod" || dir == src {
            continue;
        }
        let siblings: BTreeSet<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter_map(|p| {
                let name = p.file_stem()?.to_string_lossy().into_owned();
                (p.is_dir() || p.extension().is_some_and(|e| e == "rs")).then_some(name)
            })
            .filter(|name| name != "mod" && *name != stem)
            .collect();
        let dir_path = dir
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let prefixes = [
            "super::".to_owned(),
            format!("crate::{}::", dir_path.replace('/', "::")),
        ];
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for line in code.lines() {
            let line = line.split("//").next().unwrap_or_default();
            for prefix in &prefixes {
                for (i, _) in line.match_indices(prefix.as_str()) {
                    let rest = &line[i + prefix.len()..];
                    // `super::{a, b::C}` names a and b.
                    let names: Vec<String> = match rest.strip_prefix('{') {
                        Some(group) => group
                            .split('}')
                            .next()
                            .unwrap_or_default()
                            .split(',')
                            .map(|n| n.trim().split("::").next().unwrap_or_default().to_owned())
                            .collect(),
                        None => vec![
                            rest.chars()
                                .take_while(|c| {
                                    c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'
                                })
                                .collect(),
                        ],
                    };
                    for name in names {
                        if siblings.contains(&name) {
                            edges.insert((
                                format!("{dir_path}/{stem}"),
                                format!("{dir_path}/{name}"),
                            ));
                        }
                    }
                }
            }
        }
    }
    edges
}

/// The circles among `edges`: each as the path that closes it.
fn circles(edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    fn walk<'a>(
        node: &'a str,
        edges: &'a BTreeSet<(String, String)>,
        path: &mut Vec<&'a str>,
        found: &mut Vec<Vec<String>>,
    ) {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut circle: Vec<String> = path[at..].iter().map(|n| n.to_string()).collect();
            circle.push(node.to_owned());
            found.push(circle);
            return;
        }
        path.push(node);
        for (_, to) in edges.iter().filter(|(from, _)| from == node) {
            walk(to, edges, path, found);
        }
        path.pop();
    }
    let mut found = Vec::new();
    for (from, _) in edges {
        walk(from, edges, &mut Vec::new(), &mut found);
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn no_two_files_of_a_directory_use_each_other_in_a_circle() {
    let edges = sibling_edges();
    assert!(
        edges.contains(&("state/lock".to_owned(), "state/wait".to_owned())),
        "the check reads sibling edges: {edges:?}"
    );
    let found = circles(&edges);
    assert!(found.is_empty(), "circles between sibling files: {found:?}");
}

#[test]
fn the_circle_check_sees_a_circle() {
    let edges: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
        .iter()
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect();
    assert_eq!(circles(&edges)[0], ["a", "b", "c", "a"]);
}
