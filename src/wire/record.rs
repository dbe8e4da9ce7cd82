//! The record layer (RFC 8446 section 5.1, RFC 5246 section 6.2) and the SSLv2 two-byte
//! record header, with a deframer and a handshake joiner that bound everything they buffer.

use super::codec::{Codec, DecodeError, Reader};
use super::handshake::HandshakeMessage;
use super::types::{AlertDescription, ContentType, ProtocolVersion};

/// RFC 5246 section 6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 bytes.
pub const MAX_RECORD_PAYLOAD: usize = 16384 + 2048;
/// A plaintext fragment is at most 2^14 bytes (RFC 8446 section 5.1).
pub const MAX_PLAINTEXT: usize = 16384;

/// Encodes `payload` as one or more records of `content_type`.
pub fn encode_records(
    content_type: ContentType,
    version: ProtocolVersion,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5);
    let chunks: Vec<&[u8]> = if payload.is_empty() {
        vec![payload]
    } else {
        payload.chunks(MAX_PLAINTEXT).collect()
    };
    for chunk in chunks {
        content_type.encode(&mut out);
        version.encode(&mut out);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// `Alert` (RFC 8446 section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    pub level: u8,
    pub description: AlertDescription,
}

impl Codec for Alert {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.level);
        self.description.encode(out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            level: r.u8("Alert.level")?,
            description: AlertDescription::read(r)?,
        })
    }
}

/// One unit read off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Record {
        content_type: ContentType,
        version: ProtocolVersion,
        payload: Vec<u8>,
    },
    /// An SSLv2 record (two-byte header with the high bit set); the payload is one SSLv2 message.
    Sslv2(Vec<u8>),
}

/// Splits a byte stream into frames. Holds at most one partial frame.
///
/// Frames are read from an offset into the buffer, and the bytes before it are let go only
/// when they are at least half the buffer (or all of it): a flood of tiny records (7-byte
/// alerts) costs linear time, not a move of the whole remainder per record.
#[derive(Debug, Default)]
pub struct Deframer {
    all: Vec<u8>,
    /// Where the unread bytes of `all` start.
    start: usize,
}

impl Deframer {
    pub fn push(&mut self, data: &[u8]) {
        if self.start > 0 && (self.start == self.all.len() || self.start * 2 >= self.all.len()) {
            self.all.drain(..self.start);
            self.start = 0;
        }
        self.all.extend_from_slice(data);
    }

    /// The bytes pushed and not yet popped as frames.
    pub fn buffered(&self) -> usize {
        self.all.len() - self.start
    }

    /// Whether the next frame starts with a byte whose high bit is set: an SSLv2 record header,
    /// or a content type no TLS record has (128 to 255).
    pub fn next_is_sslv2(&self) -> bool {
        self.unread().first().is_some_and(|b| b & 0x80 != 0)
    }

    fn unread(&self) -> &[u8] {
        &self.all[self.start..]
    }

    /// Lets go of the next `n` unread bytes (a frame popped).
    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.all.len() {
            self.all.clear();
            self.start = 0;
        }
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed.
    pub fn pop(&mut self) -> Result<Option<Frame>, DecodeError> {
        let buf = &self.all[self.start..];
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        if first & 0x80 != 0 {
            // SSLv2 record header: 15-bit length, no padding (draft-hickman-netscape-ssl-00 section 1.2).
            if buf.len() < 2 {
                return Ok(None);
            }
            let len = (((first & 0x7f) as usize) << 8) | buf[1] as usize;
            if buf.len() < 2 + len {
                return Ok(None);
            }
            let payload = buf[2..2 + len].to_vec();
            self.consume(2 + len);
            return Ok(Some(Frame::Sslv2(payload)));
        }
        if !(20..=24).contains(&first) {
            return Err(DecodeError::Invalid(
                "record",
                format!("content type {first} is not TLS"),
            ));
        }
        if buf.len() < 5 {
            return Ok(None);
        }
        let version = ProtocolVersion(u16::from_be_bytes([buf[1], buf[2]]));
        if buf[1] != 3 && buf[1] != 0xfe {
            return Err(DecodeError::Invalid(
                "record",
                format!("version 0x{:04x} is not TLS", version.0),
            ));
        }
        let len = u16::from_be_bytes([buf[3], buf[4]]) as usize;
        if len > MAX_RECORD_PAYLOAD {
            return Err(DecodeError::Invalid(
                "record",
                format!("length {len} exceeds {MAX_RECORD_PAYLOAD}"),
            ));
        }
        if buf.len() < 5 + len {
            return Ok(None);
        }
        let payload = buf[5..5 + len].to_vec();
        self.consume(5 + len);
        Ok(Some(Frame::Record {
            content_type: ContentType(first),
            version,
            payload,
        }))
    }
}

