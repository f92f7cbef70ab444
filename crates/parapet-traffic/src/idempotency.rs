//! The `idempotency` policy (IETF httpapi `Idempotency-Key`): a retried request with the
//! same key gets the first response again instead of repeating its effect upstream.
//!
//! - The first request with a key records it as *in progress* (shared by every replica),
//!   then stores the upstream's response (status, headers, body up to `max_body`) for
//!   `ttl`.
//! - A retry with the same key and the same request (method, target and body digest)
//!   gets the stored response, marked `Idempotent-Replayed: true`.
//! - The same key while the first is in progress: 409. The same key with a different
//!   request: 422. No key on a route that requires one: 400.
//! - When the first exchange fails (no upstream answer, 5xx, a body too large to keep),
//!   the key is released so that a retry can run.
//!
//! Keys are scoped to the consumer (the client IP for anonymous requests).

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use parapet_config::{Fallback, Idempotency as IdempotencyConfig, Mode};
use parapet_policy::{Decision, Part, Policy, Refusal, RequestContext, Step, reasons};
use parapet_state::{Key, Kind, Record, State};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

reasons! {
    /// The route requires an idempotency key.
    KEY_REQUIRED = (BAD_REQUEST, "idempotency-key-required", "Idempotency key required");
    /// The key is not a valid idempotency key.
    KEY_INVALID = (BAD_REQUEST, "idempotency-key-invalid", "Invalid idempotency key");
    /// The first request with this key has not finished.
    IN_PROGRESS = (CONFLICT, "idempotency-key-in-progress", "Request with this idempotency key in progress");
    /// The key was used for a different request.
    KEY_REUSED = (UNPROCESSABLE_ENTITY, "idempotency-key-reused", "Idempotency key reused");
}

/// Marks a replayed response.
static REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// How long an in-progress mark lives when its request never finishes (a crash).
const IN_PROGRESS_TTL: Duration = Duration::from_secs(120);

/// Headers never stored: they describe one transfer, not the response.
const TRANSFER_HEADERS: [&str; 6] = [
    "connection",
    "content-length",
    "date",
    "keep-alive",
    "transfer-encoding",
    "x-request-id",
];

/// The idempotency policy of one route.
#[derive(Debug)]
pub struct Idempotency {
    config: IdempotencyConfig,
    state: State,
}

/// The key a request holds until its response is stored; released (so a retry can run)
/// if the request ends without one.
struct Claim {
    state: State,
    key: Key,
    fingerprint: String,
    stored: AtomicBool,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.stored.load(Ordering::Relaxed) {
            return;
        }
        let (state, key) = (self.state.clone(), self.key);
        if !self.state.is_shared() {
            state.local().remove(&key);
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if state.remove(&key).await.is_err() {
                    state.local().remove(&key);
                }
            });
        }
    }
}

impl Idempotency {
    /// The policy for `config`.
    pub fn new(config: &IdempotencyConfig, state: &State) -> Idempotency {
        Idempotency {
            config: config.clone(),
            state: state.clone(),
        }
    }

