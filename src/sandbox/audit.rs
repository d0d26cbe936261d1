//! The audit log: one entry per effect (never per call), so a test can prove that an
//! operation happened exactly once however many times it was sent. Kept in memory for
//! in-process tests and, when asked, appended to a file as JSON lines.

use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One effect on the world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When the effect started (RFC 3339 UTC with milliseconds).
    pub time: String,
    /// The API action, e.g. `DeleteIpsecServer`.
    pub action: String,
    /// The resource it acted on (the IPsec server id).
    pub resource: String,
    pub vpn_gateway: String,
    pub(crate) region: String,
    pub client_token: Option<String>,
    pub(crate) request_id: String,
    /// What happened: `deleted`.
    pub effect: String,
    /// When the gateway finished configuring (the server gone, the gateway `active`).
    pub configured_at: String,
    /// When the gateway last became active after an earlier operation (None: it had not
    /// configured since the sandbox started). `time` minus this is how long a client
    /// left the gateway idle between operations.
    pub gateway_active_since: Option<String>,
}

/// Appends JSON lines to the audit file.
#[derive(Debug)]
pub(crate) struct AuditFile {
    file: std::fs::File,
}

impl AuditFile {
    pub(crate) fn open(path: &Path) -> std::io::Result<AuditFile> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(AuditFile { file })
    }

    pub(crate) fn append(&mut self, entry: &AuditEntry) -> std::io::Result<()> {
        let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.flush()
    }
}
