//! A process-wide memory of the state files this process wrote, so that apply's journal
//! (many writes a second) need not parse the whole state back before each write.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Identifies one version of a file: replaced atomically, it gets a new inode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileVersion {
    #[cfg(unix)]
    inode: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

fn file_version(path: &Path) -> Option<FileVersion> {
    let m = std::fs::metadata(path).ok()?;
    Some(FileVersion {
        #[cfg(unix)]
        inode: std::os::unix::fs::MetadataExt::ino(&m),
        len: m.len(),
        modified: m.modified().ok(),
    })
}

type WrittenCache = std::sync::Mutex<BTreeMap<PathBuf, (FileVersion, (String, u64))>>;

fn written_cache() -> &'static WrittenCache {
    static CACHE: std::sync::OnceLock<WrittenCache> = std::sync::OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The lineage and serial of the file at `path` if this process wrote it and it is
/// unchanged since.
pub(super) fn written_by_us(path: &Path) -> Option<(String, u64)> {
    let cache = written_cache().lock().unwrap_or_else(|e| e.into_inner());
    let (version, written) = cache.get(path)?;
    (file_version(path).as_ref() == Some(version)).then(|| written.clone())
}

pub(super) fn remember_written(path: &Path, lineage: &str, serial: u64) {
    let mut cache = written_cache().lock().unwrap_or_else(|e| e.into_inner());
    match file_version(path) {
        Some(v) => {
            cache.insert(path.to_path_buf(), (v, (lineage.to_owned(), serial)));
        }
        None => {
            cache.remove(path);
        }
    }
}
