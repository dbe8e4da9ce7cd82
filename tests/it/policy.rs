//! Policies against real servers: verdicts, exact failed rules, exit codes, JUnit and SARIF.
//!
//! Most servers here have a self-signed RSA 2048 certificate: the chain rule fails on it
//! (untrusted) and the strength rule passes. The tests assert every other rule exactly (the
//! certificate-key rules included), assert those two certificate rules' statuses, and check exit
//! codes with `--ignore-rule` on them: the waiver a CI user of a private CA would use. The
//! seed-compliant server instead has a chain from a throwaway CA that the scan trusts with
//! `--ca-file`, and passes `multisafepay` with no waiver at all.

use std::process::{Command, Output};

use fixtures::servers::{nginx, openssl_s_server, self_signed, KeyType, ServerProcess};
use fixtures::testpki::{LeafKey, LeafSpec, TestCa};
use serde_json::Value;
use tlsaudit::facts::Severity;
use tlsaudit::policy::{evaluate, Policy, RuleStatus, Verdict};
use tlsaudit::report::TargetReport;

use crate::common::{dhparam, require, scan};

const SEED_TLS12: &str = fixtures::servers::SEED_TLS12_OPENSSL;
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

/// Judges a report in-process; returns the failed rules other than the chain and strength
/// rules, sorted, after checking those two on a self-signed RSA 2048 certificate; and the
/// verdict without them.
fn failed_without_certs(
    t: &TargetReport,
    policy: &str,
    fail_on: Severity,
) -> (Vec<String>, Verdict) {
    let p = Policy::load(policy).unwrap();
    let r = evaluate(t, &p, fail_on);
    // A self-signed certificate fails the chain rule; its key and signature are strong.
    for c in r.rules.iter().filter(|r| waived(&r.id)) {
        let expected = if c.id == "cert.weak" {
            RuleStatus::Pass
        } else {
            RuleStatus::Fail
        };
        assert_eq!(c.status, expected, "{}", c.id);
    }
    let mut failed: Vec<String> = r
        .failed()
        .filter(|r| !waived(&r.id))
        .map(|r| r.id.clone())
        .collect();
    failed.sort();
    let verdict = evaluate(t, &p.without(&ignored(policy)).unwrap(), fail_on).verdict;
    (failed, verdict)
}

/// The chain and strength rules of a built-in profile (those it has).
fn ignored(policy: &str) -> Vec<String> {
    Policy::load(policy)
        .unwrap()
        .rules
        .iter()
        .filter(|r| waived(&r.id))
        .map(|r| r.id.clone())
        .collect()
}

/// The chain and strength rules: waived with `--ignore-rule CERT_RULES` in these tests.
fn waived(id: &str) -> bool {
    CERT_RULES.split(',').any(|x| x == id)
}

/// One rule's (status, evidence) in-process.
fn rule(t: &TargetReport, policy: &str, id: &str) -> (RuleStatus, String) {
    let p = Policy::load(policy).unwrap();
    let r = evaluate(t, &p, Severity::Info);
    let x = r.rules.iter().find(|r| r.id == id).unwrap();
    (x.status, x.evidence.clone())
}

