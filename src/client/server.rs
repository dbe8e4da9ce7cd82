//! The capture server: accept a client, read its ClientHello, judge it, then replay the same
//! bytes into a rustls server to finish a real handshake and answer HTTP with the report.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use rustls::server::{ClientHello as RustlsHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, ServerConnection};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

use crate::facts::TlsVersion;
use crate::wire::registry;
use crate::wire::{CipherSuite, ProtocolVersion};

use super::analysis::{self, Offer};
use super::capture::{read_client_hello, CaptureLimits};
use super::report::{ClientReport, HandshakeFacts, HelloFacts, CLIENT_SCHEMA_VERSION};
use super::verdict::{verdict, ServerProfile};

/// The certificates the handshake can present.
#[derive(Debug, Clone)]
pub struct Certs {
    /// `--cert/--key`: always used when given.
    pub user: Option<Arc<CertifiedKey>>,
    /// ECDSA P-256, made with rcgen at start-up.
    pub ecdsa: Option<Arc<CertifiedKey>>,
    /// RSA 2048, made in-process the first time a client needs it (generating the key takes
    /// up to a second; None if that fails): without it a client that offers only
    /// RSA-authenticated TLS 1.2 suites cannot finish.
    rsa: Arc<tokio::sync::OnceCell<Option<Arc<CertifiedKey>>>>,
}

fn certified(
    chain: Vec<CertificateDer<'static>>,
    key: &PrivateKeyDer<'_>,
) -> anyhow::Result<Arc<CertifiedKey>> {
    let signer = rustls::crypto::ring::sign::any_supported_type(key)
        .map_err(|e| anyhow!("unsupported private key: {e}"))?;
    Ok(Arc::new(CertifiedKey::new(chain, signer)))
}

/// Loads a PEM certificate chain (leaf first) and its PEM private key.
pub fn load_pem(cert: &Path, key: &Path) -> anyhow::Result<Arc<CertifiedKey>> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing {}", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("{} holds no certificate", cert.display());
    }
    let key =
        PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading {}", key.display()))?;
    certified(chain, &key)
}

impl Certs {
    /// Throwaway certificates for `localhost` and 127.0.0.1: ECDSA now, RSA on first use.
    pub fn generate() -> anyhow::Result<Self> {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .context("making an ECDSA certificate")?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
        let ecdsa = certified(vec![ck.cert.der().clone()], &key)?;
        Ok(Self {
            user: None,
            ecdsa: Some(ecdsa),
            rsa: Arc::default(),
        })
    }

    pub fn user(cert: &Path, key: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            user: Some(load_pem(cert, key)?),
            ecdsa: None,
            rsa: Arc::new(tokio::sync::OnceCell::new_with(Some(None))),
        })
    }

    /// The RSA certificate, made on first use; concurrent callers wait for the same one.
    pub async fn rsa(&self) -> Option<Arc<CertifiedKey>> {
        self.rsa
            .get_or_init(|| async {
                tokio::task::spawn_blocking(|| rsa_self_signed().ok())
                    .await
                    .ok()
                    .flatten()
            })
            .await
            .clone()
    }
}

/// A self-signed RSA-2048 certificate for `localhost` and 127.0.0.1, made in-process (no
/// `openssl` command). ring signs with RSA keys but cannot make one, so the `rsa` crate
/// generates the key (a fraction of a second to a second: hence made only when a client
/// offers nothing but RSA) and rcgen signs the certificate with ring.
fn rsa_self_signed() -> anyhow::Result<Arc<CertifiedKey>> {
    use rsa::pkcs8::EncodePrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).context("making an RSA key")?;
    let pkcs8 = key.to_pkcs8_der().context("encoding the RSA key")?;
    let der = PrivatePkcs8KeyDer::from(pkcs8.as_bytes().to_vec());
    let key_pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_RSA_SHA256)
        .context("loading the RSA key into rcgen")?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .context("naming the RSA certificate")?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let cert = params
        .self_signed(&key_pair)
        .context("signing the RSA certificate")?;
    certified(vec![cert.der().clone()], &PrivateKeyDer::Pkcs8(der))
}

/// Everything a connection handler needs.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub profile: ServerProfile,
    pub limits: CaptureLimits,
    pub certs: Certs,
}

#[derive(Debug)]
struct Fixed(Arc<CertifiedKey>);

