"""Drives the VPN-gateway family through `vpnform sandbox serve` with Alibaba's official
Python SDK (alibabacloud_vpc20160428), as a user of the SDK would: customer gateways,
IPsec-VPN connections (single tunnel, and dual tunnel with its tunnel options sent as
a form body) and a gateway's attributes. The sandbox must answer what the SDK sends (its
signature, its parameter spellings and flattening, its JSON) and the SDK's own models
must read the answers: the documented codes, a connection listed while its gateway
configures, the PSKs and the BGP key in clear text where Describe answers them, a
replayed ClientToken, and DryRun on CreateVpnConnection only.

Usage: python3 family.py ENDPOINT_URL VPN_GATEWAY_ID SERVER_GATEWAY_ID BACKUP_CUSTOMER_GATEWAY_ID
(SERVER_GATEWAY_ID holds an IPsec server; BACKUP_CUSTOMER_GATEWAY_ID is unused.)
Prints one line per step; exits non-zero on the first surprise.
"""

import json
import sys
import time
from urllib.parse import urlparse

from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_vpc20160428 import models as m
from alibabacloud_vpc20160428.client import Client

endpoint, gateway, server_gateway, backup = sys.argv[1:5]
REGION = "cn-hangzhou"
url = urlparse(endpoint)
client = Client(
    open_api_models.Config(
        access_key_id="sandbox",
        access_key_secret="sandbox-secret",
        endpoint=url.netloc,
        protocol=url.scheme,
        region_id=REGION,
        # "v2" selects the SDK's RPC path signed with HMAC-SHA1 signature v1, the scheme
        # the sandbox verifies (API.md).
        signature_algorithm="v2",
    )
)


def wait_active(on=gateway):
    for _ in range(200):
        status = client.describe_vpn_gateway(
            m.DescribeVpnGatewayRequest(region_id=REGION, vpn_gateway_id=on)
        ).body.status
        if status == "active":
            return
        time.sleep(0.05)
    sys.exit("gateway stays busy")


def refused(call):
    """The code of the error answer `call` gets (the SDK raises for every one)."""
    try:
        call()
    except Exception as e:  # the SDK raises TeaException for every error answer
        return getattr(e, "code", repr(e))
    sys.exit("no error answer")


def describe(connection):
    return client.describe_vpn_connection(
        m.DescribeVpnConnectionRequest(region_id=REGION, vpn_connection_id=connection)
    ).body


def single_tunnel(**extra):
    fields = dict(
        region_id=REGION,
        vpn_gateway_id=gateway,
        customer_gateway_id=branch,
        local_subnet="10.0.0.0/16",
        remote_subnet="192.168.0.0/24",
        name="branch",
        ike_config=json.dumps({"IkeVersion": "ikev2", "IkeLifetime": 3600, "Psk": "sdk-psk-value"}),
    )
    fields.update(extra)
    return m.CreateVpnConnectionRequest(**fields)


# Customer gateways: synchronous.
created = client.create_customer_gateway(
    m.CreateCustomerGatewayRequest(
        region_id=REGION,
        ip_address="203.0.113.7",
        asn="65001",
        auth_key="sdk-bgp-key",
        name="branch",
        description="the branch office",
    )
).body
branch = created.customer_gateway_id
described = client.describe_customer_gateway(
    m.DescribeCustomerGatewayRequest(region_id=REGION, customer_gateway_id=branch)
).body
print(
    "customer gateway:",
    branch.startswith("cgw-"),
    created.ip_address,
    created.name,
    described.asn,
)
print(
    "duplicate ip:",
    refused(
        lambda: client.create_customer_gateway(
            m.CreateCustomerGatewayRequest(region_id=REGION, ip_address="203.0.113.7")
        )
    ),
)
print("described customer gateway:", described.name, described.description, described.auth_key)
modified = client.modify_customer_gateway_attribute(
    m.ModifyCustomerGatewayAttributeRequest(
        region_id=REGION, customer_gateway_id=branch, name="renamed", description="moved"
    )
).body
print("modified customer gateway:", modified.name, modified.description)

