//! A fraud rule that misbehaves on purpose, used by the runtime's hostile-plugin
//! tests. Its `mode` configuration value picks the misbehaviour:
//! `noop` (return nothing: the baseline for overhead benchmarks), `loop` (spin
//! forever), `grow` (allocate without bound), `panic`, `big-output` (a million
//! findings), `history` (call the history import), `stage-error` (return an error),
//! `clock` (report what the clock and random source return), `sleep` (sleep 30 s).
use papyr_sdk::fraud::Guest;
use papyr_sdk::types::{CheckInput, Finding, RuleInfo, Severity, StageError};

struct Hostile;

impl Guest for Hostile {
    fn rules() -> Vec<RuleInfo> {
        vec![papyr_sdk::rule(
            "test.hostile",
            "Hostile test program",
            "Misbehaves on purpose.",
            Severity::Info,
        )]
    }

    fn check(input: CheckInput) -> Result<Vec<Finding>, StageError> {
        let mode = papyr_sdk::config_value("mode").unwrap_or_else(|| "noop".into());
        match mode.as_str() {
            "noop" => Ok(vec![]),
            "loop" => {
                let mut x: u64 = input.today.day as u64;
                loop {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            "grow" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "panic" => panic!("hostile plugin panics on purpose"),
            "big-output" => Ok((0..1_000_000)
                .map(|i| {
                    papyr_sdk::finding(
                        "test.hostile",
                        Severity::Info,
                        1,
                        format!("finding number {i}"),
                    )
                })
                .collect()),
            "history" => {
                let n = papyr_sdk::history::all_vendors().len();
                Ok(vec![papyr_sdk::finding(
                    "test.hostile",
                    Severity::Info,
                    0,
                    format!("{n} vendors"),
                )])
            }
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(30));
                Ok(vec![])
            }
            "stage-error" => Err(StageError::InvalidInput(
                "hostile plugin refuses this invoice".into(),
            )),
            "clock" => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let mut buf = [0u8; 8];
                let random = std::collections::hash_map::RandomState::new();
                use std::hash::BuildHasher;
                let h = random.hash_one(42u64);
                buf.copy_from_slice(&h.to_le_bytes());
                let env = std::env::vars().count();
                let fs = std::fs::read_dir("/").is_ok();
                Ok(vec![papyr_sdk::finding(
                    "test.hostile",
                    Severity::Info,
                    0,
                    format!(
                        "now={now} hash={} env={env} fs={fs}",
                        u64::from_le_bytes(buf)
                    ),
                )])
            }
            other => Err(StageError::Config(format!("unknown mode `{other}`"))),
        }
    }
}

papyr_sdk::fraud::export_fraud_rule!(Hostile);
