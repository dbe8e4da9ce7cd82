//! Scans over QUIC (`--quic`) against aioquic's real QUIC server (PyPI `aioquic`, its own
//! `aioquic.asyncio.serve`) started on UDP loopback with known suites, groups and versions:
//! the scan's suites and groups equal the configuration, the versions, ALPN and transport
//! parameters are read, and the handshakes are counted. Hostile UDP peers (scripted: garbage
//! answers, silence, a closed port) end in clear errors within the timeout.

use std::net::UdpSocket;
use std::time::Duration;

use fixtures::servers::{aioquic_server, self_signed, AioquicConfig, KeyType};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::{ErrorReason, SectionStatus, Stage, TlsVersion, Transport};
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::report::TargetReport;

use crate::common::{ids, require_python_module, scan_with, suites, tlsaudit_output};

fn quic_options() -> ScanOptions {
    ScanOptions {
        sni: Some("localhost".into()),
        versions: vec![TlsVersion::Tls13],
        stages: [Stage::Versions, Stage::Suites, Stage::Groups]
            .into_iter()
            .collect(),
        quic: true,
        ..Default::default()
    }
}

async fn scan_quic(target: &str, read_timeout: Duration) -> TargetReport {
    let cfg = EngineConfig {
        read_timeout,
        ..EngineConfig::default()
    };
    scan_with(target, cfg, quic_options()).await.0
}

fn groups(r: &TargetReport) -> Vec<String> {
    r.groups
        .as_ref()
        .and_then(|g| g.versions.iter().find(|v| v.version == TlsVersion::Tls13))
        .map(|v| v.groups.iter().map(|g| g.name.clone()).collect())
        .unwrap_or_default()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn param<'a>(r: &'a TargetReport, name: &str) -> Option<&'a str> {
    r.quic
        .as_ref()?
        .transport_parameters
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.value.as_str())
}

/// The handshakes a full QUIC scan takes: v1, v2 and a reserved version; |suites| + 1 and
/// |groups| + 1 eliminations, one preference probe each when two or more were accepted; one
/// handshake for ALPN and transport parameters.
fn expected_handshakes(suites: usize, groups: usize) -> u64 {
    let pref = |n: usize| u64::from(n >= 2);
    3 + (suites as u64 + 1) + pref(suites) + (groups as u64 + 1) + pref(groups) + 1
}

#[tokio::test]
async fn quic_scan_of_aioquic_equals_its_configuration_v1_and_v2() {
    if !require_python_module("aioquic") {
        return;
    }
    let cert = self_signed(KeyType::EcdsaP256).unwrap();
    let server = aioquic_server(
        "quic-two-suites",
        &cert,
        &AioquicConfig {
            suites: &["AES_256_GCM_SHA384", "CHACHA20_POLY1305_SHA256"],
            groups: &["SECP384R1", "X25519"],
            versions: &[0x0000_0001, 0x6b33_43cf],
            retry: false,
        },
    )
    .unwrap();
    let r = scan_quic(&server.target(), Duration::from_secs(3)).await;
    assert_eq!(r.error, None);
    assert_eq!(r.transport, Transport::Quic);
    // aioquic picks suites in its own order: the elimination reads it.
    assert_eq!(suites(&r, TlsVersion::Tls13), ids(&[0x1302, 0x1303]));
    assert_eq!(
        r.protocol(TlsVersion::Tls13).unwrap().server_preference,
        Some(true)
    );
    // aioquic takes the first key share it supports, so the order is ours: compare as sets.
    assert_eq!(
        sorted(groups(&r)),
        vec!["secp384r1".to_string(), "x25519".into()]
    );
    let q = r.quic.as_ref().unwrap();
    assert_eq!(q.status, SectionStatus::Completed, "{:?}", q.error);
    let accepted: Vec<(&str, bool)> = q
        .versions
        .iter()
        .map(|v| (v.id.as_str(), v.accepted))
        .collect();
    assert_eq!(accepted, vec![("0x00000001", true), ("0x6b3343cf", true)]);
    assert_eq!(
        q.versions_offered.as_deref(),
        Some(&["0x00000001".to_string(), "0x6b3343cf".to_string()][..])
    );
    assert_eq!(q.scanned_version.as_deref(), Some("0x00000001"));
    assert_eq!(q.alpn.as_deref(), Some("h3"));
    // aioquic's defaults (QuicConfiguration: idle_timeout 60 s, max_data 1 MiB).
    assert_eq!(param(&r, "max_idle_timeout"), Some("60000"));
    assert_eq!(param(&r, "initial_max_data"), Some("1048576"));
    assert!(param(&r, "initial_source_connection_id").is_some_and(|v| !v.is_empty()));
    assert_eq!(
        param(&r, "version_information"),
        Some("chosen QUIC v1; available QUIC v1, QUIC v2")
    );
    assert_eq!(r.connections, expected_handshakes(2, 2));
}

