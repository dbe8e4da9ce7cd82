//! Encrypted Client Hello probes (RFC 9849): one TLS 1.3 hello with an
//! `encrypted_client_hello` extension, read up to the server's EncryptedExtensions.
//!
//! - GREASE (section 6.2): random `enc` and `payload` of the sizes a real one has. An ECH
//!   server handshakes on the outer hello and sends `retry_configs`; others ignore it.
//! - Real (section 6.1): the inner hello (the target's name) sealed with HPKE (RFC 9180
//!   DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, the `hpke` crate) to the server's
//!   config; the outer hello carries the config's public name. The server accepted it when
//!   ServerHello.random ends with the confirmation of section 7.2.
//!
//! The handshake keys come from our own key shares (X25519, P-256, P-384 from ring), so the
//! server's EncryptedExtensions are read; the handshake is never finished.

use hpke::{Deserializable, Serializable};
use rand::RngCore;
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

use super::engine::{Engine, Hello, HostHandle};
use super::hello::HelloSpec;
use super::tls13::{FlightEvent, FlightReader13, Suite};
use crate::wire::ech::{
    EchClientHello, EchConfig, EchConfigContents, EchConfigList, SUPPORTED_SUITE,
};
use crate::wire::{
    Alert, CipherSuite, ClientHello, Codec, Extension, ExtensionType, HandshakeMessage,
    KeyShareEntry, NamedGroup, ProtocolVersion, ServerHello,
};

/// The TLS 1.3 suites the probes offer: the three whose key schedule [`Suite`] knows.
const SUITES: [u16; 3] = [0x1301, 0x1302, 0x1303];

/// The key shares the probes send, one per group ring can agree on, so that no
/// HelloRetryRequest is needed with any common server.
struct KeyShares(Vec<(NamedGroup, Option<EphemeralPrivateKey>, Vec<u8>)>);

impl KeyShares {
    fn new() -> Result<Self, String> {
        let rng = ring::rand::SystemRandom::new();
        let mut out = Vec::new();
        for (group, alg) in [
            (NamedGroup::X25519, &agreement::X25519),
            (NamedGroup::SECP256R1, &agreement::ECDH_P256),
            (NamedGroup::SECP384R1, &agreement::ECDH_P384),
        ] {
            let key = EphemeralPrivateKey::generate(alg, &rng)
                .map_err(|_| "cannot make a key share (no system randomness)".to_string())?;
            let public = key
                .compute_public_key()
                .map_err(|_| "cannot compute a key share".to_string())?
                .as_ref()
                .to_vec();
            out.push((group, Some(key), public));
        }
        Ok(Self(out))
    }

    fn entries(&self) -> Vec<KeyShareEntry> {
        self.0
            .iter()
            .map(|(group, _, public)| KeyShareEntry {
                group: *group,
                key_exchange: public.clone(),
            })
            .collect()
    }

    /// The (EC)DHE shared secret with the server's share; each private key is used once.
    fn agree(&mut self, server: &KeyShareEntry) -> Result<Vec<u8>, String> {
        let (group, key) = self
            .0
            .iter_mut()
            .find(|(g, _, _)| *g == server.group)
            .map(|(g, k, _)| (*g, k.take()))
            .ok_or_else(|| {
                format!(
                    "the server's key share is for {}, which was not offered",
                    server.group
                )
            })?;
        let key = key.ok_or("the key share was used already")?;
        let alg = match group {
            NamedGroup::X25519 => &agreement::X25519,
            NamedGroup::SECP256R1 => &agreement::ECDH_P256,
            _ => &agreement::ECDH_P384,
        };
        agreement::agree_ephemeral(
            key,
            &UnparsedPublicKey::new(alg, &server.key_exchange),
            |secret| secret.to_vec(),
        )
        .map_err(|_| {
            format!(
                "the server's {} key share is not a valid public key",
                server.group
            )
        })
    }
}

