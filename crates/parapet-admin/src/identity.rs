//! Consumers, API keys and the JWT key cache on the admin API. Every endpoint here needs
//! `Authorization: Bearer <admin token>` (compared in constant time; the token is never
//! logged) and is off when no token is configured. The store is the source of truth, so
//! every replica sharing it sees a change on its next request.
//!
//! - `GET /consumers`, `POST /consumers`, `GET /consumers/{id}`, `DELETE /consumers/{id}`
//! - `GET /consumers/{id}/keys`, `POST /consumers/{id}/keys` (the secret is in this answer
//!   only), `DELETE /keys/{id}` (revokes, in the store and in the shared state)
//! - `POST /revocations`: revokes a token (`jti`), key or certificate in the shared state,
//!   so that every replica refuses it on its next request
//! - `GET /jwt/keys`: the JWT key cache per issuer

use axum::Json;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use parapet_identity::revocation::Revocations;
use parapet_proxy::Shared;
use parapet_store::{Consumer, Origin, Store, StoreError};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The identity routes, behind the admin token.
pub fn router(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route("/consumers", get(list_consumers).post(create_consumer))
        .route("/consumers/{id}", get(get_consumer).delete(delete_consumer))
        .route("/consumers/{id}/keys", get(list_keys).post(create_key))
        .route("/keys/{id}", delete(revoke_key))
        .route("/revocations", post(revoke_credential))
        .route("/jwt/keys", get(jwt_keys))
        .route_layer(middleware::from_fn_with_state(shared, require_token))
}

/// An admin API problem (RFC 9457).
fn problem(status: StatusCode, code: &str, title: &str) -> Response {
    let body = serde_json::json!({
        "type": format!("urn:parapet:problem:{code}"),
        "title": title,
        "status": status.as_u16(),
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

async fn require_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    req: Request,
    next: Next,
) -> Response {
    let snapshot = shared.snapshot.load();
    let Some(token) = snapshot
        .config
        .admin
        .as_ref()
        .and_then(|a| a.token.as_ref())
    else {
        return problem(
            StatusCode::FORBIDDEN,
            "admin-token-not-configured",
            "Set admin.token to use this endpoint",
        );
    };
    let presented = parapet_identity::credentials::bearer(&headers).unwrap_or_default();
    let ok: bool = subtle::ConstantTimeEq::ct_eq(presented.as_bytes(), &token.0[..]).into();
    if !ok {
        let mut r = problem(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"parapet-admin\""),
        );
        return r;
    }
    drop(snapshot);
    next.run(req).await
}

fn store(shared: &Shared) -> Arc<Store> {
    shared.snapshot.load().identity.store().clone()
}

fn store_error(e: StoreError) -> Response {
    match e {
        StoreError::Exists => problem(StatusCode::CONFLICT, "exists", "Already exists"),
        StoreError::NotFound => problem(StatusCode::NOT_FOUND, "not-found", "Not found"),
        StoreError::Invalid(why) => {
            let mut r = problem(StatusCode::BAD_REQUEST, "invalid", "Invalid request");
            *r.body_mut() = serde_json::json!({
                "type": "urn:parapet:problem:invalid",
                "title": "Invalid request",
                "status": 400,
                "detail": why,
            })
            .to_string()
            .into();
            r
        }
        other => {
            tracing::error!(error = %other, "store error");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store-error",
                "Store unavailable",
            )
        }
    }
}

async fn list_consumers(State(shared): State<Arc<Shared>>) -> Response {
    match store(&shared).consumers() {
        Ok(list) => Json(list).into_response(),
        Err(e) => store_error(e),
    }
}

/// Body of `POST /consumers`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewConsumer {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    rate_plan: Option<String>,
    #[serde(default)]
    metadata: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    certificates: Vec<String>,
}

async fn create_consumer(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let Ok(c) = serde_json::from_slice::<NewConsumer>(&body) else {
        return store_error(StoreError::Invalid(
            "expected a JSON consumer: {\"id\": …, \"name\": …, \"scopes\": […], \"roles\": […]}"
                .into(),
        ));
    };
    let consumer = Consumer {
        name: c.name.unwrap_or_else(|| c.id.clone()),
        id: c.id,
        scopes: c.scopes,
        roles: c.roles,
        rate_plan: c.rate_plan,
        metadata: c.metadata,
        certificates: c
            .certificates
            .iter()
            .map(|n| parapet_identity::certificate_name(n))
            .collect(),
        origin: Origin::Api,
    };
    match store(&shared).create_consumer(&consumer) {
        Ok(()) => (StatusCode::CREATED, Json(consumer)).into_response(),
        Err(e) => store_error(e),
    }
}

