//! The desired state: `vpnform.yaml` as the user wrote it (raw types that keep
//! locations) validated into [`Desired`], the only form the planner sees.
//!
//! First stop on the data's path: desired YAML -> **config** -> plan -> apply -> state.
//!
//! [`Source::read`] reads the file once and [`raw`] parses it into a tree whose every
//! node knows its line and column; [`Source::load`] has [`validate`] check that tree,
//! collecting every problem as a [`Diagnostic`] before giving up, so that one run shows
//! all of them.

pub(crate) mod append;
pub(crate) mod attributes;
mod error;
mod model;
pub(crate) mod psk;
mod raw;
mod source;
mod validate;

use std::collections::BTreeSet;
use std::path::Path;

pub use error::{ConfigError, Diagnostic, Label};
pub use model::{Desired, DesiredServer, Moved};
pub(crate) use source::Source;

use crate::Address;

pub(crate) use crate::yaml::source_lines;

/// The largest desired-state file vpnform reads: 64 MiB. A file of 100,000 servers
/// (`scripts/gen-state.py`) is about 11 MiB, so this leaves room for five times that
/// with comments and `depends_on`, while `--desired /dev/zero` (or a multi-gigabyte
/// file) is refused after reading at most this much. It is also serde-saphyr's own cap
/// on the scalar bytes of one document.
pub const MAX_DESIRED_BYTES: u64 = 64 * 1024 * 1024;

/// The desired file, for [`crate::files::read`].
const DESIRED_FILE: crate::files::Kind = crate::files::Kind {
    what: "desired-state file",
    limit: MAX_DESIRED_BYTES,
    typical: "100,000 servers take about 11 MiB",
};

/// `--desired -`: the desired file is read from standard input.
pub const STDIN: &str = "-";

/// Whether `path` is `-`, standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == STDIN
}

/// Reads and validates the desired-state file at `path`: [`Source::read`] then
/// [`Source::load`]. `recorded` holds the addresses in the recorded state: a
/// `depends_on` may name one that is no longer desired.
pub fn load(path: &Path, recorded: &BTreeSet<Address>) -> Result<Desired, ConfigError> {
    Source::read(path)?.load(recorded)
}

/// The file's bytes through the one bounded reader ([`crate::files::read`]): a regular
/// file only (a FIFO or a device is refused at once, never waited on), at most
/// [`MAX_DESIRED_BYTES`]. `-` is standard input, read once (up to the same limit) and
/// kept, so that an error's view can quote it again (a command reads it once, into a
/// [`Source`]).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, ConfigError> {
    if is_stdin(path) {
        return read_stdin();
    }
    crate::files::read(path, DESIRED_FILE).map_err(|e| from_file_error(path, e))
}

fn from_file_error(path: &Path, error: crate::files::FileError) -> ConfigError {
    use crate::files::FileError;
    let path = path.to_owned();
    match error {
        e if e.is_not_found() => ConfigError::NotFound { path },
        FileError::TooLarge { limit, .. } => ConfigError::TooLarge { path, limit },
        FileError::NotRegular { kind, .. } => ConfigError::NotRegular { path, kind },
        FileError::Read { source, .. } => ConfigError::Read { path, source },
        other => ConfigError::Read {
            path,
            source: std::io::Error::other(other.to_string()),
        },
    }
}

/// Standard input, read once per process and at most [`MAX_DESIRED_BYTES`] of it.
fn read_stdin() -> Result<Vec<u8>, ConfigError> {
    use std::io::Read as _;
    static STDIN_BYTES: std::sync::OnceLock<Result<Vec<u8>, (std::io::ErrorKind, String)>> =
        std::sync::OnceLock::new();
    let read = STDIN_BYTES.get_or_init(|| {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_DESIRED_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| (e.kind(), e.to_string()))?;
        Ok(bytes)
    });
    let path = Path::new(STDIN).to_owned();
    match read {
        Ok(bytes) if bytes.len() as u64 > MAX_DESIRED_BYTES => Err(ConfigError::TooLarge {
            path,
            limit: MAX_DESIRED_BYTES,
        }),
        Ok(bytes) => Ok(bytes.clone()),
        Err((kind, message)) => Err(ConfigError::Read {
            path,
            source: std::io::Error::new(*kind, message.clone()),
        }),
    }
}

/// The postgres schema the desired file at `path` keeps its state in, or `None` for the
/// local backend: [`Source::backend`] of a file read for that alone.
pub fn backend(path: &Path) -> Result<Option<String>, ConfigError> {
    Source::read(path)?.backend()
}

/// [`load`] on text already in memory; `display_path` is the name messages use.
pub fn load_str(
    display_path: &Path,
    text: &str,
    recorded: &BTreeSet<Address>,
) -> Result<Desired, ConfigError> {
    Source::from_bytes(display_path, text.as_bytes().to_vec()).load(recorded)
}

