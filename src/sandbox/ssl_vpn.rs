//! SSL-VPN servers and their client certificates as the sandbox's world holds them (the
//! YAML keys `ssl_vpn_servers` and `ssl_vpn_client_certs`, documented in
//! [`super::world`], which checks the rules between them and the gateways): their
//! fields and the cloud's defaults, the checks of one server, and the certificate
//! material DescribeSslVpnClientCert answers.
//!
//! The material (the CA certificate, the client certificate, its key and the OpenVPN
//! client configuration) is derived from the ids, so the same world always answers the
//! same bytes, and is never stored in a world file: it is made only for the answer that
//! carries it, as [`Secret`]s.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::attributes::cidr;
use crate::secret::Secret;

/// The prefix of an SSL-VPN server id.
pub(crate) const SSL_VPN_SERVER_PREFIX: &str = "vss-";
/// The prefix of an SSL-VPN client certificate id.
pub(crate) const SSL_VPN_CLIENT_CERT_PREFIX: &str = "vsc-";
/// The client certificates an account holds (API.md: 50).
pub(crate) const CLIENT_CERTS_PER_ACCOUNT: usize = 50;
/// The CIDR blocks a server's `LocalSubnet` lists at most.
pub(crate) const MAX_LOCAL_SUBNETS: usize = 5;
/// The ports a server may not listen on (the request model's list).
pub(crate) const FORBIDDEN_PORTS: [u32; 16] = [
    22, 2222, 22222, 9000, 9001, 9002, 7505, 80, 443, 53, 68, 123, 4510, 4560, 500, 4500,
];
/// `Proto`, the request model's default first.
pub(crate) const PROTOS: [&str; 2] = ["TCP", "UDP"];
/// `Cipher`, the default first.
pub(crate) const CIPHERS: [&str; 4] = ["AES-128-CBC", "AES-192-CBC", "AES-256-CBC", "none"];
/// A certificate's `Status`.
pub(crate) const CERT_STATUSES: [&str; 3] = ["normal", "expiring-soon", "expired"];
/// A client pool's prefix length: /16 to /29, as the request model says.
pub(crate) const CLIENT_POOL_PREFIXES: std::ops::RangeInclusive<u8> = 16..=29;
/// How long a certificate is valid: three years, in milliseconds.
pub(crate) const CERT_VALIDITY_MILLIS: u64 = 3 * 365 * 24 * 3600 * 1000;
/// The port of a server given none.
pub(crate) const DEFAULT_PORT: u32 = 1194;

/// An SSL-VPN server on a gateway's lane: one per gateway, on a gateway with SSL-VPN
/// enabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SslVpnServer {
    pub vpn_gateway: String,
    /// The block the clients' addresses come from: outside the VPC and `local_subnet`.
    pub client_ip_pool: String,
    /// Comma-separated CIDR blocks the clients reach, at most [`MAX_LOCAL_SUBNETS`].
    pub local_subnet: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `TCP` or `UDP`.
    #[serde(default = "default_proto")]
    pub proto: String,
    #[serde(default = "default_port")]
    pub port: u32,
    #[serde(default = "default_cipher")]
    pub cipher: String,
    #[serde(default)]
    pub compress: bool,
    /// Milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<u64>,
}

/// A client certificate of an SSL-VPN server: on its server's gateway's lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SslVpnClientCert {
    pub ssl_vpn_server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `normal`, `expiring-soon` or `expired`.
    #[serde(default = "default_status")]
    pub status: String,
    /// Milliseconds since the epoch; it expires three years later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<u64>,
}

fn default_proto() -> String {
    PROTOS[0].to_owned()
}
fn default_port() -> u32 {
    DEFAULT_PORT
}
fn default_cipher() -> String {
    CIPHERS[0].to_owned()
}
fn default_status() -> String {
    CERT_STATUSES[0].to_owned()
}

impl SslVpnServer {
    /// A server on `vpn_gateway` with every optional field at the cloud's default.
    pub fn new(vpn_gateway: &str, client_ip_pool: &str, local_subnet: &str) -> Self {
        SslVpnServer {
            vpn_gateway: vpn_gateway.to_owned(),
            client_ip_pool: client_ip_pool.to_owned(),
            local_subnet: local_subnet.to_owned(),
            name: None,
            proto: default_proto(),
            port: DEFAULT_PORT,
            cipher: default_cipher(),
            compress: false,
            create_time: None,
        }
    }

