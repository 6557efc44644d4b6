//! Limits applied to every stage call.
use std::time::Duration;

/// What one call of a plugin may use. A breach traps the call (deadline, memory,
/// fuel) or rejects its input/output; the host and the next call are unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock deadline, enforced with epoch interruption (10 ms ticks).
    pub deadline: Duration,
    /// Linear memory cap in bytes (all memories of the instance together).
    pub memory_bytes: usize,
    /// Fuel (roughly, wasm instructions) for the call. Always metered so that the
    /// fuel used is reported; deterministic runs set an exact budget.
    pub fuel: u64,
    /// Largest input document in bytes (parse stage).
    pub max_input_bytes: usize,
    /// Largest output the host accepts, measured on the returned value.
    pub max_output_bytes: usize,
}

impl Limits {
    /// Defaults for the parse stage, which sees whole documents.
    pub fn parse() -> Limits {
        Limits {
            deadline: Duration::from_secs(5),
            memory_bytes: 256 << 20,
            fuel: 40_000_000_000,
            max_input_bytes: 64 << 20,
            max_output_bytes: 32 << 20,
        }
    }

    /// Defaults for classify, extract and the report.
    pub fn stage() -> Limits {
        Limits {
            deadline: Duration::from_secs(2),
            memory_bytes: 128 << 20,
            fuel: 10_000_000_000,
            max_input_bytes: 64 << 20,
            max_output_bytes: 16 << 20,
        }
    }

    /// Defaults for a fraud rule: small and quick.
    pub fn rule() -> Limits {
        Limits {
            deadline: Duration::from_millis(1000),
            memory_bytes: 64 << 20,
            fuel: 2_000_000_000,
            max_input_bytes: 64 << 20,
            max_output_bytes: 256 << 10,
        }
    }
}
