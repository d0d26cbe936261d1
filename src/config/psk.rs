//! Reading a pre-shared key from its source (`psk: {env: NAME}` or `{file: PATH}`) into
//! a [`Secret`], at plan time and again at apply time, before any call. Every error
//! names the entry and the source, never the value.

use std::path::PathBuf;

use super::attributes::PskSource;
use crate::Address;
use crate::secret::Secret;

/// The longest key the API takes (`Psk`, 1-100 characters).
pub const MAX_PSK_CHARS: usize = 100;

/// The most bytes read from a key file: a key with a line break is far less, so a
/// larger file is not a key (a certificate, a log, `/dev/zero`).
const MAX_FILE_BYTES: u64 = 4096;

/// A key file, for [`crate::files::read`].
const KEY_FILE: crate::files::Kind = crate::files::Kind {
    what: "pre-shared key file",
    limit: MAX_FILE_BYTES,
    typical: "a key of 1 to 100 characters",
};

/// Why an entry's key could not be read. None of them holds the key.
#[derive(Debug, thiserror::Error)]
pub enum PskError {
    #[error(
        "{address}: the pre-shared key comes from env {name}, which is not set\n  = help: set {name} in vpnform's environment (a CI secret, for example), or change `psk` in the desired file"
    )]
    EnvMissing { address: Address, name: String },
    #[error(
        "{address}: the pre-shared key in env {name} is not UTF-8 text\n  = help: set {name} to the key as text"
    )]
    EnvNotText { address: Address, name: String },
    #[error(
        "{address}: cannot read the pre-shared key from file {written}{}: {error}\n  = help: create the file beside the desired file, readable by vpnform, or change `psk` in the desired file",
        resolved(written, path)
    )]
    File {
        address: Address,
        written: String,
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error(
        "{address}: the pre-shared key from {source_name} is not UTF-8 text\n  = help: write the key as text"
    )]
    FileNotText {
        address: Address,
        source_name: String,
    },
    #[error(
        "{address}: the pre-shared key from {source_name} is empty\n  = help: put the key in it (1 to {MAX_PSK_CHARS} characters)"
    )]
    Empty {
        address: Address,
        source_name: String,
    },
    #[error(
        "{address}: the pre-shared key from {source_name} is longer than {MAX_PSK_CHARS} characters, the most the cloud takes\n  = help: use a key of 1 to {MAX_PSK_CHARS} characters"
    )]
    TooLong {
        address: Address,
        source_name: String,
    },
    #[error(
        "{address}: the pre-shared key from {source_name} has a control character (a line break inside it, a tab)\n  = help: the key is one line of text; only one line break at its end is ignored"
    )]
    ControlCharacter {
        address: Address,
        source_name: String,
    },
}

/// ` (at PATH)` when the desired file's directory made `written` another path.
fn resolved(written: &str, path: &std::path::Path) -> String {
    if path == std::path::Path::new(written) {
        String::new()
    } else {
        format!(" (at {})", path.display())
    }
}

impl PskSource {
    /// Reads the key of the entry at `address` from this source. One trailing line
    /// break (`\n` or `\r\n`, as editors and `echo` leave) is dropped, once.
    pub fn read(&self, address: &Address) -> Result<Secret, PskError> {
        let source_name = self.to_string();
        let text = match self {
            PskSource::Env(name) => match std::env::var(name) {
                Ok(value) => value,
                Err(std::env::VarError::NotPresent) => {
                    return Err(PskError::EnvMissing {
                        address: address.clone(),
                        name: name.clone(),
                    });
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(PskError::EnvNotText {
                        address: address.clone(),
                        name: name.clone(),
                    });
                }
            },
            PskSource::File { written, path } => {
                let file_error = |error| PskError::File {
                    address: address.clone(),
                    written: written.clone(),
                    path: path.clone(),
                    error,
                };
                // One bounded reader for every file vpnform reads: regular files only
                // (a FIFO or a device would block or never end), opened without
                // blocking, refused unread past the limit.
                let bytes = crate::files::read(path, KEY_FILE).map_err(|e| match e {
                    crate::files::FileError::TooLarge { .. } => PskError::TooLong {
                        address: address.clone(),
                        source_name: source_name.clone(),
                    },
                    crate::files::FileError::Read { source, .. } => file_error(source),
                    crate::files::FileError::NotRegular { kind, .. } => file_error(
                        std::io::Error::other(format!("it is {kind}, not a regular file")),
                    ),
                    other => file_error(std::io::Error::other(other.to_string())),
                })?;
                String::from_utf8(bytes).map_err(|_| PskError::FileNotText {
                    address: address.clone(),
                    source_name: source_name.clone(),
                })?
            }
        };
        let key = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(&text);
        let problem = if key.is_empty() {
            Some(PskError::Empty {
                address: address.clone(),
                source_name,
            })
        } else if key.chars().count() > MAX_PSK_CHARS {
            Some(PskError::TooLong {
                address: address.clone(),
                source_name,
            })
        } else if key.chars().any(char::is_control) {
            Some(PskError::ControlCharacter {
                address: address.clone(),
                source_name,
            })
        } else {
            None
        };
        match problem {
            Some(error) => Err(error),
            None => Ok(Secret::new(key)),
        }
    }
}

