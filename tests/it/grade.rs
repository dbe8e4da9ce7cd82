//! Grades of real servers: `openssl s_server` and `gnutls-serv` on loopback, scanned with every
//! version, certificates judged at 2030-01-01 against the test CA (`--ca-file`). Each test
//! asserts the exact letter, score and caps the rules in `src/grade.rs` give.

use std::path::PathBuf;

use fixtures::servers::{gnutls_serv, openssl_s_server, self_signed, KeyType, ServerProcess};
use fixtures::testpki::{test_now, LeafKey, LeafSpec, Signer, TestCa};
use tlsaudit::certs::{verify, CertOptions};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::grade::{Grade, Letter};
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::report::TargetReport;

use crate::common::{require, scan_with_certs};

/// Every version, SNI "localhost", trusting Mozilla's roots and `ca_file`.
async fn scan_trusting(s: &ServerProcess, ca_file: Option<&PathBuf>) -> TargetReport {
    scan_at(s, ca_file, Some(test_now())).await
}

/// Like [`scan_trusting`], judging certificates at `at` (None: now).
async fn scan_at(s: &ServerProcess, ca_file: Option<&PathBuf>, at: Option<i64>) -> TargetReport {
    let ca_files: Vec<PathBuf> = ca_file.into_iter().cloned().collect();
    let opts = ScanOptions {
        sni: Some("localhost".into()),
        ..Default::default()
    };
    let certs = CertOptions {
        at,
        trust: verify::load(&["mozilla".into()], &ca_files).expect("trust stores load"),
        ..Default::default()
    };
    scan_with_certs(&s.target(), EngineConfig::default(), opts, certs)
        .await
        .0
}

fn grade(r: &TargetReport) -> &Grade {
    r.grade.as_ref().expect("a scanned target has a grade")
}

fn caps(g: &Grade) -> Vec<(&str, Letter)> {
    g.caps.iter().map(|c| (c.id.as_str(), c.cap)).collect()
}

/// TLS 1.2 (ECDHE-ECDSA, AEAD only) and TLS 1.3, groups x25519 and P-256, answering HTTP
/// (`-www`) without HSTS.
const MODERN: &[&str] = &[
    "-www",
    "-min_protocol",
    "TLSv1.2",
    "-cipher",
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305",
    "-groups",
    "x25519:secp256r1",
];

#[tokio::test]
async fn modern_server_with_a_trusted_chain_is_a_without_hsts() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("grade").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("ec", LeafKey::EcdsaP256)).unwrap();
    let files = ca.cert_files(&leaf).unwrap();
    let chain = ca.intermediate_pem.display().to_string();
    let mut args = MODERN.to_vec();
    args.extend(["-cert_chain", &chain]);
    let s = openssl_s_server("grade-modern", &files, &args).unwrap();
    let r = scan_trusting(&s, Some(&ca.root_pem)).await;
    let g = grade(&r);
    // Protocol 100 (TLS 1.2 and 1.3); key exchange 90 (x25519, P-256 and the P-256 key are all
    // 3072-bit RSA equivalents); cipher (256 → 100 + 128 → 80) / 2 = 90; 30 + 27 + 36 = 93.
    // Every suite has forward secrecy and AEAD, TLS 1.3 is on, the chain is trusted and names
    // localhost; s_server sends no HSTS, which A+ needs (nginx with HSTS gets A+: see
    // http::a_plus_only_with_hsts).
    assert_eq!(
        (
            g.letter,
            g.score,
            g.protocol_score,
            g.key_exchange_score,
            g.cipher_score
        ),
        (Letter::A, 93, 100, Some(90), 90),
        "{g:#?}"
    );
    assert_eq!(caps(g), vec![("grade.aplus.hsts", Letter::A)]);
    assert!(!g.incomplete, "{:?}", g.not_judged);
    assert_eq!(g.ignoring_certificate, None);
}

#[tokio::test]
async fn the_same_server_with_a_self_signed_certificate_is_t() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::EcdsaP256).unwrap();
    let s = openssl_s_server("grade-self", &cert, MODERN).unwrap();
    // Judged now: the self-signed certificate is made valid from today, not for 2030.
    let r = scan_at(&s, None, None).await;
    let g = grade(&r);
    assert_eq!(
        (g.letter, g.ignoring_certificate, g.score),
        (Letter::T, Some(Letter::A), 93),
        "{g:#?}"
    );
    assert_eq!(
        caps(g),
        vec![
            ("grade.cert.untrusted", Letter::T),
            ("grade.aplus.hsts", Letter::A)
        ]
    );
    // The reason is the certificate finding's: it says what to change.
    assert_eq!(
        g.caps[0].reason,
        "The server certificate is self-signed, so no client trusts it: install a certificate issued by a trusted CA."
    );
}

