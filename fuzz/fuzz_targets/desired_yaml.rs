//! Fuzzes the desired-state loader (`config::load_str`): it must never panic, and every
//! diagnostic must point at a place inside the file and be named `file:line:column` in
//! the rendered error.

#![no_main]

use std::collections::BTreeSet;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vpnform::config::{self, ConfigError};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let recorded = BTreeSet::from(["ipsec_server.old".to_owned()]);
    let Err(err) = config::load_str(Path::new("f.yaml"), text, &recorded) else {
        return;
    };
    let ConfigError::Invalid { diagnostics, .. } = &err else {
        panic!("text in memory gave a non-diagnostic error: {err}");
    };
    assert!(!diagnostics.is_empty());
    let rendered = err.to_string();
    let lines = config::source_lines(text);
    for d in diagnostics {
        let line = lines
            .get((d.line as usize).wrapping_sub(1))
            .unwrap_or_else(|| panic!("line {} outside the file: {}", d.line, d.message));
        assert!(
            d.column >= 1 && d.column as usize <= line.chars().count() + 1,
            "column {} outside line {}: {}",
            d.column,
            d.line,
            d.message
        );
        let place = format!("f.yaml:{}:{}: ", d.line, d.column);
        assert!(rendered.contains(&place), "{place} not in {rendered}");
    }
});
