//! Verifying RFC 9421 signatures on requests.

use std::time::Duration;

use http::HeaderMap;
use http::request::Parts;
use sfv::{BareItem, Dictionary, InnerList, ListEntry, ListSerializer, Parameters};

use super::component::{Component, RequestView};
use super::field;
use super::key::VerifyingKey;

/// Most signatures accepted in one `Signature-Input` or `Signature` field.
const MAX_SIGNATURES: usize = 16;
/// Most covered components accepted in one signature.
const MAX_COVERED_COMPONENTS: usize = 32;
/// How far ahead of the verifier's clock `created` may be.
const MAX_CLOCK_SKEW_SECS: u64 = 5;

/// Why a request signature was refused. The `Display` text is safe to show a client: it never
/// contains key material or signature bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// `Signature-Input` or `Signature` is absent, or neither carries the requested label.
    #[error("request signature is missing")]
    Missing,
    /// The signature fields are not valid structured fields, exceed the size bounds (8 KiB,
    /// 16 signatures, 32 components), repeat a component, or carry mistyped parameters.
    #[error("request signature is malformed")]
    Malformed,
    /// No configured key matches the signature's `keyid`.
    #[error("request signature key is not recognised")]
    UnknownKey,
    /// The `alg` parameter names an algorithm other than the key's.
    #[error("request signature algorithm does not match the key")]
    AlgorithmMismatch,
    /// A component required by policy is not covered by the signature.
    #[error("request signature does not cover required component `{0}`")]
    MissingComponent(String),
    /// The signature covers a component or component parameter this verifier does not support.
    #[error("request signature covers unsupported component `{0}`")]
    UnsupportedComponent(String),
    /// A covered component is not present in the request.
    #[error("signed component `{0}` is absent from the request")]
    AbsentComponent(String),
    /// A covered query parameter occurs more than once in the request.
    #[error("signed component `{0}` occurs more than once in the request")]
    AmbiguousComponent(String),
    /// The signature has no `created` parameter but policy requires one.
    #[error("request signature has no creation time")]
    MissingCreated,
    /// The `expires` time has passed.
    #[error("request signature has expired")]
    Expired,
    /// `created` is older than the policy's maximum age.
    #[error("request signature is too old")]
    TooOld,
    /// `created` is ahead of the verifier's clock by more than the tolerated skew.
    #[error("request signature creation time is in the future")]
    FromTheFuture,
    /// The signature does not verify under the key.
    #[error("request signature is invalid")]
    BadSignature,
}

/// What a policy demands of a request signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirements {
    /// Components that must all be covered, e.g. `@method`, `@path`, `@authority`,
    /// `content-digest`, `@query-param;name="id"`. Names compare case-insensitively.
    pub components: Vec<String>,
    /// Maximum age of the signature, measured from `created`.
    pub max_age: Duration,
    /// Whether the `created` parameter must be present (default `true`).
    pub require_created: bool,
    /// The signature label to verify; `None` picks the first signature in `Signature-Input`
    /// whose `keyid` the key lookup knows.
    pub label: Option<String>,
    /// Scheme of the connection the request arrived on (e.g. `Some("https")` behind a TLS
    /// listener), used when the request URI carries none. `None` means `http`.
    pub scheme_hint: Option<&'static str>,
}

impl Default for Requirements {
    fn default() -> Self {
        Self {
            components: Vec::new(),
            max_age: Duration::from_secs(300),
            require_created: true,
            label: None,
            scheme_hint: None,
        }
    }
}

/// A signature that passed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The `keyid` of the verifying key.
    pub key_id: String,
    /// The signature's label in `Signature-Input` / `Signature`.
    pub label: String,
    /// The `created` parameter, Unix seconds.
    pub created: Option<u64>,
    /// The `expires` parameter, Unix seconds.
    pub expires: Option<u64>,
    /// The `nonce` parameter, for replay protection.
    pub nonce: Option<String>,
    /// Covered components in signature order, e.g. `@method`, `@query-param;name="id"`.
    pub covered: Vec<String>,
}

