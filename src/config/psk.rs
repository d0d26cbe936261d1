//! Reading a pre-shared key from its source (`psk: {env: NAME}` or `{file: PATH}`) into
//! a [`Secret`], at plan time and again at apply time, before any call. Every error
//! names the entry and the source, never the value.

use std::path::{Path, PathBuf};

use super::attributes::PskSource;
use crate::Address;
use crate::secret::Secret;

/// The longest key the API takes (`Psk`, 1-100 characters).
pub(crate) const MAX_PSK_CHARS: usize = 100;

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
    #[error("{address}: {error}\n  = help: {}", error.help())]
    Confined {
        address: Address,
        error: SourceError,
    },
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

impl PskError {
    /// The entry whose key could not be read.
    pub fn address(&self) -> &Address {
        match self {
            PskError::EnvMissing { address, .. }
            | PskError::Confined { address, .. }
            | PskError::EnvNotText { address, .. }
            | PskError::File { address, .. }
            | PskError::FileNotText { address, .. }
            | PskError::Empty { address, .. }
            | PskError::TooLong { address, .. }
            | PskError::ControlCharacter { address, .. } => address,
        }
    }
}

/// vpnform's own credential variables, which no `psk: {env}` may name: a key read from
/// one would be vpnform's credential, sent to the cloud, which hands a PSK back in clear
/// text to anyone who may List.
pub(crate) const OWN_VARIABLE_PREFIXES: [&str; 4] =
    ["ALIBABA_CLOUD_", "ALICLOUD_", "VPNFORM_", "PG"];

/// The directory an absolute `psk: {file}` must be inside (a CI secret mount).
pub(crate) const SECRETS_DIR_VARIABLE: &str = "VPNFORM_SECRETS_DIR";

/// Why a secret source is not one vpnform reads (DESIGN, "Desired state": secret sources
/// are confined). Holds the source as written, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error(
        "`psk` names env {name}, one of vpnform's own credential variables (`ALIBABA_CLOUD_*`, `ALICLOUD_*`, `VPNFORM_*`, `PG*`)"
    )]
    OwnVariable { name: String },
    #[error("`psk` names file {written}, an absolute path, and {SECRETS_DIR_VARIABLE} is not set")]
    Absolute { written: String },
    #[error(
        "`psk` names file {written}, outside {SECRETS_DIR_VARIABLE} ({})",
        secrets_dir.display()
    )]
    OutsideSecretsDir {
        written: String,
        secrets_dir: PathBuf,
    },
    #[error(
        "`psk` names file {written}, an absolute path, and {SECRETS_DIR_VARIABLE} ({}) is not an absolute path",
        secrets_dir.display()
    )]
    SecretsDirRelative {
        written: String,
        secrets_dir: PathBuf,
    },
    #[error("`psk` names file {written}, whose `..` climbs out of {}", within.describe())]
    ClimbsOut { written: String, within: Within },
    #[error(
        "`psk` names file {written}, and {} on its way is a symbolic link",
        link.display()
    )]
    Symlink { written: String, link: PathBuf },
    #[error("`psk` names file {written}, which is {kind}, not a regular file")]
    NotRegular { written: String, kind: &'static str },
}

/// The directory tree a key file must stay in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    DesiredDir,
    SecretsDir,
}

impl Within {
    fn describe(self) -> &'static str {
        match self {
            Within::DesiredDir => "the desired file's directory",
            Within::SecretsDir => "VPNFORM_SECRETS_DIR",
        }
    }
}

