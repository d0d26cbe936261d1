//! Where the recorded state lives, behind one interface: read it, write it (a write
//! that checks the serial it started from), lock it for a run, and break a lock left
//! held. The journal of an apply and the hand edits of `vpnform state ...`
//! ([`super::ops`]) write through the same [`Backend::write`].
//!
//! - [`Local`]: `state/vpnform.state.yaml` and the lock file beside it (the default:
//!   [`super::read`], [`super::write`] and [`super::Lock`]).
//! - [`super::postgres::Postgres`]: one PostgreSQL schema, chosen by
//!   `backend: { postgres: { schema: NAME } }` in the desired file.
//!
//! `tests/it/conformance.rs` runs the same cases (edit, lock, stale write, crash, the
//! lock held for a whole run) on both.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use super::error::StateError;
use super::holder::LockHolder;
use super::location::Location;
use super::lock::{Lock, LockStatus};
use super::model::State;

/// The request rates a run learned (`ops::rates`), beside the local state file.
pub(crate) const RATES_FILE: &str = ".vpnform.rates";

/// A held state lock; dropping it releases the lock.
pub type Held = Box<dyn Send + Sync>;

/// One recorded state and its lock.
pub trait Backend: Send + Sync {
    /// Where the state lives: every message that names the state, its lock or its
    /// place derives from this.
    fn location(&self) -> Location;

    /// How messages name the state: the state file's path, or `postgres schema NAME`.
    fn name(&self) -> String {
        self.location().to_string()
    }

    /// The recorded state; `None` when nothing was ever recorded.
    fn read(&self) -> Result<Option<State>, StateError>;

    /// Replaces the recorded state with `state`. Refused, writing nothing, when the
    /// stored state is not the one this backend last read or wrote (another writer went
    /// first: this run's lock was lost or forced), or, on postgres, when its lock is lost.
    fn write(&self, state: &State) -> Result<(), StateError>;

    /// Refuses now what would refuse a write of `state`'s successor (a serial at its
    /// maximum, a link in place of the file), so that apply fails before any call.
    fn check_writable(&self, state: &State) -> Result<(), StateError>;

    /// Takes the writers' lock for `command`, waiting up to `timeout`; `on_wait` is
    /// called once with the holder when waiting starts.
    fn lock(
        &self,
        command: &str,
        timeout: Duration,
        on_wait: &mut dyn FnMut(Option<&LockHolder>),
    ) -> Result<Held, StateError>;

    /// Shares the lock for reading (plan). `None` where the backend's reads need none
    /// (postgres reads a snapshot in one transaction).
    fn lock_shared(
        &self,
        timeout: Duration,
        on_wait: &mut dyn FnMut(Option<&LockHolder>),
    ) -> Result<Option<Held>, StateError>;

    /// Keeps a copy of the recorded state (as last read) before a hand edit
    /// (`state rm`, `state mv`) replaces it. The local file copies its bytes to
    /// `vpnform.state.yaml.backup`; postgres keeps none (its `history` says who wrote
    /// each serial, and `state pull` makes a copy).
    fn backup(&self) -> Result<(), StateError> {
        Ok(())
    }

    /// The request rates earlier runs learned (`ops::rates`), as stored; `None`: none.
    /// A cache: an error is the reason it is ignored.
    fn read_rates(&self) -> Result<Option<Vec<u8>>, String> {
        Ok(None)
    }

    /// Stores the request rates this run learned (best effort: an error is only told).
    fn write_rates(&self, _text: &[u8]) -> Result<(), String> {
        Ok(())
    }

    /// Whether the writers' lock is held now, and by whom (`vpnform force-unlock`).
    fn lock_status(&self) -> Result<LockStatus, StateError>;

    /// Breaks the lock that [`Backend::lock_status`] found held: the local backend
    /// removes the lock file, postgres ends the holder's server session. `Ok(false)`:
    /// this backend may not (a postgres role without the right).
    fn force_unlock(&self, status: &LockStatus) -> Result<bool, StateError>;
}

