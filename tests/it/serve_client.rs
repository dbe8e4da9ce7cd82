//! `tlsaudit serve --tls-listen`, the client test: real clients (curl, `openssl s_client`) open
//! `/api/client` over TLS and get their own ClientHello back, analysed and judged; the printed
//! fingerprint is the certificate served; over plain HTTP `/client` points to the TLS
//! listener; garbage, an oversized hello, a silent client and a connection past the cap are
//! dropped (scripted clients: no real client sends those), and a real client is served after.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fixtures::servers::{self_signed, KeyType};
use serde_json::Value;
use tlsaudit::policy::profiles;
use tlsaudit::serve::client_test::ClientTest;

use crate::common::{require, tlsaudit_output};
use crate::hostile_clients::{hello, hello_record, record};
use crate::web::assert_shape;

/// A running `tlsaudit serve --tls-listen`, killed on drop.
pub struct ServeTls {
    child: Child,
    /// `127.0.0.1:PORT` of the plain HTTP listener.
    pub http: String,
    /// `127.0.0.1:PORT` of the TLS listener.
    pub https: String,
    /// The second stdout line, whole.
    pub tls_line: String,
    /// The data directory its results store goes into (never the tester's home).
    _data: tempfile::TempDir,
}

impl Drop for ServeTls {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tlsaudit serve --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 ARGS` and reads the two
/// addresses it prints.
pub fn serve_tls(args: &[&str]) -> ServeTls {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .env("XDG_DATA_HOME", data.path())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-listen",
            "127.0.0.1:0",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tlsaudit serve starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        for _ in 0..2 {
            let _ = tx.send(lines.next().and_then(Result::ok).unwrap_or_default());
        }
        // Keep reading so the server never blocks on a full pipe.
        for _ in lines {}
    });
    let mut s = ServeTls {
        child,
        http: String::new(),
        https: String::new(),
        tls_line: String::new(),
        _data: data,
    };
    let line = |rx: &std::sync::mpsc::Receiver<String>| {
        rx.recv_timeout(Duration::from_secs(60))
            .expect("tlsaudit serve prints its addresses")
    };
    let http = line(&rx);
    s.http = http
        .strip_prefix("tlsaudit serve: listening on http://")
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("unexpected first line {http:?}"))
        .to_string();
    s.tls_line = line(&rx);
    s.https = s
        .tls_line
        .strip_prefix("tlsaudit serve: listening on https://")
        .and_then(|a| a.split_once("/ "))
        .map(|(a, _)| a.to_string())
        .unwrap_or_else(|| panic!("unexpected second line {:?}", s.tls_line));
    s
}

/// The certificate fingerprint on the TLS line.
fn printed_fingerprint(line: &str) -> String {
    line.rsplit_once("SHA-256 ")
        .map(|(_, f)| f.trim_end_matches(')').to_string())
        .unwrap_or_else(|| panic!("no fingerprint in {line:?}"))
}

/// `curl -sk ARGS https://ADDR/api/client`, as JSON.
fn curl_api_client(addr: &str, args: &[&str]) -> Value {
    let out = Command::new("curl")
        .args(["-sS", "-k", "--max-time", "30"])
        .args(args)
        .arg(format!("https://{addr}/api/client"))
        .output()
        .expect("curl runs");
    let body = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn names(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|x| x[field].as_str().unwrap_or_default().to_string())
        .collect()
}

/// (policy, compliant) of every verdict.
fn verdicts(v: &Value) -> Vec<(String, bool)> {
    v["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .map(|x| {
            (
                x["policy"].as_str().unwrap_or_default().to_string(),
                x["compliant"].as_bool().expect("compliant"),
            )
        })
        .collect()
}

