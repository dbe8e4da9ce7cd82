//! The progress bar of `tlsaudit scan`: drawn only on a terminal stderr, so a piped stderr (CI
//! logs, these tests) stays empty; `--quiet` turns it off everywhere.

use std::process::{Command, Stdio};

use fixtures::servers::{openssl_s_server, self_signed, KeyType};

use crate::common::require;

/// Runs the binary with stdout and stderr piped: (exit code, stdout, stderr).
fn tlsaudit(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_piped_stderr_gets_no_progress_bar_and_quiet_is_accepted() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::EcdsaP256).unwrap();
    let server = openssl_s_server("progress", &cert, &["-tls1_3"]).unwrap();
    let target = server.target();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.jsonl");
    let file = file.to_str().unwrap();
    let base = [
        "scan",
        target.as_str(),
        target.as_str(),
        target.as_str(),
        "--policy",
        "none",
        "--versions",
        "tls1.2,tls1.3",
        "--no-certs",
        "--quick",
        "-f",
        "jsonl",
        "-o",
        file,
    ];
    for extra in [&[][..], &["--quiet"][..], &["-q"][..]] {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let (code, out, err) = tlsaudit(&args);
        assert_eq!(code, Some(0), "{extra:?}: {err}");
        assert_eq!(err, "", "{extra:?}: nothing on a piped stderr");
        assert_eq!(out, "", "{extra:?}: the report went to -o");
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(file)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{extra:?}");
        for t in &lines {
            assert_eq!(t["target"], target.as_str());
            assert_eq!(t["protocols"][0]["version"], "TLSv1.2");
            assert_eq!(t["protocols"][0]["supported"], false);
            assert_eq!(t["protocols"][1]["version"], "TLSv1.3");
            assert_eq!(t["protocols"][1]["supported"], true);
        }
    }
    // Text to a piped stdout: the report, and still nothing on stderr.
    let (code, out, err) = tlsaudit(&base[..base.len() - 4]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "");
    assert!(out.matches(target.as_str()).count() >= 3, "{out}");
}
