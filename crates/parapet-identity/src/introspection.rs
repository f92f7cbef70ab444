//! OAuth2 token introspection (RFC 7662).
//!
//! An opaque bearer token is checked by POSTing it to the authorization server's
//! introspection endpoint. Answers are cached under the SHA-256 of the token (the token
//! itself is never stored nor logged): active answers until the token's `exp` (never longer
//! than `cache_max`), inactive answers for `negative_ttl`. Every failure to get a clear
//! answer fails closed as [`IntrospectionFailure::Unavailable`] and is not cached.
//! Concurrent introspections of the same uncached token share one call to the endpoint.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use parapet_config::Introspection;
use reqwest::header::{self, HeaderValue};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

/// Largest introspection response read; a longer one is refused (fail closed).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Upper bound of any cache lifetime, whatever the settings say (keeps `Instant`
/// arithmetic far from overflow).
const MAX_CACHE_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// Cache key: SHA-256 of the token.
type Key = [u8; 32];

/// The answer to one introspection.
type Answer = Result<ActiveToken, IntrospectionFailure>;

/// An active token: the members of the introspection response.
#[derive(Clone, Debug, PartialEq)]
pub struct ActiveToken {
    /// Every member of the introspection response (`active`, `sub`, `scope`, `exp`,
    /// `client_id`, `cnf`, …), as the authorization server sent them.
    pub claims: Map<String, Value>,
}

/// Why a token was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum IntrospectionFailure {
    /// The authorization server says the token is not active (or it has expired).
    #[error("the token is not active")]
    Inactive,
    /// No usable answer from the authorization server (error status, timeout, connection
    /// failure, malformed answer): the request is refused, and nothing is cached.
    #[error("the introspection endpoint gave no usable answer")]
    Unavailable,
}

impl IntrospectionFailure {
    /// Cause name used in security events (never sent to the client).
    pub fn cause(&self) -> &'static str {
        match self {
            IntrospectionFailure::Inactive => "token-inactive",
            IntrospectionFailure::Unavailable => "introspection-unavailable",
        }
    }
}

/// Cache statistics, for metrics and the admin API.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IntrospectionStats {
    /// Answers currently cached (expired ones are not counted).
    pub entries: u64,
    /// Introspections answered without calling the endpoint: from the cache, or by sharing
    /// a call already in flight for the same token.
    pub hits: u64,
    /// Introspections that called the endpoint.
    pub misses: u64,
}

