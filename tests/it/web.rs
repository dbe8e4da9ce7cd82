//! `tlsaudit serve`'s web page (issue 12), spoken to with plain HTTP from the test: the live
//! progress as server-sent events, results that outlast a restart in the SQLite store, the
//! recent list, a rescan and its comparison with the previous scan, the OpenAPI document
//! against the routes and their answers, and the defences (a flood from one client, a hostile
//! certificate subject, oversized requests, the Content Security Policy's nonce). The scan
//! targets are real `openssl s_server`s on loopback; the flooding client sends from its own
//! loopback address (127.0.0.77), so its bucket is its own.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use fixtures::servers::{
    free_port, openssl_s_server, openssl_s_server_at, postgres, self_signed, CertFiles, KeyType,
};
use serde_json::Value;

use crate::common::require;
use crate::serve::{get, serve, Response};

/// The `Location` of a redirect.
pub(crate) fn location(r: &Response) -> String {
    r.headers
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap_or_else(|| panic!("no location in\n{}", r.headers))
        .trim()
        .to_string()
}

/// The result id in a `/r/{id}` link.
fn id_of(link: &str) -> i64 {
    link.strip_prefix("/r/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a result link: {link}"))
}

/// The server-sent events of `path`, read until the server ends the stream: (event, data).
/// HTTP/1.0, so the body is the stream itself, not chunked.
pub(crate) fn events(addr: &str, path: &str) -> Vec<(String, Value)> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(180))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).expect("UTF-8 events");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    assert!(head.starts_with("HTTP/1.0 200"), "{head}\n{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );
    let mut out = Vec::new();
    for block in body.split("\n\n") {
        let mut event = None;
        let mut data = String::new();
        for line in block.lines() {
            if let Some(e) = line.strip_prefix("event: ") {
                event = Some(e.to_string());
            } else if let Some(d) = line.strip_prefix("data: ") {
                data.push_str(d);
            }
        }
        if let Some(e) = event {
            let v = serde_json::from_str(&data).unwrap_or_else(|e| panic!("{e}: {data}"));
            out.push((e, v));
        }
    }
    out
}

/// Follows a running scan's events to its `done`, and returns them.
pub(crate) fn wait_done(addr: &str, link: &str) -> Vec<(String, Value)> {
    let got = events(addr, &format!("/api/scan/{}/events", id_of(link)));
    let (last, data) = got.last().expect("at least the done event");
    assert_eq!(last, "done", "{got:?}");
    assert_eq!(data["link"], link.to_string());
    got
}

/// Starts a scan from the form's query and returns its result link.
fn start(addr: &str, query: &str) -> String {
    let r = get(addr, &format!("/scan?{query}"));
    assert_eq!(r.status, 303, "{}", r.body);
    location(&r)
}

