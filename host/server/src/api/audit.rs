//! `GET /v1/audit`: the tenant's audit log, newest first, filtered and paged. Read
//! only (entries are written by the changes themselves); admins and approvers.
use super::ApiState;
use super::auth::{Caller, RequireRole};
use super::error::{ApiError, FieldError};
use super::extract::ApiQuery;
use super::pagination::{Page, PageQuery, Paged};
use super::users::checked_query;
use axum::extract::State;
use axum::http::Uri;
use papyr_auth::Role;
use papyr_store::{AuditEntry, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One audit-log entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryBody {
    pub id: i64,
    /// The invoice it concerns, if any.
    pub document_id: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// Who: `user:<id>`, `api-key:<id>`, `system`, `plugin:<digest>`, `operator`.
    #[schema(example = "user:u_3f9a0c1d2e4b5a6978877665")]
    pub actor: String,
    /// What, e.g. `vendor.created`, `approve`, `settings.replaced`.
    pub action: String,
    /// The action's particulars (JSON; a string when it was recorded as text).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<AuditEntry> for AuditEntryBody {
    fn from(e: AuditEntry) -> AuditEntryBody {
        let detail = serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::String(e.detail));
        AuditEntryBody {
            id: e.id,
            document_id: e.document_id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            detail,
        }
    }
}

/// Filters (all optional, combined with AND) and the page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries about this invoice.
    pub document_id: Option<String>,
    /// Exactly this actor, e.g. `user:u_1` or `api-key:9c1f3a7b5d2e4f60`.
    pub actor: Option<String>,
    /// Exactly this action, e.g. `vendor.iban-confirmed`.
    pub action: Option<String>,
    /// From this moment on (milliseconds since the Unix epoch, inclusive).
    pub from: Option<i64>,
    /// Before this moment (milliseconds since the Unix epoch, exclusive).
    pub to: Option<i64>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "audit",
    params(AuditQuery),
    responses((status = 200, description = "A page of the audit log, newest first", body = Page<AuditEntryBody>,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` while there is a next page"))))
)]
pub async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Paged<AuditEntryBody>, ApiError> {
    caller.require_any(&[Role::Admin, Role::Approver])?;
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from >= to
    {
        return Err(
            ApiError::bad_request(format!("`from` ({from}) must be before `to` ({to})"))
                .with_errors(vec![FieldError::new("to", "must be after `from`")]),
        );
    }
    let filter = AuditFilter {
        document_id: checked_query("document_id", q.document_id.as_deref())?.map(str::to_string),
        actor: checked_query("actor", q.actor.as_deref())?.map(str::to_string),
        action: checked_query("action", q.action.as_deref())?.map(str::to_string),
        from: q.from,
        to: q.to,
    };
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let found = state
        .shared
        .db
        .audit_log(&caller.tenant_id, &filter, page.cursor(), page.limit())
        .await?;
    Ok(Paged::new(
        Page {
            items: found.items.into_iter().map(Into::into).collect(),
            next_cursor: found.next_cursor,
        },
        &uri,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_json_when_they_parse() {
        let e = |detail: &str| AuditEntry {
            id: 1,
            document_id: None,
            at: 0,
            actor: "system".into(),
            action: "x".into(),
            detail: detail.into(),
        };
        let b = AuditEntryBody::from(e(r#"{"vendor":"v_1"}"#));
        assert_eq!(b.detail["vendor"], "v_1");
        let b = AuditEntryBody::from(e("plain words"));
        assert_eq!(b.detail, "plain words");
    }
}
