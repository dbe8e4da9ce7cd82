//! `tlsaudit serve` in a real browser: Debian's headless Chromium driven through
//! `chromedriver`'s WebDriver HTTP API (a handful of JSON commands over loopback, written here
//! rather than pulling in a WebDriver crate and its dependency tree for the 2-core build). The
//! client test over TLS shows Chromium its own ClientHello (its post-quantum X25519MLKEM768
//! share and its GREASE values included); the form scans a real `openssl s_server`, the scan's
//! page shows its steps as the server-sent events arrive, and the result link leads to the
//! stored report. Every page is written as a PNG to `target/screenshots/` (git-ignored) for
//! people to look at.
//!
//! Chromium talks only to loopback here: it is started with background networking, component
//! updates, sync and QUIC off, and every host name but `localhost` made unresolvable.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use fixtures::servers::{openssl_s_server, self_signed, KeyType};
use serde_json::{json, Value};

use crate::common::require;
use crate::serve_client::serve_tls;

/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long one WebDriver command may take: a page load includes a whole scan.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);

/// A chromedriver with one headless Chromium session; both end on drop.
struct Browser {
    driver: Child,
    port: u16,
    session: String,
    /// Chromium's profile, fresh for every browser.
    _profile: tempfile::TempDir,
}

/// One WebDriver answer that is an error: chromedriver's `error` and `message`.
#[derive(Debug)]
struct WebDriverError(String);

