//! A customer gateway's plan actions as requests (built from the action alone, so that
//! a resumed operation sends what its intent journaled), and a listed gateway as the
//! attributes the state records.

use std::collections::BTreeMap;

use super::api::{CreateCustomerGateway, CustomerGateway, ModifyCustomerGateway};
use crate::plan::Action;
use crate::secret::Secret;

/// The attributes the state records of a customer gateway, in the text form the plan
/// compares: every non-empty one `DescribeCustomerGateways` answers but the BGP key.
pub(crate) fn attributes(gateway: &CustomerGateway) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            a.insert(k.to_owned(), v);
        }
    };
    put("ip_address", Some(gateway.ip_address.clone()));
    put("asn", gateway.asn.map(|n| n.to_string()));
    put("name", Some(gateway.name.clone()));
    put("description", Some(gateway.description.clone()));
    put("create_time", gateway.create_time.map(|t| t.to_string()));
    a
}

/// `CreateCustomerGateway` for a create (or a replace's create half) with `token`.
pub(crate) fn create_request(
    action: &Action,
    auth_key: Option<Secret>,
    token: String,
) -> CreateCustomerGateway {
    let value = |k: &str| action.attributes.get(k).cloned();
    CreateCustomerGateway {
        region: action.region.clone(),
        ip_address: value("ip_address").unwrap_or_default(),
        asn: value("asn").and_then(|n| n.parse().ok()),
        auth_key,
        name: value("name"),
        description: value("description"),
        client_token: Some(token),
    }
}

/// `ModifyCustomerGatewayAttribute` of an update's changed fields, with `token`.
pub(crate) fn modify_request(
    action: &Action,
    auth_key: Option<Secret>,
    token: String,
) -> ModifyCustomerGateway {
    let changed = |k: &str| {
        action
            .cloud_changes()
            .find(|c| c.field == k)
            .map(|c| c.to.clone())
    };
    ModifyCustomerGateway {
        region: action.region.clone(),
        id: action.id.clone(),
        name: changed("name"),
        description: changed("description"),
        auth_key,
        client_token: Some(token),
    }
}
