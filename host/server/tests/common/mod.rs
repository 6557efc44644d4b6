//! Running real `papyr serve` processes against real databases and storage.
#![allow(dead_code)] // reason: each test binary uses a different part of this module

use papyr_store::Db;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const FINAL: &[&str] = &[
    "not_an_invoice",
    "auto_approved",
    "pending_approval",
    "on_hold",
    "failed",
];

/// Azurite's published development account key (documented, not a secret).
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn pg_server() -> String {
    std::env::var("PAPYR_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A fresh PostgreSQL database; returns its URL.
pub async fn fresh_pg(name: &str) -> String {
    let admin = Db::connect(&format!("{}/test", pg_server()), 2)
        .await
        .expect("PostgreSQL on 127.0.0.1:5432 (.ci/run starts it)");
    let db = format!("papyr_s_{name}_{}", std::process::id());
    admin
        .raw_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .await
        .unwrap();
    admin
        .raw_execute(&format!("CREATE DATABASE {db}"))
        .await
        .unwrap();
    admin.close().await;
    format!("{}/{db}", pg_server())
}

/// Where a service instance keeps things, and how to reach its dependencies.
#[derive(Clone)]
pub struct Setup {
    pub data: PathBuf,
    pub watch: PathBuf,
    pub db_url: String,
    pub storage_url: String,
    pub azure_key: Option<String>,
    pub lease_secs: u64,
    pub workers: usize,
}

impl Setup {
    pub fn new(root: &Path, db_url: Option<String>, storage_url: Option<String>) -> Setup {
        let data = root.join("data");
        let watch = root.join("inbox");
        std::fs::create_dir_all(&watch).unwrap();
        Setup {
            db_url: db_url
                .unwrap_or_else(|| format!("sqlite://{}", root.join("papyr.db").display())),
            storage_url: storage_url.unwrap_or_else(|| root.join("blobs").display().to_string()),
            azure_key: None,
            data,
            watch,
            lease_secs: 2,
            workers: 2,
        }
    }

    pub fn command(&self, port: u16) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_papyr"));
        c.arg("serve")
            .env("PAPYR_DATA__DIR", &self.data)
            .env(
                "PAPYR_DATA__CACHE_DIR",
                std::env::temp_dir().join("papyr-test-cache"),
            )
            .env("PAPYR_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("PAPYR_DATABASE__URL", &self.db_url)
            .env("PAPYR_STORAGE__URL", &self.storage_url)
            .env("PAPYR_INTAKE__WATCH_DIR", &self.watch)
            .env("PAPYR_INTAKE__POLL_MS", "100")
            .env("PAPYR_WORKERS__POLL_MS", "20")
            .env("PAPYR_WORKERS__LEASE_SECS", self.lease_secs.to_string())
            .env("PAPYR_WORKERS__COUNT", self.workers.to_string())
            .env("PAPYR_WORKERS__SHUTDOWN_GRACE_SECS", "5")
            .env("PAPYR_DEMO__ENABLED", "false")
            .env("PAPYR_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(k) = &self.azure_key {
            c.env("PAPYR_STORAGE__AZURE_KEY", k);
        }
        c
    }

    pub fn start(&self) -> Service {
        let port = free_port();
        let mut cmd = self.command(port);
        cmd.stderr(Stdio::null());
        let child = cmd.spawn().expect("spawn papyr serve");
        let s = Service { child, port };
        s.wait_healthy();
        s
    }

    pub async fn db(&self) -> Db {
        Db::connect(&self.db_url, 2).await.unwrap()
    }
}

pub struct Service {
    pub child: Child,
    pub port: u16,
}

impl Service {
    /// GET a path; (status, body).
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect_timeout(
            &format!("127.0.0.1:{}", self.port).parse().unwrap(),
            Duration::from_secs(2),
        )
        .ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut buf = String::new();
        s.read_to_string(&mut buf).ok()?;
        let status = buf.split_whitespace().nth(1)?.parse().ok()?;
        let body = buf
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Some((status, body))
    }

    pub fn wait_healthy(&self) {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(120) {
            if self.get("/healthz").is_some_and(|(s, _)| s == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("papyr serve did not answer /healthz within 120 s");
    }

    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn sigterm(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Generate `count` documents and drop them into the watch folder (atomically:
/// written aside, then renamed in). Returns the distinct file hashes.
pub fn feed(
    setup: &Setup,
    seed: u64,
    count: usize,
    preset: papyr_testgen::Preset,
) -> BTreeSet<String> {
    let stage = setup.watch.parent().unwrap().join(format!("gen-{seed}"));
    papyr_testgen::generate(&papyr_testgen::Options {
        seed,
        count,
        out_dir: stage.clone(),
        split: papyr_testgen::Split::Dev,
        preset,
    })
    .unwrap();
    let mut hashes = BTreeSet::new();
    let mut names: Vec<_> = std::fs::read_dir(&stage)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    // Sidecars first, so a document never arrives without its email context.
    names.sort_by_key(|p| !p.to_string_lossy().ends_with(".origin.json"));
    for p in names {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name == "truth.jsonl" || name == "tenant.json" {
            continue;
        }
        if !name.ends_with(".json") {
            hashes.insert(papyr_runtime::registry::sha256_hex(
                &std::fs::read(&p).unwrap(),
            ));
        }
        std::fs::rename(&p, setup.watch.join(&name)).unwrap();
    }
    hashes
}

/// Wait until every document is final and no job is left.
pub async fn wait_done(db: &Db, expected_docs: usize, timeout: Duration) {
    let t = Instant::now();
    loop {
        let counts = db.status_counts().await.unwrap_or_default();
        let total: i64 = counts.iter().map(|(_, n)| n).sum();
        let finals: i64 = counts
            .iter()
            .filter(|(s, _)| FINAL.contains(&s.as_str()))
            .map(|(_, n)| n)
            .sum();
        let jobs = db.pending_jobs().await.unwrap_or(1);
        if total as usize == expected_docs && finals == total && jobs == 0 {
            return;
        }
        assert!(
            t.elapsed() < timeout,
            "not done after {timeout:?}: {counts:?}, {jobs} jobs left, expected {expected_docs} documents"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The guarantees: every document once, final, each stage result once, each
/// decision once, nothing left in the queue.
pub async fn assert_exactly_once(db: &Db, expected_docs: usize) {
    let counts = db.status_counts().await.unwrap();
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total as usize, expected_docs, "documents: {counts:?}");
    for (s, _) in &counts {
        assert!(
            FINAL.contains(&s.as_str()),
            "a document is not final: {counts:?}"
        );
    }
    assert_eq!(db.pending_jobs().await.unwrap(), 0);
    assert!(
        db.stage_result_counts()
            .await
            .unwrap()
            .iter()
            .all(|(_, _, n)| *n == 1)
    );
    let mut per_doc: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (d, a, n) in db.audit_action_counts().await.unwrap() {
        per_doc.insert((d, a), n);
    }
    for ((doc, action), n) in &per_doc {
        if action == "received"
            || action.starts_with("decision:")
            || action == "report-rendered"
            || action == "extracted"
            || action == "checked"
        {
            assert_eq!(*n, 1, "{doc}: `{action}` recorded {n} times");
        }
    }
    let received = per_doc.keys().filter(|(_, a)| a == "received").count();
    assert_eq!(received, expected_docs);
}

/// An Azurite emulator on a free port for one test, stopped on drop.
pub struct Azurite {
    pub port: u16,
    state: tempfile::TempDir,
}

fn azurite_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/azurite.sh")
}

impl Azurite {
    pub fn start() -> Azurite {
        let port = free_port();
        let state = tempfile::tempdir().unwrap();
        let out = Command::new("bash")
            .arg(azurite_script())
            .arg("start")
            .env("PAPYR_AZURITE_PORT", port.to_string())
            .env("PAPYR_AZURITE_STATE", state.path())
            .output()
            .expect("run scripts/azurite.sh (needs node and npm)");
        assert!(
            out.status.success(),
            "Azurite did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Azurite { port, state }
    }

    pub fn storage_url(&self, container: &str) -> String {
        format!(
            "azure://devstoreaccount1/{container}?endpoint=http://127.0.0.1:{}/devstoreaccount1",
            self.port
        )
    }

    fn pid(&self) -> String {
        std::fs::read_to_string(self.state.path().join("azurite.pid"))
            .unwrap()
            .trim()
            .to_string()
    }

    /// Freeze the emulator: connections hang, as in a network outage; nothing is lost.
    pub fn pause(&self) {
        assert!(
            Command::new("kill")
                .args(["-STOP", &self.pid()])
                .status()
                .unwrap()
                .success()
        );
    }

    pub fn resume(&self) {
        assert!(
            Command::new("kill")
                .args(["-CONT", &self.pid()])
                .status()
                .unwrap()
                .success()
        );
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-CONT", &self.pid()]).status();
        let _ = Command::new("bash")
            .arg(azurite_script())
            .arg("stop")
            .env("PAPYR_AZURITE_PORT", self.port.to_string())
            .env("PAPYR_AZURITE_STATE", self.state.path())
            .output();
    }
}

impl Setup {
    /// Start once to create the schema, stop, and return a handle on the database.
    pub async fn db_after_start(&self) -> Db {
        self.start().kill9();
        self.db().await
    }
}
