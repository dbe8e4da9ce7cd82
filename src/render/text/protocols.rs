//! The protocol versions of the terminal report: one line per version, then its suites.

use std::io::Write;

use crate::facts::{ProtocolResult, SectionStatus};
use crate::render::style::Style;
use crate::render::view::{suite_key_exchange, suite_order, suite_rating, version_rating};

pub(super) fn protocol(
    out: &mut dyn Write,
    p: &ProtocolResult,
    style: &Style,
) -> std::io::Result<()> {
    let name = format!("{:<8}", p.version.name());
    if p.status == SectionStatus::NotScheduled {
        return writeln!(out, "  {} {}", name, style.dim("not scanned"));
    }
    if let Some(e) = &p.error {
        return writeln!(out, "  {} {} {}", name, style.red("error:"), e);
    }
    if !p.supported {
        let evidence = style.dim(&format!("({})", p.evidence));
        return writeln!(out, "  {name} not offered  {evidence}");
    }
    let (rating, label) = version_rating(p.version);
    let order = if p.suites_enumerated {
        suite_order(p.server_preference)
    } else {
        "suites not enumerated (--only versions): the suite the server chose"
    };
    let offered = if label.is_empty() {
        "offered".to_string()
    } else {
        format!("offered ({label})")
    };
    writeln!(
        out,
        "  {} {}  {}",
        style.bold(&name),
        style.tone(rating.tone(), &offered),
        style.dim(order)
    )?;
    let w_name = p
        .cipher_suites
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(0);
    let w_ossl = p
        .cipher_suites
        .iter()
        .map(|s| s.openssl_name.as_deref().unwrap_or("-").len())
        .max()
        .unwrap_or(0);
    for s in &p.cipher_suites {
        let rating = suite_rating(s);
        let detail = format!(
            "{:<14} {:<26} {:<3} {}",
            suite_key_exchange(s).unwrap_or_default(),
            format!("{}-{} {}", s.cipher, s.bits, s.mode),
            if s.forward_secrecy { "FS" } else { "" },
            rating.name()
        );
        writeln!(
            out,
            "    {:<8} {:<w_name$}  {:<w_ossl$}  {}",
            s.id,
            style.tone(rating.tone(), &s.name),
            s.openssl_name.as_deref().unwrap_or("-"),
            detail,
            w_name = w_name + if style.color { 9 } else { 0 },
        )?;
    }
    Ok(())
}
