//! One self-contained HTML page for people: inline CSS, no scripts, no external resources, so
//! it can be mailed, archived or attached to a CI run as it is.
//!
//! Per target the policy verdict comes first (the failed rules with their severity, evidence
//! and fix), then the facts in the order of the text report. It reads the report only. Every
//! string a user or a server chose (targets, certificate names, ALPN protocols, evidence
//! quoting server answers) goes through [`escape`].

mod certs;
mod grade;
mod protocols;
mod sections;
mod simulation;
mod verdict;
mod weaknesses;

use std::fmt::Write as _;
use std::io::Write;

use crate::audit::Step;
use crate::facts::{SectionStatus, Stage};
use crate::policy::Verdict;
use crate::render::markup::{self, Dialect};
use crate::render::view::Phrase;
use crate::report::{ScanReport, TargetReport};

/// Escapes text for HTML content and quoted attribute values (see [`Dialect::Html`]).
pub fn escape(s: &str) -> String {
    markup::escape(s, Dialect::Html)
}

/// A phrase of the report, in a span of its tone's class when it has one.
pub(super) fn phrase(p: &Phrase) -> String {
    match p.tone {
        Some(tone) => format!("<span class=\"{}\">{}</span>", tone.name(), escape(&p.text)),
        None => escape(&p.text),
    }
}

/// The page's CSS: in a file of its own to read and change as CSS, inlined into every page so
/// that the page stays self-contained. `tlsaudit serve`'s pages use it too: one design.
pub const STYLE: &str = include_str!("style.css");

/// Writes the whole document.
pub fn write(out: &mut dyn Write, report: &ScanReport) -> std::io::Result<()> {
    let mut h = String::new();
    writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>TLS report: {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>",
        escape(&title(report))
    )
    .map_err(std::io::Error::other)?;
    h.push_str(&body(report));
    h.push_str("</body>\n</html>\n");
    out.write_all(h.as_bytes())
}

/// What the document's `<body>` holds: the heading, each target, the footer. `serve`'s result
/// page embeds it in a page of its own.
pub fn body(report: &ScanReport) -> String {
    let mut h = String::new();
    // Writing to a String cannot fail.
    let _ = page(&mut h, report);
    h
}

/// The part of a target's report that one finished step of a scan adds (`serve`'s live
/// progress): the sections of that stage, the grade block, the simulated clients, or the
/// verdict; empty when the step has nothing to show.
pub fn step(step: Step, t: &TargetReport) -> String {
    let mut h = String::new();
    // Writing to a String cannot fail.
    let _ = step_into(&mut h, step, t);
    h
}

fn step_into(h: &mut String, step: Step, t: &TargetReport) -> std::fmt::Result {
    match step {
        Step::Stage(Stage::Versions) => protocols::protocols(h, &t.protocols),
        Step::Stage(Stage::Suites) => protocols::suites(h, &t.protocols),
        Step::Stage(Stage::Certs) => t
            .certificates
            .as_ref()
            .map_or(Ok(()), |c| certs::certificates(h, c)),
        Step::Stage(Stage::Groups) => t.groups.as_ref().map_or(Ok(()), |g| sections::groups(h, g)),
        Step::Stage(Stage::Sigs) => t
            .signature_schemes
            .as_ref()
            .map_or(Ok(()), |s| sections::signatures(h, s)),
        Step::Stage(Stage::Features) => t
            .features
            .as_ref()
            .map_or(Ok(()), |f| sections::features(h, f)),
        Step::Stage(Stage::Http) => t.http.as_ref().map_or(Ok(()), |x| sections::http(h, x)),
        Step::Stage(Stage::Dns) => t
            .https_record
            .as_ref()
            .map_or(Ok(()), |d| sections::https_record(h, d)),
        Step::Stage(Stage::Ech) => t.ech.as_ref().map_or(Ok(()), |e| sections::ech(h, e)),
        Step::Stage(Stage::Weaknesses) => t
            .weaknesses
            .as_ref()
            .map_or(Ok(()), |w| weaknesses::weaknesses(h, w)),
        Step::Mail => {
            if let Some(d) = &t.dane {
                sections::dane(h, d)?;
            }
            t.mta_sts
                .as_ref()
                .map_or(Ok(()), |m| sections::mta_sts(h, m))
        }
        Step::Grade => t.grade.as_ref().map_or(Ok(()), |g| {
            writeln!(h, "<h3>Grade</h3>")?;
            grade::block(h, g)
        }),
        Step::Simulation => t
            .simulation
            .as_ref()
            .map_or(Ok(()), |s| simulation::section(h, s)),
        Step::Policy => t
            .policy
            .as_ref()
            .map_or(Ok(()), |p| verdict::verdict(h, t, p)),
    }
}

