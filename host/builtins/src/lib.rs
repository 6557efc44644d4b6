//! The built-in stage components, compiled from `plugins/` by this crate's build
//! script and embedded in the binary.

/// Folder holding every component the plugin workspace built (built-ins, the example
/// rules and the test programs).
pub const PLUGIN_OUT_DIR: &str = env!("PAPYR_PLUGIN_OUT");

pub const PARSE: &[u8] = include_bytes!(concat!(env!("PAPYR_PLUGIN_OUT"), "/parse.wasm"));
pub const CLASSIFY: &[u8] = include_bytes!(concat!(env!("PAPYR_PLUGIN_OUT"), "/classify.wasm"));
pub const EXTRACT: &[u8] = include_bytes!(concat!(env!("PAPYR_PLUGIN_OUT"), "/extract.wasm"));
pub const FRAUD: &[u8] = include_bytes!(concat!(env!("PAPYR_PLUGIN_OUT"), "/fraud.wasm"));
pub const REPORT: &[u8] = include_bytes!(concat!(env!("PAPYR_PLUGIN_OUT"), "/report.wasm"));

/// Path of a component the plugin workspace built, e.g. `po_required`.
pub fn component_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(PLUGIN_OUT_DIR).join(format!("{name}.wasm"))
}
