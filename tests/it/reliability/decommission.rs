//! The decommission workspace for the crash and fault campaigns (issue 23, item 7):
//! [`Shape::Decommission`](super::Shape), the kinds the family's shape leaves out.
//!
//! A setup apply (not killed; in the fault suite, under the faults too) builds on three
//! adopted gateways and one the file creates:
//! - `routes` (adopted): connection `k1` (to customer gateway `a`), destination routes
//!   `r_w`, `r_pub`, `r_rep` and policy-based routes `p_w`, `p_pri`, `p_rep` through it;
//! - `staff` (adopted): SSL-VPN server `staff`, certificates `alice`, `bob`, `carol`;
//! - `old` (adopted): SSL-VPN server `old`, certificates `o1`, `o2`;
//! - `dec` (created by the file): connection `d1` (to customer gateway `dc`, which only
//!   it uses), route `dr` and policy-based route `dp` through it, SSL-VPN server `dss`
//!   and its certificate `dcert`.
//!
//! The desired file is then changed, and the trial's apply (killed at seeded moments,
//! or against faults) makes, in one plan:
//! - routes: `r_w`'s weight 0 -> 100, `r_pub` published to the VPC, `r_rep` another
//!   destination (replaced); `p_w`'s weight 100 -> 0, `p_pri`'s priority 10 -> 5,
//!   `p_rep` another source and destination (replaced);
//! - SSL-VPN: `staff`'s client pool changed (modified), `alice` renamed, `bob` deleted
//!   (DeleteSslVpnClientCert), `carol` kept, `dave` created; `old` deleted with its
//!   certificates (no certificate delete sent: they are recorded gone with it);
//! - `dec` decommissioned: `dr`, `dp`, `dss` (and `dcert` with it), `d1`, then the
//!   gateway, then customer gateway `dc`;
//! - `fresh`, a gateway the file creates, with connection `f1` (to `a`) and route `fr`
//!   through it.
//!
//! The PSK is a canary, and so is every line of each certificate's material (as
//! DescribeSslVpnClientCert answers it to the test): none may appear in any file under
//! the workspace, in any run's output, or in the sandbox's call log.

use std::collections::{BTreeMap, BTreeSet};

use sha2::Digest as _;

use super::{
    Checks, FaultFigures, Kill, Prepared, REGION, SandboxProcess, contains, files_under,
    gateway_id, run_killed, settled_plan,
};
use crate::support::{Workspace, read_state};

const PSK_ENV: &str = "DECOMMISSION_PSK";
const CANARY_PSK: &str = "CANARYdecommissionPSK4a7e";
const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

/// The adopted gateways: `routes`, `staff`, `old`.
const ROUTES: usize = 0;
const STAFF: usize = 1;
const OLD: usize = 2;

fn header(gateways: &str) -> String {
    format!(
        "version: 1\ndefaults:\n  region: {REGION}\nvpn_gateways:\n  routes: {{id: {}}}\n  staff: {{id: {}}}\n  old: {{id: {}}}\n{gateways}",
        gateway_id(ROUTES),
        gateway_id(STAFF),
        gateway_id(OLD)
    )
}

fn connection(name: &str, gateway: &str, cgw: &str, net: u8) -> String {
    format!(
        "  {name}: {{vpn_gateway: vpn_gateway.{gateway}, customer_gateway: customer_gateway.{cgw}, local_subnet: [10.{net}.0.0/16], remote_subnet: [192.168.{net}.0/24], psk: {{env: {PSK_ENV}}}}}\n"
    )
}

fn route(name: &str, gateway: &str, dest: u8, hop: &str, weight: u8, publish: bool) -> String {
    format!(
        "  {name}: {{vpn_gateway: vpn_gateway.{gateway}, route_dest: 192.168.{dest}.0/24, next_hop: vpn_connection.{hop}, weight: {weight}, publish_vpc: {publish}}}\n"
    )
}

