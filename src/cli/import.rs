//! `vpnform import`: its arguments, the progress lines and the printed entries, and a
//! call of [`ops::import::run`].

use super::{CloudArgs, Context, exit};
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

    /// Only servers on this VPN gateway (repeatable).
    #[arg(long = "gateway", value_name = "GATEWAY")]
    pub gateways: Vec<String>,

    /// Append the entries to the desired file (created if absent), leaving every byte
    /// already there as it is.
    #[arg(long)]
    pub write: bool,

    /// One JSON document on stdout instead of text: the regions listed (servers, to
    /// import), each entry (address, id, gateway, region, its observed non-secret
    /// attributes) and, with `--write`, the file written. Errors as JSON diagnostics.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub cloud: CloudArgs,

    /// How long to wait for the state lock (0: fail at once and say who holds it).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub lock_timeout: std::time::Duration,
}

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let json_output = args.json;
    let request = ImportRequest {
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
    // A line for each region with servers; with several regions (`--all-regions` lists
    // every one, most of them empty), one line more for all of them.
    let mut listed = Listed::default();
    let on_region = |region: &ops::import::RegionListed<'_>| {
        listed.add(region);
        if region.servers > 0 {
            ctx.ui.status(&format!(
                "{}: {} listed, {} to import",
                region.region,
                servers(region.servers),
                region.to_import
            ));
        }
    };
    let imported = ops::connect::runtime()
        .and_then(|runtime| runtime.block_on(ops::import::run(&request, view, on_region)))?;
    if listed.regions > 1 {
        ctx.ui.status(&format!(
            "{} regions: {} listed in {} of them, {} to import",
            listed.regions,
            servers(listed.servers),
            listed.with_servers,
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
        format!(
            "# No IPsec server to import in {}{on}: each one there is recorded in the state or \
             named by an `id` in {desired}.{}\n",
            imported.regions.join(", "),
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
            let server = &entry.server;
            text.push_str(&format!(
                "  {}: {} on {} ({})\n",
                entry.address, server.id, server.vpn_gateway, server.region
            ));
        }
        text.push_str("`vpnform plan` shows one adopt each.\n");
        text
    } else {
        format!(
            "{}# {} for the servers that no address records: add them under \
             `ipsec_servers:` in {desired}, or run `vpnform import --write`.\n",
            imported.text,
            entries(n)
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
        regions.push(serde_json::json!({
            "region": region.region,
            "servers": region.servers,
            "to_import": region.to_import,
        }));
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
            let server = &entry.server;
            serde_json::json!({
                "address": entry.address.as_str(),
                "id": server.id,
                "vpn_gateway": server.vpn_gateway,
                "region": server.region,
                // Observed, never the key: the state records the same.
                "attributes": crate::kinds::ipsec_server::calls::attributes(server),
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

/// `1 IPsec server`, `3 IPsec servers`.
fn servers(n: usize) -> String {
    format!("{n} IPsec server{}", if n == 1 { "" } else { "s" })
}

/// What the regions listed hold, together.
#[derive(Default)]
struct Listed {
    regions: usize,
    with_servers: usize,
    servers: usize,
    to_import: usize,
}

impl Listed {
    fn add(&mut self, region: &ops::import::RegionListed<'_>) {
        self.regions += 1;
        self.with_servers += usize::from(region.servers > 0);
        self.servers += region.servers;
        self.to_import += region.to_import;
    }
}
