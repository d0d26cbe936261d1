//! The `vpnform state ...` operations: show, rm, mv, unprotect and push, written once
//! over the [`Backend`] trait and so the same on every backend. They edit only the
//! recorded state, never the cloud.
//!
//! Every edit goes through one function, `edit`: take the lock, read the state under
//! it, change the model, check the write, keep a backup where the backend keeps one,
//! write the next serial (the backend refuses a write over a state it did not start
//! from).

use std::path::Path;
use std::time::Duration;

use crate::Address;

use super::backend::Backend;
use super::error::StateError;
use super::holder::LockHolder;
use super::location::Location;
use super::{Resource, State};

/// The state `backend` records, which must exist.
pub(crate) fn read_existing(backend: &dyn Backend) -> Result<State, StateError> {
    backend.read()?.ok_or_else(|| backend.location().no_state())
}

/// The error for `addresses`, not recorded in `state` at `location`, with close matches.
fn unknown(location: &Location, state: &State, addresses: Vec<String>) -> StateError {
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
        path: location.state(),
        addresses,
        suggestions,
    }
}

/// One recorded resource and its address, or an error listing close matches.
pub(crate) fn resource<'a>(
    location: &Location,
    state: &'a State,
    address: &str,
) -> Result<(&'a Address, &'a Resource), StateError> {
    state
        .resources
        .get_key_value(address)
        .ok_or_else(|| unknown(location, state, vec![address.to_string()]))
}

/// A string as `state show` prints it: JSON-quoted, so control characters are visible.
fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

