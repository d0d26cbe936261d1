//! Tests of the cloud area: the real client against a scripted HTTP server on
//! 127.0.0.1:0 that answers a programmed sequence of responses, verifies each request's
//! signature over the raw query it received, and records it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use vpnform::cloud::sign;
use vpnform::cloud::{Client, ClientOptions, Credentials, ErrorClass, RetryPolicy};
use vpnform::kinds::ipsec_server::{DeleteIpsecServer, ListIpsecServers};
use vpnform::secret::Secret;

const SECRET: &str = "secret-canary-7f3a";
const TOKEN: &str = "sts-canary-token-91c2";
const PSK: &str = "psk-canary-55e1";

/// One programmed answer.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: &str) -> Reply {
    Reply {
        status,
        headers: vec![],
        body: body.to_owned(),
        delay: Duration::ZERO,
    }
}

fn error_reply(status: u16, code: &str, request_id: &str) -> Reply {
    reply(
        status,
        &format!(
            r#"{{"RequestId":"{request_id}","HostId":"vpc.aliyuncs.com","Code":"{code}","Message":"{code} happened.","Recommend":"https://api.aliyun.com/troubleshoot?q={code}&product=Vpc&requestId={request_id}"}}"#
        ),
    )
}

/// What the server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    raw_query: String,
    params: BTreeMap<String, String>,
    signature_ok: bool,
    at: Instant,
}

#[derive(Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
}

struct Server {
    url: String,
    script: Arc<Script>,
}

impl Server {
    async fn start(replies: Vec<Reply>) -> Server {
        let script = Arc::new(Script {
            replies: Mutex::new(replies.into()),
            seen: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { url, script }
    }

    fn seen(&self) -> Vec<Seen> {
        self.script.seen.lock().unwrap().clone()
    }

    fn param(&self, name: &str) -> Vec<Option<String>> {
        self.seen()
            .iter()
            .map(|s| s.params.get(name).cloned())
            .collect()
    }
}

async fn answer(State(script): State<Arc<Script>>, method: Method, uri: Uri) -> Response {
    let raw_query = uri.query().unwrap_or_default().to_owned();
    let (unsigned, signature) = raw_query
        .rsplit_once("&Signature=")
        .unwrap_or((raw_query.as_str(), ""));
    let params: BTreeMap<String, String> = raw_query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    // The query must be exactly the canonical query of its own parameters, and the
    // signature must be the one over it: that is what the real API checks.
    let canonical = sign::canonical_query(
        params
            .iter()
            .filter(|(k, _)| *k != "Signature")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let server_string_to_sign = sign::string_to_sign(method.as_str(), &canonical);
    let signature_ok = canonical == unsigned
        && decode(signature) == sign::signature(SECRET, &server_string_to_sign);
    script.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        raw_query: raw_query.clone(),
        params,
        signature_ok,
        at: Instant::now(),
    });
    let next = script.replies.lock().unwrap().pop_front();
    let Some(r) = next else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "script exhausted").into_response();
    };
    tokio::time::sleep(r.delay).await;
    let body = r
        .body
        .replace("{server_string_to_sign}", &server_string_to_sign)
        .replace(
            "{altered_string_to_sign}",
            &server_string_to_sign.replace("cn-shanghai", "cn-hangzhou"),
        );
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    for (k, v) in &r.headers {
        headers.insert(*k, v.parse().unwrap());
    }
    (StatusCode::from_u16(r.status).unwrap(), headers, body).into_response()
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

fn credentials() -> Credentials {
    Credentials {
        access_key_id: "LTAItestkey".into(),
        access_key_secret: Secret::new(SECRET),
        security_token: Some(Secret::new(TOKEN)),
        source: "test".into(),
    }
}

fn options(endpoint: &str) -> ClientOptions {
    ClientOptions {
        endpoint: Some(endpoint.to_owned()),
        max_in_flight: 4,
        request_timeout: Duration::from_secs(5),
        call_deadline: Duration::from_secs(60),
        retry: RetryPolicy {
            transient_max_attempts: 5,
            throttling_max_attempts: 8,
            transient_base: Duration::from_millis(2),
            throttling_base: Duration::from_millis(2),
            max_backoff: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(5),
        },
        requests_per_second: 1000.0,
    }
}

