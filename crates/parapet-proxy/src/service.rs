//! The pipeline driver: runs one request through hygiene, routing, the policy phases, the
//! upstream exchange and the response phases, and records it when its response ends.
//!
//! Policies run in their route's order; in `enforce` mode the first refusal ends the request
//! with a problem+json, in `monitor` mode it only raises an event. The upstream is contacted
//! only after every request-phase policy has passed (inspect, then forward).

use crate::body::{Metered, MinRate, ProxyBody, RateWatch, WithDeadline, boxed, empty, full};
use crate::forward::{self, Forwarding, Origin, X_REQUEST_ID};
use crate::framing::Verdicts;
use crate::snapshot::{RoutePlan, Snapshot};
use crate::telemetry::Metrics;
use crate::telemetry::access::AccessRecord;
use crate::telemetry::metrics::{Name, RequestLabels, RequestMetrics, method_label};
use crate::timer::Spare;
use crate::upstream::Group;
use crate::{Shared, hygiene, problem};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, Version, header};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use parapet_policy::{
    Action, ClientCert, Decision, Mode, Part, Policy, Refusal, RequestContext, SecurityEvent, Step,
};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

/// What the driver knows about the connection a request came on.
pub struct Conn {
    /// TCP peer.
    pub peer: SocketAddr,
    /// The listener's address.
    pub listener: SocketAddr,
    /// Whether TLS is terminated on it.
    pub tls: bool,
    /// Verified client certificate.
    pub client_cert: Option<Arc<ClientCert>>,
    /// Requests whose response has not ended yet.
    pub in_flight: AtomicUsize,
    /// What the framing tracker saw in each HTTP/1.1 request head, in order.
    pub verdicts: Arc<Verdicts>,
    /// Gateway state.
    pub shared: Arc<Shared>,
    /// The forwarding headers' view of the peer and scheme.
    pub forwarding: Forwarding,
    /// The metric handles of the last request answered.
    pub last_metrics: std::sync::Mutex<Option<RequestMetrics>>,
    /// The upstream response timer, kept from one request to the next.
    pub timer: Spare,
    /// The last valid `Host` of its requests.
    pub known_host: hygiene::KnownHost,
}

/// How the exchange ended, for the access log.
#[derive(Default)]
struct Outcome {
    upstream: Option<String>,
    close: bool,
    policies: Option<Arc<[Arc<dyn Policy>]>>,
    /// The request body's rate floor, when one applied.
    body_rate: Option<Arc<RateWatch>>,
    /// Whether the body was refused as too slow (and that refusal recorded).
    body_too_slow: bool,
}

/// Entry point for every request (the hyper service).
pub async fn handle(
    conn: Arc<Conn>,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    conn.in_flight.fetch_add(1, Ordering::Relaxed);
    let snap = conn.shared.snapshot.load_full();
    let (parts, body) = req.into_parts();
    let peer_ip = conn.peer.ip();
    let client_ip = forward::client_ip(peer_ip, &parts.headers, &snap.config.trusted_proxies);
    let mut ctx = RequestContext::new(forward::request_id(&parts.headers), client_ip, peer_ip);
    ctx.client_cert = conn.client_cert.clone();
    let log_line = LogLine::start(&snap, &parts);
    let mut outcome = Outcome::default();
    let mut resp = match exchange(&conn, &snap, &mut ctx, parts, body, &mut outcome).await {
        Ok(resp) => resp,
        Err(refusal) => problem::response(&refusal, &ctx.request_id, outcome.close),
    };
    let headers = resp.headers_mut();
    // Parapet's own values replace the upstream's (a `RateLimit` is the gateway's to say).
    for name in ctx.response_headers.keys() {
        headers.remove(name);
    }
    for (name, value) in ctx.response_headers.iter() {
        headers.append(name.clone(), value.clone());
    }
    if let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert(X_REQUEST_ID.clone(), id);
    }
    if let Some(hsts) = snap.hsts(&conn.listener) {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    let status = resp.status();
    let (parts, body) = resp.into_parts();
    let conn2 = conn.clone();
    let body = Metered::new(body, move |bytes| {
        // A body streamed upstream can still be cut off after the upstream has answered
        // (it answered before reading it all).
        if !outcome.body_too_slow
            && let Some(watch) = outcome.body_rate.as_deref()
            && watch.too_slow()
        {
            outcome.body_too_slow = true;
            let refusal = too_slow_refusal(watch);
            record_refusal(
                &conn2.shared.metrics,
                &mut ctx,
                problem::SLOW_CLIENT,
                &refusal,
                true,
            );
        }
        log_line.finish(&conn2, &snap, &ctx, status, bytes, outcome);
        conn2.in_flight.fetch_sub(1, Ordering::Relaxed);
    });
    // Its error type is already the boxed one: boxed as it is, without a `map_err` layer.
    Ok(Response::from_parts(parts, body.boxed_unsync()))
}

