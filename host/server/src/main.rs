//! The `papyr` binary: `papyr process` runs the pipeline on local files,
//! `papyr plugin check` inspects a component, `papyr bench` measures the runtime.
mod bench;
mod cli;
mod setup;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "papyr", version, about = "Invoice processing with sandboxed WebAssembly pipeline stages")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole pipeline on local files (one tenant's stream, in order).
    Process(cli::process::ProcessArgs),
    /// Inspect and test plugin components.
    #[command(subcommand)]
    Plugin(cli::plugin::PluginCommand),
    /// Measure the runtime and the pipeline; prints figures.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PAPYR_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Process(args) => cli::process::run(args),
        Command::Plugin(cmd) => cli::plugin::run(cmd),
        Command::Bench(args) => bench::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
