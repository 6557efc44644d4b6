//! `GET /v1/events`: server-sent events of the caller's tenant's invoice status
//! changes, read by polling the store's change feed, so any replica can serve any
//! client and a reconnecting client resumes with `Last-Event-ID`.
use super::ApiState;
use super::auth::{Caller, RequireRole};
use super::error::ApiError;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use papyr_store::{Change, Db};
use serde::Serialize;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use utoipa::ToSchema;

/// Changes per poll; a busier tenant is caught up over consecutive polls.
const BATCH: i64 = 100;
/// Rows younger than this are left for the next poll: a transaction that started
/// earlier may still commit a row with an older `updated_at` (see
/// `Db::changes_since`).
const SETTLE_MS: i64 = 1000;

/// The `data` of an `invoice.status` event.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct InvoiceStatusEvent {
    pub id: String,
    pub status: String,
    pub decision: Option<String>,
    pub risk_score: Option<i64>,
    /// Milliseconds since the Unix epoch.
    pub updated_at: i64,
}

#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "events",
    params(("Last-Event-ID" = Option<String>, Header,
        description = "Resume after this event (browsers send it on reconnect); without it, only changes from now on")),
    responses(
        (status = 200, description = "A `text/event-stream`. Each event is `event: invoice.status`, `id: <resume position>`, `data:` an InvoiceStatusEvent. Comment lines keep an idle stream open. Delivery is at least once: an event may repeat after a reconnect.",
         content((InvoiceStatusEvent = "text/event-stream"))),
    )
)]
pub async fn events(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require_member()?;
    let db = state.shared.db.clone();
    let tenant = caller.tenant_id.clone();
    let cursor = match headers.get("last-event-id").map(|v| v.to_str()) {
        Some(Ok(id)) if !id.trim().is_empty() => id.trim().to_string(),
        Some(Err(_)) => return Err(ApiError::bad_request("Last-Event-ID is not text")),
        _ => db.changes_cursor_at(&tenant, papyr_store::now_ms()),
    };
    // A damaged or foreign Last-Event-ID is refused now, while an answer can still
    // say so, rather than ending the stream later.
    let first = db
        .changes_since(&tenant, Some(&cursor), BATCH, SETTLE_MS)
        .await?;
    let feed = Feed {
        db,
        tenant,
        cursor,
        pending: VecDeque::new(),
        first: Some(first),
        poll: Duration::from_millis(state.shared.cfg.api.events_poll_ms),
        shutdown: state.shutdown.clone(),
    };
    let keep_alive = KeepAlive::new()
        .interval(Duration::from_secs(
            state.shared.cfg.api.events_keepalive_secs,
        ))
        .text("keep-alive");
    Ok(Sse::new(futures_util::stream::unfold(feed, Feed::next)).keep_alive(keep_alive))
}

struct Feed {
    db: Db,
    tenant: String,
    /// Where the next poll continues.
    cursor: String,
    pending: VecDeque<Event>,
    first: Option<papyr_store::Page<Change>>,
    poll: Duration,
    shutdown: tokio::sync::watch::Receiver<u8>,
}

impl Feed {
    /// The next event; `None` ends the stream (the server is shutting down).
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Feed)> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some((Ok(event), self));
            }
            if *self.shutdown.borrow() > 0 {
                return None;
            }
            let page = match self.first.take() {
                Some(p) => Ok(p),
                None => {
                    tokio::select! {
                        _ = tokio::time::sleep(self.poll) => {}
                        _ = self.shutdown.changed() => {}
                    }
                    if *self.shutdown.borrow() > 0 {
                        return None;
                    }
                    self.db
                        .changes_since(&self.tenant, Some(&self.cursor), BATCH, SETTLE_MS)
                        .await
                }
            };
            match page {
                Ok(page) => self.queue(page).await,
                // The client keeps its stream; the next poll tries again.
                Err(e) => {
                    tracing::warn!(tenant = %self.tenant, error = %e, "event stream: polling changes failed")
                }
            }
        }
    }

    async fn queue(&mut self, page: papyr_store::Page<Change>) {
        let last = page.items.len().saturating_sub(1);
        for (i, change) in page.items.into_iter().enumerate() {
            // The change feed has no risk score; the document has.
            let risk_score = match self.db.document(&self.tenant, &change.id).await {
                Ok(doc) => doc.and_then(|d| d.risk_score),
                Err(_) => None,
            };
            // Only the batch's last event resumes exactly after itself; an earlier one
            // resumes at its own timestamp, which repeats it and its same-millisecond
            // siblings rather than risk losing them.
            let id = if i == last {
                page.next_cursor
                    .clone()
                    .unwrap_or_else(|| self.cursor.clone())
            } else {
                self.db.changes_cursor_at(&self.tenant, change.updated_at)
            };
            let data = InvoiceStatusEvent {
                id: change.id,
                status: change.status,
                decision: change.decision,
                risk_score,
                updated_at: change.updated_at,
            };
            match Event::default()
                .event("invoice.status")
                .id(id)
                .json_data(&data)
            {
                Ok(e) => self.pending.push_back(e),
                Err(e) => tracing::warn!(error = %e, "event stream: cannot encode an event"),
            }
        }
        if let Some(next) = page.next_cursor {
            self.cursor = next;
        }
    }
}
