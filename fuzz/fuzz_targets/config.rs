//! The whole config loader: strict YAML (serde-saphyr) and semantic validation, on any
//! UTF-8 text. It must never panic; errors are the expected outcome for most inputs, and
//! they must render (`parapet check` prints them). The environment variables of [`SECRETS`]
//! are set, so that secrets read from the environment can load.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::Once;

/// Secrets given as `{ env: NAME }` that load: one long enough for an HMAC key (32 bytes or
/// more), one too short, one empty. Files never load (see below), so without these every
/// HMAC issuer, introspection client and `forward.jwt` would fail before their own checks
/// run.
const SECRETS: [(&str, &str); 3] = [
    (
        "PARAPET_FUZZ_SECRET",
        "fuzz-secret-0123456789abcdef-0123456789",
    ),
    ("PARAPET_FUZZ_SHORT_SECRET", "short"),
    ("PARAPET_FUZZ_EMPTY_SECRET", ""),
];

static ENV: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    ENV.call_once(|| {
        for (name, value) in SECRETS {
            // SAFETY: set once, before any config is parsed, while libFuzzer runs the target
            // on this thread only; nothing else in the process reads the environment.
            unsafe { std::env::set_var(name, value) };
        }
    });
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
