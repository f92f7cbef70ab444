//! Benchmarks of the identity hot paths, against the requirement "JWT verification with a
//! cached key and API-key lookup each add p99 < 50 µs":
//!
//! - `jwt/verify_new_token/{RS256,ES256,EdDSA,HS256}`: [`JwtVerifier::verify`] of valid
//!   tokens never seen before, whose key is already known (static PEM keys or an HMAC
//!   secret; the verifier holds all four issuers, as a gateway would): the full signature
//!   check. The tokens cycle through more than the verified-token cache holds.
//! - `jwt/verify_repeat_token/{…}`: the same token again, as a client sends it on every
//!   request until it expires: answered from the cache of verified tokens.
//! - `api_key/check/{valid,unknown}`: [`Store::check_key`] on a SQLite file (in a temporary
//!   directory) holding 10 000 keys of 1 000 consumers; `valid` cycles through all the
//!   keys, `unknown` through 10 000 well-formed secrets that are not keys.
//!
//! Criterion reports means and medians; after it, a second pass times 20 000 single calls
//! of each case (after a warm-up) and prints `p99 <case>: <µs> µs (p50 <µs>)`, since the
//! requirement is about p99. That pass is skipped with `--list`, `--test` or
//! `--profile-time`.
//!
//! Run: `cargo bench -p parapet-identity --bench identity`. Keys: `tests/data/jwt/`
//! (test-only).

// Setup failures are bench failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use parapet_config::{ClaimNames, JwtAlgorithm, JwtIssuer, JwtKeys, PemKey, Secret};
use parapet_identity::jwt::JwtVerifier;
use parapet_store::{Consumer, KeyCheck, Origin, Store};
use serde_json::json;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/jwt");
const SECRET: &[u8] = b"test-only-hmac-secret-0123456789abcdef";
const CONSUMERS: usize = 1_000;
const KEYS_PER_CONSUMER: usize = 10;
/// Single calls timed per case in the percentile pass.
const P99_CALLS: usize = 20_000;
/// Untimed calls before them.
const P99_WARMUP: usize = 2_000;

// ---------------------------------------------------------------------------------------
// Fixtures

/// Distinct tokens per algorithm for `verify_new_token`: more than the verified-token
/// cache keeps (10 000), so that every call misses it.
const FRESH_TOKENS: usize = 11_000;

/// One JWT case: its name (the algorithm), a valid token, and many distinct ones.
struct JwtCase {
    name: &'static str,
    token: String,
    fresh: Vec<String>,
}

struct Fixtures {
    verifier: JwtVerifier,
    jwt: Vec<JwtCase>,
    store: Store,
    valid_keys: Vec<String>,
    unknown_keys: Vec<String>,
    /// Holds the SQLite file until the end.
    _dir: tempfile::TempDir,
}

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}/{name}")).unwrap()
}

fn pem(file: &str, kid: &str) -> JwtKeys {
    JwtKeys::Pem(vec![PemKey {
        kid: Some(kid.to_string()),
        pem: read(file),
        path: format!("{DATA}/{file}").into(),
    }])
}

fn issuer(name: &str, keys: JwtKeys, alg: JwtAlgorithm) -> Arc<JwtIssuer> {
    Arc::new(JwtIssuer {
        issuer: name.to_string(),
        audiences: vec!["api".to_string()],
        algorithms: vec![alg],
        keys,
        leeway: Duration::from_secs(30),
        max_token_size: 8 * 1024,
        refresh: Duration::from_secs(600),
        refetch_min_interval: Duration::from_secs(60),
        fetch_timeout: Duration::from_secs(2),
        claims: ClaimNames::default(),
    })
}

/// A typical access token of `iss`, valid for a day; `jti` makes it unique.
fn mint(alg: Algorithm, iss: &str, kid: &str, key: &EncodingKey, jti: usize) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({
        "jti": format!("t{jti}"),
        "iss": iss,
        "sub": "alice",
        "aud": "api",
        "iat": now,
        "nbf": now,
        "exp": now + 86_400,
        "scope": "orders:read orders:write",
        "roles": ["user"],
    });
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

