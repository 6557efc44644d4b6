//! One error type for the whole API, answered as RFC 9457 problem details
//! (`application/problem+json`). A 5xx answer says only "internal error, reference
//! <id>"; the cause goes to the log under that reference.
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Problem types are URNs: they name the kind of problem (docs/api.md lists them)
/// without promising a page to fetch.
const TYPE_PREFIX: &str = "urn:papyr:problem:";

/// An RFC 9457 problem details object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// `urn:papyr:problem:<kind>`, e.g. `urn:papyr:problem:validation`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type; the same for every occurrence.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, for a person.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
    /// The request path the problem occurred on.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub instance: Option<String>,
    /// Validation failures, one per offending field.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Where the value is: a JSON path (`lines[2].amount`), a query parameter or a
    /// multipart part (`file[1]`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why a request failed. Build it with the constructors; handlers return
/// `Result<_, ApiError>` and `?` converts store and other errors (as 5xx).
/// Boxed: handlers' `Result`s stay one pointer wide on the error side.
pub struct ApiError(Box<Inner>);

struct Inner {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    detail: Option<String>,
    errors: Vec<FieldError>,
    /// `Some(challenge)` on 401s.
    www_authenticate: Option<&'static str>,
    retry_after_secs: Option<u64>,
    /// Logged, never sent.
    cause: Option<anyhow::Error>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, title: &'static str) -> ApiError {
        ApiError(Box::new(Inner {
            status,
            kind,
            title,
            detail: None,
            errors: Vec::new(),
            www_authenticate: None,
            retry_after_secs: None,
            cause: None,
        }))
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> ApiError {
        self.0.detail = Some(detail.into());
        self
    }

    #[allow(
        dead_code,
        reason = "used by the resource endpoints of issue 5 (invoices, vendors, approvals) added next; tested here"
    )]
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> ApiError {
        self.0.errors = errors;
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request").with_detail(detail)
    }

    /// The body is not well-formed JSON (or not readable at all).
    pub fn malformed_body(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed-body",
            "Malformed request body",
        )
        .with_detail(detail)
    }

    /// Missing or invalid credentials; `token_presented` adds `error="invalid_token"`
    /// to the challenge (RFC 6750 §3).
    pub fn unauthorized(detail: impl Into<String>, token_presented: bool) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
        )
        .with_detail(detail);
        e.0.www_authenticate = Some(if token_presented {
            "Bearer realm=\"papyr\", error=\"invalid_token\""
        } else {
            "Bearer realm=\"papyr\""
        });
        e
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden").with_detail(detail)
    }

    /// Absent or another tenant's: the answer is the same on purpose.
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", "Not found").with_detail(detail)
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
        )
    }

    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", "Conflict").with_detail(detail)
    }

    /// An `If-Match` version that is no longer current.
    /// 428: a change must name the version it was made to (`If-Match`).
    pub fn precondition_required(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            "Precondition required",
        )
        .with_detail(detail)
    }

    pub fn precondition_failed(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            "Precondition failed",
        )
        .with_detail(detail)
    }

    pub fn payload_too_large(limit_bytes: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Request body too large",
        )
        .with_detail(format!(
            "the request body is larger than this endpoint's limit of {limit_bytes} bytes"
        ))
    }

    /// Over the limit while reading a body that did not declare its length.
    pub fn body_too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Request body too large",
        )
        .with_detail("the request body is larger than this endpoint's limit")
    }

    pub fn unsupported_media_type(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
        )
        .with_detail(detail)
    }

    /// Well-formed but invalid input, one entry per field.
    pub fn validation(errors: Vec<FieldError>) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Validation failed",
        );
        e.0.detail = Some(match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        });
        e.0.errors = errors;
        e
    }

    pub fn rate_limited(retry_after_secs: u64) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
        )
        .with_detail(format!(
            "request rate limit reached; retry in {retry_after_secs} s"
        ));
        e.0.retry_after_secs = Some(retry_after_secs);
        e
    }

    /// A dependency (identity provider, database, storage) does not answer: the
    /// client may retry. `detail` must name no internals; `cause` is logged.
    pub fn unavailable(detail: impl Into<String>, cause: impl Into<anyhow::Error>) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
        )
        .with_detail(detail);
        e.0.retry_after_secs = Some(5);
        e.0.cause = Some(cause.into());
        e
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
        );
        e.0.cause = Some(cause.into());
        e
    }

    #[allow(
        dead_code,
        reason = "used by the resource endpoints of issue 5 (invoices, vendors, approvals) added next; tested here"
    )]
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The body this error is answered with (`instance` is added per request).
    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("{TYPE_PREFIX}{}", self.0.kind),
            title: self.0.title.into(),
            status: self.0.status.as_u16(),
            detail: self.0.detail.clone(),
            instance: None,
            errors: self.0.errors.clone(),
        }
    }

    /// A problem for an error status produced outside this type (axum's own 405, a
    /// layer's 413): same shape, the standard reason as title.
    fn for_status(status: StatusCode, detail: Option<String>) -> ApiError {
        let mut e = match status.as_u16() {
            400 => ApiError::new(status, "bad-request", "Bad request"),
            401 => ApiError::unauthorized("", false),
            404 => ApiError::new(status, "not-found", "Not found"),
            405 => ApiError::method_not_allowed(),
            413 => ApiError::new(status, "payload-too-large", "Request body too large"),
            415 => ApiError::new(status, "unsupported-media-type", "Unsupported media type"),
            s if s >= 500 => ApiError::new(status, "internal", "Internal error"),
            _ => ApiError::new(status, "about-blank", "Request failed"),
        };
        e.0.detail = detail;
        e
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.0.status)
            .field("kind", &self.0.kind)
            .field("detail", &self.0.detail)
            .field("errors", &self.0.errors)
            .field("cause", &self.0.cause.as_ref().map(|c| format!("{c:#}")))
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0.status.as_u16(), self.0.title)?;
        if let Some(d) = &self.0.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

