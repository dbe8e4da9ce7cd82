//! The hostile-server suite (issue 13, item 3): one scripted server whose connection policy is a
//! [`Behaviour`], and one table of cases, each the exact entry a scan of such a server must
//! carry. Every case is one scan with short timeouts and no retries; the cases run at once, and
//! each is wrapped in a timeout of its own so a hang fails the suite instead of blocking it.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fixtures::servers::{openssl_s_server, self_signed, KeyType};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use tlsaudit::audit::AuditOptions;
use tlsaudit::enumerate::{ScanOptions, Target};
use tlsaudit::facts::TlsVersion::{self, *};
use tlsaudit::facts::{Answer, ErrorReason, SectionStatus, Stage, Starttls};
use tlsaudit::probe::engine::{Engine, EngineConfig};
use tlsaudit::report::TargetReport;
use tlsaudit::wire::{
    encode_records, CertificateList, CipherSuite, Codec, ContentType, Deframer, Extension,
    ExtensionType, Frame, HandshakeMessage, ProtocolVersion, ServerHello, HRR_RANDOM,
};

/// The engine's byte ceiling for one flight ([`EngineConfig::default`]).
const CEILING: usize = 256 * 1024;

/// How the scripted server treats every connection it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// Accept and never send a byte.
    SilentAfterAccept,
    /// Close as soon as the connection is accepted.
    CloseAtOnce,
    /// Reset the connection on the hello (SO_LINGER 0, then close). Reset before the hello
    /// races the client's connect: it ends as either a connect error or a reset read, both
    /// naming the reset; on the hello the outcome is one.
    ResetOnHello,
    /// Answer the hello with an HTTP response.
    Http,
    /// A well-formed TLS 1.2 flight, one byte per second.
    OneBytePerSecond,
    /// A record header claiming 65,535 bytes, more than any TLS record may hold.
    RecordClaims64K,
    /// A handshake message header claiming 16 MB inside a well-formed record.
    HandshakeClaims16M,
    /// A ServerHello, then ServerKeyExchange records for ever, never ServerHelloDone.
    EndlessHandshakeRecords,
    /// A ServerHello whose handshake length is ten bytes short of its body.
    WrongLengthField,
    /// A ServerHello whose extensions block claims more bytes than it has.
    TruncatedExtensions,
    /// A ServerHello carrying renegotiation_info twice.
    DuplicateExtensions,
    /// A ServerHello choosing 0xfefe, which we never offer.
    SuiteNotOffered,
    /// A ServerHello with legacy_version 0x0000.
    Version0000,
    /// A ServerHello with legacy_version 0xffff.
    VersionFfff,
    /// A HelloRetryRequest for secp256r1 (offered, but with no key share) to every hello,
    /// the second one on the connection included.
    HrrAfterHrr,
    /// A HelloRetryRequest naming group 0xfefe, which we never offer.
    HrrUnofferedGroup,
    /// A ServerHello, then a Certificate message claiming 16 MB.
    CertificateClaims16M,
    /// A complete flight whose Certificate carries 1,000 certificates.
    Chain1000,
    /// A complete flight whose certificate is four bytes of garbage.
    GarbageDer,
    /// A complete flight whose certificate is 20,000 nested SEQUENCEs.
    DeeplyNestedDer,
    /// Warning alerts for ever.
    AlertFlood,
    /// Zero-length handshake records for ever.
    ZeroLengthRecords,
    /// An SSLv2 SERVER-HELLO whose certificate length runs past the message.
    Sslv2Overflow,
    /// A complete flight to the first connection; silence to every later one.
    FirstConnectionOnly,
    /// A TLS 1.3 ServerHello followed by garbage.
    GarbageAfterTls13Hello,
    /// ChangeCipherSpec records for ever.
    CcsFlood,
    /// A record of content type 0xff.
    ContentTypeFf,
    /// 100 MB of random bytes, written lazily until the client goes.
    RandomFlood,
    /// 20 seconds before the first byte.
    SlowFirstByte,
    /// An application_data record instead of a ServerHello.
    ApplicationDataFirst,
    /// ServerHelloDone without a ServerHello.
    HelloDoneFirst,
    /// An alert record with no payload.
    EmptyAlert,
    /// A ServerHello with a 33-byte session id (RFC 5246 section 7.4.1.3: at most 32).
    SessionId33,
    /// A 16 KB heartbeat record instead of a ServerHello.
    HeartbeatFirst,
    /// A TLS 1.2 flight echoing heartbeat, then 64 KB of heartbeat response to a heartbeat
    /// request, in four full records (what OpenSSL 1.0.1f sends for a 0xffff claim).
    Heartbeat64K,
    /// The same flight, then one heartbeat record whose header claims 65,535 bytes.
    HeartbeatRecordClaims64K,
    /// A complete, well-formed flight in one-byte records (a legal, if odd, server).
    OneByteRecords,
    /// SMTP: a greeting of continuation lines (`220-`) for ever.
    SmtpEndlessGreeting,
    /// SMTP: half a greeting line, then silence.
    SmtpGreetingStalls,
    /// FTP: a multi-line greeting that never ends.
    FtpEndlessGreeting,
    /// IMAP: one greeting line that never ends.
    ImapEndlessLine,
    /// IRC: NOTICE lines for ever, never an answer to STARTTLS.
    IrcEndlessNotices,
    /// ManageSieve: capability lines for ever, never the OK that ends the greeting.
    SieveEndlessCapabilities,
    /// XMPP: a stream header and features that never close.
    XmppEndlessFeatures,
    /// LDAP: an LDAPMessage whose length claims 2 GB.
    LdapClaims2G,
    /// MySQL: a handshake packet whose header claims 16 MB.
    MysqlClaims16M,
    /// LMTP: a greeting of continuation lines (`220-`) for ever.
    LmtpEndlessGreeting,
}

