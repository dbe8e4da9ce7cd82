//! Every built-in profile on constructed facts: a compliant target, then for every rule one
//! change that fails exactly the expected rules. Plus loading errors, incompleteness and the
//! client-check API.

use super::*;
use crate::report::TlsVersion::{self, *};
use crate::report::{CertificatesSection, Finding, ProtocolResult, SectionStatus, TargetReport};
use crate::wire::sslv2::CipherKind;

/// A target whose every version was scanned: `offered` lists the supported versions and their
/// accepted suites; the certificates were analysed and found nothing.
fn target(offered: &[(TlsVersion, &[u16])]) -> TargetReport {
    TargetReport {
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
        certificates: Some(CertificatesSection::default()),
        ..Default::default()
    }
}

fn with_findings(mut t: TargetReport, ids: &[&str]) -> TargetReport {
    t.certificates = Some(CertificatesSection {
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
fn plus(t: &TargetReport, v: TlsVersion, extra: &[u16]) -> TargetReport {
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

fn failed(t: &TargetReport, p: &Policy) -> Vec<String> {
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

/// Runs a profile's table: the base target passes every rule; each case fails exactly its
/// expected rules; every rule of the profile is failed by some case.
fn check_profile(name: &str, base: TargetReport, cases: Vec<(TargetReport, &[&str])>) {
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
    for (i, (t, expect)) in cases.iter().enumerate() {
        let mut expect: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
        expect.sort();
        assert_eq!(failed(t, &p), expect, "{name}: case {i}");
        covered.extend(expect);
    }
    let all: std::collections::BTreeSet<String> = p.rules.iter().map(|r| r.id.clone()).collect();
    assert_eq!(covered, all, "{name}: every rule needs a failing case");
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
            // TLS 1.3 offered with none of the three.
            (
                target(&[(Tls12, &[0x009c]), (Tls13, &[0x1304])]),
                &["suites.tls1_3.none_required"],
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
    let base = target(&[(Tls13, &[0x1301, 0x1302, 0x1303])]);
    check_profile(
        "mozilla-modern",
        base.clone(),
        vec![
            (target(&[]), &["protocol.tls1_3.required"]),
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
        ],
    );
}

const INTERMEDIATE_RSA: &[u16] = &[0xc02f, 0xc030, 0xcca8, 0x009e, 0x009f];

#[test]
fn mozilla_intermediate() {
    let base = target(&[
        (Tls12, INTERMEDIATE_RSA),
        (Tls13, &[0x1301, 0x1302, 0x1303]),
    ]);
    check_profile(
        "mozilla-intermediate",
        base.clone(),
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
        ],
    );
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
        ],
    );
    let p = builtin("mozilla-old");
    let list = p.server_suites(Tls12).unwrap();
    assert_eq!(list.len(), 26, "the guideline's 26 suites");
    assert_eq!(list[0], CipherSuite(0xc02b));
    assert_eq!(list[25], CipherSuite(0x000a));
}

#[test]
fn nist_800_52r2() {
    let base = target(&[(Tls12, &[0xc02f, 0xc030]), (Tls13, &[0x1301, 0x1302])]);
    check_profile(
        "nist-800-52r2",
        base.clone(),
        vec![
            (target(&[(Tls13, &[0x1301])]), &["protocol.tls1_2.required"]),
            (target(&[(Tls12, &[0xc02f])]), &["protocol.tls1_3.required"]),
            (
                plus(&base, Ssl2, &[]),
                &["protocol.ssl2.offered", "suites.not_approved"],
            ),
            (plus(&base, Ssl3, &[0xc013]), &["protocol.ssl3.offered"]),
            (plus(&base, Tls10, &[0xc013]), &["protocol.tls1_0.offered"]),
            (plus(&base, Tls11, &[0xc013]), &["protocol.tls1_1.offered"]),
            // Static RSA key transport is not in 3.3.1.1.
            (plus(&base, Tls12, &[0x009c]), &["suites.not_recommended"]),
            (
                plus(&base, Tls13, &[0x1303]),
                &["suites.tls1_3.not_recommended"],
            ),
            // 3DES: not approved, and not recommended either.
            (
                plus(&base, Tls12, &[0x000a]),
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
        ],
    );
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
        ],
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
    let t = TargetReport {
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