/// How the server answered one ECH hello, before it is judged.
#[derive(Debug, Clone, PartialEq)]
pub enum EchAnswer {
    /// A TLS 1.3 ServerHello, and what followed.
    Flight {
        /// "ServerHello TLSv1.3 TLS_AES_128_GCM_SHA256".
        hello: String,
        /// Whether ServerHello.random carried the ECH acceptance confirmation (real ECH only).
        accepted: Option<bool>,
        /// The EncryptedExtensions' extensions, or why they could not be read.
        encrypted_extensions: Result<Vec<Extension>, String>,
    },
    /// A HelloRetryRequest (for the group named), or a ServerHello of another version.
    OtherHello(String),
    Alert(Alert),
    Closed,
    Reset,
    Timeout,
    Malformed(String),
    ConnectFailed(String),
}

impl EchAnswer {
    /// The `retry_configs` in the server's EncryptedExtensions (the ECHConfigList bytes).
    pub fn retry_configs(&self) -> Option<Vec<u8>> {
        match self {
            EchAnswer::Flight {
                encrypted_extensions: Ok(exts),
                ..
            } => exts
                .iter()
                .find(|e| e.typ == ExtensionType::ENCRYPTED_CLIENT_HELLO)
                .map(|e| e.data.clone()),
            _ => None,
        }
    }

    /// A short, human description for evidence fields.
    pub fn describe(&self) -> String {
        match self {
            EchAnswer::Flight {
                hello,
                accepted,
                encrypted_extensions,
            } => {
                let confirmation = match accepted {
                    Some(true) => ", ServerHello.random carries the ECH acceptance confirmation",
                    Some(false) => ", no ECH acceptance confirmation in ServerHello.random",
                    None => "",
                };
                let ee = match encrypted_extensions {
                    Ok(_) if self.retry_configs().is_some() => {
                        "EncryptedExtensions with encrypted_client_hello (retry_configs)"
                            .to_string()
                    }
                    Ok(_) => "EncryptedExtensions without encrypted_client_hello".to_string(),
                    Err(e) => format!("EncryptedExtensions not read: {e}"),
                };
                format!("{hello}{confirmation}; {ee}")
            }
            EchAnswer::OtherHello(h) => h.clone(),
            EchAnswer::Alert(a) => format!("alert {}", a.description),
            EchAnswer::Closed => "connection closed without an answer".into(),
            EchAnswer::Reset => "connection reset".into(),
            EchAnswer::Timeout => "no answer before the timeout".into(),
            EchAnswer::Malformed(m) => format!("malformed answer: {m}"),
            EchAnswer::ConnectFailed(m) => format!("connect failed: {m}"),
        }
    }

    /// Whether the server broke the handshake (an alert, a close, a reset, garbage).
    pub fn broke(&self) -> bool {
        matches!(
            self,
            EchAnswer::Alert(_) | EchAnswer::Closed | EchAnswer::Reset | EchAnswer::Malformed(_)
        )
    }
}

/// The hellos of one probe: what is sent, and what the key schedule needs.
struct Plan {
    outer: ClientHello,
    /// The ClientHelloInner as the transcript has it, and its random (real ECH only).
    inner: Option<(Vec<u8>, [u8; 32])>,
    shares: KeyShares,
}

/// A TLS 1.3 hello of the probes: the three suites, three key shares, `sni`, and `extra`.
fn base_hello(sni: Option<String>, shares: &KeyShares, extra: Vec<Extension>) -> ClientHello {
    let suites = SUITES.iter().map(|s| CipherSuite(*s)).collect();
    let mut spec = HelloSpec::new(ProtocolVersion::TLS13, suites, sni);
    spec.key_shares = shares.entries();
    spec.extra = extra;
    match spec.build() {
        Hello::Tls { hello, .. } => hello,
        // HelloSpec builds TLS hellos for TLS 1.3.
        Hello::Sslv2(_) | Hello::Recorded { .. } => ClientHello {
            legacy_version: ProtocolVersion::TLS12,
            random: [0; 32],
            session_id: vec![],
            cipher_suites: vec![],
            compression_methods: vec![0],
            extensions: None,
        },
    }
}

/// EncodedClientHelloInner (RFC 9849 section 5.1): the inner hello with an empty
/// legacy_session_id, padded with zeros (section 6.1.3) as if the name were
/// `maximum_name_length` long, then to a multiple of 32.
fn encoded_inner(inner: &ClientHello, maximum_name_length: u8) -> Vec<u8> {
    let mut encoded = ClientHello {
        session_id: Vec::new(),
        ..inner.clone()
    }
    .to_bytes();
    let name_len = inner
        .extension(ExtensionType::SERVER_NAME)
        .map_or(0, |e| e.data.len().saturating_sub(5));
    let mut pad = if name_len > 0 {
        usize::from(maximum_name_length).saturating_sub(name_len)
    } else {
        usize::from(maximum_name_length) + 9
    };
    pad += 31 - (encoded.len() + pad + 31) % 32;
    encoded.resize(encoded.len() + pad, 0);
    encoded
}

