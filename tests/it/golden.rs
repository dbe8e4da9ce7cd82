//! The same JSON for the same server, release after release: full scans of real servers with
//! known configurations, compared with checked-in reports (`tests/golden/`) once the values
//! that differ on every run (times, ports, throwaway certificates) are masked.
//!
//! `TLSAUDIT_BLESS=1 cargo test --test it golden` rewrites the checked-in files; a reviewer
//! then reads the diff.

use std::path::PathBuf;
use std::process::Command;

use fixtures::servers::{gnutls_serv, nginx, openssl_s_server, self_signed, KeyType};
use serde_json::Value;

use crate::common::require;

/// Keys whose values change on every run: masked wherever they appear.
const VOLATILE: &[&str] = &[
    "started_at",
    "duration_ms",
    "target",
    "port",
    "at",
    "not_before",
    "not_after",
    "serial",
    "sha256",
    "sha1",
    "fingerprint_sha256",
    "spki_sha256",
    "days_left",
    "tool",
];

fn mask(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if VOLATILE.contains(&k.as_str()) {
                    *val = Value::String("<masked>".into());
                } else {
                    mask(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        Value::String(s) => *s = mask_text(s),
        _ => {}
    }
}

/// In free text (evidence, messages): hex runs of 16 or more digits (fingerprints), RFC 3339
/// times and day counts become placeholders.
fn mask_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let time = rest.len() >= 20
            && rest.as_bytes()[4] == b'-'
            && rest.as_bytes()[10] == b'T'
            && rest.as_bytes()[19] == b'Z'
            && digits == 4;
        if time {
            out.push_str("<time>");
            rest = &rest[20..];
        } else if hex >= 16 {
            out.push_str("<hex>");
            rest = &rest[hex..];
        } else if digits > 0 && rest[digits..].starts_with(" days") {
            out.push_str("<n>");
            rest = &rest[digits..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn scan_json(target: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args([
            "scan",
            target,
            "--sni",
            "localhost",
            "--format",
            "json",
            "-q",
        ])
        .output()
        .unwrap();
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    mask(&mut v);
    v
}

fn check(name: &str, target: &str) {
    let got = scan_json(target);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}.json"));
    if std::env::var("TLSAUDIT_BLESS").is_ok_and(|v| v == "1") {
        let text = serde_json::to_string_pretty(&got).unwrap();
        std::fs::write(&path, text + "\n").unwrap();
        return;
    }
    let want: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    if got != want {
        let (g, w) = (
            serde_json::to_string_pretty(&got).unwrap(),
            serde_json::to_string_pretty(&want).unwrap(),
        );
        let first = g
            .lines()
            .zip(w.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{name}: the report differs from tests/golden/{name}.json from line {}:\n got: {}\nwant: {}",
            first + 1,
            g.lines().nth(first).unwrap_or(""),
            w.lines().nth(first).unwrap_or("")
        );
    }
}

#[test]
fn golden_openssl_seed_server() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "golden-seed",
        &cert,
        &[
            "-cipher",
            "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:AES128-SHA",
            "-ciphersuites",
            "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
            "-serverpref",
        ],
    )
    .unwrap();
    check("openssl-seed", &s.target());
}

#[test]
fn golden_nginx_intermediate() {
    if !require("nginx") {
        return;
    }
    let cert = self_signed(KeyType::EcdsaP256).unwrap();
    let s = nginx(
        "golden-nginx",
        &cert,
        "ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384;\n    ssl_prefer_server_ciphers off;",
    )
    .unwrap();
    check("nginx-intermediate", &s.target());
}

#[test]
fn golden_gnutls_legacy() {
    if !require("gnutls-serv") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = gnutls_serv(
        "golden-gnutls",
        &cert,
        "NORMAL:-VERS-TLS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:+3DES-CBC:+ARCFOUR-128",
    )
    .unwrap();
    check("gnutls-legacy", &s.target());
}
