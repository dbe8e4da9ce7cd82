//! Terminal rendering of the weaknesses section: present ones first, in red.

use std::io::Write;

use crate::facts::WeaknessesSection;
use crate::render::style::Style;
use crate::render::view;

use super::sections::status_line;

/// Writes the weaknesses block: one row per check (name, CVE, answer, evidence).
pub(super) fn section(
    out: &mut dyn Write,
    w: &WeaknessesSection,
    style: &Style,
) -> std::io::Result<()> {
    if !status_line(out, "Weaknesses", w.status, &w.error, style)? {
        return Ok(());
    }
    for row in view::weakness_rows(w) {
        let word = format!("{:<4}", row.word);
        let word = match row.tone {
            Some(tone) => style.tone(tone, &word),
            None => word,
        };
        writeln!(
            out,
            "    {:<30} {:<14} {} {}",
            row.title,
            row.cve.as_deref().unwrap_or("-"),
            word,
            style.dim(&row.evidence)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Verdict, WeaknessCheck};

    #[test]
    fn present_weaknesses_come_first() {
        let w = WeaknessesSection {
            checks: vec![
                WeaknessCheck::new("heartbleed", Verdict::No, "no heartbeat"),
                WeaknessCheck::new("drown", Verdict::NotApplicable, "n/a"),
                WeaknessCheck::new("rc4", Verdict::Yes, "accepted RC4 suites: TLSv1.2 X"),
            ],
            ..Default::default()
        };
        let mut out = Vec::new();
        section(&mut out, &w, &Style { color: false }).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "  Weaknesses\n\
             \x20   RC4                            CVE-2013-2566  yes  accepted RC4 suites: TLSv1.2 X\n\
             \x20   Heartbleed                     CVE-2014-0160  no   no heartbeat\n\
             \x20   DROWN (SSLv2)                  CVE-2016-0800  n/a  n/a\n"
        );
    }
}
