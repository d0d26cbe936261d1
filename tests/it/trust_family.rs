//! Issue 20's promise over the whole VPN-gateway family: whatever a hand-edited journal,
//! `deposed` entry or saved plan says, the effects `apply` has on the sandbox are a
//! subset of what the plan it runs printed, and `plan --detailed-exitcode` exits 2
//! whenever apply does anything. The IPsec-server form is `trust.rs`; this one forges
//! entries at every family address (a customer gateway, a connection, a route, an
//! SSL-VPN server and its certificate, the gateway itself, and addresses nothing
//! records) naming resources of every kind: ours, the other team's on another gateway,
//! and ones that do not exist.
//!
//! A planned change covers an effect when it carries the effect's ClientToken, is of
//! the effect's kind, and names its target: a delete's or modify's resource (`id` or
//! `replaced.id`), a create's gateway. A route is named by its tuple, which the sandbox
//! audits as `gateway:next_hop:dest`: its gateway is what is compared. A certificate
//! the cloud deletes with its server is covered by the plan's delete of that
//! certificate.

use std::collections::BTreeSet;
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use vpnform::sandbox::{AuditEntry, World};
use vpnform::state::{Deposed, PendingOp, SentCreate, State};

use crate::support::{Cloud, Output, Workspace, configuring, read_state};
use crate::trust::{CRASHED, THEIRS, config, reseal, token};

const REGION: &str = "cn-hangzhou";
const APPLY: &[&str] = &["apply", "--auto-approve", "--poll-interval", "50ms"];

/// The route id vpnform records for a tuple (`kinds::vpn_route::route_id`).
fn route_id(gateway: &str, dest: &str, next_hop: &str) -> String {
    let digest = hex::encode(Sha256::digest(
        format!("{gateway}|{dest}|{next_hop}").as_bytes(),
    ));
    format!("vre-{}", &digest[..24])
}

/// The other team's resources on `vpn-theirs` (a customer gateway, a connection, a
/// route through it, an SSL-VPN server with a certificate), our gateway `vpn-hz`, and
/// an empty `vpn-free`.
fn world() -> World {
    let mut world = World::default();
    world.add_gateway("vpn-hz", REGION);
    world.add_gateway("vpn-free", REGION);
    world.add_customer_gateway("cgw-theirs", REGION, "203.0.113.99");
    world.add_connection("vco-theirs", "vpn-theirs", "cgw-theirs");
    world.add_gateway("vpn-theirs", REGION);
    world.add_route("vpn-theirs", "192.168.99.0/24", "vco-theirs");
    world.add_ssl_server("vss-theirs", "vpn-theirs", "10.99.0.0/16", "10.9.0.0/24");
    world.add_client_cert("vsc-theirs", "vss-theirs");
    world.check().unwrap();
    world
}

const HEAD: &str = "version: 1\ndefaults:\n  region: cn-hangzhou\n";
const GATEWAY: &str = "vpn_gateways:\n  hz: {id: vpn-hz}\n";
const BRANCH_CGW: &str = "  branch: {ip_address: 203.0.113.7}\n";
const BRANCH: &str = "  branch: {vpn_gateway: vpn_gateway.hz, customer_gateway: customer_gateway.branch, local_subnet: [10.0.0.0/16], remote_subnet: [192.168.0.0/24], psk: {env: BRANCH_PSK}}\n";
const STAFF: &str = "ssl_vpn_servers:\n  staff: {vpn_gateway: vpn_gateway.hz, client_ip_pool: 10.30.0.0/16, local_subnet: [10.0.0.0/16]}\n";

fn route(weight: u32) -> String {
    format!(
        "vpn_routes:\n  to_branch: {{vpn_gateway: vpn_gateway.hz, route_dest: 192.168.0.0/24, next_hop: vpn_connection.branch, weight: {weight}, publish_vpc: false}}\n"
    )
}

