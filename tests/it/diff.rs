//! `tlsaudit diff` over JSON Lines from real scans: one server reconfigured on the same port
//! (TLS 1.3 off, a suite swapped, a new certificate), one left alone.

use fixtures::servers::{nginx, openssl_s_server, openssl_s_server_at, self_signed, KeyType};
use serde_json::Value;

use crate::common::require;
use crate::impact::scan_to_jsonl;

use crate::common::tlsaudit_output as tlsaudit;

#[test]
fn a_reconfigured_server_shows_each_change_and_an_untouched_one_none() {
    if !require("openssl") || !require("nginx") {
        return;
    }
    let first = self_signed(KeyType::Rsa2048).unwrap();
    let steady = nginx(
        "diff-steady",
        &first,
        "ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;",
    )
    .unwrap();
    let before = openssl_s_server(
        "diff-before",
        &first,
        &[
            "-cipher",
            "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256",
            "-ciphersuites",
            "TLS_AES_128_GCM_SHA256",
        ],
    )
    .unwrap();
    let (target, before_port) = (before.target(), before.port());
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.jsonl"), dir.path().join("new.jsonl"));
    scan_to_jsonl(&[target.clone(), steady.target()], &old);
    drop(before);
    // The same address, reconfigured, with a new certificate for the same name.
    let second = self_signed(KeyType::Rsa2048).unwrap();
    let after = openssl_s_server_at(
        "diff-after",
        before_port,
        &second,
        &[
            "-no_tls1_3",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
        ],
    )
    .unwrap();
    assert_eq!(after.target(), target);
    scan_to_jsonl(&[target.clone(), steady.target()], &new);
    let (old, new) = (
        old.to_string_lossy().into_owned(),
        new.to_string_lossy().into_owned(),
    );

    let (code, json, err) =
        tlsaudit(&["diff", &old, &new, "-f", "json", "--expiry-warn-days", "7"]);
    assert_eq!(code, 1, "something changed: exit 1 ({err})");
    let v: Value = serde_json::from_str(&json).unwrap();
    let e = &v["endpoints"];
    assert_eq!(e[0]["target"], target.as_str());
    assert_eq!(e[0]["status"], "changed");
    let changes: Vec<(String, String)> = e[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let ids: Vec<&str> = changes.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        ids,
        [
            "version.disabled",
            "suite.added",
            "suite.removed",
            "cert.renewed"
        ],
        "{changes:#?}"
    );
    assert_eq!(changes[0].1, "TLSv1.3 no longer accepted");
    assert_eq!(
        changes[1].1,
        "TLSv1.2 now accepts TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    );
    assert_eq!(
        changes[2].1,
        "TLSv1.2 no longer accepts TLS_RSA_WITH_AES_128_CBC_SHA"
    );
    assert!(
        changes[3]
            .1
            .starts_with("RSA certificate renewed: CN=localhost, valid to "),
        "{}",
        changes[3].1
    );
    assert_eq!(e[1]["target"], steady.target().as_str());
    assert_eq!(e[1]["status"], "unchanged");
    assert_eq!(v["summary"]["changed"], 1);
    assert_eq!(v["summary"]["unchanged"], 1);

    // The same scan twice: nothing to say, exit 0. The test certificates live 30 days: with
    // the default window they are about to expire, and that alone is reported (exit 1).
    let (code, text, _) = tlsaudit(&["diff", &new, &new, "--expiry-warn-days", "7"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.ends_with(": 2 endpoints: 0 changed, 0 added, 0 removed, 2 unchanged\n"),
        "{text}"
    );
    let (code, text, _) = tlsaudit(&["diff", &new, &new]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("cert.expires_soon"), "{text}");
}
