//! Verification keys of one issuer: static ones built from configuration (PEM public keys,
//! a shared HMAC secret) and remote ones fetched from a JWKS or through OIDC discovery,
//! cached in an [`ArcSwap`], refreshed in the background and refetched on demand
//! (rate-limited, one fetch at a time) when a token names a key the cache does not hold.
//! A failed fetch keeps the last good keys.

use arc_swap::{ArcSwap, Guard};
use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use parapet_config::{JwtIssuer, JwtKeys, PemKey};
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// Largest JWKS or discovery document read.
const MAX_DOCUMENT: usize = 1024 * 1024;
/// Most keys kept from one JWKS (lookups scan them).
const MAX_KEYS: usize = 64;
/// RSA modulus sizes accepted, in bits (the verifier refuses above 4096).
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 4096;

/// base64url as found in JWKs: padding tolerated.
const JWK_B64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A key able to verify tokens of some of the issuer's algorithms.
pub(crate) struct VerifyKey {
    /// Its key id.
    pub kid: Option<String>,
    /// A configured key without kid: any token may use it, whatever kid it names.
    pub wildcard: bool,
    /// The issuer's algorithms this key verifies (its family, its curve, its JWK `alg`).
    pub algorithms: Vec<Algorithm>,
    /// The key itself.
    pub key: DecodingKey,
}

/// The keys of an issuer at one point in time.
pub(crate) struct KeySnapshot {
    /// Whether keys were ever obtained (always for static keys).
    pub loaded: bool,
    /// The keys.
    pub keys: Vec<VerifyKey>,
}

/// Result of a key lookup.
pub(crate) enum Lookup<'a> {
    /// The key to verify with.
    Found(&'a VerifyKey),
    /// No key fits.
    NotFound,
    /// A token without kid, and several keys fit: refused rather than guessed.
    Ambiguous,
}

impl KeySnapshot {
    /// The key for a token of algorithm `alg` naming `kid`: the key with that kid, else the
    /// one configured key without kid. A token without kid needs exactly one fitting key.
    pub(crate) fn find(&self, alg: Algorithm, kid: Option<&str>) -> Lookup<'_> {
        let fits = |k: &&VerifyKey| k.algorithms.contains(&alg);
        match kid {
            Some(kid) => {
                if let Some(key) = self
                    .keys
                    .iter()
                    .filter(fits)
                    .find(|k| k.kid.as_deref() == Some(kid))
                {
                    return Lookup::Found(key);
                }
                single(self.keys.iter().filter(fits).filter(|k| k.wildcard))
            }
            None => single(self.keys.iter().filter(fits)),
        }
    }
}

fn single<'a>(mut keys: impl Iterator<Item = &'a VerifyKey>) -> Lookup<'a> {
    match (keys.next(), keys.next()) {
        (Some(key), None) => Lookup::Found(key),
        (None, _) => Lookup::NotFound,
        (Some(_), Some(_)) => Lookup::Ambiguous,
    }
}

/// Where the keys come from.
pub(crate) enum Source {
    /// Built once from configuration.
    Static,
    /// A JWKS URL.
    Jwks(String),
    /// `{issuer}/.well-known/openid-configuration` names the JWKS.
    Discovery,
}

#[derive(Default)]
struct Status {
    /// Last successful fetch, wall clock (for display) and monotonic (for scheduling).
    last_success: Option<(SystemTime, Instant)>,
    last_attempt: Option<Instant>,
    last_error: Option<(SystemTime, String)>,
    consecutive_failures: u32,
}

/// What the admin API shows of one issuer's cache.
pub(crate) struct CacheView {
    pub keys: Vec<(Option<String>, Vec<Algorithm>)>,
    pub last_fetched: Option<SystemTime>,
    pub last_error: Option<(SystemTime, String)>,
    pub fetches_ok: u64,
    pub fetches_failed: u64,
    pub unknown_kid_refetches: u64,
    pub refetches_refused: u64,
}

/// Gate of the fetches: held during any fetch, so one runs at a time per issuer.
struct Gate {
    last_on_demand: Option<Instant>,
}

/// The key cache of one issuer.
pub(crate) struct KeyCache {
    source: Source,
    snapshot: ArcSwap<KeySnapshot>,
    /// Completed fetch attempts; a waiter that sees it move uses that fetch's outcome.
    attempts: AtomicU64,
    fetches_ok: AtomicU64,
    fetches_failed: AtomicU64,
    on_demand: AtomicU64,
    refused: AtomicU64,
    status: Mutex<Status>,
    gate: tokio::sync::Mutex<Gate>,
}

