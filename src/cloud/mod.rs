//! The Alibaba Cloud VPC API client: signing, credentials, endpoints, typed errors,
//! retries and rate limits. Everything that leaves the process for the cloud goes
//! through here; the sandbox answers the same wire protocol.

pub mod sign;
mod types;

pub use types::*;