    /// A world file's server, checked as a create would check it: `(field, value,
    /// why)`. The checks against its gateway are the world's.
    pub(crate) fn check(&self) -> Result<(), (&'static str, String, String)> {
        check_local_subnet(&self.local_subnet)
            .map_err(|why| ("local_subnet", self.local_subnet.clone(), why))?;
        check_client_ip_pool(&self.client_ip_pool)
            .map_err(|why| ("client_ip_pool", self.client_ip_pool.clone(), why))?;
        check_port(self.port).map_err(|why| ("port", self.port.to_string(), why))?;
        for (field, value, allowed) in [
            ("proto", &self.proto, &PROTOS[..]),
            ("cipher", &self.cipher, &CIPHERS[..]),
        ] {
            if !allowed.contains(&value.as_str()) {
                return Err((
                    field,
                    value.clone(),
                    format!("not one of {}", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

impl SslVpnClientCert {
    pub fn new(ssl_vpn_server: &str) -> Self {
        SslVpnClientCert {
            ssl_vpn_server: ssl_vpn_server.to_owned(),
            name: None,
            status: default_status(),
            create_time: None,
        }
    }
}

/// `LocalSubnet`: 1 to [`MAX_LOCAL_SUBNETS`] comma-separated CIDR blocks.
pub(crate) fn check_local_subnet(list: &str) -> Result<(), String> {
    let blocks: Vec<&str> = list.split(',').collect();
    if blocks.len() > MAX_LOCAL_SUBNETS {
        return Err(format!(
            "{} CIDR blocks, and a server's local subnet lists at most {MAX_LOCAL_SUBNETS}",
            blocks.len()
        ));
    }
    blocks.into_iter().try_for_each(|b| cidr(b).map(|_| ()))
}

/// `ClientIpPool`: one CIDR block, /16 to /29.
pub(crate) fn check_client_ip_pool(pool: &str) -> Result<(), String> {
    let net = cidr(pool)?;
    if CLIENT_POOL_PREFIXES.contains(&net.prefix_len()) {
        Ok(())
    } else {
        Err(format!(
            "a client CIDR block's mask is /{} to /{}",
            CLIENT_POOL_PREFIXES.start(),
            CLIENT_POOL_PREFIXES.end()
        ))
    }
}

/// `Port`: 1 to 65535, none of [`FORBIDDEN_PORTS`].
pub(crate) fn check_port(port: u32) -> Result<(), String> {
    if !(1..=65535).contains(&port) {
        Err("a port is 1 to 65535".to_owned())
    } else if FORBIDDEN_PORTS.contains(&port) {
        let list: Vec<String> = FORBIDDEN_PORTS.iter().map(u32::to_string).collect();
        Err(format!(
            "port {port} is reserved: a server listens on none of {}",
            list.join(", ")
        ))
    } else {
        Ok(())
    }
}

/// What DescribeSslVpnClientCert answers besides the certificate's fields. Secrets all:
/// never logged, never stored.
pub(crate) struct CertMaterial {
    pub(crate) ca_cert: Secret,
    pub(crate) client_cert: Secret,
    pub(crate) client_key: Secret,
    pub(crate) client_config: Secret,
}

impl CertMaterial {
    /// The material of certificate `cert_id` of server `server_id`: the CA is the
    /// server's (every certificate of a server shares it), the certificate and key the
    /// certificate's own, the configuration points at the gateway's address.
    pub(crate) fn of(
        cert_id: &str,
        server_id: &str,
        server: &SslVpnServer,
        internet_ip: &str,
    ) -> CertMaterial {
        let compress = if server.compress { "comp-lzo\n" } else { "" };
        let config = format!(
            "client\ndev tun\nproto {}\nremote {internet_ip} {}\nresolv-retry infinite\nnobind\npersist-key\npersist-tun\nca ca.crt\ncert client.crt\nkey client.key\nremote-cert-tls server\ncipher {}\n{compress}verb 3\n# sandbox {}\n",
            server.proto.to_ascii_lowercase(),
            server.port,
            server.cipher,
            &pem_body("config", cert_id)[..16],
        );
        CertMaterial {
            ca_cert: Secret::new(pem("CERTIFICATE", &pem_body("ca", server_id))),
            client_cert: Secret::new(pem("CERTIFICATE", &pem_body("cert", cert_id))),
            client_key: Secret::new(pem("PRIVATE KEY", &pem_body("key", cert_id))),
            client_config: Secret::new(config),
        }
    }
}

/// `-----BEGIN {label}-----`, the body in lines of 64, `-----END {label}-----`.
fn pem(label: &str, body: &str) -> String {
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// 480 bytes derived from `what` and `seed`, in base64: looks like DER, is not.
fn pem_body(what: &str, seed: &str) -> String {
    let bytes: Vec<u8> = (0..15)
        .flat_map(|i| sha2::Sha256::digest(format!("sandbox-{what}:{seed}:{i}")).to_vec())
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
