//! STARTTLS against real servers on loopback: nginx's mail proxy (SMTP, IMAP, POP3), PostgreSQL,
//! vsftpd (FTP) and Prosody (XMPP).

use fixtures::servers::{
    nginx_mail, postgres, prosody, self_signed, vsftpd, KeyType, NGINX_MAIL_MODULE,
};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::TlsVersion::*;
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::probe::starttls::Starttls;

use crate::common::{ids, require, scan_with, sorted, suites, versions};

fn have_mail_module() -> bool {
    if !require("nginx") {
        return false;
    }
    if std::path::Path::new(NGINX_MAIL_MODULE).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but libnginx-mod-mail is not installed"
    );
    eprintln!("skipping: {NGINX_MAIL_MODULE} missing");
    false
}

const MAIL_TLS: &str = "ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_prefer_server_ciphers on;\n    \
                        ssl_ciphers ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA;";

#[tokio::test]
async fn smtp_imap_pop3_starttls() {
    if !have_mail_module() {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    for proto in [Starttls::Smtp, Starttls::Imap, Starttls::Pop3] {
        let s = nginx_mail(proto.name(), &cert, proto.name(), MAIL_TLS).unwrap();
        let opts = ScanOptions {
            starttls: Some(proto),
            ..Default::default()
        };
        let (r, _) = scan_with(&s.target(), EngineConfig::default(), opts).await;
        assert_eq!(r.error, None, "{proto:?}");
        assert_eq!(r.starttls, Some(proto));
        assert_eq!(versions(&r), vec![Tls12, Tls13], "{proto:?}");
        assert_eq!(
            suites(&r, Tls12),
            ids(&[0xc030, 0xc02f, 0x002f]),
            "{proto:?}"
        );
        assert_eq!(r.protocol(Tls12).unwrap().server_preference, Some(true));
    }
}

#[tokio::test]
async fn wrong_starttls_protocol_is_a_clear_target_error() {
    if !have_mail_module() {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = nginx_mail("smtp", &cert, "smtp", MAIL_TLS).unwrap();
    let opts = ScanOptions {
        starttls: Some(Starttls::Imap),
        ..Default::default()
    };
    let (r, _) = scan_with(&s.target(), EngineConfig::default(), opts).await;
    let e = r.error.clone().unwrap_or_default();
    assert!(e.contains("STARTTLS (imap)") && e.contains("220"), "{e}");
    assert_eq!(
        r.error_reason,
        Some(tlsaudit::facts::ErrorReason::StarttlsFailed)
    );
    assert!(r.protocols.iter().all(|p| !p.supported));

    // FTP's AUTH TLS to an SMTP server: its greeting passes for FTP's, the command does not.
    let opts = ScanOptions {
        starttls: Some(Starttls::Ftp),
        ..Default::default()
    };
    let (r, _) = scan_with(&s.target(), EngineConfig::default(), opts).await;
    let e = r.error.clone().unwrap_or_default();
    assert!(
        e.ends_with("STARTTLS (ftp): AUTH TLS refused, server said \"500 5.5.1 Invalid command\""),
        "{e}"
    );
    assert!(r.protocols.iter().all(|p| !p.supported));
}

/// TLS 1.2 suites of the PostgreSQL and FTP servers below, in their preference order; TLS 1.3
/// keeps OpenSSL's defaults (neither server can set them).
const DB_FTP_CIPHERS: &str = "ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA";
const OPENSSL_TLS13: [u32; 3] = [0x1301, 0x1302, 0x1303];

fn have_postgres() -> bool {
    if fixtures::servers::postgres_bin_dir().is_some() {
        return true;
    }
    // Debian keeps initdb and postgres off PATH: name the package's program for require().
    require("initdb")
}

#[tokio::test]
async fn postgres_sslrequest() {
    if !require("openssl") || !have_postgres() {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = postgres(
        "postgres",
        &cert,
        &[
            ("ssl_ciphers", DB_FTP_CIPHERS),
            ("ssl_prefer_server_ciphers", "on"),
            ("ssl_min_protocol_version", "TLSv1.2"),
        ],
    )
    .unwrap();
    let opts = ScanOptions {
        starttls: Some(Starttls::Postgres),
        ..Default::default()
    };
    let (r, _) = scan_with(&s.target(), EngineConfig::default(), opts).await;
    assert_eq!(r.error, None);
    assert_eq!(r.starttls, Some(Starttls::Postgres));
    assert_eq!(versions(&r), vec![Tls12, Tls13]);
    assert_eq!(suites(&r, Tls12), ids(&[0xc030, 0x002f]));
    assert_eq!(r.protocol(Tls12).unwrap().server_preference, Some(true));
    assert_eq!(sorted(suites(&r, Tls13)), ids(&OPENSSL_TLS13));
}

#[tokio::test]
async fn ftp_auth_tls() {
    if !require("openssl") || !require("vsftpd") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = vsftpd(
        "ftp",
        &cert,
        &format!("ssl_ciphers={DB_FTP_CIPHERS}\nssl_tlsv1=YES"),
    )
    .unwrap();
    let opts = ScanOptions {
        starttls: Some(Starttls::Ftp),
        ..Default::default()
    };
    let (r, _) = scan_with(&s.target(), EngineConfig::default(), opts).await;
    assert_eq!(r.error, None);
    assert_eq!(r.starttls, Some(Starttls::Ftp));
    assert_eq!(versions(&r), vec![Tls12, Tls13]);
    assert_eq!(sorted(suites(&r, Tls12)), sorted(ids(&[0xc030, 0x002f])));
    // vsftpd sets no server preference: it takes the client's order.
    assert_eq!(r.protocol(Tls12).unwrap().server_preference, Some(false));
    assert_eq!(sorted(suites(&r, Tls13)), ids(&OPENSSL_TLS13));

    // The same FTP server asked for PostgreSQL's SSLRequest: its greeting is the answer.
    let opts = ScanOptions {
        starttls: Some(Starttls::Postgres),
        ..Default::default()
    };
    let (r, _) = scan_with(&s.target(), EngineConfig::default(), opts).await;
    let e = r.error.clone().unwrap_or_default();
    assert!(
        e.contains("STARTTLS (postgres)") && e.contains("\"220 (vsFTPd 3."),
        "{e}"
    );
    assert!(r.protocols.iter().all(|p| !p.supported));
}

#[tokio::test]
async fn postgres_without_ssl_answers_n() {
    if !require("openssl") || !have_postgres() {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = postgres("postgres-nossl", &cert, &[("ssl", "off")]).unwrap();
    let opts = ScanOptions {
        starttls: Some(Starttls::Postgres),
        ..Default::default()
    };
    let (r, _) = scan_with(&s.target(), EngineConfig::default(), opts).await;
    let e = r.error.clone().unwrap_or_default();
    assert_eq!(
        e,
        format!(
            "{}: STARTTLS (postgres): server refused SSL (answered 'N'; ssl is off)",
            s.target()
        )
    );
    assert!(r.protocols.iter().all(|p| !p.supported));
}

#[tokio::test]
async fn xmpp_starttls() {
    if !require("openssl") || !require("prosody") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = prosody(
        "xmpp",
        &cert,
        &format!(
            "protocol = \"tlsv1_2+\", ciphers = \"{DB_FTP_CIPHERS}\", \
             options = {{ \"cipher_server_preference\" }}"
        ),
    )
    .unwrap();
    let opts = ScanOptions {
        starttls: Some(Starttls::Xmpp),
        sni: Some("localhost".into()),
        ..Default::default()
    };
    let (r, _) = scan_with(&s.target(), EngineConfig::default(), opts).await;
    assert_eq!(r.error, None);
    assert_eq!(r.starttls, Some(Starttls::Xmpp));
    assert_eq!(versions(&r), vec![Tls12, Tls13]);
    assert_eq!(suites(&r, Tls12), ids(&[0xc030, 0x002f]));
    assert_eq!(r.protocol(Tls12).unwrap().server_preference, Some(true));
    assert_eq!(sorted(suites(&r, Tls13)), ids(&OPENSSL_TLS13));

    // A domain the server does not host: its stream error is the target's error.
    let opts = ScanOptions {
        starttls: Some(Starttls::Xmpp),
        sni: Some("elsewhere.example".into()),
        ..Default::default()
    };
    let (r, _) = scan_with(&s.target(), EngineConfig::default(), opts).await;
    assert_eq!(
        r.error.clone().unwrap_or_default(),
        format!(
            "{}: STARTTLS (xmpp): stream error host-unknown (This server does not serve \
             elsewhere.example)",
            s.target()
        )
    );

    // PostgreSQL's SSLRequest to an XMPP server: it answers with XML.
    let opts = ScanOptions {
        starttls: Some(Starttls::Postgres),
        ..Default::default()
    };
    let (r, _) = scan_with(&s.target(), EngineConfig::default(), opts).await;
    let e = r.error.clone().unwrap_or_default();
    assert!(
        e.contains(
            "STARTTLS (postgres): not a PostgreSQL answer to the SSLRequest (want 'S' or 'N'), \
             server said \"<?xml version='1.0'?><stream:stream"
        ),
        "{e}"
    );
    assert!(r.protocols.iter().all(|p| !p.supported));
}

/// A scheme that names STARTTLS brings it to a `--quic` scan, which cannot carry it: the target
/// is refused before any packet is sent.
#[tokio::test]
async fn a_starttls_scheme_under_quic_is_an_invalid_target() {
    let opts = ScanOptions {
        quic: true,
        ..Default::default()
    };
    let (r, _) = scan_with("submission://127.0.0.1:1", EngineConfig::default(), opts).await;
    assert_eq!(
        r.error.as_deref(),
        Some(
            "submission://127.0.0.1:1: submission:// is STARTTLS over TCP, and --quic scans TLS \
             over UDP: scan it without --quic"
        )
    );
    assert_eq!(
        r.error_reason,
        Some(tlsaudit::facts::ErrorReason::InvalidTarget)
    );
    assert_eq!(r.connections, 0);
}
