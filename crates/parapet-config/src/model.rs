//! The validated configuration the engine runs on. Built only by [`crate::load`]; a value of
//! these types has passed every check, so the engine never re-validates.

pub use crate::file::{ClientAuth, Mode};
pub use contract::*;
pub use detect::*;
pub use identity::*;
pub use traffic::*;

mod contract;
mod detect;
mod identity;
mod traffic;
use http::Method;
use ipnet::IpNet;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A validated configuration snapshot.
#[derive(Debug)]
pub struct Config {
    /// The file it was read from.
    pub source: PathBuf,
    /// Client-facing listeners.
    pub listeners: Vec<Listener>,
    /// Admin listener.
    pub admin: Option<Admin>,
    /// Networks whose forwarding headers are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Connection-level limits.
    pub server: Server,
    /// Logging targets and redaction.
    pub log: Log,
    /// Upstream groups by name.
    pub upstreams: BTreeMap<String, Arc<Upstream>>,
    /// Identity: store, consumers, credential sources.
    pub identity: Identity,
    /// Where traffic state lives.
    pub state: StateConfig,
    /// APIs, most specific first (longest base path, then those with hosts).
    pub apis: Vec<Api>,
    /// Files whose change should trigger a reload (the config itself, TLS material).
    pub watched_files: Vec<PathBuf>,
    /// Warnings: valid but worth a look.
    pub warnings: Vec<String>,
}

/// The admin listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admin {
    /// Address to bind.
    pub addr: SocketAddr,
    /// Bearer token the consumer and key endpoints require (they are off without one).
    pub token: Option<Secret>,
}

/// A client-facing listener.
#[derive(Debug)]
pub struct Listener {
    /// Address to bind.
    pub addr: SocketAddr,
    /// TLS, when terminated here.
    pub tls: Option<Tls>,
    /// Connection-phase IP access.
    pub ip_access: Option<IpAccess>,
}

/// Loaded TLS material of a listener.
#[derive(Debug)]
pub struct Tls {
    /// Default certificate.
    pub default_cert: CertKey,
    /// SNI certificates.
    pub sni: Vec<CertKey>,
    /// Trusted client CA certificates (mutual TLS when present).
    pub client_ca: Option<Vec<CertificateDer<'static>>>,
    /// Whether a client certificate is required.
    pub client_auth: ClientAuth,
    /// `Strict-Transport-Security` header value.
    pub hsts: Option<String>,
}

/// A certificate chain with its key.
#[derive(Debug)]
pub struct CertKey {
    /// Where the chain came from (for error messages).
    pub cert_path: PathBuf,
    /// The chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key.
    pub key: PrivateKeyDer<'static>,
}

/// Connection-level limits, with defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    /// Concurrent client connections.
    pub max_connections: usize,
    /// Request line plus headers, in bytes.
    pub max_header_bytes: usize,
    /// Time allowed to receive request headers.
    pub header_read_timeout: Duration,
    /// Idle keep-alive time.
    pub idle_timeout: Duration,
    /// Average rate, in bytes per second, a request body must keep up once
    /// `body_grace` has passed; `None`: no floor.
    pub body_min_rate: Option<u64>,
    /// Time spent waiting for a request body that is not held against `body_min_rate`.
    pub body_grace: Duration,
    /// Shutdown drain time.
    pub shutdown_grace: Duration,
    /// HTTP/2 concurrent streams per connection.
    pub h2_max_concurrent_streams: u32,
    /// HTTP/2 header list size.
    pub h2_max_header_list_size: u32,
    /// HTTP/2 resets tolerated before the connection is closed.
    pub h2_max_pending_resets: usize,
}

/// Where a log goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogTarget {
    /// Not written.
    Off,
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
    /// Appended to a file.
    File(PathBuf),
}

/// Logging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    /// Access log.
    pub access: LogTarget,
    /// Security events.
    pub events: LogTarget,
    /// Request headers (lower case) written to the access log.
    pub headers: Vec<String>,
    /// Header names (lower case) never logged.
    pub redact_headers: Vec<String>,
    /// Query parameter names (lower case) never logged.
    pub redact_query: Vec<String>,
}

