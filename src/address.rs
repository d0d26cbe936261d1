//! A resource address, `ipsec_server.office`: the resource kind, a dot, and the name the
//! user gave the entry in the desired-state file. The one home of the kind's spelling and
//! of the name grammar, for the desired file, the state, saved plans and the journal.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::str::FromStr;

/// A kind of resource vpnform manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    IpsecServer,
    CustomerGateway,
    VpnConnection,
    VpnGateway,
    SslVpnServer,
    SslVpnClientCert,
    VpnRoute,
    VpnPolicyRoute,
}

impl Kind {
    /// Every kind, for parsing.
    const ALL: [Kind; 8] = [
        Kind::IpsecServer,
        Kind::CustomerGateway,
        Kind::VpnConnection,
        Kind::VpnGateway,
        Kind::SslVpnServer,
        Kind::SslVpnClientCert,
        Kind::VpnRoute,
        Kind::VpnPolicyRoute,
    ];

    /// The kind as addresses, plans and the JSON views spell it.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Kind::IpsecServer => crate::kinds::ipsec_server::KIND.name,
            Kind::CustomerGateway => crate::kinds::customer_gateway::KIND.name,
            Kind::VpnConnection => crate::kinds::vpn_connection::KIND.name,
            Kind::VpnGateway => crate::kinds::vpn_gateway::KIND.name,
            Kind::SslVpnServer => crate::kinds::ssl_vpn_server::KIND.name,
            Kind::SslVpnClientCert => crate::kinds::ssl_vpn_client_cert::KIND.name,
            Kind::VpnRoute => crate::kinds::vpn_route::KIND.name,
            Kind::VpnPolicyRoute => crate::kinds::vpn_policy_route::KIND.name,
        }
    }
}

impl Kind {
    /// What vpnform knows of the kind: the one place an address's kind becomes its facts.
    pub(crate) fn facts(self) -> &'static crate::kinds::Kind {
        match self {
            Kind::IpsecServer => &crate::kinds::ipsec_server::KIND,
            Kind::CustomerGateway => &crate::kinds::customer_gateway::KIND,
            Kind::VpnConnection => &crate::kinds::vpn_connection::KIND,
            Kind::VpnGateway => &crate::kinds::vpn_gateway::KIND,
            Kind::SslVpnServer => &crate::kinds::ssl_vpn_server::KIND,
            Kind::SslVpnClientCert => &crate::kinds::ssl_vpn_client_cert::KIND,
            Kind::VpnRoute => &crate::kinds::vpn_route::KIND,
            Kind::VpnPolicyRoute => &crate::kinds::vpn_policy_route::KIND,
        }
    }
}

/// The one spelling of the IPsec server kind, for the places that need the text.
pub(crate) const IPSEC_SERVER: &str = Kind::IpsecServer.as_str();

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `KIND.NAME`, NAME a [valid name](is_name). Held as its text, so that it orders,
/// compares and hashes exactly as the string (every sorted output and the plan hash are
/// those of the strings) and a map keyed by addresses is looked up by `&str`.
#[derive(Clone)]
pub struct Address {
    kind: Kind,
    text: String,
}

/// The longest name an address may have: every address is printed in plans, written
/// in the state and hashed, and a name no one types is a forged input.
pub(crate) const MAX_NAME_CHARS: usize = 255;

/// Terraform-like names: a letter or `_`, then letters, digits, `_` and `-`; at most
/// [`MAX_NAME_CHARS`] of them.
pub(crate) fn is_name(name: &str) -> bool {
    name.len() <= MAX_NAME_CHARS && has_name_grammar(name)
}

/// The grammar of a name, whatever its length.
pub(crate) fn has_name_grammar(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The entry name `vpnform import` gives a server: its name lower-cased, every character
/// outside `[a-z0-9_-]` made `_`, `s_` before a leading non-letter; no name: its id.
/// Always a [valid name](is_name); collisions are numbered by the caller.
pub(crate) fn name_for_server(name: &str, id: &str) -> String {
    let source = if name.is_empty() { id } else { name };
    let mut out: String = source
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "s_");
    }
    out
}

/// Text that is not `KIND.NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressError {
    pub(crate) text: String,
}

