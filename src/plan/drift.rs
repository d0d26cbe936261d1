//! What changed, attribute by attribute: the managed attributes of a desired entry (those
//! it writes) compared with the attributes recorded for its server (offline) or listed by
//! the cloud (online), which plans an update in place; and the attributes the cloud
//! answers compared with those the state records, which are the changes made outside
//! vpnform ([`changed_outside`]) that apply records. In the text form ListIpsecServers
//! answers and the state records. Pure, so that the offline plan, the online plan and
//! `--refresh-only` ([`refresh_only`]) share it.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Action, ActionKind, Drift, FieldChange, PendingNote, Plan, Precheck};
use super::{Graph, PlanError, Refresh, reason, sorted};
use crate::Address;
use crate::config::Desired;
use crate::config::attributes::{Ipv4Net, parse_cidr};
use crate::state::State;

/// Shown as the old value of an attribute the state does not hold (a state written
/// before attributes were recorded).
pub(crate) const NOT_RECORDED: &str = "(not recorded)";

/// The managed attributes of `desired` whose value differs from `recorded`, in a fixed
/// order (the order of the desired file's fields). `local_subnet` is compared as a set:
/// the cloud does not promise to answer the blocks in the order they were sent.
pub(crate) fn managed_changes(
    desired: &[(&'static str, String)],
    recorded: &BTreeMap<String, String>,
) -> Vec<FieldChange> {
    desired
        .iter()
        .cloned()
        .filter_map(|(field, to)| {
            let from = recorded.get(field);
            let same = match (field, from) {
                ("local_subnet", Some(have)) => same_subnets(have, &to),
                (_, Some(have)) => *have == to,
                (_, None) => false,
            };
            (!same).then(|| FieldChange {
                field: field.to_owned(),
                from: from.cloned().unwrap_or_else(|| NOT_RECORDED.to_owned()),
                to,
            })
        })
        .collect()
}

/// Whether two comma-separated lists hold the same blocks, whatever their order. A
/// recorded text that is not a list of CIDRs is compared as text.
pub(crate) fn same_subnets(recorded: &str, desired: &str) -> bool {
    let set = |text: &str| -> Option<std::collections::BTreeSet<Ipv4Net>> {
        text.split(',').map(|t| parse_cidr(t.trim()).ok()).collect()
    };
    match (set(recorded), set(desired)) {
        (Some(a), Some(b)) => a == b,
        _ => recorded == desired,
    }
}

/// The recorded servers whose attributes the cloud answers (`observed`, by address)
/// otherwise than `state` records them, by address. `local_subnet` is compared as a set.
/// An attribute the answer leaves out says nothing: the recorded value stays.
/// An attribute that `actions` change in the cloud (an update of a managed attribute
/// changed in the console) is that action's, not listed again here; a server that an
/// action deletes or forgets has nothing to record.
pub(crate) fn changed_outside(
    state: &State,
    observed: &BTreeMap<Address, BTreeMap<String, String>>,
    actions: &[Action],
) -> Vec<Drift> {
    let by_address: BTreeMap<&str, &Action> =
        actions.iter().map(|a| (a.address.as_str(), a)).collect();
    let mut list = Vec::new();
    for (address, recorded) in &state.resources {
        let Some(now) = observed.get(address) else {
            continue;
        };
        let action = by_address.get(address.as_str()).copied();
        if action.is_some_and(|a| matches!(a.action, ActionKind::Delete | ActionKind::Forget)) {
            continue;
        }
        let updated: BTreeSet<&str> = action
            .map(|a| a.cloud_changes().map(|c| c.field.as_str()).collect())
            .unwrap_or_default();
        let mut changes = Vec::new();
        let mut unrecorded = false;
        for (key, is) in now {
            match recorded.attributes.get(key) {
                None => unrecorded = true,
                Some(was) if key == "local_subnet" && same_subnets(was, is) => {}
                Some(was) if was == is || updated.contains(key.as_str()) => {}
                Some(was) => changes.push(FieldChange {
                    field: key.clone(),
                    from: was.clone(),
                    to: is.clone(),
                }),
            }
        }
        if changes.is_empty() && !unrecorded {
            continue;
        }
        list.push(Drift {
            address: address.clone(),
            id: recorded.id.clone(),
            changes,
            attributes: with_answer(&recorded.attributes, now),
        });
    }
    list
}

/// `recorded` with every value of `answer`: what the state records after a refresh
/// (an attribute the answer leaves out keeps its recorded value).
pub(crate) fn with_answer(
    recorded: &BTreeMap<String, String>,
    answer: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut merged = recorded.clone();
    merged.extend(answer.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged
}

/// The `--refresh-only` plan: what the online refresh found, and nothing else. Recorded
/// servers gone from the cloud are forgotten, and the attributes changed outside vpnform
/// (managed ones included: nothing will undo them) are recorded; no create, update or
/// delete is planned, so nothing changes in the cloud. `targets` keep only those
/// addresses.
pub(crate) fn refresh_only(
    desired: &Desired,
    state: &State,
    refresh: &Refresh,
    targets: &BTreeSet<Address>,
) -> Result<Plan, PlanError> {
    // An address with a journal entry is left to a plan that resolves it: forgetting it
    // would drop the entry (and a deposed server) unresolved.
    let journaled = |address: &Address| state.pending.iter().any(|p| p.address == *address);
    let mut actions: Vec<Action> = state
        .resources
        .iter()
        .filter(|(address, _)| refresh.gone.contains(*address) && !journaled(address))
        .map(|(address, recorded)| Action {
            address: address.clone(),
            resource_kind: address.kind().as_str().into(),
            action: ActionKind::Forget,
            id: recorded.id.clone(),
            region: recorded.region.clone(),
            vpn_gateway: recorded.vpn_gateway.clone(),
            depends_on: sorted(&recorded.depends_on),
            client_token: String::new(),
            precheck: Precheck::Skipped,
            reason: if desired.servers.contains_key(address) {
                reason::GONE_STILL_DESIRED
            } else {
                reason::GONE
            }
            .into(),
            protect: recorded.protect,
            attributes: recorded.attributes.clone(),
            changes: Vec::new(),
            psk: None,
            replaced: None,
            resumes: None,
            recreates: None,
            moved_from: None,
        })
        .collect();
    let mut drift = changed_outside(state, &refresh.observed, &actions);
    if !targets.is_empty() {
        let keep = super::targeted(desired, state, &actions, &[], targets)?;
        actions.retain(|a| keep.contains(&a.address));
        drift.retain(|d| targets.contains(&d.address));
    }
    let mut plan = Plan {
        lineage: state.lineage.clone(),
        serial: state.serial,
        desired_sha256: desired.sha256.clone(),
        desired_path: desired.path.to_string_lossy().into_owned(),
        actions,
        unmanaged: Default::default(),
        unmanaged_kinds: Default::default(),
        targets: targets.iter().cloned().collect(),
        hash: String::new(),
        pending: state
            .pending
            .iter()
            .map(|p| PendingNote {
                address: p.address.clone(),
                action: p.action.clone(),
                id: p.id.clone(),
                client_token: p.client_token.clone(),
                plan_hash: p.plan_hash.clone(),
            })
            .collect(),
        drift,
        refresh_only: true,
        read_only: false,
        destroy: false,
        warnings: Vec::new(),
    };
    Graph::new(&plan)?;
    plan.seal();
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::attributes::{Attributes, managed_values};
    use crate::config::attributes::{IpsecConfig, IpsecPfs, Lifetime, ServerName};

    fn recorded(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn change(field: &str, from: &str, to: &str) -> FieldChange {
        FieldChange {
            field: field.into(),
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn only_written_fields_that_differ_are_changes() {
        let desired = Attributes {
            name: Some(ServerName::parse("office").unwrap()),
            client_ip_pool: Some(parse_cidr("10.9.0.0/16").unwrap()),
            ipsec_config: Some(IpsecConfig {
                ipsec_pfs: Some(IpsecPfs::Disabled),
                ipsec_lifetime: Lifetime::new(3600),
                ..IpsecConfig::default()
            }),
            ..Attributes::default()
        };
        let have = recorded(&[
            ("name", "office"),
            ("client_ip_pool", "10.8.0.0/16"),
            ("internet_ip", "47.98.1.1"),
            ("ipsec_config.ipsec_lifetime", "3600"),
        ]);
        assert_eq!(
            managed_changes(&managed_values(&desired), &have),
            vec![
                change("client_ip_pool", "10.8.0.0/16", "10.9.0.0/16"),
                change("ipsec_config.ipsec_pfs", NOT_RECORDED, "disabled"),
            ]
        );
        // Nothing written, nothing managed: observed attributes never change.
        assert_eq!(
            managed_changes(&managed_values(&Attributes::default()), &have),
            vec![]
        );
    }

    #[test]
    fn local_subnets_are_compared_as_a_set() {
        let nets = |t: &[&str]| Some(t.iter().map(|n| parse_cidr(n).unwrap()).collect());
        let desired = Attributes {
            local_subnet: nets(&["10.0.1.0/24", "10.0.0.0/24"]),
            ..Attributes::default()
        };
        let same = recorded(&[("local_subnet", "10.0.0.0/24,10.0.1.0/24")]);
        assert_eq!(managed_changes(&managed_values(&desired), &same), vec![]);
        let other = recorded(&[("local_subnet", "10.0.0.0/24")]);
        assert_eq!(
            managed_changes(&managed_values(&desired), &other),
            vec![change(
                "local_subnet",
                "10.0.0.0/24",
                "10.0.1.0/24,10.0.0.0/24"
            )]
        );
    }

    fn state_with(attributes: &[(&str, &str)]) -> State {
        let mut state = State::with_new_lineage();
        state.resources.insert(
            "ipsec_server.a".into(),
            crate::state::Resource {
                id: "iss-a".into(),
                region: "cn-hangzhou".into(),
                vpn_gateway: "vpn-a".into(),
                depends_on: vec![],
                protect: false,
                psk: None,
                attributes: recorded(attributes),
                deposed: None,
            },
        );
        state
    }

    fn observed(pairs: &[(&str, &str)]) -> BTreeMap<Address, BTreeMap<String, String>> {
        BTreeMap::from([(Address::from("ipsec_server.a"), recorded(pairs))])
    }

    #[test]
    fn changed_outside_shows_changed_values_and_records_unrecorded_ones_silently() {
        let state = state_with(&[
            ("name", "a"),
            ("local_subnet", "10.0.0.0/24,10.0.1.0/24"),
            ("ike_config.remote_id", "office"),
        ]);
        // Subnets in another order, a value never recorded: nothing to show.
        let quiet = observed(&[
            ("name", "a"),
            ("local_subnet", "10.0.1.0/24,10.0.0.0/24"),
            ("ike_config.remote_id", "office"),
            ("internet_ip", "47.98.1.1"),
        ]);
        let drift = changed_outside(&state, &quiet, &[]);
        assert_eq!(drift.len(), 1);
        assert_eq!(drift[0].changes, vec![]);
        assert_eq!(drift[0].attributes, quiet["ipsec_server.a"]);
        // Subnets in another order alone: nothing at all.
        let same = observed(&[
            ("name", "a"),
            ("local_subnet", "10.0.1.0/24,10.0.0.0/24"),
            ("ike_config.remote_id", "office"),
        ]);
        assert_eq!(changed_outside(&state, &same, &[]), vec![]);
        // A renamed server, in an answer that leaves the remote id out: that says
        // nothing, the recorded value stays.
        let renamed = observed(&[("name", "b"), ("local_subnet", "10.0.0.0/24,10.0.1.0/24")]);
        let drift = changed_outside(&state, &renamed, &[]);
        assert_eq!(drift[0].changes, vec![change("name", "a", "b")]);
        assert_eq!(drift[0].attributes["ike_config.remote_id"], "office");
    }

    #[test]
    fn a_change_an_action_makes_is_not_listed_again_nor_a_deleted_servers() {
        let state = state_with(&[("name", "a"), ("client_ip_pool", "10.8.0.0/16")]);
        let now = observed(&[("name", "b"), ("client_ip_pool", "10.9.0.0/16")]);
        let desired = crate::config::Desired {
            path: "vpnform.yaml".into(),
            sha256: String::new(),
            servers: BTreeMap::from([(
                Address::from("ipsec_server.a"),
                crate::config::DesiredServer {
                    address: "ipsec_server.a".into(),
                    id: Some("iss-a".into()),
                    vpn_gateway: "vpn-a".into(),
                    region: "cn-hangzhou".into(),
                    depends_on: vec![],
                    protect: false,
                    attributes: Attributes {
                        name: Some(ServerName::parse("a").unwrap()),
                        ..Attributes::default()
                    },
                    values: vec![("name", "a".to_owned())],
                    psk: None,
                },
            )]),
            default_region: None,
            moved: Vec::new(),
        };
        let refresh = Refresh {
            observed: now.clone(),
            ..Refresh::default()
        };
        let plan = super::super::build(
            &desired,
            &state,
            &super::super::PlanOptions {
                refresh: Some(refresh.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        // The name goes back by an update: only the pool is listed.
        assert_eq!(
            changed_outside(&state, &now, &plan.actions)[0].changes,
            vec![change("client_ip_pool", "10.8.0.0/16", "10.9.0.0/16")]
        );
        // Refresh-only: nothing undoes either, both are listed; no action at all.
        let only = refresh_only(&desired, &state, &refresh, &BTreeSet::new()).unwrap();
        assert!(only.actions.is_empty() && only.refresh_only);
        assert_eq!(
            only.drift[0].changes,
            vec![
                change("client_ip_pool", "10.8.0.0/16", "10.9.0.0/16"),
                change("name", "a", "b"),
            ]
        );
        // The flag is hashed: the same plan without it hashes otherwise.
        let mut unflagged = only.clone();
        unflagged.refresh_only = false;
        assert_ne!(crate::plan::plan_hash(&unflagged), only.hash);
    }
}
