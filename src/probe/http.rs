//! One HTTP request over a completed TLS handshake: what goes out and how the read of the
//! answer ended. The bytes are returned raw; reading them as HTTP is the enumeration stage's.
//! [`crate::probe::full::request`] sends it over rustls, [`crate::probe::tls12::Session::request`]
//! over our own TLS 1.0–1.2 client.

/// The most bytes of an answer read before giving up on finding the end of its head.
pub const MAX_HEAD: usize = 64 * 1024;

/// `GET /` for `host`, asking for compressed bodies (BREACH is about whether the server
/// compresses when the client allows it) and for the connection to close after the answer.
pub fn get_request(host: &str) -> Vec<u8> {
    format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tlsaudit/{}\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate, br\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes()
}

/// How reading the answer ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The caller's test said the bytes read are enough (a complete head, or bytes that can
    /// never become one).
    Complete,
    /// The server closed the connection (close_notify or TCP FIN) first.
    Closed,
    /// More than [`MAX_HEAD`] bytes (or the limit given) without the caller's test passing.
    TooLarge(usize),
    /// No more bytes within the read timeout.
    Timeout,
    /// The connection broke (reset, a TLS error after the handshake).
    Broken(String),
}

/// The answer to one request, and the handshake it went over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// "TLSv1.3 TLS_AES_256_GCM_SHA384 (rustls)", for evidence.
    pub over: String,
    /// The plaintext the server sent, at most the limit.
    pub bytes: Vec<u8>,
    pub ended: Ended,
}
