//! Getting the chains: TLS <= 1.2 flights through the probe engine (certificates travel in the
//! clear), TLS 1.3 through a real rustls handshake whose verifier records the chain and the
//! stapled OCSP response and accepts everything, judging nothing. Every connection is opened
//! by the engine, so it is counted and limited like any probe.

use rustls::SignatureScheme;

use super::Gathered;
use crate::facts::certs::{Capture, ChainSource, FetchedChains, NoSniProbe};
use crate::facts::{ProtocolResult, SuiteResult, TlsVersion};
use crate::probe::engine::{Engine, HostHandle, ProbeOutcome};
use crate::probe::full as fullhs;
use crate::probe::hello::HelloSpec;
use crate::probe::Ctx;
use crate::wire::registry;
use crate::wire::{Extension, ExtensionType, SignatureScheme as WireScheme};

/// Which server keys a hello allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOffer {
    Any,
    Rsa,
    Ecdsa,
}

impl KeyOffer {
    pub fn name(self) -> &'static str {
        match self {
            KeyOffer::Any => "any",
            KeyOffer::Rsa => "RSA",
            KeyOffer::Ecdsa => "ECDSA",
        }
    }

    fn allows_wire(self, s: WireScheme) -> bool {
        let n = s.name().unwrap_or("");
        match self {
            KeyOffer::Any => true,
            KeyOffer::Rsa => n.starts_with("rsa_"),
            KeyOffer::Ecdsa => n.starts_with("ecdsa_"),
        }
    }

    fn allows_suite_auth(self, auth: &str) -> bool {
        match self {
            KeyOffer::Any => true,
            KeyOffer::Rsa => auth == "RSA",
            KeyOffer::Ecdsa => auth == "ECDSA",
        }
    }
}

/// status_request (RFC 6066 section 8): type ocsp, no responder ids, no extensions.
fn status_request() -> Extension {
    Extension {
        typ: ExtensionType::STATUS_REQUEST,
        data: vec![1, 0, 0, 0, 0],
    }
}

/// The certificate stage: the chains in the flights the protocol scan already read, plus this
/// stage's own handshakes ([`probe_all`]), with the connections they took and, for a stage
/// that got no chain at all, why each of its handshakes gave none.
pub async fn fetch(ctx: &Ctx, protocols: &[ProtocolResult], gathered: &Gathered) -> FetchedChains {
    let before = ctx.host.connections();
    let mut captures = from_gathered(gathered);
    let (own, mut no_sni, failures) = probe_all(ctx, protocols).await;
    captures.extend(own);
    // An alert to the hello without SNI says "no SNI, no service" only when hellos with SNI
    // got a chain: when they failed too (e.g. a server that speaks only a group our
    // handshake client lacks), the alert is about something else.
    if no_sni.refused == Some(true) && !captures.iter().any(|c| !c.source.without_sni) {
        no_sni.refused = None;
        if let Some(e) = no_sni.evidence.as_mut() {
            e.push_str("; the handshakes with SNI got no chain either, so this is no refusal of SNI-less clients");
        }
    }
    FetchedChains {
        captures,
        no_sni,
        failures,
        connections: ctx.host.connections().saturating_sub(before),
    }
}

/// Captures from the flights the protocol scan already read.
pub fn from_gathered(gathered: &Gathered) -> Vec<Capture> {
    let mut out = Vec::new();
    for (v, f) in &gathered.flights {
        if let Some(certs) = f.certificates.as_ref().filter(|c| !c.is_empty()) {
            out.push(Capture {
                source: ChainSource {
                    version: *v,
                    offered: KeyOffer::Any.name().into(),
                    cipher_suite: Some(SuiteResult::from_suite(f.hello.cipher_suite).name),
                    without_sni: false,
                },
                certs: certs.clone(),
                // The protocol scan does not ask for stapling; a staple it got anyway counts.
                ocsp: f
                    .certificate_status
                    .as_ref()
                    .map(|s| Some(s.response.clone())),
            });
        }
    }
    if let Some(c) = &gathered.sslv2_certificate {
        out.push(Capture {
            source: ChainSource {
                version: TlsVersion::Ssl2,
                offered: KeyOffer::Any.name().into(),
                cipher_suite: None,
                without_sni: false,
            },
            certs: vec![c.clone()],
            ocsp: None,
        });
    }
    out
}

