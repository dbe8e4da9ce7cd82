//! `tlsaudit client` against real TLS clients on loopback (curl, openssl s_client, gnutls-cli,
//! Python's ssl), each asserting the exact versions and suites parsed from the capture and the
//! verdict; and scripted clients for what no real one does (a hello split over many records,
//! an SSLv2-format hello, garbage, plain HTTP, a truncated hello, silence).
//!
//! Where a client's defaults depend on the machine, the expectation comes from the client's
//! own account of them (`openssl ciphers -s -V`, `gnutls-cli -l`, `SSLContext.get_ciphers()`),
//! never from our parser.

use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use tlsaudit::client::report::{ClientReport, SuiteSecurity};
use tlsaudit::client::{
    CaptureLimits, CaptureServer, Certs, ExecReport, ServerOptions, ServerProfile,
};
use tlsaudit::facts::TlsVersion::{self, *};
use tlsaudit::wire::sslv2::{CipherKind, Sslv2ClientHello};
use tlsaudit::wire::{
    encode_records, CipherSuite, ClientHello, Codec, ContentType, EcPointFormatList, Extension,
    ExtensionType, HandshakeMessage, NamedGroup, NamedGroupList, ProtocolVersion, ServerNameList,
    SignatureScheme, SignatureSchemeList,
};

use crate::common::require;

/// The seed's six TLS 1.2 suites, as the verdict names them.
const SIX: [&str; 6] = [
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
];

struct Run {
    code: i32,
    report: ExecReport,
    /// The command's own output (tlsaudit sends it to stderr).
    stderr: String,
}

/// `tlsaudit client --exec COMMAND --format json`.
fn exec(command: &str) -> Run {
    exec_with(command, &[])
}

fn exec_with(command: &str, extra: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["client", "--format", "json", "--timeout", "20"])
        .args(["--exec", command])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("tlsaudit runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report: ExecReport = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not an exec report ({e}): {stdout}\nstderr: {stderr}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        report,
        stderr,
    }
}

impl Run {
    /// The one client that sent a hello.
    fn client(&self) -> &ClientReport {
        let with_hello: Vec<_> = self
            .report
            .clients
            .iter()
            .filter(|c| c.hello.is_some())
            .collect();
        assert_eq!(
            with_hello.len(),
            1,
            "{:#?}\nstderr: {}",
            self.report,
            self.stderr
        );
        with_hello[0]
    }
}

fn suites(r: &ClientReport) -> Vec<u16> {
    r.hello
        .as_ref()
        .unwrap()
        .cipher_suites
        .iter()
        .map(|s| u16::from_str_radix(s.id.trim_start_matches("0x"), 16).unwrap())
        .collect()
}

fn versions(r: &ClientReport) -> Vec<TlsVersion> {
    r.hello.as_ref().unwrap().versions.clone()
}

/// `0x13,0x02` or `0x13, 0x02` → 0x1302.
fn parse_pair(a: &str, b: &str) -> Option<u16> {
    let a = u8::from_str_radix(a.trim().trim_end_matches(',').trim_start_matches("0x"), 16).ok()?;
    let b = u8::from_str_radix(b.trim().trim_start_matches("0x"), 16).ok()?;
    Some(u16::from_be_bytes([a, b]))
}

/// OpenSSL's own list of the suites its default context sends, in order.
fn openssl_default_suites() -> Vec<u16> {
    let out = Command::new("openssl")
        .args(["ciphers", "-s", "-V"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let id = l.split_whitespace().next()?;
            let (a, b) = id.split_once(',')?;
            parse_pair(a, b)
        })
        .collect()
}

