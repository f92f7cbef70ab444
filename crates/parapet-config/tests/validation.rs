//! Configuration errors: strict parsing and semantic validation report every problem at

// Test helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! once, each at its file, line and column.

use parapet_config::{LogTarget, Mode, parse};
use std::path::Path;

fn errors(yaml: &str) -> Vec<String> {
    match parse(Path::new("/etc/parapet/gw.yaml"), yaml) {
        Ok(_) => panic!("config accepted:\n{yaml}"),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

const VALID: &str = r#"
listen:
  - addr: "127.0.0.1:8080"
upstreams:
  books: { targets: ["http://127.0.0.1:9090", "https://books.internal:8443"] }
apis:
  - name: books
    upstream: books
    defaults:
      limits: { max_body: 1MiB, max_url_length: 2KiB, methods: [GET, POST] }
    routes:
      "POST /login": { limits: { max_body: 4KiB, mode: monitor } }
"#;

#[test]
fn a_valid_file_becomes_validated_types_with_defaults() {
    let c = parse(Path::new("gw.yaml"), VALID).unwrap();
    assert_eq!(c.listeners[0].addr.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.max_header_bytes, 16 * 1024);
    assert_eq!(c.log.access, LogTarget::Stdout);
    let api = &c.apis[0];
    assert_eq!(
        api.defaults.limits.as_ref().unwrap().max_body,
        Some(1024 * 1024)
    );
    assert_eq!(
        api.defaults.limits.as_ref().unwrap().max_url_length,
        Some(2048)
    );
    let login = &api.routes[0];
    assert_eq!(login.path, "/login");
    let limits = login.policies.limits.as_ref().unwrap();
    assert_eq!((limits.max_body, limits.mode), (Some(4096), Mode::Monitor));
    assert_eq!(c.upstreams["books"].targets.len(), 2);
}

#[test]
fn unknown_fields_are_errors_with_their_location() {
    let e = errors("listen:\n  - addr: \"127.0.0.1:1\"\n    tsl: {}\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("/etc/parapet/gw.yaml:3:5: unknown field `tsl`"),
        "{e:?}"
    );
}

#[test]
fn type_errors_point_at_the_value() {
    let e = errors("listen: [{ addr: \"127.0.0.1:1\" }]\nserver:\n  timeouts: { idle: soon }\n");
    assert!(
        e[0].starts_with("/etc/parapet/gw.yaml:3:21: invalid duration \"soon\""),
        "{e:?}"
    );
    let e = errors("listen: [{ addr: \"127.0.0.1:1\" }]\nserver:\n  max_header_bytes: lots\n");
    assert!(e[0].contains(":3:21: invalid size \"lots\""), "{e:?}");
}

#[test]
fn every_semantic_error_is_reported_at_once() {
    let yaml = r#"
listen:
  - addr: "127.0.0.1:80800"
  - addr: "127.0.0.1:8080"
  - addr: "127.0.0.1:8080"
trusted_proxies: [10.0.0.0/33, 10.1.1.1/8]
upstreams:
  books: { targets: ["ftp://x", "http://a/path"] }
  empty: { targets: [] }
apis:
  - name: books
    upstream: bookz
    defaults:
      ip_access: { deny: [not-an-ip] }
      limits: { max_body: 0, methods: [FETCH], content_types: [json] }
    routes:
      "GET /users/{id}": {}
      "GET /users/{name}": {}
      "/nomethod": {}
  - name: shadow
    upstream: books
server:
  max_header_bytes: 8KiB
  timeouts: { idle: 0s }
"#;
    let e = errors(yaml);
    let expected = [
        ":3:11: invalid address \"127.0.0.1:80800\"",
        ":5:11: address 127.0.0.1:8080 is listed twice",
        ":6:19: invalid network \"10.0.0.0/33\"",
        ":6:32: network \"10.1.1.1/8\" has host bits set; did you mean 10.0.0.0/8?",
        ":8:22: invalid target \"ftp://x\": scheme must be http or https",
        ":8:33: invalid target \"http://a/path\": a target is scheme://host:port only",
        ":9:10: upstream \"empty\" has no targets",
        ":12:15: unknown upstream \"bookz\" (declared: books, empty)",
        ":14:27: invalid network \"not-an-ip\"",
        ":15:27: max_body must be greater than zero",
        ":15:40: unknown method \"FETCH\"",
        ":15:64: invalid media type \"json\"",
        ":18:28: route \"GET /users/{name}\" conflicts with \"/users/{id}\"",
        ":19:20: route \"/nomethod\" must be \"METHOD /path\"",
        ":20:5: api \"shadow\" is shadowed by api \"books\"",
        ":24:21: idle timeout must be greater than zero",
    ];
    let mut sorted = e.clone();
    sorted.sort_by_key(|line| {
        let mut parts = line
            .split(':')
            .skip(1)
            .take(2)
            .map(|n| n.parse::<u64>().unwrap());
        (parts.next(), parts.next())
    });
    assert_eq!(e, sorted, "errors are listed in file order");
    for want in expected {
        assert!(
            e.iter()
                .any(|got| got.starts_with("/etc/parapet/gw.yaml") && got.contains(want)),
            "missing {want:?} in:\n{}",
            e.join("\n")
        );
    }
    assert_eq!(
        e.len(),
        expected.len(),
        "unexpected extra errors:\n{}",
        e.join("\n")
    );
}

#[test]
fn impossible_limits_and_unreadable_files_are_refused() {
    let yaml = r#"
listen:
  - addr: "127.0.0.1:8443"
    tls: { cert: missing.pem, key: missing.key, client_auth: optional }
server: { max_header_bytes: 4KiB }
upstreams: { u: { targets: ["http://127.0.0.1:1"] } }
apis:
  - name: a
    upstream: u
    defaults: { limits: { max_header_size: 8KiB, content_types: [] } }
"#;
    let e = errors(yaml);
    let joined = e.join("\n");
    assert!(
        joined.contains(":4:18: cannot read /etc/parapet/missing.pem"),
        "{joined}"
    );
    assert!(
        joined.contains(":4:36: cannot read /etc/parapet/missing.key"),
        "{joined}"
    );
    assert!(
        joined.contains("client_auth is set but client_ca is missing"),
        "{joined}"
    );
    assert!(joined.contains(":10:44: max_header_size 8.0 KiB can never be reached: server.max_header_bytes is 4.0 KiB"), "{joined}");
    assert!(
        joined.contains(":10:65: content_types is empty"),
        "{joined}"
    );
}

#[test]
fn relative_files_resolve_against_the_config_folder_and_are_watched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), "not pem").unwrap();
    let yaml = "listen: [{ addr: \"127.0.0.1:1\" }]\nupstreams: { u: { targets: [\"https://x:1\"], tls: { ca: ca.pem } } }\n";
    let e = parapet_config::parse(&dir.path().join("gw.yaml"), yaml).unwrap_err();
    assert!(
        e.to_string().contains("ca.pem holds no PEM certificate"),
        "{e}"
    );
}