impl KeyCache {
    /// The cache of an issuer: static keys are built (and checked) now, remote ones start
    /// empty.
    pub(crate) fn new(issuer: &JwtIssuer) -> Result<KeyCache, String> {
        let (source, snapshot) = match &issuer.keys {
            JwtKeys::Jwks(url) => (Source::Jwks(url.clone()), KeySnapshot::empty()),
            JwtKeys::Discovery => (Source::Discovery, KeySnapshot::empty()),
            JwtKeys::Pem(pems) => {
                let mut keys = Vec::with_capacity(pems.len());
                for pem in pems {
                    keys.push(key_from_pem(pem, &issuer.algorithms).map_err(|e| {
                        format!(
                            "JWT issuer {:?}: key file {}: {e}",
                            issuer.issuer,
                            pem.path.display()
                        )
                    })?);
                }
                if keys.is_empty() {
                    return Err(format!("JWT issuer {:?}: no key file", issuer.issuer));
                }
                (Source::Static, KeySnapshot { loaded: true, keys })
            }
            JwtKeys::Secret(secret) => {
                let algorithms: Vec<Algorithm> = issuer
                    .algorithms
                    .iter()
                    .map(|a| super::algorithm(*a))
                    .filter(|a| a.family() == AlgorithmFamily::Hmac)
                    .collect();
                if algorithms.is_empty() {
                    return Err(format!(
                        "JWT issuer {:?}: a shared secret verifies only HS256, HS384 or HS512",
                        issuer.issuer
                    ));
                }
                if secret.0.is_empty() {
                    return Err(format!("JWT issuer {:?}: empty secret", issuer.issuer));
                }
                let key = VerifyKey {
                    kid: None,
                    wildcard: true,
                    algorithms,
                    key: DecodingKey::from_secret(&secret.0),
                };
                (
                    Source::Static,
                    KeySnapshot {
                        loaded: true,
                        keys: vec![key],
                    },
                )
            }
        };
        Ok(KeyCache {
            source,
            snapshot: ArcSwap::from_pointee(snapshot),
            attempts: AtomicU64::new(0),
            fetches_ok: AtomicU64::new(0),
            fetches_failed: AtomicU64::new(0),
            on_demand: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            status: Mutex::new(Status::default()),
            gate: tokio::sync::Mutex::new(Gate {
                last_on_demand: None,
            }),
        })
    }

    /// Whether keys are fetched (JWKS or discovery).
    pub(crate) fn is_remote(&self) -> bool {
        !matches!(self.source, Source::Static)
    }