/// TLS 1.0-1.2, ECDHE-ECDSA CBC suites only, a chain from a throwaway CA.
fn legacy_server(name: &str) -> (TestCa, ServerProcess) {
    let ca = TestCa::new(name).unwrap();
    let leaf = ca.leaf(&LeafSpec::new("ec", LeafKey::EcdsaP256)).unwrap();
    let files = ca.cert_files(&leaf).unwrap();
    let chain = ca.intermediate_pem.display().to_string();
    let s = openssl_s_server(
        name,
        &files,
        &[
            "-www",
            "-min_protocol",
            "TLSv1",
            "-max_protocol",
            "TLSv1.2",
            "-cipher",
            "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0",
            "-groups",
            "x25519:secp256r1",
            "-cert_chain",
            &chain,
        ],
    )
    .unwrap();
    (ca, s)
}

#[tokio::test]
async fn legacy_tls1_0_cbc_server_is_b() {
    if !require("openssl") {
        return;
    }
    let (ca, s) = legacy_server("grade-legacy");
    let r = scan_trusting(&s, Some(&ca.root_pem)).await;
    let g = grade(&r);
    // Protocol (100 + 90) / 2 = 95; key exchange 90; cipher 90: 28.5 + 27 + 36 = 91 (an A by
    // score), held at B by TLS 1.0/1.1 and by CBC-only suites.
    assert_eq!(
        (g.letter, g.score, g.protocol_score),
        (Letter::B, 91, 95),
        "{g:#?}"
    );
    assert_eq!(
        caps(g),
        vec![
            ("grade.tls1_0_or_1_1", Letter::B),
            ("grade.no_aead", Letter::B),
            ("grade.aplus.no_tls1_3", Letter::A),
            ("grade.aplus.hsts", Letter::A),
        ]
    );
    assert_eq!(
        g.caps[0].reason,
        "TLSv1.0 and TLSv1.1 are enabled (deprecated by RFC 8996): disable TLS 1.0 and TLS 1.1."
    );
    assert!(!g.incomplete, "{:?}", g.not_judged);
}

#[tokio::test]
async fn gnutls_with_rc4_and_3des_is_c() {
    if !require("gnutls-serv") {
        return;
    }
    let ca = TestCa::new("grade-rc4").unwrap();
    let leaf = ca
        .leaf(&LeafSpec {
            signer: Signer::Root,
            ..LeafSpec::new("rsa", LeafKey::Rsa(2048))
        })
        .unwrap();
    let files = ca.cert_files(&leaf).unwrap();
    let s = gnutls_serv(
        "grade-gnutls",
        &files,
        "NONE:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:+3DES-CBC:+ARCFOUR-128:+AES-128-CBC:+CAMELLIA-128-GCM:+SHA1:+AEAD:+RSA:+ECDHE-RSA:+SIGN-ALL:+GROUP-ALL:+COMP-NULL:%SERVER_PRECEDENCE",
    )
    .unwrap();
    let r = scan_trusting(&s, Some(&ca.root_pem)).await;
    let g = grade(&r);
    // Protocol (100 + 90) / 2 = 95; key exchange (secp521r1 → 100 + RSA 2048 → 90) / 2 = 95;
    // cipher 80 (RC4, 3DES and AES-128 all score 80): 28.5 + 28.5 + 32 = 89, an A by score.
    // RC4 and 3DES with TLS 1.1+ cap it at C; the server prefers TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    // so a modern client gets neither forward secrecy nor AEAD (B).
    assert_eq!(
        (
            g.letter,
            g.score,
            g.protocol_score,
            g.key_exchange_score,
            g.cipher_score
        ),
        (Letter::C, 89, 95, Some(95), 80),
        "{g:#?}"
    );
    assert_eq!(
        caps(g),
        vec![
            ("grade.rc4", Letter::C),
            ("grade.64bit_block", Letter::C),
            ("grade.tls1_0_or_1_1", Letter::B),
            ("grade.no_forward_secrecy", Letter::B),
            ("grade.no_aead", Letter::B),
            ("grade.aplus.no_tls1_3", Letter::A),
            ("grade.aplus.hsts", Letter::A),
        ]
    );
    let rc4 = &g.caps[0];
    assert_eq!(
        rc4.reason,
        "RC4 is accepted (RFC 7465 prohibits it) (TLS_ECDHE_RSA_WITH_RC4_128_SHA, TLS_RSA_WITH_RC4_128_SHA): remove RC4 suites."
    );
    assert!(!g.incomplete, "{:?}", g.not_judged);
}

