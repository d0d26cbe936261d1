//! Writing `vpnform.state.yaml`: atomically, never over a file that does not read back
//! as a state of the same lineage, and the serial bumped only when something changed.

use std::path::Path;

use super::error::StateError;
use super::written::{remember_written, written_by_us};
use super::{State, read, state_path, to_yaml};

/// Writes `state` to `dir` atomically: a temp file in `dir`, fsync, rename over the
/// state file, fsync of `dir` (by `atomic-write-file`, which also removes the temp file
/// on any error). Creates `dir` if missing.
///
/// Refuses to replace an existing file that does not read as a valid state (it is never
/// overwritten) or that holds another lineage. Writes `state` as given: bump the serial
/// with [`write_if_changed`].
pub fn write(dir: &Path, state: &State) -> Result<(), StateError> {
    write_checked(dir, state, None)
}

/// [`write`] for a writer that started from the state `from` (its lineage and serial,
/// as it last read or wrote it; `None`: no state file): refuses, writing nothing, when
/// the file holds anything else, so that a writer whose lock was lost or forced never
/// overwrites what another run wrote since.
pub(crate) fn write_from(
    dir: &Path,
    state: &State,
    from: Option<(&str, u64)>,
) -> Result<(), StateError> {
    write_checked(dir, state, Some(from))
}

fn write_checked(
    dir: &Path,
    state: &State,
    from: Option<Option<(&str, u64)>>,
) -> Result<(), StateError> {
    let path = state_path(dir);
    // The file this process wrote last, untouched since (same inode, size and mtime), is
    // known to be valid and what was written: apply's journal writes many times a second
    // and must not parse the whole state back each time.
    let on_disk = match written_by_us(&path) {
        Some(written) => Some(written),
        None => read(dir)?.map(|s| (s.lineage, s.serial)),
    };
    if let Some((lineage, _)) = &on_disk
        && *lineage != state.lineage
    {
        return Err(StateError::LineageChanged {
            path,
            on_disk: lineage.clone(),
            writing: state.lineage.clone(),
        });
    }
    let on_disk = on_disk.as_ref().map(|(l, n)| (l.as_str(), *n));
    if let Some(from) = from
        && on_disk != from
    {
        return Err(StateError::Conflict {
            place: path.display().to_string(),
            expected: super::error::version_text(from),
            found: super::error::version_text(on_disk),
        });
    }
    let text = to_yaml(state).map_err(|e| StateError::Serialize {
        path: path.clone(),
        message: e.to_string(),
    })?;
    write_bytes(dir, &path, crate::files::STATE.what, text.as_bytes())?;
    remember_written(&path, &state.lineage, state.serial);
    Ok(())
}