impl AddressError {
    /// The name's length, when the text is an address but for a name over the limit.
    pub(crate) fn too_long(&self) -> Option<usize> {
        let (kind, name) = self.text.split_once('.')?;
        (Kind::ALL.iter().any(|k| k.as_str() == kind)
            && name.len() > MAX_NAME_CHARS
            && has_name_grammar(name))
        .then_some(name.len())
    }
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = crate::yaml::shown(&self.text);
        match self.too_long() {
            Some(chars) => write!(
                f,
                "`{text}` is not a resource address: its name has {chars} characters, and a \
                 name has at most {MAX_NAME_CHARS}"
            ),
            None => write!(
                f,
                "`{text}` is not a resource address: write ipsec_server.NAME (NAME of letters, \
                 digits, `_`, `-`)"
            ),
        }
    }
}

impl std::error::Error for AddressError {}

impl Address {
    /// The address of the entry `name` of `kind`; `None` when `name` is not a valid name.
    pub(crate) fn new(kind: Kind, name: &str) -> Option<Address> {
        is_name(name).then(|| Address {
            kind,
            text: format!("{kind}.{name}"),
        })
    }

    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    /// The `NAME` of `KIND.NAME`.
    pub fn name(&self) -> &str {
        &self.text[self.kind.as_str().len() + 1..]
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(text: &str) -> Result<Address, AddressError> {
        let err = || AddressError {
            text: text.to_owned(),
        };
        let (kind, name) = text.split_once('.').ok_or_else(err)?;
        let kind = Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(err)?;
        Address::new(kind, name).ok_or_else(err)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl Deref for Address {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl AsRef<str> for Address {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

// Eq, Ord and Hash are the text's, as `Borrow<str>` requires (the kind is a prefix of it).
impl Borrow<str> for Address {
    fn borrow(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Address {
    fn eq(&self, other: &Address) -> bool {
        self.text == other.text
    }
}

impl Eq for Address {}

impl PartialOrd for Address {
    fn partial_cmp(&self, other: &Address) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Address {
    fn cmp(&self, other: &Address) -> Ordering {
        self.text.cmp(&other.text)
    }
}

impl Hash for Address {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl PartialEq<str> for Address {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Address {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<Address> for str {
    fn eq(&self, other: &Address) -> bool {
        self == other.text
    }
}

impl PartialEq<Address> for &str {
    fn eq(&self, other: &Address) -> bool {
        *self == other.text
    }
}

impl From<Address> for String {
    fn from(address: Address) -> String {
        address.text
    }
}

/// Unit tests write addresses as literals; a literal that is no address is a bug in
/// the test.
#[cfg(test)]
impl From<&str> for Address {
    fn from(text: &str) -> Address {
        text.parse().expect("a valid address literal")
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Address, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_kind_dot_name() {
        let a: Address = "ipsec_server.office-2".parse().unwrap();
        assert_eq!(a.kind(), Kind::IpsecServer);
        assert_eq!(a.name(), "office-2");
        assert_eq!(a.to_string(), "ipsec_server.office-2");
        assert_eq!(
            Address::new(Kind::IpsecServer, "_a-1"),
            Some("ipsec_server._a-1".parse().unwrap())
        );
        for bad in [
            "ipsec_server.",
            "ipsec_server.1a",
            "office",
            "ipsec_server.a.b",
            "vpn.a",
            "",
        ] {
            assert_eq!(
                bad.parse::<Address>(),
                Err(AddressError { text: bad.into() }),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_for_servers_follow_the_import_rule() {
        for (name, id, want) in [
            ("Office", "iss-a", "office"),
            ("Shanghai Branch #2", "iss-a", "shanghai_branch__2"),
            ("2nd-floor", "iss-a", "s_2nd-floor"),
            ("_lab", "iss-a", "s__lab"),
            ("Büro", "iss-a", "b_ro"),
            ("", "iss-bp1abc", "iss-bp1abc"),
        ] {
            let got = name_for_server(name, id);
            assert_eq!(got, want, "{name}");
            assert!(is_name(&got), "{got}");
        }
    }

    #[test]
    fn orders_as_its_text() {
        let mut list: Vec<Address> = [
            "ipsec_server.b",
            "ipsec_server.a-b",
            "ipsec_server.a",
            "ipsec_server.A",
        ]
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
        list.sort();
        let mut texts = [
            "ipsec_server.b",
            "ipsec_server.a-b",
            "ipsec_server.a",
            "ipsec_server.A",
        ];
        texts.sort();
        assert_eq!(list, texts);
    }

    #[test]
    fn serde_is_the_string() {
        let a: Address = "ipsec_server.lab".parse().unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"ipsec_server.lab\"");
        assert_eq!(
            serde_json::from_str::<Address>("\"ipsec_server.lab\"").unwrap(),
            a
        );
        assert!(serde_json::from_str::<Address>("\"lab\"").is_err());
    }
}
