//! Contract enforcement over real sockets: shadow endpoints, parameters, bodies by media
//! type (JSON, multipart, binary, XML), mass assignment, strict mode, monitor mode, the
//! response exposure filter and enforcement, GraphQL limits, and hot reload of the spec.

use crate::common::*;
use serde_json::{Value, json};
use std::time::Duration;

const SPEC: &str = r##"
openapi: 3.1.0
info: { title: echo, version: "1" }
paths:
  /items:
    get:
      parameters:
        - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 50 } }
        - { name: tags, in: query, style: form, explode: false, schema: { type: array, items: { type: string, enum: [a, b] } } }
      responses:
        "200":
          description: the echo
          content:
            application/json:
              schema:
                type: object
                required: [upstream, method]
                properties:
                  upstream: { type: string }
                  method: { type: string }
                  target: { type: string }
                  headers: { type: object, properties: { host: { type: string } } }
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/Item" }
          application/xml: {}
          application/octet-stream: { schema: { type: string, format: binary } }
          multipart/form-data:
            schema:
              type: object
              required: [name]
              properties: { name: { type: string, maxLength: 20 }, file: { type: string, format: binary } }
            encoding: { file: { contentType: image/png } }
      responses:
        "200": { description: ok, content: { application/json: { schema: { type: object } } } }
  /status/{code}:
    get:
      parameters: [ { name: code, in: path, required: true, schema: { type: integer } } ]
      responses:
        "200": { description: ok, content: { application/json: { schema: { type: object } } } }
  /encoded/{name}:
    get:
      parameters: [ { name: name, in: path, required: true, schema: { type: string } } ]
      responses:
        "200": { description: ok, content: { application/json: { schema: { type: object, properties: { method: { type: string } } } } } }
  /graphql:
    post:
      requestBody: { content: { application/json: { schema: { type: object, required: [query] } } } }
      responses: { "200": { description: ok } }
components:
  schemas:
    Item:
      type: object
      required: [name]
      properties:
        id: { type: integer, readOnly: true }
        name: { type: string, maxLength: 20 }
        tags: { type: array, items: { type: string }, uniqueItems: true }
"##;

/// The API of `one_api` with the spec above as its contract, and `routes`.
fn config(target: &str, defaults: &str, routes: &str) -> String {
    let api = one_api(target, &format!("{{ {defaults} }}")).replace(
        "    upstream: up\n",
        "    upstream: up\n    contract: echo.yaml\n",
    );
    format!("{api}    routes: {{ {routes} }}\n")
}

/// POSTs `body` as JSON to `path`.
async fn post_json(gw: &TestGateway, path: &str, body: &Value) -> reqwest::Response {
    client().post(gw.url(path)).json(body).send().await.unwrap()
}

async fn gateway(up: &Upstream, defaults: &str, routes: &str) -> TestGateway {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("echo.yaml"), SPEC).unwrap();
    start_gateway_in(dir, &config(&up.url(), defaults, routes)).await
}

