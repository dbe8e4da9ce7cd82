//! The hostile-client suite for `tlsaudit client --listen` (issue 13): one capture server, one
//! table of client behaviours, each the exact report the server must write for it. All cases
//! connect at once; reports are matched to cases by the client's own address, so one case's
//! misbehaviour cannot be mistaken for another's. Then a flood of silent connections, past the
//! server's bound on clients handled at once, after which a real client is still served.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Command;

use tlsaudit::client::report::ClientReport;
use tlsaudit::client::{CaptureLimits, CaptureServer, Certs, ServerOptions, ServerProfile};
use tlsaudit::wire::{
    encode_records, CipherSuite, ClientHello, Codec, ContentType, Extension, ExtensionType,
    HandshakeMessage, NamedGroup, NamedGroupList, ProtocolVersion, ServerNameList, SignatureScheme,
    SignatureSchemeList,
};

use crate::common::require;

/// The capture limits of every case: a short deadline, the default byte cap.
const LIMITS: CaptureLimits = CaptureLimits {
    max_bytes: 64 * 1024,
    timeout: Duration::from_secs(2),
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// Connect and close without a byte.
    CloseAtOnce,
    /// Connect and say nothing.
    Silence,
    /// Plain HTTP to the TLS port.
    PlainHttp,
    /// Bytes that are no protocol at all.
    Garbage,
    /// A handshake record header claiming 65,535 bytes.
    RecordClaims64K,
    /// A handshake message header claiming 16 MB.
    HandshakeClaims16M,
    /// Zero-length handshake records for ever.
    ZeroLengthRecords,
    /// A real hello, one byte per 300 ms.
    Slowloris,
    /// The first 40 bytes of a hello, then close.
    TruncatedThenClose,
    /// The first 40 bytes of a hello, then a reset.
    TruncatedThenReset,
    /// An alert instead of a hello.
    AlertFirst,
    /// A ChangeCipherSpec record instead of a hello.
    CcsFirst,
    /// Application data instead of a hello.
    ApplicationDataFirst,
    /// A ServerHello instead of a ClientHello.
    ServerHelloInstead,
    /// An SSLv2 CLIENT-HELLO whose cipher-spec length runs past the message.
    Sslv2Overflow,
    /// A ClientHello whose extensions block claims more than it holds.
    TruncatedExtensions,
    /// A ClientHello carrying server_name twice.
    DuplicateExtensions,
    /// A ClientHello with 70,000 bytes of padding, more than the byte cap.
    OversizedHello,
    /// A hello record with record version 0xffff.
    RecordVersionFfff,
    /// Random bytes, 10 MB, until the server hangs up.
    RandomFlood,
    /// A legal hello in one-byte records.
    OneByteRecords,
    /// A legal hello, then silence: the handshake never goes on.
    HelloThenSilence,
    /// A legal hello, then close (our side) once the server's flight begins.
    HelloThenClose,
    /// A legal hello, then a reset once the server's flight begins.
    HelloThenReset,
    /// A legal hello, then garbage where the client's flight belongs.
    HelloThenGarbage,
    /// A real client (openssl s_client) that completes the handshake and sends a request head
    /// without end, 1 MB of header lines.
    EndlessRequestHead,
    /// A real client that completes the handshake and then says nothing.
    HandshakeThenSilence,
}

use Behaviour::*;

