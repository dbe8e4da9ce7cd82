//! QUIC's own wire format, as far as a scanner needs it to carry a ClientHello and read the
//! server's answer (RFC 9000 for packets and frames, RFC 9001 for packet protection, RFC 9369
//! for version 2): variable-length integers, long-header packets (Initial, Handshake, Retry,
//! Version Negotiation), the frames allowed before the handshake completes, CRYPTO stream
//! reassembly and transport parameters. Sans-IO; the keys come from rustls's `quic` module
//! (Initial) or from the probe layer (Handshake) as [`DirectionalKeys`].

use rustls::quic::DirectionalKeys;

use super::codec::{DecodeError, Reader};

/// QUIC version 1 (RFC 9000).
pub const VERSION_1: u32 = 0x0000_0001;
/// QUIC version 2 (RFC 9369 section 3.1).
pub const VERSION_2: u32 = 0x6b33_43cf;
/// A reserved version (RFC 9000 section 15: `0x?a?a?a?a`): a server must answer it with
/// Version Negotiation, which lists the versions it speaks.
pub const VERSION_RESERVED: u32 = 0x1a2a_3a4a;

/// The smallest datagram a client may carry an Initial in (RFC 9000 section 14.1).
pub const MIN_INITIAL_DATAGRAM: usize = 1200;

/// Whether `v` is one of the reserved `0x?a?a?a?a` versions (RFC 9000 section 15).
pub fn is_reserved_version(v: u32) -> bool {
    v & 0x0f0f_0f0f == 0x0a0a_0a0a
}

/// A version as people name it: "QUIC v1", "QUIC v2", "draft-29", else its hex.
pub fn version_name(v: u32) -> String {
    match v {
        VERSION_1 => "QUIC v1".into(),
        VERSION_2 => "QUIC v2".into(),
        _ if v & 0xffff_ff00 == 0xff00_0000 => format!("draft-{}", v & 0xff),
        _ if is_reserved_version(v) => format!("reserved 0x{v:08x}"),
        _ => format!("0x{v:08x}"),
    }
}

/// Appends `v` as a QUIC variable-length integer (RFC 9000 section 16); values past 2^62 - 1
/// (never sent by us) are clamped.
pub fn put_varint(out: &mut Vec<u8>, v: u64) {
    let v = v.min((1 << 62) - 1);
    if v < 1 << 6 {
        out.push(v as u8);
    } else if v < 1 << 14 {
        out.extend_from_slice(&(v as u16 | 0x4000).to_be_bytes());
    } else if v < 1 << 30 {
        out.extend_from_slice(&(v as u32 | 0x8000_0000).to_be_bytes());
    } else {
        out.extend_from_slice(&(v | 0xc000_0000_0000_0000).to_be_bytes());
    }
}

/// Reads a QUIC variable-length integer (RFC 9000 section 16).
pub fn read_varint(r: &mut Reader<'_>, what: &'static str) -> Result<u64, DecodeError> {
    let first = r.u8(what)?;
    let extra = (1usize << (first >> 6)) - 1;
    let mut v = u64::from(first & 0x3f);
    for b in r.take(extra, what)? {
        v = (v << 8) | u64::from(*b);
    }
    Ok(v)
}

fn varint_len(v: u64, what: &'static str) -> Result<usize, DecodeError> {
    usize::try_from(v).map_err(|_| DecodeError::Invalid(what, format!("length {v}")))
}

/// The type of a long-header packet (RFC 9000 section 17.2; RFC 9369 section 3.2 renumbers
/// them for version 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongType {
    Initial,
    ZeroRtt,
    Handshake,
    Retry,
}

impl LongType {
    fn bits(self, version: u32) -> u8 {
        let v1 = match self {
            LongType::Initial => 0,
            LongType::ZeroRtt => 1,
            LongType::Handshake => 2,
            LongType::Retry => 3,
        };
        if version == VERSION_2 {
            (v1 + 1) % 4
        } else {
            v1
        }
    }

    fn from_bits(bits: u8, version: u32) -> Self {
        let v1 = if version == VERSION_2 {
            (bits + 3) % 4
        } else {
            bits
        };
        match v1 & 3 {
            0 => LongType::Initial,
            1 => LongType::ZeroRtt,
            2 => LongType::Handshake,
            _ => LongType::Retry,
        }
    }
}

