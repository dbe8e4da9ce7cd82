//! Handshake messages and extensions (RFC 8446 section 4, RFC 5246 section 7.4).
//!
//! Extensions are kept as `(type, bytes)` so every extension, known or not, survives a round
//! trip; typed payloads ([`NamedGroupList`], [`KeyShareEntry`], …) are read from them on demand.

use super::codec::{encode_list, put_len_prefixed, read_list, Codec, DecodeError, Reader};
use super::types::{
    CipherSuite, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};

/// RFC 8446 section 4.1.3: a HelloRetryRequest is a ServerHello whose random is SHA-256("HelloRetryRequest").
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// RFC 8446 section 4.1.3: the last 8 bytes of ServerHello.random when a TLS 1.3 server
/// negotiates TLS 1.2 (`…01`) or TLS 1.1 and below (`…00`).
pub const DOWNGRADE_TLS12: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01];
pub const DOWNGRADE_TLS11: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00];

/// One extension as it appears on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub typ: ExtensionType,
    pub data: Vec<u8>,
}

impl Extension {
    pub fn new(typ: ExtensionType, payload: &impl Codec) -> Self {
        Self {
            typ,
            data: payload.to_bytes(),
        }
    }

    pub fn empty(typ: ExtensionType) -> Self {
        Self {
            typ,
            data: Vec::new(),
        }
    }

    /// Reads the payload as `T`, rejecting trailing bytes.
    pub fn parse<T: Codec>(&self) -> Result<T, DecodeError> {
        T::from_bytes(&self.data)
    }
}

impl Codec for Extension {
    fn encode(&self, out: &mut Vec<u8>) {
        self.typ.encode(out);
        put_len_prefixed(out, 2, |o| o.extend_from_slice(&self.data));
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = ExtensionType::read(r)?;
        let data = r.sub_u16("Extension")?.rest().to_vec();
        Ok(Self { typ, data })
    }
}

fn read_extensions(r: &mut Reader<'_>) -> Result<Option<Vec<Extension>>, DecodeError> {
    // RFC 5246 section 7.4.1.2: the extensions block may be absent entirely.
    if r.is_empty() {
        return Ok(None);
    }
    read_list(r, 2, "extensions").map(Some)
}

fn find_ext(exts: &Option<Vec<Extension>>, typ: ExtensionType) -> Option<&Extension> {
    exts.as_ref()?.iter().find(|e| e.typ == typ)
}

/// `server_name` (RFC 6066 section 3): we only build and read `host_name` entries; others are kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerNameList(pub Vec<(u8, Vec<u8>)>);

impl ServerNameList {
    pub fn host(name: &str) -> Self {
        Self(vec![(0, name.as_bytes().to_vec())])
    }

    pub fn host_name(&self) -> Option<String> {
        self.0
            .iter()
            .find(|(t, _)| *t == 0)
            .map(|(_, n)| String::from_utf8_lossy(n).into_owned())
    }
}

impl Codec for ServerNameList {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len_prefixed(out, 2, |o| {
            for (t, n) in &self.0 {
                o.push(*t);
                put_len_prefixed(o, 2, |o| o.extend_from_slice(n));
            }
        });
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut sub = r.sub_u16("ServerNameList")?;
        let mut out = Vec::new();
        while !sub.is_empty() {
            let t = sub.u8("ServerName type")?;
            out.push((t, sub.sub_u16("ServerName")?.rest().to_vec()));
        }
        Ok(Self(out))
    }
}

/// Declares a payload that is one length-prefixed list of codec items.
macro_rules! list_payload {
    ($(#[$meta:meta])* $name:ident, $item:ty, $prefix:literal, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $name(pub Vec<$item>);

        impl Codec for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                encode_list(out, $prefix, &self.0);
            }
            fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok(Self(read_list(r, $prefix, $what)?))
            }
        }
    };
}

impl Codec for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u8("u8")
    }
}

list_payload!(
    /// `supported_groups` (RFC 8446 section 4.2.7).
    NamedGroupList, NamedGroup, 2, "NamedGroupList"
);
list_payload!(
    /// `signature_algorithms` and `signature_algorithms_cert` (RFC 8446 section 4.2.3).
    SignatureSchemeList, SignatureScheme, 2, "SignatureSchemeList"
);
list_payload!(
    /// `supported_versions` in a ClientHello (RFC 8446 section 4.2.1).
    ProtocolVersionList, ProtocolVersion, 1, "ProtocolVersionList"
);
list_payload!(
    /// `ec_point_formats` (RFC 8422 section 5.1.2).
    EcPointFormatList, u8, 1, "EcPointFormatList"
);
list_payload!(
    /// `key_share` in a ClientHello (RFC 8446 section 4.2.8).
    KeyShareClientHello, KeyShareEntry, 2, "KeyShareClientHello"
);

