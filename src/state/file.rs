//! Reading, validating and atomically writing `vpnform.state.yaml`.
//!
//! A state file that cannot be read is never overwritten: every reader returns an error
//! that names the file and position, and [`write`] itself refuses to replace a file that
//! does not read back as a state of the same lineage.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::Address;
use crate::id::{self, is_id};

use super::error::{StateError, snippet};
use super::{STATE_FILE, STATE_VERSION, State};

/// The first line of every state file. YAML comments are ignored on read.
pub const HEADER: &str =
    "# Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.\n";

/// `<dir>/vpnform.state.yaml`.
pub fn state_path(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE)
}

/// Reads and validates the state in `dir`. `Ok(None)` when there is no state file (or
/// no directory): nothing is managed yet.
pub fn read(dir: &Path) -> Result<Option<State>, StateError> {
    let path = state_path(dir);
    match read_file(&path) {
        Ok((state, _)) => Ok(Some(state)),
        Err(StateError::File(e)) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads and validates the state file at `path` (a regular file, through a link, at
/// most [`crate::files::STATE`]'s limit); also returns its bytes as read.
pub fn read_file(path: &Path) -> Result<(State, Vec<u8>), StateError> {
    let bytes = crate::files::read(path, crate::files::STATE)?;
    let state = parse(path, utf8(path, &bytes)?)?;
    Ok((state, bytes))
}

/// The text of a state file, or an error at the first byte that is not UTF-8.
fn utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, StateError> {
    let err = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(err) => err,
    };
    let at = err.valid_up_to();
    let valid = std::str::from_utf8(&bytes[..at]).expect("valid up to here");
    // Lines as the YAML parser numbers them, so the position matches its other errors.
    let lines = crate::config::source_lines(valid);
    let line = lines.len().max(1) as u64;
    let column = lines.last().map_or(0, |l| l.chars().count()) as u64 + 1;
    let text = String::from_utf8_lossy(bytes);
    Err(StateError::NotUtf8 {
        path: path.to_path_buf(),
        line,
        column,
        byte: bytes[at],
        snippet: snippet(&text, line, column),
    })
}

/// Parses and validates the text of a state file; `path` is for messages.
pub fn parse(path: &Path, source: &str) -> Result<State, StateError> {
    if source.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    }) {
        return Err(StateError::Empty {
            path: path.to_path_buf(),
        });
    }
    // One parse on the happy path: the version probe (a second whole-file parse) runs
    // only when the full parse fails or finds another version, to say which.
    let state: State =
        match serde_saphyr::from_str_with_options(source, crate::yaml::options_for(source)) {
            Ok(state) => state,
            Err(e) => {
                check_version(path, source)?;
                if let Some(problem) = address_problem(source) {
                    return Err(invalid(path, source, problem));
                }
                return Err(parse_error(path, source, &e));
            }
        };
    if state.version != STATE_VERSION {
        check_version(path, source)?;
    }
    validate(path, source, &state)?;
    // Only a file that parses gets here: a cut mid-value is reported with its place.
    check_whole(path, source)?;
    Ok(state)
}

/// A cut at a line boundary still parses (`serial: 12` cut to `serial: 1`, an entry
/// dropped), so the shape vpnform always writes is checked: a final newline, and the
/// `pending:` key, which comes last.
fn check_whole(path: &Path, source: &str) -> Result<(), StateError> {
    let why = if !source.ends_with('\n') {
        "it does not end with a newline"
    } else if !source.lines().any(|l| l.starts_with("pending:")) {
        "it has no top-level `pending:` key"
    } else {
        return Ok(());
    };
    Err(StateError::Truncated {
        path: path.to_path_buf(),
        why,
    })
}

/// The version is checked before the full parse, so that a newer vpnform's file (which
/// may have fields this one does not know) says "newer", not "unknown field".
fn check_version(path: &Path, source: &str) -> Result<(), StateError> {
    #[derive(Deserialize)]
    struct Probe {
        version: Option<Spanned<u64>>,
    }
    // A probe that fails (syntax error, version not a number) leaves the full parse to
    // report it with its own position.
    let Ok(Probe {
        version: Some(version),
    }) = serde_saphyr::from_str_with_options::<Probe>(source, crate::yaml::options_for(source))
    else {
        return Ok(());
    };
    let found = version.value;
    let (line, column) = (version.referenced.line(), version.referenced.column());
    let path = path.to_path_buf();
    let snippet = snippet(source, line, column);
    if found > u64::from(STATE_VERSION) {
        Err(StateError::NewerVersion {
            path,
            line,
            column,
            found,
            snippet,
        })
    } else if found != u64::from(STATE_VERSION) {
        Err(StateError::UnsupportedVersion {
            path,
            line,
            column,
            found,
            snippet,
        })
    } else {
        Ok(())
    }
}

