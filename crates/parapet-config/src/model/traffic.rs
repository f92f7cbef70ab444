//! Validated traffic control: the state backend and the per-route limits.

pub use crate::file::Fallback;
use std::time::Duration;

/// Where traffic state lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateConfig {
    /// `None`: in this process only.
    pub redis: Option<RedisTarget>,
    /// Longest wait for one Redis operation.
    pub timeout: Duration,
    /// Prefix of every Redis key.
    pub prefix: String,
    /// Keys of each kind kept in memory.
    pub max_keys: usize,
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            redis: None,
            timeout: Duration::from_millis(50),
            prefix: "parapet:".into(),
            max_keys: 1_000_000,
        }
    }
}

/// A Redis/Valkey deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedisTarget {
    /// One node.
    Single(String),
    /// Seed nodes of a cluster.
    Cluster(Vec<String>),
}

/// One part of what a limit counts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyPart {
    /// The consumer id (the client IP for anonymous requests).
    Consumer,
    /// The client IP, after trusted-proxy resolution.
    Ip,
    /// The route template (all clients together).
    Route,
    /// A request header (lower-case name).
    Header(String),
    /// A token claim, by dotted path.
    Claim(Vec<String>),
    /// A query parameter.
    Query(String),
    /// A path template parameter.
    Path(String),
    /// A JSON body field, by dotted path (the limit is then decided on the body).
    Body(Vec<String>),
    /// A username: the value of the inner part, trimmed and lower-cased, so that `Alice`
    /// and `alice ` count as one account (`sensitive` routes).
    Username(Box<KeyPart>),
}

impl KeyPart {
    /// Whether the value is read from the request body.
    pub fn in_body(&self) -> bool {
        match self {
            KeyPart::Body(_) => true,
            KeyPart::Username(inner) => inner.in_body(),
            _ => false,
        }
    }
}

/// A rate, `count` per `period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    /// Requests.
    pub count: u32,
    /// Per this long.
    pub period: Duration,
}

/// One rate limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Name in `RateLimit-Policy` and events.
    pub name: String,
    /// Where it was declared (`api` or `api route`): limits inherited from an API's
    /// defaults share their counters across its routes.
    pub scope: String,
    /// What is counted, in order.
    pub key: Vec<KeyPart>,
    /// The rate.
    pub rate: Rate,
    /// Requests admitted at once.
    pub burst: u32,
    /// When the shared state is unreachable.
    pub on_unavailable: Fallback,
    /// Enforce or monitor.
    pub mode: crate::Mode,
}

/// Quota window length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuotaPeriod {
    /// UTC day.
    Day,
    /// UTC month.
    Month,
}

/// A quota.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Requests per period.
    pub limit: u64,
    /// The period.
    pub per: QuotaPeriod,
    /// What is counted.
    pub key: Vec<KeyPart>,
    /// Where it was declared.
    pub scope: String,
    /// When the shared state is unreachable.
    pub on_unavailable: Fallback,
    /// Enforce or monitor.
    pub mode: crate::Mode,
}

/// Spike arrest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpikeArrest {
    /// The steady rate.
    pub rate: Rate,
    /// Longest wait for a slot.
    pub max_delay: Duration,
    /// What is smoothed.
    pub key: Vec<KeyPart>,
    /// Where it was declared.
    pub scope: String,
    /// When the shared state is unreachable.
    pub on_unavailable: Fallback,
    /// Enforce or monitor.
    pub mode: crate::Mode,
}

/// Concurrency limits, per replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Concurrency {
    /// Per consumer (per IP when anonymous).
    pub per_consumer: Option<u32>,
    /// Per route.
    pub per_route: Option<u32>,
    /// Where it was declared.
    pub scope: String,
    /// Enforce or monitor.
    pub mode: crate::Mode,
}

/// Where a replay nonce is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NonceSource {
    /// A request header (lower-case name).
    Header(String),
    /// The token's `jti` claim.
    Jti,
    /// The signature's `nonce` parameter.
    Signature,
}

/// Where a replay timestamp is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimestampSource {
    /// A request header: unix seconds or RFC 3339.
    Header(String),
    /// The token's `iat` claim.
    Iat,
    /// The signature's `created` parameter.
    Created,
}

/// Replay protection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    /// Timestamp tolerance either way; nonces are remembered for twice this.
    pub window: Duration,
    /// The nonce.
    pub nonce: NonceSource,
    /// The timestamp.
    pub timestamp: TimestampSource,
    /// Required signature, if any.
    pub signature: Option<SignatureRequirement>,
    /// Where it was declared.
    pub scope: String,
    /// When the shared state is unreachable.
    pub on_unavailable: Fallback,
    /// Enforce or monitor.
    pub mode: crate::Mode,
}

/// What a request signature must cover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureRequirement {
    /// Covered components, lower case (`content-digest` is required of requests with a
    /// body whatever this says).
    pub components: Vec<String>,
    /// The label to check.
    pub label: Option<String>,
}

/// Idempotency keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idempotency {
    /// Header name, lower case.
    pub header: String,
    /// How long a response is kept.
    pub ttl: Duration,
    /// Whether requests without a key are refused.
    pub required: bool,
    /// Largest response body kept.
    pub max_body: u64,
    /// Where it was declared.
    pub scope: String,
    /// When the shared state is unreachable.
    pub on_unavailable: Fallback,
    /// Enforce or monitor.
    pub mode: crate::Mode,
}
