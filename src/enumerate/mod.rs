//! Enumeration strategies: plan probes, fold their outcomes into facts.
//!
//! Protocol versions and cipher suites are found by elimination: offer every candidate, record
//! the one the server picks, remove it, repeat until the server refuses — |accepted| + 1
//! handshakes per version, plus one to learn whether the server imposes its order.
//! `--only versions` stops at the first probe per version (supported or not, and the suite
//! chosen). The hello shape found here (full, or compact for servers that close on large
//! hellos) travels to the later stages in [`Ctx::compact`].

pub mod chains;
pub mod dns;
pub mod ech;
pub mod eliminate;
pub mod features;
pub mod groups;
pub mod http;
pub mod mail;
pub mod prior;
pub mod quic;
pub mod replay;
pub mod sigs;
pub mod weaknesses;

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Instant;

use crate::facts::certs::FetchedChains;
use crate::facts::{ErrorReason, Stage};
use crate::facts::{ProtocolResult, SectionStatus, SuiteResult, TlsVersion};
use crate::facts::{RateLimited, TargetFacts};
use crate::probe::ctx::{resolve, sni_for};
use crate::probe::engine::{Engine, ProbeOutcome, ServerFlight};
use crate::probe::hello::{sslv2_hello, HelloSpec, COMPACT_CHUNK};
use crate::probe::starttls::Starttls;
pub use crate::probe::{Ctx, Target};
use crate::wire::registry;
use crate::wire::{AlertDescription, CipherSuite, KeyShareEntry, NamedGroup, ProtocolVersion};
use eliminate::Pick;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub versions: Vec<TlsVersion>,
    /// Send this name in SNI instead of the target's host name.
    pub sni: Option<String>,
    /// Send no SNI at all.
    pub no_sni: bool,
    /// Connect to this address instead of resolving the host.
    pub ip: Option<IpAddr>,
    /// Run this plaintext preamble before every hello.
    pub starttls: Option<Starttls>,
    /// Stages to run (`--only`); all by default.
    pub stages: BTreeSet<Stage>,
    /// The mail domain whose MTA-STS policy an SMTP target is checked against
    /// (`--mail-domain`); `None`: the host's parent domain ([`mail::mail_domain`]).
    pub mail_domain: Option<String>,
    /// `--quick`: no preference-order probes and no full handshakes (resumption, 0-RTT,
    /// TLS 1.3 signature schemes).
    pub quick: bool,
    /// Recorded client hellos to replay (live handshake simulation), one connection each.
    pub replay: Vec<replay::ReplayHello>,
    /// The DNS resolver for the HTTPS record (`--resolver`); `None`: the system's
    /// (/etc/resolv.conf).
    pub resolver: Option<std::net::SocketAddr>,
    /// An ECHConfigList for the real ECH handshake (`--ech-config`), used instead of the
    /// HTTPS record's.
    pub ech_config: Option<Vec<u8>>,
    /// Scan over QUIC ([`quic`]): TLS 1.3 only, in QUIC handshakes over UDP.
    pub quic: bool,
}

impl ScanOptions {
    /// The port a target without one gets: 443, or the STARTTLS protocol's own.
    pub fn default_port(&self) -> u16 {
        self.starttls.map_or(443, Starttls::default_port)
    }

    pub fn runs(&self, stage: Stage) -> bool {
        self.stages.contains(&stage)
    }

    /// Whether the protocol stage enumerates suites: unless versions are all that was asked
    /// for (`--only versions`), since every other stage builds on the accepted suites.
    pub fn enumerates_suites(&self) -> bool {
        self.stages.iter().any(|s| *s != Stage::Versions)
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            versions: TlsVersion::ALL.to_vec(),
            sni: None,
            no_sni: false,
            ip: None,
            starttls: None,
            stages: Stage::ALL.into_iter().collect(),
            quick: false,
            replay: Vec::new(),
            resolver: None,
            ech_config: None,
            quic: false,
            mail_domain: None,
        }
    }
}

