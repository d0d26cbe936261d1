//! What the customer-gateway actions share: a customer gateway found by id, as the
//! response models answer it (`alibabacloud_vpc20160428` 7.2.2,
//! `DescribeCustomerGatewayResponseBody` and
//! `DescribeCustomerGatewaysResponseBodyCustomerGatewaysCustomerGateway`), and the
//! checks of `Asn` and `AuthKey`.

use serde_json::{Value, json};

use crate::sandbox::connections::{
    ALIBABA_ASN, CustomerGateway, DEFAULT_CREATE_TIME, MAX_ASN, check_asn,
};
use crate::sandbox::wire::{ApiError, Request};
use crate::sandbox::world::{DEFAULT_RESOURCE_GROUP, World};
use crate::secret::Secret;

/// The longest `AuthKey`.
const MAX_AUTH_KEY: usize = 64;

/// A customer gateway by id in the region (404
/// `InvalidCustomerGatewayInstanceId.NotFound`).
pub(super) fn find<'w>(
    world: &'w World,
    id: &str,
    region: &str,
) -> Result<&'w CustomerGateway, ApiError> {
    world
        .customer_gateways
        .get(id)
        .filter(|g| g.region == region)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "InvalidCustomerGatewayInstanceId.NotFound",
                format!("The specified customer gateway instance id {id} does not exist."),
            )
        })
}

/// The fields of the Describe models. `Asn` and `AuthKey` only when the gateway has
/// them; the BGP key in clear text, as Alibaba answers it (the client must drop it).
pub(super) fn json(id: &str, g: &CustomerGateway) -> Value {
    let mut answer = json!({
        "CustomerGatewayId": id,
        "IpAddress": g.ip_address,
        "Name": g.name.clone().unwrap_or_default(),
        "Description": g.description.clone().unwrap_or_default(),
        "CreateTime": g.create_time.unwrap_or(DEFAULT_CREATE_TIME),
        "ResourceGroupId": DEFAULT_RESOURCE_GROUP,
        "Tags": { "Tag": [] },
    });
    if let Some(asn) = g.asn {
        answer["Asn"] = asn.into();
    }
    if let Some(key) = &g.auth_key {
        answer["AuthKey"] = key.expose().into();
    }
    answer
}

/// `Asn`: a number, or two 16-bit halves `high.low` (`123.456` is 123 * 65536 + 456),
/// 1 to 4294967295 and not Alibaba Cloud's own 45104.
pub(super) fn asn_param(req: &Request) -> Result<Option<u64>, ApiError> {
    let Some(text) = req.get("Asn") else {
        return Ok(None);
    };
    let usage = || {
        ApiError::invalid(
            "Asn",
            &format!(
                "an ASN is a number from 1 to {MAX_ASN} (or HIGH.LOW, two numbers to 65535), not {ALIBABA_ASN}."
            ),
        )
    };
    let asn = match text.split_once('.') {
        None => text.parse::<u64>().map_err(|_| usage())?,
        Some((high, low)) => {
            let high: u64 = high
                .parse()
                .ok()
                .filter(|h| *h <= 65535)
                .ok_or_else(usage)?;
            let low: u64 = low.parse().ok().filter(|l| *l <= 65535).ok_or_else(usage)?;
            high * 65536 + low
        }
    };
    check_asn(asn).map_err(|_| usage())?;
    Ok(Some(asn))
}

/// `AuthKey`: 1 to 64 ASCII characters without spaces or `?`. Never echoed.
pub(super) fn auth_key_param(req: &Request) -> Result<Option<Secret>, ApiError> {
    match req.get("AuthKey") {
        None => Ok(None),
        Some(key)
            if key.len() > MAX_AUTH_KEY
                || !key.bytes().all(|b| b.is_ascii_graphic() && b != b'?') =>
        {
            Err(ApiError::invalid(
                "AuthKey",
                &format!(
                    "the BGP key is 1 to {MAX_AUTH_KEY} ASCII characters, without spaces or question marks."
                ),
            ))
        }
        Some(key) => Ok(Some(Secret::new(key))),
    }
}
