//! The VPN-gateway family's workspace for the crash and fault campaigns (issue 22, item
//! 8): [`Shape::Family`](super::Shape).
//!
//! A setup apply (not killed; in the fault suite, under the faults too) creates 4
//! customer gateways (`a`, `b` with a BGP key, `c`, `e`) and 4 connections on gateways
//! of their own: `upd` (single tunnel, to `a` by address), `dual` (dual tunnel, `a`
//! master and `e` slave, its key from a file), `gone` (to `c`) and `rep` (to `a`). The
//! desired file is then changed, and the trial's apply (killed at seeded moments, or
//! against faults) makes, in one plan:
//! - customer gateways: `a` renamed (in place), `b` given another IP address (replaced,
//!   destroy first), `c` removed (deleted after `gone`), `d` new (with a BGP key);
//! - connections: `upd` and `dual` given another `remote_subnet` (in place, single and
//!   dual tunnel), `gone` removed (deleted before `c`), `rep` pointed at `e` (replaced,
//!   create first: its gateway has room and the two share no customer gateway), and
//!   four new: `new` (to `d`, by address, created in the same run),
//!   `byid` (to an unmanaged customer gateway, by id), `byid_managed` (to `e`, by the id
//!   it got at setup) and `dual_new` (dual tunnel, `d` master and `e` slave, by
//!   address).
//!
//! Every connection has its own gateway, so the cloud's one connection per customer
//! gateway and gateway never decides anything, and at most one connection is alive on a
//! gateway (two on `rep`'s while its replace runs). `b`'s replace is referenced by no
//! connection: the plan refuses to replace a customer gateway a kept connection uses.
//!
//! The keys are canaries (the connections' PSK from env and from a file, the BGP key
//! from env): none may appear in any file under the workspace but the key file, in any
//! run's output, or in the sandbox's call log.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Checks, FaultFigures, Kill, Prepared, REGION, STATE, SandboxProcess, contains, files_under,
    gateway_id, run_killed, settled_plan,
};
use crate::support::{Workspace, read_state};

const PSK_ENV: &str = "FAMILY_PSK";
const BGP_ENV: &str = "FAMILY_BGP_KEY";
const PSK_FILE: &str = "secrets/dual.psk";
const CANARY_PSK: &str = "CANARYfamilyPSK5e0d2a";
const CANARY_FILE_PSK: &str = "CANARYfamilyFilePSK2b9e";
const CANARY_BGP: &str = "CANARYfamilyBGP8c41f7";
const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

/// The customer gateway no entry manages, which `byid` names by id.
fn unmanaged() -> String {
    format!("cgw-bp1{:018}", 90)
}

/// A customer gateway entry.
#[derive(Debug, Clone, Copy)]
struct Cgw {
    name: &'static str,
    /// The last octet of 203.0.113.x.
    ip: u8,
    /// Its `name` attribute, if the entry writes one.
    label: Option<&'static str>,
    /// Whether it has a BGP key (with `asn: 65002`).
    bgp: bool,
}

