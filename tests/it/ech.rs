//! DNS HTTPS records and Encrypted Client Hello.
//!
//! - DNS: a real DNS server, Knot DNS (`knotd`, Debian's `knot`), started on loopback with a
//!   test zone of HTTPS records (service mode with and without `ech`, alias mode), asked
//!   through `--resolver`; a **scripted resolver** (silent, garbage, SERVFAIL, truncated) for
//!   the errors no real one gives on purpose.
//! - ECH: no server here speaks ECH (Debian's OpenSSL 3.0 and nginx have none, Node 24's
//!   OpenSSL 3.5 has none, and there is no Go 1.24 toolchain), so a **scripted ECH server**
//!   written here plays one: a minimal TLS 1.3 server that decrypts the inner hello with the
//!   config's HPKE private key (the `hpke` crate), signals acceptance in ServerHello.random
//!   (RFC 9849 section 7.2) or answers with `retry_configs` in its EncryptedExtensions, and an
//!   ECH-intolerant mode that breaks on the extension. GREASE ECH also goes to real
//!   `openssl s_server` and nginx, which ignore it.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use base64::Engine as _;
use fixtures::dns::knot;
use fixtures::servers::{nginx, openssl_s_server, self_signed, KeyType};
use hpke::{Deserializable, Serializable};
use ring::agreement;
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::{EchOutcome, SectionStatus, Stage, TlsVersion};
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::probe::tls13::Suite;
use tlsaudit::report::TargetReport;
use tlsaudit::wire::ech::{
    EchClientHello, EchConfig, EchConfigContents, EchConfigList, KEM_X25519_HKDF_SHA256,
    SUPPORTED_SUITE,
};
use tlsaudit::wire::{
    encode_records, ClientHello, Codec, ContentType, Deframer, Extension, ExtensionType, Frame,
    HandshakeJoiner, HandshakeMessage, KeyShareClientHello, KeyShareEntry, NamedGroup,
    ProtocolVersion, ProtocolVersionList, Reader, ServerHello, HRR_RANDOM,
};

use crate::common::{require, scan_with, tlsaudit_output};

type Kem = hpke::kem::X25519HkdfSha256;

/// An ECH key pair and its config (id `config_id`, public name `public.example.test`).
struct EchKey {
    private: <Kem as hpke::Kem>::PrivateKey,
    config: EchConfig,
}

impl EchKey {
    fn new(config_id: u8) -> Self {
        let (private, public) = <Kem as hpke::Kem>::gen_keypair(&mut rand::thread_rng());
        let config = EchConfig::new(EchConfigContents {
            config_id,
            kem_id: KEM_X25519_HKDF_SHA256,
            public_key: public.to_bytes().to_vec(),
            cipher_suites: vec![SUPPORTED_SUITE],
            maximum_name_length: 32,
            public_name: b"public.example.test".to_vec(),
            extensions: vec![],
        });
        Self { private, config }
    }

    fn list(&self) -> EchConfigList {
        EchConfigList(vec![self.config.clone()])
    }

    fn base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.list().to_bytes())
    }

    fn id(&self) -> u8 {
        self.config.contents.as_ref().map_or(0, |c| c.config_id)
    }
}

/// How the scripted server treats an `encrypted_client_hello` extension.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// An ECH server: decrypts what it can, else sends retry_configs.
    Ech,
    /// Breaks on the extension: a fatal illegal_parameter alert (an intolerant server).
    Intolerant,
}

/// The scripted TLS 1.3 server (see the module comment), on 127.0.0.1 at a free port, one
/// thread per connection; every read has a timeout, so no thread waits for ever.
fn scripted_ech_server(key: EchKey, mode: Mode) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let key = std::sync::Arc::new(key);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let key = key.clone();
            std::thread::spawn(move || {
                let _ = serve(stream, &key, mode);
            });
        }
    });
    addr
}

