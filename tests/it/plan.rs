//! Tests of the plan area.
