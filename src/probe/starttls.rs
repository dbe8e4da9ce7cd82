//! STARTTLS preambles: the plaintext exchange that turns a connection into a TLS one
//! (SMTP RFC 3207, IMAP RFC 2595 / RFC 9051 section 6.2.1, POP3 RFC 2595 section 4, FTP
//! RFC 4217 `AUTH TLS`, PostgreSQL's SSLRequest, XMPP RFC 6120 section 5, LDAP RFC 4511
//! section 4.14, MySQL's SSLRequest, NNTP RFC 4642, IRC's IRCv3 `STARTTLS`, ManageSieve
//! RFC 5804 section 2.2, LMTP RFC 2033). Each reply is bounded in size and the whole exchange
//! in time by the caller.
//!
//! A server that turns us away for now (SMTP's 421, LDAP's busy, MySQL's "too many
//! connections" …) says so in a [`StarttlsError`] marked `busy`: the engine backs off and asks
//! again instead of taking it for the target's answer.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

pub use crate::facts::Starttls;

/// Why a STARTTLS exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StarttlsError {
    pub message: String,
    /// The server refused for now, in its protocol's words for "busy" or "too many
    /// connections" (SMTP and FTP 421, NNTP 400, an IMAP `* BYE` greeting, POP3
    /// `[SYS/TEMP]`, LDAP busy or unavailable, ManageSieve `TRYLATER`, MySQL error 1040, XMPP
    /// `resource-constraint`): worth asking again later, not the server's answer.
    pub busy: bool,
    /// The server closed or reset the connection before sending one byte: no answer in any of
    /// these protocols, which all greet or answer first. From a server that answered earlier
    /// connections it is a connection limit in front of it (nginx's `limit_conn`, xinetd's
    /// `per_source`), which the engine treats like `busy`.
    pub dropped: bool,
}

impl StarttlsError {
    fn busy(message: String) -> Self {
        Self {
            message,
            busy: true,
            dropped: false,
        }
    }
}

impl From<String> for StarttlsError {
    fn from(message: String) -> Self {
        Self {
            message,
            busy: false,
            dropped: false,
        }
    }
}

impl From<&str> for StarttlsError {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

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
                return Err("reply line too long: not the protocol asked for?".into());
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
        Err("reply has too many lines".into())
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
) -> Result<(), StarttlsError> {
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
) -> Result<(), StarttlsError> {
    let mut counted = Counted {
        inner: stream,
        read: 0,
    };
    match preamble(&mut counted, proto, domain).await {
        Err(e) if counted.read == 0 => Err(StarttlsError {
            message: format!(
                "STARTTLS ({}): the server closed the connection without sending a byte ({})",
                proto.name(),
                e.message
            ),
            dropped: true,
            ..e
        }),
        // The line reader's errors are shared by every line-based protocol: each error names
        // the protocol it came from.
        Err(mut e) if !e.message.starts_with("STARTTLS (") => {
            e.message = format!("STARTTLS ({}): {}", proto.name(), e.message);
            Err(e)
        }
        other => other,
    }
}

/// A stream that counts the bytes read from it.
struct Counted<'a, S> {
    inner: &'a mut S,
    read: usize,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<'_, S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = std::pin::Pin::new(&mut *self.inner).poll_read(cx, buf);
        self.read += buf.filled().len() - before;
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<'_, S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut *self.inner).poll_write(cx, data)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut *self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut *self.inner).poll_shutdown(cx)
    }
}

