//! Grades of constructed reports: every cap, the score arithmetic, and what an incomplete scan
//! yields. Each test starts from `modern()` (A+, 93) and changes one fact.

use super::*;
use crate::facts::certs::{CertChain, CertInfo, ChainVerdicts, PublicKeyInfo};
use crate::facts::weaknesses::WEAKNESSES;
use crate::facts::{CertificatesSection, Finding, ProtocolResult, Severity};
use crate::facts::{DheGroup, Fact, FeaturesSection, GroupResult, GroupsSection, VersionGroups};
use crate::facts::{Hsts, HttpSection, WeaknessCheck, WeaknessesSection};
use crate::wire::NamedGroup;

fn suite(name: &str) -> SuiteResult {
    let s = crate::wire::registry::suite_by_name(name).unwrap_or_else(|| panic!("{name}"));
    SuiteResult::from_suite(s.id)
}

fn proto(v: TlsVersion, suites: &[&str]) -> ProtocolResult {
    ProtocolResult {
        version: v,
        supported: !suites.is_empty(),
        status: SectionStatus::Completed,
        error: None,
        server_preference: (suites.len() > 1).then_some(true),
        cipher_suites: suites.iter().map(|n| suite(n)).collect(),
        evidence: String::new(),
        suites_enumerated: true,
    }
}

const TLS13: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];
const TLS12: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
];

fn groups(v: TlsVersion, gs: &[NamedGroup], dhe_bits: Option<u32>) -> VersionGroups {
    VersionGroups {
        version: v,
        status: SectionStatus::Completed,
        error: None,
        groups: gs.iter().map(|g| GroupResult::from_group(*g)).collect(),
        server_preference: None,
        dhe: dhe_bits.map(|b| DheGroup {
            suite: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256".into(),
            prime_bits: b,
            generator: "02".into(),
            known_group: None,
            known_source: None,
        }),
        evidence: String::new(),
    }
}

