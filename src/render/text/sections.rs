//! Terminal rendering of the groups, signature-scheme and features sections.

use std::io::Write;

use crate::facts::SectionStatus;
use crate::facts::{Fact, FeaturesSection, GroupsSection, SignaturesSection};
use crate::render::style::Style;
use crate::render::view;
use crate::report::TargetReport;

/// Writes the groups, signature schemes and features of one target, where they were scanned.
pub(super) fn sections(
    out: &mut dyn Write,
    t: &TargetReport,
    style: &Style,
) -> std::io::Result<()> {
    if let Some(g) = &t.groups {
        groups(out, g, style)?;
    }
    if let Some(s) = &t.signature_schemes {
        signatures(out, s, style)?;
    }
    if let Some(f) = &t.features {
        features(out, f, style)?;
    }
    Ok(())
}

pub(super) fn status_line(
    out: &mut dyn Write,
    title: &str,
    status: SectionStatus,
    error: &Option<String>,
    style: &Style,
) -> std::io::Result<bool> {
    match (status, error) {
        (SectionStatus::Error, e) => {
            writeln!(
                out,
                "  {} {} {}",
                style.bold(title),
                style.red("error:"),
                e.as_deref().unwrap_or("")
            )?;
            Ok(false)
        }
        (SectionStatus::NotScheduled, _) => {
            writeln!(out, "  {} {}", style.bold(title), style.dim("not scanned"))?;
            Ok(false)
        }
        _ => {
            writeln!(out, "  {}", style.bold(title))?;
            Ok(true)
        }
    }
}

fn groups(out: &mut dyn Write, g: &GroupsSection, style: &Style) -> std::io::Result<()> {
    if !status_line(out, "Key exchange groups", g.status, &g.error, style)? {
        return Ok(());
    }
    for v in &g.versions {
        let name = format!("{:<8}", v.version.name());
        if let Some(e) = &v.error {
            writeln!(out, "    {} {} {}", name, style.red("error:"), e)?;
            continue;
        }
        let list: Vec<String> = v
            .groups
            .iter()
            .map(|x| style.phrase(&view::group(x)))
            .collect();
        let list = if list.is_empty() {
            style.dim("none")
        } else {
            list.join(", ")
        };
        writeln!(
            out,
            "    {} {}  {}",
            name,
            list,
            style.dim(view::group_order(v.server_preference))
        )?;
        if let Some(d) = &v.dhe {
            writeln!(out, "    {:<8} {}", "", style.phrase(&view::dhe(d)))?;
        }
    }
    Ok(())
}

fn signatures(out: &mut dyn Write, s: &SignaturesSection, style: &Style) -> std::io::Result<()> {
    if !status_line(out, "Signature schemes", s.status, &s.error, style)? {
        return Ok(());
    }
    for v in &s.versions {
        let name = format!("{:<8}", v.version.name());
        match (v.status, &v.error) {
            (SectionStatus::Completed, None) => {}
            (_, e) => {
                writeln!(
                    out,
                    "    {} {}",
                    name,
                    style.dim(e.as_deref().unwrap_or("not scanned"))
                )?;
                continue;
            }
        }
        if v.schemes.is_empty() {
            writeln!(
                out,
                "    {} {}",
                name,
                style.dim(&format!("none ({})", v.evidence))
            )?;
        }
        for (i, sc) in v.schemes.iter().enumerate() {
            let label = if i == 0 { name.as_str() } else { "        " };
            let key = sc.certificate_key.as_deref().unwrap_or("?");
            let text = match view::signature_scheme_tone(&sc.name) {
                Some(tone) => style.tone(tone, &sc.name),
                None => sc.name.clone(),
            };
            writeln!(
                out,
                "    {} {:<8} {}  {}",
                label,
                sc.id,
                text,
                style.dim(key)
            )?;
        }
    }
    Ok(())
}

fn answer(f: &Fact, style: &Style, good_when_yes: Option<bool>) -> String {
    let (word, tone) = view::answer(f, good_when_yes);
    let word = format!("{word:<4}");
    match tone {
        Some(tone) => style.tone(tone, &word),
        None => word,
    }
}

fn features(out: &mut dyn Write, f: &FeaturesSection, style: &Style) -> std::io::Result<()> {
    if !status_line(out, "Features", f.status, &f.error, style)? {
        return Ok(());
    }
    for (label, fact, good) in view::feature_rows(f) {
        writeln!(
            out,
            "    {:<30} {} {}",
            label,
            answer(&fact, style, good),
            style.dim(&fact.evidence)
        )?;
    }
    for ca in &f.client_certificate_cas {
        writeln!(
            out,
            "    {:<30}      {}",
            "",
            style.dim(&format!("CA: {ca}"))
        )?;
    }
    Ok(())
}

/// Writes the HTTP block: the response's status, HSTS, compression and server banner.
pub(super) fn http(
    out: &mut dyn Write,
    h: &crate::facts::HttpSection,
    style: &Style,
) -> std::io::Result<()> {
    if !status_line(out, "HTTP (GET /)", h.status, &h.error, style)? {
        return Ok(());
    }
    for (label, value) in crate::render::view::http_rows(h) {
        writeln!(out, "    {label:<12} {value}")?;
    }
    Ok(())
}

