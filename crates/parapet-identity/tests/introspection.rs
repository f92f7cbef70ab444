#![allow(clippy::unwrap_used, clippy::expect_used)]
//! OAuth2 token introspection against a real authorization server on a local socket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use parapet_config::{ClaimNames, Introspection, Secret};
use parapet_identity::introspection::{IntrospectionFailure, IntrospectionStats, Introspector};
use serde_json::json;

const CLIENT_ID: &str = "gateway:1";
const CLIENT_SECRET: &str = "s3cr&t+=/ é";
/// `base64("gateway%3A1:s3cr%26t%2B%3D%2F+%C3%A9")`, i.e. id and secret form-urlencoded
/// before base64 (RFC 6749 §2.3.1), computed independently of the implementation.
const EXPECTED_AUTHORIZATION: &str = "Basic Z2F0ZXdheSUzQTE6czNjciUyNnQlMkIlM0QlMkYrJUMzJUE5";

/// The authorization server: counts requests per token (as it decoded it).
#[derive(Default)]
struct Shared {
    hits: Mutex<HashMap<String, usize>>,
}

struct AuthServer {
    url: String,
    shared: Arc<Shared>,
}

impl AuthServer {
    async fn start() -> AuthServer {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/introspect", post(introspect))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        AuthServer {
            url: format!("http://{addr}/introspect"),
            shared,
        }
    }

    fn hits(&self, token: &str) -> usize {
        self.shared
            .hits
            .lock()
            .unwrap()
            .get(token)
            .copied()
            .unwrap_or(0)
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Decodes an `application/x-www-form-urlencoded` body (independently of the crate).
fn form_decode(body: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }
    body.split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap();
            (decode(name), decode(value))
        })
        .collect()
}

async fn introspect(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let params = form_decode(&body);
    let [(name, token), (hint_name, hint)] = params.as_slice() else {
        return (
            StatusCode::BAD_REQUEST,
            "expected token and token_type_hint",
        )
            .into_response();
    };
    if name != "token" || hint_name != "token_type_hint" || hint != "access_token" {
        return (StatusCode::BAD_REQUEST, "bad parameters").into_response();
    }
    *shared
        .hits
        .lock()
        .unwrap()
        .entry(token.clone())
        .or_default() += 1;
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/x-www-form-urlencoded")
        || headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) != Some("application/json")
    {
        return (StatusCode::BAD_REQUEST, "bad content type or accept").into_response();
    }
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(EXPECTED_AUTHORIZATION)
    {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic")],
        )
            .into_response();
    }
    let answer = if token.starts_with("inactive") {
        json!({"active": false})
    } else if let Some(exp) = token.strip_prefix("exp:") {
        json!({"active": true, "sub": "bob", "exp": exp.parse::<u64>().unwrap()})
    } else if token.starts_with("fail") {
        return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response();
    } else if token.starts_with("hang") {
        tokio::time::sleep(Duration::from_secs(10)).await;
        json!({"active": true})
    } else if token.starts_with("noactive") {
        json!({"sub": "alice"})
    } else if token.starts_with("stringactive") {
        json!({"active": "true", "sub": "alice"})
    } else if token.starts_with("garbage") {
        return ([(header::CONTENT_TYPE, "application/json")], "{not json").into_response();
    } else if token.starts_with("huge") {
        json!({"active": true, "sub": "alice", "padding": "x".repeat(100 * 1024)})
    } else {
        if token.starts_with("slow") {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        json!({
            "active": true,
            "sub": "alice",
            "scope": "read write",
            "client_id": "app",
            "exp": unix_now() as u64 + 3600,
            "cnf": {"x5t#S256": "abc"},
            "token_seen": token,
        })
    };
    (
        [(header::CONTENT_TYPE, "application/json")],
        answer.to_string(),
    )
        .into_response()
}

fn settings(url: &str) -> Introspection {
    Introspection {
        url: url.to_string(),
        client_id: CLIENT_ID.to_string(),
        client_secret: Secret(CLIENT_SECRET.as_bytes().to_vec()),
        cache_max: Duration::from_secs(60),
        negative_ttl: Duration::from_secs(60),
        timeout: Duration::from_secs(5),
        cache_entries: 100,
        claims: ClaimNames::default(),
    }
}

fn introspector(settings: Introspection) -> Introspector {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    Introspector::new(Arc::new(settings), http)
}

