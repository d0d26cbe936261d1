//! `CreateCustomerGateway`: the on-premises end of IPsec-VPN connections, an IP address
//! in a region. Synchronous: no gateway lane, no configure time; it exists, and is
//! described, from the answer on.
//!
//! Checks, in order: parameters (`MissingIpAddress`; `InvalidIpAddress.WrongFormat` for
//! an address that is not IPv4; `InvalidName`, `InvalidDescription`; `InvalidParameter`
//! for `Asn` and `AuthKey`), the ClientToken (a repeat with the same parameters gets the
//! first answer, its RequestId and id included, and no second gateway), one customer
//! gateway per IP address in a region (`InvalidIpAddress.AlreadyExist`), 100 per region
//! (`Resource.QuotaFull`). Codes as the API documents them.
//!
//! The API has no `DryRun` here: a `DryRun=true` is a parameter the cloud does not know
//! and ignores, so the call acts.

use std::net::Ipv4Addr;

use serde_json::{Value, json};

use super::customer_gateways::{asn_param, auth_key_param};
use super::{Effect, description_param, name_param, now_millis, record, region, remember, replay};
use crate::sandbox::connections::{
    CUSTOMER_GATEWAY_PREFIX, CUSTOMER_GATEWAYS_PER_REGION, CustomerGateway,
};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let ip_address = req.required("IpAddress")?;
    let client_token = req.client_token()?;
    if ip_address.parse::<Ipv4Addr>().is_err() {
        return Err(ApiError::new(
            400,
            "InvalidIpAddress.WrongFormat",
            "Specified IpAddress is invalid: give an IPv4 address such as 203.0.113.7.",
        ));
    }
    let name = name_param(req, "Name")?;
    let description = description_param(req)?;
    let asn = asn_param(req)?;
    let auth_key = auth_key_param(req)?;

    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }

    let world = inner.live.world();
    let in_region: Vec<(&String, &CustomerGateway)> = world
        .customer_gateways
        .iter()
        .filter(|(_, g)| g.region == region)
        .collect();
    if let Some((existing, _)) = in_region.iter().find(|(_, g)| g.ip_address == ip_address) {
        return Err(ApiError::new(
            400,
            "InvalidIpAddress.AlreadyExist",
            format!(
                "Specified IpAddress is already exist: the customer gateway {existing} has {ip_address} in {region}, and a region holds one customer gateway per IP address."
            ),
        ));
    }
    if in_region.len() >= CUSTOMER_GATEWAYS_PER_REGION {
        return Err(ApiError::new(
            400,
            "Resource.QuotaFull",
            format!(
                "The quota of resource is full: {region} holds {CUSTOMER_GATEWAYS_PER_REGION} customer gateways."
            ),
        ));
    }

    let id = inner.live.next_id(
        CUSTOMER_GATEWAY_PREFIX,
        &format!("sandbox-customer-gateway:{region}"),
    );
    let create_time = now_millis();
    let gateway = CustomerGateway {
        asn,
        name: name.map(str::to_owned),
        description: description.map(str::to_owned),
        auth_key,
        create_time: Some(create_time),
        ..CustomerGateway::new(region, ip_address)
    };
    // The fields of the CreateCustomerGateway response model.
    let answer = json!({
        "RequestId": call.request_id,
        "CustomerGatewayId": id,
        "IpAddress": ip_address,
        "Name": name.unwrap_or_default(),
        "Description": description.unwrap_or_default(),
        "CreateTime": create_time,
    });
    inner
        .live
        .world_mut()
        .customer_gateways
        .insert(id.clone(), gateway);
    record(
        inner,
        call,
        Effect {
            action: "CreateCustomerGateway",
            resource: &id,
            vpn_gateway: "",
            region,
            client_token,
            effect: "created",
            configured_at: call.now,
            gateway_active_since: None,
        },
    );
    remember(inner, client_token, fingerprint, &answer);
    Ok(answer)
}
