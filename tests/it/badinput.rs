//! The bad-input suite: property tests that feed the desired-state loader and the state
//! reader structured-but-wrong input (mutations of valid files, truncations at every
//! offset, byte flips, wrong types, stray unicode) and valid generated files.
//!
//! What must hold: nothing panics; every desired-state diagnostic points at a place that
//! exists in the file and its rendered text names `file:line:column`; every state error
//! names the file; a corrupted state file is never overwritten, through the library or
//! the binary; and valid generated files load into exactly the model they describe.
//!
//! Case counts are bounded (256 per property, a 30-file black-box sample) so that CI
//! stays fast; `fuzz/` runs the same entry points without bounds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proptest::prelude::*;
use proptest::sample::{Index, select, subsequence};
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use vpnform::config::{self, ConfigError, Desired, DesiredServer};
use vpnform::state::{self, ApplyingPlan, PendingOp, Resource, State, StateError};

use crate::support::Workspace;

const CASES: u32 = 256;

fn config_with_cases(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Shrinking a failure of a generated file can take long; a failing case is
        // printed whole anyway.
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    }
}

// ======================================================================================
// Desired state: generated files
// ======================================================================================

/// One generated entry of `ipsec_servers`, as written and as it must load.
#[derive(Debug, Clone)]
struct GenEntry {
    name: String,
    id: String,
    gateway: String,
    region: Option<&'static str>,
    /// Addresses, as written (may repeat).
    depends_on: Vec<String>,
    protect: Option<bool>,
    /// The order the fields are written in (indices into the five fields).
    order: Vec<usize>,
    flow: bool,
    /// 0: plain key, 1: double-quoted, 2: single-quoted.
    quote: u8,
    block_list: bool,
}

#[derive(Debug, Clone)]
struct GenFile {
    default_region: Option<&'static str>,
    entries: Vec<GenEntry>,
    recorded: BTreeSet<String>,
    /// The order of `version`, `defaults`, `ipsec_servers`.
    top_order: Vec<usize>,
    comments: bool,
}

/// Where an entry sits in the rendered text, for the truncation property.
#[derive(Debug, Clone)]
struct EntrySpan {
    /// Byte offset just after the `name:` colon.
    key_end: usize,
    /// Byte offset just after `iss-` and the first character of the id.
    id_min_end: usize,
}

/// Names a user may write, including those YAML would read as something else.
fn entry_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z_][a-zA-Z0-9_-]{0,10}",
        1 => select(&[
            "True", "FALSE", "Null", "NULL", "null", "true", "false", "yes", "no", "on", "off",
            "y", "n", "inf", "nan", "_", "e1", "x-a", "id", "protect", "version", "region",
        ][..])
        .prop_map(str::to_owned),
    ]
}

fn region() -> impl Strategy<Value = &'static str> {
    select(vpnform::regions::ids().collect::<Vec<_>>())
}

fn gen_file() -> impl Strategy<Value = GenFile> {
    (
        proptest::collection::btree_set(entry_name(), 0..6),
        proptest::option::of(region()),
        proptest::collection::btree_set("[a-z][a-z0-9_]{0,6}", 0..3),
        Just(vec![0usize, 1, 2]).prop_shuffle(),
        any::<bool>(),
    )
        .prop_flat_map(|(names, default_region, recorded, top_order, comments)| {
            let names: Vec<String> = names.into_iter().collect();
            let recorded: BTreeSet<String> = recorded
                .into_iter()
                .map(|n| format!("ipsec_server.old_{n}"))
                .collect();
            let entries: Vec<_> = names
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    // Dependencies only on earlier entries and recorded addresses: a DAG.
                    let candidates: Vec<String> = names[..i]
                        .iter()
                        .map(|n| format!("ipsec_server.{n}"))
                        .chain(recorded.iter().cloned())
                        .collect();
                    let n = candidates.len();
                    let region = if default_region.is_some() {
                        proptest::option::of(region()).boxed()
                    } else {
                        region().prop_map(Some).boxed()
                    };
                    (
                        Just(name.clone()),
                        "[a-z0-9]{0,12}",
                        "[a-z0-9]{1,16}",
                        region,
                        subsequence(candidates, 0..=n),
                        any::<bool>(),
                        proptest::option::of(any::<bool>()),
                        Just(vec![0usize, 1, 2, 3, 4]).prop_shuffle(),
                        any::<bool>(),
                        0u8..3,
                        any::<bool>(),
                    )
                        .prop_map(
                            move |(
                                name,
                                id,
                                gateway,
                                region,
                                mut depends_on,
                                repeat,
                                protect,
                                order,
                                flow,
                                quote,
                                block_list,
                            )| {
                                if repeat && let Some(first) = depends_on.first().cloned() {
                                    depends_on.push(first);
                                }
                                GenEntry {
                                    name,
                                    // The index as last digit keeps ids distinct.
                                    id: format!("iss-{id}{i}"),
                                    // One entry per gateway, as the cloud holds one
                                    // server per gateway.
                                    gateway: format!("vpn-{gateway}{i}"),
                                    region,
                                    depends_on,
                                    protect,
                                    order,
                                    flow,
                                    quote,
                                    block_list,
                                }
                            },
                        )
                })
                .collect();
            (
                Just(default_region),
                entries,
                Just(recorded),
                Just(top_order),
                Just(comments),
            )
        })
        .prop_map(
            |(default_region, entries, recorded, top_order, comments)| GenFile {
                default_region,
                entries,
                recorded,
                top_order,
                comments,
            },
        )
}

