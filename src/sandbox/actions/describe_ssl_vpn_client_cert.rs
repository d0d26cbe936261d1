//! `DescribeSslVpnClientCert`: one certificate by `SslVpnClientCertId` (404
//! `InvalidSslVpnClientCertId.NotFound`, also for one in another region), with the
//! fields of DescribeSslVpnClientCerts and its material: `CaCert` (its server's CA,
//! shared by the server's certificates), `ClientCert`, `ClientKey` and `ClientConfig`
//! (an OpenVPN client configuration for the gateway's address, port, protocol and
//! cipher). The material is fake, PEM-shaped and derived from the ids, so it is the
//! same on every call; it is a secret all the same: the sandbox never logs or records
//! it, and the client must never store or print it. Reads what the list reads, lags
//! included.

use serde_json::Value;

use super::ssl_vpn::{cert_json, cert_not_found, shown_certs};
use super::{denied, region};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::ssl_vpn::CertMaterial;
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let id = req.required("SslVpnClientCertId")?;
    let found = shown_certs(inner, region)
        .into_iter()
        .find(|(cert, ..)| cert.as_str() == id);
    let (_, cert, server, gateway) = found.ok_or_else(|| cert_not_found(id))?;
    denied(inner, &[id, &cert.ssl_vpn_server, &server.vpn_gateway])?;
    let material = CertMaterial::of(id, &cert.ssl_vpn_server, server, &gateway.internet_ip());
    let mut answer = cert_json(id, cert, gateway);
    answer["CaCert"] = material.ca_cert.expose().into();
    answer["ClientCert"] = material.client_cert.expose().into();
    answer["ClientKey"] = material.client_key.expose().into();
    answer["ClientConfig"] = material.client_config.expose().into();
    answer["RequestId"] = call.request_id.clone().into();
    Ok(answer)
}
