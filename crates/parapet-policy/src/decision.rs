//! What a policy answers: continue, or refuse with a stable reason.

use crate::event::Part;
use http::{HeaderName, HeaderValue, StatusCode};

/// The outcome of one policy phase.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum Decision {
    /// Let the request go on.
    Continue,
    /// Refuse it (or, in monitor mode, record that it would have been refused).
    Refuse(Refusal),
}

/// A stable refusal reason: its `code` is the last segment of the problem `type` URI and the
/// `reason` of events and metrics, so it never changes once published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reason {
    /// Status code sent to the client.
    pub status: StatusCode,
    /// Kebab-case identifier, e.g. `ip-denied`.
    pub code: &'static str,
    /// Short human title, identical for every occurrence.
    pub title: &'static str,
}

/// Why and where a request is refused.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The reason.
    pub reason: Reason,
    /// The part of the request at fault.
    pub part: Part,
    /// An already-redacted excerpt of the offending input, for the event only (never sent
    /// to the client).
    pub snippet: Option<String>,
    /// The precise cause behind a deliberately uniform reason (`jwt-expired` behind
    /// `unauthenticated`), for the event only.
    pub cause: Option<&'static str>,
    /// A hint sent to the client on how to fix the request; must reveal nothing internal.
    pub detail: Option<String>,
    /// Headers added to the problem response (`WWW-Authenticate`, `Retry-After`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// What exactly the request broke, sent to the client as the problem's `errors`
    /// member: rule names and locations only, never the offending input.
    pub errors: Option<Box<serde_json::Value>>,
    /// Recorded (event, metrics) but not enforced, whatever the policy's mode: for a
    /// policy whose phases have modes of their own.
    pub record_only: bool,
    /// Structured evidence for the event only (what attack detection matched, already
    /// redacted); never sent to the client.
    pub evidence: Option<Box<serde_json::Value>>,
}

impl Refusal {
    /// A refusal with no cause, detail or headers.
    pub fn new(reason: Reason, part: Part) -> Self {
        Refusal {
            reason,
            part,
            snippet: None,
            cause: None,
            detail: None,
            headers: Vec::new(),
            errors: None,
            record_only: false,
            evidence: None,
        }
    }

    /// Sets the event-only cause.
    pub fn cause(mut self, cause: &'static str) -> Self {
        self.cause = Some(cause);
        self
    }

    /// Sets the client-facing hint.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Marks the refusal as recorded only (monitor mode for this phase).
    pub fn record_only(mut self) -> Self {
        self.record_only = true;
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl From<Refusal> for Decision {
    fn from(r: Refusal) -> Self {
        Decision::Refuse(r)
    }
}

impl From<Reason> for Box<Refusal> {
    /// A refusal raised by the gateway itself (not a policy): the part is the connection.
    fn from(reason: Reason) -> Self {
        Box::new(Refusal::new(reason, Part::Connection))
    }
}

impl Decision {
    /// A refusal.
    pub fn refuse(reason: Reason, part: Part, snippet: Option<String>) -> Decision {
        Decision::Refuse(Refusal {
            snippet,
            ..Refusal::new(reason, part)
        })
    }
}

/// Declares refusal reasons as constants: `NAME = (STATUS, "code", "Title");`, each with its
/// doc comment.
#[macro_export]
macro_rules! reasons {
    ($($(#[$doc:meta])* $name:ident = ($status:ident, $code:literal, $title:literal);)*) => {
        $( $(#[$doc])* pub const $name: $crate::Reason = $crate::Reason { status: $crate::StatusCode::$status, code: $code, title: $title }; )*
    };
}
