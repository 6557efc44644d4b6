//! Tenant plugins (docs/plugins.md): upload a component version, configure the
//! plugin, back-test a version against the tenant's history, shadow it on live
//! traffic, activate it, roll back, disable; its history and statistics. Admin only:
//! a plugin decides what happens to the tenant's invoices.
use super::ApiState;
use super::auth::{Caller, RequireRole};
use super::error::{ApiError, FieldError, Problem};
use super::extract::{ApiJson, ApiPath, ApiQuery, parse_json};
use super::settings::with_etag;
use super::users::acting_as;
use crate::serve::plugins::{GrantSettings, PluginSettings, VersionStatsView, blob_key};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use papyr_auth::Role;
use papyr_runtime::Grants;
use papyr_store::StoreError;
use papyr_store::plugins::{
    BUILTIN_NAMES, BacktestRow, NewPluginVersion, PluginEvent, PluginRow, PluginVersionRow,
    PointerChange, ShadowSummary, Uploaded, validate_label, validate_plugin_name,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A plugin with its pointers and settings.
#[derive(Serialize, ToSchema)]
pub struct PluginBody {
    pub name: String,
    /// A built-in component (configurable, not replaceable by uploads).
    pub builtin: bool,
    /// The stage world its versions implement (`fraud-rule`).
    pub world: String,
    pub description: String,
    /// `inactive` (never activated), `active`, `disabled`.
    pub state: String,
    pub active_version: Option<String>,
    pub shadow_version: Option<String>,
    pub settings: PluginSettings,
    /// Changes with every change; `If-Match` takes it.
    pub revision: i64,
    pub updated_at: i64,
}

impl PluginBody {
    fn of(p: PluginRow) -> PluginBody {
        PluginBody {
            settings: PluginSettings::parse(&p.settings).unwrap_or_default(),
            name: p.name,
            builtin: p.builtin,
            world: p.world,
            description: p.description,
            state: p.state,
            active_version: p.active_version,
            shadow_version: p.shadow_version,
            revision: p.revision,
            updated_at: p.updated_at,
        }
    }

    /// The built-in `fraud` component before the tenant changed anything.
    fn builtin_default() -> PluginBody {
        PluginBody {
            name: "fraud".into(),
            builtin: true,
            world: "fraud-rule".into(),
            description: "The built-in fraud rules".into(),
            state: "active".into(),
            active_version: None,
            shadow_version: None,
            settings: PluginSettings::default(),
            // The revision its row gets when first changed, so that this ETag works.
            revision: 1,
            updated_at: 0,
        }
    }
}

/// One uploaded component version.
#[derive(Serialize, ToSchema)]
pub struct VersionBody {
    pub id: String,
    pub label: String,
    pub description: String,
    /// sha256 of the component bytes.
    pub digest: String,
    pub size: i64,
    pub world: String,
    /// The rule ids it declared.
    pub rules: Vec<String>,
    pub imports: Vec<String>,
    /// It imports the tenant history: activating it needs `grants.history`.
    pub needs_history: bool,
    pub uploaded_by: String,
    pub uploaded_at: i64,
}

impl From<PluginVersionRow> for VersionBody {
    fn from(v: PluginVersionRow) -> Self {
        VersionBody {
            id: v.id,
            label: v.label,
            description: v.description,
            digest: v.digest,
            size: v.size,
            world: v.world,
            rules: v.rules,
            imports: v.imports,
            needs_history: v.needs_history,
            uploaded_by: v.uploaded_by,
            uploaded_at: v.uploaded_at,
        }
    }
}

/// An entry of a plugin's history.
#[derive(Serialize, ToSchema)]
pub struct EventBody {
    pub at: i64,
    pub actor: String,
    /// `uploaded`, `activated`, `rolled-back`, `disabled`, `shadow-started`,
    /// `shadow-stopped`, `configured`, `backtest-started`.
    pub action: String,
    pub version_id: Option<String>,
    pub previous_version_id: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<PluginEvent> for EventBody {
    fn from(e: PluginEvent) -> Self {
        EventBody {
            at: e.at,
            actor: e.actor,
            action: e.action,
            version_id: e.version_id,
            previous_version_id: e.previous_version_id,
            detail: e.detail,
        }
    }
}

/// A plugin, its versions (newest first) and its history (newest first).
#[derive(Serialize, ToSchema)]
pub struct PluginDetail {
    #[serde(flatten)]
    pub plugin: PluginBody,
    pub versions: Vec<VersionBody>,
    pub history: Vec<EventBody>,
}

/// The answer to an upload.
#[derive(Serialize, ToSchema)]
pub struct UploadBody {
    pub plugin: PluginBody,
    pub version: VersionBody,
    /// `false`: these bytes were uploaded before, as `version`.
    pub created: bool,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The version label, e.g. `1.2.0`.
    pub version: String,
    /// What this version does or changes.
    #[serde(default)]
    pub description: Option<String>,
}

/// Names a version by id or label.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionRef {
    pub version: String,
}

/// Roll back to a version, or (without one) to the version active before.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    pub version: Option<String>,
}