/// One TLS <= 1.2 hello offering only `offer`'s suites and signature schemes, asking for
/// stapling, sending `sni` (None: no server_name extension). `compact` (a server that closes
/// on large hellos): a hello under 256 bytes offering the suites of `accepted` (what the
/// protocol stage found) instead of every candidate. What the server answered when no chain
/// came back: Err(None) when no hello was sent (no suite fits `offer`), Err(Some(outcome)) for
/// an answer without certificates (an alert, a closed connection, a timeout, a ServerHello
/// without a chain).
async fn hello_tls12(
    engine: &Engine,
    host: &HostHandle,
    sni: Option<String>,
    version: TlsVersion,
    offer: KeyOffer,
    compact: Option<&[SuiteResult]>,
) -> Result<Capture, Option<ProbeOutcome>> {
    let pool: Vec<_> = match compact {
        None => registry::candidates(version.wire()),
        Some(accepted) => accepted
            .iter()
            .filter_map(|s| s.code())
            .filter_map(|c| u16::try_from(c).ok())
            .map(crate::wire::CipherSuite)
            .collect(),
    };
    let suites: Vec<_> = pool
        .into_iter()
        .filter(|s| registry::suite(*s).is_some_and(|i| offer.allows_suite_auth(i.auth)))
        .collect();
    if suites.is_empty() {
        return Err(None);
    }
    let mut spec = HelloSpec::new(version.wire(), suites, sni);
    if compact.is_some() {
        spec = spec.compact();
    }
    spec.sigalgs.retain(|s| offer.allows_wire(*s));
    let asked = version != TlsVersion::Ssl3;
    if asked {
        spec.extra.push(status_request());
    }
    let spec = spec.fit_compact();
    match engine.probe(host, &spec.build()).await {
        ProbeOutcome::ServerHello(f) => {
            let Some(certs) = f.certificates.clone().filter(|c| !c.is_empty()) else {
                return Err(Some(ProbeOutcome::ServerHello(f)));
            };
            Ok(Capture {
                source: ChainSource {
                    version,
                    offered: offer.name().into(),
                    cipher_suite: Some(SuiteResult::from_suite(f.hello.cipher_suite).name),
                    without_sni: false,
                },
                certs,
                ocsp: asked.then(|| f.certificate_status.as_ref().map(|s| s.response.clone())),
            })
        }
        other => Err(Some(other)),
    }
}

fn rustls_schemes(offer: KeyOffer) -> Vec<SignatureScheme> {
    use SignatureScheme::*;
    let rsa = [
        RSA_PSS_SHA256,
        RSA_PSS_SHA384,
        RSA_PSS_SHA512,
        RSA_PKCS1_SHA256,
        RSA_PKCS1_SHA384,
        RSA_PKCS1_SHA512,
    ];
    let ecdsa = [
        ECDSA_NISTP256_SHA256,
        ECDSA_NISTP384_SHA384,
        ECDSA_NISTP521_SHA512,
    ];
    match offer {
        KeyOffer::Rsa => rsa.to_vec(),
        KeyOffer::Ecdsa => ecdsa.to_vec(),
        KeyOffer::Any => ecdsa
            .into_iter()
            .chain([ED25519, ED448])
            .chain(rsa)
            .collect(),
    }
}

/// A TLS 1.3 handshake with rustls over an engine connection (the same handshake client the
/// features and signature stages use); the chain the server sent, if any. rustls always asks
/// for OCSP stapling (status_request), so a staple shows up here. Without `ctx.sni` rustls is
/// given the IP address as the server name, and sends no SNI for an IP address.
pub async fn handshake_tls13(ctx: &Ctx, offer: KeyOffer) -> Result<Option<Capture>, String> {
    let mut setup = fullhs::Setup::new(true);
    setup.schemes = rustls_schemes(offer).into_iter().map(u16::from).collect();
    let client = fullhs::Client::new(&setup)?;
    // The chain arrives before the handshake can fail on anything else: keep it either way.
    let done = fullhs::handshake(ctx, &client, None).await;
    let seen = client.take_seen();
    if seen.chain.is_empty() {
        return done.map(|_| None);
    }
    let suite = done
        .ok()
        .and_then(|d| d.suite)
        .map(|s| SuiteResult::from_suite(crate::wire::CipherSuite(s)).name);
    Ok(Some(Capture {
        source: ChainSource {
            version: TlsVersion::Tls13,
            offered: offer.name().into(),
            cipher_suite: suite,
            without_sni: false,
        },
        certs: seen.chain,
        ocsp: Some(seen.ocsp),
    }))
}