/// Checks bearer tokens against an RFC 7662 introspection endpoint, with a bounded cache.
pub struct Introspector {
    settings: Arc<Introspection>,
    http: reqwest::Client,
    /// `Basic …` credentials, computed once and marked sensitive; `None` only if they could
    /// not form a header value (cannot happen: base64 is always a valid header value).
    authorization: Option<HeaderValue>,
    state: Mutex<State>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Cache and calls in flight, under one lock so that a lookup sees either the cached answer
/// or the call that will produce it.
struct State {
    cache: Cache,
    /// Calls in progress, by token hash; the value is `None` until the answer is known.
    inflight: HashMap<Key, watch::Receiver<Option<Answer>>>,
}

impl Introspector {
    /// An introspector for these settings, using `http` for the calls.
    pub fn new(settings: Arc<Introspection>, http: reqwest::Client) -> Introspector {
        let authorization = basic_credentials(&settings);
        let capacity = usize::try_from(settings.cache_entries).unwrap_or(usize::MAX);
        Introspector {
            settings,
            http,
            authorization,
            state: Mutex::new(State {
                cache: Cache::new(capacity),
                inflight: HashMap::new(),
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The settings this introspector was built with (a config reload keeps the introspector,
    /// and its cache, when they are unchanged).
    pub fn settings(&self) -> &Arc<Introspection> {
        &self.settings
    }

    /// Introspects a bearer token; cached.
    pub async fn introspect(&self, token: &str) -> Result<ActiveToken, IntrospectionFailure> {
        let key: Key = Sha256::digest(token.as_bytes()).into();
        loop {
            let step = {
                let mut state = self.lock();
                if let Some(cached) = state.cache.get(&key, Instant::now()) {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return cached.ok_or(IntrospectionFailure::Inactive);
                }
                match state.inflight.get(&key) {
                    // A closed channel is a leader gone without answering (its guard
                    // normally removes the entry): take over rather than wait on it.
                    Some(receiver) if receiver.has_changed().is_ok() => {
                        Step::Follow(receiver.clone())
                    }
                    _ => {
                        let (sender, receiver) = watch::channel(None);
                        state.inflight.insert(key, receiver);
                        Step::Lead(sender)
                    }
                }
            };
            let mut follower = match step {
                Step::Lead(sender) => {
                    self.misses.fetch_add(1, Ordering::Relaxed);
                    return self.lead(key, token, sender).await;
                }
                Step::Follow(receiver) => receiver,
            };
            // Another task is calling the endpoint for this token: share its answer. If it
            // was cancelled before answering, start over (and perhaps become the caller).
            let shared = match follower.wait_for(Option::is_some).await {
                Ok(answer) => answer.clone(),
                Err(_) => continue,
            };
            if let Some(answer) = shared {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return answer;
            }
        }
    }

    /// Cache statistics for metrics and the admin API.
    pub fn stats(&self) -> IntrospectionStats {
        let entries = {
            let mut state = self.lock();
            state.cache.purge_expired(Instant::now());
            state.cache.len()
        };
        IntrospectionStats {
            entries: u64::try_from(entries).unwrap_or(u64::MAX),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every critical section
        // is short and only touches maps.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Calls the endpoint for `key`, caches the answer and hands it to the followers.
    async fn lead(&self, key: Key, token: &str, sender: watch::Sender<Option<Answer>>) -> Answer {
        // Removes the in-flight entry if this future is dropped before answering, so that
        // the followers (whose channel then closes) retry instead of waiting forever.
        let mut guard = InflightGuard {
            introspector: self,
            key,
            armed: true,
        };
        let verdict = match tokio::time::timeout(self.settings.timeout, self.call(token)).await {
            Ok(verdict) => verdict,
            Err(_) => {
                tracing::warn!(url = %self.settings.url, timeout = ?self.settings.timeout, "token introspection timed out");
                None
            }
        };
        let now = Instant::now();
        let (answer, ttl) = match verdict {
            Some(Verdict::Active { token, ttl }) => {
                (Ok(token), Some(ttl.min(self.settings.cache_max)))
            }
            Some(Verdict::Inactive) => (
                Err(IntrospectionFailure::Inactive),
                Some(self.settings.negative_ttl),
            ),
            None => (Err(IntrospectionFailure::Unavailable), None),
        };
        {
            let mut state = self.lock();
            if let Some(ttl) = ttl.map(|ttl| ttl.min(MAX_CACHE_TTL))
                && !ttl.is_zero()
            {
                state.cache.insert(key, answer.clone().ok(), now + ttl, now);
            }
            state.inflight.remove(&key);
            guard.armed = false;
        }
        sender.send_replace(Some(answer.clone()));
        answer
    }

    /// One call to the endpoint; `None` when there is no usable answer (already logged).
    async fn call(&self, token: &str) -> Option<Verdict> {
        let url = &self.settings.url;
        let Some(authorization) = self.authorization.clone() else {
            tracing::error!(url = %url, "introspection client credentials do not form a header value");
            return None;
        };
        let body = format!(
            "token={}&token_type_hint=access_token",
            form_urlencode(token.as_bytes())
        );
        let response = self
            .http
            .post(url)
            .header(header::AUTHORIZATION, authorization)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .timeout(self.settings.timeout)
            .body(body)
            .send()
            .await;
        let mut response = match response {
            Ok(response) => response,
            Err(error) => {
                // `without_url`: the URL is logged on its own; the body (the token) never is.
                tracing::warn!(url = %url, error = %error.without_url(), "token introspection request failed");
                return None;
            }
        };
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(url = %url, status = status.as_u16(), "introspection endpoint answered with an error status");
            return None;
        }
        if response
            .content_length()
            .is_some_and(|length| length > MAX_RESPONSE_BYTES as u64)
        {
            tracing::warn!(url = %url, limit = MAX_RESPONSE_BYTES, "introspection response too large");
            return None;
        }
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        tracing::warn!(url = %url, limit = MAX_RESPONSE_BYTES, "introspection response too large");
                        return None;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(url = %url, error = %error.without_url(), "reading the introspection response failed");
                    return None;
                }
            }
        }
        let verdict = parse_response(&bytes, unix_now(), self.settings.cache_max);
        if verdict.is_none() {
            tracing::warn!(url = %url, "malformed introspection response");
        }
        verdict
    }
}

impl fmt::Debug for Introspector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Neither the credentials nor cached claims are shown.
        f.debug_struct("Introspector")
            .field("url", &self.settings.url)
            .field("client_id", &self.settings.client_id)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// What a lookup that missed the cache does next.
enum Step {
    /// Call the endpoint, then publish the answer on this channel.
    Lead(watch::Sender<Option<Answer>>),
    /// Wait for the answer of the call in flight.
    Follow(watch::Receiver<Option<Answer>>),
}

/// Removes a leader's in-flight entry when the leader is dropped before answering.
struct InflightGuard<'a> {
    introspector: &'a Introspector,
    key: Key,
    armed: bool,
}

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            // Nobody else inserts an entry for this key while ours is there, so the entry
            // is ours.
            self.introspector.lock().inflight.remove(&self.key);
        }
    }
}

