//! An IPsec connection's plan actions as requests (built from the action alone, the
//! customer gateway's id resolved by the caller when the action names its address),
//! and a listed connection as the attributes the state records.

use std::collections::BTreeMap;

use super::api::{ConnectionSpec, CreateVpnConnection, ModifyVpnConnection, VpnConnection};
use crate::plan::Action;
use crate::secret::Secret;

/// The attributes the state records of a connection, in the text form the plan
/// compares: every non-empty one `DescribeVpnConnections` answers that the entry can
/// write, and its creation time; never a PSK, never the IKE state (it changes with the
/// peer, not with vpnform).
pub(crate) fn attributes(connection: &VpnConnection) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            a.insert(k.to_owned(), v);
        }
    };
    put(
        "customer_gateway",
        Some(connection.customer_gateway.clone()),
    );
    put("name", Some(connection.name.clone()));
    put("local_subnet", Some(connection.local_subnet.clone()));
    put("remote_subnet", Some(connection.remote_subnet.clone()));
    put(
        "effect_immediately",
        Some(connection.effect_immediately.to_string()),
    );
    put("create_time", connection.create_time.map(|t| t.to_string()));
    a
}

/// The fields a create or a modify sends, from `values` (`name`, `local_subnet`, ...).
fn spec<'a>(
    values: impl Iterator<Item = (&'a str, &'a str)>,
    psk: Option<Secret>,
) -> ConnectionSpec {
    let list = |v: &str| Some(v.split(',').map(|b| b.trim().to_owned()).collect());
    let mut spec = ConnectionSpec {
        psk,
        ..ConnectionSpec::default()
    };
    for (field, value) in values {
        match field {
            "name" => spec.name = Some(value.to_owned()),
            "local_subnet" => spec.local_subnet = list(value),
            "remote_subnet" => spec.remote_subnet = list(value),
            "effect_immediately" => spec.effect_immediately = Some(value == "true"),
            // The customer gateway goes on its own; nothing else is written.
            _ => {}
        }
    }
    spec
}

/// `CreateVpnConnection` for a create with the customer gateway's id; `token` is `None`
/// for the DryRun.
pub(crate) fn create_request(
    action: &Action,
    customer_gateway: String,
    psk: Option<Secret>,
    token: Option<String>,
    dry_run: bool,
) -> CreateVpnConnection {
    CreateVpnConnection {
        region: action.region.clone(),
        vpn_gateway: action.vpn_gateway.clone(),
        customer_gateway: Some(customer_gateway),
        spec: spec(
            action
                .attributes
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
            psk,
        ),
        client_token: if dry_run { None } else { token },
        dry_run,
    }
}

/// `ModifyVpnConnectionAttribute` of an update's changed fields (and the key when it
/// changes).
pub(crate) fn modify_request(
    action: &Action,
    psk: Option<Secret>,
    token: String,
) -> ModifyVpnConnection {
    ModifyVpnConnection {
        region: action.region.clone(),
        id: action.id.clone(),
        spec: spec(
            action
                .cloud_changes()
                .map(|c| (c.field.as_str(), c.to.as_str())),
            psk,
        ),
        client_token: Some(token),
    }
}
