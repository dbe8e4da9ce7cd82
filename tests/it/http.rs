//! The HTTP stage against real servers (nginx with and without HSTS and gzip, `openssl
//! s_server -www`, a CBC-only s_server reached by our own TLS client) and a scripted TLS server
//! whose HTTP answers are exact bytes written here: malformed heads end in a clear error.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

use fixtures::servers::{
    nginx_site, openssl_s_server, self_signed, KeyType, NGINX_GZIP, NGINX_HSTS,
};
use fixtures::testpki::{test_now, LeafKey, LeafSpec, TestCa};
use tlsaudit::certs::{verify, CertOptions};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::{Hsts, SectionStatus, Stage, Verdict};
use tlsaudit::grade::Letter;
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::report::TargetReport;

use crate::common::{require, scan_with, scan_with_certs};

fn opts(stages: &[Stage]) -> ScanOptions {
    ScanOptions {
        sni: Some("localhost".into()),
        stages: stages
            .iter()
            .copied()
            .chain([Stage::Versions, Stage::Suites])
            .collect::<BTreeSet<_>>(),
        ..Default::default()
    }
}

async fn scan_http(target: &str) -> TargetReport {
    scan_with(target, EngineConfig::default(), opts(&[Stage::Http]))
        .await
        .0
}

fn breach(r: &TargetReport) -> (Verdict, String) {
    let c = r
        .weaknesses
        .as_ref()
        .and_then(|w| w.check("breach"))
        .expect("breach checked");
    (c.result, c.evidence.clone())
}

#[tokio::test]
async fn nginx_with_hsts_and_gzip() {
    if !require("nginx") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let site = format!("{NGINX_HSTS} {NGINX_GZIP}");
    let server = nginx_site(
        "http-nginx-hsts",
        &rsa,
        "ssl_protocols TLSv1.2 TLSv1.3;",
        &site,
    )
    .unwrap();
    let (r, _) = scan_with(
        &server.target(),
        EngineConfig::default(),
        opts(&[Stage::Http, Stage::Weaknesses]),
    )
    .await;
    let h = r.http.as_ref().expect("http scanned");
    assert_eq!(
        (h.status, h.error.as_deref()),
        (SectionStatus::Completed, None)
    );
    assert_eq!(h.status_code, Some(200));
    assert_eq!(
        h.hsts,
        Some(Hsts {
            max_age: Some(31_536_000),
            include_subdomains: true,
            preload: true,
            header: "max-age=31536000; includeSubDomains; preload".into(),
        })
    );
    assert_eq!(h.compression.as_deref(), Some("gzip"));
    assert_eq!(h.server.as_deref(), Some("nginx"));
    assert_eq!(
        h.fetched_over.as_deref(),
        Some("TLSv1.3 TLS_AES_256_GCM_SHA384 (rustls)")
    );
    assert_eq!(
        breach(&r),
        (
            Verdict::Yes,
            "the response to GET / is compressed (Content-Encoding: gzip): pages that reflect input and carry a secret (a CSRF token) leak it".into()
        )
    );
    // HSTS is there: nothing about it holds the grade (the certificate is self-signed: T).
    let g = r.grade.as_ref().unwrap();
    assert!(
        !g.caps.iter().any(|c| c.id == "grade.aplus.hsts"),
        "{:?}",
        g.caps
    );
    assert_eq!(g.guide, "2009r");
}

#[tokio::test]
async fn nginx_without_hsts_or_gzip_is_a_at_best() {
    if !require("nginx") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = nginx_site(
        "http-nginx-plain",
        &rsa,
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "",
    )
    .unwrap();
    let (r, _) = scan_with(
        &server.target(),
        EngineConfig::default(),
        opts(&[Stage::Http, Stage::Weaknesses]),
    )
    .await;
    let h = r.http.as_ref().expect("http scanned");
    assert_eq!(
        (h.status_code, &h.hsts, &h.compression, h.server.as_deref()),
        (Some(200), &None, &None, Some("nginx"))
    );
    assert_eq!(breach(&r).0, Verdict::No);
    let g = r.grade.as_ref().unwrap();
    let hsts: Vec<_> = g
        .caps
        .iter()
        .filter(|c| c.id == "grade.aplus.hsts")
        .collect();
    assert_eq!(hsts.len(), 1);
    assert_eq!(hsts[0].cap, Letter::A);
}

/// The same two nginx servers, graded as a whole with a trusted CA: A+ only with HSTS.
#[tokio::test]
async fn a_plus_only_with_hsts() {
    if !require("nginx") {
        return;
    }
    let ca = TestCa::new("http").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("ec", LeafKey::EcdsaP256)).unwrap();
    let files = ca.cert_files(&leaf).unwrap();
    // nginx sends the chain from one file: leaf, then intermediate.
    let mut chain = std::fs::read(&files.cert).unwrap();
    chain.extend(std::fs::read(&ca.intermediate_pem).unwrap());
    std::fs::write(&files.cert, chain).unwrap();
    let ssl = "ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305; ssl_ecdh_curve X25519:prime256v1;";
    let grade = |target: String| {
        let root = ca.root_pem.clone();
        async move {
            let certs = CertOptions {
                at: Some(test_now()),
                trust: verify::load(&["mozilla".into()], &[root]).expect("trust stores load"),
                ..Default::default()
            };
            let (r, _) = scan_with_certs(
                &target,
                EngineConfig::default(),
                ScanOptions {
                    sni: Some("localhost".into()),
                    ..Default::default()
                },
                certs,
            )
            .await;
            r.grade.unwrap()
        }
    };
    let with = nginx_site("http-aplus", &files, ssl, NGINX_HSTS).unwrap();
    let g = grade(with.target()).await;
    assert_eq!((g.letter, g.incomplete), (Letter::APlus, false), "{g:?}");
    drop(with);
    let without = nginx_site("http-a", &files, ssl, "").unwrap();
    let g = grade(without.target()).await;
    assert_eq!(g.letter, Letter::A, "{g:?}");
    let ids: Vec<&str> = g.caps.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec!["grade.aplus.hsts"]);
}

