use std::collections::BTreeMap;

use super::*;
use crate::config::DesiredServer;
use crate::state::Resource;

fn resource(id: &str, protect: bool) -> Resource {
    Resource {
        id: id.into(),
        region: "cn-hangzhou".into(),
        vpn_gateway: format!("vpn-{}", &id[4..]),
        depends_on: Vec::new(),
        protect,
        psk: None,
        attributes: BTreeMap::new(),
        deposed: None,
    }
}

/// `keep` recorded unprotected, desired protected (an update); `gone` recorded, not
/// desired (a delete).
fn files() -> (State, Desired) {
    let mut state = State::with_new_lineage();
    state.serial = 7;
    state
        .resources
        .insert("ipsec_server.keep".into(), resource("iss-keep", false));
    state
        .resources
        .insert("ipsec_server.gone".into(), resource("iss-gone", false));
    let keep = DesiredServer {
        address: "ipsec_server.keep".into(),
        id: Some("iss-keep".into()),
        vpn_gateway: "vpn-keep".into(),
        region: "cn-hangzhou".into(),
        depends_on: Vec::new(),
        protect: true,
        attributes: Default::default(),
        values: Vec::new(),
        psk: None,
    };
    let desired = Desired {
        path: "vpnform.yaml".into(),
        sha256: "0".repeat(64),
        servers: BTreeMap::from([("ipsec_server.keep".into(), keep)]),
        default_region: None,
        moved: Vec::new(),
    };
    (state, desired)
}

fn derive_for(plan: &Plan, start: Start, state: &State, desired: &Desired) -> Vec<String> {
    derive(
        plan,
        Path::new("p.plan"),
        start,
        state,
        Path::new("state"),
        desired,
    )
    .unwrap()
    .iter()
    .map(|a| format!("{} {}", a.action.as_str(), a.address))
    .collect()
}

#[test]
fn the_plan_made_from_the_files_is_derived_again() {
    let (state, desired) = files();
    let plan = crate::plan::build(&desired, &state, &PlanOptions::default()).unwrap();
    assert_eq!(
        derive_for(&plan, Start::Fresh, &state, &desired),
        vec!["delete ipsec_server.gone", "update ipsec_server.keep"]
    );
}

#[test]
fn resuming_skips_an_update_already_recorded_and_checks_the_rest() {
    let (mut state, desired) = files();
    let plan = crate::plan::build(&desired, &state, &PlanOptions::default()).unwrap();
    // The update was recorded before the interruption; the delete was not.
    state
        .resources
        .get_mut("ipsec_server.keep")
        .unwrap()
        .protect = true;
    state.serial += 2;
    assert_eq!(
        derive_for(&plan, Start::Resume, &state, &desired),
        vec!["delete ipsec_server.gone"]
    );
    // A resumed plan with an edited action is refused like a fresh one.
    let mut forged = plan.clone();
    forged.actions[0].vpn_gateway = "vpn-keep".into();
    let err = derive(
        &forged,
        Path::new("p.plan"),
        Start::Resume,
        &state,
        Path::new("state"),
        &desired,
    )
    .unwrap_err();
    assert!(
        matches!(&err, Refused::Differs { differences, .. }
        if differences == &[Difference {
            address: "ipsec_server.gone".into(),
            field: "vpn_gateway",
            saved: "vpn-keep".into(),
            derived: "vpn-gone".into(),
        }]),
        "{err}"
    );
}

/// A saved replace whose old server's place was edited, hash and tokens recomputed
/// (the hash is public), is not what the files give.
#[test]
fn a_replace_whose_old_place_was_edited_is_refused_though_its_hash_verifies() {
    let (mut state, mut desired) = files();
    state.resources.remove("ipsec_server.gone");
    let keep = desired.servers.get_mut("ipsec_server.keep").unwrap();
    keep.id = None;
    keep.protect = false;
    keep.vpn_gateway = "vpn-new".into();
    let mut plan = crate::plan::build(&desired, &state, &PlanOptions::default()).unwrap();
    assert_eq!(plan.actions[0].action, ActionKind::Replace);
    plan.actions[0].replaced.as_mut().unwrap().vpn_gateway = "vpn-other".into();
    plan.seal();
    let err = derive(
        &plan,
        Path::new("p.plan"),
        Start::Fresh,
        &state,
        Path::new("state"),
        &desired,
    )
    .unwrap_err();
    assert!(
        matches!(&err, Refused::Differs { differences, .. }
        if differences == &[Difference {
            address: "ipsec_server.keep".into(),
            field: "replaced",
            saved: "vpn-other in cn-hangzhou".into(),
            derived: "vpn-keep in cn-hangzhou".into(),
        }]),
        "{err}"
    );
}

#[test]
fn a_plan_with_two_actions_for_one_address_is_refused() {
    let (state, desired) = files();
    let mut plan = crate::plan::build(&desired, &state, &PlanOptions::default()).unwrap();
    plan.actions.push(plan.actions[0].clone());
    let err = derive(
        &plan,
        Path::new("p.plan"),
        Start::Fresh,
        &state,
        Path::new("state"),
        &desired,
    )
    .unwrap_err();
    assert!(err.to_string().contains(
        "  ipsec_server.gone: actions: the saved plan has two or more, the files give at most one\n"
    ), "{err}");
}
