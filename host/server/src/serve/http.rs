//! The HTTP server: `/healthz` (the process is alive), `/readyz` (database and
//! storage answer), `/metrics` (Prometheus), and the REST API (`/v1`, `/openapi.json`).
use super::Shared;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;

/// Health, readiness and metrics are outside the API: no credentials, no rate
/// limit, plain text.
pub fn router(shared: Arc<Shared>, api: Router) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(shared)
        .merge(api)
        .fallback(super::api::error::no_route)
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Problems that make the service not ready (empty when ready).
pub async fn readiness(shared: &Shared) -> Vec<String> {
    let mut problems = Vec::new();
    match tokio::time::timeout(Duration::from_secs(2), shared.db.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => problems.push(format!("database: {e}")),
        Err(_) => problems.push("database: no answer within 2 s".into()),
    }
    match tokio::time::timeout(Duration::from_secs(2), shared.blob.health()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => problems.push(format!("storage: {e}")),
        Err(_) => problems.push("storage: no answer within 2 s".into()),
    }
    problems
}

async fn readyz(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let problems = readiness(&shared).await;
    if problems.is_empty() {
        (StatusCode::OK, "ready\n".to_string())
    } else {
        // The causes are operational (which dependency), never document contents.
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready\n{}\n", problems.join("\n")),
        )
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let queue = tokio::time::timeout(Duration::from_secs(2), shared.db.queue_depth())
        .await
        .ok()
        .and_then(Result::ok);
    let ready = queue.is_some()
        && tokio::time::timeout(Duration::from_secs(2), shared.blob.health())
            .await
            .is_ok_and(|r| r.is_ok());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], {
        let mut text = shared.metrics.render(queue.as_deref(), ready);
        shared.plugins.stats.render(&mut text);
        text
    })
}
