//! `GET /client` and `GET /api/client`: the visitor's own browser, judged. Over the TLS
//! listener ([`super::tls`]) each request carries the ClientHello its connection began with;
//! the client check analyses it ([`crate::client::analysis`], [`crate::client::fingerprint`])
//! and judges it against every policy the page offers ([`crate::client::verdict`]), as
//! `tlsaudit client` does for one policy. Over plain HTTP there is no hello to show: the page
//! says so and links to the TLS listener.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri, Version};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::page::{self, Nonce};
use super::tls::SeenHello;
use super::{refuse, App};
use crate::client::analysis;
use crate::client::report::{
    ClientReport, Code, HandshakeFacts, HelloFacts, SuiteSecurity, Verdict, CLIENT_SCHEMA_VERSION,
};
use crate::client::verdict::{human, verdict, ServerProfile};
use crate::policy::Policy;
use crate::render::html::escape;

// `schema/client-test.schema.json` is generated from this type (`tlsaudit schema client-test`)
// and a test keeps the checked-in copy equal to it.
/// What `GET /api/client` answers: the client check's report of this connection (the shape of
/// one `tlsaudit client --format json` line, judged by the page's default policy), and the
/// verdict against every policy the page offers.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ClientTest {
    #[serde(flatten)]
    pub report: ClientReport,
    /// One verdict per policy, in the form's order: could this client reach a server that
    /// follows it?
    pub verdicts: Vec<Verdict>,
}

/// The JSON Schema of [`ClientTest`], pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(ClientTest);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// Analyses the hello of the connection a request came over.
pub fn analyse(
    seen: &SeenHello,
    policies: &[Policy],
    default_policy: &str,
    request_line: String,
) -> ClientTest {
    let offer = seen.captured.hello.offer();
    let facts = analysis::facts(&seen.captured);
    let verdicts: Vec<Verdict> = policies
        .iter()
        .map(|p| verdict(&offer, &ServerProfile::from_policy(p)))
        .collect();
    let default = verdicts
        .iter()
        .find(|v| v.policy == default_policy)
        .or(verdicts.first())
        .cloned();
    let findings = default
        .as_ref()
        .map(|v| analysis::findings(&facts, v))
        .unwrap_or_default();
    ClientTest {
        report: ClientReport {
            schema_version: CLIENT_SCHEMA_VERSION.into(),
            peer: seen.peer.to_string(),
            error: None,
            hello: Some(facts),
            verdict: default,
            handshake: Some(HandshakeFacts {
                completed: true,
                version: seen.version,
                cipher_suite: seen.cipher_suite.clone(),
                certificate: seen.certificate.into(),
                error: None,
                http_request: Some(request_line),
            }),
            findings,
            hello_bytes: Vec::new(),
        },
        verdicts,
    }
}

fn request_line(method: &Method, uri: &Uri, version: Version) -> String {
    format!("{method} {uri} {version:?}")
        .chars()
        .take(200)
        .collect()
}

/// `GET /client`.
pub(super) async fn page(
    State(app): State<Arc<App>>,
    Extension(nonce): Extension<Nonce>,
    seen: Option<Extension<Arc<SeenHello>>>,
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
) -> Response {
    let Some(Extension(seen)) = seen else {
        return page::html(
            StatusCode::OK,
            needs_tls(
                &nonce,
                tls_link(app.tls_addr, &headers, "/client").as_deref(),
            ),
        );
    };
    let test = analyse(
        &seen,
        &app.policies,
        &app.default_policy,
        request_line(&method, &uri, version),
    );
    page::html(StatusCode::OK, html(&nonce, &test))
}

/// `GET /api/client`.
pub(super) async fn api(
    State(app): State<Arc<App>>,
    Extension(nonce): Extension<Nonce>,
    seen: Option<Extension<Arc<SeenHello>>>,
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
) -> Response {
    let Some(Extension(seen)) = seen else {
        let error = match tls_link(app.tls_addr, &headers, "/api/client") {
            Some(url) => {
                format!("the client test reads the ClientHello of a TLS connection: GET {url}")
            }
            None => "the client test needs TLS: start tlsaudit serve with --tls-listen".into(),
        };
        return refuse(true, &nonce, StatusCode::BAD_REQUEST, &error, None);
    };
    let test = analyse(
        &seen,
        &app.policies,
        &app.default_policy,
        request_line(&method, &uri, version),
    );
    Json(test).into_response()
}