/// A client with a fixed clock, counting nonces and no jitter.
fn client_with(options: ClientOptions) -> Client {
    let counter = Arc::new(AtomicU64::new(0));
    Client::builder(credentials(), options)
        .clock(|| "2024-05-01T12:00:00Z".parse().unwrap())
        .nonce(move || format!("nonce-{}", counter.fetch_add(1, Ordering::SeqCst) + 1))
        .random(|| 0.0)
        .build()
        .unwrap()
}

fn client(server: &Server) -> Client {
    client_with(options(&server.url))
}

fn delete(dry_run: bool) -> DeleteIpsecServer {
    DeleteIpsecServer {
        region: "cn-hangzhou".into(),
        ipsec_server_id: "iss-bp1jougp8cfsbo8y9abcd".into(),
        client_token: Some("vpnform-0123456789abcdef0123456789abcdef".into()),
        dry_run,
    }
}

fn attempts(client: &Client, action: &str) -> u64 {
    client.stats().attempts.get(action).copied().unwrap_or(0)
}

fn all_distinct(values: &[Option<String>]) -> bool {
    let set: std::collections::BTreeSet<_> = values.iter().collect();
    set.len() == values.len() && values.iter().all(Option::is_some)
}

#[tokio::test]
async fn dry_run_passed_is_one_attempt_with_exact_signed_query() {
    let server = Server::start(vec![error_reply(400, "DryRunOperation", "R-dry")]).await;
    let client = client(&server);
    let err = client.delete_ipsec_server(&delete(true)).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::DryRunPassed);
    assert_eq!(attempts(&client, "DeleteIpsecServer"), 1);
    let seen = server.seen();
    assert_eq!(seen[0].method, "POST");
    assert!(seen[0].signature_ok, "{:?}", seen[0]);
    let (unsigned, _) = seen[0].raw_query.rsplit_once("&Signature=").unwrap();
    // A dry run sends no ClientToken (see DeleteIpsecServer's doc).
    assert_eq!(
        unsigned,
        "AccessKeyId=LTAItestkey&Action=DeleteIpsecServer&DryRun=true&Format=JSON\
         &IpsecServerId=iss-bp1jougp8cfsbo8y9abcd&RegionId=cn-hangzhou&SecurityToken=sts-canary-token-91c2\
         &SignatureMethod=HMAC-SHA1&SignatureNonce=nonce-1&SignatureVersion=1.0\
         &Timestamp=2024-05-01T12%3A00%3A00Z&Version=2016-04-28"
    );
}

#[tokio::test]
async fn throttling_is_retried_with_same_token_fresh_nonce_and_retry_after_waited() {
    let mut first = error_reply(400, "Throttling.User", "R-t1");
    first.headers.push(("x-acs-retry-after", "300".into()));
    let server = Server::start(vec![
        first,
        error_reply(400, "Throttling", "R-t2"),
        reply(200, r#"{"RequestId":"R-ok"}"#),
    ])
    .await;
    let client = client(&server);
    let request_id = client.delete_ipsec_server(&delete(false)).await.unwrap();
    assert_eq!(request_id, "R-ok");

    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|s| s.signature_ok));
    let token = Some("vpnform-0123456789abcdef0123456789abcdef".to_owned());
    assert_eq!(
        server.param("ClientToken"),
        vec![token.clone(), token.clone(), token]
    );
    assert_eq!(
        server.param("SignatureNonce"),
        vec![
            Some("nonce-1".to_owned()),
            Some("nonce-2".to_owned()),
            Some("nonce-3".to_owned())
        ]
    );
    assert_eq!(server.param("DryRun"), vec![Some("false".to_owned()); 3]);
    // The server asked for 300 ms: the client waited at least that (a lower bound only).
    assert!(seen[1].at.duration_since(seen[0].at) >= Duration::from_millis(300));

    let stats = client.stats();
    assert_eq!(stats.attempts["DeleteIpsecServer"], 3);
    assert_eq!(stats.retries[&ErrorClass::Throttling], 2);
    // 300 ms asked for (more than our own 1 ms), then for the second retry the 2 ms
    // base doubled, of which zero jitter keeps half: 2 ms.
    assert_eq!(
        stats.waited[&ErrorClass::Throttling],
        Duration::from_millis(302)
    );
    // Two halvings, then a success won a little back.
    assert!(stats.rates["DeleteIpsecServer"] < 300.0);
}