/// The local file backend: a state directory.
#[derive(Debug)]
pub struct Local {
    dir: PathBuf,
    /// The lineage and serial this backend last read or wrote (`None`: no state file):
    /// what a write checks the file against.
    seen: Mutex<Option<(String, u64)>>,
}

impl Local {
    pub fn new(dir: impl Into<PathBuf>) -> Local {
        Local {
            dir: dir.into(),
            seen: Mutex::new(None),
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Option<(String, u64)>> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Backend for Local {
    fn location(&self) -> Location {
        Location::Dir(self.dir.clone())
    }

    fn read(&self) -> Result<Option<State>, StateError> {
        let state = super::read(&self.dir)?;
        *self.seen() = state.as_ref().map(|s| (s.lineage.clone(), s.serial));
        Ok(state)
    }

    fn write(&self, state: &State) -> Result<(), StateError> {
        let mut seen = self.seen();
        let from = seen.as_ref().map(|(l, n)| (l.as_str(), *n));
        super::write::write_from(&self.dir, state, from)?;
        *seen = Some((state.lineage.clone(), state.serial));
        Ok(())
    }

    /// `.vpnform.rates` beside the state file: a regular file of at most a few KiB,
    /// never read through a link.
    fn read_rates(&self) -> Result<Option<Vec<u8>>, String> {
        let path = self.dir.join(RATES_FILE);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "{} is a symbolic link, which vpnform does not follow there",
                    path.display()
                ));
            }
            Ok(_) => {}
        }
        crate::files::read(&path, crate::files::RATES)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    /// Written only beside a state directory that exists, never through a link.
    fn write_rates(&self, text: &[u8]) -> Result<(), String> {
        if !self.dir.is_dir() {
            return Ok(());
        }
        crate::files::check_dir_path(&self.dir, "state directory").map_err(|e| e.to_string())?;
        let path = self.dir.join(RATES_FILE);
        crate::files::write_atomic(&path, crate::files::RATES.what, text).map_err(|e| e.to_string())
    }

    fn check_writable(&self, state: &State) -> Result<(), StateError> {
        let path = super::state_path(&self.dir);
        super::next_serial(&path, state.serial)?;
        super::check_write_target(&path)
    }

    fn lock(
        &self,
        command: &str,
        timeout: Duration,
        on_wait: &mut dyn FnMut(Option<&LockHolder>),
    ) -> Result<Held, StateError> {
        Ok(Box::new(Lock::acquire_with(
            &self.dir, command, timeout, on_wait,
        )?))
    }

    fn lock_shared(
        &self,
        timeout: Duration,
        on_wait: &mut dyn FnMut(Option<&LockHolder>),
    ) -> Result<Option<Held>, StateError> {
        Ok(Lock::acquire_shared_with(&self.dir, timeout, on_wait)?.map(|l| Box::new(l) as Held))
    }

    fn backup(&self) -> Result<(), StateError> {
        let path = super::state_path(&self.dir);
        // The bytes of the state the edit started from: read again under the lock, and
        // refused if another writer replaced them since (its lock was forced).
        let (state, bytes) = super::read_file(&path)?;
        let found = Some((state.lineage.as_str(), state.serial));
        let seen = self.seen();
        let expected = seen.as_ref().map(|(l, n)| (l.as_str(), *n));
        if found != expected {
            return Err(StateError::Conflict {
                place: path.display().to_string(),
                expected: super::error::version_text(expected),
                found: super::error::version_text(found),
            });
        }
        let backup = self.dir.join(super::BACKUP_FILE);
        super::write::write_bytes(&self.dir, &backup, crate::files::BACKUP.what, &bytes)
    }

    fn lock_status(&self) -> Result<LockStatus, StateError> {
        super::lock_status(&self.dir)
    }

    fn force_unlock(&self, _status: &LockStatus) -> Result<bool, StateError> {
        super::force_unlock(&self.dir)?;
        Ok(true)
    }
}
