//! The `vpnform state ...` operations: list, show, rm, mv, unprotect. They edit only the
//! recorded state, never the cloud. The writing ones take the lock themselves.

use std::path::Path;
use std::time::Duration;

use crate::Address;

use super::error::StateError;
use super::lock::{Lock, LockHolder};
use super::{BACKUP_FILE, Resource, State};
use super::{read, state_path, write_if_changed};

/// The state in `dir`, which must exist.
pub fn read_existing(dir: &Path) -> Result<State, StateError> {
    read(dir)?.ok_or_else(|| StateError::NoState {
        path: state_path(dir),
    })
}

fn unknown(dir: &Path, state: &State, addresses: Vec<String>) -> StateError {
    unknown_in(state_path(dir), state, addresses)
}

/// [`unknown`] for a state that `place` names (a file, or `postgres schema NAME`).
pub(crate) fn unknown_in(
    place: std::path::PathBuf,
    state: &State,
    addresses: Vec<String>,
) -> StateError {
    let suggestions = addresses
        .iter()
        .map(|a| {
            let close =
                crate::suggest::close_addresses(a, state.resources.keys().map(Address::as_str));
            close
                .into_iter()
                .map(|c| state.resources.get_key_value(c).expect("a key").0.clone())
                .collect()
        })
        .collect();
    StateError::UnknownAddress {
        path: place,
        addresses,
        suggestions,
    }
}

/// One recorded resource and its address, or an error listing close matches.
pub fn resource<'a>(
    dir: &Path,
    state: &'a State,
    address: &str,
) -> Result<(&'a Address, &'a Resource), StateError> {
    state
        .resources
        .get_key_value(address)
        .ok_or_else(|| unknown(dir, state, vec![address.to_string()]))
}

/// A string as `state show` prints it: JSON-quoted, so control characters are visible.
fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

