//! The state writer of a run. Every change apply makes to the state goes through one
//! task that applies the queued changes, writes the state once, atomically, and only then
//! acknowledges them (group commit). An intent is acknowledged only once it is on disk,
//! so a delete is never sent before its `pending` entry is durable, and a result is
//! reported only once it is recorded.

use std::path::PathBuf;

use tokio::sync::{mpsc, oneshot};

use crate::Address;
use crate::state::{ApplyingPlan, Deposed, PendingOp, Resource, State};

/// One change to the recorded state.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// Journal an intent before its request is sent.
    Pending(PendingOp),
    /// The delete is confirmed: drop the resource and its pending entry.
    Deleted { address: Address },
    /// The operation certainly had no effect (a terminal refusal): drop its pending entry.
    Abandoned { address: Address },
    /// A create or update is confirmed: record the resource and drop its pending entry.
    Written {
        address: Address,
        resource: Resource,
    },
    /// A replace's new server is confirmed: in one write, record it, keep the old one as
    /// `deposed` and journal the old one's delete in place of the create.
    Replaced {
        address: Address,
        resource: Box<Resource>,
        deposed: Deposed,
        delete: Box<PendingOp>,
    },
    /// A replace's old server is confirmed deleted: drop `deposed` and its pending entry.
    DeposedDeleted { address: Address },
    /// Record an adopted resource.
    Adopted {
        address: Address,
        resource: Resource,
    },
    /// A move: the resource recorded at `from` is recorded at `to`, as `resource`.
    Moved {
        from: Address,
        to: Address,
        resource: Resource,
    },
    /// Drop a resource that is gone from the cloud.
    Forgotten { address: Address },
    /// Record the attributes the cloud answers for servers changed outside vpnform:
    /// `(address, id, attributes)`; a resource no longer recorded under that id is left
    /// alone. One change for them all, so one write.
    Refreshed(Vec<(Address, String, std::collections::BTreeMap<String, String>)>),
    /// Every action of the plan is done: the state no longer belongs to its progress,
    /// so the same saved plan is stale from now on.
    Finished,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum JournalError {
    #[error("cannot write the state file in {dir}: {message}")]
    Write { dir: PathBuf, message: String },
    #[error("an earlier write of the state failed, so nothing more is recorded in this run: {0}")]
    Halted(String),
    #[error("the state writer stopped")]
    Stopped,
}

type Ack = oneshot::Sender<Result<(), JournalError>>;

/// A handle to the run's state writer.
pub(crate) struct Journal {
    tx: mpsc::UnboundedSender<(Change, Ack)>,
    task: tokio::task::JoinHandle<(State, JournalStats)>,
}

/// What the writer did in a run, for benchmarks and `-v` summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalStats {
    /// Durable writes of the state.
    pub writes: u64,
    /// Changes recorded (each acknowledged by one of those writes, or a no-op).
    pub changes: u64,
    /// Time spent writing (serializing and the atomic replace), in total.
    pub writing: std::time::Duration,
    /// The longest single write.
    pub longest: std::time::Duration,
}

/// Writes `state` to `dir`. The state module owns the format and the atomic write.
pub(crate) type WriteFn = dyn Fn(&std::path::Path, &State) -> Result<(), String> + Send + Sync;

impl Journal {
    /// Starts the writer over `state` (already read under the lock). When `applying` is
    /// given it is stamped into the first write, so an interrupted saved plan can resume.
    pub(crate) fn start(
        dir: PathBuf,
        state: State,
        applying: Option<ApplyingPlan>,
        write: std::sync::Arc<WriteFn>,
    ) -> Journal {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(writer(dir, state, applying, rx, write));
        Journal { tx, task }
    }

    /// Records `change`; returns once it is durable on disk.
    pub(crate) async fn record(&self, change: Change) -> Result<(), JournalError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send((change, ack))
            .map_err(|_| JournalError::Stopped)?;
        done.await.map_err(|_| JournalError::Stopped)?
    }

    /// Stops the writer and returns the final state and what the writer did.
    pub(crate) async fn finish_with_stats(self) -> (State, JournalStats) {
        drop(self.tx);
        self.task.await.expect("the state writer does not panic")
    }
}

