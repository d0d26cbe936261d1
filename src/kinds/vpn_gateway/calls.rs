//! A VPN gateway's update as a request, and a described gateway as the attributes the
//! state records.

use std::collections::BTreeMap;

use super::api::{CreateVpnGateway, ModifyVpnGateway};
use crate::cloud::VpnGateway;
use crate::plan::Action;

/// The attributes the state records of a gateway, in the text form the plan compares.
pub(crate) fn attributes(gateway: &VpnGateway) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            a.insert(k.to_owned(), v);
        }
    };
    put("name", Some(gateway.name.clone()));
    put("description", Some(gateway.description.clone()));
    put(
        "auto_propagate",
        gateway.auto_propagate.map(|b| b.to_string()),
    );
    put("bandwidth", Some(gateway.spec.clone()));
    put("charge_type", Some(gateway.charge_type.clone()));
    put("ssl_vpn", Some(gateway.ssl_vpn.clone()));
    put("ipsec_vpn", Some(gateway.ipsec_vpn.clone()));
    put(
        "ssl_connections",
        gateway.ssl_max_connections.map(|n| n.to_string()),
    );
    put("internet_ip", Some(gateway.internet_ip.clone()));
    put("vpc", Some(gateway.vpc_id.clone()));
    put("vswitch", Some(gateway.vswitch.clone()));
    put("dr_vswitch", Some(gateway.dr_vswitch.clone()));
    put("network_type", Some(gateway.network_type.clone()));
    put("vpn_type", Some(gateway.vpn_type.clone()));
    a
}

/// `ModifyVpnGatewayAttribute` of an update's changed fields, with `token`.
pub(crate) fn modify_request(action: &Action, token: String) -> ModifyVpnGateway {
    let changed = |k: &str| {
        action
            .cloud_changes()
            .find(|c| c.field == k)
            .map(|c| c.to.clone())
    };
    ModifyVpnGateway {
        region: action.region.clone(),
        id: action.id.clone(),
        name: changed("name"),
        description: changed("description"),
        auto_propagate: changed("auto_propagate").map(|v| v == "true"),
        client_token: Some(token),
    }
}

/// `CreateVpnGateway` of a create, from the values the desired entry writes (as the
/// state records them: `10M`, `enable`), with `token`.
pub(crate) fn create_request(action: &Action, token: String) -> CreateVpnGateway {
    let value = |k: &str| action.attributes.get(k);
    let switch = |k: &str| value(k).map(|v| v == "enable");
    CreateVpnGateway {
        region: action.region.clone(),
        vpc: value("vpc").cloned().unwrap_or_default(),
        bandwidth: value("bandwidth")
            .and_then(|b| b.trim_end_matches('M').parse().ok())
            .unwrap_or_default(),
        name: value("name").cloned(),
        enable_ssl: switch("ssl_vpn"),
        ssl_connections: value("ssl_connections").and_then(|n| n.parse().ok()),
        enable_ipsec: switch("ipsec_vpn"),
        vswitch: value("vswitch").cloned(),
        dr_vswitch: value("dr_vswitch").cloned(),
        network_type: value("network_type").cloned(),
        vpn_type: value("vpn_type").cloned(),
        client_token: Some(token),
    }
}
