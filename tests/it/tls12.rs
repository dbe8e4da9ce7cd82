//! Our own TLS 1.0–1.2 client against real servers: full handshakes and an HTTP GET over every
//! key exchange and record protection it does, against `openssl s_server -www` and
//! `gnutls-serv` (which answers HTTP by default).

use std::net::SocketAddr;

use fixtures::servers::{gnutls_serv, openssl_s_server, self_signed, CertFiles, KeyType};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tlsaudit::probe::engine::{Engine, EngineConfig};
use tlsaudit::probe::tls12::{ClientConfig, HandshakeInfo, HttpResponseHead, Session};
use tlsaudit::wire::{CipherSuite, NamedGroup, ProtocolVersion};

use crate::common::require;

const TLS10: ProtocolVersion = ProtocolVersion::TLS10;
const TLS11: ProtocolVersion = ProtocolVersion::TLS11;
const TLS12: ProtocolVersion = ProtocolVersion::TLS12;

fn der(cert: &CertFiles) -> Vec<u8> {
    CertificateDer::from_pem_file(&cert.cert)
        .expect("PEM certificate")
        .to_vec()
}

/// One handshake offering `suite` alone at `version`, then `GET /`.
async fn get(
    addr: SocketAddr,
    version: ProtocolVersion,
    suite: u16,
    ems: bool,
    etm: bool,
) -> (HandshakeInfo, HttpResponseHead, u64) {
    let engine = Engine::new(EngineConfig::default());
    let host = engine.host(addr);
    let mut cfg =
        ClientConfig::new(version, vec![CipherSuite(suite)]).with_sni(Some("localhost".into()));
    cfg.extended_master_secret = ems;
    cfg.encrypt_then_mac = etm;
    let (mut session, info) = Session::handshake(&engine, &host, cfg)
        .await
        .unwrap_or_else(|e| panic!("{version} {suite:04x}: {e}"));
    let head = session
        .http_get("localhost", "/", 16 * 1024)
        .await
        .unwrap_or_else(|e| panic!("{version} {suite:04x}: GET: {e}"));
    session.close().await;
    (info, head, host.connections())
}

/// OpenSSL name, version, suite, offer EMS, offer ETM, the ECDHE curve, the DH prime's bits.
type Case = (
    &'static str,
    ProtocolVersion,
    u16,
    bool,
    bool,
    Option<NamedGroup>,
    Option<u64>,
);

#[tokio::test]
async fn handshakes_and_http_against_openssl() {
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let ec = self_signed(KeyType::EcdsaP256).unwrap();
    // Every suite OpenSSL has, TLS 1.0 to 1.2 (SHA-1 and TLS < 1.2 need security level 0).
    let args = [
        "-www",
        "-cipher",
        "ALL:@SECLEVEL=0",
        "-min_protocol",
        "TLSv1",
        "-max_protocol",
        "TLSv1.2",
    ];
    let rsa_server = openssl_s_server("tls12-rsa", &rsa, &args).unwrap();
    let ec_server = openssl_s_server("tls12-ec", &ec, &args).unwrap();
    let cases: &[Case] = &[
        (
            "ECDHE-RSA-AES128-GCM-SHA256",
            TLS12,
            0xc02f,
            true,
            true,
            Some(NamedGroup::X25519),
            None,
        ),
        (
            "ECDHE-RSA-AES256-GCM-SHA384",
            TLS12,
            0xc030,
            true,
            true,
            Some(NamedGroup::X25519),
            None,
        ),
        (
            "DHE-RSA-AES256-GCM-SHA384",
            TLS12,
            0x009f,
            true,
            true,
            None,
            Some(2048),
        ),
        (
            "DHE-RSA-AES128-SHA",
            TLS12,
            0x0033,
            false,
            true,
            None,
            Some(2048),
        ),
        ("AES128-SHA", TLS12, 0x002f, true, true, None, None),
        ("AES128-SHA", TLS12, 0x002f, false, false, None, None),
        ("AES128-SHA", TLS12, 0x002f, true, false, None, None),
        ("AES256-SHA256", TLS12, 0x003d, true, true, None, None),
        ("AES256-SHA256", TLS12, 0x003d, false, false, None, None),
        (
            "ECDHE-RSA-CHACHA20-POLY1305",
            TLS12,
            0xcca8,
            false,
            false,
            Some(NamedGroup::X25519),
            None,
        ),
        ("AES128-SHA", TLS10, 0x002f, true, true, None, None),
        ("AES128-SHA", TLS10, 0x002f, false, false, None, None),
        (
            "ECDHE-RSA-AES256-SHA",
            TLS10,
            0xc014,
            false,
            true,
            Some(NamedGroup::X25519),
            None,
        ),
        ("AES256-SHA", TLS11, 0x0035, true, true, None, None),
        (
            "DHE-RSA-AES256-SHA",
            TLS11,
            0x0039,
            false,
            false,
            None,
            Some(2048),
        ),
    ];
    for &(name, version, suite, ems, etm, group, dh_bits) in cases {
        let (info, head, conns) = get(rsa_server.addr, version, suite, ems, etm).await;
        let what = format!("{name} {version} ems {ems} etm {etm}");
        assert_eq!(info.version, version, "{what}");
        assert_eq!(info.suite, CipherSuite(suite), "{what}");
        assert_eq!(info.extended_master_secret, ems, "{what}");
        // encrypt_then_mac applies to CBC suites only (RFC 7366 section 2).
        let cbc = name.contains("-SHA") && !name.contains("GCM");
        assert_eq!(info.encrypt_then_mac, etm && cbc, "{what}");
        assert!(info.secure_renegotiation, "{what}");
        assert_eq!(info.group, group, "{what}");
        assert_eq!(info.dh_bits, dh_bits, "{what}");
        assert_eq!(info.certificates, vec![der(&rsa)], "{what}");
        assert_eq!(head.status_line, "HTTP/1.0 200 ok", "{what}");
        assert_eq!(head.header("content-type"), Some("text/html"), "{what}");
        assert_eq!(conns, 1, "{what}");
    }
    for (version, suite, group) in [
        (TLS12, 0xcca9, NamedGroup::X25519), // ECDHE-ECDSA-CHACHA20-POLY1305
        (TLS12, 0xc02b, NamedGroup::X25519), // ECDHE-ECDSA-AES128-GCM-SHA256
        (TLS11, 0xc00a, NamedGroup::X25519), // ECDHE-ECDSA-AES256-SHA
    ] {
        let (info, head, _) = get(ec_server.addr, version, suite, true, true).await;
        assert_eq!(
            (info.version, info.suite, info.group),
            (version, CipherSuite(suite), Some(group))
        );
        assert_eq!(info.certificates, vec![der(&ec)]);
        assert_eq!(head.status_line, "HTTP/1.0 200 ok");
    }
}

