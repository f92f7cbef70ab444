//! Keys of shared state: fixed-size digests of what a counter is about.
//!
//! A rate key is made of request values (an IP, a consumer id, a header, a username from a
//! body…), some of them chosen by the client. They are hashed into 16 bytes so that every
//! entry has the same small size in memory, no client value (possibly a secret, e.g. a
//! header) is ever written to Redis in clear, and a key cannot be used to inject into
//! Redis key names.

use sha2::{Digest, Sha256};
use std::fmt;

/// What a key counts, which is also its Redis key prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A GCRA rate limit's TAT.
    Rate,
    /// A quota's usage in one calendar window.
    Quota,
    /// A replay nonce.
    Nonce,
    /// An idempotency record.
    Idempotency,
    /// A revoked credential.
    Revocation,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Rate => "rl",
            Kind::Quota => "q",
            Kind::Nonce => "n",
            Kind::Idempotency => "i",
            Kind::Revocation => "rv",
        }
    }
}

/// The key of one piece of shared state.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    kind: Kind,
    digest: [u8; 16],
}

impl Key {
    /// The key of `kind` for the values `parts`, in order. Each part is length-prefixed,
    /// so `["ab", "c"]` and `["a", "bc"]` differ.
    pub fn new<'a>(kind: Kind, parts: impl IntoIterator<Item = &'a [u8]>) -> Key {
        let mut hash = Sha256::new();
        hash.update(kind.tag().as_bytes());
        for part in parts {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
        let full = hash.finalize();
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&full[..16]);
        Key { kind, digest }
    }

    /// What the key counts.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The Redis key name under `prefix`: `{prefix}{tag}:{hex digest}`.
    pub fn redis_name(&self, prefix: &str) -> String {
        format!("{prefix}{}:{self}", self.kind.tag())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.digest.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{self}", self.kind.tag())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parts_are_delimited_and_kinds_separate() {
        let k = |kind, parts: &[&str]| Key::new(kind, parts.iter().map(|p| p.as_bytes()));
        assert_ne!(k(Kind::Rate, &["ab", "c"]), k(Kind::Rate, &["a", "bc"]));
        assert_ne!(k(Kind::Rate, &["a"]), k(Kind::Quota, &["a"]));
        assert_eq!(k(Kind::Rate, &["a", "b"]), k(Kind::Rate, &["a", "b"]));
        let name = k(Kind::Nonce, &["x"]).redis_name("parapet:");
        assert!(name.starts_with("parapet:n:") && name.len() == "parapet:n:".len() + 32);
    }
}
