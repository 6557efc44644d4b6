//! The three stage jobs of a document in `papyr serve`:
//! `extract` (parse → classify → extract), `check` (fraud rules and the decision,
//! serialised per tenant because it reads the tenant's earlier invoices) and
//! `report` (the approval report PDF into object storage).
use super::Shared;
use anyhow::{Context, Result};
use papyr_domain::TenantFile;
use papyr_domain::model::{ProcessOutput, Severity};
use papyr_runtime::bindings::history::VendorQuery;
use papyr_runtime::bindings::types::{
    Classification, DocumentInfo, DocumentKind, Invoice, ParsedDocument,
};
use papyr_runtime::convert::{self, OriginFile};
use papyr_runtime::{Checked, DocumentInput, History, MemoryHistory, TenantContext};
use papyr_store::jobs::{FindingWrite, InvoiceWrite, StageOutcome};
use papyr_store::{DocumentRow, Job};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Why a stage did not produce an outcome.
pub enum StageFailure {
    /// The document itself cannot be processed (a stage error or trap): park it as
    /// failed, visibly, without retrying.
    Permanent(String),
    /// Infrastructure (database, storage): retry with backoff.
    Transient(anyhow::Error),
}

impl StageFailure {
    /// For callers outside the job queue (the API), to whom both kinds are a fault.
    pub(crate) fn into_error(self) -> anyhow::Error {
        match self {
            StageFailure::Permanent(why) => anyhow::anyhow!(why),
            StageFailure::Transient(e) => e,
        }
    }
}

impl From<papyr_store::StoreError> for StageFailure {
    fn from(e: papyr_store::StoreError) -> Self {
        StageFailure::Transient(e.into())
    }
}

impl From<anyhow::Error> for StageFailure {
    fn from(e: anyhow::Error) -> Self {
        StageFailure::Transient(e)
    }
}

/// How long a tenant's settings and vendor master are reused between jobs.
pub const TENANT_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// A tenant's settings and vendor master.
pub struct TenantData {
    file: TenantFile,
    vendors: Vec<papyr_runtime::bindings::history::Vendor>,
}

/// What the extract stage stores for the later stages.
#[derive(Serialize, Deserialize)]
pub(crate) struct Extracted {
    pub(crate) output: ProcessOutput,
    pub(crate) classification: Option<Classification>,
    pub(crate) invoice: Option<Invoice>,
    pub(crate) needs_ocr: Option<String>,
    pub(crate) pages: u32,
    pub(crate) excerpt: Vec<String>,
}

/// What a stage hands to the document's next stage when the same worker goes on with
/// it: exactly what it committed, so the next stage need not read it back (or parse
/// the document again).
pub struct Carry {
    doc: DocumentRow,
    ex: Arc<Extracted>,
    parsed: Option<ParsedDocument>,
    output: Option<ProcessOutput>,
}

/// The document status a check decision puts an invoice in.
pub(crate) fn status_of(decision: &str) -> &'static str {
    match decision {
        "auto-approve" => "auto_approved",
        "needs-approval" => "pending_approval",
        "hold" => "on_hold",
        "not-an-invoice" => "not_an_invoice",
        _ => "failed",
    }
}

/// Findings as the store writes them.
pub(crate) fn finding_writes(findings: &[papyr_domain::model::FindingOut]) -> Vec<FindingWrite> {
    findings
        .iter()
        .map(|f| FindingWrite {
            rule: f.rule.clone(),
            severity: format!("{:?}", f.severity).to_lowercase(),
            score: f.score as i64,
            message: f.message.clone(),
            evidence_json: serde_json::to_string(&f.evidence).unwrap_or_default(),
            plugin: f.plugin.clone(),
        })
        .collect()
}

fn info_of(doc: &DocumentRow) -> DocumentInfo {
    DocumentInfo {
        media_type: doc.media_type.clone(),
        filename: doc.filename.clone(),
        sha256: doc.sha256.clone(),
        size: doc.size as u64,
        origin: origin_of(doc),
    }
}

