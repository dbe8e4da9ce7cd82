//! Our own TLS 1.0–1.2 client against real servers: full handshakes and an HTTP GET over every
//! key exchange and record protection it does, against `openssl s_server -www` and
//! `gnutls-serv` (which answers HTTP by default).

use std::net::SocketAddr;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tlsaudit::engine::{Engine, EngineConfig};
use tlsaudit::servers::{gnutls_serv, openssl_s_server, self_signed, CertFiles, KeyType};
use tlsaudit::tls12::{ClientConfig, HandshakeInfo, HttpResponseHead, Session};
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
    let cases: &[(
        &str,
        ProtocolVersion,
        u16,
        bool,
        bool,
        Option<NamedGroup>,
        Option<u64>,
    )] = &[
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
