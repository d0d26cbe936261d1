//! Tests of the state area.
