//! The HTTP stage: one `GET /` over a completed handshake (one connection), and the response
//! head read into the [`HttpSection`]: status code, HSTS, `Content-Encoding` and `Server`.
//!
//! The handshake is rustls' (TLS 1.3, else TLS 1.2 with an ECDHE AEAD suite) when the server
//! accepts a suite rustls speaks, else our own TLS 1.0–1.2 client with the accepted suites
//! it can complete (CBC-only and RSA key-transport servers). Only HTTPS targets: a STARTTLS
//! target gets none.
//!
//! What the server sends is read, at most [`MAX_HEAD`] bytes within one read timeout, until
//! the head is complete (its blank line) or cannot become one. A server that answers something
//! that is not HTTP/1.x, closes before the blank line, or sends a head over the limit gets
//! `status: error` with what it did; nothing is guessed from a partial head.

use std::time::Duration;

use crate::facts::{FeaturesSection, Hsts, HttpSection, SectionStatus, Stage, TlsVersion};
use crate::probe::full::{self, Client, Setup};
use crate::probe::http::{get_request, Ended, Reply, MAX_HEAD};
use crate::probe::tls12::{ClientConfig, Session, SuiteParams};
use crate::probe::Ctx;

use super::prior::Prior;
use super::ScanOptions;

/// At most this many header fields in a response head.
const MAX_HEADERS: usize = 128;

/// How long the answer is waited for when nothing said the server speaks HTTP (a TLS service
/// of another protocol that waits for its client, or an echo server, never answers).
pub const UNCONFIRMED_WAIT: Duration = Duration::from_secs(2);

/// Whether the target said it speaks HTTP before the request: its ALPN choice (`h2`,
/// `http/1.1`) in the features stage, or port 443. Then the answer is waited for the whole
/// read timeout; else at most [`UNCONFIRMED_WAIT`].
pub fn says_http(port: u16, features: Option<&FeaturesSection>) -> bool {
    port == 443
        || features.is_some_and(|f| {
            f.alpn
                .iter()
                .any(|p| matches!(p.as_str(), "h2" | "http/1.1" | "http/1.0"))
        })
}

/// The HTTP stage, when it is scheduled and the target is HTTPS. `host` is the Host header
/// value (`name` or `name:port`); `says_http` as [`says_http`] found it.
pub async fn scan(
    ctx: &Ctx,
    prior: &Prior,
    host: &str,
    says_http: bool,
    opts: &ScanOptions,
) -> Option<HttpSection> {
    if !opts.runs(Stage::Http) || opts.starttls.is_some() {
        return None;
    }
    let wait = AnswerWait::new(ctx.engine.config().read_timeout, says_http);
    Some(fetch(ctx, prior, host, wait).await)
}

/// How long the answer to `GET /` is waited for: the read timeout when the server said it
/// speaks HTTP, else at most [`UNCONFIRMED_WAIT`].
#[derive(Debug, Clone, Copy)]
pub struct AnswerWait {
    pub limit: Duration,
    pub says_http: bool,
}

impl AnswerWait {
    pub fn new(read_timeout: Duration, says_http: bool) -> Self {
        let limit = if says_http {
            read_timeout
        } else {
            read_timeout.min(UNCONFIRMED_WAIT)
        };
        Self { limit, says_http }
    }

    /// The error when nothing came back within the wait.
    fn no_answer(&self) -> String {
        if self.says_http {
            "no HTTP response within the read timeout".into()
        } else {
            format!(
                "no HTTP response within {} s; the server chose no HTTP protocol by ALPN and is not on port 443, so it may not speak HTTP",
                self.limit.as_secs_f64()
            )
        }
    }
}

/// Sends `GET /` for `host` over the best handshake the server and our clients share, and
/// reads the answer's head (waiting at most `wait.limit` for it) into the section.
pub async fn fetch(ctx: &Ctx, prior: &Prior, host: &str, wait: AnswerWait) -> HttpSection {
    let request = get_request(host);
    let reply = match client_for(prior) {
        Some(Via::Rustls(tls13)) => {
            let client = match Client::new(&Setup::new(tls13)) {
                Ok(c) => c,
                Err(e) => return HttpSection::failed(format!("handshake client: {e}"), None),
            };
            full::request(ctx, &client, &request, MAX_HEAD, wait.limit, head_ended).await
        }
        Some(Via::Own(version, suites)) => own(ctx, version, suites, &request, wait.limit).await,
        None => {
            return HttpSection::failed(
                "no accepted TLS version and suite that our handshake clients can complete",
                None,
            )
        }
    };
    match reply {
        Ok(reply) => read(&reply, wait),
        Err(e) => HttpSection::failed(format!("the TLS handshake failed: {e}"), None),
    }
}

