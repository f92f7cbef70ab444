//! Java detection (to be written).

use crate::detector::{Detector, Input, Sink};
use crate::rule::Class;

/// The java detector.
pub(crate) static DETECTOR: Detector = Detector {
    class: Class::Java,
    rules: &[],
    scan,
};

fn scan(_input: &Input<'_>, _sink: &mut Sink<'_>) {}