/// Reads one ClientHello (its raw handshake message and the hello).
fn read_client_hello(stream: &mut TcpStream) -> Option<(Vec<u8>, ClientHello)> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut deframer = Deframer::default();
    let mut joiner = HandshakeJoiner::new(1 << 16);
    let mut buf = [0u8; 4096];
    loop {
        if let Ok(Some((HandshakeMessage::ClientHello(ch), raw))) = joiner.pop() {
            return Some((raw, ch));
        }
        match deframer.pop() {
            Ok(Some(Frame::Record { payload, .. })) => joiner.push(&payload),
            Ok(Some(Frame::Sslv2(_))) | Err(_) => return None,
            Ok(None) => {
                let n = stream.read(&mut buf).ok()?;
                if n == 0 {
                    return None;
                }
                deframer.push(&buf[..n]);
            }
        }
    }
}

fn alert(stream: &mut TcpStream, description: u8) {
    let _ = stream.write_all(&encode_records(
        ContentType::ALERT,
        ProtocolVersion::TLS12,
        &[2, description],
    ));
}

/// The outer hello with its ECH payload zeroed: the AAD of RFC 9849 section 5.2.
fn zeroed_payload(ch: &ClientHello) -> ClientHello {
    let mut out = ch.clone();
    for e in out.extensions.iter_mut().flatten() {
        if e.typ == ExtensionType::ENCRYPTED_CLIENT_HELLO {
            if let Ok(EchClientHello::Outer {
                cipher_suite,
                config_id,
                enc,
                payload,
            }) = e.parse::<EchClientHello>()
            {
                e.data = EchClientHello::Outer {
                    cipher_suite,
                    config_id,
                    enc,
                    payload: vec![0; payload.len()],
                }
                .to_bytes();
            }
        }
    }
    out
}

/// ClientHelloInner, when the outer hello carries a payload `key` decrypts (section 7.1).
fn decrypt_inner(ch: &ClientHello, key: &EchKey) -> Option<ClientHello> {
    let ext = ch.extension(ExtensionType::ENCRYPTED_CLIENT_HELLO)?;
    let EchClientHello::Outer {
        config_id,
        enc,
        payload,
        ..
    } = ext.parse::<EchClientHello>().ok()?
    else {
        return None;
    };
    if config_id != key.id() {
        return None;
    }
    let info = [b"tls ech\0".as_slice(), &key.config.to_bytes()].concat();
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&enc).ok()?;
    let mut receiver = hpke::setup_receiver::<hpke::aead::AesGcm128, hpke::kdf::HkdfSha256, Kem>(
        &hpke::OpModeR::Base,
        &key.private,
        &enc,
        &info,
    )
    .ok()?;
    let encoded = receiver
        .open(&payload, &zeroed_payload(ch).to_bytes())
        .ok()?;
    let mut r = Reader::new(&encoded);
    let mut inner = ClientHello::read(&mut r).ok()?;
    // The padding after the hello is zeros (section 6.1.3); the session id is the outer's.
    if r.rest().iter().any(|b| *b != 0) {
        return None;
    }
    inner.session_id = ch.session_id.clone();
    Some(inner)
}

