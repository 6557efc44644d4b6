//! `papyr bench`: placeholder replaced below.
use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct BenchArgs {}

pub fn run(_args: BenchArgs) -> Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
