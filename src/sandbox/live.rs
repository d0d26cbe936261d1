//! The sandbox's world as the server holds it while requests change it ([`Live`]): the
//! seeded [`World`] plus the operations in progress on each gateway's lane, and the
//! clock that turns an `updating` gateway back into `active`.
//!
//! Status is computed from time, not by a background task: a mutation on a gateway's
//! lane records the instant its gateway finishes configuring, and every access first
//! settles everything whose instant has passed. So the instant the configure time
//! elapses, Describe answers `active` and List no longer shows a deleted server or
//! connection, exactly. What sits on a gateway's lane (its IPsec server, its
//! connections) is a [`Child`]; customer gateways have no lane and change at once.
//! Above [`super::world`], which holds the format and its rules.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use sha2::Digest as _;

use super::connections::VpnConnection;
use super::routes::{VpnPbrRoute, VpnRoute};
use super::ssl_vpn::{SslVpnClientCert, SslVpnServer};
use super::world::{Gateway, IpsecServer, World};

/// A resource on a gateway's lane: created, changed and deleted as its gateway
/// configures, so [`Live`] holds it while an operation on it runs.
#[derive(Debug, Clone)]
pub(crate) enum Child {
    IpsecServer(IpsecServer),
    VpnConnection(VpnConnection),
    VpnRoute(VpnRoute),
    VpnPbrRoute(VpnPbrRoute),
    SslVpnServer(SslVpnServer),
    SslVpnClientCert(SslVpnClientCert),
}

/// A kind of [`Child`]: how [`Live`]'s bookkeeping, one for every kind, reaches it.
pub(crate) trait OnLane: Into<Child> {
    /// The resource in `child`, if it is of this kind.
    fn of(child: &Child) -> Option<&Self>;
}

/// `From<$kind> for Child` and `OnLane for $kind`, for each kind of child.
macro_rules! on_lane {
    ($($kind:ident),+ $(,)?) => {
        $(
            impl From<$kind> for Child {
                fn from(child: $kind) -> Child {
                    Child::$kind(child)
                }
            }

            impl OnLane for $kind {
                fn of(child: &Child) -> Option<&Self> {
                    match child {
                        Child::$kind(it) => Some(it),
                        _ => None,
                    }
                }
            }
        )+
    };
}

on_lane!(
    IpsecServer,
    VpnConnection,
    VpnRoute,
    VpnPbrRoute,
    SslVpnServer,
    SslVpnClientCert
);

/// The world as the server holds it: the seeded [`World`] plus the operations in
/// progress, settled lazily against the clock. Every map of an operation is keyed by
/// the id of the [`Child`] it is on (ids of different kinds differ by their prefix).
#[derive(Debug)]
pub(crate) struct Live {
    world: World,
    /// Gateway id -> the instant its configuring ends.
    busy_until: BTreeMap<String, Instant>,
    /// Child id -> the instant it is gone (its gateway's configuring end).
    gone_at: BTreeMap<String, Instant>,
    /// Gateway id -> the instant it last became `active` after configuring.
    active_since: BTreeMap<String, Instant>,
    /// Gateway id -> the instant its accepted mutation starts to show as `updating`
    /// (the status lag); before it the gateway still shows `active` but is not free.
    shows_from: BTreeMap<String, Instant>,
    /// Child id -> how long a list keeps showing its old answer once it is gone or
    /// changed.
    list_lag: BTreeMap<String, Duration>,
    /// Deleted children a list still shows, until the instant given; for a change, the
    /// child as it was before.
    ghosts: BTreeMap<String, (Child, Instant)>,
    /// Child id -> what a change makes it at the instant given (its gateway's
    /// configuring end).
    changes: BTreeMap<String, (Child, Instant)>,
    /// Created children still configuring -> the instant their gateway's configuring
    /// ends. They exist already (listed, and calls on them are `Configuring`).
    creating: BTreeMap<String, Instant>,
    /// Created children a list does not show yet (the list lag), until the instant
    /// given.
    hidden: BTreeMap<String, Instant>,
    /// Gateways being created -> when they turn `provisioning`, and `active`.
    gateway_creates: BTreeMap<String, (Instant, Instant)>,
    /// Gateways being deleted: gone when their configuring ends.
    gateway_deletes: std::collections::BTreeSet<String>,
    /// Ids minted so far: the next id derives from it.
    created: u64,
    /// The instant of the last [`Live::settle`]: what statuses are read at.
    now: Instant,
    max_updating: usize,
}

