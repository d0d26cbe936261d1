//! `vpnform init [--migrate-state]`: sets up a workspace. It creates the postgres schema
//! the desired file names and copies the local state in, through the same replace as
//! `vpnform state push FILE` ([`crate::state::ops::replace`]); and it keeps saved plans
//! and pre-shared key files out of git, in the `.gitignore` beside the desired file.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use crate::state::postgres::Postgres;

/// What `init` did.
#[derive(Debug)]
pub struct Initialized {
    /// The postgres schema the desired file names; `None`: the state is local.
    pub(crate) postgres: Option<Schema>,
    /// What the `.gitignore` beside the desired file holds for vpnform now.
    pub(crate) gitignore: Gitignore,
}

/// The postgres schema `init` created (or found).
#[derive(Debug)]
pub(crate) struct Schema {
    pub(crate) schema: String,
    /// `postgresql://user@host:port/db`, without the password.
    pub(crate) target: String,
    /// With `--migrate-state`: the local state copied in (or found there already).
    pub(crate) migrated: Option<Migrated>,
}

#[derive(Debug)]
pub(crate) struct Migrated {
    pub from: std::path::PathBuf,
    pub lineage: String,
    pub serial: u64,
    /// The same state was there already: nothing written.
    pub already: bool,
}

/// The `.gitignore` lines for what vpnform's users keep out of git: saved plans
/// (`*.plan`), pre-shared key files (`/secrets/`, and the directory of every
/// `psk: { file }` the desired file names) and the request rates a run learned
/// (`.vpnform.rates`, a cache beside the local state).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Gitignore {
    pub(crate) path: PathBuf,
    /// There was no `.gitignore`: init wrote it.
    pub(crate) created: bool,
    /// Every line vpnform wants there.
    pub(crate) lines: Vec<String>,
    /// Those that were missing and were added, in order (none: all were there).
    pub(crate) added: Vec<String>,
}

/// Above the lines init adds, once.
const GITIGNORE_HEADER: &str = "# vpnform: saved plans and pre-shared key files stay out of git";

/// Why a state is not taken in.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MoveError {
    #[error(
        "{desired} names no backend: `vpnform init --migrate-state` copies the local state into \
the postgres schema the desired file names. Add `backend: {{ postgres: {{ schema: vpnform_prod }} }}` \
to {desired} (and set VPNFORM_PG_URL), then run it again; nothing was changed"
    )]
    NoBackend { desired: String },

    #[error(
        "no local state at {path} to migrate: nothing was copied. Run `vpnform init` without \
--migrate-state to start with an empty state"
    )]
    NoLocalState { path: String },
}

/// Creates the postgres schema the desired file at `desired` names (idempotent) and,
/// with `migrate`, copies the local state of `state_dir` in under the lock: refused when
/// the schema holds another lineage, or a serial of the same lineage that is not older
/// (unless it is the very same state). Then adds to the `.gitignore` beside the desired
/// file the lines it misses ([`Gitignore`]). A desired file without a `backend` (or no
/// desired file yet) keeps the state local: only `migrate` needs a backend.
pub fn init(
    desired: &Path,
    state_dir: &Path,
    migrate: bool,
    command: &str,
    lock_timeout: Duration,
    on_wait: &mut dyn FnMut(Option<&crate::state::LockHolder>),
) -> anyhow::Result<Initialized> {
    let source = crate::config::Source::read(desired)?;
    let postgres = match source.backend()? {
        Some(schema) => Some(init_schema(
            schema,
            state_dir,
            migrate,
            command,
            lock_timeout,
            on_wait,
        )?),
        None if migrate => {
            return Err(MoveError::NoBackend {
                desired: desired.display().to_string(),
            }
            .into());
        }
        None => None,
    };
    let dir = match desired.parent() {
        Some(dir) if !crate::config::is_stdin(desired) => dir,
        _ => Path::new(""),
    };
    let gitignore = gitignore(&dir.join(".gitignore"), &source.psk_files())?;
    Ok(Initialized {
        postgres,
        gitignore,
    })
}

fn init_schema(
    schema: String,
    state_dir: &Path,
    migrate: bool,
    command: &str,
    lock_timeout: Duration,
    on_wait: &mut dyn FnMut(Option<&crate::state::LockHolder>),
) -> anyhow::Result<Schema> {
    let pg = Postgres::connect(&schema)?;
    pg.init()?;
    let mut done = Schema {
        schema: schema.clone(),
        target: pg.target().to_string(),
        migrated: None,
    };
    if !migrate {
        return Ok(done);
    }
    let path = crate::state::state_path(state_dir);
    let Some(local) = crate::state::read(state_dir)? else {
        return Err(MoveError::NoLocalState {
            path: path.display().to_string(),
        }
        .into());
    };
    let written = crate::state::ops::replace(
        &pg,
        &local,
        &path.display().to_string(),
        crate::state::ops::Replace::NewerOrSame,
        crate::state::ops::Locking {
            command,
            timeout: lock_timeout,
            on_wait,
        },
    )?;
    let already = !written;
    done.migrated = Some(Migrated {
        from: path,
        lineage: local.lineage.clone(),
        serial: local.serial,
        already,
    });
    Ok(done)
}

