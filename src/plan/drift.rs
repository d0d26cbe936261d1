//! What an update in place changes: the managed attributes of a desired entry (those it
//! writes) compared with the attributes recorded for its server (offline) or listed by
//! the cloud (online), in the text form ListIpsecServers answers and the state records.
//! Pure, so that the offline plan, the online plan and `--refresh-only` share it.

use std::collections::BTreeMap;

use super::model::FieldChange;
use crate::config::attributes::{Attributes, Ipv4Net, parse_cidr};

/// Shown as the old value of an attribute the state does not hold (a state written
/// before attributes were recorded).
pub const NOT_RECORDED: &str = "(not recorded)";

/// The managed attributes of `desired` whose value differs from `recorded`, in a fixed
/// order (the order of the desired file's fields). `local_subnet` is compared as a set:
/// the cloud does not promise to answer the blocks in the order they were sent.
pub fn managed_changes(
    desired: &Attributes,
    recorded: &BTreeMap<String, String>,
) -> Vec<FieldChange> {
    managed_values(desired)
        .into_iter()
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

/// The managed attributes `desired` writes, in the text form ListIpsecServers answers
/// and the state records (`ike_config.ike_version`, ...), in the desired file's order.
pub fn managed_values(desired: &Attributes) -> Vec<(&'static str, String)> {
    let mut wanted: Vec<(&'static str, String)> = Vec::new();
    if let Some(name) = &desired.name {
        wanted.push(("name", name.as_str().to_owned()));
    }
    if let Some(subnets) = &desired.local_subnet {
        wanted.push(("local_subnet", subnet_text(subnets)));
    }
    if let Some(pool) = &desired.client_ip_pool {
        wanted.push(("client_ip_pool", pool.to_string()));
    }
    if let Some(effect) = desired.effect_immediately {
        wanted.push(("effect_immediately", effect.to_string()));
    }
    if let Some(ike) = &desired.ike_config {
        let fields = [
            (
                "ike_config.ike_version",
                ike.ike_version.map(|v| v.to_string()),
            ),
            ("ike_config.ike_mode", ike.ike_mode.map(|v| v.to_string())),
            (
                "ike_config.ike_enc_alg",
                ike.ike_enc_alg.map(|v| v.to_string()),
            ),
            (
                "ike_config.ike_auth_alg",
                ike.ike_auth_alg.map(|v| v.to_string()),
            ),
            ("ike_config.ike_pfs", ike.ike_pfs.map(|v| v.to_string())),
            (
                "ike_config.ike_lifetime",
                ike.ike_lifetime.map(|v| v.seconds().to_string()),
            ),
            (
                "ike_config.local_id",
                ike.local_id.as_ref().map(|v| v.as_str().to_owned()),
            ),
            (
                "ike_config.remote_id",
                ike.remote_id.as_ref().map(|v| v.as_str().to_owned()),
            ),
        ];
        wanted.extend(fields.into_iter().filter_map(|(k, v)| Some((k, v?))));
    }
    if let Some(ipsec) = &desired.ipsec_config {
        let fields = [
            (
                "ipsec_config.ipsec_enc_alg",
                ipsec.ipsec_enc_alg.map(|v| v.to_string()),
            ),
            (
                "ipsec_config.ipsec_auth_alg",
                ipsec.ipsec_auth_alg.map(|v| v.to_string()),
            ),
            (
                "ipsec_config.ipsec_pfs",
                ipsec.ipsec_pfs.map(|v| v.to_string()),
            ),
            (
                "ipsec_config.ipsec_lifetime",
                ipsec.ipsec_lifetime.map(|v| v.seconds().to_string()),
            ),
        ];
        wanted.extend(fields.into_iter().filter_map(|(k, v)| Some((k, v?))));
    }
    wanted
}

/// The blocks as the API writes them: comma-separated, in the order given.
fn subnet_text(subnets: &[Ipv4Net]) -> String {
    let texts: Vec<String> = subnets.iter().map(ToString::to_string).collect();
    texts.join(",")
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

#[cfg(test)]
mod tests {
    use super::*;
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
            managed_changes(&desired, &have),
            vec![
                change("client_ip_pool", "10.8.0.0/16", "10.9.0.0/16"),
                change("ipsec_config.ipsec_pfs", NOT_RECORDED, "disabled"),
            ]
        );
        // Nothing written, nothing managed: observed attributes never change.
        assert_eq!(managed_changes(&Attributes::default(), &have), vec![]);
    }

    #[test]
    fn local_subnets_are_compared_as_a_set() {
        let nets = |t: &[&str]| Some(t.iter().map(|n| parse_cidr(n).unwrap()).collect());
        let desired = Attributes {
            local_subnet: nets(&["10.0.1.0/24", "10.0.0.0/24"]),
            ..Attributes::default()
        };
        let same = recorded(&[("local_subnet", "10.0.0.0/24,10.0.1.0/24")]);
        assert_eq!(managed_changes(&desired, &same), vec![]);
        let other = recorded(&[("local_subnet", "10.0.0.0/24")]);
        assert_eq!(
            managed_changes(&desired, &other),
            vec![change(
                "local_subnet",
                "10.0.0.0/24",
                "10.0.1.0/24,10.0.0.0/24"
            )]
        );
    }
}
