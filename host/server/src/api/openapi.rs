//! The list of API operations and the OpenAPI document generated from them.
//!
//! To add an endpoint: write the handler with `#[utoipa::path(...)]` (its own
//! success and specific error responses), then add one `.routes(...)` line to
//! [`operations`]. It is then routed, authenticated, rate limited, body-limited and
//! documented; the errors every operation can answer (400, 401, 403, 429, 500, 503)
//! are added to its documentation by [`finish`].
use super::approvals;
use super::events;
use super::extract::BodyLimits;
use super::invoices;
use super::me;
use super::{ApiState, error::Problem};
use super::{api_keys, audit, plugins, settings, users, vendors};
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{self, Content, RefOr, Response, ResponseBuilder};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Papyr API",
        description = "Supplier invoices in, decisions out. Errors are RFC 9457 problem details; \
                       listings use cursor pagination. See docs/api.md.",
    ),
    components(schemas(Problem, super::error::FieldError)),
    security(("oidc" = []), ("api_key" = [])),
    tags(
        (name = "identity", description = "Who is calling"),
        (name = "invoices", description = "Documents in and out"),
        (name = "events", description = "Live updates"),
        (name = "vendors", description = "The vendor master: sender domains, bank accounts, four-eyes confirmations"),
        (name = "users", description = "The tenant's users"),
        (name = "api-keys", description = "The tenant's API keys"),
        (name = "settings", description = "The tenant's settings"),
        (name = "audit", description = "The audit log (read only)"),
        (name = "plugins", description = "Tenant plugins: upload, settings, back-test, shadow, activate, roll back, statistics"),
    )
)]
struct ApiDoc;

/// Every API operation, each with the body limit of its kind.
pub fn operations(limits: BodyLimits) -> OpenApiRouter<ApiState> {
    let json = |r| limits.json(r);
    let upload = |r| limits.upload(r);
    let component = |r| limits.component(r);
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me::me).map(json))
        .routes(routes!(invoices::upload).map(upload))
        .routes(routes!(invoices::list).map(json))
        .routes(routes!(invoices::get).map(json))
        .routes(routes!(invoices::correct).map(json))
        .routes(routes!(invoices::original).map(json))
        .routes(routes!(invoices::report).map(json))
        .routes(routes!(approvals::approve).map(json))
        .routes(routes!(approvals::reject).map(json))
        .routes(routes!(approvals::request_info).map(json))
        .routes(routes!(approvals::provide_info).map(json))
        .routes(routes!(approvals::export_one).map(json))
        .routes(routes!(approvals::export_many).map(json))
        .routes(routes!(approvals::export_approved).map(json))
        .routes(routes!(events::events).map(json))
        .routes(routes!(vendors::list, vendors::create).map(json))
        .routes(routes!(vendors::get, vendors::patch).map(json))
        .routes(routes!(vendors::merge).map(json))
        .routes(routes!(vendors::add_domain).map(json))
        .routes(routes!(vendors::remove_domain).map(json))
        .routes(routes!(vendors::add_iban).map(json))
        .routes(routes!(vendors::remove_iban).map(json))
        .routes(routes!(vendors::iban_requests).map(json))
        .routes(routes!(vendors::confirm_iban).map(json))
        .routes(routes!(vendors::decline_iban).map(json))
        .routes(routes!(users::list, users::create).map(json))
        .routes(routes!(users::get, users::patch).map(json))
        .routes(routes!(users::disable).map(json))
        .routes(routes!(api_keys::list, api_keys::create).map(json))
        .routes(routes!(api_keys::revoke).map(json))
        .routes(routes!(settings::get, settings::put).map(json))
        .routes(routes!(audit::list).map(json))
        .routes(routes!(plugins::list).map(json))
        .routes(routes!(plugins::get).map(json))
        .routes(routes!(plugins::upload).map(component))
        .routes(routes!(plugins::put_settings).map(json))
        .routes(routes!(plugins::activate).map(json))
        .routes(routes!(plugins::rollback).map(json))
        .routes(routes!(plugins::disable).map(json))
        .routes(
            routes!(
                plugins::start_shadow,
                plugins::stop_shadow,
                plugins::shadow_report
            )
            .map(json),
        )
        .routes(routes!(plugins::start_backtest, plugins::list_backtests).map(json))
        .routes(routes!(plugins::get_backtest).map(json))
        .routes(routes!(plugins::stats).map(json))
}

