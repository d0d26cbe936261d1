//! The recorded state: `state/vpnform.state.yaml`, what vpnform manages. Reading,
//! deterministic atomic writing, the lock file and the `pending` intent journal.
//!
//! Last stop on the data's path: desired YAML -> config -> plan -> apply -> **state**.
//!
//! - [`read`] / [`write`] / [`write_if_changed`]: the file (`file.rs`). Every read is
//!   validated; a file that does not validate is an error naming file:line:column and is
//!   never overwritten.
//! - [`Lock`]: the lock file `.vpnform.lock` beside it (`lock.rs`); writers hold it
//!   exclusively, `plan` shares it ([`ReadLock`]) without needing write access.
//! - [`ops`]: the `vpnform state list|show|rm|unprotect` operations.
//! - [`Backend`]: the state behind one interface (read, write with a serial check,
//!   lock), implemented by the file ([`Local`]) and by PostgreSQL ([`postgres`]).

pub mod backend;
mod error;
mod file;
mod lock;
mod model;
pub mod ops;
pub mod postgres;

pub use backend::{Backend, Held, Local};
pub use error::StateError;
pub use file::{
    HEADER, check_write_target, next_serial, parse, read, read_file, state_path, to_yaml, write,
    write_if_changed,
};
pub use lock::{
    Lock, LockHolder, LockStatus, ReadLock, force_unlock, host_name, lock_path, lock_status,
    read_holder,
};
pub use model::{ApplyingPlan, PendingOp, Resource, STATE_VERSION, State};

/// The state file's name in the state directory.
pub const STATE_FILE: &str = "vpnform.state.yaml";
/// The lock file's name in the state directory.
pub const LOCK_FILE: &str = ".vpnform.lock";
/// Where `state rm` keeps the state it replaced.
pub const BACKUP_FILE: &str = "vpnform.state.yaml.backup";
/// The `.gitignore` vpnform writes into a state directory it creates: the lock and the
/// backup are local files (the repository's own `state/.gitignore` is this text).
pub const GITIGNORE: &str = include_str!("../../state/.gitignore");