fn serve(mut stream: TcpStream, key: &EchKey, mode: Mode) -> Option<()> {
    let (outer_raw, ch) = read_client_hello(&mut stream)?;
    let versions = ch
        .extension(ExtensionType::SUPPORTED_VERSIONS)
        .and_then(|e| e.parse::<ProtocolVersionList>().ok())
        .unwrap_or_default();
    if !versions.0.contains(&ProtocolVersion::TLS13) {
        alert(&mut stream, 70); // protocol_version
        return None;
    }
    if !ch.cipher_suites.iter().any(|s| s.0 == 0x1301) {
        alert(&mut stream, 40); // handshake_failure
        return None;
    }
    let has_ech = ch
        .extension(ExtensionType::ENCRYPTED_CLIENT_HELLO)
        .is_some();
    if has_ech && mode == Mode::Intolerant {
        alert(&mut stream, 47); // illegal_parameter
        return None;
    }
    let inner = if has_ech {
        decrypt_inner(&ch, key)
    } else {
        None
    };
    // The hello the handshake goes on with: the inner one when ECH is accepted.
    let (hello, first) = match &inner {
        Some(i) => (i, HandshakeMessage::ClientHello(i.clone()).to_bytes()),
        None => (&ch, outer_raw),
    };
    let share = hello
        .extension(ExtensionType::KEY_SHARE)
        .and_then(|e| e.parse::<KeyShareClientHello>().ok())
        .and_then(|ks| ks.0.into_iter().find(|k| k.group == NamedGroup::X25519));
    let mut sh = ServerHello {
        legacy_version: ProtocolVersion::TLS12,
        random: rand::random(),
        session_id: ch.session_id.clone(),
        cipher_suite: tlsaudit::wire::CipherSuite(0x1301),
        compression_method: 0,
        extensions: Some(vec![Extension::new(
            ExtensionType::SUPPORTED_VERSIONS,
            &ProtocolVersion::TLS13,
        )]),
    };
    let Some(share) = share else {
        // No X25519 share (the scanner's empty key_share): ask for one.
        sh.random = HRR_RANDOM;
        sh.extensions
            .get_or_insert_with(Vec::new)
            .push(Extension::new(
                ExtensionType::KEY_SHARE,
                &NamedGroup::X25519,
            ));
        let msg = HandshakeMessage::ServerHello(sh).to_bytes();
        let _ = stream.write_all(&encode_records(
            ContentType::HANDSHAKE,
            ProtocolVersion::TLS12,
            &msg,
        ));
        return None;
    };
    let rng = ring::rand::SystemRandom::new();
    let private = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng).ok()?;
    let public = private.compute_public_key().ok()?.as_ref().to_vec();
    let shared = agreement::agree_ephemeral(
        private,
        &agreement::UnparsedPublicKey::new(&agreement::X25519, &share.key_exchange),
        |s| s.to_vec(),
    )
    .ok()?;
    sh.extensions
        .get_or_insert_with(Vec::new)
        .push(Extension::new(
            ExtensionType::KEY_SHARE,
            &KeyShareEntry {
                group: NamedGroup::X25519,
                key_exchange: public,
            },
        ));
    let suite = Suite::from_id(0x1301)?;
    if let Some(inner) = &inner {
        // Section 7.2: the confirmation over ClientHelloInner and this ServerHello with the
        // last 8 bytes of its random zeroed, written into those bytes.
        sh.random[24..].fill(0);
        let zeroed = HandshakeMessage::ServerHello(sh.clone()).to_bytes();
        let hash = suite.hash(&[first.as_slice(), &zeroed].concat());
        let confirmation = suite.ech_accept_confirmation(&inner.random, &hash);
        sh.random[24..].copy_from_slice(&confirmation);
    }
    let sh_raw = HandshakeMessage::ServerHello(sh).to_bytes();
    let secret =
        suite.server_handshake_secret(&shared, &suite.hash(&[first.as_slice(), &sh_raw].concat()));
    let mut encrypter = suite.encrypter(&secret)?;
    // EncryptedExtensions: retry_configs when ECH was offered and not accepted.
    let mut ee_exts = Vec::new();
    if has_ech && inner.is_none() {
        ee_exts.push(Extension {
            typ: ExtensionType::ENCRYPTED_CLIENT_HELLO,
            data: key.list().to_bytes(),
        });
    }
    let mut ee_body = Vec::new();
    tlsaudit::wire::codec::encode_list(&mut ee_body, 2, &ee_exts);
    let mut ee = vec![8, 0, 0, ee_body.len() as u8];
    ee[1..4].copy_from_slice(&(ee_body.len() as u32).to_be_bytes()[1..]);
    ee.extend(ee_body);
    let mut out = encode_records(ContentType::HANDSHAKE, ProtocolVersion::TLS12, &sh_raw);
    out.extend([20, 3, 3, 0, 1, 1]); // middlebox-compatibility ChangeCipherSpec
    out.extend(encrypter.seal(ContentType::HANDSHAKE, &ee));
    stream.write_all(&out).ok()?;
    // Stay until the client has read the flight and closes.
    let _ = stream.read(&mut [0u8; 64]);
    Some(())
}

