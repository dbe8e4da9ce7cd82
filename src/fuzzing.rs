//! Entry points of the fuzz targets (`fuzz/fuzz_targets/`, one per parser that reads network
//! bytes) and of the replay of their checked-in corpus in `cargo test`
//! (`tests/it/fuzz_corpus.rs`): both call these functions, so both run the same code.
//!
//! Every entry point must return on any input; a panic is a bug. Where a parser has an encoder
//! beside it, the entry point also asserts that what was decoded encodes back to the very bytes
//! it came from (every codec here keeps unknown values and raw extensions, so decoding loses
//! nothing). Not part of the library's API: it may change with the targets.

use std::cell::RefCell;
use std::sync::OnceLock;

use crate::certs::{self, CertOptions, TrustStores};
use crate::client::analysis::{self, Captured};
use crate::client::capture::{self, CaptureLimits};
use crate::client::fingerprint;
use crate::facts::certs::{Capture, CertChain, ChainSource, OcspStaple};
use crate::facts::{Starttls, TlsVersion};
use crate::probe::engine::{EngineConfig, FlightReader, FollowUp, FollowUpReader, ProbeOutcome};
use crate::probe::tls12::record::RecordProtection;
use crate::probe::tls12::suite::KeyExchangeKind;
use crate::probe::tls12::{self, Client, ClientConfig, Event, SuiteParams, Tls12Error};
use crate::wire::sslv2::{Sslv2ClientHello, Sslv2ServerHello};
use crate::wire::{
    Alert, CertificateRequest12, CipherSuite, Codec, ContentType, DecodeError, EcPointFormatList,
    Extension, ExtensionType, HandshakeMessage, KeyShareClientHello, KeyShareEntry, NamedGroup,
    NamedGroupList, ProtocolNameList, ProtocolVersion, ProtocolVersionList,
    ServerKeyExchangeParams, ServerNameList, SignatureSchemeList,
};

/// The fuzz targets, by the name of their `fuzz/fuzz_targets/*.rs` file and corpus folder.
pub const TARGETS: [&str; 10] = [
    "records",
    "handshake",
    "sslv2",
    "x509",
    "ocsp",
    "starttls",
    "client_hello",
    "tls12_client",
    "quic",
    "dns_ech",
];

/// Runs the entry point of `target` on `data`; false when there is no such target.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "records" => _ = records(data),
        "handshake" => _ = handshake(data),
        "sslv2" => _ = sslv2(data),
        "x509" => _ = x509(data),
        "ocsp" => _ = ocsp(data),
        "starttls" => _ = starttls(data),
        "client_hello" => _ = client_hello(data),
        "tls12_client" => _ = tls12_client(data),
        "quic" => _ = quic(data),
        "dns_ech" => _ = dns_ech(data),
        _ => return false,
    }
    true
}

/// The byte ceiling of a flight, as the engine sets it by default.
fn max_flight() -> usize {
    EngineConfig::default().max_flight_bytes
}

/// Records: the read path of a probe ([`FlightReader`], over the deframer and the handshake
/// joiner), then what the stages read from the flight (ServerKeyExchange, CertificateRequest,
/// the hello's extensions); and the reader of answers after the flight ([`FollowUpReader`]).
///
/// The first byte chooses the mode: bit 0 set reads in answer to an SSLv2 hello; the other
/// bits give the size of the pieces the stream arrives in (1 to 128 bytes), since a server
/// may cut its records anywhere.
pub fn records(data: &[u8]) -> Option<ProbeOutcome> {
    let (&mode, stream) = data.split_first()?;
    let sslv2 = mode & 1 == 1;
    let piece = usize::from(mode >> 1) + 1;
    let mut reader = FlightReader::new(max_flight(), sslv2);
    let mut outcome = None;
    for chunk in stream.chunks(piece) {
        if let Some(o) = reader.feed(chunk) {
            outcome = Some(o);
            break;
        }
    }
    let outcome = outcome.unwrap_or_else(|| reader.finish_early(ProbeOutcome::Closed));
    if let ProbeOutcome::ServerHello(flight) = &outcome {
        server_hello_details(&flight.hello);
        if let Some(ske) = &flight.server_key_exchange {
            server_key_exchange(ske);
        }
        if let Some(cr) = &flight.certificate_request {
            let _ = CertificateRequest12::read(cr, true);
            let _ = CertificateRequest12::read(cr, false);
        }
    }
    let _ = outcome.describe();
    let mut follow = FollowUpReader::new(max_flight());
    for chunk in stream.chunks(piece) {
        if let Some(f) = follow.feed(chunk) {
            let _: FollowUp = f;
            break;
        }
    }
    Some(outcome)
}

