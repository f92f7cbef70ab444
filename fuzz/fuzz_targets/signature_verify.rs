//! HTTP Message Signatures (RFC 9421) and Content-Digest (RFC 9530) verification of
//! parapet-traffic: a request written as text (see `parapet_fuzz::signature`) with any
//! `Signature-Input`, `Signature` and `Content-Digest` lines, through `verify_request` with
//! the two RFC 9421 test keys (`test-shared-secret`, HMAC-SHA256; `test-key-ed25519`), and
//! its body through `verify_content_digest`.
//!
//! The first line is the policy: required components (words of `VOCABULARY`), `max-age=N`
//! (seconds, 300 by default), `optional-created`, `https` or `http` (the scheme hint),
//! `label=X` (the label to verify) and `now=N` (the clock, `1700000000` by default). The
//! seeds carry the RFC's own signatures with `now=` near their `created`, so the fuzzer
//! starts from requests that verify. Checks:
//!
//! - nothing panics;
//! - a verified signature covers every required component, has `created` (unless
//!   optional) no older than `max-age` and at most 5 s ahead of the clock, has not
//!   expired, was made with one of the two keys, has the requested label, and covers no
//!   component twice nor more than 32;
//! - it verifies again, with the same answer, when its label is asked for and when no
//!   component is required;
//! - without any key, the answer is `Missing`, `Malformed` or `UnknownKey`;
//! - the `Content-Digest` checks of `parapet_fuzz::signature::check_content_digest`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_fuzz::signature::{
    ED_ID, HMAC_ID, Keys, MAX_CLOCK_SKEW_SECS, NOW, check_content_digest, parse_input, required,
    satisfies,
};
use parapet_traffic::signature::{
    Requirements, SignatureError, Verified, VerifyingKey, verify_request,
};
use std::time::Duration;

fn requirements(words: &[String]) -> (Requirements, u64) {
    let mut req = Requirements {
        components: required(words),
        ..Requirements::default()
    };
    let mut now = NOW;
    for word in words {
        match word.split_once('=') {
            Some(("max-age", n)) => {
                if let Ok(n) = n.parse() {
                    req.max_age = Duration::from_secs(n);
                }
            }
            Some(("now", n)) => now = n.parse().unwrap_or(now),
            Some(("label", l)) => req.label = Some(l.to_owned()),
            _ => match word.as_str() {
                "optional-created" => req.require_created = false,
                "https" => req.scheme_hint = Some("https"),
                "http" => req.scheme_hint = Some("http"),
                _ => {}
            },
        }
    }
    (req, now)
}

fn check_verified(v: &Verified, req: &Requirements, now: u64) {
    assert!(
        v.key_id == HMAC_ID || v.key_id == ED_ID,
        "verified with an unknown key {:?}",
        v.key_id
    );
    if let Some(label) = &req.label {
        assert_eq!(&v.label, label, "verified another label than the one asked for");
    }
    for want in &req.components {
        assert!(
            v.covered.iter().any(|c| satisfies(c, want)),
            "required component {want:?} not covered by {:?}",
            v.covered
        );
    }
    assert!(v.covered.len() <= 32, "{} covered components", v.covered.len());
    for (i, c) in v.covered.iter().enumerate() {
        assert!(!v.covered[..i].contains(c), "{c:?} covered twice");
    }
    match v.created {
        None => assert!(!req.require_created, "verified without created"),
        Some(created) => {
            assert!(
                created <= now.saturating_add(MAX_CLOCK_SKEW_SECS),
                "created {created} is ahead of now {now}"
            );
            assert!(
                now.saturating_sub(created) <= req.max_age.as_secs(),
                "created {created} is older than {:?} at {now}",
                req.max_age
            );
        }
    }
    if let Some(expires) = v.expires {
        assert!(now <= expires, "expired at {expires}, verified at {now}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = parse_input(data) else {
        return;
    };
    let Some(parts) = input.request.parts() else {
        return;
    };
    let keys = Keys::get();
    let (req, now) = requirements(&input.words);

    let result = verify_request(&parts, |id| keys.lookup(id), &req, now);
    if let Ok(v) = &result {
        check_verified(v, &req, now);
        let again = Requirements {
            label: Some(v.label.clone()),
            components: Vec::new(),
            ..req.clone()
        };
        assert_eq!(
            verify_request(&parts, |id| keys.lookup(id), &again, now).as_ref(),
            Ok(v),
            "not verified again with its label and no required component"
        );
    }

    let without_keys = verify_request(&parts, |_| None::<&VerifyingKey>, &req, now);
    assert!(
        matches!(
            without_keys,
            Err(SignatureError::Missing | SignatureError::Malformed | SignatureError::UnknownKey)
        ),
        "without keys: {without_keys:?}"
    );

    check_content_digest(&parts.headers, input.body);
});