async fn writer(
    dir: PathBuf,
    mut state: State,
    mut applying: Option<ApplyingPlan>,
    mut rx: mpsc::UnboundedReceiver<(Change, Ack)>,
    write: std::sync::Arc<WriteFn>,
) -> (State, JournalStats) {
    let mut stats = JournalStats::default();
    let mut halted: Option<String> = None;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(next) = rx.try_recv() {
            batch.push(next);
        }
        if let Some(reason) = &halted {
            for (_, ack) in batch {
                let _ = ack.send(Err(JournalError::Halted(reason.clone())));
            }
            continue;
        }
        stats.changes += batch.len() as u64;
        let mut changed = false;
        if let Some(stamp) = applying.take()
            && state.applying.as_ref() != Some(&stamp)
        {
            state.applying = Some(stamp);
            changed = true;
        }
        for (change, _) in &batch {
            changed |= apply_change(&mut state, change);
        }
        let result = if changed && state.serial == u64::MAX {
            // A serial never wraps to 0: stale-plan detection depends on it only rising.
            let path = crate::state::state_path(&dir);
            let refused = crate::state::next_serial(&path, state.serial).unwrap_err();
            Err(JournalError::Write {
                dir: dir.clone(),
                message: refused.to_string(),
            })
        } else if changed {
            state.serial += 1;
            let snapshot = state.clone();
            let dir2 = dir.clone();
            let write = write.clone();
            let began = std::time::Instant::now();
            let written = tokio::task::spawn_blocking(move || write(&dir2, &snapshot)).await;
            let took = began.elapsed();
            stats.writes += 1;
            stats.writing += took;
            stats.longest = stats.longest.max(took);
            match written {
                Ok(Ok(())) => Ok(()),
                Ok(Err(message)) => Err(JournalError::Write {
                    dir: dir.clone(),
                    message,
                }),
                Err(join) => Err(JournalError::Write {
                    dir: dir.clone(),
                    message: join.to_string(),
                }),
            }
        } else {
            Ok(())
        };
        if let Err(err) = &result {
            // The file on disk is now behind the memory: record nothing more, so the
            // next run starts from what is durable and resolves `pending` from the cloud.
            halted = Some(err.to_string());
        }
        for (_, ack) in batch {
            let _ = ack.send(result.clone());
        }
    }
    (state, stats)
}

/// Applies one change; returns whether the state changed.
fn apply_change(state: &mut State, change: &Change) -> bool {
    match change {
        Change::Pending(op) => {
            if state.pending.iter().any(|p| p == op) {
                return false;
            }
            state.pending.retain(|p| p.address != op.address);
            // A plain create (not a replace's half, whose token names it) at an address
            // that records a server is the create again of a server gone from the cloud:
            // the record goes in the write that journals the create.
            let plain_create = op.action == "create"
                && op.client_token
                    == crate::plan::client_token(
                        &state.lineage,
                        &op.plan_hash,
                        &op.address,
                        "create",
                    );
            if plain_create
                && state
                    .resources
                    .get(&op.address)
                    .is_some_and(|r| r.deposed.is_none())
            {
                state.resources.remove(&op.address);
            }
            state.pending.push(op.clone());
            state.pending.sort_by(|a, b| a.address.cmp(&b.address));
            true
        }
        Change::Deleted { address } => {
            let removed = state.resources.remove(address).is_some();
            remove_pending(state, address) || removed
        }
        Change::Abandoned { address } => remove_pending(state, address),
        Change::Adopted { address, resource } => {
            let old = state.resources.insert(address.clone(), resource.clone());
            old.as_ref() != Some(resource)
        }
        Change::Written { address, resource } => {
            let old = state.resources.insert(address.clone(), resource.clone());
            remove_pending(state, address) || old.as_ref() != Some(resource)
        }
        Change::Replaced {
            address,
            resource,
            deposed,
            delete,
        } => {
            let mut resource = (**resource).clone();
            resource.deposed = Some(deposed.clone());
            state.resources.insert(address.clone(), resource);
            remove_pending(state, address);
            state.pending.push((**delete).clone());
            state.pending.sort_by(|a, b| a.address.cmp(&b.address));
            true
        }
        Change::DeposedDeleted { address } => {
            let dropped = state
                .resources
                .get_mut(address)
                .is_some_and(|r| r.deposed.take().is_some());
            remove_pending(state, address) || dropped
        }
        Change::Moved { from, to, resource } => {
            let moved = state.resources.remove(from).is_some();
            let old = state.resources.insert(to.clone(), resource.clone());
            moved || old.as_ref() != Some(resource)
        }
        Change::Forgotten { address } => {
            let removed = state.resources.remove(address).is_some();
            remove_pending(state, address) || removed
        }
        Change::Refreshed(list) => {
            let mut changed = false;
            for (address, id, attributes) in list {
                if let Some(resource) = state.resources.get_mut(address)
                    && resource.id == *id
                    && resource.attributes != *attributes
                {
                    resource.attributes = attributes.clone();
                    changed = true;
                }
            }
            changed
        }
        Change::Finished => state.applying.take().is_some(),
    }
}

