//! The plan: desired against recorded (and, online, against the cloud) -> actions, the
//! dependency graph, the plan hash and ClientTokens, rendering and saved plans.
//!
//! Middle of the data's path: desired YAML -> config -> **plan** -> apply -> state.

mod model;

pub use model::{Action, ActionKind, Plan, Precheck};
pub mod online;
