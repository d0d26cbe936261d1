//! The state lock: `<dir>/.vpnform.lock`, so that two runs never write one state.
//!
//! The lock itself is the operating system's advisory file lock (std `File::lock`,
//! `flock` on Unix) on that file, held for the life of a [`Lock`]. The file's contents
//! only say who holds it (pid, host, command, since, a lock id) for the message a
//! second run prints. Because the OS releases the lock when its process dies, a lock
//! file left behind by a crashed run is simply locked again by the next one; the file
//! is never deleted on release (deleting it would let a waiter lock the old file while
//! a newcomer locks a new one). `vpnform force-unlock` deletes it, see [`force_unlock`].
//!
//! Writers hold the lock exclusively ([`Lock`]); `plan` only reads, and shares it
//! ([`ReadLock`]): it opens an existing lock file read-only and never creates one, so a
//! read-only checkout can plan. The lock file is opened without following a link and
//! must be a regular file: a link planted at its path (a commit can carry one) would
//! otherwise make vpnform truncate whatever the link points to.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::LOCK_FILE;
use super::error::StateError;
use super::holder::LockHolder;
use super::wait::wait_for;

/// A held state lock. Dropping it releases the lock.
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
    holder: LockHolder,
}

/// `<dir>/.vpnform.lock`.
pub fn lock_path(dir: &Path) -> PathBuf {
    dir.join(LOCK_FILE)
}

impl Lock {
    /// Takes the lock on `dir` (created if missing) for `command`. With a zero `timeout`
    /// fails at once if another process holds it; otherwise polls until it is free or
    /// `timeout` has passed. The error names the holder and what to do.
    pub fn acquire(dir: &Path, command: &str, timeout: Duration) -> Result<Lock, StateError> {
        Lock::acquire_with(dir, command, timeout, |_| {})
    }

    /// [`Lock::acquire`], calling `on_wait` once with the holder (if readable) when it
    /// starts waiting, so that the command can say why it is not doing anything.
    pub fn acquire_with(
        dir: &Path,
        command: &str,
        timeout: Duration,
        mut on_wait: impl FnMut(Option<&LockHolder>),
    ) -> Result<Lock, StateError> {
        let path = lock_path(dir);
        let io = |source| StateError::LockIo {
            path: path.clone(),
            source,
        };
        crate::files::check_dir_path(dir, super::STATE_DIR)?;
        super::write::create_dir(dir).map_err(io)?;
        let file = wait_for(
            &path,
            timeout,
            &mut on_wait,
            || loop {
                let file = open_lock_file(&path, Access::Create)?.expect("created if missing");
                match file.try_lock() {
                    // force-unlock may have removed the file we waited on: a lock on a
                    // file no longer at the path protects nothing, so open it again.
                    Ok(()) if !same_file(&file, &path) => continue,
                    Ok(()) => return Ok(Some(file)),
                    Err(TryLockError::WouldBlock) => return Ok(None),
                    Err(TryLockError::Error(e)) => {
                        return Err(StateError::LockIo {
                            path: path.clone(),
                            source: e,
                        });
                    }
                }
            },
            || read_holder(&path),
        )?;
        Lock::hold(file, path, command)
    }

    /// Shares the lock on `dir` for reading the state (`plan`), waiting as
    /// [`Lock::acquire`] does while a writer holds it. Needs no write access: an existing
    /// lock file is opened read-only, and without one (nobody ever wrote this state under
    /// a lock, or force-unlock removed it) there is nothing to share: `Ok(None)`, and the
    /// state is read as is (every write is an atomic rename, so a read sees a whole file).
    pub fn acquire_shared(dir: &Path, timeout: Duration) -> Result<Option<ReadLock>, StateError> {
        Lock::acquire_shared_with(dir, timeout, |_| {})
    }

