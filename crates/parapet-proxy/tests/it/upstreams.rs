//! Upstream groups: round-robin, active and passive health, and the 502/503/504 problems.

use crate::common::*;
use serde_json::Value;
use std::time::Duration;

fn two_targets(a: &str, b: &str, extra: &str) -> String {
    format!(
        r#"
listen: [{{ addr: "127.0.0.1:0" }}]
upstreams:
  up:
    targets: ["{a}", "{b}"]
    {extra}
apis: [{{ name: t, upstream: up, defaults: {{ authn: public }} }}]
"#
    )
}

async fn who(gw: &TestGateway) -> String {
    let v: Value = get_json(&gw.url("/")).await;
    v["upstream"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn requests_alternate_between_targets() {
    let (a, b) = (Upstream::start("a").await, Upstream::start("b").await);
    let gw = start_gateway(&two_targets(&a.url(), &b.url(), "")).await;
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(who(&gw).await);
    }
    assert_eq!(seen.iter().filter(|s| *s == "a").count(), 3, "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] != w[1]),
        "not round-robin: {seen:?}"
    );
}

#[tokio::test]
async fn active_health_checks_take_a_target_out_and_back() {
    let (a, b) = (Upstream::start("a").await, Upstream::start("b").await);
    let health = "health: { path: /healthz, interval: 100ms, timeout: 1s, unhealthy_after: 1, healthy_after: 1 }";
    let gw = start_gateway(&two_targets(&a.url(), &b.url(), health)).await;
    a.healthy.store(false, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(400)).await;
    for _ in 0..4 {
        assert_eq!(who(&gw).await, "b");
    }
    let ready = gw.gw().shared().readiness();
    assert!(ready.ready, "one healthy target is enough: {ready:?}");
    b.healthy.store(false, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_problem(
        client().get(gw.url("/")).send().await.unwrap(),
        503,
        "upstream-unavailable",
    )
    .await;
    assert_eq!(
        gw.gw().shared().readiness().unavailable_upstreams,
        vec!["up".to_string()]
    );
    a.healthy.store(true, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(who(&gw).await, "a");
}

#[tokio::test]
async fn a_failing_target_is_ejected_passively() {
    let a = Upstream::start("a").await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let gw = start_gateway(&two_targets(
        &a.url(),
        &format!("http://{dead}"),
        "passive: { failures: 2, cooldown: 30s }",
    ))
    .await;
    let c = client();
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(c.get(gw.url("/")).send().await.unwrap().status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 502).count(),
        2,
        "the dead target should fail twice, then be ejected: {statuses:?}"
    );
    assert!(statuses[6..].iter().all(|s| *s == 200), "{statuses:?}");
}

#[tokio::test]
async fn upstream_failures_are_problems_without_internals() {
    let a = Upstream::start("a").await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let yaml = format!(
        r#"
listen: [{{ addr: "127.0.0.1:0" }}]
upstreams:
  slow: {{ targets: ["{}"], timeouts: {{ response: 200ms }} }}
  dead: {{ targets: ["http://{dead}"] }}
apis:
  - {{ name: slow, upstream: slow, base_path: /slow, defaults: {{ authn: public }} }}
  - {{ name: dead, upstream: dead, base_path: /dead, defaults: {{ authn: public }} }}
"#,
        a.url()
    );
    let gw = start_gateway(&yaml).await;
    let timeout = client().get(gw.url("/slow/1000")).send().await.unwrap();
    let body = assert_problem(timeout, 504, "upstream-timeout").await;
    assert!(!body.to_string().contains("127.0.0.1"));
    let refused = client().get(gw.url("/dead/x")).send().await.unwrap();
    let body = assert_problem(refused, 502, "upstream-error").await;
    assert!(
        !body.to_string().contains(&dead.port().to_string()),
        "internal address leaked: {body}"
    );
}

#[tokio::test]
async fn the_total_timeout_bounds_the_whole_exchange() {
    let a = Upstream::start("a").await;
    let yaml = format!(
        r#"
listen: [{{ addr: "127.0.0.1:0" }}]
upstreams:
  up: {{ targets: ["{}"], timeouts: {{ response: 10s, total: 400ms }} }}
apis: [{{ name: t, upstream: up, defaults: {{ authn: public }} }}]
"#,
        a.url()
    );
    let gw = start_gateway(&yaml).await;
    let c = client();
    // Headers later than the total: 504 although the response timeout is 10 s.
    assert_problem(
        c.get(gw.url("/slow/800")).send().await.unwrap(),
        504,
        "upstream-timeout",
    )
    .await;
    // Headers in time, body too slow: the body is cut at the deadline.
    let resp = c.get(gw.url("/drip/150")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.bytes().await.is_err(),
        "a body past the total timeout must not complete"
    );
    // Within the total, everything passes.
    let resp = c.get(gw.url("/drip/20")).send().await.unwrap();
    assert_eq!(resp.bytes().await.unwrap().len(), 30);
}

#[tokio::test]
async fn an_unrequested_protocol_switch_is_a_bad_gateway() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\nConnection: upgrade\r\n\r\n").await;
        }
    });
    let gw = start_gateway(&one_api(&format!("http://{addr}"), "{}")).await;
    assert_problem(
        client().get(gw.url("/")).send().await.unwrap(),
        502,
        "upstream-error",
    )
    .await;
}