/// A protocol name for ALPN (RFC 7301), as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolName(pub Vec<u8>);

impl Codec for ProtocolName {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len_prefixed(out, 1, |o| o.extend_from_slice(&self.0));
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self(r.sub_u8("ProtocolName")?.rest().to_vec()))
    }
}

list_payload!(
    /// `application_layer_protocol_negotiation` (RFC 7301 section 3.1).
    ProtocolNameList, ProtocolName, 2, "ProtocolNameList"
);

/// `KeyShareEntry` (RFC 8446 section 4.2.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyShareEntry {
    pub group: NamedGroup,
    pub key_exchange: Vec<u8>,
}

impl Codec for KeyShareEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        self.group.encode(out);
        put_len_prefixed(out, 2, |o| o.extend_from_slice(&self.key_exchange));
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let group = NamedGroup::read(r)?;
        let key_exchange = r.sub_u16("KeyShareEntry")?.rest().to_vec();
        Ok(Self {
            group,
            key_exchange,
        })
    }
}

/// `ClientHello` (RFC 8446 section 4.1.2; RFC 5246 section 7.4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    pub legacy_version: ProtocolVersion,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cipher_suites: Vec<CipherSuite>,
    pub compression_methods: Vec<u8>,
    /// `None` when the hello has no extensions block at all (SSLv3-style).
    pub extensions: Option<Vec<Extension>>,
}

impl ClientHello {
    pub fn extension(&self, typ: ExtensionType) -> Option<&Extension> {
        find_ext(&self.extensions, typ)
    }

    pub fn extensions(&self) -> &[Extension] {
        self.extensions.as_deref().unwrap_or(&[])
    }

    /// Adds a `padding` extension (RFC 7685) when the encoded handshake message would be
    /// 256..=511 bytes long: some load balancers hang on hellos of that size.
    pub fn pad_past_512(&mut self) {
        let len = HandshakeMessage::ClientHello(self.clone()).to_bytes().len();
        if (256..512).contains(&len) {
            // The padding extension costs 4 bytes of header on top of its payload; an
            // absent extensions block costs 2 more for its length.
            let overhead = if self.extensions.is_some() { 4 } else { 6 };
            let pad = 512usize.saturating_sub(len + overhead);
            self.extensions
                .get_or_insert_with(Vec::new)
                .push(Extension {
                    typ: ExtensionType::PADDING,
                    data: vec![0; pad],
                });
        }
    }
}

impl Codec for ClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.legacy_version.encode(out);
        out.extend_from_slice(&self.random);
        put_len_prefixed(out, 1, |o| o.extend_from_slice(&self.session_id));
        encode_list(out, 2, &self.cipher_suites);
        put_len_prefixed(out, 1, |o| o.extend_from_slice(&self.compression_methods));
        if let Some(exts) = &self.extensions {
            encode_list(out, 2, exts);
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let legacy_version = ProtocolVersion::read(r)?;
        let mut random = [0u8; 32];
        random.copy_from_slice(r.take(32, "ClientHello.random")?);
        let session_id = r.sub_u8("ClientHello.session_id")?.rest().to_vec();
        if session_id.len() > 32 {
            return Err(DecodeError::Invalid(
                "ClientHello.session_id",
                "longer than 32".into(),
            ));
        }
        let cipher_suites = read_list(r, 2, "ClientHello.cipher_suites")?;
        let compression_methods = r.sub_u8("ClientHello.compression_methods")?.rest().to_vec();
        let extensions = read_extensions(r)?;
        Ok(Self {
            legacy_version,
            random,
            session_id,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }
}

/// `ServerHello` (RFC 8446 section 4.1.3), which is also the HelloRetryRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    pub legacy_version: ProtocolVersion,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cipher_suite: CipherSuite,
    pub compression_method: u8,
    pub extensions: Option<Vec<Extension>>,
}

impl ServerHello {
    pub fn extension(&self, typ: ExtensionType) -> Option<&Extension> {
        find_ext(&self.extensions, typ)
    }

