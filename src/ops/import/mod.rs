//! `import`: list the resources of some regions that no address records (neither the
//! state nor a desired `id`), and turn them into desired entries, printed or appended to
//! the desired file (`--write`) so that the next plan adopts each of them. IPsec servers
//! by default; with `--kind`, every other kind too: VPN gateways, customer gateways,
//! IPsec connections, destination and policy-based routes, SSL-VPN servers and their
//! client certificates (never their material).
//!
//! Addresses come from the resources' names ([`crate::address::name_for_server`]; a
//! route, which has none, is named after its destination), numbered `_2`, `_3`, ...
//! where they collide with each other or with an address of the same kind in use. A
//! reference (a gateway, a customer gateway, a route's next hop, a certificate's
//! server) to a resource that the desired file has, or that this import writes, is
//! written by address (an edge of the plan's graph), any other by id. A route has no id
//! in the desired file: it is known by its tuple, whose synthetic id the state records.
//! The entries' text is [`render`]'s.

mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::{Cloud, Event, Reporter, empty_state};
use crate::Address;
use crate::address::{Kind, name_for_server};
use crate::cloud::VpnGateway;
use crate::config::{Desired, append};
use crate::kinds::customer_gateway::CustomerGateway;
use crate::kinds::ipsec_server::{IpsecServer, ListIpsecServers};
use crate::kinds::ssl_vpn_client_cert::{DescribeSslVpnClientCerts, SslVpnClientCert};
use crate::kinds::ssl_vpn_server::{DescribeSslVpnServers, SslVpnServer};
use crate::kinds::vpn_connection::{DescribeVpnConnections, VpnConnection};
use crate::kinds::vpn_route::VpnRoute;

/// The kinds `import` can import, in the order their entries are written: what is
/// referred to before what refers to it (a gateway, a customer gateway, a connection,
/// then the routes through it; an SSL-VPN server, then its certificates).
pub(crate) const KINDS: [Kind; 8] = [
    Kind::VpnGateway,
    Kind::CustomerGateway,
    Kind::VpnConnection,
    Kind::VpnRoute,
    Kind::VpnPolicyRoute,
    Kind::SslVpnServer,
    Kind::SslVpnClientCert,
    Kind::IpsecServer,
];

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
    /// `--gateway`: only what is on these VPN gateways (servers, connections, routes,
    /// certificates, the gateways themselves); empty: all. Customer gateways are the
    /// region's.
    pub gateways: Vec<String>,
    /// `--kind`: the kinds to import; empty: IPsec servers only.
    pub kinds: Vec<Kind>,
    /// `--write`: append the entries to the desired file.
    pub write: bool,
    /// How long to wait for a writer's lock on the state.
    pub lock_timeout: Duration,
    pub cloud: Cloud,
}

impl ImportRequest {
    /// The kinds this import lists, in [`KINDS`] order.
    pub(crate) fn kinds(&self) -> Vec<Kind> {
        if self.kinds.is_empty() {
            return vec![Kind::IpsecServer];
        }
        KINDS
            .into_iter()
            .filter(|k| self.kinds.contains(k))
            .collect()
    }
}

/// One kind listed in one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KindListed {
    pub kind: Kind,
    /// Every resource of the kind listed there.
    pub listed: usize,
    /// Those no address records (on the `--gateway`s, if given).
    pub to_import: usize,
}

/// One region listed, for the progress line: each kind imported, in [`KINDS`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegionListed<'a> {
    pub region: &'a str,
    pub kinds: Vec<KindListed>,
}

impl RegionListed<'_> {
    /// Everything listed there, of every kind.
    pub(crate) fn listed(&self) -> usize {
        self.kinds.iter().map(|k| k.listed).sum()
    }

    /// Everything to import from there.
    pub(crate) fn to_import(&self) -> usize {
        self.kinds.iter().map(|k| k.to_import).sum()
    }
}

/// A resource as its kind's list call answered it.
#[derive(Debug, Clone)]
pub(crate) enum Found {
    IpsecServer(IpsecServer),
    CustomerGateway(CustomerGateway),
    VpnConnection(VpnConnection),
    VpnGateway(VpnGateway),
    /// A destination route, or a policy-based one (it has a source).
    VpnRoute(VpnRoute),
    SslVpnServer(SslVpnServer),
    /// A certificate as listed (no material), and its server's gateway.
    SslVpnClientCert(SslVpnClientCert, String),
}

