//! Complete handshakes with rustls, for the facts a ServerHello alone cannot show: the TLS 1.3
//! CertificateVerify scheme (encrypted), resumption, tickets and 0-RTT. The TCP connection comes
//! from [`crate::probe::engine::Engine::connect`], so it is counted and limited like every probe.
//!
//! The verifier records what the server presented and accepts anything: a scanner learns what
//! the server does, it does not trust it. Nothing sent over these connections is secret.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientSessionMemoryCache, ClientSessionStore, ResolvesClientCert};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, HandshakeKind, SignatureScheme,
    SupportedProtocolVersion,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

use crate::wire::{ContentType, Deframer, Frame, HandshakeJoiner};

use super::Ctx;

/// What the server showed during one handshake, filled in by rustls callbacks.
#[derive(Debug, Default)]
pub struct Seen {
    /// The scheme of the server's signature (TLS 1.2 ServerKeyExchange or TLS 1.3 CertificateVerify).
    pub scheme: Option<u16>,
    /// The certificates the server sent, leaf first.
    pub chain: Vec<Vec<u8>>,
    pub ocsp: Option<Vec<u8>>,
    /// `Some` when the server sent a CertificateRequest: the CA names it listed (DER).
    pub cert_request: Option<Vec<Vec<u8>>>,
    /// TLS 1.3 tickets stored, and the largest max_early_data_size among them.
    pub tls13_tickets: u32,
    pub max_early_data: Option<u32>,
}

type Shared = Arc<Mutex<Seen>>;

fn with_seen(seen: &Shared, f: impl FnOnce(&mut Seen)) {
    if let Ok(mut s) = seen.lock() {
        f(&mut s);
    }
}

#[derive(Debug)]
struct Recorder {
    seen: Shared,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        with_seen(&self.seen, |s| {
            s.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.as_ref().to_vec())
                .collect();
            s.ocsp = (!ocsp_response.is_empty()).then(|| ocsp_response.to_vec());
        });
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        with_seen(&self.seen, |s| s.scheme = Some(u16::from(dss.scheme)));
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        with_seen(&self.seen, |s| s.scheme = Some(u16::from(dss.scheme)));
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

#[derive(Debug)]
struct CertRequestRecorder {
    seen: Shared,
}

impl ResolvesClientCert for CertRequestRecorder {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        with_seen(&self.seen, |s| {
            s.cert_request = Some(root_hint_subjects.iter().map(|n| n.to_vec()).collect());
        });
        // We have no certificate: rustls then sends an empty Certificate message.
        None
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A session cache that also counts the TLS 1.3 tickets the server sends.
#[derive(Debug)]
struct CountingStore {
    inner: ClientSessionMemoryCache,
    seen: Shared,
}

impl ClientSessionStore for CountingStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: rustls::NamedGroup) {
        self.inner.set_kx_hint(server_name, group)
    }
    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<rustls::NamedGroup> {
        self.inner.kx_hint(server_name)
    }
    fn set_tls12_session(
        &self,
        server_name: ServerName<'static>,
        value: rustls::client::Tls12ClientSessionValue,
    ) {
        self.inner.set_tls12_session(server_name, value)
    }
    fn tls12_session(
        &self,
        server_name: &ServerName<'_>,
    ) -> Option<rustls::client::Tls12ClientSessionValue> {
        self.inner.tls12_session(server_name)
    }
    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.inner.remove_tls12_session(server_name)
    }
    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: rustls::client::Tls13ClientSessionValue,
    ) {
        let early = value.max_early_data_size();
        with_seen(&self.seen, |s| {
            s.tls13_tickets += 1;
            s.max_early_data = Some(s.max_early_data.unwrap_or(0).max(early));
        });
        self.inner.insert_tls13_ticket(server_name, value)
    }
    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<rustls::client::Tls13ClientSessionValue> {
        self.inner.take_tls13_ticket(server_name)
    }
}

/// A clock that stands still for the life of one [`Client`]. rustls reports a ticket's age in
/// whole seconds of its clock, so a resumption a few milliseconds after the ticket but across
/// a second boundary claims an age of 1000 ms, and GnuTLS then rejects the 0-RTT data as a
/// possible replay. Our handshakes follow each other within milliseconds: an age of 0 is the
/// truer answer. (Certificates are not verified, so the clock judges nothing else.)
#[derive(Debug)]
struct FrozenClock(UnixTime);

impl rustls::time_provider::TimeProvider for FrozenClock {
    fn current_time(&self) -> Option<UnixTime> {
        Some(self.0)
    }
}

