//! HTTP Message Signatures (RFC 9421) and Content-Digest (RFC 9530) verification.
//!
//! # What is verified
//!
//! - [`verify_content_digest`]: the `Content-Digest` field against the body. `sha-256` and
//!   `sha-512` are supported; every supported digest present must match and at least one must be
//!   present, so a field carrying only `md5`, `sha`, `crc32c` or other unknown algorithms is
//!   refused.
//! - [`verify_request`]: one signature from `Signature-Input` / `Signature` on a request, signed
//!   with `hmac-sha256` or `ed25519`. The signature base is rebuilt per RFC 9421 §2.5 from the
//!   covered components (`@method`, `@target-uri`, `@authority`, `@scheme`, `@request-target`,
//!   `@path`, `@query`, `@query-param;name=…` and header fields) and the received signature
//!   parameters. Policy ([`Requirements`]) decides which components must be covered and how old
//!   `created` may be; `expires` is always enforced.
//!
//! A signature only protects the body through a covered `content-digest` field, so callers that
//! require it must also call [`verify_content_digest`].
//!
//! # What is refused
//!
//! Component parameters (`sf`, `key`, `bs`, `req`, `tr`) and unknown derived components,
//! duplicate components, mistyped signature parameters, more than 16 signatures, more than 32
//! covered components, structured fields above 8 KiB, and `created` more than 5 s in the future.
//!
//! # Algorithm confusion
//!
//! The algorithm is a property of the configured [`VerifyingKey`], never of the message. An `alg`
//! parameter, when present, must name the key's algorithm or the signature is refused; it never
//! selects how the signature is checked.

mod component;
mod content_digest;
mod field;
mod key;
mod verify;

#[cfg(test)]
mod tests;

pub use content_digest::{DigestError, verify_content_digest};
pub use key::{Algorithm, KeyError, VerifyingKey};
pub use verify::{Requirements, SignatureError, Verified, verify_request};
