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

    #[command(flatten)]
    pub cloud: CloudArgs,

    /// How long to wait for the state lock (0: fail at once and say who holds it).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub lock_timeout: std::time::Duration,
}

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
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
    let view = crate::views::for_format(&ctx.ui, false, false);
    let on_region = |listed: &ops::import::RegionListed<'_>| {
        ctx.ui.status(&format!(
            "{}: {} IPsec server{} listed, {} to import",
            listed.region,
            listed.servers,
            if listed.servers == 1 { "" } else { "s" },
            listed.to_import
        ));
    };
    let imported = ops::connect::runtime()
        .and_then(|runtime| runtime.block_on(ops::import::run(&request, view, on_region)))?;
    let desired = ctx.desired.display();
    let n = imported.entries.len();
    let mut text = imported.text.clone();
    if n == 0 {
        let on = if request.gateways.is_empty() {
            String::new()
        } else {
            format!(" on {}", request.gateways.join(", "))
        };
        text.push_str(&format!(
            "# No IPsec server to import in {}{on}: each one there is recorded in the state or \
             named by an `id` in {desired}.{}\n",
            imported.regions.join(", "),
            if request.write {
                " Nothing was written."
            } else {
                ""
            }
        ));
    } else if request.write {
        let how = if imported.created {
            "Wrote"
        } else {
            "Appended"
        };
        text.push_str(&format!(
            "# {how} {n} entr{} to {desired}: `vpnform plan` shows one adopt each.\n",
            if n == 1 { "y" } else { "ies" }
        ));
    } else {
        text.push_str(&format!(
            "# {n} entr{} for the servers that no address records: add them under \
             `ipsec_servers:` in {desired}, or run `vpnform import --write`.\n",
            if n == 1 { "y" } else { "ies" }
        ));
    }
    ctx.ui.out(&text);
    Ok(exit::OK)
}