/// A server that refuses encrypt-then-MAC and sends P-384 keys: CBC records MAC-then-encrypt,
/// a curve other than x25519.
#[tokio::test]
async fn openssl_without_etm_on_p384() {
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = openssl_s_server(
        "tls12-noetm",
        &rsa,
        &[
            "-www",
            "-no_etm",
            "-groups",
            "P-384",
            "-max_protocol",
            "TLSv1.2",
        ],
    )
    .unwrap();
    let (info, head, _) = get(server.addr, TLS12, 0xc014, true, true).await;
    assert!(!info.encrypt_then_mac);
    assert!(info.extended_master_secret);
    assert_eq!(info.group, Some(NamedGroup::SECP384R1));
    assert_eq!(head.status_line, "HTTP/1.0 200 ok");
    let (info, _, _) = get(server.addr, TLS12, 0xc027, false, true).await; // ECDHE-RSA-AES128-SHA256
    assert_eq!(
        (info.suite, info.encrypt_then_mac, info.group),
        (CipherSuite(0xc027), false, Some(NamedGroup::SECP384R1))
    );
}

#[tokio::test]
async fn handshakes_and_http_against_gnutls() {
    if !require("gnutls-serv") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = gnutls_serv(
        "tls12-gnutls",
        &rsa,
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:+RSA:+DHE-RSA:+AES-256-CBC:+AES-128-CBC:+SHA1:+SHA256:%SERVER_PRECEDENCE",
    )
    .unwrap();
    for (version, suite, ems, etm) in [
        (TLS12, 0xc02f, true, true),
        (TLS12, 0xc030, false, false),
        (TLS12, 0xcca8, true, false),
        (TLS12, 0x009e, true, true), // DHE-RSA-AES128-GCM-SHA256
        (TLS12, 0x002f, true, true),
        (TLS12, 0x003c, false, false), // AES128-SHA256
        (TLS12, 0xc013, false, true),
        (TLS11, 0x0035, true, true),
        (TLS10, 0xc014, true, false),
        (TLS10, 0x0033, false, true),
    ] {
        let (info, head, _) = get(server.addr, version, suite, ems, etm).await;
        let what = format!("{version} {suite:04x} ems {ems} etm {etm}");
        assert_eq!(
            (info.version, info.suite),
            (version, CipherSuite(suite)),
            "{what}"
        );
        assert_eq!(info.extended_master_secret, ems, "{what}");
        let cbc = !matches!(suite, 0xc02f | 0xc030 | 0xcca8 | 0x009e);
        assert_eq!(info.encrypt_then_mac, etm && cbc, "{what}");
        assert!(info.secure_renegotiation, "{what}");
        assert_eq!(info.certificates, vec![der(&rsa)], "{what}");
        assert_eq!(head.status_line, "HTTP/1.0 200 OK", "{what}");
    }
}