/// What the report of a case must say.
#[derive(Debug)]
enum Expect {
    /// No hello captured; `error` is exactly this.
    Capture(&'static str),
    /// No hello captured; `error` starts with this.
    CapturePrefix(&'static str),
    /// The hello was captured; the handshake did not complete and its error is exactly this.
    Handshake(&'static str),
    /// The hello was captured and the handshake completed; the request line is this.
    Completed(Option<&'static str>),
}

fn table() -> Vec<(Behaviour, Expect)> {
    use Expect::*;
    vec![
        (CloseAtOnce, Capture("the client connected and closed without sending anything")),
        (Silence, Capture("the client connected but sent nothing within 2 s")),
        (
            PlainHttp,
            Capture("the client sent text, not TLS (plain HTTP: use https://): \"GET / HTTP/1.1\""),
        ),
        (Garbage, Capture("the client sent bytes that are not TLS: 00 01 02 67 61 72 62 61 67 65")),
        (
            RecordClaims64K,
            Capture("malformed record from the client: invalid record: length 65535 exceeds 18432"),
        ),
        (
            HandshakeClaims16M,
            Capture("malformed ClientHello: invalid handshake message: length 16777215 exceeds the limit of 65536"),
        ),
        (ZeroLengthRecords, Capture("no complete ClientHello in the first 65536 bytes")),
        (Slowloris, CapturePrefix("no complete ClientHello within 2 s (")),
        (
            TruncatedThenClose,
            Capture("the client closed the connection after 40 bytes, before its ClientHello was complete (truncated)"),
        ),
        (
            TruncatedThenReset,
            Capture("the client reset the connection after 40 bytes, before its ClientHello was complete"),
        ),
        (AlertFirst, Capture("the client sent alert handshake_failure instead of a ClientHello")),
        (
            CcsFirst,
            Capture("the client sent a change_cipher_spec record instead of a ClientHello"),
        ),
        (
            ApplicationDataFirst,
            Capture("the client sent an application_data record instead of a ClientHello"),
        ),
        (
            ServerHelloInstead,
            Capture("the first handshake message is server_hello, not a ClientHello"),
        ),
        (
            Sslv2Overflow,
            Capture("malformed SSLv2 CLIENT-HELLO: truncated CLIENT-HELLO.cipher_specs"),
        ),
        (TruncatedExtensions, Capture("malformed ClientHello: truncated extensions")),
        // Captured as sent (the report lists what the client offered); the TLS stack refuses it
        // (RFC 8446 section 4.2).
        (
            DuplicateExtensions,
            Handshake("received corrupt message of type DuplicateExtension(0)"),
        ),
        (
            OversizedHello,
            Capture("malformed ClientHello: invalid handshake message: length 70089 exceeds the limit of 65536"),
        ),
        (
            RecordVersionFfff,
            Capture("malformed record from the client: invalid record: version 0xffff is not TLS"),
        ),
        // The seeded bytes start with the high bit set: an SSLv2 record header.
        (
            RandomFlood,
            Capture("malformed SSLv2 CLIENT-HELLO: invalid SSLv2 CLIENT-HELLO: message type 26"),
        ),
        // Captured whole from 137 records; the client then never sends its flight.
        (OneByteRecords, Handshake("timed out waiting for the client")),
        (HelloThenSilence, Handshake("timed out waiting for the client")),
        (HelloThenClose, Handshake("the client closed the connection during the handshake")),
        (HelloThenReset, Handshake("the client reset the connection during the handshake")),
        (
            HelloThenGarbage,
            Handshake("received corrupt message of type InvalidContentType"),
        ),
        // The request head is cut at 16 KiB; its first line is what the report keeps.
        (EndlessRequestHead, Completed(Some("GET /endless HTTP/1.1"))),
        (HandshakeThenSilence, Completed(None)),
    ]
}

/// A TLS 1.2 hello with two of the seed's suites, padded with `padding` extension bytes,
/// with `extra` extensions appended.
pub(crate) fn hello(padding: usize, extra: Vec<Extension>) -> Vec<u8> {
    let mut extensions = vec![
        Extension::new(
            ExtensionType::SERVER_NAME,
            &ServerNameList::host("localhost"),
        ),
        Extension::new(
            ExtensionType::SUPPORTED_GROUPS,
            &NamedGroupList(vec![NamedGroup::X25519, NamedGroup::SECP256R1]),
        ),
        Extension::new(
            ExtensionType::SIGNATURE_ALGORITHMS,
            &SignatureSchemeList(vec![
                SignatureScheme::ECDSA_SECP256R1_SHA256,
                SignatureScheme::RSA_PSS_RSAE_SHA256,
                SignatureScheme::RSA_PKCS1_SHA256,
            ]),
        ),
    ];
    if padding > 0 {
        extensions.push(Extension {
            typ: ExtensionType(21),
            data: vec![0; padding],
        });
    }
    extensions.extend(extra);
    HandshakeMessage::ClientHello(ClientHello {
        legacy_version: ProtocolVersion::TLS12,
        random: [42; 32],
        session_id: vec![],
        cipher_suites: vec![CipherSuite(0xc02b), CipherSuite(0xc02f)],
        compression_methods: vec![0],
        extensions: Some(extensions),
    })
    .to_bytes()
}

pub(crate) fn record(content_type: u8, payload: &[u8]) -> Vec<u8> {
    encode_records(ContentType(content_type), ProtocolVersion::TLS10, payload)
}

/// The hello as a client sends it: one handshake record.
pub(crate) fn hello_record() -> Vec<u8> {
    record(22, &hello(0, vec![]))
}

/// Writes `bytes` and keeps the connection until the server closes it (or 10 s pass: a bound
/// on a broken server, which the report check then names).
async fn write_then_wait(mut s: TcpStream, bytes: &[u8]) {
    if s.write_all(bytes).await.is_ok() {
        drain(&mut s).await;
    }
}

async fn drain(s: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    let wait = tokio::time::timeout(Duration::from_secs(10), async {
        while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
    });
    let _ = wait.await;
}

/// Writes `unit` over and over until the server stops reading.
async fn flood(mut s: TcpStream, head: &[u8], unit: &[u8], total: usize) {
    if s.write_all(head).await.is_err() {
        return;
    }
    let chunk = unit.repeat((16 * 1024 / unit.len()).max(1));
    let mut sent = 0;
    while sent < total {
        let w = tokio::time::timeout(Duration::from_secs(10), s.write_all(&chunk)).await;
        if !matches!(w, Ok(Ok(()))) {
            return;
        }
        sent += chunk.len();
    }
    drain(&mut s).await;
}

/// Runs one real `openssl s_client` against `addr`, writes `stdin` to it (it sends that once
/// the handshake is done; `None`: it sends nothing and keeps stdin open), and waits for it to
/// end (at most 10 s: a bound on a broken server, which the report check then names).
async fn s_client(addr: SocketAddr, stdin: Option<Vec<u8>>) {
    let mut child = match Command::new("openssl")
        .args([
            "s_client",
            "-quiet",
            "-connect",
            &addr.to_string(),
            "-tls1_2",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("openssl s_client: {e}"),
    };
    let mut input = child.stdin.take();
    if let (Some(w), Some(bytes)) = (input.as_mut(), stdin) {
        let _ = w.write_all(&bytes).await;
    }
    // Silence keeps stdin open; the server's deadline ends the connection.
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    drop(input);
}

/// Acts out `b` against `addr`; returns the client's own address when it is a socket of ours
/// (a real client's is not known: its report is matched by its request line or by being the
/// one left).
async fn act(b: Behaviour, addr: SocketAddr) -> Option<SocketAddr> {
    if matches!(b, EndlessRequestHead | HandshakeThenSilence) {
        let stdin = (b == EndlessRequestHead).then(|| {
            let mut v = b"GET /endless HTTP/1.1\r\nHost: localhost\r\n".to_vec();
            v.extend(b"X-Filler: ".repeat(100_000));
            v
        });
        s_client(addr, stdin).await;
        return None;
    }
    let mut s = TcpStream::connect(addr)
        .await
        .expect("connect to the capture server");
    let local = s.local_addr().ok();
    let h = hello_record();
    match b {
        CloseAtOnce => drop(s),
        Silence => drain(&mut s).await,
        PlainHttp => write_then_wait(s, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await,
        Garbage => write_then_wait(s, b"\x00\x01\x02garbage").await,
        RecordClaims64K => write_then_wait(s, &[22, 3, 1, 0xff, 0xff, 1, 0, 0]).await,
        HandshakeClaims16M => {
            write_then_wait(
                s,
                &record(22, &[&[1, 0xff, 0xff, 0xff][..], &[0; 100]].concat()),
            )
            .await
        }
        ZeroLengthRecords => flood(s, &[], &[22, 3, 1, 0, 0], 1 << 20).await,
        Slowloris => {
            for byte in h {
                if s.write_all(&[byte]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        TruncatedThenClose => {
            let _ = s.write_all(&h[..40]).await;
            let _ = s.shutdown().await;
            drain(&mut s).await;
        }
        TruncatedThenReset => {
            let _ = s.write_all(&h[..40]).await;
            // Let the bytes arrive before the reset.
            tokio::time::sleep(Duration::from_millis(200)).await;
            #[allow(deprecated)]
            let _ = s.set_linger(Some(Duration::ZERO));
            drop(s);
        }
        AlertFirst => write_then_wait(s, &record(21, &[2, 40])).await,
        CcsFirst => write_then_wait(s, &record(20, &[1])).await,
        ApplicationDataFirst => write_then_wait(s, &record(23, &[0x17; 64])).await,
        ServerHelloInstead => {
            let mut sh = vec![2, 0, 0, 38, 3, 3];
            sh.extend([7; 32]);
            sh.extend([0, 0xc0, 0x2f, 0]);
            write_then_wait(s, &record(22, &sh)).await
        }
        Sslv2Overflow => {
            // CLIENT-HELLO: type 1, version 0x0301, cipher specs length 0xfff0, session id
            // length 0, challenge length 16; then 3 bytes of cipher specs.
            let body = [1, 3, 1, 0xff, 0xf0, 0, 0, 0, 16, 0, 0, 0x2f];
            write_then_wait(s, &[&[0x80, body.len() as u8][..], &body].concat()).await
        }
        TruncatedExtensions => {
            let mut m = hello(0, vec![]);
            // The extensions block's length is the two bytes after the compression methods:
            // ask for 100 more than there are.
            let at = 4 + 2 + 32 + 1 + 2 + 4 + 2;
            let len = u16::from_be_bytes([m[at], m[at + 1]]) + 100;
            m[at..at + 2].copy_from_slice(&len.to_be_bytes());
            write_then_wait(s, &record(22, &m)).await
        }
        DuplicateExtensions => {
            let sni = Extension::new(ExtensionType::SERVER_NAME, &ServerNameList::host("x"));
            write_then_wait(s, &record(22, &hello(0, vec![sni]))).await
        }
        OversizedHello => write_then_wait(s, &record(22, &hello(70_000, vec![]))).await,
        RecordVersionFfff => {
            let mut r = h;
            r[1] = 0xff;
            r[2] = 0xff;
            write_then_wait(s, &r).await
        }
        RandomFlood => {
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(13);
            let mut chunk = vec![0u8; 64 * 1024];
            rand::RngCore::fill_bytes(&mut rng, &mut chunk);
            flood(s, &[], &chunk, 10 << 20).await
        }
        OneByteRecords => {
            let m = hello(0, vec![]);
            let split: Vec<u8> = m.iter().flat_map(|b| record(22, &[*b])).collect();
            // Write the hello, then close our side: the handshake cannot go on.
            let _ = s.write_all(&split).await;
            drain(&mut s).await;
        }
        HelloThenSilence => write_then_wait(s, &h).await,
        HelloThenClose => {
            let _ = s.write_all(&h).await;
            let mut buf = [0u8; 1];
            let _ = s.read(&mut buf).await;
            let _ = s.shutdown().await;
            drain(&mut s).await;
        }
        HelloThenReset => {
            let _ = s.write_all(&h).await;
            let mut buf = [0u8; 1];
            let _ = s.read(&mut buf).await;
            #[allow(deprecated)]
            let _ = s.set_linger(Some(Duration::ZERO));
            drop(s);
        }
        HelloThenGarbage => {
            let _ = s.write_all(&h).await;
            let mut buf = [0u8; 1];
            let _ = s.read(&mut buf).await;
            write_then_wait(s, &[0x42; 64]).await
        }
        EndlessRequestHead | HandshakeThenSilence => unreachable!("handled above"),
    }
    local
}

fn mismatch(r: &ClientReport, expect: &Expect) -> Option<String> {
    use Expect::*;
    let handshake = r.handshake.as_ref();
    let ok = match expect {
        Capture(text) => r.hello.is_none() && r.error.as_deref() == Some(*text),
        CapturePrefix(text) => {
            r.hello.is_none() && r.error.as_deref().is_some_and(|e| e.starts_with(text))
        }
        Handshake(text) => {
            r.hello.is_some()
                && handshake.is_some_and(|h| !h.completed && h.error.as_deref() == Some(*text))
        }
        Completed(line) => {
            r.hello.is_some()
                && handshake.is_some_and(|h| {
                    h.completed && h.error.is_none() && h.http_request.as_deref() == *line
                })
        }
    };
    (!ok).then(|| {
        format!(
            "error {:?}, hello {}, handshake {:?}",
            r.error,
            r.hello.is_some(),
            handshake.map(|h| (h.completed, &h.error, &h.http_request))
        )
    })
}

async fn capture_server(
    limits: CaptureLimits,
) -> (SocketAddr, tokio::sync::mpsc::Receiver<ClientReport>) {
    let opts = ServerOptions {
        profile: ServerProfile::multisafepay(),
        limits,
        certs: Certs::generate().expect("a test certificate"),
    };
    let server = CaptureServer::bind(([127, 0, 0, 1], 0).into(), opts)
        .await
        .expect("bind the capture server");
    let addr = server.local_addr().expect("a local address");
    (addr, server.spawn())
}

async fn reports(
    rx: &mut tokio::sync::mpsc::Receiver<ClientReport>,
    n: usize,
) -> Vec<ClientReport> {
    let mut out = Vec::new();
    while out.len() < n {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(r)) => out.push(r),
            _ => panic!("{} of {n} reports arrived: {out:#?}", out.len()),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_clients_get_the_exact_report_each_deserves() {
    if !require("openssl") {
        return;
    }
    let (addr, mut rx) = capture_server(LIMITS).await;
    let cases = table();
    assert!(cases.len() >= 25, "{} behaviours", cases.len());
    let locals = futures::future::join_all(cases.iter().map(|(b, _)| act(*b, addr))).await;
    let mut by_peer: HashMap<String, ClientReport> = reports(&mut rx, cases.len())
        .await
        .into_iter()
        .map(|r| (r.peer.clone(), r))
        .collect();
    let mut failures = Vec::new();
    // Our own sockets first, by address; the real clients' reports are the ones left, told
    // apart by their request line.
    for ((b, expect), local) in cases.iter().zip(&locals) {
        let Some(local) = local else { continue };
        match by_peer.remove(&local.to_string()) {
            None => failures.push(format!("{b:?}: no report for {local}")),
            Some(r) => {
                if let Some(got) = mismatch(&r, expect) {
                    failures.push(format!("{b:?}: expected {expect:?}\n    got {got}"));
                }
            }
        }
    }
    let mut rest: Vec<ClientReport> = by_peer.into_values().collect();
    rest.sort_by_key(|r| {
        r.handshake
            .as_ref()
            .and_then(|h| h.http_request.clone())
            .is_none()
    });
    for ((b, expect), local) in cases.iter().zip(&locals) {
        if local.is_some() {
            continue;
        }
        let r = rest.remove(0);
        if let Some(got) = mismatch(&r, expect) {
            failures.push(format!("{b:?}: expected {expect:?}\n    got {got}"));
        }
    }
    crate::common::assert_no_failures(&failures, cases.len());
}

/// More silent connections than the server handles at once: each is reported as silent once
/// the deadline passes, and a real client that comes after them is still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_silent_connections_does_not_lock_out_a_real_client() {
    if !require("openssl") {
        return;
    }
    const FLOOD: usize = 300;
    let (addr, mut rx) = capture_server(LIMITS).await;
    let mut silent = Vec::new();
    for _ in 0..FLOOD {
        silent.push(TcpStream::connect(addr).await.expect("connect"));
    }
    let real = tokio::spawn(s_client(
        addr,
        Some(b"GET /after-the-flood HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
    ));
    let all = reports(&mut rx, FLOOD + 1).await;
    real.await.expect("s_client ran");
    drop(silent);
    let silent_reports = all
        .iter()
        .filter(|r| r.error.as_deref() == Some("the client connected but sent nothing within 2 s"))
        .count();
    assert_eq!(silent_reports, FLOOD);
    let served: Vec<&ClientReport> = all.iter().filter(|r| r.hello.is_some()).collect();
    assert_eq!(served.len(), 1, "{all:#?}");
    let h = served[0].handshake.as_ref().expect("a handshake");
    assert!(h.completed, "{h:?}");
    assert_eq!(
        h.http_request.as_deref(),
        Some("GET /after-the-flood HTTP/1.1")
    );
}
