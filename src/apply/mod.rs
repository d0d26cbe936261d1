//! The executor: runs a [`crate::plan::Plan`] against the cloud, one configuring
//! operation per VPN gateway at a time, journaling every intent and recording every
//! confirmed result in the state at once.
//!
//! Data's path: desired YAML -> config -> plan -> **apply** -> state.
