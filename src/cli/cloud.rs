//! The arguments that say how plan and apply reach the cloud.

use crate::ops::{Cloud, Destination};

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

    /// The aliyun CLI profile to take credentials from (~/.aliyun/config.json, then the
    /// ini file), ahead of any keys in the environment. ALIBABA_CLOUD_PROFILE names a
    /// profile too, but only when the environment holds no keys.
    // Not bound to ALIBABA_CLOUD_PROFILE with clap's `env`: the credential chain must
    // know whether the name was typed (it then beats the environment's keys) or inherited.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// At most N API requests in flight, 1 to 1000 (operations waiting for a gateway do
    /// not count).
    #[arg(long, value_name = "N", default_value_t = crate::cloud::DEFAULT_PARALLELISM, value_parser = super::parallelism)]
    pub parallelism: usize,

    /// At most N requests a second per API action. vpnform starts each action at the rate
    /// the last apply learned against the endpoint, else 10 a second, and finds the
    /// cloud's limit from its throttling; this caps what it may reach (e.g. to leave room
    /// for other tools on the account).
    #[arg(long, value_name = "N", default_value_t = crate::cloud::DEFAULT_MAX_RATE as u32,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_rate: u32,

    /// With --sandbox: how long a gateway configures after a create, an update or a delete
    /// (`2s`, `1s..3s`).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = crate::sandbox::parse_configure_time)]
    pub sandbox_configure_time: (std::time::Duration, std::time::Duration),
}

impl CloudArgs {
    /// Where the operation's API calls go.
    pub fn cloud(&self) -> Cloud {
        let destination = if self.sandbox {
            Destination::Rehearsal {
                configure_time: self.sandbox_configure_time,
            }
        } else {
            Destination::Cloud {
                endpoint: self.endpoint.clone(),
                profile: self.profile.clone(),
            }
        };
        Cloud {
            destination,
            parallelism: self.parallelism,
            max_rate: self.max_rate,
        }
    }
}
