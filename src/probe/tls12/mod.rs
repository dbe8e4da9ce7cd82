//! A minimal TLS 1.0–1.2 client of our own, for what rustls will not do: RSA key transport,
//! finite-field DHE with any prime, AES-CBC records (with and without encrypt-then-MAC), TLS 1.0
//! and 1.1, and deliberately wrong messages for the active weakness checks in [`checks`].
//!
//! - [`client`]: the sans-IO state machine ([`Client`]): bytes in, [`Event`]s and records out.
//! - [`keys`]: the PRF, master secret (and RFC 7627's extended one), key block, verify_data.
//! - [`record`]: record protection (CBC MAC-then-encrypt or encrypt-then-MAC, GCM, ChaCha20).
//! - [`kx`]: RSA, DHE and ECDHE (x25519, secp256r1, secp384r1) key exchanges.
//! - [`suite`]: which suites it can do, from [`crate::wire::registry`].
//! - [`drive`]: [`Session`], the async driver over one counted engine connection.
//!
//! It verifies no certificate (a scanner records what the server presents) and resumes no
//! session. Primitives come from `ring` (HMAC, AEAD, ECDH, digests), RustCrypto `aes`/`cbc`,
//! `rsa` and `num-bigint`.
//!
//! ```no_run
//! # async fn demo(engine: &tlsaudit::probe::engine::Engine, host: &tlsaudit::probe::engine::HostHandle)
//! # -> Result<(), tlsaudit::probe::tls12::Tls12Error> {
//! use tlsaudit::probe::tls12::{ClientConfig, Session};
//! use tlsaudit::wire::{CipherSuite, ProtocolVersion};
//! let cfg = ClientConfig::new(ProtocolVersion::TLS12, vec![CipherSuite(0x002f)])
//!     .with_sni(Some("example.com".into()));
//! let (mut session, info) = Session::handshake(engine, host, cfg).await?;
//! let head = session.http_get("example.com", "/", 16 * 1024).await?;
//! println!("{} {} {}", info.version, info.suite, head.status_line);
//! session.close().await;
//! # Ok(()) }
//! ```

pub mod client;
pub mod drive;
pub mod keys;
pub mod kx;
pub mod record;
pub mod suite;

pub use client::{AfterKeyExchange, Client, ClientConfig, Event, HandshakeInfo, Premaster};
pub use drive::{HttpResponseHead, Reaction, Session};
pub use record::Padding;
pub use suite::{supported_suites, SuiteParams};

use crate::wire::Alert;

/// Why a session ended or a step could not be taken. Server behaviour that ends a session
/// (an alert, a close) is one of these, with what the server did.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tls12Error {
    #[error("connect failed: {0}")]
    Connect(String),
    #[error("{} alert {}", if .0.level == 1 { "warning" } else { "fatal" }, .0.description)]
    Alert(Alert),
    #[error("connection closed")]
    Closed,
    #[error("connection reset")]
    Reset,
    #[error("no answer within the timeout")]
    Timeout,
    #[error("I/O error: {0}")]
    Io(String),
    #[error("answer exceeds {0} bytes")]
    TooMuchData(usize),
    /// Bytes that are not TLS, or a message that does not parse.
    #[error("malformed: {0}")]
    Decode(String),
    /// A protected record that does not open.
    #[error("record: {0}")]
    Record(#[from] record::RecordError),
    /// The server did something the protocol does not allow (or we did not offer).
    #[error("{0}")]
    Protocol(String),
    /// Valid, but beyond this client (a suite, a curve, resumption).
    #[error("not supported by this client: {0}")]
    Unsupported(String),
}
