//! `import`: list the IPsec servers of some regions that no address records (neither the
//! state nor a desired `id`), and turn them into desired entries, printed or appended to
//! the desired file (`--write`) so that the next plan adopts each of them.
//!
//! Addresses come from the server names ([`crate::address::name_for_server`]), numbered
//! `_2`, `_3`, ... where they collide with each other or with an address in use.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::{Cloud, Event, Reporter, empty_state};
use crate::Address;
use crate::address::{Kind, name_for_server};
use crate::cloud::{IpsecServer, ListIpsecServers};
use crate::config::{Desired, append};

/// What to import.
pub struct ImportRequest {
    /// The desired-state file (read if it exists; `write` appends to it or creates it).
    pub desired: PathBuf,
    /// The directory of the recorded state.
    pub state_dir: PathBuf,
    /// `--region`: the regions to list; empty: those of the desired file and the state.
    pub regions: Vec<String>,
    /// `--all-regions`: every region vpnform knows.
    pub all_regions: bool,
    /// `--gateway`: only servers on these VPN gateways; empty: all.
    pub gateways: Vec<String>,
    /// `--write`: append the entries to the desired file.
    pub write: bool,
    /// How long to wait for a writer's lock on the state.
    pub lock_timeout: Duration,
    pub cloud: Cloud,
}

/// One region listed, for the progress line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionListed<'a> {
    pub region: &'a str,
    /// Every server listed there.
    pub servers: usize,
    /// Those no address records (on the `--gateway`s, if given).
    pub to_import: usize,
}

/// One server to import and the address it gets.
#[derive(Debug, Clone)]
pub struct Entry {
    pub address: Address,
    pub server: IpsecServer,
}

/// What `import` found and did.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The regions listed, sorted.
    pub regions: Vec<String>,
    /// The servers to import, by address.
    pub entries: Vec<Entry>,
    /// The entries as desired-file YAML, at the indent the file uses.
    pub text: String,
    /// `--write`: whether the file was created (else appended to).
    pub created: bool,
}

/// Lists, names and (with `write`) appends; `on_region` hears each region as it is
/// listed, in region order.
pub async fn run(
    request: &ImportRequest,
    reporter: Arc<dyn Reporter>,
    mut on_region: impl FnMut(&RegionListed<'_>),
) -> anyhow::Result<Imported> {
    if request.cloud.is_rehearsal() {
        anyhow::bail!(
            "import lists the servers of the cloud; --sandbox would list only what the state \
             records. Point --endpoint at a `vpnform sandbox serve` to try it against an emulator"
        );
    }
    for gateway in &request.gateways {
        if !crate::id::is_id(gateway, crate::id::VPN_GATEWAY) {
            anyhow::bail!(
                "--gateway {gateway}: not a VPN gateway id (vpn- and lower-case letters and \
                 digits, e.g. vpn-bp1q8bgx4xnkm2ogjabcd)"
            );
        }
    }
    let state = {
        let _lock = crate::state::Lock::acquire_shared_with(
            &request.state_dir,
            request.lock_timeout,
            |holder| {
                reporter.event(&Event::LockWait {
                    holder,
                    timeout: request.lock_timeout,
                })
            },
        )?;
        crate::state::read(&request.state_dir)?
    }
    .unwrap_or_else(empty_state);
    let recorded: BTreeSet<Address> = state.resources.keys().cloned().collect();
    let existing = match crate::config::read_bytes(&request.desired) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => {
                let desired = crate::config::load_str(&request.desired, &text, &recorded)?;
                Some((text, desired))
            }
            // The loader says where the bad byte is.
            Err(_) => {
                return Err(crate::config::load(&request.desired, &recorded)
                    .unwrap_err()
                    .into());
            }
        },
        Err(crate::config::ConfigError::NotFound { .. }) => None,
        Err(err) => return Err(err.into()),
    };
    let desired = existing.as_ref().map(|(_, d)| d);
    let regions = regions(request, desired, &state)?;

    let connection = super::connect::connect(&request.cloud, &state, desired, &reporter).await?;
    let listed = list(&connection.client, &regions).await;
    connection.close().await;

    let known: BTreeSet<&str> = state
        .resources
        .values()
        .map(|r| r.id.as_str())
        .chain(
            desired
                .iter()
                .flat_map(|d| d.servers.values().map(|s| s.id.as_str())),
        )
        .collect();
    let mut found: Vec<IpsecServer> = Vec::new();
    for (region, answer) in listed {
        let servers =
            answer.with_context(|| format!("cannot list the IPsec servers of {region}"))?;
        let total = servers.len();
        let before = found.len();
        found.extend(servers.into_iter().filter(|s| {
            !known.contains(s.id.as_str())
                && (request.gateways.is_empty() || request.gateways.contains(&s.vpn_gateway))
        }));
        on_region(&RegionListed {
            region: &region,
            servers: total,
            to_import: found.len() - before,
        });
    }

    let mut taken: BTreeSet<String> = recorded.iter().map(|a| a.name().to_owned()).collect();
    if let Some(d) = desired {
        taken.extend(d.servers.keys().map(|a| a.name().to_owned()));
    }
    let entries = name(found, &mut taken);

    let point = match &existing {
        Some((text, _)) => Some(append::append_point(&request.desired, text)),
        None => None,
    };
    let indent = match &point {
        Some(Ok(p)) => p.indent,
        _ => 2,
    };
    let text = render(&entries, indent);
    let mut created = false;
    if request.write && !entries.is_empty() {
        let new_text = match (&existing, point) {
            (Some((old, _)), Some(point)) => append::appended(old, &point?, &text),
            _ => {
                created = true;
                format!("version: 1\nipsec_servers:\n{text}")
            }
        };
        // What is written must load as what was printed: checked before the write.
        crate::config::load_str(&request.desired, &new_text, &recorded).with_context(|| {
            format!(
                "the entries import made do not validate in {}; nothing was written (a bug in \
                 vpnform: please report it with the entries printed by `vpnform import`)",
                request.desired.display()
            )
        })?;
        crate::files::write_atomic(&request.desired, "desired-state file", new_text.as_bytes())?;
    }
    Ok(Imported {
        regions: regions.into_iter().collect(),
        entries,
        text,
        created,
    })
}

