//! The recorded state: `state/vpnform.state.yaml`, what vpnform manages. Reading,
//! deterministic atomic writing, the lock file and the `pending` intent journal.
//!
//! Last stop on the data's path: desired YAML -> config -> plan -> apply -> **state**.
//!
//! - [`read`] / [`parse`]: reading the file (`read.rs`), then the checks serde cannot do
//!   (`validate.rs`); a file that does not validate is an error naming file:line:column
//!   and is never overwritten.
//! - [`to_yaml`]: the serializer, the exact bytes of the file (`yaml.rs`), and
//!   [`to_yaml_without`], the same bytes cut from a previous serialization.
//! - [`write`] / [`write_if_changed`]: the atomic write (`write.rs`), which skips reading
//!   back a file this process wrote itself (`written.rs`, a process-wide cache).
//! - [`Lock`]: the lock file `.vpnform.lock` beside it (`lock.rs`); writers hold it
//!   exclusively, `plan` shares it ([`ReadLock`]) without needing write access.
//! - [`ops`]: the `vpnform state show|rm|mv|unprotect|push` operations, written once
//!   over [`Backend`].
//! - [`Backend`]: the state behind one interface (read, write with a serial check,
//!   lock, force-unlock), implemented by the file ([`Local`]) and by PostgreSQL
//!   ([`postgres`]); its [`Location`] (a directory or a schema) is what messages name.
//! - [`LockHolder`] and the one wait for a lock both backends use (`holder.rs`).

pub(crate) mod backend;
mod error;
mod holder;
mod location;
mod lock;
mod model;
pub(crate) mod ops;
pub(crate) mod postgres;
mod read;
mod validate;
mod wait;
mod write;
mod written;
mod yaml;

pub(crate) use backend::RATES_FILE;
pub use backend::{Backend, Held, Local};
pub use error::StateError;
pub use holder::{LockHolder, host_name};
pub(crate) use location::Location;
pub use lock::{Lock, LockStatus, ReadLock, force_unlock, lock_path, lock_status, read_holder};
pub use model::{
    ApplyingPlan, Deposed, PendingOp, PskRecord, Resource, STATE_VERSION, SentCreate, State,
};
pub use postgres::Postgres;
pub use read::{parse, read, read_file};
pub use write::{check_write_target, next_serial, write, write_if_changed};
pub use yaml::{HEADER, to_yaml, to_yaml_without};

/// What messages call the local backend's directory (`--state DIR`).
pub(crate) const STATE_DIR: &str = "state directory";

/// The state file's name in the state directory.
pub const STATE_FILE: &str = "vpnform.state.yaml";
/// `<dir>/vpnform.state.yaml`.
pub fn state_path(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join(STATE_FILE)
}

/// The lock file's name in the state directory.
pub const LOCK_FILE: &str = ".vpnform.lock";
/// Where `state rm` keeps the state it replaced.
pub const BACKUP_FILE: &str = "vpnform.state.yaml.backup";
/// The `.gitignore` vpnform writes into a state directory it creates: the lock and the
/// backup are local files (the repository's own `state/.gitignore` is this text).
pub const GITIGNORE: &str = include_str!("../../state/.gitignore");