/// The largest upstream response a route whose policies inspect response bodies holds in
/// memory; a larger one is answered 502.
const MAX_BUFFERED_RESPONSE: usize = 16 * 1024 * 1024;

/// Why a request is answered with a problem instead of the upstream's response.
type Refused = Box<Refusal>;

/// Runs the phases; `Err` is the refusal to answer with a problem.
async fn exchange(
    conn: &Conn,
    snap: &Snapshot,
    ctx: &mut RequestContext,
    mut parts: http::request::Parts,
    body: Incoming,
    outcome: &mut Outcome,
) -> Result<Response<ProxyBody>, Refused> {
    if framing_was_ambiguous(conn, &parts) {
        outcome.close = true;
        return Err(problem::INVALID_FRAMING.into());
    }
    if let Err(reason) = hygiene::check_on(&parts, &conn.known_host) {
        outcome.close = true;
        return Err(reason.into());
    }
    if hygiene::head_size(&parts) > snap.config.server.max_header_bytes {
        outcome.close = true;
        return Err(problem::HEADERS_TOO_LARGE.into());
    }
    let authority = forward::request_authority_value(&parts);
    let Some((api, plan)) = snap.route(
        authority
            .as_ref()
            .and_then(|a| a.to_str().ok())
            .map(forward::host_of),
        &parts.method,
        parts.uri.path(),
        &mut ctx.path_params,
    ) else {
        return Err(problem::NO_ROUTE.into());
    };
    ctx.api = Some(api.name.clone());
    ctx.route = plan.template.clone();
    outcome.policies = Some(plan.policies.clone());

    request_headers(&conn.shared.metrics, ctx, &plan.policies, &mut parts).await?;

    let upgrade = forward::is_upgrade(&parts)
        .then(|| parts.extensions.remove::<hyper::upgrade::OnUpgrade>())
        .flatten();
    let upstream_body = request_body(conn, snap, ctx, plan, &parts, body, outcome).await?;
    if let Some(answer) = ctx.answer.take() {
        let (parts, bytes) = answer.into_parts();
        return Ok(Response::from_parts(parts, full(bytes)));
    }

    let group = &api.group;
    let Some(target) = group.pick() else {
        count_upstream_error(conn, group, "unavailable");
        return Err(problem::UPSTREAM_UNAVAILABLE.into());
    };
    outcome.upstream = Some(target.label.clone());
    prepare_upstream_request(
        conn,
        snap,
        ctx,
        &mut parts,
        authority.as_ref(),
        upgrade.is_some(),
    );
    let req = Request::from_parts(parts, upstream_body);
    let sent = tokio::time::Instant::now();
    let total_deadline = group.config.total_timeout.map(|t| sent + t);
    let response_deadline = sent + group.config.response_timeout;
    let headers_deadline = total_deadline.map_or(response_deadline, |t| t.min(response_deadline));
    // `None`: the deadline passed first.
    let exchanged = {
        let mut timer = conn.timer.sleep_until(headers_deadline);
        let send = group.send(target, req);
        tokio::pin!(send);
        let exchanged = std::future::poll_fn(|cx| match send.as_mut().poll(cx) {
            Poll::Ready(r) => Poll::Ready(Some(r)),
            Poll::Pending => timer.as_mut().poll(cx).map(|()| None),
        })
        .await;
        conn.timer.keep(timer);
        exchanged
    };
    if !matches!(exchanged, Some(Ok(_))) {
        // The client, not the upstream, is at fault when its body was cut off.
        if let Some(refused) = body_too_slow(conn, ctx, outcome) {
            return Err(refused);
        }
    }
    let mut resp = match exchanged {
        None => {
            group.failure(target);
            count_upstream_error(conn, group, "timeout");
            return Err(problem::UPSTREAM_TIMEOUT.into());
        }
        Some(Err(e)) => {
            group.failure(target);
            count_upstream_error(
                conn,
                group,
                if e.is_connect() {
                    "connect"
                } else {
                    "protocol"
                },
            );
            tracing::debug!(upstream = %group.config.name, target = %target.label, error = %e, "upstream exchange failed");
            return Err(problem::UPSTREAM_ERROR.into());
        }
        Some(Ok(resp)) => resp,
    };
    if matches!(
        resp.status(),
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
    ) {
        group.failure(target);
    } else {
        group.success(target);
    }

    if resp.status() == StatusCode::SWITCHING_PROTOCOLS && upgrade.is_none() {
        // A protocol switch the client did not ask for cannot be relayed.
        count_upstream_error(conn, group, "protocol");
        return Err(problem::UPSTREAM_ERROR.into());
    }
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS
        && let Some(client_side) = upgrade
    {
        conn.verdicts.switched_protocols();
        let upstream_side = hyper::upgrade::on(&mut resp);
        tokio::spawn(async move {
            if let (Ok(c), Ok(u)) = tokio::join!(client_side, upstream_side) {
                let _ =
                    tokio::io::copy_bidirectional(&mut TokioIo::new(c), &mut TokioIo::new(u)).await;
            }
        });
    }
    let switching = resp.status() == StatusCode::SWITCHING_PROTOCOLS;
    let (mut rparts, rbody) = resp.into_parts();
    // The client gets Parapet's HTTP version, not the upstream's (an HTTP/1.0 upstream
    // must not turn the client connection into HTTP/1.0).
    rparts.version = Version::HTTP_11;
    forward::strip_hop_by_hop(&mut rparts.headers, switching);
    run_phase(&conn.shared.metrics, ctx, &plan.policies, |p, ctx| {
        p.on_response_headers(ctx, &mut rparts)
    })?;
    let buffer = plan.buffer_response
        && plan
            .policies
            .iter()
            .any(|p| p.inspects_response(ctx, &rparts));
    let rbody = if buffer {
        // Bounded in size and time: an upstream cannot make the gateway hold a huge or
        // endless response in memory.
        let collect = Limited::new(rbody, MAX_BUFFERED_RESPONSE).collect();
        let collected = match total_deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, collect)
                .await
                .map_err(|_| Refused::from(problem::UPSTREAM_TIMEOUT))?,
            None => collect.await,
        };
        let mut bytes = collected
            .map_err(|_| Refused::from(problem::UPSTREAM_ERROR))?
            .to_bytes();
        run_phase(&conn.shared.metrics, ctx, &plan.policies, |p, ctx| {
            p.on_response_body(ctx, &rparts, &mut bytes)
        })?;
        rparts.headers.remove(header::CONTENT_LENGTH);
        full(bytes)
    } else {
        boxed(rbody)
    };
    let rbody = match total_deadline {
        Some(deadline) => WithDeadline::new(rbody, deadline).boxed_unsync(),
        None => rbody,
    };
    Ok(Response::from_parts(rparts, rbody))
}

