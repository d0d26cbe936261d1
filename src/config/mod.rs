//! The desired state: `vpnform.yaml` as the user wrote it (raw types that keep
//! locations) validated into [`Desired`], the only form the planner sees.
//!
//! First stop on the data's path: desired YAML -> **config** -> plan -> apply -> state.

mod model;

pub use model::{Desired, DesiredServer};
