//! The Alibaba Cloud VPC API client: signing, credentials, endpoints, typed errors,
//! retries and rate limits. Everything that leaves the process for the cloud goes
//! through here; the sandbox answers the same wire protocol.
//!
//! - [`sign`]: signature v1 over the exact bytes sent (shared with the sandbox).
//! - `credentials`: the environment / aliyun CLI / SDK ini chain.
//! - `endpoint`: the region's endpoint as the official SDK picks it, or `--endpoint`.
//! - `error`: [`ApiError`] and [`ErrorClass`]: decoding and classifying error answers, and
//!   their user-facing text.
//! - `retry`: backoff, `x-acs-retry-after`, the per-action AIMD rate limiter.
//! - `types`: the options, requests and answers other modules use; `answers`: the
//!   answers as they arrive on the wire.
//! - `client`: the [`Client`]: one call, signed, retried and paced, for any API action;
//!   the typed calls of each resource kind live with the kind (`crate::kinds`).

// ApiError is the contract type every layer matches on; boxing it would make each
// caller's `match` noisier for a few bytes on a path that waits on the network anyway.
#![allow(clippy::result_large_err)]

mod answers;
pub(crate) mod client;
mod credentials;
mod endpoint;
mod error;
mod retry;
pub mod sign;
mod types;

pub use client::{Client, CloudError};
pub(crate) use credentials::resolve_credentials;
pub(crate) use endpoint::EndpointError;
pub(crate) use endpoint::endpoint_for;
pub use error::{ApiError, ErrorClass};
pub use retry::LearnedRate;
pub(crate) use retry::ThrottleWarning;
pub(crate) use retry::{DEFAULT_MAX_RATE, DEFAULT_PARALLELISM};
pub(crate) use types::*;
pub use types::{ClientOptions, Credentials, RetryPolicy};
