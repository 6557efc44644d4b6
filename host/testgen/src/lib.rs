//! Deterministic test-invoice generator: documents (PDF, Factur-X, UBL, CII, scans,
//! non-invoices) with planted fraud signals, ground truth (`truth.jsonl`), origin
//! sidecars and a tenant file. Same options → byte-identical output.

pub mod ids;
pub mod labels;
pub mod locale;
mod model;
pub mod pdf;
mod render;
mod stream;
pub mod util;
mod xml;

use std::path::PathBuf;
pub use stream::{BENIGN, Fields, LineTruth, RULES, THRESHOLD, TODAY, TaxTruth, Truth, fold};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Dev,
    Holdout,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// ~30 % of documents carry a planted signal.
    Full,
    /// A dozen varied documents bundled as product samples.
    Demo,
    /// No planted fraud (benign look-alikes only), for false-positive rates.
    Clean,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    pub count: usize,
    pub out_dir: PathBuf,
    pub split: Split,
    pub preset: Preset,
}

/// What was generated: one truth record per document, in stream order.
#[derive(Debug)]
pub struct Manifest {
    pub out_dir: PathBuf,
    pub documents: Vec<Truth>,
}

impl Manifest {
    /// Number of documents whose truth plants `rule`.
    pub fn planted_count(&self, rule: &str) -> usize {
        self.documents
            .iter()
            .filter(|d| d.planted.iter().any(|p| p == rule))
            .count()
    }
}

/// Generates a document set into `opts.out_dir` (created if missing). Demo ignores
/// `count` beyond its fixed dozen.
pub fn generate(opts: &Options) -> anyhow::Result<Manifest> {
    let mut o = opts.clone();
    if o.preset == Preset::Demo {
        o.count = o.count.clamp(1, 12);
    }
    stream::run(&o)
}
