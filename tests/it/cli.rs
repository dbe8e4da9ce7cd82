//! The `scan` command line: target lists, SNI choices, address pinning, IPv6, output hygiene.

use std::io::Write;
use std::process::{Command, Stdio};

use fixtures::servers::{openssl_s_server, openssl_s_server_on, self_signed, KeyType};

fn tlsaudit(args: &[&str], stdin: Option<&str>) -> (Option<i32>, String, String) {
    // These tests are about scanning, not judging: facts only.
    let mut all = args.to_vec();
    if args.first() == Some(&"scan") {
        all.extend(["--policy", "none"]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(&all)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[test]
fn targets_from_a_file_and_from_stdin_with_comments() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let a = openssl_s_server("a", &cert, &["-tls1_3"]).unwrap();
    let b = openssl_s_server("b", &cert, &["-tls1_2", "-cipher", "AES128-GCM-SHA256"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("targets.txt");
    std::fs::write(
        &list,
        format!(
            "# two servers\n{}\n\n{}  # the TLS 1.2 one\n",
            a.target(),
            b.target()
        ),
    )
    .unwrap();
    let (code, out, err) = tlsaudit(
        &[
            "scan",
            "-i",
            list.to_str().unwrap(),
            "--versions",
            "tls1.2,tls1.3",
            "-f",
            "json",
        ],
        None,
    );
    assert_eq!(code, Some(0), "{err}");
    let v = json(&out);
    let t = v["targets"].as_array().unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t[0]["target"], a.target().as_str());
    assert_eq!(t[1]["protocols"][0]["version"], "TLSv1.2");
    assert_eq!(t[1]["protocols"][0]["cipher_suites"][0]["id"], "0x009c");
    assert_eq!(
        t[0]["protocols"].as_array().unwrap().len(),
        2,
        "only the versions asked for"
    );

    let (code, out, _) = tlsaudit(
        &["scan", "-", "--versions", "tls1.3", "-f", "jsonl"],
        Some(&format!("{}\n", a.target())),
    );
    assert_eq!(code, Some(0));
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(json(lines[0])["protocols"][0]["supported"], true);
}

#[test]
fn sni_choices_and_pinned_address() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server("sni", &cert, &["-tls1_3"]).unwrap();
    let port = s.port().to_string();
    let (_, out, _) = tlsaudit(
        &["scan", &s.target(), "--versions", "tls1.3", "-f", "json"],
        None,
    );
    assert_eq!(
        json(&out)["targets"][0]["sni"],
        serde_json::Value::Null,
        "no SNI for an IP literal"
    );
    let (_, out, _) = tlsaudit(
        &[
            "scan",
            &s.target(),
            "--sni",
            "www.example.com",
            "--versions",
            "tls1.3",
            "-f",
            "json",
        ],
        None,
    );
    assert_eq!(json(&out)["targets"][0]["sni"], "www.example.com");
    // --ip pins the address: the name is never resolved, and it is still sent in SNI.
    let target = format!("api.merchant.invalid:{port}");
    let (code, out, err) = tlsaudit(
        &[
            "scan",
            &target,
            "--ip",
            "127.0.0.1",
            "--versions",
            "tls1.3",
            "-f",
            "json",
        ],
        None,
    );
    assert_eq!(code, Some(0), "{err}");
    let t = &json(&out)["targets"][0];
    assert_eq!(
        (t["ip"].as_str(), t["sni"].as_str()),
        (Some("127.0.0.1"), Some("api.merchant.invalid"))
    );
    assert_eq!(t["protocols"][0]["supported"], true);
    let (_, out, _) = tlsaudit(
        &[
            "scan",
            &target,
            "--ip",
            "127.0.0.1",
            "--no-sni",
            "--versions",
            "tls1.3",
            "-f",
            "json",
        ],
        None,
    );
    assert_eq!(json(&out)["targets"][0]["sni"], serde_json::Value::Null);
}

#[test]
fn ipv6_loopback() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipping: no IPv6 loopback on this machine");
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server_on("v6", "[::1]", &cert, &["-tls1_3"]).unwrap();
    let target = format!("[::1]:{}", s.port());
    let (code, out, err) = tlsaudit(
        &["scan", &target, "--versions", "tls1.2,tls1.3", "-f", "json"],
        None,
    );
    assert_eq!(code, Some(0), "{err}");
    let t = &json(&out)["targets"][0];
    assert_eq!(t["ip"], "::1");
    assert_eq!(t["protocols"][1]["supported"], true);
    assert_eq!(t["protocols"][0]["supported"], false);
}

#[test]
fn text_report_has_no_colour_when_piped_and_usage_errors_exit_2() {
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "txt",
        &cert,
        &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
    )
    .unwrap();
    let (code, out, _) = tlsaudit(&["scan", &s.target()], None);
    assert_eq!(code, Some(0));
    assert!(!out.contains('\x1b'), "escape codes in piped output");
    assert!(
        out.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
            && out.contains("ECDHE-RSA-AES128-GCM-SHA256"),
        "{out}"
    );
    assert!(out.contains("TLSv1.0  not offered"), "{out}");
    assert_eq!(tlsaudit(&["scan"], None).0, Some(2), "no targets");
    assert_eq!(
        tlsaudit(&["scan", "x", "--versions", "tls9"], None).0,
        Some(2)
    );
    assert_eq!(
        tlsaudit(&["scan", "-i", "/nonexistent/list"], None).0,
        Some(2)
    );
    assert_eq!(tlsaudit(&["scan", "x", "--timeout", "-1"], None).0, Some(2));
}

/// The subcommands every generated artefact must know.
const SUBCOMMANDS: [&str; 8] = [
    "scan",
    "client",
    "demo",
    "schema",
    "policy",
    "serve",
    "completions",
    "man",
];

#[test]
fn completions_for_every_shell_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = tlsaudit(&["completions", shell], None);
        assert_eq!(code, Some(0), "{shell}: {err}");
        for sub in SUBCOMMANDS {
            assert!(out.contains(sub), "{shell} completions lack {sub}");
        }
    }
    // The bash script parses.
    let (_, script, _) = tlsaudit(&["completions", "bash"], None);
    let mut bash = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    bash.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let checked = bash.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let (code, _, err) = tlsaudit(&["completions", "tcsh"], None);
    assert_eq!(code, Some(2));
    assert!(err.contains("possible values"), "{err}");
}

#[test]
fn man_page_is_roff_with_a_page_per_subcommand() {
    let (code, out, err) = tlsaudit(&["man"], None);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with(".ie") || out.contains("\n.TH tlsaudit 1"),
        "{out}"
    );
    for sub in SUBCOMMANDS {
        assert!(
            out.contains(&format!(".TH tlsaudit-{sub} 1")),
            "no page for {sub}"
        );
    }
    // Every flag of scan is documented on its page.
    assert!(
        out.contains("min\\-grade") && out.contains("starttls"),
        "{out}"
    );
}
