//! `papyr bench api`: requests per second and latency percentiles of the REST API's
//! two hottest reads — listing invoices and fetching one — with a large tenant
//! (100,000 invoices by default) on SQLite and on PostgreSQL, measured with `wrk`
//! over loopback.
//!
//! The data is real pipeline output: a generated set goes through `papyr serve`
//! first, then its rows (documents, invoices, findings, stage results, audit) are
//! copied under new ids until the tenant holds the requested number of invoices.
use super::bench::BenchArgs;
use anyhow::{Context, Result, bail};
use papyr_store::Db;
use papyr_testgen::{Options, Preset, Split};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Documents processed for real before copying.
const BASE_DOCS: usize = 200;

pub fn api_bench(args: &BenchArgs, tmp: &Path) -> Result<()> {
    println!(
        "\n== REST API (wrk over loopback, {} invoices) ==",
        args.api_invoices
    );
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("`wrk` is not installed: `cargo xtask bench` installs it (apt-get install wrk)");
    }
    let set = tmp.join("api-set");
    if !set.join("truth.jsonl").exists() {
        papyr_testgen::generate(&Options {
            seed: args.seed + 7,
            count: BASE_DOCS,
            out_dir: set.clone(),
            split: Split::Dev,
            preset: Preset::Full,
        })?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    for postgres in [false, true] {
        let label = if postgres { "PostgreSQL" } else { "SQLite" };
        let root = tmp.join(format!("api-{label}"));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root)?;
        let db_url = rt.block_on(database_url(args, &root, postgres))?;
        // 1. Real pipeline output for the base set.
        let inbox = root.join("inbox");
        std::fs::create_dir_all(&inbox)?;
        for e in std::fs::read_dir(&set)? {
            let e = e?;
            let name = e.file_name();
            if name != "truth.jsonl" && name != "tenant.json" {
                std::fs::copy(e.path(), inbox.join(&name))?;
            }
        }
        let t = Instant::now();
        let status = serve_command(&root, &db_url, tmp, 0)
            .env("PAPYR_INTAKE__WATCH_DIR", &inbox)
            .env("PAPYR_WORKERS__COUNT", "2")
            .arg("--exit-when-idle")
            .status()
            .context("cannot run papyr serve")?;
        if !status.success() {
            bail!("{label}: papyr serve failed on the base set");
        }
        // 2. Copies up to the requested size.
        let (tenant, count) = rt.block_on(multiply(&db_url, args.api_invoices))?;
        println!(
            "{label}: {count} documents in the tenant (base set processed and copied in {:.0} s)",
            t.elapsed().as_secs_f64()
        );
        // 3. The API under load.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        std::fs::create_dir_all(root.join("empty-inbox"))?;
        let child = serve_command(&root, &db_url, tmp, port)
            .env("PAPYR_WORKERS__COUNT", "0")
            .env("PAPYR_INTAKE__WATCH_DIR", root.join("empty-inbox"))
            .spawn()
            .context("cannot start papyr serve")?;
        let _guard = KillOnDrop(child);
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&base)?;
        let ids = rt.block_on(sample_ids(&db_url, &tenant, 1000))?;
        let script = root.join("one.lua");
        std::fs::write(&script, lua_pick(&ids))?;
        for (what, url, script) in [
            (
                "list invoices (50 per page, newest first)",
                format!("{base}/v1/invoices?limit=50"),
                None,
            ),
            (
                "list invoices filtered (status + amount range)",
                format!(
                    "{base}/v1/invoices?limit=50&status=pending_approval&amount_min=100.00&amount_max=5000.00"
                ),
                None,
            ),
            (
                "fetch one invoice (1,000 random ids)",
                format!("{base}/v1/invoices"),
                Some(&script),
            ),
        ] {
            let r = wrk(&url, script.map(|p| p.as_path()))?;
            println!(
                "{label:<11} {what:<48} {:>8.0} requests/s   latency median {}  p99 {}   ({} non-2xx)",
                r.rps, r.p50, r.p99, r.non_2xx
            );
        }
    }
    Ok(())
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_command(root: &Path, db_url: &str, tmp: &Path, port: u16) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap_or_else(|_| "papyr".into()));
    cmd.arg("serve")
        .env("PAPYR_DATA__DIR", root.join("data"))
        .env("PAPYR_DATA__CACHE_DIR", tmp.join("cache"))
        .env("PAPYR_SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("PAPYR_DATABASE__URL", db_url)
        .env("PAPYR_STORAGE__URL", root.join("blobs"))
        .env("PAPYR_DEMO__ENABLED", "false")
        .env("PAPYR_API__AUTH", "local")
        // The benchmark measures the API, not the rate limiter.
        .env("PAPYR_API__RATE_LIMIT_PER_MINUTE", "100000000")
        .env("PAPYR_API__RATE_LIMIT_BURST", "100000000")
        .env("PAPYR_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

async fn database_url(args: &BenchArgs, root: &Path, postgres: bool) -> Result<String> {
    if !postgres {
        return Ok(format!("sqlite://{}", root.join("papyr.db").display()));
    }
    let admin = Db::connect(&format!("{}/test", args.postgres), 2).await?;
    let name = format!("papyr_bench_api_{}", std::process::id());
    admin
        .raw_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin
        .raw_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await;
    Ok(format!("{}/{name}", args.postgres))
}

/// Copy the processed documents under new ids until the tenant holds `target`
/// documents; returns the tenant id and the final count.
async fn multiply(db_url: &str, target: usize) -> Result<(String, i64)> {
    let db = Db::connect(db_url, 2).await?;
    let (tenant, base): (String, i64) = {
        let rows = db.status_counts().await?;
        let base: i64 = rows.iter().map(|(_, n)| n).sum();
        let tenants = db.list_tenants().await?;
        let t = tenants
            .into_iter()
            .next()
            .context("the base run created no tenant")?;
        (t.id, base)
    };
    if base == 0 {
        bail!("the base run processed no documents");
    }
    let copies = ((target as i64 - base).max(0) as u64).div_ceil(base as u64) as i64;
    // Literal SQL: every value here is generated by this function, not input.
    let doc_cols = "tenant_id, sha256, filename, media_type, size, blob_key, message_id, origin, channel, status, kind, decision, risk_score, error, received_at, updated_at, version, uploaded_by, approvals_needed, exported_at";
    for k in 1..=copies {
        let sfx = format!("'-c{k}'");
        // Each copy arrives a minute later than the previous one.
        let shift = k * 60_000;
        let statements = [
            format!(
                "INSERT INTO documents (id, {doc_cols}) SELECT id || {sfx}, tenant_id, sha256 || {sfx}, filename, media_type, size, blob_key, NULL, origin, channel, status, kind, decision, risk_score, error, received_at + {shift}, updated_at + {shift}, version, uploaded_by, approvals_needed, exported_at FROM documents WHERE id NOT LIKE '%-c%'"
            ),
            format!(
                "INSERT INTO invoices (document_id, tenant_id, vendor_id, vendor_name, vendor_tax_id, invoice_number, issue_date, currency, gross_minor, iban, fields, invoice, created_at) SELECT document_id || {sfx}, tenant_id, vendor_id, vendor_name, vendor_tax_id, invoice_number || {sfx}, issue_date, currency, gross_minor + {k}, iban, fields, invoice, created_at + {shift} FROM invoices WHERE document_id NOT LIKE '%-c%'"
            ),
            format!(
                "INSERT INTO findings (tenant_id, document_id, rule, severity, score, message, evidence, plugin) SELECT tenant_id, document_id || {sfx}, rule, severity, score, message, evidence, plugin FROM findings WHERE document_id NOT LIKE '%-c%'"
            ),
            format!(
                "INSERT INTO stage_results (document_id, stage, tenant_id, worker, attempt, result, plugins, duration_us, completed_at) SELECT document_id || {sfx}, stage, tenant_id, worker, attempt, result, plugins, duration_us, completed_at + {shift} FROM stage_results WHERE document_id NOT LIKE '%-c%'"
            ),
            format!(
                "INSERT INTO audit_log (tenant_id, document_id, at, actor, action, detail) SELECT tenant_id, document_id || {sfx}, at + {shift}, actor, action, detail FROM audit_log WHERE document_id IS NOT NULL AND document_id NOT LIKE '%-c%'"
            ),
        ];
        for sql in statements {
            db.raw_execute(&sql)
                .await
                .with_context(|| format!("copying the base set (copy {k})"))?;
        }
    }
    if db.backend() == papyr_store::Backend::Sqlite {
        db.raw_execute("ANALYZE").await?;
    } else {
        db.raw_execute("VACUUM ANALYZE").await?;
    }
    let total: i64 = db.status_counts().await?.iter().map(|(_, n)| n).sum();
    db.close().await;
    Ok((tenant, total))
}

async fn sample_ids(db_url: &str, tenant: &str, n: i64) -> Result<Vec<String>> {
    let db = Db::connect(db_url, 2).await?;
    let page = db.documents(tenant, 1_000_000).await?;
    db.close().await;
    let step = (page.len() / n.max(1) as usize).max(1);
    Ok(page.into_iter().step_by(step).map(|d| d.id).collect())
}

/// A wrk script that requests `/v1/invoices/<id>` for ids taken in turn.
fn lua_pick(ids: &[String]) -> String {
    let list = ids
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "local ids = {{{list}}}\nlocal i = 0\nrequest = function()\n  i = i % #ids + 1\n  return wrk.format(\"GET\", wrk.path .. \"/\" .. ids[i])\nend\n\
         done = function(summary, latency, requests)\n  io.write(string.format(\"NON2XX %d\\n\", summary.errors.status))\nend\n"
    )
}

fn wait_ready(base: &str) -> Result<()> {
    let addr = base.trim_start_matches("http://").to_string();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
            use std::io::{Read, Write};
            let _ = s.write_all(b"GET /readyz HTTP/1.0\r\n\r\n");
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            if out.starts_with("HTTP/1.0 200") || out.starts_with("HTTP/1.1 200") {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("papyr serve at {base} did not become ready within 60 s")
}

struct WrkResult {
    rps: f64,
    p50: String,
    p99: String,
    non_2xx: u64,
}

fn wrk(url: &str, script: Option<&Path>) -> Result<WrkResult> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c16", "-d10s", "--latency"]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd.arg(url).output().context("cannot run wrk")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix).map(|v| v.trim().to_string()))
    };
    let rps = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no requests/s in wrk's output:\n{text}"))?;
    let non_2xx = field("Non-2xx or 3xx responses:")
        .or_else(|| field("NON2XX"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(WrkResult {
        rps,
        p50: field("50%").unwrap_or_default(),
        p99: field("99%").unwrap_or_default(),
        non_2xx,
    })
}
