//! `tlsaudit impact` over JSON Lines from real scans of real servers: which endpoints a client
//! no longer reaches once it stops offering some suites, and why, in every format.

use fixtures::servers::{free_port, gnutls_serv, nginx, openssl_s_server, self_signed, KeyType};
use serde_json::Value;

use crate::common::require;

use crate::common::tlsaudit_output as tlsaudit;

/// Scans `targets` into JSON Lines at `path` (the stages the simulation reads).
pub(crate) fn scan_to_jsonl(targets: &[String], path: &std::path::Path) {
    scan_to_jsonl_with(targets, path, &[])
}

/// [`scan_to_jsonl`] with more flags (`--store PATH`).
pub(crate) fn scan_to_jsonl_with(targets: &[String], path: &std::path::Path, extra: &[&str]) {
    let mut args = vec![
        "scan",
        "--policy",
        "none",
        "--sni",
        "localhost",
        "--clients",
        "none",
        "--only",
        "suites,groups,sigs,certs",
        "--retries",
        "0",
        "-q",
        "-f",
        "jsonl",
        "-o",
    ];
    let path = path.to_string_lossy().into_owned();
    args.push(&path);
    args.extend(extra);
    args.extend(targets.iter().map(String::as_str));
    let (code, _, err) = tlsaudit(&args);
    assert!(code == 0 || code == 3, "scan exited {code}: {err}");
}