/// Start a back-test.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BacktestRequest {
    /// The candidate version (id or label).
    pub version: String,
    /// How many of the tenant's most recent checked invoices to replay.
    pub last_n: u64,
}

/// A back-test: progress while it runs, the report when done.
#[derive(Serialize, ToSchema)]
pub struct BacktestBody {
    pub id: String,
    pub plugin: String,
    pub version_id: String,
    pub last_n: i64,
    /// `running`, `done`, `failed`.
    pub status: String,
    pub done: i64,
    pub total: i64,
    /// The changes and the cost comparison (docs/plugins.md#back-test-report).
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl From<BacktestRow> for BacktestBody {
    fn from(b: BacktestRow) -> Self {
        BacktestBody {
            id: b.id,
            plugin: b.plugin_name,
            version_id: b.version_id,
            last_n: b.last_n,
            status: b.status,
            done: b.done,
            total: b.total,
            report: b.report,
            error: b.error,
            created_by: b.created_by,
            created_at: b.created_at,
            finished_at: b.finished_at,
        }
    }
}

/// How the shadow version agrees with the active one.
#[derive(Serialize, ToSchema)]
pub struct ShadowBody {
    pub version_id: String,
    pub invoices: i64,
    pub disagreements: i64,
    pub failures: i64,
    pub disagreement_rate: f64,
    #[schema(value_type = Vec<Object>)]
    pub latest: Vec<serde_json::Value>,
}

impl From<ShadowSummary> for ShadowBody {
    fn from(s: ShadowSummary) -> Self {
        ShadowBody {
            version_id: s.version_id,
            invoices: s.invoices,
            disagreements: s.disagreements,
            failures: s.failures,
            disagreement_rate: s.disagreement_rate,
            latest: s.latest,
        }
    }
}

fn checked_name(name: &str) -> Result<String, ApiError> {
    validate_plugin_name(name).map_err(|_| ApiError::not_found(format!("plugin {name}")))?;
    Ok(name.to_string())
}

/// The revision an optional `If-Match` names.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(raw) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let v = raw.to_str().unwrap_or("").trim();
    if v == "*" {
        return Ok(None);
    }
    v.trim_matches('"').parse::<i64>().map(Some).map_err(|_| {
        ApiError::bad_request("`If-Match` must be the plugin's ETag, such as \"3\"").with_errors(
            vec![FieldError::new("If-Match", "not an ETag of the plugin")],
        )
    })
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(why) => ApiError::validation(vec![FieldError::new("plugin", why)]),
        StoreError::Conflict { current_version } => ApiError::precondition_failed(format!(
            "the plugin changed meanwhile: it is at revision {current_version} now; read it again"
        )),
        other => other.into(),
    }
}

async fn plugin_or_404(
    state: &ApiState,
    tenant_id: &str,
    name: &str,
) -> Result<PluginBody, ApiError> {
    match state.shared.db.plugin(tenant_id, name).await? {
        Some(p) => Ok(PluginBody::of(p)),
        None if name == "fraud" => Ok(PluginBody::builtin_default()),
        None => Err(ApiError::not_found(format!("plugin {name}"))),
    }
}

