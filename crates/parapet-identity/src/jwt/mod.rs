//! JWT bearer-token verification (compact JWS) against the configured issuers.
//!
//! Order of the checks: size (before any parsing), shape, header `alg` (never `none`), the
//! unverified `iss` only to pick a configured (and allowed) issuer, the issuer's algorithm
//! allowlist, the key by `kid` from that issuer's configured or fetched keys (never from
//! `jku`, `x5u`, `jwk` or `x5c`), then `jsonwebtoken` verifies the signature and `exp`,
//! `nbf`, `iss`, `aud`, and `iat` is checked here. Remote keys are cached; an unknown `kid`
//! triggers one rate-limited refetch shared by concurrent requests; a failed fetch keeps
//! the last good keys.

mod claims;
mod keys;
mod verified;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use keys::{KeyCache, Lookup};
use parapet_config::{JwtAlgorithm, JwtIssuer};
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

/// Verifies JWTs for the configured issuers and keeps their key caches. Cheap to share in
/// an `Arc`; background refresh tasks (see [`JwtVerifier::start`]) stop when it is dropped.
pub struct JwtVerifier {
    issuers: Vec<Arc<Issuer>>,
    http: reqwest::Client,
    /// The largest `max_token_size` of all issuers: checked before anything is parsed.
    max_token_size: usize,
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
    /// Tokens already verified with the current keys.
    verified: verified::Verified,
}

/// One configured issuer with its precomputed rules and its keys. Shared by the verifier
/// built on a config reload when the issuer's settings did not change.
struct Issuer {
    config: Arc<JwtIssuer>,
    /// One `Validation` per accepted algorithm.
    validations: Vec<(Algorithm, Validation)>,
    leeway: u64,
    cache: KeyCache,
}

/// A token whose signature and claims were verified.
#[derive(Clone, Debug)]
pub struct VerifiedJwt {
    /// The configured issuer that verified it (equal to its `iss`).
    pub issuer: String,
    /// All its claims.
    pub claims: Map<String, Value>,
}

/// Why a token was refused. [`JwtFailure::cause`] gives a stable code for events and
/// metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum JwtFailure {
    /// Longer than `max_token_size`.
    #[error("token too large")]
    TooLarge,
    /// Not a well-formed compact JWS with JSON header and claims.
    #[error("malformed token")]
    Malformed,
    /// `alg` is `none`, unknown, or not accepted for the issuer.
    #[error("signature algorithm not allowed")]
    AlgorithmNotAllowed,
    /// No `iss`, an issuer not configured, or not accepted on this route.
    #[error("unknown or not accepted issuer")]
    UnknownIssuer,
    /// No key of the issuer fits the token's `kid` and algorithm.
    #[error("unknown signing key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// `exp` is past (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not yet valid")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("token issued in the future")]
    IssuedInFuture,
    /// No `exp` claim (or one that is not a number).
    #[error("token without exp")]
    MissingExp,
    /// `aud` missing or naming none of the accepted audiences.
    #[error("wrong audience")]
    WrongAudience,
    /// The issuer's keys could never be fetched.
    #[error("issuer keys unavailable")]
    KeysUnavailable,
}

impl JwtFailure {
    /// Stable kebab-case code of the failure.
    pub fn cause(&self) -> &'static str {
        match self {
            JwtFailure::TooLarge => "jwt-too-large",
            JwtFailure::Malformed => "jwt-malformed",
            JwtFailure::AlgorithmNotAllowed => "jwt-algorithm-not-allowed",
            JwtFailure::UnknownIssuer => "jwt-unknown-issuer",
            JwtFailure::UnknownKey => "jwt-unknown-key",
            JwtFailure::BadSignature => "jwt-bad-signature",
            JwtFailure::Expired => "jwt-expired",
            JwtFailure::NotYetValid => "jwt-not-yet-valid",
            JwtFailure::IssuedInFuture => "jwt-issued-in-future",
            JwtFailure::MissingExp => "jwt-missing-exp",
            JwtFailure::WrongAudience => "jwt-wrong-audience",
            JwtFailure::KeysUnavailable => "jwt-keys-unavailable",
        }
    }
}

