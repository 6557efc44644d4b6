//! Who may use a tenant: its users (mapped to identity-provider subjects) and its
//! API keys. Every query takes the tenant id except [`Db::api_key_for_auth`], which
//! finds the tenant of a presented key.
use crate::documents::insert_audit;
use crate::{Db, Result, StoreError, now_ms};
use serde_json::json;
use sqlx::Row;

/// The roles a user or API key can hold, in their canonical order.
pub const ROLES: [&str; 4] = ["admin", "approver", "clerk", "viewer"];

/// Who made a change, as the audit log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// A person, by user id: `user:<id>`.
    User(&'a str),
    /// A machine client, by API key id: `api-key:<id>`.
    ApiKey(&'a str),
    /// Someone running the operator CLI: `operator`.
    Operator,
}

impl Actor<'_> {
    pub fn audit_name(&self) -> String {
        match self {
            Actor::User(id) => format!("user:{id}"),
            Actor::ApiKey(id) => format!("api-key:{id}"),
            Actor::Operator => "operator".into(),
        }
    }
}

/// A random id with a readable prefix (`v_3f9a…`): unique across replicas without
/// asking the database.
pub(crate) fn new_id(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 12];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| StoreError::Invalid(format!("no randomness for a new id: {e}")))?;
    Ok(format!("{prefix}_{}", hex(&bytes)))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn is_unique_violation(e: &StoreError) -> bool {
    matches!(e, StoreError::Db(sqlx::Error::Database(d)) if d.is_unique_violation())
}

/// Roles checked against [`ROLES`], deduplicated, in canonical order.
pub fn validate_roles(roles: &[String]) -> Result<Vec<String>> {
    for r in roles {
        if !ROLES.contains(&r.as_str()) {
            return Err(StoreError::Invalid(format!(
                "unknown role `{r}`: roles are {}",
                ROLES.join(", ")
            )));
        }
    }
    Ok(ROLES
        .iter()
        .filter(|known| roles.iter().any(|r| r == *known))
        .map(|r| r.to_string())
        .collect())
}

/// Trimmed, lower-cased, and shaped like `local@domain.tld`.
pub fn validate_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    let ok = match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && e.len() <= 254
                && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if ok {
        Ok(e)
    } else {
        Err(StoreError::Invalid(format!(
            "`{}` is not an email address",
            email.trim()
        )))
    }
}

fn roles_json(roles: &[String]) -> String {
    serde_json::to_string(roles).unwrap_or_else(|_| "[]".into())
}

fn parse_roles(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UserRow {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub name: Option<String>,
    pub roles: Vec<String>,
    /// The identity provider's `sub` once the user has signed in.
    pub subject: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set when disabled; the row stays for the audit trail.
    pub disabled_at: Option<i64>,
}

impl UserRow {
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }

    fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == "admin")
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub name: Option<String>,
    pub roles: Vec<String>,
    pub subject: Option<String>,
}

/// Fields left `None` keep their value.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub name: Option<String>,
    pub roles: Option<Vec<String>>,
}

const USER_COLUMNS: &str =
    "id, tenant_id, email, name, roles, subject, created_at, updated_at, disabled_at";

fn user_row(r: &sqlx::any::AnyRow) -> Result<UserRow> {
    Ok(UserRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        roles: parse_roles(&r.try_get::<String, _>("roles")?),
        subject: r.try_get("subject")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        disabled_at: r.try_get("disabled_at")?,
    })
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

async fn user_where(
    tx: &mut Tx,
    tenant_id: &str,
    column: &str,
    value: &str,
) -> Result<Option<UserRow>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND {column} = $2"
    ))
    .bind(tenant_id)
    .bind(value)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(user_row).transpose()
}

/// Serialises user changes of one tenant (a no-op update takes the tenant row's
/// lock on PostgreSQL; SQLite's write transaction is already exclusive), so two
/// admins demoting each other at once cannot leave the tenant without an admin.
pub(crate) async fn lock_tenant(tx: &mut Tx, tenant_id: &str) -> Result<()> {
    let n = sqlx::query("UPDATE tenants SET settings_version = settings_version WHERE id = $1")
        .bind(tenant_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("tenant {tenant_id}")));
    }
    Ok(())
}

