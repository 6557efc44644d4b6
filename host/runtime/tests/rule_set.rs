//! A tenant's rule set through `Pipeline::check_with`: each component under its own
//! limits (fuel scaled by line items), the failure policy deciding what a failed call
//! does to the invoice, disabled rules dropped, and the cost of every call reported.
mod common;

use papyr_domain::Decision;
use papyr_domain::model::Severity;
use papyr_runtime::bindings::types::*;
use papyr_runtime::{
    EngineOptions, FailurePolicy, Grants, MemoryHistory, Pipeline, PipelineOptions, RuleLimits,
    RuleRun, Runtime, StagePlugins, TenantContext,
};
use std::collections::BTreeMap;
use std::sync::Arc;

fn component(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../plugins/target/wasm32-wasip2/release/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{path}: {e} (build the plugin workspace first: `cargo xtask plugins`)")
    })
}

struct Setup {
    pipeline: Pipeline,
    hostile: Arc<papyr_runtime::Plugin>,
    po: Arc<papyr_runtime::Plugin>,
}

fn setup() -> Setup {
    let rt = Arc::new(Runtime::new(EngineOptions::default()).expect("engine"));
    let load = |name: &str, file: &str, history: bool| {
        Arc::new(
            rt.load(name, &component(file), Grants { history })
                .expect(name),
        )
    };
    let plugins = StagePlugins {
        parse: load("parse", "parse", false),
        classify: load("classify", "classify", false),
        extract: load("extract", "extract", false),
        fraud: vec![],
        report: load("report", "report", false),
    };
    let hostile = load("hostile", "hostile", true);
    let po = load("po", "po_required", false);
    Setup {
        pipeline: Pipeline::new(rt, plugins, PipelineOptions::default()).unwrap(),
        hostile,
        po,
    }
}

fn tenant() -> TenantContext {
    TenantContext {
        name: "t".into(),
        history: Arc::new(MemoryHistory::default()),
        plugin_config: BTreeMap::new(),
        today: Date {
            year: 2026,
            month: 11,
            day: 26,
        },
        clock_unix_secs: 1_795_000_000,
        policy: papyr_domain::DecisionPolicy::default(),
    }
}

fn run(
    p: &Arc<papyr_runtime::Plugin>,
    rule: &str,
    config: &[(&str, &str)],
    failure: FailurePolicy,
    limits: RuleLimits,
) -> RuleRun {
    RuleRun {
        plugin: p.clone(),
        declared: vec![rule.into()],
        config: config
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        limits,
        failure,
        disabled: vec![],
        label: "1".into(),
    }
}

fn input(lines: usize) -> CheckInput {
    let mut i = common::sample_input();
    let line = LineItem {
        description: "Widget".into(),
        quantity: None,
        unit: None,
        unit_price: None,
        net_amount: None,
        tax_rate: None,
        product_code: None,
    };
    i.invoice.line_items = vec![line; lines];
    i
}

fn check(
    s: &Setup,
    rules: &[RuleRun],
    i: &CheckInput,
) -> (papyr_runtime::Checked, Vec<papyr_runtime::RuleStat>) {
    s.pipeline.check_with(
        &tenant(),
        rules,
        &i.document,
        &i.parsed,
        &i.classification,
        &i.invoice,
    )
}

#[test]
fn the_failure_policy_decides_what_a_failed_rule_does() {
    let s = setup();
    // An endless loop with fuel to spare: the deadline stops it.
    let tight = RuleLimits {
        deadline_ms: 50,
        fuel_base: u64::MAX / 2,
        fuel_ceiling: u64::MAX / 2,
        ..RuleLimits::default()
    };
    let i = input(0);
    for (policy, severity, decision) in [
        (FailurePolicy::FailOpen, Severity::Info, None),
        (
            FailurePolicy::ManualReview,
            Severity::Medium,
            Some(Decision::NeedsApproval),
        ),
        (
            FailurePolicy::FailClosed,
            Severity::Critical,
            Some(Decision::Hold),
        ),
    ] {
        let rules = [run(
            &s.hostile,
            "test.hostile",
            &[("mode", "loop")],
            policy,
            tight.clone(),
        )];
        let (c, stats) = check(&s, &rules, &i);
        let f = c
            .findings
            .iter()
            .find(|f| f.rule == "pipeline.rule-failed")
            .expect("a failure finding");
        assert_eq!(f.severity, severity, "{policy:?}");
        assert!(f.message.contains("hostile"), "{}", f.message);
        if let Some(d) = decision {
            assert_eq!(c.decision, d, "{policy:?}");
        }
        assert_eq!(stats.len(), 1);
        assert_eq!(stats[0].error, Some("deadline"), "{policy:?}");
        assert!(stats[0].elapsed_us >= 40_000, "{}", stats[0].elapsed_us);
    }
}