#[tokio::test]
async fn without_a_token_the_client_makes_one_and_keeps_it() {
    let server = Server::start(vec![
        error_reply(503, "ServiceUnavailable", "R-1"),
        reply(200, r#"{"RequestId":"R-ok"}"#),
    ])
    .await;
    let client = client(&server);
    let mut req = delete(false);
    req.client_token = None;
    client.delete_ipsec_server(&req).await.unwrap();
    let tokens = server.param("ClientToken");
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0], tokens[1]);
    let token = tokens[0].clone().unwrap();
    assert!(
        token.starts_with("vpnform-") && token.len() == 40,
        "{token}"
    );
}

#[tokio::test]
async fn transient_5xx_xml_and_timeouts_are_retried() {
    let mut slow = reply(200, r#"{"RequestId":"R-late"}"#);
    slow.delay = Duration::from_secs(3);
    let xml = reply(
        500,
        "<?xml version=\"1.0\"?><Error><RequestId>R-x</RequestId><Code>InternalError</Code><Message>oops</Message></Error>",
    );
    let server = Server::start(vec![
        error_reply(502, "UnknownError", "R-1"),
        xml,
        slow,
        reply(200, r#"{"RequestId":"R-ok"}"#),
    ])
    .await;
    let mut opts = options(&server.url);
    opts.request_timeout = Duration::from_millis(300);
    let client = client_with(opts);
    let request_id = client.delete_ipsec_server(&delete(false)).await.unwrap();
    assert_eq!(request_id, "R-ok");
    assert_eq!(attempts(&client, "DeleteIpsecServer"), 4);
    assert_eq!(client.stats().retries[&ErrorClass::Transient], 3);
    assert!(all_distinct(&server.param("SignatureNonce")));
    let tokens = server.param("ClientToken");
    assert!(tokens.iter().all(|t| t == &tokens[0]));
}

#[tokio::test]
async fn transient_gives_up_after_its_attempts_with_the_whole_story() {
    // Not 503 ServiceUnavailable: that is throttling (API.md), slowed down for.
    let server = Server::start(vec![error_reply(500, "UnknownError", "R-5"); 6]).await;
    let client = client(&server);
    let err = client
        .delete_ipsec_server(&delete(false))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Transient);
    assert_eq!(attempts(&client, "DeleteIpsecServer"), 5);
    assert_eq!(
        err.to_string(),
        "DeleteIpsecServer failed: UnknownError (HTTP 500): UnknownError happened. (after 5 attempts)\n  \
         RequestId: R-5\n  HostId: vpc.aliyuncs.com\n  \
         Recommend: https://api.aliyun.com/troubleshoot?q=UnknownError&product=Vpc&requestId=R-5"
    );
}

#[tokio::test]
async fn throttling_gives_up_after_its_attempts() {
    let server = Server::start(vec![error_reply(400, "Throttling.Api", "R-t"); 9]).await;
    let client = client(&server);
    let err = client
        .describe_vpn_gateway("cn-hangzhou", "vpn-1")
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Throttling);
    assert_eq!(attempts(&client, "DescribeVpnGateway"), 8);
    assert_eq!(client.stats().retries[&ErrorClass::Throttling], 7);
}

#[tokio::test]
async fn contention_goes_back_to_the_caller_at_once() {
    let server = Server::start(vec![error_reply(400, "VpnGateway.Configuring", "R-c")]).await;
    let client = client(&server);
    let err = client
        .delete_ipsec_server(&delete(false))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Contention);
    assert_eq!(attempts(&client, "DeleteIpsecServer"), 1);
    assert_eq!(
        err.to_string(),
        "DeleteIpsecServer failed: VpnGateway.Configuring (HTTP 400): VpnGateway.Configuring happened.\n  \
         RequestId: R-c\n  HostId: vpc.aliyuncs.com\n  \
         Recommend: https://api.aliyun.com/troubleshoot?q=VpnGateway.Configuring&product=Vpc&requestId=R-c"
    );
}

#[tokio::test]
async fn forbidden_is_terminal_not_retried_and_names_the_ram_action() {
    let server = Server::start(vec![error_reply(403, "Forbidden.RAM", "R-f")]).await;
    let client = client(&server);
    let err = client
        .delete_ipsec_server(&delete(false))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Terminal);
    assert_eq!(attempts(&client, "DeleteIpsecServer"), 1);
    assert_eq!(server.seen().len(), 1);
    assert_eq!(
        err.to_string(),
        "DeleteIpsecServer failed: Forbidden.RAM (HTTP 403): Forbidden.RAM happened.\n  \
         RequestId: R-f\n  HostId: vpc.aliyuncs.com\n  \
         Recommend: https://api.aliyun.com/troubleshoot?q=Forbidden.RAM&product=Vpc&requestId=R-f\n  \
         hint: the RAM policy of this access key must allow `vpc:DeleteIpsecServer` on this resource"
    );
}

