//! Sample values shared by the tests of the text and HTML renderers.

use crate::grade::{Grade, GradeCap, Letter};

/// A capped, incomplete grade whose cap reason holds markup.
pub(crate) fn grade() -> Grade {
    Grade {
        guide: "2009r".into(),
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