/// One packet of a datagram the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// The server does not speak the version we used; it lists those it does (RFC 9000
    /// section 17.2.1).
    VersionNegotiation {
        dcid: Vec<u8>,
        scid: Vec<u8>,
        versions: Vec<u32>,
    },
    /// The server wants its address validated: the Initial again, with `token`, to `scid`
    /// (RFC 9000 section 17.2.5). `bytes` is the whole packet, its last 16 bytes the Retry
    /// Integrity Tag, which the client checks (RFC 9001 section 5.8) before it believes it.
    Retry {
        version: u32,
        dcid: Vec<u8>,
        scid: Vec<u8>,
        token: Vec<u8>,
        bytes: Vec<u8>,
    },
    /// An Initial, 0-RTT or Handshake packet, still protected.
    Protected(Protected),
    /// A short-header (1-RTT) packet: the rest of the datagram, never read by a scanner.
    Short,
}

/// A long-header packet whose header and payload are still protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    pub typ: LongType,
    pub version: u32,
    pub dcid: Vec<u8>,
    pub scid: Vec<u8>,
    /// The whole packet, header included.
    pub bytes: Vec<u8>,
    /// Where the (protected) packet number starts in `bytes`.
    pub pn_offset: usize,
}

/// Splits a datagram into its coalesced packets (RFC 9000 section 12.2).
pub fn split_datagram(datagram: &[u8]) -> Result<Vec<Packet>, DecodeError> {
    let mut out = Vec::new();
    let mut r = Reader::new(datagram);
    while !r.is_empty() {
        let start = datagram.len() - r.remaining();
        let first = r.u8("QUIC packet")?;
        if first & 0x80 == 0 {
            out.push(Packet::Short);
            break;
        }
        let version = r.u32("QUIC version")?;
        let dcid = r.sub_u8("destination connection id")?.rest().to_vec();
        let scid = r.sub_u8("source connection id")?.rest().to_vec();
        if dcid.len() > 20 || scid.len() > 20 {
            return Err(DecodeError::Invalid(
                "QUIC long header",
                "connection id longer than 20 bytes".into(),
            ));
        }
        if version == 0 {
            let rest = r.rest();
            if rest.is_empty() || !rest.len().is_multiple_of(4) {
                return Err(DecodeError::Invalid(
                    "Version Negotiation",
                    format!("{} bytes of versions", rest.len()),
                ));
            }
            let versions = rest
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            out.push(Packet::VersionNegotiation {
                dcid,
                scid,
                versions,
            });
            break;
        }
        // RFC 9000 section 17.2: the fixed bit is set in every packet but Version Negotiation.
        if first & 0x40 == 0 {
            return Err(DecodeError::Invalid(
                "QUIC long header",
                "fixed bit is zero".into(),
            ));
        }
        let typ = LongType::from_bits((first >> 4) & 3, version);
        if typ == LongType::Retry {
            let rest = r.rest();
            let Some(token_len) = rest.len().checked_sub(16) else {
                return Err(DecodeError::Truncated("Retry integrity tag"));
            };
            out.push(Packet::Retry {
                version,
                dcid,
                scid,
                token: rest[..token_len].to_vec(),
                bytes: datagram[start..].to_vec(),
            });
            break;
        }
        if typ == LongType::Initial {
            let len = read_varint(&mut r, "Initial token length")?;
            r.take(varint_len(len, "Initial token")?, "Initial token")?;
        }
        let length = varint_len(read_varint(&mut r, "packet length")?, "packet length")?;
        let pn_offset = datagram.len() - r.remaining() - start;
        r.take(length, "QUIC packet payload")?;
        let end = datagram.len() - r.remaining();
        out.push(Packet::Protected(Protected {
            typ,
            version,
            dcid,
            scid,
            bytes: datagram[start..end].to_vec(),
            pn_offset,
        }));
    }
    Ok(out)
}