fn origin_of(doc: &DocumentRow) -> papyr_runtime::bindings::types::Origin {
    serde_json::from_str::<OriginFile>(&doc.origin)
        .unwrap_or_default()
        .into_wit(&doc.channel)
}

impl Shared {
    async fn doc(&self, job: &Job) -> Result<DocumentRow> {
        self.db
            .document(&job.tenant_id, &job.document_id)
            .await?
            .with_context(|| format!("document {} is missing", job.document_id))
    }

    /// A tenant's settings and vendor master, cached for [`TENANT_TTL`]: every job
    /// needs them and they change rarely.
    async fn tenant_data(&self, tenant_id: &str) -> Result<Arc<TenantData>> {
        if let Some((at, data)) = self
            .tenants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(tenant_id)
            && at.elapsed() < TENANT_TTL
        {
            return Ok(data.clone());
        }
        let (name, settings) = self
            .db
            .tenant_settings(tenant_id)
            .await?
            .with_context(|| format!("tenant {tenant_id} is missing"))?;
        let mut file: TenantFile = serde_json::from_str(&settings)
            .with_context(|| format!("tenant {tenant_id} has invalid settings"))?;
        file.name = name;
        let vendors = self
            .db
            .vendors(tenant_id)
            .await?
            .into_iter()
            .map(|v| {
                convert::vendor(&papyr_domain::VendorRecord {
                    id: v.id,
                    name: v.name,
                    tax_ids: v.tax_ids,
                    ibans: v.ibans,
                    domains: v.domains,
                    country: v.country,
                    created_at: papyr_runtime::pipeline::unix_to_rfc3339(
                        (v.created_at / 1000) as u64,
                    ),
                    updated_at: papyr_runtime::pipeline::unix_to_rfc3339(
                        (v.updated_at / 1000) as u64,
                    ),
                })
            })
            .collect();
        let data = Arc::new(TenantData { file, vendors });
        self.tenants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                tenant_id.to_string(),
                (std::time::Instant::now(), data.clone()),
            );
        Ok(data)
    }

    /// The tenant's settings with a history.
    pub(crate) async fn tenant(
        &self,
        tenant_id: &str,
        history: MemoryHistory,
    ) -> Result<TenantContext> {
        let data = self.tenant_data(tenant_id).await?;
        crate::setup::tenant_context(&data.file, None, Arc::new(history))
    }

    pub(crate) async fn vendor_history(&self, tenant_id: &str) -> Result<MemoryHistory> {
        Ok(MemoryHistory::new(
            self.tenant_data(tenant_id).await?.vendors.clone(),
        ))
    }

    /// Run a stage; `carry` is what the previous stage of this document handed over
    /// when the same worker continues with it.
    pub async fn run_stage(
        self: &Arc<Self>,
        job: &Job,
        carry: Option<Carry>,
    ) -> Result<(StageOutcome, Option<Carry>), StageFailure> {
        let carry = carry.filter(|c| c.doc.id == job.document_id);
        match job.stage.as_str() {
            "extract" => self.extract(job).await,
            "check" => self.check(job, carry).await,
            "report" => self.report(job, carry).await,
            other => Err(StageFailure::Permanent(format!("unknown stage `{other}`"))),
        }
    }

    async fn extract(
        self: &Arc<Self>,
        job: &Job,
    ) -> Result<(StageOutcome, Option<Carry>), StageFailure> {
        let doc = self.doc(job).await?;
        let bytes = self
            .blob
            .get(&doc.blob_key)
            .await
            .with_context(|| format!("cannot read {} from storage", doc.blob_key))?;
        let vendors = self.vendor_history(&job.tenant_id).await?;
        let tenant = self.tenant(&job.tenant_id, vendors).await?;
        let input = DocumentInput {
            filename: doc.filename.clone(),
            bytes,
            origin: origin_of(&doc),
        };
        let this = self.clone();
        let (prepared, tenant) =
            tokio::task::spawn_blocking(move || (this.pipeline.prepare(&tenant, input), tenant))
                .await
                .map_err(|e| StageFailure::Transient(anyhow::anyhow!("extract task: {e}")))?;
        if let Some(err) = &prepared.output.error {
            return Err(StageFailure::Permanent(err.clone()));
        }
        let out = &prepared.output;
        let kind = prepared
            .classification
            .as_ref()
            .map_or(DocumentKind::Other, |c| c.kind);
        let is_invoice = matches!(kind, DocumentKind::Invoice | DocumentKind::CreditNote);
        let digest = |stage: &str| out.plugins.get(stage).cloned().unwrap_or_default();
        let mut audit = vec![(
            format!("plugin:{}", digest("classify")),
            "classified".to_string(),
            out.classification.as_ref().map_or(String::new(), |c| {
                format!("{} ({:.2})", c.kind, c.confidence)
            }),
        )];
        let invoice = prepared.invoice.as_ref().map(|inv| {
            let vendor = tenant.history.find_vendor(&VendorQuery {
                tax_id: inv.vendor.tax_id.clone(),
                iban: None,
                name: inv.vendor.name.clone(),
                domain: None,
            });
            InvoiceWrite {
                vendor_id: vendor.map(|v| v.id),
                vendor_name: inv.vendor.name.clone(),
                vendor_tax_id: inv.vendor.tax_id.clone(),
                invoice_number: inv.invoice_number.clone(),
                issue_date: inv.issue_date.as_ref().map(convert::date),
                currency: inv.currency.clone(),
                gross_minor: inv.gross_total.as_ref().map(|m| m.minor),
                iban: inv.iban.as_deref().map(convert::norm_iban),
                fields_json: serde_json::to_string(&out.fields).unwrap_or_default(),
                invoice_json: serde_json::to_string(inv).unwrap_or_default(),
            }
        });
        if invoice.is_some() {
            audit.push((
                format!("plugin:{}", digest("extract")),
                "extracted".into(),
                format!("{} fields with evidence", out.field_evidence.len()),
            ));
        } else if let Some(reason) = &prepared.needs_ocr {
            audit.push((
                format!("plugin:{}", digest("extract")),
                "needs-ocr".into(),
                reason.clone(),
            ));
        }
        let (pages, excerpt) = prepared
            .parsed
            .as_ref()
            .map(papyr_runtime::pipeline::reference)
            .unwrap_or_default();
        let (status, decision, next) = if is_invoice {
            ("extracted", None, Some("check".to_string()))
        } else {
            audit.push((
                "system".into(),
                "not-an-invoice".into(),
                "kept, not routed for payment".into(),
            ));
            ("not_an_invoice", Some("not-an-invoice".to_string()), None)
        };
        let stored = Extracted {
            output: prepared.output.clone(),
            classification: prepared.classification.clone(),
            invoice: prepared.invoice.clone(),
            needs_ocr: prepared.needs_ocr.clone(),
            pages,
            excerpt,
        };
        let outcome = StageOutcome {
            result_json: serde_json::to_string(&stored)
                .context("cannot serialise the extract result")?,
            plugins_json: serde_json::to_string(&out.plugins).unwrap_or_default(),
            duration_us: ["parse", "classify", "extract"]
                .iter()
                .filter_map(|k| out.timings_us.get(*k))
                .sum::<u64>() as i64,
            status: Some(status.into()),
            kind: out.classification.as_ref().map(|c| c.kind.clone()),
            decision,
            invoice,
            audit,
            next_stage: next,
            ..StageOutcome::default()
        };
        let carry = outcome.next_stage.is_some().then(|| Carry {
            doc,
            ex: Arc::new(stored),
            parsed: prepared.parsed,
            output: None,
        });
        Ok((outcome, carry))
    }

    async fn extracted(&self, job: &Job) -> Result<Extracted> {
        self.extracted_of(&job.tenant_id, &job.document_id).await
    }

    async fn extracted_of(&self, tenant_id: &str, document_id: &str) -> Result<Extracted> {
        let text = self
            .db
            .stage_result(tenant_id, document_id, "extract")
            .await?
            .with_context(|| format!("document {document_id} has no extract result"))?;
        serde_json::from_str(&text).context("invalid stored extract result")
    }

    async fn check(
        self: &Arc<Self>,
        job: &Job,
        carry: Option<Carry>,
    ) -> Result<(StageOutcome, Option<Carry>), StageFailure> {
        let (doc, ex, carried_parsed) = match carry {
            Some(c) => (c.doc, c.ex, c.parsed),
            None => (
                self.doc(job).await?,
                Arc::new(self.extracted(job).await?),
                None,
            ),
        };
        let mut output = ex.output.clone();
        let (findings, decision, score, reasons) = if let Some(reason) = &ex.needs_ocr {
            let f = papyr_domain::model::FindingOut {
                rule: "pipeline.no-text-layer".into(),
                severity: Severity::Medium,
                score: 30,
                message: format!(
                    "No fields could be read ({reason}); the document needs OCR or manual entry."
                ),
                evidence: vec![],
                plugin: "host".into(),
            };
            (
                vec![f],
                "hold".to_string(),
                0,
                vec!["no text layer: route to OCR or manual entry".to_string()],
            )
        } else {
            let (Some(inv), Some(cls)) = (ex.invoice.clone(), ex.classification.clone()) else {
                return Err(StageFailure::Permanent(
                    "the extract result holds no invoice".into(),
                ));
            };
            let checked = self
                .check_invoice(&doc, inv, Some(cls), carried_parsed, true)
                .await?;
            output.plugins.extend(checked.plugins.clone());
            output.timings_us.insert("fraud".into(), checked.elapsed_us);
            (
                checked.findings,
                checked.decision.as_str().to_string(),
                checked.risk_score,
                checked.reasons,
            )
        };
        output.findings = findings.clone();
        output.decision = decision.clone();
        output.risk_score = score;
        output.decision_reasons = reasons.clone();
        let fraud_digests: Vec<String> = output
            .plugins
            .iter()
            .filter(|(k, _)| k.starts_with("fraud:"))
            .map(|(_, d)| format!("plugin:{d}"))
            .collect();
        let audit = vec![
            (
                if fraud_digests.is_empty() {
                    "system".to_string()
                } else {
                    fraud_digests.join(",")
                },
                "checked".to_string(),
                format!("{} findings, risk {score}", findings.len()),
            ),
            (
                "system".to_string(),
                format!("decision:{decision}"),
                reasons.join("; "),
            ),
        ];
        // How many people must approve, fixed when the invoice reaches them.
        let approvals_needed = if matches!(decision.as_str(), "needs-approval" | "hold") {
            let bands = self
                .tenant_data(&job.tenant_id)
                .await?
                .file
                .approval_bands()
                .map_err(|e| StageFailure::Permanent(format!("tenant approval bands: {e}")))?;
            let gross = ex
                .invoice
                .as_ref()
                .and_then(|i| i.gross_total.as_ref())
                .map(|g| papyr_domain::money::Amount {
                    minor: g.minor,
                    currency: g.currency.clone(),
                });
            Some(papyr_domain::decision::approvals_needed(&bands, gross.as_ref()) as i64)
        } else {
            None
        };
        let outcome = StageOutcome {
            approvals_needed,
            result_json: serde_json::to_string(&output)
                .context("cannot serialise the check result")?,
            plugins_json: serde_json::to_string(&output.plugins).unwrap_or_default(),
            duration_us: output.timings_us.get("fraud").copied().unwrap_or(0) as i64,
            status: Some(status_of(&decision).into()),
            decision: Some(decision),
            risk_score: Some(score as i64),
            findings: Some(finding_writes(&findings)),
            audit,
            next_stage: Some("report".into()),
            ..StageOutcome::default()
        };
        let carry = Some(Carry {
            doc,
            ex,
            parsed: None,
            output: Some(output),
        });
        Ok((outcome, carry))
    }

    /// The fraud rules and the decision for one invoice, against the tenant's vendor
    /// master and its invoices received before this one: the check stage's work, which
    /// the API runs again after a person corrects a field. `cls` and `parsed` are what
    /// the caller has at hand; without them the stored extract result is read and the
    /// stored document parsed again.
    pub(crate) async fn recheck(
        self: &Arc<Self>,
        doc: &DocumentRow,
        inv: Invoice,
        cls: Option<Classification>,
        parsed: Option<ParsedDocument>,
    ) -> Result<Checked, StageFailure> {
        self.check_invoice(doc, inv, cls, parsed, false).await
    }

    /// The tenant's rule set (one snapshot: an activation meanwhile takes effect for
    /// the next invoice) on one invoice, then the decision. With `shadow`, candidate
    /// versions run beside the active ones and their agreement is recorded.
    async fn check_invoice(
        self: &Arc<Self>,
        doc: &DocumentRow,
        inv: Invoice,
        cls: Option<Classification>,
        parsed: Option<ParsedDocument>,
        shadow: bool,
    ) -> Result<Checked, StageFailure> {
        let tenant_id = doc.tenant_id.as_str();
        let cls = match cls {
            Some(c) => c,
            None => self
                .extracted_of(tenant_id, &doc.id)
                .await?
                .classification
                .ok_or_else(|| {
                    StageFailure::Permanent("the extract result holds no classification".into())
                })?,
        };
        let (tenant, info, parsed) = self.check_context(doc, &inv, parsed).await?;
        let rules = self.rule_set(tenant_id, &tenant).await?;
        let this = self.clone();
        let document_id = doc.id.clone();
        let tid = tenant_id.to_string();
        let (checked, shadows) = tokio::task::spawn_blocking(move || {
            let (checked, stats) =
                this.pipeline
                    .check_with(&tenant, &rules.active, &info, &parsed, &cls, &inv);
            for s in &stats {
                this.plugins.stats.record(&tid, s, false);
            }
            let shadows = if shadow && !rules.shadows.is_empty() {
                let input =
                    papyr_runtime::pipeline::check_input(&tenant, &info, &parsed, &cls, &inv);
                super::plugins::run_shadows(
                    &this,
                    &tenant,
                    &rules,
                    &input,
                    &checked.findings,
                    &document_id,
                    &tid,
                )
            } else {
                Vec::new()
            };
            (checked, shadows)
        })
        .await
        .map_err(|e| StageFailure::Transient(anyhow::anyhow!("check task: {e}")))?;
        if !shadows.is_empty() {
            // Observations only: a failure to record them must not fail the invoice.
            if let Err(e) = self.db.record_shadow(tenant_id, &shadows).await {
                tracing::warn!(document = %doc.id, error = %e, "cannot record shadow results");
            }
        }
        Ok(checked)
    }

    /// What checking an invoice needs besides the rules: the tenant's settings with
    /// its vendor master and its invoices received before this one, the document's
    /// info, and its parsed view (handed over by the caller, else parsed again).
    pub(crate) async fn check_context(
        self: &Arc<Self>,
        doc: &DocumentRow,
        inv: &Invoice,
        parsed: Option<ParsedDocument>,
    ) -> Result<(TenantContext, DocumentInfo, ParsedDocument), StageFailure> {
        let tenant_id = doc.tenant_id.as_str();
        // History: the vendor master plus this tenant's earlier related invoices.
        let history = self.vendor_history(tenant_id).await?;
        let vendor_id = history
            .find_vendor(&VendorQuery {
                tax_id: inv.vendor.tax_id.clone(),
                iban: None,
                name: inv.vendor.name.clone(),
                domain: None,
            })
            .map(|v| v.id);
        let iban = inv.iban.as_deref().map(convert::norm_iban);
        let related = self
            .db
            .related_invoices(
                tenant_id,
                &doc.id,
                &papyr_store::documents::RelatedKeys {
                    vendor_id: vendor_id.as_deref(),
                    vendor_tax_id: inv.vendor.tax_id.as_deref(),
                    vendor_name: inv.vendor.name.as_deref(),
                    iban: iban.as_deref(),
                },
                2000,
            )
            .await?;
        // Oldest first, as `papyr process` records them.
        for r in related.iter().rev() {
            if let Ok(past) = serde_json::from_str::<Invoice>(&r.invoice_json) {
                let at = papyr_runtime::pipeline::unix_to_rfc3339((r.received_at / 1000) as u64);
                history.record(convert::past_invoice(
                    &r.document_id,
                    &r.sha256,
                    &at,
                    &r.status,
                    r.vendor_id.clone(),
                    &past,
                ));
            }
        }
        let tenant = self.tenant(tenant_id, history).await?;
        let info = info_of(doc);
        let (tenant, parsed) = match parsed {
            Some(p) => (tenant, p),
            None => {
                let bytes = self
                    .blob
                    .get(&doc.blob_key)
                    .await
                    .with_context(|| format!("cannot read {} from storage", doc.blob_key))?;
                let this = self.clone();
                let i2 = info.clone();
                let (parsed, tenant) = tokio::task::spawn_blocking(move || {
                    (this.pipeline.parse(&tenant, &i2, bytes), tenant)
                })
                .await
                .map_err(|e| StageFailure::Transient(anyhow::anyhow!("parse task: {e}")))?;
                let parsed = parsed.map_err(|e| StageFailure::Permanent(format!("parse: {e}")))?;
                (tenant, parsed.value)
            }
        };
        Ok((tenant, info, parsed))
    }

    async fn report(
        self: &Arc<Self>,
        job: &Job,
        carry: Option<Carry>,
    ) -> Result<(StageOutcome, Option<Carry>), StageFailure> {
        let (doc, ex, output) = match carry {
            Some(Carry {
                doc,
                ex,
                output: Some(output),
                ..
            }) => (doc, ex, output),
            _ => {
                let text = self
                    .db
                    .stage_result(&job.tenant_id, &job.document_id, "check")
                    .await?
                    .with_context(|| format!("document {} has no check result", job.document_id))?;
                let output: ProcessOutput =
                    serde_json::from_str(&text).context("invalid stored check result")?;
                (
                    self.doc(job).await?,
                    Arc::new(self.extracted(job).await?),
                    output,
                )
            }
        };
        let tenant = self
            .tenant(&job.tenant_id, MemoryHistory::default())
            .await?;
        let info = info_of(&doc);
        let this = self.clone();
        let out2 = output.clone();
        let pdf = tokio::task::spawn_blocking(move || {
            this.pipeline.render(
                &tenant,
                &out2,
                &info,
                ex.classification.as_ref(),
                ex.invoice.as_ref(),
                ex.pages,
                &ex.excerpt,
            )
        })
        .await
        .map_err(|e| StageFailure::Transient(anyhow::anyhow!("report task: {e}")))?
        .map_err(|e| StageFailure::Permanent(format!("report: {e}")))?;
        let key = format!(
            "reports/{}.pdf",
            job.document_id.to_lowercase().replace('_', "-")
        );
        // Written before the job that records it commits.
        self.blob
            .put(&key, &pdf, "application/pdf")
            .await
            .with_context(|| format!("cannot store {key}"))?;
        let digest = self.pipeline.plugins.report.digest.clone();
        let outcome = StageOutcome {
            result_json: serde_json::json!({ "report": key, "size": pdf.len() }).to_string(),
            plugins_json: serde_json::json!({ "report": digest }).to_string(),
            audit: vec![(format!("plugin:{digest}"), "report-rendered".into(), key)],
            next_stage: None,
            ..StageOutcome::default()
        };
        Ok((outcome, None))
    }
}
