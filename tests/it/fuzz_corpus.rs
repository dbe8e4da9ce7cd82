//! The fuzz corpus (`fuzz/corpus/<target>/`, checked in) replayed through the same entry points
//! the fuzz targets call (`tlsaudit::fuzzing`): no input may panic, and the seeds taken from
//! real servers and clients must still parse to what they are.

use std::path::{Path, PathBuf};

use tlsaudit::client::analysis::CapturedHello;
use tlsaudit::fuzzing::{self, TARGETS};
use tlsaudit::probe::engine::ProbeOutcome;
use tlsaudit::probe::tls12::Event;
use tlsaudit::wire::{CipherSuite, HandshakeMessage, ProtocolVersion};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// Every input of a target's corpus, by file name.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_has_a_corpus_and_no_input_panics() {
    for target in TARGETS {
        let inputs = corpus(target);
        assert!(
            inputs.len() >= 5,
            "{target}: only {} inputs in {}",
            inputs.len(),
            corpus_dir(target).display()
        );
        for (name, data) in &inputs {
            // A panic fails the test with the target and the input's name.
            let ran = std::panic::catch_unwind(|| fuzzing::run(target, data));
            assert_eq!(ran.ok(), Some(true), "{target}/{name} panicked");
        }
    }
    // And no stray folder without a target.
    let dirs: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    for d in &dirs {
        assert!(
            TARGETS.contains(&d.as_str()),
            "fuzz/corpus/{d} has no target"
        );
    }
}

/// How many inputs of `target`'s corpus satisfy `good`.
fn count(target: &str, good: impl Fn(&[u8]) -> bool) -> usize {
    corpus(target).iter().filter(|(_, d)| good(d)).count()
}

#[test]
fn the_corpus_still_holds_inputs_that_parse() {
    // Whole TLS 1.2 flights from s_server (certificates and a ServerHelloDone).
    let complete_flights = count("records", |d| {
        matches!(fuzzing::records(d), Some(ProbeOutcome::ServerHello(f))
            if f.complete && f.certificates.as_ref().is_some_and(|c| !c.is_empty()))
    });
    assert!(complete_flights >= 3, "{complete_flights}");
    // Knot DNS's answers with HTTPS records, and ECHConfigLists that decode.
    let dns_answers = count("dns_ech", |d| {
        d.first() == Some(&0) && fuzzing::dns_ech(d).is_ok_and(|n| n > 0)
    });
    assert!(dns_answers >= 3, "{dns_answers}");
    let ech_lists = count("dns_ech", |d| {
        d.first() == Some(&1) && fuzzing::dns_ech(d).is_ok()
    });
    assert!(ech_lists >= 2, "{ech_lists}");
    // Knot DNS's answers with TLSA, TXT and A records (the SMTP policy checks), and a policy.
    let mail_answers = count("dns_ech", |d| {
        d.first() == Some(&4) && fuzzing::dns_ech(d).is_ok_and(|n| n > 0)
    });
    assert!(mail_answers >= 3, "{mail_answers}");
    let policies = count("dns_ech", |d| {
        d.first() == Some(&5) && fuzzing::dns_ech(d).is_ok_and(|n| n == 1)
    });
    assert!(policies >= 1, "{policies}");
    let server_hellos = count("handshake", |d| {
        matches!(fuzzing::handshake(d), Ok(HandshakeMessage::ServerHello(_)))
    });
    assert!(server_hellos >= 3, "{server_hellos}");
    assert!(count("sslv2", |d| fuzzing::sslv2(d).is_ok()) >= 1);
    let certificates = count("x509", |d| {
        fuzzing::x509(d)
            .certificates
            .first()
            .is_some_and(|c| c.parse_error.is_none() && !c.subject.is_empty())
    });
    assert!(certificates >= 3, "{certificates}");
    let statuses = count("ocsp", |d| fuzzing::ocsp(d).cert_status.is_some());
    assert!(statuses >= 2, "{statuses}");
    let preambles = count("starttls", |d| fuzzing::starttls(d).is_ok());
    assert!(preambles >= 5, "{preambles}");
    let hellos = count("client_hello", |d| fuzzing::client_hello(d).is_ok());
    assert!(hellos >= 10, "{hellos}");
    let flights_done = count("tls12_client", |d| {
        fuzzing::tls12_client(d).is_ok_and(|e| e.contains(&Event::ServerHelloDone))
    });
    assert!(flights_done >= 3, "{flights_done}");
    // RFC 9001 appendix A.3's server Initial, read as that RFC's client.
    let quic_hellos = count("quic", |d| {
        matches!(fuzzing::quic(d), ProbeOutcome::ServerHello(f)
            if f.hello.cipher_suite == CipherSuite(0x1301))
    });
    assert!(quic_hellos >= 1, "{quic_hellos}");
}

/// curl 7.88's hello as captured in `data/clients/curl-7.88.toml`, through the capture target.
#[test]
fn a_captured_curl_hello_reads_as_it_was_sent() {
    let toml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/clients/curl-7.88.toml"),
    )
    .unwrap();
    let hex = toml
        .lines()
        .find_map(|l| l.strip_prefix("hellos = [\""))
        .and_then(|l| l.split('"').next())
        .unwrap();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let captured = fuzzing::client_hello(&bytes).unwrap();
    assert_eq!((captured.length, captured.records), (bytes.len() - 5, 1));
    assert_eq!(captured.record_version, Some(ProtocolVersion::TLS10));
    let CapturedHello::Tls(hello) = &captured.hello else {
        panic!("{:?}", captured.hello)
    };
    assert_eq!(hello.cipher_suites.len(), 31);
    assert_eq!(hello.cipher_suites[0], CipherSuite(0x1302));
    let offer = captured.hello.offer();
    assert_eq!(
        offer.versions,
        vec![
            ProtocolVersion::TLS13,
            ProtocolVersion::TLS12,
            ProtocolVersion::TLS11,
            ProtocolVersion::TLS10
        ]
    );
    // The same bytes cut short are a truncated hello, not a panic and not a hello.
    let e = fuzzing::client_hello(&bytes[..bytes.len() - 1]).unwrap_err();
    assert!(e.contains("truncated"), "{e}");
}
