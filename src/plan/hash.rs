//! The plan hash and ClientTokens: what makes a plan identifiable and its operations
//! idempotent. A re-run of the same plan (same state lineage and serial, same actions)
//! gives the same hash and therefore the same tokens, so a request whose answer was lost
//! is never a second operation.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::{ActionKind, Plan};

/// The hashed view of a plan. Field order is the key order of the canonical JSON.
#[derive(Serialize)]
struct CanonicalPlan<'a> {
    lineage: &'a str,
    serial: u64,
    /// The desired file as apply must read it: a plan made for another file is refused.
    desired_path: &'a str,
    // Absent when the plan is not targeted, so that such a plan hashes as before.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    targets: &'a [crate::Address],
    // Absent unless set, so that every other plan hashes as before.
    #[serde(skip_serializing_if = "is_false")]
    refresh_only: bool,
    #[serde(skip_serializing_if = "is_false")]
    read_only: bool,
    #[serde(skip_serializing_if = "is_false")]
    destroy: bool,
    actions: Vec<CanonicalAction<'a>>,
}

fn is_false(b: &bool) -> bool {
    !*b
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
    /// The managed values after the change: a create's attributes, an update's changed
    /// fields. Absent (not `{}`) when there are none, so the hash of a plan without
    /// creates or updates of the cloud is what it was before they existed.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    values: BTreeMap<&'a str, &'a str>,
    /// The PSK's source and whether the action sets it; never the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    psk: Option<CanonicalPsk>,
    /// A replace's old server: where the delete half goes (`id` is the old id).
    #[serde(skip_serializing_if = "Option::is_none")]
    replaces: Option<CanonicalOld<'a>>,
    /// The journal entry the action resolves: what it re-sends, with which token.
    #[serde(skip_serializing_if = "Option::is_none")]
    resumes: Option<&'a super::model::Resumes>,
    /// A create again of a recorded server gone from the cloud: its recorded id.
    #[serde(skip_serializing_if = "Option::is_none")]
    recreates: Option<&'a str>,
    /// The recorded address a move renames to this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    moved_from: Option<&'a str>,
}

#[derive(Serialize)]
struct CanonicalOld<'a> {
    region: &'a str,
    gateway: &'a str,
    #[serde(skip_serializing_if = "is_false")]
    destroy_first: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [String],
}

#[derive(Serialize)]
struct CanonicalPsk {
    source: String,
    changed: bool,
}

/// The canonical JSON a plan hash is computed over.
///
/// Exactly: `serde_json`'s compact form (no whitespace at all; strings escaped as
/// serde_json does: `"` `\` and control characters, everything else as UTF-8) of
///
/// ```text
/// {"lineage":STRING,"serial":INTEGER,"desired_path":STRING[,"targets":[STRING,...]]
///  [,"refresh_only":true][,"read_only":true][,"destroy":true],
///  "actions":[ACTION,...]}
/// ACTION = {"address":STRING,"kind":STRING,"action":STRING,"id":STRING,
///           "region":STRING,"gateway":STRING,"depends_on":[STRING,...]
///           [,"values":{FIELD:STRING,...}] [,"psk":{"source":STRING,"changed":BOOL}]
///           [,"replaces":{"region":STRING,"gateway":STRING[,"destroy_first":true]
///                         [,"references":[STRING,...]]}]
///           [,"resumes":{"action":STRING,"client_token":STRING,"plan_hash":STRING
///                        [,"deposed":true]}] [,"recreates":STRING] [,"moved_from":STRING]}
/// ```
///
/// with keys in exactly that order, `targets` only when the plan is targeted,
/// `refresh_only` only for a `--refresh-only` plan, `read_only` only for a `--read-only`
/// one (apply runs its deferred prechecks), `destroy` only for a `--destroy` one, `actions` sorted by `address` (byte order),
/// `kind` the resource kind (`ipsec_server`), `action` one of `create`, `update`,
/// `delete`, `adopt`, `forget`, `replace` (whose `id` is the old server's, `region` and
/// `gateway` the new one's, `replaces` the old one's place, whether it is destroyed first where that is the plan's
/// choice, and the ids it references), `values` the managed attribute values a create sets or
/// an update changes to (absent when none), `psk` the PSK's source (`env NAME` or
/// `file PATH`) and whether the action sets it (absent without one), `gateway` the VPN gateway id and `depends_on` as the action carries it
/// (sorted, deduplicated), `desired_path` the desired file as the plan read it, and
/// `resumes` the journal entry of an interrupted run that the action resolves (the
/// operation it re-sends, its token and plan), and `recreates` the recorded id of a
/// server gone from the cloud that a create makes again, `moved_from` the recorded
/// address a move renames. Prechecks, reasons, attributes and the
/// action's own tokens are not hashed: the hash names what the plan does, not what a
/// dry run answered.
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
            values: match a.action {
                _ if a.resumes.as_ref().is_some_and(|r| r.action == "create") => a
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect(),
                ActionKind::Create | ActionKind::Replace => a
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect(),
                _ => a
                    .cloud_changes()
                    .map(|c| (c.field.as_str(), c.to.as_str()))
                    .collect(),
            },
            psk: a.psk.as_ref().map(|p| CanonicalPsk {
                source: p.source.to_string(),
                changed: p.changed,
            }),
            replaces: a.replaced.as_ref().map(|old| CanonicalOld {
                region: &old.region,
                gateway: &old.vpn_gateway,
                destroy_first: old.destroy_first,
                references: &old.references,
            }),
            resumes: a.resumes.as_ref(),
            recreates: a.recreates.as_deref(),
            moved_from: a.moved_from.as_ref().map(|m| m.as_str()),
        })
        .collect();
    actions.sort_by(|a, b| a.address.cmp(b.address));
    let canonical = CanonicalPlan {
        lineage: &plan.lineage,
        serial: plan.serial,
        desired_path: &plan.desired_path,
        targets: &plan.targets,
        refresh_only: plan.refresh_only,
        read_only: plan.read_only,
        destroy: plan.destroy,
        actions,
    };
    serde_json::to_string(&canonical).expect("plain structs of strings serialize")
}