/// Scan options: TLS 1.3 only (the scripted server speaks nothing else), the DNS and ECH
/// stages, the address pinned to loopback, DNS asked of `resolver`.
fn opts(resolver: Option<SocketAddr>, ech_config: Option<Vec<u8>>) -> ScanOptions {
    ScanOptions {
        versions: vec![TlsVersion::Tls13],
        ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        stages: [Stage::Versions, Stage::Suites, Stage::Dns, Stage::Ech]
            .into_iter()
            .collect::<BTreeSet<_>>(),
        resolver,
        ech_config,
        ..Default::default()
    }
}

async fn scan(target: &str, opts: ScanOptions) -> TargetReport {
    scan_with(target, EngineConfig::default(), opts).await.0
}

/// Knot serving HTTPS records for the scripted ECH server's port `port`: `www` with the
/// config `ech` (base64) and every SvcParam, `plain` without `ech`, `alias` pointing at `www`.
/// Also `stale` with the config of another key of the same id, and `bad` with a config whose
/// public name is no host name.
fn knot_zone(port: u16, ech: &str) -> fixtures::servers::ServerProcess {
    let stale = EchKey::new(7).base64();
    let mut bad = EchKey::new(8);
    if let Some(c) = bad.config.contents.as_mut() {
        c.public_name = b"bad_name.example".to_vec();
        bad.config = EchConfig::new(c.clone());
    }
    let bad = bad.base64();
    knot(
        "ech-knot",
        "example.test",
        &format!(
            "_{port}._https.www HTTPS 1 . alpn=h2,h3 port={port} ipv4hint=127.0.0.1 \
             ipv6hint=::1 ech={ech}\n\
             _{port}._https.plain HTTPS 1 . alpn=h2\n\
             _{port}._https.alias HTTPS 0 _{port}._https.www.example.test.\n\
             _{port}._https.stale HTTPS 1 . ech={stale}\n\
             _{port}._https.bad HTTPS 1 . ech={bad}\n"
        ),
    )
    .unwrap()
}

