//! What can go wrong with the state file and its lock. Each variant carries the file
//! and, where known, the line and column, and its message ends with what to do.

use std::path::PathBuf;
use std::time::Duration;

use crate::Address;

use super::holder::LockHolder;

/// The advice for a state file vpnform cannot read. Said once, in one place, because
/// every read error ends with it.
const RESTORE_ADVICE: &str = "vpnform left the file untouched and will not overwrite it. \
Restore a good copy from version control (`git log -p -- FILE`) or from \
FILE.backup (written by `vpnform state rm`), then run the command again.";

fn restore_advice(path: &std::path::Path) -> String {
    RESTORE_ADVICE.replace("FILE", &path.display().to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The postgres backend's database.
    #[error(transparent)]
    Postgres(#[from] PgError),

    #[error("cannot read the state file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Not a regular file, over the size limit, a link in place of a file to write.
    #[error(transparent)]
    File(#[from] crate::files::FileError),

    #[error(
        "{}:{line}:{column}: the state file is not valid UTF-8 (byte 0x{byte:02x}); vpnform writes \
UTF-8 only, so the file was damaged (a bad merge, an editor's encoding, a binary copy).\n{snippet}{}",
        path.display(), restore_advice(path)
    )]
    NotUtf8 {
        path: PathBuf,
        line: u64,
        column: u64,
        /// The first byte that is not UTF-8.
        byte: u8,
        snippet: String,
    },

    /// The serial cannot rise: stale-plan detection depends on serials only rising.
    #[error(
        "refusing to write {}: its serial {serial} is the largest a state can hold, and the next \
write would wrap it to 0, so that saved plans made long ago would look current. vpnform \
never writes such a serial; nothing was changed. A serial that high was written by hand: \
restore the state from version control (`git log -p -- {}`).",
        path.display(), path.display()
    )]
    SerialOverflow { path: PathBuf, serial: u64 },

    /// The file is not YAML of the state's shape: syntax, a truncated file, an unknown
    /// field, a duplicate key, a missing field.
    #[error("{}:{line}:{column}: {message}\n{snippet}{}", path.display(), restore_advice(path))]
    Parse {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
        /// The offending line with a caret under the column (may be empty).
        snippet: String,
    },

    #[error(
        "{}: the state file is empty; a state file always has at least `version`, `lineage` and `serial`.\n{}",
        path.display(), restore_advice(path)
    )]
    Empty { path: PathBuf },

    #[error(
        "{}: the state file looks truncated: {why}. vpnform writes every state file whole, ending with the `pending:` line and a newline, so this one was cut short (a failed copy, a bad merge, a full disk). {}",
        path.display(), restore_advice(path)
    )]
    Truncated { path: PathBuf, why: &'static str },

    #[error(
        "{}:{line}:{column}: this state file was written by a newer vpnform (state format version {found}; this vpnform reads version {supported}).\n{snippet}Upgrade vpnform to work with this state; vpnform left the file untouched.",
        path.display(), supported = super::STATE_VERSION
    )]
    NewerVersion {
        path: PathBuf,
        line: u64,
        column: u64,
        found: u64,
        snippet: String,
    },

    #[error(
        "{}:{line}:{column}: unsupported state format version {found}; this vpnform reads version {supported}.\n{snippet}{}",
        path.display(), restore_advice(path), supported = super::STATE_VERSION
    )]
    UnsupportedVersion {
        path: PathBuf,
        line: u64,
        column: u64,
        found: u64,
        snippet: String,
    },

    /// Valid YAML of the right shape with a value that cannot be right (a lineage that is
    /// not a UUID, an id without `iss-`, ...).
    #[error("{}:{line}:{column}: {message}\n{snippet}{}", path.display(), restore_advice(path))]
    Invalid {
        path: PathBuf,
        line: u64,
        column: u64,
        /// The resource the problem is in, if any.
        address: Option<Address>,
        message: String,
        snippet: String,
    },

    #[error("cannot write the state file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot serialize the state for {path}: {message}")]
    Serialize { path: PathBuf, message: String },

    /// A write would replace a state of another lineage: two workspaces mixed up.
    #[error(
        "refusing to write {}: it holds lineage {on_disk}, but this run read lineage {writing}. \
Another state was put in its place while vpnform ran; check which one is right before running again.",
        path.display()
    )]
    LineageChanged {
        path: PathBuf,
        on_disk: String,
        writing: String,
    },

    #[error(
        "no state file at {}: vpnform manages no resources here yet (pass --state DIR if the state is elsewhere)",
        path.display()
    )]
    NoState { path: PathBuf },

    /// [`StateError::NoState`] for a backend that is no file (`postgres schema NAME`).
    #[error("no state in {place}: vpnform manages no resources there yet")]
    NoStateIn { place: String },

    /// A write from a writer that started from another serial than the one stored: its
    /// lock was lost or forced, and another run wrote meanwhile.
    #[error(
        "refusing to write the state in {place}: it holds {found}, but this run started \
from {expected}. Another run wrote the state meanwhile (this run's lock was lost or forced), so \
nothing was overwritten. Run `vpnform plan` to see the state as it is now."
    )]
    Conflict {
        /// The state file, or `postgres schema NAME`.
        place: String,
        expected: String,
        found: String,
    },

    /// `state push` (or `init --migrate-state`) of another state than the one there.
    #[error(
        "refusing to replace the state in {to}: it holds lineage {there}, and {from} is lineage \
{here}, another state. Nothing was written. Check that the backend names the right schema{force}"
    )]
    OtherLineage {
        to: String,
        from: String,
        there: String,
        here: String,
        force: &'static str,
    },

    /// `state push` (or `init --migrate-state`) of a state that is not newer.
    #[error(
        "refusing to replace the state in {to}: it is at serial {there}, and {from} is at serial \
{here} of the same lineage, not newer. Nothing was written. `vpnform state pull` shows what is \
there{force}"
    )]
    NotNewer {
        to: String,
        from: String,
        there: u64,
        here: u64,
        force: &'static str,
    },

    #[error("{}", locked_message(path, holder.as_deref(), *waited))]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Who holds it, as written in the lock file (None if unreadable or being written).
        holder: Option<Box<LockHolder>>,
        /// How long this run waited (`--lock-timeout`).
        waited: Duration,
    },

    #[error(
        "the lock file {} is {kind}, not a regular file; vpnform opens its lock file only as a \
regular file, never through a link (a planted link would make it truncate the link's target). \
Remove it (`rm {}`) and run again: vpnform creates the lock file itself.",
        path.display(), path.display()
    )]
    LockNotRegular { path: PathBuf, kind: &'static str },

    #[error("cannot use the lock file {path}: {source}")]
    LockIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}", unknown_message(addresses, suggestions, path))]
    UnknownAddress {
        /// The state file.
        path: PathBuf,
        /// Every address asked for that is not in the state, in the order given (as
        /// written: it need not be an address at all).
        addresses: Vec<String>,
        /// Close matches among the recorded addresses, per unknown address.
        suggestions: Vec<Vec<Address>>,
    },

    /// `state mv` to text that is not an address.
    #[error("{0}. Nothing was changed.")]
    BadAddress(crate::address::AddressError),

    /// `state mv` to an address the state already records.
    #[error(
        "{address} is already in {}: `state mv` never replaces a recorded resource. \
Move to another address, or forget that one first (`vpnform state rm {address}`) if its record is wrong. Nothing was changed.",
        path.display()
    )]
    AddressExists { path: PathBuf, address: Address },

    #[error(
        "`vpnform state mv` renames an address within its kind: {from} cannot become {to}, an address of another kind. Nothing was changed."
    )]
    OtherKind { from: Address, to: Address },

    #[error(
        "{address} has a pending {action} (ClientToken {client_token}, journaled at {started_at}) whose result is not confirmed yet; \
run `vpnform apply` to resolve the pending operation first. Nothing was changed."
    )]
    Pending {
        address: Address,
        action: String,
        client_token: String,
        started_at: String,
    },
}

