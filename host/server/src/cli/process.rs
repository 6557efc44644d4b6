//! `papyr process FILE...`: the whole pipeline on local files.
use crate::setup;
use anyhow::{Context, Result, bail};
use papyr_domain::TenantFile;
use papyr_domain::model::ProcessOutput;
use papyr_runtime::bindings::types::Origin;
use papyr_runtime::convert::{self, OriginFile};
use papyr_runtime::{DocumentInput, Grants, MemoryHistory, PipelineOptions, TenantContext};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct ProcessArgs {
    /// Documents (PDF, XML e-invoices, images) or folders of them, processed in order
    /// as one tenant's stream: later files are checked against earlier ones.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print one JSON object per document per line instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Tenant file: name, own tax ids, thresholds, vendor master, plugin config.
    #[arg(long)]
    pub tenant: Option<PathBuf>,
    /// The date checks run against (YYYY-MM-DD); default: the tenant file's, else today.
    #[arg(long)]
    pub today: Option<String>,
    /// Write the approval report of the (single) document to this PDF file.
    #[arg(long, value_name = "OUT.pdf")]
    pub report: Option<PathBuf>,
    /// Write every document's approval report into this folder (`<file>.report.pdf`).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// Extra fraud-rule components to run beside the built-in rules.
    #[arg(long = "rule", value_name = "COMPONENT.wasm")]
    pub rules: Vec<PathBuf>,
    /// Grant the extra rules read access to the tenant's history.
    #[arg(long)]
    pub grant_history: bool,
    /// Threads for parsing and extraction (default: all cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Folder for compiled components (default: $PAPYR_CACHE_DIR or ~/.cache/papyr).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
}

/// Expand folders (sorted by name, not recursive into hidden files).
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        let meta =
            std::fs::metadata(p).with_context(|| format!("cannot read `{}`", p.display()))?;
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot list folder `{}`", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|e| {
                    e.is_file()
                        && e.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(convert::is_document_name)
                })
                .collect();
            entries.sort();
            out.extend(entries);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Build the tenant context from a tenant file (or defaults).
pub fn tenant_context(tenant: Option<&Path>, today: Option<&str>) -> Result<TenantContext> {
    let file = match tenant {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read tenant file `{}`", p.display()))?;
            TenantFile::from_json(&text)
                .with_context(|| format!("invalid tenant file `{}`", p.display()))?
        }
        None => TenantFile {
            name: "Local files".into(),
            ..TenantFile::default()
        },
    };
    let vendors = file.vendors.iter().map(convert::vendor).collect();
    setup::tenant_context(&file, today, Arc::new(MemoryHistory::new(vendors)))
}

/// Read a document and its optional `<file>.origin.json` sidecar.
pub fn read_document(path: &Path) -> Result<DocumentInput> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let sidecar = PathBuf::from(format!("{}.origin.json", path.display()));
    let origin = if sidecar.exists() {
        let text = std::fs::read_to_string(&sidecar)
            .with_context(|| format!("cannot read `{}`", sidecar.display()))?;
        let o: OriginFile = serde_json::from_str(&text)
            .with_context(|| format!("invalid origin sidecar `{}`", sidecar.display()))?;
        o.into_wit("cli")
    } else {
        OriginFile::default().into_wit("cli")
    };
    let filename = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(DocumentInput {
        filename,
        bytes,
        origin,
    })
}

/// A document that could not even be read still gets an output line.
fn unreadable(path: &Path, e: &anyhow::Error) -> ProcessOutput {
    ProcessOutput {
        file: path.display().to_string(),
        sha256: String::new(),
        classification: None,
        fields: None,
        findings: vec![],
        decision: "failed".into(),
        risk_score: 0,
        decision_reasons: vec![],
        timings_us: BTreeMap::new(),
        plugins: BTreeMap::new(),
        field_evidence: vec![],
        tax_breakdown: vec![],
        error: Some(format!("{e:#}")),
    }
}