/// Adds to the `.gitignore` at `path` (created if missing) the lines it lacks for saved
/// plans and for the key files `psk_files` (as the desired file writes them) are in.
/// A line already there, anywhere, is not added again; every byte there stays.
fn gitignore(path: &Path, psk_files: &[String]) -> anyhow::Result<Gitignore> {
    let mut lines = vec!["*.plan".to_owned(), "/secrets/".to_owned()];
    for pattern in psk_files.iter().filter_map(|file| key_pattern(file)) {
        if !lines.contains(&pattern) {
            lines.push(pattern);
        }
    }
    // The request rates a run learned, beside the state wherever the state directory is.
    lines.push(crate::ops::rates::FILE.to_owned());
    let existing = match crate::files::read(path, crate::files::GITIGNORE) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e.into()),
    };
    let text = existing.clone().unwrap_or_default();
    let has = |line: &str| text.lines().any(|l| l.trim_end() == line);
    let added: Vec<String> = lines.iter().filter(|l| !has(l)).cloned().collect();
    if !added.is_empty() {
        let mut new = text.clone();
        if !new.is_empty() && !new.ends_with('\n') {
            new.push('\n');
        }
        if !has(GITIGNORE_HEADER) {
            new.push_str(GITIGNORE_HEADER);
            new.push('\n');
        }
        for line in &added {
            new.push_str(line);
            new.push('\n');
        }
        if existing.is_some() {
            crate::files::write_atomic(path, ".gitignore", new.as_bytes())?;
        } else {
            create_shared(path, new.as_bytes())?;
        }
    }
    Ok(Gitignore {
        path: path.to_owned(),
        created: existing.is_none(),
        lines,
        added,
    })
}

/// Creates the file at `path` with `bytes`, readable by all as a file of the repository
/// is (`write_atomic` gives a new file 0600, for the state): never over anything there,
/// a link included.
fn create_shared(path: &Path, bytes: &[u8]) -> Result<(), crate::files::FileError> {
    use std::io::Write as _;
    let io = |source| crate::files::FileError::Write {
        what: ".gitignore",
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o644);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

/// The `.gitignore` line that keeps the key file `file` (relative to the desired file)
/// out of git: its directory (`/keys/` for `keys/office.psk`), or the file itself when
/// it lies beside the desired file. `None` for a path outside the workspace (absolute:
/// under `VPNFORM_SECRETS_DIR`) or one a plain pattern cannot name.
fn key_pattern(file: &str) -> Option<String> {
    let mut parts = Vec::new();
    for component in Path::new(file).components() {
        match component {
            Component::Normal(part) => {
                let part = part.to_str()?;
                // Characters a pattern would read as more than themselves.
                if part.contains(['*', '?', '[', '\\', '\n', '\r'])
                    || part.starts_with(['#', '!'])
                    || part.ends_with(' ')
                {
                    return None;
                }
                parts.push(part);
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    let (name, dirs) = parts.split_last()?;
    Some(if dirs.is_empty() {
        format!("/{name}")
    } else {
        format!("/{}/", dirs.join("/"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_ignored_by_its_directory_or_itself() {
        assert_eq!(
            key_pattern("secrets/office.psk").as_deref(),
            Some("/secrets/")
        );
        assert_eq!(key_pattern("./keys/a/b.psk").as_deref(), Some("/keys/a/"));
        assert_eq!(key_pattern("office.psk").as_deref(), Some("/office.psk"));
        assert_eq!(key_pattern("/run/secrets/office.psk"), None);
        assert_eq!(key_pattern("../office.psk"), None);
        assert_eq!(key_pattern("keys/*.psk"), None);
    }

    #[test]
    fn missing_lines_are_added_once_and_nothing_else_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".gitignore");
        std::fs::write(&path, "target\n*.plan").unwrap();
        let files = ["keys/office.psk".to_owned(), "keys/lab.psk".to_owned()];
        let first = gitignore(&path, &files).unwrap();
        assert!(!first.created);
        assert_eq!(first.added, ["/secrets/", "/keys/", ".vpnform.rates"]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!("target\n*.plan\n{GITIGNORE_HEADER}\n/secrets/\n/keys/\n.vpnform.rates\n")
        );
        let again = gitignore(&path, &files).unwrap();
        assert!(again.added.is_empty());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