/// QUIC: `data` as datagrams a server sends in answer to our Initial (split at each
/// `0xff 0xfe 0xfd 0xfc` marker), read as the client of RFC 9001 appendix A
/// ([`crate::probe::engine::quic::read_datagrams`]); the same pieces as the plaintext of
/// server Initial packets, sealed under the server's Initial keys
/// ([`crate::probe::engine::quic::read_initial_payloads`]); and the whole input as frames and as
/// transport parameters, each of which must encode back to the same bytes.
pub fn quic(data: &[u8]) -> ProbeOutcome {
    use crate::wire::quic::{encode_transport_parameters, read_frames, read_transport_parameters};
    let _ = read_frames(data);
    if let Ok(params) = read_transport_parameters(data) {
        for p in &params {
            let _ = (p.name(), p.display_value());
        }
        // Lengths may be written longer than needed: only the shortest form round-trips.
        let again = encode_transport_parameters(&params);
        assert_eq!(read_transport_parameters(&again).as_ref(), Ok(&params));
    }
    let datagrams: Vec<&[u8]> = split_at_marker(data, &[0xff, 0xfe, 0xfd, 0xfc]);
    // The same pieces as the plaintext of server Initials, sealed under the right keys: what
    // follows packet protection (frames, CRYPTO reassembly, the ServerHello) is reached too.
    let sealed = crate::probe::engine::quic::read_initial_payloads(&datagrams, max_flight());
    let _ = sealed.describe();
    let outcome = crate::probe::engine::quic::read_datagrams(&datagrams, max_flight());
    let _ = outcome.describe();
    outcome
}

fn split_at_marker<'a>(data: &'a [u8], marker: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(marker.len()).position(|w| w == marker) {
        out.push(&rest[..i]);
        rest = &rest[i + marker.len()..];
    }
    out.push(rest);
    out
}

/// Handshake messages: one message with its header ([`HandshakeMessage`]), which must encode
/// back to the same bytes, with every extension payload read as the type it has in a hello
/// (each of those must encode back too); and the bodies the caller reads with a hint
/// (ServerKeyExchange, CertificateRequest), and the alert.
pub fn handshake(data: &[u8]) -> Result<HandshakeMessage, DecodeError> {
    server_key_exchange(data);
    let _ = CertificateRequest12::read(data, true);
    let _ = CertificateRequest12::read(data, false);
    if let Ok(a) = Alert::from_bytes(data) {
        assert_eq!(a.to_bytes(), data, "Alert does not round-trip");
    }
    let msg = HandshakeMessage::from_bytes(data)?;
    assert_eq!(msg.to_bytes(), data, "{:?} does not round-trip", msg.typ());
    let _ = msg.ticket_lifetime();
    match &msg {
        HandshakeMessage::ClientHello(ch) => {
            for e in ch.extensions() {
                extension_payload(e);
            }
            let _ = crate::wire::captured::CapturedHello::Tls(ch.clone()).offer();
        }
        HandshakeMessage::ServerHello(sh) => server_hello_details(sh),
        _ => {}
    }
    Ok(msg)
}

/// SSLv2: a SERVER-HELLO (what a server answers) and a CLIENT-HELLO (what the client check
/// reads), each as the message inside the record; both must encode back to the same bytes.
pub fn sslv2(data: &[u8]) -> Result<Sslv2ServerHello, DecodeError> {
    if let Ok(ch) = Sslv2ClientHello::from_bytes(data) {
        assert_eq!(ch.to_bytes(), data, "CLIENT-HELLO does not round-trip");
        let _ = crate::wire::captured::CapturedHello::Sslv2(ch).offer();
    }
    let sh = Sslv2ServerHello::from_bytes(data)?;
    assert_eq!(sh.to_bytes(), data, "SERVER-HELLO does not round-trip");
    for k in &sh.cipher_specs {
        let _ = k.hex_id();
    }
    Ok(sh)
}