/// The inner hello for `sni`: TLS 1.3 with the `encrypted_client_hello` inner marker.
fn inner_hello(sni: Option<String>, shares: &KeyShares, session_id: &[u8]) -> ClientHello {
    let mut inner = base_hello(
        sni,
        shares,
        vec![Extension::new(
            ExtensionType::ENCRYPTED_CLIENT_HELLO,
            &EchClientHello::Inner,
        )],
    );
    // The padding extension of base hellos is for the clear hello; the inner one is padded
    // as a whole (encoded_inner), and shares the outer hello's session id.
    if let Some(exts) = inner.extensions.as_mut() {
        exts.retain(|e| e.typ != ExtensionType::PADDING);
    }
    inner.session_id = session_id.to_vec();
    inner
}

/// Replaces the payload of the outer `encrypted_client_hello` extension.
fn set_payload(hello: &mut ClientHello, payload: Vec<u8>) {
    if let Some(ext) = hello.extensions.as_mut().and_then(|exts| {
        exts.iter_mut()
            .find(|e| e.typ == ExtensionType::ENCRYPTED_CLIENT_HELLO)
    }) {
        if let Ok(EchClientHello::Outer {
            cipher_suite,
            config_id,
            enc,
            ..
        }) = ext.parse::<EchClientHello>()
        {
            ext.data = EchClientHello::Outer {
                cipher_suite,
                config_id,
                enc,
                payload,
            }
            .to_bytes();
        }
    }
}

/// The GREASE hello (RFC 9849 section 6.2): the target's name in SNI, and an outer
/// `encrypted_client_hello` with a random config id, a random 32-byte `enc` (an X25519
/// key's size) and a random payload as long as a real inner hello's would be.
fn grease_plan(sni: Option<String>) -> Result<Plan, String> {
    let shares = KeyShares::new()?;
    let mut rng = rand::thread_rng();
    let payload_len = encoded_inner(&inner_hello(sni.clone(), &shares, &[]), 0).len() + 16;
    let mut enc = vec![0u8; 32];
    rng.fill_bytes(&mut enc);
    let mut payload = vec![0u8; payload_len];
    rng.fill_bytes(&mut payload);
    let ext = EchClientHello::Outer {
        cipher_suite: SUPPORTED_SUITE,
        config_id: (rng.next_u32() & 0xff) as u8,
        enc,
        payload,
    };
    let outer = base_hello(
        sni,
        &shares,
        vec![Extension::new(ExtensionType::ENCRYPTED_CLIENT_HELLO, &ext)],
    );
    Ok(Plan {
        outer,
        inner: None,
        shares,
    })
}

/// The hello without any ECH extension, to tell intolerance of ECH from a refusal of
/// something else in the probes' hello.
fn control_plan(sni: Option<String>) -> Result<Plan, String> {
    let shares = KeyShares::new()?;
    let outer = base_hello(sni, &shares, vec![]);
    Ok(Plan {
        outer,
        inner: None,
        shares,
    })
}

