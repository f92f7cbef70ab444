//! Per-request state shared by the phases of every policy.

use crate::event::SecurityEvent;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

/// A verified client certificate (mutual TLS).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientCert {
    /// Subject distinguished name, RFC 4514 form.
    pub subject: String,
    /// Subject alternative names (DNS names, URIs, e-mail addresses, IPs) as text.
    pub sans: Vec<String>,
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
    /// Authenticated consumer, once an identity policy has set it.
    pub consumer: Option<String>,
    /// API name, when the request matched one.
    pub api: Option<Arc<str>>,
    /// Route template (`GET /users/{id}`), when the request matched a declared route.
    pub route: Option<Arc<str>>,
    /// When the request started.
    pub started: Instant,
    /// Security events raised so far.
    pub events: Vec<SecurityEvent>,
}

impl RequestContext {
    /// A context for a request that has just arrived.
    pub fn new(request_id: String, client_ip: IpAddr, peer_ip: IpAddr) -> Self {
        RequestContext {
            request_id,
            client_ip,
            peer_ip,
            client_cert: None,
            consumer: None,
            api: None,
            route: None,
            started: Instant::now(),
            events: Vec::new(),
        }
    }
}
