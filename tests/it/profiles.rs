//! Client profiles from real clients: `tlsaudit client --exec … --save-profile FILE` captures
//! `openssl s_client` and `curl`, and the profile must load, say what the capture report says,
//! give back the captured bytes when replayed with the captured name, and, with another name
//! or none, still be a hello a real server (`openssl s_server`) answers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use fixtures::servers::{self, KeyType};
use tlsaudit::client::report::ClientReport;
use tlsaudit::client::ExecReport;
use tlsaudit::simulate::profile::{decode_hex, ClientProfile, RecordedHello, Source};
use tlsaudit::wire::{
    CipherSuite, ContentType, Deframer, ExtensionType, Frame, HandshakeJoiner, HandshakeMessage,
    NamedGroup, ProtocolVersion, ServerHello, ServerNameList,
};

use crate::common::require;

struct Saved {
    profile: ClientProfile,
    /// The capture report of the same run.
    client: ClientReport,
    stderr: String,
}

/// `tlsaudit client --exec COMMAND --save-profile FILE` with `extra` flags.
fn save(command: &str, extra: &[&str]) -> Saved {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["client", "--format", "json", "--timeout", "20"])
        .args(["--exec", command, "--save-profile"])
        .arg(&path)
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("tlsaudit runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: ExecReport = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not an exec report ({e}): {stdout}\nstderr: {stderr}"));
    let profile = ClientProfile::load(&path).unwrap_or_else(|e| panic!("{e}\nstderr: {stderr}"));
    let client = report
        .clients
        .into_iter()
        .find(|c| c.hello.is_some())
        .expect("a hello was captured");
    Saved {
        profile,
        client,
        stderr,
    }
}

/// The report's suites as code points, without GREASE and signalling values (as
/// `ClientCapabilities` lists them).
fn report_suites(c: &ClientReport) -> Vec<CipherSuite> {
    c.hello
        .as_ref()
        .unwrap()
        .cipher_suites
        .iter()
        .map(|s| CipherSuite(u16::from_str_radix(s.id.trim_start_matches("0x"), 16).unwrap()))
        .filter(|s| !s.is_grease() && !s.is_signalling())
        .collect()
}

fn sni_of(bytes: &[u8]) -> Option<String> {
    let rec = RecordedHello::read(bytes).unwrap();
    let tlsaudit::client::analysis::CapturedHello::Tls(h) = rec.hello else {
        panic!("not a TLS hello")
    };
    h.extension(ExtensionType::SERVER_NAME)
        .map(|e| e.parse::<ServerNameList>().unwrap().host_name().unwrap())
}

/// Sends `hello` to `port` and reads the ServerHello (or HelloRetryRequest) back.
fn replay(port: u16, hello: &[u8]) -> ServerHello {
    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    sock.write_all(hello).unwrap();
    let mut deframer = Deframer::default();
    let mut joiner = HandshakeJoiner::new(1 << 16);
    let mut buf = [0u8; 4096];
    loop {
        while let Some(frame) = deframer.pop().unwrap() {
            let Frame::Record {
                content_type,
                payload,
                ..
            } = frame
            else {
                panic!("an SSLv2 answer")
            };
            assert_eq!(
                content_type,
                ContentType::HANDSHAKE,
                "the server answered {payload:02x?}"
            );
            joiner.push(&payload);
            if let Some((HandshakeMessage::ServerHello(sh), _)) = joiner.pop().unwrap() {
                return sh;
            }
        }
        let n = sock.read(&mut buf).unwrap();
        assert!(n > 0, "the server closed without a ServerHello");
        deframer.push(&buf[..n]);
    }
}

/// Checks what every captured profile must do, against the capture report of the same run
/// and a real `openssl s_server`.
fn check_round_trip(saved: &Saved, id: &str, captured_sni: &str) {
    let p = &saved.profile;
    assert_eq!((p.id.as_str(), p.source), (id, Source::Captured));
    assert_eq!(p.hellos.len(), 1, "{}", saved.stderr);
    let caps = p.capabilities().unwrap();
    let facts = saved.client.hello.as_ref().unwrap();
    assert_eq!(caps.cipher_suites, report_suites(&saved.client));
    assert_eq!(caps.alpn, facts.alpn);
    assert_eq!(caps.sni, facts.sni.is_some());
    assert_eq!(caps.key_share_groups.len(), facts.key_shares.len());
    // Replayed with the captured name: the captured bytes, byte for byte.
    let captured = decode_hex(&p.hellos[0]).unwrap();
    assert_eq!(sni_of(&captured).as_deref(), Some(captured_sni));
    assert_eq!(p.hello_bytes(Some(captured_sni)).unwrap(), vec![captured]);
    // Another name, or none: a hello a real server answers, TLS 1.3 with a suite we offered.
    if !require("openssl") {
        return;
    }
    let cert = servers::self_signed(KeyType::EcdsaP256).unwrap();
    let server = servers::openssl_s_server("profiles", &cert, &[]).unwrap();
    for sni in [Some("www.example.com"), None] {
        let bytes = p.hello_bytes(sni).unwrap().remove(0);
        assert_eq!(sni_of(&bytes).as_deref(), sni);
        let sh = replay(server.port(), &bytes);
        assert_eq!(sh.negotiated_version(), ProtocolVersion::TLS13, "{sni:?}");
        assert!(caps.cipher_suites.contains(&sh.cipher_suite), "{sni:?}");
        let group = sh.key_share_group().unwrap_or(NamedGroup(0));
        assert!(caps.groups.contains(&group), "{group}");
    }
}

