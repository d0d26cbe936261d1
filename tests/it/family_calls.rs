//! The VPN-gateway family's typed calls (issue 22) against the sandbox over HTTP: what
//! the client sends is what the sandbox (built from the official SDK's models) reads,
//! and what it answers decodes into the client's types, secrets kept in `Secret`s and
//! masked in the call log. DryRun goes only to CreateVpnConnection.

use std::time::{Duration, Instant};

use vpnform::cloud::{Client, ClientOptions, Credentials, ErrorClass, RetryPolicy};
use vpnform::kinds::customer_gateway::{CreateCustomerGateway, ModifyCustomerGateway};
use vpnform::kinds::ipsec_server::IkeConfig;
use vpnform::kinds::vpn_connection::{
    ConnectionSpec, CreateVpnConnection, DescribeVpnConnections, ModifyVpnConnection, TunnelSpec,
};
use vpnform::kinds::vpn_gateway::ModifyVpnGateway;
use vpnform::sandbox::{self, Sandbox, World};
use vpnform::secret::Secret;

use crate::support::{Wire, configuring, param, serve};

const REGION: &str = "cn-hangzhou";
const CONFIGURE: Duration = Duration::from_millis(200);

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(
        Credentials {
            access_key_id: sandbox::DEFAULT_ACCESS_KEY_ID.into(),
            access_key_secret: Secret::new(sandbox::DEFAULT_ACCESS_KEY_SECRET),
            security_token: None,
            source: "test".into(),
        },
        ClientOptions {
            endpoint: Some(sandbox.url()),
            retry: RetryPolicy {
                transient_base: Duration::from_millis(10),
                throttling_base: Duration::from_millis(10),
                ..RetryPolicy::default()
            },
            ..ClientOptions::default()
        },
    )
    .build()
    .unwrap()
}

async fn start() -> (Sandbox, Wire, Client) {
    let mut world = World::default();
    world.add_gateway("vpn-a", REGION);
    world.check().unwrap();
    let (sandbox, wire) = serve(configuring(CONFIGURE), world).await;
    let client = client(&sandbox);
    (sandbox, wire, client)
}

