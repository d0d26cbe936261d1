//! The API requests a create or an update makes, built from the action alone (its
//! managed values in the text form the state records), so that the online plan's DryRun
//! and apply's real call send the same fields; and the check that a listed server holds
//! what was sent. The PSK is passed in, read from its source by the caller.

use std::collections::BTreeMap;

use crate::kinds::ipsec_server::{
    CreateIpsecServer, IkeConfig, IpsecConfig, IpsecServer, UpdateIpsecServer,
};
use crate::plan::{Action, ActionKind};
use crate::secret::Secret;

/// The fields of a create or update, from `values` (`name`, `local_subnet`,
/// `ike_config.ike_version`, ...).
#[derive(Default)]
struct Fields {
    name: Option<String>,
    local_subnet: Option<Vec<String>>,
    client_ip_pool: Option<String>,
    effect_immediately: Option<bool>,
    ike_config: Option<IkeConfig>,
    ipsec_config: Option<IpsecConfig>,
}

fn fields<'a>(values: impl Iterator<Item = (&'a str, &'a str)>) -> Fields {
    let mut f = Fields::default();
    for (field, value) in values {
        let text = || Some(value.to_owned());
        let number = || value.parse::<u32>().ok();
        match field {
            "name" => f.name = text(),
            "local_subnet" => {
                f.local_subnet = Some(value.split(',').map(|b| b.trim().to_owned()).collect())
            }
            "client_ip_pool" => f.client_ip_pool = text(),
            "effect_immediately" => f.effect_immediately = Some(value == "true"),
            "ike_config.ike_version" => {
                f.ike_config
                    .get_or_insert_with(IkeConfig::default)
                    .ike_version = text()
            }
            "ike_config.ike_mode" => {
                f.ike_config.get_or_insert_with(IkeConfig::default).ike_mode = text()
            }
            "ike_config.ike_enc_alg" => {
                f.ike_config
                    .get_or_insert_with(IkeConfig::default)
                    .ike_enc_alg = text()
            }
            "ike_config.ike_auth_alg" => {
                f.ike_config
                    .get_or_insert_with(IkeConfig::default)
                    .ike_auth_alg = text()
            }
            "ike_config.ike_pfs" => {
                f.ike_config.get_or_insert_with(IkeConfig::default).ike_pfs = text()
            }
            "ike_config.ike_lifetime" => {
                f.ike_config
                    .get_or_insert_with(IkeConfig::default)
                    .ike_lifetime = number()
            }
            "ike_config.local_id" => {
                f.ike_config.get_or_insert_with(IkeConfig::default).local_id = text()
            }
            "ike_config.remote_id" => {
                f.ike_config
                    .get_or_insert_with(IkeConfig::default)
                    .remote_id = text()
            }
            other => {
                let ipsec = f.ipsec_config.get_or_insert_with(IpsecConfig::default);
                match other {
                    "ipsec_config.ipsec_enc_alg" => ipsec.ipsec_enc_alg = text(),
                    "ipsec_config.ipsec_auth_alg" => ipsec.ipsec_auth_alg = text(),
                    "ipsec_config.ipsec_pfs" => ipsec.ipsec_pfs = text(),
                    "ipsec_config.ipsec_lifetime" => ipsec.ipsec_lifetime = number(),
                    // Not a managed field (the plan never makes one): not sent.
                    _ => {}
                }
                if f.ipsec_config == Some(IpsecConfig::default()) {
                    f.ipsec_config = None;
                }
            }
        }
    }
    f
}

/// `CreateIpsecServer` for a create action. `token` is `None` for the DryRun.
/// Whether a create sends `field` (an attribute [`create_request`] reads).
pub(crate) fn is_sent_by_create(field: &str) -> bool {
    matches!(
        field,
        "name" | "local_subnet" | "client_ip_pool" | "effect_immediately"
    ) || field.starts_with("ike_config.")
        || field.starts_with("ipsec_config.")
}