    /// Kind of source, for display.
    pub(crate) fn source_name(&self, issuer: &JwtIssuer) -> &'static str {
        match (&self.source, &issuer.keys) {
            (Source::Jwks(_), _) => "jwks",
            (Source::Discovery, _) => "discovery",
            (Source::Static, JwtKeys::Secret(_)) => "secret",
            (Source::Static, _) => "pem",
        }
    }

    /// The JWKS URL, without credentials or query, for display.
    pub(crate) fn url(&self) -> Option<String> {
        match &self.source {
            Source::Jwks(url) => Some(redact_url(url)),
            _ => None,
        }
    }

    /// Completed fetch attempts so far; read before a lookup that may lead to a refetch.
    pub(crate) fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::Acquire)
    }

    /// The current keys (lock-free).
    pub(crate) fn snapshot(&self) -> Guard<Arc<KeySnapshot>> {
        self.snapshot.load()
    }

    fn status(&self) -> MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A refetch because a token named a key not in the cache (or none were fetched yet).
    /// Concurrent callers share one fetch: whoever waited on the gate while another fetch
    /// completed (`seen_attempts` moved) uses its outcome. Otherwise at most one such
    /// refetch runs per `refetch_min_interval`; refused ones are counted.
    pub(crate) async fn refetch(
        &self,
        issuer: &JwtIssuer,
        http: &reqwest::Client,
        seen_attempts: u64,
    ) {
        let mut gate = self.gate.lock().await;
        if self.attempts() != seen_attempts {
            return;
        }
        let now = Instant::now();
        if let Some(last) = gate.last_on_demand
            && now.duration_since(last) < issuer.refetch_min_interval
        {
            self.refused.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(issuer = %issuer.issuer, "JWT keys: on-demand refetch refused (rate limit)");
            return;
        }
        gate.last_on_demand = Some(now);
        self.on_demand.fetch_add(1, Ordering::Relaxed);
        self.fetch_locked(issuer, http).await;
    }

    /// A background refresh; skipped when another fetch completed while waiting for the
    /// gate.
    pub(crate) async fn scheduled_refresh(&self, issuer: &JwtIssuer, http: &reqwest::Client) {
        let seen = self.attempts();
        let _gate = self.gate.lock().await;
        if self.attempts() != seen {
            return;
        }
        self.fetch_locked(issuer, http).await;
    }

    /// How long until the next background refresh is due: `refresh` after the last success,
    /// sooner (exponential backoff from 1 s, capped at `refresh`) after failures, and right
    /// away when nothing was fetched yet.
    pub(crate) fn time_until_refresh(&self, issuer: &JwtIssuer) -> Duration {
        let refresh = issuer.refresh.max(Duration::from_secs(1));
        let status = self.status();
        if status.consecutive_failures > 0 {
            let backoff = Duration::from_secs(1)
                .saturating_mul(1 << (status.consecutive_failures - 1).min(20))
                .min(refresh);
            let since = status.last_attempt.map_or(Duration::MAX, |t| t.elapsed());
            return backoff.saturating_sub(since);
        }
        match status.last_success {
            Some((_, at)) => refresh.saturating_sub(at.elapsed()),
            None => Duration::ZERO,
        }
    }

    /// Fetches, then either swaps the new keys in or records the error and keeps the old
    /// keys. The gate must be held.
    async fn fetch_locked(&self, issuer: &JwtIssuer, http: &reqwest::Client) {
        let result = fetch_keys(&self.source, issuer, http).await;
        {
            let mut status = self.status();
            status.last_attempt = Some(Instant::now());
            match result {
                Ok(keys) => {
                    tracing::debug!(issuer = %issuer.issuer, keys = keys.len(), "JWT keys fetched");
                    self.snapshot
                        .store(Arc::new(KeySnapshot { loaded: true, keys }));
                    self.fetches_ok.fetch_add(1, Ordering::Relaxed);
                    status.last_success = Some((SystemTime::now(), Instant::now()));
                    status.consecutive_failures = 0;
                }
                Err(error) => {
                    let loaded = self.snapshot.load().loaded;
                    tracing::warn!(
                        issuer = %issuer.issuer,
                        %error,
                        stale_keys_kept = loaded,
                        "JWT keys: fetch failed"
                    );
                    self.fetches_failed.fetch_add(1, Ordering::Relaxed);
                    status.last_error = Some((SystemTime::now(), error));
                    status.consecutive_failures = status.consecutive_failures.saturating_add(1);
                }
            }
        }
        self.attempts.fetch_add(1, Ordering::Release);
    }

    /// A view for the admin API.
    pub(crate) fn view(&self) -> CacheView {
        let snapshot = self.snapshot();
        let status = self.status();
        CacheView {
            keys: snapshot
                .keys
                .iter()
                .map(|k| (k.kid.clone(), k.algorithms.clone()))
                .collect(),
            last_fetched: status.last_success.map(|(at, _)| at),
            last_error: status.last_error.clone(),
            fetches_ok: self.fetches_ok.load(Ordering::Relaxed),
            fetches_failed: self.fetches_failed.load(Ordering::Relaxed),
            unknown_kid_refetches: self.on_demand.load(Ordering::Relaxed),
            refetches_refused: self.refused.load(Ordering::Relaxed),
        }
    }
}

