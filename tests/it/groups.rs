//! Key-exchange groups, signature schemes and features against real servers with known
//! settings (`openssl s_server`, `gnutls-serv`); post-quantum groups, which the local OpenSSL
//! 3.0 does not know, against a scripted server that answers HelloRetryRequests from a fixed
//! list. Each test asserts the exact facts its configuration implies.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use fixtures::servers::{gnutls_serv_with, openssl_s_server, self_signed, KeyType};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::TlsVersion::{self, *};
use tlsaudit::facts::{Answer, Stage};
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::report::TargetReport;
use tlsaudit::wire::{
    encode_records, Codec, ContentType, Deframer, Extension, ExtensionType, Frame, HandshakeJoiner,
    HandshakeMessage, KeyShareClientHello, KeyShareEntry, NamedGroup, NamedGroupList,
    ProtocolVersion, ServerHello, HRR_RANDOM,
};

use crate::common::{dhparam, require, scan_with};

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

async fn scan_only(target: &str, stages: &[Stage]) -> TargetReport {
    scan_with(target, EngineConfig::default(), opts(stages))
        .await
        .0
}

/// Group names of `v`, in reported order.
fn groups(r: &TargetReport, v: TlsVersion) -> Vec<String> {
    r.groups
        .as_ref()
        .and_then(|g| g.versions.iter().find(|x| x.version == v))
        .map(|x| x.groups.iter().map(|g| g.name.clone()).collect())
        .unwrap_or_default()
}

fn group_pref(r: &TargetReport, v: TlsVersion) -> Option<bool> {
    r.groups
        .as_ref()
        .and_then(|g| g.versions.iter().find(|x| x.version == v))
        .and_then(|x| x.server_preference)
}

