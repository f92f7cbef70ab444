//! The XML threat limits (parapet-contract `limits/xml.rs`) on any bytes: `check` with the
//! default limits and with small ones, so that every limit is reached often. Checks:
//!
//! - it never panics (quick-xml is driven over hostile input, DTDs included);
//! - a breach names one of the XML rules, an offset within the input, and a pointer that is
//!   empty or a path of at most `max_depth + 1` element names;
//! - the limits are monotone: a body accepted under the small limits is accepted under the
//!   defaults, which are larger in every dimension;
//! - an accepted body is UTF-8 (the check reads nothing else).
#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_contract::limits::xml::{XmlBreach, XmlLimits, check};

const RULES: [&str; 8] = [
    "xml.dtd",
    "xml.entity",
    "xml.syntax",
    "xml.max_size",
    "xml.max_depth",
    "xml.max_elements",
    "xml.max_attributes",
    "xml.max_text_length",
];

fn breach_is_sound(breach: &XmlBreach, data: &[u8], limits: &XmlLimits) {
    assert!(RULES.contains(&breach.rule), "unknown rule {}", breach.rule);
    assert!(
        breach.offset <= data.len(),
        "offset past the input: {breach:?}"
    );
    assert!(
        breach.pointer.is_empty() || breach.pointer.starts_with('/'),
        "bad pointer: {breach:?}"
    );
    assert!(
        breach.pointer.matches('/').count() <= limits.max_depth.saturating_add(1),
        "pointer deeper than the depth limit allows: {breach:?}"
    );
    let violation = breach.violation();
    assert_eq!(violation.rule, breach.rule);
    assert_eq!(violation.pointer, breach.pointer);
}

fuzz_target!(|data: &[u8]| {
    let defaults = XmlLimits::default();
    let small = XmlLimits {
        max_size: 4096,
        max_depth: 4,
        max_elements: 16,
        max_attributes: 3,
        max_text_length: 32,
    };
    let verdict = check(data, &defaults);
    match &verdict {
        Ok(()) => assert!(
            std::str::from_utf8(data).is_ok(),
            "accepted bytes that are not UTF-8"
        ),
        Err(breach) => breach_is_sound(breach, data, &defaults),
    }
    match check(data, &small) {
        Ok(()) => assert_eq!(verdict, Ok(()), "accepted under small limits only"),
        Err(breach) => breach_is_sound(&breach, data, &small),
    }
});