impl KeySnapshot {
    fn empty() -> KeySnapshot {
        KeySnapshot {
            loaded: false,
            keys: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
struct DiscoveryDocument {
    issuer: Option<String>,
    jwks_uri: Option<String>,
}

#[derive(Deserialize)]
struct RawJwkSet {
    keys: Vec<serde_json::Value>,
}

/// Fetches and parses the issuer's keys. Error texts name the URL without credentials or
/// query.
async fn fetch_keys(
    source: &Source,
    issuer: &JwtIssuer,
    http: &reqwest::Client,
) -> Result<Vec<VerifyKey>, String> {
    let url = match source {
        Source::Static => return Err("static keys are not fetched".to_string()),
        Source::Jwks(url) => url.clone(),
        Source::Discovery => {
            let url = format!(
                "{}/.well-known/openid-configuration",
                issuer.issuer.trim_end_matches('/')
            );
            let body = get_document(http, &url, issuer.fetch_timeout).await?;
            let doc: DiscoveryDocument = serde_json::from_slice(&body)
                .map_err(|e| format!("{}: not a discovery document: {e}", redact_url(&url)))?;
            if let Some(named) = &doc.issuer
                && named.trim_end_matches('/') != issuer.issuer.trim_end_matches('/')
            {
                return Err(format!(
                    "{}: the document names issuer {named:?}, not {:?}",
                    redact_url(&url),
                    issuer.issuer
                ));
            }
            doc.jwks_uri
                .ok_or_else(|| format!("{}: no jwks_uri", redact_url(&url)))?
        }
    };
    let body = get_document(http, &url, issuer.fetch_timeout).await?;
    parse_jwks(&body, &issuer.algorithms).map_err(|e| format!("{}: {e}", redact_url(&url)))
}

/// GETs a JSON document of at most [`MAX_DOCUMENT`] bytes within `timeout`.
async fn get_document(
    http: &reqwest::Client,
    url: &str,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let shown = redact_url(url);
    let fetch = async {
        let mut response = http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| format!("{shown}: {}", describe(e)))?;
        if !response.status().is_success() {
            return Err(format!("{shown}: HTTP status {}", response.status()));
        }
        let too_large = || format!("{shown}: document larger than {MAX_DOCUMENT} bytes");
        if response
            .content_length()
            .is_some_and(|n| n > MAX_DOCUMENT as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("{shown}: {}", describe(e)))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(timeout, fetch)
        .await
        .map_err(|_| format!("{shown}: no complete answer within {timeout:?}"))?
}

/// A reqwest error and its causes, without the URL (shown separately, redacted).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A URL as shown in errors and the admin API: no user info, query or fragment.
pub(crate) fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.to_string()
        }
        Err(_) => "(invalid URL)".to_string(),
    }
}

/// The usable signing keys of a JWKS document. Keys that cannot be used (not for `sig`,
/// symmetric, unsupported type or curve, malformed, no accepted algorithm) are skipped; a
/// document with no usable key at all is an error, so the last good keys stay in use.
pub(crate) fn parse_jwks(
    body: &[u8],
    allowed: &[parapet_config::JwtAlgorithm],
) -> Result<Vec<VerifyKey>, String> {
    let set: RawJwkSet =
        serde_json::from_slice(body).map_err(|e| format!("not a JWKS document: {e}"))?;
    let mut keys = Vec::new();
    let mut skipped = 0usize;
    for value in set.keys {
        if keys.len() == MAX_KEYS {
            skipped += 1;
            continue;
        }
        let jwk: Jwk = match serde_json::from_value(value) {
            Ok(jwk) => jwk,
            Err(e) => {
                tracing::debug!(error = %e, "JWKS: key skipped: not a JWK");
                skipped += 1;
                continue;
            }
        };
        let kid = jwk.common.key_id.clone();
        match key_from_jwk(&jwk, allowed) {
            Ok((key, algorithms)) => keys.push(VerifyKey {
                kid,
                wildcard: false,
                algorithms,
                key,
            }),
            Err(reason) => {
                tracing::debug!(
                    kid = kid.as_deref().unwrap_or(""),
                    reason,
                    "JWKS: key skipped"
                );
                skipped += 1;
            }
        }
    }
    if keys.is_empty() {
        return Err(format!(
            "no usable signing key ({skipped} skipped); keeping the previous keys"
        ));
    }
    Ok(keys)
}

/// A public key from a configured PEM file (SPKI public key, PKCS#1 RSA public key, or
/// certificate). Private keys are refused.
fn key_from_pem(
    pem: &PemKey,
    allowed: &[parapet_config::JwtAlgorithm],
) -> Result<VerifyKey, String> {
    let label = pem_label(&pem.pem).ok_or("no PEM block found")?;
    match label {
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => {}
        l if l.contains("PRIVATE") => {
            return Err(
                "holds a private key: configure the public key (or certificate) instead"
                    .to_string(),
            );
        }
        l => {
            return Err(format!(
                "unsupported PEM block {l:?}: expected PUBLIC KEY or CERTIFICATE"
            ));
        }
    }
    let bytes = pem.pem.as_bytes();
    let decoding = DecodingKey::from_rsa_pem(bytes)
        .or_else(|_| DecodingKey::from_ec_pem(bytes))
        .or_else(|_| DecodingKey::from_ed_pem(bytes))
        .map_err(|_| "not an RSA, EC or Ed25519 public key")?;
    // Through the JWK form, so that PEM keys get exactly the checks of fetched keys.
    let jwk = Jwk::from_decoding_key(&decoding, None).map_err(|e| format!("unusable key: {e}"))?;
    let (key, algorithms) = key_from_jwk(&jwk, allowed).map_err(str::to_string)?;
    Ok(VerifyKey {
        kid: pem.kid.clone(),
        wildcard: pem.kid.is_none(),
        algorithms,
        key,
    })
}