/// The key cache of one issuer, as shown by the admin API. Holds no key material.
#[derive(Clone, Debug, Serialize)]
pub struct IssuerKeys {
    /// The issuer (`iss`).
    pub issuer: String,
    /// Where its keys come from: `jwks`, `discovery`, `pem` or `secret`.
    pub source: &'static str,
    /// The JWKS URL (without credentials or query), for `jwks`.
    pub url: Option<String>,
    /// The keys currently usable.
    pub keys: Vec<KnownKey>,
    /// Last successful fetch, in seconds since the Unix epoch (remote keys only).
    pub last_fetched: Option<u64>,
    /// Text of the last fetch error.
    pub last_error: Option<String>,
    /// When it happened, in seconds since the Unix epoch.
    pub last_error_at: Option<u64>,
    /// Whether the last fetch failed and older keys are being served.
    pub stale: bool,
    /// Successful fetches.
    pub fetches_ok: u64,
    /// Failed fetches.
    pub fetches_failed: u64,
    /// Fetches triggered by a token naming an unknown key (or arriving before any key).
    pub unknown_kid_refetches: u64,
    /// Such refetches refused by the rate limit (`refetch_min_interval`).
    pub refetches_refused: u64,
}

/// A key in the cache.
#[derive(Clone, Debug, Serialize)]
pub struct KnownKey {
    /// Its key id.
    pub kid: Option<String>,
    /// The algorithms it verifies.
    pub algorithms: Vec<&'static str>,
}

impl JwtVerifier {
    /// Builds the verifier: parses static PEM keys (an error names the file), sets up empty
    /// caches for JWKS and discovery issuers. With `previous` (a config reload), issuers
    /// whose settings are unchanged keep their cached keys and counters.
    pub fn new(
        issuers: &[Arc<JwtIssuer>],
        http: reqwest::Client,
        previous: Option<&JwtVerifier>,
    ) -> Result<JwtVerifier, String> {
        let mut built = Vec::with_capacity(issuers.len());
        for config in issuers {
            let reused = previous.and_then(|p| p.issuers.iter().find(|i| *i.config == **config));
            match reused {
                Some(issuer) => built.push(issuer.clone()),
                None => built.push(Arc::new(Issuer::new(config.clone())?)),
            }
        }
        Ok(JwtVerifier {
            max_token_size: issuers.iter().map(|i| i.max_token_size).max().unwrap_or(0),
            issuers: built,
            http,
            tasks: Mutex::new(Vec::new()),
            verified: verified::Verified::default(),
        })
    }

    /// Starts the background refresh of JWKS and discovery issuers: a first fetch right
    /// away (or, for keys kept from a previous verifier, when they are due), then every
    /// `refresh` (at least 1 s), sooner after a failure (backoff from 1 s). Must be called
    /// inside a tokio runtime; calling it again restarts the tasks. They stop when the
    /// verifier is dropped.
    pub fn start(&self) {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        for task in tasks.drain(..) {
            task.abort();
        }
        for issuer in self.issuers.iter().filter(|i| i.cache.is_remote()) {
            let task = tokio::spawn(refresh_loop(Arc::downgrade(issuer), self.http.clone()));
            tasks.push(task.abort_handle());
        }
    }

