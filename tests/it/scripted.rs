//! A scripted server for what no real server here will do: SSLv2 and SSLv3 answers, a server
//! that chokes on hellos over 255 bytes, and hostile answers. It parses hellos with our own
//! wire layer and answers with exact bytes.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::Fact;
use tlsaudit::facts::TlsVersion::*;
use tlsaudit::facts::{ErrorReason, SectionStatus};
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::wire::registry;
use tlsaudit::wire::sslv2::{CipherKind, Sslv2ClientHello, Sslv2ServerHello};
use tlsaudit::wire::{
    encode_records, CertificateList, CipherSuite, Codec, ContentType, Deframer, Extension,
    ExtensionType, Frame, HandshakeMessage, HandshakeType, KeyShareClientHello, KeyShareEntry,
    NamedGroup, NamedGroupList, ProtocolVersion, ProtocolVersionList, ServerHello, SignatureScheme,
    SignatureSchemeList, HRR_RANDOM,
};

use crate::common::{ids, scan, scan_with, suites, versions};

/// How the scripted server behaves.
#[derive(Clone, Default)]
struct Script {
    /// TLS versions (<= 1.2) it negotiates.
    versions: Vec<ProtocolVersion>,
    /// Suites in its preference order.
    suites: Vec<CipherSuite>,
    /// SSLv2 cipher kinds; empty means no SSLv2.
    sslv2: Vec<CipherKind>,
    /// Close the connection, without an alert, on a hello record longer than this.
    max_record: Option<usize>,
    /// Answer every connection with these bytes instead.
    raw_answer: Option<Vec<u8>>,
    /// Accept and never answer.
    silent: bool,
    /// TLS 1.3 suites in its preference order; empty means no TLS 1.3.
    tls13: Vec<CipherSuite>,
    /// Answer a TLS 1.3 hello with an empty key_share with illegal_parameter instead of a
    /// HelloRetryRequest.
    reject_empty_key_share: bool,
    /// Curves in its preference order: an ECDHE suite then needs one of them in the client's
    /// supported_groups and the flight carries a ServerKeyExchange naming it; a TLS 1.3
    /// HelloRetryRequest asks for the first of them the client lists. Empty: no
    /// ServerKeyExchange, and HelloRetryRequests ask for x25519.
    groups: Vec<NamedGroup>,
    /// Signature schemes (TLS 1.2 ServerKeyExchange) in its preference order; empty means
    /// rsa_pkcs1_sha256 whatever the client offers.
    schemes: Vec<SignatureScheme>,
    /// Echo renegotiation_info (for the SCSV or the extension) and extended_master_secret.
    echo: bool,
    /// Echo the heartbeat extension, and answer a heartbeat request after the flight so.
    heartbeat: Option<Heartbeat>,
}

/// How the scripted server answers a heartbeat request.
#[derive(Clone, Copy)]
enum Heartbeat {
    /// As OpenSSL 1.0.1 to 1.0.1f did: a response as long as the request claims, whatever it
    /// carried, filled from "memory".
    Bleed,
    /// Not at all.
    Ignore,
    /// As OpenSSL 1.0.1g and later: an over-long request is discarded silently, a well-formed
    /// one answered with its payload (RFC 6520 section 4).
    Patched,
}

async fn start(script: Script) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let s = script.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(5), serve(stream, s)).await;
            });
        }
    });
    addr
}

const DUMMY_CERT: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x01];

