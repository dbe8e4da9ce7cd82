//! What a mail domain publishes for SMTP's TLS: TLSA records (DANE, RFC 6698 / RFC 7672), the
//! `_mta-sts` and `_smtp._tls` TXT records (RFC 8461, RFC 8460), the address of the
//! `mta-sts.` host, and the MTA-STS policy fetched over HTTPS with a verified certificate.
//! Raw answers only; reading them is the enumeration stage's. Every wait is bounded, every
//! answer and body is size-capped, and no byte from the network is trusted to be well formed.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use simple_dns::rdata::RData;
use simple_dns::{Packet, PacketFlag, RCODE, TYPE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::dns::{exchange, rcode_name};

/// The TLSA record type (RFC 6698 section 7.1), which simple-dns does not name.
pub const TLSA: u16 = 52;

/// RFC 8461 section 3.2: a policy is at most 64 KiB.
pub const MAX_POLICY: usize = 64 * 1024;

/// One TLSA record as sent: usage, selector, matching type and the association data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlsa {
    pub usage: u8,
    pub selector: u8,
    pub matching_type: u8,
    pub data: Vec<u8>,
}

/// The records of one answer that the mail checks read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MailAnswer {
    /// "NOERROR", "NXDOMAIN".
    pub rcode: String,
    /// The resolver set the AD bit: it validated the answer with DNSSEC (RFC 4035 section 3.2.3).
    pub authenticated: bool,
    pub tlsa: Vec<Tlsa>,
    /// Each TXT record, its strings joined (RFC 7208 section 3.3 style).
    pub txt: Vec<String>,
    pub a: Vec<Ipv4Addr>,
    /// Records that did not decode (a TLSA record shorter than its three fixed bytes).
    pub malformed: Vec<String>,
}

/// Asks `resolver` for the `qtype` records of `name` (TLSA: `TYPE::Unknown(TLSA)`).
pub async fn lookup(
    resolver: SocketAddr,
    name: &str,
    qtype: TYPE,
    wait: Duration,
) -> Result<MailAnswer, String> {
    let bytes = exchange(resolver, name, qtype, wait).await?;
    decode(&bytes, name)
}

/// Reads an answer: TLSA, TXT and A records of its answer section (whatever their owner, so a
/// CNAME the resolver followed is followed here too). Bad bytes are an error, never a panic.
pub fn decode(bytes: &[u8], name: &str) -> Result<MailAnswer, String> {
    let bytes = &question_type_named(bytes);
    let packet = Packet::parse(bytes)
        .map_err(|e| format!("the resolver's answer for {name} does not decode: {e}"))?;
    let rcode = packet.rcode();
    if !matches!(rcode, RCODE::NoError | RCODE::NameError) {
        return Err(format!(
            "the resolver answered {} for {name}",
            rcode_name(rcode)
        ));
    }
    let mut out = MailAnswer {
        rcode: rcode_name(rcode),
        authenticated: packet.has_flags(PacketFlag::AUTHENTIC_DATA),
        ..Default::default()
    };
    for rr in &packet.answers {
        match &rr.rdata {
            RData::NULL(TLSA, raw) => match raw.get_data() {
                // RFC 6698 section 2.1: usage, selector, matching type, then the data.
                [usage, selector, matching_type, data @ ..] => out.tlsa.push(Tlsa {
                    usage: *usage,
                    selector: *selector,
                    matching_type: *matching_type,
                    data: data.to_vec(),
                }),
                short => out.malformed.push(format!(
                    "TLSA record of {} bytes (at least 3 needed)",
                    short.len()
                )),
            },
            RData::TXT(txt) => {
                if let Ok(text) = String::try_from(txt.clone()) {
                    out.txt.push(text);
                } else {
                    out.malformed.push("TXT record that is not text".into());
                }
            }
            RData::A(a) => out.a.push(Ipv4Addr::from(a.address)),
            _ => {}
        }
    }
    Ok(out)
}