impl GenFile {
    /// The YAML text, and where each entry's key and id are.
    fn render(&self) -> (String, Vec<EntrySpan>) {
        let mut out = String::new();
        let mut spans = Vec::new();
        if self.comments {
            out.push_str("# generated by the bad-input suite\n");
        }
        for part in &self.top_order {
            match part {
                0 => out.push_str("version: 1\n"),
                1 => {
                    if let Some(region) = self.default_region {
                        out.push_str(&format!("defaults:\n  region: {region}\n"));
                    }
                }
                _ => {
                    if self.entries.is_empty() {
                        out.push_str("ipsec_servers: {}\n");
                        continue;
                    }
                    out.push_str("ipsec_servers:\n");
                    for entry in &self.entries {
                        spans.push(entry.render(&mut out, self.comments));
                    }
                }
            }
        }
        (out, spans)
    }

    /// The model the file must load into.
    fn expected(&self, path: &Path, text: &str) -> Desired {
        use sha2::Digest;
        let servers = self
            .entries
            .iter()
            .map(|e| {
                let address = format!("ipsec_server.{}", e.name);
                let mut depends_on = e.depends_on.clone();
                depends_on.sort();
                depends_on.dedup();
                let address: vpnform::Address = address.parse().unwrap();
                let depends_on = depends_on.iter().map(|d| d.parse().unwrap()).collect();
                let server = DesiredServer {
                    address: address.clone(),
                    id: Some(e.id.clone()),
                    vpn_gateway: e.gateway.clone(),
                    region: e.region.or(self.default_region).unwrap().to_owned(),
                    depends_on,
                    protect: e.protect.unwrap_or(false),
                    attributes: Default::default(),
                    values: Vec::new(),
                    psk: None,
                };
                (address, server)
            })
            .collect();
        Desired {
            path: path.to_owned(),
            sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())),
            servers,
            default_region: self.default_region.map(str::to_owned),
            moved: Vec::new(),
        }
    }
}

impl GenEntry {
    fn key(&self) -> String {
        match self.quote {
            0 => self.name.clone(),
            1 => format!("\"{}\"", self.name),
            _ => format!("'{}'", self.name),
        }
    }

    fn render(&self, out: &mut String, comments: bool) -> EntrySpan {
        out.push_str(&format!("  {}:", self.key()));
        let key_end = out.len();
        let mut id_min_end = 0;
        let deps = |block: bool, indent: &str| -> String {
            if block && !self.depends_on.is_empty() {
                self.depends_on
                    .iter()
                    .map(|d| format!("\n{indent}- {d}"))
                    .collect()
            } else {
                format!(" [{}]", self.depends_on.join(", "))
            }
        };
        if self.flow {
            out.push_str(" {");
            let mut first = true;
            for field in &self.order {
                let text = match field {
                    0 => Some(format!("id: {}", self.id)),
                    1 => Some(format!("vpn_gateway: {}", self.gateway)),
                    2 => self.region.map(|r| format!("region: {r}")),
                    3 => (!self.depends_on.is_empty())
                        .then(|| format!("depends_on:{}", deps(false, ""))),
                    _ => self.protect.map(|p| format!("protect: {p}")),
                };
                if let Some(text) = text {
                    if !first {
                        out.push_str(", ");
                    }
                    first = false;
                    if *field == 0 {
                        id_min_end = out.len() + "id: iss-".len() + 1;
                    }
                    out.push_str(&text);
                }
            }
            out.push_str("}\n");
        } else {
            out.push('\n');
            for field in &self.order {
                let text = match field {
                    0 => Some(format!("id: {}", self.id)),
                    1 => Some(format!("vpn_gateway: {}", self.gateway)),
                    2 => self.region.map(|r| format!("region: {r}")),
                    3 => (!self.depends_on.is_empty())
                        .then(|| format!("depends_on:{}", deps(self.block_list, "      "))),
                    _ => self.protect.map(|p| format!("protect: {p}")),
                };
                if let Some(text) = text {
                    out.push_str("    ");
                    if *field == 0 {
                        id_min_end = out.len() + "id: iss-".len() + 1;
                    }
                    out.push_str(&text);
                    out.push('\n');
                }
            }
            if comments {
                out.push_str("    # end of entry\n");
            }
        }
        EntrySpan {
            key_end,
            id_min_end,
        }
    }
}

// ======================================================================================
// Desired state: what every error must look like
// ======================================================================================

