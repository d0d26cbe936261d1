use super::*;
use std::sync::{Arc, Mutex};

fn state() -> State {
    let mut s = State {
        version: 1,
        lineage: "4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a".into(),
        serial: 3,
        applying: None,
        resources: Default::default(),
        pending: vec![],
    };
    s.resources.insert(
        "ipsec_server.a".into(),
        Resource {
            id: "iss-a".into(),
            region: "cn-hangzhou".into(),
            vpn_gateway: "vpn-a".into(),
            depends_on: vec![],
            protect: false,
            psk: None,
            attributes: Default::default(),
            deposed: None,
        },
    );
    s
}

fn op() -> PendingOp {
    PendingOp {
        address: "ipsec_server.a".into(),
        action: "delete".into(),
        id: Some("iss-a".into()),
        region: "cn-hangzhou".into(),
        vpn_gateway: "vpn-a".into(),
        client_token: "vpnform-0123".into(),
        plan_hash: "abc".into(),
        started_at: "2026-11-28T00:00:00Z".into(),
        sent: None,
    }
}

#[tokio::test]
async fn every_acknowledged_change_is_on_disk_and_bumps_the_serial() {
    let written: Arc<Mutex<Vec<State>>> = Arc::default();
    let w = written.clone();
    let journal = Journal::start(
        "unused".into(),
        state(),
        None,
        Arc::new(move |_, s: &State| {
            w.lock().unwrap().push(s.clone());
            Ok(())
        }),
    );
    journal.record(Change::Pending(op())).await.unwrap();
    {
        let w = written.lock().unwrap();
        assert_eq!(w.last().unwrap().pending, vec![op()]);
        assert_eq!(w.last().unwrap().serial, 4);
    }
    // Journaling the same intent again changes nothing and writes nothing.
    journal.record(Change::Pending(op())).await.unwrap();
    assert_eq!(written.lock().unwrap().len(), 1);
    journal
        .record(Change::Deleted {
            address: "ipsec_server.a".into(),
        })
        .await
        .unwrap();
    let (last, _) = journal.finish_with_stats().await;
    assert!(last.resources.is_empty() && last.pending.is_empty());
    assert_eq!(last.serial, 5);
    assert_eq!(written.lock().unwrap().last().unwrap(), &last);
}

/// Regression (#10.6): the serial wrapped to 0. A run that starts one below the
/// largest serial writes it once, then refuses the next write instead of wrapping.
#[tokio::test]
async fn the_serial_never_wraps_mid_run() {
    let written: Arc<Mutex<Vec<u64>>> = Arc::default();
    let w = written.clone();
    let mut start = state();
    start.serial = u64::MAX - 1;
    let journal = Journal::start(
        "state".into(),
        start,
        None,
        Arc::new(move |_, s: &State| {
            w.lock().unwrap().push(s.serial);
            Ok(())
        }),
    );
    journal.record(Change::Pending(op())).await.unwrap();
    let err = journal
        .record(Change::Deleted {
            address: "ipsec_server.a".into(),
        })
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "cannot write the state file in state: refusing to write state/vpnform.state.yaml: \
             its serial 18446744073709551615 is the largest a state can hold"
        ),
        "{err}"
    );
    assert_eq!(*written.lock().unwrap(), vec![u64::MAX]);
}

const LINEAGE: &str = "4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a";

fn token(address: &str, operation: &str) -> String {
    crate::plan::client_token(LINEAGE, "abc", address, operation)
}

