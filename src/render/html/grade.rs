//! The grade in the HTML report: a badge in the target header, then the score, each cap with
//! what to change, and what was not judged.

use std::fmt::Write as _;

use crate::grade::Grade;
use crate::render::html::escape;
use crate::render::view::{grade_label, grade_tone, score_line};

/// The badge for the target header.
pub(super) fn badge(g: &Grade) -> String {
    format!(
        "<span class=\"grade {}\" title=\"{}\">{}</span>",
        grade_tone(g.letter).name(),
        escape(&score_line(g)),
        escape(g.letter.as_str())
    )
}

/// The grade block: score, caps, what was not judged.
pub(super) fn block(h: &mut String, g: &Grade) -> std::fmt::Result {
    writeln!(
        h,
        "<div class=\"grade-detail\"><p>{} <strong>grade {}</strong> <span class=\"dim\">({})</span></p>",
        badge(g),
        escape(&grade_label(g)),
        escape(&score_line(g))
    )?;
    if !g.caps.is_empty() {
        writeln!(
            h,
            "<table><thead><tr><th>cap</th><th>rule</th><th>what to change</th></tr></thead><tbody>"
        )?;
        for c in &g.caps {
            writeln!(
                h,
                "<tr><td class=\"rating {}\">{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
                grade_tone(c.cap).name(),
                escape(c.cap.as_str()),
                escape(&c.id),
                escape(&c.reason)
            )?;
        }
        writeln!(h, "</tbody></table>")?;
    }
    if g.incomplete {
        writeln!(h, "<p class=\"weak\">Not judged:</p><ul class=\"notes\">")?;
        for n in &g.not_judged {
            writeln!(h, "<li>{}</li>", escape(n))?;
        }
        writeln!(h, "</ul>")?;
    }
    writeln!(h, "</div>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::samples::grade as sample;

    #[test]
    fn html_badge_and_block_escape_text() {
        let g = sample();
        assert_eq!(
            badge(&g),
            "<span class=\"grade bad\" title=\"score 91: protocol 95, key exchange not judged, cipher 90 (SSL Labs rating guide 2009r)\">T</span>"
        );
        let mut h = String::new();
        block(&mut h, &g).unwrap();
        assert!(h.contains("self-signed &lt;script&gt;"), "{h}");
        assert!(!h.contains("<script>"));
        assert!(h.contains("<li>key-exchange groups not scanned</li>"));
    }
}
