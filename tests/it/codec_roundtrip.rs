//! rustls' generic codec tests (`msgs/handshake_test.rs`) for every wire type with an encoder
//! and a decoder: each sample decodes from its encoding to itself, and every strict prefix of
//! its bytes is an error (or, for a stream reader, "more bytes needed"), never a panic and
//! never another value. The same for stapled OCSP responses (the DER walker) and STARTTLS
//! replies, which have readers but no writers: their samples are real answers.

use std::fmt::Debug;
use std::path::Path;

use tlsaudit::certs::ocsp;
use tlsaudit::facts::Starttls;
use tlsaudit::probe::engine::{FlightReader, ProbeOutcome};
use tlsaudit::probe::starttls::negotiate_over;
use tlsaudit::wire::sslv2::{CipherKind, Sslv2ClientHello, Sslv2ServerHello};
use tlsaudit::wire::*;

/// decode(encode(x)) == x, and every strict prefix of encode(x) fails to decode.
fn round_trip_and_truncate<T: Codec + PartialEq + Debug>(samples: &[T]) {
    for x in samples {
        let bytes = x.to_bytes();
        assert_eq!(&T::from_bytes(&bytes).unwrap(), x, "{bytes:02x?}");
        for cut in 0..bytes.len() {
            if let Ok(v) = T::from_bytes(&bytes[..cut]) {
                panic!("{x:?} cut at {cut} of {} decoded to {v:?}", bytes.len());
            }
        }
    }
}

fn client_hello(extensions: Option<Vec<Extension>>) -> ClientHello {
    ClientHello {
        legacy_version: ProtocolVersion::TLS12,
        random: [7; 32],
        session_id: vec![1; 32],
        cipher_suites: vec![
            CipherSuite(0x1301),
            CipherSuite(0xc02f),
            CipherSuite(0x0a0a),
        ],
        compression_methods: vec![0],
        extensions,
    }
}

fn server_hello(random: [u8; 32], extensions: Option<Vec<Extension>>) -> ServerHello {
    ServerHello {
        legacy_version: ProtocolVersion::TLS12,
        random,
        session_id: vec![9; 32],
        cipher_suite: CipherSuite(0xc02f),
        compression_method: 0,
        extensions,
    }
}

fn extensions() -> Vec<Extension> {
    vec![
        Extension::new(
            ExtensionType::SERVER_NAME,
            &ServerNameList::host("example.com"),
        ),
        Extension::new(
            ExtensionType::SUPPORTED_GROUPS,
            &NamedGroupList(vec![
                NamedGroup::X25519,
                NamedGroup(0x11ec),
                NamedGroup(0x2a2a),
            ]),
        ),
        Extension::new(
            ExtensionType::SIGNATURE_ALGORITHMS,
            &SignatureSchemeList(vec![
                SignatureScheme::RSA_PSS_RSAE_SHA256,
                SignatureScheme(0x0101),
            ]),
        ),
        Extension::new(
            ExtensionType::SUPPORTED_VERSIONS,
            &ProtocolVersionList(vec![ProtocolVersion::TLS13, ProtocolVersion(0x7a7a)]),
        ),
        Extension::new(
            ExtensionType::EC_POINT_FORMATS,
            &EcPointFormatList(vec![0, 1, 2]),
        ),
        Extension::new(
            ExtensionType::ALPN,
            &ProtocolNameList(vec![
                ProtocolName(b"h2".to_vec()),
                ProtocolName(b"http/1.1".to_vec()),
            ]),
        ),
        Extension::new(
            ExtensionType::KEY_SHARE,
            &KeyShareClientHello(vec![KeyShareEntry {
                group: NamedGroup::X25519,
                key_exchange: vec![5; 32],
            }]),
        ),
        Extension::empty(ExtensionType::EXTENDED_MASTER_SECRET),
        Extension {
            typ: ExtensionType(0xfe99),
            data: vec![1, 2, 3],
        },
    ]
}

