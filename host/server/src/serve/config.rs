//! `papyr serve` configuration: defaults, then a TOML file (`--config`), then
//! `PAPYR_<SECTION>__<KEY>` environment variables (e.g. `PAPYR_DATABASE__URL`).
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub data: DataConfig,
    pub database: DatabaseConfig,
    pub storage: StorageConfig,
    pub workers: WorkerConfig,
    pub intake: IntakeConfig,
    pub demo: DemoConfig,
    pub api: ApiConfig,
    pub plugins: PluginsConfig,
}

/// Tenant plugins (docs/plugins.md): what an upload may be, and the ceiling of the
/// limits a tenant may give its plugins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PluginsConfig {
    /// Largest component a tenant may upload, in bytes.
    pub max_component_bytes: u64,
    /// Most invoices one back-test may replay.
    pub max_backtest_invoices: u64,
    /// Limits a tenant plugin gets unless its settings say otherwise.
    pub default_limits: papyr_runtime::RuleLimits,
    /// No tenant setting may exceed these.
    pub max_limits: papyr_runtime::RuleLimits,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        PluginsConfig {
            max_component_bytes: 32 << 20,
            max_backtest_invoices: 10_000,
            default_limits: papyr_runtime::RuleLimits::default(),
            max_limits: papyr_runtime::RuleLimits {
                deadline_ms: 5_000,
                memory_mib: 256,
                fuel_base: 20_000_000_000,
                fuel_per_line: 1_000_000_000,
                fuel_ceiling: 20_000_000_000,
            },
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address of the HTTP server (health, readiness, metrics).
    pub listen: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Folder for the embedded defaults: database, documents, inbox, cache.
    pub dir: PathBuf,
    /// Compiled-component cache (default: `cache/` in the data folder).
    pub cache_dir: Option<PathBuf>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite:///path/papyr.db` or `postgres://user@host/db`; default: SQLite in the data folder.
    pub url: Option<String>,
    pub max_connections: u32,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &self.url.as_deref().map(papyr_store::redact_url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// A folder (`/path` or `file:///path`) or `azure://account/container?endpoint=…`;
    /// default: `blobs/` in the data folder. The Azure key comes from
    /// `PAPYR_STORAGE__AZURE_KEY` (never from the file).
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerConfig {
    /// Concurrent stage workers in this process.
    pub count: usize,
    /// Lease on a claimed job; renewed every third of it while the stage runs.
    pub lease_secs: u64,
    /// Attempts before a document is parked as failed.
    pub max_attempts: u32,
    /// Idle wait between polls of the job queue.
    pub poll_ms: u64,
    /// On SIGTERM, how long in-flight stages may finish before their jobs are released.
    pub shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeConfig {
    /// Watch folder: files in `<dir>/<tenant-slug>/` are taken in for that tenant,
    /// files directly in `<dir>` for the demo tenant. Default: `inbox/` in the data folder.
    pub watch_dir: Option<PathBuf>,
    pub poll_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    /// Create the demo tenant and drop the bundled sample invoices into its inbox on
    /// first start.
    pub enabled: bool,
    pub tenant: String,
}

/// The REST API under `/v1` (docs/api.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// `local`: every caller without credentials is the demo tenant's administrator
    /// (loopback only); `oidc`: bearer tokens from an OpenID Connect provider. API
    /// keys are accepted in both.
    pub auth: AuthMode,
    /// Let local mode listen on a non-loopback address (behind an authenticating
    /// proxy, for instance).
    pub allow_non_loopback_local: bool,
    /// Must equal the token's `iss`.
    pub oidc_issuer: Option<String>,
    /// Papyr's client id: the token's `aud` must contain it.
    pub oidc_audience: Option<String>,
    /// The provider's JSON Web Key Set (https, or http on loopback).
    pub oidc_jwks_url: Option<String>,
    /// Dotted path to the claim holding the tenant's slug.
    pub oidc_tenant_claim: String,
    /// Dotted path to the role list (Keycloak: `realm_access.roles`).
    pub oidc_roles_claim: String,
    pub oidc_email_claim: String,
    /// Tolerated clock skew for `exp` and `nbf`.
    pub oidc_leeway_secs: u64,
    /// Sustained requests per minute per API key or user.
    pub rate_limit_per_minute: u32,
    /// Requests a caller may make at once before the per-minute rate applies.
    pub rate_limit_burst: u32,
    /// Largest upload request (all files together).
    pub max_upload_bytes: u64,
    /// Largest JSON request body.
    pub max_json_bytes: u64,
    /// How often the event stream looks for changed documents.
    pub events_poll_ms: u64,
    /// Comment lines on an idle event stream, so proxies keep it open.
    pub events_keepalive_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    Local,
    Oidc,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            auth: AuthMode::Local,
            allow_non_loopback_local: false,
            oidc_issuer: None,
            oidc_audience: None,
            oidc_jwks_url: None,
            oidc_tenant_claim: "papyr_tenant".into(),
            oidc_roles_claim: "roles".into(),
            oidc_email_claim: "email".into(),
            oidc_leeway_secs: 60,
            rate_limit_per_minute: 600,
            rate_limit_burst: 60,
            max_upload_bytes: 25 * 1024 * 1024,
            max_json_bytes: 1024 * 1024,
            events_poll_ms: 500,
            events_keepalive_secs: 15,
        }
    }
}

