//! JWT verification through the public API over real sockets: a JWKS (and discovery)
//! server on 127.0.0.1, tokens minted with `jsonwebtoken` for every supported algorithm,
//! and the attacks the verifier must refuse. Keys: `tests/data/jwt/` (test-only).

// Test helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, AlgorithmFamily, EncodingKey, Header, encode};
use parapet_config::{ClaimNames, JwtAlgorithm, JwtIssuer, JwtKeys, PemKey, Secret};
use parapet_identity::jwt::{IssuerKeys, JwtFailure, JwtVerifier};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/jwt");
const SECRET: &[u8] = b"test-only-hmac-secret-0123456789abcdef";
const PUBLIC_KEY_ALGS: [JwtAlgorithm; 4] = [
    JwtAlgorithm::RS256,
    JwtAlgorithm::PS256,
    JwtAlgorithm::ES256,
    JwtAlgorithm::EdDSA,
];

// ---------------------------------------------------------------------------------------
// Keys and tokens

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}/{name}")).unwrap()
}

/// The public JWK of a test key, from `jwks.json` (kid = key file name).
fn jwk(kid: &str) -> Value {
    let set: Value = serde_json::from_str(&read("jwks.json")).unwrap();
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("no key {kid} in jwks.json"))
        .clone()
}

