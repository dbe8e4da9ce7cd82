//! `scan --format html`: one self-contained page from a real server's scan.

use std::process::Command;

use fixtures::servers::{openssl_s_server, self_signed, KeyType};

use crate::common::require;

#[test]
fn html_report_of_a_real_server_and_an_unreachable_one() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "html",
        &cert,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
        ],
    )
    .unwrap();
    // A port nothing listens on: the page says so for that target and goes on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["scan", &s.target(), &closed.to_string()])
        .args(["--policy", "multisafepay", "--format", "html", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.stdout.is_empty(), "the page goes to the file only");
    let html = std::fs::read_to_string(&file).unwrap();
    // A target that could not be scanned makes the run exit 3, whatever the others say.
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.trim_end().ends_with("</body>\n</html>"));
    let (target, down) = (s.target(), closed.to_string());
    for want in [
        // The index, then each target's verdict before its facts.
        format!("<a href=\"#target-1\">{target}</a></td><td><span class=\"badge not-compliant\">NOT COMPLIANT</span>"),
        format!("<a href=\"#target-2\">{down}</a></td><td><span class=\"badge incomplete\">INCOMPLETE</span>"),
        format!("<h2>{target}</h2>"),
        "<span class=\"badge not-compliant\">NOT COMPLIANT</span> policy <strong>multisafepay</strong> \
         <span class=\"dim\">(8 of 9 rules passed; failing on error and above; version as published; kept in the project&#39;s shared/seed/tls-protocols.md, not pinned)</span>"
            .to_string(),
        "<td class=\"rating nowrap bad\">FAIL</td><td class=\"bad\">error</td>\
         <td><span class=\"mono\">cert.chain.invalid</span>"
            .to_string(),
        "<strong>Fix:</strong> Serve a certificate for this host name".to_string(),
        // Only TLS 1.2, with exactly the two suites, rated as in the text report.
        "<tr><td><strong>TLSv1.2</strong></td><td class=\"rating good\">yes</td><td>2</td>".to_string(),
        "<tr><td><strong>TLSv1.3</strong></td><td class=\"rating dim\">no</td>".to_string(),
        "TLSv1.2 <span class=\"dim\">&middot; 2 suites &middot; client order (server has no preference)</span>".to_string(),
        "<td class=\"mono weak\">TLS_RSA_WITH_AES_128_CBC_SHA</td><td class=\"mono\">AES128-SHA</td>".to_string(),
        "<td class=\"mono good\">TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256</td>".to_string(),
        // The self-signed certificate and its finding.
        "<div class=\"subject\">#0 CN=localhost</div>".to_string(),
        "<td class=\"mono\">cert.self_signed</td>".to_string(),
        "<h3>Key exchange groups</h3>".to_string(),
        "<h3>Signature schemes</h3>".to_string(),
        "<h3>Features</h3>".to_string(),
        // The unreachable target: the reason, once, in its verdict.
        format!("<span class=\"badge incomplete\">INCOMPLETE</span> policy <strong>multisafepay</strong> \
                 <span class=\"dim\">(not scanned: {down}: connection refused)</span>"),
    ] {
        assert!(html.contains(&want), "missing {want:?} in\n{html}");
    }
    assert!(
        html.find("cert.chain.invalid").unwrap() < html.find("<h3>Protocol versions</h3>").unwrap()
    );
    // Self-contained: no scripts, no links to anything outside the page.
    for banned in [
        "<script", "<link", "src=", "http://", "https://", "@import", "url(",
    ] {
        assert!(!html.contains(banned), "{banned} in the page");
    }

    // A saved JSON report renders the same way through `policy check`.
    let json = dir.path().join("facts.json");
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["scan", &target, "--policy", "none", "-f", "json", "-o"])
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["policy", "check", "--policy", "multisafepay", "-f", "html"])
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<td class=\"mono good\">TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256</td>"));
    assert!(page.contains("<span class=\"badge not-compliant\">NOT COMPLIANT</span> policy"));
}