    pub fn extensions(&self) -> &[Extension] {
        self.extensions.as_deref().unwrap_or(&[])
    }

    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HRR_RANDOM
    }

    /// The negotiated version: `supported_versions` when present (RFC 8446 section 4.2.1), else `legacy_version`.
    pub fn negotiated_version(&self) -> ProtocolVersion {
        self.extension(ExtensionType::SUPPORTED_VERSIONS)
            .and_then(|e| e.parse::<ProtocolVersion>().ok())
            .unwrap_or(self.legacy_version)
    }

    /// The group of a ServerHello key share, or the group an HRR asks for.
    pub fn key_share_group(&self) -> Option<NamedGroup> {
        let ext = self.extension(ExtensionType::KEY_SHARE)?;
        if self.is_hello_retry_request() {
            ext.parse::<NamedGroup>().ok()
        } else {
            ext.parse::<KeyShareEntry>().ok().map(|k| k.group)
        }
    }

    /// The TLS 1.3 downgrade sentinel in the random, if present.
    pub fn downgrade_sentinel(&self) -> Option<ProtocolVersion> {
        let tail = &self.random[24..];
        if tail == DOWNGRADE_TLS12 {
            Some(ProtocolVersion::TLS12)
        } else if tail == DOWNGRADE_TLS11 {
            Some(ProtocolVersion::TLS11)
        } else {
            None
        }
    }
}

impl Codec for ServerHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.legacy_version.encode(out);
        out.extend_from_slice(&self.random);
        put_len_prefixed(out, 1, |o| o.extend_from_slice(&self.session_id));
        self.cipher_suite.encode(out);
        out.push(self.compression_method);
        if let Some(exts) = &self.extensions {
            encode_list(out, 2, exts);
        }
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let legacy_version = ProtocolVersion::read(r)?;
        let mut random = [0u8; 32];
        random.copy_from_slice(r.take(32, "ServerHello.random")?);
        let session_id = r.sub_u8("ServerHello.session_id")?.rest().to_vec();
        // RFC 5246 section 7.4.1.3 and RFC 8446 section 4.1.3: opaque legacy_session_id<0..32>;
        // clients abort on a longer one, so it is no answer a client could use.
        if session_id.len() > 32 {
            return Err(DecodeError::Invalid(
                "ServerHello.session_id",
                "longer than 32".into(),
            ));
        }
        let cipher_suite = CipherSuite::read(r)?;
        let compression_method = r.u8("ServerHello.compression_method")?;
        let extensions = read_extensions(r)?;
        Ok(Self {
            legacy_version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions,
        })
    }
}

/// `Certificate` as sent in the clear by TLS 1.2 and below (RFC 5246 section 7.4.2): DER certs, leaf first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertificateList(pub Vec<Vec<u8>>);

impl Codec for CertificateList {
    fn encode(&self, out: &mut Vec<u8>) {
        put_len_prefixed(out, 3, |o| {
            for c in &self.0 {
                put_len_prefixed(o, 3, |o| o.extend_from_slice(c));
            }
        });
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut sub = r.sub_u24("Certificate")?;
        let mut out = Vec::new();
        while !sub.is_empty() {
            out.push(sub.sub_u24("ASN.1Cert")?.rest().to_vec());
        }
        Ok(Self(out))
    }
}

/// `CertificateStatus` (RFC 6066 section 8): `status_type` 1 is an OCSP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateStatus {
    pub status_type: u8,
    pub response: Vec<u8>,
}

impl Codec for CertificateStatus {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.status_type);
        put_len_prefixed(out, 3, |o| o.extend_from_slice(&self.response));
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let status_type = r.u8("CertificateStatus.status_type")?;
        let response = r.sub_u24("CertificateStatus.response")?.rest().to_vec();
        Ok(Self {
            status_type,
            response,
        })
    }
}

/// The key-exchange parameters of a TLS 1.2-and-below `ServerKeyExchange` (RFC 8422 section
/// 5.4, RFC 5246 section 7.4.3). Its shape depends on the suite, so it is read with a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerKeyExchangeParams {
    /// ECParameters with `curve_type` named_curve (3).
    Ecdhe { group: NamedGroup, public: Vec<u8> },
    /// An explicit curve (curve_type 1 or 2): kept raw, and a finding in itself.
    EcdheExplicit { curve_type: u8 },
    /// ServerDHParams: the prime, the generator and the server's public value.
    Dhe { p: Vec<u8>, g: Vec<u8>, ys: Vec<u8> },
}

