//! The desired-file YAML of the entries `import` makes: each entry's `id`, place and
//! references, its observed non-secret attributes written as managed (so that the next
//! plan adopts it with no update), and a comment where its secret's source would go
//! (an IPsec server's or a connection's PSK, a customer gateway's BGP key): the secret
//! itself is never written. A route has no `id`: its tuple is what names it. A client
//! certificate's material is never read: a comment says how to export it.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Entry, Found, KINDS};
use crate::address::Kind;
use crate::kinds::ipsec_server::{IkeConfig, IpsecConfig};

/// Keys YAML 1.1 readers would take for something other than a string.
const RESERVED: &[&str] = &["null", "true", "false", "yes", "no", "on", "off", "y", "n"];

/// The entries as printed: those of the one kind imported as they go under its key, or,
/// with several kinds, each kind's under a `# KEY:` comment. `indent` gives the indent
/// each kind's block has in the desired file.
pub(super) fn text(entries: &[Entry], kinds: &[Kind], indent: impl Fn(Kind) -> usize) -> String {
    if let [kind] = kinds {
        return self::entries(entries, *kind, indent(*kind));
    }
    let mut text = String::new();
    for kind in KINDS {
        let block = self::entries(entries, kind, indent(kind));
        if !block.is_empty() {
            text.push_str(&format!("# {}:\n{block}", kind.facts().desired_key));
        }
    }
    text
}

/// The entries of `kind` as desired-file YAML, each name at `indent` spaces.
pub(super) fn entries(entries: &[Entry], kind: Kind, indent: usize) -> String {
    entries
        .iter()
        .filter(|entry| entry.address.kind() == kind)
        .map(|entry| {
            // An answer the desired file could not hold (a name with a control
            // character, an algorithm vpnform does not know) stays observed: the entry
            // is written without the attributes rather than not at all. Checked alone,
            // its references by id (the addresses it names are checked with the file).
            let probe = format!(
                "version: 1\n{}:\n{}",
                kind.facts().desired_key,
                render_one(entry, 2, Attributes::Written, References::ById)
            );
            let attributes =
                if crate::config::load_str(Path::new("import"), &probe, &BTreeSet::new()).is_ok() {
                    Attributes::Written
                } else {
                    Attributes::Observed
                };
            render_one(entry, indent, attributes, References::AsNamed)
        })
        .collect()
}

/// Whether the observed attributes are written (managed) or left out (observed).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Attributes {
    Written,
    Observed,
}

/// How references are written: as the entry names them, or every one by its id.
#[derive(Clone, Copy, PartialEq, Eq)]
enum References {
    AsNamed,
    ById,
}

