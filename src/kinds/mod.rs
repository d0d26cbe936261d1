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

pub mod customer_gateway;
pub mod ipsec_server;
pub mod ssl_vpn_client_cert;
pub mod ssl_vpn_server;
pub mod vpn_connection;
pub mod vpn_gateway;
pub mod vpn_policy_route;
pub mod vpn_route;

/// Every kind vpnform manages.
pub(crate) const ALL: &[&Kind] = &[
    &ipsec_server::KIND,
    &customer_gateway::KIND,
    &vpn_connection::KIND,
    &vpn_gateway::KIND,
    &ssl_vpn_server::KIND,
    &ssl_vpn_client_cert::KIND,
    &vpn_route::KIND,
    &vpn_policy_route::KIND,
];

/// The reads of the VPN gateway that every kind on a gateway's lane needs: apply waits
/// for the gateway to be `active` again after each configuring operation.
pub(crate) const GATEWAY_READS: &[&str] = &["DescribeVpnGateway", "DescribeVpnGateways"];

/// How plans show a secret's value, changed or not.
pub(crate) const SENSITIVE: &str = "(sensitive value)";

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
    /// What messages call one: `IPsec server`.
    pub(crate) noun: &'static str,
    /// The VPN gateway whose configuring its mutations serialize on.
    pub(crate) lane: Lane,
    /// Never replaced (a VPN gateway: a new one gets a new public IP address and drops
    /// every tunnel): a change of an attribute that forces a replacement is a plan error
    /// with that reason.
    pub(crate) never_replaced: bool,
    /// Its API actions.
    pub(crate) calls: Calls,
    /// Its attributes, by the name the state records.
    pub(crate) attributes: &'static [Attribute],
}

/// Which VPN gateway a kind's mutations configure: each gateway runs one configuring
/// operation at a time, and apply waits for it to be `active` again after each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    /// The gateway its `vpn_gateway` attribute names (IPsec servers, connections).
    ItsGateway,
    /// The resource is the gateway.
    Itself,
    /// Synchronous calls on no gateway (customer gateways): they run in parallel.
    None,
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
    /// Given by source (an environment variable or a file), never stored, printed or
    /// logged: a PSK, a BGP key.
    pub(crate) secret: bool,
    /// Names another resource: its id, or its address (an edge of the plan, the id known
    /// after that one is created).
    pub(crate) reference: bool,

    /// What its value is. The state records every value as text; a plan shows it by
    /// this.
    pub(crate) value: ValueKind,
}

impl Attribute {
    /// A text attribute modified in place.
    pub(crate) const fn managed(name: &'static str) -> Attribute {
        Attribute {
            name,
            forces_replacement: false,
            secret: false,
            reference: false,
            value: ValueKind::Text,
        }
    }

    /// A text attribute whose change replaces the resource.
    pub(crate) const fn replacing(name: &'static str) -> Attribute {
        Attribute {
            forces_replacement: true,
            ..Attribute::managed(name)
        }
    }

    /// A reference to another resource, whose change replaces the resource.
    pub(crate) const fn reference(name: &'static str) -> Attribute {
        Attribute {
            reference: true,
            ..Attribute::replacing(name)
        }
    }

    /// A secret given by source, modified in place.
    pub(crate) const fn secret(name: &'static str) -> Attribute {
        Attribute {
            secret: true,
            ..Attribute::managed(name)
        }
    }
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
        if self.attribute(name).is_some_and(|a| a.secret) {
            // Whatever text a hand-edited record holds, a secret's is never shown.
            return SENSITIVE.to_owned();
        }
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

    /// The name its secret goes by (`psk`, a customer gateway's `auth_key`): how plans
    /// and `state show` label the secret's source, which the state keeps under `psk`
    /// for every kind.
    pub(crate) fn secret_name(&self) -> &'static str {
        self.attributes
            .iter()
            .find(|a| a.secret)
            .map_or("psk", |a| a.name)
    }

    /// Whether `value` of attribute `field` names a resource by address (to be resolved
    /// to its id), as only a reference attribute can: a name that reads like an address
    /// is a name.
    pub(crate) fn names_by_address(&self, field: &str, value: &str) -> bool {
        self.attribute(field).is_some_and(|a| a.reference)
            && value.parse::<crate::Address>().is_ok()
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
        for kind in FAMILY {
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

    /// Every kind with facts here, managed or not yet.
    const FAMILY: [&Kind; 8] = [
        &ipsec_server::KIND,
        &customer_gateway::KIND,
        &vpn_connection::KIND,
        &vpn_gateway::KIND,
        &ssl_vpn_server::KIND,
        &ssl_vpn_client_cert::KIND,
        &vpn_route::KIND,
        &vpn_policy_route::KIND,
    ];

    #[test]
    fn only_the_calls_api_md_names_take_dry_run() {
        let with_dry_run: Vec<&str> = FAMILY
            .iter()
            .flat_map(|k| k.calls.dry_run.iter().copied())
            .collect();
        assert_eq!(
            with_dry_run,
            [
                "CreateIpsecServer",
                "UpdateIpsecServer",
                "DeleteIpsecServer",
                "CreateVpnConnection",
                "CreateSslVpnServer",
                "ModifySslVpnServer",
                "CreateVpnRouteEntry",
                "CreateVpnPbrRouteEntry"
            ]
        );
        let names: Vec<(&str, &str, &str)> = FAMILY
            .iter()
            .map(|k| (k.name, k.desired_key, k.id_prefix))
            .collect();
        assert_eq!(
            names,
            [
                ("ipsec_server", "ipsec_servers", "iss-"),
                ("customer_gateway", "customer_gateways", "cgw-"),
                ("vpn_connection", "vpn_connections", "vco-"),
                ("vpn_gateway", "vpn_gateways", "vpn-"),
                ("ssl_vpn_server", "ssl_vpn_servers", "vss-"),
                ("ssl_vpn_client_cert", "ssl_vpn_client_certs", "vsc-"),
                ("vpn_route", "vpn_routes", "vre-"),
                ("vpn_policy_route", "vpn_policy_routes", "vpr-"),
            ]
        );
        let laneless: Vec<&str> = FAMILY
            .iter()
            .filter(|k| k.lane == Lane::None)
            .map(|k| k.name)
            .collect();
        assert_eq!(laneless, ["customer_gateway"]);
        let secrets: Vec<(&str, &str)> = FAMILY
            .iter()
            .flat_map(|k| {
                k.attributes
                    .iter()
                    .filter(|a| a.secret)
                    .map(|a| (k.name, a.name))
            })
            .collect();
        assert_eq!(
            secrets,
            [
                ("ipsec_server", "psk"),
                ("customer_gateway", "auth_key"),
                ("vpn_connection", "psk")
            ]
        );
        assert_eq!(
            customer_gateway::KIND.show_value("auth_key", "hand-edited"),
            SENSITIVE
        );
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