/// (target, status, breaks, reasons) of every endpoint of an impact report.
fn endpoints(v: &Value) -> Vec<(String, String, bool, Vec<String>)> {
    v["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["target"].as_str().unwrap().to_string(),
                e["status"].as_str().unwrap().to_string(),
                e["breaks"].as_bool().unwrap(),
                e["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn notifier_without_static_rsa_and_cbc_breaks_exactly_the_servers_that_need_them() {
    if !require("openssl") || !require("nginx") || !require("gnutls-serv") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    // TLS 1.2 only, static RSA and CBC: what the notifier is about to drop.
    let legacy = openssl_s_server(
        "impact-legacy",
        &rsa,
        &[
            "-no_tls1_3",
            "-cipher",
            "AES128-GCM-SHA256:AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA",
            "-serverpref",
        ],
    )
    .unwrap();
    // Prefers static RSA, takes ECDHE too: still reached, another suite.
    let mixed = openssl_s_server(
        "impact-mixed",
        &rsa,
        &[
            "-no_tls1_3",
            "-cipher",
            "AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
            "-serverpref",
        ],
    )
    .unwrap();
    let modern = nginx(
        "impact-modern",
        &rsa,
        "ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384;",
    )
    .unwrap();
    // Only TLS_RSA_WITH_AES_128_CBC_SHA, which the notifier never offered.
    let old = gnutls_serv(
        "impact-old",
        &rsa,
        "NONE:+VERS-TLS1.2:+AES-128-CBC:+SHA1:+RSA:+SIGN-ALL:+GROUP-ALL:+COMP-NULL",
    )
    .unwrap();
    let dead = format!("127.0.0.1:{}", free_port().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("fleet.jsonl");
    let targets = [
        legacy.target(),
        mixed.target(),
        modern.target(),
        old.target(),
        dead.clone(),
    ];
    scan_to_jsonl(&targets, &results);
    let results = results.to_string_lossy().into_owned();

    let impact = |format: &str| {
        tlsaudit(&[
            "impact",
            &results,
            "--client",
            "multisafepay-notifier",
            "--client-without",
            "0x009c,0x009d,0xc013",
            "-f",
            format,
        ])
    };
    let (code, json, err) = impact("json");
    assert_eq!(code, 1, "something breaks: exit 1 ({err})");
    let v: Value = serde_json::from_str(&json).unwrap();
    let got = endpoints(&v);
    let expected: Vec<(String, String, bool, Vec<String>)> = vec![
        (
            legacy.target(),
            "breaks".into(),
            true,
            vec![
                "reached today with TLSv1.2 TLS_RSA_WITH_AES_128_GCM_SHA256; the change removes \
                 TLS_RSA_WITH_AES_128_GCM_SHA256 (0x009c)"
                    .into(),
                "after the change: no common cipher suite at TLSv1.2: the server accepts \
                 TLS_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_256_GCM_SHA384, \
                 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA; the client offers none of them"
                    .into(),
            ],
        ),
        (
            mixed.target(),
            "changes".into(),
            false,
            vec![
                "still reached, with TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (x25519) \
                 instead of TLSv1.2 TLS_RSA_WITH_AES_128_GCM_SHA256"
                    .into(),
            ],
        ),
        (
            old.target(),
            "unreachable_before".into(),
            false,
            vec![
                "not reached before the change: no common cipher suite at TLSv1.2: the server \
                 accepts TLS_RSA_WITH_AES_128_CBC_SHA; the client offers none of them"
                    .into(),
            ],
        ),
        (dead.clone(), "not_scanned".into(), false, vec![]),
        (modern.target(), "unaffected".into(), false, vec![]),
    ];
    // A dead target's reason is the connection error's own text: compare its start.
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!((&g.0, &g.1, g.2), (&e.0, &e.1, e.2), "{got:#?}");
        if e.1 == "not_scanned" {
            assert!(g.3[0].starts_with("not scanned: "), "{:?}", g.3);
        } else {
            assert_eq!(g.3, e.3);
        }
    }
    let s = &v["summary"];
    assert_eq!(
        (
            &s["breaks"],
            &s["changes"],
            &s["unreachable_before"],
            &s["not_scanned"],
            &s["unaffected"]
        ),
        (&1.into(), &1.into(), &1.into(), &1.into(), &1.into())
    );
    assert_eq!(s["breaks_by_reason"][0]["id"], "no_common_suite");
    assert_eq!(s["breaks_by_suite_before"][0]["id"], "0x009c");
    assert_eq!(s["not_offered"], serde_json::json!([]));

    // Text: the totals, then the endpoints that break first.
    let (code, text, _) = impact("text");
    assert_eq!(code, 1);
    assert!(
        text.starts_with(
            "Impact on multisafepay-notifier (MultiSafepay notifications) without \
             TLS_RSA_WITH_AES_128_GCM_SHA256 (0x009c), TLS_RSA_WITH_AES_256_GCM_SHA384 (0x009d), \
             TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (0xc013)\n\n5 endpoints: 1 breaks, 1 still \
             reached differently, 1 not reached even before, 1 not scanned, 1 unaffected\n\n\
             Why they break:\n       1  no common cipher suite\n"
        ),
        "{text}"
    );
    let breaks_at = text
        .find("Break (reached today, not after the change) (1):")
        .unwrap();
    assert!(text[breaks_at..].contains(&legacy.target()));
    assert!(breaks_at < text.find("Still reached").unwrap());
    assert!(
        !text.contains(&modern.target()),
        "unaffected endpoints are counted, not listed"
    );

    // CSV: a header and one row per endpoint, the one that breaks first.
    let (_, csv, _) = impact("csv");
    let rows: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(rows[0], "target,status,breaks,failure,before,after,reasons");
    assert_eq!(rows.len(), 6, "{csv}");
    assert!(
        rows[1].starts_with(&format!(
            "{},breaks,true,no_common_suite,TLSv1.2 TLS_RSA_WITH_AES_128_GCM_SHA256,,",
            legacy.target()
        )),
        "{}",
        rows[1]
    );

    // HTML: one page, the totals first, the unaffected endpoint left out.
    let (code, page, _) = impact("html");
    assert_eq!(code, 1);
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(
        page.contains("<strong>1 of 5 endpoints break</strong>"),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<tr class=\"breaks\"><td>{}</td><td>breaks</td>",
            legacy.target()
        )),
        "{page}"
    );
    assert!(!page.contains(&modern.target()));
    assert!(!page.contains("<script"));

    // Dropping only the CBC suite breaks nobody here: exit 0.
    let (code, json, _) = tlsaudit(&[
        "impact",
        &results,
        "--client",
        "multisafepay-notifier",
        "--client-without",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "-f",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["breaks"], 0);
}

#[test]
fn bad_input_is_a_usage_error_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.jsonl");
    let good = serde_json::to_string(&tlsaudit::report::TargetReport::default()).unwrap();
    std::fs::write(&path, format!("{good}\n{{\"target\": 1}}\n")).unwrap();
    let p = path.to_string_lossy().into_owned();
    let (code, _, err) = tlsaudit(&["impact", &p, "--client", "java-8"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "{p} line 2: not a target of `tlsaudit scan -f jsonl`"
        )),
        "{err}"
    );
    let (code, _, err) = tlsaudit(&[
        "impact",
        &p,
        "--client",
        "java-8",
        "--client-without",
        "tls9",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--client-without: 'tls9' is not a protocol version"),
        "{err}"
    );
    let (code, _, err) = tlsaudit(&["impact", &p, "--client", "java"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--client takes one profile; 'java' names"),
        "{err}"
    );
}

#[test]
fn endpoints_adopting_intermediate_must_change_and_old_clients_lose_them() {
    if !require("nginx") || !require("gnutls-serv") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    // TLS 1.0 to 1.2 with CBC suites: what mozilla-intermediate removes.
    let legacy = gnutls_serv(
        "adopt-legacy",
        &rsa,
        "NONE:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:+AES-128-CBC:+AES-128-GCM:+SHA1:+AEAD:+RSA:+ECDHE-RSA:+SIGN-ALL:+GROUP-ALL:+COMP-NULL:%SERVER_PRECEDENCE",
    )
    .unwrap();
    let modern = nginx(
        "adopt-modern",
        &rsa,
        "ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384;\n    ssl_ecdh_curve X25519:prime256v1:secp384r1;",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("fleet.jsonl");
    // Without certificates: the self-signed test certificate would fail every endpoint.
    scan_to_jsonl_with(
        &[legacy.target(), modern.target()],
        &results,
        &["--no-certs"],
    );
    let results = results.to_string_lossy().into_owned();
    let (code, json, err) = tlsaudit(&[
        "impact",
        &results,
        "--endpoints-adopt",
        "mozilla-intermediate",
        "-f",
        "json",
    ]);
    assert_eq!(code, 1, "a known client loses an endpoint: exit 1 ({err})");
    let v: Value = serde_json::from_str(&json).unwrap();
    let e = &v["endpoints"];
    assert_eq!(e[0]["target"], legacy.target().as_str());
    assert_eq!(e[0]["must_change"], true);
    assert_eq!(e[0]["verdict"], "not_compliant");
    let rules: Vec<&str> = e[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"protocol.tls1_0.offered"), "{rules:?}");
    assert!(rules.contains(&"protocol.tls1_1.offered"), "{rules:?}");
    let lost: Vec<(&str, &str)> = e[0]["clients_lost"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["client"].as_str().unwrap(),
                c["failure"].as_str().unwrap(),
            )
        })
        .collect();
    // Old Java, Android 4.4 and .NET on Windows 7 speak TLS 1.0 at most; Schannel on
    // Windows 7 and 8.1 has TLS 1.2, but no ECDHE-RSA suite with GCM.
    assert_eq!(
        lost,
        [
            ("android-4.4", "no_common_version"),
            ("dotnet-4-win7", "no_common_version"),
            ("java-6", "no_common_version"),
            ("java-7", "no_common_version"),
            ("windows-7", "no_common_suite"),
            ("windows-8.1", "no_common_suite"),
        ]
    );
    let java6 = e[0]["clients_lost"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client"] == "java-6")
        .unwrap();
    assert_eq!(java6["before"]["protocol"], "TLSv1.0");
    assert!(
        java6["reason"].as_str().unwrap().starts_with(
            "no common version: the server offers TLSv1.3, TLSv1.2; the client speaks TLSv1.0"
        ),
        "{}",
        java6["reason"]
    );
    assert_eq!(e[1]["target"], modern.target().as_str());
    assert_eq!(e[1]["must_change"], false, "{}", e[1]["changes"]);
    assert_eq!(e[1]["clients_lost"], serde_json::json!([]));
    assert_eq!(v["summary"]["must_change"], 1);
    assert_eq!(v["summary"]["breaks"], 1);
    let (_, text, _) = tlsaudit(&[
        "impact",
        &results,
        "--endpoints-adopt",
        "mozilla-intermediate",
    ]);
    assert!(
        text.starts_with("Every endpoint adopts mozilla-intermediate ("),
        "{text}"
    );
    assert!(text.contains("would lose java-6 ("), "{text}");
    let (_, page, _) = tlsaudit(&[
        "impact",
        &results,
        "--endpoints-adopt",
        "mozilla-intermediate",
        "-f",
        "html",
    ]);
    assert!(
        page.contains("<strong>1 of 2 endpoints must change</strong>"),
        "{page}"
    );
    assert!(
        page.contains("java-6 (Java (JSSE) 6u45): no common version"),
        "{page}"
    );
}
