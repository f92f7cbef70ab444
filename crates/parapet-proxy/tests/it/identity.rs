//! Identity and access over real sockets: API keys (store, revocation across replicas,
//! restart, keys in the URL), JWT at the gateway, OAuth2 introspection with certificate-bound
//! tokens, mTLS identities, function- and object-level authorization, brute force, identity
//! forwarding, and the admin API for consumers and keys.

use crate::certs::*;
use crate::common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CONSUMERS: &str = r#"
consumers:
  - { id: alice, scopes: [orders:write], roles: [user], metadata: { tenant: t1 } }
  - { id: bob, roles: [user], metadata: { tenant: t2 } }
  - { id: root, roles: [admin] }
"#;

/// A bookstore-like API: public catalogue, per-user records, orders owned by their
/// creator, an admin area, and a route nobody configured.
fn api(target: &str, extra: &str) -> String {
    format!(
        r#"
listen: [{{ addr: "127.0.0.1:0" }}]
store: $DIR/parapet.db
{CONSUMERS}
{extra}
upstreams: {{ up: {{ targets: ["{target}"] }} }}
apis:
  - name: shop
    upstream: up
    defaults: {{ authn: [api_key] }}
    routes:
      "GET /books": {{ authn: public }}
      "GET /users/{{id}}": {{ authz: {{ object: "path.id == consumer.id", unless_role: admin }} }}
      "GET /tenants": {{ authz: {{ object: "query.tenant == consumer.metadata.tenant" }} }}
      "POST /orders": {{ authz: {{ scopes: [orders:write], object: "body.owner == consumer.id" }} }}
      "DELETE /admin/users/{{id}}": {{ authz: {{ roles: [admin] }} }}
"#
    )
}

fn key(gw: &TestGateway, consumer: &str) -> String {
    let store = gw.gw().shared().snapshot.load().identity.store().clone();
    store.create_key(consumer, None, None).unwrap().secret
}

async fn get(gw: &TestGateway, path: &str, key: Option<&str>) -> reqwest::Response {
    let mut req = client().get(gw.url(path));
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    req.send().await.unwrap()
}

/// The events with `reason`, after at least `min` events were written.
async fn events(gw: &TestGateway, min: usize) -> Vec<Value> {
    gw.log("events.log", min).await
}

#[tokio::test]
async fn api_keys_identify_consumers_and_every_failure_looks_the_same() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&api(&up.url(), "")).await;
    let alice = key(&gw, "alice");
    assert!(alice.starts_with("pk_") && alice.len() >= 40);

    // The upstream sees the verified identity, never the client's claim of one.
    let seen = json_of(
        client()
            .get(gw.url("/users/alice"))
            .header("x-api-key", &alice)
            .header("x-consumer-id", "root")
            .header("x-consumer-roles", "admin"),
    )
    .await;
    assert_eq!(seen["headers"]["x-consumer-id"], "alice");
    assert_eq!(seen["headers"]["x-consumer-roles"], "user");
    assert!(
        seen["headers"].get("x-api-key").is_none(),
        "the key stays at the gateway"
    );

    // Public route: anonymous is fine, forged identity headers are still removed.
    let seen = json_of(
        client()
            .get(gw.url("/books"))
            .header("x-consumer-id", "root"),
    )
    .await;
    assert!(seen["headers"].get("x-consumer-id").is_none(), "{seen}");

    // Missing, unknown, malformed, revoked and expired keys: one identical answer.
    let store = gw.gw().shared().snapshot.load().identity.store().clone();
    let revoked = store.create_key("alice", None, None).unwrap();
    assert!(store.revoke_key(&revoked.record.id).unwrap());
    let expired = store
        .create_key(
            "alice",
            None,
            Some(SystemTime::now() - Duration::from_secs(1)),
        )
        .unwrap();
    let unknown = format!("pk_{}", "A".repeat(43));
    let mut bodies = Vec::new();
    for k in [
        None,
        Some(unknown.as_str()),
        Some("garbage"),
        Some(revoked.secret.as_str()),
        Some(expired.secret.as_str()),
    ] {
        let resp = get(&gw, "/users/alice", k).await;
        assert_eq!(resp.headers()["www-authenticate"], "ApiKey realm=\"api\"");
        let mut body = assert_problem(resp, 401, "unauthenticated").await;
        body.as_object_mut().unwrap().remove("request_id");
        bodies.push(body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    assert_eq!(
        bodies[0]["detail"],
        "Send an API key in the x-api-key header."
    );
    let causes: Vec<Value> = events(&gw, 5)
        .await
        .iter()
        .map(|e| e["cause"].clone())
        .collect();
    assert_eq!(
        causes,
        [
            "credential-missing",
            "api-key-unknown",
            "api-key-unknown",
            "api-key-revoked",
            "api-key-expired"
        ]
    );
    assert_eq!(up.hits(), 2, "no refused request reached the upstream");

    // The key never reaches a log.
    let access = std::fs::read_to_string(gw.dir.path().join("access.log")).unwrap();
    let events = std::fs::read_to_string(gw.dir.path().join("events.log")).unwrap();
    for secret in [&alice, &revoked.secret] {
        assert!(!access.contains(secret.as_str()) && !events.contains(secret.as_str()));
    }
}

#[tokio::test]
async fn a_key_in_the_url_is_refused_with_where_to_put_it() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&api(&up.url(), "")).await;
    let alice = key(&gw, "alice");
    for query in [format!("api_key={alice}"), format!("q=1&token={alice}")] {
        let resp = get(&gw, &format!("/users/alice?{query}"), None).await;
        let body = assert_problem(resp, 400, "credential-in-url").await;
        assert_eq!(
            body["detail"],
            "Send the API key in the x-api-key header, never in the URL."
        );
    }
    assert_eq!(up.hits(), 0);
    let access = gw.log("access.log", 2).await;
    assert_eq!(access[0]["target"], "/users/alice?api_key=[REDACTED]");
    assert_eq!(access[1]["target"], "/users/alice?q=1&token=[REDACTED]");
}

