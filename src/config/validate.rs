//! From the raw tree to [`DesiredServer`]s: checks the shape (known fields, types, no
//! duplicate keys), each value (ids, regions, names, addresses) and the whole (one entry
//! per server id, `depends_on` that resolve, no cycles). Every problem becomes a
//! [`Diagnostic`]; nothing stops at the first one, so the user fixes a file in one pass.

mod attributes;
mod ssl_vpn;
mod vpn_route;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::error::{Diagnostic, Label};
use super::model::{DesiredServer, Moved};
use super::raw::{Node, Pos, Value};
use crate::Address;
use crate::address::{IPSEC_SERVER, Kind, MAX_NAME_CHARS, is_name};
use crate::regions;
use crate::secret::PskSource;
use crate::suggest;
use crate::yaml::shown;

const TOP_FIELDS: &[&str] = &[
    "version",
    "required_version",
    "defaults",
    "backend",
    "ipsec_servers",
    "customer_gateways",
    "vpn_connections",
    "vpn_gateways",
    "ssl_vpn_servers",
    "ssl_vpn_client_certs",
    "vpn_routes",
    "vpn_policy_routes",
    "moved",
];
const DEFAULTS_FIELDS: &[&str] = &["region"];
const MOVED_FIELDS: &[&str] = &["from", "to"];
const BACKEND_FIELDS: &[&str] = &["postgres"];
const POSTGRES_FIELDS: &[&str] = &["schema"];
const SERVER_FIELDS: &[&str] = &[
    "id",
    "vpn_gateway",
    "region",
    "name",
    "local_subnet",
    "client_ip_pool",
    "psk",
    "effect_immediately",
    "ike_config",
    "ipsec_config",
    "depends_on",
    "protect",
];

const CUSTOMER_GATEWAY_FIELDS: &[&str] = &[
    "id",
    "region",
    "ip_address",
    "asn",
    "name",
    "description",
    "auth_key",
    "depends_on",
    "protect",
];

const CONNECTION_FIELDS: &[&str] = &[
    "id",
    "vpn_gateway",
    "region",
    "customer_gateway",
    "local_subnet",
    "remote_subnet",
    "psk",
    "name",
    "effect_immediately",
    "tunnels",
    "depends_on",
    "protect",
];

const TUNNEL_FIELDS: &[&str] = &["customer_gateway", "role", "psk"];

const GATEWAY_FIELDS: &[&str] = &[
    "id",
    "region",
    "name",
    "description",
    "auto_propagate",
    "depends_on",
    "protect",
    // Refused with the reason below when written.
    "bandwidth",
    "ssl_vpn",
    "ssl_connections",
    "ipsec_vpn",
    "charge_type",
    "vpc",
    "vswitch",
    "dr_vswitch",
    "network_type",
    "vpn_type",
];

/// Why a gateway's billing, capacity and placement are not the desired file's.
const GATEWAY_FIXED: &str = "the API has no call that changes it, and a replaced gateway gets a new public IP address and drops every tunnel: vpnform never replaces a VPN gateway; change it in the console, and remove it from this entry (vpnform records what the cloud answers)";

/// The most IPsec connections a VPN gateway holds.
const CONNECTIONS_PER_GATEWAY: usize = 10;

/// The most `depends_on` items of one cycle quoted under its message (all members are
/// named in the message itself): a 100,000-entry cycle is one line, not 300,000.
const CYCLE_SNIPPETS: usize = 10;

const EMPTY_REFUSAL: &str = "refusing to treat an empty desired state as 'delete everything'";
const EMPTY_HELP: &str = "list the IPsec servers to keep under `ipsec_servers:`; to delete every recorded server, write `ipsec_servers: {}`";
/// The same for a file that names no kind at all.
const NO_KIND_HELP: &str = "list what to keep under its kind's key (`ipsec_servers:`, `vpn_gateways:`, `customer_gateways:`, `vpn_connections:`, `vpn_routes:`, `vpn_policy_routes:`, `ssl_vpn_servers:`, `ssl_vpn_client_certs:`); to delete everything of a kind the state records, write its key as `{}` (e.g. `ipsec_servers: {}`)";

/// A valid file's entries by address, and its moves.
type Validated = (BTreeMap<Address, DesiredServer>, Vec<Moved>);

/// Validates the tree of a file whose text is `text`. `recorded` are the addresses in
/// the recorded state, which `depends_on` may name too.
/// `dir` is the file's directory, which `psk: {file: PATH}` paths are relative to.
pub(super) fn validate(
    text: &str,
    root: &Node,
    recorded: &BTreeSet<Address>,
    dir: &Path,
) -> Result<Validated, Vec<Diagnostic>> {
    let mut checker = Checker {
        lines: super::source_lines(text),
        diagnostics: Vec::new(),
        dir: dir.to_owned(),
        secrets: Vec::new(),
        gateway_ids: BTreeMap::new(),
    };
    checker.tags(root);
    let servers = checker.file(root, recorded);
    // Checked against the entries once they are sound: a move names one of them.
    let moved_node = match &root.value {
        Value::Map(entries) if checker.diagnostics.is_empty() => entries
            .iter()
            .find(|(k, _)| k.value.scalar_text().as_deref() == Some("moved"))
            .map(|(_, v)| v),
        _ => None,
    };
    let moved = match moved_node {
        Some(node) => {
            let desired: BTreeSet<&str> = servers.keys().map(Address::as_str).collect();
            checker.moved(node, &desired)
        }
        None => Vec::new(),
    };
    let mut diagnostics = checker.diagnostics;
    attributes::mask_secrets(&mut diagnostics, &checker.secrets);
    if diagnostics.is_empty() {
        Ok((servers, moved))
    } else {
        // Stable: problems at one place keep the order they were found in.
        diagnostics.sort_by_key(|d| (d.line, d.column));
        Err(diagnostics)
    }
}

/// The `backend` key of a file whose tree is `root`, checked alone (the rest of the
/// file is checked by [`validate`]): the postgres schema, or `None` for the local
/// backend.
pub(super) fn backend(text: &str, root: &Node) -> Result<Option<String>, Vec<Diagnostic>> {
    let Value::Map(pairs) = &root.value else {
        return Ok(None);
    };
    let Some((_, node)) = pairs
        .iter()
        .find(|(k, _)| k.value == Value::Str("backend".into()))
    else {
        return Ok(None);
    };
    let mut checker = Checker {
        lines: super::source_lines(text),
        diagnostics: Vec::new(),
        dir: std::path::PathBuf::new(),
        secrets: Vec::new(),
        gateway_ids: BTreeMap::new(),
    };
    let schema = checker.backend(node);
    if checker.diagnostics.is_empty() {
        Ok(schema)
    } else {
        Err(checker.diagnostics)
    }
}

/// A syntax error from the YAML parser, as a diagnostic like the others.
pub(super) fn syntax_error(text: &str, err: &serde_saphyr::Error) -> Diagnostic {
    use serde_saphyr::MessageFormatter;
    let inner = err.without_snippet();
    let message: String = serde_saphyr::UserMessageFormatter
        .format_message(inner)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut pos = match err.location() {
        Some(loc) if loc.line() > 0 => Pos {
            line: loc.line(),
            column: loc.column().max(1),
        },
        _ => Pos::START,
    };
    let lines = super::source_lines(text);
    // The parser meets a tab that indents a line while it is still reading the line
    // before (a plain value may go on over several lines), and says so there: the tab
    // is shown where it is.
    let indenting_tab = message
        .contains("tab")
        .then(|| indenting_tab(&lines, pos.line))
        .flatten();
    if let Some(at) = indenting_tab {
        pos = at;
    }
    let checker = Checker {
        lines,
        diagnostics: Vec::new(),
        dir: Default::default(),
        secrets: Vec::new(),
        gateway_ids: BTreeMap::new(),
    };
    let message = match indenting_tab {
        Some(_) => "a tab in the indentation".to_owned(),
        None => message,
    };
    let mut diagnostic = checker.diagnostic(pos, 1, message, None);
    // A limit met while expanding an alias comes wrapped in where the alias was.
    let mut original = inner;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = original
    {
        original = error;
    }
    let help = match original {
        serde_saphyr::Error::MultipleDocuments { .. } => {
            "a desired-state file is one YAML document: remove the `---` that starts another one, and what follows it"
        }
        serde_saphyr::Error::Budget { breach, .. } => {
            diagnostic.message = crate::yaml::parser_limit(text, breach);
            "the limits stop files that expand without end (aliases of aliases) or nest without end: write the entries out without aliases, or nest less"
        }
        _ if indenting_tab.is_some() => "tabs are not allowed in YAML indentation; use spaces",
        _ => "fix the YAML syntax at this place",
    };
    diagnostic.help.push(help.to_owned());
    diagnostic
}

/// The first tab in the indentation of a line from `from` (1-based) on: its position.
/// Blank lines are skipped (a tab there indents nothing).
fn indenting_tab(lines: &[&str], from: u64) -> Option<Pos> {
    lines
        .iter()
        .enumerate()
        .skip(from.saturating_sub(1) as usize)
        .find_map(|(i, line)| {
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            let column = line[..indent].find('\t')?;
            (indent < line.len()).then_some(Pos {
                line: i as u64 + 1,
                column: column as u64 + 1,
            })
        })
}

/// Text that is not UTF-8, located at the first bad byte.
pub(super) fn not_utf8(bytes: &[u8], err: &std::str::Utf8Error) -> Diagnostic {
    let good = String::from_utf8_lossy(&bytes[..err.valid_up_to()]);
    let good_lines = super::source_lines(&good);
    let line = good_lines.len() as u64;
    let column = good_lines.last().map_or(0, |l| l.chars().count()) as u64 + 1;
    let whole = String::from_utf8_lossy(bytes);
    let checker = Checker {
        lines: super::source_lines(&whole),
        diagnostics: Vec::new(),
        dir: Default::default(),
        secrets: Vec::new(),
        gateway_ids: BTreeMap::new(),
    };
    let mut diagnostic = checker.diagnostic(
        Pos { line, column },
        1,
        "the file is not UTF-8 text".to_owned(),
        None,
    );
    diagnostic
        .help
        .push("save the file as UTF-8 (YAML files are UTF-8)".to_owned());
    diagnostic
}

