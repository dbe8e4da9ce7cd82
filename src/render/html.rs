//! One self-contained HTML page for people: inline CSS, no scripts, no external resources, so
//! it can be mailed, archived or attached to a CI run as it is.
//!
//! Per target the policy verdict comes first (the failed rules with their severity, evidence
//! and fix), then the facts in the order of the text report. It reads the report only. Every
//! string a user or a server chose (targets, certificate names, ALPN protocols, evidence
//! quoting server answers) goes through [`escape`].

use std::fmt::Write as _;
use std::io::Write;

use super::facts_text::feature_rows;
use super::text::suite_rating;
use crate::facts::certs::{CertChain, CertInfo};
use crate::facts::{Answer, FeaturesSection, GroupsSection, SignaturesSection};
use crate::facts::{
    CertificatesSection, Finding, ProtocolResult, SectionStatus, Severity, TlsVersion,
};
use crate::policy::{PolicyResult, RuleStatus, Verdict};
use crate::report::{ScanReport, TargetReport};

/// Escapes text for HTML content and quoted attribute values. Control characters other than
/// whitespace (which HTML forbids) become U+FFFD, so that they stay visible.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root { --good: #1a7f37; --weak: #9a6700; --bad: #cf222e; --dim: #59636e; --line: #d1d9e0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2328;
       margin: 0 auto; padding: 24px; max-width: 1200px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0; word-break: break-all; }
