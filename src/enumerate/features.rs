//! Protocol features and behaviours, each a yes / no / not applicable fact with evidence.
//!
//! Most come free from the flights the protocol stage already read (renegotiation_info,
//! session id, downgrade sentinel, CertificateRequest). The rest cost few connections:
//! one hello at the highest pre-1.3 version asking for every extension we want echoed
//! (status_request, session_ticket, extended_master_secret, heartbeat, max_fragment_length),
//! one with CBC suites for encrypt_then_mac, one with DEFLATE, one with TLS_FALLBACK_SCSV, two
//! for ALPN, one for Heartbleed when the server echoes heartbeat, and full rustls handshakes in pairs for resumption and 0-RTT (not with `--quick`).

use crate::facts::TlsVersion;
use crate::facts::{Answer, Fact, FeaturesSection, Stage};
use crate::probe::engine::{FollowUp, Hello, ProbeOutcome, ServerFlight};
use crate::wire::{
    encode_records, AlertDescription, CertificateRequest12, CipherSuite, ContentType, Extension,
    ExtensionType, ProtocolName, ProtocolNameList, ProtocolVersion,
};

use super::prior::Prior;
use super::{Ctx, Gathered, ScanOptions};
use crate::probe::full::{self as fullhs, Client, Setup};
use crate::probe::hello::{HelloSpec, COMPACT_LIMIT};

/// ALPN protocols probed, in the order offered.
pub const ALPN_PROTOCOLS: [&str; 2] = ["h2", "http/1.1"];

/// The 0-RTT payload: harmless for an HTTP server, and any bytes do for others.
const EARLY_DATA: &[u8] = b"HEAD / HTTP/1.0\r\n\r\n";

/// The features stage, or `None` when `--only` leaves it out.
pub async fn scan(
    ctx: &Ctx,
    prior: &Prior,
    gathered: &Gathered,
    opts: &ScanOptions,
) -> Option<FeaturesSection> {
    // The weaknesses stage reads the features (Heartbleed, compression, tickets, RFC 5746).
    if !opts.runs(Stage::Features) && !opts.runs(Stage::Weaknesses) {
        return None;
    }
    let legacy = prior.legacy_version();
    let tls13 = prior.supported(TlsVersion::Tls13);
    let mut f = FeaturesSection {
        legacy_version: legacy,
        ..Default::default()
    };
    let flight = legacy.and_then(|v| {
        gathered
            .flights
            .iter()
            .find(|(fv, _)| *fv == v)
            .map(|(_, fl)| fl.as_ref())
    });
    from_flight(&mut f, legacy, flight, tls13);

    let (ext, etm, compression, fallback, alpn, tls12_resumption, tls13_run) = tokio::join!(
        extension_probe(ctx, prior, legacy),
        etm_probe(ctx, prior, legacy),
        compression_probe(ctx, prior, legacy),
        fallback_probe(ctx, prior),
        alpn_probe(ctx, prior, legacy, opts.quick),
        tls12_resumption(ctx, prior, opts.quick),
        tls13_handshakes(ctx, prior, tls13, opts.quick),
    );
    if let Some(ext) = ext {
        f.ocsp_stapling = ext.ocsp;
        f.session_ticket_advertised = ext.ticket;
        f.extended_master_secret = ext.ems;
        f.heartbeat = ext.heartbeat;
        f.max_fragment_length = ext.mfl;
    } else {
        let na = "TLS 1.3 only: probed in TLS 1.2 and below";
        f.session_ticket_advertised = Fact::not_applicable(na);
        f.extended_master_secret = Fact::not_applicable("TLS 1.3 only: EMS is built in");
        f.heartbeat =
            Fact::not_determined("TLS 1.3 only: heartbeat is probed in TLS 1.2 and below");
        f.max_fragment_length = Fact::not_determined(na);
        f.ocsp_stapling = Fact::not_determined("not probed");
    }
    f.heartbleed = match legacy {
        None => Fact::not_applicable("TLS 1.3 only: TLS 1.3 has no heartbeat"),
        Some(v) => heartbleed_probe(ctx, prior, v, &f.heartbeat).await,
    };
    f.encrypt_then_mac = etm;
    f.compression = compression;
    f.fallback_scsv = fallback;
    f.alpn = alpn.0;
    f.alpn_evidence = alpn.1;
    let (id, ticket, lifetime) = tls12_resumption;
    f.session_id_resumption = id;
    f.session_ticket_resumption = ticket;
    f.session_ticket_lifetime_hint = lifetime;
    if let Some(t) = tls13_run {
        f.tls13_tickets_issued = t.tickets;
        f.tls13_ticket_count = t.ticket_count;
        f.tls13_ticket_lifetime = t.ticket_lifetime;
        f.tls13_max_early_data = t.max_early_data;
        f.tls13_psk_resumption = t.resumption;
        f.early_data_accepted = t.early_data;
        if legacy.is_none() {
            // No clear flight to read these from: the TLS 1.3 handshake saw them.
            f.ocsp_stapling = t.ocsp;
            if let Some((fact, cas)) = t.cert_request {
                f.client_certificate_requested = fact;
                f.client_certificate_cas = cas;
            }
        }
    } else {
        let why = if tls13 {
            "not probed (--quick skips full handshakes)"
        } else {
            "TLS 1.3 not offered"
        };
        let fact = if tls13 {
            Fact::not_determined(why)
        } else {
            Fact::not_applicable(why)
        };
        f.tls13_tickets_issued = fact.clone();
        f.tls13_psk_resumption = fact.clone();
        f.early_data_accepted = fact;
    }
    Some(f)
}

