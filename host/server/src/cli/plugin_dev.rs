//! For plugin authors: `papyr plugin new` writes a fraud-rule project from the
//! template in `plugins/template/fraud-rule/`, and `papyr plugin test` runs a rule
//! component on local documents with the production limits.
use crate::cli::process;
use crate::setup;
use anyhow::{Context, Result, bail};
use papyr_domain::model::FindingOut;
use papyr_runtime::bindings::history::VendorQuery;
use papyr_runtime::bindings::types::CheckInput;
use papyr_runtime::host::{Capabilities, LogLine};
use papyr_runtime::{
    CallError, Grants, History, PipelineOptions, Plugin, Prepared, RuleLimits, Runtime, World,
    convert,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct NewArgs {
    /// The rule's name: lower-case letters, digits and hyphens (`large-no-po`). It
    /// names the folder, the cargo package and the rule id `tenant.<name>`.
    pub name: String,
    /// The folder to create the project in (default: the current folder).
    #[arg(long, value_name = "PARENT")]
    pub dir: Option<PathBuf>,
    /// The Papyr SDK (`plugins/sdk` of a Papyr checkout); default: the one of the
    /// checkout this binary was built from.
    #[arg(long, value_name = "PATH")]
    pub sdk: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct TestArgs {
    /// The fraud-rule component (`.wasm`).
    pub component: PathBuf,
    /// Documents or folders of documents (folders sorted by name), checked in order.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub files: Vec<PathBuf>,
    /// Tenant file: vendor master, today's date, plugin configuration.
    #[arg(long)]
    pub tenant: Option<PathBuf>,
    /// A configuration value of the rule (repeatable); over the tenant file's.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    pub config: Vec<String>,
    /// Grant the rule read access to the tenant's history.
    #[arg(long)]
    pub grant_history: bool,
    /// Print one JSON object per document per line.
    #[arg(long)]
    pub json: bool,
}

// ---------------------------------------------------------------------------------
// `papyr plugin new`

/// The project template, embedded: (path in the project, contents with placeholders).
const TEMPLATE: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../../../plugins/template/fraud-rule/Cargo.toml"),
    ),
    (
        ".cargo/config.toml",
        include_str!("../../../../plugins/template/fraud-rule/.cargo/config.toml"),
    ),
    (
        ".gitignore",
        include_str!("../../../../plugins/template/fraud-rule/.gitignore"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../../plugins/template/fraud-rule/src/lib.rs"),
    ),
    (
        "README.md",
        include_str!("../../../../plugins/template/fraud-rule/README.md"),
    ),
];

/// The SDK of the checkout this binary was built from.
const BUILT_FROM_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../plugins/sdk");

/// Names that would clash with the built-in stages, the SDK or Rust itself.
const RESERVED: &[&str] = &[
    "fraud",
    "parse",
    "classify",
    "extract",
    "report",
    "host",
    "papyr-sdk",
    "std",
    "core",
    "alloc",
    "test",
    "proc-macro",
    "self",
    "crate",
    "super",
];

/// A rule name: starts with a letter, then lower-case letters, digits and single
/// hyphens, at most 64 characters.
pub fn validate_name(name: &str) -> Result<()> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if name.is_empty()
        || name.len() > 64
        || !ok_chars
        || !name.as_bytes()[0].is_ascii_lowercase()
        || name.ends_with('-')
        || name.contains("--")
    {
        bail!(
            "invalid rule name `{name}`: use lower-case letters, digits and single hyphens, \
             starting with a letter (e.g. `large-no-po`), at most 64 characters"
        );
    }
    if RESERVED.contains(&name) {
        bail!("invalid rule name `{name}`: it is reserved; choose another one");
    }
    Ok(())
}

