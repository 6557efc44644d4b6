//! A harness for the REST API: a real `papyr serve` on a free loopback port against
//! a fresh SQLite or PostgreSQL database, an HTTP client, multipart bodies, and an
//! identity provider (an Ed25519 signing key and its JWKS on a loopback port).
#![allow(dead_code)] // reason: each test uses a different part of the harness

use crate::common::{Service, Setup, free_port, fresh_pg};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use papyr_store::Db;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running service with its API.
pub struct Api {
    pub svc: Service,
    pub setup: Setup,
    pub base: String,
    pub client: reqwest::Client,
    _root: tempfile::TempDir,
}

/// Start `papyr serve` with `env` on top of the test defaults (demo tenant off,
/// fast polling, local storage).
pub async fn spawn(backend: Backend, name: &str, env: &[(&str, &str)]) -> Api {
    let root = tempfile::tempdir().unwrap();
    let db_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_pg(&format!("api_{name}")).await),
    };
    let setup = Setup::new(root.path(), db_url, None);
    let port = free_port();
    let mut cmd = setup.command(port);
    cmd.env("PAPYR_API__EVENTS_POLL_MS", "100");
    // The server's log, for debugging a failure: `PAPYR_TEST_SERVER_LOG=<folder>`.
    match std::env::var_os("PAPYR_TEST_SERVER_LOG") {
        Some(dir) => {
            let path = std::path::Path::new(&dir).join(format!("{name}-{port}.log"));
            cmd.stderr(std::fs::File::create(path).expect("server log file"));
        }
        None => {
            cmd.stderr(std::process::Stdio::null());
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawn papyr serve");
    let svc = Service { child, port };
    svc.wait_healthy();
    Api {
        svc,
        setup,
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        _root: root,
    }
}

/// Run `papyr serve` expecting it to refuse to start; its one line of stderr.
pub fn start_error(env: &[(&str, &str)], args: &[&str]) -> String {
    let root = tempfile::tempdir().unwrap();
    let setup = Setup::new(root.path(), None, None);
    let mut cmd = setup.command(free_port());
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "must refuse to start");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one clear line, got:\n{stderr}");
    lines[0].to_string()
}

/// A response read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }

    /// Asserts a problem-details answer with this status; returns the problem.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(
            p["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:papyr:problem:"),
            "{p}"
        );
        assert!(p["title"].is_string(), "{p}");
        p
    }
}

impl Api {
    pub async fn db(&self) -> Db {
        self.setup.db().await
    }