/// Facts read from the first flight of the highest pre-1.3 version.
fn from_flight(
    f: &mut FeaturesSection,
    legacy: Option<TlsVersion>,
    flight: Option<&ServerFlight>,
    tls13: bool,
) {
    let Some(fl) = flight else {
        let fact = if legacy.is_none() {
            Fact::not_applicable("no version below TLS 1.3 offered")
        } else {
            Fact::not_determined("no complete flight recorded by the version scan")
        };
        f.secure_renegotiation = fact.clone();
        f.session_id_issued = fact.clone();
        f.downgrade_sentinel = fact;
        f.client_certificate_requested =
            Fact::not_determined("no flight below TLS 1.3 to read it from");
        return;
    };
    let v = fl.hello.negotiated_version();
    // RFC 5746 section 3.6: a server that supports it answers the SCSV we always send with an
    // empty renegotiation_info extension.
    f.secure_renegotiation = if fl
        .hello
        .extension(ExtensionType::RENEGOTIATION_INFO)
        .is_some()
    {
        Fact::yes(format!("{v} ServerHello has renegotiation_info"))
    } else {
        Fact::no(format!(
            "{v} ServerHello has no renegotiation_info although the hello carried TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
        ))
    };
    f.session_id_issued = if fl.hello.session_id.is_empty() {
        Fact::no(format!("{v} ServerHello has an empty session id"))
    } else {
        Fact::yes(format!(
            "{v} ServerHello has a {}-byte session id",
            fl.hello.session_id.len()
        ))
    };
    // RFC 8446 section 4.1.3: a TLS 1.3 server negotiating a lower version marks its random.
    f.downgrade_sentinel = if !tls13 {
        Fact::not_applicable("TLS 1.3 not offered")
    } else {
        let want = if v == ProtocolVersion::TLS12 {
            ProtocolVersion::TLS12
        } else {
            ProtocolVersion::TLS11
        };
        match fl.hello.downgrade_sentinel() {
            Some(s) if s == want => Fact::yes(format!(
                "{v} ServerHello random ends with the DOWNGRD sentinel"
            )),
            Some(s) => Fact::no(format!("{v} ServerHello random carries the {s} sentinel")),
            None => Fact::no(format!(
                "{v} ServerHello random has no DOWNGRD sentinel although the server speaks TLS 1.3"
            )),
        }
    };
    f.client_certificate_requested = match &fl.certificate_request {
        None => Fact::no(format!("{v} flight has no CertificateRequest")),
        Some(body) => match CertificateRequest12::read(body, v == ProtocolVersion::TLS12) {
            Ok(req) => {
                f.client_certificate_cas = req
                    .certificate_authorities
                    .iter()
                    .map(|dn| dn_text(dn))
                    .collect();
                Fact::yes(format!(
                    "{v} flight has a CertificateRequest listing {} CA names",
                    req.certificate_authorities.len()
                ))
            }
            Err(e) => Fact::yes(format!(
                "{v} flight has a CertificateRequest that does not parse: {e}"
            )),
        },
    };
}

