//! `import`: list the IPsec servers of some regions that no address records (neither the
//! state nor a desired `id`), and turn them into desired entries, printed or appended to
//! the desired file (`--write`) so that the next plan adopts each of them.
//!
//! Addresses come from the server names ([`crate::address::name_for_server`]), numbered
//! `_2`, `_3`, ... where they collide with each other or with an address in use.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::{Cloud, Event, Reporter, empty_state};
use crate::Address;
use crate::address::{Kind, name_for_server};
use crate::config::{Desired, append};
use crate::kinds::ipsec_server::{IpsecServer, ListIpsecServers};

/// What to import.
pub(crate) struct ImportRequest {
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
pub(crate) struct RegionListed<'a> {
    pub region: &'a str,
    /// Every server listed there.
    pub servers: usize,
    /// Those no address records (on the `--gateway`s, if given).
    pub to_import: usize,
}

/// One server to import and the address it gets.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub address: Address,
    pub server: IpsecServer,
}

/// What `import` found and did.
#[derive(Debug, Clone)]
pub(crate) struct Imported {
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
pub(crate) async fn run(
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
    request.cloud.check_endpoint()?;
    for gateway in &request.gateways {
        if !crate::id::is_id(gateway, crate::id::VPN_GATEWAY_PREFIX) {
            anyhow::bail!(
                "--gateway {gateway}: not a VPN gateway id (vpn- and lower-case letters and \
                 digits, e.g. vpn-bp1q8bgx4xnkm2ogjabcd)"
            );
        }
    }
    if request.write && crate::config::is_stdin(&request.desired) {
        anyhow::bail!(
            "`import --write` appends to the desired file, and `--desired -` reads it from \
             standard input, which cannot be written: name the file with `--desired FILE`, or \
             run without --write and paste the printed entries"
        );
    }
    // The desired file read once: its `backend` says where the state is (the team
    // recipe's postgres schema, not the local file), and its text is what is appended to.
    let source = crate::config::Source::read(&request.desired)?;
    let backend = super::open_backend(&source, &request.state_dir)?;
    let state = {
        let _lock = backend.lock_shared(request.lock_timeout, &mut |holder| {
            reporter.event(&Event::LockWait {
                holder,
                timeout: request.lock_timeout,
            })
        })?;
        backend.read()?
    }
    .unwrap_or_else(empty_state);
    let recorded: BTreeSet<Address> = state.resources.keys().cloned().collect();
    let existing = match source.sha256() {
        // No desired file yet: `--write` creates one.
        Err(_) => None,
        Ok(_) => {
            let desired = source.load(&recorded)?;
            Some((source.text().unwrap_or_default().to_owned(), desired))
        }
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
                .flat_map(|d| d.servers.values().filter_map(|s| s.id.as_deref())),
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

    let point = existing
        .as_ref()
        .map(|(text, _)| append::append_point(&request.desired, text));
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
pub(crate) fn render(entries: &[Entry], indent: usize) -> String {
    entries
        .iter()
        .map(|entry| {
            let full = render_one(entry, indent, true);
            // An answer the desired file could not hold (a name with a control
            // character, an algorithm vpnform does not know) stays observed: the entry
            // is written without the attributes rather than not at all.
            let probe = format!("version: 1\nipsec_servers:\n{}", render_one(entry, 2, true));
            if crate::config::load_str(Path::new("import"), &probe, &BTreeSet::new()).is_ok() {
                full
            } else {
                render_one(entry, indent, false)
            }
        })
        .collect()
}

/// One entry; `attributes`: with the observed attributes written as managed.
fn render_one(Entry { address, server }: &Entry, indent: usize, attributes: bool) -> String {
    let pad = " ".repeat(indent);
    let field = " ".repeat(indent + 2);
    let quote = |s: &str| serde_json::to_string(s).expect("strings serialize");
    // An empty answer (a `LocalId` never set) is no value.
    let text_of = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(quote);
    let key = address.name();
    let mut text = if RESERVED.contains(&key) {
        format!("{pad}\"{key}\":\n")
    } else {
        format!("{pad}{key}:\n")
    };
    let mut put = |name: &str, value: String| text.push_str(&format!("{field}{name}: {value}\n"));
    put("id", server.id.clone());
    put("vpn_gateway", server.vpn_gateway.clone());
    put("region", server.region.clone());
    if attributes {
        if !server.name.is_empty() {
            put("name", quote(&server.name));
        }
        let subnets = server.local_subnets();
        if !subnets.is_empty() {
            let list: Vec<String> = subnets.iter().map(|s| quote(s)).collect();
            put("local_subnet", format!("[{}]", list.join(", ")));
        }
        if !server.client_ip_pool.is_empty() {
            put("client_ip_pool", quote(&server.client_ip_pool));
        }
        put("effect_immediately", server.effect_immediately.to_string());
        let ike = &server.ike_config;
        let ike_fields = [
            ("ike_version", text_of(&ike.ike_version)),
            ("ike_mode", text_of(&ike.ike_mode)),
            ("ike_enc_alg", text_of(&ike.ike_enc_alg)),
            ("ike_auth_alg", text_of(&ike.ike_auth_alg)),
            ("ike_pfs", text_of(&ike.ike_pfs)),
            ("ike_lifetime", ike.ike_lifetime.map(|l| l.to_string())),
            ("local_id", text_of(&ike.local_id)),
            ("remote_id", text_of(&ike.remote_id)),
        ];
        if let Some(flow) = flow_map(&ike_fields) {
            put("ike_config", flow);
        }
        let ipsec = &server.ipsec_config;
        let ipsec_fields = [
            ("ipsec_enc_alg", text_of(&ipsec.ipsec_enc_alg)),
            ("ipsec_auth_alg", text_of(&ipsec.ipsec_auth_alg)),
            ("ipsec_pfs", text_of(&ipsec.ipsec_pfs)),
            (
                "ipsec_lifetime",
                ipsec.ipsec_lifetime.map(|l| l.to_string()),
            ),
        ];
        if let Some(flow) = flow_map(&ipsec_fields) {
            put("ipsec_config", flow);
        }
    } else {
        text.push_str(&format!(
            "{field}# the cloud's attributes are not valid desired values: they stay observed\n"
        ));
    }
    let env = format!("{}_PSK", key.to_uppercase().replace('-', "_"));
    text.push_str(&format!(
        "{field}# psk: {{ env: {env} }}  # the cloud holds this server's PSK: name its source to manage it\n"
    ));
    text
}

/// `{ a: 1, b: "x" }` of the fields that have a value; `None` if none has.
fn flow_map(fields: &[(&str, Option<String>)]) -> Option<String> {
    let set: Vec<String> = fields
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
        .collect();
    (!set.is_empty()).then(|| format!("{{ {} }}", set.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::ipsec_server::{IkeConfig, IpsecConfig};

    fn server() -> IpsecServer {
        IpsecServer {
            id: "iss-a".into(),
            name: "Office".into(),
            vpn_gateway: "vpn-a".into(),
            region: "cn-hangzhou".into(),
            local_subnet: "192.168.0.0/24,10.1.0.0/16".into(),
            client_ip_pool: "10.10.0.0/16".into(),
            internet_ip: "47.98.1.1".into(),
            psk_enabled: true,
            creation_time: "2024-01-02T03:04:05Z".into(),
            psk: None,
            effect_immediately: false,
            multi_factor_auth_enabled: false,
            online_client_count: 0,
            max_connections: 5,
            ike_config: IkeConfig {
                ike_version: Some("ikev2".into()),
                ike_mode: Some("main".into()),
                ike_enc_alg: Some("aes".into()),
                ike_auth_alg: Some("sha1".into()),
                ike_pfs: Some("group2".into()),
                ike_lifetime: Some(86400),
                local_id: Some("47.98.1.1".into()),
                remote_id: Some("office".into()),
            },
            ipsec_config: IpsecConfig {
                ipsec_enc_alg: Some("aes".into()),
                ipsec_auth_alg: Some("sha1".into()),
                ipsec_pfs: Some("group2".into()),
                ipsec_lifetime: Some(86400),
            },
        }
    }

    #[test]
    fn an_entry_with_every_attribute_validates_as_written() {
        let entry = Entry {
            address: "ipsec_server.office".into(),
            server: server(),
        };
        let text = render_one(&entry, 2, true);
        let doc = format!("version: 1\nipsec_servers:\n{text}");
        let loaded = crate::config::load_str(Path::new("import"), &doc, &BTreeSet::new());
        assert!(loaded.is_ok(), "{doc}\n{}", loaded.unwrap_err());
        assert_eq!(
            text,
            r#"  office:
    id: iss-a
    vpn_gateway: vpn-a
    region: cn-hangzhou
    name: "Office"
    local_subnet: ["192.168.0.0/24", "10.1.0.0/16"]
    client_ip_pool: "10.10.0.0/16"
    effect_immediately: false
    ike_config: { ike_version: "ikev2", ike_mode: "main", ike_enc_alg: "aes", ike_auth_alg: "sha1", ike_pfs: "group2", ike_lifetime: 86400, local_id: "47.98.1.1", remote_id: "office" }
    ipsec_config: { ipsec_enc_alg: "aes", ipsec_auth_alg: "sha1", ipsec_pfs: "group2", ipsec_lifetime: 86400 }
    # psk: { env: OFFICE_PSK }  # the cloud holds this server's PSK: name its source to manage it
"#
        );
    }
}
