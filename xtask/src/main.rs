//! `cargo xtask <task>`: the project's entry points.
//!
//! - `setup`   install what the build needs (the wasm32-wasip2 target)
//! - `plugins` build the plugin workspace for wasm32-wasip2
//! - `demo`    build everything and run `papyr serve` with its embedded defaults
//!   (the bundled sample invoices go through the pipeline; Ctrl-C stops it)
//! - `test`    every test: host workspace and plugin workspace, plus checks
//! - `bench`   release build, then `papyr bench` (prints figures)
//! - `check`   cargo fmt --check and clippy -D warnings on both workspaces
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const PLUGIN_PACKAGES: &[&str] = &[
    "parse",
    "classify",
    "extract",
    "fraud",
    "report",
    "po-required",
    "hostile",
    "no-rules",
    "sockets-rule",
    "big-rule",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf()
}

fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("failed to start `{}`", describe(cmd)))?;
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
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is required")?;
    if !String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == "wasm32-wasip2")
    {
        run(Command::new("rustup").args(["target", "add", "wasm32-wasip2"]))?;
    }
    Ok(())
}

fn plugins() -> Result<()> {
    setup()?;
    for p in PLUGIN_PACKAGES {
        // One package per invocation: papyr-sdk's world features must not unify.
        run(cargo().current_dir(root().join("plugins")).args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            p,
        ]))?;
    }
    Ok(())
}

fn has_nextest() -> bool {
    Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Services the tests use: PostgreSQL must be running (started here if it is not);
/// Node.js and npm for the Azurite storage emulator (installed here if missing).
fn services() -> Result<()> {
    let pg_up = Command::new("pg_isready")
        .args(["-h", "127.0.0.1", "-p", "5432"])
        .status()
        .is_ok_and(|s| s.success());
    if !pg_up {
        run(Command::new("bash").args([
            "-c",
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
        ]))?;
    }
    let has = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    // The identity tests sign tokens with an RSA key made by the openssl tool.
    let mut missing: Vec<&str> = Vec::new();
    if !has("node") || !has("npm") {
        missing.extend(["nodejs", "npm"]);
    }
    if !Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        missing.push("openssl");
    }
    if !missing.is_empty() {
        run(Command::new("apt-get").arg("update"))?;
        run(Command::new("apt-get")
            .args(["install", "-y"])
            .args(&missing))?;
    }
    Ok(())
}

fn test() -> Result<()> {
    plugins()?;
    services()?;
    // Plugin logic is plain Rust: its tests run natively.
    run(cargo()
        .current_dir(root().join("plugins"))
        .args(["test", "--workspace"]))?;
    if has_nextest() {
        run(cargo().args(["nextest", "run", "--workspace", "--no-fail-fast"]))?;
        // Reliability tests kill processes and stop PostgreSQL: alone, one at a time.
        run(cargo().args([
            "nextest",
            "run",
            "-p",
            "papyr",
            "--test",
            "serve_reliability",
            "--run-ignored",
            "only",
            "--test-threads",
            "1",
            "--no-fail-fast",
        ]))?;
    } else {
        run(cargo().args(["test", "--workspace", "--no-fail-fast"]))?;
        run(cargo().args([
            "test",
            "-p",
            "papyr",
            "--test",
            "serve_reliability",
            "--",
            "--ignored",
            "--test-threads",
            "1",
        ]))?;
    }
    Ok(())
}

fn check() -> Result<()> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo()
        .current_dir(root().join("plugins"))
        .args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo().current_dir(root().join("plugins")).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    Ok(())
}

/// Papyr's main job: the service with its embedded defaults (SQLite and a local
/// folder under ./papyr-data), the demo tenant and the bundled sample invoices.
fn demo(args: &[String]) -> Result<()> {
    plugins()?;
    run(cargo().args(["build", "-p", "papyr"]))?;
    run(Command::new(root().join("target/debug/papyr"))
        .current_dir(root())
        .arg("serve")
        .args(args))
}

fn bench(args: &[String]) -> Result<()> {
    plugins()?;
    // The API benchmark drives the server with wrk (Debian package).
    let api = args.is_empty() || args.iter().any(|a| a == "api" || a == "all");
    if api
        && !Command::new("wrk")
            .arg("--version")
            .output()
            .is_ok_and(|o| !o.stdout.is_empty() || !o.stderr.is_empty())
    {
        run(Command::new("apt-get").args(["install", "-y", "wrk"]))?;
    }
    run(cargo().args(["build", "--release", "-p", "papyr"]))?;
    run(Command::new(root().join("target/release/papyr"))
        .current_dir(root())
        .arg("bench")
        .args(args))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("plugins") => plugins(),
        Some("demo") => demo(&args[1..]),
        Some("test") => test(),
        Some("check") => check(),
        Some("bench") => bench(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <setup|plugins|demo [SERVE ARGS]|test|check|bench [ARGS]>"
            );
            std::process::exit(2);
        }
    }
}
