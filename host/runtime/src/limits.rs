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

/// A tenant rule's limits: a deadline, a memory cap, and fuel that grows with the
/// invoice's size (a base plus an amount per line item) up to a ceiling, so that a
/// rule that loops over lines is not starved on long invoices nor unbounded on
/// hostile ones.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleLimits {
    /// Wall-clock deadline per call, in milliseconds.
    pub deadline_ms: u64,
    /// Linear memory cap in MiB.
    pub memory_mib: u64,
    /// Fuel for an invoice without line items.
    pub fuel_base: u64,
    /// Fuel added per line item.
    pub fuel_per_line: u64,
    /// Fuel never exceeds this, however many lines.
    pub fuel_ceiling: u64,
}

impl Default for RuleLimits {
    /// The production defaults (what `Limits::rule()` allows, with fuel scaled).
    fn default() -> Self {
        RuleLimits {
            deadline_ms: 1000,
            memory_mib: 64,
            fuel_base: 500_000_000,
            fuel_per_line: 10_000_000,
            fuel_ceiling: 2_000_000_000,
        }
    }
}

impl RuleLimits {
    /// The fuel for an invoice of `lines` line items.
    pub fn fuel_for(&self, lines: usize) -> u64 {
        self.fuel_base
            .saturating_add(self.fuel_per_line.saturating_mul(lines as u64))
            .min(self.fuel_ceiling)
    }

    /// The call limits for an invoice of `lines` line items.
    pub fn for_lines(&self, lines: usize) -> Limits {
        Limits {
            deadline: Duration::from_millis(self.deadline_ms),
            memory_bytes: (self.memory_mib as usize).saturating_mul(1 << 20),
            fuel: self.fuel_for(lines),
            ..Limits::rule()
        }
    }

    /// The call limits for `invoice`.
    pub fn for_invoice(&self, invoice: &crate::bindings::types::Invoice) -> Limits {
        self.for_lines(invoice.line_items.len())
    }

    /// Every field within `max` (the operator's ceiling) and non-zero; the message
    /// names the field and both values.
    pub fn check_within(&self, max: &RuleLimits) -> Result<(), String> {
        let fields = [
            ("deadline_ms", self.deadline_ms, max.deadline_ms),
            ("memory_mib", self.memory_mib, max.memory_mib),
            ("fuel_base", self.fuel_base, max.fuel_ceiling),
            ("fuel_per_line", self.fuel_per_line, max.fuel_ceiling),
            ("fuel_ceiling", self.fuel_ceiling, max.fuel_ceiling),
        ];
        for (name, value, limit) in fields {
            if value == 0 {
                return Err(format!("limits.{name} must be greater than 0"));
            }
            if value > limit {
                return Err(format!(
                    "limits.{name} = {value} exceeds this server's maximum of {limit}"
                ));
            }
        }
        if self.fuel_base > self.fuel_ceiling {
            return Err(format!(
                "limits.fuel_base = {} exceeds limits.fuel_ceiling = {}",
                self.fuel_base, self.fuel_ceiling
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuel_grows_with_lines_up_to_the_ceiling() {
        let l = RuleLimits {
            deadline_ms: 100,
            memory_mib: 8,
            fuel_base: 1000,
            fuel_per_line: 10,
            fuel_ceiling: 1500,
        };
        assert_eq!(l.fuel_for(0), 1000);
        assert_eq!(l.fuel_for(7), 1070);
        assert_eq!(l.fuel_for(50), 1500);
        assert_eq!(l.fuel_for(usize::MAX), 1500, "no overflow");
        let call = l.for_lines(3);
        assert_eq!(call.fuel, 1030);
        assert_eq!(call.deadline, Duration::from_millis(100));
        assert_eq!(call.memory_bytes, 8 << 20);
    }

    #[test]
    fn limits_above_the_servers_maximum_are_named() {
        let max = RuleLimits::default();
        assert!(RuleLimits::default().check_within(&max).is_ok());
        let l = RuleLimits {
            deadline_ms: 5000,
            ..RuleLimits::default()
        };
        let e = l.check_within(&max).unwrap_err();
        assert!(
            e.contains("limits.deadline_ms = 5000") && e.contains("1000"),
            "{e}"
        );
        let l = RuleLimits {
            memory_mib: 0,
            ..RuleLimits::default()
        };
        assert!(
            l.check_within(&max)
                .unwrap_err()
                .contains("memory_mib must be greater than 0")
        );
        let l = RuleLimits {
            fuel_ceiling: 100,
            fuel_base: 200,
            ..RuleLimits::default()
        };
        assert!(
            l.check_within(&max)
                .unwrap_err()
                .contains("fuel_base = 200 exceeds limits.fuel_ceiling")
        );
    }
}