/// The `errors` of a contract refusal as (in, pointer, rule).
async fn violations(
    resp: reqwest::Response,
    status: u16,
    code: &str,
) -> Vec<(String, String, String)> {
    let body = assert_problem(resp, status, code).await;
    let mut list: Vec<(String, String, String)> = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"))
        .iter()
        .map(|e| {
            (
                e["in"].as_str().unwrap().to_string(),
                e["pointer"].as_str().unwrap().to_string(),
                e["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    list.sort();
    list
}

fn v(part: &str, pointer: &str, rule: &str) -> (String, String, String) {
    (part.into(), pointer.into(), rule.into())
}

#[tokio::test]
async fn shadow_endpoints_are_refused_with_an_event() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: {}", "").await;
    let c = client();
    let resp = c.get(gw.url("/internal/debug")).send().await.unwrap();
    assert_problem(resp, 404, "unknown-endpoint").await;
    let resp = c.delete(gw.url("/items")).send().await.unwrap();
    assert_eq!(resp.headers()["allow"], "GET, POST");
    assert_problem(resp, 405, "unknown-method").await;
    assert_eq!(up.hits(), 0);
    let events = gw.log("events.log", 2).await;
    assert!(
        events
            .iter()
            .all(|e| e["cause"] == "shadow-endpoint" && e["action"] == "blocked"),
        "{events:?}"
    );
    assert_eq!(events[0]["reason"], "unknown-endpoint");
    assert_eq!(events[1]["reason"], "unknown-method");
}

#[tokio::test]
async fn a_route_can_opt_out_of_shadow_endpoint_refusals() {
    let up = Upstream::start("up").await;
    let gw = gateway(
        &up,
        "contract: { unknown_endpoints: monitor }",
        r#""ANY /legacy/{*rest}": { contract: { unknown_endpoints: allow } }"#,
    )
    .await;
    let c = client();
    assert_eq!(
        c.get(gw.url("/legacy/x")).send().await.unwrap().status(),
        200
    );
    assert_eq!(c.get(gw.url("/other")).send().await.unwrap().status(), 200);
    assert_eq!(up.hits(), 2);
    // Only the endpoint without the opt-out is recorded, as monitored.
    let events = gw.log("events.log", 1).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["cause"], "shadow-endpoint");
    assert_eq!(events[0]["action"], "monitored");
}

#[tokio::test]
async fn parameters_are_checked_and_violations_listed() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: {}", "").await;
    let c = client();
    assert_eq!(
        c.get(gw.url("/items?limit=5&tags=a,b"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let resp = c
        .get(gw.url("/items?limit=500&tags=a,zzz"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        violations(resp, 400, "invalid-request").await,
        vec![
            v("query", "/limit", "maximum"),
            v("query", "/tags/1", "enum")
        ]
    );
    let resp = c
        .get(gw.url("/items?limit=1&limit=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        violations(resp, 400, "invalid-request").await,
        vec![v("query", "/limit", "param.repeated")]
    );
    let resp = c.get(gw.url("/status/abc")).send().await.unwrap();
    assert_eq!(
        violations(resp, 400, "invalid-request").await,
        vec![v("path", "/code", "type")]
    );
    // Lax by default: an undeclared query parameter passes.
    assert_eq!(
        c.get(gw.url("/items?debug=1"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(up.hits(), 2);
}

#[tokio::test]
async fn strict_mode_refuses_what_the_contract_does_not_declare() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: { strict: true }", "").await;
    let c = client();
    let resp = c.get(gw.url("/items?debug=1")).send().await.unwrap();
    assert_eq!(
        violations(resp, 400, "invalid-request").await,
        vec![v("query", "/debug", "unknown-parameter")]
    );
    let resp = post_json(&gw, "/items", &json!({"name": "a", "is_admin": true})).await;
    assert_eq!(
        violations(resp, 400, "invalid-request").await,
        vec![v("body", "/is_admin", "additionalProperties")]
    );
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn json_bodies_are_validated_after_the_threat_limits() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: { json: { max_depth: 8 } }", "").await;
    let c = client();
    let ok = post_json(&gw, "/items", &json!({"name": "pen", "tags": ["x", "y"]})).await;
    assert_eq!(ok.status(), 200);
    // Mass assignment: `id` is readOnly.
    let resp = post_json(&gw, "/items", &json!({"name": "pen", "id": 1})).await;
    assert_eq!(
        violations(resp, 400, "invalid-request").await,
        vec![v("body", "/id", "readOnly")]
    );
    let resp = post_json(
        &gw,
        "/items",
        &json!({"name": "a very long name indeed", "tags": ["x", "x"]}),
    )
    .await;
    assert_eq!(
        violations(resp, 400, "invalid-request").await,
        vec![
            v("body", "/name", "maxLength"),
            v("body", "/tags", "uniqueItems")
        ]
    );
    let deep = format!(
        "{{\"name\":\"a\",\"x\":{}1{}}}",
        "[".repeat(20),
        "]".repeat(20)
    );
    let resp = c
        .post(gw.url("/items"))
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(
        violations(resp, 400, "invalid-request").await[0].2,
        "json.max_depth"
    );
    let dup = r#"{"name":"a","name":"b"}"#;
    let resp = c
        .post(gw.url("/items"))
        .header("content-type", "application/json")
        .body(dup)
        .send()
        .await
        .unwrap();
    assert_eq!(
        violations(resp, 400, "invalid-request").await,
        vec![v("body", "/name", "json.duplicate_key")]
    );
    let resp = c
        .post(gw.url("/items"))
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_problem(resp, 415, "unsupported-media-type").await;
    let resp = c
        .post(gw.url("/items"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        violations(resp, 400, "invalid-request").await,
        vec![v("body", "", "required")]
    );
    assert_eq!(up.hits(), 1);
}

#[tokio::test]
async fn uploads_and_xml_are_judged_by_their_declared_media_type() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: {}", "").await;
    let c = client();
    // Binary declared: any bytes pass, even ones that look like attacks or bad JSON.
    let resp = c
        .post(gw.url("/items"))
        .header("content-type", "application/octet-stream")
        .body(vec![0u8, 0xff, b'{', b'<'])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let png = reqwest::multipart::Part::bytes(vec![0x89, b'P', b'N', b'G'])
        .file_name("a.png")
        .mime_str("image/png")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("name", "pic")
        .part("file", png);
    assert_eq!(
        c.post(gw.url("/items"))
            .multipart(form)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let exe = reqwest::multipart::Part::bytes(b"MZ".to_vec())
        .file_name("a.exe")
        .mime_str("application/x-msdownload")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("name", "pic")
        .part("file", exe);
    let resp = c
        .post(gw.url("/items"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        violations(resp, 400, "invalid-request").await,
        vec![v("body", "/file", "encoding.contentType")]
    );
    let form = reqwest::multipart::Form::new().text("other", "x");
    let resp = c
        .post(gw.url("/items"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        violations(resp, 400, "invalid-request").await,
        vec![v("body", "/name", "required")]
    );
    let xxe =
        r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>"#;
    let resp = c
        .post(gw.url("/items"))
        .header("content-type", "application/xml")
        .body(xxe)
        .send()
        .await
        .unwrap();
    assert_eq!(
        violations(resp, 400, "invalid-request").await[0].2,
        "xml.dtd"
    );
    let xml = "<item><name>pen</name></item>";
    assert_eq!(
        c.post(gw.url("/items"))
            .header("content-type", "application/xml")
            .body(xml)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(up.hits(), 3);
}

#[tokio::test]
async fn monitor_mode_lets_violations_through_with_an_event() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: { requests: monitor }", "").await;
    let resp = client()
        .get(gw.url("/items?limit=500"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let events = gw.log("events.log", 1).await;
    assert_eq!(events[0]["reason"], "invalid-request");
    assert_eq!(events[0]["action"], "monitored");
    assert_eq!(events[0]["snippet"], "query/limit maximum");
    // Counted like any refusal, as monitored; and so is the exposure filter's event.
    let metrics = gw.gw().metrics().encode();
    for reason in ["invalid-request", "exposure-filtered"] {
        let line = format!(
            "parapet_refusals_total{{policy=\"contract\",reason=\"{reason}\",action=\"monitored\"}} 1"
        );
        assert!(metrics.contains(&line), "{line}\n{metrics}");
    }
}

#[tokio::test]
async fn responses_lose_what_the_contract_does_not_declare() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: {}", "").await;
    let body: Value = client()
        .get(gw.url("/items"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The echo upstream also sends its version, the request body and every header.
    let headers = body["headers"].as_object().unwrap();
    assert_eq!(headers.keys().collect::<Vec<_>>(), vec!["host"], "{body}");
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, vec!["headers", "method", "target", "upstream"]);
    let events = gw.log("events.log", 1).await;
    assert_eq!(events[0]["reason"], "exposure-filtered");
    let removed = events[0]["snippet"].as_str().unwrap();
    assert!(
        removed.contains("/body_len") && removed.contains("/headers/user-agent")
            || removed.ends_with('…'),
        "{removed}"
    );
}

#[tokio::test]
async fn enforced_responses_that_break_the_contract_become_502() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: { responses: enforce }", "").await;
    let c = client();
    assert_eq!(
        c.get(gw.url("/status/200")).send().await.unwrap().status(),
        200
    );
    // 500 is not a declared response: nothing of it reaches the client.
    let resp = c.get(gw.url("/status/500")).send().await.unwrap();
    let body = assert_problem(resp, 502, "invalid-response").await;
    assert!(body.get("errors").is_none(), "{body}");
    let events = gw.log("events.log", 1).await;
    assert_eq!(events[0]["reason"], "invalid-response");
    assert_eq!(events[0]["snippet"], "body responses");
}

#[tokio::test]
async fn graphql_routes_get_query_limits() {
    let up = Upstream::start("up").await;
    let gw = gateway(
        &up,
        "contract: {}",
        r#""POST /graphql": { contract: { graphql: { max_depth: 3 } } }"#,
    )
    .await;
    let ok = json!({"query": "{ user(id: 1) { name friends { name } } }"});
    assert_eq!(post_json(&gw, "/graphql", &ok).await.status(), 200);
    let deep = json!({"query": "{ a { b { c { d { e } } } } }"});
    let resp = post_json(&gw, "/graphql", &deep).await;
    assert_eq!(
        violations(resp, 400, "invalid-request").await[0].2,
        "graphql.max_depth"
    );
    let intro = json!({"query": "{ __schema { types { name } } }"});
    let resp = post_json(&gw, "/graphql", &intro).await;
    assert_eq!(
        violations(resp, 400, "invalid-request").await[0].2,
        "graphql.introspection"
    );
    assert_eq!(up.hits(), 1);
}

#[tokio::test]
async fn a_changed_spec_is_reloaded_and_a_broken_one_keeps_the_old() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: {}", "").await;
    let _watch = gw.gw().watch(Duration::from_millis(50));
    let c = client();
    assert_eq!(c.get(gw.url("/new")).send().await.unwrap().status(), 404);
    let spec = gw.dir.path().join("echo.yaml");
    std::fs::write(
        &spec,
        SPEC.replace(
            "  /items:\n    get:",
            "  /items:\n    get:\n      deprecated: false",
        )
        .replace(
            "paths:\n",
            "paths:\n  /new:\n    get:\n      responses: { \"200\": { description: ok } }\n",
        ),
    )
    .unwrap();
    let mut reloaded = false;
    for _ in 0..60 {
        if c.get(gw.url("/new")).send().await.unwrap().status() == 200 {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reloaded, "the new spec never took effect");
    std::fs::write(
        &spec,
        "openapi: 3.1.0\npaths: { /x: { get: { parameters: [ { name: q, in: nowhere } ] } } }\n",
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let errors = gw.gw().reload_from_file().unwrap_err();
    assert!(
        errors.contains("echo.yaml") && errors.contains("#/paths/~1x/get/parameters/0"),
        "{errors}"
    );
    assert_eq!(c.get(gw.url("/new")).send().await.unwrap().status(), 200);
    assert_eq!(c.get(gw.url("/x")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn bodies_the_head_did_not_announce_are_refused() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: {}", "").await;
    // Chunked, without Content-Type: there is no declared media type to check it as.
    let (reply, _) = raw(
        gw.addr,
        b"POST /items HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\nc\r\n{\"name\":\"a\"}\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&reply), 415, "{reply}");
    // …and the same, empty, is a missing required body.
    let (reply, _) = raw(
        gw.addr,
        b"POST /items HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&reply), 400, "{reply}");
    assert!(reply.contains(r#""rule":"required""#), "{reply}");
    // An operation that declares no body gets none.
    let (reply, _) = raw(
        gw.addr,
        b"GET /items HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&reply), 400, "{reply}");
    assert!(reply.contains(r#""rule":"requestBody""#), "{reply}");
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn cors_preflights_for_declared_methods_pass() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: {}", "").await;
    let c = client();
    let preflight = |method: &'static str| {
        c.request(reqwest::Method::OPTIONS, gw.url("/items"))
            .header("origin", "https://app.example")
            .header("access-control-request-method", method)
            .send()
    };
    assert_eq!(preflight("POST").await.unwrap().status(), 200);
    assert_eq!(preflight("DELETE").await.unwrap().status(), 405);
    let plain = c
        .request(reqwest::Method::OPTIONS, gw.url("/items"))
        .send()
        .await
        .unwrap();
    assert_problem(plain, 405, "unknown-method").await;
    assert_eq!(up.hits(), 1);
}

#[tokio::test]
async fn responses_that_cannot_be_filtered_do_not_reach_the_client() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: {}", "").await;
    let c = client();
    // The upstream is asked for an identity encoding…
    let echo: Value = c
        .get(gw.url("/status/200"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo["headers"]["accept-encoding"], "identity");
    // …and a compressed answer, which the exposure filter cannot read, becomes a 502 even
    // though responses are only monitored.
    let resp = c.get(gw.url("/encoded/x")).send().await.unwrap();
    assert_problem(resp, 502, "invalid-response").await;
    let events = gw.log("events.log", 1).await;
    assert_eq!(
        events[0]["snippet"],
        "header/Content-Encoding content-encoding"
    );
}

#[tokio::test]
async fn bodiless_responses_are_not_judged_as_bodies() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: { responses: enforce }", "").await;
    let resp = client().head(gw.url("/items")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("content-length"));
    assert_eq!(up.hits(), 1);
}

#[tokio::test]
async fn graphql_documents_cannot_go_around_the_limits() {
    let up = Upstream::start("up").await;
    let gw = gateway(
        &up,
        "contract: {}",
        r#""POST /graphql": { contract: { graphql: {} } }"#,
    )
    .await;
    let c = client();
    let ok = json!({"query": "{ user(id: 1) { name } }"});
    // In the URL of a POST.
    let resp = post_json(
        &gw,
        "/graphql?query=%7B__schema%7Btypes%7Bname%7D%7D%7D",
        &ok,
    )
    .await;
    assert_eq!(
        violations(resp, 400, "invalid-request").await[0].2,
        "graphql.introspection"
    );
    // As a bare document: measured; as another media type: not declared (415).
    let send = |media: &'static str| {
        c.post(gw.url("/graphql"))
            .header("content-type", media)
            .body("{ __schema { types { name } } }")
            .send()
    };
    let resp = send("application/graphql").await.unwrap();
    assert_eq!(resp.status(), 415, "the spec declares JSON only");
    let resp = send("text/plain").await.unwrap();
    assert_eq!(resp.status(), 415);
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn graphql_limits_without_a_spec_refuse_what_they_cannot_measure() {
    let up = Upstream::start("up").await;
    let gw = start_gateway(&one_api(&up.url(), "{ contract: { graphql: {} } }")).await;
    let c = client();
    let send = |media: &'static str, doc: &'static str| {
        c.post(gw.url("/graphql"))
            .header("content-type", media)
            .body(doc)
            .send()
    };
    let resp = send("application/graphql", "{ __schema { types { name } } }")
        .await
        .unwrap();
    assert_eq!(
        violations(resp, 400, "invalid-request").await[0].2,
        "graphql.introspection"
    );
    let resp = send("text/plain", "{ user { name } }").await.unwrap();
    assert_eq!(
        violations(resp, 400, "invalid-request").await[0].2,
        "graphql.syntax"
    );
    assert_eq!(
        send("application/graphql", "{ user { name } }")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(up.hits(), 1);
}

#[tokio::test]
async fn a_preflight_with_a_body_is_a_request_like_any_other() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: {}", "").await;
    let smuggled = client()
        .request(reqwest::Method::OPTIONS, gw.url("/items"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .json(&json!({"name": "a"}))
        .send()
        .await
        .unwrap();
    assert_problem(smuggled, 405, "unknown-method").await;
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn huge_keys_are_not_echoed_whole() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: { strict: true }", "").await;
    let key = "k".repeat(10_000);
    let resp = client()
        .post(gw.url("/items"))
        .json(&json!({"name": "a", key: 1}))
        .send()
        .await
        .unwrap();
    let listed = violations(resp, 400, "invalid-request").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].1.chars().count(),
        201,
        "200 characters and an ellipsis"
    );
    assert_eq!(listed[0].2, "additionalProperties");
}

#[tokio::test]
async fn a_repeated_content_type_is_refused() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "contract: {}", "").await;
    let (reply, _) = raw(
        gw.addr,
        b"POST /items HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Type: application/xml\r\nContent-Length: 12\r\n\r\n{\"name\":\"a\"}",
    )
    .await;
    assert_eq!(status_of(&reply), 400, "{reply}");
    assert!(
        reply.contains(r#""pointer":"/Content-Type","rule":"repeated""#),
        "{reply}"
    );
    assert_eq!(up.hits(), 0);
}
