use std::path::PathBuf;

use super::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Plan from the files alone: no refresh from the cloud, no delete prechecks.
    #[arg(long)]
    pub offline: bool,

    /// One JSON object a line (Terraform's machine-readable UI shape) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Exit 0 when there are no changes, 1 on error, 2 when there are changes.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Save the plan to FILE for `vpnform apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Fail the plan if it would delete more than N servers.
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<usize>,

    #[command(flatten)]
    pub cloud: CloudArgs,

    /// How long to wait for the state lock (0: fail at once and say who holds it).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::parse_duration)]
    pub lock_timeout: std::time::Duration,
}

/// How to reach the cloud (online plan, apply).
#[derive(Debug, Clone, clap::Args)]
pub struct CloudArgs {
    /// Rehearse against an in-process sandbox seeded from the recorded state and the
    /// desired ids; the real state file is never written.
    #[arg(long)]
    pub sandbox: bool,

    /// Send API calls to URL instead of the region's endpoint (http:// only for loopback).
    #[arg(long, value_name = "URL", env = "VPNFORM_ENDPOINT")]
    pub endpoint: Option<String>,

    /// The aliyun CLI profile to take credentials from (~/.aliyun/config.json).
    #[arg(long, value_name = "NAME", env = "ALIBABA_CLOUD_PROFILE")]
    pub profile: Option<String>,

    /// At most N API requests in flight (operations waiting for a gateway do not count).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub parallelism: usize,
}

pub fn run(_ctx: &Context, _args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("`vpnform plan` is not built yet")
}
