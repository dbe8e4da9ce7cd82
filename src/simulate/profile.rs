//! Client profiles: one TOML file per client in `data/clients/<id>.toml` (the format is in the
//! README, "Client profiles").
//!
//! - A **captured** profile holds the client's ClientHello(s) as sent on the wire, record
//!   headers included, in hex. They are read with the wire layer ([`Deframer`],
//!   [`HandshakeJoiner`]) into the capture types of `tlsaudit client`
//!   ([`CapturedHello`], whose [`CapturedHello::offer`] gives versions, suites and groups).
//! - A **declared** profile lists what the client offers (versions, suites in its order,
//!   groups, signature schemes, SNI, ALPN) as its vendor documents it, with the source cited;
//!   its hello is synthesised with the wire [`ClientHello`] encoder.
//!
//! Both give [`ClientCapabilities`], the one view the simulation reads, and
//! [`ClientProfile::hello_bytes`], the bytes to replay to a server.
//!
//! Nothing here panics on a profile's content: every problem is a [`ProfileError`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::wire::captured::CapturedHello;
use crate::wire::registry;
use crate::wire::sslv2::{CipherKind, Sslv2ClientHello};
use crate::wire::{
    encode_records, is_grease_u16, CipherSuite, ClientHello, Codec, ContentType, DecodeError,
    Deframer, EcPointFormatList, Extension, ExtensionType, Frame, HandshakeJoiner,
    HandshakeMessage, KeyShareClientHello, KeyShareEntry, NamedGroup, NamedGroupList, ProtocolName,
    ProtocolNameList, ProtocolVersion, ProtocolVersionList, ServerNameList, SignatureScheme,
    SignatureSchemeList,
};

/// The built-in profiles: file name and content of every file in `data/clients/` (a unit test
/// keeps this list equal to the directory).
const BUILTIN: &[(&str, &str)] = &[
    (
        "android-10.toml",
        include_str!("../../data/clients/android-10.toml"),
    ),
    (
        "android-4.4.toml",
        include_str!("../../data/clients/android-4.4.toml"),
    ),
    (
        "android-5.0.toml",
        include_str!("../../data/clients/android-5.0.toml"),
    ),
    (
        "android-7.0.toml",
        include_str!("../../data/clients/android-7.0.toml"),
    ),
    (
        "android-8.0.toml",
        include_str!("../../data/clients/android-8.0.toml"),
    ),
    (
        "chromium-156.toml",
        include_str!("../../data/clients/chromium-156.toml"),
    ),
    (
        "curl-7.88.toml",
        include_str!("../../data/clients/curl-7.88.toml"),
    ),
    (
        "dotnet-4-win7.toml",
        include_str!("../../data/clients/dotnet-4-win7.toml"),
    ),
    (
        "firefox-153.toml",
        include_str!("../../data/clients/firefox-153.toml"),
    ),
    (
        "gnutls-cli-3.7.toml",
        include_str!("../../data/clients/gnutls-cli-3.7.toml"),
    ),
    (
        "go-1.19.toml",
        include_str!("../../data/clients/go-1.19.toml"),
    ),
    (
        "java-17-httpclient.toml",
        include_str!("../../data/clients/java-17-httpclient.toml"),
    ),
    (
        "java-17-urlconnection.toml",
        include_str!("../../data/clients/java-17-urlconnection.toml"),
    ),
    (
        "java-6.toml",
        include_str!("../../data/clients/java-6.toml"),
    ),
    (
        "java-7.toml",
        include_str!("../../data/clients/java-7.toml"),
    ),
    (
        "java-8.toml",
        include_str!("../../data/clients/java-8.toml"),
    ),
    (
        "multisafepay-notifier.toml",
        include_str!("../../data/clients/multisafepay-notifier.toml"),
    ),
    (
        "node-20.toml",
        include_str!("../../data/clients/node-20.toml"),
    ),
    (
        "node-24.toml",
        include_str!("../../data/clients/node-24.toml"),
    ),
    (
        "openssl-1.0.1.toml",
        include_str!("../../data/clients/openssl-1.0.1.toml"),
    ),
    (
        "openssl-1.0.2.toml",
        include_str!("../../data/clients/openssl-1.0.2.toml"),
    ),
    (
        "openssl-1.1.1.toml",
        include_str!("../../data/clients/openssl-1.1.1.toml"),
    ),
    (
        "openssl-3.0.toml",
        include_str!("../../data/clients/openssl-3.0.toml"),
    ),
    (
        "php-5.3.toml",
        include_str!("../../data/clients/php-5.3.toml"),
    ),
    (
        "php-8.2.toml",
        include_str!("../../data/clients/php-8.2.toml"),
    ),
    (
        "python-3.11.toml",
        include_str!("../../data/clients/python-3.11.toml"),
    ),
    (
        "python-requests-2.34.toml",
        include_str!("../../data/clients/python-requests-2.34.toml"),
    ),
    (
        "ruby-3.1.toml",
        include_str!("../../data/clients/ruby-3.1.toml"),
    ),
    (
        "safari-17.toml",
        include_str!("../../data/clients/safari-17.toml"),
    ),
    (
        "safari-9.toml",
        include_str!("../../data/clients/safari-9.toml"),
    ),
    (
        "wget-1.21.toml",
        include_str!("../../data/clients/wget-1.21.toml"),
    ),
    (
        "windows-10.toml",
        include_str!("../../data/clients/windows-10.toml"),
    ),
    (
        "windows-11.toml",
        include_str!("../../data/clients/windows-11.toml"),
    ),
    (
        "windows-7.toml",
        include_str!("../../data/clients/windows-7.toml"),
    ),
    (
        "windows-8.1.toml",
        include_str!("../../data/clients/windows-8.1.toml"),
    ),
];

/// A ClientHello larger than this is not a real client's (post-quantum hellos are ~1.8 KB).
const MAX_HELLO: usize = 64 * 1024;

/// Where a profile's hello comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Bytes recorded here from the real program (`tlsaudit client --save-profile`).
    Captured,
    /// Built from a published capability table, cited in `reference`.
    Declared,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Captured => "captured",
            Source::Declared => "declared",
        })
    }
}

/// One client, as its TOML file says. Load with [`ClientProfile::from_toml`],
/// [`ClientProfile::load`] or [`builtin`]: those check every field, so a loaded profile's
/// [`capabilities`](ClientProfile::capabilities) and [`hello_bytes`](ClientProfile::hello_bytes)
/// succeed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientProfile {
    /// Program name and major(.minor) version: `curl-7.88`, `java-8`, `android-4.4`.
    pub id: String,
    /// For people: "curl", "Java (JSSE)".
    pub name: String,
    /// The full version: "7.88.1", "8u161".
    pub version: String,
    /// For `--clients`: `curl`, `java`, `android`, `browser`, … (lowercase).
    pub family: String,
    /// TLS library and version: "OpenSSL 3.0.17", "JSSE (SunJSSE)".
    pub library: String,
    /// Operating system and architecture, or where the client runs.
    pub platform: String,
    pub source: Source,
    /// Captured: the day the hello was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<toml::value::Datetime>,
    /// Captured: how (the command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<String>,
    /// Declared (required): the published source(s) the profile is built from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Captured: each ClientHello as sent on the wire (TLS records, headers included), hex, in
    /// the order the client sends them (a later one is e.g. a fallback hello).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hellos: Vec<String>,
    /// Declared: "TLSv1.3", "TLSv1.2", … highest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// Declared: code points ("0xc02f") or IANA names, in the client's order. Signalling
    /// values (0x00ff, 0x5600) may be listed where the client sends them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cipher_suites: Vec<String>,
    /// Declared: `supported_groups`, code points ("0x001d") or names ("x25519").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Declared: the groups the client sends a TLS 1.3 key share for (default: the first group
    /// valid in TLS 1.3, when it offers TLS 1.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_shares: Vec<String>,
    /// Declared: `signature_algorithms`, code points ("0x0403") or names; empty when the client
    /// sends none (TLS 1.0/1.1 clients).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signature_schemes: Vec<String>,
    /// Declared (required): whether the client sends SNI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sni: Option<bool>,
    /// Declared: ALPN protocol names, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alpn: Vec<String>,
    /// Declared: offers RFC 7627 extended master secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_master_secret: Option<bool>,
    /// Declared: signals RFC 5746 (the `renegotiation_info` extension, or the SCSV when
    /// `cipher_suites` lists 0x00ff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_renegotiation: Option<bool>,
    /// Declared: sends its hello in the SSLv2-compatible format (RFC 5246 appendix E.2), as
    /// Java 6 does by default. Such a hello has no extensions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sslv2_compatible_hello: Option<bool>,
    /// What the client refuses after the hello (key sizes, SHA-1), where documented.
    #[serde(default, skip_serializing_if = "Limits::is_empty")]
    pub limits: Limits,
}

