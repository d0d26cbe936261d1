//! The sandbox's VPN-gateway family over real HTTP: customer gateways, IPsec-VPN
//! connections (single and dual tunnel) and a gateway's attributes, with requests
//! signed by the crate's signer (the client of `sandbox.rs`) to a sandbox on
//! 127.0.0.1:0. Every answer's fields as the official SDK models name them, the codes,
//! the gateway's lane (configure time, lags, busy answers), DryRun where the API has it
//! and acting where it has not, ClientToken replays, secrets kept out of the logs, the
//! world file's rules; and the official Python SDK through `sandbox serve`.

use std::time::{Duration, Instant};

use serde_json::Value;
use vpnform::sandbox::{
    self, Faults, Gateway, Injection, RateLimits, Sandbox, SandboxConfig, Tunnel, World,
};

use crate::sandbox::{Client, Reply};
use crate::support::{Wire, Workspace, configuring, serve};

pub(crate) const REGION: &str = "cn-hangzhou";
const PSK: &str = "family-psk-canary-7c1d";
const TUNNEL_PSK: &str = "tunnel-psk-canary-52ea";
const AUTH_KEY: &str = "bgp-key-canary-0b9f";
/// Long enough that a gateway is certainly still configuring when a test looks.
pub(crate) const LONG: Duration = Duration::from_secs(600);
/// Short enough to wait for.
pub(crate) const SHORT: Duration = Duration::from_millis(300);
/// Long enough for a few calls to find the gateway still configuring, short enough to
/// wait for.
pub(crate) const MEDIUM: Duration = Duration::from_millis(1500);

/// `vpn-a` (free), `vpn-b` (holding `vco-b` of `cgw-b`), `vpn-srv` (holding the IPsec
/// server `iss-srv`), `vpn-full` (ten anonymous connections); customer gateways `cgw-a`
/// (ASN 65001), `cgw-b` and `cgw-c`, all in cn-hangzhou.
fn world() -> World {
    let mut w = World::default();
    w.add_gateway("vpn-a", REGION).internet_ip = Some("47.98.1.1".into());
    w.add_gateway("vpn-b", REGION);
    w.add_server("iss-srv", "vpn-srv", REGION);
    w.add_gateway("vpn-full", REGION).ipsec_connections = 10;
    w.add_customer_gateway("cgw-a", REGION, "203.0.113.1").asn = Some(65001);
    w.add_customer_gateway("cgw-b", REGION, "203.0.113.2");
    w.add_customer_gateway("cgw-c", REGION, "203.0.113.3");
    w.add_connection("vco-b", "vpn-b", "cgw-b").name = Some("b".into());
    w.check().unwrap();
    w
}

pub(crate) async fn start(world: World, configure: Duration) -> (Sandbox, Wire, Client) {
    start_with(configuring(configure), world).await
}

pub(crate) async fn start_with(config: SandboxConfig, world: World) -> (Sandbox, Wire, Client) {
    let (sandbox, wire) = serve(config, world).await;
    let client = Client::new(&sandbox);
    (sandbox, wire, client)
}

/// `action` in the test's region.
pub(crate) async fn call(c: &Client, action: &str, params: &[(&str, &str)]) -> Reply {
    let mut all = vec![("RegionId", REGION)];
    all.extend_from_slice(params);
    c.call(action, &all).await
}

/// Status, code and message of an error answer.
pub(crate) fn refused(r: &Reply) -> (u16, &str, &str) {
    (r.status, r.code(), r.body["Message"].as_str().unwrap_or(""))
}

/// An answer's field names, sorted.
pub(crate) fn keys(v: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    names
}