/// Runs the binary: `tlsaudit scan TARGET --sni localhost --policy none ARGS…`.
fn tlsaudit_scan(target: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["scan", target, "--sni", "localhost", "--policy", "none"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn only_versions_gives_an_incomplete_grade_in_json_and_text() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("grade-versions", &cert, &["-min_protocol", "TLSv1.2"]).unwrap();
    let (code, out) = tlsaudit_scan(&s.target(), &["--only", "versions", "-f", "json"]);
    assert_eq!(code, Some(0), "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let g = &report["targets"][0]["grade"];
    // One hello per version: OpenSSL picks AES128-SHA (static RSA, CBC) at TLS 1.2 and
    // TLS_AES_128_GCM_SHA256 at TLS 1.3. No key-exchange input was scanned, so the score weighs
    // protocol 100 and cipher 80 as 30 : 40 → 88. Nothing known holds it below A, but an
    // incomplete grade is never A+.
    assert_eq!(g["letter"], "A", "{g:#}");
    assert_eq!(g["score"], 88);
    assert_eq!(g["key_exchange_score"], serde_json::Value::Null);
    assert_eq!(g["incomplete"], true);
    assert_eq!(
        g["not_judged"],
        serde_json::json!([
            "TLSv1.2: cipher suites not enumerated (only the suite chosen from a full offer is known)",
            "TLSv1.3: cipher suites not enumerated (only the suite chosen from a full offer is known)",
            "key-exchange groups not scanned: ECDHE/DHE strength not scored",
            "protocol features not scanned: compression, secure renegotiation and Heartbleed not judged",
            "weaknesses not scanned: CCS injection, Ticketbleed, ROBOT, POODLE-TLS and insecure renegotiation not judged",
            "HTTP not scanned (--no-http, or --only without http): HSTS, which A+ needs, not judged",
            "certificates not scanned: trust (T), host name (M) and the server key not judged"
        ])
    );
    let caps: Vec<&str> = g["caps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(caps, Vec::<&str>::new());

    let (_, text) = tlsaudit_scan(&s.target(), &["--only", "versions"]);
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with("SNI localhost  grade A (incomplete)"),
        "{text}"
    );
    assert_eq!(
        lines.next().unwrap(),
        "  score 88: protocol 100, key exchange not judged, cipher 80 (SSL Labs rating guide 2009r)"
    );

    // HTML: the badge in the target header, the grade block with what was not judged.
    let (_, html) = tlsaudit_scan(&s.target(), &["--only", "versions", "-f", "html"]);
    let badge = "<span class=\"grade good\" title=\"score 88: protocol 100, key exchange not judged, cipher 80 (SSL Labs rating guide 2009r)\">A</span>";
    let header = html.find("<header>").unwrap();
    let header_end = html[header..].find("</header>").unwrap() + header;
    assert!(html[header..header_end].contains(badge), "{html}");
    assert!(
        html.contains("<strong>grade A (incomplete)</strong>"),
        "{html}"
    );
    assert!(
        html.contains("<li>key-exchange groups not scanned: ECDHE/DHE strength not scored</li>")
    );
}

#[tokio::test]
async fn min_grade_sets_the_exit_code() {
    if !require("openssl") {
        return;
    }
    let (ca, s) = legacy_server("grade-min");
    let root = ca.root_pem.display().to_string();
    let at = ["--ca-file", root.as_str(), "--at", "2030-01-01T00:00:00Z"];
    // The server grades B (see legacy_tls1_0_cbc_server_is_b).
    let (code, out) = tlsaudit_scan(&s.target(), &[&at[..], &["--min-grade", "B"]].concat());
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = tlsaudit_scan(&s.target(), &[&at[..], &["--min-grade", "a-"]].concat());
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("1 target graded below --min-grade A-"),
        "{out}"
    );
    // Without the CA the certificate is untrusted: T never meets a minimum, not even F.
    let (code, _) = tlsaudit_scan(
        &s.target(),
        &["--at", "2030-01-01T00:00:00Z", "--min-grade", "F"],
    );
    assert_eq!(code, Some(1));
    // Not a letter a minimum can be: a usage error.
    let (code, _) = tlsaudit_scan(&s.target(), &["--min-grade", "T"]);
    assert_eq!(code, Some(2));
}
