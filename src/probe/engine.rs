//! The probe engine: the only module that opens sockets. One probe is one TCP connection, one
//! hello, and the server's answer read until the flight is complete, an alert, a close or the
//! deadline. Whatever the server does is a [`ProbeOutcome`], never an error or a panic.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::{timeout, timeout_at, Instant};

pub mod quic;

use crate::facts::ErrorReason;
use crate::probe::starttls::{self, Starttls};
use crate::wire::sslv2::{Sslv2ClientHello, Sslv2ServerHello};
use crate::wire::{
    encode_records, Alert, CertificateStatus, ClientHello, Codec, ContentType, Deframer, Frame,
    HandshakeJoiner, HandshakeMessage, HandshakeType, ProtocolVersion, ServerHello,
};

/// Limits and timeouts; every wait has one.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub connect_timeout: Duration,
    /// Deadline for the server's whole answer to one hello.
    pub read_timeout: Duration,
    /// Connections open at once to one host.
    pub per_host_limit: usize,
    /// Connections open at once across all hosts.
    pub global_limit: usize,
    /// Extra attempts after a connect failure or a timeout (never after an answer).
    pub retries: u32,
    /// Bytes read from one server for one probe before giving up on it.
    pub max_flight_bytes: usize,
    /// New connections per second across all hosts (`--rate`), spaced evenly; `None`: as
    /// fast as the limits allow.
    pub rate: Option<f64>,
    /// Times one connection is asked again after the server turned it away for now (see
    /// [`HostHandle::rate_limit`]), each after a pause twice the last.
    pub rate_limit_retries: u32,
    /// The first of those pauses; they grow to at most [`MAX_BACKOFF`].
    pub rate_limit_backoff: Duration,
}

/// The longest pause between two attempts at a connection the server turned away.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(8),
            per_host_limit: 4,
            global_limit: 256,
            retries: 1,
            max_flight_bytes: 256 * 1024,
            rate: None,
            // 0.25 + 0.5 + 1 + 2 + 4 + 8 + 5 × 10 s, about 66 s: past a per-minute window
            // (Postfix's anvil_rate_time_unit) on the way.
            rate_limit_retries: 11,
            rate_limit_backoff: Duration::from_millis(250),
        }
    }
}

/// Spaces new connections evenly at a rate: each takes the next free slot, one interval after
/// the one before. No bursts: a fleet's firewalls and IDSs see a steady trickle.
#[derive(Debug)]
struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pacer {
    fn new(per_second: f64) -> Option<Self> {
        (per_second.is_finite() && per_second > 0.0).then(|| Pacer {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        })
    }

    /// Waits for this connection's slot.
    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// What to send.
#[derive(Debug, Clone)]
pub enum Hello {
    Tls {
        record_version: ProtocolVersion,
        hello: ClientHello,
    },
    Sslv2(Sslv2ClientHello),
    /// A client's hello as recorded, byte for byte (records included), for replay;
    /// `sslv2` when it is an SSLv2-format CLIENT-HELLO (the answer is then read as SSLv2 too).
    Recorded {
        bytes: Vec<u8>,
        sslv2: bool,
    },
}

impl Hello {
    /// Whether the answer may be an SSLv2 SERVER-HELLO.
    fn sslv2(&self) -> bool {
        matches!(self, Hello::Sslv2(_) | Hello::Recorded { sslv2: true, .. })
    }

    pub fn to_wire(&self) -> Vec<u8> {
        match self {
            Hello::Tls {
                record_version,
                hello,
            } => {
                let msg = HandshakeMessage::ClientHello(hello.clone()).to_bytes();
                encode_records(ContentType::HANDSHAKE, *record_version, &msg)
            }
            Hello::Sslv2(h) => h.to_record(),
            Hello::Recorded { bytes, .. } => bytes.clone(),
        }
    }
}

/// The server's flight up to ServerHelloDone (TLS <= 1.2) or its ServerHello (TLS 1.3, HRR).
#[derive(Debug, Clone)]
pub struct ServerFlight {
    pub hello: ServerHello,
    pub record_version: ProtocolVersion,
    /// DER certificates, leaf first (TLS <= 1.2 only: TLS 1.3 sends them encrypted).
    pub certificates: Option<Vec<Vec<u8>>>,
    pub server_key_exchange: Option<Vec<u8>>,
    pub certificate_status: Option<CertificateStatus>,
    pub certificate_request: Option<Vec<u8>>,
    /// True once ServerHelloDone arrived; false when the server stopped early.
    pub complete: bool,
    /// A fatal alert that ended the flight after the ServerHello, if any.
    pub trailing_alert: Option<Alert>,
}

/// Everything a probe can end in. Server behaviour is data.
#[derive(Debug, Clone)]
pub enum ProbeOutcome {
    ServerHello(Box<ServerFlight>),
    Sslv2ServerHello(Box<Sslv2ServerHello>),
    Alert(Alert),
    /// The server closed the connection without answering.
    Closed,
    /// The connection was reset.
    Reset,
    /// No complete answer before the deadline.
    Timeout,
    /// Bytes that are not TLS, or TLS that does not parse.
    Malformed(String),
    /// No connection could be made: an error of the target, not an answer.
    ConnectFailed(ConnectError),
}

/// Why no connection (or no STARTTLS) could be made to a host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConnectError {
    pub reason: ErrorReason,
    pub message: String,
}

