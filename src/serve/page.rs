//! The form and error pages of `tlsaudit serve` (the report itself is [`crate::render::html`]).
//! Every string that is not a literal here goes through [`escape`].

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::allow::AllowList;
use super::MAX_TARGET_LEN;
use crate::policy::Policy;
use crate::render::html::escape;

const STYLE: &str = "
body { font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2328;
       margin: 0 auto; padding: 24px; max-width: 720px; }
h1 { font-size: 22px; margin: 0 0 12px; }
label { display: block; font-weight: 600; margin: 14px 0 4px; }
input, select { font: inherit; padding: 6px 8px; width: 100%; box-sizing: border-box; }
button { font: inherit; margin-top: 18px; padding: 8px 20px; font-weight: 600; }
.dim { color: #59636e; font-size: 13px; }
.error { color: #cf222e; border-left: 4px solid #cf222e; padding: 8px 12px; background: #f6f8fa; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
";

/// An HTML response with `status`.
pub fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// A whole page in the form's style; `body` is HTML, already escaped.
pub(super) fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// `GET /`: target, policy, STARTTLS.
pub fn form(policies: &[Policy], default: &str, allow: &AllowList) -> String {
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
    let body = format!(
        "<h1>TLS server test</h1>\n\
         <p>Scans a server's protocol versions, cipher suites, key exchange groups, signature \
         schemes, certificates and features, and judges them by a policy.</p>\n\
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
         </select>\n\
         <button type=\"submit\">Scan</button>\n\
         </form>\n\
         <p class=\"dim\">A scan takes a few seconds to a minute. This server scans only \
         addresses in {}. The same scan as JSON: <code>/api/scan?target=HOST:PORT&amp;policy=NAME</code>; \
         the policies: <code>/api/policies</code>.</p>\n",
        escape(&allow.to_string())
    );
    document("TLS server test", &body)
}

/// The report page of [`crate::render::html`] with a link back to the form at its top. The
/// first `<body>` is the page's own tag: everything a user or server chose is escaped there.
pub fn with_way_back(report: &[u8]) -> String {
    String::from_utf8_lossy(report).replacen(
        "<body>",
        "<body>\n<p><a href=\"/\">&larr; Scan another server</a></p>",
        1,
    )
}

/// A page that says what went wrong, with the way back.
pub fn error(message: &str) -> String {
    document(
        "TLS server test: error",
        &format!(
            "<h1>TLS server test</h1>\n<p class=\"error\">{}</p>\n<p><a href=\"/\">Back to the form</a></p>\n",
            escape(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_pages_escape_what_the_user_typed() {
        let page = error("<script>alert(1)</script> & \"x\"");
        assert!(page.contains(
            "<p class=\"error\">&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;</p>"
        ));
        assert!(!page.contains("<script>"));
    }
}