/// Every diagnostic points at a place within the file (line within its lines, column at
/// most one past the line's end), and the rendered error names each as
/// `file:line:column`.
fn assert_located(path: &str, text: &str, err: &ConfigError) -> Result<(), TestCaseError> {
    let ConfigError::Invalid { diagnostics, .. } = err else {
        return Err(TestCaseError::fail(format!(
            "text in memory gave a non-diagnostic error: {err}"
        )));
    };
    prop_assert!(
        !diagnostics.is_empty(),
        "an Invalid error without diagnostics"
    );
    let rendered = err.to_string();
    // Lines as YAML counts them: `\r\n`, `\r` and `\n` end a line.
    let lines = vpnform::yaml::source_lines(text);
    let in_bounds = |line: u64, column: u64| -> bool {
        line >= 1
            && column >= 1
            && (line as usize) <= lines.len()
            && column as usize <= lines[line as usize - 1].chars().count() + 1
    };
    for d in diagnostics {
        prop_assert!(
            in_bounds(d.line, d.column),
            "diagnostic at {}:{} is outside the file ({} lines): {}\n--- text ---\n{text:?}",
            d.line,
            d.column,
            lines.len(),
            d.message
        );
        for label in &d.labels {
            prop_assert!(
                in_bounds(label.line, label.column),
                "label at {}:{} is outside the file: {}",
                label.line,
                label.column,
                d.message
            );
        }
        let place = format!("{path}:{}:{}: ", d.line, d.column);
        prop_assert!(
            rendered.contains(&place),
            "rendered error does not name {place}:\n{rendered}"
        );
    }
    prop_assert!(
        rendered.starts_with(&format!("{path}:")),
        "rendered error does not start with the file: {rendered}"
    );
    Ok(())
}

/// Loads `text`; any error must be located. Returns the result for further checks.
/// `texts` as addresses (each must be one).
fn addresses(texts: &BTreeSet<String>) -> BTreeSet<vpnform::Address> {
    texts.iter().map(|a| a.parse().unwrap()).collect()
}

fn load_located(text: &str, recorded: &BTreeSet<String>) -> Result<Option<Desired>, TestCaseError> {
    match config::load_str(Path::new("vpnform.yaml"), text, &addresses(recorded)) {
        Ok(desired) => Ok(Some(desired)),
        Err(err) => {
            assert_located("vpnform.yaml", text, &err)?;
            Ok(None)
        }
    }
}

/// Bytes that may not be UTF-8 go through the file reader.
fn load_bytes_located(bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vpnform.yaml");
    std::fs::write(&path, bytes).unwrap();
    if let Err(err) = config::load(&path, &BTreeSet::new()) {
        let shown = path.display().to_string();
        assert_located(&shown, &String::from_utf8_lossy(bytes), &err)?;
    }
    Ok(())
}

/// One structured mutation of a valid file.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(Index),
    DuplicateLine(Index),
    RenameKey(Index, String),
    WrongType(Index, &'static str),
    BadId(Index, &'static str),
    BadRegion(Index, String),
    Insert(Index, String),
    Reindent(Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::DeleteLine),
        any::<Index>().prop_map(Mutation::DuplicateLine),
        (
            any::<Index>(),
            "[a-z_]{1,8}|\"[^\"\n]{0,6}\"|[0-9]{1,3}|-|\\?"
        )
            .prop_map(|(i, k)| Mutation::RenameKey(i, k)),
        (
            any::<Index>(),
            select(
                &[
                    "[1, 2]",
                    "{a: 1}",
                    "123",
                    "-7",
                    "1.5",
                    "true",
                    "null",
                    "~",
                    "\"\"",
                    "[]",
                    "{}",
                    "iss-",
                    "vpn-x",
                    "\"iss-ABC\"",
                    ".inf",
                    "0x1f",
                    "!!binary aGVsbG8=",
                    "*nope",
                    "&a x",
                    "|\n  text",
                    "[ipsec_server.nowhere]",
                    "[ipsec_server]",
                    "yes",
                    "99999999999999999999999999999999999999999",
                    "- a",
                    "'unclosed",
                    "{",
                ][..]
            )
        )
            .prop_map(|(i, v)| Mutation::WrongType(i, v)),
        (
            any::<Index>(),
            select(
                &[
                    "iss_", "ISS-", "iss-A", "iss--", "vpn-", "iss", "isss-", "iss- "
                ][..]
            )
        )
            .prop_map(|(i, v)| Mutation::BadId(i, v)),
        (any::<Index>(), "[a-z]{1,6}(-[a-z0-9]{1,8}){0,2}")
            .prop_map(|(i, r)| Mutation::BadRegion(i, r)),
        (any::<Index>(), any::<String>()).prop_map(|(i, s)| Mutation::Insert(i, s)),
        (any::<Index>(), 0usize..8).prop_map(|(i, n)| Mutation::Reindent(i, n)),
    ]
}