fn page(h: &mut String, report: &ScanReport) -> std::fmt::Result {
    writeln!(h, "<h1>TLS report</h1>")?;
    writeln!(
        h,
        "<p class=\"meta\">{} {} &middot; started {} &middot; {} ms &middot; {} target{}</p>",
        escape(&report.tool.name),
        escape(&report.tool.version),
        escape(&report.started_at),
        report.duration_ms,
        report.targets.len(),
        if report.targets.len() == 1 { "" } else { "s" }
    )?;
    summary(h, report)?;
    for (i, t) in report.targets.iter().enumerate() {
        target(h, i + 1, t)?;
    }
    writeln!(
        h,
        "<footer>Written by {} {} from the scan's facts (schema {}).</footer>",
        escape(&report.tool.name),
        escape(&report.tool.version),
        escape(&report.schema_version)
    )
}

fn title(report: &ScanReport) -> String {
    match report.targets.as_slice() {
        [t] => t.target.clone(),
        ts => format!("{} targets", ts.len()),
    }
}

/// "2 COMPLIANT, 1 NOT COMPLIANT" over the judged targets, for runs of more than one.
fn summary(h: &mut String, report: &ScanReport) -> std::fmt::Result {
    if report.targets.len() < 2 {
        return Ok(());
    }
    let mut parts = Vec::new();
    for v in [
        Verdict::Compliant,
        Verdict::NotCompliant,
        Verdict::Incomplete,
    ] {
        let n = report
            .targets
            .iter()
            .filter(|t| t.policy.as_ref().is_some_and(|p| p.verdict == v))
            .count();
        if n > 0 {
            parts.push(format!(
                "<span class=\"badge {}\">{n} {v}</span>",
                verdict::verdict_class(v)
            ));
        }
    }
    if !parts.is_empty() {
        writeln!(h, "<p class=\"summary\">{}</p>", parts.join(" "))?;
    }
    // An index: each target with its verdict, linked to its section.
    writeln!(h, "<table class=\"index\"><tbody>")?;
    for (i, t) in report.targets.iter().enumerate() {
        let verdict = match (&t.policy, &t.error) {
            (Some(p), _) => format!(
                "<span class=\"badge {}\">{}</span>",
                verdict::verdict_class(p.verdict),
                p.verdict
            ),
            (None, Some(_)) => "<span class=\"error\">not scanned</span>".to_string(),
            (None, None) => "<span class=\"dim\">not judged</span>".to_string(),
        };
        writeln!(
            h,
            "<tr><td><a href=\"#target-{}\">{}</a></td><td>{verdict}</td></tr>",
            i + 1,
            escape(&t.target)
        )?;
    }
    writeln!(h, "</tbody></table>")
}

fn target(h: &mut String, n: usize, t: &TargetReport) -> std::fmt::Result {
    writeln!(h, "<section class=\"target\" id=\"target-{n}\">")?;
    writeln!(
        h,
        "<header><h2>{}</h2><span class=\"meta mono\">[{}]:{}</span>\
         <span class=\"meta\">SNI {}</span>{}{}</header>",
        escape(&t.target),
        escape(t.ip.as_deref().unwrap_or("-")),
        t.port,
        escape(t.sni.as_deref().unwrap_or("(none)")),
        match &t.starttls {
            Some(s) => format!("<span class=\"meta\">STARTTLS {}</span>", s.name()),
            None if !t.transport.is_tcp() => "<span class=\"meta\">over QUIC</span>".into(),
            None => String::new(),
        },
        t.grade.as_ref().map_or_else(String::new, grade::badge)
    )?;
    if let Some(p) = &t.policy {
        verdict::verdict(h, t, p)?;
    }
    if let Some(g) = &t.grade {
        grade::block(h, g)?;
    }
    // A judged target's verdict already says why it was not scanned.
    if let (Some(e), None) = (&t.error, &t.policy) {
        writeln!(
            h,
            "<p class=\"error\"><strong>Not scanned:</strong> {}</p>",
            escape(e)
        )?;
    }
    let scanned = t
        .protocols
        .iter()
        .any(|p| p.status == SectionStatus::Completed);
    if scanned {
        protocols::protocols(h, &t.protocols)?;
        protocols::suites(h, &t.protocols)?;
    }
    if let Some(c) = &t.certificates {
        certs::certificates(h, c)?;
    }
    if let Some(q) = &t.quic {
        sections::quic(h, q)?;
    }
    if let Some(g) = &t.groups {
        sections::groups(h, g)?;
    }
    if let Some(s) = &t.signature_schemes {
        sections::signatures(h, s)?;
    }
    if let Some(f) = &t.features {
        sections::features(h, f)?;
    }
    if let Some(x) = &t.http {
        sections::http(h, x)?;
    }
    if let Some(d) = &t.https_record {
        sections::https_record(h, d)?;
    }
    if let Some(e) = &t.ech {
        sections::ech(h, e)?;
    }
    if let Some(d) = &t.dane {
        sections::dane(h, d)?;
    }
    if let Some(m) = &t.mta_sts {
        sections::mta_sts(h, m)?;
    }
    if let Some(w) = &t.weaknesses {
        weaknesses::weaknesses(h, w)?;
    }
    if let Some(s) = &t.simulation {
        simulation::section(h, s)?;
    }
    if let Some(pq) = &t.post_quantum {
        let (status, rest) = crate::render::view::post_quantum(pq);
        writeln!(
            h,
            "<h3>Post-quantum</h3>\n<p>{} <span class=\"dim\">{}</span></p>",
            phrase(&status),
            escape(&rest)
        )?;
    }
    if let Some(r) = &t.rate_limited {
        writeln!(
            h,
            "<p class=\"{}\"><strong>Rate limited:</strong> {} connection(s) retried after \
             refusals (first: {}). <span class=\"dim\">{}</span></p>",
            if r.may_affect_results() {
                "error"
            } else {
                "weak"
            },
            r.retries + r.gave_up,
            escape(&r.evidence),
            escape(&r.note)
        )?;
    }
    writeln!(
        h,
        "<p class=\"dim\">{} connections, {} ms</p>\n</section>",
        t.connections, t.duration_ms
    )
}

