//! The SSL-VPN kinds' entries: `ssl_vpn_servers` (one per VPN gateway; `local_subnet`
//! of at most five blocks; a port the API allows) and `ssl_vpn_client_certs` (each on
//! its server's gateway, which is its lane: taken from the server's entry, or written
//! as `vpn_gateway` when the certificate names by id a server the file does not hold).

use std::collections::BTreeMap;

use super::{Checker, Entry, attributes};
use crate::Address;
use crate::address::Kind;
use crate::config::raw::{Node, Value};
use crate::kinds::ssl_vpn_server::{CIPHERS, FORBIDDEN_PORTS, MAX_LOCAL_SUBNETS, PROTOS};
use crate::yaml::shown;

const SERVER_FIELDS: &[&str] = &[
    "id",
    "vpn_gateway",
    "region",
    "name",
    "client_ip_pool",
    "local_subnet",
    "proto",
    "port",
    "cipher",
    "compress",
    "depends_on",
    "protect",
];

const CERT_FIELDS: &[&str] = &[
    "id",
    "ssl_vpn_server",
    "vpn_gateway",
    "region",
    "name",
    "depends_on",
    "protect",
];

fn entry<'n>(address: Address, key: &'n Node) -> Entry<'n> {
    Entry {
        address,
        name: key,
        id: None,
        creates: false,
        vpn_gateway: None,
        // One per gateway among SSL-VPN servers only: checked here, not as an IPsec
        // server's (a gateway may hold one of each).
        vpn_gateway_node: None,
        region: None,
        region_written: false,
        depends_on: Vec::new(),
        protect: false,
        attributes: attributes::Read::default(),
        values: Vec::new(),
        ip_address: None,
    }
}