async fn wait_active(client: &Client, gateway: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while client
        .describe_vpn_gateway(REGION, gateway)
        .await
        .unwrap()
        .status
        != "active"
    {
        assert!(Instant::now() < deadline, "{gateway} stays busy");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn customer_gateway(client: &Client, ip: &str, token: &str) -> String {
    client
        .create_customer_gateway(&CreateCustomerGateway {
            region: REGION.into(),
            ip_address: ip.into(),
            asn: Some(65001),
            auth_key: Some("bgp-key-canary".into()),
            name: Some(format!("cgw-{token}")),
            description: None,
            client_token: Some(token.into()),
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_customer_gateway_is_created_described_modified_and_deleted() {
    let (_sandbox, wire, client) = start().await;
    let id = customer_gateway(&client, "203.0.113.7", "t-cgw").await;
    assert!(id.starts_with("cgw-"), "{id}");
    // Synchronous: listed at once, the key answered in clear and kept secret.
    let listed = client
        .describe_customer_gateways(REGION, None)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let gateway = &listed[0];
    assert_eq!(
        (
            gateway.id.as_str(),
            gateway.ip_address.as_str(),
            gateway.asn,
            gateway.name.as_str()
        ),
        (id.as_str(), "203.0.113.7", Some(65001), "cgw-t-cgw")
    );
    assert_eq!(
        gateway.auth_key.as_ref().map(Secret::expose),
        Some("bgp-key-canary")
    );
    assert!(gateway.create_time.is_some());

    // The same token again is the same gateway, not a second one.
    assert_eq!(customer_gateway(&client, "203.0.113.7", "t-cgw").await, id);

    client
        .modify_customer_gateway(&ModifyCustomerGateway {
            region: REGION.into(),
            id: id.clone(),
            name: Some("branch".into()),
            description: Some("the branch office".into()),
            auth_key: None,
            client_token: Some("t-cgw-modify".into()),
        })
        .await
        .unwrap();
    let by_id = client
        .describe_customer_gateways(REGION, Some(&id))
        .await
        .unwrap();
    assert_eq!(
        (by_id[0].name.as_str(), by_id[0].description.as_str()),
        ("branch", "the branch office")
    );

    client
        .delete_customer_gateway(REGION, &id, Some("t-cgw-delete"))
        .await
        .unwrap();
    assert!(
        client
            .describe_customer_gateways(REGION, None)
            .await
            .unwrap()
            .is_empty()
    );
    // No DryRun went to these calls, and the key never reached the call log in clear.
    for call in wire.calls() {
        assert_eq!(param(&call, "DryRun"), None, "{}", call.action);
        if let Some(key) = param(&call, "AuthKey") {
            assert_eq!(key, "***", "{}", call.action);
        }
    }
}

#[tokio::test]
async fn a_single_tunnel_connection_is_prechecked_created_modified_and_deleted() {
    let (_sandbox, wire, client) = start().await;
    let cgw = customer_gateway(&client, "203.0.113.8", "t-single-cgw").await;
    let create = |dry_run| CreateVpnConnection {
        region: REGION.into(),
        vpn_gateway: "vpn-a".into(),
        customer_gateway: Some(cgw.clone()),
        spec: ConnectionSpec {
            name: Some("branch".into()),
            local_subnet: Some(vec!["10.0.0.0/16".into()]),
            remote_subnet: Some(vec!["192.168.0.0/24".into()]),
            psk: Some("conn-psk-canary".into()),
            ike_config: Some(IkeConfig {
                ike_version: Some("ikev2".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        client_token: Some("t-single".into()),
        dry_run,
    };
    let dry = client
        .create_vpn_connection(&create(true))
        .await
        .unwrap_err();
    assert_eq!(dry.class, ErrorClass::DryRunPassed, "{dry:?}");
    let all = DescribeVpnConnections {
        region: REGION.into(),
        ..Default::default()
    };
    assert!(
        client
            .describe_vpn_connections(&all)
            .await
            .unwrap()
            .is_empty()
    );

    let id = client.create_vpn_connection(&create(false)).await.unwrap();
    assert!(id.starts_with("vco-"), "{id}");
    wait_active(&client, "vpn-a").await;
    let listed = client.describe_vpn_connections(&all).await.unwrap();
    assert_eq!(listed.len(), 1);
    let connection = &listed[0];
    assert_eq!(
        (
            connection.vpn_gateway.as_str(),
            connection.customer_gateway.as_str(),
            connection.local_subnet.as_str(),
            connection.remote_subnet.as_str(),
            connection.ike_config.ike_version.as_deref(),
        ),
        (
            "vpn-a",
            cgw.as_str(),
            "10.0.0.0/16",
            "192.168.0.0/24",
            Some("ikev2")
        )
    );
    assert_eq!(
        connection.psk.as_ref().map(Secret::expose),
        Some("conn-psk-canary")
    );
    assert!(connection.tunnels.is_empty());

    client
        .modify_vpn_connection(&ModifyVpnConnection {
            region: REGION.into(),
            id: id.clone(),
            spec: ConnectionSpec {
                remote_subnet: Some(vec!["192.168.0.0/24".into(), "192.168.9.0/24".into()]),
                ..Default::default()
            },
            client_token: Some("t-single-modify".into()),
        })
        .await
        .unwrap();
    wait_active(&client, "vpn-a").await;
    let by_gateway = DescribeVpnConnections {
        region: REGION.into(),
        vpn_gateway: Some("vpn-a".into()),
        ..Default::default()
    };
    let listed = client.describe_vpn_connections(&by_gateway).await.unwrap();
    assert_eq!(listed[0].remote_subnet, "192.168.0.0/24,192.168.9.0/24");

    client
        .delete_vpn_connection(REGION, &id, Some("t-single-delete"))
        .await
        .unwrap();
    wait_active(&client, "vpn-a").await;
    assert!(
        client
            .describe_vpn_connections(&all)
            .await
            .unwrap()
            .is_empty()
    );

    // DryRun went to the create alone; the PSK is masked in the JSON it travelled in.
    let dry_runs: Vec<String> = wire
        .calls()
        .iter()
        .filter(|c| param(c, "DryRun") == Some("true"))
        .map(|c| c.action.clone())
        .collect();
    assert_eq!(dry_runs, ["CreateVpnConnection"]);
    for call in wire.calls() {
        let logged = format!("{:?}", call.params);
        assert!(!logged.contains("conn-psk-canary"), "{logged}");
    }
}

#[tokio::test]
async fn a_dual_tunnel_connection_sends_and_reads_each_tunnel() {
    let (_sandbox, _wire, client) = start().await;
    let master = customer_gateway(&client, "203.0.113.9", "t-master").await;
    let slave = customer_gateway(&client, "203.0.113.10", "t-slave").await;
    let tunnel = |cgw: &str, role: &str, psk: &str| TunnelSpec {
        customer_gateway: cgw.into(),
        role: role.into(),
        psk: Some(psk.into()),
        ike_config: Some(IkeConfig {
            ike_lifetime: Some(3600),
            ..Default::default()
        }),
        ..Default::default()
    };
    let id = client
        .create_vpn_connection(&CreateVpnConnection {
            region: REGION.into(),
            vpn_gateway: "vpn-a".into(),
            customer_gateway: None,
            spec: ConnectionSpec {
                local_subnet: Some(vec!["10.0.0.0/16".into()]),
                remote_subnet: Some(vec!["192.168.1.0/24".into()]),
                tunnels: vec![
                    tunnel(&master, "master", "t1-psk-canary"),
                    tunnel(&slave, "slave", "t2-psk-canary"),
                ],
                ..Default::default()
            },
            client_token: Some("t-dual".into()),
            dry_run: false,
        })
        .await
        .unwrap();
    wait_active(&client, "vpn-a").await;
    let listed = client
        .describe_vpn_connections(&DescribeVpnConnections {
            region: REGION.into(),
            id: Some(id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let tunnels: Vec<(String, String, Option<String>, Option<u32>)> = listed[0]
        .tunnels
        .iter()
        .map(|t| {
            (
                t.customer_gateway.clone(),
                t.role.clone(),
                t.psk.as_ref().map(|p| p.expose().to_owned()),
                t.ike_config.ike_lifetime,
            )
        })
        .collect();
    assert_eq!(
        tunnels,
        [
            (
                master,
                "master".into(),
                Some("t1-psk-canary".into()),
                Some(3600)
            ),
            (
                slave,
                "slave".into(),
                Some("t2-psk-canary".into()),
                Some(3600)
            ),
        ]
    );
    assert!(tunnels_have_ids(&listed[0].tunnels));
}

fn tunnels_have_ids(tunnels: &[vpnform::kinds::vpn_connection::Tunnel]) -> bool {
    tunnels.iter().all(|t| !t.id.is_empty())
}

#[tokio::test]
async fn a_gateways_name_and_description_change_in_place() {
    let (sandbox, wire, client) = start().await;
    client
        .modify_vpn_gateway(&ModifyVpnGateway {
            region: REGION.into(),
            id: "vpn-a".into(),
            name: Some("hz-main".into()),
            description: Some("Hangzhou".into()),
            auto_propagate: None,
            client_token: Some("t-gw".into()),
        })
        .await
        .unwrap();
    let gateway = sandbox.world().vpn_gateways["vpn-a"].clone();
    let shown = serde_json::to_value(&gateway).unwrap();
    assert_eq!(
        (shown["name"].as_str(), shown["description"].as_str()),
        (Some("hz-main"), Some("Hangzhou"))
    );
    let call = &wire.calls()[0];
    assert_eq!(call.action, "ModifyVpnGatewayAttribute");
    assert_eq!(param(call, "DryRun"), None);
}