/// Lower-case hex SHA-256 of [`canonical_json`].
pub fn plan_hash(plan: &Plan) -> String {
    hex::encode(Sha256::digest(canonical_json(plan).as_bytes()))
}

/// `vpnform-` + the first 32 hex digits of
/// SHA-256(`{lineage}:{plan_hash}:{address}:{operation}`): 40 ASCII characters, within
/// the API's 64. `operation` is an action's word (`create`, `update`, `delete`) or a
/// replace's half (`replace:create`, `replace:delete`). The lineage binds the token to
/// this state: a plan hash is public, and another state's journal entry naming it
/// yields another token, never this state's operation.
pub fn client_token(lineage: &str, plan_hash: &str, address: &str, operation: &str) -> String {
    let input = format!("{lineage}:{plan_hash}:{address}:{operation}");
    let digest = hex::encode(Sha256::digest(input.as_bytes()));
    format!("vpnform-{}", &digest[..32])
}

/// The token an earlier vpnform (before tokens bound the lineage) gave an operation:
/// SHA-256(`{plan_hash}:{address}:{action}`). Only recognised, to refuse such a journal
/// entry with advice, never sent.
pub fn legacy_client_token(plan_hash: &str, address: &str, action: &str) -> String {
    let input = format!("{plan_hash}:{address}:{action}");
    let digest = hex::encode(Sha256::digest(input.as_bytes()));
    format!("vpnform-{}", &digest[..32])
}

/// A replace's create half, as tokens and the journal name it.
pub const REPLACE_CREATE: &str = "replace:create";
/// A replace's delete half (and the journaled delete of its deposed server).
pub const REPLACE_DELETE: &str = "replace:delete";

/// An action's ClientTokens for `lineage` and `plan_hash`: its own (a replace's create
/// half's), and a replace's delete half's. A replace that resumes an interrupted one
/// deletes its old server with the token of the plan that journaled the create.
pub fn action_tokens(
    lineage: &str,
    plan_hash: &str,
    action: &super::Action,
) -> (String, Option<String>) {
    let address = action.address.as_str();
    match action.action {
        // Destroy, then create: the delete is journaled while the address records the
        // server, the create once it records nothing, each as the plain operation.
        ActionKind::Replace if action.replaces_in_place() => (
            client_token(lineage, plan_hash, address, ActionKind::Create.as_str()),
            Some(client_token(
                lineage,
                plan_hash,
                address,
                ActionKind::Delete.as_str(),
            )),
        ),
        ActionKind::Replace => {
            let journaled = action.resumes.as_ref().map_or(plan_hash, |r| &r.plan_hash);
            (
                client_token(lineage, plan_hash, address, REPLACE_CREATE),
                Some(client_token(lineage, journaled, address, REPLACE_DELETE)),
            )
        }
        kind => (
            client_token(lineage, plan_hash, address, kind.as_str()),
            None,
        ),
    }
}

impl ActionKind {
    /// The word used in hashes, tokens, JSON and the state journal.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Create => "create",
            ActionKind::Delete => "delete",
            ActionKind::Adopt => "adopt",
            ActionKind::Forget => "forget",
            ActionKind::Update => "update",
            ActionKind::Replace => "replace",
        }
    }
}