    pub async fn send(&self, req: reqwest::RequestBuilder, token: Option<&str>) -> Answer {
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let res = req.send().await.unwrap();
        Answer {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.bytes().await.unwrap().to_vec(),
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(self.client.get(format!("{}{path}", self.base)), token)
            .await
    }

    /// `POST /v1/invoices` with one `file` part per (name, bytes).
    pub async fn upload(&self, files: &[(&str, &[u8])], token: Option<&str>) -> Answer {
        let (content_type, body) = multipart(files);
        let req = self
            .client
            .post(format!("{}/v1/invoices", self.base))
            .header("content-type", content_type)
            .body(body);
        self.send(req, token).await
    }

    /// The tenant of local mode (the demo tenant's id).
    pub async fn demo_tenant(&self) -> String {
        self.db()
            .await
            .ensure_tenant("demo", "demo", "{}")
            .await
            .unwrap()
    }

    /// A tenant (created if missing) and an API key of it with `roles`; the bearer token.
    pub async fn api_key(&self, tenant_slug: &str, roles: &[&str]) -> (String, String) {
        let db = self.db().await;
        let tenant = db
            .ensure_tenant(tenant_slug, tenant_slug, "{}")
            .await
            .unwrap();
        let key = papyr_auth::ApiKey::generate();
        db.create_api_key(
            &tenant,
            &papyr_store::NewApiKey {
                id: key.key_id.clone(),
                name: format!("test key {}", key.key_id),
                hash: key.hash.clone(),
                roles: roles.iter().map(|r| r.to_string()).collect(),
            },
            papyr_store::api::access::Actor::Operator,
        )
        .await
        .unwrap();
        db.close().await;
        (tenant, key.secret_plaintext)
    }

    /// Wait until the document is in one of the final states; returns its status.
    pub async fn wait_final(&self, tenant: &str, id: &str, timeout: Duration) -> String {
        let db = self.db().await;
        let t = Instant::now();
        loop {
            if let Some(d) = db.document(tenant, id).await.unwrap()
                && crate::common::FINAL.contains(&d.status.as_str())
                && db.pending_jobs().await.unwrap() == 0
            {
                db.close().await;
                return d.status;
            }
            assert!(t.elapsed() < timeout, "{id} not final after {timeout:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A multipart/form-data body; (content type, bytes).
pub fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "papyr-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, bytes) in files {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").unwrap();
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub fn sample(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../samples")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A valid 1×1 PNG.
pub fn tiny_png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
        .unwrap()
}

/// An identity provider: signs tokens with an Ed25519 key and serves its JWKS on a
/// loopback port until dropped.
pub struct Idp {
    key: Ed25519KeyPair,
    pub issuer: String,
    pub audience: String,
    pub jwks_url: String,
    stop: Arc<AtomicBool>,
}

impl Idp {
    pub fn start() -> Idp {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let jwks = json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": "test-1",
            "x": URL_SAFE_NO_PAD.encode(key.public_key().as_ref()),
        }]})
        .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut buf = [0u8; 4096];
                        let _ = s.read(&mut buf);
                        let _ = write!(
                            s,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{jwks}",
                            jwks.len()
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Idp {
            key,
            issuer: "https://idp.test/realms/papyr".into(),
            audience: "papyr-api".into(),
            jwks_url: format!("http://127.0.0.1:{port}/jwks"),
            stop,
        }
    }

    /// The service settings that trust this provider.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PAPYR_API__AUTH", "oidc".into()),
            ("PAPYR_API__OIDC_ISSUER", self.issuer.clone()),
            ("PAPYR_API__OIDC_AUDIENCE", self.audience.clone()),
            ("PAPYR_API__OIDC_JWKS_URL", self.jwks_url.clone()),
        ]
    }

    /// A signed token for `sub` in tenant `tenant_slug` with `roles`; `extra`
    /// overrides or adds claims.
    pub fn token(&self, sub: &str, tenant_slug: &str, roles: &[&str], extra: Value) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut claims = json!({
            "iss": self.issuer, "aud": self.audience, "sub": sub,
            "iat": now, "nbf": now, "exp": now + 600,
            "papyr_tenant": tenant_slug, "roles": roles, "email": format!("{sub}@example.test"),
        });
        if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                c.insert(k.clone(), v.clone());
            }
        }
        let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": "test-1"});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Env pairs as the `&[(&str, &str)]` that `spawn` takes.
pub fn env_refs<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A raw HTTP/1.1 exchange for what a client library would not do: declare a
/// length it does not send. Returns the status and the answer's head and body,
/// read as far as its `Content-Length` says (not until the connection closes).
pub fn raw_exchange(port: u16, head: &str, body_part: &[u8], timeout: Duration) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(timeout)).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer and close before the body is sent: not an error here.
    let _ = s.write_all(body_part);
    let mut reader = BufReader::new(s);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .expect("an answer before the timeout");
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
        let end = line == "\r\n" || line.is_empty();
        head.push_str(&line);
        if end {
            break;
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).expect("the answer's body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head:?}"));
    (status, format!("{head}{}", String::from_utf8_lossy(&body)))
}

/// Server-sent events read from a streaming response.
pub struct EventReader {
    res: reqwest::Response,
    buf: String,
}

/// One event: its `event`, `id` and `data` fields.
#[derive(Debug, Default, Clone)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
}

impl EventReader {
    pub fn new(res: reqwest::Response) -> EventReader {
        EventReader {
            res,
            buf: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` at the deadline or end.
    pub async fn next(&mut self, deadline: Instant) -> Option<SseEvent> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut ev = SseEvent::default();
                let mut any = false;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        ev.event = v.trim().into();
                        any = true;
                    } else if let Some(v) = line.strip_prefix("id:") {
                        ev.id = Some(v.trim().into());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        ev.data.push_str(v.trim());
                        any = true;
                    }
                }
                if any {
                    return Some(ev);
                }
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.res.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }

    /// Read until an `invoice.status` event for `id` with a final status.
    pub async fn until_final(&mut self, id: &str, deadline: Instant) -> Vec<SseEvent> {
        let mut seen = Vec::new();
        while let Some(ev) = self.next(deadline).await {
            let data: Value = serde_json::from_str(&ev.data).unwrap_or(Value::Null);
            let done = ev.event == "invoice.status"
                && data["id"] == id
                && data["status"]
                    .as_str()
                    .is_some_and(|s| crate::common::FINAL.contains(&s));
            seen.push(ev);
            if done {
                return seen;
            }
        }
        panic!("no final status event for {id}; saw {seen:?}");
    }
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