# A single-tunnel connection, on the gateway's lane.
print("dry run:", refused(lambda: client.create_vpn_connection(single_tunnel(dry_run=True))))
print(
    "server on the gateway:",
    refused(lambda: client.create_vpn_connection(single_tunnel(vpn_gateway_id=server_gateway))),
)
print(
    "malformed remote subnet:",
    refused(lambda: client.create_vpn_connection(single_tunnel(remote_subnet="192.168.0.0/24,"))),
)
first = client.create_vpn_connection(single_tunnel(client_token="sdk-vco-1")).body
connection = first.vpn_connection_id
print("created:", connection.startswith("vco-"))
listed = client.describe_vpn_connections(
    m.DescribeVpnConnectionsRequest(region_id=REGION, vpn_gateway_id=gateway)
).body.vpn_connections.vpn_connection
print("listed while configuring:", [c.vpn_connection_id for c in listed] == [connection])
print(
    "modify while configuring:",
    refused(
        lambda: client.modify_vpn_connection_attribute(
            m.ModifyVpnConnectionAttributeRequest(
                region_id=REGION, vpn_connection_id=connection, name="too-soon"
            )
        )
    ),
)
wait_active()
body = describe(connection)
print(
    "described:",
    body.name,
    body.local_subnet,
    body.remote_subnet,
    body.ike_config.ike_version,
    body.ike_config.ike_lifetime,
    body.ike_config.psk,
    body.status,
)
answer = client.modify_vpn_connection_attribute(
    m.ModifyVpnConnectionAttributeRequest(
        region_id=REGION,
        vpn_connection_id=connection,
        name="renamed",
        remote_subnet="192.168.0.0/24,192.168.1.0/24",
        ike_config=json.dumps({"IkePfs": "group14", "Psk": "sdk-psk-rotated"}),
    )
).body
print(
    "modified:",
    answer.name,
    answer.remote_subnet,
    answer.ike_config.ike_pfs,
    answer.ike_config.psk,
)
wait_active()
again = client.create_vpn_connection(single_tunnel(client_token="sdk-vco-1")).body
print(
    "replayed create:",
    again.vpn_connection_id == connection,
    again.request_id == first.request_id,
)
print(
    "in use:",
    refused(
        lambda: client.delete_customer_gateway(
            m.DeleteCustomerGatewayRequest(region_id=REGION, customer_gateway_id=branch)
        )
    ),
)

# A dual-tunnel connection: its tunnel options go in the form body.
other = client.create_customer_gateway(
    m.CreateCustomerGatewayRequest(region_id=REGION, ip_address="203.0.113.8")
).body.customer_gateway_id
Tunnel = m.CreateVpnConnectionRequestTunnelOptionsSpecification
dual = client.create_vpn_connection(
    m.CreateVpnConnectionRequest(
        region_id=REGION,
        vpn_gateway_id=gateway,
        local_subnet="10.0.0.0/16",
        remote_subnet="192.168.1.0/24",
        tunnel_options_specification=[
            Tunnel(
                customer_gateway_id=backup,
                role="master",
                enable_dpd=True,
                tunnel_ike_config=m.CreateVpnConnectionRequestTunnelOptionsSpecificationTunnelIkeConfig(
                    psk="sdk-tunnel-psk", ike_version="ikev2"
                ),
            ),
            Tunnel(customer_gateway_id=other, role="slave"),
        ],
    )
).body.vpn_connection_id
wait_active()
tunnels = describe(dual).tunnel_options_specification.tunnel_options
print(
    "dual tunnel:",
    dual.startswith("vco-"),
    tunnels[0].role,
    tunnels[1].role,
    tunnels[0].tunnel_ike_config.psk,
    len(tunnels[1].tunnel_ike_config.psk),
)
client.modify_vpn_connection_attribute(
    m.ModifyVpnConnectionAttributeRequest(
        region_id=REGION,
        vpn_connection_id=dual,
        tunnel_options_specification=[
            m.ModifyVpnConnectionAttributeRequestTunnelOptionsSpecification(
                tunnel_id=tunnels[0].tunnel_id,
                tunnel_ike_config=m.ModifyVpnConnectionAttributeRequestTunnelOptionsSpecificationTunnelIkeConfig(
                    psk="sdk-tunnel-rotated"
                ),
            )
        ],
    )
)
wait_active()
tunnels = describe(dual).tunnel_options_specification.tunnel_options
print("dual modified:", tunnels[0].tunnel_ike_config.psk)

# The gateway's own attributes.
client.modify_vpn_gateway_attribute(
    m.ModifyVpnGatewayAttributeRequest(
        region_id=REGION,
        vpn_gateway_id=gateway,
        name="hz-main",
        description="main office",
        auto_propagate=True,
    )
)
wait_active()
described = client.describe_vpn_gateway(
    m.DescribeVpnGatewayRequest(region_id=REGION, vpn_gateway_id=gateway)
).body
print("gateway:", described.name, described.description, described.auto_propagate)

# Deletes, one at a time on the gateway's lane.
codes = []
for doomed in [connection, dual]:
    client.delete_vpn_connection(
        m.DeleteVpnConnectionRequest(region_id=REGION, vpn_connection_id=doomed)
    )
    wait_active()
    codes.append(refused(lambda: describe(doomed)))
print("deleted:", *codes)
client.delete_customer_gateway(
    m.DeleteCustomerGatewayRequest(region_id=REGION, customer_gateway_id=branch)
)
print(
    "customer gateway deleted:",
    refused(
        lambda: client.describe_customer_gateway(
            m.DescribeCustomerGatewayRequest(region_id=REGION, customer_gateway_id=branch)
        )
    ),
)