impl Mutation {
    fn apply(&self, text: &str) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.is_empty() {
            return text.to_owned();
        }
        let value_of = |line: &str| line.find(": ").map(|at| at + 2);
        match self {
            Mutation::DeleteLine(i) => {
                lines.remove(i.index(lines.len()));
            }
            Mutation::DuplicateLine(i) => {
                let at = i.index(lines.len());
                let line = lines[at].clone();
                lines.insert(at, line);
            }
            Mutation::RenameKey(i, key) => {
                let line = &mut lines[i.index(text.lines().count())];
                if let Some(colon) = line.find(':') {
                    let indent = line.len() - line.trim_start().len();
                    let indent = indent + usize::from(line.trim_start().starts_with("- ")) * 2;
                    if indent <= colon {
                        line.replace_range(indent..colon, key);
                    }
                }
            }
            Mutation::WrongType(i, value) => {
                let line = &mut lines[i.index(text.lines().count())];
                match value_of(line) {
                    Some(at) => line.replace_range(at.., value),
                    None => line.push_str(&format!(" {value}")),
                }
            }
            Mutation::BadId(i, prefix) => {
                let candidates: Vec<usize> = (0..lines.len())
                    .filter(|&n| lines[n].contains("iss-") || lines[n].contains("vpn-"))
                    .collect();
                if !candidates.is_empty() {
                    let line = &mut lines[candidates[i.index(candidates.len())]];
                    *line = if line.contains("iss-") {
                        line.replacen("iss-", prefix, 1)
                    } else {
                        line.replacen("vpn-", prefix, 1)
                    };
                }
            }
            Mutation::BadRegion(i, region) => {
                let candidates: Vec<usize> = (0..lines.len())
                    .filter(|&n| lines[n].contains("region: "))
                    .collect();
                if !candidates.is_empty() {
                    let line = &mut lines[candidates[i.index(candidates.len())]];
                    let at = line.find("region: ").unwrap() + "region: ".len();
                    let end = line[at..]
                        .find([',', '}'])
                        .map(|e| at + e)
                        .unwrap_or(line.len());
                    line.replace_range(at..end, region);
                }
            }
            Mutation::Insert(i, inserted) => {
                let boundaries: Vec<usize> = (0..=text.len())
                    .filter(|&b| text.is_char_boundary(b))
                    .collect();
                let at = boundaries[i.index(boundaries.len())];
                return format!("{}{inserted}{}", &text[..at], &text[at..]);
            }
            Mutation::Reindent(i, spaces) => {
                let line = &mut lines[i.index(text.lines().count())];
                *line = format!("{}{}", " ".repeat(*spaces), line.trim_start());
            }
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }
}

/// Whether the `depends_on` graph among `entries` has a cycle (self-loops included).
fn has_cycle(edges: &BTreeMap<String, Vec<String>>) -> bool {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, Vec<String>>,
        state: &mut BTreeMap<String, u8>,
    ) -> bool {
        match state.get(node) {
            Some(1) => return true,
            Some(2) => return false,
            _ => {}
        }
        state.insert(node.to_owned(), 1);
        for next in edges.get(node).into_iter().flatten() {
            if edges.contains_key(next) && visit(next, edges, state) {
                return true;
            }
        }
        state.insert(node.to_owned(), 2);
        false
    }
    let mut state = BTreeMap::new();
    edges.keys().any(|n| visit(n, edges, &mut state))
}

/// A desired file with every field, and a recorded dependency.
const REFERENCE: &str = "version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office:                              # address: ipsec_server.office
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
    region: cn-hangzhou                # optional, else defaults.region
    depends_on: [ipsec_server.lab]     # optional ordering constraints
    protect: true                      # optional; recorded in state, see below
    id: iss-bp1jougp8cfsbo8y9abcd      # the existing server this entry keeps
  lab: {id: iss-bp1lab0000000000000001, vpn_gateway: vpn-bp1lab0000000000000001}
";

