//! File format of identity: consumers, credential sources, and the `authn` / `authz` policy
//! blocks.

use super::{Mode, SpannedStr};
use crate::units::{ByteSize, Duration};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// One value or a list of them (`roles: admin` or `roles: [admin, ops]`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// A list.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values as a slice.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(v) => std::slice::from_ref(v),
            OneOrMany::Many(v) => v,
        }
    }
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

/// Where a secret is read from: an environment variable or a file (trailing newline
/// removed), never the config itself.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    /// Environment variable name.
    #[serde(default)]
    pub env: Option<SpannedStr>,
    /// File path.
    #[serde(default)]
    pub file: Option<SpannedStr>,
}

/// A consumer declared in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consumer {
    /// Stable id.
    pub id: SpannedStr,
    /// Display name (the id when absent).
    #[serde(default)]
    pub name: Option<SpannedStr>,
    /// Scopes granted.
    #[serde(default)]
    pub scopes: Vec<SpannedStr>,
    /// Roles granted.
    #[serde(default)]
    pub roles: Vec<SpannedStr>,
    /// Rate plan name.
    #[serde(default)]
    pub rate_plan: Option<SpannedStr>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Client-certificate subjects or SANs that authenticate as this consumer.
    #[serde(default)]
    pub certificates: Vec<SpannedStr>,
    /// Keys the consumer signs requests with (HTTP Message Signatures).
    #[serde(default)]
    pub signing_keys: Vec<Spanned<SigningKey>>,
}

/// A request-signing key of a consumer: an HMAC-SHA256 secret or an Ed25519 public key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKey {
    /// The `keyid` of signatures made with it (unique across consumers).
    pub id: SpannedStr,
    /// Shared secret for `hmac-sha256`.
    #[serde(default)]
    pub hmac_sha256: Option<Spanned<SecretSource>>,
    /// PEM file of the Ed25519 public key.
    #[serde(default)]
    pub ed25519: Option<SpannedStr>,
}

/// Top-level `identity:` block.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// API-key transport.
    #[serde(default)]
    pub api_keys: Option<ApiKeys>,
    /// Trusted JWT issuers.
    #[serde(default)]
    pub jwt: Vec<Spanned<JwtIssuer>>,
    /// OAuth2 token introspection.
    #[serde(default)]
    pub introspection: Option<Spanned<Introspection>>,
    /// Brute-force defence.
    #[serde(default)]
    pub brute_force: Option<BruteForce>,
    /// Identity passed to the upstream.
    #[serde(default)]
    pub forward: Option<Forward>,
}

/// API-key transport.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeys {
    /// Header carrying the key (default `X-API-Key`).
    #[serde(default)]
    pub header: Option<SpannedStr>,
    /// Query parameters that mean "a key was put in the URL" (refused).
    #[serde(default)]
    pub refused_query_params: Option<Vec<SpannedStr>>,
}

/// A trusted JWT issuer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtIssuer {
    /// Exact `iss`.
    pub issuer: SpannedStr,
    /// Accepted audiences.
    #[serde(default)]
    pub audiences: Vec<SpannedStr>,
    /// Accepted algorithms (required: there is no default).
    pub algorithms: Spanned<Vec<SpannedStr>>,
    /// JWKS URL.
    #[serde(default)]
    pub jwks_url: Option<SpannedStr>,
    /// Find the JWKS through OIDC discovery on the issuer.
    #[serde(default)]
    pub discovery: Option<Spanned<bool>>,
    /// Public keys in PEM files.
    #[serde(default)]
    pub keys: Vec<PemKey>,
    /// The HMAC secret (HS* algorithms).
    #[serde(default)]
    pub secret: Option<Spanned<SecretSource>>,
    /// Clock skew allowed (default 30 s).
    #[serde(default)]
    pub leeway: Option<Spanned<Duration>>,
    /// Largest token (default 8 KiB).
    #[serde(default)]
    pub max_token_size: Option<Spanned<ByteSize>>,
    /// JWKS refresh interval (default 10 min).
    #[serde(default)]
    pub refresh: Option<Spanned<Duration>>,
    /// Least time between refetches on an unknown `kid` (default 30 s).
    #[serde(default)]
    pub refetch_min_interval: Option<Spanned<Duration>>,
    /// Timeout of a JWKS fetch (default 5 s).
    #[serde(default)]
    pub fetch_timeout: Option<Spanned<Duration>>,
    /// Claim names.
    #[serde(default)]
    pub claims: Option<ClaimNames>,
}

/// A PEM public key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PemKey {
    /// PEM file.
    pub file: SpannedStr,
    /// Key id tokens must name.
    #[serde(default)]
    pub kid: Option<SpannedStr>,
}

