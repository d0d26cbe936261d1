//! The typed values of a desired entry's managed attributes: what `name`,
//! `local_subnet`, `client_ip_pool`, `psk`, `effect_immediately`, `ike_config` and
//! `ipsec_config` hold once validated. Each type can only hold a value the cloud
//! accepts (a CIDR, a lifetime in 0-86400, one of the documented algorithms), so the
//! planner never checks them again.

pub(crate) use ipnet::Ipv4Net;

pub(crate) use crate::ipsec::{
    AuthAlg, EncAlg, IkeMode, IkePfs, IkeVersion, IpsecPfs, Lifetime, overlap,
};

/// The managed attributes of one entry: a field written in the entry is `Some` (the
/// plan makes the cloud match it); one not written is observed only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attributes {
    /// `IpSecServerName`.
    pub name: Option<ServerName>,
    /// `LocalSubnet`: at least one CIDR, in the order written.
    pub local_subnet: Option<Vec<Ipv4Net>>,
    /// `ClientIpPool`.
    pub client_ip_pool: Option<Ipv4Net>,
    pub effect_immediately: Option<bool>,
    pub ike_config: Option<IkeConfig>,
    pub ipsec_config: Option<IpsecConfig>,
}

/// `IpSecServerName`: 1-100 characters (the SDK's bound), no control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerName(String);

impl ServerName {
    pub const MAX_CHARS: usize = 100;