/// How the client side of a run of handshakes is set up.
#[derive(Debug, Clone)]
pub struct Setup {
    pub tls13: bool,
    /// Signature schemes to offer (code points); rustls offers exactly these. The default is
    /// rustls' own list; the TLS 1.3 scheme enumeration offers every known scheme.
    pub schemes: Vec<u16>,
    pub alpn: Vec<Vec<u8>>,
    /// TLS 1.2 resumption: true offers session tickets too, false session ids only.
    pub tls12_tickets: bool,
    pub early_data: bool,
    /// After the handshake, read the server's TLS 1.3 NewSessionTickets until it closes the
    /// connection in answer to our close_notify.
    pub collect_tickets: bool,
}

impl Setup {
    pub fn new(tls13: bool) -> Self {
        Self {
            tls13,
            // What rustls itself can check: it refuses a TLS 1.2 ServerKeyExchange signed
            // with a scheme it does not know (e.g. rsa_pkcs1_sha224, which OpenSSL picks).
            schemes: super::hybrid::provider()
                .signature_verification_algorithms
                .supported_schemes()
                .into_iter()
                .map(u16::from)
                .collect(),
            alpn: vec![],
            tls12_tickets: true,
            early_data: false,
            collect_tickets: false,
        }
    }
}

/// Whether the handshake client can negotiate one of `suites` (rustls with ring: ECDHE with
/// AES-GCM or ChaCha20-Poly1305 in TLS 1.2, and the three common TLS 1.3 suites).
pub fn can_negotiate(suites: &[crate::wire::CipherSuite]) -> bool {
    let provider = super::hybrid::provider();
    provider
        .cipher_suites
        .iter()
        .any(|s| suites.iter().any(|c| c.0 == u16::from(s.suite())))
}

/// Why a full handshake cannot be tried, for evidence.
pub const CANNOT_NEGOTIATE: &str =
    "not determined: the handshake client (rustls) supports none of the suites the server accepts \
     (it speaks ECDHE with AES-GCM or ChaCha20-Poly1305 only)";

/// A client configuration whose callbacks write into one shared [`Seen`]; reuse it for a
/// resumption attempt (the session cache lives in it).
pub struct Client {
    pub config: Arc<ClientConfig>,
    pub seen: Shared,
    secrets: Arc<super::tickets::SecretLog>,
    collect_tickets: bool,
}

impl Client {
    pub fn new(setup: &Setup) -> Result<Self, String> {
        let seen: Shared = Arc::default();
        let versions: &[&'static SupportedProtocolVersion] = if setup.tls13 {
            &[&rustls::version::TLS13]
        } else {
            &[&rustls::version::TLS12]
        };
        let verifier = Arc::new(Recorder {
            seen: seen.clone(),
            schemes: setup
                .schemes
                .iter()
                .map(|s| SignatureScheme::from(*s))
                .collect(),
        });
        let provider = Arc::new(super::hybrid::provider());
        let clock = Arc::new(FrozenClock(UnixTime::now()));
        let mut config = ClientConfig::builder_with_details(provider, clock)
            .with_protocol_versions(versions)
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_client_cert_resolver(Arc::new(CertRequestRecorder { seen: seen.clone() }));
        let store = Arc::new(CountingStore {
            inner: ClientSessionMemoryCache::new(16),
            seen: seen.clone(),
        });
        config.resumption =
            rustls::client::Resumption::store(store).tls12_resumption(if setup.tls12_tickets {
                rustls::client::Tls12Resumption::SessionIdOrTickets
            } else {
                rustls::client::Tls12Resumption::SessionIdOnly
            });
        config.alpn_protocols = setup.alpn.clone();
        config.enable_early_data = setup.early_data;
        let secrets = super::tickets::SecretLog::new();
        config.key_log = secrets.clone();
        Ok(Self {
            config: Arc::new(config),
            seen,
            secrets,
            collect_tickets: setup.collect_tickets,
        })
    }

