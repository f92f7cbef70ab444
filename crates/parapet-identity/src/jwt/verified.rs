//! A bounded cache of tokens already verified, so that a client presenting the same token
//! on every request pays for the signature check once (an RSA or ECDSA verification costs
//! 20–60 µs on a small core; a hit costs a SHA-256 and a map lookup).
//!
//! An entry is keyed by the SHA-256 of the token (the token itself is not kept) and is used
//! only while the issuer's key set is the one it was verified with — any key refresh or
//! rotation empties it in effect — and while the token has not expired. Only successes are
//! cached: a refused token is checked again in full every time.

use super::keys::KeySnapshot;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// Verified tokens kept at most; when full, expired ones are dropped, and if none is, the
/// whole cache is cleared (the cost is a re-verification, never a wrong answer).
const CAPACITY: usize = 10_000;

/// What is remembered of a verified token.
struct Entry {
    /// Index of the issuer that verified it.
    issuer: usize,
    /// The key set it was verified with.
    keys: Weak<KeySnapshot>,
    /// Its `exp` plus the issuer's leeway: unusable after this second.
    usable_until: u64,
    claims: Arc<Map<String, Value>>,
}

/// The cache.
#[derive(Default)]
pub(super) struct Verified {
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

/// A cache hit.
pub(super) struct Hit {
    pub issuer: usize,
    pub claims: Arc<Map<String, Value>>,
}

/// The cache key of a token.
pub(super) fn fingerprint(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Verified {
    /// The entry of `token`, if still usable at `now` with the current key set of its
    /// issuer (`current(issuer)`).
    pub(super) fn get(
        &self,
        fingerprint: &[u8; 32],
        now: u64,
        current: impl Fn(usize) -> Arc<KeySnapshot>,
    ) -> Option<Hit> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let e = entries.get(fingerprint)?;
        let same_keys = Weak::ptr_eq(&e.keys, &Arc::downgrade(&current(e.issuer)));
        (same_keys && now <= e.usable_until).then(|| Hit {
            issuer: e.issuer,
            claims: e.claims.clone(),
        })
    }

    /// Remembers a verified token.
    pub(super) fn insert(
        &self,
        fingerprint: [u8; 32],
        issuer: usize,
        keys: &Arc<KeySnapshot>,
        usable_until: u64,
        claims: Arc<Map<String, Value>>,
        now: u64,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.retain(|_, e| e.usable_until >= now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            fingerprint,
            Entry {
                issuer,
                keys: Arc::downgrade(keys),
                usable_until,
                claims,
            },
        );
    }
}