/// One entry.
fn render_one(entry: &Entry, indent: usize, attributes: Attributes, refs: References) -> String {
    let pad = " ".repeat(indent);
    let field = " ".repeat(indent + 2);
    let key = entry.address.name();
    let mut text = if RESERVED.contains(&key) {
        format!("{pad}\"{key}\":\n")
    } else {
        format!("{pad}{key}:\n")
    };
    let reference = |name: &str, id: &str| match refs {
        References::AsNamed => entry
            .references
            .get(name)
            .cloned()
            .unwrap_or_else(|| id.to_owned()),
        References::ById => id.to_owned(),
    };
    let mut lines = Lines {
        field: &field,
        text: &mut text,
    };
    // A route is named by its tuple: the entry has no `id`.
    if !matches!(entry.found, Found::VpnRoute(_)) {
        lines.put("id", entry.found.id().to_owned());
    }
    match &entry.found {
        Found::IpsecServer(server) => {
            lines.put("vpn_gateway", reference("vpn_gateway", &server.vpn_gateway));
            lines.put("region", server.region.clone());
            if attributes == Attributes::Written {
                lines.text_if("name", &server.name);
                lines.list("local_subnet", &server.local_subnet);
                lines.text_if("client_ip_pool", &server.client_ip_pool);
                lines.put("effect_immediately", server.effect_immediately.to_string());
                lines.ike(&server.ike_config);
                lines.ipsec(&server.ipsec_config);
            }
        }
        Found::CustomerGateway(gateway) => {
            lines.put("region", gateway.region.clone());
            if attributes == Attributes::Written {
                lines.text_if("ip_address", &gateway.ip_address);
                if let Some(asn) = gateway.asn {
                    lines.put("asn", asn.to_string());
                }
                lines.text_if("name", &gateway.name);
                lines.text_if("description", &gateway.description);
            }
        }
        Found::VpnConnection(connection) => {
            lines.put(
                "vpn_gateway",
                reference("vpn_gateway", &connection.vpn_gateway),
            );
            lines.put("region", connection.region.clone());
            if connection.tunnels.is_empty() {
                lines.put(
                    "customer_gateway",
                    reference("customer_gateway", &connection.customer_gateway),
                );
            } else {
                lines.text.push_str(&format!("{field}tunnels:\n"));
                for tunnel in &connection.tunnels {
                    let name = format!("tunnels.{}.customer_gateway", tunnel.role);
                    lines.text.push_str(&format!(
                        "{field}  - {{ customer_gateway: {}, role: {} }}\n",
                        reference(&name, &tunnel.customer_gateway),
                        tunnel.role
                    ));
                }
            }
            if attributes == Attributes::Written {
                lines.text_if("name", &connection.name);
                lines.list("local_subnet", &connection.local_subnet);
                lines.list("remote_subnet", &connection.remote_subnet);
                lines.put(
                    "effect_immediately",
                    connection.effect_immediately.to_string(),
                );
            }
        }
        Found::VpnGateway(gateway) => {
            lines.put("region", gateway.region.clone());
            if attributes == Attributes::Written {
                lines.text_if("name", &gateway.name);
                lines.text_if("description", &gateway.description);
                if let Some(on) = gateway.auto_propagate {
                    lines.put("auto_propagate", on.to_string());
                }
            }
        }
        // The tuple is the route's identity: always written.
        Found::VpnRoute(route) => {
            lines.put("vpn_gateway", reference("vpn_gateway", &route.vpn_gateway));
            lines.put("region", route.region.clone());
            if let Some(source) = &route.route_source {
                lines.put("route_source", quote(source));
            }
            lines.put("route_dest", quote(&route.route_dest));
            lines.put("next_hop", reference("next_hop", &route.next_hop));
            if attributes == Attributes::Written {
                lines.put("weight", route.weight.to_string());
                if let Some(priority) = route.priority {
                    lines.put("priority", priority.to_string());
                }
                lines.put("publish_vpc", route.publish_vpc.to_string());
            }
        }
        Found::SslVpnServer(server) => {
            lines.put("vpn_gateway", reference("vpn_gateway", &server.vpn_gateway));
            lines.put("region", server.region.clone());
            if attributes == Attributes::Written {
                lines.text_if("name", &server.name);
                lines.text_if("client_ip_pool", &server.client_ip_pool);
                lines.list("local_subnet", &server.local_subnet);
                lines.text_if("proto", &server.proto);
                if let Some(port) = server.port {
                    lines.put("port", port.to_string());
                }
                lines.text_if("cipher", &server.cipher);
                lines.put("compress", server.compress.to_string());
            }
        }
        Found::SslVpnClientCert(cert, gateway) => {
            let server = reference("ssl_vpn_server", &cert.ssl_vpn_server);
            // A server named by id, not an entry of the file: its gateway is the
            // certificate's lane, written since the file cannot tell it.
            if server == cert.ssl_vpn_server {
                lines.put("vpn_gateway", reference("vpn_gateway", gateway));
            }
            lines.put("ssl_vpn_server", server);
            lines.put("region", cert.region.clone());
            if attributes == Attributes::Written {
                lines.text_if("name", &cert.name);
            }
        }
    }
    if attributes == Attributes::Observed {
        text.push_str(&format!(
            "{field}# the cloud's attributes are not valid desired values: they stay observed\n"
        ));
    }
    let env = key.to_uppercase().replace('-', "_");
    match &entry.found {
        Found::IpsecServer(_) => text.push_str(&format!(
            "{field}# psk: {{ env: {env}_PSK }}  # the cloud holds this server's PSK: name its source to manage it\n"
        )),
        Found::VpnConnection(connection) if connection.tunnels.is_empty() => {
            text.push_str(&format!(
                "{field}# psk: {{ env: {env}_PSK }}  # the cloud holds this connection's PSK: name its source to manage it\n"
            ));
        }
        // Compared in memory, never shown: one key in both tunnels is one source.
        Found::VpnConnection(connection)
            if connection.tunnels.windows(2).all(|t| t[0].psk == t[1].psk) =>
        {
            text.push_str(&format!(
                "{field}# psk: {{ env: {env}_PSK }}  # the cloud holds each tunnel's PSK: name the source of the one both take to manage it\n"
            ));
        }
        Found::VpnConnection(_) => text.push_str(&format!(
            "{field}# the cloud holds each tunnel's own PSK: to manage them, add `psk: {{ env: {env}_MASTER_PSK }}` to the master tunnel and `psk: {{ env: {env}_SLAVE_PSK }}` to the slave\n"
        )),
        // Only a gateway that has a BGP key: one without has nothing to name.
        Found::CustomerGateway(gateway)
            if gateway
                .auth_key
                .as_ref()
                .is_some_and(|k| !k.expose().is_empty()) =>
        {
            text.push_str(&format!(
                "{field}# auth_key: {{ env: {env}_BGP_KEY }}  # the cloud holds this customer gateway's BGP key: name its source to manage it\n"
            ));
        }
        // The material stays in the cloud: read only by `vpnform export`.
        Found::SslVpnClientCert(..) => text.push_str(&format!(
            "{field}# the cloud holds this certificate's key and configuration: `vpnform export {} --dir DIR` writes them\n",
            entry.address
        )),
        Found::CustomerGateway(_)
        | Found::VpnGateway(_)
        | Found::VpnRoute(_)
        | Found::SslVpnServer(_) => {}
    }
    text
}