// ---------------------------------------------------------------------------------------------
// The checks.

mod checks {
    use std::net::SocketAddr;
    use std::time::Duration;

    use tlsaudit::enumerate::weaknesses::{self as checks, CheckResult};
    use tlsaudit::probe::engine::{Engine, EngineConfig};
    use tlsaudit::wire::{CipherSuite, ProtocolVersion};

    pub fn engine() -> Engine {
        Engine::new(EngineConfig {
            read_timeout: Duration::from_secs(2),
            ..Default::default()
        })
    }

    /// Every check at `version` with `accepted`, in a fixed order:
    /// ccs, ticketbleed, robot, client renegotiation, insecure renegotiation, padding.
    pub async fn all(
        addr: SocketAddr,
        version: ProtocolVersion,
        accepted: &[u16],
        tickets: bool,
    ) -> Vec<(&'static str, CheckResult)> {
        let engine = engine();
        let host = engine.host(addr);
        let sni = Some("localhost");
        let s: Vec<CipherSuite> = accepted.iter().map(|&c| CipherSuite(c)).collect();
        vec![
            (
                "ccs_injection",
                checks::check_ccs_injection(&engine, &host, sni, version, &s).await,
            ),
            (
                "ticketbleed",
                checks::check_ticketbleed(&engine, &host, sni, version, &s, tickets).await,
            ),
            (
                "robot",
                checks::check_robot(&engine, &host, sni, version, &s, true).await,
            ),
            (
                "client_renegotiation",
                checks::check_client_renegotiation(&engine, &host, sni, version, &s).await,
            ),
            (
                "insecure_renegotiation",
                checks::check_insecure_renegotiation(&engine, &host, sni, version, &s).await,
            ),
            (
                "poodle_tls",
                checks::check_padding_oracle(&engine, &host, sni, version, &s).await,
            ),
        ]
    }
}

use tlsaudit::enumerate::weaknesses::{CheckResult, Verdict};

fn result(r: &CheckResult) -> (Verdict, &str, u64) {
    (r.result, r.evidence.as_str(), r.connections)
}

const RSA_SUITES: &[u16] = &[0xc02f, 0x002f, 0xc013];