/// A stored state's version as the write conflict names it: `serial 4 of lineage L`, or
/// `no state`.
pub(crate) fn version_text(version: Option<(&str, u64)>) -> String {
    match version {
        Some((lineage, serial)) => format!("serial {serial} of lineage {lineage}"),
        None => "no state".to_string(),
    }
}

fn locked_message(path: &std::path::Path, holder: Option<&LockHolder>, waited: Duration) -> String {
    let who = match holder {
        Some(h) => format!("held by {} (lock id {})", h.describe(), h.id),
        None => "held by another process (its holder info is not readable yet)".to_string(),
    };
    let waited = if waited.is_zero() {
        String::new()
    } else {
        format!(" after waiting {}", crate::duration::human(waited))
    };
    format!(
        "the state is locked{waited}: {} is {who}.\n\
Wait for that run to finish, or wait for the lock with `--lock-timeout 5m`. \
If that process is gone but its host or filesystem still holds the lock (a hung process, a network filesystem), \
run `vpnform force-unlock`.",
        path.display()
    )
}

fn unknown_message(
    addresses: &[String],
    suggestions: &[Vec<Address>],
    path: &std::path::Path,
) -> String {
    let mut text = String::new();
    for (i, address) in addresses.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str(&format!("no resource {address} in {}", path.display()));
        match suggestions.get(i) {
            Some(close) if !close.is_empty() => {
                text.push_str("; did you mean ");
                let quoted: Vec<String> = close.iter().map(|a| format!("`{a}`")).collect();
                text.push_str(&quoted.join(" or "));
                text.push('?');
            }
            _ => {}
        }
    }
    text.push_str("\nNothing was changed. `vpnform state list` shows the recorded addresses.");
    text
}

