use super::Context;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the recorded addresses.
    List,
    /// Show one recorded resource.
    Show {
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
    /// Forget resources without deleting them in the cloud (a backup is kept).
    Rm {
        #[arg(value_name = "ADDRESS", required = true)]
        addresses: Vec<String>,
        /// How long to wait for the state lock.
        #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
        lock_timeout: std::time::Duration,
    },
    /// Clear `protect` on a recorded resource so that a plan may delete it.
    Unprotect {
        #[arg(value_name = "ADDRESS")]
        address: String,
        /// How long to wait for the state lock.
        #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
        lock_timeout: std::time::Duration,
    },
}

pub fn run(_ctx: &Context, _cmd: Command) -> anyhow::Result<u8> {
    anyhow::bail!("`vpnform state` is not built yet")
}
