//! Verification keys for HTTP Message Signatures.

use std::fmt;

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{ED25519, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE { SEQUENCE { OID
/// 1.3.101.112 }, BIT STRING (33 bytes, 0 unused bits) }, followed by the 32-byte key.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
const ED25519_KEY_LEN: usize = 32;
const PEM_BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
const PEM_END: &str = "-----END PUBLIC KEY-----";

/// A signature algorithm from the HTTP Signature Algorithms registry (RFC 9421 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `hmac-sha256`: HMAC using SHA-256 with a shared secret.
    HmacSha256,
    /// `ed25519`: EdDSA over Curve25519.
    Ed25519,
}

impl Algorithm {
    /// The registered name, as used in the `alg` signature parameter.
    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha256 => "hmac-sha256",
            Self::Ed25519 => "ed25519",
        }
    }
}

/// Why key material was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The Ed25519 public key is not 32 bytes or is not a valid curve point.
    #[error("invalid Ed25519 public key")]
    InvalidEd25519Key,
    /// The text is not a single `PUBLIC KEY` PEM block with valid base64.
    #[error("invalid PEM public key")]
    InvalidPem,
    /// The SubjectPublicKeyInfo is well formed PEM but not an Ed25519 key.
    #[error("public key is not an Ed25519 key")]
    NotEd25519,
}

/// A key that verifies HTTP Message Signatures, named by the `keyid` signature parameter.
///
/// The algorithm is a property of the key; the `alg` parameter of a message can only confirm
/// it, never choose it.
#[derive(Clone)]
pub struct VerifyingKey {
    id: String,
    material: Material,
}

#[derive(Clone)]
enum Material {
    HmacSha256(Box<hmac::Key>),
    Ed25519(ParsedPublicKey),
}

impl VerifyingKey {
    /// An `hmac-sha256` key from the shared secret.
    pub fn hmac_sha256(id: impl Into<String>, secret: &[u8]) -> Self {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        Self {
            id: id.into(),
            material: Material::HmacSha256(Box::new(key)),
        }
    }

    /// An `ed25519` key from the raw 32-byte public key (RFC 8032 encoding).
    pub fn ed25519(id: impl Into<String>, public_key: &[u8]) -> Result<Self, KeyError> {
        if public_key.len() != ED25519_KEY_LEN {
            return Err(KeyError::InvalidEd25519Key);
        }
        let key =
            ParsedPublicKey::new(&ED25519, public_key).map_err(|_| KeyError::InvalidEd25519Key)?;
        Ok(Self {
            id: id.into(),
            material: Material::Ed25519(key),
        })
    }

    /// An `ed25519` key from a SubjectPublicKeyInfo PEM block (`-----BEGIN PUBLIC KEY-----`).
    pub fn ed25519_from_pem(id: impl Into<String>, pem: &str) -> Result<Self, KeyError> {
        let der = pem_body(pem)?;
        let raw = der
            .strip_prefix(ED25519_SPKI_PREFIX.as_slice())
            .ok_or(KeyError::NotEd25519)?;
        Self::ed25519(id, raw)
    }

    /// The key identifier matched against the `keyid` signature parameter.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        match self.material {
            Material::HmacSha256(_) => Algorithm::HmacSha256,
            Material::Ed25519(_) => Algorithm::Ed25519,
        }
    }

    /// Whether `signature` is valid for `message` under this key. HMAC tags are compared in
    /// constant time.
    pub(super) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::HmacSha256(key) => hmac::verify(key, message, signature).is_ok(),
            Material::Ed25519(key) => key.verify_sig(message, signature).is_ok(),
        }
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("id", &self.id)
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

/// The DER bytes inside a single `PUBLIC KEY` PEM block.
fn pem_body(pem: &str) -> Result<Vec<u8>, KeyError> {
    let (_, rest) = pem.split_once(PEM_BEGIN).ok_or(KeyError::InvalidPem)?;
    let (body, trailer) = rest.split_once(PEM_END).ok_or(KeyError::InvalidPem)?;
    if !trailer.trim().is_empty() {
        return Err(KeyError::InvalidPem);
    }
    let base64: String = body.split_whitespace().collect();
    STANDARD.decode(base64).map_err(|_| KeyError::InvalidPem)
}
