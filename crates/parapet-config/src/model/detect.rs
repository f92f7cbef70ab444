//! Validated attack detection: the compiled engine of a route.

use crate::file::Mode;
use std::sync::Arc;

/// The detection policy of a route.
#[derive(Clone, Debug)]
pub struct DetectPolicy {
    /// Enforce or monitor.
    pub mode: Mode,
    /// The compiled engine (paranoia, threshold, exclusions).
    pub engine: Arc<parapet_detect::Engine>,
    /// Skip the free-text detectors on values the contract validates as typed.
    pub typed_fields: bool,
}

impl PartialEq for DetectPolicy {
    /// Two policies are equal when their settings are.
    fn eq(&self, other: &Self) -> bool {
        self.mode == other.mode
            && self.typed_fields == other.typed_fields
            && self.engine.settings() == other.engine.settings()
    }
}

impl Eq for DetectPolicy {}
