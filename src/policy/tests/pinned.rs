//! The pinned Mozilla profiles (`mozilla-*@5.7`, `@5.8`, `@6.0`) on constructed facts: a
//! compliant target, then for every rule one change that fails exactly it. The expectations
//! are the guideline JSON's keys (see each profile's header).

use super::*;
use crate::facts::Answer;

const MLKEM: u16 = 0x11ec; // X25519MLKEM768
const SECP256MLKEM: u16 = 0x11eb; // SecP256r1MLKEM768

/// Modern at every pinned version; from 5.8 on the hybrid group is allowed and advised.
#[test]
fn mozilla_modern_pinned() {
    for v in profiles::versions("mozilla-modern") {
        let pq = v != "5.7";
        let tls13 = if pq {
            vec![MLKEM, X25519, P256, P384]
        } else {
            vec![X25519, P256, P384]
        };
        let base = with_leaf(
            with_groups(target(&[(Tls13, &[0x1301, 0x1302, 0x1303])]), &tls13, &[]),
            "EC",
            256,
            Some("P-256"),
        );
        let name = format!("mozilla-modern@{v}");
        let mut cases: Vec<(TargetFacts, &[&str])> = vec![
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
            (
                with_groups(base.clone(), &[X25519, P256, X448], &[]),
                if pq {
                    &["groups.not_allowed", "groups.pq_hybrid.not_offered"]
                } else {
                    &["groups.not_allowed"]
                },
            ),
            (
                with_leaf(base.clone(), "RSA", 2048, None),
                &["cert.key.type"],
            ),
        ];
        if pq {
            // OpenSSL 3.0's groups: classical only, within the list, so advisory only.
            cases.push((
                with_groups(base.clone(), &[X25519, P256, P384], &[]),
                &["groups.pq_hybrid.not_offered"],
            ));
            // The P-256 hybrid is not on Mozilla's list.
            cases.push((
                with_groups(base.clone(), &[MLKEM, SECP256MLKEM, X25519], &[]),
                &["groups.not_allowed"],
            ));
        } else {
            // 5.7 predates the hybrid: offering it fails the group list.
            cases.push((
                with_groups(base.clone(), &[MLKEM, X25519], &[]),
                &["groups.not_allowed"],
            ));
        }
        if pq {
            // From 5.8: a staple when the certificate names a responder, and the date rules.
            cases.push((
                with_findings(base.clone(), &["cert.ocsp.not_stapled"]),
                &["cert.ocsp.not_stapled"],
            ));
            cases.push((
                with_findings(base.clone(), &["cert.lifetime.too_long"]),
                &["cert.dates"],
            ));
            cases.push((
                with_findings(base.clone(), &["cert.eku.client_auth"]),
                &["cert.dates"],
            ));
        }
        check_profile(&name, base, cases);
    }
}

/// Intermediate at every pinned version: 5.7 allows three DHE suites with ffdhe2048, 5.8 and
/// 6.0 none.
#[test]
fn mozilla_intermediate_pinned() {
    assert_eq!(
        profiles::versions("mozilla-intermediate"),
        ["5.7", "5.8", "6.0"]
    );
    for v in profiles::versions("mozilla-intermediate") {
        let pq = v != "5.7";
        let name = format!("mozilla-intermediate@{v}");
        let base = target(&[
            (Tls12, &[0xc02f, 0xc030, 0xcca8]),
            (Tls13, &[0x1301, 0x1302, 0x1303]),
        ]);
        let base = if pq {
            with_groups(base, &[MLKEM, X25519, P256, P384], &[X25519, P256, P384])
        } else {
            base
        };
        // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 with ffdhe2048.
        let dhe = with_dhe(plus(&base, Tls12, &[0x009e]), 2048, Some("ffdhe2048"));
        let p = builtin(&name);
        if pq {
            assert_eq!(failed(&dhe, &p), ["suites.tls1_2.not_allowed"], "{name}");
        } else {
            assert!(failed(&dhe, &p).is_empty(), "{name}: DHE is allowed");
        }
        let mut cases = intermediate_common(&base);
        cases.push((
            with_leaf(base.clone(), "RSA", 1024, None),
            &["cert.key.type"],
        ));
        if pq {
            cases.extend([
                (
                    with_groups(base.clone(), &[MLKEM, X25519, P256], &[X25519, P521]),
                    &["groups.not_allowed"][..],
                ),
                (
                    with_groups(base.clone(), &[X25519, P256], &[X25519]),
                    &["groups.pq_hybrid.not_offered"][..],
                ),
                // A small DHE prime fails both the suite list and the DH floor.
                (
                    with_dhe(plus(&base, Tls12, &[0x009e]), 1024, None),
                    &["suites.tls1_2.not_allowed", "dh.too_small"][..],
                ),
            ]);
        } else {
            cases.extend([
                (
                    with_groups(base.clone(), &[MLKEM, X25519], &[X25519]),
                    &["groups.not_allowed"][..],
                ),
                (with_dhe(dhe.clone(), 1024, None), &["dh.too_small"][..]),
            ]);
        }
        if pq {
            // From 5.8: a staple when the certificate names a responder, and the date rules.
            cases.push((
                with_findings(base.clone(), &["cert.ocsp.not_stapled"]),
                &["cert.ocsp.not_stapled"],
            ));
            cases.push((
                with_findings(base.clone(), &["cert.lifetime.too_long"]),
                &["cert.dates"],
            ));
            cases.push((
                with_findings(base.clone(), &["cert.eku.client_auth"]),
                &["cert.dates"],
            ));
        }
        check_profile(&name, base, cases);
    }
}