/// The signature parameters this verifier interprets (RFC 9421 §2.3); others are ignored but
/// still covered by the signature base.
struct SignatureParams {
    created: Option<u64>,
    expires: Option<u64>,
    nonce: Option<String>,
    alg: Option<String>,
}

impl SignatureParams {
    fn parse(params: &Parameters) -> Result<Self, SignatureError> {
        Ok(Self {
            created: timestamp(params.get("created"))?,
            expires: timestamp(params.get("expires"))?,
            nonce: string(params.get("nonce"))?.map(str::to_owned),
            alg: string(params.get("alg"))?.map(str::to_owned),
        })
    }
}

/// Verifies an RFC 9421 signature on a request.
///
/// `lookup` maps a `keyid` to its key, e.g. `|id| keys.get(id)` over a
/// `HashMap<String, VerifyingKey>`. The algorithm always comes from the key; an `alg` parameter
/// only has to agree with it. `now_unix` is the current time in Unix seconds. The body is not
/// checked here: cover `content-digest` and call [`super::verify_content_digest`] as well.
pub fn verify_request<'k>(
    parts: &Parts,
    lookup: impl Fn(&str) -> Option<&'k VerifyingKey>,
    req: &Requirements,
    now_unix: u64,
) -> Result<Verified, SignatureError> {
    let inputs = signature_field(&parts.headers, "signature-input")?;
    let signatures = signature_field(&parts.headers, "signature")?;
    let candidates = candidates(&inputs)?;
    let (label, inner, key) = select(&candidates, req.label.as_deref(), &lookup)?;
    let signature = signature_bytes(&signatures, label)?;
    let params = SignatureParams::parse(&inner.params)?;
    check_algorithm(params.alg.as_deref(), key)?;
    let covered = covered_components(inner)?;
    check_required(&covered, &req.components)?;
    check_times(&params, req, now_unix)?;
    let request = RequestView::new(parts, req.scheme_hint);
    let base = signature_base(&request, &covered, inner)?;
    if !key.verifies(base.as_bytes(), signature) {
        return Err(SignatureError::BadSignature);
    }
    Ok(Verified {
        key_id: key.id().to_owned(),
        label: label.to_owned(),
        created: params.created,
        expires: params.expires,
        nonce: params.nonce,
        covered: covered.into_iter().map(|c| c.display).collect(),
    })
}

fn signature_field(headers: &HeaderMap, name: &str) -> Result<Dictionary, SignatureError> {
    let dictionary = field::dictionary(headers, name)
        .map_err(|_| SignatureError::Malformed)?
        .ok_or(SignatureError::Missing)?;
    if dictionary.is_empty() || dictionary.len() > MAX_SIGNATURES {
        return Err(SignatureError::Malformed);
    }
    Ok(dictionary)
}

/// Every `Signature-Input` member, checked to be an inner list within the component bound.
fn candidates(inputs: &Dictionary) -> Result<Vec<(&str, &InnerList)>, SignatureError> {
    inputs
        .iter()
        .map(|(label, entry)| match entry {
            ListEntry::InnerList(inner) if inner.items.len() <= MAX_COVERED_COMPONENTS => {
                Ok((label.as_str(), inner))
            }
            _ => Err(SignatureError::Malformed),
        })
        .collect()
}

/// The labelled signature to verify and its key.
fn select<'d, 'k>(
    candidates: &[(&'d str, &'d InnerList)],
    label: Option<&str>,
    lookup: &impl Fn(&str) -> Option<&'k VerifyingKey>,
) -> Result<(&'d str, &'d InnerList, &'k VerifyingKey), SignatureError> {
    let key_for = |inner: &InnerList| Ok(string(inner.params.get("keyid"))?.and_then(lookup));
    if let Some(label) = label {
        let &(label, inner) = candidates
            .iter()
            .find(|(candidate, _)| *candidate == label)
            .ok_or(SignatureError::Missing)?;
        let key = key_for(inner)?.ok_or(SignatureError::UnknownKey)?;
        return Ok((label, inner, key));
    }
    for &(label, inner) in candidates {
        if let Some(key) = key_for(inner)? {
            return Ok((label, inner, key));
        }
    }
    Err(SignatureError::UnknownKey)
}