async fn serve(mut stream: TcpStream, s: Script) {
    if s.silent {
        tokio::time::sleep(Duration::from_secs(5)).await;
        return;
    }
    let mut deframer = Deframer::default();
    let mut buf = vec![0u8; 4096];
    let frame = loop {
        let Ok(n) = stream.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        if let Some(raw) = &s.raw_answer {
            let _ = stream.write_all(raw).await;
            return;
        }
        deframer.push(&buf[..n]);
        match deframer.pop() {
            Ok(Some(f)) => break f,
            Ok(None) => continue,
            Err(_) => return,
        }
    };
    let answer = match frame {
        Frame::Sslv2(payload) => {
            let Ok(hello) = Sslv2ClientHello::from_bytes(&payload) else {
                return;
            };
            let common: Vec<_> = s
                .sslv2
                .iter()
                .copied()
                .filter(|k| hello.cipher_specs.contains(k))
                .collect();
            if common.is_empty() {
                return;
            }
            let sh = Sslv2ServerHello {
                session_id_hit: 0,
                certificate_type: 1,
                version: 2,
                certificate: DUMMY_CERT.to_vec(),
                cipher_specs: common,
                connection_id: vec![7; 16],
            }
            .to_bytes();
            let mut out = vec![0x80 | (sh.len() >> 8) as u8, sh.len() as u8];
            out.extend(sh);
            out
        }
        Frame::Record { payload, .. } => {
            if s.max_record.is_some_and(|m| payload.len() + 5 > m) {
                return; // choke: close without a word, as some old middleboxes do
            }
            let Ok(HandshakeMessage::ClientHello(ch)) = HandshakeMessage::from_bytes(&payload)
            else {
                return;
            };
            let offers13 = ch
                .extension(ExtensionType::SUPPORTED_VERSIONS)
                .and_then(|e| e.parse::<ProtocolVersionList>().ok())
                .is_some_and(|l| l.0.contains(&ProtocolVersion::TLS13));
            if offers13 && !s.tls13.is_empty() {
                let _ = stream.write_all(&tls13_answer(&s, &ch)).await;
                let _ = stream.read(&mut buf).await;
                return;
            }
            let Some(version) = s
                .versions
                .iter()
                .copied()
                .filter(|v| v.0 <= ch.legacy_version.0)
                .max()
            else {
                let rv = ProtocolVersion(ch.legacy_version.0.min(0x0303));
                let _ = stream
                    .write_all(&encode_records(ContentType::ALERT, rv, &[2, 70]))
                    .await;
                return;
            };
            let offered_groups: Vec<NamedGroup> = ch
                .extension(ExtensionType::SUPPORTED_GROUPS)
                .and_then(|e| e.parse::<NamedGroupList>().ok())
                .map(|l| l.0)
                .unwrap_or_default();
            let curve = s
                .groups
                .iter()
                .copied()
                .find(|g| offered_groups.contains(g));
            let ecdhe = |c: &CipherSuite| registry::suite(*c).is_some_and(|i| i.kx == "ECDHE");
            let usable = |c: &CipherSuite| {
                (version == ProtocolVersion::TLS12
                    || !registry::suite(*c).is_some_and(|i| i.tls12_only))
                    // RFC 8422 section 5.1: no shared curve, no ECDHE suite.
                    && (s.groups.is_empty() || !ecdhe(c) || curve.is_some())
            };
            let Some(suite) = s
                .suites
                .iter()
                .copied()
                .filter(usable)
                .find(|c| ch.cipher_suites.contains(c))
            else {
                let _ = stream
                    .write_all(&encode_records(ContentType::ALERT, version, &[2, 40]))
                    .await;
                return;
            };
            let ske = match curve.filter(|_| ecdhe(&suite)) {
                None => None,
                Some(curve) => match server_key_exchange(&s, &ch, version, curve) {
                    Some(ske) => Some(ske),
                    None => {
                        let _ = stream
                            .write_all(&encode_records(ContentType::ALERT, version, &[2, 40]))
                            .await;
                        return;
                    }
                },
            };
            let mut exts = Vec::new();
            if s.echo {
                // RFC 5746 section 3.6: the SCSV (or the extension) gets an empty one back.
                if ch
                    .cipher_suites
                    .contains(&CipherSuite::EMPTY_RENEGOTIATION_INFO_SCSV)
                    || ch.extension(ExtensionType::RENEGOTIATION_INFO).is_some()
                {
                    exts.push(Extension {
                        typ: ExtensionType::RENEGOTIATION_INFO,
                        data: vec![0],
                    });
                }
                if ch
                    .extension(ExtensionType::EXTENDED_MASTER_SECRET)
                    .is_some()
                {
                    exts.push(Extension::empty(ExtensionType::EXTENDED_MASTER_SECRET));
                }
            }
            if s.heartbeat.is_some() && ch.extension(ExtensionType::HEARTBEAT).is_some() {
                // RFC 6520 section 2: peer_allowed_to_send (1).
                exts.push(Extension {
                    typ: ExtensionType::HEARTBEAT,
                    data: vec![1],
                });
            }
            let mut flight = HandshakeMessage::ServerHello(ServerHello {
                legacy_version: version,
                random: [3; 32],
                session_id: vec![],
                cipher_suite: suite,
                compression_method: 0,
                extensions: (!exts.is_empty()).then_some(exts),
            })
            .to_bytes();
            flight.extend(
                HandshakeMessage::Certificate(CertificateList(vec![DUMMY_CERT.to_vec()]))
                    .to_bytes(),
            );
            if let Some(body) = ske {
                flight.extend(
                    HandshakeMessage::Other {
                        typ: HandshakeType::SERVER_KEY_EXCHANGE,
                        body,
                    }
                    .to_bytes(),
                );
            }
            flight.extend(HandshakeMessage::ServerHelloDone.to_bytes());
            encode_records(ContentType::HANDSHAKE, version, &flight)
        }
    };
    let _ = stream.write_all(&answer).await;
    match s.heartbeat {
        Some(Heartbeat::Bleed) => {
            if let Some(response) = bleed(&mut stream).await {
                let _ = stream.write_all(&response).await;
            }
        }
        // Keep the connection open past the scanner's wait (`start` ends it at 5 s).
        Some(Heartbeat::Ignore) => tokio::time::sleep(Duration::from_secs(5)).await,
        Some(Heartbeat::Patched) => {
            if let Some(response) = answer_well_formed(&mut stream).await {
                let _ = stream.write_all(&response).await;
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        None => {}
    }
    let _ = stream.read(&mut buf).await;
}

/// Reads one heartbeat_request record and answers it as OpenSSL 1.0.1 did: type, the claimed
/// payload_length, that many bytes whatever the request carried, and 16 bytes of padding, in
/// one record (RFC 6520 section 4).
async fn bleed(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut deframer = Deframer::default();
    let mut buf = vec![0u8; 4096];
    let payload = loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        deframer.push(&buf[..n]);
        if let Some(Frame::Record {
            content_type: ContentType::HEARTBEAT,
            payload,
            ..
        }) = deframer.pop().ok()?
        {
            break payload;
        }
    };
    let (&[1, hi, lo], _) = payload.split_first_chunk::<3>()? else {
        return None;
    };
    let claimed = u16::from_be_bytes([hi, lo]).min(16384) as usize;
    let mut msg = vec![2, hi, lo];
    msg.extend((0..claimed + 16).map(|i| (i % 251) as u8));
    let mut record = vec![24, 3, 3];
    record.extend((msg.len() as u16).to_be_bytes());
    record.extend(msg);
    Some(record)
}

/// Reads heartbeat_request records, discarding those whose payload_length exceeds what they
/// carry, and answers the first well-formed one: type 2, its payload, 16 bytes of padding.
async fn answer_well_formed(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut deframer = Deframer::default();
    let mut buf = vec![0u8; 4096];
    loop {
        while let Some(frame) = deframer.pop().ok()? {
            let Frame::Record {
                content_type: ContentType::HEARTBEAT,
                payload,
                ..
            } = frame
            else {
                continue;
            };
            let (&[1, hi, lo], rest) = payload.split_first_chunk::<3>()? else {
                continue;
            };
            let len = u16::from_be_bytes([hi, lo]) as usize;
            if len + 16 > rest.len() {
                continue;
            }
            let mut msg = vec![2, hi, lo];
            msg.extend(&rest[..len]);
            msg.extend([0u8; 16]);
            let mut record = vec![24, 3, 3];
            record.extend((msg.len() as u16).to_be_bytes());
            record.extend(msg);
            return Some(record);
        }
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        deframer.push(&buf[..n]);
    }
}

/// An ECDHE ServerKeyExchange body for `curve` (RFC 8422 section 5.4) with a dummy point and
/// signature; in TLS 1.2 the scheme is the first of the script's the client offers, `None`
/// when it offers none of them.
fn server_key_exchange(
    s: &Script,
    ch: &tlsaudit::wire::ClientHello,
    version: ProtocolVersion,
    curve: NamedGroup,
) -> Option<Vec<u8>> {
    let mut body = vec![3]; // curve_type named_curve
    curve.encode(&mut body);
    body.push(32);
    body.extend([5; 32]);
    if version == ProtocolVersion::TLS12 {
        let offered: Vec<SignatureScheme> = ch
            .extension(ExtensionType::SIGNATURE_ALGORITHMS)
            .and_then(|e| e.parse::<SignatureSchemeList>().ok())
            .map(|l| l.0)
            .unwrap_or_default();
        let scheme = if s.schemes.is_empty() {
            SignatureScheme::RSA_PKCS1_SHA256
        } else {
            s.schemes.iter().copied().find(|x| offered.contains(x))?
        };
        scheme.encode(&mut body);
    }
    body.extend([0, 8]);
    body.extend([6; 8]);
    Some(body)
}

/// A TLS 1.3 server's first answer: a HelloRetryRequest for an empty key_share, else a
/// ServerHello. Only that matters to a scanner: everything after it is encrypted.
fn tls13_answer(s: &Script, ch: &tlsaudit::wire::ClientHello) -> Vec<u8> {
    let shares: KeyShareClientHello = ch
        .extension(ExtensionType::KEY_SHARE)
        .and_then(|e| e.parse().ok())
        .unwrap_or_default();
    let Some(suite) = s
        .tls13
        .iter()
        .copied()
        .find(|c| ch.cipher_suites.contains(c))
    else {
        return encode_records(ContentType::ALERT, ProtocolVersion::TLS12, &[2, 40]);
    };
    let mut exts = vec![Extension::new(
        ExtensionType::SUPPORTED_VERSIONS,
        &ProtocolVersion::TLS13,
    )];
    let mut random = [4; 32];
    match shares.0.first() {
        None if s.reject_empty_key_share => {
            return encode_records(ContentType::ALERT, ProtocolVersion::TLS12, &[2, 47]);
        }
        None => {
            random = HRR_RANDOM;
            let offered: Vec<NamedGroup> = ch
                .extension(ExtensionType::SUPPORTED_GROUPS)
                .and_then(|e| e.parse::<NamedGroupList>().ok())
                .map(|l| l.0)
                .unwrap_or_default();
            let group = if s.groups.is_empty() {
                NamedGroup::X25519
            } else {
                match s.groups.iter().copied().find(|g| offered.contains(g)) {
                    Some(g) => g,
                    None => {
                        return encode_records(ContentType::ALERT, ProtocolVersion::TLS12, &[2, 40])
                    }
                }
            };
            exts.push(Extension::new(ExtensionType::KEY_SHARE, &group));
        }
        Some(k) => exts.push(Extension::new(
            ExtensionType::KEY_SHARE,
            &KeyShareEntry {
                group: k.group,
                key_exchange: vec![9; 32],
            },
        )),
    }
    let sh = ServerHello {
        legacy_version: ProtocolVersion::TLS12,
        random,
        session_id: ch.session_id.clone(),
        cipher_suite: suite,
        compression_method: 0,
        extensions: Some(exts),
    };
    encode_records(
        ContentType::HANDSHAKE,
        ProtocolVersion::TLS12,
        &HandshakeMessage::ServerHello(sh).to_bytes(),
    )
}

#[tokio::test]
async fn sslv2_and_sslv3_only_server() {
    let addr = start(Script {
        versions: vec![ProtocolVersion::SSLV3],
        suites: vec![
            CipherSuite(0x000a),
            CipherSuite(0x0005),
            CipherSuite(0x0004),
        ],
        sslv2: vec![CipherKind(0x0700c0), CipherKind(0x010080)],
        ..Default::default()
    })
    .await;
    let (r, g) = scan(&addr.to_string()).await;
    assert_eq!(versions(&r), vec![Ssl2, Ssl3]);
    // One SSLv2 connection lists every kind the server has, in its order.
    assert_eq!(suites(&r, Ssl2), ids(&[0x0700c0, 0x010080]));
    let kind = &r.protocol(Ssl2).unwrap().cipher_suites[0];
    assert_eq!(
        (kind.name.as_str(), kind.openssl_name.as_deref()),
        ("SSL_CK_DES_192_EDE3_CBC_WITH_MD5", Some("DES-CBC3-MD5"))
    );
    assert_eq!(g.sslv2_certificate.as_deref(), Some(DUMMY_CERT));
    assert_eq!(suites(&r, Ssl3), ids(&[0x000a, 0x0005, 0x0004]));
    assert_eq!(r.protocol(Ssl3).unwrap().server_preference, Some(true));
    // Asked for TLS 1.0, the server answers SSLv3: TLS 1.0 is not offered.
    assert!(
        r.protocol(Tls10)
            .unwrap()
            .evidence
            .contains("negotiated SSLv3"),
        "{}",
        r.protocol(Tls10).unwrap().evidence
    );
}

#[tokio::test]
async fn server_that_chokes_on_large_hellos_is_scanned_in_chunks() {
    let addr = start(Script {
        versions: vec![
            ProtocolVersion::TLS10,
            ProtocolVersion::TLS11,
            ProtocolVersion::TLS12,
        ],
        // Server order, not code-point order; spread over several 32-suite chunks.
        suites: [0xc02f, 0x009c, 0x002f, 0xc013, 0x0035, 0xcca8]
            .into_iter()
            .map(CipherSuite)
            .collect(),
        max_record: Some(255),
        ..Default::default()
    })
    .await;
    let (r, _) = scan(&addr.to_string()).await;
    assert_eq!(r.error, None);
    assert_eq!(versions(&r), vec![Tls10, Tls11, Tls12]);
    assert_eq!(
        suites(&r, Tls12),
        ids(&[0xc02f, 0x009c, 0x002f, 0xc013, 0x0035, 0xcca8])
    );
    assert_eq!(r.protocol(Tls12).unwrap().server_preference, Some(true));
    // GCM and ChaCha20 suites are TLS 1.2-only.
    assert_eq!(suites(&r, Tls10), ids(&[0x002f, 0xc013, 0x0035]));
}

#[tokio::test]
async fn garbage_answers_are_reported_not_fatal() {
    let addr = start(Script {
        raw_answer: Some(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()),
        ..Default::default()
    })
    .await;
    let (r, _) = scan(&addr.to_string()).await;
    assert_eq!(versions(&r), vec![]);
    let p = r.protocol(Tls12).unwrap();
    assert!(p.evidence.contains("malformed"), "{}", p.evidence);
    // A hostile length field must not make us allocate or wait for 16 MB.
    let addr = start(Script {
        raw_answer: Some(vec![22, 3, 3, 0xff, 0xff, 2, 0xff, 0xff, 0xff]),
        ..Default::default()
    })
    .await;
    let (r, _) = scan(&addr.to_string()).await;
    assert!(
        r.protocol(Tls12).unwrap().evidence.contains("malformed"),
        "{}",
        r.protocol(Tls12).unwrap().evidence
    );
}

/// Issue 13: a server that accepts TCP and never answers cost every probe a read timeout and
/// a retry (56 s with the defaults). Now the first probes' silence ends the target: one read
/// timeout, two connections (the first TLS 1.2 and TLS 1.3 probes, in parallel), no retries,
/// and the entry says why.
#[tokio::test]
async fn a_silent_server_costs_one_read_timeout_and_is_reported_silent() {
    let addr = start(Script {
        silent: true,
        ..Default::default()
    })
    .await;
    let cfg = EngineConfig {
        read_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let (r, _) = scan_with(&addr.to_string(), cfg, ScanOptions::default()).await;
    assert_eq!(versions(&r), vec![]);
    assert_eq!(r.error_reason, Some(ErrorReason::Silent));
    let error = r.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("accepted TCP connections but never answered"),
        "{error}"
    );
    assert_eq!(r.connections, 2);
    assert!(
        r.protocols
            .iter()
            .all(|p| p.status == SectionStatus::Error && p.error.as_deref() == Some(error)),
        "{:?}",
        r.protocols
    );
}

#[tokio::test]
async fn tls13_server_that_refuses_an_empty_key_share_is_asked_again_with_one() {
    let addr = start(Script {
        versions: vec![ProtocolVersion::TLS12],
        suites: vec![CipherSuite(0xc02f)],
        tls13: vec![CipherSuite(0x1302), CipherSuite(0x1301)],
        reject_empty_key_share: true,
        ..Default::default()
    })
    .await;
    let (r, _) = scan(&addr.to_string()).await;
    assert_eq!(versions(&r), vec![Tls12, Tls13]);
    assert_eq!(suites(&r, Tls13), ids(&[0x1302, 0x1301]));
    assert_eq!(r.protocol(Tls13).unwrap().server_preference, Some(true));
}

#[tokio::test]
async fn tls13_by_hello_retry_request() {
    let addr = start(Script {
        tls13: vec![CipherSuite(0x1303), CipherSuite(0x1301)],
        ..Default::default()
    })
    .await;
    let (r, g) = scan(&addr.to_string()).await;
    assert_eq!(versions(&r), vec![Tls13], "{:?}", r.protocol(Tls13));
    assert_eq!(suites(&r, Tls13), ids(&[0x1303, 0x1301]));
    // (1 + accepted) elimination probes, no retry with a key share: the HRR answered.
    let flight = &g.flights.iter().find(|(v, _)| *v == Tls13).unwrap().1;
    assert!(flight.hello.is_hello_retry_request());
}

/// The protocol stage finds that the server closes on hellos over 255 bytes; every later stage
/// then sends compact hellos: groups (TLS 1.2 curves by ServerKeyExchange, TLS 1.3 by
/// HelloRetryRequest) offered in runs that fit, TLS 1.2 signature schemes, and the features
/// the flights show. With full-size hellos each of these was "not determined" or empty.
#[tokio::test]
async fn later_stages_send_compact_hellos_to_a_server_that_chokes_on_large_ones() {
    use tlsaudit::facts::Answer;
    let addr = start(Script {
        versions: vec![
            ProtocolVersion::TLS10,
            ProtocolVersion::TLS11,
            ProtocolVersion::TLS12,
        ],
        suites: [
            0xc02f, 0xc030, 0x009c, 0x002f, 0xc013, 0xc014, 0x0035, 0xcca8,
        ]
        .into_iter()
        .map(CipherSuite)
        .collect(),
        tls13: vec![CipherSuite(0x1302), CipherSuite(0x1301)],
        max_record: Some(255),
        // Server order, not the order of our candidate lists.
        groups: vec![
            NamedGroup::SECP384R1,
            NamedGroup::X25519,
            NamedGroup::SECP256R1,
        ],
        schemes: vec![
            SignatureScheme::RSA_PSS_RSAE_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ],
        echo: true,
        ..Default::default()
    })
    .await;
    // With a long (real-world) host name a full-size hello offering the five ECDHE suites and
    // every curve is over 255 bytes.
    let opts = ScanOptions {
        sni: Some("merchant-notifications.payments-gateway.example.com".into()),
        ..Default::default()
    };
    let (r, g) = scan_with(&addr.to_string(), EngineConfig::default(), opts).await;
    assert_eq!(r.error, None);
    assert!(g.compact);
    assert_eq!(versions(&r), vec![Tls10, Tls11, Tls12, Tls13]);
    assert_eq!(
        suites(&r, Tls12),
        ids(&[0xc02f, 0xc030, 0x009c, 0x002f, 0xc013, 0xc014, 0x0035, 0xcca8])
    );

    let groups = r.groups.as_ref().unwrap();
    assert_eq!(groups.status, SectionStatus::Completed);
    let by_version: Vec<_> = groups
        .versions
        .iter()
        .map(|v| {
            let names: Vec<&str> = v.groups.iter().map(|g| g.name.as_str()).collect();
            (
                v.version,
                v.status,
                names,
                v.server_preference,
                v.dhe.is_some(),
            )
        })
        .collect();
    let order = vec!["secp384r1", "x25519", "secp256r1"];
    assert_eq!(
        by_version,
        vec![
            (
                Tls13,
                SectionStatus::Completed,
                order.clone(),
                Some(true),
                false
            ),
            (Tls12, SectionStatus::Completed, order, Some(true), false),
        ],
        "{:#?}",
        groups.versions
    );

    let sigs = r.signature_schemes.as_ref().unwrap();
    let tls12 = sigs.versions.iter().find(|v| v.version == Tls12).unwrap();
    let names: Vec<&str> = tls12.schemes.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        (tls12.status, names),
        (
            SectionStatus::Completed,
            vec!["rsa_pss_rsae_sha256", "rsa_pkcs1_sha256"]
        ),
        "{tls12:#?}"
    );

    let c = r.certificates.as_ref().unwrap();
    let sources: Vec<_> = c
        .chains
        .iter()
        .flat_map(|ch| ch.obtained.iter())
        .map(|o| {
            (
                o.version,
                o.offered.clone(),
                o.cipher_suite.clone(),
                o.without_sni,
            )
        })
        .collect();
    let suite = |s: &str| Some(s.to_string());
    let cbc = suite("TLS_RSA_WITH_AES_128_CBC_SHA");
    let gcm = suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assert_eq!(
        sources,
        vec![
            // The protocol stage's flights (first compact chunk's pick) ...
            (Tls10, "any".into(), cbc.clone(), false),
            (Tls11, "any".into(), cbc.clone(), false),
            (Tls12, "any".into(), cbc, false),
            // ... and the certificates stage's own compact RSA hello, with the accepted
            // suites; no ECDSA suite was accepted, so no ECDSA hello ...
            (Tls12, "RSA".into(), gcm.clone(), false),
            // ... and its compact hello without SNI, which got the same chain.
            (Tls12, "any".into(), gcm, true),
        ]
    );
    let f = r.features.as_ref().unwrap();
    let answers = [
        ("secure_renegotiation", f.secure_renegotiation.answer),
        ("extended_master_secret", f.extended_master_secret.answer),
        ("session_id_issued", f.session_id_issued.answer),
        (
            "session_ticket_advertised",
            f.session_ticket_advertised.answer,
        ),
        ("ocsp_stapling", f.ocsp_stapling.answer),
        ("heartbeat", f.heartbeat.answer),
        ("max_fragment_length", f.max_fragment_length.answer),
        ("encrypt_then_mac", f.encrypt_then_mac.answer),
        ("compression", f.compression.answer),
        ("fallback_scsv", f.fallback_scsv.answer),
    ];
    assert_eq!(
        answers,
        [
            ("secure_renegotiation", Answer::Yes),
            ("extended_master_secret", Answer::Yes),
            ("session_id_issued", Answer::No),
            ("session_ticket_advertised", Answer::No),
            ("ocsp_stapling", Answer::No),
            ("heartbeat", Answer::No),
            ("max_fragment_length", Answer::No),
            ("encrypt_then_mac", Answer::No),
            ("compression", Answer::No),
            ("fallback_scsv", Answer::No),
        ],
        "{f:#?}"
    );
}