#[test]
fn curl_defaults_are_compliant_and_negotiate_tls13() {
    if !require("curl") {
        return;
    }
    let run = exec("curl -sk {url}json");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.report.compliant, Some(true));
    assert_eq!(run.report.command_exit_code, Some(0));
    let c = run.client();
    let h = c.hello.as_ref().unwrap();
    // Debian's curl sends OpenSSL's default list, then the renegotiation SCSV (RFC 5746).
    let mut expected = openssl_default_suites();
    expected.push(0x00ff);
    assert_eq!(suites(c), expected);
    assert_eq!(h.legacy_version, "TLSv1.2");
    // Debian's OpenSSL 3.0 still lists TLS 1.1 and 1.0 (its security level refuses them later).
    assert_eq!(versions(c), vec![Tls13, Tls12, Tls11, Tls10]);
    assert_eq!(h.alpn, vec!["h2", "http/1.1"]);
    // curl sends no SNI to an IP address (RFC 6066 section 3).
    assert_eq!(h.sni, None);
    assert_eq!(h.compression_methods, vec![0]);
    assert!(h.ja3.as_ref().is_some_and(|j| j.len() == 32));
    assert!(h
        .ja4
        .as_ref()
        .is_some_and(|j| j.starts_with("t13i") && j.len() == 36));
    let v = c.verdict.as_ref().unwrap();
    assert!(v.compliant);
    assert_eq!(v.version, Some(Tls13));
    assert_eq!(
        v.cipher_suite.as_ref().unwrap().name,
        "TLS_CHACHA20_POLY1305_SHA256"
    );
    assert_eq!(c.findings, vec![]);
    let hs = c.handshake.as_ref().unwrap();
    assert!(hs.completed, "{hs:?}");
    assert_eq!(hs.version, Some(Tls13));
    assert_eq!(
        hs.cipher_suite.as_deref(),
        Some("TLS_CHACHA20_POLY1305_SHA256")
    );
    assert_eq!(hs.http_request.as_deref(), Some("GET /json HTTP/1.1"));
    // curl printed the report it was served over HTTPS.
    let served: ClientReport =
        serde_json::from_str(&run.stderr).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    assert_eq!(served.hello, c.hello);
    assert_eq!(served.verdict, c.verdict);
}

#[test]
fn curl_gets_a_text_report_at_the_root() {
    if !require("curl") {
        return;
    }
    let run = exec("curl -sk {url}");
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("COMPLIANT with multisafepay")
            && run.stderr.contains("TLS_CHACHA20_POLY1305_SHA256"),
        "{}",
        run.stderr
    );
}

fn s_client(args: &str) -> Run {
    exec(&format!(
        "openssl s_client -connect {{host}}:{{port}} {args}"
    ))
}

#[test]
fn s_client_tls12_with_a_policy_suite_is_compliant() {
    let run = s_client("-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let c = run.client();
    let h = c.hello.as_ref().unwrap();
    assert_eq!(suites(c), vec![0xc02f, 0x00ff]);
    assert_eq!(versions(c), vec![Tls12]);
    assert_eq!(h.legacy_version, "TLSv1.2");
    assert!(h.supported_versions.is_empty());
    let v = c.verdict.as_ref().unwrap();
    assert!(v.compliant);
    assert_eq!(v.version, Some(Tls12));
    assert_eq!(v.cipher_suite.as_ref().unwrap().id, "0xc02f");
    // An ECDHE_RSA suite needs the RSA certificate: the handshake really completes with it.
    let hs = c.handshake.as_ref().unwrap();
    assert!(hs.completed, "{hs:?}");
    assert_eq!(hs.certificate, "rsa-2048");
    assert_eq!(
        hs.cipher_suite.as_deref(),
        Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    );
}

#[test]
fn s_client_with_only_dhe_is_not_compliant_and_told_the_six_suites() {
    let run = s_client("-tls1_2 -cipher DHE-RSA-AES256-GCM-SHA384");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.report.compliant, Some(false));
    let c = run.client();
    assert_eq!(suites(c), vec![0x009f, 0x00ff]);
    assert_eq!(versions(c), vec![Tls12]);
    let v = c.verdict.as_ref().unwrap();
    assert!(!v.compliant);
    assert_eq!(v.version, None);
    assert!(
        v.message.starts_with(
            "the client offers TLS 1.2 but none of the six suites multisafepay accepts"
        ),
        "{}",
        v.message
    );
    for s in SIX {
        assert!(v.message.contains(s), "{s} missing from {}", v.message);
    }
    assert!(v
        .upgrade
        .as_ref()
        .unwrap()
        .contains("ECDHE-RSA-AES128-GCM-SHA256"));
    // rustls has no DHE: the handshake fails, and the report says so.
    assert!(!c.handshake.as_ref().unwrap().completed);
}