/// Facts gathered on the way that later stages (certificates, groups) use; not serialised.
#[derive(Debug, Default, Clone)]
pub struct Gathered {
    /// The first complete flight per accepted version (TLS <= 1.2 carry certificates).
    pub flights: Vec<(TlsVersion, Box<ServerFlight>)>,
    /// The SSLv2 server's certificate, if it sent one.
    pub sslv2_certificate: Option<Vec<u8>>,
    /// The server closed on our full-size hellos and answered compact ones (under 256 bytes):
    /// later stages must send compact hellos too.
    pub compact: bool,
    /// The certificate chains, when the certificates stage ran (judged above the scan, by
    /// [`crate::certs::section`]).
    pub chains: Option<FetchedChains>,
}

/// Told of each stage as it finishes, with the facts so far and what was gathered on the way
/// (`serve`'s live progress). Versions and suites are enumerated together (one elimination per
/// version), so both are told at once; groups, signature schemes and features run side by
/// side and are told in that order once all three are in.
pub type StageObserver<'a> = &'a (dyn Fn(Stage, &TargetFacts, &Gathered) + Sync);

/// Scans one target. Never fails: an unreachable target is a report with `error` set.
pub async fn scan_target(
    engine: &Engine,
    target: &Target,
    opts: &ScanOptions,
) -> (TargetFacts, Gathered) {
    scan_target_observed(engine, target, opts, &|_, _, _| {}).await
}

