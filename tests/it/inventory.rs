//! The inventory export (`--format inventory`, `inventory-json`): one row per protocol, suite,
//! group, certificate and verdict, from a checked-in report (no network) and from a real
//! server.

use std::path::PathBuf;
use std::process::Command;

use fixtures::servers::openssl_s_server;
use fixtures::testpki::{LeafKey, LeafSpec, TestCa};
use serde_json::Value;

use crate::common::require;

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn report(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/pinned")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn csv_inventory_of_a_saved_report() {
    let (code, csv) = run(&[
        "policy",
        "check",
        &report("nginx-modern.json"),
        "--policy",
        "mozilla-modern@6.0",
        "--format",
        "inventory",
    ]);
    assert_eq!(code, Some(0), "{csv}");
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "target,ip,kind,version,item,status,key,algorithm,expires,detail"
    );
    assert_eq!(lines.last(), Some(&""), "CRLF after every row");
    let kind = |k: &str| -> Vec<&str> {
        lines
            .iter()
            .copied()
            .filter(|l| l.split(',').nth(2) == Some(k))
            .collect()
    };
    let target = "127.0.0.1:41605,127.0.0.1";
    assert_eq!(
        kind("protocol"),
        ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
            .iter()
            .map(|v| {
                let status = if *v == "TLSv1.3" {
                    "offered"
                } else {
                    "not offered"
                };
                format!("{target},protocol,,{v},{status},,,,")
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(
        kind("cipher_suite"),
        [
            format!("{target},cipher_suite,TLSv1.3,TLS_AES_128_GCM_SHA256,accepted,any any,AES GCM 128 bits,,TLS_AES_128_GCM_SHA256"),
            format!("{target},cipher_suite,TLSv1.3,TLS_AES_256_GCM_SHA384,accepted,any any,AES GCM 256 bits,,TLS_AES_256_GCM_SHA384"),
            format!("{target},cipher_suite,TLSv1.3,TLS_CHACHA20_POLY1305_SHA256,accepted,any any,CHACHA20_POLY1305 AEAD 256 bits,,TLS_CHACHA20_POLY1305_SHA256"),
        ]
    );
    assert_eq!(
        kind("group"),
        [
            format!("{target},group,TLSv1.3,x25519,accepted,,ecdhe,,"),
            format!("{target},group,TLSv1.3,secp256r1,accepted,,ecdhe,,"),
            format!("{target},group,TLSv1.3,secp384r1,accepted,,ecdhe,,"),
        ]
    );
    let certs = kind("certificate");
    assert_eq!(certs.len(), 2);
    assert!(
        certs[0].starts_with(&format!(
            "{target},certificate,,\"CN=localhost, O=tlsaudit tests\",leaf,EC P-256,ecdsa-with-SHA256,2035-01-01T00:00:00Z,\"ECDSA chain; issuer CN=pinned Test Intermediate, O=tlsaudit tests; sha256 "
        )),
        "{}",
        certs[0]
    );
    assert_eq!(
        kind("policy"),
        [format!("{target},policy,,mozilla-modern@6.0,COMPLIANT,,,,\"13 of 14 rules passed; failing on error and above; version 6.0, pinned\"")]
    );
    assert_eq!(kind("policy_rule").len(), 14);
    assert!(kind("policy_rule").contains(&format!("{target},policy_rule,,groups.pq_hybrid.not_offered,fail,info,,,\"TLSv1.3 accepts x25519, secp256r1, secp384r1; none of them is one of the 1 required\"").as_str()));
    // A report saved before readiness existed gets it when judged again.
    assert_eq!(
        kind("post_quantum"),
        [format!("{target},post_quantum,TLSv1.3,,classical key exchange only,EC P-256,,,\"TLSv1.3 accepts x25519, secp256r1, secp384r1 (in the server's order)\"")]
    );
    assert_eq!(kind("grade"), [format!("{target},grade,,A+,score 94,,,,")]);
    assert_eq!(lines.len(), 1 + 6 + 3 + 3 + 2 + 1 + 14 + 1 + 1 + 1);
}

/// A real server scanned with `--format inventory-json`: its suites, groups and certificate.
#[test]
fn json_inventory_of_a_real_server() {
    if !require("openssl") {
        return;
    }
    let ca = TestCa::new("inventory").unwrap();
    let leaf = ca.leaf(&LeafSpec::new("rsa", LeafKey::Rsa(2048))).unwrap();
    let files = ca.cert_files(&leaf).unwrap();
    let chain = ca.intermediate_pem.display().to_string();
    let s = openssl_s_server(
        "inventory",
        &files,
        &[
            "-cert_chain",
            &chain,
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305",
            "-groups",
            "X25519:P-256",
        ],
    )
    .unwrap();
    let root = ca.root_pem.display().to_string();
    let (code, out) = run(&[
        "scan",
        &s.target(),
        "--sni",
        "localhost",
        "--ca-file",
        &root,
        "--at",
        "2030-01-01T00:00:00Z",
        "--only",
        "suites,groups,certs",
        "--policy",
        "none",
        "--format",
        "inventory-json",
        "-q",
    ]);
    assert_eq!(code, Some(0), "{out}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let of = |k: &str| -> Vec<(String, String, String)> {
        rows.iter()
            .filter(|r| r["kind"] == k)
            .map(|r| {
                let s = |f: &str| r[f].as_str().unwrap_or_default().to_string();
                (s("version"), s("item"), s("status"))
            })
            .collect()
    };
    let offered: Vec<_> = of("protocol")
        .into_iter()
        .filter(|(_, _, st)| st == "offered")
        .map(|(_, v, _)| v)
        .collect();
    assert_eq!(offered, ["TLSv1.2"]);
    let suites: Vec<String> = of("cipher_suite").into_iter().map(|(_, n, _)| n).collect();
    assert_eq!(
        suites,
        [
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        ]
    );
    // In the order the groups stage found them (TLS 1.2: by elimination), so compared as a set.
    let mut groups: Vec<String> = of("group").into_iter().map(|(_, n, _)| n).collect();
    groups.sort();
    assert_eq!(groups, ["secp256r1", "x25519"]);
    let leaf = rows
        .iter()
        .find(|r| r["kind"] == "certificate" && r["status"] == "leaf")
        .unwrap();
    assert_eq!(
        (&leaf["key"], &leaf["algorithm"], &leaf["expires"]),
        (
            &Value::from("RSA 2048"),
            &Value::from("ecdsa-with-SHA256"),
            &Value::from("2035-01-01T00:00:00Z")
        )
    );
    assert!(rows.iter().all(|r| r["target"] == s.target().as_str()));
}
