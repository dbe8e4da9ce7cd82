//! The engine's QUIC transport (RFC 9000, RFC 9001): one probe is one QUIC handshake over UDP that
//! carries our own ClientHello in CRYPTO frames of Initial packets, protected with the keys
//! rustls derives from the destination connection id (RFC 9001 section 5.2), padded to 1200
//! bytes, sent again while the server stays silent. The server's Initial packets are opened,
//! their CRYPTO frames put back in order and the ServerHello (or HelloRetryRequest, or the
//! alert in a CONNECTION_CLOSE) read into the same [`ProbeOutcome`] a TCP probe gives, so the
//! enumeration stages run unchanged over QUIC.
//!
//! [`details`] goes one step further: with real key shares it derives the handshake keys
//! (the TLS 1.3 key schedule, RFC 8446 section 7.1, with RFC 9001's labels) and reads the
//! EncryptedExtensions: the ALPN chosen and the server's transport parameters.
//! [`versions`] sends a reserved version to read the server's Version Negotiation.

use std::net::SocketAddr;
use std::time::Duration;

use rand::RngCore;
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf;
use rustls::crypto::ActiveKeyExchange;
use rustls::quic::{DirectionalKeys, HeaderProtectionKey, Keys, PacketKey, Tag, Version};
use rustls::Side;
use tokio::net::UdpSocket;
use tokio::time::{timeout_at, Instant};

use super::{ConnectError, Engine, Hello, HostHandle, ProbeOutcome, ServerFlight};
use crate::facts::ErrorReason;
use crate::probe::tickets::expand_label;
use crate::probe::tls13::Suite;
use crate::wire::quic::{
    crypto_frame, encode_transport_parameters, open, read_frames, read_transport_parameters,
    seal_initial, split_datagram, transport_error_name, version_name, version_probe, CryptoStream,
    InitialHeader, LongType, Packet, Protected, QuicFrame, TransportParameter, VERSION_2,
};
use crate::wire::{
    codec::read_list, Alert, AlertDescription, ClientHello, Codec, Extension, ExtensionType,
    HandshakeJoiner, HandshakeMessage, HandshakeType, KeyShareEntry, ProtocolName,
    ProtocolNameList, ProtocolVersion, Reader,
};

/// The ALPN a QUIC hello offers: HTTP/3 (RFC 9114), what a QUIC server on 443 speaks.
pub const ALPN: &[&[u8]] = &[b"h3"];

/// CRYPTO bytes per Initial packet: a hello that is larger (a post-quantum key share) spans
/// several Initials, each within the 1200-byte datagram.
const CRYPTO_PER_PACKET: usize = 1000;

/// The longest Retry token sent back: real ones are tens of bytes, and the Initial that
/// carries it must still fit a datagram.
const MAX_RETRY_TOKEN: usize = 1024;

/// The first retransmission of the hello while the server is silent; then doubled (RFC 9002
/// section 6.2 in spirit: loopback and LAN answer long before).
const FIRST_RESEND: Duration = Duration::from_millis(400);

/// The ClientHello as QUIC needs it (RFC 9001 section 8): an empty legacy_session_id
/// (section 8.4), no padding extension (the Initial is padded instead), ALPN (section 8.1)
/// and our transport parameters (section 8.2) with `scid` as initial_source_connection_id.
pub fn carry(mut hello: ClientHello, scid: &[u8]) -> ClientHello {
    hello.session_id.clear();
    let exts = hello.extensions.get_or_insert_with(Vec::new);
    exts.retain(|e| e.typ != ExtensionType::PADDING);
    if !exts.iter().any(|e| e.typ == ExtensionType::ALPN) {
        let names = ALPN.iter().map(|n| ProtocolName(n.to_vec())).collect();
        exts.push(Extension::new(
            ExtensionType::ALPN,
            &ProtocolNameList(names),
        ));
    }
    if !exts
        .iter()
        .any(|e| e.typ == ExtensionType::QUIC_TRANSPORT_PARAMETERS)
    {
        exts.push(Extension {
            typ: ExtensionType::QUIC_TRANSPORT_PARAMETERS,
            data: client_transport_parameters(scid),
        });
    }
    hello
}

/// Modest limits: we never open a stream. initial_source_connection_id is mandatory
/// (RFC 9000 section 7.3).
fn client_transport_parameters(scid: &[u8]) -> Vec<u8> {
    let int = |id: u64, v: u64| {
        let mut value = Vec::new();
        crate::wire::quic::put_varint(&mut value, v);
        TransportParameter { id, value }
    };
    encode_transport_parameters(&[
        int(0x01, 10_000),
        int(0x03, 1452),
        int(0x04, 65_536),
        int(0x05, 16_384),
        int(0x06, 16_384),
        int(0x07, 16_384),
        int(0x08, 0),
        int(0x09, 0),
        TransportParameter {
            id: 0x0f,
            value: scid.to_vec(),
        },
    ])
}

/// The rustls version of a QUIC version whose Initial keys rustls knows.
fn rustls_version(version: u32) -> Option<Version> {
    match version {
        crate::wire::quic::VERSION_1 => Some(Version::V1),
        VERSION_2 => Some(Version::V2),
        _ => None,
    }
}

/// Whether a Retry packet (`packet`, its integrity tag last) answers an Initial sent to
/// `original_dcid`: the tag is AES-128-GCM over the Retry pseudo-packet (the original
/// destination connection id, length-prefixed, then the Retry without its tag) with an empty
/// plaintext under the fixed key and nonce of RFC 9001 section 5.8 (RFC 9369 section 3.3.3 for
/// version 2).
fn retry_tag_valid(version: u32, original_dcid: &[u8], packet: &[u8]) -> bool {
    retry_tag(version, original_dcid, packet)
        .is_some_and(|tag| packet.len() >= 16 && tag[..] == packet[packet.len() - 16..])
}