/// Whether the framing tracker saw, in this request's raw head, framing headers hyper
/// normalized away. Verdicts are taken in order, one per HTTP/1 request, and used only when
/// their request line is this request's.
fn framing_was_ambiguous(conn: &Conn, parts: &http::request::Parts) -> bool {
    if parts.version == Version::HTTP_2 {
        return false;
    }
    let Some(verdict) = conn.verdicts.next() else {
        return false;
    };
    verdict.ambiguous
        && verdict.method == parts.method.as_str()
        && parts.uri == verdict.target.as_str()
}

/// Runs one phase over `policies`; returns the first enforced refusal.
fn run_phase(
    metrics: &Metrics,
    ctx: &mut RequestContext,
    policies: &[Arc<dyn Policy>],
    mut phase: impl FnMut(&dyn Policy, &mut RequestContext) -> Decision,
) -> Result<(), Refused> {
    for p in policies {
        let decision = phase(p.as_ref(), ctx);
        judge(metrics, ctx, p.as_ref(), decision)?;
    }
    Ok(())
}

/// The request-headers phase, whose policies may wait (key fetches, introspection, delays,
/// shared counters) and may change the headers sent upstream.
async fn request_headers(
    metrics: &Metrics,
    ctx: &mut RequestContext,
    policies: &[Arc<dyn Policy>],
    parts: &mut http::request::Parts,
) -> Result<(), Refused> {
    for p in policies {
        let decision = match p.on_request_headers(ctx, parts) {
            Step::Now(d) => d,
            Step::Later(pending) => pending.await,
        };
        judge(metrics, ctx, p.as_ref(), decision)?;
    }
    Ok(())
}

