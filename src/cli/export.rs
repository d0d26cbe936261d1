//! `vpnform export ssl_vpn_client_cert.NAME --dir DIR`: a recorded certificate's
//! material into four files of mode 0600 (see `ops::export`); stderr names the files,
//! never their contents.

use std::path::PathBuf;

use super::{CloudArgs, Context, exit};
use crate::ops::export::{ExportRequest, run as export};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The recorded certificate: ssl_vpn_client_cert.NAME.
    #[arg(value_name = "ADDRESS")]
    pub address: String,

    /// The directory to write ca.crt, client.crt, client.key and NAME.ovpn into (created
    /// if missing). A directory inside a git work tree is refused.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,

    /// Write inside a git work tree, and replace files that exist.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub cloud: CloudArgs,
}

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let request = ExportRequest {
        desired: ctx.desired.clone(),
        state_dir: ctx.state_dir().to_owned(),
        address: args.address,
        dir: args.dir,
        force: args.force,
        cloud: args.cloud.cloud(),
    };
    let view = std::sync::Arc::new(crate::views::Notices::new(ctx.ui.clone()));
    let written = crate::ops::connect::runtime()
        .and_then(|runtime| runtime.block_on(export(&request, view)))?;
    for path in written {
        ctx.ui
            .status(&format!("wrote {} (mode 0600)", path.display()));
    }
    Ok(exit::OK)
}
