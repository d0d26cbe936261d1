//! Hostile inputs: the sandbox's wire, API bodies, flags and credentials.

#[allow(unused_imports)]
use crate::support::*;
