//! `tlsaudit serve`: the binary on 127.0.0.1 with a port the kernel picks, spoken to with plain
//! HTTP/1.1 over a TcpStream, scanning real servers on loopback. Every target outside loopback
//! here (192.0.2.0/24, TEST-NET-1) must be refused before any connection is made.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fixtures::servers::{nginx_mail, openssl_s_server, self_signed, KeyType, NGINX_MAIL_MODULE};
use serde_json::Value;
use tlsaudit::facts::TlsVersion;
use tlsaudit::policy::{profiles, Verdict};
use tlsaudit::probe::starttls::Starttls;
use tlsaudit::report::TargetReport;

use crate::common::{ids, require, sorted, suites, versions};

/// A running `tlsaudit serve`, killed on drop.
pub(crate) struct Serve {
    child: Child,
    pub(crate) addr: String,
    /// The data directory of a serve started without `--store`: its default store goes
    /// there, never into the home directory of whoever runs the tests.
    _data: Option<tempfile::TempDir>,
}

impl Serve {
    /// The data directory its default store went into, when started without `--store`.
    pub(crate) fn data_dir(&self) -> Option<&std::path::Path> {
        self._data.as_ref().map(|d| d.path())
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tlsaudit serve --listen 127.0.0.1:0 ARGS` and reads the address it printed.
pub(crate) fn serve(args: &[&str]) -> Serve {
    let data = (!args.contains(&"--store")).then(|| tempfile::tempdir().unwrap());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tlsaudit"));
    if let Some(d) = &data {
        cmd.env("XDG_DATA_HOME", d.path());
    }
    let mut child = cmd
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tlsaudit serve starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    // stderr is drained all along (a full pipe would stall the server) and kept, so a serve
    // that fails to start says why.
    let stderr = child.stderr.take().expect("stderr is piped");
    let said = Arc::new(std::sync::Mutex::new(String::new()));
    let kept = said.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(mut k) = kept.lock() {
                if k.len() < 64 * 1024 {
                    k.push_str(&line);
                    k.push('\n');
                }
            }
        }
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let mut s = Serve {
        child,
        addr: String::new(),
        _data: data,
    };
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("tlsaudit serve prints its address");
    s.addr = line
        .trim()
        .strip_prefix("tlsaudit serve: listening on http://")
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| {
            std::thread::sleep(Duration::from_millis(200));
            let stderr = said.lock().map(|s| s.clone()).unwrap_or_default();
            panic!("unexpected first line {line:?}; stderr:\n{stderr}")
        })
        .to_string();
    s
}

/// One response: status, lower-case headers, body.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: String,
    pub(crate) body: String,
}

impl Response {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// `GET path` over HTTP/1.1 with `Connection: close`.
pub(crate) fn get(addr: &str, path: &str) -> Response {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(180))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).expect("UTF-8 response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    Response {
        status,
        headers: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

#[test]
fn form_api_and_report_of_a_real_server() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "serve",
        &cert,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
        ],
    )
    .unwrap();
    let srv = serve(&[]);
    let target = s.target();

    // The form: the target field, every built-in policy (the default selected), STARTTLS.
    let r = get(&srv.addr, "/");
    assert_eq!(r.status, 200);
    assert!(r.headers.contains("content-type: text/html; charset=utf-8"));
    assert!(r
        .headers
        .contains("content-security-policy: default-src 'none'"));
    for want in [
        "<form action=\"/scan\" method=\"get\">",
        "<input id=\"target\" name=\"target\" placeholder=\"host[:port]\" required maxlength=\"300\"",
        "<option value=\"multisafepay\" selected>multisafepay &mdash; MultiSafepay: TLS protocols",
        "<option value=\"mozilla-intermediate\">mozilla-intermediate &mdash; Mozilla Server Side TLS: Intermediate</option>",
        "<option value=\"none\">none &mdash; facts only, no verdict</option>",
        "<option value=\"smtp\">SMTP (port 25 by default)</option>",
        "scans only addresses in 127.0.0.0/8, ::1/128.",
    ] {
        assert!(r.body.contains(want), "missing {want:?} in\n{}", r.body);
    }
    for name in profiles::NAMES {
        assert!(r.body.contains(&format!("<option value=\"{name}\"")));
    }

    // The policies.
    let r = get(&srv.addr, "/api/policies");
    assert_eq!(r.status, 200);
    assert!(r.headers.contains("content-type: application/json"));
    let list = r.json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, profiles::NAMES);
    let defaults: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["default"] == Value::Bool(true))
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(defaults, ["multisafepay"]);

    // The API: one judged target, exactly the server's configuration.
    let r = get(
        &srv.addr,
        &format!("/api/scan?target={target}&policy=multisafepay"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let api = r.json();
    let t: TargetReport = serde_json::from_value(api.clone()).unwrap();
    assert_eq!(t.error, None);
    assert_eq!(t.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(versions(&t), vec![TlsVersion::Tls12]);
    assert_eq!(
        sorted(suites(&t, TlsVersion::Tls12)),
        ids(&[0x002f, 0xc02f])
    );
    let p = t.policy.as_ref().expect("judged");
    assert_eq!(p.policy, "multisafepay");
    assert_eq!(p.verdict, Verdict::NotCompliant);
    let failed: Vec<&str> = p.failed().map(|r| r.id.as_str()).collect();
    assert_eq!(failed, ["cert.chain.invalid"]);

    // The same object as a `targets[]` entry of `scan --format json`.
    let out = Command::new(env!("CARGO_BIN_EXE_tlsaudit"))
        .args(["scan", &target, "--policy", "multisafepay", "-f", "json"])
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cli = &cli["targets"][0];
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&api), keys(cli));
    for same in ["target", "ip", "sni", "protocols", "policy", "groups"] {
        assert_eq!(api[same], cli[same], "{same}");
    }

    // Facts only.
    let r = get(&srv.addr, &format!("/api/scan?target={target}&policy=none"));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["policy"], Value::Null);

    // The form leads to the scan's own page (303), and once done that page is the report of
    // render::html: verdict and suites.
    let r = get(
        &srv.addr,
        &format!("/scan?target={target}&policy=multisafepay&starttls="),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let link = crate::web::location(&r);
    crate::web::wait_done(&srv.addr, &link);
    let r = get(&srv.addr, &link);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.headers.contains("content-type: text/html; charset=utf-8"));
    for want in [
        "<!DOCTYPE html>".to_string(),
        "<nav class=\"site\"><a href=\"/\">Scan a server</a>".to_string(),
        "<h1>TLS report</h1>".to_string(),
        format!("<h2>{target}</h2>"),
        "<span class=\"badge not-compliant\">NOT COMPLIANT</span> policy <strong>multisafepay</strong>"
            .to_string(),
        "<span class=\"mono\">cert.chain.invalid</span>".to_string(),
        "<td class=\"mono good\">TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256</td>".to_string(),
        "<td class=\"mono weak\">TLS_RSA_WITH_AES_128_CBC_SHA</td>".to_string(),
    ] {
        assert!(r.body.contains(&want), "missing {want:?} in\n{}", r.body);
    }
}

#[test]
fn refuses_targets_outside_the_allow_list() {
    let srv = serve(&[]);
    // TEST-NET-1: refused on the address alone, before any connection.
    let refused = "refused to scan 192.0.2.1: outside the addresses this server may scan \
                   (127.0.0.0/8, ::1/128); its operator can allow more with --allow CIDR";
    let r = get(&srv.addr, "/api/scan?target=192.0.2.1:443");
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], refused);
    // An IPv4-mapped IPv6 address is the IPv4 address it carries.
    let r = get(
        &srv.addr,
        "/api/scan?target=%5B%3A%3Affff%3A192.0.2.1%5D%3A443",
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], refused);
    let r = get(&srv.addr, "/scan?target=https%3A%2F%2F192.0.2.1%2F&policy=");
    assert_eq!(r.status, 403);
    assert!(r
        .body
        .contains(&format!("<p class=\"error\">{refused}</p>")));
    let r = get(&srv.addr, "/api/scan?target=0.0.0.0:443");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["error"],
        "refused to scan 0.0.0.0: not the address of one host"
    );

    // A name is checked by the address it resolves to, and that address is the one scanned.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = get(&srv.addr, &format!("/api/scan?target=localhost:{closed}"));
    assert_eq!(r.status, 200, "{}", r.body);
    let t: TargetReport = serde_json::from_value(r.json()).unwrap();
    let ip: std::net::IpAddr = t.ip.as_deref().unwrap().parse().unwrap();
    assert!(ip.is_loopback(), "{ip}");
    assert_eq!(t.sni.as_deref(), Some("localhost"));
    assert!(t.error.is_some());

    // --allow replaces the default: loopback is then refused too, and no connection reaches
    // the listener (a connection would wait in its backlog before the answer was sent).
    let srv = serve(&["--allow", "192.0.2.0/24"]);
    let watch = TcpListener::bind("127.0.0.1:0").unwrap();
    watch.set_nonblocking(true).unwrap();
    let port = watch.local_addr().unwrap().port();
    for path in [
        format!("/api/scan?target=127.0.0.1:{port}"),
        format!("/api/scan?target=localhost:{port}"),
    ] {
        let r = get(&srv.addr, &path);
        assert_eq!(r.status, 403, "{path}");
        let e = r.json()["error"].as_str().unwrap().to_string();
        assert!(
            e.ends_with(
                "outside the addresses this server may scan (192.0.2.0/24); \
                 its operator can allow more with --allow CIDR"
            ),
            "{e}"
        );
        assert!(
            e.starts_with("refused to scan 127.0.0.1: ")
                || e.starts_with("refused to scan localhost: it resolves to "),
            "{e}"
        );
    }
    assert_eq!(
        watch.accept().map(|_| ()).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock)
    );
}

#[test]
fn bad_input_is_a_400_that_says_why() {
    let srv = serve(&[]);
    let long = "a".repeat(301);
    for (query, want) in [
        ("", "give a target: HOST[:PORT]"),
        ("target=", "give a target: HOST[:PORT]"),
        ("target=bad%20host", "bad host: 'bad host' is not a host name or address"),
        ("target=host:99999", "host:99999: '99999' is not a port (1-65535)"),
        ("target=%5B%3A%3A1", "[::1: missing ']' after an IPv6 address"),
        (
            &format!("target={long}"),
            "the target is 301 bytes long; at most 300 are accepted",
        ),
        (
            "target=127.0.0.1:1&policy=nope",
            "unknown policy 'nope' (use one of multisafepay, mozilla-modern, mozilla-intermediate, \
             mozilla-old, nist-800-52r2, pci-dss-4, bsi-tr-02102-2, ncsc-nl, cnsa-2.0, or none)",
        ),
        (
            // A request never names a file on the server.
            "target=127.0.0.1:1&policy=%2Fetc%2Fpasswd",
            "unknown policy '/etc/passwd' (use one of multisafepay, mozilla-modern, \
             mozilla-intermediate, mozilla-old, nist-800-52r2, pci-dss-4, bsi-tr-02102-2, ncsc-nl, cnsa-2.0, or none)",
        ),
        (
            "target=127.0.0.1:1&starttls=gopher",
            "unknown STARTTLS protocol 'gopher' (use smtp, imap, pop3, postgres, ftp, xmpp, ldap, mysql, nntp, irc, sieve, lmtp or none)",
        ),
    ] {
        let r = get(&srv.addr, &format!("/api/scan?{query}"));
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(r.json()["error"], want, "{query}");
    }
    // Not UTF-8, a NUL, a field twice: still a 400 with a reason.
    let r = get(&srv.addr, "/api/scan?target=%FF");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"],
        "\u{fffd}: '\u{fffd}' is not a host name or address"
    );
    let r = get(&srv.addr, "/api/scan?target=a%00b");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"],
        "a\0b: 'a\0b' is not a host name or address"
    );
    let r = get(&srv.addr, "/api/scan?target=a&target=b");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"],
        "bad query: Failed to deserialize query string: duplicate field `target`"
    );
    // The page escapes what was typed.
    let r = get(&srv.addr, "/scan?target=%3Cscript%3Ex%3C%2Fscript%3E");
    assert_eq!(r.status, 400);
    assert!(r.body.contains("&lt;script&gt;x&lt;/script&gt;"));
    assert!(!r.body.contains("<script>"));
    let r = get(&srv.addr, "/nothing-here");
    assert_eq!(r.status, 404);
}

/// A loopback server that accepts connections and never says a word, counting them.
pub(crate) struct Silent {
    pub(crate) port: u16,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Silent {
    pub(crate) fn start() -> Silent {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (accepted.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !s.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((conn, _)) => {
                        a.fetch_add(1, Ordering::SeqCst);
                        held.push(conn);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Silent {
            port,
            accepted,
            stop,
        }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn a_busy_server_says_429_and_a_scan_past_its_deadline_504() {
    let silent = Silent::start();
    let srv = serve(&["--max-scans", "1", "--scan-timeout", "6"]);
    let addr = srv.addr.clone();
    let path = format!("/api/scan?target=127.0.0.1:{}", silent.port);
    let first = {
        let (addr, path) = (addr.clone(), path.clone());
        std::thread::spawn(move || get(&addr, &path))
    };
    // The first scan holds the only slot once it has connected to the silent server.
    let deadline = Instant::now() + Duration::from_secs(60);
    while silent.accepted.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the first scan never connected");
        std::thread::sleep(Duration::from_millis(10));
    }
    let r = get(&addr, &path);
    assert_eq!(r.status, 429);
    assert_eq!(
        r.json()["error"],
        "this server already runs 1 scan at once; try again in a minute"
    );
    let r = get(&addr, &format!("/scan?target=127.0.0.1:{}", silent.port));
    assert_eq!(r.status, 429);
    assert!(r.body.contains("already runs 1 scan at once"));
    // A refused address is refused at once, busy or not.
    let r = get(&addr, "/api/scan?target=192.0.2.1");
    assert_eq!(r.status, 403);

    // The silent server never answers: the first scan ends at its deadline...
    let r = first.join().unwrap();
    assert_eq!(r.status, 504);
    assert_eq!(
        r.json()["error"],
        "the scan did not finish within 6 seconds"
    );
    // ...and gives its slot back.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = get(&addr, &format!("/api/scan?target=127.0.0.1:{closed}"));
    assert_eq!(r.status, 200);
    assert!(r.json()["error"].as_str().is_some());
}

#[test]
fn starttls_and_an_operators_own_policy_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("house.toml");
    let text = tlsaudit::policy::profiles::builtin("mozilla-modern")
        .unwrap()
        .replace("name = \"mozilla-modern\"", "name = \"house\"")
        .replace(
            "title = \"Mozilla Server Side TLS: Modern\"",
            "title = \"House <rules> & more\"",
        );
    std::fs::write(&file, text).unwrap();
    let srv = serve(&["--policy", file.to_str().unwrap()]);
    // Offered after the built-ins, and the default.
    let list = get(&srv.addr, "/api/policies").json();
    let last = list.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["name"], "house");
    assert_eq!(last["default"], Value::Bool(true));
    assert_eq!(list[0]["default"], Value::Bool(false));
    let form = get(&srv.addr, "/").body;
    assert!(form.contains(
        "<option value=\"house\" selected>house &mdash; House &lt;rules&gt; &amp; more</option>"
    ));

    // STARTTLS through the API, against nginx's real SMTP proxy.
    if !require("nginx") || !std::path::Path::new(NGINX_MAIL_MODULE).exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but libnginx-mod-mail is not installed"
        );
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = nginx_mail(
        "serve-smtp",
        &cert,
        "smtp",
        "ssl_protocols TLSv1.2;\n    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;",
    )
    .unwrap();
    let r = get(
        &srv.addr,
        &format!("/api/scan?target={}&starttls=smtp", s.target()),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let t: TargetReport = serde_json::from_value(r.json()).unwrap();
    assert_eq!(t.error, None);
    assert_eq!(t.starttls, Some(Starttls::Smtp));
    assert_eq!(versions(&t), vec![TlsVersion::Tls12]);
    assert_eq!(suites(&t, TlsVersion::Tls12), ids(&[0xc02f]));
    // Judged by the default, the operator's file: TLS 1.2 is not modern.
    let p = t.policy.unwrap();
    assert_eq!(p.policy, "house");
    assert_eq!(p.verdict, Verdict::NotCompliant);
}

#[test]
fn a_client_trickling_its_headers_is_disconnected_and_connections_are_capped() {
    use std::io::{Read, Write};
    let s = serve(&["--header-timeout", "1", "--max-connections", "2"]);
    // Slowloris: half a request line, then nothing. The server must hang up by itself.
    let mut slow = std::net::TcpStream::connect(&s.addr).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    // A generous bound so a broken server fails the test instead of hanging it.
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut buf = [0u8; 512];
    let n = match slow.read(&mut buf) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => 0,
        Err(e) => panic!("the server kept a silent client past its header timeout: {e}"),
    };
    // hyper answers a header timeout by closing (possibly after a 408).
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
    // Two idle connections fill the cap: a third is closed at once, without an answer.
    let _a = std::net::TcpStream::connect(&s.addr).unwrap();
    let _b = std::net::TcpStream::connect(&s.addr).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut third = std::net::TcpStream::connect(&s.addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let _ = third.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let n = third.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "{}", String::from_utf8_lossy(&buf[..n]));
}

/// Sends `bytes` on a new connection (a write error is fine: the server may hang up first)
/// and returns what comes back until the server closes (at most 1 MB): empty when it closes
/// without a word.
fn exchange(addr: &str, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    let _ = s.write_all(bytes);
    let mut back = Vec::new();
    let mut buf = [0u8; 4096];
    while back.len() < 1 << 20 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => back.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&back).into_owned()
}

#[test]
fn hostile_http_clients_get_a_page_that_says_why_and_the_server_keeps_serving() {
    let srv = serve(&[]);
    let hello = {
        // The first bytes of a TLS ClientHello: someone pointed https:// at the page.
        let mut h = vec![
            0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03,
        ];
        h.extend([0x2a; 160]);
        h
    };
    let many_headers = {
        let mut r = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
        r.extend(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(20_000));
        r.extend(b"\r\n");
        r
    };
    let long_uri = format!(
        "GET /api/scan?target={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let big_body = {
        let mut r =
            b"POST /api/scan HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n".to_vec();
        r.extend([b'x'; 64 * 1024]);
        r
    };
    let endless_chunks = {
        let mut r =
            b"GET /api/policies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        r.extend(
            b"4000\r\n"
                .iter()
                .chain([b'y'; 0x4000].iter())
                .chain(b"\r\n")
                .copied()
                .cycle()
                .take(4 << 20),
        );
        r
    };
    // (what, bytes, the status line, what the refusal's page or JSON says)
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "a TLS ClientHello",
            hello,
            "HTTP/1.1 400 Bad Request",
            "this is not an HTTP/1.1 request",
        ),
        (
            "binary garbage",
            b"\x00\x01\x02\xff\xfe garbage\r\n\r\n".to_vec(),
            "HTTP/1.1 400 Bad Request",
            "this is not an HTTP/1.1 request",
        ),
        (
            "1 MB of header lines",
            many_headers,
            "HTTP/1.1 431 Request Header Fields Too Large",
            "the request has more than 100 header lines",
        ),
        (
            "a 1 MB request target",
            long_uri.into_bytes(),
            "HTTP/1.1 414 URI Too Long",
            "the request line is over 64 KiB",
        ),
        (
            "a header line without a colon",
            b"GET / HTTP/1.1\r\nHost x\r\n\r\n".to_vec(),
            "HTTP/1.1 400 Bad Request",
            "this is not an HTTP/1.1 request",
        ),
        // HTTP/1 only: the HTTP/2 preface is told so.
        (
            "the HTTP/2 preface",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
            "HTTP/1.1 505 HTTP Version Not Supported",
            "this server speaks HTTP/1.0 and HTTP/1.1 only",
        ),
        (
            "a 100 MB body announced",
            big_body,
            "HTTP/1.1 413 Payload Too Large",
            "this server reads no body over",
        ),
        (
            "an endless chunked body the route never reads",
            endless_chunks,
            "HTTP/1.1 200 OK",
            "multisafepay",
        ),
        (
            "HTTP/1.0 without Host",
            b"GET /api/policies HTTP/1.0\r\n\r\n".to_vec(),
            "HTTP/1.0 200 OK",
            "multisafepay",
        ),
        (
            "a request line of spaces",
            b"          \r\n\r\n".to_vec(),
            "HTTP/1.1 400 Bad Request",
            "this is not an HTTP/1.1 request",
        ),
    ];
    let mut failures = Vec::new();
    for (what, bytes, want, says) in &cases {
        let got = exchange(&srv.addr, bytes);
        let status = got.lines().next().unwrap_or("");
        if status != *want || !got.contains(says) {
            failures.push(format!(
                "{what}: expected {want:?} saying {says:?}, got {status:?}: {}",
                got.chars().take(600).collect::<String>()
            ));
        }
        // A refusal carries this server's defences like any page.
        if status.starts_with("HTTP/1.1 4") || status.starts_with("HTTP/1.1 5") {
            for h in [
                "content-security-policy: ",
                "x-content-type-options: nosniff",
            ] {
                if !got.to_ascii_lowercase().contains(h) {
                    failures.push(format!("{what}: no {h:?} in {got:?}"));
                }
            }
        }
    }
    // Under /api the refusal is JSON.
    let api = exchange(
        &srv.addr,
        format!(
            "GET /api/scan?target={} HTTP/1.1\r\n\r\n",
            "a".repeat(70_000)
        )
        .as_bytes(),
    );
    assert!(
        api.starts_with("HTTP/1.1 414 ")
            && api.contains("{\"error\":\"the request line is over 64 KiB"),
        "{}",
        api.chars().take(600).collect::<String>()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // And the page still answers.
    assert_eq!(get(&srv.addr, "/api/policies").status, 200);
}
