//! The file format: serde structs that mirror the YAML one to one.
//!
//! Every struct refuses unknown fields, so a typo is an error with its line and column.
//! Values that semantic validation checks are wrapped in [`Spanned`] so that its errors
//! point at the right place too. Nothing here is used by the engine directly: `validate`
//! turns a [`File`] into the internal [`crate::Config`].

use crate::units::{ByteRate, ByteSize, Duration};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

pub use contract::*;
pub use detect::*;
pub use identity::*;
pub use traffic::*;

mod contract;
mod detect;
mod identity;
mod traffic;

/// Spanned string, the most common validated scalar.
pub type SpannedStr = Spanned<String>;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// Addresses the gateway accepts client connections on.
    pub listen: Spanned<Vec<Listener>>,
    /// The admin listener (metrics, health).
    #[serde(default)]
    pub admin: Option<Admin>,
    /// Proxies whose `Forwarded`/`X-Forwarded-*` headers are believed.
    #[serde(default)]
    pub trusted_proxies: Vec<SpannedStr>,
    /// Connection-level limits and timeouts.
    #[serde(default)]
    pub server: Server,
    /// Access log and security events.
    #[serde(default)]
    pub log: Log,
    /// Named upstream groups.
    #[serde(default)]
    pub upstreams: BTreeMap<String, Spanned<Upstream>>,
    /// The embedded store (SQLite file) of consumers and API keys.
    #[serde(default)]
    pub store: Option<SpannedStr>,
    /// Where rate counters, quotas and nonces live: `memory` or Redis.
    #[serde(default)]
    pub state: Option<Spanned<StateSpec>>,
    /// Consumers declared in the file.
    #[serde(default)]
    pub consumers: Vec<Spanned<Consumer>>,
    /// Credential sources, brute-force defence and identity forwarding.
    #[serde(default)]
    pub identity: Identity,
    /// The APIs in front of which the gateway stands.
    #[serde(default)]
    pub apis: Vec<Spanned<Api>>,
}

/// One client-facing listener.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// `host:port` to bind.
    pub addr: SpannedStr,
    /// TLS termination; plain HTTP without it.
    #[serde(default)]
    pub tls: Option<Tls>,
    /// IP access checked when a connection is accepted, before any byte is read.
    #[serde(default)]
    pub ip_access: Option<IpAccess>,
}

/// TLS settings of a listener.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// Default certificate chain (PEM).
    pub cert: SpannedStr,
    /// Its private key (PEM).
    pub key: SpannedStr,
    /// More certificates, chosen by the SNI name the client asks for.
    #[serde(default)]
    pub sni: Vec<CertPair>,
    /// CA bundle (PEM) to verify client certificates against: turns mutual TLS on.
    #[serde(default)]
    pub client_ca: Option<SpannedStr>,
    /// Whether a client certificate is `required` (default) or `optional`.
    #[serde(default)]
    pub client_auth: Option<ClientAuth>,
    /// `Strict-Transport-Security` value added to every response on this listener.
    #[serde(default)]
    pub hsts: Option<SpannedStr>,
}

/// A certificate chain and its key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertPair {
    /// Certificate chain (PEM).
    pub cert: SpannedStr,
    /// Private key (PEM).
    pub key: SpannedStr,
}

/// Whether a client certificate must be presented.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// A connection without a valid client certificate is refused.
    Required,
    /// A certificate is verified when presented; connections without one are accepted.
    Optional,
}

/// The admin listener.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Admin {
    /// `host:port` to bind; loopback by default.
    pub addr: SpannedStr,
    /// Bearer token the consumer and key endpoints require: `{ env: NAME }` or `{ file: PATH }`.
    #[serde(default)]
    pub token: Option<Spanned<SecretSource>>,
}

/// Connection-level limits.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// Concurrent client connections; more are closed on accept.
    #[serde(default)]
    pub max_connections: Option<Spanned<u32>>,
    /// Total size of the request line and headers; larger requests get 431.
    #[serde(default)]
    pub max_header_bytes: Option<Spanned<ByteSize>>,
    /// Client-side timeouts.
    #[serde(default)]
    pub timeouts: ServerTimeouts,
    /// How long in-flight requests may take to finish on shutdown.
    #[serde(default)]
    pub shutdown_grace: Option<Spanned<Duration>>,
    /// HTTP/2 limits.
    #[serde(default)]
    pub http2: Http2,
}