impl Live {
    pub(crate) fn new(world: World) -> Self {
        Live {
            world,
            busy_until: BTreeMap::new(),
            gone_at: BTreeMap::new(),
            active_since: BTreeMap::new(),
            shows_from: BTreeMap::new(),
            list_lag: BTreeMap::new(),
            ghosts: BTreeMap::new(),
            changes: BTreeMap::new(),
            creating: BTreeMap::new(),
            hidden: BTreeMap::new(),
            gateway_creates: BTreeMap::new(),
            gateway_deletes: std::collections::BTreeSet::new(),
            created: 0,
            now: Instant::now(),
            max_updating: 0,
        }
    }

    /// Applies every operation whose end is at or before `now`. Called first on every
    /// access, so nothing reads a status that should already have changed.
    pub(crate) fn settle(&mut self, now: Instant) {
        let done: Vec<String> = self
            .gone_at
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        self.now = self.now.max(now);
        for id in done {
            let at = self.gone_at.remove(&id).expect("listed above");
            let lag = self.list_lag.remove(&id);
            // A server goes with its certificates: listed as long as it is.
            for (gone, child) in remove_child(&mut self.world, &id) {
                if let Some(lag) = lag {
                    self.ghosts.insert(gone, (child, at + lag));
                }
            }
        }
        let done: Vec<String> = self
            .changes
            .iter()
            .filter(|(_, (_, at))| *at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in done {
            let (child, at) = self.changes.remove(&id).expect("listed above");
            let before = insert_child(&mut self.world, &id, child);
            // The list shows the old answer a while: the child as it was.
            if let (Some(lag), Some(before)) = (self.list_lag.remove(&id), before) {
                self.ghosts.insert(id, (before, at + lag));
            }
        }
        self.creating.retain(|_, until| *until > now);
        self.ghosts.retain(|_, (_, until)| *until > now);
        self.hidden.retain(|_, until| *until > now);
        let done: Vec<(String, Instant)> = self
            .busy_until
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(id, until)| (id.clone(), *until))
            .collect();
        for (id, until) in done {
            self.busy_until.remove(&id);
            self.shows_from.remove(&id);
            if self.gateway_deletes.remove(&id) {
                self.world.vpn_gateways.remove(&id);
                self.active_since.remove(&id);
            } else {
                self.active_since.insert(id, until);
            }
        }
        let creates: Vec<(String, Instant, Instant)> = self
            .gateway_creates
            .iter()
            .map(|(id, (provisioning, active))| (id.clone(), *provisioning, *active))
            .collect();
        for (id, provisioning, active) in creates {
            let status = if active <= now {
                self.gateway_creates.remove(&id);
                self.active_since.insert(id.clone(), active);
                "active"
            } else if provisioning <= now {
                "provisioning"
            } else {
                continue;
            };
            if let Some(gateway) = self.world.vpn_gateways.get_mut(&id) {
                gateway.status = status.to_owned();
            }
        }
    }

    /// Starts a gateway's create: it exists at once, `init`, then `provisioning` from
    /// `provisioning`, then `active` from `active`.
    pub(crate) fn begin_gateway_create(
        &mut self,
        id: &str,
        mut gateway: Gateway,
        provisioning: Instant,
        active: Instant,
    ) {
        gateway.status = "init".to_owned();
        self.world.vpn_gateways.insert(id.to_owned(), gateway);
        self.gateway_creates
            .insert(id.to_owned(), (provisioning, active));
    }

    /// Starts a gateway's delete: it shows `deleting` from `shows_from` until `until`,
    /// then it is gone.
    pub(crate) fn begin_gateway_delete(&mut self, id: &str, shows_from: Instant, until: Instant) {
        self.busy(id, Some(shows_from), until);
        self.gateway_deletes.insert(id.to_owned());
    }

    /// Whether a mutation accepted on the gateway is still running, whatever its status
    /// shows (it may still show `active` during the status lag).
    pub(crate) fn has_task(&self, gateway_id: &str) -> bool {
        self.busy_until.contains_key(gateway_id)
    }

    /// Whether a list must not show this created child yet (the list lag).
    pub(crate) fn is_hidden(&self, id: &str) -> bool {
        self.hidden.contains_key(id)
    }

    /// Whether the child's create is still configuring.
    #[cfg(test)]
    pub(crate) fn is_creating(&self, id: &str) -> bool {
        self.creating.contains_key(id)
    }