fn chain(algorithm: &str, bits: u32, curve: Option<&str>) -> CertChain {
    CertChain {
        key_type: if algorithm == "EC" { "ECDSA" } else { "RSA" }.into(),
        certificates: vec![CertInfo {
            subject: "CN=localhost".into(),
            public_key: PublicKeyInfo {
                algorithm: algorithm.into(),
                bits,
                exponent: None,
                curve: curve.map(Into::into),
            },
            ..Default::default()
        }],
        verdicts: ChainVerdicts {
            trusted: true,
            hostname: Some("localhost".into()),
            hostname_matches: Some(true),
            order_correct: true,
            complete: true,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// TLS 1.2 + 1.3, ECDHE and AEAD only, x25519 and P-256, a trusted P-256 certificate,
/// secure renegotiation, TLS_FALLBACK_SCSV and HSTS for a year: A+ with 100 / 90 / 90 → 93.
fn modern() -> TargetFacts {
    let x = [NamedGroup::X25519, NamedGroup::SECP256R1];
    TargetFacts {
        target: "localhost:443".into(),
        protocols: vec![
            proto(TlsVersion::Ssl2, &[]),
            proto(TlsVersion::Ssl3, &[]),
            proto(TlsVersion::Tls10, &[]),
            proto(TlsVersion::Tls11, &[]),
            proto(TlsVersion::Tls12, TLS12),
            proto(TlsVersion::Tls13, TLS13),
        ],
        groups: Some(GroupsSection {
            status: SectionStatus::Completed,
            error: None,
            versions: vec![
                groups(TlsVersion::Tls13, &x, None),
                groups(TlsVersion::Tls12, &x, None),
            ],
        }),
        certificates: Some(CertificatesSection {
            chains: vec![chain("EC", 256, Some("P-256"))],
            ..Default::default()
        }),
        features: Some(FeaturesSection {
            legacy_version: Some(TlsVersion::Tls12),
            secure_renegotiation: Fact::yes("renegotiation_info"),
            fallback_scsv: Fact::yes("inappropriate_fallback"),
            compression: Fact::no("null only"),
            heartbleed: Fact::not_applicable("no heartbeat"),
            ..Default::default()
        }),
        weaknesses: Some(clean_weaknesses()),
        http: Some(http_with_hsts("max-age=31536000; includeSubDomains")),
        ..Default::default()
    }
}

fn http_with_hsts(header: &str) -> HttpSection {
    HttpSection {
        status_code: Some(200),
        hsts: Some(Hsts::parse(header)),
        server: Some("nginx".into()),
        ..Default::default()
    }
}

/// Every active check answered no.
fn clean_weaknesses() -> WeaknessesSection {
    WeaknessesSection {
        checks: WEAKNESSES
            .iter()
            .map(|w| WeaknessCheck::new(w.id, Verdict::No, "not vulnerable"))
            .collect(),
        ..Default::default()
    }
}

#[test]
fn proven_vulnerabilities_cap_at_f_and_undetermined_ones_are_not_judged() {
    for id in [
        "ccs_injection",
        "ticketbleed",
        "robot",
        "poodle_tls",
        "insecure_renegotiation",
    ] {
        let mut t = modern();
        let w = t.weaknesses.as_mut().unwrap();
        w.checks.retain(|c| c.id != id);
        w.checks.push(WeaknessCheck::new(id, Verdict::Yes, "proof"));
        let got = g(&t);
        assert_eq!(
            (got.letter, cap_ids(&got)),
            (Letter::F, vec![(format!("grade.{id}").as_str(), Letter::F)]),
            "{id}"
        );
    }
    let mut t = modern();
    let w = t.weaknesses.as_mut().unwrap();
    w.checks.retain(|c| c.id != "robot");
    w.checks.push(WeaknessCheck::new(
        "robot",
        Verdict::NotDetermined,
        "answers did not repeat",
    ));
    let got = g(&t);
    assert_eq!(
        (got.letter, got.not_judged),
        (
            Letter::A,
            vec!["robot: not determined (answers did not repeat)".to_string()]
        )
    );
    // RC4 and friends are graded by the suite rules: their entries add no second cap.
    let mut t = modern();
    t.weaknesses
        .as_mut()
        .unwrap()
        .checks
        .push(WeaknessCheck::new("rc4", Verdict::Yes, "x"));
    t.weaknesses
        .as_mut()
        .unwrap()
        .checks
        .push(WeaknessCheck::new(
            "client_renegotiation",
            Verdict::Yes,
            "x",
        ));
    assert_eq!(g(&t).letter, Letter::APlus);
}

fn set(t: &mut TargetFacts, v: TlsVersion, suites: &[&str]) {
    let i = t.protocols.iter().position(|p| p.version == v).unwrap();
    t.protocols[i] = proto(v, suites);
}

fn g(t: &TargetFacts) -> Grade {
    grade(t).expect("graded")
}

fn cap_ids(g: &Grade) -> Vec<(&str, Letter)> {
    g.caps.iter().map(|c| (c.id.as_str(), c.cap)).collect()
}

#[test]
fn modern_server_is_a_plus_93() {
    let r = g(&modern());
    assert_eq!(
        (
            r.letter,
            r.score,
            r.protocol_score,
            r.key_exchange_score,
            r.cipher_score
        ),
        (Letter::APlus, 93, 100, Some(90), 90)
    );
    assert!(r.caps.is_empty(), "{:#?}", r.caps);
    assert!(
        !r.incomplete && r.not_judged.is_empty(),
        "{:?}",
        r.not_judged
    );
    assert_eq!(r.ignoring_certificate, None);
}

#[test]
fn score_arithmetic_and_letter_table() {
    // 0.3 * 100 + 0.3 * 90 + 0.4 * 90 = 93; rounded down.
    assert_eq!(total(100, Some(90), 90), 93);
    assert_eq!(total(95, Some(90), 90), 91);
    assert_eq!(total(97, Some(85), 60), 78);
    // A zero category zeroes the total.
    assert_eq!(total(100, Some(0), 100), 0);
    assert_eq!(total(100, Some(90), 0), 0);
    // Without key exchange: 30/70 protocol, 40/70 cipher. (3000 + 3200) / 70 = 88.57 → 88.
    assert_eq!(total(100, None, 80), 88);
    assert_eq!(half(100, 95), 97);
    for (score, letter) in [
        (100, Letter::APlus),
        (80, Letter::APlus),
        (79, Letter::B),
        (65, Letter::B),
        (64, Letter::C),
        (50, Letter::C),
        (49, Letter::D),
        (35, Letter::D),
        (34, Letter::E),
        (20, Letter::E),
        (19, Letter::F),
        (0, Letter::F),
    ] {
        assert_eq!(Letter::of_score(score), letter, "score {score}");
    }
    assert_eq!(
        [0, 511, 512, 1023, 1024, 2047, 2048, 4095, 4096].map(kx_score),
        [20, 20, 40, 40, 80, 80, 90, 90, 100]
    );
    assert_eq!(
        TlsVersion::ALL.map(protocol_score),
        [0, 80, 90, 95, 100, 100]
    );
    assert_eq!(
        [
            "TLS_RSA_WITH_NULL_SHA",
            "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384"
        ]
        .map(|n| cipher_score(&suite(n))),
        [0, 20, 80, 80, 100]
    );
    assert_eq!(group_strength("0x001d"), Some(3072));
    assert_eq!(group_strength("0x0018"), Some(7680));
    assert_eq!(group_strength("0x0100"), Some(2048));
    assert_eq!(group_strength("0x11ec"), Some(7680));
    assert_eq!(group_strength("0xfe00"), None);
}

#[test]
fn letters_serialise_as_written() {
    assert_eq!(serde_json::to_string(&Letter::APlus).unwrap(), "\"A+\"");
    assert_eq!(serde_json::to_string(&Letter::AMinus).unwrap(), "\"A-\"");
    assert_eq!(serde_json::to_string(&Letter::T).unwrap(), "\"T\"");
}

#[test]
fn tls1_0_caps_at_b_and_cbc_blocks_a_plus() {
    let mut t = modern();
    set(
        &mut t,
        TlsVersion::Tls10,
        &["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"],
    );
    let r = g(&t);
    // Protocol (100 + 90) / 2 = 95: 28.5 + 27 + 36 = 91.
    assert_eq!((r.letter, r.score, r.protocol_score), (Letter::B, 91, 95));
    assert_eq!(cap_ids(&r), vec![("grade.tls1_0_or_1_1", Letter::B)]);
    assert_eq!(
        r.caps[0].reason,
        "TLSv1.0 is enabled (deprecated by RFC 8996): disable TLS 1.0 and TLS 1.1."
    );
    set(
        &mut t,
        TlsVersion::Tls11,
        &["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"],
    );
    assert!(g(&t).caps[0]
        .reason
        .starts_with("TLSv1.0 and TLSv1.1 are enabled"));
}

#[test]
fn sslv2_is_f_and_sslv3_is_c() {
    let mut t = modern();
    t.protocols[0] = ProtocolResult {
        cipher_suites: vec![SuiteResult::from_sslv2(crate::wire::sslv2::CipherKind(
            0x0700c0,
        ))],
        supported: true,
        ..proto(TlsVersion::Ssl2, &[])
    };
    let r = g(&t);
    // Protocol (100 + 0) / 2 = 50; 3DES keeps the cipher score at 90.
    assert_eq!((r.letter, r.protocol_score, r.score), (Letter::F, 50, 78));
    assert_eq!(r.caps[0].id, "grade.ssl2");
    assert_eq!(r.caps[0].cap, Letter::F);

    let mut t = modern();
    set(
        &mut t,
        TlsVersion::Ssl3,
        &["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"],
    );
    let r = g(&t);
    assert_eq!((r.letter, r.protocol_score), (Letter::C, 90));
    assert_eq!(cap_ids(&r)[0], ("grade.ssl3", Letter::C));
}

#[test]
fn rc4_caps_at_c() {
    let mut t = modern();
    set(
        &mut t,
        TlsVersion::Tls12,
        &[
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
        ],
    );
    let r = g(&t);
    assert_eq!((r.letter, r.score), (Letter::C, 93));
    assert_eq!(cap_ids(&r), vec![("grade.rc4", Letter::C)]);
    assert_eq!(
        r.caps[0].reason,
        "RC4 is accepted (RFC 7465 prohibits it) (TLS_ECDHE_ECDSA_WITH_RC4_128_SHA): remove RC4 suites."
    );
}

#[test]
fn block_64_bit_ciphers_cap_at_c_only_with_tls1_1_or_later() {
    let mut t = modern();
    set(
        &mut t,
        TlsVersion::Tls12,
        &[
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
        ],
    );
    let r = g(&t);
    assert_eq!(r.letter, Letter::C);
    assert_eq!(cap_ids(&r)[0], ("grade.64bit_block", Letter::C));

    // With TLS 1.0 only it is the TLS 1.0 cap that holds (and no TLS 1.2 → C).
    let mut t = modern();
    set(&mut t, TlsVersion::Tls12, &[]);
    set(&mut t, TlsVersion::Tls13, &[]);
    set(
        &mut t,
        TlsVersion::Tls10,
        &["TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"],
    );
    let r = g(&t);
    let ids: Vec<_> = cap_ids(&r).into_iter().map(|(id, _)| id).collect();
    assert!(!ids.contains(&"grade.64bit_block"), "{ids:?}");
    assert_eq!(
        cap_ids(&r)[..2],
        [
            ("grade.no_tls1_2", Letter::C),
            ("grade.tls1_0_or_1_1", Letter::B)
        ]
    );
    assert_eq!(r.letter, Letter::C);
}

#[test]
fn export_null_and_anonymous_are_f() {
    let mut t = modern();
    set(
        &mut t,
        TlsVersion::Tls10,
        &[
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
            "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        ],
    );
    let r = g(&t);
    assert_eq!(r.letter, Letter::F);
    assert!(cap_ids(&r).contains(&("grade.export", Letter::F)));
    // Export key exchange scores 40: key exchange (90 + 40) / 2 = 65; cipher (100 + 20) / 2 = 60.
    assert_eq!((r.key_exchange_score, r.cipher_score), (Some(65), 60));

    let mut t = modern();
    set(
        &mut t,
        TlsVersion::Tls12,
        &[
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_NULL_SHA256",
        ],
    );
    let r = g(&t);
    assert_eq!((r.letter, r.score, r.cipher_score), (Letter::F, 77, 50));
    assert!(cap_ids(&r).contains(&("grade.null_cipher", Letter::F)));

    let mut t = modern();
    set(
        &mut t,
        TlsVersion::Tls12,
        &[
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_DH_anon_WITH_AES_128_GCM_SHA256",
        ],
    );
    let r = g(&t);
    // Anonymous key exchange scores 0: (90 + 0) / 2 = 45.
    assert_eq!((r.letter, r.key_exchange_score), (Letter::F, Some(45)));
    assert!(cap_ids(&r).contains(&("grade.anonymous", Letter::F)));
}

#[test]
fn no_forward_secrecy_caps_at_b_when_the_server_prefers_rsa() {
    let mut t = modern();
    set(&mut t, TlsVersion::Tls13, &[]);
    set(
        &mut t,
        TlsVersion::Tls12,
        &[
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        ],
    );
    let r = g(&t);
    assert_eq!(r.letter, Letter::B);
    assert_eq!(
        cap_ids(&r),
        vec![
            ("grade.no_forward_secrecy", Letter::B),
            ("grade.aplus.no_tls1_3", Letter::A)
        ]
    );
    assert_eq!(
        r.caps[0].reason,
        "Modern clients get no forward secrecy (the server prefers TLS_RSA_WITH_AES_128_GCM_SHA256 at TLSv1.2): enable and prefer ECDHE suites, or TLS 1.3."
    );
    // Following the client's order, a modern client gets ECDHE: only A+ is out of reach.
    t.protocols[4].server_preference = Some(false);
    let r = g(&t);
    assert_eq!(r.letter, Letter::A);
    assert_eq!(cap_ids(&r), vec![("grade.aplus.no_tls1_3", Letter::A)]);
    // With TLS 1.3 a modern client always has forward secrecy; static RSA beside it no
    // longer keeps A+ away (revision 2009r: HSTS is what A+ asks for).
    set(&mut t, TlsVersion::Tls13, TLS13);
    t.protocols[4].server_preference = Some(true);
    assert_eq!(g(&t).letter, Letter::APlus);
}

#[test]
fn no_aead_caps_at_b() {
    let mut t = modern();
    set(&mut t, TlsVersion::Tls13, &[]);
    set(
        &mut t,
        TlsVersion::Tls12,
        &[
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        ],
    );
    let r = g(&t);
    assert_eq!(r.letter, Letter::B);
    assert!(cap_ids(&r).contains(&("grade.no_aead", Letter::B)));
    assert!(!cap_ids(&r)
        .iter()
        .any(|(id, _)| *id == "grade.no_forward_secrecy"));
}

#[test]
fn weak_dh_caps_at_b_below_2048_and_f_below_1024() {
    let mut t = modern();
    set(
        &mut t,
        TlsVersion::Tls12,
        &[
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        ],
    );
    let gs = t.groups.as_mut().unwrap();
    gs.versions[1].dhe = groups(TlsVersion::Tls12, &[], Some(1024)).dhe;
    let r = g(&t);
    // Key exchange (90 + 80) / 2 = 85: 30 + 25.5 + 36 = 91.
    assert_eq!(
        (r.letter, r.score, r.key_exchange_score),
        (Letter::B, 91, Some(85))
    );
    assert_eq!(cap_ids(&r)[0], ("grade.kx_below_2048", Letter::B));
    assert!(
        r.caps[0]
            .reason
            .contains("DHE prime of 1024 bits (TLSv1.2)"),
        "{}",
        r.caps[0].reason
    );

    t.groups.as_mut().unwrap().versions[1].dhe = groups(TlsVersion::Tls12, &[], Some(768)).dhe;
    let r = g(&t);
    assert_eq!((r.letter, r.key_exchange_score), (Letter::F, Some(65)));
    assert_eq!(cap_ids(&r)[0], ("grade.kx_below_1024", Letter::F));
}

#[test]
fn weak_certificate_key_caps_like_weak_dh() {
    let mut t = modern();
    t.certificates.as_mut().unwrap().chains = vec![chain("RSA", 1024, None)];
    let r = g(&t);
    assert_eq!((r.letter, r.key_exchange_score), (Letter::B, Some(85)));
    assert_eq!(cap_ids(&r), vec![("grade.kx_below_2048", Letter::B)]);
}

#[test]
fn heartbleed_caps_at_f() {
    let mut t = modern();
    t.features.as_mut().unwrap().heartbleed = Fact::yes("16403-byte heartbeat response");
    let r = g(&t);
    assert_eq!(
        (r.letter, cap_ids(&r)),
        (Letter::F, vec![("grade.heartbleed", Letter::F)])
    );
    let mut t = modern();
    // Undetermined: not assumed good, so no A+.
    t.features.as_mut().unwrap().heartbleed = Fact::not_determined("timeout");
    let r = g(&t);
    assert_eq!(
        (r.letter, r.incomplete, r.not_judged),
        (
            Letter::A,
            true,
            vec!["Heartbleed: not determined (timeout)".to_string()]
        )
    );
}

#[test]
fn features_compression_renegotiation_and_fallback() {
    let mut t = modern();
    t.features.as_mut().unwrap().compression = Fact::yes("DEFLATE");
    let r = g(&t);
    assert_eq!(
        (r.letter, cap_ids(&r)),
        (Letter::C, vec![("grade.compression", Letter::C)])
    );

    let mut t = modern();
    t.features.as_mut().unwrap().secure_renegotiation = Fact::no("no renegotiation_info");
    let r = g(&t);
    assert_eq!(
        (r.letter, cap_ids(&r)),
        (
            Letter::AMinus,
            vec![("grade.no_secure_renegotiation", Letter::AMinus)]
        )
    );

    // TLS_FALLBACK_SCSV is no longer graded (revision 2009r), known or not.
    let mut t = modern();
    t.features.as_mut().unwrap().fallback_scsv = Fact::no("handshake completed");
    let r = g(&t);
    assert_eq!((r.letter, cap_ids(&r)), (Letter::APlus, vec![]));
    t.features.as_mut().unwrap().fallback_scsv = Fact::not_determined("timeout");
    assert_eq!(g(&t).letter, Letter::APlus);

    // Undetermined: not assumed good.
    let mut t = modern();
    t.features.as_mut().unwrap().compression = Fact::not_determined("timeout");
    let r = g(&t);
    assert_eq!((r.letter, r.incomplete), (Letter::A, true));
    assert_eq!(r.not_judged, vec!["compression: not determined (timeout)"]);
}

fn with_finding(t: &mut TargetFacts, id: &str, message: &str) {
    t.certificates.as_mut().unwrap().findings.push(Finding {
        id: id.into(),
        severity: Severity::Error,
        message: message.into(),
        evidence: None,
    });
}

#[test]
fn untrusted_certificate_is_t_and_keeps_the_letter_it_hides() {
    let mut t = modern();
    t.certificates.as_mut().unwrap().chains[0].verdicts.trusted = false;
    t.certificates.as_mut().unwrap().chains[0]
        .verdicts
        .self_signed = true;
    with_finding(
        &mut t,
        "cert.self_signed",
        "The server certificate is self-signed: fix it.",
    );
    let r = g(&t);
    assert_eq!(
        (r.letter, r.ignoring_certificate, r.score),
        (Letter::T, Some(Letter::APlus), 93)
    );
    assert_eq!(cap_ids(&r), vec![("grade.cert.untrusted", Letter::T)]);
    assert_eq!(
        r.caps[0].reason,
        "The server certificate is self-signed: fix it."
    );

    // Expired: the reason is the expiry's.
    let mut t = modern();
    t.certificates.as_mut().unwrap().chains[0].verdicts.trusted = false;
    with_finding(
        &mut t,
        "cert.expired",
        "A served certificate has expired: renew it.",
    );
    assert_eq!(
        g(&t).caps[0].reason,
        "A served certificate has expired: renew it."
    );
}

#[test]
fn hostname_mismatch_is_m_and_t_wins_over_m() {
    let mut t = modern();
    t.certificates.as_mut().unwrap().chains[0]
        .verdicts
        .hostname_matches = Some(false);
    let r = g(&t);
    assert_eq!(
        (r.letter, r.ignoring_certificate),
        (Letter::M, Some(Letter::APlus))
    );
    assert_eq!(
        cap_ids(&r),
        vec![("grade.cert.hostname_mismatch", Letter::M)]
    );

    t.certificates.as_mut().unwrap().chains[0].verdicts.trusted = false;
    set(
        &mut t,
        TlsVersion::Tls11,
        &["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
    );
    let r = g(&t);
    assert_eq!(
        (r.letter, r.ignoring_certificate),
        (Letter::T, Some(Letter::B))
    );
}

#[test]
fn a_default_chain_only_clients_without_sni_get_caps_nothing() {
    let mut t = modern();
    let mut default = chain("EC", 256, Some("P-256"));
    default.obtained = vec![crate::facts::certs::ChainSource {
        version: TlsVersion::Tls12,
        offered: "any".into(),
        cipher_suite: None,
        without_sni: true,
    }];
    default.verdicts.trusted = false;
    default.verdicts.hostname_matches = Some(false);
    t.certificates.as_mut().unwrap().chains.push(default);
    let r = g(&t);
    assert_eq!((r.letter, cap_ids(&r)), (Letter::APlus, vec![]));
}

#[test]
fn revoked_certificate_is_f() {
    let mut t = modern();
    with_finding(&mut t, "cert.ocsp.revoked", "revoked");
    let r = g(&t);
    assert_eq!(
        (r.letter, cap_ids(&r)),
        (Letter::F, vec![("grade.cert.revoked", Letter::F)])
    );
}

#[test]
fn no_tls1_3_is_a_not_a_plus() {
    let mut t = modern();
    set(&mut t, TlsVersion::Tls13, &[]);
    let r = g(&t);
    assert_eq!((r.letter, r.score), (Letter::A, 93));
    assert_eq!(cap_ids(&r), vec![("grade.aplus.no_tls1_3", Letter::A)]);
}

#[test]
fn missing_certificates_make_the_grade_incomplete_never_a_plus() {
    let mut t = modern();
    t.certificates = None;
    let r = g(&t);
    assert_eq!((r.letter, r.score, r.incomplete), (Letter::A, 93, true));
    assert_eq!(
        r.not_judged,
        vec!["certificates not scanned: trust (T), host name (M) and the server key not judged"]
    );
}

#[test]
fn only_versions_is_incomplete_and_scores_what_it_has() {
    let mut t = modern();
    for p in &mut t.protocols {
        if p.supported {
            p.cipher_suites.truncate(1);
            p.suites_enumerated = false;
            p.server_preference = None;
        }
    }
    t.groups = None;
    t.features = None;
    t.weaknesses = None;
    t.certificates = None;
    let r = g(&t);
    // No key-exchange input: (30 * 100 + 40 * 80) / 70 = 88.
    assert_eq!(
        (
            r.letter,
            r.score,
            r.key_exchange_score,
            r.cipher_score,
            r.incomplete
        ),
        (Letter::A, 88, None, 80, true)
    );
    assert_eq!(
        r.not_judged,
        vec![
            "TLSv1.2: cipher suites not enumerated (only the suite chosen from a full offer is known)",
            "TLSv1.3: cipher suites not enumerated (only the suite chosen from a full offer is known)",
            "key-exchange groups not scanned: ECDHE/DHE strength not scored",
            "protocol features not scanned: compression, secure renegotiation and Heartbleed not judged",
            "weaknesses not scanned: CCS injection, Ticketbleed, ROBOT, POODLE-TLS and insecure renegotiation not judged",
            "certificates not scanned: trust (T), host name (M) and the server key not judged",
        ]
    );
}

#[test]
fn versions_not_scanned_are_named_and_no_tls1_2_cap_without_them() {
    let mut t = modern();
    t.protocols.retain(|p| p.version >= TlsVersion::Tls12);
    let r = g(&t);
    assert_eq!((r.letter, r.incomplete), (Letter::A, true));
    assert_eq!(
        r.not_judged,
        vec![
            "SSLv2: not scanned",
            "SSLv3: not scanned",
            "TLSv1.0: not scanned",
            "TLSv1.1: not scanned"
        ]
    );
}

#[test]
fn unreachable_has_no_grade_and_no_protocol_is_f() {
    let t = TargetFacts {
        error: Some("connection refused".into()),
        ..Default::default()
    };
    assert_eq!(grade(&t), None);
    let mut t = modern();
    for v in TlsVersion::ALL {
        set(&mut t, v, &[]);
    }
    let r = g(&t);
    assert_eq!((r.letter, r.score), (Letter::F, 0));
    assert_eq!(r.caps[0].id, "grade.no_protocol");
}

#[test]
fn a_plus_needs_hsts_for_180_days() {
    let with = |hsts: Option<&str>| {
        let mut t = modern();
        t.http = Some(match hsts {
            Some(h) => http_with_hsts(h),
            None => HttpSection {
                status_code: Some(200),
                ..Default::default()
            },
        });
        g(&t)
    };
    let r = with(Some("max-age=15552000"));
    assert_eq!(
        (r.letter, r.incomplete, r.guide.as_str()),
        (Letter::APlus, false, "2009r")
    );
    let r = with(Some("max-age=15551999; includeSubDomains; preload"));
    assert_eq!(
        (r.letter, cap_ids(&r)),
        (Letter::A, vec![("grade.aplus.hsts", Letter::A)])
    );
    assert_eq!(
        r.caps[0].reason,
        "HSTS max-age is 15551999 s, under 180 days: send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS response (A+ needs a max-age of at least 15552000 s, 180 days)."
    );
    let r = with(None);
    assert_eq!(
        r.caps[0].reason,
        "The response to GET / has no Strict-Transport-Security header: send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS response (A+ needs a max-age of at least 15552000 s, 180 days)."
    );
    let r = with(Some("max-age=31536000; max-age=31536000"));
    assert!(r.caps[0]
        .reason
        .starts_with("The Strict-Transport-Security header has no valid max-age (\"max-age=31536000; max-age=31536000\")"));
    assert_eq!(r.letter, Letter::A);

    // Not fetched, or no answer: A+ is not judged, never assumed.
    let mut t = modern();
    t.http = None;
    let r = g(&t);
    assert_eq!(
        (r.letter, r.incomplete, cap_ids(&r)),
        (Letter::A, true, vec![])
    );
    assert_eq!(
        r.not_judged,
        vec!["HTTP not scanned (--no-http, or --only without http): HSTS, which A+ needs, not judged"]
    );
    t.http = Some(HttpSection::failed(
        "no HTTP response within the read timeout",
        None,
    ));
    let r = g(&t);
    assert_eq!(
        (r.letter, r.not_judged),
        (
            Letter::A,
            vec![
                "HSTS not judged: no HTTP response (no HTTP response within the read timeout)"
                    .to_string()
            ]
        )
    );

    // A STARTTLS target has no HTTP, hence no HSTS: A at best, and that is definite.
    let mut t = modern();
    t.http = None;
    t.starttls = Some(crate::facts::Starttls::Smtp);
    let r = g(&t);
    assert_eq!(
        (r.letter, r.incomplete, cap_ids(&r)),
        (Letter::A, false, vec![("grade.aplus.hsts", Letter::A)])
    );
}