/// The answers every server here that is not vulnerable gives, and what each costs.
fn assert_not_vulnerable(
    server: &str,
    results: &[(&'static str, CheckResult)],
    client_renegotiation: (Verdict, &str),
) {
    let want: [(&str, (Verdict, &str, u64)); 6] = [
        ("ccs_injection", (Verdict::No, "TLSv1.2: an early ChangeCipherSpec was answered by fatal alert unexpected_message", 1)),
        ("ticketbleed", (Verdict::No, "TLSv1.2: a hello with the ticket and a 16-byte session id got our session id back (resumed)", 2)),
        ("robot", (Verdict::No, "TLSv1.2 TLS_RSA_WITH_AES_128_CBC_SHA, ClientKeyExchange with ChangeCipherSpec and Finished: alert bad_record_mac for all five; alone: silence for all five", 10)),
        ("client_renegotiation", (client_renegotiation.0, client_renegotiation.1, 1)),
        ("insecure_renegotiation", (Verdict::No, "TLSv1.2 ServerHello echoes renegotiation_info (RFC 5746)", 1)),
        ("poodle_tls", (Verdict::No, "TLSv1.2 TLS_RSA_WITH_AES_128_CBC_SHA: a record with wrong padding bytes was answered by fatal alert bad_record_mac", 1)),
    ];
    for ((name, got), (want_name, want)) in results.iter().zip(want) {
        assert_eq!(*name, want_name);
        assert_eq!(result(got), want, "{server} {name}");
    }
}

const REFUSED: &str = "TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: an encrypted ClientHello (secure renegotiation) was refused with warning alert no_renegotiation";

#[tokio::test]
async fn checks_against_openssl_are_no() {
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = openssl_s_server(
        "checks-openssl",
        &rsa,
        &[
            "-www",
            "-max_protocol",
            "TLSv1.2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:ECDHE-RSA-AES128-SHA",
        ],
    )
    .unwrap();
    let results = checks::all(server.addr, TLS12, RSA_SUITES, true).await;
    // OpenSSL 3 refuses client-initiated renegotiation unless told otherwise.
    assert_not_vulnerable("openssl", &results, (Verdict::No, REFUSED));
}

#[tokio::test]
async fn checks_against_nginx_are_no() {
    if !require("nginx") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = fixtures::servers::nginx(
        "checks-nginx",
        &rsa,
        "ssl_protocols TLSv1.2; ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:ECDHE-RSA-AES128-SHA;",
    )
    .unwrap();
    let results = checks::all(server.addr, TLS12, RSA_SUITES, true).await;
    assert_not_vulnerable("nginx", &results, (Verdict::No, REFUSED));
}

#[tokio::test]
async fn checks_against_gnutls_are_no_but_it_renegotiates() {
    if !require("gnutls-serv") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = gnutls_serv("checks-gnutls", &rsa, "NORMAL:-VERS-ALL:+VERS-TLS1.2:+RSA").unwrap();
    let results = checks::all(server.addr, TLS12, RSA_SUITES, true).await;
    // GnuTLS takes a client-initiated (secure) renegotiation by default, and gnutls-serv has no
    // switch against it: a real yes.
    assert_not_vulnerable(
        "gnutls",
        &results,
        (
            Verdict::Yes,
            "TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: an encrypted ClientHello (secure renegotiation) was answered by a ServerHello; the renegotiated handshake completed",
        ),
    );
}

#[tokio::test]
async fn openssl_with_client_renegotiation_says_yes() {
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = openssl_s_server(
        "checks-reneg",
        &rsa,
        &["-www", "-max_protocol", "TLSv1.2", "-client_renegotiation"],
    )
    .unwrap();
    let engine = checks::engine();
    let host = engine.host(server.addr);
    let r = tlsaudit::enumerate::weaknesses::check_client_renegotiation(
        &engine,
        &host,
        Some("localhost"),
        TLS12,
        &[CipherSuite(0xc02f)],
    )
    .await;
    assert_eq!(
        result(&r),
        (
            Verdict::Yes,
            "TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: an encrypted ClientHello (secure renegotiation) was answered by a ServerHello; the renegotiated handshake completed",
            1
        )
    );
}

/// GnuTLS with safe renegotiation disabled: a real server without RFC 5746, which then also
/// renegotiates without it.
#[tokio::test]
async fn gnutls_without_safe_renegotiation_is_insecure() {
    if !require("gnutls-serv") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = gnutls_serv(
        "checks-unsafe",
        &rsa,
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:%DISABLE_SAFE_RENEGOTIATION",
    )
    .unwrap();
    let engine = checks::engine();
    let host = engine.host(server.addr);
    let s = [CipherSuite(0xc02f)];
    let r = tlsaudit::enumerate::weaknesses::check_insecure_renegotiation(
        &engine,
        &host,
        Some("localhost"),
        TLS12,
        &s,
    )
    .await;
    assert_eq!(
        result(&r),
        (Verdict::Yes, "TLSv1.2 ServerHello does not echo renegotiation_info: no RFC 5746 secure renegotiation", 1)
    );
    let r = tlsaudit::enumerate::weaknesses::check_client_renegotiation(
        &engine,
        &host,
        Some("localhost"),
        TLS12,
        &s,
    )
    .await;
    assert_eq!(
        result(&r),
        (
            Verdict::Yes,
            "TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: an encrypted ClientHello (no renegotiation_info) was answered by a ServerHello; the renegotiated handshake completed",
            1
        )
    );
}

#[tokio::test]
async fn checks_that_do_not_apply_cost_nothing() {
    // No server at all: nothing may connect.
    let engine = checks::engine();
    let host = engine.host("127.0.0.1:9".parse().unwrap());
    let sni = Some("localhost");
    let gcm = [CipherSuite(0xc02f)];
    use tlsaudit::enumerate::weaknesses as c;
    let r = c::check_robot(&engine, &host, sni, TLS12, &gcm, true).await;
    assert_eq!(
        result(&r),
        (
            Verdict::NotApplicable,
            "no TLSv1.2 RSA key-transport suite is accepted",
            0
        )
    );
    let r = c::check_padding_oracle(&engine, &host, sni, TLS12, &gcm).await;
    assert_eq!(
        result(&r),
        (Verdict::NotApplicable, "no accepted TLSv1.2 CBC suite", 0)
    );
    let r = c::check_ticketbleed(&engine, &host, sni, TLS12, &gcm, false).await;
    assert_eq!(
        result(&r),
        (
            Verdict::NotApplicable,
            "the server issues no session tickets",
            0
        )
    );
    let r = c::check_ccs_injection(&engine, &host, sni, ProtocolVersion::TLS13, &gcm).await;
    assert_eq!(
        result(&r),
        (
            Verdict::NotApplicable,
            "TLSv1.3 has no ChangeCipherSpec to inject",
            0
        )
    );
    let r = c::check_client_renegotiation(&engine, &host, sni, ProtocolVersion::TLS13, &gcm).await;
    assert_eq!(
        result(&r),
        (Verdict::NotApplicable, "TLSv1.3 has no renegotiation", 0)
    );
    // 3DES only: no suite this client can do, and it says so.
    let r =
        c::check_insecure_renegotiation(&engine, &host, sni, TLS12, &[CipherSuite(0x000a)]).await;
    assert_eq!(
        result(&r),
        (
            Verdict::NotDetermined,
            "no accepted TLSv1.2 suite this client can offer",
            0
        )
    );
    assert_eq!(host.connections(), 0);
}

// ---------------------------------------------------------------------------------------------
// Scripted vulnerable servers: what no server here does (OpenSSL 1.0.1g's early CCS, F5's
// Ticketbleed, a Bleichenbacher oracle, a padding check that reads only the last byte). They
// parse with our wire layer, do an ECDHE x25519 + AES-128-CBC-SHA handshake with our key
// schedule where they must, and answer with exact bytes.

mod vulnerable {
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, KeyIvInit};
    use ring::agreement;
    use rsa::pkcs8::DecodePrivateKey;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use tlsaudit::probe::tls12::client::record;
    use tlsaudit::probe::tls12::keys::{self, KeyMaterial, Prf};
    use tlsaudit::probe::tls12::record::RecordProtection;
    use tlsaudit::probe::tls12::SuiteParams;
    use tlsaudit::wire::{
        CertificateList, CipherSuite, ClientHello, Codec, ContentType, Deframer, Extension,
        ExtensionType, Frame, HandshakeMessage, HandshakeType, ProtocolVersion, ServerHello,
    };

    const TLS12: ProtocolVersion = ProtocolVersion::TLS12;
    /// ECDHE-RSA-AES128-SHA: what the scripted full handshakes do.
    pub const SUITE: u16 = 0xc013;
    const DUMMY_CERT: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x01];

    #[derive(Clone)]
    pub enum Mode {
        /// Takes a ChangeCipherSpec before the key exchange, then fails on the next record
        /// with bad_record_mac (OpenSSL before 1.0.1h).
        EarlyCcs,
        /// Issues a ticket; on resumption echoes 32 bytes of session id, the client's first.
        Ticketbleed,
        /// Checks only the padding length byte of a CBC record, and answers the request.
        LaxPadding,
        /// AES128-SHA with this RSA key (PKCS#8 PEM) and certificate: a different alert per
        /// kind of bad PKCS#1 padding, sent as soon as the ClientKeyExchange is in.
        Oracle { key_pem: String, cert: Vec<u8> },
        /// As `Oracle`, but its alert depends on the connection count, not the padding.
        Flaky { key_pem: String, cert: Vec<u8> },
    }

    pub async fn start(mode: Mode) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let count = Arc::new(AtomicU64::new(0));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let m = mode.clone();
                let n = count.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let _ =
                        tokio::time::timeout(Duration::from_secs(10), serve(stream, m, n)).await;
                });
            }
        });
        addr
    }

    /// Reads whole records off a stream.
    struct Records {
        stream: TcpStream,
        deframer: Deframer,
    }

    impl Records {
        async fn next(&mut self) -> Option<(ContentType, Vec<u8>)> {
            let mut buf = [0u8; 4096];
            loop {
                if let Ok(Some(Frame::Record {
                    content_type,
                    payload,
                    ..
                })) = self.deframer.pop()
                {
                    return Some((content_type, payload));
                }
                let n = self.stream.read(&mut buf).await.ok()?;
                if n == 0 {
                    return None;
                }
                self.deframer.push(&buf[..n]);
            }
        }

        /// Reads what the client still sends until it closes (at most 2 s): closing with unread
        /// bytes would reset the connection, racing the alert just sent.
        async fn drain(&mut self) {
            let mut buf = [0u8; 4096];
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while matches!(self.stream.read(&mut buf).await, Ok(n) if n > 0) {}
            })
            .await;
        }

        async fn send(&mut self, bytes: &[u8]) {
            let _ = self.stream.write_all(bytes).await;
        }
    }

    fn alert(description: u8) -> Vec<u8> {
        record(ContentType::ALERT, TLS12, &[2, description])
    }

    fn handshake(typ: HandshakeType, body: Vec<u8>) -> Vec<u8> {
        HandshakeMessage::Other { typ, body }.to_bytes()
    }

    async fn serve(stream: TcpStream, mode: Mode, n: u64) {
        let mut r = Records {
            stream,
            deframer: Deframer::default(),
        };
        let Some((ContentType::HANDSHAKE, ch_raw)) = r.next().await else {
            return;
        };
        let Ok(HandshakeMessage::ClientHello(ch)) = HandshakeMessage::from_bytes(&ch_raw) else {
            return;
        };
        match mode {
            Mode::Oracle { key_pem, cert } => oracle(&mut r, &ch, &key_pem, cert, None).await,
            Mode::Flaky { key_pem, cert } => oracle(&mut r, &ch, &key_pem, cert, Some(n)).await,
            Mode::EarlyCcs => {
                let (flight, _, _) = ecdhe_flight(&ch, &[]);
                r.send(&flight).await;
                if let Some((ContentType::CHANGE_CIPHER_SPEC, _)) = r.next().await {
                    // Taken: keys from an empty master secret now "decrypt" the next record.
                    if r.next().await.is_some() {
                        r.send(&alert(20)).await;
                    }
                }
            }
            Mode::Ticketbleed => {
                let ticket = ch
                    .extension(ExtensionType::SESSION_TICKET)
                    .map(|e| e.data.clone());
                match ticket {
                    Some(t) if !t.is_empty() => {
                        // Resume, echoing 32 bytes of "session id": the client's, then memory.
                        let mut id = ch.session_id.clone();
                        while id.len() < 32 {
                            id.push(rand::random());
                        }
                        let sh = server_hello(&ch, id, vec![]);
                        r.send(&record(ContentType::HANDSHAKE, TLS12, &sh)).await;
                    }
                    _ => {
                        let _ = full_handshake(&mut r, &ch, &ch_raw, true).await;
                    }
                }
            }
            Mode::LaxPadding => {
                let Some((_, mut write, km)) = full_handshake(&mut r, &ch, &ch_raw, false).await
                else {
                    return;
                };
                let Some((ContentType::APPLICATION_DATA, payload)) = r.next().await else {
                    return;
                };
                // Decrypts and drops as many bytes as the last one says, whatever they are.
                if payload.len() < 32 || payload.len() % 16 != 0 {
                    return;
                }
                let (iv, ct) = payload.split_at(16);
                let mut buf = ct.to_vec();
                let Ok(dec) = cbc::Decryptor::<aes::Aes128>::new_from_slices(&km.client_key, iv)
                else {
                    return;
                };
                if dec.decrypt_padded_mut::<NoPadding>(&mut buf).is_err() {
                    return;
                }
                let answer = write.seal(
                    ContentType::APPLICATION_DATA,
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                );
                r.send(&record(ContentType::APPLICATION_DATA, TLS12, &answer))
                    .await;
            }
        }
    }

    fn server_hello(
        ch: &ClientHello,
        session_id: Vec<u8>,
        mut extensions: Vec<Extension>,
    ) -> Vec<u8> {
        if ch.extension(ExtensionType::RENEGOTIATION_INFO).is_some() {
            extensions.push(Extension {
                typ: ExtensionType::RENEGOTIATION_INFO,
                data: vec![0],
            });
        }
        HandshakeMessage::ServerHello(ServerHello {
            legacy_version: TLS12,
            random: rand::random(),
            session_id,
            cipher_suite: CipherSuite(SUITE),
            compression_method: 0,
            extensions: Some(extensions),
        })
        .to_bytes()
    }

    /// ServerHello (ECDHE-RSA-AES128-SHA), a dummy certificate, an x25519 ServerKeyExchange
    /// with a signature no one checks, ServerHelloDone: the record, the messages, the key.
    fn ecdhe_flight(
        ch: &ClientHello,
        sh_exts: &[Extension],
    ) -> (Vec<u8>, Vec<u8>, agreement::EphemeralPrivateKey) {
        let rng = ring::rand::SystemRandom::new();
        let key = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng).unwrap();
        let public = key.compute_public_key().unwrap();
        let mut ske = vec![3, 0, 29, 32];
        ske.extend_from_slice(public.as_ref());
        ske.extend_from_slice(&[4, 1, 0, 2, 0xde, 0xad]);
        let mut msgs = server_hello(ch, vec![9; 32], sh_exts.to_vec());
        msgs.extend(
            HandshakeMessage::Certificate(CertificateList(vec![DUMMY_CERT.to_vec()])).to_bytes(),
        );
        msgs.extend(handshake(HandshakeType::SERVER_KEY_EXCHANGE, ske));
        msgs.extend(HandshakeMessage::ServerHelloDone.to_bytes());
        (record(ContentType::HANDSHAKE, TLS12, &msgs), msgs, key)
    }

    fn keys_for(km: &KeyMaterial) -> Option<(RecordProtection, RecordProtection)> {
        let p = SuiteParams::of(CipherSuite(SUITE))?;
        Some((
            RecordProtection::new(
                &p,
                TLS12,
                &km.client_mac,
                &km.client_key,
                &km.client_iv,
                false,
            )
            .ok()?,
            RecordProtection::new(
                &p,
                TLS12,
                &km.server_mac,
                &km.server_key,
                &km.server_iv,
                false,
            )
            .ok()?,
        ))
    }

    /// A whole TLS 1.2 handshake as the server (with a NewSessionTicket when `ticket` and the
    /// client asked), up to its Finished; returns the two directions' protection and the keys.
    async fn full_handshake(
        r: &mut Records,
        ch: &ClientHello,
        ch_raw: &[u8],
        ticket: bool,
    ) -> Option<(RecordProtection, RecordProtection, KeyMaterial)> {
        let ticket = ticket && ch.extension(ExtensionType::SESSION_TICKET).is_some();
        let exts = if ticket {
            vec![Extension::empty(ExtensionType::SESSION_TICKET)]
        } else {
            vec![]
        };
        let (flight, msgs, key) = ecdhe_flight(ch, &exts);
        let server_random: [u8; 32] = msgs[6..38].try_into().ok()?;
        let mut transcript = ch_raw.to_vec();
        transcript.extend(&msgs);
        r.send(&flight).await;
        let (ContentType::HANDSHAKE, cke) = r.next().await? else {
            return None;
        };
        transcript.extend(&cke);
        // ClientKeyExchange: type, length, then the ECPoint behind one length byte.
        let point = cke.get(5..)?;
        let z = agreement::agree_ephemeral(
            key,
            &agreement::UnparsedPublicKey::new(&agreement::X25519, point),
            |z| z.to_vec(),
        )
        .ok()?;
        let master = keys::master_secret(Prf::Sha256, &z, &ch.random, &server_random);
        let block = keys::key_block(Prf::Sha256, &master, &ch.random, &server_random, 104);
        let km = KeyMaterial::split(&block, 20, 16, 16)?;
        let (mut read, mut write) = keys_for(&km)?;
        let (ContentType::CHANGE_CIPHER_SPEC, _) = r.next().await? else {
            return None;
        };
        let (ContentType::HANDSHAKE, fin) = r.next().await? else {
            return None;
        };
        transcript.extend(read.open(ContentType::HANDSHAKE, &fin).ok()?);
        let mut out = Vec::new();
        if ticket {
            let mut body = 7200u32.to_be_bytes().to_vec();
            body.extend_from_slice(&16u16.to_be_bytes());
            body.extend_from_slice(b"scripted-ticket!");
            let nst = handshake(HandshakeType::NEW_SESSION_TICKET, body);
            transcript.extend(&nst);
            out.extend(record(ContentType::HANDSHAKE, TLS12, &nst));
        }
        out.extend(record(ContentType::CHANGE_CIPHER_SPEC, TLS12, &[1]));
        let verify = keys::verify_data(Prf::Sha256, &master, false, &transcript);
        let fin = write.seal(
            ContentType::HANDSHAKE,
            &handshake(HandshakeType::FINISHED, verify),
        );
        out.extend(record(ContentType::HANDSHAKE, TLS12, &fin));
        r.send(&out).await;
        Some((read, write, km))
    }

    /// The Bleichenbacher oracle: AES128-SHA with a real RSA key; decrypts the
    /// ClientKeyExchange with textbook RSA and names what is wrong with it in its alert.
    async fn oracle(
        r: &mut Records,
        ch: &ClientHello,
        key_pem: &str,
        cert: Vec<u8>,
        flaky: Option<u64>,
    ) {
        let Ok(key) = rsa::RsaPrivateKey::from_pkcs8_pem(key_pem) else {
            return;
        };
        let mut sh = server_hello(ch, vec![9; 32], vec![]);
        // AES128-SHA instead of the ECDHE suite.
        let at = 4 + 2 + 32 + 1 + 32;
        sh[at..at + 2].copy_from_slice(&[0x00, 0x2f]);
        sh.extend(HandshakeMessage::Certificate(CertificateList(vec![cert])).to_bytes());
        sh.extend(HandshakeMessage::ServerHelloDone.to_bytes());
        r.send(&record(ContentType::HANDSHAKE, TLS12, &sh)).await;
        let Some((ContentType::HANDSHAKE, cke)) = r.next().await else {
            return;
        };
        let Some(c) = cke.get(6..) else { return };
        let Ok(m) = rsa::hazmat::rsa_decrypt_and_check(
            &key,
            None::<&mut rand::rngs::ThreadRng>,
            &rsa::BigUint::from_bytes_be(c),
        ) else {
            return;
        };
        let k = rsa::traits::PublicKeyParts::size(&key);
        let mut block = vec![0u8; k];
        let bytes = m.to_bytes_be();
        block[k - bytes.len()..].copy_from_slice(&bytes);
        let description = if let Some(n) = flaky {
            if n % 3 == 0 {
                51
            } else {
                20
            }
        } else if block[..2] != [0, 2] {
            51 // decrypt_error
        } else {
            match block[2..].iter().position(|&b| b == 0) {
                None => 50,                       // decode_error
                Some(i) if k - 3 - i != 48 => 47, // illegal_parameter
                Some(_) => 20,                    // bad_record_mac, right version or not
            }
        };
        r.send(&alert(description)).await;
        r.drain().await;
    }
}