impl ApiConfig {
    fn validate(&self, listen: std::net::SocketAddr) -> Result<()> {
        match self.auth {
            AuthMode::Local => {
                if papyr_auth::check_local_mode(listen, self.allow_non_loopback_local).is_err() {
                    bail!(
                        "refusing to listen on {listen} with api.auth = \"local\" (every caller would be the demo tenant's administrator): listen on 127.0.0.1, set api.auth = \"oidc\" (PAPYR_API__AUTH), or set api.allow_non_loopback_local = true (PAPYR_API__ALLOW_NON_LOOPBACK_LOCAL) behind an authenticating proxy"
                    );
                }
            }
            AuthMode::Oidc => {
                for (key, value) in [
                    ("oidc_issuer", &self.oidc_issuer),
                    ("oidc_audience", &self.oidc_audience),
                    ("oidc_jwks_url", &self.oidc_jwks_url),
                ] {
                    if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                        bail!(
                            "api.auth = \"oidc\" needs api.{key} (PAPYR_API__{})",
                            key.to_uppercase()
                        );
                    }
                }
            }
        }
        if self.rate_limit_per_minute == 0 || self.rate_limit_burst == 0 {
            bail!(
                "api.rate_limit_per_minute and api.rate_limit_burst must be at least 1 (PAPYR_API__RATE_LIMIT_PER_MINUTE, PAPYR_API__RATE_LIMIT_BURST)"
            );
        }
        if self.max_upload_bytes < 1024 || self.max_json_bytes < 1024 {
            bail!(
                "api.max_upload_bytes and api.max_json_bytes must be at least 1024 (PAPYR_API__MAX_UPLOAD_BYTES, PAPYR_API__MAX_JSON_BYTES)"
            );
        }
        if usize::try_from(self.max_upload_bytes).is_err()
            || usize::try_from(self.max_json_bytes).is_err()
        {
            bail!("api.max_upload_bytes and api.max_json_bytes are too large for this machine");
        }
        if self.events_poll_ms < 10 || self.events_keepalive_secs < 1 {
            bail!(
                "api.events_poll_ms must be at least 10 and api.events_keepalive_secs at least 1"
            );
        }
        Ok(())
    }

    /// The verifier's configuration; `None` in local mode.
    pub fn oidc(&self) -> Option<papyr_auth::OidcConfig> {
        if self.auth != AuthMode::Oidc {
            return None;
        }
        let mut c = papyr_auth::OidcConfig::new(
            self.oidc_issuer.clone().unwrap_or_default(),
            self.oidc_audience.clone().unwrap_or_default(),
            self.oidc_jwks_url.clone().unwrap_or_default(),
        );
        c.tenant_claim = self.oidc_tenant_claim.clone();
        c.roles_claim = self.oidc_roles_claim.clone();
        c.email_claim = self.oidc_email_claim.clone();
        c.leeway_secs = self.oidc_leeway_secs;
        Some(c)
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
        }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            dir: PathBuf::from("papyr-data"),
            cache_dir: None,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: None,
            max_connections: 8,
        }
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            count: 2,
            lease_secs: 30,
            max_attempts: 5,
            poll_ms: 100,
            shutdown_grace_secs: 20,
        }
    }
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            watch_dir: None,
            poll_ms: 500,
        }
    }
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            enabled: true,
            tenant: "demo".into(),
        }
    }
}

