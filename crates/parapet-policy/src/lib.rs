//! The policy model every Parapet security capability plugs into.
//!
//! A [`Policy`] implements only the phases it needs (every phase has a default that
//! continues) and answers each with a [`Decision`]. The proxy's pipeline driver runs the
//! policies of a route in their [`Policy::order`], stops at the first refusal in `enforce`
//! mode, and turns refusals in `monitor` mode into [`SecurityEvent`]s only.
//!
//! ```text
//! connection ─► request headers ─► request body ─► (upstream) ─► response headers ─► response body ─► logging
//! ```

pub mod builtin;
mod context;
mod decision;
mod event;
pub mod percent;
pub mod values;

pub use context::{ClientCert, Held, Identity, RequestContext};
pub use decision::{Decision, Reason, Refusal};
pub use event::{Action, Part, SecurityEvent, redact_snippet, rfc3339};
pub use http::StatusCode;
pub use parapet_config::Mode;

use bytes::Bytes;
use std::fmt::Debug;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

/// A decision that needs to wait (a key fetch, an introspection call, a brute-force delay, a
/// shared counter).
pub type Pending<'a> = Pin<Box<dyn Future<Output = Decision> + Send + 'a>>;

/// What a request-headers phase answers: a decision now (the fast path, no allocation), or
/// one to wait for.
#[must_use]
pub enum Step<'a> {
    /// Decided.
    Now(Decision),
    /// Decided once the future completes.
    Later(Pending<'a>),
}

impl From<Decision> for Step<'_> {
    fn from(d: Decision) -> Self {
        Step::Now(d)
    }
}

/// A security policy. Every method but [`Policy::name`], [`Policy::order`] and
/// [`Policy::mode`] has a default body that lets the request continue.
pub trait Policy: Send + Sync + Debug {
    /// Stable name used in events, metrics and config (`ip_access`, `limits`…).
    fn name(&self) -> &'static str;

    /// Position in the pipeline: lower runs first. Cheap checks that need no identity
    /// (IP, shape) come before authentication, which comes before rate limiting and content
    /// inspection.
    fn order(&self) -> u16;

    /// Whether refusals are enforced or only recorded.
    fn mode(&self) -> Mode;

    /// Connection phase: a connection was accepted from `peer`; nothing has been read yet.
    fn on_connection(&self, _peer: IpAddr) -> Decision {
        Decision::Continue
    }

    /// Request-headers phase: the request line and headers have arrived and passed the
    /// framing checks; the upstream has not been contacted. Headers may be changed (what
    /// the policy leaves is what the upstream gets).
    fn on_request_headers<'a>(
        &'a self,
        _ctx: &'a mut RequestContext,
        _req: &'a mut http::request::Parts,
    ) -> Step<'a> {
        Step::Now(Decision::Continue)
    }

    /// The largest request body this policy admits, enforced by the driver while the body
    /// streams (chunked bodies included).
    fn max_request_body(&self) -> Option<u64> {
        None
    }

    /// Whether [`Policy::on_request_body`] needs the whole body. When any policy of a route
    /// says yes, the driver buffers the body (within the route's body limit) before the
    /// upstream is contacted.
    fn inspects_request_body(&self) -> bool {
        false
    }

    /// Request-body phase: the whole body, read once and shared by every policy. Like the
    /// headers phase, it may wait (a shared counter keyed on a body field, a replay check).
    fn on_request_body<'a>(
        &'a self,
        _ctx: &'a mut RequestContext,
        _req: &'a http::request::Parts,
        _body: &'a Bytes,
    ) -> Step<'a> {
        Step::Now(Decision::Continue)
    }

    /// Response-headers phase: the upstream answered; headers may be changed.
    fn on_response_headers(
        &self,
        _ctx: &mut RequestContext,
        _resp: &mut http::response::Parts,
    ) -> Decision {
        Decision::Continue
    }

    /// Whether [`Policy::on_response_body`] needs the whole response body.
    fn inspects_response_body(&self) -> bool {
        false
    }

    /// Whether [`Policy::on_response_body`] needs the body of this response, once its
    /// headers are known (a policy that only reads JSON lets a file download stream). Asked
    /// only on routes where [`Policy::inspects_response_body`] said yes.
    fn inspects_response(&self, _ctx: &RequestContext, _resp: &http::response::Parts) -> bool {
        self.inspects_response_body()
    }

    /// Response-body phase: the whole response body, which may be replaced.
    fn on_response_body(
        &self,
        _ctx: &mut RequestContext,
        _resp: &http::response::Parts,
        _body: &mut Bytes,
    ) -> Decision {
        Decision::Continue
    }

    /// Logging phase: the exchange is over. Must not block; push work to a queue.
    fn on_logging(&self, _ctx: &RequestContext) {}
}