fn jwt_fixtures() -> (JwtVerifier, Vec<JwtCase>) {
    let private = |file: &str| read(file).into_bytes();
    // (case, algorithm, issuer, kid, verification keys, signing key)
    let setups = [
        (
            "RS256",
            JwtAlgorithm::RS256,
            "https://rsa.example",
            "rsa_a",
            pem("rsa_a.pub.pem", "rsa_a"),
            EncodingKey::from_rsa_pem(&private("rsa_a.key")).unwrap(),
        ),
        (
            "ES256",
            JwtAlgorithm::ES256,
            "https://ec.example",
            "ec_p256",
            pem("ec_p256.pub.pem", "ec_p256"),
            EncodingKey::from_ec_pem(&private("ec_p256.key")).unwrap(),
        ),
        (
            "EdDSA",
            JwtAlgorithm::EdDSA,
            "https://ed.example",
            "ed25519",
            pem("ed25519.pub.pem", "ed25519"),
            EncodingKey::from_ed_pem(&private("ed25519.key")).unwrap(),
        ),
        (
            "HS256",
            JwtAlgorithm::HS256,
            "https://hmac.example",
            "hmac",
            JwtKeys::Secret(Secret(SECRET.to_vec())),
            EncodingKey::from_secret(SECRET),
        ),
    ];
    let mut issuers = Vec::new();
    let mut cases = Vec::new();
    for (name, alg, iss, kid, keys, signing) in setups {
        issuers.push(issuer(iss, keys, alg));
        let alg: Algorithm = name.parse().unwrap();
        cases.push(JwtCase {
            name,
            token: mint(alg, iss, kid, &signing, 0),
            fresh: (1..=FRESH_TOKENS)
                .map(|i| mint(alg, iss, kid, &signing, i))
                .collect(),
        });
    }
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let verifier = JwtVerifier::new(&issuers, http, None).unwrap();
    // Benchmark the success path, not an early refusal.
    for case in &cases {
        let verified = now_or_never(verifier.verify(&case.token, &[]));
        assert!(verified.is_ok(), "{}: {verified:?}", case.name);
    }
    (verifier, cases)
}

fn store_fixtures() -> (tempfile::TempDir, Store, Vec<String>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("parapet.db")).unwrap();
    let started = Instant::now();
    let mut valid = Vec::with_capacity(CONSUMERS * KEYS_PER_CONSUMER);
    for i in 0..CONSUMERS {
        let consumer = Consumer {
            id: format!("consumer-{i:04}"),
            name: format!("Consumer {i}"),
            scopes: vec!["orders:read".to_string(), "orders:write".to_string()],
            roles: vec!["user".to_string()],
            rate_plan: Some("standard".to_string()),
            metadata: BTreeMap::from([("tenant".to_string(), format!("t{}", i % 50))]),
            certificates: Vec::new(),
            origin: Origin::Api,
        };
        store.create_consumer(&consumer).unwrap();
        for _ in 0..KEYS_PER_CONSUMER {
            let key = store.create_key(&consumer.id, Some("bench"), None).unwrap();
            valid.push(key.secret);
        }
    }
    eprintln!(
        "store: {} keys of {CONSUMERS} consumers created in {:.1} s",
        valid.len(),
        started.elapsed().as_secs_f64()
    );
    // Well-formed (`pk_` + 43 URL-safe characters) but not keys.
    let unknown: Vec<String> = (0..valid.len()).map(|i| format!("pk_{i:043}")).collect();
    assert!(matches!(
        store.check_key(&valid[0], SystemTime::now()).unwrap(),
        KeyCheck::Valid { .. }
    ));
    assert_eq!(
        store.check_key(&unknown[0], SystemTime::now()).unwrap(),
        KeyCheck::Unknown
    );
    (dir, store, valid, unknown)
}

