//! Tests of the cloud area.