#[tokio::test]
async fn idempotent_parameter_mismatch_is_terminal() {
    let server = Server::start(vec![error_reply(400, "IdempotentParameterMismatch", "R-i")]).await;
    let client = client(&server);
    let err = client
        .delete_ipsec_server(&delete(false))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Terminal);
    assert_eq!(attempts(&client, "DeleteIpsecServer"), 1);
}

#[tokio::test]
async fn unknown_gateway_is_not_found_and_not_retried() {
    let server = Server::start(vec![error_reply(
        404,
        "InvalidVpnGatewayInstanceId.NotFound",
        "R-n",
    )])
    .await;
    let client = client(&server);
    let err = client
        .describe_vpn_gateway("cn-hangzhou", "vpn-gone")
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::NotFound);
    assert_eq!(attempts(&client, "DescribeVpnGateway"), 1);
    assert_eq!(
        server.param("VpnGatewayId"),
        vec![Some("vpn-gone".to_owned())]
    );
}

const SIGNATURE_MISMATCH: &str = r#"{"RequestId":"R-s","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:{server_string_to_sign}","Recommend":"https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch"}"#;

#[tokio::test]
async fn signature_mismatch_with_same_string_blames_the_secret() {
    let server = Server::start(vec![reply(400, SIGNATURE_MISMATCH)]).await;
    let client = client(&server);
    let err = client
        .delete_ipsec_server(&delete(false))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Terminal);
    assert_eq!(attempts(&client, "DeleteIpsecServer"), 1);
    // The server's string to sign (which holds the STS token) is not shown.
    assert_eq!(
        err.to_string(),
        "DeleteIpsecServer failed: SignatureDoesNotMatch (HTTP 400): Specified signature is not matched with our calculation.\n  \
         RequestId: R-s\n  Recommend: https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch\n  \
         hint: the server built the same string to sign as vpnform, so the AccessKey secret does not belong to this AccessKey ID (credentials from test)"
    );
}

#[tokio::test]
async fn signature_mismatch_with_another_string_blames_the_request() {
    // A server (or a proxy on the way) that saw another region than the one signed.
    let body = SIGNATURE_MISMATCH.replace("{server_string_to_sign}", "{altered_string_to_sign}");
    let server = Server::start(vec![reply(400, &body)]).await;
    let client = client(&server);
    let mut req = delete(false);
    req.region = "cn-shanghai".into();
    let err = client.delete_ipsec_server(&req).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::Terminal);
    let text = err.to_string();
    assert!(
        text.ends_with(
            "hint: the server's string to sign differs from vpnform's in the value of parameter `RegionId`: \
             the request was changed on the way (a proxy?) or built wrongly, the secret may well be right"
        ),
        "{text}"
    );
    assert!(!text.contains(TOKEN), "{text}");
}

