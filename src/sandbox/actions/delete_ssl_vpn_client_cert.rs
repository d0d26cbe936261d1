//! `DeleteSslVpnClientCert`: one certificate (every client of its server is
//! disconnected while the gateway configures). Asynchronous on its server's gateway's
//! lane: the gateway is `updating` for the configure time, then the certificate is
//! gone; the Describe calls still show it for the list lag.
//!
//! Checks, in order: parameters, policy (403 `Forbidden` for the certificate, its server
//! or its gateway), the ClientToken, the certificate (404
//! `InvalidSslVpnClientCertId.NotFound`), the gateway free (`VpnGateway.Configuring`,
//! `VpnTask.CONFLICT`, `VpnGateway.FinancialLocked`). No `DryRun`: one sent acts.
//! Answers `{RequestId}`.

use serde_json::{Value, json};

use super::ssl_vpn::{cert_names, find_cert};
use super::{Mutation, denied, gateway_ready, region, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("SslVpnClientCertId")?;
    let client_token = req.client_token()?;

    let world = inner.live.world();
    denied(inner, &cert_names(world, id))?;
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }

    let (_, gateway_id, gateway) = find_cert(world, id, region)?;
    gateway_ready(inner, gateway_id, gateway)?;
    let gateway_id = gateway_id.to_owned();
    let answer = json!({ "RequestId": call.request_id });
    let mutation = Mutation {
        action: "DeleteSslVpnClientCert",
        resource: id,
        vpn_gateway: &gateway_id,
        region,
        client_token,
        fingerprint,
        effect: "deleted",
    };
    mutation.on_lane(inner, call, &answer, |live, lane| {
        lane.delete(live, id, &gateway_id)
    });
    Ok(answer)
}