/// The line `line` (1-based) of `source` with a caret under `column` (1-based), in the
/// style of rustc and serde-saphyr: `  |` gutter, line number, caret. Empty if the line
/// is not in the source (a truncated file's end).
pub(crate) fn snippet(source: &str, line: u64, column: u64) -> String {
    // Lines as the YAML parser numbers them (a lone `\r` is a break too).
    let mut lines = crate::yaml::source_lines(source);
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let Some(whole) = lines.get(line.saturating_sub(1) as usize) else {
        return String::new();
    };
    // A line-sized excerpt around the column: a 50 MB one-line value is not echoed.
    let (text, column) = crate::yaml::excerpt(whole, column);
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    let caret_pad: String = text
        .chars()
        .take(column.saturating_sub(1) as usize)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("{pad} |\n{number} | {text}\n{pad} | {caret_pad}^\n")
}

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "no PostgreSQL connection for the postgres backend (schema {schema}): set VPNFORM_PG_URL \
(e.g. postgresql://USER@HOST:5432/DB?sslmode=require) or the standard PGHOST, PGPORT, PGUSER, \
PGPASSWORD, PGDATABASE variables; vpnform never reads the connection from a file in the repository"
    )]
    NoConnection { schema: String },

    #[error("the PostgreSQL connection in {variable} does not parse: {message}")]
    BadConnection { variable: String, message: String },

    #[error("cannot connect to PostgreSQL at {target} (from {from}): {message}")]
    Connect {
        target: String,
        from: String,
        message: String,
    },

    #[error(
        "PostgreSQL at {target}, schema {schema}: {message}. Run the command again once the \
database answers: every write that was confirmed is kept, and apply resolves what was pending"
    )]
    Query {
        target: String,
        schema: String,
        message: String,
    },

    #[error(
        "the postgres schema {schema} at {target} holds no vpnform state tables: run `vpnform init` \
to create them (and `vpnform init --migrate-state` to copy a local state in)"
    )]
    NotInitialized { target: String, schema: String },

    #[error(
        "the postgres schema {schema} at {target} has layout version {found}, newer than this vpnform \
reads ({reads}): use the vpnform that migrated it"
    )]
    NewerSchema {
        target: String,
        schema: String,
        found: i32,
        /// The layout version this vpnform reads and writes.
        reads: i32,
    },

    #[error(
        "refusing to write the state in postgres schema {schema}: this run no longer holds the \
state lock (its connection ended, or `vpnform force-unlock` ended it), so nothing was written. \
Run `vpnform apply` again: it resolves what this run left pending."
    )]
    LockLost { schema: String },

    #[error(
        "refusing to write the state in postgres schema {schema}: its serial {serial} does not fit \
PostgreSQL's bigint"
    )]
    SerialTooLarge { schema: String, serial: u64 },

    #[error("the postgres schema {schema} holds a row vpnform cannot read ({what}): {message}")]
    Corrupt {
        schema: String,
        what: String,
        message: String,
    },
}
