//! The attribute types and helpers the world's resources share (IPsec servers,
//! connections and their tunnels): the negotiation settings `IkeConfig` and
//! `IpsecConfig` with the cloud's defaults and the world file's checks of them,
//! generated pre-shared keys, secrets (kept in clear in a world file, as the cloud
//! answers them, but never printed), CIDR blocks and boolean defaults. Below
//! [`super::world`] and [`super::connections`], which both use it.

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// Phase-one negotiation settings (`IkeConfig`); the defaults are the cloud's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IkeConfig {
    pub ike_version: String,
    pub ike_mode: String,
    pub ike_enc_alg: String,
    pub ike_auth_alg: String,
    pub ike_pfs: String,
    pub ike_lifetime: u32,
    pub local_id: String,
    pub remote_id: String,
}

impl Default for IkeConfig {
    fn default() -> Self {
        IkeConfig {
            ike_version: "ikev2".to_owned(),
            ike_mode: "main".to_owned(),
            ike_enc_alg: "aes".to_owned(),
            ike_auth_alg: "sha1".to_owned(),
            ike_pfs: "group2".to_owned(),
            ike_lifetime: 86400,
            local_id: String::new(),
            remote_id: String::new(),
        }
    }
}

impl IkeConfig {
    pub(crate) fn is_default(&self) -> bool {
        *self == IkeConfig::default()
    }
}

/// Phase-two negotiation settings (`IpsecConfig`); the defaults are the cloud's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IpsecConfig {
    pub ipsec_enc_alg: String,
    pub ipsec_auth_alg: String,
    pub ipsec_pfs: String,
    pub ipsec_lifetime: u32,
}

impl Default for IpsecConfig {
    fn default() -> Self {
        IpsecConfig {
            ipsec_enc_alg: "aes".to_owned(),
            ipsec_auth_alg: "sha1".to_owned(),
            ipsec_pfs: "group2".to_owned(),
            ipsec_lifetime: 86400,
        }
    }
}

impl IpsecConfig {
    pub(crate) fn is_default(&self) -> bool {
        *self == IpsecConfig::default()
    }
}

/// The length of a PSK the cloud generates.
pub(crate) const GENERATED_PSK_LEN: usize = 16;

/// The bounds the cloud puts on the text settings (the algorithms and lifetimes are in
/// [`crate::ipsec`]).
pub(crate) mod vocabulary {
    /// `LocalId`, `RemoteId`, the server name and the PSK: at most this many characters.
    pub(crate) const MAX_TEXT: usize = 100;
}

/// The PSK the sandbox generates for `seed` (a resource id): 16 characters, the same on
/// every run.
pub(crate) fn derived_psk(seed: &str) -> String {
    let digest = sha2::Sha256::digest(format!("sandbox-psk:{seed}").as_bytes());
    hex::encode(digest)[..GENERATED_PSK_LEN].to_owned()
}

pub(crate) fn yes() -> bool {
    true
}
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

pub(crate) mod secret_option {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::secret::Secret;

    pub(crate) fn serialize<S: Serializer>(v: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(secret) => s.serialize_some(secret.expose()),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(Secret::new))
    }
}

/// One IPv4 CIDR block, its host bits zero (`10.0.0.0/24`, not `10.0.0.1/24`).
/// The rule is [`crate::ipsec::cidr`]'s; the wording is the cloud's.
pub(crate) fn cidr(text: &str) -> Result<ipnet::Ipv4Net, String> {
    crate::ipsec::cidr(text.trim()).map_err(|why| match why {
        crate::ipsec::CidrError::HostBits { network } => {
            format!("`{text}` has host bits set: write the network address {network}")
        }
        _ => format!("`{text}` is not an IPv4 CIDR block such as 10.0.0.0/24"),
    })
}

/// A world file's `ike_config` and `ipsec_config` (of a server, a connection or a
/// tunnel): algorithms from their lists, lifetimes in range. `(field, value, why)`.
pub(crate) fn check_negotiation(
    ike: &IkeConfig,
    ipsec: &IpsecConfig,
) -> Result<(), (&'static str, String, String)> {
    let enumerated: [(&'static str, &str, &[&str]); 8] = [
        (
            "ike_version",
            &ike.ike_version,
            crate::ipsec::IkeVersion::ALL,
        ),
        ("ike_mode", &ike.ike_mode, crate::ipsec::IkeMode::ALL),
        ("ike_enc_alg", &ike.ike_enc_alg, crate::ipsec::EncAlg::ALL),
        (
            "ike_auth_alg",
            &ike.ike_auth_alg,
            crate::ipsec::AuthAlg::ALL,
        ),
        ("ike_pfs", &ike.ike_pfs, crate::ipsec::IkePfs::ALL),
        (
            "ipsec_enc_alg",
            &ipsec.ipsec_enc_alg,
            crate::ipsec::EncAlg::ALL,
        ),
        (
            "ipsec_auth_alg",
            &ipsec.ipsec_auth_alg,
            crate::ipsec::AuthAlg::ALL,
        ),
        ("ipsec_pfs", &ipsec.ipsec_pfs, crate::ipsec::IpsecPfs::ALL),
    ];
    for (field, value, allowed) in enumerated {
        if !allowed.contains(&value) {
            return Err((
                field,
                value.to_owned(),
                format!("not one of {}", allowed.join(", ")),
            ));
        }
    }
    for (field, value) in [
        ("ike_lifetime", ike.ike_lifetime),
        ("ipsec_lifetime", ipsec.ipsec_lifetime),
    ] {
        if value > crate::ipsec::Lifetime::MAX {
            return Err((
                field,
                value.to_string(),
                format!("lifetimes are 0 to {} seconds", crate::ipsec::Lifetime::MAX),
            ));
        }
    }
    Ok(())
}
