//! The in-process pipeline: parse → classify → extract → fraud rules → decision →
//! report, for one tenant's stream of documents.
//!
//! [`Pipeline::process_batch`] runs parse/classify/extract on several threads (they
//! depend only on the document) and the fraud stage strictly in input order, since a
//! later document is checked against the earlier ones.
use crate::bindings::history::{PastInvoice, VendorQuery};
use crate::bindings::types::*;
use crate::convert;
use crate::engine::{CallError, Called, Runtime};
use crate::history::{History, MemoryHistory};
use crate::host::Capabilities;
use crate::limits::{Limits, RuleLimits};
use crate::registry::Plugin;
use papyr_domain::model::{FindingOut, ProcessOutput, Severity as Sev};
use papyr_domain::{Decision, DecisionPolicy};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// The components that run each stage.
#[derive(Clone)]
pub struct StagePlugins {
    pub parse: Arc<Plugin>,
    pub classify: Arc<Plugin>,
    pub extract: Arc<Plugin>,
    /// Every active fraud-rule component; each runs even if another fails.
    pub fraud: Vec<Arc<Plugin>>,
    pub report: Arc<Plugin>,
}

/// What happens to an invoice when one of its rule components fails (trap,
/// deadline, memory, fuel, an error it returns, or bad output).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// Carry on as if the rule found nothing; an `info` finding records the failure.
    #[default]
    FailOpen,
    /// A `medium` finding: the invoice needs a person's approval.
    ManualReview,
    /// A `critical` finding: the invoice is held.
    FailClosed,
}

impl FailurePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            FailurePolicy::FailOpen => "fail_open",
            FailurePolicy::ManualReview => "manual_review",
            FailurePolicy::FailClosed => "fail_closed",
        }
    }

    /// The `pipeline.rule-failed` finding for a failed call.
    fn finding(self, plugin: &Plugin, e: &CallError) -> FindingOut {
        let what = format!(
            "Rule component `{}` ({}) failed: {e}",
            plugin.name,
            plugin.short_digest()
        );
        match self {
            FailurePolicy::FailOpen => host_finding("pipeline.rule-failed", Sev::Info, 0, what),
            FailurePolicy::ManualReview => host_finding(
                "pipeline.rule-failed",
                Sev::Medium,
                0,
                format!(
                    "{what}. This tenant sends the invoice to manual review when the rule fails."
                ),
            ),
            FailurePolicy::FailClosed => host_finding(
                "pipeline.rule-failed",
                Sev::Critical,
                0,
                format!("{what}. This tenant holds the invoice when the rule fails."),
            ),
        }
    }
}

/// One fraud-rule component as a tenant runs it.
#[derive(Clone)]
pub struct RuleRun {
    pub plugin: Arc<Plugin>,
    /// The rule ids the component declared; findings for other ids are dropped.
    pub declared: Vec<String>,
    /// Its configuration (what `config.get` answers), sorted by key.
    pub config: Vec<(String, String)>,
    pub limits: RuleLimits,
    pub failure: FailurePolicy,
    /// Rule ids whose findings are dropped (rules the tenant switched off).
    pub disabled: Vec<String>,
    /// The tenant's version label, for statistics (empty for the pipeline's own).
    pub label: String,
}

/// What one rule call cost and produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleStat {
    pub name: String,
    pub digest: String,
    pub label: String,
    pub elapsed_us: u64,
    pub fuel: u64,
    pub memory_peak: usize,
    pub findings: usize,
    /// The failure kind (`CallError::kind`), when the call failed or returned an
    /// undeclared rule id (`bad-output`).
    pub error: Option<&'static str>,
}

/// Per-stage limits and whether to render reports.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub parse_limits: Limits,
    pub stage_limits: Limits,
    pub rule_limits: Limits,
    pub render_report: bool,
    /// Threads for the parse/classify/extract half of a batch.
    pub workers: usize,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            parse_limits: Limits::parse(),
            stage_limits: Limits::stage(),
            rule_limits: Limits::rule(),
            render_report: false,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// One tenant's settings and history for a run.
pub struct TenantContext {
    pub name: String,
    pub history: Arc<MemoryHistory>,
    /// Plugin name → its configuration, sorted by key.
    pub plugin_config: BTreeMap<String, Vec<(String, String)>>,
    pub today: Date,
    /// The instant plugins see as "now" (seconds since the epoch).
    pub clock_unix_secs: u64,
    pub policy: DecisionPolicy,
}

