//! What the sandbox's requests share behind its one lock ([`Inner`]: the world, the
//! idempotency tokens, the audit log, the fault dice) and what an action knows about its
//! call ([`Call`]). Below both the server, which authenticates and dispatches, and the
//! actions, which each get `&mut Inner`.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde_json::Value;

use super::SandboxConfig;
use super::audit::{AuditEntry, AuditFile};
use super::faults::{Buckets, Dice};
use super::live::Live;

/// The state behind the lock. Actions get `&mut Inner`.
pub(crate) struct Inner {
    pub(crate) config: SandboxConfig,
    pub(crate) live: Live,
    pub(crate) dice: Dice,
    pub(crate) buckets: Buckets,
    /// Nonce -> when it was first seen.
    pub(crate) nonces: HashMap<String, Instant>,
    /// ClientToken -> the request's fingerprint and the first answer.
    pub(crate) tokens: HashMap<String, (String, Value)>,
    pub(crate) audit: Vec<AuditEntry>,
    pub(crate) audit_file: Option<AuditFile>,
    pub(crate) calls: BTreeMap<String, u64>,
    /// Maps the monotonic clock to wall time for the audit log.
    pub(crate) epoch: (Instant, jiff::Timestamp),
}

impl Inner {
    /// Wall time of a monotonic instant, RFC 3339 UTC with milliseconds.
    pub(crate) fn wall(&self, at: Instant) -> String {
        let (base, wall) = self.epoch;
        let since = jiff::SignedDuration::try_from(at.saturating_duration_since(base))
            .unwrap_or(jiff::SignedDuration::ZERO);
        let t = wall.checked_add(since).unwrap_or(wall);
        t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// Records an effect in memory and, if asked, in the audit file.
    pub(crate) fn record(&mut self, entry: AuditEntry) {
        if let Some(file) = &mut self.audit_file {
            // The in-memory log stays the truth for tests; a full disk must not turn an
            // applied effect into an error answer, which would invite a second effect.
            let _ = file.append(&entry);
        }
        self.audit.push(entry);
    }
}

/// What an action knows about the call besides its parameters.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) request_id: String,
    /// The instant the action runs: every time comparison in it uses this one.
    pub(crate) now: Instant,
}
