//! `vpnform import`: its arguments, the progress lines and the printed entries, and a
//! call of [`ops::import::run`].

use super::{CloudArgs, Context, exit};
use crate::address::Kind;
use crate::ops::{self, import::ImportRequest};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// List this region (repeatable); default: the regions of the desired file and the
    /// state.
    #[arg(long = "region", value_name = "REGION", conflicts_with = "all_regions")]
    pub regions: Vec<String>,

    /// List every region vpnform knows.
    #[arg(long)]
    pub all_regions: bool,

    /// Only what is on this VPN gateway (repeatable): its servers, connections, routes
    /// and certificates, the gateway itself; customer gateways are the region's.
    #[arg(long = "gateway", value_name = "GATEWAY")]
    pub gateways: Vec<String>,

    /// Import this kind (repeatable; `all`: every kind); default: IPsec servers only.
    #[arg(long = "kind", value_name = "KIND", value_enum)]
    pub kinds: Vec<ImportKind>,

    /// Append the entries to the desired file (created if absent), leaving every byte
    /// already there as it is.
    #[arg(long)]
    pub write: bool,

    /// One JSON document on stdout instead of text: the regions listed (servers, to
    /// import; with `--kind`, each kind's), each entry (address, kind, id, gateway,
    /// region, references, its observed non-secret attributes) and, with `--write`, the
    /// file written. Errors as JSON diagnostics.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub cloud: CloudArgs,

    /// How long to wait for the state lock (0: fail at once and say who holds it).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub lock_timeout: std::time::Duration,
}

/// A kind `import` imports, as `--kind` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportKind {
    #[value(name = "ipsec_server")]
    IpsecServer,
    #[value(name = "customer_gateway")]
    CustomerGateway,
    #[value(name = "vpn_connection")]
    VpnConnection,
    #[value(name = "vpn_gateway")]
    VpnGateway,
    #[value(name = "vpn_route")]
    VpnRoute,
    #[value(name = "vpn_policy_route")]
    VpnPolicyRoute,
    #[value(name = "ssl_vpn_server")]
    SslVpnServer,
    #[value(name = "ssl_vpn_client_cert")]
    SslVpnClientCert,
    /// Every kind.
    #[value(name = "all")]
    All,
}

impl ImportKind {
    fn kinds(self) -> Vec<Kind> {
        match self {
            ImportKind::IpsecServer => vec![Kind::IpsecServer],
            ImportKind::CustomerGateway => vec![Kind::CustomerGateway],
            ImportKind::VpnConnection => vec![Kind::VpnConnection],
            ImportKind::VpnGateway => vec![Kind::VpnGateway],
            ImportKind::VpnRoute => vec![Kind::VpnRoute],
            ImportKind::VpnPolicyRoute => vec![Kind::VpnPolicyRoute],
            ImportKind::SslVpnServer => vec![Kind::SslVpnServer],
            ImportKind::SslVpnClientCert => vec![Kind::SslVpnClientCert],
            ImportKind::All => ops::import::KINDS.to_vec(),
        }
    }
}

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let json_output = args.json;
    let request = ImportRequest {
        kinds: args.kinds.iter().flat_map(|k| k.kinds()).collect(),
        desired: ctx.desired.clone(),
        state_dir: ctx.state_dir.clone(),
        regions: args.regions,
        all_regions: args.all_regions,
        gateways: args.gateways,
        write: args.write,
        lock_timeout: args.lock_timeout,
        cloud: args.cloud.cloud(),
    };
    if json_output {
        return json(ctx, &request);
    }
    let view = crate::views::for_format(&ctx.ui, false, false);
    let kinds = request.kinds();
    // A line for each region with something listed; with several regions
    // (`--all-regions` lists every one, most of them empty), one line more for all.
    let mut listed = Listed::default();
    let on_region = |region: &ops::import::RegionListed<'_>| {
        listed.add(region);
        if region.listed() > 0 {
            let counts: Vec<(Kind, usize)> =
                region.kinds.iter().map(|k| (k.kind, k.listed)).collect();
            ctx.ui.status(&format!(
                "{}: {} listed, {} to import",
                region.region,
                counted(&counts),
                region.to_import()
            ));
        }
    };
    let imported = ops::connect::runtime()
        .and_then(|runtime| runtime.block_on(ops::import::run(&request, view, on_region)))?;
    if listed.regions > 1 {
        let counts: Vec<(Kind, usize)> = kinds
            .iter()
            .map(|k| (*k, listed.listed.get(k).copied().unwrap_or(0)))
            .collect();
        ctx.ui.status(&format!(
            "{} regions: {} listed in {} of them, {} to import",
            listed.regions,
            counted(&counts),
            listed.with_any,
            listed.to_import
        ));
    }
    let desired = ctx.desired.display();
    let n = imported.entries.len();
    let entries = |n: usize| format!("{n} entr{}", if n == 1 { "y" } else { "ies" });
    let text = if n == 0 {
        let on = if request.gateways.is_empty() {
            String::new()
        } else {
            format!(" on {}", request.gateways.join(", "))
        };
        let nouns: Vec<&str> = kinds.iter().map(|k| k.facts().noun).collect();
        // A route entry has no `id`: its tuple names it.
        let routes = kinds
            .iter()
            .any(|k| matches!(k, Kind::VpnRoute | Kind::VpnPolicyRoute));
        format!(
            "# No {} to import in {}{on}: each one there is recorded in the state or \
             named by an `id`{} in {desired}.{}\n",
            either(&nouns, "or"),
            imported.regions.join(", "),
            if routes {
                " (a route: by its tuple)"
            } else {
                ""
            },
            if request.write {
                " Nothing was written."
            } else {
                ""
            }
        )
    } else if request.write {
        // What was written where; the entries themselves are in the file.
        let how = if imported.created {
            "Wrote"
        } else {
            "Appended"
        };
        let mut text = format!("{how} {} to {desired}:\n", entries(n));
        for entry in &imported.entries {
            let found = &entry.found;
            let on = match found.vpn_gateway() {
                // A gateway is on itself: its id says it.
                Some(gateway) if gateway != found.id() => format!(" on {gateway}"),
                _ => String::new(),
            };
            text.push_str(&format!(
                "  {}: {}{on} ({})\n",
                entry.address,
                found.id(),
                found.region()
            ));
        }
        text.push_str("`vpnform plan` shows one adopt each.\n");
        text
    } else if let [kind] = kinds.as_slice() {
        // The one kind's entries go under its key.
        let what = if *kind == Kind::IpsecServer {
            "servers".to_owned()
        } else {
            format!("{}s", kind.facts().noun)
        };
        format!(
            "{}# {} for the {what} that no address records: add them under `{}:` in \
             {desired}, or run `vpnform import --write`.\n",
            imported.text,
            entries(n),
            kind.facts().desired_key,
        )
    } else {
        let nouns: Vec<String> = kinds
            .iter()
            .map(|k| format!("{}s", k.facts().noun))
            .collect();
        let nouns: Vec<&str> = nouns.iter().map(String::as_str).collect();
        format!(
            "{}# {} for the {} that no address records: add each under the key the comment \
             above it names in {desired}, or run `vpnform import --write`.\n",
            imported.text,
            entries(n),
            either(&nouns, "and"),
        )
    };
    ctx.ui.out(&text);
    Ok(exit::OK)
}

