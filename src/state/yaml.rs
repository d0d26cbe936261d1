//! The serializer: the exact bytes of `vpnform.state.yaml`, deterministic so that the
//! same state is always the same file and a git diff is the review.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::State;

/// The first line of every state file. YAML comments are ignored on read.
pub const HEADER: &str =
    "# Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.\n";

/// The exact bytes [`write`] puts in the file: the header, then deterministic YAML
/// (fields in model order, maps sorted, strings on one line).
pub fn to_yaml(state: &State) -> Result<String, serde_saphyr::SerializeError> {
    let mut options = serde_saphyr::SerializerOptions::default();
    // Long attribute values stay on one line: a folded scalar would make a one-word
    // change a multi-line diff.
    options.prefer_block_scalars = false;
    let body = serde_saphyr::to_string_with_options(state, options)?;
    Ok(format!("{HEADER}{body}"))
}

/// `to_yaml` of `state` without the resources at `removed` and with the serial one
/// higher, cut from `before` (which must be `to_yaml(state)`) line by line instead of
/// serializing again. `None` when the text is not in the shape this relies on (a key the
/// serializer quoted, a resource map left empty, which serializes as `{}`): serialize.
pub fn to_yaml_without(state: &State, before: &str, removed: &BTreeSet<&str>) -> Option<String> {
    let mut out = String::with_capacity(before.len());
    let (mut in_resources, mut skipping) = (false, false);
    let (mut cut, mut serials) = (0usize, 0usize);
    for line in before.split_inclusive('\n') {
        let top_level = !line.starts_with([' ', '#', '\n', '-']);
        if top_level {
            in_resources = line.starts_with("resources:");
            skipping = false;
            if let Some(rest) = line.strip_prefix("serial: ") {
                if rest.trim_end() != state.serial.to_string() {
                    return None;
                }
                serials += 1;
                let _ = writeln!(out, "serial: {}", state.serial + 1);
                continue;
            }
        } else if in_resources
            && let Some(key) = line.strip_prefix("  ")
            && !key.starts_with(' ')
        {
            let key = key.trim_end();
            skipping = key
                .strip_suffix(':')
                .is_some_and(|address| removed.contains(address));
            cut += usize::from(skipping);
        }
        if !skipping {
            out.push_str(line);
        }
    }
    let whole = cut == removed.len() && serials == 1 && state.resources.len() != removed.len();
    whole.then_some(out)
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::state::{PendingOp, Resource, parse};

    pub(in crate::state) fn sample() -> State {
        let mut s = State::with_new_lineage();
        s.lineage = "4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a".into();
        s.serial = 12;
        s.resources.insert(
            "ipsec_server.office".into(),
            Resource {
                id: "iss-bp1jougp8cfsbo8y9abcd".into(),
                region: "cn-hangzhou".into(),
                vpn_gateway: "vpn-bp1q8bgx4xnkm2ogjabcd".into(),
                depends_on: vec!["ipsec_server.lab".into()],
                protect: true,
                psk: None,
                attributes: [
                    ("name".to_string(), "office".to_string()),
                    ("local_subnet".to_string(), "10.0.0.0/24".to_string()),
                ]
                .into(),
                deposed: None,
            },
        );
        s.resources.insert(
            "ipsec_server.lab".into(),
            Resource {
                id: "iss-lab1".into(),
                region: "cn-hangzhou".into(),
                vpn_gateway: "vpn-g1".into(),
                depends_on: vec![],
                protect: false,
                psk: None,
                attributes: BTreeMap::new(),
                deposed: None,
            },
        );
        s
    }

    #[test]
    fn yaml_is_deterministic_and_round_trips() {
        let s = sample();
        let text = to_yaml(&s).unwrap();
        assert_eq!(
            text,
            "# Managed by vpnform. Edit with 'vpnform state ...' commands, not by hand.
version: 1
lineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a
serial: 12
resources:
  ipsec_server.lab:
    id: iss-lab1
    region: cn-hangzhou
    vpn_gateway: vpn-g1
  ipsec_server.office:
    id: iss-bp1jougp8cfsbo8y9abcd
    region: cn-hangzhou
    vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd
    depends_on:
    - ipsec_server.lab
    protect: true
    attributes:
      local_subnet: 10.0.0.0/24
      name: office
pending: []
"
        );
        let back = parse(Path::new("s.yaml"), &text).unwrap();
        assert_eq!(back, s);
        assert_eq!(to_yaml(&back).unwrap(), text);
    }

    #[test]
    fn a_psk_source_and_a_create_without_id_round_trip_deterministically() {
        let mut s = sample();
        let office = s.resources.get_mut("ipsec_server.office").unwrap();
        office.psk = Some(crate::state::PskRecord::Env("OFFICE_PSK".into()));
        office
            .attributes
            .insert("ike_config.ike_lifetime".into(), "86400".into());
        s.resources.get_mut("ipsec_server.lab").unwrap().psk =
            Some(crate::state::PskRecord::File("secrets/lab.psk".into()));
        s.pending.push(PendingOp {
            address: "ipsec_server.new".into(),
            action: "create".into(),
            id: None,
            region: "cn-hangzhou".into(),
            vpn_gateway: "vpn-g2".into(),
            client_token: "vpnform-0123456789abcdef0123456789abcdef".into(),
            plan_hash: "ab".repeat(32),
            started_at: "2025-01-02T03:04:05Z".into(),
            sent: None,
        });
        let text = to_yaml(&s).unwrap();
        assert!(
            text.contains(
                "    protect: true\n    psk:\n      env: OFFICE_PSK\n    attributes:\n      ike_config.ike_lifetime: \"86400\"\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("    psk:\n      file: secrets/lab.psk\n"),
            "{text}"
        );
        assert!(
            text.contains("- address: ipsec_server.new\n  action: create\n  region: cn-hangzhou\n"),
            "{text}"
        );
        let back = parse(Path::new("s.yaml"), &text).unwrap();
        assert_eq!(back, s);
        assert_eq!(to_yaml(&back).unwrap(), text);
    }

    #[test]
    fn a_state_without_psk_or_pending_action_ids_reads_as_before() {
        // A state written before PSK sources and creates existed stays valid.
        let text = "version: 1\nlineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a\nserial: 3\nresources:\n  ipsec_server.lab:\n    id: iss-lab1\n    region: cn-hangzhou\n    vpn_gateway: vpn-g1\npending:\n- address: ipsec_server.gone\n  action: delete\n  id: iss-gone\n  region: cn-hangzhou\n  vpn_gateway: vpn-g1\n  client_token: t\n  plan_hash: h\n  started_at: '2025-01-02T03:04:05Z'\n";
        let state = parse(Path::new("s.yaml"), text).unwrap();
        assert_eq!(state.resources["ipsec_server.lab"].psk, None);
        assert_eq!(state.pending[0].id.as_deref(), Some("iss-gone"));
    }

    #[test]
    fn a_pending_delete_without_id_is_refused_at_its_line() {
        let text = "version: 1\nlineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a\nserial: 3\npending:\n- address: ipsec_server.gone\n  action: delete\n  region: cn-hangzhou\n  vpn_gateway: vpn-g1\n  client_token: t\n  plan_hash: h\n  started_at: '2025-01-02T03:04:05Z'\n";
        let err = parse(Path::new("s.yaml"), text).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "s.yaml:6:11: pending entry 1: a `delete` entry has no id; only a create is journaled without one"
            ),
            "{err}"
        );
    }

    #[test]
    fn pending_round_trips() {
        let mut s = sample();
        s.pending.push(PendingOp {
            address: "ipsec_server.lab".into(),
            action: "delete".into(),
            id: Some("iss-lab1".into()),
            region: "cn-hangzhou".into(),
            vpn_gateway: "vpn-g1".into(),
            client_token: "vpnform-0123456789abcdef0123456789abcdef".into(),
            plan_hash: "ab".repeat(32),
            started_at: "2025-01-02T03:04:05Z".into(),
            sent: None,
        });
        s.applying = Some(crate::state::ApplyingPlan {
            plan_hash: "cd".repeat(32),
            base_serial: 11,
        });
        let text = to_yaml(&s).unwrap();
        assert_eq!(parse(Path::new("s.yaml"), &text).unwrap(), s);
    }

    #[test]
    fn strings_that_look_like_other_types_round_trip() {
        let mut s = sample();
        let r = s.resources.get_mut("ipsec_server.lab").unwrap();
        for (k, v) in [
            ("a", "yes"),
            ("b", "123"),
            ("c", "null"),
            ("d", ""),
            ("e", "with: colon # and hash"),
            ("f", "line\nbreak"),
            ("g", &"long ".repeat(40)),
        ] {
            r.attributes.insert(k.into(), v.into());
        }
        let text = to_yaml(&s).unwrap();
        assert_eq!(parse(Path::new("s.yaml"), &text).unwrap(), s);
    }

    #[test]
    fn to_yaml_without_is_the_serialized_state_without_them() {
        let s = sample();
        let before = to_yaml(&s).unwrap();
        let removed = BTreeSet::from(["ipsec_server.lab"]);
        let mut expected = s.clone();
        expected.resources.remove("ipsec_server.lab");
        expected.serial += 1;
        assert_eq!(
            to_yaml_without(&s, &before, &removed),
            Some(to_yaml(&expected).unwrap())
        );
    }

    #[test]
    fn to_yaml_without_declines_what_it_cannot_cut() {
        let s = sample();
        let before = to_yaml(&s).unwrap();
        // Every resource removed: the map serializes as `{}`.
        let all = BTreeSet::from(["ipsec_server.lab", "ipsec_server.office"]);
        assert_eq!(to_yaml_without(&s, &before, &all), None);
        // A key not in the text (as if quoted by the serializer).
        let absent = BTreeSet::from(["ipsec_server.absent"]);
        assert_eq!(to_yaml_without(&s, &before, &absent), None);
        // A `before` that is not this state's text.
        let mut other = s.clone();
        other.serial = 99;
        let removed = BTreeSet::from(["ipsec_server.lab"]);
        assert_eq!(to_yaml_without(&other, &before, &removed), None);
    }
}