/// The exchange of `proto`, over a stream that counts what it reads.
async fn preamble<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proto: Starttls,
    domain: &str,
) -> Result<(), StarttlsError> {
    let fail = |what: &str, got: &str| {
        format!(
            "STARTTLS ({}): {what}, server said {:?}",
            proto.name(),
            got.trim_end()
        )
    };
    match proto {
        Starttls::Smtp => return smtp(&mut Lines { stream }, "EHLO", proto).await,
        // RFC 2033 section 4.1: LMTP is SMTP with LHLO in place of EHLO.
        Starttls::Lmtp => return smtp(&mut Lines { stream }, "LHLO", proto).await,
        Starttls::Imap => {
            let mut r = Lines { stream };
            let greeting = r.line().await?;
            if greeting.starts_with("* BYE") {
                // RFC 9051 section 7.1.5: BYE as the greeting refuses the connection.
                return Err(StarttlsError::busy(fail(
                    "connection refused with * BYE",
                    &greeting,
                )));
            }
            if !greeting.starts_with("* OK") {
                return Err(fail("no * OK greeting", &greeting).into());
            }
            send(r.stream, "a1 STARTTLS\r\n").await?;
            for _ in 0..MAX_LINES {
                let line = r.line().await?;
                if let Some(status) = line.strip_prefix("a1 ") {
                    return if status.starts_with("OK") {
                        Ok(())
                    } else {
                        Err(fail("STARTTLS refused", &line).into())
                    };
                }
            }
            return Err("IMAP server never answered the STARTTLS command".into());
        }
        Starttls::Pop3 => {
            let mut r = Lines { stream };
            let greeting = r.line().await?;
            if !greeting.starts_with("+OK") {
                // RFC 3206 section 4: [SYS/TEMP] is a temporary failure.
                let busy = greeting.contains("[SYS/TEMP]") || greeting.contains("[IN-USE]");
                let e = fail("no +OK greeting", &greeting);
                return Err(StarttlsError {
                    message: e,
                    busy,
                    dropped: false,
                });
            }
            send(r.stream, "STLS\r\n").await?;
            let reply = r.line().await?;
            if !reply.starts_with("+OK") {
                return Err(fail("STLS refused", &reply).into());
            }
        }
        Starttls::Postgres => return postgres(stream).await.map_err(Into::into),
        Starttls::Xmpp => {
            return xmpp(stream, domain).await.map_err(|message| StarttlsError {
                // RFC 6120 section 4.9.3.17: the server lacks the resources to serve us now.
                busy: message.contains("stream error resource-constraint"),
                message,
                dropped: false,
            });
        }
        Starttls::Ftp => {
            let mut r = Lines { stream };
            let (code, text) = r.ftp_reply().await?;
            if code == 421 {
                return Err(StarttlsError::busy(fail(
                    "service not available (421)",
                    &text,
                )));
            }
            if code != 220 {
                return Err(fail("no 220 greeting", &text).into());
            }
            send(r.stream, "AUTH TLS\r\n").await?;
            let (code, text) = r.ftp_reply().await?;
            if code != 234 {
                return Err(fail("AUTH TLS refused", &text).into());
            }
        }
        Starttls::Ldap => return ldap(stream).await,
        Starttls::Mysql => return mysql(stream).await,
        Starttls::Nntp => {
            let mut r = Lines { stream };
            let greeting = r.line().await?;
            // RFC 3977 section 5.1: 200/201 welcome, 400 unavailable for now, 502 never.
            if greeting.starts_with("400") {
                return Err(StarttlsError::busy(fail(
                    "service temporarily unavailable (400)",
                    &greeting,
                )));
            }
            if !(greeting.starts_with("200") || greeting.starts_with("201")) {
                return Err(fail("no 200 or 201 greeting", &greeting).into());
            }
            send(r.stream, "STARTTLS\r\n").await?;
            let reply = r.line().await?;
            // RFC 4642 section 2.2.2: 382 continue with TLS negotiation.
            if !reply.starts_with("382") {
                return Err(fail("STARTTLS refused", &reply).into());
            }
        }
        Starttls::Irc => return irc(&mut Lines { stream }).await,
        Starttls::Sieve => return sieve(&mut Lines { stream }).await,
    }
    Ok(())
}