impl ConnectError {
    pub fn new(reason: ErrorReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }
}

impl ProbeOutcome {
    /// A short, human description for evidence fields.
    pub fn describe(&self) -> String {
        match self {
            ProbeOutcome::ServerHello(f) => format!(
                "ServerHello {} {}",
                f.hello.negotiated_version(),
                f.hello.cipher_suite
            ),
            ProbeOutcome::Sslv2ServerHello(h) => format!(
                "SSLv2 SERVER-HELLO with {} cipher kinds",
                h.cipher_specs.len()
            ),
            ProbeOutcome::Alert(a) => format!("alert {}", a.description),
            ProbeOutcome::Closed => "connection closed without an answer".into(),
            ProbeOutcome::Reset => "connection reset".into(),
            ProbeOutcome::Timeout => "no answer before the timeout".into(),
            ProbeOutcome::Malformed(m) => format!("malformed answer: {m}"),
            ProbeOutcome::ConnectFailed(m) => format!("connect failed: {m}"),
        }
    }
}

/// One host: its address, its own connection limit and its connection counter.
#[derive(Debug, Clone)]
pub struct HostHandle {
    pub addr: SocketAddr,
    /// The plaintext preamble every connection runs before TLS, if any.
    pub starttls: Option<Starttls>,
    /// The server's name as the preamble needs it (XMPP's stream `to`), if any.
    pub starttls_domain: Option<String>,
    /// Speak QUIC with this version (RFC 9000; [`crate::wire::quic::VERSION_1`] …) instead of
    /// TCP: every probe is then one QUIC handshake ([`quic`]).
    pub quic: Option<u32>,
    per_host: Arc<Semaphore>,
    connections: Arc<AtomicU64>,
    /// Why the last failed connection failed.
    last_failure: Arc<std::sync::Mutex<Option<ErrorReason>>>,
    /// Some connection to this host received at least one byte.
    answered: Arc<AtomicBool>,
    /// Some connection to this host met the read timeout without receiving a byte.
    met_silence: Arc<AtomicBool>,
    /// The engine's read timeout, for the silence error.
    read_timeout: Duration,
    /// What the host's rate limiting did to the scan, once it showed.
    rate_limit: Arc<std::sync::Mutex<Option<RateLimit>>>,
    /// One connection at a time once the host has turned one away.
    throttle: Arc<Semaphore>,
}

/// A host that turned connections away for a while (too many at once, or too many in a
/// window) and how the engine coped: it paused and asked again, one connection at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// What the server did the first time, e.g. `421 4.7.0 Error: too many connections …`.
    pub evidence: String,
    /// Connections asked again after a refusal.
    pub retries: u64,
    /// Connections given up on after the last retry: their probes have no answer.
    pub gave_up: u64,
}

impl HostHandle {
    /// Connections opened to this host so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Why the last connection that could not be made failed, if one failed.
    pub fn last_failure(&self) -> Option<ErrorReason> {
        self.last_failure.lock().ok().and_then(|g| *g)
    }

    /// Records that a connection to this host received bytes: it is not a silent host, even
    /// if some other connection times out.
    pub fn heard_from(&self) {
        self.answered.store(true, Ordering::Relaxed);
    }

    /// Records that a connection to this host waited out the read timeout without a byte.
    pub fn met_silence(&self) {
        self.met_silence.store(true, Ordering::Relaxed);
    }

    /// `Some` once the host has proven silent: a connection met the read timeout without a
    /// byte and none has ever received one (a server that accepts TCP and never answers, e.g.
    /// a dead backend behind a TCP load balancer). Every later connection fails at once with
    /// this error instead of waiting out the timeout again.
    pub fn silence(&self) -> Option<ConnectError> {
        (self.met_silence.load(Ordering::Relaxed) && !self.answered.load(Ordering::Relaxed)).then(
            || {
                let what = if self.quic.is_some() {
                    "no answer to QUIC Initial packets (not a datagram"
                } else {
                    "the server accepted TCP connections but never answered (not a byte"
                };
                ConnectError::new(
                    ErrorReason::Silent,
                    format!(
                        "{}: {what} within the read timeout of {:?})",
                        self.addr, self.read_timeout
                    ),
                )
            },
        )
    }

