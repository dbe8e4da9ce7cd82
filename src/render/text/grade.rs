//! The grade in the terminal report: the letter in the target header, then the score, each cap
//! with what to change, and what was not judged.

use std::io::Write;

use crate::grade::Grade;
use crate::render::style::Style;
use crate::render::view::{grade_label, grade_tone, score_line};

/// The letter as it goes in the text header, coloured.
pub(super) fn letter(g: &Grade, style: &Style) -> String {
    style.tone(grade_tone(g.letter), &format!("grade {}", grade_label(g)))
}

/// The lines under the text header: score, caps, what was not judged.
pub(super) fn block(out: &mut dyn Write, g: &Grade, style: &Style) -> std::io::Result<()> {
    writeln!(out, "  {}", style.dim(&score_line(g)))?;
    for c in &g.caps {
        writeln!(out, "    cap {:<3} {}", c.cap.as_str(), c.reason)?;
    }
    if g.incomplete {
        writeln!(
            out,
            "    {} {}",
            style.yellow("not judged:"),
            g.not_judged.join("; ")
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::samples::grade as sample;

    #[test]
    fn text_names_letter_score_caps_and_gaps() {
        let g = sample();
        let style = Style { color: false };
        assert_eq!(
            letter(&g, &style),
            "grade T (B once the certificate is fixed) (incomplete)"
        );
        let mut out = Vec::new();
        block(&mut out, &g, &style).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "  score 91: protocol 95, key exchange not judged, cipher 90 (SSL Labs rating guide 2009r)\n\
             \x20   cap T   self-signed <script>\n\
             \x20   not judged: key-exchange groups not scanned\n"
        );
    }
}
