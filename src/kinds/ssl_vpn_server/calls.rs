//! An SSL-VPN server's plan actions as requests (built from the action alone, so that
//! a resumed operation sends what its intent journaled), and a listed server as the
//! attributes the state records.

use std::collections::BTreeMap;

use super::api::{CreateSslVpnServer, ModifySslVpnServer, ServerSpec, SslVpnServer};
use crate::plan::Action;

/// The attributes the state records of a server, in the text form the plan compares:
/// every non-empty one `DescribeSslVpnServers` answers that the entry can write, its
/// public address and its creation time.
pub(crate) fn attributes(server: &SslVpnServer) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            a.insert(k.to_owned(), v);
        }
    };
    put("name", Some(server.name.clone()));
    put("client_ip_pool", Some(server.client_ip_pool.clone()));
    put("local_subnet", Some(server.local_subnet.clone()));
    put("proto", Some(server.proto.clone()));
    put("port", server.port.map(|p| p.to_string()));
    put("cipher", Some(server.cipher.clone()));
    put("compress", Some(server.compress.to_string()));
    put("internet_ip", Some(server.internet_ip.clone()));
    put("create_time", server.create_time.map(|t| t.to_string()));
    a
}

/// The fields a create or a modify sends, from `values` (`name`, `port`, ...).
fn spec<'a>(values: impl Iterator<Item = (&'a str, &'a str)>) -> ServerSpec {
    let mut spec = ServerSpec::default();
    for (field, value) in values {
        match field {
            "name" => spec.name = Some(value.to_owned()),
            "client_ip_pool" => spec.client_ip_pool = Some(value.to_owned()),
            "local_subnet" => {
                spec.local_subnet = Some(value.split(',').map(|b| b.trim().to_owned()).collect())
            }
            "proto" => spec.proto = Some(value.to_owned()),
            "port" => spec.port = value.parse().ok(),
            "cipher" => spec.cipher = Some(value.to_owned()),
            "compress" => spec.compress = Some(value == "true"),
            // The gateway goes on its own; nothing else is written.
            _ => {}
        }
    }
    spec
}

/// `CreateSslVpnServer` for a create (or a replace's create half); `token` is `None`
/// for the DryRun.
pub(crate) fn create_request(
    action: &Action,
    token: Option<String>,
    dry_run: bool,
) -> CreateSslVpnServer {
    CreateSslVpnServer {
        region: action.region.clone(),
        vpn_gateway: action.vpn_gateway.clone(),
        spec: spec(
            action
                .attributes
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        ),
        client_token: if dry_run { None } else { token },
        dry_run,
    }
}

/// `ModifySslVpnServer` of an update's changed fields; `token` is `None` for the DryRun.
pub(crate) fn modify_request(
    action: &Action,
    token: Option<String>,
    dry_run: bool,
) -> ModifySslVpnServer {
    ModifySslVpnServer {
        region: action.region.clone(),
        id: action.id.clone(),
        spec: spec(
            action
                .cloud_changes()
                .map(|c| (c.field.as_str(), c.to.as_str())),
        ),
        client_token: if dry_run { None } else { token },
        dry_run,
    }
}
