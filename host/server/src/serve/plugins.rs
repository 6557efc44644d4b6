//! Tenant plugins in `papyr serve` (docs/plugins.md): the settings of a plugin, the
//! rule set a tenant's invoice runs (read in one statement, so an invoice never sees
//! half an activation), loading stored components, shadow runs beside the active
//! version, back-tests over the tenant's history, and per-version statistics.
use super::Shared;
use super::stages::{Extracted, StageFailure};
use anyhow::{Context, Result, anyhow};
use papyr_domain::model::FindingOut;
use papyr_runtime::bindings::types::CheckInput;
use papyr_runtime::{FailurePolicy, Grants, Plugin, RuleLimits, RuleRun, RuleStat};
use papyr_store::plugins::{Deployed, PluginVersionRow, ShadowResult};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// The object-storage key of a component's bytes: content-addressed, so the same
/// bytes uploaded by several tenants are stored once.
pub fn blob_key(digest: &str) -> String {
    format!("plugins/{digest}.wasm")
}

/// Capabilities a tenant grants its plugin beyond `log` and `config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GrantSettings {
    /// Read-only access to the tenant's vendor master and invoice history.
    pub history: bool,
}

/// A plugin's per-tenant settings (for the built-in `fraud` component too).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PluginSettings {
    /// What the plugin reads with `config.get` (over the tenant file's
    /// `plugin_config` section of the same name).
    pub config: BTreeMap<String, String>,
    pub grants: GrantSettings,
    /// Deadline, memory and fuel; absent: the server's defaults.
    #[schema(value_type = Option<Object>)]
    pub limits: Option<RuleLimits>,
    /// `fail_open` (default), `manual_review` or `fail_closed`.
    #[schema(value_type = String)]
    pub failure_policy: FailurePolicy,
    /// Rule ids whose findings are dropped (switch off single rules).
    pub disabled_rules: Vec<String>,
}

impl PluginSettings {
    pub fn parse(text: &str) -> Result<PluginSettings, String> {
        if text.trim().is_empty() {
            return Ok(PluginSettings::default());
        }
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// What a tenant's invoice runs: the active rule components, and shadow candidates
/// beside them.
pub struct RuleSet {
    pub active: Vec<RuleRun>,
    pub shadows: Vec<Shadow>,
}

/// A candidate version running beside the active one.
pub struct Shadow {
    pub name: String,
    pub version_id: String,
    pub run: RuleRun,
    /// The digest of the active version of the same plugin, if any.
    pub active_digest: Option<String>,
}

/// Loaded components by (plugin name, digest, history grant).
#[derive(Default)]
pub struct PluginHost {
    loaded: Mutex<HashMap<(String, String, bool), Arc<Plugin>>>,
    pub stats: PluginStats,
}

impl Shared {
    /// A stored version's component, loaded (compiled once per digest by the runtime,
    /// from its on-disk cache when another process compiled it).
    pub(crate) async fn plugin_component(
        &self,
        name: &str,
        v: &PluginVersionRow,
        history: bool,
    ) -> Result<Arc<Plugin>> {
        let key = (name.to_string(), v.digest.clone(), history);
        if let Some(p) = self
            .plugins
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(p.clone());
        }
        let bytes = self
            .blob
            .get(&blob_key(&v.digest))
            .await
            .with_context(|| format!("cannot read plugin {name} {} from storage", v.label))?;
        let found = papyr_runtime::registry::sha256_hex(&bytes);
        if found != v.digest {
            return Err(anyhow!(
                "plugin {name} {}: stored bytes have sha256 {found}, expected {}",
                v.label,
                v.digest
            ));
        }
        let runtime = self.pipeline.runtime.clone();
        let n = name.to_string();
        let plugin =
            tokio::task::spawn_blocking(move || runtime.load(&n, &bytes, Grants { history }))
                .await
                .map_err(|e| anyhow!("loading task: {e}"))?
                .with_context(|| format!("cannot load plugin {name} {}", v.label))?;
        let plugin = Arc::new(plugin);
        self.plugins
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, plugin.clone());
        Ok(plugin)
    }

