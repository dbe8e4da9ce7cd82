//! The request head, read before hyper sees the connection, so that a request hyper would refuse
//! with a bare status line (malformed, a head over [`limit::MAX_HEAD_BYTES`], more header lines
//! than hyper takes, another HTTP version) gets a page that says what is wrong, like every other
//! refusal. A head that parses is handed to hyper unchanged ([`super::tls::Replay`]), and each
//! connection carries one request (no keep-alive), so every request passes here.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::limit;
use super::page::Nonce;

/// Header lines hyper's HTTP/1 parser takes (its default); more would be its bare 431.
pub const MAX_HEADERS: usize = 100;

/// How long a refused client may go on sending after its answer, and how much of it is read
/// (so the close does not reset the connection under the answer before the client reads it).
const DRAIN_TIME: Duration = Duration::from_secs(1);
const DRAIN_BYTES: usize = 4 << 20;

/// What the first bytes of a connection amount to.
#[derive(Debug, PartialEq, Eq)]
pub enum Head {
    /// A whole request head (and whatever followed it in the same reads), for hyper.
    Complete(Vec<u8>),
    /// The client closed (or the read failed) before a whole head: nothing to answer.
    Closed,
    /// Not a request this server takes: the status, what to tell the client, and whether the
    /// request named an API route (answered as JSON).
    Refused(StatusCode, String, bool),
}

/// Reads until the request head is complete, refused, or the client goes away. The caller
/// bounds it in time (the header timeout).
pub async fn read<S: AsyncRead + Unpin>(io: &mut S) -> Head {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = match io.read(&mut chunk).await {
            Ok(0) | Err(_) => return Head::Closed,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(head) = judge(&buf) {
            return head;
        }
    }
}

/// The verdict on the bytes so far; `None` while the head may still come.
fn judge(buf: &[u8]) -> Option<Head> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let api = names_api(buf);
    let refused = |status: StatusCode, message: String| Some(Head::Refused(status, message, api));
    match req.parse(buf) {
        Ok(httparse::Status::Complete(_)) => return Some(Head::Complete(buf.to_vec())),
        Ok(httparse::Status::Partial) => {}
        Err(httparse::Error::TooManyHeaders) => {
            return refused(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!("the request has more than {MAX_HEADERS} header lines"),
            )
        }
        Err(httparse::Error::Version) => {
            return refused(
                StatusCode::HTTP_VERSION_NOT_SUPPORTED,
                "this server speaks HTTP/1.0 and HTTP/1.1 only".to_string(),
            )
        }
        Err(e) => {
            return refused(
                StatusCode::BAD_REQUEST,
                format!(
                    "this is not an HTTP/1.1 request ({e} in its first {} bytes); an https:// \
                     address for an http:// server sends a TLS hello, which reads as this",
                    buf.len()
                ),
            )
        }
    }
    if buf.len() <= limit::MAX_HEAD_BYTES {
        return None;
    }
    let kib = limit::MAX_HEAD_BYTES / 1024;
    Some(if buf.contains(&b'\n') {
        Head::Refused(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("the request's head is over {kib} KiB; at most {kib} KiB are read"),
            api,
        )
    } else {
        Head::Refused(
            StatusCode::URI_TOO_LONG,
            format!("the request line is over {kib} KiB; at most {kib} KiB are read"),
            api,
        )
    })
}

/// Whether the request line's target is under `/api/`.
fn names_api(buf: &[u8]) -> bool {
    buf.split(|b| *b == b' ')
        .nth(1)
        .is_some_and(|target| target.starts_with(b"/api/"))
}

/// Writes the refusal as a whole HTTP/1.1 response that closes the connection: the page (or
/// JSON) and headers every other answer of this server carries; then lets the client finish
/// sending for a moment, so the close does not destroy the answer.
pub async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    status: StatusCode,
    message: &str,
    api: bool,
) {
    let nonce = Nonce::new();
    let r = super::harden(super::refuse(api, &nonce, status, message, None), &nonce);
    let (parts, body) = r.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return;
    };
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    let mut headers = parts.headers;
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    for (name, value) in &headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    if io.write_all(&out).await.is_err() || io.flush().await.is_err() {
        return;
    }
    let _ = io.shutdown().await;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut sink = [0u8; 16 * 1024];
        let mut drained = 0;
        while drained < DRAIN_BYTES {
            match io.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(buf: &[u8]) -> Option<StatusCode> {
        match judge(buf) {
            Some(Head::Refused(s, _, _)) => Some(s),
            Some(Head::Complete(_)) => Some(StatusCode::OK),
            Some(Head::Closed) | None => None,
        }
    }

    #[test]
    fn heads_are_taken_waited_for_or_refused_with_the_status_that_says_why() {
        assert_eq!(
            status(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(StatusCode::OK)
        );
        assert_eq!(status(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
        assert_eq!(status(b"GET /api/scan?target=a"), None);
        assert_eq!(
            status(&[0x16, 3, 1, 0, 0xa5, 1, 0]),
            Some(StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            status(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
            Some(StatusCode::HTTP_VERSION_NOT_SUPPORTED)
        );
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        many.extend(b"X: y\r\n".repeat(MAX_HEADERS + 1));
        many.extend(b"\r\n");
        assert_eq!(
            status(&many),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        let long_line = [b"GET /".as_slice(), &[b'a'; 70_000]].concat();
        assert_eq!(status(&long_line), Some(StatusCode::URI_TOO_LONG));
        let mut long_head = b"GET / HTTP/1.1\r\nX: ".to_vec();
        long_head.extend([b'a'; 70_000]);
        assert_eq!(
            status(&long_head),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
    }

    #[test]
    fn an_api_request_is_told_in_json() {
        assert!(names_api(b"GET /api/scan?target=x HTTP/1.1\r\n"));
        assert!(!names_api(b"GET /scan?target=/api/ HTTP/1.1\r\n"));
        assert!(!names_api(b"\x16\x03\x01"));
    }
}