/// Every handshake the certificates stage runs itself, in parallel: at the highest TLS <= 1.2
/// version the server speaks, one RSA-only and one ECDSA-only hello; with TLS 1.3, one rustls
/// handshake per key type (and one open to any key when both find nothing). `compact`: the
/// server needs hellos under 256 bytes (rustls's TLS 1.3 hellos are not made smaller).
///
/// When the scan sends SNI, one more handshake sends none ([`probe_without_sni`]): a server
/// with a different default certificate shows it as a chain of its own.
///
/// Besides the captures: one line per handshake that returned no chain, saying why.
async fn probe_all(
    ctx: &Ctx,
    protocols: &[ProtocolResult],
) -> (Vec<Capture>, NoSniProbe, Vec<String>) {
    let (engine, host, sni, compact) = (&ctx.engine, &ctx.host, ctx.sni.clone(), ctx.compact);
    let supported = |v| protocols.iter().any(|p| p.version == v && p.supported);
    let legacy = [
        TlsVersion::Tls12,
        TlsVersion::Tls11,
        TlsVersion::Tls10,
        TlsVersion::Ssl3,
    ]
    .into_iter()
    .find(|v| supported(*v));
    let tls12 = async {
        let Some(v) = legacy else {
            return (vec![], vec![]);
        };
        let accepted = compact.then(|| {
            protocols
                .iter()
                .find(|p| p.version == v)
                .map(|p| p.cipher_suites.as_slice())
                .unwrap_or_default()
        });
        let (a, b) = tokio::join!(
            hello_tls12(engine, host, sni.clone(), v, KeyOffer::Rsa, accepted),
            hello_tls12(engine, host, sni.clone(), v, KeyOffer::Ecdsa, accepted),
        );
        let mut got = Vec::new();
        let mut failed = Vec::new();
        for (offer, r) in [(KeyOffer::Rsa, a), (KeyOffer::Ecdsa, b)] {
            match r {
                Ok(c) => got.push(c),
                Err(None) => {}
                Err(Some(o)) => failed.push(format!(
                    "{v} hello offering {}: {}",
                    offer.name(),
                    no_chain(&o)
                )),
            }
        }
        (got, failed)
    };
    let tls13 = async {
        if !supported(TlsVersion::Tls13) {
            return (vec![], vec![]);
        }
        let (a, b) = tokio::join!(
            handshake_tls13(ctx, KeyOffer::Rsa),
            handshake_tls13(ctx, KeyOffer::Ecdsa),
        );
        let mut got = Vec::new();
        let mut failed = Vec::new();
        let keep = |got: &mut Vec<_>, failed: &mut Vec<_>, offer: KeyOffer, r| match r {
            Ok(Some(c)) => got.push(c),
            Ok(None) => failed.push(format!(
                "TLSv1.3 handshake offering {}: no certificate",
                offer.name()
            )),
            Err(e) => failed.push(format!("TLSv1.3 handshake offering {}: {e}", offer.name())),
        };
        keep(&mut got, &mut failed, KeyOffer::Rsa, a);
        keep(&mut got, &mut failed, KeyOffer::Ecdsa, b);
        if got.is_empty() {
            let any = handshake_tls13(ctx, KeyOffer::Any).await;
            keep(&mut got, &mut failed, KeyOffer::Any, any);
        }
        (got, failed)
    };
    let ((mut a, mut failed), (b, f13), (c, no_sni)) =
        tokio::join!(tls12, tls13, probe_without_sni(ctx, legacy, protocols));
    a.extend(b);
    a.extend(c);
    failed.extend(f13);
    (a, no_sni, failed)
}