/// [`scan_target`], telling `observer` of each stage that ran (a stage not scheduled, or
/// skipped because the target could not be reached, is not told).
pub async fn scan_target_observed(
    engine: &Engine,
    target: &Target,
    opts: &ScanOptions,
    observer: StageObserver<'_>,
) -> (TargetFacts, Gathered) {
    let started = Instant::now();
    // A target's scheme names its own preamble (`imaps://` none, `submission://` SMTP's), and
    // a service other than HTTPS gets no `GET /` over its TLS.
    let scoped;
    let opts = match target.scheme {
        Some(scheme) => {
            let mut o = opts.clone();
            o.starttls = scheme.starttls;
            if scheme.name != "https" {
                o.stages.remove(&Stage::Http);
            }
            scoped = o;
            &scoped
        }
        None => opts,
    };
    let sni = sni_for(target, opts.sni.as_deref(), opts.no_sni);
    let mut report = TargetFacts {
        target: target.input.clone(),
        host: target.host.clone(),
        port: target.port,
        sni: sni.clone(),
        starttls: opts.starttls,
        ..Default::default()
    };
    if let (true, Some(scheme)) = (opts.quic, target.scheme.filter(|s| s.starttls.is_some())) {
        // Only a scheme brings both: the flags `--quic` and `--starttls` exclude each other.
        report.error = Some(format!(
            "{}: {}:// is STARTTLS over TCP, and --quic scans TLS over UDP: scan it without \
             --quic",
            target.input, scheme.name
        ));
        report.error_reason = Some(ErrorReason::InvalidTarget);
        report.protocols = not_scheduled(&opts.versions);
        return (report, Gathered::default());
    }
    let addr = match resolve(target, opts.ip).await {
        Ok(a) => a,
        Err(e) => {
            report.error = Some(e);
            report.error_reason = Some(ErrorReason::ResolveFailed);
            report.protocols = not_scheduled(&opts.versions);
            return (report, Gathered::default());
        }
    };
    report.ip = Some(addr.ip().to_string());
    if opts.quic {
        return quic::scan(engine, opts, report, addr, sni, started).await;
    }
    let mut host = engine.host(addr);
    host.starttls = opts.starttls;
    host.starttls_domain = Some(opts.sni.clone().unwrap_or_else(|| target.host.clone()));
    let mut ctx = Ctx {
        engine: engine.clone(),
        host,
        sni,
        compact: false,
    };

    // The DNS lookup needs no connection to the target: beside the protocol stage.
    let dns_wait = engine.config().read_timeout;
    let ((protocols, mut gathered), https_record) = tokio::join!(
        scan_protocols(&ctx, &opts.versions, opts.enumerates_suites()),
        dns::scan(target, opts, dns_wait),
    );
    report.https_record = https_record;
    ctx.compact = gathered.compact;
    report.protocols = protocols;
    // A target that does not accept TCP is an error of the target, not a set of "no" answers.
    if report
        .protocols
        .iter()
        .all(|p| p.status != SectionStatus::Completed)
    {
        report.error = report.protocols.iter().find_map(|p| p.error.clone());
        report.error_reason = match ctx.host.silence() {
            Some(e) => Some(e.reason),
            None => ctx.host.last_failure(),
        };
    }
    if report.error.is_none() {
        observer(Stage::Versions, &report, &gathered);
        if opts.enumerates_suites() {
            observer(Stage::Suites, &report, &gathered);
        }
    }
    if report.https_record.is_some() {
        observer(Stage::Dns, &report, &gathered);
    }
    if opts.runs(Stage::Certs) && report.error.is_none() {
        gathered.chains = Some(chains::fetch(&ctx, &report.protocols, &gathered).await);
        observer(Stage::Certs, &report, &gathered);
    }
    if report.error.is_none() {
        // Later stages only vary the dimension under test, using what the protocol stage found.
        let prior = prior::Prior::from_protocols(&report.protocols);
        let (groups, signatures, features, ech) = tokio::join!(
            groups::scan(&ctx, &prior, opts),
            sigs::scan(&ctx, &prior, opts),
            features::scan(&ctx, &prior, &gathered, opts),
            ech::scan(&ctx, &report.protocols, report.https_record.as_ref(), opts),
        );
        report.groups = groups;
        report.signature_schemes = signatures;
        report.features = features;
        report.ech = ech;
        for (stage, ran) in [
            (Stage::Groups, report.groups.is_some()),
            (Stage::Sigs, report.signature_schemes.is_some()),
            (Stage::Features, report.features.is_some()),
            (Stage::Ech, report.ech.is_some()),
        ] {
            if ran {
                observer(stage, &report, &gathered);
            }
        }
        // Alone, not beside the other stages: a server that serves one connection at a time
        // (openssl s_server) and never answers HTTP would hold the others' probes for a whole
        // read timeout. Before the weaknesses, which read it (BREACH).
        let host_header = host_header(target, report.sni.as_deref());
        let says_http = http::says_http(target.port, report.features.as_ref());
        report.http = http::scan(&ctx, &prior, &host_header, says_http, opts).await;
        if report.http.is_some() {
            observer(Stage::Http, &report, &gathered);
        }
        // After the others: the weaknesses read the suites, the DH group and the features.
        let known = weaknesses::Known {
            protocols: &report.protocols,
            groups: report.groups.as_ref(),
            features: report.features.as_ref(),
            sslv2_certificate: gathered.sslv2_certificate.as_deref(),
            http: report.http.as_ref(),
            starttls: opts.starttls.is_some(),
        };
        report.weaknesses = weaknesses::scan(&ctx, &prior, &known, opts).await;
        if report.weaknesses.is_some() {
            observer(Stage::Weaknesses, &report, &gathered);
        }
    }
    if report.error.is_none() && !opts.replay.is_empty() {
        report.replay = replay::replay(&ctx, &opts.replay).await;
    }
    report.connections = ctx.host.connections();
    report.rate_limited = ctx
        .host
        .rate_limit()
        .map(|r| RateLimited::new(r.evidence, r.retries, r.gave_up));
    report.duration_ms = started.elapsed().as_millis() as u64;
    (report, gathered)
}