    /// Verifies a compact JWS. `allowed_issuers`: the issuers accepted here (any configured
    /// one when empty). No I/O when the key is cached; no signature check either when the
    /// same token was verified before with the same keys and has not expired.
    pub async fn verify(
        &self,
        token: &str,
        allowed_issuers: &[String],
    ) -> Result<VerifiedJwt, JwtFailure> {
        if self.issuers.is_empty() {
            return Err(JwtFailure::UnknownIssuer);
        }
        if token.len() > self.max_token_size {
            return Err(JwtFailure::TooLarge);
        }
        let fingerprint = verified::fingerprint(token);
        let now = jsonwebtoken::get_current_timestamp();
        let current = |i: usize| Arc::clone(&self.issuers[i].cache.snapshot());
        if let Some(hit) = self.verified.get(&fingerprint, now, current) {
            let issuer = &self.issuers[hit.issuer].config.issuer;
            if !allowed_issuers.is_empty() && !allowed_issuers.contains(issuer) {
                return Err(JwtFailure::UnknownIssuer);
            }
            return Ok(VerifiedJwt {
                issuer: issuer.clone(),
                claims: (*hit.claims).clone(),
            });
        }
        // The key sets before verifying: a token is cached only against the set it was
        // verified with (not one swapped in meanwhile, which may have dropped its key).
        let before: Vec<Arc<keys::KeySnapshot>> = (0..self.issuers.len()).map(current).collect();
        let verified = self.verify_in_full(token, allowed_issuers).await?;
        if let Some(index) = self
            .issuers
            .iter()
            .position(|i| i.config.issuer == verified.issuer)
        {
            let issuer = &self.issuers[index];
            let keys = &before[index];
            let unchanged = Arc::ptr_eq(keys, &issuer.cache.snapshot());
            let exp = verified.claims.get("exp").and_then(Value::as_u64);
            if let (true, Some(exp)) = (unchanged, exp) {
                let claims = Arc::new(verified.claims.clone());
                let until = exp.saturating_add(issuer.leeway);
                self.verified
                    .insert(fingerprint, index, keys, until, claims, now);
            }
        }
        Ok(verified)
    }

    /// The full check: parse, pick the issuer and key (fetching keys if needed), verify.
    async fn verify_in_full(
        &self,
        token: &str,
        allowed_issuers: &[String],
    ) -> Result<VerifiedJwt, JwtFailure> {
        let (header, payload) = claims::split(token)?;
        let header = claims::decode_segment(header)?;
        let header = claims::parse_header(&header)?;
        let payload = claims::decode_segment(payload)?;
        let Some(iss) = claims::peek_issuer(&payload)? else {
            return Err(JwtFailure::UnknownIssuer);
        };
        let Some(issuer) = self.issuers.iter().find(|i| i.config.issuer == *iss) else {
            return Err(JwtFailure::UnknownIssuer);
        };
        if !allowed_issuers.is_empty() && !allowed_issuers.iter().any(|a| *a == *iss) {
            return Err(JwtFailure::UnknownIssuer);
        }
        if token.len() > issuer.config.max_token_size {
            return Err(JwtFailure::TooLarge);
        }
        let Some(validation) = issuer
            .validations
            .iter()
            .find_map(|(alg, v)| (*alg == header.alg).then_some(v))
        else {
            return Err(JwtFailure::AlgorithmNotAllowed);
        };
        let kid = header.kid.as_deref();

        let seen_attempts = issuer.cache.attempts();
        {
            let snapshot = issuer.cache.snapshot();
            match snapshot.find(header.alg, kid) {
                Lookup::Found(key) => return issuer.decode(token, &key.key, validation),
                Lookup::Ambiguous => return Err(JwtFailure::UnknownKey),
                Lookup::NotFound if !issuer.cache.is_remote() => {
                    return Err(JwtFailure::UnknownKey);
                }
                Lookup::NotFound => {}
            }
        }
        issuer
            .cache
            .refetch(&issuer.config, &self.http, seen_attempts)
            .await;
        let snapshot = issuer.cache.snapshot();
        if !snapshot.loaded {
            return Err(JwtFailure::KeysUnavailable);
        }
        match snapshot.find(header.alg, kid) {
            Lookup::Found(key) => issuer.decode(token, &key.key, validation),
            Lookup::NotFound | Lookup::Ambiguous => Err(JwtFailure::UnknownKey),
        }
    }

