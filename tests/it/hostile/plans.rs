//! Hostile inputs: forged saved plans and journal entries.

#[allow(unused_imports)]
use crate::support::*;