h3 { font-size: 15px; margin: 20px 0 6px; padding-bottom: 3px; border-bottom: 1px solid var(--line); }
h4 { font-size: 14px; margin: 12px 0 4px; }
.meta, .dim { color: var(--dim); }
.target { border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 20px 0; }
.target > header { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 700;
         font-size: 13px; color: #fff; white-space: nowrap; }
.badge.compliant { background: var(--good); }
.badge.not-compliant { background: var(--bad); }
.badge.incomplete { background: var(--weak); }
.grade { display: inline-block; min-width: 2.2em; text-align: center; padding: 1px 8px;
         border-radius: 6px; font-weight: 800; font-size: 18px; color: #fff; }
.grade.good { background: var(--good); color: #fff; }
.grade.weak { background: var(--weak); color: #fff; }
.grade.bad { background: var(--bad); color: #fff; }
.grade-detail { margin: 8px 0; }
.grade-detail > p { margin: 0; }
.verdict { margin: 12px 0; padding: 10px 14px; border-radius: 6px; background: #f6f8fa;
           border-left: 4px solid var(--dim); }
.verdict > p { margin: 0; }
.verdict table { margin-top: 8px; }
.verdict.compliant { border-left-color: var(--good); }
.verdict.not-compliant { border-left-color: var(--bad); }
.verdict.incomplete { border-left-color: var(--weak); }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #eaeef2; }
th { font-weight: 600; background: #f6f8fa; }
tr.version th { background: #fff; padding-top: 12px; border-bottom: 1px solid var(--line); }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
td { overflow-wrap: break-word; }
td.nowrap { white-space: nowrap; }
.good { color: var(--good); }
.weak { color: var(--weak); }
.insecure, .bad, .error { color: var(--bad); }
.rating { font-weight: 600; }
tr.not-counted td { color: var(--dim); }
.fix { margin-top: 2px; }
.cert { margin: 6px 0 6px 12px; padding-left: 10px; border-left: 3px solid var(--line); }
.cert .subject { font-weight: 600; overflow-wrap: break-word; }
ul.notes { margin: 2px 0 6px; padding-left: 20px; }
.summary { margin: 8px 0 0; }
table.index { width: auto; }
a { color: #0969da; }
.small { font-size: 11px; font-weight: 400; }
footer { color: var(--dim); margin-top: 24px; font-size: 12px; }
";

/// Writes the whole document.
pub fn write(out: &mut dyn Write, report: &ScanReport) -> std::io::Result<()> {
    let mut h = String::new();
    page(&mut h, report).map_err(std::io::Error::other)?;
    out.write_all(h.as_bytes())
}

fn page(h: &mut String, report: &ScanReport) -> std::fmt::Result {
    writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>TLS report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        escape(&title(report))
    )?;
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
        "<footer>Written by {} {} from the scan's facts (schema {}).</footer>\n</body>\n</html>",
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
                verdict_class(v)
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
                verdict_class(p.verdict),
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

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Compliant => "compliant",
        Verdict::NotCompliant => "not-compliant",
        Verdict::Incomplete => "incomplete",
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "bad",
        Severity::Warning => "weak",
        Severity::Info => "dim",
    }
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
            None => String::new(),
        },
        t.grade
            .as_ref()
            .map_or_else(String::new, super::grade::html_badge)
    )?;
    if let Some(p) = &t.policy {
        verdict(h, t, p)?;
    }
    if let Some(g) = &t.grade {
        super::grade::html_block(h, g)?;
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
        protocols(h, &t.protocols)?;
        suites(h, &t.protocols)?;
    }
    if let Some(c) = &t.certificates {
        certificates(h, c)?;
    }
    if let Some(g) = &t.groups {
        groups(h, g)?;
    }
    if let Some(s) = &t.signature_schemes {
        signatures(h, s)?;
    }
    if let Some(f) = &t.features {
        features(h, f)?;
    }
    writeln!(
        h,
        "<p class=\"dim\">{} connections, {} ms</p>\n</section>",
        t.connections, t.duration_ms
    )
}

fn verdict(h: &mut String, t: &TargetReport, p: &PolicyResult) -> std::fmt::Result {
    let class = verdict_class(p.verdict);
    writeln!(h, "<div class=\"verdict {class}\">")?;
    let detail = if let Some(e) = &t.error {
        // Every rule is incomplete for the same reason: say it once.
        format!("not scanned: {e}")
    } else {
        p.summary()
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
            let (label, class) = match r.status {
                RuleStatus::Fail => ("FAIL", severity_class(r.severity)),
                _ => ("INCOMPLETE", "weak"),
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
                severity_class(r.severity),
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

fn version_rating(v: TlsVersion) -> (&'static str, &'static str) {
    match v {
        TlsVersion::Ssl2 | TlsVersion::Ssl3 => ("insecure", "insecure"),
        TlsVersion::Tls10 | TlsVersion::Tls11 => ("deprecated", "weak"),
        TlsVersion::Tls12 | TlsVersion::Tls13 => ("", "good"),
    }
}

fn order(pref: Option<bool>) -> &'static str {
    match pref {
        Some(true) => "server order",
        Some(false) => "client order (server has no preference)",
        None => "order not determined",
    }
}

fn protocols(h: &mut String, ps: &[ProtocolResult]) -> std::fmt::Result {
    writeln!(
        h,
        "<h3>Protocol versions</h3>\n<table><thead><tr><th>version</th><th>offered</th>\
         <th>suites</th><th>evidence</th></tr></thead><tbody>"
    )?;
    for p in ps {
        let (state, class) = if p.status == SectionStatus::NotScheduled {
            ("not scanned".to_string(), "dim")
        } else if p.error.is_some() {
            ("error".to_string(), "error")
        } else if !p.supported {
            ("no".to_string(), "dim")
        } else {
            let (label, class) = version_rating(p.version);
            if label.is_empty() {
                ("yes".to_string(), class)
            } else {
                (format!("yes ({label})"), class)
            }
        };
        let evidence = p.error.as_deref().unwrap_or(&p.evidence);
        writeln!(
            h,
            "<tr><td><strong>{}</strong></td><td class=\"rating {class}\">{state}</td>\
             <td>{}</td><td class=\"dim\">{}</td></tr>",
            p.version.name(),
            if p.supported {
                p.cipher_suites.len().to_string()
            } else {
                String::new()
            },
            escape(evidence)
        )?;
    }
    writeln!(h, "</tbody></table>")
}

fn suites(h: &mut String, ps: &[ProtocolResult]) -> std::fmt::Result {
    let offered: Vec<_> = ps.iter().filter(|p| p.supported).collect();
    if offered.is_empty() {
        return Ok(());
    }
    // One table for every version, so that the columns line up from one version to the next.
    writeln!(
        h,
        "<h3>Cipher suites</h3>\n<table><thead><tr><th>id</th><th>IANA name</th>\
         <th>OpenSSL name</th><th>key exchange</th><th>cipher</th><th>FS</th><th>rating</th>\
         </tr></thead>"
    )?;
    for p in offered {
        writeln!(
            h,
            "<tbody><tr class=\"version\"><th colspan=\"7\">{} \
             <span class=\"dim\">&middot; {} suite{} &middot; {}</span></th></tr>",
            p.version.name(),
            p.cipher_suites.len(),
            if p.cipher_suites.len() == 1 { "" } else { "s" },
            order(p.server_preference)
        )?;
        for s in &p.cipher_suites {
            let (rating, _) = suite_rating(s);
            let kx = if s.kx == "any" {
                "any".to_string()
            } else {
                format!("{}/{}", s.kx, s.auth)
            };
            writeln!(
                h,
                "<tr><td class=\"mono nowrap\">{}</td><td class=\"mono {rating}\">{}</td>\
                 <td class=\"mono\">{}</td><td>{}</td><td>{}-{} {}</td><td>{}</td>\
                 <td class=\"rating {rating}\">{rating}</td></tr>",
                escape(&s.id),
                escape(&s.name),
                escape(s.openssl_name.as_deref().unwrap_or("-")),
                escape(&kx),
                escape(&s.cipher),
                s.bits,
                escape(&s.mode),
                if s.forward_secrecy { "yes" } else { "no" },
            )?;
        }
        writeln!(h, "</tbody>")?;
    }
    writeln!(h, "</table>")
}

/// The heading of a section, and false (after saying why) when it has nothing to show.
fn section_head(
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

fn certificates(h: &mut String, c: &CertificatesSection) -> std::fmt::Result {
    if c.status == SectionStatus::NotScheduled {
        return Ok(());
    }
    if !section_head(h, "Certificates", c.status, &c.error)? {
        return Ok(());
    }
    writeln!(
        h,
        "<p class=\"dim\">{} chain{}, judged at {}</p>",
        c.chains.len(),
        if c.chains.len() == 1 { "" } else { "s" },
        escape(c.at.as_deref().unwrap_or("now"))
    )?;
    for (i, chain) in c.chains.iter().enumerate() {
        write_chain(h, i + 1, chain)?;
    }
    if let Some(line) = c.no_sni.describe() {
        writeln!(h, "<p class=\"dim\">{}</p>", escape(&line))?;
    }
    if !c.findings.is_empty() {
        findings(h, &c.findings)?;
    }
    Ok(())
}

fn write_chain(h: &mut String, n: usize, c: &CertChain) -> std::fmt::Result {
    let v = &c.verdicts;
    let trust = if v.trusted {
        let stores: Vec<&str> = v
            .trust
            .iter()
            .filter(|t| t.trusted)
            .map(|t| t.store.as_str())
            .collect();
        format!(
            "<span class=\"good\">trusted ({})</span>",
            escape(&stores.join(", "))
        )
    } else {
        "<span class=\"bad\">not trusted</span>".to_string()
    };
    let host = match (v.hostname_matches, &v.hostname) {
        (Some(true), Some(name)) => format!("<span class=\"good\">matches {}</span>", escape(name)),
        (Some(false), Some(name)) => {
            format!("<span class=\"bad\">does not match {}</span>", escape(name))
        }
        _ => "no name checked".to_string(),
    };
    let via: Vec<String> = c.obtained.iter().map(|o| o.describe()).collect();
    writeln!(
        h,
        "<h4>Chain {n}: {} &middot; {trust} &middot; {host} \
         <span class=\"dim\">&middot; via {}</span></h4>",
        escape(&c.key_type),
        escape(&via.join(", "))
    )?;
    let mut notes = Vec::new();
    if c.only_without_sni() {
        notes.push("default chain: only clients without SNI get it".into());
    }
    if !v.order_correct {
        notes.push("<span class=\"bad\">served out of order</span>".to_string());
    }
    if let Some(m) = &v.missing_issuer {
        notes.push(format!(
            "<span class=\"bad\">missing intermediate {}</span>",
            escape(m)
        ));
    }
    if v.self_signed {
        notes.push("self-signed".into());
    }
    if v.contains_root {
        notes.push("contains the root".into());
    }
    notes.push(escape(&c.ocsp_staple.describe()));
    if !v.path.is_empty() {
        notes.push(format!("path: {}", escape(&v.path.join(" → "))));
    }
    writeln!(h, "<ul class=\"notes dim\">")?;
    for note in notes {
        writeln!(h, "<li>{note}</li>")?;
    }
    writeln!(h, "</ul>")?;
    for (i, cert) in c.certificates.iter().enumerate() {
        write_cert(h, i, cert)?;
    }
    Ok(())
}

fn write_cert(h: &mut String, i: usize, c: &CertInfo) -> std::fmt::Result {
    if c.subject.is_empty() {
        return writeln!(
            h,
            "<div class=\"cert\"><span class=\"bad\">#{i} unparsable:</span> {}</div>",
            escape(c.parse_error.as_deref().unwrap_or(""))
        );
    }
    let k = &c.public_key;
    let key = match &k.curve {
        Some(curve) => format!("{} {curve}", k.algorithm),
        None => format!("{} {}", k.algorithm, k.bits),
    };
    let days = if c.days_left < 0 {
        format!(
            "<span class=\"bad\">expired {} days ago</span>",
            -c.days_left
        )
    } else {
        format!("{} days left", c.days_left)
    };
    writeln!(h, "<div class=\"cert\">")?;
    writeln!(
        h,
        "<div class=\"subject\">#{i} {}</div>",
        escape(&c.subject)
    )?;
    writeln!(
        h,
        "<div>issuer {} &middot; serial <span class=\"mono\">{}</span></div>",
        escape(&c.issuer),
        escape(&c.serial)
    )?;
    writeln!(
        h,
        "<div>{}, {}, {} → {} ({days})</div>",
        escape(&key),
        escape(&c.signature_algorithm),
        escape(c.not_before.get(..10).unwrap_or(&c.not_before)),
        escape(c.not_after.get(..10).unwrap_or(&c.not_after))
    )?;
    if !c.sans.is_empty() {
        writeln!(h, "<div>SANs {}</div>", escape(&c.sans.join(", ")))?;
    }
    writeln!(
        h,
        "<div class=\"dim mono\">sha256 {}</div>\n</div>",
        escape(&c.sha256)
    )
}

fn findings(h: &mut String, fs: &[Finding]) -> std::fmt::Result {
    writeln!(
        h,
        "<table><thead><tr><th>severity</th><th>finding</th><th>what to change</th></tr></thead><tbody>"
    )?;
    for f in fs {
        writeln!(
            h,
            "<tr><td class=\"rating {}\">{}</td><td class=\"mono\">{}</td><td>{}{}</td></tr>",
            severity_class(f.severity),
            f.severity.name(),
            escape(&f.id),
            escape(&f.message),
            match &f.evidence {
                Some(e) => format!("<div class=\"dim\">{}</div>", escape(e)),
                None => String::new(),
            }
        )?;
    }
    writeln!(h, "</tbody></table>")
}

fn groups(h: &mut String, g: &GroupsSection) -> std::fmt::Result {
    if !section_head(h, "Key exchange groups", g.status, &g.error)? {
        return Ok(());
    }
    writeln!(
        h,
        "<table><thead><tr><th>version</th><th>groups</th><th>order</th></tr></thead><tbody>"
    )?;
    for v in &g.versions {
        let list = if let Some(e) = &v.error {
            format!("<span class=\"error\">error: {}</span>", escape(e))
        } else if v.groups.is_empty() {
            "<span class=\"dim\">none</span>".to_string()
        } else {
            v.groups
                .iter()
                .map(|x| {
                    if x.post_quantum {
                        format!("<span class=\"good\">{} (PQ)</span>", escape(&x.name))
                    } else {
                        escape(&x.name)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let dhe = match &v.dhe {
            Some(d) => {
                let known = match (&d.known_group, &d.known_source) {
                    (Some(n), Some(s)) => format!("{n} ({s})"),
                    _ => "custom prime".into(),
                };
                format!(
                    "<div class=\"{}\">DHE {}-bit prime, {}</div>",
                    if d.prime_bits < 2048 { "bad" } else { "" },
                    d.prime_bits,
                    escape(&known)
                )
            }
            None => String::new(),
        };
        writeln!(
            h,
            "<tr><td>{}</td><td>{list}{dhe}</td><td class=\"dim\">{}</td></tr>",
            v.version.name(),
            match v.server_preference {
                Some(true) => "server order",
                Some(false) => "client order",
                None => "",
            }
        )?;
    }
    writeln!(h, "</tbody></table>")
}

fn signatures(h: &mut String, s: &SignaturesSection) -> std::fmt::Result {
    if !section_head(h, "Signature schemes", s.status, &s.error)? {
        return Ok(());
    }
    writeln!(
        h,
        "<table><thead><tr><th>version</th><th>id</th><th>scheme</th><th>certificate key</th>\
         </tr></thead><tbody>"
    )?;
    for v in &s.versions {
        let name = v.version.name();
        match (v.status, &v.error) {
            (SectionStatus::Completed, None) => {}
            (_, e) => {
                writeln!(
                    h,
                    "<tr><td>{name}</td><td colspan=\"3\" class=\"dim\">{}</td></tr>",
                    escape(e.as_deref().unwrap_or("not scanned"))
                )?;
                continue;
            }
        }
        if v.schemes.is_empty() {
            writeln!(
                h,
                "<tr><td>{name}</td><td colspan=\"3\" class=\"dim\">none ({})</td></tr>",
                escape(&v.evidence)
            )?;
        }
        for (i, sc) in v.schemes.iter().enumerate() {
            let weak = sc.name.contains("sha1") || sc.name.contains("md5");
            writeln!(
                h,
                "<tr><td>{}</td><td class=\"mono\">{}</td><td class=\"mono{}\">{}</td>\
                 <td class=\"dim\">{}</td></tr>",
                if i == 0 { name } else { "" },
                escape(&sc.id),
                if weak { " weak" } else { "" },
                escape(&sc.name),
                escape(sc.certificate_key.as_deref().unwrap_or("?"))
            )?;
        }
    }
    writeln!(h, "</tbody></table>")
}

fn features(h: &mut String, f: &FeaturesSection) -> std::fmt::Result {
    if !section_head(h, "Features", f.status, &f.error)? {
        return Ok(());
    }
    writeln!(
        h,
        "<table><thead><tr><th>feature</th><th>answer</th><th>evidence</th></tr></thead><tbody>"
    )?;
    for (label, fact, good_when_yes) in feature_rows(f) {
        let (word, good) = match fact.answer {
            Answer::Yes => ("yes", good_when_yes),
            Answer::No => ("no", good_when_yes.map(|g| !g)),
            Answer::NotApplicable => ("n/a", None),
            Answer::NotDetermined => ("?", None),
        };
        let class = match good {
            Some(true) => "good",
            Some(false) => "bad",
            None => "",
        };
        writeln!(
            h,
            "<tr><td>{label}</td><td class=\"rating {class}\">{word}</td>\
             <td class=\"dim\">{}</td></tr>",
            escape(&fact.evidence)
        )?;
    }
    for ca in &f.client_certificate_cas {
        writeln!(
            h,
            "<tr><td></td><td></td><td class=\"dim\">CA: {}</td></tr>",
            escape(ca)
        )?;
    }
    writeln!(h, "</tbody></table>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::certs::{ChainSource, ChainVerdicts, OcspStaple, PublicKeyInfo};
    use crate::facts::SuiteResult;
    use crate::policy::RuleResult;
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
