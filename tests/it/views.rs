//! The human and JSON views: large plans, progress, diagnostics, show --json.