/// A DER distinguished name as RFC 4514-style text, or hex when it does not parse.
pub fn dn_text(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    match x509_parser::x509::X509Name::from_der(der) {
        Ok((_, name)) => name.to_string(),
        Err(_) => crate::wire::hex(der),
    }
}

async fn probe_with(
    ctx: &Ctx,
    v: TlsVersion,
    suites: Vec<CipherSuite>,
    edit: impl FnOnce(&mut HelloSpec),
) -> ProbeOutcome {
    let mut spec = ctx.hello(v.wire(), suites);
    edit(&mut spec);
    ctx.send(spec).await
}

struct ExtFacts {
    ocsp: Fact,
    ticket: Fact,
    ems: Fact,
    heartbeat: Fact,
    mfl: Fact,
}

fn extensions_asked() -> Vec<Extension> {
    vec![
        // status_request: ocsp (1), no responder ids, no extensions (RFC 6066 section 8).
        Extension {
            typ: ExtensionType::STATUS_REQUEST,
            data: vec![1, 0, 0, 0, 0],
        },
        Extension::empty(ExtensionType::SESSION_TICKET),
        Extension::empty(ExtensionType::EXTENDED_MASTER_SECRET),
        // heartbeat: peer_allowed_to_send (1) (RFC 6520 section 2).
        Extension {
            typ: ExtensionType::HEARTBEAT,
            data: vec![1],
        },
        // max_fragment_length: 2^12 (4) (RFC 6066 section 4).
        Extension {
            typ: ExtensionType::MAX_FRAGMENT_LENGTH,
            data: vec![4],
        },
    ]
}

/// One hello asking for every extension we want echoed; if the server refuses it, one hello
/// per extension, so an intolerance of one does not hide the others.
async fn extension_probe(ctx: &Ctx, prior: &Prior, legacy: Option<TlsVersion>) -> Option<ExtFacts> {
    let v = legacy?;
    let suites = prior.suites(v, |_| true);
    let asked = extensions_asked();
    let all = probe_with(ctx, v, suites.clone(), |s| s.extra = asked.clone()).await;
    let flights: Vec<(ExtensionType, ProbeOutcome)> = if matches!(all, ProbeOutcome::ServerHello(_))
    {
        asked.iter().map(|e| (e.typ, all.clone())).collect()
    } else {
        let mut out = Vec::new();
        for e in &asked {
            let o = probe_with(ctx, v, suites.clone(), |s| s.extra = vec![e.clone()]).await;
            out.push((e.typ, o));
        }
        out
    };
    let fact_for = |typ: ExtensionType| -> Fact {
        let Some((_, o)) = flights.iter().find(|(t, _)| *t == typ) else {
            return Fact::not_determined("not probed");
        };
        let ProbeOutcome::ServerHello(fl) = o else {
            return Fact::not_determined(format!("hello with {typ} answered: {}", o.describe()));
        };
        if typ == ExtensionType::STATUS_REQUEST {
            return match &fl.certificate_status {
                Some(cs) => Fact::yes(format!(
                    "CertificateStatus with a {}-byte OCSP response",
                    cs.response.len()
                )),
                None => Fact::no("no CertificateStatus in answer to status_request"),
            };
        }
        if fl.hello.extension(typ).is_some() {
            Fact::yes(format!("ServerHello echoes {typ}"))
        } else {
            Fact::no(format!("ServerHello does not echo {typ}"))
        }
    };
    Some(ExtFacts {
        ocsp: fact_for(ExtensionType::STATUS_REQUEST),
        ticket: fact_for(ExtensionType::SESSION_TICKET),
        ems: fact_for(ExtensionType::EXTENDED_MASTER_SECRET),
        heartbeat: fact_for(ExtensionType::HEARTBEAT),
        mfl: fact_for(ExtensionType::MAX_FRAGMENT_LENGTH),
    })
}