/// A TOML basic string's contents.
fn toml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The SDK folder: `--sdk`, else the one this binary was built from.
fn find_sdk(given: Option<&Path>) -> Result<PathBuf> {
    let (path, from_flag) = match given {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from(BUILT_FROM_SDK), false),
    };
    let manifest = path.join("Cargo.toml");
    let is_sdk = std::fs::read_to_string(&manifest)
        .is_ok_and(|m| m.lines().any(|l| l.trim() == "name = \"papyr-sdk\""));
    if !is_sdk {
        if from_flag {
            bail!(
                "`{}` is not the Papyr SDK (no `Cargo.toml` of the `papyr-sdk` package \
                 there); pass the `plugins/sdk` folder of a Papyr checkout to --sdk",
                path.display()
            );
        }
        bail!(
            "cannot find the Papyr SDK: this papyr binary was built from a checkout whose \
             `plugins/sdk` no longer exists ({}); pass --sdk <path to plugins/sdk of a \
             Papyr checkout>",
            path.display()
        );
    }
    path.canonicalize()
        .with_context(|| format!("cannot resolve `{}`", path.display()))
}

pub fn new(args: NewArgs) -> Result<ExitCode> {
    validate_name(&args.name)?;
    let sdk = find_sdk(args.sdk.as_deref())?;
    let parent = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create folder `{}`", parent.display()))?;
    let target = parent.join(&args.name);
    if target.exists() {
        bail!(
            "`{}` already exists; refusing to overwrite it (choose another name or --dir)",
            target.display()
        );
    }
    // `create_dir` (not `_all`) fails if the folder appeared meanwhile: never overwrite.
    std::fs::create_dir(&target)
        .with_context(|| format!("cannot create folder `{}`", target.display()))?;
    let crate_name = args.name.replace('-', "_");
    let sdk_text = sdk.to_string_lossy();
    for (rel, text) in TEMPLATE {
        let contents = text
            .replace("{{name}}", &args.name)
            .replace("{{crate_name}}", &crate_name)
            .replace("{{sdk_path}}", &toml_escape(&sdk_text));
        let path = target.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create folder `{}`", dir.display()))?;
        }
        std::fs::write(&path, contents)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    // Start from the versions the SDK is built and tested with (wit-bindgen, …);
    // cargo drops what the rule does not use on the first build.
    if let Some(lock) = sdk.parent().map(|p| p.join("Cargo.lock"))
        && lock.is_file()
    {
        std::fs::copy(&lock, target.join("Cargo.lock"))
            .with_context(|| format!("cannot copy `{}`", lock.display()))?;
    }
    let shown = target.display();
    println!("Created the fraud rule `tenant.{}` in {shown}", args.name);
    println!("  SDK: {}", sdk.display());
    println!("Next:");
    println!("  rustup target add wasm32-wasip2     # once per machine");
    println!("  cd {shown} && cargo build --release");
    println!("  cargo test-native                   # the rule's unit tests");
    println!("  papyr plugin test target/wasm32-wasip2/release/{crate_name}.wasm <invoices>");
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------
// `papyr plugin test`

/// `key=value` pairs → sorted configuration; a later value of a key wins.
fn parse_config(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("invalid --config `{pair}`: expected KEY=VALUE");
        };
        let k = k.trim();
        if k.is_empty() {
            bail!("invalid --config `{pair}`: the key is empty");
        }
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

/// What happened to one document.
enum Outcome {
    /// Not checked: not an invoice, no text layer, or the built-in stages failed.
    Skipped(String),
    /// The rule ran.
    Checked {
        findings: Vec<FindingOut>,
        fuel: u64,
        elapsed: Duration,
        logs: Vec<LogLine>,
    },
    /// The rule failed (trap, returned error, bad output, undeclared rule id).
    Failed {
        kind: &'static str,
        message: String,
        fuel: Option<u64>,
        elapsed: Duration,
        findings: Vec<FindingOut>,
        logs: Vec<LogLine>,
    },
}

struct DocReport {
    file: String,
    classification: Option<(String, f32)>,
    fuel_limit: u64,
    outcome: Outcome,
}

fn report_refusal(component: &Path, problems: &[String], json: bool, grant_history: bool) {
    if json {
        // A closed pipe only loses the line; the exit code still says refused.
        let _ = writeln!(
            std::io::stdout().lock(),
            "{}",
            json!({"file": component, "accepted": false, "problems": problems})
        );
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}: refused", component.display());
    for p in problems {
        let _ = writeln!(err, "  problem: {p}");
    }
    if !grant_history && problems.iter().any(|p| p.contains("pipeline/history")) {
        let _ = writeln!(
            err,
            "  (the rule reads the tenant's history: test it with --grant-history)"
        );
    }
}

/// Load the component as a fraud rule; `Err(code)` after reporting why not.
fn load_rule(
    rt: &Runtime,
    component: &Path,
    bytes: &[u8],
    grants: Grants,
    json: bool,
) -> Result<Plugin, ExitCode> {
    let name = setup::plugin_name(
        &component
            .file_stem()
            .map_or("rule".into(), |s| s.to_string_lossy().into_owned()),
    );
    match rt.load(&name, bytes, grants) {
        Ok(p) if p.world == World::FraudRule => Ok(p),
        Ok(p) => {
            let problem = format!(
                "implements the {} world; `papyr plugin test` takes fraud-rule components",
                p.world.name()
            );
            report_refusal(component, &[problem], json, grants.history);
            Err(ExitCode::from(2))
        }
        Err(e) => {
            // Every reason, as `plugin check` lists them; else the load error itself.
            let problems = match rt.inspect(bytes, grants) {
                Ok((report, _)) if !report.problems.is_empty() => report.problems,
                _ => vec![e.to_string()],
            };
            report_refusal(component, &problems, json, grants.history);
            Err(ExitCode::from(2))
        }
    }
}

pub fn test(args: TestArgs) -> Result<ExitCode> {
    let config = parse_config(&args.config)?;
    let files = process::expand(&args.files)?;
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
    let bytes = std::fs::read(&args.component)
        .with_context(|| format!("cannot read `{}`", args.component.display()))?;
    let tenant = process::tenant_context(args.tenant.as_deref(), None)?;
    let rt = setup::runtime(setup::default_cache_dir())?;
    let grants = Grants {
        history: args.grant_history,
    };
    let plugin = match load_rule(&rt, &args.component, &bytes, grants, args.json) {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };

    // The rule's configuration: the tenant file's section, then --config.
    let mut merged: BTreeMap<String, String> = tenant
        .plugin_config
        .get(&plugin.name)
        .map(|c| c.iter().cloned().collect())
        .unwrap_or_default();
    merged.extend(config);
    let caps = Capabilities {
        config: merged.into_iter().collect(),
        history: plugin
            .grants
            .history
            .then(|| tenant.history.clone() as Arc<dyn History>),
        clock_unix_secs: tenant.clock_unix_secs,
    };
    let limits = RuleLimits::default();

    // What the rule declares (the host asks once, with no configuration).
    let declared: Vec<String> = match rt.rules(
        &plugin,
        Capabilities {
            clock_unix_secs: tenant.clock_unix_secs,
            ..Capabilities::default()
        },
        &limits.for_lines(0),
    ) {
        Ok(r) => r.value.into_iter().map(|r| r.id).collect(),
        Err(e) => {
            eprintln!(
                "{}: `rules()` failed [{}]: {e}",
                args.component.display(),
                e.kind()
            );
            return Ok(ExitCode::from(1));
        }
    };
    if !args.json {
        println!(
            "{}: fraud rule `{}` (sha256 {}), declares {}; config: {}",
            args.component.display(),
            plugin.name,
            &plugin.digest[..12],
            if declared.is_empty() {
                "no rules (every finding would be dropped)".to_string()
            } else {
                declared.join(", ")
            },
            if caps.config.is_empty() {
                "none".to_string()
            } else {
                caps.config
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }

    // The built-in parse, classify and extract stages; no built-in rules.
    let mut stages = setup::builtin_plugins(&rt)?;
    stages.fraud.clear();
    let options = PipelineOptions::default();
    let workers = options.workers.clamp(1, files.len());
    let pipeline = setup::pipeline(rt.clone(), stages, options)?;

    let mut reports: Vec<DocReport> = Vec::with_capacity(files.len());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut write_error: Option<std::io::Error> = None;
    let next = std::sync::Mutex::new(files.iter().enumerate());
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Result<Prepared>)>(workers * 2);
    std::thread::scope(|s| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, pipeline, tenant) = (&next, &pipeline, &tenant);
            s.spawn(move || {
                loop {
                    let item = next.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some((i, path)) = item else { break };
                    let prepared =
                        process::read_document(path).map(|doc| pipeline.prepare(tenant, doc));
                    if tx.send((i, prepared)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // The rule runs in input order: with the history grant, later invoices are
        // checked against the earlier ones, as in `papyr process`.
        let mut waiting = BTreeMap::new();
        let mut next_index = 0usize;
        for (i, p) in rx {
            waiting.insert(i, p);
            while let Some(p) = waiting.remove(&next_index) {
                let file = files[next_index].display().to_string();
                let report = run_one(&rt, &plugin, &caps, &limits, &declared, &tenant, file, p);
                if write_error.is_none() {
                    let res = if args.json {
                        print_json(&mut out, &report)
                    } else {
                        print_text(&mut out, &report)
                    };
                    if let Err(e) = res {
                        write_error = Some(e);
                    }
                }
                reports.push(report);
                next_index += 1;
            }
        }
    });
    if let Some(e) = write_error {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(ExitCode::SUCCESS);
        }
        return Err(e.into());
    }
    let summary = summary(&reports);
    if args.json {
        drop(out);
        eprintln!("{summary}");
    } else {
        writeln!(out, "{summary}")?;
        out.flush()?;
    }
    let failed = reports
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Failed { .. }));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Check one prepared document with the rule.
#[allow(clippy::too_many_arguments)] // reason: the run's fixed parts, passed down once
fn run_one(
    rt: &Runtime,
    plugin: &Plugin,
    caps: &Capabilities,
    limits: &RuleLimits,
    declared: &[String],
    tenant: &papyr_runtime::TenantContext,
    file: String,
    prepared: Result<Prepared>,
) -> DocReport {
    let mut report = DocReport {
        file,
        classification: None,
        fuel_limit: limits.fuel_for(0),
        outcome: Outcome::Skipped(String::new()),
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(e) => {
            report.outcome = Outcome::Skipped(format!("{e:#}"));
            return report;
        }
    };
    report.classification = prepared
        .output
        .classification
        .as_ref()
        .map(|c| (c.kind.clone(), c.confidence));
    if let Some(e) = &prepared.output.error {
        report.outcome = Outcome::Skipped(format!("the built-in stages failed: {e}"));
        return report;
    }
    if let Some(reason) = &prepared.needs_ocr {
        report.outcome =
            Outcome::Skipped(format!("no text layer, fraud rules do not run ({reason})"));
        return report;
    }
    let (Some(invoice), Some(parsed), Some(classification)) =
        (prepared.invoice, prepared.parsed, prepared.classification)
    else {
        let kind = report
            .classification
            .as_ref()
            .map_or("unknown".to_string(), |c| c.0.clone());
        report.outcome = Outcome::Skipped(format!("not an invoice ({kind})"));
        return report;
    };
    let call_limits = limits.for_invoice(&invoice);
    report.fuel_limit = call_limits.fuel;
    let input = CheckInput {
        document: prepared.info.clone(),
        parsed,
        classification,
        invoice,
        today: tenant.today,
    };
    let started = Instant::now();
    let result = rt.check(plugin, caps.clone(), &call_limits, &input);
    let wall = started.elapsed();
    report.outcome = match result {
        Ok(c) => {
            let findings: Vec<FindingOut> = c
                .value
                .iter()
                .map(|f| convert::finding(f, &plugin.digest))
                .collect();
            let undeclared: Vec<&str> = findings
                .iter()
                .map(|f| f.rule.as_str())
                .filter(|r| !declared.iter().any(|d| d == r))
                .collect();
            if undeclared.is_empty() {
                Outcome::Checked {
                    findings,
                    fuel: c.stats.fuel_used,
                    elapsed: c.stats.elapsed,
                    logs: c.stats.logs,
                }
            } else {
                Outcome::Failed {
                    kind: "undeclared-rule",
                    message: format!(
                        "returned findings for {}, which `rules()` does not declare; \
                         Papyr drops them",
                        undeclared
                            .iter()
                            .map(|r| format!("`{r}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    fuel: Some(c.stats.fuel_used),
                    elapsed: c.stats.elapsed,
                    findings,
                    logs: c.stats.logs,
                }
            }
        }
        Err(e) => Outcome::Failed {
            kind: e.kind(),
            message: e.to_string(),
            fuel: matches!(
                e,
                CallError::Trap {
                    kind: papyr_runtime::TrapKind::Fuel,
                    ..
                }
            )
            .then_some(call_limits.fuel),
            elapsed: wall,
            findings: vec![],
            logs: vec![],
        },
    };
    if plugin.grants.history {
        remember(tenant, &input);
    }
    report
}

/// Record a checked invoice in the run's history, as `papyr process` does.
fn remember(tenant: &papyr_runtime::TenantContext, input: &CheckInput) {
    let inv = &input.invoice;
    let vendor = tenant.history.find_vendor(&VendorQuery {
        tax_id: inv.vendor.tax_id.clone(),
        iban: None,
        name: inv.vendor.name.clone(),
        domain: None,
    });
    let received = input
        .document
        .origin
        .received_at
        .clone()
        .unwrap_or_else(|| papyr_runtime::pipeline::unix_to_rfc3339(tenant.clock_unix_secs));
    let sha = &input.document.sha256;
    tenant.history.record(convert::past_invoice(
        sha,
        sha,
        &received,
        "pending_approval",
        vendor.map(|v| v.id),
        inv,
    ));
}

/// `1 finding`, `2 findings`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn kind_text(r: &DocReport) -> String {
    r.classification
        .as_ref()
        .map_or("?".into(), |(k, c)| format!("{k} ({c:.2})"))
}

fn print_text(out: &mut impl Write, r: &DocReport) -> std::io::Result<()> {
    match &r.outcome {
        Outcome::Skipped(reason) => {
            writeln!(out, "{}  {}  skipped: {reason}", r.file, kind_text(r))
        }
        Outcome::Checked {
            findings,
            fuel,
            elapsed,
            logs,
        } => {
            writeln!(out, "{}  {}", r.file, kind_text(r))?;
            print_findings(out, findings, logs)?;
            writeln!(
                out,
                "  {} · fuel {fuel} of {} · {}",
                match findings.len() {
                    0 => "no findings".to_string(),
                    1 => "1 finding".to_string(),
                    n => format!("{n} findings"),
                },
                r.fuel_limit,
                millis(*elapsed)
            )
        }
        Outcome::Failed {
            kind,
            message,
            fuel,
            elapsed,
            findings,
            logs,
        } => {
            writeln!(out, "{}  {}", r.file, kind_text(r))?;
            print_findings(out, findings, logs)?;
            writeln!(
                out,
                "  FAILED [{kind}] {message} · fuel {} of {} · {}",
                fuel.map_or("?".to_string(), |f| f.to_string()),
                r.fuel_limit,
                millis(*elapsed)
            )
        }
    }
}

fn print_findings(
    out: &mut impl Write,
    findings: &[FindingOut],
    logs: &[LogLine],
) -> std::io::Result<()> {
    for l in logs {
        writeln!(out, "  log {}: {}", l.level, l.message)?;
    }
    for f in findings {
        let severity = serde_json::to_value(f.severity)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        writeln!(
            out,
            "  ! {severity} {} ({}): {}",
            f.rule, f.score, f.message
        )?;
        for e in &f.evidence {
            let place = if e.page > 0 {
                format!(" (page {}, line {})", e.page, e.line)
            } else {
                String::new()
            };
            writeln!(out, "      {}: {}{place}", e.label, e.value)?;
        }
    }
    Ok(())
}

fn finding_json(f: &FindingOut) -> Value {
    json!({
        "rule": f.rule, "severity": f.severity, "score": f.score, "message": f.message,
        "evidence": f.evidence,
    })
}

fn logs_json(logs: &[LogLine]) -> Value {
    logs.iter()
        .map(|l| json!({"level": l.level, "message": l.message}))
        .collect()
}

fn print_json(out: &mut impl Write, r: &DocReport) -> std::io::Result<()> {
    let classification = r
        .classification
        .as_ref()
        .map(|(k, c)| json!({"kind": k, "confidence": (f64::from(*c) * 1000.0).round() / 1000.0}));
    let value = match &r.outcome {
        Outcome::Skipped(reason) => json!({
            "file": r.file, "classification": classification, "status": "skipped",
            "skipped": reason, "findings": [], "fuel": null, "fuel_limit": null,
            "time_us": null, "error": null, "logs": [],
        }),
        Outcome::Checked {
            findings,
            fuel,
            elapsed,
            logs,
        } => json!({
            "file": r.file, "classification": classification, "status": "checked",
            "skipped": null, "findings": findings.iter().map(finding_json).collect::<Vec<_>>(),
            "fuel": fuel, "fuel_limit": r.fuel_limit,
            "time_us": elapsed.as_micros() as u64, "error": null, "logs": logs_json(logs),
        }),
        Outcome::Failed {
            kind,
            message,
            fuel,
            elapsed,
            findings,
            logs,
        } => json!({
            "file": r.file, "classification": classification, "status": "failed",
            "skipped": null, "findings": findings.iter().map(finding_json).collect::<Vec<_>>(),
            "fuel": fuel, "fuel_limit": r.fuel_limit,
            "time_us": elapsed.as_micros() as u64,
            "error": {"kind": kind, "message": message}, "logs": logs_json(logs),
        }),
    };
    serde_json::to_writer(&mut *out, &value)?;
    writeln!(out)
}

/// `12 documents, 9 invoices checked (3 skipped): 2 findings, 0 failures; rule time
/// median 0.65 ms, max 3.56 ms; max fuel 161263`.
fn summary(reports: &[DocReport]) -> String {
    let mut times = Vec::new();
    let mut max_fuel = 0u64;
    let mut findings = 0usize;
    let mut failures = 0usize;
    for r in reports {
        match &r.outcome {
            Outcome::Skipped(_) => {}
            Outcome::Checked {
                findings: f,
                fuel,
                elapsed,
                ..
            } => {
                times.push(*elapsed);
                max_fuel = max_fuel.max(*fuel);
                findings += f.len();
            }
            Outcome::Failed { fuel, elapsed, .. } => {
                times.push(*elapsed);
                max_fuel = max_fuel.max(fuel.unwrap_or(0));
                failures += 1;
            }
        }
    }
    times.sort();
    let checked = times.len();
    let timing = if times.is_empty() {
        "the rule never ran (no invoice among the documents)".to_string()
    } else {
        format!(
            "rule time median {}, max {}; max fuel {max_fuel}",
            millis(times[(checked - 1) / 2]),
            millis(times[checked - 1])
        )
    };
    format!(
        "{}, {} checked ({} skipped): {}, {}; {timing}",
        plural(reports.len(), "document"),
        plural(checked, "invoice"),
        reports.len() - checked,
        plural(findings, "finding"),
        plural(failures, "failure"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["large-no-po", "a", "rule2", "po-2-check"] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in [
            "", "Large", "2rule", "-a", "a-", "a--b", "a_b", "a b", "fraud", "test", "é",
        ] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert!(validate_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn config_pairs_parse_and_later_values_win() {
        let c = parse_config(&["b=2".into(), "a= x=y".into(), "b=3".into()]).unwrap();
        assert_eq!(
            c.into_iter().collect::<Vec<_>>(),
            vec![("a".into(), " x=y".into()), ("b".into(), "3".into())]
        );
        assert!(parse_config(&["novalue".into()]).is_err());
        assert!(parse_config(&["=v".into()]).is_err());
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_escape(r#"C:\a "b""#), r#"C:\\a \"b\""#);
    }

    #[test]
    fn the_template_has_every_placeholder_replaced() {
        for (path, text) in TEMPLATE {
            let done = text
                .replace("{{name}}", "x")
                .replace("{{crate_name}}", "x")
                .replace("{{sdk_path}}", "/sdk");
            assert!(!done.contains("{{"), "{path} has an unknown placeholder");
        }
    }
}