    /// Whether an operation on the child itself (its create, a change, its delete) is
    /// still configuring.
    pub(crate) fn is_configuring(&self, id: &str) -> bool {
        self.creating.contains_key(id)
            || self.changes.contains_key(id)
            || self.gone_at.contains_key(id)
    }

    /// A new id, the same sequence on every run: `prefix`, `sbx` and hex digits derived
    /// from `seed` and the count of ids minted so far.
    pub(crate) fn next_id(&mut self, prefix: &str, seed: &str) -> String {
        self.created += 1;
        let digest = sha2::Sha256::digest(format!("{seed}:{}", self.created));
        format!("{prefix}sbx{}", &hex::encode(digest)[..17])
    }

    /// A new server id (`iss-sbx` and hex digits).
    pub(crate) fn next_server_id(&mut self, gateway_id: &str) -> String {
        self.next_id("iss-", &format!("sandbox-server:{gateway_id}"))
    }

    /// Starts a create on `gateway_id`'s lane: the child exists at once, as the cloud has it while its create
    /// configures (listed, and calls on it meet its gateway `updating`); the gateway is
    /// `updating` from `shows_from` (if given, else at once) until `until`, then
    /// `active`. With a list lag, a list gives the old answer (no child) until
    /// `list_lag` after `until`.
    pub(crate) fn begin_create(
        &mut self,
        id: &str,
        gateway_id: &str,
        child: impl OnLane,
        shows_from: Option<Instant>,
        until: Instant,
        list_lag: Duration,
    ) {
        self.busy(gateway_id, shows_from, until);
        insert_child(&mut self.world, id, child.into());
        self.creating.insert(id.to_owned(), until);
        if !list_lag.is_zero() {
            self.hidden.insert(id.to_owned(), until + list_lag);
        }
    }

    /// Starts a change: the gateway is `updating` from `shows_from` (if given, else at
    /// once) until `until`; then the child is `child` and the gateway `active`. A list
    /// shows the old answer `list_lag` longer.
    pub(crate) fn begin_change(
        &mut self,
        id: &str,
        gateway_id: &str,
        child: impl OnLane,
        shows_from: Option<Instant>,
        until: Instant,
        list_lag: Duration,
    ) {
        self.busy(gateway_id, shows_from, until);
        self.changes.insert(id.to_owned(), (child.into(), until));
        if !list_lag.is_zero() {
            self.list_lag.insert(id.to_owned(), list_lag);
        }
    }

    /// Marks the gateway configuring for a change of its own (its `AutoPropagate`):
    /// `updating` from `shows_from` until `until`.
    pub(crate) fn begin_gateway_change(
        &mut self,
        gateway_id: &str,
        shows_from: Instant,
        until: Instant,
    ) {
        self.busy(gateway_id, Some(shows_from), until);
    }

