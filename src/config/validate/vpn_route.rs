//! The destination routes' entries: `vpn_routes`, each on its gateway's lane, its next
//! hop an IPsec connection (an address of this file, an edge, or a `vco-` id); a weight
//! of 0 or 100; at most 20 per gateway (rule 8); no tuple twice.

use std::collections::BTreeMap;

use super::{Checker, Entry, attributes};
use crate::Address;
use crate::address::Kind;
use crate::config::raw::{Node, Value};
use crate::kinds::vpn_route::{PER_GATEWAY, WEIGHTS};
use crate::yaml::shown;

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
    /// `vpn_routes` as entries.
    pub(super) fn vpn_routes<'n>(&mut self, node: &'n Node) -> Vec<Entry<'n>> {
        let named = self.named_entries(
            node,
            "vpn_routes",
            "write one entry per route under `vpn_routes:`, e.g. `to_branch: {vpn_gateway: vpn-..., route_dest: 192.168.0.0/24, next_hop: vpn_connection.branch, weight: 0, publish_vpc: false}`",
        );
        let mut entries = Vec::new();
        for (name, key, value) in named {
            entries.push(self.vpn_route(&name, key, value));
        }
        self.route_rules(&entries);
        entries
    }

    /// No tuple twice; at most [`PER_GATEWAY`] routes on a gateway.
    fn route_rules(&mut self, routes: &[Entry]) {
        let value = |e: &Entry, field: &str| {
            e.values
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, v)| v.clone())
        };
        let mut first: BTreeMap<(String, String, String), &Entry> = BTreeMap::new();
        let mut per_gateway: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        for route in routes {
            let Some(gateway) = route.vpn_gateway.as_deref() else {
                continue;
            };
            per_gateway.entry(gateway).or_default().push(route);
            let (Some(dest), Some(hop)) = (value(route, "route_dest"), value(route, "next_hop"))
            else {
                continue;
            };
            match first.get(&(gateway.to_owned(), dest.clone(), hop.clone())) {
                Some(other) => {
                    let message = format!(
                        "{} and {} are both the route to {dest} through {hop} on {gateway}, and a gateway holds a route once",
                        other.address, route.address
                    );
                    self.error(
                        route.name,
                        message,
                        &["remove one of them, or change its `route_dest` or `next_hop`"],
                    );
                }
                None => {
                    first.insert((gateway.to_owned(), dest, hop), route);
                }
            }
        }
        for (gateway, list) in per_gateway {
            if list.len() > PER_GATEWAY {
                let message = format!(
                    "{} destination routes on {gateway}, and a VPN gateway holds at most {PER_GATEWAY}",
                    list.len()
                );
                self.error(
                    list[PER_GATEWAY].name,
                    message,
                    &["aggregate destinations into shorter prefixes, or spread the routes over more gateways"],
                );
            }
        }
    }

    fn vpn_route<'n>(&mut self, name: &str, key: &'n Node, node: &'n Node) -> Entry<'n> {
        let address =
            Address::new(Kind::VpnRoute, name).expect("entries are made of valid names only");
        let path = format!("vpn_routes.{name}");
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
                FIELDS,
                "an entry is a mapping: `vpn_gateway: vpn-...`, `route_dest`, `next_hop`, and optionally `weight`, `publish_vpc`, `region`, `depends_on`, `protect`",
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