/// The label of the first PEM block (`-----BEGIN <label>-----`).
fn pem_label(text: &str) -> Option<&str> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = &text[start..];
    rest.find("-----").map(|end| rest[..end].trim())
}

const RSA_ALGORITHMS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// A verification key from a public JWK, with the issuer's algorithms it may verify.
/// Symmetric (`oct`) keys are refused: HMAC keys only come from a configured secret.
fn key_from_jwk(
    jwk: &Jwk,
    allowed: &[parapet_config::JwtAlgorithm],
) -> Result<(DecodingKey, Vec<Algorithm>), &'static str> {
    if let Some(usage) = &jwk.common.public_key_use
        && *usage != PublicKeyUse::Signature
    {
        return Err("not a signature key (use)");
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops.contains(&KeyOperations::Verify)
    {
        return Err("not a verification key (key_ops)");
    }
    let decode = |field: &str| JWK_B64.decode(field).map_err(|_| "invalid base64url");
    let (key, fitting): (DecodingKey, &[Algorithm]) = match &jwk.algorithm {
        AlgorithmParameters::RSA(p) => {
            let n = decode(&p.n)?;
            let e = decode(&p.e)?;
            let bits = significant_bits(&n);
            if bits < RSA_MIN_BITS {
                return Err("RSA key shorter than 2048 bits");
            }
            if bits > RSA_MAX_BITS {
                return Err("RSA key longer than 4096 bits");
            }
            if significant_bits(&e) == 0 || e.len() > 8 {
                return Err("invalid RSA exponent");
            }
            (
                DecodingKey::from_rsa_raw_components(&n, &e),
                &RSA_ALGORITHMS,
            )
        }
        AlgorithmParameters::EllipticCurve(p) => {
            let (size, alg): (usize, &[Algorithm]) = match p.curve {
                EllipticCurve::P256 => (32, &[Algorithm::ES256]),
                EllipticCurve::P384 => (48, &[Algorithm::ES384]),
                _ => return Err("unsupported curve"),
            };
            let x = decode(&p.x)?;
            let y = decode(&p.y)?;
            if x.len() != size || y.len() != size {
                return Err("EC coordinates of the wrong size");
            }
            let mut point = Vec::with_capacity(1 + 2 * size);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (DecodingKey::from_ec_der(&point), alg)
        }
        AlgorithmParameters::OctetKeyPair(p) => {
            if p.curve != EllipticCurve::Ed25519 {
                return Err("unsupported curve");
            }
            let x = decode(&p.x)?;
            if x.len() != 32 {
                return Err("Ed25519 key of the wrong size");
            }
            (DecodingKey::from_ed_der(&x), &[Algorithm::EdDSA])
        }
        AlgorithmParameters::OctetKey(_) => {
            return Err("symmetric key: HMAC keys only come from a configured secret");
        }
        _ => return Err("unsupported key type"),
    };
    let mut algorithms: Vec<Algorithm> = allowed
        .iter()
        .map(|a| super::algorithm(*a))
        .filter(|a| fitting.contains(a))
        .collect();
    if let Some(named) = jwk.common.key_algorithm {
        let named = Algorithm::try_from(named).map_err(|_| "unsupported alg")?;
        algorithms.retain(|a| *a == named);
    }
    if algorithms.is_empty() {
        return Err("none of the issuer's algorithms fits this key");
    }
    Ok((key, algorithms))
}

/// Bits of a big-endian unsigned integer, leading zeros excluded.
fn significant_bits(bytes: &[u8]) -> usize {
    match bytes.iter().position(|b| *b != 0) {
        Some(i) => (bytes.len() - i - 1) * 8 + (8 - bytes[i].leading_zeros() as usize),
        None => 0,
    }
}
