//! Structured security events: one for every refusal and every monitor-mode hit.

use crate::context::RequestContext;
use crate::decision::Refusal;
use serde::Serialize;

use std::net::IpAddr;
use std::time::SystemTime;

/// Where in the request a policy found the problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Part {
    /// The connection itself (client address, TLS).
    Connection,
    /// The request method.
    Method,
    /// The path.
    Path,
    /// The query string, or the named parameter.
    Query(Option<String>),
    /// All headers, or the named one.
    Header(Option<String>),
    /// The body.
    Body,
}

/// What Parapet did about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The request was refused.
    Blocked,
    /// The policy is in monitor mode: recorded and let through.
    Monitored,
    /// Let through after a deliberate delay (brute-force slow-down).
    Delayed,
}

impl Action {
    /// Lower-case name, as in events and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Blocked => "blocked",
            Action::Monitored => "monitored",
            Action::Delayed => "delayed",
        }
    }
}

/// A security event, serialized as one JSON line.
#[derive(Clone, Debug, Serialize)]
pub struct SecurityEvent {
    /// RFC 3339 time.
    pub time: String,
    /// Request id.
    pub request_id: String,
    /// Client address.
    pub client_ip: IpAddr,
    /// Consumer, when known.
    pub consumer: Option<String>,
    /// API name.
    pub api: Option<String>,
    /// Route template.
    pub route: Option<String>,
    /// Policy name.
    pub policy: &'static str,
    /// Reason code (the problem type's last segment).
    pub reason: &'static str,
    /// Status that was (or would have been) sent.
    pub status: u16,
    /// Blocked or monitored.
    pub action: Action,
    /// Where in the request.
    pub part: Part,
    /// Redacted excerpt.
    pub snippet: Option<String>,
    /// Precise cause behind a uniform reason (`jwt-expired` behind `unauthenticated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<&'static str>,
    /// Structured evidence (attack detection: score and matched rules, redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Box<serde_json::Value>>,
}

impl SecurityEvent {
    /// Builds the event for `refusal` raised by `policy` on the request in `ctx`.
    pub fn new(
        ctx: &RequestContext,
        policy: &'static str,
        refusal: &Refusal,
        action: Action,
    ) -> Self {
        SecurityEvent {
            request_id: ctx.request_id.clone(),
            consumer: ctx.consumer().map(str::to_string),
            api: ctx.api.as_deref().map(str::to_string),
            route: ctx.route.as_deref().map(str::to_string),
            ..SecurityEvent::for_connection(ctx.client_ip, policy, refusal, action)
        }
    }

    /// Builds the event for `refusal` raised by `policy` on a connection, outside any
    /// request (on accept, or for a request head that never arrived): the request id is
    /// `-`, there is no consumer, API or route, and the client is the TCP peer (forwarding
    /// headers are never read for such an event).
    pub fn for_connection(
        peer: IpAddr,
        policy: &'static str,
        refusal: &Refusal,
        action: Action,
    ) -> Self {
        SecurityEvent {
            time: rfc3339(SystemTime::now()),
            request_id: "-".to_string(),
            client_ip: peer,
            consumer: None,
            api: None,
            route: None,
            policy,
            reason: refusal.reason.code,
            status: refusal.reason.status.as_u16(),
            action,
            part: refusal.part.clone(),
            snippet: refusal.snippet.clone(),
            cause: refusal.cause,
            evidence: refusal.evidence.clone(),
        }
    }
}

/// Keeps at most 64 characters of `input`, replacing control characters, so that an event
/// never carries a long or terminal-breaking payload. Secrets must not be passed here at all.
pub fn redact_snippet(input: &str) -> String {
    const MAX: usize = 64;
    let mut out: String = input
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if input.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// Formats a time as RFC 3339 in UTC with millisecond precision.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_709_210_096_789);
        assert_eq!(rfc3339(t), "2024-02-29T12:34:56.789Z");
    }

    #[test]
    fn snippets_are_short_and_free_of_control_characters() {
        let s = redact_snippet(&format!("a\r\nb{}", "x".repeat(100)));
        assert!(!s.contains('\n') && !s.contains('\r'));
        assert_eq!(s.chars().count(), 65);
    }
}