/// Removes header protection and decrypts `packet` with `keys` (RFC 9001 sections 5.3, 5.4):
/// its packet number and plaintext payload. `Err` says why it could not be opened (a packet
/// that does not decrypt is dropped by the caller, as RFC 9001 section 5.2 says).
pub fn open(packet: &Protected, keys: &DirectionalKeys) -> Result<(u64, Vec<u8>), String> {
    let mut bytes = packet.bytes.clone();
    let pn_offset = packet.pn_offset;
    // The sample starts 4 bytes after the packet number's start (RFC 9001 section 5.4.2).
    let sample_len = keys.header.sample_len();
    let sample = bytes
        .get(pn_offset + 4..pn_offset + 4 + sample_len)
        .ok_or("packet too short for its header protection sample")?
        .to_vec();
    let (first, rest) = bytes.split_first_mut().ok_or("empty packet")?;
    let pn_field = rest
        .get_mut(pn_offset - 1..pn_offset + 3)
        .ok_or("packet too short for a packet number")?;
    keys.header
        .decrypt_in_place(&sample, first, pn_field)
        .map_err(|e| format!("header protection: {e}"))?;
    let pn_len = usize::from(*first & 3) + 1;
    let pn = bytes[pn_offset..pn_offset + pn_len]
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let (header, payload) = bytes.split_at_mut(pn_offset + pn_len);
    let plain = keys
        .packet
        .decrypt_in_place(pn, header, payload)
        .map_err(|_| "payload does not decrypt (wrong keys, or not from this server)")?;
    Ok((pn, plain.to_vec()))
}

/// What a client Initial carries besides its frames.
#[derive(Debug, Clone)]
pub struct InitialHeader<'a> {
    pub version: u32,
    pub dcid: &'a [u8],
    pub scid: &'a [u8],
    /// The token of a Retry, else empty.
    pub token: &'a [u8],
    pub packet_number: u32,
}

/// A protected client Initial packet carrying `frames`, padded (with PADDING frames) so the
/// datagram is at least `pad_to` bytes (RFC 9000 section 14.1). The packet number is always
/// sent in 4 bytes. `Err` when the keys refuse (never for valid input).
pub fn seal_initial(
    h: &InitialHeader<'_>,
    frames: &[u8],
    pad_to: usize,
    keys: &DirectionalKeys,
) -> Result<Vec<u8>, String> {
    const PN_LEN: usize = 4;
    let tag_len = keys.packet.tag_len();
    let mut header = vec![0xc0 | (LongType::Initial.bits(h.version) << 4) | (PN_LEN as u8 - 1)];
    header.extend_from_slice(&h.version.to_be_bytes());
    header.push(h.dcid.len() as u8);
    header.extend_from_slice(h.dcid);
    header.push(h.scid.len() as u8);
    header.extend_from_slice(h.scid);
    put_varint(&mut header, h.token.len() as u64);
    header.extend_from_slice(h.token);
    // The Length field is written in its 2-byte form, so its size is known before the payload.
    let fixed = header.len() + 2 + PN_LEN + tag_len;
    let payload_len = frames.len().max(pad_to.saturating_sub(fixed)).max(16);
    let length = PN_LEN + payload_len + tag_len;
    if length >= 1 << 14 {
        return Err(format!("Initial payload of {length} bytes is too large"));
    }
    header.extend_from_slice(&(length as u16 | 0x4000).to_be_bytes());
    let pn_offset = header.len();
    header.extend_from_slice(&h.packet_number.to_be_bytes());
    let mut payload = frames.to_vec();
    payload.resize(payload_len, 0); // PADDING frames are zero bytes
    let tag = keys
        .packet
        .encrypt_in_place(u64::from(h.packet_number), &header, &mut payload)
        .map_err(|e| format!("packet protection: {e}"))?;
    payload.extend_from_slice(tag.as_ref());
    let sample = payload
        .get(..keys.header.sample_len())
        .ok_or("payload shorter than the header protection sample")?
        .to_vec();
    let (first, rest) = header.split_first_mut().ok_or("empty header")?;
    keys.header
        .encrypt_in_place(&sample, first, &mut rest[pn_offset - 1..])
        .map_err(|e| format!("header protection: {e}"))?;
    header.extend_from_slice(&payload);
    Ok(header)
}

/// A datagram whose long header names `version`, shaped like an Initial (no token, a
/// Length that covers the rest) with `filler` as its payload: enough for a server to answer
/// with Version Negotiation when it does not speak `version` (RFC 9000 section 6.1: only to
/// datagrams of at least 1200 bytes; some servers, aioquic, drop a header that does not parse
/// as an Initial's).
pub fn version_probe(version: u32, dcid: &[u8], scid: &[u8], filler: &[u8]) -> Vec<u8> {
    let mut out = vec![0xc0];
    out.extend_from_slice(&version.to_be_bytes());
    out.push(dcid.len() as u8);
    out.extend_from_slice(dcid);
    out.push(scid.len() as u8);
    out.extend_from_slice(scid);
    out.push(0); // token length
    let rest = MIN_INITIAL_DATAGRAM
        .saturating_sub(out.len() + 2)
        .max(filler.len())
        .min((1 << 14) - 1);
    out.extend_from_slice(&(rest as u16 | 0x4000).to_be_bytes());
    let mut payload = filler.to_vec();
    payload.resize(rest, 0);
    out.extend_from_slice(&payload);
    out
}

