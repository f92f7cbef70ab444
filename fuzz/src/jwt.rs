//! Shared code of the JWT targets (`jwt_verify`, `jwt_claims`): one `JwtVerifier` with two
//! issuers whose keys are static (no network), built once, and the properties every token
//! it accepts must have.
//!
//! A failed `assert!` here is a finding: a token was accepted that the verifier's contract
//! (parapet-identity `jwt/mod.rs`, `jwt/claims.rs`) says must be refused.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use parapet_config::{ClaimNames, JwtAlgorithm, JwtIssuer, JwtKeys, PemKey, Secret};
use parapet_identity::credentials::looks_like_jwt;
use parapet_identity::jwt::{JwtFailure, JwtVerifier, VerifiedJwt};
use serde_json::{Map, Value};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// `iss` of the HS256 issuer (shared secret, one accepted audience).
pub const HS_ISSUER: &str = "https://hs.issuer.test";
/// `iss` of the EdDSA issuer (PEM public key with kid `ed25519`, no audience).
pub const ED_ISSUER: &str = "https://ed.issuer.test";
/// The HS256 issuer's shared secret.
pub const HS_SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
/// The EdDSA issuer's public key (test-only key of parapet-identity).
pub const ED_PUBLIC_PEM: &str =
    include_str!("../../crates/parapet-identity/tests/data/jwt/ed25519.pub.pem");
/// Its private key: `jwt_claims` signs tokens with it. Test-only, public knowledge.
pub const ED_PRIVATE_PEM: &str =
    include_str!("../../crates/parapet-identity/tests/data/jwt/ed25519.key");
/// The kid of the EdDSA key.
pub const ED_KID: &str = "ed25519";
/// The audience the HS256 issuer requires.
pub const AUDIENCE: &str = "parapet-fuzz";
/// Leeway of both issuers, in seconds (the config default).
pub const LEEWAY: u64 = 30;
/// `max_token_size` of the HS256 issuer (also the verifier's overall limit).
pub const HS_MAX: usize = 4096;
/// `max_token_size` of the EdDSA issuer.
pub const ED_MAX: usize = 1024;

/// The verifier, a current-thread runtime to drive its `async fn verify`, and the issuers'
/// signing keys.
pub struct Fixture {
    runtime: tokio::runtime::Runtime,
    verifier: JwtVerifier,
    hs_key: EncodingKey,
    ed_key: EncodingKey,
    /// Keys of algorithm-confusion attacks on the EdDSA issuer: its public key (PEM text
    /// and raw 32 bytes) used as an HMAC secret.
    confusion_keys: [EncodingKey; 2],
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn issuer(
    issuer: &str,
    audiences: &[&str],
    alg: JwtAlgorithm,
    keys: JwtKeys,
    max: usize,
) -> JwtIssuer {
    JwtIssuer {
        issuer: issuer.to_string(),
        audiences: audiences.iter().map(|a| a.to_string()).collect(),
        algorithms: vec![alg],
        keys,
        leeway: Duration::from_secs(LEEWAY),
        max_token_size: max,
        refresh: Duration::from_secs(600),
        refetch_min_interval: Duration::from_secs(30),
        fetch_timeout: Duration::from_secs(5),
        claims: ClaimNames::default(),
    }
}

impl Fixture {
    /// The fixture, built on first use.
    pub fn get() -> &'static Fixture {
        FIXTURE.get_or_init(|| {
            let issuers = [
                issuer(
                    HS_ISSUER,
                    &[AUDIENCE],
                    JwtAlgorithm::HS256,
                    JwtKeys::Secret(Secret(HS_SECRET.to_vec())),
                    HS_MAX,
                ),
                issuer(
                    ED_ISSUER,
                    &[],
                    JwtAlgorithm::EdDSA,
                    JwtKeys::Pem(vec![PemKey {
                        kid: Some(ED_KID.to_string()),
                        pem: ED_PUBLIC_PEM.to_string(),
                        path: "ed25519.pub.pem".into(),
                    }]),
                    ED_MAX,
                ),
            ]
            .map(Arc::new);
            let verifier = JwtVerifier::new(&issuers, reqwest::Client::new(), None)
                .expect("static issuers build");
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("current-thread runtime");
            let hs_key = EncodingKey::from_secret(HS_SECRET);
            let ed_key =
                EncodingKey::from_ed_pem(ED_PRIVATE_PEM.as_bytes()).expect("ed25519 test key");
            let raw_public = ED_PUBLIC_PEM
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>();
            let raw_public = base64::engine::general_purpose::STANDARD
                .decode(raw_public)
                .expect("PEM body");
            // The SubjectPublicKeyInfo of an Ed25519 key ends with the 32 key bytes.
            let raw_public = &raw_public[raw_public.len() - 32..];
            let confusion_keys = [
                EncodingKey::from_secret(ED_PUBLIC_PEM.as_bytes()),
                EncodingKey::from_secret(raw_public),
            ];
            Fixture {
                runtime,
                verifier,
                hs_key,
                ed_key,
                confusion_keys,
            }
        })
    }

