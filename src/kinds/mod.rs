//! Resource kinds: what vpnform knows of each kind of resource it manages, one module
//! per kind, and nothing else in the code spells a kind's name or its API actions.
//!
//! A kind declares ([`Kind`]): its address prefix and desired-file key, its id grammar,
//! its attributes (which force a replacement), and its calls (which answer a DryRun).
//! Its module also holds the typed calls themselves (`api`) and what the planner and
//! the executor build and confirm with them (`calls`). The rest of DESIGN's contract
//! (managed and observed roles, secrets, references, the lane, busy and not-found codes)
//! joins it with the kinds that need it (the VPN-gateway family). The first kind is the IPsec server
//! ([`ipsec_server`]); ARCHITECTURE.md has the checklist for adding one.
//!
//! Where it sits: below `config`, `plan`, `apply` and `ops`, which read these facts;
//! above `cloud`, whose generic client it sends its calls through.

pub mod ipsec_server;

/// Every kind vpnform manages.
pub(crate) const ALL: &[&Kind] = &[&ipsec_server::KIND];

/// The reads of the VPN gateway that every kind on a gateway's lane needs: apply waits
/// for the gateway to be `active` again after each configuring operation.
pub(crate) const GATEWAY_READS: &[&str] = &["DescribeVpnGateway", "DescribeVpnGateways"];

/// One kind of resource: the facts the rest of the code reads instead of naming it.
#[derive(Debug)]
pub(crate) struct Kind {
    /// The address prefix and the word plans, states and the JSON views use:
    /// `ipsec_server` in `ipsec_server.office`.
    pub(crate) name: &'static str,
    /// The desired file's key for the kind's entries: `ipsec_servers`.
    pub(crate) desired_key: &'static str,
    /// The prefix of the kind's ids (`iss-`), followed by lower-case letters and digits.
    pub(crate) id_prefix: &'static str,
    /// Its API actions.
    pub(crate) calls: Calls,
    /// Its attributes, by the name the state records.
    pub(crate) attributes: &'static [Attribute],
}

/// A kind's API actions.
#[derive(Debug)]
pub(crate) struct Calls {
    /// Lists the kind's resources (paged, filtered by gateway and ids).
    pub(crate) list: &'static str,
    pub(crate) create: &'static str,
    /// The modify calls, one per group of attributes where the API splits them.
    pub(crate) modify: &'static [&'static str],
    pub(crate) delete: &'static str,
    /// The actions that take `DryRun=true`: vpnform sends DryRun to these only, since
    /// an action without it ignores the parameter and acts.
    pub(crate) dry_run: &'static [&'static str],
}

/// One attribute of a kind.
#[derive(Debug)]
pub(crate) struct Attribute {
    /// As the state records it (`client_ip_pool`, `ike_config.ike_version`).
    pub(crate) name: &'static str,
    /// A change of it replaces the resource rather than modifying it.
    pub(crate) forces_replacement: bool,
    /// What its value is. The state records every value as text; a plan shows it by
    /// this.
    pub(crate) value: ValueKind,
}

/// What an attribute's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    Text,
    /// A whole number (`86400`).
    Number,
    /// `true` or `false`.
    Bool,
}

impl Kind {
    /// The attribute named `name`, if the kind has it.
    pub(crate) fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The value `text` of attribute `name` as plans show values, in Terraform's way:
    /// text quoted (JSON escapes keep a control character from a hand-edited state off
    /// the terminal), a number or a boolean bare.
    pub(crate) fn show_value(&self, name: &str, text: &str) -> String {
        let bare = match self.attribute(name).map(|a| a.value) {
            Some(ValueKind::Number) => !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()),
            Some(ValueKind::Bool) => text == "true" || text == "false",
            Some(ValueKind::Text) | None => false,
        };
        if bare {
            text.to_owned()
        } else {
            serde_json::to_string(text).expect("a string serializes")
        }
    }

    /// Whether `action`, one of the kind's calls, takes `DryRun=true`.
    pub(crate) fn has_dry_run(&self, action: &str) -> bool {
        self.calls.dry_run.contains(&action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_run_goes_only_to_the_kinds_own_calls() {
        for kind in [&ipsec_server::KIND] {
            let own = [kind.calls.list, kind.calls.create, kind.calls.delete];
            for action in kind.calls.dry_run {
                assert!(
                    own.contains(action) || kind.calls.modify.contains(action),
                    "{action}"
                );
            }
            assert!(!kind.has_dry_run(kind.calls.list));
        }
    }

    #[test]
    fn the_ipsec_servers_attributes_are_those_the_state_records() {
        let kind = &ipsec_server::KIND;
        let server = ipsec_server::IpsecServer {
            name: "n".into(),
            local_subnet: "10.0.0.0/24".into(),
            client_ip_pool: "10.8.0.0/16".into(),
            internet_ip: "1.2.3.4".into(),
            creation_time: "t".into(),
            ..Default::default()
        };
        for field in ipsec_server::calls::attributes(&server).keys() {
            assert!(kind.attribute(field).is_some(), "{field}");
        }
        let forcing: Vec<&str> = kind
            .attributes
            .iter()
            .filter(|a| a.forces_replacement)
            .map(|a| a.name)
            .collect();
        assert_eq!(forcing, ["vpn_gateway", "region"]);
    }
}
