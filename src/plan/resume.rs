//! The journal's entries as plan actions: what an interrupted run left in `pending` is
//! resolved by the plan that shows it, never behind it.
//!
//! An address with a `pending` entry gets exactly one action this plan: the entry's
//! resolution (re-send the journaled operation with its token and `sent` values, confirm,
//! record). Whatever else the desired file asks of that address (a changed value, a new
//! gateway, a delete) is planned by the next plan, from the state the resolution leaves.
//! The entries were checked against the state and the desired file before planning
//! ([`crate::apply::check_pending`]); what is checked here is protection, which a plan
//! refuses like any other delete of a protected server.

use std::collections::BTreeSet;

use super::model::{Action, ActionKind, FieldChange, Precheck, PskNote, Replaced, Resumes};
use super::{SENSITIVE, drift, sorted};
use crate::Address;
use crate::config::Desired;
use crate::state::{PendingOp, State};

/// Reasons a resolution is shown with.
pub(crate) mod reason {
    pub(crate) const DELETE: &str = "its delete was journaled by an interrupted run";
    pub(crate) const DEPOSED: &str = "it is the old server of an interrupted replace";
    pub(crate) const CREATE: &str = "its create was journaled by an interrupted run";
    pub(crate) const REPLACE: &str = "its replace was journaled by an interrupted run";
    pub(crate) const ORPHAN: &str = "its create was journaled by an interrupted run, and it is no \
                              longer desired: the create is re-sent with its token to learn \
                              whether it made a server, which is then deleted";
    pub(crate) const UPDATE: &str = "its update was journaled by an interrupted run";
    pub(crate) const UPDATE_GONE: &str =
        "gone from the cloud at refresh; the update an interrupted run journaled is dropped";
}

/// Why a journal entry's resolution is refused: it would delete a protected server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedEntry {
    pub address: Address,
    /// The server the resolution would delete.
    pub id: String,
    /// `state` or `desired file`: where the protection is.
    pub by: &'static str,
    /// The journaled operation.
    pub operation: String,
}

/// Why an entry gets no action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    Protected(ProtectedEntry),
    /// An entry the journal check lets through never gets here; the planner does not
    /// rely on it.
    Corrupt {
        address: Address,
        problem: String,
    },
}

