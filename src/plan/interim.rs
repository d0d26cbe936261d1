//! Stand-ins for the desired-state loader and the state reader, so that `plan` works on
//! this branch before those land.
// TODO(merge): replace with crate::config::load / crate::state::read (and the state
// module's serializer for `state_yaml`); delete this module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context as _, bail};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::config::{Desired, DesiredServer};
use crate::state::State;

/// The state file's name inside the state directory.
pub const STATE_FILE: &str = "vpnform.state.yaml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDesired {
    version: u32,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    ipsec_servers: BTreeMap<String, RawServer>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    region: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    id: Option<String>,
    vpn_gateway: String,
    region: Option<String>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    protect: bool,
}

/// A minimal desired-state reader: no locations, few checks.
pub fn load_desired(path: &Path) -> anyhow::Result<Desired> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the desired state {}", path.display()))?;
    let text = String::from_utf8(bytes.clone())
        .with_context(|| format!("{} is not UTF-8", path.display()))?;
    if text.trim().is_empty() {
        bail!(
            "{} is empty; an empty desired state is an error, never \"delete everything\"",
            path.display()
        );
    }
    let raw: RawDesired = serde_saphyr::from_str_with_options(&text, yaml_options(&text))
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if raw.version != 1 {
        bail!(
            "{}: version {} is not supported (1 is)",
            path.display(),
            raw.version
        );
    }
    let mut servers = BTreeMap::new();
    for (name, server) in raw.ipsec_servers {
        let address = format!("ipsec_server.{name}");
        let Some(id) = server.id else {
            bail!(
                "{}: {address} has no `id`: creating servers is not supported, only keeping \
                 existing ones",
                path.display()
            );
        };
        let Some(region) = server.region.or_else(|| raw.defaults.region.clone()) else {
            bail!(
                "{}: {address} has no region and there is no defaults.region",
                path.display()
            );
        };
        let depends_on: BTreeSet<String> = server.depends_on.into_iter().collect();
        servers.insert(
            address.clone(),
            DesiredServer {
                address,
                id,
                vpn_gateway: server.vpn_gateway,
                region,
                depends_on: depends_on.into_iter().collect(),
                protect: server.protect,
            },
        );
    }
    Ok(Desired {
        path: path.to_path_buf(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        servers,
    })
}

/// Reads `dir/vpnform.state.yaml`; `None` when there is none yet.
pub fn read_state(dir: &Path) -> anyhow::Result<Option<State>> {
    let path = dir.join(STATE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read the state {}", path.display()));
        }
    };
    let state: State = serde_saphyr::from_str_with_options(&text, yaml_options(&text))
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Some(state))
}

/// serde-saphyr's default budget stops at 250,000 nodes (about 25,000 state entries);
/// a node takes at least a byte, so a budget the size of the input never stops a real
/// file while still bounding alias expansion.
fn yaml_options(text: &str) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = budget.max_nodes.max(text.len());
    budget.max_events = budget.max_events.max(2 * text.len());
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// The state file's text, as the state module writes it.
pub fn state_yaml(state: &State) -> String {
    serde_saphyr::to_string(state).expect("the state serializes")
}
