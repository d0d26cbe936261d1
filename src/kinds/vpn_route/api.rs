//! The destination route's calls: `CreateVpnRouteEntry` (with DryRun),
//! `ModifyVpnRouteEntryWeight`, `PublishVpnRouteEntry`, `DeleteVpnRouteEntry` and
//! `DescribeVpnRouteEntries`, sent through the generic [`Client`]. A route is named by
//! its tuple in every call (the API gives it no id). Field names are the official SDK's
//! (alibabacloud_vpc20160428 7.2.2).

// ApiError is the contract type every layer matches on (as in `crate::cloud`).
#![allow(clippy::result_large_err)]

use serde::Deserialize;

use super::KIND;
use crate::cloud::client::decode_body;
use crate::cloud::client::{DESCRIBE_PAGE, client_token};
use crate::cloud::{ApiError, Client};

/// A route's tuple and region: what names it in every call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteKey {
    pub region: String,
    pub vpn_gateway: String,
    pub route_dest: String,
    /// The IPsec connection (`vco-...`).
    pub next_hop: String,
    /// A policy-based route's source (`None` for a destination route).
    pub route_source: Option<String>,
}

/// `CreateVpnRouteEntry`. A dry run sends no token.
#[derive(Debug, Clone, Default)]
pub struct CreateVpnRouteEntry {
    pub key: RouteKey,
    pub weight: u32,
    pub publish_vpc: bool,
    /// A policy-based route's priority (`None` for a destination route).
    pub priority: Option<u32>,
    pub client_token: Option<String>,
    pub dry_run: bool,
}

/// One route as `DescribeVpnRouteEntries` answers it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VpnRoute {
    /// The synthetic id of its tuple ([`super::route_id`]).
    pub id: String,
    pub region: String,
    pub vpn_gateway: String,
    pub route_dest: String,
    pub next_hop: String,
    pub weight: u32,
    pub publish_vpc: bool,
    pub create_time: Option<u64>,
    /// A policy-based route's source and priority (`None` for a destination route).
    pub route_source: Option<String>,
    pub priority: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribePage {
    #[serde(default)]
    vpn_route_entries: RouteList,
    #[serde(default)]
    total_count: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RouteList {
    #[serde(default)]
    vpn_route_entry: Vec<RawRoute>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawRoute {
    #[serde(default)]
    vpn_instance_id: String,
    #[serde(default)]
    route_dest: String,
    #[serde(default)]
    next_hop: String,
    #[serde(default)]
    weight: u32,
    /// `published` or `normal`.
    #[serde(default)]
    state: String,
    #[serde(default)]
    create_time: Option<u64>,
}

/// The tuple's parameters (a policy-based route's `RouteSource` included).
pub(crate) fn key_params(key: &RouteKey) -> Vec<(String, String)> {
    let mut params = vec![
        ("RegionId".to_owned(), key.region.clone()),
        ("VpnGatewayId".to_owned(), key.vpn_gateway.clone()),
        ("RouteDest".to_owned(), key.route_dest.clone()),
        ("NextHop".to_owned(), key.next_hop.clone()),
    ];
    if let Some(source) = &key.route_source {
        params.push(("RouteSource".to_owned(), source.clone()));
    }
    params
}

impl Client {
    /// `CreateVpnRouteEntry`; returns the route's synthetic id. The gateway then
    /// configures. A passed dry run comes back as `Err` with class `DryRunPassed`.
    pub async fn create_vpn_route_entry(
        &self,
        req: &CreateVpnRouteEntry,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.create;
        let mut params = key_params(&req.key);
        params.push(("Weight".to_owned(), req.weight.to_string()));
        params.push(("PublishVpc".to_owned(), req.publish_vpc.to_string()));
        params.push(("DryRun".to_owned(), req.dry_run.to_string()));
        if !req.dry_run {
            params.push(client_token(ACTION, req.client_token.as_deref())?);
        }
        self.call(ACTION, &req.key.region, params).await?;
        Ok(super::route_id(
            &req.key.vpn_gateway,
            &req.key.route_dest,
            &req.key.next_hop,
        ))
    }

    /// `ModifyVpnRouteEntryWeight` from `weight` (the route's now) to `new_weight`
    /// (no DryRun: the API has none); returns the RequestId.
    pub async fn modify_vpn_route_entry_weight(
        &self,
        key: &RouteKey,
        weight: u32,
        new_weight: u32,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.modify[0];
        let mut params = key_params(key);
        params.push(("Weight".to_owned(), weight.to_string()));
        params.push(("NewWeight".to_owned(), new_weight.to_string()));
        params.push(client_token(ACTION, token)?);
        let answer = self.call(ACTION, &key.region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `PublishVpnRouteEntry` of the destination route (`RouteType=dbr`), or of the
    /// policy-based routes of the key's destination and next hop (`RouteType=pbr`: the
    /// call takes no source) (no DryRun); returns the RequestId.
    pub async fn publish_vpn_route_entry(
        &self,
        key: &RouteKey,
        publish_vpc: bool,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.modify[1];
        let policy = key.route_source.is_some();
        let mut params = key_params(&RouteKey {
            route_source: None,
            ..key.clone()
        });
        let route_type = if policy { "pbr" } else { "dbr" };
        params.push(("RouteType".to_owned(), route_type.to_owned()));
        params.push(("PublishVpc".to_owned(), publish_vpc.to_string()));
        params.push(client_token(ACTION, token)?);
        let answer = self.call(ACTION, &key.region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `DeleteVpnRouteEntry` of the route with its current `weight` (no DryRun: the API
    /// has none); returns the RequestId.
    pub async fn delete_vpn_route_entry(
        &self,
        key: &RouteKey,
        weight: u32,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.delete;
        let mut params = key_params(key);
        params.push(("Weight".to_owned(), weight.to_string()));
        params.push(client_token(ACTION, token)?);
        let answer = self.call(ACTION, &key.region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `DescribeVpnRouteEntries` of `vpn_gateway` (`RouteEntryType=custom`: the routes
    /// CreateVpnRouteEntry made), every page, sorted by id.
    pub async fn describe_vpn_route_entries(
        &self,
        region: &str,
        vpn_gateway: &str,
    ) -> Result<Vec<VpnRoute>, ApiError> {
        const ACTION: &str = KIND.calls.list;
        let params = vec![
            ("RegionId".to_owned(), region.to_owned()),
            ("VpnGatewayId".to_owned(), vpn_gateway.to_owned()),
            ("RouteEntryType".to_owned(), "custom".to_owned()),
        ];
        let mut out = self
            .describe_pages(ACTION, region, params, DESCRIBE_PAGE, |answer| {
                let page: DescribePage = decode_body(ACTION, answer)?;
                Ok((
                    page.vpn_route_entries
                        .vpn_route_entry
                        .into_iter()
                        .map(|r| {
                            let gateway = if r.vpn_instance_id.is_empty() {
                                vpn_gateway.to_owned()
                            } else {
                                r.vpn_instance_id
                            };
                            VpnRoute {
                                id: super::route_id(&gateway, &r.route_dest, &r.next_hop),
                                region: region.to_owned(),
                                vpn_gateway: gateway,
                                route_dest: r.route_dest,
                                next_hop: r.next_hop,
                                weight: r.weight,
                                publish_vpc: r.state == "published",
                                create_time: r.create_time,
                                route_source: None,
                                priority: None,
                            }
                        })
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