/// Anything unexpected is a 500: the cause is logged, the client gets a reference.
impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        ApiError::internal(e)
    }
}

impl From<papyr_store::StoreError> for ApiError {
    fn from(e: papyr_store::StoreError) -> ApiError {
        use papyr_store::StoreError as S;
        match e {
            S::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            S::Invalid(why) => ApiError::bad_request(why),
            S::Conflict { .. } => ApiError::precondition_failed(e.to_string()),
            S::Forbidden(why) => ApiError::forbidden(why),
            S::Duplicate(what) => ApiError::conflict(format!("already exists: {what}")),
            S::State { .. } => ApiError::conflict(e.to_string()),
            S::Connect { .. } => ApiError::unavailable("the database is unavailable", e),
            // Deadlock or serialization failure: the concurrent change won and this
            // request changed nothing; asking again is the remedy.
            e if e.is_retryable() => ApiError::unavailable(
                "a concurrent change to the same data got in the way; send the request again",
                e,
            ),
            other => ApiError::internal(other),
        }
    }
}

impl From<papyr_blob::BlobError> for ApiError {
    fn from(e: papyr_blob::BlobError) -> ApiError {
        ApiError::internal(e)
    }
}

/// A short reference that joins a 5xx answer to its log line.
fn new_reference() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("{:x}-{:x}-{seq:x}", ms, std::process::id())
}