#[test]
fn s_client_tls10_only_is_not_compliant() {
    let run = s_client("-tls1 -cipher AES128-SHA:@SECLEVEL=0");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let c = run.client();
    let h = c.hello.as_ref().unwrap();
    assert_eq!(suites(c), vec![0x002f, 0x00ff]);
    assert_eq!(versions(c), vec![Tls10]);
    assert_eq!(h.legacy_version, "TLSv1.0");
    let rsa = &h.cipher_suites[0];
    assert_eq!(rsa.security, SuiteSecurity::Weak);
    assert!(!rsa.forward_secrecy);
    let v = c.verdict.as_ref().unwrap();
    assert!(!v.compliant);
    assert!(v.message.contains("offers only TLS 1.0"), "{}", v.message);
    assert!(v
        .upgrade
        .as_ref()
        .unwrap()
        .starts_with("enable TLS 1.2 or TLS 1.3"));
    let ids: Vec<&str> = c.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "client.policy.not_compliant",
            "client.suites.no_forward_secrecy"
        ]
    );
    let hs = c.handshake.as_ref().unwrap();
    assert!(!hs.completed && hs.error.is_some());
}

/// What `gnutls-cli -l --priority NORMAL` says it offers: suite ids in order.
fn gnutls_normal_suites() -> Vec<u16> {
    let out = Command::new("gnutls-cli")
        .args(["-l", "--priority", "NORMAL"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace().skip(1);
            parse_pair(w.next()?, w.next()?)
        })
        .collect()
}

#[test]
fn gnutls_cli_is_parsed_exactly() {
    if !require("gnutls-cli") {
        return;
    }
    let run = exec("gnutls-cli --insecure --priority NORMAL --port {port} {host}");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let c = run.client();
    let h = c.hello.as_ref().unwrap();
    let expected = gnutls_normal_suites();
    assert!(expected.len() > 10, "{expected:?}");
    // GnuTLS signals secure renegotiation with the extension, not the SCSV.
    assert_eq!(suites(c), expected);
    assert_eq!(versions(c)[..2], [Tls13, Tls12]);
    assert!(h.extensions.iter().any(|e| e.name == "renegotiation_info"));
    assert_eq!(
        h.key_shares
            .iter()
            .map(|k| (k.group.name.as_str(), k.length))
            .collect::<Vec<_>>(),
        vec![("secp256r1", 65), ("x25519", 32)]
    );
    let v = c.verdict.as_ref().unwrap();
    assert_eq!(
        (v.compliant, v.version),
        (true, Some(Tls13)),
        "{}",
        v.message
    );
    assert!(c.handshake.as_ref().unwrap().completed);
}

const PY_CLIENT: &str = r#"
import json, socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
print("ORACLE " + json.dumps({"ciphers": [c["id"] & 0xFFFF for c in ctx.get_ciphers()],
                              "min": int(ctx.minimum_version)}), file=sys.stderr)
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10) as s:
    with ctx.wrap_socket(s, server_hostname="localhost") as t:
        t.sendall(b"GET /json HTTP/1.1\r\nHost: localhost\r\n\r\n")
        body = b""
        while True:
            d = t.recv(65536)
            if not d:
                break
            body += d
        print("SERVED " + str(b'"compliant": true' in body), file=sys.stderr)
"#;

