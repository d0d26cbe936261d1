//! The desired file read once: its path, its bytes' SHA-256 and its parsed tree, the
//! low-level value every later step of a command uses (ripgrep's `lowargs` before
//! `hiargs`). A command reads the [`Source`] first, asks it for the `backend` to open,
//! reads the state from that backend, then validates the same tree against the state
//! ([`Source::load`]); a saved plan is checked against [`Source::sha256`], the hash of
//! exactly the bytes that are loaded.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{ConfigError, Desired, Diagnostic, raw, validate};
use crate::Address;

/// The desired file as read, once, through the bounded reader.
#[derive(Debug)]
pub(crate) struct Source {
    path: PathBuf,
    read: Read,
}

/// What reading the file gave.
#[derive(Debug)]
enum Read {
    /// No file at the path: a command on the local backend may still run (a missing
    /// file is reported by what needs its contents).
    Missing,
    Found {
        /// Hex SHA-256 of the bytes read.
        sha256: String,
        parsed: Parsed,
    },
}

#[derive(Debug)]
enum Parsed {
    /// The text and its tree.
    Tree { text: String, root: raw::Node },
    /// Not UTF-8, or not YAML: the problem, reported by [`Source::load`].
    Unreadable(Diagnostic),
}

impl Source {
    /// Reads the file at `path` (`-`: standard input) through [`super::read_bytes`] and
    /// parses it. Only a failure to read is an error here (a missing file is not);
    /// whether the text is valid is [`Source::load`]'s to say.
    pub(crate) fn read(path: &Path) -> Result<Source, ConfigError> {
        let read = match super::read_bytes(path) {
            Ok(bytes) => found(bytes),
            Err(ConfigError::NotFound { .. }) => Read::Missing,
            Err(e) => return Err(e),
        };
        Ok(Source {
            path: path.to_owned(),
            read,
        })
    }

    /// A source of `bytes` already in memory; `path` is the name messages use.
    pub(crate) fn from_bytes(path: &Path, bytes: Vec<u8>) -> Source {
        Source {
            path: path.to_owned(),
            read: found(bytes),
        }
    }

    /// The file as the user named it.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Hex SHA-256 of the bytes read; an error if there was no file.
    pub(crate) fn sha256(&self) -> Result<&str, ConfigError> {
        match &self.read {
            Read::Missing => Err(self.not_found()),
            Read::Found { sha256, .. } => Ok(sha256),
        }
    }

    /// The postgres schema the file keeps its state in (`backend: { postgres: { schema:
    /// NAME } }`), or `None` for the local backend: no `backend` key, or no file at all.
    /// Only that key is checked here (every error in it with file:line:column); a file
    /// that does not parse is reported by [`Source::load`].
    pub(crate) fn backend(&self) -> Result<Option<String>, ConfigError> {
        let Some((text, root)) = self.tree() else {
            return Ok(None);
        };
        validate::backend(text, root).map_err(|diagnostics| self.invalid(diagnostics))
    }

    /// The paths of the key files the file names (`psk: { file: PATH }`), as written and
    /// not validated: where `init` keeps git away from. None for a file that is missing
    /// or does not parse.
    pub(crate) fn psk_files(&self) -> Vec<String> {
        let field = |node: &raw::Node, name: &str| match &node.value {
            raw::Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.value.scalar_text().as_deref() == Some(name))
                .map(|(_, v)| v.clone()),
            _ => None,
        };
        let Some((_, root)) = self.tree() else {
            return Vec::new();
        };
        let Some(servers) = field(root, crate::kinds::ipsec_server::KIND.desired_key) else {
            return Vec::new();
        };
        let raw::Value::Map(entries) = &servers.value else {
            return Vec::new();
        };
        entries
            .iter()
            .filter_map(|(_, entry)| field(&field(entry, "psk")?, "file"))
            .filter_map(|file| match file.value {
                raw::Value::Str(path) => Some(path),
                _ => None,
            })
            .collect()
    }

    /// Checks only the file's `required_version` (for a command that does not otherwise
    /// validate it, such as `apply FILE`). A file that is missing or does not parse
    /// passes: what loads it reports that.
    pub(crate) fn check_required_version(&self) -> Result<(), ConfigError> {
        let Some((text, root)) = self.tree() else {
            return Ok(());
        };
        match validate::required_version(text, root) {
            None => Ok(()),
            Some(problem) => Err(self.invalid(vec![problem])),
        }
    }

    /// Validates the file into the model. `recorded` holds the addresses in the recorded
    /// state: a `depends_on` may name one that is no longer desired.
    pub(crate) fn load(&self, recorded: &BTreeSet<Address>) -> Result<Desired, ConfigError> {
        let (sha256, parsed) = match &self.read {
            Read::Missing => return Err(self.not_found()),
            Read::Found { sha256, parsed } => (sha256, parsed),
        };
        let (text, root) = match parsed {
            Parsed::Unreadable(problem) => return Err(self.invalid(vec![problem.clone()])),
            Parsed::Tree { text, root } => (text, root),
        };
        // `psk: {file}` paths are relative to the desired file's directory.
        let dir = self.path.parent().unwrap_or(Path::new(""));
        let (servers, moved) = validate::validate(text, root, recorded, dir)
            .map_err(|diagnostics| self.invalid(diagnostics))?;
        Ok(Desired {
            path: self.path.clone(),
            sha256: sha256.clone(),
            servers,
            moved,
            default_region: super::default_region(root),
        })
    }

    /// The text read, when it parsed.
    pub(crate) fn text(&self) -> Option<&str> {
        self.tree().map(|(text, _)| text)
    }

    fn tree(&self) -> Option<(&str, &raw::Node)> {
        match &self.read {
            Read::Found {
                parsed: Parsed::Tree { text, root },
                ..
            } => Some((text, root)),
            _ => None,
        }
    }

    fn not_found(&self) -> ConfigError {
        ConfigError::NotFound {
            path: self.path.clone(),
        }
    }

    fn invalid(&self, diagnostics: Vec<Diagnostic>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.clone(),
            diagnostics,
        }
    }
}

/// Hashes and parses the bytes read.
fn found(bytes: Vec<u8>) -> Read {
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let parsed = match String::from_utf8(bytes) {
        Err(e) => Parsed::Unreadable(validate::not_utf8(e.as_bytes(), &e.utf8_error())),
        Ok(text) => match raw::parse(&text) {
            Ok(root) => Parsed::Tree { text, root },
            Err(e) => Parsed::Unreadable(validate::syntax_error(&text, &e)),
        },
    };
    Read::Found { sha256, parsed }
}