#[test]
fn desired_truncated_at_every_offset_is_located_and_never_loses_an_id() {
    let recorded = BTreeSet::new();
    assert!(config::load_str(Path::new("vpnform.yaml"), REFERENCE, &addresses(&recorded)).is_ok());
    // `office` (id written last) is complete only with its whole id line, and `lab`
    // (flow) only with its closing brace.
    let office_key = REFERENCE.find("office:").unwrap() + "office:".len();
    let office_id = REFERENCE.find("id: iss-bp1jou").unwrap() + "id: iss-b".len();
    for cut in 0..=REFERENCE.len() {
        let text = &REFERENCE[..cut];
        let loaded = load_located(text, &recorded).unwrap_or_else(|e| panic!("cut {cut}: {e}"));
        if (office_key..office_id).contains(&cut) {
            assert!(
                loaded.is_none(),
                "cut at {cut} lost office's id but loaded:\n{text}"
            );
        }
        if let Some(desired) = loaded {
            for (address, server) in &desired.servers {
                assert!(
                    server.id.as_ref().is_some_and(|id| id.len() > "iss-".len()),
                    "cut {cut}: {address} has id {:?}",
                    server.id
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(config_with_cases(CASES))]

    /// Valid generated files (random names, ids, regions, field orders, styles and
    /// depends_on DAGs) load into exactly the model they describe.
    #[test]
    fn generated_valid_files_load_into_exactly_their_model(file in gen_file()) {
        let (text, _) = file.render();
        let path = Path::new("gen.yaml");
        let loaded = config::load_str(path, &text, &addresses(&file.recorded));
        match loaded {
            Ok(desired) => prop_assert_eq!(desired, file.expected(path, &text), "\n{}", text),
            Err(err) => prop_assert!(false, "a valid file was refused:\n{}\n--- error ---\n{}", text, err),
        }
    }

    /// A structured mutation of a valid file (a line deleted or duplicated, a key
    /// renamed, a value of the wrong type, a bad id or region, stray unicode, wrong
    /// indentation) never panics, and every error is located.
    #[test]
    fn mutated_files_never_panic_and_every_error_is_located(
        file in gen_file(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let (mut text, _) = file.render();
        for m in &mutations {
            text = m.apply(&text);
        }
        load_located(&text, &file.recorded)?;
    }

    /// Deleting the `id:` line of a block-style entry is never accepted: an entry
    /// without `id` would be a create.
    #[test]
    fn deleting_an_id_line_is_always_an_error(file in gen_file(), pick in any::<Index>()) {
        let (text, _) = file.render();
        let id_lines: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("    id: "))
            .map(|(n, _)| n)
            .collect();
        prop_assume!(!id_lines.is_empty());
        let drop = id_lines[pick.index(id_lines.len())];
        let mutated: String = text
            .lines()
            .enumerate()
            .filter(|(n, _)| *n != drop)
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        let loaded = load_located(&mutated, &file.recorded)?;
        prop_assert!(loaded.is_none(), "an entry lost its id and loaded:\n{}", mutated);
        let err = config::load_str(Path::new("vpnform.yaml"), &mutated, &addresses(&file.recorded))
            .unwrap_err()
            .to_string();
        prop_assert!(err.contains("has no `id`, so vpnform creates it, and a create needs `local_subnet` and `client_ip_pool`"), "{}", err);
    }

    /// A generated file truncated anywhere: located errors, and never Ok once an entry's
    /// key is written but its id is not (or only `iss-`).
    #[test]
    fn truncated_files_never_load_an_entry_without_its_id(file in gen_file(), cut in any::<Index>()) {
        let (text, spans) = file.render();
        let cut = cut.index(text.len() + 1);
        let truncated = &text[..cut];
        let loaded = load_located(truncated, &file.recorded)?;
        for span in &spans {
            if (span.key_end..span.id_min_end).contains(&cut) {
                prop_assert!(loaded.is_none(), "cut at {} lost an id but loaded:\n{}", cut, truncated);
            }
        }
        if let Some(desired) = loaded {
            // What loads is what was written, ids at most cut short.
            let expected = file.expected(Path::new("x"), &text).servers;
            for (address, server) in &desired.servers {
                let original = expected.get(address);
                prop_assert!(original.is_some(), "cut at {} invented {}", cut, address);
                let (original, cut) = (original.unwrap().id.as_deref(), server.id.as_deref());
                prop_assert!(cut.is_some_and(|cut| original.unwrap_or_default().starts_with(cut)));
            }
        }
    }

    /// Random bit flips anywhere, the result read from a file (it may not be UTF-8).
    #[test]
    fn byte_flips_never_panic_and_every_error_is_located(
        file in gen_file(),
        flips in proptest::collection::vec((any::<Index>(), 0u8..8), 1..4),
    ) {
        let (text, _) = file.render();
        let mut bytes = text.into_bytes();
        for (at, bit) in flips {
            let at = at.index(bytes.len());
            bytes[at] ^= 1 << bit;
        }
        load_bytes_located(&bytes)?;
    }

    /// Arbitrary `depends_on` graphs (cycles, self-dependencies): Ok exactly when
    /// acyclic, and a cycle is an error that says so.
    #[test]
    fn cycles_are_errors_and_dags_are_not(
        file in gen_file(),
        extra in proptest::collection::vec((any::<Index>(), any::<Index>()), 0..4),
    ) {
        let mut file = file;
        prop_assume!(!file.entries.is_empty());
        let n = file.entries.len();
        for (from, to) in &extra {
            let target = format!("ipsec_server.{}", file.entries[to.index(n)].name);
            file.entries[from.index(n)].depends_on.push(target);
        }
        let edges: BTreeMap<String, Vec<String>> = file
            .entries
            .iter()
            .map(|e| (format!("ipsec_server.{}", e.name), e.depends_on.clone()))
            .collect();
        let (text, _) = file.render();
        let loaded = load_located(&text, &file.recorded)?;
        if has_cycle(&edges) {
            prop_assert!(loaded.is_none(), "a cycle was accepted:\n{}", text);
            let err = config::load_str(Path::new("vpnform.yaml"), &text, &addresses(&file.recorded))
                .unwrap_err()
                .to_string();
            prop_assert!(
                err.contains(": dependency cycle: ipsec_server.") || err.contains(" depends on itself"),
                "{}", err
            );
        } else {
            prop_assert!(loaded.is_some(), "a DAG was refused:\n{}", text);
        }
    }
}

// ======================================================================================
// Recorded state
// ======================================================================================

fn address() -> impl Strategy<Value = vpnform::Address> {
    "[a-zA-Z_][a-zA-Z0-9_-]{0,10}".prop_map(|n| format!("ipsec_server.{n}").parse().unwrap())
}

/// Text a user, the cloud or an old vpnform may have put in a free-form field: anything,
/// with a bias to what YAML reads as something else.
fn free_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        2 => select(&[
            "", " ", "yes", "no", "on", "true", "False", "null", "~", "NULL", "123", "-1",
            "0x10", "0o7", "1e3", ".inf", ".NaN", "- a", "[a]", "{a: 1}", "a: b", "# not a comment",
            "a #b", "'", "\"", "\\", "|", ">", "&anchor", "*alias", "!tag", "%YAML", "---",
            "...", "@", "`", "\t", "a\tb", " lead", "trail ", "line\nbreak", "cr\rlf",
            "\u{85}", "\u{feff}bom", "\u{2028}", "é", "日本語", "\u{0}", "\u{7f}", "10.0.0.0/24",
            "2025-01-02T03:04:05Z", "2025-01-02",
        ][..])
        .prop_map(str::to_owned),
        1 => "[ -~]{0,40}",
    ]
}

fn resource() -> impl Strategy<Value = Resource> {
    (
        "iss-[a-z0-9]{1,20}",
        free_text(),
        "vpn-[a-z0-9]{1,20}",
        proptest::collection::vec(address(), 0..3),
        any::<bool>(),
        proptest::collection::btree_map(free_text(), free_text(), 0..4),
    )
        .prop_map(
            |(id, region, vpn_gateway, depends_on, protect, attributes)| Resource {
                id,
                region,
                vpn_gateway,
                depends_on,
                protect,
                psk: None,
                attributes,
                deposed: None,
            },
        )
}

fn pending_op() -> impl Strategy<Value = PendingOp> {
    (
        address(),
        "iss-[a-z0-9]{1,20}",
        free_text(),
        "vpn-[a-z0-9]{1,20}",
        free_text(),
        free_text(),
        free_text(),
    )
        .prop_map(
            |(address, id, region, vpn_gateway, client_token, plan_hash, started_at)| PendingOp {
                address,
                action: "delete".into(),
                id: Some(id),
                region,
                vpn_gateway,
                client_token,
                plan_hash,
                started_at,
                sent: None,
            },
        )
}

/// Valid states; ids are made distinct, as a valid state has them.
fn gen_state() -> impl Strategy<Value = State> {
    (
        any::<u128>(),
        any::<u64>(),
        proptest::option::of((free_text(), any::<u64>())),
        proptest::collection::btree_map(address(), resource(), 0..5),
        proptest::collection::vec(pending_op(), 0..3),
    )
        .prop_map(|(lineage, serial, applying, resources, pending)| {
            let resources = resources
                .into_iter()
                .enumerate()
                .map(|(i, (a, mut r))| {
                    r.id = format!("{}x{i}", r.id);
                    (a, r)
                })
                .collect();
            State {
                version: 1,
                lineage: uuid::Uuid::from_u128(lineage).to_string(),
                serial,
                applying: applying.map(|(plan_hash, base_serial)| ApplyingPlan {
                    plan_hash,
                    base_serial,
                }),
                resources,
                pending,
            }
        })
}

/// A state error names the file, and a located one a place within it.
fn assert_state_error(path: &str, text: &str, err: &StateError) -> Result<(), TestCaseError> {
    let rendered = err.to_string();
    prop_assert!(
        rendered.contains(path),
        "the error does not name {}: {}",
        path,
        rendered
    );
    let place = match err {
        StateError::Parse { line, column, .. }
        | StateError::Invalid { line, column, .. }
        | StateError::NewerVersion { line, column, .. }
        | StateError::UnsupportedVersion { line, column, .. }
        | StateError::NotUtf8 { line, column, .. } => Some((*line, *column)),
        StateError::Empty { .. } | StateError::Read { .. } | StateError::Truncated { .. } => None,
        other => {
            return Err(TestCaseError::fail(format!(
                "unexpected error kind: {other:?}"
            )));
        }
    };
    if let Some((line, column)) = place {
        let lines = vpnform::yaml::source_lines(text);
        prop_assert!(
            line >= 1
                && column >= 1
                && (line as usize) <= lines.len()
                && column as usize <= lines[line as usize - 1].chars().count() + 1,
            "{}:{} is outside the file: {}\n--- text ---\n{}",
            line,
            column,
            rendered,
            text
        );
        let prefix = format!("{path}:{line}:{column}: ");
        prop_assert!(
            rendered.starts_with(&prefix),
            "not {}: {}",
            prefix,
            rendered
        );
    }
    Ok(())
}

/// Parses `text`; any error names the file. Returns whether it parsed.
fn parse_checked(text: &str) -> Result<Option<State>, TestCaseError> {
    let path = "state/vpnform.state.yaml";
    match state::parse(Path::new(path), text) {
        Ok(s) => Ok(Some(s)),
        Err(err) => {
            assert_state_error(path, text, &err)?;
            Ok(None)
        }
    }
}

/// A state-file mutation: the things hand edits, merges and full disks do.
#[derive(Debug, Clone)]
enum StateMutation {
    Truncate(Index),
    Flip(Index, u8),
    WrongType(Index, &'static str),
    UnknownField(Index, String),
    DuplicateLine(Index),
    DeleteLine(Index),
    Insert(Index, String),
}

fn state_mutation() -> impl Strategy<Value = StateMutation> {
    prop_oneof![
        any::<Index>().prop_map(StateMutation::Truncate),
        (any::<Index>(), 0u8..8).prop_map(|(i, b)| StateMutation::Flip(i, b)),
        (
            any::<Index>(),
            select(
                &[
                    "[1, 2]",
                    "{a: 1}",
                    "-1",
                    "1.5",
                    "true",
                    "null",
                    "~",
                    "\"\"",
                    "[]",
                    "{}",
                    "abc",
                    "18446744073709551616",
                    "\"12\"",
                    "!!str 1",
                    "*nope",
                    "[",
                    "'x",
                    "|\n  t",
                ][..]
            )
        )
            .prop_map(|(i, v)| StateMutation::WrongType(i, v)),
        (any::<Index>(), "[a-z_]{1,10}").prop_map(|(i, k)| StateMutation::UnknownField(i, k)),
        any::<Index>().prop_map(StateMutation::DuplicateLine),
        any::<Index>().prop_map(StateMutation::DeleteLine),
        (any::<Index>(), any::<String>()).prop_map(|(i, s)| StateMutation::Insert(i, s)),
    ]
}

impl StateMutation {
    /// The mutated bytes (not always UTF-8).
    fn apply(&self, text: &str) -> Vec<u8> {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let n = lines.len().max(1);
        // An earlier mutation may have left nothing: nothing to cut, flip or edit (a
        // proptest `Index` of an empty collection panics); only an insert adds to it.
        if text.is_empty() && !matches!(self, StateMutation::Insert(..)) {
            return Vec::new();
        }
        match self {
            StateMutation::Truncate(i) => return text.as_bytes()[..i.index(text.len())].to_vec(),
            StateMutation::Flip(i, bit) => {
                let mut bytes = text.as_bytes().to_vec();
                let at = i.index(bytes.len());
                bytes[at] ^= 1 << bit;
                return bytes;
            }
            StateMutation::Insert(i, s) => {
                let boundaries: Vec<usize> = (0..=text.len())
                    .filter(|&b| text.is_char_boundary(b))
                    .collect();
                let at = boundaries[i.index(boundaries.len())];
                return format!("{}{s}{}", &text[..at], &text[at..]).into_bytes();
            }
            StateMutation::WrongType(i, value) => {
                let line = &mut lines[i.index(n)];
                match line.find(": ") {
                    Some(at) => line.replace_range(at + 2.., value),
                    None => line.push_str(&format!(" {value}")),
                }
            }
            StateMutation::UnknownField(i, key) => {
                let at = i.index(n);
                let indent = lines[at].len() - lines[at].trim_start().len();
                lines.insert(at + 1, format!("{}{key}: 1", " ".repeat(indent)));
            }
            StateMutation::DuplicateLine(i) => {
                let at = i.index(n);
                let line = lines[at].clone();
                lines.insert(at, line);
            }
            StateMutation::DeleteLine(i) => {
                lines.remove(i.index(n));
            }
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out.into_bytes()
    }
}

/// The state of tests/it/state.rs, as vpnform writes it.
fn reference_state() -> String {
    let text = "version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 12
resources:
  ipsec_server.office:
    id: iss-bp1jougp8cfsbo8y9abcd
    region: cn-hangzhou
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
    depends_on: [ipsec_server.lab]
    protect: true
    attributes: { name: office, local_subnet: 10.0.0.0/24, client_ip_pool: 10.8.0.0/16 }
  ipsec_server.lab:
    id: iss-bp1lab0000000000000001
    region: cn-hangzhou
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
pending:
- address: ipsec_server.lab
  action: delete
  id: iss-bp1lab0000000000000001
  region: cn-hangzhou
  vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
  client_token: vpnform-0123456789abcdef0123456789abcdef
  plan_hash: 1111111111111111111111111111111111111111111111111111111111111111
  started_at: 2025-01-02T03:04:05Z
";
    let state = state::parse(Path::new("s"), text).unwrap();
    state::to_yaml(&state).unwrap()
}

#[test]
fn state_truncated_at_every_offset_never_panics_and_names_the_file() {
    let text = reference_state();
    let original = state::parse(Path::new("s"), &text).unwrap();
    for cut in 0..text.len() {
        let truncated = &text[..cut];
        match parse_checked(truncated) {
            Err(e) => panic!("cut {cut}: {e}\n{truncated}"),
            // YAML has no end marker, so a cut at a line end (`serial: 12` cut to
            // `serial: 1`, entries dropped) would parse; the final newline and the
            // `pending:` key that vpnform always writes last make every cut an error.
            Ok(Some(s)) => panic!(
                "state_file_cut_at_a_line_end_loaded_as_a_smaller_state: cut {cut} loaded \
                 serial {} with {} of {} resources",
                s.serial,
                s.resources.len(),
                original.resources.len()
            ),
            Ok(None) => {}
        }
    }
}

proptest! {
    #![proptest_config(config_with_cases(CASES))]

    /// Valid generated states (free-form text that YAML would read as other types,
    /// unicode, control characters) round-trip: `parse(to_yaml(s)) == s`, and writing
    /// again gives the same bytes.
    #[test]
    fn generated_states_round_trip_with_deterministic_bytes(s in gen_state()) {
        let text = state::to_yaml(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = state::parse(Path::new("s.yaml"), &text);
        prop_assert!(back.is_ok(), "vpnform cannot read what it wrote:\n{}\n--- error ---\n{}", text, back.unwrap_err());
        let back = back.unwrap();
        prop_assert_eq!(&back, &s, "\n{}", text);
        prop_assert_eq!(state::to_yaml(&back).unwrap(), text);
    }

    /// Mutated state files (truncated, bits flipped, wrong types, unknown fields,
    /// duplicated or deleted lines, stray unicode): `parse` never panics and every error
    /// names the file (and a place in it, when it has one).
    #[test]
    fn mutated_states_never_panic_and_errors_name_the_file(
        s in gen_state(),
        mutations in proptest::collection::vec(state_mutation(), 1..3),
    ) {
        let mut bytes = state::to_yaml(&s).unwrap().into_bytes();
        for m in &mutations {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            bytes = m.apply(&text);
        }
        match String::from_utf8(bytes) {
            Ok(text) => {
                parse_checked(&text)?;
            }
            Err(e) => {
                // Not UTF-8: only the file reader sees such bytes, and names the place of
                // the first bad one (lines and columns as in the lossy text).
                let dir = tempfile::tempdir().unwrap();
                let path = state::state_path(dir.path());
                std::fs::write(&path, e.as_bytes()).unwrap();
                let err = state::read(dir.path()).unwrap_err();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                assert_state_error(&path.display().to_string(), &lossy, &err)?;
            }
        }
    }

    /// A state file that does not read is never replaced by `state::write`.
    #[test]
    fn write_never_replaces_a_state_that_does_not_read(
        s in gen_state(),
        m in state_mutation(),
    ) {
        let bytes = m.apply(&state::to_yaml(&s).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let path = state::state_path(dir.path());
        std::fs::write(&path, &bytes).unwrap();
        if state::read(dir.path()).is_err() {
            prop_assert!(state::write(dir.path(), &s).is_err());
            prop_assert_eq!(std::fs::read(&path).unwrap(), bytes);
        }
    }
}

// ======================================================================================
// Black box: corrupted state files through the binary
// ======================================================================================

const STATE: &str = "state/vpnform.state.yaml";
const DESIRED_OK: &str = "version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office: {id: iss-bp1jougp8cfsbo8y9abcd, vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd}
";

/// 30 corrupted state files, the same on every run (a fixed seed), each one the
/// library refuses.
fn corrupted_sample() -> Vec<(Vec<u8>, String)> {
    let mut runner = TestRunner::deterministic();
    let base = reference_state();
    let strategy = proptest::collection::vec(state_mutation(), 1..3);
    let mut sample = Vec::new();
    while sample.len() < 30 {
        let mutations = strategy.new_tree(&mut runner).unwrap().current();
        let mut bytes = base.clone().into_bytes();
        for m in &mutations {
            bytes = m.apply(&String::from_utf8_lossy(&bytes));
        }
        // What the user must see: the library's error, rendered as the binary does.
        let message = match std::str::from_utf8(&bytes) {
            Ok(text) => match state::parse(Path::new(STATE), text) {
                Ok(_) => continue,
                Err(e) => vpnform::ui::render_error(&e.into(), false),
            },
            Err(_) => {
                let dir = tempfile::tempdir().unwrap();
                std::fs::write(state::state_path(dir.path()), &bytes).unwrap();
                let err = state::read(dir.path()).unwrap_err();
                vpnform::ui::render_error(&err.into(), false)
                    .replace(&dir.path().display().to_string(), "state")
            }
        };
        sample.push((bytes, message));
    }
    sample
}

#[test]
fn corrupted_states_make_every_command_fail_and_stay_byte_identical() {
    for (n, (bytes, message)) in corrupted_sample().into_iter().enumerate() {
        let ws = Workspace::new().file("vpnform.yaml", DESIRED_OK);
        std::fs::create_dir_all(ws.path().join("state")).unwrap();
        std::fs::write(ws.path().join(STATE), &bytes).unwrap();
        for args in [
            &["state", "rm", "ipsec_server.office"][..],
            &["state", "unprotect", "ipsec_server.office"],
            &["state", "list"],
            &["validate"],
        ] {
            let out = ws.run(args);
            assert_eq!(
                (out.code, out.stdout.as_str(), out.stderr.as_str()),
                (1, "", message.as_str()),
                "sample {n}, {args:?}, file:\n{}",
                String::from_utf8_lossy(&bytes)
            );
            assert_eq!(
                std::fs::read(ws.path().join(STATE)).unwrap(),
                bytes,
                "sample {n}: {args:?} changed the file"
            );
            let mut names: Vec<String> = std::fs::read_dir(ws.path().join("state"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n != ".vpnform.lock")
                .collect();
            names.sort();
            assert_eq!(names, ["vpnform.state.yaml"], "sample {n}: {args:?}");
        }
    }
}

/// Regression: a control character in a corrupted state file (here an ESC starting a
/// terminal title sequence) was quoted to the terminal as is.
#[test]
fn control_characters_in_a_corrupted_state_never_reach_the_terminal() {
    let contents =
        "version: 1\nlineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a\nserial: 1\x1b]0;pwned\x07\n";
    let ws = Workspace::new().file(STATE, contents);
    let out = ws.run(&["state", "list"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.starts_with("error: state/vpnform.state.yaml:3:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("serial: 1\u{fffd}]0;pwned\u{fffd}"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains('\x1b') && !out.stderr.contains('\x07'));
    assert_eq!(ws.read(STATE), contents);
}