/// The `required_version` problem of a file whose tree is `root`, if any: checked
/// before anything else, also by commands that do not validate the whole file.
pub(super) fn required_version(text: &str, root: &Node) -> Option<Diagnostic> {
    let Value::Map(entries) = &root.value else {
        return None;
    };
    let (_, node) = entries
        .iter()
        .find(|(key, _)| key.value == Value::Str("required_version".to_owned()))?;
    let checker = Checker {
        lines: super::source_lines(text),
        diagnostics: Vec::new(),
        dir: Default::default(),
        secrets: Vec::new(),
        gateway_ids: BTreeMap::new(),
    };
    checker.required_version(node)
}

struct Checker<'t> {
    lines: Vec<&'t str>,
    diagnostics: Vec<Diagnostic>,
    /// The desired file's directory (`psk: {file}` paths are relative to it).
    dir: std::path::PathBuf,
    /// Literal keys written in the file (place, width): masked in every snippet.
    secrets: Vec<(Pos, u64)>,
    /// The `vpn_gateways` entries and their ids: what `vpn_gateway: vpn_gateway.NAME`
    /// names.
    gateway_ids: BTreeMap<Address, String>,
}

/// One entry under `ipsec_servers` as far as it could be read.
struct Entry<'n> {
    address: Address,
    /// The entry's name key.
    name: &'n Node,
    id: Option<(String, &'n Node)>,
    /// `id` not written: vpnform creates the server.
    creates: bool,
    vpn_gateway: Option<String>,
    vpn_gateway_node: Option<&'n Node>,
    region: Option<String>,
    /// Whether `region` was written (even if wrong), or the entry is unreadable: then a
    /// missing default is moot.
    region_written: bool,
    depends_on: Vec<(Address, &'n Node)>,
    protect: bool,
    attributes: attributes::Read<'n>,
    /// The managed values, as [`DesiredServer::values`].
    values: Vec<(&'static str, String)>,
    /// A customer gateway's `ip_address` and where it is written: one per region.
    ip_address: Option<(String, &'n Node)>,
}

impl<'t> Checker<'t> {
    fn diagnostic(
        &self,
        pos: Pos,
        width: u64,
        message: String,
        label: Option<String>,
    ) -> Diagnostic {
        Diagnostic {
            line: pos.line,
            column: pos.column,
            message,
            labels: vec![self.label(pos, width, true, label.unwrap_or_default())],
            help: Vec::new(),
        }
    }

    fn label(&self, pos: Pos, width: u64, primary: bool, text: String) -> Label {
        let line = self
            .lines
            .get((pos.line as usize).wrapping_sub(1))
            .map(|l| l.trim_end_matches('\r'))
            .unwrap_or_default();
        let (source_line, source_column) = crate::yaml::excerpt(line, pos.column);
        Label {
            line: pos.line,
            column: pos.column,
            width,
            primary,
            text,
            source_line,
            source_column,
        }
    }

    /// Reports a problem at `node` (underlined when it is a scalar).
    fn error(&mut self, node: &Node, message: String, help: &[&str]) -> &mut Diagnostic {
        let width = match node.value {
            Value::Seq(_) | Value::Map(_) => 1,
            _ => node.width,
        };
        let mut diagnostic = self.diagnostic(node.pos, width, message, None);
        diagnostic.help = help.iter().map(|h| (*h).to_owned()).collect();
        self.diagnostics.push(diagnostic);
        self.diagnostics.last_mut().expect("just pushed")
    }

    fn wrong_type(&mut self, node: &Node, expected: &str, path: &str, help: &str) {
        self.error(
            node,
            format!(
                "expected {expected} for `{path}`, found {}",
                node.value.kind()
            ),
            &[help],
        );
    }

    // ----- the file, top down -----

    fn file(
        &mut self,
        root: &Node,
        recorded: &BTreeSet<Address>,
    ) -> BTreeMap<Address, DesiredServer> {
        if root.value == Value::Null {
            // Nothing to point at: no snippet.
            self.diagnostics.push(Diagnostic {
                line: 1,
                column: 1,
                message: format!("the desired-state file is empty: {EMPTY_REFUSAL}"),
                labels: Vec::new(),
                help: vec![NO_KIND_HELP.to_owned()],
            });
            return BTreeMap::new();
        }
        let Some(fields) = self.fields(
            root,
            "",
            "the top level",
            TOP_FIELDS,
            "a desired-state file is a mapping with `version`, `defaults` and `ipsec_servers`",
        ) else {
            return BTreeMap::new();
        };

        if let Some((_, node)) = fields.get("required_version")
            && let Some(problem) = self.required_version(node)
        {
            // A file written for another vpnform may hold what this one does not read:
            // the version it needs is the one thing worth saying.
            self.diagnostics = vec![problem];
            return BTreeMap::new();
        }

        match fields.get("version") {
            None => {
                self.error(
                    root,
                    "missing `version`".to_owned(),
                    &["add `version: 1` at the top of the file"],
                );
            }
            Some((_, node)) => self.version(node),
        }

        if let Some((_, node)) = fields.get("backend") {
            self.backend(node);
        }

        let mut default_region = None;
        let mut default_region_written = false;
        if let Some((_, node)) = fields.get("defaults") {
            match self.fields(
                node,
                "defaults",
                "`defaults`",
                DEFAULTS_FIELDS,
                "write `defaults:` with an indented `region: cn-hangzhou` under it",
            ) {
                Some(defaults) => {
                    if let Some((_, region)) = defaults.get("region") {
                        default_region_written = true;
                        default_region = self.region(region, "defaults.region");
                    }
                }
                // Unreadable (reported): entries without a region are not blamed for it.
                None => default_region_written = true,
            }
        }

        // The gateways first: the other kinds may name them by address.
        let gateways = match fields.get("vpn_gateways") {
            Some((_, node)) => self.gateways(node),
            None => Vec::new(),
        };
        // An entry with an id is that id; one vpnform creates is its address (resolved
        // by the planner once recorded, by apply once created).
        self.gateway_ids = gateways
            .iter()
            .map(|g| {
                let id =
                    g.id.as_ref()
                        .map_or_else(|| g.address.to_string(), |(id, _)| id.clone());
                (g.address.clone(), id)
            })
            .collect();
        let mut entries = match fields.get("ipsec_servers") {
            // Entries of another kind only: none of this one.
            None if fields.contains_key("customer_gateways")
                || fields.contains_key("vpn_connections")
                || fields.contains_key("vpn_gateways")
                || fields.contains_key("ssl_vpn_servers")
                || fields.contains_key("ssl_vpn_client_certs")
                || fields.contains_key("vpn_routes")
                || fields.contains_key("vpn_policy_routes") =>
            {
                Vec::new()
            }
            None => {
                self.error(
                    root,
                    format!("no kind of resource in the desired-state file: {EMPTY_REFUSAL}"),
                    &[NO_KIND_HELP],
                );
                return BTreeMap::new();
            }
            Some((key, node)) if node.value == Value::Null => {
                self.error(
                    key,
                    format!("`ipsec_servers` is empty: {EMPTY_REFUSAL}"),
                    &[EMPTY_HELP],
                );
                return BTreeMap::new();
            }
            Some((_, node)) => self.servers(node),
        };
        if let Some((_, node)) = fields.get("customer_gateways") {
            entries.extend(self.customer_gateways(node));
        }
        if let Some((_, node)) = fields.get("vpn_connections") {
            entries.extend(self.connections(node));
        }
        entries.extend(self.ssl_vpn(
            fields.get("ssl_vpn_servers").map(|(_, n)| *n),
            fields.get("ssl_vpn_client_certs").map(|(_, n)| *n),
        ));
        if let Some((_, node)) = fields.get("vpn_routes") {
            entries.extend(self.vpn_routes(node, false));
        }
        if let Some((_, node)) = fields.get("vpn_policy_routes") {
            entries.extend(self.vpn_routes(node, true));
        }
        entries.extend(gateways);
        self.gateway_rules(&entries);

        let desired: BTreeSet<&str> = entries.iter().map(|e| e.address.as_str()).collect();
        let mut servers = BTreeMap::new();
        let mut first_with_id: BTreeMap<&str, &Entry> = BTreeMap::new();
        let mut first_on_gateway: BTreeMap<&str, &Entry> = BTreeMap::new();
        let mut first_at_ip: BTreeMap<(String, &str), &Entry> = BTreeMap::new();
        for entry in &entries {
            if let (Some(gateway), Some(node)) = (&entry.vpn_gateway, entry.vpn_gateway_node) {
                let same_id = |first: &Entry| matches!((&first.id, &entry.id), (Some((a, _)), Some((b, _))) if a == b);
                match first_on_gateway.get(gateway.as_str()) {
                    // The same server under two addresses: that error says it all.
                    Some(first) if same_id(first) => {}
                    Some(first) => self.same_gateway(gateway, first, entry, node),
                    None => {
                        first_on_gateway.insert(gateway, entry);
                    }
                }
            }
            if let Some((id, id_node)) = &entry.id {
                match first_with_id.get(id.as_str()) {
                    Some(first) => self.duplicate_id(id, first, entry, id_node),
                    None => {
                        first_with_id.insert(id, entry);
                    }
                }
            }
            for (target, node) in &entry.depends_on {
                self.dependency(entry, target, node, &desired, recorded);
            }
            let region = entry.region.clone().or_else(|| default_region.clone());
            if region.is_none() && !entry.region_written && !default_region_written {
                self.error(
                    entry.name,
                    format!(
                        "{} has no `region`, and there is no `defaults.region`",
                        entry.address
                    ),
                    &["add `region: cn-hangzhou` (for example) to the entry, or set `defaults: {region: ...}` for every entry"],
                );
            }
            if let (Some((ip, ip_node)), Some(region)) = (&entry.ip_address, &region) {
                match first_at_ip.get(&(region.clone(), ip.as_str())) {
                    Some(first) => {
                        let message = format!(
                            "{} and {} both have `ip_address: {ip}` in {region}, and a region holds one customer gateway per IP address",
                            first.address, entry.address
                        );
                        self.error(ip_node, message, &[
                            "keep one entry for the address (`depends_on` and connections can name it by address)",
                        ]);
                    }
                    None => {
                        first_at_ip.insert((region.clone(), ip.as_str()), entry);
                    }
                }
            }
            let id = match &entry.id {
                Some((id, _)) => Some(Some(id.clone())),
                None if entry.creates => Some(None),
                // Written but wrong (reported).
                None => None,
            };
            if let (Some(id), Some(vpn_gateway), Some(region)) = (id, &entry.vpn_gateway, region) {
                let mut depends_on: Vec<Address> =
                    entry.depends_on.iter().map(|(a, _)| a.clone()).collect();
                depends_on.sort();
                depends_on.dedup();
                servers.insert(
                    entry.address.clone(),
                    DesiredServer {
                        address: entry.address.clone(),
                        id,
                        vpn_gateway: vpn_gateway.clone(),
                        region,
                        depends_on,
                        protect: entry.protect,
                        attributes: entry.attributes.attributes.clone(),
                        values: entry.values.clone(),
                        psk: entry.attributes.psk.clone(),
                    },
                );
            }
        }
        self.cycles(&entries);
        servers
    }

    /// `backend: { postgres: { schema: NAME } }`: the schema name, if valid.
    fn backend(&mut self, node: &Node) -> Option<String> {
        const HELP: &str = "write `backend: { postgres: { schema: vpnform_prod } }`, or remove `backend` to keep the state in the state directory";
        let fields = self.fields(node, "backend", "`backend`", BACKEND_FIELDS, HELP)?;
        let Some((_, postgres)) = fields.get("postgres") else {
            self.error(node, "`backend` names no backend".to_owned(), &[HELP]);
            return None;
        };
        let fields = self.fields(
            postgres,
            "backend.postgres",
            "`backend.postgres`",
            POSTGRES_FIELDS,
            HELP,
        )?;
        let Some((_, schema)) = fields.get("schema") else {
            self.error(
                postgres,
                "missing `schema` in `backend.postgres`".to_owned(),
                &[HELP],
            );
            return None;
        };
        let name = self.string(schema, "backend.postgres.schema", HELP)?;
        use crate::pg_schema::{ReservedSchema, reserved_schema, schema_syntax};
        if !schema_syntax(&name) {
            self.error(
                schema,
                format!("`{}` is not a schema name vpnform accepts", shown(&name)),
                &["a schema name is a lower-case SQL identifier: a-z, 0-9 and _, starting with a letter or _, at most 63 characters, not starting with `pg_`"],
            );
            return None;
        }
        const OWN: &str = "name a schema of vpnform's own, e.g. `vpnform_prod`";
        match reserved_schema(&name) {
            None => Some(name),
            Some(ReservedSchema::System) => {
                self.error(
                    schema,
                    format!("`{name}` is a schema PostgreSQL keeps for itself (`public`, `information_schema`, `pg_*`)"),
                    &[&format!("{OWN}: vpnform creates its tables in the schema, and never among another's")],
                );
                None
            }
            Some(ReservedSchema::KeyWord) => {
                self.error(
                    schema,
                    format!("`{name}` is a PostgreSQL reserved key word, not a schema name"),
                    &[&format!("{OWN} (PostgreSQL's documentation lists the reserved key words in its appendix \"SQL Key Words\")")],
                );
                None
            }
        }
    }

    fn version(&mut self, node: &Node) {
        match node.value {
            Value::Int(1) => {}
            Value::Int(n) => {
                self.error(
                    node,
                    format!("unsupported `version: {n}`: this vpnform reads version 1"),
                    &["write `version: 1`; a file written for a newer vpnform needs that vpnform"],
                );
            }
            Value::Float(_) => {
                // As written: `1.0` is not `1` (a float prints `1.0` as `1`).
                let written = self.spelling(node);
                self.error(
                    node,
                    format!(
                        "unsupported `version: {}`: this vpnform reads version 1",
                        shown(&written)
                    ),
                    &["write `version: 1`"],
                );
            }
            _ => self.wrong_type(node, "the number 1", "version", "write `version: 1`"),
        }
    }

    /// `required_version: ">= 0.2, < 0.3"`: a semver requirement this vpnform's version
    /// must meet, as Terraform's `required_version`. The problem, if any.
    fn required_version(&self, node: &Node) -> Option<Diagnostic> {
        const EXAMPLE: &str =
            "write a semver requirement, e.g. `required_version: \">= 0.2, < 0.3\"`";
        let this = env!("CARGO_PKG_VERSION");
        let (message, help) = match &node.value {
            Value::Str(text) => match semver::VersionReq::parse(text) {
                Err(err) => (
                    format!("`required_version: {text}` is not a version requirement: {err}"),
                    EXAMPLE.to_owned(),
                ),
                Ok(req) => {
                    let version =
                        semver::Version::parse(this).expect("the crate version is semver");
                    if req.matches(&version) {
                        return None;
                    }
                    (
                        format!("this file requires vpnform `{text}`, and this is vpnform {this}"),
                        "run a vpnform whose version meets `required_version` (`vpnform --version` shows it), or change the requirement".to_owned(),
                    )
                }
            },
            other => (
                format!(
                    "expected a string for `required_version`, found {}",
                    other.kind()
                ),
                EXAMPLE.to_owned(),
            ),
        };
        let width = match node.value {
            Value::Seq(_) | Value::Map(_) => 1,
            _ => node.width,
        };
        let mut diagnostic = self.diagnostic(node.pos, width, message, None);
        diagnostic.help.push(help);
        Some(diagnostic)
    }

    fn region(&mut self, node: &Node, path: &str) -> Option<String> {
        let region = self.string(node, path, "write a region id, e.g. `region: cn-hangzhou`")?;
        if regions::is_known(&region) {
            return Some(region);
        }
        let help = match regions::closest(&region) {
            Some(close) => format!("did you mean `{close}`?"),
            None => {
                "write an Alibaba Cloud region id such as cn-hangzhou or ap-southeast-1".to_owned()
            }
        };
        self.error(
            node,
            format!("unknown region `{}` in `{path}`", shown(&region)),
            &[&help],
        );
        None
    }

    fn servers<'n>(&mut self, node: &'n Node) -> Vec<Entry<'n>> {
        self.named_entries(
            node,
            "ipsec_servers",
            "write one entry per server under `ipsec_servers:`, e.g. `office: {id: iss-..., vpn_gateway: vpn-...}`",
        )
        .into_iter()
        .map(|(name, key, value)| self.server(&name, key, value))
        .collect()
    }

    fn server<'n>(&mut self, name: &str, key: &'n Node, node: &'n Node) -> Entry<'n> {
        let address =
            Address::new(Kind::IpsecServer, name).expect("entries are made of valid names only");
        let path = format!("ipsec_servers.{name}");
        let mut entry = Entry {
            address,
            name: key,
            id: None,
            creates: false,
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
            // `office:` with nothing under it: an entry without an id, reported below.
            Some(BTreeMap::new())
        } else {
            self.fields(
                node,
                &path,
                &format!("`{path}`"),
                SERVER_FIELDS,
                "an entry is a mapping: `id: iss-...`, `vpn_gateway: vpn-...`, and optionally `region`, `depends_on`, `protect`",
            )
        };
        let Some(fields) = fields else {
            // Not a mapping (reported): still an entry, so that depends_on may name it,
            // but nothing more is said about what it lacks.
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
                        crate::id::IPSEC_SERVER_PREFIX,
                        "an IPsec server",
                        "id: iss-bp1jougp8cfsbo8y9abcd",
                    )
                    .map(|id| (id, *node));
            }
        }
        match fields.get("vpn_gateway") {
            None => {
                self.error(key, format!("missing `vpn_gateway` in `{path}`"), &[
                    "add the id of the VPN gateway the server belongs to, e.g. `vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd`",
                ]);
            }
            Some((_, node)) => {
                entry.vpn_gateway_node = Some(*node);
                entry.vpn_gateway = self.gateway(node, &path, &mut entry.depends_on);
            }
        }
        if let Some((_, node)) = fields.get("region") {
            entry.region_written = true;
            entry.region = self.region(node, &format!("{path}.region"));
        }
        let dir = self.dir.clone();
        entry.attributes = self.attributes(&fields, &path, &dir);
        entry.values = super::attributes::managed_values(&entry.attributes.attributes);
        if entry.creates {
            let read = &entry.attributes;
            let missing: Vec<&str> = [
                ("local_subnet", read.local_subnet_written),
                ("client_ip_pool", read.client_ip_pool_written),
            ]
            .into_iter()
            .filter(|(_, written)| !written)
            .map(|(field, _)| field)
            .collect();
            if !missing.is_empty() {
                self.error(
                    key,
                    format!(
                        "{} has no `id`, so vpnform creates it, and a create needs `{}`",
                        entry.address,
                        missing.join("` and `")
                    ),
                    &["add `local_subnet: [10.0.0.0/24]` and `client_ip_pool: 10.8.0.0/16` (your blocks), or the `id` of the existing server (`id: iss-...`)"],
                );
            }
        }
        if let Some((_, node)) = fields.get("depends_on") {
            entry.depends_on = self.depends_on(node, &format!("{path}.depends_on"));
        }
        if let Some((_, node)) = fields.get("protect") {
            entry.protect = self.protect(node, &path);
        }
        entry
    }

    /// `protect: true|false`, spelled in lower case.
    fn protect(&mut self, node: &Node, path: &str) -> bool {
        match node.value {
            // YAML 1.2 reads `True` and `TRUE` as booleans too; the file format has
            // one spelling each, as docs/desired-file.md says.
            Value::Bool(_) if !matches!(self.spelling(node).as_str(), "true" | "false") => {
                let written = self.spelling(node);
                self.error(
                    node,
                    format!(
                        "`{}` in `{path}.protect` is not a boolean of this file: write `true` or `false`",
                        shown(&written)
                    ),
                    &["write `protect: true` or `protect: false` (lower case)"],
                );
                false
            }
            Value::Bool(b) => b,
            _ => {
                self.wrong_type(
                    node,
                    "true or false",
                    &format!("{path}.protect"),
                    "write `protect: true` or `protect: false`",
                );
                false
            }
        }
    }

    /// The entries of `key` (a map of names), each name checked: the valid ones with
    /// their key and value nodes.
    fn named_entries<'n>(
        &mut self,
        node: &'n Node,
        key: &str,
        help: &str,
    ) -> Vec<(String, &'n Node, &'n Node)> {
        let Some(map) = self.map(node, key, help) else {
            return Vec::new();
        };
        let mut valid = Vec::new();
        for (name, key_node, value) in map {
            if !is_name(&name) {
                let (message, help) = if crate::address::has_name_grammar(&name) {
                    (
                        format!(
                            "the name `{}` of an entry of `{key}` has {} characters, and a name has at most {MAX_NAME_CHARS}",
                            shown(&name),
                            name.len()
                        ),
                        "use a shorter name",
                    )
                } else {
                    (
                        format!(
                            "`{}` is not a valid name for an entry of `{key}`",
                            shown(&name)
                        ),
                        "a name starts with a letter or `_` and has only letters, digits, `_` and `-`",
                    )
                };
                self.error(key_node, message, &[help]);
                continue;
            }
            valid.push((name, key_node, value));
        }
        valid
    }

    /// Rule 3 of the VPN-gateway family, and its quota: a gateway holds an IPsec server
    /// or IPsec connections, never both, and at most ten connections.
    fn gateway_rules(&mut self, entries: &[Entry]) {
        let mut servers: BTreeMap<&str, &Entry> = BTreeMap::new();
        let mut connections: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        for entry in entries {
            let Some(gateway) = entry.vpn_gateway.as_deref().filter(|g| !g.is_empty()) else {
                continue;
            };
            match entry.address.kind() {
                Kind::IpsecServer => {
                    servers.entry(gateway).or_insert(entry);
                }
                Kind::VpnConnection => connections.entry(gateway).or_default().push(entry),
                Kind::CustomerGateway
                | Kind::VpnGateway
                | Kind::SslVpnServer
                | Kind::SslVpnClientCert
                | Kind::VpnRoute
                | Kind::VpnPolicyRoute => {}
            }
        }
        for (gateway, list) in &connections {
            if let Some(server) = servers.get(gateway) {
                let message = format!(
                    "{} is an IPsec server on {gateway}, where {} is an IPsec connection: a VPN gateway holds an IPsec server or IPsec connections, never both",
                    server.address, list[0].address
                );
                self.error(server.name, message, &[
                    "put the server on another gateway, or remove the gateway's connections from the file (the plan then deletes them first)",
                ]);
            }
            if list.len() > CONNECTIONS_PER_GATEWAY {
                let message = format!(
                    "{} IPsec connections on {gateway}, and a VPN gateway holds at most {CONNECTIONS_PER_GATEWAY}",
                    list.len()
                );
                self.error(
                    list[CONNECTIONS_PER_GATEWAY].name,
                    message,
                    &["spread the connections over more gateways"],
                );
            }
        }
    }

    /// An entry's `vpn_gateway`: an id, or the address of a `vpn_gateways` entry (an
    /// edge to it), which is its id.
    fn gateway<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        depends_on: &mut Vec<(Address, &'n Node)>,
    ) -> Option<String> {
        if let Value::Str(text) = &node.value
            && let Ok(target) = text.parse::<Address>()
            && target.kind() == Kind::VpnGateway
        {
            return match self.gateway_ids.get(&target) {
                Some(id) => {
                    let id = id.clone();
                    depends_on.push((target, node));
                    Some(id)
                }
                None => {
                    self.error(
                        node,
                        format!(
                            "`{path}.vpn_gateway` names {target}, which is not an entry of `vpn_gateways`"
                        ),
                        &["add the gateway under `vpn_gateways:` with its id (`hz: {id: vpn-...}`), or write the gateway's id here"],
                    );
                    None
                }
            };
        }
        self.resource_id(
            node,
            &format!("{path}.vpn_gateway"),
            crate::id::VPN_GATEWAY_PREFIX,
            "a VPN gateway",
            "vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd",
        )
    }

    fn gateways<'n>(&mut self, node: &'n Node) -> Vec<Entry<'n>> {
        self.named_entries(
            node,
            "vpn_gateways",
            "write one entry per VPN gateway under `vpn_gateways:`, e.g. `hz: {id: vpn-..., name: hz-main}`",
        )
        .into_iter()
        .map(|(name, key, value)| self.vpn_gateway(&name, key, value))
        .collect()
    }

    fn vpn_gateway<'n>(&mut self, name: &str, key: &'n Node, node: &'n Node) -> Entry<'n> {
        let address =
            Address::new(Kind::VpnGateway, name).expect("entries are made of valid names only");
        let path = format!("vpn_gateways.{name}");
        let mut entry = Entry {
            address,
            name: key,
            id: None,
            creates: false,
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
                GATEWAY_FIELDS,
                "an entry is a mapping: `id: vpn-...`, and optionally `name`, `description`, `auto_propagate`, `region`, `depends_on`, `protect`",
            )
        };
        let Some(fields) = fields else {
            entry.region_written = true;
            return entry;
        };
        match fields.get("id") {
            None => {
                // Created by vpnform: its lane, until it has an id, is its address, which
                // the entries on it name too.
                entry.creates = true;
                entry.vpn_gateway = Some(entry.address.to_string());
            }
            Some((_, node)) => {
                entry.id = self
                    .resource_id(
                        node,
                        &format!("{path}.id"),
                        crate::id::VPN_GATEWAY_PREFIX,
                        "a VPN gateway",
                        "id: vpn-bp1q8bgx4xnkm2ogjabcd",
                    )
                    .map(|id| (id, *node));
                // Its own lane.
                entry.vpn_gateway = entry.id.as_ref().map(|(id, _)| id.clone());
            }
        }
        if let Some((_, node)) = fields.get("region") {
            entry.region_written = true;
            entry.region = self.region(node, &format!("{path}.region"));
        }
        for field in ["name", "description"] {
            let Some((_, node)) = fields.get(field) else {
                continue;
            };
            let help = format!("write 1 to 100 characters, e.g. `{field}: hz-main`");
            let Some(text) = self.string(node, &format!("{path}.{field}"), &help) else {
                continue;
            };
            match crate::config::attributes::ServerName::parse(&text) {
                Ok(_) => entry.values.push((field, text)),
                Err(why) => {
                    self.error(
                        node,
                        format!("`{}` in `{path}.{field}` is not valid: {why}", shown(&text)),
                        &[&help],
                    );
                }
            }
        }
        if let Some((_, node)) = fields.get("auto_propagate")
            && let Some(on) = self.boolean(node, &format!("{path}.auto_propagate"))
        {
            entry.values.push(("auto_propagate", on.to_string()));
        }
        if entry.creates {
            self.gateway_create(&path, key, &fields, &mut entry);
        } else {
            for field in GATEWAY_FIELDS.iter().skip(7) {
                if let Some((field_key, _)) = fields.get(field) {
                    self.error(
                        field_key,
                        format!("`{path}.{field}` cannot be managed: {GATEWAY_FIXED}"),
                        &["remove the line; `vpnform state show` shows what the cloud answers"],
                    );
                }
            }
        }
        if let Some((_, node)) = fields.get("depends_on") {
            entry.depends_on = self.depends_on(node, &format!("{path}.depends_on"));
        }
        if let Some((_, node)) = fields.get("protect") {
            entry.protect = self.protect(node, &path);
        }
        entry
    }

    /// What a gateway vpnform creates is created with (`CreateVpnGateway`, pay as you
    /// go): its VPC and bandwidth (required), its SSL-VPN and IPsec-VPN switches and SSL
    /// connections, as the state records them (`10M`, `enable`); none of them changes
    /// afterwards (the planner refuses a change with the reason). The rest of what the
    /// API takes at create is the cloud's default, refused here with what to do.
    fn gateway_create<'n>(
        &mut self,
        path: &str,
        key: &'n Node,
        fields: &BTreeMap<&'static str, (&'n Node, &'n Node)>,
        entry: &mut Entry<'n>,
    ) {
        const BANDWIDTHS: [i128; 8] = [5, 10, 20, 50, 100, 200, 500, 1000];
        const SSL_CONNECTIONS: [i128; 9] = [5, 10, 20, 50, 100, 200, 500, 1000, 2000];
        let missing: Vec<&str> = ["vpc", "bandwidth"]
            .into_iter()
            .filter(|f| !fields.contains_key(f))
            .collect();
        if !missing.is_empty() {
            self.error(
                key,
                format!(
                    "{} has no `id`, so vpnform creates it, and a create needs `{}`",
                    entry.address,
                    missing.join("` and `")
                ),
                &["add `vpc: vpc-...` (the VPC it serves) and `bandwidth: 10` (Mbit/s), or the `id` of the existing gateway (`id: vpn-...`)"],
            );
        }
        if let Some((_, node)) = fields.get("vpc") {
            let help =
                "write the id of the VPC the gateway serves, e.g. `vpc: vpc-bp1q8bgx4xnkm2ogjabcd`";
            if let Some(text) = self.string(node, &format!("{path}.vpc"), help) {
                if crate::id::is_id(&text, "vpc-") {
                    entry.values.push(("vpc", text));
                } else {
                    self.error(
                        node,
                        format!(
                            "`{}` in `{path}.vpc` is not a VPC id (vpc-...)",
                            shown(&text)
                        ),
                        &[help],
                    );
                }
            }
        }
        let number = |this: &mut Self, field: &'static str, allowed: &[i128], unit: &str| {
            let (_, node) = fields.get(field)?;
            let list: Vec<String> = allowed.iter().map(i128::to_string).collect();
            let help = format!("write one of {}{unit}", list.join(", "));
            match node.value {
                Value::Int(n) if allowed.contains(&n) => Some(n),
                Value::Int(n) => {
                    this.error(
                        node,
                        format!("`{n}` in `{path}.{field}` is not one the API offers"),
                        &[&help],
                    );
                    None
                }
                _ => {
                    this.wrong_type(
                        node,
                        &format!("one of {}{unit}", list.join(", ")),
                        &format!("{path}.{field}"),
                        &help,
                    );
                    None
                }
            }
        };
        if let Some(n) = number(self, "bandwidth", &BANDWIDTHS, " (Mbit/s)") {
            entry.values.push(("bandwidth", format!("{n}M")));
        }
        if let Some(n) = number(self, "ssl_connections", &SSL_CONNECTIONS, "") {
            entry.values.push(("ssl_connections", n.to_string()));
        }
        for field in ["ssl_vpn", "ipsec_vpn"] {
            if let Some((_, node)) = fields.get(field)
                && let Some(on) = self.boolean(node, &format!("{path}.{field}"))
            {
                entry
                    .values
                    .push((field, if on { "enable" } else { "disable" }.to_owned()));
            }
        }
        self.gateway_placement(path, fields, entry);
        let later = [
            (
                "description",
                "`ModifyVpnGatewayAttribute` sets it once the gateway exists: add it after the apply that creates it",
            ),
            (
                "auto_propagate",
                "`ModifyVpnGatewayAttribute` sets it once the gateway exists: add it after the apply that creates it",
            ),
            (
                "charge_type",
                "vpnform creates pay-as-you-go gateways only (a subscription one is bought in the console, then adopted by its `id`)",
            ),
        ];
        for (field, why) in later {
            if let Some((field_key, _)) = fields.get(field) {
                self.error(
                    field_key,
                    format!(
                        "`{path}.{field}` cannot be written in a gateway vpnform creates: {why}"
                    ),
                    &["remove the line"],
                );
            }
        }
    }

    /// Where a created gateway stands and what it is: `vswitch` and `dr_vswitch` (the
    /// two vSwitches, in two zones, of a dual-tunnel gateway: the second needs the
    /// first), `network_type` (`public`, the default, or `private`, which comes in 200
    /// or 1000 Mbit/s) and `vpn_type` (`Normal` or `NationalStandard`), as the cloud
    /// answers them.
    fn gateway_placement<'n>(
        &mut self,
        path: &str,
        fields: &BTreeMap<&'static str, (&'n Node, &'n Node)>,
        entry: &mut Entry<'n>,
    ) {
        let mut switches = Vec::new();
        for field in ["vswitch", "dr_vswitch"] {
            let Some((_, node)) = fields.get(field) else {
                continue;
            };
            let help =
                "write the id of a vSwitch of the gateway's VPC, e.g. `vsw-bp1q8bgx4xnkm2ogjabcd`";
            let Some(text) = self.string(node, &format!("{path}.{field}"), help) else {
                continue;
            };
            if !crate::id::is_id(&text, "vsw-") {
                self.error(
                    node,
                    format!(
                        "`{}` in `{path}.{field}` is not a vSwitch id (vsw-...)",
                        shown(&text)
                    ),
                    &[help],
                );
                continue;
            }
            if switches.iter().any(|(_, t)| *t == text) {
                self.error(
                    node,
                    format!("`{path}.dr_vswitch` is `{path}.vswitch`: a dual-tunnel gateway stands in two zones, one vSwitch each"),
                    &["write a vSwitch of another zone, or remove `dr_vswitch` for a single-tunnel gateway"],
                );
                continue;
            }
            switches.push((field, text.clone()));
            entry.values.push((field, text));
        }
        if let Some((field_key, _)) = fields.get("dr_vswitch")
            && !fields.contains_key("vswitch")
        {
            self.error(
                field_key,
                format!("`{path}.dr_vswitch` needs `{path}.vswitch`: the second zone's vSwitch goes with the first's"),
                &["add `vswitch: vsw-...` (the first zone's), or remove `dr_vswitch`"],
            );
        }
        let mut private = false;
        for (field, all) in [
            ("network_type", &["public", "private"][..]),
            ("vpn_type", &["Normal", "NationalStandard"][..]),
        ] {
            let Some((_, node)) = fields.get(field) else {
                continue;
            };
            let parse: fn(&str) -> Option<&'static str> = if field == "network_type" {
                |t| ["public", "private"].into_iter().find(|v| *v == t)
            } else {
                |t| ["Normal", "NationalStandard"].into_iter().find(|v| *v == t)
            };
            if let Some(value) = self.one_of(node, &format!("{path}.{field}"), parse, all) {
                private |= value == "private";
                entry.values.push((field, value.to_owned()));
            }
        }
        if private
            && let Some((_, node)) = fields.get("bandwidth")
            && let Value::Int(n) = node.value
            && ![200, 1000].contains(&n)
        {
            self.error(
                node,
                format!("`{n}` in `{path}.bandwidth` is not one a private gateway comes in"),
                &["write 200 or 1000 (Mbit/s), or `network_type: public`"],
            );
        }
    }

    /// A connection's customer gateway: the address of an entry of this file (an edge,
    /// pushed on `depends_on`) or an id, as written.
    fn customer_gateway_reference<'n>(
        &mut self,
        node: &'n Node,
        field: &str,
        depends_on: &mut Vec<(Address, &'n Node)>,
    ) -> Option<String> {
        let help = "write the customer gateway's address in this file (`customer_gateway: customer_gateway.branch`) or its id (`cgw-...`)";
        let text = self.string(node, field, help)?;
        let prefix = crate::kinds::customer_gateway::KIND.id_prefix;
        match text.parse::<Address>() {
            Ok(target) if target.kind() == Kind::CustomerGateway => {
                depends_on.push((target, node));
                Some(text)
            }
            _ if crate::id::is_id(&text, prefix) => Some(text),
            _ => {
                self.error(
                    node,
                    format!(
                        "`{}` in `{field}` is neither a customer gateway's address nor its id",
                        shown(&text)
                    ),
                    &[help],
                );
                None
            }
        }
    }

    /// A dual-tunnel connection's `tunnels`: two, a `master` and a `slave`, each with
    /// its customer gateway; their values as the state records them.
    /// The keys of a dual-tunnel entry's tunnels (`tunnels[].psk`; each tunnel's read,
    /// `None` where it names none): both, and no `psk` of the entry's, make the entry's
    /// key each tunnel's own; one alone, or both beside the entry's, is an error. Whether
    /// any tunnel names a key.
    fn tunnel_keys<'n>(
        &mut self,
        path: &str,
        fields: &BTreeMap<&'static str, (&'n Node, &'n Node)>,
        entry: &mut Entry<'n>,
        keys: Vec<(&'static str, Option<Option<PskSource>>, &'n Node)>,
    ) -> bool {
        const HELP: &str =
            "give each tunnel its own `psk: {env: NAME}`, or the entry one `psk` for both tunnels";
        let named: Vec<&str> = keys
            .iter()
            .filter(|(_, key, _)| key.is_some())
            .map(|(role, _, _)| *role)
            .collect();
        if named.is_empty() {
            return false;
        }
        if let Some((key, _)) = fields.get("psk") {
            self.error(
                key,
                format!("`{path}` names a `psk` and its tunnels name their own: keep one"),
                &[HELP],
            );
            return true;
        }
        if let Some((role, _, item)) = keys.iter().find(|(_, key, _)| key.is_none()) {
            self.error(
                item,
                format!(
                    "the {role} tunnel of `{path}` names no `psk`, and the other tunnel names its own: each tunnel needs one"
                ),
                &[HELP],
            );
            return true;
        }
        let key = |role: &str| {
            keys.iter()
                .find(|(r, _, _)| *r == role)
                .and_then(|(_, k, _)| k.clone().flatten())
        };
        if let (Some(master), Some(slave)) = (key("master"), key("slave")) {
            entry.attributes.psk = Some(PskSource::Tunnels {
                master: Box::new(master),
                slave: Box::new(slave),
            });
        }
        true
    }

    fn tunnels<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        depends_on: &mut Vec<(Address, &'n Node)>,
        keys: &mut Vec<(&'static str, Option<Option<PskSource>>, &'n Node)>,
    ) -> Vec<(&'static str, String)> {
        const HELP: &str = "write two tunnels: `tunnels: [{customer_gateway: customer_gateway.a, role: master}, {customer_gateway: customer_gateway.b, role: slave}]`";
        let Value::Seq(items) = &node.value else {
            self.wrong_type(
                node,
                "a list of two tunnels",
                &format!("{path}.tunnels"),
                HELP,
            );
            return Vec::new();
        };
        if items.len() != 2 {
            self.error(
                node,
                format!(
                    "`{path}.tunnels` lists {} tunnels; a dual-tunnel connection has two",
                    items.len()
                ),
                &[HELP],
            );
            return Vec::new();
        }
        let mut values = Vec::new();
        let mut roles: Vec<&str> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{path}.tunnels[{i}]");
            let Some(fields) = self.fields(item, &at, &format!("`{at}`"), TUNNEL_FIELDS, HELP)
            else {
                continue;
            };
            let Some((_, role_node)) = fields.get("role") else {
                self.error(
                    item,
                    format!("missing `role` in `{at}`"),
                    &["write `role: master` or `role: slave`"],
                );
                continue;
            };
            let role = match self
                .string(role_node, &format!("{at}.role"), HELP)
                .as_deref()
            {
                Some("master") => "master",
                Some("slave") => "slave",
                Some(other) => {
                    let message = format!("`{}` in `{at}.role` is not a tunnel role", shown(other));
                    self.error(
                        role_node,
                        message,
                        &["write `role: master` or `role: slave`"],
                    );
                    continue;
                }
                None => continue,
            };
            if roles.contains(&role) {
                self.error(
                    item,
                    format!(
                        "`{path}.tunnels` has two `{role}` tunnels; one is the master, the other the slave"
                    ),
                    &[HELP],
                );
                continue;
            }
            roles.push(role);
            // Each tunnel's own key, or none (the entry's `psk` is then both tunnels').
            let dir = self.dir.clone();
            let key = fields
                .get("psk")
                .map(|(_, psk)| self.psk(psk, &format!("{at}.psk"), &dir));
            keys.push((role, key, item));
            let Some((_, cgw)) = fields.get("customer_gateway") else {
                self.error(
                    item,
                    format!("missing `customer_gateway` in `{at}`"),
                    &[HELP],
                );
                continue;
            };
            let field = format!("{at}.customer_gateway");
            if let Some(named) = self.customer_gateway_reference(cgw, &field, depends_on) {
                let field = if role == "master" {
                    "tunnels.master.customer_gateway"
                } else {
                    "tunnels.slave.customer_gateway"
                };
                values.push((field, named));
            }
        }
        values
    }

    fn connections<'n>(&mut self, node: &'n Node) -> Vec<Entry<'n>> {
        self.named_entries(
            node,
            "vpn_connections",
            "write one entry per connection under `vpn_connections:`, e.g. `branch: {vpn_gateway: vpn-..., customer_gateway: customer_gateway.branch, ...}`",
        )
        .into_iter()
        .map(|(name, key, value)| self.connection(&name, key, value))
        .collect()
    }

    fn connection<'n>(&mut self, name: &str, key: &'n Node, node: &'n Node) -> Entry<'n> {
        let address =
            Address::new(Kind::VpnConnection, name).expect("entries are made of valid names only");
        let path = format!("vpn_connections.{name}");
        let mut entry = Entry {
            address,
            name: key,
            id: None,
            creates: false,
            vpn_gateway: None,
            // A gateway holds many connections: not checked as one per gateway.
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
                CONNECTION_FIELDS,
                "an entry is a mapping: `vpn_gateway: vpn-...`, `customer_gateway`, `local_subnet`, `remote_subnet`, `psk`, and optionally `name`, `effect_immediately`, `id`, `region`, `depends_on`, `protect`",
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
                        crate::kinds::vpn_connection::KIND.id_prefix,
                        "an IPsec connection",
                        "id: vco-bp1hkhmkd3uf5eyfabcd",
                    )
                    .map(|id| (id, *node));
            }
        }
        match fields.get("vpn_gateway") {
            None => {
                self.error(key, format!("missing `vpn_gateway` in `{path}`"), &[
                    "add the id of the VPN gateway the connection is on, e.g. `vpn_gateway: vpn-bp1q8bgx4xnkm2ogjabcd`",
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
        let mut written = Vec::new();
        let mut tunnel_keys = Vec::new();
        match (fields.get("customer_gateway"), fields.get("tunnels")) {
            (Some((_, node)), None) => {
                written.push(("tunnel_mode", "single".to_owned()));
                if let Some(named) = self.customer_gateway_reference(
                    node,
                    &format!("{path}.customer_gateway"),
                    &mut entry.depends_on,
                ) {
                    written.push(("customer_gateway", named));
                }
            }
            (None, Some((_, node))) => {
                written.push(("tunnel_mode", "dual".to_owned()));
                let tunnels = self.tunnels(node, &path, &mut entry.depends_on, &mut tunnel_keys);
                written.extend(tunnels);
            }
            (Some((key, _)), Some(_)) => {
                self.error(
                    key,
                    format!("`{path}` has both `customer_gateway` and `tunnels`"),
                    &["a single-tunnel connection names its `customer_gateway`; a dual-tunnel one names each tunnel's under `tunnels`: keep one"],
                );
            }
            (None, None) if entry.creates => {
                self.error(
                    key,
                    format!(
                        "{} has no `id`, so vpnform creates it, and a create needs `customer_gateway` (or `tunnels`)",
                        entry.address
                    ),
                    &["add `customer_gateway: customer_gateway.NAME` (an entry of this file) or the id of one (`cgw-...`)"],
                );
            }
            (None, None) => {}
        }
        let dir = self.dir.clone();
        entry.attributes = self.attributes(&fields, &path, &dir);
        let tunnels_keyed = self.tunnel_keys(&path, &fields, &mut entry, tunnel_keys);
        if let Some((_, node)) = fields.get("remote_subnet") {
            let nets = self.local_subnet(node, &format!("{path}.remote_subnet"));
            if !nets.is_empty() {
                let texts: Vec<String> = nets.iter().map(|(n, _)| n.to_string()).collect();
                written.push(("remote_subnet", texts.join(",")));
            }
        }
        if entry.creates {
            let missing: Vec<&str> = ["local_subnet", "remote_subnet", "psk"]
                .into_iter()
                .filter(|field| !fields.contains_key(field))
                .filter(|field| !(*field == "psk" && tunnels_keyed))
                .collect();
            if !missing.is_empty() {
                self.error(
                    key,
                    format!(
                        "{} has no `id`, so vpnform creates it, and a create needs `{}`",
                        entry.address,
                        missing.join("` and `")
                    ),
                    &["add `local_subnet: [10.0.0.0/16]`, `remote_subnet: [192.168.0.0/24]` (your blocks) and `psk: {env: NAME}`, or the `id` of the existing connection (`id: vco-...`)"],
                );
            }
        }
        let mut values = super::attributes::managed_values(&entry.attributes.attributes);
        values.extend(written);
        // In the kind's order: customer gateway, name, subnets, then the rest.
        let order = |field: &str| {
            crate::kinds::vpn_connection::KIND
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

    fn customer_gateways<'n>(&mut self, node: &'n Node) -> Vec<Entry<'n>> {
        self.named_entries(
            node,
            "customer_gateways",
            "write one entry per customer gateway under `customer_gateways:`, e.g. `branch: {ip_address: 203.0.113.7}`",
        )
        .into_iter()
        .map(|(name, key, value)| self.customer_gateway(&name, key, value))
        .collect()
    }

    fn customer_gateway<'n>(&mut self, name: &str, key: &'n Node, node: &'n Node) -> Entry<'n> {
        let address = Address::new(Kind::CustomerGateway, name)
            .expect("entries are made of valid names only");
        let path = format!("customer_gateways.{name}");
        let mut entry = Entry {
            address,
            name: key,
            id: None,
            creates: false,
            // No lane.
            vpn_gateway: Some(String::new()),
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
                CUSTOMER_GATEWAY_FIELDS,
                "an entry is a mapping: `ip_address: 203.0.113.7`, and optionally `asn`, `name`, `description`, `id`, `region`, `depends_on`, `protect`",
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
                        crate::kinds::customer_gateway::KIND.id_prefix,
                        "a customer gateway",
                        "id: cgw-bp1mvj4o5s7y2t8xabcd",
                    )
                    .map(|id| (id, *node));
            }
        }
        if let Some((_, node)) = fields.get("region") {
            entry.region_written = true;
            entry.region = self.region(node, &format!("{path}.region"));
        }
        match fields.get("ip_address") {
            Some((_, node)) => {
                let help =
                    "write the gateway's public IPv4 address, e.g. `ip_address: 203.0.113.7`";
                if let Some(text) = self.string(node, &format!("{path}.ip_address"), help) {
                    match text.parse::<std::net::Ipv4Addr>() {
                        Ok(ip) => {
                            entry.values.push(("ip_address", ip.to_string()));
                            entry.ip_address = Some((ip.to_string(), *node));
                        }
                        Err(_) => {
                            self.error(
                                node,
                                format!(
                                    "`{}` in `{path}.ip_address` is not an IPv4 address",
                                    shown(&text)
                                ),
                                &[help],
                            );
                        }
                    }
                }
            }
            None if entry.creates => {
                self.error(
                    key,
                    format!(
                        "{} has no `id`, so vpnform creates it, and a create needs `ip_address`",
                        entry.address
                    ),
                    &["add `ip_address: 203.0.113.7` (the peer's public address), or the `id` of the existing customer gateway (`id: cgw-...`)"],
                );
            }
            None => {}
        }
        if let Some((_, node)) = fields.get("asn") {
            match node.value {
                Value::Int(n) if (1..=4_294_967_295).contains(&n) => {
                    entry.values.push(("asn", n.to_string()));
                }
                _ => self.wrong_type(
                    node,
                    "an autonomous system number from 1 to 4294967295",
                    &format!("{path}.asn"),
                    "write the peer's BGP AS number, e.g. `asn: 65001`",
                ),
            }
        }
        for field in ["name", "description"] {
            let Some((_, node)) = fields.get(field) else {
                continue;
            };
            let help = format!("write 1 to 100 characters, e.g. `{field}: branch`");
            let Some(text) = self.string(node, &format!("{path}.{field}"), &help) else {
                continue;
            };
            match crate::config::attributes::ServerName::parse(&text) {
                Ok(_) => entry.values.push((field, text)),
                Err(why) => {
                    self.error(
                        node,
                        format!("`{}` in `{path}.{field}` is not valid: {why}", shown(&text)),
                        &[&help],
                    );
                }
            }
        }
        if let Some((_, node)) = fields.get("auth_key") {
            let dir = self.dir.clone();
            entry.attributes.psk = self.psk(node, &format!("{path}.auth_key"), &dir);
        }
        if let Some((_, node)) = fields.get("depends_on") {
            entry.depends_on = self.depends_on(node, &format!("{path}.depends_on"));
        }
        if let Some((_, node)) = fields.get("protect") {
            entry.protect = self.protect(node, &path);
        }
        entry
    }

    /// An `iss-...` or `vpn-...` id: the prefix, then lowercase letters and digits.
    fn resource_id(
        &mut self,
        node: &Node,
        path: &str,
        prefix: &str,
        what: &str,
        example: &str,
    ) -> Option<String> {
        let help = format!("write the id of {what}, e.g. `{example}`");
        let id = self.string(node, path, &help)?;
        if crate::id::is_id(&id, prefix) {
            return Some(id);
        }
        let rest = id.strip_prefix(prefix);
        let message = match rest {
            None => format!(
                "`{}` in `{path}` is not the id of {what}: it does not start with `{prefix}`",
                shown(&id)
            ),
            Some(_) => format!(
                "`{}` in `{path}` is not the id of {what}: after `{prefix}` come only lowercase letters and digits",
                shown(&id)
            ),
        };
        let other = if prefix == "iss-" { "vpn-" } else { "iss-" };
        let mut helps = vec![help];
        if id.starts_with(other) {
            helps.push(format!(
                "`{other}...` is the id of {}",
                if other == "vpn-" {
                    "a VPN gateway (it goes in `vpn_gateway`)"
                } else {
                    "an IPsec server (it goes in `id`)"
                }
            ));
        }
        let helps: Vec<&str> = helps.iter().map(String::as_str).collect();
        self.error(node, message, &helps);
        None
    }

    fn depends_on<'n>(&mut self, node: &'n Node, path: &str) -> Vec<(Address, &'n Node)> {
        let help = "write a list of addresses, e.g. `depends_on: [ipsec_server.lab]`";
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, "a list", path, help);
            return Vec::new();
        };
        let mut addresses = Vec::new();
        for item in items {
            if let Some(address) = self.address(item, path, help) {
                addresses.push((address, item));
            }
        }
        addresses
    }

    /// A resource address written as a string.
    fn address(&mut self, item: &Node, path: &str, help: &str) -> Option<Address> {
        let text = self.string(item, path, help)?;
        match text.parse::<Address>() {
            Ok(address) => Some(address),
            Err(e) => {
                let help = if let Some(chars) = e.too_long() {
                    format!(
                        "its name has {chars} characters, and a name has at most {MAX_NAME_CHARS}"
                    )
                } else if is_name(&text) {
                    format!("write `{IPSEC_SERVER}.{}`", shown(&text))
                } else {
                    format!(
                        "an address is `{IPSEC_SERVER}.NAME`, NAME being an entry of `ipsec_servers`"
                    )
                };
                self.error(
                    item,
                    format!("`{}` in `{path}` is not an address", shown(&text)),
                    &[&help],
                );
                None
            }
        }
    }

    /// `moved: [{from: ADDRESS, to: ADDRESS}]`: renames of recorded addresses. `to` is a
    /// desired entry, `from` is not; an address is moved at most once, and not in a chain.
    fn moved(&mut self, node: &Node, desired: &BTreeSet<&str>) -> Vec<Moved> {
        let help = "write a list like `moved: [{from: ipsec_server.old, to: ipsec_server.new}]`";
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, "a list", "moved", help);
            return Vec::new();
        };
        let mut moves: Vec<Moved> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("moved[{i}]");
            let Some(fields) = self.fields(item, &path, &format!("`{path}`"), MOVED_FIELDS, help)
            else {
                continue;
            };
            let mut end = |name: &str| -> Option<(Address, &Node)> {
                match fields.get(name) {
                    Some((_, value)) => Some((
                        self.address(value, &format!("{path}.{name}"), help)?,
                        *value,
                    )),
                    None => {
                        self.error(item, format!("`{path}` has no `{name}`"), &[help]);
                        None
                    }
                }
            };
            let (Some((from, from_node)), Some((to, to_node))) = (end("from"), end("to")) else {
                continue;
            };
            if from == to {
                self.error(
                    to_node,
                    format!("`{path}` moves {from} to itself"),
                    &["remove the entry"],
                );
            } else if from.kind() != to.kind() {
                self.error(
                    to_node,
                    format!("`{path}` moves {from} to {to}, another kind of resource"),
                    &["a move renames an address within its kind"],
                );
            } else if !desired.contains(to.as_str()) {
                self.error(
                    to_node,
                    format!(
                        "`{path}` moves {from} to {to}, which is not an entry of the desired file"
                    ),
                    &["add the entry it moves to, or fix the address"],
                );
            } else if desired.contains(from.as_str()) {
                self.error(
                    from_node,
                    format!("`{path}` moves {from}, which is still an entry of the desired file"),
                    &["remove or rename that entry: after a move only the new address is desired"],
                );
            } else if let Some(other) = moves
                .iter()
                .find(|m| m.from == from || m.to == to || m.to == from || m.from == to)
            {
                self.error(
                    item,
                    format!(
                        "`{path}` ({from} to {to}) and the move of {} to {} share an address",
                        other.from, other.to
                    ),
                    &["move each address once, straight to its new name (no chains)"],
                );
            } else {
                moves.push(Moved { from, to });
            }
        }
        moves
    }

    fn dependency(
        &mut self,
        entry: &Entry,
        target: &str,
        node: &Node,
        desired: &BTreeSet<&str>,
        recorded: &BTreeSet<Address>,
    ) {
        if target == entry.address {
            self.error(
                node,
                format!("{} depends on itself", entry.address),
                &["remove it from its own `depends_on`"],
            );
        } else if !desired.contains(target) && !recorded.contains(target) {
            // Compared by name: every address shares the `ipsec_server.` prefix, which
            // would make any two look close.
            let name_of = |a: &str| a.split_once('.').map_or(a, |(_, name)| name).to_owned();
            let known: Vec<String> = desired
                .iter()
                .copied()
                .chain(recorded.iter().map(Address::as_str))
                .map(name_of)
                .collect();
            let close = suggest::closest(&name_of(target), known.iter().map(String::as_str));
            let help = match close {
                Some(close) => format!("did you mean `{IPSEC_SERVER}.{close}`?"),
                None => {
                    "add that entry to `ipsec_servers`, or remove it from `depends_on`".to_owned()
                }
            };
            self.error(
                node,
                format!(
                    "{} depends on {}, which is neither in `ipsec_servers` nor in the recorded state",
                    entry.address,
                    shown(target)
                ),
                &[&help],
            );
        }
    }

    /// Two entries on one VPN gateway: the cloud holds one IPsec server per gateway.
    fn same_gateway(&mut self, gateway: &str, first: &Entry, again: &Entry, node: &Node) {
        let first_node = first.vpn_gateway_node.expect("entries with a gateway");
        let label = self.label(
            first_node.pos,
            first_node.width,
            false,
            format!("first used by {}", first.address),
        );
        let diagnostic = self.error(
            node,
            format!(
                "the VPN gateway `{gateway}` is under two entries: {} and {}",
                first.address, again.address
            ),
            &["a VPN gateway holds one IPsec server: give each entry its own gateway, or remove one of them"],
        );
        diagnostic.labels.push(label);
    }

    fn duplicate_id(&mut self, id: &str, first: &Entry, again: &Entry, node: &Node) {
        let (_, first_node) = first.id.as_ref().expect("entries with an id");
        let label = self.label(
            first_node.pos,
            first_node.width,
            false,
            format!("first kept by {}", first.address),
        );
        let diagnostic = self.error(
            node,
            format!(
                "the IPsec server `{id}` is under two addresses: {} and {}",
                first.address, again.address
            ),
            &["an existing server is kept by one entry only: remove one of them"],
        );
        diagnostic.labels.push(label);
    }

    /// Reports each dependency cycle among desired entries once, naming every member.
    /// Linear in the entries and their `depends_on` items, whatever the graph's shape
    /// (a 100,000-entry chain or cycle): the components come from petgraph's
    /// `kosaraju_scc`, which is iterative (its `tarjan_scc` recurses once per node and
    /// overflows the stack on a long chain), and one cycle per component is found by a
    /// breadth-first search.
    fn cycles(&mut self, entries: &[Entry]) {
        let index: BTreeMap<&str, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.address.as_str(), i))
            .collect();
        let mut graph = petgraph::graph::DiGraph::<usize, ()>::new();
        let nodes: Vec<_> = (0..entries.len()).map(|i| graph.add_node(i)).collect();
        // The `depends_on` item each arrow was written as (the first, when repeated).
        let mut arrows: BTreeMap<(usize, usize), &Node> = BTreeMap::new();
        for (i, entry) in entries.iter().enumerate() {
            for (target, node) in &entry.depends_on {
                if let Some(&j) = index.get(target.as_str())
                    && i != j
                    && !arrows.contains_key(&(i, j))
                {
                    arrows.insert((i, j), node);
                    graph.add_edge(nodes[i], nodes[j], ());
                }
            }
        }
        let mut components: Vec<Vec<usize>> = petgraph::algo::kosaraju_scc(&graph)
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|c| {
                let mut members: Vec<usize> = c.into_iter().map(|n| graph[n]).collect();
                members.sort_by(|a, b| entries[*a].address.cmp(&entries[*b].address));
                members
            })
            .collect();
        components.sort_by(|a, b| entries[a[0]].address.cmp(&entries[b[0]].address));
        for members in components {
            let cycle = cycle_through_first(&members, |from| {
                graph.neighbors(nodes[from]).map(|n| graph[n])
            });
            let names: Vec<&str> = cycle.iter().map(|&i| entries[i].address.as_str()).collect();
            let on_cycle: BTreeSet<usize> = cycle.iter().copied().collect();
            let others: Vec<&str> = members
                .iter()
                .filter(|m| !on_cycle.contains(m))
                .map(|&m| entries[m].address.as_str())
                .collect();
            // Each arrow is a `depends_on` item: the first is where the error points,
            // the others are shown beside it.
            let arrow_nodes: Vec<&Node> = cycle.windows(2).map(|w| arrows[&(w[0], w[1])]).collect();
            // Every member is named in the message; the snippets stop at a screenful.
            let labels: Vec<Label> = arrow_nodes
                .iter()
                .zip(cycle.windows(2))
                .skip(1)
                .take(CYCLE_SNIPPETS - 1)
                .map(|(node, w)| {
                    self.label(
                        node.pos,
                        node.width,
                        false,
                        format!(
                            "{} depends on {}",
                            entries[w[0]].address, entries[w[1]].address
                        ),
                    )
                })
                .collect();
            let mut message = format!("dependency cycle: {}", names.join(" -> "));
            if !others.is_empty() {
                message.push_str(&format!(
                    "; on other cycles through these entries: {}",
                    others.join(", ")
                ));
            }
            let diagnostic = self.error(
                arrow_nodes[0],
                message,
                &["remove one of these `depends_on` items to break the cycle"],
            );
            diagnostic.labels[0].text = format!("{} depends on {}", names[0], names[1]);
            diagnostic.labels.extend(labels);
            if arrow_nodes.len() > CYCLE_SNIPPETS {
                diagnostic.help.push(format!(
                    "{} more `depends_on` items of this cycle are not shown: they are the arrows of the message",
                    arrow_nodes.len() - CYCLE_SNIPPETS
                ));
            }
        }
    }

    /// Reports every node with an explicit YAML tag (`!!binary`, `!custom`): the file
    /// format has no use for one, and a silently ignored tag hides what the user meant.
    /// Iterative: the parser bounds the depth, but a stack costs nothing here.
    fn tags(&mut self, root: &Node) {
        let mut todo = vec![root];
        let mut tagged = Vec::new();
        while let Some(node) = todo.pop() {
            if let Some(tag) = &node.tag {
                tagged.push((node, tag));
            }
            match &node.value {
                Value::Seq(items) => todo.extend(items.iter().rev()),
                Value::Map(pairs) => {
                    todo.extend(pairs.iter().rev().flat_map(|(k, v)| [v, k]));
                }
                _ => {}
            }
        }
        for (node, tag) in tagged {
            // The spelling as written (`!!binary`), not the resolved URI.
            let written = match tag.strip_prefix("tag:yaml.org,2002:") {
                Some(name) => format!("!!{name}"),
                None => tag.clone(),
            };
            self.error(
                node,
                format!(
                    "the YAML tag `{}` is not allowed in a desired-state file",
                    shown(&written)
                ),
                &["remove the tag and write the value itself (a string, a number, `true` or `false`)"],
            );
        }
    }

    /// A node's text as written in the file (at its anchor, for an alias): how a scalar
    /// was spelled. Empty when the place is not in the file.
    fn spelling(&self, node: &Node) -> String {
        self.lines
            .get((node.defined.line as usize).wrapping_sub(1))
            .map(|l| {
                l.chars()
                    .skip(node.defined.column as usize - 1)
                    .take(node.defined_width as usize)
                    .collect()
            })
            .unwrap_or_default()
    }

    // ----- shapes -----

    /// A mapping's entries with their keys as text; duplicate keys are reported (at the
    /// later one) and dropped, non-scalar keys reported and dropped.
    fn map<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        help: &str,
    ) -> Option<Vec<(String, &'n Node, &'n Node)>> {
        let Value::Map(pairs) = &node.value else {
            let path = if path.is_empty() {
                "the top level"
            } else {
                path
            };
            self.wrong_type(node, "a mapping", path, help);
            return None;
        };
        let mut seen: BTreeMap<String, &Node> = BTreeMap::new();
        let mut entries = Vec::new();
        for (key, value) in pairs {
            let Some(text) = self.key_text(key) else {
                self.error(
                    key,
                    "a key must be a plain name, not a list or a mapping".to_owned(),
                    &[help],
                );
                continue;
            };
            if let Some(first) = seen.get(&text) {
                let label = self.label(
                    first.pos,
                    first.width,
                    false,
                    "first defined here".to_owned(),
                );
                let within = if path.is_empty() {
                    String::new()
                } else {
                    format!(" in `{path}`")
                };
                let diagnostic = self.error(
                    key,
                    format!("duplicate key `{}`{within}", shown(&text)),
                    &["a key may appear once in a mapping: remove or rename one of them"],
                );
                diagnostic.labels.push(label);
                continue;
            }
            seen.insert(text.clone(), key);
            entries.push((text, key, value));
        }
        Some(entries)
    }

    /// A scalar key as the user wrote it. YAML reads `True:`, `NULL:` or `~:` as a
    /// boolean or null, whose canonical text (`true`, `null`) is not what the file says:
    /// an entry written `True:` would become `ipsec_server.true`, and `~:` a valid name
    /// `null`. Keys are names, so a key that is not a string is taken from the source.
    fn key_text(&self, key: &Node) -> Option<String> {
        match &key.value {
            Value::Str(s) => Some(s.clone()),
            Value::Seq(_) | Value::Map(_) => None,
            other => {
                let line = self.lines.get((key.pos.line as usize).wrapping_sub(1));
                let written: Option<String> = line.map(|l| {
                    l.chars()
                        .skip(key.pos.column as usize - 1)
                        .take(key.width as usize)
                        .collect()
                });
                // A key whose text is not on its line (an alias, `? ` forms): the value's
                // own text, which for a null is nothing, not a name.
                Some(match (written, other) {
                    (Some(w), _) if !w.is_empty() && !w.starts_with('*') => w,
                    (_, Value::Null) => String::new(),
                    _ => other.scalar_text()?,
                })
            }
        }
    }

    /// A mapping with a fixed set of fields; unknown ones are reported.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        place: &str,
        known: &[&'static str],
        help: &str,
    ) -> Option<BTreeMap<&'static str, (&'n Node, &'n Node)>> {
        let entries = self.map(node, path, help)?;
        let mut fields = BTreeMap::new();
        for (name, key, value) in entries {
            // Top-level `x-...` keys are the user's own (a place for YAML anchors), as
            // in Docker Compose files.
            if path.is_empty() && name.starts_with("x-") {
                continue;
            }
            match known.iter().find(|k| **k == name) {
                Some(field) => {
                    fields.insert(*field, (key, value));
                }
                None => {
                    let mut helps = Vec::new();
                    if let Some(close) = suggest::closest(&name, known.iter().copied()) {
                        helps.push(format!("did you mean `{close}`?"));
                    }
                    helps.push(format!("expected one of: {}", known.join(", ")));
                    let helps: Vec<&str> = helps.iter().map(String::as_str).collect();
                    self.error(
                        key,
                        format!("unknown field `{}` in {place}", shown(&name)),
                        &helps,
                    );
                }
            }
        }
        Some(fields)
    }

    fn string(&mut self, node: &Node, path: &str, help: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.wrong_type(node, "a string", path, help);
                None
            }
        }
    }
}

