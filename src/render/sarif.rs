//! SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format) for code-scanning dashboards.
//!
//! One run; the policy's rules are `tool.driver.rules`; every rule on every target is a result:
//! `kind` `fail` (with `level` from the rule's severity), `open` (incomplete: the scan lacks the
//! facts) or `pass`. A target is a logical location named after it. Targets that could not be
//! scanned are also tool execution notifications.

use std::io::Write;

use serde_json::{json, Value};

use crate::facts::Severity;
use crate::policy::RuleStatus;
use crate::report::ScanReport;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The SARIF log as a JSON value.
pub fn log(report: &ScanReport) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_ids: Vec<String> = Vec::new();
    let mut results = Vec::new();
    let mut notes = Vec::new();
    for t in &report.targets {
        if let Some(e) = &t.error {
            notes.push(json!({
                "level": "error",
                "message": { "text": format!("{}: could not be scanned: {e}", t.target) },
            }));
        }
        let Some(p) = &t.policy else { continue };
        for r in &p.rules {
            let index = match rule_ids.iter().position(|id| id == &r.id) {
                Some(i) => i,
                None => {
                    rule_ids.push(r.id.clone());
                    rules.push(json!({
                        "id": r.id,
                        "name": r.id,
                        "shortDescription": { "text": r.title },
                        "help": { "text": r.message },
                        "defaultConfiguration": { "level": level(r.severity) },
                        "properties": if r.source_section.is_empty() {
                            json!({ "policy": p.policy })
                        } else {
                            json!({ "policy": p.policy, "source_section": r.source_section })
                        },
                    }));
                    rule_ids.len() - 1
                }
            };
            let (kind, lvl, text) = match r.status {
                RuleStatus::Fail => (
                    "fail",
                    level(r.severity),
                    format!("{}: {}. Fix: {}", t.target, r.evidence, r.message),
                ),
                RuleStatus::Incomplete => (
                    "open",
                    "none",
                    format!("{}: not enough facts to judge: {}", t.target, r.evidence),
                ),
                RuleStatus::Pass => ("pass", "none", format!("{}: {}", t.target, r.evidence)),
            };
            results.push(json!({
                "ruleId": r.id,
                "ruleIndex": index,
                "kind": kind,
                "level": lvl,
                "message": { "text": text },
                "locations": [{
                    "logicalLocations": [{
                        "name": t.target,
                        "fullyQualifiedName": format!("{}:{}", t.host, t.port),
                        "kind": "resource",
                    }],
                }],
                "properties": {
                    "target": t.target,
                    "policy": p.policy,
                    "verdict": p.verdict,
                    "evidence": r.evidence,
                },
            }));
        }
    }
    let mut invocation = json!({
        "executionSuccessful": notes.is_empty(),
        "toolExecutionNotifications": notes,
    });
    if !report.started_at.is_empty() {
        invocation["startTimeUtc"] = json!(report.started_at);
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "tlsaudit",
                    "version": report.tool.version,
                    "rules": rules,
                },
            },
            "invocations": [invocation],
            "results": results,
        }],
    })
}

/// Writes the SARIF log.
pub fn write(out: &mut dyn Write, report: &ScanReport) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report))?;
    writeln!(out)
}