/// Failed rule ids of a target in a JSON report.
fn json_failed(target: &Value) -> Vec<String> {
    let mut v: Vec<String> = target["policy"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn seed_server(cert: &fixtures::servers::CertFiles, extra: &[&str]) -> ServerProcess {
    let args = [
        &[
            "-min_protocol",
            "TLSv1.2",
            "-cipher",
            SEED_TLS12,
            "-serverpref",
            "-ciphersuites",
            "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
        ][..],
        extra,
    ]
    .concat();
    openssl_s_server("seed", cert, &args).unwrap()
}

#[tokio::test]
async fn seed_server_passes_multisafepay_and_exits_0() {
    if !require("openssl") {
        return;
    }
    // A chain from a throwaway CA (RSA 2048 leaf for localhost, ECDSA intermediate and root).
    let ca = TestCa::new("seed").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("seed", LeafKey::Rsa(2048))).unwrap();
    let cert = ca.cert_files(&leaf).unwrap();
    let chain = ca.intermediate_pem.display().to_string();
    let s = seed_server(&cert, &["-cert_chain", &chain]);
    let root = ca.root_pem.display().to_string();

    // The binary, trusting the CA with --ca-file: every rule passes, no waiver, exit 0.
    let out = tlsaudit(&[
        "scan",
        &s.target(),
        "--sni",
        "localhost",
        "--ca-file",
        &root,
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with(&format!("{}  policy multisafepay: COMPLIANT", s.target())),
        "{text}"
    );
    assert!(!text.contains("ignored:"), "{text}");
    let out = tlsaudit(&[
        "scan",
        &s.target(),
        "--sni",
        "localhost",
        "--ca-file",
        &root,
        "--fail-on",
        "info",
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &v["targets"][0]["policy"];
    assert_eq!(p["verdict"], "compliant");
    let statuses: Vec<(String, String)> = p["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().into(),
                r["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    let pass = |id: &str| (id.to_string(), "pass".to_string());
    assert_eq!(
        statuses,
        vec![
            pass("suites.tls1_2.none_required"),
            pass("suites.tls1_3.none_required"),
            pass("protocol.ssl2.offered"),
            pass("protocol.ssl3.offered"),
            pass("protocol.tls1_0.offered"),
            pass("protocol.tls1_1.offered"),
            pass("cert.chain.invalid"),
            pass("clients.notifier.cannot_connect"),
            pass("weaknesses.exploitable"),
        ]
    );
    // Without the CA file the same chain is untrusted: the chain rule fails, exit 1.
    let out = tlsaudit(&["scan", &s.target(), "--sni", "localhost", "-f", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json_failed(&v["targets"][0]), vec!["cert.chain.invalid"]);

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
    // OpenSSL's default groups (x448, secp521r1, the ffdhe groups in TLS 1.3) are outside
    // Modern's three, and its certificate is RSA where Modern wants ECDSA.
    assert_eq!(
        json_failed(&line),
        vec![
            "cert.key.type",
            "groups.not_allowed",
            "protocol.tls1_2.offered"
        ]
    );
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
    // Nor can the provider's notifier connect: it offers only the six.
    assert_eq!(
        failed,
        vec![
            "clients.notifier.cannot_connect",
            "suites.tls1_2.none_required"
        ]
    );
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
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules
        .iter()
        .all(|r| r["properties"]["source_section"].is_string()));
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
    assert_eq!(results.len(), 9, "one result per rule");

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
    assert!(
        text.contains("source: MultiSafepay developer page TLS protocols"),
        "{text}"
    );
    // The notifier's reason names what the server offers.
    assert!(
        text.contains("multisafepay-notifier: no common cipher suite at TLSv1.2"),
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

    // JUnit: 7 test cases (the certificate rule waived); the two warnings are skipped at
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
        check_junit(&xml, 8, failures, 0, skipped);
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
    let dh = dhparam(cert.dir.path(), "dh.pem", "group:ffdhe2048");
    // Mozilla's Intermediate configuration for nginx (guideline 5.7: its TLS 1.2 suites, its
    // tls_curves as ssl_ecdh_curve, and ffdhe2048 as the DH parameters).
    let s = nginx(
        "nginx",
        &cert,
        &format!(
            "ssl_dhparam {};\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_prefer_server_ciphers off;\n    \
             ssl_ecdh_curve X25519:prime256v1:secp384r1;\n    \
             ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305;",
            dh
        ),
    )
    .unwrap();
    let (r, _) = scan(&s.target()).await;
    let (failed, verdict) = failed_without_certs(&r, "mozilla-intermediate", Severity::Info);
    assert_eq!(failed, Vec::<String>::new());
    assert_eq!(verdict, Verdict::Compliant);
    let i = "mozilla-intermediate";
    assert_eq!(
        rule(&r, i, "groups.not_allowed"),
        (
            RuleStatus::Pass,
            // TLS 1.2 follows the scanner's order (no server preference); TLS 1.3 nginx's.
            "TLSv1.2 ECDHE accepts secp256r1, secp384r1, x25519; TLSv1.3 accepts x25519, secp256r1, secp384r1".into()
        )
    );
    assert_eq!(
        rule(&r, i, "dh.too_small"),
        (
            RuleStatus::Pass,
            "TLSv1.2 DHE uses ffdhe2048 (RFC7919, 2048 bits)".into()
        )
    );
    assert_eq!(
        rule(&r, i, "cert.key.type"),
        (RuleStatus::Pass, "leaf key RSA 2048".into())
    );
    // Modern: no TLS 1.2, and an ECDSA certificate.
    let (failed, verdict) = failed_without_certs(&r, "mozilla-modern", Severity::Info);
    assert_eq!(failed, vec!["cert.key.type", "protocol.tls1_2.offered"]);
    assert_eq!(verdict, Verdict::NotCompliant);
    // BSI TR-02102-2: X25519 in both versions, and ffdhe2048 under its 3000 bits; ChaCha20 is
    // not among its suites either.
    let (failed, _) = failed_without_certs(&r, "bsi-tr-02102-2", Severity::Info);
    assert_eq!(
        failed,
        vec![
            "dh.too_small",
            "groups.not_recommended",
            "groups.tls1_3.not_recommended",
            "suites.tls1_2.not_recommended",
            "suites.tls1_3.not_recommended"
        ]
    );

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

/// Mozilla Intermediate's ECDHE suites in OpenSSL's names (guideline 5.7).
const INTERMEDIATE_ECDHE: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:\
ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:\
ECDHE-RSA-CHACHA20-POLY1305";

#[tokio::test]
async fn a_secp521r1_only_server_fails_the_intermediate_groups_rule() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "p521",
        &cert,
        &[
            "-min_protocol",
            "TLSv1.2",
            "-cipher",
            INTERMEDIATE_ECDHE,
            "-groups",
            "secp521r1",
        ],
    )
    .unwrap();
    let (r, _) = scan(&s.target()).await;
    let (failed, verdict) = failed_without_certs(&r, "mozilla-intermediate", Severity::Info);
    assert_eq!(failed, vec!["groups.not_allowed"]);
    assert_eq!(verdict, Verdict::NotCompliant);
    assert_eq!(
        rule(&r, "mozilla-intermediate", "groups.not_allowed"),
        (
            RuleStatus::Fail,
            "TLSv1.2 ECDHE also accepts secp521r1; TLSv1.3 also accepts secp521r1".into()
        )
    );
    // No DHE suite: nothing for the DH rule to judge.
    assert_eq!(
        rule(&r, "mozilla-intermediate", "dh.too_small"),
        (RuleStatus::Pass, "TLSv1.2 accepts no DHE suite".into())
    );
    // NIST SP 800-52r2 wants P-256 or P-384 among the groups.
    assert_eq!(
        rule(&r, "nist-800-52r2", "groups.required"),
        (
            RuleStatus::Fail,
            "TLSv1.2 ECDHE accepts secp521r1; none of them is one of the 2 required; \
             TLSv1.3 accepts secp521r1; none of them is one of the 2 required"
                .into()
        )
    );

    let out = tlsaudit(&[
        "scan",
        &s.target(),
        "--policy",
        "mozilla-intermediate",
        "--ignore-rule",
        CERT_RULES,
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL       error   groups.not_allowed"),
        "{text}"
    );
    // Without the groups stage the rule cannot be judged: INCOMPLETE (exit 3), never a pass.
    let out = tlsaudit(&[
        "scan",
        &s.target(),
        "--policy",
        "mozilla-intermediate",
        "--ignore-rule",
        CERT_RULES,
        "--only",
        "versions,suites,certs",
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let groups = v["targets"][0]["policy"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "groups.not_allowed")
        .unwrap()
        .clone();
    assert_eq!(groups["status"], "incomplete");
    assert_eq!(groups["evidence"], "the groups were not scanned");
}

#[tokio::test]
async fn a_1024_bit_dhe_prime_fails_the_dh_minimum() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let dh = dhparam(cert.dir.path(), "dh1024.pem", "dh_paramgen_prime_len:1024");
    let s = openssl_s_server(
        "dh1024",
        &cert,
        &[
            "-tls1_2",
            "-groups",
            "X25519:P-256:P-384",
            "-cipher",
            // Debian's default security level refuses a 1024-bit DH group.
            "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
            "-dhparam",
            &dh,
        ],
    )
    .unwrap();
    let (r, _) = scan(&s.target()).await;
    let (failed, verdict) = failed_without_certs(&r, "mozilla-intermediate", Severity::Info);
    assert_eq!(failed, vec!["dh.too_small"]);
    assert_eq!(verdict, Verdict::NotCompliant);
    assert_eq!(
        rule(&r, "mozilla-intermediate", "dh.too_small"),
        (
            RuleStatus::Fail,
            "TLSv1.2 DHE uses a custom 1024-bit prime: smaller than 2048 bits".into()
        )
    );
    // Old's floor is 1024 bits: everything else of Old holds too.
    let (failed, verdict) = failed_without_certs(&r, "mozilla-old", Severity::Info);
    assert_eq!(failed, Vec::<String>::new());
    assert_eq!(verdict, Verdict::Compliant);

    let out = tlsaudit(&[
        "scan",
        &s.target(),
        "--policy",
        "mozilla-intermediate",
        "--ignore-rule",
        CERT_RULES,
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json_failed(&v["targets"][0]), vec!["dh.too_small"]);
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
    // Each rule cites its section, pinned profiles too.
    let out = tlsaudit(&["policy", "show", "nist-800-52r2@2"]);
    assert!(
        stdout(&out).contains("source_section = \"SP 800-52r2 (August 2019) §3.1\""),
        "{}",
        stdout(&out)
    );
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
