//! Fuzzes the state reader (`state::parse`): it must never panic, every error names the
//! file, and whatever it accepts writes back to bytes that read as the same state, again
//! and again (`parse(to_yaml(s)) == s`, stable bytes).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vpnform::state;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("state/vpnform.state.yaml");
    match state::parse(path, text) {
        Err(err) => {
            let rendered = err.to_string();
            assert!(rendered.contains("state/vpnform.state.yaml"), "{rendered}");
        }
        Ok(s) => {
            let written = state::to_yaml(&s).expect("a parsed state serializes");
            let back = state::parse(path, &written)
                .unwrap_or_else(|e| panic!("cannot read what was written: {e}\n{written}"));
            assert_eq!(back, s, "{written}");
            assert_eq!(state::to_yaml(&back).unwrap(), written);
        }
    }
});