/// `https://HOST:PORT{path}` on the TLS listener: its own address, or the host name the
/// visitor used when it listens on every address. None without a TLS listener.
fn tls_link(tls: Option<SocketAddr>, headers: &HeaderMap, path: &str) -> Option<String> {
    let addr = tls?;
    if !addr.ip().is_unspecified() {
        return Some(format!("https://{addr}{path}"));
    }
    // The Host header is the visitor's input: only a plain name or address is used.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(host_part)
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    Some(format!("https://{host}:{}{path}", addr.port()))
}

/// `example.test:8080` → `example.test`; `[::1]:8080` → `[::1]`.
fn host_part(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    host.split(':').next().unwrap_or(host)
}

/// The page over plain HTTP.
fn needs_tls(nonce: &Nonce, link: Option<&str>) -> String {
    let next = match link {
        Some(url) => format!(
            "<p>Open the client test over TLS: <a id=\"tls-link\" href=\"{0}\">{0}</a>. \
             Its certificate is self-signed unless the server was given one: the fingerprint \
             to compare is on the line <code>tlsaudit serve</code> printed at start.</p>\n",
            escape(url)
        ),
        None => "<p>This server has no TLS listener. Start it with \
                 <code>tlsaudit serve --tls-listen 127.0.0.1:8443</code> and open \
                 <code>https://127.0.0.1:8443/client</code>.</p>\n"
            .to_string(),
    };
    page::document(
        nonce,
        "TLS client test",
        "",
        &format!(
            "<main class=\"narrow\">\n<h1>TLS client test</h1>\n\
             <p>The client test shows the ClientHello your browser sends when it opens a TLS \
             connection: its versions, cipher suites, groups, signature schemes, GREASE values \
             and fingerprints, and whether it can reach a server that follows each policy. \
             This page came over plain HTTP, so there is no ClientHello to show.</p>\n{next}\
             <p><a href=\"/\">Back to the server test</a></p>\n</main>\n"
        ),
    )
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn codes(list: &[Code]) -> String {
    if list.is_empty() {
        return "<p class=\"dim\">none</p>\n".into();
    }
    let items: Vec<String> = list
        .iter()
        .map(|c| {
            if c.grease {
                format!("<li><code>{}</code> GREASE</li>", escape(&c.id))
            } else {
                format!(
                    "<li>{} <code>{}</code></li>",
                    escape(&c.name),
                    escape(&c.id)
                )
            }
        })
        .collect();
    format!("<ul>\n{}\n</ul>\n", items.join("\n"))
}

/// Every GREASE value (RFC 8701) in the hello, with where it is: `0x4a4a in cipher_suites`.
pub fn grease_values(h: &HelloFacts) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for s in h.cipher_suites.iter().filter(|s| s.grease) {
        out.push((s.id.clone(), "cipher_suites"));
    }
    for e in h.extensions.iter().filter(|e| e.grease) {
        out.push((e.id.clone(), "extensions"));
    }
    for g in h.groups.iter().filter(|g| g.grease) {
        out.push((g.id.clone(), "supported_groups"));
    }
    for k in h.key_shares.iter().filter(|k| k.group.grease) {
        out.push((k.group.id.clone(), "key_share"));
    }
    for s in h.signature_schemes.iter().filter(|s| s.grease) {
        out.push((s.id.clone(), "signature_algorithms"));
    }
    for v in h.supported_versions.iter().filter(|v| v.grease) {
        out.push((v.id.clone(), "supported_versions"));
    }
    out
}

