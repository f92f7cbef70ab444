//! The whole config loader: strict YAML (serde-saphyr) and semantic validation, on any
//! UTF-8 text. It must never panic; errors are the expected outcome for most inputs, and
//! they must render (`parapet check` prints them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The config names files (TLS material, log files). Relative names resolve under a folder
    // that does not exist, so they fail cleanly; an absolute name into /dev (/dev/zero,
    // /dev/stdin) would make the loader read forever, which is the operator's own doing and
    // not a finding.
    if text.contains("/dev") || text.contains("/proc") || text.contains("/sys") {
        return;
    }
    match parapet_config::parse(Path::new("/nonexistent/parapet-fuzz/config.yaml"), text) {
        Ok(config) => {
            let _ = format!("{config:?}");
        }
        Err(errors) => {
            let rendered = errors.to_string();
            assert!(!rendered.is_empty(), "an error list renders to nothing");
        }
    }
});
