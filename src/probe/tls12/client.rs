//! The sans-IO client: bytes in ([`Client::feed`]), [`Event`]s and bytes to send out. It does
//! the TLS 1.0–1.2 full handshake (RFC 5246 section 7.3) and nothing a scanner does not need:
//! no certificate verification, no resumption, no client certificate (an empty Certificate
//! answers a CertificateRequest, RFC 5246 section 7.4.6).
//!
//! The caller drives it: [`Client::client_hello`], feed until [`Event::ServerHelloDone`], then
//! [`Client::key_exchange`] (or a malformed one for ROBOT), feed until
//! [`Event::HandshakeComplete`]. Every step's output is whole records; nothing is hidden, so a
//! check can send something else instead (an early ChangeCipherSpec, a bad padding).

use std::collections::VecDeque;

use rand::RngCore;

use crate::wire::codec::put_len_prefixed;
use crate::wire::record::MAX_PLAINTEXT;
use crate::wire::{
    Alert, AlertDescription, CertificateList, CipherSuite, ClientHello, Codec, ContentType,
    Deframer, EcPointFormatList, Extension, ExtensionType, Frame, HandshakeJoiner,
    HandshakeMessage, HandshakeType, NamedGroup, NamedGroupList, ProtocolVersion, Reader,
    ServerHello, ServerKeyExchangeParams, ServerNameList, SignatureScheme, SignatureSchemeList,
};

use super::keys::{self, KeyMaterial, Prf};
use super::kx::{self, KxOutput, RsaKey};
use super::record::{Padding, RecordProtection};
use super::suite::{KeyExchangeKind, SuiteParams};
use super::Tls12Error;

/// The largest handshake message accepted (a long certificate chain fits).
pub const MAX_HANDSHAKE_MESSAGE: usize = 1 << 17;

/// What to offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The highest version offered: `ClientHello.client_version` (TLS 1.0, 1.1 or 1.2).
    pub version: ProtocolVersion,
    /// The version in the ClientHello's record header (TLS 1.0 is what most clients send).
    pub record_version: ProtocolVersion,
    pub suites: Vec<CipherSuite>,
    /// `server_name` (RFC 6066), if any.
    pub sni: Option<String>,
    /// `supported_groups`: ECDHE curves and RFC 7919 FFDHE groups.
    pub groups: Vec<NamedGroup>,
    /// Offer `extended_master_secret` (RFC 7627).
    pub extended_master_secret: bool,
    /// Offer `encrypt_then_mac` (RFC 7366).
    pub encrypt_then_mac: bool,
    /// Offer `renegotiation_info` (RFC 5746).
    pub renegotiation_info: bool,
    /// `ClientHello.session_id` (at most 32 bytes).
    pub session_id: Vec<u8>,
    /// `session_ticket` (RFC 5077): `Some(vec![])` asks for a ticket, `Some(ticket)` offers one.
    pub session_ticket: Option<Vec<u8>>,
}

impl ClientConfig {
    /// A hello for `version` offering `suites`, every group and scheme this client can use,
    /// extended_master_secret, encrypt_then_mac and renegotiation_info.
    pub fn new(version: ProtocolVersion, suites: Vec<CipherSuite>) -> Self {
        Self {
            version,
            record_version: ProtocolVersion::TLS10,
            suites,
            sni: None,
            groups: vec![
                NamedGroup::X25519,
                NamedGroup::SECP256R1,
                NamedGroup::SECP384R1,
                NamedGroup::FFDHE2048,
                NamedGroup::FFDHE3072,
                NamedGroup::FFDHE4096,
                NamedGroup::FFDHE6144,
                NamedGroup::FFDHE8192,
            ],
            extended_master_secret: true,
            encrypt_then_mac: true,
            renegotiation_info: true,
            session_id: Vec::new(),
            session_ticket: None,
        }
    }

    pub fn with_sni(mut self, sni: Option<String>) -> Self {
        self.sni = sni;
        self
    }
}

/// Signature schemes offered in TLS 1.2 (we verify none; these let any server sign).
const SCHEMES: [SignatureScheme; 14] = [
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
    SignatureScheme::ED25519,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::RSA_PKCS1_SHA1,
    SignatureScheme::ECDSA_SHA1,
    SignatureScheme::DSA_SHA256,
    SignatureScheme::DSA_SHA1,
];

/// Something the server did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The ServerHello, as sent (also the one of a renegotiation).
    ServerHello(ServerHello),
    /// The flight is complete: call [`Client::key_exchange`].
    ServerHelloDone,
    /// NewSessionTicket (RFC 5077 section 3.3).
    NewSessionTicket {
        lifetime_hint: u32,
        ticket: Vec<u8>,
    },
    /// The server's ChangeCipherSpec.
    ChangeCipherSpec,
    /// The server's Finished arrived and verified.
    HandshakeComplete,
    /// HelloRequest (RFC 5246 section 7.4.1.1).
    HelloRequest,
    ApplicationData(Vec<u8>),
    /// An alert, decrypted when the connection is protected; the level says whether it ends it.
    Alert(Alert),
}