/// Heartbleed: a server that answers a heartbeat request claiming 16384 bytes with 16384
/// bytes, as OpenSSL 1.0.1 did, and one that echoes heartbeat but never answers one.
#[tokio::test]
async fn heartbleed_by_an_over_long_heartbeat_response() {
    let script = |heartbeat| Script {
        versions: vec![ProtocolVersion::TLS12],
        suites: vec![CipherSuite(0x009c)],
        heartbeat: Some(heartbeat),
        ..Default::default()
    };
    let addr = start(script(Heartbeat::Bleed)).await;
    let (r, _) = scan(&addr.to_string()).await;
    let f = r.features.as_ref().unwrap();
    assert_eq!(f.heartbeat, Fact::yes("ServerHello echoes heartbeat"));
    assert_eq!(
        f.heartbleed,
        Fact::yes(
            "TLSv1.2 heartbeat request claiming 16384 payload bytes with 4 sent was answered by a 16403-byte heartbeat response: the server sends back memory it was not given (CVE-2014-0160)"
        )
    );
    // A server that keeps quiet leaked nothing: a vulnerable one answers at once.
    let addr = start(script(Heartbeat::Ignore)).await;
    let (r, _) = scan(&addr.to_string()).await;
    let f = r.features.as_ref().unwrap();
    assert_eq!(
        f.heartbleed,
        Fact::no(
            "TLSv1.2 heartbeat request claiming 16384 payload bytes with 4 sent got no answer within 3s (a vulnerable server answers at once)"
        )
    );
    // A patched server answers the well-formed request sent after the over-long one: its
    // answer, not the 3 s cap, ends the wait (the evidence says it was answered).
    let addr = start(script(Heartbeat::Patched)).await;
    let (r, _) = scan(&addr.to_string()).await;
    let f = r.features.as_ref().unwrap();
    assert_eq!(
        f.heartbleed,
        Fact::no(
            "TLSv1.2 heartbeat request claiming 16384 payload bytes with 4 sent got no answer; a well-formed heartbeat request sent after it was answered in kind (the over-long one was discarded)"
        )
    );
}
