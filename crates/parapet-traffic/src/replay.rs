//! The `replay` policy: a request is accepted once. It carries a nonce and a timestamp (in
//! headers, in its token's `jti`/`iat`, or in its HTTP Message Signature); the timestamp
//! must be within the window of now, and the nonce unseen (nonces are remembered, per
//! consumer, in the shared state for twice the window, so a nonce cannot come back while
//! its timestamp is still acceptable).
//!
//! With `signature`, the request must also be signed (RFC 9421) by a key of its consumer,
//! covering the required components and, when it has a body, a `Content-Digest` that
//! matches the body: a body altered after signing is refused. The nonce is recorded only
//! after the signature verifies, so forged requests cannot burn a client's nonces.

use crate::signature::{
    DigestError, Requirements, SignatureError, VerifyingKey, verify_content_digest, verify_request,
};
use bytes::Bytes;
use http::HeaderValue;
use http::header::HeaderName;
use parapet_config::{
    Fallback, Mode, NonceSource, Replay as ReplayConfig, SigningKey, SigningMaterial,
    TimestampSource,
};
use parapet_policy::{Decision, Part, Policy, Refusal, RequestContext, Step, reasons};
use parapet_state::{Key, Kind, Record, State};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

reasons! {
    /// The nonce, timestamp or signature the route requires is missing.
    REPLAY_PROTECTION_REQUIRED = (BAD_REQUEST, "replay-protection-required", "Replay protection required");
    /// The timestamp is outside the accepted window.
    REQUEST_EXPIRED = (BAD_REQUEST, "request-expired", "Request expired");
    /// The nonce was seen before.
    REQUEST_REPLAYED = (CONFLICT, "request-replayed", "Request replayed");
    /// The signature does not verify.
    INVALID_SIGNATURE = (UNAUTHORIZED, "invalid-signature", "Invalid request signature");
    /// The Content-Digest is missing or does not match the body.
    DIGEST_MISMATCH = (BAD_REQUEST, "content-digest-mismatch", "Content digest mismatch");
}

/// `Accept-Signature` (RFC 9421 §5.1): what a refused client should sign.
static ACCEPT_SIGNATURE: HeaderName = HeaderName::from_static("accept-signature");

/// Signing keys of every consumer, by key id.
#[derive(Debug, Default)]
pub struct SigningKeys {
    by_id: HashMap<String, (String, VerifyingKey)>,
}

impl SigningKeys {
    /// The keys of `consumers` (declared in the config; PEM and lengths were checked).
    pub fn new(consumers: &[parapet_config::Consumer]) -> SigningKeys {
        let mut by_id = HashMap::new();
        for c in consumers {
            for SigningKey { id, material } in &c.signing_keys {
                let key = match material {
                    SigningMaterial::HmacSha256(secret) => {
                        Some(VerifyingKey::hmac_sha256(id.clone(), &secret.0))
                    }
                    SigningMaterial::Ed25519Pem(pem) => {
                        VerifyingKey::ed25519_from_pem(id.clone(), pem).ok()
                    }
                };
                match key {
                    Some(k) => {
                        by_id.insert(id.clone(), (c.id.clone(), k));
                    }
                    None => {
                        tracing::warn!(consumer = %c.id, key = %id, "unusable Ed25519 signing key ignored")
                    }
                }
            }
        }
        SigningKeys { by_id }
    }
}

/// The replay policy of one route.
#[derive(Debug)]
pub struct Replay {
    config: ReplayConfig,
    keys: Arc<SigningKeys>,
    state: State,
    accept_signature: Option<HeaderValue>,
}

/// What the checks before the nonce lookup found.
struct Checked {
    nonce: String,
    consumer: String,
}

impl Replay {
    /// The policy for `config`, verifying signatures with `keys`.
    pub fn new(config: &ReplayConfig, keys: &Arc<SigningKeys>, state: &State) -> Replay {
        let accept_signature = config.signature.as_ref().and_then(|s| {
            let mut components: Vec<String> = s.components.clone();
            components.extend(covered_sources(config));
            components.push("content-digest".into());
            components.dedup();
            let quoted: Vec<String> = components.iter().map(|c| format!("\"{c}\"")).collect();
            let mut params = String::new();
            if config.timestamp == TimestampSource::Created {
                params.push_str(";created");
            }
            if config.nonce == NonceSource::Signature {
                params.push_str(";nonce");
            }
            HeaderValue::from_str(&format!("sig1=({}){params}", quoted.join(" "))).ok()
        });
        Replay {
            config: config.clone(),
            keys: keys.clone(),
            state: state.clone(),
            accept_signature,
        }
    }