/// Payload bytes the heartbeat request really carries.
const HEARTBEAT_PAYLOAD: &[u8] = b"tlsa";

/// The payload_length the heartbeat request claims.
const HEARTBEAT_CLAIM: u16 = 0x4000;

/// How long to wait for an answer to the heartbeat requests. Not a quiet period: a vulnerable
/// OpenSSL answers the first request at once, a patched one answers the well-formed second
/// one at once; only a server that echoes the extension and then answers no heartbeat at all
/// waits this out.
const HEARTBEAT_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The payload of the well-formed heartbeat request sent after the over-long one.
const HEARTBEAT_CHECK: &[u8] = b"tlsaudit-heartbeat";

/// A heartbeat_request (RFC 6520 section 4) claiming [`HEARTBEAT_CLAIM`] payload bytes while
/// carrying [`HEARTBEAT_PAYLOAD`] and no padding, as one record of content type 24.
pub fn heartbleed_request(record_version: ProtocolVersion) -> Vec<u8> {
    let mut msg = vec![1];
    msg.extend(HEARTBEAT_CLAIM.to_be_bytes());
    msg.extend(HEARTBEAT_PAYLOAD);
    encode_records(ContentType::HEARTBEAT, record_version, &msg)
}

/// A well-formed heartbeat_request carrying [`HEARTBEAT_CHECK`] and the minimum 16 bytes of
/// padding. A patched server silently discards the over-long request before it (RFC 6520
/// section 4) and answers this one, so its answer ends the wait instead of a timer.
fn heartbeat_check(record_version: ProtocolVersion) -> Vec<u8> {
    let mut msg = vec![1];
    msg.extend((HEARTBEAT_CHECK.len() as u16).to_be_bytes());
    msg.extend(HEARTBEAT_CHECK);
    msg.extend([0u8; 16]);
    encode_records(ContentType::HEARTBEAT, record_version, &msg)
}

/// Heartbleed (CVE-2014-0160), only against a server that echoed the heartbeat extension: a
/// hello offering it, the flight to ServerHelloDone, then an over-long heartbeat request and a
/// well-formed one before the handshake goes on (OpenSSL 1.0.1 to 1.0.1f answered heartbeats at
/// any point). The first answer decides: a response as long as the over-long claim is the
/// leak, an echo of the well-formed request is a server that discarded the over-long one.
async fn heartbleed_probe(ctx: &Ctx, prior: &Prior, v: TlsVersion, heartbeat: &Fact) -> Fact {
    match heartbeat.answer {
        Answer::Yes => {}
        Answer::No => {
            return Fact::not_applicable(format!("{v} ServerHello does not echo heartbeat"))
        }
        _ => {
            return Fact::not_determined(format!(
                "heartbeat support not determined: {}",
                heartbeat.evidence
            ))
        }
    }
    let mut spec = ctx.hello(v.wire(), prior.suites(v, |_| true));
    // heartbeat: peer_allowed_to_send (1) (RFC 6520 section 2).
    spec.extra = vec![Extension {
        typ: ExtensionType::HEARTBEAT,
        data: vec![1],
    }];
    let hello = spec.fit_compact().build();
    let request = heartbleed_request(v.wire());
    let sent = request.len() - 5;
    let both = [request, heartbeat_check(v.wire())].concat();
    let (outcome, follow) = ctx
        .engine
        .probe_then_send(&ctx.host, &hello, &both, HEARTBEAT_WAIT)
        .await;
    let Some(follow) = follow else {
        return Fact::not_determined(format!(
            "hello with heartbeat did not get a whole flight: {}",
            outcome.describe()
        ));
    };
    let asked = format!(
        "{v} heartbeat request claiming {HEARTBEAT_CLAIM} payload bytes with {} sent",
        HEARTBEAT_PAYLOAD.len()
    );
    // A heartbeat_response echoing the well-formed request: the over-long one got nothing.
    let check_answer = |p: &[u8]| {
        p.first() == Some(&2)
            && p.get(1..3) == Some(&(HEARTBEAT_CHECK.len() as u16).to_be_bytes()[..])
            && p.get(3..3 + HEARTBEAT_CHECK.len()) == Some(HEARTBEAT_CHECK)
    };
    match follow {
        FollowUp::Record {
            content_type: ContentType::HEARTBEAT,
            payload,
        } if check_answer(&payload) => Fact::no(format!(
            "{asked} got no answer; a well-formed heartbeat request sent after it was answered in kind (the over-long one was discarded)"
        )),
        FollowUp::Record {
            content_type: ContentType::HEARTBEAT,
            payload,
        } if payload.len() > sent => Fact::yes(format!(
            "{asked} was answered by a {}-byte heartbeat response: the server sends back memory it was not given (CVE-2014-0160)",
            payload.len()
        )),
        FollowUp::Record { .. } | FollowUp::Malformed(_) => {
            Fact::not_determined(format!("{asked} was answered by {}", follow.describe()))
        }
        // A silent server leaked nothing: a vulnerable one answers the request at once, it
        // does not wait for the handshake to go on.
        FollowUp::Silent => Fact::no(format!(
            "{asked} got no answer within {}s (a vulnerable server answers at once)",
            HEARTBEAT_WAIT.as_secs()
        )),
        FollowUp::Alert(_) | FollowUp::Closed | FollowUp::Reset => {
            Fact::no(format!("{asked} was answered by {}", follow.describe()))
        }
    }
}