impl ServerKeyExchangeParams {
    /// Reads the parameters at the start of a ServerKeyExchange body; the signature after them is ignored.
    pub fn read_ecdhe(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let curve_type = r.u8("ECParameters.curve_type")?;
        if curve_type != 3 {
            return Ok(Self::EcdheExplicit { curve_type });
        }
        let group = NamedGroup::read(&mut r)?;
        let public = r.sub_u8("ECPoint")?.rest().to_vec();
        Ok(Self::Ecdhe { group, public })
    }

    pub fn read_dhe(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let p = r.sub_u16("ServerDHParams.dh_p")?.rest().to_vec();
        let g = r.sub_u16("ServerDHParams.dh_g")?.rest().to_vec();
        let ys = r.sub_u16("ServerDHParams.dh_Ys")?.rest().to_vec();
        Ok(Self::Dhe { p, g, ys })
    }
}

impl ServerKeyExchangeParams {
    /// The `SignatureAndHashAlgorithm` of a TLS 1.2 ServerKeyExchange, which follows the
    /// params in the clear (RFC 5246 section 7.4.3, RFC 8422 section 5.4). `dhe` says whether
    /// the params are ServerDHParams or ECParameters. TLS 1.0/1.1 carry no scheme.
    pub fn tls12_signature_scheme(body: &[u8], dhe: bool) -> Result<SignatureScheme, DecodeError> {
        let mut r = Reader::new(body);
        if dhe {
            for what in [
                "ServerDHParams.dh_p",
                "ServerDHParams.dh_g",
                "ServerDHParams.dh_Ys",
            ] {
                r.sub_u16(what)?;
            }
        } else {
            let curve_type = r.u8("ECParameters.curve_type")?;
            if curve_type != 3 {
                return Err(DecodeError::Invalid(
                    "ECParameters.curve_type",
                    format!("explicit curve {curve_type}"),
                ));
            }
            NamedGroup::read(&mut r)?;
            r.sub_u8("ECPoint")?;
        }
        let scheme = SignatureScheme::read(&mut r)?;
        r.sub_u16("ServerKeyExchange.signature")?;
        r.expect_empty("ServerKeyExchange")?;
        Ok(scheme)
    }
}

/// A handshake message: type, 24-bit length, body (RFC 8446 section 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeMessage {
    ClientHello(ClientHello),
    ServerHello(ServerHello),
    Certificate(CertificateList),
    CertificateStatus(CertificateStatus),
    ServerHelloDone,
    /// Any other message, kept raw (ServerKeyExchange and CertificateRequest depend on the
    /// negotiated suite and version, so they are read from the raw body by the caller).
    Other {
        typ: HandshakeType,
        body: Vec<u8>,
    },
}

impl HandshakeMessage {
    pub fn typ(&self) -> HandshakeType {
        match self {
            Self::ClientHello(_) => HandshakeType::CLIENT_HELLO,
            Self::ServerHello(_) => HandshakeType::SERVER_HELLO,
            Self::Certificate(_) => HandshakeType::CERTIFICATE,
            Self::CertificateStatus(_) => HandshakeType::CERTIFICATE_STATUS,
            Self::ServerHelloDone => HandshakeType::SERVER_HELLO_DONE,
            Self::Other { typ, .. } => *typ,
        }
    }
}

impl HandshakeMessage {
    /// The lifetime of a NewSessionTicket in seconds: its first field in TLS 1.2
    /// (`ticket_lifetime_hint`, RFC 5077 section 3.3) and TLS 1.3 (`ticket_lifetime`, RFC 8446
    /// section 4.6.1). `None` for any other message.
    pub fn ticket_lifetime(&self) -> Option<u32> {
        match self {
            Self::Other {
                typ: HandshakeType::NEW_SESSION_TICKET,
                body,
            } => {
                let b = body.get(..4)?;
                Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            }
            _ => None,
        }
    }
}