#[test]
fn python_ssl_client_is_parsed_exactly() {
    if !require("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("client.py");
    std::fs::write(&script, PY_CLIENT).unwrap();
    let run = exec(&format!("python3 {} {{host}} {{port}}", script.display()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let oracle: serde_json::Value = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("ORACLE "))
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("{}", run.stderr));
    let mut expected: Vec<u16> = oracle["ciphers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u16)
        .collect();
    expected.push(0x00ff);
    let c = run.client();
    let h = c.hello.as_ref().unwrap();
    assert_eq!(suites(c), expected);
    // Python's default context: TLS 1.3 down to its minimum_version.
    let min = oracle["min"].as_u64().unwrap() as u16;
    let want: Vec<TlsVersion> = [Tls13, Tls12, Tls11, Tls10]
        .into_iter()
        .filter(|v| v.wire().0 >= min)
        .collect();
    assert_eq!(versions(c), want);
    assert_eq!(h.sni.as_deref(), Some("localhost"));
    assert!(h.ja4.as_ref().unwrap().starts_with("t13d"));
    assert!(c.verdict.as_ref().unwrap().compliant);
    assert!(run.stderr.contains("SERVED True"), "{}", run.stderr);
}

#[test]
fn a_user_certificate_is_presented() {
    if !require("curl") {
        return;
    }
    let cert = fixtures::servers::self_signed(fixtures::servers::KeyType::EcdsaP256).unwrap();
    let (c, k) = (
        cert.cert.display().to_string(),
        cert.key.display().to_string(),
    );
    // curl verifies the chain against that certificate alone: it is the one served.
    let run = exec_with(
        &format!("curl -s --fail --cacert {c} {{url}}json"),
        &["--cert", &c, "--key", &k],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.report.command_exit_code, Some(0));
    let hs = run.client().handshake.as_ref().unwrap();
    assert!(hs.completed);
    assert_eq!(hs.certificate, "user");
}

#[test]
fn exec_with_no_client_exits_3() {
    let run = exec("true");
    assert_eq!(run.code, 3);
    assert!(run.report.clients.is_empty());
    assert_eq!(run.report.compliant, None);
    assert_eq!(run.report.command_exit_code, Some(0));
}

#[test]
fn unknown_policy_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["client", "--policy", "nope", "--exec", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'nope'"));
}

/// A TLS 1.2 hello with two of the six suites.
fn scripted_hello() -> Vec<u8> {
    let h = ClientHello {
        legacy_version: ProtocolVersion::TLS12,
        random: [42; 32],
        session_id: vec![],
        cipher_suites: vec![
            CipherSuite(0x0a0a),
            CipherSuite(0x009c),
            CipherSuite(0xc02f),
        ],
        compression_methods: vec![0],
        extensions: Some(vec![
            Extension::new(
                ExtensionType::SERVER_NAME,
                &ServerNameList::host("localhost"),
            ),
            Extension::new(
                ExtensionType::SUPPORTED_GROUPS,
                &NamedGroupList(vec![NamedGroup::X25519, NamedGroup::SECP256R1]),
            ),
            Extension::new(ExtensionType::EC_POINT_FORMATS, &EcPointFormatList(vec![0])),
            Extension::new(
                ExtensionType::SIGNATURE_ALGORITHMS,
                &SignatureSchemeList(vec![
                    SignatureScheme::RSA_PSS_RSAE_SHA256,
                    SignatureScheme::RSA_PKCS1_SHA256,
                ]),
            ),
        ]),
    };
    HandshakeMessage::ClientHello(h).to_bytes()
}

async fn next(rx: &mut tokio::sync::mpsc::Receiver<ClientReport>) -> ClientReport {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("a report within 30 s")
        .expect("the server is running")
}

async fn send(addr: std::net::SocketAddr, bytes: &[u8], close: bool) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    for chunk in bytes.chunks(9) {
        s.write_all(chunk).await.unwrap();
    }
    if close {
        s.shutdown().await.unwrap();
    }
    let mut back = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut back)).await;
    back
}

