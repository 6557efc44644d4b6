//! The one place the wasmtime engine is built, and every stage call.
use crate::Error;
use crate::bindings::{self, classifier, extractor, fraud_rule, parser, reporter, types};
use crate::host::{Capabilities, LogLine, StoreState};
use crate::limits::Limits;
use crate::registry::{Plugin, World};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig, Store, Trap,
};

/// The epoch advances every tick; deadlines are counted in ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// How the engine is built.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Use the pooling allocator (falls back to on-demand allocation when the
    /// address-space reservation fails).
    pub pooling: bool,
    /// Concurrent instances the pool holds.
    pub pool_instances: u32,
    /// Largest linear memory a pooled instance may have (≥ every call's memory limit).
    pub pool_max_memory: usize,
    /// Where compiled components are cached (`<dir>/<engine hash>/<sha256>.cwasm`);
    /// `None` disables the disk cache.
    pub cache_dir: Option<PathBuf>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            pooling: true,
            pool_instances: 128,
            pool_max_memory: 256 << 20,
            cache_dir: None,
        }
    }
}

/// Why a call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrapKind {
    /// The wall-clock deadline passed.
    Deadline,
    /// The memory limit was reached.
    Memory,
    /// The fuel budget ran out.
    Fuel,
    /// The plugin panicked or hit `unreachable`.
    Panic,
    /// Any other trap.
    Other,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("plugin trapped ({kind:?}): {message}")]
    Trap { kind: TrapKind, message: String },
    #[error("plugin returned an error: {0}")]
    Stage(String),
    #[error("input too large: {size} bytes exceeds the {limit}-byte limit")]
    InputTooLarge { size: usize, limit: usize },
    #[error("plugin output too large: about {size} bytes exceeds the {limit}-byte limit")]
    OutputTooLarge { size: usize, limit: usize },
    #[error("plugin does not implement world `{expected}` (it implements `{found}`)")]
    WrongWorld {
        expected: &'static str,
        found: &'static str,
    },
    #[error("failed to instantiate plugin: {0}")]
    Instantiate(String),
}

impl CallError {
    /// A short kind for metrics: `trap:deadline`, `stage-error`, `output`...
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::Trap {
                kind: TrapKind::Deadline,
                ..
            } => "deadline",
            CallError::Trap {
                kind: TrapKind::Memory,
                ..
            } => "memory",
            CallError::Trap {
                kind: TrapKind::Fuel,
                ..
            } => "fuel",
            CallError::Trap {
                kind: TrapKind::Panic,
                ..
            } => "trap",
            CallError::Trap {
                kind: TrapKind::Other,
                ..
            } => "trap",
            CallError::Stage(_) => "stage-error",
            CallError::InputTooLarge { .. } => "input",
            CallError::OutputTooLarge { .. } => "bad-output",
            CallError::WrongWorld { .. } => "wrong-world",
            CallError::Instantiate(_) => "instantiate",
        }
    }
}

/// What a call cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallStats {
    pub elapsed: Duration,
    pub fuel_used: u64,
    /// The largest linear memory the call's instance reached, in bytes.
    pub memory_peak: usize,
    pub logs: Vec<LogLine>,
}

/// A call's value with its cost.
#[derive(Debug)]
pub struct Called<T> {
    pub value: T,
    pub stats: CallStats,
}

pub(crate) struct Linkers {
    pub base: Linker<StoreState>,
    pub with_history: Linker<StoreState>,
}

