//! Reads one ClientHello off a connection with the wire layer: however it is fragmented over
//! records, or as an SSLv2-compatible CLIENT-HELLO, with a byte cap and a deadline.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use crate::wire::sslv2::Sslv2ClientHello;
use crate::wire::{Codec, ContentType, Deframer, Frame, HandshakeJoiner, HandshakeMessage};

use super::analysis::{Captured, CapturedHello};

/// Bounds on one capture.
#[derive(Debug, Clone, Copy)]
pub struct CaptureLimits {
    /// Give up when this many bytes arrived without a complete ClientHello.
    pub max_bytes: usize,
    pub timeout: Duration,
}

impl Default for CaptureLimits {
    fn default() -> Self {
        Self {
            // Post-quantum key shares make hellos of ~1.8 KB; 64 KiB leaves room for any
            // real client and bounds what a hostile one costs.
            max_bytes: 64 * 1024,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The outcome of a capture: the hello or why there is none, and every byte read (the
/// handshake is then replayed from them).
#[derive(Debug)]
pub struct CaptureOutcome {
    pub result: Result<Captured, String>,
    pub raw: Vec<u8>,
}

impl CaptureOutcome {
    /// True when the client sent plain-text HTTP to the TLS port.
    pub fn looks_like_http(&self) -> bool {
        is_http(&self.raw)
    }
}

fn is_http(raw: &[u8]) -> bool {
    const METHODS: [&[u8]; 9] = [
        b"GET ",
        b"POST ",
        b"HEAD ",
        b"PUT ",
        b"DELETE ",
        b"OPTIONS ",
        b"PATCH ",
        b"CONNECT ",
        b"TRACE ",
    ];
    METHODS.iter().any(|m| raw.starts_with(m))
}

/// True when `raw` starts like a TLS record: a known content type.
fn looks_like_record(raw: &[u8]) -> bool {
    matches!(raw, [20..=24, ..])
}

/// Describes bytes that are not TLS, for the error message.
fn describe_garbage(raw: &[u8]) -> String {
    let head = &raw[..raw.len().min(16)];
    let printable = head
        .iter()
        .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == b'\r' || *b == b'\n');
    if printable {
        let line: String = String::from_utf8_lossy(raw)
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(60)
            .collect();
        let http = if is_http(raw) {
            " (plain HTTP: use https://)"
        } else {
            ""
        };
        format!("the client sent text, not TLS{http}: {line:?}")
    } else {
        let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
        format!("the client sent bytes that are not TLS: {}", hex.join(" "))
    }
}

/// Reads until a ClientHello is complete, the peer closes, the cap or the deadline.
pub async fn read_client_hello<R: AsyncRead + Unpin>(
    sock: &mut R,
    limits: CaptureLimits,
) -> CaptureOutcome {
    let deadline = Instant::now() + limits.timeout;
    let mut raw = Vec::new();
    let mut deframer = Deframer::default();
    let mut joiner = HandshakeJoiner::new(limits.max_bytes);
    let mut records = 0usize;
    let mut record_version = None;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        // Take every complete frame before reading more.
        loop {
            let frame = match deframer.pop() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    // A TLS record header the deframer refused (e.g. a length no record may
                    // have) is named as such; anything else is shown as the bytes it is.
                    let result = Err(if looks_like_record(&raw) {
                        format!("malformed record from the client: {e}")
                    } else {
                        describe_garbage(&raw)
                    });
                    return CaptureOutcome { result, raw };
                }
            };
            match frame {
                Frame::Sslv2(payload) if records == 0 => {
                    let result = Sslv2ClientHello::from_bytes(&payload)
                        .map(|h| Captured {
                            hello: CapturedHello::Sslv2(h),
                            length: payload.len(),
                            records: 1,
                            record_version: None,
                        })
                        .map_err(|e| format!("malformed SSLv2 CLIENT-HELLO: {e}"));
                    return CaptureOutcome { result, raw };
                }
                Frame::Sslv2(_) => {
                    let result = Err("an SSLv2 record in the middle of a TLS ClientHello".into());
                    return CaptureOutcome { result, raw };
                }
                Frame::Record {
                    content_type,
                    version,
                    payload,
                } => {
                    if content_type != ContentType::HANDSHAKE {
                        let what = if content_type == ContentType::ALERT {
                            crate::wire::Alert::from_bytes(&payload)
                                .map(|a| format!("alert {}", a.description))
                                .unwrap_or_else(|_| "a malformed alert".into())
                        } else {
                            let name = content_type.to_string();
                            let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
                                "an"
                            } else {
                                "a"
                            };
                            format!("{article} {name} record")
                        };
                        let result =
                            Err(format!("the client sent {what} instead of a ClientHello"));
                        return CaptureOutcome { result, raw };
                    }
                    records += 1;
                    record_version.get_or_insert(version);
                    joiner.push(&payload);
                    match joiner.pop() {
                        Ok(None) => {}
                        Ok(Some((HandshakeMessage::ClientHello(h), bytes))) => {
                            let result = Ok(Captured {
                                hello: CapturedHello::Tls(h),
                                length: bytes.len(),
                                records,
                                record_version,
                            });
                            return CaptureOutcome { result, raw };
                        }
                        Ok(Some((m, _))) => {
                            let result = Err(format!(
                                "the first handshake message is {}, not a ClientHello",
                                m.typ()
                            ));
                            return CaptureOutcome { result, raw };
                        }
                        Err(e) => {
                            let result = Err(format!("malformed ClientHello: {e}"));
                            return CaptureOutcome { result, raw };
                        }
                    }
                }
            }
        }
        if raw.len() >= limits.max_bytes {
            let result = Err(format!(
                "no complete ClientHello in the first {} bytes",
                limits.max_bytes
            ));
            return CaptureOutcome { result, raw };
        }
        let want = buf.len().min(limits.max_bytes - raw.len());
        let n = match tokio::time::timeout_at(deadline, sock.read(&mut buf[..want])).await {
            Err(_) => {
                let result = Err(if raw.is_empty() {
                    format!(
                        "the client connected but sent nothing within {} s",
                        limits.timeout.as_secs_f64()
                    )
                } else {
                    format!(
                        "no complete ClientHello within {} s ({} bytes received)",
                        limits.timeout.as_secs_f64(),
                        raw.len()
                    )
                });
                return CaptureOutcome { result, raw };
            }
            Ok(Err(e)) => {
                let result = Err(if e.kind() == std::io::ErrorKind::ConnectionReset {
                    format!(
                        "the client reset the connection after {} bytes, before its ClientHello was complete",
                        raw.len()
                    )
                } else {
                    format!("reading from the client: {e}")
                });
                return CaptureOutcome { result, raw };
            }
            Ok(Ok(n)) => n,
        };
        if n == 0 {
            let result = Err(if raw.is_empty() {
                "the client connected and closed without sending anything".to_string()
            } else {
                format!(
                    "the client closed the connection after {} bytes, before its ClientHello was complete (truncated)",
                    raw.len()
                )
            });
            return CaptureOutcome { result, raw };
        }
        raw.extend_from_slice(&buf[..n]);
        deframer.push(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fingerprint::tests::{curl_hello, unhex, CURL_HELLO_HEX};
    use crate::wire::{encode_records, ProtocolVersion};

    async fn capture(bytes: &[u8]) -> CaptureOutcome {
        let mut r: &[u8] = bytes;
        read_client_hello(&mut r, CaptureLimits::default()).await
    }

    #[tokio::test]
    async fn one_record_and_many_records_give_the_same_hello() {
        let whole = unhex(CURL_HELLO_HEX);
        let one = capture(&whole).await.result.unwrap();
        assert_eq!((one.records, one.length), (1, 512));
        assert_eq!(one.hello, CapturedHello::Tls(curl_hello()));
        // The same handshake message in 5-byte records.
        let msg = &whole[5..];
        let mut split = Vec::new();
        for chunk in msg.chunks(5) {
            split.extend(encode_records(
                ContentType::HANDSHAKE,
                ProtocolVersion::TLS10,
                chunk,
            ));
        }
        let many = capture(&split).await.result.unwrap();
        assert_eq!(many.records, 103);
        assert_eq!(many.hello, one.hello);
        assert_eq!(many.record_version, Some(ProtocolVersion::TLS10));
    }

    #[tokio::test]
    async fn bad_input_gives_clear_errors() {
        let e = capture(b"").await.result.unwrap_err();
        assert_eq!(
            e,
            "the client connected and closed without sending anything"
        );
        let e = capture(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(e.looks_like_http());
        assert_eq!(
            e.result.unwrap_err(),
            "the client sent text, not TLS (plain HTTP: use https://): \"GET / HTTP/1.1\""
        );
        let whole = unhex(CURL_HELLO_HEX);
        let e = capture(&whole[..300]).await.result.unwrap_err();
        assert!(
            e.contains("after 300 bytes") && e.contains("truncated"),
            "{e}"
        );
        let e = capture(&[0x00, 0x01, 0x02, 0x03]).await.result.unwrap_err();
        assert_eq!(e, "the client sent bytes that are not TLS: 00 01 02 03");
        let e = capture(&[21, 3, 3, 0, 2, 2, 40]).await.result.unwrap_err();
        assert_eq!(
            e,
            "the client sent alert handshake_failure instead of a ClientHello"
        );
        // A handshake header announcing more than the cap.
        let e = capture(&[22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff])
            .await
            .result
            .unwrap_err();
        assert!(e.starts_with("malformed ClientHello"), "{e}");
    }

    #[tokio::test]
    async fn sslv2_compatible_hello() {
        let h = Sslv2ClientHello {
            version: 0x0301,
            cipher_specs: vec![crate::wire::sslv2::CipherKind(0x00002f)],
            session_id: vec![],
            challenge: vec![7; 16],
        };
        let c = capture(&h.to_record()).await.result.unwrap();
        assert_eq!(c.hello, CapturedHello::Sslv2(h));
        assert_eq!(c.record_version, None);
    }
}