/// Old at 5.7 (26 suites, DH >= 1024) and 5.8 (21 suites, DH >= 2048); 6.0 has no Old.
#[test]
fn mozilla_old_pinned() {
    assert_eq!(profiles::versions("mozilla-old"), ["5.7", "5.8"]);
    let e = Policy::load("mozilla-old@6.0").unwrap_err().to_string();
    assert_eq!(
        e,
        "no pinned policy 'mozilla-old@6.0' (Mozilla's guideline 6.0 removes the Old \
         configuration): mozilla-old has versions 5.7, 5.8"
    );
    for (v, suites, dh_floor) in [("5.7", 26, 1024), ("5.8", 21, 2048)] {
        let pq = v != "5.7";
        let name = format!("mozilla-old@{v}");
        let base = target(&[
            (Tls10, &[0xc013, 0x002f, 0x000a]),
            (Tls11, &[0xc013, 0x002f]),
            (Tls12, &[0xc02f, 0x009c, 0xc027]),
            (Tls13, &[0x1301]),
        ]);
        let base = if pq {
            with_groups(base, &[MLKEM, X25519, P256], &[X25519, P256])
        } else {
            base
        };
        let p = builtin(&name);
        assert_eq!(p.server_suites(Tls12).map(|l| l.len()), Some(suites));
        let tls13: &[u16] = if pq { &[MLKEM, P256] } else { &[P256] };
        let dhe = with_groups(plus(&base, Tls12, &[0x009e]), tls13, &[P256]);
        let floor = failed(&with_dhe(dhe.clone(), dh_floor, None), &p);
        let below = failed(&with_dhe(dhe, dh_floor - 1, None), &p);
        if pq {
            assert_eq!(floor, ["suites.not_allowed"], "{name}: no DHE suite in 5.8");
            assert_eq!(below, ["dh.too_small", "suites.not_allowed"]);
        } else {
            assert!(floor.is_empty(), "{name}: {floor:?}");
            assert_eq!(below, ["dh.too_small"]);
        }
        let mut cases: Vec<(TargetFacts, &[&str])> = vec![
            (target(&[]), &["protocol.required"]),
            (plus(&base, Ssl2, &[]), &["protocol.ssl2.offered"]),
            (plus(&base, Ssl3, &[0x002f]), &["protocol.ssl3.offered"]),
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
                if pq {
                    &["groups.not_allowed", "groups.pq_hybrid.not_offered"]
                } else {
                    &["groups.not_allowed"]
                },
            ),
            (
                with_leaf(base.clone(), "EC", 256, Some("P-256")),
                &["cert.key.type"],
            ),
        ];
        let weak_dhe = with_dhe(
            with_groups(plus(&base, Tls12, &[0x009e]), tls13, &[P256]),
            512,
            None,
        );
        cases.push((
            weak_dhe,
            if pq {
                &["dh.too_small", "suites.not_allowed"]
            } else {
                &["dh.too_small"]
            },
        ));
        if pq {
            // From 5.8: a staple when the certificate names a responder, and the date rules.
            cases.push((
                with_findings(base.clone(), &["cert.ocsp.not_stapled"]),
                &["cert.ocsp.not_stapled"],
            ));
            cases.push((
                with_findings(base.clone(), &["cert.lifetime.too_long"]),
                &["cert.dates"],
            ));
            cases.push((
                with_findings(base.clone(), &["cert.eku.client_auth"]),
                &["cert.dates"],
            ));
        }
        check_profile(&name, base, cases);
    }
}