/// A real ECH hello (RFC 9849 section 6.1) to `config`: the inner hello names `sni`, the
/// outer one the config's public name.
fn real_plan(
    sni: Option<String>,
    config: &EchConfig,
    contents: &EchConfigContents,
) -> Result<Plan, String> {
    type Kem = hpke::kem::X25519HkdfSha256;
    let shares = KeyShares::new()?;
    let public_key = <Kem as hpke::Kem>::PublicKey::from_bytes(&contents.public_key)
        .map_err(|e| format!("the ECH config's public key is no X25519 key: {e:?}"))?;
    // Section 6.1: info = "tls ech" || 0x00 || ECHConfig.
    let info = [b"tls ech\0".as_slice(), &config.to_bytes()].concat();
    let (enc, mut sender) =
        hpke::setup_sender::<hpke::aead::AesGcm128, hpke::kdf::HkdfSha256, Kem, _>(
            &hpke::OpModeS::Base,
            &public_key,
            &info,
            &mut rand::thread_rng(),
        )
        .map_err(|e| format!("HPKE setup failed: {e:?}"))?;
    let enc = enc.to_bytes().to_vec();
    let mut outer = base_hello(
        Some(contents.public_name_text()),
        &shares,
        vec![Extension::new(
            ExtensionType::ENCRYPTED_CLIENT_HELLO,
            &EchClientHello::Outer {
                cipher_suite: SUPPORTED_SUITE,
                config_id: contents.config_id,
                enc,
                payload: Vec::new(),
            },
        )],
    );
    let inner = inner_hello(sni, &shares, &outer.session_id);
    let encoded = encoded_inner(&inner, contents.maximum_name_length);
    // Section 5.2: the AAD is ClientHelloOuter with the payload zeroed, at its final length.
    set_payload(&mut outer, vec![0; encoded.len() + 16]);
    let aad = outer.to_bytes();
    let payload = sender
        .seal(&encoded, &aad)
        .map_err(|e| format!("HPKE seal failed: {e:?}"))?;
    set_payload(&mut outer, payload);
    let inner_random = inner.random;
    let inner_message = HandshakeMessage::ClientHello(inner).to_bytes();
    Ok(Plan {
        outer,
        inner: Some((inner_message, inner_random)),
        shares,
    })
}

/// The suite of `suite`, for the hash and keys of the key schedule.
fn suite_of(hello: &ServerHello) -> Result<Suite, String> {
    Suite::from_id(hello.cipher_suite.0).ok_or_else(|| {
        format!(
            "the server chose {}, which was not offered",
            hello.cipher_suite
        )
    })
}

/// Sends `plan`'s outer hello on a new connection and reads the answer up to the
/// EncryptedExtensions, within the engine's read timeout and byte ceiling.
async fn run(engine: &Engine, host: &HostHandle, mut plan: Plan) -> EchAnswer {
    let outer_message = HandshakeMessage::ClientHello(plan.outer.clone()).to_bytes();
    let wire = Hello::Tls {
        record_version: ProtocolVersion::TLS10,
        hello: plan.outer.clone(),
    }
    .to_wire();
    let mut conn = match engine.connect(host).await {
        Ok(c) => c,
        Err(e) => return EchAnswer::ConnectFailed(e.to_string()),
    };
    let cfg = engine.config();
    let deadline = Instant::now() + cfg.read_timeout;
    match timeout_at(deadline, conn.stream.write_all(&wire)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return io_answer(&e),
        Err(_) => return EchAnswer::Timeout,
    }
    let mut reader = FlightReader13::new(cfg.max_flight_bytes);
    let mut buf = vec![0u8; 16 * 1024];
    let mut server_hello: Option<(String, Option<bool>)> = None;
    loop {
        loop {
            let event = match reader.next_event() {
                Ok(Some(e)) => e,
                Ok(None) => break,
                Err(e) => return after_hello(server_hello, Err(e), EchAnswer::Malformed),
            };
            match event {
                FlightEvent::Alert(a) => {
                    return after_hello(
                        server_hello,
                        Err(format!("alert {}", a.description)),
                        |_| EchAnswer::Alert(a),
                    )
                }
                FlightEvent::EncryptedExtensions(exts) => {
                    return after_hello(server_hello, Ok(exts), EchAnswer::Malformed)
                }
                FlightEvent::ServerHello(sh, raw) => {
                    if server_hello.is_some() {
                        return EchAnswer::Malformed("a second ServerHello".into());
                    }
                    match keys_for(&mut plan, &outer_message, &sh, &raw) {
                        Ok((decrypter, accepted)) => {
                            reader.keys(decrypter);
                            server_hello = Some((
                                format!(
                                    "ServerHello {} {}",
                                    sh.negotiated_version(),
                                    sh.cipher_suite
                                ),
                                accepted,
                            ));
                        }
                        Err(other) => return other,
                    }
                }
            }
        }
        let n = match timeout_at(deadline, conn.stream.read(&mut buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                let answer = io_answer(&e);
                return after_hello(server_hello, Err(answer.describe()), |_| answer);
            }
            Err(_) => {
                return after_hello(
                    server_hello,
                    Err("no EncryptedExtensions before the timeout".into()),
                    |_| EchAnswer::Timeout,
                )
            }
        };
        if n == 0 {
            return after_hello(
                server_hello,
                Err("connection closed before EncryptedExtensions".into()),
                |_| EchAnswer::Closed,
            );
        }
        host.heard_from();
        if let Err(e) = reader.feed(&buf[..n]) {
            return after_hello(server_hello, Err(e), EchAnswer::Malformed);
        }
    }
}

