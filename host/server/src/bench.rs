//! `papyr bench`: figures for the runtime and the pipeline (`runtime`), and the
//! accuracy of the built-in stages on generated invoices with ground truth
//! (`accuracy`). Medians, not means: the machines are shared and noisy.
use crate::cli::process::{read_document, tenant_context};
use crate::setup;
use anyhow::{Context, Result, bail};
use papyr_runtime::bindings::types::*;
use papyr_runtime::host::Capabilities;
use papyr_runtime::{Grants, Limits, PipelineOptions};
use papyr_testgen::{Options, Preset, Split};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct BenchArgs {
    /// `runtime`, `accuracy`, `serve`, `api`, `plugins` or `all`.
    #[arg(default_value = "all")]
    pub what: String,
    /// Documents in the generated accuracy set (plus a quarter as much holdout and
    /// clean documents).
    #[arg(long, default_value_t = 2000)]
    pub count: usize,
    /// Generator seed.
    #[arg(long, default_value_t = 20261126)]
    pub seed: u64,
    /// Invoices for the peak-memory measurement of `papyr process`.
    #[arg(long, default_value_t = 1000)]
    pub rss_docs: usize,
    /// Documents per `papyr serve` run.
    #[arg(long, default_value_t = 400)]
    pub serve_docs: usize,
    /// Invoices in the tenant for the `api` benchmark.
    #[arg(long, default_value_t = 100_000)]
    pub api_invoices: usize,
    /// PostgreSQL server for the `serve` benchmark (a database is created on it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pub postgres: String,
    /// Keep generated sets here instead of a temporary folder.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    let tmp = tempdir_in(args.work_dir.as_deref())?;
    match args.what.as_str() {
        "runtime" => runtime(&args, &tmp)?,
        "accuracy" => accuracy(&args, &tmp)?,
        "serve" => serve_bench(&args, &tmp)?,
        "api" => crate::bench_api::api_bench(&args, &tmp)?,
        "plugins" => crate::bench_plugins::plugins_bench(&args, &tmp)?,
        "all" => {
            runtime(&args, &tmp)?;
            accuracy(&args, &tmp)?;
            serve_bench(&args, &tmp)?;
            crate::bench_api::api_bench(&args, &tmp)?;
            crate::bench_plugins::plugins_bench(&args, &tmp)?;
        }
        other => {
            bail!("unknown benchmark `{other}`: use runtime, accuracy, serve, api, plugins or all")
        }
    }
    if args.work_dir.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(ExitCode::SUCCESS)
}