    /// Children of kind `T` deleted but still shown by a list (the list lag), or their
    /// old values while a change is lagging.
    pub(crate) fn ghosts<T: OnLane + 'static>(&self) -> impl Iterator<Item = (&String, &T)> {
        self.ghosts
            .iter()
            .filter_map(|(id, (child, _))| Some((id, T::of(child)?)))
    }

    /// The world as seeded, minus what is gone. Statuses are the seeded ones: use
    /// [`Live::status`] for the current one.
    pub(crate) fn world(&self) -> &World {
        &self.world
    }

    pub(crate) fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    /// The gateway's status now (after [`Live::settle`]).
    pub(crate) fn status<'a>(&'a self, gateway_id: &str, gateway: &'a Gateway) -> &'a str {
        if self.busy_until.contains_key(gateway_id)
            && self
                .shows_from
                .get(gateway_id)
                .is_none_or(|from| *from <= self.now)
        {
            self.busy_status(gateway_id)
        } else {
            &gateway.status
        }
    }

    /// What a gateway configuring shows: `deleting` while its delete runs.
    fn busy_status(&self, gateway_id: &str) -> &'static str {
        if self.gateway_deletes.contains(gateway_id) {
            "deleting"
        } else {
            "updating"
        }
    }

    /// A copy with every status resolved now.
    pub(crate) fn snapshot(&self) -> World {
        let mut world = self.world.clone();
        for id in self.busy_until.keys() {
            if self.shows_from.get(id).is_some_and(|from| *from > self.now) {
                continue;
            }
            if let Some(g) = world.vpn_gateways.get_mut(id) {
                g.status = self.busy_status(id).to_owned();
            }
        }
        world
    }

    /// When the gateway last became active after configuring (None: never configured).
    pub(crate) fn active_since(&self, gateway_id: &str) -> Option<Instant> {
        self.active_since.get(gateway_id).copied()
    }

    /// Starts deleting `id`: its gateway is `updating` until `until`, then the child is
    /// gone and the gateway `active`.
    #[cfg(test)]
    pub(crate) fn begin_delete(&mut self, id: &str, gateway_id: &str, until: Instant) {
        self.begin_delete_lagging(id, gateway_id, None, until, Duration::ZERO);
    }

    /// [`Live::begin_delete`] with lags: the gateway shows `active` until `shows_from`
    /// (if given), then `updating` until `until`; a list shows the child `list_lag`
    /// longer.
    pub(crate) fn begin_delete_lagging(
        &mut self,
        id: &str,
        gateway_id: &str,
        shows_from: Option<Instant>,
        until: Instant,
        list_lag: Duration,
    ) {
        self.busy(gateway_id, shows_from, until);
        self.gone_at.insert(id.to_owned(), until);
        if !list_lag.is_zero() {
            self.list_lag.insert(id.to_owned(), list_lag);
        }
    }

    /// Marks the gateway configuring until `until` (shown from `shows_from`).
    fn busy(&mut self, gateway_id: &str, shows_from: Option<Instant>, until: Instant) {
        self.busy_until.insert(gateway_id.to_owned(), until);
        match shows_from {
            Some(at) => self.shows_from.insert(gateway_id.to_owned(), at),
            None => self.shows_from.remove(gateway_id),
        };
        // Concurrency peaks only when an operation starts, so counting here is exact.
        self.max_updating = self.max_updating.max(self.busy_until.len());
    }

    pub(crate) fn max_updating(&self) -> usize {
        self.max_updating
    }
}

/// Takes a resource off its gateway's lane out of the world, with what goes with it (an
/// SSL-VPN server's client certificates); each with its id.
fn remove_child(world: &mut World, id: &str) -> Vec<(String, Child)> {
    let mut gone = Vec::new();
    let removed = if let Some(server) = world.ipsec_servers.remove(id) {
        Some(Child::IpsecServer(server))
    } else if let Some(connection) = world.vpn_connections.remove(id) {
        Some(Child::VpnConnection(connection))
    } else if let Some(server) = world.ssl_vpn_servers.remove(id) {
        let certs: Vec<String> = world
            .ssl_vpn_client_certs
            .iter()
            .filter(|(_, c)| c.ssl_vpn_server == id)
            .map(|(cert, _)| cert.clone())
            .collect();
        for cert in certs {
            if let Some(c) = world.ssl_vpn_client_certs.remove(&cert) {
                gone.push((cert, Child::SslVpnClientCert(c)));
            }
        }
        Some(Child::SslVpnServer(server))
    } else if let Some(cert) = world.ssl_vpn_client_certs.remove(id) {
        Some(Child::SslVpnClientCert(cert))
    } else if let Some(at) = world.vpn_routes.iter().position(|r| r.key() == id) {
        Some(Child::VpnRoute(world.vpn_routes.remove(at)))
    } else {
        let at = world.vpn_policy_routes.iter().position(|r| r.key() == id);
        at.map(|at| Child::VpnPbrRoute(world.vpn_policy_routes.remove(at)))
    };
    gone.extend(removed.map(|child| (id.to_owned(), child)));
    gone
}

/// Puts a resource on a gateway's lane into the world; returns what it replaced. A
/// route's id is its [`VpnRoute::key`].
fn insert_child(world: &mut World, id: &str, child: Child) -> Option<Child> {
    let id = id.to_owned();
    match child {
        Child::IpsecServer(server) => world
            .ipsec_servers
            .insert(id, server)
            .map(Child::IpsecServer),
        Child::VpnConnection(connection) => world
            .vpn_connections
            .insert(id, connection)
            .map(Child::VpnConnection),
        Child::SslVpnServer(server) => world
            .ssl_vpn_servers
            .insert(id, server)
            .map(Child::SslVpnServer),
        Child::SslVpnClientCert(cert) => world
            .ssl_vpn_client_certs
            .insert(id, cert)
            .map(Child::SslVpnClientCert),
        Child::VpnRoute(route) => {
            replace_or_push(&mut world.vpn_routes, route, VpnRoute::key).map(Child::VpnRoute)
        }
        Child::VpnPbrRoute(route) => {
            replace_or_push(&mut world.vpn_policy_routes, route, VpnPbrRoute::key)
                .map(Child::VpnPbrRoute)
        }
    }
}