/// The client test page: the verdicts first (what a visitor came for), then every field.
pub fn html(nonce: &Nonce, t: &ClientTest) -> String {
    let r = &t.report;
    let mut b = String::from("<h1>TLS client test</h1>\n");
    let Some(h) = &r.hello else {
        return page::document(nonce, "TLS client test", "", &b);
    };
    if let Some(hs) = &r.handshake {
        b.push_str(&format!(
            "<p id=\"summary\">Your browser ({}) connected with <strong>{}</strong> and {}. \
             Its ClientHello: {} bytes in {} record{}.</p>\n",
            escape(&r.peer),
            hs.version.map(human).unwrap_or_else(|| "?".into()),
            escape(hs.cipher_suite.as_deref().unwrap_or("?")),
            h.length,
            h.records,
            if h.records == 1 { "" } else { "s" }
        ));
    }

    b.push_str("<h3>Can it reach a server that follows each policy?</h3>\n<table id=\"verdicts\">\n<tr><th>policy</th><th>reaches it</th><th>what such a server picks, or why not</th></tr>\n");
    for v in &t.verdicts {
        b.push_str(&format!(
            "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}{}</td></tr>\n",
            escape(&v.policy),
            if v.compliant { "good" } else { "bad" },
            yes_no(v.compliant),
            escape(&v.message),
            v.upgrade
                .as_ref()
                .map(|u| format!("<br><span class=\"dim\">{}</span>", escape(u)))
                .unwrap_or_default()
        ));
    }
    b.push_str("</table>\n");

    let versions: Vec<String> = h.versions.iter().map(|v| human(*v)).collect();
    b.push_str(&format!(
        "<h3>Protocol versions</h3>\n<p id=\"versions\">{}</p>\n",
        escape(&versions.join(", "))
    ));

    b.push_str("<h3>Key exchange groups</h3>\n<table id=\"groups\" class=\"index\">\n<tr><th>group</th><th>id</th><th>post-quantum</th><th>key share</th></tr>\n");
    for g in &h.groups {
        let share = h
            .key_shares
            .iter()
            .find(|k| k.group.id == g.id)
            .map(|k| format!("{} byte{}", k.length, if k.length == 1 { "" } else { "s" }))
            .unwrap_or_default();
        b.push_str(&format!(
            "<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&g.name),
            escape(&g.id),
            if g.post_quantum {
                "<strong>yes (hybrid with ML-KEM)</strong>"
            } else {
                ""
            },
            share
        ));
    }
    b.push_str("</table>\n");

    b.push_str("<h3>Cipher suites</h3>\n<table id=\"suites\" class=\"index\">\n<tr><th>suite</th><th>id</th><th>security</th></tr>\n");
    for s in &h.cipher_suites {
        let (class, label) = match s.security {
            SuiteSecurity::Ok => ("good", "ok".to_string()),
            SuiteSecurity::Weak => ("weak", format!("weak: {}", s.reasons.join(", "))),
            SuiteSecurity::Insecure => ("bad", format!("insecure: {}", s.reasons.join(", "))),
            SuiteSecurity::NotASuite => ("dim", "not a suite".to_string()),
            SuiteSecurity::Unknown => ("dim", "unknown".to_string()),
        };
        b.push_str(&format!(
            "<tr><td>{}</td><td class=\"mono\">{}</td><td class=\"{class}\">{}</td></tr>\n",
            escape(&s.name),
            escape(&s.id),
            escape(&label)
        ));
    }
    b.push_str("</table>\n");

    b.push_str("<h3>Signature schemes</h3>\n<div id=\"signature-schemes\">\n");
    b.push_str(&codes(&h.signature_schemes));
    b.push_str("</div>\n");

    let grease = grease_values(h);
    b.push_str("<h3>GREASE</h3>\n<div id=\"grease\">\n");
    if grease.is_empty() {
        b.push_str("<p>No GREASE values (RFC 8701): this client does not exercise servers' tolerance of unknown values.</p>\n");
    } else {
        b.push_str("<p>Reserved values (RFC 8701) the client sends so servers keep tolerating unknown ones:</p>\n<ul>\n");
        for (id, place) in &grease {
            b.push_str(&format!(
                "<li><code>{}</code> in {}</li>\n",
                escape(id),
                escape(place)
            ));
        }
        b.push_str("</ul>\n");
    }
    b.push_str("</div>\n");

    let extensions: Vec<String> = h
        .extensions
        .iter()
        .map(|e| {
            if e.grease {
                format!("GREASE ({})", e.id)
            } else {
                e.name.clone()
            }
        })
        .collect();
    b.push_str(&format!(
        "<h3>Extensions</h3>\n<table id=\"details\">\n\
         <tr><th>ALPN</th><td>{}</td></tr>\n\
         <tr><th>server name (SNI)</th><td>{}</td></tr>\n\
         <tr><th>extensions, in order</th><td>{}</td></tr>\n\
         <tr><th>compression</th><td>{}</td></tr>\n\
         </table>\n",
        escape(&if h.alpn.is_empty() {
            "none".to_string()
        } else {
            h.alpn.join(", ")
        }),
        escape(h.sni.as_deref().unwrap_or("none (an address, not a name)")),
        escape(&extensions.join(", ")),
        if h.compression_methods.iter().any(|m| *m != 0) {
            "<span class=\"bad\">offered (CRIME)</span>"
        } else {
            "none"
        }
    ));

    b.push_str(&format!(
        "<h3>Fingerprints</h3>\n<table id=\"fingerprints\">\n\
         <tr><th>JA4</th><td><code id=\"ja4\">{}</code></td></tr>\n\
         <tr><th>JA4_r</th><td class=\"mono\">{}</td></tr>\n\
         <tr><th>JA3</th><td><code id=\"ja3\">{}</code></td></tr>\n\
         <tr><th>JA3 string</th><td class=\"mono\">{}</td></tr>\n\
         </table>\n",
        escape(h.ja4.as_deref().unwrap_or("")),
        escape(h.ja4_r.as_deref().unwrap_or("")),
        escape(h.ja3.as_deref().unwrap_or("")),
        escape(h.ja3_string.as_deref().unwrap_or("")),
    ));

    if !r.findings.is_empty() {
        b.push_str("<h3>Findings</h3>\n<ul id=\"findings\">\n");
        for f in &r.findings {
            b.push_str(&format!(
                "<li><code>{}</code> {}</li>\n",
                escape(&f.id),
                escape(&f.message)
            ));
        }
        b.push_str("</ul>\n");
    }
    b.push_str(
        "<p class=\"dim\">The same as JSON: <a href=\"/api/client\">/api/client</a>. \
         Each connection is judged by the hello it began with.</p>\n\
         <p><a href=\"/\">Back to the server test</a></p>\n",
    );
    // Fingerprint strings have no break opportunities: let them wrap anywhere.
    let head = format!(
        "<style nonce=\"{}\">#fingerprints td {{ word-break: break-all; }}</style>\n",
        nonce.0
    );
    page::document(nonce, "TLS client test", &head, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_in_client_test_schema_matches_the_type() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schema/client-test.schema.json"
        );
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == json_schema(),
            "schema/client-test.schema.json is stale: run `cargo run -- schema client-test > schema/client-test.schema.json`"
        );
    }

    #[test]
    fn the_link_uses_the_bound_address_or_a_clean_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "example.test:8080".parse().unwrap());
        let bound: SocketAddr = "127.0.0.1:8443".parse().unwrap();
        assert_eq!(
            tls_link(Some(bound), &h, "/client").as_deref(),
            Some("https://127.0.0.1:8443/client")
        );
        let any: SocketAddr = "0.0.0.0:8443".parse().unwrap();
        assert_eq!(
            tls_link(Some(any), &h, "/client").as_deref(),
            Some("https://example.test:8443/client")
        );
        h.insert(header::HOST, "[::1]:8080".parse().unwrap());
        assert_eq!(
            tls_link(Some(any), &h, "/client").as_deref(),
            Some("https://[::1]:8443/client")
        );
        h.insert(header::HOST, "\"><script>".parse().unwrap());
        assert_eq!(
            tls_link(Some(any), &h, "/client").as_deref(),
            Some("https://localhost:8443/client")
        );
        assert_eq!(tls_link(None, &h, "/client"), None);
    }
}
