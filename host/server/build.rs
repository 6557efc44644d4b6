//! Embeds the bundled sample invoices (`samples/`) so that `papyr serve` can seed
//! the demo tenant's inbox with no files beside the binary.
use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../samples");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut code = String::from(
        "/// (file name, bytes) of every bundled sample.\npub const SAMPLES: &[(&str, &[u8])] = &[\n",
    );
    for n in names.iter().filter(|n| *n != "truth.jsonl") {
        let path = root.join(n).canonicalize().unwrap();
        writeln!(
            code,
            "    ({n:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("samples.rs");
    std::fs::write(out, code).unwrap();
}
