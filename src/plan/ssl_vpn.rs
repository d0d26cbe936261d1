//! Rule 6 of the VPN-gateway family, for the planner and the graph: the cloud deletes
//! an SSL-VPN server's client certificates with it.
//!
//! - A certificate the plan deletes whose server the plan deletes (or replaces) is
//!   *folded* into the server's delete: it waits for that delete (the reverse of a
//!   reference's usual order), sends no DeleteSslVpnClientCert, and is recorded gone
//!   once its server is confirmed gone.
//! - A certificate the plan keeps whose server (named by address) the plan replaces is
//!   replaced too: the old one goes with the old server, and a new one is created on
//!   the new server. One named by the replaced server's id is a plan error (that id
//!   will be gone).
//! - Every delete or replace of a certificate disconnects every client of its server:
//!   the plan warns, one line per server.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Action, ActionKind};
use crate::Address;
use crate::address::Kind;
use crate::config::Desired;
use crate::state::State;

/// The server action `cert`'s delete is folded into: a delete of a certificate whose
/// recorded server the plan deletes or replaces.
pub(crate) fn folded_into<'a>(cert: &Action, actions: &'a [Action]) -> Option<&'a Address> {
    if cert.address.kind() != Kind::SslVpnClientCert || cert.action != ActionKind::Delete {
        return None;
    }
    let server = cert.attributes.get("ssl_vpn_server")?;
    actions
        .iter()
        .find(|s| {
            s.address.kind() == Kind::SslVpnServer
                && matches!(s.action, ActionKind::Delete | ActionKind::Replace)
                && s.id == *server
        })
        .map(|s| &s.address)
}

/// How a folded certificate delete's reason starts.
const FOLDED: &str = "its server ";

/// Why a folded certificate delete sends nothing.
fn folded_reason(server: &Address) -> String {
    format!(
        "{FOLDED}{server} is destroyed by this plan, and the cloud deletes a server's \
         certificates with it: no call is sent, it is recorded gone once {server} is"
    )
}

/// Whether `action` is a certificate delete folded into its server's (its reason says
/// so, as the plan shows it).
pub(crate) fn is_folded(action: &Action) -> bool {
    action.address.kind() == Kind::SslVpnClientCert
        && action.action == ActionKind::Delete
        && action.reason.starts_with(FOLDED)
}

/// A certificate named by the id of a server the plan replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanedCert {
    pub cert: Address,
    pub server: Address,
    pub id: String,
}

/// Applies rule 6 to `actions`: the replaces a server's replace implies, the folded
/// deletes' reasons, and the warnings.
pub(crate) fn rule_six(
    actions: &mut Vec<Action>,
    desired: &Desired,
    state: &State,
    warnings: &mut Vec<String>,
) -> Result<(), Vec<OrphanedCert>> {
    let replaced: Vec<(Address, String)> = actions
        .iter()
        .filter(|a| a.address.kind() == Kind::SslVpnServer && a.action == ActionKind::Replace)
        .map(|a| (a.address.clone(), a.id.clone()))
        .collect();
    let mut orphaned = Vec::new();
    for (server, old_id) in &replaced {
        for (address, entry) in &desired.servers {
            if address.kind() != Kind::SslVpnClientCert {
                continue;
            }
            let Some(recorded) = state.resources.get(address) else {
                continue;
            };
            if recorded.attributes.get("ssl_vpn_server") != Some(old_id) {
                continue;
            }
            let at = actions.iter().position(|a| &a.address == address);
            if at.is_some_and(|i| {
                actions[i].resumes.is_some()
                    || !matches!(actions[i].action, ActionKind::Update | ActionKind::Adopt)
            }) {
                continue;
            }
            if !entry.depends_on.contains(server) {
                orphaned.push(OrphanedCert {
                    cert: address.clone(),
                    server: server.clone(),
                    id: old_id.clone(),
                });
                continue;
            }
            let mut entry = entry.clone();
            for (field, value) in entry.values.iter_mut() {
                if *field == "ssl_vpn_server" {
                    *value = server.to_string();
                }
            }
            let mut replace = super::replace(address, &entry, recorded);
            replace.reason = format!(
                "its server {server} is replaced, and the cloud deletes a server's \
                 certificates with it"
            );
            match at {
                Some(i) => actions[i] = replace,
                None => actions.push(replace),
            }
        }
    }
    if !orphaned.is_empty() {
        return Err(orphaned);
    }
    let folded: Vec<(usize, Address)> = actions
        .iter()
        .enumerate()
        .filter_map(|(i, a)| Some((i, folded_into(a, actions)?.clone())))
        .collect();
    for (i, server) in folded {
        actions[i].reason = folded_reason(&server);
    }
    // Deleting or replacing any certificate disconnects every client of its server.
    let mut by_server: BTreeMap<String, BTreeSet<&Address>> = BTreeMap::new();
    for a in actions.iter() {
        if a.address.kind() == Kind::SslVpnClientCert
            && (matches!(a.action, ActionKind::Delete | ActionKind::Replace))
        {
            let server = state
                .resources
                .get(&a.address)
                .and_then(|r| r.attributes.get("ssl_vpn_server"))
                .or_else(|| a.attributes.get("ssl_vpn_server"))
                .cloned()
                .unwrap_or_default();
            by_server.entry(server).or_default().insert(&a.address);
        }
    }
    for (server, certs) in by_server {
        let list: Vec<&str> = certs.iter().map(|a| a.as_str()).collect();
        warnings.push(format!(
            "this plan deletes or replaces {} of SSL-VPN server {server} ({}): deleting \
             any certificate disconnects every client of its server, who must connect \
             again",
            if list.len() == 1 {
                "a certificate"
            } else {
                "certificates"
            },
            list.join(", ")
        ));
    }
    Ok(())
}

/// The plan error of certificates named by the id of a server the plan replaces.
pub(crate) fn render_orphaned(list: &[OrphanedCert]) -> String {
    list.iter()
        .map(|o| {
            format!(
                "{}: its server {} ({}) is replaced by this plan, and the cloud deletes a \
                 server's certificates with it; the certificate names the server by that \
                 id, which will be gone: write `ssl_vpn_server: {}` so that it is replaced \
                 on the new server",
                o.cert, o.server, o.id, o.server
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