/// (scheme name, certificate key) of `v`, in reported order.
fn sigs(r: &TargetReport, v: TlsVersion) -> Vec<(String, String)> {
    r.signature_schemes
        .as_ref()
        .and_then(|s| s.versions.iter().find(|x| x.version == v))
        .map(|x| {
            x.schemes
                .iter()
                .map(|s| {
                    (
                        s.name.clone(),
                        s.certificate_key.clone().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Connections the groups stage alone costs: the same scan with and without it.
async fn groups_cost(target: &str) -> u64 {
    let with = scan_only(target, &[Stage::Groups]).await.connections;
    let without = scan_only(target, &[]).await.connections;
    with - without
}

#[tokio::test]
async fn tls13_groups_in_server_order_cost_accepted_plus_two() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "groups13",
        &cert,
        &["-tls1_3", "-groups", "X448:P-384:X25519", "-serverpref"],
    )
    .unwrap();
    let r = scan_only(&s.target(), &[Stage::Groups]).await;
    assert_eq!(groups(&r, Tls13), strings(&["x448", "secp384r1", "x25519"]));
    assert_eq!(group_pref(&r, Tls13), Some(true));
    let g = r.groups.as_ref().unwrap();
    assert_eq!(g.versions.len(), 1, "TLS 1.3 only: no TLS 1.2 curves entry");
    assert_eq!(g.versions[0].evidence, "alert handshake_failure");
    // Elimination: 3 accepted + 1 refusal, plus 1 preference probe.
    assert_eq!(groups_cost(&s.target()).await, 3 + 1 + 1);
}

/// OpenSSL 3.0 picks the HelloRetryRequest group from its own list whether or not
/// `-serverpref` is set: the reversed probe shows it, so the order is reported as the server's.
#[tokio::test]
async fn openssl_tls13_hrr_group_is_in_server_order_even_without_serverpref() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "groups13c",
        &cert,
        &["-tls1_3", "-groups", "X25519:P-521:ffdhe3072"],
    )
    .unwrap();
    let r = scan_only(&s.target(), &[Stage::Groups]).await;
    assert_eq!(
        groups(&r, Tls13),
        strings(&["x25519", "secp521r1", "ffdhe3072"])
    );
    assert_eq!(group_pref(&r, Tls13), Some(true));
    let kinds: Vec<_> = r.groups.as_ref().unwrap().versions[0]
        .groups
        .iter()
        .map(|g| g.kind.as_str())
        .collect();
    assert_eq!(kinds, ["ecdhe", "ecdhe", "ffdhe"]);
}

#[tokio::test]
async fn tls12_curves_and_a_custom_1024_bit_dhe_prime() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let dh = dhparam(cert.dir.path(), "dh1024.pem", "dh_paramgen_prime_len:1024");
    let s = openssl_s_server(
        "curves12",
        &cert,
        &[
            "-tls1_2",
            "-groups",
            "P-521:P-256:X25519",
            "-serverpref",
            "-cipher",
            // Debian's default security level refuses a 1024-bit DH group.
            "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
            "-dhparam",
            &dh,
        ],
    )
    .unwrap();
    let r = scan_only(&s.target(), &[Stage::Groups]).await;
    assert_eq!(
        groups(&r, Tls12),
        strings(&["secp521r1", "secp256r1", "x25519"])
    );
    assert_eq!(group_pref(&r, Tls12), Some(true));
    let v = &r.groups.as_ref().unwrap().versions[0];
    let dhe = v.dhe.as_ref().expect("DHE group read");
    assert_eq!(dhe.prime_bits, 1024);
    assert_eq!(dhe.generator, "02");
    assert_eq!(dhe.known_group, None);
    assert_eq!(dhe.suite, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
    // 3 curves + 1 refusal + 1 preference probe + 1 DHE probe.
    assert_eq!(groups_cost(&s.target()).await, 3 + 1 + 1 + 1);
}

#[tokio::test]
async fn tls12_dhe_with_the_rfc7919_group_is_named() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let dh = dhparam(cert.dir.path(), "ffdhe2048.pem", "group:ffdhe2048");
    let s = openssl_s_server(
        "ffdhe",
        &cert,
        &[
            "-tls1_2",
            "-cipher",
            "DHE-RSA-AES256-GCM-SHA384",
            "-dhparam",
            &dh,
        ],
    )
    .unwrap();
    let r = scan_only(&s.target(), &[Stage::Groups]).await;
    let v = &r.groups.as_ref().unwrap().versions[0];
    assert_eq!(v.version, Tls12);
    assert!(v.groups.is_empty());
    assert_eq!(v.evidence, "no ECDHE suite accepted");
    let dhe = v.dhe.as_ref().unwrap();
    assert_eq!(
        (
            dhe.prime_bits,
            dhe.known_group.as_deref(),
            dhe.known_source.as_deref()
        ),
        (2048, Some("ffdhe2048"), Some("RFC7919"))
    );
}

/// A scripted TLS 1.3 server that, for each connection, answers a ClientHello with a
/// HelloRetryRequest naming the first group of `prefs` the client offered (server order), or a
/// handshake_failure alert when it offered none; anything that is not a TLS 1.3 hello gets
/// protocol_version. What no local server does: the post-quantum groups.
fn scripted_hrr_server(
    prefs: Vec<NamedGroup>,
    require_share: bool,
) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(false).unwrap();
    let handle = std::thread::spawn(move || {
        // Bounded: the scan opens a few dozen connections; then the thread ends.
        for stream in listener.incoming().take(200) {
            let Ok(mut stream) = stream else { break };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let reply = read_client_hello(&mut stream).map(|ch| answer(&ch, &prefs, require_share));
            if let Some(bytes) = reply {
                let _ = stream.write_all(&bytes);
            }
        }
    });
    (addr, handle)
}

fn read_client_hello(stream: &mut std::net::TcpStream) -> Option<tlsaudit::wire::ClientHello> {
    let mut deframer = Deframer::default();
    let mut joiner = HandshakeJoiner::new(1 << 16);
    let mut buf = [0u8; 4096];
    for _ in 0..64 {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        deframer.push(&buf[..n]);
        while let Ok(Some(frame)) = deframer.pop() {
            // An SSLv2 hello gets the connection closed.
            let Frame::Record { payload, .. } = frame else {
                return None;
            };
            joiner.push(&payload);
            if let Ok(Some((HandshakeMessage::ClientHello(ch), _))) = joiner.pop() {
                return Some(ch);
            }
        }
    }
    None
}