/// The runtime: one engine, its linkers, the component caches and the epoch ticker.
/// Cheap to share (`Arc<Runtime>`); every call gets its own `Store`.
pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) linkers: Linkers,
    pub(crate) options: EngineOptions,
    pub(crate) pooling: bool,
    pub(crate) components: Mutex<HashMap<String, Component>>,
    pub(crate) pres: Mutex<HashMap<(String, bool), InstancePre<StoreState>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn config(pooling: Option<&EngineOptions>) -> Config {
    let mut cfg = Config::new();
    cfg.wasm_component_model(true)
        .epoch_interruption(true)
        .consume_fuel(true)
        .cranelift_opt_level(OptLevel::Speed);
    if let Some(o) = pooling {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(o.pool_instances)
            .total_core_instances(o.pool_instances * 4)
            .total_memories(o.pool_instances * 2)
            .total_tables(o.pool_instances * 4)
            .total_stacks(o.pool_instances)
            .max_memory_size(o.pool_max_memory)
            .max_core_instances_per_component(16)
            .max_memories_per_component(4)
            .max_tables_per_component(16)
            .max_unused_warm_slots(16);
        cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    cfg
}

fn engine_error(e: impl std::fmt::Display) -> Error {
    Error::Engine(e.to_string())
}

impl Runtime {
    /// Build the engine (pooling when possible), the linkers and the epoch ticker.
    pub fn new(options: EngineOptions) -> Result<Runtime, Error> {
        let (engine, pooling) = if options.pooling {
            match Engine::new(&config(Some(&options))) {
                Ok(e) => (e, true),
                Err(e) => {
                    tracing::warn!(error = %e, "pooling allocator unavailable (address-space reservation failed?); using on-demand allocation");
                    (Engine::new(&config(None)).map_err(engine_error)?, false)
                }
            }
        } else {
            (Engine::new(&config(None)).map_err(engine_error)?, false)
        };
        let linkers = Linkers {
            base: linker(&engine, false)?,
            with_history: linker(&engine, true)?,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let (ticker, stop2) = (engine.clone(), stop.clone());
        std::thread::Builder::new()
            .name("papyr-epoch".into())
            .spawn(move || {
                while !stop2.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticker.increment_epoch();
                }
            })
            .map_err(engine_error)?;
        Ok(Runtime {
            engine,
            linkers,
            options,
            pooling,
            components: Mutex::new(HashMap::new()),
            pres: Mutex::new(HashMap::new()),
            stop,
        })
    }

    /// Whether the pooling allocator is in use (false after a fallback).
    pub fn pooling(&self) -> bool {
        self.pooling
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// A fresh store for one call, with its limits set.
    fn store(&self, caps: Capabilities, limits: &Limits) -> Result<Store<StoreState>, CallError> {
        let mut store = Store::new(&self.engine, StoreState::new(caps, limits.memory_bytes));
        store.limiter(|s| &mut s.limits);
        store
            .set_fuel(limits.fuel)
            .map_err(|e| CallError::Instantiate(e.to_string()))?;
        let ticks = (limits.deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        Ok(store)
    }

    /// Run `f` against a fresh instance of `plugin`; classify failures, measure cost.
    fn call<R>(
        &self,
        plugin: &Plugin,
        caps: Capabilities,
        limits: &Limits,
        f: impl FnOnce(
            &mut Store<StoreState>,
            &InstancePre<StoreState>,
        ) -> wasmtime::Result<Result<R, types::StageError>>,
    ) -> Result<Called<R>, CallError> {
        let started = Instant::now();
        let mut store = self.store(caps, limits)?;
        let result = f(&mut store, &plugin.pre);
        let fuel_used = limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        let state = store.data();
        for line in &state.logs {
            let (name, digest, msg) = (&plugin.name, plugin.short_digest(), &line.message);
            match line.level {
                "error" => tracing::error!(plugin = %name, digest, "plugin log: {msg}"),
                "warn" => tracing::warn!(plugin = %name, digest, "plugin log: {msg}"),
                "info" => tracing::info!(plugin = %name, digest, "plugin log: {msg}"),
                _ => tracing::debug!(plugin = %name, digest, "plugin log: {msg}"),
            }
        }
        if state.dropped_logs > 0 {
            tracing::warn!(plugin = %plugin.name, dropped = state.dropped_logs, "plugin wrote more than {} log lines; the rest were dropped", crate::host::MAX_LOG_LINES);
        }
        let stats = CallStats {
            elapsed: started.elapsed(),
            fuel_used,
            memory_peak: state.limits.peak,
            logs: state.logs.clone(),
        };
        match result {
            Ok(Ok(value)) => Ok(Called { value, stats }),
            Ok(Err(e)) => Err(CallError::Stage(stage_error_text(&e))),
            Err(e) => Err(classify_trap(&e, &state.stderr_text())),
        }
    }

    fn expect(plugin: &Plugin, world: World) -> Result<(), CallError> {
        if plugin.world == world {
            Ok(())
        } else {
            Err(CallError::WrongWorld {
                expected: world.name(),
                found: plugin.world.name(),
            })
        }
    }

    pub fn parse(
        &self,
        plugin: &Plugin,
        caps: Capabilities,
        limits: &Limits,
        doc: &types::Document,
    ) -> Result<Called<types::ParsedDocument>, CallError> {
        Self::expect(plugin, World::Parser)?;
        if doc.bytes.len() > limits.max_input_bytes {
            return Err(CallError::InputTooLarge {
                size: doc.bytes.len(),
                limit: limits.max_input_bytes,
            });
        }
        let out = self.call(plugin, caps, limits, |store, pre| {
            let p = parser::ParserPre::new(pre.clone())?.instantiate(&mut *store)?;
            p.call_parse(&mut *store, doc)
        })?;
        check_output(size::parsed(&out.value), limits)?;
        Ok(out)
    }

    pub fn classify(
        &self,
        plugin: &Plugin,
        caps: Capabilities,
        limits: &Limits,
        doc: &types::DocumentInfo,
        parsed: &types::ParsedDocument,
    ) -> Result<Called<types::Classification>, CallError> {
        Self::expect(plugin, World::Classifier)?;
        let out = self.call(plugin, caps, limits, |store, pre| {
            let p = classifier::ClassifierPre::new(pre.clone())?.instantiate(&mut *store)?;
            p.call_classify(&mut *store, doc, parsed)
        })?;
        check_output(
            out.value
                .reasons
                .iter()
                .map(|r| r.len() + 16)
                .sum::<usize>()
                + 16,
            limits,
        )?;
        Ok(out)
    }

    pub fn extract(
        &self,
        plugin: &Plugin,
        caps: Capabilities,
        limits: &Limits,
        doc: &types::DocumentInfo,
        parsed: &types::ParsedDocument,
        classification: &types::Classification,
    ) -> Result<Called<types::Invoice>, CallError> {
        Self::expect(plugin, World::Extractor)?;
        let out = self.call(plugin, caps, limits, |store, pre| {
            let p = extractor::ExtractorPre::new(pre.clone())?.instantiate(&mut *store)?;
            p.call_extract(&mut *store, doc, parsed, classification)
        })?;
        check_output(size::invoice(&out.value), limits)?;
        Ok(out)
    }

    /// The rules a fraud-rule component declares.
    pub fn rules(
        &self,
        plugin: &Plugin,
        caps: Capabilities,
        limits: &Limits,
    ) -> Result<Called<Vec<types::RuleInfo>>, CallError> {
        Self::expect(plugin, World::FraudRule)?;
        let out = self.call(plugin, caps, limits, |store, pre| {
            let p = fraud_rule::FraudRulePre::new(pre.clone())?.instantiate(&mut *store)?;
            p.call_rules(&mut *store).map(Ok)
        })?;
        check_output(
            out.value
                .iter()
                .map(|r| r.id.len() + r.title.len() + r.description.len() + 8)
                .sum(),
            limits,
        )?;
        Ok(out)
    }

    pub fn check(
        &self,
        plugin: &Plugin,
        caps: Capabilities,
        limits: &Limits,
        input: &types::CheckInput,
    ) -> Result<Called<Vec<types::Finding>>, CallError> {
        Self::expect(plugin, World::FraudRule)?;
        let out = self.call(plugin, caps, limits, |store, pre| {
            let p = fraud_rule::FraudRulePre::new(pre.clone())?.instantiate(&mut *store)?;
            p.call_check(&mut *store, input)
        })?;
        check_output(size::findings(&out.value), limits)?;
        Ok(out)
    }

    /// For benchmarks: instantiate `plugin` once and call `check` `n` times on that
    /// one instance, returning each call's duration. Production never reuses an
    /// instance; this measures what a fresh store per call costs in comparison.
    pub fn bench_check_reused(
        &self,
        plugin: &Plugin,
        caps: Capabilities,
        limits: &Limits,
        input: &types::CheckInput,
        n: usize,
    ) -> Result<Vec<Duration>, CallError> {
        Self::expect(plugin, World::FraudRule)?;
        let mut store = self.store(caps, limits)?;
        let inst = |e: wasmtime::Error| CallError::Instantiate(format!("{e:#}"));
        let p = fraud_rule::FraudRulePre::new(plugin.pre.clone())
            .map_err(inst)?
            .instantiate(&mut store)
            .map_err(inst)?;
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            store.set_fuel(limits.fuel).map_err(inst)?;
            store.set_epoch_deadline(
                (limits.deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64,
            );
            let t = Instant::now();
            let r = p
                .call_check(&mut store, input)
                .map_err(|e| classify_trap(&e, ""))?;
            times.push(t.elapsed());
            r.map_err(|e| CallError::Stage(stage_error_text(&e)))?;
        }
        Ok(times)
    }

    pub fn render(
        &self,
        plugin: &Plugin,
        caps: Capabilities,
        limits: &Limits,
        input: &types::ReportInput,
    ) -> Result<Called<Vec<u8>>, CallError> {
        Self::expect(plugin, World::Reporter)?;
        let out = self.call(plugin, caps, limits, |store, pre| {
            let p = reporter::ReporterPre::new(pre.clone())?.instantiate(&mut *store)?;
            p.call_render(&mut *store, input)
        })?;
        check_output(out.value.len(), limits)?;
        Ok(out)
    }
}

fn check_output(size: usize, limits: &Limits) -> Result<(), CallError> {
    if size > limits.max_output_bytes {
        Err(CallError::OutputTooLarge {
            size,
            limit: limits.max_output_bytes,
        })
    } else {
        Ok(())
    }
}

/// A pollable that is always ready.
struct Ready;

#[wasmtime_wasi::async_trait]
impl wasmtime_wasi::p2::Pollable for Ready {
    async fn ready(&mut self) {}
}

/// Timers fire at once: a plugin's clock is fixed, and a blocking sleep inside a
/// host call would escape the epoch deadline (which only interrupts wasm code).
fn instant_timers(l: &mut Linker<StoreState>) -> wasmtime::Result<()> {
    fn ready(
        mut store: wasmtime::StoreContextMut<'_, StoreState>,
    ) -> wasmtime::Result<(wasmtime::component::Resource<wasmtime_wasi::p2::DynPollable>,)> {
        let table = store.data_mut().table_mut();
        let r = table.push(Ready)?;
        Ok((wasmtime_wasi::p2::subscribe(table, r)?,))
    }
    l.allow_shadowing(true);
    let mut clock = l.instance("wasi:clocks/monotonic-clock@0.2.12")?;
    clock.func_wrap("subscribe-duration", |store, (_d,): (u64,)| ready(store))?;
    clock.func_wrap("subscribe-instant", |store, (_t,): (u64,)| ready(store))?;
    l.allow_shadowing(false);
    Ok(())
}

fn linker(engine: &Engine, history: bool) -> Result<Linker<StoreState>, Error> {
    let mut l = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut l).map_err(engine_error)?;
    instant_timers(&mut l).map_err(engine_error)?;
    bindings::types::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut l, |s| s)
        .map_err(engine_error)?;
    bindings::log::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut l, |s| s)
        .map_err(engine_error)?;
    bindings::config::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut l, |s| s)
        .map_err(engine_error)?;
    if history {
        bindings::history::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut l, |s| s)
            .map_err(engine_error)?;
    }
    Ok(l)
}

