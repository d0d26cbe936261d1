//! The IPsec vocabulary the cloud documents, in one place for the desired file
//! ([`crate::config`]) and the emulator ([`crate::sandbox`]): the negotiation algorithms
//! with their wire spellings, the SA lifetime's bounds and what a CIDR block is.

use std::fmt;

use ipnet::Ipv4Net;

/// An enumerated API value: the spellings the cloud documents, nothing else.
macro_rules! enumerated {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, as the API spells it.
            pub const ALL: &'static [&'static str] = &[$($text),+];

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

enumerated!(
    /// `IkeVersion`.
    IkeVersion { V1 = "ikev1", V2 = "ikev2" }
);
enumerated!(
    /// `IkeMode` (IKEv1 negotiation mode).
    IkeMode { Main = "main", Aggressive = "aggressive" }
);
enumerated!(
    /// `IkeEncAlg` and `IpsecEncAlg`.
    EncAlg { Aes = "aes", Aes192 = "aes192", Aes256 = "aes256", Des = "des", TripleDes = "3des" }
);
enumerated!(
    /// `IkeAuthAlg` and `IpsecAuthAlg`.
    AuthAlg { Md5 = "md5", Sha1 = "sha1", Sha256 = "sha256", Sha384 = "sha384", Sha512 = "sha512" }
);
enumerated!(
    /// `IkePfs`: the Diffie-Hellman group of phase one.
    IkePfs { Group1 = "group1", Group2 = "group2", Group5 = "group5", Group14 = "group14" }
);
enumerated!(
    /// `IpsecPfs`: the Diffie-Hellman group of phase two, or none.
    IpsecPfs { Disabled = "disabled", Group1 = "group1", Group2 = "group2", Group5 = "group5", Group14 = "group14" }
);

/// An IKE or IPsec SA lifetime in seconds, 0-86400.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lifetime(u32);

impl Lifetime {
    pub const MAX: u32 = 86_400;

    pub fn new(seconds: i128) -> Option<Lifetime> {
        u32::try_from(seconds)
            .ok()
            .filter(|s| *s <= Self::MAX)
            .map(Lifetime)
    }

    pub fn seconds(self) -> u32 {
        self.0
    }
}

/// Why a text is not a CIDR block the cloud takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CidrError {
    /// No `/` and prefix length.
    NoPrefix,
    /// The prefix length is not a number.
    BadPrefix,
    /// Not an IPv4 address with a prefix length from 0 to 32.
    Syntax,
    /// Bits set after the prefix: `network` is what it probably means.
    HostBits { network: Ipv4Net },
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CidrError::NoPrefix => f.write_str(
                "a CIDR block is an IPv4 address, `/` and a prefix length, e.g. `10.0.0.0/24`",
            ),
            CidrError::BadPrefix => {
                f.write_str("the prefix length after `/` is a number from 0 to 32")
            }
            CidrError::Syntax => f.write_str(
                "a CIDR block is an IPv4 address, `/` and a prefix length from 0 to 32, e.g. `10.0.0.0/24`",
            ),
            CidrError::HostBits { network } => write!(
                f,
                "the address has bits set after the prefix: did you mean `{network}`?"
            ),
        }
    }
}

/// A CIDR in canonical form, or why the text is not one. `10.0.0.1/24` is refused with
/// the network it probably means: the cloud takes network addresses only.
pub(crate) fn cidr(text: &str) -> Result<Ipv4Net, CidrError> {
    let Some((_, prefix)) = text.split_once('/') else {
        return Err(CidrError::NoPrefix);
    };
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CidrError::BadPrefix);
    }
    let net: Ipv4Net = text.parse().map_err(|_| CidrError::Syntax)?;
    if net.trunc() != net {
        return Err(CidrError::HostBits {
            network: net.trunc(),
        });
    }
    Ok(net)
}

/// Whether two CIDR blocks share an address.
pub(crate) fn overlap(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(b) || b.contains(a)
}
