//! Validated identity settings: the store, consumers, credential sources (API keys, JWT
//! issuers, OAuth2 introspection, mTLS), brute-force defence, identity forwarding, and the
//! per-route `authn` / `authz` policies.

use crate::file::Mode;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A secret read from the environment or a file at load time. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// Top-level `identity:` block, with defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// SQLite file of consumers and API keys; an in-memory store when `None`.
    pub store: Option<PathBuf>,
    /// Consumers declared in the file (written to the store at every load).
    pub consumers: Vec<Consumer>,
    /// Where API keys are read from.
    pub api_keys: ApiKeys,
    /// Trusted JWT issuers.
    pub jwt: Vec<Arc<JwtIssuer>>,
    /// OAuth2 token introspection (RFC 7662).
    pub introspection: Option<Arc<Introspection>>,
    /// How a verified client certificate names its consumer.
    pub mtls: MtlsIdentity,
    /// Failed-authentication counting and blocking.
    pub brute_force: BruteForce,
    /// How the verified identity is passed to the upstream.
    pub forward: Forward,
}

/// A consumer declared in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    /// Stable id (the `sub` forwarded upstream).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Scopes granted to its API keys and certificates.
    pub scopes: Vec<String>,
    /// Roles granted to its API keys and certificates.
    pub roles: Vec<String>,
    /// Rate plan name (used by traffic control).
    pub rate_plan: Option<String>,
    /// Free-form metadata.
    pub metadata: BTreeMap<String, String>,
    /// Client-certificate subjects (attributes in certificate order, e.g. `O=Example, CN=a`)
    /// or SANs (`DNS:…`, `URI:…`, `email:…`, `IP:…`) that authenticate as this consumer.
    pub certificates: Vec<String>,
    /// Keys it signs requests with.
    pub signing_keys: Vec<SigningKey>,
}

/// A request-signing key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningKey {
    /// The signatures' `keyid`.
    pub id: String,
    /// The key.
    pub material: SigningMaterial,
}

/// What a signing key is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigningMaterial {
    /// HMAC-SHA256 shared secret.
    HmacSha256(Secret),
    /// Ed25519 public key, PEM (SubjectPublicKeyInfo).
    Ed25519Pem(String),
}

/// API-key transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeys {
    /// Header carrying the key (lower case).
    pub header: String,
    /// Query parameter names (lower case) that, when present, mean a key was put in the URL:
    /// the request is refused with a problem that says to use the header.
    pub refused_query_params: Vec<String>,
}

/// A JWT signature algorithm accepted for an issuer. `none` does not exist here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum JwtAlgorithm {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

impl JwtAlgorithm {
    /// Every accepted name, as written in config and in JOSE headers.
    pub const ALL: [(&'static str, JwtAlgorithm); 12] = [
        ("HS256", JwtAlgorithm::HS256),
        ("HS384", JwtAlgorithm::HS384),
        ("HS512", JwtAlgorithm::HS512),
        ("RS256", JwtAlgorithm::RS256),
        ("RS384", JwtAlgorithm::RS384),
        ("RS512", JwtAlgorithm::RS512),
        ("PS256", JwtAlgorithm::PS256),
        ("PS384", JwtAlgorithm::PS384),
        ("PS512", JwtAlgorithm::PS512),
        ("ES256", JwtAlgorithm::ES256),
        ("ES384", JwtAlgorithm::ES384),
        ("EdDSA", JwtAlgorithm::EdDSA),
    ];

    /// Whether this is a shared-secret (HMAC) algorithm.
    pub fn is_hmac(self) -> bool {
        matches!(
            self,
            JwtAlgorithm::HS256 | JwtAlgorithm::HS384 | JwtAlgorithm::HS512
        )
    }
}

/// A trusted JWT issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtIssuer {
    /// Exact `iss` value.
    pub issuer: String,
    /// Accepted `aud` values (one must match).
    pub audiences: Vec<String>,
    /// Accepted algorithms; all HMAC or all public-key, never mixed.
    pub algorithms: Vec<JwtAlgorithm>,
    /// Where the verification keys come from.
    pub keys: JwtKeys,
    /// Clock skew allowed on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// Largest token accepted, in bytes.
    pub max_token_size: usize,
    /// Background refresh interval of a JWKS.
    pub refresh: Duration,
    /// Least time between two fetches triggered by an unknown `kid`.
    pub refetch_min_interval: Duration,
    /// Timeout of one JWKS or discovery fetch.
    pub fetch_timeout: Duration,
    /// Which claims name the consumer, its scopes and its roles.
    pub claims: ClaimNames,
}

/// Where an issuer's keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwtKeys {
    /// A JWKS document at this URL.
    Jwks(String),
    /// OIDC discovery: `{issuer}/.well-known/openid-configuration` names the JWKS.
    Discovery,
    /// Public keys in PEM, read at load time.
    Pem(Vec<PemKey>),
    /// A shared HMAC secret.
    Secret(Secret),
}

/// A public key in PEM with an optional key id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PemKey {
    /// `kid` a token must name to use this key; any token when `None`.
    pub kid: Option<String>,
    /// PEM text (SPKI public key or certificate).
    pub pem: String,
    /// The file it was read from.
    pub path: PathBuf,
}

/// Claim names mapped onto the identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimNames {
    /// Claim holding the consumer id (default `sub`).
    pub consumer: String,
    /// Claim holding scopes: a space-separated string or an array (default `scope`; `scp`
    /// is read too when absent).
    pub scopes: String,
    /// Claim holding roles: an array or a space-separated string (default `roles`).
    pub roles: String,
}

