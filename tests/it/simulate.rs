//! Who can connect: the prediction from facts against the live replay of every captured
//! client's hello, and against the real client programs themselves, on real servers.

use std::process::Command;

use fixtures::servers::{gnutls_serv, nginx, openssl_s_server, self_signed, KeyType};
use serde_json::Value;
use tlsaudit::wire::registry;

use crate::common::require;

fn tlsaudit(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(args)
        .args(["--sni", "localhost", "--policy", "none", "-f", "json", "-q"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// (id, connects, version, suite) of every simulated client.
fn predictions(target: &Value) -> Vec<(String, bool, String, String)> {
    target["simulation"]["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["connects"].as_bool().unwrap(),
                c["protocol"].as_str().unwrap_or("").to_string(),
                c["cipher_suite"]["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Every captured client, replayed live, agrees with its prediction; the replay costs one
/// connection per client, the prediction none.
fn live_agrees_with_prediction(target: &str) {
    let predicted = tlsaudit(&["scan", target, "--clients", "captured"]);
    let live = tlsaudit(&[
        "scan",
        target,
        "--clients",
        "captured",
        "--simulate",
        "live",
    ]);
    let (p, l) = (&predicted["targets"][0], &live["targets"][0]);
    let clients = l["simulation"]["clients"].as_array().unwrap();
    assert!(clients.len() >= 10, "{clients:?}");
    for c in clients {
        let live = &c["live"];
        assert_eq!(
            live["agrees"], true,
            "{target}: {} predicted {} {} {}, live {}",
            c["id"], c["connects"], c["protocol"], c["cipher_suite"], live["evidence"]
        );
    }
    assert!(p["simulation"]["clients"][0].get("live").is_none());
    assert_eq!(
        predictions(p),
        predictions(l),
        "the same prediction either way"
    );
    assert_eq!(
        l["connections"].as_u64().unwrap() - p["connections"].as_u64().unwrap(),
        clients.len() as u64,
        "one connection per replayed client"
    );
}

#[test]
fn prediction_equals_live_replay_on_openssl_nginx_and_gnutls() {
    if !require("openssl") || !require("nginx") || !require("gnutls-serv") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    let ecdsa = self_signed(KeyType::EcdsaP256).unwrap();
    let s = openssl_s_server(
        "sim-openssl",
        &rsa,
        &[
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:AES256-SHA",
            "-ciphersuites",
            "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
            "-serverpref",
        ],
    )
    .unwrap();
    live_agrees_with_prediction(&s.target());
    let n = nginx(
        "sim-nginx",
        &ecdsa,
        "ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256;\n    ssl_prefer_server_ciphers on;",
    )
    .unwrap();
    live_agrees_with_prediction(&n.target());
    let g = gnutls_serv(
        "sim-gnutls",
        &rsa,
        "NORMAL:-VERS-TLS-ALL:+VERS-TLS1.2:+VERS-TLS1.1",
    )
    .unwrap();
    live_agrees_with_prediction(&g.target());
}

/// The IANA name of a suite a program printed by its OpenSSL or IANA name.
fn iana(name: &str) -> String {
    registry::suite_by_name(name.trim())
        .map(|s| s.iana_name.to_string())
        .unwrap_or_else(|| name.trim().to_string())
}

/// Reads a program's output: (version, IANA suite).
type Parse = fn(&str) -> Option<(String, String)>;

/// What a real client program negotiated with `port`: (version, IANA suite), or None when
/// the handshake failed.
fn real_client(program: &str, port: u16) -> Option<(String, String)> {
    let url = format!("https://localhost:{port}/");
    let (out, parse): (_, Parse) = match program {
        "openssl" => (
            Command::new("openssl")
                .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
                .args(["-servername", "localhost"])
                .stdin(std::process::Stdio::null())
                .output(),
            |o| {
                // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"
                let line = o.lines().find(|l| l.starts_with("New, TLS"))?;
                let mut parts = line.trim_start_matches("New, ").split(", Cipher is ");
                Some((parts.next()?.to_string(), iana(parts.next()?)))
            },
        ),
        "python3" => (
            Command::new("python3")
                .arg("-c")
                .arg(format!(
                    "import socket, ssl\nc = ssl.create_default_context()\nc.check_hostname = False\nc.verify_mode = ssl.CERT_NONE\n\
                     s = c.wrap_socket(socket.create_connection(('127.0.0.1', {port})), server_hostname='localhost')\n\
                     print(s.version(), s.cipher()[0])"
                ))
                .output(),
            |o| {
                let mut w = o.split_whitespace();
                Some((w.next()?.to_string(), iana(w.next()?)))
            },
        ),
        "curl" => (
            Command::new("curl")
                .args(["-skv", "-o", "/dev/null", &url])
                .output(),
            |o| {
                // "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384"
                let line = o.lines().find(|l| l.contains("SSL connection using"))?;
                let rest = line.split("SSL connection using ").nth(1)?;
                let mut parts = rest.split(" / ");
                Some((parts.next()?.to_string(), iana(parts.next()?)))
            },
        ),
        "node" => (
            Command::new("node")
                .arg("-e")
                .arg(format!(
                    "const s = require('tls').connect({{host: '127.0.0.1', port: {port}, servername: 'localhost', rejectUnauthorized: false}}, \
                     () => {{ console.log(s.getProtocol(), s.getCipher().standardName); s.end(); }}); s.on('error', () => process.exit(1));"
                ))
                .output(),
            |o| {
                let mut w = o.split_whitespace();
                Some((w.next()?.to_string(), iana(w.next()?)))
            },
        ),
        "gnutls-cli" => (
            Command::new("gnutls-cli")
                .args(["--insecure", "--sni-hostname", "localhost", "-p", &port.to_string()])
                .arg("127.0.0.1")
                .stdin(std::process::Stdio::null())
                .output(),
            |o| {
                // "- Description: (TLS1.3-X.509)-(ECDHE-X25519)-(RSA-PSS-RSAE-SHA256)-(CHACHA20-POLY1305)"
                let line = o.lines().find(|l| l.starts_with("- Description: "))?;
                let parts: Vec<&str> = line
                    .trim_start_matches("- Description: ")
                    .split(")-(")
                    .map(|p| p.trim_matches(|c| c == '(' || c == ')'))
                    .collect();
                let version = parts.first()?.split('-').next()?.replace("TLS1.", "TLSv1.");
                let (kx, cipher) = (parts.get(1)?, parts.last()?);
                let cipher = match *cipher {
                    "AES-128-GCM" => "AES_128_GCM",
                    "AES-256-GCM" => "AES_256_GCM",
                    "CHACHA20-POLY1305" => "CHACHA20_POLY1305",
                    other => other,
                };
                let suite = if version == "TLSv1.3" {
                    let hash = if cipher == "AES_256_GCM" { "SHA384" } else { "SHA256" };
                    format!("TLS_{cipher}_{hash}")
                } else {
                    let kx = kx.split('-').next()?;
                    let hash = if cipher == "AES_256_GCM" { "SHA384" } else { "SHA256" };
                    format!("TLS_{kx}_RSA_WITH_{cipher}_{hash}")
                };
                Some((version, suite))
            },
        ),
        "java" => {
            let dir = tempfile::tempdir().ok()?;
            let src = dir.path().join("Probe.java");
            std::fs::write(&src, JAVA_PROBE).ok()?;
            (
                Command::new("java").arg(&src).arg(port.to_string()).output(),
                |o| {
                    let line = o.lines().find(|l| l.starts_with("TLSv"))?;
                    let mut w = line.split_whitespace();
                    Some((w.next()?.to_string(), iana(w.next()?)))
                },
            )
        }
        _ => return None,
    };
    let out = out.ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    parse(&text)
}

/// A JSSE client with the JDK's defaults (as `HttpsURLConnection` uses them), trusting any
/// certificate, printing the negotiated version and suite.
const JAVA_PROBE: &str = r#"
import javax.net.ssl.*;
import java.security.cert.X509Certificate;
public class Probe {
    public static void main(String[] a) throws Exception {
        TrustManager[] any = { new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String s) {}
            public void checkServerTrusted(X509Certificate[] c, String s) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        } };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, any, null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", Integer.parseInt(a[0]));
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(java.util.List.of(new SNIHostName("localhost")));
        s.setSSLParameters(p);
        s.startHandshake();
        System.out.println(s.getSession().getProtocol() + " " + s.getSession().getCipherSuite());
        s.close();
    }
}
"#;

#[test]
fn prediction_equals_what_the_real_client_programs_negotiate() {
    for program in ["openssl", "python3", "curl", "node", "gnutls-cli", "java"] {
        if !require(program) {
            return;
        }
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    // Server order, so the suite is the server's choice among what each client offers; and a
    // TLS 1.2-only server, where the TLS 1.2 preferences show.
    let servers = [
        openssl_s_server(
            "sim-real-13",
            &rsa,
            &[
                "-www",
                "-cipher",
                "ECDHE-RSA-AES128-GCM-SHA256",
                "-ciphersuites",
                "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
                "-serverpref",
            ],
        )
        .unwrap(),
        openssl_s_server(
            "sim-real-12",
            &rsa,
            &[
                "-www",
                "-tls1_2",
                "-cipher",
                "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384",
            ],
        )
        .unwrap(),
    ];
    for s in &servers {
        let report = tlsaudit(&[
            "scan",
            &s.target(),
            "--clients",
            "openssl-3.0,python-3.11,curl-7.88,node-20,gnutls-cli-3.7,java-17-urlconnection",
        ]);
        let predicted = predictions(&report["targets"][0]);
        for (id, program) in [
            ("openssl-3.0", "openssl"),
            ("python-3.11", "python3"),
            ("curl-7.88", "curl"),
            ("node-20", "node"),
            ("gnutls-cli-3.7", "gnutls-cli"),
            ("java-17-urlconnection", "java"),
        ] {
            let (_, connects, version, suite) = predicted
                .iter()
                .find(|p| p.0 == id)
                .unwrap_or_else(|| panic!("no prediction for {id}"))
                .clone();
            let port: u16 = s.target().rsplit(':').next().unwrap().parse().unwrap();
            let real = real_client(program, port);
            assert_eq!(
                real,
                connects.then(|| (version.clone(), suite.clone())),
                "{program} against {}: predicted {connects} {version} {suite}",
                s.target()
            );
        }
    }
}

#[test]
fn a_client_that_cannot_connect_gets_the_reason_and_the_real_one_fails_too() {
    if !require("openssl") {
        return;
    }
    let rsa = self_signed(KeyType::Rsa2048).unwrap();
    // TLS 1.3 with only TLS_AES_128_CCM_SHA256, which OpenSSL clients do not offer by default.
    let s = openssl_s_server(
        "sim-ccm",
        &rsa,
        &["-www", "-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"],
    )
    .unwrap();
    let report = tlsaudit(&[
        "scan",
        &s.target(),
        "--clients",
        "openssl-3.0,java-7,multisafepay-notifier",
    ]);
    let clients = report["targets"][0]["simulation"]["clients"]
        .as_array()
        .unwrap();
    let reason = |id: &str| {
        clients
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| {
                (
                    c["connects"].clone(),
                    c["reason"].as_str().unwrap_or("").to_string(),
                )
            })
            .unwrap()
    };
    assert_eq!(
        reason("java-7"),
        (
            Value::Bool(false),
            "no common version: the server offers TLSv1.3; the client speaks TLSv1.0, SSLv3".into()
        )
    );
    assert_eq!(
        reason("openssl-3.0"),
        (
            Value::Bool(false),
            "no common cipher suite at TLSv1.3: the server accepts TLS_AES_128_CCM_SHA256; the client offers none of them".into()
        )
    );
    assert_eq!(reason("multisafepay-notifier").0, Value::Bool(false));
    let port: u16 = s.target().rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(
        real_client("openssl", port),
        None,
        "real s_client fails too"
    );
}
