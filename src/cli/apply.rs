use std::path::PathBuf;

use super::Context;
use super::plan::CloudArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A saved plan (from `plan --out`) to run without asking.
    #[arg(value_name = "FILE")]
    pub plan_file: Option<PathBuf>,

    /// Do not ask for approval.
    #[arg(long)]
    pub auto_approve: bool,

    /// One JSON object a line (Terraform's machine-readable UI shape) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Fail if the plan would delete more than N servers.
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<usize>,

    #[command(flatten)]
    pub cloud: CloudArgs,

    /// How long to wait for the state lock (0: fail at once and say who holds it).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub lock_timeout: std::time::Duration,
}

pub fn run(_ctx: &Context, _args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("`vpnform apply` is not built yet")
}