impl Config {
    /// Defaults → file → environment.
    pub fn load(
        file: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Config> {
        let mut table = toml::Table::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read config file `{}`", path.display()))?;
            table = text
                .parse::<toml::Table>()
                .with_context(|| format!("config file `{}` is not valid TOML", path.display()))?;
        }
        for (key, value) in env {
            let Some(rest) = key.strip_prefix("PAPYR_") else {
                continue;
            };
            let Some((section, field)) = rest.split_once("__") else {
                continue;
            };
            let (section, field) = (section.to_lowercase(), field.to_lowercase());
            if section == "storage" && field == "azure_key" {
                continue; // read by the storage client itself; never part of the config
            }
            let entry = table
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let Some(t) = entry.as_table_mut() else {
                bail!("config: `{section}` must be a section")
            };
            t.insert(field, env_value(&value));
        }
        let cfg: Config =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let path = e.path().to_string();
                let env = format!("PAPYR_{}", path.to_uppercase().replacen('.', "__", 1));
                anyhow::anyhow!(
                    "invalid configuration: {path}: {} (file key `{path}`, environment {env})",
                    e.inner().message()
                )
            })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Also run after the command line overrode the file and the environment.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.plugins.max_component_bytes < 1024 || self.plugins.max_backtest_invoices < 1 {
            bail!(
                "plugins.max_component_bytes must be at least 1024 and plugins.max_backtest_invoices at least 1"
            );
        }
        self.plugins
            .default_limits
            .check_within(&self.plugins.max_limits)
            .map_err(|e| anyhow::anyhow!("plugins.default_{e} (plugins.max_limits)"))?;
        if self.workers.count > 64 {
            bail!(
                "workers.count must be between 0 (serve the API only) and 64 (PAPYR_WORKERS__COUNT)"
            );
        }
        if self.workers.lease_secs < 1 {
            bail!("workers.lease_secs must be at least 1");
        }
        if self.workers.max_attempts < 1 {
            bail!("workers.max_attempts must be at least 1");
        }
        let listen = self.server.listen.parse::<std::net::SocketAddr>().map_err(|_| {
            anyhow::anyhow!("server.listen `{}` is not an address such as 127.0.0.1:8080 (PAPYR_SERVER__LISTEN)", self.server.listen)
        })?;
        self.api.validate(listen)?;
        Ok(())
    }

    pub fn database_url(&self) -> String {
        self.database.url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                abs(&self.data.dir.join("papyr.db")).display()
            )
        })
    }

    pub fn storage_url(&self) -> String {
        self.storage
            .url
            .clone()
            .unwrap_or_else(|| abs(&self.data.dir.join("blobs")).display().to_string())
    }

    pub fn watch_dir(&self) -> PathBuf {
        self.intake
            .watch_dir
            .clone()
            .unwrap_or_else(|| self.data.dir.join("inbox"))
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.data
            .cache_dir
            .clone()
            .unwrap_or_else(|| self.data.dir.join("cache"))
    }
}

