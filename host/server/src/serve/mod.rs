//! `papyr serve`: the durable pipeline service. Workers claim stage jobs from the
//! database with a lease, documents and reports live in object storage, the watch
//! folder takes files in, and an HTTP server answers the REST API, health,
//! readiness and metrics.
// The API lives in src/api/ but belongs to the service: it shares its state and intake.
#[path = "../api/mod.rs"]
pub mod api;
pub mod config;
mod http;
mod intake;
mod metrics;
pub mod plugins;
mod samples;
mod stages;
mod worker;

use crate::setup;
use anyhow::{Context, Result, bail};
use config::Config;
use papyr_blob::BlobStore;
use papyr_domain::TenantFile;
use papyr_runtime::{Pipeline, PipelineOptions};
use papyr_store::{Db, VendorRow};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file (see docs/serve.md); environment variables
    /// `PAPYR_<SECTION>__<KEY>` override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address of the HTTP server (overrides `server.listen`).
    #[arg(long)]
    pub listen: Option<String>,
    /// Data folder for the embedded defaults (overrides `data.dir`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Stage workers in this process (overrides `workers.count`).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Exit once the watch folder is empty and every document is in a final state
    /// (for batch runs and tests).
    #[arg(long)]
    pub exit_when_idle: bool,
}

/// What every worker, the intake and the HTTP server share.
pub struct Shared {
    pub cfg: Config,
    pub db: Db,
    pub blob: BlobStore,
    pub pipeline: Arc<Pipeline>,
    pub metrics: metrics::Metrics,
    /// Tenant plugins: loaded components and per-version statistics.
    pub plugins: plugins::PluginHost,
    /// `<host>-<pid>`: worker ids are this plus `-w<n>`.
    pub worker_prefix: String,
    /// Tenant settings and vendor masters, refreshed every few seconds.
    pub tenants: std::sync::Mutex<
        std::collections::HashMap<String, (std::time::Instant, Arc<stages::TenantData>)>,
    >,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    rt.block_on(serve(args))
}

fn load_config(args: &ServeArgs) -> Result<Config> {
    let mut cfg = Config::load(args.config.as_deref(), std::env::vars())?;
    if let Some(l) = &args.listen {
        cfg.server.listen = l.clone();
    }
    if let Some(d) = &args.data_dir {
        cfg.data.dir = d.clone();
    }
    if let Some(w) = args.workers {
        cfg.workers.count = w;
    }
    // The command line may have changed what was valid (local mode on --listen 0.0.0.0).
    cfg.validate()?;
    Ok(cfg)
}

/// Check that the data folder can be written, with one line that says what to fix.
fn prepare_data_dir(cfg: &Config) -> Result<()> {
    let dir = &cfg.data.dir;
    let probe = dir.join(".write-probe");
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&probe, b"ok"))
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| anyhow::anyhow!("data directory {} is not writable ({e}): set PAPYR_DATA__DIR or --data-dir to a writable folder", dir.display()))?;
    std::fs::create_dir_all(cfg.watch_dir()).with_context(|| {
        format!(
            "cannot create the watch folder {}",
            cfg.watch_dir().display()
        )
    })?;
    Ok(())
}