/// What a client refuses after the ServerHello: only limits that are documented, each with its
/// source in `reference`. Absent means "not known to be limited".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// DHE primes below this many bits are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_dh_bits: Option<u32>,
    /// DHE primes above this many bits are refused (Java 7: 1024, Java 8: 2048).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_dh_bits: Option<u32>,
    /// RSA keys (server certificate or chain) below this many bits are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rsa_bits: Option<u32>,
    /// EC keys and ECDHE curves below this many bits are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ec_bits: Option<u32>,
    /// False when certificates signed with SHA-1 are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepts_sha1_certificates: Option<bool>,
    /// Where each limit comes from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference: Vec<String>,
}

impl Limits {
    /// True when no limit is set (the `[limits]` table is then left out of the file).
    pub fn is_empty(&self) -> bool {
        self == &Limits::default()
    }
}

/// What a client offers, one typed view whatever the profile's source. GREASE values and the
/// signalling suites (TLS_EMPTY_RENEGOTIATION_INFO_SCSV, TLS_FALLBACK_SCSV) are *filtered* out
/// of the lists: the SCSVs become [`secure_renegotiation`](Self::secure_renegotiation) and
/// [`fallback_scsv`](Self::fallback_scsv), GREASE becomes [`grease`](Self::grease).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCapabilities {
    /// Highest first. With [`versions_listed`](Self::versions_listed) these are exactly the
    /// versions the client accepts; without it, `legacy_version` alone, which a server reads
    /// as "this or lower" (RFC 5246 appendix E.1): the hello does not say how low.
    pub versions: Vec<ProtocolVersion>,
    /// True when the versions come from `supported_versions` (RFC 8446 section 4.2.1) or a
    /// declared list.
    pub versions_listed: bool,
    /// Real suites in the client's order (TLS 1.3 suites included).
    pub cipher_suites: Vec<CipherSuite>,
    /// `supported_groups`, in order; empty when the client sends none.
    pub groups: Vec<NamedGroup>,
    /// The groups of the client's TLS 1.3 key shares, in order.
    pub key_share_groups: Vec<NamedGroup>,
    /// `signature_algorithms`, in order; empty when the client sends none (a TLS 1.2 server
    /// then assumes SHA-1 with the suite's key, RFC 5246 section 7.4.1.4.1).
    pub signature_schemes: Vec<SignatureScheme>,
    /// `signature_algorithms_cert` (RFC 8446 section 4.2.3), when sent.
    pub signature_schemes_cert: Option<Vec<SignatureScheme>>,
    /// The client sends `server_name`.
    pub sni: bool,
    /// ALPN protocol names, in order.
    pub alpn: Vec<String>,
    /// Offers RFC 7627 extended master secret.
    pub extended_master_secret: bool,
    /// Signals RFC 5746 (the extension or the SCSV).
    pub secure_renegotiation: bool,
    /// The hello carries TLS_FALLBACK_SCSV (RFC 7507): a retry at a lower version.
    pub fallback_scsv: bool,
    /// GREASE (RFC 8701) appears somewhere in the hello.
    pub grease: bool,
    /// The hello is in the SSLv2-compatible format (no extensions).
    pub sslv2_compatible_hello: bool,
    /// Offers a compression method other than null.
    pub compression: bool,
    pub limits: Limits,
}

/// Why a recorded hello cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HelloError {
    #[error("not hex: {0}")]
    BadHex(String),
    #[error("truncated: {0} bytes hold no complete ClientHello")]
    Truncated(usize),
    #[error("not TLS records: {0}")]
    NotRecords(DecodeError),
    #[error("not a ClientHello: {0}")]
    NotAClientHello(String),
    #[error("malformed ClientHello: {0}")]
    Malformed(DecodeError),
    #[error("{0} bytes follow the ClientHello")]
    TrailingBytes(usize),
    #[error("re-encoding it does not give the same bytes, so it cannot be replayed byte for byte")]
    NotCanonical,
}

/// Everything that can be wrong with a profile or a selection.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: not a client profile: {message}")]
    Toml { origin: String, message: String },
    #[error("profile {id}: {message}")]
    Invalid { id: String, message: String },
    #[error("profile {id}: hello {index}: {error}")]
    Hello {
        id: String,
        /// 1-based, as a person counts the `hellos` entries.
        index: usize,
        #[source]
        error: HelloError,
    },
    #[error("profile {id}: {field}: unknown name {value:?}")]
    UnknownName {
        id: String,
        field: &'static str,
        value: String,
    },
    #[error(
        "profile {id}: {field}: {value:?} is not a code point (want hex like \"0x{example}\")"
    )]
    BadCodePoint {
        id: String,
        field: &'static str,
        value: String,
        example: &'static str,
    },
    #[error("profile {id}: cannot make a TLS 1.3 key share for {group} (x25519, secp256r1 and secp384r1 can be made)")]
    UnsupportedKeyShare { id: String, group: NamedGroup },
    #[error("two profiles have the id {0}")]
    DuplicateId(String),
    #[error("--clients is empty: name profiles, families, all, captured or declared")]
    EmptySelection,
    #[error("unknown client {name:?}: valid are all, captured, declared, the families {} and the ids {}", .families.join(", "), .ids.join(", "))]
    UnknownClient {
        name: String,
        families: Vec<String>,
        ids: Vec<String>,
    },
}

/// A ClientHello as recorded on the wire: the hello and how it was framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedHello {
    pub hello: CapturedHello,
    /// The first record header's version; None for an SSLv2-format hello.
    pub record_version: Option<ProtocolVersion>,
    /// Payload lengths of the records the hello spans, in order.
    pub record_lengths: Vec<usize>,
    /// Bytes the hello takes on the wire, record headers included.
    pub wire_len: usize,
}

impl RecordedHello {
    /// Reads the ClientHello at the start of `bytes` (however it is split over records, or an
    /// SSLv2-compatible hello). Bytes after it are not read: see [`wire_len`](Self::wire_len).
    pub fn read(bytes: &[u8]) -> Result<Self, HelloError> {
        let mut deframer = Deframer::default();
        deframer.push(bytes);
        let mut joiner = HandshakeJoiner::new(MAX_HELLO);
        let mut record_lengths = Vec::new();
        let mut record_version = None;
        loop {
            let frame = deframer
                .pop()
                .map_err(HelloError::NotRecords)?
                .ok_or(HelloError::Truncated(bytes.len()))?;
            let wire_len = bytes.len() - deframer.buffered();
            match frame {
                Frame::Sslv2(payload) if record_lengths.is_empty() => {
                    let hello =
                        Sslv2ClientHello::from_bytes(&payload).map_err(HelloError::Malformed)?;
                    return Ok(Self {
                        hello: CapturedHello::Sslv2(hello),
                        record_version: None,
                        record_lengths: vec![payload.len()],
                        wire_len,
                    });
                }
                Frame::Sslv2(_) => {
                    return Err(HelloError::NotAClientHello(
                        "an SSLv2 record in the middle of a TLS ClientHello".into(),
                    ))
                }
                Frame::Record {
                    content_type,
                    version,
                    payload,
                } => {
                    if content_type != ContentType::HANDSHAKE {
                        return Err(HelloError::NotAClientHello(format!(
                            "a {content_type} record"
                        )));
                    }
                    record_version.get_or_insert(version);
                    record_lengths.push(payload.len());
                    joiner.push(&payload);
                    match joiner.pop().map_err(HelloError::Malformed)? {
                        None => {}
                        Some((HandshakeMessage::ClientHello(hello), _)) => {
                            if !joiner.is_empty() {
                                return Err(HelloError::NotAClientHello(
                                    "more handshake data follows the ClientHello in its record"
                                        .into(),
                                ));
                            }
                            return Ok(Self {
                                hello: CapturedHello::Tls(hello),
                                record_version,
                                record_lengths,
                                wire_len,
                            });
                        }
                        Some((m, _)) => {
                            return Err(HelloError::NotAClientHello(format!(
                                "a {} message",
                                m.typ()
                            )))
                        }
                    }
                }
            }
        }
    }

