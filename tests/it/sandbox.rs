//! The sandbox over real HTTP: requests signed with the crate's signer and sent with
//! reqwest to an in-process sandbox on 127.0.0.1:0 (and one run of the real binary).

use std::time::Duration;

use serde_json::Value;
use vpnform::cloud::sign;
use vpnform::sandbox::{self, Faults, Policy, RateLimits, Sandbox, SandboxConfig, World};

use crate::support::Workspace;

const REGION: &str = "cn-hangzhou";

/// A minimal signing client: common parameters, a fresh nonce and timestamp, v1 signature
/// (also the family's tests', `sandbox_family.rs`).
pub(crate) struct Client {
    url: String,
    id: String,
    secret: String,
    http: reqwest::Client,
}

#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) headers: reqwest::header::HeaderMap,
}

impl Reply {
    pub(crate) fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or("")
    }
}

impl Client {
    pub(crate) fn new(sandbox: &Sandbox) -> Client {
        Client::with_key(
            sandbox,
            sandbox::DEFAULT_ACCESS_KEY_ID,
            sandbox::DEFAULT_ACCESS_KEY_SECRET,
        )
    }

    fn with_key(sandbox: &Sandbox, id: &str, secret: &str) -> Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Client {
            url: sandbox.url(),
            id: id.to_owned(),
            secret: secret.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// The common parameters plus `extra`, signed for `method`; returns the query
    /// string to send, `Signature` last.
    fn signed(&self, method: &str, action: &str, extra: &[(&str, &str)]) -> String {
        let nonce = uuid::Uuid::new_v4().to_string();
        let now = jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let mut params: Vec<(&str, &str)> = vec![
            ("Action", action),
            ("Version", "2016-04-28"),
            ("Format", "JSON"),
            ("AccessKeyId", &self.id),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", &nonce),
            ("Timestamp", &now),
        ];
        // `extra` may override a common parameter (a stale timestamp, a reused nonce).
        params.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        params.extend_from_slice(extra);
        sign_query(method, &self.secret, &params)
    }

    pub(crate) async fn call(&self, action: &str, extra: &[(&str, &str)]) -> Reply {
        let query = self.signed("POST", action, extra);
        self.send_raw("POST", &query, None).await
    }

    async fn send_raw(&self, method: &str, query: &str, form: Option<String>) -> Reply {
        let url = format!("{}?{query}", self.url);
        let mut req = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url),
        };
        if let Some(form) = form {
            req = req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form);
        }
        let res = req.send().await.expect("send");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            body,
            headers,
        }
    }
}

fn sign_query(method: &str, secret: &str, params: &[(&str, &str)]) -> String {
    let query = sign::canonical_query(params.iter().copied());
    let sig = sign::signature(secret, &sign::string_to_sign(method, &query));
    format!("{query}&Signature={}", sign::percent_encode(&sig))
}

fn world(servers: &[(&str, &str)]) -> World {
    let mut w = World::default();
    for (server, gateway) in servers {
        w.add_server(server, gateway, REGION).name = Some((*server).to_owned());
    }
    w
}

fn config(configure_time: Duration) -> SandboxConfig {
    SandboxConfig {
        configure_time: (configure_time, configure_time),
        ..SandboxConfig::default()
    }
}

async fn start(servers: &[(&str, &str)], configure_time: Duration) -> (Sandbox, Client) {
    let sb = sandbox::start(config(configure_time), world(servers))
        .await
        .unwrap();
    let client = Client::new(&sb);
    (sb, client)
}

async fn delete(c: &Client, server: &str, token: Option<&str>) -> Reply {
    let mut p = vec![("RegionId", REGION), ("IpsecServerId", server)];
    if let Some(t) = token {
        p.push(("ClientToken", t));
    }
    c.call("DeleteIpsecServer", &p).await
}

