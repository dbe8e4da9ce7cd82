//! STARTTLS preambles: the plaintext exchange that turns a connection into a TLS one
//! (SMTP RFC 3207, IMAP RFC 2595 / RFC 9051 section 6.2.1, POP3 RFC 2595 section 4, FTP
//! RFC 4217 `AUTH TLS`, PostgreSQL's SSLRequest, XMPP RFC 6120 section 5). Each reply is bounded in size and the whole
//! exchange in time by the caller.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

pub use crate::facts::Starttls;

/// A server reply line longer than this is not a mail server talking.
const MAX_LINE: usize = 4096;
/// Nor is a reply of more lines than this.
const MAX_LINES: usize = 64;

/// Reads CRLF-terminated lines without reading past the last one asked for.
struct Lines<'a, S> {
    stream: &'a mut S,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Lines<'_, S> {
    async fn line(&mut self) -> Result<String, String> {
        let mut line = Vec::new();
        loop {
            let mut b = [0u8; 1];
            // One byte at a time: after its final reply the server waits for our TLS hello,
            // and nothing of that may be swallowed here.
            match self.stream.read(&mut b).await {
                Ok(0) => return Err("server closed the connection during STARTTLS".into()),
                Ok(_) => {}
                Err(e) => return Err(format!("reading the STARTTLS reply: {e}")),
            }
            if b[0] == b'\n' {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            line.push(b[0]);
            if line.len() > MAX_LINE {
                return Err("STARTTLS reply line too long: not the protocol asked for?".into());
            }
        }
    }

    /// An SMTP reply (RFC 5321 section 4.2): `250-more`, …, `250 last`. Returns its code and text.
    async fn smtp_reply(&mut self) -> Result<(u16, String), String> {
        let mut text = String::new();
        for _ in 0..MAX_LINES {
            let line = self.line().await?;
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let Some(code) = code else {
                return Err(format!("not an SMTP reply: {line:?}"));
            };
            text.push_str(line.get(4..).unwrap_or(""));
            text.push('\n');
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, text));
            }
        }
        Err("SMTP reply has too many lines".into())
    }

    /// An FTP reply (RFC 959 section 4.2): `234 text`, or `220-first` … `220 last` where the
    /// lines between may be anything. Returns its code and the whole text.
    async fn ftp_reply(&mut self) -> Result<(u16, String), String> {
        let first = self.line().await?;
        let code = first.get(..3).and_then(|c| c.parse::<u16>().ok());
        let Some(code) = code else {
            return Err(format!(
                "STARTTLS (ftp): not an FTP reply, server said {first:?}"
            ));
        };
        let mut text = first.clone();
        if first.as_bytes().get(3) != Some(&b'-') {
            return Ok((code, text));
        }
        let last = format!("{code} ");
        for _ in 0..MAX_LINES {
            let line = self.line().await?;
            text.push('\n');
            text.push_str(&line);
            if line.starts_with(&last) {
                return Ok((code, text));
            }
        }
        Err("STARTTLS (ftp): reply has too many lines".into())
    }
}

/// PostgreSQL's SSLRequest message: length 8, then the request code 80877103.
const PG_SSL_REQUEST: [u8; 8] = [0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f];

/// Shows what a server sent where a PostgreSQL answer byte was due: text as text, else hex.
fn shown(bytes: &[u8]) -> String {
    let text = bytes
        .iter()
        .all(|b| b.is_ascii_graphic() || matches!(b, b' ' | b'\r' | b'\n' | b'\t'));
    if text {
        format!("{:?}", String::from_utf8_lossy(bytes).trim_end())
    } else {
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("bytes {}", hex.join(" "))
    }
}

/// Sends the SSLRequest and reads the one-byte answer. Nothing else may be read after an
/// `S`: the server's next bytes are TLS.
async fn postgres<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> Result<(), String> {
    stream
        .write_all(&PG_SSL_REQUEST)
        .await
        .map_err(|e| format!("STARTTLS (postgres): sending the SSLRequest: {e}"))?;
    let mut b = [0u8; 1];
    match stream.read(&mut b).await {
        Ok(0) => {
            return Err(
                "STARTTLS (postgres): server closed the connection after the SSLRequest".into(),
            )
        }
        Ok(_) => {}
        Err(e) => return Err(format!("STARTTLS (postgres): reading the answer: {e}")),
    }
    match b[0] {
        b'S' => Ok(()),
        b'N' => Err("STARTTLS (postgres): server refused SSL (answered 'N'; ssl is off)".into()),
        _ => {
            // Not a PostgreSQL server: show the rest of what it has already sent (one read,
            // bounded), e.g. a mail or FTP greeting or a TLS alert.
            let mut rest = [0u8; 256];
            let mut got = vec![b[0]];
            let more = tokio::time::timeout(
                std::time::Duration::from_millis(500),
                stream.read(&mut rest),
            )
            .await;
            if let Ok(Ok(n)) = more {
                got.extend_from_slice(&rest[..n]);
            }
            Err(format!(
                "STARTTLS (postgres): not a PostgreSQL answer to the SSLRequest (want 'S' or 'N'), server said {}",
                shown(&got)
            ))
        }
    }
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, line: &str) -> Result<(), String> {
    stream
        .write_all(line.as_bytes())
        .await
        .map_err(|e| format!("sending {:?}: {e}", line.trim_end()))
}

