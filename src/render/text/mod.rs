//! The terminal report: one block per target (the header with the grade, one table per
//! protocol version, then the certificates, groups, signature schemes, features and weaknesses), and the
//! policy verdict before it.

mod certs;
mod grade;
mod protocols;
mod sections;
pub mod simulation;
pub mod verdict;
mod weaknesses;

use std::io::Write;

use crate::facts::SectionStatus;
use crate::report::TargetReport;

/// The text report's colour, at the path its callers name it by.
pub use crate::render::style::Style;

/// Writes one target's block.
pub fn target(out: &mut dyn Write, t: &TargetReport, style: &Style) -> std::io::Result<()> {
    let ip = t.ip.as_deref().unwrap_or("-");
    let sni = t.sni.as_deref().unwrap_or("(none)");
    writeln!(
        out,
        "{}{}",
        style.bold(&format!(
            "{}  [{}]:{}{}  SNI {}",
            t.target,
            ip,
            t.port,
            if t.transport.is_tcp() {
                ""
            } else {
                " over QUIC"
            },
            sni
        )),
        t.grade.as_ref().map_or_else(String::new, |g| format!(
            "  {}",
            style.bold(&grade::letter(g, style))
        ))
    )?;
    if let Some(e) = &t.error {
        writeln!(out, "  {} {}", style.red("error:"), e)?;
    }
    if let Some(g) = &t.grade {
        grade::block(out, g, style)?;
    }
    let scanned = t
        .protocols
        .iter()
        .any(|p| p.status == SectionStatus::Completed);
    for p in t.protocols.iter().filter(|_| scanned) {
        protocols::protocol(out, p, style)?;
    }
    if let Some(c) = &t.certificates {
        certs::section(out, c, style)?;
    }
    if let Some(q) = &t.quic {
        sections::quic(out, q, style)?;
    }
    sections::sections(out, t, style)?;
    if let Some(h) = &t.http {
        sections::http(out, h, style)?;
    }
    if let Some(d) = &t.https_record {
        sections::https_record(out, d, style)?;
    }
    if let Some(e) = &t.ech {
        sections::ech(out, e, style)?;
    }
    if let Some(d) = &t.dane {
        sections::dane(out, d, style)?;
    }
    if let Some(m) = &t.mta_sts {
        sections::mta_sts(out, m, style)?;
    }
    if let Some(w) = &t.weaknesses {
        weaknesses::section(out, w, style)?;
    }
    if let Some(s) = &t.simulation {
        simulation::section(out, s, style)?;
    }
    if let Some(pq) = &t.post_quantum {
        let (status, rest) = crate::render::view::post_quantum(pq);
        writeln!(
            out,
            "  {} {}  {}",
            style.bold("Post-quantum"),
            style.phrase(&status),
            style.dim(&rest)
        )?;
    }
    if let Some(r) = &t.rate_limited {
        let head = format!(
            "Rate limited: {} connection(s) retried after refusals (first: {})",
            r.retries + r.gave_up,
            r.evidence
        );
        let paint = if r.may_affect_results() {
            Style::red
        } else {
            Style::yellow
        };
        writeln!(out, "  {}  {}", paint(style, &head), style.dim(&r.note))?;
    }
    writeln!(
        out,
        "  {}",
        style.dim(&format!(
            "{} connections, {} ms",
            t.connections, t.duration_ms
        ))
    )?;
    writeln!(out)
}
