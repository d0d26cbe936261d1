//! The checks of a parsed state that serde cannot do (addresses, id shapes, duplicate
//! ids, the journal's actions), each error pointing at file:line:column.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::Address;
use crate::id::{self, is_id};

use super::State;
use super::error::{StateError, snippet};

/// Where a value sits in the file, so a validation error can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Lineage,
    ResourceKey(String),
    ResourceId(String),
    ResourceGateway(String),
    Deposed(String),
    DependsOn(String, usize),
    PendingAddress(usize),
    PendingId(usize),
    PendingGateway(usize),
    PendingAction(usize),
}

/// The second, lenient read that finds positions; only done when a check failed, and
/// deliberately not `deny_unknown_fields` (the model already was).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Positions {
    lineage: Option<Spanned<String>>,
    resources: BTreeMap<String, ResourcePositions>,
    pending: Vec<PendingPositions>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResourcePositions {
    id: Option<Spanned<String>>,
    deposed: Option<DeposedPositions>,
    vpn_gateway: Option<Spanned<String>>,
    depends_on: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeposedPositions {
    id: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PendingPositions {
    address: Option<Spanned<String>>,
    action: Option<Spanned<String>>,
    id: Option<Spanned<String>>,
    vpn_gateway: Option<Spanned<String>>,
}

fn locate(source: &str, field: &Field) -> (u64, u64) {
    let positions: Positions =
        serde_saphyr::from_str_with_options(source, crate::yaml::options_for(source))
            .unwrap_or_default();
    let at = |s: Option<&Spanned<String>>| s.map(|s| (s.referenced.line(), s.referenced.column()));
    let found = match field {
        Field::Lineage => at(positions.lineage.as_ref()),
        Field::ResourceKey(address) => {
            // Spans are on values, not keys: find the key's line in the text.
            crate::yaml::source_lines(source)
                .into_iter()
                .enumerate()
                .find_map(|(i, l)| {
                    let trimmed = l.trim_start();
                    let key = trimmed
                        .strip_prefix(address.as_str())
                        .is_some_and(|rest| rest.trim_start().starts_with(':'));
                    key.then(|| (i as u64 + 1, (l.len() - trimmed.len()) as u64 + 1))
                })
        }
        Field::ResourceId(a) => at(positions.resources.get(a).and_then(|r| r.id.as_ref())),
        Field::ResourceGateway(a) => at(positions
            .resources
            .get(a)
            .and_then(|r| r.vpn_gateway.as_ref())),
        Field::Deposed(a) => at(positions
            .resources
            .get(a)
            .and_then(|r| r.deposed.as_ref())
            .and_then(|d| d.id.as_ref())),
        Field::DependsOn(a, i) => at(positions
            .resources
            .get(a)
            .and_then(|r| r.depends_on.get(*i))),
        Field::PendingAddress(i) => at(positions.pending.get(*i).and_then(|p| p.address.as_ref())),
        Field::PendingId(i) => at(positions.pending.get(*i).and_then(|p| p.id.as_ref())),
        Field::PendingGateway(i) => at(positions
            .pending
            .get(*i)
            .and_then(|p| p.vpn_gateway.as_ref())),
        Field::PendingAction(i) => at(positions.pending.get(*i).and_then(|p| p.action.as_ref())),
    };
    found.unwrap_or((1, 1))
}

fn is_address(text: &str) -> bool {
    text.parse::<Address>().is_ok()
}

/// The first text in an address's place (a resource key, a `depends_on` entry, a pending
/// entry's address) that is not one, with its place. Run when the parse failed: the
/// [`Address`] type refuses such text, but serde says neither which key nor where.
fn address_problem(source: &str) -> Option<(Field, Option<Address>, String)> {
    let positions: Positions =
        serde_saphyr::from_str_with_options(source, crate::yaml::options_for(source)).ok()?;
    for (address, r) in &positions.resources {
        if let Err(e) = address.parse::<Address>() {
            return Some((Field::ResourceKey(address.clone()), None, e.to_string()));
        }
        for (i, dep) in r.depends_on.iter().enumerate() {
            if !is_address(&dep.value) {
                return Some((
                    Field::DependsOn(address.clone(), i),
                    address.parse().ok(),
                    format!(
                        "{address}: depends_on entry `{}` is not a resource address (ipsec_server.NAME)",
                        dep.value
                    ),
                ));
            }
        }
    }
    for (i, p) in positions.pending.iter().enumerate() {
        let Some(address) = &p.address else { continue };
        if !is_address(&address.value) {
            return Some((
                Field::PendingAddress(i),
                None,
                format!(
                    "pending entry {}: `{}` is not a resource address (ipsec_server.NAME)",
                    i + 1,
                    address.value
                ),
            ));
        }
    }
    None
}

fn problems(state: &State) -> Vec<(Field, Option<Address>, String)> {
    let mut found = Vec::new();
    if uuid::Uuid::parse_str(&state.lineage).is_err() {
        found.push((
            Field::Lineage,
            None,
            format!("lineage `{}` is not a UUID", state.lineage),
        ));
    }
    let mut ids: BTreeMap<&str, &str> = BTreeMap::new();
    for (recorded, r) in &state.resources {
        let here = Some(recorded.clone());
        let address = recorded.as_str();
        let kind = recorded.kind().facts();
        if !is_id(&r.id, kind.id_prefix) {
            found.push((
                Field::ResourceId(address.to_owned()),
                here.clone(),
                format!(
                    "{address}: id `{}` is not {} id ({}...)",
                    r.id,
                    a_an(kind.noun),
                    kind.id_prefix
                ),
            ));
        } else if let Some(other) = ids.insert(&r.id, address) {
            found.push((
                Field::ResourceId(address.to_owned()),
                here.clone(),
                format!("{address}: id `{}` is also recorded under {other}", r.id),
            ));
        }
        if kind.lane == crate::kinds::Lane::None {
            if !r.vpn_gateway.is_empty() {
                found.push((
                    Field::ResourceGateway(address.to_owned()),
                    here.clone(),
                    format!(
                        "{address}: a {} is on no VPN gateway; remove its `vpn_gateway`",
                        kind.noun
                    ),
                ));
            }
        } else if !is_id(&r.vpn_gateway, id::VPN_GATEWAY_PREFIX) {
            found.push((
                Field::ResourceGateway(address.to_owned()),
                here.clone(),
                format!(
                    "{address}: vpn_gateway `{}` is not a VPN gateway id (vpn-...)",
                    r.vpn_gateway
                ),
            ));
        }
    }
    for (recorded, r) in &state.resources {
        let Some(d) = &r.deposed else { continue };
        let address = recorded.as_str();
        let mut bad = |message: String| {
            found.push((
                Field::Deposed(address.to_owned()),
                Some(recorded.clone()),
                message,
            ))
        };
        let kind = recorded.kind().facts();
        if !is_id(&d.id, kind.id_prefix) {
            bad(format!(
                "{address}: deposed id `{}` is not {} id ({}...)",
                d.id,
                a_an(kind.noun),
                kind.id_prefix
            ));
        } else if let Some(other) = ids.get(d.id.as_str()) {
            bad(format!(
                "{address}: deposed id `{}` is recorded under {other}: a deposed server is \
                 the old one of a replace, recorded nowhere else",
                d.id
            ));
        }
        if !is_id(&d.vpn_gateway, id::VPN_GATEWAY_PREFIX) {
            bad(format!(
                "{address}: deposed vpn_gateway `{}` is not a VPN gateway id (vpn-...)",
                d.vpn_gateway
            ));
        }
        if !crate::regions::is_known(&d.region) {
            bad(format!(
                "{address}: deposed region `{}` is not a known region",
                d.region
            ));
        }
        // The old server is deleted only through its journaled delete, with its id.
        let journaled = state.pending.iter().any(|p| {
            p.address == *recorded && p.action == "delete" && p.id.as_deref() == Some(&d.id)
        });
        if !journaled {
            bad(format!(
                "{address}: deposed server `{}` has no pending delete with its id; a replace \
                 journals the old server's delete in the same write that deposes it",
                d.id
            ));
        }
    }
    // A secret source per tunnel is an IPsec connection's only, each tunnel's an
    // environment variable or a file: what the desired file can write.
    for (recorded, r) in &state.resources {
        if let Some(problem) = r.psk.as_ref().and_then(|psk| psk_shape(recorded, psk)) {
            found.push((
                Field::ResourceKey(recorded.to_string()),
                Some(recorded.clone()),
                format!("{recorded}: psk: {problem}"),
            ));
        }
    }
    for (i, p) in state.pending.iter().enumerate() {
        let sent = p.sent.as_ref().and_then(|s| s.psk.as_ref());
        if let Some(problem) = sent.and_then(|psk| psk_shape(&p.address, psk)) {
            found.push((
                Field::PendingAddress(i),
                Some(p.address.clone()),
                format!("pending entry {}: sent.psk: {problem}", i + 1),
            ));
        }
    }
    for (i, p) in state.pending.iter().enumerate() {
        let here = Some(p.address.clone());
        if !matches!(p.action.as_str(), "create" | "update" | "delete") {
            found.push((
                Field::PendingAction(i),
                here.clone(),
                format!(
                    "pending entry {}: unknown action `{}` (vpnform journals `create`, `update` and `delete`)",
                    i + 1,
                    p.action
                ),
            ));
        }
        let kind = p.address.kind().facts();
        match &p.id {
            Some(id) if !is_id(id, kind.id_prefix) => found.push((
                Field::PendingId(i),
                here.clone(),
                format!(
                    "pending entry {}: id `{}` is not {} id ({}...)",
                    i + 1,
                    id,
                    a_an(kind.noun),
                    kind.id_prefix
                ),
            )),
            // Only a create is journaled before its server has an id.
            None if p.action != "create" => found.push((
                Field::PendingAction(i),
                here.clone(),
                format!(
                    "pending entry {}: a `{}` entry has no id; only a create is journaled without one",
                    i + 1,
                    p.action
                ),
            )),
            _ => {}
        }
        let laneless = kind.lane == crate::kinds::Lane::None;
        if laneless && !p.vpn_gateway.is_empty() {
            found.push((
                Field::PendingGateway(i),
                here.clone(),
                format!(
                    "pending entry {}: a {} is on no VPN gateway; the entry names `{}`",
                    i + 1,
                    kind.noun,
                    p.vpn_gateway
                ),
            ));
        } else if !laneless
            && !is_id(&p.vpn_gateway, id::VPN_GATEWAY_PREFIX)
            && !own_create(kind, p)
        {
            found.push((
                Field::PendingGateway(i),
                here.clone(),
                format!(
                    "pending entry {}: vpn_gateway `{}` is not a VPN gateway id (vpn-...)",
                    i + 1,
                    p.vpn_gateway
                ),
            ));
        }
    }
    found
}

/// `a` or `an` before `noun`, as the messages read.
fn a_an(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u', 'I']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

/// The checks serde cannot do. Reports the first problem (in file order of the checks).
pub(super) fn validate(path: &Path, source: &str, state: &State) -> Result<(), StateError> {
    check_serial(path, source)?;
    match problems(state).into_iter().next() {
        None => Ok(()),
        Some(problem) => Err(invalid(path, source, problem)),
    }
}

/// A text in an address's place that is not one, located; for a parse that failed.
pub(super) fn check_addresses(path: &Path, source: &str) -> Result<(), StateError> {
    match address_problem(source) {
        None => Ok(()),
        Some(problem) => Err(invalid(path, source, problem)),
    }
}

/// The serial as written is a YAML integer in decimal digits, as vpnform writes it: the
/// parser also reads `"12"`, `'12'`, `0x10`, `0o14`, `+12` and `1_2` as a number, and a
/// serial is what tells a stale plan from a current one, so it is read only as written.
fn check_serial(path: &Path, source: &str) -> Result<(), StateError> {
    let Some((line, column)) = serial_position(source) else {
        // No serial at all: the parse already said it is missing.
        return Ok(());
    };
    let lines = crate::yaml::source_lines(source);
    let text = lines.get(line as usize - 1).copied().unwrap_or_default();
    let rest: String = text.chars().skip(column as usize - 1).collect();
    let written = match rest.chars().next() {
        Some(quote @ ('"' | '\'')) => match rest[1..].find(quote) {
            Some(end) => rest[..end + 2].to_owned(),
            None => rest.clone(),
        },
        _ => rest
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '}' | ']' | '#'))
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    if !written.is_empty() && written.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(StateError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        address: None,
        message: format!(
            "`serial: {}` is not written as an integer: vpnform writes the serial in decimal \
             digits (`serial: 12`), and a serial tells a stale plan from a current one, so it \
             is read only as written",
            crate::ui::one_line(&written)
        ),
        snippet: snippet(source, line, column),
    })
}

/// Where the top-level `serial`'s value starts: found in the text for the block style
/// vpnform writes (no second parse on every read), else from a lenient parse.
fn serial_position(source: &str) -> Option<(u64, u64)> {
    for (i, line) in crate::yaml::source_lines(source).iter().enumerate() {
        if let Some(rest) = line.strip_prefix("serial:") {
            let blank = rest.chars().take_while(|c| *c == ' ' || *c == '\t').count();
            if rest.chars().nth(blank).is_some() {
                return Some((i as u64 + 1, ("serial:".len() + blank) as u64 + 1));
            }
        }
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct SerialPosition {
        serial: Option<Spanned<String>>,
    }
    let found: SerialPosition =
        serde_saphyr::from_str_with_options(source, crate::yaml::options_for(source))
            .unwrap_or_default();
    found
        .serial
        .map(|s| (s.referenced.line(), s.referenced.column()))
}

/// A located [`StateError::Invalid`].
fn invalid(
    path: &Path,
    source: &str,
    (field, address, message): (Field, Option<Address>, String),
) -> StateError {
    let (line, column) = locate(source, &field);
    StateError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        address,
        message,
        snippet: snippet(source, line, column),
    }
}

/// A VPN gateway's own create: it has no id, nor a lane, until it is made.
fn own_create(kind: &crate::kinds::Kind, p: &crate::state::PendingOp) -> bool {
    kind.lane == crate::kinds::Lane::Itself && p.action == "create" && p.vpn_gateway.is_empty()
}

/// What is wrong with `psk` as a source of the resource at `address`, if anything.
fn psk_shape(address: &Address, psk: &crate::state::PskRecord) -> Option<String> {
    use crate::state::PskRecord;
    let PskRecord::Tunnels { master, slave } = psk else {
        return None;
    };
    if address.kind() != crate::address::Kind::VpnConnection {
        return Some(format!(
            "a source per tunnel, but {address} is not an IPsec connection"
        ));
    }
    [master, slave]
        .iter()
        .any(|t| matches!(***t, PskRecord::Tunnels { .. }))
        .then(|| "a tunnel's source is itself per tunnel: each is `env` or `file`".to_owned())
}