/// Every key that could not be read, by address: shown one `error:` each.
#[derive(Debug, thiserror::Error)]
#[error("{}", render_all(.0))]
pub struct PskErrors(pub Vec<PskError>);

fn render_all(errors: &[PskError]) -> String {
    let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    texts.join("\n\nerror: ")
}

/// The keys of every desired entry that names a source, read now: the online plan and
/// apply call this before any call to the cloud, so that a missing source stops the
/// run before anything is sent. All problems are returned, not the first.
pub fn read_all(desired: &super::Desired) -> Result<Vec<(Address, Secret)>, PskErrors> {
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    for (address, server) in &desired.servers {
        if let Some(source) = &server.psk {
            match source.read(address) {
                Ok(key) => keys.push((address.clone(), key)),
                Err(error) => errors.push(error),
            }
        }
    }
    if errors.is_empty() {
        Ok(keys)
    } else {
        Err(PskErrors(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "canary-psk-7f3a9c";

    fn file_source(dir: &std::path::Path, bytes: &[u8]) -> PskSource {
        let path = dir.join("office.psk");
        std::fs::write(&path, bytes).unwrap();
        PskSource::File {
            written: "office.psk".into(),
            path,
        }
    }

    fn read_file(bytes: &[u8]) -> Result<String, String> {
        let dir = tempfile::tempdir().unwrap();
        file_source(dir.path(), bytes)
            .read(&"ipsec_server.office".into())
            .map(|k| k.expose().to_owned())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn one_trailing_line_break_is_dropped_once() {
        assert_eq!(
            read_file(format!("{CANARY}\n").as_bytes()),
            Ok(CANARY.into())
        );
        assert_eq!(
            read_file(format!("{CANARY}\r\n").as_bytes()),
            Ok(CANARY.into())
        );
        assert_eq!(read_file(CANARY.as_bytes()), Ok(CANARY.into()));
        let twice = read_file(format!("{CANARY}\n\n").as_bytes()).unwrap_err();
        assert_eq!(
            twice,
            "ipsec_server.office: the pre-shared key from file office.psk has a control character (a line break inside it, a tab)\n  = help: the key is one line of text; only one line break at its end is ignored"
        );
    }

    #[test]
    fn empty_too_long_and_binary_keys_are_refused_without_the_value() {
        assert_eq!(
            read_file(b"\n").unwrap_err(),
            "ipsec_server.office: the pre-shared key from file office.psk is empty\n  = help: put the key in it (1 to 100 characters)"
        );
        let long = format!("{CANARY}{}", "x".repeat(100));
        let err = read_file(long.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            "ipsec_server.office: the pre-shared key from file office.psk is longer than 100 characters, the most the cloud takes\n  = help: use a key of 1 to 100 characters"
        );
        assert!(read_file(&vec![b'a'; 10_000]).is_err());
        let binary = read_file(b"canary\xff").unwrap_err();
        assert!(!binary.contains("canary"), "{binary}");
        assert!(!err.contains(CANARY));
    }

    #[test]
    fn a_missing_file_names_the_entry_and_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let source = PskSource::File {
            written: "secrets/none.psk".into(),
            path: dir.path().join("secrets/none.psk"),
        };
        let err = source
            .read(&"ipsec_server.lab".into())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "ipsec_server.lab: cannot read the pre-shared key from file secrets/none.psk (at "
            ),
            "{err}"
        );
    }

    /// Regression: a FIFO named as the key file blocked the plan on open.
    #[cfg(unix)]
    #[test]
    fn a_fifo_key_file_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("office.psk");
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let source = PskSource::File {
            written: "office.psk".into(),
            path,
        };
        let err = source
            .read(&"ipsec_server.office".into())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "ipsec_server.office: cannot read the pre-shared key from file office.psk (at "
            ) && err.contains(": it is a FIFO (named pipe), not a regular file\n"),
            "{err}"
        );
    }

    #[test]
    fn an_unset_variable_names_the_entry_and_the_variable() {
        let source = PskSource::Env("VPNFORM_TEST_PSK_NEVER_SET_7F3A".into());
        assert_eq!(
            source
                .read(&"ipsec_server.office".into())
                .unwrap_err()
                .to_string(),
            "ipsec_server.office: the pre-shared key comes from env VPNFORM_TEST_PSK_NEVER_SET_7F3A, which is not set\n  = help: set VPNFORM_TEST_PSK_NEVER_SET_7F3A in vpnform's environment (a CI secret, for example), or change `psk` in the desired file"
        );
    }
}