/// A shortest cycle from the first of `members` (a strongly connected component of
/// more than one) back to itself, following `next`: first and last element are that
/// member. Breadth-first, so linear in the component's size and arrows.
fn cycle_through_first<I: Iterator<Item = usize>>(
    members: &[usize],
    next: impl Fn(usize) -> I,
) -> Vec<usize> {
    let start = members[0];
    let inside: BTreeSet<usize> = members.iter().copied().collect();
    let mut previous: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut last = None;
    'search: while let Some(at) = queue.pop_front() {
        for to in next(at) {
            if to == start {
                last = Some(at);
                break 'search;
            }
            if inside.contains(&to) && !previous.contains_key(&to) {
                previous.insert(to, at);
                queue.push_back(to);
            }
        }
    }
    // Strongly connected: some member leads back to the start.
    let mut at = last.expect("a member of a component leads back to its first member");
    let mut cycle = vec![start, at];
    while at != start {
        at = previous[&at];
        cycle.push(at);
    }
    cycle.reverse();
    cycle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_terraform_like() {
        for ok in ["office", "_x", "a-b_c9", "A"] {
            assert!(is_name(ok), "{ok}");
        }
        for bad in ["", "1office", "-a", "a.b", "a b", "é"] {
            assert!(!is_name(bad), "{bad}");
        }
    }

    #[test]
    fn cycle_through_first_follows_a_simple_cycle() {
        // 0 -> 2 -> 1 -> 0
        let edges = [(0, 2), (2, 1), (1, 0)];
        let next = |a: usize| edges.iter().filter(move |e| e.0 == a).map(|e| e.1);
        assert_eq!(cycle_through_first(&[0, 1, 2], next), vec![0, 2, 1, 0]);
    }

    #[test]
    fn cycle_through_first_takes_a_shortest_cycle_of_joined_ones() {
        // 0 <-> 1 <-> 2: the shortest way back from 0 is through 1 alone.
        let edges = [(0, 1), (1, 0), (1, 2), (2, 1)];
        let next = |a: usize| edges.iter().filter(move |e| e.0 == a).map(|e| e.1);
        assert_eq!(cycle_through_first(&[0, 1, 2], next), vec![0, 1, 0]);
    }
}