#[utoipa::path(
    get,
    path = "/v1/plugins",
    tag = "plugins",
    responses((status = 200, description = "The tenant's plugins and the built-in `fraud` component, by name", body = Vec<PluginBody>))
)]
pub async fn list(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Json<Vec<PluginBody>>, ApiError> {
    caller.require(Role::Admin)?;
    let rows = state.shared.db.plugins(&caller.tenant_id).await?;
    let mut out: Vec<PluginBody> = rows.into_iter().map(PluginBody::of).collect();
    if !out.iter().any(|p| p.name == "fraud") {
        out.push(PluginBody::builtin_default());
        out.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(Json(out))
}

#[utoipa::path(
    get,
    path = "/v1/plugins/{name}",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name")),
    responses(
        (status = 200, description = "The plugin, its versions and history; `ETag` is its revision", body = PluginDetail),
        (status = 404, description = "No such plugin in the caller's tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let name = checked_name(&name)?;
    let plugin = plugin_or_404(&state, &caller.tenant_id, &name).await?;
    let db = &state.shared.db;
    let versions = db.plugin_versions(&caller.tenant_id, &name).await?;
    let history = db.plugin_events(&caller.tenant_id, &name).await?;
    let revision = plugin.revision;
    Ok(with_etag(
        revision,
        Json(PluginDetail {
            plugin,
            versions: versions.into_iter().map(Into::into).collect(),
            history: history.into_iter().map(Into::into).collect(),
        })
        .into_response(),
    ))
}

#[utoipa::path(
    post,
    path = "/v1/plugins/{name}/versions",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name (created on its first upload)"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/wasm", description = "The component's bytes"),
    responses(
        (status = 201, description = "Validated, compiled and stored as a new, inactive version", body = UploadBody),
        (status = 200, description = "These bytes are already a version of the plugin", body = UploadBody),
        (status = 409, description = "The label is taken by other bytes", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than `plugins.max_component_bytes`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/wasm`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused: `errors` says exactly why (not a component, world, import, limit, compile, rules)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upload(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let invalid =
        |field: &str, why: String| ApiError::validation(vec![FieldError::new(field, why)]);
    validate_plugin_name(&name).map_err(|e| invalid("name", e.to_string()))?;
    if BUILTIN_NAMES.contains(&name.as_str()) {
        return Err(invalid(
            "name",
            format!(
                "`{name}` is a built-in component: configure it with PUT /v1/plugins/{name}/settings, or upload your rule under its own name"
            ),
        ));
    }
    validate_label(&q.version).map_err(|e| invalid("version", e.to_string()))?;
    let description = q.description.unwrap_or_default();
    if description.chars().count() > 500 || description.chars().any(char::is_control) {
        return Err(invalid(
            "description",
            "at most 500 characters, no control characters".into(),
        ));
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !matches!(
        ct.split(';').next().unwrap_or("").trim(),
        "application/wasm" | "application/octet-stream"
    ) {
        return Err(ApiError::unsupported_media_type(
            "send the component's bytes as the body with `Content-Type: application/wasm`",
        ));
    }
    if body.is_empty() {
        return Err(invalid(
            "component",
            "the body is empty: send the component's bytes".into(),
        ));
    }
    let shared = state.shared.clone();
    // Validate and compile off the async threads: compiling takes a while.
    let bytes = body.clone();
    let runtime = shared.pipeline.runtime.clone();
    let plugin_name = name.clone();
    let checked =
        tokio::task::spawn_blocking(move || validate_component(&runtime, &plugin_name, &bytes))
            .await
            .map_err(|e| ApiError::internal(anyhow::anyhow!("validation task: {e}")))?;
    let (report, rules) = checked.map_err(|problems| {
        let detail = format!("the component was refused: {}", problems.join("; "));
        ApiError::validation(
            problems
                .into_iter()
                .map(|p| FieldError::new("component", p))
                .collect(),
        )
        .with_detail(detail)
    })?;
    let key = blob_key(&report.digest);
    if !shared.blob.exists(&key).await? {
        shared.blob.put(&key, &body, "application/wasm").await?;
    }
    let by = acting_as(&state, &caller).await?;
    let default_settings =
        serde_json::to_string(&PluginSettings::default()).unwrap_or_else(|_| "{}".into());
    let outcome = shared
        .db
        .add_plugin_version(
            &caller.tenant_id,
            &by.actor(),
            &NewPluginVersion {
                plugin_name: name.clone(),
                label: q.version.clone(),
                description,
                digest: report.digest.clone(),
                size: report.size as i64,
                world: report.world.unwrap_or("fraud-rule").to_string(),
                rules,
                imports: report.imports.clone(),
                needs_history: report.needs_history,
            },
            &default_settings,
        )
        .await
        .map_err(store_error)?;
    let plugin = plugin_or_404(&state, &caller.tenant_id, &name).await?;
    let (status, version, created) = match outcome {
        Uploaded::Created(v) => (StatusCode::CREATED, v, true),
        Uploaded::Existing(v) => (StatusCode::OK, v, false),
    };
    Ok((
        status,
        Json(UploadBody {
            plugin,
            version: version.into(),
            created,
        }),
    )
        .into_response())
}

/// Everything that would make a component unusable: not a component, no stage world
/// or not a fraud rule, an import never granted, a compile failure, `rules()` failing
/// or declaring nothing. Returns the report and the declared rule ids.
pub(crate) fn validate_component(
    runtime: &papyr_runtime::Runtime,
    name: &str,
    bytes: &[u8],
) -> Result<(papyr_runtime::ComponentReport, Vec<String>), Vec<String>> {
    // `history` is grantable: a component importing it is accepted and needs the
    // grant to be activated.
    let grants = Grants { history: true };
    let (report, world) = runtime
        .inspect(bytes, grants)
        .map_err(|e| vec![e.to_string()])?;
    if !report.problems.is_empty() {
        return Err(report.problems);
    }
    if world != Some(papyr_runtime::World::FraudRule) {
        return Err(vec![format!(
            "implements the {} world; tenants can upload fraud-rule components (the other stages are replaced by the operator, see docs/plugins.md)",
            report.world.unwrap_or("?")
        )]);
    }
    let plugin = runtime
        .load(
            name,
            bytes,
            Grants {
                history: report.needs_history,
            },
        )
        .map_err(|e| vec![e.to_string()])?;
    let caps = papyr_runtime::host::Capabilities {
        config: vec![],
        history: None,
        clock_unix_secs: 0,
    };
    let rules = runtime
        .rules(&plugin, caps, &papyr_runtime::Limits::rule())
        .map_err(|e| vec![format!("`rules()` failed: {e}")])?;
    let ids: Vec<String> = rules.value.into_iter().map(|r| r.id).collect();
    if ids.is_empty() {
        return Err(vec![
            "`rules()` declares no rule: a finding must name a declared rule id, so this component could never report anything".into(),
        ]);
    }
    if let Some(bad) = ids
        .iter()
        .find(|id| id.is_empty() || id.len() > 100 || id.chars().any(char::is_control))
    {
        return Err(vec![format!(
            "`rules()` declares an invalid rule id `{bad}` (1 to 100 characters, no control characters)"
        )]);
    }
    Ok((report, ids))
}

#[utoipa::path(
    put,
    path = "/v1/plugins/{name}/settings",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name (`fraud` for the built-in rules)"),
           ("If-Match" = Option<String>, Header, description = "The plugin's ETag; a stale one answers 412")),
    request_body = PluginSettings,
    responses(
        (status = 200, description = "Stored; effective for the next invoice", body = PluginBody),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The plugin changed since that revision", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A limit above the server's maximum, an unknown rule id, ...", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_settings(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(settings): ApiJson<PluginSettings>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let name = checked_name(&name)?;
    let expected = if_match(&headers)?;
    let plugin = plugin_or_404(&state, &caller.tenant_id, &name).await?;
    let cfg = &state.shared.cfg.plugins;
    let invalid =
        |field: &str, why: String| ApiError::validation(vec![FieldError::new(field, why)]);
    if let Some(l) = &settings.limits {
        l.check_within(&cfg.max_limits)
            .map_err(|e| invalid("limits", e))?;
    }
    for (k, v) in &settings.config {
        if k.is_empty() || k.len() > 100 || k.chars().any(char::is_control) || v.len() > 10_000 {
            return Err(invalid(
                "config",
                format!("key `{k}`: keys are 1 to 100 characters, values at most 10,000"),
            ));
        }
    }
    // Disabled rule ids must be ones the plugin declares.
    let declared: Vec<String> = if plugin.builtin {
        state
            .shared
            .pipeline
            .plugins
            .fraud
            .iter()
            .flat_map(|p| state.shared.pipeline.declared_rules(&p.digest).to_vec())
            .collect()
    } else {
        state
            .shared
            .db
            .plugin_versions(&caller.tenant_id, &name)
            .await?
            .into_iter()
            .flat_map(|v| v.rules)
            .collect()
    };
    if let Some(bad) = settings
        .disabled_rules
        .iter()
        .find(|r| !declared.contains(r))
    {
        return Err(invalid(
            "disabled_rules",
            format!("`{bad}` is not a rule of plugin {name} (its rules: {})", {
                let mut d = declared.clone();
                d.sort();
                d.dedup();
                d.join(", ")
            }),
        ));
    }
    if !settings.grants.history && !plugin.builtin {
        // A version that runs keeps the capabilities it imports.
        let running = [
            plugin
                .active_version
                .as_ref()
                .filter(|_| plugin.state == "active"),
            plugin.shadow_version.as_ref(),
        ];
        for v in running.into_iter().flatten() {
            if let Some(ver) = state
                .shared
                .db
                .plugin_version(&caller.tenant_id, &name, v)
                .await?
                && ver.needs_history
            {
                return Err(invalid(
                    "grants.history",
                    format!(
                        "version {} imports the tenant history and runs (active or shadowing); activate or shadow another version, or disable the plugin, before taking the grant away",
                        ver.label
                    ),
                ));
            }
        }
    }
    if plugin.builtin && settings.grants != GrantSettings::default() {
        return Err(invalid(
            "grants",
            "the built-in rules' capabilities are fixed (they read the tenant's history); leave `grants` out".into(),
        ));
    }
    let by = acting_as(&state, &caller).await?;
    let text =
        serde_json::to_string(&settings).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let row = state
        .shared
        .db
        .set_plugin_settings(&caller.tenant_id, &name, &by.actor(), &text, expected)
        .await
        .map_err(store_error)?;
    let revision = row.revision;
    Ok(with_etag(
        revision,
        Json(PluginBody::of(row)).into_response(),
    ))
}

/// Check what activating (or shadowing) `version` needs, then change the pointer.
async fn change(
    state: &ApiState,
    caller: &Caller,
    name: &str,
    headers: &HeaderMap,
    change: PointerChange,
) -> Result<Response, ApiError> {
    let name = checked_name(name)?;
    let expected = if_match(headers)?;
    let plugin = plugin_or_404(state, &caller.tenant_id, &name).await?;
    let target = match &change {
        PointerChange::Activate(v)
        | PointerChange::Shadow(Some(v))
        | PointerChange::Rollback(Some(v)) => Some(v.clone()),
        // The version a rollback goes back to is checked like a named one.
        PointerChange::Rollback(None) if !plugin.builtin => {
            state
                .shared
                .db
                .rollback_target(&caller.tenant_id, &name)
                .await?
        }
        _ => None,
    };
    if let Some(v) = target.filter(|_| !plugin.builtin) {
        let Some(version) = state
            .shared
            .db
            .plugin_version(&caller.tenant_id, &name, &v)
            .await?
        else {
            return Err(ApiError::not_found(format!("version {v} of plugin {name}")));
        };
        if version.needs_history && !plugin.settings.grants.history {
            return Err(ApiError::validation(vec![FieldError::new(
                "version",
                format!(
                    "version {} imports the tenant history; grant it first: PUT /v1/plugins/{name}/settings with \"grants\": {{\"history\": true}}",
                    version.label
                ),
            )]));
        }
        // Load it now, so that a component that cannot run is refused here and not
        // on the next invoice.
        state
            .shared
            .plugin_component(&name, &version, plugin.settings.grants.history)
            .await
            .map_err(|e| {
                ApiError::validation(vec![FieldError::new("version", format!("{e:#}"))])
            })?;
    }
    let by = acting_as(state, caller).await?;
    let row = state
        .shared
        .db
        .change_plugin(&caller.tenant_id, &name, &by.actor(), &change, expected)
        .await
        .map_err(store_error)?;
    let revision = row.revision;
    Ok(with_etag(
        revision,
        Json(PluginBody::of(row)).into_response(),
    ))
}

#[utoipa::path(
    post,
    path = "/v1/plugins/{name}/activate",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name"),
           ("If-Match" = Option<String>, Header, description = "The plugin's ETag; a stale one answers 412")),
    request_body = VersionRef,
    responses(
        (status = 200, description = "Active from the next invoice on; invoices being checked finish with the version they started with", body = PluginBody),
        (status = 404, description = "No such plugin or version", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The plugin changed since that revision", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The version needs a grant the plugin lacks, or cannot be loaded", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn activate(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<VersionRef>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    change(
        &state,
        &caller,
        &name,
        &headers,
        PointerChange::Activate(body.version),
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v1/plugins/{name}/rollback",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name"),
           ("If-Match" = Option<String>, Header, description = "The plugin's ETag; a stale one answers 412")),
    request_body = RollbackBody,
    responses(
        (status = 200, description = "The named version (or the one active before) is active again", body = PluginBody),
        (status = 404, description = "No such plugin or version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Nothing to roll back to", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rollback(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    // The body is optional: none rolls back to the version active before.
    let version = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        parse_json::<RollbackBody>(&body)?.version
    };
    change(
        &state,
        &caller,
        &name,
        &headers,
        PointerChange::Rollback(version),
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v1/plugins/{name}/disable",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name (`fraud`: switch the built-in rules off)"),
           ("If-Match" = Option<String>, Header, description = "The plugin's ETag; a stale one answers 412")),
    responses(
        (status = 200, description = "Not run from the next invoice on (activate a version to run it again)", body = PluginBody),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn disable(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    change(&state, &caller, &name, &headers, PointerChange::Disable).await
}

#[utoipa::path(
    put,
    path = "/v1/plugins/{name}/shadow",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name")),
    request_body = VersionRef,
    responses(
        (status = 200, description = "The version runs beside the active one on every invoice; its findings are recorded, not acted on", body = PluginBody),
        (status = 404, description = "No such plugin or version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "It is the active version, or needs a grant the plugin lacks", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn start_shadow(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<VersionRef>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    change(
        &state,
        &caller,
        &name,
        &headers,
        PointerChange::Shadow(Some(body.version)),
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/v1/plugins/{name}/shadow",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name")),
    responses(
        (status = 200, description = "No version shadows any more (its results stay readable)", body = PluginBody),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn stop_shadow(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    change(
        &state,
        &caller,
        &name,
        &headers,
        PointerChange::Shadow(None),
    )
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShadowQuery {
    /// A version that shadowed before (default: the current shadow version).
    pub version: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/plugins/{name}/shadow",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name"), ShadowQuery),
    responses(
        (status = 200, description = "How often the shadow version disagreed with the active one, and the latest disagreements", body = ShadowBody),
        (status = 404, description = "No such plugin or version, or nothing shadows", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn shadow_report(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<ShadowQuery>,
) -> Result<Json<ShadowBody>, ApiError> {
    caller.require(Role::Admin)?;
    let name = checked_name(&name)?;
    let plugin = plugin_or_404(&state, &caller.tenant_id, &name).await?;
    let db = &state.shared.db;
    let version_id = match q.version {
        Some(v) => {
            db.plugin_version(&caller.tenant_id, &name, &v)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("version {v} of plugin {name}")))?
                .id
        }
        None => plugin.shadow_version.ok_or_else(|| {
            ApiError::not_found(format!(
                "no version of plugin {name} is shadowing; name one with ?version="
            ))
        })?,
    };
    Ok(Json(
        db.shadow_summary(&caller.tenant_id, &name, &version_id)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    post,
    path = "/v1/plugins/{name}/backtests",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name")),
    request_body = BacktestRequest,
    responses(
        (status = 202, description = "Started; poll `Location` for progress and the report", body = BacktestBody,
         headers(("Location" = String, description = "The back-test's URL"))),
        (status = 404, description = "No such plugin or version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`last_n` out of range, or the version needs a grant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn start_backtest(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<BacktestRequest>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let name = checked_name(&name)?;
    let plugin = plugin_or_404(&state, &caller.tenant_id, &name).await?;
    let max = state.shared.cfg.plugins.max_backtest_invoices;
    if body.last_n == 0 || body.last_n > max {
        return Err(ApiError::validation(vec![FieldError::new(
            "last_n",
            format!("between 1 and {max} (plugins.max_backtest_invoices)"),
        )]));
    }
    let db = &state.shared.db;
    let Some(version) = db
        .plugin_version(&caller.tenant_id, &name, &body.version)
        .await?
    else {
        return Err(ApiError::not_found(format!(
            "version {} of plugin {name}",
            body.version
        )));
    };
    if version.needs_history && !plugin.settings.grants.history {
        return Err(ApiError::validation(vec![FieldError::new(
            "version",
            format!(
                "version {} imports the tenant history; grant it first (PUT /v1/plugins/{name}/settings)",
                version.label
            ),
        )]));
    }
    let by = acting_as(&state, &caller).await?;
    let row = db
        .create_backtest(
            &caller.tenant_id,
            &name,
            &version.id,
            body.last_n as i64,
            &by.actor(),
        )
        .await?;
    let shared = state.shared.clone();
    tokio::spawn(shared.run_backtest(
        caller.tenant_id.clone(),
        name.clone(),
        version,
        row.id.clone(),
        body.last_n as i64,
    ));
    let location = format!("/v1/plugins/{name}/backtests/{}", row.id);
    let mut res = (StatusCode::ACCEPTED, Json(BacktestBody::from(row))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// A running back-test reports progress at least every ten invoices; one silent for
/// this long lost its server.
const BACKTEST_SILENCE_MS: i64 = 10 * 60 * 1000;

/// Mark back-tests whose heartbeat stopped as failed, only when `rows` (just read)
/// hold one: a read that finds none writes nothing. Returns whether it wrote.
async fn fail_stale(state: &ApiState, rows: &[&BacktestRow]) -> Result<bool, ApiError> {
    let cutoff = papyr_store::now_ms() - BACKTEST_SILENCE_MS;
    if !rows
        .iter()
        .any(|r| r.status == "running" && r.heartbeat_at < cutoff)
    {
        return Ok(false);
    }
    state.shared.db.fail_stale_backtests(cutoff).await?;
    Ok(true)
}

#[utoipa::path(
    get,
    path = "/v1/plugins/{name}/backtests",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name")),
    responses(
        (status = 200, description = "The plugin's latest 100 back-tests, newest first, without reports", body = Vec<BacktestBody>),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_backtests(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<Vec<BacktestBody>>, ApiError> {
    caller.require(Role::Admin)?;
    let name = checked_name(&name)?;
    plugin_or_404(&state, &caller.tenant_id, &name).await?;
    let db = &state.shared.db;
    let mut rows = db.backtests(&caller.tenant_id, &name).await?;
    if fail_stale(&state, &rows.iter().collect::<Vec<_>>()).await? {
        rows = db.backtests(&caller.tenant_id, &name).await?;
    }
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(
    get,
    path = "/v1/plugins/{name}/backtests/{id}",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name"), ("id" = String, Path, description = "Back-test id")),
    responses(
        (status = 200, description = "Progress (`done` of `total`) and, once `done`, the report", body = BacktestBody),
        (status = 404, description = "No such back-test", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_backtest(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath((name, id)): ApiPath<(String, String)>,
) -> Result<Json<BacktestBody>, ApiError> {
    caller.require(Role::Admin)?;
    let name = checked_name(&name)?;
    let db = &state.shared.db;
    let read = || async {
        db.backtest(&caller.tenant_id, &name, &id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("back-test {id}")))
    };
    let mut row = read().await?;
    if fail_stale(&state, &[&row]).await? {
        row = read().await?;
    }
    Ok(Json(row.into()))
}

#[utoipa::path(
    get,
    path = "/v1/plugins/{name}/stats",
    tag = "plugins",
    params(("name" = String, Path, description = "Plugin name")),
    responses(
        (status = 200, description = "Per version, in this server process since it started: calls, failures by kind, latency percentiles, fuel, memory, findings", body = Vec<VersionStatsView>),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn stats(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<Vec<VersionStatsView>>, ApiError> {
    caller.require(Role::Admin)?;
    let name = checked_name(&name)?;
    plugin_or_404(&state, &caller.tenant_id, &name).await?;
    Ok(Json(
        state.shared.plugins.stats.view(&caller.tenant_id, &name),
    ))
}
