//! Shared code of the HTTP Message Signature targets (`signature_verify`,
//! `signature_resign`): the text form of their inputs, the keys (the RFC 9421 Appendix B.1
//! test keys, so the RFC's own examples verify), the vocabulary of required components, and
//! independent models of what parapet-traffic's `signature` module must do.
//!
//! A failed `assert!` here is a finding: a request was accepted or refused against the
//! contract of parapet-traffic `signature.rs` (RFC 9421 and RFC 9530).
//!
//! # Input
//!
//! ```text
//! <policy words, separated by spaces>
//! <method> <target>[ <anything, e.g. HTTP/1.1>]
//! <name>: <value>
//! ...
//!
//! <body>
//! ```
//!
//! Lines end with LF or CRLF. The policy words are read by each target; the words that are
//! in [`VOCABULARY`] are the required components. One space after a header's colon is
//! dropped, any other whitespace is kept. A header line with an invalid name or value is
//! left out (so are lines without a colon); input with an invalid method or target, more
//! than [`MAX_HEADERS`] headers or more than [`MAX_INPUT`] bytes is skipped.

use aws_lc_rs::digest;
use aws_lc_rs::hmac;
use aws_lc_rs::signature::Ed25519KeyPair;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use parapet_traffic::signature::{DigestError, VerifyingKey, verify_content_digest};
use std::sync::OnceLock;

/// Inputs longer than this are skipped (16 KiB: structured fields are refused above 8 KiB).
pub const MAX_INPUT: usize = 16 * 1024;
/// Most header lines read from an input.
pub const MAX_HEADERS: usize = 64;
/// The verifier's limit on `Signature-Input`, `Signature` and `Content-Digest`.
pub const MAX_STRUCTURED_FIELD_LEN: usize = 8 * 1024;
/// How far ahead of the clock `created` may be (`MAX_CLOCK_SKEW_SECS` of `verify.rs`).
pub const MAX_CLOCK_SKEW_SECS: u64 = 5;
/// The clock of both targets unless a `now=` word sets it, Unix seconds.
pub const NOW: u64 = 1_700_000_000;
/// `created` of the RFC 9421 Appendix B.2 examples.
pub const RFC_CREATED: u64 = 1_618_884_473;

/// `keyid` of the HMAC key: RFC 9421 Appendix B.1.5 `test-shared-secret`.
pub const HMAC_ID: &str = "test-shared-secret";
const RFC_SHARED_SECRET: &str =
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==";
/// `keyid` of the Ed25519 key: RFC 9421 Appendix B.1.4 `test-key-ed25519`.
pub const ED_ID: &str = "test-key-ed25519";
/// Its public key (JWK `x`).
const RFC_ED25519_X: &str = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";
/// Its private key (JWK `d`), published in the RFC: `signature_resign` signs with it.
const RFC_ED25519_D: &str = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU";

/// Required components a policy line may name. Besides the components the verifier
/// supports, spellings that must match case-insensitively (`@Method`, `@AUTHORITY`,
/// `Content-Type`), with surrounding whitespace (`\t@path`), with parameters that must
/// match exactly (`@query-param;name=id` is not `@query-param;name="id"`), and a
/// `@query-param` without a name, which no signature can cover.
pub const VOCABULARY: [&str; 18] = [
    "@method",
    "@target-uri",
    "@authority",
    "@scheme",
    "@request-target",
    "@path",
    "@query",
    "@query-param;name=\"id\"",
    "@query-param;name=\"Pet\"",
    "content-digest",
    "content-type",
    "date",
    "@Method",
    "@AUTHORITY",
    "Content-Type",
    "\t@path",
    "@query-param;name=id",
    "@query-param",
];

/// An input in the text form above.
pub struct Input<'a> {
    /// The words of the first line.
    pub words: Vec<String>,
    /// The request, raw.
    pub request: RawRequest,
    /// Everything after the blank line.
    pub body: &'a [u8],
}

/// A request as the input writes it: kept raw so the resign target can change one byte of
/// it and model the result.
#[derive(Clone, Debug)]
pub struct RawRequest {
    pub method: String,
    pub target: String,
    pub headers: Vec<(HeaderName, Vec<u8>)>,
}

