//! The managed attributes of an entry (`name`, `local_subnet`, `client_ip_pool`, `psk`,
//! `effect_immediately`, `ike_config`, `ipsec_config`): each read into its typed value
//! (`super::super::attributes`) or reported where it is written.

use std::collections::BTreeMap;
use std::path::Path;

use super::super::attributes::{
    self as typed, Attributes, AuthAlg, EncAlg, IkeConfig, IkeId, IkeMode, IkePfs, IkeVersion,
    IpsecConfig, IpsecPfs, Ipv4Net, Lifetime, PskSource, ServerName,
};
use super::Checker;
use crate::config::raw::{Node, Value};
use crate::suggest;
use crate::yaml::shown;

const IKE_FIELDS: &[&str] = &[
    "ike_version",
    "ike_mode",
    "ike_enc_alg",
    "ike_auth_alg",
    "ike_pfs",
    "ike_lifetime",
    "local_id",
    "remote_id",
];
const IPSEC_FIELDS: &[&str] = &[
    "ipsec_enc_alg",
    "ipsec_auth_alg",
    "ipsec_pfs",
    "ipsec_lifetime",
];

/// The most CIDR blocks one `local_subnet` lists: far more than a VPN server routes in
/// practice, and a pasted million-line list is refused with the limit named.
pub(super) const MAX_LOCAL_SUBNETS: usize = 100;

/// The longest environment variable name or file path a `psk` source may have.
const MAX_SOURCE_CHARS: usize = 1024;

/// What an entry's attributes read into, with the nodes the cross-checks point at.
#[derive(Default)]
pub(super) struct Read<'n> {
    pub attributes: Attributes,
    pub psk: Option<PskSource>,
    /// Each `local_subnet` block and where it is written.
    pub local_subnet: Vec<(Ipv4Net, &'n Node)>,
    pub client_ip_pool: Option<(Ipv4Net, &'n Node)>,
    /// `local_subnet` / `client_ip_pool` written at all (even if wrong): a create that
    /// has them is not also told they are missing.
    pub local_subnet_written: bool,
    pub client_ip_pool_written: bool,
}

/// Masks, in every quoted line, the characters of the secrets at `secrets` (a place
/// and a width): a literal key is quoted by its own error, and by any other error on
/// its line, and must not be printed by either.
pub(super) fn mask_secrets(
    diagnostics: &mut [super::Diagnostic],
    secrets: &[(crate::config::raw::Pos, u64)],
) {
    for label in diagnostics.iter_mut().flat_map(|d| d.labels.iter_mut()) {
        for (pos, width) in secrets.iter().filter(|(pos, _)| pos.line == label.line) {
            // The quoted line may be an excerpt: `source_column` is `column` in it.
            let shift = label.column as i128 - label.source_column as i128;
            let start = pos.column as i128 - 1 - shift;
            let end = start + *width as i128;
            label.source_line = label
                .source_line
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if (start..end).contains(&(i as i128)) {
                        '*'
                    } else {
                        c
                    }
                })
                .collect();
        }
    }
}

