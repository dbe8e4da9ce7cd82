//! Signature schemes the server signs with, by elimination over `signature_algorithms`.
//!
//! - TLS 1.2: the ServerKeyExchange of an ECDHE or DHE suite carries the scheme in the clear
//!   right after the params (RFC 5246 section 7.4.3), so one hello per accepted scheme, plus
//!   the refusal that ends it. The certificate the server picked for it is in the same flight.
//! - TLS 1.3: the scheme is in the encrypted CertificateVerify, so each step is a complete
//!   handshake with rustls whose verifier offers exactly the remaining schemes and records the
//!   one used. rustls speaks x25519, secp256r1 and secp384r1 and the AES-GCM and ChaCha20 suites
//!   only: a server with none of those is reported as not determined.

use crate::facts::{SectionStatus, TlsVersion};
use crate::facts::{SignatureResult, SignaturesSection, Stage, VersionSignatures};
use crate::probe::engine::ProbeOutcome;
use crate::wire::{ServerKeyExchangeParams, SignatureScheme};

use super::eliminate::{self, Pick};
use super::prior::Prior;
use super::{Ctx, ScanOptions};
use crate::probe::full::{self as fullhs, Client, Setup};
use crate::probe::hello::HelloSpec;

/// The signature-scheme stage, or `None` when `--only` leaves it out.
pub async fn scan(ctx: &Ctx, prior: &Prior, opts: &ScanOptions) -> Option<SignaturesSection> {
    if !opts.runs(Stage::Sigs) {
        return None;
    }
    let tls12 = async {
        if prior.supported(TlsVersion::Tls12) {
            Some(tls12_schemes(ctx, prior).await)
        } else {
            None
        }
    };
    let tls13 = async {
        if !prior.supported(TlsVersion::Tls13) {
            None
        } else if opts.quick {
            Some(VersionSignatures {
                version: TlsVersion::Tls13,
                status: SectionStatus::NotScheduled,
                error: Some("--quick skips the full handshakes TLS 1.3 schemes need".into()),
                schemes: vec![],
                evidence: String::new(),
            })
        } else if !fullhs::can_negotiate(&prior.suites(TlsVersion::Tls13, |_| true)) {
            Some(VersionSignatures {
                version: TlsVersion::Tls13,
                status: SectionStatus::Error,
                error: Some(fullhs::CANNOT_NEGOTIATE.into()),
                schemes: vec![],
                evidence: String::new(),
            })
        } else {
            Some(tls13_schemes(ctx).await)
        }
    };
    let (tls12, tls13) = tokio::join!(tls12, tls13);
    let versions: Vec<VersionSignatures> = tls12.into_iter().chain(tls13).collect();
    let mut section = SignaturesSection {
        versions,
        ..Default::default()
    };
    if !section.versions.is_empty()
        && section
            .versions
            .iter()
            .all(|v| v.status == SectionStatus::Error)
    {
        section.status = SectionStatus::Error;
        section.error = section.versions.iter().find_map(|v| v.error.clone());
    }
    Some(section)
}

/// Suites whose ServerKeyExchange is signed: (EC)DHE with certificate authentication.
fn signed_kx(s: &crate::wire::registry::SuiteInfo) -> bool {
    matches!(s.kx, "ECDHE" | "DHE") && matches!(s.auth, "RSA" | "ECDSA" | "DSS")
}

async fn tls12_schemes(ctx: &Ctx, prior: &Prior) -> VersionSignatures {
    let v = TlsVersion::Tls12;
    let mut result = VersionSignatures {
        version: v,
        status: SectionStatus::Completed,
        error: None,
        schemes: vec![],
        evidence: String::new(),
    };
    let mut evidence = Vec::new();
    // One elimination per certificate type: OpenSSL picks the suite before the scheme and
    // fails the handshake, rather than try its other certificate, when the suite's key has
    // no scheme left; offering one authentication type at a time avoids that.
    for auth in ["ECDSA", "RSA", "DSS"] {
        let suites = prior.suites(v, |s| signed_kx(s) && s.auth == auth);
        if suites.is_empty() {
            continue;
        }
        match tls12_eliminate(ctx, v, suites).await {
            Ok((schemes, stop)) => {
                for s in schemes {
                    if !result.schemes.iter().any(|x| x.id == s.id) {
                        result.schemes.push(s);
                    }
                }
                evidence.push(format!("{auth} suites: {stop}"));
            }
            Err(e) => {
                result.status = SectionStatus::Error;
                result.error = Some(e);
                break;
            }
        }
    }
    result.evidence = if evidence.is_empty() {
        "no ECDHE or DHE suite with a certificate accepted: nothing is signed".into()
    } else {
        evidence.join("; ")
    };
    result
}

/// Offer `suites` with every scheme, record the scheme signed with, remove it, repeat; for a
/// server that needs compact hellos, over runs of schemes that keep each hello small.
async fn tls12_eliminate(
    ctx: &Ctx,
    v: TlsVersion,
    suites: Vec<crate::wire::CipherSuite>,
) -> Result<(Vec<SignatureResult>, String), String> {
    let base = HelloSpec::new(v.wire(), suites, ctx.sni.clone()).few_suites_if(ctx.compact);
    let all = SignatureScheme::KNOWN.to_vec();
    if !ctx.compact {
        return tls12_eliminate_run(ctx, &base, all).await;
    }
    let runs = base.compact_runs(&all, |spec, run| spec.sigalgs = run.to_vec());
    let (mut found, mut stops) = (Vec::new(), Vec::new());
    for run in &runs {
        let (f, stop) = tls12_eliminate_run(ctx, &base, run.clone()).await?;
        found.extend(f);
        stops.push(stop);
    }
    Ok((
        found,
        format!("compact hellos, {} runs: {}", runs.len(), stops.join("; ")),
    ))
}