impl RawRequest {
    /// The request parts, as a server would hand them over. `None` when `http` refuses the
    /// method, the target or a header value.
    pub fn parts(&self) -> Option<Parts> {
        let method = Method::from_bytes(self.method.as_bytes()).ok()?;
        let uri = Uri::try_from(self.target.as_str()).ok()?;
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            headers.append(name.clone(), HeaderValue::from_bytes(value).ok()?);
        }
        let (mut parts, ()) = Request::builder()
            .method(method)
            .uri(uri)
            .body(())
            .ok()?
            .into_parts();
        parts.headers = headers;
        Some(parts)
    }

    /// The values of the header `name`, in order.
    pub fn values<'r>(&'r self, name: &'r str) -> impl Iterator<Item = &'r [u8]> + 'r {
        self.headers
            .iter()
            .filter(move |(n, _)| n.as_str() == name)
            .map(|(_, v)| v.as_slice())
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads an input in the text form above; `None` to skip it.
pub fn parse_input(data: &[u8]) -> Option<Input<'_>> {
    if data.len() > MAX_INPUT {
        return None;
    }
    let mut rest = data;
    let next_line = |rest: &mut &[u8]| -> Option<Vec<u8>> {
        if rest.is_empty() {
            return None;
        }
        let (line, after) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (*rest, &rest[rest.len()..]),
        };
        *rest = after;
        Some(strip_cr(line).to_vec())
    };
    let policy = next_line(&mut rest)?;
    let words = String::from_utf8_lossy(&policy)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let request_line = next_line(&mut rest)?;
    let request_line = std::str::from_utf8(&request_line).ok()?;
    let (method, target) = request_line.split_once(' ')?;
    let target = target.split(' ').next().unwrap_or_default();
    let mut headers = Vec::new();
    while let Some(line) = next_line(&mut rest) {
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return None;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let Ok(name) = HeaderName::from_bytes(&line[..colon]) else {
            continue;
        };
        let value = &line[colon + 1..];
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if HeaderValue::from_bytes(value).is_ok() {
            headers.push((name, value.to_vec()));
        }
    }
    let request = RawRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
    };
    request.parts()?;
    Some(Input {
        words,
        request,
        body: rest,
    })
}

/// The words of [`VOCABULARY`] among `words`, in order: a policy's required components.
pub fn required(words: &[String]) -> Vec<String> {
    words
        .iter()
        .filter(|w| VOCABULARY.contains(&w.as_str()))
        .cloned()
        .collect()
}

/// Whether the covered component `covered` (as `Verified::covered` reports it, e.g.
/// `@query-param;name="id"`) is the required component `required`: the policy's name is
/// trimmed, names compare case-insensitively and parameters exactly.
pub fn satisfies(covered: &str, required: &str) -> bool {
    let split = |s: &str| match s.find(';') {
        Some(i) => (s[..i].to_owned(), s[i..].to_owned()),
        None => (s.to_owned(), String::new()),
    };
    let (name, params) = split(covered);
    let (want, want_params) = split(required.trim());
    name.eq_ignore_ascii_case(&want) && params == want_params
}

/// The keys of both targets, and the private halves the resign target signs with.
pub struct Keys {
    pub hmac: VerifyingKey,
    pub ed25519: VerifyingKey,
    pub hmac_signer: hmac::Key,
    pub ed25519_signer: Ed25519KeyPair,
    /// HMAC keyed with the raw Ed25519 public key: signatures made with it are an
    /// algorithm-confusion attack on the Ed25519 key and must never verify.
    pub confused_signer: hmac::Key,
}

static KEYS: OnceLock<Keys> = OnceLock::new();

