//! Hostile inputs: state, lock, backup and plan files on disk (links, modes, sizes, serials).

#[allow(unused_imports)]
use crate::support::*;
