//! `papyr bench plugins`: what tenant rule components cost.
//!
//! 1. Upload to active: validate (`Runtime::inspect`), compile with an empty disk
//!    cache (and write the artifact), load from the disk cache in a new runtime (a
//!    second replica or a restart), and the in-memory hit (the same bytes again), for
//!    the small example rule (the baseline), the ~2 MB `big-rule` test program and,
//!    when it was built, the 12 MB JavaScript example.
//! 2. Per-invoice cost of the fraud stage (`Pipeline::check`) with the built-in rules
//!    only (the baseline), and with 10 and 50 extra rule components.
//! 3. Resident memory of 100 tenants × 5 rule components, the same bytes for every
//!    tenant (compiled code shared by digest) against distinct bytes, each measured
//!    in a child process of its own so that one measurement's heap does not hide in
//!    another's.
//!
//! Medians, not means: the machines are shared and noisy.
use crate::bench::BenchArgs;
use crate::cli::process::{read_document, tenant_context};
use crate::setup;
use anyhow::{Context, Result, bail};
use papyr_runtime::bindings::types::{Classification, DocumentInfo, Invoice, ParsedDocument};
use papyr_runtime::{Grants, Pipeline, PipelineOptions, Plugin, Runtime, TenantContext};
use papyr_testgen::{Options, Preset, Split};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Set in the child processes of the memory measurement: which configuration to load.
const CHILD_ENV: &str = "PAPYR_BENCH_PLUGINS_CHILD";
/// The child's compiled-component cache, document and tenant file.
const CHILD_CACHE_ENV: &str = "PAPYR_BENCH_PLUGINS_CACHE";
const CHILD_DOC_ENV: &str = "PAPYR_BENCH_PLUGINS_DOC";
const CHILD_TENANT_ENV: &str = "PAPYR_BENCH_PLUGINS_TENANT";
/// The line a child prints its figures on.
const CHILD_PREFIX: &str = "papyr-bench-plugins-child ";

/// Tenants and rule components per tenant of the memory measurement.
const TENANTS: usize = 100;
const RULES_PER_TENANT: usize = 5;