#[tokio::test]
async fn https_record_from_knot_drives_an_accepted_ech_handshake() {
    if !require("knotd") {
        return;
    }
    let key = EchKey::new(0x2a);
    let config_b64 = key.base64();
    let public_key = tlsaudit::wire::hex(&key.config.contents.as_ref().unwrap().public_key);
    let port = scripted_ech_server(key, Mode::Ech).port();
    let dns = knot_zone(port, &config_b64);
    let r = scan(
        &format!("www.example.test:{port}"),
        opts(Some(dns.addr), None),
    )
    .await;
    let record = r.https_record.as_ref().expect("looked up");
    assert_eq!(
        record.status,
        SectionStatus::Completed,
        "{:?}",
        record.error
    );
    assert_eq!(record.resolver, dns.addr.to_string());
    // RFC 9460 section 9.1: a port other than 443 is asked as _PORT._https.NAME.
    assert_eq!(record.queried, [format!("_{port}._https.www.example.test")]);
    assert_eq!(record.rcode.as_deref(), Some("NOERROR"));
    assert_eq!(record.records.len(), 1);
    let rr = &record.records[0];
    assert_eq!(
        (rr.priority, rr.alias_mode, rr.target.as_str(), rr.port),
        (1, false, ".", Some(port))
    );
    assert_eq!(rr.alpn, ["h2", "h3"]);
    assert_eq!(
        (&rr.ipv4hint[..], &rr.ipv6hint[..]),
        (&["127.0.0.1".to_string()][..], &["::1".to_string()][..])
    );
    let ech = rr.ech.as_ref().expect("ech decoded");
    assert_eq!(
        (ech.base64.as_str(), ech.error.as_deref()),
        (config_b64.as_str(), None)
    );
    let c = &ech.configs[0];
    assert_eq!(
        (
            c.version.as_str(),
            c.config_id,
            c.public_name.as_deref(),
            c.maximum_name_length
        ),
        ("0xfe0d", Some(0x2a), Some("public.example.test"), Some(32))
    );
    assert_eq!(c.public_key.as_deref(), Some(public_key.as_str()));
    assert_eq!(c.kem.as_ref().unwrap().name, "DHKEM(X25519, HKDF-SHA256)");
    assert_eq!(
        (
            c.cipher_suites[0].kdf.name.as_str(),
            c.cipher_suites[0].aead.name.as_str()
        ),
        ("HKDF-SHA256", "AES-128-GCM")
    );
    assert!(c.usable && c.problem.is_none());

    let e = r.ech.as_ref().expect("ech scanned");
    assert_eq!(e.config_source.as_deref(), Some("dns"));
    let handshake = e.handshake.as_ref().expect("a real ECH handshake");
    assert_eq!(
        handshake.outcome,
        EchOutcome::Accepted,
        "{}",
        handshake.evidence
    );
    assert!(
        handshake.evidence.contains("acceptance confirmation"),
        "{}",
        handshake.evidence
    );
    assert!(handshake.retry_configs.is_none());
    // GREASE to an ECH server: retry_configs, the server's own config.
    let grease = e.grease.as_ref().unwrap();
    assert_eq!(
        grease.outcome,
        EchOutcome::RetryConfigs,
        "{}",
        grease.evidence
    );
    assert_eq!(grease.retry_configs.as_ref().unwrap().base64, config_b64);
    assert!(e.summary.starts_with("ECH accepted"), "{}", e.summary);
    assert!(e.findings.is_empty(), "{:?}", e.findings);
}