/// The Retry Integrity Tag `packet` (its own tag, the last 16 bytes, left out) should carry.
fn retry_tag(version: u32, original_dcid: &[u8], packet: &[u8]) -> Option<[u8; 16]> {
    let (key, nonce): ([u8; 16], [u8; 12]) = match version {
        crate::wire::quic::VERSION_1 => (
            [
                0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68,
                0xc8, 0x4e,
            ],
            [
                0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb,
            ],
        ),
        crate::wire::quic::VERSION_2 => (
            [
                0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c,
                0xcc, 0x92,
            ],
            [
                0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a,
            ],
        ),
        _ => return None,
    };
    let without_tag = packet.get(..packet.len().checked_sub(16)?)?;
    let mut pseudo = Vec::with_capacity(1 + original_dcid.len() + without_tag.len());
    pseudo.push(u8::try_from(original_dcid.len()).ok()?);
    pseudo.extend_from_slice(original_dcid);
    pseudo.extend_from_slice(without_tag);
    let key = LessSafeKey::new(UnboundKey::new(&aead::AES_128_GCM, &key).ok()?);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(pseudo),
            &mut [],
        )
        .ok()?;
    tag.as_ref().try_into().ok()
}

/// Initial keys for `dcid` (RFC 9001 section 5.2; RFC 9369 section 3.3 for version 2):
/// always AES-128-GCM with SHA-256, whatever the suites offered.
fn initial_keys(version: u32, dcid: &[u8]) -> Option<Keys> {
    let rustls::SupportedCipherSuite::Tls13(suite) =
        rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256
    else {
        return None;
    };
    Some(Keys::initial(
        rustls_version(version)?,
        suite,
        suite.quic?,
        dcid,
        Side::Client,
    ))
}

/// What one QUIC handshake brought back.
#[derive(Debug)]
pub struct Exchange {
    /// The server's answer as a TCP probe would read it.
    pub outcome: ProbeOutcome,
    /// The versions a Version Negotiation packet listed, when the server sent one.
    pub offered_versions: Option<Vec<u32>>,
    /// The EncryptedExtensions (when asked for with key shares), or why they were not read.
    pub encrypted_extensions: Option<Result<Vec<Extension>, String>>,
}

impl Exchange {
    fn outcome(outcome: ProbeOutcome) -> Self {
        Self {
            outcome,
            offered_versions: None,
            encrypted_extensions: None,
        }
    }
}

/// One probe: the hello over one QUIC handshake of `version`.
pub async fn probe(
    engine: &Engine,
    host: &HostHandle,
    hello: &Hello,
    version: u32,
) -> ProbeOutcome {
    let Hello::Tls { hello, .. } = hello else {
        return ProbeOutcome::Malformed("only a TLS 1.3 ClientHello travels over QUIC".into());
    };
    exchange(engine, host, hello.clone(), version, Vec::new())
        .await
        .outcome
}

/// A handshake with key shares from `kx` (their public keys already in `hello`): reads the
/// ServerHello, derives the handshake keys and reads the EncryptedExtensions.
pub async fn details(
    engine: &Engine,
    host: &HostHandle,
    hello: ClientHello,
    version: u32,
    kx: Vec<Box<dyn ActiveKeyExchange>>,
) -> Exchange {
    exchange(engine, host, hello, version, kx).await
}