/// The nonce of a response's Content Security Policy, checked to be the only way in for
/// scripts and styles.
fn csp_nonce(r: &Response) -> String {
    let csp = r
        .headers
        .lines()
        .find_map(|l| l.strip_prefix("content-security-policy: "))
        .unwrap_or_else(|| panic!("no CSP in\n{}", r.headers))
        .to_string();
    // The headers were lower-cased; the nonce is hex, so lower case already.
    let nonce = csp
        .split("script-src 'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap_or_else(|| panic!("no script nonce in {csp}"))
        .to_string();
    assert_eq!(
        csp,
        format!(
            "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
    );
    nonce
}

#[test]
fn the_scan_page_streams_each_step_in_order_then_the_result_link() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = openssl_s_server(
        "web-live",
        &cert,
        &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-www"],
    )
    .unwrap();
    let srv = serve(&[]);
    let link = start(
        &srv.addr,
        &format!("target={}&policy=multisafepay", s.target()),
    );
    let id = id_of(&link);

    // The page while it runs (or, on a fast machine, already the report): styled and
    // scripted only by its nonce.
    let page = get(&srv.addr, &link);
    assert_eq!(page.status, 200);
    let nonce = csp_nonce(&page);
    assert!(page.body.contains(&format!("<style nonce=\"{nonce}\">")));
    if page.body.contains("<div id=\"live\"") {
        assert!(page.body.contains(&format!(
            "<div id=\"live\" data-events=\"/api/scan/{id}/events\">"
        )));
        assert!(page.body.contains(&format!("<script nonce=\"{nonce}\">")));
        // Without JavaScript: it reloads itself, and links its result.
        assert!(page
            .body
            .contains("<noscript><meta http-equiv=\"refresh\" content=\"3\"></noscript>"));
        assert!(page
            .body
            .contains(&format!("<a href=\"/r/{id}\">/r/{id}</a>")));
    }

    // Each step once, in the order the scan runs them, each with its section; then done.
    let got = wait_done(&srv.addr, &link);
    let stages: Vec<&str> = got
        .iter()
        .filter(|(e, _)| e == "stage")
        .map(|(_, d)| d["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, crate::common::SERVE_STEPS);
    let html = |stage: &str| -> String {
        got.iter()
            .find(|(e, d)| e == "stage" && d["stage"] == stage)
            .map(|(_, d)| d["html"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert!(html("suites")
        .contains("<td class=\"mono good\">TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256</td>"));
    assert!(html("certs").contains("CN=localhost"));
    assert!(html("grade").contains("<h3>Grade</h3>"));
    assert!(html("policy").contains("policy <strong>multisafepay</strong>"));
    let (_, done) = got.last().unwrap();
    assert_eq!(done["error"], Value::Null);
    assert!(done["html"].as_str().unwrap().contains(&format!(
        "<a id=\"result-link\" href=\"/r/{id}\">the full report</a>"
    )));

    // The result page: the report, with the grade and the simulated clients.
    let page = get(&srv.addr, &link);
    assert_eq!(page.status, 200);
    for want in [
        format!("<h2>{}</h2>", s.target()),
        "<div class=\"grade-detail\">".to_string(),
        "Who can connect".to_string(),
        "The first scan of this target here.".to_string(),
    ] {
        assert!(
            page.body.contains(&want),
            "missing {want:?} in\n{}",
            page.body
        );
    }
    assert!(
        !page.body.contains("<script"),
        "a finished page runs no script"
    );
    // Kept in the default store: $XDG_DATA_HOME/tlsaudit/results.sqlite.
    let default_store = srv.data_dir().unwrap().join("tlsaudit/results.sqlite");
    assert!(default_store.exists(), "{}", default_store.display());
    // A stream asked for after the end is the done event alone.
    let again = events(&srv.addr, &format!("/api/scan/{id}/events"));
    let names: Vec<&str> = again.iter().map(|(e, _)| e.as_str()).collect();
    assert!(
        names == ["done"] || names.last() == Some(&"done"),
        "{names:?}"
    );
}

#[test]
fn results_outlast_a_restart_and_a_rescan_says_what_changed() {
    if !require("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("results.sqlite");
    let store = store.to_str().unwrap();
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let port = free_port().unwrap();
    let target = format!("127.0.0.1:{port}");

    // First: TLS 1.2 only.
    let old = openssl_s_server_at("web-before", port, &cert, &["-tls1_2"]).unwrap();
    let srv = serve(&["--store", store]);
    let first = start(
        &srv.addr,
        &format!("target={target}&policy=mozilla-intermediate"),
    );
    wait_done(&srv.addr, &first);
    drop(srv);
    drop(old);

    // serve again on the same store: the result is still there, under the same link.
    let srv = serve(&["--store", store]);
    let page = get(&srv.addr, &first);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&format!("<h2>{target}</h2>")));
    assert!(page
        .body
        .contains("policy <strong>mozilla-intermediate</strong>"));
    // Its rescan button repeats target, policy and STARTTLS.
    let rescan = format!(
        "<form class=\"inline\" action=\"/scan\" method=\"get\">\
         <input type=\"hidden\" name=\"target\" value=\"{target}\">\
         <input type=\"hidden\" name=\"policy\" value=\"mozilla-intermediate\">\
         <input type=\"hidden\" name=\"starttls\" value=\"\">\
         <button type=\"submit\">Rescan</button></form>"
    );
    assert!(page.body.contains(&rescan), "{}", page.body);

    // The server changes (TLS 1.3 too), and the button is pressed.
    let _new = openssl_s_server_at("web-after", port, &cert, &["-no_tls1", "-no_tls1_1"]).unwrap();
    let second = start(
        &srv.addr,
        &format!("target={target}&policy=mozilla-intermediate&starttls="),
    );
    assert!(id_of(&second) > id_of(&first));
    wait_done(&srv.addr, &second);
    let page = get(&srv.addr, &second);
    assert!(
        page.body.contains(&format!(
            "<p>Changes since the <a href=\"{first}\">previous scan</a>:</p>"
        )),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            "<tr><td class=\"mono\">version.enabled</td><td>TLSv1.3 now accepted</td></tr>"
        ),
        "{}",
        page.body
    );
    let api = get(&srv.addr, &format!("/api/results/{}", id_of(&second))).json();
    assert_eq!(api["status"], "done");
    assert_eq!(api["comparisons"][0]["previous_link"], first);
    let ids: Vec<&str> = api["comparisons"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"version.enabled"), "{ids:?}");

    // The recent list, newest first, on the page and in the API.
    let list = get(&srv.addr, "/api/results").json();
    let links: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["link"].as_str().unwrap())
        .collect();
    assert_eq!(links, [second.as_str(), first.as_str()], "{list:#}");
    let page = get(&srv.addr, "/r");
    let (a, b) = (
        page.body.find(&format!("<a href=\"{second}\">")).unwrap(),
        page.body.find(&format!("<a href=\"{first}\">")).unwrap(),
    );
    assert!(a < b);
    assert!(get(&srv.addr, "/").body.contains("<h3>Recent results</h3>"));
    // No such result: a page that says so.
    let r = get(&srv.addr, "/r/999");
    assert_eq!(r.status, 404);
    assert!(
        r.body.contains("no result 999 in this server&#39;s store"),
        "{}",
        r.body
    );
    assert_eq!(get(&srv.addr, "/r/x").status, 404);
}

#[test]
fn a_postgres_store_keeps_results_lists_them_and_compares() {
    if !require("openssl") {
        return;
    }
    if fixtures::servers::postgres_bin_dir().is_none() && !require("initdb") {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let db = postgres("web-pg", &cert, &[]).unwrap();
    let url = format!("postgres://postgres@{}/postgres", db.target());
    // The cluster listens before it takes connections ("the database system is starting
    // up"): wait until a store opens.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while let Err(e) = rt.block_on(tlsaudit::store::Store::create(&url)) {
        assert!(std::time::Instant::now() < deadline, "{e}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let port = free_port().unwrap();
    let target = format!("127.0.0.1:{port}");
    let srv = serve(&["--store", &url]);
    let first = {
        let _s = openssl_s_server_at("web-pg-before", port, &cert, &["-tls1_2"]).unwrap();
        let link = start(&srv.addr, &format!("target={target}&policy=none"));
        wait_done(&srv.addr, &link);
        link
    };
    let second = {
        let _s =
            openssl_s_server_at("web-pg-after", port, &cert, &["-no_tls1", "-no_tls1_1"]).unwrap();
        let link = start(&srv.addr, &format!("target={target}&policy=none"));
        wait_done(&srv.addr, &link);
        link
    };
    // Another serve on the same database has both, newest first, and the comparison.
    drop(srv);
    let srv = serve(&["--store", &url]);
    let list = get(&srv.addr, "/api/results").json();
    let links: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["link"].as_str().unwrap())
        .collect();
    assert_eq!(links, [second.as_str(), first.as_str()]);
    let api = get(&srv.addr, &format!("/api/results/{}", id_of(&second))).json();
    assert_eq!(api["comparisons"][0]["previous_link"], first);
    assert_eq!(api["comparisons"][0]["policy"], "none");
    assert!(api["comparisons"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == "version.enabled" && c["message"] == "TLSv1.3 now accepted"));
    let page = get(&srv.addr, &first);
    assert!(page.body.contains("The first scan of this target here."));
}

#[test]
fn a_page_scan_past_its_deadline_is_stored_as_such() {
    let silent = crate::serve::Silent::start();
    let srv = serve(&["--scan-timeout", "2"]);
    let link = start(
        &srv.addr,
        &format!("target=127.0.0.1:{}&policy=multisafepay", silent.port),
    );
    let got = wait_done(&srv.addr, &link);
    let (_, done) = got.last().unwrap();
    assert_eq!(done["error"], "the scan did not finish within 2 seconds");
    assert!(done["html"]
        .as_str()
        .unwrap()
        .contains("not scanned: the scan did not finish within 2 seconds"));
    let api = get(&srv.addr, &format!("/api/results/{}", id_of(&link))).json();
    assert_eq!(api["status"], "done");
    let t = &api["targets"][0];
    assert_eq!(t["error"], "the scan did not finish within 2 seconds");
    // Judged like any unreachable target, so the rescan repeats its policy.
    assert_eq!(t["policy"]["verdict"], "incomplete");
    assert_eq!(api["comparisons"][0]["policy"], "multisafepay");
}

/// A self-signed certificate whose subject is markup, made with rcgen.
fn hostile_cert() -> CertFiles {
    let dir = tempfile::tempdir().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "<script>alert(1)</script>");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (c, k) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    CertFiles {
        dir,
        cert: c,
        key: k,
    }
}

/// `GET path` from the source address `from` (a loopback address of the test's choosing).
fn get_from(from: &str, addr: &str, path: &str) -> (u16, String, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let stream = rt
        .block_on(async {
            let sock = tokio::net::TcpSocket::new_v4()?;
            sock.bind(format!("{from}:0").parse().unwrap())?;
            sock.connect(addr.parse().unwrap()).await
        })
        .unwrap();
    let mut s = stream.into_std().unwrap();
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}

/// Sends raw request bytes; returns the status and the body.
fn raw(addr: &str, request: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let _ = s.write_all(request);
    let mut back = Vec::new();
    let _ = s.read_to_end(&mut back);
    let text = String::from_utf8_lossy(&back).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_string())
}

#[test]
fn defences_a_flood_a_hostile_subject_and_oversized_requests() {
    if !require("openssl") {
        return;
    }
    let srv = serve(&["--scans-per-minute", "3"]);
    let closed = free_port().unwrap();

    // A flood from one client: three scans, then 429 with Retry-After, as JSON and as a page.
    for _ in 0..3 {
        let (status, _, body) = get_from(
            "127.0.0.77",
            &srv.addr,
            &format!("/api/scan?target=127.0.0.1:{closed}"),
        );
        assert_eq!(status, 200, "{body}");
    }
    let (status, head, body) = get_from(
        "127.0.0.77",
        &srv.addr,
        &format!("/api/scan?target=127.0.0.1:{closed}"),
    );
    assert_eq!(status, 429, "{body}");
    assert!(head.contains("retry-after: 20"), "{head}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        error["error"],
        "you started 3 scans in the last minute, as many as this server allows one client; \
         try again in 20 seconds"
    );
    let (status, head, body) = get_from(
        "127.0.0.77",
        &srv.addr,
        &format!("/scan?target=127.0.0.1:{closed}"),
    );
    assert_eq!(status, 429);
    assert!(head.contains("retry-after: 20"));
    assert!(head.contains("content-type: text/html"));
    assert!(body.contains("<p class=\"error\">you started 3 scans in the last minute"));
    // Another client is not held back by it.
    let (status, _, _) = get_from(
        "127.0.0.78",
        &srv.addr,
        &format!("/api/scan?target=127.0.0.1:{closed}"),
    );
    assert_eq!(status, 200);

    // An address outside the allow list, from the form: a page that says so.
    let r = get(&srv.addr, "/scan?target=192.0.2.1");
    assert_eq!(r.status, 403);
    assert!(r
        .body
        .contains("<p class=\"error\">refused to scan 192.0.2.1: outside"));

    // A hostile certificate subject is text on every page and in every event.
    let cert = hostile_cert();
    let s = openssl_s_server("web-hostile", &cert, &["-tls1_2"]).unwrap();
    let link = start(&srv.addr, &format!("target={}&policy=none", s.target()));
    let got = wait_done(&srv.addr, &link);
    let certs = got
        .iter()
        .find(|(e, d)| e == "stage" && d["stage"] == "certs")
        .map(|(_, d)| d["html"].as_str().unwrap().to_string())
        .unwrap();
    assert!(
        certs.contains("CN=&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{certs}"
    );
    let page = get(&srv.addr, &link);
    assert!(page
        .body
        .contains("CN=&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.body.contains("<script>alert(1)"));
    for (_, d) in &got {
        assert!(!d.to_string().contains("<script>alert(1)"), "{d}");
    }

    // Oversized requests: a page (or JSON under /api) with the limit, never a scan.
    let long = "a".repeat(3000);
    let (status, _, body) = raw(
        &srv.addr,
        format!("GET /scan?target={long} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(status, 414);
    assert!(
        body.contains("the request&#39;s address is 3013 bytes long; at most 2048 are accepted"),
        "{body}"
    );
    let big_header = format!("X-Filler: {}\r\n", "b".repeat(20_000));
    let (status, head, body) = raw(
        &srv.addr,
        format!("GET /api/policies HTTP/1.1\r\nHost: x\r\n{big_header}Connection: close\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(status, 431);
    assert!(head.contains("content-type: application/json"));
    assert!(body.contains("the request's headers are "), "{body}");
    let (status, head, body) = raw(
        &srv.addr,
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nConnection: close\r\n\r\nx",
    );
    assert_eq!(status, 413);
    assert!(head.contains("content-type: text/html"));
    assert!(
        body.contains("the request&#39;s body is 1000000 bytes"),
        "{body}"
    );
    // Another method, a result id that is not one: a page (or JSON) again.
    let (status, head, body) = raw(
        &srv.addr,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 405);
    assert!(head.contains("allow: get, head"), "{head}");
    assert!(body.contains(
        "<p class=\"error\">POST is not served here: every page and API route is GET</p>"
    ));
    let (status, head, body) = raw(
        &srv.addr,
        b"DELETE /api/results/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 405);
    assert!(head.contains("content-type: application/json"));
    assert!(body.contains("DELETE is not served here"), "{body}");
    let r = get(&srv.addr, "/r/%FF");
    assert_eq!(r.status, 404);
    assert!(r.body.contains("a result is /r/NUMBER"), "{}", r.body);
    // Every refusal page carries the policy and its nonce.
    let r = get(&srv.addr, "/nothing-here");
    assert_eq!(r.status, 404);
    let nonce = csp_nonce(&r);
    assert!(r.body.contains(&format!("<style nonce=\"{nonce}\">")));
    let again = csp_nonce(&get(&srv.addr, "/"));
    assert_ne!(nonce, again, "a fresh nonce per response");
    let r = get(&srv.addr, "/api/nothing");
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].as_str().is_some());
}

/// Whether `v` has the shape `schema` describes (`$ref` into `doc`, type, required
/// properties, properties, items, enum, nullable, all/any/oneOf): the part of JSON Schema the
/// document uses. Returns what does not match.
fn shape_errors(doc: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    // OpenAPI 3.0: a `$ref` stands alone, whatever is beside it.
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r
            .strip_prefix("#/components/schemas/")
            .expect("a local $ref");
        let target = &doc["components"]["schemas"][name];
        assert!(!target.is_null(), "dangling $ref {r}");
        return shape_errors(doc, target, v, at, out);
    }
    if v.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
        return;
    }
    for key in ["allOf"] {
        if let Some(all) = schema.get(key).and_then(Value::as_array) {
            for s in all {
                shape_errors(doc, s, v, at, out);
            }
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(any) = schema.get(key).and_then(Value::as_array) {
            let fits = any.iter().any(|s| {
                let mut e = Vec::new();
                shape_errors(doc, s, v, at, &mut e);
                e.is_empty()
            });
            if !fits {
                out.push(format!("{at}: fits none of {key}"));
            }
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            out.push(format!("{at}: {v} not in {e:?}"));
        }
    }
    let type_ok = |t: &str| match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => true,
    };
    match schema.get("type") {
        Some(Value::String(t)) if !type_ok(t) => out.push(format!("{at}: not {t}: {v}")),
        Some(Value::Array(ts)) if !ts.iter().any(|t| t.as_str().is_some_and(type_ok)) => {
            out.push(format!("{at}: none of {ts:?}: {v}"))
        }
        _ => {}
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        v.as_object(),
    ) {
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let req = req.as_str().unwrap();
            if !obj.contains_key(req) {
                out.push(format!("{at}: missing {req}"));
            }
        }
        for (k, s) in props {
            if let Some(x) = obj.get(k) {
                shape_errors(doc, s, x, &format!("{at}.{k}"), out);
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            shape_errors(doc, items, x, &format!("{at}[{i}]"), out);
        }
    }
}

pub(crate) fn assert_shape(doc: &Value, schema: &Value, v: &Value, what: &str) {
    let mut errors = Vec::new();
    shape_errors(doc, schema, v, what, &mut errors);
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

#[test]
fn the_openapi_document_is_the_api() {
    if !require("openssl") {
        return;
    }
    let cert = self_signed(KeyType::EcdsaP256).unwrap();
    let s = openssl_s_server("web-openapi", &cert, &["-tls1_3"]).unwrap();
    let srv = serve(&[]);
    let r = get(&srv.addr, "/api/openapi.json");
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.0.3");

    // The document's paths are the router's API routes, no more, no less.
    let mut documented: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    documented.sort();
    let mut routed: Vec<String> = tlsaudit::serve::api_paths()
        .into_iter()
        .map(String::from)
        .collect();
    routed.sort();
    assert_eq!(documented, routed);

    // Each route answers what the document says, for a success and a refusal.
    let ok = |path: &str| {
        doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            .clone()
    };
    let refusal = doc["paths"]["/api/scan"]["get"]["responses"]["default"]["content"]
        ["application/json"]["schema"]
        .clone();
    let r = get(&srv.addr, &format!("/api/scan?target={}", s.target()));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_shape(&doc, &ok("/api/scan"), &r.json(), "/api/scan");
    let result = r
        .headers
        .lines()
        .find_map(|l| l.strip_prefix("content-location: "))
        .unwrap()
        .trim()
        .to_string();
    let id = result.strip_prefix("/api/results/").unwrap().to_string();
    let r = get(&srv.addr, &result);
    assert_eq!(r.status, 200);
    assert_shape(
        &doc,
        &ok("/api/results/{id}"),
        &r.json(),
        "/api/results/{id}",
    );
    assert_eq!(r.json()["targets"][0]["target"], s.target());
    let r = get(&srv.addr, "/api/results");
    assert_shape(&doc, &ok("/api/results"), &r.json(), "/api/results");
    let r = get(&srv.addr, "/api/policies");
    assert_shape(&doc, &ok("/api/policies"), &r.json(), "/api/policies");
    assert_shape(&doc, &ok("/api/openapi.json"), &doc, "/api/openapi.json");
    // The events of a scan started from the form, each datum the shape its event names.
    let link = start(&srv.addr, &format!("target={}", s.target()));
    let got = wait_done(&srv.addr, &link);
    let data = &doc["paths"]["/api/scan/{id}/events"]["get"]["responses"]["200"]["x-event-data"];
    for (event, d) in &got {
        assert_shape(&doc, &data[event.as_str()], d, event);
    }
    assert!(got.len() > 5, "{got:?}");
    // Refusals: bad input, unknown ids, unknown API paths.
    for path in [
        "/api/scan".to_string(),
        "/api/results/999".to_string(),
        "/api/results/x".to_string(),
        "/api/scan/999/events".to_string(),
        "/api/nothing".to_string(),
        format!("/api/results/{id}0"),
    ] {
        let r = get(&srv.addr, &path);
        assert!(r.status == 400 || r.status == 404, "{path}: {}", r.status);
        assert!(
            r.headers.contains("content-type: application/json"),
            "{path}"
        );
        assert_shape(&doc, &refusal, &r.json(), &path);
    }
}