fn cert(name: &str) -> String {
    format!(
        "ssl_vpn_client_certs:\n  alice: {{ssl_vpn_server: ssl_vpn_server.staff, name: {name}}}\n"
    )
}

/// The workspace's desired file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Desired {
    /// As the setup applied it: no changes.
    Committed,
    /// Everything removed: a decommission of `vpn-hz` and the customer gateway.
    Nothing,
    /// Without the certificate.
    DropsCert,
    /// The certificate renamed.
    RenamesCert,
    /// The route's weight changed.
    RouteWeight,
    /// Also a connection `office` to a new customer gateway.
    AddsOffice,
}

const DESIREDS: [Desired; 6] = [
    Desired::Committed,
    Desired::Nothing,
    Desired::DropsCert,
    Desired::RenamesCert,
    Desired::RouteWeight,
    Desired::AddsOffice,
];

impl Desired {
    fn text(self) -> String {
        let (mut cgws, mut connections) = (BRANCH_CGW.to_owned(), BRANCH.to_owned());
        let (mut weight, mut certs) = (0, cert("alice"));
        match self {
            Desired::Committed => {}
            Desired::Nothing => {
                return format!(
                    "{HEAD}vpn_gateways: {{}}\ncustomer_gateways: {{}}\nvpn_connections: {{}}\nvpn_routes: {{}}\nssl_vpn_servers: {{}}\nssl_vpn_client_certs: {{}}\n"
                );
            }
            Desired::DropsCert => certs = "ssl_vpn_client_certs: {}\n".into(),
            Desired::RenamesCert => certs = cert("alice-laptop"),
            Desired::RouteWeight => weight = 100,
            Desired::AddsOffice => {
                cgws += "  office: {ip_address: 203.0.113.8}\n";
                connections += &BRANCH
                    .replace("branch:", "office:")
                    .replace("customer_gateway.branch", "customer_gateway.office")
                    .replace("192.168.0.0/24", "192.168.8.0/24");
            }
        }
        format!(
            "{HEAD}{GATEWAY}customer_gateways:\n{cgws}vpn_connections:\n{connections}{}{STAFF}{certs}",
            route(weight)
        )
    }
}

/// A sandbox holding [`world`] and a workspace whose first apply built the committed
/// file: the customer gateway, the connection, the route, the SSL-VPN server and the
/// certificate, on the adopted `vpn-hz`.
fn setup() -> (Cloud, Workspace, State) {
    let cloud = Cloud::start(configuring(Duration::from_millis(30)), world());
    let ws = Workspace::new()
        .file("vpnform.yaml", &Desired::Committed.text())
        .env("BRANCH_PSK", "trust-family-psk")
        .against(&cloud);
    let out = ws.run(APPLY);
    assert_eq!(out.code, 0, "the setup apply: {out:?}");
    let state = read_state(&ws);
    assert_eq!(state.resources.len(), 6, "{:?}", state.resources.keys());
    (cloud, ws, state)
}

// ---------------------------------------------------------------------------------
// The plan as printed, and the effects it covers.

#[derive(Debug, Clone)]
struct Planned {
    kind: String,
    id: String,
    vpn_gateway: String,
    tokens: BTreeSet<String>,
    replaces_id: Option<String>,
}

fn planned(stdout: &str) -> Vec<Planned> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "planned_change")
        .map(|v| {
            let c = &v["change"];
            let tokens = [
                &c["client_token"],
                &c["resumes"]["client_token"],
                &c["replaced"]["client_token"],
            ]
            .into_iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .filter(|t| !t.is_empty())
            .collect();
            let address = text(&c["resource"]["addr"]);
            Planned {
                kind: address.split('.').next().unwrap_or_default().to_owned(),
                id: text(&c["id"]),
                vpn_gateway: text(&c["vpn_gateway"]),
                tokens,
                replaces_id: c["replaced"]["id"].as_str().map(str::to_owned),
            }
        })
        .collect()
}