impl<'t> Checker<'t> {
    /// `ssl_vpn_servers`, then `ssl_vpn_client_certs` (which name the servers), as
    /// entries.
    pub(super) fn ssl_vpn<'n>(
        &mut self,
        servers: Option<&'n Node>,
        certs: Option<&'n Node>,
    ) -> Vec<Entry<'n>> {
        let mut entries = Vec::new();
        if let Some(node) = servers {
            let named = self.named_entries(
                node,
                "ssl_vpn_servers",
                "write one entry per server under `ssl_vpn_servers:`, e.g. `staff: {vpn_gateway: vpn-..., client_ip_pool: 10.30.0.0/16, local_subnet: [10.0.0.0/16]}`",
            );
            for (name, key, value) in named {
                entries.push(self.ssl_vpn_server(&name, key, value));
            }
            self.one_server_per_gateway(&entries);
        }
        if let Some(node) = certs {
            let named = self.named_entries(
                node,
                "ssl_vpn_client_certs",
                "write one entry per certificate under `ssl_vpn_client_certs:`, e.g. `alice: {ssl_vpn_server: ssl_vpn_server.staff, name: alice}`",
            );
            let mut certs = Vec::new();
            for (name, key, value) in named {
                certs.push(self.ssl_vpn_client_cert(&name, key, value, &entries));
            }
            entries.extend(certs);
        }
        entries
    }

    fn one_server_per_gateway(&mut self, servers: &[Entry]) {
        let mut first: BTreeMap<&str, &Entry> = BTreeMap::new();
        for server in servers {
            let Some(gateway) = server.vpn_gateway.as_deref() else {
                continue;
            };
            match first.get(gateway) {
                Some(other) => {
                    let message = format!(
                        "{} and {} are both SSL-VPN servers on {gateway}, and a VPN gateway holds one",
                        other.address, server.address
                    );
                    self.error(
                        server.name,
                        message,
                        &["give each server its own gateway, or remove one of them"],
                    );
                }
                None => {
                    first.insert(gateway, server);
                }
            }
        }
    }

    fn ssl_vpn_server<'n>(&mut self, name: &str, key: &'n Node, node: &'n Node) -> Entry<'n> {
        let address =
            Address::new(Kind::SslVpnServer, name).expect("entries are made of valid names only");
        let path = format!("ssl_vpn_servers.{name}");
        let mut entry = entry(address, key);
        let fields = if node.value == Value::Null {
            Some(BTreeMap::new())
        } else {
            self.fields(
                node,
                &path,
                &format!("`{path}`"),
                SERVER_FIELDS,
                "an entry is a mapping: `vpn_gateway: vpn-...`, `client_ip_pool`, `local_subnet`, and optionally `name`, `proto`, `port`, `cipher`, `compress`, `id`, `region`, `depends_on`, `protect`",
            )
        };
        let Some(fields) = fields else {
            entry.region_written = true;
            return entry;
        };
        match fields.get("id") {
            None => entry.creates = true,
            Some((_, node)) => {
                entry.id = self
                    .resource_id(
                        node,
                        &format!("{path}.id"),
                        crate::kinds::ssl_vpn_server::KIND.id_prefix,
                        "an SSL-VPN server",
                        "id: vss-bp1hkhmkd3uf5eyfabcd",
                    )
                    .map(|id| (id, *node));
            }
        }
        match fields.get("vpn_gateway") {
            None => {
                self.error(key, format!("missing `vpn_gateway` in `{path}`"), &[
                    "add the VPN gateway the server is on: its id (`vpn_gateway: vpn-...`) or its address (`vpn_gateway: vpn_gateway.hz`)",
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
        if let Some((_, node)) = fields.get("name") {
            let help = "write 1 to 100 characters, e.g. `name: staff`";
            if let Some(text) = self.string(node, &format!("{path}.name"), help) {
                match crate::config::attributes::ServerName::parse(&text) {
                    Ok(_) => values.push(("name", text)),
                    Err(why) => {
                        self.error(
                            node,
                            format!("`{}` in `{path}.name` is not valid: {why}", shown(&text)),
                            &[help],
                        );
                    }
                }
            }
        }
        if let Some((_, node)) = fields.get("client_ip_pool") {
            let field = format!("{path}.client_ip_pool");
            if let Value::Seq(_) = node.value {
                self.wrong_type(
                    node,
                    "one CIDR block",
                    &field,
                    "write `client_ip_pool: 10.30.0.0/16`",
                );
            } else if let [(net, _)] = self.local_subnet(node, &field)[..] {
                values.push(("client_ip_pool", net.to_string()));
            }
        }
        if let Some((_, node)) = fields.get("local_subnet") {
            let field = format!("{path}.local_subnet");
            let count = match &node.value {
                Value::Seq(items) => items.len(),
                _ => 1,
            };
            if count > MAX_LOCAL_SUBNETS {
                self.error(
                    node,
                    format!(
                        "`{field}` lists {count} CIDR blocks, and an SSL-VPN server's local subnet lists at most {MAX_LOCAL_SUBNETS}"
                    ),
                    &["merge adjacent blocks into a shorter prefix, or reach the rest through a route"],
                );
            } else {
                let nets = self.local_subnet(node, &field);
                if !nets.is_empty() {
                    let texts: Vec<String> = nets.iter().map(|(n, _)| n.to_string()).collect();
                    values.push(("local_subnet", texts.join(",")));
                }
            }
        }
        for (field, allowed) in [("proto", &PROTOS[..]), ("cipher", &CIPHERS[..])] {
            let Some((_, node)) = fields.get(field) else {
                continue;
            };
            let help = format!("write one of {}", allowed.join(", "));
            let Some(text) = self.string(node, &format!("{path}.{field}"), &help) else {
                continue;
            };
            if allowed.contains(&text.as_str()) {
                values.push((field, text));
            } else {
                self.error(
                    node,
                    format!(
                        "`{}` in `{path}.{field}` is not one of {}",
                        shown(&text),
                        allowed.join(", ")
                    ),
                    &[&help],
                );
            }
        }
        if let Some((_, node)) = fields.get("port") {
            self.port(node, &format!("{path}.port"), &mut values);
        }
        if let Some((_, node)) = fields.get("compress")
            && let Some(on) = self.boolean(node, &format!("{path}.compress"))
        {
            values.push(("compress", on.to_string()));
        }
        if entry.creates {
            let missing: Vec<&str> = ["client_ip_pool", "local_subnet"]
                .into_iter()
                .filter(|field| !fields.contains_key(field))
                .collect();
            if !missing.is_empty() {
                self.error(
                    key,
                    format!(
                        "{} has no `id`, so vpnform creates it, and a create needs `{}`",
                        entry.address,
                        missing.join("` and `")
                    ),
                    &["add `client_ip_pool: 10.30.0.0/16` and `local_subnet: [10.0.0.0/16]` (your blocks), or the `id` of the existing server (`id: vss-...`)"],
                );
            }
        }
        let order = |field: &str| {
            crate::kinds::ssl_vpn_server::KIND
                .attributes
                .iter()
                .position(|a| a.name == field)
                .unwrap_or(usize::MAX)
        };
        values.sort_by_key(|(field, _)| order(field));
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

    /// `port`: 1 to 65535, none the API reserves (refused with the list).
    fn port(&mut self, node: &Node, path: &str, values: &mut Vec<(&'static str, String)>) {
        let reserved: Vec<String> = FORBIDDEN_PORTS.iter().map(u32::to_string).collect();
        let help = format!(
            "write a port from 1 to 65535 other than {} (the default is 1194)",
            reserved.join(", ")
        );
        let port = match node.value {
            Value::Int(n) if (1..=65535).contains(&n) => n as u32,
            Value::Int(n) => {
                self.error(
                    node,
                    format!("port {n} in `{path}` is not 1 to 65535"),
                    &[&help],
                );
                return;
            }
            _ => {
                self.wrong_type(node, "a port number", path, &help);
                return;
            }
        };
        if FORBIDDEN_PORTS.contains(&port) {
            self.error(
                node,
                format!(
                    "port {port} in `{path}` is reserved: an SSL-VPN server listens on none of {}",
                    reserved.join(", ")
                ),
                &[&help],
            );
            return;
        }
        values.push(("port", port.to_string()));
    }

    fn ssl_vpn_client_cert<'n>(
        &mut self,
        name: &str,
        key: &'n Node,
        node: &'n Node,
        servers: &[Entry<'n>],
    ) -> Entry<'n> {
        let address = Address::new(Kind::SslVpnClientCert, name)
            .expect("entries are made of valid names only");
        let path = format!("ssl_vpn_client_certs.{name}");
        let mut entry = entry(address, key);
        let fields = if node.value == Value::Null {
            Some(BTreeMap::new())
        } else {
            self.fields(
                node,
                &path,
                &format!("`{path}`"),
                CERT_FIELDS,
                "an entry is a mapping: `ssl_vpn_server: ssl_vpn_server.NAME`, and optionally `name`, `id`, `region`, `depends_on`, `protect`",
            )
        };
        let Some(fields) = fields else {
            entry.region_written = true;
            return entry;
        };
        match fields.get("id") {
            None => entry.creates = true,
            Some((_, node)) => {
                entry.id = self
                    .resource_id(
                        node,
                        &format!("{path}.id"),
                        crate::kinds::ssl_vpn_client_cert::KIND.id_prefix,
                        "an SSL-VPN client certificate",
                        "id: vsc-bp1hkhmkd3uf5eyfabcd",
                    )
                    .map(|id| (id, *node));
            }
        }
        if let Some((_, node)) = fields.get("region") {
            entry.region_written = true;
            entry.region = self.region(node, &format!("{path}.region"));
        }
        let written_gateway = match fields.get("vpn_gateway") {
            Some((_, node)) => Some((self.gateway(node, &path, &mut entry.depends_on), *node)),
            None => None,
        };
        let help = "write the server's address in this file (`ssl_vpn_server: ssl_vpn_server.staff`) or its id (`vss-...`)";
        let mut values = Vec::new();
        match fields.get("ssl_vpn_server") {
            None => {
                self.error(
                    key,
                    format!("missing `ssl_vpn_server` in `{path}`"),
                    &[help],
                );
            }
            Some((_, node)) => {
                let field = format!("{path}.ssl_vpn_server");
                if let Some(text) = self.string(node, &field, help) {
                    let server = match text.parse::<Address>() {
                        Ok(target) if target.kind() == Kind::SslVpnServer => {
                            entry.depends_on.push((target.clone(), *node));
                            let found = servers.iter().find(|s| s.address == target);
                            if found.is_none() {
                                self.error(
                                    node,
                                    format!("`{field}` names {target}, which is not an entry of `ssl_vpn_servers`"),
                                    &["add the server under `ssl_vpn_servers:`, or write its id (`vss-...`) and its `vpn_gateway`"],
                                );
                            }
                            Some((text, found))
                        }
                        _ if crate::id::is_id(
                            &text,
                            crate::kinds::ssl_vpn_server::KIND.id_prefix,
                        ) =>
                        {
                            let found = servers
                                .iter()
                                .find(|s| s.id.as_ref().is_some_and(|(id, _)| *id == text));
                            Some((text, found))
                        }
                        _ => {
                            self.error(
                                node,
                                format!(
                                    "`{}` in `{field}` is neither an SSL-VPN server's address nor its id",
                                    shown(&text)
                                ),
                                &[help],
                            );
                            None
                        }
                    };
                    if let Some((named, found)) = server {
                        // The certificate is on its server's gateway's lane.
                        match (found, &written_gateway) {
                            (Some(server), Some((Some(gateway), gateway_node)))
                                if server.vpn_gateway.as_ref().is_some_and(|g| g != gateway) =>
                            {
                                let message = format!(
                                    "`{path}.vpn_gateway` is {gateway}, and its server {} is on {}",
                                    server.address,
                                    server.vpn_gateway.as_deref().unwrap_or_default()
                                );
                                self.error(gateway_node, message, &[
                                    "remove `vpn_gateway`: a certificate is on its server's gateway",
                                ]);
                            }
                            (Some(server), _) => {
                                entry.vpn_gateway = server.vpn_gateway.clone();
                                if entry.region.is_none() {
                                    entry.region = server.region.clone();
                                }
                            }
                            (None, Some((gateway, _))) => entry.vpn_gateway = gateway.clone(),
                            (None, None) if !named.contains('.') => {
                                self.error(
                                    node,
                                    format!(
                                        "`{field}` names {named} by id, a server this file does not hold, so vpnform does not know its VPN gateway"
                                    ),
                                    &["name the server by address (an entry of `ssl_vpn_servers`), or add the gateway it is on: `vpn_gateway: vpn-...`"],
                                );
                            }
                            (None, None) => {}
                        }
                        values.push(("ssl_vpn_server", named));
                    }
                }
            }
        }
        if let Some((_, node)) = fields.get("name") {
            let help = "write 1 to 100 characters, e.g. `name: alice`";
            if let Some(text) = self.string(node, &format!("{path}.name"), help) {
                match crate::config::attributes::ServerName::parse(&text) {
                    Ok(_) => values.push(("name", text)),
                    Err(why) => {
                        self.error(
                            node,
                            format!("`{}` in `{path}.name` is not valid: {why}", shown(&text)),
                            &[help],
                        );
                    }
                }
            }
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
