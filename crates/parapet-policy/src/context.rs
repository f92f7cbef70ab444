//! Per-request state shared by the phases of every policy.

use crate::event::SecurityEvent;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

/// A verified client certificate (mutual TLS).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientCert {
    /// Subject distinguished name, attributes in certificate order (`C=FR, O=Example, CN=a`).
    pub subject: String,
    /// Subject alternative names as `DNS:…`, `URI:…`, `email:…`, `IP:…`.
    pub sans: Vec<String>,
    /// SHA-256 of the certificate's DER encoding (RFC 8705 `x5t#S256` binding).
    pub sha256: [u8; 32],
}

/// A verified identity: who the caller is and what it holds. Never carries a secret.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Identity {
    /// Consumer id (from the store, a token claim or a certificate mapping).
    pub consumer: String,
    /// How it was verified: `api_key`, `jwt`, `introspection` or `mtls`.
    pub method: &'static str,
    /// Token issuer, for JWTs.
    pub issuer: Option<String>,
    /// Scopes held.
    pub scopes: Vec<String>,
    /// Roles held.
    pub roles: Vec<String>,
    /// Claims of the token (JWT or introspection); empty for keys and certificates.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// Consumer metadata (keys and certificates).
    pub metadata: BTreeMap<String, String>,
    /// Rate plan of the consumer, when known.
    pub rate_plan: Option<String>,
    /// Id of the credential used (API key id, token `jti`), never the secret itself.
    pub credential: Option<String>,
}

/// What is known about a request while it moves through the pipeline.
#[derive(Debug)]
pub struct RequestContext {
    /// Request id (kept from the client when valid, generated otherwise).
    pub request_id: String,
    /// Client address after trusted-proxy resolution.
    pub client_ip: IpAddr,
    /// Address of the TCP peer.
    pub peer_ip: IpAddr,
    /// Verified client certificate, when mutual TLS is on and one was presented.
    pub client_cert: Option<Arc<ClientCert>>,
    /// Verified identity, once an authentication policy has set it.
    pub identity: Option<Arc<Identity>>,
    /// API name, when the request matched one.
    pub api: Option<Arc<str>>,
    /// Route template (`GET /users/{id}`), when the request matched a declared route.
    pub route: Option<Arc<str>>,
    /// Path template parameters of the matched route, decoded (`id` → `42`).
    pub path_params: Vec<(String, String)>,
    /// When the request started.
    pub started: Instant,
    /// Security events raised so far.
    pub events: Vec<SecurityEvent>,
    /// Headers added to whatever response the client gets, the upstream's or a refusal
    /// (e.g. `RateLimit`).
    pub response_headers: http::HeaderMap,
    /// Resources the request holds until its response has been sent (concurrency slots).
    pub held: Held,
    /// A response to send instead of contacting the upstream (a stored idempotent
    /// response), set by a request-phase policy.
    pub answer: Option<http::Response<bytes::Bytes>>,
}

/// Resources released when the request ends: dropped with its context, after the last
/// byte of the response (or when the client goes away).
#[derive(Default)]
pub struct Held(Vec<Box<dyn std::any::Any + Send + Sync>>);

impl Held {
    /// Keeps `resource` until the request ends.
    pub fn keep(&mut self, resource: impl std::any::Any + Send + Sync) {
        self.0.push(Box::new(resource));
    }

    /// The first kept resource of type `T` (how a policy finds, in a later phase, what it
    /// kept in an earlier one).
    pub fn get<T: std::any::Any>(&self) -> Option<&T> {
        self.0.iter().find_map(|r| r.downcast_ref::<T>())
    }
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Held({})", self.0.len())
    }
}

impl RequestContext {
    /// A context for a request that has just arrived.
    pub fn new(request_id: String, client_ip: IpAddr, peer_ip: IpAddr) -> Self {
        RequestContext {
            request_id,
            client_ip,
            peer_ip,
            client_cert: None,
            identity: None,
            api: None,
            route: None,
            path_params: Vec::new(),
            started: Instant::now(),
            events: Vec::new(),
            response_headers: http::HeaderMap::new(),
            held: Held::default(),
            answer: None,
        }
    }
}

impl RequestContext {
    /// The consumer id, once authenticated.
    pub fn consumer(&self) -> Option<&str> {
        self.identity.as_deref().map(|i| i.consumer.as_str())
    }
}
