//! Papercuts a Terraform user meets: versions, single-dash flags, stale and finished plans.
