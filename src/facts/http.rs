//! The HTTP section: one `GET /` over a completed TLS handshake, and what the response head
//! says about the deployment: HSTS (RFC 6797), HTTP compression (BREACH) and the server banner.
//! Only HTTPS targets get it (never a STARTTLS one).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SectionStatus;

/// The seconds of HSTS max-age SSL Labs' A+ needs: 180 days.
pub const HSTS_MIN_MAX_AGE: u64 = 180 * 24 * 60 * 60;

/// What one HTTP request over the scanned TLS learned. With `status` `error`, `error` says why
/// (no response, a response that is not HTTP, a head over the size limit …) and the other
/// fields are null.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct HttpSection {
    pub status: SectionStatus,
    pub error: Option<String>,
    /// The response's status code (200, 301, 404 …); null when no HTTP response was read.
    pub status_code: Option<u16>,
    /// The `Strict-Transport-Security` header (the first one, RFC 6797 section 8.1), or null
    /// when the response has none.
    pub hsts: Option<Hsts>,
    /// The response's `Content-Encoding` (e.g. "gzip"), or null when the body is not encoded.
    /// The request offers `gzip, deflate, br`.
    pub compression: Option<String>,
    /// The `Server` header, or null when the response has none.
    pub server: Option<String>,
    /// The handshake the request went over: "TLSv1.3 TLS_AES_256_GCM_SHA384 (rustls)" or
    /// "TLSv1.2 TLS_RSA_WITH_AES_128_CBC_SHA (own client)".
    pub fetched_over: Option<String>,
}

impl HttpSection {
    /// A section that could not be completed, with why.
    pub fn failed(error: impl Into<String>, fetched_over: Option<String>) -> Self {
        Self {
            status: SectionStatus::Error,
            error: Some(error.into()),
            fetched_over,
            ..Self::default()
        }
    }

    /// Whether the response carries a valid HSTS policy of at least `min` seconds.
    pub fn hsts_at_least(&self, min: u64) -> bool {
        self.hsts
            .as_ref()
            .and_then(|h| h.max_age)
            .is_some_and(|a| a >= min)
    }
}

/// An HSTS policy (RFC 6797 section 6.1).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct Hsts {
    /// `max-age` in seconds; null when the header has no valid max-age (browsers then ignore
    /// the whole header, section 6.1.1) or repeats a directive (section 6.1).
    pub max_age: Option<u64>,
    pub include_subdomains: bool,
    /// The `preload` directive (not in RFC 6797: the browsers' preload list asks for it).
    pub preload: bool,
    /// The header's value as sent (at most 256 characters).
    pub header: String,
}

impl Hsts {
    /// Parses a `Strict-Transport-Security` value: `;`-separated directives, names in any
    /// case, values a token or a quoted string; unknown directives are ignored (section 6.1).
    pub fn parse(value: &str) -> Self {
        let mut max_age = None;
        let mut include_subdomains = false;
        let mut preload = false;
        let mut seen: Vec<String> = Vec::new();
        let mut valid = true;
        for directive in value.split(';') {
            let directive = directive.trim();
            if directive.is_empty() {
                continue;
            }
            let (name, val) = match directive.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (directive, None),
            };
            let name = name.to_ascii_lowercase();
            // "All directives MUST appear only once" (section 6.1, point 2).
            if seen.contains(&name) {
                valid = false;
            }
            seen.push(name.clone());
            match name.as_str() {
                "max-age" => {
                    let v = val.map(|v| v.trim_matches('"'));
                    max_age = v
                        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                        .and_then(|v| v.parse::<u64>().ok());
                }
                "includesubdomains" => include_subdomains = true,
                "preload" => preload = true,
                _ => {}
            }
        }
        Self {
            max_age: max_age.filter(|_| valid),
            include_subdomains,
            preload,
            header: value.chars().take(256).collect(),
        }
    }
}

/// Content codings that compress the body (the HTTP content coding registry); BREACH needs
/// one of them.
pub const COMPRESSING_CODINGS: [&str; 6] = ["gzip", "x-gzip", "deflate", "br", "zstd", "compress"];

/// Whether a `Content-Encoding` value names a compressing coding.
pub fn is_compressed(content_encoding: &str) -> bool {
    content_encoding.split(',').any(|c| {
        let c = c.trim();
        COMPRESSING_CODINGS
            .iter()
            .any(|k| c.eq_ignore_ascii_case(k))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts_directives_parse_in_any_case_and_order() {
        let h = Hsts::parse("max-age=31536000; includeSubDomains; preload");
        assert_eq!(h.max_age, Some(31_536_000));
        assert!(h.include_subdomains && h.preload);
        let h = Hsts::parse("Preload ;INCLUDESUBDOMAINS; MAX-AGE=\"15552000\"");
        assert_eq!(
            (h.max_age, h.include_subdomains, h.preload),
            (Some(15_552_000), true, true)
        );
        let h = Hsts::parse("max-age=0");
        assert_eq!(
            (h.max_age, h.include_subdomains, h.preload),
            (Some(0), false, false)
        );
    }

    #[test]
    fn invalid_hsts_has_no_max_age() {
        for bad in [
            "includeSubDomains",
            "max-age=",
            "max-age=-1",
            "max-age=1e6",
            "max-age=99999999999999999999999",
            "max-age=10; max-age=20",
        ] {
            assert_eq!(Hsts::parse(bad).max_age, None, "{bad}");
        }
        assert_eq!(Hsts::parse(&"x".repeat(1000)).header.len(), 256);
    }

    #[test]
    fn compressing_codings() {
        assert!(is_compressed("gzip"));
        assert!(is_compressed("identity, BR"));
        assert!(!is_compressed("identity"));
        assert!(!is_compressed(""));
    }
}