    /// Reads a whole hello from hex: exactly one ClientHello, nothing after it, and bytes that
    /// re-encode to themselves (so a replay can change the SNI and keep the rest).
    pub fn from_hex(hex: &str) -> Result<Self, HelloError> {
        let bytes = decode_hex(hex)?;
        let rec = Self::read(&bytes)?;
        if rec.wire_len != bytes.len() {
            return Err(HelloError::TrailingBytes(bytes.len() - rec.wire_len));
        }
        if rec.to_wire() != bytes {
            return Err(HelloError::NotCanonical);
        }
        Ok(rec)
    }

    /// The hello on the wire: the same record boundaries as recorded (the last record takes
    /// what is left, split at 2^14 bytes), the same record version.
    pub fn to_wire(&self) -> Vec<u8> {
        match &self.hello {
            CapturedHello::Sslv2(h) => h.to_record(),
            CapturedHello::Tls(h) => {
                let msg = HandshakeMessage::ClientHello(h.clone()).to_bytes();
                let version = self.record_version.unwrap_or(ProtocolVersion::TLS10);
                let mut out = Vec::with_capacity(msg.len() + 5 * self.record_lengths.len());
                let mut rest: &[u8] = &msg;
                let n = self.record_lengths.len();
                for len in self.record_lengths.iter().take(n.saturating_sub(1)) {
                    let take = (*len).min(rest.len());
                    out.extend(encode_records(
                        ContentType::HANDSHAKE,
                        version,
                        &rest[..take],
                    ));
                    rest = &rest[take..];
                }
                out.extend(encode_records(ContentType::HANDSHAKE, version, rest));
                out
            }
        }
    }

    /// Replaces the `server_name` with `sni`, or removes it for None. A hello without
    /// `server_name` keeps none: that client does not send it. When the hello carries a
    /// `padding` extension (RFC 7685), its length is adjusted so the hello keeps its recorded
    /// size, as the padding clients (OpenSSL, BoringSSL) pad to a fixed size; with a longer
    /// name it shrinks to empty.
    pub fn set_sni(&mut self, sni: Option<&str>) {
        let CapturedHello::Tls(h) = &mut self.hello else {
            return;
        };
        let msg_len = |h: &ClientHello| HandshakeMessage::ClientHello(h.clone()).to_bytes().len();
        let before = msg_len(h);
        let Some(exts) = h.extensions.as_mut() else {
            return;
        };
        let Some(pos) = exts
            .iter()
            .position(|e| e.typ == ExtensionType::SERVER_NAME)
        else {
            return;
        };
        match sni {
            Some(name) => {
                exts[pos] = Extension::new(ExtensionType::SERVER_NAME, &ServerNameList::host(name))
            }
            None => {
                exts.remove(pos);
            }
        }
        let Some(pad) = exts.iter().position(|e| e.typ == ExtensionType::PADDING) else {
            return;
        };
        exts[pad].data.clear();
        let unpadded = msg_len(h);
        if let Some(e) = h.extensions.as_mut().and_then(|x| x.get_mut(pad)) {
            e.data = vec![0; before.saturating_sub(unpadded)];
        }
    }

    /// The capabilities this hello shows.
    pub fn capabilities(&self, limits: &Limits) -> Result<ClientCapabilities, HelloError> {
        let offer = self.hello.offer();
        let mut versions: Vec<ProtocolVersion> = offer
            .versions
            .iter()
            .copied()
            .filter(|v| !v.is_grease())
            .collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.0));
        versions.dedup();
        let suites = |list: &[CipherSuite]| -> Vec<CipherSuite> {
            list.iter()
                .copied()
                .filter(|s| !s.is_grease() && !s.is_signalling())
                .collect()
        };
        let has = |s: CipherSuite| offer.suites.contains(&s);
        let mut caps = ClientCapabilities {
            versions,
            versions_listed: offer.has_supported_versions,
            cipher_suites: suites(&offer.suites),
            groups: offer.groups.clone().unwrap_or_default(),
            key_share_groups: Vec::new(),
            signature_schemes: Vec::new(),
            signature_schemes_cert: None,
            sni: false,
            alpn: Vec::new(),
            extended_master_secret: false,
            secure_renegotiation: has(CipherSuite::EMPTY_RENEGOTIATION_INFO_SCSV),
            fallback_scsv: has(CipherSuite::FALLBACK_SCSV),
            grease: offer.suites.iter().any(|s| s.is_grease()),
            sslv2_compatible_hello: false,
            compression: false,
            limits: limits.clone(),
        };
        let h = match &self.hello {
            CapturedHello::Sslv2(_) => {
                caps.sslv2_compatible_hello = true;
                return Ok(caps);
            }
            CapturedHello::Tls(h) => h,
        };
        caps.compression = h.compression_methods.iter().any(|m| *m != 0);
        let no_grease = |v: u16| !is_grease_u16(v);
        for e in h.extensions() {
            caps.grease |= is_grease_u16(e.typ.0);
            match e.typ {
                ExtensionType::SERVER_NAME => caps.sni = true,
                ExtensionType::EXTENDED_MASTER_SECRET => caps.extended_master_secret = true,
                ExtensionType::RENEGOTIATION_INFO => caps.secure_renegotiation = true,
                ExtensionType::SUPPORTED_GROUPS => {
                    let l: NamedGroupList = e.parse().map_err(HelloError::Malformed)?;
                    caps.grease |= l.0.iter().any(|g| is_grease_u16(g.0));
                }
                ExtensionType::SUPPORTED_VERSIONS => {
                    let l: ProtocolVersionList = e.parse().map_err(HelloError::Malformed)?;
                    caps.grease |= l.0.iter().any(|v| v.is_grease());
                }
                ExtensionType::KEY_SHARE => {
                    let l: KeyShareClientHello = e.parse().map_err(HelloError::Malformed)?;
                    caps.grease |= l.0.iter().any(|k| is_grease_u16(k.group.0));
                    caps.key_share_groups =
                        l.0.iter()
                            .map(|k| k.group)
                            .filter(|g| no_grease(g.0))
                            .collect();
                }
                ExtensionType::SIGNATURE_ALGORITHMS => {
                    let l: SignatureSchemeList = e.parse().map_err(HelloError::Malformed)?;
                    caps.grease |= l.0.iter().any(|s| is_grease_u16(s.0));
                    caps.signature_schemes = l.0.into_iter().filter(|s| no_grease(s.0)).collect();
                }
                ExtensionType::SIGNATURE_ALGORITHMS_CERT => {
                    let l: SignatureSchemeList = e.parse().map_err(HelloError::Malformed)?;
                    caps.signature_schemes_cert =
                        Some(l.0.into_iter().filter(|s| no_grease(s.0)).collect());
                }
                ExtensionType::ALPN => {
                    let l: ProtocolNameList = e.parse().map_err(HelloError::Malformed)?;
                    caps.alpn =
                        l.0.iter()
                            .map(|p| String::from_utf8_lossy(&p.0).into_owned())
                            .collect();
                }
                _ => {}
            }
        }
        Ok(caps)
    }
}

/// Lower-case hex of `bytes`, the form profile files hold.
pub fn encode_hex(bytes: &[u8]) -> String {
    crate::wire::hex(bytes)
}