#[test]
fn warnings_flag_risky_but_valid_settings() {
    let yaml = "listen: [{ addr: \"127.0.0.1:1\" }]\nadmin: { addr: \"0.0.0.0:9901\" }\nupstreams: { u: { targets: [\"https://x:1\"], tls: { dangerous_skip_verify: true } } }\n";
    let c = parse(Path::new("gw.yaml"), yaml).unwrap();
    assert!(
        c.warnings.iter().any(|w| w.contains("not on loopback")),
        "{:?}",
        c.warnings
    );
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("TLS verification is OFF")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn apis_are_matched_most_specific_first() {
    let yaml = r#"
listen: [{ addr: "127.0.0.1:1" }]
upstreams: { u: { targets: ["http://127.0.0.1:2"] } }
apis:
  - { name: root, upstream: u }
  - { name: v1, upstream: u, base_path: /v1/ }
  - { name: v1host, upstream: u, base_path: /v1, hosts: [API.example] }
"#;
    let c = parse(Path::new("gw.yaml"), yaml).unwrap();
    let names: Vec<&str> = c.apis.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["v1host", "v1", "root"]);
    assert_eq!(c.apis[0].hosts, ["api.example"]);
    assert_eq!(c.apis[1].base_path, "/v1");
}

#[test]
fn duplicate_keys_are_errors() {
    let yaml = r#"
listen: [{ addr: "127.0.0.1:1" }]
upstreams: { u: { targets: ["http://127.0.0.1:2"] } }
apis:
  - name: a
    upstream: u
    routes:
      "GET /x": {}
      "GET /x": { limits: { max_body: 1B } }
"#;
    let e = errors(yaml);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("/etc/parapet/gw.yaml:9:7:") && e[0].contains("duplicate"),
        "{e:?}"
    );
}

