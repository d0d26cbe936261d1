//! Whether a saved plan may run against the state as it is now.
//!
//! A saved plan runs only against the state it was made from: same lineage, same
//! serial, same desired file. The one exception is its own progress: a state last written
//! by this very plan (recorded in `applying`) resumes it, so an apply interrupted
//! mid-way can be finished with the plan that was reviewed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::Address;
use crate::config::Desired;
use crate::plan::{Action, ActionKind, Plan, PlanError, PlanOptions, Refresh};
use crate::state::State;

/// How a saved plan starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// The state is as the plan saw it.
    Fresh,
    /// This plan already ran part-way; what it finished is skipped.
    Resume,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum Refused {
    #[error(
        "the saved plan {path} was made for the desired file {}, and this apply reads {}: \
         a saved plan runs only against the desired file it was made from. Make a new plan \
         of this workspace's desired file with `vpnform plan --out FILE`, or pass \
         `--desired {}` if that file is the one to apply",
        saved.display(),
        desired.display(),
        saved.display()
    )]
    OtherDesired {
        path: PathBuf,
        saved: PathBuf,
        desired: PathBuf,
    },
    #[error(
        "the saved plan {path} was made for another state (lineage {plan}, the state in \
         {state_dir} has {state}); make a new plan with `vpnform plan --out FILE`"
    )]
    Lineage {
        path: PathBuf,
        state_dir: PathBuf,
        plan: String,
        state: String,
    },
    #[error(
        "the saved plan {path} is stale: it was made from state serial {plan}, and the state \
         is now at serial {state}, written since by another run; make a new plan with \
         `vpnform plan --out FILE` and review it"
    )]
    Stale {
        path: PathBuf,
        plan: u64,
        state: u64,
    },
    #[error(
        "the desired-state file {desired} has changed since the saved plan {path} was made \
         (SHA-256 {plan} then, {now} now); review the change and make a new plan with \
         `vpnform plan --out FILE`"
    )]
    DesiredChanged {
        path: PathBuf,
        desired: PathBuf,
        plan: String,
        now: String,
    },
    #[error(
        "the saved plan {path} does not match the plan that the state in {state_dir} and \
         {desired} give now, so it is not trusted:\n{}\nA saved plan is checked against \
         the files it was made from, whatever its hash says (the hash is public); make a \
         new plan with `vpnform plan --out FILE` and review it",
        render_lines(.differences)
    )]
    Differs {
        path: PathBuf,
        state_dir: PathBuf,
        desired: PathBuf,
        differences: Vec<Difference>,
    },
    #[error(
        "the saved plan {path} cannot be checked: the state in {state_dir} and {desired} \
         give no plan now: {source}"
    )]
    Underivable {
        path: PathBuf,
        state_dir: PathBuf,
        desired: PathBuf,
        source: PlanError,
    },
    #[error(
        "the saved plan {path} does not match the cloud now, so nothing was applied:\n{}\n\
         Make a new plan with `vpnform plan --out FILE` and review it",
        .lines.iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
    )]
    Cloud { path: PathBuf, lines: Vec<String> },
    #[error(
        "the saved plan {path} was made by vpnform {plan}, and this is vpnform {this}: a \
         saved plan runs only with the version that made it; make a new plan with this \
         version (`vpnform plan --out FILE`) and review it, or apply it with vpnform {plan}"
    )]
    OtherVersion {
        path: PathBuf,
        plan: String,
        this: String,
    },
    #[error(
        "the saved plan {} was made with {}, and this apply asks for {}: a saved plan runs \
         exactly what was reviewed; apply it without --target, or make a new plan with these \
         targets (`vpnform plan --out FILE`) and review it",
        path.display(), render_targets(saved), render_targets(given)
    )]
    OtherTargets {
        path: PathBuf,
        saved: Vec<Address>,
        given: Vec<Address>,
    },
}

