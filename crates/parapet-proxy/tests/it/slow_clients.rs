//! Slow clients: request bodies below `server.timeouts.body_min_rate` (buffered or streamed
//! upstream) and request heads that do not arrive within `header_read` (slowloris), each
//! cut off with a `slow_client` security event; idle connections are not events.

use crate::common::*;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A gateway in front of `upstream` with small slow-client settings: heads within 500 ms,
/// bodies at 1 KiB/s after 300 ms.
async fn gateway(upstream: &str, timeouts: &str) -> TestGateway {
    let yaml = format!(
        "server:\n  timeouts: {{ header_read: 500ms, body_min_rate: 1KiB, body_grace: 300ms{timeouts} }}\n{}",
        one_api(upstream, "{}")
    );
    start_gateway(&yaml).await
}

/// Reads until the peer closes or `limit` passes: what was read, and whether it closed.
async fn read_all(r: &mut (impl AsyncRead + Unpin), limit: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, r.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

/// Reads one response with a Content-Length body, leaving the connection open.
async fn read_response(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf))
            .await
            .expect("response in time")
            .unwrap();
        assert!(n > 0, "closed before the response ended");
        out.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&out).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .expect("a Content-Length");
            if out.len() >= end + 4 + length {
                return text;
            }
        }
    }
}