/// A CRYPTO frame (RFC 9000 section 19.6).
pub fn crypto_frame(offset: u64, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x06];
    put_varint(&mut out, offset);
    put_varint(&mut out, data.len() as u64);
    out.extend_from_slice(data);
    out
}

/// The frames a scanner reads in Initial and Handshake packets (RFC 9000 section 12.4: no
/// others are allowed there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuicFrame {
    Padding,
    Ping,
    Ack,
    Crypto {
        offset: u64,
        data: Vec<u8>,
    },
    /// CONNECTION_CLOSE (RFC 9000 section 19.19): a transport error `code` (0x0100 + a TLS
    /// alert for a TLS failure, RFC 9001 section 4.8), or an application's when `application`.
    ConnectionClose {
        code: u64,
        application: bool,
        reason: String,
    },
}

/// Reads every frame of a decrypted payload.
pub fn read_frames(payload: &[u8]) -> Result<Vec<QuicFrame>, DecodeError> {
    let mut r = Reader::new(payload);
    let mut out = Vec::new();
    while !r.is_empty() {
        let typ = read_varint(&mut r, "frame type")?;
        match typ {
            0x00 => {
                // A run of PADDING is one entry.
                if out.last() != Some(&QuicFrame::Padding) {
                    out.push(QuicFrame::Padding);
                }
            }
            0x01 => out.push(QuicFrame::Ping),
            0x02 | 0x03 => {
                read_varint(&mut r, "ACK largest")?;
                read_varint(&mut r, "ACK delay")?;
                let ranges = read_varint(&mut r, "ACK range count")?;
                read_varint(&mut r, "ACK first range")?;
                // Each range is at least 2 bytes: a lying count runs out of bytes, not memory.
                for _ in 0..ranges {
                    read_varint(&mut r, "ACK gap")?;
                    read_varint(&mut r, "ACK range")?;
                }
                if typ == 0x03 {
                    for _ in 0..3 {
                        read_varint(&mut r, "ACK ECN count")?;
                    }
                }
                out.push(QuicFrame::Ack);
            }
            0x06 => {
                let offset = read_varint(&mut r, "CRYPTO offset")?;
                let len = varint_len(read_varint(&mut r, "CRYPTO length")?, "CRYPTO length")?;
                let data = r.take(len, "CRYPTO data")?.to_vec();
                out.push(QuicFrame::Crypto { offset, data });
            }
            0x1c | 0x1d => {
                let code = read_varint(&mut r, "CONNECTION_CLOSE error code")?;
                if typ == 0x1c {
                    read_varint(&mut r, "CONNECTION_CLOSE frame type")?;
                }
                let len = varint_len(read_varint(&mut r, "reason length")?, "reason length")?;
                let reason = String::from_utf8_lossy(r.take(len, "reason phrase")?).into_owned();
                out.push(QuicFrame::ConnectionClose {
                    code,
                    application: typ == 0x1d,
                    reason,
                });
            }
            other => {
                return Err(DecodeError::Invalid(
                    "QUIC frame",
                    format!("type 0x{other:x} is not allowed before the handshake completes"),
                ))
            }
        }
    }
    Ok(out)
}

/// The name of a QUIC transport error code (RFC 9000 section 20.1), or of the TLS alert it
/// carries.
pub fn transport_error_name(code: u64) -> String {
    let name = match code {
        0x00 => "NO_ERROR",
        0x01 => "INTERNAL_ERROR",
        0x02 => "CONNECTION_REFUSED",
        0x03 => "FLOW_CONTROL_ERROR",
        0x04 => "STREAM_LIMIT_ERROR",
        0x05 => "STREAM_STATE_ERROR",
        0x06 => "FINAL_SIZE_ERROR",
        0x07 => "FRAME_ENCODING_ERROR",
        0x08 => "TRANSPORT_PARAMETER_ERROR",
        0x09 => "CONNECTION_ID_LIMIT_ERROR",
        0x0a => "PROTOCOL_VIOLATION",
        0x0b => "INVALID_TOKEN",
        0x0c => "APPLICATION_ERROR",
        0x0d => "CRYPTO_BUFFER_EXCEEDED",
        0x0e => "KEY_UPDATE_ERROR",
        0x0f => "AEAD_LIMIT_REACHED",
        0x10 => "NO_VIABLE_PATH",
        0x11 => "VERSION_NEGOTIATION_ERROR",
        0x0100..=0x01ff => return format!("CRYPTO_ERROR (TLS alert {})", code - 0x100),
        _ => return format!("error 0x{code:x}"),
    };
    name.into()
}

