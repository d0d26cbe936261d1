//! The sandbox's VPN-gateway family, part 2, over real HTTP: destination and
//! policy-based routes, SSL-VPN servers and their client certificates, and a gateway's
//! own create and delete, with requests signed by the crate's signer to a sandbox on
//! 127.0.0.1:0. Every answer's fields as the official SDK models name them, the codes
//! (refusals compared whole), the gateway's lane (configure time, lags, busy answers),
//! DryRun on the four calls that have it and acting on every other, ClientToken
//! replays, certificate material kept out of the logs, the world file's rules; and the
//! official Python SDK through `sandbox serve` (tests/sdk/family2.py).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vpnform::sandbox::{self, Faults, Injection, RateLimits, Sandbox, SandboxConfig, World};

use crate::sandbox::Client;
use crate::sandbox_family::{
    LONG, MEDIUM, REGION, SHORT, call, keys, ok, refused, run_sdk, start, start_with, status,
    wait_active, world_refused,
};
use crate::support::configuring;

/// `vpn-a` holding the connections `vco-a` (of `cgw-a`) and `vco-b` (of `cgw-b`);
/// `vpn-b` holding `vco-c`; `vpn-ssl` holding the SSL-VPN server `vss-a` with the
/// certificates `vsc-a` and `vsc-b`; `vpn-free` (nothing on it), `vpn-nossl` (SSL-VPN
/// disabled), `vpn-srv` (the IPsec server `iss-srv`), `vpn-prepay` (a subscription).
fn world() -> World {
    let mut w = World::default();
    w.add_gateway("vpn-a", REGION).internet_ip = Some("47.98.1.1".into());
    w.add_gateway("vpn-b", REGION);
    w.add_gateway("vpn-ssl", REGION).internet_ip = Some("47.98.3.3".into());
    w.add_gateway("vpn-free", REGION);
    w.add_gateway("vpn-nossl", REGION).ssl_vpn = "disable".into();
    w.add_server("iss-srv", "vpn-srv", REGION);
    w.add_gateway("vpn-prepay", REGION).charge_type = "Prepay".into();
    w.add_customer_gateway("cgw-a", REGION, "203.0.113.1");
    w.add_customer_gateway("cgw-b", REGION, "203.0.113.2");
    w.add_connection("vco-a", "vpn-a", "cgw-a");
    w.add_connection("vco-b", "vpn-a", "cgw-b");
    w.add_connection("vco-c", "vpn-b", "cgw-a");
    let server = w.add_ssl_server("vss-a", "vpn-ssl", "10.30.0.0/16", "10.0.0.0/16");
    server.name = Some("staff".into());
    w.add_client_cert("vsc-a", "vss-a").name = Some("alice".into());
    w.add_client_cert("vsc-b", "vss-a").name = Some("bob".into());
    w.check().unwrap();
    w
}

/// The destination route of `vpn-a` to `dest` through `next_hop`, as a create sends it.
fn route(dest: &str, next_hop: &str) -> Params {
    vec![
        ("VpnGatewayId", "vpn-a".to_owned()),
        ("RouteDest", dest.to_owned()),
        ("NextHop", next_hop.to_owned()),
        ("Weight", "100".to_owned()),
        ("PublishVpc", "true".to_owned()),
    ]
}