    /// The name, or why it is not one.
    pub fn parse(text: &str) -> Result<ServerName, &'static str> {
        let length = text.chars().count();
        if length == 0 {
            Err("a name has at least 1 character")
        } else if length > Self::MAX_CHARS {
            Err("a name has at most 100 characters")
        } else if text.chars().any(invisible) {
            Err(
                "a name has no control or invisible characters (line breaks, tabs, direction marks)",
            )
        } else {
            Ok(ServerName(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A character that is not what it looks like on a terminal or the console: a control
/// character, a line or paragraph separator, a zero-width or bidirectional mark (which
/// can make `office` and a reversed name look alike).
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `IkeLocalId` / `IkeRemoteId`: 1-100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IkeId(String);

impl IkeId {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(text: &str) -> Result<IkeId, &'static str> {
        let length = text.chars().count();
        if length == 0 {
            Err("an IKE identity has at least 1 character")
        } else if length > Self::MAX_CHARS {
            Err("an IKE identity has at most 100 characters")
        } else if text.chars().any(invisible) {
            Err(
                "an IKE identity has no control or invisible characters (line breaks, tabs, direction marks)",
            )
        } else {
            Ok(IkeId(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `ike_config`: each field written is managed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IkeConfig {
    pub ike_version: Option<IkeVersion>,
    pub ike_mode: Option<IkeMode>,
    pub ike_enc_alg: Option<EncAlg>,
    pub ike_auth_alg: Option<AuthAlg>,
    pub ike_pfs: Option<IkePfs>,
    pub ike_lifetime: Option<Lifetime>,
    pub local_id: Option<IkeId>,
    pub remote_id: Option<IkeId>,
}

/// `ipsec_config`: each field written is managed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpsecConfig {
    pub ipsec_enc_alg: Option<EncAlg>,
    pub ipsec_auth_alg: Option<AuthAlg>,
    pub ipsec_pfs: Option<IpsecPfs>,
    pub ipsec_lifetime: Option<Lifetime>,
}

pub(crate) use crate::secret::PskSource;

/// A CIDR in canonical form, or why the text is not one (the rule is [`crate::ipsec::cidr`]).
pub(crate) fn parse_cidr(text: &str) -> Result<Ipv4Net, String> {
    crate::ipsec::cidr(text).map_err(|why| why.to_string())
}

/// The managed attributes `desired` writes, in the text form ListIpsecServers answers
/// and the state records (`ike_config.ike_version`, ...), in the desired file's order.
pub(crate) fn managed_values(desired: &Attributes) -> Vec<(&'static str, String)> {
    let mut wanted: Vec<(&'static str, String)> = Vec::new();
    if let Some(name) = &desired.name {
        wanted.push(("name", name.as_str().to_owned()));
    }
    if let Some(subnets) = &desired.local_subnet {
        wanted.push(("local_subnet", subnet_text(subnets)));
    }
    if let Some(pool) = &desired.client_ip_pool {
        wanted.push(("client_ip_pool", pool.to_string()));
    }
    if let Some(effect) = desired.effect_immediately {
        wanted.push(("effect_immediately", effect.to_string()));
    }
    if let Some(ike) = &desired.ike_config {
        let fields = [
            (
                "ike_config.ike_version",
                ike.ike_version.map(|v| v.to_string()),
            ),
            ("ike_config.ike_mode", ike.ike_mode.map(|v| v.to_string())),
            (
                "ike_config.ike_enc_alg",
                ike.ike_enc_alg.map(|v| v.to_string()),
            ),
            (
                "ike_config.ike_auth_alg",
                ike.ike_auth_alg.map(|v| v.to_string()),
            ),
            ("ike_config.ike_pfs", ike.ike_pfs.map(|v| v.to_string())),
            (
                "ike_config.ike_lifetime",
                ike.ike_lifetime.map(|v| v.seconds().to_string()),
            ),
            (
                "ike_config.local_id",
                ike.local_id.as_ref().map(|v| v.as_str().to_owned()),
            ),
            (
                "ike_config.remote_id",
                ike.remote_id.as_ref().map(|v| v.as_str().to_owned()),
            ),
        ];
        wanted.extend(fields.into_iter().filter_map(|(k, v)| Some((k, v?))));
    }
    if let Some(ipsec) = &desired.ipsec_config {
        let fields = [
            (
                "ipsec_config.ipsec_enc_alg",
                ipsec.ipsec_enc_alg.map(|v| v.to_string()),
            ),
            (
                "ipsec_config.ipsec_auth_alg",
                ipsec.ipsec_auth_alg.map(|v| v.to_string()),
            ),
            (
                "ipsec_config.ipsec_pfs",
                ipsec.ipsec_pfs.map(|v| v.to_string()),
            ),
            (
                "ipsec_config.ipsec_lifetime",
                ipsec.ipsec_lifetime.map(|v| v.seconds().to_string()),
            ),
        ];
        wanted.extend(fields.into_iter().filter_map(|(k, v)| Some((k, v?))));
    }
    wanted
}

/// The blocks as the API writes them: comma-separated, in the order given.
fn subnet_text(subnets: &[Ipv4Net]) -> String {
    let texts: Vec<String> = subnets.iter().map(ToString::to_string).collect();
    texts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_are_network_addresses_with_a_prefix() {
        assert_eq!(
            parse_cidr("10.0.0.0/24").unwrap().to_string(),
            "10.0.0.0/24"
        );
        assert_eq!(
            parse_cidr("10.0.0.1/24").unwrap_err(),
            "the address has bits set after the prefix: did you mean `10.0.0.0/24`?"
        );
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0/24",
            "10.0.0.0/+4",
            "10.0.0.0/",
            "::/0",
            "x/1",
        ] {
            assert!(parse_cidr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn overlap_is_containment_either_way() {
        let net = |t: &str| parse_cidr(t).unwrap();
        assert!(overlap(&net("10.0.0.0/16"), &net("10.0.1.0/24")));
        assert!(overlap(&net("10.0.1.0/24"), &net("10.0.0.0/16")));
        assert!(!overlap(&net("10.0.0.0/24"), &net("10.0.1.0/24")));
    }

    #[test]
    fn lifetimes_and_names_have_bounds() {
        assert_eq!(Lifetime::new(0).map(Lifetime::seconds), Some(0));
        assert_eq!(Lifetime::new(86_400).map(Lifetime::seconds), Some(86_400));
        assert_eq!(Lifetime::new(86_401), None);
        assert_eq!(Lifetime::new(-1), None);
        assert!(ServerName::parse(&"é".repeat(100)).is_ok());
        assert!(ServerName::parse(&"é".repeat(101)).is_err());
        assert!(ServerName::parse("").is_err());
        assert!(ServerName::parse("a\nb").is_err());
        for odd in [
            "off\u{202E}eciffo",
            "a\u{200B}b",
            "a\u{2028}b",
            "\u{FEFF}office",
        ] {
            assert!(ServerName::parse(odd).is_err(), "{odd:?}");
            assert!(IkeId::parse(odd).is_err(), "{odd:?}");
        }
        assert!(ServerName::parse("办公室 office-1 (東京)").is_ok());
        assert_eq!(IpsecPfs::parse("disabled"), Some(IpsecPfs::Disabled));
        assert_eq!(IkePfs::parse("disabled"), None);
        assert_eq!(EncAlg::TripleDes.as_str(), "3des");
    }
}
