//! Builds the plugin workspace (`plugins/`) for wasm32-wasip2 so that the host can
//! embed the built-in stage components. Each package is built on its own because
//! `papyr-sdk` has one cargo feature per world and they must not unify.
use std::path::PathBuf;
use std::process::Command;

/// Built-in stages (embedded) and the components tests and examples load from disk.
const PACKAGES: &[&str] = &[
    "parse",
    "classify",
    "extract",
    "fraud",
    "report",
    "po-required",
    "hostile",
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir
        .join("../..")
        .canonicalize()
        .expect("repository root");
    let plugins = root.join("plugins");
    for watched in ["wit", "plugins/Cargo.toml", "plugins/Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    for dir in [
        "sdk",
        "parse",
        "classify",
        "extract",
        "fraud",
        "report",
        "examples",
        "test-programs",
    ] {
        println!("cargo:rerun-if-changed={}", plugins.join(dir).display());
    }
    println!("cargo:rerun-if-env-changed=PAPYR_SKIP_PLUGIN_BUILD");

    let out = plugins.join("target/wasm32-wasip2/release");
    println!("cargo:rustc-env=PAPYR_PLUGIN_OUT={}", out.display());
    if std::env::var_os("PAPYR_SKIP_PLUGIN_BUILD").is_some() {
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for pkg in PACKAGES {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&plugins).args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--quiet",
            "-p",
            pkg,
        ]);
        // The outer build's settings (target dir, rustflags, profile, jobserver) must
        // not leak into the plugin workspace's own build.
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if (k.starts_with("CARGO_") && k != "CARGO_HOME")
                || k.starts_with("RUSTC")
                || k == "RUSTFLAGS"
                || k == "RUSTDOCFLAGS"
            {
                cmd.env_remove(&key);
            }
        }
        let status = cmd
            .output()
            .expect("failed to run cargo for the plugin workspace");
        if !status.status.success() {
            let stderr = String::from_utf8_lossy(&status.stderr);
            let hint = if stderr.contains("wasm32-wasip2")
                && (stderr.contains("target may not be installed")
                    || stderr.contains("can't find crate"))
            {
                "\n\nThe wasm32-wasip2 target is missing: run `rustup target add wasm32-wasip2` (or `cargo xtask setup`)."
            } else {
                ""
            };
            panic!("building plugin `{pkg}` for wasm32-wasip2 failed:\n{stderr}{hint}");
        }
    }
}
