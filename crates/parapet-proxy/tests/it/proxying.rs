//! Forwarding: headers both ways, request ids, HTTP/2, pooling, body and header limits,
//! timeouts, connection limit, graceful shutdown, access log.

use crate::common::*;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn forwards_with_forwarding_headers_and_without_hop_by_hop_ones() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&one_api(&up.url(), "{}")).await;
    let resp = client()
        .get(gw.url("/items/7?x=1"))
        .header("x-forwarded-for", "6.6.6.6")
        .header("forwarded", "for=6.6.6.6")
        .header("connection", "x-drop-me")
        .header("x-drop-me", "1")
        .header("keep-alive", "timeout=5")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers().get("x-upstream-secret-hop").is_none(),
        "response hop-by-hop header leaked"
    );
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    let seen: Value = resp.json().await.unwrap();
    let h = &seen["headers"];
    assert_eq!(seen["target"], "/items/7?x=1");
    assert_eq!(
        h["x-forwarded-for"], "127.0.0.1",
        "client-supplied XFF must be replaced"
    );
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["x-forwarded-host"], gw.addr.to_string());
    assert_eq!(
        h["forwarded"],
        format!("for=127.0.0.1;proto=http;host=\"{}\"", gw.addr)
    );
    assert_eq!(h["x-request-id"], id.as_str());
    assert_eq!(h["host"], up.addr.to_string());
    for hop in ["x-drop-me", "keep-alive", "connection"] {
        assert!(h.get(hop).is_none(), "{hop} reached the upstream");
    }
}

#[tokio::test]
async fn trusted_proxies_extend_the_forwarding_chain() {
    let up = Upstream::start("a").await;
    let yaml = format!(
        "trusted_proxies: [127.0.0.0/8]\n{}",
        one_api(&up.url(), "{ ip_access: { deny: [198.51.100.0/24] } }")
    );
    let gw = start_gateway(&yaml).await;
    let ok: Value = client()
        .get(gw.url("/"))
        .header("x-forwarded-for", "192.0.2.9")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ok["headers"]["x-forwarded-for"], "192.0.2.9, 127.0.0.1");
    let denied = client()
        .get(gw.url("/"))
        .header("x-forwarded-for", "198.51.100.4")
        .send()
        .await
        .unwrap();
    assert_problem(denied, 403, "ip-denied").await;
}

#[tokio::test]
async fn request_ids_are_kept_when_valid_and_replaced_otherwise() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&one_api(&up.url(), "{}")).await;
    let kept = client()
        .get(gw.url("/"))
        .header("x-request-id", "abc-123.x")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "abc-123.x");
    let replaced = client()
        .get(gw.url("/"))
        .header("x-request-id", "<script>")
        .send()
        .await
        .unwrap();
    let id = replaced.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 32);
    let seen: Value = replaced.json().await.unwrap();
    assert_eq!(seen["headers"]["x-request-id"], id.as_str());
}

#[tokio::test]
async fn http2_clients_reach_http1_upstreams() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&one_api(&up.url(), "{}")).await;
    let h2 = reqwest::Client::builder()
        .no_proxy()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let resp = h2.post(gw.url("/h2")).body("hello").send().await.unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let seen: Value = resp.json().await.unwrap();
    assert_eq!(seen["version"], "HTTP/1.1");
    assert_eq!(seen["body_len"], 5);
}

#[tokio::test]
async fn upstream_connections_are_pooled() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&one_api(&up.url(), "{}")).await;
    let c = client();
    for _ in 0..20 {
        assert_eq!(c.get(gw.url("/")).send().await.unwrap().status(), 200);
    }
    let opened = up.connections.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        opened <= 2,
        "20 sequential requests opened {opened} upstream connections"
    );
}

#[tokio::test]
async fn oversized_bodies_get_413_chunked_too_and_never_reach_the_upstream() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&one_api(&up.url(), "{ limits: { max_body: 1KiB } }")).await;
    let c = client();
    let big = vec![b'a'; 2048];
    assert_problem(
        c.post(gw.url("/")).body(big.clone()).send().await.unwrap(),
        413,
        "body-too-large",
    )
    .await;
    let stream =
        futures_util::stream::iter((0..4).map(|_| Ok::<_, std::io::Error>(vec![b'b'; 512])));
    let chunked = c
        .post(gw.url("/"))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_problem(chunked, 413, "body-too-large").await;
    assert_eq!(up.hits(), 0, "an oversized body reached the upstream");
    let small = vec![b'c'; 1024];
    let ok: Value = c
        .post(gw.url("/"))
        .body(small)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ok["body_len"], 1024);
    let stream =
        futures_util::stream::iter((0..2).map(|_| Ok::<_, std::io::Error>(vec![b'd'; 300])));
    let ok: Value = c
        .post(gw.url("/"))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        ok["body_len"], 600,
        "a chunked body within the limit passes whole"
    );
}