fn policy(name: &str, gateway: &str, source: u8, dest: u8, hop: &str, w: u8, pri: u8) -> String {
    format!(
        "  {name}: {{vpn_gateway: vpn_gateway.{gateway}, route_source: 10.{source}.0.0/16, route_dest: 192.168.{dest}.0/24, next_hop: vpn_connection.{hop}, weight: {w}, priority: {pri}, publish_vpc: false}}\n"
    )
}

fn server(name: &str, gateway: &str, pool: u8) -> String {
    format!(
        "  {name}: {{vpn_gateway: vpn_gateway.{gateway}, client_ip_pool: 10.{pool}.0.0/16, local_subnet: [10.0.0.0/16]}}\n"
    )
}

fn cert(name: &str, server: &str, label: &str) -> String {
    format!("  {name}: {{ssl_vpn_server: ssl_vpn_server.{server}, name: {label}}}\n")
}

/// The world the setup apply builds.
fn setup_desired() -> String {
    header("  dec: {vpc: vpc-dec, bandwidth: 10, ssl_vpn: true}\n")
        + "customer_gateways:\n  a: {ip_address: 203.0.113.1}\n  dc: {ip_address: 203.0.113.2}\n"
        + "vpn_connections:\n"
        + &connection("k1", "routes", "a", 0)
        + &connection("d1", "dec", "dc", 9)
        + "vpn_routes:\n"
        + &route("r_w", "routes", 10, "k1", 0, false)
        + &route("r_pub", "routes", 11, "k1", 0, false)
        + &route("r_rep", "routes", 12, "k1", 0, false)
        + &route("dr", "dec", 19, "d1", 0, false)
        + "vpn_policy_routes:\n"
        + &policy("p_w", "routes", 0, 20, "k1", 100, 10)
        + &policy("p_pri", "routes", 0, 21, "k1", 100, 10)
        + &policy("p_rep", "routes", 0, 22, "k1", 100, 10)
        + &policy("dp", "dec", 9, 29, "d1", 100, 10)
        + "ssl_vpn_servers:\n"
        + &server("staff", "staff", 30)
        + &server("old", "old", 40)
        + &server("dss", "dec", 50)
        + "ssl_vpn_client_certs:\n"
        + &cert("alice", "staff", "alice")
        + &cert("bob", "staff", "bob")
        + &cert("carol", "staff", "carol")
        + &cert("o1", "old", "o1")
        + &cert("o2", "old", "o2")
        + &cert("dcert", "dss", "dcert")
}

/// What the trial's apply makes of it.
fn final_desired() -> String {
    header("  fresh: {vpc: vpc-fresh, bandwidth: 10}\n")
        + "customer_gateways:\n  a: {ip_address: 203.0.113.1}\n"
        + "vpn_connections:\n"
        + &connection("k1", "routes", "a", 0)
        + &connection("f1", "fresh", "a", 8)
        + "vpn_routes:\n"
        + &route("r_w", "routes", 10, "k1", 100, false)
        + &route("r_pub", "routes", 11, "k1", 0, true)
        + &route("r_rep", "routes", 13, "k1", 0, false)
        + &route("fr", "fresh", 18, "f1", 0, false)
        + "vpn_policy_routes:\n"
        + &policy("p_w", "routes", 0, 20, "k1", 0, 10)
        + &policy("p_pri", "routes", 0, 21, "k1", 100, 5)
        + &policy("p_rep", "routes", 1, 23, "k1", 100, 10)
        + "ssl_vpn_servers:\n"
        + &server("staff", "staff", 31)
        + "ssl_vpn_client_certs:\n"
        + &cert("alice", "staff", "alice2")
        + &cert("carol", "staff", "carol")
        + &cert("dave", "staff", "dave")
}

/// The addresses the final file records.
const FINAL: [&str; 17] = [
    "vpn_gateway.routes",
    "vpn_gateway.staff",
    "vpn_gateway.old",
    "vpn_gateway.fresh",
    "customer_gateway.a",
    "vpn_connection.k1",
    "vpn_connection.f1",
    "vpn_route.r_w",
    "vpn_route.r_pub",
    "vpn_route.r_rep",
    "vpn_route.fr",
    "vpn_policy_route.p_w",
    "vpn_policy_route.p_pri",
    "vpn_policy_route.p_rep",
    "ssl_vpn_server.staff",
    "ssl_vpn_client_cert.alice",
    "ssl_vpn_client_cert.carol",
];