/// SMTP (RFC 3207) or LMTP (RFC 2033): greeting 220, `hello` (EHLO or LHLO) answered 250,
/// STARTTLS answered 220. A 421 anywhere is the server turning us away for now.
async fn smtp<S: AsyncRead + AsyncWrite + Unpin>(
    r: &mut Lines<'_, S>,
    hello: &str,
    proto: Starttls,
) -> Result<(), StarttlsError> {
    let fail = |what: &str, code: u16, got: &str| {
        let message = format!(
            "STARTTLS ({}): {what}, server said {:?}",
            proto.name(),
            format!("{code} {}", got.trim_end())
        );
        // RFC 5321 section 4.2.3: 421 service not available, closing transmission channel
        // (Postfix's anvil: "421 4.7.0 Error: too many connections from …").
        StarttlsError {
            message,
            busy: code == 421,
            dropped: false,
        }
    };
    let (code, text) = r.smtp_reply().await?;
    if code != 220 {
        return Err(fail("no 220 greeting", code, &text));
    }
    send(r.stream, &format!("{hello} tlsaudit.invalid\r\n")).await?;
    let (code, text) = r.smtp_reply().await?;
    if code != 250 {
        return Err(fail(&format!("{hello} refused"), code, &text));
    }
    send(r.stream, "STARTTLS\r\n").await?;
    let (code, text) = r.smtp_reply().await?;
    if code != 220 {
        return Err(fail("STARTTLS refused", code, &text));
    }
    Ok(())
}

/// The LDAP StartTLS extended request (RFC 4511 sections 4.12 and 4.14.1), message ID 1:
/// `SEQUENCE { INTEGER 1, [APPLICATION 23] { [0] "1.3.6.1.4.1.1466.20037" } }`.
const LDAP_STARTTLS: &[u8] = b"\x30\x1d\x02\x01\x01\x77\x18\x80\x161.3.6.1.4.1.1466.20037";
/// The largest LDAP answer to StartTLS we read: a result code and two short strings.
const MAX_LDAP: usize = 16 * 1024;

