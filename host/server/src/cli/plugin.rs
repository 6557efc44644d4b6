//! `papyr plugin check`: which world a component implements, what it imports, and
//! why it would be refused.
use crate::setup;
use anyhow::{Context, Result};
use papyr_runtime::Grants;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum PluginCommand {
    /// Tell which stage world a component implements, what it imports, and why it
    /// would be refused. Exit code 0: acceptable; 1: refused.
    Check {
        /// The component (`.wasm`).
        component: PathBuf,
        /// Check as if the tenant grants read access to its history.
        #[arg(long)]
        grant_history: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Print to stdout; a closed pipe (`| head`) ends the output quietly.
macro_rules! out {
    ($($arg:tt)*) => {
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(ExitCode::SUCCESS);
            }
            return Err(e.into());
        }
    };
}

pub fn run(cmd: PluginCommand) -> Result<ExitCode> {
    match cmd {
        PluginCommand::Check {
            component,
            grant_history,
            json,
        } => {
            let bytes = std::fs::read(&component)
                .with_context(|| format!("cannot read `{}`", component.display()))?;
            let rt = setup::runtime(None)?;
            let report = match rt.inspect(
                &bytes,
                Grants {
                    history: grant_history,
                },
            ) {
                Ok((report, _)) => report,
                Err(e) => {
                    if json {
                        out!(
                            "{}",
                            serde_json::json!({"file": component, "accepted": false, "problems": [e.to_string()]})
                        );
                    } else {
                        out!("{}: refused\n  - {e}", component.display());
                    }
                    return Ok(ExitCode::from(1));
                }
            };
            let accepted = report.problems.is_empty();
            if json {
                let mut v = serde_json::to_value(&report)?;
                v["file"] = serde_json::json!(component);
                v["accepted"] = serde_json::json!(accepted);
                out!("{v}");
            } else {
                out!(
                    "{}: {}",
                    component.display(),
                    if accepted { "accepted" } else { "refused" }
                );
                out!("  sha256:  {}", report.digest);
                out!("  size:    {} bytes", report.size);
                out!(
                    "  world:   {}",
                    report
                        .world
                        .map_or("none".into(), |w| format!("papyr:pipeline/{w}@0.1.0"))
                );
                out!("  exports: {}", report.exports.join(", "));
                out!("  imports:");
                for i in &report.imports {
                    out!("    {i}");
                }
                for p in &report.problems {
                    out!("  problem: {p}");
                }
            }
            Ok(if accepted {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}