    /// How the host limited the rate of connections, if it did.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit.lock().ok().and_then(|g| g.clone())
    }

    /// Whether a connection to this host was given up on after its last retry.
    fn gave_up(&self) -> bool {
        self.rate_limit
            .lock()
            .is_ok_and(|g| g.as_ref().is_some_and(|r| r.gave_up > 0))
    }

    /// Whether the host has turned a connection away for now.
    fn rate_limited(&self) -> bool {
        self.rate_limit.lock().is_ok_and(|g| g.is_some())
    }

    /// Counts a refusal: a retry to come, or (`retry` false) one given up on.
    fn refused(&self, evidence: &str, retry: bool) {
        if let Ok(mut g) = self.rate_limit.lock() {
            let r = g.get_or_insert_with(|| RateLimit {
                evidence: evidence.to_string(),
                retries: 0,
                gave_up: 0,
            });
            if retry {
                r.retries += 1;
            } else {
                r.gave_up += 1;
            }
        }
    }

    fn failed(&self, e: ConnectError) -> ConnectError {
        if let Ok(mut g) = self.last_failure.lock() {
            *g = Some(e.reason);
        }
        e
    }
}

/// Times a connection closed before its STARTTLS greeting is asked again while no connection
/// to the host has been answered yet.
const EARLY_DROP_RETRIES: u32 = 2;

/// A failed connection attempt, as [`Engine::connect`] handles it.
#[derive(Debug)]
struct Failed {
    error: ConnectError,
    /// Closed before the STARTTLS greeting by a host that has answered no connection yet.
    early_drop: bool,
}

impl From<ConnectError> for Failed {
    fn from(error: ConnectError) -> Self {
        Failed {
            error,
            early_drop: false,
        }
    }
}

/// Owns the limits; cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    cfg: Arc<EngineConfig>,
    global: Arc<Semaphore>,
    pacer: Option<Arc<Pacer>>,
}