/// Bytes from hex; whitespace is ignored, so long hellos may be wrapped.
pub fn decode_hex(hex: &str) -> Result<Vec<u8>, HelloError> {
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(HelloError::BadHex(format!(
            "an odd number of digits ({})",
            digits.len()
        )));
    }
    let nibble = |i: usize, b: u8| -> Result<u8, HelloError> {
        (b as char).to_digit(16).map(|d| d as u8).ok_or_else(|| {
            HelloError::BadHex(format!(
                "{:?} at position {i} is not a hex digit",
                b as char
            ))
        })
    };
    digits
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| Ok((nibble(2 * i, pair[0])? << 4) | nibble(2 * i + 1, pair[1])?))
        .collect()
}

impl ClientProfile {
    /// Reads and checks one profile; `origin` names it in errors (a path, or "built-in x.toml").
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ProfileError> {
        let profile: ClientProfile = toml::from_str(text).map_err(|e| ProfileError::Toml {
            origin: origin.to_string(),
            message: e.message().to_string(),
        })?;
        profile.check()?;
        Ok(profile)
    }

    /// Reads and checks a profile file.
    pub fn load(path: &Path) -> Result<Self, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// The profile as a TOML file.
    pub fn to_toml(&self) -> Result<String, ProfileError> {
        toml::to_string_pretty(self).map_err(|e| ProfileError::Invalid {
            id: self.id.clone(),
            message: format!("cannot be written as TOML: {e}"),
        })
    }

    /// A captured profile from the bytes a client sent (each from the start of a ClientHello;
    /// anything after the hello is cut off). `meta` gives every field but the hellos.
    pub fn captured(meta: CaptureMeta, hellos: &[Vec<u8>]) -> Result<Self, ProfileError> {
        let mut hex = Vec::new();
        for (i, bytes) in hellos.iter().enumerate() {
            let rec = RecordedHello::read(bytes).map_err(|error| ProfileError::Hello {
                id: meta.id.clone(),
                index: i + 1,
                error,
            })?;
            hex.push(encode_hex(&bytes[..rec.wire_len]));
        }
        let profile = ClientProfile {
            id: meta.id,
            name: meta.name,
            version: meta.version,
            family: meta.family,
            library: meta.library,
            platform: meta.platform,
            source: Source::Captured,
            captured_at: Some(meta.captured_at),
            capture: Some(meta.capture),
            reference: Vec::new(),
            notes: meta.notes,
            hellos: hex,
            versions: Vec::new(),
            cipher_suites: Vec::new(),
            groups: Vec::new(),
            key_shares: Vec::new(),
            signature_schemes: Vec::new(),
            sni: None,
            alpn: Vec::new(),
            extended_master_secret: None,
            secure_renegotiation: None,
            sslv2_compatible_hello: None,
            limits: Limits::default(),
        };
        profile.check()?;
        Ok(profile)
    }

    fn invalid(&self, message: impl Into<String>) -> ProfileError {
        ProfileError::Invalid {
            id: self.id.clone(),
            message: message.into(),
        }
    }

    /// Every rule a profile file must follow.
    fn check(&self) -> Result<(), ProfileError> {
        let id_ok = !self.id.is_empty()
            && self.id.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.' || b == b'_'
            })
            && self
                .id
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        if !id_ok {
            return Err(self.invalid(
                "id must be lowercase letters, digits, '.', '-' and '_', e.g. \"curl-7.88\"",
            ));
        }
        if self.name.trim().is_empty() {
            return Err(self.invalid("name is empty"));
        }
        if self.family.is_empty() || self.family != self.family.to_lowercase() {
            return Err(self.invalid("family must be a non-empty lowercase word"));
        }
        let declared_fields = !self.versions.is_empty()
            || !self.cipher_suites.is_empty()
            || !self.groups.is_empty()
            || !self.key_shares.is_empty()
            || !self.signature_schemes.is_empty()
            || self.sni.is_some()
            || !self.alpn.is_empty()
            || self.extended_master_secret.is_some()
            || self.secure_renegotiation.is_some()
            || self.sslv2_compatible_hello.is_some();
        match self.source {
            Source::Captured => {
                if declared_fields {
                    return Err(self.invalid(
                        "a captured profile takes its versions, suites, groups, schemes, SNI and ALPN from its hellos, not from fields",
                    ));
                }
                if self.hellos.is_empty() {
                    return Err(self.invalid("a captured profile needs hellos"));
                }
                if self.captured_at.is_none() {
                    return Err(self.invalid("a captured profile needs captured_at"));
                }
            }
            Source::Declared => {
                if !self.hellos.is_empty() || self.captured_at.is_some() {
                    return Err(self.invalid("a declared profile has no hellos or captured_at"));
                }
                if self.reference.is_empty() {
                    return Err(self.invalid("a declared profile must cite its reference"));
                }
                if self.versions.is_empty() || self.cipher_suites.is_empty() {
                    return Err(self.invalid("a declared profile needs versions and cipher_suites"));
                }
                if self.sni.is_none() {
                    return Err(self.invalid("a declared profile must say sni = true or false"));
                }
            }
        }
        for (i, h) in self.hellos.iter().enumerate() {
            RecordedHello::from_hex(h).map_err(|error| ProfileError::Hello {
                id: self.id.clone(),
                index: i + 1,
                error,
            })?;
        }
        self.capabilities()?;
        self.hello_bytes(Some("example.com"))?;
        Ok(())
    }

    /// The captured hellos, read.
    fn recorded(&self) -> Result<Vec<RecordedHello>, ProfileError> {
        self.hellos
            .iter()
            .enumerate()
            .map(|(i, h)| {
                RecordedHello::from_hex(h).map_err(|error| ProfileError::Hello {
                    id: self.id.clone(),
                    index: i + 1,
                    error,
                })
            })
            .collect()
    }

    /// What the client offers in its first hello.
    pub fn capabilities(&self) -> Result<ClientCapabilities, ProfileError> {
        let mut all = self.capabilities_of_each()?;
        if all.is_empty() {
            return Err(self.invalid("no hello"));
        }
        Ok(all.swap_remove(0))
    }

    /// What the client offers in each hello, in the order it sends them (a declared profile
    /// has one).
    pub fn capabilities_of_each(&self) -> Result<Vec<ClientCapabilities>, ProfileError> {
        match self.source {
            Source::Captured => self
                .recorded()?
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    r.capabilities(&self.limits)
                        .map_err(|error| ProfileError::Hello {
                            id: self.id.clone(),
                            index: i + 1,
                            error,
                        })
                })
                .collect(),
            Source::Declared => Ok(vec![self.declared()?.capabilities(&self.limits)]),
        }
    }

    /// The hello(s) to replay to a server whose name is `sni` (None: send no name), each as
    /// TLS records. Captured: the recorded bytes with only the `server_name` changed (and a
    /// `padding` extension resized to keep the hello's length), every length fixed. Declared:
    /// one hello built from the fields, with fresh random, session id and key shares.
    pub fn hello_bytes(&self, sni: Option<&str>) -> Result<Vec<Vec<u8>>, ProfileError> {
        match self.source {
            Source::Captured => Ok(self
                .recorded()?
                .into_iter()
                .map(|mut r| {
                    r.set_sni(sni);
                    r.to_wire()
                })
                .collect()),
            Source::Declared => Ok(vec![self.declared()?.hello(&self.id, sni)?]),
        }
    }

    /// The declared fields, parsed.
    fn declared(&self) -> Result<Declared, ProfileError> {
        let unknown = |field: &'static str, value: &str| ProfileError::UnknownName {
            id: self.id.clone(),
            field,
            value: value.to_string(),
        };
        let mut versions = Vec::new();
        for v in &self.versions {
            versions.push(ProtocolVersion::from_name(v).ok_or_else(|| unknown("versions", v))?);
        }
        versions.sort_by_key(|v| std::cmp::Reverse(v.0));
        versions.dedup();
        let suites = self.codes("cipher_suites", &self.cipher_suites, "c02f", |name| {
            registry::suite_by_name(name).map(|s| s.id.0)
        })?;
        let groups = self.codes("groups", &self.groups, "001d", |n| {
            NamedGroup::from_name(n).map(|g| g.0)
        })?;
        let mut key_shares: Vec<NamedGroup> = self
            .codes("key_shares", &self.key_shares, "001d", |n| {
                NamedGroup::from_name(n).map(|g| g.0)
            })?
            .into_iter()
            .map(NamedGroup)
            .collect();
        let tls13 = versions.contains(&ProtocolVersion::TLS13);
        if key_shares.is_empty() && tls13 {
            key_shares.extend(
                groups
                    .iter()
                    .map(|g| NamedGroup(*g))
                    .find(|g| g.valid_for_tls13()),
            );
        }
        let sigs = self.codes("signature_schemes", &self.signature_schemes, "0403", |n| {
            SignatureScheme::from_name(n).map(|s| s.0)
        })?;
        Ok(Declared {
            versions,
            suites: suites.into_iter().map(CipherSuite).collect(),
            groups: groups.into_iter().map(NamedGroup).collect(),
            key_shares: if tls13 { key_shares } else { Vec::new() },
            sigs: sigs.into_iter().map(SignatureScheme).collect(),
            sni: self.sni.unwrap_or(false),
            alpn: self.alpn.clone(),
            ems: self.extended_master_secret.unwrap_or(false),
            reneg: self.secure_renegotiation.unwrap_or(false),
            sslv2: self.sslv2_compatible_hello.unwrap_or(false),
        })
    }

    /// Code points from "0x…" hex or names (`by_name`).
    fn codes(
        &self,
        field: &'static str,
        values: &[String],
        example: &'static str,
        by_name: impl Fn(&str) -> Option<u16>,
    ) -> Result<Vec<u16>, ProfileError> {
        values
            .iter()
            .map(|v| {
                let v = v.trim();
                match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
                    Some(hex) if (1..=4).contains(&hex.len()) => u16::from_str_radix(hex, 16)
                        .map_err(|_| ProfileError::BadCodePoint {
                            id: self.id.clone(),
                            field,
                            value: v.to_string(),
                            example,
                        }),
                    Some(_) => Err(ProfileError::BadCodePoint {
                        id: self.id.clone(),
                        field,
                        value: v.to_string(),
                        example,
                    }),
                    None => by_name(v).ok_or_else(|| ProfileError::UnknownName {
                        id: self.id.clone(),
                        field,
                        value: v.to_string(),
                    }),
                }
            })
            .collect()
    }
}

