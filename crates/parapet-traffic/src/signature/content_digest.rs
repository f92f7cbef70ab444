//! `Content-Digest` verification (RFC 9530).

use aws_lc_rs::digest::{self, SHA256, SHA512};
use http::HeaderMap;
use sfv::ListEntry;
use subtle::ConstantTimeEq;

use super::field;

/// Why a `Content-Digest` check failed. The `Display` text is safe to show a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// The request carries no `Content-Digest` field.
    #[error("Content-Digest header is missing")]
    Missing,
    /// The field is not a structured Dictionary of byte sequences, is empty, is not ASCII, or
    /// exceeds 8 KiB.
    #[error("Content-Digest header is malformed")]
    Malformed,
    /// Only unknown or insecure algorithms (`md5`, `sha`, `crc32c`, ...) are present.
    #[error("Content-Digest uses no supported algorithm (sha-256 or sha-512 required)")]
    UnsupportedAlgorithm,
    /// A supported digest does not match the body.
    #[error("Content-Digest does not match the body")]
    Mismatch,
}

/// Checks the request's `Content-Digest` against `body`.
///
/// `sha-256` and `sha-512` are supported; every supported digest present must match (compared in
/// constant time) and at least one must be present. Other algorithms are ignored.
pub fn verify_content_digest(headers: &HeaderMap, body: &[u8]) -> Result<(), DigestError> {
    let digests = field::dictionary(headers, "content-digest")
        .map_err(|_| DigestError::Malformed)?
        .ok_or(DigestError::Missing)?;
    if digests.is_empty() {
        return Err(DigestError::Malformed);
    }
    let mut checked = 0_usize;
    for (name, entry) in &digests {
        let Some(algorithm) = supported_algorithm(name.as_str()) else {
            continue;
        };
        let expected = byte_sequence(entry).ok_or(DigestError::Malformed)?;
        let actual = digest::digest(algorithm, body);
        if !bool::from(actual.as_ref().ct_eq(expected)) {
            return Err(DigestError::Mismatch);
        }
        checked += 1;
    }
    if checked == 0 {
        return Err(DigestError::UnsupportedAlgorithm);
    }
    Ok(())
}

fn supported_algorithm(name: &str) -> Option<&'static digest::Algorithm> {
    match name {
        "sha-256" => Some(&SHA256),
        "sha-512" => Some(&SHA512),
        _ => None,
    }
}

fn byte_sequence(entry: &ListEntry) -> Option<&[u8]> {
    match entry {
        ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
        ListEntry::InnerList(_) => None,
    }
}
