//! A scan over QUIC (`--quic`, RFC 9000/9001): the TLS 1.3 suites and groups by the same
//! elimination as over TCP (the probe engine carries every hello in a QUIC handshake, see
//! [`crate::probe::engine::quic`]), and what only QUIC has: the QUIC versions the server accepts (a
//! hello in v1 and in v2, RFC 9369) and lists (its Version Negotiation in answer to a reserved
//! version, RFC 9000 section 6), the ALPN it chooses and its transport parameters (read from
//! its EncryptedExtensions with the handshake keys of one handshake).
//!
//! Stages that need a completed handshake or TCP (certificates, signature schemes, features,
//! HTTP, weaknesses, live simulation) are not scheduled over QUIC.

use std::net::SocketAddr;
use std::time::Instant;

use super::{prior::Prior, scan_protocols, Ctx, Gathered, ScanOptions};
use crate::facts::quic::{QuicVersionResult, TransportParameterFact};
use crate::facts::{
    ErrorReason, ProtocolResult, QuicSection, SectionStatus, TargetFacts, TlsVersion, Transport,
};
use crate::probe::engine::quic as transport;
use crate::probe::engine::{ConnectError, Engine, Hello, ProbeOutcome};
use crate::probe::hello::HelloSpec;
use crate::wire::quic::{version_name, VERSION_1, VERSION_2, VERSION_RESERVED};
use crate::wire::registry;
use crate::wire::{CipherSuite, NamedGroup, ProtocolVersion};

/// The versions tried with a handshake, in the order the scan prefers them.
const VERSIONS: [u32; 2] = [VERSION_1, VERSION_2];

/// Scans `addr` over QUIC. `report` comes with the target's names filled in.
pub async fn scan(
    engine: &Engine,
    opts: &ScanOptions,
    mut report: TargetFacts,
    addr: SocketAddr,
    sni: Option<String>,
    started: Instant,
) -> (TargetFacts, Gathered) {
    report.transport = Transport::Quic;
    let mut host = engine.host(addr);
    host.quic = Some(VERSION_1);
    let mut ctx = Ctx {
        engine: engine.clone(),
        host,
        sni,
        compact: false,
    };
    let (mut section, scanned, unreachable) = versions(&ctx).await;
    let mut gathered = Gathered::default();
    if let Some(e) = unreachable {
        report.protocols = vec![failed_tls13(&e)];
        report.error = Some(e.to_string());
        report.error_reason = Some(e.reason);
        section.status = SectionStatus::Error;
        section.error = Some(e.to_string());
    } else {
        ctx.host.quic = Some(scanned.unwrap_or(VERSION_1));
        section.scanned_version = scanned.map(|v| format!("0x{v:08x}"));
        let (protocols, g) =
            scan_protocols(&ctx, &[TlsVersion::Tls13], opts.enumerates_suites()).await;
        gathered = g;
        report.protocols = protocols;
        if let Some(e) = report
            .protocols
            .iter()
            .find(|p| p.status != SectionStatus::Completed)
            .and_then(|p| p.error.clone())
        {
            report.error = Some(e);
            report.error_reason = ctx
                .host
                .silence()
                .map(|e| e.reason)
                .or(ctx.host.last_failure());
        }
    }
    if report.error.is_none() {
        let prior = Prior::from_protocols(&report.protocols);
        let (groups, ()) = tokio::join!(
            super::groups::scan(&ctx, &prior, opts),
            details(&ctx, &prior, &mut section)
        );
        report.groups = groups;
    }
    report.quic = Some(section);
    report.connections = ctx.host.connections();
    report.duration_ms = started.elapsed().as_millis() as u64;
    (report, gathered)
}

fn failed_tls13(e: &ConnectError) -> ProtocolResult {
    ProtocolResult {
        version: TlsVersion::Tls13,
        supported: false,
        status: SectionStatus::Error,
        error: Some(e.to_string()),
        server_preference: None,
        cipher_suites: vec![],
        evidence: String::new(),
        suites_enumerated: true,
    }
}

/// The broadest TLS 1.3 hello, as the suites stage sends it over QUIC.
fn hello(
    ctx: &Ctx,
    suites: Vec<CipherSuite>,
    groups: &[NamedGroup],
) -> (Hello, transport::KeyShares) {
    let mut spec = HelloSpec::new(ProtocolVersion::TLS13, suites, ctx.sni.clone());
    let (entries, kx) = transport::key_shares(groups);
    spec.key_shares = entries;
    (spec.build(), kx)
}

const CURVES: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
];