/// With `require_share`, an empty key_share gets the connection closed (as some servers do),
/// and a share for the server's favourite offered group is taken with a ServerHello.
fn answer(ch: &tlsaudit::wire::ClientHello, prefs: &[NamedGroup], require_share: bool) -> Vec<u8> {
    let alert = |d: u8| encode_records(ContentType::ALERT, ProtocolVersion::TLS12, &[2, d]);
    let tls13 = ch
        .extension(ExtensionType::SUPPORTED_VERSIONS)
        .is_some_and(|e| e.data.windows(2).any(|w| w == [3, 4]));
    if !tls13 {
        return alert(70);
    }
    if !ch
        .cipher_suites
        .contains(&tlsaudit::wire::CipherSuite(0x1301))
    {
        return alert(40);
    }
    let offered: NamedGroupList = ch
        .extension(ExtensionType::SUPPORTED_GROUPS)
        .and_then(|e| e.parse().ok())
        .unwrap_or_default();
    let shares: KeyShareClientHello = ch
        .extension(ExtensionType::KEY_SHARE)
        .and_then(|e| e.parse().ok())
        .unwrap_or_default();
    if require_share && shares.0.is_empty() {
        return Vec::new();
    }
    let Some(group) = prefs.iter().find(|g| offered.0.contains(g)) else {
        return alert(40);
    };
    let (random, key_share) = match shares.0.iter().find(|s| s.group == *group) {
        Some(share) => (
            [7u8; 32],
            Extension::new(
                ExtensionType::KEY_SHARE,
                &KeyShareEntry {
                    group: share.group,
                    key_exchange: vec![9; share.key_exchange.len()],
                },
            ),
        ),
        None => (HRR_RANDOM, Extension::new(ExtensionType::KEY_SHARE, group)),
    };
    let hrr = ServerHello {
        legacy_version: ProtocolVersion::TLS12,
        random,
        session_id: ch.session_id.clone(),
        cipher_suite: tlsaudit::wire::CipherSuite(0x1301),
        compression_method: 0,
        extensions: Some(vec![
            Extension::new(ExtensionType::SUPPORTED_VERSIONS, &ProtocolVersion::TLS13),
            key_share,
        ]),
    };
    encode_records(
        ContentType::HANDSHAKE,
        ProtocolVersion::TLS12,
        &HandshakeMessage::ServerHello(hrr).to_bytes(),
    )
}

#[tokio::test]
async fn post_quantum_hybrids_found_by_hello_retry_request() {
    let prefs = vec![
        NamedGroup::X25519MLKEM768,
        NamedGroup::SECP256R1MLKEM768,
        NamedGroup::MLKEM1024,
        NamedGroup::X25519,
    ];
    let (addr, _thread) = scripted_hrr_server(prefs, false);
    let r = scan_only(&addr.to_string(), &[Stage::Groups]).await;
    assert_eq!(
        groups(&r, Tls13),
        strings(&["X25519MLKEM768", "SecP256r1MLKEM768", "MLKEM1024", "x25519"])
    );
    assert_eq!(group_pref(&r, Tls13), Some(true));
    let v = &r.groups.as_ref().unwrap().versions[0];
    let pq: Vec<_> = v
        .groups
        .iter()
        .map(|g| (g.post_quantum, g.kind.as_str()))
        .collect();
    assert_eq!(
        pq,
        [
            (true, "post_quantum_hybrid"),
            (true, "post_quantum_hybrid"),
            (true, "post_quantum"),
            (false, "ecdhe")
        ]
    );
    assert_eq!(v.groups[0].id, "0x11ec");
}

#[tokio::test]
async fn signature_schemes_follow_sigalgs_per_version() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "sigalgs",
        &cert,
        &[
            "-min_protocol",
            "TLSv1.2",
            "-sigalgs",
            "RSA-PSS+SHA384:RSA+SHA256:RSA-PSS+SHA256",
        ],
    )
    .unwrap();
    let r = scan_only(&s.target(), &[Stage::Sigs]).await;
    let rsa = |n: &str| (n.to_string(), "RSA 2048".to_string());
    // TLS 1.2: the server follows our order (code points ascending) among its three.
    assert_eq!(
        sigs(&r, Tls12),
        vec![
            rsa("rsa_pkcs1_sha256"),
            rsa("rsa_pss_rsae_sha256"),
            rsa("rsa_pss_rsae_sha384")
        ]
    );
    // TLS 1.3 forbids PKCS#1 v1.5 in CertificateVerify (RFC 8446 section 4.2.3).
    assert_eq!(
        sigs(&r, Tls13),
        vec![rsa("rsa_pss_rsae_sha256"), rsa("rsa_pss_rsae_sha384")]
    );
    // Budget: (3 + 1) TLS 1.2 hellos and (2 + 1) TLS 1.3 handshakes.
    let without = scan_only(&s.target(), &[]).await.connections;
    assert_eq!(r.connections - without, (3 + 1) + (2 + 1));
}