fn signature_bytes<'d>(
    signatures: &'d Dictionary,
    label: &str,
) -> Result<&'d [u8], SignatureError> {
    match signatures.get(label) {
        Some(ListEntry::Item(item)) => item
            .bare_item
            .as_byte_sequence()
            .ok_or(SignatureError::Malformed),
        Some(ListEntry::InnerList(_)) => Err(SignatureError::Malformed),
        None => Err(SignatureError::Missing),
    }
}

fn check_algorithm(alg: Option<&str>, key: &VerifyingKey) -> Result<(), SignatureError> {
    match alg {
        Some(alg) if alg != key.algorithm().name() => Err(SignatureError::AlgorithmMismatch),
        _ => Ok(()),
    }
}

/// The covered components in order; duplicates are malformed (RFC 9421 §2.5).
fn covered_components(inner: &InnerList) -> Result<Vec<Component>, SignatureError> {
    let mut covered: Vec<Component> = Vec::with_capacity(inner.items.len());
    for item in &inner.items {
        let component = Component::parse(item)?;
        if covered.iter().any(|seen| seen.display == component.display) {
            return Err(SignatureError::Malformed);
        }
        covered.push(component);
    }
    Ok(covered)
}

fn check_required(covered: &[Component], required: &[String]) -> Result<(), SignatureError> {
    match required
        .iter()
        .find(|name| !covered.iter().any(|c| c.matches(name)))
    {
        Some(missing) => Err(SignatureError::MissingComponent(missing.clone())),
        None => Ok(()),
    }
}

fn check_times(
    params: &SignatureParams,
    req: &Requirements,
    now: u64,
) -> Result<(), SignatureError> {
    if params.expires.is_some_and(|expires| now > expires) {
        return Err(SignatureError::Expired);
    }
    let Some(created) = params.created else {
        return match req.require_created {
            true => Err(SignatureError::MissingCreated),
            false => Ok(()),
        };
    };
    if created > now.saturating_add(MAX_CLOCK_SKEW_SECS) {
        return Err(SignatureError::FromTheFuture);
    }
    if now.saturating_sub(created) > req.max_age.as_secs() {
        return Err(SignatureError::TooOld);
    }
    Ok(())
}

/// The signature base (RFC 9421 §2.5): one line per covered component, then
/// `"@signature-params"` with the inner list re-serialized as received.
fn signature_base(
    request: &RequestView<'_>,
    covered: &[Component],
    inner: &InnerList,
) -> Result<String, SignatureError> {
    let mut base = String::new();
    for component in covered {
        base.push_str(&component.base_line(request)?);
        base.push('\n');
    }
    base.push_str("\"@signature-params\": ");
    base.push_str(&serialize_inner_list(inner));
    Ok(base)
}

fn serialize_inner_list(inner: &InnerList) -> String {
    let mut serializer = ListSerializer::new();
    let mut list = serializer.inner_list();
    list.items(&inner.items);
    let _ = list.finish().parameters(&inner.params);
    serializer.finish().unwrap_or_default()
}

fn timestamp(value: Option<&BareItem>) -> Result<Option<u64>, SignatureError> {
    value
        .map(|value| {
            value
                .as_integer()
                .and_then(|integer| u64::try_from(integer).ok())
                .ok_or(SignatureError::Malformed)
        })
        .transpose()
}

fn string(value: Option<&BareItem>) -> Result<Option<&str>, SignatureError> {
    value
        .map(|value| {
            value
                .as_string()
                .map(|text| text.as_str())
                .ok_or(SignatureError::Malformed)
        })
        .transpose()
}
