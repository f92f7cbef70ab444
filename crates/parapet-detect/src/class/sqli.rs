//! Sqli detection (to be written).

use crate::detector::{Detector, Input, Sink};
use crate::rule::Class;

/// The sqli detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Sqli,
    rules: &[],
    scan,
};

fn scan(_input: &Input<'_>, _sink: &mut Sink<'_>) {}
