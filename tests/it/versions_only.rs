//! `--only versions`: one hello per version against a real server, the suite it chose, the
//! list marked partial, and policies that refuse to judge suites from it.

use std::process::Command;

use fixtures::servers::{openssl_s_server, self_signed, KeyType};
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::facts::Severity;
use tlsaudit::facts::Stage;
use tlsaudit::facts::TlsVersion::*;
use tlsaudit::policy::{evaluate, Policy, RuleStatus};
use tlsaudit::probe::engine::EngineConfig;

use crate::common::{ids, require, scan_with, suites, versions};

/// Suite rules that a partial list cannot decide, and those it can.
const POLICY: &str = r#"
[policy]
name = "versions-only-test"
title = "suite and version rules on a versions-only scan"

[[rule]]
id = "tls12.require_gcm"
kind = "require_any"
severity = "error"
version = "TLSv1.2"
suites = ["ECDHE-RSA-AES128-GCM-SHA256"]
message = "Enable ECDHE-RSA-AES128-GCM-SHA256."

[[rule]]
id = "tls12.require_chosen"
kind = "require_any"
severity = "error"
version = "TLSv1.2"
suites = ["AES128-SHA"]
message = "Enable AES128-SHA."

[[rule]]
id = "tls13.allow_only_chosen"
kind = "allow_only"
severity = "error"
version = "TLSv1.3"
suites = ["TLS_AES_128_GCM_SHA256"]
message = "Offer only TLS_AES_128_GCM_SHA256."

[[rule]]
id = "suites.no_3des"
kind = "forbid"
severity = "error"
suites = ["@3des"]
message = "Disable 3DES."

[[rule]]
id = "suites.no_cbc"
kind = "forbid"
severity = "error"
version = "TLSv1.2"
suites = ["@cbc"]
message = "Disable CBC suites."

[[rule]]
id = "protocol.min"
kind = "min_version"
severity = "error"
version = "TLSv1.2"
message = "Disable TLS 1.1 and older."
"#;

fn versions_only() -> ScanOptions {
    ScanOptions {
        sni: Some("localhost".into()),
        stages: [Stage::Versions].into_iter().collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn only_versions_sends_one_hello_per_version_and_suite_rules_are_incomplete() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("versions-only", &cert, &["-min_protocol", "TLSv1.2"]).unwrap();
    let (r, g) = scan_with(&s.target(), EngineConfig::default(), versions_only()).await;
    assert_eq!(r.error, None);
    assert_eq!(versions(&r), vec![Tls12, Tls13]);
    // SSLv2, SSLv3, TLS 1.0, 1.1, 1.2, 1.3: one hello each, nothing else.
    assert_eq!(r.connections, 6);
    // OpenSSL follows the client's order, and the one hello offers every candidate in code
    // point order: its first match is what it picks.
    assert_eq!(suites(&r, Tls12), ids(&[0x002f]));
    assert_eq!(suites(&r, Tls13), ids(&[0x1301]));
    let flags: Vec<_> = r
        .protocols
        .iter()
        .map(|p| (p.version, p.suites_enumerated, p.server_preference))
        .collect();
    assert_eq!(
        flags,
        vec![
            (Ssl2, true, None),
            (Ssl3, true, None),
            (Tls10, true, None),
            (Tls11, true, None),
            (Tls12, false, None),
            (Tls13, false, None),
        ]
    );
    // The first flight is still kept for later use.
    assert_eq!(g.flights.len(), 2);
    assert!(r.groups.is_none() && r.signature_schemes.is_none() && r.features.is_none());
    assert!(r.certificates.is_none());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("versions-only.toml");
    std::fs::write(&file, POLICY).unwrap();
    let policy = Policy::load(file.to_str().unwrap()).unwrap();
    let result = evaluate(&r, &policy, Severity::Error);
    let statuses: Vec<_> = result
        .rules
        .iter()
        .map(|x| (x.id.as_str(), x.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            // Absent from a partial list is not absent from the server.
            ("tls12.require_gcm", RuleStatus::Incomplete),
            // The suite the server chose is a fact either way.
            ("tls12.require_chosen", RuleStatus::Pass),
            ("tls13.allow_only_chosen", RuleStatus::Incomplete),
            ("suites.no_3des", RuleStatus::Incomplete),
            ("suites.no_cbc", RuleStatus::Fail),
            // Versions were fully scanned.
            ("protocol.min", RuleStatus::Pass),
        ],
        "{:#?}",
        result.rules
    );
    let why = &result.rules[0].evidence;
    assert_eq!(
        why,
        "TLSv1.2 suites were not enumerated (only TLS_RSA_WITH_AES_128_CBC_SHA is known): scan with suites"
    );
}

/// The command line: `--only versions` alone scans versions only; the JSON says the lists are
/// partial and the text report says so beside each offered version.
#[test]
fn only_versions_on_the_command_line() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("versions-only-cli", &cert, &["-min_protocol", "TLSv1.2"]).unwrap();
    let run = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
            .args([
                "scan",
                &s.target(),
                "--sni",
                "localhost",
                "--only",
                "versions",
                "--policy",
                "none",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let t = &json["targets"][0];
    assert_eq!(t["connections"], 6);
    let partial: Vec<(&str, bool, usize)> = t["protocols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["version"].as_str().unwrap(),
                p["suites_enumerated"].as_bool().unwrap(),
                p["cipher_suites"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        partial,
        vec![
            ("SSLv2", true, 0),
            ("SSLv3", true, 0),
            ("TLSv1.0", true, 0),
            ("TLSv1.1", true, 0),
            ("TLSv1.2", false, 1),
            ("TLSv1.3", false, 1),
        ]
    );
    let text = run("text");
    let notes = text
        .lines()
        .filter(|l| l.contains("suites not enumerated (--only versions)"))
        .count();
    assert_eq!(notes, 2, "{text}");
}
