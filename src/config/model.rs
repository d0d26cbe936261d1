//! The validated desired state. Every value here has passed validation; what the user
//! wrote, with its locations, stays in the raw types of the loader.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::Address;

/// The desired state after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// The file as the user named it, for messages.
    pub path: PathBuf,
    /// Hex SHA-256 of the file's bytes; a saved plan pins it.
    pub sha256: String,
    /// Every desired IPsec server, by address (`ipsec_server.NAME`).
    pub servers: BTreeMap<Address, DesiredServer>,
    /// `defaults.region`, if written: a region of the desired file even with no entry
    /// (`vpnform import` and the unmanaged-servers hint look there).
    pub default_region: Option<String>,
}

/// One desired IPsec server: an existing server this entry keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredServer {
    pub address: Address,
    /// `iss-...`
    pub id: String,
    /// `vpn-...`
    pub vpn_gateway: String,
    /// The entry's `region`, else `defaults.region`.
    pub region: String,
    /// Addresses this one depends on (sorted, deduplicated).
    pub depends_on: Vec<Address>,
    pub protect: bool,
}