/// `--target A --target B`, or `no --target`.
fn render_targets(list: &[Address]) -> String {
    if list.is_empty() {
        return "no --target".into();
    }
    list.iter()
        .map(|t| format!("--target {t}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One way a saved plan differs from the plan derived again from the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Difference {
    pub address: String,
    /// `action`, `id`, `region`, ...; `actions` for a duplicated address.
    pub field: &'static str,
    /// As the saved plan has it (`none`: no action for the address).
    pub saved: String,
    /// As the state and desired file give it.
    pub derived: String,
}

fn render_lines(list: &[Difference]) -> String {
    list.iter()
        .map(|d| {
            format!(
                "  {}: {}: the saved plan has {}, the files give {}",
                d.address, d.field, d.saved, d.derived
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Refuses a saved plan made by another vpnform version, as Terraform does: another
/// version may plan, hash or record differently.
pub(crate) fn same_version(path: &Path, plan_version: &str) -> Result<(), Refused> {
    let this = env!("CARGO_PKG_VERSION");
    if plan_version == this {
        return Ok(());
    }
    Err(Refused::OtherVersion {
        path: path.to_owned(),
        plan: plan_version.to_owned(),
        this: this.to_owned(),
    })
}

/// Checks `plan` (loaded from `path`, its hash verified) against the state (None: no
/// state file yet) and the desired file's current SHA-256.
pub(crate) fn check(
    plan: &Plan,
    path: &Path,
    state: Option<&State>,
    state_dir: &Path,
    desired: &Path,
    desired_sha256: &str,
) -> Result<Start, Refused> {
    if plan.desired_sha256 != desired_sha256 {
        return Err(Refused::DesiredChanged {
            path: path.to_owned(),
            desired: desired.to_owned(),
            plan: plan.desired_sha256.clone(),
            now: desired_sha256.to_owned(),
        });
    }
    let (lineage, serial) = state.map_or(("", 0), |s| (s.lineage.as_str(), s.serial));
    // A plan made before any state existed has an empty lineage; the state its first
    // write created has a fresh one, which `applying` then ties to this plan.
    let own_progress = state.is_some_and(|s| {
        s.applying
            .as_ref()
            .is_some_and(|a| a.plan_hash == plan.hash && a.base_serial == plan.serial)
    });
    if plan.lineage != lineage && !(plan.lineage.is_empty() && own_progress) {
        return Err(Refused::Lineage {
            path: path.to_owned(),
            state_dir: state_dir.to_owned(),
            plan: display_lineage(&plan.lineage),
            state: display_lineage(lineage),
        });
    }
    if plan.serial == serial && !own_progress {
        return Ok(Start::Fresh);
    }
    if own_progress {
        return Ok(Start::Resume);
    }
    Err(Refused::Stale {
        path: path.to_owned(),
        plan: plan.serial,
        state: serial,
    })
}

fn display_lineage(lineage: &str) -> String {
    if lineage.is_empty() {
        "none: no state file yet".into()
    } else {
        lineage.to_owned()
    }
}

/// Whether `a`, an action of a plan being resumed, is still to do against `state`: a
/// delete or forget whose address is still recorded, an adopt or create whose address is
/// not yet, an update not yet recorded (see [`update_recorded`]); an action that resolves
/// a journal entry while that entry is there.
fn is_remaining(a: &Action, state: &State) -> bool {
    if let Some(r) = &a.resumes {
        return state
            .pending
            .iter()
            .any(|p| p.address == a.address && p.client_token == r.client_token);
    }
    match a.action {
        ActionKind::Delete | ActionKind::Forget => state.resources.contains_key(&a.address),
        // A create again: until the new server is recorded, the address records the one
        // gone from the cloud (or, once its create is journaled, nothing).
        ActionKind::Create if a.recreates.is_some() => state
            .resources
            .get(&a.address)
            .is_none_or(|r| Some(&r.id) == a.recreates.as_ref()),
        ActionKind::Adopt | ActionKind::Create => !state.resources.contains_key(&a.address),
        // Until the new server is recorded, the address records the old one.
        ActionKind::Replace => state
            .resources
            .get(&a.address)
            .is_some_and(|r| r.id == a.id),
        // A move: until the old address is gone from the state.
        ActionKind::Update if a.moved_from.is_some() => a
            .moved_from
            .as_ref()
            .is_some_and(|from| state.resources.contains_key(from)),
        // Recording the desired values again is harmless.
        ActionKind::Update => {
            state.resources.contains_key(&a.address) && !update_recorded(a, state)
        }
    }
}

/// Whether `d`, derived from the state of a plan being resumed, resolves the journal
/// entry that `saved`, an action of that plan, wrote: its token is one of `saved`'s (for
/// this state's lineage), and it re-sends what `saved` sends. A journal entry edited to
/// send something else is a difference, never run.
fn own_entry(plan: &Plan, state: &State, saved: &Action, d: &Action) -> Option<Result<(), String>> {
    let r = d.resumes.as_ref()?;
    if saved.resumes.as_ref() == Some(r) {
        return None;
    }
    let (token, delete_half) = crate::plan::action_tokens(&state.lineage, &plan.hash, saved);
    let mut tokens = vec![token];
    tokens.extend(delete_half);
    tokens.extend(saved.resumes.as_ref().map(|r| r.client_token.clone()));
    if !tokens.contains(&r.client_token) {
        return None;
    }
    // Both with their references to what this plan created since as ids (the journal
    // entry may hold the address it was sent with, or the id); a gateway's create is its
    // own lane, named by its address until the cloud gives it an id, and its journal
    // entry names no gateway.
    let d = &resumed_form(d, state);
    let mut saved = resumed_form(saved, state);
    if saved.address.kind() == crate::address::Kind::VpnGateway
        && saved.vpn_gateway == saved.address.as_str()
        && d.vpn_gateway.is_empty()
    {
        saved.vpn_gateway.clear();
    }
    let saved = &saved;
    // What each sends: the values `intended` gives (the key's source apart).
    let sent = crate::plan::calls::intended;
    let psk = |a: &Action| {
        a.psk
            .as_ref()
            .filter(|p| p.changed)
            .map(|p| p.source.clone())
    };
    let same = match (saved.action, d.action) {
        // The create (half) journaled, as the plan makes it.
        (ActionKind::Create, ActionKind::Create) | (ActionKind::Replace, ActionKind::Replace) => {
            d.vpn_gateway == saved.vpn_gateway
                && d.region == saved.region
                && d.id == saved.id
                && sent(d) == sent(saved)
                && psk(d) == psk(saved)
        }
        // A replace in place (destroy first: a customer gateway's, a connection's, an
        // IPsec server's `--replace`) journals its halves as a plain delete of the
        // recorded resource, then a plain create where it was.
        (ActionKind::Replace, ActionKind::Create) if saved.replaces_in_place() => {
            d.vpn_gateway == saved.vpn_gateway
                && d.region == saved.region
                && sent(d) == sent(saved)
                && psk(d) == psk(saved)
        }
        // The delete journaled, or a replace's old server deposed with its delete.
        (ActionKind::Delete, ActionKind::Delete) => d.id == saved.id && !r.deposed,
        (ActionKind::Replace, ActionKind::Delete) if !r.deposed => {
            saved.replaces_in_place()
                && d.id == saved.id
                && d.vpn_gateway == saved.vpn_gateway
                && d.region == saved.region
        }
        (ActionKind::Replace, ActionKind::Delete) => {
            r.deposed
                && d.id == saved.id
                && saved
                    .replaced
                    .as_ref()
                    .is_some_and(|old| old.vpn_gateway == d.vpn_gateway && old.region == d.region)
        }
        (ActionKind::Update | ActionKind::Adopt, ActionKind::Update) => {
            d.id == saved.id && sent(d) == sent(saved) && psk(d) == psk(saved)
        }
        _ => false,
    };
    Some(if same {
        Ok(())
    } else {
        Err(format!(
            "{} resuming {} with ClientToken {}",
            d.action.as_str(),
            r.action,
            r.client_token
        ))
    })
}

/// Whether this plan's update `a` is already recorded (resuming): no intent for it in
/// `pending`, the recorded attributes written since the plan was made (they are no
/// longer those it saw), and holding every value it sends. A key-only update leaves no
/// trace in the attributes, so it is never taken as done: re-sent with its token, the
/// cloud answers it again.
fn update_recorded(a: &Action, state: &State) -> bool {
    let Some(resource) = state.resources.get(&a.address) else {
        return false;
    };
    let mut sent = a.cloud_changes().filter(|c| c.field != "psk").peekable();
    if sent.peek().is_none()
        || resource.attributes == a.attributes
        || state.pending.iter().any(|p| p.address == a.address)
    {
        return false;
    }
    sent.all(|c| {
        resource.attributes.get(&c.field).is_some_and(|v| {
            if c.field == "local_subnet" {
                crate::plan::drift::same_subnets(v, &c.to)
            } else {
                *v == c.to
            }
        })
    })
}

/// What the plan claims the cloud answered for the recorded, desired servers, as a
/// refresh would carry it: for each, the desired managed values, except that an update
/// says the cloud held its changes' old values, and which PSKs differ. Like a forget,
/// drift is learned from the cloud and cannot be derived from the files; apply confirms
/// the result against the cloud.
fn claimed_drift(
    plan: &Plan,
    state: &State,
    desired: &Desired,
) -> (
    BTreeMap<Address, BTreeMap<String, String>>,
    BTreeSet<Address>,
) {
    let updates: BTreeMap<&str, &Action> = plan
        .actions
        .iter()
        .filter(|a| matches!(a.action, ActionKind::Update | ActionKind::Adopt))
        .map(|a| (a.address.as_str(), a))
        .collect();
    let mut observed = BTreeMap::new();
    for (address, server) in &desired.servers {
        let recorded = state.resources.get(address);
        if recorded.is_none() && !updates.contains_key(address.as_str()) {
            continue;
        }
        let mut current = recorded.map(|r| r.attributes.clone()).unwrap_or_default();
        let kind = address.kind().facts();
        for (field, value) in server.values.iter().cloned() {
            // A reference by address to a recorded resource is its id, as the plan
            // compares it (and as the cloud answers it): left the address, a connection
            // to a recorded customer gateway read as one moved to another, a replace.
            // So is one to an entry the plan adopts: the `id` it adopts (what `vpnform
            // import` writes for a connection and its customer gateway together).
            let value = match value.parse::<Address>() {
                Ok(named) if kind.names_by_address(field, &value) => state
                    .resources
                    .get(&named)
                    .map(|r| r.id.clone())
                    .or_else(|| desired.servers.get(&named)?.id.clone())
                    .unwrap_or(value),
                _ => value,
            };
            // An attribute whose change replaces the resource (a customer gateway's IP
            // address) is compared with the record offline: the plan's replace is
            // derived again from it, as the plan shows it (not as a `--replace`).
            let forces = kind.attribute(field).is_some_and(|a| a.forces_replacement);
            if forces && current.contains_key(field) {
                continue;
            }
            current.insert(field.to_owned(), value);
        }
        if let Some(update) = updates.get(address.as_str()) {
            for c in update.cloud_changes().filter(|c| c.field != "psk") {
                if c.from == crate::plan::drift::NOT_RECORDED {
                    current.remove(&c.field);
                } else {
                    current.insert(c.field.clone(), c.from.clone());
                }
            }
        }
        observed.insert(address.clone(), current);
    }
    let psk_changed = updates
        .values()
        .filter(|a| a.psk.as_ref().is_some_and(|p| p.changed))
        .map(|a| a.address.clone())
        .collect();
    (observed, psk_changed)
}

/// `a`, an action of the plan being resumed, as a plan derived from the state its run
/// left has it:
/// - its references by address to resources the state records (created by this plan
///   since it was made) written as their ids, its lane's gateway included (a route or a
///   connection on a gateway this plan created);
/// - a certificate delete folded into its server's (rule 6) whose server this plan has
///   deleted and recorded gone since: a plain delete, as the state now gives it (its
///   step reads the server, finds it gone and sends nothing, as the folded one would).
fn resumed_form(a: &Action, state: &State) -> Action {
    let kind = a.address.kind().facts();
    let id = |field: &str, value: &str| -> Option<String> {
        if !kind.names_by_address(field, value) {
            return None;
        }
        let named: Address = value.parse().ok()?;
        state.resources.get(&named).map(|r| r.id.clone())
    };
    let mut a = a.clone();
    for (field, value) in a.attributes.iter_mut() {
        if let Some(id) = id(field, value) {
            *value = id;
        }
    }
    for c in &mut a.changes {
        if let Some(id) = id(&c.field, &c.to) {
            c.to = id;
        }
    }
    if let Some(gateway) = a
        .vpn_gateway
        .parse::<Address>()
        .ok()
        .filter(|g| g.kind() == crate::address::Kind::VpnGateway)
        .and_then(|g| state.resources.get(&g))
    {
        a.vpn_gateway = gateway.id.clone();
    }
    let server_gone = a
        .attributes
        .get("ssl_vpn_server")
        .is_some_and(|server| state.resources.values().all(|r| r.id != *server));
    if crate::plan::ssl_vpn::is_folded(&a) && server_gone {
        a.reason = crate::plan::reason::REMOVED.to_owned();
    }
    a
}

/// Derives the offline part of `plan` again from `state` and `desired` and returns the
/// actions to run (all of them, or what is left when resuming), or refuses the plan if
/// they differ from the saved ones in anything apply executes or `show` shows.
///
/// The plan hash proves nothing about authorship: anyone can recompute it. The state and
/// the desired file are the authority. What an online plan learned from the cloud cannot
/// be derived from the files: its forgets (taken here as the refresh said) and the
/// attributes of its adopts; [`cloud_claims`] lists them for apply to read again.
pub(crate) fn derive(
    plan: &Plan,
    path: &Path,
    start: Start,
    state: &State,
    state_dir: &Path,
    desired: &Desired,
) -> Result<Vec<Action>, Refused> {
    // What the refresh found gone: the forgets, and the recorded servers created again
    // (apply reads the cloud again for both before anything runs).
    let gone: BTreeSet<Address> = plan
        .actions
        .iter()
        .filter(|a| a.action == ActionKind::Forget || a.recreates.is_some())
        .map(|a| a.address.clone())
        .collect();
    let (observed, psk_changed) = claimed_drift(plan, state, desired);
    // The routes the plan adopts as the refresh listed their tuples (derived again
    // here under the tuple's own id; apply lists them again before anything runs).
    let listed_tuples: BTreeSet<Address> = plan
        .actions
        .iter()
        .filter(|a| a.action == ActionKind::Adopt)
        .filter(|a| {
            desired
                .servers
                .get(&a.address)
                .is_some_and(|s| s.id.is_none())
        })
        .map(|a| a.address.clone())
        .collect();
    let options = PlanOptions {
        max_deletes: None,
        refresh: Some(Refresh {
            gone,
            observed,
            psk_changed,
            listed_tuples,
        }),
        // The saved targets are hashed: the same ones give the same actions.
        targets: plan.targets.iter().cloned().collect(),
        // A replace where nothing forces one is `--replace`'s: an IPsec server's on its
        // own gateway; another kind's where the plan says so (an attribute may force
        // theirs in place, which the files derive again).
        replace: plan
            .actions
            .iter()
            .filter(|a| {
                a.replaces_in_place()
                    && (a.address.kind() == crate::address::Kind::IpsecServer
                        || a.reason == crate::plan::reason::FORCED)
            })
            .map(|a| a.address.clone())
            .collect(),
        destroy: plan.destroy,
    };
    let mut derived = match &options.refresh {
        // A refresh-only plan's forgets, as the saved plan says the refresh found them.
        Some(refresh) if plan.refresh_only => {
            crate::plan::drift::refresh_only(desired, state, refresh, &options.targets)
        }
        _ => crate::plan::build(desired, state, &options),
    }
    .map_err(|source| Refused::Underivable {
        path: path.to_owned(),
        state_dir: state_dir.to_owned(),
        desired: desired.path.clone(),
        source,
    })?;
    // A read-only plan is the same plan with its prechecks deferred; a destroy plan was
    // made against the desired file emptied (`desired` is, see `ops::saved::verify`).
    // Both flags are hashed, so the saved plan's own hash holds them.
    if plan.destroy {
        derived = crate::plan::destroying(derived);
    }
    if plan.read_only {
        derived.read_only = true;
        derived.seal();
    }
    let mut differences = Vec::new();
    let mut saved: BTreeMap<&str, &Action> = BTreeMap::new();
    for action in &plan.actions {
        if saved.insert(&action.address, action).is_some() {
            differences.push(Difference {
                address: action.address.to_string(),
                field: "actions",
                saved: "two or more".into(),
                derived: "at most one".into(),
            });
        }
    }
    let derived_by: BTreeMap<&str, &Action> = derived
        .actions
        .iter()
        .map(|a| (a.address.as_str(), a))
        .collect();
    let mut run = Vec::new();
    // The addresses whose derived action is accounted for.
    let mut planned: BTreeSet<&str> = BTreeSet::new();
    for action in &plan.actions {
        let derived_here = derived_by.get(action.address.as_str()).copied();
        if start == Start::Resume {
            // This plan's own operation, journaled by its interrupted run: resolved as
            // the journal holds it, once it is shown to be what the plan sends.
            if let Some(d) = derived_here
                && let Some(own) = own_entry(plan, state, action, d)
            {
                planned.insert(&action.address);
                match own {
                    Ok(()) => run.push(d.clone()),
                    Err(derived_text) => differences.push(Difference {
                        address: action.address.to_string(),
                        field: "pending",
                        saved: action.action.as_str().into(),
                        derived: derived_text,
                    }),
                }
                continue;
            }
            if !is_remaining(action, state) {
                continue;
            }
        }
        planned.insert(&action.address);
        match derived_here {
            // Resuming: a reference by address to a resource this plan has created since
            // is its id in the plan derived now.
            Some(d) if start == Start::Resume => {
                compare(&resumed_form(action, state), d, &mut differences);
                run.push(action.clone());
            }
            Some(d) => {
                compare(action, d, &mut differences);
                run.push(action.clone());
            }
            // Resuming: an update this plan already recorded leaves nothing to derive.
            None if start == Start::Resume && action.action == ActionKind::Update => {}
            None => differences.push(Difference {
                address: action.address.to_string(),
                field: "action",
                saved: action.action.as_str().into(),
                derived: "none".into(),
            }),
        }
    }

    // Resuming: an update this plan already recorded is derived again from the drift the
    // plan claims (the cloud's old values), but it is done: nothing runs for it.
    let recorded_updates: BTreeSet<&str> = match start {
        Start::Fresh => BTreeSet::new(),
        Start::Resume => plan
            .actions
            .iter()
            .filter(|a| a.action == ActionKind::Update && update_recorded(a, state))
            .map(|a| a.address.as_str())
            .collect(),
    };
    // Resuming: a replace in place (destroy first) whose delete half is done leaves its
    // address unrecorded; the create is derived again, and made by the next plan (as
    // after a plain apply that resolves the delete: `crate::plan::resume`).
    let replace_to_finish = |d: &Action| {
        start == Start::Resume
            && d.action == ActionKind::Create
            && plan.actions.iter().any(|a| {
                a.address == d.address
                    && a.replaces_in_place()
                    && a.vpn_gateway == d.vpn_gateway
                    && a.region == d.region
            })
    };
    for d in &derived.actions {
        if !planned.contains(d.address.as_str())
            && !recorded_updates.contains(d.address.as_str())
            && !replace_to_finish(d)
        {
            differences.push(Difference {
                address: d.address.to_string(),
                field: "action",
                saved: "none".into(),
                derived: d.action.as_str().into(),
            });
        }
    }
    // Equal hashed fields and the lineage and serial `check` compared give the same hash,
    // hence the same tokens; should they not, the tokens are not the files' either.
    if differences.is_empty() && start == Start::Fresh && derived.hash != plan.hash {
        differences.push(Difference {
            address: "(the whole plan)".into(),
            field: "plan_hash",
            saved: plan.hash.clone(),
            derived: derived.hash.clone(),
        });
    }
    if differences.is_empty() {
        return Ok(run);
    }
    differences.sort_by(|a, b| (&a.address, a.field).cmp(&(&b.address, b.field)));
    differences.dedup();
    Err(Refused::Differs {
        path: path.to_owned(),
        state_dir: state_dir.to_owned(),
        desired: desired.path.clone(),
        differences,
    })
}

/// Every field of `saved` that apply executes or `show` shows, against `derived`. Not
/// compared: the precheck (an answer of the cloud at plan time, executed by nobody), an
/// adopt's attributes (read from the cloud: apply reads them again), and the ClientToken:
/// it follows from the hashed fields compared here and the lineage and serial (see
/// [`derive`]).
fn compare(saved: &Action, derived: &Action, out: &mut Vec<Difference>) {
    let list = |l: &[Address]| {
        let names: Vec<&str> = l.iter().map(Address::as_str).collect();
        format!("[{}]", names.join(", "))
    };
    let changes = |a: &Action| {
        let parts: Vec<String> = a
            .changes
            .iter()
            .map(|c| format!("{}: {} -> {}", c.field, c.from, c.to))
            .collect();
        format!("[{}]", parts.join("; "))
    };
    let attributes = |a: &Action| {
        let parts: Vec<String> = a
            .attributes
            .iter()
            .map(|(k, v)| format!("{k} = {v:?}"))
            .collect();
        format!("{{{}}}", parts.join(", "))
    };
    // The delete half's place; its token and precheck follow from the hash, as the
    // create half's do.
    let replaced = |a: &Action| {
        a.replaced.as_ref().map_or("none".into(), |old| {
            format!("{} in {}", old.vpn_gateway, old.region)
        })
    };
    // The journal entry it resolves: the operation and the token it re-sends.
    let resumes = |a: &Action| {
        a.resumes.as_ref().map_or("none".into(), |r| {
            format!(
                "{}{} with ClientToken {} of plan {}",
                r.action,
                if r.deposed { " (deposed)" } else { "" },
                r.client_token,
                r.plan_hash
            )
        })
    };
    let mut fields: Vec<(&'static str, String, String)> = vec![
        (
            "action",
            saved.action.as_str().into(),
            derived.action.as_str().into(),
        ),
        (
            "kind",
            saved.resource_kind.clone(),
            derived.resource_kind.clone(),
        ),
        ("id", saved.id.clone(), derived.id.clone()),
        ("region", saved.region.clone(), derived.region.clone()),
        (
            "vpn_gateway",
            saved.vpn_gateway.clone(),
            derived.vpn_gateway.clone(),
        ),
        (
            "depends_on",
            list(&saved.depends_on),
            list(&derived.depends_on),
        ),
        (
            "protect",
            saved.protect.to_string(),
            derived.protect.to_string(),
        ),
        ("reason", saved.reason.clone(), derived.reason.clone()),
        ("replaced", replaced(saved), replaced(derived)),
        ("changes", changes(saved), changes(derived)),
        ("resumes", resumes(saved), resumes(derived)),
    ];
    if derived.action != ActionKind::Adopt {
        fields.push(("attributes", attributes(saved), attributes(derived)));
    }
    for (field, s, d) in fields {
        if s != d {
            out.push(Difference {
                address: saved.address.to_string(),
                field,
                saved: s,
                derived: d,
            });
            // The action word explains every other field.
            if field == "action" {
                return;
            }
        }
    }
}

mod cloud;
#[cfg(test)]
mod tests;

pub(crate) use cloud::{check_cloud, cloud_regions};