/// The most out-of-order CRYPTO pieces kept while a gap is open: every push scans them, so
/// a server sending thousands of tiny frames past a gap costs time squared in their number.
/// A real flight comes in a few dozen.
pub const MAX_CRYPTO_PIECES: usize = 1024;

/// One side's CRYPTO stream, put back in order from frames that may come out of order or
/// twice (RFC 9000 section 19.6), up to `max` bytes.
#[derive(Debug, Default)]
pub struct CryptoStream {
    assembled: Vec<u8>,
    pending: Vec<(u64, Vec<u8>)>,
    max: usize,
}

impl CryptoStream {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            ..Default::default()
        }
    }

    /// Adds one frame's data at `offset`. `Err` when the stream would pass the ceiling.
    pub fn push(&mut self, offset: u64, data: &[u8]) -> Result<(), String> {
        let end = offset.saturating_add(data.len() as u64);
        if end > self.max as u64 {
            return Err(format!(
                "CRYPTO data up to byte {end}, past the ceiling of {} bytes",
                self.max
            ));
        }
        // An empty frame adds nothing; kept, it would cost memory and time for no bytes.
        if data.is_empty() {
            return Ok(());
        }
        // Data already assembled (a retransmission) is dropped at once.
        if end <= self.assembled.len() as u64 {
            return Ok(());
        }
        if self.pending.len() >= MAX_CRYPTO_PIECES {
            return Err(format!(
                "CRYPTO data in more than {MAX_CRYPTO_PIECES} pieces waiting for a gap to fill"
            ));
        }
        let pending: usize = self.pending.iter().map(|(_, d)| d.len()).sum();
        if pending + data.len() > self.max {
            return Err(format!("more than {} bytes of CRYPTO data", self.max));
        }
        self.pending.push((offset, data.to_vec()));
        // Absorb every pending piece that now touches the assembled prefix.
        loop {
            let have = self.assembled.len() as u64;
            let Some(i) = self.pending.iter().position(|(o, _)| *o <= have) else {
                break;
            };
            let (o, d) = self.pending.swap_remove(i);
            let skip = (have - o) as usize;
            if let Some(new) = d.get(skip..) {
                self.assembled.extend_from_slice(new);
            }
        }
        Ok(())
    }

    /// The bytes from offset 0 that have arrived without a gap.
    pub fn assembled(&self) -> &[u8] {
        &self.assembled
    }
}

/// One transport parameter (RFC 9000 section 18) as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportParameter {
    pub id: u64,
    pub value: Vec<u8>,
}

/// Reads a `quic_transport_parameters` extension's payload.
pub fn read_transport_parameters(b: &[u8]) -> Result<Vec<TransportParameter>, DecodeError> {
    let mut r = Reader::new(b);
    let mut out = Vec::new();
    while !r.is_empty() {
        let id = read_varint(&mut r, "transport parameter id")?;
        let len = varint_len(
            read_varint(&mut r, "transport parameter length")?,
            "transport parameter length",
        )?;
        let value = r.take(len, "transport parameter value")?.to_vec();
        out.push(TransportParameter { id, value });
    }
    Ok(out)
}

/// Encodes transport parameters for a ClientHello.
pub fn encode_transport_parameters(params: &[TransportParameter]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in params {
        put_varint(&mut out, p.id);
        put_varint(&mut out, p.value.len() as u64);
        out.extend_from_slice(&p.value);
    }
    out
}

/// How a transport parameter's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParamKind {
    Integer,
    Flag,
    Bytes,
    VersionInformation,
}

