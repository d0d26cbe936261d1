"""Creates and updates an IPsec server through `vpnform sandbox serve` with Alibaba's
official Python SDK (alibabacloud_vpc20160428), as a user of the SDK would: the sandbox
must answer what the SDK sends (its signature, its parameter spellings, its JSON).

Usage: python3 create_update.py ENDPOINT_URL VPN_GATEWAY_ID
Prints one line per step; exits non-zero on the first surprise.
"""

import json
import sys
import time
from urllib.parse import urlparse

from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client

endpoint, gateway = sys.argv[1], sys.argv[2]
url = urlparse(endpoint)
config = open_api_models.Config(
    access_key_id="sandbox",
    access_key_secret="sandbox-secret",
    endpoint=url.netloc,
    protocol=url.scheme,
    region_id="cn-hangzhou",
    # The SDK signs with ACS3-HMAC-SHA256 by default; "v2" selects its RPC path, signed
    # with HMAC-SHA1 signature v1, which is the scheme the sandbox verifies (API.md).
    signature_algorithm="v2",
)
client = Client(config)


def wait_active():
    for _ in range(200):
        status = client.describe_vpn_gateway(
            vpc_models.DescribeVpnGatewayRequest(region_id="cn-hangzhou", vpn_gateway_id=gateway)
        ).body.status
        if status == "active":
            return
        time.sleep(0.05)
    sys.exit("gateway stays busy")


def listed():
    body = client.list_ipsec_servers(
        vpc_models.ListIpsecServersRequest(region_id="cn-hangzhou", vpn_gateway_id=gateway)
    ).body
    return body.ipsec_servers


try:
    client.create_ipsec_server(
        vpc_models.CreateIpsecServerRequest(
            region_id="cn-hangzhou",
            vpn_gateway_id=gateway,
            local_subnet="10.0.0.0/24,10.0.1.0/24",
            client_ip_pool="10.8.0.0/16",
            ip_sec_server_name="sdk-office",
            dry_run=True,
        )
    )
    sys.exit("a DryRun create succeeded")
except Exception as e:  # the SDK raises TeaException for every error answer
    code = getattr(e, "code", None)
    if code != "DryRunOperation":
        raise
    print("dry run: DryRunOperation")

created = client.create_ipsec_server(
    vpc_models.CreateIpsecServerRequest(
        region_id="cn-hangzhou",
        vpn_gateway_id=gateway,
        local_subnet="10.0.0.0/24,10.0.1.0/24",
        client_ip_pool="10.8.0.0/16",
        ip_sec_server_name="sdk-office",
        psk_enabled=True,
        psk="sdk-psk-value",
        ike_config=json.dumps({"IkeVersion": "ikev2", "IkeLifetime": 3600}),
        ipsec_config=json.dumps({"IpsecPfs": "group5"}),
        client_token="sdk-create-1",
    )
).body
print("created:", created.ipsec_server_id.startswith("iss-"))
wait_active()
server = listed()[0]
print(
    "listed:",
    server.ipsec_server_name,
    server.local_subnet,
    server.client_ip_pool,
    server.ike_config.ike_lifetime,
    server.ipsec_config.ipsec_pfs,
)

client.update_ipsec_server(
    vpc_models.UpdateIpsecServerRequest(
        region_id="cn-hangzhou",
        ipsec_server_id=created.ipsec_server_id,
        client_ip_pool="10.9.0.0/16",
        ipsec_server_name="sdk-renamed",
        client_token="sdk-update-1",
    )
)
wait_active()
server = listed()[0]
print("updated:", server.ipsec_server_name, server.client_ip_pool)