/// A `pending` entry that contradicts the state or the desired file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEntry {
    /// The entry's position in `pending` (1-based, as a reader counts).
    pub number: usize,
    pub address: Address,
    /// The entry's field that contradicts (`address`, `action`, `id`, ...).
    pub field: &'static str,
    pub problem: String,
}

/// The journal holds entries vpnform did not write: refused before anything is acted on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the state file {} is corrupt: its `pending` journal has {} that vpnform would not \
     have written, so nothing was applied:\n{}\n{JOURNALED} Restore the state from git \
     (`git log -p -- {}`), or remove the entries from `pending` if you know no such \
     operation was sent",
    path.display(),
    if entries.len() == 1 { "an entry".to_string() } else { format!("{} entries", entries.len()) },
    render_entries(entries),
    path.display()
)]
pub(crate) struct CorruptJournal {
    pub path: PathBuf,
    pub entries: Vec<BadEntry>,
}

/// The lines of a corrupt-journal message, one per bad entry.
pub(crate) fn render_entries(entries: &[BadEntry]) -> String {
    entries
        .iter()
        .map(|e| match e.number {
            0 => format!("  {} {}: {}", e.address, e.field, e.problem),
            n => format!(
                "  pending entry {n} ({}): {}: {}",
                e.address, e.field, e.problem
            ),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What vpnform journals, for the corrupt-journal messages (one text for every backend).
pub const JOURNALED: &str = "vpnform journals, with the ClientToken this state's lineage \
     gives its plan: deletes of recorded, unprotected servers (and of a replace's old \
     server), creates on a gateway no recorded server is on, and \
     updates of recorded servers, each create and update with what it sent.";

/// Checks every `pending` entry of `state` against the state itself and the desired
/// file before any is planned or acted on: an entry's resolution re-sends its operation
/// with its own id, region, gateway, token and `sent` values, so one planted by hand
/// would otherwise delete whatever it names, record a server it did not make, or read a
/// secret from wherever it points.
///
/// A legitimate entry carries the token this state's lineage gives its plan hash,
/// address and operation, and is one of: a delete of a recorded resource not protected
/// in the state (with the resource's id, region and gateway), or of the address's
/// `deposed` server (a replace's old one, recorded under no other address); a create at
/// an address nothing records, or a replace's create (the address records the old one:
/// an IPsec server's on another gateway), an IPsec server's on a gateway that no recorded
/// server is on; an update of a recorded resource. A create or update records what it sent, and a secret source there
/// is one the desired file or the recorded resource names.
pub(crate) fn check_pending(
    state: &State,
    desired: &crate::config::Desired,
    path: &std::path::Path,
) -> Result<(), CorruptJournal> {
    use crate::plan::{REPLACE_CREATE, REPLACE_DELETE, client_token, legacy_client_token};
    let mut entries = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    // Ids the desired file names: a journaled delete never deletes one.
    let desired_ids: std::collections::BTreeMap<&str, &Address> = desired
        .servers
        .iter()
        .filter_map(|(address, s)| Some((s.id.as_deref()?, address)))
        .collect();
    for (i, p) in state.pending.iter().enumerate() {
        let mut bad = |field: &'static str, problem: String| {
            entries.push(BadEntry {
                number: i + 1,
                address: p.address.clone(),
                field,
                problem,
            })
        };
        if !seen.insert(p.address.as_str()) {
            bad("address", "a second entry for the same address".into());
            continue;
        }
        if !matches!(p.action.as_str(), "create" | "update" | "delete") {
            bad(
                "action",
                format!("`{}` is not an operation vpnform journals", p.action),
            );
            continue;
        }
        let recorded = state.resources.get(&p.address);
        let deposed = recorded
            .and_then(|r| r.deposed.as_ref())
            .filter(|d| p.action == "delete" && p.id.as_deref() == Some(d.id.as_str()));
        // The operation the token names.
        let operation = match (p.action.as_str(), recorded) {
            ("delete", _) if deposed.is_some() => REPLACE_DELETE,
            ("create", Some(_)) => REPLACE_CREATE,
            (action, _) => action,
        };
        let token = client_token(&state.lineage, &p.plan_hash, &p.address, operation);
        if p.client_token != token {
            let legacy = [p.action.as_str(), "create", "delete"]
                .iter()
                .any(|a| p.client_token == legacy_client_token(&p.plan_hash, &p.address, a));
            if legacy {
                bad(
                    "client_token",
                    format!(
                        "{} is a token of an earlier vpnform (without the state's lineage): \
                         finish that run with the vpnform version that started it, then \
                         upgrade",
                        p.client_token
                    ),
                );
            } else {
                bad(
                    "client_token",
                    format!(
                        "{} is not the {operation} token this state's lineage gives plan {} \
                         for this address ({token})",
                        p.client_token, p.plan_hash
                    ),
                );
            }
        }
        if matches!(p.action.as_str(), "create" | "update") {
            match &p.sent {
                None => bad(
                    "sent",
                    format!(
                        "a journaled {} records no `sent` values, so it cannot be re-sent as it \
                         was: an earlier vpnform wrote it; finish that run with the vpnform \
                         version that started it",
                        p.action
                    ),
                ),
                Some(sent) => {
                    if let Some(source) = &sent.psk {
                        let named = desired
                            .servers
                            .get(&p.address)
                            .and_then(|s| s.psk.as_ref())
                            .map(crate::state::PskRecord::of);
                        let recorded_source = recorded.and_then(|r| r.psk.as_ref());
                        // An address neither desired nor recorded (a create whose entry
                        // left the desired file) has no source to compare with: its own is
                        // confined below and shown in the plan that re-sends it.
                        let known = recorded.is_some() || desired.servers.contains_key(&p.address);
                        if known
                            && named.as_ref() != Some(source)
                            && recorded_source != Some(source)
                        {
                            bad(
                                "sent",
                                format!(
                                    "its pre-shared key source ({source}) is neither the one the \
                                     desired file names for this address nor the recorded one"
                                ),
                            );
                        } else {
                            // Confined as the desired file's own sources are.
                            let dir = desired.path.parent().unwrap_or(std::path::Path::new("."));
                            if let Err(e) =
                                crate::config::psk::check_source(&source.source(dir), dir)
                            {
                                bad("sent", e.to_string());
                            }
                        }
                    }
                    if p.action == "create" && sent.values.is_empty() {
                        bad("sent", "a journaled create that sent no values".into());
                    }
                }
            }
        }
        if p.action == "create" {
            if p.id.is_some() {
                bad(
                    "id",
                    "a create is journaled before the cloud gives an id".into(),
                );
            }
            // A replace's create: the address records the old one (an IPsec server's on
            // another gateway; a gateway holds one).
            let one_per_gateway = p.address.kind() == crate::address::Kind::IpsecServer;
            if let Some(r) = recorded
                && (r.deposed.is_some()
                    || (one_per_gateway && r.vpn_gateway == p.vpn_gateway && r.region == p.region))
            {
                bad(
                    "address",
                    "a create at an address the state already records".into(),
                );
            }
            // Resolving an IPsec server's create lists its gateway and records the server
            // there that answers the re-sent call: only a gateway no recorded server is on
            // may be created on. Every other kind's create is resolved by the answer to
            // its token alone, and a gateway or a region holds many of them.
            if let Some((other, _)) = state.resources.iter().find(|(address, r)| {
                one_per_gateway
                    && address.kind() == crate::address::Kind::IpsecServer
                    && ((r.region == p.region && r.vpn_gateway == p.vpn_gateway)
                        || r.deposed.as_ref().is_some_and(|d| {
                            d.region == p.region && d.vpn_gateway == p.vpn_gateway
                        }))
            }) {
                bad(
                    "vpn_gateway",
                    format!(
                        "{} holds the server recorded as {other}; a create is journaled \
                         only for a gateway without one",
                        p.vpn_gateway
                    ),
                );
            }
            continue;
        }
        let Some(resource) = recorded else {
            bad(
                "address",
                "the state records no resource at this address".into(),
            );
            continue;
        };
        let id = p.id.as_deref().unwrap_or_default();
        if let Some(d) = deposed {
            for (field, entry, was) in [
                ("region", p.region.as_str(), d.region.as_str()),
                (
                    "vpn_gateway",
                    p.vpn_gateway.as_str(),
                    d.vpn_gateway.as_str(),
                ),
            ] {
                if entry != was {
                    bad(
                        field,
                        format!("{entry} differs from the deposed {field} {was}"),
                    );
                }
            }
            // A deposed server is recorded nowhere else and named by no desired entry.
            if let Some((other, _)) = state.resources.iter().find(|(_, r)| r.id == d.id) {
                bad(
                    "id",
                    format!("the deposed {} is the server recorded as {other}", d.id),
                );
            }
            if let Some(other) = desired_ids.get(d.id.as_str()) {
                bad(
                    "id",
                    format!(
                        "the deposed {} is the server the desired file names as {other}",
                        d.id
                    ),
                );
            }
            continue;
        }
        for (field, entry, was) in [
            ("id", id, resource.id.as_str()),
            ("region", p.region.as_str(), resource.region.as_str()),
            (
                "vpn_gateway",
                p.vpn_gateway.as_str(),
                resource.vpn_gateway.as_str(),
            ),
        ] {
            if entry != was {
                bad(
                    field,
                    format!("{entry} differs from the recorded {field} {was}"),
                );
            }
        }
        if p.action == "update" {
            continue;
        }
        if resource.protect {
            bad(
                "address",
                "a delete of a protected server (`protect: true` in the state)".into(),
            );
        }
        // Still (or again) desired: the plan resolves the delete it journaled, and the
        // next plan creates the server anew; a desired `protect` refuses it there.
    }
    // A deposed server without its journaled delete: nothing would ever delete it.
    for (address, r) in &state.resources {
        if let Some(d) = &r.deposed
            && !state
                .pending
                .iter()
                .any(|p| p.address == *address && p.id.as_deref() == Some(d.id.as_str()))
        {
            entries.push(BadEntry {
                number: 0,
                address: address.clone(),
                field: "deposed",
                problem: format!(
                    "the deposed {} has no journaled delete; vpnform writes the two together",
                    d.id
                ),
            });
        }
    }
    if entries.is_empty() {
        Ok(())
    } else {
        Err(CorruptJournal {
            path: path.to_owned(),
            entries,
        })
    }
}

fn remove_pending(state: &mut State, address: &str) -> bool {
    let before = state.pending.len();
    state.pending.retain(|p| p.address != address);
    state.pending.len() != before
}

#[cfg(test)]
mod tests;
