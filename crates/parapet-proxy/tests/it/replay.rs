//! Replay protection and idempotency keys over real sockets: signed requests (RFC 9421)
//! sent twice, stale, or with a body altered after signing; header nonces; nonces shared
//! by two replicas through Redis; and idempotent retries answered from the stored response.

use crate::common::*;
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hmac;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use parapet_state::testing::RedisServer;
use std::time::{SystemTime, UNIX_EPOCH};

const SECRET: &str = "an-hmac-secret-of-at-least-32-bytes!";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A gateway whose `POST /orders` requires a signature by alice's key `alice-1`.
async fn signed_gateway(target: &str, state: &str) -> TestGateway {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alice.key"), SECRET).unwrap();
    std::fs::write(dir.path().join("bob.pem"), ed25519_public_pem()).unwrap();
    let yaml = format!(
        r#"
{state}
consumers:
  - id: alice
    signing_keys: [ {{ id: alice-1, hmac_sha256: {{ file: $DIR/alice.key }} }} ]
  - id: bob
    signing_keys: [ {{ id: bob-ed, ed25519: $DIR/bob.pem }} ]
{}"#,
        one_api(target, "{}").replace(
            "    defaults:",
            "    routes:\n      \"POST /orders\": { replay: { window: 60s, signature: {} } }\n      \"POST /plain\": { replay: { window: 60s } }\n      \"POST /hdr\": { replay: { window: 60s, nonce: header.x-nonce, signature: {} } }\n    defaults:",
        )
    );
    start_gateway_in(dir, &yaml).await
}

/// A request signed the way a client following RFC 9421 would: the signature base is
/// built here, independently of the gateway's code.
struct Signed {
    body: String,
    digest: String,
    input: String,
    signature: String,
}

fn sign(authority: &str, path: &str, body: &str, created: u64, nonce: &str) -> Signed {
    let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes());
    sign_with(authority, path, body, created, nonce, "alice-1", |base| {
        hmac::sign(&key, base).as_ref().to_vec()
    })
}

fn sign_with(
    authority: &str,
    path: &str,
    body: &str,
    created: u64,
    nonce: &str,
    keyid: &str,
    signer: impl Fn(&[u8]) -> Vec<u8>,
) -> Signed {
    let digest = format!(
        "sha-256=:{}:",
        STANDARD.encode(digest(&SHA256, body.as_bytes()))
    );
    let params = format!(
        r#"("@method" "@authority" "@path" "@query" "content-digest");created={created};nonce="{nonce}";keyid="{keyid}""#
    );
    let base = format!(
        "\"@method\": POST\n\"@authority\": {authority}\n\"@path\": {path}\n\"@query\": ?\n\"content-digest\": {digest}\n\"@signature-params\": {params}"
    );
    let signature = STANDARD.encode(signer(base.as_bytes()));
    Signed {
        body: body.to_string(),
        digest,
        input: format!("sig1={params}"),
        signature: format!("sig1=:{signature}:"),
    }
}

/// Bob's Ed25519 key pair, the same for every test (from a fixed seed).
fn bob() -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[7u8; 32]).unwrap()
}

/// Bob's public key as a SubjectPublicKeyInfo PEM.
fn ed25519_public_pem() -> String {
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(bob().public_key().as_ref());
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(der)
    )
}

async fn send(gw: &TestGateway, s: &Signed) -> reqwest::Response {
    send_to(gw, "/orders", s, &[]).await
}

/// Sends the signed request `s` to `path` with `extra` headers.
async fn send_to(
    gw: &TestGateway,
    path: &str,
    s: &Signed,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client()
        .post(gw.url(path))
        .header("content-type", "application/json")
        .header("content-digest", &s.digest)
        .header("signature-input", &s.input)
        .header("signature", &s.signature);
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    req.body(s.body.clone()).send().await.unwrap()
}

