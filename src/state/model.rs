//! The state file's format. Field order here is the order written; maps are sorted, so
//! the same state always serializes to the same bytes and a git diff is the review.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Address;

pub const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub version: u32,
    /// A UUID fixed when the state is created; a saved plan for another lineage is refused.
    pub lineage: String,
    /// +1 on every write that changes the state.
    pub serial: u64,
    /// The saved plan that is writing (or last wrote) this state and the serial it
    /// started from, so that an interrupted apply of that plan can resume: it is not
    /// stale for its own progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applying: Option<ApplyingPlan>,
    #[serde(default)]
    pub resources: BTreeMap<Address, Resource>,
    /// The intent journal: operations sent (or about to be sent) whose result is not yet
    /// confirmed. A run that finds entries here resolves them first.
    #[serde(default)]
    pub pending: Vec<PendingOp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    pub id: String,
    pub region: String,
    /// The gateway whose lane the resource is on; empty for a kind without a lane
    /// (customer gateways), and then not written.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub vpn_gateway: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Address>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
    /// Where the entry's pre-shared key comes from, as the desired file named it when
    /// the server was last written: the source only, never the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psk: Option<PskRecord>,
    /// Read from the cloud at refresh, in the text form ListIpsecServers answers
    /// (`name`, `local_subnet`, `client_ip_pool`, `effect_immediately`, `internet_ip`,
    /// `ike_config.*`, `ipsec_config.*`, `creation_time`). Never the PSK.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// A replace in progress (Terraform's word): the old server this address recorded
    /// before its replacement was confirmed, kept until its delete (journaled in
    /// `pending` with its own token) is confirmed too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposed: Option<Deposed>,
}

/// The server a replace superseded, still to be deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deposed {
    pub id: String,
    pub vpn_gateway: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingOp {
    pub address: Address,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// The server's id; absent for a create whose answer has not been recorded (the
    /// gateway's one server is listed to resolve it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub region: String,
    /// The lane's gateway; empty (not written) for a kind without a lane.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub vpn_gateway: String,
    /// The ClientToken the operation was (or will be) sent with; every re-send uses it.
    pub client_token: String,
    pub plan_hash: String,
    /// RFC 3339 UTC time the intent was journaled.
    pub started_at: String,
    /// A create's managed values and PSK source as sent (never the key): a create whose
    /// desired entry is gone since can still be re-sent identically (same token, same
    /// parameters) to learn from the cloud whether it took effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<SentCreate>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentCreate {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psk: Option<PskRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyingPlan {
    pub plan_hash: String,
    pub base_serial: u64,
}

/// A PSK source as the state records it: `{env: NAME}` or `{file: PATH}` (the path as
/// written in the desired file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PskRecord {
    Env(String),
    File(String),
    /// Each tunnel's own source (a dual-tunnel connection's `tunnels[].psk`).
    Tunnels {
        master: Box<PskRecord>,
        slave: Box<PskRecord>,
    },
}

impl PskRecord {
    pub fn of(source: &crate::secret::PskSource) -> PskRecord {
        use crate::secret::PskSource;
        match source {
            PskSource::Env(name) => PskRecord::Env(name.clone()),
            PskSource::File { written, .. } => PskRecord::File(written.clone()),
            PskSource::Tunnels { master, slave } => PskRecord::Tunnels {
                master: Box::new(PskRecord::of(master)),
                slave: Box::new(PskRecord::of(slave)),
            },
        }
    }

    /// The source this record names, a file's path taken relative to `dir` (the desired
    /// file's directory), as the desired file's own `psk` is.
    pub fn source(&self, dir: &std::path::Path) -> crate::secret::PskSource {
        use crate::secret::PskSource;
        match self {
            PskRecord::Env(name) => PskSource::Env(name.clone()),
            PskRecord::File(written) => PskSource::File {
                written: written.clone(),
                path: dir.join(written),
            },
            PskRecord::Tunnels { master, slave } => PskSource::Tunnels {
                master: Box::new(master.source(dir)),
                slave: Box::new(slave.source(dir)),
            },
        }
    }
}

impl std::fmt::Display for PskRecord {
    /// `env NAME` or `file PATH`, as plans show a source.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PskRecord::Env(name) => write!(f, "env {name}"),
            PskRecord::File(path) => write!(f, "file {path}"),
            PskRecord::Tunnels { master, slave } => {
                write!(f, "{master} (master), {slave} (slave)")
            }
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl State {
    /// A fresh state: version 1, a new random lineage, serial 0, nothing recorded.
    pub fn with_new_lineage() -> Self {
        State {
            version: STATE_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            applying: None,
            resources: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// Whether `self` and `other` record the same thing, serial aside: a write that
    /// would change nothing else does not bump the serial.
    pub fn same_content(&self, other: &State) -> bool {
        State {
            serial: other.serial,
            ..self.clone()
        } == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_state_has_a_fresh_v4_lineage() {
        let a = State::with_new_lineage();
        let b = State::with_new_lineage();
        assert_ne!(a.lineage, b.lineage);
        let id = uuid::Uuid::parse_str(&a.lineage).unwrap();
        assert_eq!(id.get_version_num(), 4);
        assert_eq!((a.version, a.serial), (1, 0));
        assert!(a.resources.is_empty() && a.pending.is_empty() && a.applying.is_none());
    }

    #[test]
    fn same_content_ignores_only_the_serial() {
        let a = State::with_new_lineage();
        let mut b = a.clone();
        b.serial = 7;
        assert!(a.same_content(&b));
        b.applying = Some(ApplyingPlan {
            plan_hash: "h".into(),
            base_serial: 0,
        });
        assert!(!a.same_content(&b));
    }
}
