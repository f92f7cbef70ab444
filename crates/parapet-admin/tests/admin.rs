//! The admin endpoints over a real socket, next to a running gateway.

// Test helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use parapet_proxy::Gateway;
use std::time::Duration;

async fn start(yaml: &str) -> (Gateway, String) {
    let config = parapet_config::parse(std::path::Path::new("gw.yaml"), yaml).unwrap();
    let gateway = Gateway::start(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(parapet_admin::serve(
        listener,
        gateway.shared(),
        std::future::pending(),
    ));
    (gateway, admin)
}

#[tokio::test]
async fn metrics_health_and_readiness() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let yaml = format!(
        "listen: [{{ addr: \"127.0.0.1:0\" }}]\nlog: {{ access: \"off\", events: \"off\" }}\nupstreams:\n  down: {{ targets: [\"http://{dead}\"], health: {{ path: /h, interval: 50ms, unhealthy_after: 1 }} }}\napis: [{{ name: a, upstream: down, defaults: {{ authn: public, ip_access: {{ deny: [127.0.0.0/8] }} }} }}]\n"
    );
    let (gateway, admin) = start(&yaml).await;
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let gw = format!("http://{}/x", gateway.local_addrs()[0]);
    assert_eq!(c.get(&gw).send().await.unwrap().status(), 403);

    assert_eq!(
        c.get(format!("{admin}/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok\n"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ready = c.get(format!("{admin}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(
        ready.text().await.unwrap(),
        r#"{"ready":false,"draining":false,"unavailable_upstreams":["down"],"state":{"backend":"memory","reachable":true,"fallback":false}}"#
    );

    let metrics = c
        .get(format!("{admin}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "parapet_requests_total{api=\"a\",route=\"-\",method=\"GET\",status=\"403\"} 1",
        "parapet_refusals_total{policy=\"ip_access\",reason=\"ip-denied\",action=\"blocked\"} 1",
        "parapet_upstream_healthy{upstream=\"down\",target=\"",
        "parapet_request_duration_seconds_count{api=\"a\"} 1",
        "parapet_connections_active ",
    ] {
        assert!(metrics.contains(needle), "missing {needle:?} in\n{metrics}");
    }
    assert!(
        metrics.contains(&format!(
            "parapet_upstream_healthy{{upstream=\"down\",target=\"{dead}\"}} 0"
        )),
        "{metrics}"
    );
}

/// A gateway whose API needs an API key, with an admin token and an HMAC JWT issuer, plus
/// a plain upstream that answers 200.
/// A gateway with a store, an HS256 issuer and an admin token (when `token`); `extra` is
/// added to the config (e.g. a `state`).
async fn start_with_identity(dir: &std::path::Path, token: bool, extra: &str) -> (Gateway, String) {
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up = upstream.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async { "ok" });
    tokio::spawn(async move { axum::serve(upstream, app).await });
    std::fs::write(dir.join("admin.token"), "admin-token-0123456789\n").unwrap();
    std::fs::write(dir.join("hs.key"), "k".repeat(32)).unwrap();
    let admin = if token {
        format!(
            "admin: {{ addr: \"127.0.0.1:0\", token: {{ file: {}/admin.token }} }}",
            dir.display()
        )
    } else {
        String::new()
    };
    let yaml = format!(
        r#"
listen: [{{ addr: "127.0.0.1:0" }}]
log: {{ access: "off", events: "off" }}
{admin}
store: {dir}/parapet.db
{extra}
consumers: [{{ id: dave }}]
identity:
  jwt: [{{ issuer: https://id.example, algorithms: [HS256], secret: {{ file: {dir}/hs.key }} }}]
upstreams: {{ u: {{ targets: ["http://{up}"] }} }}
apis: [{{ name: a, upstream: u, defaults: {{ authn: [api_key, jwt] }} }}]
"#,
        dir = dir.display()
    );
    start(&yaml).await
}

#[tokio::test]
async fn consumers_and_keys_are_managed_behind_the_admin_token() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, admin) = start_with_identity(dir.path(), true, "").await;
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let gw = format!("http://{}/x", gateway.local_addrs()[0]);
    let token = "Bearer admin-token-0123456789";
    let authed = |method: reqwest::Method, path: &str| {
        c.request(method, format!("{admin}{path}"))
            .header("authorization", token)
    };

    // Without the token, or with a wrong one: 401, and nothing is created.
    for auth in [
        None,
        Some("Bearer admin-token-0123456788"),
        Some("admin-token-0123456789"),
    ] {
        let mut req = c.post(format!("{admin}/consumers")).body(r#"{"id":"eve"}"#);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401);
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }

    let created = authed(reqwest::Method::POST, "/consumers")
        .header("content-type", "application/json")
        .body(r#"{"id":"carol","roles":["user"],"metadata":{"team":"red"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let again = authed(reqwest::Method::POST, "/consumers")
        .body(r#"{"id":"carol"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);

    let key: serde_json::Value = authed(reqwest::Method::POST, "/consumers/carol/keys")
        .body(r#"{"label":"ci"}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = key["secret"].as_str().unwrap().to_string();
    let id = key["key"]["id"].as_str().unwrap().to_string();
    let call = || c.get(&gw).header("x-api-key", &secret).send();
    assert_eq!(call().await.unwrap().status(), 200);

    let listed = authed(reqwest::Method::GET, "/consumers/carol/keys")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains(&id) && listed.contains("\"label\":\"ci\""),
        "{listed}"
    );
    assert!(!listed.contains(&secret), "a listing shows no secret");

    let revoked = authed(reqwest::Method::DELETE, &format!("/keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        call().await.unwrap().status(),
        401,
        "revoked on the next request"
    );

    let declared = authed(reqwest::Method::DELETE, "/consumers/dave")
        .send()
        .await
        .unwrap();
    assert_eq!(
        declared.status(),
        409,
        "a config consumer is changed in the config"
    );
    let deleted = authed(reqwest::Method::DELETE, "/consumers/carol")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = authed(reqwest::Method::GET, "/consumers/carol")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);

    // The JWT key cache, on the admin API and in metrics.
    let keys: serde_json::Value = authed(reqwest::Method::GET, "/jwt/keys")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys[0]["issuer"], "https://id.example");
    assert_eq!(keys[0]["source"], "secret");
    assert!(
        !keys.to_string().contains("kkkk"),
        "no key material: {keys}"
    );
    let metrics = c
        .get(format!("{admin}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("parapet_jwt_keys{issuer=\"https://id.example\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("parapet_jwt_key_fetches_total{issuer=\"https://id.example\"} 0"));
}

#[tokio::test]
async fn identity_endpoints_are_off_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let (_gateway, admin) = start_with_identity(dir.path(), false, "").await;
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let resp = c.get(format!("{admin}/consumers")).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    let body = resp.text().await.unwrap();
    assert!(body.contains("admin-token-not-configured"), "{body}");
}

/// A token with `jti`, valid for ten minutes, from the HS256 issuer of `start_with_identity`.
fn token(jti: &str) -> (String, u64) {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let claims =
        serde_json::json!({ "iss": "https://id.example", "sub": "dave", "jti": jti, "exp": exp });
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret("k".repeat(32).as_bytes()),
    )
    .unwrap();
    (token, exp)
}

#[tokio::test]
async fn a_revoked_token_stays_revoked_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, admin) = start_with_identity(dir.path(), true, "").await;
    let (token, exp) = token("t-restart");
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let revoke = c
        .post(format!("{admin}/revocations"))
        .bearer_auth("admin-token-0123456789")
        .json(&serde_json::json!({ "method": "jwt", "credential": "t-restart", "expires_at": exp }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    gateway.shutdown().await;
    let (gateway, _) = start_with_identity(dir.path(), true, "").await;
    let resp = c
        .get(format!("http://{}/x", gateway.local_addrs()[0]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_on_one_replica_is_refused_by_the_other() {
    let redis = parapet_state::testing::RedisServer::start();
    let state = format!("state: {}", redis.url());
    // Two replicas, each with a store of its own, sharing Redis.
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, admin_a) = start_with_identity(dir_a.path(), true, &state).await;
    let (b, _) = start_with_identity(dir_b.path(), true, &state).await;
    for gw in [&a, &b] {
        while !gw.shared().readiness().state.reachable {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let (token, exp) = token("t-1");
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let call = |gw: &Gateway| {
        c.get(format!("http://{}/x", gw.local_addrs()[0]))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(call(&b).await.unwrap().status(), 200);
    let revoke = c
        .post(format!("{admin_a}/revocations"))
        .bearer_auth("admin-token-0123456789")
        .json(&serde_json::json!({ "method": "jwt", "credential": "t-1", "expires_at": exp }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    let refused = call(&b).await.unwrap();
    assert_eq!(
        refused.status(),
        401,
        "replica B refuses a token revoked through A"
    );
    assert!(refused.headers().contains_key("www-authenticate"));
    assert_eq!(call(&a).await.unwrap().status(), 401);
    // Malformed revocations are refused.
    let bad = c
        .post(format!("{admin_a}/revocations"))
        .bearer_auth("admin-token-0123456789")
        .json(&serde_json::json!({ "method": "password", "credential": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}
