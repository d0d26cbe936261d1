//! The routes' entries: `vpn_routes` (destination routes) and `vpn_policy_routes`
//! (policy-based routes: a `route_source` too, and a `priority` from 1 to 100), each on
//! its gateway's lane, its next hop an IPsec connection (an address of this file, an
//! edge, or a `vco-` id); a weight of 0 or 100; at most 20 of a kind per gateway (rule
//! 8); no tuple twice.

use std::collections::BTreeMap;

use super::{Checker, Entry, attributes};
use crate::Address;
use crate::address::Kind;
use crate::config::raw::{Node, Value};
use crate::kinds::vpn_policy_route::PRIORITIES;
use crate::kinds::vpn_route::{PER_GATEWAY, WEIGHTS};
use crate::yaml::shown;

const POLICY_FIELDS: &[&str] = &[
    "vpn_gateway",
    "region",
    "route_source",
    "route_dest",
    "next_hop",
    "weight",
    "priority",
    "publish_vpc",
    "depends_on",
    "protect",
];

const FIELDS: &[&str] = &[
    "vpn_gateway",
    "region",
    "route_dest",
    "next_hop",
    "weight",
    "publish_vpc",
    "depends_on",
    "protect",
];

impl<'t> Checker<'t> {
    /// `vpn_routes` (`vpn_policy_routes` when `policy`) as entries.
    pub(super) fn vpn_routes<'n>(&mut self, node: &'n Node, policy: bool) -> Vec<Entry<'n>> {
        let named = if policy {
            self.named_entries(
                node,
                "vpn_policy_routes",
                "write one entry per route under `vpn_policy_routes:`, e.g. `office_to_branch: {vpn_gateway: vpn-..., route_source: 10.0.0.0/16, route_dest: 192.168.0.0/24, next_hop: vpn_connection.branch, weight: 0, priority: 10, publish_vpc: false}`",
            )
        } else {
            self.named_entries(
                node,
                "vpn_routes",
                "write one entry per route under `vpn_routes:`, e.g. `to_branch: {vpn_gateway: vpn-..., route_dest: 192.168.0.0/24, next_hop: vpn_connection.branch, weight: 0, publish_vpc: false}`",
            )
        };
        let mut entries = Vec::new();
        for (name, key, value) in named {
            entries.push(self.vpn_route(&name, key, value, policy));
        }
        self.route_rules(&entries, policy);
        entries
    }

    /// No tuple twice; at most [`PER_GATEWAY`] routes of a kind on a gateway; the
    /// policy-based routes of one destination and next hop on a gateway that write
    /// `publish_vpc` write the same (`PublishVpnRouteEntry` names no source: it
    /// publishes them all).
    fn route_rules(&mut self, routes: &[Entry], policy: bool) {
        let value = |e: &Entry, field: &str| {
            e.values
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, v)| v.clone())
        };
        let mut first: BTreeMap<(String, String, String, String), &Entry> = BTreeMap::new();
        let mut per_gateway: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        let mut published: BTreeMap<(String, String, String), (&Entry, String)> = BTreeMap::new();
        for route in routes {
            let Some(gateway) = route.vpn_gateway.as_deref() else {
                continue;
            };
            per_gateway.entry(gateway).or_default().push(route);
            let (Some(dest), Some(hop)) = (value(route, "route_dest"), value(route, "next_hop"))
            else {
                continue;
            };
            if policy && let Some(on) = value(route, "publish_vpc") {
                let pair = (gateway.to_owned(), dest.clone(), hop.clone());
                match published.get(&pair) {
                    Some((other, theirs)) if *theirs != on => {
                        let message = format!(
                            "{} writes `publish_vpc: {theirs}` and {} `publish_vpc: {on}`, but both are routes to {dest} through {hop} on {gateway}, and PublishVpnRouteEntry publishes or withdraws every policy-based route of a destination and next hop at once",
                            other.address, route.address
                        );
                        self.error(
                            route.name,
                            message,
                            &["write the same `publish_vpc` in both, or leave it out of one"],
                        );
                    }
                    Some(_) => {}
                    None => {
                        published.insert(pair, (route, on));
                    }
                }
            }
            let source = if policy {
                let Some(source) = value(route, "route_source") else {
                    continue;
                };
                source
            } else {
                String::new()
            };
            let tuple = (
                gateway.to_owned(),
                source.clone(),
                dest.clone(),
                hop.clone(),
            );
            match first.get(&tuple) {
                Some(other) => {
                    let (what, help) = if policy {
                        (
                            format!("the route from {source} to {dest} through {hop}"),
                            "remove one of them, or change its `route_source`, `route_dest` or `next_hop`",
                        )
                    } else {
                        (
                            format!("the route to {dest} through {hop}"),
                            "remove one of them, or change its `route_dest` or `next_hop`",
                        )
                    };
                    let message = format!(
                        "{} and {} are both {what} on {gateway}, and a gateway holds a route once",
                        other.address, route.address
                    );
                    self.error(route.name, message, &[help]);
                }
                None => {
                    first.insert(tuple, route);
                }
            }
        }
        let max = if policy {
            crate::kinds::vpn_policy_route::PER_GATEWAY
        } else {
            PER_GATEWAY
        };
        for (gateway, list) in per_gateway {
            if list.len() > max {
                let noun = if policy {
                    "policy-based routes"
                } else {
                    "destination routes"
                };
                let message = format!(
                    "{} {noun} on {gateway}, and a VPN gateway holds at most {max}",
                    list.len()
                );
                self.error(
                    list[max].name,
                    message,
                    &["aggregate destinations into shorter prefixes, or spread the routes over more gateways"],
                );
            }
        }
    }

    fn vpn_route<'n>(
        &mut self,
        name: &str,
        key: &'n Node,
        node: &'n Node,
        policy: bool,
    ) -> Entry<'n> {
        let (kind, top) = if policy {
            (Kind::VpnPolicyRoute, "vpn_policy_routes")
        } else {
            (Kind::VpnRoute, "vpn_routes")
        };
        let address = Address::new(kind, name).expect("entries are made of valid names only");
        let path = format!("{top}.{name}");
        let mut entry = Entry {
            address,
            name: key,
            id: None,
            creates: true,
            vpn_gateway: None,
            vpn_gateway_node: None,
            region: None,
            region_written: false,
            depends_on: Vec::new(),
            protect: false,
            attributes: attributes::Read::default(),
            values: Vec::new(),
            ip_address: None,
        };
        let fields = if node.value == Value::Null {
            Some(BTreeMap::new())
        } else {
            self.fields(
                node,
                &path,
                &format!("`{path}`"),
                if policy { POLICY_FIELDS } else { FIELDS },
                if policy {
                    "an entry is a mapping: `vpn_gateway: vpn-...`, `route_source`, `route_dest`, `next_hop`, and optionally `weight`, `priority`, `publish_vpc`, `region`, `depends_on`, `protect`"
                } else {
                    "an entry is a mapping: `vpn_gateway: vpn-...`, `route_dest`, `next_hop`, and optionally `weight`, `publish_vpc`, `region`, `depends_on`, `protect`"
                },
            )
        };
        let Some(fields) = fields else {
            entry.region_written = true;
            return entry;
        };
        match fields.get("vpn_gateway") {
            None => {
                self.error(key, format!("missing `vpn_gateway` in `{path}`"), &[
                    "add the VPN gateway the route is on: its id (`vpn_gateway: vpn-...`) or its address (`vpn_gateway: vpn_gateway.hz`)",
                ]);
            }
            Some((_, node)) => {
                entry.vpn_gateway = self.gateway(node, &path, &mut entry.depends_on);
            }
        }
        if let Some((_, node)) = fields.get("region") {
            entry.region_written = true;
            entry.region = self.region(node, &format!("{path}.region"));
        }
        let mut values: Vec<(&'static str, String)> = Vec::new();
        if policy {
            match fields.get("route_source") {
                None => {
                    self.error(
                        key,
                        format!("missing `route_source` in `{path}`"),
                        &["add the source CIDR block, e.g. `route_source: 10.0.0.0/16`"],
                    );
                }
                Some((_, node)) => {
                    if let Some(net) = self.cidr(node, &format!("{path}.route_source")) {
                        values.push(("route_source", net.to_string()));
                    }
                }
            }
        }
        match fields.get("route_dest") {
            None => {
                self.error(
                    key,
                    format!("missing `route_dest` in `{path}`"),
                    &["add the destination CIDR block, e.g. `route_dest: 192.168.0.0/24`"],
                );
            }
            Some((_, node)) => {
                if let Some(net) = self.cidr(node, &format!("{path}.route_dest")) {
                    values.push(("route_dest", net.to_string()));
                }
            }
        }
        let help = "write the IPsec connection's address in this file (`next_hop: vpn_connection.branch`) or its id (`vco-...`)";
        match fields.get("next_hop") {
            None => {
                self.error(key, format!("missing `next_hop` in `{path}`"), &[help]);
            }
            Some((_, node)) => {
                let field = format!("{path}.next_hop");
                if let Some(text) = self.string(node, &field, help) {
                    match text.parse::<Address>() {
                        Ok(target) if target.kind() == Kind::VpnConnection => {
                            entry.depends_on.push((target, node));
                            values.push(("next_hop", text));
                        }
                        _ if crate::id::is_id(
                            &text,
                            crate::kinds::vpn_connection::KIND.id_prefix,
                        ) =>
                        {
                            values.push(("next_hop", text))
                        }
                        _ => {
                            self.error(
                                node,
                                format!(
                                    "`{}` in `{field}` is neither an IPsec connection's address nor its id",
                                    shown(&text)
                                ),
                                &[help],
                            );
                        }
                    }
                }
            }
        }
        if let Some((_, node)) = fields.get("weight") {
            let help = "write `weight: 0` (standby) or `weight: 100` (active)";
            match node.value {
                Value::Int(n) if WEIGHTS.iter().any(|w| i128::from(*w) == n) => {
                    values.push(("weight", n.to_string()))
                }
                Value::Int(n) => {
                    self.error(
                        node,
                        format!("weight {n} in `{path}.weight` is not 0 or 100"),
                        &[help],
                    );
                }
                _ => self.wrong_type(node, "0 or 100", &format!("{path}.weight"), help),
            }
        }
        if let Some((_, node)) = fields.get("priority").filter(|_| policy) {
            let help = "write a priority from 1 to 100, e.g. `priority: 10` (a smaller one wins)";
            match node.value {
                Value::Int(n) if u32::try_from(n).is_ok_and(|p| PRIORITIES.contains(&p)) => {
                    values.push(("priority", n.to_string()))
                }
                Value::Int(n) => {
                    self.error(
                        node,
                        format!("priority {n} in `{path}.priority` is not from 1 to 100"),
                        &[help],
                    );
                }
                _ => self.wrong_type(node, "1 to 100", &format!("{path}.priority"), help),
            }
        }
        if let Some((_, node)) = fields.get("publish_vpc")
            && let Some(on) = self.boolean(node, &format!("{path}.publish_vpc"))
        {
            values.push(("publish_vpc", on.to_string()));
        }
        entry.values = values;
        if let Some((_, node)) = fields.get("depends_on") {
            let more = self.depends_on(node, &format!("{path}.depends_on"));
            entry.depends_on.extend(more);
        }
        if let Some((_, node)) = fields.get("protect") {
            entry.protect = self.protect(node, &path);
        }
        entry
    }
}