/// The lines of one entry's fields, at its fields' indent.
struct Lines<'a> {
    field: &'a str,
    text: &'a mut String,
}

impl Lines<'_> {
    fn put(&mut self, name: &str, value: String) {
        self.text
            .push_str(&format!("{}{name}: {value}\n", self.field));
    }

    /// A quoted string, unless the answer is empty (no value).
    fn text_if(&mut self, name: &str, value: &str) {
        if !value.is_empty() {
            self.put(name, quote(value));
        }
    }

    /// A comma-separated answer as a list of quoted strings, unless it is empty.
    fn list(&mut self, name: &str, value: &str) {
        let items: Vec<String> = value
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(quote)
            .collect();
        if !items.is_empty() {
            self.put(name, format!("[{}]", items.join(", ")));
        }
    }

    fn ike(&mut self, ike: &IkeConfig) {
        let fields = [
            ("ike_version", text_of(&ike.ike_version)),
            ("ike_mode", text_of(&ike.ike_mode)),
            ("ike_enc_alg", text_of(&ike.ike_enc_alg)),
            ("ike_auth_alg", text_of(&ike.ike_auth_alg)),
            ("ike_pfs", text_of(&ike.ike_pfs)),
            ("ike_lifetime", ike.ike_lifetime.map(|l| l.to_string())),
            ("local_id", text_of(&ike.local_id)),
            ("remote_id", text_of(&ike.remote_id)),
        ];
        if let Some(flow) = flow_map(&fields) {
            self.put("ike_config", flow);
        }
    }

    fn ipsec(&mut self, ipsec: &IpsecConfig) {
        let fields = [
            ("ipsec_enc_alg", text_of(&ipsec.ipsec_enc_alg)),
            ("ipsec_auth_alg", text_of(&ipsec.ipsec_auth_alg)),
            ("ipsec_pfs", text_of(&ipsec.ipsec_pfs)),
            (
                "ipsec_lifetime",
                ipsec.ipsec_lifetime.map(|l| l.to_string()),
            ),
        ];
        if let Some(flow) = flow_map(&fields) {
            self.put("ipsec_config", flow);
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

/// An answered text as a quoted value; an empty answer (a `LocalId` never set) is none.
fn text_of(v: &Option<String>) -> Option<String> {
    v.as_deref().filter(|s| !s.is_empty()).map(quote)
}

/// `{ a: 1, b: "x" }` of the fields that have a value; `None` if none has.
fn flow_map(fields: &[(&str, Option<String>)]) -> Option<String> {
    let set: Vec<String> = fields
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
        .collect();
    (!set.is_empty()).then(|| format!("{{ {} }}", set.join(", ")))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::kinds::ipsec_server::IpsecServer;

    fn server() -> IpsecServer {
        IpsecServer {
            id: "iss-a".into(),
            name: "Office".into(),
            vpn_gateway: "vpn-a".into(),
            region: "cn-hangzhou".into(),
            local_subnet: "192.168.0.0/24,10.1.0.0/16".into(),
            client_ip_pool: "10.10.0.0/16".into(),
            internet_ip: "47.98.1.1".into(),
            psk_enabled: true,
            creation_time: "2024-01-02T03:04:05Z".into(),
            psk: None,
            effect_immediately: false,
            multi_factor_auth_enabled: false,
            online_client_count: 0,
            max_connections: 5,
            ike_config: IkeConfig {
                ike_version: Some("ikev2".into()),
                ike_mode: Some("main".into()),
                ike_enc_alg: Some("aes".into()),
                ike_auth_alg: Some("sha1".into()),
                ike_pfs: Some("group2".into()),
                ike_lifetime: Some(86400),
                local_id: Some("47.98.1.1".into()),
                remote_id: Some("office".into()),
            },
            ipsec_config: IpsecConfig {
                ipsec_enc_alg: Some("aes".into()),
                ipsec_auth_alg: Some("sha1".into()),
                ipsec_pfs: Some("group2".into()),
                ipsec_lifetime: Some(86400),
            },
        }
    }

    #[test]
    fn an_entry_with_every_attribute_validates_as_written() {
        let entry = Entry {
            address: "ipsec_server.office".parse().unwrap(),
            found: Found::IpsecServer(server()),
            references: BTreeMap::new(),
        };
        let text = render_one(&entry, 2, Attributes::Written, References::AsNamed);
        let doc = format!("version: 1\nipsec_servers:\n{text}");
        let loaded = crate::config::load_str(Path::new("import"), &doc, &BTreeSet::new());
        assert!(loaded.is_ok(), "{doc}\n{}", loaded.unwrap_err());
        assert_eq!(
            text,
            r#"  office:
    id: iss-a
    vpn_gateway: vpn-a
    region: cn-hangzhou
    name: "Office"
    local_subnet: ["192.168.0.0/24", "10.1.0.0/16"]
    client_ip_pool: "10.10.0.0/16"
    effect_immediately: false
    ike_config: { ike_version: "ikev2", ike_mode: "main", ike_enc_alg: "aes", ike_auth_alg: "sha1", ike_pfs: "group2", ike_lifetime: 86400, local_id: "47.98.1.1", remote_id: "office" }
    ipsec_config: { ipsec_enc_alg: "aes", ipsec_auth_alg: "sha1", ipsec_pfs: "group2", ipsec_lifetime: 86400 }
    # psk: { env: OFFICE_PSK }  # the cloud holds this server's PSK: name its source to manage it
"#
        );
    }
}