/// The Host header for `GET /` (RFC 9110 section 7.2): the name sent in SNI, else the
/// target's host (an IPv6 literal in brackets), with the port unless it is 443.
fn host_header(target: &Target, sni: Option<&str>) -> String {
    let host = match sni {
        Some(name) => name.to_string(),
        None if target.host.contains(':') => format!("[{}]", target.host),
        None => target.host.clone(),
    };
    if target.port == 443 {
        host
    } else {
        format!("{host}:{}", target.port)
    }
}

fn not_scheduled(versions: &[TlsVersion]) -> Vec<ProtocolResult> {
    versions
        .iter()
        .map(|&v| ProtocolResult {
            version: v,
            supported: false,
            status: SectionStatus::NotScheduled,
            error: None,
            server_preference: None,
            cipher_suites: vec![],
            evidence: String::new(),
            suites_enumerated: true,
        })
        .collect()
}

/// How a server's answer to one suite-enumeration hello reads.
#[derive(Debug)]
enum Answer {
    /// It picked this suite at the version asked for.
    Accepted(CipherSuite, Box<ServerFlight>),
    /// It does not speak the version asked for.
    NotSupported(String),
    /// It speaks the version but will take none of the offered suites.
    Refused(String),
    /// No clean answer (closed, reset, timeout, garbage): refusal or intolerance of the hello.
    Ambiguous(String),
    /// The scan itself failed (no connection).
    Failed(String),
}

fn classify(outcome: ProbeOutcome, version: ProtocolVersion, offered: &[CipherSuite]) -> Answer {
    let describe = outcome.describe();
    match outcome {
        ProbeOutcome::ServerHello(flight) => {
            let got = flight.hello.negotiated_version();
            if got != version {
                return Answer::NotSupported(format!("server negotiated {got} instead"));
            }
            let suite = flight.hello.cipher_suite;
            if !offered.contains(&suite) {
                return Answer::Failed(format!("server chose {suite}, which was not offered"));
            }
            Answer::Accepted(suite, flight)
        }
        ProbeOutcome::Alert(a) => match a.description {
            AlertDescription::PROTOCOL_VERSION => Answer::NotSupported(describe),
            AlertDescription::HANDSHAKE_FAILURE | AlertDescription::INSUFFICIENT_SECURITY => {
                Answer::Refused(describe)
            }
            // decode_error / illegal_parameter and friends may be intolerance of our hello.
            _ => Answer::Ambiguous(describe),
        },
        ProbeOutcome::Sslv2ServerHello(_) => {
            Answer::NotSupported("server answered in SSLv2".into())
        }
        ProbeOutcome::ConnectFailed(e) => Answer::Failed(e.to_string()),
        ProbeOutcome::Closed
        | ProbeOutcome::Reset
        | ProbeOutcome::Timeout
        | ProbeOutcome::Malformed(_) => Answer::Ambiguous(describe),
    }
}

/// Whether the server takes our full-size hellos, or needs compact ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Full,
    Compact,
    /// TLS 1.3 with a real X25519 key share, for servers that refuse an empty `key_share`.
    FullWithKeyShare,
}

impl Ctx {
    async fn probe_suites(
        &self,
        version: ProtocolVersion,
        suites: &[CipherSuite],
        shape: Shape,
    ) -> ProbeOutcome {
        let mut spec = HelloSpec::new(version, suites.to_vec(), self.sni.clone());
        if self.host.quic.is_some() {
            // Over QUIC, real shares for the common curves whatever the shape: some QUIC
            // servers (aioquic) never send HelloRetryRequest, and QUIC pads every hello.
            let curves = [
                NamedGroup::X25519,
                NamedGroup::SECP256R1,
                NamedGroup::SECP384R1,
            ];
            spec.key_shares = crate::probe::engine::quic::key_shares(&curves).0;
            return self.engine.probe(&self.host, &spec.build()).await;
        }
        match shape {
            Shape::Full => {}
            Shape::Compact => spec = spec.compact(),
            Shape::FullWithKeyShare => {
                // Any 32 bytes are an X25519 public key (RFC 7748 section 5); we never
                // finish the handshake, so no private key is needed.
                let mut key = vec![0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut key);
                spec.key_shares = vec![KeyShareEntry {
                    group: NamedGroup::X25519,
                    key_exchange: key,
                }];
            }
        }
        self.engine.probe(&self.host, &spec.build()).await
    }
}

