//! The certificates block of the terminal report: one compact block per chain, then findings.

use std::io::Write;

use crate::facts::certs::{CertChain, CertInfo};
use crate::facts::{CertificatesSection, Finding, SectionStatus};
use crate::render::style::Style;
use crate::render::view;

pub(super) fn section(
    out: &mut dyn Write,
    c: &CertificatesSection,
    style: &Style,
) -> std::io::Result<()> {
    match c.status {
        SectionStatus::NotScheduled => return Ok(()),
        SectionStatus::Error => {
            return writeln!(
                out,
                "  {} {} {}",
                style.bold("Certificates"),
                style.red("error:"),
                c.error.as_deref().unwrap_or("")
            )
        }
        SectionStatus::Completed => {}
    }
    let at = c.at.as_deref().unwrap_or("now");
    writeln!(
        out,
        "  {}  {}",
        style.bold("Certificates"),
        style.dim(&format!("{} chain(s), judged at {at}", c.chains.len()))
    )?;
    for (i, chain) in c.chains.iter().enumerate() {
        write_chain(out, i + 1, chain, style)?;
    }
    if let Some(line) = c.no_sni.describe() {
        writeln!(out, "    {}", style.dim(&line))?;
    }
    for f in &c.findings {
        finding(out, f, style)?;
    }
    Ok(())
}

fn write_chain(out: &mut dyn Write, n: usize, c: &CertChain, style: &Style) -> std::io::Result<()> {
    let v = &c.verdicts;
    writeln!(
        out,
        "    {} {}  {}  {}",
        style.bold(&format!("chain {n}: {}", c.key_type)),
        style.phrase(&view::chain_trust(v)),
        style.phrase(&view::chain_host(v)),
        style.dim(&format!("via {}", view::chain_sources(c)))
    )?;
    // One dim line: the notes' own tones show in the HTML report only.
    let notes: Vec<String> = view::chain_notes(c).into_iter().map(|n| n.text).collect();
    writeln!(out, "      {}", style.dim(&notes.join("; ")))?;
    if let Some(path) = view::chain_path(v) {
        writeln!(out, "      {}", style.dim(&path))?;
    }
    for (i, cert) in c.certificates.iter().enumerate() {
        write_cert(out, i, cert, style)?;
    }
    Ok(())
}

fn write_cert(out: &mut dyn Write, i: usize, c: &CertInfo, style: &Style) -> std::io::Result<()> {
    if c.subject.is_empty() {
        return writeln!(
            out,
            "      #{i} {} {}",
            style.red("unparsable:"),
            c.parse_error.as_deref().unwrap_or("")
        );
    }
    writeln!(out, "      #{i} {}", style.bold(&c.subject))?;
    writeln!(out, "         issuer {}  serial {}", c.issuer, c.serial)?;
    writeln!(
        out,
        "         {}, {}, {} → {} ({})",
        view::public_key(&c.public_key),
        c.signature_algorithm,
        view::date(&c.not_before),
        view::date(&c.not_after),
        style.phrase(&view::days_left(c))
    )?;
    if let Some(v) = view::validity(c) {
        writeln!(out, "         {v}")?;
    }
    if !c.sans.is_empty() {
        writeln!(out, "         SANs {}", c.sans.join(", "))?;
    }
    if let Some(r) = view::revocation(c) {
        writeln!(out, "         {r}")?;
    }
    writeln!(
        out,
        "         {}",
        style.dim(&format!("sha256 {}", c.sha256))
    )?;
    Ok(())
}

fn finding(out: &mut dyn Write, f: &Finding, style: &Style) -> std::io::Result<()> {
    // Padded to the longest name, "warning", so that the ids line up.
    let sev = style.tone(
        view::severity_tone(f.severity),
        &format!("{:<7}", f.severity.name()),
    );
    writeln!(out, "    {sev} {}  {}", style.bold(&f.id), f.message)?;
    if let Some(e) = &f.evidence {
        writeln!(out, "            {}", style.dim(e))?;
    }
    Ok(())
}
