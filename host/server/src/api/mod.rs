//! The REST API under `/v1` (docs/api.md), served by `papyr serve` next to health,
//! readiness and metrics.
//!
//! - [`error`]: `ApiError`, answered as RFC 9457 problem details.
//! - [`auth`]: the `Caller` extractor (local mode, OIDC bearer tokens, API keys) and
//!   the `RequireRole` guard.
//! - [`rate_limit`]: a token bucket per API key or user.
//! - [`extract`]: JSON, query and path extractors with problem rejections; body limits.
//! - [`pagination`]: `PageQuery`, `Page<T>`, `Paged<T>` with its `Link` header.
//! - [`openapi`]: the list of operations and the generated `GET /openapi.json`.
//! - [`me`], [`invoices`], [`approvals`], [`events`]: the endpoints.
//! - [`vendors`], [`users`], [`api_keys`], [`settings`], [`audit`]: the tenant's
//!   administration (vendor master, people, keys, settings, audit log).
//! - [`plugins`]: tenant plugins (upload, settings, back-test, shadow, activate,
//!   roll back, statistics).
pub mod api_keys;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod error;
pub mod events;
pub mod extract;
pub mod invoices;
pub mod me;
pub mod openapi;
pub mod pagination;
pub mod plugins;
pub mod rate_limit;
pub mod settings;
pub mod users;
pub mod vendors;

use super::Shared;
use super::config::AuthMode;
use anyhow::{Context, Result};
use auth::{Authenticator, Mode};
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use extract::BodyLimits;
use rate_limit::RateLimiter;
use std::sync::Arc;
use tracing::Instrument;

/// What every handler can reach.
#[derive(Clone)]
pub struct ApiState {
    pub shared: Arc<Shared>,
    pub auth: Arc<Authenticator>,
    pub limiter: Arc<RateLimiter>,
    /// Above 0 once the server is shutting down: long-lived responses (the event
    /// stream) end so the server can stop.
    pub shutdown: tokio::sync::watch::Receiver<u8>,
}

impl ApiState {
    /// Set up authentication from `[api]`: in local mode the demo tenant (created if
    /// missing) is every anonymous caller's tenant.
    pub async fn new(
        shared: Arc<Shared>,
        shutdown: tokio::sync::watch::Receiver<u8>,
    ) -> Result<ApiState> {
        let cfg = &shared.cfg.api;
        let keys = Arc::new(shared.db.clone());
        let mode = match cfg.auth {
            AuthMode::Local => {
                let slug = &shared.cfg.demo.tenant;
                let tenant_id = shared
                    .db
                    .ensure_tenant(slug, slug, "{}")
                    .await
                    .context("failed to set up the local-mode tenant")?;
                Mode::Local { tenant_id }
            }
            AuthMode::Oidc => {
                let oidc = cfg
                    .oidc()
                    .context("api.auth = \"oidc\" without its settings")?;
                let client = reqwest::Client::builder()
                    .build()
                    .context("failed to set up the HTTP client for the identity provider")?;
                let verifier = papyr_auth::OidcVerifier::new(oidc, client).map_err(|e| {
                    anyhow::anyhow!("{e} (api.oidc_issuer, api.oidc_audience, api.oidc_jwks_url: PAPYR_API__OIDC_*)")
                })?;
                Mode::Oidc {
                    verifier: Box::new(verifier),
                    tenants: Arc::new(shared.db.clone()),
                }
            }
        };
        Ok(ApiState {
            auth: Arc::new(Authenticator::new(mode, keys)),
            limiter: Arc::new(RateLimiter::new(
                cfg.rate_limit_per_minute,
                cfg.rate_limit_burst,
            )),
            shutdown,
            shared,
        })
    }

    fn limits(&self) -> BodyLimits {
        let api = &self.shared.cfg.api;
        // `Config::validate` checked that both fit in a usize.
        BodyLimits {
            json: usize::try_from(api.max_json_bytes).unwrap_or(usize::MAX),
            upload: usize::try_from(api.max_upload_bytes).unwrap_or(usize::MAX),
            component: usize::try_from(self.shared.cfg.plugins.max_component_bytes)
                .unwrap_or(usize::MAX),
        }
    }
}

/// `/v1/…` and `/openapi.json`. Every `/v1` request is authenticated and rate
/// limited before its handler runs, and every error answer is a problem.
pub fn router(state: ApiState) -> Router {
    let (api, doc) = openapi::split(state.limits());
    let spec = doc.to_pretty_json().unwrap_or_else(|_| "{}".into());
    let api = api
        .layer(from_fn_with_state(state.clone(), auth::require_caller))
        .layer(from_fn(error::problem_details))
        .layer(from_fn(trace_request))
        .with_state(state);
    let spec = Arc::new(spec);
    api.route(
        "/openapi.json",
        get(move || {
            let spec = spec.clone();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    )],
                    spec.as_str().to_owned(),
                )
                    .into_response()
            }
        }),
    )
}

/// A span per request, named by its route (never by ids in the path), with the
/// caller filled in once authenticated.
async fn trace_request(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    let span =
        tracing::info_span!("api", method = %req.method(), route, caller = tracing::field::Empty);
    async move {
        let started = std::time::Instant::now();
        let res = next.run(req).await;
        tracing::debug!(
            status = res.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "answered"
        );
        res
    }
    .instrument(span)
    .await
}