    /// Signature, digest, timestamp and nonce presence: everything but the nonce lookup.
    fn check(
        &self,
        ctx: &RequestContext,
        req: &http::request::Parts,
        body: &[u8],
    ) -> Result<Checked, Box<Refusal>> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let signed = match &self.config.signature {
            Some(s) => {
                let mut components = s.components.clone();
                components.extend(covered_sources(&self.config));
                if !body.is_empty() {
                    components.push("content-digest".into());
                }
                let requirements = Requirements {
                    components,
                    max_age: self.config.window,
                    require_created: self.config.timestamp == TimestampSource::Created,
                    label: s.label.clone(),
                    ..Requirements::default()
                };
                let verified = verify_request(
                    req,
                    |id| self.keys.by_id.get(id).map(|(_, k)| k),
                    &requirements,
                    now,
                )
                .map_err(|e| self.signature_refusal(&e))?;
                let (owner, _) = &self.keys.by_id[&verified.key_id];
                if ctx.consumer().is_some_and(|c| c != owner) {
                    return Err(Box::new(
                        self.signature_refusal(&SignatureError::UnknownKey)
                            .cause("signature-key-of-another-consumer"),
                    ));
                }
                if !body.is_empty() {
                    verify_content_digest(&req.headers, body).map_err(|e| digest_refusal(&e))?;
                }
                Some((owner.clone(), verified))
            }
            None => None,
        };
        let claims = ctx.identity.as_deref().map(|i| &i.claims);
        let nonce = match &self.config.nonce {
            NonceSource::Header(h) => header(req, h),
            NonceSource::Jti => claims.and_then(|c| c.get("jti")?.as_str().map(str::to_string)),
            NonceSource::Signature => signed.as_ref().and_then(|(_, v)| v.nonce.clone()),
        };
        let timestamp = match &self.config.timestamp {
            TimestampSource::Header(h) => header(req, h).and_then(|t| parse_timestamp(&t)),
            TimestampSource::Iat => claims.and_then(|c| c.get("iat")?.as_u64()),
            TimestampSource::Created => signed.as_ref().and_then(|(_, v)| v.created),
        };
        let (Some(nonce), Some(timestamp)) = (nonce, timestamp) else {
            return Err(Box::new(
                Refusal::new(REPLAY_PROTECTION_REQUIRED, Part::Header(None)).detail(
                    "send a fresh nonce and the current time with every request to this route",
                ),
            ));
        };
        if nonce.is_empty() || nonce.len() > 256 {
            return Err(Box::new(
                Refusal::new(REPLAY_PROTECTION_REQUIRED, Part::Header(None))
                    .cause("nonce-length")
                    .detail("the nonce must be 1 to 256 characters"),
            ));
        }
        let window = self.config.window.as_secs();
        if timestamp.abs_diff(now) > window {
            let cause = if timestamp > now {
                "timestamp-in-the-future"
            } else {
                "timestamp-too-old"
            };
            return Err(Box::new(
                Refusal::new(REQUEST_EXPIRED, Part::Header(None))
                    .cause(cause)
                    .detail(format!(
                        "the request time must be within {window} s of the server's"
                    )),
            ));
        }
        let consumer = match (signed, ctx.consumer()) {
            (_, Some(c)) => format!("c:{c}"),
            (Some((owner, _)), None) => format!("c:{owner}"),
            (None, None) => format!("ip:{}", ctx.client_ip),
        };
        Ok(Checked { nonce, consumer })
    }

    fn signature_refusal(&self, e: &SignatureError) -> Refusal {
        let (reason, cause) = match e {
            SignatureError::Missing => (REPLAY_PROTECTION_REQUIRED, "signature-missing"),
            SignatureError::Expired => (REQUEST_EXPIRED, "signature-expired"),
            SignatureError::TooOld => (REQUEST_EXPIRED, "signature-too-old"),
            SignatureError::FromTheFuture => (REQUEST_EXPIRED, "signature-from-the-future"),
            SignatureError::Malformed => (INVALID_SIGNATURE, "signature-malformed"),
            SignatureError::UnknownKey => (INVALID_SIGNATURE, "signature-unknown-key"),
            SignatureError::AlgorithmMismatch => {
                (INVALID_SIGNATURE, "signature-algorithm-mismatch")
            }
            SignatureError::MissingComponent(_) => {
                (INVALID_SIGNATURE, "signature-missing-component")
            }
            SignatureError::UnsupportedComponent(_) => {
                (INVALID_SIGNATURE, "signature-unsupported-component")
            }
            SignatureError::AbsentComponent(_) => (INVALID_SIGNATURE, "signature-absent-component"),
            SignatureError::AmbiguousComponent(_) => {
                (INVALID_SIGNATURE, "signature-ambiguous-component")
            }
            SignatureError::MissingCreated => (INVALID_SIGNATURE, "signature-missing-created"),
            SignatureError::BadSignature => (INVALID_SIGNATURE, "signature-mismatch"),
        };
        // Fixed texts only: the component names of some errors come from the request.
        let detail = match e {
            SignatureError::MissingComponent(_) => {
                "the signature does not cover every component this route requires".into()
            }
            SignatureError::UnsupportedComponent(_) => {
                "the signature covers a component this gateway does not support".into()
            }
            SignatureError::AbsentComponent(_) => {
                "the signature covers a component absent from the request".into()
            }
            SignatureError::AmbiguousComponent(_) => {
                "the signature covers a query parameter that occurs more than once".into()
            }
            other => other.to_string(),
        };
        let mut refusal = Refusal::new(reason, Part::Header(Some("signature".into())))
            .cause(cause)
            .detail(detail);
        if let Some(accept) = &self.accept_signature {
            refusal = refusal.header(ACCEPT_SIGNATURE.clone(), accept.clone());
        }
        refusal
    }

    /// Records the nonce; refuses it when it was there.
    fn remember<'a>(&'a self, checked: Checked) -> Step<'a> {
        let key = Key::new(
            Kind::Nonce,
            [
                self.config.scope.as_bytes(),
                checked.consumer.as_bytes(),
                checked.nonce.as_bytes(),
            ],
        );
        // Timestamps are checked in whole seconds: keep the nonce a little past the last
        // second its timestamp is accepted in.
        let ttl = self.config.window * 2 + Duration::from_secs(2);
        let marker = Record::from_static(b"1");
        if !self.state.is_shared() {
            return seen(
                self.state
                    .local()
                    .put_if_absent(&key, marker, ttl)
                    .is_some(),
            )
            .into();
        }
        Step::Later(Box::pin(async move {
            match self.state.put_if_absent(&key, marker.clone(), ttl).await {
                Ok(previous) => seen(previous.is_some()),
                Err(_) => match self.config.on_unavailable {
                    Fallback::Local => seen(
                        self.state
                            .local()
                            .put_if_absent(&key, marker, ttl)
                            .is_some(),
                    ),
                    Fallback::Open => Decision::Continue,
                    Fallback::Closed => crate::unavailable(),
                },
            }
        }))
    }

    fn judge<'a>(
        &'a self,
        ctx: &RequestContext,
        req: &http::request::Parts,
        body: &[u8],
    ) -> Step<'a> {
        match self.check(ctx, req, body) {
            Ok(checked) => self.remember(checked),
            Err(refusal) => Decision::from(*refusal).into(),
        }
    }
}

