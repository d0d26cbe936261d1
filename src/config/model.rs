//! The validated desired state. Every value here has passed validation; what the user
//! wrote, with its locations, stays in the raw types of the loader.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::attributes::{Attributes, PskSource};
use crate::Address;

/// The desired state after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// The file as the user named it, for messages.
    pub path: PathBuf,
    /// Hex SHA-256 of the file's bytes; a saved plan pins it.
    pub sha256: String,
    /// Every desired entry, of every kind, by address (`ipsec_server.NAME`,
    /// `customer_gateway.NAME`).
    pub servers: BTreeMap<Address, DesiredServer>,
    /// `defaults.region`, if written: a region of the desired file even with no entry
    /// (`vpnform import` and the unmanaged-servers hint look there).
    pub default_region: Option<String>,
    /// `moved`: recorded addresses renamed (Terraform's `moved` blocks), each `to` a
    /// desired entry and each `from` not one.
    pub moved: Vec<Moved>,
}

/// One `moved` entry: the recorded address `from` is now `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub from: Address,
    pub to: Address,
}

/// One desired entry: an existing resource this entry keeps (`id`), or one vpnform
/// creates (no `id`). Its kind is its address's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredServer {
    pub address: Address,
    /// `iss-...`; `None`: vpnform creates the server and records its id.
    pub id: Option<String>,
    /// `vpn-...`: the gateway whose lane it is on; empty for a kind without a lane.
    pub vpn_gateway: String,
    /// The entry's `region`, else `defaults.region`.
    pub region: String,
    /// Addresses this one depends on (sorted, deduplicated).
    pub depends_on: Vec<Address>,
    pub protect: bool,
    /// An IPsec server's managed attributes, typed: the ones the entry writes (the
    /// default for other kinds).
    pub attributes: Attributes,
    /// The managed attributes the entry writes, in the text form the state records and
    /// the plan compares, in the file's order: what the planner reads, for every kind.
    pub values: Vec<(&'static str, String)>,
    /// Where the pre-shared key comes from (never the key); `None`: the cloud's own.
    pub psk: Option<PskSource>,
}