/// Replaces the item with `item`'s key, or appends `item`; returns the one replaced.
fn replace_or_push<T>(items: &mut Vec<T>, item: T, key: fn(&T) -> String) -> Option<T> {
    match items.iter().position(|old| key(old) == key(&item)) {
        Some(at) => Some(std::mem::replace(&mut items[at], item)),
        None => {
            items.push(item);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lags_keep_the_gateway_active_then_the_server_listed_for_a_while() {
        let mut world = World::default();
        world.add_server("iss-a", "vpn-a", "cn-hangzhou");
        let mut live = Live::new(world);
        let start = Instant::now();
        let s = Duration::from_secs(1);
        live.begin_delete_lagging("iss-a", "vpn-a", Some(start + s), start + 3 * s, 2 * s);
        let g = live.world().vpn_gateways["vpn-a"].clone();
        live.settle(start + s / 2);
        assert_eq!(live.status("vpn-a", &g), "active");
        assert!(live.has_task("vpn-a"));
        live.settle(start + s);
        assert_eq!(live.status("vpn-a", &g), "updating");
        live.settle(start + 3 * s);
        assert_eq!(live.status("vpn-a", &g), "active");
        assert!(!live.has_task("vpn-a"));
        assert!(!live.world().ipsec_servers.contains_key("iss-a"));
        assert_eq!(live.ghosts::<IpsecServer>().count(), 1);
        live.settle(start + 5 * s);
        assert_eq!(live.ghosts::<IpsecServer>().count(), 0);
    }

    #[test]
    fn the_instant_configuring_ends_the_server_is_gone_and_the_gateway_active() {
        let mut world = World::default();
        world.add_server("iss-a", "vpn-a", "cn-hangzhou");
        let mut live = Live::new(world);
        let start = Instant::now();
        let until = start + Duration::from_secs(2);
        live.begin_delete("iss-a", "vpn-a", until);
        live.settle(until - Duration::from_nanos(1));
        let g = live.world().vpn_gateways["vpn-a"].clone();
        assert_eq!(live.status("vpn-a", &g), "updating");
        assert!(live.world().ipsec_servers.contains_key("iss-a"));
        live.settle(until);
        assert_eq!(live.status("vpn-a", &g), "active");
        assert!(!live.world().ipsec_servers.contains_key("iss-a"));
        assert_eq!(live.active_since("vpn-a"), Some(until));
    }

    #[test]
    fn a_change_shows_at_the_configuring_end_and_the_list_lag_keeps_the_old_answer() {
        let mut world = World::default();
        world.add_gateway("vpn-a", "cn-hangzhou");
        world.add_server("iss-b", "vpn-b", "cn-hangzhou");
        let mut live = Live::new(world);
        let start = Instant::now();
        let s = Duration::from_secs(1);
        live.begin_create(
            "iss-a",
            "vpn-a",
            IpsecServer::new("vpn-a"),
            None,
            start + s,
            s,
        );
        live.begin_change(
            "iss-b",
            "vpn-b",
            IpsecServer::new("vpn-b").named("new"),
            None,
            start + s,
            s,
        );
        live.settle(start + s / 2);
        // A create still configuring exists (the list lag hides it from the list).
        assert!(live.is_creating("iss-a"));
        assert!(live.world().ipsec_servers.contains_key("iss-a"));
        assert!(live.is_hidden("iss-a"));
        assert_eq!(live.world().ipsec_servers["iss-b"].name, None);
        live.settle(start + s);
        assert!(!live.is_creating("iss-a"));
        assert!(live.world().ipsec_servers.contains_key("iss-a"));
        assert!(live.is_hidden("iss-a"));
        assert_eq!(
            live.world().ipsec_servers["iss-b"].name.as_deref(),
            Some("new")
        );
        assert_eq!(
            live.ghosts::<IpsecServer>()
                .next()
                .map(|(id, g)| (id.as_str(), g.name.clone())),
            Some(("iss-b", None))
        );
        live.settle(start + 2 * s);
        assert!(!live.is_hidden("iss-a"));
        assert_eq!(live.ghosts::<IpsecServer>().count(), 0);
    }
}