impl Fixtures {
    fn new() -> Fixtures {
        let (verifier, jwt) = jwt_fixtures();
        let (dir, store, valid_keys, unknown_keys) = store_fixtures();
        Fixtures {
            verifier,
            jwt,
            store,
            valid_keys,
            unknown_keys,
            _dir: dir,
        }
    }
}

/// Polls a future once: the cached-key path of `verify` must complete without waiting.
fn now_or_never<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the cached-key path waited"),
    }
}

/// One API-key check, cycling through `keys`.
fn check(store: &Store, keys: &[String], next: &mut usize) -> KeyCheck {
    let key = &keys[*next % keys.len()];
    *next += 1;
    store.check_key(black_box(key), SystemTime::now()).unwrap()
}

// ---------------------------------------------------------------------------------------
// Criterion

fn bench_jwt(c: &mut Criterion, fx: &Fixtures) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("jwt/verify_new_token");
    for case in &fx.jwt {
        let mut next = 0;
        group.bench_function(BenchmarkId::from_parameter(case.name), |b| {
            b.to_async(&rt).iter(|| {
                let token = &case.fresh[next % case.fresh.len()];
                next += 1;
                async move { fx.verifier.verify(black_box(token), &[]).await.unwrap() }
            });
        });
    }
    group.finish();
    let mut group = c.benchmark_group("jwt/verify_repeat_token");
    for case in &fx.jwt {
        group.bench_with_input(
            BenchmarkId::from_parameter(case.name),
            &case.token,
            |b, token| {
                b.to_async(&rt)
                    .iter(|| async { fx.verifier.verify(black_box(token), &[]).await.unwrap() });
            },
        );
    }
    group.finish();
}

fn bench_api_key(c: &mut Criterion, fx: &Fixtures) {
    let mut group = c.benchmark_group("api_key/check");
    for (name, keys) in [("valid", &fx.valid_keys), ("unknown", &fx.unknown_keys)] {
        let mut next = 0;
        group.bench_function(name, |b| b.iter(|| check(&fx.store, keys, &mut next)));
    }
    group.finish();
}

// ---------------------------------------------------------------------------------------
// Percentiles

/// Times `P99_CALLS` single calls of `call` after `P99_WARMUP` untimed ones and prints
/// the p99 and p50 (nearest rank).
fn percentiles(case: &str, call: impl FnMut()) {
    parapet_state::testing::percentiles(case, P99_WARMUP, P99_CALLS, call);
}

fn p99_pass(fx: &Fixtures) {
    println!("\nsingle-call percentiles ({P99_CALLS} calls per case, after {P99_WARMUP}):");
    for case in &fx.jwt {
        let mut next = 0;
        percentiles(&format!("jwt/verify_new_token/{}", case.name), || {
            let token = &case.fresh[next % case.fresh.len()];
            next += 1;
            black_box(now_or_never(fx.verifier.verify(black_box(token), &[])).unwrap());
        });
        percentiles(&format!("jwt/verify_repeat_token/{}", case.name), || {
            black_box(now_or_never(fx.verifier.verify(black_box(&case.token), &[])).unwrap());
        });
    }
    for (name, keys) in [("valid", &fx.valid_keys), ("unknown", &fx.unknown_keys)] {
        let mut next = 0;
        percentiles(&format!("api_key/check/{name}"), || {
            black_box(check(&fx.store, keys, &mut next));
        });
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let skip_percentiles = args
        .iter()
        .any(|a| a == "--list" || a == "--test" || a.starts_with("--profile-time"));
    let fx = Fixtures::new();
    let mut c = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_jwt(&mut c, &fx);
    bench_api_key(&mut c, &fx);
    c.final_summary();
    if !skip_percentiles {
        p99_pass(&fx);
    }
}