/// Why a TLS <= 1.2 hello brought no chain.
fn no_chain(o: &ProbeOutcome) -> String {
    match o {
        ProbeOutcome::ServerHello(_) => format!("{}, without a Certificate", o.describe()),
        _ => o.describe(),
    }
}

/// Whether an answer without a chain to the hello without SNI is a refusal: an alert is (the
/// server read the hello and said no), a ServerHello is not, and a timeout, a failed
/// connection, a closed or reset connection or an answer that does not parse determine nothing.
pub fn refused(outcome: &ProbeOutcome) -> Option<bool> {
    match outcome {
        ProbeOutcome::Alert(_) => Some(true),
        ProbeOutcome::ServerHello(_) | ProbeOutcome::Sslv2ServerHello(_) => Some(false),
        ProbeOutcome::Closed
        | ProbeOutcome::Reset
        | ProbeOutcome::Timeout
        | ProbeOutcome::Malformed(_)
        | ProbeOutcome::ConnectFailed(_) => None,
    }
}

/// What a client that sends no server name gets (old Java, Android 2, Python 2, Windows XP):
/// one connection, and none when the scan itself sends no SNI. At `legacy`, the highest
/// TLS <= 1.2 version the server speaks, one hello open to any key (certificates in the clear);
/// a TLS 1.3-only server gets a rustls handshake given the IP address as its name, for which
/// rustls sends no SNI. Besides the chain: whether the server refused the handshake (answered
/// with an alert, e.g. nginx `ssl_reject_handshake on;`), told apart from a timeout or a
/// failed connection, which determine nothing.
pub async fn probe_without_sni(
    ctx: &Ctx,
    legacy: Option<TlsVersion>,
    protocols: &[ProtocolResult],
) -> (Option<Capture>, NoSniProbe) {
    let mut probe = NoSniProbe::default();
    if ctx.sni.is_none() {
        return (None, probe);
    }
    let supported = |v| protocols.iter().any(|p| p.version == v && p.supported);
    let got = match legacy {
        Some(v) => {
            let accepted = ctx.compact.then(|| {
                protocols
                    .iter()
                    .find(|p| p.version == v)
                    .map(|p| p.cipher_suites.as_slice())
                    .unwrap_or_default()
            });
            match hello_tls12(&ctx.engine, &ctx.host, None, v, KeyOffer::Any, accepted).await {
                Ok(c) => {
                    probe.attempted = true;
                    probe.refused = Some(false);
                    Some(c)
                }
                Err(None) => None,
                Err(Some(outcome)) => {
                    probe.attempted = true;
                    probe.refused = refused(&outcome);
                    probe.evidence = Some(format!("{v} hello without SNI: {}", outcome.describe()));
                    None
                }
            }
        }
        None if supported(TlsVersion::Tls13) => {
            probe.attempted = true;
            let bare = Ctx {
                sni: None,
                ..ctx.clone()
            };
            match handshake_tls13(&bare, KeyOffer::Any).await {
                Ok(c) => {
                    probe.refused = Some(false);
                    c
                }
                Err(e) => {
                    // rustls: "received fatal alert: UnrecognisedName".
                    probe.refused = e.starts_with("received fatal alert").then_some(true);
                    probe.evidence = Some(format!("TLSv1.3 handshake without SNI: {e}"));
                    None
                }
            }
        }
        None => None,
    };
    let capture = got.map(|mut c| {
        c.source.without_sni = true;
        c
    });
    (capture, probe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Alert, AlertDescription};

    #[test]
    fn only_an_alert_to_the_hello_without_sni_is_a_refusal() {
        let alert = ProbeOutcome::Alert(Alert {
            level: 2,
            description: AlertDescription(112),
        });
        assert_eq!(refused(&alert), Some(true));
        for o in [
            ProbeOutcome::Timeout,
            ProbeOutcome::ConnectFailed(crate::probe::engine::ConnectError::new(
                crate::facts::ErrorReason::ConnectionRefused,
                "refused",
            )),
            ProbeOutcome::Closed,
            ProbeOutcome::Reset,
            ProbeOutcome::Malformed("x".into()),
        ] {
            assert_eq!(refused(&o), None, "{o:?}");
        }
    }
}
