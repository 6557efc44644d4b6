//! The `papyr` binary: `papyr serve` runs the service, `papyr process` runs the
//! pipeline on local files,
//! `papyr plugin check` inspects a component, `papyr bench` measures the runtime.
mod bench;
mod bench_api;
mod bench_plugins;
mod cli;
mod serve;
mod setup;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "papyr",
    version,
    about = "Invoice processing with sandboxed WebAssembly pipeline stages"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service: workers, watch-folder intake, health/readiness/metrics.
    Serve(serve::ServeArgs),
    /// Run the whole pipeline on local files (one tenant's stream, in order).
    Process(cli::process::ProcessArgs),
    /// Inspect and test plugin components.
    #[command(subcommand)]
    Plugin(cli::plugin::PluginCommand),
    /// Measure the runtime and the pipeline; prints figures.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The service reports its progress; one-shot commands only warnings.
    let default_filter = if matches!(cli.command, Command::Serve(_)) {
        "warn,papyr=info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PAPYR_LOG")
                .unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
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
