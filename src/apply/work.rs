//! What the executor's parts share: the options of a run, a unit of work (a plan action
//! with its token, whom it waits for and its gateway), the run's shared context, and how
//! an action ended well. Below the engine (which builds and dispatches the work), the
//! actions and the steps (which do it), so none of them imports another for these.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::configure_time::PollStrategy;
use super::journal::Journal;
use super::report::{ActionEvent, ActionReporter};
use super::schedule::{Job, Lanes};
use super::watch::GatewayWatch;
use crate::Address;
use crate::cloud::Client;
use crate::plan::Action;
use crate::secret::Secret;
use crate::state::Deposed;

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Pause between two rounds of gateway status polls in a region.
    pub poll_interval: Duration,
    /// How often a waiting action reports that it is still waiting.
    pub progress_every: Duration,
    /// The longest one wait for a gateway to become active may take.
    pub max_wait: Duration,
    /// How many times a busy gateway is waited for before a delete gives up.
    pub max_contention_waits: u32,
    /// How many `ListIpsecServers` reads confirm a change before giving up on it.
    pub confirm_attempts: u32,
    /// How gateway waits are polled; [`PollStrategy::Fixed`] is the classic fixed-interval
    /// waiter, kept for benchmarks.
    pub poll_strategy: PollStrategy,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            poll_interval: Duration::from_millis(500),
            progress_every: Duration::from_secs(10),
            max_wait: Duration::from_secs(30 * 60),
            max_contention_waits: 20,
            // With pauses from 50ms growing by half up to a second (`Rereads`), sixty
            // reads ride out a status or listing lag of about 55s.
            confirm_attempts: 60,
            poll_strategy: PollStrategy::Adaptive,
        }
    }
}

/// One unit of work: a plan action or a pending intent of an earlier run.
#[derive(Debug, Clone)]
pub(super) struct Work {
    pub(super) action: Action,
    /// The ClientToken to send: the journal's when an intent is pending.
    pub(super) token: String,
    /// An intent is already journaled (an earlier run's): resolve it from the cloud.
    pub(super) journaled: bool,
    pub(super) waits_for: Vec<Address>,
    /// Some other action waits for this one.
    pub(super) has_dependents: bool,
    /// Which half of a replace this is, if it is one.
    pub(super) half: Option<Half>,
}

/// The two halves of a replace, each on its own gateway.
#[derive(Debug, Clone)]
pub(super) enum Half {
    /// The create on the new gateway. Once it is confirmed, one write records the new
    /// server, keeps the old one as `deposed` and journals its delete with `delete_token`
    /// (the token of `delete_plan`, the plan that journaled the create).
    Create {
        deposed: Deposed,
        delete_token: String,
        delete_plan: String,
    },
    /// The delete of the deposed old server: confirmed, it drops `deposed` (and its
    /// pending entry), never the resource, which records the new server.
    DeleteDeposed,
    /// A create journaled by an earlier run whose entry left the desired file: resolved
    /// from the cloud, and its server, if it made one, recorded and deleted.
    Orphan,
}

/// `(region, gateway id)`.
pub(super) type GatewayKey = (String, String);

pub(super) struct Shared {
    pub(super) client: Client,
    pub(super) journal: Arc<Journal>,
    pub(super) watch: GatewayWatch,
    pub(super) reporter: Arc<dyn ActionReporter>,
    pub(super) options: ApplyOptions,
    pub(super) plan_hash: String,
    pub(super) keys: BTreeMap<Address, Secret>,
    /// Every id known by address: recorded at the start, or created by this run.
    pub(super) ids: std::sync::Mutex<BTreeMap<Address, String>>,
    /// One mutation per VPN gateway at a time; cancellation.
    pub(super) lanes: Arc<Lanes<GatewayKey, Address>>,
}

impl Shared {
    /// `address` was created as `id` by this run.
    pub(super) fn created(&self, address: &Address, id: &str) {
        self.ids
            .lock()
            .expect("ids lock")
            .insert(address.clone(), id.to_owned());
    }

    /// The id `value` names: an id as it is, a reference by address resolved (the
    /// graph ran that resource's create first). `None`: an address nothing recorded.
    pub(super) fn resolve(&self, value: &str) -> Option<String> {
        match value.parse::<Address>() {
            Ok(address) => self.ids.lock().expect("ids lock").get(&address).cloned(),
            Err(_) => Some(value.to_owned()),
        }
    }

    /// Another mutation of this run is still to run on `a`'s gateway.
    pub(super) fn more_queued(&self, a: &Action) -> bool {
        self.lanes.more_queued(&lane_of(a))
    }
}

pub(super) fn lane_of(a: &Action) -> GatewayKey {
    if a.vpn_gateway.is_empty() {
        // No lane (a customer gateway): a lane of its own, which nothing else waits on.
        return (a.region.clone(), a.address.to_string());
    }
    (a.region.clone(), a.vpn_gateway.clone())
}

impl Job for Work {
    type Id = Address;
    type Lane = GatewayKey;

    fn id(&self) -> &Address {
        &self.action.address
    }

    fn waits_for(&self) -> &[Address] {
        &self.waits_for
    }

    /// A mutation holds its gateway; a state-only action needs none.
    fn lane(&self) -> Option<GatewayKey> {
        self.action.mutates_cloud().then(|| lane_of(&self.action))
    }
}

/// `a` waits for its gateway, held by `behind` of this run.
pub(super) fn queued(reporter: &dyn ActionReporter, a: &Action, behind: Option<Address>) {
    reporter.event(&ActionEvent::Queued {
        address: a.address.clone(),
        action: a.action,
        id: a.id.clone(),
        gateway: a.vpn_gateway.clone(),
        behind,
        code: None,
    });
}

/// How an action ended well.
pub(super) enum Finished {
    /// Done; a create's new id.
    Done(Option<String>),
    /// A replace done, and when its delete half started: the destruction's time counts
    /// from there, not from the create's start.
    Replaced {
        delete_started: tokio::time::Instant,
    },
    /// A replace where the server is, done: the new id, and when its create half
    /// started (its destruction reported its own completion).
    ReplacedInPlace {
        new_id: String,
        create_started: tokio::time::Instant,
    },
    /// A delete whose server was already gone.
    AlreadyGone,
    /// Nothing to do after all (a journaled create that made no server): why.
    Dropped(String),
}
