//! Papyr's database: one code path for SQLite (the embedded default, WAL mode) and
//! PostgreSQL, with runtime-checked queries through sqlx's `Any` driver.
//!
//! - [`Db`]: connecting, migrations, health.
//! - [`jobs`]: the durable job queue — leases, renewal, retries with backoff,
//!   parking, and a stage's result committed together with the next job.
//! - [`documents`]: idempotent intake and document queries.
//! - [`vendors`]: the vendor master.
//! - [`plugins`]: tenant plugin versions, what is active or shadowed, back-tests.
//! - [`api`]: what the REST API reads and changes — invoice listing and detail,
//!   the approval workflow, field corrections, exports, the audit log; and its
//!   admin side — tenants and settings, users and API keys, vendor administration.
//!
//! Every query takes a tenant id where the data belongs to a tenant.

pub mod api;
pub mod documents;
pub mod jobs;
pub mod plugins;
pub mod vendors;

pub use api::access::{ApiKeyAuth, ApiKeyRow, NewApiKey, NewUser, UserRow, UserUpdate};
pub use api::approvals::{ActingUser, ActionOutcome};
pub use api::audit::{AuditEntry, AuditFilter, Change};
pub use api::corrections::{Corrected, Recheck};
pub use api::cursor::Page;
pub use api::export::{ExportQuery, ExportRow};
pub use api::invoices::{InvoiceDetail, InvoiceFilter, InvoiceSummary, Sort, SortKey};
pub use api::settings::{TenantRow, TenantSettings};
pub use api::vendors_admin::{
    IbanOutcome, IbanRequest, KnownIban, NewVendor, VendorDetail, VendorSummary, VendorUpdate,
};
pub use documents::{DocumentRow, Intake, NewDocument};
pub use jobs::{Completion, Job, StageOutcome};
pub use vendors::VendorRow;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("cannot connect to the database at {url}: {cause}")]
    Connect { url: String, cause: String },
    #[error("migration {version} failed: {cause}")]
    Migration { version: String, cause: String },
    #[error("the lease on job {0} was lost (another worker took it over)")]
    LeaseLost(String),
    #[error("invalid data: {0}")]
    Invalid(String),
    /// Absent, or another tenant's: the two are indistinguishable on purpose.
    #[error("{0} not found")]
    NotFound(String),
    /// The caller's `If-Match` version is stale.
    #[error("the document changed meanwhile (now at version {current_version})")]
    Conflict { current_version: i64 },
    /// Allowed in general but not to this actor (segregation of duties, admin only).
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// A row with the same unique key (email, slug, key id) exists.
    #[error("already exists: {0}")]
    Duplicate(String),
    /// The document's status does not allow the action.
    #[error("cannot {action} a document in status `{status}`")]
    State { action: String, status: String },
}

impl StoreError {
    /// A deadlock or serialization failure (PostgreSQL 40P01, 40001): nothing was
    /// written, and the same operation may succeed when tried again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(d))
            if matches!(d.code().as_deref(), Some("40P01" | "40001")))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database handle (cheap to clone).
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    /// Where write transactions run. On SQLite, a pool of one connection: writers
    /// queue in process, in order, instead of meeting at SQLite's write lock, whose
    /// busy handler sleeps for milliseconds at a time. On PostgreSQL, `pool` itself.
    pub(crate) writer: AnyPool,
    pub(crate) backend: Backend,
}