async fn one(addr: SocketAddr, check: &str, suites: &[u16]) -> CheckResult {
    use tlsaudit::enumerate::weaknesses as c;
    let engine = checks::engine();
    let host = engine.host(addr);
    let s: Vec<CipherSuite> = suites.iter().map(|&c| CipherSuite(c)).collect();
    let sni = Some("localhost");
    match check {
        "ccs" => c::check_ccs_injection(&engine, &host, sni, TLS12, &s).await,
        "ticketbleed" => c::check_ticketbleed(&engine, &host, sni, TLS12, &s, true).await,
        "robot" => c::check_robot(&engine, &host, sni, TLS12, &s, true).await,
        _ => c::check_padding_oracle(&engine, &host, sni, TLS12, &s).await,
    }
}

#[tokio::test]
async fn ccs_injection_yes_against_a_server_that_takes_an_early_ccs() {
    let addr = vulnerable::start(vulnerable::Mode::EarlyCcs).await;
    let r = one(addr, "ccs", &[vulnerable::SUITE]).await;
    assert_eq!(
        result(&r),
        (
            Verdict::Yes,
            "TLSv1.2: an early ChangeCipherSpec drew no answer, a second one fatal alert bad_record_mac",
            1
        )
    );
}

#[tokio::test]
async fn ticketbleed_yes_against_a_server_that_echoes_32_bytes() {
    let addr = vulnerable::start(vulnerable::Mode::Ticketbleed).await;
    let r = one(addr, "ticketbleed", &[vulnerable::SUITE]).await;
    assert_eq!(
        (r.result, r.connections),
        (Verdict::Yes, 3),
        "{}",
        r.evidence
    );
    // The two tails are the server's "memory": random, 16 bytes each, different.
    let prefix = "TLSv1.2: a 16-byte session id with the ticket came back as 32 bytes, twice, with different tails (memory): ";
    let tails = r.evidence.strip_prefix(prefix).expect(&r.evidence);
    let (a, b) = tails.split_once(", ").expect(tails);
    assert_eq!((a.len(), b.len()), (32, 32));
    assert_ne!(a, b);
}