#[tokio::test]
async fn connection_refused_is_transient_and_says_so_without_the_url() {
    // Bind then drop: nothing listens on the port any more.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = client_with(options(&format!("http://127.0.0.1:{port}")));
    let err = client
        .list_ipsec_servers(&ListIpsecServers {
            region: "cn-hangzhou".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Transient);
    assert_eq!(err.code, "ConnectionFailed");
    assert_eq!(err.http_status, 0);
    assert_eq!(attempts(&client, "ListIpsecServers"), 5);
    let text = err.to_string();
    assert!(
        text.starts_with("ListIpsecServers failed: ConnectionFailed: "),
        "{text}"
    );
    assert!(text.ends_with("(after 5 attempts)"), "{text}");
    assert!(
        !text.contains("Signature") && !text.contains(TOKEN),
        "{text}"
    );
}

#[tokio::test]
async fn the_call_deadline_bounds_retries() {
    let server = Server::start(vec![error_reply(500, "InternalError", "R-d"); 3]).await;
    let mut opts = options(&server.url);
    opts.retry.transient_base = Duration::from_secs(10);
    opts.retry.max_backoff = Duration::from_secs(10);
    opts.call_deadline = Duration::from_secs(2);
    let client = client_with(opts);
    let err = client
        .delete_ipsec_server(&delete(false))
        .await
        .unwrap_err();
    assert_eq!(attempts(&client, "DeleteIpsecServer"), 1);
    assert!(
        err.to_string()
            .ends_with("hint: gave up: another retry would pass the call deadline of 2s"),
        "{err}"
    );
}

fn server_json(id: &str, gw: &str) -> String {
    format!(
        r#"{{"IpsecServerId":"{id}","IpsecServerName":"name-{id}","VpnGatewayId":"{gw}","RegionId":"cn-hangzhou","LocalSubnet":"10.0.0.0/24","ClientIpPool":"10.8.0.0/16","InternetIp":"47.1.2.3","PskEnabled":true,"Psk":"{PSK}","EffectImmediately":false,"MultiFactorAuthEnabled":false,"OnlineClientCount":0,"MaxConnections":5,"CreationTime":"2024-01-01T00:00:00Z","IkeConfig":{{"IkeVersion":"ikev2"}},"IpsecConfig":{{"IpsecEncAlg":"aes"}}}}"#
    )
}

#[tokio::test]
async fn list_ipsec_servers_reads_every_page_and_drops_the_psk() {
    let page1 = format!(
        r#"{{"RequestId":"R-p1","TotalCount":3,"MaxResults":20,"NextToken":"tok-2","IpsecServers":[{},{}]}}"#,
        server_json("iss-b", "vpn-2"),
        server_json("iss-a", "vpn-1")
    );
    let page2 = format!(
        r#"{{"RequestId":"R-p2","TotalCount":3,"MaxResults":20,"NextToken":"","IpsecServers":[{}]}}"#,
        server_json("iss-c", "vpn-3")
    );
    let server = Server::start(vec![reply(200, &page1), reply(200, &page2)]).await;
    let client = client(&server);
    let servers = client
        .list_ipsec_servers(&ListIpsecServers {
            region: "cn-hangzhou".into(),
            vpn_gateway: Some("vpn-1".into()),
            ids: vec!["iss-a".into(), "iss-b".into(), "iss-c".into()],
        })
        .await
        .unwrap();
    let ids: Vec<&str> = servers.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["iss-a", "iss-b", "iss-c"]);
    assert_eq!(servers[0].name, "name-iss-a");
    assert_eq!(servers[0].vpn_gateway, "vpn-1");
    assert_eq!(servers[0].internet_ip, "47.1.2.3");
    assert!(servers[0].psk_enabled);
    assert!(!format!("{servers:?}").contains(PSK));
    // Kept for drift detection, only as a Secret.
    assert_eq!(servers[0].psk.as_ref().map(Secret::expose), Some(PSK));
    assert_eq!(servers[0].ike_config.ike_version.as_deref(), Some("ikev2"));

    assert_eq!(server.param("MaxResults"), vec![Some("20".to_owned()); 2]);
    assert_eq!(
        server.param("NextToken"),
        vec![None, Some("tok-2".to_owned())]
    );
    assert_eq!(
        server.param("VpnGatewayId"),
        vec![Some("vpn-1".to_owned()); 2]
    );
    assert_eq!(
        server.param("IpsecServerId.3"),
        vec![Some("iss-c".to_owned()); 2]
    );
    assert_eq!(
        server.param("RegionId"),
        vec![Some("cn-hangzhou".to_owned()); 2]
    );
    assert_eq!(client.stats().calls["ListIpsecServers"], 2);
}

#[tokio::test]
async fn describe_vpn_gateways_pages_by_fifty() {
    let gw = |i: usize| {
        format!(
            r#"{{"VpnGatewayId":"vpn-{i:03}","Status":"{}","BusinessStatus":"Normal"}}"#,
            if i.is_multiple_of(2) {
                "active"
            } else {
                "updating"
            }
        )
    };
    let page = |range: std::ops::Range<usize>, n: usize| {
        let items: Vec<String> = range.map(gw).collect();
        format!(
            r#"{{"RequestId":"R","TotalCount":52,"PageNumber":{n},"PageSize":50,"VpnGateways":{{"VpnGateway":[{}]}}}}"#,
            items.join(",")
        )
    };
    let server = Server::start(vec![
        reply(200, &page(0..50, 1)),
        reply(200, &page(50..52, 2)),
    ])
    .await;
    let client = client(&server);
    let gws = client.describe_vpn_gateways("cn-hangzhou").await.unwrap();
    assert_eq!(gws.len(), 52);
    assert_eq!(gws[51].id, "vpn-051");
    assert_eq!(gws[51].status, "updating");
    assert_eq!(gws[0].region, "cn-hangzhou");
    assert_eq!(
        server.param("PageNumber"),
        vec![Some("1".to_owned()), Some("2".to_owned())]
    );
    assert_eq!(server.param("PageSize"), vec![Some("50".to_owned()); 2]);
}

