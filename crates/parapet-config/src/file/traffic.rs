//! The file format of traffic control: the shared `state` backend, and the `rate_limit`,
//! `quota`, `spike_arrest`, `concurrency` and `sensitive` blocks of routes.

use super::{Mode, OneOrMany, SpannedStr};
use crate::units::Duration;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// Where traffic state lives: `memory`, a Redis URL, or the long form.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum StateSpec {
    /// `memory` or `redis://host:port`.
    Short(SpannedStr),
    /// The long form.
    Full(Box<StateBlock>),
}

/// The long form of `state`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateBlock {
    /// One Redis/Valkey node: `redis://[user:password@]host:port[/db]`.
    #[serde(default)]
    pub redis: Option<SpannedStr>,
    /// Seed nodes of a Redis/Valkey cluster.
    #[serde(default)]
    pub cluster: Option<Spanned<Vec<SpannedStr>>>,
    /// Longest wait for one Redis operation before the fallback is used.
    #[serde(default)]
    pub timeout: Option<Spanned<Duration>>,
    /// Prefix of every Redis key.
    #[serde(default)]
    pub prefix: Option<SpannedStr>,
    /// Keys of each kind kept in memory.
    #[serde(default)]
    pub max_keys: Option<Spanned<u64>>,
}

/// What to do when the shared state cannot be reached.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Fallback {
    /// Count in this replica alone until Redis answers again.
    #[default]
    Local,
    /// Admit the request uncounted.
    Open,
    /// Refuse the request (503).
    Closed,
}

/// One rate limit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// What is counted: `consumer`, `ip`, `route`, `header.NAME`, `claim.PATH`,
    /// `query.NAME`, `path.NAME`, `body.PATH`, or a list of them.
    pub key: Spanned<OneOrMany<SpannedStr>>,
    /// `N/s`, `N/min`, `N/h`, `N/day`, or `N/<duration>` such as `100/10s`.
    pub rate: SpannedStr,
    /// Requests admitted at once (default: N).
    #[serde(default)]
    pub burst: Option<Spanned<u32>>,
    /// Name in `RateLimit-Policy` and events (default: `<rate> per <key>`).
    #[serde(default)]
    pub name: Option<SpannedStr>,
    /// When the shared state is unreachable.
    #[serde(default)]
    pub on_unavailable: Fallback,
    /// Enforce or monitor.
    #[serde(default)]
    pub mode: Mode,
}

/// A quota: requests per calendar day or month.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// Requests allowed per period.
    pub limit: Spanned<u64>,
    /// `day` or `month` (UTC).
    pub per: SpannedStr,
    /// What is counted (default: `consumer`).
    #[serde(default)]
    pub key: Option<Spanned<OneOrMany<SpannedStr>>>,
    /// When the shared state is unreachable.
    #[serde(default)]
    pub on_unavailable: Fallback,
    /// Enforce or monitor.
    #[serde(default)]
    pub mode: Mode,
}

/// Spike arrest: requests are spaced to a steady rate, waiting up to `max_delay`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeArrest {
    /// The steady rate, as in `rate_limit`.
    pub rate: SpannedStr,
    /// Longest a request waits for its slot before it is refused (default 0: no waiting).
    #[serde(default)]
    pub max_delay: Option<Spanned<Duration>>,
    /// What is smoothed (default: `route`).
    #[serde(default)]
    pub key: Option<Spanned<OneOrMany<SpannedStr>>>,
    /// When the shared state is unreachable.
    #[serde(default)]
    pub on_unavailable: Fallback,
    /// Enforce or monitor.
    #[serde(default)]
    pub mode: Mode,
}

/// Requests in flight at once, per replica.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concurrency {
    /// Per consumer (per client IP for anonymous requests).
    #[serde(default)]
    pub per_consumer: Option<Spanned<u32>>,
    /// Per route, all clients together.
    #[serde(default)]
    pub per_route: Option<Spanned<u32>>,
    /// Enforce or monitor.
    #[serde(default)]
    pub mode: Mode,
}

/// A login, password-reset or OTP route: limited per client IP and per submitted username.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensitive {
    /// Where the username is: `body.PATH`, `query.NAME` or `header.NAME`.
    pub username: SpannedStr,
    /// Attempts allowed per IP and, separately, per username (default `10/min`).
    #[serde(default)]
    pub rate: Option<SpannedStr>,
    /// When the shared state is unreachable (default: count locally).
    #[serde(default)]
    pub on_unavailable: Fallback,
}

/// Replay protection: each request carries a fresh nonce and a recent timestamp (or is
/// signed with them), and a nonce is accepted once.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// How far a request's timestamp may be from now, either way (default 5m); nonces are
    /// remembered this long after it.
    #[serde(default)]
    pub window: Option<Spanned<Duration>>,
    /// Where the nonce is: `header.NAME`, `jti` (the token's claim) or `signature` (the
    /// signature's `nonce` parameter). Default: `signature` when signatures are required,
    /// `header.x-nonce` otherwise.
    #[serde(default)]
    pub nonce: Option<SpannedStr>,
    /// Where the timestamp is: `header.NAME` (unix seconds or RFC 3339), `iat` or
    /// `created` (the signature's). Default: `created` with signatures, `iat` with `jti`,
    /// `header.x-timestamp` otherwise.
    #[serde(default)]
    pub timestamp: Option<SpannedStr>,
    /// Require an HTTP Message Signature (RFC 9421) by a key of the consumer.
    #[serde(default)]
    pub signature: Option<Spanned<SignatureRequirement>>,
    /// When the shared state is unreachable.
    #[serde(default)]
    pub on_unavailable: Fallback,
    /// Enforce or monitor.
    #[serde(default)]
    pub mode: Mode,
}

/// What a request signature must cover.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureRequirement {
    /// Components that must be covered (default: `@method`, `@authority`, `@path`,
    /// `@query`, and `content-digest` when the request has a body).
    #[serde(default)]
    pub components: Option<Vec<SpannedStr>>,
    /// The signature label to check (default: the first one made with a known key).
    #[serde(default)]
    pub label: Option<SpannedStr>,
}

/// Idempotency keys: a retried request with the same key gets the first response again.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Idempotency {
    /// The header (default `Idempotency-Key`).
    #[serde(default)]
    pub header: Option<SpannedStr>,
    /// How long a response is kept for retries (default 24h).
    #[serde(default)]
    pub ttl: Option<Spanned<Duration>>,
    /// Refuse requests without a key (default false).
    #[serde(default)]
    pub required: bool,
    /// Largest response body kept (default 1MiB); larger responses are not replayed.
    #[serde(default)]
    pub max_body: Option<Spanned<crate::units::ByteSize>>,
    /// When the shared state is unreachable.
    #[serde(default)]
    pub on_unavailable: Fallback,
    /// Enforce or monitor.
    #[serde(default)]
    pub mode: Mode,
}