/// One BER element: its tag, its contents and what follows it. Definite lengths only (RFC
/// 4511 section 5.1 forbids the indefinite form), at most four length bytes.
fn ber(buf: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = buf.split_first()?;
    let (len, rest) = ber_len(rest)?;
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// A BER length (X.690 section 8.1.3) and what follows it.
fn ber_len(buf: &[u8]) -> Option<(usize, &[u8])> {
    let (&first, rest) = buf.split_first()?;
    if first < 0x80 {
        return Some((usize::from(first), rest));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 || rest.len() < n {
        return None;
    }
    let len = rest[..n]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some((len, &rest[n..]))
}

/// LDAP result codes (RFC 4511 appendix A) a StartTLS answer may carry, by name.
fn ldap_result_name(code: u32) -> &'static str {
    match code {
        1 => "operationsError",
        2 => "protocolError",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => "an error",
    }
}

/// Sends the StartTLS extended request and reads the ExtendedResponse: one LDAPMessage read
/// by its own length, never a byte past it.
async fn ldap<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> Result<(), StarttlsError> {
    stream
        .write_all(LDAP_STARTTLS)
        .await
        .map_err(|e| format!("STARTTLS (ldap): sending the StartTLS request: {e}"))?;
    let mut head = vec![0u8; 2];
    read_exact(stream, &mut head, "ldap", "the StartTLS response").await?;
    if head[0] != 0x30 {
        return Err(not_answer(stream, head, "ldap", "an LDAPMessage").await);
    }
    // The length: short form in `head[1]`, or up to four more bytes.
    let extra = if head[1] >= 0x80 {
        usize::from(head[1] & 0x7f)
    } else {
        0
    };
    if extra > 4 || head[1] == 0x80 {
        return Err("STARTTLS (ldap): the response's length is not a definite BER length".into());
    }
    let mut more = vec![0u8; extra];
    read_exact(stream, &mut more, "ldap", "the StartTLS response").await?;
    head.extend_from_slice(&more);
    let (len, _) = ber_len(&head[1..]).ok_or("STARTTLS (ldap): bad BER length")?;
    if len > MAX_LDAP {
        return Err(format!(
            "STARTTLS (ldap): a response of {len} bytes (more than {MAX_LDAP}): not an LDAP server?"
        )
        .into());
    }
    let mut body = vec![0u8; len];
    read_exact(stream, &mut body, "ldap", "the StartTLS response").await?;
    ldap_response(&body)
}

/// Reads the inside of the answer's LDAPMessage: `INTEGER messageID, [APPLICATION 24]
/// ExtendedResponse { ENUMERATED resultCode, OCTET STRING matchedDN, OCTET STRING
/// diagnosticMessage, … }`.
fn ldap_response(body: &[u8]) -> Result<(), StarttlsError> {
    let bad =
        || StarttlsError::from("STARTTLS (ldap): the StartTLS response does not parse as BER");
    let (tag, id, rest) = ber(body).ok_or_else(bad)?;
    if tag != 0x02 || id.is_empty() || id.len() > 4 {
        return Err(bad());
    }
    let id = id.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
    let (op, resp, _) = ber(rest).ok_or_else(bad)?;
    if op != 0x78 {
        return Err(format!(
            "STARTTLS (ldap): answered with protocol operation 0x{op:02x}, not an ExtendedResponse"
        )
        .into());
    }
    let (tag, code, rest) = ber(resp).ok_or_else(bad)?;
    if tag != 0x0a || code.is_empty() || code.len() > 4 {
        return Err(bad());
    }
    let code = code.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
    let diagnostic = ber(rest)
        .and_then(|(_, _, rest)| ber(rest))
        .map(|(_, text, _)| String::from_utf8_lossy(text).into_owned())
        .unwrap_or_default();
    // Message ID 0 is an unsolicited notification (section 4.4.1, the Notice of
    // Disconnection): the server is closing, whatever we asked.
    if id == 0 {
        return Err(StarttlsError {
            message: format!(
                "STARTTLS (ldap): the server sent a notice of disconnection ({} {code}): {diagnostic:?}",
                ldap_result_name(code)
            ),
            busy: matches!(code, 51 | 52),
            dropped: false,
        });
    }
    if id != 1 {
        return Err(format!("STARTTLS (ldap): a response to message {id}, not to ours (1)").into());
    }
    if code != 0 {
        return Err(StarttlsError {
            message: format!(
                "STARTTLS (ldap): StartTLS refused with {} ({code}), server said {diagnostic:?}",
                ldap_result_name(code)
            ),
            busy: matches!(code, 51 | 52),
            dropped: false,
        });
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes, naming what was being read when the server closes.
async fn read_exact<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut [u8],
    proto: &str,
    what: &str,
) -> Result<(), StarttlsError> {
    stream.read_exact(buf).await.map(drop).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            format!("STARTTLS ({proto}): server closed the connection before {what}").into()
        } else {
            format!("STARTTLS ({proto}): reading {what}: {e}").into()
        }
    })
}

/// The error for an answer that is not the protocol's: what the server has sent so far (one
/// more read, bounded in size and time), e.g. another protocol's greeting.
async fn not_answer<S: AsyncRead + Unpin>(
    stream: &mut S,
    mut got: Vec<u8>,
    proto: &str,
    want: &str,
) -> StarttlsError {
    let mut rest = [0u8; 256];
    let more = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        stream.read(&mut rest),
    )
    .await;
    if let Ok(Ok(n)) = more {
        got.extend_from_slice(&rest[..n]);
    }
    format!(
        "STARTTLS ({proto}): not {want}, server said {}",
        shown(&got)
    )
    .into()
}