/// `params` with `extra` set (replacing a parameter of the same name).
fn with(mut params: Params, extra: &[(&'static str, &str)]) -> Params {
    for (k, v) in extra {
        params.retain(|(p, _)| p != k);
        params.push((k, (*v).to_owned()));
    }
    params
}

/// A call's parameters, owned.
type Params = Vec<(&'static str, String)>;

/// An error answer's status, code and message.
type Refusal<'a> = (u16, &'a str, &'a str);

/// Parameters as [`send`] takes them.
fn owned(params: &[(&'static str, &str)]) -> Params {
    params.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

async fn send(c: &Client, action: &str, params: &[(&str, String)]) -> crate::sandbox::Reply {
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    call(c, action, &borrowed).await
}

/// The routes DescribeVpnRouteEntries lists on `gateway`.
async fn routes(c: &Client, gateway: &str) -> Vec<Value> {
    let r = call(c, "DescribeVpnRouteEntries", &[("VpnGatewayId", gateway)]).await;
    ok(&r)["VpnRouteEntries"]["VpnRouteEntry"]
        .as_array()
        .unwrap()
        .clone()
}

async fn policy_routes(c: &Client, gateway: &str) -> Vec<Value> {
    let r = call(
        c,
        "DescribeVpnPbrRouteEntries",
        &[("VpnGatewayId", gateway)],
    )
    .await;
    ok(&r)["VpnPbrRouteEntries"]["VpnPbrRouteEntry"]
        .as_array()
        .unwrap()
        .clone()
}

/// The ids DescribeSslVpnClientCerts lists of `server`.
async fn certs(c: &Client, server: &str) -> Vec<String> {
    let r = call(
        c,
        "DescribeSslVpnClientCerts",
        &[("SslVpnServerId", server)],
    )
    .await;
    ok(&r)["SslVpnClientCertKeys"]["SslVpnClientCertKey"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["SslVpnClientCertId"].as_str().unwrap().to_owned())
        .collect()
}

async fn wait_status(c: &Client, gateway: &str, wanted: &str) {
    let start = Instant::now();
    while status(c, gateway).await != wanted {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{gateway} never {wanted}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until DescribeVpnGateway no longer finds `gateway`.
async fn wait_gone(c: &Client, gateway: &str) {
    let start = Instant::now();
    while call(c, "DescribeVpnGateway", &[("VpnGatewayId", gateway)])
        .await
        .status
        != 404
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{gateway} never gone"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every audit entry as `(action, resource, vpn_gateway, effect)`.
fn effects(sb: &Sandbox) -> Vec<(String, String, String, String)> {
    sb.audit()
        .into_iter()
        .map(|e| (e.action, e.resource, e.vpn_gateway, e.effect))
        .collect()
}

fn effect(
    action: &str,
    resource: &str,
    gateway: &str,
    what: &str,
) -> (String, String, String, String) {
    (
        action.to_owned(),
        resource.to_owned(),
        gateway.to_owned(),
        what.to_owned(),
    )
}

// ---------------------------------------------------------------------------------------
// Destination routes.

#[tokio::test]
async fn a_destination_route_is_created_reweighted_published_and_deleted_on_the_lane() {
    let (sb, _wire, c) = start(world(), MEDIUM).await;
    let create = with(
        route("192.168.0.0/24", "vco-a"),
        &[("Description", "to the branch"), ("ClientToken", "route-1")],
    );
    let r = send(&c, "CreateVpnRouteEntry", &create).await;
    let created = ok(&r).clone();
    assert_eq!(
        keys(&created),
        [
            "CreateTime",
            "Description",
            "NextHop",
            "OverlayMode",
            "RequestId",
            "RouteDest",
            "State",
            "VpnInstanceId",
            "Weight"
        ]
    );
    assert_eq!(
        (
            &created["VpnInstanceId"],
            &created["RouteDest"],
            &created["NextHop"],
            &created["Weight"],
            &created["State"],
            &created["Description"],
            &created["OverlayMode"]
        ),
        (
            &json!("vpn-a"),
            &json!("192.168.0.0/24"),
            &json!("vco-a"),
            &json!(100),
            &json!("published"),
            &json!("to the branch"),
            &json!("Ipsec")
        )
    );
    assert!(created["CreateTime"].as_u64().unwrap() > 1_700_000_000_000);

    // On the lane: the gateway configures, the route is listed meanwhile.
    assert_eq!(status(&c, "vpn-a").await, "updating");
    let listed = routes(&c, "vpn-a").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        keys(&listed[0]),
        [
            "CreateTime",
            "NextHop",
            "RouteDest",
            "RouteEntryType",
            "State",
            "VpnInstanceId",
            "Weight"
        ]
    );
    assert_eq!(
        listed[0],
        json!({
            "VpnInstanceId": "vpn-a", "RouteDest": "192.168.0.0/24", "NextHop": "vco-a",
            "Weight": 100, "State": "published", "RouteEntryType": "custom",
            "CreateTime": created["CreateTime"],
        })
    );
    // A call on the route itself names the route; another create names the gateway.
    let reweigh = route("192.168.0.0/24", "vco-a");
    let r = send(
        &c,
        "ModifyVpnRouteEntryWeight",
        &with(reweigh.clone(), &[("NewWeight", "0")]),
    )
    .await;
    assert_eq!(
        refused(&r),
        (
            400,
            "VpnRouteEntry.Configuring",
            "The specified route entry 192.168.0.0/24 via vco-a is being configured. Try again later."
        )
    );
    let r = send(&c, "CreateVpnRouteEntry", &route("192.168.1.0/24", "vco-b")).await;
    assert_eq!(
        refused(&r),
        (
            400,
            "VpnGateway.Configuring",
            "The specified VPN gateway is being configured. Try again later."
        )
    );
    // The same token and parameters: the first answer, no second route.
    let r = send(&c, "CreateVpnRouteEntry", &create).await;
    assert_eq!(ok(&r), &created);
    wait_active(&c, "vpn-a").await;

    // The weight changes from the route's own (another names no route).
    let r = send(
        &c,
        "ModifyVpnRouteEntryWeight",
        &with(reweigh.clone(), &[("Weight", "0"), ("NewWeight", "100")]),
    )
    .await;
    assert_eq!(
        refused(&r),
        (
            400,
            "InvalidRouteEntry.NotFound",
            "The specified route entry does not exist: the VPN gateway vpn-a has no vpn route 192.168.0.0/24 via vco-a with the weight (and priority) given."
        )
    );
    let r = send(
        &c,
        "ModifyVpnRouteEntryWeight",
        &with(reweigh.clone(), &[("NewWeight", "0")]),
    )
    .await;
    assert_eq!(keys(ok(&r)), ["RequestId"]);
    assert_eq!(status(&c, "vpn-a").await, "updating");
    assert_eq!(
        routes(&c, "vpn-a").await[0]["Weight"],
        100,
        "until configured"
    );
    wait_active(&c, "vpn-a").await;
    assert_eq!(routes(&c, "vpn-a").await[0]["Weight"], 0);

    // Withdrawn from the VPC's route table.
    let publish = [
        ("VpnGatewayId", "vpn-a"),
        ("RouteDest", "192.168.0.0/24"),
        ("NextHop", "vco-a"),
        ("RouteType", "dbr"),
        ("PublishVpc", "false"),
    ];
    let r = call(&c, "PublishVpnRouteEntry", &publish).await;
    assert_eq!(keys(ok(&r)), ["RequestId"]);
    wait_active(&c, "vpn-a").await;
    assert_eq!(routes(&c, "vpn-a").await[0]["State"], "normal");
    let r = call(
        &c,
        "PublishVpnRouteEntry",
        &[
            ("VpnGatewayId", "vpn-a"),
            ("RouteDest", "192.168.9.0/24"),
            ("NextHop", "vco-a"),
            ("RouteType", "dbr"),
            ("PublishVpc", "true"),
        ],
    )
    .await;
    assert_eq!(r.code(), "InvalidRouteEntry.NotFound");

    // The delete gives the weight back.
    let delete = with(reweigh.clone(), &[("Weight", "0")]);
    let r = send(
        &c,
        "DeleteVpnRouteEntry",
        &with(delete.clone(), &[("Weight", "100")]),
    )
    .await;
    assert_eq!(r.code(), "InvalidRouteEntry.NotFound");
    let r = send(&c, "DeleteVpnRouteEntry", &delete).await;
    assert_eq!(keys(ok(&r)), ["RequestId"]);
    assert_eq!(routes(&c, "vpn-a").await.len(), 1, "until configured");
    wait_active(&c, "vpn-a").await;
    assert!(routes(&c, "vpn-a").await.is_empty());
    assert!(sb.world().vpn_routes.is_empty());

    let key = "vpn-a:vco-a:192.168.0.0/24";
    assert_eq!(
        effects(&sb),
        [
            effect("CreateVpnRouteEntry", key, "vpn-a", "created"),
            effect("ModifyVpnRouteEntryWeight", key, "vpn-a", "updated"),
            effect("PublishVpnRouteEntry", key, "vpn-a", "updated"),
            effect("DeleteVpnRouteEntry", key, "vpn-a", "deleted"),
        ]
    );
    let audit = sb.audit();
    assert_eq!(audit[0].client_token.as_deref(), Some("route-1"));
    assert!(audit.iter().all(|e| e.time < e.configured_at), "{audit:?}");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_destination_route_is_refused_with_the_documented_codes() {
    let mut w = world();
    for i in 0..20 {
        w.add_route("vpn-b", &format!("192.168.{i}.0/24"), "vco-c");
    }
    w.check().unwrap();
    let (sb, _wire, c) = start(w, LONG).await;
    let cases = [
        (
            route("192.168.0.0/24", "vco-c"),
            (
                400,
                "InvalidNextHop.NotFound",
                "Specified next hop does not exist: vco-c is not an IPsec-VPN connection of the VPN gateway vpn-a.",
            ),
        ),
        (
            with(
                route("192.168.0.0/24", "vco-c"),
                &[("VpnGatewayId", "vpn-b")],
            ),
            (
                400,
                "InvalidRouteEntry.Duplicate",
                "The route entry already exist: the VPN gateway vpn-b has the vpn route 192.168.0.0/24 via vco-c.",
            ),
        ),
        (
            with(
                route("192.168.99.0/24", "vco-c"),
                &[("VpnGatewayId", "vpn-b")],
            ),
            (
                400,
                "Resource.QuotaFull",
                "The quota of resource is full: the VPN gateway vpn-b holds 20 destination routes.",
            ),
        ),
        (
            with(
                route("192.168.0.0/24", "vco-a"),
                &[("VpnGatewayId", "vpn-zz")],
            ),
            (
                404,
                "InvalidVpnGatewayInstanceId.NotFound",
                "The specified VpnGatewayId vpn-zz does not exist.",
            ),
        ),
        (
            with(route("192.168.0.0/24", "vco-a"), &[("Weight", "50")]),
            (
                400,
                "InvalidParameter",
                "The specified parameter \"Weight\" is not valid: a weight is 0 (standby) or 100 (active).",
            ),
        ),
        (
            route("192.168.0.1/24", "vco-a"),
            (
                400,
                "InvalidParameter",
                "The specified parameter \"RouteDest\" is not valid: `192.168.0.1/24` has host bits set: write the network address 192.168.0.0/24.",
            ),
        ),
        (
            route("192.168.0.0/24", "vco-a")
                .into_iter()
                .filter(|(k, _)| *k != "PublishVpc")
                .collect(),
            (
                400,
                "MissingPublishVpc",
                "PublishVpc is mandatory for this action.",
            ),
        ),
    ];
    for (params, expected) in cases {
        let r = send(&c, "CreateVpnRouteEntry", &params).await;
        assert_eq!(refused(&r), expected, "{params:?}");
    }
    // A connection is not deleted while a route goes through it (the sandbox's code).
    let r = call(&c, "DeleteVpnConnection", &[("VpnConnectionId", "vco-c")]).await;
    assert_eq!(
        refused(&r),
        (
            400,
            "DependencyViolation.VpnRouteEntry",
            "The IPsec-VPN connection vco-c is the next hop of the route 192.168.0.0/24 via vco-c of the VPN gateway vpn-b: delete the route first."
        )
    );
    // A destination route's quota is not a policy-based route's.
    let r = call(
        &c,
        "CreateVpnPbrRouteEntry",
        &[
            ("VpnGatewayId", "vpn-b"),
            ("RouteSource", "10.0.0.0/16"),
            ("RouteDest", "192.168.99.0/24"),
            ("NextHop", "vco-c"),
            ("Weight", "0"),
            ("PublishVpc", "false"),
        ],
    )
    .await;
    ok(&r);
    assert_eq!(effects(&sb).len(), 1);
    sb.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Policy-based routes.

#[tokio::test]
async fn a_policy_route_changes_weight_and_priority_in_place() {
    let (sb, _wire, c) = start(world(), SHORT).await;
    let tuple = [
        ("VpnGatewayId", "vpn-a"),
        ("RouteSource", "10.0.0.0/16"),
        ("RouteDest", "192.168.20.0/24"),
        ("NextHop", "vco-b"),
    ];
    let mut create = tuple.to_vec();
    create.extend([("Weight", "0"), ("PublishVpc", "false"), ("Priority", "30")]);
    let r = call(&c, "CreateVpnPbrRouteEntry", &create).await;
    let created = ok(&r).clone();
    assert_eq!(
        keys(&created),
        [
            "CreateTime",
            "Description",
            "NextHop",
            "OverlayMode",
            "Priority",
            "RequestId",
            "RouteDest",
            "RouteSource",
            "State",
            "VpnInstanceId",
            "Weight"
        ]
    );
    wait_active(&c, "vpn-a").await;
    let listed = policy_routes(&c, "vpn-a").await;
    assert_eq!(
        listed,
        [json!({
            "VpnInstanceId": "vpn-a", "RouteSource": "10.0.0.0/16",
            "RouteDest": "192.168.20.0/24", "NextHop": "vco-b", "Weight": 0, "Priority": 30,
            "State": "normal", "CreateTime": created["CreateTime"],
        })]
    );
    // Given, the priority names the route too.
    let mut reweigh = tuple.to_vec();
    reweigh.extend([("Weight", "0"), ("NewWeight", "100"), ("Priority", "10")]);
    let r = call(&c, "ModifyVpnPbrRouteEntryWeight", &reweigh).await;
    assert_eq!(
        refused(&r),
        (
            400,
            "InvalidRouteEntry.NotFound",
            "The specified route entry does not exist: the VPN gateway vpn-a has no vpn policy route from 10.0.0.0/16 to 192.168.20.0/24 via vco-b with the weight (and priority) given."
        )
    );
    reweigh.retain(|(k, _)| *k != "Priority");
    ok(&call(&c, "ModifyVpnPbrRouteEntryWeight", &reweigh).await);
    wait_active(&c, "vpn-a").await;
    let mut reprioritize = tuple.to_vec();
    reprioritize.extend([("Weight", "100"), ("Priority", "30"), ("NewPriority", "5")]);
    ok(&call(&c, "ModifyVpnPbrRouteEntryPriority", &reprioritize).await);
    wait_active(&c, "vpn-a").await;
    let r = call(
        &c,
        "PublishVpnRouteEntry",
        &[
            ("VpnGatewayId", "vpn-a"),
            ("RouteDest", "192.168.20.0/24"),
            ("NextHop", "vco-b"),
            ("RouteType", "pbr"),
            ("PublishVpc", "true"),
        ],
    )
    .await;
    ok(&r);
    wait_active(&c, "vpn-a").await;
    let now = &policy_routes(&c, "vpn-a").await[0];
    assert_eq!(
        (&now["Weight"], &now["Priority"], &now["State"]),
        (&json!(100), &json!(5), &json!("published"))
    );
    let r = call(
        &c,
        "ModifyVpnPbrRouteEntryPriority",
        &[
            tuple.as_slice(),
            &[("Weight", "100"), ("NewPriority", "101")],
        ]
        .concat(),
    )
    .await;
    assert_eq!(
        refused(&r),
        (
            400,
            "InvalidParameter",
            "The specified parameter \"NewPriority\" is not valid: expected an integer from 1 to 100."
        )
    );
    let mut delete = tuple.to_vec();
    delete.extend([("Weight", "100"), ("Priority", "5")]);
    ok(&call(&c, "DeleteVpnPbrRouteEntry", &delete).await);
    wait_active(&c, "vpn-a").await;
    assert!(policy_routes(&c, "vpn-a").await.is_empty());
    let key = "vpn-a:vco-b:10.0.0.0/16:192.168.20.0/24";
    assert_eq!(
        effects(&sb),
        [
            effect("CreateVpnPbrRouteEntry", key, "vpn-a", "created"),
            effect("ModifyVpnPbrRouteEntryWeight", key, "vpn-a", "updated"),
            effect("ModifyVpnPbrRouteEntryPriority", key, "vpn-a", "updated"),
            effect("PublishVpnRouteEntry", key, "vpn-a", "updated"),
            effect("DeleteVpnPbrRouteEntry", key, "vpn-a", "deleted"),
        ]
    );
    sb.shutdown().await;
}

/// `--status-lag` and `--list-lag` apply to routes as to connections.
#[tokio::test]
async fn a_route_under_status_and_list_lags_shows_late() {
    let config = SandboxConfig {
        status_lag: Duration::from_millis(500),
        list_lag: Duration::from_millis(500),
        ..configuring(SHORT)
    };
    let (sb, _wire, c) = start_with(config, world()).await;
    ok(&send(&c, "CreateVpnRouteEntry", &route("192.168.0.0/24", "vco-a")).await);
    assert_eq!(status(&c, "vpn-a").await, "active", "the status lag");
    let r = send(&c, "CreateVpnRouteEntry", &route("192.168.1.0/24", "vco-b")).await;
    assert_eq!(r.code(), "VpnTask.CONFLICT");
    wait_status(&c, "vpn-a", "updating").await;
    wait_active(&c, "vpn-a").await;
    assert!(routes(&c, "vpn-a").await.is_empty(), "the list lag");
    let start = Instant::now();
    while routes(&c, "vpn-a").await.is_empty() {
        assert!(start.elapsed() < Duration::from_secs(5), "never listed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sb.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// SSL-VPN servers and client certificates.

fn ssl_server(gateway: &str) -> Params {
    vec![
        ("VpnGatewayId", gateway.to_owned()),
        ("ClientIpPool", "10.40.0.0/16".to_owned()),
        ("LocalSubnet", "10.0.0.0/16,10.1.0.0/16".to_owned()),
        ("Name", "staff".to_owned()),
        ("Proto", "UDP".to_owned()),
        ("Port", "1195".to_owned()),
        ("Cipher", "AES-256-CBC".to_owned()),
        ("Compress", "true".to_owned()),
    ]
}

#[tokio::test]
async fn an_ssl_vpn_server_is_created_described_modified_and_deleted_with_its_certificates() {
    let (sb, _wire, c) = start(world(), MEDIUM).await;
    let r = send(
        &c,
        "CreateSslVpnServer",
        &with(ssl_server("vpn-free"), &[("ClientToken", "vss-1")]),
    )
    .await;
    let created = ok(&r).clone();
    assert_eq!(keys(&created), ["Name", "RequestId", "SslVpnServerId"]);
    let id = created["SslVpnServerId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("vss-sbx"), "{id}");
    assert_eq!(status(&c, "vpn-free").await, "updating");
    let r = call(&c, "DescribeSslVpnServers", &[("VpnGatewayId", "vpn-free")]).await;
    let page = ok(&r);
    assert_eq!(
        keys(page),
        [
            "PageNumber",
            "PageSize",
            "RequestId",
            "SslVpnServers",
            "TotalCount"
        ]
    );
    let described = &page["SslVpnServers"]["SslVpnServer"][0];
    assert_eq!(
        described,
        &json!({
            "SslVpnServerId": id, "VpnGatewayId": "vpn-free", "RegionId": REGION,
            "Name": "staff", "ClientIpPool": "10.40.0.0/16",
            "LocalSubnet": "10.0.0.0/16,10.1.0.0/16", "Proto": "UDP", "Port": 1195,
            "Cipher": "AES-256-CBC", "Compress": true, "Connections": 0, "MaxConnections": 5,
            "InternetIp": "198.51.100.10", "CreateTime": described["CreateTime"],
            "EnableMultiFactorAuth": false, "ResourceGroupId": "rg-sandbox",
        })
    );
    // A certificate of a server still configuring meets its gateway busy.
    let r = call(&c, "CreateSslVpnClientCert", &[("SslVpnServerId", &id)]).await;
    assert_eq!(r.code(), "VpnGateway.Configuring");
    let r = send(
        &c,
        "CreateSslVpnServer",
        &with(ssl_server("vpn-free"), &[("ClientToken", "vss-1")]),
    )
    .await;
    assert_eq!(ok(&r), &created, "a replay");
    wait_active(&c, "vpn-free").await;

    // A rename is synchronous; another change configures, answered as it will be.
    let r = call(
        &c,
        "ModifySslVpnServer",
        &[("SslVpnServerId", &id), ("Name", "renamed")],
    )
    .await;
    let modified = ok(&r).clone();
    assert_eq!(
        keys(&modified),
        [
            "Cipher",
            "ClientIpPool",
            "Compress",
            "Connections",
            "CreateTime",
            "EnableMultiFactorAuth",
            "InternetIp",
            "LocalSubnet",
            "MaxConnections",
            "Name",
            "Port",
            "Proto",
            "RegionId",
            "RequestId",
            "ResourceGroupId",
            "SslVpnServerId",
            "VpnGatewayId"
        ]
    );
    assert_eq!(status(&c, "vpn-free").await, "active");
    let r = call(
        &c,
        "ModifySslVpnServer",
        &[("SslVpnServerId", &id), ("Port", "1196"), ("Proto", "TCP")],
    )
    .await;
    assert_eq!(
        (&ok(&r)["Port"], &ok(&r)["Proto"], &ok(&r)["Name"]),
        (&json!(1196), &json!("TCP"), &json!("renamed"))
    );
    assert_eq!(status(&c, "vpn-free").await, "updating");
    wait_active(&c, "vpn-free").await;

    // Two certificates on the lane, one after the other.
    let mut issued = Vec::new();
    for name in ["carol", "dave"] {
        let r = call(
            &c,
            "CreateSslVpnClientCert",
            &[("SslVpnServerId", &id), ("Name", name)],
        )
        .await;
        let answer = ok(&r).clone();
        assert_eq!(keys(&answer), ["Name", "RequestId", "SslVpnClientCertId"]);
        assert_eq!(answer["Name"], name);
        issued.push(answer["SslVpnClientCertId"].as_str().unwrap().to_owned());
        wait_active(&c, "vpn-free").await;
    }
    assert!(
        issued.iter().all(|i| i.starts_with("vsc-sbx")),
        "{issued:?}"
    );
    let mut sorted = issued.clone();
    sorted.sort();
    assert_eq!(certs(&c, &id).await, sorted);
    let r = call(
        &c,
        "ModifySslVpnClientCert",
        &[("SslVpnClientCertId", &issued[0]), ("Name", "carol-laptop")],
    )
    .await;
    assert_eq!(
        ok(&r),
        &json!({"RequestId": ok(&r)["RequestId"], "SslVpnClientCertId": issued[0], "Name": "carol-laptop"})
    );
    ok(&call(
        &c,
        "DeleteSslVpnClientCert",
        &[("SslVpnClientCertId", &issued[1])],
    )
    .await);
    assert_eq!(certs(&c, &id).await.len(), 2, "until configured");
    wait_active(&c, "vpn-free").await;
    assert_eq!(certs(&c, &id).await, [issued[0].clone()]);

    // The server goes, and its certificates with it.
    ok(&call(&c, "DeleteSslVpnServer", &[("SslVpnServerId", &id)]).await);
    assert_eq!(certs(&c, &id).await.len(), 1, "until configured");
    wait_active(&c, "vpn-free").await;
    assert!(certs(&c, &id).await.is_empty());
    let r = call(
        &c,
        "DescribeSslVpnClientCert",
        &[("SslVpnClientCertId", &issued[0])],
    )
    .await;
    assert_eq!(
        refused(&r),
        (
            404,
            "InvalidSslVpnClientCertId.NotFound",
            format!(
                "The specified SSL-VPN client certificate {} does not exist.",
                issued[0]
            )
            .as_str()
        )
    );
    let world = sb.world();
    assert!(!world.ssl_vpn_servers.contains_key(&id));
    assert_eq!(
        world.ssl_vpn_client_certs.keys().collect::<Vec<_>>(),
        ["vsc-a", "vsc-b"],
        "the other server's"
    );
    assert_eq!(
        effects(&sb),
        [
            effect("CreateSslVpnServer", &id, "vpn-free", "created"),
            effect("ModifySslVpnServer", &id, "vpn-free", "updated"),
            effect("ModifySslVpnServer", &id, "vpn-free", "updated"),
            effect("CreateSslVpnClientCert", &issued[0], "vpn-free", "created"),
            effect("CreateSslVpnClientCert", &issued[1], "vpn-free", "created"),
            effect("ModifySslVpnClientCert", &issued[0], "vpn-free", "updated"),
            effect("DeleteSslVpnClientCert", &issued[1], "vpn-free", "deleted"),
            effect("DeleteSslVpnServer", &id, "vpn-free", "deleted"),
            effect("DeleteSslVpnServer", &issued[0], "vpn-free", "deleted"),
        ]
    );
    let audit = sb.audit();
    assert_eq!(
        audit[1].configured_at, audit[1].time,
        "a rename is synchronous"
    );
    assert_eq!(audit[7].configured_at, audit[8].configured_at);
    sb.shutdown().await;
}

#[tokio::test]
async fn an_ssl_vpn_server_is_refused_with_the_documented_codes() {
    let mut w = world();
    w.add_gateway("vpn-full", REGION).route_entries = 200;
    let (sb, _wire, c) = start(w, LONG).await;
    let cases = [
        (
            ssl_server("vpn-nossl"),
            (
                400,
                "VpnGateway.SslVpnDisabled",
                "The SSL-VPN feature of the VPN gateway vpn-nossl is disabled: enable it before creating an SSL-VPN server.",
            ),
        ),
        (
            ssl_server("vpn-ssl"),
            (
                400,
                "Resource.QuotaFull",
                "The quota of resource is full: the VPN gateway vpn-ssl already has an SSL-VPN server (vss-a), and a gateway holds one.",
            ),
        ),
        (
            with(ssl_server("vpn-free"), &[("Port", "443")]),
            (
                400,
                "IllegalParam.Port",
                "The specified Port is illegal: port 443 is reserved: a server listens on none of 22, 2222, 22222, 9000, 9001, 9002, 7505, 80, 443, 53, 68, 123, 4510, 4560, 500, 4500.",
            ),
        ),
        (
            with(
                ssl_server("vpn-free"),
                &[(
                    "LocalSubnet",
                    "10.0.0.0/24,10.0.1.0/24,10.0.2.0/24,10.0.3.0/24,10.0.4.0/24,10.0.5.0/24",
                )],
            ),
            (
                400,
                "InvalidParameter",
                "The specified parameter \"LocalSubnet\" is not valid: it lists 6 CIDR blocks, and a server's local subnet lists at most 5.",
            ),
        ),
        (
            with(ssl_server("vpn-free"), &[("LocalSubnet", "10.0.0.0/16,")]),
            (
                400,
                "IllegalParam.LocalSubnet",
                "The specified LocalSubnet is illegal: `` is not an IPv4 CIDR block such as 10.0.0.0/24.",
            ),
        ),
        (
            with(ssl_server("vpn-free"), &[("ClientIpPool", "172.16.8.0/24")]),
            (
                400,
                "InvalidClientIpPool.ConflictWithVpc",
                "The specified ClientIpPool 172.16.8.0/24 overlaps the VPC CIDR block 172.16.0.0/12 of the VPN gateway: choose a client CIDR block outside the VPC.",
            ),
        ),
        (
            with(ssl_server("vpn-free"), &[("ClientIpPool", "10.40.0.0/30")]),
            (
                400,
                "InvalidParameter",
                "The specified parameter \"ClientIpPool\" is not valid: a client CIDR block's mask is /16 to /29.",
            ),
        ),
        (
            with(ssl_server("vpn-free"), &[("Proto", "SCTP")]),
            (
                400,
                "InvalidParameter",
                "The specified parameter \"Proto\" is not valid: it is one of TCP, UDP.",
            ),
        ),
        (
            ssl_server("vpn-full"),
            (
                400,
                "QuotaExceeded.VpnRouteEntry",
                "The route table of the VPC of the VPN gateway vpn-full holds 200 route entries, its quota of 200: the client CIDR block needs one more.",
            ),
        ),
    ];
    for (params, expected) in cases {
        let r = send(&c, "CreateSslVpnServer", &params).await;
        assert_eq!(refused(&r), expected, "{params:?}");
    }
    for (action, param) in [
        ("ModifySslVpnServer", "SslVpnServerId"),
        ("DeleteSslVpnServer", "SslVpnServerId"),
        ("CreateSslVpnClientCert", "SslVpnServerId"),
    ] {
        let r = call(&c, action, &[(param, "vss-zz")]).await;
        assert_eq!(
            refused(&r),
            (
                404,
                "InvalidSslVpnServerId.NotFound",
                "The specified SSL-VPN server vss-zz does not exist."
            ),
            "{action}"
        );
    }
    for action in [
        "ModifySslVpnClientCert",
        "DeleteSslVpnClientCert",
        "DescribeSslVpnClientCert",
    ] {
        let r = call(&c, action, &[("SslVpnClientCertId", "vsc-zz")]).await;
        assert_eq!(r.code(), "InvalidSslVpnClientCertId.NotFound", "{action}");
    }
    assert!(sb.audit().is_empty());
    sb.shutdown().await;
}

#[tokio::test]
async fn an_account_holds_fifty_client_certificates() {
    let mut w = world();
    for i in 0..48 {
        w.add_client_cert(&format!("vsc-fill{i}"), "vss-a");
    }
    w.check().unwrap();
    let mut over = w.clone();
    over.add_client_cert("vsc-one", "vss-a");
    over.add_client_cert("vsc-more", "vss-a");
    let err = over.check().unwrap_err().to_string();
    assert_eq!(
        err,
        "world: the world holds 52 SSL-VPN client certificates, and an account holds at most 50: remove some"
    );
    let (sb, _wire, c) = start(w, LONG).await;
    let r = call(&c, "CreateSslVpnClientCert", &[("SslVpnServerId", "vss-a")]).await;
    assert_eq!(
        refused(&r),
        (
            400,
            "Resource.QuotaFull",
            "The quota of resource is full: the account holds 50 SSL-VPN client certificates, its quota of 50."
        )
    );
    let r = call(&c, "DescribeSslVpnClientCerts", &[("PageSize", "50")]).await;
    assert_eq!(ok(&r)["TotalCount"], 50);
    assert!(sb.audit().is_empty());
    sb.shutdown().await;
}

/// DescribeSslVpnClientCert answers the material; the list never does; no log holds it,
/// even when a client sends it back.
#[tokio::test]
async fn certificate_material_never_reaches_the_call_log_or_the_audit_log() {
    let audit_path = std::env::temp_dir().join(format!(
        "vpnform-family2-audit-{}.jsonl",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&audit_path);
    let config = SandboxConfig {
        audit_path: Some(audit_path.clone()),
        ..configuring(SHORT)
    };
    let (sb, wire, c) = start_with(config, world()).await;
    let r = call(
        &c,
        "DescribeSslVpnClientCert",
        &[("SslVpnClientCertId", "vsc-a")],
    )
    .await;
    let described = ok(&r).clone();
    assert_eq!(
        keys(&described),
        [
            "CaCert",
            "ClientCert",
            "ClientConfig",
            "ClientKey",
            "CreateTime",
            "EndTime",
            "Name",
            "RegionId",
            "RequestId",
            "ResourceGroupId",
            "SslVpnClientCertId",
            "SslVpnServerId",
            "Status"
        ]
    );
    let material: Vec<String> = ["CaCert", "ClientCert", "ClientKey", "ClientConfig"]
        .iter()
        .map(|k| described[*k].as_str().unwrap().to_owned())
        .collect();
    assert!(
        material[0].starts_with("-----BEGIN CERTIFICATE-----\n"),
        "{}",
        material[0]
    );
    assert!(material[1].starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(material[2].starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(material[2].ends_with("-----END PRIVATE KEY-----\n"));
    assert!(
        material[3].starts_with("client\ndev tun\nproto tcp\nremote 47.98.3.3 1194\n"),
        "{}",
        material[3]
    );
    assert_eq!(
        described["EndTime"].as_u64().unwrap() - described["CreateTime"].as_u64().unwrap(),
        3 * 365 * 24 * 3600 * 1000
    );
    // The same certificate, the same bytes; its server's CA, another key.
    let again = ok(&call(
        &c,
        "DescribeSslVpnClientCert",
        &[("SslVpnClientCertId", "vsc-a")],
    )
    .await)
    .clone();
    assert_eq!(again["ClientKey"], described["ClientKey"]);
    let other = ok(&call(
        &c,
        "DescribeSslVpnClientCert",
        &[("SslVpnClientCertId", "vsc-b")],
    )
    .await)
    .clone();
    assert_eq!(other["CaCert"], described["CaCert"]);
    assert_ne!(other["ClientKey"], described["ClientKey"]);
    let r = call(
        &c,
        "DescribeSslVpnClientCerts",
        &[("SslVpnServerId", "vss-a")],
    )
    .await;
    assert!(!r.body.to_string().contains("BEGIN"), "{}", r.body);

    // A client that sends the material back (the cloud ignores it) is not logged either.
    let key_line = material[2].lines().nth(1).unwrap().to_owned();
    let r = call(
        &c,
        "ModifySslVpnClientCert",
        &[
            ("SslVpnClientCertId", "vsc-a"),
            ("Name", "alice-laptop"),
            ("ClientKey", &material[2]),
            ("ClientConfig", &material[3]),
        ],
    )
    .await;
    ok(&r);
    let logged: String = wire
        .calls()
        .iter()
        .map(|call| format!("{call}\n"))
        .collect();
    assert!(logged.contains("ClientKey=***"), "{logged}");
    let audit_json = serde_json::to_string(&sb.audit()).unwrap();
    let audit_file = std::fs::read_to_string(&audit_path).unwrap();
    for text in [&logged, &audit_json, &audit_file] {
        for secret in material
            .iter()
            .flat_map(|m| m.lines())
            .filter(|l| l.len() > 40)
        {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(!text.contains(&key_line));
    }
    let _ = std::fs::remove_file(&audit_path);
    sb.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// DryRun: four calls have it; every other new mutation acts.

#[tokio::test]
async fn dry_run_on_the_four_dry_run_calls_checks_everything_and_creates_nothing() {
    let (sb, _wire, c) = start(world(), LONG).await;
    let dry = ("DryRun", "true");
    let passed = (
        400,
        "DryRunOperation",
        "Request validation has been passed with DryRun flag set.",
    );
    let r = send(
        &c,
        "CreateVpnRouteEntry",
        &with(
            route("192.168.0.0/24", "vco-a"),
            &[dry, ("ClientToken", "t")],
        ),
    )
    .await;
    assert_eq!(refused(&r), passed);
    let pbr = [
        ("VpnGatewayId", "vpn-a"),
        ("RouteSource", "10.0.0.0/16"),
        ("RouteDest", "192.168.0.0/24"),
        ("NextHop", "vco-a"),
        ("Weight", "0"),
        ("PublishVpc", "false"),
        dry,
    ];
    assert_eq!(
        refused(&call(&c, "CreateVpnPbrRouteEntry", &pbr).await),
        passed
    );
    let r = send(
        &c,
        "CreateSslVpnServer",
        &with(ssl_server("vpn-free"), &[dry]),
    )
    .await;
    assert_eq!(refused(&r), passed);
    let r = call(
        &c,
        "ModifySslVpnServer",
        &[("SslVpnServerId", "vss-a"), ("Port", "1200"), dry],
    )
    .await;
    assert_eq!(refused(&r), passed);
    // Their checks are the calls' own.
    let r = send(
        &c,
        "CreateSslVpnServer",
        &with(ssl_server("vpn-nossl"), &[dry]),
    )
    .await;
    assert_eq!(r.code(), "VpnGateway.SslVpnDisabled");
    let r = send(
        &c,
        "CreateVpnRouteEntry",
        &with(route("192.168.0.0/24", "vco-c"), &[dry]),
    )
    .await;
    assert_eq!(r.code(), "InvalidNextHop.NotFound");

    assert!(sb.audit().is_empty());
    for gateway in ["vpn-a", "vpn-free", "vpn-ssl"] {
        assert_eq!(status(&c, gateway).await, "active", "{gateway}");
    }
    assert!(routes(&c, "vpn-a").await.is_empty());
    assert!(policy_routes(&c, "vpn-a").await.is_empty());
    assert_eq!(sb.world().ssl_vpn_servers["vss-a"].port, 1194);
    assert_eq!(sb.world().ssl_vpn_servers.len(), 1);
    // The precheck did not claim the token.
    let r = send(
        &c,
        "CreateVpnRouteEntry",
        &with(route("192.168.0.0/24", "vco-a"), &[("ClientToken", "t")]),
    )
    .await;
    ok(&r);
    assert_eq!(sb.audit().len(), 1);
    sb.shutdown().await;
}

/// The API has DryRun on none of these calls; the cloud ignores a parameter it does not
/// know, so `DryRun=true` acts, and the sandbox must act too for a test to prove that
/// vpnform never sends it there.
#[tokio::test]
async fn dry_run_true_acts_on_every_other_new_mutation() {
    let mut w = world();
    w.add_route("vpn-a", "192.168.0.0/24", "vco-a").weight = 100;
    w.add_policy_route("vpn-b", "10.0.0.0/16", "192.168.1.0/24", "vco-c");
    w.check().unwrap();
    let (sb, _wire, c) = start(w, SHORT).await;
    let dry = ("DryRun", "true");
    let dbr = route("192.168.0.0/24", "vco-a");
    let pbr = vec![
        ("VpnGatewayId", "vpn-b".to_owned()),
        ("RouteSource", "10.0.0.0/16".to_owned()),
        ("RouteDest", "192.168.1.0/24".to_owned()),
        ("NextHop", "vco-c".to_owned()),
        ("Weight", "0".to_owned()),
    ];
    let steps: Vec<(&str, Params, &str)> = vec![
        (
            "ModifyVpnRouteEntryWeight",
            with(dbr.clone(), &[("NewWeight", "0"), dry]),
            "vpn-a",
        ),
        (
            "PublishVpnRouteEntry",
            with(
                dbr.clone(),
                &[("RouteType", "dbr"), ("PublishVpc", "false"), dry],
            ),
            "vpn-a",
        ),
        (
            "DeleteVpnRouteEntry",
            with(dbr.clone(), &[("Weight", "0"), dry]),
            "vpn-a",
        ),
        (
            "ModifyVpnPbrRouteEntryWeight",
            with(pbr.clone(), &[("NewWeight", "100"), dry]),
            "vpn-b",
        ),
        (
            "ModifyVpnPbrRouteEntryPriority",
            with(
                pbr.clone(),
                &[("Weight", "100"), ("NewPriority", "20"), dry],
            ),
            "vpn-b",
        ),
        (
            "DeleteVpnPbrRouteEntry",
            with(pbr.clone(), &[("Weight", "100"), ("Priority", "20"), dry]),
            "vpn-b",
        ),
        (
            "CreateSslVpnClientCert",
            owned(&[
                ("SslVpnServerId", "vss-a"),
                ("Name", "erin"),
                ("DryRun", "true"),
            ]),
            "vpn-ssl",
        ),
        (
            "ModifySslVpnClientCert",
            owned(&[
                ("SslVpnClientCertId", "vsc-a"),
                ("Name", "acted"),
                ("DryRun", "true"),
            ]),
            "vpn-ssl",
        ),
        (
            "DeleteSslVpnClientCert",
            owned(&[("SslVpnClientCertId", "vsc-b"), ("DryRun", "true")]),
            "vpn-ssl",
        ),
        (
            "DeleteSslVpnServer",
            owned(&[("SslVpnServerId", "vss-a"), ("DryRun", "true")]),
            "vpn-ssl",
        ),
        (
            "DeleteVpnGateway",
            owned(&[("VpnGatewayId", "vpn-free"), ("DryRun", "true")]),
            "vpn-free",
        ),
        (
            "CreateVpnGateway",
            owned(&[
                ("VpcId", "vpc-acted"),
                ("Bandwidth", "10"),
                ("DryRun", "true"),
            ]),
            "vpn-a",
        ),
    ];
    for (action, params, gateway) in &steps {
        let r = send(&c, action, params).await;
        ok(&r);
        if *action == "DeleteVpnGateway" {
            wait_gone(&c, gateway).await;
        } else {
            wait_active(&c, gateway).await;
        }
    }
    let world = sb.world();
    assert!(world.vpn_routes.is_empty());
    assert!(world.vpn_policy_routes.is_empty());
    assert!(world.ssl_vpn_servers.is_empty());
    assert!(world.ssl_vpn_client_certs.is_empty());
    assert!(!world.vpn_gateways.contains_key("vpn-free"));
    assert!(
        world
            .vpn_gateways
            .values()
            .any(|g| g.vpn_type == "Normal" && g.bandwidth == 10 && g.status == "init")
    );
    let actions: Vec<String> = sb.audit().into_iter().map(|e| e.action).collect();
    let mut expected: Vec<&str> = steps.iter().map(|(a, ..)| *a).collect();
    // The server's delete records its two certificates' too (one new, one renamed).
    expected.insert(10, "DeleteSslVpnServer");
    expected.insert(10, "DeleteSslVpnServer");
    assert_eq!(actions, expected);
    sb.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// A gateway's own lifecycle.

#[tokio::test]
async fn a_gateway_is_created_init_then_provisioning_then_active() {
    let config = SandboxConfig {
        gateway_create_time: (Duration::from_millis(1600), Duration::from_millis(1600)),
        ..configuring(SHORT)
    };
    let (sb, _wire, c) = start_with(config, world()).await;
    let create = [
        ("VpcId", "vpc-bp1new"),
        ("Bandwidth", "20"),
        ("InstanceChargeType", "POSTPAY"),
        ("VSwitchId", "vsw-bp1one"),
        ("DisasterRecoveryVSwitchId", "vsw-bp1two"),
        ("EnableSsl", "true"),
        ("SslConnections", "10"),
        ("Name", "hz-new"),
        ("AutoPay", "true"),
        ("ClientToken", "gw-1"),
    ];
    let r = call(&c, "CreateVpnGateway", &create).await;
    let created = ok(&r).clone();
    assert_eq!(
        keys(&created),
        ["Name", "OrderId", "RequestId", "VpnGatewayId"]
    );
    let id = created["VpnGatewayId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("vpn-sbx"), "{id}");
    assert_eq!(created["Name"], "hz-new");
    assert_eq!(created["OrderId"].as_str().unwrap().len(), 15);
    assert_eq!(status(&c, &id).await, "init");
    // Nothing goes on it until it is active.
    let r = send(&c, "CreateSslVpnServer", &ssl_server(&id)).await;
    assert_eq!(
        refused(&r),
        (
            400,
            "IncorrectStatus.VpnGateway",
            "The VPN gateway is init: the operation needs it active."
        )
    );
    let r = call(&c, "CreateVpnGateway", &create).await;
    assert_eq!(ok(&r), &created, "a replay");
    wait_status(&c, &id, "provisioning").await;
    let r = call(&c, "DeleteVpnGateway", &[("VpnGatewayId", &id)]).await;
    assert_eq!(r.code(), "IncorrectStatus.VpnGateway");
    wait_status(&c, &id, "active").await;
    let r = call(&c, "DescribeVpnGateway", &[("VpnGatewayId", &id)]).await;
    let described = ok(&r).clone();
    let fields = [
        "ChargeType",
        "Spec",
        "SslVpn",
        "IpsecVpn",
        "SslMaxConnections",
        "VSwitchId",
        "DisasterRecoveryVSwitchId",
        "NetworkType",
        "VpnType",
        "VpcId",
        "Name",
        "InternetIp",
    ];
    let picked: Value = fields
        .iter()
        .map(|f| (f.to_string(), described[*f].clone()))
        .collect();
    assert_eq!(
        picked,
        json!({
            "ChargeType": "PostpayByFlow", "Spec": "20M", "SslVpn": "enable", "IpsecVpn": "enable",
            "SslMaxConnections": 10, "VSwitchId": "vsw-bp1one",
            "DisasterRecoveryVSwitchId": "vsw-bp1two", "NetworkType": "public",
            "VpnType": "Normal", "VpcId": "vpc-bp1new", "Name": "hz-new",
            "InternetIp": "198.51.100.10",
        })
    );
    assert_eq!(
        effects(&sb),
        [effect("CreateVpnGateway", &id, &id, "created")]
    );
    let audit = sb.audit();
    assert_eq!(audit[0].client_token.as_deref(), Some("gw-1"));
    assert!(audit[0].configured_at > audit[0].time);
    // Active, it takes a server.
    ok(&send(&c, "CreateSslVpnServer", &ssl_server(&id)).await);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_gateway_create_is_refused_with_the_documented_codes() {
    let mut w = world();
    for i in 0..22 {
        w.add_gateway(&format!("vpn-fill{i}"), REGION);
    }
    let (sb, _wire, c) = start(w, LONG).await;
    let cases: [(&[(&str, &str)], Refusal); 6] = [
        (
            &[("Bandwidth", "10")],
            (400, "MissingVpcId", "VpcId is mandatory for this action."),
        ),
        (
            &[("VpcId", "vpc-a"), ("Bandwidth", "7")],
            (
                400,
                "InvalidParameter",
                "The specified parameter \"Bandwidth\" is not valid: it is one of 5, 10, 20, 50, 100, 200, 500, 1000.",
            ),
        ),
        (
            &[
                ("VpcId", "vpc-a"),
                ("Bandwidth", "10"),
                ("NetworkType", "private"),
            ],
            (
                400,
                "InvalidParameter",
                "The specified parameter \"Bandwidth\" is not valid: it is one of 200, 1000.",
            ),
        ),
        (
            &[
                ("VpcId", "vpc-a"),
                ("Bandwidth", "10"),
                ("InstanceChargeType", "PREPAY"),
            ],
            (400, "MissingPeriod", "Period is mandatory for this action."),
        ),
        (
            &[("VpcId", "my-vpc"), ("Bandwidth", "10")],
            (
                404,
                "InvalidVpcId.NotFound",
                "The specified VpcId my-vpc does not exist.",
            ),
        ),
        (
            &[("VpcId", "vpc-a"), ("Bandwidth", "10"), ("Name", "1st")],
            (
                400,
                "InvalidName",
                "The name is not valid: a VPN gateway's Name is 2 to 100 characters, a letter first, then letters, digits, underscores, hyphens and periods.",
            ),
        ),
    ];
    for (params, expected) in cases {
        let r = call(&c, "CreateVpnGateway", params).await;
        assert_eq!(refused(&r), expected, "{params:?}");
    }
    // 29 in the account: one more fits (a subscription), then the quota is full.
    let r = call(
        &c,
        "CreateVpnGateway",
        &[
            ("VpcId", "vpc-a"),
            ("Bandwidth", "10"),
            ("InstanceChargeType", "PREPAY"),
            ("Period", "12"),
        ],
    )
    .await;
    let id = ok(&r)["VpnGatewayId"].as_str().unwrap().to_owned();
    assert_eq!(sb.world().vpn_gateways[&id].charge_type, "Prepay");
    let r = call(
        &c,
        "CreateVpnGateway",
        &[("VpcId", "vpc-a"), ("Bandwidth", "10")],
    )
    .await;
    assert_eq!(
        refused(&r),
        (
            400,
            "Resource.QuotaFull",
            "The quota of resource is full: the account holds 30 VPN gateways, its quota of 30."
        )
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn a_gateway_delete_waits_for_its_children_then_deletes_then_is_gone() {
    let mut w = world();
    w.add_route("vpn-a", "192.168.0.0/24", "vco-a");
    w.add_gateway("vpn-anon", REGION).ipsec_connections = 2;
    w.add_gateway("vpn-busy", REGION).status = "updating".into();
    w.check().unwrap();
    let (sb, _wire, c) = start(w, SHORT).await;
    let cases = [
        (
            "vpn-a",
            (
                400,
                "DependencyViolation.VpnConnection",
                "The VPN gateway vpn-a still holds the IPsec-VPN connection vco-a: delete it first.",
            ),
        ),
        (
            "vpn-anon",
            (
                400,
                "DependencyViolation.VpnConnection",
                "The VPN gateway vpn-anon still holds 2 IPsec-VPN connection(s): delete it first.",
            ),
        ),
        (
            "vpn-ssl",
            (
                400,
                "DependencyViolation.SslVpnServer",
                "The VPN gateway vpn-ssl still holds the SSL-VPN server vss-a: delete it first.",
            ),
        ),
        (
            "vpn-srv",
            (
                400,
                "DependencyViolation.SslVpnServer",
                "The VPN gateway vpn-srv still holds the IPsec server iss-srv: delete it first.",
            ),
        ),
        (
            "vpn-prepay",
            (
                403,
                "ForbiddenRelease",
                "Forbidden to release a prepaid instance within validity period: the VPN gateway vpn-prepay is a subscription.",
            ),
        ),
        (
            "vpn-busy",
            (
                400,
                "VpnGateway.Configuring",
                "The specified VPN gateway is being configured. Try again later.",
            ),
        ),
    ];
    for (gateway, expected) in cases {
        let r = call(&c, "DeleteVpnGateway", &[("VpnGatewayId", gateway)]).await;
        assert_eq!(refused(&r), expected, "{gateway}");
    }

    // Routes, then connections, then the gateway.
    let r = send(
        &c,
        "DeleteVpnRouteEntry",
        &with(route("192.168.0.0/24", "vco-a"), &[("Weight", "0")]),
    )
    .await;
    ok(&r);
    wait_active(&c, "vpn-a").await;
    for connection in ["vco-a", "vco-b"] {
        ok(&call(
            &c,
            "DeleteVpnConnection",
            &[("VpnConnectionId", connection)],
        )
        .await);
        wait_active(&c, "vpn-a").await;
    }
    let delete = [("VpnGatewayId", "vpn-a"), ("ClientToken", "gw-del")];
    let r = call(&c, "DeleteVpnGateway", &delete).await;
    let deleted = ok(&r).clone();
    assert_eq!(keys(&deleted), ["RequestId"]);
    assert_eq!(status(&c, "vpn-a").await, "deleting");
    let r = call(&c, "DescribeVpnGateways", &[("Status", "deleting")]).await;
    assert_eq!(
        ok(&r)["VpnGateways"]["VpnGateway"][0]["VpnGatewayId"],
        "vpn-a"
    );
    let r = call(&c, "DeleteVpnGateway", &[("VpnGatewayId", "vpn-a")]).await;
    assert_eq!(
        refused(&r),
        (
            400,
            "IncorrectStatus.VpnGateway",
            "The VPN gateway is deleting: the operation needs it active."
        )
    );
    // A retry of the applied delete gets its first answer.
    let retry = call(&c, "DeleteVpnGateway", &delete).await;
    assert_eq!(ok(&retry), &deleted);
    let start = Instant::now();
    loop {
        let r = call(&c, "DescribeVpnGateway", &[("VpnGatewayId", "vpn-a")]).await;
        if r.status == 404 {
            assert_eq!(
                refused(&r),
                (
                    404,
                    "InvalidVpnGatewayInstanceId.NotFound",
                    "The specified vpn gateway instance id does not exist."
                )
            );
            break;
        }
        assert_eq!(ok(&r)["Status"], "deleting");
        assert!(start.elapsed() < Duration::from_secs(5), "never gone");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!sb.world().vpn_gateways.contains_key("vpn-a"));
    let last = sb.audit().pop().unwrap();
    assert_eq!(
        (
            last.action.as_str(),
            last.resource.as_str(),
            last.effect.as_str()
        ),
        ("DeleteVpnGateway", "vpn-a", "deleted")
    );
    assert!(last.configured_at > last.time);
    sb.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Rate limits, policies, faults.

#[tokio::test]
async fn the_new_actions_meet_rate_limits_policies_and_faults() {
    let (sb, _wire, c) = start(world(), LONG).await;
    sb.set_rate_limits(Some(RateLimits {
        default_per_second: None,
        per_action: [("DescribeVpnRouteEntries".to_owned(), 1.0)].into(),
    }));
    routes(&c, "vpn-a").await;
    let r = call(&c, "DescribeVpnRouteEntries", &[("VpnGatewayId", "vpn-a")]).await;
    assert_eq!(r.code(), "Throttling.User");
    assert!(r.headers.contains_key("x-acs-retry-after"));
    sb.set_rate_limits(None);

    sb.set_policy(sandbox::Policy {
        deny_resources: ["vco-a".to_owned(), "vss-a".to_owned()].into(),
        ..sandbox::Policy::default()
    });
    let r = send(&c, "CreateVpnRouteEntry", &route("192.168.0.0/24", "vco-a")).await;
    assert_eq!(r.code(), "Forbidden");
    let r = call(&c, "CreateSslVpnClientCert", &[("SslVpnServerId", "vss-a")]).await;
    assert_eq!(r.code(), "Forbidden");
    sb.set_policy(sandbox::Policy::default());

    // A lost answer after the effect; the retry with the token gets the first answer.
    sb.set_faults(Faults {
        lost_500: 1.0,
        ..Faults::default()
    });
    let params = [
        ("SslVpnServerId", "vss-a"),
        ("Name", "frank"),
        ("ClientToken", "lost"),
    ];
    let r = call(&c, "CreateSslVpnClientCert", &params).await;
    assert_eq!(r.code(), "InternalError");
    sb.set_faults(Faults::default());
    let r = call(&c, "CreateSslVpnClientCert", &params).await;
    let id = ok(&r)["SslVpnClientCertId"].as_str().unwrap().to_owned();
    sb.inject(Injection {
        action: Some("DeleteVpnGateway".into()),
        status: 400,
        code: "InternalError".into(),
        retry_after: None,
        after_effect: false,
        times: 1,
    });
    let r = call(&c, "DeleteVpnGateway", &[("VpnGatewayId", "vpn-free")]).await;
    assert_eq!(r.code(), "InternalError");
    assert_eq!(
        effects(&sb),
        [effect("CreateSslVpnClientCert", &id, "vpn-ssl", "created")]
    );
    sb.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// The world file.

/// Each rule of routes, SSL-VPN servers, certificates and gateways a world file must
/// keep, broken once: `sandbox serve` refuses the file with the whole message.
#[test]
fn a_world_file_that_breaks_a_rule_of_routes_or_ssl_vpn_is_refused_whole() {
    let base = "vpn_gateways:\n  vpn-a: {region: cn-hangzhou}\n  vpn-b: {region: cn-hangzhou}\ncustomer_gateways:\n  cgw-a: {region: cn-hangzhou, ip_address: 203.0.113.1}\nvpn_connections:\n  vco-a: {vpn_gateway: vpn-a, customer_gateway: cgw-a}\n  vco-b: {vpn_gateway: vpn-b, customer_gateway: cgw-a}\nvpn_routes:\n  - {vpn_gateway: vpn-a, route_dest: 192.168.0.0/24, next_hop: vco-a}\nvpn_policy_routes:\n  - {vpn_gateway: vpn-a, route_source: 10.0.0.0/16, route_dest: 192.168.0.0/24, next_hop: vco-a, priority: 10}\nssl_vpn_servers:\n  vss-a: {vpn_gateway: vpn-a, client_ip_pool: 10.30.0.0/16, local_subnet: 10.0.0.0/16}\nssl_vpn_client_certs:\n  vsc-a: {ssl_vpn_server: vss-a}\n";
    let many: String = (0..21)
        .map(|i| {
            format!("  - {{vpn_gateway: vpn-b, route_dest: 192.168.{i}.0/24, next_hop: vco-b}}\n")
        })
        .collect();
    let cases: Vec<(String, &str)> = vec![
        (
            base.replace("- {vpn_gateway: vpn-a, route_dest", "- {vpn_gateway: vpn-zz, route_dest"),
            "vpn route 192.168.0.0/24 via vco-a is on vpn gateway vpn-zz, which the world does not define: add it under `vpn_gateways`",
        ),
        (
            base.replace("route_dest: 192.168.0.0/24, next_hop: vco-a}\nvpn_policy", "route_dest: 192.168.0.0/24, next_hop: vco-b}\nvpn_policy"),
            "vpn route 192.168.0.0/24 via vco-b is on vpn gateway vpn-a, but its next_hop vco-b is not an IPsec connection on that gateway: give one under `vpn_connections` whose vpn_gateway is vpn-a",
        ),
        (
            base.replace("next_hop: vco-a, priority: 10}", "next_hop: vco-zz, priority: 10}"),
            "vpn policy route from 10.0.0.0/16 to 192.168.0.0/24 via vco-zz is on vpn gateway vpn-a, but its next_hop vco-zz is not an IPsec connection on that gateway: give one under `vpn_connections` whose vpn_gateway is vpn-a",
        ),
        (
            base.replace("priority: 10}", "priority: 0}"),
            "vpn policy route from 10.0.0.0/16 to 192.168.0.0/24 via vco-a: priority `0` is not valid: a priority is 1 to 100",
        ),
        (
            base.replace("vpn_policy_routes:\n", "  - {vpn_gateway: vpn-a, route_dest: 192.168.0.0/24, next_hop: vco-a, weight: 100}\nvpn_policy_routes:\n"),
            "world.yaml: vpn route 192.168.0.0/24 via vco-a is on vpn gateway vpn-a twice, and a gateway holds a route once: remove one",
        ),
        (
            base.replace("vpn_policy_routes:\n", &format!("{many}vpn_policy_routes:\n")),
            "world.yaml: vpn gateway vpn-b holds 21 destination routes, and a gateway holds at most 20: remove some or move them to another gateway",
        ),
        (
            base.replace("vpn-a: {region: cn-hangzhou}", "vpn-a: {region: cn-hangzhou, ssl_vpn: disable}"),
            "ssl vpn server vss-a is on vpn gateway vpn-a, whose ssl_vpn is disable: give the gateway `ssl_vpn: enable` or move the server to another gateway",
        ),
        (
            base.replace("ssl_vpn_client_certs:", "  vss-b: {vpn_gateway: vpn-a, client_ip_pool: 10.31.0.0/16, local_subnet: 10.0.0.0/16}\nssl_vpn_client_certs:"),
            "world.yaml: ssl vpn servers vss-a and vss-b are both on vpn gateway vpn-a, and a gateway holds one SSL-VPN server: remove one or move it to another gateway",
        ),
        (
            base.replace("local_subnet: 10.0.0.0/16}", "local_subnet: 10.0.0.0/16, port: 500}"),
            "vss-a: port `500` is not valid: port 500 is reserved: a server listens on none of 22, 2222, 22222, 9000, 9001, 9002, 7505, 80, 443, 53, 68, 123, 4510, 4560, 500, 4500",
        ),
        (
            base.replace("local_subnet: 10.0.0.0/16}", "local_subnet: \"10.0.0.0/24,10.0.1.0/24,10.0.2.0/24,10.0.3.0/24,10.0.4.0/24,10.0.5.0/24\"}"),
            "vss-a: local_subnet `10.0.0.0/24,10.0.1.0/24,10.0.2.0/24,10.0.3.0/24,10.0.4.0/24,10.0.5.0/24` is not valid: 6 CIDR blocks, and a server's local subnet lists at most 5",
        ),
        (
            base.replace("vpn_gateway: vpn-a, client_ip_pool", "vpn_gateway: vpn-zz, client_ip_pool"),
            "ssl vpn server vss-a is on vpn gateway vpn-zz, which the world does not define: add it under `vpn_gateways`",
        ),
        (
            base.replace("vsc-a: {ssl_vpn_server: vss-a}", "vsc-a: {ssl_vpn_server: vss-zz}"),
            "ssl vpn client cert vsc-a is of ssl vpn server vss-zz, which the world does not define: add it under `ssl_vpn_servers`",
        ),
        (
            base.replace("vsc-a: {ssl_vpn_server: vss-a}", "vsc-a: {ssl_vpn_server: vss-a, status: revoked}"),
            "vsc-a: status `revoked` is not one of normal, expiring-soon, expired",
        ),
        (
            base.replace("  vsc-a:", "  vsc-A:"),
            "`vsc-A` is not a ssl vpn client cert id: write `vsc-` then lowercase letters and digits",
        ),
        (
            base.replace("vpn-b: {region: cn-hangzhou}", "vpn-b: {region: cn-hangzhou, bandwidth: 7}"),
            "vpn-b: bandwidth `7` is not one of 5, 10, 20, 50, 100, 200, 500, 1000",
        ),
        (
            base.replace("vpn-b: {region: cn-hangzhou}", "vpn-b: {region: cn-hangzhou, charge_type: PREPAY}"),
            "vpn-b: charge_type `PREPAY` is not one of PostpayByFlow, Prepay",
        ),
    ];
    for (text, message) in cases {
        world_refused(&text, message);
    }
}

/// Alibaba's official Python SDK creates and deletes a route, an SSL-VPN server with a
/// certificate whose material it describes, and a gateway, through `vpnform sandbox
/// serve` (tests/sdk/family2.py), reading the answers through its own models (python3
/// with the SDK: `python3 -m pip install -r tests/sdk/requirements.txt`). The gateway's
/// create takes the default create time (5 s).
#[test]
fn the_official_python_sdk_drives_routes_ssl_vpn_and_gateways_through_sandbox_serve() {
    let run = run_sdk(
        "vpn_gateways:\n  vpn-bp1sdk: {region: cn-hangzhou}\n  vpn-bp1sdkssl: {region: cn-hangzhou, internet_ip: 47.98.9.9}\n  vpn-bp1sdkprepay: {region: cn-hangzhou, charge_type: Prepay}\ncustomer_gateways:\n  cgw-bp1sdk: {region: cn-hangzhou, ip_address: 203.0.113.50}\nvpn_connections:\n  vco-bp1sdk: {vpn_gateway: vpn-bp1sdk, customer_gateway: cgw-bp1sdk}\n",
        "family2.py",
        &[
            "vpn-bp1sdk",
            "vco-bp1sdk",
            "vpn-bp1sdkssl",
            "vpn-bp1sdkprepay",
        ],
    );
    let serve_log = run.serve_log;
    assert_eq!(
        run.stdout,
        "route dry run: DryRunOperation\n\
         route: vpn-bp1sdk 192.168.10.0/24 vco-bp1sdk 100 published\n\
         route while configuring: VpnRouteEntry.Configuring\n\
         listed route: 1 custom published\n\
         reweighted: 0\n\
         withdrawn: normal\n\
         policy route: 10.0.0.0/16 192.168.20.0/24 20 normal\n\
         route deleted: 0 0\n\
         ssl server dry run: DryRunOperation\n\
         forbidden port: IllegalParam.Port\n\
         ssl server: True staff 10.40.0.0/16 UDP 1195 AES-256-CBC True\n\
         modified ssl server: 1196 TCP\n\
         certificate: True alice\n\
         listed certificate: alice normal False\n\
         material: True True True True\n\
         renamed certificate: alice-laptop\n\
         ssl server deleted: 0 InvalidSslVpnClientCertId.NotFound\n\
         gateway: True init\n\
         gateway active: PostpayByFlow 10M enable disable 5 vsw-bp1sdk\n\
         prepay delete: ForbiddenRelease\n\
         gateway deleting: deleting\n\
         gateway deleted: InvalidVpnGatewayInstanceId.NotFound\n",
        "stderr: {}",
        run.stderr
    );
    assert!(run.success);
    for action in [
        "CreateVpnRouteEntry -> 200 OK",
        "CreateSslVpnServer -> 200 OK",
        "DescribeSslVpnClientCert -> 200 OK",
        "CreateVpnGateway -> 200 OK",
        "DeleteVpnGateway -> 200 OK",
    ] {
        assert!(serve_log.contains(action), "{action}: {serve_log}");
    }
    assert!(
        !serve_log.contains("BEGIN") && !serve_log.contains("remote 47.98.9.9"),
        "certificate material is logged: {serve_log}"
    );
}
