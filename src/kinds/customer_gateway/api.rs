//! The customer gateway's calls: `CreateCustomerGateway`,
//! `ModifyCustomerGatewayAttribute`, `DeleteCustomerGateway` and
//! `DescribeCustomerGateways`, sent through the generic [`Client`]. Field names are the
//! official SDK's (alibabacloud_vpc20160428 7.2.2). None takes `DryRun`.

// ApiError is the contract type every layer matches on (as in `crate::cloud`).
#![allow(clippy::result_large_err)]

use serde::Deserialize;

use super::KIND;
use crate::cloud::client::{DESCRIBE_PAGE, client_token, decode_body};
use crate::cloud::{ApiError, Client};
use crate::secret::Secret;

/// `CreateCustomerGateway`: the optional fields are sent when `Some`. The token works as
/// every create's: the same on every retry, made up for the call when `None`.
#[derive(Debug, Clone, Default)]
pub struct CreateCustomerGateway {
    pub region: String,
    pub ip_address: String,
    pub asn: Option<u32>,
    /// The BGP authentication key.
    pub auth_key: Option<Secret>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub client_token: Option<String>,
}

/// `ModifyCustomerGatewayAttribute`: only the fields that are `Some` change.
#[derive(Debug, Clone, Default)]
pub struct ModifyCustomerGateway {
    pub region: String,
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub auth_key: Option<Secret>,
    pub client_token: Option<String>,
}

/// One customer gateway as `DescribeCustomerGateways` answers it. The BGP key goes
/// straight into a [`Secret`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerGateway {
    pub id: String,
    pub region: String,
    pub ip_address: String,
    pub asn: Option<u64>,
    pub name: String,
    pub description: String,
    /// Milliseconds since the epoch, as the API answers it.
    pub create_time: Option<u64>,
    pub auth_key: Option<Secret>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribePage {
    #[serde(default)]
    customer_gateways: GatewayList,
    #[serde(default)]
    total_count: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GatewayList {
    #[serde(default)]
    customer_gateway: Vec<RawCustomerGateway>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawCustomerGateway {
    customer_gateway_id: String,
    #[serde(default)]
    ip_address: String,
    #[serde(default)]
    asn: Option<u64>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    create_time: Option<u64>,
    #[serde(default, deserialize_with = "crate::secret::optional")]
    auth_key: Option<Secret>,
}

impl RawCustomerGateway {
    fn into_gateway(self, region: &str) -> CustomerGateway {
        CustomerGateway {
            id: self.customer_gateway_id,
            region: region.to_owned(),
            ip_address: self.ip_address,
            asn: self.asn,
            name: self.name,
            description: self.description,
            create_time: self.create_time,
            auth_key: self.auth_key,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Created {
    customer_gateway_id: String,
}

impl Client {
    /// `CreateCustomerGateway`; returns the new id. Synchronous: the gateway exists
    /// when the answer arrives. Retries as every call's, with the same token.
    pub async fn create_customer_gateway(
        &self,
        req: &CreateCustomerGateway,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.create;
        let mut params = vec![
            ("RegionId".to_owned(), req.region.clone()),
            ("IpAddress".to_owned(), req.ip_address.clone()),
        ];
        if let Some(asn) = req.asn {
            params.push(("Asn".to_owned(), asn.to_string()));
        }
        push_attributes(
            &mut params,
            req.name.as_deref(),
            req.description.as_deref(),
            req.auth_key.as_ref(),
        );
        params.push(client_token(ACTION, req.client_token.as_deref())?);
        let answer = self.call(ACTION, &req.region, params).await?;
        let created: Created = decode_body(ACTION, &answer)?;
        Ok(created.customer_gateway_id)
    }

    /// `ModifyCustomerGatewayAttribute` with the fields given; returns the RequestId.
    pub async fn modify_customer_gateway(
        &self,
        req: &ModifyCustomerGateway,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.modify[0];
        let mut params = vec![
            ("RegionId".to_owned(), req.region.clone()),
            ("CustomerGatewayId".to_owned(), req.id.clone()),
        ];
        push_attributes(
            &mut params,
            req.name.as_deref(),
            req.description.as_deref(),
            req.auth_key.as_ref(),
        );
        params.push(client_token(ACTION, req.client_token.as_deref())?);
        let answer = self.call(ACTION, &req.region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `DeleteCustomerGateway`; returns the RequestId. Refused while a connection uses
    /// the gateway.
    pub async fn delete_customer_gateway(
        &self,
        region: &str,
        id: &str,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.delete;
        let params = vec![
            ("RegionId".to_owned(), region.to_owned()),
            ("CustomerGatewayId".to_owned(), id.to_owned()),
            client_token(ACTION, token)?,
        ];
        let answer = self.call(ACTION, region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `DescribeCustomerGateways`: every customer gateway of the region (or the one
    /// `id` names), 50 a page, sorted by id.
    pub async fn describe_customer_gateways(
        &self,
        region: &str,
        id: Option<&str>,
    ) -> Result<Vec<CustomerGateway>, ApiError> {
        const ACTION: &str = KIND.calls.list;
        let mut params = vec![("RegionId".to_owned(), region.to_owned())];
        if let Some(id) = id {
            params.push(("CustomerGatewayId".to_owned(), id.to_owned()));
        }
        let mut out = self
            .describe_pages(ACTION, region, params, DESCRIBE_PAGE, |answer| {
                let page: DescribePage = decode_body(ACTION, answer)?;
                let gateways = page.customer_gateways.customer_gateway;
                Ok((
                    gateways
                        .into_iter()
                        .map(|g| g.into_gateway(region))
                        .collect(),
                    page.total_count,
                ))
            })
            .await?;
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }
}

/// The fields a create and a modify share, those given.
fn push_attributes(
    params: &mut Vec<(String, String)>,
    name: Option<&str>,
    description: Option<&str>,
    auth_key: Option<&Secret>,
) {
    if let Some(name) = name {
        params.push(("Name".to_owned(), name.to_owned()));
    }
    if let Some(description) = description {
        params.push(("Description".to_owned(), description.to_owned()));
    }
    if let Some(key) = auth_key {
        // The only place the key leaves its Secret: the signed query, never logged.
        params.push(("AuthKey".to_owned(), key.expose().to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_decodes_with_the_key_kept_secret() {
        let body = br#"{"RequestId":"R","TotalCount":1,"PageNumber":1,"PageSize":50,"CustomerGateways":{"CustomerGateway":[{"CustomerGatewayId":"cgw-1","IpAddress":"203.0.113.7","Asn":65001,"Name":"branch","Description":"","CreateTime":1700000000000,"AuthKey":"bgp-canary"}]}}"#;
        let page: DescribePage = serde_json::from_slice(body).unwrap();
        assert_eq!(page.total_count, Some(1));
        let gateway = page
            .customer_gateways
            .customer_gateway
            .into_iter()
            .next()
            .unwrap()
            .into_gateway("cn-hangzhou");
        assert_eq!(gateway.ip_address, "203.0.113.7");
        assert_eq!(gateway.asn, Some(65001));
        assert_eq!(
            gateway.auth_key.as_ref().map(Secret::expose),
            Some("bgp-canary")
        );
        assert!(!format!("{gateway:?}").contains("bgp-canary"));
    }
}