async fn tls12_eliminate_run(
    ctx: &Ctx,
    base: &HelloSpec,
    remaining: Vec<SignatureScheme>,
) -> Result<(Vec<SignatureResult>, String), String> {
    let e = eliminate::eliminate("scheme", remaining, usize::MAX, |offered| async move {
        let mut spec = base.clone();
        spec.sigalgs = offered.clone();
        read_tls12_scheme(ctx.send(spec).await, &offered)
    })
    .await;
    match e.error {
        Some(error) => Err(error),
        None => Ok((
            e.accepted
                .into_iter()
                .zip(e.extras)
                .map(|(s, key)| SignatureResult::new(s, key))
                .collect(),
            e.stop,
        )),
    }
}

/// The scheme a TLS 1.2 ServerKeyExchange was signed with, and the key of the certificate
/// that signed it ("RSA 2048" …).
fn read_tls12_scheme(
    outcome: ProbeOutcome,
    offered: &[SignatureScheme],
) -> Pick<SignatureScheme, Option<String>> {
    let describe = outcome.describe();
    let flight = match outcome {
        ProbeOutcome::ServerHello(f) => f,
        ProbeOutcome::ConnectFailed(e) => return Pick::Failed(e.to_string()),
        _ => {
            return Pick::Stop {
                why: describe,
                clean: false,
            }
        }
    };
    let dhe =
        crate::wire::registry::suite(flight.hello.cipher_suite).is_some_and(|s| s.kx == "DHE");
    let scheme = flight
        .server_key_exchange
        .as_deref()
        .ok_or_else(|| format!("{describe} without ServerKeyExchange"))
        .and_then(|ske| {
            ServerKeyExchangeParams::tls12_signature_scheme(ske, dhe)
                .map_err(|e| format!("ServerKeyExchange does not parse: {e}"))
        });
    match scheme {
        Ok(s) if offered.contains(&s) => {
            let key = flight
                .certificates
                .as_ref()
                .and_then(|c| c.first())
                .and_then(|der| key_type(der));
            Pick::Picked(s, key)
        }
        Ok(s) => Pick::Failed(format!("server signed with {s}, which was not offered")),
        Err(why) => Pick::Stop { why, clean: false },
    }
}

async fn tls13_schemes(ctx: &Ctx) -> VersionSignatures {
    let mut result = VersionSignatures {
        version: TlsVersion::Tls13,
        status: SectionStatus::Completed,
        error: None,
        schemes: vec![],
        evidence: String::new(),
    };
    let all: Vec<u16> = SignatureScheme::KNOWN.iter().map(|s| s.0).collect();
    let e = eliminate::eliminate("scheme", all, usize::MAX, |offered| async move {
        let mut setup = Setup::new(true);
        setup.schemes = offered.clone();
        let client = match Client::new(&setup) {
            Ok(c) => c,
            Err(e) => return Pick::Failed(e),
        };
        let done = fullhs::handshake(ctx, &client, None).await;
        let seen = client.take_seen();
        match (done, seen.scheme) {
            (Ok(_), Some(s)) if offered.contains(&s) => {
                Pick::Picked(s, seen.chain.first().and_then(|leaf| key_type(leaf)))
            }
            (Ok(_), other) => Pick::Failed(format!(
                "handshake completed with an unexpected scheme {other:?}"
            )),
            (Err(why), _) => Pick::Stop { why, clean: false },
        }
    })
    .await;
    result.schemes = e
        .accepted
        .into_iter()
        .zip(e.extras)
        .map(|(s, key)| SignatureResult::new(SignatureScheme(s), key))
        .collect();
    if let Some(error) = e.error {
        result.status = SectionStatus::Error;
        result.error = Some(error);
    } else if result.schemes.is_empty() {
        // The very first handshake failed with every scheme offered: that is rustls and this
        // server not sharing a group or suite, not an answer about schemes.
        result.status = SectionStatus::Error;
        result.error = Some(format!(
            "not determined: no TLS 1.3 handshake completed ({}); the handshake client \
             speaks only {} and AES-GCM/ChaCha20",
            e.stop,
            crate::probe::hybrid::group_names().join("/")
        ));
    } else {
        result.evidence = e.stop;
    }
    result
}

/// "RSA 2048", "EC P-256", "Ed25519" … for a DER certificate's public key.
pub fn key_type(der: &[u8]) -> Option<String> {
    use crate::wire::spki::Curve;
    use x509_parser::public_key::PublicKey;
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let spki = cert.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    Some(match spki.parsed() {
        Ok(PublicKey::RSA(k)) if alg == "1.2.840.113549.1.1.10" => {
            format!("RSA-PSS {}", k.key_size())
        }
        Ok(PublicKey::RSA(k)) => format!("RSA {}", k.key_size()),
        Ok(PublicKey::EC(_)) => match crate::wire::spki::curve(spki) {
            Curve::Named { name, .. } => format!("EC {name}"),
            Curve::Oid(oid) => format!("EC {oid}"),
            Curve::Explicit => "EC".into(),
        },
        Ok(PublicKey::DSA(_)) => "DSA".into(),
        _ => match alg.as_str() {
            "1.3.101.112" => "Ed25519".into(),
            "1.3.101.113" => "Ed448".into(),
            other => other.to_string(),
        },
    })
}
