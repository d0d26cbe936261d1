//! The plan: desired against recorded (and, online, against the cloud) -> actions, the
//! dependency graph, the plan hash and ClientTokens, rendering and saved plans.
//!
//! Middle of the data's path: desired YAML -> config -> **plan** -> apply -> state.
//!
//! [`build`] is a pure function over the validated [`Desired`] and the recorded [`State`]
//! (plus, online, what a refresh found in the cloud); it never reads a file or the
//! network, so the CLI decides what to read and the tests construct models directly.

pub(crate) use crate::kinds::ipsec_server::calls;
pub(crate) mod drift;
pub(crate) mod graph;
mod hash;
mod model;
pub(crate) mod online;
pub mod picture;
pub(crate) mod render;
pub(crate) mod resume;
pub mod saved;
pub(crate) mod ssl_vpn;

use std::collections::{BTreeMap, BTreeSet};

pub(crate) use graph::Graph;
pub use hash::{REPLACE_CREATE, REPLACE_DELETE, action_tokens, legacy_client_token};
pub use hash::{canonical_json, client_token, plan_hash};
pub use model::{
    Action, ActionKind, Drift, FieldChange, PendingNote, Plan, Precheck, PskNote, Replaced, Resumes,
};
pub(crate) use resume::ProtectedEntry;

use crate::Address;
use crate::config::Desired;
use crate::state::State;

/// Reasons, as rendered after `because` and carried in `Action::reason`.
pub(crate) mod reason {
    pub(crate) const REMOVED: &str = "removed from desired state";
    pub(crate) const NOT_RECORDED: &str = "in the desired state, not yet recorded";
    pub(crate) const GONE: &str = "gone from the cloud at refresh";
    pub(crate) const GONE_STILL_DESIRED: &str =
        "gone from the cloud at refresh (still in the desired state: remove it there too)";
    pub(crate) const UPDATED: &str = "protect or depends_on changed in the desired state";
    pub(crate) const DRIFTED: &str = "its managed attributes differ from the desired state";
    pub(crate) const CREATE: &str = "in the desired state without an id: vpnform creates it";
    pub(crate) const FORCED: &str = "`--replace` names it";
    pub(crate) const MOVED: &str = "the desired file's `moved` renames it";
    pub(crate) const DESTROY: &str = "the plan destroys every recorded resource (--destroy)";
    pub(crate) const RECREATE: &str = "the recorded server is gone from the cloud";
    pub(crate) const REPLACE: &str =
        "its vpn_gateway or region changed in the desired state: vpnform creates it anew";
}

/// What a plan shows as a PSK's old and new value: never the key.
pub const SENSITIVE: &str = crate::kinds::SENSITIVE;

/// What a plan is built with besides the two files.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// `--max-deletes N`: fail a plan that deletes more than N servers.
    pub max_deletes: Option<usize>,
    /// What the online refresh found; `None` for `--offline`.
    pub refresh: Option<Refresh>,
    /// `--target`: keep only these addresses' actions and the actions they wait for;
    /// empty: every action. Part of the plan hash.
    pub targets: BTreeSet<Address>,
    /// `--replace ADDRESS`: replace these recorded, desired servers even where nothing
    /// forces it (on the same gateway: destroy, then create).
    pub replace: BTreeSet<Address>,
    /// `--destroy`: the desired file is planned as if empty (the caller empties it);
    /// said in what the plan refuses.
    pub destroy: bool,
}

/// What an online refresh read from the cloud, as far as planning needs it.
#[derive(Debug, Clone, Default)]
pub struct Refresh {
    /// Recorded addresses whose server is no longer in the cloud: forgets (state-only)
    /// when not desired, creates again when desired; never deletes.
    pub gone: BTreeSet<Address>,
    /// The attributes the cloud answers for recorded servers, by address, in the
    /// state's text form: an update is planned against these rather than the record.
    pub observed: BTreeMap<Address, BTreeMap<String, String>>,
    /// Desired addresses whose key in the cloud differs from the one their source
    /// holds (compared in memory; only the verdict leaves the online plan).
    pub psk_changed: BTreeSet<Address>,
    /// Desired addresses, neither recorded nor with an `id`, whose resource the cloud
    /// lists under the id their own values give (a route, known by its tuple): adopted
    /// under that id rather than created again, which the cloud would refuse.
    pub listed_tuples: BTreeSet<Address>,
}

/// Why no plan could be made. Every variant names the addresses and what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("{}", render_mismatches(.0))]
    Mismatch(Vec<Mismatch>),
    #[error("{}", render_protected(.0))]
    Protected(Vec<(Address, String)>),
    #[error("{}", render_protected_from_destroy(.0))]
    ProtectedFromDestroy(Vec<(Address, String)>),
    #[error("{}", render_protected_replaces(.0))]
    ProtectedReplace(Vec<Mismatch>),
    #[error("{}", render_protected_entries(.0))]
    ProtectedEntry(Vec<ProtectedEntry>),
    #[error(
        "the state's `pending` journal cannot be resolved: {}",
        .0.iter().map(|(a, p)| format!("{a}: {p}")).collect::<Vec<_>>().join("; ")
    )]
    CorruptEntry(Vec<(Address, String)>),
    #[error(
        "the plan would delete {deletes} IPsec servers, more than --max-deletes {max} allows; \
         check the desired file, or raise --max-deletes if this is intended"
    )]
    TooManyDeletes { deletes: usize, max: usize },
    #[error("{}", render_cannot_replace(.0))]
    CannotReplace(Vec<(Address, &'static str)>),
    /// A VPN gateway the plan would replace (its region changed): never done.
    #[error(
        "{}",
        .0.iter()
            .map(|(a, id, why)| format!(
                "{a}: the plan would replace VPN gateway {id} ({why}), and a gateway is never \
                 replaced: a new one gets a new public IP address and drops every tunnel. \
                 Restore it in the desired file, or run `vpnform state rm {a}` to stop \
                 managing it (the gateway stays)"
            ))
            .collect::<Vec<_>>()
            .join("\n")
    )]
    GatewayNotDeleted(Vec<(Address, String, String)>),
    /// A VPN gateway delete the cloud would refuse: a subscription gateway, or one a
    /// desired entry stays on.
    #[error("{}", .0.join("\n"))]
    GatewayDelete(Vec<String>),
    /// A customer gateway the plan replaces (destroy first) that a connection goes on
    /// using: the cloud refuses to delete a customer gateway in use.
    #[error("{}", render_in_use(.0))]
    ReplacedInUse(Vec<InUse>),
    /// Certificates named by the id of an SSL-VPN server the plan replaces (rule 6).
    #[error("{}", ssl_vpn::render_orphaned(.0))]
    CertsOfReplacedServer(Vec<ssl_vpn::OrphanedCert>),
    #[error("{}", render_moved_onto_recorded(.0))]
    MovedOntoRecorded(Vec<(Address, Address)>),
    #[error("{}", render_unknown_targets(.0))]
    UnknownTarget(Vec<UnknownTarget>),
    #[error(
        "dependency cycle among the servers to delete: {} (each waits for another); \
         fix `depends_on` in the state (or the desired file they were recorded from)",
        .members.join(", ")
    )]
    Cycle { members: Vec<Address> },
}

