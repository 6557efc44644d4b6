//! Cursor pagination: `?limit=&cursor=` in, `{items, next_cursor}` out, plus a
//! `Link: <…>; rel="next"` header that repeats the request with the next cursor.
use axum::Json;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const DEFAULT_LIMIT: u32 = 50;
/// The store clamps to the same bound (`papyr_store::api::cursor::MAX_LIMIT`).
pub const MAX_LIMIT: u32 = 200;

/// Which page to return.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 200 (default 50); larger values are clamped.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; absent for the first page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> i64 {
        i64::from(self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT))
    }

    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref().filter(|c| !c.is_empty())
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> From<papyr_store::Page<T>> for Page<T> {
    fn from(p: papyr_store::Page<T>) -> Page<T> {
        Page {
            items: p.items,
            next_cursor: p.next_cursor,
        }
    }
}

/// A page as a response: the JSON body and, when there is a next page, the `Link`
/// header (RFC 8288) to it, relative to the request's own URI.
pub struct Paged<T> {
    page: Page<T>,
    next: Option<String>,
}

impl<T> Paged<T> {
    /// `uri` is the request's URI: the link keeps its path and other parameters.
    pub fn new(page: impl Into<Page<T>>, uri: &Uri) -> Paged<T> {
        let page = page.into();
        let next = page.next_cursor.as_deref().map(|c| next_link(uri, c));
        Paged { page, next }
    }
}

fn next_link(uri: &Uri, cursor: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        if k != "cursor" {
            query.append_pair(&k, &v);
        }
    }
    query.append_pair("cursor", cursor);
    format!("<{}?{}>; rel=\"next\"", uri.path(), query.finish())
}

impl<T: Serialize> IntoResponse for Paged<T> {
    fn into_response(self) -> Response {
        let mut res = Json(self.page).into_response();
        if let Some(link) = self.next.and_then(|l| HeaderValue::from_str(&l).ok()) {
            res.headers_mut().insert(header::LINK, link);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_clamp() {
        assert_eq!(PageQuery::default().limit(), 50);
        let q = |l| PageQuery {
            limit: Some(l),
            cursor: Some(String::new()),
        };
        assert_eq!(q(0).limit(), 1);
        assert_eq!(q(10_000).limit(), 200);
        assert_eq!(q(7).cursor(), None, "an empty cursor is the first page");
    }

    #[tokio::test]
    async fn link_keeps_the_query_and_replaces_the_cursor() {
        let uri: Uri = "/v1/invoices?status=on_hold&cursor=old&q=a%20b&limit=2"
            .parse()
            .unwrap();
        let page = Page {
            items: vec![1, 2],
            next_cursor: Some("eyJ+/=".to_string()),
        };
        let res = Paged::new(page, &uri).into_response();
        let link = res.headers()[header::LINK].to_str().unwrap().to_string();
        assert_eq!(
            link,
            "</v1/invoices?status=on_hold&q=a+b&limit=2&cursor=eyJ%2B%2F%3D>; rel=\"next\""
        );
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"items": [1, 2], "next_cursor": "eyJ+/="})
        );

        let last = Page::<i32> {
            items: vec![],
            next_cursor: None,
        };
        let res = Paged::new(last, &uri).into_response();
        assert!(!res.headers().contains_key(header::LINK));
    }
}