/// RFC 7366 applies to CBC suites only: offer the accepted CBC suites with encrypt_then_mac.
async fn etm_probe(ctx: &Ctx, prior: &Prior, legacy: Option<TlsVersion>) -> Fact {
    let Some(v) = legacy else {
        return Fact::not_applicable("TLS 1.3 only: no CBC suites");
    };
    let cbc = prior.suites(v, |s| s.mode == "CBC");
    if cbc.is_empty() {
        return Fact::not_applicable(format!("no CBC suite accepted in {v}"));
    }
    let o = probe_with(ctx, v, cbc, |s| {
        s.extra = vec![Extension::empty(ExtensionType::ENCRYPT_THEN_MAC)]
    })
    .await;
    match o {
        ProbeOutcome::ServerHello(fl) => {
            let suite = fl.hello.cipher_suite;
            if fl
                .hello
                .extension(ExtensionType::ENCRYPT_THEN_MAC)
                .is_some()
            {
                Fact::yes(format!("ServerHello with {suite} echoes encrypt_then_mac"))
            } else {
                Fact::no(format!(
                    "ServerHello with {suite} does not echo encrypt_then_mac"
                ))
            }
        }
        other => Fact::not_determined(format!("CBC hello answered: {}", other.describe())),
    }
}

/// DEFLATE (method 1, RFC 3749) offered before null.
async fn compression_probe(ctx: &Ctx, prior: &Prior, legacy: Option<TlsVersion>) -> Fact {
    let Some(v) = legacy else {
        return Fact::not_applicable("TLS 1.3 only: TLS 1.3 has no compression");
    };
    let mut spec = ctx.hello(v.wire(), prior.suites(v, |_| true)).fit_compact();
    // Room for the one more compression method byte below.
    if spec.compact && spec.suites.len() > 1 && spec.encoded_len() + 1 >= COMPACT_LIMIT {
        spec.suites.pop();
    }
    let mut hello = spec.build();
    if let Hello::Tls { hello, .. } = &mut hello {
        hello.compression_methods = vec![1, 0];
    }
    match ctx.engine.probe(&ctx.host, &hello).await {
        ProbeOutcome::ServerHello(fl) if fl.hello.compression_method == 1 => {
            Fact::yes(format!("{v} ServerHello chose DEFLATE"))
        }
        ProbeOutcome::ServerHello(fl) => Fact::no(format!(
            "{v} ServerHello chose compression method {} when offered DEFLATE",
            fl.hello.compression_method
        )),
        other => Fact::not_determined(format!("hello with DEFLATE answered: {}", other.describe())),
    }
}

