//! Traffic control over real sockets: rate limits with their headers, per-consumer and
//! per-username keys, quotas across a restart, spike arrest, concurrency, and limits
//! shared by two replicas through a real Redis that is killed and restarted mid-run.

use crate::common::*;
use parapet_state::testing::RedisServer;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A field's value, its lines joined as one list.
fn header(resp: &reqwest::Response, name: &str) -> String {
    let lines: Vec<&str> = resp
        .headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    lines.join(", ")
}

async fn get_from(gw: &TestGateway, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = client().get(gw.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_limit_answers_429_with_retry_after_and_every_response_says_where_it_stands() {
    let up = Upstream::start("up").await;
    let gw = start_gateway(&one_api(
        &up.url(),
        "{ rate_limit: [ { key: ip, rate: 3/min } ] }",
    ))
    .await;
    for remaining in [2, 1, 0] {
        let resp = get_from(&gw, "/a", &[]).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            header(&resp, "ratelimit-policy"),
            r#""3/min per ip";q=3;w=60"#
        );
        let state = header(&resp, "ratelimit");
        assert!(
            state.starts_with(&format!(r#""3/min per ip";r={remaining};t="#)),
            "{state}"
        );
    }
    let resp = get_from(&gw, "/a", &[]).await;
    let retry: u64 = header(&resp, "retry-after").parse().unwrap();
    assert!(
        (19..=20).contains(&retry),
        "one slot opens every 20 s: {retry}"
    );
    assert!(header(&resp, "ratelimit").contains(";r=0;"));
    assert_problem(resp, 429, "rate-limited").await;
    assert_eq!(
        up.hits(),
        3,
        "the refused request never reached the upstream"
    );
    let events = gw.log("events.log", 1).await;
    assert_eq!(events[0]["reason"], "rate-limited");
    assert_eq!(events[0]["policy"], "rate_limit");
}

#[tokio::test]
async fn every_limit_of_a_route_applies_and_keys_separate_clients() {
    let up = Upstream::start("up").await;
    let yaml = one_api(
        &up.url(),
        r#"{ rate_limit: [ { key: header.x-tenant, rate: 2/min, name: tenant }, { key: [ip, route], rate: 3/min, name: route } ] }"#,
    )
    .replace(
        "    defaults:",
        "    routes:\n      \"GET /other\": {}\n    defaults:",
    );
    let gw = start_gateway(&yaml).await;
    let status = |resp: reqwest::Response| resp.status().as_u16();
    assert_eq!(
        status(get_from(&gw, "/a", &[("x-tenant", "t1")]).await),
        200
    );
    assert_eq!(
        status(get_from(&gw, "/a", &[("x-tenant", "t1")]).await),
        200
    );
    let resp = get_from(&gw, "/a", &[("x-tenant", "t1")]).await;
    assert_eq!(
        header(&resp, "ratelimit-policy"),
        r#""tenant";q=2;w=60, "route";q=3;w=60"#
    );
    assert_problem(resp, 429, "rate-limited").await;
    // Another tenant has its own bucket; the refused request was not charged to "route".
    assert_eq!(
        status(get_from(&gw, "/a", &[("x-tenant", "t2")]).await),
        200
    );
    assert_eq!(
        status(get_from(&gw, "/a", &[("x-tenant", "t3")]).await),
        429
    );
    // Another route has its own per-route bucket, and shares the tenant one.
    assert_eq!(
        status(get_from(&gw, "/other", &[("x-tenant", "t4")]).await),
        200
    );
    assert_eq!(
        status(get_from(&gw, "/other", &[("x-tenant", "t4")]).await),
        200
    );
    assert_eq!(
        status(get_from(&gw, "/other", &[("x-tenant", "t4")]).await),
        429
    );
    // The third was refused by "tenant" and not charged to "route": one slot is left.
    assert_eq!(
        status(get_from(&gw, "/other", &[("x-tenant", "t5")]).await),
        200
    );
    assert_eq!(
        status(get_from(&gw, "/other", &[("x-tenant", "t6")]).await),
        429
    );
}

#[tokio::test]
async fn consumers_are_limited_apart() {
    let up = Upstream::start("up").await;
    let yaml = format!(
        "store: $DIR/p.db\nconsumers: [{{ id: alice }}, {{ id: bob }}]\n{}",
        one_api(
            &up.url(),
            "{ authn: [api_key], rate_limit: [ { key: consumer, rate: 2/min } ] }"
        )
    );
    let gw = start_gateway(&yaml).await;
    let store = gw.gw().shared().snapshot.load().identity.store().clone();
    let alice = store.create_key("alice", None, None).unwrap().secret;
    let bob = store.create_key("bob", None, None).unwrap().secret;
    let codes = |key: String| {
        let gw = &gw;
        async move {
            let mut codes = Vec::new();
            for _ in 0..3 {
                codes.push(
                    get_from(gw, "/a", &[("x-api-key", &key)])
                        .await
                        .status()
                        .as_u16(),
                );
            }
            codes
        }
    };
    assert_eq!(codes(alice).await, [200, 200, 429]);
    assert_eq!(codes(bob).await, [200, 200, 429]);
}

#[tokio::test]
async fn a_sensitive_route_limits_each_username_across_addresses_and_each_address_across_usernames()
{
    let up = Upstream::start("up").await;
    let yaml = format!(
        "trusted_proxies: [127.0.0.1/32]\n{}",
        one_api(&up.url(), "{}").replace(
            "    defaults:",
            "    routes:\n      \"POST /login\": { sensitive: { username: body.username, rate: 3/min } }\n    defaults:",
        )
    );
    let gw = start_gateway(&yaml).await;
    let login = |ip: String, user: &str| {
        let body = serde_json::json!({ "username": user, "password": "x" });
        let req = client()
            .post(gw.url("/login"))
            .header("x-forwarded-for", ip)
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    // Credential stuffing against one account from many addresses, in any letter case.
    let mut codes = Vec::new();
    for (i, user) in ["victim", "Victim", " VICTIM", "victim", "vIctim"]
        .iter()
        .enumerate()
    {
        codes.push(
            login(format!("198.51.100.{i}"), user)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(codes, [200, 200, 200, 429, 429]);
    // Password spraying from one address over many accounts.
    let mut codes = Vec::new();
    for i in 0..5 {
        codes.push(
            login("203.0.113.9".into(), &format!("user{i}"))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(codes, [200, 200, 200, 429, 429]);
    let refused = login("203.0.113.10".into(), "victim").await;
    assert_eq!(
        header(&refused, "ratelimit-policy"),
        r#""sensitive per ip";q=3;w=60, "sensitive per username";q=3;w=60"#
    );
    assert_problem(refused, 429, "rate-limited").await;
    let events = gw.log("events.log", 5).await;
    let by_username = events
        .iter()
        .filter(|e| e["snippet"] == "sensitive per username")
        .count();
    assert_eq!(by_username, 3, "{events:?}");
    assert!(events.iter().all(|e| e["reason"] == "rate-limited"));
    assert!(events.iter().any(|e| e["part"]["kind"] == "body"));
    // Refused per username, not charged per address: that address still has its three.
    for _ in 0..3 {
        assert_eq!(login("203.0.113.50".into(), "victim").await.status(), 429);
    }
    for i in 0..3 {
        let resp = login("203.0.113.50".into(), &format!("other{i}")).await;
        assert_eq!(resp.status(), 200);
    }
    // The username itself is never written to the events.
    assert!(!serde_json::to_string(&events).unwrap().contains("victim"));
}

#[tokio::test]
async fn a_quota_survives_a_restart() {
    let up = Upstream::start("up").await;
    let yaml = format!(
        "store: $DIR/p.db\nconsumers: [{{ id: alice }}]\n{}",
        one_api(
            &up.url(),
            "{ authn: [api_key], quota: { limit: 3, per: day } }"
        )
    );
    let mut gw = start_gateway(&yaml).await;
    let store = gw.gw().shared().snapshot.load().identity.store().clone();
    let key = store.create_key("alice", None, None).unwrap().secret;
    drop(store);
    for _ in 0..2 {
        let resp = get_from(&gw, "/a", &[("x-api-key", &key)]).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(header(&resp, "ratelimit-policy"), r#""quota";q=3;w=86400"#);
    }
    gw.gateway.take().unwrap().shutdown().await;
    let gw = start_gateway_in(gw.dir, &yaml).await;
    let resp = get_from(&gw, "/a", &[("x-api-key", &key)]).await;
    assert_eq!(resp.status(), 200);
    assert!(header(&resp, "ratelimit").starts_with(r#""quota";r=0;"#));
    let resp = get_from(&gw, "/a", &[("x-api-key", &key)]).await;
    let retry: u64 = header(&resp, "retry-after").parse().unwrap();
    assert!(retry <= 86_400);
    assert_problem(resp, 429, "quota-exceeded").await;
}

#[tokio::test]
async fn spike_arrest_refuses_bursts_or_spaces_them_out() {
    let up = Upstream::start("up").await;
    let strict = start_gateway(&one_api(&up.url(), "{ spike_arrest: { rate: 2/s } }")).await;
    assert_eq!(get_from(&strict, "/a", &[]).await.status(), 200);
    assert_problem(get_from(&strict, "/a", &[]).await, 429, "spike-arrested").await;

    let smoothing = start_gateway(&one_api(
        &up.url(),
        "{ spike_arrest: { rate: 10/s, max_delay: 2s } }",
    ))
    .await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let url = smoothing.url("/a");
        tasks.push(tokio::spawn(async move {
            let resp = client().get(url).send().await.unwrap();
            (resp.status().as_u16(), Instant::now())
        }));
    }
    let mut done = Vec::new();
    for t in tasks {
        done.push(t.await.unwrap());
    }
    assert!(done.iter().all(|(s, _)| *s == 200), "{done:?}");
    let last = done.iter().map(|(_, at)| *at).max().unwrap();
    // Five requests at 10/s: the last one is released at least 400 ms after the first.
    assert!(last - started >= Duration::from_millis(400));
}

#[tokio::test]
async fn concurrency_is_limited_until_the_response_ends() {
    let up = Upstream::start("up").await;
    let gw = start_gateway(&one_api(&up.url(), "{ concurrency: { per_consumer: 2 } }")).await;
    let slow = || client().get(gw.url("/slow/600")).send();
    let (a, b) = (tokio::spawn(slow()), tokio::spawn(slow()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let third = get_from(&gw, "/a", &[]).await;
    assert_eq!(header(&third, "retry-after"), "1");
    assert_problem(third, 429, "too-many-concurrent-requests").await;
    assert_eq!(a.await.unwrap().unwrap().status(), 200);
    assert_eq!(b.await.unwrap().unwrap().status(), 200);
    // The slots were given back.
    assert_eq!(get_from(&gw, "/a", &[]).await.status(), 200);
}

/// A Redis-backed config around `target`: `limit` on every route, and a `/closed` route
/// whose limit fails closed.
fn redis_api(redis: &str, target: &str, limit: &str) -> String {
    format!(
        "state: {{ redis: \"{redis}\", timeout: 100ms }}\n{}",
        one_api(target, &format!("{{ rate_limit: [ {limit} ] }}")).replace(
            "    defaults:",
            "    routes:\n      \"GET /closed\": { rate_limit: [ { key: ip, rate: 1000/s, on_unavailable: closed } ] }\n    defaults:",
        )
    )
}

async fn until_state(gw: &TestGateway, reachable: bool) {
    for _ in 0..200 {
        if gw.gw().shared().readiness().state.reachable == reachable {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("state never became reachable={reachable}");
}

/// Sends requests from `workers` concurrent loops for `run`, alternating between
/// `urls`; returns how many were admitted (200) and the time from the first send to the
/// last answer.
async fn drive(urls: Vec<String>, workers: usize, run: Duration) -> (usize, usize, Duration) {
    let admitted = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (urls, admitted, sent) = (urls.clone(), admitted.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let client = client();
            let mut i = w;
            while started.elapsed() < run {
                let resp = client.get(&urls[i % urls.len()]).send().await.unwrap();
                sent.fetch_add(1, Ordering::Relaxed);
                match resp.status().as_u16() {
                    200 => {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                    429 => {}
                    other => panic!("unexpected status {other}"),
                }
                i += 1;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let took = started.elapsed();
    (
        admitted.load(Ordering::Relaxed),
        sent.load(Ordering::Relaxed),
        took,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_one_limit_through_redis_within_five_percent() {
    let redis = RedisServer::start();
    let up = Upstream::start("up").await;
    let yaml = redis_api(
        &redis.url(),
        &up.url(),
        "{ key: route, rate: 100/s, burst: 10 }",
    );
    let a = start_gateway(&yaml).await;
    let b = start_gateway(&yaml).await;
    until_state(&a, true).await;
    until_state(&b, true).await;
    let (admitted, sent, took) =
        drive(vec![a.url("/x"), b.url("/x")], 16, Duration::from_secs(3)).await;
    let expected = 10.0 + 100.0 * took.as_secs_f64();
    let error = (admitted as f64 - expected) / expected;
    // Unshared limits would admit twice the expected count: offered well past that, the
    // count tells them apart (a busy test machine cannot always offer 5x, the 20x overload
    // is bench/ratelimit.sh's).
    assert!(
        sent as f64 > 2.5 * expected,
        "the replicas must be overloaded for the test to mean anything: {sent} sent"
    );
    assert!(
        error.abs() <= 0.05,
        "admitted {admitted} of {sent} in {took:?} across two replicas; a shared 100/s limit admits {expected:.0} (error {:.1}%)",
        error * 100.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_redis_dies_limits_fall_back_as_configured_and_sharing_resumes() {
    let mut redis = RedisServer::start();
    let up = Upstream::start("up").await;
    let yaml = redis_api(&redis.url(), &up.url(), "{ key: ip, rate: 3/min }");
    let a = start_gateway(&yaml).await;
    let b = start_gateway(&yaml).await;
    until_state(&a, true).await;
    until_state(&b, true).await;
    let status = |gw: &TestGateway, path: &'static str| {
        let url = gw.url(path);
        async move { client().get(url).send().await.unwrap().status().as_u16() }
    };
    // Shared: three requests in all, whichever replica they reach.
    let codes = [
        status(&a, "/x").await,
        status(&b, "/x").await,
        status(&a, "/x").await,
        status(&b, "/x").await,
    ];
    assert_eq!(codes, [200, 200, 200, 429]);

    redis.kill();
    // Nothing hangs: the first request after the death waits at most the 100 ms timeout.
    let first = tokio::time::timeout(Duration::from_secs(5), status(&a, "/x"))
        .await
        .expect("a request must not hang on a dead Redis");
    assert_eq!(first, 200, "the local fallback starts counting afresh");
    until_state(&a, false).await;
    until_state(&b, false).await;
    // Each replica now counts alone (3/min each)...
    let mut local = vec![first];
    for _ in 0..3 {
        local.push(status(&a, "/x").await);
    }
    assert_eq!(local, [200, 200, 200, 429]);
    assert_eq!(status(&b, "/x").await, 200);
    // ...a fail-closed limit refuses...
    let closed = client().get(a.url("/closed")).send().await.unwrap();
    assert_eq!(header(&closed, "retry-after"), "1");
    assert_problem(closed, 503, "state-unavailable").await;
    // ...and readiness and metrics say so, without taking the replica out of rotation.
    let ready = a.gw().shared().readiness();
    assert!(ready.ready && ready.state.fallback && ready.state.backend == "redis");
    let metrics = a.gw().shared().metrics.encode();
    assert!(
        metrics.contains("parapet_state_reachable{backend=\"redis\"} 0"),
        "{metrics}"
    );
    let unavailable: u64 = metrics
        .lines()
        .find(|l| l.starts_with("parapet_state_unavailable_total"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(unavailable >= 5, "{unavailable}");

    redis.restart();
    until_state(&a, true).await;
    until_state(&b, true).await;
    let codes = [
        status(&a, "/x").await,
        status(&b, "/x").await,
        status(&a, "/x").await,
        status(&b, "/x").await,
    ];
    assert_eq!(
        codes,
        [200, 200, 200, 429],
        "shared counting resumed on the fresh server"
    );
    assert_eq!(status(&a, "/closed").await, 200);
    let metrics = a.gw().shared().metrics.encode();
    assert!(metrics.contains("parapet_state_reachable{backend=\"redis\"} 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_limits_through_a_redis_cluster() {
    let cluster = parapet_state::testing::RedisCluster::start();
    let up = Upstream::start("up").await;
    let nodes: Vec<String> = cluster.urls().iter().map(|u| format!("\"{u}\"")).collect();
    let yaml = format!(
        "state: {{ cluster: [{}], timeout: 200ms }}\n{}",
        nodes.join(", "),
        one_api(
            &up.url(),
            "{ rate_limit: [ { key: header.x-user, rate: 3/min } ] }"
        )
    );
    let a = start_gateway(&yaml).await;
    let b = start_gateway(&yaml).await;
    until_state(&a, true).await;
    until_state(&b, true).await;
    // Several users, so that their keys land on different nodes.
    for user in ["u1", "u2", "u3", "u4", "u5", "u6"] {
        let mut admitted = 0;
        for gw in [&a, &b, &a, &b, &a] {
            let resp = get_from(gw, "/x", &[("x-user", user)]).await;
            admitted += usize::from(resp.status() == 200);
        }
        assert_eq!(admitted, 3, "user {user}");
    }
}

#[tokio::test]
async fn counters_survive_a_reload_that_keeps_the_state() {
    let up = Upstream::start("up").await;
    let yaml = one_api(&up.url(), "{ rate_limit: [ { key: ip, rate: 3/min } ] }");
    let gw = start_gateway(&yaml).await;
    for _ in 0..2 {
        assert_eq!(get_from(&gw, "/a", &[]).await.status(), 200);
    }
    // Another setting changes; the state does not: the count goes on.
    let changed = yaml.replace("    defaults:", "    hosts: []\n    defaults:");
    let path = write_config(gw.dir.path(), &changed);
    gw.gw()
        .reload(parapet_config::load(&path).unwrap())
        .unwrap();
    assert_eq!(get_from(&gw, "/a", &[]).await.status(), 200);
    assert_eq!(get_from(&gw, "/a", &[]).await.status(), 429);
}
