//! The Azure backend against a real Azurite emulator.
//!
//! The test starts its own Azurite on a free port through scripts/azurite.sh (which installs
//! the pinned npm package on first use) and stops it at the end, or uses an already running
//! one when PAPYR_TEST_AZURITE_URL is set to its blob endpoint, e.g.
//! `http://127.0.0.1:10000/devstoreaccount1`. Without Node.js the test fails on purpose:
//! CI installs node, and a silently skipped storage test would hide a broken backend.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use papyr_blob::{AzureConfig, AzureStore, BlobError, BlobStore};

/// Azurite's published development account and key (not a secret: documented by Microsoft).
const DEV_ACCOUNT: &str = "devstoreaccount1";
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// A well-formed key that is not the account's.
const WRONG_KEY: &str = "d3Jvbmcga2V5IGZvciBkZXZzdG9yZWFjY291bnQxIHRlc3Rpbmc=";

/// First run installs Azurite with npm, which can take minutes on a busy machine.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(900);

struct Azurite {
    endpoint: String,
    port: Option<u16>,
    log_dir: tempfile::TempDir,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/azurite.sh")
}

impl Azurite {
    fn start() -> Azurite {
        let log_dir = tempfile::tempdir().unwrap();
        if let Ok(endpoint) = std::env::var("PAPYR_TEST_AZURITE_URL") {
            return Azurite {
                endpoint: endpoint.trim_end_matches('/').to_owned(),
                port: None,
                log_dir,
            };
        }
        for tool in ["node", "npm"] {
            let found = Command::new(tool)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(
                found,
                "the Azure blob tests need `{tool}` to run the Azurite emulator \
                 (apt-get install nodejs npm), or PAPYR_TEST_AZURITE_URL set to a running \
                 Azurite blob endpoint such as http://127.0.0.1:10000/devstoreaccount1"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let azurite = Azurite {
            endpoint: format!("http://127.0.0.1:{port}/{DEV_ACCOUNT}"),
            port: Some(port),
            log_dir,
        };
        if let Err(output) = azurite.run_script("start") {
            // Clean up whatever half-started before failing.
            let _ = azurite.run_script("stop");
            panic!("scripts/azurite.sh start failed:\n{output}");
        }
        azurite
    }

    /// Runs the script with a bounded wait; Err carries its combined output.
    fn run_script(&self, action: &str) -> Result<(), String> {
        let port = self.port.expect("only for a self-started Azurite");
        let log = self.log_dir.path().join(format!("{action}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let mut child = Command::new("bash")
            .arg(script())
            .arg(action)
            .env("PAPYR_AZURITE_PORT", port.to_string())
            .env("PAPYR_AZURITE_WAIT", "120")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", script().display()))?;
        let deadline = Instant::now() + SCRIPT_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "timed out after {SCRIPT_TIMEOUT:?}\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        if status.success() {
            Ok(())
        } else {
            Err(format!("{status}\n{output}"))
        }
    }

    fn store(&self, container: &str, key: &str) -> BlobStore {
        BlobStore::from_url(&format!(
            "azure://{DEV_ACCOUNT}/{container}?endpoint={}&key={key}",
            self.endpoint
        ))
        .unwrap()
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        if self.port.is_some()
            && let Err(output) = self.run_script("stop")
        {
            eprintln!("scripts/azurite.sh stop failed:\n{output}");
        }
    }
}

fn unique_container(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "papyr-{tag}-{}-{}",
        std::process::id(),
        nanos % 1_000_000_000
    )
}

/// One emulator for all scenarios: starting Azurite costs seconds, and the harness has no
/// hook to stop a shared one after the last test.
#[test]
fn azure_backend_against_azurite() {
    let azurite = Azurite::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let container = unique_container("t");
        let store = azurite.store(&container, DEV_KEY);
        assert_eq!(
            store.describe(),
            format!("azure blob {}/{container}", azurite.endpoint)
        );

        container_lifecycle(&store).await;
        round_trip(&store).await;
        not_found(&store).await;
        bad_keys(&store).await;
        large_blob(&store).await;
        concurrent_puts(&store).await;
        wrong_key(&azurite, &container).await;
    });
}

async fn container_lifecycle(store: &BlobStore) {
    // Before ensure_ready the container does not exist; health says so precisely.
    let err = store.health().await.unwrap_err();
    assert!(
        matches!(&err, BlobError::Azure { status: 404, code: Some(c), .. } if c == "ContainerNotFound"),
        "{err:?}"
    );
    // Blob operations on a missing container are a configuration error, not "absent".
    let err = store.exists("documents/x").await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    store.ensure_ready().await.unwrap();
    // Idempotent: the second call finds it existing.
    store.ensure_ready().await.unwrap();
    store.health().await.unwrap();
}

