//! Building the runtime and the built-in pipeline, shared by every command.
use anyhow::{Context, Result};
use papyr_runtime::{EngineOptions, Grants, Pipeline, PipelineOptions, Runtime, StagePlugins};
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
    let rt = Runtime::new(EngineOptions { cache_dir, ..EngineOptions::default() }).context("failed to start the plugin runtime")?;
    Ok(Arc::new(rt))
}

/// The built-in stage components, loaded (compiled or from the cache).
pub fn builtin_plugins(rt: &Runtime) -> Result<StagePlugins> {
    use papyr_builtins as b;
    let load = |name: &str, bytes: &[u8], grants: Grants| {
        rt.load(name, bytes, grants).map(Arc::new).with_context(|| format!("failed to load the built-in `{name}` component"))
    };
    Ok(StagePlugins {
        parse: load("parse", b::PARSE, Grants::default())?,
        classify: load("classify", b::CLASSIFY, Grants::default())?,
        extract: load("extract", b::EXTRACT, Grants::default())?,
        fraud: vec![load("fraud", b::FRAUD, Grants { history: true })?],
        report: load("report", b::REPORT, Grants::default())?,
    })
}

pub fn pipeline(rt: Arc<Runtime>, plugins: StagePlugins, options: PipelineOptions) -> Result<Pipeline> {
    Pipeline::new(rt, plugins, options).map_err(|e| anyhow::anyhow!("a fraud-rule component failed to declare its rules: {e}"))
}

/// Plugin names are cargo package names (`po-required`); a component file is named
/// after its library (`po_required.wasm`). Both spellings name the same plugin.
pub fn plugin_name(s: &str) -> String {
    s.replace('_', "-")
}