impl SourceError {
    /// What to do about it, one line.
    pub(crate) fn help(&self) -> String {
        const INSIDE: &str = "keep the key file in the desired file's directory tree and write its path relative to the desired file (e.g. `secrets/office.psk`), or in VPNFORM_SECRETS_DIR (a CI secret mount) and write its absolute path";
        match self {
            SourceError::OwnVariable { .. } => "put the key in a variable of its own (e.g. `OFFICE_PSK`): the cloud hands a pre-shared key back in clear text to anyone who may List, so a credential must never become one".to_owned(),
            SourceError::Absolute { .. } | SourceError::ClimbsOut { .. } => INSIDE.to_owned(),
            SourceError::OutsideSecretsDir { secrets_dir, .. } => format!(
                "move the key file into {}, or keep it in the desired file's directory tree and write its path relative to the desired file",
                secrets_dir.display()
            ),
            SourceError::SecretsDirRelative { .. } => {
                "set VPNFORM_SECRETS_DIR to the absolute path of the directory that holds the key files".to_owned()
            }
            SourceError::Symlink { .. } => "replace the link by the file or directory it points to: a link can lead the read of a key anywhere on the machine".to_owned(),
            SourceError::NotRegular { .. } => "name a regular file that holds the key".to_owned(),
        }
    }
}

/// Checks that a secret source is one vpnform may read, before any value is read: an
/// `env` name that is not one of vpnform's own credential variables; a `file` that is a
/// relative path inside `desired_dir`'s tree, or an absolute path inside the directory
/// `VPNFORM_SECRETS_DIR` names, with no symbolic link on any component below that
/// directory and, if it exists, a regular file. A file that does not exist passes:
/// reading it says so. The one check for every source, the desired file's and a
/// journal's recorded ones alike.
pub(crate) fn check_source(source: &PskSource, desired_dir: &Path) -> Result<(), SourceError> {
    let secrets_dir = std::env::var_os(SECRETS_DIR_VARIABLE)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    check_source_in(source, desired_dir, secrets_dir.as_deref())
}

fn check_source_in(
    source: &PskSource,
    desired_dir: &Path,
    secrets_dir: Option<&Path>,
) -> Result<(), SourceError> {
    match source {
        PskSource::Tunnels { master, slave } => {
            check_source_in(master, desired_dir, secrets_dir)?;
            check_source_in(slave, desired_dir, secrets_dir)
        }
        PskSource::Env(name) => {
            let upper = name.to_ascii_uppercase();
            if OWN_VARIABLE_PREFIXES.iter().any(|p| upper.starts_with(p)) {
                return Err(SourceError::OwnVariable { name: name.clone() });
            }
            Ok(())
        }
        PskSource::File { written, .. } => {
            let path = Path::new(written);
            if !path.is_absolute() {
                return walk(written, desired_dir, path, Within::DesiredDir);
            }
            let Some(secrets_dir) = secrets_dir else {
                return Err(SourceError::Absolute {
                    written: written.clone(),
                });
            };
            if !secrets_dir.is_absolute() {
                return Err(SourceError::SecretsDirRelative {
                    written: written.clone(),
                    secrets_dir: secrets_dir.to_owned(),
                });
            }
            // Component by component: `/run/secrets2/k` is not inside `/run/secrets`.
            let Ok(below) = path.strip_prefix(secrets_dir) else {
                return Err(SourceError::OutsideSecretsDir {
                    written: written.clone(),
                    secrets_dir: secrets_dir.to_owned(),
                });
            };
            walk(written, secrets_dir, below, Within::SecretsDir)
        }
    }
}

/// Walks `relative` down from `base` as the OS will when the file is opened: no
/// component may be a link (a `..` after one would climb from the link's target), no
/// `..` may climb above `base`, and the end, if it exists, is a regular file.
fn walk(written: &str, base: &Path, relative: &Path, within: Within) -> Result<(), SourceError> {
    use std::path::Component;
    let climbs_out = || SourceError::ClimbsOut {
        written: written.to_owned(),
        within,
    };
    let mut current = base.to_path_buf();
    let mut depth = 0usize;
    for component in relative.components() {
        match component {
            Component::CurDir => continue,
            Component::ParentDir => {
                depth = depth.checked_sub(1).ok_or_else(climbs_out)?;
                current.pop();
                continue;
            }
            Component::Normal(name) => {
                current.push(name);
                depth += 1;
            }
            Component::RootDir | Component::Prefix(_) => return Err(climbs_out()),
        }
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                return Err(SourceError::Symlink {
                    written: written.to_owned(),
                    link: current,
                });
            }
            Ok(_) => {}
            // Nothing below a missing component exists: reading says the file is missing
            // (or unreadable), naming the entry.
            Err(_) => return Ok(()),
        }
    }
    let not_regular = |kind| SourceError::NotRegular {
        written: written.to_owned(),
        kind,
    };
    if depth == 0 {
        return Err(not_regular("a directory"));
    }
    match std::fs::symlink_metadata(&current) {
        Ok(metadata) if !metadata.is_file() => {
            Err(not_regular(crate::files::describe(&metadata.file_type())))
        }
        _ => Ok(()),
    }
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
            PskSource::Tunnels { master, slave } => {
                return Ok(Secret::tunnels(
                    &master.read(address)?,
                    &slave.read(address)?,
                ));
            }
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
pub(crate) struct PskErrors(pub Vec<PskError>);

