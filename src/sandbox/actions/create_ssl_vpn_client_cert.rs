//! `CreateSslVpnClientCert`: a client certificate of an SSL-VPN server
//! (`SslVpnServerId`; `Name`). Asynchronous on the server's gateway's lane: the
//! certificate exists from the answer on (listed after the list lag), the gateway is
//! `updating` for the configure time. Its material (DescribeSslVpnClientCert) derives
//! from its id and its server's.
//!
//! Checks, in order: parameters (`MissingSslVpnServerId`; `InvalidName`), policy (403
//! `Forbidden` for the server or its gateway), the ClientToken (a repeat with the same
//! parameters gets the first answer, the same id, and no second certificate), the
//! server (404 `InvalidSslVpnServerId.NotFound`), its gateway free
//! (`VpnGateway.Configuring` also while the server's own create configures,
//! `VpnTask.CONFLICT`, `VpnGateway.FinancialLocked`), 50 certificates in the account,
//! every server's counted (400 `Resource.QuotaFull`, the quota code this call
//! documents). No `DryRun`: the API has none here, so a `DryRun=true` acts. The answer
//! is the create model's: `SslVpnClientCertId`, `Name`, `RequestId`.

use serde_json::{Value, json};

use super::ssl_vpn::{find_server, server_names};
use super::{Mutation, denied, gateway_ready, name_param, now_millis, region, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::ssl_vpn::{SSL_VPN_CLIENT_CERT_PREFIX, SslVpnClientCert};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let server_id = req.required("SslVpnServerId")?;
    let name = name_param(req, "Name")?;
    let client_token = req.client_token()?;

    let world = inner.live.world();
    denied(inner, &server_names(world, server_id))?;
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }

    let (server, gateway) = find_server(world, server_id, region)?;
    let gateway_id = server.vpn_gateway.clone();
    gateway_ready(inner, &gateway_id, gateway)?;
    let count = world.ssl_vpn_client_certs.len();
    let quota = inner.config.client_cert_quota;
    if count >= quota {
        return Err(ApiError::new(
            400,
            "Resource.QuotaFull",
            format!(
                "The quota of resource is full: the account holds {count} SSL-VPN client certificates, its quota of {quota}."
            ),
        ));
    }

    let id = inner.live.next_id(
        SSL_VPN_CLIENT_CERT_PREFIX,
        &format!("sandbox-ssl-vpn-client-cert:{server_id}"),
    );
    let cert = SslVpnClientCert {
        name: name.map(str::to_owned),
        create_time: Some(now_millis()),
        ..SslVpnClientCert::new(server_id)
    };
    let answer = json!({
        "RequestId": call.request_id,
        "SslVpnClientCertId": id,
        "Name": name.unwrap_or_default(),
    });
    let mutation = Mutation {
        action: "CreateSslVpnClientCert",
        resource: &id,
        vpn_gateway: &gateway_id,
        region,
        client_token,
        fingerprint,
        effect: "created",
    };
    mutation.on_lane(inner, call, &answer, |live, lane| {
        lane.create(live, &id, &gateway_id, cert)
    });
    Ok(answer)
}