pub(crate) fn stage_error_text(e: &types::StageError) -> String {
    match e {
        types::StageError::Unsupported(m) => format!("unsupported: {m}"),
        types::StageError::InvalidInput(m) => format!("invalid input: {m}"),
        types::StageError::LimitExceeded(m) => format!("limit exceeded: {m}"),
        types::StageError::Config(m) => format!("configuration: {m}"),
        types::StageError::Internal(m) => format!("internal: {m}"),
    }
}

fn classify_trap(e: &wasmtime::Error, stderr: &str) -> CallError {
    let text = format!("{e:#}");
    let kind = match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => TrapKind::Deadline,
        Some(Trap::OutOfFuel) => TrapKind::Fuel,
        Some(Trap::UnreachableCodeReached) if stderr.contains("memory allocation") => {
            TrapKind::Memory
        }
        Some(Trap::UnreachableCodeReached) => TrapKind::Panic,
        _ if text.contains("forcing trap when growing memory") => TrapKind::Memory,
        _ if stderr.contains("panicked at") => TrapKind::Panic,
        _ => TrapKind::Other,
    };
    let mut message = match kind {
        TrapKind::Deadline => "the call ran past its deadline and was stopped".to_string(),
        TrapKind::Fuel => "the call used up its fuel budget".to_string(),
        TrapKind::Memory => "the call reached its memory limit".to_string(),
        _ => text.lines().next().unwrap_or("trap").to_string(),
    };
    if kind == TrapKind::Panic || kind == TrapKind::Other {
        message = "the plugin trapped".to_string();
    }
    // A panic prints "thread '…' panicked at file:line:" then the message.
    let mut lines = stderr.lines().skip_while(|l| !l.contains("panicked at"));
    let excerpt = match (lines.next(), lines.next()) {
        (Some(at), Some(msg)) => Some(format!("{} {}", msg.trim(), at.trim())),
        (Some(at), None) => Some(at.trim().to_string()),
        _ => stderr.lines().next().map(str::to_string),
    };
    if let Some(line) = excerpt {
        let line: String = line.chars().take(300).collect();
        message.push_str(&format!(": {line}"));
    } else if kind == TrapKind::Other {
        message = text.lines().take(2).collect::<Vec<_>>().join(" ");
    }
    CallError::Trap { kind, message }
}