#[tokio::test]
async fn padding_check_yes_against_a_server_that_reads_only_the_length_byte() {
    let addr = vulnerable::start(vulnerable::Mode::LaxPadding).await;
    let r = one(addr, "padding", &[vulnerable::SUITE]).await;
    assert_eq!(
        result(&r),
        (
            Verdict::Yes,
            "TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: a record with wrong padding bytes was answered by 38 bytes of application data",
            1
        )
    );
}

fn rsa_key_and_cert() -> (String, Vec<u8>, CertFiles) {
    let files = self_signed(KeyType::Rsa2048).unwrap();
    let pem = std::fs::read_to_string(&files.key).unwrap();
    (pem, der(&files), files)
}

#[tokio::test]
async fn robot_yes_against_an_oracle() {
    let (key_pem, cert, _files) = rsa_key_and_cert();
    let addr = vulnerable::start(vulnerable::Mode::Oracle { key_pem, cert }).await;
    let r = one(addr, "robot", &[0xc02f, 0x002f]).await;
    let answers = "well-formed: alert bad_record_mac, wrong first bytes: alert decrypt_error, 0x00 in the wrong place: alert illegal_parameter, no 0x00 separator: alert decode_error, wrong premaster version: alert bad_record_mac (twice)";
    assert_eq!(
        result(&r),
        (
            Verdict::Yes,
            format!("TLSv1.2 TLS_RSA_WITH_AES_128_CBC_SHA, ClientKeyExchange with ChangeCipherSpec and Finished: {answers}; alone: {answers}").as_str(),
            20
        )
    );
}

#[tokio::test]
async fn robot_not_determined_when_the_answers_do_not_repeat() {
    let (key_pem, cert, _files) = rsa_key_and_cert();
    let addr = vulnerable::start(vulnerable::Mode::Flaky { key_pem, cert }).await;
    let r = one(addr, "robot", &[0x002f]).await;
    assert_eq!(
        result(&r),
        (
            Verdict::NotDetermined,
            "TLSv1.2 TLS_RSA_WITH_AES_128_CBC_SHA, ClientKeyExchange with ChangeCipherSpec and Finished: inconsistent answers (well-formed: alert decrypt_error, wrong first bytes: alert bad_record_mac, 0x00 in the wrong place: alert bad_record_mac, no 0x00 separator: alert decrypt_error, wrong premaster version: alert bad_record_mac; then well-formed: alert bad_record_mac, wrong first bytes: alert decrypt_error, 0x00 in the wrong place: alert bad_record_mac, no 0x00 separator: alert bad_record_mac, wrong premaster version: alert decrypt_error)",
            10
        )
    );
}