#[tokio::test]
async fn revocation_reaches_every_replica_on_its_next_request_and_keys_survive_a_restart() {
    let up = Upstream::start("a").await;
    let shared_dir = tempfile::tempdir().unwrap();
    let db = shared_dir.path().join("shared.db");
    let yaml = api(&up.url(), "").replace("$DIR/parapet.db", db.to_str().unwrap());
    let a = start_gateway(&yaml).await;
    let b = start_gateway(&yaml).await;
    let alice = key(&a, "alice");
    let id = a
        .gw()
        .shared()
        .snapshot
        .load()
        .identity
        .store()
        .keys(Some("alice"))
        .unwrap()[0]
        .id
        .clone();
    assert_eq!(get(&b, "/users/alice", Some(&alice)).await.status(), 200);

    // Restart: a new process on the same file knows the key.
    let mut a = a;
    a.gateway.take().unwrap().shutdown().await;
    let a = start_gateway(&yaml).await;
    assert_eq!(get(&a, "/users/alice", Some(&alice)).await.status(), 200);

    // Revoked through replica A: replica B refuses the very next request.
    let store = a.gw().shared().snapshot.load().identity.store().clone();
    assert!(store.revoke_key(&id).unwrap());
    assert_eq!(get(&b, "/users/alice", Some(&alice)).await.status(), 401);
    assert_eq!(get(&a, "/users/alice", Some(&alice)).await.status(), 401);
}

#[tokio::test]
async fn a_reload_keeps_keys_and_applies_consumer_changes() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&api(&up.url(), "")).await;
    let (alice, bob) = (key(&gw, "alice"), key(&gw, "bob"));
    // bob leaves the configuration; alice becomes an admin.
    let yaml = std::fs::read_to_string(&gw.config_path)
        .unwrap()
        .replace(
            "  - { id: bob, roles: [user], metadata: { tenant: t2 } }\n",
            "",
        )
        .replace(
            "{ id: alice, scopes: [orders:write], roles: [user]",
            "{ id: alice, scopes: [orders:write], roles: [admin]",
        );
    std::fs::write(&gw.config_path, yaml).unwrap();
    gw.gw().reload_from_file().unwrap();
    assert_eq!(
        get(&gw, "/users/bob", Some(&alice)).await.status(),
        200,
        "alice is now admin"
    );
    assert_eq!(
        get(&gw, "/users/bob", Some(&bob)).await.status(),
        401,
        "bob and his keys are gone"
    );
}