const SQLITE_MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
    ),
    (
        "0002_api_invoices",
        include_str!("../migrations/sqlite/0002_api_invoices.sql"),
    ),
    (
        "0003_api_admin",
        include_str!("../migrations/sqlite/0003_api_admin.sql"),
    ),
    (
        "0004_related_lookup",
        include_str!("../migrations/sqlite/0004_related_lookup.sql"),
    ),
    (
        "0005_plugins",
        include_str!("../migrations/sqlite/0005_plugins.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial",
        include_str!("../migrations/postgres/0001_initial.sql"),
    ),
    (
        "0002_api_invoices",
        include_str!("../migrations/postgres/0002_api_invoices.sql"),
    ),
    (
        "0003_api_admin",
        include_str!("../migrations/postgres/0003_api_admin.sql"),
    ),
    (
        "0004_related_lookup",
        include_str!("../migrations/postgres/0004_related_lookup.sql"),
    ),
    (
        "0005_plugins",
        include_str!("../migrations/postgres/0005_plugins.sql"),
    ),
];

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Db {
    /// Connect to `sqlite:///abs/path.db` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Connect {
                url: redact_url(url),
                cause: "unsupported database URL: use sqlite:///path/to/papyr.db or postgres://user@host/db".into(),
            });
        };
        let url_full = if backend == Backend::Sqlite && !url.contains('?') {
            format!("{url}?mode=rwc")
        } else {
            url.to_string()
        };
        let options = |max: u32| {
            let opts = AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10));
            if backend != Backend::Sqlite {
                return opts;
            }
            opts.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers run beside the single writer; busy_timeout makes
                    // writers queue instead of failing; NORMAL sync is durable in WAL
                    // against process crashes.
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
                        .await?;
                    Ok(())
                })
            })
        };
        let connect_error = |e: sqlx::Error| StoreError::Connect {
            url: redact_url(url),
            cause: e.to_string(),
        };
        let pool = options(if backend == Backend::Sqlite {
            max_connections.max(2)
        } else {
            max_connections
        })
        .connect(&url_full)
        .await
        .map_err(connect_error)?;
        let writer = match backend {
            Backend::Sqlite => options(1).connect(&url_full).await.map_err(connect_error)?,
            Backend::Postgres => pool.clone(),
        };
        Ok(Db {
            pool,
            writer,
            backend,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Apply the backend's migrations not yet applied, each in its own transaction.
    pub async fn migrate(&self) -> Result<()> {
        self.pool
            .execute("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            .await?;
        let migrations = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        for (version, sql) in migrations {
            let mut tx = self.begin_write().await?;
            let applied: Option<(String,)> =
                sqlx::query_as("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(*version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if applied.is_some() {
                tx.rollback().await?;
                continue;
            }
            sqlx::raw_sql(sql)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::Migration {
                    version: version.to_string(),
                    cause: e.to_string(),
                })?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(version, "applied database migration");
        }
        Ok(())
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so a transaction that reads then writes cannot fail
    /// with "database is locked" halfway; on PostgreSQL row locks do that work.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => Ok(self.pool.begin().await?),
        }
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// Create a tenant if missing (by slug); returns its id.
    pub async fn ensure_tenant(
        &self,
        slug: &str,
        name: &str,
        settings_json: &str,
    ) -> Result<String> {
        let id = format!("t_{slug}");
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO tenants (id, slug, name, settings, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (slug) DO NOTHING")
            .bind(&id)
            .bind(slug)
            .bind(name)
            .bind(settings_json)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO tenant_locks (tenant_id, owner, until) VALUES ($1, NULL, 0) ON CONFLICT (tenant_id) DO NOTHING")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        let (found,): (String,) = sqlx::query_as("SELECT id FROM tenants WHERE slug = $1")
            .bind(slug)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(found)
    }

    /// A tenant's settings JSON.
    pub async fn tenant_settings(&self, tenant_id: &str) -> Result<Option<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT name, settings FROM tenants WHERE id = $1")
                .bind(tenant_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Append to the audit log.
    pub async fn audit(
        &self,
        tenant_id: &str,
        document_id: Option<&str>,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO audit_log (tenant_id, document_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(tenant_id)
            .bind(document_id)
            .bind(now_ms())
            .bind(actor)
            .bind(action)
            .bind(detail)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

/// One audit-log entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRow {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

impl Db {
    /// A document's audit trail, oldest first.
    pub async fn audit_trail(&self, tenant_id: &str, document_id: &str) -> Result<Vec<AuditRow>> {
        let rows: Vec<(i64, String, String, String)> =
            sqlx::query_as("SELECT at, actor, action, detail FROM audit_log WHERE tenant_id = $1 AND document_id = $2 ORDER BY id")
                .bind(tenant_id)
                .bind(document_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, action, detail)| AuditRow {
                at,
                actor,
                action,
                detail,
            })
            .collect())
    }
}

impl Db {
    /// Run one SQL statement (administration and tests).
    pub async fn raw_execute(&self, sql: &str) -> Result<u64> {
        Ok(sqlx::raw_sql(sql)
            .execute(&self.writer)
            .await?
            .rows_affected())
    }
}
