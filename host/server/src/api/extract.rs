//! Request extractors whose rejections are problem details (axum's own answer in
//! plain text), and the body limits every route is given.
use super::error::{ApiError, FieldError};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::MethodRouter;
use serde::de::DeserializeOwned;
use std::convert::Infallible;

/// A JSON request body. Wrong content type → 415, unreadable JSON → 400, JSON of
/// the wrong shape → 422 naming each field, too large → 413.
#[derive(Debug, Clone, Copy, Default)]
#[allow(
    dead_code,
    reason = "used by the resource endpoints of issue 5 (invoices, vendors, approvals) added next; tested here"
)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(
            req.headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
        ) {
            return Err(ApiError::unsupported_media_type(
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::body_too_large()
            } else {
                ApiError::malformed_body("the request body could not be read")
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

#[allow(
    dead_code,
    reason = "used by the resource endpoints of issue 5 (invoices, vendors, approvals) added next; tested here"
)]
fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// JSON text to `T`, with the failing field's path when the shape is wrong.
#[allow(
    dead_code,
    reason = "used by the resource endpoints of issue 5 (invoices, vendors, approvals) added next; tested here"
)]
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    if value.is_ok() {
        // Anything after the value (`{} x`) makes the body malformed too.
        de.end().map_err(|e| {
            ApiError::malformed_body(format!(
                "the body is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
    }
    value.map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            ApiError::malformed_body(format!(
                "the body is not valid JSON (line {}, column {})",
                inner.line(),
                inner.column()
            ))
        } else {
            let path = e.path().to_string();
            let field = if path == "." {
                "body".to_string()
            } else {
                path
            };
            // serde's message without its "at line … column …" suffix.
            let message = inner.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m)
                .to_string();
            ApiError::validation(vec![FieldError::new(field, message)])
        }
    })
}

/// A query string; an invalid one → 400 naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
#[allow(
    dead_code,
    reason = "used by the resource endpoints of issue 5 (invoices, vendors, approvals) added next; tested here"
)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let field = e.path().to_string();
                let message = e.inner().to_string();
                ApiError::bad_request(format!("query parameter `{field}`: {message}"))
                    .with_errors(vec![FieldError::new(field, message)])
            })
    }
}

/// Path parameters; a value of the wrong type → 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // No resource id holds a control character; refusing them here keeps them
        // away from every query (PostgreSQL refuses NUL in text, as a fault).
        if let Ok(raw) = axum::extract::RawPathParams::from_request_parts(parts, state).await
            && raw
                .iter()
                .any(|(_, v)| v.is_empty() || v.chars().any(char::is_control))
        {
            return Err(ApiError::not_found("no such resource"));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// The body limits of the API's routes.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub json: usize,
    pub upload: usize,
    /// Plugin component uploads.
    pub component: usize,
}

impl BodyLimits {
    /// For routes with a JSON body or none.
    pub fn json<S: Clone + Send + Sync + 'static>(&self, r: MethodRouter<S>) -> MethodRouter<S> {
        limit(r, self.json)
    }

    /// For plugin component uploads.
    pub fn component<S: Clone + Send + Sync + 'static>(
        &self,
        r: MethodRouter<S>,
    ) -> MethodRouter<S> {
        limit(r, self.component)
    }

    /// For routes taking documents.
    pub fn upload<S: Clone + Send + Sync + 'static>(&self, r: MethodRouter<S>) -> MethodRouter<S> {
        limit(r, self.upload)
    }
}

fn limit<S: Clone + Send + Sync + 'static>(r: MethodRouter<S>, max: usize) -> MethodRouter<S> {
    // The declared length is checked first, so an oversized body is refused before
    // a byte of it is read; the extractors' own limit catches bodies that lie about
    // their length or send none (chunked).
    r.layer::<_, Infallible>(from_fn_with_state(max, refuse_declared_oversize))
        .layer::<_, Infallible>(DefaultBodyLimit::max(max))
}