#[test]
fn every_pinned_profile_names_itself_and_its_version() {
    for pin in profiles::PINNED {
        let p = builtin(pin);
        assert!(p.pinned, "{pin}");
        assert_eq!(p.name, pin);
        let (name, version) = pin.split_once('@').unwrap();
        if name.starts_with("mozilla-") {
            // Mozilla's versions are the guideline's.
            assert_eq!(p.source_version, version, "{pin}");
            assert!(p.source.ends_with(&format!("/{version}.json")), "{pin}");
        }
        assert!(profiles::NAMES.contains(&name), "{pin}: a bare name exists");
    }
    // A bare name is not pinned; it follows its default version and keeps every rule of it,
    // unchanged (a release may add rules to the bare name, never to a pinned file).
    for name in profiles::NAMES {
        let bare = builtin(name);
        assert!(!bare.pinned);
        let Some(v) = profiles::default_version(name) else {
            continue;
        };
        let pinned = builtin(&format!("{name}@{v}"));
        assert_eq!(bare.source_version, pinned.source_version, "{name}");
        for r in &pinned.rules {
            let same = bare.rules.iter().find(|b| b.id == r.id);
            assert_eq!(
                same.map(|b| (&b.kind, b.severity)),
                Some((&r.kind, r.severity)),
                "{name}: rule {} of {name}@{v}",
                r.id
            );
        }
    }
    assert_eq!(
        Policy::load("mozilla-intermediate@9.9")
            .unwrap_err()
            .to_string(),
        "no pinned policy 'mozilla-intermediate@9.9': mozilla-intermediate has versions 5.7, 5.8, 6.0"
    );
    assert!(Policy::load("pci-dss-4@4.0.1")
        .unwrap_err()
        .to_string()
        .starts_with("no pinned policy 'pci-dss-4@4.0.1': pci-dss-4 has no pinned versions"));
    assert_eq!(
        Policy::load("nist-800-52r2@3").unwrap_err().to_string(),
        "no pinned policy 'nist-800-52r2@3': nist-800-52r2 has versions 1, 2"
    );
}

#[test]
fn judged_results_name_the_version_and_whether_it_was_pinned() {
    let t = target(&[(Tls13, &[0x1301])]);
    let r = evaluate(&t, &builtin("mozilla-intermediate@5.8"), Severity::Error);
    assert_eq!(
        (r.policy.as_str(), r.version.as_str(), r.pinned),
        ("mozilla-intermediate@5.8", "5.8", true)
    );
    assert_eq!(r.version_note(), "version 5.8, pinned");
    let r = evaluate(&t, &builtin("mozilla-intermediate"), Severity::Error);
    assert_eq!(
        (r.policy.as_str(), r.version.as_str(), r.pinned),
        ("mozilla-intermediate", "5.7", false)
    );
    assert_eq!(
        r.version_note(),
        "version 5.7, not pinned (pin --policy mozilla-intermediate@5.7 for rules no release changes)"
    );
    let r = evaluate(&t, &builtin("pci-dss-4"), Severity::Error);
    assert_eq!(r.version_note(), "version 4.0.1 (June 2024), not pinned");
}

