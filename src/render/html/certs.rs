//! The certificates of the HTML report: one block per chain, then the findings.

use std::fmt::Write as _;

use crate::facts::certs::{CertChain, CertInfo};
use crate::facts::{CertificatesSection, Finding, SectionStatus};
use crate::render::html::{escape, phrase, section_head};
use crate::render::view;

pub(super) fn certificates(h: &mut String, c: &CertificatesSection) -> std::fmt::Result {
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
    writeln!(
        h,
        "<h4>Chain {n}: {} &middot; {} &middot; {} \
         <span class=\"dim\">&middot; via {}</span></h4>",
        escape(&c.key_type),
        phrase(&view::chain_trust(v)),
        phrase(&view::chain_host(v)),
        escape(&view::chain_sources(c))
    )?;
    let mut notes: Vec<String> = view::chain_notes(c).iter().map(phrase).collect();
    if let Some(path) = view::chain_path(v) {
        notes.push(escape(&path));
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
        "<div>{}, {}, {} → {} ({})</div>",
        escape(&view::public_key(&c.public_key)),
        escape(&c.signature_algorithm),
        escape(view::date(&c.not_before)),
        escape(view::date(&c.not_after)),
        phrase(&view::days_left(c))
    )?;
    if let Some(v) = view::validity(c) {
        writeln!(h, "<div>{}</div>", escape(&v))?;
    }
    if !c.sans.is_empty() {
        writeln!(h, "<div>SANs {}</div>", escape(&c.sans.join(", ")))?;
    }
    if let Some(r) = view::revocation(c) {
        writeln!(h, "<div>{}</div>", escape(&r))?;
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
            view::severity_tone(f.severity).name(),
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
