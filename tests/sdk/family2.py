"""Drives the VPN-gateway family, part 2, through `vpnform sandbox serve` with Alibaba's
official Python SDK (alibabacloud_vpc20160428), as a user of the SDK would: destination
and policy-based routes, an SSL-VPN server with a client certificate whose material it
describes, and a gateway's own create and delete. The sandbox must answer what the SDK
sends (its signature, its parameter spellings) and the SDK's own models must read the
answers: the documented codes, DryRun on the calls that have it, a route busy while
its create configures, the certificate material (and none in the list), a gateway
going init -> active and deleting -> gone, a subscription gateway not released.

Usage: python3 family2.py ENDPOINT_URL GATEWAY_ID CONNECTION_ID SSL_GATEWAY_ID PREPAY_GATEWAY_ID
(CONNECTION_ID is an IPsec-VPN connection on GATEWAY_ID; SSL_GATEWAY_ID has SSL-VPN
enabled and the public address 47.98.9.9; PREPAY_GATEWAY_ID is a subscription.)
Prints one line per step; exits non-zero on the first surprise.
"""

import sys
import time
from urllib.parse import urlparse

from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_vpc20160428 import models as m
from alibabacloud_vpc20160428.client import Client

endpoint, gateway, connection, ssl_gateway, prepay_gateway = sys.argv[1:6]
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


def describe_gateway(on):
    return client.describe_vpn_gateway(
        m.DescribeVpnGatewayRequest(region_id=REGION, vpn_gateway_id=on)
    ).body


def wait_active(on=gateway):
    for _ in range(300):
        if describe_gateway(on).status == "active":
            return
        time.sleep(0.05)
    sys.exit(f"{on} stays busy")


def refused(call):
    """The code of the error answer `call` gets (the SDK raises for every one)."""
    try:
        call()
    except Exception as e:  # the SDK raises TeaException for every error answer
        return getattr(e, "code", repr(e))
    sys.exit("no error answer")


def route_entries():
    return client.describe_vpn_route_entries(
        m.DescribeVpnRouteEntriesRequest(region_id=REGION, vpn_gateway_id=gateway)
    ).body


def pbr_entries():
    return client.describe_vpn_pbr_route_entries(
        m.DescribeVpnPbrRouteEntriesRequest(region_id=REGION, vpn_gateway_id=gateway)
    ).body


def new_route(**extra):
    fields = dict(
        region_id=REGION,
        vpn_gateway_id=gateway,
        route_dest="192.168.10.0/24",
        next_hop=connection,
        weight=100,
        publish_vpc=True,
    )
    fields.update(extra)
    return m.CreateVpnRouteEntryRequest(**fields)


# A destination route, on the gateway's lane.
print("route dry run:", refused(lambda: client.create_vpn_route_entry(new_route(dry_run=True))))
created = client.create_vpn_route_entry(new_route(client_token="sdk-route-1")).body
print(
    "route:",
    created.vpn_instance_id,
    created.route_dest,
    created.next_hop,
    created.weight,
    created.state,
)
tuple_ = dict(region_id=REGION, vpn_gateway_id=gateway, route_dest="192.168.10.0/24", next_hop=connection)
print(
    "route while configuring:",
    refused(
        lambda: client.modify_vpn_route_entry_weight(
            m.ModifyVpnRouteEntryWeightRequest(weight=100, new_weight=0, **tuple_)
        )
    ),
)
wait_active()
body = route_entries()
entry = body.vpn_route_entries.vpn_route_entry[0]
print("listed route:", body.total_count, entry.route_entry_type, entry.state)
client.modify_vpn_route_entry_weight(
    m.ModifyVpnRouteEntryWeightRequest(weight=100, new_weight=0, **tuple_)
)
wait_active()
print("reweighted:", route_entries().vpn_route_entries.vpn_route_entry[0].weight)
client.publish_vpn_route_entry(
    m.PublishVpnRouteEntryRequest(route_type="dbr", publish_vpc=False, **tuple_)
)
wait_active()
print("withdrawn:", route_entries().vpn_route_entries.vpn_route_entry[0].state)

# A policy-based route.
pbr_tuple = dict(
    region_id=REGION,
    vpn_gateway_id=gateway,
    route_source="10.0.0.0/16",
    route_dest="192.168.20.0/24",
    next_hop=connection,
)
client.create_vpn_pbr_route_entry(
    m.CreateVpnPbrRouteEntryRequest(weight=0, publish_vpc=False, priority=20, **pbr_tuple)
)
wait_active()
pbr = pbr_entries().vpn_pbr_route_entries.vpn_pbr_route_entry[0]
print("policy route:", pbr.route_source, pbr.route_dest, pbr.priority, pbr.state)

# Routes go first; a delete gives the weight (and priority) back.
client.delete_vpn_route_entry(m.DeleteVpnRouteEntryRequest(weight=0, **tuple_))
wait_active()
client.delete_vpn_pbr_route_entry(
    m.DeleteVpnPbrRouteEntryRequest(weight=0, priority=20, **pbr_tuple)
)
wait_active()
print("route deleted:", route_entries().total_count, pbr_entries().total_count)


