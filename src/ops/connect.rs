//! How plan and apply reach the cloud: the real endpoint with the credential chain, or
//! (`--sandbox`) an in-process sandbox seeded from the recorded state and the desired ids,
//! or a client the caller built (tests, benchmarks).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{Event, Reporter};
use crate::cloud::{Client, ClientOptions, Credentials, resolve_credentials};
use crate::config::Desired;
use crate::sandbox::{self, Sandbox, SandboxConfig};
use crate::state::State;

/// Where an operation's API calls go.
#[derive(Clone)]
pub enum Destination {
    /// The region's endpoint (or `endpoint`), with credentials from the chain (`profile`
    /// first when given).
    Cloud {
        endpoint: Option<String>,
        profile: Option<String>,
    },
    /// A rehearsal (`--sandbox`): an in-process sandbox seeded from the recorded state
    /// and the desired ids, whose gateways configure for `configure_time` after a change.
    /// An apply then never writes the real state.
    Rehearsal {
        configure_time: (Duration, Duration),
    },
    /// A client built by the caller, used as is.
    Client(Client),
}

/// How to reach the cloud (online plan, apply).
#[derive(Clone)]
pub struct Cloud {
    pub destination: Destination,
    /// At most this many API requests in flight (not for [`Destination::Client`], whose
    /// options are its own).
    pub parallelism: usize,
    /// At most this many requests a second per API action (not for [`Destination::Client`]).
    pub max_rate: u32,
}

impl Cloud {
    /// Whether this is a rehearsal against an in-process sandbox.
    pub fn is_rehearsal(&self) -> bool {
        matches!(self.destination, Destination::Rehearsal { .. })
    }

    /// Checks `--endpoint` (https, or plain http to loopback only; no path) before
    /// anything else: an operation calls this first, so that no credential or key is
    /// read for a request that could never be sent.
    pub fn check_endpoint(&self) -> Result<(), crate::cloud::EndpointError> {
        match &self.destination {
            Destination::Cloud {
                endpoint: Some(endpoint),
                ..
            } => crate::cloud::endpoint_for("", Some(endpoint)).map(drop),
            _ => Ok(()),
        }
    }
}

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

/// Connects as `cloud` says. For a rehearsal, `state` and `desired` seed the sandbox's
/// world: every recorded and every desired server exists on an active gateway, and a
/// recorded server whose desired `psk` names the recorded source holds the key read
/// from it (in memory, as the cloud would). The one warning of an action's persistent
/// throttling goes to `reporter`.
pub(crate) async fn connect(
    cloud: &Cloud,
    state: &State,
    desired: Option<&Desired>,
    reporter: &Arc<dyn Reporter>,
) -> anyhow::Result<Connection> {
    let options = ClientOptions {
        max_in_flight: cloud.parallelism,
        requests_per_second: f64::from(cloud.max_rate),
        ..ClientOptions::default()
    };
    let reporter = reporter.clone();
    let warn = move |w: &crate::cloud::ThrottleWarning| reporter.event(&Event::Throttled(w));
    let (endpoint, profile) = match &cloud.destination {
        Destination::Client(client) => {
            return Ok(Connection {
                client: client.clone(),
                sandbox: None,
            });
        }
        Destination::Rehearsal { configure_time } => {
            let mut world = crate::kinds::ipsec_server::seed::from_state(state);
            for server in desired.iter().flat_map(|d| d.servers.values()) {
                if server.vpn_gateway.is_empty() {
                    // A kind without a lane (a customer gateway): one with an id exists.
                    if let Some(id) = &server.id {
                        let written: std::collections::BTreeMap<String, String> = server
                            .values
                            .iter()
                            .map(|(k, v)| ((*k).to_owned(), v.clone()))
                            .collect();
                        crate::kinds::ipsec_server::seed::add_customer_gateway(
                            &mut world,
                            id,
                            &server.region,
                            &written,
                        );
                    }
                    continue;
                }
                if !world.vpn_gateways.contains_key(&server.vpn_gateway) {
                    world.add_gateway(&server.vpn_gateway, &server.region);
                }
                if server.address.kind() != crate::address::Kind::IpsecServer {
                    // A connection with an id exists, with the customer gateway it
                    // names (a gateway entry is its gateway, added above).
                    if server.address.kind() == crate::address::Kind::VpnConnection
                        && let Some(id) = &server.id
                    {
                        let resource = crate::state::Resource {
                            id: id.clone(),
                            region: server.region.clone(),
                            vpn_gateway: server.vpn_gateway.clone(),
                            depends_on: Vec::new(),
                            protect: false,
                            psk: None,
                            // A reference by address is the recorded id, else the
                            // id the entry adopts.
                            attributes: server
                                .values
                                .iter()
                                .map(|(k, v)| {
                                    let kind = server.address.kind().facts();
                                    let id = v
                                        .parse::<crate::Address>()
                                        .ok()
                                        .filter(|_| kind.names_by_address(k, v))
                                        .and_then(|a| match state.resources.get(&a) {
                                            Some(r) => Some(r.id.clone()),
                                            None => desired?.servers.get(&a)?.id.clone(),
                                        })
                                        .unwrap_or_else(|| v.clone());
                                    ((*k).to_owned(), id)
                                })
                                .collect(),
                            deposed: None,
                        };
                        crate::kinds::ipsec_server::seed::add_connection(&mut world, id, &resource);
                    }
                    continue;
                }
                // An entry without an id is a create: nothing to seed.
                if let Some(id) = &server.id
                    && !world.ipsec_servers.contains_key(id)
                {
                    world.add_server(id, &server.vpn_gateway, &server.region);
                }
                // The state records the source a server's key was last set from, so the
                // rehearsal's server holds that key: only a new source is a key change,
                // as offline. A source that cannot be read seeds nothing; the plan then
                // fails naming it.
                if let (Some(source), Some(recorded)) =
                    (&server.psk, state.resources.get(&server.address))
                    && recorded.psk == Some(crate::state::PskRecord::of(source))
                    && let Some(seeded) = world.ipsec_servers.get_mut(&recorded.id)
                    && let Ok(key) = source.read(&server.address)
                {
                    seeded.psk = Some(key);
                }
            }
            let config = SandboxConfig {
                configure_time: *configure_time,
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
        Destination::Cloud { endpoint, profile } => (endpoint, profile),
    };
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let credentials =
        resolve_credentials(profile.as_deref(), &|name| std::env::var(name).ok(), &home)?;
    let client = Client::builder(
        credentials,
        ClientOptions {
            endpoint: endpoint.clone(),
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

/// The tokio runtime a command runs an operation on.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