/// `defaults.region` of a file that validated (so it is a known region, if written).
fn default_region(root: &raw::Node) -> Option<String> {
    let field = |node: &raw::Node, name: &str| match &node.value {
        raw::Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.value.scalar_text().as_deref() == Some(name))
            .map(|(_, v)| v.clone()),
        _ => None,
    };
    let region = field(&field(root, "defaults")?, "region")?;
    match region.value {
        raw::Value::Str(text) => Some(text),
        _ => None,
    }
}

impl Desired {
    /// The regions the desired file names: every entry's and `defaults.region`.
    pub fn regions(&self) -> std::collections::BTreeSet<String> {
        let mut regions: std::collections::BTreeSet<String> =
            self.servers.values().map(|s| s.region.clone()).collect();
        regions.extend(self.default_region.clone());
        regions
    }

    /// The same file with no entry: what `plan --destroy` plans against (every recorded
    /// resource deleted, `protect` still holding). Its path and SHA-256 stay: a saved
    /// destroy plan is still checked against this file.
    pub(crate) fn emptied(&self) -> Desired {
        Desired {
            servers: Default::default(),
            moved: Vec::new(),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    const VALID: &str = "version: 1
defaults:
  region: cn-hangzhou
ipsec_servers:
  office:
    id: iss-bp1jougp8cfsbo8y9abcd
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
    depends_on: [ipsec_server.old, ipsec_server.lab, ipsec_server.lab]
    protect: true
  lab:
    id: iss-bp1jougp8cfsbo8y9abce
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabce
    region: ap-southeast-1
";

    fn recorded(addresses: &[&str]) -> BTreeSet<Address> {
        addresses.iter().map(|a| Address::from(*a)).collect()
    }

    #[test]
    fn a_valid_file_becomes_the_model() {
        let desired = load_str(
            Path::new("vpnform.yaml"),
            VALID,
            &recorded(&["ipsec_server.old"]),
        )
        .unwrap();
        assert_eq!(desired.path, Path::new("vpnform.yaml"));
        assert_eq!(
            desired.sha256,
            hex::encode(Sha256::digest(VALID.as_bytes()))
        );
        assert_eq!(desired.sha256.len(), 64);
        let servers: Vec<&DesiredServer> = desired.servers.values().collect();
        assert_eq!(
            servers,
            vec![
                &DesiredServer {
                    address: "ipsec_server.lab".into(),
                    id: Some("iss-bp1jougp8cfsbo8y9abce".into()),
                    vpn_gateway: "vpn-bp1q8bgx4xnkm2ogjabce".into(),
                    region: "ap-southeast-1".into(),
                    depends_on: vec![],
                    protect: false,
                    attributes: Default::default(),
                    values: Vec::new(),
                    psk: None,
                },
                &DesiredServer {
                    address: "ipsec_server.office".into(),
                    id: Some("iss-bp1jougp8cfsbo8y9abcd".into()),
                    vpn_gateway: "vpn-bp1q8bgx4xnkm2ogjabcd".into(),
                    // defaults.region
                    region: "cn-hangzhou".into(),
                    // sorted and deduplicated
                    depends_on: vec!["ipsec_server.lab".into(), "ipsec_server.old".into()],
                    protect: true,
                    attributes: Default::default(),
                    values: Vec::new(),
                    psk: None,
                },
            ]
        );
    }

    #[test]
    fn load_reads_the_file_and_hashes_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vpnform.yaml");
        std::fs::write(&path, VALID).unwrap();
        let desired = load(&path, &recorded(&["ipsec_server.old"])).unwrap();
        assert_eq!(
            desired.sha256,
            hex::encode(Sha256::digest(VALID.as_bytes()))
        );
        assert_eq!(desired.servers.len(), 2);

        let missing = dir.path().join("nope.yaml");
        assert!(matches!(
            load(&missing, &BTreeSet::new()),
            Err(ConfigError::NotFound { path }) if path == missing
        ));
    }

    #[test]
    fn diagnostics_carry_their_place_as_data() {
        let err = load_str(Path::new("d.yaml"), VALID, &BTreeSet::new()).unwrap_err();
        let places: Vec<(u64, u64, &str)> = err
            .diagnostics()
            .iter()
            .map(|d| (d.line, d.column, d.message.as_str()))
            .collect();
        assert_eq!(
            places,
            vec![(
                8,
                18,
                "ipsec_server.office depends on ipsec_server.old, which is neither in `ipsec_servers` nor in the recorded state"
            )]
        );
    }

    #[test]
    fn text_that_is_not_utf8_is_located() {
        let bytes = b"version: 1\nipsec_servers: {}\n# caf\xe9\n";
        let err = Source::from_bytes(Path::new("v.yaml"), bytes.to_vec())
            .load(&BTreeSet::new())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "v.yaml:3:6: the file is not UTF-8 text
  |
3 | # caf\u{fffd}
  |      ^
  = help: save the file as UTF-8 (YAML files are UTF-8)"
        );
    }

    #[test]
    fn crlf_line_endings_do_not_show_in_snippets() {
        let text = "version: 1\r\nipsec_servers:\r\n  office: {id: iss-a1, vpn_gateway: vpn-b1, protect: yes}\r\n";
        let err = load_str(Path::new("v.yaml"), text, &BTreeSet::new()).unwrap_err();
        let rendered = err.to_string();
        assert!(!rendered.contains('\r'), "{rendered:?}");
        assert!(
            rendered.contains("\n3 |   office: {id: iss-a1"),
            "{rendered}"
        );
    }