#[test]
fn curl_sees_its_own_hello_judged_by_every_policy() {
    if !require("curl") {
        return;
    }
    let srv = serve_tls(&[]);

    // TLS 1.3 with one group: exactly that comes back, and every policy lets it through.
    let v = curl_api_client(&srv.https, &["--tlsv1.3", "--curves", "X25519"]);
    let h = &v["hello"];
    assert_eq!(v["error"], Value::Null);
    assert!(v["peer"].as_str().unwrap().starts_with("127.0.0.1:"), "{v}");
    assert_eq!(h["versions"], serde_json::json!(["TLSv1.3"]));
    assert_eq!(names(&h["groups"], "name"), ["x25519"]);
    assert_eq!(h["key_shares"][0]["length"], 32);
    assert_eq!(
        h["grease"],
        serde_json::json!([]),
        "OpenSSL sends no GREASE"
    );
    assert!(h["ja4"].as_str().unwrap().starts_with("t13i"), "{h}");
    assert_eq!(h["ja3"].as_str().unwrap().len(), 32);
    let hs = &v["handshake"];
    assert_eq!(hs["completed"], true);
    assert_eq!(hs["version"], "TLSv1.3");
    assert_eq!(hs["certificate"], "ecdsa-p256");
    assert_eq!(hs["http_request"], "GET /api/client HTTP/1.1");
    let all: Vec<(String, bool)> = profiles::NAMES
        .iter()
        .map(|n| (n.to_string(), true))
        .collect();
    assert_eq!(verdicts(&v), all);
    assert_eq!(v["verdict"]["policy"], "multisafepay");
    assert_eq!(v["findings"], serde_json::json!([]));
    // The documented type (schema/client-test.schema.json) reads it back.
    let typed: ClientTest = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(typed.verdicts.len(), profiles::NAMES.len());
    // ...and it is what the OpenAPI document says /api/client answers.
    let doc = api_doc(&srv.http);
    assert_shape(
        &doc,
        &doc["paths"]["/api/client"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"],
        &v,
        "/api/client",
    );

    // A TLS 1.2 client with one ECDSA suite, on a new connection: its own hello, not the one
    // before. multisafepay's TLS 1.2 suites are all RSA-authenticated, and four profiles ask
    // for TLS 1.3: those say no.
    let v = curl_api_client(
        &srv.https,
        &[
            "--tls-max",
            "1.2",
            "--ciphers",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
        ],
    );
    let h = &v["hello"];
    assert_eq!(h["versions"], serde_json::json!(["TLSv1.2"]));
    assert_eq!(
        names(&h["cipher_suites"], "name"),
        [
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
        ]
    );
    assert!(h["ja4"].as_str().unwrap().starts_with("t12i02"), "{h}");
    assert_eq!(v["handshake"]["version"], "TLSv1.2");
    assert_eq!(
        v["handshake"]["cipher_suite"],
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
    );
    let refused: Vec<String> = verdicts(&v)
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(p, _)| p)
        .collect();
    assert_eq!(
        refused,
        ["multisafepay", "mozilla-modern", "ncsc-nl", "cnsa-2.0"]
    );
    assert_eq!(v["verdict"]["compliant"], false);
    assert!(
        v["verdict"]["message"]
            .as_str()
            .unwrap()
            .contains("none of the six suites multisafepay accepts"),
        "{v}"
    );
    assert_eq!(v["findings"][0]["id"], "client.policy.not_compliant");
}

/// `openssl x509 -fingerprint -sha256` of a PEM certificate: `AB:CD:…`.
fn openssl_fingerprint(pem: &[u8]) -> String {
    let mut child = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    child.stdin.take().unwrap().write_all(pem).unwrap();
    let out = child.wait_with_output().unwrap();
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    line.split_once('=')
        .map(|(_, f)| f.to_string())
        .unwrap_or_else(|| panic!("unexpected openssl output {line:?}"))
}

/// The leaf certificate `openssl s_client` receives from `addr`, as PEM.
fn served_certificate(addr: &str) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(["s_client", "-connect", addr])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("openssl s_client runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let start = text
        .find("-----BEGIN CERTIFICATE-----")
        .unwrap_or_else(|| panic!("no certificate from {addr}: {text}"));
    let end = text.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----".len();
    text[start..end].as_bytes().to_vec()
}