/// The regions to list: `--region`s, every region (`--all-regions`), or those of the
/// desired file and the state.
fn regions(
    request: &ImportRequest,
    desired: Option<&Desired>,
    state: &crate::state::State,
) -> anyhow::Result<BTreeSet<String>> {
    if request.all_regions {
        return Ok(crate::regions::ids().map(str::to_owned).collect());
    }
    if !request.regions.is_empty() {
        for region in &request.regions {
            if !crate::regions::is_known(region) {
                let help = crate::regions::closest(region)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                anyhow::bail!("--region {region}: not an Alibaba Cloud region id{help}");
            }
        }
        return Ok(request.regions.iter().cloned().collect());
    }
    let mut regions: BTreeSet<String> =
        state.resources.values().map(|r| r.region.clone()).collect();
    if let Some(d) = desired {
        regions.extend(d.regions());
    }
    if regions.is_empty() {
        anyhow::bail!(
            "no region to list: {} names none and the state records none; pass --region REGION \
             (repeatable) or --all-regions",
            request.desired.display()
        );
    }
    Ok(regions)
}

/// Lists every region side by side (the client bounds the requests in flight), the
/// answers in region order.
async fn list(
    client: &crate::cloud::Client,
    regions: &BTreeSet<String>,
) -> Vec<(String, Result<Vec<IpsecServer>, crate::cloud::ApiError>)> {
    let tasks: Vec<_> = regions
        .iter()
        .map(|region| {
            let client = client.clone();
            let request = ListIpsecServers {
                region: region.clone(),
                vpn_gateway: None,
                ids: vec![],
            };
            tokio::spawn(async move { client.list_ipsec_servers(&request).await })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for (region, task) in regions.iter().zip(tasks) {
        out.push((
            region.clone(),
            task.await.expect("a list task does not panic"),
        ));
    }
    out
}

/// Addresses for `servers`: each name's rule, numbered where taken. Sorted by the name
/// the rule gives, then id, so the same servers always get the same addresses.
fn name(mut servers: Vec<IpsecServer>, taken: &mut BTreeSet<String>) -> Vec<Entry> {
    servers.sort_by_cached_key(|s| (name_for_server(&s.name, &s.id), s.id.clone()));
    let mut entries = Vec::with_capacity(servers.len());
    for server in servers {
        let base = name_for_server(&server.name, &server.id);
        let mut candidate = base.clone();
        let mut n = 2;
        while taken.contains(&candidate) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        taken.insert(candidate.clone());
        let address = Address::new(Kind::IpsecServer, &candidate).expect("the rule gives names");
        entries.push(Entry { address, server });
    }
    entries.sort_by(|a, b| a.address.cmp(&b.address));
    entries
}

/// Keys YAML 1.1 readers would take for something other than a string.
const RESERVED: &[&str] = &["null", "true", "false", "yes", "no", "on", "off", "y", "n"];

/// The entries as desired-file YAML, each name at `indent` spaces.
pub fn render(entries: &[Entry], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let field = " ".repeat(indent + 2);
    let mut text = String::new();
    for Entry { address, server } in entries {
        let key = address.name();
        if RESERVED.contains(&key) {
            text.push_str(&format!("{pad}\"{key}\":\n"));
        } else {
            text.push_str(&format!("{pad}{key}:\n"));
        }
        text.push_str(&format!("{field}id: {}\n", server.id));
        text.push_str(&format!("{field}vpn_gateway: {}\n", server.vpn_gateway));
        text.push_str(&format!("{field}region: {}\n", server.region));
        let env = format!("{}_PSK", key.to_uppercase().replace('-', "_"));
        text.push_str(&format!(
            "{field}# psk: {{ env: {env} }}  # the cloud holds this server's PSK: name its source to manage it\n"
        ));
    }
    text
}