    #[test]
    fn anchors_under_x_keys_and_merge_keys_are_read() {
        let text = "version: 1
x-common: &common {vpn_gateway: vpn-b1, region: cn-shanghai}
ipsec_servers:
  office:
    <<: *common
    id: iss-a1
";
        let desired = load_str(Path::new("v.yaml"), text, &BTreeSet::new()).unwrap();
        let office = &desired.servers["ipsec_server.office"];
        assert_eq!(
            (office.vpn_gateway.as_str(), office.region.as_str()),
            ("vpn-b1", "cn-shanghai")
        );
    }

    /// Regression: a key YAML reads as a boolean or null (`True:`, `NULL:`, `~:`) became
    /// the canonical text of that value, so `True:` was loaded as `ipsec_server.true` and
    /// `~:` (not a name) as the valid `ipsec_server.null`.
    #[test]
    fn entry_named_like_a_boolean_or_null_lost_its_written_name() {
        let load = |name: &str| {
            let text = format!(
                "version: 1\nipsec_servers:\n  {name}: {{id: iss-a1, vpn_gateway: vpn-b1, region: cn-hangzhou}}\n"
            );
            load_str(Path::new("f.yaml"), &text, &BTreeSet::new())
                .map(|d| d.servers.into_keys().collect::<Vec<_>>())
                .map_err(|e| e.to_string())
        };
        for name in ["True", "FALSE", "NULL", "Null", "null", "true"] {
            assert_eq!(
                load(name),
                Ok(vec![Address::from(format!("ipsec_server.{name}").as_str())])
            );
        }
        assert_eq!(
            load("~"),
            Err(
                "f.yaml:3:3: `~` is not a valid name for an entry of `ipsec_servers`
  |
3 |   ~: {id: iss-a1, vpn_gateway: vpn-b1, region: cn-hangzhou}
  |   ^
  = help: a name starts with a letter or `_` and has only letters, digits, `_` and `-`"
                    .to_owned()
            )
        );
        assert_eq!(
            load("1e3"),
            Err(
                "f.yaml:3:3: `1e3` is not a valid name for an entry of `ipsec_servers`
  |
3 |   1e3: {id: iss-a1, vpn_gateway: vpn-b1, region: cn-hangzhou}
  |   ^^^
  = help: a name starts with a letter or `_` and has only letters, digits, `_` and `-`"
                    .to_owned()
            )
        );
    }

    /// Regression: the parser counts a lone `\r` as a line break, the snippets did not,
    /// so every error after one quoted the line before the one it was about.
    #[test]
    fn a_lone_carriage_return_shifted_the_snippet_by_a_line() {
        let text = "version: 1\r# old mac line end\nipsec_servers:\n  office: {id: iss-a1, vpn_gateway: vpn-b1, region: cn-hangzou}\n";
        let err = load_str(Path::new("v.yaml"), text, &BTreeSet::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "v.yaml:4:53: unknown region `cn-hangzou` in `ipsec_servers.office.region`
  |
4 |   office: {id: iss-a1, vpn_gateway: vpn-b1, region: cn-hangzou}
  |                                                     ^^^^^^^^^^
  = help: did you mean `cn-hangzhou`?"
        );
        assert_eq!(source_lines("a\r\nb\rc\n\nd"), vec!["a", "b", "c", "", "d"]);
        assert_eq!(source_lines("a\n"), vec!["a", ""]);
    }

    /// A file that is not UTF-8 after a lone `\r` is located as the parser would.
    #[test]
    fn not_utf8_after_a_lone_carriage_return_is_on_the_right_line() {
        let bytes = b"version: 1\rx: caf\xe9\n";
        let err = Source::from_bytes(Path::new("v.yaml"), bytes.to_vec())
            .load(&BTreeSet::new())
            .unwrap_err();
        assert_eq!(
            (err.diagnostics()[0].line, err.diagnostics()[0].column),
            (2, 7)
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Whatever the text, loading answers (a model or diagnostics); it never panics,
        /// and every diagnostic points at a real place.
        #[test]
        fn load_str_never_panics(text in "[a-z_:{}\\[\\], \\-.\n#&*<>'\"0-9]{0,120}") {
            if let Err(err) = load_str(Path::new("f.yaml"), &text, &BTreeSet::new()) {
                let _ = err.to_string();
                for d in err.diagnostics() {
                    proptest::prop_assert!(d.line >= 1 && d.column >= 1);
                }
            }
        }

        /// Mutations of a valid file (one character dropped) never panic either.
        #[test]
        fn mutated_valid_file_never_panics(cut in 0usize..VALID.len()) {
            let mut text = VALID.to_owned();
            text.remove(cut);
            let _ = load_str(Path::new("f.yaml"), &text, &BTreeSet::new()).map_err(|e| e.to_string());
        }
    }
}
