"""Creates and updates an IPsec server through `vpnform sandbox serve` with Alibaba's
official Python SDK (alibabacloud_vpc20160428), as a user of the SDK would: the sandbox
must answer what the SDK sends (its signature, its parameter spellings, its JSON).

It also checks the answers against the SDK's own models (alibabacloud_vpc20160428
7.2.2): the documented error codes (VpnGateway.SslVpnDisabled, IllegalParam.LocalSubnet),
an UpdateIpsecServer answer that is `{RequestId}` only, a replayed ClientToken answered
with the first RequestId, a server listed while its create configures, the
ResourceGroupId and IpsecServerId.N filters, LocalId defaulting to the gateway's IP, a
generated PSK of 16 characters, and DescribeVpnGateway's fields and charge type.

Usage: python3 create_update.py ENDPOINT_URL VPN_GATEWAY_ID SECOND_GATEWAY_ID NO_SSL_GATEWAY_ID
Prints one line per step; exits non-zero on the first surprise.
"""

import json
import sys
import time
from urllib.parse import urlparse

from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi import utils_models as open_api_util_models
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client
from darabonba.runtime import RuntimeOptions

endpoint, gateway, second, no_ssl = sys.argv[1:5]
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


def wait_active(on=gateway):
    for _ in range(200):
        status = client.describe_vpn_gateway(
            vpc_models.DescribeVpnGatewayRequest(region_id="cn-hangzhou", vpn_gateway_id=on)
        ).body.status
        if status == "active":
            return
        time.sleep(0.05)
    sys.exit("gateway stays busy")


def listed(on=gateway):
    body = client.list_ipsec_servers(
        vpc_models.ListIpsecServersRequest(region_id="cn-hangzhou", vpn_gateway_id=on)
    ).body
    return body.ipsec_servers


def refused(call):
    """The code of the error answer `call` gets (the SDK raises for every one)."""
    try:
        call()
    except Exception as e:
        return getattr(e, "code", repr(e))
    sys.exit("no error answer")


def raw_update(**query):
    """UpdateIpsecServer as the SDK sends it, returning the answer's raw JSON body: the
    response model would drop any field it does not know."""
    query["RegionId"] = "cn-hangzhou"
    params = open_api_util_models.Params(
        action="UpdateIpsecServer",
        version="2016-04-28",
        protocol=url.scheme.upper(),
        pathname="/",
        method="POST",
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type="json",
    )
    request = open_api_util_models.OpenApiRequest(query=Utils.query(query))
    return client.call_api(params, request, RuntimeOptions())


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

print(
    "no ssl-vpn:",
    refused(
        lambda: client.create_ipsec_server(
            vpc_models.CreateIpsecServerRequest(
                region_id="cn-hangzhou",
                vpn_gateway_id=no_ssl,
                local_subnet="10.0.0.0/24",
                client_ip_pool="10.8.0.0/16",
                psk_enabled=True,
            )
        )
    ),
)
print(
    "malformed local subnet:",
    refused(
        lambda: client.create_ipsec_server(
            vpc_models.CreateIpsecServerRequest(
                region_id="cn-hangzhou",
                vpn_gateway_id=gateway,
                local_subnet="10.0.0.0/24,",
                client_ip_pool="10.8.0.0/16",
                psk_enabled=True,
            )
        )
    ),
)

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
print("listed while configuring:", [s.ipsec_server_id for s in listed()] == [created.ipsec_server_id])
print(
    "update while configuring:",
    refused(
        lambda: client.update_ipsec_server(
            vpc_models.UpdateIpsecServerRequest(
                region_id="cn-hangzhou",
                ipsec_server_id=created.ipsec_server_id,
                ipsec_server_name="too-soon",
            )
        )
    ),
)
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

print(
    "listed fields:",
    server.resource_group_id,
    server.ike_config.local_id == server.internet_ip,
)

update = dict(
    IpsecServerId=created.ipsec_server_id,
    ClientIpPool="10.9.0.0/16",
    IpsecServerName="sdk-renamed",
    ClientToken="sdk-update-1",
)
first = raw_update(**update)
print("update answer:", sorted(first["body"]))
again = raw_update(**update)
print(
    "replayed update:",
    again["body"]["RequestId"] == first["body"]["RequestId"],
    again["headers"]["x-acs-request-id"] == first["body"]["RequestId"],
)
wait_active()
server = listed()[0]
print("updated:", server.ipsec_server_name, server.client_ip_pool)

# A create without a PSK: the cloud generates one of 16 characters.
other = client.create_ipsec_server(
    vpc_models.CreateIpsecServerRequest(
        region_id="cn-hangzhou",
        vpn_gateway_id=second,
        local_subnet="10.1.0.0/24",
        client_ip_pool="10.7.0.0/16",
        psk_enabled=True,
    )
).body
wait_active(second)
print("generated psk length:", len(listed(second)[0].psk))
by_id = client.list_ipsec_servers(
    vpc_models.ListIpsecServersRequest(
        region_id="cn-hangzhou", ipsec_server_id=[other.ipsec_server_id]
    )
).body.ipsec_servers
print("listed by id:", [s.ipsec_server_id for s in by_id] == [other.ipsec_server_id])
by_group = client.list_ipsec_servers(
    vpc_models.ListIpsecServersRequest(region_id="cn-hangzhou", resource_group_id="rg-sdk")
).body.ipsec_servers
print("listed by resource group:", [s.ipsec_server_id for s in by_group] == [other.ipsec_server_id])

described = client.describe_vpn_gateway(
    vpc_models.DescribeVpnGatewayRequest(region_id="cn-hangzhou", vpn_gateway_id=second)
).body
print(
    "gateway:",
    described.charge_type,
    described.resource_group_id,
    described.gateway_type,
    described.network_type,
    described.vpn_type,
)
by_vpc = client.describe_vpn_gateways(
    vpc_models.DescribeVpnGatewaysRequest(region_id="cn-hangzhou", vpc_id=described.vpc_id)
).body.vpn_gateways.vpn_gateway
print("gateways by vpc:", [g.vpn_gateway_id for g in by_vpc] == [second])
