//! The certificates block of the terminal report: one compact block per chain, then findings.

use std::io::Write;

use super::text::Style;
use crate::facts::certs::{CertChain, CertInfo};
use crate::facts::{CertificatesSection, Finding, SectionStatus, Severity};

pub fn section(out: &mut dyn Write, c: &CertificatesSection, style: &Style) -> std::io::Result<()> {
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
    let via: Vec<String> = c.obtained.iter().map(|o| o.describe()).collect();
    let v = &c.verdicts;
    let trust = if v.trusted {
        let stores: Vec<&str> = v
            .trust
            .iter()
            .filter(|t| t.trusted)
            .map(|t| t.store.as_str())
            .collect();
        style.green(&format!("trusted ({})", stores.join(", ")))
    } else {
        style.red("not trusted")
    };
    let host = match (v.hostname_matches, &v.hostname) {
        (Some(true), Some(h)) => style.green(&format!("matches {h}")),
        (Some(false), Some(h)) => style.red(&format!("does not match {h}")),
        _ => "no name checked".into(),
    };
    writeln!(
        out,
        "    {} {}  {}  {}",
        style.bold(&format!("chain {n}: {}", c.key_type)),
        trust,
        host,
        style.dim(&format!("via {}", via.join(", ")))
    )?;
    let mut notes = Vec::new();
    if c.only_without_sni() {
        notes.push("default chain: only clients without SNI get it".into());
    }
    if !v.order_correct {
        notes.push("served out of order".to_string());
    }
    if let Some(m) = &v.missing_issuer {
        notes.push(format!("missing intermediate {m}"));
    }
    if v.self_signed {
        notes.push("self-signed".into());
    }
    if v.contains_root {
        notes.push("contains the root".into());
    }
    notes.push(c.ocsp_staple.describe());
    writeln!(out, "      {}", style.dim(&notes.join("; ")))?;
    if !v.path.is_empty() {
        writeln!(
            out,
            "      {}",
            style.dim(&format!("path: {}", v.path.join(" → ")))
        )?;
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
    let k = &c.public_key;
    let key = match &k.curve {
        Some(curve) => format!("{} {curve}", k.algorithm),
        None => format!("{} {}", k.algorithm, k.bits),
    };
    let days = if c.days_left < 0 {
        style.red(&format!("expired {} days ago", -c.days_left))
    } else {
        format!("{} days left", c.days_left)
    };
    writeln!(out, "      #{i} {}", style.bold(&c.subject))?;
    writeln!(out, "         issuer {}  serial {}", c.issuer, c.serial)?;
    writeln!(
        out,
        "         {key}, {}, {} → {} ({days})",
        c.signature_algorithm,
        c.not_before.get(..10).unwrap_or(&c.not_before),
        c.not_after.get(..10).unwrap_or(&c.not_after)
    )?;
    if !c.sans.is_empty() {
        writeln!(out, "         SANs {}", c.sans.join(", "))?;
    }
    writeln!(
        out,
        "         {}",
        style.dim(&format!("sha256 {}", c.sha256))
    )?;
    Ok(())
}

fn finding(out: &mut dyn Write, f: &Finding, style: &Style) -> std::io::Result<()> {
    let sev = match f.severity {
        Severity::Error => style.red("error  "),
        Severity::Warning => style.yellow("warning"),
        Severity::Info => style.dim("info   "),
    };
    writeln!(out, "    {sev} {}  {}", style.bold(&f.id), f.message)?;
    if let Some(e) = &f.evidence {
        writeln!(out, "            {}", style.dim(e))?;
    }
    Ok(())
}