use Behaviour::*;

/// Starts a server behaving as `b` on 127.0.0.1; it lives as long as the test's runtime.
async fn start(b: Behaviour) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let nth = accepted.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(30), serve(stream, b, nth)).await;
            });
        }
    });
    addr
}

async fn serve(mut s: TcpStream, b: Behaviour, nth: usize) {
    match b {
        SilentAfterAccept => return hold(s).await,
        CloseAtOnce => return,
        SlowFirstByte => {
            tokio::time::sleep(Duration::from_secs(20)).await;
            let _ = s.write_all(&flight12(&sh12(0xc02f))).await;
            return;
        }
        FirstConnectionOnly if nth > 0 => return hold(s).await,
        SmtpEndlessGreeting => return flood(&mut s, &[], b"220-still greeting\r\n").await,
        SmtpGreetingStalls => {
            let _ = s.write_all(b"220-mail.example ESMTP").await;
            return hold(s).await;
        }
        FtpEndlessGreeting => return flood(&mut s, b"220-welcome\r\n", b"more\r\n").await,
        ImapEndlessLine => return flood(&mut s, b"* OK ", b"[CAPABILITY IMAP4rev1] ").await,
        IrcEndlessNotices => {
            return flood(
                &mut s,
                &[],
                b":irc.example NOTICE * :*** Looking up your host\r\n",
            )
            .await
        }
        SieveEndlessCapabilities => return flood(&mut s, &[], b"\"SASL\" \"PLAIN\"\r\n").await,
        XmppEndlessFeatures => {
            return flood(
                &mut s,
                b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><stream:features>",
                b"<x/>",
            )
            .await
        }
        LdapClaims2G => {
            let _ = s.write_all(&[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]).await;
            return hold(s).await;
        }
        MysqlClaims16M => {
            let _ = s.write_all(&[0xff, 0xff, 0xff, 0, 10]).await;
            return hold(s).await;
        }
        LmtpEndlessGreeting => return flood(&mut s, &[], b"220-still greeting\r\n").await,
        _ => {}
    }
    let mut buf = vec![0u8; 16 * 1024];
    let Ok(n) = s.read(&mut buf).await else {
        return;
    };
    if n == 0 {
        return;
    }
    // The suite a well-behaved answer chooses: ours, if the hello offers it (the certificates
    // stage offers one kind of suite at a time), else the first the hello offers.
    let (offered, session_id) = offer(&buf[..n]);
    let pick = |preferred: u16| {
        if offered.is_empty() || offered.contains(&preferred) {
            preferred
        } else {
            offered[0]
        }
    };
    let once: Vec<u8> = match b {
        Http => b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec(),
        OneBytePerSecond => {
            for byte in flight12(&sh12(0xc02f)) {
                if s.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            return;
        }
        RecordClaims64K => vec![22, 3, 3, 0xff, 0xff, 2, 0, 0],
        HandshakeClaims16M => rec(22, &[&[2, 0xff, 0xff, 0xff][..], &[0; 100]].concat()),
        EndlessHandshakeRecords => {
            let ske = rec(22, &hs(12, &[0x42; 1000]));
            flood(&mut s, &rec(22, &sh12(0xc02f)), &ske).await;
            return;
        }
        WrongLengthField => {
            let mut m = sh12(0xc02f);
            m[3] -= 10;
            flight12(&m)
        }
        TruncatedExtensions => {
            // ServerHello body: version, random, empty session id, suite, compression, then
            // an extensions block claiming 100 bytes and holding 4.
            let mut body = vec![3, 3];
            body.extend([7; 32]);
            body.extend([0, 0xc0, 0x2f, 0, 0, 100, 0xff, 0x01, 0, 0]);
            flight12(&hs(2, &body))
        }
        DuplicateExtensions => {
            let reneg = Extension {
                typ: ExtensionType(0xff01),
                data: vec![0],
            };
            flight12(&sh(0x0303, 0xc02f, vec![reneg.clone(), reneg]))
        }
        SuiteNotOffered => flight12(&sh12(0xfefe)),
        Version0000 => flight12(&sh(0x0000, 0xc02f, vec![])),
        VersionFfff => flight12(&sh(0xffff, 0xc02f, vec![])),
        HrrAfterHrr => {
            let hrr = rec(22, &hrr(pick(0x1301), 0x0017, &session_id));
            // Every hello on this connection, the retried one too, gets another HRR.
            while s.write_all(&hrr).await.is_ok() {
                if !matches!(s.read(&mut buf).await, Ok(n) if n > 0) {
                    return;
                }
            }
            return;
        }
        HrrUnofferedGroup => rec(22, &hrr(pick(0x1301), 0xfefe, &session_id)),
        CertificateClaims16M => [
            rec(22, &sh12(0xc02f)),
            rec(22, &[&[11, 0xff, 0xff, 0xff][..], &[0; 100]].concat()),
        ]
        .concat(),
        ResetOnHello => {
            // Deprecated because a non-zero linger blocks the thread on drop; zero does not:
            // the close sends RST at once.
            #[allow(deprecated)]
            let _ = s.set_linger(Some(Duration::ZERO));
            return;
        }
        Chain1000 => flight12_with_certs(pick(0xc02f), vec![der_integer(); 1000]),
        GarbageDer => flight12_with_certs(pick(0xc02f), vec![vec![0xde, 0xad, 0xbe, 0xef]]),
        DeeplyNestedDer => flight12_with_certs(pick(0xc02f), vec![nested_der()]),
        AlertFlood => {
            flood(&mut s, &[], &rec(21, &[1, 112])).await;
            return;
        }
        ZeroLengthRecords => {
            flood(&mut s, &[], &[22, 3, 3, 0, 0]).await;
            return;
        }
        Sslv2Overflow => {
            // SERVER-HELLO: type 4, hit, cert type, version 0x0002, certificate length
            // 0xffff, cipher specs length 3, connection id length 16; then 8 bytes.
            let body = [
                4, 0, 1, 0, 2, 0xff, 0xff, 0, 3, 0, 16, 1, 2, 3, 4, 5, 6, 7, 8,
            ];
            [&[0x80, body.len() as u8][..], &body].concat()
        }
        FirstConnectionOnly => flight12(&sh12(0xc02f)),
        GarbageAfterTls13Hello => {
            let mut key_share = vec![0x00, 0x1d, 0, 32];
            key_share.extend([9; 32]);
            let exts = vec![
                Extension::new(ExtensionType::SUPPORTED_VERSIONS, &ProtocolVersion::TLS13),
                Extension {
                    typ: ExtensionType::KEY_SHARE,
                    data: key_share,
                },
            ];
            let mut out = rec(22, &sh(0x0303, pick(0x1301), exts));
            out.extend([0x5a; 4096]);
            out
        }
        CcsFlood => {
            flood(&mut s, &[], &rec(20, &[1])).await;
            return;
        }
        ContentTypeFf => vec![0xff, 3, 3, 0, 2, 2, 40],
        RandomFlood => {
            random_flood(&mut s, 100 << 20).await;
            return;
        }
        ApplicationDataFirst => rec(23, &[0x17; 64]),
        HelloDoneFirst => rec(22, &hs(14, &[])),
        EmptyAlert => vec![21, 3, 3, 0, 0],
        SessionId33 => {
            let mut m = sh12(0xc02f);
            // Splice a 33-byte session id in place of the empty one, fixing the length.
            m[38] = 33;
            m.splice(39..39, [5; 33]);
            let len = m.len() - 4;
            m[1..4].copy_from_slice(&(len as u32).to_be_bytes()[1..]);
            flight12(&m)
        }
        HeartbeatFirst => rec(24, &[0x18; 16 * 1024]),
        Heartbeat64K | HeartbeatRecordClaims64K => {
            let echo = Extension {
                typ: ExtensionType::HEARTBEAT,
                data: vec![1],
            };
            let flight = flight12(&sh(0x0303, pick(0xc02f), vec![echo]));
            if s.write_all(&flight).await.is_err() {
                return;
            }
            // The heartbeat request(s) follow the flight.
            if !matches!(s.read(&mut buf).await, Ok(n) if n > 0) {
                return;
            }
            // heartbeat_response (2), payload_length 0xffff, 65,535 bytes of "memory" and
            // 16 of padding (RFC 6520 section 4).
            let response = [&[2, 0xff, 0xff][..], &[0x6d; 0xffff + 16]].concat();
            if b == Heartbeat64K {
                encode_records(ContentType(24), ProtocolVersion::TLS12, &response)
            } else {
                [&[24, 3, 3, 0xff, 0xff][..], &response[..0xffff]].concat()
            }
        }
        OneByteRecords => {
            let msgs = [sh12(0xc02f), hs(14, &[])].concat();
            msgs.iter().flat_map(|b| rec(22, &[*b])).collect()
        }
        SilentAfterAccept
        | CloseAtOnce
        | SlowFirstByte
        | SmtpEndlessGreeting
        | SmtpGreetingStalls
        | FtpEndlessGreeting
        | ImapEndlessLine
        | IrcEndlessNotices
        | SieveEndlessCapabilities
        | XmppEndlessFeatures
        | LdapClaims2G
        | MysqlClaims16M
        | LmtpEndlessGreeting => return,
    };
    let _ = s.write_all(&once).await;
    hold(s).await;
}

/// Keeps the connection open without a word until the client goes.
async fn hold(mut s: TcpStream) {
    let mut buf = [0u8; 1024];
    while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
}

/// Writes `head`, then `unit` until the client goes.
async fn flood(s: &mut TcpStream, head: &[u8], unit: &[u8]) {
    if s.write_all(head).await.is_err() {
        return;
    }
    let chunk = unit.repeat((16 * 1024 / unit.len()).max(1));
    while s.write_all(&chunk).await.is_ok() {}
}

/// Writes up to `total` random bytes, generated as they go, until the client goes.
async fn random_flood(s: &mut TcpStream, total: usize) {
    // Seeded, so the first bytes (and with them the error) are the same on every run.
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(13);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut sent = 0;
    while sent < total {
        rand::RngCore::fill_bytes(&mut rng, &mut chunk);
        if s.write_all(&chunk).await.is_err() {
            return;
        }
        sent += chunk.len();
    }
}

/// The cipher suites and the legacy_session_id of the ClientHello at the start of `hello`;
/// empty if it is not one.
fn offer(hello: &[u8]) -> (Vec<u16>, Vec<u8>) {
    let mut deframer = Deframer::default();
    deframer.push(hello);
    let Ok(Some(Frame::Record { payload, .. })) = deframer.pop() else {
        return (vec![], vec![]);
    };
    match HandshakeMessage::from_bytes(&payload) {
        Ok(HandshakeMessage::ClientHello(ch)) => (
            ch.cipher_suites.iter().map(|c| c.0).collect(),
            ch.session_id,
        ),
        _ => (vec![], vec![]),
    }
}

fn rec(content_type: u8, payload: &[u8]) -> Vec<u8> {
    encode_records(ContentType(content_type), ProtocolVersion::TLS12, payload)
}

fn hs(typ: u8, body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_be_bytes();
    [&[typ, len[1], len[2], len[3]][..], body].concat()
}

fn sh(version: u16, suite: u16, extensions: Vec<Extension>) -> Vec<u8> {
    HandshakeMessage::ServerHello(ServerHello {
        legacy_version: ProtocolVersion(version),
        random: [7; 32],
        session_id: vec![],
        cipher_suite: CipherSuite(suite),
        compression_method: 0,
        extensions: (!extensions.is_empty()).then_some(extensions),
    })
    .to_bytes()
}

fn sh12(suite: u16) -> Vec<u8> {
    sh(0x0303, suite, vec![])
}

/// A HelloRetryRequest (RFC 8446 section 4.1.4) choosing `suite` and asking for `group`.
/// It echoes the client's `session_id` (RFC 8446 section 4.1.3).
fn hrr(suite: u16, group: u16, session_id: &[u8]) -> Vec<u8> {
    HandshakeMessage::ServerHello(ServerHello {
        legacy_version: ProtocolVersion::TLS12,
        random: HRR_RANDOM,
        session_id: session_id.to_vec(),
        cipher_suite: CipherSuite(suite),
        compression_method: 0,
        extensions: Some(vec![
            Extension::new(ExtensionType::SUPPORTED_VERSIONS, &ProtocolVersion::TLS13),
            Extension {
                typ: ExtensionType::KEY_SHARE,
                data: group.to_be_bytes().to_vec(),
            },
        ]),
    })
    .to_bytes()
}

/// `server_hello` then ServerHelloDone, each in its own record.
fn flight12(server_hello: &[u8]) -> Vec<u8> {
    [rec(22, server_hello), rec(22, &hs(14, &[]))].concat()
}

fn flight12_with_certs(suite: u16, certs: Vec<Vec<u8>>) -> Vec<u8> {
    let cert = HandshakeMessage::Certificate(CertificateList(certs)).to_bytes();
    [rec(22, &sh12(suite)), rec(22, &cert), rec(22, &hs(14, &[]))].concat()
}

/// A DER INTEGER: well-formed, and no certificate.
fn der_integer() -> Vec<u8> {
    vec![0x02, 0x01, 0x01]
}

/// 20,000 nested DER SEQUENCEs around nothing, with minimal definite lengths (about 100 KB),
/// made once. Each header only needs the length inside it: the bytes are laid down inner
/// first, backwards, and turned round at the end.
fn nested_der() -> Vec<u8> {
    static DER: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    DER.get_or_init(|| {
        let mut backwards: Vec<u8> = Vec::new();
        for _ in 0..20_000 {
            let inner = backwards.len();
            let [_, hi, mid, lo] = (inner as u32).to_be_bytes();
            let header: &[u8] = match inner {
                0..=0x7f => &[0x30, lo],
                0x80..=0xff => &[0x30, 0x81, lo],
                0x100..=0xffff => &[0x30, 0x82, mid, lo],
                _ => &[0x30, 0x83, hi, mid, lo],
            };
            backwards.extend(header.iter().rev());
        }
        backwards.reverse();
        backwards
    })
    .clone()
}

/// What the scanned target's entry must say.
#[derive(Debug)]
enum Expect {
    /// The target failed as a whole: this reason, and an error ending in this text (after
    /// the address).
    Target(ErrorReason, &'static str),
    /// The version's section: its status, whether the version is supported, and its evidence
    /// (exactly; `{ceiling}` stands for the engine's byte ceiling).
    Version(TlsVersion, SectionStatus, bool, &'static str),
    /// The version's section ended in an error containing this text.
    VersionError(TlsVersion, &'static str),
    /// TLS 1.2 supported, and the certificate stage completed on a chain of this many
    /// certificates, the first of which is reported unparsable with this evidence.
    CertParseError(usize, &'static str),
    /// TLS 1.2 supported with these suites, and not enumerated (the list is not complete).
    PartialSuites(&'static [u16]),
    /// The certificate stage ended in an error containing this text.
    CertsError(&'static str),
    /// TLS 1.3 supported, and the groups section ended in an error containing this text.
    GroupsError(&'static str),
    /// TLS 1.2 supported, and the features stage's Heartbleed fact is this answer with
    /// evidence containing this text.
    Heartbleed(Answer, &'static str),
}

struct Case {
    behaviour: Behaviour,
    /// Versions scanned (one is enough for nearly every behaviour).
    versions: &'static [TlsVersion],
    /// Stages beyond `versions`, for behaviours only they reach.
    stages: &'static [Stage],
    /// The plaintext preamble before TLS.
    starttls: Option<Starttls>,
    /// A flood: the scan must end before the read timeout, so the byte ceiling (or the first
    /// bad record) ended it, not the clock.
    flood: bool,
    expect: Expect,
}

const fn case(behaviour: Behaviour, versions: &'static [TlsVersion], expect: Expect) -> Case {
    Case {
        behaviour,
        versions,
        stages: &[],
        starttls: None,
        flood: false,
        expect,
    }
}

const fn flood_case(behaviour: Behaviour, expect: Expect) -> Case {
    Case {
        flood: true,
        ..case(behaviour, &[Tls12], expect)
    }
}

/// A STARTTLS server misbehaving in its plaintext preamble: the target fails with this error.
fn starttls(protocol: Starttls, behaviour: Behaviour, error: &'static str) -> Case {
    Case {
        starttls: Some(protocol),
        ..case(
            behaviour,
            &[Tls12],
            Target(ErrorReason::StarttlsFailed, error),
        )
    }
}

use Expect::*;
use SectionStatus::Completed;

const OVER_CEILING: &str = "malformed answer: answer exceeds {ceiling} bytes";
const SILENT: &str = concat!(
    ": the server accepted TCP connections but never answered",
    " (not a byte within the read timeout of 1s)"
);
const SUPPORTED12: Expect = Version(
    Tls12,
    Completed,
    true,
    "ServerHello TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
);
const SUPPORTED13: Expect = Version(
    Tls13,
    Completed,
    true,
    "ServerHello TLSv1.3 TLS_AES_128_GCM_SHA256",
);

/// TLS 1.2 not supported, for this reason.
const fn no(evidence: &'static str) -> Expect {
    Version(Tls12, Completed, false, evidence)
}

fn table() -> Vec<Case> {
    let t12: &[TlsVersion] = &[Tls12];
    let t13: &[TlsVersion] = &[Tls13];
    vec![
        case(SilentAfterAccept, t12, Target(ErrorReason::Silent, SILENT)),
        case(CloseAtOnce, t12, no("connection closed without an answer")),
        case(ResetOnHello, t12, no("connection reset")),
        case(Http, t12, no("malformed answer: invalid record: content type 72 is not TLS")),
        // One byte, then the read timeout: an answer began, so not silent.
        case(OneBytePerSecond, t12, no("no answer before the timeout")),
        case(
            RecordClaims64K,
            t12,
            no("malformed answer: invalid record: length 65535 exceeds 18432"),
        ),
        case(
            HandshakeClaims16M,
            t12,
            no("malformed answer: invalid handshake message: length 16777215 exceeds the limit of {ceiling}"),
        ),
        // The version is supported (the ServerHello says so); the flight is cut at the
        // ceiling, long before the read timeout.
        flood_case(EndlessHandshakeRecords, SUPPORTED12),
        case(WrongLengthField, t12, no("malformed answer: truncated ServerHello.random")),
        case(TruncatedExtensions, t12, no("malformed answer: truncated extensions")),
        // Duplicates break RFC 8446 section 4.2, but the version and suite chosen are plain.
        case(DuplicateExtensions, t12, SUPPORTED12),
        case(
            SuiteNotOffered,
            t12,
            VersionError(Tls12, "server chose 0xfefe, which was not offered"),
        ),
        case(Version0000, t12, no("server negotiated 0x0000 instead")),
        case(VersionFfff, t12, no("server negotiated 0xffff instead")),
        // A HelloRetryRequest selects TLS 1.3 and a suite (RFC 8446 section 4.1.4).
        case(HrrAfterHrr, t13, SUPPORTED13),
        // The groups stage asks with one group at a time: an HRR for another is an error.
        Case {
            stages: &[Stage::Groups],
            ..case(
                HrrAfterHrr,
                t13,
                GroupsError("server asked for secp256r1, which was not offered"),
            )
        },
        // The certificate stage's handshake client answers the first HRR; RFC 8446 section
        // 4.1.4: a second one aborts the handshake.
        Case {
            stages: &[Stage::Certs],
            ..case(
                HrrAfterHrr,
                t13,
                CertsError(
                    "TLSv1.3 handshake offering any: received unexpected handshake message: \
                     got HelloRetryRequest when expecting ServerHello",
                ),
            )
        },
        case(HrrUnofferedGroup, t13, SUPPORTED13),
        case(CertificateClaims16M, t12, SUPPORTED12),
        Case {
            stages: &[Stage::Certs],
            ..case(
                Chain1000,
                t12,
                CertParseError(
                    1000,
                    "Parsing Error: Der(UnexpectedTag { expected: Some(Tag(16)), actual: Tag(2) })",
                ),
            )
        },
        Case {
            stages: &[Stage::Certs],
            ..case(
                GarbageDer,
                t12,
                CertParseError(1, "Parsing requires 43 bytes/chars"),
            )
        },
        Case {
            stages: &[Stage::Certs],
            ..case(
                DeeplyNestedDer,
                t12,
                CertParseError(1, "Parsing Error: InvalidSerial"),
            )
        },
        flood_case(AlertFlood, no(OVER_CEILING)),
        flood_case(ZeroLengthRecords, no(OVER_CEILING)),
        case(
            Sslv2Overflow,
            &[Ssl2],
            Version(Ssl2, Completed, false, "malformed answer: truncated SERVER-HELLO.certificate"),
        ),
        // One suite from the first connection, then silence: the list is not all it takes.
        Case {
            stages: &[Stage::Suites],
            ..case(FirstConnectionOnly, t12, PartialSuites(&[0xc02f]))
        },
        // We stop reading at a TLS 1.3 ServerHello: what follows is encrypted, or garbage.
        case(GarbageAfterTls13Hello, t13, SUPPORTED13),
        flood_case(CcsFlood, no("malformed answer: unexpected change_cipher_spec record")),
        case(
            ContentTypeFf,
            t12,
            no("malformed answer: SSLv2 record or content type >= 128 in answer to a TLS hello"),
        ),
        flood_case(
            RandomFlood,
            no("malformed answer: SSLv2 record or content type >= 128 in answer to a TLS hello"),
        ),
        case(SlowFirstByte, t12, Target(ErrorReason::Silent, SILENT)),
        case(
            ApplicationDataFirst,
            t12,
            no("malformed answer: unexpected application_data record"),
        ),
        case(
            HelloDoneFirst,
            t12,
            no("malformed answer: expected ServerHello, got server_hello_done"),
        ),
        case(EmptyAlert, t12, no("malformed answer: truncated Alert.level")),
        // RFC 5246 section 7.4.1.3 allows 32 bytes; clients abort on more.
        case(
            SessionId33,
            t12,
            no("malformed answer: invalid ServerHello.session_id: longer than 32"),
        ),
        case(HeartbeatFirst, t12, no("malformed answer: unexpected heartbeat record")),
        // The first record of the leak decides; the rest is never read.
        Case {
            stages: &[Stage::Features],
            ..case(
                Heartbeat64K,
                t12,
                Heartbleed(
                    Answer::Yes,
                    "was answered by a 16384-byte heartbeat response",
                ),
            )
        },
        Case {
            stages: &[Stage::Features],
            ..case(
                HeartbeatRecordClaims64K,
                t12,
                Heartbleed(
                    Answer::NotDetermined,
                    "was answered by a malformed answer: invalid record: length 65535 exceeds 18432",
                ),
            )
        },
        case(OneByteRecords, t12, SUPPORTED12),
        starttls(
            Starttls::Smtp,
            SmtpEndlessGreeting,
            ": STARTTLS (smtp): reply has too many lines",
        ),
        starttls(Starttls::Smtp, SmtpGreetingStalls, ": STARTTLS (smtp) timed out"),
        starttls(Starttls::Ftp, FtpEndlessGreeting, ": STARTTLS (ftp): reply has too many lines"),
        starttls(
            Starttls::Imap,
            ImapEndlessLine,
            ": STARTTLS (imap): reply line too long: not the protocol asked for?",
        ),
        starttls(
            Starttls::Irc,
            IrcEndlessNotices,
            ": STARTTLS (irc): no answer to STARTTLS among the server's first lines",
        ),
        starttls(
            Starttls::Sieve,
            SieveEndlessCapabilities,
            ": STARTTLS (sieve): a response of too many lines",
        ),
        starttls(
            Starttls::Xmpp,
            XmppEndlessFeatures,
            ": STARTTLS (xmpp): more than 16384 bytes without the stream features",
        ),
        starttls(
            Starttls::Ldap,
            LdapClaims2G,
            ": STARTTLS (ldap): a response of 2147483647 bytes (more than 16384): not an LDAP server?",
        ),
        starttls(
            Starttls::Mysql,
            MysqlClaims16M,
            ": STARTTLS (mysql): not a MySQL handshake packet, server said bytes ff ff ff 00 0a",
        ),
        starttls(
            Starttls::Lmtp,
            LmtpEndlessGreeting,
            ": STARTTLS (lmtp): reply has too many lines",
        ),
    ]
}

fn engine() -> Engine {
    engine_with(Duration::from_secs(1))
}

/// A flood case reads with a long timeout: if the scan still ends long before it, the byte
/// ceiling (or the first bad record) ended it, not the clock.
const FLOOD_READ_TIMEOUT: Duration = Duration::from_secs(20);

fn engine_with(read_timeout: Duration) -> Engine {
    Engine::new(EngineConfig {
        connect_timeout: Duration::from_secs(1),
        read_timeout,
        retries: 0,
        ..EngineConfig::default()
    })
}

fn options(versions: &[TlsVersion], extra: &[Stage]) -> ScanOptions {
    let mut stages: BTreeSet<Stage> = [Stage::Versions].into();
    stages.extend(extra);
    ScanOptions {
        versions: versions.to_vec(),
        stages,
        sni: Some("localhost".into()),
        ..ScanOptions::default()
    }
}

/// How `r` differs from `expect`, if it does.
fn mismatch(r: &TargetReport, expect: &Expect) -> Option<String> {
    let got = match expect {
        Target(reason, text) => {
            if r.error_reason == Some(*reason)
                && r.error.as_deref().is_some_and(|e| e.ends_with(text))
            {
                return None;
            }
            format!("error_reason {:?}, error {:?}", r.error_reason, r.error)
        }
        Version(v, status, supported, evidence) => {
            let p = r.protocol(*v)?;
            let evidence = evidence.replace("{ceiling}", &CEILING.to_string());
            if r.error.is_none()
                && p.status == *status
                && p.supported == *supported
                && p.evidence == evidence
            {
                return None;
            }
            format!(
                "error {:?}, {:?} status {:?} supported {} evidence {:?}",
                r.error, v, p.status, p.supported, p.evidence
            )
        }
        VersionError(v, text) => {
            let p = r.protocol(*v)?;
            if p.status == SectionStatus::Error
                && p.error.as_deref().is_some_and(|e| e.contains(text))
            {
                return None;
            }
            format!(
                "{:?} status {:?} error {:?} evidence {:?}",
                v, p.status, p.error, p.evidence
            )
        }
        CertParseError(count, evidence) => {
            let c = r.certificates.as_ref()?;
            let chain_len = c.chains.first().map(|ch| ch.certificates.len());
            let want = format!("certificate does not parse: {evidence}");
            let parse_error = c.findings.iter().find(|f| f.id == "cert.parse_error");
            if mismatch(r, &SUPPORTED12).is_none()
                && c.status == Completed
                && chain_len == Some(*count)
                && parse_error
                    .and_then(|f| f.evidence.as_deref())
                    .is_some_and(|e| e.ends_with(&want))
            {
                return None;
            }
            format!(
                "certificates status {:?} chain length {chain_len:?} parse_error {parse_error:?}",
                c.status
            )
        }
        PartialSuites(want) => {
            let p = r.protocol(Tls12)?;
            let got: Vec<String> = p.cipher_suites.iter().map(|c| c.id.clone()).collect();
            let want: Vec<String> = want.iter().map(|c| format!("0x{c:04x}")).collect();
            if mismatch(r, &SUPPORTED12).is_none() && got == want && !p.suites_enumerated {
                return None;
            }
            format!("suites {got:?}, suites_enumerated {}", p.suites_enumerated)
        }
        CertsError(text) => {
            let c = r.certificates.as_ref()?;
            if c.status == SectionStatus::Error
                && c.error.as_deref().is_some_and(|e| e.contains(text))
            {
                return None;
            }
            format!(
                "certificates status {:?} error {:?} findings {:?}",
                c.status, c.error, c.findings
            )
        }
        GroupsError(text) => {
            let g = r.groups.as_ref()?;
            if mismatch(r, &SUPPORTED13).is_none()
                && g.status == SectionStatus::Error
                && g.error.as_deref().is_some_and(|e| e.contains(text))
            {
                return None;
            }
            format!("groups status {:?} error {:?}", g.status, g.error)
        }
        Heartbleed(answer, text) => {
            let f = r.features.as_ref()?;
            let h = &f.heartbleed;
            if mismatch(r, &SUPPORTED12).is_none()
                && h.answer == *answer
                && h.evidence.contains(text)
            {
                return None;
            }
            format!("features status {:?} heartbleed {h:?}", f.status)
        }
    };
    Some(got)
}

async fn run(case: &Case) -> Result<Duration, String> {
    let addr = start(case.behaviour).await;
    let target = Target::parse(&addr.to_string(), 443).expect("an address parses");
    let opts = ScanOptions {
        starttls: case.starttls,
        ..options(case.versions, case.stages)
    };
    let started = Instant::now();
    let engine = if case.flood {
        engine_with(FLOOD_READ_TIMEOUT)
    } else {
        engine()
    };
    let audit = AuditOptions::default();
    let scan = tlsaudit::audit::scan_target(&engine, &target, &opts, &audit);
    // A bound on a hang, far past every timeout a case can meet, not a measure of speed.
    let (r, _) = tokio::time::timeout(Duration::from_secs(60), scan)
        .await
        .map_err(|_| format!("{:?}: the scan did not end within 60 s", case.behaviour))?;
    let took = started.elapsed();
    if case.flood && took >= engine.config().read_timeout {
        return Err(format!(
            "{:?}: took {took:?}: the flood was read until the timeout, not the ceiling",
            case.behaviour
        ));
    }
    match mismatch(&r, &case.expect) {
        None => Ok(took),
        Some(got) => Err(format!(
            "{:?} {:?}: expected {:?}\n    got {got}",
            case.behaviour, case.stages, case.expect
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_servers_end_in_the_exact_error_each_deserves() {
    let cases = table();
    assert!(cases.len() >= 30, "{} behaviours", cases.len());
    let results = futures::future::join_all(cases.iter().map(run)).await;
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    crate::common::assert_no_failures(&failures, cases.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_servers_in_the_same_run_leave_a_real_one_unaffected() {
    if !crate::common::require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let real = openssl_s_server("beside-hostile", &cert, &["-tls1_2"]).unwrap();
    let mut inputs = Vec::new();
    for b in [
        SilentAfterAccept,
        RandomFlood,
        AlertFlood,
        ResetOnHello,
        Http,
    ] {
        inputs.push(start(b).await.to_string());
    }
    inputs.insert(2, real.target());
    let run = tlsaudit::audit::scan_all(
        inputs.clone(),
        engine(),
        options(&[Tls12, Tls13], &[]),
        AuditOptions::default(),
        inputs.len(),
        None,
    )
    .collect::<Vec<_>>();
    let mut reports = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the run ends");
    // Yielded as they finish; each carries its input's position.
    reports.sort_by_key(|(i, _)| *i);
    let reports: Vec<_> = reports.into_iter().map(|(_, r)| r).collect();
    let r = &reports[2];
    assert_eq!(r.target, real.target());
    assert_eq!(r.error, None);
    let p12 = r.protocol(Tls12).unwrap();
    assert!(p12.supported, "{}", p12.evidence);
    assert!(
        p12.evidence.starts_with("ServerHello TLSv1.2 "),
        "{}",
        p12.evidence
    );
    let p13 = r.protocol(Tls13).unwrap();
    assert!(!p13.supported, "{}", p13.evidence);
    assert_eq!(reports[0].error_reason, Some(ErrorReason::Silent));
}

/// The command line that scans `addr` as `case` does in-process.
fn command_line(case: &Case, addr: SocketAddr) -> Vec<String> {
    let versions: Vec<&str> = case.versions.iter().map(|v| v.id_part()).collect();
    let only: Vec<&str> = std::iter::once("versions")
        .chain(case.stages.iter().map(|s| s.name()))
        .collect();
    let timeout = if case.flood { "20" } else { "1" };
    let mut args: Vec<String> = [
        "scan",
        "--policy",
        "none",
        "--clients",
        "none",
        "--format",
        "json",
        "--quiet",
        "--connect-timeout",
        "1",
        "--timeout",
        timeout,
        "--retries",
        "0",
        "--sni",
        "localhost",
    ]
    .map(String::from)
    .to_vec();
    args.extend(["--versions".into(), versions.join(",")]);
    args.extend(["--only".into(), only.join(",")]);
    if let Some(p) = case.starttls {
        args.extend(["--starttls".into(), p.name().into()]);
    }
    args.push(addr.to_string());
    args
}

/// The peak resident memory (KiB) of one run of `args`, as the kernel accounted it to the
/// child (getrusage, by a Python parent that has no other child), and its wall time.
fn peak_rss(args: &[String]) -> Result<(u64, Duration), String> {
    const MEASURE: &str = "import resource,subprocess,sys\n\
        subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)\n\
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let started = Instant::now();
    let out = std::process::Command::new("python3")
        .args(["-c", MEASURE, env!("CARGO_BIN_EXE_tlsaudit")])
        .args(args)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let kib = text
        .trim()
        .parse()
        .map_err(|_| format!("no figure from the measuring parent: {text:?}"))?;
    Ok((kib, started.elapsed()))
}

/// Benchmark, not a test (`bench/hostile.sh` runs it): the peak RSS of the `tlsaudit` binary
/// scanning each hostile behaviour, one process per case, beside one well-behaved server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by bench/hostile.sh"]
async fn hostile_peak_rss_per_behaviour() {
    let mut rows = Vec::new();
    if crate::common::require("openssl") {
        let cert = self_signed(KeyType::Rsa2048).unwrap();
        let real = openssl_s_server("rss-baseline", &cert, &["-tls1_2"]).unwrap();
        let addr: SocketAddr = real.target().parse().unwrap();
        let baseline = case(OneByteRecords, &[Tls12], SUPPORTED12);
        let args = command_line(&baseline, addr);
        let (kib, took) = tokio::task::spawn_blocking(move || peak_rss(&args))
            .await
            .unwrap()
            .unwrap();
        rows.push(("openssl s_server (well-behaved)".to_string(), kib, took));
    }
    for c in table() {
        let addr = start(c.behaviour).await;
        let args = command_line(&c, addr);
        let (kib, took) = tokio::task::spawn_blocking(move || peak_rss(&args))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{:?}: {e}", c.behaviour));
        let stages: Vec<&str> = c.stages.iter().map(|s| s.name()).collect();
        let name = if stages.is_empty() {
            format!("{:?}", c.behaviour)
        } else {
            format!("{:?} ({})", c.behaviour, stages.join(","))
        };
        rows.push((name, kib, took));
    }
    println!("\n| behaviour | peak RSS (MiB) | wall (s) |\n|---|---|---|");
    for (name, kib, took) in &rows {
        println!(
            "| {name} | {:.1} | {:.2} |",
            *kib as f64 / 1024.0,
            took.as_secs_f64()
        );
    }
    let worst = rows.iter().map(|r| r.1).max().unwrap_or(0);
    println!("\nworst peak RSS: {:.1} MiB", worst as f64 / 1024.0);
}