impl TenantContext {
    fn caps(&self, plugin: &Plugin) -> Capabilities {
        Capabilities {
            config: self
                .plugin_config
                .get(&plugin.name)
                .cloned()
                .unwrap_or_default(),
            history: plugin
                .grants
                .history
                .then(|| self.history.clone() as Arc<dyn History>),
            clock_unix_secs: self.clock_unix_secs,
        }
    }
}

/// A document to process.
#[derive(Debug, Clone)]
pub struct DocumentInput {
    pub filename: String,
    pub bytes: Vec<u8>,
    pub origin: Origin,
}

/// The result of processing one document.
pub struct Processed {
    pub output: ProcessOutput,
    /// The approval report, when rendering was asked for and succeeded.
    pub report_pdf: Option<Vec<u8>>,
    /// First lines of the document's text (for the report's reference excerpt).
    pub excerpt: Vec<String>,
}

/// The half of processing that depends only on the document: parse, classify and
/// (for invoices and credit notes) extract.
pub struct Prepared {
    /// The output so far (classification, fields, timings, plugins, error).
    pub output: ProcessOutput,
    pub info: DocumentInfo,
    pub parsed: Option<ParsedDocument>,
    pub classification: Option<Classification>,
    pub invoice: Option<Invoice>,
    /// The extract stage declined (no text layer): route to review.
    pub needs_ocr: Option<String>,
}

/// What the fraud stage and the decision policy made of an invoice.
pub struct Checked {
    pub findings: Vec<FindingOut>,
    pub decision: Decision,
    pub risk_score: u32,
    pub reasons: Vec<String>,
    /// `fraud:<name>` → digest of every rule component that ran.
    pub plugins: BTreeMap<String, String>,
    pub elapsed_us: u64,
}

pub struct Pipeline {
    pub runtime: Arc<Runtime>,
    pub plugins: StagePlugins,
    pub options: PipelineOptions,
    /// Rule ids each fraud-rule component declared (by digest).
    declared: BTreeMap<String, Vec<String>>,
}

fn micros(d: std::time::Duration) -> u64 {
    d.as_micros().min(u64::MAX as u128) as u64
}

fn host_finding(rule: &str, severity: Sev, score: u32, message: String) -> FindingOut {
    FindingOut {
        rule: rule.into(),
        severity,
        score,
        message,
        evidence: vec![],
        plugin: "host".into(),
    }
}

impl Pipeline {
    /// Build a pipeline; asks every fraud-rule component for the rules it provides
    /// (findings must use those ids).
    pub fn new(
        runtime: Arc<Runtime>,
        plugins: StagePlugins,
        options: PipelineOptions,
    ) -> Result<Pipeline, CallError> {
        let mut declared = BTreeMap::new();
        for rule in &plugins.fraud {
            let caps = Capabilities {
                config: vec![],
                history: None,
                clock_unix_secs: 0,
            };
            let infos = runtime.rules(rule, caps, &options.rule_limits)?;
            declared.insert(
                rule.digest.clone(),
                infos.value.into_iter().map(|r| r.id).collect(),
            );
        }
        Ok(Pipeline {
            runtime,
            plugins,
            options,
            declared,
        })
    }

    /// The rule ids a fraud-rule component declared.
    pub fn declared_rules(&self, digest: &str) -> &[String] {
        self.declared.get(digest).map_or(&[], Vec::as_slice)
    }

    /// Process one document completely (all stages).
    pub fn process(&self, tenant: &TenantContext, doc: DocumentInput) -> Processed {
        let prepared = self.prepare(tenant, doc);
        self.finish(tenant, prepared)
    }