/// The registered name of a transport parameter (RFC 9000 section 18.2, RFC 9221, RFC 9287,
/// RFC 9368), and how its value reads.
fn parameter_info(id: u64) -> Option<(&'static str, ParamKind)> {
    use ParamKind::*;
    Some(match id {
        0x00 => ("original_destination_connection_id", Bytes),
        0x01 => ("max_idle_timeout", Integer),
        0x02 => ("stateless_reset_token", Bytes),
        0x03 => ("max_udp_payload_size", Integer),
        0x04 => ("initial_max_data", Integer),
        0x05 => ("initial_max_stream_data_bidi_local", Integer),
        0x06 => ("initial_max_stream_data_bidi_remote", Integer),
        0x07 => ("initial_max_stream_data_uni", Integer),
        0x08 => ("initial_max_streams_bidi", Integer),
        0x09 => ("initial_max_streams_uni", Integer),
        0x0a => ("ack_delay_exponent", Integer),
        0x0b => ("max_ack_delay", Integer),
        0x0c => ("disable_active_migration", Flag),
        0x0d => ("preferred_address", Bytes),
        0x0e => ("active_connection_id_limit", Integer),
        0x0f => ("initial_source_connection_id", Bytes),
        0x10 => ("retry_source_connection_id", Bytes),
        0x11 => ("version_information", VersionInformation),
        0x20 => ("max_datagram_frame_size", Integer),
        0x2ab2 => ("grease_quic_bit", Flag),
        _ => return None,
    })
}

impl TransportParameter {
    /// The registered name, or `unknown_0x…` (GREASE parameters `31 * N + 27` among them).
    pub fn name(&self) -> String {
        parameter_info(self.id)
            .map(|(n, _)| n.to_string())
            .unwrap_or_else(|| format!("unknown_0x{:x}", self.id))
    }