#[tokio::test]
async fn listen_mode_survives_bad_clients_and_keeps_serving() {
    let opts = ServerOptions {
        profile: ServerProfile::multisafepay(),
        limits: CaptureLimits {
            timeout: Duration::from_secs(3),
            ..CaptureLimits::default()
        },
        certs: Certs::generate().unwrap(),
    };
    let server = CaptureServer::bind(([127, 0, 0, 1], 0).into(), opts)
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let mut rx = server.spawn();

    // A hello split over records of 10 bytes each, every record written in pieces.
    let msg = scripted_hello();
    let mut split = Vec::new();
    for chunk in msg.chunks(10) {
        split.extend(encode_records(
            ContentType::HANDSHAKE,
            ProtocolVersion::TLS10,
            chunk,
        ));
    }
    send(addr, &split, true).await;
    let r = next(&mut rx).await;
    let h = r.hello.as_ref().unwrap_or_else(|| panic!("{r:?}"));
    assert_eq!(h.records, msg.len().div_ceil(10));
    assert_eq!(h.length, msg.len());
    assert_eq!(suites(&r), vec![0x0a0a, 0x009c, 0xc02f]);
    assert_eq!(h.grease, vec!["cipher_suites"]);
    assert!(h.cipher_suites[0].grease);
    assert_eq!(h.sni.as_deref(), Some("localhost"));
    let v = r.verdict.as_ref().unwrap();
    // Server order: ECDHE-RSA-AES128-GCM comes before static RSA in the policy.
    assert_eq!(v.cipher_suite.as_ref().unwrap().id, "0xc02f");

    // An SSLv2-format hello from a TLS 1.0 client.
    let v2 = Sslv2ClientHello {
        version: 0x0301,
        cipher_specs: vec![CipherKind(0x0700c0), CipherKind(0x00002f)],
        session_id: vec![],
        challenge: vec![3; 16],
    };
    send(addr, &v2.to_record(), true).await;
    let r = next(&mut rx).await;
    let h = r.hello.as_ref().unwrap();
    assert_eq!(h.format, "sslv2");
    assert_eq!(suites_or_kinds(&r), vec!["0x0700c0", "0x002f"]);
    assert!(r.verdict.as_ref().unwrap().message.contains("only TLS 1.0"));

    // Garbage.
    send(addr, b"\x00\x01\x02garbage", true).await;
    let r = next(&mut rx).await;
    assert_eq!(
        r.error.as_deref(),
        Some("the client sent bytes that are not TLS: 00 01 02 67 61 72 62 61 67 65")
    );
    assert!(r.hello.is_none() && r.verdict.is_none());

    // Plain HTTP gets an HTTP answer that says to use https.
    let back = send(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", false).await;
    let r = next(&mut rx).await;
    assert!(r.error.as_deref().unwrap().contains("use https://"));
    assert!(String::from_utf8_lossy(&back).starts_with("HTTP/1.1 400 Bad Request"));

    // A truncated hello, then the client closes.
    send(addr, &split[..40], true).await;
    let r = next(&mut rx).await;
    assert_eq!(
        r.error.as_deref(),
        Some("the client closed the connection after 40 bytes, before its ClientHello was complete (truncated)")
    );

    // Nothing at all.
    send(addr, b"", true).await;
    let r = next(&mut rx).await;
    assert_eq!(
        r.error.as_deref(),
        Some("the client connected and closed without sending anything")
    );

    // Silence until the capture timeout.
    let silent = TcpStream::connect(addr).await.unwrap();
    let r = next(&mut rx).await;
    assert_eq!(
        r.error.as_deref(),
        Some("the client connected but sent nothing within 3 s")
    );
    drop(silent);

    // And the server still serves a real client.
    let status = tokio::process::Command::new("openssl")
        .args(["s_client", "-connect", &addr.to_string(), "-tls1_2"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let r = next(&mut rx).await;
    assert_eq!(versions(&r), vec![Tls12]);
    assert!(r.verdict.as_ref().unwrap().compliant);
    assert!(r.handshake.as_ref().unwrap().completed);
}

fn suites_or_kinds(r: &ClientReport) -> Vec<String> {
    r.hello
        .as_ref()
        .unwrap()
        .cipher_suites
        .iter()
        .map(|s| s.id.clone())
        .collect()
}

#[test]
fn listen_mode_prints_one_json_line_per_client() {
    use std::io::{BufRead, BufReader};
    if !require("curl") {
        return;
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["client", "--listen", "127.0.0.1:0", "--format", "jsonl"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read on threads so that a silent server fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        if let Some(Ok(l)) = BufReader::new(stderr).lines().next() {
            let _ = tx2.send(("stderr", l));
        }
    });
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        if let Some(Ok(l)) = BufReader::new(stdout).lines().next() {
            let _ = tx.send(("stdout", l));
        }
    });
    let (_, banner) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .unwrap_or_else(|| panic!("{banner}"))
        .to_string();
    let body = Command::new("curl")
        .args(["-sk", "-H", "Accept: application/json", &url])
        .output()
        .unwrap();
    let (which, line) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(which, "stdout");
    let printed: ClientReport = serde_json::from_str(&line).unwrap();
    let served: ClientReport = serde_json::from_slice(&body.stdout).unwrap();
    assert_eq!(printed.hello, served.hello);
    assert!(printed.verdict.as_ref().unwrap().compliant);
    assert_eq!(
        printed.handshake.as_ref().unwrap().http_request.as_deref(),
        Some("GET / HTTP/1.1")
    );
}

#[test]
fn the_same_client_judged_by_another_policy() {
    // Mozilla "modern" servers speak TLS 1.3 only: a TLS 1.2-only client cannot reach them,
    // though it reaches a server following the seed's policy (the test above).
    let run = exec_with(
        "openssl s_client -connect {host}:{port} -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256",
        &["--policy", "mozilla-modern"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = run.client().verdict.as_ref().unwrap();
    assert!(!v.compliant);
    assert_eq!(v.version, None);
    // Mozilla "intermediate" takes that very suite at TLS 1.2.
    let run = exec_with(
        "openssl s_client -connect {host}:{port} -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256",
        &["--policy", "mozilla-intermediate"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.client().verdict.as_ref().unwrap();
    assert_eq!(
        (v.version, v.cipher_suite.as_ref().map(|s| s.id.as_str())),
        (Some(Tls12), Some("0xc02f"))
    );
}

/// Checks `value` against a schemars (draft-07) schema, for the keywords schemars emits:
/// `$ref`, `anyOf`, `type`, `enum`, `required`, `properties`, `items`. Stricter than the schema
/// in one way: every key of an object must be declared (the schema promises no other).
fn conforms(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
) -> Result<(), String> {
    use serde_json::Value;
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/definitions/");
        return conforms(root, &root["definitions"][name], value, at);
    }
    if let Some(any) = schema["anyOf"].as_array() {
        let errors: Vec<String> = any
            .iter()
            .filter_map(|s| conforms(root, s, value, at).err())
            .collect();
        return if errors.len() < any.len() {
            Ok(())
        } else {
            Err(errors.join(" / "))
        };
    }
    if let Some(all) = schema["allOf"].as_array() {
        return all.iter().try_for_each(|s| conforms(root, s, value, at));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !types.is_empty()
        && !types
            .iter()
            .any(|t| *t == kind || (*t == "number" && kind == "integer"))
    {
        return Err(format!("{at}: {kind} where the schema says {types:?}"));
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    match value {
        Value::Object(map) => {
            for req in schema["required"].as_array().into_iter().flatten() {
                let req = req.as_str().unwrap_or_default();
                if !map.contains_key(req) {
                    return Err(format!("{at}: required {req} missing"));
                }
            }
            if let Some(props) = schema["properties"].as_object() {
                for (k, v) in map {
                    let s = props
                        .get(k)
                        .ok_or_else(|| format!("{at}: {k} is not in the schema"))?;
                    conforms(root, s, v, &format!("{at}.{k}"))?;
                }
            }
            Ok(())
        }
        Value::Array(items) if schema["items"].is_object() => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| conforms(root, &schema["items"], v, &format!("{at}[{i}]"))),
        _ => Ok(()),
    }
}

#[test]
fn client_reports_conform_to_the_checked_in_schema() {
    let printed = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["schema", "client"])
        .output()
        .unwrap();
    let checked_in = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/client-report.schema.json"
    ))
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&printed.stdout), checked_in);
    let schema: serde_json::Value = serde_json::from_str(&checked_in).unwrap();
    // Plain `tlsaudit schema` is still the scan report's.
    let scan = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .arg("schema")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&scan.stdout),
        tlsaudit::report::json_schema()
    );
    if !require("openssl") {
        return;
    }
    // A real client (TLS 1.2 only, so the report has a verdict and a handshake) and its
    // --exec document, then one listen-mode object on its own.
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["client", "--format", "json", "--timeout", "20", "--exec"])
        .arg("openssl s_client -connect {host}:{port} -tls1_2 </dev/null")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["clients"][0]["hello"]["cipher_suites"].is_array(),
        "{doc}"
    );
    conforms(&schema, &schema, &doc, "$").unwrap();
    conforms(&schema, &schema, &doc["clients"][0], "$").unwrap();
    // And the checker does catch what the schema does not allow.
    let mut bad = doc["clients"][0].clone();
    bad["hello"]["records"] = serde_json::json!("one");
    assert!(conforms(&schema, &schema, &bad, "$").is_err());
    bad = serde_json::json!({"peer": "x", "schema_version": "1.0", "surprise": 1});
    assert!(conforms(&schema, &schema, &bad, "$").is_err());
}