#[test]
fn every_extension_payload_round_trips_and_truncates() {
    round_trip_and_truncate(&[
        ServerNameList::host("example.com"),
        ServerNameList(vec![(0, b"a".to_vec()), (7, vec![])]),
    ]);
    round_trip_and_truncate(&[NamedGroupList(vec![NamedGroup::X25519, NamedGroup(0x1234)])]);
    round_trip_and_truncate(&[SignatureSchemeList(vec![SignatureScheme::ED25519])]);
    round_trip_and_truncate(&[ProtocolVersionList(vec![
        ProtocolVersion::TLS13,
        ProtocolVersion::TLS12,
    ])]);
    round_trip_and_truncate(&[EcPointFormatList(vec![0])]);
    round_trip_and_truncate(&[ProtocolNameList(vec![ProtocolName(b"h2".to_vec())])]);
    round_trip_and_truncate(&[ProtocolName(b"http/1.1".to_vec())]);
    let share = KeyShareEntry {
        group: NamedGroup::X25519,
        key_exchange: vec![1; 32],
    };
    round_trip_and_truncate(std::slice::from_ref(&share));
    round_trip_and_truncate(&[KeyShareClientHello(vec![share.clone(), share])]);
    round_trip_and_truncate(&extensions());
    // Open registries: unknown values survive.
    round_trip_and_truncate(&[CipherSuite(0x1301), CipherSuite(0xeeee)]);
    round_trip_and_truncate(&[
        ProtocolVersion::TLS13,
        ProtocolVersion(0x0000),
        ProtocolVersion(0xffff),
    ]);
    round_trip_and_truncate(&[NamedGroup::X25519, NamedGroup(0xabcd)]);
    round_trip_and_truncate(&[SignatureScheme::ED25519, SignatureScheme(0xfefe)]);
    round_trip_and_truncate(&[ExtensionType::KEY_SHARE, ExtensionType(0x4469)]);
    round_trip_and_truncate(&[HandshakeType::FINISHED, HandshakeType(0xfe)]);
    round_trip_and_truncate(&[ContentType::ALERT, ContentType(0xff)]);
    round_trip_and_truncate(&[AlertDescription::HANDSHAKE_FAILURE, AlertDescription(0xee)]);
}

/// Every handshake message type, with a sample each; HelloRetryRequest is a ServerHello with
/// the special random.
fn messages() -> Vec<HandshakeMessage> {
    let mut out = vec![
        HandshakeMessage::ClientHello(client_hello(Some(extensions()))),
        HandshakeMessage::ClientHello(client_hello(Some(vec![]))),
        HandshakeMessage::ClientHello(client_hello(None)),
        HandshakeMessage::ServerHello(server_hello(
            [3; 32],
            Some(vec![
                Extension::empty(ExtensionType::EXTENDED_MASTER_SECRET),
                Extension::new(ExtensionType::SUPPORTED_VERSIONS, &ProtocolVersion::TLS13),
            ]),
        )),
        HandshakeMessage::ServerHello(server_hello([3; 32], None)),
        HandshakeMessage::ServerHello(server_hello(
            HRR_RANDOM,
            Some(vec![
                Extension::new(ExtensionType::SUPPORTED_VERSIONS, &ProtocolVersion::TLS13),
                Extension::new(ExtensionType::KEY_SHARE, &NamedGroup::SECP256R1),
                Extension {
                    typ: ExtensionType::COOKIE,
                    data: vec![0, 3, 1, 2, 3],
                },
            ]),
        )),
        HandshakeMessage::Certificate(CertificateList(vec![
            vec![0x30, 0x03, 2, 1, 1],
            vec![0x30; 300],
        ])),
        HandshakeMessage::Certificate(CertificateList(vec![])),
        HandshakeMessage::CertificateStatus(CertificateStatus {
            status_type: 1,
            response: vec![0x30, 0x03, 0x0a, 0x01, 0x00],
        }),
        HandshakeMessage::ServerHelloDone,
    ];
    // The messages kept raw (read by their callers with a hint), each a real-looking body.
    for (typ, body) in [
        (
            HandshakeType::SERVER_KEY_EXCHANGE,
            vec![3, 0, 29, 2, 0xaa, 0xbb, 8, 4, 0, 1, 0xcc],
        ),
        (
            HandshakeType::CERTIFICATE_REQUEST,
            vec![1, 1, 0, 2, 4, 1, 0, 0],
        ),
        (
            HandshakeType::NEW_SESSION_TICKET,
            vec![0, 0, 0x1c, 0x20, 0, 2, 0xde, 0xad],
        ),
        (HandshakeType::FINISHED, vec![0x42; 12]),
        (HandshakeType::HELLO_REQUEST, vec![]),
        (HandshakeType::ENCRYPTED_EXTENSIONS, vec![0, 0]),
        (HandshakeType(0xfe), vec![1, 2, 3]),
    ] {
        out.push(HandshakeMessage::Other { typ, body });
    }
    out
}