    /// The rule set of one tenant plugin version under `settings`.
    async fn rule_run(
        &self,
        name: &str,
        v: &PluginVersionRow,
        settings: &PluginSettings,
        tenant_config: Option<&Vec<(String, String)>>,
    ) -> Result<RuleRun> {
        let plugin = self
            .plugin_component(name, v, settings.grants.history)
            .await?;
        Ok(RuleRun {
            plugin,
            declared: v.rules.clone(),
            config: merged_config(tenant_config, &settings.config),
            limits: settings
                .limits
                .clone()
                .unwrap_or_else(|| self.cfg.plugins.default_limits.clone()),
            failure: settings.failure_policy,
            disabled: settings.disabled_rules.clone(),
            label: v.label.clone(),
        })
    }

    /// The tenant's rule set now: the built-in fraud rules (unless disabled, with
    /// the tenant's tuning) and every active tenant fraud-rule plugin, plus shadows.
    pub(crate) async fn rule_set(
        &self,
        tenant_id: &str,
        tenant: &papyr_runtime::TenantContext,
    ) -> Result<RuleSet, StageFailure> {
        let deployed = self.db.deployed_plugins(tenant_id).await?;
        self.rule_set_of(&deployed, tenant)
            .await
            .map_err(StageFailure::Transient)
    }

    pub(crate) async fn rule_set_of(
        &self,
        deployed: &[Deployed],
        tenant: &papyr_runtime::TenantContext,
    ) -> Result<RuleSet> {
        let mut active = Vec::new();
        let mut shadows = Vec::new();
        let builtin_row = deployed.iter().find(|d| d.plugin.builtin);
        for mut run in self.pipeline.default_rules(tenant) {
            if let Some(d) = builtin_row.filter(|d| d.plugin.name == run.plugin.name) {
                if d.plugin.state == "disabled" {
                    continue;
                }
                let s = PluginSettings::parse(&d.plugin.settings)
                    .map_err(|e| anyhow!("settings of the built-in {}: {e}", d.plugin.name))?;
                run.config = merged_config(Some(&run.config), &s.config);
                if let Some(l) = s.limits {
                    run.limits = l;
                }
                run.failure = s.failure_policy;
                run.disabled = s.disabled_rules;
            }
            run.label = "builtin".into();
            active.push(run);
        }
        for d in deployed.iter().filter(|d| !d.plugin.builtin) {
            let name = &d.plugin.name;
            if d.plugin.world != "fraud-rule" {
                continue;
            }
            let settings = PluginSettings::parse(&d.plugin.settings)
                .map_err(|e| anyhow!("settings of plugin {name}: {e}"))?;
            let tenant_config = tenant.plugin_config.get(name);
            let active_run = match (&d.active, d.plugin.state.as_str()) {
                (Some(v), "active") => {
                    Some(self.rule_run(name, v, &settings, tenant_config).await?)
                }
                _ => None,
            };
            if let Some(v) = &d.shadow {
                shadows.push(Shadow {
                    name: name.clone(),
                    version_id: v.id.clone(),
                    run: self.rule_run(name, v, &settings, tenant_config).await?,
                    active_digest: active_run.as_ref().map(|r| r.plugin.digest.clone()),
                });
            }
            active.extend(active_run);
        }
        Ok(RuleSet { active, shadows })
    }
}

fn merged_config(
    base: Option<&Vec<(String, String)>>,
    over: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut m: BTreeMap<String, String> = base.cloned().unwrap_or_default().into_iter().collect();
    m.extend(over.iter().map(|(k, v)| (k.clone(), v.clone())));
    m.into_iter().collect()
}

/// A finding as shadow runs and back-tests compare them.
fn finding_key(f: &FindingOut) -> (String, String, u32) {
    (
        f.rule.clone(),
        format!("{:?}", f.severity).to_lowercase(),
        f.score,
    )
}

fn finding_json(f: &FindingOut) -> serde_json::Value {
    json!({
        "rule": f.rule,
        "severity": format!("{:?}", f.severity).to_lowercase(),
        "score": f.score,
        "message": f.message,
    })
}

