//! A VPN gateway's routes as the sandbox's world holds them (the YAML keys `vpn_routes`
//! and `vpn_policy_routes`, documented in [`super::world`], which checks the rules
//! between them, the gateways and the connections): destination routes and
//! policy-based routes, their fields and defaults, and the checks of one route.
//!
//! A route has no id: the cloud names it by its tuple (gateway, destination, next hop;
//! a policy-based route also by its source), and every call on it gives that tuple.
//! [`VpnRoute::key`] and [`VpnPbrRoute::key`] spell the tuple as one string (`vpn-...:
//! vco-...:10.0.0.0/24`, the order the Terraform provider gives its ids), which the
//! lane's bookkeeping and the audit log use as the route's id. `weight` and `priority`
//! are not part of it: they change in place.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use super::attributes::cidr;

/// The destination routes a gateway holds, and as many policy-based ones (API.md).
pub(crate) const ROUTES_PER_GATEWAY: usize = 20;
/// A route's weight: 100 for the active link, 0 for the standby one.
pub(crate) const WEIGHTS: [u32; 2] = [0, 100];
/// A policy-based route's priority: a smaller number wins.
pub(crate) const PRIORITIES: RangeInclusive<u32> = 1..=100;
/// The priority of a policy-based route given none (the request model's default).
pub(crate) const DEFAULT_PRIORITY: u32 = 10;

/// A destination-based route: traffic to `route_dest` leaves through `next_hop`, an
/// IPsec-VPN connection of the same gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpnRoute {
    pub vpn_gateway: String,
    pub route_dest: String,
    pub next_hop: String,
    /// 0 or 100.
    #[serde(default)]
    pub weight: u32,
    /// Whether the route is published to the VPC's route table (`State` `published`,
    /// else `normal`).
    #[serde(default)]
    pub publish_vpc: bool,
    /// Milliseconds since the epoch, as the API answers `CreateTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<u64>,
}

/// A policy-based route: traffic from `route_source` to `route_dest` leaves through
/// `next_hop`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpnPbrRoute {
    pub vpn_gateway: String,
    pub route_source: String,
    pub route_dest: String,
    pub next_hop: String,
    #[serde(default)]
    pub weight: u32,
    /// 1 to 100.
    #[serde(default = "default_priority")]
    pub priority: u32,
    #[serde(default)]
    pub publish_vpc: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<u64>,
}

fn default_priority() -> u32 {
    DEFAULT_PRIORITY
}

impl VpnRoute {
    pub fn new(vpn_gateway: &str, route_dest: &str, next_hop: &str) -> Self {
        VpnRoute {
            vpn_gateway: vpn_gateway.to_owned(),
            route_dest: route_dest.to_owned(),
            next_hop: next_hop.to_owned(),
            weight: 0,
            publish_vpc: false,
            create_time: None,
        }
    }

    /// The route's tuple as one string: its id in the lane's bookkeeping and the audit.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.vpn_gateway, self.next_hop, self.route_dest)
    }

    /// The route as a message names it.
    pub(crate) fn describe(&self) -> String {
        format!("{} via {}", self.route_dest, self.next_hop)
    }

    /// A world file's route, checked as a create would check it: `(field, value, why)`.
    pub(crate) fn check(&self) -> Result<(), (&'static str, String, String)> {
        check_cidr("route_dest", &self.route_dest)?;
        check_weight(self.weight)
    }
}

impl VpnPbrRoute {
    pub fn new(vpn_gateway: &str, route_source: &str, route_dest: &str, next_hop: &str) -> Self {
        VpnPbrRoute {
            vpn_gateway: vpn_gateway.to_owned(),
            route_source: route_source.to_owned(),
            route_dest: route_dest.to_owned(),
            next_hop: next_hop.to_owned(),
            weight: 0,
            priority: DEFAULT_PRIORITY,
            publish_vpc: false,
            create_time: None,
        }
    }

    /// The route's tuple as one string, as [`VpnRoute::key`].
    pub fn key(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.vpn_gateway, self.next_hop, self.route_source, self.route_dest
        )
    }

    pub(crate) fn describe(&self) -> String {
        format!(
            "from {} to {} via {}",
            self.route_source, self.route_dest, self.next_hop
        )
    }

    pub(crate) fn check(&self) -> Result<(), (&'static str, String, String)> {
        check_cidr("route_source", &self.route_source)?;
        check_cidr("route_dest", &self.route_dest)?;
        check_weight(self.weight)?;
        if !PRIORITIES.contains(&self.priority) {
            return Err((
                "priority",
                self.priority.to_string(),
                format!(
                    "a priority is {} to {}",
                    PRIORITIES.start(),
                    PRIORITIES.end()
                ),
            ));
        }
        Ok(())
    }
}

/// The `State` the Describe calls answer for a route.
pub(crate) fn state(publish_vpc: bool) -> &'static str {
    if publish_vpc { "published" } else { "normal" }
}

fn check_cidr(field: &'static str, value: &str) -> Result<(), (&'static str, String, String)> {
    cidr(value)
        .map(|_| ())
        .map_err(|why| (field, value.to_owned(), why))
}

fn check_weight(weight: u32) -> Result<(), (&'static str, String, String)> {
    if WEIGHTS.contains(&weight) {
        Ok(())
    } else {
        Err((
            "weight",
            weight.to_string(),
            "a weight is 0 (standby) or 100 (active)".to_owned(),
        ))
    }
}

/// What destination and policy-based routes share, for the rules and the calls that
/// are the same for both.
pub(crate) trait Route: Clone {
    /// How messages name the kind: `vpn route`, `vpn policy route`.
    const KIND: &'static str;
    /// How messages count them: `destination routes`, `policy-based routes`.
    const KINDS: &'static str;
    fn vpn_gateway(&self) -> &str;
    fn next_hop(&self) -> &str;
    fn route_dest(&self) -> &str;
    fn weight(&self) -> u32;
    fn weight_mut(&mut self) -> &mut u32;
    fn publish_vpc_mut(&mut self) -> &mut bool;
    fn create_time_mut(&mut self) -> &mut Option<u64>;
    fn key(&self) -> String;
    fn describe(&self) -> String;
    fn check(&self) -> Result<(), (&'static str, String, String)>;
}

macro_rules! route {
    ($type:ty, $kind:literal, $kinds:literal) => {
        impl Route for $type {
            const KIND: &'static str = $kind;
            const KINDS: &'static str = $kinds;
            fn vpn_gateway(&self) -> &str {
                &self.vpn_gateway
            }
            fn next_hop(&self) -> &str {
                &self.next_hop
            }
            fn route_dest(&self) -> &str {
                &self.route_dest
            }
            fn weight(&self) -> u32 {
                self.weight
            }
            fn weight_mut(&mut self) -> &mut u32 {
                &mut self.weight
            }
            fn publish_vpc_mut(&mut self) -> &mut bool {
                &mut self.publish_vpc
            }
            fn create_time_mut(&mut self) -> &mut Option<u64> {
                &mut self.create_time
            }
            fn key(&self) -> String {
                <$type>::key(self)
            }
            fn describe(&self) -> String {
                <$type>::describe(self)
            }
            fn check(&self) -> Result<(), (&'static str, String, String)> {
                <$type>::check(self)
            }
        }
    };
}

route!(VpnRoute, "vpn route", "destination routes");
route!(VpnPbrRoute, "vpn policy route", "policy-based routes");
