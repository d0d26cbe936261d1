//! Where the recorded state lives, behind one interface: read it, write it (a write
//! that checks the serial it started from), and lock it for a run. The journal of an
//! apply writes through the same [`Backend::write`].
//!
//! - [`Local`]: `state/vpnform.state.yaml` and the lock file beside it (the default,
//!   exactly the behaviour of [`super::read`], [`super::write`] and [`super::Lock`]).
//! - [`super::postgres::Postgres`]: one PostgreSQL schema, chosen by
//!   `backend: { postgres: { schema: NAME } }` in the desired file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::StateError;
use super::lock::{Lock, LockHolder};
use super::model::State;

/// A held state lock; dropping it releases the lock.
pub type Held = Box<dyn Send + Sync>;

/// One recorded state and its lock.
pub trait Backend: Send + Sync {
    /// How messages name the state: the state file's path, or `postgres schema NAME`.
    fn name(&self) -> String;

    /// The recorded state; `None` when nothing was ever recorded.
    fn read(&self) -> Result<Option<State>, StateError>;

    /// Replaces the recorded state with `state`. The postgres backend refuses when the
    /// stored serial is not the one this backend last read or wrote (another writer went
    /// first) or its lock was lost.
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

    /// The local state directory, for the file backend's own messages and files.
    fn local_dir(&self) -> Option<&Path>;
}

/// The local file backend: a state directory.
#[derive(Debug, Clone)]
pub struct Local {
    pub dir: PathBuf,
}

impl Backend for Local {
    fn name(&self) -> String {
        super::state_path(&self.dir).display().to_string()
    }

    fn read(&self) -> Result<Option<State>, StateError> {
        super::read(&self.dir)
    }

    fn write(&self, state: &State) -> Result<(), StateError> {
        super::write(&self.dir, state)
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

    fn local_dir(&self) -> Option<&Path> {
        Some(&self.dir)
    }
}
