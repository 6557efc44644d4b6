//! Building the runtime and the built-in pipeline, shared by every command.
use anyhow::{Context, Result};
use papyr_domain::TenantFile;
use papyr_runtime::bindings::types::Date;
use papyr_runtime::pipeline::date_to_unix;
use papyr_runtime::{
    EngineOptions, Grants, MemoryHistory, Pipeline, PipelineOptions, Runtime, StagePlugins,
    TenantContext,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Where compiled components are cached: `$PAPYR_CACHE_DIR`, else the user cache
/// folder (`$XDG_CACHE_HOME/papyr` or `~/.cache/papyr`).
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PAPYR_CACHE_DIR") {
        return (!d.is_empty()).then(|| PathBuf::from(d));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("papyr"))
}

pub fn runtime(cache_dir: Option<PathBuf>) -> Result<Arc<Runtime>> {
    let rt = Runtime::new(EngineOptions {
        cache_dir,
        ..EngineOptions::default()
    })
    .context("failed to start the plugin runtime")?;
    Ok(Arc::new(rt))
}

/// The built-in stage components, loaded (compiled or from the cache).
pub fn builtin_plugins(rt: &Runtime) -> Result<StagePlugins> {
    use papyr_builtins as b;
    let load = |name: &str, bytes: &[u8], grants: Grants| {
        rt.load(name, bytes, grants)
            .map(Arc::new)
            .with_context(|| format!("failed to load the built-in `{name}` component"))
    };
    Ok(StagePlugins {
        parse: load("parse", b::PARSE, Grants::default())?,
        classify: load("classify", b::CLASSIFY, Grants::default())?,
        extract: load("extract", b::EXTRACT, Grants::default())?,
        fraud: vec![load("fraud", b::FRAUD, Grants { history: true })?],
        report: load("report", b::REPORT, Grants::default())?,
    })
}

pub fn pipeline(
    rt: Arc<Runtime>,
    plugins: StagePlugins,
    options: PipelineOptions,
) -> Result<Pipeline> {
    Pipeline::new(rt, plugins, options)
        .map_err(|e| anyhow::anyhow!("a fraud-rule component failed to declare its rules: {e}"))
}

/// Plugin names are cargo package names (`po-required`); a component file is named
/// after its library (`po_required.wasm`). Both spellings name the same plugin.
pub fn plugin_name(s: &str) -> String {
    s.replace('_', "-")
}

pub fn parse_date(s: &str) -> Result<Date> {
    papyr_runtime::convert::parse_date(s)
        .with_context(|| format!("invalid date `{s}`: expected YYYY-MM-DD"))
}

pub fn system_today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = papyr_runtime::pipeline::civil_from_days((secs / 86_400) as i64);
    Date {
        year: y as u16,
        month: m as u8,
        day: d as u8,
    }
}

/// A tenant's settings and a history → the context a pipeline run needs.
pub fn tenant_context(
    file: &TenantFile,
    today: Option<&str>,
    history: Arc<MemoryHistory>,
) -> Result<TenantContext> {
    let today = match today.or(file.today.as_deref()) {
        Some(s) => parse_date(s)?,
        None => system_today(),
    };
    let mut plugin_config: BTreeMap<String, Vec<(String, String)>> = file
        .plugin_config
        .iter()
        .map(|(k, v)| {
            (
                plugin_name(k),
                v.iter().map(|(a, b)| (a.clone(), b.clone())).collect(),
            )
        })
        .collect();
    // The tenant's own settings reach the built-in rules unless configured there.
    let fraud = plugin_config.entry("fraud".into()).or_default();
    if !file.tax_ids.is_empty() && !fraud.iter().any(|(k, _)| k == "tenant_tax_ids") {
        fraud.push(("tenant_tax_ids".into(), file.tax_ids.join(",")));
    }
    if let Some(t) = &file.approval.approval_threshold
        && !fraud.iter().any(|(k, _)| k == "approval_threshold")
    {
        fraud.push(("approval_threshold".into(), t.clone()));
    }
    for cfg in plugin_config.values_mut() {
        cfg.sort();
    }
    let policy = file
        .policy()
        .context("invalid approval settings in the tenant file")?;
    Ok(TenantContext {
        name: file.name.clone(),
        history,
        plugin_config,
        today,
        // Plugins see noon of "today" as the current time.
        clock_unix_secs: date_to_unix(&today) + 12 * 3600,
        policy,
    })
}
