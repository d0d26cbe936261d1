//! The plan hash and ClientTokens: what makes a plan identifiable and its operations
//! idempotent. A re-run of the same plan (same state lineage and serial, same actions)
//! gives the same hash and therefore the same tokens, so a request whose answer was lost
//! is never a second operation.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::{ActionKind, Plan};

/// The hashed view of a plan. Field order is the key order of the canonical JSON.
#[derive(Serialize)]
struct CanonicalPlan<'a> {
    lineage: &'a str,
    serial: u64,
    // Absent when the plan is not targeted, so that such a plan hashes as before.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    targets: &'a [crate::Address],
    actions: Vec<CanonicalAction<'a>>,
}

/// The hashed view of one action. Field order is the key order of the canonical JSON.
#[derive(Serialize)]
struct CanonicalAction<'a> {
    address: &'a str,
    kind: &'a str,
    action: ActionKind,
    id: &'a str,
    region: &'a str,
    gateway: &'a str,
    depends_on: &'a [crate::Address],
}

/// The canonical JSON a plan hash is computed over.
///
/// Exactly: `serde_json`'s compact form (no whitespace at all; strings escaped as
/// serde_json does: `"` `\` and control characters, everything else as UTF-8) of
///
/// ```text
/// {"lineage":STRING,"serial":INTEGER,"actions":[ACTION,...]}
/// ACTION = {"address":STRING,"kind":STRING,"action":STRING,"id":STRING,
///           "region":STRING,"gateway":STRING,"depends_on":[STRING,...]}
/// ```
///
/// with keys in exactly that order, `actions` sorted by `address` (byte order),
/// `kind` the resource kind (`ipsec_server`), `action` one of `delete`, `adopt`,
/// `forget`, `gateway` the VPN gateway id and `depends_on` as the action carries it
/// (sorted, deduplicated). Prechecks, reasons, attributes and tokens are not hashed:
/// the hash names what the plan does, not what a dry run answered.
pub fn canonical_json(plan: &Plan) -> String {
    let mut actions: Vec<CanonicalAction> = plan
        .actions
        .iter()
        .map(|a| CanonicalAction {
            address: &a.address,
            kind: &a.resource_kind,
            action: a.action,
            id: &a.id,
            region: &a.region,
            gateway: &a.vpn_gateway,
            depends_on: &a.depends_on,
        })
        .collect();
    actions.sort_by(|a, b| a.address.cmp(b.address));
    let canonical = CanonicalPlan {
        lineage: &plan.lineage,
        serial: plan.serial,
        targets: &plan.targets,
        actions,
    };
    serde_json::to_string(&canonical).expect("plain structs of strings serialize")
}

/// Lower-case hex SHA-256 of [`canonical_json`].
pub fn plan_hash(plan: &Plan) -> String {
    hex::encode(Sha256::digest(canonical_json(plan).as_bytes()))
}

/// `vpnform-` + the first 32 hex digits of SHA-256(`{plan_hash}:{address}:{action}`):
/// 40 ASCII characters, within the API's 64.
pub fn client_token(plan_hash: &str, address: &str, action: ActionKind) -> String {
    let input = format!("{plan_hash}:{address}:{}", action.as_str());
    let digest = hex::encode(Sha256::digest(input.as_bytes()));
    format!("vpnform-{}", &digest[..32])
}

impl ActionKind {
    /// The word used in hashes, tokens, JSON and the state journal.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Delete => "delete",
            ActionKind::Adopt => "adopt",
            ActionKind::Forget => "forget",
            ActionKind::Update => "update",
        }
    }
}