/// What the client learned in its last completed handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeInfo {
    pub version: ProtocolVersion,
    pub suite: CipherSuite,
    /// DER certificates as sent, leaf first (not verified).
    pub certificates: Vec<Vec<u8>>,
    pub session_id: Vec<u8>,
    /// The server echoed extended_master_secret, and it was used.
    pub extended_master_secret: bool,
    /// The server echoed encrypt_then_mac for a CBC suite, and it is used.
    pub encrypt_then_mac: bool,
    /// The server echoed renegotiation_info (RFC 5746).
    pub secure_renegotiation: bool,
    /// The ECDHE curve, or the FFDHE prime's size in bits, of the key exchange.
    pub group: Option<NamedGroup>,
    pub dh_bits: Option<u64>,
    /// A NewSessionTicket the server sent, if any.
    pub ticket: Option<Vec<u8>>,
}

/// What the ClientKeyExchange carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Premaster {
    /// The real key exchange of the suite.
    Normal,
    /// RSA suites only: this whole PKCS#1 block (the modulus length), encrypted as is with
    /// textbook RSA — ROBOT's malformed paddings.
    RsaBlock(Vec<u8>),
}

/// What follows the ClientKeyExchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterKeyExchange {
    /// ChangeCipherSpec and a real Finished.
    Finished,
    /// ChangeCipherSpec and a handshake record of 48 fixed bytes that is no Finished under any
    /// key (ROBOT: the server's reaction must not depend on the premaster).
    GarbageFinished,
    /// Nothing: the ClientKeyExchange alone.
    Nothing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    ServerHello,
    Flight,
    FlightDone,
    ServerCcs,
    ServerFinished,
    Established,
    /// After a non-standard flight (ROBOT): only alerts and closes are expected.
    Probing,
    Failed,
}

#[derive(Debug, Clone)]
struct Negotiated {
    version: ProtocolVersion,
    params: SuiteParams,
    hello: ServerHello,
    ems: bool,
    etm: bool,
    secure_renegotiation: bool,
}

/// The client state machine. Never panics on input; every buffer is bounded by what the caller
/// feeds (the driver enforces a byte ceiling).
#[derive(Debug)]
pub struct Client {
    cfg: ClientConfig,
    state: State,
    deframer: Deframer,
    joiner: HandshakeJoiner,
    client_random: [u8; 32],
    transcript: Vec<u8>,
    negotiated: Option<Negotiated>,
    certificates: Vec<Vec<u8>>,
    server_key_exchange: Option<Vec<u8>>,
    certificate_requested: bool,
    group: Option<NamedGroup>,
    dh_bits: Option<u64>,
    master: Option<[u8; 48]>,
    read: Option<RecordProtection>,
    pending_read: Option<RecordProtection>,
    write: Option<RecordProtection>,
    client_verify: Vec<u8>,
    server_verify: Vec<u8>,
    ticket: Option<Vec<u8>>,
    renegotiating: bool,
    events: VecDeque<Event>,
}