/// The custom section that makes byte-distinct copies of a component.
const VARIANT_SECTION: &str = "papyr-bench-variant";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn fmt_us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-12)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Resident set size of this process in bytes (`VmRSS` of /proc/self/status).
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn push_leb128(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// `bytes` with a custom section appended: the same code, another sha256 (so another
/// cache entry and another compiled artifact).
pub fn with_custom_section(bytes: &[u8], name: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(name.len() + payload.len() + 8);
    push_leb128(&mut body, name.len());
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    let mut out = Vec::with_capacity(bytes.len() + body.len() + 8);
    out.extend_from_slice(bytes);
    out.push(0); // custom section id
    push_leb128(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

fn variant(bytes: &[u8], tag: &str) -> Vec<u8> {
    with_custom_section(bytes, VARIANT_SECTION, tag.as_bytes())
}

fn read_component(name: &str) -> Result<Vec<u8>> {
    let p = papyr_builtins::component_path(name);
    std::fs::read(&p)
        .with_context(|| format!("cannot read {} (run `cargo xtask plugins`)", p.display()))
}

/// The JavaScript example, when `scripts/build-js-example.sh` built it.
fn js_component_path() -> PathBuf {
    Path::new(papyr_builtins::PLUGIN_OUT_DIR).join("../../js/js_vat_required.wasm")
}

/// The grants a component needs (it is refused without them).
fn grants_for(rt: &Runtime, bytes: &[u8]) -> Result<Grants> {
    let (report, _) = rt
        .inspect(bytes, Grants { history: true })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Grants {
        history: report.needs_history,
    })
}

pub fn plugins_bench(args: &BenchArgs, tmp: &Path) -> Result<()> {
    if let Ok(mode) = std::env::var(CHILD_ENV) {
        return memory_child(&mode);
    }
    println!("== tenant rule components ==");
    let po = read_component("po_required")?;
    let big = read_component("big_rule")?;
    upload(tmp, &po, &big)?;
    let set = papyr_testgen::generate(&Options {
        seed: args.seed + 31,
        count: 120,
        out_dir: tmp.join("plugins-set"),
        split: Split::Dev,
        preset: Preset::Clean,
    })
    .map(|_| tmp.join("plugins-set"))?;
    per_invoice(tmp, &set, &po, &big)?;
    memory(tmp, &set, &po, &big)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// 1. Upload to active.

struct Upload {
    inspect: Duration,
    compile: Duration,
    compile_and_write: Duration,
    /// What an upload runs (`validate_component` of the API): inspect, compile and
    /// write the artifact once, load, ask `rules()`.
    upload: Duration,
    runtime_new: Duration,
    disk_load: Duration,
    memory_hit: Duration,
    first_check: Duration,
    artifact_bytes: u64,
}

fn upload_figures(tmp: &Path, label: &str, bytes: &[u8], reps: usize) -> Result<Upload> {
    let grants = grants_for(&*setup::runtime(None)?, bytes)?;
    let input = check_input_for_upload();
    let limits = papyr_runtime::Limits::rule();
    let caps = papyr_runtime::host::Capabilities::default;
    let (mut inspect, mut compile, mut cold, mut new_rt, mut warm, mut hit, mut first) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut artifact_bytes = 0;
    let mut upload = Vec::new();
    for rep in 0..reps {
        // The upload endpoint's validation on a runtime with an empty disk cache.
        let dir = tmp.join(format!("upload-path-{label}-{rep}"));
        let _ = std::fs::remove_dir_all(&dir);
        let rt = setup::runtime(Some(dir.clone()))?;
        let t = Instant::now();
        crate::serve::api::plugins::validate_component(&rt, label, bytes)
            .map_err(|p| anyhow::anyhow!("{label} is refused: {}", p.join("; ")))?;
        upload.push(t.elapsed());
        drop(rt);
        let _ = std::fs::remove_dir_all(&dir);

        // Validate: what `papyr plugin check` and an upload endpoint run first.
        let rt = setup::runtime(None)?;
        let t = Instant::now();
        let (report, world) = rt
            .inspect(bytes, grants)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        inspect.push(t.elapsed());
        if !report.problems.is_empty() || world.is_none() {
            bail!("{label} is refused: {}", report.problems.join("; "));
        }
        drop(rt);

        // Compile without a disk cache.
        let rt = setup::runtime(None)?;
        let t = Instant::now();
        rt.load(label, bytes, grants)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        compile.push(t.elapsed());
        drop(rt);

        // Compile with an empty disk cache: compile, serialize, write the artifact.
        let dir = tmp.join(format!("upload-cache-{label}-{rep}"));
        let _ = std::fs::remove_dir_all(&dir);
        let rt = setup::runtime(Some(dir.clone()))?;
        let t = Instant::now();
        let plugin = rt
            .load(label, bytes, grants)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        cold.push(t.elapsed());

        // The same bytes uploaded again (another name): the in-memory cache.
        for i in 0..5 {
            let t = Instant::now();
            rt.load(&format!("{label}-again-{i}"), bytes, grants)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            hit.push(t.elapsed());
        }
        drop(plugin);
        drop(rt);

        // A second replica or a restart: a new runtime, the artifact on disk.
        let t = Instant::now();
        let rt = setup::runtime(Some(dir.clone()))?;
        new_rt.push(t.elapsed());
        let t = Instant::now();
        let plugin = rt
            .load(label, bytes, grants)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        warm.push(t.elapsed());
        if let Some(cache) = rt.cache_dir() {
            let f = cache.join(format!("{}.cwasm", plugin.digest));
            artifact_bytes = std::fs::metadata(&f)
                .with_context(|| format!("no compiled artifact at {}", f.display()))?
                .len();
        }

        // Active: the first check call (fresh store + instantiate + call).
        let t = Instant::now();
        let r = rt.check(&plugin, caps(), &limits, &input);
        first.push(t.elapsed());
        r.map_err(|e| anyhow::anyhow!("{label}: check failed: {e}"))?;
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(Upload {
        inspect: median(inspect),
        compile: median(compile),
        compile_and_write: median(cold),
        upload: median(upload),
        runtime_new: median(new_rt),
        disk_load: median(warm),
        memory_hit: median(hit),
        first_check: median(first),
        artifact_bytes,
    })
}

/// A small invoice for the upload measurement's first call.
fn check_input_for_upload() -> papyr_runtime::bindings::types::CheckInput {
    use papyr_runtime::bindings::types::*;
    let mut invoice = papyr_runtime::convert::empty_invoice(DocumentKind::Invoice);
    invoice.vendor.name = Some("Kestrel Tools GmbH".into());
    invoice.invoice_number = Some("RE-2026-0042".into());
    invoice.currency = Some("EUR".into());
    invoice.gross_total = Some(Money {
        minor: 250_000,
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
            origin: crate::cli::process::empty_origin(),
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

fn upload(tmp: &Path, po: &[u8], big: &[u8]) -> Result<()> {
    let mut rows = vec![("po_required (baseline)", po.to_vec(), 5)];
    rows.push(("big_rule", big.to_vec(), 5));
    let js = js_component_path();
    match std::fs::read(&js) {
        Ok(b) => rows.push(("js_vat_required", b, 3)),
        Err(_) => println!(
            "(the JavaScript example is not built: {} is missing; scripts/build-js-example.sh builds it)",
            js.display()
        ),
    }
    let mut figures = Vec::new();
    for (label, bytes, reps) in &rows {
        let name = label.split(' ').next().unwrap_or(label);
        figures.push(upload_figures(tmp, name, bytes, *reps)?);
    }
    println!("\n-- upload to active (median of 5 runs; 3 for the JavaScript component) --");
    println!(
        "{:<24} {:>9} {:>11} {:>12} {:>14} {:>12} {:>12} {:>11} {:>11} {:>11}",
        "component",
        "size",
        "validate",
        "compile",
        "compile+write",
        "artifact",
        "new runtime",
        "disk load",
        "memory hit",
        "1st check"
    );
    for ((label, bytes, _), f) in rows.iter().zip(&figures) {
        println!(
            "{:<24} {:>9} {:>11} {:>12} {:>14} {:>12} {:>12} {:>11} {:>11} {:>11}",
            label,
            mib(bytes.len() as u64),
            fmt_ms(f.inspect),
            fmt_ms(f.compile),
            fmt_ms(f.compile_and_write),
            mib(f.artifact_bytes),
            fmt_ms(f.runtime_new),
            fmt_ms(f.disk_load),
            fmt_ms(f.memory_hit),
            fmt_ms(f.first_check),
        );
    }
    let base = &figures[0];
    for ((label, _, _), f) in rows.iter().zip(&figures).skip(1) {
        let write = f.compile_and_write.as_secs_f64() - f.compile.as_secs_f64();
        println!(
            "{label}: upload (validate + compile + write + rules(), as the API runs it) {}; \
             compile {:.0}× the baseline; compile+write − compile = {:+.1} ms (the write is within the noise of the compile); disk load {:.0}× faster than compile+write; \
             memory hit {}",
            fmt_ms(f.upload),
            ratio(f.compile, base.compile),
            write * 1e3,
            ratio(f.compile_and_write, f.disk_load),
            fmt_ms(f.memory_hit),
        );
    }
    println!(
        "note: an upload compiles once: `Runtime::inspect` keeps the compiled component (memory and disk cache) for the `load` that follows"
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// 2. Per-invoice cost of the fraud stage.

struct Prepared {
    info: DocumentInfo,
    parsed: ParsedDocument,
    cls: Classification,
    inv: Invoice,
}

fn prepare_invoices(
    pipeline: &Pipeline,
    tenant: &TenantContext,
    set: &Path,
) -> Result<Vec<Prepared>> {
    let files = crate::cli::process::expand(&[set.to_path_buf()])?;
    let mut out = Vec::new();
    for f in files {
        let p = pipeline.prepare(tenant, read_document(&f)?);
        if p.output.error.is_some() {
            continue;
        }
        if let (Some(parsed), Some(cls), Some(inv)) = (p.parsed, p.classification, p.invoice) {
            out.push(Prepared {
                info: p.info,
                parsed,
                cls,
                inv,
            });
        }
    }
    if out.is_empty() {
        bail!("no invoice in the generated set {}", set.display());
    }
    Ok(out)
}

/// Rule components to add, by name.
type NamedRules = Vec<(String, Vec<u8>)>;

fn load_rules(rt: &Runtime, named: NamedRules) -> Result<Vec<Arc<Plugin>>> {
    named
        .into_iter()
        .map(|(name, bytes)| {
            let grants = grants_for(rt, &bytes)?;
            rt.load(&name, &bytes, grants)
                .map(Arc::new)
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))
        })
        .collect()
}

fn per_invoice(tmp: &Path, set: &Path, po: &[u8], big: &[u8]) -> Result<()> {
    let rt = setup::runtime(Some(tmp.join("per-invoice-cache")))?;
    let builtins = setup::builtin_plugins(&rt)?;
    let tenant = tenant_context(Some(&set.join("tenant.json")), None)?;
    let base = setup::pipeline(rt.clone(), builtins.clone(), PipelineOptions::default())?;
    let invoices = prepare_invoices(&base, &tenant, set)?;

    let same = |n: usize| -> NamedRules {
        (0..n)
            .map(|i| (format!("po-required-{i}"), po.to_vec()))
            .collect()
    };
    let distinct = |n: usize| -> NamedRules {
        (0..n)
            .map(|i| {
                (
                    format!("po-required-{i}"),
                    variant(po, &format!("rule-{i}")),
                )
            })
            .collect()
    };
    let configs: Vec<(String, usize, NamedRules)> = vec![
        ("built-in fraud only (baseline)".into(), 0, vec![]),
        ("+10 po_required, one digest".into(), 10, same(10)),
        ("+50 po_required, one digest".into(), 50, same(50)),
        ("+10 po_required, 10 digests".into(), 10, distinct(10)),
        ("+50 po_required, 50 digests".into(), 50, distinct(50)),
        (
            "+1 big_rule (2 MB)".into(),
            1,
            vec![("big-rule".into(), big.to_vec())],
        ),
    ];
    let mut pipelines = Vec::new();
    for (label, n, rules) in configs {
        let mut plugins = builtins.clone();
        plugins.fraud.extend(load_rules(&rt, rules)?);
        pipelines.push((
            label,
            n,
            setup::pipeline(rt.clone(), plugins, PipelineOptions::default())?,
        ));
    }
    // Rounds interleave the configurations so that a noisy neighbour hits them alike.
    const ROUNDS: usize = 7;
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); pipelines.len()];
    let mut failed = vec![0usize; pipelines.len()];
    for round in 0..ROUNDS {
        for (k, (_, _, p)) in pipelines.iter().enumerate() {
            for inv in &invoices {
                let t = Instant::now();
                let c = p.check(&tenant, &inv.info, &inv.parsed, &inv.cls, &inv.inv);
                let el = t.elapsed();
                if round > 0 {
                    times[k].push(el);
                }
                failed[k] += c
                    .findings
                    .iter()
                    .filter(|f| f.rule == "pipeline.rule-failed")
                    .count();
            }
        }
    }
    println!(
        "\n-- fraud stage per invoice (`Pipeline::check`), {} generated clean invoices × {} rounds --",
        invoices.len(),
        ROUNDS - 1
    );
    let base_median = median(times[0].clone());
    for (k, (label, n, _)) in pipelines.iter().enumerate() {
        let m = median(times[k].clone());
        let extra = if *n == 0 {
            String::new()
        } else {
            format!(
                "   {:.2}× the baseline   +{} per extra component",
                ratio(m, base_median),
                fmt_us(m.saturating_sub(base_median) / *n as u32)
            )
        };
        println!(
            "{label:<34} median {:>10}{extra}{}",
            fmt_us(m),
            if failed[k] > 0 {
                format!("   ({} rule failures!)", failed[k])
            } else {
                String::new()
            }
        );
    }
    if failed.iter().any(|&f| f > 0) {
        bail!("some rule components failed during the per-invoice measurement");
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// 3. Memory of many tenants' rules.

/// A memory configuration: how many tenants, and the bytes of tenant `t`'s rule `r`.
fn child_rule_bytes(mode: &str, po: &[u8], big: &[u8], t: usize, r: usize) -> Vec<u8> {
    match mode {
        // The same five components for every tenant.
        "once" | "shared" => variant(po, &format!("shared-{r}")),
        // The same five, one of them the 2 MB rule.
        "shared-big" if r == 0 => big.to_vec(),
        "shared-big" => variant(po, &format!("shared-{r}")),
        // Five components of their own for every tenant.
        _ => variant(po, &format!("tenant-{t}-rule-{r}")),
    }
}

fn child_tenants(mode: &str) -> usize {
    if mode == "once" { 1 } else { TENANTS }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ChildFigures {
    rss_before: u64,
    rss_loaded: u64,
    rss_pipelines: u64,
    rss_checked: u64,
    load_ms: f64,
    check_ms: f64,
    plugins: usize,
    digests: usize,
    checks: usize,
    failures: usize,
}

/// In a child process: load one configuration from a warm disk cache and measure.
fn memory_child(mode: &str) -> Result<()> {
    let env = |k: &str| std::env::var(k).with_context(|| format!("{k} is not set"));
    let cache = PathBuf::from(env(CHILD_CACHE_ENV)?);
    let doc = read_document(Path::new(&env(CHILD_DOC_ENV)?))?;
    let tenant = tenant_context(Some(Path::new(&env(CHILD_TENANT_ENV)?)), None)?;
    let po = read_component("po_required")?;
    let big = read_component("big_rule")?;

    let rt = setup::runtime(Some(cache))?;
    let builtins = setup::builtin_plugins(&rt)?;
    let base = setup::pipeline(rt.clone(), builtins.clone(), PipelineOptions::default())?;
    let inv = prepare_one(&base, &tenant, doc)?;
    base.check(&tenant, &inv.info, &inv.parsed, &inv.cls, &inv.inv);
    let rss_before = rss_bytes().context("no VmRSS in /proc/self/status")?;

    let t = Instant::now();
    let tenants = child_tenants(mode);
    let mut rules: Vec<Vec<Arc<Plugin>>> = Vec::with_capacity(tenants);
    for ti in 0..tenants {
        let mut mine = Vec::with_capacity(RULES_PER_TENANT);
        for r in 0..RULES_PER_TENANT {
            let bytes = child_rule_bytes(mode, &po, &big, ti, r);
            let p = rt
                .load(&format!("rule-{r}"), &bytes, Grants::default())
                .map_err(|e| anyhow::anyhow!("tenant {ti} rule {r}: {e}"))?;
            mine.push(Arc::new(p));
        }
        rules.push(mine);
    }
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let rss_loaded = rss_bytes().unwrap_or(0);

    // Each tenant's pipeline: the built-in stages and fraud rules plus its own five
    // (building it asks each component for its rules: one instantiation each).
    let pipelines: Vec<Pipeline> = rules
        .iter()
        .map(|mine| {
            let mut plugins = builtins.clone();
            plugins.fraud.extend(mine.iter().cloned());
            setup::pipeline(rt.clone(), plugins, PipelineOptions::default())
        })
        .collect::<Result<_>>()?;
    let rss_pipelines = rss_bytes().unwrap_or(0);

    let t = Instant::now();
    let mut failures = 0;
    for p in &pipelines {
        let c = p.check(&tenant, &inv.info, &inv.parsed, &inv.cls, &inv.inv);
        failures += c
            .findings
            .iter()
            .filter(|f| f.rule == "pipeline.rule-failed")
            .count();
    }
    let check_ms = t.elapsed().as_secs_f64() * 1e3;
    let rss_checked = rss_bytes().unwrap_or(0);
    let mut digests: Vec<&str> = rules.iter().flatten().map(|p| p.digest.as_str()).collect();
    digests.sort_unstable();
    digests.dedup();
    let figures = ChildFigures {
        rss_before,
        rss_loaded,
        rss_pipelines,
        rss_checked,
        load_ms,
        check_ms,
        plugins: rules.iter().map(Vec::len).sum(),
        digests: digests.len(),
        checks: pipelines.len(),
        failures,
    };
    println!("{CHILD_PREFIX}{}", serde_json::to_string(&figures)?);
    Ok(())
}

fn prepare_one(
    pipeline: &Pipeline,
    tenant: &TenantContext,
    doc: papyr_runtime::DocumentInput,
) -> Result<Prepared> {
    let name = doc.filename.clone();
    let p = pipeline.prepare(tenant, doc);
    match (p.parsed, p.classification, p.invoice) {
        (Some(parsed), Some(cls), Some(inv)) if p.output.error.is_none() => Ok(Prepared {
            info: p.info,
            parsed,
            cls,
            inv,
        }),
        _ => bail!("{name} did not yield an invoice"),
    }
}

fn run_child(mode: &str, cache: &Path, doc: &Path, tenant: &Path) -> Result<ChildFigures> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["bench", "plugins"])
        .env(CHILD_ENV, mode)
        .env(CHILD_CACHE_ENV, cache)
        .env(CHILD_DOC_ENV, doc)
        .env(CHILD_TENANT_ENV, tenant)
        .env("PAPYR_LOG", "error")
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let Some(line) = stdout.lines().find_map(|l| l.strip_prefix(CHILD_PREFIX)) else {
        bail!(
            "memory measurement `{mode}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    Ok(serde_json::from_str(line)?)
}

fn memory(tmp: &Path, set: &Path, po: &[u8], big: &[u8]) -> Result<()> {
    // Warm a disk cache with every artifact the children load, so that they
    // deserialize (as a restarted replica does) and no compiler heap is measured.
    let cache = tmp.join("memory-cache");
    let rt = setup::runtime(Some(cache.clone()))?;
    setup::builtin_plugins(&rt)?;
    let modes = ["once", "shared", "shared-big", "distinct"];
    let t = Instant::now();
    let mut wanted: Vec<Vec<u8>> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for mode in modes {
        for ti in 0..child_tenants(mode) {
            for r in 0..RULES_PER_TENANT {
                let b = child_rule_bytes(mode, po, big, ti, r);
                if seen.insert(papyr_runtime::registry::sha256_hex(&b)) {
                    wanted.push(b);
                }
            }
        }
    }
    // One at a time: the registry names its temporary cache file after the process
    // id, so concurrent compiles in one process race on it.
    for b in &wanted {
        rt.load("warm", b, Grants::default())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let dir = rt.cache_dir().context("no cache folder")?;
    let missing = seen
        .iter()
        .filter(|d| !dir.join(format!("{d}.cwasm")).exists())
        .count();
    if missing > 0 {
        bail!(
            "{missing} compiled artifacts are missing from {}",
            dir.display()
        );
    }
    let warm_secs = t.elapsed().as_secs_f64();
    let artifacts = wanted.len();
    drop(wanted);
    drop(rt);

    let truth = std::fs::read_to_string(set.join("truth.jsonl"))?;
    let doc = truth
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|t| t["kind"] == "invoice" && t["format"] == "pdf")
        .and_then(|t| t["file"].as_str().map(|f| set.join(f)))
        .context("no digital invoice in the generated set")?;
    let tenant = set.join("tenant.json");

    println!(
        "\n-- memory: {TENANTS} tenants × {RULES_PER_TENANT} rule components, each configuration in a process of its own, \
         loaded from a warm disk cache ({artifacts} artifacts compiled in {warm_secs:.1} s) --"
    );
    println!(
        "{:<44} {:>8} {:>8} {:>12} {:>14} {:>16} {:>10} {:>10}",
        "configuration",
        "plugins",
        "digests",
        "RSS before",
        "after load",
        "+ pipelines",
        "+ checks",
        "load"
    );
    let labels = [
        ("once", "5 rules once (1 tenant)"),
        ("shared", "100 tenants × the same 5 rules"),
        ("shared-big", "100 tenants × the same 5 (one is big_rule)"),
        ("distinct", "100 tenants × 5 rules of their own"),
    ];
    let mut results = Vec::new();
    for (mode, label) in labels {
        let f = run_child(mode, &cache, &doc, &tenant)?;
        println!(
            "{:<44} {:>8} {:>8} {:>12} {:>14} {:>16} {:>10} {:>8.0} ms",
            label,
            f.plugins,
            f.digests,
            mib(f.rss_before),
            format!("+{}", mib(f.rss_loaded.saturating_sub(f.rss_before))),
            format!("+{}", mib(f.rss_pipelines.saturating_sub(f.rss_before))),
            format!("+{}", mib(f.rss_checked.saturating_sub(f.rss_before))),
            f.load_ms,
        );
        if f.failures > 0 || f.checks != child_tenants(mode) {
            bail!(
                "{label}: {} of {} tenants' checks had rule failures",
                f.failures,
                f.checks
            );
        }
        results.push((mode, f));
    }
    let grown = |m: &str| {
        results
            .iter()
            .find(|(x, _)| *x == m)
            .map_or(0, |(_, f)| f.rss_checked.saturating_sub(f.rss_before))
    };
    println!(
        "one check per tenant ran for all {TENANTS} tenants in every configuration, no rule failed; \
         per tenant after checks: shared {} KiB, distinct {} KiB ({:.1}× shared; 5 rules once: {})",
        grown("shared") / 1024 / TENANTS as u64,
        grown("distinct") / 1024 / TENANTS as u64,
        grown("distinct") as f64 / grown("shared").max(1) as f64,
        mib(grown("once")),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_encodes_multi_byte_lengths() {
        let mut v = Vec::new();
        push_leb128(&mut v, 624_485);
        assert_eq!(v, [0xE5, 0x8E, 0x26]);
        v.clear();
        push_leb128(&mut v, 5);
        assert_eq!(v, [5]);
    }

    #[test]
    fn a_custom_section_changes_the_digest_but_keeps_the_component_loadable() {
        // papyr-builtins' build script builds the plugin workspace, po-required included.
        let po = read_component("po_required").unwrap();
        let v = variant(&po, "tenant-1");
        assert_ne!(
            papyr_runtime::registry::sha256_hex(&po),
            papyr_runtime::registry::sha256_hex(&v)
        );
        assert_eq!(&v[..po.len()], &po[..]);
        let rt = setup::runtime(None).unwrap();
        let a = rt.load("a", &po, Grants::default()).unwrap();
        let b = rt.load("b", &v, Grants::default()).unwrap();
        assert_ne!(a.digest, b.digest);
        assert_eq!(a.world, b.world);
    }

    #[test]
    fn rss_is_read_from_proc() {
        assert!(rss_bytes().is_some_and(|b| b > 0));
    }
}