/// Client-side timeouts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTimeouts {
    /// Time allowed to receive a request's headers.
    #[serde(default)]
    pub header_read: Option<Spanned<Duration>>,
    /// Time a connection may stay open with nothing in flight.
    #[serde(default)]
    pub idle: Option<Spanned<Duration>>,
    /// Average rate, in bytes per second, a request body must keep up after `body_grace`
    /// (`off` or `0`: none).
    #[serde(default)]
    pub body_min_rate: Option<Spanned<ByteRate>>,
    /// Time a request body may take before `body_min_rate` applies.
    #[serde(default)]
    pub body_grace: Option<Spanned<Duration>>,
}

/// HTTP/2 limits.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http2 {
    /// Streams a client may have open at once on one connection.
    #[serde(default)]
    pub max_concurrent_streams: Option<Spanned<u32>>,
    /// Decoded size of one header list.
    #[serde(default)]
    pub max_header_list_size: Option<Spanned<ByteSize>>,
    /// Streams a client may reset before the server has answered them (rapid-reset defence).
    #[serde(default)]
    pub max_pending_resets: Option<Spanned<u32>>,
}

/// Logging.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// Access log target: `stdout`, `stderr`, `off` or a file path.
    #[serde(default)]
    pub access: Option<SpannedStr>,
    /// Security events target: `stdout`, `stderr`, `off` or a file path.
    #[serde(default)]
    pub events: Option<SpannedStr>,
    /// Request headers written to the access log (default `user-agent`, `referer`); secret
    /// ones are always written as `[REDACTED]`.
    #[serde(default)]
    pub headers: Option<Vec<SpannedStr>>,
    /// More header names whose values are never logged.
    #[serde(default)]
    pub redact_headers: Vec<SpannedStr>,
    /// More query parameter names whose values are never logged.
    #[serde(default)]
    pub redact_query: Vec<SpannedStr>,
}

/// An upstream group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// Base URLs (`http://host:port` or `https://host:port`), balanced round-robin.
    pub targets: Vec<SpannedStr>,
    /// Active health check.
    #[serde(default)]
    pub health: Option<Health>,
    /// Passive health: failures that take a target out of rotation.
    #[serde(default)]
    pub passive: Option<Passive>,
    /// Upstream timeouts.
    #[serde(default)]
    pub timeouts: UpstreamTimeouts,
    /// TLS to the upstream.
    #[serde(default)]
    pub tls: Option<UpstreamTls>,
}

/// Active health check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// Path requested with GET; any 2xx is healthy.
    pub path: SpannedStr,
    /// Time between checks.
    #[serde(default)]
    pub interval: Option<Spanned<Duration>>,
    /// Time a check may take.
    #[serde(default)]
    pub timeout: Option<Spanned<Duration>>,
    /// Consecutive failed checks that mark a target unhealthy.
    #[serde(default)]
    pub unhealthy_after: Option<Spanned<u32>>,
    /// Consecutive good checks that mark it healthy again.
    #[serde(default)]
    pub healthy_after: Option<Spanned<u32>>,
}

/// Passive health.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Passive {
    /// Consecutive connection failures or 5xx answers that eject a target.
    pub failures: Spanned<u32>,
    /// How long an ejected target stays out.
    #[serde(default)]
    pub cooldown: Option<Spanned<Duration>>,
}

/// Upstream timeouts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamTimeouts {
    /// TCP (and TLS) connect.
    #[serde(default)]
    pub connect: Option<Spanned<Duration>>,
    /// From the request being sent to the response headers arriving.
    #[serde(default)]
    pub response: Option<Spanned<Duration>>,
    /// The whole exchange, from the request being sent to the end of the response body.
    #[serde(default)]
    pub total: Option<Spanned<Duration>>,
}

/// TLS to an upstream.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamTls {
    /// CA bundle (PEM) trusted for the upstream, instead of the built-in web roots.
    #[serde(default)]
    pub ca: Option<SpannedStr>,
    /// Turn certificate verification off. Dangerous: anyone on the path can read and change traffic.
    #[serde(default)]
    pub dangerous_skip_verify: bool,
}