fn render_all(errors: &[PskError]) -> String {
    let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    texts.join("\n\nerror: ")
}

/// The keys of every desired entry that names a source, read now: the online plan and
/// apply call this before any call to the cloud, so that a missing source stops the
/// run before anything is sent. All problems are returned, not the first.
pub(crate) fn read_all(desired: &super::Desired) -> Result<Vec<(Address, Secret)>, PskErrors> {
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    // Checked when the file was loaded, and again here, just before the read, for a
    // file swapped for a link in between.
    let dir = desired.path.parent().unwrap_or(Path::new(""));
    for (address, server) in &desired.servers {
        if let Some(source) = &server.psk {
            if let Err(error) = check_source(source, dir) {
                errors.push(PskError::Confined {
                    address: address.clone(),
                    error,
                });
                continue;
            }
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

    fn file(written: &str) -> PskSource {
        PskSource::File {
            written: written.into(),
            path: written.into(),
        }
    }

    /// The walk goes down as the OS does: `..` that stays inside is fine, `..` after a
    /// linked directory or above the base is not, and the secrets directory is matched
    /// by components, not by text.
    #[cfg(unix)]
    #[test]
    fn sources_are_checked_component_by_component() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("repo");
        std::fs::create_dir_all(base.join("secrets/sub")).unwrap();
        std::fs::write(base.join("secrets/k.psk"), "k").unwrap();
        std::os::unix::fs::symlink(dir.path(), base.join("up")).unwrap();
        let check = |written: &str, secrets: Option<&Path>| {
            check_source_in(&file(written), &base, secrets).map_err(|e| e.to_string())
        };
        assert_eq!(check("secrets/sub/../k.psk", None), Ok(()));
        assert_eq!(check("./secrets/k.psk", None), Ok(()));
        assert_eq!(check("secrets/missing/k.psk", None), Ok(()));
        assert_eq!(
            check("secrets/../../x", None),
            Err("`psk` names file secrets/../../x, whose `..` climbs out of the desired file's directory".into())
        );
        assert!(
            check("up/repo/secrets/k.psk", None)
                .unwrap_err()
                .contains("is a symbolic link")
        );
        let mnt = dir.path().join("mnt");
        let beside = format!("{}2/k.psk", mnt.display());
        assert!(
            check(&beside, Some(&mnt))
                .unwrap_err()
                .contains(", outside VPNFORM_SECRETS_DIR (")
        );
        assert_eq!(
            check("/k.psk", Some(Path::new("mnt"))),
            Err("`psk` names file /k.psk, an absolute path, and VPNFORM_SECRETS_DIR (mnt) is not an absolute path".into())
        );
        for name in ["OFFICE_PSK", "PSK_PG", "ALIBABA_PSK"] {
            assert_eq!(
                check_source_in(&PskSource::Env(name.into()), &base, None),
                Ok(())
            );
        }
        for name in [
            "ALIBABA_CLOUD_X",
            "alicloud_access_key",
            "VPNFORM_ENDPOINT",
            "PGHOST",
        ] {
            assert!(check_source_in(&PskSource::Env(name.into()), &base, None).is_err());
        }
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