fn jwks(kids: &[&str]) -> String {
    json!({ "keys": kids.iter().map(|k| jwk(k)).collect::<Vec<_>>() }).to_string()
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn claims(iss: &str) -> Value {
    json!({ "iss": iss, "sub": "alice", "aud": "api", "iat": now(), "exp": now() + 600 })
}

/// Signs with the private key of `key` (a file stem in the test data, or the HMAC test
/// secret for HS*).
fn sign(alg: Algorithm, key: &str, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    sign_with(&header, key, claims)
}

fn sign_with(header: &Header, key: &str, claims: &Value) -> String {
    let private = || read(&format!("{key}.key"));
    let key = match header.alg.family() {
        AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(private().as_bytes()).unwrap(),
        AlgorithmFamily::Ec => EncodingKey::from_ec_pem(private().as_bytes()).unwrap(),
        AlgorithmFamily::Ed => EncodingKey::from_ed_pem(private().as_bytes()).unwrap(),
        AlgorithmFamily::Hmac => EncodingKey::from_secret(SECRET),
    };
    encode(header, claims, &key).unwrap()
}

/// A token assembled by hand (for headers `jsonwebtoken` cannot produce).
fn raw_token(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

// ---------------------------------------------------------------------------------------
// Configuration

fn issuer(name: &str, keys: JwtKeys, algorithms: &[JwtAlgorithm]) -> JwtIssuer {
    JwtIssuer {
        issuer: name.to_string(),
        audiences: vec!["api".to_string()],
        algorithms: algorithms.to_vec(),
        keys,
        leeway: Duration::from_secs(30),
        max_token_size: 8 * 1024,
        refresh: Duration::from_secs(600),
        refetch_min_interval: Duration::from_secs(60),
        fetch_timeout: Duration::from_secs(2),
        claims: ClaimNames::default(),
    }
}

fn pem(file: &str, kid: Option<&str>) -> PemKey {
    PemKey {
        kid: kid.map(str::to_string),
        pem: read(file),
        path: format!("{DATA}/{file}").into(),
    }
}

fn hmac_issuer() -> JwtIssuer {
    issuer(
        "https://hmac.example",
        JwtKeys::Secret(Secret(SECRET.to_vec())),
        &[JwtAlgorithm::HS256],
    )
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn arcs(issuers: &[JwtIssuer]) -> Vec<Arc<JwtIssuer>> {
    issuers.iter().cloned().map(Arc::new).collect()
}

fn verifier(issuers: &[JwtIssuer]) -> JwtVerifier {
    JwtVerifier::new(&arcs(issuers), http(), None).unwrap()
}

async fn check(v: &JwtVerifier, token: &str) -> Result<Value, JwtFailure> {
    v.verify(token, &[])
        .await
        .map(|ok| Value::Object(ok.claims))
}

async fn failure(v: &JwtVerifier, token: &str) -> JwtFailure {
    v.verify(token, &[]).await.unwrap_err()
}

fn cache_of(v: &JwtVerifier, issuer: &str) -> IssuerKeys {
    v.key_cache()
        .into_iter()
        .find(|k| k.issuer == issuer)
        .unwrap()
}

fn kids(cache: &IssuerKeys) -> Vec<String> {
    cache
        .keys
        .iter()
        .map(|k| k.kid.clone().unwrap_or_default())
        .collect()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_fetched(v: &JwtVerifier, issuer: &str) {
    wait_until("a first fetch", || {
        cache_of(v, issuer).last_fetched.is_some()
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// A JWKS and OIDC discovery server

#[derive(Default)]
struct ServerState {
    jwks: Mutex<String>,
    issuer: Mutex<String>,
    jwks_hits: AtomicUsize,
    discovery_hits: AtomicUsize,
    fail: AtomicBool,
    delay_ms: AtomicU64,
}

struct Server {
    base: String,
    state: Arc<ServerState>,
}

impl Server {
    async fn start(jwks: String) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(ServerState {
            jwks: Mutex::new(jwks),
            issuer: Mutex::new(base.clone()),
            ..ServerState::default()
        });
        let app = Router::new()
            .route("/jwks.json", get(serve_jwks))
            .route("/.well-known/openid-configuration", get(serve_discovery))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { base, state }
    }

    fn url(&self) -> String {
        format!("{}/jwks.json", self.base)
    }

    fn hits(&self) -> usize {
        self.state.jwks_hits.load(SeqCst)
    }

    fn set_jwks(&self, jwks: String) {
        *self.state.jwks.lock().unwrap() = jwks;
    }
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn serve_jwks(State(state): State<Arc<ServerState>>) -> Response {
    state.jwks_hits.fetch_add(1, SeqCst);
    let delay = state.delay_ms.load(SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if state.fail.load(SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
    }
    let body = state.jwks.lock().unwrap().clone();
    json_response(body)
}

async fn serve_discovery(State(state): State<Arc<ServerState>>) -> Response {
    state.discovery_hits.fetch_add(1, SeqCst);
    let issuer = state.issuer.lock().unwrap().clone();
    let base = issuer.clone();
    json_response(json!({ "issuer": issuer, "jwks_uri": format!("{base}/jwks.json") }).to_string())
}

// ---------------------------------------------------------------------------------------
// Valid tokens

#[tokio::test]
async fn valid_tokens_for_every_algorithm() {
    let server = Server::start(jwks(&["rsa_a", "ec_p256", "ed25519"])).await;
    let remote = issuer(
        "https://jwks.example",
        JwtKeys::Jwks(server.url()),
        &PUBLIC_KEY_ALGS,
    );
    let pem_keys = issuer(
        "https://pem.example",
        JwtKeys::Pem(vec![
            pem("rsa_a.pub.pem", Some("a")),
            pem("ec_p256.pub.pem", None),
            pem("ed25519.pub.pem", Some("ed")),
            pem("rsa_b.cert.pem", Some("b-cert")),
        ]),
        &PUBLIC_KEY_ALGS,
    );
    let v = verifier(&[remote, pem_keys, hmac_issuer()]);

    // JWKS keys; no start(): the first token fetches them on demand.
    let iss = "https://jwks.example";
    for (alg, key, kid) in [
        (Algorithm::RS256, "rsa_a", "rsa_a"),
        (Algorithm::PS256, "rsa_a", "rsa_a"),
        (Algorithm::ES256, "ec_p256", "ec_p256"),
        (Algorithm::EdDSA, "ed25519", "ed25519"),
    ] {
        let ok = v
            .verify(&sign(alg, key, Some(kid), &claims(iss)), &[])
            .await
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        assert_eq!(ok.issuer, iss);
        assert_eq!(ok.claims["sub"], "alice");
    }
    // A token without kid: one key per algorithm family, so it is unambiguous.
    check(&v, &sign(Algorithm::ES256, "ec_p256", None, &claims(iss)))
        .await
        .unwrap();
    assert_eq!(server.hits(), 1, "keys are cached after the first fetch");

    // PEM keys, one given as a certificate; the EC key has no kid so any token may use it.
    let iss = "https://pem.example";
    for (alg, key, kid) in [
        (Algorithm::RS256, "rsa_a", Some("a")),
        (Algorithm::PS256, "rsa_a", Some("a")),
        (Algorithm::RS256, "rsa_b", Some("b-cert")),
        (Algorithm::ES256, "ec_p256", None),
        (Algorithm::ES256, "ec_p256", Some("any")),
        (Algorithm::EdDSA, "ed25519", Some("ed")),
    ] {
        check(&v, &sign(alg, key, kid, &claims(iss)))
            .await
            .unwrap_or_else(|e| panic!("{alg:?} {kid:?}: {e}"));
    }

    // HMAC with the configured secret, with or without kid.
    let iss = "https://hmac.example";
    let ok = check(&v, &sign(Algorithm::HS256, "", None, &claims(iss)))
        .await
        .unwrap();
    assert_eq!(ok["aud"], "api");
    check(&v, &sign(Algorithm::HS256, "", Some("k1"), &claims(iss)))
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// Algorithm attacks

#[tokio::test]
async fn alg_none_is_never_accepted() {
    let pem_keys = issuer(
        "https://pem.example",
        JwtKeys::Pem(vec![pem("rsa_a.pub.pem", None)]),
        &[JwtAlgorithm::RS256],
    );
    let v = verifier(&[hmac_issuer(), pem_keys]);
    for iss in ["https://hmac.example", "https://pem.example"] {
        for alg in ["none", "None", "NONE", "nOnE"] {
            let header = json!({ "alg": alg, "typ": "JWT" });
            for signature in [&b""[..], b"x"] {
                let token = raw_token(&header, &claims(iss), signature);
                assert_eq!(
                    failure(&v, &token).await,
                    JwtFailure::AlgorithmNotAllowed,
                    "{alg}"
                );
            }
        }
    }
    // Unknown algorithms, a missing one, and one configured for another issuer only.
    let token = raw_token(
        &json!({ "alg": "HS1" }),
        &claims("https://hmac.example"),
        b"x",
    );
    assert_eq!(failure(&v, &token).await, JwtFailure::AlgorithmNotAllowed);
    let token = raw_token(
        &json!({ "typ": "JWT" }),
        &claims("https://hmac.example"),
        b"x",
    );
    assert_eq!(failure(&v, &token).await, JwtFailure::Malformed);
    let token = sign(Algorithm::HS256, "", None, &claims("https://pem.example"));
    assert_eq!(failure(&v, &token).await, JwtFailure::AlgorithmNotAllowed);
    let token = sign(
        Algorithm::ES256,
        "ec_p256",
        None,
        &claims("https://hmac.example"),
    );
    assert_eq!(failure(&v, &token).await, JwtFailure::AlgorithmNotAllowed);
}

#[tokio::test]
async fn rsa_public_key_is_never_an_hmac_secret() {
    let public_pem = read("rsa_a.pub.pem");
    let forge = |iss: &str, kid: Option<&str>| {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = kid.map(str::to_string);
        let key = EncodingKey::from_secret(public_pem.as_bytes());
        encode(&header, &claims(iss), &key).unwrap()
    };

    // The normal case: an RS256 issuer refuses HS256 outright.
    let iss = "https://pem.example";
    let pem_keys = issuer(
        iss,
        JwtKeys::Pem(vec![pem("rsa_a.pub.pem", Some("a"))]),
        &[JwtAlgorithm::RS256],
    );
    let v = verifier(std::slice::from_ref(&pem_keys));
    for kid in [Some("a"), None] {
        assert_eq!(
            failure(&v, &forge(iss, kid)).await,
            JwtFailure::AlgorithmNotAllowed
        );
    }

    // Even with HS256 allowed next to RS256 (which config validation refuses), a public key
    // never verifies an HMAC: there is no HMAC key.
    let mixed = JwtIssuer {
        algorithms: vec![JwtAlgorithm::RS256, JwtAlgorithm::HS256],
        ..pem_keys
    };
    let v = verifier(&[mixed]);
    for kid in [Some("a"), None] {
        assert_eq!(failure(&v, &forge(iss, kid)).await, JwtFailure::UnknownKey);
    }
    check(
        &v,
        &sign(Algorithm::RS256, "rsa_a", Some("a"), &claims(iss)),
    )
    .await
    .unwrap();

    // A JWKS never supplies HMAC keys: a symmetric JWK holding the PEM text is skipped.
    let oct =
        json!({ "keys": [{ "kty": "oct", "kid": "a", "k": URL_SAFE_NO_PAD.encode(&public_pem) }] });
    let server = Server::start(oct.to_string()).await;
    let iss = "https://jwks.example";
    let v = verifier(&[issuer(
        iss,
        JwtKeys::Jwks(server.url()),
        &[JwtAlgorithm::HS256],
    )]);
    assert_eq!(
        failure(&v, &forge(iss, Some("a"))).await,
        JwtFailure::KeysUnavailable
    );
    let cache = cache_of(&v, iss);
    assert!(cache.keys.is_empty());
    assert!(cache.last_error.unwrap().contains("no usable signing key"));
}

// ---------------------------------------------------------------------------------------
// Claims

#[tokio::test]
async fn time_claims() {
    let v = verifier(&[hmac_issuer()]);
    let iss = "https://hmac.example";
    let with = |name: &str, value: Value| {
        let mut c = claims(iss);
        c[name] = value;
        sign(Algorithm::HS256, "", None, &c)
    };
    assert_eq!(
        failure(&v, &with("exp", json!(now() - 3600))).await,
        JwtFailure::Expired
    );
    // Within the 30 s leeway.
    check(&v, &with("exp", json!(now() - 10))).await.unwrap();
    assert_eq!(
        failure(&v, &with("nbf", json!(now() + 3600))).await,
        JwtFailure::NotYetValid
    );
    check(&v, &with("nbf", json!(now() + 10))).await.unwrap();
    check(&v, &with("nbf", json!(now() - 10))).await.unwrap();
    assert_eq!(
        failure(&v, &with("iat", json!(now() + 3600))).await,
        JwtFailure::IssuedInFuture
    );
    check(&v, &with("iat", json!(now() + 10))).await.unwrap();
    check(&v, &with("iat", json!((now() - 5) as f64 + 0.5)))
        .await
        .unwrap();

    let mut no_exp = claims(iss);
    no_exp.as_object_mut().unwrap().remove("exp");
    let token = sign(Algorithm::HS256, "", None, &no_exp);
    assert_eq!(failure(&v, &token).await, JwtFailure::MissingExp);
    assert_eq!(
        failure(&v, &with("exp", Value::Null)).await,
        JwtFailure::MissingExp
    );
    // An exp that is not a NumericDate counts as no exp.
    assert_eq!(
        failure(&v, &with("exp", json!("tomorrow"))).await,
        JwtFailure::MissingExp
    );
    assert_eq!(
        failure(&v, &with("iat", json!("yesterday"))).await,
        JwtFailure::Malformed
    );
}

#[tokio::test]
async fn audience_and_issuer() {
    let open = JwtIssuer {
        audiences: Vec::new(),
        ..issuer(
            "https://open.example",
            JwtKeys::Secret(Secret(SECRET.to_vec())),
            &[JwtAlgorithm::HS256],
        )
    };
    let v = verifier(&[hmac_issuer(), open]);
    let iss = "https://hmac.example";
    let with = |iss: &str, name: &str, value: Option<Value>| {
        let mut c = claims(iss);
        match value {
            Some(value) => c[name] = value,
            None => {
                c.as_object_mut().unwrap().remove(name);
            }
        }
        sign(Algorithm::HS256, "", None, &c)
    };

    assert_eq!(
        failure(&v, &with(iss, "aud", Some(json!("other")))).await,
        JwtFailure::WrongAudience
    );
    assert_eq!(
        failure(&v, &with(iss, "aud", Some(json!(["other", "more"])))).await,
        JwtFailure::WrongAudience
    );
    assert_eq!(
        failure(&v, &with(iss, "aud", None)).await,
        JwtFailure::WrongAudience
    );
    check(&v, &with(iss, "aud", Some(json!(["other", "api"]))))
        .await
        .unwrap();
    // No audiences configured: any or no aud.
    let open = "https://open.example";
    check(&v, &with(open, "aud", Some(json!("whatever"))))
        .await
        .unwrap();
    check(&v, &with(open, "aud", None)).await.unwrap();

    // Issuers: unconfigured, missing, not a string, configured but not allowed here.
    for bad in [
        "https://evil.example",
        "https://hmac.example/",
        "HTTPS://HMAC.EXAMPLE",
    ] {
        assert_eq!(
            failure(&v, &with(bad, "iss", Some(json!(bad)))).await,
            JwtFailure::UnknownIssuer
        );
    }
    assert_eq!(
        failure(&v, &with(iss, "iss", None)).await,
        JwtFailure::UnknownIssuer
    );
    assert_eq!(
        failure(&v, &with(iss, "iss", Some(json!([iss])))).await,
        JwtFailure::Malformed
    );
    let token = with(iss, "sub", Some(json!("bob")));
    let allowed = [open.to_string()];
    assert_eq!(
        v.verify(&token, &allowed).await.unwrap_err(),
        JwtFailure::UnknownIssuer
    );
    let allowed = [open.to_string(), iss.to_string()];
    let ok = v.verify(&token, &allowed).await.unwrap();
    assert_eq!(
        (ok.issuer.as_str(), &ok.claims["sub"]),
        (iss, &json!("bob"))
    );
}

// ---------------------------------------------------------------------------------------
// Shape and size

#[tokio::test]
async fn size_shape_and_tampering() {
    let small = JwtIssuer {
        max_token_size: 512,
        ..issuer(
            "https://small.example",
            JwtKeys::Secret(Secret(SECRET.to_vec())),
            &[JwtAlgorithm::HS256],
        )
    };
    let v = verifier(&[hmac_issuer(), small]);
    let iss = "https://hmac.example";

    let mut big = claims(iss);
    big["pad"] = json!("x".repeat(9000));
    let token = sign(Algorithm::HS256, "", None, &big);
    assert_eq!(failure(&v, &token).await, JwtFailure::TooLarge);
    // Refused on size alone: not even parsed.
    assert_eq!(
        failure(&v, &"!".repeat(1024 * 1024)).await,
        JwtFailure::TooLarge
    );
    // Over the limit of its own issuer, under the largest one.
    let mut mid = claims("https://small.example");
    mid["pad"] = json!("x".repeat(600));
    let token = sign(Algorithm::HS256, "", None, &mid);
    assert_eq!(failure(&v, &token).await, JwtFailure::TooLarge);
    mid["pad"] = json!("x");
    check(&v, &sign(Algorithm::HS256, "", None, &mid))
        .await
        .unwrap();

    let good = sign(Algorithm::HS256, "", None, &claims(iss));
    let parts: Vec<&str> = good.split('.').collect();
    for malformed in [
        String::new(),
        "abc".to_string(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{good}.{}", parts[2]),
        format!("{}.!!!.{}", parts[0], parts[2]),
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode("[1]"),
            parts[1],
            parts[2]
        ),
        format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode("\"text\""),
            parts[2]
        ),
        format!("{}.{}.***", parts[0], parts[1]),
    ] {
        assert_eq!(
            failure(&v, &malformed).await,
            JwtFailure::Malformed,
            "{malformed}"
        );
    }
    // Critical header extensions are not understood, so refused.
    let mut header = Header::new(Algorithm::HS256);
    header.crit = Some(vec!["exp-ext".to_string()]);
    header.extras.insert("exp-ext", true);
    let token = sign_with(&header, "", &claims(iss));
    assert_eq!(failure(&v, &token).await, JwtFailure::Malformed);
    // `crit` must be an array when present: a `null` one is no pass (found by fuzzing).
    let null_crit = raw_token(&json!({ "alg": "HS256", "crit": null }), &claims(iss), b"x");
    assert_eq!(failure(&v, &null_crit).await, JwtFailure::Malformed);

    // Tampered payload (a different subject) and tampered signature.
    let mut forged = claims(iss);
    forged["sub"] = json!("admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged.to_string()),
        parts[2]
    );
    assert_eq!(failure(&v, &tampered).await, JwtFailure::BadSignature);
    let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    signature[0] ^= 1;
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode(signature)
    );
    assert_eq!(failure(&v, &tampered).await, JwtFailure::BadSignature);
    // Signed with another secret.
    let other = encode(
        &Header::new(Algorithm::HS256),
        &claims(iss),
        &EncodingKey::from_secret(b"another-secret-another-secret-0123456789"),
    )
    .unwrap();
    assert_eq!(failure(&v, &other).await, JwtFailure::BadSignature);
    check(&v, &good).await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Key selection, caching, refetching

#[tokio::test]
async fn unknown_kid_refetch_is_rate_limited() {
    let server = Server::start(jwks(&["rsa_a", "rsa_b"])).await;
    let iss = "https://jwks.example";
    let v = verifier(&[issuer(
        iss,
        JwtKeys::Jwks(server.url()),
        &[JwtAlgorithm::RS256],
    )]);
    v.start();
    wait_fetched(&v, iss).await;
    assert_eq!(server.hits(), 1);

    let unknown = sign(Algorithm::RS256, "rsa_attacker", Some("nope"), &claims(iss));
    assert_eq!(failure(&v, &unknown).await, JwtFailure::UnknownKey);
    assert_eq!(server.hits(), 2, "one refetch for the unknown kid");
    for _ in 0..5 {
        assert_eq!(failure(&v, &unknown).await, JwtFailure::UnknownKey);
    }
    assert_eq!(server.hits(), 2, "further refetches are rate-limited");

    // Two RSA keys: a token without kid is ambiguous, refused without any refetch.
    let no_kid = sign(Algorithm::RS256, "rsa_a", None, &claims(iss));
    assert_eq!(failure(&v, &no_kid).await, JwtFailure::UnknownKey);
    assert_eq!(server.hits(), 2);
    check(
        &v,
        &sign(Algorithm::RS256, "rsa_b", Some("rsa_b"), &claims(iss)),
    )
    .await
    .unwrap();

    let cache = cache_of(&v, iss);
    assert_eq!(
        (
            cache.fetches_ok,
            cache.fetches_failed,
            cache.unknown_kid_refetches,
            cache.refetches_refused
        ),
        (2, 0, 1, 5)
    );
}

#[tokio::test]
async fn concurrent_unknown_kids_share_one_fetch() {
    let server = Server::start(jwks(&["rsa_a"])).await;
    let iss = "https://jwks.example";
    let v = Arc::new(verifier(&[issuer(
        iss,
        JwtKeys::Jwks(server.url()),
        &[JwtAlgorithm::RS256],
    )]));
    v.start();
    wait_fetched(&v, iss).await;

    // The issuer rotates to key B; the server answers slowly, so all requests overlap.
    server.set_jwks(jwks(&["rsa_a", "rsa_b"]));
    server.state.delay_ms.store(300, SeqCst);
    let token = sign(Algorithm::RS256, "rsa_b", Some("rsa_b"), &claims(iss));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let v = v.clone();
            let token = token.clone();
            tokio::spawn(async move { v.verify(&token, &[]).await.map(|_| ()) })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Ok(()));
    }
    assert_eq!(server.hits(), 2, "one shared fetch");
    let cache = cache_of(&v, iss);
    assert_eq!(
        (cache.unknown_kid_refetches, cache.refetches_refused),
        (1, 0)
    );
}

#[tokio::test]
async fn key_rotation() {
    let server = Server::start(jwks(&["rsa_a"])).await;
    let iss = "https://jwks.example";
    let v = verifier(&[issuer(
        iss,
        JwtKeys::Jwks(server.url()),
        &[JwtAlgorithm::RS256],
    )]);
    v.start();
    wait_fetched(&v, iss).await;
    let token_a = sign(Algorithm::RS256, "rsa_a", Some("rsa_a"), &claims(iss));
    let token_b = sign(Algorithm::RS256, "rsa_b", Some("rsa_b"), &claims(iss));
    check(&v, &token_a).await.unwrap();
    assert_eq!(failure(&v, &token_b).await, JwtFailure::UnknownKey);
    assert_eq!(server.hits(), 2);

    // The issuer switches from key A to key B. B is not yet known: a token signed with it
    // triggers a refetch... which the rate limit refuses this soon after the last one.
    server.set_jwks(jwks(&["rsa_b"]));
    assert_eq!(failure(&v, &token_b).await, JwtFailure::UnknownKey);
    assert_eq!(server.hits(), 2);
    // Once the interval has passed it is fetched, and A is gone from the cache.
    let v = verifier(&[JwtIssuer {
        refetch_min_interval: Duration::from_millis(200),
        ..issuer(iss, JwtKeys::Jwks(server.url()), &[JwtAlgorithm::RS256])
    }]);
    server.set_jwks(jwks(&["rsa_a"]));
    check(&v, &token_a).await.unwrap();
    server.set_jwks(jwks(&["rsa_b"]));
    tokio::time::sleep(Duration::from_millis(250)).await;
    check(&v, &token_b).await.unwrap();
    assert_eq!(kids(&cache_of(&v, iss)), ["rsa_b"]);
    assert_eq!(failure(&v, &token_a).await, JwtFailure::UnknownKey);
}

#[tokio::test]
async fn background_refresh_drops_removed_keys() {
    let server = Server::start(jwks(&["rsa_a"])).await;
    let iss = "https://jwks.example";
    let v = verifier(&[JwtIssuer {
        refresh: Duration::from_secs(1),
        ..issuer(iss, JwtKeys::Jwks(server.url()), &[JwtAlgorithm::RS256])
    }]);
    v.start();
    wait_fetched(&v, iss).await;
    let token_a = sign(Algorithm::RS256, "rsa_a", Some("rsa_a"), &claims(iss));
    let token_b = sign(Algorithm::RS256, "rsa_b", Some("rsa_b"), &claims(iss));
    check(&v, &token_a).await.unwrap();

    server.set_jwks(jwks(&["rsa_b"]));
    wait_until("the background refresh", || {
        kids(&cache_of(&v, iss)) == ["rsa_b"]
    })
    .await;
    let hits = server.hits();
    check(&v, &token_b).await.unwrap();
    assert_eq!(server.hits(), hits, "B came with the refresh");
    assert_eq!(failure(&v, &token_a).await, JwtFailure::UnknownKey);
    assert_eq!(cache_of(&v, iss).unknown_kid_refetches, 1);
}

#[tokio::test]
async fn stale_keys_are_served_when_the_jwks_is_down() {
    let server = Server::start(jwks(&["rsa_a"])).await;
    let iss = "https://jwks.example";
    let v = verifier(&[JwtIssuer {
        refresh: Duration::from_secs(1),
        ..issuer(iss, JwtKeys::Jwks(server.url()), &[JwtAlgorithm::RS256])
    }]);
    v.start();
    wait_fetched(&v, iss).await;
    let token = sign(Algorithm::RS256, "rsa_a", Some("rsa_a"), &claims(iss));
    check(&v, &token).await.unwrap();

    server.state.fail.store(true, SeqCst);
    wait_until("a failed refresh", || cache_of(&v, iss).fetches_failed > 0).await;
    check(&v, &token).await.unwrap();
    // An unknown kid refetches, fails, and the old keys stay.
    let unknown = sign(Algorithm::RS256, "rsa_b", Some("rsa_b"), &claims(iss));
    assert_eq!(failure(&v, &unknown).await, JwtFailure::UnknownKey);
    check(&v, &token).await.unwrap();

    let cache = cache_of(&v, iss);
    assert!(cache.stale);
    assert_eq!(kids(&cache), ["rsa_a"]);
    assert!(cache.last_fetched.is_some());
    let error = cache.last_error.unwrap();
    assert!(
        error.contains("503") && error.contains("/jwks.json"),
        "{error}"
    );

    // Back up: the next refresh (backoff after failures) clears the stale state.
    server.state.fail.store(false, SeqCst);
    wait_until("a successful refresh", || !cache_of(&v, iss).stale).await;
}

#[tokio::test]
async fn keys_unavailable_when_never_fetched() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let iss = "https://down.example";
    let v = verifier(&[issuer(
        iss,
        JwtKeys::Jwks(format!("http://user:pass@{dead}/jwks.json?token=secret")),
        &[JwtAlgorithm::RS256],
    )]);
    let token = sign(Algorithm::RS256, "rsa_a", Some("rsa_a"), &claims(iss));
    assert_eq!(failure(&v, &token).await, JwtFailure::KeysUnavailable);
    // Rate-limited: the next attempt does not even try.
    assert_eq!(failure(&v, &token).await, JwtFailure::KeysUnavailable);
    let cache = cache_of(&v, iss);
    assert_eq!((cache.fetches_failed, cache.refetches_refused), (1, 1));
    let error = cache.last_error.unwrap();
    assert!(error.contains(&dead.to_string()), "{error}");
    assert!(
        !error.contains("pass") && !error.contains("secret"),
        "{error}"
    );
    assert!(!cache.url.unwrap().contains("pass"));

    // A server too slow for fetch_timeout.
    let server = Server::start(jwks(&["rsa_a"])).await;
    server.state.delay_ms.store(5000, SeqCst);
    let iss = "https://slow.example";
    let v = verifier(&[JwtIssuer {
        fetch_timeout: Duration::from_millis(200),
        ..issuer(iss, JwtKeys::Jwks(server.url()), &[JwtAlgorithm::RS256])
    }]);
    let started = Instant::now();
    let token = sign(Algorithm::RS256, "rsa_a", Some("rsa_a"), &claims(iss));
    assert_eq!(failure(&v, &token).await, JwtFailure::KeysUnavailable);
    assert!(started.elapsed() < Duration::from_secs(3));

    // A document over 1 MiB.
    let huge = json!({ "keys": [jwk("rsa_a")], "pad": "x".repeat(1024 * 1024) });
    let server = Server::start(huge.to_string()).await;
    let iss = "https://huge.example";
    let v = verifier(&[issuer(
        iss,
        JwtKeys::Jwks(server.url()),
        &[JwtAlgorithm::RS256],
    )]);
    let token = sign(Algorithm::RS256, "rsa_a", Some("rsa_a"), &claims(iss));
    assert_eq!(failure(&v, &token).await, JwtFailure::KeysUnavailable);
    assert!(
        cache_of(&v, iss)
            .last_error
            .unwrap()
            .contains("larger than")
    );
}

#[tokio::test]
async fn jwks_parsing_skips_unusable_keys() {
    let mut enc = jwk("rsa_b");
    enc["use"] = json!("enc");
    let mut rs512_only = jwk("rsa_attacker");
    rs512_only["alg"] = json!("RS512");
    let doc = json!({ "keys": [
        enc,
        rs512_only,
        { "kty": "oct", "kid": "hmac", "k": URL_SAFE_NO_PAD.encode(SECRET) },
        { "kty": "RSA", "kid": "broken", "n": 5, "e": "AQAB" },
        { "kty": "RSA", "kid": "short", "n": URL_SAFE_NO_PAD.encode([0xff; 128]), "e": "AQAB" },
        { "kty": "EC", "kid": "p521", "crv": "P-521", "x": "AA", "y": "AA" },
        { "kty": "OKP", "kid": "short-ed", "crv": "Ed25519", "x": "AAAA" },
        { "kty": "XYZ", "kid": "alien" },
        "not even an object",
        jwk("ec_p256"),
        jwk("rsa_a"),
    ]});
    let server = Server::start(doc.to_string()).await;
    let iss = "https://jwks.example";
    let v = verifier(&[issuer(
        iss,
        JwtKeys::Jwks(server.url()),
        &[
            JwtAlgorithm::RS256,
            JwtAlgorithm::ES256,
            JwtAlgorithm::EdDSA,
        ],
    )]);
    v.start();
    wait_fetched(&v, iss).await;
    let cache = cache_of(&v, iss);
    assert_eq!(kids(&cache), ["ec_p256", "rsa_a"]);
    assert_eq!(cache.keys[0].algorithms, ["ES256"]);
    assert_eq!(cache.keys[1].algorithms, ["RS256"]);
    check(
        &v,
        &sign(Algorithm::ES256, "ec_p256", Some("ec_p256"), &claims(iss)),
    )
    .await
    .unwrap();
    check(&v, &sign(Algorithm::RS256, "rsa_a", None, &claims(iss)))
        .await
        .unwrap();
    let hits = server.hits();
    for (alg, key, kid) in [
        (Algorithm::RS256, "rsa_b", "rsa_b"),
        (Algorithm::RS256, "rsa_attacker", "rsa_attacker"),
    ] {
        assert_eq!(
            failure(&v, &sign(alg, key, Some(kid), &claims(iss))).await,
            JwtFailure::UnknownKey
        );
    }
    let hmac = encode(
        &Header {
            kid: Some("hmac".to_string()),
            ..Header::new(Algorithm::HS256)
        },
        &claims(iss),
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    assert_eq!(failure(&v, &hmac).await, JwtFailure::AlgorithmNotAllowed);
    assert_eq!(server.hits(), hits + 1);
}

// ---------------------------------------------------------------------------------------
// Header-supplied keys

#[tokio::test]
async fn jku_x5u_jwk_and_x5c_are_never_used() {
    let server = Server::start(jwks(&["rsa_a"])).await;
    let attacker = Server::start(jwks(&["rsa_attacker"])).await;
    let iss = "https://jwks.example";
    let v = verifier(&[issuer(
        iss,
        JwtKeys::Jwks(server.url()),
        &[JwtAlgorithm::RS256],
    )]);
    v.start();
    wait_fetched(&v, iss).await;

    let mut header = Header::new(Algorithm::RS256);
    header.jku = Some(attacker.url());
    header.x5u = Some(format!("{}/cert.pem", attacker.base));
    header.jwk = Some(serde_json::from_value(jwk("rsa_attacker")).unwrap());

    // The attacker's own kid: unknown to the configured JWKS.
    header.kid = Some("rsa_attacker".to_string());
    let token = sign_with(&header, "rsa_attacker", &claims(iss));
    assert_eq!(failure(&v, &token).await, JwtFailure::UnknownKey);
    // The legitimate kid: verified with the configured key, so the signature is bad.
    header.kid = Some("rsa_a".to_string());
    let token = sign_with(&header, "rsa_attacker", &claims(iss));
    assert_eq!(failure(&v, &token).await, JwtFailure::BadSignature);
    // No kid, an embedded certificate chain: the one configured key is used.
    header.kid = None;
    let cert = read("rsa_b.cert.pem");
    let der: String = cert.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(STANDARD.decode(&der).is_ok());
    header.x5c = Some(vec![der]);
    let token = sign_with(&header, "rsa_b", &claims(iss));
    assert_eq!(failure(&v, &token).await, JwtFailure::BadSignature);

    assert_eq!(
        attacker.hits(),
        0,
        "the attacker's server was never contacted"
    );
    assert_eq!(server.hits(), 2, "the configured JWKS only (one refetch)");
}

// ---------------------------------------------------------------------------------------
// Discovery

#[tokio::test]
async fn oidc_discovery() {
    let server = Server::start(jwks(&["ec_p256"])).await;
    let iss = server.base.clone();
    let v = verifier(&[issuer(&iss, JwtKeys::Discovery, &[JwtAlgorithm::ES256])]);
    v.start();
    wait_fetched(&v, &iss).await;
    check(
        &v,
        &sign(Algorithm::ES256, "ec_p256", Some("ec_p256"), &claims(&iss)),
    )
    .await
    .unwrap();
    assert_eq!(server.state.discovery_hits.load(SeqCst), 1);
    assert_eq!(server.hits(), 1);
    assert_eq!(cache_of(&v, &iss).source, "discovery");

    // A discovery document naming another issuer is not trusted.
    *server.state.issuer.lock().unwrap() = "https://other.example".to_string();
    let v = verifier(&[issuer(&iss, JwtKeys::Discovery, &[JwtAlgorithm::ES256])]);
    let token = sign(Algorithm::ES256, "ec_p256", Some("ec_p256"), &claims(&iss));
    assert_eq!(failure(&v, &token).await, JwtFailure::KeysUnavailable);
    let error = cache_of(&v, &iss).last_error.unwrap();
    assert!(error.contains("https://other.example"), "{error}");
}

// ---------------------------------------------------------------------------------------
// Reload and lifecycle

#[tokio::test]
async fn reload_keeps_cached_keys() {
    let server = Server::start(jwks(&["rsa_a"])).await;
    let iss = "https://jwks.example";
    let config = [
        issuer(iss, JwtKeys::Jwks(server.url()), &[JwtAlgorithm::RS256]),
        hmac_issuer(),
    ];
    let old = verifier(&config);
    old.start();
    wait_fetched(&old, iss).await;
    assert_eq!(server.hits(), 1);

    // Same settings (new Arcs): the keys are kept, nothing is fetched again.
    let new = JwtVerifier::new(&arcs(&config), http(), Some(&old)).unwrap();
    new.start();
    drop(old);
    let token = sign(Algorithm::RS256, "rsa_a", Some("rsa_a"), &claims(iss));
    check(&new, &token).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    check(&new, &token).await.unwrap();
    assert_eq!(server.hits(), 1);
    assert_eq!(cache_of(&new, iss).fetches_ok, 1);

    // Changed settings: a fresh cache.
    let changed = [JwtIssuer {
        audiences: vec!["api".to_string(), "web".to_string()],
        ..config[0].clone()
    }];
    let newer = JwtVerifier::new(&arcs(&changed), http(), Some(&new)).unwrap();
    let cache = cache_of(&newer, iss);
    assert!(cache.keys.is_empty() && cache.last_fetched.is_none());
    check(&newer, &token).await.unwrap();
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn dropping_the_verifier_stops_its_refresh() {
    let server = Server::start(jwks(&["rsa_a"])).await;
    let iss = "https://jwks.example";
    let v = verifier(&[JwtIssuer {
        refresh: Duration::from_secs(1),
        ..issuer(iss, JwtKeys::Jwks(server.url()), &[JwtAlgorithm::RS256])
    }]);
    v.start();
    wait_fetched(&v, iss).await;
    drop(v);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(server.hits(), 1);
}

// ---------------------------------------------------------------------------------------
// Configuration errors and the admin view

#[tokio::test]
async fn bad_pem_keys_are_refused_naming_the_file() {
    let build = |keys: Vec<PemKey>, algorithms: &[JwtAlgorithm]| {
        JwtVerifier::new(
            &arcs(&[issuer(
                "https://pem.example",
                JwtKeys::Pem(keys),
                algorithms,
            )]),
            http(),
            None,
        )
        .unwrap_err()
    };
    let private = PemKey {
        pem: read("rsa_a.key"),
        ..pem("rsa_a.pub.pem", None)
    };
    let private = PemKey {
        path: format!("{DATA}/rsa_a.key").into(),
        ..private
    };
    let error = build(vec![private], &[JwtAlgorithm::RS256]);
    assert!(
        error.contains("rsa_a.key") && error.contains("private key"),
        "{error}"
    );

    let garbage = PemKey {
        pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".to_string(),
        ..pem("ec_p256.pub.pem", None)
    };
    let error = build(vec![garbage], &[JwtAlgorithm::ES256]);
    assert!(error.contains("ec_p256.pub.pem"), "{error}");

    let error = build(vec![pem("ec_p256.pub.pem", None)], &[JwtAlgorithm::RS256]);
    assert!(
        error.contains("ec_p256.pub.pem") && error.contains("algorithms"),
        "{error}"
    );
}

#[tokio::test]
async fn failure_codes_and_admin_view() {
    let codes: Vec<&str> = [
        JwtFailure::TooLarge,
        JwtFailure::Malformed,
        JwtFailure::AlgorithmNotAllowed,
        JwtFailure::UnknownIssuer,
        JwtFailure::UnknownKey,
        JwtFailure::BadSignature,
        JwtFailure::Expired,
        JwtFailure::NotYetValid,
        JwtFailure::IssuedInFuture,
        JwtFailure::MissingExp,
        JwtFailure::WrongAudience,
        JwtFailure::KeysUnavailable,
    ]
    .iter()
    .map(JwtFailure::cause)
    .collect();
    assert_eq!(
        codes,
        [
            "jwt-too-large",
            "jwt-malformed",
            "jwt-algorithm-not-allowed",
            "jwt-unknown-issuer",
            "jwt-unknown-key",
            "jwt-bad-signature",
            "jwt-expired",
            "jwt-not-yet-valid",
            "jwt-issued-in-future",
            "jwt-missing-exp",
            "jwt-wrong-audience",
            "jwt-keys-unavailable",
        ]
    );

    let v = verifier(&[
        hmac_issuer(),
        issuer(
            "https://pem.example",
            JwtKeys::Pem(vec![pem("ed25519.pub.pem", Some("ed"))]),
            &[JwtAlgorithm::EdDSA],
        ),
    ]);
    let view = serde_json::to_value(v.key_cache()).unwrap();
    let text = view.to_string();
    assert!(!text.contains(std::str::from_utf8(SECRET).unwrap()));
    assert_eq!(view[0]["source"], "secret");
    assert_eq!(
        view[0]["keys"],
        json!([{ "kid": null, "algorithms": ["HS256"] }])
    );
    assert_eq!(view[1]["source"], "pem");
    assert_eq!(
        view[1]["keys"],
        json!([{ "kid": "ed", "algorithms": ["EdDSA"] }])
    );
    assert_eq!(view[1]["fetches_ok"], 0);
}

#[tokio::test]
async fn a_token_verified_before_is_still_refused_once_expired_or_for_another_issuer() {
    let v = verifier(&[JwtIssuer {
        leeway: Duration::ZERO,
        ..hmac_issuer()
    }]);
    let mut c = claims("https://hmac.example");
    c["exp"] = json!(now() + 1);
    let token = sign(Algorithm::HS256, "hmac", None, &c);
    // Twice: the second answer comes from the cache of verified tokens.
    check(&v, &token).await.unwrap();
    check(&v, &token).await.unwrap();
    let elsewhere = v
        .verify(&token, &["https://other.example".to_string()])
        .await;
    assert_eq!(elsewhere.unwrap_err(), JwtFailure::UnknownIssuer);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(failure(&v, &token).await, JwtFailure::Expired);
}