/// simple-dns 0.13 refuses a packet whose question has a type it does not name ("Provided
/// QType is invalid: 52"), though it reads unknown types in answers. A TLSA question is
/// echoed in every TLSA answer, so its type is rewritten to NULL (10), which the answers never
/// depend on, before parsing. Anything that does not walk cleanly is left as it is.
fn question_type_named(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if bytes.get(4..6) != Some(&[0, 1][..]) {
        return out;
    }
    let mut at = 12;
    while let Some(&len) = bytes.get(at) {
        if len == 0 {
            if bytes.get(at + 1..at + 3) == Some(&TLSA.to_be_bytes()[..]) {
                out[at + 1..at + 3].copy_from_slice(&10u16.to_be_bytes());
            }
            break;
        }
        if len & 0xc0 != 0 {
            break;
        }
        at += 1 + len as usize;
    }
    out
}

/// A fetched policy: the HTTP status and the body (at most [`MAX_POLICY`] bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// `GET https://HOST/.well-known/mta-sts.txt` at `addr`, the certificate verified for `host`
/// against `roots` (RFC 8461 section 3.3: an invalid certificate means no policy). Connect,
/// handshake and the whole read are bounded by `wait`; the answer by 64 KiB plus its head.
pub async fn fetch_policy(
    addr: SocketAddr,
    host: &str,
    roots: Arc<RootCertStore>,
    wait: Duration,
) -> Result<Fetched, String> {
    timeout(wait, fetch(addr, host, roots))
        .await
        .map_err(|_| format!("no complete answer from https://{host}/ ({addr}) within {wait:?}"))?
}

async fn fetch(addr: SocketAddr, host: &str, roots: Arc<RootCertStore>) -> Result<Fetched, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| format!("'{host}' is not a server name"))?;
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {host} at {addr}: {e}"))?;
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with {host} at {addr} failed: {e}"))?;
    let request = format!(
        "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tlsaudit/{}\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    let io = |e: std::io::Error| format!("HTTPS exchange with {host}: {e}");
    tls.write_all(request.as_bytes()).await.map_err(io)?;
    let cap = MAX_POLICY + super::http::MAX_HEAD;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tls.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                if bytes.len() > cap {
                    return Err(format!("the answer of {host} is larger than {cap} bytes"));
                }
            }
            // A server that closes without close_notify (common) has still sent its answer.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(io(e)),
        }
    }
    parse_response(&bytes, host)
}

/// The status, Content-Type and body of an HTTP/1.1 answer (Content-Length or read to close;
/// chunked bodies are decoded).
pub fn parse_response(bytes: &[u8], host: &str) -> Result<Fetched, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let head = match response.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return Err(format!("the answer of {host} ends inside its head"))
        }
        Err(e) => return Err(format!("the answer of {host} is not HTTP: {e}")),
    };
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
    };
    let rest = &bytes[head..];
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest).ok_or_else(|| format!("the chunked body of {host} does not decode"))?
    } else if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        rest.get(..len)
            .ok_or_else(|| format!("the body of {host} is shorter than its Content-Length"))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Fetched {
        status: response.code.unwrap_or(0),
        content_type: header("content-type"),
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tlsa_answer_decodes_and_truncations_never_panic() {
        let query =
            crate::probe::dns::build_query_of(9, "_25._tcp.mx.example.test", TYPE::Unknown(TLSA))
                .unwrap();
        let mut answer = query.clone();
        answer[2] = 0x81;
        answer[3] = 0xa0; // RA, AD, NOERROR
        answer[7] = 1;
        answer.truncate(answer.len() - 11);
        answer[11] = 0;
        let rdata = [3u8, 1, 1, 0xaa, 0xbb];
        answer.extend([0xc0, 12, 0, 52, 0, 1, 0, 0, 1, 44, 0, rdata.len() as u8]);
        answer.extend(rdata);
        let a = decode(&answer, "x").unwrap();
        assert!(a.authenticated);
        assert_eq!(
            a.tlsa,
            [Tlsa {
                usage: 3,
                selector: 1,
                matching_type: 1,
                data: vec![0xaa, 0xbb]
            }]
        );
        for len in 0..answer.len() {
            let _ = decode(&answer[..len], "x");
        }
    }

    #[test]
    fn http_answers_with_length_chunks_or_close() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", "h").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"abc"[..]));
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n",
            "h",
        )
        .unwrap();
        assert_eq!(r.body, b"abc");
        assert!(parse_response(b"HTTP/1.1 200", "h").is_err());
        assert!(parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "h"
        )
        .is_err());
    }
}