#[test]
fn endless_or_huge_files_are_refused_not_read() {
    let yaml = "listen: [{ addr: \"127.0.0.1:1\" }]\nupstreams: { u: { targets: [\"https://x:1\"], tls: { ca: /dev/zero } } }\n";
    let e = errors(yaml);
    assert_eq!(
        e,
        ["/etc/parapet/gw.yaml:2:56: /dev/zero is larger than 1 MiB"]
    );
}

#[test]
fn identity_mistakes_are_reported_where_they_are() {
    let yaml = r#"
listen: [{ addr: "127.0.0.1:8080" }]
consumers:
  - { id: "bad id", roles: [admin] }
  - { id: ok, scopes: ["two words"] }
  - { id: ok }
identity:
  jwt:
    - { issuer: https://a.example, algorithms: [RS256, HS256], jwks_url: "https://a.example/jwks" }
    - { issuer: https://b.example, algorithms: [none], discovery: true }
    - { issuer: https://c.example, algorithms: [RS256] }
    - { issuer: https://d.example, algorithms: [HS256], secret: { env: PARAPET_TEST_UNSET_SECRET } }
upstreams: { u: { targets: ["http://127.0.0.1:9"] } }
apis:
  - name: a
    upstream: u
    defaults: { authn: [jwt, passwords] }
    routes:
      "GET /users/{id}": { authz: { object: "path.user == claims.sub" } }
      "GET /x": { authz: { object: "claims.sub == path.id" } }
      "GET /y": { authn: { methods: [introspection] } }
      "GET /z": { authn: public, authz: { roles: [admin] } }
"#;
    let e = errors(yaml);
    let expected = [
        ":4:11: consumer id \"bad id\" must be 1 to 128 characters",
        ":5:24: scope \"two words\" must be a non-empty word",
        ":6:11: consumer \"ok\" is declared twice",
        ":9:48: HMAC (HS*) and public-key algorithms cannot be mixed",
        ":10:49: algorithm \"none\" is not accepted",
        ":11:7: give the issuer's keys",
        ":12:72: environment variable PARAPET_TEST_UNSET_SECRET is not set",
        ":17:24: authn \"passwords\": write public, or list methods among",
        ":19:26: object rule \"path.user == claims.sub\": route \"GET /users/{id}\" has no path parameter {user}",
        ":20:26: object rule \"claims.sub == path.id\": the left side must start with path., query., header. or body.",
        ":21:26: introspection needs identity.introspection",
        ":22:17: route \"GET /z\" has authz rules but no authn",
    ];
    for want in expected {
        assert!(
            e.iter().any(|got| got.contains(want)),
            "missing {want:?} in:\n{}",
            e.join("\n")
        );
    }
    assert_eq!(e.len(), expected.len(), "extra errors:\n{}", e.join("\n"));
}

#[test]
fn public_and_unauthenticated_routes_are_warned_about() {
    let yaml = r#"
listen: [{ addr: "127.0.0.1:8080" }]
upstreams: { u: { targets: ["http://127.0.0.1:9"] } }
apis:
  - name: a
    upstream: u
    defaults: { authn: [api_key] }
    routes:
      "GET /open": { authn: public }
      "GET /closed": { authz: { scopes: [read] } }
  - name: b
    upstream: u
    base_path: /b
    routes:
      "GET /forgotten": {}
"#;
    let config = parse(Path::new("gw.yaml"), yaml).unwrap();
    let w = config.warnings.join("\n");
    assert!(w.contains("route \"GET /open\" is public"), "{w}");
    assert!(
        w.contains("route \"GET /forgotten\" has no authn: every request to it is refused"),
        "{w}"
    );
    assert_eq!(config.warnings.len(), 2, "{w}");
}