#[tokio::test]
async fn alias_mode_is_followed_and_names_without_ech_or_records_say_so() {
    if !require("knotd") {
        return;
    }
    let key = EchKey::new(7);
    let config_b64 = key.base64();
    let port = scripted_ech_server(key, Mode::Ech).port();
    let dns = knot_zone(port, &config_b64);

    let r = scan(
        &format!("alias.example.test:{port}"),
        opts(Some(dns.addr), None),
    )
    .await;
    let record = r.https_record.as_ref().unwrap();
    assert_eq!(
        record.queried,
        [
            format!("_{port}._https.alias.example.test"),
            format!("_{port}._https.www.example.test")
        ]
    );
    let modes: Vec<_> = record
        .records
        .iter()
        .map(|r| (r.alias_mode, r.target.clone()))
        .collect();
    assert_eq!(
        modes,
        [
            (true, format!("_{port}._https.www.example.test")),
            (false, ".".into())
        ]
    );
    let e = r.ech.as_ref().unwrap();
    assert_eq!(e.handshake.as_ref().unwrap().outcome, EchOutcome::Accepted);

    // A record without ech: the record is reported, no real handshake, GREASE still runs.
    let r = scan(
        &format!("plain.example.test:{port}"),
        opts(Some(dns.addr), None),
    )
    .await;
    let record = r.https_record.as_ref().unwrap();
    assert_eq!(
        (record.records.len(), record.records[0].alpn.clone()),
        (1, vec!["h2".to_string()])
    );
    assert!(record.records[0].ech.is_none());
    let e = r.ech.as_ref().unwrap();
    assert_eq!(
        (e.handshake.is_none(), e.config_source.as_deref()),
        (true, None)
    );
    assert_eq!(e.grease.as_ref().unwrap().outcome, EchOutcome::RetryConfigs);

    // A stale config in DNS: rejected with retry_configs, a finding that says to republish.
    let r = scan(
        &format!("stale.example.test:{port}"),
        opts(Some(dns.addr), None),
    )
    .await;
    let e = r.ech.as_ref().unwrap();
    assert_eq!(
        e.handshake.as_ref().unwrap().outcome,
        EchOutcome::RetryConfigs
    );
    let ids: Vec<_> = e.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["ech.dns_config_rejected"]);
    // A config no client may use: shown with its problem, never sent, a finding.
    let r = scan(
        &format!("bad.example.test:{port}"),
        opts(Some(dns.addr), None),
    )
    .await;
    let c = &r.https_record.as_ref().unwrap().records[0]
        .ech
        .as_ref()
        .unwrap()
        .configs[0];
    assert!(!c.usable);
    assert!(c
        .problem
        .as_deref()
        .unwrap()
        .contains("not a dot-separated sequence of LDH labels"));
    let e = r.ech.as_ref().unwrap();
    assert!(
        e.handshake.is_none() && e.summary.contains("no real ECH handshake"),
        "{}",
        e.summary
    );
    let ids: Vec<_> = e.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["ech.dns_config_unusable"]);

    // A name the zone does not have: NXDOMAIN, no records, a completed lookup.
    let r = scan(
        &format!("missing.example.test:{port}"),
        opts(Some(dns.addr), None),
    )
    .await;
    let record = r.https_record.as_ref().unwrap();
    assert_eq!(record.status, SectionStatus::Completed);
    assert_eq!(
        (record.records.len(), record.rcode.as_deref()),
        (0, Some("NXDOMAIN"))
    );
}

#[tokio::test]
async fn a_stale_ech_config_is_rejected_with_retry_configs() {
    // The server's key changed; the client still has an old config of the same id.
    let key = EchKey::new(0x2a);
    let current = key.base64();
    let stale = EchKey::new(0x2a).list().to_bytes();
    let port = scripted_ech_server(key, Mode::Ech).port();
    // --ip without --resolver: no DNS at all.
    let r = scan(&format!("www.example.test:{port}"), opts(None, Some(stale))).await;
    assert!(r.https_record.is_none());
    let e = r.ech.as_ref().unwrap();
    assert_eq!(e.config_source.as_deref(), Some("ech_config"));
    let h = e.handshake.as_ref().unwrap();
    assert_eq!(h.outcome, EchOutcome::RetryConfigs, "{}", h.evidence);
    assert!(
        h.evidence.contains("no ECH acceptance confirmation"),
        "{}",
        h.evidence
    );
    assert_eq!(h.retry_configs.as_ref().unwrap().base64, current);
    assert!(e.summary.contains("rejected"), "{}", e.summary);
}

#[tokio::test]
async fn an_ech_intolerant_server_is_named() {
    let port = scripted_ech_server(EchKey::new(1), Mode::Intolerant).port();
    let r = scan(&format!("www.example.test:{port}"), opts(None, None)).await;
    let e = r.ech.as_ref().unwrap();
    let g = e.grease.as_ref().unwrap();
    assert_eq!(
        (g.outcome, g.evidence.as_str()),
        (EchOutcome::Intolerant, "alert illegal_parameter")
    );
    assert!(e.summary.starts_with("ECH-intolerant"), "{}", e.summary);
    let ids: Vec<_> = e.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["ech.intolerant"]);
    // The GREASE hello, the control hello without ECH, and the protocol stage's probes.
    assert!(r.connections >= 2);
}

