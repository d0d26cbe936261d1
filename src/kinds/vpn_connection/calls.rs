//! An IPsec connection's plan actions as requests (built from the action alone, its
//! customer gateways' ids resolved by the caller where the action names one by
//! address), and a listed connection as the attributes the state records.
//!
//! A single-tunnel connection records `customer_gateway`; a dual-tunnel one records
//! `tunnels.master.customer_gateway` and `tunnels.slave.customer_gateway`; both record
//! `tunnel_mode` (`single` or `dual`), and a change of any of these replaces it. The one
//! PSK of the entry is each tunnel's.

use std::collections::BTreeMap;

use super::api::{
    ConnectionSpec, CreateVpnConnection, ModifyVpnConnection, TunnelSpec, VpnConnection,
};
use crate::plan::Action;
use crate::secret::Secret;

/// The tunnels' roles, in the order they are sent.
pub(crate) const ROLES: [&str; 2] = ["master", "slave"];

/// The attribute naming the customer gateway of the tunnel of `role`.
pub(crate) fn tunnel_gateway(role: &str) -> String {
    format!("tunnels.{role}.customer_gateway")
}

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
    if connection.tunnels.is_empty() {
        put("tunnel_mode", Some("single".into()));
        put(
            "customer_gateway",
            Some(connection.customer_gateway.clone()),
        );
    } else {
        put("tunnel_mode", Some("dual".into()));
        for tunnel in &connection.tunnels {
            put(
                &tunnel_gateway(&tunnel.role),
                Some(tunnel.customer_gateway.clone()),
            );
        }
    }
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

/// Whether the connection's key (each tunnel's, for a dual-tunnel one) is `key` (a
/// tunnel's own, where `key` holds one per tunnel: [`Secret::per_tunnel`]).
pub(crate) fn holds_key(connection: &VpnConnection, key: &Secret) -> bool {
    if connection.tunnels.is_empty() {
        connection.psk.as_ref() == Some(key)
    } else {
        let (master, slave) = key.per_tunnel();
        connection.tunnels.iter().all(|t| {
            let own = if t.role == "slave" { &slave } else { &master };
            t.psk.as_ref() == Some(own)
        })
    }
}

fn is_dual(action: &Action) -> bool {
    action.attributes.get("tunnel_mode").map(String::as_str) == Some("dual")
}

/// The fields a create or a modify sends, from `values` (`name`, `local_subnet`, ...).
/// A dual-tunnel connection's key goes in its tunnels, not here.
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
            // The customer gateways go on their own; nothing else is written.
            _ => {}
        }
    }
    spec
}

/// The tunnels of a dual-tunnel action, their customer gateways as `resolve` gives
/// them, each with its key (the one key of the entry, or the tunnel's own); `Err` names a reference `resolve` has no id for.
fn tunnels(
    action: &Action,
    resolve: &dyn Fn(&str) -> Option<String>,
    psk: Option<&Secret>,
) -> Result<Vec<TunnelSpec>, String> {
    ROLES
        .iter()
        .map(|role| {
            let named = action
                .attributes
                .get(&tunnel_gateway(role))
                .cloned()
                .unwrap_or_default();
            let (master, slave) = match psk {
                Some(key) => {
                    let (master, slave) = key.per_tunnel();
                    (Some(master), Some(slave))
                }
                None => (None, None),
            };
            Ok(TunnelSpec {
                customer_gateway: resolve(&named).ok_or(named)?,
                role: (*role).to_owned(),
                psk: if *role == "slave" { slave } else { master },
                ..TunnelSpec::default()
            })
        })
        .collect()
}

/// `CreateVpnConnection` for a create, its customer gateways as `resolve` gives them
/// (`Err`: the reference it has no id for); `token` is `None` for the DryRun.
pub(crate) fn create_request(
    action: &Action,
    resolve: &dyn Fn(&str) -> Option<String>,
    psk: Option<Secret>,
    token: Option<String>,
    dry_run: bool,
) -> Result<CreateVpnConnection, String> {
    let values = action
        .attributes
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let (customer_gateway, spec) = if is_dual(action) {
        let mut spec = spec(values, None);
        spec.tunnels = tunnels(action, resolve, psk.as_ref())?;
        (None, spec)
    } else {
        let named = action
            .attributes
            .get("customer_gateway")
            .cloned()
            .unwrap_or_default();
        (Some(resolve(&named).ok_or(named)?), spec(values, psk))
    };
    Ok(CreateVpnConnection {
        region: action.region.clone(),
        vpn_gateway: action.vpn_gateway.clone(),
        customer_gateway,
        spec,
        client_token: if dry_run { None } else { token },
        dry_run,
    })
}

/// `ModifyVpnConnectionAttribute` of an update's changed fields (and the key when it
/// changes: in `IkeConfig`, or each tunnel's for a dual-tunnel connection).
pub(crate) fn modify_request(
    action: &Action,
    psk: Option<Secret>,
    token: String,
) -> ModifyVpnConnection {
    let changes = action
        .cloud_changes()
        .map(|c| (c.field.as_str(), c.to.as_str()));
    let spec = match psk {
        Some(key) if is_dual(action) => {
            let mut spec = spec(changes, None);
            // The recorded customer gateways, by id: an update changes none of them.
            let recorded = |id: &str| Some(id.to_owned());
            spec.tunnels = tunnels(action, &recorded, Some(&key)).unwrap_or_default();
            spec
        }
        psk => spec(changes, psk),
    };
    ModifyVpnConnection {
        region: action.region.clone(),
        id: action.id.clone(),
        spec,
        client_token: Some(token),
    }
}
