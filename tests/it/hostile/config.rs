//! Hostile inputs: the desired file, its graph and the terminal it reaches.

#[allow(unused_imports)]
use crate::support::*;