    /// A copy of what the callbacks recorded so far, and a reset for the next handshake.
    pub fn take_seen(&self) -> Seen {
        self.seen
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}

/// The result of one completed handshake.
#[derive(Debug, Clone)]
pub struct Done {
    pub kind: Option<HandshakeKind>,
    pub suite: Option<u16>,
    pub alpn: Option<Vec<u8>>,
    pub early_data_accepted: bool,
    /// TLS 1.2: the NewSessionTicket's lifetime hint, read from the clear records.
    pub tls12_ticket_lifetime: Option<u32>,
    /// TLS 1.3: the lifetime of each NewSessionTicket, decrypted from the records after the
    /// handshake.
    pub tls13_ticket_lifetimes: Vec<u32>,
}

/// Runs one handshake to completion over a counted connection and closes it (reading the
/// post-handshake tickets first when the setup collects them). `early` is sent as 0-RTT data
/// when a ticket allows it.
pub async fn handshake(ctx: &Ctx, client: &Client, early: Option<&[u8]>) -> Result<Done, String> {
    let mut conn = connection(ctx, client)?;
    if let (Some(data), Some(mut ed)) = (early, conn.early_data()) {
        use std::io::Write;
        let _ = ed.write(data);
    }
    let mut tcp = ctx
        .engine
        .connect(&ctx.host)
        .await
        .map_err(|e| e.to_string())?;
    let stream = &mut tcp.stream;
    let deadline = Instant::now() + ctx.engine.config().read_timeout;
    let mut sniffer = Tls12Sniffer::default();
    let mut buf = vec![0u8; 16 * 1024];
    let max = ctx.engine.config().max_flight_bytes;
    let mut total = complete(ctx, &mut conn, stream, deadline, |b| sniffer.feed(b)).await?;
    // Close: close_notify, then our TCP FIN (RFC 8446 section 6.1).
    let secret = client.secrets.take();
    conn.send_close_notify();
    let _ = flush(&mut conn, stream, deadline).await;
    let mut after = Vec::new();
    if client.collect_tickets {
        // TLS 1.3 NewSessionTickets follow the handshake (RFC 8446 section 4.6.1; TLS 1.2's
        // come before the server's Finished). No timer guesses when they are over: the server
        // sends them on our Finished, before it reads our close_notify, so reading until it
        // closes in turn reads them all. The handshake's deadline bounds a server that never
        // closes.
        let _ = stream.shutdown().await;
        loop {
            match timeout_at(deadline, stream.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => {
                    total += n;
                    after.extend_from_slice(&buf[..n]);
                    if total > max || feed(&mut conn, &buf[..n]).is_err() {
                        break;
                    }
                }
                // Closed, reset or out of time: what came before is all there is.
                _ => break,
            }
        }
    }
    let suite = conn.negotiated_cipher_suite().map(|s| u16::from(s.suite()));
    let tls13_ticket_lifetimes = match (suite, secret) {
        (Some(suite), Some(secret))
            if conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3) =>
        {
            super::tickets::ticket_lifetimes(suite, &secret, &after)
        }
        _ => vec![],
    };
    Ok(Done {
        tls13_ticket_lifetimes,
        kind: conn.handshake_kind(),
        suite: conn.negotiated_cipher_suite().map(|s| u16::from(s.suite())),
        alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
        early_data_accepted: conn.is_early_data_accepted(),
        tls12_ticket_lifetime: sniffer.ticket_lifetime,
    })
}

/// A rustls client connection to the context's name (or its address without SNI).
fn connection(ctx: &Ctx, client: &Client) -> Result<ClientConnection, String> {
    let name = match &ctx.sni {
        Some(n) => ServerName::try_from(n.clone()).map_err(|e| format!("server name: {e}"))?,
        None => ServerName::IpAddress(ctx.host.addr.ip().into()),
    };
    ClientConnection::new(client.config.clone(), name).map_err(|e| e.to_string())
}

/// Runs the handshake of `conn` over `stream` until it is complete, within `deadline` and
/// the engine's byte ceiling; `seen` gets every byte read. Returns the bytes read.
async fn complete(
    ctx: &Ctx,
    conn: &mut ClientConnection,
    stream: &mut tokio::net::TcpStream,
    deadline: Instant,
    mut seen: impl FnMut(&[u8]),
) -> Result<usize, String> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0usize;
    let max = ctx.engine.config().max_flight_bytes;
    loop {
        flush(conn, stream, deadline).await?;
        if !conn.is_handshaking() {
            return Ok(total);
        }
        let n = match timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) => return Err("connection closed during the handshake".into()),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(format!("read: {e}")),
            Err(_) => {
                if total == 0 {
                    ctx.host.met_silence();
                }
                return Err("handshake timed out".into());
            }
        };
        if total == 0 {
            ctx.host.heard_from();
        }
        total += n;
        if total > max {
            return Err(format!("handshake exceeds {max} bytes"));
        }
        seen(&buf[..n]);
        if let Err(e) = feed(conn, &buf[..n]) {
            let _ = flush(conn, stream, deadline).await;
            return Err(e);
        }
    }
}