/// The addresses the trial's plan deletes (`r_rep` and `p_rep` replaced: their old
/// routes), whose recorded ids must each see one delete.
const DELETED: [&str; 10] = [
    "vpn_route.r_rep",
    "vpn_route.dr",
    "vpn_policy_route.p_rep",
    "vpn_policy_route.dp",
    "ssl_vpn_server.old",
    "ssl_vpn_server.dss",
    "ssl_vpn_client_cert.bob",
    "vpn_connection.d1",
    "vpn_gateway.dec",
    "customer_gateway.dc",
];

/// Certificates deleted by their server's delete (no DeleteSslVpnClientCert).
const WITH_THEIR_SERVER: [&str; 3] = [
    "ssl_vpn_client_cert.o1",
    "ssl_vpn_client_cert.o2",
    "ssl_vpn_client_cert.dcert",
];

/// The addresses the trial's plan changes in place.
const MODIFIED: [&str; 6] = [
    "vpn_route.r_w",
    "vpn_route.r_pub",
    "vpn_policy_route.p_w",
    "vpn_policy_route.p_pri",
    "ssl_vpn_server.staff",
    "ssl_vpn_client_cert.alice",
];

/// On `dec`: deleted before it.
const ON_DEC: [&str; 5] = [
    "vpn_route.dr",
    "vpn_policy_route.dp",
    "ssl_vpn_server.dss",
    "ssl_vpn_client_cert.dcert",
    "vpn_connection.d1",
];

/// Creates per kind over a trial, setup included: at most these (0 duplicates).
const CREATES: [(&str, usize); 7] = [
    ("vpn_gateway", 2),
    ("customer_gateway", 2),
    ("vpn_connection", 3),
    ("vpn_route", 6),
    ("vpn_policy_route", 5),
    ("ssl_vpn_server", 3),
    ("ssl_vpn_client_cert", 7),
];

fn world() -> String {
    let mut out = String::from("vpn_gateways:\n");
    for i in [ROUTES, STAFF, OLD] {
        out += &format!("  {}: {{region: {REGION}}}\n", gateway_id(i));
    }
    out
}

/// The id vpnform records for what the audit log names `resource` (a route's key is
/// `gateway:next_hop:dest`, a policy-based route's `gateway:next_hop:source:dest`; the
/// state records the synthetic id of `src/kinds/vpn_route` and `vpn_policy_route`).
fn recorded_id(kind: &str, resource: &str) -> String {
    let hash = |prefix: &str, text: String| {
        let digest = sha2::Sha256::digest(text.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{prefix}{}", &hex[..24])
    };
    let p: Vec<&str> = resource.split(':').collect();
    match (kind, p.as_slice()) {
        ("vpn_route", [gw, hop, dest]) => hash("vre-", format!("{gw}|{dest}|{hop}")),
        ("vpn_policy_route", [gw, hop, src, dest]) => {
            hash("vpr-", format!("{gw}|{src}|{dest}|{hop}"))
        }
        _ => resource.to_owned(),
    }
}

/// The kind an audit entry acts on.
fn kind_of(action: &str, resource: &str) -> &'static str {
    if resource.starts_with("vsc-") {
        return "ssl_vpn_client_cert";
    }
    if action.contains("Pbr") {
        return "vpn_policy_route";
    }
    if action.contains("RouteEntry") {
        // PublishVpnRouteEntry serves both: a policy-based route's key has 4 parts.
        return if resource.split(':').count() == 4 {
            "vpn_policy_route"
        } else {
            "vpn_route"
        };
    }
    if action.contains("SslVpnServer") {
        return "ssl_vpn_server";
    }
    if action.contains("CustomerGateway") {
        return "customer_gateway";
    }
    if action.contains("VpnConnection") {
        return "vpn_connection";
    }
    if action.contains("VpnGateway") {
        return "vpn_gateway";
    }
    panic!("an unexpected effect {action} on {resource}")
}

