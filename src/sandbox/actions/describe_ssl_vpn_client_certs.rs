//! `DescribeSslVpnClientCerts`: a page of a region's client certificates (`PageNumber`
//! from 1, `PageSize` 1-50, default 10), optionally filtered by `SslVpnServerId`,
//! `SslVpnClientCertId`, `Name` and `ResourceGroupId` (its server's gateway's), the
//! filters of the request model. Answers `{SslVpnClientCertKeys: {SslVpnClientCertKey:
//! [...]}, TotalCount, PageNumber, PageSize}`, each certificate with
//! `SslVpnClientCertId`, `SslVpnServerId`, `Name`, `RegionId`, `ResourceGroupId`,
//! `Status`, `CreateTime` and `EndTime` (three years on): no key material, which only
//! DescribeSslVpnClientCert answers. Lags as DescribeSslVpnServers.

use serde_json::Value;

use super::ssl_vpn::{cert_json, shown_certs, wanted};
use super::{Page, region};
use crate::sandbox::inner::{Call, Inner};
use crate::sandbox::wire::{ApiError, Request};

pub(super) fn run(req: &Request, inner: &mut Inner, call: &Call) -> Result<Value, ApiError> {
    let region = region(req, inner)?;
    let page = Page::parse(req)?;
    let matching: Vec<Value> = shown_certs(inner, region)
        .into_iter()
        .filter(|(id, c, _, g)| {
            wanted(req, "SslVpnServerId", &c.ssl_vpn_server)
                && wanted(req, "SslVpnClientCertId", id)
                && wanted(req, "Name", c.name.as_deref().unwrap_or_default())
                && wanted(req, "ResourceGroupId", &g.resource_group_id)
        })
        .map(|(id, c, _, g)| cert_json(id, c, g))
        .collect();
    Ok(page.answer(
        call,
        ("SslVpnClientCertKeys", "SslVpnClientCertKey"),
        matching,
    ))
}