impl Found {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Found::IpsecServer(_) => Kind::IpsecServer,
            Found::CustomerGateway(_) => Kind::CustomerGateway,
            Found::VpnConnection(_) => Kind::VpnConnection,
            Found::VpnGateway(_) => Kind::VpnGateway,
            Found::VpnRoute(r) if r.route_source.is_some() => Kind::VpnPolicyRoute,
            Found::VpnRoute(_) => Kind::VpnRoute,
            Found::SslVpnServer(_) => Kind::SslVpnServer,
            Found::SslVpnClientCert(..) => Kind::SslVpnClientCert,
        }
    }

    /// Its id; a route's is the synthetic id of its tuple, which the state records.
    pub(crate) fn id(&self) -> &str {
        match self {
            Found::IpsecServer(s) => &s.id,
            Found::CustomerGateway(g) => &g.id,
            Found::VpnConnection(c) => &c.id,
            Found::VpnGateway(g) => &g.id,
            Found::VpnRoute(r) => &r.id,
            Found::SslVpnServer(s) => &s.id,
            Found::SslVpnClientCert(c, _) => &c.id,
        }
    }

    pub(crate) fn region(&self) -> &str {
        match self {
            Found::IpsecServer(s) => &s.region,
            Found::CustomerGateway(g) => &g.region,
            Found::VpnConnection(c) => &c.region,
            Found::VpnGateway(g) => &g.region,
            Found::VpnRoute(r) => &r.region,
            Found::SslVpnServer(s) => &s.region,
            Found::SslVpnClientCert(c, _) => &c.region,
        }
    }

    /// What its address is made of: its name; a route, which has none, is named after
    /// where it leads (`to 192.168.0.0/24`, `from 10.0.0.0/16 to 192.168.0.0/24`).
    fn name(&self) -> String {
        match self {
            Found::IpsecServer(s) => s.name.clone(),
            Found::CustomerGateway(g) => g.name.clone(),
            Found::VpnConnection(c) => c.name.clone(),
            Found::VpnGateway(g) => g.name.clone(),
            Found::VpnRoute(r) => match &r.route_source {
                Some(source) => format!("from {source} to {}", r.route_dest),
                None => format!("to {}", r.route_dest),
            },
            Found::SslVpnServer(s) => s.name.clone(),
            Found::SslVpnClientCert(c, _) => c.name.clone(),
        }
    }

    /// The VPN gateway it is on (a gateway is on its own, a certificate on its
    /// server's); `None` for a customer gateway, which is on none.
    pub(crate) fn vpn_gateway(&self) -> Option<&str> {
        match self {
            Found::IpsecServer(s) => Some(&s.vpn_gateway),
            Found::CustomerGateway(_) => None,
            Found::VpnConnection(c) => Some(&c.vpn_gateway),
            Found::VpnGateway(g) => Some(&g.id),
            Found::VpnRoute(r) => Some(&r.vpn_gateway),
            Found::SslVpnServer(s) => Some(&s.vpn_gateway),
            Found::SslVpnClientCert(_, gateway) => Some(gateway),
        }
    }

    /// Its observed attributes as the state would record them: never a secret, never
    /// a certificate's material.
    pub(crate) fn attributes(&self) -> BTreeMap<String, String> {
        match self {
            Found::IpsecServer(s) => crate::kinds::ipsec_server::calls::attributes(s),
            Found::CustomerGateway(g) => crate::kinds::customer_gateway::calls::attributes(g),
            Found::VpnConnection(c) => crate::kinds::vpn_connection::calls::attributes(c),
            Found::VpnGateway(g) => crate::kinds::vpn_gateway::calls::attributes(g),
            Found::VpnRoute(r) => crate::kinds::vpn_route::calls::attributes(r),
            Found::SslVpnServer(s) => crate::kinds::ssl_vpn_server::calls::attributes(s),
            Found::SslVpnClientCert(c, _) => {
                crate::kinds::ssl_vpn_client_cert::calls::attributes(c)
            }
        }
    }

    /// The ids it names in its reference fields, by field: its VPN gateway, its
    /// customer gateway (or each tunnel's), a route's next hop, a certificate's server.
    fn references(&self) -> Vec<(&'static str, &str)> {
        match self {
            Found::IpsecServer(s) => vec![("vpn_gateway", s.vpn_gateway.as_str())],
            Found::SslVpnServer(s) => vec![("vpn_gateway", s.vpn_gateway.as_str())],
            Found::VpnRoute(r) => vec![
                ("vpn_gateway", r.vpn_gateway.as_str()),
                ("next_hop", r.next_hop.as_str()),
            ],
            Found::SslVpnClientCert(c, gateway) => vec![
                ("vpn_gateway", gateway.as_str()),
                ("ssl_vpn_server", c.ssl_vpn_server.as_str()),
            ],
            Found::VpnConnection(c) if c.tunnels.is_empty() => vec![
                ("vpn_gateway", c.vpn_gateway.as_str()),
                ("customer_gateway", c.customer_gateway.as_str()),
            ],
            Found::VpnConnection(c) => {
                let mut refs = vec![("vpn_gateway", c.vpn_gateway.as_str())];
                for role in crate::kinds::vpn_connection::calls::ROLES {
                    if let Some(t) = c.tunnels.iter().find(|t| t.role == role) {
                        let field = if role == "master" {
                            "tunnels.master.customer_gateway"
                        } else {
                            "tunnels.slave.customer_gateway"
                        };
                        refs.push((field, t.customer_gateway.as_str()));
                    }
                }
                refs
            }
            Found::CustomerGateway(_) | Found::VpnGateway(_) => Vec::new(),
        }
    }
}