/// Run the shadow candidates on an invoice after its check: each candidate's
/// findings against those of the active version of the same plugin (none when the
/// plugin has no active version). Nothing here changes the invoice.
pub(crate) fn run_shadows(
    shared: &Shared,
    tenant: &papyr_runtime::TenantContext,
    set: &RuleSet,
    input: &CheckInput,
    active_findings: &[FindingOut],
    document_id: &str,
    tenant_id: &str,
) -> Vec<ShadowResult> {
    let (pipeline, stats) = (&shared.pipeline, &shared.plugins.stats);
    let mut out = Vec::new();
    for s in &set.shadows {
        let (found, st) = pipeline.run_rules(tenant, std::slice::from_ref(&s.run), input);
        for stat in &st {
            stats.record(tenant_id, stat, true);
        }
        let mine: Vec<&FindingOut> = active_findings
            .iter()
            .filter(|f| Some(&f.plugin) == s.active_digest.as_ref())
            .collect();
        let theirs: Vec<&FindingOut> = found
            .iter()
            .filter(|f| f.plugin == s.run.plugin.digest)
            .collect();
        let mut a: Vec<_> = mine.iter().map(|f| finding_key(f)).collect();
        let mut b: Vec<_> = theirs.iter().map(|f| finding_key(f)).collect();
        a.sort();
        b.sort();
        let error = st.first().and_then(|s| s.error).map(str::to_string);
        out.push(ShadowResult {
            plugin_name: s.name.clone(),
            version_id: s.version_id.clone(),
            document_id: document_id.to_string(),
            agrees: a == b && error.is_none(),
            active_findings: json!(mine.iter().map(|f| finding_json(f)).collect::<Vec<_>>())
                .to_string(),
            shadow_findings: json!(found.iter().map(finding_json).collect::<Vec<_>>()).to_string(),
            error,
        });
    }
    out
}

/// Per plugin version: calls, failures by kind, latency, fuel, memory, findings.
/// Kept in process (each replica its own; Prometheus sums them).
#[derive(Default)]
pub struct PluginStats {
    inner: Mutex<BTreeMap<StatKey, VersionStats>>,
}

/// (tenant id, plugin name, version label, digest, shadow).
type StatKey = (String, String, String, String, bool);

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Latencies kept for percentiles: the most recent calls.
const RECENT: usize = 1024;

#[derive(Default, Clone)]
struct VersionStats {
    calls: u64,
    failures: BTreeMap<String, u64>,
    findings: u64,
    fuel: u128,
    memory_peak: usize,
    buckets: Vec<u64>,
    seconds: f64,
    recent_us: Vec<u64>,
    next: usize,
}

/// A version's statistics as the API shows them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionStatsView {
    pub plugin: String,
    pub version: String,
    pub digest: String,
    /// Calls made as a shadow (findings not acted on).
    pub shadow: bool,
    pub calls: u64,
    /// Failures by kind: `deadline`, `memory`, `fuel`, `trap`, `stage-error`, `bad-output`, ...
    pub failures: BTreeMap<String, u64>,
    pub findings: u64,
    pub fuel_total: u64,
    pub fuel_mean: u64,
    pub memory_peak_bytes: u64,
    /// Over the most recent 1,024 calls, in microseconds.
    pub latency_p50_us: u64,
    pub latency_p95_us: u64,
    pub latency_p99_us: u64,
}