async fn status(c: &Client, gateway: &str) -> String {
    let r = c
        .call(
            "DescribeVpnGateway",
            &[("RegionId", REGION), ("VpnGatewayId", gateway)],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["Status"].as_str().unwrap().to_owned()
}

async fn listed(c: &Client) -> Vec<String> {
    let r = c
        .call(
            "ListIpsecServers",
            &[("RegionId", REGION), ("MaxResults", "20")],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["IpsecServers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["IpsecServerId"].as_str().unwrap().to_owned())
        .collect()
}

/// Polls (no timing assertion) until the gateway is active again.
async fn wait_active(c: &Client, gateway: &str) {
    for _ in 0..400 {
        if status(c, gateway).await == "active" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{gateway} never became active");
}

#[tokio::test]
async fn describe_answers_in_alibabas_json_shape() {
    let (sb, c) = start(&[("iss-a", "vpn-a")], Duration::from_secs(2)).await;
    let r = c
        .call(
            "DescribeVpnGateway",
            &[("RegionId", REGION), ("VpnGatewayId", "vpn-a")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["VpnGatewayId"], "vpn-a");
    assert_eq!(r.body["Status"], "active");
    assert_eq!(r.body["BusinessStatus"], "Normal");
    let id = r.body["RequestId"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(r.headers["x-acs-request-id"], id);
    assert_eq!(sb.calls()["DescribeVpnGateway"], 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn get_and_post_with_a_form_body_verify_too() {
    let (sb, c) = start(&[("iss-a", "vpn-a")], Duration::from_secs(2)).await;
    let extra = [("RegionId", REGION), ("VpnGatewayId", "vpn-a")];
    let q = c.signed("GET", "DescribeVpnGateway", &extra);
    assert_eq!(c.send_raw("GET", &q, None).await.status, 200);
    // The signed pairs split between the query and a form body.
    let q = c.signed("POST", "DescribeVpnGateway", &extra);
    let (a, b): (Vec<&str>, Vec<&str>) = q.split('&').partition(|p| p.starts_with('A'));
    let r = c.send_raw("POST", &a.join("&"), Some(b.join("&"))).await;
    assert_eq!(r.status, 200, "{r:?}");
    // Signed for GET, sent as POST: the method word is part of the string to sign.
    let q = c.signed("GET", "DescribeVpnGateway", &extra);
    assert_eq!(
        c.send_raw("POST", &q, None).await.code(),
        "SignatureDoesNotMatch"
    );
    sb.shutdown().await;
}

fn vector() -> Value {
    let file: Value = serde_json::from_str(include_str!("../data/signature-v1.json")).unwrap();
    file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "vpc_delete_ipsec_server_post")
        .unwrap()
        .clone()
}

async fn vector_sandbox() -> (Sandbox, Client, Value) {
    let v = vector();
    let id = v["params"]["AccessKeyId"].as_str().unwrap();
    let secret = v["access_key_secret"].as_str().unwrap();
    let config = SandboxConfig {
        access_key_id: id.to_owned(),
        access_key_secret: secret.into(),
        // The vector's timestamp is from 2024: replaying it needs the skew check off.
        check_timestamp: false,
        ..config(Duration::from_secs(2))
    };
    let sb = sandbox::start(config, world(&[("iss-bp1bo3xuvcxo7ixll0abc", "vpn-v")]))
        .await
        .unwrap();
    let c = Client::with_key(&sb, id, secret);
    (sb, c, v)
}

#[tokio::test]
async fn the_official_sdk_vector_verifies_byte_for_byte() {
    let (sb, c, v) = vector_sandbox().await;
    let query = format!(
        "{}&Signature={}",
        v["canonicalized_query_string"].as_str().unwrap(),
        sign::percent_encode(v["signature"].as_str().unwrap())
    );
    let r = c.send_raw("POST", &query, None).await;
    assert_eq!(r.status, 200, "{r:?}");
    let audit = sb.audit();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].resource, "iss-bp1bo3xuvcxo7ixll0abc");
    assert_eq!(
        audit[0].client_token.as_deref(),
        Some("02fb3da4-130e-11e9-8e44-001sdfg")
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn one_changed_byte_fails_and_the_message_ends_with_the_servers_string_to_sign() {
    let (sb, c, v) = vector_sandbox().await;
    let canonical = v["canonicalized_query_string"].as_str().unwrap();
    let changed = canonical.replace("DryRun=false", "DryRun=falsE");
    assert_ne!(changed, canonical);
    let query = format!(
        "{changed}&Signature={}",
        sign::percent_encode(v["signature"].as_str().unwrap())
    );
    let r = c.send_raw("POST", &query, None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "SignatureDoesNotMatch");
    let expected = v["string_to_sign"]
        .as_str()
        .unwrap()
        .replace("DryRun%3Dfalse", "DryRun%3DfalsE");
    assert_eq!(
        r.body["Message"],
        format!(
            "Specified signature is not matched with our calculation. server string to sign is:{expected}"
        )
    );
    assert!(sb.audit().is_empty());
    sb.shutdown().await;
}

#[tokio::test]
async fn credentials_timestamp_and_nonce_are_checked() {
    let (sb, c) = start(&[("iss-a", "vpn-a")], Duration::from_secs(2)).await;
    let extra = [("RegionId", REGION), ("VpnGatewayId", "vpn-a")];

    let wrong_secret = Client::with_key(&sb, "sandbox", "not-the-secret");
    let r = wrong_secret.call("DescribeVpnGateway", &extra).await;
    assert_eq!((r.status, r.code()), (400, "SignatureDoesNotMatch"));

    let unknown = Client::with_key(&sb, "LTAInobody", "sandbox-secret");
    let r = unknown.call("DescribeVpnGateway", &extra).await;
    assert_eq!((r.status, r.code()), (404, "InvalidAccessKeyId.NotFound"));

    let stale = (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(16))
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut with_stale = extra.to_vec();
    with_stale.push(("Timestamp", &stale));
    let r = c.call("DescribeVpnGateway", &with_stale).await;
    assert_eq!((r.status, r.code()), (400, "InvalidTimeStamp.Expired"));

    let mut with_nonce = extra.to_vec();
    with_nonce.push(("SignatureNonce", "nonce-1"));
    assert_eq!(c.call("DescribeVpnGateway", &with_nonce).await.status, 200);
    let r = c.call("DescribeVpnGateway", &with_nonce).await;
    assert_eq!((r.status, r.code()), (400, "SignatureNonceUsed"));
    sb.shutdown().await;
}

#[tokio::test]
async fn missing_and_malformed_parameters_unknown_action_and_version() {
    let (sb, c) = start(&[("iss-a", "vpn-a")], Duration::from_secs(2)).await;
    let r = c.call("DeleteIpsecServer", &[("RegionId", REGION)]).await;
    assert_eq!((r.status, r.code()), (400, "MissingIpsecServerId"));
    assert_eq!(
        r.body["Message"],
        "IpsecServerId is mandatory for this action."
    );

    let q = c.signed("POST", "DescribeVpnGateway", &[("RegionId", REGION)]);
    let without_nonce: Vec<&str> = q
        .split('&')
        .filter(|p| !p.starts_with("SignatureNonce="))
        .collect();
    let r = c.send_raw("POST", &without_nonce.join("&"), None).await;
    assert_eq!((r.status, r.code()), (400, "MissingParameter"));
    assert_eq!(
        r.body["Message"],
        "The input parameter \"SignatureNonce\" that is mandatory for processing this request is not supplied."
    );

    for (action, name, value) in [
        ("ListIpsecServers", "MaxResults", "0"),
        ("ListIpsecServers", "MaxResults", "21"),
        ("ListIpsecServers", "NextToken", "garbage"),
        ("DescribeVpnGateways", "PageSize", "51"),
        ("DescribeVpnGateways", "PageNumber", "x"),
    ] {
        let r = c.call(action, &[("RegionId", REGION), (name, value)]).await;
        assert_eq!(
            (r.status, r.code()),
            (400, "InvalidParameter"),
            "{name}={value}"
        );
    }
    let r = delete_with(&c, &[("DryRun", "maybe")]).await;
    assert_eq!(r.code(), "InvalidParameter");
    let long = "t".repeat(65);
    let r = delete_with(&c, &[("ClientToken", &long)]).await;
    assert_eq!(r.code(), "InvalidParameter");

    let r = c.call("CreateVpc", &[("RegionId", REGION)]).await;
    assert_eq!((r.status, r.code()), (404, "InvalidAction.NotFound"));
    let r = c
        .call(
            "DescribeVpnGateway",
            &[("RegionId", REGION), ("Version", "2014-05-26")],
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "InvalidVersion"));
    let r = c
        .call(
            "DescribeVpnGateway",
            &[("RegionId", "xx-nowhere-1"), ("VpnGatewayId", "vpn-a")],
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "InvalidRegionId.NotFound"));
    assert!(sb.audit().is_empty());
    sb.shutdown().await;
}

async fn delete_with(c: &Client, extra: &[(&str, &str)]) -> Reply {
    let mut p = vec![("RegionId", REGION), ("IpsecServerId", "iss-a")];
    p.extend_from_slice(extra);
    c.call("DeleteIpsecServer", &p).await
}

#[tokio::test]
async fn errors_have_every_field_and_xml_when_asked() {
    let (sb, c) = start(&[("iss-a", "vpn-a")], Duration::from_secs(2)).await;
    let r = c
        .call(
            "DescribeVpnGateway",
            &[("RegionId", REGION), ("VpnGatewayId", "vpn-nope")],
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (404, "InvalidVpnGatewayInstanceId.NotFound")
    );
    let id = r.body["RequestId"].as_str().unwrap();
    assert!(r.body["HostId"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(r.body["Recommend"].as_str().unwrap().contains(id));
    assert!(r.body["Message"].is_string());

    let r = c
        .call(
            "DescribeVpnGateway",
            &[
                ("RegionId", REGION),
                ("VpnGatewayId", "vpn-nope"),
                ("Format", "XML"),
            ],
        )
        .await;
    let text = r.body.as_str().unwrap();
    assert!(
        text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error>"),
        "{text}"
    );
    assert!(
        text.contains("<Code>InvalidVpnGatewayInstanceId.NotFound</Code>"),
        "{text}"
    );
    let r = c
        .call(
            "DescribeVpnGateway",
            &[
                ("RegionId", REGION),
                ("VpnGatewayId", "vpn-a"),
                ("Format", "XML"),
            ],
        )
        .await;
    let text = r.body.as_str().unwrap();
    assert!(text.contains("<DescribeVpnGatewayResponse>"), "{text}");
    assert!(text.contains("<Status>active</Status>"), "{text}");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_delete_configures_the_gateway_then_the_server_is_gone() {
    let (sb, c) = start(
        &[("iss-a", "vpn-a"), ("iss-b", "vpn-b")],
        Duration::from_millis(400),
    )
    .await;
    let r = delete(&c, "iss-a", Some("tok-1")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body.as_object().unwrap().len(),
        1,
        "only a RequestId: {r:?}"
    );
    // Configuring takes 400ms; these calls come well before, but do not rely on it:
    // what matters is that whatever we read is consistent with the audit.
    let s = status(&c, "vpn-a").await;
    if s == "updating" {
        assert!(listed(&c).await.contains(&"iss-a".to_owned()));
        let r = delete(&c, "iss-a", Some("tok-other")).await;
        if r.status == 400 {
            assert_eq!(r.code(), "VpnGateway.Configuring");
        }
    }
    wait_active(&c, "vpn-a").await;
    assert_eq!(listed(&c).await, ["iss-b"]);
    let r = delete(&c, "iss-a", Some("tok-3")).await;
    assert_eq!((r.status, r.code()), (404, "InvalidIpsecServerId.NotFound"));

    let audit = sb.audit();
    assert_eq!(audit.len(), 1, "{audit:?}");
    let e = &audit[0];
    assert_eq!(
        (
            e.action.as_str(),
            e.resource.as_str(),
            e.vpn_gateway.as_str(),
            e.effect.as_str()
        ),
        ("DeleteIpsecServer", "iss-a", "vpn-a", "deleted")
    );
    assert_eq!(e.client_token.as_deref(), Some("tok-1"));
    assert!(e.time < e.configured_at, "{e:?}");
    assert_eq!(e.time.len(), "2024-01-02T03:04:05.678Z".len());
    assert_eq!(e.gateway_active_since, None);
    let world = sb.world();
    assert!(!world.ipsec_servers.contains_key("iss-a"));
    assert_eq!(world.vpn_gateways["vpn-a"].status, "active");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_mutation_on_an_updating_gateway_is_configuring() {
    // A seeded `updating` gateway stays so: no race with the clock.
    let mut w = world(&[("iss-a", "vpn-a")]);
    w.vpn_gateways.get_mut("vpn-a").unwrap().status = "updating".into();
    let sb = sandbox::start(config(Duration::from_secs(2)), w)
        .await
        .unwrap();
    let c = Client::new(&sb);
    let r = delete(&c, "iss-a", Some("t")).await;
    assert_eq!((r.status, r.code()), (400, "VpnGateway.Configuring"));
    // A long configure time: the second delete certainly finds the gateway busy.
    let sb2 = sandbox::start(
        config(Duration::from_secs(600)),
        world(&[("iss-a", "vpn-a"), ("iss-b", "vpn-a")]),
    )
    .await
    .unwrap();
    let c2 = Client::new(&sb2);
    assert_eq!(delete(&c2, "iss-a", Some("t1")).await.status, 200);
    assert_eq!(status(&c2, "vpn-a").await, "updating");
    let r = delete(&c2, "iss-b", Some("t2")).await;
    assert_eq!((r.status, r.code()), (400, "VpnGateway.Configuring"));
    assert_eq!(sb2.audit().len(), 1);
    sb.shutdown().await;
    sb2.shutdown().await;
}

#[tokio::test]
async fn dry_run_checks_and_answers_dry_run_operation_without_effect() {
    let (sb, c) = start(&[("iss-a", "vpn-a")], Duration::from_secs(600)).await;
    let r = delete_with(&c, &[("DryRun", "true"), ("ClientToken", "tok")]).await;
    assert_eq!((r.status, r.code()), (400, "DryRunOperation"));
    assert_eq!(
        r.body["Message"],
        "Request validation has been passed with DryRun flag set."
    );
    assert!(sb.audit().is_empty());
    assert_eq!(status(&c, "vpn-a").await, "active");
    // The precheck did not claim the token: the real delete with it goes through.
    assert_eq!(delete_with(&c, &[("ClientToken", "tok")]).await.status, 200);
    // DryRun runs the checks: now the gateway is busy.
    let r = delete_with(&c, &[("DryRun", "true")]).await;
    assert_eq!(r.code(), "VpnGateway.Configuring");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_repeated_client_token_returns_the_first_answer_without_a_second_effect() {
    let (sb, c) = start(
        &[("iss-a", "vpn-a"), ("iss-b", "vpn-b")],
        Duration::from_secs(600),
    )
    .await;
    let first = delete(&c, "iss-a", Some("tok-a")).await;
    assert_eq!(first.status, 200);
    // The gateway is updating: the token check comes before the configuring check.
    let again = delete(&c, "iss-a", Some("tok-a")).await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.body, first.body);
    let other = delete(&c, "iss-b", Some("tok-a")).await;
    assert_eq!(
        (other.status, other.code()),
        (400, "IdempotentParameterMismatch")
    );
    assert_eq!(sb.audit().len(), 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn policy_denies_an_action_or_a_resource() {
    let (sb, c) = start(
        &[("iss-a", "vpn-a"), ("iss-b", "vpn-b")],
        Duration::from_secs(2),
    )
    .await;
    sb.set_policy(Policy {
        deny_actions: ["DeleteIpsecServer".to_owned()].into(),
        ..Policy::default()
    });
    let r = delete(&c, "iss-a", None).await;
    assert_eq!((r.status, r.code()), (403, "Forbidden"));
    sb.set_policy(Policy {
        deny_resources: ["vpn-b".to_owned()].into(),
        ..Policy::default()
    });
    let r = delete(&c, "iss-b", None).await;
    assert_eq!((r.status, r.code()), (403, "Forbidden"));
    let r = delete(&c, "iss-b", None).await;
    assert_eq!(r.code(), "Forbidden");
    assert!(sb.audit().is_empty());
    sb.shutdown().await;
}

#[tokio::test]
async fn a_financially_locked_gateway_refuses_mutations() {
    let mut w = world(&[("iss-a", "vpn-a")]);
    w.vpn_gateways.get_mut("vpn-a").unwrap().business_status = "FinancialLocked".into();
    let sb = sandbox::start(config(Duration::from_secs(2)), w)
        .await
        .unwrap();
    let c = Client::new(&sb);
    let r = delete(&c, "iss-a", None).await;
    assert_eq!((r.status, r.code()), (400, "VpnGateway.FinancialLocked"));
    let r = c
        .call(
            "DescribeVpnGateway",
            &[("RegionId", REGION), ("VpnGatewayId", "vpn-a")],
        )
        .await;
    assert_eq!(r.body["BusinessStatus"], "FinancialLocked");
    sb.shutdown().await;
}

#[tokio::test]
async fn faults_before_the_effect_leave_nothing_done() {
    let (sb, c) = start(&[("iss-a", "vpn-a")], Duration::from_secs(600)).await;
    for (faults, status, code) in [
        (
            Faults {
                internal_error: 1.0,
                ..Faults::default()
            },
            500,
            "InternalError",
        ),
        (
            Faults {
                unavailable: 1.0,
                ..Faults::default()
            },
            503,
            "ServiceUnavailable",
        ),
        (
            Faults {
                throttle: 1.0,
                ..Faults::default()
            },
            400,
            "Throttling.User",
        ),
    ] {
        sb.set_faults(faults);
        let r = delete(&c, "iss-a", Some("tok")).await;
        assert_eq!((r.status, r.code()), (status, code));
        if code == "Throttling.User" {
            assert!(r.headers.contains_key("x-acs-retry-after"), "{r:?}");
        }
    }
    assert!(sb.audit().is_empty());
    sb.set_faults(Faults::default());
    assert_eq!(delete(&c, "iss-a", Some("tok")).await.status, 200);
    assert_eq!(sb.audit().len(), 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_lost_answer_after_the_effect_then_a_retry_with_the_token_is_exactly_once() {
    let (sb, c) = start(
        &[("iss-a", "vpn-a"), ("iss-b", "vpn-b")],
        Duration::from_secs(600),
    )
    .await;
    sb.set_faults(Faults {
        lost_drop: 1.0,
        ..Faults::default()
    });
    let q = c.signed(
        "POST",
        "DeleteIpsecServer",
        &[
            ("RegionId", REGION),
            ("IpsecServerId", "iss-a"),
            ("ClientToken", "tok-a"),
        ],
    );
    let sent = c.http.post(format!("{}?{q}", c.url)).send().await;
    let answered = match sent {
        Ok(res) => res.bytes().await.is_ok(),
        Err(_) => false,
    };
    assert!(!answered, "the connection should drop without an answer");
    assert_eq!(sb.audit().len(), 1);

    sb.set_faults(Faults {
        lost_500: 1.0,
        ..Faults::default()
    });
    let r = delete(&c, "iss-b", Some("tok-b")).await;
    assert_eq!((r.status, r.code()), (500, "InternalError"));
    assert_eq!(sb.audit().len(), 2);

    sb.set_faults(Faults::default());
    assert_eq!(delete(&c, "iss-a", Some("tok-a")).await.status, 200);
    assert_eq!(delete(&c, "iss-b", Some("tok-b")).await.status, 200);
    let audit = sb.audit();
    let resources: Vec<_> = audit.iter().map(|e| e.resource.as_str()).collect();
    assert_eq!(resources, ["iss-a", "iss-b"]);
    sb.shutdown().await;
}

#[tokio::test]
async fn faults_are_drawn_from_the_seed() {
    async fn codes(seed: u64) -> Vec<u16> {
        let cfg = SandboxConfig {
            seed,
            faults: Faults {
                unavailable: 0.5,
                ..Faults::default()
            },
            ..config(Duration::from_secs(2))
        };
        let sb = sandbox::start(cfg, world(&[("iss-a", "vpn-a")]))
            .await
            .unwrap();
        let c = Client::new(&sb);
        let mut out = Vec::new();
        for _ in 0..12 {
            out.push(
                c.call(
                    "DescribeVpnGateway",
                    &[("RegionId", REGION), ("VpnGatewayId", "vpn-a")],
                )
                .await
                .status,
            );
        }
        sb.shutdown().await;
        out
    }
    let a = codes(7).await;
    assert_eq!(a, codes(7).await);
    assert!(a.contains(&503) && a.contains(&200), "{a:?}");
}

#[tokio::test]
async fn rate_limits_answer_throttling_user() {
    let (sb, c) = start(&[("iss-a", "vpn-a")], Duration::from_secs(2)).await;
    sb.set_rate_limits(Some(RateLimits {
        per_action: [("DescribeVpnGateway".to_owned(), 0.001)].into(),
        ..RateLimits::default()
    }));
    let extra = [("RegionId", REGION), ("VpnGatewayId", "vpn-a")];
    assert_eq!(c.call("DescribeVpnGateway", &extra).await.status, 200);
    let r = c.call("DescribeVpnGateway", &extra).await;
    assert_eq!((r.status, r.code()), (400, "Throttling.User"));
    assert!(r.headers.contains_key("x-acs-retry-after"));
    // Another action has its own budget.
    assert_eq!(listed(&c).await, ["iss-a"]);
    assert_eq!(sb.calls()["DescribeVpnGateway"], 2);
    sb.shutdown().await;
}

#[tokio::test]
async fn the_fixed_api_latency_delays_every_answer() {
    let (sb, c) = start(&[("iss-a", "vpn-a")], Duration::from_secs(2)).await;
    sb.set_latency(Duration::from_millis(150));
    let t = std::time::Instant::now();
    status(&c, "vpn-a").await;
    // A lower bound only: a slow machine can only make it longer.
    assert!(t.elapsed() >= Duration::from_millis(150));
    sb.shutdown().await;
}

#[tokio::test]
async fn list_pages_with_next_token_and_answers_every_field() {
    let servers: Vec<(String, String)> = (0..25)
        .map(|i| (format!("iss-{i:02}"), format!("vpn-{i:02}")))
        .collect();
    let refs: Vec<(&str, &str)> = servers
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let (sb, c) = start(&refs, Duration::from_secs(2)).await;
    let r = c.call("ListIpsecServers", &[("RegionId", REGION)]).await;
    assert_eq!(r.body["IpsecServers"].as_array().unwrap().len(), 10);
    assert_eq!(r.body["MaxResults"], 10);
    assert_eq!(r.body["TotalCount"], 25);
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let mut p = vec![("RegionId", REGION), ("MaxResults", "20")];
        if !token.is_empty() {
            p.push(("NextToken", &token));
        }
        let r = c.call("ListIpsecServers", &p).await;
        assert_eq!(r.status, 200, "{r:?}");
        for s in r.body["IpsecServers"].as_array().unwrap() {
            seen.push(s["IpsecServerId"].as_str().unwrap().to_owned());
        }
        token = r.body["NextToken"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
    }
    let expected: Vec<String> = servers.iter().map(|(s, _)| s.clone()).collect();
    assert_eq!(seen, expected);

    let r = c
        .call(
            "ListIpsecServers",
            &[
                ("RegionId", REGION),
                ("IpsecServerId.1", "iss-03"),
                ("IpsecServerId.2", "iss-07"),
            ],
        )
        .await;
    let page = r.body["IpsecServers"].as_array().unwrap();
    assert_eq!(page.len(), 2);
    let s = page[0].as_object().unwrap();
    for field in [
        "IpsecServerId",
        "IpsecServerName",
        "VpnGatewayId",
        "RegionId",
        "LocalSubnet",
        "ClientIpPool",
        "InternetIp",
        "PskEnabled",
        "Psk",
        "EffectImmediately",
        "MultiFactorAuthEnabled",
        "OnlineClientCount",
        "MaxConnections",
        "CreationTime",
        "IkeConfig",
        "IpsecConfig",
        "ResourceGroupId",
    ] {
        assert!(s.contains_key(field), "{field} missing: {s:?}");
    }
    // Generated, as the cloud does it when a create gives none: 16 characters.
    assert_eq!(s["Psk"].as_str().unwrap().len(), 16);
    let r = c
        .call(
            "ListIpsecServers",
            &[("RegionId", REGION), ("VpnGatewayId", "vpn-24")],
        )
        .await;
    assert_eq!(r.body["TotalCount"], 1);
    // A known region with nothing in it answers an empty page.
    let r = c
        .call("ListIpsecServers", &[("RegionId", "eu-central-1")])
        .await;
    assert_eq!((r.status, r.body["TotalCount"].clone()), (200, 0.into()));
    sb.shutdown().await;
}

#[tokio::test]
async fn describe_vpn_gateways_pages_up_to_50() {
    let servers: Vec<(String, String)> = (0..60)
        .map(|i| (format!("iss-{i:02}"), format!("vpn-{i:02}")))
        .collect();
    let refs: Vec<(&str, &str)> = servers
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let (sb, c) = start(&refs, Duration::from_secs(600)).await;
    assert_eq!(delete(&c, "iss-59", None).await.status, 200);
    let r = c
        .call(
            "DescribeVpnGateways",
            &[
                ("RegionId", REGION),
                ("PageSize", "50"),
                ("PageNumber", "2"),
            ],
        )
        .await;
    assert_eq!(r.body["TotalCount"], 60);
    assert_eq!(r.body["PageNumber"], 2);
    let page = r.body["VpnGateways"]["VpnGateway"].as_array().unwrap();
    assert_eq!(page.len(), 10);
    assert_eq!(page[9]["VpnGatewayId"], "vpn-59");
    assert_eq!(page[9]["Status"], "updating");
    assert_eq!(page[0]["Status"], "active");
    let r = c.call("DescribeVpnGateways", &[("RegionId", REGION)]).await;
    assert_eq!(
        r.body["VpnGateways"]["VpnGateway"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn counts_calls_and_the_most_gateways_updating_at_once() {
    let (sb, c) = start(
        &[("iss-a", "vpn-a"), ("iss-b", "vpn-b"), ("iss-c", "vpn-c")],
        Duration::from_secs(600),
    )
    .await;
    for s in ["iss-a", "iss-b"] {
        assert_eq!(delete(&c, s, None).await.status, 200);
    }
    status(&c, "vpn-c").await;
    assert_eq!(sb.max_concurrent_updating(), 2);
    let calls = sb.calls();
    assert_eq!(calls["DeleteIpsecServer"], 2);
    assert_eq!(calls["DescribeVpnGateway"], 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn the_audit_file_has_one_json_line_per_effect() {
    let ws = Workspace::new();
    let path = ws.path().join("audit.jsonl");
    let cfg = SandboxConfig {
        audit_path: Some(path.clone()),
        ..config(Duration::from_millis(50))
    };
    let sb = sandbox::start(cfg, world(&[("iss-a", "vpn-a")]))
        .await
        .unwrap();
    let c = Client::new(&sb);
    assert_eq!(delete(&c, "iss-a", Some("tok")).await.status, 200);
    assert_eq!(delete(&c, "iss-a", Some("tok")).await.status, 200);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let entry: sandbox::AuditEntry = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(entry, sb.audit()[0]);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_gateway_remembers_when_it_became_active_for_the_next_operation() {
    let (sb, c) = start(
        &[("iss-a", "vpn-a"), ("iss-b", "vpn-a")],
        Duration::from_millis(50),
    )
    .await;
    assert_eq!(delete(&c, "iss-a", None).await.status, 200);
    wait_active(&c, "vpn-a").await;
    assert_eq!(delete(&c, "iss-b", None).await.status, 200);
    let audit = sb.audit();
    assert_eq!(
        audit[1].gateway_active_since.as_deref(),
        Some(audit[0].configured_at.as_str())
    );
    sb.shutdown().await;
}

/// Reads the child's stdout up to the `export VPNFORM_ENDPOINT=` line.
pub(crate) fn endpoint_from(stdout: &mut impl std::io::BufRead) -> (String, String) {
    let mut seen = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "stdout ended: {seen}"
        );
        seen.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("export VPNFORM_ENDPOINT=") {
            return (url.to_owned(), seen);
        }
    }
}

#[tokio::test]
async fn sandbox_serve_prints_the_endpoint_logs_calls_and_stops_on_ctrl_c() {
    let ws = Workspace::new().file(
        "world.yaml",
        "vpn_gateways:\n  vpn-a:\n    region: cn-hangzhou\nipsec_servers:\n  iss-a:\n    vpn_gateway: vpn-a\n",
    );
    let mut child = ws
        .command(&[
            "sandbox",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--world",
            "world.yaml",
            "--seed",
            "1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let (url, printed) = endpoint_from(&mut stdout);
    assert!(
        printed.starts_with(&format!("# Sandbox listening on {url}\n")),
        "{printed}"
    );
    let mut rest = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut rest).unwrap();
    std::io::BufRead::read_line(&mut stdout, &mut rest).unwrap();
    assert_eq!(
        rest,
        "export ALIBABA_CLOUD_ACCESS_KEY_ID=sandbox\nexport ALIBABA_CLOUD_ACCESS_KEY_SECRET=sandbox-secret\n"
    );

    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = Client {
        url: url.clone(),
        id: "sandbox".into(),
        secret: "sandbox-secret".into(),
        http: reqwest::Client::new(),
    };
    let r = c
        .call(
            "DescribeVpnGateway",
            &[("RegionId", REGION), ("VpnGatewayId", "vpn-a")],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    // Ctrl-C is SIGINT to this one child, by its id.
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let request_id = r.body["RequestId"].as_str().unwrap();
    assert!(stderr.contains("World from world.yaml\n"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "DescribeVpnGateway -> 200 OK [{request_id}] AccessKeyId=sandbox Action=DescribeVpnGateway"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("Signature="), "{stderr}");
    assert!(stderr.ends_with("Sandbox stopped.\n"), "{stderr}");
}

#[test]
fn sandbox_serve_from_a_state_file_serves_every_recorded_server() {
    let ws = Workspace::new().file(
        "state/vpnform.state.yaml",
        "version: 1\nlineage: 4c1e7c52-7d0f-4bb2-9c55-2f7f0f6d2c1a\nserial: 1\nresources:\n  ipsec_server.office:\n    id: iss-office\n    region: cn-shanghai\n    vpn_gateway: vpn-office\npending: []\n",
    );
    let mut child = ws
        .command(&["sandbox", "serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let _ = endpoint_from(&mut stdout);
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "World from state/vpnform.state.yaml (the workspace's state): 1 servers on 1 gateways\n"
        ),
        "{stderr}"
    );
}

#[test]
fn sandbox_serve_with_a_bad_world_file_says_where() {
    let ws = Workspace::new().file(
        "world.yaml",
        "ipsec_servers:\n  iss-a:\n    vpn_gateway: vpn-zz\n",
    );
    let out = ws.run(&[
        "sandbox",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--world",
        "world.yaml",
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "error: ipsec server iss-a is on vpn gateway vpn-zz, which the world does not define: add it under `vpn_gateways`\n"
    );
    assert_eq!(out.stdout, "");
}

// ---------------------------------------------------------------------------------------
// Answers as the official SDK models have them (`alibabacloud_vpc20160428` 7.2.2) and
// API.md's "IPsec-server details the sandbox and client must match" (issue 25).

/// Regression: a replay answered the first body under a new `x-acs-request-id`. The
/// whole first answer comes back, its RequestId in the header as in the body.
#[tokio::test]
async fn a_replayed_client_token_answers_the_first_request_id() {
    let (sb, c) = start(&[("iss-a", "vpn-a")], Duration::from_secs(600)).await;
    let first = delete(&c, "iss-a", Some("tok-a")).await;
    let again = delete(&c, "iss-a", Some("tok-a")).await;
    let id = |r: &Reply| {
        (
            r.status,
            r.body["RequestId"].as_str().unwrap_or_default().to_owned(),
            r.headers["x-acs-request-id"]
                .to_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    let (status, body_id, header_id) = id(&first);
    assert_eq!((status, body_id.clone()), (200, header_id));
    assert_eq!(id(&again), (200, body_id.clone(), body_id));
    assert_eq!(sb.audit().len(), 1);
    sb.shutdown().await;
}

/// Regression: UpdateIpsecServer answered seven fields its response model does not
/// have (`UpdateIpsecServerResponseBody` holds `RequestId` only).
#[tokio::test]
async fn an_update_answers_its_request_id_only() {
    let (sb, c) = start(&[("iss-a", "vpn-a")], Duration::from_secs(600)).await;
    let r = c
        .call(
            "UpdateIpsecServer",
            &[
                ("RegionId", REGION),
                ("IpsecServerId", "iss-a"),
                ("IpsecServerName", "renamed"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let id = r.body["RequestId"].clone();
    assert_eq!(r.body, serde_json::json!({ "RequestId": id }));
    sb.shutdown().await;
}

/// Regression: `IpsecServerId.2` without `.1` ended the list before it began, so the
/// filter was dropped and every server listed. A gap is `InvalidParameter` (API.md).
#[tokio::test]
async fn a_gap_in_ipsec_server_ids_is_invalid_not_every_server() {
    let (sb, c) = start(&[("iss-a", "vpn-a"), ("iss-b", "vpn-b")], Duration::ZERO).await;
    let gapped = [
        vec![("RegionId", REGION), ("IpsecServerId.2", "iss-b")],
        vec![
            ("RegionId", REGION),
            ("IpsecServerId.1", "iss-a"),
            ("IpsecServerId.3", "iss-b"),
        ],
    ];
    for params in gapped {
        let r = c.call("ListIpsecServers", &params).await;
        assert_eq!(r.status, 400, "{r:?}");
        assert_eq!(
            r.body["Code"], "InvalidParameter",
            "{params:?}: {:?}",
            r.body
        );
    }
    let r = c
        .call(
            "ListIpsecServers",
            &[("RegionId", REGION), ("IpsecServerId.2", "iss-b")],
        )
        .await;
    assert_eq!(
        r.body["Message"],
        "The specified parameter \"IpsecServerId\" is not valid: the items are numbered IpsecServerId.1, IpsecServerId.2, ... without a gap, and IpsecServerId.1 is missing."
    );
    let r = c
        .call(
            "ListIpsecServers",
            &[("RegionId", REGION), ("IpsecServerId.1", "iss-b")],
        )
        .await;
    let ids: Vec<&Value> = r.body["IpsecServers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["IpsecServerId"])
        .collect();
    assert_eq!(ids, ["iss-b"]);
    sb.shutdown().await;
}

/// Two gateways in two resource groups and VPCs, one server each.
fn grouped_world() -> World {
    let mut w = World::default();
    w.add_server("iss-a", "vpn-a", REGION);
    w.add_server("iss-b", "vpn-b", REGION);
    let b = w.vpn_gateways.get_mut("vpn-b").unwrap();
    b.resource_group_id = "rg-other".into();
    b.internet_ip = Some("47.98.2.2".into());
    // A subscription gateway: the charge type the model spells `Prepay` (a world's
    // default is pay-as-you-go, `PostpayByFlow`).
    b.charge_type = "Prepay".into();
    w
}

/// Regression: ListIpsecServers ignored `ResourceGroupId` and left the field out,
/// answered an empty `LocalId` (the model: "the default value is the public IP address
/// of the selected VPN gateway") and made up 24-character PSKs (the create model: "the
/// system randomly generates a 16-character string").
#[tokio::test]
async fn list_filters_by_resource_group_answers_it_and_the_default_local_id_and_psk() {
    let sb = sandbox::start(config(Duration::ZERO), grouped_world())
        .await
        .unwrap();
    let c = Client::new(&sb);
    let r = c
        .call(
            "ListIpsecServers",
            &[("RegionId", REGION), ("ResourceGroupId", "rg-other")],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let servers = r.body["IpsecServers"].as_array().unwrap();
    assert_eq!(servers.len(), 1, "{servers:?}");
    let s = &servers[0];
    assert_eq!(
        (
            &s["IpsecServerId"],
            &s["ResourceGroupId"],
            &s["InternetIp"],
            &s["IkeConfig"]["LocalId"]
        ),
        (
            &Value::from("iss-b"),
            &Value::from("rg-other"),
            &Value::from("47.98.2.2"),
            &Value::from("47.98.2.2")
        )
    );
    let psk = s["Psk"].as_str().unwrap();
    assert_eq!(psk.len(), 16, "{psk}");
    let r = c
        .call(
            "ListIpsecServers",
            &[("RegionId", REGION), ("ResourceGroupId", "rg-sandbox")],
        )
        .await;
    let ids: Vec<&Value> = r.body["IpsecServers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["IpsecServerId"])
        .collect();
    assert_eq!(ids, ["iss-a"]);
    // VpcId is no filter of ListIpsecServers' request model: ignored, as the cloud
    // ignores parameters it does not know.
    let r = c
        .call(
            "ListIpsecServers",
            &[("RegionId", REGION), ("VpcId", "vpc-nothing")],
        )
        .await;
    assert_eq!(r.body["TotalCount"], 2);
    sb.shutdown().await;
}

/// Regression: DescribeVpnGateway answered `RegionId` (not in its model), left out
/// `GatewayType`, `NetworkType`, `VpnType`, `ResourceGroupId`, `EniInstanceIds` and
/// `Tags`, and spelled the charge type `PrePay` (the model documents `Prepay`).
#[tokio::test]
async fn describe_vpn_gateway_answers_the_models_fields() {
    let sb = sandbox::start(config(Duration::ZERO), grouped_world())
        .await
        .unwrap();
    let c = Client::new(&sb);
    let r = c
        .call(
            "DescribeVpnGateway",
            &[("RegionId", REGION), ("VpnGatewayId", "vpn-b")],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let id = r.body["RequestId"].clone();
    assert_eq!(
        r.body,
        serde_json::json!({
            "RequestId": id,
            "VpnGatewayId": "vpn-b",
            "Name": "vpn-b",
            "Description": "",
            "VpcId": "vpc-b",
            "VSwitchId": "vsw-b",
            "InternetIp": "47.98.2.2",
            "Status": "active",
            "BusinessStatus": "Normal",
            "ChargeType": "Prepay",
            "Spec": "10M",
            "IpsecVpn": "enable",
            "SslVpn": "enable",
            "SslMaxConnections": 5,
            "CreateTime": 1704164645000u64,
            "EndTime": 1735787045000u64,
            "EnableBgp": false,
            "AutoPropagate": false,
            "GatewayType": "Traditional",
            "NetworkType": "public",
            "VpnType": "Normal",
            "ResourceGroupId": "rg-other",
            "EniInstanceIds": { "EniInstanceId": [] },
            "Tag": "",
            "Tags": { "Tag": [] },
        })
    );
    // DescribeVpnGateways answers the same object per gateway.
    let r = c
        .call(
            "DescribeVpnGateways",
            &[("RegionId", REGION), ("VpnGatewayId", "vpn-b")],
        )
        .await;
    let mut listed = r.body["VpnGateways"]["VpnGateway"][0].clone();
    listed["RequestId"] = id;
    let described = c
        .call(
            "DescribeVpnGateway",
            &[("RegionId", REGION), ("VpnGatewayId", "vpn-b")],
        )
        .await;
    let mut described = described.body;
    described["RequestId"] = listed["RequestId"].clone();
    assert_eq!(listed, described);
    sb.shutdown().await;
}

/// Regression: DescribeVpnGateways ignored its `VpcId` and `ResourceGroupId` filters.
#[tokio::test]
async fn describe_vpn_gateways_filters_by_vpc_and_resource_group() {
    let sb = sandbox::start(config(Duration::ZERO), grouped_world())
        .await
        .unwrap();
    let c = Client::new(&sb);
    let ids = |r: Reply| -> Vec<String> {
        r.body["VpnGateways"]["VpnGateway"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["VpnGatewayId"].as_str().unwrap().to_owned())
            .collect()
    };
    type Filters<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Filters, &[&str]); 4] = [
        (&[], &["vpn-a", "vpn-b"]),
        (&[("VpcId", "vpc-a")], &["vpn-a"]),
        (&[("ResourceGroupId", "rg-other")], &["vpn-b"]),
        (&[("VpcId", "vpc-a"), ("ResourceGroupId", "rg-other")], &[]),
    ];
    for (filters, expected) in cases {
        let mut params = vec![("RegionId", REGION)];
        params.extend_from_slice(filters);
        let r = c.call("DescribeVpnGateways", &params).await;
        assert_eq!(ids(r), expected, "{filters:?}");
    }
    sb.shutdown().await;
}
