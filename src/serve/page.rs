//! The pages of `tlsaudit serve`: the form, a running scan, a result, the recent results and
//! the refusals. They share the HTML report's style sheet ([`crate::render::html::STYLE`]), so
//! the page and `--format html` look alike; a result page embeds the report itself
//! ([`crate::render::html::body`]).
//!
//! Every string that is not a literal here goes through [`escape`]. The only script is the
//! running page's, and it and the style sheet carry the response's nonce: the Content Security
//! Policy allows nothing else.

use std::fmt::Write as _;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::allow::AllowList;
use super::jobs::StageEvent;
use super::{Comparison, RecentEntry, MAX_TARGET_LEN};
use crate::policy::Policy;
use crate::render::html::{escape, STYLE};
use crate::report::TargetReport;

/// A per-response nonce for the Content Security Policy: 128 random bits, hex.
#[derive(Debug, Clone)]
pub struct Nonce(pub String);

impl Nonce {
    pub fn new() -> Nonce {
        let bytes: [u8; 16] = rand::random();
        Nonce(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// An HTML response with `status`.
pub fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// A whole page: `head` goes into `<head>` (already escaped), `body` after the site links.
pub(super) fn document(nonce: &Nonce, title: &str, head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n{head}<style nonce=\"{}\">\n{STYLE}</style>\n</head>\n<body>\n\
         <nav class=\"site\"><a href=\"/\">Scan a server</a><a href=\"/r\">Recent results</a>\
         <a href=\"/client\">Client test</a><a href=\"/api/openapi.json\">API</a></nav>\n{body}</body>\n</html>\n",
        escape(title),
        nonce.0
    )
}

/// `GET /`: target, policy, STARTTLS; the latest results below.
pub fn form(
    nonce: &Nonce,
    policies: &[Policy],
    default: &str,
    allow: &AllowList,
    recent: &[RecentEntry],
) -> String {
    let mut options = String::new();
    for p in policies {
        options.push_str(&format!(
            "<option value=\"{}\"{}>{} &mdash; {}</option>\n",
            escape(&p.name),
            if p.name == default { " selected" } else { "" },
            escape(&p.name),
            escape(&p.title)
        ));
    }
    options.push_str("<option value=\"none\">none &mdash; facts only, no verdict</option>\n");
    let mut body = format!(
        "<main class=\"narrow\">\n<h1>TLS server test</h1>\n\
         <p>Scans a server's protocol versions, cipher suites, key exchange groups, signature \
         schemes, certificates and features, simulates which clients can connect, grades it \
         and judges it by a policy. Each result is kept under a link of its own.</p>\n\
         <form action=\"/scan\" method=\"get\">\n\
         <label for=\"target\">Server</label>\n\
         <input id=\"target\" name=\"target\" placeholder=\"host[:port]\" required \
         maxlength=\"{MAX_TARGET_LEN}\" autofocus>\n\
         <label for=\"policy\">Policy</label>\n\
         <select id=\"policy\" name=\"policy\">\n{options}</select>\n\
         <label for=\"starttls\">STARTTLS</label>\n\
         <select id=\"starttls\" name=\"starttls\">\n\
         <option value=\"\">none (TLS from the first byte)</option>\n\
         <option value=\"smtp\">SMTP (port 25 by default)</option>\n\
         <option value=\"imap\">IMAP (port 143 by default)</option>\n\
         <option value=\"pop3\">POP3 (port 110 by default)</option>\n\
         <option value=\"postgres\">PostgreSQL (port 5432 by default)</option>\n\
         <option value=\"ftp\">FTP (port 21 by default)</option>\n\
         <option value=\"xmpp\">XMPP (port 5222 by default)</option>\n\
         <option value=\"ldap\">LDAP (port 389 by default)</option>\n\
         <option value=\"mysql\">MySQL / MariaDB (port 3306 by default)</option>\n\
         <option value=\"nntp\">NNTP (port 119 by default)</option>\n\
         <option value=\"irc\">IRC (port 6667 by default)</option>\n\
         <option value=\"sieve\">ManageSieve (port 4190 by default)</option>\n\
         <option value=\"lmtp\">LMTP (port 24 by default)</option>\n\
         </select>\n\
         <button type=\"submit\">Scan</button>\n\
         </form>\n\
         <p class=\"dim\">A scan takes a few seconds to a minute. This server scans only \
         addresses in {}. The same scan as JSON: <code>/api/scan?target=HOST:PORT&amp;policy=NAME</code>; \
         the whole API: <a href=\"/api/openapi.json\"><code>/api/openapi.json</code></a>.</p>\n",
        escape(&allow.to_string())
    );
    if !recent.is_empty() {
        body.push_str("<h3>Recent results</h3>\n");
        recent_table(&mut body, recent);
        body.push_str("<p><a href=\"/r\">All recent results</a></p>\n");
    }
    body.push_str("</main>\n");
    document(nonce, "TLS server test", "", &body)
}

/// `GET /r`: the latest results, newest first.
pub fn recent(nonce: &Nonce, recent: &[RecentEntry]) -> String {
    let mut body = String::from("<h1>Recent results</h1>\n");
    if recent.is_empty() {
        body.push_str("<p class=\"dim\">No scans yet: <a href=\"/\">scan a server</a>.</p>\n");
    } else {
        recent_table(&mut body, recent);
    }
    document(nonce, "TLS server test: recent results", "", &body)
}

fn recent_table(h: &mut String, recent: &[RecentEntry]) {
    h.push_str(
        "<table class=\"recent\"><thead><tr><th>result</th><th>target</th><th>started</th>\
         <th>grade</th><th>verdict</th></tr></thead><tbody>\n",
    );
    for e in recent {
        let outcome = match (&e.error, e.status.as_str()) {
            (_, "running") => "<span class=\"running\">running&hellip;</span>".to_string(),
            (Some(err), _) => format!("<span class=\"error\">{}</span>", escape(err)),
            (None, _) => escape(e.verdict.as_deref().unwrap_or("-")),
        };
        let _ = writeln!(
            h,
            "<tr><td><a href=\"{}\">#{}</a></td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&e.link),
            e.id,
            escape(&e.target),
            escape(&e.started_at),
            escape(e.grade.as_deref().unwrap_or("-")),
            outcome
        );
    }
    h.push_str("</tbody></table>\n");
}

/// The script of a running scan's page: it follows the event stream named by `#live`'s
/// `data-events`, adds each step's section as it arrives, and shows the result link at the
/// end. The fragments it inserts were escaped by the server; the policy forbids any script in
/// them from running anyway.
const LIVE_SCRIPT: &str = "
(() => {
  const live = document.getElementById('live');
  const steps = document.getElementById('steps');
  const status = document.getElementById('status');
  const events = new EventSource(live.dataset.events);
  events.addEventListener('stage', (e) => {
    const d = JSON.parse(e.data);
    const s = document.createElement('section');
    s.className = 'step';
    s.dataset.stage = d.stage;
    s.innerHTML = d.html;
    steps.appendChild(s);
    status.textContent = 'Scanning\\u2026 ' + d.stage + ' done.';
  });
  events.addEventListener('done', (e) => {
    const d = JSON.parse(e.data);
    events.close();
    status.className = '';
    status.innerHTML = d.html;
    live.dataset.done = 'true';
  });
  events.onerror = () => {
    if (events.readyState === EventSource.CLOSED && live.dataset.done !== 'true') {
      status.textContent = 'The progress stream was lost: reload this page for the result.';
    }
  };
})();
";

/// A scan still running (`GET /r/{id}`): with JavaScript the steps arrive as they finish;
/// without, the page shows the steps so far and reloads itself every few seconds until the
/// report is there.
pub fn running(
    nonce: &Nonce,
    id: i64,
    target: &str,
    started_at: &str,
    so_far: &[StageEvent],
) -> String {
    let head = format!(
        "<noscript><meta http-equiv=\"refresh\" content=\"{RELOAD_SECONDS}\"></noscript>\n"
    );
    let mut body = format!(
        "<h1>Scanning {}</h1>\n\
         <div id=\"live\" data-events=\"/api/scan/{id}/events\">\n\
         <p class=\"meta\">started {} &middot; result <a href=\"/r/{id}\">/r/{id}</a></p>\n\
         <div id=\"status\" class=\"running\">Scanning&hellip;</div>\n\
         <noscript><p>This page reloads every {RELOAD_SECONDS} seconds until the report is \
         there (or open <a href=\"/r/{id}\">/r/{id}</a> later).</p>\n",
        escape(target),
        escape(started_at),
    );
    for s in so_far {
        let _ = writeln!(
            body,
            "<section class=\"step\" data-stage=\"{}\">{}</section>",
            escape(&s.stage),
            s.html
        );
    }
    let _ = write!(
        body,
        "</noscript>\n<div id=\"steps\"></div>\n</div>\n<script nonce=\"{}\">{LIVE_SCRIPT}</script>\n",
        nonce.0
    );
    document(nonce, &format!("Scanning {target}"), &head, &body)
}

/// Seconds between reloads of a running scan's page without JavaScript.
pub const RELOAD_SECONDS: u32 = 3;

/// What a result page offers beside the report: a rescan of each target, and what changed
/// since its previous scan.
pub struct ResultExtras<'a> {
    pub id: i64,
    pub started_at: &'a str,
    pub comparisons: &'a [Comparison],
}

/// `GET /r/{id}` of a finished scan: the report, then for each target a rescan button and
/// what changed since its previous scan.
pub fn result(nonce: &Nonce, report_body: &str, title: &str, x: &ResultExtras) -> String {
    let mut body = format!(
        "<p class=\"meta\">Result <a href=\"/r/{id}\">/r/{id}</a> &middot; scan started {} \
         &middot; JSON: <a href=\"/api/results/{id}\">/api/results/{id}</a></p>\n",
        escape(x.started_at),
        id = x.id
    );
    for c in x.comparisons {
        let _ = writeln!(
            body,
            "<section class=\"compare\">\n<h3>{} <form class=\"inline\" action=\"/scan\" method=\"get\">\
             <input type=\"hidden\" name=\"target\" value=\"{}\">\
             <input type=\"hidden\" name=\"policy\" value=\"{}\">\
             <input type=\"hidden\" name=\"starttls\" value=\"{}\">\
             <button type=\"submit\">Rescan</button></form></h3>",
            escape(&c.target),
            escape(&c.target),
            escape(&c.policy),
            escape(c.starttls.as_deref().unwrap_or("")),
        );
        match (&c.previous_link, c.changes.is_empty()) {
            (None, _) => {
                body.push_str("<p class=\"dim\">The first scan of this target here.</p>\n")
            }
            (Some(link), true) => {
                let _ = writeln!(
                    body,
                    "<p>Nothing changed since the <a href=\"{}\">previous scan</a>.</p>",
                    escape(link)
                );
            }
            (Some(link), false) => {
                let _ = writeln!(
                    body,
                    "<p>Changes since the <a href=\"{}\">previous scan</a>:</p>\n\
                     <table class=\"changes\"><tbody>",
                    escape(link)
                );
                for ch in &c.changes {
                    let _ = writeln!(
                        body,
                        "<tr><td class=\"mono\">{}</td><td>{}</td></tr>",
                        escape(&ch.id),
                        escape(&ch.message)
                    );
                }
                body.push_str("</tbody></table>\n");
            }
        }
        body.push_str("</section>\n");
    }
    body.push_str(report_body);
    document(nonce, title, "", &body)
}

/// The line a finished scan's page shows (the `done` event's `html`): the grade and verdict,
/// or why the target was not scanned, and the link to the full report.
pub fn done(link: &str, t: &TargetReport, store_error: Option<String>) -> String {
    let mut h = String::from("<p class=\"done\">Done: ");
    if let Some(e) = &t.error {
        let _ = write!(h, "<span class=\"error\">not scanned: {}</span>", escape(e));
    } else {
        if let Some(g) = &t.grade {
            let _ = write!(h, "grade <strong>{}</strong>", escape(g.letter.as_str()));
        }
        if let Some(p) = &t.policy {
            let _ = write!(
                h,
                " &middot; {} by <strong>{}</strong>",
                escape(&p.verdict.to_string()),
                escape(&p.policy)
            );
        }
    }
    match store_error {
        None => {
            let _ = write!(
                h,
                " &middot; <a id=\"result-link\" href=\"{}\">the full report</a></p>",
                escape(link)
            );
        }
        Some(e) => {
            let _ = write!(
                h,
                "</p>\n<p class=\"error\">The result could not be stored: {}</p>",
                escape(&e)
            );
        }
    }
    h
}

/// The `done` line of a scan the store holds no report of.
pub fn done_unfinished(link: &str) -> String {
    format!(
        "<p class=\"done\">This scan has no result: <a id=\"result-link\" href=\"{}\">see why</a></p>",
        escape(link)
    )
}

/// A page that says what went wrong, with the way back.
pub fn error(nonce: &Nonce, message: &str) -> String {
    document(
        nonce,
        "TLS server test: error",
        "",
        &format!(
            "<main class=\"narrow\">\n<h1>TLS server test</h1>\n<p class=\"error\">{}</p>\n\
             <p><a href=\"/\">Back to the form</a></p>\n</main>\n",
            escape(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_pages_escape_what_the_user_typed() {
        let page = error(&Nonce("n".into()), "<script>alert(1)</script> & \"x\"");
        assert!(page.contains(
            "<p class=\"error\">&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;</p>"
        ));
        assert!(!page.contains("<script"));
        assert!(page.contains("<style nonce=\"n\">"));
    }

    #[test]
    fn the_running_page_escapes_its_target_and_nonces_its_script() {
        let so_far = [StageEvent {
            stage: "versions".into(),
            html: "<h3>Protocol versions</h3>".into(),
        }];
        let page = running(
            &Nonce("abc".into()),
            7,
            "<b>x</b>:443",
            "2026-12-01T00:00:00Z",
            &so_far,
        );
        assert!(page.contains("<h1>Scanning &lt;b&gt;x&lt;/b&gt;:443</h1>"));
        assert!(page.contains("<div id=\"live\" data-events=\"/api/scan/7/events\">"));
        assert!(page.contains("<script nonce=\"abc\">"));
        assert_eq!(page.matches("<script").count(), 1);
        // Without JavaScript: the steps so far, and a reload.
        assert!(page.contains(
            "<section class=\"step\" data-stage=\"versions\"><h3>Protocol versions</h3></section>"
        ));
        assert!(page.contains("<noscript><meta http-equiv=\"refresh\" content=\"3\"></noscript>"));
    }

    #[test]
    fn nonces_differ_and_fit_the_csp_grammar() {
        let (a, b) = (Nonce::new(), Nonce::new());
        assert_ne!(a.0, b.0);
        assert_eq!(a.0.len(), 32);
        assert!(a.0.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
