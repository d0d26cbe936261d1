//! The ids of the cloud resources vpnform names: `iss-...` for an IPsec server,
//! `vpn-...` for a VPN gateway. One grammar for the desired file, the state file and the
//! sandbox's world: the prefix, then one or more lowercase ASCII letters and digits, as
//! the cloud issues them (`iss-bp1jougp8cfsbo8y9abcd`).

/// The prefix of an IPsec server id.
pub(crate) const IPSEC_SERVER_PREFIX: &str = crate::kinds::ipsec_server::KIND.id_prefix;
/// The prefix of a VPN gateway id.
pub(crate) const VPN_GATEWAY_PREFIX: &str = "vpn-";

/// Whether `value` is `prefix` then one or more lowercase ASCII letters and digits.
pub(crate) fn is_id(value: &str, prefix: &str) -> bool {
    value.strip_prefix(prefix).is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_then_lowercase_letters_and_digits() {
        assert!(is_id("iss-bp1jougp8cfsbo8y9abcd", IPSEC_SERVER_PREFIX));
        assert!(is_id("vpn-1", VPN_GATEWAY_PREFIX));
        for bad in [
            "iss-",
            "iss-A",
            "iss-bp1_x",
            "iss--",
            "ISS-a",
            "vpn-a",
            "iss-a ",
        ] {
            assert!(!is_id(bad, IPSEC_SERVER_PREFIX), "{bad}");
        }
    }
}
