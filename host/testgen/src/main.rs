use clap::{Parser, ValueEnum};
use papyr_testgen::{Options, Preset, Split};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
enum SplitArg {
    Dev,
    Holdout,
}

#[derive(Clone, Copy, ValueEnum)]
enum PresetArg {
    Full,
    Demo,
    Clean,
}

/// Generate a deterministic set of test invoices with ground truth.
#[derive(Parser)]
#[command(name = "papyr-testgen", version)]
struct Args {
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value_t = 200)]
    count: usize,
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "dev")]
    split: SplitArg,
    #[arg(long, value_enum, default_value = "full")]
    preset: PresetArg,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let opts = Options {
        seed: a.seed,
        count: a.count,
        out_dir: a.out,
        split: match a.split {
            SplitArg::Dev => Split::Dev,
            SplitArg::Holdout => Split::Holdout,
        },
        preset: match a.preset {
            PresetArg::Full => Preset::Full,
            PresetArg::Demo => Preset::Demo,
            PresetArg::Clean => Preset::Clean,
        },
    };
    let m = papyr_testgen::generate(&opts)?;
    let planted = m.documents.iter().filter(|d| !d.planted.is_empty()).count();
    println!(
        "wrote {} documents ({} with planted signals) to {}",
        m.documents.len(),
        planted,
        m.out_dir.display()
    );
    Ok(())
}