/// One API.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// Name, used in logs, events and metrics.
    pub name: SpannedStr,
    /// Name of the upstream group requests are sent to.
    pub upstream: SpannedStr,
    /// Path prefix the API is served under (default `/`).
    #[serde(default)]
    pub base_path: Option<SpannedStr>,
    /// Host names the API answers for (any when empty).
    #[serde(default)]
    pub hosts: Vec<SpannedStr>,
    /// The API's OpenAPI 3.0/3.1 description (YAML or JSON), relative to this file.
    #[serde(default)]
    pub contract: Option<SpannedStr>,
    /// Policies for every request to this API.
    #[serde(default)]
    pub defaults: Policies,
    /// Per-operation overrides, keyed `"METHOD /path/{param}"`.
    #[serde(default)]
    pub routes: BTreeMap<String, Spanned<Policies>>,
}

/// The policy blocks a route can carry; each replaces the API default of the same kind.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policies {
    /// Allow and deny lists of client addresses.
    #[serde(default)]
    pub ip_access: Option<IpAccess>,
    /// Request size and shape limits.
    #[serde(default)]
    pub limits: Option<Limits>,
    /// Authentication: `public` or the accepted credential methods.
    #[serde(default)]
    pub authn: Option<Spanned<Authn>>,
    /// Authorization: required scopes or roles, object-level rules.
    #[serde(default)]
    pub authz: Option<Spanned<Authz>>,
    /// Rate limits, all of which must admit a request.
    #[serde(default)]
    pub rate_limit: Option<Spanned<Vec<Spanned<RateLimit>>>>,
    /// Requests per consumer per day or month.
    #[serde(default)]
    pub quota: Option<Spanned<Quota>>,
    /// Smoothing to a steady rate.
    #[serde(default)]
    pub spike_arrest: Option<Spanned<SpikeArrest>>,
    /// Requests in flight at once.
    #[serde(default)]
    pub concurrency: Option<Spanned<Concurrency>>,
    /// Marks a login, password-reset or OTP route.
    #[serde(default)]
    pub sensitive: Option<Spanned<Sensitive>>,
    /// Replay protection: nonces, timestamps, request signatures.
    #[serde(default)]
    pub replay: Option<Spanned<Replay>>,
    /// Idempotency keys.
    #[serde(default)]
    pub idempotency: Option<Spanned<Idempotency>>,
    /// Contract enforcement and body threat limits.
    #[serde(default)]
    pub contract: Option<Spanned<Contract>>,
    /// Attack detection (the negative security model).
    #[serde(default)]
    pub detect: Option<Spanned<Detect>>,
}

/// Whether a policy refuses (`enforce`) or only records (`monitor`).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Refuse what the policy forbids.
    #[default]
    Enforce,
    /// Record what would have been refused and let it through.
    Monitor,
}

/// IP access policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpAccess {
    /// When not empty, only these networks may pass.
    #[serde(default)]
    pub allow: Vec<SpannedStr>,
    /// These networks never pass (checked first).
    #[serde(default)]
    pub deny: Vec<SpannedStr>,
    /// Enforce or monitor.
    #[serde(default)]
    pub mode: Mode,
}

/// Request limits policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest request body; larger ones (chunked too) get 413.
    #[serde(default)]
    pub max_body: Option<Spanned<ByteSize>>,
    /// Longest request target (path and query).
    #[serde(default)]
    pub max_url_length: Option<Spanned<ByteSize>>,
    /// Most query parameters.
    #[serde(default)]
    pub max_query_params: Option<Spanned<u32>>,
    /// Most header fields.
    #[serde(default)]
    pub max_headers: Option<Spanned<u32>>,
    /// Largest single header field (name and value).
    #[serde(default)]
    pub max_header_size: Option<Spanned<ByteSize>>,
    /// Media types a request body may have (parameters ignored).
    #[serde(default)]
    pub content_types: Option<Spanned<Vec<SpannedStr>>>,
    /// Methods allowed.
    #[serde(default)]
    pub methods: Option<Spanned<Vec<SpannedStr>>>,
    /// Enforce or monitor.
    #[serde(default)]
    pub mode: Mode,
}