impl PluginStats {
    pub fn record(&self, tenant_id: &str, s: &RuleStat, shadow: bool) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let v = g
            .entry((
                tenant_id.to_string(),
                s.name.clone(),
                s.label.clone(),
                s.digest.clone(),
                shadow,
            ))
            .or_default();
        v.calls += 1;
        if let Some(kind) = s.error {
            *v.failures.entry(kind.to_string()).or_default() += 1;
        }
        v.findings += s.findings as u64;
        v.fuel += s.fuel as u128;
        v.memory_peak = v.memory_peak.max(s.memory_peak);
        if v.buckets.is_empty() {
            v.buckets = vec![0; LATENCY_BUCKETS.len()];
        }
        let secs = s.elapsed_us as f64 / 1e6;
        for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
            if secs <= *b {
                v.buckets[i] += 1;
            }
        }
        v.seconds += secs;
        if v.recent_us.len() < RECENT {
            v.recent_us.push(s.elapsed_us);
        } else {
            v.recent_us[v.next] = s.elapsed_us;
        }
        v.next = (v.next + 1) % RECENT;
    }

    /// A tenant plugin's statistics per version.
    pub fn view(&self, tenant_id: &str, name: &str) -> Vec<VersionStatsView> {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.iter()
            .filter(|(k, _)| k.0 == tenant_id && k.1 == name)
            .map(|(k, v)| {
                let mut r = v.recent_us.clone();
                r.sort_unstable();
                let pct = |p| percentile(&r, p);
                VersionStatsView {
                    plugin: k.1.clone(),
                    version: k.2.clone(),
                    digest: k.3.clone(),
                    shadow: k.4,
                    calls: v.calls,
                    failures: v.failures.clone(),
                    findings: v.findings,
                    fuel_total: v.fuel.min(u64::MAX as u128) as u64,
                    fuel_mean: (v.fuel / v.calls.max(1) as u128) as u64,
                    memory_peak_bytes: v.memory_peak as u64,
                    latency_p50_us: pct(0.50),
                    latency_p95_us: pct(0.95),
                    latency_p99_us: pct(0.99),
                }
            })
            .collect()
    }

    /// The Prometheus exposition of every version's statistics.
    pub fn render(&self, o: &mut String) {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let label = |k: &StatKey| {
            format!(
                "tenant=\"{}\",plugin=\"{}\",version=\"{}\",digest=\"{}\",shadow=\"{}\"",
                esc(&k.0),
                esc(&k.1),
                esc(&k.2),
                &k.3[..12.min(k.3.len())],
                k.4
            )
        };
        o.push_str("# HELP papyr_plugin_calls_total Fraud-rule component calls per plugin version.\n# TYPE papyr_plugin_calls_total counter\n");
        for (k, v) in g.iter() {
            o.push_str(&format!(
                "papyr_plugin_calls_total{{{}}} {}\n",
                label(k),
                v.calls
            ));
        }
        o.push_str("# HELP papyr_plugin_failures_total Failed calls per plugin version and kind (trap, deadline, memory, fuel, stage-error, bad-output).\n# TYPE papyr_plugin_failures_total counter\n");
        for (k, v) in g.iter() {
            for (kind, n) in &v.failures {
                o.push_str(&format!(
                    "papyr_plugin_failures_total{{{},kind=\"{kind}\"}} {n}\n",
                    label(k)
                ));
            }
        }
        o.push_str("# HELP papyr_plugin_findings_total Findings produced per plugin version.\n# TYPE papyr_plugin_findings_total counter\n");
        for (k, v) in g.iter() {
            o.push_str(&format!(
                "papyr_plugin_findings_total{{{}}} {}\n",
                label(k),
                v.findings
            ));
        }
        o.push_str("# HELP papyr_plugin_fuel_total Fuel (wasm instructions, roughly) used per plugin version.\n# TYPE papyr_plugin_fuel_total counter\n");
        for (k, v) in g.iter() {
            o.push_str(&format!(
                "papyr_plugin_fuel_total{{{}}} {}\n",
                label(k),
                v.fuel
            ));
        }
        o.push_str("# HELP papyr_plugin_memory_peak_bytes Largest linear memory a call of the version reached.\n# TYPE papyr_plugin_memory_peak_bytes gauge\n");
        for (k, v) in g.iter() {
            o.push_str(&format!(
                "papyr_plugin_memory_peak_bytes{{{}}} {}\n",
                label(k),
                v.memory_peak
            ));
        }
        o.push_str("# HELP papyr_plugin_duration_seconds Time of one call per plugin version.\n# TYPE papyr_plugin_duration_seconds histogram\n");
        for (k, v) in g.iter() {
            let l = label(k);
            for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
                o.push_str(&format!(
                    "papyr_plugin_duration_seconds_bucket{{{l},le=\"{b}\"}} {}\n",
                    v.buckets[i]
                ));
            }
            o.push_str(&format!(
                "papyr_plugin_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}\n",
                v.calls
            ));
            o.push_str(&format!(
                "papyr_plugin_duration_seconds_sum{{{l}}} {}\n",
                v.seconds
            ));
            o.push_str(&format!(
                "papyr_plugin_duration_seconds_count{{{l}}} {}\n",
                v.calls
            ));
        }
    }
}

