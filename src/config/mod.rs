//! The desired state: `vpnform.yaml` as the user wrote it (raw types that keep
//! locations) validated into [`Desired`], the only form the planner sees.
//!
//! First stop on the data's path: desired YAML -> **config** -> plan -> apply -> state.
//!
//! [`load`] reads the file, [`raw`] parses it into a tree whose every node knows its
//! line and column, and [`validate`] checks that tree, collecting every problem as a
//! [`Diagnostic`] before giving up, so that one run shows all of them.

mod error;
mod model;
mod raw;
pub mod regions;
mod suggest;
mod validate;

use std::collections::BTreeSet;
use std::path::Path;

use sha2::{Digest, Sha256};

pub use error::{ConfigError, Diagnostic, Label};
pub use model::{Desired, DesiredServer};
pub use validate::{IPSEC_SERVER, is_name};

use crate::Address;

/// Reads and validates the desired-state file at `path`. `recorded` holds the addresses
/// in the recorded state: a `depends_on` may name one that is no longer desired.
pub fn load(path: &Path, recorded: &BTreeSet<Address>) -> Result<Desired, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ConfigError::NotFound {
                path: path.to_owned(),
            }
        } else {
            ConfigError::Read {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    load_bytes(path, &bytes, recorded)
}

/// [`load`] on text already in memory; `display_path` is the name messages use.
pub fn load_str(
    display_path: &Path,
    text: &str,
    recorded: &BTreeSet<Address>,
) -> Result<Desired, ConfigError> {
    load_bytes(display_path, text.as_bytes(), recorded)
}

fn load_bytes(
    path: &Path,
    bytes: &[u8],
    recorded: &BTreeSet<Address>,
) -> Result<Desired, ConfigError> {
    let invalid = |diagnostics| ConfigError::Invalid {
        path: path.to_owned(),
        diagnostics,
    };
    let text =
        std::str::from_utf8(bytes).map_err(|e| invalid(vec![validate::not_utf8(bytes, &e)]))?;
    let root = raw::parse(text).map_err(|e| invalid(vec![validate::syntax_error(text, &e)]))?;
    let servers = validate::validate(text, &root, recorded).map_err(invalid)?;
    Ok(Desired {
        path: path.to_owned(),
        sha256: hex::encode(Sha256::digest(bytes)),
        servers,
    })
}