fn tempdir_in(base: Option<&Path>) -> Result<PathBuf> {
    let dir = match base {
        Some(b) => b.to_path_buf(),
        None => std::env::temp_dir().join(format!("papyr-bench-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

fn generate(dir: &Path, seed: u64, count: usize, split: Split, preset: Preset) -> Result<PathBuf> {
    if dir.join("truth.jsonl").exists() {
        return Ok(dir.to_path_buf());
    }
    papyr_testgen::generate(&Options {
        seed,
        count,
        out_dir: dir.to_path_buf(),
        split,
        preset,
    })?;
    Ok(dir.to_path_buf())
}

fn component(name: &str) -> Result<Vec<u8>> {
    let p = papyr_builtins::component_path(name);
    std::fs::read(&p)
        .with_context(|| format!("cannot read {} (run `cargo xtask plugins`)", p.display()))
}

fn runtime(args: &BenchArgs, tmp: &Path) -> Result<()> {
    println!("== runtime ==");
    // 1. Stage-call overhead: fresh store + instantiate + trivial call vs reused instance.
    let rt = setup::runtime(None)?;
    let noop = rt.load("hostile", &component("hostile")?, Grants { history: true })?;
    let caps = Capabilities {
        config: vec![("mode".into(), "noop".into())],
        ..Capabilities::default()
    };
    let input = tiny_check_input();
    let limits = Limits::rule();
    for _ in 0..200 {
        rt.check(&noop, caps.clone(), &limits, &input)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let fresh: Vec<Duration> = (0..3000)
        .map(|_| {
            let t = Instant::now();
            let _ = rt.check(&noop, caps.clone(), &limits, &input);
            t.elapsed()
        })
        .collect();
    let reused = rt
        .bench_check_reused(&noop, caps.clone(), &limits, &input, 3000)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (f, r) = (median(fresh), median(reused));
    println!(
        "stage call, fresh store + instantiate + call: median {}   reused instance: median {}   ratio {:.1}×   (pooling: {})",
        us(f),
        us(r),
        f.as_secs_f64() / r.as_secs_f64().max(1e-12),
        rt.pooling()
    );

    // 2. First start (compile) vs second start (cache) of the built-in components.
    let cache = tmp.join("cache");
    let _ = std::fs::remove_dir_all(&cache);
    let t = Instant::now();
    let rt1 = setup::runtime(Some(cache.clone()))?;
    setup::builtin_plugins(&rt1)?;
    let cold = t.elapsed();
    drop(rt1);
    let mut warm = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let rt2 = setup::runtime(Some(cache.clone()))?;
        setup::builtin_plugins(&rt2)?;
        warm.push(t.elapsed());
    }
    let warm = median(warm);
    println!(
        "built-in components: first start (compile) {}   second start (cache) median {}   ratio {:.0}×",
        ms(cold),
        ms(warm),
        cold.as_secs_f64() / warm.as_secs_f64().max(1e-12)
    );

    // 3. One digital one-page invoice through the whole pipeline.
    let set = generate(
        &tmp.join("clean"),
        args.seed,
        300,
        Split::Dev,
        Preset::Clean,
    )?;
    let truth = read_truth(&set)?;
    let one_page = truth
        .iter()
        .find(|t| {
            t["format"] == "pdf"
                && t["kind"] == "invoice"
                && t["fields"]["line_items"]
                    .as_array()
                    .is_some_and(|l| l.len() <= 4)
        })
        .context("no one-page digital invoice in the generated set")?;
    let file = set.join(one_page["file"].as_str().unwrap_or_default());
    let plugins = setup::builtin_plugins(&rt)?;
    let pipeline = setup::pipeline(rt.clone(), plugins.clone(), PipelineOptions::default())?;
    let doc = read_document(&file)?;
    let mut totals = Vec::new();
    let mut stages: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    for i in 0..300 {
        // A fresh tenant each time: the invoice must not become its own duplicate.
        let tenant = tenant_context(Some(&set.join("tenant.json")), None)?;
        let t = Instant::now();
        let p = pipeline.process(&tenant, doc.clone());
        let el = t.elapsed();
        if i >= 20 {
            totals.push(el);
            for (k, v) in &p.output.timings_us {
                stages
                    .entry(k.clone())
                    .or_default()
                    .push(Duration::from_micros(*v));
            }
        }
        if let Some(e) = p.output.error {
            bail!("pipeline failed on {}: {e}", file.display());
        }
    }
    let per_stage: Vec<String> = stages
        .into_iter()
        .filter(|(k, _)| k != "total")
        .map(|(k, v)| format!("{k} {}", us(median(v))))
        .collect();
    println!(
        "one-page digital invoice, whole pipeline in-process: median {}   ({})",
        ms(median(totals)),
        per_stage.join(", ")
    );

    // 4. Documents per second for a batch, one worker and two.
    let files = crate::cli::process::expand(std::slice::from_ref(&set))?;
    let docs: Vec<_> = files
        .iter()
        .map(|f| read_document(f))
        .collect::<Result<_>>()?;
    let mut rates = Vec::new();
    for workers in [1usize, 2] {
        let pipeline = setup::pipeline(
            rt.clone(),
            plugins.clone(),
            PipelineOptions {
                workers,
                ..PipelineOptions::default()
            },
        )?;
        let tenant = tenant_context(Some(&set.join("tenant.json")), None)?;
        let t = Instant::now();
        let mut n = 0;
        pipeline.process_batch(&tenant, docs.clone().into_iter(), |_| n += 1);
        let rate = n as f64 / t.elapsed().as_secs_f64();
        rates.push(rate);
        println!(
            "batch of {n} mixed documents (PDF, Factur-X, UBL, CII, scans), {workers} worker(s): {rate:.0} documents/s"
        );
    }
    println!("scaling 1 → 2 workers: {:.2}×", rates[1] / rates[0]);

    // 5. Peak memory of `papyr process` on a batch.
    let big = generate(
        &tmp.join("rss"),
        args.seed + 1,
        args.rss_docs,
        Split::Dev,
        Preset::Full,
    )?;
    let exe = std::env::current_exe()?;
    let out = std::process::Command::new(exe)
        .args(["process", "--json", "--tenant"])
        .arg(big.join("tenant.json"))
        .arg(&big)
        .env("PAPYR_PRINT_PEAK_RSS", "1")
        .env("PAPYR_CACHE_DIR", &cache)
        .stdout(std::process::Stdio::null())
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let peak = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kib="))
        .unwrap_or("?");
    let summary = stderr
        .lines()
        .rev()
        .find(|l| l.contains("documents in"))
        .unwrap_or("");
    println!(
        "`papyr process` on {} invoices: peak RSS {} MiB   ({summary})",
        args.rss_docs,
        peak.parse::<f64>()
            .map_or("?".into(), |k| format!("{:.0}", k / 1024.0))
    );
    Ok(())
}

fn tiny_check_input() -> CheckInput {
    let origin = crate::cli::process::empty_origin();
    let mut invoice = papyr_runtime::convert::empty_invoice(DocumentKind::Invoice);
    invoice.vendor.name = Some("ACME GmbH".into());
    invoice.invoice_number = Some("1".into());
    invoice.currency = Some("EUR".into());
    invoice.gross_total = Some(Money {
        minor: 1000,
        currency: "EUR".into(),
    });
    let mut parsed = papyr_runtime::convert::empty_parsed(DocumentFormat::Pdf);
    parsed.has_text_layer = true;
    CheckInput {
        document: DocumentInfo {
            media_type: "application/pdf".into(),
            filename: "a.pdf".into(),
            sha256: "0".into(),
            size: 1,
            origin,
        },
        parsed,
        classification: Classification {
            kind: DocumentKind::Invoice,
            confidence: 1.0,
            reasons: vec![],
        },
        invoice,
        today: Date {
            year: 2026,
            month: 11,
            day: 26,
        },
    }
}

fn read_truth(set: &Path) -> Result<Vec<Value>> {
    let text = std::fs::read_to_string(set.join("truth.jsonl"))
        .with_context(|| format!("no truth.jsonl in {}", set.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).context("bad truth line"))
        .collect()
}

const CORE: &[&str] = &[
    "vendor_name",
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "net_total",
    "tax_total",
    "gross_total",
    "amount_due",
    "iban",
];
const OTHER: &[&str] = &["vendor_tax_id", "customer_name", "bic", "po_number"];

fn norm(field: &str, v: &Value) -> Option<String> {
    let s = v.as_str()?.trim().to_string();
    Some(if field == "iban" {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase()
    } else {
        s
    })
}

#[derive(Default)]
struct Tally {
    right: usize,
    total: usize,
}

impl Tally {
    fn add(&mut self, ok: bool) {
        self.total += 1;
        self.right += ok as usize;
    }
    fn pct(&self) -> String {
        if self.total == 0 {
            "—".into()
        } else {
            format!(
                "{:.1}% ({}/{})",
                100.0 * self.right as f64 / self.total as f64,
                self.right,
                self.total
            )
        }
    }
}

/// Run the pipeline on a set, returning (truth, output) pairs.
fn run_set(set: &Path) -> Result<Vec<(Value, Value)>> {
    let truth = read_truth(set)?;
    let rt = setup::runtime(setup::default_cache_dir())?;
    let pipeline = setup::pipeline(
        rt.clone(),
        setup::builtin_plugins(&rt)?,
        PipelineOptions::default(),
    )?;
    let tenant = tenant_context(Some(&set.join("tenant.json")), None)?;
    let docs: Vec<_> = truth
        .iter()
        .map(|t| read_document(&set.join(t["file"].as_str().unwrap_or_default())))
        .collect::<Result<_>>()?;
    let mut outs = Vec::new();
    pipeline.process_batch(&tenant, docs.into_iter(), |p| {
        outs.push(serde_json::to_value(&p.output).unwrap_or(Value::Null))
    });
    Ok(truth.into_iter().zip(outs).collect())
}

fn accuracy(args: &BenchArgs, tmp: &Path) -> Result<()> {
    println!("== accuracy ==");
    let sets = [
        (
            "dev",
            generate(
                &tmp.join("acc-dev"),
                args.seed,
                args.count,
                Split::Dev,
                Preset::Full,
            )?,
        ),
        (
            "holdout",
            generate(
                &tmp.join("acc-holdout"),
                args.seed + 7,
                (args.count / 4).max(50),
                Split::Holdout,
                Preset::Full,
            )?,
        ),
        (
            "clean",
            generate(
                &tmp.join("acc-clean"),
                args.seed + 13,
                (args.count / 4).max(50),
                Split::Dev,
                Preset::Clean,
            )?,
        ),
    ];
    for (name, set) in &sets {
        let t = Instant::now();
        let pairs = run_set(set)?;
        println!(
            "\n-- set `{name}`: {} documents, processed in {:.1} s --",
            pairs.len(),
            t.elapsed().as_secs_f64()
        );
        report_fields(&pairs);
        report_classification(&pairs);
        report_rules(&pairs, *name == "clean");
    }
    Ok(())
}

fn report_fields(pairs: &[(Value, Value)]) {
    let mut by_field: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut by_group: BTreeMap<String, Tally> = BTreeMap::new();
    let mut hi_conf = Tally::default();
    let mut wrong_examples: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (t, o) in pairs {
        let kind = t["kind"].as_str().unwrap_or("");
        let format = t["format"].as_str().unwrap_or("");
        if !(kind == "invoice" || kind == "credit-note") || format == "scan" {
            continue;
        }
        let group = if format == "pdf" {
            format!("pdf/{}", t["language"].as_str().unwrap_or("?"))
        } else {
            format.to_string()
        };
        let conf: BTreeMap<String, f64> = o["field_evidence"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| {
                        Some((e["field"].as_str()?.to_string(), e["confidence"].as_f64()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for field in CORE.iter().chain(OTHER) {
            let want = norm(field, &t["fields"][field]);
            let got = norm(field, &o["fields"][field]);
            let ok = want == got;
            by_field.entry(field).or_default().add(ok);
            if CORE.contains(field) {
                by_group.entry(group.clone()).or_default().add(ok);
            }
            if got.is_some() && conf.get(*field).is_some_and(|c| *c >= 0.9) {
                hi_conf.add(!ok);
            }
            if !ok {
                let ex = wrong_examples.entry(field).or_default();
                if ex.len() < 2 {
                    ex.push(format!(
                        "{}: want {:?} got {:?}",
                        t["file"].as_str().unwrap_or(""),
                        want,
                        got
                    ));
                }
            }
        }
    }
    println!("field accuracy (invoices and credit notes with a text layer or XML):");
    for (f, tally) in &by_field {
        println!("  {f:<16} {}", tally.pct());
    }
    println!("core fields by format / language:");
    for (g, tally) in &by_group {
        println!("  {g:<16} {}", tally.pct());
    }
    println!(
        "fields reported with confidence ≥ 0.9 that are wrong: {}",
        hi_conf.pct()
    );
    for (f, ex) in wrong_examples {
        for e in ex {
            println!("    e.g. {f} {e}");
        }
    }
}

fn report_classification(pairs: &[(Value, Value)]) {
    let mut all = Tally::default();
    let mut scans = Tally::default();
    let mut confusions: BTreeMap<String, usize> = BTreeMap::new();
    for (t, o) in pairs {
        let want = t["kind"].as_str().unwrap_or("");
        let got = o["classification"]["kind"].as_str().unwrap_or("none");
        if t["format"] == "scan" {
            scans.add(got == want);
            continue;
        }
        all.add(got == want);
        if got != want {
            *confusions.entry(format!("{want} → {got}")).or_default() += 1;
        }
    }
    println!(
        "classification (documents with text or XML): {}   scans (no text, classified from context only): {}",
        all.pct(),
        scans.pct()
    );
    for (c, n) in confusions {
        println!("    {c}: {n}");
    }
}

fn report_rules(pairs: &[(Value, Value)], clean: bool) {
    let mut rules: BTreeSet<String> = BTreeSet::new();
    let per_doc: Vec<(BTreeSet<String>, BTreeSet<String>)> = pairs
        .iter()
        .map(|(t, o)| {
            let planted: BTreeSet<String> = t["planted"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let found: BTreeSet<String> = o["findings"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f["rule"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            rules.extend(planted.iter().cloned());
            rules.extend(found.iter().cloned());
            (planted, found)
        })
        .collect();
    // Host findings (`pipeline.*`) route documents (a scan to OCR, a failed rule) and
    // are not fraud signals; they are counted separately.
    let routed: Vec<&String> = rules
        .iter()
        .filter(|r| r.starts_with("pipeline."))
        .collect();
    for r in &routed {
        let hits = per_doc.iter().filter(|(_, f)| f.contains(*r)).count();
        let scans = pairs
            .iter()
            .filter(|(t, o)| {
                t["format"] == "scan"
                    && o["findings"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|f| f["rule"] == **r))
            })
            .count();
        println!(
            "routing finding {r}: {hits} documents ({scans} of them scans without a text layer)"
        );
    }
    rules.retain(|r| !r.starts_with("pipeline."));
    let n = per_doc.len().max(1);
    println!(
        "fraud rules ({}):",
        if clean {
            "false-positive rate on clean invoices"
        } else {
            "recall on planted signals, precision, false positives"
        }
    );
    for rule in rules {
        let tp = per_doc
            .iter()
            .filter(|(p, f)| p.contains(&rule) && f.contains(&rule))
            .count();
        let fneg = per_doc
            .iter()
            .filter(|(p, f)| p.contains(&rule) && !f.contains(&rule))
            .count();
        let fp = per_doc
            .iter()
            .filter(|(p, f)| !p.contains(&rule) && f.contains(&rule))
            .count();
        if clean {
            println!(
                "  {rule:<28} flagged {fp}/{n} clean documents ({:.2}%)",
                100.0 * fp as f64 / n as f64
            );
        } else {
            let recall = if tp + fneg == 0 {
                "—".to_string()
            } else {
                format!("{:.1}%", 100.0 * tp as f64 / (tp + fneg) as f64)
            };
            let precision = if tp + fp == 0 {
                "—".to_string()
            } else {
                format!("{:.1}%", 100.0 * tp as f64 / (tp + fp) as f64)
            };
            println!(
                "  {rule:<28} planted {:>4}  recall {recall:>6}  precision {precision:>6}  unplanted hits {fp}",
                tp + fneg
            );
        }
    }
}

/// One `papyr serve` configuration to measure.
struct ServeRun {
    label: &'static str,
    postgres: bool,
    workers: usize,
    processes: usize,
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn serve_bench(args: &BenchArgs, tmp: &Path) -> Result<()> {
    println!("\n== papyr serve ==");
    let set = generate(
        &tmp.join("serve-set"),
        args.seed + 99,
        args.serve_docs,
        Split::Dev,
        Preset::Clean,
    )?;
    // Baselines: the in-process pipeline on the same documents, both cores, without
    // and with approval reports (the service renders one per invoice).
    let rt = setup::runtime(setup::default_cache_dir())?;
    let files = crate::cli::process::expand(std::slice::from_ref(&set))?;
    let docs: Vec<_> = files
        .iter()
        .map(|f| read_document(f))
        .collect::<Result<_>>()?;
    let mut rates = Vec::new();
    for render_report in [false, true] {
        let pipeline = setup::pipeline(
            rt.clone(),
            setup::builtin_plugins(&rt)?,
            PipelineOptions {
                render_report,
                ..PipelineOptions::default()
            },
        )?;
        let tenant = tenant_context(None, None)?;
        let t = Instant::now();
        let mut n = 0;
        pipeline.process_batch(&tenant, docs.clone().into_iter(), |_| n += 1);
        rates.push(n as f64 / t.elapsed().as_secs_f64());
    }
    let baseline = rates[1];
    println!(
        "in-process `papyr process` on the same {} documents: {:.0} documents/s, {:.0} documents/s with approval reports (the baseline below)",
        docs.len(),
        rates[0],
        rates[1]
    );
    let runs = [
        ServeRun {
            label: "SQLite, 1 worker",
            postgres: false,
            workers: 1,
            processes: 1,
        },
        ServeRun {
            label: "SQLite, 2 workers",
            postgres: false,
            workers: 2,
            processes: 1,
        },
        ServeRun {
            label: "PostgreSQL, 1 worker",
            postgres: true,
            workers: 1,
            processes: 1,
        },
        ServeRun {
            label: "PostgreSQL, 2 workers",
            postgres: true,
            workers: 2,
            processes: 1,
        },
        ServeRun {
            label: "PostgreSQL, 3 processes × 2 workers",
            postgres: true,
            workers: 2,
            processes: 3,
        },
    ];
    let async_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    for (i, run) in runs.iter().enumerate() {
        let (rate, p50, p99) = async_rt.block_on(serve_once(args, tmp, &set, run, i))?;
        println!(
            "{:<38} {rate:>6.0} documents/s ({:.2}× the in-process rate)   intake→decision under a burst of {} documents: median {p50} ms, p99 {p99} ms",
            run.label,
            rate / baseline,
            args.serve_docs
        );
    }
    Ok(())
}

async fn serve_once(
    args: &BenchArgs,
    tmp: &Path,
    set: &Path,
    run: &ServeRun,
    i: usize,
) -> Result<(f64, i64, i64)> {
    let root = tmp.join(format!("serve-{i}"));
    let _ = std::fs::remove_dir_all(&root);
    let watch = root.join("inbox");
    let staging = root.join("staging");
    std::fs::create_dir_all(&watch)?;
    std::fs::create_dir_all(&staging)?;
    let db_url = if run.postgres {
        let admin = papyr_store::Db::connect(&format!("{}/test", args.postgres), 2).await?;
        let name = format!("papyr_bench_{}_{i}", std::process::id());
        admin
            .raw_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        admin
            .raw_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        admin.close().await;
        format!("{}/{name}", args.postgres)
    } else {
        format!("sqlite://{}", root.join("papyr.db").display())
    };
    // Prepare the files first so that they can be moved in at once.
    let mut count = 0;
    let mut seen = std::collections::BTreeSet::new();
    for f in crate::cli::process::expand(&[set.to_path_buf()])? {
        let bytes = std::fs::read(&f)?;
        if seen.insert(papyr_runtime::registry::sha256_hex(&bytes)) {
            std::fs::write(staging.join(f.file_name().unwrap_or_default()), bytes)?;
            count += 1;
        }
    }
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for p in 0..run.processes {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = std::process::Command::new(&exe)
            .arg("serve")
            .env("PAPYR_DATA__DIR", root.join(format!("data{p}")))
            .env("PAPYR_DATA__CACHE_DIR", tmp.join("cache"))
            .env("PAPYR_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("PAPYR_DATABASE__URL", &db_url)
            .env("PAPYR_STORAGE__URL", root.join("blobs"))
            .env("PAPYR_INTAKE__WATCH_DIR", &watch)
            .env("PAPYR_INTAKE__POLL_MS", "100")
            .env("PAPYR_WORKERS__POLL_MS", "10")
            .env("PAPYR_WORKERS__COUNT", run.workers.to_string())
            .env("PAPYR_DEMO__ENABLED", "false")
            .env("PAPYR_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        children.push(child);
    }
    let db = loop {
        match papyr_store::Db::connect(&db_url, 2).await {
            Ok(db) if db.pending_jobs().await.is_ok() => break db,
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    for e in std::fs::read_dir(&staging)? {
        let e = e?;
        std::fs::rename(e.path(), watch.join(e.file_name()))?;
    }
    let started = Instant::now();
    loop {
        let counts = db.status_counts().await?;
        let total: i64 = counts.iter().map(|(_, n)| n).sum();
        let finals: i64 = counts
            .iter()
            .filter(|(s, _)| {
                [
                    "not_an_invoice",
                    "auto_approved",
                    "pending_approval",
                    "on_hold",
                    "failed",
                ]
                .contains(&s.as_str())
            })
            .map(|(_, n)| n)
            .sum();
        if total as usize == count && finals == total && db.pending_jobs().await? == 0 {
            break;
        }
        if started.elapsed() > Duration::from_secs(900) {
            bail!("{}: not done after 15 minutes: {counts:?}", run.label);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
    let mut lat = db.decision_latencies_ms().await?;
    lat.sort();
    db.close().await;
    Ok((
        count as f64 / elapsed.as_secs_f64(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
    ))
}