/// The heading of a section, and false (after saying why) when it has nothing to show.
pub(super) fn section_head(
    h: &mut String,
    title: &str,
    status: SectionStatus,
    error: &Option<String>,
) -> Result<bool, std::fmt::Error> {
    match status {
        SectionStatus::NotScheduled => {
            writeln!(h, "<h3>{title} <span class=\"dim\">not scanned</span></h3>")?;
            Ok(false)
        }
        SectionStatus::Error => {
            writeln!(
                h,
                "<h3>{title}</h3>\n<p class=\"error\">error: {}</p>",
                escape(error.as_deref().unwrap_or(""))
            )?;
            Ok(false)
        }
        SectionStatus::Completed => {
            writeln!(h, "<h3>{title}</h3>")?;
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::certs::PublicKeyInfo;
    use crate::facts::certs::{CertChain, CertInfo, ChainSource, ChainVerdicts, OcspStaple};
    use crate::facts::{CertificatesSection, FeaturesSection, Finding, ProtocolResult, Severity};
    use crate::facts::{SuiteResult, TlsVersion};
    use crate::policy::RuleResult;
    use crate::policy::{PolicyResult, RuleStatus};
    use crate::report::ToolInfo;
    use crate::wire::CipherSuite;

    fn render(t: TargetReport) -> String {
        let report = ScanReport {
            schema_version: "1.0".into(),
            tool: ToolInfo::default(),
            started_at: "2026-11-29T03:00:00Z".into(),
            duration_ms: 12,
            targets: vec![t],
        };
        let mut out = Vec::new();
        write(&mut out, &report).unwrap();
        String::from_utf8(out).unwrap()
    }

    const EVIL: &str = "<script>alert(1)</script>";

    #[test]
    fn server_and_user_controlled_text_is_escaped() {
        let cert = CertInfo {
            subject: format!("CN={EVIL}"),
            issuer: "CN=\"Issuer\" & 'Co'".into(),
            sans: vec![format!("{EVIL}.example")],
            public_key: PublicKeyInfo {
                algorithm: "RSA".into(),
                bits: 2048,
                ..Default::default()
            },
            ..Default::default()
        };
        let t = TargetReport {
            facts: crate::facts::TargetFacts {
                target: format!("{EVIL}:443"),
                host: "evil".into(),
                port: 443,
                sni: Some(EVIL.into()),
                protocols: vec![ProtocolResult {
                    version: TlsVersion::Tls12,
                    supported: true,
                    status: SectionStatus::Completed,
                    error: None,
                    server_preference: Some(true),
                    cipher_suites: vec![SuiteResult::from_suite(CipherSuite(0xc02f))],
                    evidence: format!("ServerHello {EVIL}"),
                    suites_enumerated: true,
                }],
                certificates: Some(CertificatesSection {
                    chains: vec![CertChain {
                        obtained: vec![ChainSource {
                            version: TlsVersion::Tls12,
                            offered: "RSA".into(),
                            cipher_suite: None,
                            without_sni: false,
                        }],
                        key_type: "RSA".into(),
                        certificates: vec![cert],
                        verdicts: ChainVerdicts {
                            hostname: Some(EVIL.into()),
                            hostname_matches: Some(false),
                            order_correct: true,
                            ..Default::default()
                        },
                        ocsp_staple: OcspStaple::default(),
                    }],
                    findings: vec![Finding {
                        id: "cert.hostname.mismatch".into(),
                        severity: Severity::Error,
                        message: "Get a certificate for the name.".into(),
                        evidence: Some(format!("SAN {EVIL}")),
                    }],
                    no_sni: crate::facts::certs::NoSniProbe {
                        attempted: true,
                        refused: Some(true),
                        evidence: Some(format!("alert {EVIL}")),
                    },
                    ..Default::default()
                }),
                features: Some(FeaturesSection {
                    alpn: vec![EVIL.into()],
                    ..Default::default()
                }),
                ..Default::default()
            },
            policy: Some(PolicyResult {
                policy: "p<b>".into(),
                version: "1<i>".into(),
                pinned: false,
                verdict: Verdict::NotCompliant,
                fail_on: Severity::Error,
                ignored: vec![],
                rules: vec![RuleResult {
                    id: "cert.hostname".into(),
                    severity: Severity::Error,
                    status: RuleStatus::Fail,
                    title: "the name matches".into(),
                    message: "Serve a certificate that names the host.".into(),
                    evidence: format!("subject CN={EVIL}"),
                    source_section: String::new(),
                }],
            }),
            ..Default::default()
        };
        let html = render(t);
        assert!(!html.contains("<script"), "unescaped markup in\n{html}");
        assert!(!html.contains("<b>"), "unescaped policy name");
        let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
        for want in [
            format!("CN={escaped}"),
            format!("{escaped}.example"),
            format!("does not match {escaped}"),
            format!("SAN {escaped}"),
            format!("subject CN={escaped}"),
            format!("ServerHello {escaped}"),
            format!("<p class=\"dim\">without SNI: refused (alert {escaped})</p>"),
            format!("<h2>{escaped}:443</h2>"),
            "CN=&quot;Issuer&quot; &amp; &#39;Co&#39;".to_string(),
            "policy <strong>p&lt;b&gt;</strong>".to_string(),
        ] {
            assert!(html.contains(&want), "missing {want:?}");
        }
        // The ALPN row shows the server's protocol name, escaped.
        assert!(html.contains(&format!("<td class=\"dim\">{escaped}</td>")));
    }

    #[test]
    fn verdict_comes_first_and_suites_are_rated_like_the_text_report() {
        // ECDHE-RSA-AES128-GCM-SHA256, AES128-SHA, RC4-SHA.
        let suites = [
            CipherSuite(0xc02f),
            CipherSuite(0x002f),
            CipherSuite(0x0005),
        ];
        let t = TargetReport {
            facts: crate::facts::TargetFacts {
                target: "127.0.0.1:4433".into(),
                protocols: vec![ProtocolResult {
                    version: TlsVersion::Tls12,
                    supported: true,
                    status: SectionStatus::Completed,
                    error: None,
                    server_preference: None,
                    cipher_suites: suites.into_iter().map(SuiteResult::from_suite).collect(),
                    evidence: "ServerHello".into(),
                    suites_enumerated: true,
                }],
                ..Default::default()
            },
            policy: Some(PolicyResult {
                policy: "mozilla-intermediate".into(),
                version: "5.7".into(),
                pinned: false,
                verdict: Verdict::NotCompliant,
                fail_on: Severity::Warning,
                ignored: vec!["x.y".into()],
                rules: vec![RuleResult {
                    id: "suites.insecure".into(),
                    severity: Severity::Error,
                    status: RuleStatus::Fail,
                    title: "no insecure suites".into(),
                    message: "Turn off RC4.".into(),
                    evidence: "TLS_RSA_WITH_RC4_128_SHA".into(),
                    source_section: String::new(),
                }],
            }),
            ..Default::default()
        };
        let html = render(t);
        let verdict = html.find("NOT COMPLIANT</span>").unwrap();
        let versions = html.find("<h3>Protocol versions</h3>").unwrap();
        assert!(verdict < versions);
        assert!(html.contains("0 of 1 rules passed; failing on warning and above; ignored: x.y"));
        assert!(html.contains("<strong>Fix:</strong> Turn off RC4."));
        for (name, rating) in [
            ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "good"),
            ("TLS_RSA_WITH_AES_128_CBC_SHA", "weak"),
            ("TLS_RSA_WITH_RC4_128_SHA", "insecure"),
        ] {
            assert!(
                html.contains(&format!("<td class=\"mono {rating}\">{name}</td>")),
                "{name} not rated {rating}"
            );
        }
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.trim_end().ends_with("</html>"));
        // Self-contained: no scripts, no external resources.
        for banned in ["<script", "<link", "src=", "http://", "https://", "@import"] {
            assert!(!html.contains(banned), "{banned} in the page");
        }
    }
}
