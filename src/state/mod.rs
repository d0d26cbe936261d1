//! The recorded state: `state/vpnform.state.yaml`, what vpnform manages. Reading,
//! deterministic atomic writing, the lock file and the `pending` intent journal.
//!
//! Last stop on the data's path: desired YAML -> config -> plan -> apply -> **state**.

mod model;

pub use model::{ApplyingPlan, PendingOp, Resource, STATE_VERSION, State};
