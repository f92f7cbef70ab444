//! Traffic-control configuration: the `state` forms, rate-limit inheritance and scopes,
//! sensitive routes, replay defaults, and errors at their file, line and column.

// Test helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use parapet_config::{KeyPart, NonceSource, RedisTarget, TimestampSource, parse};
use std::path::Path;
use std::time::Duration;

fn config(head: &str, defaults: &str, routes: &str) -> String {
    format!(
        "{head}\nlisten: [{{ addr: \"127.0.0.1:8080\" }}]\nupstreams: {{ up: {{ targets: [\"http://127.0.0.1:9\"] }} }}\napis:\n  - name: shop\n    upstream: up\n    defaults: {{ authn: public, {defaults} }}\n    routes:\n{routes}"
    )
}

fn errors(yaml: &str) -> Vec<String> {
    match parse(Path::new("gw.yaml"), yaml) {
        Ok(_) => panic!("config accepted:\n{yaml}"),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn state_forms() {
    let state = |head: &str| {
        parse(Path::new("gw.yaml"), &config(head, "", "      {}\n"))
            .unwrap()
            .state
    };
    assert_eq!(state("").redis, None);
    assert_eq!(state("state: memory").redis, None);
    assert_eq!(
        state("state: redis://10.0.0.5:6379").redis,
        Some(RedisTarget::Single("redis://10.0.0.5:6379".into()))
    );
    let full = state(
        "state: { cluster: [redis://a:7000, redis://b:7000], timeout: 20ms, prefix: \"gw:\" }",
    );
    assert_eq!(
        full.redis,
        Some(RedisTarget::Cluster(vec![
            "redis://a:7000".into(),
            "redis://b:7000".into()
        ]))
    );
    assert_eq!(
        (full.timeout, full.prefix.as_str()),
        (Duration::from_millis(20), "gw:")
    );
}

#[test]
fn route_limits_replace_the_apis_and_sensitive_adds_to_them() {
    let yaml = config(
        "",
        "rate_limit: [ { key: consumer, rate: 100/s } ]",
        "      \"GET /a\": {}\n      \"POST /b\": { rate_limit: [ { key: [ip, route], rate: 5/min, burst: 2, name: b } ] }\n      \"POST /login\": { sensitive: { username: body.user.name } }\n",
    );
    let c = parse(Path::new("gw.yaml"), &yaml).unwrap();
    let route = |path: &str| {
        &c.apis[0]
            .routes
            .iter()
            .find(|r| r.path == path)
            .unwrap()
            .policies
    };
    let a = &route("/a").rate_limits;
    assert_eq!(
        (a.len(), a[0].name.as_str(), a[0].scope.as_str()),
        (1, "100/s per consumer", "shop")
    );
    let b = &route("/b").rate_limits;
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0].burst, b[0].key.clone()),
        (2, vec![KeyPart::Ip, KeyPart::Route])
    );
    assert_eq!(b[0].scope, "shop POST /b");
    let login: Vec<&str> = route("/login")
        .rate_limits
        .iter()
        .map(|l| l.name.as_str())
        .collect();
    assert_eq!(
        login,
        [
            "100/s per consumer",
            "sensitive per ip",
            "sensitive per username"
        ]
    );
    assert_eq!(
        route("/login").rate_limits[2].key,
        [KeyPart::Username(Box::new(KeyPart::Body(vec![
            "user".into(),
            "name".into()
        ])))]
    );
}

#[test]
fn replay_sources_default_from_the_signature() {
    let yaml = config(
        "",
        "",
        "      \"POST /a\": { replay: { signature: {} } }\n      \"POST /b\": { replay: { nonce: jti, window: 30s } }\n      \"POST /c\": { replay: {} }\n",
    );
    let c = parse(Path::new("gw.yaml"), &yaml).unwrap();
    let replay = |i: usize| c.apis[0].routes[i].policies.replay.clone().unwrap();
    assert_eq!(
        (replay(0).nonce, replay(0).timestamp),
        (NonceSource::Signature, TimestampSource::Created)
    );
    assert_eq!(
        (replay(1).nonce, replay(1).timestamp),
        (NonceSource::Jti, TimestampSource::Iat)
    );
    assert_eq!(replay(1).window, Duration::from_secs(30));
    assert_eq!(replay(2).nonce, NonceSource::Header("x-nonce".into()));
}

#[test]
fn traffic_errors_point_at_the_value() {
    let e = errors(&config(
        "state: rediss://cache:6380",
        "rate_limit: [ { key: ip, rate: 10/fortnight }, { key: cookie.x, rate: 1/s } ]",
        "      \"POST /a\": { quota: { limit: 10, per: week } }\n      \"POST /b\": { replay: { nonce: signature } }\n      \"POST /c\": { rate_limit: [ { key: ip, rate: 1/s, name: x }, { key: route, rate: 2/s, name: x } ] }\n",
    ));
    let has = |line: u32, text: &str| {
        assert!(
            e.iter()
                .any(|m| m.starts_with(&format!("gw.yaml:{line}:")) && m.contains(text)),
            "no error at line {line} with {text:?}: {e:#?}"
        )
    };
    has(1, "(rediss://) is not supported");
    has(7, "invalid rate \"10/fortnight\"");
    has(7, "invalid key \"cookie.x\"");
    has(9, "invalid quota period \"week\"");
    has(10, "need a signature block");
    has(11, "two rate limits are named \"x\"");
}