/// The verdict time of the X.509 target: 2026-01-01T00:00:00Z, fixed so a run reproduces.
pub const X509_AT: i64 = 1_767_225_600;

/// X.509: one certificate as a server sends it, through what the certificate stage does with
/// a chain of it (parse, per-certificate findings, the chain's checks, the hostname). No trust
/// store: path building is rustls-webpki's, fuzzed by its own project.
pub fn x509(data: &[u8]) -> CertChain {
    static NO_STORES: OnceLock<CertOptions> = OnceLock::new();
    let opts = NO_STORES.get_or_init(|| CertOptions {
        at: Some(X509_AT),
        expiry_warn_days: 30,
        trust: TrustStores(std::sync::Arc::new(Vec::new())),
        // The date rules too, on every certificate: more of the stage runs.
        public_rules: true,
    });
    let capture = Capture {
        source: ChainSource {
            version: TlsVersion::Tls12,
            offered: "any".into(),
            cipher_suite: None,
            without_sni: false,
        },
        certs: vec![data.to_vec()],
        ocsp: None,
    };
    let (mut chains, _findings) =
        certs::analyse(&[capture], Some("www.example.com"), opts, X509_AT);
    let _ = tls12::kx::RsaKey::from_certificate(data).map(|k| k.bits());
    chains.pop().unwrap_or_default()
}

/// OCSP: a stapled response through the DER walker ([`certs::ocsp::read`]), once as for a
/// leaf whose serial is 0x01 (the SingleResponse is picked by serial) and once for any leaf.
pub fn ocsp(data: &[u8]) -> OcspStaple {
    let _ = certs::ocsp::read(data, Some(&[0x01]));
    certs::ocsp::read(data, None)
}

/// What the DNS and ECH stages read from servers, chosen by the first byte: 0, a resolver's
/// answer to an HTTPS question ([`crate::probe::dns::decode_answer`], `ech` values decoded);
/// 1, an ECHConfigList (which must encode back to its bytes); 2, a server's TLS 1.3 flight
/// read up to its EncryptedExtensions ([`crate::probe::tls13::FlightReader13`], with keys
/// set after the ServerHello so encrypted records are tried); else the ClientHello's
/// `encrypted_client_hello` extension. 4: an answer to a TLSA, TXT or A question
/// ([`crate::probe::mail::decode`]); 5: an HTTP answer whose body is read as an MTA-STS policy.
pub fn dns_ech(data: &[u8]) -> Result<usize, String> {
    use crate::probe::tls13::{FlightEvent, FlightReader13, Suite};
    use crate::wire::ech::{EchClientHello, EchConfigList};
    let Some((&which, rest)) = data.split_first() else {
        return Err("empty".into());
    };
    match which {
        0 => crate::probe::dns::decode_answer(rest, "fuzz.example").map(|a| a.records.len()),
        1 => {
            let list = EchConfigList::from_bytes(rest).map_err(|e| e.to_string())?;
            assert_eq!(
                list.to_bytes(),
                rest,
                "an ECHConfigList encodes back to its bytes"
            );
            let _ = list.usable();
            let info = crate::facts::ech::EchConfigListInfo::from_wire(rest);
            Ok(info.configs.len())
        }
        2 => {
            let mut reader = FlightReader13::new(max_flight());
            reader.feed(rest)?;
            let mut events = 0;
            while let Some(event) = reader.next_event()? {
                events += 1;
                if let (FlightEvent::ServerHello(..), Some(suite)) =
                    (&event, Suite::from_id(0x1301))
                {
                    if let Some(d) = suite.decrypter(&[0; 32]) {
                        reader.keys(d);
                    }
                }
            }
            Ok(events)
        }
        // SMTP's policy records: a resolver's answer to a TLSA, TXT or A question.
        4 => crate::probe::mail::decode(rest, "fuzz.example")
            .map(|a| a.tlsa.len() + a.txt.len() + a.a.len()),
        // The MTA-STS policy fetch: an HTTP answer, then its body read as a policy.
        5 => {
            let fetched = crate::probe::mail::parse_response(rest, "fuzz.example")?;
            let policy =
                crate::enumerate::mail::parse_policy(&String::from_utf8_lossy(&fetched.body));
            Ok(policy.mx.len())
        }
        _ => EchClientHello::from_bytes(rest)
            .map(|e| e.to_bytes().len())
            .map_err(|e| e.to_string()),
    }
}