/// MySQL's capability flag CLIENT_SSL: the server can switch to TLS.
const MYSQL_CLIENT_SSL: u32 = 0x0800;
/// The flags of our SSLRequest: CLIENT_PROTOCOL_41, CLIENT_SSL, CLIENT_SECURE_CONNECTION.
const MYSQL_CLIENT_FLAGS: u32 = 0x0200 | MYSQL_CLIENT_SSL | 0x8000;
/// The largest initial handshake packet we read (a real one is about 100 bytes).
const MAX_MYSQL_PACKET: usize = 16 * 1024;
/// MySQL's ER_CON_COUNT_ERROR, "Too many connections".
const MYSQL_TOO_MANY_CONNECTIONS: u16 = 1040;

/// Reads the server's initial handshake packet (protocol 10), checks CLIENT_SSL and sends the
/// SSLRequest packet (a handshake response cut after the character set), after which the
/// client speaks TLS. An error packet (0xff) at connect carries the server's reason.
async fn mysql<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> Result<(), StarttlsError> {
    let mut header = vec![0u8; 4];
    read_exact(stream, &mut header, "mysql", "the handshake packet").await?;
    let len = usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
    if len == 0 || len > MAX_MYSQL_PACKET {
        return Err(not_answer(stream, header, "mysql", "a MySQL handshake packet").await);
    }
    let seq = header[3];
    let mut payload = vec![0u8; len];
    read_exact(stream, &mut payload, "mysql", "the handshake packet").await?;
    let flags = mysql_handshake(&payload)?;
    if flags & MYSQL_CLIENT_SSL == 0 {
        return Err(
            "STARTTLS (mysql): the server does not offer TLS (no CLIENT_SSL in its handshake; \
             TLS is off)"
                .into(),
        );
    }
    let mut request = vec![32, 0, 0, seq.wrapping_add(1)];
    request.extend_from_slice(&MYSQL_CLIENT_FLAGS.to_le_bytes());
    request.extend_from_slice(&0x0100_0000u32.to_le_bytes()); // max packet size: 16 MiB
    request.push(0x21); // character set utf8_general_ci
    request.extend_from_slice(&[0; 23]);
    stream
        .write_all(&request)
        .await
        .map_err(|e| format!("STARTTLS (mysql): sending the SSLRequest: {e}").into())
}

/// The capability flags (the lower two bytes, where CLIENT_SSL is) of an initial handshake
/// packet: protocol version 10, server version (NUL-terminated), connection id (4), scramble
/// (8), filler (1), capabilities (2), ….
fn mysql_handshake(payload: &[u8]) -> Result<u32, StarttlsError> {
    match payload.first() {
        Some(0xff) => {
            let code = payload
                .get(1..3)
                .map_or(0, |c| u16::from_le_bytes([c[0], c[1]]));
            let text = String::from_utf8_lossy(payload.get(3..).unwrap_or_default());
            let text = text
                .strip_prefix('#')
                .map_or(&*text, |t| t.get(5..).unwrap_or(t));
            Err(StarttlsError {
                message: format!(
                    "STARTTLS (mysql): the server refused the connection: error {code}: {text:?}"
                ),
                busy: code == MYSQL_TOO_MANY_CONNECTIONS,
                dropped: false,
            })
        }
        Some(10) => {
            let nul = payload[1..].iter().position(|b| *b == 0).ok_or(
                "STARTTLS (mysql): the handshake packet's server version is not terminated",
            )?;
            let at = 1 + nul + 1 + 4 + 8 + 1;
            let caps = payload
                .get(at..at + 2)
                .ok_or("STARTTLS (mysql): the handshake packet ends before its capability flags")?;
            Ok(u32::from(u16::from_le_bytes([caps[0], caps[1]])))
        }
        Some(v) => Err(format!(
            "STARTTLS (mysql): handshake protocol version {v}, not 10 (no TLS before 10)"
        )
        .into()),
        None => Err("STARTTLS (mysql): an empty handshake packet".into()),
    }
}

