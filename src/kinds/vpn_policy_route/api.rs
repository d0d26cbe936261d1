//! The policy-based route's calls: `CreateVpnPbrRouteEntry` (with DryRun),
//! `ModifyVpnPbrRouteEntryWeight`, `ModifyVpnPbrRouteEntryPriority`,
//! `DeleteVpnPbrRouteEntry` and `DescribeVpnPbrRouteEntries` (its publishing is the
//! destination route's `PublishVpnRouteEntry`, `RouteType=pbr`), sent through the generic
//! [`Client`] with the destination route's types: a [`RouteKey`] with a source, a
//! [`VpnRoute`] with a source and a priority. A route is named by its tuple in every
//! call, and a change or a delete gives back its weight and priority. Field names are
//! the official SDK's (alibabacloud_vpc20160428 7.2.2).

// ApiError is the contract type every layer matches on (as in `crate::cloud`).
#![allow(clippy::result_large_err)]

use serde::Deserialize;

use super::KIND;
use crate::cloud::client::decode_body;
use crate::cloud::client::{DESCRIBE_PAGE, client_token};
use crate::cloud::{ApiError, Client};
use crate::kinds::vpn_route::api::{CreateVpnRouteEntry, RouteKey, VpnRoute, key_params};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribePage {
    #[serde(default)]
    vpn_pbr_route_entries: RouteList,
    #[serde(default)]
    total_count: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RouteList {
    #[serde(default)]
    vpn_pbr_route_entry: Vec<RawRoute>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawRoute {
    #[serde(default)]
    vpn_instance_id: String,
    #[serde(default)]
    route_source: String,
    #[serde(default)]
    route_dest: String,
    #[serde(default)]
    next_hop: String,
    #[serde(default)]
    weight: u32,
    #[serde(default)]
    priority: Option<u32>,
    /// `published` or `normal`.
    #[serde(default)]
    state: String,
    #[serde(default)]
    create_time: Option<u64>,
}

/// The tuple, the weight and the priority that name a route in a change or a delete.
fn named(key: &RouteKey, weight: u32, priority: u32) -> Vec<(String, String)> {
    let mut params = key_params(key);
    params.push(("Weight".to_owned(), weight.to_string()));
    params.push(("Priority".to_owned(), priority.to_string()));
    params
}

impl Client {
    /// `CreateVpnRouteEntry`, or `CreateVpnPbrRouteEntry` when the key has a source;
    /// returns the route's synthetic id. A passed dry run comes back as `Err` with class
    /// `DryRunPassed`.
    pub async fn create_route_entry(&self, req: &CreateVpnRouteEntry) -> Result<String, ApiError> {
        let Some(source) = &req.key.route_source else {
            return self.create_vpn_route_entry(req).await;
        };
        const ACTION: &str = KIND.calls.create;
        let mut params = key_params(&req.key);
        params.push(("Weight".to_owned(), req.weight.to_string()));
        params.push((
            "Priority".to_owned(),
            req.priority.unwrap_or(super::DEFAULT_PRIORITY).to_string(),
        ));
        params.push(("PublishVpc".to_owned(), req.publish_vpc.to_string()));
        params.push(("DryRun".to_owned(), req.dry_run.to_string()));
        if !req.dry_run {
            params.push(client_token(ACTION, req.client_token.as_deref())?);
        }
        self.call(ACTION, &req.key.region, params).await?;
        Ok(super::route_id(
            &req.key.vpn_gateway,
            source,
            &req.key.route_dest,
            &req.key.next_hop,
        ))
    }

    /// `ModifyVpnPbrRouteEntryWeight` from `weight` to `new_weight`, the route named by
    /// its tuple, its weight and its `priority` (no DryRun); returns the RequestId.
    pub async fn modify_vpn_pbr_route_entry_weight(
        &self,
        key: &RouteKey,
        (weight, priority): (u32, u32),
        new_weight: u32,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.modify[0];
        let mut params = named(key, weight, priority);
        params.push(("NewWeight".to_owned(), new_weight.to_string()));
        params.push(client_token(ACTION, token)?);
        let answer = self.call(ACTION, &key.region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `ModifyVpnPbrRouteEntryPriority` from `priority` to `new_priority`, the route
    /// named by its tuple, its `weight` and its priority (no DryRun); returns the
    /// RequestId.
    pub async fn modify_vpn_pbr_route_entry_priority(
        &self,
        key: &RouteKey,
        (weight, priority): (u32, u32),
        new_priority: u32,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.modify[1];
        let mut params = named(key, weight, priority);
        params.push(("NewPriority".to_owned(), new_priority.to_string()));
        params.push(client_token(ACTION, token)?);
        let answer = self.call(ACTION, &key.region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `DeleteVpnRouteEntry` of a destination route (its `weight`), or
    /// `DeleteVpnPbrRouteEntry` of a policy-based one (its weight and `priority`) (no
    /// DryRun); returns the RequestId.
    pub async fn delete_route_entry(
        &self,
        key: &RouteKey,
        weight: u32,
        priority: Option<u32>,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        if key.route_source.is_none() {
            return self.delete_vpn_route_entry(key, weight, token).await;
        }
        const ACTION: &str = KIND.calls.delete;
        let mut params = named(key, weight, priority.unwrap_or(super::DEFAULT_PRIORITY));
        params.push(client_token(ACTION, token)?);
        let answer = self.call(ACTION, &key.region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// The routes of `vpn_gateway` of one kind: `DescribeVpnPbrRouteEntries` when
    /// `policy`, `DescribeVpnRouteEntries` otherwise; every page, sorted by id.
    pub async fn describe_route_entries(
        &self,
        policy: bool,
        region: &str,
        vpn_gateway: &str,
    ) -> Result<Vec<VpnRoute>, ApiError> {
        if policy {
            self.describe_vpn_pbr_route_entries(region, vpn_gateway)
                .await
        } else {
            self.describe_vpn_route_entries(region, vpn_gateway).await
        }
    }

    /// `DescribeVpnPbrRouteEntries` of `vpn_gateway`, every page, sorted by id.
    pub async fn describe_vpn_pbr_route_entries(
        &self,
        region: &str,
        vpn_gateway: &str,
    ) -> Result<Vec<VpnRoute>, ApiError> {
        const ACTION: &str = KIND.calls.list;
        let params = vec![
            ("RegionId".to_owned(), region.to_owned()),
            ("VpnGatewayId".to_owned(), vpn_gateway.to_owned()),
        ];
        let mut out = self
            .describe_pages(ACTION, region, params, DESCRIBE_PAGE, |answer| {
                let page: DescribePage = decode_body(ACTION, answer)?;
                Ok((
                    page.vpn_pbr_route_entries
                        .vpn_pbr_route_entry
                        .into_iter()
                        .map(|r| {
                            let gateway = if r.vpn_instance_id.is_empty() {
                                vpn_gateway.to_owned()
                            } else {
                                r.vpn_instance_id
                            };
                            VpnRoute {
                                id: super::route_id(
                                    &gateway,
                                    &r.route_source,
                                    &r.route_dest,
                                    &r.next_hop,
                                ),
                                region: region.to_owned(),
                                vpn_gateway: gateway,
                                route_dest: r.route_dest,
                                next_hop: r.next_hop,
                                weight: r.weight,
                                publish_vpc: r.state == "published",
                                create_time: r.create_time,
                                route_source: Some(r.route_source),
                                priority: Some(r.priority.unwrap_or(super::DEFAULT_PRIORITY)),
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