/// Refuses when `user` is the tenant's only active admin.
async fn keep_an_admin(tx: &mut Tx, user: &UserRow) -> Result<()> {
    if !user.is_active() || !user.is_admin() {
        return Ok(());
    }
    let (others,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND id <> $2 AND disabled_at IS NULL AND roles LIKE '%\"admin\"%'",
    )
    .bind(&user.tenant_id)
    .bind(&user.id)
    .fetch_one(&mut **tx)
    .await?;
    if others == 0 {
        return Err(StoreError::Invalid(format!(
            "{} is the last active admin of the tenant: make someone else admin first",
            user.email
        )));
    }
    Ok(())
}

fn clean_name(name: Option<&str>) -> Option<String> {
    name.map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
}

impl Db {
    /// A tenant's users (disabled ones too), by email.
    pub async fn users(&self, tenant_id: &str) -> Result<Vec<UserRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY email"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_row).collect()
    }

    pub async fn user(&self, tenant_id: &str, user_id: &str) -> Result<Option<UserRow>> {
        self.user_by("id", tenant_id, user_id).await
    }

    /// The user a token's `sub` claim belongs to.
    pub async fn user_by_subject(&self, tenant_id: &str, subject: &str) -> Result<Option<UserRow>> {
        self.user_by("subject", tenant_id, subject).await
    }

    /// Emails are compared lower-cased.
    pub async fn user_by_email(&self, tenant_id: &str, email: &str) -> Result<Option<UserRow>> {
        self.user_by("email", tenant_id, &email.trim().to_lowercase())
            .await
    }

    async fn user_by(&self, column: &str, tenant_id: &str, value: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND {column} = $2"
        ))
        .bind(tenant_id)
        .bind(value)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// Add a user; the email must be new to the tenant.
    pub async fn create_user(
        &self,
        tenant_id: &str,
        new: &NewUser,
        by: Actor<'_>,
    ) -> Result<UserRow> {
        let email = validate_email(&new.email)?;
        let roles = validate_roles(&new.roles)?;
        let subject = clean_name(new.subject.as_deref());
        let mut tx = self.begin_write().await?;
        lock_tenant(&mut tx, tenant_id).await?;
        let user = insert_user(
            &mut tx,
            tenant_id,
            &email,
            clean_name(new.name.as_deref()),
            &roles,
            subject,
        )
        .await?;
        insert_audit(
            &mut tx,
            tenant_id,
            None,
            &by.audit_name(),
            "user.created",
            &json!({ "user": user.id, "email": email, "roles": roles }).to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Change a user's name or roles. Refuses to take the admin role from the
    /// tenant's last active admin.
    pub async fn update_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        update: &UserUpdate,
        by: Actor<'_>,
    ) -> Result<UserRow> {
        let roles = update.roles.as_deref().map(validate_roles).transpose()?;
        let mut tx = self.begin_write().await?;
        lock_tenant(&mut tx, tenant_id).await?;
        let Some(user) = user_where(&mut tx, tenant_id, "id", user_id).await? else {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        };
        if let Some(roles) = &roles
            && !roles.iter().any(|r| r == "admin")
        {
            keep_an_admin(&mut tx, &user).await?;
        }
        let name = match &update.name {
            Some(n) => clean_name(Some(n)),
            None => user.name.clone(),
        };
        let roles = roles.unwrap_or_else(|| user.roles.clone());
        sqlx::query("UPDATE users SET name = $1, roles = $2, updated_at = $3 WHERE id = $4 AND tenant_id = $5")
            .bind(&name)
            .bind(roles_json(&roles))
            .bind(now_ms())
            .bind(user_id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        insert_audit(
            &mut tx,
            tenant_id,
            None,
            &by.audit_name(),
            "user.updated",
            &json!({
                "user": user_id,
                "name": { "old": user.name, "new": name },
                "roles": { "old": user.roles, "new": roles },
            })
            .to_string(),
        )
        .await?;
        let updated = user_where(&mut tx, tenant_id, "id", user_id).await?;
        tx.commit().await?;
        updated.ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))
    }

    /// Disable a user (idempotent). The row stays so the audit trail keeps naming
    /// them; the tenant's last active admin cannot be disabled.
    pub async fn disable_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        by: Actor<'_>,
    ) -> Result<UserRow> {
        let mut tx = self.begin_write().await?;
        lock_tenant(&mut tx, tenant_id).await?;
        let Some(user) = user_where(&mut tx, tenant_id, "id", user_id).await? else {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        };
        if !user.is_active() {
            tx.rollback().await?;
            return Ok(user);
        }
        keep_an_admin(&mut tx, &user).await?;
        let now = now_ms();
        sqlx::query(
            "UPDATE users SET disabled_at = $1, updated_at = $1 WHERE id = $2 AND tenant_id = $3",
        )
        .bind(now)
        .bind(user_id)
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?;
        insert_audit(
            &mut tx,
            tenant_id,
            None,
            &by.audit_name(),
            "user.disabled",
            &json!({ "user": user_id, "email": user.email }).to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(UserRow {
            disabled_at: Some(now),
            updated_at: now,
            ..user
        })
    }

    /// The user behind a verified token, created on first sight.
    ///
    /// Known subject → that user (its email follows the token's when free). Unknown
    /// subject but a user invited under `email` without a subject yet → the subject
    /// is linked to that user. Neither → a new user with `roles`. Roles given here
    /// only apply to a new user: afterwards an admin manages them in Papyr.
    /// Disabled users and an email already linked to another subject are refused.
    pub async fn ensure_user_for_subject(
        &self,
        tenant_id: &str,
        subject: &str,
        email: &str,
        roles: &[String],
    ) -> Result<UserRow> {
        let subject = subject.trim();
        if subject.is_empty() {
            return Err(StoreError::Invalid("the token has an empty subject".into()));
        }
        let email = validate_email(email)?;
        let roles = validate_roles(roles)?;
        let mut tx = self.begin_write().await?;
        lock_tenant(&mut tx, tenant_id).await?;
        let refuse_disabled =
            |u: &UserRow| StoreError::Forbidden(format!("user {} is disabled", u.email));
        if let Some(user) = user_where(&mut tx, tenant_id, "subject", subject).await? {
            if !user.is_active() {
                return Err(refuse_disabled(&user));
            }
            if user.email == email
                || user_where(&mut tx, tenant_id, "email", &email)
                    .await?
                    .is_some()
            {
                tx.rollback().await?;
                return Ok(user);
            }
            let now = now_ms();
            sqlx::query(
                "UPDATE users SET email = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4",
            )
            .bind(&email)
            .bind(now)
            .bind(&user.id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
            insert_audit(
                &mut tx,
                tenant_id,
                None,
                &Actor::User(&user.id).audit_name(),
                "user.email-changed",
                &json!({ "user": user.id, "old": user.email, "new": email }).to_string(),
            )
            .await?;
            tx.commit().await?;
            return Ok(UserRow {
                email,
                updated_at: now,
                ..user
            });
        }
        if let Some(user) = user_where(&mut tx, tenant_id, "email", &email).await? {
            if let Some(other) = &user.subject {
                tracing::warn!(tenant_id, user = %user.id, "sign-in with an email linked to another subject");
                return Err(StoreError::Forbidden(format!(
                    "{email} is already linked to another sign-in identity ({other})"
                )));
            }
            if !user.is_active() {
                return Err(refuse_disabled(&user));
            }
            let now = now_ms();
            sqlx::query(
                "UPDATE users SET subject = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4",
            )
            .bind(subject)
            .bind(now)
            .bind(&user.id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
            insert_audit(
                &mut tx,
                tenant_id,
                None,
                &Actor::User(&user.id).audit_name(),
                "user.linked",
                &json!({ "user": user.id, "subject": subject }).to_string(),
            )
            .await?;
            tx.commit().await?;
            return Ok(UserRow {
                subject: Some(subject.into()),
                updated_at: now,
                ..user
            });
        }
        let user = insert_user(
            &mut tx,
            tenant_id,
            &email,
            None,
            &roles,
            Some(subject.into()),
        )
        .await?;
        insert_audit(
            &mut tx,
            tenant_id,
            None,
            &Actor::User(&user.id).audit_name(),
            "user.created",
            &json!({ "user": user.id, "email": email, "roles": roles, "subject": subject })
                .to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }
}

async fn insert_user(
    tx: &mut Tx,
    tenant_id: &str,
    email: &str,
    name: Option<String>,
    roles: &[String],
    subject: Option<String>,
) -> Result<UserRow> {
    let now = now_ms();
    let user = UserRow {
        id: new_id("u")?,
        tenant_id: tenant_id.into(),
        email: email.into(),
        name,
        roles: roles.to_vec(),
        subject,
        created_at: now,
        updated_at: now,
        disabled_at: None,
    };
    let inserted = sqlx::query(
        "INSERT INTO users (id, tenant_id, email, name, roles, subject, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&user.id)
    .bind(tenant_id)
    .bind(email)
    .bind(&user.name)
    .bind(roles_json(roles))
    .bind(&user.subject)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from);
    match inserted {
        Ok(_) => Ok(user),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Duplicate(format!(
            "a user with email {email} or this sign-in identity already exists in the tenant"
        ))),
        Err(e) => Err(e),
    }
}

/// An API key as the caller created it; the secret's hash comes from the auth
/// crate, which alone knows how to make and check it.
#[derive(Clone)]
pub struct NewApiKey {
    pub id: String,
    pub name: String,
    pub hash: String,
    pub roles: Vec<String>,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("hash", &"<redacted>")
            .field("roles", &self.roles)
            .finish()
    }
}

/// An API key as listed: never its hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiKeyRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// What checking a presented key needs.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyAuth {
    pub tenant_id: String,
    pub hash: String,
    pub roles: Vec<String>,
    pub revoked: bool,
}