#[test]
fn openssl_s_client_is_saved_as_a_profile_and_round_trips() {
    if !require("openssl") {
        return;
    }
    let saved = save(
        "openssl s_client -connect {host}:{port} -servername tlsaudit.test",
        &[
            "--profile-id",
            "openssl-3.0",
            "--profile-name",
            "openssl s_client",
            "--profile-library",
            "OpenSSL 3.0",
        ],
    );
    check_round_trip(&saved, "openssl-3.0", "tlsaudit.test");
    let p = &saved.profile;
    assert_eq!(
        (p.name.as_str(), p.family.as_str(), p.version.as_str()),
        ("openssl s_client", "openssl-s_client", "unknown")
    );
    assert_eq!(
        p.capture.as_deref(),
        Some("tlsaudit client --exec 'openssl s_client -connect {host}:{port} -servername tlsaudit.test'")
    );
    let caps = p.capabilities().unwrap();
    assert_eq!(caps.versions[0], ProtocolVersion::TLS13);
    assert!(caps.versions_listed && caps.secure_renegotiation && caps.extended_master_secret);
    assert!(saved.stderr.contains("saved profile openssl-3.0 (1 hello)"));
}

#[test]
fn curl_is_saved_as_a_profile_and_round_trips() {
    if !require("curl") {
        return;
    }
    let saved = save("curl -sk https://localhost:{port}/", &[]);
    // Defaults from the command.
    let p = &saved.profile;
    assert_eq!(
        (p.id.as_str(), p.name.as_str(), p.family.as_str()),
        ("curl", "curl", "curl")
    );
    assert!(p.captured_at.is_some() && !p.platform.is_empty());
    check_round_trip(&saved, "curl", "localhost");
    assert_eq!(p.capabilities().unwrap().alpn, ["h2", "http/1.1"]);
}

#[test]
fn a_client_pointed_at_an_address_is_saved_with_a_warning() {
    if !require("curl") {
        return;
    }
    let saved = save("curl -sk {url}", &["--profile-id", "curl-ip"]);
    assert!(!saved.profile.capabilities().unwrap().sni);
    assert!(saved.stderr.contains("carries no SNI"), "{}", saved.stderr);
}

#[test]
fn nothing_is_saved_when_no_client_connects_and_profile_flags_need_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args([
            "client",
            "--timeout",
            "2",
            "--exec",
            "true",
            "--save-profile",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(!Path::new(&path).exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no profile written"));
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["client", "--exec", "true", "--profile-id", "x-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--save-profile"));
}

#[test]
fn every_declared_hello_with_tls12_gets_a_server_hello_from_s_server() {
    if !require("openssl") {
        return;
    }
    let cert = servers::self_signed(KeyType::EcdsaP256).unwrap();
    let server = servers::openssl_s_server("declared", &cert, &[]).unwrap();
    let profiles = tlsaudit::simulate::profile::select("declared").unwrap();
    assert!(profiles.len() >= 19, "{} declared profiles", profiles.len());
    for p in profiles {
        let caps = p.capabilities().unwrap();
        if !caps.versions.contains(&ProtocolVersion::TLS12) {
            continue;
        }
        let hello = p.hello_bytes(Some("localhost")).unwrap().remove(0);
        let sh = replay(server.port(), &hello);
        let want = if caps.versions.contains(&ProtocolVersion::TLS13) {
            ProtocolVersion::TLS13
        } else {
            ProtocolVersion::TLS12
        };
        assert_eq!(sh.negotiated_version(), want, "{}", p.id);
        assert!(caps.cipher_suites.contains(&sh.cipher_suite), "{}", p.id);
    }
}

#[test]
fn every_built_in_capture_replayed_with_another_name_gets_tls13_from_s_server() {
    if !require("openssl") {
        return;
    }
    let cert = servers::self_signed(KeyType::EcdsaP256).unwrap();
    let server = servers::openssl_s_server("captured", &cert, &[]).unwrap();
    for p in tlsaudit::simulate::profile::select("captured").unwrap() {
        let caps = p.capabilities().unwrap();
        let hello = p.hello_bytes(Some("www.example.com")).unwrap().remove(0);
        assert_eq!(
            sni_of(&hello).as_deref(),
            Some("www.example.com"),
            "{}",
            p.id
        );
        let sh = replay(server.port(), &hello);
        assert_eq!(sh.negotiated_version(), ProtocolVersion::TLS13, "{}", p.id);
        assert!(caps.cipher_suites.contains(&sh.cipher_suite), "{}", p.id);
    }
}
