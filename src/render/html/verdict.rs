//! The policy verdict of a target in the HTML report: the verdict first, then each failed (or
//! undecided) rule with its severity, the evidence and the change that fixes it.

use std::fmt::Write as _;

use crate::policy::{PolicyResult, RuleStatus, Verdict};
use crate::render::html::escape;
use crate::render::view::{rule_label, severity_tone, Tone};
use crate::report::TargetReport;

pub(super) fn verdict(h: &mut String, t: &TargetReport, p: &PolicyResult) -> std::fmt::Result {
    let class = verdict_class(p.verdict);
    writeln!(h, "<div class=\"verdict {class}\">")?;
    let detail = if let Some(e) = &t.error {
        // Every rule is incomplete for the same reason: say it once.
        format!("not scanned: {e}")
    } else {
        format!("{}; {}", p.summary(), p.version_note())
    };
    writeln!(
        h,
        "<p><span class=\"badge {class}\">{}</span> policy <strong>{}</strong> \
         <span class=\"dim\">({})</span></p>",
        p.verdict,
        escape(&p.policy),
        escape(&detail)
    )?;
    let open: Vec<_> = p
        .rules
        .iter()
        .filter(|r| r.status != RuleStatus::Pass)
        .collect();
    if t.error.is_none() && !open.is_empty() {
        writeln!(
            h,
            "<table><thead><tr><th>result</th><th>severity</th><th>rule</th>\
             <th>evidence and fix</th></tr></thead><tbody>"
        )?;
        for r in open {
            let counted = p.counts(r);
            let label = rule_label(r.status);
            let class = match r.status {
                RuleStatus::Fail => severity_tone(r.severity).name(),
                _ => Tone::Weak.name(),
            };
            writeln!(
                h,
                "<tr{}><td class=\"rating nowrap {class}\">{label}{}</td><td class=\"{}\">{}</td>\
                 <td><span class=\"mono\">{}</span><br>{}</td><td>{}{}</td></tr>",
                if counted {
                    ""
                } else {
                    " class=\"not-counted\""
                },
                if counted {
                    ""
                } else {
                    "<br><span class=\"small\">not counted</span>"
                },
                severity_tone(r.severity).name(),
                r.severity.name(),
                escape(&r.id),
                escape(&r.title),
                escape(&r.evidence),
                if r.status == RuleStatus::Fail {
                    format!(
                        "<div class=\"fix\"><strong>Fix:</strong> {}</div>",
                        escape(&r.message)
                    )
                } else {
                    String::new()
                }
            )?;
        }
        writeln!(h, "</tbody></table>")?;
    }
    writeln!(h, "</div>")
}

/// The CSS class of a verdict, which colours its badge and its block.
pub(super) fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Compliant => "compliant",
        Verdict::NotCompliant => "not-compliant",
        Verdict::Incomplete => "incomplete",
    }
}