/// Every field of a captured profile but its hellos (for [`ClientProfile::captured`]).
#[derive(Debug, Clone)]
pub struct CaptureMeta {
    pub id: String,
    pub name: String,
    pub version: String,
    pub family: String,
    pub library: String,
    pub platform: String,
    pub captured_at: toml::value::Datetime,
    pub capture: String,
    pub notes: Option<String>,
}

/// A declared profile's fields as wire values.
struct Declared {
    versions: Vec<ProtocolVersion>,
    suites: Vec<CipherSuite>,
    groups: Vec<NamedGroup>,
    key_shares: Vec<NamedGroup>,
    sigs: Vec<SignatureScheme>,
    sni: bool,
    alpn: Vec<String>,
    ems: bool,
    reneg: bool,
    sslv2: bool,
}

impl Declared {
    fn capabilities(&self, limits: &Limits) -> ClientCapabilities {
        let has = |s: CipherSuite| self.suites.contains(&s);
        ClientCapabilities {
            versions: self.versions.clone(),
            versions_listed: true,
            cipher_suites: self
                .suites
                .iter()
                .copied()
                .filter(|s| !s.is_grease() && !s.is_signalling())
                .collect(),
            groups: if self.sslv2 {
                Vec::new()
            } else {
                self.groups.clone()
            },
            key_share_groups: self.key_shares.clone(),
            signature_schemes: if self.sslv2 {
                Vec::new()
            } else {
                self.sigs.clone()
            },
            signature_schemes_cert: None,
            sni: self.sni && !self.sslv2,
            alpn: if self.sslv2 {
                Vec::new()
            } else {
                self.alpn.clone()
            },
            extended_master_secret: self.ems && !self.sslv2,
            secure_renegotiation: self.reneg || has(CipherSuite::EMPTY_RENEGOTIATION_INFO_SCSV),
            fallback_scsv: has(CipherSuite::FALLBACK_SCSV),
            grease: self.suites.iter().any(|s| s.is_grease()),
            sslv2_compatible_hello: self.sslv2,
            compression: false,
            limits: limits.clone(),
        }
    }

    /// One hello from the fields. The extension order is a plausible one (server_name,
    /// groups, point formats, signature schemes, ALPN, EMS, renegotiation_info,
    /// supported_versions, key_share, PSK modes), not the client's own: a declared profile
    /// does not know it.
    fn hello(&self, id: &str, sni: Option<&str>) -> Result<Vec<u8>, ProfileError> {
        let mut random = [0u8; 32];
        fill_random(&mut random);
        let highest = self
            .versions
            .first()
            .copied()
            .unwrap_or(ProtocolVersion::TLS12);
        if self.sslv2 {
            // RFC 5246 appendix E.2: TLS suites as 3-byte kinds with a zero first byte.
            let hello = Sslv2ClientHello {
                version: highest.0,
                cipher_specs: self.suites.iter().map(|s| CipherKind(s.0 as u32)).collect(),
                session_id: Vec::new(),
                challenge: random.to_vec(),
            };
            return Ok(hello.to_record());
        }
        let tls13 = highest == ProtocolVersion::TLS13;
        let mut exts = Vec::new();
        if let (true, Some(name)) = (self.sni, sni) {
            exts.push(Extension::new(
                ExtensionType::SERVER_NAME,
                &ServerNameList::host(name),
            ));
        }
        if !self.groups.is_empty() {
            exts.push(Extension::new(
                ExtensionType::SUPPORTED_GROUPS,
                &NamedGroupList(self.groups.clone()),
            ));
            exts.push(Extension::new(
                ExtensionType::EC_POINT_FORMATS,
                &EcPointFormatList(vec![0]),
            ));
        }
        if !self.sigs.is_empty() {
            exts.push(Extension::new(
                ExtensionType::SIGNATURE_ALGORITHMS,
                &SignatureSchemeList(self.sigs.clone()),
            ));
        }
        if !self.alpn.is_empty() {
            exts.push(Extension::new(
                ExtensionType::ALPN,
                &ProtocolNameList(
                    self.alpn
                        .iter()
                        .map(|p| ProtocolName(p.as_bytes().to_vec()))
                        .collect(),
                ),
            ));
        }
        if self.ems {
            exts.push(Extension::empty(ExtensionType::EXTENDED_MASTER_SECRET));
        }
        if self.reneg
            && !self
                .suites
                .contains(&CipherSuite::EMPTY_RENEGOTIATION_INFO_SCSV)
        {
            // RFC 5746 section 3.4: an initial hello's renegotiation_info is one empty byte string.
            exts.push(Extension {
                typ: ExtensionType::RENEGOTIATION_INFO,
                data: vec![0],
            });
        }
        let mut session_id = Vec::new();
        if tls13 {
            exts.push(Extension::new(
                ExtensionType::SUPPORTED_VERSIONS,
                &ProtocolVersionList(self.versions.clone()),
            ));
            let mut shares = Vec::new();
            for g in &self.key_shares {
                shares.push(
                    key_share(*g).ok_or_else(|| ProfileError::UnsupportedKeyShare {
                        id: id.to_string(),
                        group: *g,
                    })?,
                );
            }
            exts.push(Extension::new(
                ExtensionType::KEY_SHARE,
                &KeyShareClientHello(shares),
            ));
            // psk_dhe_ke (RFC 8446 section 4.2.9): every TLS 1.3 client sends it.
            exts.push(Extension {
                typ: ExtensionType::PSK_KEY_EXCHANGE_MODES,
                data: vec![1, 1],
            });
            // RFC 8446 appendix D.4: TLS 1.3 clients send a 32-byte legacy session id.
            session_id = vec![0; 32];
            fill_random(&mut session_id);
        }
        let mut hello = ClientHello {
            legacy_version: if tls13 {
                ProtocolVersion::TLS12
            } else {
                highest
            },
            random,
            session_id,
            cipher_suites: self.suites.clone(),
            compression_methods: vec![0],
            extensions: Some(exts),
        };
        hello.pad_past_512();
        let record_version = if highest == ProtocolVersion::SSLV3 {
            ProtocolVersion::SSLV3
        } else {
            ProtocolVersion::TLS10
        };
        Ok(encode_records(
            ContentType::HANDSHAKE,
            record_version,
            &HandshakeMessage::ClientHello(hello).to_bytes(),
        ))
    }
}

