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
pub enum Change {
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
pub struct Journal {
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
pub type WriteFn = dyn Fn(&std::path::Path, &State) -> Result<(), String> + Send + Sync;

impl Journal {
    /// Starts the writer over `state` (already read under the lock). When `applying` is
    /// given it is stamped into the first write, so an interrupted saved plan can resume.
    pub fn start(
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
    pub async fn record(&self, change: Change) -> Result<(), JournalError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send((change, ack))
            .map_err(|_| JournalError::Stopped)?;
        done.await.map_err(|_| JournalError::Stopped)?
    }

    /// Stops the writer and returns the final state and what the writer did.
    pub async fn finish_with_stats(self) -> (State, JournalStats) {
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
pub struct CorruptJournal {
    pub path: PathBuf,
    pub entries: Vec<BadEntry>,
}

/// The lines of a corrupt-journal message, one per bad entry.
pub fn render_entries(entries: &[BadEntry]) -> String {
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
/// an address nothing records, or a replace's create (the address records the old server
/// on another gateway), on a gateway that no recorded server is on; an update of a
/// recorded server. A create or update records what it sent, and a secret source there
/// is one the desired file or the recorded resource names.
pub fn check_pending(
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
            // A replace's create: the address records the old server, on another gateway.
            if let Some(r) = recorded
                && (r.deposed.is_some() || (r.vpn_gateway == p.vpn_gateway && r.region == p.region))
            {
                bad(
                    "address",
                    "a create at an address the state already records".into(),
                );
            }
            // Resolving a create records what the cloud answers the re-sent call: only a
            // gateway no recorded server is on may be created on.
            if let Some((other, _)) = state.resources.iter().find(|(_, r)| {
                (r.region == p.region && r.vpn_gateway == p.vpn_gateway)
                    || r.deposed
                        .as_ref()
                        .is_some_and(|d| d.region == p.region && d.vpn_gateway == p.vpn_gateway)
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
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn state() -> State {
        let mut s = State {
            version: 1,
            lineage: "4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a".into(),
            serial: 3,
            applying: None,
            resources: Default::default(),
            pending: vec![],
        };
        s.resources.insert(
            "ipsec_server.a".into(),
            Resource {
                id: "iss-a".into(),
                region: "cn-hangzhou".into(),
                vpn_gateway: "vpn-a".into(),
                depends_on: vec![],
                protect: false,
                psk: None,
                attributes: Default::default(),
                deposed: None,
            },
        );
        s
    }

    fn op() -> PendingOp {
        PendingOp {
            address: "ipsec_server.a".into(),
            action: "delete".into(),
            id: Some("iss-a".into()),
            region: "cn-hangzhou".into(),
            vpn_gateway: "vpn-a".into(),
            client_token: "vpnform-0123".into(),
            plan_hash: "abc".into(),
            started_at: "2026-11-28T00:00:00Z".into(),
            sent: None,
        }
    }

    #[tokio::test]
    async fn every_acknowledged_change_is_on_disk_and_bumps_the_serial() {
        let written: Arc<Mutex<Vec<State>>> = Arc::default();
        let w = written.clone();
        let journal = Journal::start(
            "unused".into(),
            state(),
            None,
            Arc::new(move |_, s: &State| {
                w.lock().unwrap().push(s.clone());
                Ok(())
            }),
        );
        journal.record(Change::Pending(op())).await.unwrap();
        {
            let w = written.lock().unwrap();
            assert_eq!(w.last().unwrap().pending, vec![op()]);
            assert_eq!(w.last().unwrap().serial, 4);
        }
        // Journaling the same intent again changes nothing and writes nothing.
        journal.record(Change::Pending(op())).await.unwrap();
        assert_eq!(written.lock().unwrap().len(), 1);
        journal
            .record(Change::Deleted {
                address: "ipsec_server.a".into(),
            })
            .await
            .unwrap();
        let (last, _) = journal.finish_with_stats().await;
        assert!(last.resources.is_empty() && last.pending.is_empty());
        assert_eq!(last.serial, 5);
        assert_eq!(written.lock().unwrap().last().unwrap(), &last);
    }

    /// Regression (#10.6): the serial wrapped to 0. A run that starts one below the
    /// largest serial writes it once, then refuses the next write instead of wrapping.
    #[tokio::test]
    async fn the_serial_never_wraps_mid_run() {
        let written: Arc<Mutex<Vec<u64>>> = Arc::default();
        let w = written.clone();
        let mut start = state();
        start.serial = u64::MAX - 1;
        let journal = Journal::start(
            "state".into(),
            start,
            None,
            Arc::new(move |_, s: &State| {
                w.lock().unwrap().push(s.serial);
                Ok(())
            }),
        );
        journal.record(Change::Pending(op())).await.unwrap();
        let err = journal
            .record(Change::Deleted {
                address: "ipsec_server.a".into(),
            })
            .await
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "cannot write the state file in state: refusing to write state/vpnform.state.yaml: \
                 its serial 18446744073709551615 is the largest a state can hold"
            ),
            "{err}"
        );
        assert_eq!(*written.lock().unwrap(), vec![u64::MAX]);
    }

    const LINEAGE: &str = "4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a";

    fn token(address: &str, operation: &str) -> String {
        crate::plan::client_token(LINEAGE, "abc", address, operation)
    }

    /// A desired file naming `addresses` (servers to create: no id).
    fn desired(addresses: &[&str]) -> crate::config::Desired {
        crate::config::Desired {
            path: "vpnform.yaml".into(),
            sha256: "0".repeat(64),
            servers: addresses
                .iter()
                .map(|a| {
                    (
                        Address::from(*a),
                        crate::config::DesiredServer {
                            address: Address::from(*a),
                            id: None,
                            vpn_gateway: "vpn-b".into(),
                            region: "cn-hangzhou".into(),
                            depends_on: Vec::new(),
                            protect: false,
                            attributes: Default::default(),
                            psk: None,
                        },
                    )
                })
                .collect(),
            default_region: None,
        }
    }

    fn check(s: &State, d: &crate::config::Desired) -> Result<(), CorruptJournal> {
        check_pending(s, d, std::path::Path::new("state/vpnform.state.yaml"))
    }

    fn sent(values: &[(&str, &str)]) -> Option<crate::state::SentCreate> {
        Some(crate::state::SentCreate {
            values: values
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            psk: None,
        })
    }

    #[test]
    fn a_journaled_delete_of_a_recorded_undesired_server_is_legitimate() {
        // The crash-resume case: the intent is durable, its result is not yet.
        let mut s = state();
        s.pending.push(PendingOp {
            client_token: token("ipsec_server.a", "delete"),
            ..op()
        });
        assert_eq!(check(&s, &desired(&[])), Ok(()));
        // Added back to the desired file since: the plan resolves the delete first.
        assert_eq!(check(&s, &desired(&["ipsec_server.a"])), Ok(()));
        // Protected in the state: never a delete vpnform journals.
        s.resources.get_mut("ipsec_server.a").unwrap().protect = true;
        let err = check(&s, &desired(&[])).unwrap_err();
        assert_eq!(err.entries.len(), 1);
        assert_eq!(err.entries[0].field, "address");
        s.resources.get_mut("ipsec_server.a").unwrap().protect = false;
        // Another action word is not something vpnform journals.
        s.pending[0].action = "rename".into();
        let err = check(&s, &desired(&[])).unwrap_err();
        assert_eq!(err.entries[0].field, "action");
        // An update, with what it sent, of a recorded server, desired or no longer.
        s.pending[0].action = "update".into();
        s.pending[0].client_token = token("ipsec_server.a", "update");
        s.pending[0].sent = sent(&[("name", "a2")]);
        assert_eq!(check(&s, &desired(&["ipsec_server.a"])), Ok(()));
        assert_eq!(check(&s, &desired(&[])), Ok(()));
        // Without `sent` (an earlier vpnform's entry) it cannot be re-sent as it was.
        s.pending[0].sent = None;
        let err = check(&s, &desired(&[])).unwrap_err();
        assert_eq!(err.entries[0].field, "sent");
    }

    #[test]
    fn regression_a_token_of_another_lineage_or_the_old_formula_is_refused() {
        let mut s = state();
        s.pending.push(PendingOp {
            client_token: crate::plan::client_token(
                "another-lineage",
                "abc",
                "ipsec_server.a",
                "delete",
            ),
            ..op()
        });
        let err = check(&s, &desired(&[])).unwrap_err();
        assert_eq!(
            err.entries[0].problem,
            format!(
                "{} is not the delete token this state's lineage gives plan abc for this \
                 address ({})",
                s.pending[0].client_token,
                token("ipsec_server.a", "delete")
            )
        );
        s.pending[0].client_token =
            crate::plan::legacy_client_token("abc", "ipsec_server.a", "delete");
        let err = check(&s, &desired(&[])).unwrap_err();
        assert!(
            err.entries[0].problem.ends_with(
                "finish that run with the vpnform version that started it, then upgrade"
            ),
            "{}",
            err.entries[0].problem
        );
    }

    #[test]
    fn a_journaled_create_is_for_an_address_nothing_records_on_a_free_gateway() {
        let mut s = state();
        s.pending.push(PendingOp {
            address: "ipsec_server.b".into(),
            action: "create".into(),
            id: None,
            vpn_gateway: "vpn-b".into(),
            client_token: token("ipsec_server.b", "create"),
            sent: sent(&[("client_ip_pool", "10.8.0.0/16")]),
            ..op()
        });
        assert_eq!(check(&s, &desired(&["ipsec_server.b"])), Ok(()));
        // Its entry removed from the desired file since, it is resolved from the cloud
        // (issue #12 item 3), not refused.
        assert_eq!(check(&s, &desired(&[])), Ok(()));
        // A token that is not the create token of its plan hash for its address.
        s.pending[0].client_token = "vpnform-0123".into();
        let err = check(&s, &desired(&["ipsec_server.b"])).unwrap_err();
        assert_eq!(err.entries[0].field, "client_token");
        // A create at an address the state records already, on its own gateway: not one
        // vpnform wrote.
        s.pending[0].address = "ipsec_server.a".into();
        s.pending[0].vpn_gateway = "vpn-a".into();
        s.pending[0].client_token = token("ipsec_server.a", crate::plan::REPLACE_CREATE);
        let err = check(&s, &desired(&["ipsec_server.a"])).unwrap_err();
        assert_eq!(
            err.entries[0].problem,
            "a create at an address the state already records"
        );
        assert_eq!(
            err.entries[1].problem,
            "vpn-a holds the server recorded as ipsec_server.a; a create is journaled only \
             for a gateway without one"
        );
        // On another, free gateway it is the new server of a replace in progress.
        s.pending[0].vpn_gateway = "vpn-b".into();
        assert_eq!(check(&s, &desired(&["ipsec_server.a"])), Ok(()));
    }

    #[test]
    fn regression_a_journaled_secret_source_must_be_the_desired_or_the_recorded_one() {
        let source = |name: &str| crate::state::PskRecord::Env(name.into());
        let mut s = state();
        let mut with_psk = sent(&[("client_ip_pool", "10.8.0.0/16")]).unwrap();
        with_psk.psk = Some(source("GITHUB_TOKEN"));
        s.pending.push(PendingOp {
            address: "ipsec_server.b".into(),
            action: "create".into(),
            id: None,
            vpn_gateway: "vpn-b".into(),
            client_token: token("ipsec_server.b", "create"),
            sent: Some(with_psk),
            ..op()
        });
        let err = check(&s, &desired(&["ipsec_server.b"])).unwrap_err();
        assert_eq!(
            err.entries[0].problem,
            "its pre-shared key source (env GITHUB_TOKEN) is neither the one the desired file \
             names for this address nor the recorded one"
        );
        let named = |name: &str| {
            let mut d = desired(&["ipsec_server.b"]);
            d.servers.get_mut("ipsec_server.b").unwrap().psk =
                Some(crate::config::attributes::PskSource::Env(name.into()));
            d
        };
        assert_eq!(check(&s, &named("GITHUB_TOKEN")), Ok(()));
        // Named by both, a credential variable is still refused: sources are confined.
        s.pending[0].sent.as_mut().unwrap().psk = Some(source("ALIBABA_CLOUD_ACCESS_KEY_SECRET"));
        let err = check(&s, &named("ALIBABA_CLOUD_ACCESS_KEY_SECRET")).unwrap_err();
        assert_eq!(err.entries[0].field, "sent");
        assert!(
            err.entries[0]
                .problem
                .contains("one of vpnform's own credential variables"),
            "{}",
            err.entries[0].problem
        );
    }

    #[test]
    fn regression_a_deposed_server_recorded_elsewhere_or_without_its_delete_is_refused() {
        let mut s = state();
        let mut other = s.resources["ipsec_server.a"].clone();
        other.id = "iss-other".into();
        other.vpn_gateway = "vpn-other".into();
        other.protect = true;
        s.resources.insert("ipsec_server.other".into(), other);
        s.resources.get_mut("ipsec_server.a").unwrap().deposed = Some(Deposed {
            id: "iss-other".into(),
            vpn_gateway: "vpn-other".into(),
            region: "cn-hangzhou".into(),
        });
        let err = check(&s, &desired(&[])).unwrap_err();
        assert_eq!(
            err.entries[0].problem,
            "the deposed iss-other has no journaled delete; vpnform writes the two together"
        );
        s.pending.push(PendingOp {
            id: Some("iss-other".into()),
            vpn_gateway: "vpn-other".into(),
            client_token: token("ipsec_server.a", crate::plan::REPLACE_DELETE),
            ..op()
        });
        let err = check(&s, &desired(&[])).unwrap_err();
        assert_eq!(
            err.entries[0].problem,
            "the deposed iss-other is the server recorded as ipsec_server.other"
        );
        s.resources.remove("ipsec_server.other");
        assert_eq!(check(&s, &desired(&[])), Ok(()));
    }

    #[tokio::test]
    async fn a_failed_write_halts_the_journal() {
        let journal = Journal::start(
            "dir".into(),
            state(),
            None,
            Arc::new(|_, _: &State| Err("disk full".to_string())),
        );
        let err = journal.record(Change::Pending(op())).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot write the state file in dir: disk full"
        );
        let err = journal
            .record(Change::Abandoned {
                address: "ipsec_server.a".into(),
            })
            .await
            .unwrap_err();
        assert!(matches!(err, JournalError::Halted(_)), "{err}");
    }
}
