//! `ModifySslVpnClientCert`: a certificate's `Name`, its only attribute with a modify
//! API. Synchronous, as a rename is (the certificate is not reissued), but a mutation
//! of its gateway's lane all the same: it needs the gateway free.
//!
//! Checks, in order: parameters (`MissingSslVpnClientCertId`; `InvalidName`), policy
//! (403 `Forbidden` for the certificate, its server or its gateway), the ClientToken,
//! the certificate (404 `InvalidSslVpnClientCertId.NotFound`), the gateway free
//! (`VpnGateway.Configuring`, `VpnTask.CONFLICT`, `VpnGateway.FinancialLocked`). No
//! `DryRun`: one sent acts. The answer is the modify model's: `SslVpnClientCertId`,
//! `Name`, `RequestId`.

use serde_json::{Value, json};

use super::ssl_vpn::{cert_names, find_cert};
use super::{Mutation, denied, gateway_ready, name_param, region, replay};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("SslVpnClientCertId")?;
    let name = name_param(req, "Name")?;
    let client_token = req.client_token()?;

    let world = inner.live.world();
    denied(inner, &cert_names(world, id))?;
    let fingerprint = req.fingerprint();
    if let Some(first) = replay(inner, client_token, false, &fingerprint) {
        return first;
    }

    let (current, gateway_id, gateway) = find_cert(world, id, region)?;
    gateway_ready(inner, gateway_id, gateway)?;
    let mut updated = current.clone();
    if let Some(name) = name {
        updated.name = Some(name.to_owned());
    }
    let answer = json!({
        "RequestId": call.request_id,
        "SslVpnClientCertId": id,
        "Name": updated.name.clone().unwrap_or_default(),
    });
    let gateway_id = gateway_id.to_owned();
    let mutation = Mutation {
        action: "ModifySslVpnClientCert",
        resource: id,
        vpn_gateway: &gateway_id,
        region,
        client_token,
        fingerprint,
        effect: "updated",
    };
    mutation.at_once(inner, call, &answer, |world| {
        world.ssl_vpn_client_certs.insert(id.to_owned(), updated);
    });
    Ok(answer)
}
