//! A scripted server for what no real server here will do: SSLv2 and SSLv3 answers, a server
//! that chokes on hellos over 255 bytes, and hostile answers. It parses hellos with our own
//! wire layer and answers with exact bytes.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use tlsaudit::engine::EngineConfig;
use tlsaudit::registry;
use tlsaudit::report::TlsVersion::*;
use tlsaudit::scan::ScanOptions;
use tlsaudit::wire::sslv2::{CipherKind, Sslv2ClientHello, Sslv2ServerHello};
use tlsaudit::wire::{
    encode_records, CertificateList, CipherSuite, Codec, ContentType, Deframer, Extension,
    ExtensionType, Frame, HandshakeMessage, KeyShareClientHello, KeyShareEntry, NamedGroup,
    ProtocolVersion, ProtocolVersionList, ServerHello, HRR_RANDOM,
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
            let usable = |c: &CipherSuite| {
                version == ProtocolVersion::TLS12
                    || !registry::suite(*c).is_some_and(|i| i.tls12_only)
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
            let mut flight = HandshakeMessage::ServerHello(ServerHello {
                legacy_version: version,
                random: [3; 32],
                session_id: vec![],
                cipher_suite: suite,
                compression_method: 0,
                extensions: None,
            })
            .to_bytes();
            flight.extend(
                HandshakeMessage::Certificate(CertificateList(vec![DUMMY_CERT.to_vec()]))
                    .to_bytes(),
            );
            flight.extend(HandshakeMessage::ServerHelloDone.to_bytes());
            encode_records(ContentType::HANDSHAKE, version, &flight)
        }
    };
    let _ = stream.write_all(&answer).await;
    let _ = stream.read(&mut buf).await;
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
            exts.push(Extension::new(
                ExtensionType::KEY_SHARE,
                &NamedGroup::X25519,
            ));
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

#[tokio::test]
async fn silent_server_times_out_on_every_probe() {
    let addr = start(Script {
        silent: true,
        ..Default::default()
    })
    .await;
    let cfg = EngineConfig {
        read_timeout: Duration::from_millis(300),
        retries: 0,
        ..Default::default()
    };
    let opts = ScanOptions {
        versions: vec![Tls12, Tls13],
        ..Default::default()
    };
    let (r, _) = scan_with(&addr.to_string(), cfg, opts).await;
    assert_eq!(versions(&r), vec![]);
    assert!(
        r.protocols.iter().all(|p| p.evidence.contains("timeout")),
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