impl std::fmt::Debug for ApiKeyAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyAuth")
            .field("tenant_id", &self.tenant_id)
            .field("hash", &"<redacted>")
            .field("roles", &self.roles)
            .field("revoked", &self.revoked)
            .finish()
    }
}

const KEY_COLUMNS: &str =
    "id, tenant_id, name, roles, created_by, created_at, revoked_at, last_used_at";

fn key_row(r: &sqlx::any::AnyRow) -> Result<ApiKeyRow> {
    Ok(ApiKeyRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        name: r.try_get("name")?,
        roles: parse_roles(&r.try_get::<String, _>("roles")?),
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
        last_used_at: r.try_get("last_used_at")?,
    })
}

/// `last_used_at` is written at most this often per key: a busy client must not
/// turn every request into a write.
pub const API_KEY_TOUCH_INTERVAL_MS: i64 = 60_000;

impl Db {
    pub async fn create_api_key(
        &self,
        tenant_id: &str,
        key: &NewApiKey,
        by: Actor<'_>,
    ) -> Result<ApiKeyRow> {
        let id = key.id.trim();
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(StoreError::Invalid(format!(
                "API key id `{id}`: use 1 to 64 letters, digits, `_` or `-`"
            )));
        }
        let name = key.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::Invalid(
                "an API key needs a name of 1 to 100 characters".into(),
            ));
        }
        if key.hash.is_empty() {
            return Err(StoreError::Invalid("an API key needs a hash".into()));
        }
        let roles = validate_roles(&key.roles)?;
        let row = ApiKeyRow {
            id: id.into(),
            tenant_id: tenant_id.into(),
            name: name.into(),
            roles,
            created_by: by.audit_name(),
            created_at: now_ms(),
            revoked_at: None,
            last_used_at: None,
        };
        let mut tx = self.begin_write().await?;
        lock_tenant(&mut tx, tenant_id).await?;
        let inserted = sqlx::query(
            "INSERT INTO api_keys (id, tenant_id, name, hash, roles, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&row.id)
        .bind(tenant_id)
        .bind(&row.name)
        .bind(&key.hash)
        .bind(roles_json(&row.roles))
        .bind(&row.created_by)
        .bind(row.created_at)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from);
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Duplicate(format!("API key id {id} is taken")));
            }
            Err(e) => return Err(e),
        }
        insert_audit(
            &mut tx,
            tenant_id,
            None,
            &row.created_by,
            "api-key.created",
            &json!({ "key": row.id, "name": row.name, "roles": row.roles }).to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// A tenant's API keys, newest first, revoked ones included.
    pub async fn api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKeyRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_row).collect()
    }

    /// Revoke a key. Revoking a revoked key changes nothing and is not audited again.
    pub async fn revoke_api_key(
        &self,
        tenant_id: &str,
        key_id: &str,
        by: Actor<'_>,
    ) -> Result<ApiKeyRow> {
        let mut tx = self.begin_write().await?;
        let now = now_ms();
        let n = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND tenant_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(key_id)
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 1 {
            insert_audit(
                &mut tx,
                tenant_id,
                None,
                &by.audit_name(),
                "api-key.revoked",
                &json!({ "key": key_id }).to_string(),
            )
            .await?;
        }
        let row = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1 AND tenant_id = $2"
        ))
        .bind(key_id)
        .bind(tenant_id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.as_ref()
            .map(key_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("API key {key_id}")))
    }

    /// The tenant, hash, roles and revocation of a presented key.
    ///
    /// The one lookup not scoped by tenant: a request carrying an API key names no
    /// tenant, the key does. Use the result only after the hash has been checked.
    pub async fn api_key_for_auth(&self, key_id: &str) -> Result<Option<ApiKeyAuth>> {
        let row: Option<(String, String, String, Option<i64>)> =
            sqlx::query_as("SELECT tenant_id, hash, roles, revoked_at FROM api_keys WHERE id = $1")
                .bind(key_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(tenant_id, hash, roles, revoked_at)| ApiKeyAuth {
            tenant_id,
            hash,
            roles: parse_roles(&roles),
            revoked: revoked_at.is_some(),
        }))
    }

    /// Record that a key was used, at most once per [`API_KEY_TOUCH_INTERVAL_MS`];
    /// true when this call wrote.
    pub async fn touch_api_key(&self, tenant_id: &str, key_id: &str) -> Result<bool> {
        let now = now_ms();
        let n = sqlx::query(
            "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND tenant_id = $3 AND (last_used_at IS NULL OR last_used_at <= $4)",
        )
        .bind(now)
        .bind(key_id)
        .bind(tenant_id)
        .bind(now - API_KEY_TOUCH_INTERVAL_MS)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_checked_deduplicated_and_ordered() {
        let r = validate_roles(&["viewer".into(), "admin".into(), "viewer".into()]).unwrap();
        assert_eq!(r, ["admin", "viewer"]);
        let e = validate_roles(&["root".into()]).unwrap_err().to_string();
        assert!(
            e.contains("unknown role `root`: roles are admin, approver, clerk, viewer"),
            "{e}"
        );
    }

    #[test]
    fn emails_are_lower_cased_and_shaped() {
        assert_eq!(
            validate_email(" Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        for bad in [
            "ann",
            "@example.com",
            "ann@example",
            "ann@.com",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn actors_are_named_for_the_audit_log() {
        assert_eq!(Actor::User("u_1").audit_name(), "user:u_1");
        assert_eq!(Actor::ApiKey("k1").audit_name(), "api-key:k1");
        assert_eq!(Actor::Operator.audit_name(), "operator");
    }

    #[test]
    fn ids_are_random_and_prefixed() {
        let a = new_id("v").unwrap();
        assert!(a.starts_with("v_") && a.len() == 26, "{a}");
        assert_ne!(a, new_id("v").unwrap());
    }

    #[test]
    fn debug_hides_key_hashes() {
        let k = ApiKeyAuth {
            tenant_id: "t".into(),
            hash: "secret-hash".into(),
            roles: vec![],
            revoked: false,
        };
        assert!(!format!("{k:?}").contains("secret-hash"));
    }
}
