//! The HTTP/1.1 framing tracker (parapet-proxy framing.rs) on any byte stream a client may
//! send on one connection. Checks:
//!
//! - it never panics;
//! - how the stream is cut into reads does not matter: all at once, one byte at a time and
//!   pseudo-random cuts give the same verdicts and the same on/off state;
//! - it stays in step with hyper: the same bytes are served by a real hyper 1.x HTTP/1
//!   connection (Parapet's settings), and while the tracker follows the connection its
//!   i-th verdict names the i-th request hyper hands to the service, compared exactly as
//!   the driver does (`framing_was_ambiguous` in service.rs). A verdict that does not match
//!   is silently ignored by the driver, which would let an ambiguous request through.
//!   Requests after one whose body fails to read are not compared (the gateway answers
//!   that one 400 and closes the connection).
#![no_main]

use http_body_util::BodyExt;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use libfuzzer_sys::fuzz_target;
use parapet_proxy::framing::{Tracker, Verdict, Verdicts};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `server.max_header_bytes` default (16 KiB); the listener gives the tracker and hyper's
/// read buffer twice that.
const MAX_HEAD: usize = 2 * 16 * 1024;

fn track(cuts: impl Iterator<Item = usize>, data: &[u8]) -> (Vec<Verdict>, bool) {
    let verdicts = Arc::new(Verdicts::default());
    let mut tracker = Tracker::new(MAX_HEAD, verdicts.clone());
    let mut rest = data;
    for n in cuts {
        if rest.is_empty() {
            break;
        }
        let (now, later) = rest.split_at(n.clamp(1, rest.len()));
        tracker.feed(now);
        rest = later;
    }
    if !rest.is_empty() {
        tracker.feed(rest);
    }
    let out = std::iter::from_fn(|| verdicts.next()).collect();
    (out, tracker.is_on())
}

/// Read sizes derived from the input itself (xorshift seeded by its length and first bytes).
fn pseudo_random_cuts(data: &[u8]) -> impl Iterator<Item = usize> {
    let mut s = 0x9e37_79b9_7f4a_7c15_u64 ^ data.len() as u64;
    for &b in data.iter().take(8) {
        s = s.rotate_left(8) ^ u64::from(b);
    }
    std::iter::repeat_with(move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 64) as usize + 1
    })
}

/// A request hyper handed to the service, and whether its body (trailers included) read
/// cleanly.
type Seen = (http::Method, http::Uri, http::Version, bool);

/// The requests a hyper HTTP/1 server connection hands to its service for `data`.
async fn hyper_requests(data: &[u8]) -> Vec<Seen> {
    let (mut client, server) = tokio::io::duplex(1 << 20);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let record = record.clone();
        async move {
            let (parts, body) = req.into_parts();
            // The gateway reads the body (to buffer or forward it) before answering.
            let body_ok = body.collect().await.is_ok();
            if let Ok(mut s) = record.lock() {
                s.push((parts.method, parts.uri, parts.version, body_ok));
            }
            Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Empty::<
                bytes::Bytes,
            >::new()))
        }
    });
    // half_close: the client below writes everything and then shuts its side down; without
    // it hyper drops the last request on seeing EOF, where a real client would wait.
    let conn = hyper::server::conn::http1::Builder::new()
        .half_close(true)
        .max_buf_size(MAX_HEAD.max(8192))
        .max_headers(256)
        .serve_connection(TokioIo::new(server), svc)
        .with_upgrades();
    let server_task = tokio::spawn(conn);
    if client.write_all(data).await.is_ok() {
        let _ = client.shutdown().await;
    }
    let mut sink = Vec::new();
    let _ = client.read_to_end(&mut sink).await;
    drop(client);
    let _ = server_task.await;
    let out = seen.lock().map(|s| s.clone()).unwrap_or_default();
    out
}

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
}

fuzz_target!(|data: &[u8]| {
    let (whole, on) = track(std::iter::empty(), data);
    let (bytewise, bytewise_on) = track(std::iter::repeat(1), data);
    assert_eq!(
        whole, bytewise,
        "verdicts depend on read sizes (1-byte reads)"
    );
    assert_eq!(
        on, bytewise_on,
        "state depends on read sizes (1-byte reads)"
    );
    let (cut, cut_on) = track(pseudo_random_cuts(data), data);
    assert_eq!(whole, cut, "verdicts depend on read sizes");
    assert_eq!(on, cut_on, "state depends on read sizes");

    let requests = RUNTIME.with(|rt| rt.block_on(hyper_requests(data)));
    for (i, (verdict, (method, uri, version, body_ok))) in whole.iter().zip(&requests).enumerate() {
        // The driver takes verdicts for HTTP/1 requests only.
        if *version == http::Version::HTTP_2 {
            break;
        }
        assert!(
            verdict.method == method.as_str() && *uri == verdict.target.as_str(),
            "tracker out of step with hyper at request {i}: verdict {verdict:?}, hyper parsed {method} {uri} ({version:?})"
        );
        // A body that fails to read (malformed trailers, say) gets 400 and the connection
        // closed by the gateway: later requests never reach the driver.
        if !body_ok {
            break;
        }
    }
});