impl Client {
    pub fn new(cfg: ClientConfig) -> Self {
        Self {
            cfg,
            state: State::Start,
            deframer: Deframer::default(),
            joiner: HandshakeJoiner::new(MAX_HANDSHAKE_MESSAGE),
            client_random: [0; 32],
            transcript: Vec::new(),
            negotiated: None,
            certificates: Vec::new(),
            server_key_exchange: None,
            certificate_requested: false,
            group: None,
            dh_bits: None,
            master: None,
            read: None,
            pending_read: None,
            write: None,
            client_verify: Vec::new(),
            server_verify: Vec::new(),
            ticket: None,
            renegotiating: false,
            events: VecDeque::new(),
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// The ClientHello, as records. Call once, first.
    pub fn client_hello(&mut self) -> Result<Vec<u8>, Tls12Error> {
        if self.state != State::Start {
            return Err(Tls12Error::Protocol("ClientHello already sent".into()));
        }
        let msg = self.new_hello(None);
        self.state = State::ServerHello;
        Ok(self.write_handshake(&msg))
    }

    /// A renegotiation: a new ClientHello inside the established session, carrying the last
    /// client verify_data in renegotiation_info when the server supports RFC 5746 (section
    /// 3.5), as records protected under the current keys.
    pub fn renegotiation_hello(&mut self) -> Result<Vec<u8>, Tls12Error> {
        if self.state != State::Established {
            return Err(Tls12Error::Protocol(
                "renegotiation needs an established session".into(),
            ));
        }
        let secure = self
            .negotiated
            .as_ref()
            .is_some_and(|n| n.secure_renegotiation);
        let verify = self.client_verify.clone();
        let msg = self.new_hello(secure.then_some(&verify[..]));
        self.certificates.clear();
        self.server_key_exchange = None;
        self.certificate_requested = false;
        self.renegotiating = true;
        self.state = State::ServerHello;
        Ok(self.write_handshake(&msg))
    }

    fn new_hello(&mut self, renegotiation: Option<&[u8]>) -> Vec<u8> {
        rand::thread_rng().fill_bytes(&mut self.client_random);
        let c = &self.cfg;
        let mut exts = Vec::new();
        if let Some(name) = &c.sni {
            exts.push(Extension::new(
                ExtensionType::SERVER_NAME,
                &ServerNameList::host(name),
            ));
        }
        exts.push(Extension::new(
            ExtensionType::SUPPORTED_GROUPS,
            &NamedGroupList(c.groups.clone()),
        ));
        exts.push(Extension::new(
            ExtensionType::EC_POINT_FORMATS,
            &EcPointFormatList(vec![0]),
        ));
        if c.version >= ProtocolVersion::TLS12 {
            exts.push(Extension::new(
                ExtensionType::SIGNATURE_ALGORITHMS,
                &SignatureSchemeList(SCHEMES.to_vec()),
            ));
        }
        if let Some(t) = &c.session_ticket {
            exts.push(Extension {
                typ: ExtensionType::SESSION_TICKET,
                data: t.clone(),
            });
        }
        if c.extended_master_secret {
            exts.push(Extension::empty(ExtensionType::EXTENDED_MASTER_SECRET));
        }
        if c.encrypt_then_mac {
            exts.push(Extension::empty(ExtensionType::ENCRYPT_THEN_MAC));
        }
        if c.renegotiation_info || renegotiation.is_some() {
            let mut data = Vec::new();
            put_len_prefixed(&mut data, 1, |o| {
                o.extend_from_slice(renegotiation.unwrap_or(&[]))
            });
            exts.push(Extension {
                typ: ExtensionType::RENEGOTIATION_INFO,
                data,
            });
        }
        let mut hello = ClientHello {
            legacy_version: c.version,
            random: self.client_random,
            session_id: c.session_id.clone(),
            cipher_suites: c.suites.clone(),
            compression_methods: vec![0],
            extensions: Some(exts),
        };
        hello.pad_past_512();
        self.transcript.clear();
        HandshakeMessage::ClientHello(hello).to_bytes()
    }

    /// A plaintext ChangeCipherSpec record, whatever the state (CCS injection sends it early).
    pub fn change_cipher_spec_record(&self) -> Vec<u8> {
        record(ContentType::CHANGE_CIPHER_SPEC, self.record_version(), &[1])
    }

    /// The version for record headers: the negotiated one, else the hello's record version.
    pub fn record_version(&self) -> ProtocolVersion {
        self.negotiated
            .as_ref()
            .map_or(self.cfg.record_version, |n| n.version)
    }

    /// The negotiated version and suite, once the ServerHello is in.
    pub fn negotiated(&self) -> Option<(ProtocolVersion, CipherSuite)> {
        self.negotiated
            .as_ref()
            .map(|n| (n.version, n.params.suite))
    }

    /// The certificates of the current flight, leaf first.
    pub fn certificates(&self) -> &[Vec<u8>] {
        &self.certificates
    }

    /// Bytes fed but not yet a whole record.
    pub fn buffered(&self) -> usize {
        self.deframer.buffered()
    }

    /// The handshake's facts, once it is complete.
    pub fn info(&self) -> Option<HandshakeInfo> {
        let n = self.negotiated.as_ref()?;
        if self.state != State::Established {
            return None;
        }
        Some(HandshakeInfo {
            version: n.version,
            suite: n.params.suite,
            certificates: self.certificates.clone(),
            session_id: n.hello.session_id.clone(),
            extended_master_secret: n.ems,
            encrypt_then_mac: n.etm,
            secure_renegotiation: n.secure_renegotiation,
            group: self.group,
            dh_bits: self.dh_bits,
            ticket: self.ticket.clone(),
        })
    }

    pub fn is_established(&self) -> bool {
        self.state == State::Established
    }

    /// The next thing the server did, in order.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Feeds bytes from the server. Events queue up; an error ends the session (events queued
    /// before it stay readable).
    pub fn feed(&mut self, data: &[u8]) -> Result<(), Tls12Error> {
        if self.state == State::Failed {
            return Err(Tls12Error::Protocol("session already failed".into()));
        }
        self.deframer.push(data);
        let r = self.process();
        if r.is_err() {
            self.state = State::Failed;
        }
        r
    }

    fn process(&mut self) -> Result<(), Tls12Error> {
        loop {
            let frame = match self.deframer.pop() {
                Ok(Some(f)) => f,
                Ok(None) => return Ok(()),
                Err(e) => return Err(Tls12Error::Decode(e.to_string())),
            };
            let Frame::Record {
                content_type,
                payload,
                ..
            } = frame
            else {
                return Err(Tls12Error::Decode("SSLv2 record".into()));
            };
            let plain = match self.read.as_mut() {
                Some(r) => r.open(content_type, &payload)?,
                None => payload,
            };
            self.record(content_type, plain)?;
        }
    }

    fn record(&mut self, ct: ContentType, plain: Vec<u8>) -> Result<(), Tls12Error> {
        match ct {
            ContentType::ALERT => {
                let alert = Alert::from_bytes(plain.get(..2).unwrap_or(&plain))
                    .map_err(|e| Tls12Error::Decode(e.to_string()))?;
                self.events.push_back(Event::Alert(alert));
                Ok(())
            }
            ContentType::CHANGE_CIPHER_SPEC => {
                if plain != [1] {
                    return Err(Tls12Error::Decode("ChangeCipherSpec is not [1]".into()));
                }
                self.events.push_back(Event::ChangeCipherSpec);
                match self.state {
                    State::ServerCcs => {
                        self.read = self.pending_read.take();
                        self.state = State::ServerFinished;
                        Ok(())
                    }
                    State::Flight => Err(Tls12Error::Unsupported(
                        "the server resumed the session (abbreviated handshake)".into(),
                    )),
                    State::Probing => Ok(()),
                    _ => Err(Tls12Error::Protocol("unexpected ChangeCipherSpec".into())),
                }
            }
            ContentType::APPLICATION_DATA => {
                if self.read.is_none() {
                    return Err(Tls12Error::Protocol(
                        "application data before encryption".into(),
                    ));
                }
                self.events.push_back(Event::ApplicationData(plain));
                Ok(())
            }
            ContentType::HANDSHAKE => {
                self.joiner.push(&plain);
                loop {
                    match self.joiner.pop() {
                        Ok(None) => return Ok(()),
                        Ok(Some((msg, raw))) => self.handshake(msg, raw)?,
                        Err(e) => return Err(Tls12Error::Decode(e.to_string())),
                    }
                }
            }
            other => Err(Tls12Error::Protocol(format!("unexpected {other} record"))),
        }
    }

    fn handshake(&mut self, msg: HandshakeMessage, raw: Vec<u8>) -> Result<(), Tls12Error> {
        let typ = msg.typ();
        // RFC 5246 section 7.4.1.1: HelloRequest is never part of the transcript.
        if typ == HandshakeType::HELLO_REQUEST {
            self.events.push_back(Event::HelloRequest);
            return Ok(());
        }
        match (self.state, msg) {
            (State::ServerHello, HandshakeMessage::ServerHello(sh)) => {
                self.transcript.extend_from_slice(&raw);
                self.server_hello(sh)
            }
            (State::Flight, msg) => {
                self.transcript.extend_from_slice(&raw);
                match msg {
                    HandshakeMessage::Certificate(CertificateList(c)) => self.certificates = c,
                    HandshakeMessage::CertificateStatus(_) => {}
                    HandshakeMessage::Other {
                        typ: HandshakeType::SERVER_KEY_EXCHANGE,
                        body,
                    } => self.server_key_exchange = Some(body),
                    HandshakeMessage::Other {
                        typ: HandshakeType::CERTIFICATE_REQUEST,
                        ..
                    } => self.certificate_requested = true,
                    HandshakeMessage::ServerHelloDone => {
                        self.state = State::FlightDone;
                        self.events.push_back(Event::ServerHelloDone);
                    }
                    other => {
                        return Err(Tls12Error::Protocol(format!(
                            "unexpected {} in the server's flight",
                            other.typ()
                        )))
                    }
                }
                Ok(())
            }
            (
                State::ServerCcs,
                HandshakeMessage::Other {
                    typ: HandshakeType::NEW_SESSION_TICKET,
                    body,
                },
            ) => {
                self.transcript.extend_from_slice(&raw);
                // RFC 5077 section 3.3: lifetime hint, then the ticket behind a u16 length.
                let mut r = Reader::new(&body);
                let lifetime_hint = r
                    .u32("NewSessionTicket.lifetime_hint")
                    .map_err(|e| Tls12Error::Decode(e.to_string()))?;
                let ticket = r
                    .sub_u16("NewSessionTicket.ticket")
                    .map_err(|e| Tls12Error::Decode(e.to_string()))?
                    .rest()
                    .to_vec();
                self.ticket = Some(ticket.clone());
                self.events.push_back(Event::NewSessionTicket {
                    lifetime_hint,
                    ticket,
                });
                Ok(())
            }
            (
                State::ServerFinished,
                HandshakeMessage::Other {
                    typ: HandshakeType::FINISHED,
                    body,
                },
            ) => {
                let (Some(n), Some(master)) = (&self.negotiated, &self.master) else {
                    return Err(Tls12Error::Protocol("Finished without keys".into()));
                };
                let want =
                    keys::verify_data(n.params.prf(n.version), master, false, &self.transcript);
                if body != want {
                    return Err(Tls12Error::Protocol(
                        "the server's Finished does not verify".into(),
                    ));
                }
                self.transcript.extend_from_slice(&raw);
                self.server_verify = body;
                self.state = State::Established;
                self.renegotiating = false;
                self.events.push_back(Event::HandshakeComplete);
                Ok(())
            }
            (state, msg) => Err(Tls12Error::Protocol(format!(
                "unexpected {} in state {state:?}",
                msg.typ()
            ))),
        }
    }

    fn server_hello(&mut self, sh: ServerHello) -> Result<(), Tls12Error> {
        let version = sh.negotiated_version();
        if version < ProtocolVersion::TLS10 || version > self.cfg.version {
            return Err(Tls12Error::Protocol(format!(
                "the server chose {version}, offered up to {}",
                self.cfg.version
            )));
        }
        if !self.cfg.suites.contains(&sh.cipher_suite) {
            return Err(Tls12Error::Protocol(format!(
                "the server chose {}, which was not offered",
                sh.cipher_suite
            )));
        }
        let params = SuiteParams::of(sh.cipher_suite)
            .filter(|p| p.valid_for(version))
            .ok_or_else(|| Tls12Error::Unsupported(format!("{} at {version}", sh.cipher_suite)))?;
        if sh.compression_method != 0 {
            return Err(Tls12Error::Unsupported(format!(
                "compression method {}",
                sh.compression_method
            )));
        }
        let has = |t| sh.extension(t).is_some();
        let ems = self.cfg.extended_master_secret && has(ExtensionType::EXTENDED_MASTER_SECRET);
        let etm =
            self.cfg.encrypt_then_mac && params.is_cbc() && has(ExtensionType::ENCRYPT_THEN_MAC);
        let ri = sh.extension(ExtensionType::RENEGOTIATION_INFO).cloned();
        if let Some(ri) = &ri {
            // RFC 5746 section 3.4 and 3.5: empty at first, both verify_data on renegotiation.
            let mut want = Vec::new();
            if self.renegotiating {
                want.extend_from_slice(&self.client_verify);
                want.extend_from_slice(&self.server_verify);
            }
            let mut r = Reader::new(&ri.data);
            let got = r
                .sub_u8("renegotiation_info")
                .map_err(|e| Tls12Error::Decode(e.to_string()))?
                .rest();
            if got != want || !r.is_empty() {
                return Err(Tls12Error::Protocol(
                    "renegotiation_info does not match".into(),
                ));
            }
        }
        self.events.push_back(Event::ServerHello(sh.clone()));
        self.negotiated = Some(Negotiated {
            version,
            params,
            hello: sh,
            ems,
            etm,
            secure_renegotiation: ri.is_some(),
        });
        self.state = State::Flight;
        Ok(())
    }

    fn kx(&mut self, n: &Negotiated, premaster: &Premaster) -> Result<KxOutput, Tls12Error> {
        let kx_err = |e: kx::KxError| Tls12Error::Protocol(e.to_string());
        match (n.params.kx, premaster) {
            (KeyExchangeKind::Rsa, p) => {
                let leaf = self
                    .certificates
                    .first()
                    .ok_or_else(|| Tls12Error::Protocol("no server certificate".into()))?;
                let key = RsaKey::from_certificate(leaf).map_err(kx_err)?;
                match p {
                    Premaster::Normal => kx::rsa(&key, self.cfg.version.0).map_err(kx_err),
                    Premaster::RsaBlock(block) => {
                        let enc = key.encrypt_raw(block).map_err(kx_err)?;
                        // The server cannot decrypt this to anything we know: keys from a
                        // random premaster stand in for whatever it derives.
                        let mut premaster = vec![0u8; 48];
                        rand::thread_rng().fill_bytes(&mut premaster);
                        Ok(KxOutput {
                            premaster,
                            client_key_exchange: kx::rsa_client_key_exchange(&enc),
                        })
                    }
                }
            }
            (_, Premaster::RsaBlock(_)) => Err(Tls12Error::Protocol(
                "a crafted RSA block needs an RSA key-exchange suite".into(),
            )),
            (KeyExchangeKind::Dhe, Premaster::Normal) => {
                let ske = self
                    .server_key_exchange
                    .as_deref()
                    .ok_or_else(|| Tls12Error::Protocol("no ServerKeyExchange for DHE".into()))?;
                match ServerKeyExchangeParams::read_dhe(ske)
                    .map_err(|e| Tls12Error::Decode(e.to_string()))?
                {
                    ServerKeyExchangeParams::Dhe { p, g, ys } => {
                        self.dh_bits = Some(num_bigint::BigUint::from_bytes_be(&p).bits());
                        kx::dhe(&p, &g, &ys).map_err(kx_err)
                    }
                    _ => Err(Tls12Error::Decode("ServerDHParams".into())),
                }
            }
            (KeyExchangeKind::Ecdhe, Premaster::Normal) => {
                let ske = self
                    .server_key_exchange
                    .as_deref()
                    .ok_or_else(|| Tls12Error::Protocol("no ServerKeyExchange for ECDHE".into()))?;
                match ServerKeyExchangeParams::read_ecdhe(ske)
                    .map_err(|e| Tls12Error::Decode(e.to_string()))?
                {
                    ServerKeyExchangeParams::Ecdhe { group, public } => {
                        if !self.cfg.groups.contains(&group) {
                            return Err(Tls12Error::Protocol(format!(
                                "the server chose {group}, which was not offered"
                            )));
                        }
                        self.group = Some(group);
                        kx::ecdhe(group, &public).map_err(kx_err)
                    }
                    ServerKeyExchangeParams::EcdheExplicit { curve_type } => Err(
                        Tls12Error::Unsupported(format!("explicit curve type {curve_type}")),
                    ),
                    _ => Err(Tls12Error::Decode("ECParameters".into())),
                }
            }
        }
    }

    /// The client's flight after ServerHelloDone: Certificate (empty, when asked for),
    /// ClientKeyExchange, ChangeCipherSpec, Finished.
    pub fn key_exchange(&mut self) -> Result<Vec<u8>, Tls12Error> {
        self.key_exchange_with(&Premaster::Normal, AfterKeyExchange::Finished)
    }

    /// [`Self::key_exchange`] with a chosen premaster and ending.
    pub fn key_exchange_with(
        &mut self,
        premaster: &Premaster,
        after: AfterKeyExchange,
    ) -> Result<Vec<u8>, Tls12Error> {
        if self.state != State::FlightDone {
            return Err(Tls12Error::Protocol(
                "the key exchange needs the server's whole flight".into(),
            ));
        }
        let Some(n) = self.negotiated.clone() else {
            return Err(Tls12Error::Protocol("no ServerHello".into()));
        };
        let kx = self.kx(&n, premaster)?;
        let mut out = Vec::new();
        if self.certificate_requested {
            let msg = HandshakeMessage::Certificate(CertificateList(Vec::new())).to_bytes();
            out.extend(self.write_handshake(&msg));
        }
        let cke = HandshakeMessage::Other {
            typ: HandshakeType::CLIENT_KEY_EXCHANGE,
            body: kx.client_key_exchange,
        }
        .to_bytes();
        out.extend(self.write_handshake(&cke));
        match after {
            AfterKeyExchange::Nothing => {
                self.state = State::Probing;
                return Ok(out);
            }
            AfterKeyExchange::GarbageFinished => {
                out.extend(self.write_record(ContentType::CHANGE_CIPHER_SPEC, &[1]));
                out.extend(record(ContentType::HANDSHAKE, n.version, &GARBAGE_FINISHED));
                self.state = State::Probing;
                return Ok(out);
            }
            AfterKeyExchange::Finished => {}
        }
        let prf = n.params.prf(n.version);
        let client_random = self.client_random;
        let server_random = n.hello.random;
        let master = if n.ems {
            // RFC 7627 section 3: the hash of the handshake up to and including the
            // ClientKeyExchange.
            keys::extended_master_secret(prf, &kx.premaster, &prf.transcript_hash(&self.transcript))
        } else {
            keys::master_secret(prf, &kx.premaster, &client_random, &server_random)
        };
        let (mac_len, key_len, iv_len) = n.params.key_block_lengths();
        let block = keys::key_block(
            prf,
            &master,
            &client_random,
            &server_random,
            2 * (mac_len + key_len + iv_len),
        );
        let km = KeyMaterial::split(&block, mac_len, key_len, iv_len)
            .ok_or_else(|| Tls12Error::Protocol("short key block".into()))?;
        let rec_err = |e: super::record::RecordError| Tls12Error::Protocol(e.to_string());
        let write = RecordProtection::new(
            &n.params,
            n.version,
            &km.client_mac,
            &km.client_key,
            &km.client_iv,
            n.etm,
        )
        .map_err(rec_err)?;
        let read = RecordProtection::new(
            &n.params,
            n.version,
            &km.server_mac,
            &km.server_key,
            &km.server_iv,
            n.etm,
        )
        .map_err(rec_err)?;
        self.master = Some(master);
        self.client_verify = keys::verify_data(prf, &master, true, &self.transcript);
        let fin = HandshakeMessage::Other {
            typ: HandshakeType::FINISHED,
            body: self.client_verify.clone(),
        }
        .to_bytes();
        out.extend(self.write_record(ContentType::CHANGE_CIPHER_SPEC, &[1]));
        self.write = Some(write);
        self.pending_read = Some(read);
        out.extend(self.write_handshake(&fin));
        self.state = State::ServerCcs;
        Ok(out)
    }

    /// Application data, protected, as records.
    pub fn application_data(&mut self, data: &[u8]) -> Result<Vec<u8>, Tls12Error> {
        self.application_data_with(data, Padding::Correct)
    }

    /// Application data in one record whose CBC padding is written as `padding` says (the TLS
    /// padding check). `data` must fit one record.
    pub fn application_data_with(
        &mut self,
        data: &[u8],
        padding: Padding,
    ) -> Result<Vec<u8>, Tls12Error> {
        if self.state != State::Established {
            return Err(Tls12Error::Protocol(
                "application data needs an established session".into(),
            ));
        }
        if padding != Padding::Correct {
            if data.len() > MAX_PLAINTEXT {
                return Err(Tls12Error::Protocol("data does not fit one record".into()));
            }
            let version = self.record_version();
            let Some(w) = self.write.as_mut() else {
                return Err(Tls12Error::Protocol("no keys".into()));
            };
            let payload = w.seal_with(ContentType::APPLICATION_DATA, data, padding);
            return Ok(record(ContentType::APPLICATION_DATA, version, &payload));
        }
        Ok(self.write_record(ContentType::APPLICATION_DATA, data))
    }

    /// An alert, protected when the session is.
    pub fn alert(&mut self, level: u8, description: AlertDescription) -> Vec<u8> {
        self.write_record(ContentType::ALERT, &[level, description.0])
    }

    /// close_notify (RFC 5246 section 7.2.1).
    pub fn close_notify(&mut self) -> Vec<u8> {
        self.alert(1, AlertDescription::CLOSE_NOTIFY)
    }

    fn write_handshake(&mut self, msg: &[u8]) -> Vec<u8> {
        self.transcript.extend_from_slice(msg);
        self.write_record(ContentType::HANDSHAKE, msg)
    }

    fn write_record(&mut self, ct: ContentType, payload: &[u8]) -> Vec<u8> {
        let version = self.record_version();
        let mut out = Vec::new();
        let chunks: Vec<&[u8]> = if payload.is_empty() {
            vec![payload]
        } else {
            payload.chunks(MAX_PLAINTEXT).collect()
        };
        for chunk in chunks {
            match self.write.as_mut() {
                Some(w) => out.extend(record(ct, version, &w.seal(ct, chunk))),
                None => out.extend(record(ct, version, chunk)),
            }
        }
        out
    }
}

/// 48 bytes that are a Finished under no key: a GCM, ChaCha20 or CBC (three blocks) record.
const GARBAGE_FINISHED: [u8; 48] = [0x42; 48];

/// One record: header and payload.
pub fn record(ct: ContentType, version: ProtocolVersion, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5);
    out.push(ct.0);
    out.extend_from_slice(&version.0.to_be_bytes());
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// The PRF of a version and suite (for callers that derive keys themselves, e.g. test servers).
pub fn prf_for(version: ProtocolVersion, suite: CipherSuite) -> Option<Prf> {
    SuiteParams::of(suite).map(|p| p.prf(version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn hello_client() -> Client {
        let mut c = Client::new(ClientConfig::new(
            ProtocolVersion::TLS12,
            vec![CipherSuite(0xc02f), CipherSuite(0x002f)],
        ));
        c.client_hello().unwrap();
        c
    }

    fn server_flight() -> Vec<u8> {
        let sh = ServerHello {
            legacy_version: ProtocolVersion::TLS12,
            random: [5; 32],
            session_id: vec![1; 32],
            cipher_suite: CipherSuite(0xc02f),
            compression_method: 0,
            extensions: Some(vec![Extension {
                typ: ExtensionType::RENEGOTIATION_INFO,
                data: vec![0],
            }]),
        };
        let mut hs = HandshakeMessage::ServerHello(sh).to_bytes();
        hs.extend(HandshakeMessage::Certificate(CertificateList(vec![vec![0x30, 0]])).to_bytes());
        let rng = ring::rand::SystemRandom::new();
        let k =
            ring::agreement::EphemeralPrivateKey::generate(&ring::agreement::X25519, &rng).unwrap();
        let public = k.compute_public_key().unwrap();
        let mut ske = vec![3, 0, 29, 32];
        ske.extend_from_slice(public.as_ref());
        ske.extend_from_slice(&[4, 1, 0, 2, 0xde, 0xad]);
        hs.extend(
            HandshakeMessage::Other {
                typ: HandshakeType::SERVER_KEY_EXCHANGE,
                body: ske,
            }
            .to_bytes(),
        );
        hs.extend(HandshakeMessage::ServerHelloDone.to_bytes());
        crate::wire::encode_records(ContentType::HANDSHAKE, ProtocolVersion::TLS12, &hs)
    }

    #[test]
    fn reads_a_flight_in_any_split_and_builds_the_key_exchange() {
        let flight = server_flight();
        for step in [1, 7, flight.len()] {
            let mut c = hello_client();
            for piece in flight.chunks(step) {
                c.feed(piece).unwrap();
            }
            assert!(matches!(c.next_event(), Some(Event::ServerHello(_))));
            assert_eq!(c.next_event(), Some(Event::ServerHelloDone));
            assert_eq!(c.certificates(), &[vec![0x30, 0]]);
            let out = c.key_exchange().unwrap();
            // ClientKeyExchange (x25519: 4 + 1 + 32 bytes) in a plaintext record, then CCS,
            // then an encrypted Finished (8 explicit nonce + 16 + 16 tag).
            assert_eq!(&out[..5], &[22, 3, 3, 0, 37]);
            assert_eq!(&out[42..48], &[20, 3, 3, 0, 1, 1]);
            assert_eq!(&out[48..53], &[22, 3, 3, 0, 40]);
            assert_eq!(out.len(), 53 + 40);
        }
    }

    #[test]
    fn alerts_are_events_and_garbage_is_an_error() {
        let mut c = hello_client();
        c.feed(&[21, 3, 3, 0, 2, 2, 40]).unwrap();
        assert_eq!(
            c.next_event(),
            Some(Event::Alert(Alert {
                level: 2,
                description: AlertDescription::HANDSHAKE_FAILURE
            }))
        );
        let mut c = hello_client();
        assert!(c.feed(b"HTTP/1.1 400 Bad Request\r\n").is_err());
        assert!(c.feed(&[22]).is_err(), "a failed session stays failed");
    }

    #[test]
    fn a_suite_not_offered_or_a_higher_version_is_refused() {
        let mut flight = server_flight();
        // The ServerHello's suite is at offset 5 + 4 + 2 + 32 + 1 + 32.
        flight[76..78].copy_from_slice(&[0xc0, 0x30]);
        let mut c = hello_client();
        assert!(matches!(c.feed(&flight), Err(Tls12Error::Protocol(_))));
        let mut c = Client::new(ClientConfig::new(
            ProtocolVersion::TLS11,
            vec![CipherSuite(0xc02f)],
        ));
        c.client_hello().unwrap();
        assert!(matches!(
            c.feed(&server_flight()),
            Err(Tls12Error::Protocol(_))
        ));
    }

    /// Truncated flights wait for more bytes; damaged and random ones end in an error or in
    /// events, never a panic (and the key exchange on whatever came is an error or bytes).
    #[test]
    fn truncated_and_damaged_input_never_panics() {
        let flight = server_flight();
        for cut in 0..flight.len() {
            let mut c = hello_client();
            let _ = c.feed(&flight[..cut]);
            while c.next_event().is_some() {}
            let _ = c.key_exchange();
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x7112);
        for _ in 0..3000 {
            let mut m = flight.clone();
            for _ in 0..rng.gen_range(1..6) {
                let i = rng.gen_range(0..m.len());
                m[i] = rng.gen();
            }
            let mut c = hello_client();
            let _ = c.feed(&m);
            while c.next_event().is_some() {}
            let _ = c.key_exchange();
            let _ = c.feed(&m);
        }
        for _ in 0..3000 {
            let len = rng.gen_range(0..400);
            let mut m: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            if len > 5 {
                m[0] = [20u8, 21, 22, 23][rng.gen_range(0..4)];
                m[1] = 3;
            }
            let mut c = hello_client();
            let _ = c.feed(&m);
            while c.next_event().is_some() {}
        }
    }

    #[test]
    fn steps_out_of_order_are_errors() {
        let mut c = hello_client();
        assert!(c.client_hello().is_err());
        assert!(c.key_exchange().is_err());
        assert!(c.application_data(b"x").is_err());
        assert!(c.renegotiation_hello().is_err());
    }
}