/// A desired file naming `addresses` (servers to create: no id).
fn desired(addresses: &[&str]) -> crate::config::Desired {
    crate::config::Desired {
        path: "vpnform.yaml".into(),
        sha256: "0".repeat(64),
        servers: addresses
            .iter()
            .map(|a| {
                (
                    Address::from(*a),
                    crate::config::DesiredServer {
                        address: Address::from(*a),
                        id: None,
                        vpn_gateway: "vpn-b".into(),
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

fn check(s: &State, d: &crate::config::Desired) -> Result<(), CorruptJournal> {
    check_pending(s, d, std::path::Path::new("state/vpnform.state.yaml"))
}

fn sent(values: &[(&str, &str)]) -> Option<crate::state::SentCreate> {
    Some(crate::state::SentCreate {
        values: values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        psk: None,
    })
}

#[test]
fn a_journaled_delete_of_a_recorded_undesired_server_is_legitimate() {
    // The crash-resume case: the intent is durable, its result is not yet.
    let mut s = state();
    s.pending.push(PendingOp {
        client_token: token("ipsec_server.a", "delete"),
        ..op()
    });
    assert_eq!(check(&s, &desired(&[])), Ok(()));
    // Added back to the desired file since: the plan resolves the delete first.
    assert_eq!(check(&s, &desired(&["ipsec_server.a"])), Ok(()));
    // Protected in the state: never a delete vpnform journals.
    s.resources.get_mut("ipsec_server.a").unwrap().protect = true;
    let err = check(&s, &desired(&[])).unwrap_err();
    assert_eq!(err.entries.len(), 1);
    assert_eq!(err.entries[0].field, "address");
    s.resources.get_mut("ipsec_server.a").unwrap().protect = false;
    // Another action word is not something vpnform journals.
    s.pending[0].action = "rename".into();
    let err = check(&s, &desired(&[])).unwrap_err();
    assert_eq!(err.entries[0].field, "action");
    // An update, with what it sent, of a recorded server, desired or no longer.
    s.pending[0].action = "update".into();
    s.pending[0].client_token = token("ipsec_server.a", "update");
    s.pending[0].sent = sent(&[("name", "a2")]);
    assert_eq!(check(&s, &desired(&["ipsec_server.a"])), Ok(()));
    assert_eq!(check(&s, &desired(&[])), Ok(()));
    // Without `sent` (an earlier vpnform's entry) it cannot be re-sent as it was.
    s.pending[0].sent = None;
    let err = check(&s, &desired(&[])).unwrap_err();
    assert_eq!(err.entries[0].field, "sent");
}

#[test]
fn regression_a_token_of_another_lineage_or_the_old_formula_is_refused() {
    let mut s = state();
    s.pending.push(PendingOp {
        client_token: crate::plan::client_token(
            "another-lineage",
            "abc",
            "ipsec_server.a",
            "delete",
        ),
        ..op()
    });
    let err = check(&s, &desired(&[])).unwrap_err();
    assert_eq!(
        err.entries[0].problem,
        format!(
            "{} is not the delete token this state's lineage gives plan abc for this \
             address ({})",
            s.pending[0].client_token,
            token("ipsec_server.a", "delete")
        )
    );
    s.pending[0].client_token = crate::plan::legacy_client_token("abc", "ipsec_server.a", "delete");
    let err = check(&s, &desired(&[])).unwrap_err();
    assert!(
        err.entries[0]
            .problem
            .ends_with("finish that run with the vpnform version that started it, then upgrade"),
        "{}",
        err.entries[0].problem
    );
}

#[test]
fn a_journaled_create_is_for_an_address_nothing_records_on_a_free_gateway() {
    let mut s = state();
    s.pending.push(PendingOp {
        address: "ipsec_server.b".into(),
        action: "create".into(),
        id: None,
        vpn_gateway: "vpn-b".into(),
        client_token: token("ipsec_server.b", "create"),
        sent: sent(&[("client_ip_pool", "10.8.0.0/16")]),
        ..op()
    });
    assert_eq!(check(&s, &desired(&["ipsec_server.b"])), Ok(()));
    // Its entry removed from the desired file since, it is resolved from the cloud
    // (issue #12 item 3), not refused.
    assert_eq!(check(&s, &desired(&[])), Ok(()));
    // A token that is not the create token of its plan hash for its address.
    s.pending[0].client_token = "vpnform-0123".into();
    let err = check(&s, &desired(&["ipsec_server.b"])).unwrap_err();
    assert_eq!(err.entries[0].field, "client_token");
    // A create at an address the state records already, on its own gateway: not one
    // vpnform wrote.
    s.pending[0].address = "ipsec_server.a".into();
    s.pending[0].vpn_gateway = "vpn-a".into();
    s.pending[0].client_token = token("ipsec_server.a", crate::plan::REPLACE_CREATE);
    let err = check(&s, &desired(&["ipsec_server.a"])).unwrap_err();
    assert_eq!(
        err.entries[0].problem,
        "a create at an address the state already records"
    );
    assert_eq!(
        err.entries[1].problem,
        "vpn-a holds the server recorded as ipsec_server.a; a create is journaled only \
         for a gateway without one"
    );
    // On another, free gateway it is the new server of a replace in progress.
    s.pending[0].vpn_gateway = "vpn-b".into();
    assert_eq!(check(&s, &desired(&["ipsec_server.a"])), Ok(()));
}

/// Regression: a create of a customer gateway journaled while another is recorded in
/// its region (both on no gateway), or of a connection on a gateway that holds one, was
/// "corrupt": the one-server-per-gateway rule of IPsec servers held for every kind, and
/// one SIGKILL after the journal write wedged the state. Only IPsec servers hold one per
/// gateway; a connection replaced create first journals its create where it is.
#[test]
fn regression_a_journaled_create_beside_recorded_resources_of_its_kind_is_legitimate() {
    let mut s = state();
    let record = |id: &str, gateway: &str| Resource {
        id: id.into(),
        region: "cn-hangzhou".into(),
        vpn_gateway: gateway.into(),
        depends_on: vec![],
        protect: false,
        psk: None,
        attributes: Default::default(),
        deposed: None,
    };
    s.resources
        .insert("customer_gateway.a".into(), record("cgw-a", ""));
    s.resources
        .insert("vpn_connection.a".into(), record("vco-a", "vpn-c"));
    for (address, gateway, operation) in [
        ("customer_gateway.b", "", "create"),
        ("vpn_connection.b", "vpn-c", "create"),
        ("vpn_connection.a", "vpn-c", crate::plan::REPLACE_CREATE),
    ] {
        s.pending = vec![PendingOp {
            address: address.into(),
            action: "create".into(),
            id: None,
            vpn_gateway: gateway.into(),
            client_token: token(address, operation),
            sent: sent(&[("name", "b")]),
            ..op()
        }];
        assert_eq!(check(&s, &desired(&[address])), Ok(()), "{address}");
    }
}

#[test]
fn regression_a_journaled_secret_source_must_be_the_desired_or_the_recorded_one() {
    let source = |name: &str| crate::state::PskRecord::Env(name.into());
    let mut s = state();
    let mut with_psk = sent(&[("client_ip_pool", "10.8.0.0/16")]).unwrap();
    with_psk.psk = Some(source("GITHUB_TOKEN"));
    s.pending.push(PendingOp {
        address: "ipsec_server.b".into(),
        action: "create".into(),
        id: None,
        vpn_gateway: "vpn-b".into(),
        client_token: token("ipsec_server.b", "create"),
        sent: Some(with_psk),
        ..op()
    });
    let err = check(&s, &desired(&["ipsec_server.b"])).unwrap_err();
    assert_eq!(
        err.entries[0].problem,
        "its pre-shared key source (env GITHUB_TOKEN) is neither the one the desired file \
         names for this address nor the recorded one"
    );
    let named = |name: &str| {
        let mut d = desired(&["ipsec_server.b"]);
        d.servers.get_mut("ipsec_server.b").unwrap().psk =
            Some(crate::config::attributes::PskSource::Env(name.into()));
        d
    };
    assert_eq!(check(&s, &named("GITHUB_TOKEN")), Ok(()));
    // Named by both, a credential variable is still refused: sources are confined.
    s.pending[0].sent.as_mut().unwrap().psk = Some(source("ALIBABA_CLOUD_ACCESS_KEY_SECRET"));
    let err = check(&s, &named("ALIBABA_CLOUD_ACCESS_KEY_SECRET")).unwrap_err();
    assert_eq!(err.entries[0].field, "sent");
    assert!(
        err.entries[0]
            .problem
            .contains("one of vpnform's own credential variables"),
        "{}",
        err.entries[0].problem
    );
}

#[test]
fn regression_a_deposed_server_recorded_elsewhere_or_without_its_delete_is_refused() {
    let mut s = state();
    let mut other = s.resources["ipsec_server.a"].clone();
    other.id = "iss-other".into();
    other.vpn_gateway = "vpn-other".into();
    other.protect = true;
    s.resources.insert("ipsec_server.other".into(), other);
    s.resources.get_mut("ipsec_server.a").unwrap().deposed = Some(Deposed {
        id: "iss-other".into(),
        vpn_gateway: "vpn-other".into(),
        region: "cn-hangzhou".into(),
    });
    let err = check(&s, &desired(&[])).unwrap_err();
    assert_eq!(
        err.entries[0].problem,
        "the deposed iss-other has no journaled delete; vpnform writes the two together"
    );
    s.pending.push(PendingOp {
        id: Some("iss-other".into()),
        vpn_gateway: "vpn-other".into(),
        client_token: token("ipsec_server.a", crate::plan::REPLACE_DELETE),
        ..op()
    });
    let err = check(&s, &desired(&[])).unwrap_err();
    assert_eq!(
        err.entries[0].problem,
        "the deposed iss-other is the server recorded as ipsec_server.other"
    );
    s.resources.remove("ipsec_server.other");
    assert_eq!(check(&s, &desired(&[])), Ok(()));
}

#[tokio::test]
async fn a_failed_write_halts_the_journal() {
    let journal = Journal::start(
        "dir".into(),
        state(),
        None,
        Arc::new(|_, _: &State| Err("disk full".to_string())),
    );
    let err = journal.record(Change::Pending(op())).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot write the state file in dir: disk full"
    );
    let err = journal
        .record(Change::Abandoned {
            address: "ipsec_server.a".into(),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, JournalError::Halted(_)), "{err}");
}
