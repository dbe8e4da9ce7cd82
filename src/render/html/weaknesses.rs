//! HTML rendering of the weaknesses section: present ones first, marked bad.

use std::fmt::Write as _;

use crate::facts::WeaknessesSection;
use crate::render::view;

use super::{escape, section_head};

/// The weaknesses table: one row per check (name, CVE, answer, evidence).
pub(super) fn weaknesses(h: &mut String, w: &WeaknessesSection) -> std::fmt::Result {
    if !section_head(h, "Weaknesses", w.status, &w.error)? {
        return Ok(());
    }
    writeln!(
        h,
        "<table><thead><tr><th>weakness</th><th>CVE</th><th>answer</th><th>evidence</th></tr></thead><tbody>"
    )?;
    for row in view::weakness_rows(w) {
        let class = row.tone.map_or("", |t| t.name());
        writeln!(
            h,
            "<tr><td>{}</td><td class=\"mono\">{}</td><td class=\"rating {class}\">{}</td>\
             <td class=\"dim\">{}</td></tr>",
            row.title,
            row.cve.as_deref().unwrap_or("-"),
            row.word,
            escape(&row.evidence)
        )?;
    }
    writeln!(h, "</tbody></table>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Verdict, WeaknessCheck};

    #[test]
    fn present_weaknesses_come_first_and_read_bad() {
        let w = WeaknessesSection {
            checks: vec![
                WeaknessCheck::new("crime", Verdict::No, "method 0"),
                WeaknessCheck::new("sweet32", Verdict::Yes, "TLSv1.2 <3DES>"),
            ],
            ..Default::default()
        };
        let mut h = String::new();
        weaknesses(&mut h, &w).unwrap();
        let rows: Vec<&str> = h.lines().filter(|l| l.starts_with("<tr><td>")).collect();
        assert_eq!(
            rows,
            [
                "<tr><td>SWEET32 (64-bit block ciphers)</td><td class=\"mono\">CVE-2016-2183</td><td class=\"rating bad\">yes</td><td class=\"dim\">TLSv1.2 &lt;3DES&gt;</td></tr>",
                "<tr><td>CRIME (TLS compression)</td><td class=\"mono\">CVE-2012-4929</td><td class=\"rating good\">no</td><td class=\"dim\">method 0</td></tr>",
            ]
        );
    }
}
