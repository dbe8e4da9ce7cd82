//! `serve --tls-listen`: the same page over TLS, where each connection's ClientHello is read
//! first by the client check's capture ([`crate::client::capture`]) and then replayed into
//! rustls, so `GET /client` can show the visitor's browser its own hello.
//!
//! A connection goes: accept (past `--max-connections` open ones it is closed at once) → read
//! the ClientHello with a byte cap and the header timeout (garbage, an oversized or a slow
//! hello ends the connection there) → the TLS handshake from the bytes already read
//! ([`Replay`]), within the same timeout → HTTP/1.1 as on the plain listener
//! ([`super::serve_connection`]: the same routes, limits and per-client counts), every request
//! carrying the connection's [`SeenHello`].

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use axum::{Extension, Router};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::ServerConfig;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::client::analysis::Captured;
use crate::client::capture::{read_client_hello, CaptureLimits};
use crate::facts::TlsVersion;
use crate::wire::{registry, CipherSuite, ProtocolVersion};

/// The largest ClientHello read before giving up on a connection. Chromium's, with its
/// X25519MLKEM768 key share, is about 1.8 KB; 16 KiB (one full record) leaves room for any
/// real client and bounds what a hostile one costs per connection.
pub const MAX_HELLO_BYTES: usize = 16 * 1024;

/// What `--tls-listen`, `--tls-cert` and `--tls-key` say.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    /// `ADDR:PORT` (port 0: any free port; the bound address is printed).
    pub listen: String,
    /// A PEM certificate chain (leaf first) and its PEM private key; None: a self-signed
    /// certificate made at start.
    pub cert_and_key: Option<(PathBuf, PathBuf)>,
}

/// The bound TLS listener, ready to serve.
pub struct TlsListener {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    /// SHA-256 of the leaf certificate, `AB:CD:…` as `openssl x509 -fingerprint -sha256`
    /// prints it, so a visitor can check the certificate their browser warns about.
    pub fingerprint: String,
    /// True when the certificate was made at start (no `--tls-cert`).
    pub self_signed: bool,
}

/// One connection's ClientHello and what the handshake then negotiated, as every request
/// over that connection sees it.
#[derive(Debug)]
pub struct SeenHello {
    pub peer: SocketAddr,
    pub captured: Captured,
    /// The version and suite rustls negotiated with it.
    pub version: Option<TlsVersion>,
    pub cipher_suite: Option<String>,
    /// "ecdsa-p256" (the self-signed certificate) or "user" (`--tls-cert`).
    pub certificate: &'static str,
}

impl TlsListener {
    /// Binds `config.listen` and loads or makes the certificate.
    pub async fn bind(config: &TlsConfig) -> anyhow::Result<TlsListener> {
        let listener = TcpListener::bind(&config.listen).await.map_err(|e| {
            anyhow::anyhow!("cannot listen on {} (--tls-listen): {e}", config.listen)
        })?;
        let ip = listener.local_addr()?.ip();
        let (key, self_signed) = match &config.cert_and_key {
            Some((cert, key)) => (crate::client::server::load_pem(cert, key)?, false),
            None => (self_signed(ip)?, true),
        };
        let fingerprint = key
            .cert
            .first()
            .map(|c| fingerprint(c.as_ref()))
            .unwrap_or_default();
        let mut tls =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
                .context("TLS configuration of --tls-listen")?
                .with_no_client_auth()
                .with_cert_resolver(Arc::new(SingleCertAndKey::from(key)));
        // hyper serves HTTP/1.1 only here; a browser offering h2 falls back to it.
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsListener {
            listener,
            acceptor: TlsAcceptor::from(Arc::new(tls)),
            fingerprint,
            self_signed,
        })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves `router` over TLS until the task is dropped. At most `max_connections` are open
    /// at once (past it a new one is closed at once); a client has `header_timeout` to send
    /// its ClientHello, then as long again for the handshake and for each request's headers;
    /// no connection lives past `connection_limit`.
    pub async fn serve(
        self,
        router: Router,
        max_connections: u32,
        header_timeout: Duration,
        connection_limit: Duration,
    ) {
        let open = Arc::new(Semaphore::new(max_connections as usize));
        let certificate = if self.self_signed {
            "ecdsa-p256"
        } else {
            "user"
        };
        loop {
            let (stream, peer) = match self.listener.accept().await {
                Ok(a) => a,
                // A failed accept (e.g. out of file descriptors) must not end the server.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(permit) = open.clone().try_acquire_owned() else {
                drop(stream);
                continue;
            };
            let acceptor = self.acceptor.clone();
            let router = router.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let _ = tokio::time::timeout(connection_limit, async {
                    let limits = CaptureLimits {
                        max_bytes: MAX_HELLO_BYTES,
                        timeout: header_timeout,
                    };
                    let Some((tls, captured)) = handshake(stream, &acceptor, limits).await else {
                        return;
                    };
                    let conn = tls.get_ref().1;
                    let seen = SeenHello {
                        peer,
                        captured,
                        version: conn
                            .protocol_version()
                            .and_then(|v| TlsVersion::from_wire(ProtocolVersion(u16::from(v)))),
                        cipher_suite: conn.negotiated_cipher_suite().map(|s| {
                            let id = CipherSuite(u16::from(s.suite()));
                            registry::suite(id)
                                .map(|i| i.iana_name.to_string())
                                .unwrap_or_else(|| id.hex_id())
                        }),
                        certificate,
                    };
                    // The plain listener's HTTP/1, with the hello beside every request.
                    super::serve_connection(
                        tls,
                        peer,
                        router.layer(Extension(Arc::new(seen))),
                        header_timeout,
                        connection_limit,
                    )
                    .await;
                })
                .await;
            });
        }
    }
}