/// What a signature must cover besides the configured components: the headers the nonce
/// and timestamp come from (and the token, for `jti`/`iat`); otherwise a captured request
/// could be sent again with a fresh, unsigned nonce or time.
fn covered_sources(config: &ReplayConfig) -> Vec<String> {
    let mut out = Vec::new();
    if let NonceSource::Header(h) = &config.nonce {
        out.push(h.clone());
    }
    if let TimestampSource::Header(h) = &config.timestamp {
        out.push(h.clone());
    }
    if config.nonce == NonceSource::Jti || config.timestamp == TimestampSource::Iat {
        out.push("authorization".into());
    }
    out
}

fn seen(seen: bool) -> Decision {
    if seen {
        Refusal::new(REQUEST_REPLAYED, Part::Header(None))
            .detail("this nonce was already used; send each request with a fresh one")
            .into()
    } else {
        Decision::Continue
    }
}

fn digest_refusal(e: &DigestError) -> Box<Refusal> {
    let cause = match e {
        DigestError::Missing => "digest-missing",
        DigestError::Malformed => "digest-malformed",
        DigestError::UnsupportedAlgorithm => "digest-unsupported-algorithm",
        DigestError::Mismatch => "digest-mismatch",
    };
    Box::new(
        Refusal::new(DIGEST_MISMATCH, Part::Header(Some("content-digest".into())))
            .cause(cause)
            .detail(e.to_string()),
    )
}

/// The single value of header `name` as text.
fn header(req: &http::request::Parts, name: &str) -> Option<String> {
    let mut values = req.headers.get_all(name).iter();
    let v = values.next()?;
    if values.next().is_some() {
        return None;
    }
    v.to_str().ok().map(|s| s.trim().to_string())
}

/// Unix seconds, or an RFC 3339 time.
fn parse_timestamp(text: &str) -> Option<u64> {
    if let Ok(secs) = text.parse::<u64>() {
        return Some(secs);
    }
    let t = humantime::parse_rfc3339_weak(text).ok()?;
    t.duration_since(UNIX_EPOCH)
        .ok()
        .map(|d: Duration| d.as_secs())
}

impl Policy for Replay {
    fn name(&self) -> &'static str {
        "replay"
    }

    fn order(&self) -> u16 {
        380
    }

    fn mode(&self) -> Mode {
        self.config.mode
    }

    fn inspects_request_body(&self) -> bool {
        // The signature's Content-Digest is checked against the body.
        self.config.signature.is_some()
    }

    fn on_request_headers<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a mut http::request::Parts,
    ) -> Step<'a> {
        if self.config.signature.is_some() {
            return Decision::Continue.into();
        }
        self.judge(ctx, req, &[])
    }

    fn on_request_body<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a http::request::Parts,
        body: &'a Bytes,
    ) -> Step<'a> {
        if self.config.signature.is_none() {
            return Decision::Continue.into();
        }
        self.judge(ctx, req, body)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn timestamps_are_unix_seconds_or_rfc3339() {
        assert_eq!(parse_timestamp("1795405500"), Some(1_795_405_500));
        assert_eq!(parse_timestamp("2026-11-23T03:45:00Z"), Some(1_795_405_500));
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("-5"), None);
    }
}
