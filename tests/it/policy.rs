//! Policies against real servers: verdicts, exact failed rules, exit codes, JUnit and SARIF.
//!
//! The servers' certificates are self-signed, so a certificate rule can never pass on them:
//! today the certificates are not analysed (the rule is INCOMPLETE); once they are, the chain is
//! untrusted (FAIL). The tests therefore assert the suite and version rules exactly, assert that
//! the certificate rules do not pass, and check exit codes with `--ignore-rule` on the
//! certificate rules (or a custom profile without them): the waiver a CI user of a private CA
//! would use.

use std::process::{Command, Output};

use serde_json::Value;
use tlsaudit::policy::{evaluate, Policy, RuleStatus, Verdict};
use tlsaudit::report::{Severity, TargetReport};
use tlsaudit::servers::{nginx, openssl_s_server, self_signed, KeyType, ServerProcess};

use crate::common::{require, scan};

const SEED_TLS12: &str = tlsaudit::demo::SEED_TLS12_OPENSSL;
const CERT_RULES: &str = "cert.chain.invalid,cert.weak";

fn tlsaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(args)
        .output()
        .expect("tlsaudit runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Judges a report in-process; returns the failed rules that are not certificate rules, sorted,
/// after checking the certificate rules' verdicts on a self-signed certificate.
fn failed_without_certs(
    t: &TargetReport,
    policy: &str,
    fail_on: Severity,
) -> (Vec<String>, Verdict) {
    let p = Policy::load(policy).unwrap();
    let r = evaluate(t, &p, fail_on);
    // A self-signed certificate fails the chain rule; its key and signature are strong.
    for c in r.rules.iter().filter(|r| r.id.starts_with("cert.")) {
        let expected = if c.id == "cert.weak" {
            RuleStatus::Pass
        } else {
            RuleStatus::Fail
        };
        assert_eq!(c.status, expected, "{}", c.id);
    }
    let mut failed: Vec<String> = r
        .failed()
        .filter(|r| !r.id.starts_with("cert."))
        .map(|r| r.id.clone())
        .collect();
    failed.sort();
    let verdict = evaluate(t, &p.without(&ignored(policy)).unwrap(), fail_on).verdict;
    (failed, verdict)
}

/// The certificate rules of a built-in profile.
fn ignored(policy: &str) -> Vec<String> {
    Policy::load(policy)
        .unwrap()
        .rules
        .iter()
        .filter(|r| r.id.starts_with("cert."))
        .map(|r| r.id.clone())
        .collect()
}

/// Failed rule ids of a target in a JSON report, certificate rules left out.
fn json_failed(target: &Value) -> Vec<String> {
    let mut v: Vec<String> = target["policy"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["id"].as_str().unwrap().to_string())
        .filter(|id| !id.starts_with("cert."))
        .collect();
    v.sort();
    v
}

fn seed_server(cert: &tlsaudit::servers::CertFiles) -> ServerProcess {
    openssl_s_server(
        "seed",
        cert,
        &[
            "-min_protocol",
            "TLSv1.2",
            "-cipher",
            SEED_TLS12,
            "-serverpref",
            "-ciphersuites",
            "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
        ],
    )
    .unwrap()
}

#[tokio::test]
async fn seed_server_passes_multisafepay_and_exits_0() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = seed_server(&cert);
    let (r, _) = scan(&s.target()).await;
    let (failed, verdict) = failed_without_certs(&r, "multisafepay", Severity::Warning);
    assert_eq!(failed, Vec::<String>::new());
    assert_eq!(verdict, Verdict::Compliant);

    // The binary: verdict first, exit 0.
    let out = tlsaudit(&["scan", &s.target(), "--ignore-rule", "cert.chain.invalid"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with(&format!("{}  policy multisafepay: COMPLIANT", s.target())),
        "{text}"
    );
    assert!(text.contains("ignored: cert.chain.invalid"));

    // A custom profile in TOML that the scan can satisfy in full, without waivers: exit 0.
    let dir = tempfile::tempdir().unwrap();
    let custom = dir.path().join("api.toml");
    std::fs::write(
        &custom,
        r#"[policy]
name = "our-api"
title = "Our API gateway"
source = "the team wiki"
source_version = "1"

[[rule]]
id = "suites.tls1_2.ecdhe_required"
kind = "require_any"
severity = "error"
version = "TLSv1.2"
suites = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"]
message = "Enable ECDHE-RSA-AES128-GCM-SHA256."

[[rule]]
id = "protocol.min"
kind = "min_version"
severity = "error"
version = "TLSv1.2"
message = "Disable everything older than TLS 1.2."

[[rule]]
id = "suites.weak"
kind = "forbid"
severity = "error"
suites = ["@rc4", "@3des", "@export", "@null"]
message = "Disable weak suites."
"#,
    )
    .unwrap();
    let out = tlsaudit(&[
        "scan",
        &s.target(),
        "--policy",
        custom.to_str().unwrap(),
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &v["targets"][0]["policy"];
    assert_eq!(p["policy"], "our-api");
    assert_eq!(p["verdict"], "compliant");
    let statuses: Vec<_> = p["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, vec!["pass", "pass", "pass"]);

    // Judge the saved facts again, without scanning: `policy check`.
    let facts = dir.path().join("facts.json");
    let out = tlsaudit(&[
        "scan",
        &s.target(),
        "--policy",
        "none",
        "-f",
        "json",
        "-o",
        facts.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    assert_eq!(
        saved["targets"][0]["policy"],
        Value::Null,
        "--policy none: facts only"
    );
    let out = tlsaudit(&[
        "policy",
        "check",
        facts.to_str().unwrap(),
        "--policy",
        custom.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("policy our-api: COMPLIANT"));
    // Without the waiver the certificate rule cannot pass: never exit 0.
    let out = tlsaudit(&[
        "policy",
        "check",
        facts.to_str().unwrap(),
        "--policy",
        "multisafepay",
    ]);
    assert_ne!(out.status.code(), Some(0));
    // A strict profile judges the same facts NOT COMPLIANT: Modern forbids TLS 1.2.
    let out = tlsaudit(&[
        "policy",
        "check",
        facts.to_str().unwrap(),
        "--policy",
        "mozilla-modern",
        "--ignore-rule",
        CERT_RULES,
        "-f",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let line: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(json_failed(&line), vec!["protocol.tls1_2.offered"]);
}

#[tokio::test]
async fn tls12_server_without_the_six_suites_fails_and_exits_1() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 and TLS_RSA_WITH_AES_128_CBC_SHA256: not in the seed.
    let s = openssl_s_server(
        "nosix",
        &cert,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-SHA256:AES128-SHA256",
        ],
    )
    .unwrap();
    let (r, _) = scan(&s.target()).await;
    let (failed, verdict) = failed_without_certs(&r, "multisafepay", Severity::Warning);
    assert_eq!(failed, vec!["suites.tls1_2.none_required"]);
    assert_eq!(verdict, Verdict::NotCompliant);

    let dir = tempfile::tempdir().unwrap();
    let sarif_path = dir.path().join("out.sarif");
    let out = tlsaudit(&[
        "scan",
        &s.target(),
        "-f",
        "sarif",
        "-o",
        sarif_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    check_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let fail = results
        .iter()
        .find(|r| r["ruleId"] == "suites.tls1_2.none_required")
        .unwrap();
    assert_eq!(
        (fail["kind"].as_str(), fail["level"].as_str()),
        (Some("fail"), Some("error"))
    );
    assert!(fail["message"]["text"]
        .as_str()
        .unwrap()
        .contains("TLSv1.2 accepts TLS_RSA_WITH_AES_128_CBC_SHA256, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256; none of them is one of the 6 required"));
    assert_eq!(results.len(), 7, "one result per rule");

    let out = tlsaudit(&["scan", &s.target(), "--ignore-rule", "cert.chain.invalid"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with(&format!(
            "{}  policy multisafepay: NOT COMPLIANT",
            s.target()
        )),
        "{text}"
    );
    assert!(
        text.contains("FAIL       error   suites.tls1_2.none_required"),
        "{text}"
    );
    assert!(
        text.contains("fix: Enable TLS 1.2 with at least one of"),
        "{text}"
    );
}

#[tokio::test]
async fn tls13_only_server_fails_multisafepay() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("tls13", &cert, &["-tls1_3"]).unwrap();
    let (r, _) = scan(&s.target()).await;
    let (failed, verdict) = failed_without_certs(&r, "multisafepay", Severity::Warning);
    assert_eq!(failed, vec!["suites.tls1_2.none_required"]);
    assert_eq!(verdict, Verdict::NotCompliant);
    let p = Policy::load("multisafepay").unwrap();
    let res = evaluate(&r, &p, Severity::Error);
    let rule = res
        .rules
        .iter()
        .find(|x| x.id == "suites.tls1_2.none_required")
        .unwrap();
    assert!(
        rule.evidence.starts_with("TLSv1.2 is not offered"),
        "{}",
        rule.evidence
    );
    // TLS 1.3 itself is fine: OpenSSL's defaults are the seed's three.
    let t13 = res
        .rules
        .iter()
        .find(|x| x.id == "suites.tls1_3.none_required")
        .unwrap();
    assert_eq!(t13.status, RuleStatus::Pass);
    let out = tlsaudit(&[
        "scan",
        &s.target(),
        "--ignore-rule",
        "cert.chain.invalid",
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    // Scanning TLS 1.3 alone leaves the TLS 1.2 rule without its facts: INCOMPLETE, exit 3,
    // never a pass.
    let out = tlsaudit(&[
        "scan",
        &s.target(),
        "--versions",
        "tls1.3",
        "--ignore-rule",
        "cert.chain.invalid",
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &v["targets"][0]["policy"];
    assert_eq!(p["verdict"], "incomplete");
    let rule = &p["rules"][0];
    assert_eq!(rule["id"], "suites.tls1_2.none_required");
    assert_eq!(rule["status"], "incomplete");
    assert_eq!(rule["evidence"], "TLSv1.2 was not scanned");
}

#[tokio::test]
async fn legacy_tls10_server_warns_and_fails_only_with_fail_on_warning() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "legacy",
        &cert,
        &[
            "-min_protocol",
            "TLSv1",
            "-max_protocol",
            "TLSv1.2",
            "-cipher",
            &format!("{SEED_TLS12}:@SECLEVEL=0"),
        ],
    )
    .unwrap();
    let (r, _) = scan(&s.target()).await;
    let (failed, verdict) = failed_without_certs(&r, "multisafepay", Severity::Error);
    assert_eq!(
        failed,
        vec!["protocol.tls1_0.offered", "protocol.tls1_1.offered"]
    );
    assert_eq!(
        verdict,
        Verdict::Compliant,
        "outdated versions are warnings"
    );
    let p = Policy::load("multisafepay").unwrap();
    let res = evaluate(&r, &p, Severity::Error);
    for id in ["protocol.tls1_0.offered", "protocol.tls1_1.offered"] {
        let x = res.rules.iter().find(|x| x.id == id).unwrap();
        assert_eq!(
            (x.status, x.severity),
            (RuleStatus::Fail, Severity::Warning)
        );
    }

    // JUnit: 6 test cases (the certificate rule waived); the two warnings are skipped at
    // --fail-on error (exit 0) and failures at --fail-on warning (exit 1).
    let dir = tempfile::tempdir().unwrap();
    for (fail_on, code, failures, skipped) in [("error", 0, 0, 2), ("warning", 1, 2, 0)] {
        let path = dir.path().join(format!("{fail_on}.xml"));
        let out = tlsaudit(&[
            "scan",
            &s.target(),
            "--ignore-rule",
            "cert.chain.invalid",
            "--fail-on",
            fail_on,
            "-f",
            "junit",
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(code), "--fail-on {fail_on}");
        let xml = std::fs::read_to_string(&path).unwrap();
        check_junit(&xml, 6, failures, 0, skipped);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let failed: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .filter(|n| {
                n.children()
                    .any(|c| c.has_tag_name("failure") || c.has_tag_name("skipped"))
            })
            .map(|n| n.attribute("name").unwrap())
            .collect();
        assert_eq!(
            failed,
            vec!["protocol.tls1_0.offered", "protocol.tls1_1.offered"]
        );
    }
}

#[tokio::test]
async fn nginx_intermediate_passes_mozilla_intermediate_and_fails_modern() {
    if !require("nginx") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let dh = cert.dir.path().join("dh.pem");
    let gen = Command::new("openssl")
        .args([
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "group:ffdhe2048",
            "-out",
        ])
        .arg(&dh)
        .status()
        .unwrap();
    assert!(gen.success());
    // Mozilla's Intermediate configuration for nginx (TLS 1.2 suites of guideline 5.7).
    let s = nginx(
        "nginx",
        &cert,
        &format!(
            "ssl_dhparam {};\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_prefer_server_ciphers off;\n    \
             ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305;",
            dh.display()
        ),
    )
    .unwrap();
    let (r, _) = scan(&s.target()).await;
    let (failed, verdict) = failed_without_certs(&r, "mozilla-intermediate", Severity::Info);
    assert_eq!(failed, Vec::<String>::new());
    assert_eq!(verdict, Verdict::Compliant);
    let (failed, verdict) = failed_without_certs(&r, "mozilla-modern", Severity::Info);
    assert_eq!(failed, vec!["protocol.tls1_2.offered"]);
    assert_eq!(verdict, Verdict::NotCompliant);

    let out = tlsaudit(&[
        "scan",
        &s.target(),
        "--policy",
        "mozilla-intermediate",
        "--ignore-rule",
        CERT_RULES,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = tlsaudit(&[
        "scan",
        &s.target(),
        "--policy",
        "mozilla-modern",
        "--ignore-rule",
        CERT_RULES,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("protocol.tls1_2.offered"));
}

#[test]
fn policy_list_show_and_bad_files() {
    let out = tlsaudit(&["policy", "list"]);
    assert_eq!(out.status.code(), Some(0));
    let names: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| !l.starts_with(' '))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(names, tlsaudit::policy::profiles::NAMES.to_vec());

    // `show` prints the TOML as it is checked in: it loads back as the same policy.
    let out = tlsaudit(&["policy", "show", "multisafepay"]);
    assert_eq!(out.status.code(), Some(0));
    let shown = stdout(&out);
    assert_eq!(shown, include_str!("../../policies/multisafepay.toml"));
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.toml");
    std::fs::write(&copy, &shown).unwrap();
    assert_eq!(
        Policy::load(copy.to_str().unwrap()).unwrap().rules,
        Policy::load("multisafepay").unwrap().rules
    );

    // A bad file: exit 2 before any scan, naming file, line and field.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[policy]\nname = \"x\"\n\n[[rule]]\nid = \"a\"\nkind = \"allow_only\"\nseverity = \"error\"\nversion = \"TLSv1.2\"\nsuites = [\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\", \"TLS_NOT_A_SUITE\"]\nmessage = \"m\"\n").unwrap();
    let out = tlsaudit(&["scan", "127.0.0.1:1", "--policy", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:9:52: field `suites`: unknown cipher suite 'TLS_NOT_A_SUITE'",
            bad.display()
        )),
        "{err}"
    );
    assert_eq!(
        tlsaudit(&["scan", "127.0.0.1:1", "--policy", "nope"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        tlsaudit(&["scan", "127.0.0.1:1", "--policy", "none", "-f", "junit"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        tlsaudit(&["scan", "127.0.0.1:1", "--ignore-rule", "no.such.rule"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(tlsaudit(&["policy", "show", "nope"]).status.code(), Some(2));
}

/// JUnit as CI systems read it: well-formed XML whose totals agree with its test cases.
fn check_junit(xml: &str, tests: usize, failures: usize, errors: usize, skipped: usize) {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let attr = |n: roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<usize>().unwrap();
    assert_eq!(
        (
            attr(root, "tests"),
            attr(root, "failures"),
            attr(root, "errors"),
            attr(root, "skipped")
        ),
        (tests, failures, errors, skipped)
    );
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), tests);
    let count = |tag: &str| {
        cases
            .iter()
            .filter(|c| c.children().any(|x| x.has_tag_name(tag)))
            .count()
    };
    assert_eq!(
        (count("failure"), count("error"), count("skipped")),
        (failures, errors, skipped)
    );
    for suite in root.children().filter(|n| n.is_element()) {
        assert_eq!(suite.tag_name().name(), "testsuite");
        let n = suite
            .children()
            .filter(|c| c.has_tag_name("testcase"))
            .count();
        assert_eq!(attr(suite, "tests"), n);
    }
}

/// The fields SARIF 2.1.0's schema requires, and the enumerations it fixes, on our output.
fn check_sarif(v: &Value) {
    assert_eq!(v["version"], "2.1.0");
    let runs = v["runs"].as_array().expect("runs");
    for run in runs {
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "tlsaudit");
        let rules = driver["rules"].as_array().unwrap();
        for r in rules {
            assert!(r["id"].is_string());
            assert!(r["shortDescription"]["text"].is_string());
            let l = r["defaultConfiguration"]["level"].as_str().unwrap();
            assert!(["none", "note", "warning", "error"].contains(&l));
        }
        for inv in run["invocations"].as_array().unwrap() {
            assert!(inv["executionSuccessful"].is_boolean());
        }
        for res in run["results"].as_array().unwrap() {
            assert!(
                res["message"]["text"].is_string(),
                "result.message.text is required"
            );
            let id = res["ruleId"].as_str().unwrap();
            let idx = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[idx]["id"], id);
            let kind = res["kind"].as_str().unwrap();
            assert!([
                "pass",
                "open",
                "informational",
                "notApplicable",
                "review",
                "fail"
            ]
            .contains(&kind));
            let level = res["level"].as_str().unwrap();
            assert!(["none", "note", "warning", "error"].contains(&level));
            // SARIF 3.27.9/3.27.10: a result that is not a failure has level "none".
            if kind != "fail" {
                assert_eq!(level, "none");
            }
            assert!(res["locations"][0]["logicalLocations"][0]["name"].is_string());
        }
    }
}