impl Browser {
    /// Starts chromedriver on a port it picks and a Chromium session in it. None (the test is
    /// skipped) when either is missing on a laptop; under CI=true that fails the test.
    fn start() -> Option<Browser> {
        if !require("chromium") || !require("chromedriver") {
            return None;
        }
        let mut driver = Command::new("chromedriver")
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        // "ChromeDriver was started successfully on port 40361." (with no newline after it).
        let mut out = driver.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut buf = [0u8; 256];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen);
                if let Some(port) = text
                    .split("started successfully on port ")
                    .nth(1)
                    .and_then(|rest| rest.split('.').next())
                    .and_then(|p| p.trim().parse::<u16>().ok())
                {
                    let _ = tx.send(port);
                    seen.clear();
                }
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(p) => p,
            Err(_) => {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!("chromedriver printed no port");
            }
        };
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut b = Browser {
            driver,
            port,
            session: String::new(),
            _profile: profile,
        };
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-default-apps".into(),
            "--disable-extensions".into(),
            // No name resolves (the rule also covers address literals, hence the loopback
            // exclusions): nothing Chromium does on its own leaves loopback.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1".into(),
            // The TLS listener's certificate is self-signed.
            "--ignore-certificate-errors".into(),
            "--window-size=1200,900".into(),
            format!("--user-data-dir={}", b._profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {"args": args},
        }}});
        let v = b
            .command("POST", "/session", Some(caps))
            .unwrap_or_else(|e| panic!("no Chromium session: {}", e.0));
        b.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {v}"))
            .to_string();
        Some(b)
    }

    /// One WebDriver command: `value` of the answer, or the error chromedriver gave.
    fn command(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WebDriverError> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut s = TcpStream::connect(("127.0.0.1", self.port))
            .map_err(|e| WebDriverError(format!("connecting to chromedriver: {e}")))?;
        s.set_read_timeout(Some(COMMAND_TIMEOUT)).ok();
        s.set_write_timeout(Some(COMMAND_TIMEOUT)).ok();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        s.write_all(request.as_bytes())
            .map_err(|e| WebDriverError(format!("writing to chromedriver: {e}")))?;
        // chromedriver answers with Content-Length; read the head, then that many bytes.
        let mut raw = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        let (head_len, length) = loop {
            let n = s
                .read(&mut buf)
                .map_err(|e| WebDriverError(format!("reading from chromedriver: {e}")))?;
            if n == 0 {
                return Err(WebDriverError(
                    "chromedriver closed without an answer".into(),
                ));
            }
            raw.extend_from_slice(&buf[..n]);
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .ok_or_else(|| WebDriverError(format!("no Content-Length in {head:?}")))?;
                break (end + 4, length);
            }
        };
        while raw.len() < head_len + length {
            let n = s
                .read(&mut buf)
                .map_err(|e| WebDriverError(format!("reading from chromedriver: {e}")))?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
        }
        let v: Value = serde_json::from_slice(&raw[head_len..])
            .map_err(|e| WebDriverError(format!("chromedriver's answer is not JSON: {e}")))?;
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        match value.get("error") {
            Some(e) => Err(WebDriverError(format!(
                "{e}: {}",
                value["message"].as_str().unwrap_or_default()
            ))),
            None => Ok(value),
        }
    }

    fn session_command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let full = format!("/session/{}{path}", self.session);
        self.command(method, &full, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {}", e.0))
    }

    /// Opens `url` and waits for the page to load.
    fn open(&self, url: &str) {
        self.session_command("POST", "/url", Some(json!({ "url": url })));
    }

    fn find(&self, css: &str) -> Result<String, WebDriverError> {
        let v = self.command(
            "POST",
            &format!("/session/{}/element", self.session),
            Some(json!({"using": "css selector", "value": css})),
        )?;
        v[ELEMENT]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| WebDriverError(format!("no element reference in {v}")))
    }

    /// The element matching `css`, waiting for it to appear (a page still loading or
    /// scanning) for at most about `COMMAND_TIMEOUT`.
    fn wait_for(&self, css: &str) -> String {
        let tries = COMMAND_TIMEOUT.as_millis() / 250;
        for _ in 0..tries {
            if let Ok(id) = self.find(css) {
                return id;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!(
            "no element {css} on {}: {}",
            self.url(),
            self.script("return document.body ? document.body.innerText : ''")
        );
    }

    /// The rendered text of the element matching `css`. An element found on a page that is
    /// being replaced (after a click that navigates) goes stale before its text is read: it is
    /// looked up again, a few times.
    fn text(&self, css: &str) -> String {
        let mut last = None;
        for _ in 0..8 {
            let id = self.wait_for(css);
            match self.command(
                "GET",
                &format!("/session/{}/element/{id}/text", self.session),
                None,
            ) {
                Ok(v) => return v.as_str().unwrap_or_default().to_string(),
                Err(e) => last = Some(e.0),
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("reading the text of {css}: {}", last.unwrap_or_default())
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.wait_for(css);
        self.session_command(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn click(&self, css: &str) {
        let id = self.wait_for(css);
        self.session_command("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    fn url(&self) -> String {
        self.session_command("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs `body` as a function in the page and returns its result.
    fn script(&self, body: &str) -> Value {
        self.session_command(
            "POST",
            "/execute/sync",
            Some(json!({"script": body, "args": []})),
        )
    }

    /// Writes the whole page (not only the window) to `target/screenshots/NAME.png`, through
    /// chromedriver's DevTools pass-through; returns the path.
    fn screenshot(&self, name: &str) -> PathBuf {
        let metrics = self.session_command(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Page.getLayoutMetrics", "params": {}})),
        );
        let size = &metrics["cssContentSize"];
        let (w, h) = (
            size["width"].as_f64().unwrap_or(1200.0),
            size["height"].as_f64().unwrap_or(900.0).min(8000.0),
        );
        let shot = self.session_command(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Page.captureScreenshot", "params": {
                "format": "png",
                "captureBeyondViewport": true,
                "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": 1},
            }})),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap_or_default())
            .expect("a base64 PNG");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let path = screenshots().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            // Ends Chromium; chromedriver is killed after.
            let _ = self.command("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `target/screenshots/` (beside the test binaries, wherever the target directory is).
fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("screenshots"))
        .unwrap_or_else(|| PathBuf::from("target/screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The GREASE values (RFC 8701: 0x0a0a, 0x1a1a, … 0xfafa) in `text`.
fn grease_values(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| {
            let b = w.as_bytes();
            b.len() == 6 && w.starts_with("0x") && b[3] == b'a' && b[5] == b'a' && b[2] == b[4]
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn chromium_sees_its_own_hello_in_the_client_test() {
    let Some(b) = Browser::start() else {
        return;
    };
    let srv = serve_tls(&[]);

    // Over plain HTTP the page points to the TLS listener; the link is followed.
    b.open(&format!("http://{}/client", srv.http));
    b.screenshot("client-over-http");
    b.click("#tls-link");
    let summary = b.text("#summary");
    assert!(summary.contains("connected with TLS 1.3"), "{summary}");
    assert_eq!(b.url(), format!("https://{}/client", srv.https));

    // Chromium's hello: TLS 1.3, its post-quantum hybrid first, and GREASE.
    assert!(b.text("#versions").starts_with("TLS 1.3"));
    let groups = b.text("#groups");
    assert!(
        groups.contains("X25519MLKEM768 0x11ec yes (hybrid with ML-KEM) 1216 bytes"),
        "{groups}"
    );
    let grease = b.text("#grease");
    for place in [
        "cipher_suites",
        "extensions",
        "supported_groups",
        "supported_versions",
    ] {
        assert!(
            grease.contains(&format!(" in {place}")),
            "no GREASE in {place}: {grease}"
        );
    }
    assert!(!grease_values(&grease).is_empty(), "{grease}");
    let ja4 = b.text("#ja4");
    // TLS 1.3, an address (no SNI), its suite and extension counts, ALPN h2 first.
    assert!(ja4.starts_with("t13i") && &ja4[8..10] == "h2", "{ja4}");
    let verdicts = b.text("#verdicts");
    assert!(verdicts.contains("multisafepay yes"), "{verdicts}");
    b.screenshot("client-over-tls");

    // The same as JSON, read by Chromium over its own connection: exact facts.
    b.open(&format!("https://{}/api/client", srv.https));
    let body = b.script("return document.body.innerText");
    let v: Value = serde_json::from_str(body.as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {body}"));
    let h = &v["hello"];
    assert_eq!(v["handshake"]["version"], "TLSv1.3");
    assert_eq!(v["handshake"]["http_request"], "GET /api/client HTTP/1.1");
    let shares: Vec<(String, u64)> = h["key_shares"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["group"]["grease"] == false)
        .map(|k| {
            (
                k["group"]["name"].as_str().unwrap().to_string(),
                k["length"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shares,
        [
            ("X25519MLKEM768".to_string(), 1216),
            ("x25519".to_string(), 32)
        ]
    );
    let pq: Vec<&str> = h["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["post_quantum"] == true)
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(pq, ["0x11ec"]);
    assert_eq!(h["alpn"], json!(["h2", "http/1.1"]));
    assert_eq!(h["sni"], Value::Null, "no SNI for an address");
    // GREASE on a new connection (the JSON's) still in the same places.
    for place in [
        "cipher_suites",
        "extensions",
        "supported_groups",
        "supported_versions",
    ] {
        assert!(
            h["grease"].as_array().unwrap().contains(&json!(place)),
            "{}",
            h["grease"]
        );
    }
    assert!(h["ja4"].as_str().unwrap().starts_with("t13i"));
}

// The steps a scan's page shows as they finish, in order.
use crate::common::SERVE_STEPS as STEPS;

#[test]
fn chromium_submits_the_form_watches_the_progress_and_follows_the_result_link() {
    if !require("openssl") {
        return;
    }
    let Some(b) = Browser::start() else {
        return;
    };
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    // No -www: the scan's HTTP step waits out its 5-second timeout for an answer that never
    // comes, so the scan is still running when the browser reaches its page, and the steps
    // before it are on the page while it waits.
    let server = openssl_s_server(
        "browser",
        &cert,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
        ],
    )
    .unwrap();
    let target = server.target();
    let srv = serve_tls(&["--scan-timeout", "150"]);

    // The form, over the TLS listener (the same pages as over HTTP).
    b.open(&format!("https://{}/", srv.https));
    b.type_into("#target", &target);
    b.screenshot("form");
    b.click("button[type=submit]");

    // The scan's own page: the steps arrive one by one over server-sent events. Mid-way (the
    // HTTP step still waiting) the first six are there and the result link is not.
    b.wait_for("#live");
    let url = b.url();
    assert!(
        url.starts_with(&format!("https://{}/r/", srv.https)),
        "{url}"
    );
    b.wait_for("#steps section.step[data-stage=features]");
    assert!(
        b.find("#result-link").is_err(),
        "the scan finished before its HTTP step could have"
    );
    b.screenshot("progress");
    let link = b.wait_for("#result-link");
    let shown = b.script(
        "return Array.from(document.querySelectorAll('#steps section.step')).map(s => s.dataset.stage)",
    );
    assert_eq!(shown, json!(STEPS));
    let done = b.text("#status");
    assert!(done.contains("Done"), "{done}");
    b.screenshot("progress-done");

    // The result link: the stored report of that server.
    b.session_command("POST", &format!("/element/{link}/click"), Some(json!({})));
    let heading = b.text("section.target h2");
    assert_eq!(heading, target);
    assert_eq!(b.url(), url, "the result lives where the progress was");
    let report = b.text("section.target");
    assert!(report.contains("NOT COMPLIANT"), "{report}");
    assert!(report.contains("cert.chain.invalid"), "{report}");
    assert!(
        report.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        "{report}"
    );
    assert!(report.contains("TLS_RSA_WITH_AES_128_CBC_SHA"), "{report}");
    b.screenshot("result");

    // The recent results list it.
    b.open(&format!("https://{}/r", srv.https));
    let recent = b.text("table.recent");
    assert!(recent.contains(&target), "{recent}");
    b.screenshot("recent");
}