#[tokio::test]
async fn openssl_www_answers_without_hsts() {
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = openssl_s_server("http-s-server", &rsa, &["-www"]).unwrap();
    let before = scan_with(&server.target(), EngineConfig::default(), opts(&[]))
        .await
        .0
        .connections;
    let r = scan_http(&server.target()).await;
    let h = r.http.as_ref().expect("http scanned");
    assert_eq!(h.error, None);
    assert_eq!(
        (h.status_code, &h.hsts, &h.compression, &h.server),
        (Some(200), &None, &None, &None)
    );
    assert_eq!(
        h.fetched_over.as_deref(),
        Some("TLSv1.3 TLS_AES_256_GCM_SHA384 (rustls)")
    );
    // One connection for the stage.
    assert_eq!(r.connections, before + 1);
}

#[tokio::test]
async fn cbc_only_server_is_reached_by_our_own_client() {
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = openssl_s_server(
        "http-cbc",
        &rsa,
        &["-www", "-cipher", "AES128-SHA", "-max_protocol", "TLSv1.2"],
    )
    .unwrap();
    let r = scan_http(&server.target()).await;
    let h = r.http.as_ref().expect("http scanned");
    assert_eq!(h.error, None);
    assert_eq!(h.status_code, Some(200));
    assert_eq!(
        h.fetched_over.as_deref(),
        Some("TLSv1.2 TLS_RSA_WITH_AES_128_CBC_SHA (own client)")
    );
}

#[tokio::test]
async fn no_http_and_starttls_skip_the_stage() {
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let server = openssl_s_server("http-none", &rsa, &["-www"]).unwrap();
    let (r, _) = scan_with(
        &server.target(),
        EngineConfig::default(),
        opts(&[Stage::Weaknesses]),
    )
    .await;
    assert_eq!(r.http, None);
    assert_eq!(
        breach(&r),
        (
            Verdict::NotDetermined,
            "HTTP was not scanned (--no-http, or --only without http)".into()
        )
    );
    let g = r.grade.as_ref().unwrap();
    assert!(g.incomplete);
    assert!(g.not_judged.contains(
        &"HTTP not scanned (--no-http, or --only without http): HSTS, which A+ needs, not judged"
            .to_string()
    ));
}

/// A TLS 1.3 server (rustls) that answers every request with `answer` and closes.
fn scripted(answer: &'static [u8]) -> std::net::SocketAddr {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = key.cert.der().clone();
    let pkey = rustls::pki_types::PrivateKeyDer::Pkcs8(key.key_pair.serialize_der().into());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], pkey)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { return };
            let config = config.clone();
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, &mut tcp);
                let mut buf = [0u8; 4096];
                // The request (the probes that never finish a handshake end here).
                let Ok(n) = tls.read(&mut buf) else { return };
                if n == 0 {
                    return;
                }
                let _ = tls.write_all(answer);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    addr
}

async fn http_error(answer: &'static [u8]) -> (Option<String>, Verdict) {
    let addr = scripted(answer);
    let r = scan_with(
        &addr.to_string(),
        EngineConfig::default(),
        opts(&[Stage::Http, Stage::Weaknesses]),
    )
    .await
    .0;
    let h = r.http.as_ref().expect("http scanned");
    assert_eq!(h.status, SectionStatus::Error);
    (h.error.clone(), breach(&r).0)
}

#[tokio::test]
async fn scripted_answers_that_are_not_http_heads_end_in_clear_errors() {
    assert_eq!(
        http_error(b"SSH-2.0-OpenSSH_9.2\r\n").await,
        (
            Some("not an HTTP/1.x response (invalid HTTP version): the server sent \"SSH-2.0-OpenSSH_9.2\\r\\n\"".into()),
            Verdict::NotDetermined
        )
    );
    assert_eq!(
        http_error(b"HTTP/1.1 200 OK\r\nServer: half\r\n").await.0.as_deref(),
        Some("the response head is incomplete: the server closed the connection after 31 bytes without its end (a blank line), starting \"HTTP/1.1 200 OK\\r\\nServer: half\\r\\n\"")
    );
    static HUGE: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
        let mut v = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
        v.extend(std::iter::repeat_n(b'a', 70_000));
        v
    });
    assert_eq!(
        http_error(HUGE.as_slice()).await.0.as_deref(),
        Some("the response head exceeds 65536 bytes without its end (a blank line)")
    );
    assert_eq!(
        http_error(b"").await.0.as_deref(),
        Some("the server closed the connection without answering the HTTP request")
    );
}

#[tokio::test]
async fn scripted_head_with_short_hsts() {
    let addr = scripted(
        b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://localhost/\r\nStrict-Transport-Security: max-age=86400\r\nContent-Encoding: br\r\nServer: scripted/1.0\r\n\r\n",
    );
    let r = scan_http(&addr.to_string()).await;
    let h = r.http.as_ref().unwrap();
    assert_eq!(h.status_code, Some(301));
    assert_eq!(h.hsts.as_ref().and_then(|x| x.max_age), Some(86_400));
    assert_eq!(
        (h.compression.as_deref(), h.server.as_deref()),
        (Some("br"), Some("scripted/1.0"))
    );
    let g = r.grade.as_ref().unwrap();
    let cap = g.caps.iter().find(|c| c.id == "grade.aplus.hsts").unwrap();
    assert!(cap
        .reason
        .starts_with("HSTS max-age is 86400 s, under 180 days"));
}