/// Sends a datagram with the reserved `version` (RFC 9000 section 15): the server answers
/// with the versions it speaks, or (a server that ignores it) nothing until the read timeout.
pub async fn versions(engine: &Engine, host: &HostHandle, version: u32) -> Exchange {
    let (mut dcid, mut scid, mut filler) = (vec![0u8; 8], vec![0u8; 8], vec![0u8; 1200]);
    for b in [&mut dcid, &mut scid, &mut filler] {
        rand::thread_rng().fill_bytes(b);
    }
    let datagram = version_probe(version, &dcid, &scid, &filler);
    let mut conn = match Conn::open(engine, host).await {
        Ok(c) => c,
        Err(e) => return Exchange::outcome(ProbeOutcome::ConnectFailed(e)),
    };
    let deadline = Instant::now() + engine.config().read_timeout;
    let mut resend = Instant::now();
    let mut wait = FIRST_RESEND;
    let mut buf = vec![0u8; 65_535];
    loop {
        if Instant::now() >= resend {
            if let Err(e) = conn.socket.send(&datagram).await {
                return Exchange::outcome(conn.io_error(&e));
            }
            resend = Instant::now() + wait;
            wait *= 2;
        }
        let n = match timeout_at(resend.min(deadline), conn.socket.recv(&mut buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Exchange::outcome(conn.io_error(&e)),
            // Ignoring a version it does not know is allowed: no sign of a silent host.
            Err(_) if Instant::now() >= deadline => {
                return Exchange::outcome(ProbeOutcome::Timeout)
            }
            Err(_) => continue,
        };
        conn.heard(host);
        match split_datagram(&buf[..n]) {
            Ok(packets) => {
                for p in packets {
                    if let Packet::VersionNegotiation {
                        dcid: d, versions, ..
                    } = p
                    {
                        if d == scid {
                            return Exchange {
                                outcome: ProbeOutcome::Malformed(format!(
                                    "Version Negotiation instead of {}",
                                    version_name(version)
                                )),
                                offered_versions: Some(versions),
                                encrypted_extensions: None,
                            };
                        }
                    }
                }
                // Anything else (an Initial in a version we did not send) is not the answer.
            }
            Err(e) => {
                return Exchange::outcome(ProbeOutcome::Malformed(format!(
                    "a datagram that is not QUIC: {e}"
                )))
            }
        }
    }
}

/// A UDP socket connected to the host, under the engine's limits.
struct Conn {
    socket: UdpSocket,
    addr: SocketAddr,
    heard: bool,
    _slot: super::Slot,
}

impl Conn {
    async fn open(engine: &Engine, host: &HostHandle) -> Result<Conn, ConnectError> {
        let slot = engine.quic_slot(host).await?;
        let local: SocketAddr = if host.addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let fail = |e: std::io::Error| {
            engine.failed(
                host,
                ConnectError::new(
                    ErrorReason::ConnectError,
                    format!("{}: UDP socket: {e}", host.addr),
                ),
            )
        };
        let socket = UdpSocket::bind(local).await.map_err(fail)?;
        socket.connect(host.addr).await.map_err(fail)?;
        Ok(Conn {
            socket,
            addr: host.addr,
            heard: false,
            _slot: slot,
        })
    }

    fn heard(&mut self, host: &HostHandle) {
        if !self.heard {
            self.heard = true;
            host.heard_from();
        }
    }

    /// A send or receive error: ICMP port unreachable surfaces as "connection refused" on a
    /// connected UDP socket, and means no server listens.
    fn io_error(&self, e: &std::io::Error) -> ProbeOutcome {
        if e.kind() == std::io::ErrorKind::ConnectionRefused {
            ProbeOutcome::ConnectFailed(ConnectError::new(
                ErrorReason::ConnectionRefused,
                format!(
                    "{}: UDP port unreachable: no QUIC server listens there",
                    self.addr
                ),
            ))
        } else {
            ProbeOutcome::Malformed(format!("{}: UDP: {e}", self.addr))
        }
    }
}

/// The client side of one handshake, up to the ServerHello (and the EncryptedExtensions when
/// key shares are given).
struct Handshake {
    version: u32,
    dcid: Vec<u8>,
    scid: Vec<u8>,
    token: Vec<u8>,
    keys: Keys,
    next_pn: u32,
    /// The ClientHello as a handshake message (header included): CRYPTO data and transcript.
    hello: Vec<u8>,
    retried: bool,
    initial_stream: CryptoStream,
    initial_joiner: HandshakeJoiner,
    initial_fed: usize,
    handshake_stream: CryptoStream,
    handshake_joiner: HandshakeJoiner,
    handshake_fed: usize,
    kx: Vec<Box<dyn ActiveKeyExchange>>,
    /// The server's handshake keys, once derived.
    server_keys: Option<DirectionalKeys>,
    /// Handshake packets that came before their keys could be derived.
    early_handshake: Vec<Protected>,
    /// The ServerHello, kept while the EncryptedExtensions are awaited.
    server_hello: Option<ServerFlight>,
    /// Why the last packet addressed to us did not open, if one did not.
    undecryptable: Option<String>,
}

/// What one datagram decided.
enum Step {
    Continue,
    Resend,
    Done(Exchange),
}

async fn exchange(
    engine: &Engine,
    host: &HostHandle,
    hello: ClientHello,
    version: u32,
    kx: Vec<Box<dyn ActiveKeyExchange>>,
) -> Exchange {
    let (mut dcid, mut scid) = (vec![0u8; 8], vec![0u8; 8]);
    rand::thread_rng().fill_bytes(&mut dcid);
    rand::thread_rng().fill_bytes(&mut scid);
    let Some(keys) = initial_keys(version, &dcid) else {
        return Exchange::outcome(ProbeOutcome::Malformed(format!(
            "no Initial keys for {}",
            version_name(version)
        )));
    };
    let max = engine.config().max_flight_bytes;
    let hello = HandshakeMessage::ClientHello(carry(hello, &scid)).to_bytes();
    let mut hs = Handshake::new(version, dcid, scid, keys, hello, kx, max);
    let mut conn = match Conn::open(engine, host).await {
        Ok(c) => c,
        Err(e) => return Exchange::outcome(ProbeOutcome::ConnectFailed(e)),
    };
    let deadline = Instant::now() + engine.config().read_timeout;
    let mut resend = Instant::now();
    let mut wait = FIRST_RESEND;
    let mut read = 0usize;
    let mut buf = vec![0u8; 65_535];
    let done = loop {
        if Instant::now() >= resend {
            if let Err(e) = hs.send_hello(&conn.socket).await {
                break Exchange::outcome(conn.io_error(&e));
            }
            // Once the server has spoken, its flight is on its way: no more copies.
            resend = if conn.heard {
                deadline
            } else {
                Instant::now() + wait
            };
            wait *= 2;
        }
        let n = match timeout_at(resend.min(deadline), conn.socket.recv(&mut buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => break Exchange::outcome(conn.io_error(&e)),
            Err(_) if Instant::now() >= deadline => {
                if !conn.heard {
                    host.met_silence();
                }
                break hs.finish(ProbeOutcome::Timeout);
            }
            Err(_) => continue,
        };
        conn.heard(host);
        read += n;
        if read > max {
            break hs.finish(ProbeOutcome::Malformed(format!(
                "answer exceeds {max} bytes"
            )));
        }
        match hs.datagram(&buf[..n]) {
            Step::Continue => {}
            Step::Resend => resend = Instant::now(),
            Step::Done(x) => break x,
        }
    };
    hs.close(&conn.socket).await;
    done
}

impl Handshake {
    fn new(
        version: u32,
        dcid: Vec<u8>,
        scid: Vec<u8>,
        keys: Keys,
        hello: Vec<u8>,
        kx: KeyShares,
        max: usize,
    ) -> Self {
        Handshake {
            version,
            dcid,
            scid,
            token: Vec::new(),
            keys,
            next_pn: 0,
            hello,
            retried: false,
            initial_stream: CryptoStream::new(max),
            initial_joiner: HandshakeJoiner::new(max),
            initial_fed: 0,
            handshake_stream: CryptoStream::new(max),
            handshake_joiner: HandshakeJoiner::new(max),
            handshake_fed: 0,
            kx,
            server_keys: None,
            early_handshake: Vec::new(),
            server_hello: None,
            undecryptable: None,
        }
    }

    /// The hello in CRYPTO frames, one Initial per [`CRYPTO_PER_PACKET`] bytes, each in a
    /// datagram of 1200 bytes.
    async fn send_hello(&mut self, socket: &UdpSocket) -> std::io::Result<()> {
        let hello = self.hello.clone();
        for (i, chunk) in hello.chunks(CRYPTO_PER_PACKET).enumerate() {
            let frame = crypto_frame((i * CRYPTO_PER_PACKET) as u64, chunk);
            self.send_initial(socket, &frame).await?;
        }
        Ok(())
    }

    /// One Initial packet carrying `frames` (a packet we cannot seal is an I/O error: it
    /// never happens with valid keys).
    async fn send_initial(&mut self, socket: &UdpSocket, frames: &[u8]) -> std::io::Result<()> {
        let header = InitialHeader {
            version: self.version,
            dcid: &self.dcid,
            scid: &self.scid,
            token: &self.token,
            packet_number: self.next_pn,
        };
        self.next_pn += 1;
        let datagram =
            seal_initial(&header, frames, 1200, &self.keys.local).map_err(std::io::Error::other)?;
        socket.send(&datagram).await.map(|_| ())
    }

    /// Tells the server we are done (CONNECTION_CLOSE, NO_ERROR) so it frees the connection
    /// now rather than at its idle timeout. Best effort: nothing is awaited.
    async fn close(&mut self, socket: &UdpSocket) {
        let frame = [0x1c, 0, 0, 0];
        let _ = self.send_initial(socket, &frame).await;
    }

    /// The answer when the wait ends: what was received wins over why it ended.
    fn finish(&mut self, why: ProbeOutcome) -> Exchange {
        if let Some(f) = self.server_hello.take() {
            let mut x = Exchange::outcome(ProbeOutcome::ServerHello(Box::new(f)));
            x.encrypted_extensions = Some(Err(format!(
                "no EncryptedExtensions: {}",
                self.undecryptable.clone().unwrap_or_else(|| why.describe())
            )));
            return x;
        }
        match (why, self.undecryptable.take()) {
            (ProbeOutcome::Timeout, Some(e)) => Exchange::outcome(ProbeOutcome::Malformed(
                format!("QUIC packets that do not open: {e}"),
            )),
            (why, _) => Exchange::outcome(why),
        }
    }

    fn datagram(&mut self, datagram: &[u8]) -> Step {
        let packets = match split_datagram(datagram) {
            Ok(p) => p,
            Err(e) => {
                return Step::Done(self.finish(ProbeOutcome::Malformed(format!(
                    "a datagram that is not QUIC: {e}"
                ))))
            }
        };
        // Before the ServerHello nothing may come in a short header: not our server's QUIC.
        if matches!(packets.first(), Some(Packet::Short)) && self.server_hello.is_none() {
            return Step::Done(self.finish(ProbeOutcome::Malformed(format!(
                "a datagram that is not a QUIC long-header packet (first byte 0x{:02x})",
                datagram[0]
            ))));
        }
        for packet in packets {
            let step = match packet {
                Packet::VersionNegotiation { dcid, versions, .. } => {
                    // RFC 9000 section 6.2: ignore one that lists the version we sent.
                    if dcid != self.scid || versions.contains(&self.version) {
                        continue;
                    }
                    Step::Done(Exchange {
                        outcome: ProbeOutcome::Malformed(format!(
                            "the server does not speak {} (it offers {})",
                            version_name(self.version),
                            versions
                                .iter()
                                .map(|v| version_name(*v))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                        offered_versions: Some(versions),
                        encrypted_extensions: None,
                    })
                }
                Packet::Retry {
                    dcid,
                    scid,
                    token,
                    bytes,
                    ..
                } => {
                    // One Retry per connection (RFC 9000 section 17.2.5.2), and only one whose
                    // integrity tag proves it answers our first Initial (RFC 9001 section 5.8:
                    // anything else is discarded).
                    if self.retried
                        || dcid != self.scid
                        || token.is_empty()
                        || !retry_tag_valid(self.version, &self.dcid, &bytes)
                    {
                        continue;
                    }
                    // The token goes back in every Initial: one longer than a datagram can
                    // carry would fail the send with an obscure "message too long".
                    if token.len() > MAX_RETRY_TOKEN {
                        return Step::Done(self.finish(ProbeOutcome::Malformed(format!(
                            "a Retry token of {} bytes (more than {MAX_RETRY_TOKEN}): too long \
                             to send back in an Initial",
                            token.len()
                        ))));
                    }
                    let Some(keys) = initial_keys(self.version, &scid) else {
                        continue;
                    };
                    self.retried = true;
                    self.keys = keys;
                    self.dcid = scid;
                    self.token = token;
                    Step::Resend
                }
                Packet::Protected(p) => self.protected(p),
                Packet::Short => continue,
            };
            if !matches!(step, Step::Continue) {
                return step;
            }
        }
        Step::Continue
    }

    fn protected(&mut self, p: Protected) -> Step {
        if p.dcid != self.scid || p.version != self.version {
            return Step::Continue;
        }
        match p.typ {
            LongType::Initial => match open(&p, &self.keys.remote) {
                Ok((_, payload)) => self.frames(&payload, false),
                Err(e) => {
                    self.undecryptable = Some(e);
                    Step::Continue
                }
            },
            LongType::Handshake => {
                let Some(keys) = &self.server_keys else {
                    if self.server_hello.is_none() && !self.kx.is_empty() {
                        self.early_handshake.push(p);
                        self.early_handshake.truncate(16);
                    }
                    return Step::Continue;
                };
                match open(&p, keys) {
                    Ok((_, payload)) => self.frames(&payload, true),
                    Err(e) => {
                        self.undecryptable = Some(format!("Handshake packet: {e}"));
                        Step::Continue
                    }
                }
            }
            LongType::ZeroRtt | LongType::Retry => Step::Continue,
        }
    }

    fn frames(&mut self, payload: &[u8], handshake_space: bool) -> Step {
        let frames = match read_frames(payload) {
            Ok(f) => f,
            Err(e) => {
                return Step::Done(
                    self.finish(ProbeOutcome::Malformed(format!("QUIC frames: {e}"))),
                )
            }
        };
        for frame in frames {
            match frame {
                QuicFrame::Crypto { offset, data } => {
                    let stream = if handshake_space {
                        &mut self.handshake_stream
                    } else {
                        &mut self.initial_stream
                    };
                    if let Err(e) = stream.push(offset, &data) {
                        return Step::Done(self.finish(ProbeOutcome::Malformed(e)));
                    }
                }
                QuicFrame::ConnectionClose {
                    code,
                    application,
                    reason,
                } => {
                    let outcome = match code {
                        // RFC 9001 section 4.8: a TLS alert travels as 0x0100 + its code.
                        0x0100..=0x01ff if !application => ProbeOutcome::Alert(Alert {
                            level: 2,
                            description: AlertDescription((code - 0x100) as u8),
                        }),
                        _ => ProbeOutcome::Malformed(format!(
                            "the server closed the QUIC connection: {}{}",
                            transport_error_name(code),
                            if reason.is_empty() {
                                String::new()
                            } else {
                                format!(" ({reason})")
                            }
                        )),
                    };
                    return Step::Done(self.finish(outcome));
                }
                QuicFrame::Padding | QuicFrame::Ping | QuicFrame::Ack => {}
            }
        }
        if handshake_space {
            self.read_encrypted_extensions()
        } else {
            self.read_server_hello()
        }
    }

    fn read_server_hello(&mut self) -> Step {
        if self.server_hello.is_some() {
            return Step::Continue;
        }
        let new = &self.initial_stream.assembled()[self.initial_fed..];
        self.initial_fed += new.len();
        self.initial_joiner.push(new);
        let (msg, raw) = match self.initial_joiner.pop() {
            Ok(Some(m)) => m,
            Ok(None) => return Step::Continue,
            Err(e) => return Step::Done(self.finish(ProbeOutcome::Malformed(e.to_string()))),
        };
        let HandshakeMessage::ServerHello(hello) = msg else {
            return Step::Done(self.finish(ProbeOutcome::Malformed(format!(
                "expected ServerHello in the server's Initial, got {:?}",
                msg.typ()
            ))));
        };
        let flight = ServerFlight {
            hello,
            record_version: ProtocolVersion::TLS12,
            certificates: None,
            server_key_exchange: None,
            certificate_status: None,
            certificate_request: None,
            complete: true,
            trailing_alert: None,
        };
        let tls13 = flight.hello.negotiated_version() == ProtocolVersion::TLS13;
        if self.kx.is_empty() || flight.hello.is_hello_retry_request() || !tls13 {
            return Step::Done(Exchange::outcome(ProbeOutcome::ServerHello(Box::new(
                flight,
            ))));
        }
        match self.derive(&flight, &raw) {
            Ok(keys) => self.server_keys = Some(keys),
            Err(e) => {
                let mut x = Exchange::outcome(ProbeOutcome::ServerHello(Box::new(flight)));
                x.encrypted_extensions = Some(Err(e));
                return Step::Done(x);
            }
        }
        self.server_hello = Some(flight);
        // Handshake packets that came before the keys (another datagram's) open now.
        for p in std::mem::take(&mut self.early_handshake) {
            if let Step::Done(x) = self.protected(p) {
                return Step::Done(x);
            }
        }
        Step::Continue
    }

    /// The server's handshake traffic keys from our key share and its ServerHello.
    fn derive(
        &mut self,
        flight: &ServerFlight,
        server_hello: &[u8],
    ) -> Result<DirectionalKeys, String> {
        let share = flight
            .hello
            .extension(ExtensionType::KEY_SHARE)
            .and_then(|e| e.parse::<KeyShareEntry>().ok())
            .ok_or("ServerHello without a key share")?;
        let i = self
            .kx
            .iter()
            .position(|k| u16::from(k.group()) == share.group.0)
            .ok_or_else(|| {
                format!(
                    "the server chose {}, for which we sent no share",
                    share.group
                )
            })?;
        let kx = self.kx.swap_remove(i);
        let shared = kx
            .complete(&share.key_exchange)
            .map_err(|e| format!("key exchange with the server's share: {e}"))?;
        let transcript = [self.hello.as_slice(), server_hello].concat();
        handshake_keys(
            flight.hello.cipher_suite.0,
            shared.secret_bytes(),
            &transcript,
            self.version,
        )
    }

    fn read_encrypted_extensions(&mut self) -> Step {
        let new = &self.handshake_stream.assembled()[self.handshake_fed..];
        self.handshake_fed += new.len();
        self.handshake_joiner.push(new);
        let msg = match self.handshake_joiner.pop() {
            Ok(Some((m, _))) => m,
            Ok(None) => return Step::Continue,
            Err(e) => return Step::Done(self.finish(ProbeOutcome::Malformed(e.to_string()))),
        };
        let Some(flight) = self.server_hello.take() else {
            return Step::Continue;
        };
        let ee = match msg {
            HandshakeMessage::Other {
                typ: HandshakeType::ENCRYPTED_EXTENSIONS,
                body,
            } => {
                let mut r = Reader::new(&body);
                read_list::<Extension>(&mut r, 2, "EncryptedExtensions")
                    .and_then(|exts| r.expect_empty("EncryptedExtensions").map(|()| exts))
                    .map_err(|e| format!("EncryptedExtensions: {e}"))
            }
            other => Err(format!(
                "expected EncryptedExtensions, got {:?}",
                other.typ()
            )),
        };
        Step::Done(Exchange {
            outcome: ProbeOutcome::ServerHello(Box::new(flight)),
            offered_versions: None,
            encrypted_extensions: Some(ee),
        })
    }
}

/// The server's handshake-space keys (RFC 8446 section 7.1 for the secret, by the TLS 1.3 key
/// schedule of [`crate::probe::tls13`]; RFC 9001 section 5.1 for the packet keys; RFC 9369
/// section 3.3.2 for version 2's labels).
fn handshake_keys(
    suite: u16,
    shared: &[u8],
    transcript: &[u8],
    version: u32,
) -> Result<DirectionalKeys, String> {
    let hp_alg: &'static aead::quic::Algorithm = match suite {
        0x1301 => &aead::quic::AES_128,
        0x1302 => &aead::quic::AES_256,
        0x1303 => &aead::quic::CHACHA20,
        other => {
            return Err(format!(
                "handshake keys for suite 0x{other:04x} are not implemented (ring has no AES-CCM)"
            ))
        }
    };
    let s = Suite::from_id(suite).ok_or("key derivation failed")?;
    let server = s.server_handshake_secret(shared, &s.hash(transcript));
    quic_keys(s.hkdf(), s.aead(), hp_alg, &server, version)
}

/// Packet and header protection keys from a traffic secret (RFC 9001 section 5.1).
fn quic_keys(
    hkdf_alg: hkdf::Algorithm,
    aead_alg: &'static aead::Algorithm,
    hp_alg: &'static aead::quic::Algorithm,
    secret: &[u8],
    version: u32,
) -> Result<DirectionalKeys, String> {
    let fail = || "key derivation failed".to_string();
    let prk = hkdf::Prk::new_less_safe(hkdf_alg, secret);
    let (key_label, iv_label, hp_label): (&[u8], &[u8], &[u8]) = if version == VERSION_2 {
        (b"quicv2 key", b"quicv2 iv", b"quicv2 hp")
    } else {
        (b"quic key", b"quic iv", b"quic hp")
    };
    let key = expand_label(&prk, key_label, &[], aead_alg.key_len()).ok_or_else(fail)?;
    let iv = expand_label(&prk, iv_label, &[], aead::NONCE_LEN).ok_or_else(fail)?;
    let hp = expand_label(&prk, hp_label, &[], hp_alg.key_len()).ok_or_else(fail)?;
    let key = UnboundKey::new(aead_alg, &key).map_err(|_| fail())?;
    let hp = aead::quic::HeaderProtectionKey::new(hp_alg, &hp).map_err(|_| fail())?;
    let mut nonce = [0u8; aead::NONCE_LEN];
    nonce.copy_from_slice(&iv);
    Ok(DirectionalKeys {
        header: Box::new(RingHeaderKey(hp)),
        packet: Box::new(RingPacketKey {
            key: LessSafeKey::new(key),
            iv: nonce,
        }),
    })
}

/// Header protection with ring (RFC 9001 section 5.4.1), for keys rustls does not derive for
/// us (the handshake space of our own hello).
struct RingHeaderKey(aead::quic::HeaderProtectionKey);

impl RingHeaderKey {
    fn xor(
        &self,
        sample: &[u8],
        first: &mut u8,
        pn: &mut [u8],
        masked: bool,
    ) -> Result<(), rustls::Error> {
        let mask = self.0.new_mask(sample).map_err(|_| {
            rustls::Error::General("header protection sample of the wrong length".into())
        })?;
        let bits = if *first & 0x80 != 0 { 0x0f } else { 0x1f };
        let plain_first = if masked {
            *first ^ (mask[0] & bits)
        } else {
            *first
        };
        let pn_len = usize::from(plain_first & 3) + 1;
        *first ^= mask[0] & bits;
        for (b, m) in pn.iter_mut().zip(&mask[1..]).take(pn_len) {
            *b ^= m;
        }
        Ok(())
    }
}

impl HeaderProtectionKey for RingHeaderKey {
    fn encrypt_in_place(
        &self,
        sample: &[u8],
        first: &mut u8,
        pn: &mut [u8],
    ) -> Result<(), rustls::Error> {
        self.xor(sample, first, pn, false)
    }

    fn decrypt_in_place(
        &self,
        sample: &[u8],
        first: &mut u8,
        pn: &mut [u8],
    ) -> Result<(), rustls::Error> {
        self.xor(sample, first, pn, true)
    }

    fn sample_len(&self) -> usize {
        self.0.algorithm().sample_len()
    }
}

/// Packet protection with ring (RFC 9001 section 5.3): the nonce is the IV XOR the packet
/// number.
struct RingPacketKey {
    key: LessSafeKey,
    iv: [u8; aead::NONCE_LEN],
}

impl RingPacketKey {
    fn nonce(&self, pn: u64) -> Nonce {
        let mut nonce = self.iv;
        for (n, p) in nonce[4..].iter_mut().zip(pn.to_be_bytes()) {
            *n ^= p;
        }
        Nonce::assume_unique_for_key(nonce)
    }
}

impl PacketKey for RingPacketKey {
    fn encrypt_in_place(
        &self,
        pn: u64,
        header: &[u8],
        payload: &mut [u8],
    ) -> Result<Tag, rustls::Error> {
        self.key
            .seal_in_place_separate_tag(self.nonce(pn), Aad::from(header), payload)
            .map(|t| Tag::from(t.as_ref()))
            .map_err(|_| rustls::Error::EncryptError)
    }

    fn decrypt_in_place<'a>(
        &self,
        pn: u64,
        header: &[u8],
        payload: &'a mut [u8],
    ) -> Result<&'a [u8], rustls::Error> {
        self.key
            .open_in_place(self.nonce(pn), Aad::from(header), payload)
            .map(|p| &*p)
            .map_err(|_| rustls::Error::DecryptError)
    }

    fn tag_len(&self) -> usize {
        self.key.algorithm().tag_len()
    }

    fn confidentiality_limit(&self) -> u64 {
        1 << 23
    }

    fn integrity_limit(&self) -> u64 {
        1 << 52
    }
}

/// The private halves of key shares sent, to finish the key exchange with.
pub type KeyShares = Vec<Box<dyn ActiveKeyExchange>>;

/// Real key shares for every group of `groups` we can make one for (ring's curves and the
/// hybrids of [`crate::probe::hybrid`]), in that order, with the private halves to finish them. A
/// QUIC hello carries several: some QUIC servers (aioquic) never send HelloRetryRequest and
/// refuse a hello without a share they can use.
pub fn key_shares(groups: &[crate::wire::NamedGroup]) -> (Vec<KeyShareEntry>, KeyShares) {
    let provider = crate::probe::hybrid::provider();
    let mut entries = Vec::new();
    let mut kx = Vec::new();
    for g in groups {
        let Some(group) = provider
            .kx_groups
            .iter()
            .find(|k| u16::from(k.name()) == g.0)
        else {
            continue;
        };
        let Ok(active) = group.start() else {
            continue;
        };
        entries.push(KeyShareEntry {
            group: *g,
            key_exchange: active.pub_key().to_vec(),
        });
        kx.push(active);
    }
    (entries, kx)
}

/// The read path of a QUIC probe over `datagrams`, as the client of RFC 9001 appendix A
/// (destination connection id 8394c8f03e515708, an empty source connection id, QUIC v1): what
/// the fuzz target (`tlsaudit::fuzzing::quic`) runs. Never panics.
#[doc(hidden)]
pub fn read_datagrams(datagrams: &[&[u8]], max: usize) -> ProbeOutcome {
    const DCID: [u8; 8] = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
    let version = crate::wire::quic::VERSION_1;
    let Some(keys) = initial_keys(version, &DCID) else {
        return ProbeOutcome::Closed;
    };
    let mut hs = Handshake::new(version, DCID.to_vec(), vec![], keys, vec![], vec![], max);
    for d in datagrams {
        match hs.datagram(d) {
            Step::Done(x) => return x.outcome,
            Step::Continue | Step::Resend => {}
        }
    }
    hs.finish(ProbeOutcome::Timeout).outcome
}

/// Like [`read_datagrams`], but each of `payloads` is the plaintext of one server Initial
/// packet, sealed here under the server's Initial keys of RFC 9001 appendix A: the fuzzer
/// reaches the frames, the CRYPTO reassembly and the ServerHello behind packet protection
/// (no mutation of a sealed packet keeps its tag valid). A payload too large for one Initial
/// is left out.
#[doc(hidden)]
pub fn read_initial_payloads(payloads: &[&[u8]], max: usize) -> ProbeOutcome {
    const DCID: [u8; 8] = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
    let version = crate::wire::quic::VERSION_1;
    let (Some(keys), Some(server)) = (initial_keys(version, &DCID), server_initial_keys(&DCID))
    else {
        return ProbeOutcome::Closed;
    };
    let mut hs = Handshake::new(version, DCID.to_vec(), vec![], keys, vec![], vec![], max);
    for (pn, payload) in payloads.iter().enumerate() {
        let header = InitialHeader {
            version,
            dcid: &[],
            scid: &[0x5e; 8],
            token: &[],
            packet_number: pn as u32,
        };
        let Ok(datagram) = seal_initial(&header, payload, 0, &server.local) else {
            continue;
        };
        match hs.datagram(&datagram) {
            Step::Done(x) => return x.outcome,
            Step::Continue | Step::Resend => {}
        }
    }
    hs.finish(ProbeOutcome::Timeout).outcome
}

/// The server side's Initial keys for `dcid` (QUIC v1), for [`read_initial_payloads`].
fn server_initial_keys(dcid: &[u8]) -> Option<Keys> {
    let rustls::SupportedCipherSuite::Tls13(suite) =
        rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256
    else {
        return None;
    };
    Some(Keys::initial(
        Version::V1,
        suite,
        suite.quic?,
        dcid,
        Side::Server,
    ))
}

/// What EncryptedExtensions say about QUIC: the ALPN chosen and the transport parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerQuicExtensions {
    pub alpn: Option<String>,
    pub transport_parameters: Option<Result<Vec<TransportParameter>, String>>,
}

