//! `ModifySslVpnServer`: a server's fields in place (`Name`, `ClientIpPool`,
//! `LocalSubnet`, `Proto`, `Port`, `Cipher`, `Compress`); the fields not given keep
//! their values. Asynchronous on the gateway's lane, like UpdateIpsecServer (the new
//! values described once the gateway is `active` again and the list lag is over),
//! except that a change of nothing but the name is synchronous.
//!
//! Checks, in order: parameters (`MissingSslVpnServerId`, then
//! [`ServerSettings::parse`]'s), policy (403 `Forbidden` for the server or its gateway),
//! the ClientToken, the server (404 `InvalidSslVpnServerId.NotFound`), the gateway
//! (locked, busy), the client pool against the VPC and the local subnets as they would
//! be, then `DryRun` (the API has it here). The answer is the modify model's: the
//! server as it will be (the fields of DescribeSslVpnServers, less `DnsServers` and
//! `IDaaSRegionId`) and `RequestId`.

use serde_json::Value;

use super::settings::check_client_pool;
use super::ssl_vpn::{ServerSettings, find_server, server_json, server_names};
use super::{Mutation, denied, dry_run_passed, gateway_ready, region, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("SslVpnServerId")?;
    let settings = ServerSettings::parse(req)?;
    let client_token = req.client_token()?;
    let dry_run = req.bool("DryRun")?;

    let world = inner.live.world();
    denied(inner, &server_names(world, id))?;
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, dry_run, &fingerprint) {
        return first;
    }

    let (current, gateway) = find_server(world, id, region)?;
    let gateway_id = current.vpn_gateway.clone();
    gateway_ready(inner, &gateway_id, gateway)?;
    let mut updated = current.clone();
    settings.apply(&mut updated);
    check_client_pool(
        Some(&updated.client_ip_pool),
        &updated.local_subnet,
        gateway,
    )?;
    if dry_run {
        return Err(dry_run_passed());
    }

    let name_only = {
        let mut renamed = current.clone();
        renamed.name = updated.name.clone();
        renamed == updated
    };
    let mut answer = server_json(id, &updated, gateway);
    answer["RequestId"] = call.request_id.clone().into();
    let mutation = Mutation {
        action: "ModifySslVpnServer",
        resource: id,
        vpn_gateway: &gateway_id,
        region,
        client_token,
        fingerprint,
        effect: "updated",
    };
    if name_only {
        mutation.at_once(inner, call, &answer, |world| {
            world.ssl_vpn_servers.insert(id.to_owned(), updated);
        });
    } else {
        mutation.on_lane(inner, call, &answer, |live, lane| {
            lane.change(live, id, &gateway_id, updated)
        });
    }
    Ok(answer)
}