#[tokio::test]
async fn active_token_returns_claims_and_is_cached() {
    let server = AuthServer::start().await;
    let introspector = introspector(settings(&server.url));

    let token = introspector.introspect("tok-1").await.unwrap();
    assert_eq!(token.claims["active"], true);
    assert_eq!(token.claims["sub"], "alice");
    assert_eq!(token.claims["scope"], "read write");
    assert_eq!(token.claims["client_id"], "app");
    assert_eq!(token.claims["cnf"]["x5t#S256"], "abc");
    assert_eq!(token.claims["token_seen"], "tok-1");
    assert_eq!(server.hits("tok-1"), 1);

    let again = introspector.introspect("tok-1").await.unwrap();
    assert_eq!(again, token);
    assert_eq!(server.hits("tok-1"), 1, "second call served from the cache");
    assert_eq!(
        introspector.stats(),
        IntrospectionStats {
            entries: 1,
            hits: 1,
            misses: 1
        }
    );
}

#[tokio::test]
async fn inactive_token_is_cached_for_negative_ttl() {
    let server = AuthServer::start().await;
    let introspector = introspector(Introspection {
        negative_ttl: Duration::from_millis(200),
        ..settings(&server.url)
    });

    let failure = introspector.introspect("inactive-1").await.unwrap_err();
    assert_eq!(failure, IntrospectionFailure::Inactive);
    assert_eq!(failure.cause(), "token-inactive");
    assert_eq!(
        introspector.introspect("inactive-1").await,
        Err(IntrospectionFailure::Inactive)
    );
    assert_eq!(server.hits("inactive-1"), 1, "inactive answer cached");
    assert_eq!(introspector.stats().entries, 1);

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(introspector.stats().entries, 0);
    assert_eq!(
        introspector.introspect("inactive-1").await,
        Err(IntrospectionFailure::Inactive)
    );
    assert_eq!(
        server.hits("inactive-1"),
        2,
        "asked again after negative_ttl"
    );
}

#[tokio::test]
async fn active_token_is_cached_only_until_exp() {
    let server = AuthServer::start().await;
    let introspector = introspector(settings(&server.url));
    let exp = unix_now() as u64 + 2;
    let name = format!("exp:{exp}");

    let token = introspector.introspect(&name).await.unwrap();
    assert_eq!(token.claims["sub"], "bob");
    assert!(introspector.introspect(&name).await.is_ok());
    assert_eq!(server.hits(&name), 1);

    let left = exp as f64 - unix_now();
    tokio::time::sleep(Duration::from_secs_f64(left.max(0.0) + 0.2)).await;
    // Re-asked; the server still says active, but with an `exp` now past.
    assert_eq!(
        introspector.introspect(&name).await,
        Err(IntrospectionFailure::Inactive)
    );
    assert_eq!(server.hits(&name), 2);
}

#[tokio::test]
async fn active_token_is_cached_at_most_cache_max() {
    let server = AuthServer::start().await;
    let introspector = introspector(Introspection {
        cache_max: Duration::from_millis(200),
        ..settings(&server.url)
    });
    assert!(introspector.introspect("tok-max").await.is_ok());
    assert!(introspector.introspect("tok-max").await.is_ok());
    assert_eq!(server.hits("tok-max"), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(introspector.introspect("tok-max").await.is_ok());
    assert_eq!(server.hits("tok-max"), 2);
}

#[tokio::test]
async fn server_error_is_unavailable_and_not_cached() {
    let server = AuthServer::start().await;
    let introspector = introspector(settings(&server.url));

    let failure = introspector.introspect("fail-1").await.unwrap_err();
    assert_eq!(failure, IntrospectionFailure::Unavailable);
    assert_eq!(failure.cause(), "introspection-unavailable");
    assert_eq!(
        introspector.introspect("fail-1").await,
        Err(IntrospectionFailure::Unavailable)
    );
    assert_eq!(server.hits("fail-1"), 2, "failures are not cached");
    assert_eq!(introspector.stats().entries, 0);
}

#[tokio::test]
async fn server_down_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let introspector = introspector(settings(&format!("http://{addr}/introspect")));
    assert_eq!(
        introspector.introspect("tok-1").await,
        Err(IntrospectionFailure::Unavailable)
    );
    assert_eq!(introspector.stats().entries, 0);
}

#[tokio::test]
async fn wrong_credentials_are_unavailable() {
    let server = AuthServer::start().await;
    let introspector = introspector(Introspection {
        client_secret: Secret(b"wrong".to_vec()),
        ..settings(&server.url)
    });
    assert_eq!(
        introspector.introspect("tok-1").await,
        Err(IntrospectionFailure::Unavailable)
    );
    assert_eq!(
        introspector.introspect("tok-1").await,
        Err(IntrospectionFailure::Unavailable)
    );
    assert_eq!(server.hits("tok-1"), 2, "the 401 is not cached");
}

