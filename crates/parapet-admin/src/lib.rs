//! The admin listener, bound to loopback by default (a non-loopback address is a warning in
//! `parapet check`).
//!
//! Endpoints:
//! - `GET /metrics`: Prometheus text exposition of every gateway metric.
//! - `GET /healthz`: 200 while the process serves.
//! - `GET /readyz`: 200 when ready for traffic; 503 while draining or when an upstream group
//!   has no target in rotation, with a JSON body that says which.
//! - consumers, API keys and the JWT key cache, behind the admin token: see [`identity`].

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use parapet_proxy::Shared;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

pub mod identity;

/// The admin routes over the gateway's shared state.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .merge(identity::router(shared.clone()))
        .with_state(shared)
}

/// Serves the admin API on `listener` until `stop` completes.
pub async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(shared))
        .with_graceful_shutdown(stop)
        .await
}

async fn metrics(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.metrics.encode(),
    )
}

async fn readyz(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
) -> impl IntoResponse {
    let r = shared.readiness();
    let status = if r.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::to_string(&r).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body)
}