/// The kind an API action acts on.
fn kind_of(action: &str) -> &'static str {
    [
        ("PbrRouteEntry", "vpn_policy_route"),
        ("RouteEntry", "vpn_route"),
        ("SslVpnClientCert", "ssl_vpn_client_cert"),
        ("SslVpnServer", "ssl_vpn_server"),
        ("CustomerGateway", "customer_gateway"),
        ("VpnConnection", "vpn_connection"),
        ("IpsecServer", "ipsec_server"),
        ("VpnGateway", "vpn_gateway"),
    ]
    .into_iter()
    .find(|(part, _)| action.contains(part))
    .map_or("?", |(_, kind)| kind)
}

fn covered(effect: &AuditEntry, plan: &[Planned]) -> bool {
    // A certificate the cloud deletes with its server: the plan deletes it too.
    if effect.action == "DeleteSslVpnServer" && effect.resource.starts_with("vsc-") {
        return plan
            .iter()
            .any(|p| p.kind == "ssl_vpn_client_cert" && p.id == effect.resource)
            && plan.iter().any(|p| {
                effect
                    .client_token
                    .as_ref()
                    .is_some_and(|t| p.tokens.contains(t))
            });
    }
    let Some(token) = &effect.client_token else {
        return false;
    };
    let kind = kind_of(&effect.action);
    plan.iter().any(|p| {
        if !p.tokens.contains(token) || p.kind != kind {
            return false;
        }
        let target = |id: &str| id == p.id || p.replaces_id.as_deref() == Some(id);
        if kind == "vpn_route" || kind == "vpn_policy_route" {
            return effect.vpn_gateway == p.vpn_gateway;
        }
        if effect.action.starts_with("Create") {
            // A created gateway is its own; anything else is created on the planned one
            // (a customer gateway is on none).
            return kind == "vpn_gateway"
                || kind == "customer_gateway"
                || effect.vpn_gateway == p.vpn_gateway
                || p.vpn_gateway.starts_with("vpn_gateway.");
        }
        target(&effect.resource)
    })
}

fn describe(effect: &AuditEntry) -> String {
    format!(
        "{} {} on {} (ClientToken {:?})",
        effect.action, effect.resource, effect.vpn_gateway, effect.client_token
    )
}

/// What a user reviews of the recorded resources: address, id, gateway, deposed id.
type Recorded = Vec<(String, String, String, Option<String>)>;

fn recorded(ws: &Workspace) -> Option<Recorded> {
    let state = vpnform::state::read(&ws.path().join("state")).ok()??;
    Some(
        state
            .resources
            .iter()
            .map(|(a, r)| {
                (
                    a.to_string(),
                    r.id.clone(),
                    r.vpn_gateway.clone(),
                    r.deposed.as_ref().map(|d| d.id.clone()),
                )
            })
            .collect(),
    )
}