#[tokio::test]
async fn object_and_function_level_authorization() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&api(&up.url(), "")).await;
    let (alice, bob, root) = (key(&gw, "alice"), key(&gw, "bob"), key(&gw, "root"));

    // BOLA: alice reads her own record, not bob's; an admin reads both.
    assert_eq!(get(&gw, "/users/alice", Some(&alice)).await.status(), 200);
    assert_problem(get(&gw, "/users/bob", Some(&alice)).await, 403, "forbidden").await;
    assert_eq!(get(&gw, "/users/bob", Some(&root)).await.status(), 200);
    // An encoded path parameter is compared decoded.
    assert_eq!(get(&gw, "/users/%61lice", Some(&alice)).await.status(), 200);

    // Query values: one value, the caller's own tenant.
    assert_eq!(
        get(&gw, "/tenants?tenant=t1", Some(&alice)).await.status(),
        200
    );
    assert_eq!(
        get(&gw, "/tenants?tenant=t2", Some(&alice)).await.status(),
        403
    );
    assert_eq!(
        get(&gw, "/tenants?tenant=t1&tenant=t2", Some(&alice))
            .await
            .status(),
        403
    );
    assert_eq!(get(&gw, "/tenants", Some(&alice)).await.status(), 403);

    // Body field plus scope: alice may create her own orders only; bob lacks the scope.
    let order = |k: &str, owner: &str| {
        client()
            .post(gw.url("/orders"))
            .header("x-api-key", k)
            .json(&json!({ "owner": owner, "items": [1] }))
            .send()
    };
    assert_eq!(order(&alice, "alice").await.unwrap().status(), 200);
    assert_eq!(order(&alice, "bob").await.unwrap().status(), 403);
    let no_body = client().post(gw.url("/orders")).header("x-api-key", &alice);
    assert_eq!(
        no_body.send().await.unwrap().status(),
        403,
        "a missing owner is no pass"
    );
    assert_eq!(order(&bob, "bob").await.unwrap().status(), 403);

    // BFLA: a user never reaches the admin route; the admin does.
    let delete = |k: &str| {
        client()
            .delete(gw.url("/admin/users/7"))
            .header("x-api-key", k)
            .send()
    };
    assert_problem(delete(&alice).await.unwrap(), 403, "forbidden").await;
    assert_eq!(delete(&root).await.unwrap().status(), 200);

    let causes: Vec<String> = events(&gw, 8)
        .await
        .iter()
        .map(|e| format!("{}:{}", e["policy"], e["cause"].as_str().unwrap()))
        .collect();
    assert_eq!(
        causes,
        [
            "\"authz\":object-mismatch",
            "\"authz\":object-mismatch",
            "\"authz\":object-mismatch",
            "\"authz\":object-mismatch",
            "\"authz\":object-mismatch",
            "\"authz\":object-mismatch",
            "\"authz\":missing-scope",
            "\"authz\":missing-role"
        ]
    );
    assert_eq!(up.hits(), 6);
}

