//! The policy verdict for people: the verdict first, then each failed (or undecided) rule with
//! its severity, the evidence and the change that fixes it.

use std::io::Write;

use crate::facts::Severity;
use crate::policy::{PolicyResult, RuleStatus, Verdict};
use crate::render::style::Style;
use crate::render::view::{rule_label, verdict_tone};
use crate::report::TargetReport;

/// Writes a target's verdict block; nothing when the target was not judged.
pub fn target(out: &mut dyn Write, t: &TargetReport, style: &Style) -> std::io::Result<()> {
    let Some(p) = &t.policy else {
        return Ok(());
    };
    if let Some(e) = &t.error {
        // Every rule is incomplete for the same reason: say it once.
        return writeln!(
            out,
            "{}: {}  {}\n",
            style.bold(&format!("{}  policy {}", t.target, p.policy)),
            style.bold(&style.yellow(&p.verdict.to_string())),
            style.dim(&format!("(not scanned: {e})"))
        );
    }
    block(out, &t.target, p, style)
}

/// Writes the verdict block of one judged target.
pub fn block(
    out: &mut dyn Write,
    name: &str,
    p: &PolicyResult,
    style: &Style,
) -> std::io::Result<()> {
    let verdict = style.tone(verdict_tone(p.verdict), &p.verdict.to_string());
    writeln!(
        out,
        "{}: {}  {}",
        style.bold(&format!("{name}  policy {}", p.policy)),
        style.bold(&verdict),
        style.dim(&format!("({})", p.summary()))
    )?;
    writeln!(out, "  {}", style.dim(&p.version_note()))?;
    for r in p.rules.iter().filter(|r| r.status != RuleStatus::Pass) {
        let counts = p.counts(r);
        let head = format!("{:<10} {:<7}", rule_label(r.status), r.severity.name());
        let head = match (r.status, r.severity, counts) {
            (_, _, false) => style.dim(&head),
            (RuleStatus::Fail, Severity::Error, _) => style.red(&head),
            _ => style.yellow(&head),
        };
        writeln!(out, "  {head} {}  {}", style.bold(&r.id), r.title)?;
        writeln!(out, "  {:18} evidence: {}", "", r.evidence)?;
        if r.status == RuleStatus::Fail {
            writeln!(out, "  {:18} fix: {}", "", r.message)?;
            if !r.source_section.is_empty() {
                writeln!(out, "  {:18} source: {}", "", style.dim(&r.source_section))?;
            }
        }
    }
    writeln!(out)
}

/// One line over all judged targets, for runs of more than one: "3 targets: 1 COMPLIANT, …".
pub fn summary(out: &mut dyn Write, tally: &crate::audit::Tally) -> std::io::Result<()> {
    let judged = tally.compliant + tally.not_compliant + tally.incomplete;
    if judged < 2 {
        return Ok(());
    }
    let parts: Vec<String> = [
        (Verdict::Compliant, tally.compliant),
        (Verdict::NotCompliant, tally.not_compliant),
        (Verdict::Incomplete, tally.incomplete),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(v, n)| format!("{n} {v}"))
    .collect();
    writeln!(out, "{judged} targets: {}", parts.join(", "))
}