/// IRC (IRCv3 `tls` extension): `STARTTLS` before registration, answered with numeric 670
/// (RPL_STARTTLS) or 691 (ERR_STARTTLS). Notices the server sends first are read past.
async fn irc<S: AsyncRead + AsyncWrite + Unpin>(r: &mut Lines<'_, S>) -> Result<(), StarttlsError> {
    send(r.stream, "STARTTLS\r\n").await?;
    for _ in 0..MAX_LINES {
        let line = r.line().await?;
        // `[:prefix ]COMMAND params` (RFC 1459 section 2.3.1).
        let mut words = line.split(' ').filter(|w| !w.is_empty());
        let first = words.next().unwrap_or("");
        let command = if first.starts_with(':') {
            words.next().unwrap_or("")
        } else {
            first
        };
        match command {
            "670" => return Ok(()),
            "ERROR" => {
                // The server closes the link: throttled or over a connection limit, or some
                // other reason (banned).
                let lower = line.to_ascii_lowercase();
                let busy = ["throttl", "too many", "connections", "try again"]
                    .iter()
                    .any(|w| lower.contains(w));
                return Err(StarttlsError {
                    message: format!(
                        "STARTTLS (irc): the server closed the link, server said {line:?}"
                    ),
                    busy,
                    dropped: false,
                });
            }
            c if c.len() == 3 && (c.starts_with('4') || c.starts_with('5') || c == "691") => {
                return Err(
                    format!("STARTTLS (irc): STARTTLS refused, server said {line:?}").into(),
                )
            }
            _ => {}
        }
    }
    Err("STARTTLS (irc): no answer to STARTTLS among the server's first lines".into())
}

/// One ManageSieve response (RFC 5804 section 1.3): lines until `OK`, `NO` or `BYE`. Returns
/// the lines before it and the final line.
async fn sieve_response<S: AsyncRead + AsyncWrite + Unpin>(
    r: &mut Lines<'_, S>,
) -> Result<(Vec<String>, String), StarttlsError> {
    let mut lines = Vec::new();
    for _ in 0..MAX_LINES {
        let line = r.line().await?;
        let upper = line.to_ascii_uppercase();
        if ["OK", "NO", "BYE"]
            .iter()
            .any(|w| upper == *w || upper.starts_with(&format!("{w} ")))
        {
            return Ok((lines, line));
        }
        lines.push(line);
    }
    Err("STARTTLS (sieve): a response of too many lines".into())
}