    /// The request's key value, `Ok(None)` when it has none.
    fn presented(&self, req: &http::request::Parts) -> Result<Option<String>, Box<Refusal>> {
        let mut values = req.headers.get_all(self.config.header.as_str()).iter();
        let Some(v) = values.next() else {
            return Ok(None);
        };
        let invalid = || Refusal::new(KEY_INVALID, Part::Header(Some(self.config.header.clone())));
        if values.next().is_some() {
            return Err(Box::new(invalid().detail("send one idempotency key")));
        }
        // RFC 8941 sf-string in the draft; a bare token is accepted too.
        let text = v.to_str().map_err(|_| Box::new(invalid()))?.trim();
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        if text.is_empty() || text.len() > 255 || !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(Box::new(
                invalid().detail("an idempotency key is 1 to 255 printable characters"),
            ));
        }
        Ok(Some(text.to_string()))
    }

    fn decide<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a http::request::Parts,
        body: &'a Bytes,
    ) -> Step<'a> {
        let value = match self.presented(req) {
            Ok(Some(v)) => v,
            Ok(None) if self.config.required => {
                let refusal =
                    Refusal::new(KEY_REQUIRED, Part::Header(Some(self.config.header.clone())))
                        .detail(format!(
                            "send an {} header with a unique value",
                            self.config.header
                        ));
                return Decision::from(refusal).into();
            }
            Ok(None) => return Decision::Continue.into(),
            Err(refusal) => return Decision::from(*refusal).into(),
        };
        let who = match ctx.consumer() {
            Some(c) => format!("c:{c}"),
            None => format!("ip:{}", ctx.client_ip),
        };
        let key = Key::new(
            Kind::Idempotency,
            [
                self.config.scope.as_bytes(),
                who.as_bytes(),
                value.as_bytes(),
            ],
        );
        let fingerprint = fingerprint(req, body);
        let mark = Record::from(json!({ "fingerprint": fingerprint }).to_string());
        let claim = Claim {
            state: self.state.clone(),
            key,
            fingerprint,
            stored: AtomicBool::new(false),
        };
        if !self.state.is_shared() {
            let existing = self
                .state
                .local()
                .put_if_absent(&key, mark, IN_PROGRESS_TTL);
            return self.conclude(ctx, claim, existing).into();
        }
        Step::Later(Box::pin(async move {
            let existing = match self
                .state
                .put_if_absent(&key, mark.clone(), IN_PROGRESS_TTL)
                .await
            {
                Ok(e) => e,
                Err(_) => match self.config.on_unavailable {
                    Fallback::Local => {
                        self.state
                            .local()
                            .put_if_absent(&key, mark, IN_PROGRESS_TTL)
                    }
                    Fallback::Open => {
                        // Not recorded anywhere: the request runs as if it had no key.
                        claim.stored.store(true, Ordering::Relaxed);
                        return Decision::Continue;
                    }
                    Fallback::Closed => {
                        claim.stored.store(true, Ordering::Relaxed);
                        return crate::unavailable();
                    }
                },
            };
            self.conclude(ctx, claim, existing)
        }))
    }

    /// With the key claimed (`existing` is `None`) the request goes on holding the claim;
    /// otherwise the stored record answers it.
    fn conclude(
        &self,
        ctx: &mut RequestContext,
        claim: Claim,
        existing: Option<Record>,
    ) -> Decision {
        let Some(existing) = existing else {
            ctx.held.keep(claim);
            return Decision::Continue;
        };
        // The key belongs to another request: nothing to release.
        claim.stored.store(true, Ordering::Relaxed);
        let record: Value = serde_json::from_slice(&existing).unwrap_or(Value::Null);
        let header = Part::Header(Some(self.config.header.clone()));
        if record["fingerprint"] != claim.fingerprint.as_str() {
            return Refusal::new(KEY_REUSED, header)
                .detail("this idempotency key was used for a different request")
                .into();
        }
        match stored_response(&record) {
            Some(resp) if self.config.mode == Mode::Enforce => {
                ctx.answer = Some(resp);
                Decision::Continue
            }
            Some(_) => Decision::Continue,
            None => Refusal::new(IN_PROGRESS, header)
                .header(http::header::RETRY_AFTER, HeaderValue::from_static("1"))
                .detail("the first request with this idempotency key has not finished")
                .into(),
        }
    }
}

/// SHA-256 over method, target and body.
fn fingerprint(req: &http::request::Parts, body: &[u8]) -> String {
    let target = req.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut input = Vec::with_capacity(target.len() + body.len() + 16);
    input.extend_from_slice(req.method.as_str().as_bytes());
    input.push(b' ');
    input.extend_from_slice(target.as_bytes());
    input.push(b'\n');
    input.extend_from_slice(body);
    STANDARD.encode(digest(&SHA256, &input))
}

/// A response record: status, headers and body.
fn record(fingerprint: &str, resp: &http::response::Parts, body: &[u8]) -> Record {
    let headers: Vec<(&str, String)> = resp
        .headers
        .iter()
        .filter(|(n, _)| !TRANSFER_HEADERS.contains(&n.as_str()))
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?.to_string())))
        .collect();
    let value = json!({
        "fingerprint": fingerprint,
        "status": resp.status.as_u16(),
        "headers": headers,
        "body": STANDARD.encode(body),
    });
    Record::from(value.to_string())
}