    /// [`Lock::acquire_shared`], calling `on_wait` once with the holder (if readable)
    /// when it starts waiting, as [`Lock::acquire_with`] does.
    pub fn acquire_shared_with(
        dir: &Path,
        timeout: Duration,
        mut on_wait: impl FnMut(Option<&LockHolder>),
    ) -> Result<Option<ReadLock>, StateError> {
        crate::files::check_dir_path(dir, super::STATE_DIR)?;
        let path = lock_path(dir);
        let file = wait_for(
            &path,
            timeout,
            &mut on_wait,
            || loop {
                let Some(file) = open_lock_file(&path, Access::Read)? else {
                    return Ok(Some(None));
                };
                match file.try_lock_shared() {
                    Ok(()) if !same_file(&file, &path) => continue,
                    Ok(()) => return Ok(Some(Some(file))),
                    Err(TryLockError::WouldBlock) => return Ok(None),
                    Err(TryLockError::Error(e)) => {
                        return Err(StateError::LockIo {
                            path: path.clone(),
                            source: e,
                        });
                    }
                }
            },
            || read_holder(&path),
        )?;
        Ok(file.map(|file| ReadLock { _file: file }))
    }

    fn hold(mut file: File, path: PathBuf, command: &str) -> Result<Lock, StateError> {
        let holder = LockHolder::new(command);
        let mut text = serde_json::to_string_pretty(&holder).expect("plain struct serializes");
        text.push('\n');
        let io = |source| StateError::LockIo {
            path: path.clone(),
            source,
        };
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        Ok(Lock { file, path, holder })
    }