/// Whom a connection connects to.
#[derive(Debug, Clone, Copy)]
enum Peer {
    /// A customer gateway of the file, by address.
    Address(&'static str),
    /// The unmanaged customer gateway, by id.
    Unmanaged,
    /// A customer gateway of the file, by the id it got at setup.
    IdOf(&'static str),
    /// Dual tunnel: master and slave, by address.
    Dual(&'static str, &'static str),
}

/// A connection entry.
#[derive(Debug, Clone, Copy)]
struct Connection {
    name: &'static str,
    /// Its gateway: `gateway_id(gateway)`.
    gateway: usize,
    peer: Peer,
    /// The third octet of its `remote_subnet` (192.168.x.0/24).
    remote: u8,
    /// Its key from the file [`PSK_FILE`], else from env [`PSK_ENV`].
    file_psk: bool,
}

const fn cgw(name: &'static str, ip: u8, label: Option<&'static str>, bgp: bool) -> Cgw {
    Cgw {
        name,
        ip,
        label,
        bgp,
    }
}

const fn vco(name: &'static str, gateway: usize, peer: Peer, remote: u8) -> Connection {
    Connection {
        name,
        gateway,
        peer,
        remote,
        file_psk: false,
    }
}

const SETUP_CGWS: [Cgw; 4] = [
    cgw("a", 1, Some("a"), false),
    cgw("b", 2, None, true),
    cgw("c", 3, None, false),
    cgw("e", 5, Some("e"), false),
];

const FINAL_CGWS: [Cgw; 4] = [
    cgw("a", 1, Some("a-renamed"), false),
    cgw("b", 12, None, true),
    cgw("d", 4, None, true),
    cgw("e", 5, Some("e"), false),
];

const DUAL: Connection = Connection {
    file_psk: true,
    ..vco("dual", 1, Peer::Dual("a", "e"), 1)
};

const SETUP_CONNECTIONS: [Connection; 4] = [
    vco("upd", 0, Peer::Address("a"), 0),
    DUAL,
    vco("gone", 2, Peer::Address("c"), 2),
    vco("rep", REP_GATEWAY, Peer::Address("a"), 3),
];

const FINAL_CONNECTIONS: [Connection; 7] = [
    vco("upd", 0, Peer::Address("a"), 100),
    Connection {
        remote: 101,
        ..DUAL
    },
    vco("rep", REP_GATEWAY, Peer::Address("e"), 3),
    vco("new", 4, Peer::Address("d"), 4),
    vco("byid", 5, Peer::Unmanaged, 5),
    vco("byid_managed", 6, Peer::IdOf("e"), 6),
    Connection {
        file_psk: false,
        ..vco("dual_new", 7, Peer::Dual("d", "e"), 7)
    },
];

/// The gateways the connections use.
const GATEWAYS: usize = 8;

/// `rep`'s gateway.
const REP_GATEWAY: usize = 3;

fn desired(cgws: &[Cgw], connections: &[Connection], ids: &BTreeMap<String, String>) -> String {
    let mut out = format!("version: 1\ndefaults:\n  region: {REGION}\ncustomer_gateways:\n");
    for g in cgws {
        out += &format!("  {}:\n    ip_address: 203.0.113.{}\n", g.name, g.ip);
        if let Some(label) = g.label {
            out += &format!("    name: {label}\n");
        }
        if g.bgp {
            out += &format!("    asn: 65002\n    auth_key: {{env: {BGP_ENV}}}\n");
        }
    }
    out += "vpn_connections:\n";
    for c in connections {
        out += &format!(
            "  {}:\n    vpn_gateway: {}\n    local_subnet: [10.{}.0.0/16]\n    remote_subnet: [192.168.{}.0/24]\n",
            c.name,
            gateway_id(c.gateway),
            c.gateway,
            c.remote
        );
        out += &if c.file_psk {
            format!("    psk: {{file: {PSK_FILE}}}\n")
        } else {
            format!("    psk: {{env: {PSK_ENV}}}\n")
        };
        match c.peer {
            Peer::Address(name) => {
                out += &format!("    customer_gateway: customer_gateway.{name}\n");
            }
            Peer::Unmanaged => out += &format!("    customer_gateway: {}\n", unmanaged()),
            Peer::IdOf(name) => {
                out += &format!(
                    "    customer_gateway: {}\n",
                    ids[&format!("customer_gateway.{name}")]
                );
            }
            Peer::Dual(master, slave) => {
                out += &format!(
                    "    tunnels:\n      - {{customer_gateway: customer_gateway.{master}, role: master}}\n      - {{customer_gateway: customer_gateway.{slave}, role: slave}}\n"
                );
            }
        }
    }
    out
}

fn world() -> String {
    let mut out = String::from("vpn_gateways:\n");
    for i in 0..GATEWAYS {
        out += &format!("  {}: {{region: {REGION}}}\n", gateway_id(i));
    }
    out += &format!(
        "customer_gateways:\n  {}: {{region: {REGION}, ip_address: 203.0.113.90, name: unmanaged}}\n",
        unmanaged()
    );
    out
}

/// What the family's runs are held to: the setup's ids, what the changed desired file
/// deletes and modifies, and how many creates it may take.
pub(super) struct FamilyChecks {
    /// Address -> id after the setup apply (empty while it runs).
    setup: BTreeMap<String, String>,
    /// The ids the trial's plan deletes: `gone`, `rep`'s old connection, `c`, `b`'s old
    /// customer gateway.
    named: BTreeSet<String>,
    /// The ids it modifies in place: `upd`, `dual`, `a`.
    modified: BTreeSet<String>,
    /// CreateCustomerGateway effects ever: 4 at setup, then `d` and `b`'s replacement.
    cgw_creates: usize,
    /// CreateVpnConnection effects ever, per gateway.
    vco_creates: BTreeMap<String, usize>,
    final_desired: bool,
}

impl FamilyChecks {
    fn setup() -> FamilyChecks {
        FamilyChecks {
            setup: BTreeMap::new(),
            named: BTreeSet::new(),
            modified: BTreeSet::new(),
            cgw_creates: SETUP_CGWS.len(),
            vco_creates: SETUP_CONNECTIONS
                .iter()
                .map(|c| (gateway_id(c.gateway), 1))
                .collect(),
            final_desired: false,
        }
    }

    fn after_setup(ws: &Workspace) -> FamilyChecks {
        let state = read_state(ws);
        let setup: BTreeMap<String, String> = state
            .resources
            .iter()
            .map(|(a, r)| (a.to_string(), r.id.clone()))
            .collect();
        let id = |address: &str| setup[address].clone();
        let named = [
            "vpn_connection.gone",
            "vpn_connection.rep",
            "customer_gateway.c",
            "customer_gateway.b",
        ]
        .map(id)
        .into();
        let modified = [
            "vpn_connection.upd",
            "vpn_connection.dual",
            "customer_gateway.a",
        ]
        .map(id)
        .into();
        let mut vco_creates: BTreeMap<String, usize> = BTreeMap::new();
        for c in SETUP_CONNECTIONS.iter().chain(&FINAL_CONNECTIONS) {
            *vco_creates.entry(gateway_id(c.gateway)).or_default() += 1;
        }
        // `upd` and `dual` are updated in place: created once, at setup.
        for c in ["upd", "dual"] {
            let c = FINAL_CONNECTIONS.iter().find(|f| f.name == c).unwrap();
            *vco_creates.get_mut(&gateway_id(c.gateway)).unwrap() -= 1;
        }
        FamilyChecks {
            setup,
            named,
            modified,
            cgw_creates: SETUP_CGWS.len() + 2,
            vco_creates,
            final_desired: true,
        }
    }
}

/// A family trial: the sandbox, the setup apply (re-run while its retries give up, at
/// most 3 runs, invariants after each), then the changed desired file.
pub(super) fn prepare(sandbox_args: &[&str], context: &str) -> Prepared {
    let ws = Workspace::new()
        .env(PSK_ENV, CANARY_PSK)
        .env(BGP_ENV, CANARY_BGP);
    ws.write(PSK_FILE, &format!("{CANARY_FILE_PSK}\n"));
    ws.write(
        "vpnform.yaml",
        &desired(&SETUP_CGWS, &SETUP_CONNECTIONS, &BTreeMap::new()),
    );
    let sandbox = SandboxProcess::serve(&ws, Some(&world()), sandbox_args);
    let setup = FamilyChecks::setup();
    let mut outputs = String::new();
    let mut runs = 0;
    loop {
        runs += 1;
        let run = run_killed(&ws, &sandbox, APPLY, Kill::Never);
        outputs += &run.stdout;
        outputs += &run.stderr;
        let context = format!("{context}, setup run {runs}");
        setup.invariants(&ws, &sandbox, &context);
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
    let checks = FamilyChecks::after_setup(&ws);
    ws.write(
        "vpnform.yaml",
        &desired(&FINAL_CGWS, &FINAL_CONNECTIONS, &checks.setup),
    );
    Prepared {
        ws,
        sandbox,
        checks: Box::new(checks),
        setup_runs: runs,
        outputs,
    }
}

/// What the audit log says exists and happened.
#[derive(Debug, Default)]
struct Audited {
    /// Customer gateways alive: the unmanaged one, plus created, minus deleted.
    cgws: BTreeSet<String>,
    cgw_creates: usize,
    /// Connections alive: id -> gateway.
    vcos: BTreeMap<String, String>,
    vco_creates: BTreeMap<String, usize>,
    deletes: BTreeMap<String, usize>,
    modifies: BTreeMap<String, usize>,
}

fn audited(sandbox: &SandboxProcess, context: &str) -> Audited {
    let mut a = Audited {
        cgws: BTreeSet::from([unmanaged()]),
        ..Audited::default()
    };
    let mut tokens = BTreeSet::new();
    for e in sandbox.audit() {
        if let Some(token) = e["client_token"].as_str() {
            assert!(
                tokens.insert(token.to_owned()),
                "{context}: the ClientToken {token} took effect twice"
            );
        }
        let resource = e["resource"].as_str().unwrap_or_default().to_owned();
        let gateway = e["vpn_gateway"].as_str().unwrap_or_default().to_owned();
        match e["action"].as_str().unwrap_or_default() {
            "CreateCustomerGateway" => {
                a.cgws.insert(resource);
                a.cgw_creates += 1;
            }
            "DeleteCustomerGateway" => {
                a.cgws.remove(&resource);
                *a.deletes.entry(resource).or_default() += 1;
            }
            "CreateVpnConnection" => {
                a.vcos.insert(resource, gateway.clone());
                *a.vco_creates.entry(gateway).or_default() += 1;
            }
            "DeleteVpnConnection" => {
                a.vcos.remove(&resource);
                *a.deletes.entry(resource).or_default() += 1;
            }
            "ModifyVpnConnectionAttribute" | "ModifyCustomerGatewayAttribute" => {
                *a.modifies.entry(resource).or_default() += 1;
            }
            other => panic!("{context}: an unexpected effect {other}: {e}"),
        }
    }
    a
}

impl Checks for FamilyChecks {
    /// After every run: the state parses; every ClientToken took effect at most once;
    /// deletes only of what the plan names, none twice; modifies only of what it
    /// updates; at most the creates it makes (0 duplicates), at most one connection
    /// alive per gateway; every recorded id alive or pending; 0 orphans: every customer
    /// gateway and connection the cloud holds (but the unmanaged one) is recorded, or a
    /// pending create of its kind (on its gateway, for a connection) stands for it.
    fn invariants(&self, ws: &Workspace, sandbox: &SandboxProcess, context: &str) {
        let state = vpnform::state::read(&ws.path().join("state"))
            .unwrap_or_else(|e| panic!("{context}: the state file does not parse: {e}"));
        let a = audited(sandbox, context);
        let Some(state) = state else {
            // The setup's first run failed before its first write (its refresh's retries
            // gave up): nothing may have happened.
            assert!(
                a.deletes.is_empty() && a.cgw_creates == 0 && a.vco_creates.is_empty(),
                "{context}: no state file, but the cloud changed: {a:?}"
            );
            return;
        };
        for (id, n) in &a.deletes {
            assert!(
                self.named.contains(id),
                "{context}: {id} was deleted but the plan does not delete it"
            );
            assert_eq!(*n, 1, "{context}: {id} was deleted {n} times");
        }
        for id in a.modifies.keys() {
            assert!(
                self.modified.contains(id),
                "{context}: {id} was modified but the plan does not update it"
            );
        }
        assert!(
            a.cgw_creates <= self.cgw_creates,
            "{context}: duplicate create: {} customer gateways created, {} planned",
            a.cgw_creates,
            self.cgw_creates
        );
        for (gateway, n) in &a.vco_creates {
            let planned = self.vco_creates.get(gateway).copied().unwrap_or(0);
            assert!(
                *n <= planned,
                "{context}: duplicate create: {n} connections created on {gateway}, {planned} planned"
            );
        }
        let mut alive_per_gateway: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (id, gateway) in &a.vcos {
            alive_per_gateway.entry(gateway).or_default().push(id);
        }
        for (gateway, ids) in &alive_per_gateway {
            // `rep` is replaced create first (another customer gateway, room on its
            // gateway): the new one beside the old one until the old one's delete.
            let most = if *gateway == gateway_id(REP_GATEWAY) {
                2
            } else {
                1
            };
            assert!(
                ids.len() <= most,
                "{context}: duplicate: {gateway} holds the connections {ids:?}"
            );
        }
        let pending_ids: BTreeSet<&str> = state
            .pending
            .iter()
            .filter_map(|p| p.id.as_deref())
            .collect();
        let pending_creates = |kind: &str| {
            state
                .pending
                .iter()
                .filter(|p| p.action == "create" && p.address.to_string().starts_with(kind))
                .map(|p| p.vpn_gateway.as_str())
                .collect::<Vec<_>>()
        };
        let mut recorded = BTreeSet::new();
        for (address, r) in &state.resources {
            let ids = std::iter::once(&r.id).chain(r.deposed.as_ref().map(|d| &d.id));
            for id in ids {
                recorded.insert(id.as_str());
                let alive = a.cgws.contains(id) || a.vcos.contains_key(id);
                assert!(
                    alive || pending_ids.contains(id.as_str()),
                    "{context}: {address} records {id}, which the cloud does not hold, and \
                     no pending entry names it\nstate: {state:#?}"
                );
            }
        }
        let unmanaged = unmanaged();
        let orphan_cgws: Vec<&String> = a
            .cgws
            .iter()
            .filter(|id| **id != unmanaged && !recorded.contains(id.as_str()))
            .collect();
        assert!(
            orphan_cgws.len() <= pending_creates("customer_gateway.").len(),
            "{context}: orphan: the cloud holds the customer gateways {orphan_cgws:?}, \
             neither recorded nor pending\nstate: {state:#?}"
        );
        let vco_pending = pending_creates("vpn_connection.");
        for (id, gateway) in &a.vcos {
            assert!(
                recorded.contains(id.as_str()) || vco_pending.contains(&gateway.as_str()),
                "{context}: orphan: the cloud holds the connection {id} on {gateway}, \
                 neither recorded nor pending\nstate: {state:#?}"
            );
        }
    }

    /// At the end: a plan shows no changes; the state records exactly the desired
    /// entries, nothing pending or deposed; every named id deleted once, every update
    /// made; what the cloud holds is exactly what the state records, with the desired
    /// addresses, names, subnets, references and keys; no canary anywhere.
    fn converged(
        &self,
        ws: &Workspace,
        sandbox: &SandboxProcess,
        outputs: &mut String,
        context: &str,
    ) {
        assert!(self.final_desired, "{context}: still at the setup");
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
        let wanted: BTreeSet<String> = FINAL_CGWS
            .iter()
            .map(|g| format!("customer_gateway.{}", g.name))
            .chain(
                FINAL_CONNECTIONS
                    .iter()
                    .map(|c| format!("vpn_connection.{}", c.name)),
            )
            .collect();
        assert_eq!(addresses, wanted, "{context}: state != desired");
        for (address, r) in &state.resources {
            assert_eq!(r.deposed, None, "{context}: {address}");
        }
        let a = audited(sandbox, context);
        let deleted: BTreeSet<String> = a.deletes.keys().cloned().collect();
        assert_eq!(deleted, self.named, "{context}: deleted != named");
        for id in &self.modified {
            assert!(a.modifies.contains_key(id), "{context}: {id} never updated");
        }
        let id = |address: String| state.resources[address.as_str()].id.clone();
        let (cgws, vcos) = listed(sandbox);
        let managed: BTreeSet<&String> = cgws.keys().filter(|i| **i != unmanaged()).collect();
        let recorded_cgws: BTreeSet<String> = FINAL_CGWS
            .iter()
            .map(|g| id(format!("customer_gateway.{}", g.name)))
            .collect();
        assert_eq!(
            managed,
            recorded_cgws.iter().collect(),
            "{context}: the cloud's customer gateways are not the recorded ones"
        );
        let recorded_vcos: BTreeSet<String> = FINAL_CONNECTIONS
            .iter()
            .map(|c| id(format!("vpn_connection.{}", c.name)))
            .collect();
        assert_eq!(
            vcos.keys().cloned().collect::<BTreeSet<_>>(),
            recorded_vcos,
            "{context}: the cloud's connections are not the recorded ones"
        );
        for g in &FINAL_CGWS {
            let address = format!("customer_gateway.{}", g.name);
            let listed = &cgws[&id(address.clone())];
            assert_eq!(
                listed.ip_address,
                format!("203.0.113.{}", g.ip),
                "{context}: {address}"
            );
            if let Some(label) = g.label {
                assert_eq!(listed.name, label, "{context}: {address}");
            }
            let key = listed.auth_key.as_ref().map(|k| k.expose().to_owned());
            assert_eq!(
                key.as_deref() == Some(CANARY_BGP),
                g.bgp,
                "{context}: {address}: the cloud's BGP key is not its source's"
            );
        }
        let cgw_of = |peer: &str| id(format!("customer_gateway.{peer}"));
        for c in &FINAL_CONNECTIONS {
            let address = format!("vpn_connection.{}", c.name);
            let recorded = &state.resources[address.as_str()];
            let listed = &vcos[&recorded.id];
            assert_eq!(
                listed.vpn_gateway,
                gateway_id(c.gateway),
                "{context}: {address}"
            );
            assert_eq!(
                listed.remote_subnet,
                format!("192.168.{}.0/24", c.remote),
                "{context}: {address}"
            );
            let peers: Vec<(String, String)> = match c.peer {
                Peer::Address(p) => vec![("customer_gateway".into(), cgw_of(p))],
                Peer::Unmanaged => vec![("customer_gateway".into(), unmanaged())],
                Peer::IdOf(p) => {
                    let setup = self.setup[&format!("customer_gateway.{p}")].clone();
                    assert_eq!(setup, cgw_of(p), "{context}: {p} was kept");
                    vec![("customer_gateway".into(), setup)]
                }
                Peer::Dual(m, s) => vec![
                    ("tunnels.master.customer_gateway".into(), cgw_of(m)),
                    ("tunnels.slave.customer_gateway".into(), cgw_of(s)),
                ],
            };
            for (field, want) in &peers {
                assert_eq!(
                    recorded.attributes.get(field),
                    Some(want),
                    "{context}: {address}: recorded {field}"
                );
            }
            let key = if c.file_psk {
                CANARY_FILE_PSK
            } else {
                CANARY_PSK
            };
            if listed.tunnels.is_empty() {
                assert_eq!(
                    (Some(listed.customer_gateway.clone()), peers.len()),
                    (peers.first().map(|p| p.1.clone()), 1),
                    "{context}: {address}: the cloud's customer gateway"
                );
                assert!(
                    listed.psk.as_ref().is_some_and(|k| k.expose() == key),
                    "{context}: {address}: the cloud holds another key than its source's"
                );
            } else {
                let tunnels: Vec<(String, String)> = listed
                    .tunnels
                    .iter()
                    .map(|t| {
                        (
                            format!("tunnels.{}.customer_gateway", t.role),
                            t.customer_gateway.clone(),
                        )
                    })
                    .collect();
                let mut want = peers.clone();
                let mut have = tunnels;
                want.sort();
                have.sort();
                assert_eq!(have, want, "{context}: {address}: the cloud's tunnels");
                for t in &listed.tunnels {
                    assert!(
                        t.psk.as_ref().is_some_and(|k| k.expose() == key),
                        "{context}: {address}: a tunnel holds another key than its source's"
                    );
                }
            }
        }
        // No canary in any file under the workspace (the key file aside: the user wrote
        // it), in any run's output, or in the sandbox's call log.
        let canaries = [CANARY_PSK, CANARY_FILE_PSK, CANARY_BGP];
        for (path, bytes) in files_under(ws.path()) {
            if path.ends_with(PSK_FILE) {
                continue;
            }
            for canary in canaries {
                assert!(
                    !contains(&bytes, canary),
                    "{context}: the key {canary} is in {}",
                    path.display()
                );
            }
        }
        let log = sandbox.log();
        for canary in canaries {
            assert!(
                !contains(outputs.as_bytes(), canary),
                "{context}: the key {canary} is in a run's output"
            );
            assert!(
                !contains(log.as_bytes(), canary),
                "{context}: the key {canary} is in the sandbox's call log"
            );
        }
        assert!(
            !ws.read(STATE).is_empty(),
            "{context}: the state file is empty"
        );
    }

    fn verified(&self, sandbox: &SandboxProcess) -> Vec<(&'static str, usize)> {
        let tokens = sandbox
            .audit()
            .iter()
            .filter(|e| e["client_token"].is_string())
            .count();
        vec![
            ("cgw creates", 1),
            ("cgw updates", 1),
            ("cgw replaces", 1),
            ("cgw deletes", 1),
            ("vco creates single by address", 1),
            ("vco creates by id", 2),
            ("vco creates dual by address", 1),
            ("vco updates single", 1),
            ("vco updates dual", 1),
            ("vco replaces", 1),
            ("vco deletes", 1),
            ("setup creates", SETUP_CGWS.len() + SETUP_CONNECTIONS.len()),
            ("tokens each once", tokens),
        ]
    }

    fn attempts(&self, sandbox: &SandboxProcess, f: &mut FaultFigures) {
        // Operations, setup included: 4 + 2 customer gateway creates, 4 + 5 connection
        // creates (`rep`'s replacement among them), 3 modifies, 2 + 2 deletes.
        let kinds: [(&'static str, &str, usize); 6] = [
            ("CreateCustomerGateway", "IpAddress", self.cgw_creates),
            (
                "CreateVpnConnection",
                "VpnGatewayId",
                self.vco_creates.values().sum(),
            ),
            ("ModifyCustomerGatewayAttribute", "CustomerGatewayId", 1),
            ("ModifyVpnConnectionAttribute", "VpnConnectionId", 2),
            ("DeleteCustomerGateway", "CustomerGatewayId", 2),
            ("DeleteVpnConnection", "VpnConnectionId", 2),
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

/// The customer gateways and connections the sandbox lists, by id, through vpnform's
/// own client (retried: the sandbox may be failing calls on purpose).
fn listed(
    sandbox: &SandboxProcess,
) -> (
    BTreeMap<String, vpnform::kinds::customer_gateway::CustomerGateway>,
    BTreeMap<String, vpnform::kinds::vpn_connection::VpnConnection>,
) {
    use vpnform::cloud::{Client, ClientOptions, Credentials};
    use vpnform::kinds::vpn_connection::DescribeVpnConnections;
    let client = Client::new(
        Credentials {
            access_key_id: "sandbox".into(),
            access_key_secret: vpnform::secret::Secret::new(sandbox.secret.clone()),
            security_token: None,
            source: "the reliability suite".into(),
        },
        ClientOptions {
            endpoint: Some(sandbox.endpoint.clone()),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut tries = 0;
    loop {
        tries += 1;
        let answer = runtime.block_on(async {
            let gateways = client.describe_customer_gateways(REGION, None).await?;
            let connections = client
                .describe_vpn_connections(&DescribeVpnConnections {
                    region: REGION.into(),
                    ..DescribeVpnConnections::default()
                })
                .await?;
            Ok::<_, vpnform::cloud::ApiError>((gateways, connections))
        });
        match answer {
            Ok((gateways, connections)) => {
                return (
                    gateways.into_iter().map(|g| (g.id.clone(), g)).collect(),
                    connections.into_iter().map(|c| (c.id.clone(), c)).collect(),
                );
            }
            Err(e) => assert!(tries < 8, "listing the sandbox's family: {e}"),
        }
    }
}