/// The request-body phase over the whole body; its policies may wait too.
async fn body_phase(
    metrics: &Metrics,
    ctx: &mut RequestContext,
    policies: &[Arc<dyn Policy>],
    parts: &http::request::Parts,
    body: &Bytes,
) -> Result<(), Refused> {
    for p in policies {
        let decision = match p.on_request_body(ctx, parts, body) {
            Step::Now(d) => d,
            Step::Later(pending) => pending.await,
        };
        judge(metrics, ctx, p.as_ref(), decision)?;
    }
    Ok(())
}

/// Records a refusal; `Err` when the policy enforces it.
fn judge(
    metrics: &Metrics,
    ctx: &mut RequestContext,
    policy: &dyn Policy,
    decision: Decision,
) -> Result<(), Refused> {
    let Decision::Refuse(refusal) = decision else {
        return Ok(());
    };
    let blocked = policy.mode() == Mode::Enforce && !refusal.record_only;
    record_refusal(metrics, ctx, policy.name(), &refusal, blocked);
    if blocked {
        Err(Box::new(refusal))
    } else {
        Ok(())
    }
}

/// Adds the event and counts the refusal.
fn record_refusal(
    metrics: &Metrics,
    ctx: &mut RequestContext,
    policy: &'static str,
    refusal: &Refusal,
    blocked: bool,
) {
    let action = if blocked {
        Action::Blocked
    } else {
        Action::Monitored
    };
    let labels = vec![
        ("policy", policy.to_string()),
        ("reason", refusal.reason.code.to_string()),
        ("action", action.as_str().to_string()),
    ];
    metrics.refusals.get_or_create(&labels).inc();
    let event = SecurityEvent::new(ctx, policy, refusal, action);
    ctx.events.push(event);
}

/// The refusal of a body sent below the rate floor, with what had arrived (sizes and times
/// only, nothing of the content).
fn too_slow_refusal(watch: &RateWatch) -> Refusal {
    let mut refusal = Refusal::new(problem::BODY_TOO_SLOW, Part::Body);
    refusal.snippet = Some(format!(
        "{} bytes in {:.1}s",
        watch.received(),
        watch.waited().as_secs_f64()
    ));
    refusal
}

/// When the request body was cut off by its rate floor: records the refusal and asks for
/// the connection to be closed (the rest of the body is never read).
fn body_too_slow(conn: &Conn, ctx: &mut RequestContext, outcome: &mut Outcome) -> Option<Refused> {
    let watch = outcome.body_rate.clone()?;
    if !watch.too_slow() || outcome.body_too_slow {
        return None;
    }
    outcome.close = true;
    outcome.body_too_slow = true;
    let refusal = too_slow_refusal(&watch);
    record_refusal(
        &conn.shared.metrics,
        ctx,
        problem::SLOW_CLIENT,
        &refusal,
        true,
    );
    Some(Box::new(refusal))
}

