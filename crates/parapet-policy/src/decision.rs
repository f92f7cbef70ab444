//! What a policy answers: continue, or refuse with a stable reason.

use crate::event::Part;
use http::StatusCode;

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
}

impl Decision {
    /// A refusal.
    pub fn refuse(reason: Reason, part: Part, snippet: Option<String>) -> Decision {
        Decision::Refuse(Refusal {
            reason,
            part,
            snippet,
        })
    }
}

/// Declares refusal reasons as constants: `NAME = (STATUS, "code", "Title");`, each with its
/// doc comment. `http::StatusCode` and [`Reason`] must be in scope.
#[macro_export]
macro_rules! reasons {
    ($($(#[$doc:meta])* $name:ident = ($status:ident, $code:literal, $title:literal);)*) => {
        $( $(#[$doc])* pub const $name: Reason = Reason { status: StatusCode::$status, code: $code, title: $title }; )*
    };
}