/// Claim names mapped onto the identity.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimNames {
    /// Consumer id claim (default `sub`).
    #[serde(default)]
    pub consumer: Option<SpannedStr>,
    /// Scopes claim (default `scope`).
    #[serde(default)]
    pub scopes: Option<SpannedStr>,
    /// Roles claim (default `roles`).
    #[serde(default)]
    pub roles: Option<SpannedStr>,
}

/// OAuth2 token introspection.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Introspection {
    /// Endpoint URL.
    pub url: SpannedStr,
    /// Client id.
    pub client_id: SpannedStr,
    /// The client secret.
    pub client_secret: Spanned<SecretSource>,
    /// Longest time an active answer is cached (default 5 min).
    #[serde(default)]
    pub cache_max: Option<Spanned<Duration>>,
    /// How long an inactive answer is cached (default 10 s).
    #[serde(default)]
    pub negative_ttl: Option<Spanned<Duration>>,
    /// Call timeout (default 5 s).
    #[serde(default)]
    pub timeout: Option<Spanned<Duration>>,
    /// Cached answers kept at most (default 100 000).
    #[serde(default)]
    pub cache_entries: Option<Spanned<u32>>,
    /// Claim names.
    #[serde(default)]
    pub claims: Option<ClaimNames>,
}

/// Brute-force defence.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BruteForce {
    /// Failures within `window` that trip the guard (default 10).
    #[serde(default)]
    pub threshold: Option<Spanned<u32>>,
    /// Counting window (default 1 min).
    #[serde(default)]
    pub window: Option<Spanned<Duration>>,
    /// How long the penalty lasts (default 5 min).
    #[serde(default)]
    pub penalty: Option<Spanned<Duration>>,
    /// `block` (default) or `delay`.
    #[serde(default)]
    pub action: Option<SpannedStr>,
    /// Delay per attempt when `action: delay` (default 2 s).
    #[serde(default)]
    pub delay: Option<Spanned<Duration>>,
    /// Enforce or monitor.
    #[serde(default)]
    pub mode: Mode,
}

/// Identity passed to the upstream.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forward {
    /// Header for the consumer id (`off` to not send it).
    #[serde(default)]
    pub consumer_header: Option<SpannedStr>,
    /// Header for the scopes (`off` to not send it).
    #[serde(default)]
    pub scopes_header: Option<SpannedStr>,
    /// Header for the roles (`off` to not send it).
    #[serde(default)]
    pub roles_header: Option<SpannedStr>,
    /// More client headers to remove.
    #[serde(default)]
    pub strip: Vec<SpannedStr>,
    /// A short-lived JWT signed by Parapet.
    #[serde(default)]
    pub jwt: Option<ForwardJwt>,
}

/// The JWT Parapet signs for the upstream.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardJwt {
    /// Header carrying it (default `X-Parapet-Identity`).
    #[serde(default)]
    pub header: Option<SpannedStr>,
    /// `iss` (default `parapet`).
    #[serde(default)]
    pub issuer: Option<SpannedStr>,
    /// `aud`.
    pub audience: SpannedStr,
    /// Lifetime (default 60 s).
    #[serde(default)]
    pub ttl: Option<Spanned<Duration>>,
    /// The HS256 key shared with the upstream.
    pub secret: Spanned<SecretSource>,
}

/// The `authn` block of a route: `public`, or the accepted credential methods.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Authn {
    /// `authn: public`.
    Keyword(String),
    /// `authn: [api_key, jwt]`.
    List(Vec<String>),
    /// `authn: { methods: [...], issuers: [...], mode: monitor }`.
    Block(AuthnBlock),
}

/// The long form of `authn`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthnBlock {
    /// Accepted methods in order: `api_key`, `jwt`, `introspection`, `mtls`.
    pub methods: Vec<String>,
    /// JWT issuers accepted here (all when empty).
    #[serde(default)]
    pub issuers: Vec<String>,
    /// Enforce or monitor.
    #[serde(default)]
    pub mode: Mode,
}

/// The `authz` block of a route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authz {
    /// Scopes that must all be held.
    #[serde(default)]
    pub scopes: OneOrMany<String>,
    /// Roles of which one must be held.
    #[serde(default)]
    pub roles: OneOrMany<String>,
    /// Object-level rules, e.g. `path.id == claims.sub`.
    #[serde(default)]
    pub object: OneOrMany<String>,
    /// Roles that bypass the object rules.
    #[serde(default)]
    pub unless_role: OneOrMany<String>,
    /// Enforce or monitor.
    #[serde(default)]
    pub mode: Mode,
}