/// Real servers without ECH (Debian's OpenSSL 3.0 and nginx) ignore GREASE ECH, as RFC 8446
/// section 4.2 asks of unknown extensions.
#[tokio::test]
async fn openssl_and_nginx_ignore_grease_ech() {
    if !require("openssl") || !require("nginx") {
        return;
    }
    let cert = self_signed(KeyType::EcdsaP256).unwrap();
    let s_server = openssl_s_server("ech-grease-openssl", &cert, &["-tls1_3"]).unwrap();
    let nginx = nginx("ech-grease-nginx", &cert, "ssl_protocols TLSv1.2 TLSv1.3;").unwrap();
    for target in [s_server.target(), nginx.target()] {
        let o = ScanOptions {
            sni: Some("localhost".into()),
            stages: [Stage::Versions, Stage::Suites, Stage::Dns, Stage::Ech]
                .into_iter()
                .collect(),
            ..Default::default()
        };
        let r = scan(&target, o).await;
        // An IP literal has no HTTPS record: not looked up.
        assert!(r.https_record.is_none());
        let e = r.ech.as_ref().unwrap();
        let g = e.grease.as_ref().unwrap();
        assert_eq!(g.outcome, EchOutcome::Ignored, "{target}: {}", g.evidence);
        assert!(
            g.evidence.starts_with("ServerHello TLSv1.3 ")
                && g.evidence
                    .ends_with("EncryptedExtensions without encrypted_client_hello"),
            "{}",
            g.evidence
        );
        assert_eq!(
            (e.handshake.is_none(), e.summary.as_str()),
            (true, "no ECH: GREASE ECH ignored")
        );
    }
}