/// Sends `head`, then `first` at once and `pieces` one every `gap` (until the gateway stops
/// reading). Returns the reply, whether the gateway closed, and the time from the head to
/// the close.
async fn trickle(
    addr: std::net::SocketAddr,
    head: &str,
    first: &[u8],
    pieces: Vec<Vec<u8>>,
    gap: Duration,
) -> (String, bool, Duration) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut r, mut w) = stream.into_split();
    let started = Instant::now();
    w.write_all(head.as_bytes()).await.unwrap();
    w.write_all(first).await.unwrap();
    let writer = tokio::spawn(async move {
        for p in pieces {
            tokio::time::sleep(gap).await;
            if w.write_all(&p).await.is_err() {
                return;
            }
        }
        // Keep the connection open: only the gateway may end it.
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let (reply, closed) = read_all(&mut r, Duration::from_secs(3)).await;
    let elapsed = started.elapsed();
    writer.abort();
    (reply, closed, elapsed)
}

/// The events of `gw`, at least `min` of them.
async fn events(gw: &TestGateway, min: usize) -> Vec<Value> {
    gw.log("events.log", min).await
}

fn assert_slow_client_event(event: &Value, reason: &str) {
    assert_eq!(event["policy"], "slow_client", "{event}");
    assert_eq!(event["reason"], reason, "{event}");
    assert_eq!(event["status"], 408, "{event}");
    assert_eq!(event["action"], "blocked", "{event}");
    assert_eq!(event["client_ip"], "127.0.0.1", "{event}");
}

fn assert_408_problem(reply: &str, code: &str) {
    assert_eq!(status_of(reply), 408, "{reply}");
    let lower = reply.to_ascii_lowercase();
    assert!(
        lower.contains("content-type: application/problem+json"),
        "{reply}"
    );
    assert!(lower.contains("connection: close"), "{reply}");
    assert!(
        reply.contains(&format!("\"type\":\"urn:parapet:problem:{code}\"")),
        "{reply}"
    );
}

#[tokio::test]
async fn a_buffered_body_below_the_floor_is_answered_408_and_recorded() {
    let up = Upstream::start("a").await;
    let gw = gateway(&up.url(), "").await;
    // Chunked bodies are always read whole before the upstream is contacted.
    let head = "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    let pieces = vec![b"1\r\nx\r\n".to_vec(); 20];
    let (reply, closed, elapsed) = trickle(
        gw.addr,
        head,
        b"1\r\nx\r\n",
        pieces,
        Duration::from_millis(200),
    )
    .await;
    assert_408_problem(&reply, "body-too-slow");
    assert!(closed, "the connection stays open after a too slow body");
    assert!(
        elapsed >= Duration::from_millis(300),
        "cut off within the grace: {elapsed:?}"
    );
    assert_eq!(up.hits(), 0, "the upstream was contacted");

    let events = events(&gw, 1).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_slow_client_event(&events[0], "body-too-slow");
    assert_eq!(events[0]["part"]["kind"], "body");
    assert_eq!(events[0]["route"], Value::Null);
    assert_eq!(events[0]["api"], "test");
    let metrics = gw.gw().metrics().encode();
    assert!(
        metrics.contains(
            "parapet_refusals_total{policy=\"slow_client\",reason=\"body-too-slow\",action=\"blocked\"} 1"
        ),
        "{metrics}"
    );
}

/// An upstream that records the bytes it receives on one connection and never answers.
struct Recorder {
    addr: std::net::SocketAddr,
    seen: Arc<Mutex<Vec<u8>>>,
    ended: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Recorder {
    async fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let ended = Arc::new(AtomicBool::new(false));
        let (s, e) = (seen.clone(), ended.clone());
        let task = tokio::spawn(async move {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut buf = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().extend_from_slice(&buf[..n]);
            }
            e.store(true, Ordering::SeqCst);
        });
        Recorder {
            addr,
            seen,
            ended,
            task,
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn a_streamed_body_below_the_floor_is_cut_off_upstream_too() {
    let up = Recorder::start().await;
    let gw = gateway(&format!("http://{}", up.addr), "").await;
    // A declared length and no policy reading the body: streamed to the upstream.
    let head = "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n";
    let (reply, closed, elapsed) = trickle(
        gw.addr,
        head,
        &[b'x'; 10],
        vec![b"x".to_vec(); 20],
        Duration::from_millis(200),
    )
    .await;
    assert_408_problem(&reply, "body-too-slow");
    assert!(closed, "the client connection stays open");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");

    // The upstream got the head and part of the body, then its connection was closed.
    for _ in 0..60 {
        if up.ended.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        up.ended.load(Ordering::SeqCst),
        "the upstream request was not aborted"
    );
    let seen = String::from_utf8(up.seen.lock().unwrap().clone()).unwrap();
    let (upstream_head, body) = seen.split_once("\r\n\r\n").expect("a head upstream");
    assert!(upstream_head.starts_with("POST /upload HTTP/1.1"), "{seen}");
    assert!(
        upstream_head
            .to_ascii_lowercase()
            .contains("content-length: 1000"),
        "{seen}"
    );
    assert!(
        (10..1000).contains(&body.len()),
        "the upstream got {} body bytes",
        body.len()
    );

    let events = events(&gw, 1).await;
    assert_slow_client_event(&events[0], "body-too-slow");
    assert_eq!(events[0]["part"]["kind"], "body");
    let metrics = gw.gw().metrics().encode();
    assert!(
        metrics.contains("reason=\"body-too-slow\",action=\"blocked\"} 1"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("parapet_upstream_errors_total{"),
        "the client's slowness was counted against the upstream: {metrics}"
    );
}

#[tokio::test]
async fn slow_uploads_above_the_floor_pass_streamed_or_buffered() {
    let up = Upstream::start("a").await;
    let gw = gateway(&up.url(), "").await;
    // 150 bytes every 50 ms is 3000 B/s, three times the floor, for about a second.
    let streamed = trickle(
        gw.addr,
        "POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 3000\r\nConnection: close\r\n\r\n",
        b"",
        vec![vec![b'a'; 150]; 20],
        Duration::from_millis(50),
    );
    let chunk = format!("96\r\n{}\r\n", "b".repeat(150)).into_bytes();
    let mut pieces = vec![chunk; 20];
    pieces.push(b"0\r\n\r\n".to_vec());
    let buffered = trickle(
        gw.addr,
        "POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        b"",
        pieces,
        Duration::from_millis(50),
    );
    let ((streamed, _, _), (buffered, _, _)) = tokio::join!(streamed, buffered);
    for (reply, target) in [(&streamed, "/s"), (&buffered, "/b")] {
        assert_eq!(status_of(reply), 200, "{reply}");
        let body = &reply[reply.find("\r\n\r\n").unwrap() + 4..];
        let echo: Value = serde_json::from_str(body).unwrap();
        assert_eq!(echo["target"], target);
        assert_eq!(echo["body_len"], 3000, "{echo}");
    }
    assert_eq!(up.hits(), 2);
    let metrics = gw.gw().metrics().encode();
    assert!(!metrics.contains("slow_client"), "{metrics}");
}

#[tokio::test]
async fn a_request_head_that_stalls_is_cut_off_after_header_read_and_recorded() {
    let up = Upstream::start("a").await;
    let gw = gateway(&up.url(), "").await;

    // A new connection that never finishes its head.
    let mut slow = TcpStream::connect(gw.addr).await.unwrap();
    let started = Instant::now();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: 1\r\n")
        .await
        .unwrap();
    let (reply, closed) = read_all(&mut slow, Duration::from_secs(3)).await;
    assert!(closed, "a stalled head held the connection");
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    assert!(reply.is_empty() || status_of(&reply) >= 400, "{reply}");
    let events1 = events(&gw, 1).await;
    assert_slow_client_event(&events1[0], "header-timeout");
    assert_eq!(events1[0]["request_id"], "-");
    assert_eq!(events1[0]["part"]["kind"], "header");

    // A kept-alive connection whose second head stalls.
    let mut kept = TcpStream::connect(gw.addr).await.unwrap();
    kept.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(status_of(&read_response(&mut kept).await), 200);
    kept.write_all(b"GET /next HT").await.unwrap();
    let (_, closed) = read_all(&mut kept, Duration::from_secs(3)).await;
    assert!(closed, "a stalled second head held the connection");
    let events2 = events(&gw, 2).await;
    assert_eq!(events2.len(), 2, "{events2:?}");
    assert_slow_client_event(&events2[1], "header-timeout");

    let metrics = gw.gw().metrics().encode();
    assert!(
        metrics.contains("parapet_connections_rejected_total{reason=\"header_timeout\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "parapet_refusals_total{policy=\"slow_client\",reason=\"header-timeout\",action=\"blocked\"} 2"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_stalled_http2_preface_is_a_stalled_head_too() {
    let up = Upstream::start("a").await;
    let gw = gateway(&up.url(), "").await;
    let mut slow = TcpStream::connect(gw.addr).await.unwrap();
    let started = Instant::now();
    // The protocol is not known before the preface ends: hyper's own timer is not running.
    slow.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    let (_, closed) = read_all(&mut slow, Duration::from_secs(3)).await;
    assert!(closed, "a stalled preface held the connection");
    assert!(started.elapsed() >= Duration::from_millis(450));
    let events = events(&gw, 1).await;
    assert_slow_client_event(&events[0], "header-timeout");
}

#[tokio::test]
async fn idle_connections_are_closed_without_an_event() {
    let up = Upstream::start("a").await;
    let gw = gateway(&up.url(), ", idle: 700ms").await;

    // After a complete exchange, nothing more: hyper closes it on the header timer.
    let kept_alive = async {
        let mut s = TcpStream::connect(gw.addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(status_of(&read_response(&mut s).await), 200);
        read_all(&mut s, Duration::from_secs(3)).await.1
    };
    // Nothing at all: closed by the idle timeout.
    let silent = async {
        let mut s = TcpStream::connect(gw.addr).await.unwrap();
        read_all(&mut s, Duration::from_secs(3)).await.1
    };
    // Only the blank lines a client may send between requests.
    let blank = async {
        let mut s = TcpStream::connect(gw.addr).await.unwrap();
        s.write_all(b"\r\n").await.unwrap();
        read_all(&mut s, Duration::from_secs(3)).await.1
    };
    let (a, b, c) = tokio::join!(kept_alive, silent, blank);
    assert!(a && b && c, "idle connections stayed open: {a} {b} {c}");

    // Events are written in order: the first one must be this slowloris's.
    let mut slow = TcpStream::connect(gw.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let _ = read_all(&mut slow, Duration::from_secs(3)).await;
    let events = events(&gw, 1).await;
    assert_eq!(events.len(), 1, "idle closes were recorded: {events:?}");
    assert_slow_client_event(&events[0], "header-timeout");
    let metrics = gw.gw().metrics().encode();
    assert!(
        metrics.contains("parapet_connections_rejected_total{reason=\"header_timeout\"} 1"),
        "{metrics}"
    );
}