/// The errors any operation may answer, as (status, component name, description).
const COMMON_ERRORS: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "Malformed request (body, query or path parameter)",
    ),
    (
        "401",
        "Unauthorized",
        "Missing or invalid credentials; carries `WWW-Authenticate: Bearer`",
    ),
    ("403", "Forbidden", "The caller lacks the role this needs"),
    (
        "429",
        "TooManyRequests",
        "Rate limit reached; carries `Retry-After` (seconds)",
    ),
    (
        "500",
        "InternalError",
        "Internal error; `detail` holds a reference for the operator's log",
    ),
    (
        "503",
        "Unavailable",
        "A dependency (identity provider, database) is unavailable; retry later",
    ),
];

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            super::error::PROBLEM_JSON,
            Content::new(Some(RefOr::Ref(openapi::Ref::from_schema_name("Problem")))),
        )
        .build()
}

/// Complete the generated document: security schemes and the common error
/// responses on every operation.
pub fn finish(doc: &mut openapi::OpenApi) {
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let components = doc.components.get_or_insert_with(Default::default);
    let mut oidc = Http::new(HttpAuthScheme::Bearer);
    oidc.bearer_format = Some("JWT".into());
    oidc.description = Some(
        "An access token from the configured OpenID Connect provider (`api.auth = \"oidc\"`)."
            .into(),
    );
    components.add_security_scheme("oidc", SecurityScheme::Http(oidc));
    let mut key = Http::new(HttpAuthScheme::Bearer);
    key.bearer_format = Some("papyr_<key_id>_<secret>".into());
    key.description = Some("An API key of the tenant, sent as a bearer token.".into());
    components.add_security_scheme("api_key", SecurityScheme::Http(key));
    for (_, name, description) in COMMON_ERRORS {
        components
            .responses
            .insert(name.to_string(), RefOr::T(problem_response(description)));
    }
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            for (status, name, _) in COMMON_ERRORS {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| {
                        RefOr::Ref(openapi::Ref::new(format!("#/components/responses/{name}")))
                    });
            }
        }
    }
}

/// The finished document and the router that serves it.
pub fn split(limits: BodyLimits) -> (axum::Router<ApiState>, openapi::OpenApi) {
    let (router, mut doc) = operations(limits).split_for_parts();
    finish(&mut doc);
    (router, doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn limits() -> BodyLimits {
        BodyLimits {
            json: 1024,
            upload: 4096,
            component: 1 << 20,
        }
    }

    /// The paths axum's router table holds. axum has no API to list routes; its
    /// `Debug` output names them (the fallback router's after `fallback_router`),
    /// and this test fails loudly if that changes.
    fn routed_paths(router: &axum::Router<ApiState>) -> BTreeSet<String> {
        let debug = format!("{router:?}");
        let routes = debug.split("fallback_router").next().unwrap_or_default();
        routes
            .split('"')
            .filter(|s| s.starts_with('/'))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn the_document_lists_exactly_the_routed_paths() {
        let (router, doc) = split(limits());
        let routed = routed_paths(&router);
        assert!(
            !routed.is_empty(),
            "cannot read the router's paths from axum's Debug output"
        );
        let documented: BTreeSet<String> = doc.paths.paths.keys().cloned().collect();
        assert_eq!(routed, documented);
    }

    #[test]
    fn every_operation_declares_its_errors_as_problems() {
        let (_, doc) = split(limits());
        let json = serde_json::to_value(&doc).unwrap();
        let ops: Vec<(&String, &String, &serde_json::Value)> = json["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .iter()
                    .map(move |(method, op)| (path, method, op))
            })
            .collect();
        assert!(ops.len() >= 5);
        for (path, method, op) in ops {
            let responses = op["responses"].as_object().unwrap();
            for status in ["400", "401", "403", "429", "500", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let problem = match r.get("$ref").and_then(|v| v.as_str()) {
                        Some(reference) => {
                            let name = reference.rsplit('/').next().unwrap();
                            &json["components"]["responses"][name]
                        }
                        None => r,
                    };
                    assert!(
                        problem["content"]["application/problem+json"]["schema"]["$ref"]
                            .as_str()
                            .is_some_and(|s| s.ends_with("/Problem")),
                        "{method} {path} {status} is not a problem: {r}"
                    );
                }
            }
        }
        let schemes = &json["components"]["securitySchemes"];
        assert_eq!(schemes["oidc"]["bearerFormat"], "JWT");
        assert_eq!(schemes["api_key"]["scheme"], "bearer");
    }
}