impl Engine {
    pub fn new(cfg: EngineConfig) -> Self {
        let global = Arc::new(Semaphore::new(cfg.global_limit.max(1)));
        let pacer = cfg.rate.and_then(Pacer::new).map(Arc::new);
        Self {
            cfg: Arc::new(cfg),
            global,
            pacer,
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    pub fn host(&self, addr: SocketAddr) -> HostHandle {
        HostHandle {
            addr,
            starttls: None,
            starttls_domain: None,
            quic: None,
            per_host: Arc::new(Semaphore::new(self.cfg.per_host_limit.max(1))),
            connections: Arc::new(AtomicU64::new(0)),
            last_failure: Arc::default(),
            answered: Arc::default(),
            met_silence: Arc::default(),
            read_timeout: self.cfg.read_timeout,
            rate_limit: Arc::default(),
            throttle: Arc::new(Semaphore::new(1)),
        }
    }

    /// The pause before the `n`th retry (from 0) of a connection the server turned away.
    fn backoff(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.min(16)).unwrap_or(u32::MAX);
        self.cfg
            .rate_limit_backoff
            .saturating_mul(factor)
            .min(MAX_BACKOFF)
    }

    /// Opens a TCP connection under both limits, counting it. The permits live as long as the
    /// stream. A host that has proven silent ([`HostHandle::silence`]) gets no more connections.
    ///
    /// A server that turns the connection away for now (a STARTTLS "busy" answer such as SMTP's
    /// 421, or a refused TCP connection after earlier ones were answered: a rate limit) is
    /// asked again after a growing pause, up to `rate_limit_retries` times; from then on the
    /// host gets one connection at a time. The refusal is recorded ([`HostHandle::rate_limit`])
    /// so the report can say its results may be affected.
    pub async fn connect(&self, host: &HostHandle) -> Result<Connection, ConnectError> {
        if let Some(e) = host.silence() {
            return Err(host.failed(e));
        }
        if host.quic.is_some() {
            return Err(ConnectError::new(
                ErrorReason::ConnectError,
                format!("{}: a QUIC target takes no TCP connection", host.addr),
            ));
        }
        let mut n = 0;
        loop {
            match self.try_connect(host).await {
                Err(Failed { error: e, .. }) if e.reason == ErrorReason::RateLimited => {
                    // Once one connection has been given up on, the host's limit outlasts
                    // our patience (or the server is gone): later ones fail at once, so a scan
                    // waits out the backoff once, not once per probe.
                    let retry = n < self.cfg.rate_limit_retries && !host.gave_up();
                    host.refused(&e.message, retry);
                    if !retry {
                        let why = if n == 0 {
                            "not retried: an earlier connection was still refused after every \
                             retry"
                                .to_string()
                        } else {
                            format!(
                                "still refused after {n} retries over {:?}",
                                (0..n).map(|i| self.backoff(i)).sum::<Duration>()
                            )
                        };
                        return Err(host.failed(ConnectError::new(
                            ErrorReason::RateLimited,
                            format!(
                                "{} ({why}: the server limits connections; scan again later \
                                 or with a lower --rate)",
                                e.message
                            ),
                        )));
                    }
                    tokio::time::sleep(self.backoff(n)).await;
                    n += 1;
                }
                // The first connections of a scan may meet a limit before any has been
                // answered: asked again, they tell a limit (another connection is answered by
                // then) from a service that drops everyone.
                Err(Failed {
                    early_drop: true, ..
                }) if n < EARLY_DROP_RETRIES => {
                    tokio::time::sleep(self.backoff(n)).await;
                    n += 1;
                }
                Err(f) => return Err(host.failed(f.error)),
                Ok(c) => return Ok(c),
            }
        }
    }

    async fn try_connect(&self, host: &HostHandle) -> Result<Connection, Failed> {
        let mut last_err = ConnectError::new(ErrorReason::ConnectError, "no connection attempted");
        let closed = |e: tokio::sync::AcquireError| {
            ConnectError::new(ErrorReason::ConnectError, e.to_string())
        };
        for attempt in 0..=self.cfg.retries {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 * attempt as u64)).await;
            }
            let host_permit = host
                .per_host
                .clone()
                .acquire_owned()
                .await
                .map_err(closed)?;
            let global_permit = self.global.clone().acquire_owned().await.map_err(closed)?;
            let throttle = if host.rate_limited() {
                Some(
                    host.throttle
                        .clone()
                        .acquire_owned()
                        .await
                        .map_err(closed)?,
                )
            } else {
                None
            };
            // The slot is taken with the permits in hand: a slot is never spent waiting.
            if let Some(p) = &self.pacer {
                p.wait().await;
            }
            match timeout(self.cfg.connect_timeout, TcpStream::connect(host.addr)).await {
                Ok(Ok(mut stream)) => {
                    host.connections.fetch_add(1, Ordering::Relaxed);
                    let _ = stream.set_nodelay(true);
                    if let Some(proto) = host.starttls {
                        match timeout(
                            self.cfg.read_timeout,
                            starttls::negotiate(
                                &mut stream,
                                proto,
                                host.starttls_domain.as_deref(),
                            ),
                        )
                        .await
                        {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => {
                                // A close before the greeting counts once the host has
                                // answered other connections (see `StarttlsError::dropped`).
                                let answered = host.answered.load(Ordering::Relaxed);
                                let reason = if e.busy || (e.dropped && answered) {
                                    ErrorReason::RateLimited
                                } else {
                                    ErrorReason::StarttlsFailed
                                };
                                return Err(Failed {
                                    error: ConnectError::new(reason, format!("{}: {e}", host.addr)),
                                    early_drop: e.dropped && !answered,
                                });
                            }
                            Err(_) => {
                                return Err(ConnectError::new(
                                    ErrorReason::StarttlsFailed,
                                    format!("{}: STARTTLS ({}) timed out", host.addr, proto.name()),
                                )
                                .into())
                            }
                        }
                    }
                    return Ok(Connection {
                        stream,
                        _permits: (host_permit, global_permit),
                        _throttle: throttle,
                    });
                }
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    // Refused after the host answered on earlier connections: a limit on
                    // connections (a firewall's connection limit rejecting with a reset) or a
                    // server restarting, not a port that is closed.
                    if host.answered.load(Ordering::Relaxed) {
                        return Err(ConnectError::new(
                            ErrorReason::RateLimited,
                            format!(
                                "{}: connection refused after earlier connections were answered",
                                host.addr
                            ),
                        )
                        .into());
                    }
                    return Err(ConnectError::new(
                        ErrorReason::ConnectionRefused,
                        format!("{}: connection refused", host.addr),
                    )
                    .into());
                }
                Ok(Err(e)) => {
                    last_err =
                        ConnectError::new(ErrorReason::ConnectError, format!("{}: {e}", host.addr))
                }
                Err(_) => {
                    last_err = ConnectError::new(
                        ErrorReason::ConnectTimeout,
                        format!(
                            "{}: connect timed out after {:?}",
                            host.addr, self.cfg.connect_timeout
                        ),
                    )
                }
            }
        }
        Err(last_err.into())
    }

    /// A slot for one QUIC handshake under both limits and the pacer, counted like a TCP
    /// connection; the permits live as long as the slot.
    pub(crate) async fn quic_slot(&self, host: &HostHandle) -> Result<Slot, ConnectError> {
        if let Some(e) = host.silence() {
            return Err(host.failed(e));
        }
        let closed = |e: tokio::sync::AcquireError| {
            ConnectError::new(ErrorReason::ConnectError, e.to_string())
        };
        let host_permit = host
            .per_host
            .clone()
            .acquire_owned()
            .await
            .map_err(closed)?;
        let global_permit = self.global.clone().acquire_owned().await.map_err(closed)?;
        if let Some(p) = &self.pacer {
            p.wait().await;
        }
        host.connections.fetch_add(1, Ordering::Relaxed);
        Ok(Slot {
            _permits: (host_permit, global_permit),
        })
    }

    /// Records why a connection to `host` could not be made, and hands the error back.
    pub(crate) fn failed(&self, host: &HostHandle, e: ConnectError) -> ConnectError {
        host.failed(e)
    }

    /// One probe: connect, send `hello`, read the answer. Over QUIC ([`HostHandle::quic`]),
    /// one QUIC handshake carrying the hello instead.
    pub async fn probe(&self, host: &HostHandle, hello: &Hello) -> ProbeOutcome {
        if let Some(version) = host.quic {
            return quic::probe(self, host, hello, version).await;
        }
        let wire = hello.to_wire();
        let mut outcome = ProbeOutcome::Timeout;
        for attempt in 0..=self.cfg.retries {
            let mut conn = match self.connect(host).await {
                Ok(c) => c,
                Err(e) => return ProbeOutcome::ConnectFailed(e),
            };
            outcome = self
                .exchange(host, &mut conn.stream, &wire, hello.sslv2())
                .await;
            // Only a server that answers, but not this time, is worth asking again; any answer
            // is the answer, and a host that never answered is not waited for twice.
            if !matches!(outcome, ProbeOutcome::Timeout)
                || attempt == self.cfg.retries
                || host.silence().is_some()
            {
                break;
            }
        }
        outcome
    }

    /// One probe that goes on after the flight: connect, send `hello`, read the flight and, only
    /// when it is complete (ServerHelloDone), send `after` (whole records) and read the server's
    /// answer for at most `wait` (capped by the read timeout) and the byte ceiling.
    pub async fn probe_then_send(
        &self,
        host: &HostHandle,
        hello: &Hello,
        after: &[u8],
        wait: Duration,
    ) -> (ProbeOutcome, Option<FollowUp>) {
        let wire = hello.to_wire();
        let mut conn = match self.connect(host).await {
            Ok(c) => c,
            Err(e) => return (ProbeOutcome::ConnectFailed(e), None),
        };
        let outcome = self
            .exchange(host, &mut conn.stream, &wire, hello.sslv2())
            .await;
        let complete = matches!(&outcome, ProbeOutcome::ServerHello(f)
            if f.complete && f.trailing_alert.is_none());
        if !complete {
            return (outcome, None);
        }
        let deadline = Instant::now() + wait.min(self.cfg.read_timeout);
        let follow = self.follow_up(&mut conn.stream, after, deadline).await;
        (outcome, Some(follow))
    }

    async fn follow_up(&self, stream: &mut TcpStream, after: &[u8], deadline: Instant) -> FollowUp {
        match timeout_at(deadline, stream.write_all(after)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return follow_io(&e),
            Err(_) => return FollowUp::Silent,
        }
        let mut reader = FollowUpReader::new(self.cfg.max_flight_bytes);
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match timeout_at(deadline, stream.read(&mut buf)).await {
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return follow_io(&e),
                Err(_) => return FollowUp::Silent,
            };
            if n == 0 {
                return FollowUp::Closed;
            }
            if let Some(done) = reader.feed(&buf[..n]) {
                return done;
            }
        }
    }

    async fn exchange(
        &self,
        host: &HostHandle,
        stream: &mut TcpStream,
        wire: &[u8],
        sslv2: bool,
    ) -> ProbeOutcome {
        let deadline = Instant::now() + self.cfg.read_timeout;
        match timeout_at(deadline, stream.write_all(wire)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return io_outcome(&e),
            Err(_) => return ProbeOutcome::Timeout,
        }
        let mut reader = FlightReader::new(self.cfg.max_flight_bytes, sslv2);
        let mut buf = vec![0u8; 16 * 1024];
        let mut heard = false;
        loop {
            let n = match timeout_at(deadline, stream.read(&mut buf)).await {
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return reader.finish_early(io_outcome(&e)),
                Err(_) => {
                    if !heard {
                        host.met_silence();
                    }
                    return reader.finish_early(ProbeOutcome::Timeout);
                }
            };
            if n == 0 {
                return reader.finish_early(ProbeOutcome::Closed);
            }
            if !heard {
                heard = true;
                host.heard_from();
            }
            if let Some(done) = reader.feed(&buf[..n]) {
                return done;
            }
        }
    }
}

