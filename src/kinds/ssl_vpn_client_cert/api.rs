//! The SSL-VPN client certificate's calls: `CreateSslVpnClientCert`,
//! `ModifySslVpnClientCert`, `DeleteSslVpnClientCert` (none with DryRun),
//! `DescribeSslVpnClientCerts` (the listing, no material) and
//! `DescribeSslVpnClientCert` (one certificate with its material, straight into
//! [`Secret`]s), sent through the generic [`Client`].

// ApiError is the contract type every layer matches on (as in `crate::cloud`).
#![allow(clippy::result_large_err)]

use serde::Deserialize;
use sha2::Digest as _;

use super::{DESCRIBE_ONE, KIND};
use crate::cloud::client::{DESCRIBE_PAGE, client_token, decode_body};
use crate::cloud::{ApiError, Client};
use crate::secret::Secret;

/// Which certificates to list.
#[derive(Debug, Clone, Default)]
pub struct DescribeSslVpnClientCerts {
    pub region: String,
    pub ssl_vpn_server: Option<String>,
    pub id: Option<String>,
}

/// One certificate as `DescribeSslVpnClientCerts` answers it: no material.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SslVpnClientCert {
    pub id: String,
    pub region: String,
    pub ssl_vpn_server: String,
    pub name: String,
    pub status: String,
    pub create_time: Option<u64>,
    pub end_time: Option<u64>,
}

/// What `DescribeSslVpnClientCert` answers besides the certificate's fields: secrets
/// all, whose `Debug` prints `***`.
#[derive(Debug, Clone)]
pub struct CertMaterial {
    pub cert: SslVpnClientCert,
    pub ca_cert: Secret,
    pub client_cert: Secret,
    pub client_key: Secret,
    pub client_config: Secret,
}

impl CertMaterial {
    /// The fingerprint the state keeps: `sha256:` and the hex SHA-256 of the client
    /// certificate as the cloud answers it.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.client_cert)
    }
}

