//! The online half of a plan: refresh what the state records from the cloud
//! (`ListIpsecServers`, every page of every region involved) and precheck every delete
//! with `DeleteIpsecServer DryRun=true`.

use std::collections::{BTreeMap, BTreeSet};

use crate::Address;
use crate::cloud::{ApiError, Client, ErrorClass};
use crate::kinds::customer_gateway::CustomerGateway;
use crate::kinds::ipsec_server::{DeleteIpsecServer, IpsecServer, ListIpsecServers};
use crate::kinds::vpn_connection::{DescribeVpnConnections, VpnConnection};
use crate::plan::{Action, ActionKind, Precheck};
use crate::secret::Secret;

/// What the cloud holds, by id, in the regions read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Inventory {
    pub servers: BTreeMap<String, IpsecServer>,
    pub customer_gateways: BTreeMap<String, CustomerGateway>,
    pub connections: BTreeMap<String, VpnConnection>,
    pub gateways: BTreeMap<String, crate::cloud::VpnGateway>,
    pub ssl_vpn_servers: BTreeMap<String, crate::kinds::ssl_vpn_server::SslVpnServer>,
    pub ssl_vpn_client_certs: BTreeMap<String, crate::kinds::ssl_vpn_client_cert::SslVpnClientCert>,
    /// Destination and policy-based routes, by their synthetic id
    /// (`crate::kinds::vpn_route::route_id`, `crate::kinds::vpn_policy_route::route_id`).
    pub vpn_routes: BTreeMap<String, crate::kinds::vpn_route::VpnRoute>,
    /// Where each kind was listed.
    pub read: Scope,
}

/// The regions to list, per kind. IPsec servers are listed in every region involved;
/// the other kinds only where the workspace has one of them (the desired file, the
/// state or its journal), so that a workspace of IPsec servers alone reads (and its RAM
/// policy allows) no more than it did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Scope {
    pub servers: BTreeSet<String>,
    pub customer_gateways: BTreeSet<String>,
    pub connections: BTreeSet<String>,
    pub gateways: BTreeSet<String>,
    pub ssl_vpn_servers: BTreeSet<String>,
    pub ssl_vpn_client_certs: BTreeSet<String>,
    /// Destination routes are listed per gateway: (region, gateway id).
    pub vpn_routes: BTreeSet<(String, String)>,
    /// Policy-based routes, likewise.
    pub vpn_policy_routes: BTreeSet<(String, String)>,
}

impl Scope {
    /// IPsec servers in `regions`, and each other kind where `addresses` (with their
    /// regions) has one.
    pub(crate) fn of<'a>(
        regions: BTreeSet<String>,
        addresses: impl Iterator<Item = (&'a Address, &'a String, &'a String)>,
    ) -> Scope {
        let mut scope = Scope {
            servers: regions,
            ..Scope::default()
        };
        for (address, region, gateway) in addresses {
            match address.kind() {
                crate::address::Kind::CustomerGateway => {
                    scope.customer_gateways.insert(region.clone());
                }
                crate::address::Kind::VpnConnection => {
                    scope.connections.insert(region.clone());
                }
                crate::address::Kind::VpnGateway => {
                    scope.gateways.insert(region.clone());
                }
                crate::address::Kind::SslVpnServer => {
                    scope.ssl_vpn_servers.insert(region.clone());
                }
                crate::address::Kind::SslVpnClientCert => {
                    scope.ssl_vpn_client_certs.insert(region.clone());
                }
                // Listed on each gateway named by id (a gateway this plan creates
                // holds none yet).
                crate::address::Kind::VpnRoute => {
                    if crate::id::is_id(gateway, crate::id::VPN_GATEWAY_PREFIX) {
                        scope.vpn_routes.insert((region.clone(), gateway.clone()));
                    }
                }
                crate::address::Kind::VpnPolicyRoute => {
                    if crate::id::is_id(gateway, crate::id::VPN_GATEWAY_PREFIX) {
                        scope
                            .vpn_policy_routes
                            .insert((region.clone(), gateway.clone()));
                    }
                }
                crate::address::Kind::IpsecServer => {}
            }
        }
        scope
    }

    fn len(&self) -> usize {
        self.servers.len()
            + self.customer_gateways.len()
            + self.connections.len()
            + self.gateways.len()
            + self.ssl_vpn_servers.len()
            + self.ssl_vpn_client_certs.len()
            + self.vpn_routes.len()
            + self.vpn_policy_routes.len()
    }
}

impl Inventory {
    /// Whether `id` exists; `None` when its region was not read for its kind.
    pub(crate) fn exists(&self, region: &str, id: &str) -> Option<bool> {
        let (read, listed) = if id.starts_with(crate::kinds::customer_gateway::KIND.id_prefix) {
            (
                &self.read.customer_gateways,
                self.customer_gateways.contains_key(id),
            )
        } else if id.starts_with(crate::kinds::vpn_connection::KIND.id_prefix) {
            (&self.read.connections, self.connections.contains_key(id))
        } else if id.starts_with(crate::kinds::vpn_gateway::KIND.id_prefix) {
            (&self.read.gateways, self.gateways.contains_key(id))
        } else if id.starts_with(crate::kinds::ssl_vpn_server::KIND.id_prefix) {
            (
                &self.read.ssl_vpn_servers,
                self.ssl_vpn_servers.contains_key(id),
            )
        } else if id.starts_with(crate::kinds::ssl_vpn_client_cert::KIND.id_prefix) {
            (
                &self.read.ssl_vpn_client_certs,
                self.ssl_vpn_client_certs.contains_key(id),
            )
        } else if id.starts_with(crate::kinds::vpn_route::KIND.id_prefix) {
            // Every recorded route's gateway is listed; one of the region's is read.
            let read = self.read.vpn_routes.iter().any(|(r, _)| r == region);
            return read.then_some(self.vpn_routes.contains_key(id));
        } else if id.starts_with(crate::kinds::vpn_policy_route::KIND.id_prefix) {
            let read = self.read.vpn_policy_routes.iter().any(|(r, _)| r == region);
            return read.then_some(self.vpn_routes.contains_key(id));
        } else {
            (&self.read.servers, self.servers.contains_key(id))
        };
        read.contains(region).then_some(listed)
    }

