//! CreateIpsecServer and UpdateIpsecServer over the wire: the library's real client
//! against the sandbox on 127.0.0.1:0. Every precondition answered with its code and
//! message, DryRun without effect, ClientToken replay and mismatch, the configure time
//! before the attributes show in ListIpsecServers, a name-only update at once, faults
//! retried with the same token to one effect, and the audit entries that count them.

use std::time::{Duration, Instant};

use vpnform::cloud::{ApiError, Client, ClientOptions, Credentials, ErrorClass, RetryPolicy};
use vpnform::kinds::ipsec_server::{
    CreateIpsecServer, CreatedIpsecServer, IkeConfig, IpsecConfig, IpsecServer, ListIpsecServers,
    UpdateIpsecServer,
};
use vpnform::sandbox::{self, Gateway, Injection, Policy, Sandbox, World};
use vpnform::secret::Secret;

use crate::support::{Wire, configuring, param, serve};

const REGION: &str = "cn-hangzhou";
const CONFIGURE: Duration = Duration::from_millis(300);
const PSK: &str = "lifecycle-psk-canary-3d9b";

fn client(sandbox: &Sandbox) -> Client {
    let retry = RetryPolicy {
        transient_base: Duration::from_millis(10),
        throttling_base: Duration::from_millis(10),
        ..RetryPolicy::default()
    };
    Client::builder(
        Credentials {
            access_key_id: sandbox::DEFAULT_ACCESS_KEY_ID.into(),
            access_key_secret: Secret::new(sandbox::DEFAULT_ACCESS_KEY_SECRET),
            security_token: None,
            source: "test".into(),
        },
        ClientOptions {
            endpoint: Some(sandbox.url()),
            retry,
            ..ClientOptions::default()
        },
    )
    .build()
    .unwrap()
}

/// Gateways `vpn-a` (free), `vpn-b` (holding `iss-b`), `vpn-nossl` (SSL-VPN disabled),
/// `vpn-conn` (an IPsec connection), `vpn-locked` (FinancialLocked), `vpn-full` (its
/// VPC's route table full), `vpn-old` (a version without IPsec servers).
fn world() -> World {
    let mut world = World::default();
    world.add_gateway("vpn-a", REGION).internet_ip = Some("47.98.1.1".into());
    world.add_server("iss-b", "vpn-b", REGION).name = Some("b".into());
    let server = world.ipsec_servers.get_mut("iss-b").unwrap();
    server.local_subnet = Some("10.0.0.0/24".into());
    server.client_ip_pool = Some("10.8.0.0/16".into());
    world.add_gateway("vpn-nossl", REGION).ssl_vpn = "disable".into();
    world.add_gateway("vpn-conn", REGION).ipsec_connections = 1;
    world.add_gateway("vpn-locked", REGION).business_status = "FinancialLocked".into();
    world.add_gateway("vpn-full", REGION).route_entries = 200;
    world.add_gateway("vpn-old", REGION).supports_ipsec_server = false;
    world.check().unwrap();
    world
}

async fn start() -> (Sandbox, Wire, Client) {
    let (sandbox, wire) = serve(configuring(CONFIGURE), world()).await;
    let client = client(&sandbox);
    (sandbox, wire, client)
}

fn create(gateway: &str, token: &str) -> CreateIpsecServer {
    CreateIpsecServer {
        region: REGION.into(),
        vpn_gateway: gateway.into(),
        local_subnet: vec!["10.0.0.0/24".into(), "10.0.1.0/24".into()],
        client_ip_pool: "10.8.0.0/16".into(),
        name: Some("office".into()),
        psk: Some(Secret::new(PSK)),
        effect_immediately: Some(true),
        ike_config: Some(IkeConfig {
            ike_version: Some("ikev1".into()),
            ike_lifetime: Some(3600),
            remote_id: Some("office".into()),
            ..IkeConfig::default()
        }),
        ipsec_config: Some(IpsecConfig {
            ipsec_pfs: Some("disabled".into()),
            ..IpsecConfig::default()
        }),
        client_token: Some(token.into()),
        dry_run: false,
    }
}

fn update(server: &str, token: &str) -> UpdateIpsecServer {
    UpdateIpsecServer {
        region: REGION.into(),
        ipsec_server_id: server.into(),
        client_token: Some(token.into()),
        ..UpdateIpsecServer::default()
    }
}

async fn listed(client: &Client, gateway: &str) -> Vec<IpsecServer> {
    client
        .list_ipsec_servers(&ListIpsecServers {
            region: REGION.into(),
            vpn_gateway: Some(gateway.into()),
            ids: vec![],
        })
        .await
        .unwrap()
}

async fn status(client: &Client, gateway: &str) -> String {
    client
        .describe_vpn_gateway(REGION, gateway)
        .await
        .unwrap()
        .status
}