async fn serve(args: ServeArgs) -> Result<ExitCode> {
    let cfg = load_config(&args)?;
    prepare_data_dir(&cfg)?;
    let db_url = cfg.database_url();
    let db = Db::connect(&db_url, cfg.database.max_connections)
        .await
        .context("check PAPYR_DATABASE__URL")?;
    db.migrate()
        .await
        .context("failed to prepare the database schema")?;
    let blob = BlobStore::from_url(&cfg.storage_url()).context("check PAPYR_STORAGE__URL")?;
    blob.ensure_ready()
        .await
        .with_context(|| format!("object storage ({}) is not usable", blob.describe()))?;

    let runtime = setup::runtime(Some(cfg.cache_dir()))?;
    let plugins = setup::builtin_plugins(&runtime)?;
    // Stage parallelism comes from the workers; each stage call runs on one thread.
    let pipeline = Arc::new(setup::pipeline(
        runtime,
        plugins,
        PipelineOptions {
            workers: 1,
            render_report: false,
            ..PipelineOptions::default()
        },
    )?);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "papyr".into());
    let shared = Arc::new(Shared {
        worker_prefix: format!("{host}-{}", std::process::id()),
        cfg: cfg.clone(),
        db,
        blob,
        pipeline,
        metrics: metrics::Metrics::default(),
        plugins: Default::default(),
        tenants: Default::default(),
    });
    if cfg.demo.enabled {
        seed_demo(&shared)
            .await
            .context("failed to set up the demo tenant")?;
    }

    let (phase_tx, phase) = tokio::sync::watch::channel(0u8);
    let api_state = api::ApiState::new(shared.clone(), phase.clone()).await?;

    let listener = tokio::net::TcpListener::bind(&cfg.server.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (set PAPYR_SERVER__LISTEN or --listen)",
                cfg.server.listen
            )
        })?;
    tracing::info!(
        listen = %cfg.server.listen,
        database = %papyr_store::redact_url(&db_url),
        storage = %shared.blob.describe(),
        workers = cfg.workers.count,
        watch = %cfg.watch_dir().display(),
        "papyr serve started"
    );
    eprintln!(
        "papyr serve: http://{} (API /v1 with {} auth, openapi.json, healthz, readyz, metrics); watching {}; database {}; storage {}",
        cfg.server.listen,
        match cfg.api.auth {
            config::AuthMode::Local => "local",
            config::AuthMode::Oidc => "OIDC",
        },
        cfg.watch_dir().display(),
        papyr_store::redact_url(&db_url),
        shared.blob.describe()
    );

    let app = http::router(shared.clone(), api::router(api_state));
    let mut http_phase = phase.clone();
    let http_task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                while *http_phase.borrow() < 2 {
                    if http_phase.changed().await.is_err() {
                        break;
                    }
                }
            })
            .await;
    });
    let intake_task = tokio::spawn(intake::run(shared.clone(), phase.clone()));
    let workers: Vec<_> = (0..cfg.workers.count)
        .map(|n| tokio::spawn(worker::run(shared.clone(), n, phase.clone())))
        .collect();

    if args.exit_when_idle {
        wait_idle(&shared).await;
    } else {
        shutdown_signal().await;
        eprintln!(
            "papyr serve: shutting down (finishing in-flight stages for up to {} s)",
            cfg.workers.shutdown_grace_secs
        );
    }
    let _ = phase_tx.send(1);
    let _ = intake_task.await;
    let grace = Duration::from_secs(cfg.workers.shutdown_grace_secs);
    let all = futures_join(workers);
    if tokio::time::timeout(grace, all).await.is_err() {
        let _ = phase_tx.send(2);
    }
    let _ = phase_tx.send(2);
    let _ = http_task.await;
    shared.db.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn futures_join(handles: Vec<tokio::task::JoinHandle<()>>) {
    for h in handles {
        let _ = h.await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = ctrl_c.await;
            return;
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}

/// For `--exit-when-idle`: the watch folder is empty and no job is left, twice in a row.
async fn wait_idle(shared: &Arc<Shared>) {
    let mut quiet = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let inbox_empty = intake_pending(shared).await == 0;
        let jobs = shared.db.pending_jobs().await.unwrap_or(1);
        quiet = if inbox_empty && jobs == 0 {
            quiet + 1
        } else {
            0
        };
        if quiet >= 3 {
            return;
        }
    }
}

async fn intake_pending(shared: &Arc<Shared>) -> usize {
    fn count(dir: &std::path::Path, depth: u8) -> usize {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return 0;
        };
        rd.filter_map(|e| e.ok())
            .map(|e| {
                let path = e.path();
                if path.is_dir() && depth == 0 && !e.file_name().to_string_lossy().starts_with('.')
                {
                    count(&path, 1)
                } else {
                    (path.is_file() && intake::is_candidate(&path)) as usize
                }
            })
            .sum()
    }
    count(&shared.cfg.watch_dir(), 0)
}

/// Create the demo tenant from the bundled tenant file, import its vendor master,
/// and on first start drop the bundled samples into its inbox.
async fn seed_demo(shared: &Arc<Shared>) -> Result<()> {
    let Some(bytes) = samples::tenant_file() else {
        bail!("the binary carries no sample tenant file")
    };
    let file = TenantFile::from_json(std::str::from_utf8(bytes).unwrap_or("{}"))?;
    let mut settings = file.clone();
    settings.vendors.clear();
    let tenant_id = shared
        .db
        .ensure_tenant(
            &shared.cfg.demo.tenant,
            &file.name,
            &serde_json::to_string(&settings)?,
        )
        .await?;
    for v in &file.vendors {
        let row = VendorRow {
            id: format!("{tenant_id}:{}", v.id),
            name: v.name.clone(),
            country: v.country.clone(),
            tax_ids: v.tax_ids.clone(),
            ibans: v
                .ibans
                .iter()
                .map(|i| papyr_runtime::convert::norm_iban(i))
                .collect(),
            domains: v.domains.clone(),
            created_at: 0,
            updated_at: 0,
        };
        shared
            .db
            .upsert_vendor(&tenant_id, &row, "demo-import")
            .await?;
    }
    let marker = shared.cfg.data.dir.join(".demo-samples-delivered");
    if !marker.exists() {
        let inbox = shared.cfg.watch_dir();
        for (name, bytes) in samples::documents() {
            std::fs::write(inbox.join(name), bytes)
                .with_context(|| format!("cannot write sample {name} into {}", inbox.display()))?;
        }
        std::fs::write(
            &marker,
            b"the bundled samples were copied into the inbox once\n",
        )?;
        eprintln!(
            "papyr serve: copied {} bundled sample files into {}",
            samples::documents().count(),
            inbox.display()
        );
    }
    Ok(())
}
