//! Prometheus metrics, kept in process and written in the text exposition format.
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Histogram buckets in seconds for stage latencies.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    stage_latency: BTreeMap<String, Histogram>,
    stage_failures: BTreeMap<(String, String), u64>,
    documents_done: BTreeMap<String, u64>,
    intake: BTreeMap<String, u64>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    pub fn stage_done(&self, stage: &str, took: Duration) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let h = g.stage_latency.entry(stage.to_string()).or_default();
        if h.counts.is_empty() {
            h.counts = vec![0; BUCKETS.len()];
        }
        let secs = took.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    pub fn stage_failed(&self, stage: &str, kind: &str) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *g.stage_failures
            .entry((stage.to_string(), kind.to_string()))
            .or_default() += 1;
    }

    pub fn document_final(&self, status: &str) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *g.documents_done.entry(status.to_string()).or_default() += 1;
    }

    pub fn intake(&self, outcome: &str) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *g.intake.entry(outcome.to_string()).or_default() += 1;
    }

    /// The exposition text; `queue` is the current depth per stage (read from the
    /// database at scrape time), `None` when the database is unreachable.
    pub fn render(&self, queue: Option<&[(String, i64)]>, ready: bool) -> String {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut o = String::new();
        o.push_str("# HELP papyr_ready 1 when the database and object storage answer.\n# TYPE papyr_ready gauge\n");
        o.push_str(&format!("papyr_ready {}\n", ready as u8));
        o.push_str("# HELP papyr_queue_depth Jobs waiting or running, per stage.\n# TYPE papyr_queue_depth gauge\n");
        for stage in ["extract", "check", "report"] {
            let n = queue
                .and_then(|q| q.iter().find(|(s, _)| s == stage).map(|(_, n)| *n))
                .unwrap_or(0);
            if queue.is_some() {
                o.push_str(&format!("papyr_queue_depth{{stage=\"{stage}\"}} {n}\n"));
            }
        }
        o.push_str("# HELP papyr_stage_duration_seconds Time a stage job took, including storage and database work.\n# TYPE papyr_stage_duration_seconds histogram\n");
        for (stage, h) in &g.stage_latency {
            for (i, b) in BUCKETS.iter().enumerate() {
                o.push_str(&format!(
                    "papyr_stage_duration_seconds_bucket{{stage=\"{stage}\",le=\"{b}\"}} {}\n",
                    h.counts[i]
                ));
            }
            o.push_str(&format!(
                "papyr_stage_duration_seconds_bucket{{stage=\"{stage}\",le=\"+Inf\"}} {}\n",
                h.count
            ));
            o.push_str(&format!(
                "papyr_stage_duration_seconds_sum{{stage=\"{stage}\"}} {}\n",
                h.sum
            ));
            o.push_str(&format!(
                "papyr_stage_duration_seconds_count{{stage=\"{stage}\"}} {}\n",
                h.count
            ));
        }
        o.push_str("# HELP papyr_stage_failures_total Failed stage attempts by kind (retry, parked, lease-lost).\n# TYPE papyr_stage_failures_total counter\n");
        for ((stage, kind), n) in &g.stage_failures {
            o.push_str(&format!(
                "papyr_stage_failures_total{{stage=\"{stage}\",kind=\"{kind}\"}} {n}\n"
            ));
        }
        o.push_str("# HELP papyr_documents_completed_total Documents that reached a final state in this process.\n# TYPE papyr_documents_completed_total counter\n");
        for (status, n) in &g.documents_done {
            o.push_str(&format!(
                "papyr_documents_completed_total{{status=\"{status}\"}} {n}\n"
            ));
        }
        o.push_str("# HELP papyr_intake_total Files taken in by outcome (created, duplicate, error).\n# TYPE papyr_intake_total counter\n");
        for (outcome, n) in &g.intake {
            o.push_str(&format!(
                "papyr_intake_total{{outcome=\"{outcome}\"}} {n}\n"
            ));
        }
        o
    }
}