#[test]
fn every_handshake_message_round_trips_and_truncates() {
    let all = messages();
    round_trip_and_truncate(&all);
    // The hellos alone: cut exactly before the extensions block, a hello is a valid hello
    // without extensions (RFC 5246 section 7.4.1.2); every other cut is an error.
    for m in &all {
        let (bytes, without) = match m {
            HandshakeMessage::ClientHello(h) => (
                h.to_bytes(),
                ClientHello {
                    extensions: None,
                    ..h.clone()
                }
                .to_bytes(),
            ),
            HandshakeMessage::ServerHello(h) => (
                h.to_bytes(),
                ServerHello {
                    extensions: None,
                    ..h.clone()
                }
                .to_bytes(),
            ),
            _ => continue,
        };
        for cut in 0..bytes.len() {
            let decoded = match m {
                HandshakeMessage::ClientHello(_) => ClientHello::from_bytes(&bytes[..cut]).is_ok(),
                _ => ServerHello::from_bytes(&bytes[..cut]).is_ok(),
            };
            if decoded {
                assert_eq!(cut, without.len(), "{:?} cut at {cut} decoded", m.typ());
            }
        }
    }
    // Alerts.
    round_trip_and_truncate(&[
        Alert {
            level: 2,
            description: AlertDescription::HANDSHAKE_FAILURE,
        },
        Alert {
            level: 1,
            description: AlertDescription(0x70),
        },
    ]);
}

#[test]
fn the_parameters_read_from_raw_bodies_fail_on_every_prefix() {
    let ecdhe = [3, 0, 29, 2, 0xaa, 0xbb, 8, 4, 0, 2, 0xde, 0xad];
    let dhe = [0, 2, 0xff, 0xf7, 0, 1, 2, 0, 1, 5, 4, 1, 0, 1, 0];
    assert_eq!(
        ServerKeyExchangeParams::tls12_signature_scheme(&ecdhe, false),
        Ok(SignatureScheme::RSA_PSS_RSAE_SHA256)
    );
    assert_eq!(
        ServerKeyExchangeParams::tls12_signature_scheme(&dhe, true),
        Ok(SignatureScheme::RSA_PKCS1_SHA256)
    );
    for cut in 0..ecdhe.len() {
        assert!(ServerKeyExchangeParams::tls12_signature_scheme(&ecdhe[..cut], false).is_err());
    }
    for cut in 0..dhe.len() {
        assert!(ServerKeyExchangeParams::tls12_signature_scheme(&dhe[..cut], true).is_err());
    }
    // The params alone end where their last vector ends.
    for cut in 0..4 {
        assert!(
            ServerKeyExchangeParams::read_ecdhe(&ecdhe[..cut]).is_err(),
            "{cut}"
        );
    }
    for cut in 0..10 {
        assert!(
            ServerKeyExchangeParams::read_dhe(&dhe[..cut]).is_err(),
            "{cut}"
        );
    }
    let cr = [2, 1, 64, 0, 4, 4, 1, 4, 3, 0, 5, 0, 3, 0x30, 1, 0];
    let read = CertificateRequest12::read(&cr, true).unwrap();
    assert_eq!(read.certificate_types, vec![1, 64]);
    assert_eq!(read.certificate_authorities, vec![vec![0x30, 1, 0]]);
    for cut in 0..cr.len() {
        assert!(
            CertificateRequest12::read(&cr[..cut], true).is_err(),
            "{cut}"
        );
    }
}

#[test]
fn sslv2_hellos_round_trip_and_truncate() {
    round_trip_and_truncate(&[Sslv2ClientHello {
        version: 0x0301,
        cipher_specs: vec![CipherKind(0x010080), CipherKind(0x00002f)],
        session_id: vec![],
        challenge: vec![1; 16],
    }]);
    round_trip_and_truncate(&[Sslv2ServerHello {
        session_id_hit: 0,
        certificate_type: 1,
        version: 2,
        certificate: vec![0x30; 40],
        cipher_specs: vec![CipherKind(0x0700c0), CipherKind(0x060040)],
        connection_id: vec![9; 16],
    }]);
    round_trip_and_truncate(&[CipherKind(0x0700c0)]);
}