/// Waits (bounded) for the gateway to be `active` again.
async fn wait_active(client: &Client, gateway: &str) {
    let start = Instant::now();
    while status(client, gateway).await != "active" {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{gateway} stays busy"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn refused(e: &ApiError) -> (u16, &str, &str) {
    (e.http_status, e.code.as_str(), e.message.as_str())
}

#[tokio::test]
async fn create_configures_then_every_attribute_is_listed_and_audited_once() {
    let (sandbox, wire, client) = start().await;
    let dry = client
        .create_ipsec_server(&CreateIpsecServer {
            dry_run: true,
            ..create("vpn-a", "t-create")
        })
        .await
        .unwrap_err();
    assert_eq!(dry.class, ErrorClass::DryRunPassed, "{dry}");
    assert!(sandbox.audit().is_empty());
    let dry_call = &wire.calls()[0];
    assert_eq!(
        param(dry_call, "ClientToken"),
        None,
        "a DryRun carries no token"
    );

    let created = client
        .create_ipsec_server(&create("vpn-a", "t-create"))
        .await
        .unwrap();
    assert!(created.id.starts_with("iss-"), "{created:?}");
    assert_eq!(status(&client, "vpn-a").await, "updating");
    let configuring: Vec<String> = listed(&client, "vpn-a")
        .await
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(
        configuring,
        std::slice::from_ref(&created.id),
        "listed while configuring"
    );
    wait_active(&client, "vpn-a").await;

    let servers = listed(&client, "vpn-a").await;
    assert_eq!(servers.len(), 1);
    let s = &servers[0];
    assert_eq!(s.id, created.id);
    assert_eq!(
        (
            s.name.as_str(),
            s.local_subnets(),
            s.client_ip_pool.as_str(),
            s.internet_ip.as_str(),
            s.effect_immediately,
            s.psk_enabled,
        ),
        (
            "office",
            vec!["10.0.0.0/24".to_owned(), "10.0.1.0/24".to_owned()],
            "10.8.0.0/16",
            "47.98.1.1",
            true,
            true
        )
    );
    assert_eq!(s.psk.as_ref().map(Secret::expose), Some(PSK));
    assert!(!format!("{servers:?}").contains(PSK));
    assert_eq!(
        s.ike_config,
        IkeConfig {
            ike_version: Some("ikev1".into()),
            ike_mode: Some("main".into()),
            ike_enc_alg: Some("aes".into()),
            ike_auth_alg: Some("sha1".into()),
            ike_pfs: Some("group2".into()),
            ike_lifetime: Some(3600),
            // The model's default: the gateway's public IP.
            local_id: Some("47.98.1.1".into()),
            remote_id: Some("office".into()),
        }
    );
    assert_eq!(
        s.ipsec_config,
        IpsecConfig {
            ipsec_enc_alg: Some("aes".into()),
            ipsec_auth_alg: Some("sha1".into()),
            ipsec_pfs: Some("disabled".into()),
            ipsec_lifetime: Some(86400),
        }
    );
    assert!(!s.creation_time.is_empty());

    let audit = sandbox.audit();
    assert_eq!(audit.len(), 1, "{audit:?}");
    let entry = &audit[0];
    assert_eq!(
        (
            entry.action.as_str(),
            entry.resource.as_str(),
            entry.vpn_gateway.as_str(),
            entry.client_token.as_deref(),
            entry.effect.as_str()
        ),
        (
            "CreateIpsecServer",
            created.id.as_str(),
            "vpn-a",
            Some("t-create"),
            "created"
        )
    );
    assert!(entry.configured_at > entry.time, "{entry:?}");
    // What was sent: the name spelled as the create spells it, the configs as JSON.
    let sent = &wire.sent("CreateIpsecServer")[0];
    assert_eq!(param(sent, "IpSecServerName"), Some("office"));
    assert_eq!(param(sent, "LocalSubnet"), Some("10.0.0.0/24,10.0.1.0/24"));
    assert_eq!(
        param(sent, "IkeConfig"),
        Some(r#"{"IkeVersion":"ikev1","IkeLifetime":3600,"RemoteId":"office"}"#)
    );
    assert_eq!(
        param(sent, "IpsecConfig"),
        Some(r#"{"IpsecPfs":"disabled"}"#)
    );
}

#[tokio::test]
async fn create_token_replay_is_the_first_answer_and_other_parameters_a_mismatch() {
    let (sandbox, _wire, client) = start().await;
    let first = client
        .create_ipsec_server(&create("vpn-a", "t-1"))
        .await
        .unwrap();
    let again = client
        .create_ipsec_server(&create("vpn-a", "t-1"))
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    let other = client
        .create_ipsec_server(&CreateIpsecServer {
            client_ip_pool: "10.9.0.0/16".into(),
            ..create("vpn-a", "t-1")
        })
        .await
        .unwrap_err();
    assert_eq!(
        refused(&other),
        (
            400,
            "IdempotentParameterMismatch",
            "The request uses the same client token as a previous, but non-identical request."
        )
    );
    assert_eq!(other.class, ErrorClass::Terminal);
    wait_active(&client, "vpn-a").await;
    // Configured, the server exists: the replay still gets its first answer, not
    // OperationFailed.IPsecServerExist; another token does get that.
    let late = client
        .create_ipsec_server(&create("vpn-a", "t-1"))
        .await
        .unwrap();
    assert_eq!(late.id, first.id);
    let second = client
        .create_ipsec_server(&create("vpn-a", "t-2"))
        .await
        .unwrap_err();
    assert_eq!(
        refused(&second),
        (
            400,
            "OperationFailed.IPsecServerExist",
            &*format!(
                "The VPN gateway vpn-a already has an IPsec server ({}): a gateway holds one.",
                first.id
            )
        )
    );
    let effects: Vec<_> = sandbox
        .audit()
        .into_iter()
        .filter(|e| e.client_token.as_deref() == Some("t-1"))
        .collect();
    assert_eq!(effects.len(), 1, "{effects:?}");
    assert_eq!(sandbox.audit().len(), 1);
}

#[tokio::test]
async fn every_create_precondition_answers_its_code_and_message_dry_run_or_not() {
    let (sandbox, _wire, client) = start().await;
    let mut deny = Policy::default();
    deny.deny_resources.insert("vpn-denied".into());
    sandbox.set_policy(deny);
    sandbox.add_gateway("vpn-denied", Gateway::new(REGION));
    let bad_ike = |ike: IkeConfig| CreateIpsecServer {
        ike_config: Some(ike),
        ..create("vpn-a", "t")
    };
    let cases: Vec<(CreateIpsecServer, (u16, &str, String))> = vec![
        (
            create("vpn-b", "t"),
            (400, "OperationFailed.IPsecServerExist", "The VPN gateway vpn-b already has an IPsec server (iss-b): a gateway holds one.".into()),
        ),
        (
            create("vpn-nossl", "t"),
            (400, "VpnGateway.SslVpnDisabled", "The SSL-VPN feature of the VPN gateway vpn-nossl is disabled: enable it before creating an IPsec server.".into()),
        ),
        (
            create("vpn-conn", "t"),
            (400, "OperationFailed.IpsecConnectionExist", "The VPN gateway vpn-conn has 1 IPsec-VPN connection(s): delete them before creating an IPsec server.".into()),
        ),
        (
            create("vpn-locked", "t"),
            (400, "VpnGateway.FinancialLocked", "The specified VPN gateway is locked due to an overdue payment.".into()),
        ),
        (
            create("vpn-nowhere", "t"),
            (404, "InvalidVpnGatewayInstanceId.NotFound", "The specified VpnGatewayId vpn-nowhere does not exist.".into()),
        ),
        (
            create("vpn-denied", "t"),
            (403, "Forbidden", "User not authorized to operate on the specified resource.".into()),
        ),
        (
            CreateIpsecServer { client_ip_pool: "172.20.0.0/16".into(), ..create("vpn-a", "t") },
            (400, "InvalidClientIpPool.ConflictWithVpc", "The specified ClientIpPool 172.20.0.0/16 overlaps the VPC CIDR block 172.16.0.0/12 of the VPN gateway: choose a client CIDR block outside the VPC.".into()),
        ),
        (
            CreateIpsecServer { client_ip_pool: "10.0.0.0/8".into(), ..create("vpn-a", "t") },
            (400, "InvalidClientIpPool.ConflictWithLocalSubnet", "The specified ClientIpPool 10.0.0.0/8 overlaps the LocalSubnet block 10.0.0.0/24: the client and local CIDR blocks must not overlap.".into()),
        ),
        (
            CreateIpsecServer { local_subnet: vec![], ..create("vpn-a", "t") },
            (400, "MissingLocalSubnet", "LocalSubnet is mandatory for this action.".into()),
        ),
        (
            CreateIpsecServer { local_subnet: vec!["10.0.0.0/33".into()], ..create("vpn-a", "t") },
            (400, "IllegalParam.LocalSubnet", "The specified LocalSubnet is illegal: `10.0.0.0/33` is not an IPv4 CIDR block such as 10.0.0.0/24.".into()),
        ),
        (
            CreateIpsecServer { client_ip_pool: "10.8.0.1/16".into(), ..create("vpn-a", "t") },
            (400, "InvalidParameter", "The specified parameter \"ClientIpPool\" is not valid: `10.8.0.1/16` has host bits set: write the network address 10.8.0.0/16.".into()),
        ),
        (
            bad_ike(IkeConfig { ike_enc_alg: Some("rot13".into()), ..IkeConfig::default() }),
            (400, "InvalidParameter", "The specified parameter \"IkeConfig\" is not valid: IkeEncAlg \"rot13\" is not one of aes, aes192, aes256, des, 3des.".into()),
        ),
        (
            bad_ike(IkeConfig { ike_lifetime: Some(86401), ..IkeConfig::default() }),
            (400, "InvalidParameter", "The specified parameter \"IkeConfig\" is not valid: IkeLifetime 86401 is not an integer from 0 to 86400 (seconds).".into()),
        ),
        (
            CreateIpsecServer { ipsec_config: Some(IpsecConfig { ipsec_pfs: Some("group99".into()), ..IpsecConfig::default() }), ..create("vpn-a", "t") },
            (400, "InvalidParameter", "The specified parameter \"IpsecConfig\" is not valid: IpsecPfs \"group99\" is not one of disabled, group1, group2, group5, group14.".into()),
        ),
        (
            CreateIpsecServer { name: Some("n".repeat(101)), ..create("vpn-a", "t") },
            (400, "InvalidParameter", "The specified parameter \"IpSecServerName\" is not valid: the name is 1 to 100 characters.".into()),
        ),
        (
            CreateIpsecServer { psk: Some(Secret::new("p".repeat(101))), ..create("vpn-a", "t") },
            (400, "InvalidParameter", "The specified parameter \"Psk\" is not valid: the pre-shared key is 1 to 100 visible ASCII characters, without spaces.".into()),
        ),
    ];
    for (request, (status, code, message)) in cases {
        for dry_run in [true, false] {
            let request = CreateIpsecServer {
                dry_run,
                ..request.clone()
            };
            let err = client.create_ipsec_server(&request).await.unwrap_err();
            assert_eq!(
                refused(&err),
                (status, code, message.as_str()),
                "{request:?}"
            );
        }
    }
    assert!(sandbox.audit().is_empty(), "{:?}", sandbox.audit());

    // A busy gateway is contention, for the caller to wait out.
    client
        .create_ipsec_server(&create("vpn-a", "t-busy"))
        .await
        .unwrap();
    let busy = client
        .update_ipsec_server(&UpdateIpsecServer {
            name: Some("x".into()),
            ..update("iss-b", "t-other")
        })
        .await;
    assert!(busy.is_ok(), "another gateway is not busy: {busy:?}");
    let err = client
        .create_ipsec_server(&create("vpn-a", "t-again"))
        .await
        .unwrap_err();
    assert_eq!(
        refused(&err),
        (
            400,
            "VpnGateway.Configuring",
            "The specified VPN gateway is being configured. Try again later."
        )
    );
    assert_eq!(err.class, ErrorClass::Contention);
}

/// Regression: the sandbox answered `OperationFailed.SslVpnDisabled` and, for a
/// malformed LocalSubnet, `InvalidParameter`, and never the route quota or the gateway
/// version; API.md ("IPsec-server details") gives the cloud's codes. DryRun or not.
#[tokio::test]
async fn a_create_answers_the_documented_codes_for_ssl_vpn_local_subnet_route_quota_and_version() {
    let (sandbox, _wire, client) = start().await;
    let subnet = |blocks: &[&str]| CreateIpsecServer {
        local_subnet: blocks.iter().map(|b| (*b).to_owned()).collect(),
        ..create("vpn-a", "t")
    };
    let illegal = |why: &str| {
        (
            400,
            "IllegalParam.LocalSubnet",
            format!("The specified LocalSubnet is illegal: {why}."),
        )
    };
    let cases: Vec<(CreateIpsecServer, (u16, &str, String))> = vec![
        (
            create("vpn-nossl", "t"),
            (400, "VpnGateway.SslVpnDisabled", "The SSL-VPN feature of the VPN gateway vpn-nossl is disabled: enable it before creating an IPsec server.".into()),
        ),
        (
            subnet(&["10.0.0.1/24"]),
            illegal("`10.0.0.1/24` has host bits set: write the network address 10.0.0.0/24"),
        ),
        (
            subnet(&["10.0.0.0/24", ""]),
            illegal("`` is not an IPv4 CIDR block such as 10.0.0.0/24"),
        ),
        (
            subnet(&["fd00::/64"]),
            illegal("`fd00::/64` is not an IPv4 CIDR block such as 10.0.0.0/24"),
        ),
        (
            subnet(&["office"]),
            illegal("`office` is not an IPv4 CIDR block such as 10.0.0.0/24"),
        ),
        (
            create("vpn-full", "t"),
            (400, "QuotaExceeded.VpnRouteEntry", "The route table of the VPC of the VPN gateway vpn-full holds 200 route entries, its quota of 200: the client CIDR block needs one more.".into()),
        ),
        (
            create("vpn-old", "t"),
            (400, "OperationUnsupported.IPsecServer", "The VPN gateway vpn-old does not support IPsec servers: its version is too old. Upgrade the VPN gateway first.".into()),
        ),
    ];
    for (request, (status, code, message)) in cases {
        for dry_run in [true, false] {
            let request = CreateIpsecServer {
                dry_run,
                ..request.clone()
            };
            let err = client.create_ipsec_server(&request).await.unwrap_err();
            assert_eq!(
                refused(&err),
                (status, code, message.as_str()),
                "{request:?}"
            );
            assert_eq!(err.class, ErrorClass::Terminal, "{err}");
        }
    }
    // An update's LocalSubnet is checked alike.
    let err = client
        .update_ipsec_server(&UpdateIpsecServer {
            local_subnet: Some(vec!["10.1.0.0/24".into(), "10.1.1.1/24".into()]),
            ..update("iss-b", "t-subnet")
        })
        .await
        .unwrap_err();
    assert_eq!(
        refused(&err),
        (
            400,
            "IllegalParam.LocalSubnet",
            "The specified LocalSubnet is illegal: `10.1.1.1/24` has host bits set: write the network address 10.1.1.0/24."
        )
    );
    assert!(sandbox.audit().is_empty(), "{:?}", sandbox.audit());
}

/// Regression: a server whose create was still configuring was hidden (not listed,
/// and 404 `InvalidIpsecServerId.NotFound` to an update or a delete). The cloud has it
/// from the create's answer on: listed, and every call on it or its gateway meets the
/// gateway configuring.
#[tokio::test]
async fn a_server_whose_create_configures_is_listed_and_calls_on_it_are_configuring() {
    let (sandbox, wire, client) = start().await;
    let created = client
        .create_ipsec_server(&create("vpn-a", "t-create"))
        .await
        .unwrap();
    assert_eq!(status(&client, "vpn-a").await, "updating");
    let servers = listed(&client, "vpn-a").await;
    assert_eq!(
        servers
            .iter()
            .map(|s| (s.id.as_str(), s.name.as_str(), s.client_ip_pool.as_str()))
            .collect::<Vec<_>>(),
        [(created.id.as_str(), "office", "10.8.0.0/16")]
    );
    let configuring = (
        400,
        "VpnGateway.Configuring",
        "The specified VPN gateway is being configured. Try again later.",
    );
    let err = client
        .update_ipsec_server(&UpdateIpsecServer {
            name: Some("renamed".into()),
            ..update(&created.id, "t-update")
        })
        .await
        .unwrap_err();
    assert_eq!(refused(&err), configuring);
    let err = client
        .delete_ipsec_server(&vpnform::kinds::ipsec_server::DeleteIpsecServer {
            region: REGION.into(),
            ipsec_server_id: created.id.clone(),
            client_token: Some("t-delete".into()),
            dry_run: false,
        })
        .await
        .unwrap_err();
    assert_eq!(refused(&err), configuring);
    let err = client
        .create_ipsec_server(&create("vpn-a", "t-second"))
        .await
        .unwrap_err();
    assert_eq!(refused(&err), configuring);
    assert_eq!(err.class, ErrorClass::Contention);
    let codes: Vec<(String, Option<String>)> = wire
        .calls()
        .iter()
        .filter(|c| c.action != "ListIpsecServers" && c.action != "DescribeVpnGateway")
        .map(|c| (c.action.clone(), c.code.clone()))
        .collect();
    let busy = Some("VpnGateway.Configuring".to_owned());
    assert_eq!(
        codes,
        [
            ("CreateIpsecServer".to_owned(), None),
            ("UpdateIpsecServer".to_owned(), busy.clone()),
            ("DeleteIpsecServer".to_owned(), busy.clone()),
            ("CreateIpsecServer".to_owned(), busy),
        ]
    );
    assert_eq!(sandbox.audit().len(), 1);
}

/// Regression: `PskEnabled` went out only with a PSK; the CreateIpsecServer request
/// model marks it required (only `true`). The update model does not: an update sends it
/// with a new key only.
#[tokio::test]
async fn a_create_sends_psk_enabled_even_without_a_psk() {
    let (_sandbox, wire, client) = start().await;
    for dry_run in [true, false] {
        let answer = client
            .create_ipsec_server(&CreateIpsecServer {
                psk: None,
                dry_run,
                ..create("vpn-a", "t-nokey")
            })
            .await;
        match answer {
            Ok(_) => assert!(!dry_run),
            Err(e) => assert_eq!(e.class, ErrorClass::DryRunPassed, "{e}"),
        }
    }
    wait_active(&client, "vpn-a").await;
    client
        .update_ipsec_server(&UpdateIpsecServer {
            name: Some("renamed".into()),
            ..update("iss-b", "t-rename")
        })
        .await
        .unwrap();
    client
        .update_ipsec_server(&UpdateIpsecServer {
            psk: Some(Secret::new(PSK)),
            ..update("iss-b", "t-rekey")
        })
        .await
        .unwrap();
    let psk_enabled: Vec<(String, Option<String>)> = wire
        .calls()
        .iter()
        .filter(|c| c.action.ends_with("IpsecServer"))
        .map(|c| (c.action.clone(), param(c, "PskEnabled").map(str::to_owned)))
        .collect();
    let on = Some("true".to_owned());
    assert_eq!(
        psk_enabled,
        [
            ("CreateIpsecServer".to_owned(), on.clone()),
            ("CreateIpsecServer".to_owned(), on.clone()),
            ("UpdateIpsecServer".to_owned(), None),
            ("UpdateIpsecServer".to_owned(), on),
        ]
    );
}

#[tokio::test]
async fn a_name_only_update_is_synchronous_and_others_configure_first() {
    let (sandbox, wire, client) = start().await;
    client
        .update_ipsec_server(&UpdateIpsecServer {
            name: Some("renamed".into()),
            ..update("iss-b", "t-name")
        })
        .await
        .unwrap();
    assert_eq!(status(&client, "vpn-b").await, "active");
    assert_eq!(listed(&client, "vpn-b").await[0].name, "renamed");
    let sent = &wire.sent("UpdateIpsecServer")[0];
    assert_eq!(param(sent, "IpsecServerName"), Some("renamed"));
    assert_eq!(param(sent, "ClientIpPool"), None, "only the fields given");

    client
        .update_ipsec_server(&UpdateIpsecServer {
            client_ip_pool: Some("10.9.0.0/16".into()),
            ike_config: Some(IkeConfig {
                ike_lifetime: Some(600),
                ..IkeConfig::default()
            }),
            ..update("iss-b", "t-pool")
        })
        .await
        .unwrap();
    assert_eq!(status(&client, "vpn-b").await, "updating");
    assert_eq!(
        listed(&client, "vpn-b").await[0].client_ip_pool,
        "10.8.0.0/16"
    );
    wait_active(&client, "vpn-b").await;
    let s = &listed(&client, "vpn-b").await[0];
    assert_eq!(
        (
            s.name.as_str(),
            s.client_ip_pool.as_str(),
            s.local_subnet.as_str(),
            s.ike_config.ike_lifetime,
            s.ike_config.ike_version.as_deref()
        ),
        (
            "renamed",
            "10.9.0.0/16",
            "10.0.0.0/24",
            Some(600),
            Some("ikev2")
        ),
        "the fields not given keep their values"
    );
    let audit = sandbox.audit();
    let shape: Vec<(&str, &str, Option<&str>, bool)> = audit
        .iter()
        .map(|e| {
            (
                e.action.as_str(),
                e.effect.as_str(),
                e.client_token.as_deref(),
                e.configured_at == e.time,
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("UpdateIpsecServer", "updated", Some("t-name"), true),
            ("UpdateIpsecServer", "updated", Some("t-pool"), false),
        ]
    );
}

#[tokio::test]
async fn update_preconditions_dry_run_and_tokens() {
    let (sandbox, _wire, client) = start().await;
    let cases: Vec<(UpdateIpsecServer, (u16, &str, &str))> = vec![
        (
            UpdateIpsecServer {
                name: Some("x".into()),
                ..update("iss-zz", "t")
            },
            (
                404,
                "InvalidIpsecServerId.NotFound",
                "The specified IpsecServerId iss-zz does not exist.",
            ),
        ),
        (
            UpdateIpsecServer {
                client_ip_pool: Some("172.16.0.0/24".into()),
                ..update("iss-b", "t")
            },
            (
                400,
                "InvalidClientIpPool.ConflictWithVpc",
                "The specified ClientIpPool 172.16.0.0/24 overlaps the VPC CIDR block 172.16.0.0/12 of the VPN gateway: choose a client CIDR block outside the VPC.",
            ),
        ),
        (
            UpdateIpsecServer {
                local_subnet: Some(vec!["10.8.1.0/24".into()]),
                ..update("iss-b", "t")
            },
            (
                400,
                "InvalidClientIpPool.ConflictWithLocalSubnet",
                "The specified ClientIpPool 10.8.0.0/16 overlaps the LocalSubnet block 10.8.1.0/24: the client and local CIDR blocks must not overlap.",
            ),
        ),
    ];
    for (request, expected) in cases {
        let err = client.update_ipsec_server(&request).await.unwrap_err();
        assert_eq!(refused(&err), expected, "{request:?}");
    }
    let dry = client
        .update_ipsec_server(&UpdateIpsecServer {
            client_ip_pool: Some("10.9.0.0/16".into()),
            dry_run: true,
            ..update("iss-b", "t-u")
        })
        .await
        .unwrap_err();
    assert_eq!(dry.class, ErrorClass::DryRunPassed);
    assert!(sandbox.audit().is_empty());

    let pool = |p: &str| UpdateIpsecServer {
        client_ip_pool: Some(p.into()),
        ..update("iss-b", "t-u")
    };
    client
        .update_ipsec_server(&pool("10.9.0.0/16"))
        .await
        .unwrap();
    // While the gateway configures: the same call is its first answer, another token
    // is contention, other parameters with the token a mismatch.
    client
        .update_ipsec_server(&pool("10.9.0.0/16"))
        .await
        .unwrap();
    let busy = client
        .update_ipsec_server(&UpdateIpsecServer {
            client_token: Some("t-v".into()),
            ..pool("10.7.0.0/16")
        })
        .await
        .unwrap_err();
    assert_eq!(busy.code, "VpnGateway.Configuring");
    let mismatch = client
        .update_ipsec_server(&pool("10.7.0.0/16"))
        .await
        .unwrap_err();
    assert_eq!(mismatch.code, "IdempotentParameterMismatch");
    assert_eq!(sandbox.audit().len(), 1, "{:?}", sandbox.audit());
}

/// A create whose answer is lost after its effect (500, or a dropped connection) is
/// retried by the client with the same token: one server, one effect.
#[tokio::test]
async fn a_create_answer_lost_after_its_effect_is_retried_with_its_token_to_one_effect() {
    for (status, code) in [(500, "InternalError"), (503, "ServiceUnavailable")] {
        let (sandbox, wire, client) = start().await;
        sandbox.inject(Injection {
            action: Some("CreateIpsecServer".into()),
            status,
            code: code.into(),
            retry_after: None,
            after_effect: true,
            times: 1,
        });
        // And one failure before any effect, on the update.
        sandbox.inject(Injection {
            action: Some("UpdateIpsecServer".into()),
            status: 500,
            code: "InternalError".into(),
            retry_after: None,
            after_effect: false,
            times: 1,
        });
        let created: CreatedIpsecServer = client
            .create_ipsec_server(&create("vpn-a", "t-lost"))
            .await
            .unwrap();
        let sent = wire.sent("CreateIpsecServer");
        assert_eq!(sent.len(), 2, "one retry");
        assert!(
            sent.iter()
                .all(|c| param(c, "ClientToken") == Some("t-lost"))
        );
        assert_ne!(
            param(&sent[0], "SignatureNonce"),
            param(&sent[1], "SignatureNonce")
        );
        client
            .update_ipsec_server(&UpdateIpsecServer {
                name: Some("n".into()),
                ..update("iss-b", "t-upd")
            })
            .await
            .unwrap();
        let audit = sandbox.audit();
        let effects: Vec<(&str, &str)> = audit
            .iter()
            .map(|e| (e.action.as_str(), e.resource.as_str()))
            .collect();
        assert_eq!(
            effects,
            [
                ("CreateIpsecServer", created.id.as_str()),
                ("UpdateIpsecServer", "iss-b")
            ],
            "{code}"
        );
        wait_active(&client, "vpn-a").await;
        assert_eq!(listed(&client, "vpn-a").await.len(), 1);
    }
}

#[tokio::test]
async fn a_denied_action_is_forbidden_for_create_and_update() {
    let (sandbox, _wire, client) = start().await;
    let mut policy = Policy::default();
    policy.deny_actions.insert("CreateIpsecServer".into());
    policy.deny_resources.insert("iss-b".into());
    sandbox.set_policy(policy);
    let err = client
        .create_ipsec_server(&create("vpn-a", "t"))
        .await
        .unwrap_err();
    assert_eq!((err.http_status, err.code.as_str()), (403, "Forbidden"));
    assert_eq!(err.ram_action().as_deref(), Some("vpc:CreateIpsecServer"));
    let err = client
        .update_ipsec_server(&UpdateIpsecServer {
            name: Some("x".into()),
            ..update("iss-b", "t")
        })
        .await
        .unwrap_err();
    assert_eq!((err.http_status, err.code.as_str()), (403, "Forbidden"));
    assert!(sandbox.audit().is_empty());
}

#[test]
fn a_world_file_with_two_servers_on_one_gateway_is_refused_naming_the_file_and_both() {
    let ws = crate::support::Workspace::new().file(
        "world.yaml",
        "vpn_gateways:\n  vpn-a: {region: cn-hangzhou}\nipsec_servers:\n  iss-one: {vpn_gateway: vpn-a}\n  iss-two: {vpn_gateway: vpn-a}\n",
    );
    ws.vpnform(&["sandbox", "serve", "--listen", "127.0.0.1:0", "--world", "world.yaml"])
        .code(1)
        .stderr(
            "error: world.yaml: ipsec servers iss-one and iss-two are both on vpn gateway vpn-a, and a gateway holds one IPsec server: remove one or move it to another gateway\n",
        )
        .run();
}

/// Alibaba's official Python SDK creates and updates a server through `vpnform sandbox
/// serve` (tests/sdk/create_update.py), and reads the answers issue 25 corrected
/// through its own models. It needs python3 with the SDK (`python3 -m pip install -r
/// tests/sdk/requirements.txt`; `.ci/run` installs it where it is missing).
#[test]
fn the_official_python_sdk_creates_and_updates_through_sandbox_serve() {
    crate::sandbox_family::require_sdk();
    let ws = crate::support::Workspace::new().file(
        "world.yaml",
        "vpn_gateways:\n  vpn-bp1sdk: {region: cn-hangzhou}\n  vpn-bp1sdktwo: {region: cn-hangzhou, resource_group_id: rg-sdk, charge_type: Prepay}\n  vpn-bp1sdknossl: {region: cn-hangzhou, ssl_vpn: disable}\n",
    );
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
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/create_update.py");
    let out = std::process::Command::new("python3")
        .args([
            script,
            &url,
            "vpn-bp1sdk",
            "vpn-bp1sdktwo",
            "vpn-bp1sdknossl",
        ])
        .output()
        .expect("python3 runs");
    let _ = child.kill();
    let serve_log = {
        let _ = child.wait();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut text).unwrap();
        text
    };
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "dry run: DryRunOperation\n\
         no ssl-vpn: VpnGateway.SslVpnDisabled\n\
         malformed local subnet: IllegalParam.LocalSubnet\n\
         created: True\n\
         listed while configuring: True\n\
         update while configuring: VpnGateway.Configuring\n\
         listed: sdk-office 10.0.0.0/24,10.0.1.0/24 10.8.0.0/16 3600 group5\n\
         listed fields: rg-sandbox True\n\
         update answer: ['RequestId']\n\
         replayed update: True True\n\
         updated: sdk-renamed 10.9.0.0/16\n\
         generated psk length: 16\n\
         listed by id: True\n\
         listed by resource group: True\n\
         gateway: Prepay rg-sdk Traditional public Normal\n\
         gateways by vpc: True\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
    assert!(
        serve_log.contains("CreateIpsecServer -> 200 OK"),
        "{serve_log}"
    );
    assert!(
        !serve_log.contains("sdk-psk-value"),
        "the PSK is logged: {serve_log}"
    );
}

/// `--status-lag` and `--list-lag` apply to a create as to a delete: the gateway first
/// still shows `active` (yet refuses another task), and once it is `active` again the
/// list still gives the old answer (no server) for the list lag.
#[tokio::test]
async fn a_create_under_status_and_list_lags_shows_late_but_is_never_doubled() {
    let config = sandbox::SandboxConfig {
        status_lag: Duration::from_secs(1),
        list_lag: Duration::from_secs(1),
        ..configuring(CONFIGURE)
    };
    let (sandbox, _wire) = serve(config, world()).await;
    let client = client(&sandbox);
    let created = client
        .create_ipsec_server(&create("vpn-a", "t-lag"))
        .await
        .unwrap();
    assert_eq!(status(&client, "vpn-a").await, "active", "the status lag");
    let other = client
        .create_ipsec_server(&create("vpn-a", "t-other"))
        .await
        .unwrap_err();
    assert_eq!(
        refused(&other),
        (
            400,
            "VpnTask.CONFLICT",
            "A task is already running on the specified VPN gateway."
        )
    );
    assert_eq!(other.class, ErrorClass::Contention);
    // Through `updating` and back to `active`.
    let start = Instant::now();
    while status(&client, "vpn-a").await != "updating" {
        assert!(start.elapsed() < Duration::from_secs(5), "never updating");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wait_active(&client, "vpn-a").await;
    assert!(listed(&client, "vpn-a").await.is_empty(), "the list lag");
    let start = Instant::now();
    while listed(&client, "vpn-a").await.is_empty() {
        assert!(start.elapsed() < Duration::from_secs(5), "never listed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(listed(&client, "vpn-a").await[0].id, created.id);
    assert_eq!(sandbox.audit().len(), 1);
}