/// OAuth2 token introspection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Introspection {
    /// Introspection endpoint.
    pub url: String,
    /// Client id for HTTP Basic authentication to the endpoint.
    pub client_id: String,
    /// Its secret.
    pub client_secret: Secret,
    /// Longest time an active answer is cached (also never past the token's `exp`).
    pub cache_max: Duration,
    /// How long an inactive answer is cached.
    pub negative_ttl: Duration,
    /// Timeout of one introspection call.
    pub timeout: Duration,
    /// Cached answers kept at most.
    pub cache_entries: u64,
    /// Which claims name the consumer, its scopes and its roles.
    pub claims: ClaimNames,
}

/// How a client certificate names its consumer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MtlsIdentity {
    /// The certificate's subject DN or any of its SANs must be listed in a consumer's
    /// `certificates`.
    #[default]
    Listed,
}

/// Brute-force defence on failed authentications.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BruteForce {
    /// Failures within `window` (per client IP, and per credential) that trip the guard.
    pub threshold: u32,
    /// Counting window.
    pub window: Duration,
    /// How long a tripped source stays blocked or slowed.
    pub penalty: Duration,
    /// Block (429) or slow down.
    pub action: BruteForceAction,
    /// Enforce or monitor.
    pub mode: Mode,
}

/// What happens to a source past the brute-force threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BruteForceAction {
    /// Refuse with 429 and `Retry-After` until the penalty ends.
    Block,
    /// Delay every authentication attempt by this much until the penalty ends.
    Delay(Duration),
}

/// Identity passed to the upstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forward {
    /// Header (lower case) for the consumer id.
    pub consumer_header: Option<String>,
    /// Header for the scopes (space-separated).
    pub scopes_header: Option<String>,
    /// Header for the roles (comma-separated).
    pub roles_header: Option<String>,
    /// More client headers (lower case) removed from every request, beyond the ones above.
    pub strip: Vec<String>,
    /// A short-lived JWT signed by Parapet.
    pub jwt: Option<ForwardJwt>,
}

/// Settings of the JWT Parapet signs for the upstream (HS256 over a shared secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardJwt {
    /// Header carrying it (lower case).
    pub header: String,
    /// `iss` of the token.
    pub issuer: String,
    /// `aud` of the token.
    pub audience: String,
    /// Lifetime.
    pub ttl: Duration,
    /// HMAC key shared with the upstream.
    pub secret: Secret,
}

/// The `authn` policy of a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authn {
    /// Explicitly open to anonymous requests.
    Public,
    /// Credentials required; the first method whose credential is present is used.
    Required {
        /// Accepted methods, in the order they are tried.
        methods: Vec<AuthnMethod>,
        /// JWT issuers accepted here (all configured ones when empty).
        issuers: Vec<String>,
        /// Enforce or monitor.
        mode: Mode,
    },
}

/// A credential type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthnMethod {
    /// An API key in the configured header.
    ApiKey,
    /// A JWT bearer token.
    Jwt,
    /// An opaque bearer token checked by introspection.
    Introspection,
    /// A verified client certificate.
    Mtls,
}

impl AuthnMethod {
    /// Name in config, events and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthnMethod::ApiKey => "api_key",
            AuthnMethod::Jwt => "jwt",
            AuthnMethod::Introspection => "introspection",
            AuthnMethod::Mtls => "mtls",
        }
    }
}

/// The `authz` policy of a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authz {
    /// Scopes the identity must all hold.
    pub scopes: Vec<String>,
    /// Roles of which the identity must hold at least one.
    pub roles: Vec<String>,
    /// Object-level rules, all of which must hold.
    pub object: Vec<ObjectRule>,
    /// Roles that bypass the object rules (e.g. `admin`).
    pub unless_roles: Vec<String>,
    /// Enforce or monitor.
    pub mode: Mode,
}

/// `source.name == identity.name`, e.g. `path.id == claims.sub`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRule {
    /// The request value.
    pub left: RequestValue,
    /// The identity value it must equal.
    pub right: IdentityValue,
    /// The rule as written, for events.
    pub text: String,
}

/// A value taken from the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestValue {
    /// A path template parameter.
    Path(String),
    /// A query parameter (its only value; a repeated one never matches).
    Query(String),
    /// A request header.
    Header(String),
    /// A JSON body member, by dotted path (`owner.id`).
    Body(Vec<String>),
}

/// A value taken from the verified identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityValue {
    /// The consumer id.
    Consumer,
    /// A claim of the token (JWT or introspection), by dotted path.
    Claim(Vec<String>),
    /// A consumer metadata entry (API keys and certificates).
    Metadata(String),
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            store: None,
            consumers: Vec::new(),
            api_keys: ApiKeys {
                header: "x-api-key".to_string(),
                refused_query_params: ["api_key", "apikey", "api-key", "x-api-key"]
                    .map(String::from)
                    .to_vec(),
            },
            jwt: Vec::new(),
            introspection: None,
            mtls: MtlsIdentity::Listed,
            brute_force: BruteForce::default(),
            forward: Forward::default(),
        }
    }
}

impl Default for BruteForce {
    fn default() -> Self {
        BruteForce {
            threshold: 10,
            window: Duration::from_secs(60),
            penalty: Duration::from_secs(300),
            action: BruteForceAction::Block,
            mode: Mode::Enforce,
        }
    }
}

impl Default for Forward {
    fn default() -> Self {
        Forward {
            consumer_header: Some("x-consumer-id".to_string()),
            scopes_header: Some("x-consumer-scopes".to_string()),
            roles_header: Some("x-consumer-roles".to_string()),
            strip: Vec::new(),
            jwt: None,
        }
    }
}

impl Default for ClaimNames {
    fn default() -> Self {
        ClaimNames {
            consumer: "sub".to_string(),
            scopes: "scope".to_string(),
            roles: "roles".to_string(),
        }
    }
}