fn fill_random(buf: &mut [u8]) {
    use rand::RngCore;
    rand::thread_rng().fill_bytes(buf);
}

/// A fresh key share for `group`: a real public key, so a server that takes it can go on.
fn key_share(group: NamedGroup) -> Option<KeyShareEntry> {
    use ring::agreement;
    let alg = match group {
        NamedGroup::X25519 => &agreement::X25519,
        NamedGroup::SECP256R1 => &agreement::ECDH_P256,
        NamedGroup::SECP384R1 => &agreement::ECDH_P384,
        _ => return None,
    };
    let rng = ring::rand::SystemRandom::new();
    let key = agreement::EphemeralPrivateKey::generate(alg, &rng).ok()?;
    let public = key.compute_public_key().ok()?;
    Some(KeyShareEntry {
        group,
        key_exchange: public.as_ref().to_vec(),
    })
}

/// The built-in profiles (`data/clients/`), in file-name order.
pub fn builtin() -> Result<Vec<ClientProfile>, ProfileError> {
    let mut out: Vec<ClientProfile> = Vec::with_capacity(BUILTIN.len());
    for (file, text) in BUILTIN {
        let p = ClientProfile::from_toml(text, &format!("built-in {file}"))?;
        if out.iter().any(|o| o.id == p.id) {
            return Err(ProfileError::DuplicateId(p.id));
        }
        out.push(p);
    }
    Ok(out)
}

/// The built-in profiles that `spec` names (see [`select_from`]).
pub fn select(spec: &str) -> Result<Vec<ClientProfile>, ProfileError> {
    select_from(&builtin()?, spec)
}

