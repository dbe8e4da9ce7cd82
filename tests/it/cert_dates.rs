//! Certificates by the date rules, against real `openssl s_server` processes serving leaves
//! made at test time with the dates under test (fixtures::testpki): the maximum lifetime by
//! issue date (CA/Browser Forum BRs 6.3.2, ballot SC-081), short-lived certificates,
//! clientAuth from 2026-06-15 (Chrome Root Program Policy 3.2.2), OCSP stapling asked only of a
//! certificate that names a responder, CRL distribution points reported. Each scan judges at a
//! fixed time inside the leaf's validity, so no test depends on today's date.

use fixtures::servers::{openssl_s_server, ServerProcess};
use fixtures::testpki::{Leaf, LeafKey, LeafSpec, TestCa};
use rcgen::ExtendedKeyUsagePurpose;
use time::{Date, Month, OffsetDateTime};
use tlsaudit::certs::{finding_ids, verify, CertOptions};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::{Severity, TlsVersion};
use tlsaudit::policy::{evaluate, Policy, RuleStatus};
use tlsaudit::probe::engine::EngineConfig;
use tlsaudit::report::TargetReport;

use crate::common::{require, scan_with_certs};

const DAY: time::Duration = time::Duration::DAY;
const SECOND: time::Duration = time::Duration::SECOND;

fn day(y: i32, m: u8, d: u8) -> OffsetDateTime {
    let month = Month::try_from(m).expect("a month");
    Date::from_calendar_date(y, month, d)
        .expect("a date")
        .midnight()
        .assume_utc()
}

/// A leaf issued at `nb`, valid for exactly `days` days as the BRs count them.
fn spec(name: &str, nb: OffsetDateTime, days: i64) -> LeafSpec {
    LeafSpec {
        not_before: nb,
        not_after: nb + DAY * i32::try_from(days).expect("days") - SECOND,
        ..LeafSpec::new(name, LeafKey::EcdsaP256)
    }
}

fn serve(ca: &TestCa, leaf: &Leaf, extra: &[&str]) -> ServerProcess {
    let files = ca.cert_files(leaf).unwrap();
    let chain = ca.intermediate_pem.display().to_string();
    let mut args = vec!["-cert_chain", chain.as_str()];
    args.extend_from_slice(extra);
    openssl_s_server("cert-dates", &files, &args).unwrap()
}

/// TLS 1.2 and 1.3 with SNI "localhost", trusting the test CA (a private CA: `--ca-file`),
/// judged at `at`.
async fn scan(s: &ServerProcess, ca: &TestCa, at: OffsetDateTime, public: bool) -> TargetReport {
    let opts = ScanOptions {
        sni: Some("localhost".into()),
        versions: vec![TlsVersion::Tls12, TlsVersion::Tls13],
        ..Default::default()
    };
    let certs = CertOptions {
        at: Some(at.unix_timestamp()),
        trust: verify::load(&["mozilla".into()], std::slice::from_ref(&ca.root_pem))
            .expect("trust stores load"),
        public_rules: public,
        ..Default::default()
    };
    scan_with_certs(&s.target(), EngineConfig::default(), opts, certs)
        .await
        .0
}

fn ids(r: &TargetReport) -> Vec<String> {
    let c = r.certificates.as_ref().expect("certificates section");
    assert_eq!(c.error, None);
    finding_ids(&c.findings)
}

fn leaf_info(r: &TargetReport) -> &tlsaudit::facts::certs::CertInfo {
    let c = r.certificates.as_ref().expect("certificates section");
    assert_eq!(c.chains.len(), 1, "{:#?}", c.chains);
    &c.chains[0].certificates[0]
}