#[tokio::test]
async fn quic_scan_of_a_v1_only_server_with_retry_equals_its_configuration() {
    if !require_python_module("aioquic") {
        return;
    }
    let cert = self_signed(KeyType::EcdsaP256).unwrap();
    let server = aioquic_server(
        "quic-one-suite-retry",
        &cert,
        &AioquicConfig {
            suites: &["AES_128_GCM_SHA256"],
            groups: &["SECP256R1"],
            versions: &[0x0000_0001],
            retry: true,
        },
    )
    .unwrap();
    let r = scan_quic(&server.target(), Duration::from_secs(3)).await;
    assert_eq!(r.error, None);
    assert_eq!(suites(&r, TlsVersion::Tls13), ids(&[0x1301]));
    assert_eq!(groups(&r), vec!["secp256r1".to_string()]);
    let q = r.quic.as_ref().unwrap();
    let accepted: Vec<(&str, bool)> = q
        .versions
        .iter()
        .map(|v| (v.id.as_str(), v.accepted))
        .collect();
    assert_eq!(accepted, vec![("0x00000001", true), ("0x6b3343cf", false)]);
    assert!(
        q.versions[1].evidence.contains("does not speak QUIC v2"),
        "{}",
        q.versions[1].evidence
    );
    assert_eq!(
        q.versions_offered.as_deref(),
        Some(&["0x00000001".to_string()][..])
    );
    assert_eq!(q.alpn.as_deref(), Some("h3"));
    // The server asked for address validation: our Initial came again with its token.
    assert!(param(&r, "retry_source_connection_id").is_some());
    assert_eq!(r.connections, expected_handshakes(1, 1));
}

#[test]
fn cli_reports_transport_quic_in_json_and_text() {
    if !require_python_module("aioquic") {
        return;
    }
    let cert = self_signed(KeyType::EcdsaP256).unwrap();
    let server = aioquic_server(
        "quic-cli",
        &cert,
        &AioquicConfig {
            suites: &["AES_128_GCM_SHA256"],
            groups: &["X25519"],
            versions: &[0x0000_0001],
            retry: false,
        },
    )
    .unwrap();
    let target = server.target();
    let base = [
        "scan",
        "--quic",
        target.as_str(),
        "--sni",
        "localhost",
        "--timeout",
        "3",
    ];
    let (_, json, err) = tlsaudit_output(&[&base[..], &["-f", "json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {err}"));
    let t = &v["targets"][0];
    assert_eq!(t["transport"], "quic");
    assert_eq!(t["quic"]["alpn"], "h3");
    assert_eq!(t["certificates"], serde_json::Value::Null);
    let (_, text, _) = tlsaudit_output(&base);
    assert!(text.contains(" over QUIC "), "{text}");
    assert!(text.contains("ALPN         h3"), "{text}");
    assert!(text.contains("QUIC v1 accepted"), "{text}");
    let (_, html, _) = tlsaudit_output(&[&base[..], &["-f", "html"]].concat());
    assert!(
        html.contains("<span class=\"meta\">over QUIC</span>"),
        "{html}"
    );
    assert!(html.contains("<h3>QUIC</h3>"), "{html}");
    assert!(html.contains("<tr><th>ALPN</th><td>h3</td></tr>"), "{html}");
}

/// A scripted UDP peer on loopback: answers every datagram with `answer` (never when None).
fn udp_peer(answer: Option<&'static [u8]>) -> (UdpSocket, String) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = socket.local_addr().unwrap().to_string();
    let peer = socket.try_clone().unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((_, from)) = peer.recv_from(&mut buf) {
            if let Some(a) = answer {
                let _ = peer.send_to(a, from);
            }
        }
    });
    (socket, target)
}

#[tokio::test]
async fn a_udp_port_that_answers_garbage_is_no_quic_server() {
    let (_peer, target) = udp_peer(Some(b"HTTP/1.1 400 Bad Request\r\n\r\n"));
    let r = scan_quic(&target, Duration::from_secs(2)).await;
    let e = r.error.as_deref().unwrap_or_default();
    assert!(e.contains("no QUIC server answers"), "{e}");
    assert!(e.contains("not a QUIC long-header packet"), "{e}");
    assert_eq!(r.error_reason, Some(ErrorReason::ConnectError));
    assert_eq!(r.quic.as_ref().unwrap().status, SectionStatus::Error);
}

#[tokio::test]
async fn a_silent_udp_port_is_silent_after_one_timeout() {
    let (_peer, target) = udp_peer(None);
    let r = scan_quic(&target, Duration::from_millis(1500)).await;
    assert_eq!(r.error_reason, Some(ErrorReason::Silent), "{:?}", r.error);
    assert!(r
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("no answer to QUIC Initial"));
    // One handshake waited out the timeout; none after it.
    assert_eq!(r.connections, 1);
}

#[tokio::test]
async fn a_closed_udp_port_is_refused() {
    // Bound and dropped: nothing listens, and the kernel answers ICMP port unreachable.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = scan_quic(&format!("127.0.0.1:{port}"), Duration::from_secs(2)).await;
    assert_eq!(
        r.error_reason,
        Some(ErrorReason::ConnectionRefused),
        "{:?}",
        r.error
    );
    assert!(r
        .error
        .as_deref()
        .unwrap_or_default()
        .contains("UDP port unreachable"));
}