/// A counted QUIC handshake's place under the limits.
pub(crate) struct Slot {
    _permits: (
        tokio::sync::OwnedSemaphorePermit,
        tokio::sync::OwnedSemaphorePermit,
    ),
}

/// A counted connection holding its permits.
pub struct Connection {
    pub stream: TcpStream,
    _permits: (
        tokio::sync::OwnedSemaphorePermit,
        tokio::sync::OwnedSemaphorePermit,
    ),
    /// The host's one-at-a-time permit, once it has limited us.
    _throttle: Option<tokio::sync::OwnedSemaphorePermit>,
}

fn io_outcome(e: &std::io::Error) -> ProbeOutcome {
    match e.kind() {
        std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::ConnectionAborted
        | std::io::ErrorKind::BrokenPipe => ProbeOutcome::Reset,
        _ => ProbeOutcome::Malformed(e.to_string()),
    }
}

/// The server's answer to records sent after its flight: the first whole record it sends.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowUp {
    /// A record other than an alert: its content type and payload.
    Record {
        content_type: ContentType,
        payload: Vec<u8>,
    },
    Alert(Alert),
    Closed,
    Reset,
    /// Nothing within the wait.
    Silent,
    /// Bytes that are not TLS records, or more than the byte ceiling.
    Malformed(String),
}