/// Suites most servers have, to tell "intolerant of big hellos" from "speaks no TLS".
fn popular_suites() -> Vec<CipherSuite> {
    [
        0xc02f, 0xc030, 0xc02b, 0xc02c, 0xcca8, 0xcca9, 0x009c, 0x009d, 0xc013, 0xc014, 0x002f,
        0x0035, 0x000a, 0x0005,
    ]
    .into_iter()
    .map(CipherSuite)
    .collect()
}

/// Every scheduled version, enumerated. Versions run in parallel; within a version probes are
/// sequential, so the result does not depend on the parallelism chosen. Without `enumerate`
/// (`--only versions`) the first answer per version is all: supported or not, and the one
/// suite the server chose.
pub async fn scan_protocols(
    ctx: &Ctx,
    versions: &[TlsVersion],
    enumerate: bool,
) -> (Vec<ProtocolResult>, Gathered) {
    // First probes of TLS 1.2 and 1.3 also decide the hello shape for every version.
    let first12 = async {
        if versions.contains(&TlsVersion::Tls12) {
            let c = registry::candidates(ProtocolVersion::TLS12);
            Some(
                ctx.probe_suites(ProtocolVersion::TLS12, &c, Shape::Full)
                    .await,
            )
        } else {
            None
        }
    };
    let first13 = async {
        if versions.contains(&TlsVersion::Tls13) {
            let c = registry::candidates(ProtocolVersion::TLS13);
            Some(
                ctx.probe_suites(ProtocolVersion::TLS13, &c, Shape::Full)
                    .await,
            )
        } else {
            None
        }
    };
    let (first12, first13) = tokio::join!(first12, first13);
    // No TCP connection at all, or connections on which the server never says a word: stop
    // here instead of failing (or waiting out the timeout on) every other version too.
    let unreachable = [&first12, &first13]
        .into_iter()
        .flatten()
        .find_map(|o| match o {
            ProbeOutcome::ConnectFailed(e) => Some(e.clone()),
            _ => None,
        })
        .or_else(|| ctx.host.silence());
    if let Some(e) = unreachable {
        let mut failed = not_scheduled(versions);
        for p in &mut failed {
            p.status = SectionStatus::Error;
            p.error = Some(e.to_string());
        }
        return (failed, Gathered::default());
    }
    let clean = |o: &Option<ProbeOutcome>, v| {
        o.clone()
            .map(|o| !matches!(classify(o, v, &[]), Answer::Ambiguous(_)))
            .unwrap_or(false)
    };
    let mut shape = Shape::Full;
    if !clean(&first12, ProtocolVersion::TLS12) && !clean(&first13, ProtocolVersion::TLS13) {
        let probe = ctx
            .probe_suites(ProtocolVersion::TLS12, &popular_suites(), Shape::Compact)
            .await;
        if matches!(probe, ProbeOutcome::ServerHello(_)) {
            shape = Shape::Compact;
        }
    }
    let firsts = |v: TlsVersion| match (shape, v) {
        (Shape::Full, TlsVersion::Tls12) => first12.clone(),
        (Shape::Full, TlsVersion::Tls13) => first13.clone(),
        _ => None,
    };
    let tasks = versions.iter().map(|&v| {
        let first = firsts(v);
        async move {
            if v == TlsVersion::Ssl2 {
                scan_sslv2(ctx).await
            } else {
                scan_version(ctx, v, shape, first, enumerate).await
            }
        }
    });
    let results = futures::future::join_all(tasks).await;
    let mut gathered = Gathered {
        compact: shape == Shape::Compact,
        ..Default::default()
    };
    let mut out = Vec::new();
    for (result, flight, sslv2_cert) in results {
        if let Some(f) = flight {
            gathered.flights.push((result.version, f));
        }
        if sslv2_cert.is_some() {
            gathered.sslv2_certificate = sslv2_cert;
        }
        out.push(result);
    }
    (out, gathered)
}

