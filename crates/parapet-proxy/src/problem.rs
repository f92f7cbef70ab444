//! RFC 9457 `application/problem+json` responses, and the gateway's own refusal reasons.
//!
//! A problem names a stable `type` per reason, a fixed `title`, the status and the request
//! id, and never anything about the upstream or Parapet's internals.

use crate::body::{ProxyBody, full};
use http::{HeaderValue, Response, header};
use parapet_policy::{Refusal, reasons};

/// Prefix of every problem `type`; the reason code follows it.
pub const TYPE_PREFIX: &str = "urn:parapet:problem:";

/// The `policy` of events and refusal metrics about clients too slow to send a request
/// ([`BODY_TOO_SLOW`], [`HEADER_TIMEOUT`]).
pub const SLOW_CLIENT: &str = "slow_client";

reasons! {
    /// Content-Length and Transfer-Encoding are ambiguous, repeated or malformed.
    INVALID_FRAMING = (BAD_REQUEST, "invalid-framing", "Ambiguous or malformed message framing");
    /// HTTP/1.1 request without exactly one Host, or a malformed one.
    INVALID_HOST = (BAD_REQUEST, "invalid-host", "Missing or invalid Host");
    /// The request target is in a form the gateway does not accept.
    INVALID_TARGET = (BAD_REQUEST, "invalid-target", "Invalid request target");
    /// The path holds dot segments or their encodings.
    PATH_NOT_NORMALIZED = (BAD_REQUEST, "path-not-normalized", "Path is not normalized");
    /// The request head is larger than the server allows.
    HEADERS_TOO_LARGE = (REQUEST_HEADER_FIELDS_TOO_LARGE, "headers-too-large", "Request headers too large");
    /// CONNECT and other tunnels are not proxied.
    TUNNEL_NOT_ALLOWED = (METHOD_NOT_ALLOWED, "tunnel-not-allowed", "Tunnels are not allowed");
    /// No API is configured for this host and path.
    NO_ROUTE = (NOT_FOUND, "no-route", "No API matches this request");
    /// The body could not be read.
    INVALID_BODY = (BAD_REQUEST, "invalid-body", "Request body could not be read");
    /// The client sent the body below `server.timeouts.body_min_rate`.
    BODY_TOO_SLOW = (REQUEST_TIMEOUT, "body-too-slow", "Request body too slow");
    /// The request head did not arrive within `server.timeouts.header_read` (the
    /// connection is closed without an answer: this reason appears in events only).
    HEADER_TIMEOUT = (REQUEST_TIMEOUT, "header-timeout", "Request head too slow");
    /// Every target of the upstream is down.
    UPSTREAM_UNAVAILABLE = (SERVICE_UNAVAILABLE, "upstream-unavailable", "Service unavailable");
    /// The upstream did not answer in time.
    UPSTREAM_TIMEOUT = (GATEWAY_TIMEOUT, "upstream-timeout", "Upstream timed out");
    /// The upstream could not be reached or answered badly.
    UPSTREAM_ERROR = (BAD_GATEWAY, "upstream-error", "Bad gateway");
}

/// The body, in the member order of RFC 9457's examples.
#[derive(serde::Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    type_uri: String,
    title: &'static str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    request_id: &'a str,
    /// What exactly was broken (contract violations: part, JSON pointer, rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a serde_json::Value>,
}

/// The problem response for `refusal`: its reason, its client-facing detail and headers.
/// `close` asks the client to close the connection (used after framing errors, so that
/// nothing of the request is read as another request).
pub fn response(refusal: &Refusal, request_id: &str, close: bool) -> Response<ProxyBody> {
    let reason = &refusal.reason;
    let body = Problem {
        type_uri: format!("{TYPE_PREFIX}{}", reason.code),
        title: reason.title,
        status: reason.status.as_u16(),
        detail: refusal.detail.as_deref(),
        request_id,
        errors: refusal.errors.as_deref(),
    };
    let mut resp = Response::new(full(serde_json::to_vec(&body).unwrap_or_default()));
    *resp.status_mut() = reason.status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if close {
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    for (name, value) in &refusal.headers {
        h.append(name.clone(), value.clone());
    }
    resp
}