/// What the audit log says exists and happened, by recorded id.
#[derive(Debug, Default)]
struct Audited {
    /// Alive: id -> kind (the adopted gateways aside).
    alive: BTreeMap<String, &'static str>,
    creates: BTreeMap<&'static str, usize>,
    /// Deletes per id, and the position of the (first) one in the log.
    deletes: BTreeMap<String, usize>,
    deleted_at: BTreeMap<String, usize>,
    /// The action that deleted each id.
    deleted_by: BTreeMap<String, String>,
    modifies: BTreeMap<String, usize>,
    /// Each ClientToken's calls (one RequestId: a server's delete audits its
    /// certificates too, under the same request).
    tokens: usize,
}

fn audited(sandbox: &SandboxProcess, context: &str) -> Audited {
    let mut a = Audited::default();
    let mut tokens: BTreeMap<String, String> = BTreeMap::new();
    for (at, e) in sandbox.audit().iter().enumerate() {
        let field = |name: &str| e[name].as_str().unwrap_or_default().to_owned();
        let (action, request) = (field("action"), field("request_id"));
        if let Some(token) = e["client_token"].as_str() {
            let first = tokens.entry(token.to_owned()).or_insert(request.clone());
            assert_eq!(
                *first, request,
                "{context}: the ClientToken {token} took effect in two calls ({e})"
            );
        }
        let kind = kind_of(&action, &field("resource"));
        let id = recorded_id(kind, &field("resource"));
        match field("effect").as_str() {
            "created" => {
                a.alive.insert(id, kind);
                *a.creates.entry(kind).or_default() += 1;
            }
            "deleted" => {
                a.alive.remove(&id);
                *a.deletes.entry(id.clone()).or_default() += 1;
                a.deleted_at.entry(id.clone()).or_insert(at);
                a.deleted_by.insert(id, action);
            }
            _ => *a.modifies.entry(id).or_default() += 1,
        }
    }
    a.tokens = tokens.len();
    a
}

/// What the decommission runs are held to: the ids the setup recorded.
pub(super) struct DecommissionChecks {
    /// Address -> id after the setup apply (empty while it runs).
    setup: BTreeMap<String, String>,
    /// The material's lines of every certificate the setup made.
    canaries: Vec<String>,
}

impl DecommissionChecks {
    fn id(&self, address: &str) -> &str {
        &self.setup[address]
    }

    fn ids(&self, addresses: &[&str]) -> BTreeSet<String> {
        addresses.iter().map(|a| self.id(a).to_owned()).collect()
    }
}