#[tokio::test]
async fn dual_certificate_server_selects_the_key_by_scheme() {
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let ec = self_signed(KeyType::EcdsaP256).unwrap();
    let s = openssl_s_server(
        "dual",
        &rsa,
        &[
            "-tls1_2",
            "-sigalgs",
            "ECDSA+SHA256:RSA-PSS+SHA256",
            "-dcert",
            ec.cert.to_str().unwrap(),
            "-dkey",
            ec.key.to_str().unwrap(),
        ],
    )
    .unwrap();
    let r = scan_only(&s.target(), &[Stage::Sigs]).await;
    assert_eq!(
        sigs(&r, Tls12),
        vec![
            ("ecdsa_secp256r1_sha256".into(), "EC P-256".into()),
            ("rsa_pss_rsae_sha256".into(), "RSA 2048".into())
        ]
    );
}

fn fact(
    r: &TargetReport,
    pick: impl Fn(&tlsaudit::facts::FeaturesSection) -> &tlsaudit::facts::Fact,
) -> Answer {
    pick(r.features.as_ref().expect("features scanned")).answer
}

/// Writes a minimal DER OCSPResponse (status tryLater, no body): s_server staples it as is.
fn ocsp_file(dir: &std::path::Path) -> String {
    let path = dir.join("ocsp.der");
    std::fs::write(&path, [0x30, 0x03, 0x0a, 0x01, 0x03]).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn openssl_features_with_tickets_early_data_alpn_and_stapling() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let ocsp = ocsp_file(cert.dir.path());
    let s = openssl_s_server(
        "features",
        &cert,
        &[
            "-min_protocol",
            "TLSv1.2",
            "-num_tickets",
            "3",
            "-early_data",
            "-alpn",
            "h2,http/1.1",
            "-status_file",
            &ocsp,
            "-no_renegotiation",
        ],
    )
    .unwrap();
    let r = scan_only(&s.target(), &[Stage::Features]).await;
    let f = r.features.as_ref().unwrap();
    assert_eq!(f.legacy_version, Some(Tls12));
    assert_eq!(f.secure_renegotiation.answer, Answer::Yes);
    assert_eq!(f.fallback_scsv.answer, Answer::Yes);
    assert_eq!(f.compression.answer, Answer::No);
    assert_eq!(f.session_id_issued.answer, Answer::Yes);
    assert_eq!(f.session_id_resumption.answer, Answer::Yes);
    assert_eq!(f.session_ticket_advertised.answer, Answer::Yes);
    assert_eq!(f.session_ticket_resumption.answer, Answer::Yes);
    // OpenSSL's default ticket lifetime (SSL_CTX_set_timeout) is 7200 s.
    assert_eq!(f.session_ticket_lifetime_hint, Some(7200));
    assert_eq!(f.tls13_tickets_issued.answer, Answer::Yes);
    assert_eq!(f.tls13_ticket_count, Some(3));
    // Decrypted from the NewSessionTicket (TLS_AES_256_GCM_SHA384 here): OpenSSL's 7200 s.
    assert_eq!(f.tls13_ticket_lifetime, Some(7200));
    assert_eq!(f.tls13_psk_resumption.answer, Answer::Yes);
    assert_eq!(f.tls13_max_early_data, Some(16384));
    assert_eq!(f.early_data_accepted.answer, Answer::Yes);
    assert_eq!(f.alpn, strings(&["h2", "http/1.1"]));
    assert_eq!(f.ocsp_stapling.answer, Answer::Yes);
    assert_eq!(
        f.ocsp_stapling.evidence,
        "CertificateStatus with a 5-byte OCSP response"
    );
    assert_eq!(f.extended_master_secret.answer, Answer::Yes);
    assert_eq!(f.encrypt_then_mac.answer, Answer::Yes);
    assert_eq!(f.heartbeat.answer, Answer::No);
    assert_eq!(f.downgrade_sentinel.answer, Answer::Yes);
    assert_eq!(f.max_fragment_length.answer, Answer::Yes);
    assert_eq!(f.client_certificate_requested.answer, Answer::No);
}