/// Writes the DNS HTTPS record block: what was asked, each record, its ECH configs.
pub(super) fn https_record(
    out: &mut dyn Write,
    h: &crate::facts::HttpsRecordSection,
    style: &Style,
) -> std::io::Result<()> {
    if !status_line(out, "DNS HTTPS record", h.status, &h.error, style)? {
        return Ok(());
    }
    for (label, value) in crate::render::view::https_record_rows(h) {
        writeln!(out, "    {label:<14} {value}")?;
    }
    Ok(())
}

/// Writes the ECH block: the summary, GREASE and the real handshake, retry configs.
pub(super) fn ech(
    out: &mut dyn Write,
    e: &crate::facts::EchSection,
    style: &Style,
) -> std::io::Result<()> {
    if !status_line(out, "Encrypted Client Hello", e.status, &e.error, style)? {
        return Ok(());
    }
    let intolerant = [&e.grease, &e.handshake]
        .into_iter()
        .flatten()
        .any(|p| p.outcome == crate::facts::EchOutcome::Intolerant);
    for (label, value) in crate::render::view::ech_rows(e) {
        let value = if label == "summary" && intolerant {
            style.red(&value)
        } else {
            value
        };
        writeln!(out, "    {label:<14} {value}")?;
    }
    Ok(())
}

/// Writes the DANE block of an SMTP target.
pub(super) fn dane(
    out: &mut dyn Write,
    d: &crate::facts::DaneSection,
    style: &Style,
) -> std::io::Result<()> {
    if !status_line(out, "DANE (RFC 7672)", d.status, &d.error, style)? {
        return Ok(());
    }
    for (label, value) in crate::render::view::dane_rows(d) {
        let value = if label == "outcome" && d.outcome == "no_match" {
            style.red(&value)
        } else {
            value
        };
        writeln!(out, "    {label:<14} {value}")?;
    }
    Ok(())
}

/// Writes the MTA-STS and TLS-RPT block of an SMTP target.
pub(super) fn mta_sts(
    out: &mut dyn Write,
    m: &crate::facts::MtaStsSection,
    style: &Style,
) -> std::io::Result<()> {
    let title = format!("MTA-STS ({})", m.domain);
    if !status_line(out, &title, m.status, &m.error, style)? {
        return Ok(());
    }
    for (label, value) in crate::render::view::mta_sts_rows(m) {
        writeln!(out, "    {label:<14} {value}")?;
    }
    Ok(())
}

/// The QUIC section of a `--quic` scan.
pub(super) fn quic(
    out: &mut dyn Write,
    q: &crate::facts::QuicSection,
    style: &Style,
) -> std::io::Result<()> {
    // An error here may leave the versions known: show them either way.
    status_line(out, "QUIC", q.status, &q.error, style)?;
    for (label, value) in crate::render::view::quic_rows(q) {
        writeln!(out, "    {label:<12} {value}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::TlsVersion;
    use crate::facts::{DheGroup, GroupResult, SignatureResult, VersionGroups, VersionSignatures};
    use crate::wire::{NamedGroup, SignatureScheme};

    #[test]
    fn renders_every_section() {
        let t = TargetReport {
            facts: crate::facts::TargetFacts {
                groups: Some(GroupsSection {
                    versions: vec![VersionGroups {
                        version: TlsVersion::Tls12,
                        status: SectionStatus::Completed,
                        error: None,
                        groups: vec![GroupResult::from_group(NamedGroup::X25519MLKEM768)],
                        server_preference: Some(true),
                        dhe: Some(DheGroup {
                            suite: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256".into(),
                            prime_bits: 1024,
                            generator: "02".into(),
                            known_group: None,
                            known_source: None,
                        }),
                        evidence: String::new(),
                    }],
                    ..Default::default()
                }),
                signature_schemes: Some(SignaturesSection {
                    versions: vec![VersionSignatures {
                        version: TlsVersion::Tls13,
                        status: SectionStatus::Error,
                        error: Some("not determined: why".into()),
                        schemes: vec![SignatureResult::new(SignatureScheme::ED25519, None)],
                        evidence: String::new(),
                    }],
                    ..Default::default()
                }),
                features: Some(FeaturesSection {
                    secure_renegotiation: Fact::yes("ServerHello has renegotiation_info"),
                    alpn: vec!["h2".into()],
                    client_certificate_cas: vec!["CN=Client CA".into()],
                    heartbleed: Fact::no("answered by alert unexpected_message"),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut out = Vec::new();
        sections(&mut out, &t, &Style { color: false }).unwrap();
        let text = String::from_utf8(out).unwrap();
        for want in [
            "TLSv1.2  X25519MLKEM768 (PQ)  server order",
            "DHE 1024-bit prime, custom prime",
            "TLSv1.3  not determined: why",
            "secure renegotiation           yes  ServerHello has renegotiation_info",
            "ALPN                           yes  h2",
            "Heartbleed (CVE-2014-0160)     no   answered by alert unexpected_message",
            "CA: CN=Client CA",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
    }
}