/// A desired entry that disagrees with what is recorded under the same address (or the
/// same server recorded under another address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub address: Address,
    /// `id`, `vpn_gateway`, `region`, or `address` (same id, other address).
    pub field: &'static str,
    pub desired: String,
    pub recorded: String,
}

/// A `--target` that is neither desired nor recorded, with the known addresses close to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTarget {
    pub target: Address,
    pub desired: std::path::PathBuf,
    pub suggestions: Vec<Address>,
}

fn render_unknown_targets(list: &[UnknownTarget]) -> String {
    let mut text = String::new();
    for (i, t) in list.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str(&format!(
            "--target {}: no such address in {} or the recorded state",
            t.target,
            t.desired.display()
        ));
        if !t.suggestions.is_empty() {
            let quoted: Vec<String> = t.suggestions.iter().map(|a| format!("`{a}`")).collect();
            text.push_str(&format!("; did you mean {}?", quoted.join(" or ")));
        }
    }
    text.push_str("\nCheck the address: `vpnform state list` shows the recorded ones.");
    text
}

/// A customer gateway the plan replaces and a connection that keeps using it (or a
/// connection the plan replaces and a route that keeps it as its next hop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InUse {
    pub customer_gateway: Address,
    pub id: String,
    pub reason: String,
    pub connection: Address,
}