/// Reads the ClientHello, then hands the bytes read and the rest of the stream to rustls.
/// None when the client sent no usable hello or the handshake failed (the connection is
/// then closed; a plain HTTP request is told to use https:// first).
async fn handshake(
    mut stream: TcpStream,
    acceptor: &TlsAcceptor,
    limits: CaptureLimits,
) -> Option<(tokio_rustls::server::TlsStream<Replay<TcpStream>>, Captured)> {
    let outcome = read_client_hello(&mut stream, limits).await;
    let captured = match outcome.result {
        Ok(c) => c,
        Err(_) => {
            if outcome.looks_like_http() {
                let body = "This is tlsaudit serve's TLS listener: use https://, not http://\n";
                let resp = format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tokio::time::timeout(limits.timeout, async {
                    stream.write_all(resp.as_bytes()).await?;
                    stream.shutdown().await?;
                    // Read what the client still sends (the rest of its request) before
                    // closing: closing with unread bytes makes the kernel send a reset, which
                    // can destroy the answer before the client reads it.
                    let mut sink = [0u8; 4096];
                    let mut left = 64 * 1024usize;
                    while left > 0 {
                        match stream.read(&mut sink).await? {
                            0 => break,
                            n => left = left.saturating_sub(n),
                        }
                    }
                    Ok::<_, std::io::Error>(())
                })
                .await;
            }
            let _ = stream.shutdown().await;
            return None;
        }
    };
    let replay = Replay::new(outcome.raw, stream);
    match tokio::time::timeout(limits.timeout, acceptor.accept(replay)).await {
        Ok(Ok(tls)) => Some((tls, captured)),
        _ => None,
    }
}

/// A stream that first gives back bytes already read from it, then reads on: rustls sees the
/// ClientHello the capture consumed as if it were still on the wire. Writes go straight
/// through.
pub struct Replay<S> {
    read: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> Replay<S> {
    pub fn new(read: Vec<u8>, inner: S) -> Self {
        Replay {
            read,
            pos: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.pos < this.read.len() {
            let n = buf.remaining().min(this.read.len() - this.pos);
            buf.put_slice(&this.read[this.pos..this.pos + n]);
            this.pos += n;
            if this.pos == this.read.len() {
                // Replayed in full: the memory is not needed for the rest of the connection.
                this.read = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A self-signed ECDSA P-256 certificate for `localhost`, 127.0.0.1, ::1 and the address
/// listened on (when it is a specific one).
fn self_signed(ip: IpAddr) -> anyhow::Result<Arc<CertifiedKey>> {
    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    if !ip.is_unspecified() && !names.contains(&ip.to_string()) {
        names.push(ip.to_string());
    }
    let ck = rcgen::generate_simple_self_signed(names)
        .context("making the self-signed certificate of --tls-listen")?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    let signer = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| anyhow::anyhow!("the self-signed certificate's key: {e}"))?;
    Ok(Arc::new(CertifiedKey::new(
        vec![ck.cert.der().clone()],
        signer,
    )))
}

/// `AB:CD:…`: SHA-256 of `der` in upper-case hex pairs.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn replay_gives_back_the_bytes_read_then_the_rest() {
        let rest: &[u8] = b" world";
        let mut r = Replay::new(b"hello".to_vec(), rest);
        let mut out = String::new();
        r.read_to_string(&mut out).await.unwrap();
        assert_eq!(out, "hello world");
    }

    #[test]
    fn fingerprints_read_as_openssl_prints_them() {
        // SHA-256 of the empty string.
        assert!(fingerprint(b"").starts_with("E3:B0:C4:42:98:FC:1C:14:"));
        assert_eq!(fingerprint(b"").len(), 32 * 3 - 1);
    }
}
