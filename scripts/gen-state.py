#!/usr/bin/env python3
"""Generates a large workspace for timing `vpnform plan --offline`.

    scripts/gen-state.py DIR [SERVERS] [DELETES]

writes DIR/vpnform.yaml and DIR/state/vpnform.state.yaml: SERVERS recorded servers
(default 100000) over two regions, of which the desired file keeps all but DELETES
(default 10000); every tenth deleted server depends on the one before it, so the plan
has dependency chains to order.
"""
import os
import sys

def main():
    out = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    deletes = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    os.makedirs(os.path.join(out, "state"), exist_ok=True)
    step = total // deletes
    state = ["version: 1", "lineage: 00000000-0000-4000-8000-000000000000", "serial: 1",
             "resources:"]
    desired = ["version: 1", "defaults:", "  region: cn-hangzhou", "ipsec_servers:"]
    previous_deleted = None
    for i in range(total):
        region, p = ("cn-hangzhou", "bp1") if i % 2 == 0 else ("cn-shanghai", "uf6")
        name = f"s{i:06d}"
        iss = f"iss-{p}{i:018d}"
        vpn = f"vpn-{p}{i:018d}"
        state += [f"  ipsec_server.{name}:", f"    id: {iss}", f"    region: {region}",
                  f"    vpn_gateway: {vpn}"]
        deleted = i % step == 0
        if deleted and previous_deleted is not None and (i // step) % 10 != 0:
            state += ["    depends_on:", f"    - ipsec_server.{previous_deleted}"]
        state += ["    attributes:", f"      client_ip_pool: 10.{i % 250}.0.0/16",
                  f"      local_subnet: 172.16.{i % 250}.0/24", f"      name: {name}"]
        if deleted:
            previous_deleted = name
        else:
            desired += [f"  {name}:", f"    id: {iss}", f"    vpn_gateway: {vpn}",
                        f"    region: {region}"]
    state.append("pending: []")
    with open(os.path.join(out, "state", "vpnform.state.yaml"), "w") as f:
        f.write("\n".join(state) + "\n")
    with open(os.path.join(out, "vpnform.yaml"), "w") as f:
        f.write("\n".join(desired) + "\n")

main()