#[test]
fn the_command_line_reports_both_sections_in_json_text_and_html() {
    if !require("knotd") {
        return;
    }
    let key = EchKey::new(3);
    let config_b64 = key.base64();
    let port = scripted_ech_server(key, Mode::Ech).port();
    let dns = knot_zone(port, &config_b64);
    let target = format!("www.example.test:{port}");
    let resolver = dns.addr.to_string();
    let args = |format: &'static str| {
        vec![
            "scan".to_string(),
            target.clone(),
            "--ip".into(),
            "127.0.0.1".into(),
            "--resolver".into(),
            resolver.clone(),
            "--versions".into(),
            "tls1.3".into(),
            "--only".into(),
            "dns,ech".into(),
            "--policy".into(),
            "none".into(),
            "-f".into(),
            format.into(),
        ]
    };
    let run = |format| {
        let a = args(format);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        tlsaudit_output(&a)
    };
    let (code, out, err) = run("json");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let t = &v["targets"][0];
    assert_eq!(
        t["https_record"]["records"][0]["ech"]["configs"][0]["config_id"],
        3
    );
    assert_eq!(t["ech"]["handshake"]["outcome"], "accepted");
    assert_eq!(t["ech"]["grease"]["outcome"], "retry_configs");
    let (_, text, _) = run("text");
    assert!(text.contains("DNS HTTPS record"), "{text}");
    assert!(text.contains("alpn=h2,h3"), "{text}");
    assert!(
        text.contains("public name public.example.test (max name 32), usable"),
        "{text}"
    );
    assert!(text.contains("ECH accepted"), "{text}");
    let (_, html, _) = run("html");
    assert!(html.contains("<h3>Encrypted Client Hello"), "{html}");
    assert!(html.contains("<h3>DNS HTTPS record"), "{html}");

    // --ech-config instead of DNS (--ip without --resolver: no lookup): a stale config.
    let stale = EchKey::new(3).base64();
    let (code, out, err) = tlsaudit_output(&[
        "scan",
        &target,
        "--ip",
        "127.0.0.1",
        "--ech-config",
        &stale,
        "--versions",
        "tls1.3",
        "--only",
        "ech",
        "--policy",
        "none",
        "-f",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let t = &v["targets"][0];
    assert_eq!(t["https_record"], serde_json::Value::Null);
    assert_eq!(t["ech"]["config_source"], "ech_config");
    assert_eq!(t["ech"]["handshake"]["outcome"], "retry_configs");
    assert_eq!(
        t["ech"]["handshake"]["retry_configs"]["base64"],
        config_b64.as_str()
    );

    let (code, _, err) = tlsaudit_output(&["scan", "127.0.0.1:1", "--ech-config", "AAUB"]);
    assert_eq!(code, 2);
    assert!(err.contains("not an ECHConfigList"), "{err}");
}

/// What a scripted resolver (UDP on loopback; no real resolver misbehaves on purpose) does.
#[derive(Clone, Copy)]
enum Resolver {
    Silent,
    Garbage,
    ServFail,
    /// Answers over UDP with TC set, and properly (no records) over TCP on the same port.
    TruncatedThenTcp,
}

/// A scripted resolver on 127.0.0.1 (UDP, and TCP on the same port), answering every query
/// as `how` says.
fn scripted_resolver(how: Resolver) -> SocketAddr {
    // The kernel's free UDP port may be taken for TCP: try a few until both bind.
    let (udp, tcp) = (0..20)
        .find_map(|_| {
            let udp = std::net::UdpSocket::bind("127.0.0.1:0").ok()?;
            let tcp = TcpListener::bind(udp.local_addr().ok()?).ok()?;
            Some((udp, tcp))
        })
        .expect("a loopback port free for UDP and TCP");
    let addr = udp.local_addr().unwrap();
    // The reply to `query`: its header and question, QR (and TC) set, response code `rcode`.
    fn reply(query: &[u8], tc: bool, rcode: u8) -> Vec<u8> {
        let mut r = query.to_vec();
        r[2] |= 0x80 | if tc { 0x02 } else { 0 };
        r[3] = 0x80 | rcode;
        r[10] = 0; // ARCOUNT: the query's OPT record is dropped below.
        r[11] = 0;
        r.truncate(r.len() - 11);
        r
    }
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = udp.recv_from(&mut buf) {
            let q = &buf[..n];
            let answer = match how {
                Resolver::Silent => continue,
                Resolver::Garbage => [&q[..2], b"\x81\x80 not a DNS message".as_slice()].concat(),
                Resolver::ServFail => reply(q, false, 2),
                Resolver::TruncatedThenTcp => reply(q, true, 0),
            };
            let _ = udp.send_to(&answer, from);
        }
    });
    std::thread::spawn(move || {
        for mut s in tcp.incoming().flatten() {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut len = [0u8; 2];
            if s.read_exact(&mut len).is_err() {
                continue;
            }
            let mut q = vec![0u8; u16::from_be_bytes(len) as usize];
            if s.read_exact(&mut q).is_err() {
                continue;
            }
            let r = reply(&q, false, 0);
            let _ = s.write_all(&[(r.len() as u16).to_be_bytes().as_slice(), &r].concat());
        }
    });
    addr
}

#[tokio::test]
async fn a_broken_resolver_is_a_clear_error_never_a_hang() {
    use tlsaudit::probe::dns::lookup_https;
    let wait = Duration::from_millis(300);
    let name = "www.example.test";
    let e = lookup_https(scripted_resolver(Resolver::Silent), name, wait)
        .await
        .unwrap_err();
    assert!(
        e.message
            .starts_with("no answer from the resolver 127.0.0.1:"),
        "{}",
        e.message
    );
    assert_eq!(e.queried, [name]);
    let e = lookup_https(scripted_resolver(Resolver::Garbage), name, wait)
        .await
        .unwrap_err();
    assert!(e.message.contains("does not decode"), "{}", e.message);
    let e = lookup_https(scripted_resolver(Resolver::ServFail), name, wait)
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "the resolver answered SERVFAIL for www.example.test"
    );
    // A truncated UDP answer is asked again over TCP.
    let found = lookup_https(scripted_resolver(Resolver::TruncatedThenTcp), name, wait)
        .await
        .unwrap();
    assert_eq!((found.rcode.as_str(), found.records.len()), ("NOERROR", 0));
}