impl IntoResponse for ApiError {
    fn into_response(mut self) -> Response {
        if self.0.status.is_server_error() {
            let reference = new_reference();
            let cause = self
                .0
                .cause
                .as_ref()
                .map_or_else(|| "(no cause recorded)".to_string(), |c| format!("{c:#}"));
            tracing::error!(
                reference,
                status = self.0.status.as_u16(),
                cause,
                "API request failed"
            );
            let what = if self.0.status == StatusCode::SERVICE_UNAVAILABLE {
                self.0
                    .detail
                    .take()
                    .unwrap_or_else(|| "service unavailable".into())
            } else {
                "internal error".into()
            };
            self.0.detail = Some(format!("{what}, reference {reference}"));
        }
        let problem = self.problem();
        let mut res = problem_response(&problem);
        let headers = res.headers_mut();
        if let Some(challenge) = self.0.www_authenticate {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Some(secs) = self.0.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// The response for a problem; it carries the problem as an extension so that
/// [`problem_details`] can add the request's path as `instance`.
fn problem_response(problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
        body,
    )
        .into_response();
    res.extensions_mut().insert(problem.clone());
    res
}

/// Error answers that axum or a layer produced as plain text are at most this long.
const FOREIGN_BODY_LIMIT: usize = 16 * 1024;

/// Middleware on every API route: every error answer becomes problem details with
/// the request path as `instance`, including the plain-text ones axum and its
/// layers produce (405, 413, a rejected extractor that was not wrapped).
pub async fn problem_details(req: Request, next: Next) -> Response {
    let instance = req.uri().path().to_string();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let problem = match parts.extensions.remove::<Problem>() {
        Some(p) => p,
        None => {
            let text = axum::body::to_bytes(body, FOREIGN_BODY_LIMIT)
                .await
                .map(|b| String::from_utf8_lossy(&b).trim().to_string())
                .unwrap_or_default();
            let mut converted = if status.is_server_error() {
                let mut e = ApiError::for_status(status, None);
                e.0.cause = Some(anyhow::anyhow!("{text}"));
                e
            } else {
                ApiError::for_status(status, (!text.is_empty()).then_some(text))
            };
            converted.0.www_authenticate = None;
            converted
                .into_response()
                .extensions_mut()
                .remove::<Problem>()
                .unwrap_or_else(|| ApiError::for_status(status, None).problem())
        }
    };
    let problem = Problem {
        instance: Some(instance),
        ..problem
    };
    let mut out = problem_response(&problem);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    *out.status_mut() = status;
    out
}

/// For requests no route matches.
pub async fn no_route(uri: axum::http::Uri) -> Response {
    let mut problem = ApiError::not_found(format!("no resource at {}", uri.path())).problem();
    problem.instance = Some(uri.path().to_string());
    problem_response(&problem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn body_json(res: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn server_errors_hide_their_cause() {
        let e = ApiError::internal(anyhow::anyhow!("password=hunter2 at /srv/secret"));
        let res = e.into_response();
        assert_eq!(res.status(), 500);
        assert_eq!(res.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let body = body_json(res).await;
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.starts_with("internal error, reference "), "{detail}");
        assert!(!body.to_string().contains("hunter2"));
        assert_eq!(body["type"], "urn:papyr:problem:internal");
    }

    #[tokio::test]
    async fn client_errors_carry_their_headers_and_fields() {
        let res = ApiError::unauthorized("missing bearer token", false).into_response();
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.headers()[header::WWW_AUTHENTICATE],
            "Bearer realm=\"papyr\""
        );
        let res = ApiError::rate_limited(7).into_response();
        assert_eq!(res.headers()[header::RETRY_AFTER], "7");
        let res = ApiError::validation(vec![FieldError::new("amount", "must be positive")])
            .into_response();
        assert_eq!(res.status(), 422);
        let body = body_json(res).await;
        assert_eq!(body["errors"][0]["field"], "amount");
        assert_eq!(body["detail"], "amount: must be positive");
    }

    #[tokio::test]
    async fn store_errors_map_to_statuses() {
        let cases = [
            (papyr_store::StoreError::NotFound("invoice d_1".into()), 404),
            (papyr_store::StoreError::Invalid("bad cursor".into()), 400),
            (
                papyr_store::StoreError::Conflict { current_version: 3 },
                412,
            ),
            (papyr_store::StoreError::Forbidden("own upload".into()), 403),
            (papyr_store::StoreError::Duplicate("email".into()), 409),
        ];
        for (e, status) in cases {
            assert_eq!(ApiError::from(e).status().as_u16(), status);
        }
    }

    #[tokio::test]
    async fn foreign_errors_become_problems_with_instance() {
        let app = Router::new()
            .route(
                "/v1/x",
                get(|| async { (StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded") }),
            )
            .route(
                "/v1/y",
                get(|| async { ApiError::not_found("invoice d_9 not found") }),
            )
            .layer(axum::middleware::from_fn(problem_details));
        let res = app
            .clone()
            .oneshot(
                Request::builder()
                    .uri("/v1/x")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), 413);
        assert_eq!(res.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let body = body_json(res).await;
        assert_eq!(body["type"], "urn:papyr:problem:payload-too-large");
        assert_eq!(body["detail"], "length limit exceeded");
        assert_eq!(body["instance"], "/v1/x");

        let res = app
            .clone()
            .oneshot(
                Request::builder()
                    .method("POST")
                    .uri("/v1/y")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), 405);
        assert!(res.headers().contains_key(header::ALLOW));
        assert_eq!(
            body_json(res).await["type"],
            "urn:papyr:problem:method-not-allowed"
        );

        let res = app
            .oneshot(
                Request::builder()
                    .uri("/v1/y")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let body = body_json(res).await;
        assert_eq!(body["detail"], "invoice d_9 not found");
        assert_eq!(body["instance"], "/v1/y");
    }
}