    /// The attributes the state records of the resource `id`, if it was listed.
    pub(crate) fn observed(&self, id: &str) -> Option<BTreeMap<String, String>> {
        if let Some(server) = self.servers.get(id) {
            return Some(attributes(server));
        }
        if let Some(gateway) = self.customer_gateways.get(id) {
            return Some(crate::kinds::customer_gateway::calls::attributes(gateway));
        }
        if let Some(gateway) = self.gateways.get(id) {
            return Some(crate::kinds::vpn_gateway::calls::attributes(gateway));
        }
        if let Some(server) = self.ssl_vpn_servers.get(id) {
            return Some(crate::kinds::ssl_vpn_server::calls::attributes(server));
        }
        if let Some(cert) = self.ssl_vpn_client_certs.get(id) {
            return Some(crate::kinds::ssl_vpn_client_cert::calls::attributes(cert));
        }
        if let Some(route) = self.vpn_routes.get(id) {
            return Some(crate::kinds::vpn_route::calls::attributes(route));
        }
        self.connections
            .get(id)
            .map(crate::kinds::vpn_connection::calls::attributes)
    }

    /// Whether `id` was listed, whatever its kind.
    fn exists_anywhere(&self, id: &str) -> bool {
        self.servers.contains_key(id)
            || self.customer_gateways.contains_key(id)
            || self.connections.contains_key(id)
            || self.gateways.contains_key(id)
            || self.ssl_vpn_servers.contains_key(id)
            || self.ssl_vpn_client_certs.contains_key(id)
            || self.vpn_routes.contains_key(id)
    }

    /// Whether the cloud holds `key` for the resource `id` (each tunnel's, for a
    /// dual-tunnel connection); `false` when it answers no key.
    fn holds_key(&self, id: &str, key: &Secret) -> bool {
        match self.servers.get(id) {
            Some(server) => server.psk.as_ref() == Some(key),
            None => match self.customer_gateways.get(id) {
                Some(gateway) => gateway.auth_key.as_ref() == Some(key),
                None => self
                    .connections
                    .get(id)
                    .is_some_and(|c| crate::kinds::vpn_connection::calls::holds_key(c, key)),
            },
        }
    }
}

/// Which part of the online plan is running, for progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Listing the servers of each region involved (units: regions).
    Refresh,
    /// A `DryRun=true` call for each create, update and delete, and both halves of a
    /// replace (units: prechecks).
    Precheck,
}

/// Sees the online plan's progress; the views draw it on stderr (`crate::views`).
pub(crate) trait Progress: Send + Sync {
    /// `done` of `total` units of `stage`; `rate`: requests a second the stage's API
    /// action is sent at now.
    fn update(&self, stage: Stage, done: usize, total: usize, rate: Option<f64>);
}

/// No progress shown (tests, benches, the library's plain [`plan`]).
pub(crate) struct NoProgress;

impl Progress for NoProgress {
    fn update(&self, _: Stage, _: usize, _: usize, _: Option<f64>) {}
}

/// Lists every server of every region in `regions`, the regions side by side.
pub(crate) async fn refresh(client: &Client, scope: Scope) -> Result<Inventory, ApiError> {
    refresh_with_progress(client, scope, &NoProgress).await
}

/// Lists every resource of each kind in its regions of `scope`, side by side.
async fn refresh_with_progress(
    client: &Client,
    scope: Scope,
    progress: &dyn Progress,
) -> Result<Inventory, ApiError> {
    const ACTION: &str = "ListIpsecServers";
    let total = scope.len();
    progress.update(Stage::Refresh, 0, total, client.rate(ACTION));
    let mut tasks = tokio::task::JoinSet::new();
    for region in &scope.servers {
        let client = client.clone();
        let request = ListIpsecServers {
            region: region.clone(),
            vpn_gateway: None,
            ids: vec![],
        };
        tasks.spawn(async move { Listed::Servers(client.list_ipsec_servers(&request).await) });
    }
    for region in &scope.customer_gateways {
        let client = client.clone();
        let region = region.clone();
        tasks.spawn(async move {
            Listed::CustomerGateways(client.describe_customer_gateways(&region, None).await)
        });
    }
    for region in &scope.connections {
        let client = client.clone();
        let request = DescribeVpnConnections {
            region: region.clone(),
            ..DescribeVpnConnections::default()
        };
        tasks.spawn(
            async move { Listed::Connections(client.describe_vpn_connections(&request).await) },
        );
    }
    for region in &scope.gateways {
        let client = client.clone();
        let region = region.clone();
        tasks.spawn(async move { Listed::Gateways(client.describe_vpn_gateways(&region).await) });
    }
    for region in &scope.ssl_vpn_servers {
        let client = client.clone();
        let request = crate::kinds::ssl_vpn_server::DescribeSslVpnServers {
            region: region.clone(),
            ..Default::default()
        };
        tasks.spawn(async move {
            Listed::SslVpnServers(client.describe_ssl_vpn_servers(&request).await)
        });
    }
    for region in &scope.ssl_vpn_client_certs {
        let client = client.clone();
        let request = crate::kinds::ssl_vpn_client_cert::DescribeSslVpnClientCerts {
            region: region.clone(),
            ..Default::default()
        };
        tasks.spawn(async move {
            Listed::SslVpnClientCerts(client.describe_ssl_vpn_client_certs(&request).await)
        });
    }
    for (region, gateway) in &scope.vpn_routes {
        let client = client.clone();
        let (region, gateway) = (region.clone(), gateway.clone());
        tasks.spawn(async move {
            Listed::VpnRoutes(client.describe_vpn_route_entries(&region, &gateway).await)
        });
    }
    for (region, gateway) in &scope.vpn_policy_routes {
        let client = client.clone();
        let (region, gateway) = (region.clone(), gateway.clone());
        tasks.spawn(async move {
            Listed::VpnRoutes(
                client
                    .describe_vpn_pbr_route_entries(&region, &gateway)
                    .await,
            )
        });
    }
    let mut refresh = Inventory {
        read: scope,
        ..Inventory::default()
    };
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("a list task does not panic") {
            Listed::Servers(servers) => {
                for server in servers? {
                    refresh.servers.insert(server.id.clone(), server);
                }
            }
            Listed::CustomerGateways(gateways) => {
                for gateway in gateways? {
                    refresh
                        .customer_gateways
                        .insert(gateway.id.clone(), gateway);
                }
            }
            Listed::Connections(connections) => {
                for connection in connections? {
                    refresh
                        .connections
                        .insert(connection.id.clone(), connection);
                }
            }
            Listed::Gateways(gateways) => {
                for gateway in gateways? {
                    refresh.gateways.insert(gateway.id.clone(), gateway);
                }
            }
            Listed::SslVpnServers(servers) => {
                for server in servers? {
                    refresh.ssl_vpn_servers.insert(server.id.clone(), server);
                }
            }
            Listed::SslVpnClientCerts(certs) => {
                for cert in certs? {
                    refresh.ssl_vpn_client_certs.insert(cert.id.clone(), cert);
                }
            }
            Listed::VpnRoutes(routes) => {
                for route in routes? {
                    refresh.vpn_routes.insert(route.id.clone(), route);
                }
            }
        }
        done += 1;
        progress.update(Stage::Refresh, done, total, client.rate(ACTION));
    }
    Ok(refresh)
}