/// One resource to import, the address it gets and how its entry names what it refers
/// to.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub address: Address,
    pub found: Found,
    /// Each reference field (`vpn_gateway`, `customer_gateway`,
    /// `tunnels.master.customer_gateway`) as the entry writes it: an address of the
    /// desired file or of this import, else the id.
    pub references: BTreeMap<&'static str, String>,
}

/// What `import` found and did.
#[derive(Debug, Clone)]
pub(crate) struct Imported {
    /// The regions listed, sorted.
    pub regions: Vec<String>,
    /// The resources to import, in [`KINDS`] order, then by address.
    pub entries: Vec<Entry>,
    /// The entries as desired-file YAML, at the indent the file uses: those of one
    /// kind alone, or each kind's under a comment naming its key.
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
    let kinds = request.kinds();
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
    let listed = list(&connection.client, &regions, &kinds).await;
    connection.close().await;

    // What an address records or names: the state's ids, the desired `id`s, and the
    // synthetic ids of the desired routes' tuples (a route entry has no `id`).
    let resolved = desired.and_then(|d| crate::plan::resolve_references(d, &state));
    let known: BTreeSet<String> = state
        .resources
        .values()
        .map(|r| r.id.clone())
        .chain(
            resolved
                .as_ref()
                .or(desired)
                .iter()
                .flat_map(|d| d.servers.values())
                .filter_map(|s| {
                    s.id.clone()
                        .or_else(|| crate::kinds::vpn_route::calls::entry_id(s))
                }),
        )
        .collect();
    let wanted = |found: &Found| {
        !known.contains(found.id())
            && (request.gateways.is_empty()
                || found
                    .vpn_gateway()
                    // Customer gateways are the region's, on no gateway.
                    .is_none_or(|g| request.gateways.iter().any(|w| w == g)))
    };
    let mut found: Vec<Found> = Vec::new();
    for (region, answers) in listed {
        let mut counts = Vec::with_capacity(answers.len());
        for (kind, answer) in answers {
            let resources = answer
                .with_context(|| format!("cannot list the {}s of {region}", kind.facts().noun))?;
            let before = found.len();
            let listed = resources.len();
            found.extend(resources.into_iter().filter(|f| wanted(f)));
            counts.push(KindListed {
                kind,
                listed,
                to_import: found.len() - before,
            });
        }
        on_region(&RegionListed {
            region: &region,
            kinds: counts,
        });
    }

    let mut taken: BTreeMap<Kind, BTreeSet<String>> = BTreeMap::new();
    for address in recorded
        .iter()
        .chain(desired.iter().flat_map(|d| d.servers.keys()))
    {
        taken
            .entry(address.kind())
            .or_default()
            .insert(address.name().to_owned());
    }
    let mut entries = name(found, &mut taken);
    refer(&mut entries, desired, &state);