#[tokio::test]
async fn openssl_without_tickets_or_early_data() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "noticket",
        &cert,
        &[
            "-tls1_2",
            "-no_ticket",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "-legacy_renegotiation",
        ],
    )
    .unwrap();
    let r = scan_only(&s.target(), &[Stage::Features]).await;
    let f = r.features.as_ref().unwrap();
    assert_eq!(f.secure_renegotiation.answer, Answer::Yes);
    assert_eq!(f.session_ticket_advertised.answer, Answer::No);
    assert_eq!(f.session_ticket_resumption.answer, Answer::No);
    assert_eq!(f.session_ticket_lifetime_hint, None);
    assert_eq!(f.session_id_resumption.answer, Answer::Yes);
    // Only TLS 1.2: nothing to fall back from, no sentinel, no TLS 1.3 facts.
    assert_eq!(f.fallback_scsv.answer, Answer::NotApplicable);
    assert_eq!(f.downgrade_sentinel.answer, Answer::NotApplicable);
    assert_eq!(f.tls13_tickets_issued.answer, Answer::NotApplicable);
    assert_eq!(f.early_data_accepted.answer, Answer::NotApplicable);
    // No CBC suite accepted: encrypt-then-MAC does not apply.
    assert_eq!(f.encrypt_then_mac.answer, Answer::NotApplicable);
    assert_eq!(f.ocsp_stapling.answer, Answer::No);
    assert!(f.alpn.is_empty());

    let s13 = openssl_s_server("notickets13", &cert, &["-tls1_3", "-num_tickets", "0"]).unwrap();
    let r = scan_only(&s13.target(), &[Stage::Features]).await;
    assert_eq!(fact(&r, |f| &f.tls13_tickets_issued), Answer::No);
    assert_eq!(fact(&r, |f| &f.tls13_psk_resumption), Answer::NotApplicable);
    assert_eq!(fact(&r, |f| &f.secure_renegotiation), Answer::NotApplicable);

    let s13 = openssl_s_server(
        "tickets13",
        &cert,
        &[
            "-tls1_3",
            "-num_tickets",
            "1",
            "-ciphersuites",
            "TLS_AES_128_GCM_SHA256",
        ],
    )
    .unwrap();
    let r = scan_only(&s13.target(), &[Stage::Features]).await;
    let f = r.features.as_ref().unwrap();
    assert_eq!(f.tls13_ticket_count, Some(1));
    assert_eq!(f.tls13_ticket_lifetime, Some(7200));
    assert_eq!(f.tls13_psk_resumption.answer, Answer::Yes);
    // Without -early_data the tickets allow none.
    assert_eq!(f.tls13_max_early_data, Some(0));
    assert_eq!(f.early_data_accepted.answer, Answer::No);
}

/// Makes a CA and writes its certificate; returns the path.
fn make_ca(dir: &std::path::Path) -> String {
    let ca = dir.join("ca.pem");
    let key = dir.join("ca.key");
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/O=Test Org/CN=Client CA",
        ])
        .args([
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&ca)
        .output()
        .unwrap();
    assert!(out.status.success());
    ca.to_string_lossy().into_owned()
}

#[tokio::test]
async fn client_certificate_request_lists_the_ca_names() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let ca = make_ca(cert.dir.path());
    let s = openssl_s_server(
        "verify",
        &cert,
        &["-min_protocol", "TLSv1.2", "-Verify", "1", "-CAfile", &ca],
    )
    .unwrap();
    let r = scan_only(&s.target(), &[Stage::Features]).await;
    let f = r.features.as_ref().unwrap();
    assert_eq!(f.client_certificate_requested.answer, Answer::Yes);
    assert_eq!(
        f.client_certificate_cas,
        strings(&["O=Test Org, CN=Client CA"])
    );

    // A TLS 1.3-only server asks in the encrypted handshake: the rustls handshake sees it.
    let s13 = openssl_s_server(
        "verify13",
        &cert,
        &["-tls1_3", "-Verify", "1", "-CAfile", &ca],
    )
    .unwrap();
    let r = scan_only(&s13.target(), &[Stage::Features]).await;
    let f = r.features.as_ref().unwrap();
    assert_eq!(f.client_certificate_requested.answer, Answer::Yes);
    assert_eq!(
        f.client_certificate_cas,
        strings(&["O=Test Org, CN=Client CA"])
    );
}