/// Which client completes the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Via {
    /// rustls; true for TLS 1.3.
    Rustls(bool),
    /// Our own client at this version with these suites.
    Own(TlsVersion, Vec<crate::wire::CipherSuite>),
}

fn client_for(prior: &Prior) -> Option<Via> {
    let all = |v| prior.suites(v, |_| true);
    if prior.supported(TlsVersion::Tls13) && full::can_negotiate(&all(TlsVersion::Tls13)) {
        return Some(Via::Rustls(true));
    }
    if prior.supported(TlsVersion::Tls12) && full::can_negotiate(&all(TlsVersion::Tls12)) {
        return Some(Via::Rustls(false));
    }
    let version = prior.legacy_version()?;
    let suites: Vec<_> = all(version)
        .into_iter()
        .filter_map(SuiteParams::of)
        .filter(|p| p.valid_for(version.wire()))
        .map(|p| p.suite)
        .collect();
    (!suites.is_empty()).then_some(Via::Own(version, suites))
}

/// The request over our own TLS 1.0–1.2 client.
async fn own(
    ctx: &Ctx,
    version: TlsVersion,
    suites: Vec<crate::wire::CipherSuite>,
    request: &[u8],
    wait: Duration,
) -> Result<Reply, String> {
    let cfg = ClientConfig::new(version.wire(), suites).with_sni(ctx.sni.clone());
    let (mut session, info) = Session::handshake(&ctx.engine, &ctx.host, cfg)
        .await
        .map_err(|e| e.to_string())?;
    let over = format!("{} {} (own client)", info.version, info.suite);
    let (bytes, ended) = session.request(request, MAX_HEAD, wait, head_ended).await;
    session.close().await;
    Ok(Reply { over, bytes, ended })
}

/// The final (non-1xx) response head at the start of `bytes`: `Ok(None)` while incomplete.
fn parse_head(bytes: &[u8]) -> Result<Option<Head>, String> {
    let mut at = 0;
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let len = match response.parse(&bytes[at..]) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(format!(
                    "the response head has more than {MAX_HEADERS} header fields"
                ))
            }
            Err(e) => {
                return Err(format!(
                    "not an HTTP/1.x response ({e}): the server sent {}",
                    quote(&bytes[at..])
                ))
            }
        };
        let code = response.code.unwrap_or_default();
        // 1xx interim responses (103 Early Hints …) come before the final one (RFC 9110
        // section 15.2); 101 would switch protocols, which we never asked for.
        if (100..200).contains(&code) && code != 101 {
            at += len;
            continue;
        }
        let headers = response
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).trim().to_string(),
                )
            })
            .collect();
        return Ok(Some(Head { code, headers }));
    }
}

/// Whether reading can stop: the head is complete, or the bytes can never become one.
fn head_ended(bytes: &[u8]) -> bool {
    !matches!(parse_head(bytes), Ok(None))
}

/// A response head: status code and header fields (names in lower case).
struct Head {
    code: u16,
    headers: Vec<(String, String)>,
}