/// The most XMPP we read before the features or the answer to `<starttls/>`.
const MAX_XMPP: usize = 16 * 1024;
const XMPP_TLS_NS: &str = "urn:ietf:params:xml:ns:xmpp-tls";

/// Reads one byte at a time until `done(read so far)`, at most `max` bytes.
async fn xmpp_until<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    what: &str,
    max: usize,
    done: impl Fn(&[u8]) -> bool,
) -> Result<(), String> {
    while !done(buf) {
        let mut b = [0u8; 1];
        match stream.read(&mut b).await {
            Ok(0) => {
                return Err(format!(
                    "STARTTLS (xmpp): server closed the connection before {what}, server said {}",
                    shown_xml(buf)
                ))
            }
            Ok(_) => buf.push(b[0]),
            Err(e) => return Err(format!("STARTTLS (xmpp): reading {what}: {e}")),
        }
        if buf.len() > max {
            return Err(format!(
                "STARTTLS (xmpp): more than {max} bytes without {what}"
            ));
        }
    }
    Ok(())
}

/// What an XMPP server said, shortened for an error message.
fn shown_xml(buf: &[u8]) -> String {
    let text = String::from_utf8_lossy(buf);
    let text = text.trim();
    let short: String = text.chars().take(300).collect();
    if short.len() < text.len() {
        format!("{short:?}…")
    } else {
        format!("{short:?}")
    }
}

/// The condition of a stream error (`<stream:error><host-unknown …/>`), if `buf` has one.
fn xmpp_stream_error(buf: &str) -> Option<String> {
    let at = buf.find("<stream:error>")? + "<stream:error>".len();
    let rest = buf[at..].trim_start().strip_prefix('<')?;
    let end = rest.find(|c: char| c.is_whitespace() || c == '/' || c == '>')?;
    let mut cond = rest[..end].to_string();
    // The optional human text, `<text xmlns=…>why</text>`.
    if let Some(t) = buf
        .find("<text")
        .and_then(|i| buf[i..].find('>').map(|j| i + j + 1))
    {
        if let Some(e) = buf[t..].find("</text>") {
            cond.push_str(&format!(" ({})", &buf[t..t + e]));
        }
    }
    Some(cond)
}

/// Opens a client stream to `domain`, reads the features, asks for TLS and reads `<proceed/>`.
/// Not a general XML parser: it relies on the `stream:` prefix every server uses.
async fn xmpp<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    domain: &str,
) -> Result<(), String> {
    let domain: String = domain
        .chars()
        .filter(|c| !matches!(c, '\'' | '"' | '<' | '>' | '&'))
        .collect();
    let open = format!(
        "<?xml version='1.0'?><stream:stream to='{domain}' version='1.0' xml:lang='en' \
         xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
    );
    stream
        .write_all(open.as_bytes())
        .await
        .map_err(|e| format!("STARTTLS (xmpp): sending the stream header: {e}"))?;
    let mut buf = Vec::new();
    let ended = |b: &[u8]| {
        b.ends_with(b"</stream:features>")
            || b.ends_with(b"<stream:features/>")
            || b.ends_with(b"</stream:error>")
            || b.ends_with(b"</stream:stream>")
    };
    xmpp_until(stream, &mut buf, "the stream features", MAX_XMPP, ended).await?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    if let Some(err) = xmpp_stream_error(&text) {
        return Err(format!("STARTTLS (xmpp): stream error {err}"));
    }
    if !text.contains("<stream:stream") {
        return Err(format!(
            "STARTTLS (xmpp): no stream header, server said {}",
            shown_xml(&buf)
        ));
    }
    let features = text.find("<stream:features").map_or("", |i| &text[i..]);
    if !features.contains(XMPP_TLS_NS) {
        return Err(format!(
            "STARTTLS (xmpp): no <starttls/> among the features, server said {}",
            shown_xml(features.as_bytes())
        ));
    }
    stream
        .write_all(format!("<starttls xmlns='{XMPP_TLS_NS}'/>").as_bytes())
        .await
        .map_err(|e| format!("STARTTLS (xmpp): sending <starttls/>: {e}"))?;
    // `<proceed xmlns='…'/>` (or `<proceed …></proceed>`); `<failure …/>` or a stream error.
    let mut buf = Vec::new();
    let answered = |b: &[u8]| {
        if b.last() != Some(&b'>') {
            return false;
        }
        let t = String::from_utf8_lossy(b);
        let closed = |name: &str| {
            t.find(&format!("<{name}")).is_some_and(|i| {
                let tail = &t[i..];
                (tail.ends_with("/>") && !tail[..tail.len() - 2].contains('>'))
                    || tail.ends_with(&format!("</{name}>"))
            })
        };
        closed("proceed") || closed("failure") || t.ends_with("</stream:stream>")
    };
    xmpp_until(
        stream,
        &mut buf,
        "the answer to <starttls/>",
        MAX_LINE,
        answered,
    )
    .await?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    if text.trim_start().starts_with("<proceed") {
        return Ok(());
    }
    if let Some(err) = xmpp_stream_error(&text) {
        return Err(format!("STARTTLS (xmpp): stream error {err}"));
    }
    Err(format!(
        "STARTTLS (xmpp): <starttls/> refused, server said {}",
        shown_xml(&buf)
    ))
}