    /// The value as people read it: integers in decimal, flags empty, versions by name,
    /// anything else in hex.
    pub fn display_value(&self) -> String {
        let hex = || super::hex(&self.value);
        match parameter_info(self.id).map(|(_, k)| k) {
            Some(ParamKind::Integer) => {
                let mut r = Reader::new(&self.value);
                match read_varint(&mut r, "integer parameter") {
                    Ok(v) if r.is_empty() => v.to_string(),
                    _ => hex(),
                }
            }
            Some(ParamKind::Flag) if self.value.is_empty() => String::new(),
            Some(ParamKind::VersionInformation)
                if !self.value.is_empty() && self.value.len().is_multiple_of(4) =>
            {
                let names: Vec<String> = self
                    .value
                    .chunks_exact(4)
                    .map(|c| version_name(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                    .collect();
                format!("chosen {}; available {}", names[0], names[1..].join(", "))
            }
            _ => hex(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rustls::quic::{Keys, Version};
    use rustls::Side;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn initial_keys(dcid: &[u8], side: Side, version: Version) -> Keys {
        let rustls::SupportedCipherSuite::Tls13(suite) =
            rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256
        else {
            unreachable!()
        };
        let quic = suite.quic.expect("AES-128-GCM has QUIC keys");
        Keys::initial(version, suite, quic, dcid, side)
    }

    #[test]
    fn varints_round_trip_and_match_rfc9000_appendix_a1() {
        for (hex, v) in [
            ("c2197c5eff14e88c", 151_288_809_941_952_652u64),
            ("9d7f3e7d", 494_878_333),
            ("7bbd", 15_293),
            ("25", 37),
        ] {
            let b = unhex(hex);
            assert_eq!(read_varint(&mut Reader::new(&b), "v").unwrap(), v);
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out, b);
        }
        assert!(read_varint(&mut Reader::new(&[0xc2, 0x19]), "v").is_err());
    }

    /// RFC 9001 appendix A.2: the client's first Initial, protected with the keys rustls
    /// derives from the destination connection id, is byte for byte the RFC's packet; and
    /// the server side opens it again.
    #[test]
    fn client_initial_matches_rfc9001_appendix_a2() {
        let dcid = unhex("8394c8f03e515708");
        let crypto = unhex(
            "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868
             04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578
             616d706c652e636f6dff01000100000a00080006001d00170018001000070005
             04616c706e000500050100000000003300260024001d00209370b2c9caa47fba
             baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400
             0d0010000e0403050306030203080408050806002d00020101001c0002400100
             3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000
             75300901100f088394c8f03e51570806048000ffff",
        );
        let keys = initial_keys(&dcid, Side::Client, Version::V1);
        let header = InitialHeader {
            version: VERSION_1,
            dcid: &dcid,
            scid: &[],
            token: &[],
            packet_number: 2,
        };
        let packet = seal_initial(&header, &crypto, 1200, &keys.local).unwrap();
        assert_eq!(packet.len(), 1200);
        // The RFC's packet starts so (its header uses a 4-byte packet number too).
        assert_eq!(
            packet[..24],
            unhex("c000000001088394c8f03e5157080000449e7b9aec34d1b1")[..]
        );
        assert_eq!(
            packet[1200 - 16..],
            unhex("e221af44860018ab0856972e194cd934")[..]
        );
        let server = initial_keys(&dcid, Side::Server, Version::V1);
        let [Packet::Protected(p)] = &split_datagram(&packet).unwrap()[..] else {
            panic!("one Initial expected")
        };
        assert_eq!(p.typ, LongType::Initial);
        let (pn, plain) = open(p, &server.remote).unwrap();
        assert_eq!(pn, 2);
        let frames = read_frames(&plain).unwrap();
        assert_eq!(
            frames[0],
            QuicFrame::Crypto {
                offset: 0,
                data: crypto[4..].to_vec()
            }
        );
        assert_eq!(frames[1], QuicFrame::Padding);
    }

    /// RFC 9001 appendix A.3: the server's Initial (ACK + CRYPTO with the ServerHello) opens
    /// with the client's keys.
    #[test]
    fn server_initial_of_rfc9001_appendix_a3_opens() {
        let dcid = unhex("8394c8f03e515708");
        let packet = unhex(
            "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a
             5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3
             dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84
             022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4
             2158407dd074ee",
        );
        let keys = initial_keys(&dcid, Side::Client, Version::V1);
        let [Packet::Protected(p)] = &split_datagram(&packet).unwrap()[..] else {
            panic!("one Initial expected")
        };
        assert_eq!(p.scid, unhex("f067a5502a4262b5"));
        let (pn, plain) = open(p, &keys.remote).unwrap();
        assert_eq!(pn, 1);
        let frames = read_frames(&plain).unwrap();
        assert_eq!(frames[0], QuicFrame::Ack);
        let QuicFrame::Crypto { offset, data } = &frames[1] else {
            panic!("{frames:?}")
        };
        assert_eq!((*offset, data[0], data.len()), (0, 2, 90));
        // The client's keys do not open it as if sent by the client.
        assert!(open(p, &keys.local).is_err());
    }

    #[test]
    fn version_2_renumbers_packet_types() {
        for t in [
            LongType::Initial,
            LongType::ZeroRtt,
            LongType::Handshake,
            LongType::Retry,
        ] {
            assert_eq!(LongType::from_bits(t.bits(VERSION_2), VERSION_2), t);
        }
        assert_eq!(LongType::Initial.bits(VERSION_2), 1);
        assert_eq!(LongType::Retry.bits(VERSION_2), 0);
        assert!(is_reserved_version(VERSION_RESERVED) && !is_reserved_version(VERSION_2));
    }

    #[test]
    fn a_version_probe_is_a_1200_byte_initial_of_that_version() {
        let d = version_probe(VERSION_RESERVED, &[1; 8], &[2; 8], &[7; 10]);
        assert_eq!(d.len(), MIN_INITIAL_DATAGRAM);
        let [Packet::Protected(p)] = &split_datagram(&d).unwrap()[..] else {
            panic!()
        };
        assert_eq!(
            (p.version, p.typ, p.bytes.len()),
            (VERSION_RESERVED, LongType::Initial, 1200)
        );
    }

    #[test]
    fn version_negotiation_and_retry_parse() {
        let mut vn = vec![0x80, 0, 0, 0, 0, 1, 0xaa, 0];
        vn.extend_from_slice(&VERSION_1.to_be_bytes());
        vn.extend_from_slice(&VERSION_2.to_be_bytes());
        assert_eq!(
            split_datagram(&vn).unwrap(),
            vec![Packet::VersionNegotiation {
                dcid: vec![0xaa],
                scid: vec![],
                versions: vec![VERSION_1, VERSION_2]
            }]
        );
        let mut retry = vec![0xf0, 0, 0, 0, 1, 0, 2, 9, 9];
        retry.extend_from_slice(b"token");
        retry.extend_from_slice(&[0; 16]);
        assert_eq!(
            split_datagram(&retry).unwrap(),
            vec![Packet::Retry {
                version: 1,
                dcid: vec![],
                scid: vec![9, 9],
                token: b"token".to_vec(),
                bytes: retry.clone(),
            }]
        );
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for bad in [
            &b"HTTP/1.1 400 Bad Request\r\n"[..],
            &[0xc0, 0, 0, 0, 1, 200],
            &[0x80, 0, 0, 0, 0, 0, 0, 1, 2],
            &[0xc0, 0, 0, 0, 1, 0, 0, 0x44],
            &[0xf0, 0, 0, 0, 1, 0, 0, 1],
        ] {
            if let Ok(p) = split_datagram(bad) {
                assert!(p.iter().all(|p| matches!(p, Packet::Short)), "{p:?}");
            }
        }
        assert!(read_frames(&[0x02, 0x40]).is_err());
        assert!(read_frames(&[0x08]).is_err());
        assert!(read_frames(&[0x06, 0, 0x7f]).is_err());
        // An ACK claiming 2^62 ranges runs out of bytes at once.
        assert!(
            read_frames(&[0x02, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]).is_err()
        );
        assert!(read_transport_parameters(&[0x01, 0x08, 1]).is_err());
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x9001);
        let keys = initial_keys(&[1; 8], Side::Client, Version::V1);
        for _ in 0..5_000 {
            let len = rng.gen_range(0..1300);
            let mut d: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            if len > 8 && rng.gen_bool(0.5) {
                d[0] = 0xc0 | (d[0] & 0x3f);
                d[1..5].copy_from_slice(&VERSION_1.to_be_bytes());
                d[5] %= 21;
            }
            if let Ok(packets) = split_datagram(&d) {
                for p in packets {
                    if let Packet::Protected(p) = p {
                        let _ = open(&p, &keys.remote);
                    }
                }
            }
            let _ = read_frames(&d);
            let _ = read_transport_parameters(&d);
        }
    }

    #[test]
    fn crypto_stream_reassembles_out_of_order_and_duplicates_and_is_bounded() {
        let mut s = CryptoStream::new(100);
        s.push(5, b"fghij").unwrap();
        assert_eq!(s.assembled(), b"");
        s.push(0, b"abcdefg").unwrap();
        s.push(3, b"de").unwrap();
        assert_eq!(s.assembled(), b"abcdefghij");
        assert!(s.push(95, &[0; 10]).is_err());
        assert!(s.push(u64::MAX - 1, &[0; 10]).is_err());
    }

    /// A server sending empty CRYPTO frames or many tiny ones past a gap: empty ones are
    /// dropped, and past MAX_CRYPTO_PIECES waiting pieces the stream fails at once (each push
    /// used to scan every piece kept, quadratic in their number, and empty ones were kept
    /// without counting against the byte ceiling).
    #[test]
    fn crypto_stream_bounds_empty_and_tiny_pieces() {
        let mut s = CryptoStream::new(256 * 1024);
        for i in 0..100_000u64 {
            s.push(1 + i, &[]).unwrap();
        }
        assert!(s.pending.is_empty());
        for i in 0..MAX_CRYPTO_PIECES as u64 {
            s.push(10 + 2 * i, b"x").unwrap();
        }
        let e = s.push(100_000, b"x").unwrap_err();
        assert!(e.contains("pieces"), "{e}");
        // Retransmitted data already assembled is not kept either.
        let mut s = CryptoStream::new(100);
        s.push(0, b"abc").unwrap();
        for _ in 0..10_000 {
            s.push(0, b"abc").unwrap();
        }
        assert!(s.pending.is_empty() && s.assembled() == b"abc");
    }

    #[test]
    fn transport_parameters_read_and_name() {
        let params = vec![
            TransportParameter {
                id: 0x01,
                value: vec![0x80, 0, 0x75, 0x30],
            },
            TransportParameter {
                id: 0x0c,
                value: vec![],
            },
            TransportParameter {
                id: 0x11,
                value: [
                    VERSION_1.to_be_bytes(),
                    VERSION_1.to_be_bytes(),
                    VERSION_2.to_be_bytes(),
                ]
                .concat(),
            },
            TransportParameter {
                id: 27,
                value: vec![1, 2],
            },
        ];
        let back = read_transport_parameters(&encode_transport_parameters(&params)).unwrap();
        assert_eq!(back, params);
        let shown: Vec<(String, String)> =
            back.iter().map(|p| (p.name(), p.display_value())).collect();
        assert_eq!(
            shown,
            vec![
                ("max_idle_timeout".into(), "30000".into()),
                ("disable_active_migration".into(), String::new()),
                (
                    "version_information".into(),
                    "chosen QUIC v1; available QUIC v1, QUIC v2".into()
                ),
                ("unknown_0x1b".into(), "0102".into()),
            ]
        );
    }
}