#[tokio::test]
async fn describe_vpn_gateway_decodes_status() {
    let server = Server::start(vec![reply(
        200,
        r#"{"RequestId":"R","VpnGatewayId":"vpn-1","Status":"updating","BusinessStatus":"Normal"}"#,
    )])
    .await;
    let gw = client(&server)
        .describe_vpn_gateway("cn-hangzhou", "vpn-1")
        .await
        .unwrap();
    assert_eq!(gw.id, "vpn-1");
    assert_eq!(gw.status, "updating");
    assert_eq!(gw.region, "cn-hangzhou");
}

#[test]
fn plain_http_to_another_host_is_refused() {
    let err = Client::new(credentials(), options("http://192.0.2.1:80")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "--endpoint `http://192.0.2.1:80` uses plain http to a host that is not this machine; \
         use https:// (http:// is accepted only for 127.0.0.0/8, ::1 and localhost)"
    );
}

/// A tracing writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_in_debug_output_or_logs() {
    // One global subscriber for the whole test binary: a thread-local one loses events
    // when other tests, running at the same time without one, cache the callsites as
    // uninteresting (tracing's interest cache is global).
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    let captured = CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("the only global subscriber");
            captured
        })
        .clone();

    let list = format!(
        r#"{{"RequestId":"R-l","IpsecServers":[{}]}}"#,
        server_json("iss-a", "vpn-1")
    );
    let mut throttled = error_reply(400, "Throttling", "R-t");
    throttled.headers.push(("x-acs-retry-after", "5".into()));
    let server = Server::start(vec![
        throttled,
        reply(400, SIGNATURE_MISMATCH),
        reply(200, &list),
        error_reply(500, "InternalError", "R-c1"),
        reply(200, r#"{"RequestId":"R-c2","IpsecServerId":"iss-new"}"#),
        reply(400, SIGNATURE_MISMATCH),
    ])
    .await;
    let client = client(&server);
    let err = client
        .delete_ipsec_server(&delete(false))
        .await
        .unwrap_err();
    let servers = client
        .list_ipsec_servers(&ListIpsecServers {
            region: "cn-hangzhou".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    // The PSK sent by a create and an update (retried, and refused with a signature
    // diagnosis) never shows either.
    let create = vpnform::kinds::ipsec_server::CreateIpsecServer {
        region: "cn-hangzhou".into(),
        vpn_gateway: "vpn-1".into(),
        local_subnet: vec!["10.0.0.0/24".into()],
        client_ip_pool: "10.8.0.0/16".into(),
        psk: Some(Secret::new(PSK)),
        client_token: Some("t-create".into()),
        ..Default::default()
    };
    let created = client.create_ipsec_server(&create).await.unwrap();
    assert_eq!(created.id, "iss-new");
    let update = vpnform::kinds::ipsec_server::UpdateIpsecServer {
        region: "cn-hangzhou".into(),
        ipsec_server_id: "iss-new".into(),
        psk: Some(Secret::new(PSK)),
        ..Default::default()
    };
    let update_err = client.update_ipsec_server(&update).await.unwrap_err();
    assert!(
        server.param("Psk").contains(&Some(PSK.to_owned())),
        "the PSK is sent"
    );

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("DeleteIpsecServer"), "{logs}");
    assert!(logs.contains("R-t"), "the request id is logged: {logs}");
    let everything = format!(
        "{logs}\n{client:?}\n{err:?}\n{err}\n{servers:?}\n{:?}\n{:?}\n{create:?}\n{update:?}\n{created:?}\n{update_err:?}\n{update_err}",
        credentials(),
        client.stats()
    );
    for leak in [SECRET, TOKEN, PSK, "Signature=", "SecurityToken="] {
        assert!(!everything.contains(leak), "{leak} leaked:\n{everything}");
    }
}

#[test]
fn default_client_builds_with_https_and_ring() {
    // No traffic: this only proves the rustls/ring setup and the default options.
    let options = ClientOptions::default();
    assert_eq!(options.max_in_flight, 50);
    assert_eq!(options.request_timeout, Duration::from_secs(10));
    assert_eq!(options.call_deadline, Duration::from_secs(300));
    let client = Client::new(credentials(), options).unwrap();
    assert_eq!(client.credentials_source(), "test");
}