#[tokio::test]
async fn malformed_answers_are_unavailable() {
    let server = AuthServer::start().await;
    let introspector = introspector(settings(&server.url));
    for token in ["noactive-1", "stringactive-1", "garbage-1", "huge-1"] {
        assert_eq!(
            introspector.introspect(token).await,
            Err(IntrospectionFailure::Unavailable),
            "{token}"
        );
        assert_eq!(server.hits(token), 1, "{token}");
    }
    assert_eq!(introspector.stats().entries, 0);
}

/// A server answering every request with a chunked (no `Content-Length`) JSON body of
/// `size` bytes, so only the streaming bound can stop it.
async fn chunked_server(size: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                // Read the whole request (headers, then `Content-Length` bytes of body).
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = socket.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length: usize = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse().unwrap());
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let body = json!({"active": true, "padding": "x".repeat(size)}).to_string();
                let mut response = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_vec();
                for chunk in body.as_bytes().chunks(8192) {
                    response.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                    response.extend_from_slice(chunk);
                    response.extend_from_slice(b"\r\n");
                }
                response.extend_from_slice(b"0\r\n\r\n");
                let _ = socket.write_all(&response).await;
            });
        }
    });
    format!("http://{addr}/introspect")
}

#[tokio::test]
async fn chunked_response_is_bounded() {
    let small = introspector(settings(&chunked_server(10 * 1024).await));
    assert!(small.introspect("tok-1").await.is_ok(), "under the bound");
    let huge = introspector(settings(&chunked_server(100 * 1024).await));
    assert_eq!(
        huge.introspect("tok-1").await,
        Err(IntrospectionFailure::Unavailable)
    );
}

#[tokio::test]
async fn timeout_is_unavailable() {
    let server = AuthServer::start().await;
    let introspector = introspector(Introspection {
        timeout: Duration::from_millis(300),
        ..settings(&server.url)
    });
    let start = Instant::now();
    assert_eq!(
        introspector.introspect("hang-1").await,
        Err(IntrospectionFailure::Unavailable)
    );
    assert!(start.elapsed() < Duration::from_secs(3));
    assert_eq!(introspector.stats().entries, 0);
}

#[tokio::test]
async fn cache_is_bounded() {
    let server = AuthServer::start().await;
    let introspector = introspector(Introspection {
        cache_entries: 3,
        ..settings(&server.url)
    });
    for i in 0..10 {
        assert!(introspector.introspect(&format!("tok-{i}")).await.is_ok());
        assert!(introspector.stats().entries <= 3);
    }
    assert_eq!(introspector.stats().entries, 3);

    // The newest answers are kept…
    assert!(introspector.introspect("tok-9").await.is_ok());
    assert_eq!(server.hits("tok-9"), 1);
    // …the oldest were evicted.
    assert!(introspector.introspect("tok-0").await.is_ok());
    assert_eq!(server.hits("tok-0"), 2);
    assert_eq!(introspector.stats().entries, 3);
}

#[tokio::test]
async fn token_is_form_encoded() {
    let server = AuthServer::start().await;
    let introspector = introspector(settings(&server.url));
    let raw = "a&b=c+d %2F/é?x==&token_type_hint=refresh_token";
    let token = introspector.introspect(raw).await.unwrap();
    assert_eq!(token.claims["token_seen"], raw);
    assert_eq!(server.hits(raw), 1);
}

#[tokio::test]
async fn concurrent_introspections_share_one_call() {
    let server = AuthServer::start().await;
    let introspector = Arc::new(introspector(settings(&server.url)));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let introspector = introspector.clone();
            tokio::spawn(async move { introspector.introspect("slow-1").await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().claims["sub"], "alice");
    }
    assert_eq!(server.hits("slow-1"), 1);
    assert_eq!(
        introspector.stats(),
        IntrospectionStats {
            entries: 1,
            hits: 19,
            misses: 1
        }
    );
}

#[tokio::test]
async fn cancelled_call_does_not_block_others() {
    let server = AuthServer::start().await;
    let introspector = Arc::new(introspector(settings(&server.url)));
    // The first caller gives up while its call is in flight…
    let first =
        tokio::time::timeout(Duration::from_millis(50), introspector.introspect("slow-2")).await;
    assert!(first.is_err());
    // …a later caller is not left waiting for it.
    let token = tokio::time::timeout(Duration::from_secs(3), introspector.introspect("slow-2"))
        .await
        .expect("not stuck behind the cancelled call")
        .unwrap();
    assert_eq!(token.claims["sub"], "alice");
}

#[tokio::test]
async fn settings_and_debug() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Introspector>();

    let settings = Arc::new(settings("http://127.0.0.1:1/introspect"));
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let introspector = Introspector::new(settings.clone(), http);
    assert!(Arc::ptr_eq(introspector.settings(), &settings));
    let debug = format!("{introspector:?}");
    assert!(!debug.contains("s3cr"), "{debug}");
    assert!(!debug.contains("Basic"), "{debug}");
}
