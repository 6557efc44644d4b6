//! The Papyr plugin runtime: one wasmtime engine, sandbox limits, the host
//! capabilities plugins may be granted, the component registry with its on-disk
//! compilation cache, and the in-process pipeline.
//!
//! - [`engine`]: the [`Runtime`] (engine, linkers, epoch ticker, caches) and stage calls.
//! - [`limits`]: per-call limits (deadline, memory, fuel, input/output caps).
//! - [`bindings`]: the host side of the `papyr:pipeline` WIT package.
//! - [`host`]: the per-call store state and the host imports (log, config, history).
//! - [`registry`]: loading, checking and caching components.
//! - [`history`]: the tenant-history capability and an in-memory implementation.
//! - [`pipeline`]: parse → classify → extract → fraud → decision → report.
//! - [`convert`]: WIT values to the canonical output model.

pub mod bindings;
pub mod convert;
pub mod engine;
pub mod history;
pub mod host;
pub mod limits;
pub mod pipeline;
pub mod registry;

pub use engine::{CallError, CallStats, Called, EngineOptions, Runtime, TrapKind};
pub use history::{History, MemoryHistory};
pub use limits::{Limits, RuleLimits};
pub use pipeline::{
    Checked, DocumentInput, FailurePolicy, Pipeline, PipelineOptions, Prepared, Processed, RuleRun,
    RuleStat, StagePlugins, TenantContext,
};
pub use registry::{ComponentReport, Grants, Plugin, World};

/// Errors of the runtime that are not a single call's failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to create the wasmtime engine: {0}")]
    Engine(String),
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    #[error("component refused: {0}")]
    Refused(String),
    #[error("failed to compile component: {0}")]
    Compile(String),
    #[error("component cache at {path}: {message}")]
    Cache { path: String, message: String },
}
