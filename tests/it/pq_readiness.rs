//! Post-quantum readiness against real servers: Node.js 24 (OpenSSL 3.5) offering the hybrid
//! X25519MLKEM768 beside X25519, and OpenSSL 3.0's s_server, which has no post-quantum group;
//! and the `post_quantum` rule kind through the command line (advisory at severity info).

use std::process::Command;

use fixtures::servers::{node_https, openssl_s_server, self_signed, KeyType};
use tlsaudit::policy::pq::PqStatus;

use crate::common::{node24, require, scan};

#[tokio::test]
async fn node_offering_the_hybrid_first_is_preferred() {
    let Some(node) = node24() else { return };
    let cert = self_signed(KeyType::EcdsaP256).unwrap();
    let s = node_https(&node, "pq-first", &cert, "X25519MLKEM768:X25519").unwrap();
    let (r, _) = scan(&s.target()).await;
    assert_eq!(r.error, None);
    let pq = tlsaudit::policy::pq::readiness(&r).unwrap();
    assert_eq!(pq.hybrid_groups, ["X25519MLKEM768"], "{pq:?}");
    assert_eq!(pq.pure_groups, Vec::<String>::new());
    assert_eq!(pq.classical_certificate_keys, ["EC P-256"]);
    assert_eq!(pq.pq_signature_schemes, Vec::<String>::new());
    assert_eq!(
        (pq.status, pq.preferred),
        (PqStatus::Preferred, Some(true)),
        "{pq:?}"
    );
}

#[tokio::test]
async fn openssl_3_0_is_classical_only() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("pq-none", &cert, &["-groups", "X25519:P-256"]).unwrap();
    let (r, _) = scan(&s.target()).await;
    let pq = tlsaudit::policy::pq::readiness(&r).unwrap();
    assert_eq!(
        (pq.status, pq.hybrid_groups.len(), pq.preferred),
        (PqStatus::ClassicalOnly, 0, None)
    );
    assert_eq!(pq.classical_certificate_keys, ["RSA 2048"]);
}

/// A custom profile with the rule kind: advisory (info) by default, failing the run only with
/// `--fail-on info`; the report names the deadline the profile sets.
#[test]
fn post_quantum_rule_from_the_command_line() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("pq-rule", &cert, &["-groups", "X25519:P-256"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("pq.toml");
    std::fs::write(
        &policy,
        r#"[policy]
name = "pq-readiness"
source_version = "1"

[[rule]]
id = "kx.pq_hybrid"
kind = "post_quantum"
severity = "info"
deadline = "2030-12-31"
message = "Offer the hybrid X25519MLKEM768 (OpenSSL >= 3.5: -groups X25519MLKEM768:X25519)."
"#,
    )
    .unwrap();
    let policy = policy.display().to_string();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
            .args([
                "scan",
                &s.target(),
                "--sni",
                "localhost",
                "--policy",
                &policy,
            ])
            .args(["--only", "groups", "-q"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "advisory: the verdict stands");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &v["targets"][0];
    assert_eq!(t["policy"]["verdict"], "compliant");
    assert_eq!(t["policy"]["rules"][0]["status"], "fail");
    assert_eq!(
        t["policy"]["rules"][0]["evidence"],
        "TLSv1.3 accepts x25519, secp256r1 (in the server's order)"
    );
    assert_eq!(t["post_quantum"]["status"], "classical_only");
    assert_eq!(
        t["post_quantum"]["deadlines"],
        serde_json::json!([{"policy": "pq-readiness", "rule": "kx.pq_hybrid", "date": "2030-12-31"}])
    );
    let out = run(&["--fail-on", "info"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("  Post-quantum classical key exchange only  TLSv1.3 accepts x25519, secp256r1 (in the server's order); pq-readiness sets 2030-12-31 for leaving classical-only key exchange (kx.pq_hybrid)\n"),
        "{text}"
    );
}