/// Runs the preamble on a fresh connection; on success the next bytes are TLS. `domain` is the
/// server's name where the protocol sends one (XMPP's stream `to`; the address otherwise).
pub async fn negotiate(
    stream: &mut TcpStream,
    proto: Starttls,
    domain: Option<&str>,
) -> Result<(), String> {
    let domain = match domain {
        Some(d) => d.to_string(),
        None => stream
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
    };
    negotiate_over(stream, proto, &domain).await
}

/// [`negotiate`] over any byte stream: the replies are read from it and the commands written
/// to it. The fuzz targets and tests run it over bytes in memory.
pub async fn negotiate_over<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proto: Starttls,
    domain: &str,
) -> Result<(), String> {
    let fail = |what: &str, got: &str| {
        format!(
            "STARTTLS ({}): {what}, server said {:?}",
            proto.name(),
            got.trim_end()
        )
    };
    match proto {
        Starttls::Smtp => {
            let mut r = Lines { stream };
            let (code, text) = r.smtp_reply().await?;
            if code != 220 {
                return Err(fail("no 220 greeting", &text));
            }
            send(r.stream, "EHLO tlsaudit.invalid\r\n").await?;
            let (code, text) = r.smtp_reply().await?;
            if code != 250 {
                return Err(fail("EHLO refused", &text));
            }
            send(r.stream, "STARTTLS\r\n").await?;
            let (code, text) = r.smtp_reply().await?;
            if code != 220 {
                return Err(fail("STARTTLS refused", &text));
            }
        }
        Starttls::Imap => {
            let mut r = Lines { stream };
            let greeting = r.line().await?;
            if !greeting.starts_with("* OK") {
                return Err(fail("no * OK greeting", &greeting));
            }
            send(r.stream, "a1 STARTTLS\r\n").await?;
            for _ in 0..MAX_LINES {
                let line = r.line().await?;
                if let Some(status) = line.strip_prefix("a1 ") {
                    return if status.starts_with("OK") {
                        Ok(())
                    } else {
                        Err(fail("STARTTLS refused", &line))
                    };
                }
            }
            return Err("IMAP server never answered the STARTTLS command".into());
        }
        Starttls::Pop3 => {
            let mut r = Lines { stream };
            let greeting = r.line().await?;
            if !greeting.starts_with("+OK") {
                return Err(fail("no +OK greeting", &greeting));
            }
            send(r.stream, "STLS\r\n").await?;
            let reply = r.line().await?;
            if !reply.starts_with("+OK") {
                return Err(fail("STLS refused", &reply));
            }
        }
        Starttls::Postgres => return postgres(stream).await,
        Starttls::Xmpp => return xmpp(stream, domain).await,
        Starttls::Ftp => {
            let mut r = Lines { stream };
            let (code, text) = r.ftp_reply().await?;
            if code != 220 {
                return Err(fail("no 220 greeting", &text));
            }
            send(r.stream, "AUTH TLS\r\n").await?;
            let (code, text) = r.ftp_reply().await?;
            if code != 234 {
                return Err(fail("AUTH TLS refused", &text));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmpp_stream_error_condition_and_text() {
        let e = "<stream:stream from='x'><stream:error><host-unknown \
                 xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>\
                 not here</text></stream:error></stream:stream>";
        assert_eq!(
            xmpp_stream_error(e).as_deref(),
            Some("host-unknown (not here)")
        );
        let e = "<stream:error><policy-violation/></stream:error>";
        assert_eq!(xmpp_stream_error(e).as_deref(), Some("policy-violation"));
        assert_eq!(xmpp_stream_error("<stream:features/>"), None);
        assert_eq!(xmpp_stream_error("<stream:error>"), None);
    }

    #[test]
    fn shown_is_text_or_hex_and_xml_is_shortened() {
        assert_eq!(shown(b"220 ready\r\n"), "\"220 ready\"");
        assert_eq!(shown(&[0x15, 0x03, 0x03]), "bytes 15 03 03");
        let long = vec![b'a'; 400];
        let s = shown_xml(&long);
        assert!(s.ends_with("\"…") && s.len() == 300 + 2 + "…".len(), "{s}");
    }
}