async fn get_consumer(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match store(&shared).consumer(&id) {
        Ok(Some(c)) => Json(c).into_response(),
        Ok(None) => store_error(StoreError::NotFound),
        Err(e) => store_error(e),
    }
}

async fn delete_consumer(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let store = store(&shared);
    if let Ok(Some(c)) = store.consumer(&id)
        && c.origin == Origin::Config
    {
        return problem(
            StatusCode::CONFLICT,
            "declared-in-config",
            "This consumer is declared in the configuration file: remove it there",
        );
    }
    match store.delete_consumer(&id) {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => store_error(StoreError::NotFound),
        Err(e) => store_error(e),
    }
}

async fn list_keys(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let store = store(&shared);
    match store.consumer(&id) {
        Ok(Some(_)) => {}
        Ok(None) => return store_error(StoreError::NotFound),
        Err(e) => return store_error(e),
    }
    match store.keys(Some(&id)) {
        Ok(keys) => Json(keys).into_response(),
        Err(e) => store_error(e),
    }
}

/// Body of `POST /consumers/{id}/keys` (may be empty).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    #[serde(default)]
    label: Option<String>,
    /// Lifetime in seconds.
    #[serde(default)]
    expires_in: Option<u64>,
}

async fn create_key(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let req: NewKey = if body.is_empty() {
        NewKey::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(_) => {
                return store_error(StoreError::Invalid(
                    "expected {\"label\": \"…\", \"expires_in\": seconds}".into(),
                ));
            }
        }
    };
    let expires = req
        .expires_in
        .map(|s| SystemTime::now() + Duration::from_secs(s));
    match store(&shared).create_key(&id, req.label.as_deref(), expires) {
        Ok(new) => (
            StatusCode::CREATED,
            Json(serde_json::json!({ "key": new.record, "secret": new.secret })),
        )
            .into_response(),
        Err(e) => store_error(e),
    }
}

/// How long a revocation mark is kept when the credential's own expiry is not given.
const REVOCATION_TTL: Duration = Duration::from_secs(400 * 86_400);

async fn revoke_key(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match store(&shared).revoke_key(&id) {
        // Replicas with stores of their own learn it from the shared state.
        Ok(true) => mark_revoked(&shared, "api_key", &id, REVOCATION_TTL).await,
        Ok(false) => store_error(StoreError::NotFound),
        Err(e) => store_error(e),
    }
}

/// `POST /revocations` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Revocation {
    /// `jwt`, `introspection`, `api_key` or `mtls`.
    method: String,
    /// The token's `jti`, the key's id, or the certificate's SHA-256 (base64url).
    credential: String,
    /// Unix seconds at which the credential expires anyway (the mark is kept until then).
    #[serde(default)]
    expires_at: Option<u64>,
}

async fn revoke_credential(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let invalid = |why: &str| store_error(StoreError::Invalid(why.into()));
    let Ok(r) = serde_json::from_slice::<Revocation>(&body) else {
        return invalid(
            "expected {\"method\": \"jwt\", \"credential\": \"<jti>\", \"expires_at\": unix seconds}",
        );
    };
    if !["jwt", "introspection", "api_key", "mtls"].contains(&r.method.as_str()) {
        return invalid("method must be jwt, introspection, api_key or mtls");
    }
    if r.credential.is_empty() || r.credential.len() > 512 {
        return invalid("credential must be 1 to 512 characters");
    }
    let ttl = match r.expires_at {
        None => REVOCATION_TTL,
        Some(at) => {
            let at = SystemTime::UNIX_EPOCH
                .checked_add(Duration::from_secs(at))
                .unwrap_or(SystemTime::UNIX_EPOCH + REVOCATION_TTL * 1000);
            match at.duration_since(SystemTime::now()) {
                Ok(left) => left.min(REVOCATION_TTL),
                // Already expired: nothing to revoke.
                Err(_) => return StatusCode::NO_CONTENT.into_response(),
            }
        }
    };
    mark_revoked(&shared, &r.method, &r.credential, ttl).await
}

/// Writes a revocation mark; 503 when the store or the shared state cannot take it (what
/// was written stays in force).
async fn mark_revoked(shared: &Shared, method: &str, credential: &str, ttl: Duration) -> Response {
    let revocations = {
        let snapshot = shared.snapshot.load();
        Revocations::new(snapshot.traffic.state(), snapshot.identity.store())
    };
    match revocations.revoke(method, credential, ttl).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "state-unavailable",
            "Revocation not recorded everywhere: the store or the shared state is unavailable",
        ),
    }
}

async fn jwt_keys(State(shared): State<Arc<Shared>>) -> Response {
    let view = shared.snapshot.load().identity.jwt().key_cache();
    Json(view).into_response()
}