/// `plan --json --detailed-exitcode`, then `apply_args`; asserts the whole-truth
/// properties (as `trust::plan_then_apply` does).
fn plan_then_apply(cloud: &Cloud, ws: &Workspace, apply_args: &[&str], context: &str) {
    let plan: Output = ws.run(&["plan", "--json", "--detailed-exitcode"]);
    let changes = planned(&plan.stdout);
    let before = recorded(ws);
    let seen = cloud.sandbox().audit().len();
    let apply = run_within(ws, apply_args, Duration::from_secs(60));
    assert_ne!(
        apply.code, -9,
        "apply hung: killed after 60 s\n{context}\n{}",
        apply.stderr
    );
    let effects: Vec<AuditEntry> = cloud.sandbox().audit().split_off(seen);
    let after = recorded(ws);
    let whole = || {
        format!(
            "{context}\n--- plan (exit {})\n{}{}--- apply (exit {})\n{}{}",
            plan.code, plan.stdout, plan.stderr, apply.code, apply.stdout, apply.stderr
        )
    };
    for effect in &effects {
        assert!(
            covered(effect, &changes),
            "apply had an effect no planned change printed: {}\nplanned: {changes:#?}\n{}",
            describe(effect),
            whole()
        );
    }
    if !effects.is_empty() || before != after {
        assert_eq!(
            plan.code,
            2,
            "apply acted (effects {:?}) but `plan --detailed-exitcode` did not exit 2\n{}",
            effects.iter().map(describe).collect::<Vec<_>>(),
            whole()
        );
    }
    if plan.code == 1 {
        assert!(
            effects.is_empty(),
            "the plan failed, the apply acted\n{}",
            whole()
        );
    }
    // One line a case (`--nocapture` shows them): what the plan and apply did.
    let first_error = |o: &Output| {
        o.stderr
            .lines()
            .find(|l| l.starts_with("error"))
            .map(|l| l.chars().take(110).collect::<String>())
            .unwrap_or_default()
    };
    eprintln!(
        "plan {} apply {} effects {:?} {}",
        plan.code,
        apply.code,
        effects
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        first_error(&plan).max(first_error(&apply))
    );
    for text in [&plan.stdout, &plan.stderr, &apply.stdout, &apply.stderr] {
        assert!(
            !text.contains("trust-family-psk"),
            "a PSK printed\n{}",
            whole()
        );
    }
}