/// Reassembles handshake messages that span records, or several in one record.
#[derive(Debug)]
pub struct HandshakeJoiner {
    buf: Vec<u8>,
    max_message: usize,
}

impl HandshakeJoiner {
    /// `max_message` bounds one message's body; a larger announced length is an error, not an allocation.
    pub fn new(max_message: usize) -> Self {
        Self {
            buf: Vec::new(),
            max_message,
        }
    }

    pub fn push(&mut self, payload: &[u8]) {
        self.buf.extend_from_slice(payload);
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The next complete message with its raw bytes, `Ok(None)` when more bytes are needed.
    pub fn pop(&mut self) -> Result<Option<(HandshakeMessage, Vec<u8>)>, DecodeError> {
        let Some(raw) = self.pop_raw()? else {
            return Ok(None);
        };
        let msg = HandshakeMessage::from_bytes(&raw)?;
        Ok(Some((msg, raw)))
    }

    /// The raw bytes (header included) of the next complete message, not decoded: for
    /// messages whose shape depends on the version (a TLS 1.3 Certificate).
    pub fn pop_raw(&mut self) -> Result<Option<Vec<u8>>, DecodeError> {
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([0, self.buf[1], self.buf[2], self.buf[3]]) as usize;
        if len > self.max_message {
            return Err(DecodeError::Invalid(
                "handshake message",
                format!("length {len} exceeds the limit of {}", self.max_message),
            ));
        }
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        Ok(Some(self.buf.drain(..4 + len).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::handshake::samples;

    #[test]
    fn a_flood_of_tiny_records_pops_every_one_across_any_push_boundary() {
        let alert = [21u8, 3, 3, 0, 2, 1, 0];
        let stream: Vec<u8> = alert.iter().copied().cycle().take(7 * 10_000).collect();
        for step in [1, 3, 7, 1000, 70_000] {
            let mut d = Deframer::default();
            let mut popped = 0;
            for chunk in stream.chunks(step) {
                d.push(chunk);
                while let Some(f) = d.pop().unwrap() {
                    assert_eq!(
                        f,
                        Frame::Record {
                            content_type: ContentType(21),
                            version: ProtocolVersion(0x0303),
                            payload: vec![1, 0],
                        }
                    );
                    popped += 1;
                }
                assert!(d.buffered() < 7, "at most one partial frame is left");
            }
            assert_eq!(popped, 10_000, "step {step}");
        }
    }

    #[test]
    fn deframer_handles_any_split_and_joiner_any_fragmentation() {
        let mut stream = Vec::new();
        let msgs = samples();
        let mut hs = Vec::new();
        for m in &msgs {
            hs.extend(m.to_bytes());
        }
        // Fragment the handshake stream into 7-byte records, as some servers do.
        for chunk in hs.chunks(7) {
            stream.extend(encode_records(
                ContentType::HANDSHAKE,
                ProtocolVersion::TLS12,
                chunk,
            ));
        }
        for step in [1usize, 3, 100, stream.len()] {
            let mut d = Deframer::default();
            let mut j = HandshakeJoiner::new(1 << 16);
            let mut got = Vec::new();
            for piece in stream.chunks(step) {
                d.push(piece);
                while let Some(Frame::Record { payload, .. }) = d.pop().unwrap() {
                    j.push(&payload);
                    while let Some((m, _)) = j.pop().unwrap() {
                        got.push(m);
                    }
                }
            }
            assert_eq!(got, msgs, "step {step}");
        }
    }

    #[test]
    fn oversized_lengths_are_errors_not_allocations() {
        let mut d = Deframer::default();
        d.push(&[22, 3, 3, 0xff, 0xff]);
        assert!(d.pop().is_err());
        let mut j = HandshakeJoiner::new(1000);
        j.push(&[11, 0xff, 0xff, 0xff]);
        assert!(j.pop().is_err());
        let mut d = Deframer::default();
        d.push(b"HTTP/1.1 400 Bad Request\r\n");
        assert!(d.pop().is_err());
    }

    #[test]
    fn alert_round_trip() {
        let a = Alert {
            level: 2,
            description: AlertDescription::HANDSHAKE_FAILURE,
        };
        assert_eq!(Alert::from_bytes(&a.to_bytes()).unwrap(), a);
        assert!(Alert::from_bytes(&[2]).is_err());
    }
}