/// One listing's answer.
enum Listed {
    Servers(Result<Vec<IpsecServer>, ApiError>),
    CustomerGateways(Result<Vec<CustomerGateway>, ApiError>),
    Connections(Result<Vec<VpnConnection>, ApiError>),
    Gateways(Result<Vec<crate::cloud::VpnGateway>, ApiError>),
    SslVpnServers(Result<Vec<crate::kinds::ssl_vpn_server::SslVpnServer>, ApiError>),
    SslVpnClientCerts(Result<Vec<crate::kinds::ssl_vpn_client_cert::SslVpnClientCert>, ApiError>),
    VpnRoutes(Result<Vec<crate::kinds::vpn_route::VpnRoute>, ApiError>),
}

/// The attributes the state records of a server (see [`super::calls::attributes`]).
pub(crate) fn attributes(server: &IpsecServer) -> BTreeMap<String, String> {
    super::calls::attributes(server)
}

/// Whether `action` is prechecked: it changes the cloud, it is not a journaled
/// operation re-sent with its token (its own first send may hold the gateway or have
/// deleted the server a DryRun would ask about), and its call takes DryRun.
fn has_precheck(action: &Action) -> bool {
    let kind = action.address.kind().facts();
    let call = match action.action {
        ActionKind::Create | ActionKind::Replace => kind.calls.create,
        ActionKind::Update | ActionKind::Adopt => kind.calls.modify[0],
        ActionKind::Delete => kind.calls.delete,
        ActionKind::Forget => return false,
    };
    action.mutates_cloud() && action.resumes.is_none() && kind.has_dry_run(call)
}

