//! The hostile-input suite: every file vpnform reads (desired, state, journal entries,
//! saved plans, credentials, locks) and every byte the network sends it, forged, linked,
//! truncated or enormous. Each test is named after the defect it pins down.

mod config;
mod files;
mod inputs;
mod plans;
mod wire;