type VersionOutcome = (ProtocolResult, Option<Box<ServerFlight>>, Option<Vec<u8>>);

async fn scan_sslv2(ctx: &Ctx) -> VersionOutcome {
    let kinds: Vec<_> = registry::SSLV2_KINDS.iter().map(|k| k.id).collect();
    let outcome = ctx.engine.probe(&ctx.host, &sslv2_hello(&kinds)).await;
    let evidence = outcome.describe();
    let mut result = ProtocolResult {
        version: TlsVersion::Ssl2,
        supported: false,
        status: SectionStatus::Completed,
        error: None,
        server_preference: None,
        cipher_suites: vec![],
        evidence,
        suites_enumerated: true,
    };
    match outcome {
        // One SERVER-HELLO lists every cipher kind the server shares with us; the client picks.
        ProbeOutcome::Sslv2ServerHello(h) => {
            result.supported = true;
            result.cipher_suites = h
                .cipher_specs
                .iter()
                .map(|k| SuiteResult::from_sslv2(*k))
                .collect();
            let cert = (!h.certificate.is_empty()).then(|| h.certificate.clone());
            (result, None, cert)
        }
        ProbeOutcome::ConnectFailed(e) => {
            result.status = SectionStatus::Error;
            result.error = Some(e.to_string());
            (result, None, None)
        }
        _ => (result, None, None),
    }
}

async fn scan_version(
    ctx: &Ctx,
    v: TlsVersion,
    shape: Shape,
    first: Option<ProbeOutcome>,
    enumerate: bool,
) -> VersionOutcome {
    let version = v.wire();
    // Without enumeration the first accepted suite ends the version's scan.
    let limit = if enumerate { usize::MAX } else { 1 };
    let candidates = registry::candidates(version);
    let mut result = ProtocolResult {
        version: v,
        supported: false,
        status: SectionStatus::Completed,
        error: None,
        server_preference: None,
        cipher_suites: vec![],
        evidence: String::new(),
        suites_enumerated: true,
    };
    let mut shape = shape;
    let mut first = first;
    let (mut accepted, mut flight, mut evidence, mut chunks);
    // An elimination that ended on silence, not on an answer: the suites after it are unknown.
    let mut cut_by_timeout;
    loop {
        chunks = match shape {
            Shape::Compact => candidates
                .chunks(COMPACT_CHUNK)
                .map(<[_]>::to_vec)
                .collect(),
            Shape::Full | Shape::FullWithKeyShare => vec![candidates.clone()],
        };
        accepted = Vec::new();
        flight = None;
        evidence = Vec::new();
        let mut all_ambiguous = true;
        cut_by_timeout = false;
        for chunk in &chunks {
            if accepted.len() >= limit {
                break;
            }
            match eliminate_suites(ctx, version, shape, chunk.clone(), first.take(), limit).await {
                Ok(e) => {
                    if flight.is_none() {
                        flight = e.flight;
                    }
                    accepted.extend(e.accepted);
                    all_ambiguous &= e.ambiguous;
                    cut_by_timeout |= e.stop == ProbeOutcome::Timeout.describe();
                    evidence.push(e.stop);
                }
                Err(e) => {
                    result.status = SectionStatus::Error;
                    result.error = Some(e.to_string());
                    break;
                }
            }
        }
        // No clean answer to an empty key_share: ask once more with a real one.
        let retry = version == ProtocolVersion::TLS13
            && shape == Shape::Full
            && accepted.is_empty()
            && all_ambiguous
            && result.status == SectionStatus::Completed;
        if !retry {
            break;
        }
        shape = Shape::FullWithKeyShare;
    }
    result.supported = !accepted.is_empty();
    // A server that answered and then went silent (it took one suite, then timed out on the
    // rest) has not told us its other suites: the list is what it chose, not all it takes.
    result.suites_enumerated = (enumerate && !cut_by_timeout) || !result.supported;
    result.evidence = if let Some(f) = &flight {
        format!(
            "ServerHello {} {}",
            f.hello.negotiated_version(),
            f.hello.cipher_suite
        )
    } else {
        evidence.first().cloned().unwrap_or_default()
    };
    if enumerate && result.status == SectionStatus::Completed && accepted.len() >= 2 {
        if chunks.len() > 1 && accepted.len() <= COMPACT_CHUNK {
            // Chunks were enumerated separately: one more elimination over the accepted
            // suites alone puts them in the server's order.
            if let Ok(e) =
                eliminate_suites(ctx, version, shape, accepted.clone(), None, usize::MAX).await
            {
                if e.accepted.len() == accepted.len() {
                    accepted = e.accepted;
                }
            }
        }
        if chunks.len() == 1 || accepted.len() <= COMPACT_CHUNK {
            result.server_preference = suite_preference(ctx, version, shape, &accepted).await;
        }
    }
    result.cipher_suites = accepted
        .iter()
        .map(|s| SuiteResult::from_suite(*s))
        .collect();
    (result, flight, None)
}

