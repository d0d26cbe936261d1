//! The one bounded reader for every file vpnform reads (the desired file, the state and
//! its backup, saved plans, pre-shared key files, sandbox world files) and careful writes
//! of the files it owns. It sits under `config`, `state`, `plan` and `sandbox`, which all
//! read files a user (or a commit) can replace.
//!
//! - Reading follows a symbolic link (a link to a state kept elsewhere is fine), but only
//!   a regular file is read (a FIFO, a device such as `/dev/zero` or a directory is
//!   refused before a byte is read), and never more than the file kind's limit.
//! - Writing never goes through or over a link: the link is refused, so a link planted
//!   in the checkout cannot send vpnform's writes elsewhere, and the real target cannot
//!   silently go stale. A new file gets mode 0600 whatever the umask; a file that is
//!   replaced keeps its mode.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// A kind of file vpnform reads, with the most bytes it reads of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kind {
    /// What the file is, for messages: "state file", "saved plan".
    pub(crate) what: &'static str,
    /// The size limit in bytes.
    pub(crate) limit: u64,
    /// What a real file of this kind weighs, for the message.
    pub(crate) typical: &'static str,
}

/// The state file. 100,000 servers from `scripts/gen-state.py` take 23.6 MB; with every
/// observed attribute recorded (IKE and IPsec configs, times) a server takes about
/// 900 bytes, so 100,000 of them take about 90 MB: 256 MiB leaves room for more than
/// twice that, while `/dev/zero`-like input stops long before memory runs out.
pub(crate) const STATE: Kind = Kind {
    what: "state file",
    limit: 256 * 1024 * 1024,
    typical: "100,000 servers take about 25 to 90 MiB",
};

/// A backup of the state file: the same bytes, the same limit.
pub(crate) const BACKUP: Kind = Kind {
    what: "state backup",
    ..STATE
};

/// A saved plan (`plan --out`). A plan of 100,000 deletes weighs about 60 MB (measured
/// with `scripts/gen-state.py`), a plan of 100,000 updates with their attributes more:
/// 256 MiB, as for the state it was made from.
pub(crate) const SAVED_PLAN: Kind = Kind {
    what: "saved plan",
    limit: 256 * 1024 * 1024,
    typical: "a plan of 100,000 actions takes about 60 to 150 MiB",
};

/// A sandbox world file (`sandbox serve --world`): a world as large as a state takes
/// about as many bytes, so the state's limit.
pub(crate) const WORLD: Kind = Kind {
    what: "world file",
    typical: "a world of 100,000 servers takes about 25 to 90 MiB",
    ..STATE
};

/// A `.gitignore` (`vpnform init` adds its lines to one): a few hundred lines at most.
pub(crate) const GITIGNORE: Kind = Kind {
    what: ".gitignore",
    limit: 1024 * 1024,
    typical: "a few hundred lines take a few KiB",
};

/// The request rates learned by earlier runs (`ops::rates`): a few hundred lines at most.
pub(crate) const RATES: Kind = Kind {
    what: "learned request rates",
    limit: 64 * 1024,
    typical: "a few hundred lines take a few KiB",
};

/// Why a file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read the {what} {}: {source}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write the {what} {}: {source}", path.display())]
    Write {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "cannot read the {what} {}: it is {kind}, not a regular file; vpnform reads a {what} \
         only from a regular file. Pass the path of the file itself.",
        path.display()
    )]
    NotRegular {
        what: &'static str,
        path: PathBuf,
        kind: &'static str,
    },

    #[error(
        "cannot read the {what} {}: it is larger than {} ({limit} bytes), the most vpnform \
         reads of a {what} ({typical}). This is not a file vpnform wrote: check the path.",
        path.display(),
        human_size(*limit)
    )]
    TooLarge {
        what: &'static str,
        path: PathBuf,
        limit: u64,
        typical: &'static str,
    },

    #[error(
        "refusing to write the {what} {}: it is a symbolic link{}. vpnform never writes through \
         or over a link: a link planted in a checkout could send the write anywhere. Remove the \
         link, or replace it with a copy of what it points to (`cp --remove-destination {} {}`), \
         and run again.",
        path.display(),
        target.as_ref().map(|t| format!(" (to {})", t.display())).unwrap_or_default(),
        target.as_ref().map_or_else(|| "TARGET".to_string(), |t| t.display().to_string()),
        path.display()
    )]
    Symlink {
        what: &'static str,
        path: PathBuf,
        target: Option<PathBuf>,
    },

    #[error(
        "refusing to write the {what} {}: it is {kind}, not a regular file. Move it out of the \
         way, or write to another path.",
        path.display()
    )]
    NotRegularTarget {
        what: &'static str,
        path: PathBuf,
        kind: &'static str,
    },

    #[error(
        "refusing to use the {what} {}: {} on its path is a symbolic link{}. vpnform never reads or \
         writes through a linked directory in the working tree: a link committed to a checkout \
         could send the state, its lock and its backup anywhere. Replace the link by the \
         directory it points to, or name the real directory (`--state DIR`).",
        dir.display(),
        link.display(),
        target.as_ref().map(|t| format!(" (to {})", t.display())).unwrap_or_default()
    )]
    LinkedDir {
        what: &'static str,
        dir: PathBuf,
        link: PathBuf,
        target: Option<PathBuf>,
    },
}