/// A hello in each of [`VERSIONS`] and one in a reserved version. The first probe (v1) also
/// tells whether anything answers at all: `Err` when nothing does.
async fn versions(ctx: &Ctx) -> (QuicSection, Option<u32>, Option<ConnectError>) {
    let mut section = QuicSection {
        status: SectionStatus::Completed,
        ..Default::default()
    };
    let suites = registry::candidates(ProtocolVersion::TLS13);
    let try_version = |v: u32| {
        let mut host = ctx.host.clone();
        host.quic = Some(v);
        let (h, _) = hello(ctx, suites.clone(), &CURVES);
        async move { ctx.engine.probe(&host, &h).await }
    };
    let first = try_version(VERSIONS[0]).await;
    if let ProbeOutcome::ConnectFailed(e) = &first {
        return (section, None, Some(e.clone()));
    }
    if let Some(e) = ctx.host.silence() {
        return (section, None, Some(e));
    }
    let (v2, negotiation) = tokio::join!(
        try_version(VERSIONS[1]),
        transport::versions(&ctx.engine, &ctx.host, VERSION_RESERVED)
    );
    // An alert (in a CONNECTION_CLOSE) is a QUIC server refusing our hello; garbage, closes
    // for other reasons and silence are not a QUIC server's TLS answer at all.
    let answered = [&first, &v2]
        .iter()
        .any(|o| matches!(o, ProbeOutcome::ServerHello(_) | ProbeOutcome::Alert(_)))
        || negotiation.offered_versions.is_some();
    if !answered {
        let e = ConnectError::new(
            ErrorReason::ConnectError,
            format!(
                "{}: no QUIC server answers: {}: {}",
                ctx.host.addr,
                version_name(VERSIONS[0]),
                first.describe()
            ),
        );
        return (section, None, Some(e));
    }
    let mut scanned = None;
    for (v, outcome) in VERSIONS.into_iter().zip([first, v2]) {
        let accepted = matches!(&outcome, ProbeOutcome::ServerHello(f)
            if f.hello.negotiated_version() == ProtocolVersion::TLS13);
        if accepted && scanned.is_none() {
            scanned = Some(v);
        }
        section.versions.push(QuicVersionResult {
            id: format!("0x{v:08x}"),
            name: version_name(v),
            accepted,
            evidence: outcome.describe(),
        });
    }
    section.versions_offered = negotiation
        .offered_versions
        .map(|vs| vs.iter().map(|v| format!("0x{v:08x}")).collect());
    if section.versions_offered.is_none() {
        section.evidence = format!(
            "no Version Negotiation for {}: {}",
            version_name(VERSION_RESERVED),
            negotiation.outcome.describe()
        );
    }
    (section, scanned, None)
}

/// One handshake with real key shares for the accepted suites we can derive keys for: the
/// ALPN and the transport parameters from the server's EncryptedExtensions.
async fn details(ctx: &Ctx, prior: &Prior, section: &mut QuicSection) {
    // AES-CCM (0x1304, 0x1305) has no implementation in ring: its packets could not be opened.
    let derivable = |s: &CipherSuite| (0x1301..=0x1303).contains(&s.0);
    let mut suites: Vec<CipherSuite> = prior
        .suites(TlsVersion::Tls13, |_| true)
        .into_iter()
        .filter(derivable)
        .collect();
    if suites.is_empty() {
        suites = registry::candidates(ProtocolVersion::TLS13)
            .into_iter()
            .filter(derivable)
            .collect();
    }
    let (Hello::Tls { hello, .. }, kx) = hello(ctx, suites, &CURVES) else {
        return;
    };
    let Some(version) = ctx.host.quic else {
        return;
    };
    let x = transport::details(&ctx.engine, &ctx.host, hello, version, kx).await;
    let what = format!(
        "one {} handshake with key shares for {}",
        version_name(version),
        CURVES.map(|g| g.to_string()).join(", ")
    );
    let fail = |section: &mut QuicSection, why: String| {
        section.status = SectionStatus::Error;
        section.error = Some(format!("ALPN and transport parameters not read: {why}"));
        section.evidence = join(&section.evidence, &format!("{what}: {why}"));
    };
    match x.encrypted_extensions {
        Some(Ok(exts)) => {
            let found = transport::server_extensions(&exts);
            section.alpn = found.alpn;
            match found.transport_parameters {
                Some(Ok(params)) => {
                    section.transport_parameters = params
                        .iter()
                        .map(|p| TransportParameterFact {
                            id: p.id,
                            name: p.name(),
                            value: p.display_value(),
                        })
                        .collect();
                    section.evidence = join(
                        &section.evidence,
                        &format!("{what}: EncryptedExtensions read with the handshake keys"),
                    );
                }
                Some(Err(e)) => fail(section, format!("transport parameters do not parse: {e}")),
                None => fail(
                    section,
                    "EncryptedExtensions without quic_transport_parameters".into(),
                ),
            }
        }
        Some(Err(e)) => fail(section, e),
        None => fail(section, x.outcome.describe()),
    }
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}; {b}")
    }
}
