use clap::CommandFactory;

use super::{Cli, Context};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// bash, zsh, fish, elvish or powershell.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

pub(super) fn run(ctx: &Context, args: Args) -> anyhow::Result<u8> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "vpnform", &mut out);
    ctx.ui.out(&String::from_utf8_lossy(&out));
    Ok(super::exit::OK)
}