#[test]
fn fuel_scales_with_line_items_and_is_reported() {
    let s = setup();
    // Enough fuel for a few lines' worth; a loop uses it all whatever the size.
    let l = RuleLimits {
        fuel_base: 1_000_000,
        fuel_per_line: 1_000_000,
        fuel_ceiling: 5_000_000,
        ..RuleLimits::default()
    };
    let rules = [run(
        &s.hostile,
        "test.hostile",
        &[("mode", "loop")],
        FailurePolicy::FailOpen,
        l,
    )];
    for (lines, fuel) in [(0, 1_000_000), (2, 3_000_000), (40, 5_000_000)] {
        let (_, stats) = check(&s, &rules, &input(lines));
        assert_eq!(stats[0].error, Some("fuel"), "{lines} lines");
        assert_eq!(stats[0].fuel, fuel, "{lines} lines get {fuel} fuel");
    }
    // A call that succeeds reports what it used and its peak memory.
    let rules = [run(
        &s.po,
        "tenant.po-required",
        &[("min_amount", "1.00")],
        FailurePolicy::FailOpen,
        RuleLimits::default(),
    )];
    let (c, stats) = check(&s, &rules, &input(1));
    assert_eq!(stats[0].error, None);
    assert!(
        stats[0].fuel > 0 && stats[0].fuel < 500_000_000,
        "{}",
        stats[0].fuel
    );
    assert!(stats[0].memory_peak >= 64 << 10, "{}", stats[0].memory_peak);
    assert_eq!(stats[0].findings, 1);
    assert!(c.findings.iter().any(|f| f.rule == "tenant.po-required"));
    assert_eq!(c.plugins.get("fraud:po"), Some(&s.po.digest));
}

#[test]
fn memory_limits_are_per_rule() {
    let s = setup();
    let small = RuleLimits {
        memory_mib: 4,
        ..RuleLimits::default()
    };
    let rules = [
        run(
            &s.hostile,
            "test.hostile",
            &[("mode", "grow")],
            FailurePolicy::FailOpen,
            small,
        ),
        run(
            &s.po,
            "tenant.po-required",
            &[("min_amount", "1.00")],
            FailurePolicy::FailOpen,
            RuleLimits::default(),
        ),
    ];
    let (c, stats) = check(&s, &rules, &input(0));
    assert_eq!(stats[0].error, Some("memory"));
    assert!(stats[0].elapsed_us > 0);
    // The next rule of the same invoice is unaffected.
    assert_eq!(stats[1].error, None);
    assert!(c.findings.iter().any(|f| f.rule == "tenant.po-required"));
}

#[test]
fn disabled_and_undeclared_rules_are_dropped() {
    let s = setup();
    let mut r = run(
        &s.po,
        "tenant.po-required",
        &[("min_amount", "1.00")],
        FailurePolicy::FailOpen,
        RuleLimits::default(),
    );
    r.disabled = vec!["tenant.po-required".into()];
    let (c, stats) = check(&s, &[r], &input(0));
    assert!(c.findings.is_empty(), "{:?}", c.findings);
    assert_eq!((stats[0].findings, stats[0].error), (0, None));
    // A finding for a rule id it did not declare is refused and counted as bad output.
    let mut r = run(
        &s.po,
        "tenant.po-required",
        &[("min_amount", "1.00")],
        FailurePolicy::FailOpen,
        RuleLimits::default(),
    );
    r.declared = vec!["tenant.other".into()];
    let (c, stats) = check(&s, &[r], &input(0));
    assert_eq!(c.findings.len(), 1);
    assert_eq!(c.findings[0].rule, "pipeline.rule-failed");
    assert_eq!(stats[0].error, Some("bad-output"));
}
