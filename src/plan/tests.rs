//! Unit tests of `build`, the graph and the hash, on models built by hand.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::config::DesiredServer;
use crate::state::{PendingOp, Resource};

fn resource(id: &str, depends_on: &[&str]) -> Resource {
    Resource {
        id: id.into(),
        region: "cn-hangzhou".into(),
        vpn_gateway: format!("vpn-{}", &id[4..]),
        depends_on: depends_on.iter().map(|d| Address::from(*d)).collect(),
        protect: false,
        psk: None,
        attributes: BTreeMap::new(),
        deposed: None,
    }
}

fn state(resources: &[(&str, Resource)]) -> State {
    State {
        version: 1,
        lineage: "4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a".into(),
        serial: 12,
        applying: None,
        resources: resources
            .iter()
            .map(|(a, r)| (Address::from(*a), r.clone()))
            .collect(),
        pending: Vec::new(),
    }
}

fn desired(servers: &[(&str, &str)]) -> Desired {
    Desired {
        path: PathBuf::from("vpnform.yaml"),
        sha256: "0".repeat(64),
        servers: servers
            .iter()
            .map(|(address, id)| {
                (
                    Address::from(*address),
                    DesiredServer {
                        address: Address::from(*address),
                        id: Some(id.to_string()),
                        vpn_gateway: format!("vpn-{}", &id[4..]),
                        region: "cn-hangzhou".into(),
                        depends_on: Vec::new(),
                        protect: false,
                        attributes: Default::default(),
                        values: Vec::new(),
                        psk: None,
                    },
                )
            })
            .collect(),
        default_region: None,
        moved: Vec::new(),
    }
}

fn kinds(plan: &Plan) -> Vec<(&str, ActionKind)> {
    plan.actions
        .iter()
        .map(|a| (a.address.as_str(), a.action))
        .collect()
}

#[test]
fn recorded_not_desired_is_a_delete_desired_not_recorded_an_adopt_same_is_nothing() {
    let st = state(&[
        ("ipsec_server.keep", resource("iss-keep", &[])),
        ("ipsec_server.lab", resource("iss-lab", &[])),
    ]);
    let want = desired(&[
        ("ipsec_server.keep", "iss-keep"),
        ("ipsec_server.new", "iss-new"),
    ]);
    let plan = build(&want, &st, &PlanOptions::default()).unwrap();
    assert_eq!(
        kinds(&plan),
        [
            ("ipsec_server.lab", ActionKind::Delete),
            ("ipsec_server.new", ActionKind::Adopt)
        ]
    );
    assert_eq!(plan.actions[0].reason, "removed from desired state");
    assert_eq!(plan.actions[0].precheck, Precheck::Skipped);
    assert!(plan.actions.iter().all(|a| a.client_token.len() == 40));
}

#[test]
fn same_everything_is_no_change() {
    let st = state(&[("ipsec_server.keep", resource("iss-keep", &[]))]);
    let plan = build(
        &desired(&[("ipsec_server.keep", "iss-keep")]),
        &st,
        &PlanOptions::default(),
    )
    .unwrap();
    assert!(!plan.has_changes());
    assert_eq!(plan.apply_to(&st), st, "no changes: the serial stays");
}