impl FollowUp {
    /// A short, human description for evidence fields.
    pub fn describe(&self) -> String {
        match self {
            FollowUp::Record {
                content_type,
                payload,
            } => format!("a {}-byte {} record", payload.len(), content_type),
            FollowUp::Alert(a) => format!("alert {}", a.description),
            FollowUp::Closed => "a close of the connection".into(),
            FollowUp::Reset => "a connection reset".into(),
            FollowUp::Silent => "no answer within the wait".into(),
            FollowUp::Malformed(m) => format!("a malformed answer: {m}"),
        }
    }
}

fn follow_io(e: &std::io::Error) -> FollowUp {
    match io_outcome(e) {
        ProbeOutcome::Reset => FollowUp::Reset,
        _ => FollowUp::Malformed(e.to_string()),
    }
}

/// Sans-IO state of reading the answer to records sent after the flight.
pub struct FollowUpReader {
    deframer: Deframer,
    read: usize,
    max: usize,
}

impl FollowUpReader {
    pub fn new(max: usize) -> Self {
        Self {
            deframer: Deframer::default(),
            read: 0,
            max,
        }
    }

    /// Feeds bytes; `Some` once the first whole record (or a reason to stop) is there.
    pub fn feed(&mut self, data: &[u8]) -> Option<FollowUp> {
        self.read += data.len();
        if self.read > self.max {
            return Some(FollowUp::Malformed(format!(
                "answer exceeds {} bytes",
                self.max
            )));
        }
        self.deframer.push(data);
        match self.deframer.pop() {
            Ok(None) => None,
            Err(e) => Some(FollowUp::Malformed(e.to_string())),
            Ok(Some(Frame::Sslv2(_))) => Some(FollowUp::Malformed("SSLv2 record".into())),
            Ok(Some(Frame::Record {
                content_type,
                payload,
                ..
            })) => Some(if content_type == ContentType::ALERT {
                match Alert::from_bytes(payload.get(..2).unwrap_or(&payload)) {
                    Ok(a) => FollowUp::Alert(a),
                    Err(e) => FollowUp::Malformed(e.to_string()),
                }
            } else {
                FollowUp::Record {
                    content_type,
                    payload,
                }
            }),
        }
    }
}

/// Sans-IO state of reading one server flight: feed bytes, get an outcome when it is decided.
pub struct FlightReader {
    deframer: Deframer,
    joiner: HandshakeJoiner,
    flight: Option<ServerFlight>,
    read: usize,
    max: usize,
    sslv2: bool,
}

impl FlightReader {
    pub fn new(max: usize, sslv2: bool) -> Self {
        Self {
            deframer: Deframer::default(),
            joiner: HandshakeJoiner::new(max),
            flight: None,
            read: 0,
            max,
            sslv2,
        }
    }