/// The response of a completed record; `None` while in progress.
fn stored_response(record: &Value) -> Option<http::Response<Bytes>> {
    let status = u16::try_from(record["status"].as_u64()?).ok()?;
    let body = STANDARD.decode(record["body"].as_str()?).ok()?;
    let mut resp = http::Response::builder().status(status);
    for pair in record["headers"].as_array()? {
        if let (Some(n), Some(v)) = (pair[0].as_str(), pair[1].as_str()) {
            resp = resp.header(n, v);
        }
    }
    resp.header(&REPLAYED, "true").body(Bytes::from(body)).ok()
}

impl Policy for Idempotency {
    fn name(&self) -> &'static str {
        "idempotency"
    }

    fn order(&self) -> u16 {
        450
    }

    fn mode(&self) -> Mode {
        self.config.mode
    }

    fn inspects_request_body(&self) -> bool {
        true
    }

    fn on_request_body<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        req: &'a http::request::Parts,
        body: &'a Bytes,
    ) -> Step<'a> {
        self.decide(ctx, req, body)
    }

    fn inspects_response_body(&self) -> bool {
        true
    }

    fn on_response_body(
        &self,
        ctx: &mut RequestContext,
        resp: &http::response::Parts,
        body: &mut Bytes,
    ) -> Decision {
        let Some(claim) = ctx.held.get::<Claim>() else {
            return Decision::Continue;
        };
        // A server error or an oversized body is not kept: the key is released on drop.
        if resp.status.is_server_error() || body.len() as u64 > self.config.max_body {
            return Decision::Continue;
        }
        let record = record(&claim.fingerprint, resp, body);
        claim.stored.store(true, Ordering::Relaxed);
        let (state, key, ttl) = (self.state.clone(), claim.key, self.config.ttl);
        if !state.is_shared() {
            state.local().put(&key, record, ttl);
            return Decision::Continue;
        }
        tokio::spawn(async move {
            if state.put(&key, record.clone(), ttl).await.is_err() {
                state.local().put(&key, record, ttl);
            }
        });
        Decision::Continue
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn records_round_trip_without_transfer_headers() {
        let (mut parts, ()) = http::Response::builder()
            .status(201)
            .header("content-type", "application/json")
            .header("content-length", "2")
            .header("set-cookie", "a=1")
            .body(())
            .unwrap()
            .into_parts();
        parts
            .headers
            .append("set-cookie", HeaderValue::from_static("b=2"));
        let rec = record("fp", &parts, b"{}");
        let value: Value = serde_json::from_slice(&rec).unwrap();
        let resp = stored_response(&value).unwrap();
        assert_eq!(resp.status(), 201);
        assert_eq!(resp.headers()["content-type"], "application/json");
        assert!(resp.headers().get("content-length").is_none());
        assert_eq!(resp.headers().get_all("set-cookie").iter().count(), 2);
        assert_eq!(resp.headers()["idempotent-replayed"], "true");
        assert_eq!(resp.body().as_ref(), b"{}");
        let pending: Value = serde_json::from_str(r#"{"fingerprint":"fp"}"#).unwrap();
        assert!(stored_response(&pending).is_none());
    }

    #[test]
    fn fingerprints_cover_method_target_and_body() {
        let parts = |m: &str, u: &str| {
            http::Request::builder()
                .method(m)
                .uri(u)
                .body(())
                .unwrap()
                .into_parts()
                .0
        };
        let a = fingerprint(&parts("POST", "/a?x=1"), b"{}");
        assert_ne!(a, fingerprint(&parts("PUT", "/a?x=1"), b"{}"));
        assert_ne!(a, fingerprint(&parts("POST", "/a?x=2"), b"{}"));
        assert_ne!(a, fingerprint(&parts("POST", "/a?x=1"), b"{ }"));
        assert_eq!(a, fingerprint(&parts("POST", "/a?x=1"), b"{}"));
    }
}