impl<'t> Checker<'t> {
    /// Reads the attribute fields among `fields` of the entry at `path`. `dir` is the
    /// desired file's directory, which a `psk: {file}` path is relative to.
    pub(super) fn attributes<'n>(
        &mut self,
        fields: &BTreeMap<&'static str, (&'n Node, &'n Node)>,
        path: &str,
        dir: &Path,
    ) -> Read<'n> {
        let mut read = Read::default();
        if let Some((_, node)) = fields.get("name") {
            let field = format!("{path}.name");
            if let Some(text) =
                self.string(node, &field, "write the server's name, e.g. `name: office`")
            {
                match ServerName::parse(&text) {
                    Ok(name) => read.attributes.name = Some(name),
                    Err(why) => {
                        let message = if text.is_empty() {
                            format!("`{field}` is empty: {why}")
                        } else {
                            format!(
                                "`{}` in `{field}` is not a server name: {why}",
                                shown(&text)
                            )
                        };
                        self.error(
                            node,
                            message,
                            &["write 1 to 100 characters, e.g. `name: office`"],
                        );
                    }
                }
            }
        }
        if let Some((_, node)) = fields.get("local_subnet") {
            read.local_subnet_written = true;
            read.local_subnet = self.local_subnet(node, &format!("{path}.local_subnet"));
            if !read.local_subnet.is_empty() {
                read.attributes.local_subnet =
                    Some(read.local_subnet.iter().map(|(net, _)| *net).collect());
            }
        }
        if let Some((_, node)) = fields.get("client_ip_pool") {
            read.client_ip_pool_written = true;
            let field = format!("{path}.client_ip_pool");
            if let Some(net) = self.cidr(node, &field) {
                read.client_ip_pool = Some((net, *node));
                read.attributes.client_ip_pool = Some(net);
            }
        }
        if let Some((pool, pool_node)) = read.client_ip_pool
            && let Some((subnet, subnet_node)) = read
                .local_subnet
                .iter()
                .find(|(net, _)| typed::overlap(&pool, net))
        {
            let label = self.label(
                subnet_node.pos,
                subnet_node.width,
                false,
                format!("`{subnet}` is a local subnet"),
            );
            let diagnostic = self.error(
                pool_node,
                format!("`{path}.client_ip_pool` {pool} overlaps the local subnet {subnet}"),
                &["the client pool hands out addresses that must not exist behind the server: choose a block outside every `local_subnet`"],
            );
            diagnostic.labels.push(label);
        }
        if let Some((_, node)) = fields.get("psk") {
            read.psk = self.psk(node, &format!("{path}.psk"), dir);
        }
        if let Some((_, node)) = fields.get("effect_immediately") {
            read.attributes.effect_immediately =
                self.boolean(node, &format!("{path}.effect_immediately"));
        }
        if let Some((_, node)) = fields.get("ike_config") {
            read.attributes.ike_config = self.ike_config(node, &format!("{path}.ike_config"));
        }
        if let Some((_, node)) = fields.get("ipsec_config") {
            read.attributes.ipsec_config = self.ipsec_config(node, &format!("{path}.ipsec_config"));
        }
        read
    }

    /// One CIDR string or a list of them, at most [`MAX_LOCAL_SUBNETS`], none twice.
    pub(super) fn local_subnet<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
    ) -> Vec<(Ipv4Net, &'n Node)> {
        let items: Vec<&Node> = match &node.value {
            Value::Str(_) => vec![node],
            Value::Seq(items) if items.is_empty() => {
                self.error(
                    node,
                    format!("`{path}` is an empty list"),
                    &["list the subnets behind the server, e.g. `local_subnet: [10.0.0.0/24]`"],
                );
                return Vec::new();
            }
            Value::Seq(items) if items.len() > MAX_LOCAL_SUBNETS => {
                self.error(
                    node,
                    format!(
                        "`{path}` lists {} CIDR blocks, more than the {MAX_LOCAL_SUBNETS} vpnform accepts",
                        items.len()
                    ),
                    &["list at most 100 blocks: merge adjacent ones into a shorter prefix"],
                );
                return Vec::new();
            }
            Value::Seq(items) => items.iter().collect(),
            _ => {
                self.wrong_type(
                    node,
                    "a CIDR block or a list of them",
                    path,
                    "write e.g. `local_subnet: [10.0.0.0/24, 10.0.1.0/24]`",
                );
                return Vec::new();
            }
        };
        let mut nets: Vec<(Ipv4Net, &Node)> = Vec::new();
        for item in items {
            let Some(net) = self.cidr(item, path) else {
                continue;
            };
            if let Some((_, first)) = nets.iter().find(|(other, _)| typed::overlap(other, &net)) {
                let label = self.label(
                    first.pos,
                    first.width,
                    false,
                    "overlaps this one".to_owned(),
                );
                let diagnostic = self.error(
                    item,
                    format!("`{net}` in `{path}` overlaps another block of the list"),
                    &["each address is in one block: remove the one inside the other"],
                );
                diagnostic.labels.push(label);
                continue;
            }
            nets.push((net, item));
        }
        nets
    }

    pub(super) fn cidr(&mut self, node: &Node, path: &str) -> Option<Ipv4Net> {
        let text = self.string(node, path, "write a CIDR block, e.g. `10.0.0.0/24`")?;
        match typed::parse_cidr(&text) {
            Ok(net) => Some(net),
            Err(why) => {
                self.error(
                    node,
                    format!("`{}` in `{path}` is not a CIDR block", shown(&text)),
                    &[&why],
                );
                None
            }
        }
    }

    /// `{env: NAME}` or `{file: PATH}`. Anything else, a string above all, is a key
    /// written into the file: refused, and its characters masked in the snippet, since
    /// the message must not print the secret it is about.
    pub(super) fn psk(&mut self, node: &Node, path: &str, dir: &Path) -> Option<PskSource> {
        const HELP: &str = "write `psk: {env: NAME}` (an environment variable) or `psk: {file: PATH}` (a file beside the desired file)";
        if !matches!(node.value, Value::Map(_)) {
            self.error(
                node,
                format!("a literal pre-shared key in `{path}`: the key never goes in the desired file"),
                &[HELP, "the key written here is in the file's history: change it on the server's clients"],
            );
            self.secrets.push((node.pos, node.width));
            return None;
        }
        let fields = self.fields(node, path, &format!("`{path}`"), &["env", "file"], HELP)?;
        let mut sources = fields.values();
        let (Some((_, value)), None) = (sources.next(), sources.next()) else {
            let message = if fields.is_empty() {
                format!("`{path}` names no source")
            } else {
                format!("`{path}` names two sources: `env` and `file`")
            };
            self.error(node, message, &[HELP]);
            return None;
        };
        let is_env = fields.contains_key("env");
        let field = format!("{path}.{}", if is_env { "env" } else { "file" });
        let text = self.string(value, &field, HELP)?;
        if text.is_empty() || text.chars().count() > MAX_SOURCE_CHARS {
            self.error(
                value,
                format!("`{field}` must have 1 to {MAX_SOURCE_CHARS} characters"),
                &[HELP],
            );
            return None;
        }
        if is_env {
            let good = text
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !good {
                self.error(
                    value,
                    format!("`{}` in `{field}` is not an environment variable name", shown(&text)),
                    &["a name has only ASCII letters, digits and `_`, and does not start with a digit, e.g. `OFFICE_PSK`"],
                );
                return None;
            }
            self.confined(value, PskSource::Env(text), dir)
        } else {
            if text.contains('\0') {
                self.error(
                    value,
                    format!("`{field}` has a NUL character, which no file name has"),
                    &[HELP],
                );
                return None;
            }
            let path = dir.join(&text);
            self.confined(
                value,
                PskSource::File {
                    written: text,
                    path,
                },
                dir,
            )
        }
    }

    /// `source` if vpnform may read it ([`crate::config::psk::check_source`]: secret
    /// sources are confined), else an error at `node`. Nothing is read.
    fn confined(&mut self, node: &Node, source: PskSource, dir: &Path) -> Option<PskSource> {
        match crate::config::psk::check_source(&source, dir) {
            Ok(()) => Some(source),
            Err(error) => {
                self.error(node, error.to_string(), &[&error.help()]);
                None
            }
        }
    }

    /// `true` or `false`, spelled so.
    pub(super) fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) if matches!(self.spelling(node).as_str(), "true" | "false") => Some(b),
            Value::Bool(_) => {
                let written = self.spelling(node);
                self.error(
                    node,
                    format!(
                        "`{}` in `{path}` is not a boolean of this file: write `true` or `false`",
                        shown(&written)
                    ),
                    &["write `true` or `false` (lower case)"],
                );
                None
            }
            _ => {
                self.wrong_type(node, "true or false", path, "write `true` or `false`");
                None
            }
        }
    }

    fn ike_config(&mut self, node: &Node, path: &str) -> Option<IkeConfig> {
        let fields = self.fields(
            node,
            path,
            &format!("`{path}`"),
            IKE_FIELDS,
            "write a mapping, e.g. `ike_config: {ike_version: ikev2, ike_lifetime: 86400}`",
        )?;
        let get = |name: &str| fields.get(name).map(|(_, value)| *value);
        let mut config = IkeConfig::default();
        if let Some(node) = get("ike_version") {
            config.ike_version = self.one_of(
                node,
                &format!("{path}.ike_version"),
                IkeVersion::parse,
                IkeVersion::ALL,
            );
        }
        if let Some(node) = get("ike_mode") {
            config.ike_mode = self.one_of(
                node,
                &format!("{path}.ike_mode"),
                IkeMode::parse,
                IkeMode::ALL,
            );
        }
        if let Some(node) = get("ike_enc_alg") {
            config.ike_enc_alg = self.one_of(
                node,
                &format!("{path}.ike_enc_alg"),
                EncAlg::parse,
                EncAlg::ALL,
            );
        }
        if let Some(node) = get("ike_auth_alg") {
            config.ike_auth_alg = self.one_of(
                node,
                &format!("{path}.ike_auth_alg"),
                AuthAlg::parse,
                AuthAlg::ALL,
            );
        }
        if let Some(node) = get("ike_pfs") {
            config.ike_pfs =
                self.one_of(node, &format!("{path}.ike_pfs"), IkePfs::parse, IkePfs::ALL);
        }
        if let Some(node) = get("ike_lifetime") {
            config.ike_lifetime = self.lifetime(node, &format!("{path}.ike_lifetime"));
        }
        if let Some(node) = get("local_id") {
            config.local_id = self.ike_id(node, &format!("{path}.local_id"));
        }
        if let Some(node) = get("remote_id") {
            config.remote_id = self.ike_id(node, &format!("{path}.remote_id"));
        }
        Some(config)
    }

    fn ipsec_config(&mut self, node: &Node, path: &str) -> Option<IpsecConfig> {
        let fields = self.fields(
            node,
            path,
            &format!("`{path}`"),
            IPSEC_FIELDS,
            "write a mapping, e.g. `ipsec_config: {ipsec_enc_alg: aes, ipsec_lifetime: 86400}`",
        )?;
        let get = |name: &str| fields.get(name).map(|(_, value)| *value);
        let mut config = IpsecConfig::default();
        if let Some(node) = get("ipsec_enc_alg") {
            config.ipsec_enc_alg = self.one_of(
                node,
                &format!("{path}.ipsec_enc_alg"),
                EncAlg::parse,
                EncAlg::ALL,
            );
        }
        if let Some(node) = get("ipsec_auth_alg") {
            config.ipsec_auth_alg = self.one_of(
                node,
                &format!("{path}.ipsec_auth_alg"),
                AuthAlg::parse,
                AuthAlg::ALL,
            );
        }
        if let Some(node) = get("ipsec_pfs") {
            config.ipsec_pfs = self.one_of(
                node,
                &format!("{path}.ipsec_pfs"),
                IpsecPfs::parse,
                IpsecPfs::ALL,
            );
        }
        if let Some(node) = get("ipsec_lifetime") {
            config.ipsec_lifetime = self.lifetime(node, &format!("{path}.ipsec_lifetime"));
        }
        Some(config)
    }

    /// One of the documented spellings `all`, the nearest suggested otherwise.
    pub(super) fn one_of<T>(
        &mut self,
        node: &Node,
        path: &str,
        parse: fn(&str) -> Option<T>,
        all: &[&'static str],
    ) -> Option<T> {
        let list = all.join(", ");
        let text = self.string(node, path, &format!("write one of: {list}"))?;
        if let Some(value) = parse(&text) {
            return Some(value);
        }
        let mut helps = Vec::new();
        if let Some(close) = suggest::closest(&text.to_lowercase(), all.iter().copied()) {
            helps.push(format!("did you mean `{close}`?"));
        }
        helps.push(format!("expected one of: {list}"));
        let helps: Vec<&str> = helps.iter().map(String::as_str).collect();
        self.error(
            node,
            format!("unknown value `{}` in `{path}`", shown(&text)),
            &helps,
        );
        None
    }

    fn lifetime(&mut self, node: &Node, path: &str) -> Option<Lifetime> {
        let help = "a lifetime is a number of seconds from 0 to 86400, e.g. `86400`";
        match node.value {
            Value::Int(n) => {
                match Lifetime::new(n) {
                    Some(lifetime) => Some(lifetime),
                    None => {
                        self.error(
                        node,
                        format!("`{n}` in `{path}` is out of range: a lifetime is 0 to 86400 seconds"),
                        &[help],
                    );
                        None
                    }
                }
            }
            _ => {
                self.wrong_type(node, "a number of seconds", path, help);
                None
            }
        }
    }

    fn ike_id(&mut self, node: &Node, path: &str) -> Option<IkeId> {
        let text = self.string(
            node,
            path,
            "write an IP address or a name, e.g. `47.98.1.1`",
        )?;
        match IkeId::parse(&text) {
            Ok(id) => Some(id),
            Err(why) => {
                let message = if text.is_empty() {
                    format!("`{path}` is empty: {why}")
                } else {
                    format!(
                        "`{}` in `{path}` is not an IKE identity: {why}",
                        shown(&text)
                    )
                };
                self.error(
                    node,
                    message,
                    &["write 1 to 100 characters: an IP address or a name"],
                );
                None
            }
        }
    }
}