/// The atomic replace of `path` (in `dir`) by `bytes`.
/// Never through or over a link; a new file is 0600, see [`crate::files::write_atomic`].
pub(crate) fn write_bytes(
    dir: &Path,
    path: &Path,
    what: &'static str,
    bytes: &[u8],
) -> Result<(), StateError> {
    crate::files::check_dir_path(dir, super::STATE_DIR)?;
    create_dir(dir).map_err(|source| StateError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(crate::files::write_atomic(path, what, bytes)?)
}

/// Creates the state directory if it is missing, with a `.gitignore` for the lock and
/// the backup, so that neither is ever committed.
pub(crate) fn create_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
    match options.open(dir.join(".gitignore")) {
        Ok(mut file) => std::io::Write::write_all(&mut file, super::GITIGNORE.as_bytes()),
        // Another run created the directory at the same time.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Checks that the state file at `path` may be replaced (absent, or a regular file: not
/// a link), so that a command refuses before it does anything rather than at its write.
pub fn check_write_target(path: &Path) -> Result<(), StateError> {
    crate::files::check_write_target(path, crate::files::STATE.what)?;
    Ok(())
}

/// The serial after `serial`, or an error: a serial never wraps to 0.
pub fn next_serial(path: &Path, serial: u64) -> Result<u64, StateError> {
    serial
        .checked_add(1)
        .ok_or_else(|| StateError::SerialOverflow {
            path: path.to_path_buf(),
            serial,
        })
}

/// The write for a run that changes the state step by step (apply): if `next` differs
/// from `prev` in anything but the serial, sets `next.serial = prev.serial + 1`, writes
/// it and returns `true`; otherwise writes nothing and returns `false`.
///
/// `prev` is the state as last read or written; after a `true`, `next` is.
pub fn write_if_changed(dir: &Path, prev: &State, next: &mut State) -> Result<bool, StateError> {
    if next.same_content(prev) {
        return Ok(false);
    }
    next.serial = next_serial(&state_path(dir), prev.serial)?;
    write(dir, next)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::yaml::tests::sample;

    #[test]
    fn write_if_changed_bumps_serial_only_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let prev = State::with_new_lineage();
        let mut next = prev.clone();
        assert!(!write_if_changed(dir.path(), &prev, &mut next).unwrap());
        assert!(!state_path(dir.path()).exists());
        next.resources = sample().resources;
        assert!(write_if_changed(dir.path(), &prev, &mut next).unwrap());
        assert_eq!(next.serial, 1);
        assert_eq!(read(dir.path()).unwrap().unwrap(), next);
        let prev = next.clone();
        let mut again = prev.clone();
        assert!(!write_if_changed(dir.path(), &prev, &mut again).unwrap());
        assert_eq!(again.serial, 1);
    }

    #[test]
    fn a_writer_that_started_from_another_serial_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = sample();
        write_from(dir.path(), &state, None).unwrap();
        let lineage = state.lineage.clone();
        let started = Some((lineage.as_str(), state.serial));
        let mut newer = state.clone();
        newer.serial += 1;
        write_from(dir.path(), &newer, started).unwrap();
        // A second writer that also started from the first serial.
        state.serial += 1;
        state.resources.clear();
        let err = write_from(dir.path(), &state, started).unwrap_err();
        assert!(matches!(err, StateError::Conflict { .. }), "{err}");
        assert_eq!(read(dir.path()).unwrap().unwrap(), newer);
        // Found by reading the file too, not only from this process's memory of it.
        std::fs::copy(state_path(dir.path()), dir.path().join("copy")).unwrap();
        std::fs::rename(dir.path().join("copy"), state_path(dir.path())).unwrap();
        let err = write_from(dir.path(), &state, started).unwrap_err();
        assert!(matches!(err, StateError::Conflict { .. }), "{err}");
        let err = write_from(dir.path(), &state, None).unwrap_err();
        assert!(
            err.to_string().contains(&format!(
                "it holds serial {} of lineage {lineage}, but this run started from no state",
                newer.serial
            )),
            "{err}"
        );
    }

    #[test]
    fn write_refuses_another_lineage() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &State::with_new_lineage()).unwrap();
        let err = write(dir.path(), &State::with_new_lineage()).unwrap_err();
        assert!(matches!(err, StateError::LineageChanged { .. }), "{err}");
    }

    #[test]
    fn write_creates_the_dir_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        write(&sub, &sample()).unwrap();
        write(&sub, &sample()).unwrap();
        let names: Vec<String> = std::fs::read_dir(&sub)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let mut names = names;
        names.sort();
        assert_eq!(names, [".gitignore", "vpnform.state.yaml"]);
        assert_eq!(
            std::fs::read_to_string(sub.join(".gitignore")).unwrap(),
            crate::state::GITIGNORE
        );
        let ignored: Vec<&str> = crate::state::GITIGNORE.lines().collect();
        assert!(ignored.contains(&crate::state::LOCK_FILE), "{ignored:?}");
        assert!(ignored.contains(&crate::state::BACKUP_FILE), "{ignored:?}");
    }
}