fn parse_error(path: &Path, source: &str, err: &serde_saphyr::Error) -> StateError {
    let (line, column) = err
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    // The user-facing formatter: the default one gives advice to the programmer
    // ("use Option<String>").
    // A parser limit in words (serde-saphyr's own text for it is Rust debug output).
    let message = crate::yaml::parser_limit_of(source, err).unwrap_or_else(|| {
        let mut message = err
            .without_snippet()
            .render_with_formatter(&serde_saphyr::UserMessageFormatter);
        // serde-saphyr appends the position in prose; ours is in front as file:line:column.
        if let Some(at) = message.rfind(" at line ") {
            message.truncate(at);
        }
        message
    });
    StateError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
        snippet: snippet(source, line, column),
    }
}

/// Where a value sits in the file, so a validation error can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Lineage,
    ResourceKey(String),
    ResourceId(String),
    ResourceGateway(String),
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
    vpn_gateway: Option<Spanned<String>>,
    depends_on: Vec<Spanned<String>>,
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
            crate::config::source_lines(source)
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
        if !is_id(&r.id, id::IPSEC_SERVER) {
            found.push((
                Field::ResourceId(address.to_owned()),
                here.clone(),
                format!(
                    "{address}: id `{}` is not an IPsec server id (iss-...)",
                    r.id
                ),
            ));
        } else if let Some(other) = ids.insert(&r.id, address) {
            found.push((
                Field::ResourceId(address.to_owned()),
                here.clone(),
                format!("{address}: id `{}` is also recorded under {other}", r.id),
            ));
        }
        if !is_id(&r.vpn_gateway, id::VPN_GATEWAY) {
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
    for (i, p) in state.pending.iter().enumerate() {
        let here = Some(p.address.clone());
        if p.action != "delete" {
            found.push((
                Field::PendingAction(i),
                here.clone(),
                format!(
                    "pending entry {}: unknown action `{}` (this vpnform journals only `delete`)",
                    i + 1,
                    p.action
                ),
            ));
        }
        if !is_id(&p.id, id::IPSEC_SERVER) {
            found.push((
                Field::PendingId(i),
                here.clone(),
                format!(
                    "pending entry {}: id `{}` is not an IPsec server id (iss-...)",
                    i + 1,
                    p.id
                ),
            ));
        }
        if !is_id(&p.vpn_gateway, id::VPN_GATEWAY) {
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

/// The checks serde cannot do. Reports the first problem (in file order of the checks).
fn validate(path: &Path, source: &str, state: &State) -> Result<(), StateError> {
    match problems(state).into_iter().next() {
        None => Ok(()),
        Some(problem) => Err(invalid(path, source, problem)),
    }
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

/// The exact bytes [`write`] puts in the file: the header, then deterministic YAML
/// (fields in model order, maps sorted, strings on one line).
pub fn to_yaml(state: &State) -> Result<String, serde_saphyr::SerializeError> {
    let mut options = serde_saphyr::SerializerOptions::default();
    // Long attribute values stay on one line: a folded scalar would make a one-word
    // change a multi-line diff.
    options.prefer_block_scalars = false;
    let body = serde_saphyr::to_string_with_options(state, options)?;
    Ok(format!("{HEADER}{body}"))
}

/// Writes `state` to `dir` atomically: a temp file in `dir`, fsync, rename over the
/// state file, fsync of `dir` (by `atomic-write-file`, which also removes the temp file
/// on any error). Creates `dir` if missing.
///
/// Refuses to replace an existing file that does not read as a valid state (it is never
/// overwritten) or that holds another lineage. Writes `state` as given: bump the serial
/// with [`write_if_changed`].
pub fn write(dir: &Path, state: &State) -> Result<(), StateError> {
    let path = state_path(dir);
    // The file this process wrote last, untouched since (same inode, size and mtime), is
    // known to be valid and of this lineage: apply's journal writes many times a second
    // and must not parse the whole state back each time.
    let ours = written_by_us(&path).is_some_and(|lineage| lineage == state.lineage);
    if !ours
        && let Some(on_disk) = read(dir)?
        && on_disk.lineage != state.lineage
    {
        return Err(StateError::LineageChanged {
            path,
            on_disk: on_disk.lineage,
            writing: state.lineage.clone(),
        });
    }
    let text = to_yaml(state).map_err(|e| StateError::Serialize {
        path: path.clone(),
        message: e.to_string(),
    })?;
    write_bytes(dir, &path, crate::files::STATE.what, text.as_bytes())?;
    remember_written(&path, &state.lineage);
    Ok(())
}

/// Identifies one version of a file: replaced atomically, it gets a new inode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileVersion {
    #[cfg(unix)]
    inode: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

fn file_version(path: &Path) -> Option<FileVersion> {
    let m = std::fs::metadata(path).ok()?;
    Some(FileVersion {
        #[cfg(unix)]
        inode: std::os::unix::fs::MetadataExt::ino(&m),
        len: m.len(),
        modified: m.modified().ok(),
    })
}

type WrittenCache = std::sync::Mutex<BTreeMap<PathBuf, (FileVersion, String)>>;

fn written_cache() -> &'static WrittenCache {
    static CACHE: std::sync::OnceLock<WrittenCache> = std::sync::OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The lineage of the file at `path` if this process wrote it and it is unchanged since.
fn written_by_us(path: &Path) -> Option<String> {
    let cache = written_cache().lock().unwrap_or_else(|e| e.into_inner());
    let (version, lineage) = cache.get(path)?;
    (file_version(path).as_ref() == Some(version)).then(|| lineage.clone())
}

fn remember_written(path: &Path, lineage: &str) {
    let mut cache = written_cache().lock().unwrap_or_else(|e| e.into_inner());
    match file_version(path) {
        Some(v) => {
            cache.insert(path.to_path_buf(), (v, lineage.to_owned()));
        }
        None => {
            cache.remove(path);
        }
    }
}

/// The atomic replace of `path` (in `dir`) by `bytes`.
/// Never through or over a link; a new file is 0600, see [`crate::files::write_atomic`].
pub(crate) fn write_bytes(
    dir: &Path,
    path: &Path,
    what: &'static str,
    bytes: &[u8],
) -> Result<(), StateError> {
    create_dir(dir).map_err(|source| StateError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(crate::files::write_atomic(path, what, bytes)?)
}

/// Creates the state directory if it is missing, with a `.gitignore` for the lock and
/// the backup, so that neither is ever committed.
pub(crate) fn create_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
    match options.open(dir.join(".gitignore")) {
        Ok(mut file) => std::io::Write::write_all(&mut file, super::GITIGNORE.as_bytes()),
        // Another run created the directory at the same time.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Checks that the state file at `path` may be replaced (absent, or a regular file: not
/// a link), so that a command refuses before it does anything rather than at its write.
pub fn check_write_target(path: &Path) -> Result<(), StateError> {
    crate::files::check_write_target(path, crate::files::STATE.what)?;
    Ok(())
}

/// The serial after `serial`, or an error: a serial never wraps to 0.
pub fn next_serial(path: &Path, serial: u64) -> Result<u64, StateError> {
    serial
        .checked_add(1)
        .ok_or_else(|| StateError::SerialOverflow {
            path: path.to_path_buf(),
            serial,
        })
}

/// The write for a run that changes the state step by step (apply): if `next` differs
/// from `prev` in anything but the serial, sets `next.serial = prev.serial + 1`, writes
/// it and returns `true`; otherwise writes nothing and returns `false`.
///
/// `prev` is the state as last read or written; after a `true`, `next` is.
pub fn write_if_changed(dir: &Path, prev: &State, next: &mut State) -> Result<bool, StateError> {
    if next.same_content(prev) {
        return Ok(false);
    }
    next.serial = next_serial(&state_path(dir), prev.serial)?;
    write(dir, next)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{PendingOp, Resource};

    fn sample() -> State {
        let mut s = State::new();
        s.lineage = "4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a".into();
        s.serial = 12;
        s.resources.insert(
            "ipsec_server.office".into(),
            Resource {
                id: "iss-bp1jougp8cfsbo8y9abcd".into(),
                region: "cn-hangzhou".into(),
                vpn_gateway: "vpn-bp1q8bgx4xnkm2ogjabcd".into(),
                depends_on: vec!["ipsec_server.lab".into()],
                protect: true,
                attributes: [
                    ("name".to_string(), "office".to_string()),
                    ("local_subnet".to_string(), "10.0.0.0/24".to_string()),
                ]
                .into(),
            },
        );
        s.resources.insert(
            "ipsec_server.lab".into(),
            Resource {
                id: "iss-lab1".into(),
                region: "cn-hangzhou".into(),
                vpn_gateway: "vpn-g1".into(),
                depends_on: vec![],
                protect: false,
                attributes: BTreeMap::new(),
            },
        );
        s
    }

    #[test]
    fn yaml_is_deterministic_and_round_trips() {
        let s = sample();
        let text = to_yaml(&s).unwrap();
        assert_eq!(
            text,
            "# Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 12
resources:
  ipsec_server.lab:
    id: iss-lab1
    region: cn-hangzhou
    vpn_gateway: vpn-g1
  ipsec_server.office:
    id: iss-bp1jougp8cfsbo8y9abcd
    region: cn-hangzhou
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
    depends_on:
    - ipsec_server.lab
    protect: true
    attributes:
      local_subnet: 10.0.0.0/24
      name: office
pending: []
"
        );
        let back = parse(Path::new("s.yaml"), &text).unwrap();
        assert_eq!(back, s);
        assert_eq!(to_yaml(&back).unwrap(), text);
    }

    #[test]
    fn pending_round_trips() {
        let mut s = sample();
        s.pending.push(PendingOp {
            address: "ipsec_server.lab".into(),
            action: "delete".into(),
            id: "iss-lab1".into(),
            region: "cn-hangzhou".into(),
            vpn_gateway: "vpn-g1".into(),
            client_token: "vpnform-0123456789abcdef0123456789abcdef".into(),
            plan_hash: "ab".repeat(32),
            started_at: "2025-01-02T03:04:05Z".into(),
        });
        s.applying = Some(crate::state::ApplyingPlan {
            plan_hash: "cd".repeat(32),
            base_serial: 11,
        });
        let text = to_yaml(&s).unwrap();
        assert_eq!(parse(Path::new("s.yaml"), &text).unwrap(), s);
    }

    #[test]
    fn strings_that_look_like_other_types_round_trip() {
        let mut s = sample();
        let r = s.resources.get_mut("ipsec_server.lab").unwrap();
        for (k, v) in [
            ("a", "yes"),
            ("b", "123"),
            ("c", "null"),
            ("d", ""),
            ("e", "with: colon # and hash"),
            ("f", "line\nbreak"),
            ("g", &"long ".repeat(40)),
        ] {
            r.attributes.insert(k.into(), v.into());
        }
        let text = to_yaml(&s).unwrap();
        assert_eq!(parse(Path::new("s.yaml"), &text).unwrap(), s);
    }

    #[test]
    fn write_if_changed_bumps_serial_only_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let prev = State::new();
        let mut next = prev.clone();
        assert!(!write_if_changed(dir.path(), &prev, &mut next).unwrap());
        assert!(!state_path(dir.path()).exists());
        next.resources = sample().resources;
        assert!(write_if_changed(dir.path(), &prev, &mut next).unwrap());
        assert_eq!(next.serial, 1);
        assert_eq!(read(dir.path()).unwrap().unwrap(), next);
        let prev = next.clone();
        let mut again = prev.clone();
        assert!(!write_if_changed(dir.path(), &prev, &mut again).unwrap());
        assert_eq!(again.serial, 1);
    }

    #[test]
    fn write_refuses_another_lineage() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &State::new()).unwrap();
        let err = write(dir.path(), &State::new()).unwrap_err();
        assert!(matches!(err, StateError::LineageChanged { .. }), "{err}");
    }

    #[test]
    fn write_creates_the_dir_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        write(&sub, &sample()).unwrap();
        write(&sub, &sample()).unwrap();
        let names: Vec<String> = std::fs::read_dir(&sub)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let mut names = names;
        names.sort();
        assert_eq!(names, [".gitignore", "vpnform.state.yaml"]);
        assert_eq!(
            std::fs::read_to_string(sub.join(".gitignore")).unwrap(),
            crate::state::GITIGNORE
        );
        let ignored: Vec<&str> = crate::state::GITIGNORE.lines().collect();
        assert!(ignored.contains(&crate::state::LOCK_FILE), "{ignored:?}");
        assert!(ignored.contains(&crate::state::BACKUP_FILE), "{ignored:?}");
    }

    #[test]
    fn missing_dir_or_file_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(&dir.path().join("nope")).unwrap(), None);
        assert_eq!(read(dir.path()).unwrap(), None);
    }
}