    /// Feeds bytes; `Some` once the outcome is decided.
    pub fn feed(&mut self, data: &[u8]) -> Option<ProbeOutcome> {
        self.read += data.len();
        if self.read > self.max {
            return Some(self.finish_early(ProbeOutcome::Malformed(format!(
                "answer exceeds {} bytes",
                self.max
            ))));
        }
        self.deframer.push(data);
        loop {
            // In answer to a TLS hello a high-bit first byte is no TLS record: say so now, not
            // after waiting (until the timeout) for the up to 32 KB its "SSLv2 length" claims.
            if !self.sslv2 && self.deframer.next_is_sslv2() {
                return Some(self.finish_early(ProbeOutcome::Malformed(
                    "SSLv2 record or content type >= 128 in answer to a TLS hello".into(),
                )));
            }
            let frame = match self.deframer.pop() {
                Ok(Some(f)) => f,
                Ok(None) => return None,
                Err(e) => return Some(self.finish_early(ProbeOutcome::Malformed(e.to_string()))),
            };
            match frame {
                Frame::Sslv2(payload) => {
                    if !self.sslv2 {
                        return Some(ProbeOutcome::Malformed(
                            "SSLv2 record in answer to a TLS hello".into(),
                        ));
                    }
                    // An SSLv2 ERROR message (type 0) is the server's refusal.
                    if payload.first() == Some(&0) {
                        return Some(ProbeOutcome::Closed);
                    }
                    return Some(match Sslv2ServerHello::from_bytes(&payload) {
                        Ok(h) => ProbeOutcome::Sslv2ServerHello(Box::new(h)),
                        Err(e) => ProbeOutcome::Malformed(e.to_string()),
                    });
                }
                Frame::Record {
                    content_type,
                    version,
                    payload,
                } => {
                    if let Some(done) = self.record(content_type, version, &payload) {
                        return Some(done);
                    }
                }
            }
        }
    }

    fn record(
        &mut self,
        ct: ContentType,
        version: ProtocolVersion,
        payload: &[u8],
    ) -> Option<ProbeOutcome> {
        match ct {
            ContentType::ALERT => {
                let alert = match Alert::from_bytes(payload.get(..2).unwrap_or(payload)) {
                    Ok(a) => a,
                    Err(e) => return Some(ProbeOutcome::Malformed(e.to_string())),
                };
                // A warning alert (e.g. unrecognized_name) does not end the handshake.
                if alert.level == 1 && self.flight.is_none() {
                    return None;
                }
                Some(match self.flight.take() {
                    Some(mut f) => {
                        f.trailing_alert = Some(alert);
                        ProbeOutcome::ServerHello(Box::new(f))
                    }
                    None => ProbeOutcome::Alert(alert),
                })
            }
            ContentType::HANDSHAKE => {
                self.joiner.push(payload);
                loop {
                    match self.joiner.pop() {
                        Ok(None) => return None,
                        Ok(Some((msg, _raw))) => {
                            if let Some(done) = self.message(msg, version) {
                                return Some(done);
                            }
                        }
                        Err(e) => {
                            return Some(self.finish_early(ProbeOutcome::Malformed(e.to_string())))
                        }
                    }
                }
            }
            // After a TLS 1.3 ServerHello everything is encrypted; we stopped before that.
            ContentType::CHANGE_CIPHER_SPEC | ContentType::APPLICATION_DATA
                if self.flight.is_some() =>
            {
                Some(self.finish_early(ProbeOutcome::Closed))
            }
            other => Some(ProbeOutcome::Malformed(format!(
                "unexpected {other:?} record"
            ))),
        }
    }

    fn message(
        &mut self,
        msg: HandshakeMessage,
        record_version: ProtocolVersion,
    ) -> Option<ProbeOutcome> {
        let Some(flight) = self.flight.as_mut() else {
            return match msg {
                HandshakeMessage::ServerHello(hello) => {
                    let stop = hello.is_hello_retry_request()
                        || hello.negotiated_version() == ProtocolVersion::TLS13;
                    let f = ServerFlight {
                        hello,
                        record_version,
                        certificates: None,
                        server_key_exchange: None,
                        certificate_status: None,
                        certificate_request: None,
                        complete: stop,
                        trailing_alert: None,
                    };
                    if stop {
                        Some(ProbeOutcome::ServerHello(Box::new(f)))
                    } else {
                        self.flight = Some(f);
                        None
                    }
                }
                other => Some(ProbeOutcome::Malformed(format!(
                    "expected ServerHello, got {:?}",
                    other.typ()
                ))),
            };
        };
        match msg {
            HandshakeMessage::Certificate(c) => flight.certificates = Some(c.0),
            HandshakeMessage::CertificateStatus(s) => flight.certificate_status = Some(s),
            HandshakeMessage::Other {
                typ: HandshakeType::SERVER_KEY_EXCHANGE,
                body,
            } => flight.server_key_exchange = Some(body),
            HandshakeMessage::Other {
                typ: HandshakeType::CERTIFICATE_REQUEST,
                body,
            } => flight.certificate_request = Some(body),
            HandshakeMessage::ServerHelloDone => {
                let mut f = self.flight.take()?;
                f.complete = true;
                return Some(ProbeOutcome::ServerHello(Box::new(f)));
            }
            _ => {}
        }
        None
    }

