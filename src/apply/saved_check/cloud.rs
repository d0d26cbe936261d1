//! The cloud's part of a saved plan's check: what the plan took from the cloud (a
//! forget's absence, an adopt's server and attributes) read again before it runs.

use std::collections::BTreeSet;
use std::path::Path;

use super::Refused;
use crate::plan::{Action, ActionKind};

/// The regions whose servers apply must read again before running `actions` of a saved
/// plan: those of its forgets (the server must really be gone) and of its adopts (the
/// server must be there, on that gateway; an offline plan's adopt was never verified).
pub(crate) fn cloud_regions(actions: &[Action]) -> BTreeSet<String> {
    actions
        .iter()
        .filter(|a| needs_cloud(a))
        .map(|a| a.region.clone())
        .collect()
}

fn needs_cloud(a: &Action) -> bool {
    matches!(a.action, ActionKind::Forget | ActionKind::Adopt) || a.recreates.is_some()
}

/// Checks what a saved plan took from the cloud against what the cloud lists now: a
/// forget drops a server only if it is really gone, and an adopt records a server listed
/// on the gateway the plan names, with the attributes the cloud answers.
pub(crate) fn check_cloud(
    actions: &[Action],
    path: &Path,
    found: &crate::plan::online::Inventory,
) -> Result<(), Refused> {
    let mut lines = Vec::new();
    for a in actions.iter().filter(|a| needs_cloud(a)) {
        if let Some(gone) = &a.recreates {
            if let Some(server) = found.servers.get(gone) {
                lines.push(format!(
                    "{}: the saved plan creates it again as {gone} is gone from the cloud, but \
                     ListIpsecServers lists {gone} in {} (on {})",
                    a.address, a.region, server.vpn_gateway
                ));
            }
            continue;
        }
        let listed = found.servers.get(&a.id);
        match (a.action, listed) {
            (ActionKind::Forget, Some(server)) => lines.push(format!(
                "{}: the saved plan forgets {} as gone from the cloud, but ListIpsecServers \
                 lists it in {} (on {}); it stays in the state",
                a.address, a.id, a.region, server.vpn_gateway
            )),
            (ActionKind::Adopt, None) => lines.push(format!(
                "{}: the saved plan adopts {}, but ListIpsecServers does not list it in {}",
                a.address, a.id, a.region
            )),
            (ActionKind::Adopt, Some(server)) if server.vpn_gateway != a.vpn_gateway => {
                lines.push(format!(
                    "{}: the saved plan adopts {} on {}, but ListIpsecServers lists it on {}",
                    a.address, a.id, a.vpn_gateway, server.vpn_gateway
                ))
            }
            // An offline plan records no attributes: existence on the gateway is its check.
            (ActionKind::Adopt, Some(_)) if a.attributes.is_empty() => {}
            (ActionKind::Adopt, Some(server)) => {
                let now = crate::plan::online::attributes(server);
                let keys: BTreeSet<&String> = now.keys().chain(a.attributes.keys()).collect();
                for key in keys {
                    let (saved, listed) = (a.attributes.get(key), now.get(key));
                    if saved != listed {
                        let show =
                            |v: Option<&String>| v.map_or("(none)".into(), |v| format!("{v:?}"));
                        lines.push(format!(
                            "{}: the saved plan records {key} = {} for {}, ListIpsecServers \
                             answers {}",
                            a.address,
                            show(saved),
                            a.id,
                            show(listed)
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if lines.is_empty() {
        Ok(())
    } else {
        Err(Refused::Cloud {
            path: path.to_owned(),
            lines,
        })
    }
}
