//! Per-call store state and the host imports a plugin may be granted.
//!
//! A fresh [`StoreState`] is built for every call: WASI with no filesystem, network,
//! environment or arguments, a fixed clock and a deterministic random source; the
//! plugin's own configuration; its tenant's history when granted; a bounded log.
use crate::bindings::{config, history, log, types};
use crate::history::History;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

/// Most log lines a call may write, and their length.
pub const MAX_LOG_LINES: usize = 64;
pub const MAX_LOG_LINE: usize = 1024;
/// Bytes of a plugin's stderr kept (a panic message lands here).
pub const STDERR_CAPACITY: usize = 8 * 1024;

/// What a call is allowed to see: its configuration and, when granted, its tenant's
/// history.
#[derive(Clone, Default)]
pub struct Capabilities {
    /// The plugin's configuration, sorted by key.
    pub config: Vec<(String, String)>,
    /// The tenant's history, when the plugin was granted it.
    pub history: Option<Arc<dyn History>>,
    /// The fixed wall-clock time the plugin sees (seconds since the epoch).
    pub clock_unix_secs: u64,
}

/// One log line written by a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: &'static str,
    pub message: String,
}

pub struct StoreState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limits: PeakLimits,
    caps: Capabilities,
    pub(crate) logs: Vec<LogLine>,
    pub(crate) dropped_logs: usize,
    pub(crate) stderr: MemoryOutputPipe,
}

impl StoreState {
    pub fn new(caps: Capabilities, memory_bytes: usize) -> StoreState {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let seed = caps.clock_unix_secs.to_le_bytes().to_vec();
        let mut b = WasiCtxBuilder::new();
        b.stderr(stderr.clone())
            .wall_clock(FixedClock(caps.clock_unix_secs))
            .monotonic_clock(StepClock::default())
            .secure_random(wasmtime_wasi::Deterministic::new(deterministic_bytes(
                &seed,
            )))
            .insecure_random(wasmtime_wasi::Deterministic::new(deterministic_bytes(
                b"insecure",
            )))
            .insecure_random_seed(0)
            .allow_blocking_current_thread(true);
        // No preopened directories, no env, no args, and sockets stay denied (the
        // builder's default socket check refuses every address).
        b.allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false);
        StoreState {
            wasi: b.build(),
            table: ResourceTable::new(),
            limits: PeakLimits {
                inner: StoreLimitsBuilder::new()
                    .memory_size(memory_bytes)
                    .instances(64)
                    .tables(64)
                    .memories(16)
                    .trap_on_grow_failure(true)
                    .build(),
                current: 0,
                peak: 0,
            },
            caps,
            logs: Vec::new(),
            dropped_logs: 0,
            stderr,
        }
    }

    pub(crate) fn table_mut(&mut self) -> &mut ResourceTable {
        &mut self.table
    }

    /// What the plugin wrote to stderr (e.g. a panic message), lossily decoded.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents())
            .trim()
            .to_string()
    }
}

/// The store's limits, recording the largest linear memory the call reached (the sum
/// over the instance's memories), which the host reports per plugin version.
pub(crate) struct PeakLimits {
    inner: StoreLimits,
    current: usize,
    pub(crate) peak: usize,
}

impl ResourceLimiter for PeakLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = self.inner.memory_growing(current, desired, maximum)?;
        if ok {
            self.current = self.current.saturating_add(desired.saturating_sub(current));
            self.peak = self.peak.max(self.current);
        }
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.inner.memory_grow_failed(error)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.inner.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

/// A fixed byte sequence derived from a seed, for WASI's random interfaces.
fn deterministic_bytes(seed: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut out = Vec::with_capacity(256);
    let mut block = Sha256::digest(seed);
    while out.len() < 256 {
        out.extend_from_slice(&block);
        block = Sha256::digest(block);
    }
    out
}

struct FixedClock(u64);

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::from_secs(self.0)
    }
}

/// A monotonic clock that advances one microsecond per reading: deterministic,
/// and still never goes backwards.
#[derive(Default)]
struct StepClock(std::sync::atomic::AtomicU64);

impl HostMonotonicClock for StepClock {
    fn resolution(&self) -> u64 {
        1_000
    }
    fn now(&self) -> u64 {
        self.0
            .fetch_add(1_000, std::sync::atomic::Ordering::Relaxed)
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for StoreState {}

impl log::Host for StoreState {
    fn log(&mut self, level: log::Level, message: String) {
        if self.logs.len() >= MAX_LOG_LINES {
            self.dropped_logs += 1;
            return;
        }
        let mut message = message;
        if message.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        let level = match level {
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
            log::Level::Error => "error",
        };
        self.logs.push(LogLine { level, message });
    }
}

impl config::Host for StoreState {
    fn get(&mut self, key: String) -> Option<String> {
        self.caps
            .config
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }

    fn entries(&mut self) -> Vec<(String, String)> {
        self.caps.config.clone()
    }
}

/// Only linked when the plugin is granted history; the `None` arms cannot be reached
/// through the linker and answer "nothing known" to stay total.
impl history::Host for StoreState {
    fn find_vendor(&mut self, query: history::VendorQuery) -> Option<history::Vendor> {
        self.caps.history.as_ref()?.find_vendor(&query)
    }

    fn vendors_by_iban(&mut self, iban: String) -> Vec<history::Vendor> {
        self.caps
            .history
            .as_ref()
            .map(|h| h.vendors_by_iban(&iban))
            .unwrap_or_default()
    }

    fn all_vendors(&mut self) -> Vec<history::Vendor> {
        self.caps
            .history
            .as_ref()
            .map(|h| h.all_vendors())
            .unwrap_or_default()
    }

    fn invoices_of_vendor(
        &mut self,
        query: history::VendorQuery,
        since: Option<types::Date>,
        limit: u32,
    ) -> Vec<history::PastInvoice> {
        self.caps
            .history
            .as_ref()
            .map(|h| h.invoices_of_vendor(&query, since.as_ref(), limit.min(10_000)))
            .unwrap_or_default()
    }

    fn invoices_by_sha256(&mut self, sha256: String) -> Vec<history::PastInvoice> {
        self.caps
            .history
            .as_ref()
            .map(|h| h.invoices_by_sha256(&sha256))
            .unwrap_or_default()
    }

    fn invoices_by_iban(&mut self, iban: String, limit: u32) -> Vec<history::PastInvoice> {
        self.caps
            .history
            .as_ref()
            .map(|h| h.invoices_by_iban(&iban, limit.min(10_000)))
            .unwrap_or_default()
    }
}