/// One request over a completed rustls handshake (TLS 1.2 or 1.3, as `client` allows): sends
/// `request`, then reads the server's plaintext until `done` says it is enough, the server
/// closes, `max` bytes came without `done`, or the read timeout (one for the whole answer)
/// passes. An
/// `Err` is a handshake that did not complete.
pub async fn request(
    ctx: &Ctx,
    client: &Client,
    request: &[u8],
    max: usize,
    answer_wait: std::time::Duration,
    done: impl Fn(&[u8]) -> bool,
) -> Result<super::http::Reply, String> {
    use super::http::{Ended, Reply};
    use std::io::{Read, Write};
    let mut conn = connection(ctx, client)?;
    let mut tcp = ctx
        .engine
        .connect(&ctx.host)
        .await
        .map_err(|e| e.to_string())?;
    let stream = &mut tcp.stream;
    let wait = ctx.engine.config().read_timeout;
    complete(ctx, &mut conn, stream, Instant::now() + wait, |_| {}).await?;
    let over = format!(
        "{} {} (rustls)",
        match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "TLS",
        },
        conn.negotiated_cipher_suite()
            .map(|s| crate::wire::CipherSuite(u16::from(s.suite())).to_string())
            .unwrap_or_default()
    );
    let reply = |bytes: Vec<u8>, ended: Ended| Reply {
        over: over.clone(),
        bytes,
        ended,
    };
    conn.writer()
        .write_all(request)
        .map_err(|e| format!("write: {e}"))?;
    // One wait for the whole answer: a server that trickles bytes gains nothing.
    let deadline = Instant::now() + answer_wait;
    if let Err(e) = flush(&mut conn, stream, deadline).await {
        return Ok(reply(Vec::new(), Ended::Broken(e)));
    }
    let mut got: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut closed = false;
    loop {
        // Drain what rustls has decrypted; a clean close_notify reads as 0.
        loop {
            match conn.reader().read(&mut buf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                // The server closed without close_notify: what came is all there is.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    closed = true;
                    break;
                }
                Err(e) => return Ok(reply(got, Ended::Broken(e.to_string()))),
            }
        }
        if done(&got) {
            return Ok(reply(got, Ended::Complete));
        }
        if got.len() > max {
            got.truncate(max);
            return Ok(reply(got, Ended::TooLarge(max)));
        }
        if closed {
            return Ok(reply(got, Ended::Closed));
        }
        let n = match timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) => {
                closed = true;
                continue;
            }
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Ok(reply(got, Ended::Broken(format!("read: {e}")))),
            Err(_) => return Ok(reply(got, Ended::Timeout)),
        };
        if let Err(e) = feed(&mut conn, &buf[..n]) {
            return Ok(reply(got, Ended::Broken(e)));
        }
    }
}

/// Hands `data` to rustls, processing as it goes so its buffer never fills.
fn feed(conn: &mut ClientConnection, mut data: &[u8]) -> Result<(), String> {
    while !data.is_empty() {
        match conn.read_tls(&mut data) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
        conn.process_new_packets().map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn flush(
    conn: &mut ClientConnection,
    stream: &mut tokio::net::TcpStream,
    deadline: Instant,
) -> Result<(), String> {
    while conn.wants_write() {
        let mut out = Vec::new();
        conn.write_tls(&mut out).map_err(|e| e.to_string())?;
        match timeout_at(deadline, stream.write_all(&out)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(format!("write: {e}")),
            Err(_) => return Err("write timed out".into()),
        }
    }
    Ok(())
}

/// Reads the server's records in the clear until its ChangeCipherSpec, to catch the TLS 1.2
/// NewSessionTicket lifetime hint (RFC 5077 section 3.3), which rustls does not expose.
#[derive(Default)]
struct Tls12Sniffer {
    deframer: Deframer,
    joiner: Option<HandshakeJoiner>,
    done: bool,
    ticket_lifetime: Option<u32>,
}

impl Tls12Sniffer {
    fn feed(&mut self, data: &[u8]) {
        if self.done {
            return;
        }
        self.deframer.push(data);
        let joiner = self
            .joiner
            .get_or_insert_with(|| HandshakeJoiner::new(256 * 1024));
        loop {
            match self.deframer.pop() {
                Ok(Some(Frame::Record {
                    content_type,
                    payload,
                    ..
                })) => {
                    if content_type != ContentType::HANDSHAKE {
                        // ChangeCipherSpec, alert or encrypted data: the clear part is over.
                        self.done = true;
                        return;
                    }
                    joiner.push(&payload);
                    while let Ok(Some((msg, _))) = joiner.pop() {
                        if let Some(lifetime) = msg.ticket_lifetime() {
                            self.ticket_lifetime = Some(lifetime);
                        }
                    }
                }
                Ok(Some(Frame::Sslv2(_))) | Err(_) => {
                    self.done = true;
                    return;
                }
                Ok(None) => return,
            }
        }
    }
}