impl ResolvesServerCert for Fixed {
    fn resolve(&self, _: RustlsHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// The rustls provider with the profile's suites first, in its order, then the rest: with
/// `ignore_client_order` the handshake then negotiates what the verdict says whenever rustls
/// implements that suite.
fn provider(profile: &ServerProfile) -> rustls::crypto::CryptoProvider {
    let order: Vec<CipherSuite> = {
        let mut v = profile.versions.clone();
        v.sort_by_key(|x| std::cmp::Reverse(x.0));
        v.into_iter().flat_map(|(_, s)| s).collect()
    };
    let mut p = rustls::crypto::ring::default_provider();
    p.cipher_suites.sort_by_key(|s| {
        let id = CipherSuite(u16::from(s.suite()));
        order.iter().position(|o| *o == id).unwrap_or(usize::MAX)
    });
    p
}

/// Whether this client needs an RSA certificate to finish: a TLS 1.3 client that cannot
/// verify ECDSA P-256, or a TLS 1.2 one whose first suite shared with rustls is RSA-signed.
fn wants_rsa(offer: &Offer, facts: &HelloFacts, provider: &rustls::crypto::CryptoProvider) -> bool {
    let tls13 = offer.has_supported_versions && offer.versions.contains(&ProtocolVersion::TLS13);
    if tls13 {
        return !facts.signature_schemes.iter().any(|s| s.id == "0x0403");
    }
    provider
        .cipher_suites
        .iter()
        .map(|s| CipherSuite(u16::from(s.suite())))
        .find(|id| offer.suites.contains(id) && registry::suite(*id).is_some_and(|i| !i.tls13))
        .is_some_and(|id| registry::suite(id).is_some_and(|i| i.auth == "RSA"))
}

/// The certificate for this client, and its kind for the report.
async fn choose_cert(
    certs: &Certs,
    offer: &Offer,
    facts: &HelloFacts,
    provider: &rustls::crypto::CryptoProvider,
) -> Option<(Arc<CertifiedKey>, &'static str)> {
    if let Some(u) = &certs.user {
        return Some((u.clone(), "user"));
    }
    let ecdsa = certs.ecdsa.clone().map(|c| (c, "ecdsa-p256"));
    if wants_rsa(offer, facts, provider) {
        if let Some(rsa) = certs.rsa().await {
            return Some((rsa, "rsa-2048"));
        }
    }
    ecdsa
}

fn tls_version(v: rustls::ProtocolVersion) -> Option<TlsVersion> {
    TlsVersion::from_wire(ProtocolVersion(u16::from(v)))
}

/// Feeds bytes read from the client into rustls.
fn feed(conn: &mut ServerConnection, mut data: &[u8]) -> Result<(), String> {
    while !data.is_empty() {
        conn.read_tls(&mut data).map_err(|e| e.to_string())?;
        conn.process_new_packets().map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Sends what rustls has queued; a client that stops reading cannot hold us past `deadline`.
async fn flush(
    conn: &mut ServerConnection,
    sock: &mut TcpStream,
    deadline: Instant,
) -> Result<(), String> {
    while conn.wants_write() {
        let mut out = Vec::new();
        conn.write_tls(&mut out).map_err(|e| e.to_string())?;
        tokio::time::timeout_at(deadline, sock.write_all(&out))
            .await
            .map_err(|_| "timed out writing to the client".to_string())?
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Writes application data through rustls in pieces its buffer accepts.
async fn send_all(
    conn: &mut ServerConnection,
    sock: &mut TcpStream,
    mut data: &[u8],
    deadline: Instant,
) -> Result<(), String> {
    while !data.is_empty() {
        let n = conn.writer().write(data).map_err(|e| e.to_string())?;
        flush(conn, sock, deadline).await?;
        if n == 0 {
            return Err("rustls accepted no data".into());
        }
        data = &data[n..];
    }
    Ok(())
}

/// Why a read from the client failed.
enum ReadError {
    /// The client reset the connection.
    Reset,
    /// Anything else, said.
    Other(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Reset => f.write_str("the client reset the connection"),
            ReadError::Other(e) => f.write_str(e),
        }
    }
}

/// Reads once from the socket into rustls. Ok(false) at end of stream.
async fn read_more(
    conn: &mut ServerConnection,
    sock: &mut TcpStream,
    deadline: Instant,
) -> Result<bool, ReadError> {
    let mut buf = [0u8; 8192];
    let n = tokio::time::timeout_at(deadline, sock.read(&mut buf))
        .await
        .map_err(|_| ReadError::Other("timed out waiting for the client".into()))?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::ConnectionReset => ReadError::Reset,
            _ => ReadError::Other(e.to_string()),
        })?;
    if n == 0 {
        return Ok(false);
    }
    feed(conn, &buf[..n]).map_err(ReadError::Other)?;
    Ok(true)
}

/// Replays the captured bytes and finishes the handshake.
async fn handshake(
    conn: &mut ServerConnection,
    sock: &mut TcpStream,
    raw: &[u8],
    deadline: Instant,
) -> Result<(), String> {
    let mut result = feed(conn, raw);
    while result.is_ok() && conn.is_handshaking() {
        flush(conn, sock, deadline).await?;
        result = match read_more(conn, sock, deadline).await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the client closed the connection during the handshake".into()),
            Err(ReadError::Reset) => {
                Err("the client reset the connection during the handshake".into())
            }
            Err(e) => Err(e.to_string()),
        };
    }
    // Send what rustls has queued: the rest of the flight, or the alert that explains a failure.
    let flushed = flush(conn, sock, deadline).await;
    result.and(flushed)
}

/// Reads an HTTP request head (at most 16 KiB) over TLS. None when the client closes first.
async fn read_request(
    conn: &mut ServerConnection,
    sock: &mut TcpStream,
    deadline: Instant,
) -> Option<Vec<u8>> {
    let mut req = Vec::new();
    loop {
        let mut buf = [0u8; 4096];
        match conn.reader().read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => {
                req.extend_from_slice(&buf[..n]);
                if req.windows(4).any(|w| w == b"\r\n\r\n") || req.len() > 16 * 1024 {
                    return Some(req);
                }
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return None,
        }
        match read_more(conn, sock, deadline).await {
            Ok(true) => {}
            _ => return None,
        }
    }
}

/// JSON for `/json` or `Accept: application/json`, text otherwise.
fn wants_json(head: &str) -> bool {
    let mut lines = head.lines();
    let path = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    path == "/json"
        || lines.any(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("accept:") && l.contains("application/json")
        })
}

fn http_response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Handles one client from accept to close, and returns its report.
pub async fn handle_connection(
    mut sock: TcpStream,
    peer: SocketAddr,
    opts: &ServerOptions,
) -> ClientReport {
    let mut report = ClientReport {
        schema_version: CLIENT_SCHEMA_VERSION.into(),
        peer: peer.to_string(),
        ..Default::default()
    };
    let outcome = read_client_hello(&mut sock, opts.limits).await;
    let is_http = outcome.looks_like_http();
    let captured = match outcome.result {
        Ok(c) => c,
        Err(e) => {
            report.error = Some(e);
            if is_http {
                let body =
                    b"This is tlsaudit's TLS client check: connect with https://, not http://\n";
                let resp = http_response("400 Bad Request", "text/plain; charset=utf-8", body);
                let _ = tokio::time::timeout(Duration::from_secs(2), sock.write_all(&resp)).await;
            }
            let _ = sock.shutdown().await;
            return report;
        }
    };
    report.hello_bytes = outcome.raw.clone();
    let offer = captured.hello.offer();
    let facts = analysis::facts(&captured);
    let v = verdict(&offer, &opts.profile);
    report.findings = analysis::findings(&facts, &v);
    report.verdict = Some(v);
    let is_sslv2 = matches!(captured.hello, analysis::CapturedHello::Sslv2(_));
    report.hello = Some(facts);
    if is_sslv2 {
        // rustls reads no SSLv2 records: say so instead of failing obscurely.
        report.handshake = Some(HandshakeFacts {
            error: Some(
                "not attempted: SSLv2-format hellos are not accepted by the TLS stack".into(),
            ),
            ..Default::default()
        });
        let _ = sock.shutdown().await;
        return report;
    }
    let provider = provider(&opts.profile);
    let facts = report.hello.clone().unwrap_or_default();
    let Some((cert, cert_kind)) = choose_cert(&opts.certs, &offer, &facts, &provider).await else {
        report.handshake = Some(HandshakeFacts {
            error: Some("no certificate available".into()),
            ..Default::default()
        });
        return report;
    };
    let mut hs = HandshakeFacts {
        certificate: cert_kind.into(),
        ..Default::default()
    };
    let config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map(|b| {
            b.with_no_client_auth()
                .with_cert_resolver(Arc::new(Fixed(cert)))
        });
    let mut config = match config {
        Ok(c) => c,
        Err(e) => {
            hs.error = Some(format!("TLS configuration: {e}"));
            report.handshake = Some(hs);
            return report;
        }
    };
    config.ignore_client_order = true;
    config.send_tls13_tickets = 0;
    let mut conn = match ServerConnection::new(Arc::new(config)) {
        Ok(c) => c,
        Err(e) => {
            hs.error = Some(format!("TLS configuration: {e}"));
            report.handshake = Some(hs);
            return report;
        }
    };
    let deadline = Instant::now() + opts.limits.timeout;
    let result = handshake(&mut conn, &mut sock, &outcome.raw, deadline).await;
    hs.version = conn.protocol_version().and_then(tls_version);
    hs.cipher_suite = conn.negotiated_cipher_suite().map(|s| {
        let id = CipherSuite(u16::from(s.suite()));
        registry::suite(id)
            .map(|i| i.iana_name.to_string())
            .unwrap_or_else(|| id.hex_id())
    });
    match result {
        Err(e) => {
            let modern = offer
                .versions
                .iter()
                .any(|v| v.0 >= ProtocolVersion::TLS12.0);
            hs.error = Some(if modern {
                e
            } else {
                format!("this server speaks only TLS 1.2 and 1.3 ({e})")
            });
            report.handshake = Some(hs);
            let _ = sock.shutdown().await;
            return report;
        }
        Ok(()) => hs.completed = true,
    }
    if let Some(req) = read_request(&mut conn, &mut sock, deadline).await {
        let head = String::from_utf8_lossy(&req).into_owned();
        hs.http_request = head.lines().next().map(|l| l.chars().take(200).collect());
        report.handshake = Some(hs);
        let resp = if wants_json(&head) {
            let mut body = serde_json::to_vec_pretty(&report).unwrap_or_default();
            body.push(b'\n');
            http_response("200 OK", "application/json", &body)
        } else {
            let mut body = Vec::new();
            let _ = super::text::text(
                &mut body,
                &report,
                &crate::render::style::Style { color: false },
            );
            http_response("200 OK", "text/plain; charset=utf-8", &body)
        };
        if send_all(&mut conn, &mut sock, &resp, deadline)
            .await
            .is_ok()
        {
            conn.send_close_notify();
            let _ = flush(&mut conn, &mut sock, deadline).await;
        }
    } else {
        report.handshake = Some(hs);
        conn.send_close_notify();
        let _ = flush(&mut conn, &mut sock, deadline).await;
    }
    let _ = sock.shutdown().await;
    report
}

/// The capture server: a listener whose clients' reports arrive on a channel.
pub struct CaptureServer {
    listener: TcpListener,
    opts: Arc<ServerOptions>,
    in_flight: Arc<AtomicUsize>,
}

/// At most this many clients are handled at once; the next wait in the kernel's backlog. A
/// silent client holds its place until the capture deadline, so the bound is set high enough
/// that a flood of them does not lock real clients out for long, and low enough to bound
/// memory: a client in capture holds at most its 16 KiB read buffer and the capture cap
/// (`bench/hostile.sh` measures a flood).
const MAX_CLIENTS: usize = 1024;

impl CaptureServer {
    pub async fn bind(addr: SocketAddr, opts: ServerOptions) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        Ok(Self {
            listener,
            opts: Arc::new(opts),
            in_flight: Arc::new(AtomicUsize::new(0)),
        })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Connections accepted whose report is not yet on the channel.
    pub fn in_flight(&self) -> Arc<AtomicUsize> {
        self.in_flight.clone()
    }

