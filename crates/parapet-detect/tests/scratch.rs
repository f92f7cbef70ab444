//! A scan borrows buffers that each thread keeps from the previous scan: nothing of one
//! request may show in the verdict on the next, whatever the order, size or overlap of the
//! scans.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use parapet_detect::{Engine, Part, Settings, Verdict};

/// A value with several decoded forms, and an attack in them.
const ENCODED_ATTACK: &[u8] =
    b"%253Cscript%253Ealert(1)%253C/script%253E&lt;img src=x onerror=alert(1)&gt;";

fn verdict(engine: &Engine, values: &[&[u8]]) -> Verdict {
    let mut scan = engine.scan();
    for value in values {
        scan.value(Part::Query, "q", value, true);
    }
    scan.finish()
}

/// The verdict a thread that never scanned before gives.
fn fresh(values: &[&'static [u8]]) -> Verdict {
    let values = values.to_vec();
    std::thread::spawn(move || verdict(&Engine::new(Settings::default()).unwrap(), &values))
        .join()
        .unwrap()
}

#[test]
fn a_scan_after_an_attack_sees_only_its_own_values() {
    let engine = Engine::new(Settings::default()).unwrap();
    let attack = verdict(&engine, &[ENCODED_ATTACK]);
    assert!(attack.attack);
    assert_eq!(attack, fresh(&[ENCODED_ATTACK]));
    let clean: &[&[u8]] = &[b"hello", b"50%25 off", b"Tom &amp; Jerry"];
    let after = verdict(&engine, clean);
    assert!(!after.attack, "{after:?}");
    assert_eq!(after, fresh(clean));
}

#[test]
fn overlapping_scans_on_one_thread_keep_apart() {
    let engine = Engine::new(Settings::default()).unwrap();
    let mut first = engine.scan();
    first.value(Part::Query, "q", ENCODED_ATTACK, true);
    let mut second = engine.scan();
    second.value(Part::Query, "q", b"plain words", true);
    first.value(Part::Query, "r", b"more plain words", true);
    assert!(!second.finish().attack);
    let first = first.finish();
    assert!(first.attack);
    assert_eq!(first.hits, fresh(&[ENCODED_ATTACK]).hits);
}

#[test]
fn a_huge_value_does_not_spoil_the_next_scan() {
    let engine = Engine::new(Settings::default()).unwrap();
    let huge = "%41".repeat(200_000).into_bytes();
    let first = verdict(&engine, &[&huge]);
    assert!(!first.attack, "{first:?}");
    let clean: &[&[u8]] = &[b"x"];
    assert_eq!(verdict(&engine, clean), fresh(clean));
    assert_eq!(
        verdict(&engine, &[ENCODED_ATTACK]),
        fresh(&[ENCODED_ATTACK])
    );
}
