//! `papyr plugin upload|list|show|settings|backtest|shadow|activate|rollback|disable|stats`:
//! the tenant plugin lifecycle against a running `papyr serve`, through the same REST
//! API (`/v1/plugins`, docs/plugins.md). The server is `--server` or `$PAPYR_SERVER`
//! (default `http://127.0.0.1:8080`); credentials are `--token` or `$PAPYR_TOKEN`
//! (an API key `papyr_…` or an OpenID Connect access token; none in local mode).
//! Exit codes: 0 done, 1 refused by the server or unreachable, 2 bad usage.
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args, Debug, Clone)]
pub struct Remote {
    /// The Papyr server.
    #[arg(long, env = "PAPYR_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// An API key or access token (not needed in local mode).
    #[arg(long, env = "PAPYR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Print the server's JSON answer instead of a summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum RemoteCommand {
    /// Upload a component as a new version of a tenant plugin (validated, compiled and
    /// stored; inactive until activated).
    Upload {
        /// The plugin's name (created on its first upload).
        name: String,
        /// The component (`.wasm`).
        component: PathBuf,
        /// The version label, e.g. `1.2.0`.
        #[arg(long = "version", value_name = "LABEL")]
        label: String,
        /// What this version does or changes.
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// The tenant's plugins with their active and shadow versions.
    List {
        #[command(flatten)]
        remote: Remote,
    },
    /// One plugin: settings, versions, history.
    Show {
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Replace a plugin's settings (config, grants, limits, failure policy, disabled
    /// rules) with a JSON document (docs/plugins.md#settings).
    Settings {
        name: String,
        /// The settings JSON file (`-` for standard input).
        file: PathBuf,
        #[command(flatten)]
        remote: Remote,
    },
    /// Back-test a version against the tenant's last N checked invoices and print
    /// every invoice whose findings or decision would change.
    Backtest {
        name: String,
        /// Version label or id.
        version: String,
        /// How many recent invoices to replay.
        #[arg(long, default_value_t = 500)]
        last: u64,
        #[command(flatten)]
        remote: Remote,
    },
    /// Run a version beside the active one on live invoices (`--stop` to end; `--report`
    /// for the disagreement rate).
    Shadow {
        name: String,
        /// Version label or id to shadow.
        version: Option<String>,
        #[arg(long, conflicts_with_all = ["version", "report"])]
        stop: bool,
        #[arg(long)]
        report: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// Make a version the active one (from the next invoice on).
    Activate {
        name: String,
        version: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Back to the given version, or to the one active before the current one.
    Rollback {
        name: String,
        version: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Stop running a plugin (`fraud`: the built-in rules).
    Disable {
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Calls, failures, latency, fuel and findings per version.
    Stats {
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
}

struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    fn new(r: &Remote) -> Result<Client> {
        Ok(Client {
            base: r.server.trim_end_matches('/').to_string(),
            token: r.token.clone().filter(|t| !t.is_empty()),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(300))
                .build()
                .context("cannot set up the HTTP client")?,
        })
    }

    /// Send; a problem answer becomes an error with its detail and field errors.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Body>,
    ) -> Result<(u16, Value)> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method, &url);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req = match body {
            Some(Body::Json(v)) => req.json(&v),
            Some(Body::Wasm(b)) => req.header("content-type", "application/wasm").body(b),
            None => req,
        };
        let res = req.send().await.with_context(|| {
            format!(
                "cannot reach the Papyr server at {} (--server, $PAPYR_SERVER)",
                self.base
            )
        })?;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status >= 400 {
            let mut msg = format!("{status} {}", v["title"].as_str().unwrap_or("error"));
            let detail = v["detail"].as_str().unwrap_or("");
            if !detail.is_empty() {
                msg.push_str(&format!(": {detail}"));
            }
            if let Some(errs) = v["errors"].as_array() {
                for e in errs
                    .iter()
                    .filter(|e| !detail.contains(e["message"].as_str().unwrap_or_default()))
                {
                    msg.push_str(&format!(
                        "\n  - {}: {}",
                        e["field"].as_str().unwrap_or(""),
                        e["message"].as_str().unwrap_or("")
                    ));
                }
            }
            bail!(msg);
        }
        Ok((status, v))
    }
}

enum Body {
    Json(Value),
    Wasm(Vec<u8>),
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Print to stdout; a closed pipe ends quietly.
fn say(text: &str) -> Result<()> {
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

/// The first 12 hex digits of a sha256, as the server's logs show it.
fn short_digest(v: &Value) -> &str {
    let d = v.as_str().unwrap_or("");
    d.get(..12).unwrap_or(d)
}

fn plugin_line(p: &Value) -> String {
    format!(
        "{:<24} {:<9} active {:<28} shadow {:<28} {}",
        p["name"].as_str().unwrap_or(""),
        p["state"].as_str().unwrap_or(""),
        p["active_version"].as_str().unwrap_or("-"),
        p["shadow_version"].as_str().unwrap_or("-"),
        if p["builtin"].as_bool() == Some(true) {
            "(built-in)"
        } else {
            ""
        }
    )
}

/// Exit code 0: done; 1: the server refused or could not be reached (the reason is
/// printed); 2: bad usage (clap's own).
pub fn run(cmd: RemoteCommand) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    match rt.block_on(run_async(cmd)) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(ExitCode::from(1))
        }
    }
}

async fn run_async(cmd: RemoteCommand) -> Result<ExitCode> {
    use reqwest::Method as M;
    match cmd {
        RemoteCommand::Upload {
            name,
            component,
            label,
            description,
            remote,
        } => {
            let bytes = std::fs::read(&component)
                .with_context(|| format!("cannot read `{}`", component.display()))?;
            let c = Client::new(&remote)?;
            let mut path = format!(
                "/v1/plugins/{}/versions?version={}",
                enc(&name),
                enc(&label)
            );
            if let Some(d) = &description {
                path.push_str(&format!("&description={}", enc(d)));
            }
            let started = std::time::Instant::now();
            let (status, v) = c.send(M::POST, &path, Some(Body::Wasm(bytes))).await?;
            if remote.json {
                say(&v.to_string())?;
            } else {
                let ver = &v["version"];
                say(&format!(
                    "{} {name} {}: {} ({} bytes, sha256 {}), rules: {}{}",
                    if status == 201 {
                        "uploaded"
                    } else {
                        "already uploaded"
                    },
                    ver["label"].as_str().unwrap_or(""),
                    ver["id"].as_str().unwrap_or(""),
                    ver["size"],
                    short_digest(&ver["digest"]),
                    ver["rules"]
                        .as_array()
                        .map(|r| r
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", "))
                        .unwrap_or_default(),
                    if ver["needs_history"].as_bool() == Some(true) {
                        " (needs the history grant)"
                    } else {
                        ""
                    },
                ))?;
                say(&format!(
                    "  in {:.2} s; next: papyr plugin backtest {name} {label} --last 500",
                    started.elapsed().as_secs_f64()
                ))?;
            }
        }
        RemoteCommand::List { remote } => {
            let (_, v) = Client::new(&remote)?
                .send(M::GET, "/v1/plugins", None)
                .await?;
            if remote.json {
                say(&v.to_string())?;
            } else {
                for p in v.as_array().into_iter().flatten() {
                    say(&plugin_line(p))?;
                }
            }
        }
        RemoteCommand::Show { name, remote } => {
            let (_, v) = Client::new(&remote)?
                .send(M::GET, &format!("/v1/plugins/{}", enc(&name)), None)
                .await?;
            if remote.json {
                say(&v.to_string())?;
            } else {
                say(&plugin_line(&v))?;
                say(&format!("  settings: {}", v["settings"]))?;
                say("  versions:")?;
                for ver in v["versions"].as_array().into_iter().flatten() {
                    say(&format!(
                        "    {:<12} {}  {} bytes  {}  {}",
                        ver["label"].as_str().unwrap_or(""),
                        ver["id"].as_str().unwrap_or(""),
                        ver["size"],
                        short_digest(&ver["digest"]),
                        ver["description"].as_str().unwrap_or("")
                    ))?;
                }
                say("  history:")?;
                for e in v["history"].as_array().into_iter().flatten() {
                    say(&format!(
                        "    {}  {:<16} {} by {}",
                        papyr_runtime::pipeline::unix_to_rfc3339(
                            (e["at"].as_i64().unwrap_or(0) / 1000) as u64
                        ),
                        e["action"].as_str().unwrap_or(""),
                        e["version_id"].as_str().unwrap_or("-"),
                        e["actor"].as_str().unwrap_or("")
                    ))?;
                }
            }
        }
        RemoteCommand::Settings { name, file, remote } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read `{}`", file.display()))?
            };
            let doc: Value = serde_json::from_str(&text)
                .with_context(|| format!("`{}` is not JSON", file.display()))?;
            let (_, v) = Client::new(&remote)?
                .send(
                    M::PUT,
                    &format!("/v1/plugins/{}/settings", enc(&name)),
                    Some(Body::Json(doc)),
                )
                .await?;
            if remote.json {
                say(&v.to_string())?;
            } else {
                say(&format!(
                    "settings of {name} stored (revision {}); effective for the next invoice",
                    v["revision"]
                ))?;
            }
        }
        RemoteCommand::Backtest {
            name,
            version,
            last,
            remote,
        } => {
            let c = Client::new(&remote)?;
            let (_, started) = c
                .send(
                    M::POST,
                    &format!("/v1/plugins/{}/backtests", enc(&name)),
                    Some(Body::Json(json!({ "version": version, "last_n": last }))),
                )
                .await?;
            let id = started["id"].as_str().unwrap_or_default().to_string();
            let path = format!("/v1/plugins/{}/backtests/{}", enc(&name), enc(&id));
            let mut last_done = -1;
            let bt = loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let (_, bt) = c.send(M::GET, &path, None).await?;
                let done = bt["done"].as_i64().unwrap_or(0);
                if done != last_done && !remote.json {
                    eprint!("\rback-test {id}: {done}/{} invoices", bt["total"]);
                    last_done = done;
                }
                if bt["status"] != "running" {
                    break bt;
                }
            };
            if !remote.json {
                eprintln!();
            }
            if bt["status"] == "failed" {
                bail!(
                    "back-test {id} failed: {}",
                    bt["error"].as_str().unwrap_or("?")
                );
            }
            if remote.json {
                say(&bt.to_string())?;
            } else {
                print_backtest(&bt["report"])?;
            }
        }
        RemoteCommand::Shadow {
            name,
            version,
            stop,
            report,
            remote,
        } => {
            let c = Client::new(&remote)?;
            let path = format!("/v1/plugins/{}/shadow", enc(&name));
            let v = if report {
                let q = version
                    .map(|v| format!("?version={}", enc(&v)))
                    .unwrap_or_default();
                c.send(M::GET, &format!("{path}{q}"), None).await?.1
            } else if stop {
                c.send(M::DELETE, &path, None).await?.1
            } else {
                let Some(version) = version else {
                    bail!("name the version to shadow, or use --stop or --report");
                };
                c.send(
                    M::PUT,
                    &path,
                    Some(Body::Json(json!({ "version": version }))),
                )
                .await?
                .1
            };
            if remote.json {
                say(&v.to_string())?;
            } else if report {
                say(&format!(
                    "shadow {}: {} invoices, {} disagreements ({:.1} %), {} failures",
                    v["version_id"].as_str().unwrap_or(""),
                    v["invoices"],
                    v["disagreements"],
                    v["disagreement_rate"].as_f64().unwrap_or(0.0) * 100.0,
                    v["failures"]
                ))?;
                for d in v["latest"].as_array().into_iter().flatten().take(10) {
                    say(&format!(
                        "  {}: active {} / shadow {}",
                        d["document_id"].as_str().unwrap_or(""),
                        d["active_findings"],
                        d["shadow_findings"]
                    ))?;
                }
            } else {
                say(&plugin_line(&v))?;
            }
        }
        RemoteCommand::Activate {
            name,
            version,
            remote,
        } => {
            let (_, v) = Client::new(&remote)?
                .send(
                    M::POST,
                    &format!("/v1/plugins/{}/activate", enc(&name)),
                    Some(Body::Json(json!({ "version": version }))),
                )
                .await?;
            if remote.json {
                say(&v.to_string())?;
            } else {
                say(&plugin_line(&v))?;
            }
        }
        RemoteCommand::Rollback {
            name,
            version,
            remote,
        } => {
            let body = json!({ "version": version });
            let (_, v) = Client::new(&remote)?
                .send(
                    M::POST,
                    &format!("/v1/plugins/{}/rollback", enc(&name)),
                    Some(Body::Json(body)),
                )
                .await?;
            if remote.json {
                say(&v.to_string())?;
            } else {
                say(&plugin_line(&v))?;
            }
        }
        RemoteCommand::Disable { name, remote } => {
            let (_, v) = Client::new(&remote)?
                .send(
                    M::POST,
                    &format!("/v1/plugins/{}/disable", enc(&name)),
                    None,
                )
                .await?;
            if remote.json {
                say(&v.to_string())?;
            } else {
                say(&plugin_line(&v))?;
            }
        }
        RemoteCommand::Stats { name, remote } => {
            let (_, v) = Client::new(&remote)?
                .send(M::GET, &format!("/v1/plugins/{}/stats", enc(&name)), None)
                .await?;
            if remote.json {
                say(&v.to_string())?;
            } else {
                say(
                    "version       shadow  calls  failures            findings  p50 µs   p95 µs   p99 µs   fuel/call    peak memory",
                )?;
                for s in v.as_array().into_iter().flatten() {
                    say(&format!(
                        "{:<13} {:<7} {:>5}  {:<18} {:>8}  {:>7}  {:>7}  {:>7}  {:>11}  {:>9} KiB",
                        s["version"].as_str().unwrap_or(""),
                        s["shadow"],
                        s["calls"],
                        s["failures"].to_string(),
                        s["findings"],
                        s["latency_p50_us"],
                        s["latency_p95_us"],
                        s["latency_p99_us"],
                        s["fuel_mean"],
                        s["memory_peak_bytes"].as_u64().unwrap_or(0) / 1024
                    ))?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_backtest(r: &Value) -> Result<()> {
    let replaces = r["replaces"]["label"]
        .as_str()
        .map_or("nothing (a new plugin)".to_string(), |l| {
            format!("version {l}")
        });
    say(&format!(
        "candidate {} of {} (replaces {replaces}): {} invoices replayed, {} skipped; {} would change, {} of them in decision",
        r["candidate"]["label"].as_str().unwrap_or(""),
        r["plugin"].as_str().unwrap_or(""),
        r["evaluated"],
        r["skipped"],
        r["changed_invoices"],
        r["changed_decisions"]
    ))?;
    for c in r["changes"].as_array().into_iter().flatten() {
        say(&format!(
            "  {} ({}): {} → {}, score {} → {} ({:+})",
            c["filename"].as_str().unwrap_or(""),
            c["document_id"].as_str().unwrap_or(""),
            c["decision_before"].as_str().unwrap_or(""),
            c["decision_after"].as_str().unwrap_or(""),
            c["score_before"],
            c["score_after"],
            c["score_delta"].as_i64().unwrap_or(0)
        ))?;
        for f in c["findings_added"].as_array().into_iter().flatten() {
            say(&format!(
                "      + {} ({}, {}): {}",
                f["rule"].as_str().unwrap_or(""),
                f["severity"].as_str().unwrap_or(""),
                f["score"],
                f["message"].as_str().unwrap_or("")
            ))?;
        }
        for f in c["findings_removed"].as_array().into_iter().flatten() {
            say(&format!(
                "      - {} ({}, {}): {}",
                f["rule"].as_str().unwrap_or(""),
                f["severity"].as_str().unwrap_or(""),
                f["score"],
                f["message"].as_str().unwrap_or("")
            ))?;
        }
    }
    let perf = |p: &Value| {
        format!(
            "median {} µs, p95 {} µs, fuel median {}, peak memory {} KiB, failures {}",
            p["latency_us"]["median"],
            p["latency_us"]["p95"],
            p["fuel"]["median"],
            p["memory_peak_bytes"]["max"].as_u64().unwrap_or(0) / 1024,
            p["failures"]
        )
    };
    say(&format!(
        "  candidate: {}",
        perf(&r["performance"]["candidate"])
    ))?;
    if !r["performance"]["replaced"].is_null() {
        say(&format!(
            "  replaced:  {}",
            perf(&r["performance"]["replaced"])
        ))?;
    }
    Ok(())
}