    /// Serves until the receiver is dropped; every client's report is sent on the channel
    /// when its connection ends.
    pub fn spawn(self) -> mpsc::Receiver<ClientReport> {
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(async move {
            let permits = Arc::new(Semaphore::new(MAX_CLIENTS));
            loop {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return;
                };
                let accepted = tokio::select! {
                    a = self.listener.accept() => a,
                    _ = tx.closed() => return,
                };
                let Ok((sock, peer)) = accepted else {
                    // EMFILE and friends: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let opts = self.opts.clone();
                let tx = tx.clone();
                let in_flight = self.in_flight.clone();
                in_flight.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let report = handle_connection(sock, peer, &opts).await;
                    let _ = tx.send(report).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    drop(permit);
                });
            }
        });
        rx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_chosen_by_path_or_accept() {
        assert!(wants_json("GET /json HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(wants_json("GET /json?x=1 HTTP/1.1\r\n\r\n"));
        assert!(wants_json(
            "GET / HTTP/1.1\r\nAccept: text/html, application/json\r\n\r\n"
        ));
        assert!(!wants_json("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"));
    }

    #[test]
    fn rustls_prefers_the_profile_order() {
        let p = provider(&ServerProfile::multisafepay());
        let ids: Vec<u16> = p
            .cipher_suites
            .iter()
            .map(|s| u16::from(s.suite()))
            .collect();
        assert_eq!(&ids[..6], &[0x1303, 0x1302, 0x1301, 0xcca8, 0xc02f, 0xc030]);
    }
}