/// ManageSieve (RFC 5804): the greeting lists capabilities, `"STARTTLS"` among them when
/// offered; `STARTTLS` is answered `OK`.
async fn sieve<S: AsyncRead + AsyncWrite + Unpin>(
    r: &mut Lines<'_, S>,
) -> Result<(), StarttlsError> {
    let refusal = |what: &str, line: &str| StarttlsError {
        message: format!("STARTTLS (sieve): {what}, server said {line:?}"),
        // Section 1.3: the TRYLATER response code is a temporary failure.
        busy: line.to_ascii_uppercase().contains("(TRYLATER)"),
        dropped: false,
    };
    let (caps, last) = sieve_response(r).await?;
    if !last.to_ascii_uppercase().starts_with("OK") {
        return Err(refusal("no OK greeting", &last));
    }
    if !caps
        .iter()
        .any(|c| c.to_ascii_uppercase().starts_with("\"STARTTLS\""))
    {
        return Err(format!(
            "STARTTLS (sieve): STARTTLS is not among the server's capabilities ({})",
            caps.join(" ")
        )
        .into());
    }
    send(r.stream, "STARTTLS\r\n").await?;
    let (_, last) = sieve_response(r).await?;
    if !last.to_ascii_uppercase().starts_with("OK") {
        return Err(refusal("STARTTLS refused", &last));
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

    /// Runs the preamble of `proto` over `replies`; what we sent is dropped.
    fn over(proto: Starttls, replies: &[u8]) -> Result<(), StarttlsError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut stream = tokio::io::join(replies, tokio::io::sink());
            negotiate_over(&mut stream, proto, "example.com").await
        })
    }

    #[test]
    fn busy_answers_are_marked_busy_and_refusals_are_not() {
        let busy = |p, r: &[u8]| over(p, r).unwrap_err().busy;
        assert!(busy(
            Starttls::Smtp,
            b"421 4.7.0 localhost Error: too many connections from 127.0.0.1\r\n"
        ));
        assert!(busy(
            Starttls::Lmtp,
            b"220 ready\r\n421 4.3.2 Service shutting down\r\n"
        ));
        assert!(!busy(Starttls::Smtp, b"554 5.7.1 go away\r\n"));
        assert!(busy(Starttls::Ftp, b"421 Too many connections\r\n"));
        assert!(busy(
            Starttls::Nntp,
            b"400 NNTP server unavailable.  Try later!\r\n"
        ));
        assert!(!busy(
            Starttls::Nntp,
            b"502 You have no permission to talk.\r\n"
        ));
        assert!(busy(Starttls::Imap, b"* BYE Too many connections\r\n"));
        assert!(busy(Starttls::Pop3, b"-ERR [SYS/TEMP] try later\r\n"));
        assert!(busy(
            Starttls::Sieve,
            b"BYE (TRYLATER) \"Too many connections\"\r\n"
        ));
        assert!(busy(
            Starttls::Irc,
            b"ERROR :Closing link: (unknown@127.0.0.1) [No more connections allowed from your \
              host via this connect class (local)]\r\n"
        ));
        assert!(!busy(Starttls::Irc, b"ERROR :Closing link: (banned)\r\n"));
        // MySQL's error packet 1040 at connect, seq 0: "Too many connections".
        let mut e = vec![0x17, 0, 0, 0, 0xff, 0x10, 0x04];
        e.extend_from_slice(b"Too many connections");
        assert_eq!(e.len() - 4, 0x17);
        let err = over(Starttls::Mysql, &e).unwrap_err();
        assert!(err.busy, "{err}");
        assert_eq!(
            err.message,
            "STARTTLS (mysql): the server refused the connection: error 1040: \"Too many connections\""
        );
        // LDAP: resultCode busy (51) to the StartTLS request.
        let ldap = [
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 51, 4, 0, 4, 0,
        ];
        assert!(busy(Starttls::Ldap, &ldap));
    }

    #[test]
    fn a_close_before_any_byte_is_marked_dropped() {
        for proto in Starttls::ALL {
            let e = over(proto, b"").unwrap_err();
            assert!(e.dropped && !e.busy, "{proto:?}: {e:?}");
            assert!(
                e.message.starts_with(&format!(
                    "STARTTLS ({}): the server closed the connection without sending a byte (",
                    proto.name()
                )),
                "{e}"
            );
        }
        // A greeting, then the close: an answer, not a drop.
        let e = over(Starttls::Smtp, b"220 ready\r\n").unwrap_err();
        assert!(!e.dropped, "{e:?}");
    }

    #[test]
    fn ldap_answers_are_read_by_their_length_and_judged() {
        // slapd without TLS configured: protocolError (2) "unsupported extended operation".
        let mut m = vec![
            0x30, 0x29, 0x02, 0x01, 0x01, 0x78, 0x24, 0x0a, 0x01, 0x02, 0x04, 0x00,
        ];
        m.extend_from_slice(&[0x04, 0x1d]);
        m.extend_from_slice(b"unsupported extended operati");
        m.push(b'n');
        assert_eq!(m.len() - 2, 0x29);
        assert_eq!(
            over(Starttls::Ldap, &m).unwrap_err().message,
            "STARTTLS (ldap): StartTLS refused with protocolError (2), server said \
             \"unsupported extended operatin\""
        );
        // A notice of disconnection (message 0) in the long length form.
        let n = [
            0x30, 0x81, 0x0e, 0x02, 0x01, 0x00, 0x78, 0x09, 0x0a, 0x01, 0x34, 0x04, 0x00, 0x04,
            0x02, b'n', b'o',
        ];
        let e = over(Starttls::Ldap, &n).unwrap_err();
        assert!(
            e.busy
                && e.message
                    .contains("notice of disconnection (unavailable 52)"),
            "{e}"
        );
        // A length beyond the ceiling, an indefinite length, and no LDAP at all.
        let e = over(Starttls::Ldap, &[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]).unwrap_err();
        assert!(e.message.contains("not an LDAP server?"), "{e}");
        let e = over(Starttls::Ldap, &[0x30, 0x80, 0, 0]).unwrap_err();
        assert!(e.message.contains("not a definite BER length"), "{e}");
        let e = over(Starttls::Ldap, &[0x30, 0x03, 0x02, 0x05, 0x01]).unwrap_err();
        assert!(e.message.contains("does not parse as BER"), "{e}");
    }

    #[test]
    fn mysql_without_ssl_or_of_another_protocol_version() {
        // Capability flags without CLIENT_SSL (0x0800).
        let mut p = vec![10];
        p.extend_from_slice(b"5.5.5\0");
        p.extend_from_slice(&[0; 4 + 8 + 1]);
        p.extend_from_slice(&[0xff, 0xf7]);
        let mut m = vec![p.len() as u8, 0, 0, 0];
        m.extend_from_slice(&p);
        let e = over(Starttls::Mysql, &m).unwrap_err();
        assert!(e.message.contains("no CLIENT_SSL"), "{e}");
        // Protocol 9, and a handshake cut before its flags.
        let e = over(Starttls::Mysql, &[2, 0, 0, 0, 9, 0]).unwrap_err();
        assert!(e.message.contains("protocol version 9"), "{e}");
        let e = over(Starttls::Mysql, &[3, 0, 0, 0, 10, b'5', 0]).unwrap_err();
        assert!(
            e.message.contains("ends before its capability flags"),
            "{e}"
        );
    }

    #[test]
    fn sieve_without_starttls_and_irc_refusals() {
        let e = over(
            Starttls::Sieve,
            b"\"IMPLEMENTATION\" \"x\"\r\nOK \"ready\"\r\n",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "STARTTLS (sieve): STARTTLS is not among the server's capabilities (\"IMPLEMENTATION\" \"x\")"
        );
        let e = over(
            Starttls::Irc,
            b":irc.example 421 * STARTTLS :Unknown command\r\n",
        )
        .unwrap_err();
        assert!(e.message.contains("STARTTLS refused") && !e.busy, "{e}");
        let e = over(Starttls::Irc, b":irc.example 691 * :STARTTLS failure\r\n").unwrap_err();
        assert!(e.message.contains("691"), "{e}");
    }

    /// The line reader's errors, shared by the line-based protocols, name the protocol:
    /// LMTP's endless greeting is not called an SMTP reply, IRC's long line is IRC's.
    #[test]
    fn line_errors_name_their_protocol() {
        let endless = b"220-more\r\n".repeat(100);
        assert_eq!(
            over(Starttls::Lmtp, &endless).unwrap_err().message,
            "STARTTLS (lmtp): reply has too many lines"
        );
        let long = vec![b'a'; 5000];
        assert_eq!(
            over(Starttls::Irc, &long).unwrap_err().message,
            "STARTTLS (irc): reply line too long: not the protocol asked for?"
        );
        assert_eq!(
            over(Starttls::Nntp, b"200 hi\r\n").unwrap_err().message,
            "STARTTLS (nntp): server closed the connection during STARTTLS"
        );
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
