//! The accept loop of one listener and the life of each connection.
//!
//! A connection is closed on accept when the connection limit is reached or a
//! connection-phase policy refuses the peer. Otherwise TLS is terminated (within the header
//! timeout), HTTP/1.1 or HTTP/2 is served, and the connection is closed gracefully when it
//! has been idle too long or the gateway shuts down.
//!
//! A client that starts a request head and does not finish it within the header timeout
//! (slowloris) is cut off by hyper (HTTP/1.1) or here (a stalled HTTP/2 preface, before
//! the protocol is known); either way a `header-timeout` security event is recorded. An
//! idle keep-alive connection closed on the same timer, with nothing of a next request
//! received, is not an event.

use super::client_io::{Activity, ClientIo};
use super::tls;
use crate::Shared;
use crate::forward::Forwarding;
use crate::framing::{Tracker, Verdicts};
use crate::problem;
use crate::service::{self, Conn};
use crate::timer::ConnTimer;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use parapet_config::Server;
use parapet_policy::{Action, Decision, Mode, Part, Refusal, SecurityEvent};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, watch};

/// Accepts connections until `stop` turns true. `local` is the address as configured (the
/// key of the listener's plan in the snapshot), which differs from the bound one for port 0.
pub async fn run(
    listener: TcpListener,
    local: SocketAddr,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = shared.connections.clone().try_acquire_owned() else {
            reject(&shared, "limit");
            continue;
        };
        if !admit(&shared, local, peer) {
            reject(&shared, "policy");
            continue;
        }
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve(
            stream,
            peer,
            local,
            shared.clone(),
            permit,
            stop.clone(),
        ));
    }
}

fn reject(shared: &Shared, reason: &str) {
    shared
        .metrics
        .connections_rejected
        .get_or_create(&vec![("reason", reason.to_string())])
        .inc();
}

/// Runs the connection-phase policies of the listener on the peer address.
fn admit(shared: &Shared, local: SocketAddr, peer: SocketAddr) -> bool {
    let snap = shared.snapshot.load();
    let Some(plan) = snap.listeners.get(&local) else {
        return true;
    };
    for p in &plan.policies {
        if let Decision::Refuse(refusal) = p.on_connection(peer.ip()) {
            let blocked = p.mode() == Mode::Enforce;
            let event = SecurityEvent::for_connection(
                peer.ip(),
                p.name(),
                &refusal,
                if blocked {
                    Action::Blocked
                } else {
                    Action::Monitored
                },
            );
            snap.events.write_json(&event);
            if blocked {
                return false;
            }
        }
    }
    true
}

/// Records a connection cut off because its request head did not arrive in time: an event
/// (the client is the TCP peer: no header of the request was parsed), the refusal count
/// and `parapet_connections_rejected_total{reason="header_timeout"}`.
fn header_timeout(shared: &Shared, peer: SocketAddr) {
    let refusal = Refusal::new(problem::HEADER_TIMEOUT, Part::Header(None));
    let action = Action::Blocked;
    let labels = vec![
        ("policy", problem::SLOW_CLIENT.to_string()),
        ("reason", refusal.reason.code.to_string()),
        ("action", action.as_str().to_string()),
    ];
    shared.metrics.refusals.get_or_create(&labels).inc();
    reject(shared, "header_timeout");
    let event = SecurityEvent::for_connection(peer.ip(), problem::SLOW_CLIENT, &refusal, action);
    if !shared.snapshot.load().events.write_json(&event) {
        shared
            .metrics
            .log_dropped
            .get_or_create(&vec![("log", "events".to_string())])
            .inc();
    }
}

/// Whether hyper ended the connection because a request head did not arrive within
/// `header_read_timeout` (its only timeout on an HTTP/1.1 server connection; HTTP/2
/// keep-alive timeouts are excluded by the caller).
fn is_header_timeout(e: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    e.downcast_ref::<hyper::Error>()
        .is_some_and(hyper::Error::is_timeout)
}

async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    shared: Arc<Shared>,
    permit: OwnedSemaphorePermit,
    stop: watch::Receiver<bool>,
) {
    let _permit = permit;
    shared.metrics.connections_active.inc();
    let snap = shared.snapshot.load_full();
    let server = snap.config.server.clone();
    let tls_config = snap.listeners.get(&local).and_then(|l| l.tls.clone());
    drop(snap);
    let tls = tls_config.is_some();
    let mut conn = Conn {
        peer,
        listener: local,
        tls,
        client_cert: None,
        in_flight: AtomicUsize::new(0),
        verdicts: Arc::new(Verdicts::default()),
        shared: shared.clone(),
        forwarding: Forwarding::new(peer.ip(), if tls { "https" } else { "http" }),
        last_metrics: Default::default(),
        timer: Default::default(),
        known_host: Default::default(),
    };
    match tls_config {
        None => serve_http(stream, conn, &server, stop).await,
        Some(config) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(config);
            match tokio::time::timeout(server.header_read_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls_stream)) => {
                    conn.client_cert = tls::client_cert(tls_stream.get_ref().1).map(Arc::new);
                    serve_http(tls_stream, conn, &server, stop).await;
                }
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
    }
    shared.metrics.connections_active.dec();
}