/// A decommission trial: the sandbox, the setup apply (re-run while its retries give
/// up, at most 3 runs, checked after each), then the changed desired file.
pub(super) fn prepare(sandbox_args: &[&str], context: &str) -> Prepared {
    let ws = Workspace::new().env(PSK_ENV, CANARY_PSK);
    ws.write("vpnform.yaml", &setup_desired());
    let mut args = sandbox_args.to_vec();
    args.extend(["--gateway-create-time", "300ms"]);
    let sandbox = SandboxProcess::serve(&ws, Some(&world()), &args);
    let mut outputs = String::new();
    let mut runs = 0;
    loop {
        runs += 1;
        let run = run_killed(&ws, &sandbox, APPLY, Kill::Never);
        outputs += &run.stdout;
        outputs += &run.stderr;
        let context = format!("{context}, setup run {runs}");
        let a = audited(&sandbox, &context);
        for (kind, most) in CREATES {
            assert!(
                a.creates.get(kind).copied().unwrap_or(0) <= most,
                "{context}: duplicate {kind} creates: {a:?}"
            );
        }
        assert!(a.deletes.is_empty(), "{context}: a delete at setup: {a:?}");
        if run.code == Some(0) {
            break;
        }
        assert!(
            runs < 4,
            "{context}: the setup apply does not converge\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    let state = read_state(&ws);
    let setup: BTreeMap<String, String> = state
        .resources
        .iter()
        .map(|(a, r)| (a.to_string(), r.id.clone()))
        .collect();
    let mut canaries = Vec::new();
    for (address, id) in &setup {
        if address.starts_with("ssl_vpn_client_cert.") {
            canaries.extend(material(&sandbox, id));
        }
    }
    assert_eq!(canaries.len() % 6, 0, "{context}: {}", canaries.len());
    ws.write("vpnform.yaml", &final_desired());
    Prepared {
        ws,
        sandbox,
        checks: Box::new(DecommissionChecks { setup, canaries }),
        setup_runs: runs,
        outputs,
    }
}

/// The lines of certificate `id`'s material (as DescribeSslVpnClientCert answers it)
/// long enough to be recognized anywhere: PEM body lines and the config's marker.
pub(super) fn material(sandbox: &SandboxProcess, id: &str) -> Vec<String> {
    let client = sandbox.client();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut tries = 0;
    let m = loop {
        tries += 1;
        match runtime.block_on(client.describe_ssl_vpn_client_cert(REGION, id)) {
            Ok(m) => break m,
            Err(e) => assert!(tries < 8, "reading {id}'s material: {e}"),
        }
    };
    [&m.ca_cert, &m.client_cert, &m.client_key, &m.client_config]
        .iter()
        .flat_map(|s| s.expose().lines().map(str::to_owned).collect::<Vec<_>>())
        .filter(|l| l.len() >= 20 && !l.starts_with("-----"))
        .collect()
}

impl Checks for DecommissionChecks {
    /// After every run: the state parses and `state list` works; every ClientToken took
    /// effect in one call; deletes only of what the plan deletes (and the certificates
    /// of a deleted server, by its delete), none twice, DeleteSslVpnClientCert only of
    /// `bob`; modifies only of what it changes; at most the creates it makes (0
    /// duplicates); the decommission in order (everything on `dec` before it, routes
    /// before their connection, `dc` after `d1`); every recorded id alive or pending (a
    /// certificate: or its server pending); 0 orphans: every resource the cloud holds is
    /// recorded, or a pending create of its kind stands for it.
    fn invariants(&self, ws: &Workspace, sandbox: &SandboxProcess, context: &str) {
        let state = vpnform::state::read(&ws.path().join("state"))
            .unwrap_or_else(|e| panic!("{context}: the state file does not parse: {e}"))
            .unwrap_or_else(|| panic!("{context}: the state file is gone"));
        let list = run_killed(ws, sandbox, &["state", "list"], Kill::Never);
        assert_eq!(list.code, Some(0), "{context}: state list: {}", list.stderr);
        let a = audited(sandbox, context);
        let named = self.ids(&DELETED);
        let with_server = self.ids(&WITH_THEIR_SERVER);
        for (id, n) in &a.deletes {
            assert!(
                named.contains(id) || with_server.contains(id),
                "{context}: {id} was deleted but the plan does not delete it"
            );
            assert_eq!(*n, 1, "{context}: {id} was deleted {n} times");
            if with_server.contains(id) {
                assert_eq!(
                    a.deleted_by[id], "DeleteSslVpnServer",
                    "{context}: {id} deleted by a call of its own"
                );
            }
        }
        let cert_deletes = sandbox.attempts("DeleteSslVpnClientCert", "SslVpnClientCertId");
        for id in cert_deletes.keys() {
            assert_eq!(
                id,
                self.id("ssl_vpn_client_cert.bob"),
                "{context}: DeleteSslVpnClientCert sent for {id}"
            );
        }
        let modified = self.ids(&MODIFIED);
        for id in a.modifies.keys() {
            assert!(
                modified.contains(id),
                "{context}: {id} was modified but the plan does not change it"
            );
        }
        for (kind, most) in CREATES {
            let n = a.creates.get(kind).copied().unwrap_or(0);
            assert!(
                n <= most,
                "{context}: duplicate: {n} {kind} creates, {most} planned"
            );
        }
        // The decommission's order, whatever was killed.
        let at = |address: &str| a.deleted_at.get(self.id(address)).copied();
        if let Some(gateway) = at("vpn_gateway.dec") {
            for child in ON_DEC {
                assert!(
                    at(child).is_some_and(|c| c < gateway),
                    "{context}: the gateway deleted before {child}"
                );
            }
        }
        if let Some(hop) = at("vpn_connection.d1") {
            for route in ["vpn_route.dr", "vpn_policy_route.dp"] {
                assert!(
                    at(route).is_some_and(|r| r < hop),
                    "{context}: d1 deleted before {route}"
                );
            }
        }
        if let Some(cgw) = at("customer_gateway.dc") {
            assert!(
                at("vpn_connection.d1").is_some_and(|c| c < cgw),
                "{context}: dc deleted before d1"
            );
        }
        let adopted: BTreeSet<String> = [ROUTES, STAFF, OLD].map(gateway_id).into();
        let pending_ids: BTreeSet<&str> = state
            .pending
            .iter()
            .filter_map(|p| p.id.as_deref())
            .collect();
        let mut recorded = BTreeSet::new();
        for (address, r) in &state.resources {
            let ids = std::iter::once(&r.id).chain(r.deposed.as_ref().map(|d| &d.id));
            for id in ids {
                recorded.insert(id.clone());
                let alive = a.alive.contains_key(id) || adopted.contains(id);
                // A certificate goes with its server: its own step records it gone once
                // the server's delete is confirmed (a kill in between leaves it to the
                // next plan, which forgets it: the refresh finds it gone).
                let server_pending = r
                    .attributes
                    .get("ssl_vpn_server")
                    .is_some_and(|s| pending_ids.contains(s.as_str()) || a.deletes.contains_key(s));
                assert!(
                    alive || pending_ids.contains(id.as_str()) || server_pending,
                    "{context}: {address} records {id}, which the cloud does not hold, and \
                     no pending entry names it\nstate: {state:#?}"
                );
            }
        }
        let mut orphans: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
        for (id, kind) in &a.alive {
            if !recorded.contains(id) {
                orphans.entry(kind).or_default().push(id);
            }
        }
        for (kind, ids) in orphans {
            let pending = state
                .pending
                .iter()
                .filter(|p| p.action == "create" && p.address.to_string().starts_with(kind))
                .filter(|p| p.address.to_string()[kind.len()..].starts_with('.'))
                .count();
            assert!(
                ids.len() <= pending,
                "{context}: orphan: the cloud holds the {kind}s {ids:?}, neither recorded \
                 nor pending\nstate: {state:#?}"
            );
        }
    }

    /// At the end: a plan shows no changes; the state records exactly the final
    /// addresses, nothing pending or deposed; every deleted id deleted once, every
    /// change made; what the cloud holds (the audit log's creates less its deletes) is
    /// exactly what the state records; no canary (PSK, any certificate's material) in
    /// any file under the workspace, any run's output, or the sandbox's call log.
    fn converged(
        &self,
        ws: &Workspace,
        sandbox: &SandboxProcess,
        outputs: &mut String,
        context: &str,
    ) {
        assert!(!self.setup.is_empty(), "{context}: still at the setup");
        let plan = settled_plan(ws, sandbox);
        *outputs += &plan.stdout;
        *outputs += &plan.stderr;
        assert_eq!(
            plan.code,
            Some(0),
            "{context}: the plan after convergence is not empty\n{}\n{}",
            plan.stdout,
            plan.stderr
        );
        let state = read_state(ws);
        assert!(state.pending.is_empty(), "{context}: {:?}", state.pending);
        let addresses: BTreeSet<String> = state.resources.keys().map(|a| a.to_string()).collect();
        let wanted: BTreeSet<String> = FINAL
            .iter()
            .map(|a| (*a).to_owned())
            .chain(["ssl_vpn_client_cert.dave".to_owned()])
            .collect();
        assert_eq!(addresses, wanted, "{context}: state != desired");
        for (address, r) in &state.resources {
            assert_eq!(r.deposed, None, "{context}: {address}");
        }
        let a = audited(sandbox, context);
        let deleted: BTreeSet<String> = a.deletes.keys().cloned().collect();
        let mut want = self.ids(&DELETED);
        want.extend(self.ids(&WITH_THEIR_SERVER));
        assert_eq!(deleted, want, "{context}: deleted != planned");
        for id in self.ids(&MODIFIED) {
            assert!(
                a.modifies.contains_key(&id),
                "{context}: {id} never changed"
            );
        }
        let adopted: BTreeSet<String> = [ROUTES, STAFF, OLD].map(gateway_id).into();
        let alive: BTreeSet<String> = a.alive.keys().cloned().chain(adopted).collect();
        let recorded: BTreeSet<String> = state.resources.values().map(|r| r.id.clone()).collect();
        assert_eq!(
            alive, recorded,
            "{context}: the cloud's resources are not the recorded ones"
        );
        for kept in ["vpn_connection.k1", "customer_gateway.a", "vpn_route.r_w"] {
            assert_eq!(
                state.resources[kept].id,
                self.id(kept),
                "{context}: {kept} kept"
            );
        }
        let mut canaries = self.canaries.clone();
        canaries.extend(material(
            sandbox,
            &state.resources["ssl_vpn_client_cert.dave"].id,
        ));
        canaries.push(CANARY_PSK.to_owned());
        for (path, bytes) in files_under(ws.path()) {
            for canary in &canaries {
                assert!(
                    !contains(&bytes, canary),
                    "{context}: the secret {canary} is in {}",
                    path.display()
                );
            }
        }
        let log = sandbox.log();
        for canary in &canaries {
            assert!(
                !contains(outputs.as_bytes(), canary),
                "{context}: the secret {canary} is in a run's output"
            );
            assert!(
                !contains(log.as_bytes(), canary),
                "{context}: the secret {canary} is in the sandbox's call log"
            );
        }
    }

    fn verified(&self, sandbox: &SandboxProcess) -> Vec<(&'static str, usize)> {
        vec![
            ("route weight/publish/priority changes", 4),
            ("route replaces", 2),
            ("route creates on a new gateway", 1),
            ("server modifies", 1),
            ("cert renames", 1),
            ("cert deletes", 1),
            ("cert creates", 1),
            ("server deletes (certs with them)", 2),
            ("gateways decommissioned", 1),
            ("gateways created", 1),
            // Per check: the 6 setup certificates' lines, dave's, the PSK.
            ("secrets looked for", self.canaries.len() * 7 / 6 + 1),
            (
                "tokens each in one call",
                audited(sandbox, "verified").tokens,
            ),
        ]
    }

    fn attempts(&self, sandbox: &SandboxProcess, f: &mut FaultFigures) {
        // Operations, setup included.
        let kinds: [(&'static str, &str, usize); 20] = [
            ("CreateVpnGateway", "VpcId", 2),
            ("CreateCustomerGateway", "IpAddress", 2),
            ("CreateVpnConnection", "VpnGatewayId", 3),
            ("CreateVpnRouteEntry", "RouteDest", 6),
            ("CreateVpnPbrRouteEntry", "RouteDest", 5),
            ("CreateSslVpnServer", "VpnGatewayId", 3),
            ("CreateSslVpnClientCert", "Name", 7),
            ("ModifyVpnRouteEntryWeight", "RouteDest", 1),
            ("PublishVpnRouteEntry", "RouteDest", 1),
            ("ModifyVpnPbrRouteEntryWeight", "RouteDest", 1),
            ("ModifyVpnPbrRouteEntryPriority", "RouteDest", 1),
            ("ModifySslVpnServer", "SslVpnServerId", 1),
            ("ModifySslVpnClientCert", "SslVpnClientCertId", 1),
            ("DeleteVpnRouteEntry", "RouteDest", 2),
            ("DeleteVpnPbrRouteEntry", "RouteDest", 2),
            ("DeleteSslVpnServer", "SslVpnServerId", 2),
            ("DeleteSslVpnClientCert", "SslVpnClientCertId", 1),
            ("DeleteVpnConnection", "VpnConnectionId", 1),
            ("DeleteVpnGateway", "VpnGatewayId", 1),
            ("DeleteCustomerGateway", "CustomerGatewayId", 1),
        ];
        for (action, key, operations) in kinds {
            f.attempts.entry(action).or_default().add(
                operations,
                &sandbox.attempts(action, key),
                sandbox.lost_after_effect(action),
            );
        }
    }
}