fn render_in_use(list: &[InUse]) -> String {
    list.iter()
        .map(|u| {
            if u.customer_gateway.kind() == crate::address::Kind::VpnConnection {
                return format!(
                    "{conn} must be replaced ({reason}), but {route} goes on using it as its \
                     next hop, and the cloud deletes no connection a route uses ({id}). Give \
                     the new connection an entry of its own (e.g. `{conn}_new`), point {route} \
                     at it and remove {conn}: the plan then moves the route before it deletes \
                     the old connection",
                    conn = u.customer_gateway,
                    route = u.connection,
                    reason = u.reason,
                    id = u.id,
                );
            }
            format!(
                "{cgw} must be replaced ({reason}), but {conn} goes on using it, and the cloud \
                 deletes no customer gateway a connection uses ({id}). Give the new address \
                 an entry of its own (e.g. `{cgw}_new`), point {conn} at it and remove {cgw}: \
                 one apply then creates the new customer gateway, creates the new connection \
                 before it deletes the old one, and deletes {cgw} last",
                cgw = u.customer_gateway,
                conn = u.connection,
                reason = u.reason,
                id = u.id,
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_cannot_replace(list: &[(Address, &'static str)]) -> String {
    list.iter()
        .map(|(address, why)| format!("--replace {address}: {why}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_moved_onto_recorded(list: &[(Address, Address)]) -> String {
    list.iter()
        .map(|(from, to)| {
            format!(
                "the desired file moves {from} to {to}, but the state records both: run \
                 `vpnform state rm {to}` if {to} is not the server to keep (nothing changes in \
                 the cloud), or remove the move"
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_mismatches(list: &[Mismatch]) -> String {
    let mut text = String::new();
    for (i, m) in list.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        // The same server under two names would plan a delete of the server the user
        // means to keep; refuse rather than guess a rename.
        text.push_str(&format!(
            "{}: the desired id {} is recorded in the state as {}; the plan would delete it \
             there and adopt it here. To rename, run `vpnform state rm {}` and plan again to \
             adopt it as {}",
            m.address, m.desired, m.recorded, m.recorded, m.address
        ));
    }
    text
}

fn render_protected(list: &[(Address, String)]) -> String {
    let mut text = String::new();
    for (i, (address, id)) in list.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str(&format!(
            "{address} ({id}) is protected (`protect: true` in the state) and is not in the \
             desired state, so the plan would delete it; put it back in the desired file, or \
             run `vpnform state unprotect {address}` first if it really must go"
        ));
    }
    text
}

fn render_protected_from_destroy(list: &[(Address, String)]) -> String {
    list.iter()
        .map(|(address, id)| {
            format!(
                "{address} ({id}) is protected (`protect: true` in the state), so --destroy \
                 would delete it; run `vpnform state unprotect {address}` first if it really \
                 must go, or `vpnform state rm {address}` to stop managing it and leave it in \
                 the cloud"
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_protected_replaces(list: &[Mismatch]) -> String {
    let mut text = String::new();
    for (i, m) in list.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        if m.field == "--replace" {
            text.push_str(&format!(
                "{address} is protected (`protect: true`), and --replace would replace it: \
                 create a new server and delete {id}; run `vpnform state unprotect \
                 {address}` (and drop `protect: true` from the desired entry) first if it \
                 really must be replaced",
                address = m.address,
                id = m.recorded,
            ));
            continue;
        }
        text.push_str(&format!(
            "{address} is protected (`protect: true`), and its {field} changed from {was} to \
             {now} in the desired state, so the plan would replace it: create a new server \
             and delete the old one; put {field} back to {was}, or run `vpnform state \
             unprotect {address}` (and drop `protect: true` from the desired entry) first if \
             it really must be replaced",
            address = m.address,
            field = m.field,
            was = m.recorded,
            now = m.desired,
        ));
    }
    text
}

fn render_protected_entries(list: &[ProtectedEntry]) -> String {
    let mut text = String::new();
    for (i, e) in list.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        let what = match e.operation.as_str() {
            "create" => "its replace, which deletes".to_string(),
            _ => "its delete of".to_string(),
        };
        let fix = if e.by == "state" {
            format!("run `vpnform state unprotect {}`", e.address)
        } else {
            "drop `protect: true` from the desired entry".to_string()
        };
        text.push_str(&format!(
            "{address} is protected (`protect: true` in the {by}), and an interrupted run \
             journaled {what} {id}: resolving it would delete {id}. The operation may already \
             be under way in the cloud; to finish it, {fix} and apply (then protect it \
             again)",
            address = e.address,
            by = e.by,
            id = e.id,
        ));
    }
    text
}

/// Diffs `desired` against `state` (and `options.refresh`) into a plan.
///
/// Per address: recorded but gone at refresh -> forget; recorded, not desired -> delete;
/// desired, not recorded -> adopt; both with the same id, gateway and region -> no
/// action. Offline (no refresh) every precheck is [`Precheck::Skipped`]; the online
/// plan fills prechecks in afterwards (they are not part of the hash).
pub fn build(desired: &Desired, state: &State, options: &PlanOptions) -> Result<Plan, PlanError> {
    // A reference by address to a recorded resource is its recorded id (compared with
    // the cloud's answer); to one this plan creates, it stays the address, shown as
    // known after apply and resolved by apply once that one is created.
    let resolved = resolve_references(desired, state);
    let desired = resolved.as_ref().unwrap_or(desired);
    // The desired file's `moved`: a recorded `from` is planned as `to` (the rest of the
    // plan diffs against the renamed state), and the rename is an action of its own.
    let journaled_now: BTreeSet<&Address> = state.pending.iter().map(|p| &p.address).collect();
    let mut moves: Vec<(&Address, &Address)> = Vec::new();
    let mut onto_recorded = Vec::new();
    for m in &desired.moved {
        // Validation saw to it that `to` is an entry; a file emptied (`--destroy`) has
        // none, nor moves.
        if !desired.servers.contains_key(&m.to) {
            continue;
        }
        if journaled_now.contains(&m.from) || journaled_now.contains(&m.to) {
            // The journal entry is resolved first; the move waits for the next plan.
            continue;
        }
        match (
            state.resources.contains_key(&m.from),
            state.resources.contains_key(&m.to),
        ) {
            (true, false) => moves.push((&m.from, &m.to)),
            (true, true) => onto_recorded.push((m.from.clone(), m.to.clone())),
            // Moved already, or never recorded: nothing to do.
            (false, _) => {}
        }
    }
    if !onto_recorded.is_empty() {
        return Err(PlanError::MovedOntoRecorded(onto_recorded));
    }
    // `--replace` names recorded, desired servers.
    let cannot: Vec<(Address, &'static str)> = options
        .replace
        .iter()
        .filter_map(|address| {
            let recorded = state.resources.contains_key(address)
                || moves.iter().any(|(from, to)| *to == address && state.resources.contains_key(*from));
            let why = if !recorded {
                "the state records no resource at this address (`vpnform state list` shows the recorded ones)"
            } else if !desired.servers.contains_key(address) {
                "it is not in the desired file, so the plan deletes it; there is nothing to replace"
            } else if journaled_now.contains(address) {
                "an interrupted run's operation on it is resolved first; run the plan again after that apply"
            } else {
                return None;
            };
            Some((address.clone(), why))
        })
        .collect();
    if !cannot.is_empty() {
        return Err(PlanError::CannotReplace(cannot));
    }
    let renamed;
    let state = if moves.is_empty() {
        state
    } else {
        let mut copy = state.clone();
        for (from, to) in &moves {
            if let Some(resource) = copy.resources.remove(*from) {
                copy.resources.insert((*to).clone(), resource);
            }
        }
        renamed = copy;
        &renamed
    };
    let gone = options.refresh.as_ref().map(|r| &r.gone);
    let mut actions = Vec::new();
    let mut mismatches = Vec::new();
    let mut protected = Vec::new();
    let mut protected_replaces = Vec::new();
    let mut warnings = Vec::new();
    // Recorded, desired, gone from the cloud: created again (not forgotten).
    let mut recreated: BTreeSet<&Address> = BTreeSet::new();

    // The same server recorded under another address.
    let recorded_by_id: BTreeMap<&str, &Address> = state
        .resources
        .iter()
        .map(|(address, r)| (r.id.as_str(), address))
        .collect();
    // An address with a journal entry gets that entry's resolution, and nothing else,
    // this plan (see `resume`).
    let journaled: BTreeSet<&Address> = state.pending.iter().map(|p| &p.address).collect();

    for (address, server) in &desired.servers {
        if journaled.contains(address) {
            continue;
        }
        if let Some(recorded) = state.resources.get(address) {
            // A desired `id` is an import instruction: it matters only while the address
            // is not recorded. Once it is, the recorded server is the one managed.
            if let Some(id) = server.id.as_ref().filter(|id| **id != recorded.id) {
                warnings.push(differing_id(address, id, &recorded.id));
            }
            // Moved to another gateway or region, imported or created alike: created
            // anew there and the old one deleted.
            // Or an attribute of the kind's that forces a replacement (a customer
            // gateway's IP address), against the cloud's answer online, the record offline.
            let have = options
                .refresh
                .as_ref()
                .and_then(|r| r.observed.get(address))
                .unwrap_or(&recorded.attributes);
            let kind = address.kind().facts();
            let forcing = server
                .values
                .iter()
                .filter(|(field, _)| kind.attribute(field).is_some_and(|a| a.forces_replacement))
                .filter_map(|(field, want)| Some((*field, want, have.get(*field)?)));
            let moved = [
                ("vpn_gateway", &server.vpn_gateway, &recorded.vpn_gateway),
                ("region", &server.region, &recorded.region),
            ]
            .into_iter()
            .chain(forcing)
            .find(|(_, want, have)| want != have)
            .map(|(field, want, have)| Mismatch {
                address: address.clone(),
                field,
                desired: want.clone(),
                recorded: have.clone(),
            });
            let is_gone = gone.is_some_and(|g| g.contains(address));
            if let Some(moved) = moved {
                if is_gone {
                    // Gone from the cloud and moved: created again at its new place.
                    let mut create = create(address, server);
                    create.recreates = Some(recorded.id.clone());
                    create.reason = reason::RECREATE.into();
                    actions.push(create);
                    recreated.insert(address);
                } else if recorded.protect || server.protect {
                    protected_replaces.push(moved);
                } else {
                    let mut replace = replace(address, server, recorded);
                    if !matches!(moved.field, "vpn_gateway" | "region") {
                        replace.reason = format!(
                            "its {} changed in the desired state, which cannot change in place",
                            moved.field
                        );
                    }
                    actions.push(replace);
                }
                continue;
            }
            if options.replace.contains(address) && !is_gone {
                if recorded.protect || server.protect {
                    protected_replaces.push(Mismatch {
                        address: address.clone(),
                        field: "--replace",
                        desired: recorded.id.clone(),
                        recorded: recorded.id.clone(),
                    });
                } else {
                    let mut forced = replace(address, server, recorded);
                    forced.reason = reason::FORCED.into();
                    actions.push(forced);
                }
                continue;
            }
            if is_gone {
                // Still desired, gone from the cloud: created again in its place, with
                // what the record holds of it where the entry writes nothing (an imported
                // entry may name only its id).
                let mut create = create(address, server);
                for (field, value) in &recorded.attributes {
                    if calls::is_sent_by_create(field) && !create.attributes.contains_key(field) {
                        create.attributes.insert(field.clone(), value.clone());
                    }
                }
                create.recreates = Some(recorded.id.clone());
                create.reason = reason::RECREATE.into();
                actions.push(create);
                recreated.insert(address);
                continue;
            }
            let mut changes = field_changes(server, recorded);
            let state_only = changes.len();
            // Online: against what the cloud answers now; offline: against the record.
            let observed = options
                .refresh
                .as_ref()
                .and_then(|r| r.observed.get(address));
            let drifted =
                drift::managed_changes(&server.values, observed.unwrap_or(&recorded.attributes));
            // Against the record, a value it does not hold (a state written before
            // attributes were recorded) is unknown, not different: the online plan,
            // which reads the cloud, decides.
            changes.extend(
                drifted
                    .into_iter()
                    .filter(|c| observed.is_some() || c.from != drift::NOT_RECORDED),
            );
            let psk = server.psk.as_ref().map(|source| {
                let source = crate::state::PskRecord::of(source);
                let changed = match &options.refresh {
                    Some(refresh) => refresh.psk_changed.contains(address),
                    // Offline the key cannot be compared: another source than the one
                    // recorded may hold another key (none recorded: unknown).
                    None => recorded.psk.as_ref().is_some_and(|was| *was != source),
                };
                PskNote { source, changed }
            });
            if psk.as_ref().is_some_and(|p| p.changed) {
                changes.push(FieldChange {
                    field: "psk".into(),
                    from: SENSITIVE.into(),
                    to: SENSITIVE.into(),
                });
            }
            if !changes.is_empty() && !gone.is_some_and(|g| g.contains(address)) {
                let why = if changes.len() > state_only {
                    reason::DRIFTED
                } else {
                    reason::UPDATED
                };
                actions.push(Action {
                    address: address.clone(),
                    resource_kind: address.kind().as_str().into(),
                    action: ActionKind::Update,
                    id: recorded.id.clone(),
                    region: recorded.region.clone(),
                    vpn_gateway: recorded.vpn_gateway.clone(),
                    depends_on: sorted(&server.depends_on),
                    client_token: String::new(),
                    precheck: Precheck::Skipped,
                    reason: why.into(),
                    protect: server.protect,
                    attributes: recorded.attributes.clone(),
                    changes,
                    psk,
                    replaced: None,
                    resumes: None,
                    recreates: None,
                    moved_from: None,
                });
            }
            continue;
        }
        let tuple_id = options
            .refresh
            .as_ref()
            .filter(|r| server.id.is_none() && r.listed_tuples.contains(address))
            .and_then(|_| crate::kinds::vpn_route::calls::entry_id(server));
        let Some(id) = server.id.as_ref().or(tuple_id.as_ref()) else {
            actions.push(create(address, server));
            continue;
        };
        if let Some(other) = recorded_by_id.get(id.as_str())
            && !desired.servers.contains_key(*other)
        {
            mismatches.push(Mismatch {
                address: address.clone(),
                field: "address",
                desired: id.clone(),
                recorded: other.to_string(),
            });
            continue;
        }
        // Online, the server the entry names is listed: an adopt whose managed
        // attributes (or key) differ from the cloud's is followed by an update of them.
        let mut changes = Vec::new();
        if let Some(observed) = options
            .refresh
            .as_ref()
            .and_then(|r| r.observed.get(address))
        {
            changes = drift::managed_changes(&server.values, observed);
        }
        let psk = server.psk.as_ref().map(|source| PskNote {
            source: crate::state::PskRecord::of(source),
            changed: options
                .refresh
                .as_ref()
                .is_some_and(|r| r.psk_changed.contains(address)),
        });
        if psk.as_ref().is_some_and(|p| p.changed) {
            changes.push(FieldChange {
                field: "psk".into(),
                from: SENSITIVE.into(),
                to: SENSITIVE.into(),
            });
        }
        actions.push(Action {
            address: address.clone(),
            resource_kind: address.kind().as_str().into(),
            action: ActionKind::Adopt,
            id: id.clone(),
            region: server.region.clone(),
            vpn_gateway: server.vpn_gateway.clone(),
            depends_on: sorted(&server.depends_on),
            client_token: String::new(),
            precheck: Precheck::Skipped,
            reason: reason::NOT_RECORDED.into(),
            protect: server.protect,
            attributes: BTreeMap::new(),
            changes,
            psk,
            replaced: None,
            resumes: None,
            recreates: None,
            moved_from: None,
        });
    }

    for (address, recorded) in &state.resources {
        if journaled.contains(address) || recreated.contains(address) {
            continue;
        }
        let is_desired = desired.servers.contains_key(address);
        let (kind, why) = if gone.is_some_and(|g| g.contains(address)) {
            let why = if is_desired {
                reason::GONE_STILL_DESIRED
            } else {
                reason::GONE
            };
            (ActionKind::Forget, why)
        } else if !is_desired {
            if recorded.protect {
                protected.push((address.clone(), recorded.id.clone()));
                continue;
            }
            (ActionKind::Delete, reason::REMOVED)
        } else {
            continue;
        };
        actions.push(Action {
            address: address.clone(),
            resource_kind: address.kind().as_str().into(),
            action: kind,
            id: recorded.id.clone(),
            region: recorded.region.clone(),
            vpn_gateway: recorded.vpn_gateway.clone(),
            depends_on: sorted(&recorded.depends_on),
            client_token: String::new(),
            precheck: Precheck::Skipped,
            reason: why.into(),
            protect: recorded.protect,
            attributes: recorded.attributes.clone(),
            changes: Vec::new(),
            psk: None,
            replaced: None,
            resumes: None,
            recreates: None,
            moved_from: None,
        });
    }

    // Each move is its address's one action: what else the desired file asks of it that
    // changes the cloud waits for the next plan, as a journal entry's does.
    for (from, to) in &moves {
        let recorded = &state.resources[*to];
        let server = &desired.servers[*to];
        if let Some(at) = actions.iter().position(|a| &a.address == *to) {
            let other = actions.remove(at);
            if other.mutates_cloud() {
                warnings.push(format!(
                    "{to}: this plan moves {from} to {to} and nothing else; the changes the \
                     desired file asks of {to} in the cloud are planned once the move is \
                     applied: run `vpnform plan` again then"
                ));
            }
        }
        actions.push(Action {
            address: (*to).clone(),
            resource_kind: to.kind().as_str().into(),
            action: ActionKind::Update,
            id: recorded.id.clone(),
            region: recorded.region.clone(),
            vpn_gateway: recorded.vpn_gateway.clone(),
            depends_on: sorted(&server.depends_on),
            client_token: String::new(),
            precheck: Precheck::Skipped,
            reason: reason::MOVED.into(),
            protect: server.protect || recorded.protect,
            attributes: recorded.attributes.clone(),
            changes: Vec::new(),
            // The recorded key's source, as it is: a new one is the next plan's update.
            psk: recorded.psk.clone().map(|source| PskNote {
                source,
                changed: false,
            }),
            replaced: None,
            resumes: None,
            recreates: None,
            moved_from: Some((*from).clone()),
        });
    }

    let mut protected_entries = Vec::new();
    let mut corrupt = Vec::new();
    for p in &state.pending {
        match resume::resolve(p, desired, state, gone) {
            Ok(action) => {
                // A journaled delete of what the desired file still has (a replace that
                // deletes first, killed between its halves): the resolution deletes it,
                // and only the next plan creates it again.
                let deposed = action.resumes.as_ref().is_some_and(|r| r.deposed);
                if action.action == ActionKind::Delete
                    && !deposed
                    && desired.servers.contains_key(&action.address)
                {
                    warnings.push(format!(
                        "{}: this plan finishes the delete of {} that an interrupted run \
                         journaled, and nothing else; the desired file still has {}, which \
                         the next plan creates: run `vpnform apply` again after this one",
                        action.address, action.id, action.address
                    ));
                }
                actions.push(action)
            }
            Err(resume::Refusal::Protected(e)) => protected_entries.push(e),
            Err(resume::Refusal::Corrupt { address, problem }) => corrupt.push((address, problem)),
        }
    }
    if !corrupt.is_empty() {
        return Err(PlanError::CorruptEntry(corrupt));
    }

    if !mismatches.is_empty() {
        mismatches.sort_by(|a, b| a.address.cmp(&b.address));
        return Err(PlanError::Mismatch(mismatches));
    }
    if !options.targets.is_empty() {
        let keep = targeted(desired, state, &actions, &protected, &options.targets)?;
        actions.retain(|a| keep.contains(&a.address));
        protected.retain(|(a, _)| keep.contains(a));
        protected_entries.retain(|e| keep.contains(&e.address));
    }
    if !protected.is_empty() {
        return Err(if options.destroy {
            PlanError::ProtectedFromDestroy(protected)
        } else {
            PlanError::Protected(protected)
        });
    }
    if !protected_replaces.is_empty() {
        return Err(PlanError::ProtectedReplace(protected_replaces));
    }
    if !protected_entries.is_empty() {
        return Err(PlanError::ProtectedEntry(protected_entries));
    }
    // A VPN gateway is never replaced: a new one gets a new public IP address and drops
    // every tunnel.
    let gateways: Vec<(Address, String, String)> = actions
        .iter()
        .filter(|a| a.address.kind().facts().never_replaced)
        .filter(|a| a.action == ActionKind::Replace)
        .map(|a| {
            let why = if a.reason == reason::REPLACE {
                "its region changed".to_owned()
            } else {
                a.reason.clone()
            };
            (a.address.clone(), a.id.clone(), why)
        })
        .collect();
    if !gateways.is_empty() {
        return Err(PlanError::GatewayNotDeleted(gateways));
    }
    gateway_deletes(&actions, desired, state, options)?;
    order_replaces(&mut actions, desired, state)?;
    ssl_vpn::rule_six(&mut actions, desired, state, &mut warnings)
        .map_err(PlanError::CertsOfReplacedServer)?;
    warnings.extend(quota_warnings(&actions, desired));
    // A replace deletes the old server: it counts.
    let deletes = plan_deletes(&actions);
    if let Some(max) = options.max_deletes
        && deletes > max
    {
        return Err(PlanError::TooManyDeletes { deletes, max });
    }

    actions.sort_by(|a, b| a.address.cmp(&b.address));
    // Entries this plan does not resolve (`--target` left their address out): shown,
    // left in the journal for a plan that does.
    let resolved: BTreeSet<&Address> = actions.iter().map(|a| &a.address).collect();
    let pending = state
        .pending
        .iter()
        .filter(|p| !resolved.contains(&p.address))
        .map(|p| PendingNote {
            address: p.address.clone(),
            action: p.action.clone(),
            id: p.id.clone(),
            client_token: p.client_token.clone(),
            plan_hash: p.plan_hash.clone(),
        })
        .collect();
    let mut plan = Plan {
        lineage: state.lineage.clone(),
        serial: state.serial,
        desired_sha256: desired.sha256.clone(),
        desired_path: desired.path.to_string_lossy().into_owned(),
        actions,
        unmanaged: Default::default(),
        unmanaged_kinds: Default::default(),
        targets: options.targets.iter().cloned().collect(),
        hash: String::new(),
        pending,
        drift: Vec::new(),
        refresh_only: false,
        read_only: false,
        destroy: false,
        warnings,
    };
    // The graph checks for cycles; a plan that cannot be ordered is no plan.
    Graph::new(&plan)?;
    plan.seal();
    Ok(plan)
}

/// `plan` made against the desired file emptied ([`crate::config::Desired::emptied`]),
/// marked as the destroy plan it is and sealed again (the flag is hashed).
pub fn destroying(mut plan: Plan) -> Plan {
    plan.destroy = true;
    for action in &mut plan.actions {
        if action.reason == reason::REMOVED {
            action.reason = reason::DESTROY.into();
        }
    }
    plan.seal();
    plan
}

impl Plan {
    /// Whether applying the plan writes the state: an action, or attributes the cloud
    /// answers otherwise than the state records them.
    pub fn records_anything(&self) -> bool {
        self.has_changes() || !self.drift.is_empty()
    }

    /// The changes made outside vpnform that the plan shows (those of values the state
    /// never held are recorded silently).
    pub fn shown_drift(&self) -> impl Iterator<Item = &Drift> {
        self.drift.iter().filter(|d| !d.changes.is_empty())
    }

    /// `state` after the plan as the plan shows it: [`Plan::apply_to`], with the changes
    /// made outside vpnform recorded (values the state never held are recorded too, but
    /// silently: not in the shown diff); serial + 1 when anything is recorded.
    pub fn state_after(&self, state: &State) -> State {
        let mut after = self.apply_to(state);
        for d in &self.drift {
            let Some(resource) = after.resources.get_mut(&d.address) else {
                continue;
            };
            for c in &d.changes {
                resource.attributes.insert(c.field.clone(), c.to.clone());
            }
        }
        if !self.has_changes() && !self.drift.is_empty() {
            after.serial += 1;
        }
        after
    }

    /// Computes the plan hash and every action's ClientToken from the hashed fields.
    pub fn seal(&mut self) {
        self.hash = plan_hash(self);
        self.token(&self.lineage.clone());
    }

    /// Computes every action's ClientToken for the state of `lineage` (the plan's own, or,
    /// for a plan made before any state existed, the lineage its first write creates).
    pub fn token(&mut self, lineage: &str) {
        for action in &mut self.actions {
            let (token, delete_half) = hash::action_tokens(lineage, &self.hash, action);
            action.client_token = token;
            if let (Some(old), Some(token)) = (&mut action.replaced, delete_half) {
                old.client_token = token;
            }
        }
    }

    /// Whether the plan changes anything (state or cloud).
    pub fn has_changes(&self) -> bool {
        !self.actions.is_empty()
    }

    /// The execution graph (cycles were rejected when the plan was built).
    pub fn graph(&self) -> Result<Graph, PlanError> {
        Graph::new(self)
    }

    /// How many actions of `kind`, a replace counting as a create and as a delete (as
    /// Terraform counts one: 1 to add, 1 to destroy).
    pub fn count(&self, kind: ActionKind) -> usize {
        self.actions
            .iter()
            // A move is shown, not counted, as Terraform shows one.
            .filter(|a| a.moved_from.is_none())
            .filter(|a| {
                a.action == kind
                    || (a.action == ActionKind::Replace
                        && matches!(kind, ActionKind::Create | ActionKind::Delete))
            })
            .count()
    }

    /// The state after every action of this plan is done: deletes and forgets removed,
    /// adopts recorded, serial + 1. Used for the state diff in the rendered plan.
    pub fn apply_to(&self, state: &State) -> State {
        let mut after = state.clone();
        for action in &self.actions {
            after.pending.retain(|p| p.address != action.address);
            match action.action {
                ActionKind::Delete if action.resumes.as_ref().is_some_and(|r| r.deposed) => {
                    if let Some(r) = after.resources.get_mut(&action.address) {
                        r.deposed = None;
                    }
                }
                ActionKind::Delete | ActionKind::Forget => {
                    after.resources.remove(&action.address);
                }
                ActionKind::Adopt
                | ActionKind::Update
                | ActionKind::Create
                | ActionKind::Replace => {
                    if let Some(from) = &action.moved_from {
                        after.resources.remove(from);
                    }
                    after
                        .resources
                        .insert(action.address.clone(), action.resource_after());
                }
            }
        }
        if self.has_changes() {
            after.serial += 1;
        }
        after
    }
}

/// The addresses a targeted plan keeps: the targets and every action they wait for,
/// transitively (a delete's dependents go first, as Terraform destroys). A protected
/// server that a target would have to wait for counts too, so its refusal stands.
fn targeted(
    desired: &Desired,
    state: &State,
    actions: &[Action],
    protected: &[(Address, String)],
    targets: &BTreeSet<Address>,
) -> Result<BTreeSet<Address>, PlanError> {
    let known = || {
        desired
            .servers
            .keys()
            .chain(state.resources.keys())
            .map(Address::as_str)
    };
    let journaled = |t: &Address| state.pending.iter().any(|p| p.address == *t);
    let unknown: Vec<UnknownTarget> = targets
        .iter()
        .filter(|t| {
            !desired.servers.contains_key(*t) && !state.resources.contains_key(*t) && !journaled(t)
        })
        .map(|t| {
            let mut close: Vec<&str> = crate::suggest::close_addresses(t, known());
            close.dedup();
            UnknownTarget {
                target: t.clone(),
                desired: desired.path.clone(),
                suggestions: close.into_iter().filter_map(|c| c.parse().ok()).collect(),
            }
        })
        .collect();
    if !unknown.is_empty() {
        return Err(PlanError::UnknownTarget(unknown));
    }
    // The graph of every action, a protected server's refused delete included.
    let mut all: Vec<Action> = actions.to_vec();
    for (address, _) in protected {
        let recorded = &state.resources[address];
        all.push(Action {
            address: address.clone(),
            resource_kind: address.kind().as_str().into(),
            action: ActionKind::Delete,
            id: recorded.id.clone(),
            region: recorded.region.clone(),
            vpn_gateway: recorded.vpn_gateway.clone(),
            depends_on: sorted(&recorded.depends_on),
            client_token: String::new(),
            precheck: Precheck::Skipped,
            reason: reason::REMOVED.into(),
            protect: true,
            attributes: BTreeMap::new(),
            changes: Vec::new(),
            psk: None,
            replaced: None,
            resumes: None,
            recreates: None,
            moved_from: None,
        });
    }
    let whole = Plan {
        lineage: String::new(),
        serial: 0,
        desired_sha256: String::new(),
        desired_path: String::new(),
        actions: all,
        unmanaged: Default::default(),
        unmanaged_kinds: Default::default(),
        targets: Vec::new(),
        hash: String::new(),
        pending: Vec::new(),
        drift: Vec::new(),
        refresh_only: false,
        read_only: false,
        destroy: false,
        warnings: Vec::new(),
    };
    let graph = Graph::new(&whole)?;
    let mut keep: BTreeSet<Address> = BTreeSet::new();
    let mut todo: Vec<&Address> = targets.iter().collect();
    while let Some(next) = todo.pop() {
        if keep.insert(next.clone()) {
            todo.extend(graph.waits_for(next));
        }
    }
    Ok(keep)
}

impl Action {
    /// A replace, or the resolution of a create journaled for an address no longer
    /// desired (re-sent, then what it made deleted): two operations, a create and a
    /// delete. (The latter counts as one to destroy: whether its create makes anything
    /// new is the cloud's answer.)
    pub fn creates_and_deletes(&self) -> bool {
        self.action == ActionKind::Replace
            || (self.action == ActionKind::Delete
                && self.resumes.as_ref().is_some_and(|r| r.action == "create"))
    }

    /// The resource this action records once done, as far as the plan knows it: a
    /// create's id is known only after apply, and the cloud's answer (the attributes
    /// it lists) is what apply records.
    pub fn resource_after(&self) -> crate::state::Resource {
        let mut attributes = self.attributes.clone();
        for c in self.cloud_changes().filter(|c| c.field != "psk") {
            attributes.insert(c.field.clone(), c.to.clone());
        }
        crate::state::Resource {
            id: if matches!(self.action, ActionKind::Create | ActionKind::Replace) {
                KNOWN_AFTER_APPLY.to_owned()
            } else {
                self.id.clone()
            },
            region: self.region.clone(),
            vpn_gateway: self.vpn_gateway.clone(),
            depends_on: self.depends_on.clone(),
            protect: self.protect,
            psk: self.psk.as_ref().map(|p| p.source.clone()),
            attributes,
            deposed: None,
        }
    }
}

/// How many servers `actions` delete: deletes and replaces.
pub fn plan_deletes(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a.action, ActionKind::Delete | ActionKind::Replace))
        .count()
}

/// The replace of the server `recorded` by a new one where `server` says.
/// The create of `server`, desired at `address` without an id.
fn create(address: &Address, server: &crate::config::DesiredServer) -> Action {
    Action {
        address: address.clone(),
        resource_kind: address.kind().as_str().into(),
        action: ActionKind::Create,
        id: String::new(),
        region: server.region.clone(),
        vpn_gateway: server.vpn_gateway.clone(),
        depends_on: sorted(&server.depends_on),
        client_token: String::new(),
        precheck: Precheck::Skipped,
        reason: reason::CREATE.into(),
        protect: server.protect,
        attributes: server
            .values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        changes: Vec::new(),
        psk: server.psk.as_ref().map(|source| PskNote {
            source: crate::state::PskRecord::of(source),
            changed: true,
        }),
        replaced: None,
        resumes: None,
        recreates: None,
        moved_from: None,
    }
}

/// The warning for a desired `id` that is not the recorded server's, with the two ways
/// out.
fn differing_id(address: &Address, desired: &str, recorded: &str) -> String {
    format!(
        "{address}: the desired `id: {desired}` is not the recorded server {recorded}, which \
         is the one vpnform manages (a desired `id` imports only while the address is not \
         recorded). Remove the `id` line to keep managing {recorded}; or, to manage \
         {desired} under {address} instead, run `vpnform state rm {address}` and plan \
         again ({recorded} is then left alone in the cloud)"
    )
}

fn replace(
    address: &Address,
    server: &crate::config::DesiredServer,
    recorded: &crate::state::Resource,
) -> Action {
    Action {
        address: address.clone(),
        resource_kind: address.kind().as_str().into(),
        action: ActionKind::Replace,
        id: recorded.id.clone(),
        region: server.region.clone(),
        vpn_gateway: server.vpn_gateway.clone(),
        depends_on: sorted(&server.depends_on),
        client_token: String::new(),
        precheck: Precheck::Skipped,
        reason: reason::REPLACE.into(),
        protect: server.protect,
        attributes: server
            .values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        changes: Vec::new(),
        psk: server.psk.as_ref().map(|source| PskNote {
            source: crate::state::PskRecord::of(source),
            changed: true,
        }),
        replaced: Some(Replaced {
            vpn_gateway: recorded.vpn_gateway.clone(),
            region: recorded.region.clone(),
            client_token: String::new(),
            precheck: Precheck::Skipped,
            // Decided for the whole plan (`replace_order`); a kind without a lane always;
            // an SSL-VPN server where it is (a gateway holds one).
            // A route always: its tuple is unique, and the old one's weight and
            // publishing stand in the way of the new one's on the same destination.
            destroy_first: address.kind().facts().lane == crate::kinds::Lane::None
                || matches!(
                    address.kind(),
                    crate::address::Kind::VpnRoute | crate::address::Kind::VpnPolicyRoute
                )
                || (address.kind() == crate::address::Kind::SslVpnServer
                    && recorded.vpn_gateway == server.vpn_gateway
                    && recorded.region == server.region),
            references: resume::references(address, recorded),
        }),
        resumes: None,
        recreates: None,
        moved_from: None,
    }
}

/// The cloud's default quotas that a desired file can outgrow and a request to the
/// cloud's Quota Center can raise (API.md): what the kind counts over, and how many.
const QUOTAS: [(crate::address::Kind, &str, usize); 3] = [
    (crate::address::Kind::VpnGateway, "an account", 30),
    (crate::address::Kind::CustomerGateway, "a region", 100),
    (crate::address::Kind::SslVpnClientCert, "an account", 50),
];

/// A warning per quota the desired file goes beyond with a create of this plan: the
/// creates past it fail with `Resource.QuotaFull` unless the quota was raised. Not an
/// error: a raised quota is the account's, and no call reads it. Customer gateways
/// count per region, the others per account.
fn quota_warnings(actions: &[Action], desired: &Desired) -> Vec<String> {
    let mut warnings = Vec::new();
    for (kind, over, quota) in QUOTAS {
        if !actions
            .iter()
            .any(|a| a.address.kind() == kind && a.action == ActionKind::Create)
        {
            continue;
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for entry in desired
            .servers
            .values()
            .filter(|e| e.address.kind() == kind)
        {
            let scope = if kind == crate::address::Kind::CustomerGateway {
                entry.region.as_str()
            } else {
                ""
            };
            *counts.entry(scope).or_default() += 1;
        }
        for (region, count) in counts.into_iter().filter(|(_, n)| *n > quota) {
            let place = if region.is_empty() {
                over.to_owned()
            } else {
                format!("{over} ({region})")
            };
            warnings.push(format!(
                "the desired file has {count} {} entries, and {place} holds {quota} unless \
                 its quota was raised: past it, the cloud refuses a create with \
                 Resource.QuotaFull (raise it in the Quota Center first)",
                kind.as_str()
            ));
        }
    }
    warnings
}

/// Planner rule 4, the part the files tell: a VPN gateway the plan deletes is not a
/// subscription one (`Prepay`: the cloud releases it only when its subscription ends,
/// `ForbiddenRelease`), and no desired entry stays on it. (Its children the plan deletes
/// go first, `graph::waits`; what the cloud holds on it that vpnform does not manage,
/// the online plan lists.)
fn gateway_deletes(
    actions: &[Action],
    desired: &Desired,
    state: &State,
    options: &PlanOptions,
) -> Result<(), PlanError> {
    let mut problems = Vec::new();
    for a in actions
        .iter()
        .filter(|a| a.action == ActionKind::Delete && a.resumes.is_none())
        .filter(|a| a.address.kind() == crate::address::Kind::VpnGateway)
    {
        let observed = options
            .refresh
            .as_ref()
            .and_then(|r| r.observed.get(&a.address))
            .or_else(|| state.resources.get(&a.address).map(|r| &r.attributes));
        let charge = observed.and_then(|o| o.get("charge_type"));
        if charge.is_some_and(|c| c.to_ascii_lowercase().starts_with("prepay")) {
            problems.push(format!(
                "{}: the plan would delete VPN gateway {}, a subscription (Prepay) gateway, \
                 which the cloud releases only when its subscription ends \
                 (ForbiddenRelease): restore the entry, or run `vpnform state rm {}` to stop \
                 managing it (the gateway stays)",
                a.address, a.id, a.address
            ));
        }
        for (child, entry) in &desired.servers {
            if entry.vpn_gateway == a.id && entry.region == a.region {
                problems.push(format!(
                    "{}: the plan would delete VPN gateway {}, but {child} stays on it in \
                     the desired file: remove {child} too (the plan then deletes it first), \
                     or keep {}",
                    a.address, a.id, a.address
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(PlanError::GatewayDelete(problems))
    }
}

/// A gateway holds at most this many IPsec connections (API.md).
const CONNECTIONS_PER_GATEWAY: usize = 10;

/// Planner rule 7 for the replaces of connections, and a customer gateway's replace
/// checked against the connections that use it.
///
/// A customer gateway is replaced destroy first (a region holds one per IP address); a
/// connection that goes on using it (desired, not deleted, naming its id or address)
/// would keep the old one from being deleted: a plan error naming both, with the way
/// that works in one apply. A connection is replaced create first, so that its tunnel is
/// down for as short a time as the cloud allows, unless the new one could not stand
/// beside the old one: on the same gateway with a customer gateway in common (one
/// connection per gateway and customer gateway), or on a gateway whose ten connections
/// leave no room for one more for a while (the desired file's and the recorded ones).
fn order_replaces(
    actions: &mut [Action],
    desired: &Desired,
    state: &State,
) -> Result<(), PlanError> {
    use crate::address::Kind;
    let replaced: Vec<(Address, String, String)> = actions
        .iter()
        .filter(|a| {
            a.action == ActionKind::Replace
                && a.resumes.is_none()
                && matches!(
                    a.address.kind(),
                    Kind::CustomerGateway | Kind::VpnConnection
                )
        })
        .map(|a| (a.address.clone(), a.id.clone(), a.reason.clone()))
        .collect();
    let deleted: BTreeSet<&Address> = actions
        .iter()
        .filter(|a| a.action == ActionKind::Delete)
        .map(|a| &a.address)
        .collect();
    let mut in_use = Vec::new();
    for (cgw, id, reason) in &replaced {
        for (address, entry) in &desired.servers {
            let kind = address.kind().facts();
            let uses = entry.values.iter().any(|(field, value)| {
                kind.attribute(field).is_some_and(|a| a.reference)
                    && (value == id || value == cgw.as_str())
            });
            if uses && !deleted.contains(address) {
                in_use.push(InUse {
                    customer_gateway: cgw.clone(),
                    id: id.clone(),
                    reason: reason.clone(),
                    connection: address.clone(),
                });
            }
        }
    }
    if !in_use.is_empty() {
        return Err(PlanError::ReplacedInUse(in_use));
    }
    // The connections each gateway holds for a while: the desired ones and the recorded
    // ones the plan deletes.
    let mut held: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let connections = desired
        .servers
        .iter()
        .map(|(address, s)| (address, s.region.as_str(), s.vpn_gateway.as_str()))
        .chain(
            state
                .resources
                .iter()
                .filter(|(address, _)| !desired.servers.contains_key(*address))
                .map(|(address, r)| (address, r.region.as_str(), r.vpn_gateway.as_str())),
        )
        .filter(|(address, _, _)| address.kind() == Kind::VpnConnection);
    for (_, region, gateway) in connections {
        *held.entry((region, gateway)).or_default() += 1;
    }
    let mut destroy_first = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let Some(old) = &a.replaced else { continue };
        if a.address.kind() != Kind::VpnConnection || a.resumes.is_some() {
            continue;
        }
        let kind = a.address.kind().facts();
        let same_place = old.vpn_gateway == a.vpn_gateway && old.region == a.region;
        let shares = a.attributes.iter().any(|(field, value)| {
            kind.attribute(field).is_some_and(|f| f.reference) && old.references.contains(value)
        });
        let full = held
            .get(&(a.region.as_str(), a.vpn_gateway.as_str()))
            .is_some_and(|n| *n >= CONNECTIONS_PER_GATEWAY);
        if same_place && (shares || full) {
            destroy_first.push(i);
        }
    }
    for i in destroy_first {
        if let Some(old) = actions[i].replaced.as_mut() {
            old.destroy_first = true;
        }
    }
    Ok(())
}

/// `desired` with every reference by address (a connection's `customer_gateway:
/// customer_gateway.NAME`) to a resource whose id is known replaced by that id; `None`
/// when there is nothing to replace. Known: the id the state records, else, for an
/// entry the state does not record yet, the `id` it adopts (what `vpnform import`
/// writes for a connection and its customer gateway together).
pub(crate) fn resolve_references(desired: &Desired, state: &State) -> Option<Desired> {
    let recorded_id = |text: &str| {
        let address: Address = text.parse().ok()?;
        match state.resources.get(&address) {
            Some(recorded) => Some(recorded.id.clone()),
            None => desired.servers.get(&address)?.id.clone(),
        }
    };
    let mut copy: Option<Desired> = None;
    for (address, entry) in &desired.servers {
        // On a VPN gateway vpnform creates: its address, the recorded id once created.
        if let Some(id) = recorded_id(&entry.vpn_gateway) {
            let copy = copy.get_or_insert_with(|| desired.clone());
            if let Some(entry) = copy.servers.get_mut(address) {
                entry.vpn_gateway = id;
            }
        }
        let kind = address.kind().facts();
        for (i, (field, value)) in entry.values.iter().enumerate() {
            if kind.names_by_address(field, value)
                && let Some(id) = recorded_id(value)
            {
                let copy = copy.get_or_insert_with(|| desired.clone());
                if let Some(entry) = copy.servers.get_mut(address) {
                    entry.values[i].1 = id;
                }
            }
        }
    }
    copy
}

/// A create's id in the plan's picture of the state after it.
pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";

/// What the desired entry changes in the recorded resource (state-only fields).
fn field_changes(
    desired: &crate::config::DesiredServer,
    recorded: &crate::state::Resource,
) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    // Protection is turned on from the desired file, but off only with `vpnform state
    // unprotect`: deleting a protected server takes that deliberate step, never an edit
    // that drops a line.
    if desired.protect && !recorded.protect {
        changes.push(FieldChange {
            field: "protect".into(),
            from: recorded.protect.to_string(),
            to: desired.protect.to_string(),
        });
    }
    let (want, have) = (sorted(&desired.depends_on), sorted(&recorded.depends_on));
    if want != have {
        changes.push(FieldChange {
            field: "depends_on".into(),
            from: format!("[{}]", have.join(", ")),
            to: format!("[{}]", want.join(", ")),
        });
    }
    changes
}

fn sorted(list: &[Address]) -> Vec<Address> {
    let set: BTreeSet<&Address> = list.iter().collect();
    set.into_iter().cloned().collect()
}

/// The `NAME` of `ipsec_server.NAME`.
pub fn resource_name(address: &str) -> &str {
    address.split_once('.').map_or(address, |(_, name)| name)
}

#[cfg(test)]
mod tests;