/// `import --json`: the same run, answered as one JSON document (or its diagnostics).
fn json(ctx: &Context, request: &ImportRequest) -> anyhow::Result<u8> {
    // Progress and warnings go to stderr as text; stdout holds the one document.
    let view = crate::views::for_format(&ctx.ui, false, false);
    let mut regions = Vec::new();
    let on_region = |region: &ops::import::RegionListed<'_>| {
        let mut line = serde_json::Map::new();
        line.insert("region".into(), region.region.into());
        if let Some(servers) = region.kinds.iter().find(|k| k.kind == Kind::IpsecServer) {
            line.insert("servers".into(), servers.listed.into());
        }
        line.insert("to_import".into(), region.to_import().into());
        // Each kind's own counts, when the kinds were named.
        if !request.kinds.is_empty() {
            let kinds: serde_json::Map<String, serde_json::Value> = region
                .kinds
                .iter()
                .map(|k| {
                    (
                        k.kind.as_str().to_owned(),
                        serde_json::json!({"listed": k.listed, "to_import": k.to_import}),
                    )
                })
                .collect();
            line.insert("kinds".into(), kinds.into());
        }
        regions.push(serde_json::Value::Object(line));
    };
    let result = ops::connect::runtime()
        .and_then(|runtime| runtime.block_on(ops::import::run(request, view, on_region)));
    let imported = match result {
        Ok(imported) => imported,
        Err(err) => {
            crate::views::Json::new(ctx.ui.clone()).error(&err);
            return Ok(exit::ERROR);
        }
    };
    let entries: Vec<serde_json::Value> = imported
        .entries
        .iter()
        .map(|entry| {
            let found = &entry.found;
            serde_json::json!({
                "address": entry.address.as_str(),
                "kind": entry.address.kind().as_str(),
                "id": found.id(),
                "vpn_gateway": found.vpn_gateway(),
                "region": found.region(),
                // As the entry writes them: an address, else the id.
                "references": entry.references,
                // Observed, never a key: the state records the same.
                "attributes": found.attributes(),
            })
        })
        .collect();
    let document = serde_json::json!({
        "regions": regions,
        "entries": entries,
        "written": (request.write && !entries.is_empty()).then(|| ctx.desired.display().to_string()),
        "created": request.write && imported.created,
    });
    ctx.ui.out(&format!(
        "{}\n",
        serde_json::to_string_pretty(&document).expect("JSON values serialize")
    ));
    Ok(exit::OK)
}

/// `10 IPsec servers`, `1 VPN gateway, 3 IPsec connections`: the kinds with a count, or
/// every kind's zero when none has one.
fn counted(counts: &[(Kind, usize)]) -> String {
    let some: Vec<&(Kind, usize)> = counts.iter().filter(|(_, n)| *n > 0).collect();
    let shown = if some.is_empty() {
        counts.iter().collect()
    } else {
        some
    };
    shown
        .iter()
        .map(|(kind, n)| {
            format!(
                "{n} {}{}",
                kind.facts().noun,
                if *n == 1 { "" } else { "s" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `a`, `a or b`, `a, b or c`.
fn either(words: &[&str], conjunction: &str) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

/// What the regions listed hold, together.
#[derive(Default)]
struct Listed {
    regions: usize,
    /// The regions where anything was listed.
    with_any: usize,
    listed: std::collections::BTreeMap<Kind, usize>,
    to_import: usize,
}

impl Listed {
    fn add(&mut self, region: &ops::import::RegionListed<'_>) {
        self.regions += 1;
        self.with_any += usize::from(region.listed() > 0);
        for k in &region.kinds {
            *self.listed.entry(k.kind).or_default() += k.listed;
        }
        self.to_import += region.to_import();
    }
}