/// The HTTP server settings for one connection.
fn builder(server: &Server) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(ConnTimer::default())
        .header_read_timeout(server.header_read_timeout)
        // hyper answers 431 itself past this buffer; the exact limit is checked with a
        // problem+json response in the driver.
        .max_buf_size((server.max_header_bytes * 2).max(8192))
        .max_headers(256);
    b.http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(server.h2_max_concurrent_streams)
        .max_header_list_size(server.h2_max_header_list_size)
        .max_pending_accept_reset_streams(server.h2_max_pending_resets)
        .max_local_error_reset_streams(server.h2_max_pending_resets)
        .keep_alive_interval(Some(server.idle_timeout / 2))
        .keep_alive_timeout(server.header_read_timeout);
    b
}

async fn serve_http<I>(io: I, conn: Conn, server: &Server, stop: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Activity::new();
    let verdicts = conn.verdicts.clone();
    let io = TokioIo::new(ClientIo::new(
        io,
        activity.clone(),
        Tracker::new(server.max_header_bytes * 2, verdicts),
    ));
    let (shared, peer) = (conn.shared.clone(), conn.peer);
    let conn = Arc::new(conn);
    let handler = conn.clone();
    let svc = service_fn(move |req| service::handle(handler.clone(), req));
    let builder = builder(server);
    let http = builder.serve_connection_with_upgrades(io, svc);
    tokio::pin!(http);
    let closing = *stop.borrow();
    if closing {
        http.as_mut().graceful_shutdown();
    }
    // The idle clock, the stalled HTTP/2 preface and the gateway's shutdown are watched by
    // a task of their own, which wakes only on its timers and on `stop`: this task is
    // woken by the connection's I/O alone, and each of its polls polls hyper and one
    // channel.
    let (shutdown, mut shut_down) = tokio::sync::oneshot::channel();
    let watchdog = (!closing).then(|| {
        AbortOnDrop(tokio::spawn(watch_connection(
            activity.clone(),
            conn.clone(),
            server.idle_timeout,
            server.header_read_timeout,
            stop,
            shutdown,
        )))
    });
    let ended = tokio::select! {
        biased;
        ended = http.as_mut() => ended,
        Ok(()) = &mut shut_down => {
            http.as_mut().graceful_shutdown();
            http.as_mut().await
        }
    };
    drop(watchdog);
    // hyper's header timer also runs while a kept-alive connection waits for its next
    // request: only a head that had started to arrive makes it a slow client.
    if let Err(e) = ended
        && is_header_timeout(&*e)
        && !activity.is_http2()
        && activity.partial_head()
    {
        header_timeout(&shared, peer);
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Watches one connection until it should close gracefully, then says so on `shutdown`:
/// when the gateway stops, when the connection has had no I/O for `idle_timeout` and no
/// request in flight (checked every quarter of it), or when the client stopped inside the
/// HTTP/2 preface for `header_timeout` (a `header-timeout` security event).
async fn watch_connection(
    activity: Arc<Activity>,
    conn: Arc<Conn>,
    idle_timeout: std::time::Duration,
    header_timeout_after: std::time::Duration,
    mut stop: watch::Receiver<bool>,
    shutdown: tokio::sync::oneshot::Sender<()>,
) {
    let tick = (idle_timeout / 4).max(std::time::Duration::from_millis(50));
    // The idle clock: the last tick at which the I/O count had changed.
    let (mut seen_ops, mut quiet_since) = (activity.operations(), tokio::time::Instant::now());
    // hyper-util reads the first bytes to choose the protocol, with no timeout: a client
    // that stops inside the HTTP/2 preface is cut off here, once.
    let preface_deadline = tokio::time::sleep(header_timeout_after);
    tokio::pin!(preface_deadline);
    let mut preface_checked = false;
    loop {
        tokio::select! {
            _ = &mut preface_deadline, if !preface_checked => {
                preface_checked = true;
                if activity.in_preface() {
                    header_timeout(&conn.shared, conn.peer);
                    break;
                }
            }
            _ = stop.changed() => break,
            _ = tokio::time::sleep(tick) => {
                let ops = activity.operations();
                if ops != seen_ops {
                    (seen_ops, quiet_since) = (ops, tokio::time::Instant::now());
                } else if conn.in_flight.load(Ordering::Relaxed) == 0
                    && quiet_since.elapsed() >= idle_timeout
                {
                    break;
                }
            }
        }
    }
    let _ = shutdown.send(());
}