#[tokio::test]
async fn lifetime_is_judged_by_the_limit_of_its_issue_date() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("lifetime").unwrap();
    // (name, issued, days, over the limit)
    let cases = [
        ("398-before-2026-03-15", day(2026, 3, 14), 398, false),
        ("399-before-2026-03-15", day(2026, 3, 14), 399, true),
        ("200-from-2026-03-15", day(2026, 3, 15), 200, false),
        ("201-from-2026-03-15", day(2026, 3, 15), 201, true),
        ("100-from-2027-03-15", day(2027, 3, 15), 100, false),
        ("101-from-2027-03-15", day(2027, 3, 15), 101, true),
        ("48-from-2029-03-15", day(2029, 3, 15), 48, true),
    ];
    for (name, nb, days, over) in cases {
        let leaf = ca.leaf(&spec(name, nb, days)).unwrap();
        let s = serve(&ca, &leaf, &[]);
        let r = scan(&s, &ca, nb + DAY, true).await;
        assert_eq!(leaf_info(&r).validity_days, days, "{name}");
        let want: Vec<String> = if over {
            vec!["cert.lifetime.too_long".into()]
        } else {
            vec![]
        };
        assert_eq!(ids(&r), want, "{name}");
        if over {
            let f = &r.certificates.as_ref().unwrap().findings[0];
            assert_eq!(f.severity, Severity::Error);
            assert!(
                f.evidence
                    .as_deref()
                    .unwrap_or_default()
                    .ends_with(&format!(
                        "({days} days; judged as public on request (--public-rules))"
                    )),
                "{f:?}"
            );
        }
        // A private CA is not bound by the public rules unless asked.
        if name == "201-from-2026-03-15" {
            let r = scan(&s, &ca, nb + DAY, false).await;
            assert_eq!(ids(&r), Vec::<String>::new());
        }
    }
}

#[tokio::test]
async fn short_lived_certificates_are_not_expiring_soon() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("short").unwrap();
    // Let's Encrypt's six-day certificate, two days before its end.
    let nb = day(2026, 11, 28);
    let six = ca.leaf(&spec("six-days", nb, 6)).unwrap();
    let s = serve(&ca, &six, &[]);
    let r = scan(&s, &ca, day(2026, 12, 2), true).await;
    assert_eq!(ids(&r), Vec::<String>::new());
    let c = leaf_info(&r);
    assert_eq!((c.validity_days, c.short_lived), (6, true));
    // A 90-day certificate with as little left is expiring soon.
    let ninety = ca.leaf(&spec("ninety-days", day(2026, 10, 1), 90)).unwrap();
    let s = serve(&ca, &ninety, &[]);
    let r = scan(&s, &ca, day(2026, 12, 27), true).await;
    assert_eq!(ids(&r), vec!["cert.expires_soon"]);
    assert_eq!(
        (leaf_info(&r).validity_days, leaf_info(&r).short_lived),
        (90, false)
    );
}

#[tokio::test]
async fn client_auth_is_a_finding_in_leaves_issued_from_2026_06_15() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("eku").unwrap();
    for (name, nb, finding) in [
        ("before", day(2026, 6, 14), false),
        ("from", day(2026, 6, 15), true),
    ] {
        let mut sp = spec(name, nb, 90);
        sp.eku = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let leaf = ca.leaf(&sp).unwrap();
        let s = serve(&ca, &leaf, &[]);
        let r = scan(&s, &ca, nb + DAY, true).await;
        assert_eq!(
            leaf_info(&r).extended_key_usage,
            vec!["serverAuth", "clientAuth"]
        );
        let want: Vec<String> = if finding {
            vec!["cert.eku.client_auth".into()]
        } else {
            vec![]
        };
        assert_eq!(ids(&r), want, "{name}");
    }
    // serverAuth alone is what Chrome asks for.
    let leaf = ca.leaf(&spec("server-only", day(2026, 7, 1), 90)).unwrap();
    let s = serve(&ca, &leaf, &[]);
    let r = scan(&s, &ca, day(2026, 7, 2), true).await;
    assert_eq!(ids(&r), Vec::<String>::new());
}