/// `sha256:HEX` of `certificate`.
pub(crate) fn fingerprint(certificate: &Secret) -> String {
    let digest = sha2::Sha256::digest(certificate.expose().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribePage {
    #[serde(default)]
    ssl_vpn_client_cert_keys: CertList,
    #[serde(default)]
    total_count: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CertList {
    #[serde(default)]
    ssl_vpn_client_cert_key: Vec<RawCert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawCert {
    ssl_vpn_client_cert_id: String,
    #[serde(default)]
    ssl_vpn_server_id: String,
    #[serde(default)]
    region_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    create_time: Option<u64>,
    #[serde(default)]
    end_time: Option<u64>,
}

impl RawCert {
    fn into_cert(self, region: &str) -> SslVpnClientCert {
        SslVpnClientCert {
            id: self.ssl_vpn_client_cert_id,
            region: if self.region_id.is_empty() {
                region.to_owned()
            } else {
                self.region_id
            },
            ssl_vpn_server: self.ssl_vpn_server_id,
            name: self.name,
            status: self.status,
            create_time: self.create_time,
            end_time: self.end_time,
        }
    }
}

/// One certificate with its material, as answered: the material goes straight into
/// [`Secret`]s.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawOne {
    #[serde(flatten)]
    cert: RawCert,
    #[serde(default, deserialize_with = "crate::secret::optional")]
    ca_cert: Option<Secret>,
    #[serde(default, deserialize_with = "crate::secret::optional")]
    client_cert: Option<Secret>,
    #[serde(default, deserialize_with = "crate::secret::optional")]
    client_key: Option<Secret>,
    #[serde(default, deserialize_with = "crate::secret::optional")]
    client_config: Option<Secret>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Created {
    ssl_vpn_client_cert_id: String,
}

impl Client {
    /// `CreateSslVpnClientCert` of server `server` with `name`; returns the new id.
    pub async fn create_ssl_vpn_client_cert(
        &self,
        region: &str,
        server: &str,
        name: Option<&str>,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.create;
        let mut params = vec![
            ("RegionId".to_owned(), region.to_owned()),
            ("SslVpnServerId".to_owned(), server.to_owned()),
        ];
        if let Some(name) = name {
            params.push(("Name".to_owned(), name.to_owned()));
        }
        params.push(client_token(ACTION, token)?);
        let answer = self.call(ACTION, region, params).await?;
        let created: Created = decode_body(ACTION, &answer)?;
        Ok(created.ssl_vpn_client_cert_id)
    }

    /// `ModifySslVpnClientCert`: the name; returns the RequestId.
    pub async fn modify_ssl_vpn_client_cert(
        &self,
        region: &str,
        id: &str,
        name: &str,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.modify[0];
        let params = vec![
            ("RegionId".to_owned(), region.to_owned()),
            ("SslVpnClientCertId".to_owned(), id.to_owned()),
            ("Name".to_owned(), name.to_owned()),
            client_token(ACTION, token)?,
        ];
        let answer = self.call(ACTION, region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `DeleteSslVpnClientCert`; returns the RequestId.
    pub async fn delete_ssl_vpn_client_cert(
        &self,
        region: &str,
        id: &str,
        token: Option<&str>,
    ) -> Result<String, ApiError> {
        const ACTION: &str = KIND.calls.delete;
        let params = vec![
            ("RegionId".to_owned(), region.to_owned()),
            ("SslVpnClientCertId".to_owned(), id.to_owned()),
            client_token(ACTION, token)?,
        ];
        let answer = self.call(ACTION, region, params).await?;
        Ok(answer.request_id.unwrap_or_default())
    }

    /// `DescribeSslVpnClientCerts` with the filters given, 50 a page, sorted by id.
    pub async fn describe_ssl_vpn_client_certs(
        &self,
        req: &DescribeSslVpnClientCerts,
    ) -> Result<Vec<SslVpnClientCert>, ApiError> {
        const ACTION: &str = KIND.calls.list;
        let mut params = vec![("RegionId".to_owned(), req.region.clone())];
        for (key, value) in [
            ("SslVpnServerId", &req.ssl_vpn_server),
            ("SslVpnClientCertId", &req.id),
        ] {
            if let Some(value) = value {
                params.push((key.to_owned(), value.clone()));
            }
        }
        let region = req.region.as_str();
        let mut out = self
            .describe_pages(ACTION, region, params, DESCRIBE_PAGE, |answer| {
                let page: DescribePage = decode_body(ACTION, answer)?;
                Ok((
                    page.ssl_vpn_client_cert_keys
                        .ssl_vpn_client_cert_key
                        .into_iter()
                        .map(|c| c.into_cert(region))
                        .collect(),
                    page.total_count,
                ))
            })
            .await?;
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }

    /// `DescribeSslVpnClientCert`: one certificate with its material.
    pub async fn describe_ssl_vpn_client_cert(
        &self,
        region: &str,
        id: &str,
    ) -> Result<CertMaterial, ApiError> {
        let params = vec![
            ("RegionId".to_owned(), region.to_owned()),
            ("SslVpnClientCertId".to_owned(), id.to_owned()),
        ];
        let answer = self.call(DESCRIBE_ONE, region, params).await?;
        let one: RawOne = decode_body(DESCRIBE_ONE, &answer)?;
        let secret = |s: Option<Secret>| s.unwrap_or_else(|| Secret::new(String::new()));
        Ok(CertMaterial {
            cert: one.cert.into_cert(region),
            ca_cert: secret(one.ca_cert),
            client_cert: secret(one.client_cert),
            client_key: secret(one.client_key),
            client_config: secret(one.client_config),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_material_stays_secret_and_the_fingerprint_is_of_the_certificate() {
        let body = br#"{"RequestId":"r","SslVpnClientCertId":"vsc-1","SslVpnServerId":"vss-1","Name":"alice","Status":"normal","CaCert":"ca-canary","ClientCert":"cert-canary","ClientKey":"key-canary","ClientConfig":"config-canary"}"#;
        let one: RawOne = serde_json::from_slice(body).unwrap();
        let material = CertMaterial {
            cert: one.cert.into_cert("cn-hangzhou"),
            ca_cert: one.ca_cert.unwrap(),
            client_cert: one.client_cert.unwrap(),
            client_key: one.client_key.unwrap(),
            client_config: one.client_config.unwrap(),
        };
        assert_eq!(material.cert.ssl_vpn_server, "vss-1");
        assert_eq!(material.client_key.expose(), "key-canary");
        let shown = format!("{material:?}");
        assert!(!shown.contains("canary"), "{shown}");
        assert_eq!(
            material.fingerprint(),
            format!(
                "sha256:{}",
                sha2::Sha256::digest(b"cert-canary")
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            )
        );
    }
}
