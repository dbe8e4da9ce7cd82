//! The grade for people: the letter in the target header, then the score, each cap with what
//! to change, and what was not judged.

use std::fmt::Write as _;
use std::io::Write;

use crate::grade::{Grade, Letter};

use super::html::escape;
use super::text::Style;

/// "good", "weak" or "bad": how a letter reads.
pub fn class(l: Letter) -> &'static str {
    match l {
        Letter::APlus | Letter::A | Letter::AMinus => "good",
        Letter::B | Letter::C => "weak",
        Letter::D | Letter::E | Letter::F | Letter::T | Letter::M => "bad",
    }
}

/// "A+", "A (incomplete)", "T (A+ once the certificate is fixed)".
pub fn label(g: &Grade) -> String {
    let mut s = g.letter.to_string();
    if let Some(l) = g.ignoring_certificate {
        let _ = write!(s, " ({l} once the certificate is fixed)");
    }
    if g.incomplete {
        s.push_str(" (incomplete)");
    }
    s
}

fn score_line(g: &Grade) -> String {
    format!(
        "score {}: protocol {}, key exchange {}, cipher {}",
        g.score,
        g.protocol_score,
        g.key_exchange_score
            .map_or_else(|| "not judged".to_string(), |k| k.to_string()),
        g.cipher_score
    )
}

/// The letter as it goes in the text header, coloured.
pub fn text_letter(g: &Grade, style: &Style) -> String {
    let s = format!("grade {}", label(g));
    match class(g.letter) {
        "good" => style.green(&s),
        "weak" => style.yellow(&s),
        _ => style.red(&s),
    }
}

/// The lines under the text header: score, caps, what was not judged.
pub fn text(out: &mut dyn Write, g: &Grade, style: &Style) -> std::io::Result<()> {
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

/// The badge for the HTML target header.
pub fn html_badge(g: &Grade) -> String {
    format!(
        "<span class=\"grade {}\" title=\"{}\">{}</span>",
        class(g.letter),
        escape(&score_line(g)),
        escape(g.letter.as_str())
    )
}

/// The grade block: score, caps, what was not judged.
pub fn html_block(h: &mut String, g: &Grade) -> std::fmt::Result {
    writeln!(
        h,
        "<div class=\"grade-detail\"><p>{} <strong>grade {}</strong> <span class=\"dim\">({})</span></p>",
        html_badge(g),
        escape(&label(g)),
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
                class(c.cap),
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
    use crate::grade::GradeCap;

    fn sample() -> Grade {
        Grade {
            letter: Letter::T,
            score: 91,
            protocol_score: 95,
            key_exchange_score: None,
            cipher_score: 90,
            caps: vec![GradeCap {
                id: "grade.cert.untrusted".into(),
                cap: Letter::T,
                reason: "self-signed <script>".into(),
            }],
            ignoring_certificate: Some(Letter::B),
            incomplete: true,
            not_judged: vec!["key-exchange groups not scanned".into()],
        }
    }

    #[test]
    fn text_names_letter_score_caps_and_gaps() {
        let g = sample();
        let style = Style { color: false };
        assert_eq!(
            text_letter(&g, &style),
            "grade T (B once the certificate is fixed) (incomplete)"
        );
        let mut out = Vec::new();
        text(&mut out, &g, &style).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "  score 91: protocol 95, key exchange not judged, cipher 90\n\
             \x20   cap T   self-signed <script>\n\
             \x20   not judged: key-exchange groups not scanned\n"
        );
    }

    #[test]
    fn html_badge_and_block_escape_text() {
        let g = sample();
        assert_eq!(
            html_badge(&g),
            "<span class=\"grade bad\" title=\"score 91: protocol 95, key exchange not judged, cipher 90\">T</span>"
        );
        let mut h = String::new();
        html_block(&mut h, &g).unwrap();
        assert!(h.contains("self-signed &lt;script&gt;"), "{h}");
        assert!(!h.contains("<script>"));
        assert!(h.contains("<li>key-exchange groups not scanned</li>"));
    }
}
