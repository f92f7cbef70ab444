//! The policy pipeline end to end: refusals as problem+json with events, monitor mode,
//! per-route overrides, and the two built-in policies.

use crate::common::*;
use serde_json::Value;

#[tokio::test]
async fn each_limit_refuses_with_its_status_and_reason_before_the_upstream() {
    let up = Upstream::start("a").await;
    let limits = "{ limits: { max_url_length: 64, max_query_params: 3, max_headers: 12, max_header_size: 200, content_types: [application/json], methods: [GET, POST] } }";
    let gw = start_gateway(&one_api(&up.url(), limits)).await;
    let c = client();
    assert_problem(
        c.get(gw.url(&format!("/{}", "a".repeat(80))))
            .send()
            .await
            .unwrap(),
        414,
        "url-too-long",
    )
    .await;
    assert_problem(
        c.get(gw.url("/?a=1&b=2&c=3&d=4")).send().await.unwrap(),
        400,
        "too-many-query-params",
    )
    .await;
    let mut many = c.get(gw.url("/"));
    for i in 0..15 {
        many = many.header(format!("x-h{i}"), "1");
    }
    assert_problem(many.send().await.unwrap(), 431, "too-many-headers").await;
    assert_problem(
        c.get(gw.url("/"))
            .header("x-long", "v".repeat(300))
            .send()
            .await
            .unwrap(),
        431,
        "header-too-large",
    )
    .await;
    let xml = c
        .post(gw.url("/"))
        .header("content-type", "text/xml")
        .body("<a/>")
        .send()
        .await
        .unwrap();
    assert_problem(xml, 415, "unsupported-media-type").await;
    assert_problem(
        c.delete(gw.url("/")).send().await.unwrap(),
        405,
        "method-not-allowed",
    )
    .await;
    assert_eq!(up.hits(), 0);
    let ok = c
        .post(gw.url("/?a=1"))
        .header("content-type", "application/json; charset=utf-8")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let events = gw.log("events.log", 6).await;
    let reasons: Vec<&str> = events
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "url-too-long",
            "too-many-query-params",
            "too-many-headers",
            "header-too-large",
            "unsupported-media-type",
            "method-not-allowed"
        ]
    );
    let e = &events[4];
    assert_eq!(e["policy"], "limits");
    assert_eq!(e["action"], "blocked");
    assert_eq!(e["client_ip"], "127.0.0.1");
    assert_eq!(e["api"], "test");
    assert_eq!(e["part"]["kind"], "header");
    assert_eq!(e["part"]["name"], "content-type");
    assert_eq!(e["snippet"], "text/xml");
    assert_eq!(e["status"], 415);
    assert!(e["request_id"].as_str().unwrap().len() >= 16);
}

#[tokio::test]
async fn monitor_mode_records_and_lets_through() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&one_api(&up.url(), "{ ip_access: { deny: [127.0.0.0/8], mode: monitor }, limits: { methods: [GET], mode: monitor } }")).await;
    let resp = client().put(gw.url("/x")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(up.hits(), 1);
    let events = gw.log("events.log", 2).await;
    assert_eq!(events[0]["policy"], "ip_access");
    assert_eq!(events[0]["action"], "monitored");
    assert_eq!(events[1]["policy"], "limits");
    assert_eq!(events[1]["reason"], "method-not-allowed");
    assert_eq!(events[1]["action"], "monitored");
}

#[tokio::test]
async fn routes_override_api_defaults() {
    let up = Upstream::start("a").await;
    let yaml = format!(
        r#"
listen: [{{ addr: "127.0.0.1:0" }}]
upstreams: {{ up: {{ targets: ["{}"] }} }}
apis:
  - name: shop
    upstream: up
    defaults:
      authn: public
      limits: {{ methods: [GET] }}
    routes:
      "POST /orders": {{ limits: {{ methods: [POST], max_body: 10B }} }}
      "ANY /admin/{{*rest}}": {{ ip_access: {{ allow: [10.0.0.0/8] }} }}
      "GET /users/{{id}}": {{ ip_access: {{ deny: ["::1", 127.0.0.1] }} }}
"#,
        up.url()
    );
    let gw = start_gateway(&yaml).await;
    let c = client();
    assert_eq!(
        c.post(gw.url("/orders"))
            .body("{}")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_problem(
        c.post(gw.url("/orders"))
            .body("12345678901")
            .send()
            .await
            .unwrap(),
        413,
        "body-too-large",
    )
    .await;
    assert_problem(
        c.post(gw.url("/other")).body("{}").send().await.unwrap(),
        405,
        "method-not-allowed",
    )
    .await;
    assert_problem(
        c.get(gw.url("/admin/users")).send().await.unwrap(),
        403,
        "ip-denied",
    )
    .await;
    assert_problem(
        c.get(gw.url("/users/42")).send().await.unwrap(),
        403,
        "ip-denied",
    )
    .await;
    assert_eq!(c.get(gw.url("/users")).send().await.unwrap().status(), 200);
    let access = gw.log("access.log", 6).await;
    let routes: Vec<&Value> = access.iter().map(|l| &l["route"]).collect();
    assert_eq!(routes[0], "POST /orders");
    assert_eq!(routes[3], "ANY /admin/{*rest}");
    assert_eq!(routes[4], "GET /users/{id}");
    assert!(routes[5].is_null());
}

#[tokio::test]
async fn ip_access_on_a_listener_refuses_connections_ipv6_included() {
    let up = Upstream::start("a").await;
    let yaml = format!(
        r#"
listen:
  - {{ addr: "[::1]:0", ip_access: {{ deny: ["::1/128"] }} }}
upstreams: {{ up: {{ targets: ["{}"] }} }}
apis: [{{ name: t, upstream: up, defaults: {{ authn: public }} }}]
"#,
        up.url()
    );
    let gw = start_gateway(&yaml).await;
    let (reply, closed) = raw(gw.addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").await;
    assert!(closed && reply.is_empty(), "denied peer got {reply:?}");
    let events = gw.log("events.log", 1).await;
    assert_eq!(events[0]["part"]["kind"], "connection");
    assert_eq!(events[0]["client_ip"], "::1");
}
