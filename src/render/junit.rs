//! JUnit XML for CI systems: one `<testsuite>` per target, one `<testcase>` per rule.
//!
//! A failed rule at or above `--fail-on` is a `<failure>`; an incomplete one (the scan lacks the
//! facts) an `<error>`; a failed or incomplete rule below `--fail-on` is `<skipped>` with the
//! reason, so the counts agree with the exit code.

use std::io::Write;

use crate::policy::RuleStatus;
use crate::render::markup::{self, Dialect};
use crate::report::ScanReport;

/// Escapes text for XML content and attribute values (see [`Dialect::Xml`]).
pub fn escape(s: &str) -> String {
    markup::escape(s, Dialect::Xml)
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

/// Writes the whole document. Targets judged by no policy are left out.
pub fn write(out: &mut dyn Write, report: &ScanReport) -> std::io::Result<()> {
    let mut suites = String::new();
    let mut total = Counts::default();
    for t in &report.targets {
        let Some(p) = &t.policy else { continue };
        let mut c = Counts::default();
        let mut cases = String::new();
        for r in &p.rules {
            c.tests += 1;
            let class = escape(&format!("tlsaudit.{}", p.policy));
            let name = escape(&r.id);
            let source = if r.source_section.is_empty() {
                String::new()
            } else {
                format!("\nsource: {}", r.source_section)
            };
            let detail = escape(&format!(
                "{}\nevidence: {}\nfix: {}{source}",
                r.title, r.evidence, r.message
            ));
            let sev = r.severity.name();
            let body = match (r.status, p.counts(r)) {
                (RuleStatus::Pass, _) => String::new(),
                (RuleStatus::Fail, true) => {
                    c.failures += 1;
                    format!(
                        "      <failure type=\"{sev}\" message=\"{}\">{detail}</failure>\n",
                        escape(&r.evidence)
                    )
                }
                (RuleStatus::Incomplete, true) => {
                    c.errors += 1;
                    format!(
                        "      <error type=\"incomplete\" message=\"{}\">{detail}</error>\n",
                        escape(&format!("incomplete: {}", r.evidence))
                    )
                }
                (status, false) => {
                    c.skipped += 1;
                    let what = if status == RuleStatus::Fail {
                        "failed"
                    } else {
                        "incomplete"
                    };
                    format!(
                        "      <skipped message=\"{}\"/>\n",
                        escape(&format!("{what}, {sev} below --fail-on: {}", r.evidence))
                    )
                }
            };
            if body.is_empty() {
                cases.push_str(&format!(
                    "    <testcase classname=\"{class}\" name=\"{name}\"/>\n"
                ));
            } else {
                cases.push_str(&format!(
                    "    <testcase classname=\"{class}\" name=\"{name}\">\n{body}    </testcase>\n"
                ));
            }
        }
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n    <properties>\n      <property name=\"policy\" value=\"{}\"/>\n      <property name=\"verdict\" value=\"{}\"/>\n    </properties>\n{cases}  </testsuite>\n",
            escape(&t.target),
            c.tests,
            c.failures,
            c.errors,
            c.skipped,
            escape(&p.policy),
            p.verdict,
        ));
        total.tests += c.tests;
        total.failures += c.failures;
        total.errors += c.errors;
        total.skipped += c.skipped;
    }
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tlsaudit\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n{suites}</testsuites>\n",
        total.tests, total.failures, total.errors, total.skipped
    )
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            escape("a<b>&\"c\" 'd'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&quot; &apos;d&apos;\n"
        );
    }
}