#[test]
fn the_printed_fingerprint_is_the_certificate_served() {
    if !require("openssl") || !require("curl") {
        return;
    }
    // Made at start.
    let srv = serve_tls(&[]);
    assert!(
        srv.tls_line.contains("self-signed certificate"),
        "{}",
        srv.tls_line
    );
    assert_eq!(
        printed_fingerprint(&srv.tls_line),
        openssl_fingerprint(&served_certificate(&srv.https))
    );
    // Given with --tls-cert/--tls-key.
    let cert = self_signed(KeyType::EcdsaP256).unwrap();
    let srv = serve_tls(&[
        "--tls-cert",
        cert.cert.to_str().unwrap(),
        "--tls-key",
        cert.key.to_str().unwrap(),
    ]);
    let pem = std::fs::read(&cert.cert).unwrap();
    assert!(
        srv.tls_line.contains("--tls-cert certificate"),
        "{}",
        srv.tls_line
    );
    assert_eq!(
        printed_fingerprint(&srv.tls_line),
        openssl_fingerprint(&pem)
    );
    assert_eq!(
        openssl_fingerprint(&served_certificate(&srv.https)),
        openssl_fingerprint(&pem)
    );
    let v = curl_api_client(&srv.https, &[]);
    assert_eq!(v["handshake"]["certificate"], "user");
}

/// The OpenAPI document the server at `addr` serves.
fn api_doc(addr: &str) -> Value {
    let (status, body) = http_get(addr, "/api/openapi.json");
    assert_eq!(status, 200);
    serde_json::from_str(&body).unwrap()
}

/// `GET path` over plain HTTP/1.1: (status, body).
fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap();
    (status, body.to_string())
}

#[test]
fn over_plain_http_the_client_test_points_to_the_tls_listener() {
    let srv = serve_tls(&[]);
    let (status, page) = http_get(&srv.http, "/client");
    assert_eq!(status, 200);
    let url = format!("https://{}/client", srv.https);
    assert!(
        page.contains(&format!("<a id=\"tls-link\" href=\"{url}\">{url}</a>")),
        "{page}"
    );
    let (status, body) = http_get(&srv.http, "/api/client");
    assert_eq!(status, 400);
    let v: Value = serde_json::from_str(&body).unwrap();
    let doc = api_doc(&srv.http);
    assert_shape(
        &doc,
        &doc["paths"]["/api/client"]["get"]["responses"]["400"]["content"]["application/json"]
            ["schema"],
        &v,
        "/api/client over HTTP",
    );
    assert_eq!(
        v["error"],
        format!(
            "the client test reads the ClientHello of a TLS connection: GET https://{}/api/client",
            srv.https
        )
    );
    // Plain HTTP sent to the TLS listener is told to use https://.
    let (status, body) = http_get(&srv.https, "/client");
    assert_eq!(status, 400);
    assert_eq!(
        body,
        "This is tlsaudit serve's TLS listener: use https://, not http://\n"
    );
}

/// Connects to `addr`, sends `bytes` (or as many as the server takes before it closes), and
/// reads until the server closes: the bytes it sent back. Panics when the server keeps the
/// connection open past 30 s.
fn send_and_read_to_close(addr: &str, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    // A server that closes mid-way makes the write fail: that is what is being tested.
    let _ = s.write_all(bytes);
    let mut got = Vec::new();
    match s.read_to_end(&mut got) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the server did not close the connection: {e}"),
    }
    got
}