/// After the ServerHello, whatever ends the read is the fate of the EncryptedExtensions;
/// before it, `before` makes the answer of it.
fn after_hello(
    server_hello: Option<(String, Option<bool>)>,
    encrypted_extensions: Result<Vec<Extension>, String>,
    before: impl FnOnce(String) -> EchAnswer,
) -> EchAnswer {
    match (server_hello, encrypted_extensions) {
        (Some((hello, accepted)), encrypted_extensions) => EchAnswer::Flight {
            hello,
            accepted,
            encrypted_extensions,
        },
        (None, Err(e)) => before(e),
        (None, Ok(_)) => EchAnswer::Malformed("EncryptedExtensions before ServerHello".into()),
    }
}

/// The handshake decrypter after `sh`, and whether the server accepted ECH (real ECH only):
/// or the answer when `sh` is no TLS 1.3 ServerHello the probe can go on from.
fn keys_for(
    plan: &mut Plan,
    outer_message: &[u8],
    sh: &ServerHello,
    raw: &[u8],
) -> Result<(super::tls13::RecordDecrypter, Option<bool>), EchAnswer> {
    if sh.is_hello_retry_request() {
        return Err(EchAnswer::OtherHello(format!(
            "HelloRetryRequest for {}",
            sh.key_share_group()
                .map_or_else(|| "no group".to_string(), |g| g.to_string())
        )));
    }
    if sh.negotiated_version() != ProtocolVersion::TLS13 {
        return Err(EchAnswer::OtherHello(format!(
            "ServerHello {} (ECH needs TLS 1.3)",
            sh.negotiated_version()
        )));
    }
    let suite = suite_of(sh).map_err(EchAnswer::Malformed)?;
    // Section 7.2: the confirmation is over ClientHelloInner and the ServerHello with the
    // last 8 bytes of its random zeroed (at 4 + 2 + 24 in the handshake message).
    let accepted = plan.inner.as_ref().map(|(inner, inner_random)| {
        let mut zeroed = raw.to_vec();
        if let Some(tail) = zeroed.get_mut(30..38) {
            tail.fill(0);
        }
        let hash = suite.hash(&[inner.as_slice(), &zeroed].concat());
        suite.ech_accept_confirmation(inner_random, &hash) == sh.random[24..]
    });
    let first = match (&plan.inner, accepted) {
        (Some((inner, _)), Some(true)) => inner.clone(),
        _ => outer_message.to_vec(),
    };
    let server_share = sh
        .extension(ExtensionType::KEY_SHARE)
        .and_then(|e| e.parse::<KeyShareEntry>().ok())
        .ok_or_else(|| EchAnswer::Malformed("ServerHello without a key share".into()))?;
    let shared = plan
        .shares
        .agree(&server_share)
        .map_err(EchAnswer::Malformed)?;
    let secret =
        suite.server_handshake_secret(&shared, &suite.hash(&[first.as_slice(), raw].concat()));
    let decrypter = suite
        .decrypter(&secret)
        .ok_or_else(|| EchAnswer::Malformed("cannot make the handshake keys".into()))?;
    Ok((decrypter, accepted))
}

fn io_answer(e: &std::io::Error) -> EchAnswer {
    match e.kind() {
        std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::ConnectionAborted
        | std::io::ErrorKind::BrokenPipe => EchAnswer::Reset,
        _ => EchAnswer::Malformed(e.to_string()),
    }
}

/// One GREASE ECH hello to `host` with `sni`.
pub async fn grease(engine: &Engine, host: &HostHandle, sni: Option<String>) -> EchAnswer {
    match grease_plan(sni) {
        Ok(plan) => run(engine, host, plan).await,
        Err(e) => EchAnswer::Malformed(e),
    }
}