/// Prechecks every mutation of `actions` that has a DryRun, side by side, reporting to
/// `progress`: the online plan's own, and the ones a `--read-only` plan deferred, which
/// apply runs with its own key before its first mutation.
pub(crate) async fn precheck_with_progress(
    client: &Client,
    actions: &mut [Action],
    keys: &BTreeMap<Address, Secret>,
    progress: &dyn Progress,
) {
    use crate::kinds::ipsec_server::KIND;
    let mut tasks = tokio::task::JoinSet::new();
    // How many prechecks each API action takes: the progress shows the rate of the one
    // most of them use (a plan of updates is prechecked at UpdateIpsecServer's rate).
    let mut calls: BTreeMap<&'static str, usize> = BTreeMap::new();
    // A create on a gateway whose server the plan deletes first (a swap, or a replace
    // where the server is) waits for that delete: a DryRun now would meet that server.
    let freed: BTreeSet<(String, String)> = actions
        .iter()
        .filter(|a| a.action == ActionKind::Delete)
        .map(|a| (a.region.clone(), a.vpn_gateway.clone()))
        .collect();
    let after_delete = |a: &Action| {
        a.replaces_in_place()
            || (super::graph::creates_on_a_freed_gateway(a)
                && freed.contains(&(a.region.clone(), a.vpn_gateway.clone())))
    };
    let mut model_only = Vec::new();
    let mut after_create = Vec::new();
    let mut old_model_only = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        // A journaled operation is re-sent with its token, not prechecked: its own first
        // send may hold the gateway or have deleted the server a DryRun would ask about.
        if !a.mutates_cloud() || a.resumes.is_some() {
            continue;
        }
        // A kind none of whose calls takes DryRun: nothing is sent (the call would act).
        if a.address.kind().facts().calls.dry_run.is_empty() {
            model_only.push(i);
            continue;
        }
        // On a VPN gateway this plan creates first: nothing to ask the cloud about yet.
        if a.vpn_gateway.parse::<Address>().is_ok() {
            after_create.push(i);
            continue;
        }
        if a.address.kind() == crate::address::Kind::SslVpnServer {
            // Its create and its modify take DryRun; its delete (a replace's old half
            // included) is checked by the model.
            use crate::kinds::ssl_vpn_server::{KIND as SSL, calls as ssl};
            if a.replaced.is_some() {
                old_model_only.push(i);
            }
            let client = client.clone();
            match a.action {
                // Destroy first: a DryRun of the create would meet the old server.
                ActionKind::Create | ActionKind::Replace if after_delete(a) => {}
                ActionKind::Create | ActionKind::Replace => {
                    *calls.entry(SSL.calls.create).or_default() += 1;
                    let request = ssl::create_request(a, None, true);
                    tasks.spawn(
                        async move { (i, false, client.create_ssl_vpn_server(&request).await) },
                    );
                }
                ActionKind::Update | ActionKind::Adopt if a.cloud_changes().next().is_some() => {
                    *calls.entry(SSL.calls.modify[0]).or_default() += 1;
                    let request = ssl::modify_request(a, None, true);
                    tasks.spawn(
                        async move { (i, false, client.modify_ssl_vpn_server(&request).await) },
                    );
                }
                _ => model_only.push(i),
            }
            continue;
        }
        if matches!(
            a.address.kind(),
            crate::address::Kind::VpnRoute | crate::address::Kind::VpnPolicyRoute
        ) {
            // Only its create takes DryRun; its modifies and its delete (a replace's old
            // half included) are checked by the model. A create whose next hop this
            // plan creates first cannot be asked about yet.
            use crate::kinds::vpn_route::calls as route;
            let route_kind = a.address.kind().facts();
            if a.replaced.is_some() {
                old_model_only.push(i);
            }
            let next_hop = a.attributes.get("next_hop").cloned().unwrap_or_default();
            match a.action {
                // Destroy first: a DryRun of the create would meet the old route.
                ActionKind::Create | ActionKind::Replace if after_delete(a) => {}
                ActionKind::Create | ActionKind::Replace
                    if route_kind.names_by_address("next_hop", &next_hop) =>
                {
                    after_create.push(i);
                }
                ActionKind::Create | ActionKind::Replace => {
                    *calls.entry(route_kind.calls.create).or_default() += 1;
                    let request = route::create_request(a, &next_hop, None, true);
                    let client = client.clone();
                    tasks.spawn(
                        async move { (i, false, client.create_route_entry(&request).await) },
                    );
                }
                _ => model_only.push(i),
            }
            continue;
        }
        if a.address.kind() == crate::address::Kind::VpnConnection {
            // Only its create takes DryRun; a create that names a customer gateway this
            // plan creates first cannot be asked about yet.
            let kind = a.address.kind().facts();
            let names_a_create = a
                .attributes
                .iter()
                .any(|(field, value)| kind.names_by_address(field, value));
            match a.action {
                ActionKind::Create | ActionKind::Replace if after_delete(a) => {}
                // A replace created first: its create as any create, its delete (no
                // DryRun) by the model.
                ActionKind::Create | ActionKind::Replace if names_a_create => {
                    after_create.push(i);
                    old_model_only.push(i);
                }
                ActionKind::Create | ActionKind::Replace => {
                    old_model_only.push(i);
                    let kind = &crate::kinds::vpn_connection::KIND;
                    let key = keys.get(&a.address).cloned();
                    // Every value is an id here: nothing to resolve.
                    let as_is = |value: &str| Some(value.to_owned());
                    let Ok(request) = crate::kinds::vpn_connection::calls::create_request(
                        a, &as_is, key, None, true,
                    ) else {
                        continue;
                    };
                    *calls.entry(kind.calls.create).or_default() += 1;
                    let client = client.clone();
                    tasks.spawn(async move {
                        let answer = client.create_vpn_connection(&request).await;
                        (i, false, answer)
                    });
                }
                _ => model_only.push(i),
            }
            continue;
        }
        let client = client.clone();
        // The key goes with the DryRun so that the cloud checks it too.
        let key = a
            .psk
            .as_ref()
            .filter(|p| p.changed)
            .and_then(|_| keys.get(&a.address).cloned());
        // A replace is prechecked as its two halves: the create on the new gateway and
        // the delete of the old server (`half` true).
        // DryRun goes only where the API has it: elsewhere the parameter is ignored and
        // the call acts.
        if let Some(old) = a
            .replaced
            .as_ref()
            .filter(|_| KIND.has_dry_run(KIND.calls.delete))
        {
            let request = DeleteIpsecServer {
                region: old.region.clone(),
                ipsec_server_id: a.id.clone(),
                client_token: None,
                dry_run: true,
            };
            let client = client.clone();
            *calls.entry(KIND.calls.delete).or_default() += 1;
            tasks.spawn(async move { (i, true, client.delete_ipsec_server(&request).await) });
        }
        match a.action {
            // Destroy first: a DryRun of the create would meet the old server.
            ActionKind::Create | ActionKind::Replace if after_delete(a) => {}
            ActionKind::Create | ActionKind::Replace if KIND.has_dry_run(KIND.calls.create) => {
                *calls.entry(KIND.calls.create).or_default() += 1;
                let request = super::calls::create_request(a, key, None, true);
                tasks.spawn(async move {
                    let answer = client.create_ipsec_server(&request).await;
                    (i, false, answer.map(|created| created.request_id))
                });
            }
            ActionKind::Update | ActionKind::Adopt if KIND.has_dry_run(KIND.calls.modify[0]) => {
                *calls.entry(KIND.calls.modify[0]).or_default() += 1;
                let request = super::calls::update_request(a, key, None, true);
                tasks.spawn(async move { (i, false, client.update_ipsec_server(&request).await) });
            }
            ActionKind::Delete if KIND.has_dry_run(KIND.calls.delete) => {
                *calls.entry(KIND.calls.delete).or_default() += 1;
                let request = DeleteIpsecServer {
                    region: a.region.clone(),
                    ipsec_server_id: a.id.clone(),
                    client_token: None,
                    dry_run: true,
                };
                tasks.spawn(async move { (i, false, client.delete_ipsec_server(&request).await) });
            }
            // No DryRun for this call: shown as not prechecked.
            _ => {}
        }
    }
    for i in after_create {
        actions[i].precheck = Precheck::AfterCreate;
    }
    for i in old_model_only {
        if let Some(old) = actions[i].replaced.as_mut() {
            old.precheck = Precheck::ModelOnly;
        }
    }
    for i in model_only {
        actions[i].precheck = Precheck::ModelOnly;
        if let Some(old) = actions[i].replaced.as_mut() {
            old.precheck = Precheck::ModelOnly;
        }
    }
    for a in actions.iter_mut().filter(|a| {
        a.resumes.is_none()
            && after_delete(a)
            && !matches!(a.precheck, Precheck::ModelOnly | Precheck::AfterCreate)
    }) {
        a.precheck = Precheck::AfterDelete;
    }
    let total = tasks.len();
    // The most used action; of two used as often, the first by name.
    let rate_of = calls
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map_or(KIND.calls.delete, |(action, _)| *action);
    if total > 0 {
        progress.update(Stage::Precheck, 0, total, client.rate(rate_of));
    }
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        let (i, half, answer) = joined.expect("a precheck task does not panic");
        match &mut actions[i].replaced {
            Some(old) if half => old.precheck = precheck_of(answer),
            _ => actions[i].precheck = precheck_of(answer),
        }
        done += 1;
        progress.update(Stage::Precheck, done, total, client.rate(rate_of));
    }
}