/// RFC 7507: a hello below the server's highest version, with TLS_FALLBACK_SCSV, must be met
/// with an inappropriate_fallback alert.
async fn fallback_probe(ctx: &Ctx, prior: &Prior) -> Fact {
    let offered: Vec<TlsVersion> = [
        TlsVersion::Tls13,
        TlsVersion::Tls12,
        TlsVersion::Tls11,
        TlsVersion::Tls10,
        TlsVersion::Ssl3,
    ]
    .into_iter()
    .filter(|v| prior.supported(*v))
    .collect();
    let (Some(highest), Some(lower)) = (offered.first(), offered.get(1)) else {
        return Fact::not_applicable("only one protocol version offered: nothing to fall back to");
    };
    let v = *lower;
    let o = probe_with(ctx, v, prior.suites(v, |_| true), |s| {
        s.reneg_scsv = false;
        s.suites.push(CipherSuite::FALLBACK_SCSV);
    })
    .await;
    match o {
        ProbeOutcome::Alert(a) if a.description == AlertDescription::INAPPROPRIATE_FALLBACK => {
            Fact::yes(format!(
                "{v} hello with TLS_FALLBACK_SCSV (server speaks {highest}): alert inappropriate_fallback"
            ))
        }
        ProbeOutcome::ServerHello(fl) => Fact::no(format!(
            "{v} hello with TLS_FALLBACK_SCSV (server speaks {highest}) was accepted: ServerHello {}",
            fl.hello.negotiated_version()
        )),
        other => Fact::not_determined(format!(
            "{v} hello with TLS_FALLBACK_SCSV answered: {}",
            other.describe()
        )),
    }
}

fn alpn_ext(protocols: &[&str]) -> Extension {
    Extension::new(
        ExtensionType::ALPN,
        &ProtocolNameList(
            protocols
                .iter()
                .map(|p| ProtocolName(p.as_bytes().to_vec()))
                .collect(),
        ),
    )
}

/// ALPN by elimination over [`ALPN_PROTOCOLS`]: in the clear at the highest pre-1.3 version,
/// or with rustls handshakes on a TLS 1.3-only server.
async fn alpn_probe(
    ctx: &Ctx,
    prior: &Prior,
    legacy: Option<TlsVersion>,
    quick: bool,
) -> (Vec<String>, String) {
    if legacy.is_none() && quick {
        return (
            vec![],
            "not probed: TLS 1.3 only and --quick skips full handshakes".into(),
        );
    }
    let mut remaining: Vec<&str> = ALPN_PROTOCOLS.to_vec();
    let mut chosen = Vec::new();
    let mut evidence = String::new();
    for _ in 0..ALPN_PROTOCOLS.len() {
        if remaining.is_empty() {
            break;
        }
        let pick: Result<Option<String>, String> = match legacy {
            Some(v) => {
                let o = probe_with(ctx, v, prior.suites(v, |_| true), |s| {
                    s.extra = vec![alpn_ext(&remaining)]
                })
                .await;
                match o {
                    ProbeOutcome::ServerHello(fl) => Ok(fl
                        .hello
                        .extension(ExtensionType::ALPN)
                        .and_then(|e| e.parse::<ProtocolNameList>().ok())
                        .and_then(|l| l.0.first().cloned())
                        .map(|p| String::from_utf8_lossy(&p.0).into_owned())),
                    ProbeOutcome::Alert(a)
                        if a.description == AlertDescription::NO_APPLICATION_PROTOCOL =>
                    {
                        Ok(None)
                    }
                    other => Err(other.describe()),
                }
            }
            None if prior.supported(TlsVersion::Tls13) => {
                let mut setup = Setup::new(true);
                setup.alpn = remaining.iter().map(|p| p.as_bytes().to_vec()).collect();
                match Client::new(&setup) {
                    Ok(c) => match fullhs::handshake(ctx, &c, None).await {
                        Ok(d) => Ok(d.alpn.map(|p| String::from_utf8_lossy(&p).into_owned())),
                        Err(e) if e.contains("NoApplicationProtocol") => Ok(None),
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e),
                }
            }
            None => Err("no version to probe".into()),
        };
        match pick {
            Ok(Some(p)) if remaining.contains(&p.as_str()) => {
                remaining.retain(|r| *r != p);
                chosen.push(p);
            }
            Ok(Some(p)) => {
                evidence = format!("server selected {p:?}, which was not offered");
                break;
            }
            Ok(None) => {
                evidence = format!("no protocol selected from {}", remaining.join(", "));
                break;
            }
            Err(e) => {
                evidence = format!("ALPN probe answered: {e}");
                break;
            }
        }
    }
    if evidence.is_empty() {
        evidence = "every offered protocol was selected".into();
    }
    (chosen, evidence)
}