impl Codec for HandshakeMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        self.typ().encode(out);
        put_len_prefixed(out, 3, |o| match self {
            Self::ClientHello(m) => m.encode(o),
            Self::ServerHello(m) => m.encode(o),
            Self::Certificate(m) => m.encode(o),
            Self::CertificateStatus(m) => m.encode(o),
            Self::ServerHelloDone => {}
            Self::Other { body, .. } => o.extend_from_slice(body),
        });
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = HandshakeType::read(r)?;
        let mut body = r.sub_u24("handshake message")?;
        let msg = match typ {
            HandshakeType::CLIENT_HELLO => {
                let m = ClientHello::read(&mut body)?;
                body.expect_empty("ClientHello")?;
                Self::ClientHello(m)
            }
            HandshakeType::SERVER_HELLO => {
                let m = ServerHello::read(&mut body)?;
                body.expect_empty("ServerHello")?;
                Self::ServerHello(m)
            }
            HandshakeType::CERTIFICATE => {
                let m = CertificateList::read(&mut body)?;
                body.expect_empty("Certificate")?;
                Self::Certificate(m)
            }
            HandshakeType::CERTIFICATE_STATUS => {
                let m = CertificateStatus::read(&mut body)?;
                body.expect_empty("CertificateStatus")?;
                Self::CertificateStatus(m)
            }
            HandshakeType::SERVER_HELLO_DONE => {
                body.expect_empty("ServerHelloDone")?;
                Self::ServerHelloDone
            }
            _ => Self::Other {
                typ,
                body: body.rest().to_vec(),
            },
        };
        Ok(msg)
    }
}

/// `CertificateRequest` for TLS 1.0-1.2 (RFC 5246 section 7.4.4): `signature_algorithms`
/// exists only in TLS 1.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest12 {
    pub certificate_types: Vec<u8>,
    pub signature_algorithms: Vec<SignatureScheme>,
    /// DER-encoded distinguished names of acceptable CAs.
    pub certificate_authorities: Vec<Vec<u8>>,
}

impl CertificateRequest12 {
    pub fn read(body: &[u8], tls12: bool) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let certificate_types = r
            .sub_u8("CertificateRequest.certificate_types")?
            .rest()
            .to_vec();
        let signature_algorithms = if tls12 {
            read_list(&mut r, 2, "CertificateRequest.signature_algorithms")?
        } else {
            Vec::new()
        };
        let mut cas = r.sub_u16("CertificateRequest.certificate_authorities")?;
        let mut certificate_authorities = Vec::new();
        while !cas.is_empty() {
            certificate_authorities.push(cas.sub_u16("DistinguishedName")?.rest().to_vec());
        }
        r.expect_empty("CertificateRequest")?;
        Ok(Self {
            certificate_types,
            signature_algorithms,
            certificate_authorities,
        })
    }
}