#[test]
fn gone_at_refresh_is_a_forget_even_when_protected() {
    let mut protected = resource("iss-gone", &[]);
    protected.protect = true;
    let st = state(&[("ipsec_server.gone", protected)]);
    let options = PlanOptions {
        refresh: Some(Refresh {
            gone: [Address::from("ipsec_server.gone")].into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let plan = build(&desired(&[]), &st, &options).unwrap();
    assert_eq!(kinds(&plan), [("ipsec_server.gone", ActionKind::Forget)]);
    assert_eq!(plan.actions[0].reason, reason::GONE);
}

#[test]
fn deleting_a_protected_entry_names_state_unprotect() {
    let mut office = resource("iss-office", &[]);
    office.protect = true;
    let st = state(&[("ipsec_server.office", office)]);
    let err = build(&desired(&[]), &st, &PlanOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ipsec_server.office (iss-office) is protected (`protect: true` in the state) and is \
         not in the desired state, so the plan would delete it; put it back in the desired \
         file, or run `vpnform state unprotect ipsec_server.office` first if it really must go"
    );
}

#[test]
fn max_deletes_fails_a_plan_that_deletes_more() {
    let st = state(&[
        ("ipsec_server.a", resource("iss-a", &[])),
        ("ipsec_server.b", resource("iss-b", &[])),
    ]);
    let options = |n| PlanOptions {
        max_deletes: Some(n),
        ..Default::default()
    };
    assert_eq!(
        build(&desired(&[]), &st, &options(1)).unwrap_err(),
        PlanError::TooManyDeletes { deletes: 2, max: 1 }
    );
    assert!(build(&desired(&[]), &st, &options(2)).is_ok());
}

/// A desired `id` imports only while the address is not recorded: once it is, a
/// different one is a warning with the two ways out, and the recorded server is planned.
#[test]
fn a_different_id_under_one_address_is_a_warning_naming_both_and_state_rm() {
    let st = state(&[("ipsec_server.office", resource("iss-old", &[]))]);
    let mut want = desired(&[("ipsec_server.office", "iss-new")]);
    // Same gateway, so the id is the only difference.
    want.servers
        .get_mut("ipsec_server.office")
        .unwrap()
        .vpn_gateway = "vpn-old".into();
    let plan = build(&want, &st, &PlanOptions::default()).unwrap();
    assert!(plan.actions.is_empty(), "{:?}", plan.actions);
    assert_eq!(
        plan.warnings,
        [
            "ipsec_server.office: the desired `id: iss-new` is not the recorded server iss-old, \
          which is the one vpnform manages (a desired `id` imports only while the address is \
          not recorded). Remove the `id` line to keep managing iss-old; or, to manage iss-new \
          under ipsec_server.office instead, run `vpnform state rm ipsec_server.office` and \
          plan again (iss-old is then left alone in the cloud)"
        ]
    );
}

/// An entry that names its server by `id` and moves to another region is replaced, as
/// one vpnform created is.
#[test]
fn an_imported_entry_moved_to_another_region_is_replaced() {
    let st = state(&[("ipsec_server.office", resource("iss-office", &[]))]);
    let mut want = desired(&[("ipsec_server.office", "iss-office")]);
    want.servers.get_mut("ipsec_server.office").unwrap().region = "cn-shanghai".into();
    let plan = build(&want, &st, &PlanOptions::default()).unwrap();
    assert_eq!(plan.actions.len(), 1);
    let action = &plan.actions[0];
    assert_eq!(action.action, ActionKind::Replace);
    assert_eq!(action.region, "cn-shanghai");
    assert_eq!(action.replaced.as_ref().unwrap().region, "cn-hangzhou");
    assert!(plan.warnings.is_empty());
}

/// Recorded, still desired, gone from the cloud: created again where it was, not
/// forgotten (a desired `id` does not stop it: it imported the server that is gone).
#[test]
fn a_recorded_server_gone_from_the_cloud_and_still_desired_is_created_again() {
    let st = state(&[("ipsec_server.office", resource("iss-office", &[]))]);
    let want = desired(&[("ipsec_server.office", "iss-office")]);
    let options = PlanOptions {
        refresh: Some(Refresh {
            gone: [Address::from("ipsec_server.office")].into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let plan = build(&want, &st, &options).unwrap();
    assert_eq!(plan.actions.len(), 1);
    let action = &plan.actions[0];
    assert_eq!(action.action, ActionKind::Create);
    assert_eq!(action.recreates.as_deref(), Some("iss-office"));
    assert_eq!(action.vpn_gateway, "vpn-office");
    // Hashed: the same plan without it is another plan.
    let mut other = plan.clone();
    other.actions[0].recreates = None;
    assert_ne!(plan_hash(&plan), plan_hash(&other));
}

#[test]
fn regression_renamed_address_would_delete_the_server_it_keeps() {
    let st = state(&[("ipsec_server.old_name", resource("iss-office", &[]))]);
    let want = desired(&[("ipsec_server.new_name", "iss-office")]);
    let err = build(&want, &st, &PlanOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains(
            "ipsec_server.new_name: the desired id iss-office is recorded in the state as \
             ipsec_server.old_name"
        ),
        "{err}"
    );
}

#[test]
fn deletes_run_dependents_first_ties_by_address() {
    // c depends on b depends on a: delete c, then b, then a. z is independent.
    let st = state(&[
        ("ipsec_server.a", resource("iss-a", &[])),
        ("ipsec_server.b", resource("iss-b", &["ipsec_server.a"])),
        ("ipsec_server.c", resource("iss-c", &["ipsec_server.b"])),
        ("ipsec_server.z", resource("iss-z", &["ipsec_server.kept"])),
        ("ipsec_server.kept", resource("iss-kept", &[])),
    ]);
    let plan = build(
        &desired(&[("ipsec_server.kept", "iss-kept")]),
        &st,
        &PlanOptions::default(),
    )
    .unwrap();
    let graph = plan.graph().unwrap();
    assert_eq!(
        graph.order(),
        [
            "ipsec_server.c",
            "ipsec_server.b",
            "ipsec_server.a",
            "ipsec_server.z"
        ]
    );
    assert_eq!(graph.waits_for("ipsec_server.a"), ["ipsec_server.b"]);
    assert_eq!(graph.dependents("ipsec_server.c"), ["ipsec_server.b"]);
    assert_eq!(
        graph
            .blocked_by("ipsec_server.c")
            .into_iter()
            .collect::<Vec<_>>(),
        ["ipsec_server.a", "ipsec_server.b"]
    );
    let done = [Address::from("ipsec_server.c")].into();
    assert_eq!(graph.ready(&done), ["ipsec_server.b", "ipsec_server.z"]);
}

#[test]
fn written_servers_run_after_what_they_depend_on_as_terraform_creates() {
    // Adopted (written) b depends on adopted a: a first, then b, the reverse of a
    // delete's order; the plan says what b waits for.
    let mut want = desired(&[("ipsec_server.b", "iss-b"), ("ipsec_server.a", "iss-a")]);
    want.servers
        .get_mut("ipsec_server.b")
        .unwrap()
        .depends_on
        .push(Address::from("ipsec_server.a"));
    let plan = build(&want, &state(&[]), &PlanOptions::default()).unwrap();
    let graph = plan.graph().unwrap();
    assert_eq!(graph.order(), ["ipsec_server.a", "ipsec_server.b"]);
    assert_eq!(graph.waits_for("ipsec_server.b"), ["ipsec_server.a"]);
    assert_eq!(graph.dependents("ipsec_server.a"), ["ipsec_server.b"]);
}

#[test]
fn a_cycle_among_deletes_names_every_member() {
    let st = state(&[
        ("ipsec_server.a", resource("iss-a", &["ipsec_server.c"])),
        ("ipsec_server.b", resource("iss-b", &["ipsec_server.a"])),
        ("ipsec_server.c", resource("iss-c", &["ipsec_server.b"])),
        ("ipsec_server.d", resource("iss-d", &[])),
    ]);
    let err = build(&desired(&[]), &st, &PlanOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "dependency cycle among the servers to delete: ipsec_server.a, ipsec_server.b, \
         ipsec_server.c (each waits for another); fix `depends_on` in the state (or the \
         desired file they were recorded from)"
    );
}

#[test]
fn a_journal_entry_is_an_action_of_the_plan_resuming_an_interrupted_run() {
    let mut st = state(&[
        ("ipsec_server.lab", resource("iss-lab", &[])),
        ("ipsec_server.web", resource("iss-web", &[])),
    ]);
    st.pending.push(PendingOp {
        address: "ipsec_server.lab".into(),
        action: "delete".into(),
        id: Some("iss-lab".into()),
        region: "cn-hangzhou".into(),
        vpn_gateway: "vpn-lab".into(),
        client_token: "vpnform-0123456789abcdef0123456789abcdef".into(),
        plan_hash: "ab".repeat(32),
        started_at: "2025-01-01T00:00:00Z".into(),
        sent: None,
    });
    let want = desired(&[("ipsec_server.web", "iss-web")]);
    let plan = build(&want, &st, &PlanOptions::default()).unwrap();
    assert_eq!(kinds(&plan), [("ipsec_server.lab", ActionKind::Delete)]);
    assert!(plan.pending.is_empty());
    assert_eq!(
        render::summary_line(&plan),
        "Plan: 0 to add, 0 to change, 1 to destroy, 0 to adopt, 0 to forget."
    );
    let graph = plan.graph().unwrap();
    let text =
        anstream::adapter::strip_str(&render::text(&plan, &graph, &Default::default())).to_string();
    assert!(
        text.contains(
            "  # ipsec_server.lab will be destroyed (resuming an interrupted run)
  # (because its delete was journaled by an interrupted run; ClientToken vpnform-0123456789abcdef0123456789abcdef, plan abababababab)
  - resource \"ipsec_server\" \"lab\" {
      - id          = \"iss-lab\"
      - vpn_gateway = \"vpn-lab\"
      - region      = \"cn-hangzhou\"
    }
    precheck: not run: the interrupted run's operation is re-sent as it was journaled, with its ClientToken
"
        ),
        "{text}"
    );
    // Resolving it is part of what the plan hashes: another token, another plan.
    let mut other = st.clone();
    other.pending[0].client_token = "vpnform-ffffffffffffffffffffffffffffffff".into();
    let other = build(&want, &other, &PlanOptions::default()).unwrap();
    assert_ne!(other.hash, plan.hash);
    // Targeted elsewhere, the plan leaves the entry alone and says so.
    let targeted = PlanOptions {
        targets: [Address::from("ipsec_server.web")].into(),
        ..Default::default()
    };
    let plan = build(&want, &st, &targeted).unwrap();
    assert!(plan.actions.is_empty());
    assert_eq!(plan.pending.len(), 1);
}

#[test]
fn regression_protect_holds_for_a_journaled_delete_from_the_state_or_the_desired_file() {
    let mut st = state(&[("ipsec_server.lab", resource("iss-lab", &[]))]);
    let mut r = st.resources["ipsec_server.lab"].clone();
    r.deposed = Some(crate::state::Deposed {
        id: "iss-old".into(),
        vpn_gateway: "vpn-old".into(),
        region: "cn-hangzhou".into(),
    });
    st.resources.insert("ipsec_server.lab".into(), r);
    st.pending.push(PendingOp {
        address: "ipsec_server.lab".into(),
        action: "delete".into(),
        id: Some("iss-old".into()),
        region: "cn-hangzhou".into(),
        vpn_gateway: "vpn-old".into(),
        client_token: "vpnform-0".into(),
        plan_hash: "h".into(),
        started_at: "2025-01-01T00:00:00Z".into(),
        sent: None,
    });
    let mut want = desired(&[("ipsec_server.lab", "iss-lab")]);
    let plan = build(&want, &st, &PlanOptions::default()).unwrap();
    assert_eq!(kinds(&plan), [("ipsec_server.lab", ActionKind::Delete)]);
    assert_eq!(plan.actions[0].id, "iss-old");
    assert!(plan.actions[0].resumes.as_ref().unwrap().deposed);
    // `--max-deletes` counts it.
    let limited = PlanOptions {
        max_deletes: Some(0),
        ..Default::default()
    };
    assert_eq!(
        build(&want, &st, &limited).unwrap_err(),
        PlanError::TooManyDeletes { deletes: 1, max: 0 }
    );
    want.servers.get_mut("ipsec_server.lab").unwrap().protect = true;
    let err = build(&want, &st, &PlanOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ipsec_server.lab is protected (`protect: true` in the desired file), and an \
         interrupted run journaled its delete of iss-old: resolving it would delete iss-old. \
         The operation may already be under way in the cloud; to finish it, drop `protect: \
         true` from the desired entry and apply (then protect it again)"
    );
    want.servers.get_mut("ipsec_server.lab").unwrap().protect = false;
    st.resources.get_mut("ipsec_server.lab").unwrap().protect = true;
    let err = build(&want, &st, &PlanOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("to finish it, run `vpnform state unprotect ipsec_server.lab` and apply"),
        "{err}"
    );
}

/// The pinned plan: one delete with a dependency, one adopt.
fn pinned() -> Plan {
    let st = state(&[
        (
            "ipsec_server.lab",
            resource("iss-bp19lgmxg9edn581u33xt", &["ipsec_server.office"]),
        ),
        (
            "ipsec_server.office",
            resource("iss-bp1ujzde8gxd6ncf10epf", &[]),
        ),
    ]);
    let want = desired(&[
        ("ipsec_server.office", "iss-bp1ujzde8gxd6ncf10epf"),
        ("ipsec_server.sh", "iss-uf6n4a4wfhym4l1vfz3zf"),
    ]);
    build(&want, &st, &PlanOptions::default()).unwrap()
}

#[test]
fn plan_hash_and_tokens_are_pinned() {
    let plan = pinned();
    let canonical = canonical_json(&plan);
    assert_eq!(
        canonical,
        // `KIND` stands for the kind's name, which only `src/kinds/` spells.
        r#"{"lineage":"4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a","serial":12,"desired_path":"vpnform.yaml","actions":[{"address":"ipsec_server.lab","kind":"KIND","action":"delete","id":"iss-bp19lgmxg9edn581u33xt","region":"cn-hangzhou","gateway":"vpn-bp19lgmxg9edn581u33xt","depends_on":["ipsec_server.office"]},{"address":"ipsec_server.sh","kind":"KIND","action":"adopt","id":"iss-uf6n4a4wfhym4l1vfz3zf","region":"cn-hangzhou","gateway":"vpn-uf6n4a4wfhym4l1vfz3zf","depends_on":[]}]}"#
            .replace("KIND", crate::kinds::ipsec_server::KIND.name)
    );
    // Verified independently: `printf '%s' "$CANONICAL" | sha256sum` gives this hash, and
    // `printf '%s' "$LINEAGE:$HASH:ipsec_server.lab:delete" | sha256sum | cut -c1-32` the
    // token.
    assert_eq!(
        plan.hash,
        "5a99749790860755b5cb44596fbb5104751516bbc6fde093b1c170b0dadf2f23"
    );
    assert_eq!(
        plan.actions[0].client_token,
        "vpnform-d9447bcd57ffad8424fa41bfd6840955"
    );
    assert_eq!(
        plan.actions[1].client_token,
        "vpnform-f93e91886efa36fa52109a5c64177329"
    );
}

#[test]
fn changing_the_serial_changes_the_hash_and_every_token() {
    let plan = pinned();
    let mut other = plan.clone();
    other.serial += 1;
    other.seal();
    assert_ne!(other.hash, plan.hash);
    for (a, b) in plan.actions.iter().zip(&other.actions) {
        assert_ne!(a.client_token, b.client_token);
    }
}

#[test]
fn prechecks_and_reasons_are_not_hashed() {
    let plan = pinned();
    let mut other = plan.clone();
    other.actions[0].precheck = Precheck::Passed {
        request_id: "R".into(),
    };
    other.actions[0].reason = "x".into();
    other.seal();
    assert_eq!(other.hash, plan.hash);
}

#[test]
fn after_yaml_cut_from_before_is_the_serialized_after_state() {
    let mut a = resource("iss-a", &[]);
    a.attributes.insert("name".into(), "a: quoted?".into());
    let mut s = state(&[
        ("ipsec_server.a", a),
        ("ipsec_server.b", resource("iss-b", &["ipsec_server.a"])),
        ("ipsec_server.c", resource("iss-c", &["ipsec_server.b"])),
        ("ipsec_server.d", resource("iss-d", &[])),
    ]);
    s.pending.push(PendingOp {
        address: "ipsec_server.d".into(),
        action: "delete".into(),
        id: Some("iss-d".into()),
        region: "cn-hangzhou".into(),
        vpn_gateway: "vpn-d".into(),
        client_token: "vpnform-0".into(),
        plan_hash: "h".into(),
        started_at: "2026-11-28T00:00:00Z".into(),
        sent: None,
    });
    for keep in [
        &[("ipsec_server.a", "iss-a"), ("ipsec_server.d", "iss-d")][..],
        &[("ipsec_server.d", "iss-d")][..],
        &[("ipsec_server.b", "iss-b"), ("ipsec_server.c", "iss-c")][..],
        &[][..],
    ] {
        let plan = build(&desired(keep), &s, &PlanOptions::default()).unwrap();
        let before = crate::state::to_yaml(&s).unwrap();
        let expected = crate::state::to_yaml(&plan.apply_to(&s)).unwrap();
        assert_eq!(
            render::after_yaml(&plan, &s, &before).unwrap(),
            expected,
            "{keep:?}"
        );
    }
}

#[test]
fn a_protected_delete_blocks_a_targeted_plan_only_when_a_target_waits_for_it() {
    let mut guard = resource("iss-guard", &["ipsec_server.base"]);
    guard.protect = true;
    let mut other = resource("iss-other", &[]);
    other.protect = true;
    let st = state(&[
        ("ipsec_server.base", resource("iss-base", &[])),
        ("ipsec_server.guard", guard),
        ("ipsec_server.other", other),
        ("ipsec_server.free", resource("iss-free", &[])),
    ]);
    let targeted = |t: &str| PlanOptions {
        targets: [Address::from(t)].into(),
        ..Default::default()
    };
    // `free` waits for nothing: the protected servers elsewhere do not stop it.
    let plan = build(&desired(&[]), &st, &targeted("ipsec_server.free")).unwrap();
    assert_eq!(kinds(&plan), [("ipsec_server.free", ActionKind::Delete)]);
    assert_eq!(plan.targets, [Address::from("ipsec_server.free")]);
    // `base` is deleted only after `guard`, which is protected: refused, naming it alone.
    let err = build(&desired(&[]), &st, &targeted("ipsec_server.base")).unwrap_err();
    assert_eq!(
        err,
        PlanError::Protected(vec![("ipsec_server.guard".into(), "iss-guard".into())])
    );
}

#[test]
fn targets_change_the_plan_hash_and_no_targets_keep_it() {
    let st = state(&[("ipsec_server.a", resource("iss-a", &[]))]);
    let all = build(&desired(&[]), &st, &PlanOptions::default()).unwrap();
    let targeted = build(
        &desired(&[]),
        &st,
        &PlanOptions {
            targets: [Address::from("ipsec_server.a")].into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(all.actions.len(), targeted.actions.len());
    assert_ne!(all.hash, targeted.hash);
    assert!(!canonical_json(&all).contains("targets"));
    assert!(canonical_json(&targeted).contains(r#""targets":["ipsec_server.a"]"#));
}
