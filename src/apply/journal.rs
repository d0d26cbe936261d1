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
    /// A journaled update the plan no longer makes (the cloud holds its values): record
    /// the attributes the cloud lists and drop its pending entry.
    Refreshed {
        address: Address,
        attributes: std::collections::BTreeMap<String, String>,
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
        Change::Refreshed {
            address,
            attributes,
        } => {
            let changed = match state.resources.get_mut(address) {
                Some(resource) if resource.attributes != *attributes => {
                    resource.attributes = attributes.clone();
                    true
                }
                _ => false,
            };
            remove_pending(state, address) || changed
        }
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
     have written, so nothing was applied:\n{}\nvpnform journals deletes of recorded, \
     unprotected servers that are no longer desired, and creates and updates of desired ones. Restore the state from git (`git log \
     -p -- {}`), or remove the entries from `pending` if you know no such operation was sent",
    path.display(),
    if entries.len() == 1 { "an entry".to_string() } else { format!("{} entries", entries.len()) },
    entries.iter().map(|e| format!("  pending entry {} ({}): {}: {}", e.number, e.address, e.field, e.problem)).collect::<Vec<_>>().join("\n"),
    path.display()
)]
pub struct CorruptJournal {
    pub path: PathBuf,
    pub entries: Vec<BadEntry>,
}

/// Checks every `pending` entry of `state` against the state itself and the desired
/// addresses before any is acted on: an entry apply resolves is re-sent with its own id,
/// region, gateway and token, so one planted by hand would otherwise delete whatever it
/// names, protected or desired, or be reported done though nothing was called.
///
/// A legitimate entry is a delete journaled for a recorded, unprotected resource that is
/// not desired (the resource is dropped together with its entry), with the resource's id,
/// region and gateway.
pub fn check_pending(
    state: &State,
    desired: &std::collections::BTreeSet<Address>,
    path: &std::path::Path,
) -> Result<(), CorruptJournal> {
    let mut entries = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
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
        match p.action.as_str() {
            "delete" | "update" => {}
            "create" => {
                // A create is journaled for a desired address nothing records yet, or for
                // the new server of a replace (the address records the old one, on another
                // gateway); its resource and its entry are written together once it is
                // confirmed.
                match state.resources.get(&p.address) {
                    Some(r)
                        if r.deposed.is_none()
                            && desired.contains(&p.address)
                            && (r.vpn_gateway != p.vpn_gateway || r.region != p.region) => {}
                    Some(_) => bad(
                        "address",
                        "a create at an address the state already records".into(),
                    ),
                    None => {}
                }
                // A create whose entry left the desired file since is resolved from the
                // cloud like any other (apply records its server, then deletes it).
                // Resolving a create records the server its gateway holds: only a gateway
                // no recorded server is on may be read so.
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
                let token = crate::plan::client_token(
                    &p.plan_hash,
                    &p.address,
                    crate::plan::ActionKind::Create,
                );
                if p.client_token != token {
                    bad(
                        "client_token",
                        format!(
                            "{} is not the create token of plan {} for this address ({token})",
                            p.client_token, p.plan_hash
                        ),
                    );
                }
                continue;
            }
            other => {
                bad(
                    "action",
                    format!("`{other}` is not an operation vpnform journals"),
                );
                continue;
            }
        }
        let Some(resource) = state.resources.get(&p.address) else {
            bad(
                "address",
                "the state records no resource at this address".into(),
            );
            continue;
        };
        let id = p.id.as_deref().unwrap_or_default();
        // A replace's old server: its delete is journaled at the address that now
        // records the new one, with the deposed id, region and gateway.
        if p.action == "delete"
            && let Some(d) = &resource.deposed
        {
            for (field, entry, deposed) in [
                ("id", id, d.id.as_str()),
                ("region", p.region.as_str(), d.region.as_str()),
                (
                    "vpn_gateway",
                    p.vpn_gateway.as_str(),
                    d.vpn_gateway.as_str(),
                ),
            ] {
                if entry != deposed {
                    bad(
                        field,
                        format!("{entry} differs from the deposed {field} {deposed}"),
                    );
                }
            }
            continue;
        }
        for (field, entry, recorded) in [
            ("id", id, resource.id.as_str()),
            ("region", p.region.as_str(), resource.region.as_str()),
            (
                "vpn_gateway",
                p.vpn_gateway.as_str(),
                resource.vpn_gateway.as_str(),
            ),
        ] {
            if entry != recorded {
                bad(
                    field,
                    format!("{entry} differs from the recorded {field} {recorded}"),
                );
            }
        }
        if p.action == "update" {
            if !desired.contains(&p.address) {
                bad(
                    "address",
                    "an update of a server that is not in the desired file".into(),
                );
            }
            continue;
        }
        if resource.protect {
            bad(
                "address",
                "a delete of a protected server (`protect: true` in the state)".into(),
            );
        }
        if desired.contains(&p.address) {
            bad(
                "address",
                "a delete of a server that is still in the desired file".into(),
            );
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

    #[test]
    fn a_journaled_delete_of_a_recorded_undesired_server_is_legitimate() {
        // The crash-resume case: the intent is durable, its result is not yet.
        let mut s = state();
        s.pending.push(op());
        let path = std::path::Path::new("state/vpnform.state.yaml");
        assert_eq!(check_pending(&s, &Default::default(), path), Ok(()));
        let desired = std::collections::BTreeSet::from([Address::from("ipsec_server.a")]);
        let err = check_pending(&s, &desired, path).unwrap_err();
        assert_eq!(err.entries.len(), 1);
        assert_eq!(err.entries[0].field, "address");
        // Another action word is not something vpnform journals.
        s.pending[0].action = "rename".into();
        let err = check_pending(&s, &Default::default(), path).unwrap_err();
        assert_eq!(err.entries[0].field, "action");
        // An update is journaled for a recorded server that is still desired.
        s.pending[0].action = "update".into();
        assert_eq!(check_pending(&s, &desired, path), Ok(()));
        let err = check_pending(&s, &Default::default(), path).unwrap_err();
        assert_eq!(
            err.entries[0].problem,
            "an update of a server that is not in the desired file"
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
            client_token: crate::plan::client_token(
                "abc",
                "ipsec_server.b",
                crate::plan::ActionKind::Create,
            ),
            ..op()
        });
        let path = std::path::Path::new("state/vpnform.state.yaml");
        let desired = std::collections::BTreeSet::from([Address::from("ipsec_server.b")]);
        assert_eq!(check_pending(&s, &desired, path), Ok(()));
        // Its entry removed from the desired file since, it is resolved from the cloud
        // (issue #12 item 3), not refused.
        assert_eq!(check_pending(&s, &Default::default(), path), Ok(()));
        // A token that is not the create token of its plan hash for its address.
        s.pending[0].client_token = "vpnform-0123".into();
        let err = check_pending(&s, &desired, path).unwrap_err();
        assert_eq!(err.entries[0].field, "client_token");
        // A create at an address the state records already, on its own gateway: not one
        // vpnform wrote.
        s.pending[0].address = "ipsec_server.a".into();
        s.pending[0].vpn_gateway = "vpn-a".into();
        s.pending[0].client_token =
            crate::plan::client_token("abc", "ipsec_server.a", crate::plan::ActionKind::Create);
        let desired = std::collections::BTreeSet::from([Address::from("ipsec_server.a")]);
        let err = check_pending(&s, &desired, path).unwrap_err();
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
        assert_eq!(check_pending(&s, &desired, path), Ok(()));
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