/// Sample values of every message type, for round-trip and truncation tests.
#[cfg(test)]
pub(crate) fn samples() -> Vec<HandshakeMessage> {
    let ch = ClientHello {
        legacy_version: ProtocolVersion::TLS12,
        random: [7; 32],
        session_id: vec![1; 32],
        cipher_suites: vec![
            CipherSuite(0x1301),
            CipherSuite(0xc02f),
            CipherSuite(0x0a0a),
        ],
        compression_methods: vec![0],
        extensions: Some(vec![
            Extension::new(
                ExtensionType::SERVER_NAME,
                &ServerNameList::host("example.com"),
            ),
            Extension::new(
                ExtensionType::SUPPORTED_GROUPS,
                &NamedGroupList(vec![NamedGroup::X25519, NamedGroup(0x1234)]),
            ),
            Extension::new(
                ExtensionType::KEY_SHARE,
                &KeyShareClientHello(vec![KeyShareEntry {
                    group: NamedGroup::X25519,
                    key_exchange: vec![9; 32],
                }]),
            ),
            Extension {
                typ: ExtensionType(0xfe99),
                data: vec![1, 2, 3],
            },
        ]),
    };
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLS12,
        random: HRR_RANDOM,
        session_id: vec![],
        cipher_suite: CipherSuite(0x1302),
        compression_method: 0,
        extensions: Some(vec![
            Extension::new(ExtensionType::SUPPORTED_VERSIONS, &ProtocolVersion::TLS13),
            Extension::new(ExtensionType::KEY_SHARE, &NamedGroup::SECP256R1),
        ]),
    };
    let old_ch = ClientHello {
        extensions: None,
        legacy_version: ProtocolVersion::SSLV3,
        ..ch.clone()
    };
    vec![
        HandshakeMessage::ClientHello(ch),
        HandshakeMessage::ClientHello(old_ch),
        HandshakeMessage::ServerHello(sh),
        HandshakeMessage::Certificate(CertificateList(vec![vec![0x30, 1, 2], vec![0x30; 10]])),
        HandshakeMessage::CertificateStatus(CertificateStatus {
            status_type: 1,
            response: vec![5; 7],
        }),
        HandshakeMessage::ServerHelloDone,
        HandshakeMessage::Other {
            typ: HandshakeType::SERVER_KEY_EXCHANGE,
            body: vec![3, 0, 29, 1, 4],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_hello_session_id_over_32_bytes_is_invalid() {
        let hello = |len: usize| {
            HandshakeMessage::ServerHello(ServerHello {
                legacy_version: ProtocolVersion::TLS12,
                random: [7; 32],
                session_id: vec![5; len],
                cipher_suite: CipherSuite(0xc02f),
                compression_method: 0,
                extensions: None,
            })
            .to_bytes()
        };
        assert!(HandshakeMessage::from_bytes(&hello(32)).is_ok());
        assert!(HandshakeMessage::from_bytes(&hello(33)).is_err());
    }

    #[test]
    fn every_sample_round_trips() {
        for m in samples() {
            let bytes = m.to_bytes();
            assert_eq!(
                HandshakeMessage::from_bytes(&bytes).unwrap(),
                m,
                "{:?}",
                m.typ()
            );
        }
    }

    #[test]
    fn every_sample_truncated_at_every_length_is_an_error_not_a_panic() {
        for m in samples() {
            let bytes = m.to_bytes();
            for cut in 0..bytes.len() {
                assert!(
                    HandshakeMessage::from_bytes(&bytes[..cut]).is_err(),
                    "{:?} cut at {cut} parsed",
                    m.typ()
                );
            }
        }
    }

    #[test]
    fn hrr_names_its_group_and_version() {
        let HandshakeMessage::ServerHello(sh) = &samples()[2] else {
            unreachable!()
        };
        assert!(sh.is_hello_retry_request());
        assert_eq!(sh.negotiated_version(), ProtocolVersion::TLS13);
        assert_eq!(sh.key_share_group(), Some(NamedGroup::SECP256R1));
    }

    #[test]
    fn padding_moves_hellos_out_of_256_to_511() {
        for n in 0..200u16 {
            let mut ch = ClientHello {
                legacy_version: ProtocolVersion::TLS12,
                random: [0; 32],
                session_id: vec![],
                cipher_suites: (0..n).map(CipherSuite).collect(),
                compression_methods: vec![0],
                extensions: if n % 2 == 0 { None } else { Some(vec![]) },
            };
            ch.pad_past_512();
            let len = HandshakeMessage::ClientHello(ch).to_bytes().len();
            assert!(!(256..512).contains(&len), "{n} suites gave {len} bytes");
        }
    }

    #[test]
    fn server_key_exchange_params() {
        let p = ServerKeyExchangeParams::read_ecdhe(&[3, 0, 29, 2, 0xaa, 0xbb, 0xff]).unwrap();
        assert_eq!(
            p,
            ServerKeyExchangeParams::Ecdhe {
                group: NamedGroup::X25519,
                public: vec![0xaa, 0xbb]
            }
        );
        let d = ServerKeyExchangeParams::read_dhe(&[0, 1, 0xf7, 0, 1, 2, 0, 1, 5]).unwrap();
        assert_eq!(
            d,
            ServerKeyExchangeParams::Dhe {
                p: vec![0xf7],
                g: vec![2],
                ys: vec![5]
            }
        );
        assert!(ServerKeyExchangeParams::read_dhe(&[0, 9, 1]).is_err());
        let signed = [3, 0, 29, 1, 0xaa, 0x08, 0x04, 0, 2, 0xde, 0xad];
        assert_eq!(
            ServerKeyExchangeParams::tls12_signature_scheme(&signed, false),
            Ok(SignatureScheme::RSA_PSS_RSAE_SHA256)
        );
        let signed = [0, 1, 0xf7, 0, 1, 2, 0, 1, 5, 0x04, 0x01, 0, 0];
        assert_eq!(
            ServerKeyExchangeParams::tls12_signature_scheme(&signed, true),
            Ok(SignatureScheme::RSA_PKCS1_SHA256)
        );
        assert!(ServerKeyExchangeParams::tls12_signature_scheme(&signed[..10], true).is_err());
    }
}