#[tokio::test]
async fn routes_without_authn_are_closed_by_default() {
    let up = Upstream::start("a").await;
    let yaml = format!(
        "listen: [{{ addr: \"127.0.0.1:0\" }}]\nupstreams: {{ up: {{ targets: [\"{}\"] }} }}\napis: [{{ name: a, upstream: up }}]\n",
        up.url()
    );
    let gw = start_gateway(&yaml).await;
    assert_problem(get(&gw, "/x", None).await, 403, "authn-not-configured").await;
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn brute_force_blocks_the_source_after_the_threshold() {
    let up = Upstream::start("a").await;
    let extra = "identity: { brute_force: { threshold: 3, window: 1m, penalty: 1m } }";
    let gw = start_gateway(&api(&up.url(), extra)).await;
    let alice = key(&gw, "alice");
    for i in 0..3 {
        let resp = get(&gw, "/users/alice", Some(&format!("pk_guess{i}"))).await;
        assert_eq!(resp.status(), 401);
    }
    // The source is now blocked, even with a valid key.
    let resp = get(&gw, "/users/alice", Some(&alice)).await;
    assert_eq!(resp.headers()["retry-after"], "60");
    assert_problem(resp, 429, "too-many-auth-failures").await;
    let last = events(&gw, 4).await.pop().unwrap();
    assert_eq!(last["policy"], "brute_force");
    assert_eq!(last["action"], "blocked");
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn brute_force_counts_per_credential_across_addresses_and_can_slow_down_instead() {
    let up = Upstream::start("a").await;
    let extra = "trusted_proxies: [127.0.0.1/32]\nidentity: { brute_force: { threshold: 2, action: delay, delay: 300ms } }";
    let gw = start_gateway(&api(&up.url(), extra)).await;
    let alice = key(&gw, "alice");
    let from = |ip: &str, k: &str| {
        client()
            .get(gw.url("/users/alice"))
            .header("x-forwarded-for", ip.to_string())
            .header("x-api-key", k.to_string())
            .send()
    };
    // One guessed key from two addresses: its own counter trips, no address's does.
    assert_eq!(from("192.0.2.1", "pk_stolen").await.unwrap().status(), 401);
    assert_eq!(from("192.0.2.2", "pk_stolen").await.unwrap().status(), 401);
    // A fresh address with a valid key is not slowed down...
    let started = std::time::Instant::now();
    assert_eq!(from("192.0.2.3", &alice).await.unwrap().status(), 200);
    let fast = started.elapsed();
    // ...but the tripped credential is, from any address.
    let started = std::time::Instant::now();
    assert_eq!(from("192.0.2.4", "pk_stolen").await.unwrap().status(), 401);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(fast < Duration::from_millis(300), "{fast:?}");
    let delayed: Vec<Value> = events(&gw, 4)
        .await
        .into_iter()
        .filter(|e| e["action"] == "delayed")
        .collect();
    assert_eq!(delayed.len(), 1, "{delayed:?}");
    assert_eq!(delayed[0]["client_ip"], "192.0.2.4");
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn jwt_key(name: &str) -> String {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../parapet-identity/tests/data/jwt/"
    );
    std::fs::read_to_string(format!("{dir}{name}")).unwrap()
}

#[tokio::test]
async fn jwt_bearer_tokens_at_the_gateway_with_scopes_and_a_signed_identity_upstream() {
    let up = Upstream::start("a").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ed.pem"), jwt_key("ed25519.pub.pem")).unwrap();
    std::fs::write(dir.path().join("rsa.pem"), jwt_key("rsa_a.pub.pem")).unwrap();
    std::fs::write(dir.path().join("fwd.key"), "f".repeat(40)).unwrap();
    let yaml = format!(
        r#"
listen: [{{ addr: "127.0.0.1:0" }}]
identity:
  jwt:
    - issuer: https://id.example
      audiences: [shop]
      algorithms: [EdDSA]
      keys: [{{ file: $DIR/ed.pem }}]
    - issuer: https://rsa.example
      audiences: [shop]
      algorithms: [RS256]
      keys: [{{ file: $DIR/rsa.pem }}]
  forward:
    jwt: {{ audience: shop-backend, secret: {{ file: $DIR/fwd.key }} }}
upstreams: {{ up: {{ targets: ["{}"] }} }}
apis:
  - name: shop
    upstream: up
    defaults: {{ authn: [jwt] }}
    routes:
      "GET /orders/{{id}}": {{ authz: {{ scopes: [orders:read] }} }}
      "GET /users/{{id}}": {{ authz: {{ object: "path.id == claims.sub" }} }}
"#,
        up.url()
    );
    let gw = start_gateway_in(dir, &yaml).await;
    let signer = EncodingKey::from_ed_pem(jwt_key("ed25519.key").as_bytes()).unwrap();
    let token = |claims: Value| encode(&Header::new(Algorithm::EdDSA), &claims, &signer).unwrap();
    let good = json!({ "iss": "https://id.example", "aud": "shop", "sub": "u1", "exp": now() + 60, "scope": "orders:read" });
    let bearer = |path: &str, t: String| client().get(gw.url(path)).bearer_auth(t).send();

    let seen: Value = bearer("/orders/1", token(good.clone()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["headers"]["x-consumer-id"], "u1");
    assert_eq!(seen["headers"]["x-consumer-scopes"], "orders:read");
    let forwarded = seen["headers"]["x-parapet-identity"].as_str().unwrap();
    let mut v = jsonwebtoken::Validation::new(Algorithm::HS256);
    v.set_audience(&["shop-backend"]);
    v.set_issuer(&["parapet"]);
    let fwd = jsonwebtoken::decode::<Value>(
        forwarded,
        &jsonwebtoken::DecodingKey::from_secret("f".repeat(40).as_bytes()),
        &v,
    )
    .unwrap();
    assert_eq!(fwd.claims["sub"], "u1");
    assert_eq!(fwd.claims["auth_method"], "jwt");
    assert!(fwd.claims["exp"].as_u64().unwrap() <= now() + 61);

    assert_eq!(
        bearer("/users/u1", token(good.clone()))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_problem(
        bearer("/users/u2", token(good.clone())).await.unwrap(),
        403,
        "forbidden",
    )
    .await;

    let mut no_scope = good.clone();
    no_scope["scope"] = json!("profile");
    assert_eq!(
        bearer("/orders/1", token(no_scope)).await.unwrap().status(),
        403
    );
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 3600);
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("other");
    let none = format!(
        "{}.{}.",
        base64_url(br#"{"alg":"none","typ":"JWT"}"#),
        base64_url(good.to_string().as_bytes())
    );
    let t = token(good.clone());
    let (head, rest) = t.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let mut tampered_claims = good.clone();
    tampered_claims["sub"] = json!("root");
    let tampered = format!(
        "{head}.{}.{sig}",
        base64_url(tampered_claims.to_string().as_bytes())
    );
    let mut not_yet = good.clone();
    not_yet["nbf"] = json!(now() + 3600);
    let mut unknown_issuer = good.clone();
    unknown_issuer["iss"] = json!("https://evil.example");
    // RS256 → HS256: the RSA issuer's public key used as an HMAC secret.
    let mut rsa_claims = good.clone();
    rsa_claims["iss"] = json!("https://rsa.example");
    let confused = encode(
        &Header::new(Algorithm::HS256),
        &rsa_claims,
        &EncodingKey::from_secret(jwt_key("rsa_a.pub.pem").as_bytes()),
    )
    .unwrap();
    let rsa_signed = encode(
        &Header::new(Algorithm::RS256),
        &rsa_claims,
        &EncodingKey::from_rsa_pem(jwt_key("rsa_a.key").as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(bearer("/orders/1", rsa_signed).await.unwrap().status(), 200);
    for bad in [
        token(expired),
        token(wrong_aud),
        none,
        tampered,
        "x".repeat(9000),
        token(not_yet),
        token(unknown_issuer),
        confused,
    ] {
        let resp = bearer("/orders/1", bad).await.unwrap();
        assert_eq!(resp.headers()["www-authenticate"], "Bearer realm=\"api\"");
        assert_problem(resp, 401, "unauthenticated").await;
    }
    let causes: Vec<Value> = gw
        .log("events.log", 10)
        .await
        .iter()
        .map(|e| e["cause"].clone())
        .collect();
    assert_eq!(
        causes[2..],
        [
            "jwt-expired",
            "jwt-wrong-audience",
            "jwt-algorithm-not-allowed",
            "jwt-bad-signature",
            "jwt-too-large",
            "jwt-not-yet-valid",
            "jwt-unknown-issuer",
            "jwt-algorithm-not-allowed"
        ]
    );
    assert_eq!(up.hits(), 3);
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An RFC 7662 introspection endpoint: `good` is active for `svc`, bound to `thumbprint`
/// when given; anything else is inactive. Counts calls.
async fn introspection_server(thumbprint: Option<String>) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let app = axum::Router::new().route(
        "/introspect",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let c = c.clone();
            let thumbprint = thumbprint.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                // Basic czpzZWNyZXQtc2VjcmV0 = "s:secret-secret" (RFC 6749 2.3.1).
                assert_eq!(headers["authorization"], "Basic czpzZWNyZXQtc2VjcmV0");
                let active = body.contains("token=good");
                let mut answer = json!({ "active": active });
                if active {
                    answer = json!({ "active": true, "client_id": "svc", "scope": "orders:read", "exp": now() + 300 });
                    if let Some(t) = thumbprint {
                        answer["cnf"] = json!({ "x5t#S256": t });
                    }
                }
                axum::Json(answer)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/introspect", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

#[tokio::test]
async fn opaque_tokens_are_introspected_and_cached() {
    let up = Upstream::start("a").await;
    let (url, calls) = introspection_server(None).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("client.secret"), "secret-secret\n").unwrap();
    let yaml = format!(
        r#"
listen: [{{ addr: "127.0.0.1:0" }}]
identity:
  introspection: {{ url: "{url}", client_id: s, client_secret: {{ file: $DIR/client.secret }} }}
upstreams: {{ up: {{ targets: ["{}"] }} }}
apis: [{{ name: a, upstream: up, defaults: {{ authn: [introspection] }} }}]
"#,
        up.url()
    );
    let gw = start_gateway_in(dir, &yaml).await;
    let call = |t: &'static str| client().get(gw.url("/x")).bearer_auth(t).send();
    let seen: Value = call("good").await.unwrap().json().await.unwrap();
    assert_eq!(seen["headers"]["x-consumer-id"], "svc");
    assert_eq!(call("good").await.unwrap().status(), 200);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the active answer is cached"
    );
    assert_problem(call("bad").await.unwrap(), 401, "unauthenticated").await;
    assert_eq!(call("bad").await.unwrap().status(), 401);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the inactive answer is cached too"
    );
}

#[tokio::test]
async fn client_certificates_map_to_consumers_and_bind_tokens() {
    let up = Upstream::start("a").await;
    let ca = Ca::new("test ca");
    let clients = Ca::new("client ca");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = ca.leaf("localhost", &["localhost"]);
    write(dir.path(), "server.pem", &cert);
    write(dir.path(), "server.key", &key);
    write(dir.path(), "clients.pem", &clients.pem());
    write(dir.path(), "client.secret", "secret-secret");
    // The bound certificate is made first, so that its thumbprint can be in the token.
    let (bound_cert, bound_key) = clients.leaf("billing", &["billing.internal"]);
    let der = rustls::pki_types::CertificateDer::from_pem_slice(bound_cert.as_bytes()).unwrap();
    use rustls::pki_types::pem::PemObject;
    use sha2::Digest;
    let thumbprint = base64_url(&sha2::Sha256::digest(der.as_ref()));
    let (url, _) = introspection_server(Some(thumbprint)).await;
    let yaml = format!(
        r#"
listen:
  - addr: "127.0.0.1:0"
    tls: {{ cert: $DIR/server.pem, key: $DIR/server.key, client_ca: $DIR/clients.pem, client_auth: optional }}
consumers:
  - {{ id: billing-svc, roles: [service], certificates: ["CN=billing"] }}
  - {{ id: reports-svc, certificates: ["DNS:reports.internal"] }}
identity:
  introspection: {{ url: "{url}", client_id: s, client_secret: {{ file: $DIR/client.secret }} }}
upstreams: {{ up: {{ targets: ["{}"] }} }}
apis:
  - name: a
    upstream: up
    defaults: {{ authn: [mtls] }}
    routes:
      "ANY /tokens/{{*rest}}": {{ authn: [introspection] }}
"#,
        up.url()
    );
    let gw = start_gateway_in(dir, &yaml).await;
    let url = |p: &str| format!("https://localhost:{}{p}", gw.addr.port());
    let bound = https_client(&ca, &gw)
        .identity(
            reqwest::Identity::from_pem(format!("{bound_cert}{bound_key}").as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let seen = json_of(bound.get(url("/x"))).await;
    assert_eq!(seen["headers"]["x-consumer-id"], "billing-svc");
    let by_san = client_with_cert(&ca, &gw, &clients, "whatever", &["reports.internal"]);
    let seen = json_of(by_san.get(url("/x"))).await;
    assert_eq!(seen["headers"]["x-consumer-id"], "reports-svc");
    let unmapped = client_with_cert(&ca, &gw, &clients, "stranger", &["stranger.internal"]);
    assert_eq!(unmapped.get(url("/x")).send().await.unwrap().status(), 401);

    // RFC 8705: the token is honoured over the certificate it is bound to, and no other.
    let with_token = |c: &reqwest::Client| c.get(url("/tokens/1")).bearer_auth("good").send();
    assert_eq!(with_token(&bound).await.unwrap().status(), 200);
    assert_eq!(with_token(&by_san).await.unwrap().status(), 401);
    let anonymous = https_client(&ca, &gw).build().unwrap();
    assert_eq!(with_token(&anonymous).await.unwrap().status(), 401);
    let causes: Vec<Value> = gw
        .log("events.log", 3)
        .await
        .iter()
        .map(|e| e["cause"].clone())
        .collect();
    assert_eq!(
        causes,
        [
            "certificate-not-mapped",
            "token-certificate-mismatch",
            "token-certificate-mismatch"
        ]
    );
}