    /// The key caches, for the admin API (no key material, no secrets).
    pub fn key_cache(&self) -> Vec<IssuerKeys> {
        self.issuers
            .iter()
            .map(|issuer| {
                let view = issuer.cache.view();
                let last_fetched = view.last_fetched.map(unix_secs);
                let stale = match (&view.last_error, view.last_fetched) {
                    (Some((failed, _)), Some(fetched)) => *failed > fetched,
                    _ => false,
                };
                IssuerKeys {
                    issuer: issuer.config.issuer.clone(),
                    source: issuer.cache.source_name(&issuer.config),
                    url: issuer.cache.url(),
                    keys: view
                        .keys
                        .into_iter()
                        .map(|(kid, algorithms)| KnownKey {
                            kid,
                            algorithms: algorithms.into_iter().map(algorithm_name).collect(),
                        })
                        .collect(),
                    last_fetched,
                    last_error_at: view.last_error.as_ref().map(|(at, _)| unix_secs(*at)),
                    last_error: view.last_error.map(|(_, text)| text),
                    stale,
                    fetches_ok: view.fetches_ok,
                    fetches_failed: view.fetches_failed,
                    unknown_kid_refetches: view.unknown_kid_refetches,
                    refetches_refused: view.refetches_refused,
                }
            })
            .collect()
    }
}

impl Drop for JwtVerifier {
    fn drop(&mut self) {
        let tasks = self.tasks.get_mut().unwrap_or_else(PoisonError::into_inner);
        for task in tasks.drain(..) {
            task.abort();
        }
    }
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field(
                "issuers",
                &self
                    .issuers
                    .iter()
                    .map(|i| i.config.issuer.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Issuer {
    fn new(config: Arc<JwtIssuer>) -> Result<Issuer, String> {
        let cache = KeyCache::new(&config)?;
        let validations = config
            .algorithms
            .iter()
            .map(|a| {
                let alg = algorithm(*a);
                (alg, claims::validation(&config, alg))
            })
            .collect();
        Ok(Issuer {
            leeway: claims::leeway_secs(&config),
            validations,
            cache,
            config,
        })
    }

    /// Signature and claims check with the chosen key.
    fn decode(
        &self,
        token: &str,
        key: &DecodingKey,
        validation: &Validation,
    ) -> Result<VerifiedJwt, JwtFailure> {
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, key, validation)
            .map_err(|e| claims::map_error(&e))?;
        claims::check_issued_at(
            &data.claims,
            self.leeway,
            jsonwebtoken::get_current_timestamp(),
        )?;
        Ok(VerifiedJwt {
            issuer: self.config.issuer.clone(),
            claims: data.claims,
        })
    }
}

/// Background refresh of one issuer's keys; ends when the issuer is gone (its task is also
/// aborted when the verifier is dropped).
async fn refresh_loop(issuer: Weak<Issuer>, http: reqwest::Client) {
    loop {
        let wait = match issuer.upgrade() {
            Some(issuer) => issuer.cache.time_until_refresh(&issuer.config),
            None => return,
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
            continue;
        }
        let Some(issuer) = issuer.upgrade() else {
            return;
        };
        issuer.cache.scheduled_refresh(&issuer.config, &http).await;
    }
}

/// The `jsonwebtoken` algorithm of a configured one.
pub(crate) fn algorithm(alg: JwtAlgorithm) -> Algorithm {
    match alg {
        JwtAlgorithm::HS256 => Algorithm::HS256,
        JwtAlgorithm::HS384 => Algorithm::HS384,
        JwtAlgorithm::HS512 => Algorithm::HS512,
        JwtAlgorithm::RS256 => Algorithm::RS256,
        JwtAlgorithm::RS384 => Algorithm::RS384,
        JwtAlgorithm::RS512 => Algorithm::RS512,
        JwtAlgorithm::PS256 => Algorithm::PS256,
        JwtAlgorithm::PS384 => Algorithm::PS384,
        JwtAlgorithm::PS512 => Algorithm::PS512,
        JwtAlgorithm::ES256 => Algorithm::ES256,
        JwtAlgorithm::ES384 => Algorithm::ES384,
        JwtAlgorithm::EdDSA => Algorithm::EdDSA,
    }
}

/// The JOSE name of an algorithm.
fn algorithm_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::EdDSA => "EdDSA",
        _ => "unknown",
    }
}

fn unix_secs(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
