//! The SSL-VPN client certificate (`ssl_vpn_client_cert`, `vsc-` ids): a certificate
//! an SSL-VPN server issues to one client, configured on its server's gateway's lane.
//! Only its name changes in place (`ModifySslVpnClientCert`); another server replaces
//! it. None of its calls takes DryRun. Deleting its server deletes it (rule 6), and
//! deleting or replacing any certificate disconnects every client of its server.
//!
//! Its material (the CA, the certificate, its key and the client configuration that
//! `DescribeSslVpnClientCert` answers) is never stored, printed or logged: the state
//! keeps a `fingerprint` (SHA-256 of the client certificate as the cloud answers it),
//! and `vpnform export` writes the files. API facts: API.md (SslVpnClientCert).

pub(crate) mod api;
pub(crate) mod calls;

pub use api::{CertMaterial, DescribeSslVpnClientCerts, SslVpnClientCert};

use super::{Attribute, Calls, Kind, Lane};

/// The SSL-VPN client certificate kind.
pub(crate) const KIND: Kind = Kind {
    name: "ssl_vpn_client_cert",
    desired_key: "ssl_vpn_client_certs",
    id_prefix: "vsc-",
    noun: "SSL-VPN client certificate",
    lane: Lane::ItsGateway,
    never_replaced: false,
    calls: Calls {
        list: "DescribeSslVpnClientCerts",
        create: "CreateSslVpnClientCert",
        modify: &["ModifySslVpnClientCert"],
        delete: "DeleteSslVpnClientCert",
        // None of its calls takes DryRun: the cloud ignores the parameter and acts.
        dry_run: &[],
    },
    attributes: &[
        Attribute::replacing("region"),
        // Its server's gateway: where its lane is.
        Attribute::replacing("vpn_gateway"),
        // An id, or the address of a server of the workspace (an edge).
        Attribute::reference("ssl_vpn_server"),
        Attribute::managed("name"),
        // Observed only.
        Attribute::managed("status"),
        Attribute::managed("create_time"),
        Attribute::managed("end_time"),
        // SHA-256 of the client certificate: which certificate this is, never the
        // material itself.
        Attribute::managed("fingerprint"),
    ],
};

/// The call that reads a certificate's material: `vpnform export` (and apply, for the
/// fingerprint) alone send it.
pub(crate) const DESCRIBE_ONE: &str = "DescribeSslVpnClientCert";