    /// Process a stream in order, with the document-only stages on
    /// `options.workers` threads; `emit` receives results in input order.
    pub fn process_batch<I>(&self, tenant: &TenantContext, docs: I, mut emit: impl FnMut(Processed))
    where
        I: Iterator<Item = DocumentInput> + Send,
    {
        let workers = self.options.workers.max(1);
        let docs = std::sync::Mutex::new(docs.enumerate());
        // Bounded: at most a few prepared documents wait for the ordered stage.
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Prepared)>(workers * 2);
        std::thread::scope(|s| {
            for _ in 0..workers {
                let tx = tx.clone();
                let docs = &docs;
                s.spawn(move || {
                    loop {
                        let next = docs.lock().unwrap_or_else(|e| e.into_inner()).next();
                        let Some((i, doc)) = next else { break };
                        if tx.send((i, self.prepare(tenant, doc))).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            let mut waiting = BTreeMap::new();
            let mut next = 0usize;
            for (i, p) in rx {
                waiting.insert(i, p);
                while let Some(p) = waiting.remove(&next) {
                    emit(self.finish(tenant, p));
                    next += 1;
                }
            }
        });
    }

    /// Run the parse stage on a document's bytes.
    pub fn parse(
        &self,
        tenant: &TenantContext,
        info: &DocumentInfo,
        bytes: Vec<u8>,
    ) -> Result<Called<ParsedDocument>, CallError> {
        let doc = Document {
            bytes,
            media_type: info.media_type.clone(),
            filename: info.filename.clone(),
            sha256: info.sha256.clone(),
            origin: info.origin.clone(),
        };
        let p = &self.plugins.parse;
        self.runtime
            .parse(p, tenant.caps(p), &self.options.parse_limits, &doc)
    }

    /// Parse, classify and extract one document.
    pub fn prepare(&self, tenant: &TenantContext, doc: DocumentInput) -> Prepared {
        let total = Instant::now();
        let sha256 = crate::registry::sha256_hex(&doc.bytes);
        let media_type = convert::sniff_media_type(&doc.bytes).to_string();
        let info = DocumentInfo {
            media_type: media_type.clone(),
            filename: doc.filename.clone(),
            sha256: sha256.clone(),
            size: doc.bytes.len() as u64,
            origin: doc.origin.clone(),
        };
        let mut output = ProcessOutput {
            file: doc.filename.clone(),
            sha256: sha256.clone(),
            classification: None,
            fields: None,
            findings: vec![],
            decision: Decision::Failed.as_str().into(),
            risk_score: 0,
            decision_reasons: vec![],
            timings_us: BTreeMap::new(),
            plugins: BTreeMap::new(),
            field_evidence: vec![],
            tax_breakdown: vec![],
            error: None,
        };
        let mut prepared = Prepared {
            output: ProcessOutput { ..output.clone() },
            info: info.clone(),
            parsed: None,
            classification: None,
            invoice: None,
            needs_ocr: None,
        };
        let p = &self.plugins;
        let fail = |mut output: ProcessOutput, stage: &str, e: CallError| {
            output.error = Some(format!("{stage}: {e}"));
            output.decision_reasons = vec![format!(
                "the {stage} stage failed; a person must look at the document"
            )];
            output
        };

        // Parse: the only stage that sees the bytes.
        output
            .plugins
            .insert("parse".into(), p.parse.digest.clone());
        if doc.bytes.is_empty() {
            prepared.output = fail(
                output,
                "parse",
                CallError::Stage("invalid input: the file is empty".into()),
            );
            return prepared;
        }
        let parsed = self.parse(tenant, &info, doc.bytes);
        let parsed = match parsed {
            Ok(c) => {
                output
                    .timings_us
                    .insert("parse".into(), micros(c.stats.elapsed));
                c.value
            }
            Err(e) => {
                prepared.output = fail(output, "parse", e);
                return prepared;
            }
        };

        output
            .plugins
            .insert("classify".into(), p.classify.digest.clone());
        let classification = match self.runtime.classify(
            &p.classify,
            tenant.caps(&p.classify),
            &self.options.stage_limits,
            &info,
            &parsed,
        ) {
            Ok(c) => {
                output
                    .timings_us
                    .insert("classify".into(), micros(c.stats.elapsed));
                c.value
            }
            Err(e) => {
                prepared.output = fail(output, "classify", e);
                prepared.parsed = Some(parsed);
                return prepared;
            }
        };
        output.classification = Some(convert::classification(&classification));

        if matches!(
            classification.kind,
            DocumentKind::Invoice | DocumentKind::CreditNote
        ) {
            output
                .plugins
                .insert("extract".into(), p.extract.digest.clone());
            match self.runtime.extract(
                &p.extract,
                tenant.caps(&p.extract),
                &self.options.stage_limits,
                &info,
                &parsed,
                &classification,
            ) {
                Ok(c) => {
                    output
                        .timings_us
                        .insert("extract".into(), micros(c.stats.elapsed));
                    output.fields = Some(convert::fields(&c.value));
                    output.field_evidence = convert::field_evidence(&c.value);
                    output.tax_breakdown = convert::tax_breakdown(&c.value);
                    prepared.invoice = Some(c.value);
                }
                Err(CallError::Stage(msg)) if msg.starts_with("unsupported:") => {
                    prepared.needs_ocr = Some(msg);
                }
                Err(e) => {
                    prepared.output = fail(output, "extract", e);
                    prepared.parsed = Some(parsed);
                    prepared.classification = Some(classification);
                    return prepared;
                }
            }
        }
        output
            .timings_us
            .insert("prepare_total".into(), micros(total.elapsed()));
        prepared.output = output;
        prepared.parsed = Some(parsed);
        prepared.classification = Some(classification);
        prepared
    }

    fn finish(&self, tenant: &TenantContext, prepared: Prepared) -> Processed {
        let started = Instant::now();
        let Prepared {
            mut output,
            info,
            parsed,
            classification,
            invoice,
            needs_ocr,
        } = prepared;
        let (pages, excerpt) = parsed.as_ref().map(reference).unwrap_or_default();

        if output.error.is_none() {
            let kind = classification.as_ref().map(|c| c.kind);
            if let Some(reason) = &needs_ocr {
                output.findings.push(host_finding(
                    "pipeline.no-text-layer",
                    Sev::Medium,
                    30,
                    format!("No fields could be read ({reason}); the document needs OCR or manual entry."),
                ));
                output.decision = Decision::Hold.as_str().into();
                output.decision_reasons =
                    vec!["no text layer: route to OCR or manual entry".into()];
            } else if let (Some(inv), Some(parsed), Some(cls)) =
                (invoice.as_ref(), parsed.as_ref(), classification.as_ref())
            {
                let checked = self.check(tenant, &info, parsed, cls, inv);
                output.timings_us.insert("fraud".into(), checked.elapsed_us);
                output.plugins.extend(checked.plugins);
                output.findings.extend(checked.findings);
                output.decision = checked.decision.as_str().into();
                output.risk_score = checked.risk_score;
                output.decision_reasons = checked.reasons;
                let received = info
                    .origin
                    .received_at
                    .clone()
                    .unwrap_or_else(|| unix_to_rfc3339(tenant.clock_unix_secs));
                self.remember(tenant, &output, inv, &received);
            } else if kind.is_some() {
                output.decision = Decision::NotAnInvoice.as_str().into();
                output.decision_reasons = vec![format!(
                    "classified as {}: kept, not routed for payment",
                    output
                        .classification
                        .as_ref()
                        .map_or("other", |c| c.kind.as_str())
                )];
            }
        }

        let mut report_pdf = None;
        if self.options.render_report {
            output
                .plugins
                .insert("report".into(), self.plugins.report.digest.clone());
            let r = Instant::now();
            match self.render(
                tenant,
                &output,
                &info,
                classification.as_ref(),
                invoice.as_ref(),
                pages,
                &excerpt,
            ) {
                Ok(pdf) => report_pdf = Some(pdf),
                Err(e) => {
                    let msg = format!("report: {e}");
                    output.error = Some(
                        output
                            .error
                            .map_or(msg.clone(), |prev| format!("{prev}; {msg}")),
                    );
                }
            }
            output
                .timings_us
                .insert("report".into(), micros(r.elapsed()));
        }
        let prepare = output.timings_us.remove("prepare_total").unwrap_or(0);
        output
            .timings_us
            .insert("total".into(), prepare + micros(started.elapsed()));
        Processed {
            output,
            report_pdf,
            excerpt,
        }
    }

    /// The pipeline's own fraud-rule components as a rule set: the tenant's
    /// configuration for each, the pipeline's rule limits, failing open.
    pub fn default_rules(&self, tenant: &TenantContext) -> Vec<RuleRun> {
        let l = &self.options.rule_limits;
        let limits = RuleLimits {
            deadline_ms: l.deadline.as_millis().max(1) as u64,
            memory_mib: (l.memory_bytes as u64).div_ceil(1 << 20).max(1),
            fuel_base: l.fuel,
            fuel_per_line: 0,
            fuel_ceiling: l.fuel,
        };
        self.plugins
            .fraud
            .iter()
            .map(|p| RuleRun {
                plugin: p.clone(),
                declared: self.declared_rules(&p.digest).to_vec(),
                config: tenant.caps(p).config,
                limits: limits.clone(),
                failure: FailurePolicy::FailOpen,
                disabled: vec![],
                label: String::new(),
            })
            .collect()
    }

    /// Run every fraud-rule component of the pipeline (each failure isolated: fail
    /// open with an `info` finding) and the decision policy.
    pub fn check(
        &self,
        tenant: &TenantContext,
        info: &DocumentInfo,
        parsed: &ParsedDocument,
        cls: &Classification,
        inv: &Invoice,
    ) -> Checked {
        let rules = self.default_rules(tenant);
        self.check_with(tenant, &rules, info, parsed, cls, inv).0
    }

    /// Run a tenant's rule set on an invoice, then the decision policy. Each
    /// component runs even when another fails; a failure becomes a
    /// `pipeline.rule-failed` finding whose severity the rule's [`FailurePolicy`]
    /// sets. Returns what each component cost.
    pub fn check_with(
        &self,
        tenant: &TenantContext,
        rules: &[RuleRun],
        info: &DocumentInfo,
        parsed: &ParsedDocument,
        cls: &Classification,
        inv: &Invoice,
    ) -> (Checked, Vec<RuleStat>) {
        let started = Instant::now();
        let input = check_input(tenant, info, parsed, cls, inv);
        let (findings, stats) = self.run_rules(tenant, rules, &input);
        let plugins = rules
            .iter()
            .map(|r| (format!("fraud:{}", r.plugin.name), r.plugin.digest.clone()))
            .collect();
        let gross = inv.gross_total.as_ref().map(convert::amount);
        let (decision, risk_score, reasons) =
            papyr_domain::decide(&tenant.policy, gross.as_ref(), &findings);
        let checked = Checked {
            findings,
            decision,
            risk_score,
            reasons,
            plugins,
            elapsed_us: micros(started.elapsed()),
        };
        (checked, stats)
    }

    /// Run rule components on one check input: their findings (undeclared rule ids
    /// and disabled rules dropped, failures turned into findings) and their costs.
    pub fn run_rules(
        &self,
        tenant: &TenantContext,
        rules: &[RuleRun],
        input: &CheckInput,
    ) -> (Vec<FindingOut>, Vec<RuleStat>) {
        let mut findings = Vec::new();
        let mut stats = Vec::with_capacity(rules.len());
        for rule in rules {
            let plugin = &rule.plugin;
            let caps = Capabilities {
                config: rule.config.clone(),
                history: plugin
                    .grants
                    .history
                    .then(|| tenant.history.clone() as Arc<dyn History>),
                clock_unix_secs: tenant.clock_unix_secs,
            };
            let limits = rule.limits.for_invoice(&input.invoice);
            let began = Instant::now();
            let mut stat = RuleStat {
                name: plugin.name.clone(),
                digest: plugin.digest.clone(),
                label: rule.label.clone(),
                elapsed_us: 0,
                fuel: 0,
                memory_peak: 0,
                findings: 0,
                error: None,
            };
            match self.runtime.check(plugin, caps, &limits, input) {
                Ok(c) => {
                    stat.fuel = c.stats.fuel_used;
                    stat.memory_peak = c.stats.memory_peak;
                    for f in &c.value {
                        if !rule.declared.contains(&f.rule) {
                            findings.push(host_finding(
                                "pipeline.rule-failed",
                                Sev::Info,
                                0,
                                format!("Rule component `{}` returned a finding for `{}`, a rule it does not declare; ignored.", plugin.name, f.rule),
                            ));
                            stat.error.get_or_insert("bad-output");
                        } else if !rule.disabled.contains(&f.rule) {
                            findings.push(convert::finding(f, &plugin.digest));
                            stat.findings += 1;
                        }
                    }
                }
                Err(e) => {
                    // A call that ran out of fuel used all of it; other failures
                    // report no fuel (the store is gone with the error).
                    if matches!(
                        e,
                        CallError::Trap {
                            kind: crate::TrapKind::Fuel,
                            ..
                        }
                    ) {
                        stat.fuel = limits.fuel;
                    }
                    stat.error = Some(e.kind());
                    findings.push(rule.failure.finding(plugin, &e));
                }
            }
            stat.elapsed_us = micros(began.elapsed());
            stats.push(stat);
        }
        (findings, stats)
    }

    /// Record the invoice so later documents of the stream are checked against it.
    fn remember(
        &self,
        tenant: &TenantContext,
        output: &ProcessOutput,
        inv: &Invoice,
        received_at: &str,
    ) {
        let vendor = tenant.history.find_vendor(&VendorQuery {
            tax_id: inv.vendor.tax_id.clone(),
            iban: None,
            name: inv.vendor.name.clone(),
            domain: None,
        });
        let status = match output.decision.as_str() {
            "hold" => "on_hold",
            "auto-approve" => "approved",
            _ => "pending_approval",
        };
        let past: PastInvoice = convert::past_invoice(
            &output.sha256,
            &output.sha256,
            received_at,
            status,
            vendor.map(|v| v.id),
            inv,
        );
        tenant.history.record(past);
    }

    /// Render the approval report of a processed document.
    #[allow(clippy::too_many_arguments)] // reason: assembles one record from the pipeline's parts
    pub fn render(
        &self,
        tenant: &TenantContext,
        output: &ProcessOutput,
        info: &DocumentInfo,
        classification: Option<&Classification>,
        invoice: Option<&Invoice>,
        pages: u32,
        excerpt: &[String],
    ) -> Result<Vec<u8>, CallError> {
        let invoice = invoice.cloned().unwrap_or_else(|| {
            convert::empty_invoice(classification.map_or(DocumentKind::Other, |c| c.kind))
        });
        let decision = match output.decision.as_str() {
            "auto-approve" => DecisionKind::AutoApprove,
            "needs-approval" => DecisionKind::NeedsApproval,
            "hold" => DecisionKind::Hold,
            "not-an-invoice" => DecisionKind::NotAnInvoice,
            _ => DecisionKind::Failed,
        };
        let generated_at = unix_to_rfc3339(tenant.clock_unix_secs);
        let mut trail = vec![TrailEntry {
            at: generated_at.clone(),
            actor: "system".into(),
            action: "received".into(),
            comment: Some(info.filename.clone()),
        }];
        for (stage, digest) in &output.plugins {
            if stage != "report" {
                trail.push(TrailEntry {
                    at: generated_at.clone(),
                    actor: format!("plugin:{digest}"),
                    action: format!("ran {stage}"),
                    comment: None,
                });
            }
        }
        trail.push(TrailEntry {
            at: generated_at.clone(),
            actor: "system".into(),
            action: format!("suggested {}", output.decision),
            comment: Some(output.decision_reasons.join("; ")),
        });
        let input = ReportInput {
            tenant_name: tenant.name.clone(),
            document: info.clone(),
            classification: classification.cloned().unwrap_or(Classification {
                kind: DocumentKind::Other,
                confidence: 0.0,
                reasons: vec![],
            }),
            invoice,
            findings: output
                .findings
                .iter()
                .map(convert::finding_to_wit)
                .collect(),
            risk_score: output.risk_score,
            decision,
            decision_reasons: output.decision_reasons.clone(),
            trail,
            components: output
                .plugins
                .iter()
                .filter(|(s, _)| s.as_str() != "report")
                .map(|(stage, digest)| ComponentRef {
                    stage: stage.split(':').next().unwrap_or(stage).into(),
                    name: stage.split(':').nth(1).unwrap_or(stage).into(),
                    digest: digest.clone(),
                })
                .collect(),
            original_pages: pages,
            original_excerpt: excerpt.to_vec(),
            generated_at,
        };
        let r = &self.plugins.report;
        self.runtime
            .render(r, tenant.caps(r), &self.options.stage_limits, &input)
            .map(|c| c.value)
    }
}

/// What every fraud-rule component of a check receives.
pub fn check_input(
    tenant: &TenantContext,
    info: &DocumentInfo,
    parsed: &ParsedDocument,
    cls: &Classification,
    inv: &Invoice,
) -> CheckInput {
    CheckInput {
        document: info.clone(),
        parsed: parsed.clone(),
        classification: cls.clone(),
        invoice: inv.clone(),
        today: tenant.today,
    }
}

/// The page count and first lines of a document, which the report shows as its
/// reference to the original.
pub fn reference(parsed: &ParsedDocument) -> (u32, Vec<String>) {
    let excerpt = parsed
        .pages
        .first()
        .map(|pg| pg.lines.iter().take(12).map(|l| l.text.clone()).collect())
        .unwrap_or_default();
    (parsed.pages.len() as u32, excerpt)
}

/// `2026-11-26T09:00:00Z` from seconds since the epoch.
pub fn unix_to_rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Seconds since the epoch at midnight UTC of `d`.
pub fn date_to_unix(d: &Date) -> u64 {
    let (y, m, day) = (d.year as i64, d.month as i64, d.day as i64);
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    ((era * 146_097 + doe - 719_468).max(0) * 86_400) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let d = Date {
            year: 2026,
            month: 11,
            day: 26,
        };
        assert_eq!(unix_to_rfc3339(date_to_unix(&d)), "2026-11-26T00:00:00Z");
        assert_eq!(unix_to_rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