    /// `JwtVerifier::verify`, then the checks of [`check`].
    pub fn verify(&self, token: &str, allowed: &[String]) -> Result<VerifiedJwt, JwtFailure> {
        let before = jsonwebtoken::get_current_timestamp();
        let result = self.runtime.block_on(self.verifier.verify(token, allowed));
        let after = jsonwebtoken::get_current_timestamp();
        check(token, allowed, &result, before, after);
        result
    }
}

impl Fixture {
    /// The base64url signature of `message` (`header.payload`) with the HS256 issuer's
    /// secret.
    pub fn sign_hs(&self, message: &str) -> String {
        jsonwebtoken::crypto::sign(message.as_bytes(), &self.hs_key, Algorithm::HS256)
            .expect("HMAC signing")
    }

    /// The base64url signature of `message` with the EdDSA issuer's private key.
    pub fn sign_ed(&self, message: &str) -> String {
        jsonwebtoken::crypto::sign(message.as_bytes(), &self.ed_key, Algorithm::EdDSA)
            .expect("Ed25519 signing")
    }

    /// HS256 signatures of `message` keyed with the EdDSA issuer's public key: no token
    /// signed so may ever be accepted.
    pub fn sign_confused(&self, message: &str) -> [String; 2] {
        self.confusion_keys.each_ref().map(|key| {
            jsonwebtoken::crypto::sign(message.as_bytes(), key, Algorithm::HS256)
                .expect("HMAC signing")
        })
    }
}

impl Fixture {
    /// Signs `message` (`header.claims`, base64url) with each issuer's real key and checks
    /// that each signed token is accepted, if at all, only by the issuer of that key (then
    /// rechecked), and that tokens HMAC-signed with the EdDSA public key, or unsigned, are
    /// never accepted.
    pub fn resign(&self, message: &str) {
        let signed = [
            (HS_ISSUER, self.sign_hs(message)),
            (ED_ISSUER, self.sign_ed(message)),
        ];
        for (issuer, signature) in signed {
            let token = format!("{message}.{signature}");
            if let Ok(v) = self.verify(&token, &[]) {
                assert_eq!(
                    v.issuer, issuer,
                    "token signed with the key of {issuer} accepted by {}",
                    v.issuer
                );
                self.recheck(&token, &v);
            }
        }
        let [pem, raw] = self.sign_confused(message);
        for signature in [pem, raw, String::new()] {
            let token = format!("{message}.{signature}");
            if let Ok(v) = self.verify(&token, &[]) {
                panic!(
                    "token without a valid signature accepted by {}: {token:?}",
                    v.issuer
                );
            }
        }
    }

    /// Verifies a token that was just accepted (`first`) again, now answered from the
    /// verifier's cache of verified tokens when it is cached: the answer must be the same
    /// issuer and claims, and narrowing the accepted issuers to the other one must refuse it
    /// as an unknown issuer, cached or not.
    pub fn recheck(&self, token: &str, first: &VerifiedJwt) {
        match self.verify(token, &[]) {
            Ok(again) => {
                assert_eq!(again.issuer, first.issuer, "issuer changed: {token:?}");
                assert_eq!(again.claims, first.claims, "claims changed: {token:?}");
            }
            Err(e) => assert!(
                time_related(e),
                "accepted token refused ({e:?}) when verified again: {token:?}"
            ),
        }
        let own = [first.issuer.clone()];
        if let Err(e) = self.verify(token, &own) {
            assert!(
                time_related(e),
                "accepted token refused ({e:?}) with only its issuer allowed: {token:?}"
            );
        }
        let other = if first.issuer == HS_ISSUER {
            ED_ISSUER
        } else {
            HS_ISSUER
        };
        assert_eq!(
            self.verify(token, &[other.to_string()]).err(),
            Some(JwtFailure::UnknownIssuer),
            "token of {} not refused as an unknown issuer where only {other} is allowed: {token:?}",
            first.issuer
        );
    }
}

/// Failures that depend on the clock: two verifications of one token a moment apart may
/// differ by these (the fuzzer can find the current time through comparison feedback).
pub fn time_related(failure: JwtFailure) -> bool {
    matches!(
        failure,
        JwtFailure::Expired | JwtFailure::NotYetValid | JwtFailure::IssuedInFuture
    )
}