/// STARTTLS: the server's side of the plaintext exchange, read by
/// [`crate::probe::starttls::negotiate_over`] from memory (what we write is dropped). The
/// first byte chooses the protocol (its value modulo 12, in [`Starttls::ALL`]'s order).
pub fn starttls(data: &[u8]) -> Result<(), String> {
    let Some((&which, replies)) = data.split_first() else {
        return Err("no protocol".into());
    };
    let proto = Starttls::ALL[usize::from(which) % Starttls::ALL.len()];
    block_on(async {
        let mut stream = tokio::io::join(replies, tokio::io::sink());
        crate::probe::starttls::negotiate_over(&mut stream, proto, "example.com")
            .await
            .map_err(|e| e.message)
    })
}

/// The client-hello capture of `tlsaudit client`: [`capture::read_client_hello`] over the
/// bytes a client sends, then what the check reads from the hello (facts, JA3/JA4, the offer).
pub fn client_hello(data: &[u8]) -> Result<Captured, String> {
    let outcome = block_on(async {
        let mut r = data;
        capture::read_client_hello(&mut r, CaptureLimits::default()).await
    });
    let _ = outcome.looks_like_http();
    let captured = outcome.result?;
    let _ = analysis::facts(&captured);
    let _ = captured.hello.offer();
    if let crate::wire::captured::CapturedHello::Tls(h) = &captured.hello {
        let _ = (fingerprint::ja3(h), fingerprint::ja4(h));
    }
    Ok(captured)
}

/// Our TLS 1.0-1.2 client ([`Client`]): the server's flight fed to a client offering every
/// suite it can do, and at ServerHelloDone the key exchange (as far as [`key_exchange`] says).
/// The first byte chooses the mode: values 0 to 127
/// feed the flight in pieces of that value + 1 bytes; 128 and up open the rest as one
/// protected record ([`RecordProtection::open`]) under fixed keys of the suite and version the
/// next bytes name (what follows the handshake is encrypted under keys no fuzzer can guess).
pub fn tls12_client(data: &[u8]) -> Result<Vec<Event>, Tls12Error> {
    let Some((&mode, rest)) = data.split_first() else {
        return Ok(Vec::new());
    };
    if mode >= 128 {
        return open_record(mode, rest).map(|plain| vec![Event::ApplicationData(plain)]);
    }
    static SUITES: OnceLock<Vec<CipherSuite>> = OnceLock::new();
    let suites = SUITES.get_or_init(|| tls12::supported_suites(ProtocolVersion::TLS12));
    let mut client = Client::new(ClientConfig::new(ProtocolVersion::TLS12, suites.clone()));
    client.client_hello()?;
    let mut events = Vec::new();
    for chunk in rest.chunks(usize::from(mode) + 1) {
        let fed = client.feed(chunk);
        while let Some(e) = client.next_event() {
            let done = e == Event::ServerHelloDone;
            events.push(e);
            if done {
                key_exchange(&mut client)?;
                return Ok(events);
            }
        }
        fed?;
    }
    Ok(events)
}

/// The key exchange at ServerHelloDone. ECDHE runs whole (ring checks the server's point).
/// RSA and DHE only read what they read from the flight (the leaf's RSA key, the DH params):
/// their big-number arithmetic takes 4 to 45 ms a run in a fuzz build, which would hold the
/// target to a few hundred runs a second, and parses nothing.
fn key_exchange(client: &mut Client) -> Result<(), Tls12Error> {
    let kx = client
        .negotiated()
        .and_then(|(_, suite)| SuiteParams::of(suite))
        .map(|p| p.kx);
    match kx {
        Some(KeyExchangeKind::Ecdhe) => client.key_exchange().map(drop),
        Some(KeyExchangeKind::Rsa) => {
            let leaf = client.certificates().first().map(Vec::as_slice);
            let key = tls12::kx::RsaKey::from_certificate(leaf.unwrap_or_default())
                .map_err(|e| Tls12Error::Protocol(e.to_string()))?;
            let _ = (key.bits(), key.len());
            Ok(())
        }
        _ => Ok(()),
    }
}