impl Head {
    fn first(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a list-valued field, joined (RFC 9110 section 5.3).
    fn joined(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// The section from one reply.
fn read(reply: &Reply, wait: AnswerWait) -> HttpSection {
    let over = Some(reply.over.clone());
    let head = match parse_head(&reply.bytes) {
        Ok(Some(head)) => head,
        Err(e) => return HttpSection::failed(e, over),
        Ok(None) => {
            let n = reply.bytes.len();
            let why = match (&reply.ended, n) {
                (Ended::TooLarge(max), _) => {
                    format!("the response head exceeds {max} bytes without its end (a blank line)")
                }
                (Ended::Closed, 0) => {
                    "the server closed the connection without answering the HTTP request".into()
                }
                (Ended::Timeout, 0) => wait.no_answer(),
                (Ended::Broken(e), 0) => format!("no HTTP response: {e}"),
                (ended, _) => format!(
                    "the response head is incomplete: {} after {n} bytes without its end (a blank line), starting {}",
                    match ended {
                        Ended::Closed => "the server closed the connection".to_string(),
                        Ended::Timeout => "the read timeout passed".to_string(),
                        Ended::Broken(e) => e.clone(),
                        Ended::Complete | Ended::TooLarge(_) => "reading stopped".to_string(),
                    },
                    quote(&reply.bytes)
                ),
            };
            return HttpSection::failed(why, over);
        }
    };
    let bounded = |s: &str| s.chars().take(256).collect::<String>();
    HttpSection {
        status: SectionStatus::Completed,
        error: None,
        status_code: Some(head.code),
        // A UA processes only the first HSTS header field (RFC 6797 section 8.1).
        hsts: head.first("strict-transport-security").map(Hsts::parse),
        compression: head.joined("content-encoding").map(|c| bounded(&c)),
        server: head.first("server").map(bounded),
        fetched_over: over,
    }
}

/// The first bytes of `b`, printable, for an error message.
fn quote(b: &[u8]) -> String {
    const SHOWN: usize = 40;
    let text: String = b
        .iter()
        .take(SHOWN)
        .flat_map(|&c| std::ascii::escape_default(c))
        .map(char::from)
        .collect();
    format!("\"{text}\"{}", if b.len() > SHOWN { "…" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(bytes: &[u8], ended: Ended) -> HttpSection {
        read(
            &Reply {
                over: "TLSv1.3 TLS_AES_128_GCM_SHA256 (rustls)".into(),
                bytes: bytes.to_vec(),
                ended,
            },
            AnswerWait::new(Duration::from_secs(8), true),
        )
    }

    #[test]
    fn a_head_gives_status_hsts_compression_and_server() {
        let s = reply(
            b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Encoding: gzip\r\nStrict-Transport-Security: max-age=63072000; preload\r\nStrict-Transport-Security: max-age=0\r\n\r\n\x1f\x8b",
            Ended::Complete,
        );
        assert_eq!(s.status, SectionStatus::Completed);
        assert_eq!(s.status_code, Some(200));
        assert_eq!(s.server.as_deref(), Some("nginx"));
        assert_eq!(s.compression.as_deref(), Some("gzip"));
        let h = s.hsts.unwrap();
        assert_eq!(
            (h.max_age, h.include_subdomains, h.preload),
            (Some(63_072_000), false, true)
        );
    }

    #[test]
    fn interim_responses_are_skipped() {
        let s = reply(
            b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 301 Moved\r\nLocation: /x\r\n\r\n",
            Ended::Complete,
        );
        assert_eq!((s.status_code, s.hsts, s.server), (Some(301), None, None));
        assert!(!head_ended(b"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200"));
    }

    #[test]
    fn what_is_not_a_head_is_an_error() {
        let s = reply(b"SSH-2.0-OpenSSH_9.2\r\n", Ended::Complete);
        assert_eq!(
            s.error.as_deref(),
            Some("not an HTTP/1.x response (invalid HTTP version): the server sent \"SSH-2.0-OpenSSH_9.2\\r\\n\"")
        );
        assert_eq!(s.status, SectionStatus::Error);
        assert_eq!(
            reply(b"HTTP/1.1 200 OK\r\nServer: x\r\n", Ended::Closed).error.as_deref(),
            Some("the response head is incomplete: the server closed the connection after 28 bytes without its end (a blank line), starting \"HTTP/1.1 200 OK\\r\\nServer: x\\r\\n\"")
        );
        assert_eq!(
            reply(b"", Ended::Closed).error.as_deref(),
            Some("the server closed the connection without answering the HTTP request")
        );
        assert_eq!(
            reply(b"HTTP/1.1 200 OK\r\nX: aaaa", Ended::TooLarge(MAX_HEAD))
                .error
                .as_deref(),
            Some("the response head exceeds 65536 bytes without its end (a blank line)")
        );
        let many = format!("HTTP/1.1 200 OK\r\n{}\r\n", "A: b\r\n".repeat(200));
        assert!(head_ended(many.as_bytes()));
        assert_eq!(
            reply(many.as_bytes(), Ended::Complete).error.as_deref(),
            Some("the response head has more than 128 header fields")
        );
    }
}