/// The action that resolves `p`, or why it may not run.
pub(super) fn resolve(
    p: &PendingOp,
    desired: &Desired,
    state: &State,
    gone: Option<&BTreeSet<Address>>,
) -> Result<Action, Refusal> {
    let want = desired.servers.get(&p.address);
    let recorded = state.resources.get(&p.address);
    let protected_by = |recorded_protect: bool| {
        if recorded_protect {
            Some("state")
        } else if want.is_some_and(|w| w.protect) {
            Some("desired file")
        } else {
            None
        }
    };
    let refuse = |id: &str, by: &'static str| {
        Refusal::Protected(ProtectedEntry {
            address: p.address.clone(),
            id: id.to_owned(),
            by,
            operation: p.action.clone(),
        })
    };
    let resumes = |deposed: bool| {
        Some(Resumes {
            action: p.action.clone(),
            client_token: p.client_token.clone(),
            plan_hash: p.plan_hash.clone(),
            deposed,
        })
    };
    let sent = p.sent.clone().unwrap_or_default();
    let sent_psk = sent.psk.clone().map(|source| PskNote {
        source,
        changed: true,
    });
    let mut action = Action {
        address: p.address.clone(),
        resource_kind: p.address.kind().as_str().into(),
        action: ActionKind::Delete,
        id: p.id.clone().unwrap_or_default(),
        region: p.region.clone(),
        vpn_gateway: p.vpn_gateway.clone(),
        depends_on: Vec::new(),
        client_token: String::new(),
        precheck: Precheck::Skipped,
        reason: String::new(),
        protect: false,
        attributes: Default::default(),
        changes: Vec::new(),
        psk: None,
        replaced: None,
        resumes: resumes(false),
        recreates: None,
        moved_from: None,
    };
    match (p.action.as_str(), recorded) {
        ("delete", Some(r)) => {
            if let Some(d) = r.deposed.as_ref().filter(|d| p.id.as_ref() == Some(&d.id)) {
                if let Some(by) = protected_by(r.protect) {
                    return Err(refuse(&d.id, by));
                }
                action.id = d.id.clone();
                action.region = d.region.clone();
                action.vpn_gateway = d.vpn_gateway.clone();
                action.reason = reason::DEPOSED.into();
                action.resumes = resumes(true);
            } else {
                if let Some(by) = protected_by(r.protect) {
                    return Err(refuse(&r.id, by));
                }
                action.id = r.id.clone();
                action.depends_on = sorted(&r.depends_on);
                action.attributes = r.attributes.clone();
                action.reason = reason::DELETE.into();
            }
        }
        ("create", Some(r)) => {
            // A replace's create half: the address records the old server elsewhere.
            if let Some(by) = protected_by(r.protect) {
                return Err(refuse(&r.id, by));
            }
            action.action = ActionKind::Replace;
            action.id = r.id.clone();
            action.depends_on = want.map(|w| sorted(&w.depends_on)).unwrap_or_default();
            action.protect = want.is_some_and(|w| w.protect);
            action.attributes = sent.values;
            action.psk = sent_psk;
            action.reason = reason::REPLACE.into();
            // Journaled as a create while the address records the old one: create first.
            action.replaced = Some(Replaced {
                vpn_gateway: r.vpn_gateway.clone(),
                region: r.region.clone(),
                client_token: String::new(),
                precheck: Precheck::Skipped,
                destroy_first: false,
                references: references(&p.address, r),
            });
        }
        ("create", None) => {
            action.attributes = sent.values;
            action.psk = sent_psk;
            match want {
                Some(w) => {
                    action.action = ActionKind::Create;
                    action.depends_on = sorted(&w.depends_on);
                    action.protect = w.protect;
                    action.reason = reason::CREATE.into();
                }
                // What it ends in, if anything: the delete of the server it made.
                None => action.reason = reason::ORPHAN.into(),
            }
        }
        ("update", Some(r)) => {
            action.id = r.id.clone();
            action.region = r.region.clone();
            action.vpn_gateway = r.vpn_gateway.clone();
            action.depends_on = sorted(&r.depends_on);
            action.protect = r.protect;
            action.attributes = r.attributes.clone();
            if gone.is_some_and(|g| g.contains(&p.address)) {
                action.action = ActionKind::Forget;
                action.reason = reason::UPDATE_GONE.into();
                return Ok(action);
            }
            action.action = ActionKind::Update;
            action.reason = reason::UPDATE.into();
            action.changes = sent
                .values
                .iter()
                .map(|(field, to)| FieldChange {
                    field: field.clone(),
                    from: r
                        .attributes
                        .get(field)
                        .cloned()
                        .unwrap_or_else(|| drift::NOT_RECORDED.into()),
                    to: to.clone(),
                })
                .collect();
            if sent_psk.is_some() {
                action.changes.push(FieldChange {
                    field: "psk".into(),
                    from: SENSITIVE.into(),
                    to: SENSITIVE.into(),
                });
            }
            action.psk = sent_psk;
        }
        (_, None) => {
            return Err(Refusal::Corrupt {
                address: p.address.clone(),
                problem: format!(
                    "a journaled {} of an address the state does not record",
                    p.action
                ),
            });
        }
        _ => {
            return Err(Refusal::Corrupt {
                address: p.address.clone(),
                problem: format!("`{}` is not an operation vpnform journals", p.action),
            });
        }
    }
    Ok(action)
}

/// The ids the recorded resource `r` references (a connection's customer gateways).
pub(super) fn references(address: &Address, r: &crate::state::Resource) -> Vec<String> {
    let kind = address.kind().facts();
    let mut ids: Vec<String> = r
        .attributes
        .iter()
        .filter(|(field, _)| kind.attribute(field).is_some_and(|a| a.reference))
        .map(|(_, id)| id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}