    pub fn holder(&self) -> &LockHolder {
        &self.holder
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A shared hold on the state lock, for reading; dropping it releases it.
#[derive(Debug)]
pub struct ReadLock {
    _file: File,
}

/// How the lock file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Read and write, created if missing (a writer taking the lock).
    Create,
    /// Read and write, not created (force-unlock's check).
    Write,
    /// Read only, not created (a reader sharing the lock).
    Read,
}

/// Opens the lock file without following a link (O_NOFOLLOW: a link at the path fails
/// the open, dangling or not, and nothing is created through it) and without blocking
/// on a FIFO, and checks that what was opened is a regular file. `Ok(None)`: no file
/// and `access` does not create one.
fn open_lock_file(path: &Path, access: Access) -> Result<Option<File>, StateError> {
    let mut options = OpenOptions::new();
    options.read(true);
    if access != Access::Read {
        options.write(true);
    }
    if access == Access::Create {
        options.create(true).truncate(false);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        // Readable by all (a reader shares the lock), writable by its owner, whatever
        // the umask: a world-writable lock file could be held by anyone.
        options.mode(0o644);
    }
    let not_regular = |kind| StateError::LockNotRegular {
        path: path.to_path_buf(),
        kind,
    };
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && access != Access::Create => {
            return Ok(None);
        }
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(not_regular("a symbolic link"));
        }
        Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => {
            return Err(not_regular("a directory"));
        }
        Err(source) => {
            return Err(StateError::LockIo {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let metadata = file.metadata().map_err(|source| StateError::LockIo {
        path: path.to_path_buf(),
        source,
    })?;
    if !metadata.is_file() {
        return Err(not_regular(crate::files::describe(&metadata.file_type())));
    }
    // A hard link is a second name of another file, which taking the lock would empty.
    #[cfg(unix)]
    if std::os::unix::fs::MetadataExt::nlink(&metadata) > 1 {
        return Err(not_regular("a hard link to another file"));
    }
    Ok(Some(file))
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Clear the holder info so a later reader does not take it for a live holder;
        // closing the file (when `self.file` drops) releases the OS lock.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// The most of a lock file read for its holder info: the JSON is about 200 bytes.
const HOLDER_LIMIT: u64 = 64 * 1024;

/// The holder info in the lock file, if it is there, a regular file and readable.
pub fn read_holder(path: &Path) -> Option<LockHolder> {
    let file = open_lock_file(path, Access::Read).ok()??;
    let mut text = String::new();
    file.take(HOLDER_LIMIT).read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// What `vpnform force-unlock` finds before it acts ([`super::Backend::lock_status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockStatus {
    /// No lock file (the local backend).
    NoLockFile,
    /// A lock no process holds (a crashed run left its file): the next run takes it
    /// anyway; nothing needs forcing. The stale holder info, if any.
    NotHeld(Option<LockHolder>),
    /// A process (a postgres session) holds the lock: who, if its holder info is
    /// readable, and on postgres the server session that holds it.
    Held {
        holder: Option<LockHolder>,
        session: Option<i32>,
    },
}

/// Whether the lock in `dir` is held, without taking it for longer than the check.
pub fn lock_status(dir: &Path) -> Result<LockStatus, StateError> {
    let path = lock_path(dir);
    let Some(file) = open_lock_file(&path, Access::Write)? else {
        return Ok(LockStatus::NoLockFile);
    };
    let holder = read_holder(&path);
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            Ok(LockStatus::NotHeld(holder))
        }
        Err(TryLockError::WouldBlock) => Ok(LockStatus::Held {
            holder,
            session: None,
        }),
        Err(TryLockError::Error(source)) => Err(StateError::LockIo { path, source }),
    }
}

/// Removes the lock file of `dir`. The process that held the lock (if it still runs)
/// keeps its OS lock on the removed file and does not notice; the next vpnform run
/// creates a new lock file and proceeds. So this is only safe when that process will
/// not write the state again: it is gone, hung for good, or on a host that is down.
pub fn force_unlock(dir: &Path) -> Result<(), StateError> {
    let path = lock_path(dir);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StateError::LockIo { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_fails_at_once_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = Lock::acquire(dir.path(), "vpnform apply", Duration::ZERO).unwrap();
        let err = Lock::acquire(dir.path(), "vpnform plan", Duration::ZERO).unwrap_err();
        let StateError::Locked { holder, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(holder.as_deref(), Some(first.holder()));
        let text = err.to_string();
        assert!(
            text.contains(&format!("held by pid {}", std::process::id())),
            "{text}"
        );
        assert!(text.contains("running `vpnform apply`"), "{text}");
        assert!(text.contains("vpnform force-unlock"), "{text}");
        drop(first);
        let again = Lock::acquire(dir.path(), "vpnform plan", Duration::ZERO).unwrap();
        assert_eq!(
            read_holder(&lock_path(dir.path())).as_ref(),
            Some(again.holder())
        );
    }

    #[test]
    fn a_released_lock_leaves_an_empty_file_not_held() {
        let dir = tempfile::tempdir().unwrap();
        drop(Lock::acquire(dir.path(), "x", Duration::ZERO).unwrap());
        assert_eq!(lock_status(dir.path()).unwrap(), LockStatus::NotHeld(None));
        assert_eq!(std::fs::read_to_string(lock_path(dir.path())).unwrap(), "");
    }

    #[test]
    fn status_sees_a_held_lock_and_force_unlock_lets_the_next_run_in() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(lock_status(dir.path()).unwrap(), LockStatus::NoLockFile);
        let stuck = Lock::acquire(dir.path(), "vpnform apply", Duration::ZERO).unwrap();
        assert_eq!(
            lock_status(dir.path()).unwrap(),
            LockStatus::Held {
                holder: Some(stuck.holder().clone()),
                session: None
            }
        );
        force_unlock(dir.path()).unwrap();
        let next = Lock::acquire(dir.path(), "vpnform apply", Duration::ZERO).unwrap();
        assert_ne!(next.holder().id, stuck.holder().id);
    }

    #[test]
    fn waiting_acquire_gets_the_lock_when_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = Lock::acquire(dir.path(), "a", Duration::ZERO).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let path = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            Lock::acquire_with(&path, "b", Duration::from_secs(600), |_| {
                tx.send(()).unwrap()
            })
            .map(|l| l.holder().command.clone())
        });
        rx.recv().unwrap();
        drop(first);
        assert_eq!(waiter.join().unwrap().unwrap(), "b");
    }
}
