//! Escaping for the markup formats: the HTML report and JUnit XML.

/// The two markup languages the reports are written in; they differ in what they can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Control characters other than whitespace (which HTML forbids) become U+FFFD, so that
    /// they stay visible; `'` is written `&#39;`, which HTML 4 knows too.
    Html,
    /// Characters XML 1.0 forbids (controls other than whitespace, U+FFFE, U+FFFF) are dropped:
    /// not even a character reference may hold them.
    Xml,
}

/// Escapes text for content and quoted attribute values.
pub fn escape(s: &str, dialect: Dialect) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match (c, dialect) {
            ('&', _) => out.push_str("&amp;"),
            ('<', _) => out.push_str("&lt;"),
            ('>', _) => out.push_str("&gt;"),
            ('"', _) => out.push_str("&quot;"),
            ('\'', Dialect::Html) => out.push_str("&#39;"),
            ('\'', Dialect::Xml) => out.push_str("&apos;"),
            ('\t' | '\n' | '\r', _) => out.push(c),
            (c, Dialect::Html) if c.is_control() => out.push('\u{fffd}'),
            (c, Dialect::Xml) if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            (c, _) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_differ_only_in_the_apostrophe_and_what_they_cannot_hold() {
        let s = "<a href=\"x\">'&'</a>\t\u{1}\u{85}\u{fffe}";
        assert_eq!(
            escape(s, Dialect::Html),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\t\u{fffd}\u{fffd}\u{fffe}"
        );
        assert_eq!(
            escape(s, Dialect::Xml),
            "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;\t\u{85}"
        );
    }
}