/// Produces the body sent upstream: streamed when its length is declared (and within the
/// limit), otherwise read whole within the limit first, so that an oversized chunked body
/// is answered 413 and never reaches the upstream cut off. Either way it is read through
/// the server's rate floor ([`MinRate`]).
async fn request_body(
    conn: &Conn,
    snap: &Snapshot,
    ctx: &mut RequestContext,
    plan: &RoutePlan,
    parts: &http::request::Parts,
    body: Incoming,
    outcome: &mut Outcome,
) -> Result<ProxyBody, Refused> {
    let (limit, limit_policy) = plan.body_limit;
    let too_large = |conn: &Conn, ctx: &mut RequestContext, outcome: &mut Outcome| {
        outcome.close = true;
        let refusal = Refusal::new(parapet_policy::builtin::limits::BODY_TOO_LARGE, Part::Body);
        record_refusal(&conn.shared.metrics, ctx, limit_policy, &refusal, true);
        Box::new(refusal)
    };
    if body.is_end_stream() {
        // Policies that inspect bodies judge an empty one too (a missing field is a
        // finding, not a pass).
        if plan.buffer_request {
            let empty = Bytes::new();
            body_phase(&conn.shared.metrics, ctx, &plan.policies, parts, &empty).await?;
        }
        return Ok(empty());
    }
    let declared = body.size_hint().exact();
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(conn, ctx, outcome));
    }
    let server = &snap.config.server;
    let watch = RateWatch::new();
    if server.body_min_rate.is_some() {
        outcome.body_rate = Some(watch.clone());
    }
    let body = MinRate::new(body, server.body_min_rate, server.body_grace, watch);
    if declared.is_some() && !plan.buffer_request {
        return Ok(boxed(body));
    }
    let collected = Limited::new(body, limit as usize).collect().await;
    if collected.is_err()
        && let Some(refused) = body_too_slow(conn, ctx, outcome)
    {
        return Err(refused);
    }
    let bytes = match collected {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(too_large(conn, ctx, outcome));
        }
        Err(_) => {
            outcome.close = true;
            return Err(problem::INVALID_BODY.into());
        }
    };
    if plan.buffer_request {
        body_phase(&conn.shared.metrics, ctx, &plan.policies, parts, &bytes).await?;
    }
    Ok(full(bytes))
}

/// Rewrites the request for the upstream: HTTP/1.1, hop-by-hop headers, forwarding headers
/// and the request id. (The upstream client sends the target in origin form, with the
/// target's `Host`.)
fn prepare_upstream_request(
    conn: &Conn,
    snap: &Snapshot,
    ctx: &RequestContext,
    parts: &mut http::request::Parts,
    host: Option<&HeaderValue>,
    upgrade: bool,
) {
    parts.version = Version::HTTP_11;
    let headers = &mut parts.headers;
    forward::strip_hop_by_hop(headers, upgrade);
    headers.remove(header::HOST);
    let peer_trusted = Origin::is_trusted(conn.peer.ip(), &snap.config.trusted_proxies);
    conn.forwarding.apply(headers, peer_trusted, host);
    // A valid client id is already in place; only a generated one needs writing.
    let kept = headers
        .get(&X_REQUEST_ID)
        .is_some_and(|v| v.as_bytes() == ctx.request_id.as_bytes());
    if !kept && let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert(X_REQUEST_ID.clone(), id);
    }
}

fn count_upstream_error(conn: &Conn, group: &Group, kind: &str) {
    let labels = vec![
        ("upstream", group.config.name.clone()),
        ("kind", kind.to_string()),
    ];
    conn.shared
        .metrics
        .upstream_errors
        .get_or_create(&labels)
        .inc();
}

/// The label value for "no API" and "no declared route".
static NONE: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from("-"));

/// The parts of the access-log line known when the request arrives.
struct LogLine {
    time: String,
    protocol: &'static str,
    method: http::Method,
    target: String,
    headers: std::collections::BTreeMap<String, String>,
}

impl LogLine {
    fn start(snap: &Snapshot, parts: &http::request::Parts) -> Self {
        let enabled = snap.access_log.enabled();
        LogLine {
            time: if enabled {
                parapet_policy::rfc3339(std::time::SystemTime::now())
            } else {
                String::new()
            },
            protocol: match parts.version {
                Version::HTTP_10 => "HTTP/1.0",
                Version::HTTP_2 => "HTTP/2",
                _ => "HTTP/1.1",
            },
            method: parts.method.clone(),
            target: if enabled {
                snap.redactor.target(&parts.uri)
            } else {
                String::new()
            },
            headers: if enabled {
                snap.redactor.headers(&parts.headers)
            } else {
                Default::default()
            },
        }
    }

