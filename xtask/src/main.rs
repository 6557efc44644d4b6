//! `cargo xtask <task>`: the project's entry points.
//!
//! - `setup`   install what the build needs (the wasm32-wasip2 target)
//! - `plugins` build the plugin workspace for wasm32-wasip2
//! - `demo`    build everything and run Papyr on the bundled sample invoices
//! - `test`    every test: host workspace and plugin workspace, plus checks
//! - `bench`   release build, then `papyr bench` (prints figures)
//! - `check`   cargo fmt --check and clippy -D warnings on both workspaces
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const PLUGIN_PACKAGES: &[&str] = &["parse", "classify", "extract", "fraud", "report", "po-required", "hostile"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repository").to_path_buf()
}

fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd.status().with_context(|| format!("failed to start `{}`", describe(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(cmd));
    }
    Ok(())
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program().to_string_lossy().into_owned())
        .chain(cmd.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn setup() -> Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output().context("rustup is required")?;
    if !String::from_utf8_lossy(&installed.stdout).lines().any(|l| l.trim() == "wasm32-wasip2") {
        run(Command::new("rustup").args(["target", "add", "wasm32-wasip2"]))?;
    }
    Ok(())
}

fn plugins() -> Result<()> {
    setup()?;
    for p in PLUGIN_PACKAGES {
        // One package per invocation: papyr-sdk's world features must not unify.
        run(cargo().current_dir(root().join("plugins")).args(["build", "--release", "--target", "wasm32-wasip2", "-p", p]))?;
    }
    Ok(())
}

fn has_nextest() -> bool {
    Command::new("cargo").args(["nextest", "--version"]).output().is_ok_and(|o| o.status.success())
}

fn test() -> Result<()> {
    plugins()?;
    // Plugin logic is plain Rust: its tests run natively.
    run(cargo().current_dir(root().join("plugins")).args(["test", "--workspace"]))?;
    if has_nextest() {
        run(cargo().args(["nextest", "run", "--workspace", "--no-fail-fast"]))?;
    } else {
        run(cargo().args(["test", "--workspace", "--no-fail-fast"]))?;
    }
    Ok(())
}

fn check() -> Result<()> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().current_dir(root().join("plugins")).args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    run(cargo().current_dir(root().join("plugins")).args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    Ok(())
}

fn demo() -> Result<()> {
    plugins()?;
    run(cargo().args(["build", "-p", "papyr"]))?;
    let papyr = root().join("target/debug/papyr");
    let samples = root().join("samples");
    let reports = root().join("papyr-data/reports");
    run(Command::new(&papyr)
        .current_dir(root())
        .arg("process")
        .arg(&samples)
        .arg("--tenant")
        .arg(samples.join("tenant.json"))
        .arg("--report-dir")
        .arg(&reports)
        .env("PAPYR_CACHE_DIR", root().join("papyr-data/cache")))
    .or_else(|e| {
        // Exit code 1 means "some documents failed", which the demo shows on purpose.
        if e.to_string().contains("exit status: 1") { Ok(()) } else { Err(e) }
    })?;
    eprintln!("\nApproval reports: {}", reports.display());
    Ok(())
}

fn bench(args: &[String]) -> Result<()> {
    plugins()?;
    run(cargo().args(["build", "--release", "-p", "papyr"]))?;
    run(Command::new(root().join("target/release/papyr")).current_dir(root()).arg("bench").args(args))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("plugins") => plugins(),
        Some("demo") => demo(),
        Some("test") => test(),
        Some("check") => check(),
        Some("bench") => bench(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <setup|plugins|demo|test|check|bench [ARGS]>");
            std::process::exit(2);
        }
    }
}