/// One record payload opened under fixed keys: `mode` bit 0 chooses encrypt-then-MAC, bits 1-2
/// the version (TLS 1.0 to 1.2), and the first byte of `rest` the suite among those the client
/// can do at that version.
fn open_record(mode: u8, rest: &[u8]) -> Result<Vec<u8>, Tls12Error> {
    let version = [
        ProtocolVersion::TLS10,
        ProtocolVersion::TLS11,
        ProtocolVersion::TLS12,
        ProtocolVersion::TLS12,
    ][usize::from((mode >> 1) & 3)];
    let Some((&pick, payload)) = rest.split_first() else {
        return Ok(Vec::new());
    };
    let suites = tls12::supported_suites(version);
    let Some(params) = suites
        .get(usize::from(pick) % suites.len().max(1))
        .and_then(|s| SuiteParams::of(*s))
    else {
        return Ok(Vec::new());
    };
    let (mac_len, key_len, iv_len) = params.key_block_lengths();
    let err = |e: tls12::record::RecordError| Tls12Error::Decode(e.to_string());
    let mut prot = RecordProtection::new(
        &params,
        version,
        &vec![7; mac_len],
        &vec![9; key_len],
        &vec![3; iv_len],
        mode & 1 == 1,
    )
    .map_err(err)?;
    prot.open(ContentType::APPLICATION_DATA, payload)
        .map_err(err)
}

/// What the stages read from a ServerHello beyond its fields.
fn server_hello_details(sh: &crate::wire::ServerHello) {
    let _ = (
        sh.negotiated_version(),
        sh.key_share_group(),
        sh.downgrade_sentinel(),
        sh.is_hello_retry_request(),
    );
    for e in sh.extensions() {
        extension_payload(e);
    }
}

/// A ServerKeyExchange body, read as the stages read it (ECDHE and DHE params, the TLS 1.2
/// signature scheme), and as the groups stage does with a DH prime.
fn server_key_exchange(body: &[u8]) {
    let _ = ServerKeyExchangeParams::read_ecdhe(body);
    if let Ok(ServerKeyExchangeParams::Dhe { p, g, .. }) = ServerKeyExchangeParams::read_dhe(body) {
        let p = crate::wire::strip_leading_zeros(&p);
        let _ = (
            crate::wire::bit_length(p),
            crate::wire::hex(crate::wire::strip_leading_zeros(&g)),
            crate::enumerate::groups::known_dh_groups()
                .iter()
                .any(|k| k.prime == p),
        );
    }
    let _ = ServerKeyExchangeParams::tls12_signature_scheme(body, true);
    let _ = ServerKeyExchangeParams::tls12_signature_scheme(body, false);
}

/// Reads an extension's payload as the type it has, when it is one we read; what parses must
/// encode back to the same bytes.
fn extension_payload(e: &Extension) {
    fn round_trip<T: Codec>(e: &Extension) {
        if let Ok(v) = e.parse::<T>() {
            assert_eq!(
                v.to_bytes(),
                e.data,
                "extension {:?} does not round-trip",
                e.typ
            );
        }
    }
    match e.typ {
        ExtensionType::SERVER_NAME => {
            round_trip::<ServerNameList>(e);
            let _ = e.parse::<ServerNameList>().map(|l| l.host_name());
        }
        ExtensionType::SUPPORTED_GROUPS => round_trip::<NamedGroupList>(e),
        ExtensionType::SIGNATURE_ALGORITHMS => round_trip::<SignatureSchemeList>(e),
        ExtensionType::SUPPORTED_VERSIONS => {
            round_trip::<ProtocolVersionList>(e);
            round_trip::<ProtocolVersion>(e);
        }
        ExtensionType::EC_POINT_FORMATS => round_trip::<EcPointFormatList>(e),
        ExtensionType::KEY_SHARE => {
            round_trip::<KeyShareClientHello>(e);
            round_trip::<KeyShareEntry>(e);
            round_trip::<NamedGroup>(e);
        }
        ExtensionType::ALPN => round_trip::<ProtocolNameList>(e),
        _ => {}
    }
}

/// Runs a future on this thread's runtime (one per thread, made once: a fuzz target runs
/// millions of inputs). Time is enabled for the timeouts the readers set; they never fire on
/// bytes in memory.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    thread_local! {
        static RUNTIME: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
    }
    RUNTIME.with(|rt| {
        let mut rt = rt.borrow_mut();
        let rt = rt.get_or_insert_with(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a current-thread runtime")
        });
        rt.block_on(f)
    })
}
