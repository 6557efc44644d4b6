//! `papyr plugin check`: which world a component implements, what it imports, and
//! why it would be refused. `plugin new` and `plugin test` are in [`super::plugin_dev`].
use crate::cli::plugin_dev;
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
    /// Write a new Rust fraud-rule project `<DIR>/<NAME>/` from the template; it
    /// builds its component with `cargo build --release`.
    New(plugin_dev::NewArgs),
    /// Run a fraud-rule component on documents with the production limits: the
    /// built-in parse, classify and extract stages, then the rule on every invoice.
    /// Exit code 0: the rule ran on every invoice; 1: it failed on some; 2: bad usage.
    Test(plugin_dev::TestArgs),
    /// The lifecycle on a running server (upload, settings, backtest, shadow,
    /// activate, rollback, disable, list, show, stats).
    #[command(flatten)]
    Remote(super::plugin_remote::RemoteCommand),
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
        PluginCommand::New(args) => plugin_dev::new(args),
        PluginCommand::Test(args) => plugin_dev::test(args),
        PluginCommand::Remote(cmd) => super::plugin_remote::run(cmd),
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