#[tokio::test]
async fn gnutls_heartbeat_and_unsafe_renegotiation() {
    if !require("gnutls-serv") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = gnutls_serv_with(
        "gnutls-heartbeat",
        &cert,
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:%DISABLE_SAFE_RENEGOTIATION",
        &["--heartbeat"],
    )
    .unwrap();
    let r = scan_only(&s.target(), &[Stage::Features]).await;
    let f = r.features.as_ref().unwrap();
    assert_eq!(f.heartbeat.answer, Answer::Yes);
    assert_eq!(f.secure_renegotiation.answer, Answer::No);
}

#[tokio::test]
async fn quick_skips_preference_probes_and_full_handshakes() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("quick", &cert, &["-tls1_3", "-groups", "X25519:P-256"]).unwrap();
    let mut o = opts(&[Stage::Groups, Stage::Sigs, Stage::Features]);
    o.quick = true;
    let (r, _) = scan_with(&s.target(), EngineConfig::default(), o).await;
    assert_eq!(group_pref(&r, Tls13), None);
    assert_eq!(groups(&r, Tls13).len(), 2);
    let s13 = &r.signature_schemes.as_ref().unwrap().versions[0];
    assert_eq!(s13.status, tlsaudit::facts::SectionStatus::NotScheduled);
    assert_eq!(fact(&r, |f| &f.tls13_psk_resumption), Answer::NotDetermined);
    // --only without groups leaves the section out.
    let r = scan_only(&s.target(), &[Stage::Sigs]).await;
    assert!(r.groups.is_none() && r.features.is_none() && r.signature_schemes.is_some());
}

/// A server that closes the connection on an empty key_share (the protocol stage learns of
/// TLS 1.3 by sending a real share): the groups stage asks again with real key shares, and a
/// ServerHello that takes the share counts as the group accepted.
#[tokio::test]
async fn groups_of_a_server_that_refuses_an_empty_key_share() {
    use tlsaudit::enumerate::{groups, Ctx};
    use tlsaudit::facts::{ProtocolResult, SectionStatus, SuiteResult};
    use tlsaudit::probe::engine::Engine;
    let prefs = vec![
        NamedGroup::X25519MLKEM768,
        NamedGroup::X25519,
        NamedGroup::SECP256R1,
        NamedGroup::X448,
    ];
    let (addr, _thread) = scripted_hrr_server(prefs, true);
    let engine = Engine::new(EngineConfig::default());
    let ctx = Ctx {
        engine: engine.clone(),
        host: engine.host(addr),
        sni: None,
        compact: false,
    };
    // What the protocol stage would have found: TLS 1.3 with one suite.
    let report = tlsaudit::facts::TargetFacts {
        protocols: vec![ProtocolResult {
            version: Tls13,
            supported: true,
            status: SectionStatus::Completed,
            error: None,
            server_preference: None,
            cipher_suites: vec![SuiteResult::from_suite(tlsaudit::wire::CipherSuite(0x1301))],
            evidence: String::new(),
            suites_enumerated: true,
        }],
        ..Default::default()
    };
    let section = groups::scan(
        &ctx,
        &tlsaudit::enumerate::prior::Prior::from_protocols(&report.protocols),
        &opts(&[Stage::Groups]),
    )
    .await
    .unwrap();
    let v = &section.versions[0];
    let names: Vec<_> = v.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["X25519MLKEM768", "x25519", "secp256r1", "x448"]);
    assert_eq!(v.server_preference, Some(true));
    assert_eq!(
        v.evidence,
        "alert handshake_failure (hellos with a real key share)"
    );
    // 1 refused empty key_share + 4 accepted + 1 refusal + 1 preference probe.
    assert_eq!(ctx.host.connections(), 1 + 4 + 1 + 1);
}

/// A scripted server for what no local server does: it speaks TLS 1.3 (a HelloRetryRequest
/// to x25519) and TLS 1.2 with one suite, takes DEFLATE when offered, ignores
/// TLS_FALLBACK_SCSV and puts no downgrade sentinel in its TLS 1.2 random.
fn scripted_careless_server() -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(200) {
            let Ok(mut stream) = stream else { break };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            if let Some(ch) = read_client_hello(&mut stream) {
                let _ = stream.write_all(&careless_answer(&ch));
            }
        }
    });
    (addr, handle)
}