#[test]
fn diff_shows_rule_by_rule_what_changes() {
    let d = diff::PolicyDiff::new(
        &builtin("mozilla-intermediate@5.7"),
        &builtin("mozilla-intermediate@5.8"),
    )
    .unwrap();
    assert_eq!(
        d.to_string(),
        "mozilla-intermediate@5.7 -> mozilla-intermediate@5.8
  source: https://ssl-config.mozilla.org/guidelines/5.7.json -> https://ssl-config.mozilla.org/guidelines/5.8.json
  source_version: 5.7 -> 5.8
  title: reworded
changed  suites.tls1_2.not_allowed
           message: reworded
           suites: -TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 -TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 -TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256
added    cert.ocsp.not_stapled (certificate, warning): OCSP stapling when the certificate names an OCSP responder
added    cert.dates (certificate, error): the certificate keeps the public date rules (lifetime by issue date, serverAuth only)
changed  groups.not_allowed
           allow_only: +X25519MLKEM768
           message: reworded
           title: reworded
added    groups.pq_hybrid.not_offered (groups, info): the hybrid group X25519MLKEM768 should be offered (advisory)
changed  dh.too_small
           message: reworded
9 rules unchanged
"
    );
    let d =
        diff::PolicyDiff::new(&builtin("mozilla-old@5.7"), &builtin("mozilla-old@5.8")).unwrap();
    let dh = d
        .rules
        .iter()
        .find_map(|r| match r {
            diff::RuleDiff::Changed { id, keys } if id == "dh.too_small" => Some(keys),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        dh.iter()
            .find(|k| k.key == "min_bits")
            .map(|k| (k.before.as_deref(), k.after.as_deref())),
        Some((Some("1024"), Some("2048")))
    );
    // Removed rules, and a policy against itself.
    let d = diff::PolicyDiff::new(
        &builtin("mozilla-modern@5.8"),
        &builtin("mozilla-modern@5.7"),
    )
    .unwrap();
    assert!(d.rules.iter().any(|r| matches!(r,
        diff::RuleDiff::Removed { id, severity, .. } if id == "groups.pq_hybrid.not_offered" && severity == "info")));
    let same = diff::PolicyDiff::new(&builtin("pci-dss-4"), &builtin("pci-dss-4")).unwrap();
    assert!(same.same_rules() && same.meta.is_empty());
    // 6.0 changes no rule of 5.8's Intermediate but wording.
    let d = diff::PolicyDiff::new(
        &builtin("mozilla-intermediate@5.8"),
        &builtin("mozilla-intermediate@6.0"),
    )
    .unwrap();
    for r in &d.rules {
        let diff::RuleDiff::Changed { keys, .. } = r else {
            panic!("{r:?}")
        };
        assert!(keys.iter().all(|k| k.key == "message"), "{keys:?}");
    }
}

/// NIST reading 2 adds the extended master secret (RFC 7627) and changes nothing else; reading
/// 1 never asks for it.
#[test]
fn nist_reading_2_adds_the_extended_master_secret_only() {
    let d =
        diff::PolicyDiff::new(&builtin("nist-800-52r2@1"), &builtin("nist-800-52r2@2")).unwrap();
    assert_eq!(
        d.rules,
        [diff::RuleDiff::Added {
            id: "features.extended_master_secret.missing".into(),
            kind: "require_feature".into(),
            severity: "warning".into(),
            title: "TLS 1.2 must use the extended master secret (RFC 7627)".into(),
        }]
    );
    let ems = |answer: Answer| {
        let mut t = target(&[(Tls12, &[0xc02f]), (Tls13, &[0x1301])]);
        t.features = Some(FeaturesSection {
            status: SectionStatus::Completed,
            extended_master_secret: Fact {
                answer,
                evidence: "e".into(),
            },
            ..Default::default()
        });
        t
    };
    let p2 = builtin("nist-800-52r2@2");
    let rule = |t: &TargetFacts| {
        evaluate(t, &p2, Severity::Error)
            .rules
            .iter()
            .find(|r| r.id == "features.extended_master_secret.missing")
            .map(|r| r.status)
    };
    assert_eq!(rule(&ems(Answer::Yes)), Some(RuleStatus::Pass));
    assert_eq!(rule(&ems(Answer::No)), Some(RuleStatus::Fail));
    assert_eq!(rule(&ems(Answer::NotApplicable)), Some(RuleStatus::Pass));
    assert_eq!(
        rule(&ems(Answer::NotDetermined)),
        Some(RuleStatus::Incomplete)
    );
    // Reading 1 has no such rule: a server without EMS judged by it does not move.
    let p1 = builtin("nist-800-52r2@1");
    assert!(!p1
        .rules
        .iter()
        .any(|r| r.id.contains("extended_master_secret")));
}

/// SP 800-52r2 at both readings: reading 1's table is the bare name's; reading 2 adds the
/// extended master secret (its base echoes it).
#[test]
fn nist_800_52r2_pinned() {
    let base = nist_base();
    check_profile("nist-800-52r2@1", base.clone(), nist_cases(&base));
    let ems = |answer: Answer| {
        let mut t = base.clone();
        t.features = Some(FeaturesSection {
            status: SectionStatus::Completed,
            extended_master_secret: Fact {
                answer,
                evidence: "e".into(),
            },
            ..Default::default()
        });
        t
    };
    let mut cases = nist_cases(&base);
    cases.push((
        ems(Answer::No),
        &["features.extended_master_secret.missing"],
    ));
    check_profile("nist-800-52r2@2", ems(Answer::Yes), cases);
}

/// Every built-in profile, bare and pinned, has a unit table that passes: this runs every
/// table (each records its profile) and asks for all of them, so a new profile or version
/// without a table fails here.
#[test]
fn every_builtin_profile_has_a_table() {
    multisafepay_is_the_seed();
    mozilla_modern();
    mozilla_intermediate();
    mozilla_old();
    nist_800_52r2();
    pci_dss_4();
    bsi_tr_02102_2();
    ncsc_nl();
    cnsa_2_0();
    mozilla_modern_pinned();
    mozilla_intermediate_pinned();
    mozilla_old_pinned();
    nist_800_52r2_pinned();
    let run = TABLES_RUN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for name in profiles::NAMES.iter().chain(profiles::PINNED.iter()) {
        assert!(run.contains(*name), "{name} has no unit table");
    }
}