/// Runs the binary like `Workspace::run`, killing it after `limit` (code -9 then).
fn run_within(ws: &Workspace, args: &[&str], limit: Duration) -> Output {
    let mut child = ws
        .command(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run vpnform");
    // Drained beside the wait, so that a full pipe never looks like a hang.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() && started.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = child.try_wait().expect("wait").is_none();
    let _ = child.kill();
    let status = child.wait().expect("wait");
    Output {
        code: if killed {
            -9
        } else {
            status.code().unwrap_or(-1)
        },
        stdout: stdout.join().expect("stdout read"),
        stderr: stderr.join().expect("stderr read"),
    }
}

// ---------------------------------------------------------------------------------
// The forged edits.

/// Family addresses: the six the setup records, and two nothing records.
const ADDRESSES: [&str; 8] = [
    "customer_gateway.branch",
    "vpn_connection.branch",
    "vpn_route.to_branch",
    "ssl_vpn_server.staff",
    "ssl_vpn_client_cert.alice",
    "vpn_gateway.hz",
    "vpn_connection.ghost",
    "ssl_vpn_client_cert.ghost",
];

/// A resource a forged entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Victim {
    /// The other team's resource of the entry's kind (`cgw-theirs`, `vco-theirs`, ...).
    Theirs,
    /// The other team's resource of another kind.
    TheirsOf(&'static str),
    /// What the state records at this address.
    Ours(&'static str),
    /// No such resource, of the entry's kind.
    Ghost,
}

const KINDS: [&str; 6] = [
    "customer_gateway",
    "vpn_connection",
    "vpn_route",
    "ssl_vpn_server",
    "ssl_vpn_client_cert",
    "vpn_gateway",
];

/// The other team's resource of `kind`: its id and gateway.
fn theirs(kind: &str) -> (String, String) {
    let id = match kind {
        "customer_gateway" => "cgw-theirs".to_owned(),
        "vpn_connection" => "vco-theirs".to_owned(),
        "vpn_route" => route_id("vpn-theirs", "192.168.99.0/24", "vco-theirs"),
        "ssl_vpn_server" => "vss-theirs".to_owned(),
        "ssl_vpn_client_cert" => "vsc-theirs".to_owned(),
        _ => "vpn-theirs".to_owned(),
    };
    let gateway = if kind == "customer_gateway" {
        ""
    } else {
        "vpn-theirs"
    };
    (id, gateway.to_owned())
}

impl Victim {
    /// Its id and gateway, for an entry at `at`.
    fn of(self, at: &str, state: &State) -> (String, String) {
        let kind = at.split('.').next().unwrap_or_default();
        match self {
            Victim::Theirs => theirs(kind),
            Victim::TheirsOf(other) => theirs(other),
            Victim::Ours(address) => {
                let r = &state.resources[&address.parse::<vpnform::Address>().unwrap()];
                (r.id.clone(), r.vpn_gateway.clone())
            }
            Victim::Ghost => {
                let (id, gateway) = theirs(kind);
                let prefix = &id[..4];
                let id = if kind == "vpn_route" {
                    route_id("vpn-hz", "172.31.0.0/24", "vco-ghost")
                } else {
                    format!("{prefix}ghost")
                };
                (id, gateway.replace("vpn-theirs", "vpn-hz"))
            }
        }
    }
}

/// How a forged entry's token was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Formula {
    /// DESIGN's formula with this state's lineage.
    Ours,
    /// With the other workspace's lineage.
    TheirLineage,
    /// Not a token of any plan.
    Junk,
}

#[derive(Debug, Clone)]
enum Edit {
    /// A pending delete at `at` naming `victim`.
    Delete {
        at: &'static str,
        victim: Victim,
        formula: Formula,
    },
    /// `deposed: victim` on the recorded resource at `at`, with its pending delete.
    Deposed {
        at: &'static str,
        victim: Victim,
        formula: Formula,
    },
    /// A pending create at `at` on `gateway`.
    Create {
        at: &'static str,
        gateway: &'static str,
        formula: Formula,
    },
    /// A pending update at `at` naming `victim`, sending a name.
    Update {
        at: &'static str,
        victim: Victim,
        formula: Formula,
    },
}

fn victim() -> impl Strategy<Value = Victim> {
    prop_oneof![
        3 => Just(Victim::Theirs),
        3 => select(ADDRESSES[..6].to_vec()).prop_map(Victim::Ours),
        1 => Just(Victim::Ghost),
        1 => select(KINDS.to_vec()).prop_map(Victim::TheirsOf),
    ]
}

fn formula() -> impl Strategy<Value = Formula> {
    select(vec![Formula::Ours, Formula::TheirLineage, Formula::Junk])
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = || select(ADDRESSES.to_vec());
    prop_oneof![
        (at(), victim(), formula()).prop_map(|(at, victim, formula)| Edit::Delete {
            at,
            victim,
            formula
        }),
        (select(ADDRESSES[..6].to_vec()), victim(), formula()).prop_map(|(at, victim, formula)| {
            Edit::Deposed {
                at,
                victim,
                formula,
            }
        }),
        (
            at(),
            select(vec!["vpn-hz", "vpn-theirs", "vpn-free", ""]),
            formula()
        )
            .prop_map(|(at, gateway, formula)| Edit::Create {
                at,
                gateway,
                formula
            }),
        (at(), victim(), formula()).prop_map(|(at, victim, formula)| Edit::Update {
            at,
            victim,
            formula
        }),
    ]
}

/// An edit of a saved plan's first action, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SavedEdit {
    None,
    Kind(&'static str),
    Id(Victim),
    Gateway(&'static str),
    Address(&'static str),
}

fn saved_edit() -> impl Strategy<Value = SavedEdit> {
    prop_oneof![
        Just(SavedEdit::None),
        select(vec![
            "create", "delete", "update", "adopt", "forget", "replace"
        ])
        .prop_map(SavedEdit::Kind),
        victim().prop_map(SavedEdit::Id),
        select(vec!["vpn-hz", "vpn-theirs", "vpn-free"]).prop_map(SavedEdit::Gateway),
        select(ADDRESSES.to_vec()).prop_map(SavedEdit::Address),
    ]
}

#[derive(Debug, Clone)]
enum Case {
    Journal {
        desired: Desired,
        edits: Vec<Edit>,
    },
    Saved {
        desired: Desired,
        edit: SavedEdit,
        /// Recompute the plan hash and the tokens after the edit, as a forger would.
        reseal: bool,
    },
}

fn case() -> impl Strategy<Value = Case> {
    let journal = (
        select(DESIREDS.to_vec()),
        prop::collection::vec(edit(), 1..=2),
    )
        .prop_map(|(desired, edits)| Case::Journal { desired, edits });
    let saved = (select(DESIREDS.to_vec()), saved_edit(), any::<bool>()).prop_map(
        |(desired, edit, reseal)| Case::Saved {
            desired,
            edit,
            reseal,
        },
    );
    prop_oneof![2 => journal, 1 => saved]
}

/// `state` with `edits` forged into it.
fn forge(state: &State, edits: &[Edit]) -> State {
    let mut forged = state.clone();
    let tok = |formula: Formula, at: &str, action: &str| match formula {
        Formula::Ours => token(&state.lineage, CRASHED, at, action),
        Formula::TheirLineage => token(THEIRS, CRASHED, at, action),
        Formula::Junk => "vpnform-0123456789abcdef0123456789abcdef".to_owned(),
    };
    let entry = |at: &str, action: &str, id: Option<String>, gateway: String, token| PendingOp {
        address: at.parse().unwrap(),
        action: action.to_owned(),
        id,
        region: REGION.to_owned(),
        vpn_gateway: gateway,
        client_token: token,
        plan_hash: CRASHED.to_owned(),
        started_at: "2026-12-01T00:00:00Z".to_owned(),
        sent: None,
    };
    for edit in edits {
        match *edit {
            Edit::Delete {
                at,
                victim,
                formula,
            } => {
                let (id, gateway) = victim.of(at, state);
                forged.pending.push(entry(
                    at,
                    "delete",
                    Some(id),
                    gateway,
                    tok(formula, at, "delete"),
                ));
            }
            Edit::Deposed {
                at,
                victim,
                formula,
            } => {
                let (id, gateway) = victim.of(at, state);
                let resource = forged
                    .resources
                    .get_mut(&at.parse::<vpnform::Address>().unwrap())
                    .unwrap();
                resource.deposed = Some(Deposed {
                    id: id.clone(),
                    vpn_gateway: gateway.clone(),
                    region: REGION.to_owned(),
                });
                forged.pending.push(entry(
                    at,
                    "delete",
                    Some(id),
                    gateway,
                    tok(formula, at, "replace:delete"),
                ));
            }
            Edit::Create {
                at,
                gateway,
                formula,
            } => {
                let recorded = state
                    .resources
                    .contains_key(&at.parse::<vpnform::Address>().unwrap());
                let half = if recorded { "replace:create" } else { "create" };
                let mut e = entry(
                    at,
                    "create",
                    None,
                    gateway.to_owned(),
                    tok(formula, at, half),
                );
                // What the other team's resource of that kind was created with.
                e.sent = Some(SentCreate {
                    values: [("name".to_owned(), "theirs".to_owned())].into(),
                    psk: None,
                });
                forged.pending.push(e);
            }
            Edit::Update {
                at,
                victim,
                formula,
            } => {
                let (id, gateway) = victim.of(at, state);
                let mut e = entry(at, "update", Some(id), gateway, tok(formula, at, "update"));
                e.sent = Some(SentCreate {
                    values: [("name".to_owned(), "forged".to_owned())].into(),
                    psk: None,
                });
                forged.pending.push(e);
            }
        }
    }
    forged.serial += 1;
    forged
}

fn run_case(case: &Case) {
    let (cloud, ws, state) = setup();
    let context = format!("case {case:?}");
    match case {
        Case::Journal { desired, edits } => {
            ws.write("vpnform.yaml", &desired.text());
            let forged = forge(&state, edits);
            std::fs::remove_file(ws.path().join("state/vpnform.state.yaml")).unwrap();
            vpnform::state::write(&ws.path().join("state"), &forged).unwrap();
            plan_then_apply(&cloud, &ws, APPLY, &context);
        }
        Case::Saved {
            desired,
            edit,
            reseal: forge_hash,
        } => {
            ws.write("vpnform.yaml", &desired.text());
            let out = ws.run(&["plan", "--out", "plan.json"]);
            if out.code != 0 {
                return;
            }
            let mut plan: Value = serde_json::from_str(&ws.read("plan.json")).unwrap();
            if plan["actions"].get(0).is_some() {
                let first = &mut plan["actions"][0];
                match edit {
                    SavedEdit::None => {}
                    SavedEdit::Kind(kind) => first["action"] = (*kind).into(),
                    SavedEdit::Id(victim) => {
                        let at = first["address"].as_str().unwrap_or_default().to_owned();
                        first["id"] = victim.of(&at, &state).0.into()
                    }
                    SavedEdit::Gateway(gateway) => first["vpn_gateway"] = (*gateway).into(),
                    SavedEdit::Address(address) => first["address"] = (*address).into(),
                }
            }
            ws.write("plan.json", &serde_json::to_string_pretty(&plan).unwrap());
            if *forge_hash {
                reseal(&ws, "plan.json");
            }
            plan_then_apply(
                &cloud,
                &ws,
                &["apply", "plan.json", "--poll-interval", "50ms"],
                &context,
            );
        }
    }
}

fn cases_from_env(default: u32) -> u32 {
    std::env::var("VPNFORM_TRUST_FAMILY_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(config(cases_from_env(12), Some(3)))]

    /// For generated hand-edits of the journal, `deposed` entries and saved plans at
    /// every family address, apply's effects are a subset of what the preceding plan
    /// printed, and `plan --detailed-exitcode` exits 2 whenever apply does anything.
    #[test]
    fn family_apply_effects_are_a_subset_of_the_printed_plan_for_any_hand_edit(case in case()) {
        run_case(&case);
    }
}

proptest! {
    #![proptest_config(config(cases_from_env(300), None))]

    /// The long form: `VPNFORM_TRUST_FAMILY_CASES=300 cargo test --locked --test it
    /// trust_family::long -- --ignored --nocapture`.
    #[test]
    #[ignore = "long form: VPNFORM_TRUST_FAMILY_CASES=N"]
    fn long_family_apply_effects_are_a_subset_of_the_printed_plan(case in case()) {
        run_case(&case);
    }
}

/// Seen once in a long run of the property test: a forged journal create of an SSL-VPN
/// server on another gateway (a replace's create half, with the other team's name only)
/// while the desired file removes everything; the apply was found waiting, sending
/// nothing, after its deletes. Not reproduced since (this case, and every second forged
/// entry beside it: about 300 runs): held here to finishing within a minute, the forged create
/// failing alone (the cloud needs a client pool), everything not on the server deleted,
/// and nothing but what the plan printed sent.
#[test]
fn regression_a_forged_ssl_server_create_during_a_decommission_finishes() {
    let (cloud, ws, state) = setup();
    ws.write("vpnform.yaml", &Desired::Nothing.text());
    let forged = forge(
        &state,
        &[Edit::Create {
            at: "ssl_vpn_server.staff",
            gateway: "vpn-free",
            formula: Formula::Ours,
        }],
    );
    std::fs::remove_file(ws.path().join("state/vpnform.state.yaml")).unwrap();
    vpnform::state::write(&ws.path().join("state"), &forged).unwrap();
    plan_then_apply(&cloud, &ws, APPLY, "a forged server create");
    let after = read_state(&ws);
    let left: Vec<String> = after.resources.keys().map(ToString::to_string).collect();
    assert_eq!(
        left,
        [
            "ssl_vpn_client_cert.alice",
            "ssl_vpn_server.staff",
            "vpn_gateway.hz"
        ]
    );
    assert_eq!(after.pending.len(), 1, "{:?}", after.pending);
    let world = cloud.sandbox().world();
    assert!(world.ssl_vpn_servers.contains_key("vss-theirs"));
    assert!(world.vpn_connections.contains_key("vco-theirs"));
}