/// `state show`'s text, in the shape of `terraform state show`.
pub(crate) fn render_resource(state: &State, address: &Address, r: &Resource) -> String {
    let (kind, name) = (address.kind(), address.name());
    let mut rows: Vec<(&str, String)> = vec![("id", quote(&r.id)), ("region", quote(&r.region))];
    if !r.vpn_gateway.is_empty() {
        rows.push(("vpn_gateway", quote(&r.vpn_gateway)));
    }
    rows.extend([
        (
            "depends_on",
            format!(
                "[{}]",
                r.depends_on
                    .iter()
                    .map(|d| quote(d))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        ("protect", r.protect.to_string()),
    ]);
    if let Some(psk) = &r.psk {
        // The source only: the key itself is never recorded.
        rows.push((
            address.kind().facts().secret_name(),
            format!("(sensitive, from {psk})"),
        ));
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
            // Text quoted, numbers and booleans bare, as plans show them.
            let v = address.kind().facts().show_value(k, v);
            text.push_str(&format!("        {k:<aw$} = {v}\n"));
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
pub(crate) struct Removed {
    /// The addresses removed, in the order given (duplicates once).
    pub addresses: Vec<Address>,
    /// The serial written.
    pub serial: u64,
}

/// What `state mv` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Moved {
    pub from: Address,
    pub to: Address,
    /// The other entries whose `depends_on` named `from` and now name `to`.
    pub rewritten: Vec<Address>,
    /// The serial written.
    pub serial: u64,
}

/// How a writing `state` command takes the lock.
pub(crate) struct Locking<'a> {
    /// The command line, for the holder info.
    pub command: &'a str,
    pub timeout: Duration,
    /// Called once with the holder when waiting for the lock starts.
    pub on_wait: &'a mut dyn FnMut(Option<&LockHolder>),
}

/// What an edit does with the state read under the lock.
enum Change<T> {
    /// Nothing to write; the edit's answer.
    Nothing(T),
    /// Write this state (its serial and `applying` are set by [`edit`]); keep a backup
    /// first when `backup`.
    Write { state: State, backup: bool, then: T },
}

/// One hand edit of the recorded state: refuse early if there is none, take the lock,
/// read the state under it, let `change` refuse or edit it, then check the write, keep
/// the backup, and write the next serial with no resume claim (a saved plan made before
/// an edit by hand must not resume over it). The answer and the serial written.
fn edit<T>(
    backend: &dyn Backend,
    locking: Locking<'_>,
    change: impl FnOnce(&Location, &State) -> Result<Change<T>, StateError>,
) -> Result<(T, u64), StateError> {
    // Fail before locking if there is nothing to edit: taking the local lock would
    // create the state directory as a side effect.
    read_existing(backend)?;
    let _lock = backend.lock(locking.command, locking.timeout, locking.on_wait)?;
    let before = read_existing(backend)?;
    let location = backend.location();
    match change(&location, &before)? {
        Change::Nothing(answer) => Ok((answer, before.serial)),
        Change::Write {
            mut state,
            backup,
            then,
        } => {
            // Everything that could refuse the write is checked before the backup.
            backend.check_writable(&before)?;
            if backup {
                backend.backup()?;
            }
            state.serial = before.serial + 1;
            state.applying = None;
            backend.write(&state)?;
            Ok((then, state.serial))
        }
    }
}

fn pending_at(state: &State, wanted: &[Address]) -> Result<(), StateError> {
    match state.pending.iter().find(|p| wanted.contains(&p.address)) {
        Some(p) => Err(StateError::Pending {
            address: p.address.clone(),
            action: p.action.clone(),
            client_token: p.client_token.clone(),
            started_at: p.started_at.clone(),
        }),
        None => Ok(()),
    }
}

/// `state rm`: forgets `addresses` (all must be recorded, none pending, else nothing
/// changes), keeping a backup of the state it replaces where the backend keeps one.
pub(crate) fn remove(
    backend: &dyn Backend,
    addresses: &[String],
    locking: Locking<'_>,
) -> Result<Removed, StateError> {
    let (addresses, serial) = edit(backend, locking, |location, before| {
        let missing: Vec<String> = addresses
            .iter()
            .filter(|a| !before.resources.contains_key(a.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(unknown(location, before, missing));
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
        pending_at(before, &wanted)?;
        let mut after = before.clone();
        for a in &wanted {
            after.resources.remove(a);
        }
        Ok(Change::Write {
            state: after,
            backup: true,
            then: wanted,
        })
    })?;
    Ok(Removed { addresses, serial })
}

/// `state unprotect`: clears `protect` on `address`. `Ok(false)`: it was not
/// protected, nothing written.
pub(crate) fn unprotect(
    backend: &dyn Backend,
    address: &str,
    locking: Locking<'_>,
) -> Result<bool, StateError> {
    let (changed, _) = edit(backend, locking, |location, before| {
        if !resource(location, before, address)?.1.protect {
            return Ok(Change::Nothing(false));
        }
        let mut after = before.clone();
        if let Some(r) = after.resources.get_mut(address) {
            r.protect = false;
        }
        Ok(Change::Write {
            state: after,
            backup: false,
            then: true,
        })
    })?;
    Ok(changed)
}

/// Renames `from` (recorded) to `to` (not recorded) in `state`: the resource keeps its
/// id, attributes, protect and depends_on, and every `depends_on` naming `from` names
/// `to`. Returns the entries whose `depends_on` was rewritten. Any saved plan made
/// before names the old address, so the resume claim goes.
fn rename(state: &mut State, from: &Address, to: &Address) -> Vec<Address> {
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

/// `state mv`: renames the recorded address `old` to `new` (see [`rename`]), keeping a
/// backup where the backend keeps one. Refuses (changing nothing) an unknown `old`, a
/// `new` that is no address or already recorded, and an `old` with a pending
/// operation: the journal entry's address is what the next run resolves it by.
pub(crate) fn mv(
    backend: &dyn Backend,
    old: &str,
    new: &str,
    locking: Locking<'_>,
) -> Result<Moved, StateError> {
    let to: Address = new.parse().map_err(StateError::BadAddress)?;
    let ((from, to, rewritten), serial) = edit(backend, locking, |location, before| {
        let from = resource(location, before, old)?.0.clone();
        if from.kind() != to.kind() {
            return Err(StateError::OtherKind { from, to });
        }
        if before.resources.contains_key(to.as_str()) {
            return Err(StateError::AddressExists {
                path: location.state(),
                address: to,
            });
        }
        pending_at(before, std::slice::from_ref(&from))?;
        let mut after = before.clone();
        let rewritten = rename(&mut after, &from, &to);
        Ok(Change::Write {
            state: after,
            backup: true,
            then: (from, to, rewritten),
        })
    })?;
    Ok(Moved {
        from,
        to,
        rewritten,
        serial,
    })
}

/// How [`replace`] takes a state in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replace {
    /// `state push`: the same lineage at a higher serial.
    Newer,
    /// `state push --force`: whatever is there.
    Force,
    /// `init --migrate-state`: the same lineage at a higher serial, or the very same
    /// state (then nothing is written).
    NewerOrSame,
}

/// Replaces the recorded state with `incoming` (named `from` in messages) under the
/// lock, as `how` allows. `Ok(false)`: the same state was there, nothing written.
pub(crate) fn replace(
    backend: &dyn Backend,
    incoming: &State,
    from: &str,
    how: Replace,
    locking: Locking<'_>,
) -> Result<bool, StateError> {
    let _lock = backend.lock(locking.command, locking.timeout, locking.on_wait)?;
    let there = backend.read()?;
    if how == Replace::NewerOrSame && there.as_ref() == Some(incoming) {
        return Ok(false);
    }
    if how != Replace::Force {
        let force = match how {
            Replace::Newer => ", or pass --force to replace it anyway",
            _ => "",
        };
        check_newer(there.as_ref(), incoming, &backend.name(), from, force)?;
    }
    backend.check_writable(incoming)?;
    backend.write(incoming)?;
    Ok(true)
}

/// `vpnform state push FILE`: replaces the recorded state with the state file at `file`
/// (validated as every state file is), under the lock. Without `force` the file must be
/// the same lineage at a higher serial. Returns the state pushed.
pub(crate) fn push(
    backend: &dyn Backend,
    file: &Path,
    force: bool,
    locking: Locking<'_>,
) -> Result<State, StateError> {
    let (incoming, _) = super::read_file(file)?;
    let how = if force {
        Replace::Force
    } else {
        Replace::Newer
    };
    replace(
        backend,
        &incoming,
        &file.display().to_string(),
        how,
        locking,
    )?;
    Ok(incoming)
}

/// Refuses `incoming` in place of `there` unless it is the same lineage at a higher serial.
fn check_newer(
    there: Option<&State>,
    incoming: &State,
    to: &str,
    from: &str,
    force: &'static str,
) -> Result<(), StateError> {
    let Some(there) = there else {
        return Ok(());
    };
    if there.lineage != incoming.lineage {
        return Err(StateError::OtherLineage {
            to: to.into(),
            from: from.into(),
            there: there.lineage.clone(),
            here: incoming.lineage.clone(),
            force,
        });
    }
    if incoming.serial <= there.serial {
        return Err(StateError::NotNewer {
            to: to.into(),
            from: from.into(),
            there: there.serial,
            here: incoming.serial,
            force,
        });
    }
    Ok(())
}