# An SSL-VPN server and a client certificate, on the SSL gateway's lane.
def new_server(**extra):
    fields = dict(
        region_id=REGION,
        vpn_gateway_id=ssl_gateway,
        client_ip_pool="10.40.0.0/16",
        local_subnet="10.0.0.0/16",
        name="staff",
        proto="UDP",
        port=1195,
        cipher="AES-256-CBC",
        compress=True,
    )
    fields.update(extra)
    return m.CreateSslVpnServerRequest(**fields)


print("ssl server dry run:", refused(lambda: client.create_ssl_vpn_server(new_server(dry_run=True))))
print("forbidden port:", refused(lambda: client.create_ssl_vpn_server(new_server(port=443))))
server = client.create_ssl_vpn_server(new_server()).body.ssl_vpn_server_id
wait_active(ssl_gateway)
listed = client.describe_ssl_vpn_servers(
    m.DescribeSslVpnServersRequest(region_id=REGION, vpn_gateway_id=ssl_gateway)
).body.ssl_vpn_servers.ssl_vpn_server[0]
print(
    "ssl server:",
    server.startswith("vss-"),
    listed.name,
    listed.client_ip_pool,
    listed.proto,
    listed.port,
    listed.cipher,
    listed.compress,
)
modified = client.modify_ssl_vpn_server(
    m.ModifySslVpnServerRequest(region_id=REGION, ssl_vpn_server_id=server, port=1196, proto="TCP")
).body
print("modified ssl server:", modified.port, modified.proto)
wait_active(ssl_gateway)
cert = client.create_ssl_vpn_client_cert(
    m.CreateSslVpnClientCertRequest(region_id=REGION, ssl_vpn_server_id=server, name="alice")
).body
wait_active(ssl_gateway)
print("certificate:", cert.ssl_vpn_client_cert_id.startswith("vsc-"), cert.name)
keys = client.describe_ssl_vpn_client_certs(
    m.DescribeSslVpnClientCertsRequest(region_id=REGION, ssl_vpn_server_id=server)
).body
key = keys.ssl_vpn_client_cert_keys.ssl_vpn_client_cert_key[0]
print("listed certificate:", key.name, key.status, "BEGIN" in str(keys.to_map()))
material = client.describe_ssl_vpn_client_cert(
    m.DescribeSslVpnClientCertRequest(region_id=REGION, ssl_vpn_client_cert_id=cert.ssl_vpn_client_cert_id)
).body
print(
    "material:",
    material.ca_cert.startswith("-----BEGIN CERTIFICATE-----"),
    material.client_cert.startswith("-----BEGIN CERTIFICATE-----"),
    material.client_key.startswith("-----BEGIN PRIVATE KEY-----"),
    "remote 47.98.9.9 1196" in material.client_config,
)
renamed = client.modify_ssl_vpn_client_cert(
    m.ModifySslVpnClientCertRequest(
        region_id=REGION, ssl_vpn_client_cert_id=cert.ssl_vpn_client_cert_id, name="alice-laptop"
    )
).body
print("renamed certificate:", renamed.name)
# Deleting the server deletes its certificates.
client.delete_ssl_vpn_server(m.DeleteSslVpnServerRequest(region_id=REGION, ssl_vpn_server_id=server))
wait_active(ssl_gateway)
servers = client.describe_ssl_vpn_servers(
    m.DescribeSslVpnServersRequest(region_id=REGION, vpn_gateway_id=ssl_gateway)
).body
print(
    "ssl server deleted:",
    servers.total_count,
    refused(
        lambda: client.describe_ssl_vpn_client_cert(
            m.DescribeSslVpnClientCertRequest(
                region_id=REGION, ssl_vpn_client_cert_id=cert.ssl_vpn_client_cert_id
            )
        )
    ),
)

# A gateway of its own: created, then deleted.
new_gateway = client.create_vpn_gateway(
    m.CreateVpnGatewayRequest(
        region_id=REGION,
        vpc_id="vpc-bp1sdknew",
        bandwidth=10,
        instance_charge_type="POSTPAY",
        v_switch_id="vsw-bp1sdk",
        name="sdk-gw",
        auto_pay=True,
        client_token="sdk-gw-1",
    )
).body.vpn_gateway_id
print("gateway:", new_gateway.startswith("vpn-"), describe_gateway(new_gateway).status)
wait_active(new_gateway)
described = describe_gateway(new_gateway)
print(
    "gateway active:",
    described.charge_type,
    described.spec,
    described.ipsec_vpn,
    described.ssl_vpn,
    described.ssl_max_connections,
    described.v_switch_id,
)
print(
    "prepay delete:",
    refused(
        lambda: client.delete_vpn_gateway(
            m.DeleteVpnGatewayRequest(region_id=REGION, vpn_gateway_id=prepay_gateway)
        )
    ),
)
client.delete_vpn_gateway(m.DeleteVpnGatewayRequest(region_id=REGION, vpn_gateway_id=new_gateway))
print("gateway deleting:", describe_gateway(new_gateway).status)
code = None
for _ in range(200):
    try:
        describe_gateway(new_gateway)
    except Exception as e:
        code = getattr(e, "code", repr(e))
        break
    time.sleep(0.05)
print("gateway deleted:", code)
