use super::Context;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serve the emulated VPC API on loopback until Ctrl-C.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

pub fn run(_ctx: &Context, _cmd: Command) -> anyhow::Result<u8> {
    anyhow::bail!("`vpnform sandbox serve` is not built yet")
}