fn precheck_of(answer: Result<String, ApiError>) -> Precheck {
    let e = match answer {
        // A dry run that is answered with success did not run the checks the way the
        // API documents; treat it as passed but keep the request id.
        Ok(request_id) => return Precheck::Passed { request_id },
        Err(e) => e,
    };
    let request_id = e.request_id.clone().unwrap_or_default();
    match e.class {
        ErrorClass::DryRunPassed => Precheck::Passed { request_id },
        ErrorClass::Contention | ErrorClass::Throttling | ErrorClass::Transient => {
            Precheck::Warning {
                code: e.code,
                message: e.message,
                request_id,
            }
        }
        ErrorClass::NotFound | ErrorClass::Terminal => Precheck::Failed {
            code: e.code,
            message: e.message,
            request_id,
        },
    }
}

/// What an online plan may send besides its reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Refresh, then precheck every mutation whose API has DryRun.
    Full,
    /// `--read-only`: read calls only. The prechecks are deferred to apply
    /// ([`Precheck::Deferred`]), which runs them with its own key before the first
    /// mutation.
    ReadOnly,
    /// `--refresh-only`: the forgets and the changes made outside vpnform only; no PSK
    /// is read, nothing is prechecked.
    RefreshOnly,
}

/// Why an online plan could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OnlineError {
    #[error("cannot refresh from the cloud: {0}")]
    Refresh(ApiError),
    #[error(transparent)]
    Plan(#[from] super::PlanError),
    #[error("{}", .0.join("\n"))]
    Adopt(Vec<String>),
    #[error(transparent)]
    Psk(#[from] crate::config::psk::PskErrors),
}

/// The online plan: refresh every region involved, build the plan with the servers gone
/// since as forgets, verify every adopt against the cloud (and record its attributes),
/// list what changed outside vpnform, then precheck every mutation, reporting the
/// refresh and the prechecks to `progress`, as `mode` allows.
pub(crate) async fn plan_with_progress(
    desired: &crate::config::Desired,
    state: &crate::state::State,
    client: &Client,
    scope: &super::PlanOptions,
    mode: Mode,
    progress: &dyn Progress,
) -> Result<super::Plan, OnlineError> {
    let mut regions: BTreeSet<String> =
        state.resources.values().map(|r| r.region.clone()).collect();
    regions.extend(desired.regions());
    // References by address resolved to the ids known: a route's gateway named by the
    // address of an adopted one is listed there.
    let resolved = super::resolve_references(desired, state);
    let resolved = resolved.as_ref().unwrap_or(desired);
    let addresses = state
        .resources
        .iter()
        .map(|(a, r)| (a, &r.region, &r.vpn_gateway))
        .chain(
            resolved
                .servers
                .iter()
                .map(|(a, d)| (a, &d.region, &d.vpn_gateway)),
        )
        .chain(
            state
                .pending
                .iter()
                .map(|p| (&p.address, &p.region, &p.vpn_gateway)),
        );
    let found = refresh_with_progress(client, Scope::of(regions, addresses), progress)
        .await
        .map_err(OnlineError::Refresh)?;
    let gone: BTreeSet<Address> = state
        .resources
        .iter()
        .filter(|(_, r)| found.exists(&r.region, &r.id) == Some(false))
        .map(|(a, _)| a.clone())
        .collect();
    if mode == Mode::RefreshOnly {
        let refresh = super::Refresh {
            gone,
            observed: recorded_attributes(state, &found),
            ..super::Refresh::default()
        };
        let mut plan = super::drift::refresh_only(desired, state, &refresh, &scope.targets)?;
        plan.unmanaged = unmanaged(&found, state, desired);
        plan.unmanaged_kinds = unmanaged_kinds(&found, state, desired, &plan.actions);
        return Ok(plan);
    }
    // Read before any mutation is prechecked; compared with the cloud's in memory.
    let keys: BTreeMap<Address, Secret> =
        crate::config::psk::read_all(desired)?.into_iter().collect();
    let mut observed = BTreeMap::new();
    let mut psk_changed = BTreeSet::new();
    // The desired routes the state does not record whose tuple the cloud lists: adopted
    // under its id, as an entry with an `id` is.
    let tuples: BTreeMap<&Address, String> = resolved
        .servers
        .iter()
        .filter(|(address, s)| !state.resources.contains_key(*address) && s.id.is_none())
        .filter_map(|(address, s)| {
            let id = crate::kinds::vpn_route::calls::entry_id(s)?;
            found.vpn_routes.contains_key(&id).then_some((address, id))
        })
        .collect();
    // Recorded servers, and the ones an adopt names (compared as it is recorded).
    let adopted = desired
        .servers
        .iter()
        .filter(|(address, _)| !state.resources.contains_key(*address))
        .filter_map(|(address, s)| Some((address, s.id.as_ref().or(tuples.get(address))?)));
    let listed = state
        .resources
        .iter()
        .map(|(address, r)| (address, &r.id))
        .chain(adopted);
    for (address, id) in listed {
        if let Some(attributes) = found.observed(id) {
            observed.insert(address.clone(), attributes);
        }
        if found.exists_anywhere(id)
            && let Some(key) = keys.get(address)
            && !found.holds_key(id, key)
        {
            psk_changed.insert(address.clone());
        }
    }
    let options = super::PlanOptions {
        refresh: Some(super::Refresh {
            gone,
            observed,
            psk_changed,
            listed_tuples: tuples.keys().map(|a| (*a).clone()).collect(),
        }),
        ..scope.clone()
    };
    let mut plan = super::build(desired, state, &options)?;
    plan.drift =
        super::drift::changed_outside(state, &recorded_attributes(state, &found), &plan.actions);
    if !plan.targets.is_empty() {
        // As the actions: only the targets and what they wait for.
        let kept: BTreeSet<&Address> = plan.actions.iter().map(|a| &a.address).collect();
        plan.drift
            .retain(|d| scope.targets.contains(&d.address) || kept.contains(&d.address));
    }
    let mut problems = Vec::new();
    for action in plan
        .actions
        .iter_mut()
        .filter(|a| a.action == ActionKind::Adopt)
    {
        let kind = action.address.kind().facts();
        if found.exists(&action.region, &action.id) == Some(false) {
            problems.push(format!(
                "{}: {} {} does not exist in {} ({} does not list it); check the `id` in {}",
                action.address,
                kind.noun,
                action.id,
                action.region,
                kind.calls.list,
                desired.path.display()
            ));
            continue;
        }
        match found.servers.get(&action.id) {
            None => match found.connections.get(&action.id) {
                Some(connection) if connection.vpn_gateway != action.vpn_gateway => {
                    problems.push(format!(
                        "{}: IPsec connection {} is on VPN gateway {}, not {} as {} says; fix \
                         `vpn_gateway`",
                        action.address,
                        action.id,
                        connection.vpn_gateway,
                        action.vpn_gateway,
                        desired.path.display()
                    ))
                }
                _ => {
                    if let Some(listed) = found.observed(&action.id) {
                        action.attributes = listed;
                    }
                }
            },
            Some(server) if server.vpn_gateway != action.vpn_gateway => problems.push(format!(
                "{}: IPsec server {} is on VPN gateway {}, not {} as {} says; fix `vpn_gateway`",
                action.address,
                action.id,
                server.vpn_gateway,
                action.vpn_gateway,
                desired.path.display()
            )),
            Some(server) => action.attributes = attributes(server),
        }
    }
    if !problems.is_empty() {
        return Err(OnlineError::Adopt(problems));
    }
    gateway_children(client, &found, state, &plan.actions).await?;
    server_certificates(client, state, &plan.actions).await?;
    plan.unmanaged = unmanaged(&found, state, desired);
    plan.unmanaged_kinds = unmanaged_kinds(&found, state, desired, &plan.actions);
    if mode == Mode::ReadOnly {
        plan.read_only = true;
        for action in plan.actions.iter_mut() {
            let to = if has_precheck(action) {
                Precheck::Deferred
            } else if action.mutates_cloud()
                && action.resumes.is_none()
                && action.address.kind().facts().calls.dry_run.is_empty()
            {
                Precheck::ModelOnly
            } else {
                continue;
            };
            action.precheck = to.clone();
            if let Some(old) = action.replaced.as_mut() {
                old.precheck = to;
            }
        }
        plan.seal();
    } else {
        precheck_with_progress(client, &mut plan.actions, &keys, progress).await;
        name_the_connections(client, state, &mut plan.actions).await;
    }
    Ok(plan)
}

/// Planner rule 4, the cloud's part: a VPN gateway the plan deletes holds nothing the
/// plan does not delete first. Its IPsec servers (listed in every region involved), its
/// connections and its SSL-VPN server (listed now, on that gateway) that no delete of the
/// plan removes are each an error naming it, whether vpnform manages it, and what to do.
/// (An SSL-VPN server's certificates go with it; a route needs a connection.)
async fn gateway_children(
    client: &Client,
    found: &Inventory,
    state: &crate::state::State,
    actions: &[Action],
) -> Result<(), OnlineError> {
    let removed: BTreeSet<&str> = actions
        .iter()
        .filter(|a| matches!(a.action, ActionKind::Delete | ActionKind::Replace))
        .map(|a| a.id.as_str())
        .collect();
    let by_id: BTreeMap<&str, &Address> = state
        .resources
        .iter()
        .map(|(a, r)| (r.id.as_str(), a))
        .collect();
    let deleted: Vec<&Action> = actions
        .iter()
        .filter(|a| {
            a.action == ActionKind::Delete && a.address.kind() == crate::address::Kind::VpnGateway
        })
        .collect();
    // Every gateway's listings side by side (the client paces them).
    let mut tasks = tokio::task::JoinSet::new();
    for (i, a) in deleted.iter().enumerate() {
        let (client, region, id) = (client.clone(), a.region.clone(), a.id.clone());
        tasks.spawn(async move { (i, list_children(&client, &region, &id).await) });
    }
    let mut listed = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, children) = joined.expect("a listing task does not panic");
        listed.insert(i, children.map_err(OnlineError::Refresh)?);
    }
    let mut problems = Vec::new();
    for (i, a) in deleted.into_iter().enumerate() {
        let (connections, servers, routes) = listed.remove(&i).expect("listed");
        let mut children: Vec<(&'static crate::kinds::Kind, String)> = found
            .servers
            .values()
            .filter(|s| s.vpn_gateway == a.id)
            .map(|s| (&crate::kinds::ipsec_server::KIND, s.id.clone()))
            .collect();
        children.extend(
            connections
                .into_iter()
                .map(|c| (&crate::kinds::vpn_connection::KIND, c.id)),
        );
        children.extend(
            servers
                .into_iter()
                .map(|s| (&crate::kinds::ssl_vpn_server::KIND, s.id)),
        );
        children.extend(routes.iter().map(|r| {
            let kind = if r.route_source.is_some() {
                &crate::kinds::vpn_policy_route::KIND
            } else {
                &crate::kinds::vpn_route::KIND
            };
            (kind, r.id.clone())
        }));
        let found_routes: BTreeMap<&str, &crate::kinds::vpn_route::VpnRoute> =
            routes.iter().map(|r| (r.id.as_str(), r)).collect();
        for (kind, id) in children {
            if removed.contains(id.as_str()) {
                continue;
            }
            let what = match by_id.get(id.as_str()) {
                Some(address) => format!(
                    "{} {id} ({address}, which the plan keeps): remove {address} from the \
                     desired file too, and the plan deletes it first",
                    kind.noun
                ),
                // A route has no id of its own: its tuple says which it is.
                None if found_routes.contains_key(id.as_str()) => {
                    let route = found_routes.get(id.as_str());
                    let from = route
                        .and_then(|r| r.route_source.as_deref())
                        .map(|s| format!("from {s} "))
                        .unwrap_or_default();
                    format!(
                        "{} {id} ({from}to {} through {}), which vpnform does not manage: \
                         run `vpnform import --kind {} --gateway {} --write` and remove the \
                         entry it writes (the plan then deletes it first), or delete it \
                         yourself ({})",
                        kind.noun,
                        route.map_or("?", |r| r.route_dest.as_str()),
                        route.map_or("?", |r| r.next_hop.as_str()),
                        kind.name,
                        a.id,
                        kind.calls.delete,
                    )
                }
                None => format!(
                    "{} {id}, which vpnform does not manage: run `vpnform import --kind {} \
                     --gateway {} --write` and remove the entry it writes (the plan then \
                     deletes it first), or delete it yourself",
                    kind.noun, kind.name, a.id
                ),
            };
            problems.push(format!(
                "{}: the plan would delete VPN gateway {}, which still holds {what}; the \
                 cloud deletes no gateway with anything on it (DependencyViolation)",
                a.address, a.id
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(OnlineError::Adopt(problems))
    }
}

/// Rule 6, the cloud's part: an SSL-VPN server the plan deletes (its delete, a replace's
/// old server, a deposed one) takes every client certificate of it with it, and the plan
/// shows each certificate vpnform records (`ssl_vpn::rule_six`). One it does not record
/// (made in the console, or the other team's) would go unseen: each is an error naming
/// it and the import that brings it in, so that the plan shows its delete.
async fn server_certificates(
    client: &Client,
    state: &crate::state::State,
    actions: &[Action],
) -> Result<(), OnlineError> {
    use crate::address::Kind;
    let recorded = recorded_ids(state);
    let servers: Vec<(&Action, String, String)> = actions
        .iter()
        .filter(|a| a.address.kind() == Kind::SslVpnServer)
        .filter(|a| matches!(a.action, ActionKind::Delete | ActionKind::Replace))
        .filter(|a| !a.id.is_empty())
        .map(|a| {
            let region = a.replaced.as_ref().map_or(&a.region, |r| &r.region);
            (a, a.id.clone(), region.clone())
        })
        .collect();
    let mut problems = Vec::new();
    for (action, id, region) in servers {
        let request = crate::kinds::ssl_vpn_client_cert::DescribeSslVpnClientCerts {
            region,
            ssl_vpn_server: Some(id.clone()),
            id: None,
        };
        let certs = match client.describe_ssl_vpn_client_certs(&request).await {
            Ok(certs) => certs,
            // A server the cloud does not know holds nothing.
            Err(e) if e.code.ends_with(".NotFound") => Vec::new(),
            Err(e) => return Err(OnlineError::Refresh(e)),
        };
        for cert in certs
            .iter()
            .filter(|c| c.ssl_vpn_server == id && !recorded.contains(c.id.as_str()))
        {
            let named = if cert.name.is_empty() {
                String::new()
            } else {
                format!(" ({})", cert.name)
            };
            problems.push(format!(
                "{}: the plan would delete SSL-VPN server {id}, and the cloud deletes its \
                 client certificates with it, {}{named} among them, which vpnform does not \
                 manage: run `vpnform import --kind ssl_vpn_client_cert --write` and remove \
                 the entry it writes (the plan then shows its delete), or delete it yourself",
                action.address, cert.id
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(OnlineError::Adopt(problems))
    }
}

/// What is on VPN gateway `id` that its delete must wait for, listed side by side: its
/// connections, its SSL-VPN servers, its destination and policy-based routes.
async fn list_children(
    client: &Client,
    region: &str,
    id: &str,
) -> Result<
    (
        Vec<VpnConnection>,
        Vec<crate::kinds::ssl_vpn_server::SslVpnServer>,
        Vec<crate::kinds::vpn_route::VpnRoute>,
    ),
    ApiError,
> {
    let connections = DescribeVpnConnections {
        region: region.to_owned(),
        vpn_gateway: Some(id.to_owned()),
        ..DescribeVpnConnections::default()
    };
    let servers = crate::kinds::ssl_vpn_server::api::DescribeSslVpnServers {
        region: region.to_owned(),
        vpn_gateway: Some(id.to_owned()),
        id: None,
    };
    let (connections, servers, routes, policy_routes) = tokio::join!(
        client.describe_vpn_connections(&connections),
        client.describe_ssl_vpn_servers(&servers),
        client.describe_vpn_route_entries(region, id),
        client.describe_vpn_pbr_route_entries(region, id),
    );
    let mut routes = routes?;
    routes.extend(policy_routes?);
    Ok((connections?, servers?, routes))
}

/// The cloud's code for an IPsec server's create on a gateway that holds IPsec
/// connections.
const CONNECTION_EXISTS: &str = "OperationFailed.IpsecConnectionExist";

/// Rule 3 of the VPN-gateway family, named: an IPsec server's create that the DryRun
/// refused because its gateway holds connections says which, and whether vpnform
/// manages each (the connections the plan deletes were waited for, not asked about).
/// A listing that fails leaves the cloud's message as it is.
async fn name_the_connections(
    client: &Client,
    state: &crate::state::State,
    actions: &mut [Action],
) {
    let by_id: BTreeMap<&str, &Address> = state
        .resources
        .iter()
        .map(|(a, r)| (r.id.as_str(), a))
        .collect();
    for action in actions.iter_mut() {
        let Precheck::Failed { code, message, .. } = &mut action.precheck else {
            continue;
        };
        if code != CONNECTION_EXISTS {
            continue;
        }
        let request = DescribeVpnConnections {
            region: action.region.clone(),
            vpn_gateway: Some(action.vpn_gateway.clone()),
            ..DescribeVpnConnections::default()
        };
        let Ok(connections) = client.describe_vpn_connections(&request).await else {
            continue;
        };
        let named: Vec<String> = connections
            .iter()
            .map(|c| match by_id.get(c.id.as_str()) {
                Some(address) => format!("{} ({address}, which the plan keeps)", c.id),
                None => format!(
                    "{} (not managed by vpnform: delete it, or manage it as a \
                     `vpn_connections` entry and remove that)",
                    c.id
                ),
            })
            .collect();
        if !named.is_empty() {
            message.push_str(&format!(
                " [{} holds the IPsec connection{} {}: a VPN gateway holds an IPsec server \
                 or IPsec connections, never both]",
                action.vpn_gateway,
                if named.len() == 1 { "" } else { "s" },
                named.join(", ")
            ));
        }
    }
}

/// The attributes the cloud answers for each recorded server it lists, by address.
pub(crate) fn recorded_attributes(
    state: &crate::state::State,
    found: &Inventory,
) -> BTreeMap<Address, BTreeMap<String, String>> {
    state
        .resources
        .iter()
        .filter_map(|(address, r)| Some((address.clone(), found.observed(&r.id)?)))
        .collect()
}

/// How many resources of each family kind `found` holds that no address records,
/// no desired `id` names and no action of the plan adopts, by kind name. Only the kinds
/// the workspace has are listed (`Scope::of`), so a workspace of IPsec servers alone
/// gets none of this.
pub(crate) fn unmanaged_kinds(
    found: &Inventory,
    state: &crate::state::State,
    desired: &crate::config::Desired,
    actions: &[Action],
) -> BTreeMap<String, usize> {
    use crate::kinds;
    let known: BTreeSet<&str> = recorded_ids(state)
        .into_iter()
        .chain(desired.servers.values().filter_map(|s| s.id.as_deref()))
        .chain(actions.iter().map(|a| a.id.as_str()))
        .collect();
    let mut count = BTreeMap::new();
    let mut add = |kind: &kinds::Kind, id: &str| {
        if !known.contains(id) {
            *count.entry(kind.name.to_owned()).or_insert(0) += 1;
        }
    };
    for id in found.customer_gateways.keys() {
        add(&kinds::customer_gateway::KIND, id);
    }
    for id in found.connections.keys() {
        add(&kinds::vpn_connection::KIND, id);
    }
    if !found.read.gateways.is_empty() {
        for id in found.gateways.keys() {
            add(&kinds::vpn_gateway::KIND, id);
        }
    }
    for id in found.ssl_vpn_servers.keys() {
        add(&kinds::ssl_vpn_server::KIND, id);
    }
    for id in found.ssl_vpn_client_certs.keys() {
        add(&kinds::ssl_vpn_client_cert::KIND, id);
    }
    for (id, route) in &found.vpn_routes {
        let kind = if route.route_source.is_some() {
            &kinds::vpn_policy_route::KIND
        } else {
            &kinds::vpn_route::KIND
        };
        add(kind, id);
    }
    count
}

/// Every id the state records: each resource's, and each deposed one's.
fn recorded_ids(state: &crate::state::State) -> BTreeSet<&str> {
    state
        .resources
        .values()
        .flat_map(|r| std::iter::once(r.id.as_str()).chain(r.deposed.iter().map(|d| d.id.as_str())))
        .collect()
}

/// How many servers `found` holds, per region, that no address records: neither the
/// state nor a desired `id` names them.
pub(crate) fn unmanaged(
    found: &Inventory,
    state: &crate::state::State,
    desired: &crate::config::Desired,
) -> BTreeMap<String, usize> {
    let known: BTreeSet<&str> = recorded_ids(state)
        .into_iter()
        .chain(desired.servers.values().filter_map(|s| s.id.as_deref()))
        .collect();
    let mut count = BTreeMap::new();
    for server in found.servers.values() {
        if !known.contains(server.id.as_str()) {
            *count.entry(server.region.clone()).or_insert(0) += 1;
        }
    }
    count
}