impl FileError {
    /// Whether reading failed because there is no file.
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, FileError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// `256 MiB`, `64 KiB`, `12 bytes`.
pub(crate) fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// What a file type is called in messages.
pub(crate) fn describe(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading without blocking on a FIFO (which would wait for a writer
/// forever) and checks it is a regular file.
fn open_regular(path: &Path, kind: Kind) -> Result<File, FileError> {
    let read_error = |source| FileError::Read {
        what: kind.what,
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(read_error)?;
    let metadata = file.metadata().map_err(read_error)?;
    if !metadata.is_file() {
        return Err(FileError::NotRegular {
            what: kind.what,
            path: path.to_path_buf(),
            kind: describe(&metadata.file_type()),
        });
    }
    if metadata.len() > kind.limit {
        return Err(too_large(path, kind));
    }
    Ok(file)
}

fn too_large(path: &Path, kind: Kind) -> FileError {
    FileError::TooLarge {
        what: kind.what,
        path: path.to_path_buf(),
        limit: kind.limit,
        typical: kind.typical,
    }
}

/// The bytes of the regular file at `path` (through a link), at most `kind.limit` of
/// them: a larger file is an error naming the limit, found before it is read whole.
pub(crate) fn read(path: &Path, kind: Kind) -> Result<Vec<u8>, FileError> {
    let file = open_regular(path, kind)?;
    let mut bytes = Vec::new();
    // The file may grow after the size check: read one byte past the limit to see it.
    file.take(kind.limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| FileError::Read {
            what: kind.what,
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > kind.limit {
        return Err(too_large(path, kind));
    }
    Ok(bytes)
}

/// Checks that no directory on `dir`'s way is a symbolic link: every component of a
/// relative path (the working tree, where a checkout can plant one), the last one of an
/// absolute path (the directory itself; the rest was typed by the operator). What does
/// not exist yet is no link.
pub(crate) fn check_dir_path(dir: &Path, what: &'static str) -> Result<(), FileError> {
    use std::path::Component;
    let components: Vec<Component<'_>> = dir.components().collect();
    let mut current = PathBuf::new();
    for (i, component) in components.iter().enumerate() {
        current.push(component);
        let checked = dir.is_relative() || i + 1 == components.len();
        if !checked || !matches!(component, Component::Normal(_)) {
            continue;
        }
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                return Err(FileError::LinkedDir {
                    what,
                    dir: dir.to_path_buf(),
                    target: std::fs::read_link(&current).ok(),
                    link: current,
                });
            }
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// Checks that `path` may be replaced: absent, or a regular file (not a link, not a
/// directory). Returns the mode of the file there, if any.
pub(crate) fn check_write_target(
    path: &Path,
    what: &'static str,
) -> Result<Option<u32>, FileError> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(FileError::Write {
                what,
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if metadata.file_type().is_symlink() {
        return Err(FileError::Symlink {
            what,
            path: path.to_path_buf(),
            target: std::fs::read_link(path).ok(),
        });
    }
    if !metadata.is_file() {
        return Err(FileError::NotRegularTarget {
            what,
            path: path.to_path_buf(),
            kind: describe(&metadata.file_type()),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        Ok(Some(metadata.permissions().mode() & 0o7777))
    }
    #[cfg(not(unix))]
    Ok(None)
}

/// Replaces `path` by `bytes` atomically: a temp file in the same directory, fsync,
/// rename over `path`, fsync of the directory (`atomic-write-file`, which removes the
/// temp file on any error). Refuses a link or a non-regular file at `path`; a new file
/// gets mode 0600, a replaced one keeps its mode.
pub(crate) fn write_atomic(path: &Path, what: &'static str, bytes: &[u8]) -> Result<(), FileError> {
    let io = |source| FileError::Write {
        what,
        path: path.to_path_buf(),
        source,
    };
    let mode = check_write_target(path, what)?;
    let mut options = atomic_write_file::AtomicWriteFile::options();
    #[cfg(unix)]
    {
        use atomic_write_file::unix::OpenOptionsExt as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        // The crate would copy the mode of whatever is at the path when it opens; the
        // mode is taken from the check above instead, so a link swapped in meanwhile
        // cannot lend its 0777.
        options.preserve_mode(false);
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Set explicitly: the create mode above is masked by the umask (0600 under umask
        // 0277 would be 0400), and a replaced file keeps its own mode.
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode.unwrap_or(0o600)))
            .map_err(io)?;
    }
    file.write_all(bytes).map_err(io)?;
    file.commit().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Kind = Kind {
        what: "test file",
        limit: 8,
        typical: "a few bytes",
    };

    #[test]
    fn reads_up_to_the_limit_and_refuses_one_byte_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345678").unwrap();
        assert_eq!(read(&path, SMALL).unwrap(), b"12345678");
        std::fs::write(&path, b"123456789").unwrap();
        let err = read(&path, SMALL).unwrap_err();
        assert!(matches!(err, FileError::TooLarge { limit: 8, .. }), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn an_unbounded_device_is_refused_before_it_is_read() {
        let err = read(Path::new("/dev/zero"), STATE).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot read the state file /dev/zero: it is a character device, not a regular \
             file; vpnform reads a state file only from a regular file. Pass the path of the \
             file itself."
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_write_keeps_the_mode_of_the_file_it_replaces_and_new_files_are_0600() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomic(&path, "test file", b"a").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&path), 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, "test file", b"b").unwrap();
        assert_eq!(mode(&path), 0o640);
        assert_eq!(std::fs::read(&path).unwrap(), b"b");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(256 * 1024 * 1024), "256 MiB");
        assert_eq!(human_size(64 * 1024), "64 KiB");
        assert_eq!(human_size(10), "10 bytes");
    }
}