/// A NumericDate as jsonwebtoken and `claims.rs` read it: a non-negative integer, or a
/// finite non-negative float below 2^64, rounded. `None` for anything else.
fn numeric_date(value: &Value) -> Option<u64> {
    if let Some(n) = value.as_u64() {
        return Some(n);
    }
    let f = value.as_f64()?;
    (f.is_finite() && f >= 0.0 && f < u64::MAX as f64).then(|| f.round() as u64)
}

/// A time claim that may be absent: absent or `null`, or a NumericDate not later than
/// `limit`.
fn not_later_than(claims: &Map<String, Value>, name: &str, limit: u64, token: &str) {
    match claims.get(name) {
        None | Some(Value::Null) => {}
        Some(v) => {
            let t = numeric_date(v)
                .unwrap_or_else(|| panic!("accepted token with non-numeric {name} {v}: {token:?}"));
            assert!(
                t <= limit,
                "accepted token with {name} {t} later than now + leeway ({limit}): {token:?}"
            );
        }
    }
}

/// The decoded JOSE header of a token that was accepted.
fn header_of(token: &str) -> Map<String, Value> {
    let segment = token.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD.decode(segment).unwrap_or_else(|e| {
        panic!("accepted token whose header is not base64url ({e}): {token:?}")
    });
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => map,
        other => panic!("accepted token whose header is not a JSON object ({other:?}): {token:?}"),
    }
}

/// The properties of a verification result, whatever the token:
///
/// - a token longer than every issuer's `max_token_size` is refused as too large, before
///   any parsing;
/// - an accepted token:
///   - has the compact JWS shape that `credentials::looks_like_jwt` routes to the JWT
///     verifier (else a verifiable token would go to introspection);
///   - names a configured issuer, one of `allowed` when that is not empty, as a string
///     `iss` claim equal to `VerifiedJwt::issuer`, and is no longer than that issuer's
///     `max_token_size`;
///   - has a header whose `alg` is the one the issuer accepts (never `none`), with no
///     `crit` at all (not even `null`);
///   - has a numeric `exp` not before now − leeway, and `nbf` and `iat` absent, `null` or
///     numeric and not after now + leeway;
///   - for the HS256 issuer, an `aud` that is or contains the configured audience.
pub fn check(
    token: &str,
    allowed: &[String],
    result: &Result<VerifiedJwt, JwtFailure>,
    before: u64,
    after: u64,
) {
    if token.len() > HS_MAX {
        assert_eq!(
            result.as_ref().err(),
            Some(&JwtFailure::TooLarge),
            "a token over every issuer's max_token_size was not refused as too large"
        );
    }
    let Ok(verified) = result else {
        return;
    };
    assert!(
        looks_like_jwt(token),
        "accepted token that looks_like_jwt calls opaque: {token:?}"
    );
    let (alg, max) = match verified.issuer.as_str() {
        HS_ISSUER => ("HS256", HS_MAX),
        ED_ISSUER => ("EdDSA", ED_MAX),
        other => panic!("accepted token of an unknown issuer {other:?}: {token:?}"),
    };
    assert!(
        allowed.is_empty() || allowed.contains(&verified.issuer),
        "accepted token of issuer {} not among the allowed {allowed:?}",
        verified.issuer
    );
    assert!(
        token.len() <= max,
        "accepted token of {} bytes over the issuer's max_token_size {max}",
        token.len()
    );
    let claims = &verified.claims;
    assert_eq!(
        claims.get("iss"),
        Some(&Value::String(verified.issuer.clone())),
        "accepted token whose iss claim is not the issuer that verified it: {token:?}"
    );
    let header = header_of(token);
    assert_eq!(
        header.get("alg").and_then(Value::as_str),
        Some(alg),
        "accepted token with an algorithm the issuer does not accept: {token:?}"
    );
    assert!(
        !header.contains_key("crit"),
        "accepted token with crit: {token:?}"
    );
    let exp = claims
        .get("exp")
        .and_then(numeric_date)
        .unwrap_or_else(|| panic!("accepted token without a numeric exp: {token:?}"));
    assert!(
        exp.saturating_add(LEEWAY) >= before,
        "accepted token expired at {exp} (now {before}, leeway {LEEWAY}): {token:?}"
    );
    not_later_than(claims, "nbf", after.saturating_add(LEEWAY), token);
    not_later_than(claims, "iat", after.saturating_add(LEEWAY), token);
    if verified.issuer == HS_ISSUER {
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => a == AUDIENCE,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(AUDIENCE)),
            _ => false,
        };
        assert!(
            aud_ok,
            "accepted token without the audience {AUDIENCE}: {token:?}"
        );
    }
}
