//! How plan and apply reach the cloud: the real endpoint with the credential chain, or
//! (`--sandbox`) an in-process sandbox seeded from the recorded state and the desired ids.

use std::path::PathBuf;
use std::time::Duration;

use super::plan::CloudArgs;
use crate::cloud::{Client, ClientOptions, Credentials, ThrottleWarning, resolve_credentials};
use crate::config::Desired;
use crate::sandbox::{self, Sandbox, SandboxConfig};
use crate::state::State;
use crate::ui::Ui;

/// A client, and the sandbox behind it when rehearsing.
pub struct Connection {
    pub client: Client,
    pub sandbox: Option<Sandbox>,
}

impl Connection {
    pub async fn close(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }
}

/// Connects as `args` say. With `--sandbox`, `state` and `desired` seed the sandbox's
/// world: every recorded and every desired server exists on an active gateway.
/// The one warning of an action's persistent throttling goes to `ui` (stderr).
pub async fn connect(
    ui: &Ui,
    args: &CloudArgs,
    state: &State,
    desired: Option<&Desired>,
) -> anyhow::Result<Connection> {
    let options = ClientOptions {
        max_in_flight: args.parallelism,
        requests_per_second: f64::from(args.max_rate),
        ..ClientOptions::default()
    };
    let warn_ui = ui.clone();
    let warn = move |w: &ThrottleWarning| warn_ui.warn(&w.to_string());
    if args.sandbox {
        let mut world = sandbox::seed::from_state(state);
        for server in desired.iter().flat_map(|d| d.servers.values()) {
            if !world.vpn_gateways.contains_key(&server.vpn_gateway) {
                world.add_gateway(&server.vpn_gateway, &server.region);
            }
            if !world.ipsec_servers.contains_key(&server.id) {
                world.add_server(&server.id, &server.vpn_gateway, &server.region);
            }
        }
        let config = SandboxConfig {
            configure_time: args.sandbox_configure_time,
            seed: 1,
            ..SandboxConfig::default()
        };
        let credentials = Credentials {
            access_key_id: config.access_key_id.clone(),
            access_key_secret: config.access_key_secret.clone(),
            security_token: None,
            source: "the in-process sandbox".into(),
        };
        let sandbox = sandbox::start(config, world).await?;
        let client = Client::builder(
            credentials,
            ClientOptions {
                endpoint: Some(sandbox.url()),
                ..options
            },
        )
        .on_throttle_warning(warn)
        .build()?;
        return Ok(Connection {
            client,
            sandbox: Some(sandbox),
        });
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let credentials = resolve_credentials(
        args.profile.as_deref(),
        &|name| std::env::var(name).ok(),
        &home,
    )?;
    let client = Client::builder(
        credentials,
        ClientOptions {
            endpoint: args.endpoint.clone(),
            ..options
        },
    )
    .on_throttle_warning(warn)
    .build()?;
    Ok(Connection {
        client,
        sandbox: None,
    })
}

/// The tokio runtime a command runs its cloud work on.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Parses `--sandbox-configure-time`: `2s` or `1s..3s`.
pub fn parse_configure_time(text: &str) -> Result<(Duration, Duration), String> {
    sandbox::parse_configure_time(text)
}