/// An upstream group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    /// Name.
    pub name: String,
    /// Target base URLs.
    pub targets: Vec<http::Uri>,
    /// Active health check.
    pub health: Option<Health>,
    /// Consecutive failures that eject a target passively.
    pub passive_failures: u32,
    /// How long a passively ejected target stays out.
    pub passive_cooldown: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Response-header timeout.
    pub response_timeout: Duration,
    /// Whole-exchange timeout (none: unbounded).
    pub total_timeout: Option<Duration>,
    /// Extra trusted CAs for TLS upstreams (none: the built-in web roots).
    pub tls_ca: Option<Vec<CertificateDer<'static>>>,
    /// Verification disabled (dangerous).
    pub dangerous_skip_verify: bool,
}

/// Active health check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// Path probed with GET.
    pub path: String,
    /// Time between probes.
    pub interval: Duration,
    /// Probe timeout.
    pub timeout: Duration,
    /// Failed probes before unhealthy.
    pub unhealthy_after: u32,
    /// Good probes before healthy.
    pub healthy_after: u32,
}

/// One API.
#[derive(Debug)]
pub struct Api {
    /// Name.
    pub name: String,
    /// Upstream group name (known to exist).
    pub upstream: String,
    /// Path prefix, always starting with `/` and without a trailing `/` unless it is `/`.
    pub base_path: String,
    /// Host names (lower case, no port); any host when empty.
    pub hosts: Vec<String>,
    /// Policies for requests that match no declared route.
    pub defaults: PolicySet,
    /// Declared routes.
    pub routes: Vec<Route>,
}

/// A declared operation of an API.
#[derive(Debug)]
pub struct Route {
    /// Method, or `None` for any.
    pub method: Option<Method>,
    /// Path template relative to the API base path, e.g. `/users/{id}`.
    pub path: String,
    /// The effective policies: the route's own blocks over the API defaults.
    pub policies: PolicySet,
}

/// The policies in force for a route.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicySet {
    /// IP access.
    pub ip_access: Option<IpAccess>,
    /// Request limits.
    pub limits: Option<Limits>,
    /// Authentication (`None`: not configured, so every request is refused).
    pub authn: Option<Authn>,
    /// Authorization.
    pub authz: Option<Authz>,
    /// Rate limits (the route's own, or the API's, plus those of `sensitive`).
    pub rate_limits: Vec<RateLimit>,
    /// Quota.
    pub quota: Option<Quota>,
    /// Spike arrest.
    pub spike_arrest: Option<SpikeArrest>,
    /// Concurrency limits.
    pub concurrency: Option<Concurrency>,
    /// Replay protection.
    pub replay: Option<Replay>,
    /// Idempotency keys.
    pub idempotency: Option<Idempotency>,
    /// Contract enforcement and body threat limits.
    pub contract: Option<ContractPolicy>,
    /// Attack detection.
    pub detect: Option<DetectPolicy>,
}

/// IP access lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpAccess {
    /// Allowed networks (everything when empty).
    pub allow: Vec<IpNet>,
    /// Denied networks.
    pub deny: Vec<IpNet>,
    /// Mode.
    pub mode: Mode,
}

/// Request limits; `None` means not limited by this policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Body size.
    pub max_body: Option<u64>,
    /// Request-target length.
    pub max_url_length: Option<usize>,
    /// Query parameter count.
    pub max_query_params: Option<usize>,
    /// Header count.
    pub max_headers: Option<usize>,
    /// Single header size (name + value).
    pub max_header_size: Option<usize>,
    /// Allowed media types (lower case, no parameters).
    pub content_types: Option<Vec<String>>,
    /// Allowed methods.
    pub methods: Option<Vec<Method>>,
    /// Mode.
    pub mode: Mode,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            max_connections: 10_000,
            max_header_bytes: 16 * 1024,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_min_rate: Some(DEFAULT_BODY_MIN_RATE),
            body_grace: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(30),
            h2_max_concurrent_streams: 128,
            h2_max_header_list_size: 16 * 1024,
            h2_max_pending_resets: 20,
        }
    }
}

/// The default floor of request body rates: 1 KiB/s, far below any real link.
pub const DEFAULT_BODY_MIN_RATE: u64 = 1024;

/// The default body limit when a route sets none: 1 MiB, as nginx.
pub const DEFAULT_MAX_BODY: u64 = 1024 * 1024;