/// What the authorization server said.
#[derive(Debug)]
enum Verdict {
    /// Active, worth caching for at most `ttl` (time left before `exp`).
    Active { token: ActiveToken, ttl: Duration },
    /// Inactive, or active with an `exp` in the past.
    Inactive,
}

/// Reads an introspection response; `None` when it is not a JSON object with a boolean
/// `active` (or has a non-numeric `exp`).
fn parse_response(body: &[u8], now: Duration, cache_max: Duration) -> Option<Verdict> {
    let claims: Map<String, Value> = serde_json::from_slice(body).ok()?;
    match claims.get("active") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => return Some(Verdict::Inactive),
        _ => return None,
    }
    let ttl = match claims.get("exp") {
        None | Some(Value::Null) => cache_max,
        Some(Value::Number(exp)) => {
            let left = exp.as_f64()? - now.as_secs_f64();
            if left <= 0.0 {
                return Some(Verdict::Inactive);
            }
            // `left` is finite and positive here; compare before converting so that a far
            // future `exp` cannot overflow `Duration`.
            if left >= cache_max.as_secs_f64() {
                cache_max
            } else {
                Duration::from_secs_f64(left)
            }
        }
        Some(_) => return None,
    };
    Some(Verdict::Active {
        token: ActiveToken { claims },
        ttl,
    })
}

/// Time since the Unix epoch (zero if the clock is before it).
fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// `Basic base64(urlencode(client_id) ":" urlencode(client_secret))` (RFC 6749 §2.3.1),
/// marked sensitive.
fn basic_credentials(settings: &Introspection) -> Option<HeaderValue> {
    let mut pair = form_urlencode(settings.client_id.as_bytes());
    pair.push(':');
    pair.push_str(&form_urlencode(&settings.client_secret.0));
    let mut value = HeaderValue::try_from(format!("Basic {}", BASE64.encode(pair))).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// `application/x-www-form-urlencoded` byte serializer (WHATWG URL §5.2): `*-._` and ASCII
/// alphanumerics are kept, space becomes `+`, every other byte is percent-encoded.
fn form_urlencode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        match byte {
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
    }
    out
}

/// Bounded cache of answers, `None` meaning inactive.
///
/// Hand-written rather than `moka`: the needs are small (a per-entry expiry, a size bound,
/// an exact entry count for the stats), it adds no dependency, and it is deterministic,
/// which keeps the tests exact. All operations are O(log n): a full cache first drops its
/// expired entries (found through the expiry index), then the oldest inserted ones.
struct Cache {
    capacity: usize,
    entries: HashMap<Key, Entry>,
    /// Keys by (expiry, insertion sequence).
    by_expiry: BTreeMap<(Instant, u64), Key>,
    /// Keys by insertion sequence (oldest first).
    by_age: BTreeMap<u64, Key>,
    next_seq: u64,
}