    /// The outcome when the stream ends (`why`) before the flight is complete: what was
    /// received so far wins over the reason it stopped.
    pub fn finish_early(&mut self, why: ProbeOutcome) -> ProbeOutcome {
        match self.flight.take() {
            Some(f) => ProbeOutcome::ServerHello(Box::new(f)),
            None => why,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::handshake::{CertificateList, ServerHello};
    use crate::wire::{AlertDescription, CipherSuite};

    fn sh(version: ProtocolVersion) -> ServerHello {
        ServerHello {
            legacy_version: version,
            random: [1; 32],
            session_id: vec![],
            cipher_suite: CipherSuite(0xc02f),
            compression_method: 0,
            extensions: None,
        }
    }

    #[test]
    fn reads_a_tls12_flight_split_into_tiny_records() {
        let mut hs = Vec::new();
        hs.extend(HandshakeMessage::ServerHello(sh(ProtocolVersion::TLS12)).to_bytes());
        hs.extend(HandshakeMessage::Certificate(CertificateList(vec![vec![0x30, 0]])).to_bytes());
        hs.extend(HandshakeMessage::ServerHelloDone.to_bytes());
        let mut wire = Vec::new();
        for c in hs.chunks(5) {
            wire.extend(encode_records(
                ContentType::HANDSHAKE,
                ProtocolVersion::TLS12,
                c,
            ));
        }
        let mut r = FlightReader::new(1 << 20, false);
        let mut out = None;
        for b in wire.chunks(3) {
            if let Some(o) = r.feed(b) {
                out = Some(o);
                break;
            }
        }
        let Some(ProbeOutcome::ServerHello(f)) = out else {
            panic!("{out:?}")
        };
        assert!(f.complete);
        assert_eq!(f.certificates, Some(vec![vec![0x30, 0]]));
    }

    #[test]
    fn alert_before_hello_is_the_answer() {
        let mut r = FlightReader::new(1 << 20, false);
        let wire = encode_records(ContentType::ALERT, ProtocolVersion::TLS12, &[2, 40]);
        let Some(ProbeOutcome::Alert(a)) = r.feed(&wire) else {
            panic!()
        };
        assert_eq!(a.description, AlertDescription::HANDSHAKE_FAILURE);
    }

    #[test]
    fn garbage_and_floods_are_malformed() {
        let mut r = FlightReader::new(1 << 20, false);
        assert!(matches!(
            r.feed(b"HTTP/1.0 400 Bad Request\r\n"),
            Some(ProbeOutcome::Malformed(_))
        ));
        let mut r = FlightReader::new(100, false);
        assert!(matches!(
            r.feed(&[22u8; 200]),
            Some(ProbeOutcome::Malformed(_))
        ));
    }

    #[test]
    fn a_high_bit_byte_in_answer_to_a_tls_hello_is_malformed_at_once() {
        // Content type 0xff reads as an SSLv2 header claiming 32,515 bytes.
        let mut r = FlightReader::new(1 << 20, false);
        assert!(matches!(
            r.feed(&[0xff, 3, 3, 0, 2, 2, 40]),
            Some(ProbeOutcome::Malformed(_))
        ));
    }

    #[test]
    fn follow_up_reader_returns_the_first_whole_record() {
        let mut payload = vec![2, 0x40, 0];
        payload.extend(vec![0xaa; 16403 - 3]);
        // One record of 16403 bytes, as OpenSSL 1.0.1 sent (more than encode_records puts in one).
        let mut wire = vec![24, 3, 3, 0x40, 0x13];
        wire.extend(&payload);
        let mut r = FollowUpReader::new(1 << 20);
        let mut out = None;
        for b in wire.chunks(1000) {
            if let Some(o) = r.feed(b) {
                out = Some(o);
                break;
            }
        }
        assert_eq!(
            out,
            Some(FollowUp::Record {
                content_type: ContentType::HEARTBEAT,
                payload
            })
        );
    }

    #[test]
    fn follow_up_reader_alerts_garbage_and_floods() {
        let mut r = FollowUpReader::new(1 << 20);
        let wire = encode_records(ContentType::ALERT, ProtocolVersion::TLS12, &[2, 10]);
        assert_eq!(
            r.feed(&wire),
            Some(FollowUp::Alert(Alert {
                level: 2,
                description: AlertDescription::UNEXPECTED_MESSAGE
            }))
        );
        let mut r = FollowUpReader::new(1 << 20);
        assert!(matches!(r.feed(b"HTTP/1.0"), Some(FollowUp::Malformed(_))));
        let mut r = FollowUpReader::new(100);
        assert_eq!(r.feed(&[24, 3, 3, 0x40]), None);
        assert!(matches!(r.feed(&[0u8; 200]), Some(FollowUp::Malformed(_))));
        // A record that claims more than a record may hold is malformed, not awaited.
        let mut r = FollowUpReader::new(1 << 20);
        assert!(matches!(
            r.feed(&[24, 3, 3, 0xff, 0xff]),
            Some(FollowUp::Malformed(_))
        ));
    }
}
