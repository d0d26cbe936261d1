//! An SSL-VPN client certificate's listed form as the attributes the state records.
//! Its requests are built by the executor from the action: the server (resolved when
//! named by address) and the name.

use std::collections::BTreeMap;

use super::api::SslVpnClientCert;

/// The attributes the state records of a certificate, in the text form the plan
/// compares: every non-empty one `DescribeSslVpnClientCerts` answers. The fingerprint
/// is not among them (the listing has no material): apply records it from
/// `DescribeSslVpnClientCert` once, and a later listing keeps it.
pub(crate) fn attributes(cert: &SslVpnClientCert) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            a.insert(k.to_owned(), v);
        }
    };
    put("ssl_vpn_server", Some(cert.ssl_vpn_server.clone()));
    put("name", Some(cert.name.clone()));
    put("status", Some(cert.status.clone()));
    put("create_time", cert.create_time.map(|t| t.to_string()));
    put("end_time", cert.end_time.map(|t| t.to_string()));
    a
}