async fn round_trip(store: &BlobStore) {
    let key = "documents/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    assert!(!store.exists(key).await.unwrap());
    store
        .put(key, b"%PDF-1.7 invoice", "application/pdf")
        .await
        .unwrap();
    assert!(store.exists(key).await.unwrap());
    assert_eq!(store.get(key).await.unwrap(), b"%PDF-1.7 invoice");
    // Idempotent put, then a replacement.
    store
        .put(key, b"%PDF-1.7 invoice", "application/pdf")
        .await
        .unwrap();
    assert_eq!(store.get(key).await.unwrap(), b"%PDF-1.7 invoice");
    store.put(key, b"v2", "application/pdf").await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), b"v2");

    // Zero-length body: the signed Content-Length must be empty, not "0".
    store.put("reports/empty.pdf", b"", "").await.unwrap();
    assert_eq!(store.get("reports/empty.pdf").await.unwrap(), b"");
    assert!(store.exists("reports/empty.pdf").await.unwrap());

    // All byte values survive unchanged.
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    store
        .put("reports/abc.pdf", &binary, "application/pdf")
        .await
        .unwrap();
    assert_eq!(store.get("reports/abc.pdf").await.unwrap(), binary);
}

async fn not_found(store: &BlobStore) {
    let err = store.get("documents/missing").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(!store.exists("documents/missing").await.unwrap());
}

async fn bad_keys(store: &BlobStore) {
    for key in ["../x", "/x", "A", "a//b", "a/../b"] {
        let err = store.put(key, b"x", "text/plain").await.unwrap_err();
        assert!(matches!(err, BlobError::InvalidKey { .. }), "{key}: {err}");
    }
}

async fn large_blob(store: &BlobStore) {
    let big: Vec<u8> = (0..8 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    store
        .put("reports/big.pdf", &big, "application/pdf")
        .await
        .unwrap();
    let back = store.get("reports/big.pdf").await.unwrap();
    assert_eq!(back.len(), big.len());
    assert!(back == big, "8 MiB blob came back different");
}

async fn concurrent_puts(store: &BlobStore) {
    let key = "documents/concurrent";
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let content = content.clone();
        tasks.push(tokio::spawn(async move {
            store.put(key, &content, "application/octet-stream").await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(store.get(key).await.unwrap(), content);
}

async fn wrong_key(azurite: &Azurite, container: &str) {
    let store = azurite.store(container, WRONG_KEY);
    for err in [
        store
            .put("documents/x", b"x", "text/plain")
            .await
            .unwrap_err(),
        store.get("documents/9f86").await.unwrap_err(),
        store.ensure_ready().await.unwrap_err(),
    ] {
        // Azure answers AuthenticationFailed; Azurite says AuthorizationFailure.
        assert!(
            matches!(&err, BlobError::Azure { status: 403, code: Some(c), .. }
                if c == "AuthenticationFailed" || c == "AuthorizationFailure"),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.starts_with("azure blob "), "{text}");
        assert!(text.contains(": HTTP 403 "), "{text}");
        assert!(text.contains("PAPYR_STORAGE__AZURE_KEY"), "{text}");
        assert!(!text.contains("d3Jvbmcga2V5"), "key leaked: {text}");
    }
    // HEAD answers have no body; the code must still come through (x-ms-error-code).
    let err = store.exists("documents/x").await.unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");
    assert!(!store.describe().contains("d3Jvbmcga2V5"));
}

/// No server at all: fails fast with a transport error, not a hang, after the retries.
/// The https case proves TLS support is compiled in: without it reqwest refuses the URL
/// before connecting, which is not a connect error.
#[test]
fn unreachable_endpoint_is_a_transport_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for scheme in ["http", "https"] {
        let mut config = AzureConfig::new(DEV_ACCOUNT, "papyr", DEV_KEY);
        config.endpoint = Some(format!("{scheme}://127.0.0.1:{port}/{DEV_ACCOUNT}"));
        let store = BlobStore::Azure(AzureStore::new(config).unwrap());
        let started = Instant::now();
        let err = runtime.block_on(store.health()).unwrap_err();
        match &err {
            BlobError::Transport {
                timeout: false,
                source,
                ..
            } => assert!(source.is_connect(), "{scheme}: {source:?}"),
            other => panic!("{scheme}: {other:?}"),
        }
        assert!(
            err.to_string()
                .starts_with("azure blob get container properties failed: no response"),
            "{err}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
    }
}