/// TLS 1.2 resumption with real abbreviated handshakes (rustls): by session id, then by ticket.
async fn tls12_resumption(ctx: &Ctx, prior: &Prior, quick: bool) -> (Fact, Fact, Option<u32>) {
    if !prior.supported(TlsVersion::Tls12) {
        let na = Fact::not_applicable("TLS 1.2 not offered (resumption is checked in TLS 1.2)");
        return (na.clone(), na, None);
    }
    if quick {
        let nd = Fact::not_determined("not probed (--quick skips full handshakes)");
        return (nd.clone(), nd, None);
    }
    if !fullhs::can_negotiate(&prior.suites(TlsVersion::Tls12, |_| true)) {
        let nd = Fact::not_determined(fullhs::CANNOT_NEGOTIATE);
        return (nd.clone(), nd, None);
    }
    let by_id = async {
        let mut setup = Setup::new(false);
        setup.tls12_tickets = false;
        resume_twice(ctx, &setup).await.map(|(_, second)| second)
    };
    let by_ticket = async {
        let setup = Setup::new(false);
        resume_twice(ctx, &setup).await
    };
    let (id, ticket) = tokio::join!(by_id, by_ticket);
    let id_fact = match id {
        Ok(d) if d.kind == Some(rustls::HandshakeKind::Resumed) => {
            Fact::yes("second TLS 1.2 handshake resumed the session by its id")
        }
        Ok(_) => Fact::no("second TLS 1.2 handshake offering the session id was a full handshake"),
        Err(e) => Fact::not_determined(format!("TLS 1.2 handshake failed: {e}")),
    };
    let (ticket_fact, lifetime) = match ticket {
        Ok((first, _)) if first.tls12_ticket_lifetime.is_none() => (
            Fact::no("no NewSessionTicket in a full TLS 1.2 handshake offering session_ticket"),
            None,
        ),
        Ok((first, second)) if second.kind == Some(rustls::HandshakeKind::Resumed) => (
            Fact::yes("second TLS 1.2 handshake resumed with the session ticket"),
            first.tls12_ticket_lifetime,
        ),
        Ok((first, _)) => (
            Fact::no("a ticket was issued but the handshake presenting it was a full one"),
            first.tls12_ticket_lifetime,
        ),
        Err(e) => (
            Fact::not_determined(format!("TLS 1.2 handshake failed: {e}")),
            None,
        ),
    };
    (id_fact, ticket_fact, lifetime)
}

async fn resume_twice(ctx: &Ctx, setup: &Setup) -> Result<(fullhs::Done, fullhs::Done), String> {
    let client = Client::new(setup)?;
    let first = fullhs::handshake(ctx, &client, None).await?;
    let second = fullhs::handshake(ctx, &client, None).await?;
    Ok((first, second))
}

struct Tls13Run {
    tickets: Fact,
    ticket_count: Option<u32>,
    ticket_lifetime: Option<u32>,
    max_early_data: Option<u32>,
    resumption: Fact,
    early_data: Fact,
    ocsp: Fact,
    cert_request: Option<(Fact, Vec<String>)>,
}