fn careless_answer(ch: &tlsaudit::wire::ClientHello) -> Vec<u8> {
    let alert = |d: u8| encode_records(ContentType::ALERT, ProtocolVersion::TLS12, &[2, d]);
    let tls13 = ch
        .extension(ExtensionType::SUPPORTED_VERSIONS)
        .is_some_and(|e| e.data.windows(2).any(|w| w == [3, 4]));
    if tls13 {
        return answer(ch, &[NamedGroup::X25519], false);
    }
    if ch.legacy_version != ProtocolVersion::TLS12 {
        return alert(70);
    }
    let suite = tlsaudit::wire::CipherSuite(0xc02f);
    if !ch.cipher_suites.contains(&suite) {
        return alert(40);
    }
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLS12,
        random: [5; 32],
        session_id: vec![],
        cipher_suite: suite,
        compression_method: if ch.compression_methods.contains(&1) {
            1
        } else {
            0
        },
        extensions: Some(vec![]),
    };
    let mut hs = HandshakeMessage::ServerHello(sh).to_bytes();
    hs.extend(HandshakeMessage::ServerHelloDone.to_bytes());
    encode_records(ContentType::HANDSHAKE, ProtocolVersion::TLS12, &hs)
}

#[tokio::test]
async fn careless_server_compresses_ignores_fallback_and_has_no_sentinel() {
    let (addr, _thread) = scripted_careless_server();
    let r = scan_only(&addr.to_string(), &[Stage::Features]).await;
    let f = r.features.as_ref().unwrap();
    assert_eq!(f.legacy_version, Some(Tls12));
    assert_eq!(f.compression.answer, Answer::Yes);
    assert_eq!(f.fallback_scsv.answer, Answer::No);
    assert_eq!(f.downgrade_sentinel.answer, Answer::No);
    assert_eq!(f.secure_renegotiation.answer, Answer::No);
    assert_eq!(f.session_id_issued.answer, Answer::No);
    assert_eq!(f.extended_master_secret.answer, Answer::No);
    // Its only suite is GCM: encrypt-then-MAC does not apply.
    assert_eq!(f.encrypt_then_mac.answer, Answer::NotApplicable);
    // No certificate, no Finished: the real handshakes cannot complete, and say so.
    assert_eq!(f.session_id_resumption.answer, Answer::NotDetermined);
    assert_eq!(f.tls13_psk_resumption.answer, Answer::NotDetermined);
}

/// GnuTLS negotiates RFC 7919 groups for TLS 1.2 DHE too, follows the client's group order,
/// accepts 0-RTT with `--earlydata`, and issues tickets for 6 hours in both versions.
#[tokio::test]
async fn gnutls_groups_rfc7919_dhe_and_early_data() {
    if !require("gnutls-serv") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = gnutls_serv_with(
        "gnutls-groups",
        &cert,
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-GROUP-ALL:+GROUP-SECP384R1:+GROUP-X25519:+GROUP-FFDHE3072",
        &["--earlydata"],
    )
    .unwrap();
    let r = scan_only(&s.target(), &[Stage::Groups, Stage::Features]).await;
    assert_eq!(
        groups(&r, Tls13),
        strings(&["secp384r1", "x25519", "ffdhe3072"])
    );
    assert_eq!(group_pref(&r, Tls13), Some(false));
    assert_eq!(groups(&r, Tls12), strings(&["secp384r1", "x25519"]));
    assert_eq!(group_pref(&r, Tls12), Some(false));
    let v12 = &r.groups.as_ref().unwrap().versions[1];
    let dhe = v12.dhe.as_ref().unwrap();
    assert_eq!(
        (dhe.prime_bits, dhe.known_group.as_deref()),
        (3072, Some("ffdhe3072"))
    );
    let f = r.features.as_ref().unwrap();
    assert_eq!(f.early_data_accepted.answer, Answer::Yes, "{f:?}");
    assert_eq!(f.tls13_ticket_lifetime, Some(21600));
    assert_eq!(f.session_ticket_lifetime_hint, Some(21600));
    assert_eq!(f.tls13_psk_resumption.answer, Answer::Yes);
    // gnutls-serv asks for an (optional) client certificate and names no CA.
    assert_eq!(f.client_certificate_requested.answer, Answer::Yes);
    assert!(f.client_certificate_cas.is_empty());
}
