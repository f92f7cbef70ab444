//! Token parsing around the signature check: the unverified header and `iss` read only to
//! pick an issuer and a key, the validation rules handed to `jsonwebtoken`, the `iat`
//! check it lacks, and the mapping of its errors onto [`JwtFailure`].

use super::JwtFailure;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{Algorithm, Validation};
use parapet_config::JwtIssuer;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::str::FromStr;

/// Longest leeway honoured, so that `now - leeway` can never underflow in the checks.
const MAX_LEEWAY_SECS: u64 = 10 * 365 * 24 * 3600;

/// The base64url header and payload segments of a compact JWS (the signature is checked by
/// `jsonwebtoken` on the whole token).
pub(crate) fn split(token: &str) -> Result<(&str, &str), JwtFailure> {
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(_signature), None)
            if !header.is_empty() && !payload.is_empty() =>
        {
            Ok((header, payload))
        }
        _ => Err(JwtFailure::Malformed),
    }
}

/// Decodes one base64url segment holding a JSON object.
pub(crate) fn decode_segment(segment: &str) -> Result<Vec<u8>, JwtFailure> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| JwtFailure::Malformed)?;
    // A derived `Deserialize` also accepts a JSON array (fields by position): insist on an
    // object so that what is read here is what `jsonwebtoken` reads.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(bytes),
        _ => Err(JwtFailure::Malformed),
    }
}

/// What the verifier reads from the (not yet verified) JOSE header. `jku`, `x5u`, `jwk` and
/// `x5c` are deliberately not read: keys only ever come from configuration.
pub(crate) struct Header<'a> {
    /// The signature algorithm; never `none`.
    pub alg: Algorithm,
    /// The key id, if any.
    pub kid: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(borrow, default)]
    alg: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kid: Option<Cow<'a, str>>,
    /// Present at all, whatever its value (`"crit": null` included).
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

/// `true` for a member that is there, even as `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d)?;
    Ok(true)
}

/// Parses the decoded header. `alg: none` and unknown algorithms are refused as
/// [`JwtFailure::AlgorithmNotAllowed`]; a header naming critical extensions (`crit`) as
/// malformed, since none is understood here (RFC 7515 §4.1.11).
pub(crate) fn parse_header(json: &[u8]) -> Result<Header<'_>, JwtFailure> {
    let raw: RawHeader<'_> = serde_json::from_slice(json).map_err(|_| JwtFailure::Malformed)?;
    let Some(alg) = raw.alg else {
        return Err(JwtFailure::Malformed);
    };
    if alg.eq_ignore_ascii_case("none") {
        return Err(JwtFailure::AlgorithmNotAllowed);
    }
    let alg = Algorithm::from_str(&alg).map_err(|_| JwtFailure::AlgorithmNotAllowed)?;
    if raw.crit {
        return Err(JwtFailure::Malformed);
    }
    Ok(Header { alg, kid: raw.kid })
}

#[derive(Deserialize)]
struct IssuerPeek<'a> {
    #[serde(borrow, default)]
    iss: Option<Cow<'a, str>>,
}

/// The unverified `iss` of a decoded payload, used only to choose which configured issuer's
/// keys and rules verify the token (verification then re-checks it). A non-string `iss` or
/// a repeated one is malformed.
pub(crate) fn peek_issuer(json: &[u8]) -> Result<Option<Cow<'_, str>>, JwtFailure> {
    let peek: IssuerPeek<'_> = serde_json::from_slice(json).map_err(|_| JwtFailure::Malformed)?;
    Ok(peek.iss)
}

/// Leeway in whole seconds (rounded up, bounded).
pub(crate) fn leeway_secs(issuer: &JwtIssuer) -> u64 {
    let secs = issuer.leeway.as_secs() + u64::from(issuer.leeway.subsec_nanos() > 0);
    secs.min(MAX_LEEWAY_SECS)
}

/// The rules `jsonwebtoken` applies after the signature check, for one issuer and one
/// algorithm (a `Validation` must only list algorithms of the key's family): `exp`
/// required, `exp`/`nbf` checked with the leeway, `iss` required and equal to the issuer,
/// `aud` required and matching when audiences are configured (ignored otherwise).
pub(crate) fn validation(issuer: &JwtIssuer, alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.leeway = leeway_secs(issuer);
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.set_issuer(&[issuer.issuer.as_str()]);
    if issuer.audiences.is_empty() {
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iss"]);
    } else {
        validation.set_audience(&issuer.audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    }
    validation
}

/// Maps a `jsonwebtoken` error onto the stable failure causes.
pub(crate) fn map_error(error: &Error) -> JwtFailure {
    match error.kind() {
        ErrorKind::InvalidSignature => JwtFailure::BadSignature,
        ErrorKind::ExpiredSignature => JwtFailure::Expired,
        ErrorKind::ImmatureSignature => JwtFailure::NotYetValid,
        ErrorKind::InvalidAudience => JwtFailure::WrongAudience,
        ErrorKind::InvalidIssuer => JwtFailure::UnknownIssuer,
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" => JwtFailure::MissingExp,
            "aud" => JwtFailure::WrongAudience,
            "iss" => JwtFailure::UnknownIssuer,
            _ => JwtFailure::Malformed,
        },
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidAlgorithmName => JwtFailure::AlgorithmNotAllowed,
        // The key could not verify this signature (keys are checked when loaded).
        ErrorKind::InvalidKeyFormat
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidEddsaKey => JwtFailure::BadSignature,
        // InvalidToken, InvalidClaimFormat, Base64, Json, Utf8, and whatever comes later.
        _ => JwtFailure::Malformed,
    }
}

/// A NumericDate claim as whole seconds; `None` when absent or `null`.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<u64>, JwtFailure> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            if let Some(n) = value.as_u64() {
                return Ok(Some(n));
            }
            match value.as_f64() {
                Some(f) if f.is_finite() && f >= 0.0 && f < u64::MAX as f64 => {
                    Ok(Some(f.round() as u64))
                }
                _ => Err(JwtFailure::Malformed),
            }
        }
    }
}

/// `iat` later than now plus the leeway is refused (`jsonwebtoken` does not check `iat`).
pub(crate) fn check_issued_at(
    claims: &Map<String, Value>,
    leeway: u64,
    now: u64,
) -> Result<(), JwtFailure> {
    match numeric_date(claims, "iat")? {
        Some(iat) if iat > now.saturating_add(leeway) => Err(JwtFailure::IssuedInFuture),
        _ => Ok(()),
    }
}