/// Approximate sizes of returned values, to enforce output caps.
mod size {
    use crate::bindings::types::*;

    pub fn parsed(p: &ParsedDocument) -> usize {
        let lines: usize = p
            .pages
            .iter()
            .flat_map(|pg| &pg.lines)
            .map(|l| {
                l.text.len()
                    + 24
                    + l.spans
                        .iter()
                        .map(|s| s.text.len() + s.font.len() + 16)
                        .sum::<usize>()
            })
            .sum();
        let files: usize = p
            .embedded_files
            .iter()
            .map(|f| f.content.len() + f.name.len() + 32)
            .sum();
        let xml = p.e_invoice.as_ref().map_or(0, |e| e.xml.len());
        lines
            + files
            + xml
            + p.fonts.len() * 64
            + p.revisions.len() * 64
            + p.warnings.iter().map(|w| w.len()).sum::<usize>()
    }

    pub fn invoice(i: &Invoice) -> usize {
        let items: usize = i.line_items.iter().map(|l| l.description.len() + 96).sum();
        let ev: usize = i
            .evidence
            .iter()
            .map(|e| e.text.len() + e.field.len() + 24)
            .sum();
        items + ev + i.tax_breakdown.len() * 64 + 1024
    }

    pub fn findings(f: &[Finding]) -> usize {
        f.iter()
            .map(|f| {
                f.rule.len()
                    + f.message.len()
                    + 16
                    + f.evidence
                        .iter()
                        .map(|e| e.label.len() + e.value.len() + 8)
                        .sum::<usize>()
            })
            .sum()
    }
}