/// The profiles `spec` names, for `--clients`: a comma-separated list of ids, families,
/// `all`, `captured` and `declared`. The result keeps the order of `profiles`, each once.
pub fn select_from(
    profiles: &[ClientProfile],
    spec: &str,
) -> Result<Vec<ClientProfile>, ProfileError> {
    let tokens: Vec<&str> = spec
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.is_empty() {
        return Err(ProfileError::EmptySelection);
    }
    let mut chosen = vec![false; profiles.len()];
    for token in tokens {
        let token_lc = token.to_lowercase();
        let matches = |p: &ClientProfile| match token_lc.as_str() {
            "all" => true,
            "captured" => p.source == Source::Captured,
            "declared" => p.source == Source::Declared,
            t => p.id == t || p.family == t,
        };
        let mut any = false;
        for (i, p) in profiles.iter().enumerate() {
            if matches(p) {
                chosen[i] = true;
                any = true;
            }
        }
        let keyword = matches!(token_lc.as_str(), "all" | "captured" | "declared");
        if !any && !keyword {
            let mut families: Vec<String> = profiles.iter().map(|p| p.family.clone()).collect();
            families.sort();
            families.dedup();
            return Err(ProfileError::UnknownClient {
                name: token.to_string(),
                families,
                ids: profiles.iter().map(|p| p.id.clone()).collect(),
            });
        }
    }
    Ok(profiles
        .iter()
        .zip(chosen)
        .filter(|(_, c)| *c)
        .map(|(p, _)| p.clone())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fingerprint::tests::{unhex, CURL_HELLO_HEX};

    fn meta(id: &str) -> CaptureMeta {
        CaptureMeta {
            id: id.into(),
            name: "curl".into(),
            version: "7.88.1".into(),
            family: "curl".into(),
            library: "OpenSSL 3.0".into(),
            platform: "Debian 12, x86_64".into(),
            captured_at: "2026-12-02".parse().unwrap(),
            capture: "tlsaudit client --exec 'curl -sk {url}'".into(),
            notes: None,
        }
    }

    fn curl_profile() -> ClientProfile {
        ClientProfile::captured(meta("curl-7.88"), &[unhex(CURL_HELLO_HEX)]).unwrap()
    }

    const DECLARED: &str = r#"
id = "example-1"
name = "Example"
version = "1.0"
family = "example"
library = "Example TLS 1"
platform = "anywhere"
source = "declared"
reference = ["Example TLS manual, section 3, as documented"]
versions = ["TLSv1.2", "TLSv1.3"]
cipher_suites = ["0x1301", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "0x00ff"]
groups = ["x25519", "0x0017"]
signature_schemes = ["0x0804", "ecdsa_secp256r1_sha256"]
sni = true
alpn = ["http/1.1"]
extended_master_secret = true

[limits]
max_dh_bits = 2048
reference = ["Example TLS manual, section 4"]
"#;

    fn declared(replace: &str, with: &str) -> Result<ClientProfile, ProfileError> {
        ClientProfile::from_toml(&DECLARED.replacen(replace, with, 1), "test")
    }

    #[test]
    fn a_captured_hello_round_trips_byte_for_byte() {
        let p = curl_profile();
        assert_eq!(p.hellos, vec![CURL_HELLO_HEX.to_string()]);
        let text = p.to_toml().unwrap();
        let back = ClientProfile::from_toml(&text, "round trip").unwrap();
        assert_eq!(back, p);
        // The same name gives the same bytes; the hello was captured with "localhost".
        let same = p.hello_bytes(Some("localhost")).unwrap();
        assert_eq!(same, vec![unhex(CURL_HELLO_HEX)]);
    }

    #[test]
    fn capabilities_of_a_captured_hello() {
        let c = curl_profile().capabilities().unwrap();
        assert_eq!(
            c.versions,
            vec![
                ProtocolVersion::TLS13,
                ProtocolVersion::TLS12,
                ProtocolVersion::TLS11,
                ProtocolVersion::TLS10
            ]
        );
        assert!(c.versions_listed);
        // 31 code points: 30 suites and the renegotiation SCSV, which becomes a flag.
        assert_eq!(c.cipher_suites.len(), 30);
        assert_eq!(c.cipher_suites[0], CipherSuite(0x1302));
        assert!(!c
            .cipher_suites
            .contains(&CipherSuite::EMPTY_RENEGOTIATION_INFO_SCSV));
        assert!(c.secure_renegotiation && c.extended_master_secret && c.sni);
        assert!(!c.fallback_scsv && !c.grease && !c.sslv2_compatible_hello && !c.compression);
        assert_eq!(c.groups.len(), 10);
        assert_eq!(c.groups[0], NamedGroup::X25519);
        assert_eq!(c.key_share_groups, vec![NamedGroup::X25519]);
        assert_eq!(
            c.signature_schemes[0],
            SignatureScheme::ECDSA_SECP256R1_SHA256
        );
        assert_eq!(c.alpn, vec!["h2", "http/1.1"]);
        assert_eq!(c.signature_schemes_cert, None);
    }

    #[test]
    fn sni_is_rewritten_or_dropped_and_the_padding_keeps_the_length() {
        let p = curl_profile();
        let original = unhex(CURL_HELLO_HEX);
        for sni in [Some("www.example.com"), Some("a"), None] {
            let bytes = p.hello_bytes(sni).unwrap().remove(0);
            let rec = RecordedHello::read(&bytes).unwrap();
            assert_eq!(rec.wire_len, bytes.len());
            // curl pads to 512 bytes: the padding absorbs the change.
            assert_eq!(bytes.len(), original.len(), "{sni:?}");
            let CapturedHello::Tls(h) = &rec.hello else {
                panic!("not TLS")
            };
            let name = h
                .extension(ExtensionType::SERVER_NAME)
                .map(|e| e.parse::<ServerNameList>().unwrap().host_name().unwrap());
            assert_eq!(name.as_deref(), sni);
            // Everything but server_name and padding is as captured.
            let CapturedHello::Tls(o) = RecordedHello::read(&original).unwrap().hello else {
                panic!("not TLS")
            };
            let rest = |h: &ClientHello| -> Vec<Extension> {
                h.extensions()
                    .iter()
                    .filter(|e| {
                        e.typ != ExtensionType::SERVER_NAME && e.typ != ExtensionType::PADDING
                    })
                    .cloned()
                    .collect()
            };
            assert_eq!(rest(h), rest(&o));
            assert_eq!((h.random, &h.cipher_suites), (o.random, &o.cipher_suites));
        }
        // A name longer than the padding leaves it empty, and the hello grows.
        let long = "x".repeat(300);
        let bytes = p.hello_bytes(Some(&long)).unwrap().remove(0);
        let CapturedHello::Tls(h) = RecordedHello::read(&bytes).unwrap().hello else {
            panic!("not TLS")
        };
        assert_eq!(
            h.extension(ExtensionType::PADDING).map(|e| e.data.len()),
            Some(0)
        );
        assert!(bytes.len() > original.len());
    }

    #[test]
    fn a_hello_over_many_records_keeps_its_records() {
        let whole = unhex(CURL_HELLO_HEX);
        let mut split = Vec::new();
        for chunk in whole[5..].chunks(100) {
            split.extend(encode_records(
                ContentType::HANDSHAKE,
                ProtocolVersion::TLS10,
                chunk,
            ));
        }
        let p = ClientProfile::captured(meta("split-1"), &[split.clone()]).unwrap();
        assert_eq!(p.hello_bytes(Some("localhost")).unwrap(), vec![split]);
        let rec = RecordedHello::from_hex(&p.hellos[0]).unwrap();
        assert_eq!(rec.record_lengths, vec![100, 100, 100, 100, 100, 12]);
        // Dropping the SNI keeps the first records' sizes; the last takes the rest.
        let bytes = p.hello_bytes(None).unwrap().remove(0);
        let rec = RecordedHello::read(&bytes).unwrap();
        assert_eq!(rec.record_lengths, vec![100, 100, 100, 100, 100, 12]);
    }

    #[test]
    fn bytes_after_the_hello_are_cut_at_capture_and_refused_in_a_file() {
        let mut bytes = unhex(CURL_HELLO_HEX);
        bytes.extend([0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
        let p = ClientProfile::captured(meta("curl-7.88"), &[bytes.clone()]).unwrap();
        assert_eq!(p.hellos, vec![CURL_HELLO_HEX.to_string()]);
        assert_eq!(
            RecordedHello::from_hex(&encode_hex(&bytes)),
            Err(HelloError::TrailingBytes(6))
        );
    }

    #[test]
    fn bad_hex_and_truncated_hellos_are_typed_errors() {
        let p = curl_profile();
        let with_hello = |h: &str| {
            let mut q = p.clone();
            q.hellos = vec![h.to_string()];
            ClientProfile::from_toml(&q.to_toml().unwrap(), "test")
        };
        let e = with_hello("16030100zz").unwrap_err();
        assert!(
            matches!(&e, ProfileError::Hello { index: 1, error: HelloError::BadHex(m), .. } if m.contains("'z' at position 8")),
            "{e}"
        );
        let e = with_hello("1603010").unwrap_err();
        assert!(
            matches!(
                &e,
                ProfileError::Hello {
                    error: HelloError::BadHex(_),
                    ..
                }
            ),
            "{e}"
        );
        let e = with_hello(&CURL_HELLO_HEX[..600]).unwrap_err();
        assert!(
            matches!(
                &e,
                ProfileError::Hello {
                    error: HelloError::Truncated(300),
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "profile curl-7.88: hello 1: truncated: 300 bytes hold no complete ClientHello"
        );
        let e = with_hello("474554202f20485454502f312e310d0a").unwrap_err();
        assert!(
            matches!(
                &e,
                ProfileError::Hello {
                    error: HelloError::NotRecords(_),
                    ..
                }
            ),
            "{e}"
        );
        // An alert record, then a ServerHello-typed handshake message.
        let e = with_hello("15030300020228").unwrap_err();
        assert!(
            e.to_string().contains("not a ClientHello: a alert record"),
            "{e}"
        );
        let e = with_hello("16030300040e000000").unwrap_err();
        assert!(
            e.to_string()
                .contains("not a ClientHello: a server_hello_done message"),
            "{e}"
        );
        // Wrapped hex is fine.
        let wrapped: String = CURL_HELLO_HEX
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned() + "\n")
            .collect();
        assert!(with_hello(&wrapped).is_ok());
    }

    #[test]
    fn an_sslv2_compatible_hello_is_kept_as_is() {
        let h = Sslv2ClientHello {
            version: 0x0301,
            cipher_specs: vec![
                CipherKind(0x000004),
                CipherKind(0x00002f),
                CipherKind(0x0000ff),
            ],
            session_id: vec![],
            challenge: vec![7; 16],
        };
        let p = ClientProfile::captured(meta("java-6"), &[h.to_record()]).unwrap();
        assert_eq!(
            p.hello_bytes(Some("x.example")).unwrap(),
            vec![h.to_record()]
        );
        let c = p.capabilities().unwrap();
        assert!(c.sslv2_compatible_hello && c.secure_renegotiation && !c.sni);
        assert_eq!(c.versions, vec![ProtocolVersion::TLS10]);
        assert!(!c.versions_listed);
        assert_eq!(
            c.cipher_suites,
            vec![CipherSuite(0x0004), CipherSuite(0x002f)]
        );
    }

    #[test]
    fn declared_profile_capabilities_and_hello() {
        let p = declared("", "").unwrap();
        let c = p.capabilities().unwrap();
        assert_eq!(
            c.versions,
            vec![ProtocolVersion::TLS13, ProtocolVersion::TLS12]
        );
        assert_eq!(
            c.cipher_suites,
            vec![CipherSuite(0x1301), CipherSuite(0xc02f)]
        );
        assert!(c.secure_renegotiation && c.extended_master_secret && c.sni);
        assert_eq!(c.groups, vec![NamedGroup::X25519, NamedGroup::SECP256R1]);
        assert_eq!(c.key_share_groups, vec![NamedGroup::X25519]);
        assert_eq!(
            c.signature_schemes,
            vec![
                SignatureScheme::RSA_PSS_RSAE_SHA256,
                SignatureScheme::ECDSA_SECP256R1_SHA256
            ]
        );
        assert_eq!(c.limits.max_dh_bits, Some(2048));
        // The synthesised hello says the same, read back through the capture path.
        let bytes = p.hello_bytes(Some("www.example.com")).unwrap();
        assert_eq!(bytes.len(), 1);
        let rec = RecordedHello::read(&bytes[0]).unwrap();
        assert_eq!(rec.wire_len, bytes[0].len());
        let mut back = rec.capabilities(&p.limits).unwrap();
        assert_eq!(back.key_share_groups, vec![NamedGroup::X25519]);
        back.versions_listed = true;
        assert_eq!(back, c);
        let CapturedHello::Tls(h) = rec.hello else {
            panic!("not TLS")
        };
        let ks: KeyShareClientHello = h
            .extension(ExtensionType::KEY_SHARE)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(ks.0[0].key_exchange.len(), 32);
        assert_eq!(h.session_id.len(), 32);
        // Padded out of the 256..511 range that hangs some load balancers.
        assert!(bytes[0].len() >= 512 + 5 || bytes[0].len() < 256 + 5);
        // No name: no server_name.
        let bytes = p.hello_bytes(None).unwrap();
        let rec = RecordedHello::read(&bytes[0]).unwrap();
        assert!(!rec.capabilities(&p.limits).unwrap().sni);
    }

    #[test]
    fn declared_tls12_and_sslv2_hellos() {
        let p = declared(
            "versions = [\"TLSv1.2\", \"TLSv1.3\"]",
            "versions = [\"TLSv1.2\", \"TLSv1.1\"]",
        )
        .unwrap();
        let c = p.capabilities().unwrap();
        assert!(c.key_share_groups.is_empty());
        let rec = RecordedHello::read(&p.hello_bytes(Some("a.example")).unwrap()[0]).unwrap();
        let CapturedHello::Tls(h) = rec.hello else {
            panic!("not TLS")
        };
        assert_eq!(h.legacy_version, ProtocolVersion::TLS12);
        assert!(h.extension(ExtensionType::SUPPORTED_VERSIONS).is_none());
        let p = declared("sni = true", "sni = false\nsslv2_compatible_hello = true").unwrap();
        let c = p.capabilities().unwrap();
        assert!(c.sslv2_compatible_hello && !c.sni && c.groups.is_empty());
        let bytes = p.hello_bytes(Some("a.example")).unwrap();
        let rec = RecordedHello::read(&bytes[0]).unwrap();
        let CapturedHello::Sslv2(h) = rec.hello else {
            panic!("not SSLv2")
        };
        assert_eq!(h.version, 0x0304);
        assert_eq!(
            h.cipher_specs,
            vec![CipherKind(0x1301), CipherKind(0xc02f), CipherKind(0x00ff)]
        );
    }

    #[test]
    fn unknown_names_and_bad_code_points_are_typed_errors() {
        let e = declared("\"0x1301\"", "\"TLS_NO_SUCH_SUITE\"").unwrap_err();
        assert!(
            matches!(&e, ProfileError::UnknownName { field: "cipher_suites", value, .. } if value == "TLS_NO_SUCH_SUITE"),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "profile example-1: cipher_suites: unknown name \"TLS_NO_SUCH_SUITE\""
        );
        let e = declared("\"0x1301\"", "\"0xc02fff\"").unwrap_err();
        assert!(
            matches!(
                &e,
                ProfileError::BadCodePoint {
                    field: "cipher_suites",
                    ..
                }
            ),
            "{e}"
        );
        let e = declared("\"0x0017\"", "\"0xzz\"").unwrap_err();
        assert!(
            matches!(
                &e,
                ProfileError::BadCodePoint {
                    field: "groups",
                    ..
                }
            ),
            "{e}"
        );
        let e = declared("\"x25519\"", "\"curve9\"").unwrap_err();
        assert!(
            matches!(
                &e,
                ProfileError::UnknownName {
                    field: "groups",
                    ..
                }
            ),
            "{e}"
        );
        let e = declared("\"TLSv1.3\"", "\"TLSv1.4\"").unwrap_err();
        assert!(
            matches!(
                &e,
                ProfileError::UnknownName {
                    field: "versions",
                    ..
                }
            ),
            "{e}"
        );
        let e = declared("\"ecdsa_secp256r1_sha256\"", "\"ecdsa_sha3\"").unwrap_err();
        assert!(
            matches!(
                &e,
                ProfileError::UnknownName {
                    field: "signature_schemes",
                    ..
                }
            ),
            "{e}"
        );
        // A key share tlsaudit cannot make.
        let e = declared(
            "extended_master_secret = true",
            "key_shares = [\"ffdhe2048\"]",
        )
        .unwrap_err();
        assert!(
            matches!(&e, ProfileError::UnsupportedKeyShare { group, .. } if *group == NamedGroup::FFDHE2048),
            "{e}"
        );
    }

    #[test]
    fn malformed_profiles_are_refused_with_the_reason() {
        let cases = [
            ("id = \"example-1\"", "id = \"Example 1\"", "id must be"),
            (
                "reference = [\"Example TLS manual, section 3, as documented\"]",
                "",
                "must cite",
            ),
            ("sni = true", "", "sni = true or false"),
            (
                "source = \"declared\"",
                "source = \"captured\"",
                "not from fields",
            ),
            ("family = \"example\"", "family = \"Example\"", "lowercase"),
        ];
        for (from, to, want) in cases {
            let e = declared(from, to).unwrap_err();
            assert!(
                matches!(&e, ProfileError::Invalid { .. }) && e.to_string().contains(want),
                "{from} → {to}: {e}"
            );
        }
        let e = declared("sni = true", "sni = true\ncolour = \"blue\"").unwrap_err();
        assert!(
            matches!(&e, ProfileError::Toml { message, .. } if message.contains("unknown field `colour`")),
            "{e}"
        );
        let e = declared("source = \"declared\"", "source = \"guessed\"").unwrap_err();
        assert!(matches!(&e, ProfileError::Toml { .. }), "{e}");
        let e = ClientProfile::load(Path::new("/nonexistent/x.toml")).unwrap_err();
        assert!(matches!(&e, ProfileError::Io { .. }), "{e}");
    }

    fn selection(spec: &str, profiles: &[ClientProfile]) -> Result<Vec<String>, ProfileError> {
        select_from(profiles, spec).map(|v| v.into_iter().map(|p| p.id).collect())
    }

    #[test]
    fn selection_by_id_family_and_keyword() {
        let mut java8 = declared("", "").unwrap();
        java8.id = "java-8".into();
        java8.family = "java".into();
        let mut java7 = java8.clone();
        java7.id = "java-7".into();
        let curl = curl_profile();
        let all = vec![curl, java7, java8];
        assert_eq!(
            selection("all", &all).unwrap(),
            ["curl-7.88", "java-7", "java-8"]
        );
        assert_eq!(selection("captured", &all).unwrap(), ["curl-7.88"]);
        assert_eq!(selection("declared", &all).unwrap(), ["java-7", "java-8"]);
        assert_eq!(selection("java", &all).unwrap(), ["java-7", "java-8"]);
        // Each once, in the profiles' order, whatever the spec's order; blanks ignored.
        assert_eq!(
            selection(" java-8 , curl,,java-8 ", &all).unwrap(),
            ["curl-7.88", "java-8"]
        );
        assert_eq!(selection("ALL", &all).unwrap().len(), 3);
        let e = selection("java-8,java-5", &all).unwrap_err();
        assert!(
            matches!(&e, ProfileError::UnknownClient { name, .. } if name == "java-5"),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "unknown client \"java-5\": valid are all, captured, declared, the families curl, java and the ids curl-7.88, java-7, java-8"
        );
        assert!(matches!(
            selection(" , ", &all),
            Err(ProfileError::EmptySelection)
        ));
        // A keyword that matches nothing is an empty selection, not an error.
        assert_eq!(
            selection("declared", &all[..1]).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn the_builtin_list_is_the_data_directory() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/clients");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let listed: Vec<String> = BUILTIN.iter().map(|(f, _)| f.to_string()).collect();
        assert_eq!(
            listed, on_disk,
            "BUILTIN in profile.rs must list every file in data/clients/, sorted"
        );
        for (file, text) in BUILTIN {
            let on_disk = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
            assert_eq!(*text, on_disk);
        }
    }

    #[test]
    fn every_builtin_profile_loads_and_is_named_after_its_file() {
        let all = builtin().unwrap_or_else(|e| panic!("{e}"));
        for (p, (file, _)) in all.iter().zip(BUILTIN) {
            assert_eq!(format!("{}.toml", p.id), *file);
            let c = p.capabilities().unwrap();
            assert!(
                !c.versions.is_empty() && !c.cipher_suites.is_empty(),
                "{}",
                p.id
            );
            if p.source == Source::Captured {
                // Replaying with the captured name gives the captured bytes.
                let bytes: Vec<Vec<u8>> = p.hellos.iter().map(|h| decode_hex(h).unwrap()).collect();
                let CapturedHello::Tls(h) = RecordedHello::read(&bytes[0]).unwrap().hello else {
                    continue;
                };
                let name = h
                    .extension(ExtensionType::SERVER_NAME)
                    .and_then(|e| e.parse::<ServerNameList>().ok())
                    .and_then(|l| l.host_name());
                assert_eq!(p.hello_bytes(name.as_deref()).unwrap(), bytes, "{}", p.id);
            }
        }
    }

    #[test]
    fn the_notifier_offers_exactly_the_seed_pages_suites() {
        let all = select("multisafepay-notifier").unwrap();
        let c = all[0].capabilities().unwrap();
        assert_eq!(
            c.versions,
            vec![ProtocolVersion::TLS13, ProtocolVersion::TLS12]
        );
        let names: Vec<String> = c.cipher_suites.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            names,
            [
                "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_AES_256_GCM_SHA384",
                "TLS_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                "TLS_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_RSA_WITH_AES_256_GCM_SHA384",
            ]
        );
        assert_eq!(
            c.groups,
            vec![
                NamedGroup::X25519,
                NamedGroup::SECP256R1,
                NamedGroup::SECP384R1
            ]
        );
        assert!(c.sni);
    }
}
