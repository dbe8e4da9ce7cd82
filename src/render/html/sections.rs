//! The groups, signature schemes and features of the HTML report.

use std::fmt::Write as _;

use crate::facts::{FeaturesSection, GroupsSection, SectionStatus, SignaturesSection};
use crate::render::html::{escape, phrase, section_head};
use crate::render::view;

pub(super) fn groups(h: &mut String, g: &GroupsSection) -> std::fmt::Result {
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
                .map(|x| phrase(&view::group(x)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let dhe = match &v.dhe {
            Some(d) => {
                let dhe = view::dhe(d);
                format!(
                    "<div class=\"{}\">{}</div>",
                    dhe.tone.map_or("", |t| t.name()),
                    escape(&dhe.text)
                )
            }
            None => String::new(),
        };
        writeln!(
            h,
            "<tr><td>{}</td><td>{list}{dhe}</td><td class=\"dim\">{}</td></tr>",
            v.version.name(),
            view::group_order(v.server_preference)
        )?;
    }
    writeln!(h, "</tbody></table>")
}

pub(super) fn signatures(h: &mut String, s: &SignaturesSection) -> std::fmt::Result {
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
            let tone = view::signature_scheme_tone(&sc.name);
            writeln!(
                h,
                "<tr><td>{}</td><td class=\"mono\">{}</td><td class=\"mono{}\">{}</td>\
                 <td class=\"dim\">{}</td></tr>",
                if i == 0 { name } else { "" },
                escape(&sc.id),
                tone.map_or_else(String::new, |t| format!(" {}", t.name())),
                escape(&sc.name),
                escape(sc.certificate_key.as_deref().unwrap_or("?"))
            )?;
        }
    }
    writeln!(h, "</tbody></table>")
}

pub(super) fn features(h: &mut String, f: &FeaturesSection) -> std::fmt::Result {
    if !section_head(h, "Features", f.status, &f.error)? {
        return Ok(());
    }
    writeln!(
        h,
        "<table><thead><tr><th>feature</th><th>answer</th><th>evidence</th></tr></thead><tbody>"
    )?;
    for (label, fact, good_when_yes) in view::feature_rows(f) {
        let (word, tone) = view::answer(&fact, good_when_yes);
        let class = tone.map_or("", |t| t.name());
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

/// The HTTP block: the response's status, HSTS, compression and server banner.
pub(super) fn http(h: &mut String, http: &crate::facts::HttpSection) -> std::fmt::Result {
    if !super::section_head(h, "HTTP (GET /)", http.status, &http.error)? {
        return Ok(());
    }
    writeln!(h, "<table><tbody>")?;
    for (label, value) in crate::render::view::http_rows(http) {
        writeln!(
            h,
            "<tr><th>{label}</th><td>{}</td></tr>",
            super::escape(&value)
        )?;
    }
    writeln!(h, "</tbody></table>")
}

/// The DNS HTTPS record block: what was asked, each record, its ECH configs.
pub(super) fn https_record(
    h: &mut String,
    d: &crate::facts::HttpsRecordSection,
) -> std::fmt::Result {
    let rows = crate::render::view::https_record_rows(d);
    label_rows(h, "DNS HTTPS record", d.status, &d.error, rows)
}

/// The ECH block: the summary, GREASE and the real handshake, retry configs, findings.
pub(super) fn ech(h: &mut String, e: &crate::facts::EchSection) -> std::fmt::Result {
    let rows = crate::render::view::ech_rows(e);
    label_rows(h, "Encrypted Client Hello", e.status, &e.error, rows)
}

/// The DANE block of an SMTP target: the TLSA records and how each fared.
pub(super) fn dane(h: &mut String, d: &crate::facts::DaneSection) -> std::fmt::Result {
    let rows = crate::render::view::dane_rows(d);
    label_rows(h, "DANE (RFC 7672)", d.status, &d.error, rows)
}

/// The MTA-STS and TLS-RPT block of an SMTP target.
pub(super) fn mta_sts(h: &mut String, m: &crate::facts::MtaStsSection) -> std::fmt::Result {
    let rows = crate::render::view::mta_sts_rows(m);
    let title = format!("MTA-STS ({})", m.domain);
    label_rows(h, &title, m.status, &m.error, rows)
}

/// A block of label / value rows under a heading.
fn label_rows(
    h: &mut String,
    title: &str,
    status: crate::facts::SectionStatus,
    error: &Option<String>,
    rows: Vec<(String, String)>,
) -> std::fmt::Result {
    if !super::section_head(h, title, status, error)? {
        return Ok(());
    }
    writeln!(h, "<table><tbody>")?;
    for (label, value) in rows {
        writeln!(
            h,
            "<tr><th>{}</th><td>{}</td></tr>",
            super::escape(&label),
            super::escape(&value)
        )?;
    }
    writeln!(h, "</tbody></table>")
}

/// The QUIC section of a `--quic` scan (shown even with an error: the versions may be known).
pub(super) fn quic(h: &mut String, q: &crate::facts::QuicSection) -> std::fmt::Result {
    super::section_head(h, "QUIC", q.status, &q.error)?;
    writeln!(h, "<table><tbody>")?;
    for (label, value) in crate::render::view::quic_rows(q) {
        writeln!(
            h,
            "<tr><th>{label}</th><td>{}</td></tr>",
            super::escape(&value)
        )?;
    }
    writeln!(h, "</tbody></table>")
}