#[tokio::test]
async fn a_signed_request_is_accepted_once_and_never_altered_or_late() {
    let up = Upstream::start("up").await;
    let gw = signed_gateway(&up.url(), "").await;
    let authority = gw.addr.to_string();
    let order = sign(&authority, "/orders", r#"{"qty":1}"#, now(), "n-1");
    assert_eq!(send(&gw, &order).await.status(), 200);
    // The very same request again.
    let again = send(&gw, &order).await;
    assert_problem(again, 409, "request-replayed").await;

    // A body altered after signing, the digest left as signed.
    let mut altered = sign(&authority, "/orders", r#"{"qty":1}"#, now(), "n-2");
    altered.body = r#"{"qty":100}"#.into();
    assert_problem(send(&gw, &altered).await, 400, "content-digest-mismatch").await;
    // Altered with a fresh digest: the signature no longer matches.
    let fresh_digest = format!(
        "sha-256=:{}:",
        STANDARD.encode(digest(&SHA256, altered.body.as_bytes()))
    );
    altered.digest = fresh_digest;
    let refused = send(&gw, &altered).await;
    assert!(
        refused.headers()["accept-signature"]
            .to_str()
            .unwrap()
            .contains("\"content-digest\"")
    );
    assert_problem(refused, 401, "invalid-signature").await;

    // Signed ten minutes ago, outside the 60 s window.
    let stale = sign(&authority, "/orders", "{}", now() - 600, "n-3");
    assert_problem(send(&gw, &stale).await, 400, "request-expired").await;
    // Not signed at all.
    let unsigned = client()
        .post(gw.url("/orders"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(unsigned, 400, "replay-protection-required").await;
    assert_eq!(up.hits(), 1, "only the first request reached the upstream");

    let events = gw.log("events.log", 5).await;
    let causes: Vec<&str> = events.iter().filter_map(|e| e["cause"].as_str()).collect();
    assert!(
        causes.contains(&"digest-mismatch") && causes.contains(&"signature-mismatch"),
        "{causes:?}"
    );
}

#[tokio::test]
async fn an_ed25519_signature_is_verified_with_the_consumers_public_key() {
    let up = Upstream::start("up").await;
    let gw = signed_gateway(&up.url(), "").await;
    let authority = gw.addr.to_string();
    let by_bob = |nonce: &str, body: &str| {
        sign_with(
            &authority,
            "/orders",
            body,
            now(),
            nonce,
            "bob-ed",
            |base| bob().sign(base).as_ref().to_vec(),
        )
    };
    assert_eq!(send(&gw, &by_bob("e-1", "{}")).await.status(), 200);
    // Signed by another key under bob's key id.
    let other = Ed25519KeyPair::from_seed_unchecked(&[8u8; 32]).unwrap();
    let forged = sign_with(
        &authority,
        "/orders",
        "{}",
        now(),
        "e-2",
        "bob-ed",
        |base| other.sign(base).as_ref().to_vec(),
    );
    assert_problem(send(&gw, &forged).await, 401, "invalid-signature").await;
    // The nonce space is bob's: alice's "e-1" is not his.
    let alice = sign(&authority, "/orders", "{}", now(), "e-1");
    assert_eq!(send(&gw, &alice).await.status(), 200);
    assert_problem(
        send(&gw, &by_bob("e-1", "{}")).await,
        409,
        "request-replayed",
    )
    .await;
}

#[tokio::test]
async fn a_header_nonce_on_a_signed_route_must_be_signed_too() {
    let up = Upstream::start("up").await;
    let gw = signed_gateway(&up.url(), "").await;
    // Signed without covering x-nonce: a captured request could be replayed with a new one.
    let s = sign(&gw.addr.to_string(), "/hdr", "{}", now(), "unused");
    let resp = send_to(&gw, "/hdr", &s, &[("x-nonce", "fresh-1")]).await;
    assert!(
        resp.headers()["accept-signature"]
            .to_str()
            .unwrap()
            .contains("\"x-nonce\"")
    );
    assert_problem(resp, 401, "invalid-signature").await;
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn header_nonces_and_timestamps_are_checked() {
    let up = Upstream::start("up").await;
    let gw = signed_gateway(&up.url(), "").await;
    let post = |nonce: &str, ts: String| {
        client()
            .post(gw.url("/plain"))
            .header("x-nonce", nonce)
            .header("x-timestamp", ts)
            .body("{}")
            .send()
    };
    assert_eq!(post("a", now().to_string()).await.unwrap().status(), 200);
    assert_problem(
        post("a", now().to_string()).await.unwrap(),
        409,
        "request-replayed",
    )
    .await;
    assert_eq!(
        post("b", parapet_policy::rfc3339(SystemTime::now()))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_problem(
        post("c", (now() - 120).to_string()).await.unwrap(),
        400,
        "request-expired",
    )
    .await;
    assert_problem(
        post("d", (now() + 120).to_string()).await.unwrap(),
        400,
        "request-expired",
    )
    .await;
    let bare = client()
        .post(gw.url("/plain"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(bare, 400, "replay-protection-required").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nonce_used_on_one_replica_is_refused_by_the_other() {
    let redis = RedisServer::start();
    let up = Upstream::start("up").await;
    let state = format!("state: {}", redis.url());
    let a = signed_gateway(&up.url(), &state).await;
    let b = signed_gateway(&up.url(), &state).await;
    for gw in [&a, &b] {
        for _ in 0..200 {
            if gw.gw().shared().readiness().state.reachable {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
    let post = |gw: &TestGateway, nonce: &str| {
        client()
            .post(gw.url("/plain"))
            .header("x-nonce", nonce)
            .header("x-timestamp", now().to_string())
            .body("{}")
            .send()
    };
    assert_eq!(post(&a, "shared-1").await.unwrap().status(), 200);
    assert_problem(post(&b, "shared-1").await.unwrap(), 409, "request-replayed").await;
}

/// A gateway with idempotent `POST /orders` (and a `/status/500` route), optionally
/// requiring the key.
async fn idempotent_gateway(target: &str) -> TestGateway {
    let yaml = one_api(target, "{ idempotency: {} }").replace(
        "    defaults:",
        "    routes:\n      \"POST /strict\": { idempotency: { required: true } }\n    defaults:",
    );
    start_gateway(&yaml).await
}

async fn post_with_key(gw: &TestGateway, path: &str, key: &str, body: &str) -> reqwest::Response {
    client()
        .post(gw.url(path))
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_retried_request_gets_the_first_response_and_runs_once() {
    let up = Upstream::start("up").await;
    let gw = idempotent_gateway(&up.url()).await;
    let first = post_with_key(&gw, "/orders", "k-1", r#"{"qty":1}"#).await;
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_body = first.text().await.unwrap();
    let retry = post_with_key(&gw, "/orders", "k-1", r#"{"qty":1}"#).await;
    assert_eq!(retry.status(), 200);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.headers()["content-type"], "application/json");
    assert_eq!(
        retry.text().await.unwrap(),
        first_body,
        "the stored response, byte for byte"
    );
    assert_eq!(up.hits(), 1);
    // The same key for another request.
    let reused = post_with_key(&gw, "/orders", "k-1", r#"{"qty":2}"#).await;
    assert_problem(reused, 422, "idempotency-key-reused").await;
    // Without a key the route is not idempotent; with another key it runs again.
    assert_eq!(
        client()
            .post(gw.url("/orders"))
            .body("{}")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        post_with_key(&gw, "/orders", "k-2", r#"{"qty":1}"#)
            .await
            .status(),
        200
    );
    assert_eq!(up.hits(), 3);
    // A required key.
    let missing = client()
        .post(gw.url("/strict"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(missing, 400, "idempotency-key-required").await;
}

#[tokio::test]
async fn a_key_in_progress_is_refused_and_a_failed_one_released() {
    let up = Upstream::start("up").await;
    let gw = idempotent_gateway(&up.url()).await;
    let slow = {
        let url = gw.url("/slow/600");
        tokio::spawn(async move {
            client()
                .post(url)
                .header("idempotency-key", "slow")
                .body("{}")
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let busy = post_with_key(&gw, "/slow/600", "slow", "{}").await;
    assert_eq!(busy.headers()["retry-after"], "1");
    assert_problem(busy, 409, "idempotency-key-in-progress").await;
    assert_eq!(slow.await.unwrap(), 200);
    // A server error is not kept: the retry runs.
    assert_eq!(
        post_with_key(&gw, "/status/500", "e", "{}").await.status(),
        500
    );
    assert_eq!(
        post_with_key(&gw, "/status/500", "e", "{}").await.status(),
        500
    );
    assert_eq!(up.hits(), 3);
}

#[tokio::test]
async fn a_buffered_response_is_bounded() {
    let up = Upstream::start("up").await;
    let gw = start_gateway(&one_api(
        &up.url(),
        "{ idempotency: {}, limits: { max_body: 32MiB } }",
    ))
    .await;
    // The echo upstream answers with the body it got: 17 MiB, above the 16 MiB bound.
    let big = "x".repeat(17 * 1024 * 1024);
    let resp = client()
        .post(gw.url("/echo"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_problem(resp, 502, "upstream-error").await;
    let small = client()
        .post(gw.url("/echo"))
        .body("ok")
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 200);
}
