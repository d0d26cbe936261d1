//! The executor: runs a [`crate::plan::Plan`] against the cloud, one configuring
//! operation per VPN gateway at a time, journaling every intent and recording every
//! confirmed result in the state at once.
//!
//! Data's path: desired YAML -> config -> plan -> **apply** -> state.
//!
//! - [`journal`]: the one writer of the state during a run (intent before every call,
//!   result after every confirmation, group-committed and durable before acknowledged).
//! - [`watch`]: waits for gateways to return to `active`, polling each region with one
//!   batched `DescribeVpnGateways` round for all the gateways anyone waits on.
//!   The configure-time estimator it polls by is `configure_time.rs`, a pure type.
//! - [`engine`]: the entry of a run: the work list, the dispatch, the outcome.
//!   `schedule.rs` runs each action in its turn (readiness, one lane per VPN gateway,
//!   Ctrl-C); `actions.rs` holds the mutations, each made of the steps in `step.rs`
//!   (intent, send, wait, confirm, record).
//! - [`error`]: why an action failed, as data ([`StepError`]).
//! - [`report`]: the events a run emits (`crate::views` renders them).
//! - [`saved_check`]: whether a saved plan may run (or resume) against the state as it is.

mod actions;
pub(crate) mod configure_time;
pub(crate) mod engine;
pub(crate) mod error;
mod gateway;
pub(crate) mod journal;
mod lane;
pub(crate) mod report;
mod route;
pub(crate) mod saved_check;
mod schedule;
mod ssl_vpn;
mod step;
mod synchronous;
pub(crate) mod watch;
pub(crate) mod work;

pub use configure_time::PollStrategy;
pub(crate) use engine::Outcome;
pub(crate) use engine::{Execution, execute};
pub(crate) use journal::{Change, Journal, check_pending};
pub use journal::{JOURNALED, JournalStats};
pub(crate) use report::{ActionEvent, ActionReporter};
pub use work::ApplyOptions;