    /// Logging phase: metrics, security events, the access-log line and each policy's hook.
    fn finish(
        self,
        conn: &Conn,
        snap: &Snapshot,
        ctx: &RequestContext,
        status: StatusCode,
        bytes: u64,
        outcome: Outcome,
    ) {
        let metrics = &conn.shared.metrics;
        let elapsed = ctx.started.elapsed();
        let name = |n: &Option<Arc<str>>| Name(n.clone().unwrap_or_else(|| Arc::clone(&NONE)));
        let labels = RequestLabels {
            api: name(&ctx.api),
            route: name(&ctx.route),
            method: method_label(&self.method),
            status: status.as_u16(),
        };
        metrics.record_request(&conn.last_metrics, labels, elapsed.as_secs_f64());
        for event in &ctx.events {
            if !snap.events.write_json(event) {
                metrics
                    .log_dropped
                    .get_or_create(&vec![("log", "events".to_string())])
                    .inc();
            }
        }
        if snap.access_log.enabled() {
            let record = AccessRecord {
                time: self.time,
                request_id: &ctx.request_id,
                client_ip: ctx.client_ip,
                protocol: self.protocol,
                method: self.method.as_str(),
                target: self.target,
                status: status.as_u16(),
                bytes,
                duration_ms: (elapsed.as_secs_f64() * 1e6).round() / 1e3,
                api: ctx.api.as_deref(),
                route: ctx.route.as_deref(),
                upstream: outcome.upstream,
                consumer: ctx.consumer(),
                tls_client: ctx.client_cert.as_deref().map(|c| c.subject.as_str()),
                headers: self.headers,
            };
            if !snap.access_log.write_json(&record) {
                metrics
                    .log_dropped
                    .get_or_create(&vec![("log", "access".to_string())])
                    .inc();
            }
        }
        for p in outcome.policies.iter().flat_map(|p| p.iter()) {
            p.on_logging(ctx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parapet_policy::builtin::limits::METHOD_NOT_ALLOWED;

    /// Refuses every request in the request-headers phase and counts its calls.
    #[derive(Debug)]
    struct Refuser(Mode, std::sync::atomic::AtomicUsize);

    impl Policy for Refuser {
        fn name(&self) -> &'static str {
            "refuser"
        }
        fn order(&self) -> u16 {
            1
        }
        fn mode(&self) -> Mode {
            self.0
        }
        fn on_request_headers<'a>(
            &'a self,
            _: &'a mut RequestContext,
            _: &'a mut http::request::Parts,
        ) -> Step<'a> {
            self.1.fetch_add(1, Ordering::Relaxed);
            Decision::refuse(METHOD_NOT_ALLOWED, Part::Method, None).into()
        }
    }

    fn run(policies: &[Arc<dyn Policy>]) -> (Result<(), parapet_policy::Reason>, Vec<Action>) {
        let metrics = Metrics::new();
        let mut ctx =
            RequestContext::new("id".into(), [127, 0, 0, 1].into(), [127, 0, 0, 1].into());
        let mut parts = http::Request::get("/").body(()).unwrap().into_parts().0;
        let phase = request_headers(&metrics, &mut ctx, policies, &mut parts);
        let r = futures_util::FutureExt::now_or_never(phase).expect("no policy waits");
        (
            r.map_err(|e| e.reason),
            ctx.events.iter().map(|e| e.action).collect(),
        )
    }

    #[test]
    fn monitor_refusals_are_recorded_and_the_first_enforced_one_stops_the_phase() {
        let monitor: Arc<dyn Policy> = Arc::new(Refuser(Mode::Monitor, 0.into()));
        let enforce: Arc<dyn Policy> = Arc::new(Refuser(Mode::Enforce, 0.into()));
        let never: Arc<Refuser> = Arc::new(Refuser(Mode::Enforce, 0.into()));
        let (r, actions) = run(&[monitor.clone(), enforce, never.clone()]);
        assert_eq!(r, Err(METHOD_NOT_ALLOWED));
        assert_eq!(actions, [Action::Monitored, Action::Blocked]);
        assert_eq!(
            never.1.load(Ordering::Relaxed),
            0,
            "policies after an enforced refusal must not run"
        );
        let (r, actions) = run(&[monitor.clone(), monitor]);
        assert_eq!(r, Ok(()));
        assert_eq!(actions, [Action::Monitored, Action::Monitored]);
    }
}
