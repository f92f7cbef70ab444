//! The demo's sample API: a small in-memory bookstore with users, books and an admin area.
//! Its contract is `examples/bookstore.openapi.yaml`.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use std::convert::Infallible;
use tokio::net::TcpListener;

/// Where the demo runs the bookstore (matches `examples/demo.yaml`).
pub const DEMO_ADDR: &str = "127.0.0.1:9090";

/// Serves the bookstore on `listener` forever.
pub async fn serve(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let _ = builder
                .serve_connection(TokioIo::new(stream), service_fn(handle))
                .await;
        });
    }
}

fn book(id: u64) -> Value {
    const TITLES: [&str; 3] = ["Dune", "Neuromancer", "The Left Hand of Darkness"];
    json!({ "id": id, "title": TITLES[(id as usize) % TITLES.len()], "price": 9.5 + id as f64 })
}

fn user(id: u64) -> Value {
    // The hash is not in the contract: Parapet's exposure filter removes it.
    json!({ "id": id, "name": format!("user{id}"), "email": format!("user{id}@example.com"), "password_hash": "$argon2id$v=19$demo" })
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let id = |s: &str| s.parse::<u64>().ok();
    let (status, value) = match (&method, segments.as_slice()) {
        (&Method::GET, ["healthz"]) => (StatusCode::OK, json!({ "status": "ok" })),
        (&Method::GET, ["books"]) => (StatusCode::OK, json!((1..=3).map(book).collect::<Vec<_>>())),
        (&Method::GET, ["books", b]) if id(b).is_some() => {
            (StatusCode::OK, book(id(b).unwrap_or_default()))
        }
        (&Method::POST, ["books"]) => created(&body),
        (&Method::GET, ["users", u]) if id(u).is_some() => {
            (StatusCode::OK, user(id(u).unwrap_or_default()))
        }
        (&Method::POST, ["users"]) => created(&body),
        (&Method::GET, ["admin", "stats"]) => (StatusCode::OK, json!({ "users": 3, "books": 3 })),
        (&Method::DELETE, ["admin", "users", u]) if id(u).is_some() => {
            (StatusCode::NO_CONTENT, Value::Null)
        }
        _ => (StatusCode::NOT_FOUND, json!({ "error": "not found" })),
    };
    let bytes = if value.is_null() {
        Bytes::new()
    } else {
        Bytes::from(value.to_string())
    };
    let mut resp = Response::new(Full::new(bytes));
    *resp.status_mut() = status;
    if !value.is_null() {
        resp.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
    }
    Ok(resp)
}

fn created(body: &[u8]) -> (StatusCode, Value) {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut fields)) => {
            fields.insert("id".into(), json!(4));
            (StatusCode::CREATED, Value::Object(fields))
        }
        _ => (
            StatusCode::BAD_REQUEST,
            json!({ "error": "a JSON object is expected" }),
        ),
    }
}
