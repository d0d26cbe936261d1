//! Where the recorded state lives, so that every message names the right place from
//! one answer: a local state directory (the state file and its lock file in it), or a
//! PostgreSQL schema. Callers ask a backend for its [`Location`] rather than whether it
//! is local.

use std::path::{Path, PathBuf};

use super::error::StateError;

/// Where one backend keeps the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local state directory (`--state DIR`): `DIR/vpnform.state.yaml` and
    /// `DIR/.vpnform.lock`.
    Dir(PathBuf),
    /// A PostgreSQL schema (`backend: { postgres: { schema: NAME } }`).
    Schema(String),
}

impl Location {
    /// How messages name the state: the state file's path, or `postgres schema NAME`.
    pub fn state(&self) -> PathBuf {
        match self {
            Location::Dir(dir) => super::state_path(dir),
            Location::Schema(schema) => PathBuf::from(format!("postgres schema {schema}")),
        }
    }

    /// How messages name where the state lives: the state directory, or `postgres
    /// schema NAME`.
    pub fn place(&self) -> PathBuf {
        match self {
            Location::Dir(dir) => dir.clone(),
            Location::Schema(_) => self.state(),
        }
    }

    /// How messages name the lock: the lock file, or `the lock of postgres schema NAME`.
    pub fn lock(&self) -> PathBuf {
        match self {
            Location::Dir(dir) => super::lock_path(dir),
            Location::Schema(schema) => {
                PathBuf::from(format!("the lock of postgres schema {schema}"))
            }
        }
    }

    /// The local state directory, for what only the file backend has (its backup file).
    pub fn dir(&self) -> Option<&Path> {
        match self {
            Location::Dir(dir) => Some(dir),
            Location::Schema(_) => None,
        }
    }

    /// The error for a command that needs a recorded state and finds none.
    pub(crate) fn no_state(&self) -> StateError {
        match self {
            Location::Dir(_) => StateError::NoState { path: self.state() },
            Location::Schema(_) => StateError::NoStateIn {
                place: self.state().display().to_string(),
            },
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.state().display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_and_the_schema_are_named_from_one_answer() {
        let dir = Location::Dir(PathBuf::from("state"));
        assert_eq!(dir.state(), Path::new("state/vpnform.state.yaml"));
        assert_eq!(dir.place(), Path::new("state"));
        assert_eq!(dir.lock(), Path::new("state/.vpnform.lock"));
        assert_eq!(dir.to_string(), "state/vpnform.state.yaml");
        let schema = Location::Schema("prod".into());
        assert_eq!(schema.state(), Path::new("postgres schema prod"));
        assert_eq!(schema.place(), Path::new("postgres schema prod"));
        assert_eq!(schema.lock(), Path::new("the lock of postgres schema prod"));
        assert_eq!(schema.dir(), None);
        assert_eq!(
            schema.no_state().to_string(),
            "no state in postgres schema prod: vpnform manages no resources there yet"
        );
    }
}