#[tokio::test]
async fn a_route_without_limits_still_has_the_default_body_cap() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&one_api(&up.url(), "{}")).await;
    let resp = client()
        .post(gw.url("/"))
        .body(vec![0u8; 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_problem(resp, 413, "body-too-large").await;
}

#[tokio::test]
async fn oversized_heads_get_431() {
    let up = Upstream::start("a").await;
    let yaml = format!(
        "server: {{ max_header_bytes: 4KiB }}\n{}",
        one_api(&up.url(), "{}")
    );
    let gw = start_gateway(&yaml).await;
    let resp = client()
        .get(gw.url("/"))
        .header("x-big", "a".repeat(5000))
        .send()
        .await
        .unwrap();
    assert_problem(resp, 431, "headers-too-large").await;
    // Far past the limit hyper refuses before Parapet sees the request; still 431.
    let (reply, closed) = raw(
        gw.addr,
        format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
            "b".repeat(20_000)
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(status_of(&reply), 431);
    assert!(closed);
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn unknown_hosts_and_paths_are_not_forwarded() {
    let up = Upstream::start("a").await;
    let yaml = format!(
        r#"
listen: [{{ addr: "127.0.0.1:0" }}]
upstreams: {{ up: {{ targets: ["{}"] }} }}
apis:
  - {{ name: v1, upstream: up, base_path: /v1, hosts: [api.example], defaults: {{ authn: public }} }}
"#,
        up.url()
    );
    let gw = start_gateway(&yaml).await;
    let c = client();
    let host = |path: &str, host: &str| c.get(gw.url(path)).header("host", host.to_string()).send();
    assert_eq!(host("/v1/x", "api.example").await.unwrap().status(), 200);
    assert_eq!(host("/v1", "API.example:8080").await.unwrap().status(), 200);
    assert_problem(host("/v2/x", "api.example").await.unwrap(), 404, "no-route").await;
    assert_problem(host("/v1x", "api.example").await.unwrap(), 404, "no-route").await;
    assert_problem(
        host("/v1/x", "other.example").await.unwrap(),
        404,
        "no-route",
    )
    .await;
    assert_eq!(up.hits(), 2);
}

#[tokio::test]
async fn access_log_is_json_with_secrets_redacted() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&one_api(&up.url(), "{}")).await;
    client()
        .get(gw.url("/p?api_key=s3cr3t-key&q=ok"))
        .header("authorization", "Bearer s3cr3t-token")
        .header("x-api-key", "s3cr3t-header")
        .header("user-agent", "evil\"}\\ agent")
        .send()
        .await
        .unwrap();
    let lines = gw.log("access.log", 1).await;
    let raw = std::fs::read_to_string(gw.dir.path().join("access.log")).unwrap();
    assert!(
        !raw.contains("s3cr3t"),
        "a secret reached the access log: {raw}"
    );
    let l = &lines[0];
    assert_eq!(l["target"], "/p?api_key=[REDACTED]&q=ok");
    assert_eq!(l["headers"]["authorization"], "[REDACTED]");
    assert_eq!(l["headers"]["x-api-key"], "[REDACTED]");
    assert_eq!(l["status"], 200);
    assert_eq!(l["upstream"], up.addr.to_string());
    assert_eq!(
        l["headers"]["user-agent"], "evil\"}\\ agent",
        "escaped, not broken"
    );
    assert_eq!(raw.lines().count(), 1, "one request, one line");
}

#[tokio::test]
async fn connection_limit_closes_extra_connections() {
    let up = Upstream::start("a").await;
    let yaml = format!(
        "server: {{ max_connections: 2 }}\n{}",
        one_api(&up.url(), "{}")
    );
    let gw = start_gateway(&yaml).await;
    let _a = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let _b = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (reply, closed) = raw(gw.addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").await;
    assert!(
        closed && reply.is_empty(),
        "third connection was served: {reply:?}"
    );
    drop((_a, _b));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (reply, _) = raw(
        gw.addr,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&reply), 200);
}

#[tokio::test]
async fn slow_headers_and_idle_connections_are_closed() {
    let up = Upstream::start("a").await;
    let yaml = format!(
        "server: {{ timeouts: {{ header_read: 300ms, idle: 400ms }} }}\n{}",
        one_api(&up.url(), "{}")
    );
    let gw = start_gateway(&yaml).await;
    let mut slow = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n")
        .await
        .unwrap();
    let (_, closed) = read_until_close(&mut slow, Duration::from_secs(3)).await;
    assert!(
        closed,
        "a request head that never ends must not hold the connection"
    );
    let mut idle = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let (reply, closed) = read_until_close(&mut idle, Duration::from_secs(5)).await;
    assert_eq!(status_of(&reply), 200);
    assert!(closed, "idle keep-alive connection stayed open");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn shutdown_closes_idle_keep_alive_connections() {
    let up = Upstream::start("a").await;
    let yaml = format!(
        "server: {{ timeouts: {{ idle: 60s }} }}\n{}",
        one_api(&up.url(), "{}")
    );
    let mut gw = start_gateway(&yaml).await;
    let mut idle = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = idle.read(&mut buf).await.unwrap();
    assert_eq!(status_of(&String::from_utf8_lossy(&buf[..n])), 200);
    let started = std::time::Instant::now();
    gw.gateway.take().unwrap().shutdown().await;
    let (_, closed) = read_until_close(&mut idle, Duration::from_secs(5)).await;
    assert!(closed, "an idle connection outlived the shutdown");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests_and_stops_accepting() {
    let up = Upstream::start("a").await;
    let mut gw = start_gateway(&one_api(&up.url(), "{}")).await;
    let url = gw.url("/slow/500");
    let in_flight =
        tokio::spawn(async move { client().get(url).send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let gateway = gw.gateway.take().unwrap();
    gateway.shutdown().await;
    assert_eq!(
        in_flight.await.unwrap().unwrap(),
        200,
        "the in-flight request was cut"
    );
    assert!(
        tokio::net::TcpStream::connect(gw.addr).await.is_err(),
        "still accepting after shutdown"
    );
}