/// `state show`'s text, in the shape of `terraform state show`.
pub fn render_resource(state: &State, address: &Address, r: &Resource) -> String {
    let (kind, name) = (address.kind(), address.name());
    let mut rows: Vec<(&str, String)> = vec![
        ("id", quote(&r.id)),
        ("region", quote(&r.region)),
        ("vpn_gateway", quote(&r.vpn_gateway)),
        (
            "depends_on",
            format!(
                "[{}]",
                r.depends_on
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        ("protect", r.protect.to_string()),
    ];
    if let Some(psk) = &r.psk {
        // The source only: the key itself is never recorded.
        rows.push(("psk", format!("(sensitive, from {psk})")));
    }
    if let Some(old) = &r.deposed {
        rows.push((
            "deposed",
            format!(
                "{{ id = {}, vpn_gateway = {}, region = {} }}",
                quote(&old.id),
                quote(&old.vpn_gateway),
                quote(&old.region)
            ),
        ));
    }
    if r.attributes.is_empty() {
        rows.push(("attributes", "{}".to_string()));
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut text = format!("# {address}:\nresource \"{kind}\" \"{name}\" {{\n");
    for (k, v) in &rows {
        text.push_str(&format!("    {k:<width$} = {v}\n"));
    }
    if !r.attributes.is_empty() {
        text.push_str(&format!("    {:<width$} = {{\n", "attributes"));
        let aw = r.attributes.keys().map(|k| k.len()).max().unwrap_or(0);
        for (k, v) in &r.attributes {
            text.push_str(&format!("        {k:<aw$} = {}\n", quote(v)));
        }
        text.push_str("    }\n");
    }
    text.push_str("}\n");
    for p in state.pending.iter().filter(|p| p.address == *address) {
        text.push_str(&format!(
            "# pending {} since {} with ClientToken {} (plan {}): `vpnform apply` resolves it\n",
            p.action, p.started_at, p.client_token, p.plan_hash
        ));
    }
    text
}

/// What `state rm` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The addresses removed, in the order given (duplicates once).
    pub addresses: Vec<Address>,
    /// The serial written.
    pub serial: u64,
}

/// Forgets `addresses` (all must be recorded, none pending, else nothing changes),
/// after copying the previous state file to `<dir>/vpnform.state.yaml.backup`.
pub fn remove(
    dir: &Path,
    addresses: &[String],
    command: &str,
    lock_timeout: Duration,
    on_wait: impl FnMut(Option<&LockHolder>),
) -> Result<Removed, StateError> {
    // Fail before locking if there is nothing to edit: taking the lock would create the
    // state directory as a side effect.
    read_existing(dir)?;
    let _lock = Lock::acquire_with(dir, command, lock_timeout, on_wait)?;
    let path = state_path(dir);
    // The bytes read are the backup: the state is read (and parsed) once under the lock.
    let (before, previous) = match super::read_file(&path) {
        Ok(read) => read,
        Err(StateError::File(e)) if e.is_not_found() => return Err(StateError::NoState { path }),
        Err(e) => return Err(e),
    };
    let missing: Vec<String> = addresses
        .iter()
        .filter(|a| !before.resources.contains_key(a.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(unknown(dir, &before, missing));
    }
    let mut wanted: Vec<Address> = Vec::new();
    for a in addresses {
        let (recorded, _) = before
            .resources
            .get_key_value(a.as_str())
            .expect("checked above");
        if !wanted.contains(recorded) {
            wanted.push(recorded.clone());
        }
    }
    if let Some(p) = before.pending.iter().find(|p| wanted.contains(&p.address)) {
        return Err(StateError::Pending {
            address: p.address.clone(),
            action: p.action.clone(),
            client_token: p.client_token.clone(),
            started_at: p.started_at.clone(),
        });
    }
    let backup = dir.join(BACKUP_FILE);
    // Everything that could refuse the write is checked before the backup is written.
    super::next_serial(&path, before.serial)?;
    super::check_write_target(&path)?;
    super::write::write_bytes(dir, &backup, crate::files::BACKUP.what, &previous)?;
    let mut after = before.clone();
    for a in &wanted {
        after.resources.remove(a);
    }
    // An edit by hand ends any saved plan's claim to resume: it is stale from now on.
    after.applying = None;
    write_if_changed(dir, &before, &mut after)?;
    Ok(Removed {
        addresses: wanted,
        serial: after.serial,
    })
}

/// Clears `protect` on `address`. `Ok(false)`: it was not protected, nothing written.
pub fn unprotect(
    dir: &Path,
    address: &str,
    command: &str,
    lock_timeout: Duration,
    on_wait: impl FnMut(Option<&LockHolder>),
) -> Result<bool, StateError> {
    read_existing(dir)?;
    let _lock = Lock::acquire_with(dir, command, lock_timeout, on_wait)?;
    let before = read_existing(dir)?;
    if !resource(dir, &before, address)?.1.protect {
        return Ok(false);
    }
    let mut after = before.clone();
    if let Some(r) = after.resources.get_mut(address) {
        r.protect = false;
    }
    // A saved plan made before this edit must not resume over it.
    after.applying = None;
    write_if_changed(dir, &before, &mut after)
}

/// What `state mv` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub from: Address,
    pub to: Address,
    /// The other entries whose `depends_on` named `from` and now name `to`.
    pub rewritten: Vec<Address>,
    /// The serial written.
    pub serial: u64,
}

/// Renames the recorded address `old` to `new`: id, attributes, `protect` and
/// `depends_on` kept, every `depends_on` naming `old` rewritten, the previous file kept
/// as `<dir>/vpnform.state.yaml.backup`. Refuses (changing nothing) an unknown `old`, a
/// `new` that is no address or already recorded, and an `old` with a pending operation:
/// the journal entry's address is what the next run resolves it by.
/// Renames `from` (recorded) to `to` (not recorded) in `state`: the resource keeps its
/// id, attributes, protect and depends_on, and every `depends_on` naming `from` names
/// `to`. Returns the entries whose `depends_on` was rewritten. Any saved plan made
/// before names the old address, so the resume claim goes. One rename for every
/// backend.
pub(crate) fn rename(state: &mut State, from: &Address, to: &Address) -> Vec<Address> {
    let moved = state.resources.remove(from).expect("recorded");
    state.resources.insert(to.clone(), moved);
    let mut rewritten = Vec::new();
    for (address, r) in state.resources.iter_mut() {
        let mut changed = false;
        for d in r.depends_on.iter_mut().filter(|d| *d == from) {
            *d = to.clone();
            changed = true;
        }
        if changed {
            rewritten.push(address.clone());
        }
    }
    state.applying = None;
    rewritten
}

pub fn mv(
    dir: &Path,
    old: &str,
    new: &str,
    command: &str,
    lock_timeout: Duration,
    on_wait: impl FnMut(Option<&LockHolder>),
) -> Result<Moved, StateError> {
    let to: Address = new.parse().map_err(StateError::BadAddress)?;
    read_existing(dir)?;
    let _lock = Lock::acquire_with(dir, command, lock_timeout, on_wait)?;
    let path = state_path(dir);
    let (before, previous) = match super::read_file(&path) {
        Ok(read) => read,
        Err(StateError::File(e)) if e.is_not_found() => return Err(StateError::NoState { path }),
        Err(e) => return Err(e),
    };
    let from = resource(dir, &before, old)?.0.clone();
    if before.resources.contains_key(to.as_str()) {
        return Err(StateError::AddressExists { path, address: to });
    }
    if let Some(p) = before.pending.iter().find(|p| p.address == from) {
        return Err(StateError::Pending {
            address: p.address.clone(),
            action: p.action.clone(),
            client_token: p.client_token.clone(),
            started_at: p.started_at.clone(),
        });
    }
    let backup = dir.join(BACKUP_FILE);
    super::next_serial(&path, before.serial)?;
    super::check_write_target(&path)?;
    super::write::write_bytes(dir, &backup, crate::files::BACKUP.what, &previous)?;
    let mut after = before.clone();
    let rewritten = rename(&mut after, &from, &to);
    write_if_changed(dir, &before, &mut after)?;
    Ok(Moved {
        from,
        to,
        rewritten,
        serial: after.serial,
    })
}