pub(crate) fn create_request(
    action: &Action,
    psk: Option<Secret>,
    token: Option<String>,
    dry_run: bool,
) -> CreateIpsecServer {
    let f = fields(
        action
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    CreateIpsecServer {
        region: action.region.clone(),
        vpn_gateway: action.vpn_gateway.clone(),
        local_subnet: f.local_subnet.unwrap_or_default(),
        client_ip_pool: f.client_ip_pool.unwrap_or_default(),
        name: f.name,
        psk,
        effect_immediately: f.effect_immediately,
        ike_config: f.ike_config,
        ipsec_config: f.ipsec_config,
        client_token: if dry_run { None } else { token },
        dry_run,
    }
}

/// The objects an update sends whole when one of their keys changes.
const WHOLE_OBJECTS: [&str; 2] = ["ike_config.", "ipsec_config."];

/// Whether an update sends an object whole (it changes one of its keys), so that it
/// needs the cloud's answer of the run to merge the change with.
pub(crate) fn sends_whole_object(action: &Action) -> bool {
    action.cloud_changes().any(|c| {
        WHOLE_OBJECTS
            .iter()
            .any(|object| c.field.starts_with(object))
    })
}

/// `UpdateIpsecServer` of an update action's changed fields. `IkeConfig` and
/// `IpsecConfig` go whole: a change of one key sends the action's attributes (the
/// cloud's answer where the run read one) merged with the change, as the documents and
/// the Terraform provider send them; a partial object may reset the keys left out
/// (API.md, "IPsec-server details").
pub(crate) fn update_request(
    action: &Action,
    psk: Option<Secret>,
    token: Option<String>,
    dry_run: bool,
) -> UpdateIpsecServer {
    let changes: Vec<(&str, &str)> = action
        .cloud_changes()
        .map(|c| (c.field.as_str(), c.to.as_str()))
        .collect();
    let mut sent: BTreeMap<&str, &str> = BTreeMap::new();
    for object in WHOLE_OBJECTS {
        if changes.iter().any(|(field, _)| field.starts_with(object)) {
            sent.extend(
                action
                    .attributes
                    .iter()
                    .filter(|(field, _)| field.starts_with(object))
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
        }
    }
    sent.extend(changes);
    let f = fields(sent.into_iter());
    UpdateIpsecServer {
        region: action.region.clone(),
        ipsec_server_id: action.id.clone(),
        name: f.name,
        local_subnet: f.local_subnet,
        client_ip_pool: f.client_ip_pool,
        psk,
        effect_immediately: f.effect_immediately,
        ike_config: f.ike_config,
        ipsec_config: f.ipsec_config,
        client_token: if dry_run { None } else { token },
        dry_run,
    }
}

/// The values an action means the server to hold once done: a create's managed values,
/// an update's changed fields' new values (the PSK aside: compared by the caller).
pub(crate) fn intended(action: &Action) -> BTreeMap<String, String> {
    match action.action {
        ActionKind::Create | ActionKind::Replace => action.attributes.clone(),
        _ => action
            .cloud_changes()
            .filter(|c| c.field != "psk")
            .map(|c| (c.field.clone(), c.to.clone()))
            .collect(),
    }
}

/// Whether `listed` holds every value of `intended` (`local_subnet` as a set).
pub(crate) fn holds(
    listed: &BTreeMap<String, String>,
    intended: &BTreeMap<String, String>,
) -> bool {
    intended
        .iter()
        .all(|(field, want)| match listed.get(field) {
            Some(have) if field == "local_subnet" => crate::plan::drift::same_subnets(have, want),
            Some(have) => have == want,
            None => false,
        })
}

/// The attributes the state records of a server, in the text form the plan compares:
/// every non-empty attribute ListIpsecServers answers but the PSK and the live counters.
pub(crate) fn attributes(server: &IpsecServer) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            a.insert(k.to_owned(), v);
        }
    };
    let text = |s: &str| Some(s.to_owned());
    put("name", text(&server.name));
    put("local_subnet", text(&server.local_subnet));
    put("client_ip_pool", text(&server.client_ip_pool));
    put("internet_ip", text(&server.internet_ip));
    put("creation_time", text(&server.creation_time));
    put(
        "effect_immediately",
        Some(server.effect_immediately.to_string()),
    );
    let ike = &server.ike_config;
    put("ike_config.ike_version", ike.ike_version.clone());
    put("ike_config.ike_mode", ike.ike_mode.clone());
    put("ike_config.ike_enc_alg", ike.ike_enc_alg.clone());
    put("ike_config.ike_auth_alg", ike.ike_auth_alg.clone());
    put("ike_config.ike_pfs", ike.ike_pfs.clone());
    put(
        "ike_config.ike_lifetime",
        ike.ike_lifetime.map(|l| l.to_string()),
    );
    put("ike_config.local_id", ike.local_id.clone());
    put("ike_config.remote_id", ike.remote_id.clone());
    let ipsec = &server.ipsec_config;
    put("ipsec_config.ipsec_enc_alg", ipsec.ipsec_enc_alg.clone());
    put("ipsec_config.ipsec_auth_alg", ipsec.ipsec_auth_alg.clone());
    put("ipsec_config.ipsec_pfs", ipsec.ipsec_pfs.clone());
    put(
        "ipsec_config.ipsec_lifetime",
        ipsec.ipsec_lifetime.map(|l| l.to_string()),
    );
    a
}