/// OCSP stapling is asked only of a certificate that names a responder; a profile that wants
/// stapling (Mozilla 5.8 and 6.0) fails only then. CRL distribution points are reported.
#[tokio::test]
async fn ocsp_stapling_is_asked_only_of_certificates_naming_a_responder() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("ocsp-optional").unwrap();
    let nb = day(2026, 9, 1);
    let at = day(2026, 9, 2);
    let mut with = spec("responder", nb, 90);
    with.ocsp_url = Some("http://ocsp.test.invalid/".into());
    let with = ca.leaf(&with).unwrap();
    let mut without = spec("crl-only", nb, 90);
    without.crl_url = Some("http://crl.test.invalid/ca.crl".into());
    let without = ca.leaf(&without).unwrap();
    let staple = ca.ocsp_response(&with, false).unwrap();
    let staple = staple.display().to_string();
    let profile = Policy::load("mozilla-intermediate@6.0").unwrap();
    let ocsp_rule = |r: &TargetReport| {
        let p = evaluate(r, &profile, Severity::Error);
        p.rules
            .iter()
            .find(|x| x.id == "cert.ocsp.not_stapled")
            .map(|x| x.status)
    };

    let s = serve(&ca, &with, &[]);
    let r = scan(&s, &ca, at, false).await;
    assert_eq!(ids(&r), vec!["cert.ocsp.not_stapled"]);
    assert_eq!(leaf_info(&r).ocsp_urls, vec!["http://ocsp.test.invalid/"]);
    assert_eq!(ocsp_rule(&r), Some(RuleStatus::Fail));

    let s = serve(&ca, &with, &["-status_file", &staple]);
    let r = scan(&s, &ca, at, false).await;
    assert_eq!(ids(&r), Vec::<String>::new());
    assert_eq!(ocsp_rule(&r), Some(RuleStatus::Pass));

    let s = serve(&ca, &without, &[]);
    let r = scan(&s, &ca, at, false).await;
    assert_eq!(ids(&r), Vec::<String>::new());
    assert_eq!(ocsp_rule(&r), Some(RuleStatus::Pass));
    let c = leaf_info(&r);
    assert_eq!(c.crl_urls, vec!["http://crl.test.invalid/ca.crl"]);
    assert_eq!(c.ocsp_urls, Vec::<String>::new());
    // The text report shows the validity and where revocation is published.
    let mut text = Vec::new();
    tlsaudit::render::text::target(
        &mut text,
        &r,
        &tlsaudit::render::text::Style { color: false },
    )
    .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("         valid 90 days\n")
            && text.contains("         CRL http://crl.test.invalid/ca.crl\n"),
        "{text}"
    );
}

/// `--public-rules` and `--at` on the command line: the same private chain is judged by the
/// public lifetime rule only on request, and the JSON carries the finding and the facts.
#[test]
fn public_rules_flag_on_the_command_line() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("public-rules").unwrap();
    let leaf = ca.leaf(&spec("201-days", day(2026, 3, 15), 201)).unwrap();
    let s = serve(&ca, &leaf, &[]);
    let root = ca.root_pem.display().to_string();
    let run = |extra: &[&str]| -> serde_json::Value {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
            .args(["scan", &s.target(), "--sni", "localhost", "--only", "certs"])
            .args(["--ca-file", &root, "--at", "2026-04-01T00:00:00Z"])
            .args(["--policy", "none", "-f", "json", "-q"])
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    let certs = |v: &serde_json::Value| v["targets"][0]["certificates"].clone();
    let v = run(&[]);
    assert_eq!(certs(&v)["findings"], serde_json::json!([]));
    let leaf = &certs(&v)["chains"][0]["certificates"][0];
    assert_eq!(
        (&leaf["validity_days"], &leaf["short_lived"]),
        (&serde_json::json!(201), &serde_json::json!(false))
    );
    let v = run(&["--public-rules"]);
    let f = &certs(&v)["findings"];
    assert_eq!(f.as_array().map(Vec::len), Some(1), "{f}");
    assert_eq!(
        (&f[0]["id"], &f[0]["severity"]),
        (
            &serde_json::json!("cert.lifetime.too_long"),
            &serde_json::json!("error")
        )
    );
}