pub fn run(args: ProcessArgs) -> Result<ExitCode> {
    let files = expand(&args.files)?;
    if files.is_empty() {
        bail!(
            "no documents found in {}",
            args.files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if args.report.is_some() && files.len() != 1 {
        bail!(
            "--report writes one document's report; with {} documents use --report-dir DIR",
            files.len()
        );
    }
    if let Some(dir) = &args.report_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create report folder `{}`", dir.display()))?;
    }
    let tenant = tenant_context(args.tenant.as_deref(), args.today.as_deref())?;
    let rt = setup::runtime(args.cache_dir.clone().or_else(setup::default_cache_dir))?;
    let mut plugins = setup::builtin_plugins(&rt)?;
    for path in &args.rules {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read rule component `{}`", path.display()))?;
        let name = setup::plugin_name(
            &path
                .file_stem()
                .map_or("rule".into(), |s| s.to_string_lossy().into_owned()),
        );
        let plugin = rt
            .load(
                &name,
                &bytes,
                Grants {
                    history: args.grant_history,
                },
            )
            .with_context(|| format!("rule component `{}` refused", path.display()))?;
        if plugin.world != papyr_runtime::World::FraudRule {
            bail!(
                "`{}` implements the {} world; --rule takes fraud-rule components",
                path.display(),
                plugin.world.name()
            );
        }
        if plugins.fraud.iter().any(|p| p.name == name) {
            bail!("two rule components are named `{name}`; rename one of the files");
        }
        plugins.fraud.push(Arc::new(plugin));
    }
    let running: Vec<String> = ["parse", "classify", "extract", "report"]
        .into_iter()
        .map(String::from)
        .chain(plugins.fraud.iter().map(|p| p.name.clone()))
        .collect();
    if let Some(unknown) = tenant.plugin_config.keys().find(|k| !running.contains(k)) {
        bail!(
            "the tenant file configures plugin `{unknown}`, which is not running (running: {})",
            running.join(", ")
        );
    }
    let render = args.report.is_some() || args.report_dir.is_some();
    let mut options = PipelineOptions {
        render_report: render,
        ..PipelineOptions::default()
    };
    if let Some(w) = args.workers {
        options.workers = w.max(1);
    }
    let pipeline = setup::pipeline(rt, plugins, options)?;

    let started = Instant::now();
    let total = files.len();
    let show_progress = total >= 50 && !args.json || total >= 200;
    let mut done = 0usize;
    let mut failed = 0usize;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut read_errors: Vec<(usize, ProcessOutput)> = Vec::new();
    let docs = files
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match read_document(p) {
            Ok(d) => Some(d),
            Err(e) => {
                read_errors.push((i, unreadable(p, &e)));
                None
            }
        });
    let mut write_error: Option<anyhow::Error> = None;
    // Unreadable files are reported at the end; they never stop the others.
    let docs: Vec<_> = docs.collect();
    pipeline.process_batch(&tenant, docs.into_iter(), |processed| {
        done += 1;
        if processed.output.error.is_some() {
            failed += 1;
        }
        if let Some(pdf) = &processed.report_pdf {
            let target = match (&args.report, &args.report_dir) {
                (Some(path), _) => Some(path.clone()),
                (None, Some(dir)) => {
                    Some(dir.join(format!("{}.report.pdf", processed.output.file)))
                }
                _ => None,
            };
            if let Some(path) = target
                && let Err(e) = std::fs::write(&path, pdf)
            {
                write_error.get_or_insert(anyhow::anyhow!(
                    "cannot write report `{}`: {e}",
                    path.display()
                ));
            }
        }
        let res = if args.json {
            print_json(&mut out, &processed.output)
        } else {
            print_summary(&mut out, &processed.output)
        };
        if let Err(e) = res {
            write_error.get_or_insert(e);
        }
        if show_progress && done.is_multiple_of(100) {
            let rate = done as f64 / started.elapsed().as_secs_f64();
            eprintln!("processed {done}/{total} ({rate:.0} documents/s)");
        }
    });
    for (_, o) in &read_errors {
        failed += 1;
        if args.json {
            print_json(&mut out, o)?
        } else {
            print_summary(&mut out, o)?
        }
    }
    out.flush()?;
    if let Some(e) = write_error {
        return Err(e);
    }
    let secs = started.elapsed().as_secs_f64();
    if !args.json || show_progress {
        eprintln!(
            "{} documents in {:.2} s ({:.1}/s), {} failed{}",
            done + read_errors.len(),
            secs,
            (done as f64) / secs.max(1e-9),
            failed,
            if let Some(d) = &args.report_dir {
                format!("; reports in {}", d.display())
            } else {
                String::new()
            }
        );
    }
    if std::env::var_os("PAPYR_PRINT_PEAK_RSS").is_some() {
        eprintln!("peak_rss_kib={}", peak_rss_kib().unwrap_or(0));
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Peak resident set size of this process (Linux), for `papyr bench`.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn print_json(out: &mut impl Write, o: &ProcessOutput) -> Result<()> {
    // The documented line format: the core keys first, extras after.
    let value = serde_json::json!({
        "file": o.file,
        "sha256": o.sha256,
        "classification": o.classification.as_ref().map(|c| serde_json::json!({"kind": c.kind, "confidence": c.confidence})),
        "fields": o.fields,
        "findings": o.findings.iter().map(|f| serde_json::json!({
            "rule": f.rule, "severity": f.severity, "score": f.score, "message": f.message,
            "evidence": f.evidence, "plugin": f.plugin,
        })).collect::<Vec<_>>(),
        "decision": o.decision,
        "risk_score": o.risk_score,
        "decision_reasons": o.decision_reasons,
        "timings_us": o.timings_us,
        "plugins": o.plugins,
        "tax_breakdown": o.tax_breakdown,
        "field_evidence": o.field_evidence,
        "error": o.error,
    });
    serde_json::to_writer(&mut *out, &value)?;
    writeln!(out)?;
    Ok(())
}

fn print_summary(out: &mut impl Write, o: &ProcessOutput) -> Result<()> {
    let kind = o.classification.as_ref().map_or("?".to_string(), |c| {
        format!("{} ({:.2})", c.kind, c.confidence)
    });
    writeln!(out, "{}  {}", o.file, kind)?;
    if let Some(f) = &o.fields {
        let na = || "—".to_string();
        writeln!(
            out,
            "  {} · no. {} · {} · {} {}{}",
            f.vendor_name.clone().unwrap_or_else(na),
            f.invoice_number.clone().unwrap_or_else(na),
            f.issue_date.clone().unwrap_or_else(na),
            f.gross_total.clone().unwrap_or_else(na),
            f.currency.clone().unwrap_or_default(),
            f.iban
                .as_ref()
                .map(|i| format!(" · IBAN {i}"))
                .unwrap_or_default(),
        )?;
    }
    for f in &o.findings {
        writeln!(
            out,
            "  ! {:?} {} ({}): {}",
            f.severity, f.rule, f.score, f.message
        )?;
    }
    writeln!(
        out,
        "  → {} (risk {}) {}",
        o.decision,
        o.risk_score,
        o.decision_reasons.join("; ")
    )?;
    if let Some(e) = &o.error {
        writeln!(out, "  error: {e}")?;
    }
    Ok(())
}

pub fn empty_origin() -> Origin {
    OriginFile::default().into_wit("cli")
}