/// A record stream cut anywhere is "more bytes needed" to the deframer, the handshake joiner
/// and a probe's flight reader; whole, it gives back every message.
#[test]
fn record_streams_cut_anywhere_ask_for_more() {
    let msgs = messages();
    let mut hs = Vec::new();
    for m in &msgs {
        hs.extend(m.to_bytes());
    }
    let stream = encode_records(ContentType::HANDSHAKE, ProtocolVersion::TLS12, &hs);
    for cut in 0..stream.len() {
        let mut d = Deframer::default();
        d.push(&stream[..cut]);
        let mut j = HandshakeJoiner::new(1 << 16);
        let mut got = Vec::new();
        loop {
            match d.pop() {
                Ok(Some(Frame::Record { payload, .. })) => j.push(&payload),
                Ok(None) => break,
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        while let Some((m, _)) = j.pop().unwrap() {
            got.push(m);
        }
        assert!(got.len() < msgs.len(), "cut at {cut}");
        assert_eq!(got[..], msgs[..got.len()], "cut at {cut}");
    }
    // A TLS 1.2 flight: ServerHello, Certificate, ServerHelloDone.
    let mut flight = Vec::new();
    for m in [&msgs[4], &msgs[6], &msgs[9]] {
        flight.extend(encode_records(
            ContentType::HANDSHAKE,
            ProtocolVersion::TLS12,
            &m.to_bytes(),
        ));
    }
    for cut in 0..flight.len() {
        let mut r = FlightReader::new(1 << 20, false);
        assert!(r.feed(&flight[..cut]).is_none(), "cut at {cut}");
    }
    let mut r = FlightReader::new(1 << 20, false);
    let Some(ProbeOutcome::ServerHello(f)) = r.feed(&flight) else {
        panic!()
    };
    assert!(f.complete);
}

fn corpus_file(target: &str, name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// OCSP responses made by `openssl ocsp` (fuzz/seeds/make_seeds.py): read to their values;
/// every strict prefix is an error with no status.
#[test]
fn ocsp_responses_read_and_every_prefix_is_an_error() {
    let good = corpus_file("ocsp", "seed-good");
    let s = ocsp::read(&good, Some(&[0x02]));
    assert_eq!(s.error, None);
    assert_eq!(s.response_status.as_deref(), Some("successful"));
    assert_eq!(s.cert_status.as_deref(), Some("good"));
    assert!(s.produced_at.is_some() && s.this_update.is_some() && s.next_update.is_some());
    let revoked = corpus_file("ocsp", "seed-revoked");
    assert_eq!(
        ocsp::read(&revoked, Some(&[0x03])).cert_status.as_deref(),
        Some("revoked")
    );
    let try_later = [0x30, 0x03, 0x0a, 0x01, 0x03];
    assert_eq!(
        ocsp::read(&try_later, None).response_status.as_deref(),
        Some("tryLater")
    );
    for sample in [&good[..], &revoked[..], &try_later[..]] {
        for cut in 0..sample.len() {
            let s = ocsp::read(&sample[..cut], None);
            assert!(
                s.error.is_some() && s.cert_status.is_none(),
                "cut at {cut} of {}: {s:?}",
                sample.len()
            );
        }
    }
}

/// Runs a STARTTLS preamble over `replies` and returns the result with the bytes left unread.
fn starttls(proto: Starttls, replies: &[u8]) -> (Result<(), String>, Vec<u8>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut rest = replies;
    let result = rt.block_on(async {
        let mut stream = tokio::io::join(&mut rest, tokio::io::sink());
        negotiate_over(&mut stream, proto, "example.com")
            .await
            .map_err(|e| e.message)
    });
    (result, rest.to_vec())
}

/// Real servers' STARTTLS answers (the corpus seeds): each completes the preamble without
/// reading one byte of the TLS that follows; every strict prefix is an error.
#[test]
fn starttls_replies_complete_and_every_prefix_is_an_error() {
    let tls = [22u8, 3, 1, 0, 1, 0];
    for (name, proto) in [
        ("seed-smtp-postfix", Starttls::Smtp),
        ("seed-imap-dovecot", Starttls::Imap),
        ("seed-pop3-dovecot", Starttls::Pop3),
        ("seed-postgres", Starttls::Postgres),
        ("seed-ftp-vsftpd", Starttls::Ftp),
        ("seed-ftp-multiline", Starttls::Ftp),
        ("seed-xmpp-prosody", Starttls::Xmpp),
        ("seed-ldap-slapd", Starttls::Ldap),
        ("seed-mysql-mariadb", Starttls::Mysql),
        ("seed-nntp-inn", Starttls::Nntp),
        ("seed-irc-inspircd", Starttls::Irc),
        ("seed-sieve-dovecot", Starttls::Sieve),
        ("seed-lmtp-dovecot", Starttls::Lmtp),
    ] {
        let seed = corpus_file("starttls", name);
        assert_eq!(
            Starttls::ALL[usize::from(seed[0]) % Starttls::ALL.len()],
            proto,
            "{name}: the first byte picks the protocol"
        );
        let replies = &seed[1..];
        let mut then_tls = replies.to_vec();
        then_tls.extend(tls);
        assert_eq!(starttls(proto, &then_tls), (Ok(()), tls.to_vec()), "{name}");
        for cut in 0..replies.len() {
            let (r, _) = starttls(proto, &replies[..cut]);
            assert!(r.is_err(), "{name} cut at {cut} of {}", replies.len());
        }
    }
}
