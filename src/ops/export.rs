//! `vpnform export ssl_vpn_client_cert.NAME --dir DIR`: reads a recorded certificate's
//! material with DescribeSslVpnClientCert and writes it into four files, each created
//! with mode 0600 (never widened then narrowed): `ca.crt`, `client.crt`, `client.key`
//! and `NAME.ovpn` (the OpenVPN client configuration, which names the other three).
//!
//! The material is a client's key to the network: it is never stored, printed or
//! logged, so this is the one place it leaves a [`crate::secret::Secret`]. A directory
//! inside a git work tree is refused (a key one `git add .` away from a commit), and
//! an existing file is never overwritten, unless `force`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Reporter;
use crate::Address;
use crate::address::Kind;

/// What to export, and where.
pub struct ExportRequest {
    pub desired: PathBuf,
    pub state_dir: PathBuf,
    /// The address as the user wrote it.
    pub address: String,
    pub dir: PathBuf,
    /// Write inside a git work tree, and over existing files.
    pub force: bool,
    pub cloud: super::Cloud,
}

/// Why an export did not happen: each names the address or the place and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "`{0}` is not a resource address: write ssl_vpn_client_cert.NAME (`vpnform state list` shows the recorded ones)"
    )]
    NotAnAddress(String),
    #[error(
        "{0} is not an SSL-VPN client certificate: `vpnform export` writes a certificate's files; name an ssl_vpn_client_cert address"
    )]
    NotACertificate(Address),
    #[error(
        "{0} is not recorded in the state: apply the desired file first (`vpnform state list` shows the recorded addresses)"
    )]
    NotRecorded(Address),
    #[error(
        "{dir} is inside the git work tree at {root}: a client key there is one `git add` away from a commit; choose a directory outside it, or pass --force"
    )]
    InGitWorkTree { dir: PathBuf, root: PathBuf },
    #[error(
        "{0} already exists: remove it, export to another directory, or pass --force to replace it"
    )]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The files an export writes, for `name` (the address's name): in this order.
pub fn file_names(name: &str) -> [String; 4] {
    [
        "ca.crt".to_owned(),
        "client.crt".to_owned(),
        "client.key".to_owned(),
        format!("{name}.ovpn"),
    ]
}

/// Reads the certificate `request.address` names and writes its files; returns their
/// paths.
pub async fn run(
    request: &ExportRequest,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<Vec<PathBuf>> {
    let address: Address = request
        .address
        .parse()
        .map_err(|_| ExportError::NotAnAddress(request.address.clone()))?;
    if address.kind() != Kind::SslVpnClientCert {
        return Err(ExportError::NotACertificate(address).into());
    }
    if !request.force
        && let Some(root) = git_work_tree(&request.dir)
    {
        return Err(ExportError::InGitWorkTree {
            dir: request.dir.clone(),
            root,
        }
        .into());
    }
    let backend = super::state_backend(&request.desired, &request.state_dir)?;
    let state = backend
        .read()?
        .unwrap_or_else(crate::state::State::with_new_lineage);
    let Some(recorded) = state.resources.get(&address) else {
        return Err(ExportError::NotRecorded(address).into());
    };
    let names = file_names(crate::plan::resource_name(address.as_str()));
    let paths: Vec<PathBuf> = names.iter().map(|n| request.dir.join(n)).collect();
    if !request.force
        && let Some(existing) = paths.iter().find(|p| p.symlink_metadata().is_ok())
    {
        return Err(ExportError::Exists(existing.clone()).into());
    }
    let connection = super::connect::connect(&request.cloud, &state, None, &reporter).await?;
    let answer = connection
        .client
        .describe_ssl_vpn_client_cert(&recorded.region, &recorded.id)
        .await;
    connection.close().await;
    let material = answer?;
    std::fs::create_dir_all(&request.dir).map_err(|source| ExportError::Write {
        path: request.dir.clone(),
        source,
    })?;
    let contents = [
        &material.ca_cert,
        &material.client_cert,
        &material.client_key,
        &material.client_config,
    ];
    for (path, secret) in paths.iter().zip(contents) {
        write_private(path, secret.expose().as_bytes(), request.force)?;
    }
    Ok(paths)
}

/// Writes `bytes` to `path` whole or not at all, mode 0600 (set explicitly so that
/// neither the umask nor a file it replaces decides). A new file is written unnamed
/// where the system allows it ([`write_unnamed`]), so a run killed meanwhile leaves no
/// trace; else, and to replace a file, a temp file beside it, fsync, rename over `path`,
/// fsync of the directory: a run killed meanwhile leaves the old file (or none), never
/// half a key. Without `replace`, an existing `path` is refused.
fn write_private(path: &Path, bytes: &[u8], replace: bool) -> Result<(), ExportError> {
    let failed = |source| ExportError::Write {
        path: path.to_owned(),
        source,
    };
    if !replace && path.symlink_metadata().is_ok() {
        return Err(ExportError::Exists(path.to_owned()));
    }
    #[cfg(target_os = "linux")]
    if !replace && write_unnamed(path, bytes)? {
        return Ok(());
    }
    let mut options = atomic_write_file::AtomicWriteFile::options();
    #[cfg(unix)]
    {
        use atomic_write_file::unix::OpenOptionsExt as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        options.preserve_mode(false);
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(failed)?;
    }
    file.write_all(bytes).map_err(failed)?;
    file.commit().map_err(failed)
}

/// Linux: `bytes` written into a file without a name in `path`'s directory
/// (`O_TMPFILE`, mode 0600), synced, then named `path` with `linkat`, which never
/// replaces a file (an existing `path` is refused), then the directory synced. Killed
/// before the link, the file never had a name: the directory holds nothing of it, not a
/// temp file with part of a key. `Ok(false)` where the file system or `/proc` does not
/// allow it: the caller writes through a named temp file.
#[cfg(target_os = "linux")]
fn write_unnamed(path: &Path, bytes: &[u8]) -> Result<bool, ExportError> {
    use std::os::fd::AsRawFd as _;
    use std::os::unix::ffi::OsStrExt as _;
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let failed = |source| ExportError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let opened = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o600)
        .open(dir);
    let mut file = match opened {
        Ok(file) => file,
        Err(e) if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR)) => {
            return Ok(false);
        }
        Err(e) => return Err(failed(e)),
    };
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    let from = format!("/proc/self/fd/{}\0", file.as_raw_fd());
    let mut to = path.as_os_str().as_bytes().to_vec();
    to.push(0);
    // SAFETY: both paths are NUL-terminated and outlive the call.
    let linked = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr().cast(),
            libc::AT_FDCWD,
            to.as_ptr().cast(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if linked != 0 {
        let e = std::io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::EEXIST) => Err(ExportError::Exists(path.to_owned())),
            // No /proc to name the file by.
            Some(libc::ENOENT) if Path::new(dir).exists() => Ok(false),
            _ => Err(failed(e)),
        };
    }
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(failed)?;
    Ok(true)
}

/// The git work tree `dir` is inside (its own or an ancestor's `.git`), if any. A
/// directory that does not exist yet is judged by its nearest existing ancestor.
fn git_work_tree(dir: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(dir).ok()?;
    let mut at = Some(absolute.as_path());
    while let Some(place) = at {
        if place.join(".git").exists() {
            return Some(place.to_owned());
        }
        at = place.parent();
    }
    None
}