/// Reads the ALPN and the transport parameters out of EncryptedExtensions.
pub fn server_extensions(exts: &[Extension]) -> ServerQuicExtensions {
    let alpn = exts
        .iter()
        .find(|e| e.typ == ExtensionType::ALPN)
        .and_then(|e| e.parse::<ProtocolNameList>().ok())
        .and_then(|l| l.0.into_iter().next())
        .map(|p| String::from_utf8_lossy(&p.0).into_owned());
    let transport_parameters = exts
        .iter()
        .find(|e| e.typ == ExtensionType::QUIC_TRANSPORT_PARAMETERS)
        .map(|e| read_transport_parameters(&e.data).map_err(|e| e.to_string()));
    ServerQuicExtensions {
        alpn,
        transport_parameters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Our ring-made packet keys agree with rustls's on RFC 9001 appendix A.1's client
    /// Initial secret: a packet sealed by one opens with the other.
    #[test]
    fn ring_keys_match_rustls_initial_keys() {
        let dcid = unhex("8394c8f03e515708");
        // client_initial_secret of RFC 9001 appendix A.1.
        let secret = unhex("c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea");
        let ours = quic_keys(
            hkdf::HKDF_SHA256,
            &aead::AES_128_GCM,
            &aead::quic::AES_128,
            &secret,
            crate::wire::quic::VERSION_1,
        )
        .unwrap();
        let theirs = initial_keys(crate::wire::quic::VERSION_1, &dcid).unwrap();
        let header = InitialHeader {
            version: crate::wire::quic::VERSION_1,
            dcid: &dcid,
            scid: &[],
            token: &[],
            packet_number: 7,
        };
        let sealed = seal_initial(&header, &crypto_frame(0, b"hello"), 1200, &ours).unwrap();
        let by_rustls =
            seal_initial(&header, &crypto_frame(0, b"hello"), 1200, &theirs.local).unwrap();
        assert_eq!(sealed, by_rustls);
        let [Packet::Protected(p)] = &split_datagram(&sealed).unwrap()[..] else {
            panic!()
        };
        assert_eq!(open(p, &ours).unwrap().0, 7);
    }

    /// RFC 8448 section 3 (simple 1-RTT handshake): the X25519 secret and the hash of
    /// ClientHello..ServerHello give its server handshake traffic secret.
    #[test]
    fn handshake_secret_matches_rfc8448() {
        let shared = unhex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d");
        let th = unhex("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8");
        let suite = Suite::from_id(0x1301).unwrap();
        assert_eq!(
            suite.server_handshake_secret(&shared, &th),
            unhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
        );
    }

    #[test]
    fn the_hello_carried_over_quic_follows_rfc9001_section_8() {
        let hello = ClientHello {
            legacy_version: ProtocolVersion::TLS12,
            random: [7; 32],
            session_id: vec![1; 32],
            cipher_suites: vec![crate::wire::CipherSuite(0x1301)],
            compression_methods: vec![0],
            extensions: Some(vec![Extension {
                typ: ExtensionType::PADDING,
                data: vec![0; 100],
            }]),
        };
        let carried = carry(hello, &[1, 2, 3, 4]);
        assert!(carried.session_id.is_empty());
        assert!(carried.extension(ExtensionType::PADDING).is_none());
        let alpn: ProtocolNameList = carried
            .extension(ExtensionType::ALPN)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(alpn.0, vec![ProtocolName(b"h3".to_vec())]);
        let tp = read_transport_parameters(
            &carried
                .extension(ExtensionType::QUIC_TRANSPORT_PARAMETERS)
                .unwrap()
                .data,
        )
        .unwrap();
        assert!(tp.contains(&TransportParameter {
            id: 0x0f,
            value: vec![1, 2, 3, 4]
        }));
    }

    #[test]
    fn a_handshake_with_garbage_answers_is_malformed_not_a_panic() {
        let keys = initial_keys(crate::wire::quic::VERSION_1, &[1; 8]).unwrap();
        let mut hs = Handshake::new(
            crate::wire::quic::VERSION_1,
            vec![1; 8],
            vec![2; 8],
            keys,
            vec![],
            vec![],
            1000,
        );
        assert!(matches!(
            hs.datagram(b"SSH-2.0-OpenSSH_9.2\r\n"),
            Step::Done(Exchange {
                outcome: ProbeOutcome::Malformed(_),
                ..
            })
        ));
        // A well-formed Initial to us that does not decrypt is dropped, then named.
        let mut forged = vec![0xc0, 0, 0, 0, 1, 8];
        forged.extend([2; 8]);
        forged.extend([0, 0, 0x40, 40]);
        forged.extend([0x55; 40]);
        assert!(matches!(hs.datagram(&forged), Step::Continue));
        let Exchange { outcome, .. } = hs.finish(ProbeOutcome::Timeout);
        assert!(
            matches!(&outcome, ProbeOutcome::Malformed(m) if m.contains("do not open")),
            "{outcome:?}"
        );
    }

    /// A server whose Initial carries thousands of one-byte CRYPTO frames past a gap (and
    /// empty ones): the probe ends with a clear error once too many pieces wait, instead of
    /// scanning every kept piece on each frame.
    #[test]
    fn crypto_frames_in_too_many_pieces_end_the_probe() {
        let mut payload = Vec::new();
        // 1,200 of each: past the ceiling of pieces, within one Initial's 16 KB.
        for i in 0..1200u64 {
            payload.extend(crate::wire::quic::crypto_frame(10 + 2 * i, b"x"));
            payload.extend(crate::wire::quic::crypto_frame(1 + i, b""));
        }
        let outcome = read_initial_payloads(&[&payload], 256 * 1024);
        assert!(
            matches!(&outcome, ProbeOutcome::Malformed(m) if m.contains("pieces")),
            "{outcome:?}"
        );
        // The sealed path reads frames: a CONNECTION_CLOSE with a TLS alert is the alert.
        let outcome = read_initial_payloads(&[&[0x1c, 0x41, 0x28, 0, 0]], 256 * 1024);
        assert!(
            matches!(&outcome, ProbeOutcome::Alert(a) if a.description.0 == 40),
            "{outcome:?}"
        );
    }

    /// RFC 9001 appendix A.4: the Retry the server sends to the client Initial of A.2 carries
    /// a tag we compute and accept; any other original connection id or a changed byte fails.
    #[test]
    fn retry_integrity_tag_matches_rfc9001_appendix_a4() {
        use crate::wire::quic::VERSION_1;
        let retry =
            unhex("ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba");
        let odcid = unhex("8394c8f03e515708");
        assert!(retry_tag_valid(VERSION_1, &odcid, &retry));
        assert!(!retry_tag_valid(VERSION_1, &odcid[1..], &retry));
        assert!(!retry_tag_valid(
            crate::wire::quic::VERSION_2,
            &odcid,
            &retry
        ));
        let mut changed = retry.clone();
        changed[10] ^= 1;
        assert!(!retry_tag_valid(VERSION_1, &odcid, &changed));
        assert!(!retry_tag_valid(VERSION_1, &odcid, &retry[..10]));
        // In a probe: the genuine Retry makes the Initial go again (with its token), a forged
        // one is discarded as if it never came.
        let probe = || {
            let keys = initial_keys(VERSION_1, &odcid).unwrap();
            Handshake::new(
                VERSION_1,
                odcid.clone(),
                vec![],
                keys,
                vec![],
                vec![],
                1 << 16,
            )
        };
        assert!(matches!(probe().datagram(&retry), Step::Resend));
        assert!(matches!(probe().datagram(&changed), Step::Continue));
    }

    /// A Retry whose token is longer than any Initial can carry back ends the probe with a
    /// clear error (the send used to fail with the socket's "message too long").
    #[test]
    fn a_retry_token_too_long_to_send_back_is_malformed() {
        use crate::wire::quic::VERSION_1;
        let retry = |token_len: usize| {
            // Long header, fixed bit, type Retry (3), version 1, dcid = our (empty) scid,
            // scid of 8 bytes, the token and the integrity tag for read_datagrams' Initial.
            let mut d = vec![0xf0, 0, 0, 0, 1, 0, 8];
            d.extend([0x5e; 8]);
            d.extend(vec![0x77; token_len]);
            d.extend([0; 16]);
            let tag = retry_tag(VERSION_1, &unhex("8394c8f03e515708"), &d).unwrap();
            let at = d.len() - 16;
            d[at..].copy_from_slice(&tag);
            d
        };
        let long = retry(MAX_RETRY_TOKEN + 1);
        let outcome = read_datagrams(&[&long], 256 * 1024);
        assert!(
            matches!(&outcome, ProbeOutcome::Malformed(m) if m.contains("Retry token of 1025 bytes")),
            "{outcome:?}"
        );
        let short = retry(40);
        assert!(matches!(
            read_datagrams(&[&short], 256 * 1024),
            ProbeOutcome::Timeout
        ));
    }
}