    let point = |text: &str, key: &'static str| append::append_point(&request.desired, text, key);
    let indent = |kind: Kind| match &existing {
        Some((text, _)) => point(text, kind.facts().desired_key).map_or(2, |p| p.indent),
        None => 2,
    };
    let text = render::text(&entries, &kinds, indent);
    let mut created = false;
    if request.write && !entries.is_empty() {
        let new_text = match &existing {
            Some((old, _)) => {
                // Kind by kind, each at the end of its own block (or a new one at the end
                // of the file): every byte already there stays.
                let mut text = old.clone();
                for kind in KINDS {
                    let key = kind.facts().desired_key;
                    let at = point(&text, key)?;
                    let block = render::entries(&entries, kind, at.indent);
                    if !block.is_empty() {
                        text = append::appended(&text, &at, &block);
                    }
                }
                text
            }
            None => {
                created = true;
                let mut text = "version: 1\n".to_owned();
                for kind in KINDS {
                    let block = render::entries(&entries, kind, 2);
                    if !block.is_empty() {
                        text.push_str(&format!("{}:\n{block}", kind.facts().desired_key));
                    }
                }
                text
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

/// What one region answered, kind by kind.
type Answers = Vec<(Kind, Result<Vec<Found>, crate::cloud::ApiError>)>;

/// Lists every kind of every region side by side (the client bounds the requests in
/// flight), the answers in region order, each region's in `kinds` order.
async fn list(
    client: &crate::cloud::Client,
    regions: &BTreeSet<String>,
    kinds: &[Kind],
) -> Vec<(String, Answers)> {
    let mut tasks = Vec::new();
    for region in regions {
        for &kind in kinds {
            let client = client.clone();
            let region = region.clone();
            tasks.push(tokio::spawn(async move {
                let answer = list_one(&client, &region, kind).await;
                (region, kind, answer)
            }));
        }
    }
    let mut out: Vec<(String, Answers)> = Vec::with_capacity(regions.len());
    for task in tasks {
        let (region, kind, answer) = task.await.expect("a list task does not panic");
        match out.last_mut() {
            Some((last, answers)) if *last == region => answers.push((kind, answer)),
            _ => out.push((region, vec![(kind, answer)])),
        }
    }
    out
}

/// Every resource of `kind` in `region`, every page.
async fn list_one(
    client: &crate::cloud::Client,
    region: &str,
    kind: Kind,
) -> Result<Vec<Found>, crate::cloud::ApiError> {
    Ok(match kind {
        Kind::IpsecServer => {
            let request = ListIpsecServers {
                region: region.to_owned(),
                vpn_gateway: None,
                ids: vec![],
            };
            let servers = client.list_ipsec_servers(&request).await?;
            servers.into_iter().map(Found::IpsecServer).collect()
        }
        Kind::CustomerGateway => {
            let gateways = client.describe_customer_gateways(region, None).await?;
            gateways.into_iter().map(Found::CustomerGateway).collect()
        }
        Kind::VpnConnection => {
            let request = DescribeVpnConnections {
                region: region.to_owned(),
                ..DescribeVpnConnections::default()
            };
            let connections = client.describe_vpn_connections(&request).await?;
            connections.into_iter().map(Found::VpnConnection).collect()
        }
        Kind::VpnGateway => {
            let gateways = client.describe_vpn_gateways(region).await?;
            gateways.into_iter().map(Found::VpnGateway).collect()
        }
        // Listed gateway by gateway: the API lists a route only with its gateway.
        Kind::VpnRoute | Kind::VpnPolicyRoute => {
            let policy = kind == Kind::VpnPolicyRoute;
            let mut routes = Vec::new();
            for gateway in client.describe_vpn_gateways(region).await? {
                routes.extend(
                    client
                        .describe_route_entries(policy, region, &gateway.id)
                        .await?,
                );
            }
            routes.into_iter().map(Found::VpnRoute).collect()
        }
        Kind::SslVpnServer => {
            let request = DescribeSslVpnServers {
                region: region.to_owned(),
                ..DescribeSslVpnServers::default()
            };
            let servers = client.describe_ssl_vpn_servers(&request).await?;
            servers.into_iter().map(Found::SslVpnServer).collect()
        }
        // With the servers of the region: a certificate is on its server's gateway.
        Kind::SslVpnClientCert => {
            let request = DescribeSslVpnServers {
                region: region.to_owned(),
                ..DescribeSslVpnServers::default()
            };
            let gateways: BTreeMap<String, String> = client
                .describe_ssl_vpn_servers(&request)
                .await?
                .into_iter()
                .map(|s| (s.id, s.vpn_gateway))
                .collect();
            let request = DescribeSslVpnClientCerts {
                region: region.to_owned(),
                ..DescribeSslVpnClientCerts::default()
            };
            let certs = client.describe_ssl_vpn_client_certs(&request).await?;
            certs
                .into_iter()
                .map(|c| {
                    let gateway = gateways.get(&c.ssl_vpn_server).cloned().unwrap_or_default();
                    Found::SslVpnClientCert(c, gateway)
                })
                .collect()
        }
    })
}

/// Addresses for `found`: each name's rule, numbered where its kind has the name taken.
/// Sorted by the name the rule gives, then id, so the same resources always get the
/// same addresses; returned in [`KINDS`] order, then by address.
fn name(mut found: Vec<Found>, taken: &mut BTreeMap<Kind, BTreeSet<String>>) -> Vec<Entry> {
    found.sort_by_cached_key(|f| (name_for_server(&f.name(), f.id()), f.id().to_owned()));
    let mut entries = Vec::with_capacity(found.len());
    for found in found {
        let taken = taken.entry(found.kind()).or_default();
        let base = name_for_server(&found.name(), found.id());
        let mut candidate = base.clone();
        let mut n = 2;
        while taken.contains(&candidate) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        taken.insert(candidate.clone());
        let address = Address::new(found.kind(), &candidate).expect("the rule gives names");
        entries.push(Entry {
            address,
            found,
            references: BTreeMap::new(),
        });
    }
    let order = |kind: Kind| KINDS.iter().position(|k| *k == kind);
    entries.sort_by(|a, b| {
        (order(a.address.kind()), &a.address).cmp(&(order(b.address.kind()), &b.address))
    });
    entries
}

/// The kind a reference field names.
fn referred(field: &str) -> Kind {
    match field {
        "vpn_gateway" => Kind::VpnGateway,
        "next_hop" => Kind::VpnConnection,
        "ssl_vpn_server" => Kind::SslVpnServer,
        // `customer_gateway`, a tunnel's.
        _ => Kind::CustomerGateway,
    }
}

/// Fills in how each entry names what it refers to: by the address of the desired
/// entry (or the entry of this import) that is that VPN gateway, customer gateway, IPsec
/// connection or SSL-VPN server, so that the plan has the edge; else by id.
fn refer(entries: &mut [Entry], desired: Option<&Desired>, state: &crate::state::State) {
    let referable = |kind: Kind| {
        matches!(
            kind,
            Kind::VpnGateway | Kind::CustomerGateway | Kind::VpnConnection | Kind::SslVpnServer
        )
    };
    let mut by_id: BTreeMap<(Kind, String), String> = BTreeMap::new();
    for (address, entry) in desired.iter().flat_map(|d| &d.servers) {
        let kind = address.kind();
        if !referable(kind) {
            continue;
        }
        // The recorded id, else the one the entry adopts.
        let id = match state.resources.get(address) {
            Some(recorded) => Some(recorded.id.clone()),
            None => entry.id.clone(),
        };
        if let Some(id) = id {
            by_id.insert((kind, id), address.to_string());
        }
    }
    for entry in entries.iter() {
        let kind = entry.address.kind();
        if referable(kind) {
            by_id.insert(
                (kind, entry.found.id().to_owned()),
                entry.address.to_string(),
            );
        }
    }
    for entry in entries.iter_mut() {
        let references: BTreeMap<&'static str, String> = entry
            .found
            .references()
            .into_iter()
            .map(|(field, id)| {
                let written = by_id
                    .get(&(referred(field), id.to_owned()))
                    .cloned()
                    .unwrap_or_else(|| id.to_owned());
                (field, written)
            })
            .collect();
        entry.references = references;
    }
}