#[test]
fn bad_hellos_are_dropped_and_a_real_client_is_served_after() {
    if !require("curl") {
        return;
    }
    // One second to send a hello: a silent client is cut off after it.
    let srv = serve_tls(&["--header-timeout", "1"]);
    // Bytes that are no protocol.
    assert_eq!(
        send_and_read_to_close(&srv.https, b"\x00\x01\x02garbage"),
        b""
    );
    // A handshake record whose message claims 16 MB: more than any hello may be.
    assert_eq!(
        send_and_read_to_close(&srv.https, &[22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]),
        b""
    );
    // A record header no TLS record may have (64 KiB).
    assert_eq!(
        send_and_read_to_close(&srv.https, &[22, 3, 1, 0xff, 0xff, 1, 0, 0]),
        b""
    );
    // 20 KB of empty handshake records, which never complete a hello: past the 16 KiB cap.
    assert_eq!(
        send_and_read_to_close(&srv.https, &[22, 3, 1, 0, 0].repeat(4000)),
        b""
    );
    // A well-formed hello padded to 20 KB: past the cap however it is split into records.
    assert_eq!(
        send_and_read_to_close(&srv.https, &record(22, &hello(20_000, vec![]))),
        b""
    );
    // Silence: closed at the header timeout.
    assert_eq!(send_and_read_to_close(&srv.https, b""), b"");
    // A real hello, then silence: the server answers its flight and closes at the handshake's
    // timeout.
    let answer = send_and_read_to_close(&srv.https, &hello_record());
    assert_eq!(answer.first(), Some(&22), "a handshake record: {answer:?}");
    // And a real client still gets its answer.
    let v = curl_api_client(&srv.https, &["--tlsv1.3"]);
    assert_eq!(v["handshake"]["completed"], true);
}

#[test]
fn a_connection_past_the_cap_is_closed_until_one_frees() {
    if !require("curl") {
        return;
    }
    let srv = serve_tls(&["--max-connections", "2", "--header-timeout", "60"]);
    // Two silent clients hold both places (accepted in connection order).
    let holders: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(&srv.https).unwrap())
        .collect();
    let out = Command::new("curl")
        .args(["-sS", "-k", "--max-time", "30"])
        .arg(format!("https://{}/api/client", srv.https))
        .output()
        .unwrap();
    assert!(!out.status.success(), "a third connection was served");
    // Once they leave, a client is served again (the server frees a place when it sees the
    // close; a few tries cover the moment before it does).
    drop(holders);
    let served = (0..50).any(|_| {
        let ok = Command::new("curl")
            .args(["-sS", "-k", "--max-time", "30", "-o", "/dev/null"])
            .arg(format!("https://{}/api/client", srv.https))
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            std::thread::sleep(Duration::from_millis(100));
        }
        ok
    });
    assert!(served, "no client was served after the holders left");
}

#[test]
fn what_a_client_offers_is_shown_as_text() {
    if !require("openssl") {
        return;
    }
    let srv = serve_tls(&[]);
    // An ALPN name is any bytes the client likes: here markup, which the page must escape.
    let mut child = Command::new("openssl")
        .args(["s_client", "-quiet", "-ign_eof", "-connect", &srv.https])
        .args(["-alpn", "<script>x</script>,http/1.1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_client runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"GET /client HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
    assert!(
        page.contains("<tr><th>ALPN</th><td>&lt;script&gt;x&lt;/script&gt;, http/1.1</td></tr>"),
        "{page}"
    );
    assert!(!page.contains("<script>"), "{page}");
}

#[test]
fn a_certificate_that_cannot_be_read_stops_serve_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("results.sqlite");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let run = |cert: &str| {
        tlsaudit_output(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            store.to_str().unwrap(),
            "--tls-listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert,
            "--tls-key",
            cert,
        ])
    };
    let (code, stdout, stderr) = run("/nonexistent/cert.pem");
    assert_eq!(code, 2);
    assert_eq!(stdout, "", "nothing listened");
    assert!(
        stderr.contains("reading /nonexistent/cert.pem: I/O error: No such file or directory"),
        "{stderr}"
    );
    let (code, _, stderr) = run(garbage.to_str().unwrap());
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!("{} holds no certificate", garbage.display())),
        "{stderr}"
    );
}
