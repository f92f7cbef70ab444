//! The JSON threat-limit parser (parapet-contract `limits/json.rs`) on any bytes, under small
//! limits (which the fuzzer crosses easily) and under the defaults. Checks:
//!
//! - it never panics, and a breach names a known rule, an offset within the body and a
//!   JSON pointer (`""` or starting with `/`);
//! - the small limits are all below the defaults, so a body accepted under them is accepted
//!   under the defaults with the same value, and a syntax error under them is the same
//!   breach under the defaults (no limit is crossed before it);
//! - it agrees with serde_json: a body it accepts, serde_json accepts with the same value
//!   (same kinds of numbers; floats within an ulp, in case serde_json is built without
//!   `float_roundtrip`); a body it refuses as `json.syntax`, serde_json refuses too. (It may
//!   refuse what serde_json accepts under a limit or for a duplicate key.)
//! - an accepted value, re-serialized by serde_json (compact and pretty), parses back to the
//!   same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_contract::limits::json::{JsonBreach, JsonLimits, parse};
use serde_json::Value;

const RULES: [&str; 8] = [
    "json.syntax",
    "json.max_size",
    "json.max_depth",
    "json.max_keys",
    "json.max_array_length",
    "json.max_string_length",
    "json.max_number_length",
    "json.duplicate_key",
];

fn small() -> JsonLimits {
    JsonLimits {
        max_size: 512,
        max_depth: 4,
        max_keys: 4,
        max_array_length: 4,
        max_string_length: 8,
        max_number_length: 8,
    }
}

fn check_breach(breach: &JsonBreach, data: &[u8]) {
    assert!(RULES.contains(&breach.rule), "{breach:?}");
    assert!(breach.offset <= data.len(), "{breach:?}");
    assert!(
        breach.pointer.is_empty() || breach.pointer.starts_with('/'),
        "{breach:?}"
    );
}

/// Equal values; floats may differ in their last bit.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            _ if x.is_f64() != y.is_f64() => false,
            (Some(f), Some(g)) if x.is_f64() => {
                f == g || (f - g).abs() <= f64::EPSILON * f.abs().max(g.abs())
            }
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k, a), (l, b))| k == l && same(a, b))
        }
        _ => a == b,
    }
}

/// Re-serializes `value` and parses it back under `limits`, relaxed where serialization
/// may lengthen the text (`-0` becomes `-0.0`, floats get their shortest form).
fn round_trip(value: &Value, limits: &JsonLimits) {
    let relaxed = JsonLimits {
        max_size: usize::MAX,
        max_number_length: limits.max_number_length.max(32),
        ..limits.clone()
    };
    for text in [
        serde_json::to_vec(value).expect("serializes"),
        serde_json::to_vec_pretty(value).expect("serializes"),
    ] {
        match parse(&text, &relaxed) {
            Ok(again) => assert_eq!(&again, value),
            Err(breach) => panic!("re-serialized value refused: {breach:?}"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let small = small();
    let default = JsonLimits::default();
    let under_small = parse(data, &small);
    let under_default = parse(data, &default);
    let theirs = serde_json::from_slice::<Value>(data);

    for result in [&under_small, &under_default] {
        if let Err(breach) = result {
            check_breach(breach, data);
        }
    }
    match (&under_small, &under_default) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Ok(_), Err(breach)) => panic!("accepted under small limits, not defaults: {breach:?}"),
        (Err(breach), other) if breach.rule == "json.syntax" => {
            assert_eq!(other.as_ref().err(), Some(breach));
        }
        _ => {}
    }
    for (result, limits) in [(&under_small, &small), (&under_default, &default)] {
        match (result, &theirs) {
            (Ok(ours), Ok(theirs)) => assert!(same(ours, theirs), "{ours:?} != {theirs:?}"),
            (Ok(ours), Err(e)) => panic!("accepted {ours:?}; serde_json: {e}"),
            (Err(breach), Ok(_)) => assert_ne!(breach.rule, "json.syntax", "{breach:?}"),
            (Err(_), Err(_)) => {}
        }
        if let Ok(value) = result {
            round_trip(value, limits);
        }
    }
});