/// What one suite elimination found: the suites, the first flight, how it stopped.
struct Eliminated {
    accepted: Vec<CipherSuite>,
    flight: Option<Box<ServerFlight>>,
    /// What ended it: the refusal that said "no more".
    stop: String,
    /// The stop was not a clean refusal (closed, reset, timeout, odd alert).
    ambiguous: bool,
}

impl Answer {
    fn pick(self) -> Pick<CipherSuite, Box<ServerFlight>> {
        match self {
            Answer::Accepted(suite, flight) => Pick::Picked(suite, flight),
            Answer::NotSupported(why) | Answer::Refused(why) => Pick::Stop { why, clean: true },
            Answer::Ambiguous(why) => Pick::Stop { why, clean: false },
            Answer::Failed(e) => Pick::Failed(e),
        }
    }
}

/// Suites by [`eliminate::eliminate`]: `first`, when given, is the answer to the first offer
/// (already probed by the version check).
async fn eliminate_suites(
    ctx: &Ctx,
    version: ProtocolVersion,
    shape: Shape,
    remaining: Vec<CipherSuite>,
    mut first: Option<ProbeOutcome>,
    limit: usize,
) -> Result<Eliminated, String> {
    let e = eliminate::eliminate("suite", remaining, limit, |offered| {
        let first = first.take();
        async move {
            let outcome = match first {
                Some(o) => o,
                None => ctx.probe_suites(version, &offered, shape).await,
            };
            classify(outcome, version, &offered).pick()
        }
    })
    .await;
    match e.error {
        Some(error) => Err(error),
        None => Ok(Eliminated {
            accepted: e.accepted,
            flight: e.extras.into_iter().next(),
            stop: e.stop,
            ambiguous: !e.clean,
        }),
    }
}

/// Whether the server imposes its suite order ([`eliminate::preference`]).
async fn suite_preference(
    ctx: &Ctx,
    version: ProtocolVersion,
    shape: Shape,
    accepted: &[CipherSuite],
) -> Option<bool> {
    eliminate::preference(accepted, |offered| async move {
        let outcome = ctx.probe_suites(version, &offered, shape).await;
        classify(outcome, version, &offered).pick()
    })
    .await
}