/// A label value in the exposition format.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The `p` quantile (0..=1, nearest rank) of sorted samples; 0 for none.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted
        .get(((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(0)
}

/// Percentile summary of a list of samples.
fn summary(mut v: Vec<u64>) -> serde_json::Value {
    v.sort_unstable();
    json!({ "median": percentile(&v, 0.5), "p95": percentile(&v, 0.95), "max": v.last().copied().unwrap_or(0) })
}

#[derive(Default)]
struct Perf {
    elapsed_us: Vec<u64>,
    fuel: Vec<u64>,
    memory: Vec<u64>,
    failures: BTreeMap<String, u64>,
    calls: u64,
}

impl Perf {
    fn add(&mut self, s: &RuleStat) {
        self.calls += 1;
        self.elapsed_us.push(s.elapsed_us);
        self.fuel.push(s.fuel);
        self.memory.push(s.memory_peak as u64);
        if let Some(k) = s.error {
            *self.failures.entry(k.to_string()).or_default() += 1;
        }
    }

    fn json(self) -> serde_json::Value {
        json!({
            "calls": self.calls,
            "latency_us": summary(self.elapsed_us),
            "fuel": summary(self.fuel),
            "memory_peak_bytes": summary(self.memory),
            "failures": self.failures,
        })
    }
}

impl Shared {
    /// Replay the tenant's last `n` checked invoices (oldest first) with the rule set
    /// active when the back-test started, and again with `candidate` in place of the
    /// plugin's active version (or added, for a new plugin); record every invoice
    /// whose findings or decision would change, and the cost of the candidate against
    /// the version it replaces. The `changes` part of the report is deterministic;
    /// latencies are measured and vary.
    pub(crate) async fn run_backtest(
        self: Arc<Self>,
        tenant_id: String,
        name: String,
        candidate: PluginVersionRow,
        backtest_id: String,
        n: i64,
    ) {
        let result = self
            .backtest_report(&tenant_id, &name, &candidate, &backtest_id, n)
            .await;
        let finished = match &result {
            Ok(report) => self.db.finish_backtest(&backtest_id, Ok(report)).await,
            Err(e) => {
                tracing::warn!(backtest = %backtest_id, error = %format!("{e:#}"), "back-test failed");
                self.db
                    .finish_backtest(&backtest_id, Err(&format!("{e:#}")))
                    .await
            }
        };
        if let Err(e) = finished {
            tracing::error!(backtest = %backtest_id, error = %e, "cannot record the back-test's end");
        }
    }

    async fn backtest_report(
        self: &Arc<Self>,
        tenant_id: &str,
        name: &str,
        candidate: &PluginVersionRow,
        backtest_id: &str,
        n: i64,
    ) -> Result<serde_json::Value> {
        let deployed = self.db.deployed_plugins(tenant_id).await?;
        let history = self.vendor_history(tenant_id).await?;
        let base_tenant = self.tenant(tenant_id, history).await?;
        let baseline = self.rule_set_of(&deployed, &base_tenant).await?.active;
        let row = deployed.iter().find(|d| d.plugin.name == name);
        let settings = row
            .map(|d| PluginSettings::parse(&d.plugin.settings))
            .transpose()
            .map_err(|e| anyhow!("settings of plugin {name}: {e}"))?
            .unwrap_or_default();
        let cand_run = self
            .rule_run(
                name,
                candidate,
                &settings,
                base_tenant.plugin_config.get(name),
            )
            .await?;
        let replaced = baseline.iter().position(|r| r.plugin.name == name);
        let replaced_version = row
            .filter(|_| replaced.is_some())
            .and_then(|d| d.active.as_ref())
            .map(|v| json!({ "id": v.id, "label": v.label, "digest": v.digest }));
        let mut with_candidate = baseline.clone();
        match replaced {
            Some(i) => with_candidate[i] = cand_run,
            None => with_candidate.push(cand_run),
        }
        let mut invoices = self.db.processed_invoices(tenant_id, n).await?;
        invoices.reverse(); // oldest first
        let total = invoices.len() as i64;
        self.db.backtest_progress(backtest_id, 0, total).await?;
        let (mut changes, mut evaluated, mut skipped, mut decisions_changed) =
            (Vec::new(), 0u64, 0u64, 0u64);
        let (mut cand_perf, mut repl_perf) = (Perf::default(), Perf::default());
        for (i, p) in invoices.iter().enumerate() {
            let ex: Extracted = serde_json::from_str(&p.extract_result)
                .with_context(|| format!("stored extract result of {}", p.document_id))?;
            let (Some(inv), Some(cls), None) = (ex.invoice, ex.classification, ex.needs_ocr) else {
                skipped += 1;
                continue;
            };
            let Some(doc) = self.db.document(tenant_id, &p.document_id).await? else {
                skipped += 1;
                continue;
            };
            let ctx = self
                .check_context(&doc, &inv, None)
                .await
                .map_err(|e| e.into_error())?;
            let (base_rules, cand_rules) = (baseline.clone(), with_candidate.clone());
            let this = self.clone();
            let (before, after) = tokio::task::spawn_blocking(move || {
                let (tenant, info, parsed) = ctx;
                let before =
                    this.pipeline
                        .check_with(&tenant, &base_rules, &info, &parsed, &cls, &inv);
                let after =
                    this.pipeline
                        .check_with(&tenant, &cand_rules, &info, &parsed, &cls, &inv);
                (before, after)
            })
            .await
            .map_err(|e| anyhow!("back-test task: {e}"))?;
            evaluated += 1;
            if let Some(s) = after.1.iter().find(|s| s.name == name) {
                cand_perf.add(s);
            }
            if replaced.is_some()
                && let Some(s) = before.1.iter().find(|s| s.name == name)
            {
                repl_perf.add(s);
            }
            let added = multiset_minus(&after.0.findings, &before.0.findings);
            let removed = multiset_minus(&before.0.findings, &after.0.findings);
            if !added.is_empty() || !removed.is_empty() || before.0.decision != after.0.decision {
                if before.0.decision != after.0.decision {
                    decisions_changed += 1;
                }
                changes.push(json!({
                    "document_id": p.document_id,
                    "filename": doc.filename,
                    "decision_before": before.0.decision.as_str(),
                    "decision_after": after.0.decision.as_str(),
                    "score_before": before.0.risk_score,
                    "score_after": after.0.risk_score,
                    "score_delta": after.0.risk_score as i64 - before.0.risk_score as i64,
                    "findings_added": added,
                    "findings_removed": removed,
                }));
            }
            if (i + 1) % 10 == 0 {
                self.db
                    .backtest_progress(backtest_id, i as i64 + 1, total)
                    .await?;
            }
        }
        self.db.backtest_progress(backtest_id, total, total).await?;
        Ok(json!({
            "plugin": name,
            "candidate": { "id": candidate.id, "label": candidate.label, "digest": candidate.digest },
            "replaces": replaced_version,
            "invoices": total,
            "evaluated": evaluated,
            "skipped": skipped,
            "changed_invoices": changes.len(),
            "changed_decisions": decisions_changed,
            "changes": changes,
            "performance": {
                "candidate": cand_perf.json(),
                "replaced": replaced.map(|_| repl_perf.json()),
            },
        }))
    }
}

/// The findings of `a` not in `b`, counting repeats (two equal findings from two
/// plugins are two findings).
fn multiset_minus(a: &[FindingOut], b: &[FindingOut]) -> Vec<serde_json::Value> {
    let mut left: Vec<_> = b.iter().map(finding_key).collect();
    let mut out = Vec::new();
    for f in a {
        let k = finding_key(f);
        match left.iter().position(|x| *x == k) {
            Some(i) => {
                left.swap_remove(i);
            }
            None => out.push(finding_json(f)),
        }
    }
    out
}