/// Two TLS 1.3 handshakes: a full one that collects tickets (and the OCSP response and any
/// CertificateRequest), then a resumption that sends 0-RTT data when the ticket allows it.
async fn tls13_handshakes(ctx: &Ctx, prior: &Prior, tls13: bool, quick: bool) -> Option<Tls13Run> {
    if !tls13 || quick {
        return None;
    }
    if !fullhs::can_negotiate(&prior.suites(TlsVersion::Tls13, |_| true)) {
        return Some(undetermined(fullhs::CANNOT_NEGOTIATE.into()));
    }
    let mut setup = Setup::new(true);
    setup.early_data = true;
    setup.collect_tickets = true;
    let client = match Client::new(&setup) {
        Ok(c) => c,
        Err(e) => return Some(undetermined(e)),
    };
    let first = fullhs::handshake(ctx, &client, None).await;
    let seen = client.take_seen();
    let cert_request = seen.cert_request.as_ref().map(|cas| {
        (
            Fact::yes(format!(
                "TLS 1.3 CertificateRequest listing {} CA names",
                cas.len()
            )),
            cas.iter().map(|dn| dn_text(dn)).collect(),
        )
    });
    let ocsp = match (&first, &seen.ocsp) {
        (_, Some(r)) => Fact::yes(format!(
            "TLS 1.3 Certificate carries a {}-byte OCSP response",
            r.len()
        )),
        (Ok(_), None) => Fact::no("TLS 1.3 Certificate carries no OCSP response"),
        (Err(e), None) => Fact::not_determined(format!("TLS 1.3 handshake failed: {e}")),
    };
    let first = match first {
        Ok(d) => d,
        Err(e) => {
            let mut run = undetermined(format!("TLS 1.3 handshake failed: {e}"));
            run.ocsp = ocsp;
            run.cert_request = cert_request.or(Some((
                Fact::not_determined("TLS 1.3 handshake failed"),
                vec![],
            )));
            return Some(run);
        }
    };
    let count = seen.tls13_tickets;
    let max_early = seen.max_early_data;
    let mut run = Tls13Run {
        tickets: if count > 0 {
            Fact::yes(format!(
                "{count} NewSessionTicket messages after the handshake"
            ))
        } else {
            Fact::no("no NewSessionTicket after the handshake")
        },
        ticket_count: Some(count),
        ticket_lifetime: first.tls13_ticket_lifetimes.first().copied(),
        max_early_data: max_early,
        resumption: Fact::not_applicable("no ticket to resume with"),
        early_data: Fact::not_applicable("no ticket to send early data with"),
        ocsp,
        cert_request: cert_request.or(Some((
            Fact::no("no CertificateRequest in the TLS 1.3 handshake"),
            vec![],
        ))),
    };
    if count == 0 {
        return Some(run);
    }
    let second = fullhs::handshake(ctx, &client, Some(EARLY_DATA)).await;
    let _ = client.take_seen();
    match second {
        Ok(d) => {
            run.resumption = if d.kind == Some(rustls::HandshakeKind::Resumed) {
                Fact::yes("second TLS 1.3 handshake resumed with a PSK from a ticket")
            } else {
                Fact::no("second TLS 1.3 handshake offering a ticket was a full handshake")
            };
            run.early_data = if max_early.unwrap_or(0) == 0 {
                Fact::no("tickets allow no early data (max_early_data_size 0)")
            } else if d.early_data_accepted {
                Fact::yes(format!(
                    "0-RTT data accepted (max_early_data_size {})",
                    max_early.unwrap_or(0)
                ))
            } else {
                Fact::no("0-RTT data sent with the ticket was rejected")
            };
        }
        Err(e) => {
            run.resumption = Fact::not_determined(format!("resumption handshake failed: {e}"));
            run.early_data = Fact::not_determined(format!("resumption handshake failed: {e}"));
        }
    }
    Some(run)
}

fn undetermined(why: String) -> Tls13Run {
    let nd = Fact::not_determined(why);
    Tls13Run {
        tickets: nd.clone(),
        ticket_count: None,
        ticket_lifetime: None,
        max_early_data: None,
        resumption: nd.clone(),
        early_data: nd.clone(),
        ocsp: nd,
        cert_request: None,
    }
}