impl Keys {
    /// The keys, built on first use.
    pub fn get() -> &'static Keys {
        KEYS.get_or_init(|| {
            let secret = STANDARD.decode(RFC_SHARED_SECRET).expect("RFC secret");
            let public = URL_SAFE_NO_PAD.decode(RFC_ED25519_X).expect("RFC public key");
            let seed = URL_SAFE_NO_PAD.decode(RFC_ED25519_D).expect("RFC private key");
            Keys {
                hmac: VerifyingKey::hmac_sha256(HMAC_ID, &secret),
                ed25519: VerifyingKey::ed25519(ED_ID, &public).expect("RFC Ed25519 key"),
                hmac_signer: hmac::Key::new(hmac::HMAC_SHA256, &secret),
                ed25519_signer: Ed25519KeyPair::from_seed_and_public_key(&seed, &public)
                    .expect("RFC Ed25519 key pair"),
                confused_signer: hmac::Key::new(hmac::HMAC_SHA256, &public),
            }
        })
    }

    /// The verifier's key lookup: the two keys by `keyid`.
    pub fn lookup(&self, id: &str) -> Option<&VerifyingKey> {
        [&self.hmac, &self.ed25519]
            .into_iter()
            .find(|key| key.id() == id)
    }
}

/// `Content-Digest` values as they reach the verifier: each line trimmed of SP and HTAB,
/// joined with `", "`; `None` when the header is absent or a line is not visible ASCII.
pub fn combined(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut lines = Vec::new();
    for value in headers.get_all(name) {
        lines.push(value.to_str().ok()?.trim_matches([' ', '\t']));
    }
    (!lines.is_empty()).then(|| lines.join(", "))
}

/// Base64 as RFC 9651 byte sequences are decoded: padding optional, trailing bits allowed.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Whether `text` has `<alg>=:<base64 of digest>:` somewhere.
fn has_digest(text: &str, alg: &str, digest: &[u8]) -> bool {
    let prefix = format!("{alg}=:");
    text.match_indices(&prefix).any(|(at, _)| {
        let rest = &text[at + prefix.len()..];
        rest.find(':')
            .is_some_and(|end| LENIENT.decode(&rest[..end]).is_ok_and(|d| d == digest))
    })
}

/// `verify_content_digest` on the request's own `Content-Digest`, then on digests written
/// here. Checks:
///
/// - without the header the answer is `Missing`;
/// - an `Ok` means the header has a `sha-256` or `sha-512` member whose value is the
///   body's digest;
/// - the correct `sha-256` and `sha-512` digests (with an unknown `md5` member beside
///   them) are accepted, one altered byte in either is a `Mismatch`, and `md5` alone is
///   `UnsupportedAlgorithm`.
pub fn check_content_digest(headers: &HeaderMap, body: &[u8]) {
    let result = verify_content_digest(headers, body);
    if !headers.contains_key("content-digest") {
        assert_eq!(result, Err(DigestError::Missing));
    }
    let sha256 = digest::digest(&digest::SHA256, body);
    let sha512 = digest::digest(&digest::SHA512, body);
    if result.is_ok() {
        let text = combined(headers, "content-digest").expect("accepted without the header");
        assert!(
            has_digest(&text, "sha-256", sha256.as_ref())
                || has_digest(&text, "sha-512", sha512.as_ref()),
            "Content-Digest accepted without a matching sha-256 or sha-512 member: {text:?}"
        );
    }

    let member = |alg: &str, digest: &[u8]| format!("{alg}=:{}:", STANDARD.encode(digest));
    let mut altered = sha512.as_ref().to_vec();
    let at = body.len() % altered.len();
    altered[at] ^= 0x01;
    let cases = [
        (
            format!(
                "md5=:AAAAAAAAAAAAAAAAAAAAAA==:, {}, {}",
                member("sha-256", sha256.as_ref()),
                member("sha-512", sha512.as_ref())
            ),
            Ok(()),
        ),
        (
            format!(
                "{}, {}",
                member("sha-256", sha256.as_ref()),
                member("sha-512", &altered)
            ),
            Err(DigestError::Mismatch),
        ),
        (
            "md5=:AAAAAAAAAAAAAAAAAAAAAA==:".to_owned(),
            Err(DigestError::UnsupportedAlgorithm),
        ),
    ];
    for (value, want) in cases {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-digest",
            HeaderValue::from_str(&value).expect("digest header"),
        );
        assert_eq!(
            verify_content_digest(&headers, body),
            want,
            "Content-Digest {value:?} on a body of {} bytes",
            body.len()
        );
    }
}