fn abs(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

/// Environment values are strings; numbers and booleans are recognised so they fit
/// the typed fields.
fn env_value(v: &str) -> toml::Value {
    if let Ok(i) = v.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(b) = v.parse::<bool>() {
        toml::Value::Boolean(b)
    } else {
        toml::Value::String(v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn layers_defaults_file_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("papyr.toml");
        std::fs::write(
            &file,
            "[workers]\ncount = 3\nlease_secs = 9\n[server]\nlisten = \"127.0.0.1:9000\"\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&file),
            env(&[("PAPYR_WORKERS__COUNT", "4"), ("PAPYR_LOG", "debug")]),
        )
        .unwrap();
        assert_eq!(c.workers.count, 4, "env beats file");
        assert_eq!(c.workers.lease_secs, 9, "file beats default");
        assert_eq!(c.server.listen, "127.0.0.1:9000");
        assert_eq!(c.workers.max_attempts, 5, "default");
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = Config::load(None, env(&[("PAPYR_WORKERS__COUNT", "lots")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("count"), "{e}");
        let e = Config::load(None, env(&[("PAPYR_WORKERS__COUNTT", "2")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("countt"), "{e}");
        let e = Config::load(None, env(&[("PAPYR_SERVER__LISTEN", "localhost")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("PAPYR_SERVER__LISTEN"), "{e}");
    }

    #[test]
    fn api_section_layers_and_validates() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.api.auth, AuthMode::Local);
        assert_eq!(c.api.max_upload_bytes, 25 * 1024 * 1024);
        assert!(c.api.oidc().is_none());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("papyr.toml");
        std::fs::write(
            &file,
            "[api]\nauth = \"oidc\"\noidc_issuer = \"https://id.example\"\noidc_audience = \"papyr\"\noidc_jwks_url = \"https://id.example/jwks\"\nrate_limit_burst = 5\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&file),
            env(&[
                ("PAPYR_API__RATE_LIMIT_BURST", "7"),
                ("PAPYR_API__OIDC_ROLES_CLAIM", "realm_access.roles"),
            ]),
        )
        .unwrap();
        assert_eq!(c.api.rate_limit_burst, 7, "env beats file");
        let oidc = c.api.oidc().unwrap();
        assert_eq!(oidc.issuer, "https://id.example");
        assert_eq!(oidc.roles_claim, "realm_access.roles");
        assert_eq!(oidc.tenant_claim, "papyr_tenant");

        let e = Config::load(None, env(&[("PAPYR_API__AUTH", "magic")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("api.auth") && e.contains("PAPYR_API__AUTH"),
            "{e}"
        );
        let e = Config::load(None, env(&[("PAPYR_API__AUTH", "oidc")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("PAPYR_API__OIDC_ISSUER"), "{e}");
        let e = Config::load(None, env(&[("PAPYR_API__RATE_LIMIT_BURST", "0")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rate_limit_burst"), "{e}");
    }

    #[test]
    fn local_mode_stays_on_loopback_unless_allowed() {
        let e = Config::load(None, env(&[("PAPYR_SERVER__LISTEN", "0.0.0.0:8080")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("0.0.0.0:8080") && e.contains("PAPYR_API__ALLOW_NON_LOOPBACK_LOCAL"),
            "{e}"
        );
        assert!(!e.contains('\n'), "one line: {e}");
        Config::load(
            None,
            env(&[
                ("PAPYR_SERVER__LISTEN", "0.0.0.0:8080"),
                ("PAPYR_API__ALLOW_NON_LOOPBACK_LOCAL", "true"),
            ]),
        )
        .unwrap();
        Config::load(None, env(&[("PAPYR_SERVER__LISTEN", "[::1]:8080")])).unwrap();
    }

    #[test]
    fn database_url_is_redacted_in_debug() {
        let c = Config::load(
            None,
            env(&[("PAPYR_DATABASE__URL", "postgres://u:hunter2@h/db")]),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