/// The same TLS 1.3 hello without ECH: does the server handshake with the probes at all?
pub async fn control(engine: &Engine, host: &HostHandle, sni: Option<String>) -> EchAnswer {
    match control_plan(sni) {
        Ok(plan) => run(engine, host, plan).await,
        Err(e) => EchAnswer::Malformed(e),
    }
}

/// One real ECH hello to `host` with the first usable config of `configs`; `Err` when none
/// is usable (nothing sent).
pub async fn real(
    engine: &Engine,
    host: &HostHandle,
    sni: Option<String>,
    configs: &EchConfigList,
) -> Result<EchAnswer, String> {
    let (config, contents) = configs.usable().ok_or_else(|| {
        "no config this client can use (it needs version 0xfe0d, DHKEM(X25519, HKDF-SHA256) \
         and HKDF-SHA256 with AES-128-GCM)"
            .to_string()
    })?;
    let plan = real_plan(sni, config, contents)?;
    Ok(run(engine, host, plan).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_looks_like_a_real_outer_hello() {
        let plan = grease_plan(Some("www.example.test".into())).unwrap();
        let ext = plan
            .outer
            .extension(ExtensionType::ENCRYPTED_CLIENT_HELLO)
            .unwrap()
            .parse::<EchClientHello>()
            .unwrap();
        let EchClientHello::Outer {
            cipher_suite,
            enc,
            payload,
            ..
        } = ext
        else {
            panic!("inner")
        };
        assert_eq!((cipher_suite, enc.len()), (SUPPORTED_SUITE, 32));
        assert_eq!((payload.len() - 16) % 32, 0, "{}", payload.len());
        let sni = plan.outer.extension(ExtensionType::SERVER_NAME).unwrap();
        assert!(sni.data.ends_with(b"www.example.test"));
    }

    /// A real hello decrypts with the config's private key (the `hpke` crate as the server),
    /// to an inner hello naming the target, and the outer hello names the public name.
    #[test]
    fn a_real_hello_opens_with_the_private_key() {
        type Kem = hpke::kem::X25519HkdfSha256;
        let (sk, pk) = <Kem as hpke::Kem>::gen_keypair(&mut rand::thread_rng());
        let contents = EchConfigContents {
            config_id: 9,
            kem_id: crate::wire::ech::KEM_X25519_HKDF_SHA256,
            public_key: pk.to_bytes().to_vec(),
            cipher_suites: vec![SUPPORTED_SUITE],
            maximum_name_length: 32,
            public_name: b"public.example.test".to_vec(),
            extensions: vec![],
        };
        let config = EchConfig::new(contents.clone());
        let plan = real_plan(Some("secret.example.test".into()), &config, &contents).unwrap();
        let outer_sni = plan.outer.extension(ExtensionType::SERVER_NAME).unwrap();
        assert!(outer_sni.data.ends_with(b"public.example.test"));
        let Ok(EchClientHello::Outer {
            config_id,
            enc,
            payload,
            ..
        }) = plan
            .outer
            .extension(ExtensionType::ENCRYPTED_CLIENT_HELLO)
            .unwrap()
            .parse::<EchClientHello>()
        else {
            panic!()
        };
        assert_eq!(config_id, 9);
        let mut aad_hello = plan.outer.clone();
        set_payload(&mut aad_hello, vec![0; payload.len()]);
        let info = [b"tls ech\0".as_slice(), &config.to_bytes()].concat();
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&enc).unwrap();
        let mut receiver =
            hpke::setup_receiver::<hpke::aead::AesGcm128, hpke::kdf::HkdfSha256, Kem>(
                &hpke::OpModeR::Base,
                &sk,
                &enc,
                &info,
            )
            .unwrap();
        let encoded = receiver.open(&payload, &aad_hello.to_bytes()).unwrap();
        assert_eq!(encoded.len() % 32, 0);
        let inner = ClientHello::read(&mut crate::wire::Reader::new(&encoded)).unwrap();
        let sni = inner.extension(ExtensionType::SERVER_NAME).unwrap();
        assert!(sni.data.ends_with(b"secret.example.test"));
        assert_eq!(
            inner
                .extension(ExtensionType::ENCRYPTED_CLIENT_HELLO)
                .unwrap()
                .data,
            vec![1]
        );
    }
}