/// Borrows owned parameter pairs for [`call`].
fn pairs(owned: &[(String, String)]) -> Vec<(&str, &str)> {
    owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

pub(crate) fn ok(r: &Reply) -> &Value {
    assert_eq!(r.status, 200, "{r:?}");
    &r.body
}

pub(crate) async fn status(c: &Client, gateway: &str) -> String {
    let r = call(c, "DescribeVpnGateway", &[("VpnGatewayId", gateway)]).await;
    ok(&r)["Status"].as_str().unwrap().to_owned()
}

pub(crate) async fn wait_active(c: &Client, gateway: &str) {
    let start = Instant::now();
    while status(c, gateway).await != "active" {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{gateway} stays busy"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn describe(c: &Client, connection: &str) -> Reply {
    call(
        c,
        "DescribeVpnConnection",
        &[("VpnConnectionId", connection)],
    )
    .await
}

/// The ids DescribeVpnConnections lists on `gateway`.
async fn listed(c: &Client, gateway: &str) -> Vec<String> {
    let r = call(c, "DescribeVpnConnections", &[("VpnGatewayId", gateway)]).await;
    ok(&r)["VpnConnections"]["VpnConnection"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["VpnConnectionId"].as_str().unwrap().to_owned())
        .collect()
}

/// A call's parameters, owned.
type Params = Vec<(&'static str, String)>;

fn single(gateway: &str, customer_gateway: &str) -> Params {
    vec![
        ("VpnGatewayId", gateway.to_owned()),
        ("CustomerGatewayId", customer_gateway.to_owned()),
        ("LocalSubnet", "10.0.0.0/16,10.1.0.0/16".to_owned()),
        ("RemoteSubnet", "192.168.0.0/24".to_owned()),
        ("Name", "branch".to_owned()),
        (
            "IkeConfig",
            format!(r#"{{"IkeVersion":"ikev2","IkeLifetime":3600,"Psk":"{PSK}"}}"#),
        ),
        ("IpsecConfig", r#"{"IpsecPfs":"group5"}"#.to_owned()),
        ("EffectImmediately", "true".to_owned()),
    ]
}

async fn create(c: &Client, params: &[(&str, String)]) -> Reply {
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    call(c, "CreateVpnConnection", &borrowed).await
}

fn with(mut params: Params, extra: &[(&'static str, &str)]) -> Params {
    for (k, v) in extra {
        params.retain(|(p, _)| p != k);
        params.push((k, (*v).to_owned()));
    }
    params
}

// ---------------------------------------------------------------------------------------
// Customer gateways: synchronous, no lane.

#[tokio::test]
async fn a_customer_gateway_is_created_described_modified_and_deleted_at_once() {
    let (sb, _wire, c) = start(world(), LONG).await;
    let r = call(
        &c,
        "CreateCustomerGateway",
        &[
            ("IpAddress", "198.51.100.7"),
            ("Asn", "1.2"),
            ("AuthKey", AUTH_KEY),
            ("Name", "branch"),
            ("Description", "the branch office"),
            ("ClientToken", "cgw-create"),
        ],
    )
    .await;
    let created = ok(&r).clone();
    assert_eq!(
        keys(&created),
        [
            "CreateTime",
            "CustomerGatewayId",
            "Description",
            "IpAddress",
            "Name",
            "RequestId"
        ]
    );
    let id = created["CustomerGatewayId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cgw-sbx"), "{id}");
    assert_eq!(
        (
            &created["IpAddress"],
            &created["Name"],
            &created["Description"]
        ),
        (
            &"198.51.100.7".into(),
            &"branch".into(),
            &"the branch office".into()
        )
    );
    assert!(created["CreateTime"].as_u64().unwrap() > 1_700_000_000_000);

    let r = call(&c, "DescribeCustomerGateway", &[("CustomerGatewayId", &id)]).await;
    let described = ok(&r);
    assert_eq!(
        keys(described),
        [
            "Asn",
            "AuthKey",
            "CreateTime",
            "CustomerGatewayId",
            "Description",
            "IpAddress",
            "Name",
            "RequestId",
            "ResourceGroupId",
            "Tags"
        ]
    );
    // Two-segment ASN: 1 * 65536 + 2; the BGP key in clear text, as the model has it.
    assert_eq!(described["Asn"], 65538);
    assert_eq!(described["AuthKey"], AUTH_KEY);
    assert_eq!(described["CreateTime"], created["CreateTime"]);

    let r = call(&c, "DescribeCustomerGateways", &[("PageSize", "2")]).await;
    let page = ok(&r);
    assert_eq!(
        keys(page),
        [
            "CustomerGateways",
            "PageNumber",
            "PageSize",
            "RequestId",
            "TotalCount"
        ]
    );
    assert_eq!(
        (&page["TotalCount"], &page["PageSize"]),
        (&4.into(), &2.into())
    );
    let first = &page["CustomerGateways"]["CustomerGateway"][0];
    assert_eq!(
        keys(first),
        [
            "Asn",
            "CreateTime",
            "CustomerGatewayId",
            "Description",
            "IpAddress",
            "Name",
            "ResourceGroupId",
            "Tags"
        ],
        "cgw-a: an ASN, no BGP key"
    );
    let r = call(
        &c,
        "DescribeCustomerGateways",
        &[("CustomerGatewayId", &id)],
    )
    .await;
    assert_eq!(
        ok(&r)["CustomerGateways"]["CustomerGateway"][0]["Name"],
        "branch"
    );

    // No DryRun on these two: the cloud ignores the parameter, so the call acts.
    let r = call(
        &c,
        "ModifyCustomerGatewayAttribute",
        &[
            ("CustomerGatewayId", &id),
            ("Name", "renamed"),
            ("Description", "moved"),
            ("DryRun", "true"),
        ],
    )
    .await;
    let modified = ok(&r);
    assert_eq!(
        keys(modified),
        [
            "CreateTime",
            "CustomerGatewayId",
            "Description",
            "IpAddress",
            "Name",
            "RequestId",
            "ResourceGroupId"
        ]
    );
    assert_eq!(
        (&modified["Name"], &modified["Description"]),
        (&"renamed".into(), &"moved".into())
    );
    let r = call(&c, "DescribeCustomerGateway", &[("CustomerGatewayId", &id)]).await;
    assert_eq!(ok(&r)["Name"], "renamed");
    let r = call(
        &c,
        "DeleteCustomerGateway",
        &[("CustomerGatewayId", &id), ("DryRun", "true")],
    )
    .await;
    assert_eq!(keys(ok(&r)), ["RequestId"]);
    let r = call(&c, "DescribeCustomerGateway", &[("CustomerGatewayId", &id)]).await;
    assert_eq!(
        refused(&r),
        (
            404,
            "InvalidCustomerGatewayInstanceId.NotFound",
            format!("The specified customer gateway instance id {id} does not exist.").as_str()
        )
    );
    for action in ["ModifyCustomerGatewayAttribute", "DeleteCustomerGateway"] {
        let r = call(&c, action, &[("CustomerGatewayId", &id), ("Name", "x")]).await;
        assert_eq!(
            r.code(),
            "InvalidCustomerGatewayInstanceId.NotFound",
            "{action}"
        );
    }

    // Three effects, no gateway lane: configured the moment they happened.
    let audit = sb.audit();
    let effects: Vec<(&str, &str, &str, &str)> = audit
        .iter()
        .map(|e| {
            (
                e.action.as_str(),
                e.resource.as_str(),
                e.vpn_gateway.as_str(),
                e.effect.as_str(),
            )
        })
        .collect();
    assert_eq!(
        effects,
        [
            ("CreateCustomerGateway", id.as_str(), "", "created"),
            ("ModifyCustomerGatewayAttribute", id.as_str(), "", "updated"),
            ("DeleteCustomerGateway", id.as_str(), "", "deleted"),
        ]
    );
    assert!(audit.iter().all(|e| e.configured_at == e.time), "{audit:?}");
    assert_eq!(audit[0].client_token.as_deref(), Some("cgw-create"));
    // Nothing on any gateway's lane moved.
    assert_eq!(status(&c, "vpn-a").await, "active");
    sb.shutdown().await;
}

#[tokio::test]
async fn one_customer_gateway_per_ip_address_in_a_region_and_a_hundred_per_region() {
    let mut w = world();
    for i in 0..96 {
        w.add_customer_gateway(&format!("cgw-fill{i}"), REGION, &format!("198.18.0.{i}"));
    }
    w.add_customer_gateway("cgw-sh", "cn-shanghai", "203.0.113.1");
    let (sb, _wire, c) = start(w, LONG).await;
    let r = call(&c, "CreateCustomerGateway", &[("IpAddress", "203.0.113.1")]).await;
    assert_eq!(
        refused(&r),
        (
            400,
            "InvalidIpAddress.AlreadyExist",
            "Specified IpAddress is already exist: the customer gateway cgw-a has 203.0.113.1 in cn-hangzhou, and a region holds one customer gateway per IP address."
        )
    );
    let r = call(&c, "CreateCustomerGateway", &[("IpAddress", "203.0.113")]).await;
    assert_eq!(
        refused(&r),
        (
            400,
            "InvalidIpAddress.WrongFormat",
            "Specified IpAddress is invalid: give an IPv4 address such as 203.0.113.7."
        )
    );
    let r = call(&c, "CreateCustomerGateway", &[]).await;
    assert_eq!(r.code(), "MissingIpAddress");
    for (param, value, code) in [
        ("Name", "https://example.com", "InvalidName"),
        ("Description", "http://example.com", "InvalidDescription"),
        ("Asn", "45104", "InvalidParameter"),
        ("AuthKey", "has space", "InvalidParameter"),
    ] {
        let r = call(
            &c,
            "CreateCustomerGateway",
            &[("IpAddress", "198.51.100.9"), (param, value)],
        )
        .await;
        assert_eq!(r.code(), code, "{param}={value}");
        assert!(!r.body.to_string().contains("has space"), "{r:?}");
    }
    // 99 in cn-hangzhou: one more fits, then the quota is full.
    let r = call(
        &c,
        "CreateCustomerGateway",
        &[("IpAddress", "198.51.100.10")],
    )
    .await;
    ok(&r);
    let r = call(
        &c,
        "CreateCustomerGateway",
        &[("IpAddress", "198.51.100.11")],
    )
    .await;
    assert_eq!(
        refused(&r),
        (
            400,
            "Resource.QuotaFull",
            "The quota of resource is full: cn-hangzhou holds 100 customer gateways."
        )
    );
    // Another region is another quota, and another IP space.
    let mut in_shanghai = vec![("IpAddress", "203.0.113.2")];
    in_shanghai.push(("RegionId", "cn-shanghai"));
    let r = c.call("CreateCustomerGateway", &in_shanghai).await;
    ok(&r);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_customer_gateway_a_connection_uses_is_not_deleted() {
    let mut w = world();
    let dual = w.add_connection("vco-dual", "vpn-a", "cgw-a");
    dual.customer_gateway = None;
    dual.tunnels = vec![
        Tunnel::new("cgw-a", "master"),
        Tunnel::new("cgw-c", "slave"),
    ];
    w.check().unwrap();
    let (sb, _wire, c) = start(w, MEDIUM).await;
    for (cgw, connection) in [("cgw-b", "vco-b"), ("cgw-c", "vco-dual")] {
        let r = call(&c, "DeleteCustomerGateway", &[("CustomerGatewayId", cgw)]).await;
        assert_eq!(
            refused(&r),
            (
                400,
                "DependencyViolation.VpnConnection",
                format!(
                    "The customer gateway {cgw} is used by the IPsec-VPN connection {connection}: delete the connection first."
                )
                .as_str()
            )
        );
    }
    let r = call(&c, "DeleteVpnConnection", &[("VpnConnectionId", "vco-b")]).await;
    ok(&r);
    // Still used while its delete configures.
    let r = call(
        &c,
        "DeleteCustomerGateway",
        &[("CustomerGatewayId", "cgw-b")],
    )
    .await;
    assert_eq!(r.code(), "DependencyViolation.VpnConnection");
    wait_active(&c, "vpn-b").await;
    let r = call(
        &c,
        "DeleteCustomerGateway",
        &[("CustomerGatewayId", "cgw-b")],
    )
    .await;
    ok(&r);
    assert!(!sb.world().customer_gateways.contains_key("cgw-b"));
    sb.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Connections: on the gateway's lane.

#[tokio::test]
async fn a_single_tunnel_connection_is_listed_while_configuring_and_described_with_its_psk() {
    let mut w = world();
    w.add_connection("vco-other", "vpn-a", "cgw-b");
    let (sb, wire, c) = start(w, MEDIUM).await;
    let r = create(
        &c,
        &with(single("vpn-a", "cgw-a"), &[("ClientToken", "vco-1")]),
    )
    .await;
    let created = ok(&r).clone();
    assert_eq!(
        keys(&created),
        ["CreateTime", "Name", "RequestId", "VpnConnectionId"]
    );
    let id = created["VpnConnectionId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("vco-sbx"), "{id}");
    assert_eq!(created["Name"], "branch");

    // Accepted: the gateway configures, and the connection is there meanwhile.
    assert_eq!(status(&c, "vpn-a").await, "updating");
    assert_eq!(
        listed(&c, "vpn-a").await,
        ["vco-other".to_owned(), id.clone()]
    );
    let r = describe(&c, &id).await;
    let described = ok(&r).clone();
    assert_eq!(
        keys(&described),
        [
            "AttachType",
            "CreateTime",
            "CustomerGatewayId",
            "EffectImmediately",
            "EnableDpd",
            "EnableNatTraversal",
            "EnableTunnelsBgp",
            "IkeConfig",
            "InternetIp",
            "IpsecConfig",
            "LocalSubnet",
            "Name",
            "NetworkType",
            "RemoteSubnet",
            "RequestId",
            "ResourceGroupId",
            "State",
            "Status",
            "Tags",
            "TunnelOptionsSpecification",
            "VcoHealthCheck",
            "VpnBgpConfig",
            "VpnConnectionId",
            "VpnGatewayId"
        ]
    );
    assert_eq!(
        described["IkeConfig"],
        serde_json::json!({
            "IkeVersion": "ikev2", "IkeMode": "main", "IkeEncAlg": "aes", "IkeAuthAlg": "md5",
            "IkePfs": "group2", "IkeLifetime": 3600, "LocalId": "47.98.1.1",
            "RemoteId": "203.0.113.1", "Psk": PSK,
        })
    );
    assert_eq!(
        described["IpsecConfig"],
        serde_json::json!({
            "IpsecEncAlg": "aes", "IpsecAuthAlg": "md5", "IpsecPfs": "group5",
            "IpsecLifetime": 86400,
        })
    );
    assert_eq!(
        (
            &described["LocalSubnet"],
            &described["RemoteSubnet"],
            &described["CustomerGatewayId"],
            &described["VpnGatewayId"],
            &described["EffectImmediately"],
        ),
        (
            &"10.0.0.0/16,10.1.0.0/16".into(),
            &"192.168.0.0/24".into(),
            &"cgw-a".into(),
            &"vpn-a".into(),
            &true.into()
        )
    );
    // The connection's own states say nothing of the gateway's configuring.
    assert_eq!(
        (&described["Status"], &described["State"]),
        (&"ike_sa_not_established".into(), &"active".into())
    );
    assert_eq!(
        described["VpnBgpConfig"],
        serde_json::json!({
            "EnableBgp": "false", "LocalAsn": 45104, "LocalBgpIp": "", "PeerAsn": 65001,
            "PeerBgpIp": "", "Status": "false", "TunnelCidr": "",
        })
    );
    assert_eq!(
        described["TunnelOptionsSpecification"],
        serde_json::json!({ "TunnelOptions": [] })
    );

    // The connection's own create configures: a call on it names the connection; a
    // call on another connection of the gateway names the gateway.
    let r = call(
        &c,
        "ModifyVpnConnectionAttribute",
        &[("VpnConnectionId", &id), ("Name", "too-soon")],
    )
    .await;
    assert_eq!(
        refused(&r),
        (
            400,
            "VpnConnection.Configuring",
            format!(
                "The specified IPsec-VPN connection {id} is being configured. Try again later."
            )
            .as_str()
        )
    );
    let r = call(
        &c,
        "ModifyVpnConnectionAttribute",
        &[("VpnConnectionId", "vco-other"), ("Name", "other")],
    )
    .await;
    assert_eq!(
        refused(&r),
        (
            400,
            "VpnGateway.Configuring",
            "The specified VPN gateway is being configured. Try again later."
        )
    );
    let r = create(&c, &single("vpn-a", "cgw-c")).await;
    assert_eq!(r.code(), "VpnGateway.Configuring");
    wait_active(&c, "vpn-a").await;

    // A modify on the lane (no DryRun in this API: one sent acts).
    let r = call(
        &c,
        "ModifyVpnConnectionAttribute",
        &[
            ("VpnConnectionId", &id),
            ("Name", "renamed"),
            ("RemoteSubnet", "192.168.0.0/24,192.168.1.0/24"),
            ("IkeConfig", r#"{"IkePfs":"group14","Psk":"rotated-psk-canary"}"#),
            ("HealthCheckConfig", r#"{"enable":"true","dip":"192.168.0.1","sip":"10.0.0.1","interval":"5","retry":"2"}"#),
            ("DryRun", "true"),
            ("ClientToken", "vco-modify"),
        ],
    )
    .await;
    let modified = ok(&r).clone();
    assert_eq!(
        keys(&modified),
        [
            "CreateTime",
            "CustomerGatewayId",
            "Description",
            "EffectImmediately",
            "EnableDpd",
            "EnableNatTraversal",
            "EnableTunnelsBgp",
            "IkeConfig",
            "IpsecConfig",
            "LocalSubnet",
            "Name",
            "RemoteSubnet",
            "RequestId",
            "ResourceGroupId",
            "TunnelOptionsSpecification",
            "VcoHealthCheck",
            "VpnBgpConfig",
            "VpnConnectionId",
            "VpnGatewayId"
        ]
    );
    // The answer is the connection as it will be; the keys not given kept.
    assert_eq!(modified["Name"], "renamed");
    assert_eq!(modified["IkeConfig"]["IkePfs"], "group14");
    assert_eq!(modified["IkeConfig"]["IkeVersion"], "ikev2");
    assert_eq!(modified["IkeConfig"]["Psk"], "rotated-psk-canary");
    assert_eq!(
        modified["VcoHealthCheck"],
        serde_json::json!({ "Enable": "true", "Dip": "192.168.0.1", "Sip": "10.0.0.1", "Interval": 5, "Retry": 2 })
    );
    assert_eq!(status(&c, "vpn-a").await, "updating");
    // Described as it was until the gateway is done.
    assert_eq!(ok(&describe(&c, &id).await)["Name"], "branch");
    wait_active(&c, "vpn-a").await;
    let now = ok(&describe(&c, &id).await).clone();
    assert_eq!(
        (&now["Name"], &now["RemoteSubnet"], &now["IkeConfig"]["Psk"]),
        (
            &"renamed".into(),
            &"192.168.0.0/24,192.168.1.0/24".into(),
            &"rotated-psk-canary".into()
        )
    );
    assert_eq!(now["VcoHealthCheck"]["Status"], "failed");

    let audit = sb.audit();
    assert_eq!(audit.len(), 2, "{audit:?}");
    for (entry, action) in audit
        .iter()
        .zip(["CreateVpnConnection", "ModifyVpnConnectionAttribute"])
    {
        assert_eq!(
            (
                entry.action.as_str(),
                entry.resource.as_str(),
                entry.vpn_gateway.as_str()
            ),
            (action, id.as_str(), "vpn-a")
        );
        assert!(entry.time < entry.configured_at, "{entry:?}");
    }
    assert_eq!(
        audit[1].gateway_active_since.as_deref(),
        Some(audit[0].configured_at.as_str())
    );

    // The PSKs went over the wire and came back, but no log line holds them.
    let logged: String = wire
        .calls()
        .iter()
        .map(|call| format!("{call}\n"))
        .collect();
    for secret in [PSK, "rotated-psk-canary"] {
        assert!(!logged.contains(secret), "{secret} logged: {logged}");
    }
    assert!(logged.contains(r#""Psk":"***""#), "{logged}");
    let audit_json = serde_json::to_string(&sb.audit()).unwrap();
    assert!(!audit_json.contains(PSK), "{audit_json}");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_dual_tunnel_connection_answers_each_tunnels_psk() {
    let (sb, _wire, c) = start(world(), SHORT).await;
    let t = "TunnelOptionsSpecification";
    let tunnel =
        |n: usize, field: &str, value: &str| (format!("{t}.{n}.{field}"), value.to_owned());
    let owned = [
        ("VpnGatewayId".to_owned(), "vpn-a".to_owned()),
        ("LocalSubnet".to_owned(), "10.0.0.0/16".to_owned()),
        ("RemoteSubnet".to_owned(), "192.168.1.0/24".to_owned()),
        ("EnableTunnelsBgp".to_owned(), "true".to_owned()),
        tunnel(1, "CustomerGatewayId", "cgw-a"),
        tunnel(1, "Role", "master"),
        tunnel(1, "TunnelIkeConfig.Psk", TUNNEL_PSK),
        tunnel(1, "TunnelIkeConfig.IkeVersion", "ikev2"),
        tunnel(1, "TunnelIkeConfig.IkeLifetime", "3600"),
        tunnel(1, "EnableDpd", "False"),
        tunnel(2, "CustomerGatewayId", "cgw-c"),
        tunnel(2, "Role", "slave"),
        tunnel(2, "TunnelIpsecConfig.IpsecPfs", "disabled"),
        tunnel(2, "TunnelBgpConfig.TunnelCidr", "169.254.20.0/30"),
        tunnel(2, "TunnelBgpConfig.LocalBgpIp", "169.254.20.1"),
        tunnel(2, "TunnelBgpConfig.LocalAsn", "65100"),
    ];
    let r = call(&c, "CreateVpnConnection", &pairs(&owned)).await;
    let id = ok(&r)["VpnConnectionId"].as_str().unwrap().to_owned();
    let described = ok(&describe(&c, &id).await).clone();
    for single_only in [
        "CustomerGatewayId",
        "IkeConfig",
        "IpsecConfig",
        "VpnBgpConfig",
        "VcoHealthCheck",
    ] {
        assert!(
            described.get(single_only).is_none(),
            "{single_only}: {described}"
        );
    }
    assert_eq!(described["EnableTunnelsBgp"], true);
    let tunnels = described["TunnelOptionsSpecification"]["TunnelOptions"]
        .as_array()
        .unwrap();
    assert_eq!(tunnels.len(), 2);
    assert_eq!(
        keys(&tunnels[0]),
        [
            "CustomerGatewayId",
            "EnableDpd",
            "EnableNatTraversal",
            "InternetIp",
            "Role",
            "State",
            "Status",
            "TunnelBgpConfig",
            "TunnelId",
            "TunnelIkeConfig",
            "TunnelIndex",
            "TunnelIpsecConfig"
        ]
    );
    assert_eq!(
        (
            &tunnels[0]["Role"],
            &tunnels[0]["CustomerGatewayId"],
            &tunnels[0]["TunnelIndex"],
            &tunnels[0]["EnableDpd"]
        ),
        (&"master".into(), &"cgw-a".into(), &1.into(), &false.into())
    );
    assert_eq!(tunnels[0]["TunnelIkeConfig"]["Psk"], TUNNEL_PSK);
    assert_eq!(tunnels[0]["TunnelIkeConfig"]["IkeLifetime"], 3600);
    assert_eq!(tunnels[0]["TunnelIkeConfig"]["RemoteId"], "203.0.113.1");
    assert_eq!(tunnels[1]["Role"], "slave");
    assert_eq!(tunnels[1]["TunnelIpsecConfig"]["IpsecPfs"], "disabled");
    assert_eq!(
        tunnels[1]["TunnelBgpConfig"],
        serde_json::json!({
            "BgpStatus": "false", "LocalAsn": 65100, "LocalBgpIp": "169.254.20.1",
            "PeerBgpIp": "169.254.20.2", "TunnelCidr": "169.254.20.0/30",
        })
    );
    // The cloud generates the key of a tunnel given none: 16 characters.
    let generated = tunnels[1]["TunnelIkeConfig"]["Psk"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(generated.len(), 16);
    assert_ne!(generated, TUNNEL_PSK);
    let tunnel_id = tunnels[1]["TunnelId"].as_str().unwrap().to_owned();
    assert!(tunnel_id.starts_with("tun-"), "{tunnel_id}");
    // Listed by either tunnel's customer gateway.
    let r = call(
        &c,
        "DescribeVpnConnections",
        &[("CustomerGatewayId", "cgw-c")],
    )
    .await;
    assert_eq!(ok(&r)["TotalCount"], 1);
    wait_active(&c, "vpn-a").await;

    // A tunnel's settings change by its TunnelId; a single tunnel's parameters refused.
    let r = call(
        &c,
        "ModifyVpnConnectionAttribute",
        &[
            ("VpnConnectionId", &id),
            ("IkeConfig", r#"{"IkeVersion":"ikev2"}"#),
        ],
    )
    .await;
    assert_eq!(
        refused(&r),
        (
            400,
            "InvalidParameter",
            "The specified parameter \"IkeConfig\" is not valid: it is a single-tunnel connection's; give a dual-tunnel connection's per tunnel in TunnelOptionsSpecification.N."
        )
    );
    let owned = [
        ("VpnConnectionId".to_owned(), id.clone()),
        tunnel(1, "TunnelId", &tunnel_id),
        tunnel(1, "TunnelIkeConfig.Psk", "second-tunnel-new-key"),
    ];
    let r = call(&c, "ModifyVpnConnectionAttribute", &pairs(&owned)).await;
    let modified = ok(&r);
    let tunnels = modified["TunnelOptionsSpecification"]["TunnelOptions"]
        .as_array()
        .unwrap();
    assert_eq!(
        tunnels[1]["TunnelIkeConfig"]["Psk"],
        "second-tunnel-new-key"
    );
    assert_eq!(tunnels[0]["TunnelIkeConfig"]["Psk"], TUNNEL_PSK);
    wait_active(&c, "vpn-a").await;
    let described = ok(&describe(&c, &id).await).clone();
    assert_eq!(
        described["TunnelOptionsSpecification"]["TunnelOptions"][1]["TunnelIkeConfig"]["Psk"],
        "second-tunnel-new-key"
    );

    // Two masters, one tunnel, tunnel options on a single tunnel: refused.
    let two_masters = [
        ("VpnGatewayId".to_owned(), "vpn-b".to_owned()),
        ("LocalSubnet".to_owned(), "10.0.0.0/16".to_owned()),
        ("RemoteSubnet".to_owned(), "192.168.1.0/24".to_owned()),
        tunnel(1, "CustomerGatewayId", "cgw-a"),
        tunnel(1, "Role", "master"),
        tunnel(2, "CustomerGatewayId", "cgw-c"),
        tunnel(2, "Role", "master"),
    ];
    let r = call(&c, "CreateVpnConnection", &pairs(&two_masters)).await;
    assert_eq!(
        refused(&r),
        (
            400,
            "InvalidParameter",
            "The specified parameter \"TunnelOptionsSpecification.N.Role\" is not valid: a dual-tunnel connection has one tunnel with Role master and one with Role slave."
        )
    );
    let r = call(&c, "CreateVpnConnection", &pairs(&two_masters[..5])).await;
    assert_eq!(
        refused(&r),
        (
            400,
            "InvalidParameter",
            "The specified parameter \"TunnelOptionsSpecification\" is not valid: a dual-tunnel connection has exactly two tunnels (TunnelOptionsSpecification.1 and TunnelOptionsSpecification.2), not 1."
        )
    );
    let on_single = [
        ("VpnConnectionId".to_owned(), "vco-b".to_owned()),
        tunnel(1, "Role", "master"),
    ];
    let r = call(&c, "ModifyVpnConnectionAttribute", &pairs(&on_single)).await;
    assert_eq!(r.code(), "InvalidParameter");
    assert_eq!(sb.audit().len(), 2);
    sb.shutdown().await;
}

#[tokio::test]
async fn dry_run_on_create_vpn_connection_checks_everything_and_creates_nothing() {
    let (sb, _wire, c) = start(world(), LONG).await;
    let r = create(
        &c,
        &with(
            single("vpn-a", "cgw-a"),
            &[("DryRun", "true"), ("ClientToken", "t")],
        ),
    )
    .await;
    assert_eq!(
        refused(&r),
        (
            400,
            "DryRunOperation",
            "Request validation has been passed with DryRun flag set."
        )
    );
    assert!(sb.audit().is_empty());
    assert_eq!(status(&c, "vpn-a").await, "active");
    assert!(listed(&c, "vpn-a").await.is_empty());
    // Its checks are the create's: a DryRun of a duplicate answers the duplicate.
    let r = create(&c, &with(single("vpn-b", "cgw-b"), &[("DryRun", "true")])).await;
    assert_eq!(r.code(), "InvalidVpnConnection.AlreadyExists");
    // The precheck did not claim the token.
    let r = create(&c, &with(single("vpn-a", "cgw-a"), &[("ClientToken", "t")])).await;
    ok(&r);
    assert_eq!(sb.audit().len(), 1);
    sb.shutdown().await;
}

/// The API has DryRun on CreateVpnConnection only (of these calls); the cloud ignores a
/// parameter it does not know, so `DryRun=true` elsewhere acts, and the sandbox must act
/// too for a test to prove that vpnform never sends it there.
#[tokio::test]
async fn dry_run_true_acts_where_the_api_has_no_dry_run() {
    let (sb, _wire, c) = start(world(), SHORT).await;
    let dry = ("DryRun", "true");
    let r = call(
        &c,
        "ModifyVpnConnectionAttribute",
        &[("VpnConnectionId", "vco-b"), ("Name", "acted"), dry],
    )
    .await;
    ok(&r);
    wait_active(&c, "vpn-b").await;
    assert_eq!(ok(&describe(&c, "vco-b").await)["Name"], "acted");

    let r = call(
        &c,
        "DeleteVpnConnection",
        &[("VpnConnectionId", "vco-b"), dry],
    )
    .await;
    ok(&r);
    wait_active(&c, "vpn-b").await;
    assert_eq!(
        describe(&c, "vco-b").await.code(),
        "InvalidVpnConnectionInstanceId.NotFound"
    );

    let r = call(
        &c,
        "ModifyCustomerGatewayAttribute",
        &[
            ("CustomerGatewayId", "cgw-c"),
            ("Description", "acted"),
            dry,
        ],
    )
    .await;
    ok(&r);
    assert_eq!(
        sb.world().customer_gateways["cgw-c"].description.as_deref(),
        Some("acted")
    );
    let r = call(
        &c,
        "DeleteCustomerGateway",
        &[("CustomerGatewayId", "cgw-c"), dry],
    )
    .await;
    ok(&r);
    assert!(!sb.world().customer_gateways.contains_key("cgw-c"));

    let r = call(
        &c,
        "ModifyVpnGatewayAttribute",
        &[
            ("VpnGatewayId", "vpn-a"),
            ("Name", "acted"),
            ("Description", "dry-run sent"),
            dry,
        ],
    )
    .await;
    ok(&r);
    let r = call(&c, "DescribeVpnGateway", &[("VpnGatewayId", "vpn-a")]).await;
    assert_eq!(
        (&ok(&r)["Name"], &ok(&r)["Description"]),
        (&"acted".into(), &"dry-run sent".into())
    );

    let actions: Vec<String> = sb.audit().into_iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            "ModifyVpnConnectionAttribute",
            "DeleteVpnConnection",
            "ModifyCustomerGatewayAttribute",
            "DeleteCustomerGateway",
            "ModifyVpnGatewayAttribute"
        ]
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn an_ipsec_server_and_an_ipsec_connection_exclude_each_other_on_a_gateway() {
    let (sb, _wire, c) = start(world(), LONG).await;
    let r = create(&c, &single("vpn-srv", "cgw-a")).await;
    assert_eq!(
        refused(&r),
        (
            400,
            "OperationFailed.IPsecServerExist",
            "An IPsec server already exists in the VPN gateway vpn-srv (iss-srv): a gateway with an IPsec server holds no IPsec-VPN connection."
        )
    );
    let r = call(
        &c,
        "CreateIpsecServer",
        &[
            ("VpnGatewayId", "vpn-b"),
            ("LocalSubnet", "10.0.0.0/24"),
            ("ClientIpPool", "10.8.0.0/16"),
        ],
    )
    .await;
    assert_eq!(
        refused(&r),
        (
            400,
            "OperationFailed.IpsecConnectionExist",
            "The VPN gateway vpn-b has 1 IPsec-VPN connection(s): delete them before creating an IPsec server."
        )
    );
    assert!(sb.audit().is_empty());
    sb.shutdown().await;
}

#[tokio::test]
async fn a_replayed_client_token_answers_the_first_create_without_a_second() {
    let (sb, _wire, c) = start(world(), LONG).await;
    let params = with(single("vpn-a", "cgw-a"), &[("ClientToken", "vco-token")]);
    let first = create(&c, &params).await;
    ok(&first);
    // The gateway is configuring: the token is looked at before the gateway.
    let again = create(&c, &params).await;
    assert_eq!(
        again.body, first.body,
        "the first answer, RequestId included"
    );
    assert_eq!(
        again.headers["x-acs-request-id"].to_str().unwrap(),
        first.body["RequestId"].as_str().unwrap()
    );
    let other = create(&c, &with(params.clone(), &[("Name", "other")])).await;
    assert_eq!(other.code(), "IdempotentParameterMismatch");

    let cgw = [
        ("IpAddress", "198.51.100.20"),
        ("Name", "x"),
        ("ClientToken", "cgw-token"),
    ];
    let first = call(&c, "CreateCustomerGateway", &cgw).await;
    ok(&first);
    let again = call(&c, "CreateCustomerGateway", &cgw).await;
    assert_eq!(again.body, first.body);
    let other = call(
        &c,
        "CreateCustomerGateway",
        &[("IpAddress", "198.51.100.21"), ("ClientToken", "cgw-token")],
    )
    .await;
    assert_eq!(other.code(), "IdempotentParameterMismatch");

    let actions: Vec<String> = sb.audit().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["CreateVpnConnection", "CreateCustomerGateway"]);
    assert_eq!(sb.world().vpn_connections.len(), 2);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_connection_create_is_refused_with_the_documented_codes() {
    let (sb, _wire, c) = start(world(), LONG).await;
    type Refusal = (u16, &'static str, &'static str);
    let cases: [(Params, Refusal); 9] = [
        (
            with(single("vpn-a", "cgw-a"), &[("LocalSubnet", "10.0.0.0/16,")]),
            (
                400,
                "IllegalParam.LocalSubnet",
                "The specified LocalSubnet is illegal: `` is not an IPv4 CIDR block such as 10.0.0.0/24.",
            ),
        ),
        (
            with(
                single("vpn-a", "cgw-a"),
                &[("RemoteSubnet", "192.168.0.1/24")],
            ),
            (
                400,
                "IllegalParam.RemoteSubnet",
                "The specified RemoteSubnet is illegal: `192.168.0.1/24` has host bits set: write the network address 192.168.0.0/24.",
            ),
        ),
        (
            with(single("vpn-zz", "cgw-a"), &[]),
            (
                404,
                "InvalidVpnGatewayInstanceId.NotFound",
                "The specified VpnGatewayId vpn-zz does not exist.",
            ),
        ),
        (
            with(single("vpn-a", "cgw-zz"), &[]),
            (
                404,
                "InvalidCustomerGatewayInstanceId.NotFound",
                "The specified customer gateway instance id cgw-zz does not exist.",
            ),
        ),
        (
            with(single("vpn-full", "cgw-a"), &[]),
            (
                400,
                "Resource.QuotaFull",
                "The quota of resource is full: the VPN gateway vpn-full holds 10 IPsec-VPN connections, its quota of 10.",
            ),
        ),
        (
            with(single("vpn-b", "cgw-b"), &[]),
            (
                400,
                "InvalidVpnConnection.AlreadyExists",
                "Vpn connection already exists: vco-b connects the VPN gateway vpn-b to the customer gateway cgw-b.",
            ),
        ),
        (
            with(
                single("vpn-a", "cgw-a"),
                &[("IkeConfig", r#"{"Psk":"has space"}"#)],
            ),
            (
                400,
                "InvalidParameter",
                "The specified parameter \"IkeConfig\" is not valid: the pre-shared key is 1 to 100 visible ASCII characters, without spaces.",
            ),
        ),
        (
            with(
                single("vpn-a", "cgw-a"),
                &[(
                    "BgpConfig",
                    r#"{"EnableBgp":"true","TunnelCidr":"169.254.10.0/29"}"#,
                )],
            ),
            (
                400,
                "InvalidParameter",
                "The specified parameter \"BgpConfig\" is not valid: TunnelCidr is a /30 CIDR block inside 169.254.0.0/16, such as 169.254.11.0/30.",
            ),
        ),
        (
            with(single("vpn-a", "cgw-a"), &[("Name", "http://x")]),
            (
                400,
                "InvalidName",
                "The name is not valid: Name is 1 to 100 characters and does not start with http:// or https://.",
            ),
        ),
    ];
    for (params, expected) in cases {
        let r = create(&c, &params).await;
        assert_eq!(refused(&r), expected);
    }
    let r = create(
        &c,
        &single("vpn-a", "cgw-a")
            .into_iter()
            .filter(|(k, _)| *k != "CustomerGatewayId")
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(r.code(), "MissingCustomerGatewayId");
    for action in [
        "ModifyVpnConnectionAttribute",
        "DeleteVpnConnection",
        "DescribeVpnConnection",
    ] {
        let r = call(&c, action, &[("VpnConnectionId", "vco-zz")]).await;
        assert_eq!(
            refused(&r),
            (
                404,
                "InvalidVpnConnectionInstanceId.NotFound",
                "The specified vpn connection instance id vco-zz does not exist."
            ),
            "{action}"
        );
    }
    assert!(sb.audit().is_empty());
    sb.shutdown().await;
}

/// `--status-lag` and `--list-lag` apply to connections as to IPsec servers: the gateway
/// first still shows `active` (yet refuses another task), and once it is `active` again
/// the Describe calls still give the old answer for the list lag.
#[tokio::test]
async fn a_connection_under_status_and_list_lags_shows_late() {
    let config = SandboxConfig {
        status_lag: Duration::from_secs(1),
        list_lag: Duration::from_secs(1),
        ..configuring(SHORT)
    };
    let (sb, _wire, c) = start_with(config, world()).await;
    let r = create(&c, &single("vpn-a", "cgw-a")).await;
    let id = ok(&r)["VpnConnectionId"].as_str().unwrap().to_owned();
    assert_eq!(status(&c, "vpn-a").await, "active", "the status lag");
    let r = create(&c, &single("vpn-a", "cgw-c")).await;
    assert_eq!(
        refused(&r),
        (
            400,
            "VpnTask.CONFLICT",
            "A task is already running on the specified VPN gateway."
        )
    );
    let start = Instant::now();
    while status(&c, "vpn-a").await != "updating" {
        assert!(start.elapsed() < Duration::from_secs(5), "never updating");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wait_active(&c, "vpn-a").await;
    assert!(listed(&c, "vpn-a").await.is_empty(), "the list lag");
    assert_eq!(
        describe(&c, &id).await.code(),
        "InvalidVpnConnectionInstanceId.NotFound"
    );
    let start = Instant::now();
    while listed(&c, "vpn-a").await.is_empty() {
        assert!(start.elapsed() < Duration::from_secs(5), "never listed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A delete: gone from the world when the gateway is done, listed a while longer.
    ok(&call(&c, "DeleteVpnConnection", &[("VpnConnectionId", &id)]).await);
    let start = Instant::now();
    while sb.world().vpn_connections.contains_key(&id) {
        assert!(start.elapsed() < Duration::from_secs(5), "never gone");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(listed(&c, "vpn-a").await, [id], "the list lag");
    assert_eq!(sb.audit().len(), 2);
    sb.shutdown().await;
}

#[tokio::test]
async fn the_family_actions_meet_rate_limits_policies_and_faults() {
    let (sb, _wire, c) = start(world(), LONG).await;
    sb.set_rate_limits(Some(RateLimits {
        default_per_second: None,
        per_action: [("DescribeVpnConnections".to_owned(), 1.0)].into(),
    }));
    ok(&call(&c, "DescribeVpnConnections", &[]).await);
    let r = call(&c, "DescribeVpnConnections", &[]).await;
    assert_eq!(r.code(), "Throttling.User");
    assert!(r.headers.contains_key("x-acs-retry-after"));
    sb.set_rate_limits(None);

    sb.set_policy(sandbox::Policy {
        deny_resources: ["cgw-a".to_owned()].into(),
        ..sandbox::Policy::default()
    });
    let r = create(&c, &single("vpn-a", "cgw-a")).await;
    assert_eq!(r.code(), "Forbidden");
    sb.set_policy(sandbox::Policy {
        deny_actions: ["DeleteCustomerGateway".to_owned()].into(),
        ..sandbox::Policy::default()
    });
    let r = call(
        &c,
        "DeleteCustomerGateway",
        &[("CustomerGatewayId", "cgw-c")],
    )
    .await;
    assert_eq!(r.code(), "Forbidden");
    sb.set_policy(sandbox::Policy::default());

    // A lost answer after the effect; the retry with the token gets the first answer.
    sb.set_faults(Faults {
        lost_500: 1.0,
        ..Faults::default()
    });
    let params = [("IpAddress", "198.51.100.30"), ("ClientToken", "lost")];
    let r = call(&c, "CreateCustomerGateway", &params).await;
    assert_eq!(r.code(), "InternalError");
    sb.set_faults(Faults::default());
    let r = call(&c, "CreateCustomerGateway", &params).await;
    ok(&r);
    sb.inject(Injection {
        action: Some("CreateVpnConnection".into()),
        status: 400,
        code: "VpnTask.CONFLICT".into(),
        retry_after: None,
        after_effect: false,
        times: 1,
    });
    let r = create(&c, &single("vpn-a", "cgw-a")).await;
    assert_eq!(r.code(), "VpnTask.CONFLICT");
    assert_eq!(
        sb.audit()
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["CreateCustomerGateway"]
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn modify_vpn_gateway_attribute_changes_its_name_and_description_at_once() {
    let mut w = world();
    w.add_gateway("vpn-busy", REGION).status = "updating".into();
    let (sb, _wire, c) = start(w, MEDIUM).await;
    let r = call(
        &c,
        "ModifyVpnGatewayAttribute",
        &[
            ("VpnGatewayId", "vpn-a"),
            ("Name", "hz-main"),
            ("Description", "main office"),
        ],
    )
    .await;
    let answer = ok(&r).clone();
    assert_eq!(
        keys(&answer),
        [
            "AutoPropagate",
            "BusinessStatus",
            "CreateTime",
            "Description",
            "EnableBgp",
            "EndTime",
            "InternetIp",
            "Name",
            "RequestId",
            "ResourceGroupId",
            "Spec",
            "Status",
            "VSwitchId",
            "VpcId",
            "VpnGatewayId"
        ]
    );
    assert_eq!(
        (&answer["Name"], &answer["Description"], &answer["Status"]),
        (&"hz-main".into(), &"main office".into(), &"active".into())
    );
    let r = call(&c, "DescribeVpnGateways", &[("VpnGatewayId", "vpn-a")]).await;
    let listed = &ok(&r)["VpnGateways"]["VpnGateway"][0];
    assert_eq!(
        (
            &listed["Name"],
            &listed["Description"],
            &listed["AutoPropagate"]
        ),
        (&"hz-main".into(), &"main office".into(), &false.into())
    );
    // Route propagation configures the gateway.
    let r = call(
        &c,
        "ModifyVpnGatewayAttribute",
        &[("VpnGatewayId", "vpn-a"), ("AutoPropagate", "true")],
    )
    .await;
    assert_eq!(ok(&r)["AutoPropagate"], true);
    assert_eq!(status(&c, "vpn-a").await, "updating");
    let r = call(
        &c,
        "ModifyVpnGatewayAttribute",
        &[("VpnGatewayId", "vpn-a"), ("Name", "again")],
    )
    .await;
    assert_eq!(r.code(), "VpnGateway.Configuring");
    wait_active(&c, "vpn-a").await;
    for (params, expected) in [
        (
            vec![("VpnGatewayId", "vpn-a"), ("Name", "1-starts-with-a-digit")],
            (
                400,
                "InvalidName",
                "The name is not valid: a VPN gateway's Name is 2 to 100 characters, a letter first, then letters, digits, underscores, hyphens and periods.",
            ),
        ),
        (
            vec![("VpnGatewayId", "vpn-zz"), ("Name", "x1")],
            (
                404,
                "InvalidVpnGatewayInstanceId.NotFound",
                "The specified VpnGatewayId vpn-zz does not exist.",
            ),
        ),
        (
            vec![("VpnGatewayId", "vpn-busy"), ("Name", "x1")],
            (
                400,
                "VpnGateway.Configuring",
                "The specified VPN gateway is being configured. Try again later.",
            ),
        ),
    ] {
        let r = call(&c, "ModifyVpnGatewayAttribute", &params).await;
        assert_eq!(refused(&r), expected);
    }
    let audit = sb.audit();
    assert_eq!(audit.len(), 2);
    assert_eq!(
        audit[0].configured_at, audit[0].time,
        "a rename is synchronous"
    );
    assert!(
        audit[1].configured_at > audit[1].time,
        "propagation configures"
    );
    let world = sb.world();
    let gateway: &Gateway = &world.vpn_gateways["vpn-a"];
    assert!(gateway.auto_propagate);
    sb.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// The world file.

/// Each rule a world file must keep, broken once: `sandbox serve` refuses the file with
/// the whole message.
#[test]
fn a_world_file_that_breaks_a_family_rule_is_refused_whole() {
    let base = "vpn_gateways:\n  vpn-a: {region: cn-hangzhou}\ncustomer_gateways:\n  cgw-a: {region: cn-hangzhou, ip_address: 203.0.113.1}\n  cgw-b: {region: cn-hangzhou, ip_address: 203.0.113.2}\nvpn_connections:\n  vco-a: {vpn_gateway: vpn-a, customer_gateway: cgw-a}\n";
    let dual = "  vco-d:\n    vpn_gateway: vpn-a\n    tunnels:\n      - {customer_gateway: cgw-a, role: master}\n      - {customer_gateway: cgw-b, role: slave}\n";
    let cases: Vec<(String, &str)> = vec![
        (
            base.replace("vco-a: {vpn_gateway: vpn-a", "vco-a: {vpn_gateway: vpn-zz"),
            "vpn connection vco-a is on vpn gateway vpn-zz, which the world does not define: add it under `vpn_gateways`",
        ),
        (
            base.replace("customer_gateway: cgw-a}", "customer_gateway: cgw-zz}"),
            "vpn connection vco-a uses customer gateway cgw-zz, which the world does not define: add it under `customer_gateways`",
        ),
        (
            base.replace("cgw-a: {region: cn-hangzhou", "cgw-a: {region: cn-shanghai"),
            "vpn connection vco-a is on vpn gateway vpn-a in cn-hangzhou but uses customer gateway cgw-a in cn-shanghai: a connection and its customer gateways are in one region",
        ),
        (
            base.replace("203.0.113.2", "203.0.113.1"),
            "world.yaml: customer gateways cgw-a and cgw-b both have ip_address 203.0.113.1 in cn-hangzhou, and a region holds one customer gateway per IP address: remove one or change its ip_address",
        ),
        (
            base.replace("vpn-a: {region: cn-hangzhou}", "vpn-a: {region: cn-hangzhou, ipsec_connections: 10}"),
            "world.yaml: vpn gateway vpn-a holds 11 IPsec connections (1 under `vpn_connections`, 10 anonymous `ipsec_connections`), and a gateway holds at most 10: remove some or move them to another gateway",
        ),
        (
            format!("{base}{dual}").replace("role: slave", "role: master"),
            "vco-d: a dual-tunnel connection has one tunnel with role master and one with role slave",
        ),
        (
            format!("{base}{dual}").replace("      - {customer_gateway: cgw-b, role: slave}\n", ""),
            "vco-d: a dual-tunnel connection has exactly two `tunnels`, one master and one slave",
        ),
        (
            format!("{base}{dual}").replace("vpn_gateway: vpn-a\n    tunnels", "vpn_gateway: vpn-a\n    customer_gateway: cgw-b\n    tunnels"),
            "vco-d: give `customer_gateway` (single tunnel) or `tunnels` (dual tunnel), not both",
        ),
        (
            format!("{base}{dual}").replace("role: slave", "role: backup"),
            "vco-d: role `backup` is not one of master, slave",
        ),
        (
            format!("{base}ipsec_servers:\n  iss-a: {{vpn_gateway: vpn-a}}\n"),
            "world.yaml: vpn gateway vpn-a holds ipsec server iss-a and vpn connection vco-a, and a gateway with an IPsec server holds no IPsec connection: remove one or move it to another gateway",
        ),
        (
            "vpn_gateways:\n  vpn-a: {region: cn-hangzhou, ipsec_connections: 2}\nipsec_servers:\n  iss-a: {vpn_gateway: vpn-a}\n".to_owned(),
            "world.yaml: vpn gateway vpn-a holds ipsec server iss-a and 2 anonymous IPsec connection(s) (`ipsec_connections`), and a gateway with an IPsec server holds no IPsec connection: remove one or move it to another gateway",
        ),
        (
            base.replace("ip_address: 203.0.113.2", "ip_address: 203.0.113"),
            "cgw-b: ip_address `203.0.113` is not valid: not an IPv4 address such as 203.0.113.7",
        ),
        (
            base.replace("customer_gateway: cgw-a}", "customer_gateway: cgw-a, local_subnet: \"10.0.0.1/24\"}"),
            "vco-a: local_subnet `10.0.0.1/24` is not valid: `10.0.0.1/24` has host bits set: write the network address 10.0.0.0/24",
        ),
        (
            base.replace("  cgw-b:", "  cgw-B:"),
            "`cgw-B` is not a customer gateway id: write `cgw-` then lowercase letters and digits",
        ),
    ];
    for (text, message) in cases {
        world_refused(&text, message);
    }
}

/// `sandbox serve` refuses the world file `text` with `message`, whole.
pub(crate) fn world_refused(text: &str, message: &str) {
    let ws = Workspace::new().file("world.yaml", text);
    ws.vpnform(&[
        "sandbox",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--world",
        "world.yaml",
    ])
    .code(1)
    .stderr(format!("error: {message}\n"))
    .run();
}

/// What a script of tests/sdk printed against `sandbox serve` of a world file.
pub(crate) struct SdkRun {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) success: bool,
    /// The sandbox's call log.
    pub(crate) serve_log: String,
}

/// Runs `python3 tests/sdk/SCRIPT URL ARGS...` against `sandbox serve` of `world` (a
/// configure time of 200ms), then stops the sandbox.
pub(crate) fn run_sdk(world: &str, script: &str, args: &[&str]) -> SdkRun {
    require_sdk();
    let ws = Workspace::new().file("world.yaml", world);
    let mut child = ws
        .command(&[
            "sandbox",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--world",
            "world.yaml",
            "--configure-time",
            "200ms",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let (url, _) = crate::sandbox::endpoint_from(&mut stdout);
    let script = format!("{}/tests/sdk/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&url)
        .args(args)
        .output()
        .expect("python3 runs");
    let _ = child.kill();
    let _ = child.wait();
    let mut serve_log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut serve_log).unwrap();
    SdkRun {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        success: out.status.success(),
        serve_log,
    }
}

/// Fails, saying what to install, where python3 or the official SDK is missing: the
/// tests that drive the sandbox with it are never skipped.
pub(crate) fn require_sdk() {
    let found = std::process::Command::new("python3")
        .args(["-c", "import alibabacloud_vpc20160428"])
        .output();
    assert!(
        found.as_ref().is_ok_and(|o| o.status.success()),
        "the official Alibaba Cloud VPC SDK for Python is missing ({found:?}): install it with \
         `python3 -m pip install -r tests/sdk/requirements.txt` (`bash .ci/run` does)"
    );
}

/// Alibaba's official Python SDK creates, describes, modifies and deletes a customer
/// gateway and connections (single and dual tunnel), and renames a gateway, through
/// `vpnform sandbox serve` (tests/sdk/family.py), reading the answers through its own
/// models. It needs python3 with the SDK (`python3 -m pip install -r
/// tests/sdk/requirements.txt`; `.ci/run` installs it where it is missing).
#[test]
fn the_official_python_sdk_drives_the_family_through_sandbox_serve() {
    let run = run_sdk(
        "vpn_gateways:\n  vpn-bp1sdk: {region: cn-hangzhou}\n  vpn-bp1sdksrv: {region: cn-hangzhou}\ncustomer_gateways:\n  cgw-bp1sdkbackup: {region: cn-hangzhou, ip_address: 203.0.113.99}\nipsec_servers:\n  iss-bp1sdk: {vpn_gateway: vpn-bp1sdksrv}\n",
        "family.py",
        &["vpn-bp1sdk", "vpn-bp1sdksrv", "cgw-bp1sdkbackup"],
    );
    let serve_log = run.serve_log;
    assert_eq!(
        run.stdout,
        "customer gateway: True 203.0.113.7 branch 65001\n\
         duplicate ip: InvalidIpAddress.AlreadyExist\n\
         described customer gateway: branch the branch office sdk-bgp-key\n\
         modified customer gateway: renamed moved\n\
         dry run: DryRunOperation\n\
         server on the gateway: OperationFailed.IPsecServerExist\n\
         malformed remote subnet: IllegalParam.RemoteSubnet\n\
         created: True\n\
         listed while configuring: True\n\
         modify while configuring: VpnConnection.Configuring\n\
         described: branch 10.0.0.0/16 192.168.0.0/24 ikev2 3600 sdk-psk-value ike_sa_not_established\n\
         modified: renamed 192.168.0.0/24,192.168.1.0/24 group14 sdk-psk-rotated\n\
         replayed create: True True\n\
         in use: DependencyViolation.VpnConnection\n\
         dual tunnel: True master slave sdk-tunnel-psk 16\n\
         dual modified: sdk-tunnel-rotated\n\
         gateway: hz-main main office True\n\
         deleted: InvalidVpnConnectionInstanceId.NotFound InvalidVpnConnectionInstanceId.NotFound\n\
         customer gateway deleted: InvalidCustomerGatewayInstanceId.NotFound\n",
        "stderr: {}",
        run.stderr
    );
    assert!(run.success);
    for action in [
        "CreateCustomerGateway -> 200 OK",
        "CreateVpnConnection -> 200 OK",
        "ModifyVpnConnectionAttribute -> 200 OK",
        "ModifyVpnGatewayAttribute -> 200 OK",
    ] {
        assert!(serve_log.contains(action), "{action}: {serve_log}");
    }
    for secret in [
        "sdk-bgp-key",
        "sdk-psk-value",
        "sdk-psk-rotated",
        "sdk-tunnel-psk",
        "sdk-tunnel-rotated",
    ] {
        assert!(
            !serve_log.contains(secret),
            "{secret} is logged: {serve_log}"
        );
    }
}
