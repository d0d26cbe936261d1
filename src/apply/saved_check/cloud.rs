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
/// forget drops a resource only if it is really gone, and an adopt records a resource
/// listed (an IPsec server on the gateway the plan names), with the attributes the cloud
/// answers.
pub(crate) fn check_cloud(
    actions: &[Action],
    path: &Path,
    found: &crate::plan::online::Inventory,
) -> Result<(), Refused> {
    let mut lines = Vec::new();
    for a in actions.iter().filter(|a| needs_cloud(a)) {
        let list = a.address.kind().facts().calls.list;
        // Where the resource is listed: its gateway (empty for a kind without a lane).
        let place = |id: &str| -> Option<String> {
            match found.servers.get(id) {
                Some(server) => Some(format!(" (on {})", server.vpn_gateway)),
                None => found.observed(id).map(|_| String::new()),
            }
        };
        if let Some(gone) = &a.recreates {
            if let Some(on) = place(gone) {
                lines.push(format!(
                    "{}: the saved plan creates it again as {gone} is gone from the cloud, but \
                     {list} lists {gone} in {}{on}",
                    a.address, a.region
                ));
            }
            continue;
        }
        let listed = found.observed(&a.id);
        match (a.action, listed) {
            (ActionKind::Forget, Some(_)) => lines.push(format!(
                "{}: the saved plan forgets {} as gone from the cloud, but {list} lists it in \
                 {}{}; it stays in the state",
                a.address,
                a.id,
                a.region,
                place(&a.id).unwrap_or_default()
            )),
            (ActionKind::Adopt, None) => lines.push(format!(
                "{}: the saved plan adopts {}, but {list} does not list it in {}",
                a.address, a.id, a.region
            )),
            (ActionKind::Adopt, Some(_))
                if found
                    .servers
                    .get(&a.id)
                    .is_some_and(|s| s.vpn_gateway != a.vpn_gateway) =>
            {
                lines.push(format!(
                    "{}: the saved plan adopts {} on {}, but {list} lists it on {}",
                    a.address, a.id, a.vpn_gateway, found.servers[&a.id].vpn_gateway
                ))
            }
            // An offline plan records no attributes: existence on the gateway is its check.
            (ActionKind::Adopt, Some(_)) if a.attributes.is_empty() => {}
            (ActionKind::Adopt, Some(now)) => {
                let keys: BTreeSet<&String> = now.keys().chain(a.attributes.keys()).collect();
                for key in keys {
                    let (saved, listed) = (a.attributes.get(key), now.get(key));
                    if saved != listed {
                        let show =
                            |v: Option<&String>| v.map_or("(none)".into(), |v| format!("{v:?}"));
                        lines.push(format!(
                            "{}: the saved plan records {key} = {} for {}, {list} answers {}",
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