struct Entry {
    token: Option<ActiveToken>,
    expires: Instant,
    seq: u64,
}

impl Cache {
    fn new(capacity: usize) -> Cache {
        Cache {
            capacity,
            entries: HashMap::new(),
            by_expiry: BTreeMap::new(),
            by_age: BTreeMap::new(),
            next_seq: 0,
        }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The cached answer, if any and not expired.
    fn get(&mut self, key: &Key, now: Instant) -> Option<Option<ActiveToken>> {
        let entry = self.entries.get(key)?;
        if entry.expires <= now {
            self.remove(key);
            return None;
        }
        Some(entry.token.clone())
    }

    fn insert(&mut self, key: Key, token: Option<ActiveToken>, expires: Instant, now: Instant) {
        if self.capacity == 0 {
            return;
        }
        self.remove(&key);
        if self.entries.len() >= self.capacity {
            self.purge_expired(now);
        }
        while self.entries.len() >= self.capacity {
            let Some((_, oldest)) = self.by_age.first_key_value() else {
                break;
            };
            let oldest = *oldest;
            self.remove(&oldest);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_expiry.insert((expires, seq), key);
        self.by_age.insert(seq, key);
        self.entries.insert(
            key,
            Entry {
                token,
                expires,
                seq,
            },
        );
    }

    fn remove(&mut self, key: &Key) {
        if let Some(entry) = self.entries.remove(key) {
            self.by_expiry.remove(&(entry.expires, entry.seq));
            self.by_age.remove(&entry.seq);
        }
    }

    fn purge_expired(&mut self, now: Instant) {
        while let Some((&(expires, _), &key)) = self.by_expiry.first_key_value() {
            if expires > now {
                break;
            }
            self.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(form_urlencode(b"aZ09*-._"), "aZ09*-._");
        assert_eq!(
            form_urlencode(b"a b&c=d+e/f:g%"),
            "a+b%26c%3Dd%2Be%2Ff%3Ag%25"
        );
        assert_eq!(form_urlencode("é".as_bytes()), "%C3%A9");
    }

    #[test]
    fn response_parsing() {
        let now = Duration::from_secs(1_000_000);
        let max = Duration::from_secs(300);
        let parse = |body: &str| parse_response(body.as_bytes(), now, max);
        assert!(matches!(
            parse(r#"{"active":false}"#),
            Some(Verdict::Inactive)
        ));
        assert!(matches!(
            parse(r#"{"active":true}"#),
            Some(Verdict::Active { ttl, .. }) if ttl == max
        ));
        assert!(matches!(
            parse(r#"{"active":true,"exp":1000010}"#),
            Some(Verdict::Active { ttl, .. }) if ttl == Duration::from_secs(10)
        ));
        assert!(matches!(
            parse(r#"{"active":true,"exp":1e300}"#),
            Some(Verdict::Active { ttl, .. }) if ttl == max
        ));
        assert!(matches!(
            parse(r#"{"active":true,"exp":999999}"#),
            Some(Verdict::Inactive)
        ));
        assert!(parse(r#"{"active":"true"}"#).is_none());
        assert!(parse(r#"{"sub":"x"}"#).is_none());
        assert!(parse(r#"{"active":true,"exp":"soon"}"#).is_none());
        assert!(parse("[true]").is_none());
        assert!(parse("not json").is_none());
    }

    #[test]
    fn cache_evicts_expired_then_oldest() {
        let now = Instant::now();
        let later = now + Duration::from_secs(60);
        let mut cache = Cache::new(2);
        cache.insert([1; 32], None, later, now);
        cache.insert([2; 32], None, now + Duration::from_millis(1), now);
        cache.insert([3; 32], None, later, now + Duration::from_millis(2));
        // [2] had expired: it goes, [1] stays although older.
        assert!(cache.get(&[1; 32], now).is_some());
        assert!(cache.entries.contains_key(&[3; 32]));
        assert_eq!(cache.len(), 2);
        cache.insert([4; 32], None, later, now);
        assert!(cache.get(&[1; 32], now).is_none());
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.by_age.len(), 2);
        assert_eq!(cache.by_expiry.len(), 2);
    }
}