async fn refuse_declared_oversize(
    State(max): State<usize>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(ApiError::payload_too_large(max));
    }
    Ok(next.run(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::post;
    use tower::ServiceExt;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)] // reason: the fields are only deserialized
    struct Line {
        amount: i64,
        note: Option<String>,
    }

    #[derive(serde::Deserialize)]
    #[allow(dead_code)] // reason: the fields are only deserialized
    struct Body1 {
        lines: Vec<Line>,
    }

    #[derive(serde::Deserialize)]
    struct Q {
        limit: Option<u32>,
        cursor: Option<String>,
    }

    fn app() -> Router {
        let limits = BodyLimits {
            json: 64,
            upload: 1024,
            component: 1024,
        };
        Router::new()
            .route(
                "/json",
                limits.json(post(|ApiJson(b): ApiJson<Body1>| async move {
                    b.lines.len().to_string()
                })),
            )
            .route(
                "/q",
                limits.json(post(|ApiQuery(q): ApiQuery<Q>| async move {
                    format!("{:?} {:?}", q.limit, q.cursor)
                })),
            )
    }

    async fn send(req: Request) -> (u16, serde_json::Value, String) {
        let res = app().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        if status >= 400 {
            assert_eq!(ct, "application/problem+json", "{text}");
        }
        (status, json, text)
    }

    fn json_req(body: &str, ct: &str) -> Request {
        Request::builder()
            .method("POST")
            .uri("/json")
            .header(CONTENT_TYPE, ct)
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    #[tokio::test]
    async fn good_json_passes() {
        let (status, _, text) = send(json_req(
            r#"{"lines":[{"amount":1}]}"#,
            "application/json; charset=utf-8",
        ))
        .await;
        assert_eq!((status, text.as_str()), (200, "1"));
    }

    #[tokio::test]
    async fn bad_json_is_a_400_problem() {
        let (status, body, _) = send(json_req(r#"{"lines": ["#, "application/json")).await;
        assert_eq!(status, 400);
        assert_eq!(body["type"], "urn:papyr:problem:malformed-body");
        assert!(body["detail"].as_str().unwrap().contains("not valid JSON"));
        let (status, _, _) = send(json_req(r#"{"lines": []} trailing"#, "application/json")).await;
        assert_eq!(status, 400);
    }

    #[tokio::test]
    async fn wrong_shape_names_the_field() {
        let (status, body, _) = send(json_req(
            r#"{"lines":[{"amount":1},{"amount":"x"}]}"#,
            "application/json",
        ))
        .await;
        assert_eq!(status, 422);
        assert_eq!(body["errors"][0]["field"], "lines[1].amount");
        let (status, body, _) = send(json_req(r#"{}"#, "application/json")).await;
        assert_eq!(status, 422);
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("lines")
        );
    }

    #[tokio::test]
    async fn wrong_content_type_is_415() {
        let (status, body, _) = send(json_req(r#"{"lines":[]}"#, "text/plain")).await;
        assert_eq!(status, 415);
        assert_eq!(body["type"], "urn:papyr:problem:unsupported-media-type");
    }

    #[tokio::test]
    async fn oversized_bodies_are_413_declared_or_not() {
        let big = format!(r#"{{"lines":[],"pad":"{}"}}"#, "x".repeat(200));
        let (status, body, _) = send(json_req(&big, "application/json")).await;
        assert_eq!(status, 413);
        assert_eq!(body["type"], "urn:papyr:problem:payload-too-large");
        // No Content-Length: the stream is cut at the limit.
        let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from(big))]);
        let req = Request::builder()
            .method("POST")
            .uri("/json")
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from_stream(stream))
            .unwrap();
        let (status, _, _) = send(req).await;
        assert_eq!(status, 413);
    }

    #[tokio::test]
    async fn queries_decode_and_refuse_bad_values() {
        let req = |uri: &str| {
            Request::builder()
                .method("POST")
                .uri(uri)
                .body(Body::empty())
                .unwrap()
        };
        let (status, _, text) = send(req("/q?limit=5&cursor=a%2Bb+c")).await;
        assert_eq!((status, text.as_str()), (200, r#"Some(5) Some("a+b c")"#));
        let (status, body, _) = send(req("/q?limit=many")).await;
        assert_eq!(status, 400);
        assert_eq!(body["errors"][0]["field"], "limit");
    }
}
