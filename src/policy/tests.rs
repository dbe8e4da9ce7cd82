//! Every built-in profile on constructed facts: a compliant target, then for every rule one
//! change that fails exactly the expected rules. Plus loading errors, incompleteness and the
//! client-check API.

use super::*;
use crate::facts::certs::{CertChain, CertInfo, PublicKeyInfo};
use crate::facts::TargetFacts;
use crate::facts::TlsVersion::{self, *};
use crate::facts::{CertificatesSection, Finding, ProtocolResult, SectionStatus};
use crate::facts::{
    DheGroup, Fact, FeaturesSection, GroupResult, GroupsSection, SignatureResult,
    SignaturesSection, VersionGroups, VersionSignatures,
};
use crate::wire::sslv2::CipherKind;

mod pinned;
mod pq;

const P256: u16 = 0x0017;
const P384: u16 = 0x0018;
const P521: u16 = 0x0019;
const X25519: u16 = 0x001d;
const X448: u16 = 0x001e;

/// A chain whose leaf has this key ("RSA" with bits, or "EC" with a curve).
fn chain(algorithm: &str, bits: u32, curve: Option<&str>) -> CertChain {
    CertChain {
        key_type: algorithm.into(),
        certificates: vec![CertInfo {
            subject: "CN=example.test".into(),
            public_key: PublicKeyInfo {
                algorithm: algorithm.into(),
                bits,
                exponent: None,
                curve: curve.map(str::to_string),
            },
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// The target with its certificate chains replaced by one with this leaf key.
fn with_leaf(mut t: TargetFacts, algorithm: &str, bits: u32, curve: Option<&str>) -> TargetFacts {
    if let Some(c) = t.certificates.as_mut() {
        c.chains = vec![chain(algorithm, bits, curve)];
    }
    t
}

/// Groups as a scan reports them: a TLS 1.3 entry when TLS 1.3 is offered, and one for the
/// highest of TLS 1.0-1.2 offered (with a DHE group of `dhe` bits when it accepts DHE suites;
/// ffdhe3072 by default).
fn with_groups(mut t: TargetFacts, tls13: &[u16], legacy: &[u16]) -> TargetFacts {
    let entry = |v: TlsVersion, groups: &[u16]| VersionGroups {
        version: v,
        status: SectionStatus::Completed,
        error: None,
        groups: groups
            .iter()
            .map(|g| GroupResult::from_group(crate::wire::NamedGroup(*g)))
            .collect(),
        server_preference: None,
        dhe: None,
        evidence: "refused the rest".into(),
    };
    let offered = |v: TlsVersion| t.protocol(v).is_some_and(|p| p.supported);
    let mut versions = Vec::new();
    if offered(Tls13) {
        versions.push(entry(Tls13, tls13));
    }
    if let Some(v) = [Tls12, Tls11, Tls10].into_iter().find(|v| offered(*v)) {
        let mut e = entry(v, legacy);
        let dhe = t
            .protocol(v)
            .is_some_and(|p| p.cipher_suites.iter().any(|s| s.kx == "DHE"));
        if dhe {
            e.dhe = Some(dhe_group(3072, Some("ffdhe3072")));
        }
        versions.push(e);
    }
    t.groups = Some(GroupsSection {
        status: SectionStatus::Completed,
        error: None,
        versions,
    });
    t
}

fn dhe_group(bits: u32, known: Option<&str>) -> DheGroup {
    DheGroup {
        suite: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256".into(),
        prime_bits: bits,
        generator: "02".into(),
        known_group: known.map(str::to_string),
        known_source: known.map(|_| "RFC7919".to_string()),
    }
}

/// The target with the DHE group of its TLS 1.0-1.2 groups entry replaced.
fn with_dhe(mut t: TargetFacts, bits: u32, known: Option<&str>) -> TargetFacts {
    for e in t.groups.iter_mut().flat_map(|g| g.versions.iter_mut()) {
        if e.version != Tls13 {
            e.dhe = Some(dhe_group(bits, known));
        }
    }
    t
}

/// A target whose every version was scanned: `offered` lists the supported versions and their
/// accepted suites; the certificates were analysed and found nothing.
fn target(offered: &[(TlsVersion, &[u16])]) -> TargetFacts {
    let t = TargetFacts {
        target: "example.test:443".into(),
        host: "example.test".into(),
        port: 443,
        protocols: TlsVersion::ALL
            .into_iter()
            .map(|v| {
                let suites = offered.iter().find(|(o, _)| *o == v).map(|(_, s)| *s);
                ProtocolResult {
                    version: v,
                    supported: suites.is_some(),
                    status: SectionStatus::Completed,
                    error: None,
                    server_preference: None,
                    cipher_suites: match (v, suites) {
                        (Ssl2, Some(_)) => vec![SuiteResult::from_sslv2(CipherKind(0x0700c0))],
                        (_, s) => s
                            .unwrap_or_default()
                            .iter()
                            .map(|c| SuiteResult::from_suite(CipherSuite(*c)))
                            .collect(),
                    },
                    evidence: if suites.is_some() {
                        "ServerHello".into()
                    } else {
                        "alert protocol_version".into()
                    },
                    suites_enumerated: true,
                }
            })
            .collect(),
        certificates: Some(CertificatesSection {
            chains: vec![chain("RSA", 2048, None)],
            ..Default::default()
        }),
        weaknesses: Some(crate::facts::WeaknessesSection {
            checks: crate::facts::weaknesses::WEAKNESSES
                .iter()
                .map(|w| {
                    crate::facts::WeaknessCheck::new(w.id, crate::facts::Verdict::No, "absent")
                })
                .collect(),
            ..Default::default()
        }),
        ..Default::default()
    };
    with_groups(t, &[P256, P384], &[P256, P384])
}

/// `t` with the weakness `id` present.
fn with_weakness(mut t: TargetFacts, id: &str) -> TargetFacts {
    if let Some(w) = t.weaknesses.as_mut() {
        for c in w.checks.iter_mut().filter(|c| c.id == id) {
            *c = crate::facts::WeaknessCheck::new(id, crate::facts::Verdict::Yes, "present");
        }
    }
    t
}

fn with_findings(mut t: TargetFacts, ids: &[&str]) -> TargetFacts {
    let chains = t
        .certificates
        .as_ref()
        .map(|c| c.chains.clone())
        .unwrap_or_default();
    t.certificates = Some(CertificatesSection {
        chains,
        status: SectionStatus::Completed,
        error: None,
        findings: ids
            .iter()
            .map(|id| Finding {
                id: id.to_string(),
                severity: Severity::Error,
                message: "m".into(),
                evidence: Some("e".into()),
            })
            .collect(),
        ..Default::default()
    });
    t
}

/// The same target with `extra` suites added to version `v` (offered from now on).
fn plus(t: &TargetFacts, v: TlsVersion, extra: &[u16]) -> TargetFacts {
    let mut t = t.clone();
    for p in t.protocols.iter_mut().filter(|p| p.version == v) {
        p.supported = true;
        if v == Ssl2 {
            p.cipher_suites
                .push(SuiteResult::from_sslv2(CipherKind(0x0700c0)));
        }
        p.cipher_suites.extend(
            extra
                .iter()
                .map(|c| SuiteResult::from_suite(CipherSuite(*c))),
        );
    }
    t
}

fn failed(t: &TargetFacts, p: &Policy) -> Vec<String> {
    let mut v: Vec<String> = evaluate(t, p, Severity::Info)
        .failed()
        .map(|r| r.id.clone())
        .collect();
    v.sort();
    v
}

fn builtin(name: &str) -> Policy {
    Policy::load(name).unwrap_or_else(|e| panic!("{e}"))
}

/// The profiles whose table ran in this process ([`check_profile`]): the test
/// `every_builtin_profile_has_a_table` runs every table and then asks for all of them.
static TABLES_RUN: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Runs a profile's table: the base target passes every rule; each case fails exactly its
/// expected rules; every rule of the profile is failed by some case.
fn check_profile(name: &str, base: TargetFacts, cases: Vec<(TargetFacts, &[&str])>) {
    let p = builtin(name);
    let r = evaluate(&base, &p, Severity::Info);
    let not_passed: Vec<_> = r
        .rules
        .iter()
        .filter(|x| x.status != RuleStatus::Pass)
        .collect();
    assert!(
        not_passed.is_empty(),
        "{name}: base target must pass: {not_passed:#?}"
    );
    assert_eq!(r.verdict, Verdict::Compliant);
    let mut covered = std::collections::BTreeSet::new();
    // Every weakness a feature rule forbids, one at a time: that rule, and only it, fails.
    for rule in &p.rules {
        if let crate::policy::RuleKind::Feature {
            features,
            require: false,
        } = &rule.kind
        {
            for id in features {
                let t = with_weakness(base.clone(), id);
                assert_eq!(
                    failed(&t, &p),
                    vec![rule.id.clone()],
                    "{name}: {id} present"
                );
            }
            covered.insert(rule.id.clone());
        }
    }
    for (i, (t, expect)) in cases.iter().enumerate() {
        let mut expect: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
        expect.sort();
        assert_eq!(failed(t, &p), expect, "{name}: case {i}");
        covered.extend(expect);
    }
    let all: std::collections::BTreeSet<String> = p.rules.iter().map(|r| r.id.clone()).collect();
    assert_eq!(covered, all, "{name}: every rule needs a failing case");
    TABLES_RUN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.to_string());
}

#[test]
fn every_builtin_profile_loads_and_is_named_after_its_file() {
    for name in profiles::NAMES {
        let p = builtin(name);
        assert_eq!(p.name, name);
        assert!(
            !p.source.is_empty() && !p.source_version.is_empty(),
            "{name} cites its source"
        );
        assert!(!p.rules.is_empty());
        for r in &p.rules {
            assert!(
                !r.message.is_empty(),
                "{name}/{}: a message says what to change",
                r.id
            );
        }
    }
    assert_eq!(profiles::DEFAULT, profiles::NAMES[0]);
}

/// Every rule of every built-in profile, bare and pinned, cites where it comes from, and the
/// citation reaches the judged result.
#[test]
fn every_builtin_rule_cites_its_source_section() {
    for name in profiles::NAMES.iter().chain(profiles::PINNED.iter()) {
        let p = builtin(name);
        for r in &p.rules {
            assert!(
                r.source_section.len() > 5,
                "{name}/{}: source_section names the document and section",
                r.id
            );
        }
        let judged = evaluate(&target(&[(Tls13, &[0x1301])]), &p, Severity::Info);
        for (rule, result) in p.rules.iter().zip(&judged.rules) {
            assert_eq!(rule.source_section, result.source_section, "{name}");
        }
    }
    // Optional in a file of one's own: absent, it is empty and left out of the JSON.
    let p = Policy::from_toml(
        "[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nkind = \"forbid_version\"\nseverity = \"error\"\nversion = \"SSLv3\"\nmessage = \"m\"\n",
        "x.toml",
    )
    .unwrap();
    assert_eq!(p.rules[0].source_section, "");
    let r = evaluate(&target(&[(Tls13, &[0x1301])]), &p, Severity::Info);
    let json = serde_json::to_string(&r.rules[0]).unwrap();
    assert!(!json.contains("source_section"), "{json}");
    let cited = Policy::from_toml(
        "[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nkind = \"forbid_version\"\nseverity = \"error\"\nversion = \"SSLv3\"\nsource_section = \"RFC 7568 §3\"\nmessage = \"m\"\n",
        "x.toml",
    )
    .unwrap();
    let r = evaluate(&target(&[(Tls13, &[0x1301])]), &cited, Severity::Info);
    assert_eq!(r.rules[0].source_section, "RFC 7568 §3");
    assert!(serde_json::to_string(&r.rules[0])
        .unwrap()
        .contains(r#""source_section":"RFC 7568 §3""#));
}

#[test]
fn multisafepay_is_the_seed() {
    let base = target(&[(Tls12, &[0xc02f]), (Tls13, &[0x1301])]);
    check_profile(
        "multisafepay",
        base.clone(),
        vec![
            // TLS 1.2 with only suites outside the six.
            (
                target(&[(Tls12, &[0xc027, 0x002f]), (Tls13, &[0x1301])]),
                &["suites.tls1_2.none_required"],
            ),
            // TLS 1.3 only: no TLS 1.2 at all.
            (
                target(&[(Tls13, &[0x1301])]),
                &["suites.tls1_2.none_required"],
            ),
            // TLS 1.3 offered with none of the three: the notifier negotiates TLS 1.3, finds
            // no suite and does not fall back, so it cannot connect either.
            (
                target(&[(Tls12, &[0x009c]), (Tls13, &[0x1304])]),
                &[
                    "clients.notifier.cannot_connect",
                    "suites.tls1_3.none_required",
                ],
            ),
            // TLS 1.2 only, with none of the six: no suite, and no notifications.
            (
                target(&[(Tls12, &[0xc027, 0x002f])]),
                &[
                    "clients.notifier.cannot_connect",
                    "suites.tls1_2.none_required",
                ],
            ),
            (plus(&base, Ssl2, &[]), &["protocol.ssl2.offered"]),
            (plus(&base, Ssl3, &[0x002f]), &["protocol.ssl3.offered"]),
            (plus(&base, Tls10, &[0x002f]), &["protocol.tls1_0.offered"]),
            (plus(&base, Tls11, &[0xc013]), &["protocol.tls1_1.offered"]),
            (
                with_findings(base.clone(), &["cert.untrusted"]),
                &["cert.chain.invalid"],
            ),
            (
                with_findings(base.clone(), &["cert.self_signed", "cert.expired"]),
                &["cert.chain.invalid"],
            ),
        ],
    );
    let p = builtin("multisafepay");
    // Each of the six passes alone; TLS 1.3 may be absent.
    for s in [0xcca8, 0xc02f, 0xc030, 0xc013, 0x009c, 0x009d] {
        assert!(failed(&target(&[(Tls12, &[s])]), &p).is_empty(), "{s:#x}");
    }
    // A finding the seed does not mention does not fail it.
    assert!(failed(&with_findings(base.clone(), &["cert.expires_soon"]), &p).is_empty());
    // Outdated versions are warnings: not compliant only with --fail-on warning.
    let legacy = plus(&base, Tls10, &[0x002f]);
    assert_eq!(
        evaluate(&legacy, &p, Severity::Error).verdict,
        Verdict::Compliant
    );
    assert_eq!(
        evaluate(&legacy, &p, Severity::Warning).verdict,
        Verdict::NotCompliant
    );
    let r = evaluate(&target(&[(Tls12, &[0x002f])]), &p, Severity::Error);
    let rule = r
        .rules
        .iter()
        .find(|r| r.id == "suites.tls1_2.none_required")
        .unwrap();
    assert_eq!(rule.severity, Severity::Error);
    assert_eq!(
        rule.evidence,
        "TLSv1.2 accepts TLS_RSA_WITH_AES_128_CBC_SHA; none of them is one of the 6 required"
    );
}

#[test]
fn mozilla_modern() {
    let base = with_leaf(
        with_groups(
            target(&[(Tls13, &[0x1301, 0x1302, 0x1303])]),
            &[X25519, P256, P384],
            &[],
        ),
        "EC",
        256,
        Some("P-256"),
    );
    check_profile(
        "mozilla-modern",
        base.clone(),
        vec![
            (
                with_leaf(target(&[]), "EC", 256, Some("P-256")),
                &["protocol.tls1_3.required"],
            ),
            (plus(&base, Ssl2, &[]), &["protocol.ssl2.offered"]),
            (plus(&base, Ssl3, &[0x002f]), &["protocol.ssl3.offered"]),
            (plus(&base, Tls10, &[0xc013]), &["protocol.tls1_0.offered"]),
            (plus(&base, Tls11, &[0xc013]), &["protocol.tls1_1.offered"]),
            (plus(&base, Tls12, &[0xc02f]), &["protocol.tls1_2.offered"]),
            (
                plus(&base, Tls13, &[0x1304]),
                &["suites.tls1_3.not_allowed"],
            ),
            (
                with_findings(base.clone(), &["cert.hostname_mismatch"]),
                &["cert.chain.invalid"],
            ),
            (
                with_findings(base.clone(), &["cert.key.weak"]),
                &["cert.weak"],
            ),
            // OpenSSL's default groups: x448 and secp521r1 are outside the guideline's three.
            (
                with_groups(base.clone(), &[X25519, P256, X448, P521, P384], &[]),
                &["groups.not_allowed"],
            ),
            (
                with_leaf(base.clone(), "RSA", 2048, None),
                &["cert.key.type"],
            ),
            (
                with_leaf(base.clone(), "EC", 521, Some("P-521")),
                &["cert.key.type"],
            ),
        ],
    );
}

const INTERMEDIATE_RSA: &[u16] = &[0xc02f, 0xc030, 0xcca8, 0x009e, 0x009f];

/// The cases every Intermediate reading shares (the unpinned name and each pinned version):
/// the versions, a suite outside each list, an invalid chain and a weak certificate.
fn intermediate_common(base: &TargetFacts) -> Vec<(TargetFacts, &'static [&'static str])> {
    let base = base.clone();
    vec![
        (target(&[]), &["protocol.required"]),
        (plus(&base, Ssl2, &[]), &["protocol.ssl2.offered"]),
        (plus(&base, Ssl3, &[0x002f]), &["protocol.ssl3.offered"]),
        (plus(&base, Tls10, &[0xc013]), &["protocol.tls1_0.offered"]),
        (plus(&base, Tls11, &[0xc013]), &["protocol.tls1_1.offered"]),
        (
            plus(&base, Tls12, &[0x009c]),
            &["suites.tls1_2.not_allowed"],
        ),
        (
            plus(&base, Tls13, &[0x1304]),
            &["suites.tls1_3.not_allowed"],
        ),
        (
            with_findings(base.clone(), &["cert.chain.incomplete"]),
            &["cert.chain.invalid"],
        ),
        (
            with_findings(base.clone(), &["cert.signature.weak"]),
            &["cert.weak"],
        ),
    ]
}

#[test]
fn mozilla_intermediate() {
    let base = target(&[
        (Tls12, INTERMEDIATE_RSA),
        (Tls13, &[0x1301, 0x1302, 0x1303]),
    ]);
    let mut cases = intermediate_common(&base);
    cases.extend::<[(TargetFacts, &[&str]); _]>([
        // secp521r1 for ECDHE in TLS 1.2.
        (
            with_groups(base.clone(), &[X25519, P256], &[X25519, P521]),
            &["groups.not_allowed"],
        ),
        // ffdhe2048 is fine, a 1024-bit prime is not.
        (with_dhe(base.clone(), 1024, None), &["dh.too_small"]),
        (
            with_leaf(base.clone(), "RSA", 1024, None),
            &["cert.key.type"],
        ),
        (
            with_leaf(base.clone(), "DSA", 2048, None),
            &["cert.key.type"],
        ),
    ]);
    check_profile("mozilla-intermediate", base.clone(), cases);
    let p = builtin("mozilla-intermediate");
    assert!(failed(&with_dhe(base.clone(), 2048, Some("ffdhe2048")), &p).is_empty());
    assert!(failed(&with_leaf(base.clone(), "EC", 384, Some("P-384")), &p).is_empty());
    // TLS 1.3 alone is enough (a Modern server is also Intermediate).
    let p = builtin("mozilla-intermediate");
    assert!(failed(&target(&[(Tls13, &[0x1301])]), &p).is_empty());
}

#[test]
fn mozilla_old() {
    let base = target(&[
        (Tls10, &[0xc013, 0x002f, 0x000a]),
        (Tls11, &[0xc013, 0x002f]),
        (Tls12, &[0xc02f, 0x009c, 0xc027]),
        (Tls13, &[0x1301]),
    ]);
    check_profile(
        "mozilla-old",
        base.clone(),
        vec![
            (target(&[]), &["protocol.required"]),
            (plus(&base, Ssl2, &[]), &["protocol.ssl2.offered"]),
            (plus(&base, Ssl3, &[0x002f]), &["protocol.ssl3.offered"]),
            // RC4 in TLS 1.0.
            (plus(&base, Tls10, &[0x0005]), &["suites.not_allowed"]),
            (
                plus(&base, Tls13, &[0x1305]),
                &["suites.tls1_3.not_allowed"],
            ),
            (
                with_findings(base.clone(), &["cert.not_yet_valid"]),
                &["cert.chain.invalid"],
            ),
            (
                with_findings(base.clone(), &["cert.key.weak"]),
                &["cert.weak"],
            ),
            (
                with_groups(base.clone(), &[X448], &[P256]),
                &["groups.not_allowed"],
            ),
            // A 512-bit DHE prime (Logjam) with a DHE suite of the Old list.
            (
                with_dhe(
                    with_groups(plus(&base, Tls12, &[0x009e]), &[P256], &[P256]),
                    512,
                    None,
                ),
                &["dh.too_small"],
            ),
            (
                with_leaf(base.clone(), "EC", 256, Some("P-256")),
                &["cert.key.type"],
            ),
        ],
    );
    // Old's floor is 1024 bits.
    let p = builtin("mozilla-old");
    let dhe = with_groups(plus(&base, Tls12, &[0x009e]), &[P256], &[P256]);
    assert!(failed(&with_dhe(dhe, 1024, None), &p).is_empty());
    let p = builtin("mozilla-old");
    let list = p.server_suites(Tls12).unwrap();
    assert_eq!(list.len(), 26, "the guideline's 26 suites");
    assert_eq!(list[0], CipherSuite(0xc02b));
    assert_eq!(list[25], CipherSuite(0x000a));
}

/// SP 800-52r2's table, shared by the bare name and its pinned readings: every case fails
/// the same rules under each.
fn nist_cases(base: &TargetFacts) -> Vec<(TargetFacts, &'static [&'static str])> {
    vec![
        (target(&[(Tls13, &[0x1301])]), &["protocol.tls1_2.required"]),
        (target(&[(Tls12, &[0xc02f])]), &["protocol.tls1_3.required"]),
        (
            plus(base, Ssl2, &[]),
            &["protocol.ssl2.offered", "suites.not_approved"],
        ),
        (plus(base, Ssl3, &[0xc013]), &["protocol.ssl3.offered"]),
        (plus(base, Tls10, &[0xc013]), &["protocol.tls1_0.offered"]),
        (plus(base, Tls11, &[0xc013]), &["protocol.tls1_1.offered"]),
        // Static RSA key transport is not in 3.3.1.1.
        (plus(base, Tls12, &[0x009c]), &["suites.not_recommended"]),
        (
            plus(base, Tls13, &[0x1303]),
            &["suites.tls1_3.not_recommended"],
        ),
        // 3DES: not approved, and not recommended either.
        (
            plus(base, Tls12, &[0x000a]),
            &["suites.not_approved", "suites.not_recommended"],
        ),
        (
            with_findings(base.clone(), &["cert.untrusted"]),
            &["cert.chain.invalid"],
        ),
        (
            with_findings(base.clone(), &["cert.key.weak"]),
            &["cert.weak"],
        ),
        (
            with_groups(base.clone(), &[X25519], &[X25519]),
            &["groups.required"],
        ),
        (
            with_dhe(
                with_groups(plus(base, Tls12, &[0x009e]), &[P256], &[P256]),
                1024,
                None,
            ),
            &["dh.too_small"],
        ),
    ]
}

fn nist_base() -> TargetFacts {
    target(&[(Tls12, &[0xc02f, 0xc030]), (Tls13, &[0x1301, 0x1302])])
}

#[test]
fn nist_800_52r2() {
    let base = nist_base();
    check_profile("nist-800-52r2", base.clone(), nist_cases(&base));
    // Old versions are warnings in SP 800-52r2 (citizen- and business-facing servers may).
    let p = builtin("nist-800-52r2");
    let r = evaluate(&plus(&base, Tls10, &[0xc013]), &p, Severity::Error);
    assert_eq!(r.verdict, Verdict::Compliant);
}

#[test]
fn pci_dss_4() {
    let base = target(&[(Tls12, &[0xc02f, 0x009c]), (Tls13, &[0x1301])]);
    check_profile(
        "pci-dss-4",
        base.clone(),
        vec![
            (target(&[]), &["protocol.required"]),
            // The SSLv2 kind (3DES with MD5) is weak, too.
            (
                plus(&base, Ssl2, &[]),
                &["protocol.ssl2.offered", "suites.weak"],
            ),
            (plus(&base, Ssl3, &[0x002f]), &["protocol.ssl3.offered"]),
            (plus(&base, Tls10, &[0x002f]), &["protocol.tls1_0.offered"]),
            (plus(&base, Tls11, &[0x002f]), &["protocol.tls1_1.offered"]),
            (plus(&base, Tls12, &[0x000a]), &["suites.weak"]),
            (plus(&base, Tls12, &[0x0005]), &["suites.weak"]),
            (
                with_findings(base.clone(), &["cert.expired"]),
                &["cert.chain.invalid"],
            ),
            (
                with_findings(base.clone(), &["cert.signature.weak"]),
                &["cert.weak"],
            ),
            (
                with_groups(base.clone(), &[P256], &[P256, 0x0013]),
                &["groups.weak"],
            ),
            (
                with_dhe(
                    with_groups(plus(&base, Tls12, &[0x009e]), &[P256], &[P256]),
                    1024,
                    None,
                ),
                &["dh.too_small"],
            ),
        ],
    );
}

#[test]
fn bsi_tr_02102_2() {
    let base = target(&[
        (Tls12, &[0xc02f, 0xc030, 0x009e]),
        (Tls13, &[0x1301, 0x1302]),
    ]);
    check_profile(
        "bsi-tr-02102-2",
        base.clone(),
        vec![
            (target(&[]), &["protocol.required"]),
            (plus(&base, Ssl2, &[]), &["protocol.ssl2.offered"]),
            (plus(&base, Ssl3, &[0x002f]), &["protocol.ssl3.offered"]),
            (plus(&base, Tls10, &[0xc013]), &["protocol.tls1_0.offered"]),
            (plus(&base, Tls11, &[0xc013]), &["protocol.tls1_1.offered"]),
            (
                plus(&base, Tls12, &[0xcca8]),
                &["suites.tls1_2.not_recommended"],
            ),
            (
                plus(&base, Tls13, &[0x1303]),
                &["suites.tls1_3.not_recommended"],
            ),
            (
                with_findings(base.clone(), &["cert.untrusted"]),
                &["cert.chain.invalid"],
            ),
            (
                with_findings(base.clone(), &["cert.key.weak"]),
                &["cert.weak"],
            ),
            // X25519 is not among the TR's groups, in either version.
            (
                with_groups(base.clone(), &[P256], &[X25519, P256]),
                &["groups.not_recommended"],
            ),
            (
                with_groups(base.clone(), &[X25519, P256], &[P256]),
                &["groups.tls1_3.not_recommended"],
            ),
            // ffdhe2048 is below the TR's 3000 bits.
            (
                with_dhe(base.clone(), 2048, Some("ffdhe2048")),
                &["dh.too_small"],
            ),
        ],
    );
    let p = builtin("bsi-tr-02102-2");
    let brainpool = with_groups(base.clone(), &[0x001f, 0x0101], &[0x001a, P384]);
    assert!(failed(&brainpool, &p).is_empty());
}

const MLKEM1024: u16 = 0x0202;
const SECP384_MLKEM1024: u16 = 0x11ed;
const X25519_MLKEM768: u16 = 0x11ec;
const FFDHE2048: u16 = 0x0100;
const FFDHE3072: u16 = 0x0101;
const ECDSA_P256_SHA256: u16 = 0x0403;
const ECDSA_P384_SHA384: u16 = 0x0503;
const MLDSA87: u16 = 0x0906;

/// NCSC-NL's ladder: Insufficient = error, Phase out = warning, Sufficient = info. The base is
/// Good throughout (TLS 1.3 with AES-256-GCM and ChaCha20, X25519/P-256/P-384, ECDSA P-256).
#[test]
fn ncsc_nl() {
    let mut base = with_leaf(
        with_groups(
            target(&[(Tls13, &[0x1302, 0x1303])]),
            &[X25519, P256, P384],
            &[X25519, P256],
        ),
        "EC",
        256,
        Some("P-256"),
    );
    sigs(&mut base, &[ECDSA_P256_SHA256], &[ECDSA_P256_SHA256]);
    let tls12 = |extra: &[u16], schemes: &[u16]| {
        let mut t = plus(&base, Tls12, extra);
        sigs(&mut t, schemes, &[ECDSA_P256_SHA256]);
        t
    };
    check_profile(
        "ncsc-nl",
        base.clone(),
        vec![
            (
                with_leaf(target(&[]), "EC", 256, Some("P-256")),
                &["protocol.required"],
            ),
            (plus(&base, Ssl2, &[]), &["protocol.ssl2.offered"]),
            (plus(&base, Ssl3, &[0x002f]), &["protocol.ssl3.offered"]),
            (plus(&base, Tls10, &[0xc013]), &["protocol.tls1_0.offered"]),
            (plus(&base, Tls11, &[0xc013]), &["protocol.tls1_1.offered"]),
            // TLS 1.2 with ECDHE-RSA-AES128-GCM: Sufficient, an info.
            (plus(&base, Tls12, &[0xc02f]), &["protocol.tls1_2.offered"]),
            // Static RSA key exchange: Insufficient.
            (
                plus(&base, Tls12, &[0x009c]),
                &["protocol.tls1_2.offered", "suites.insufficient"],
            ),
            // ECDHE with AES-128-CBC-SHA256: Phase out.
            (
                plus(&base, Tls12, &[0xc027]),
                &["protocol.tls1_2.offered", "suites.phase_out"],
            ),
            (
                plus(&base, Tls13, &[0x1305]),
                &["suites.tls1_3.insufficient"],
            ),
            (plus(&base, Tls13, &[0x1301]), &["suites.tls1_3.sufficient"]),
            (
                with_groups(base.clone(), &[X25519, FFDHE2048], &[]),
                &["groups.insufficient"],
            ),
            (
                with_groups(base.clone(), &[X25519, FFDHE3072], &[]),
                &["groups.phase_out"],
            ),
            // A DHE suite (Phase out) with ffdhe2048 (Insufficient).
            (
                with_dhe(
                    with_groups(tls12(&[0x009e], &[ECDSA_P256_SHA256]), &[P256], &[P256]),
                    2048,
                    Some("ffdhe2048"),
                ),
                &[
                    "dh.insufficient",
                    "protocol.tls1_2.offered",
                    "suites.phase_out",
                ],
            ),
            (
                with_leaf(base.clone(), "RSA", 1024, None),
                &["cert.key.insufficient", "cert.key.phase_out"],
            ),
            (
                with_leaf(base.clone(), "RSA", 2048, None),
                &["cert.key.phase_out"],
            ),
            (
                with_leaf(base.clone(), "DSA", 2048, None),
                &["cert.key.insufficient"],
            ),
            (
                with_findings(base.clone(), &["cert.untrusted"]),
                &["cert.chain.invalid"],
            ),
            (
                with_findings(base.clone(), &["cert.signature.weak"]),
                &["cert.weak"],
            ),
            (
                tls12(&[0xc02f], &[0x0201]),
                &["protocol.tls1_2.offered", "sigs.insufficient"],
            ),
            (
                tls12(&[0xc02f], &[0x0303]),
                &["protocol.tls1_2.offered", "sigs.phase_out"],
            ),
        ],
    );
    let p = builtin("ncsc-nl");
    // RSA 3072, X448 and brainpool are Good; the ML-KEM hybrid is not judged.
    assert!(failed(&with_leaf(base.clone(), "RSA", 3072, None), &p).is_empty());
    assert!(failed(&with_groups(base.clone(), &[X448, 0x001f], &[]), &p).is_empty());
    assert!(failed(
        &with_groups(base.clone(), &[X25519_MLKEM768, X25519], &[]),
        &p
    )
    .is_empty());
    // The ladder: a Sufficient server is compliant unless asked for Good only.
    let sufficient = with_groups(
        plus(&base, Tls12, &[0xc02f]),
        &[X25519, P256, P384],
        &[X25519, P256],
    );
    assert_eq!(
        evaluate(&sufficient, &p, Severity::Warning).verdict,
        Verdict::Compliant
    );
    assert_eq!(
        evaluate(&sufficient, &p, Severity::Info).verdict,
        Verdict::NotCompliant
    );
    let phase_out = with_leaf(base.clone(), "RSA", 2048, None);
    assert_eq!(
        evaluate(&phase_out, &p, Severity::Error).verdict,
        Verdict::Compliant
    );
    assert_eq!(
        evaluate(&phase_out, &p, Severity::Warning).verdict,
        Verdict::NotCompliant
    );
}

/// CNSA 2.0: TLS 1.3 with TLS_AES_256_GCM_SHA384, ML-KEM-1024 (P-384 still allowed, reported),
/// ML-DSA-87 (ECDSA P-384 still allowed, its absence reported).
#[test]
fn cnsa_2_0() {
    let mut base = with_leaf(
        with_groups(
            target(&[(Tls13, &[0x1302])]),
            &[MLKEM1024, SECP384_MLKEM1024],
            &[],
        ),
        "EC",
        384,
        Some("P-384"),
    );
    sigs(&mut base, &[], &[MLDSA87, ECDSA_P384_SHA384]);
    let signing = |schemes: &[u16]| {
        let mut t = base.clone();
        sigs(&mut t, &[], schemes);
        t
    };
    check_profile(
        "cnsa-2.0",
        base.clone(),
        vec![
            (
                with_leaf(target(&[]), "EC", 384, Some("P-384")),
                &["protocol.tls1_3.required"],
            ),
            (
                plus(&base, Tls12, &[0xc030]),
                &["protocol.before_tls1_3.offered"],
            ),
            (plus(&base, Ssl2, &[]), &["protocol.before_tls1_3.offered"]),
            (
                plus(&base, Tls13, &[0x1301]),
                &["suites.tls1_3.not_allowed"],
            ),
            // CNSA 1.0's P-384 alone: no ML-KEM-1024, and classical.
            (
                with_groups(base.clone(), &[P384], &[]),
                &["groups.classical.offered", "groups.mlkem1024.missing"],
            ),
            (
                with_groups(base.clone(), &[MLKEM1024, P384], &[]),
                &["groups.classical.offered"],
            ),
            // ML-KEM-768 (OpenSSL 3.5's default hybrid) is below CNSA 2.0's category 5.
            (
                with_groups(base.clone(), &[MLKEM1024, X25519_MLKEM768], &[]),
                &["groups.not_allowed"],
            ),
            (
                signing(&[ECDSA_P256_SHA256]),
                &["sigs.mldsa87.missing", "sigs.not_allowed"],
            ),
            (signing(&[ECDSA_P384_SHA384]), &["sigs.mldsa87.missing"]),
            (
                with_leaf(base.clone(), "RSA", 2048, None),
                &["cert.key.cnsa"],
            ),
            (
                with_leaf(base.clone(), "EC", 256, Some("P-256")),
                &["cert.key.cnsa"],
            ),
            (
                with_findings(base.clone(), &["cert.expired"]),
                &["cert.chain.invalid"],
            ),
            (
                with_findings(base.clone(), &["cert.key.weak"]),
                &["cert.weak"],
            ),
        ],
    );
    let p = builtin("cnsa-2.0");
    assert!(failed(&with_leaf(base.clone(), "RSA", 3072, None), &p).is_empty());
    assert!(failed(&with_groups(base.clone(), &[MLKEM1024], &[]), &p).is_empty());
    assert!(failed(&signing(&[MLDSA87]), &p).is_empty());
    // The transition: a CNSA 1.0 server fails only warnings beside the missing ML-KEM-1024.
    let cnsa1 = signing(&[ECDSA_P384_SHA384]);
    let cnsa1 = with_groups(cnsa1, &[MLKEM1024, P384], &[]);
    assert_eq!(
        evaluate(&cnsa1, &p, Severity::Error).verdict,
        Verdict::Compliant
    );
}

#[test]
fn missing_facts_are_incomplete_never_a_pass() {
    let p = builtin("multisafepay");
    let mut t = target(&[(Tls12, &[0xc02f])]);
    t.certificates = None;
    let r = evaluate(&t, &p, Severity::Error);
    assert_eq!(r.verdict, Verdict::Incomplete);
    let cert = r
        .rules
        .iter()
        .find(|r| r.id == "cert.chain.invalid")
        .unwrap();
    assert_eq!(cert.status, RuleStatus::Incomplete);
    assert_eq!(cert.evidence, "the certificates were not analysed");

    // A certificate analysis that failed.
    t.certificates = Some(CertificatesSection {
        status: SectionStatus::Error,
        error: Some("handshake failed".into()),
        findings: vec![],
        ..Default::default()
    });
    let r = evaluate(&t, &p, Severity::Error);
    assert_eq!(r.verdict, Verdict::Incomplete);

    // Issue 13: a section that says completed but holds no chain (a handshake client that
    // could not talk to the server) has no finding because nothing was examined.
    t.certificates = Some(CertificatesSection::default());
    let r = evaluate(&t, &p, Severity::Error);
    let cert = r
        .rules
        .iter()
        .find(|r| r.id == "cert.chain.invalid")
        .unwrap();
    assert_eq!(cert.status, RuleStatus::Incomplete);
    assert_eq!(cert.evidence, "no certificate chain was obtained");

    // TLS 1.2 not scanned (--versions tls1.3): the suite rule cannot pass.
    let mut t = target(&[(Tls12, &[0xc02f]), (Tls13, &[0x1301])]);
    t.protocols[4].status = SectionStatus::NotScheduled;
    t.protocols[4].supported = false;
    t.protocols[4].cipher_suites.clear();
    let r = evaluate(&t, &p, Severity::Error);
    let s = r
        .rules
        .iter()
        .find(|r| r.id == "suites.tls1_2.none_required")
        .unwrap();
    assert_eq!(
        (s.status, s.evidence.as_str()),
        (
            RuleStatus::Incomplete,
            "TLSv1.2 was not scanned (not scheduled)"
        )
    );
    assert_eq!(r.verdict, Verdict::Incomplete);

    // A failure is definite even when other facts are missing.
    let mut t2 = t.clone();
    t2.protocols[5].cipher_suites = vec![SuiteResult::from_suite(CipherSuite(0x1304))];
    assert_eq!(
        evaluate(&t2, &p, Severity::Error).verdict,
        Verdict::NotCompliant
    );

    // A target that could not be scanned: every rule incomplete.
    let t = TargetFacts {
        target: "nowhere".into(),
        error: Some("connection refused".into()),
        ..Default::default()
    };
    let r = evaluate(&t, &p, Severity::Error);
    assert!(r.rules.iter().all(|r| r.status == RuleStatus::Incomplete));
    assert_eq!(r.verdict, Verdict::Incomplete);

    // min_version: a version below it that was not scanned leaves it open.
    let p = Policy::from_toml(
        "[policy]\nname='m'\n[[rule]]\nid='v.min'\nkind='min_version'\nseverity='error'\nversion='TLSv1.2'\nmessage='m'\n",
        "m.toml",
    )
    .unwrap();
    let mut t = target(&[(Tls12, &[0xc02f])]);
    assert!(failed(&t, &p).is_empty());
    t.protocols[2].status = SectionStatus::Error;
    assert_eq!(
        evaluate(&t, &p, Severity::Error).verdict,
        Verdict::Incomplete
    );
    assert_eq!(
        failed(&plus(&target(&[(Tls12, &[0xc02f])]), Tls11, &[0x002f]), &p),
        vec!["v.min"]
    );
}

#[test]
fn client_check_api_lists_versions_and_suites_in_order() {
    let p = builtin("multisafepay");
    assert_eq!(p.allowed_versions(), vec![Tls12, Tls13]);
    assert_eq!(
        p.server_suites(Tls12).unwrap(),
        [0xcca8, 0xc02f, 0xc030, 0xc013, 0x009c, 0x009d]
            .map(CipherSuite)
            .to_vec()
    );
    assert_eq!(
        p.server_suites(Tls13).unwrap(),
        [0x1303, 0x1302, 0x1301].map(CipherSuite).to_vec()
    );
    assert_eq!(p.server_suites(Tls10), None);

    let p = builtin("mozilla-modern");
    assert_eq!(p.allowed_versions(), vec![Tls13]);
    assert_eq!(p.server_suites(Tls12), None);

    let p = builtin("mozilla-intermediate");
    assert_eq!(p.allowed_versions(), vec![Tls12, Tls13]);
    assert_eq!(
        p.server_suites(Tls12).unwrap(),
        [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0x009e, 0x009f, 0xccaa]
            .map(CipherSuite)
            .to_vec()
    );

    // forbid removes suites from the list; no list means "any suite": None.
    let p = Policy::from_toml(
        r#"[policy]
name = "x"
[[rule]]
id = "a"
kind = "allow_only"
severity = "error"
version = "TLSv1.2"
suites = ["ECDHE-RSA-AES128-GCM-SHA256", "0x000a", "AES128-SHA"]
message = "m"
[[rule]]
id = "b"
kind = "forbid"
severity = "error"
suites = ["@3des"]
message = "m"
"#,
        "x.toml",
    )
    .unwrap();
    assert_eq!(
        p.server_suites(Tls12).unwrap(),
        vec![CipherSuite(0xc02f), CipherSuite(0x002f)]
    );
    assert_eq!(p.server_suites(Tls13), None);
    assert_eq!(p.allowed_versions(), TlsVersion::ALL.to_vec());
}

#[test]
fn bad_policy_files_name_file_line_and_field() {
    let cases = [
        // Unknown suite on line 8.
        (
            "[policy]\nname = \"x\"\n\n[[rule]]\nid = \"a\"\nkind = \"require_any\"\nseverity = \"error\"\nsuites = [\"TLS_NOPE\"]\nversion = \"TLSv1.2\"\nmessage = \"m\"\n",
            "my.toml:8:11: field `suites`: unknown cipher suite 'TLS_NOPE'",
        ),
        // A misspelt key: toml names it.
        (
            "[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nkind = \"forbid\"\nseverity = \"error\"\nsutes = [\"@rc4\"]\nmessage = \"m\"\n",
            "my.toml:7:1: field `sutes`: unknown field `sutes`",
        ),
        // A bad severity.
        (
            "[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nkind = \"forbid\"\nseverity = \"fatal\"\nsuites = [\"@rc4\"]\nmessage = \"m\"\n",
            "my.toml:6:12: field `severity`: unknown variant `fatal`",
        ),
        (
            "[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nkind = \"require_group\"\nseverity = \"error\"\nmessage = \"m\"\n",
            "my.toml:5:8: field `kind`: unknown rule kind 'require_group'",
        ),
        (
            "[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nkind = \"forbid_version\"\nseverity = \"error\"\nversion = \"TLSv1.4\"\nmessage = \"m\"\n",
            "my.toml:7:11: field `version`: unknown protocol version 'TLSv1.4'",
        ),
        (
            "[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nkind = \"certificate\"\nseverity = \"error\"\nforbid_findings = [\"cert.expird\"]\nmessage = \"m\"\n",
            "my.toml:7:20: field `forbid_findings`: unknown certificate finding 'cert.expird'",
        ),
        (
            "[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nkind = \"forbid_version\"\nseverity = \"error\"\nversion = \"SSLv3\"\nsuites = [\"@rc4\"]\nmessage = \"m\"\n",
            "my.toml:8:10: field `suites`: a `forbid_version` rule does not take `suites`",
        ),
        (
            "[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nkind = \"forbid_version\"\nseverity = \"error\"\nversion = \"SSLv3\"\nmessage = \"m\"\n[[rule]]\nid = \"a\"\nkind = \"forbid_version\"\nseverity = \"error\"\nversion = \"SSLv2\"\nmessage = \"m\"\n",
            "my.toml:10:6: field `id`: duplicate rule id 'a'",
        ),
        ("[policy\n", "my.toml:1:"),
        (
            "[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nkind = \"forbid_version\"\nseverity = \"error\"\nversion = \"SSLv3\"\n",
            "my.toml:3:1: missing field `message`",
        ),
    ];
    for (text, want) in cases {
        let e = Policy::from_toml(text, "my.toml").unwrap_err().to_string();
        assert!(e.starts_with(want), "got:  {e}\nwant: {want}");
    }
    assert!(Policy::load("no-such-profile")
        .unwrap_err()
        .to_string()
        .contains("no built-in policy 'no-such-profile'"));
}

#[test]
fn ignored_rules_are_left_out_and_unknown_ones_refused() {
    let p = builtin("multisafepay")
        .without(&["cert.chain.invalid".into()])
        .unwrap();
    let mut t = target(&[(Tls12, &[0xc02f])]);
    t.certificates = None;
    assert_eq!(
        evaluate(&t, &p, Severity::Error).verdict,
        Verdict::Compliant
    );
    assert!(builtin("multisafepay")
        .without(&["cert.nope".into()])
        .is_err());
}

/// A policy with one rule of each kind over the groups, signature-scheme, feature and
/// certificate-key facts.
const FACT_RULES: &str = r#"[policy]
name = "facts"

[[rule]]
id = "g.any"
kind = "groups"
severity = "error"
version = "TLSv1.3"
require_any = ["X25519MLKEM768", "x25519"]
message = "m"

[[rule]]
id = "g.only"
kind = "groups"
severity = "error"
allow_only = ["x25519", "prime256v1", "P-384"]
message = "m"

[[rule]]
id = "g.forbid"
kind = "groups"
severity = "error"
version = "TLSv1.2"
forbid = ["secp521r1", "0x0013"]
message = "m"

[[rule]]
id = "dh"
kind = "dhe"
severity = "error"
min_bits = 2048
well_known = true
message = "m"

[[rule]]
id = "s.only"
kind = "signature_schemes"
severity = "error"
allow_only = ["rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256"]
message = "m"

[[rule]]
id = "s.forbid"
kind = "signature_schemes"
severity = "error"
version = "TLSv1.2"
forbid = ["rsa_pkcs1_sha1", "ecdsa_sha1"]
message = "m"

[[rule]]
id = "f.reneg"
kind = "require_feature"
severity = "error"
feature = "secure_renegotiation"
message = "m"

[[rule]]
id = "f.compression"
kind = "forbid_feature"
severity = "error"
feature = "compression"
message = "m"

[[rule]]
id = "k"
kind = "certificate_key"
severity = "error"
key_types = ["ECDSA", "RSA"]
min_rsa_bits = 2048
ec_curves = ["P-256"]
message = "m"
"#;

fn sigs(t: &mut TargetFacts, tls12: &[u16], tls13: &[u16]) {
    let entry = |v: TlsVersion, s: &[u16]| VersionSignatures {
        version: v,
        status: SectionStatus::Completed,
        error: None,
        schemes: s
            .iter()
            .map(|c| SignatureResult::new(crate::wire::SignatureScheme(*c), None))
            .collect(),
        evidence: "refused the rest".into(),
    };
    t.signature_schemes = Some(SignaturesSection {
        status: SectionStatus::Completed,
        error: None,
        versions: vec![entry(Tls12, tls12), entry(Tls13, tls13)],
    });
}

/// (id, status, evidence) of every rule.
fn results(t: &TargetFacts, p: &Policy) -> Vec<(String, RuleStatus, String)> {
    evaluate(t, p, Severity::Info)
        .rules
        .into_iter()
        .map(|r| (r.id, r.status, r.evidence))
        .collect()
}

fn one(t: &TargetFacts, p: &Policy, id: &str) -> (RuleStatus, String) {
    results(t, p)
        .into_iter()
        .find(|r| r.0 == id)
        .map(|r| (r.1, r.2))
        .unwrap()
}

#[test]
fn fact_rules_pass_fail_and_are_incomplete_without_their_facts() {
    use RuleStatus::*;
    let p = Policy::from_toml(FACT_RULES, "facts.toml").unwrap_or_else(|e| panic!("{e}"));
    // TLS 1.2 with a DHE suite (ffdhe3072), TLS 1.3; good groups, schemes, features, key.
    let mut good = with_groups(
        target(&[(Tls12, &[0xc02f, 0x009e]), (Tls13, &[0x1301])]),
        &[X25519, P256],
        &[P256, P384],
    );
    sigs(&mut good, &[0x0804, 0x0403], &[0x0804]);
    good.features = Some(FeaturesSection {
        status: SectionStatus::Completed,
        secure_renegotiation: Fact::yes("ServerHello has renegotiation_info"),
        compression: Fact::no("the server chose null compression"),
        ..Default::default()
    });
    let s = |x: &str| x.to_string();
    assert_eq!(
        results(&good, &p),
        vec![
            (s("g.any"), Pass, s("TLSv1.3 accepts x25519")),
            (
                s("g.only"),
                Pass,
                s("TLSv1.2 ECDHE accepts secp256r1, secp384r1; TLSv1.3 accepts x25519, secp256r1")
            ),
            (s("g.forbid"), Pass, s("TLSv1.2 ECDHE: none of them")),
            (
                s("dh"),
                Pass,
                s("TLSv1.2 DHE uses ffdhe3072 (RFC7919, 3072 bits)")
            ),
            (
                s("s.only"),
                Pass,
                s("TLSv1.2 accepts rsa_pss_rsae_sha256, ecdsa_secp256r1_sha256; TLSv1.3 accepts rsa_pss_rsae_sha256")
            ),
            (s("s.forbid"), Pass, s("TLSv1.2: none of them")),
            (
                s("f.reneg"),
                Pass,
                s("secure_renegotiation: ServerHello has renegotiation_info")
            ),
            (
                s("f.compression"),
                Pass,
                s("compression: the server chose null compression")
            ),
            (s("k"), Pass, s("leaf key RSA 2048")),
        ]
    );

    // Failures, each with the fact that decided it.
    let mut bad = with_groups(good.clone(), &[P256, X448], &[P521, 0x0013]);
    bad = with_dhe(bad, 1024, None);
    sigs(&mut bad, &[0x0804, 0x0201], &[0x0804, 0x0805]);
    if let Some(f) = bad.features.as_mut() {
        f.secure_renegotiation = Fact::no("no renegotiation_info");
        f.compression = Fact::yes("the server chose DEFLATE");
    }
    bad = with_leaf(bad, "EC", 384, Some("P-384"));
    assert_eq!(
        results(&bad, &p),
        vec![
            (
                s("g.any"),
                Fail,
                s("TLSv1.3 accepts secp256r1, x448; none of them is one of the 2 required")
            ),
            (
                s("g.only"),
                Fail,
                s("TLSv1.2 ECDHE also accepts secp521r1, secp192r1; TLSv1.3 also accepts x448")
            ),
            (
                s("g.forbid"),
                Fail,
                s("TLSv1.2 ECDHE accepts secp521r1, secp192r1")
            ),
            (
                s("dh"),
                Fail,
                s("TLSv1.2 DHE uses a custom 1024-bit prime: smaller than 2048 bits, not a well-known group")
            ),
            (
                s("s.only"),
                Fail,
                s("TLSv1.2 also accepts rsa_pkcs1_sha1; TLSv1.3 also accepts rsa_pss_rsae_sha384")
            ),
            (s("s.forbid"), Fail, s("TLSv1.2 accepts rsa_pkcs1_sha1")),
            (
                s("f.reneg"),
                Fail,
                s("secure_renegotiation: no renegotiation_info")
            ),
            (
                s("f.compression"),
                Fail,
                s("compression: the server chose DEFLATE")
            ),
            (
                s("k"),
                Fail,
                s("leaf key EC P-384: curve not one of P-256")
            ),
        ]
    );
    let weak_rsa = with_leaf(good.clone(), "RSA", 1024, None);
    assert_eq!(
        one(&weak_rsa, &p, "k"),
        (Fail, s("leaf key RSA 1024: smaller than 2048 bits"))
    );
    let dsa = with_leaf(good.clone(), "DSA", 2048, None);
    assert_eq!(
        one(&dsa, &p, "k"),
        (Fail, s("leaf key DSA 2048: not one of EC, RSA"))
    );

    // Sections not scanned (`--only versions,suites`): every rule INCOMPLETE, never a pass.
    let mut none = good.clone();
    none.groups = None;
    none.signature_schemes = None;
    none.features = None;
    none.certificates = None;
    let r = evaluate(&none, &p, Severity::Info);
    assert_eq!(r.verdict, Verdict::Incomplete);
    assert_eq!(
        results(&none, &p),
        vec![
            (s("g.any"), Incomplete, s("the groups were not scanned")),
            (s("g.only"), Incomplete, s("the groups were not scanned")),
            (s("g.forbid"), Incomplete, s("the groups were not scanned")),
            (s("dh"), Incomplete, s("the groups were not scanned")),
            (
                s("s.only"),
                Incomplete,
                s("the signature schemes were not scanned")
            ),
            (
                s("s.forbid"),
                Incomplete,
                s("the signature schemes were not scanned")
            ),
            (s("f.reneg"), Incomplete, s("the features were not scanned")),
            (
                s("f.compression"),
                Incomplete,
                s("the features were not scanned")
            ),
            (s("k"), Incomplete, s("the certificates were not analysed")),
        ]
    );

    // Entries that could not be determined.
    let mut nd = good.clone();
    for e in nd.groups.iter_mut().flat_map(|g| g.versions.iter_mut()) {
        if e.version == Tls13 {
            e.status = SectionStatus::Error;
            e.error = Some("connection reset".into());
        } else {
            e.dhe = None;
            e.evidence = "DHE: alert handshake_failure".into();
        }
    }
    if let Some(sg) = nd.signature_schemes.as_mut() {
        sg.versions[1].status = SectionStatus::Error;
        sg.versions[1].error = Some("rustls shares no group with the server".into());
    }
    if let Some(f) = nd.features.as_mut() {
        f.secure_renegotiation = Fact::not_determined("timed out");
    }
    if let Some(c) = nd.certificates.as_mut() {
        c.chains.clear();
    }
    assert_eq!(
        one(&nd, &p, "g.any"),
        (
            Incomplete,
            s("the groups of TLSv1.3 could not be determined: connection reset")
        )
    );
    assert_eq!(
        one(&nd, &p, "dh"),
        (
            Incomplete,
            s("the DHE group of TLSv1.2 could not be read (DHE: alert handshake_failure)")
        )
    );
    assert_eq!(
        one(&nd, &p, "s.only"),
        (
            Incomplete,
            s("the signature schemes of TLSv1.3 could not be determined: rustls shares no group with the server")
        )
    );
    assert_eq!(one(&nd, &p, "s.forbid").0, Pass, "TLS 1.2 was determined");
    assert_eq!(
        one(&nd, &p, "f.reneg"),
        (
            Incomplete,
            s("secure_renegotiation not determined: timed out")
        )
    );
    assert_eq!(
        one(&nd, &p, "k"),
        (Incomplete, s("no certificate chain was obtained"))
    );
    // A failure is definite even when another version's facts are missing.
    let mut mixed = nd.clone();
    for e in mixed.groups.iter_mut().flat_map(|g| g.versions.iter_mut()) {
        if e.version == Tls12 {
            e.groups = vec![GroupResult::from_group(crate::wire::NamedGroup(P521))];
        }
    }
    assert_eq!(
        one(&mixed, &p, "g.only"),
        (Fail, s("TLSv1.2 ECDHE also accepts secp521r1"))
    );

    // Not applicable is a pass (renegotiation on a TLS 1.3-only server); versions not offered
    // pass group, DHE and scheme rules; no DHE suite passes the DHE rule.
    let mut t13 = with_groups(target(&[(Tls13, &[0x1301])]), &[X25519], &[]);
    sigs(&mut t13, &[], &[0x0804]);
    t13.signature_schemes.as_mut().unwrap().versions.remove(0);
    t13.features = Some(FeaturesSection {
        status: SectionStatus::Completed,
        secure_renegotiation: Fact::not_applicable("TLS 1.3 only"),
        compression: Fact::not_applicable("TLS 1.3 only"),
        ..Default::default()
    });
    assert_eq!(
        results(&t13, &p)
            .into_iter()
            .map(|r| (r.0, r.1))
            .collect::<Vec<_>>(),
        [
            "g.any",
            "g.only",
            "g.forbid",
            "dh",
            "s.only",
            "s.forbid",
            "f.reneg",
            "f.compression",
            "k"
        ]
        .map(|id| (s(id), Pass))
        .to_vec()
    );
    assert_eq!(
        one(&t13, &p, "dh"),
        (Pass, s("TLS 1.0-1.2 are not offered"))
    );
    assert_eq!(
        one(&t13, &p, "f.reneg"),
        (Pass, s("secure_renegotiation does not apply: TLS 1.3 only"))
    );
    let no_dhe = with_groups(target(&[(Tls12, &[0xc02f])]), &[], &[P256]);
    assert_eq!(
        one(&no_dhe, &p, "dh"),
        (Pass, s("TLSv1.2 accepts no DHE suite"))
    );
    // TLS 1.2 not scanned: the legacy groups cannot be known.
    let mut unscanned = good.clone();
    unscanned.protocols[4].status = SectionStatus::NotScheduled;
    assert_eq!(
        one(&unscanned, &p, "g.forbid"),
        (Incomplete, s("TLSv1.2 was not scanned (not scheduled)"))
    );
}

#[test]
fn fact_rules_reject_bad_names_and_keys() {
    let rule = |body: &str| {
        format!("[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nseverity = \"error\"\nmessage = \"m\"\n{body}")
    };
    let cases = [
        (
            "kind = \"groups\"\nallow_only = [\"x25519\", \"curve9\"]\n",
            "my.toml:8:25: field `allow_only`: unknown named group 'curve9'",
        ),
        (
            "kind = \"groups\"\n",
            "my.toml:7:8: field `require_any`: a `groups` rule needs one of `require_any`, `allow_only`, `forbid`",
        ),
        (
            "kind = \"groups\"\nallow_only = [\"x25519\"]\nforbid = [\"x448\"]\n",
            "my.toml:9:10: field `forbid`: a `groups` rule takes one of `require_any`, `allow_only`, `forbid`",
        ),
        (
            "kind = \"groups\"\nversion = \"TLSv1.1\"\nforbid = [\"x448\"]\n",
            "my.toml:8:11: field `version`: a `groups` rule judges TLSv1.2 and TLSv1.3 only, not TLSv1.1",
        ),
        (
            "kind = \"signature_schemes\"\nforbid = [\"rsa_sha1\"]\n",
            "my.toml:8:11: field `forbid`: unknown signature scheme 'rsa_sha1'",
        ),
        (
            "kind = \"dhe\"\n",
            "my.toml:7:8: field `min_bits`: a `dhe` rule needs `min_bits` or `well_known = true`",
        ),
        (
            "kind = \"require_feature\"\nfeature = \"hsts\"\n",
            "my.toml:8:11: field `feature`: unknown feature 'hsts' (known: secure_renegotiation,",
        ),
        (
            "kind = \"certificate_key\"\nkey_types = [\"RSA\", \"GOST\"]\n",
            "my.toml:8:21: field `key_types`: unknown key type 'GOST'",
        ),
        (
            "kind = \"certificate_key\"\nec_curves = [\"P-192\"]\n",
            "my.toml:8:14: field `ec_curves`: unknown certificate curve 'P-192'",
        ),
        (
            "kind = \"dhe\"\nmin_bits = 2048\nfeature = \"heartbeat\"\n",
            "my.toml:9:11: field `feature`: a `dhe` rule does not take `feature`",
        ),
    ];
    for (body, want) in cases {
        let e = Policy::from_toml(&rule(body), "my.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(want), "got:  {e}\nwant: {want}");
    }
}

#[test]
fn every_feature_id_is_a_fact_of_the_features_section() {
    // The ids are the section's JSON field names whose value is a yes/no fact.
    let v = serde_json::to_value(FeaturesSection::default()).unwrap();
    let facts: Vec<&str> = v
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, x)| x.get("answer").is_some())
        .map(|(k, _)| k.as_str())
        .collect();
    let mut ids = FEATURES.to_vec();
    ids.sort();
    let mut facts = facts;
    facts.sort();
    assert_eq!(ids, facts);
    let f = FeaturesSection::default();
    for id in FEATURES {
        assert!(facts::feature_fact(&f, id).is_some(), "{id}");
    }
}

#[test]
fn certificate_rules_may_name_every_finding_the_certificates_stage_raises() {
    use super::is_cert_finding;
    for id in crate::certs::ids::ALL {
        assert!(is_cert_finding(id), "{id}");
        if id.starts_with(crate::certs::NO_SNI_PREFIX) {
            continue;
        }
        let no_sni = id.replacen("cert.", crate::certs::NO_SNI_PREFIX, 1);
        assert!(is_cert_finding(&no_sni), "{no_sni}");
    }
    assert!(!is_cert_finding("cert.nope"));
    assert!(!is_cert_finding("cert.no_sni.nope"));
    // The refusal of clients without SNI has no twin of its own.
    assert!(!is_cert_finding("cert.refused"));
    assert!(!is_cert_finding("cert.no_sni.no_sni.refused"));
    assert!(!is_cert_finding("protocol.tls1_0.offered"));
}

#[test]
fn a_policy_may_forbid_refusing_clients_without_sni() {
    use super::is_cert_finding;
    assert!(is_cert_finding("cert.no_sni.refused"));
    let text = "[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nkind = \"certificate\"\nseverity = \"error\"\nforbid_findings = [\"cert.no_sni.refused\"]\nmessage = \"m\"\n";
    Policy::from_toml(text, "my.toml").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn clients_connect_names_known_profiles_and_fails_with_the_reason() {
    let bad = "[policy]\nname = \"x\"\n\n[[rule]]\nid = \"c\"\nkind = \"clients_connect\"\nseverity = \"error\"\nclients = [\"java-99\"]\nmessage = \"m\"\n";
    let e = Policy::from_toml(bad, "x.toml").unwrap_err().to_string();
    assert!(e.contains("x.toml") && e.contains("java-99"), "{e}");
    let ok = bad.replace("java-99", "java");
    let p = Policy::from_toml(&ok, "x.toml").unwrap();
    // Java 6 and 7 speak TLS 1.0 only by default: a TLS 1.2-only server loses them.
    let r = evaluate(&target(&[(Tls12, &[0xc02f])]), &p, Severity::Error);
    assert_eq!(r.verdict, Verdict::NotCompliant);
    let rule = &r.rules[0];
    assert_eq!(rule.status, RuleStatus::Fail);
    assert!(
        rule.evidence
            .contains("java-7: no common version: the server offers TLSv1.2"),
        "{}",
        rule.evidence
    );
    assert!(!rule.evidence.contains("java-8"), "{}", rule.evidence);
}

#[test]
fn weakness_ids_are_features_and_heartbleed_reads_either_section() {
    use crate::facts::{Verdict as W, WeaknessCheck, WeaknessesSection};
    assert!(facts::is_feature("robot") && facts::is_feature("heartbleed"));
    assert!(!facts::is_feature("nope"));
    let mut t = TargetFacts {
        features: Some(FeaturesSection {
            heartbleed: Fact::no("short answer"),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        facts::check_feature(&t, "heartbleed", false).0,
        RuleStatus::Pass
    );
    assert_eq!(
        facts::check_feature(&t, "robot", false).0,
        RuleStatus::Incomplete
    );
    t.weaknesses = Some(WeaknessesSection {
        checks: vec![
            WeaknessCheck::new("robot", W::Yes, "oracle"),
            WeaknessCheck::new("heartbleed", W::No, "short answer"),
        ],
        ..Default::default()
    });
    assert_eq!(
        facts::check_feature(&t, "robot", false),
        (RuleStatus::Fail, "robot: oracle".into())
    );
    assert_eq!(
        facts::check_feature(&t, "heartbleed", false).0,
        RuleStatus::Pass
    );
}
