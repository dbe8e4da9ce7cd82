//! The TLS 1.3 client key schedule up to the server's handshake traffic keys (RFC 8446
//! section 7.1) with ring, and a sans-IO reader of the server's first flight up to its
//! EncryptedExtensions: what the ECH probes need to read `retry_configs` (RFC 9849 section
//! 7.1), and the ECH acceptance confirmation (section 7.2). Nothing past EncryptedExtensions
//! is decrypted or checked: the probes never finish a handshake.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::{digest, hkdf, hmac};

use crate::wire::codec::read_list;
use crate::wire::{
    Alert, ContentType, Deframer, Extension, Frame, HandshakeJoiner, HandshakeMessage,
    HandshakeType, Reader, ServerHello,
};

/// The hash, HKDF and AEAD of a TLS 1.3 cipher suite.
#[derive(Clone, Copy)]
pub struct Suite {
    pub id: u16,
    hkdf: hkdf::Algorithm,
    hmac: hmac::Algorithm,
    digest: &'static digest::Algorithm,
    aead: &'static aead::Algorithm,
}

impl Suite {
    /// TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256.
    pub fn from_id(id: u16) -> Option<Suite> {
        let (hkdf, hmac, digest, aead) = match id {
            0x1301 => (
                hkdf::HKDF_SHA256,
                hmac::HMAC_SHA256,
                &digest::SHA256,
                &aead::AES_128_GCM,
            ),
            0x1302 => (
                hkdf::HKDF_SHA384,
                hmac::HMAC_SHA384,
                &digest::SHA384,
                &aead::AES_256_GCM,
            ),
            0x1303 => (
                hkdf::HKDF_SHA256,
                hmac::HMAC_SHA256,
                &digest::SHA256,
                &aead::CHACHA20_POLY1305,
            ),
            _ => return None,
        };
        Some(Suite {
            id,
            hkdf,
            hmac,
            digest,
            aead,
        })
    }

    fn hash_len(&self) -> usize {
        self.digest.output_len()
    }

    /// The suite's HKDF (its hash), for keys derived from its secrets elsewhere (QUIC's).
    pub fn hkdf(&self) -> hkdf::Algorithm {
        self.hkdf
    }

    /// The suite's AEAD.
    pub fn aead(&self) -> &'static aead::Algorithm {
        self.aead
    }

    /// The transcript hash of the handshake messages concatenated in `messages`.
    pub fn hash(&self, messages: &[u8]) -> Vec<u8> {
        digest::digest(self.digest, messages).as_ref().to_vec()
    }

    /// HKDF-Extract(salt, ikm) (RFC 5869 section 2.2: HMAC keyed with the salt). An empty salt
    /// equals the all-zero salt of RFC 8446's "0", as HMAC pads its key with zeros.
    pub fn extract(&self, salt: &[u8], ikm: &[u8]) -> Vec<u8> {
        hmac::sign(&hmac::Key::new(self.hmac, salt), ikm)
            .as_ref()
            .to_vec()
    }

    /// HKDF-Expand-Label(secret, label, context, len) (RFC 8446 section 7.1).
    pub fn expand_label(&self, secret: &[u8], label: &[u8], context: &[u8], len: usize) -> Vec<u8> {
        let prk = hkdf::Prk::new_less_safe(self.hkdf, secret);
        expand_label(&prk, label, context, len).unwrap_or_default()
    }

    /// The server handshake traffic secret, from the (EC)DHE shared secret and the hash of
    /// ClientHello..ServerHello (RFC 8446 section 7.1, no PSK).
    pub fn server_handshake_secret(&self, shared: &[u8], hello_hash: &[u8]) -> Vec<u8> {
        let zeros = vec![0u8; self.hash_len()];
        let early = self.extract(&zeros, &zeros);
        let derived = self.expand_label(&early, b"derived", &self.hash(b""), self.hash_len());
        let handshake = self.extract(&derived, shared);
        self.expand_label(&handshake, b"s hs traffic", hello_hash, self.hash_len())
    }

    /// The 8 bytes a server that accepted ECH puts at the end of ServerHello.random (RFC 9849
    /// section 7.2): HKDF-Expand-Label(HKDF-Extract(0, ClientHelloInner.random), "ech accept
    /// confirmation", transcript hash of ClientHelloInner and the ServerHello with those 8
    /// bytes zeroed, 8).
    pub fn ech_accept_confirmation(&self, inner_random: &[u8], transcript_hash: &[u8]) -> Vec<u8> {
        let prk = self.extract(&[], inner_random);
        self.expand_label(&prk, b"ech accept confirmation", transcript_hash, 8)
    }

    /// The decrypter of records under a traffic `secret` (RFC 8446 section 7.3).
    pub fn decrypter(&self, secret: &[u8]) -> Option<RecordDecrypter> {
        let key = self.expand_label(secret, b"key", &[], self.aead.key_len());
        let iv = self.expand_label(secret, b"iv", &[], aead::NONCE_LEN);
        let key = LessSafeKey::new(UnboundKey::new(self.aead, &key).ok()?);
        Some(RecordDecrypter { key, iv, seq: 0 })
    }

    /// The encrypter for `secret`: the test servers' side of [`Suite::decrypter`].
    pub fn encrypter(&self, secret: &[u8]) -> Option<RecordDecrypter> {
        self.decrypter(secret)
    }
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label (RFC 8446 section 7.1): `None` only for lengths no TLS label has.
pub fn expand_label(prk: &hkdf::Prk, label: &[u8], context: &[u8], len: usize) -> Option<Vec<u8>> {
    let full = [b"tls13 ".as_slice(), label].concat();
    let out_len = u16::try_from(len).ok()?.to_be_bytes();
    let label_len = [u8::try_from(full.len()).ok()?];
    let context_len = [u8::try_from(context.len()).ok()?];
    let info: [&[u8]; 5] = [&out_len, &label_len, &full, &context_len, context];
    let okm = prk.expand(&info, Len(len)).ok()?;
    let mut out = vec![0u8; len];
    okm.fill(&mut out).ok()?;
    Some(out)
}

/// Opens (and, for test servers, seals) TLS 1.3 records under one traffic key.
pub struct RecordDecrypter {
    key: LessSafeKey,
    iv: Vec<u8>,
    seq: u64,
}

impl RecordDecrypter {
    /// The per-record nonce: the IV XOR the sequence number (RFC 8446 section 5.3).
    fn nonce(&mut self) -> Nonce {
        let mut nonce = [0u8; aead::NONCE_LEN];
        nonce.copy_from_slice(&self.iv);
        for (n, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        self.seq += 1;
        Nonce::assume_unique_for_key(nonce)
    }

    /// Decrypts one application_data record's payload into its content type and content
    /// (padding removed, RFC 8446 section 5.2); `None` when it does not authenticate.
    pub fn open(&mut self, payload: &[u8]) -> Option<(ContentType, Vec<u8>)> {
        let len = u16::try_from(payload.len()).ok()?;
        let mut header = [23u8, 3, 3, 0, 0];
        header[3..].copy_from_slice(&len.to_be_bytes());
        let nonce = self.nonce();
        let mut buf = payload.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(header), &mut buf)
            .ok()?;
        let end = plain.iter().rposition(|b| *b != 0)?;
        Some((ContentType(plain[end]), plain[..end].to_vec()))
    }

    /// Encrypts `content` of type `typ` into a whole record (header included).
    pub fn seal(&mut self, typ: ContentType, content: &[u8]) -> Vec<u8> {
        let mut buf = content.to_vec();
        buf.push(typ.0);
        let len = (buf.len() + self.key.algorithm().tag_len()) as u16;
        let mut header = [23u8, 3, 3, 0, 0];
        header[3..].copy_from_slice(&len.to_be_bytes());
        let nonce = self.nonce();
        // Sealing fails only for inputs past the AEAD's limits, which records never reach.
        let _ = self
            .key
            .seal_in_place_append_tag(nonce, Aad::from(header), &mut buf);
        [header.as_slice(), &buf].concat()
    }
}

/// What the server's first flight says, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum FlightEvent {
    /// The ServerHello (or HelloRetryRequest) and its raw handshake bytes, for the transcript.
    ServerHello(Box<ServerHello>, Vec<u8>),
    /// A plaintext alert, before or after the ServerHello.
    Alert(Alert),
    /// The decrypted EncryptedExtensions' extensions.
    EncryptedExtensions(Vec<Extension>),
}

/// Reads the server's flight: the plaintext ServerHello, then (once [`FlightReader13::keys`]
/// has the handshake keys) the encrypted records up to EncryptedExtensions. Bounded by the
/// byte ceiling given.
pub struct FlightReader13 {
    deframer: Deframer,
    plain: HandshakeJoiner,
    encrypted: HandshakeJoiner,
    decrypter: Option<RecordDecrypter>,
    read: usize,
    max: usize,
}

impl FlightReader13 {
    pub fn new(max: usize) -> Self {
        Self {
            deframer: Deframer::default(),
            plain: HandshakeJoiner::new(max),
            encrypted: HandshakeJoiner::new(max),
            decrypter: None,
            read: 0,
            max,
        }
    }

    pub fn feed(&mut self, data: &[u8]) -> Result<(), String> {
        self.read += data.len();
        if self.read > self.max {
            return Err(format!("answer exceeds {} bytes", self.max));
        }
        self.deframer.push(data);
        Ok(())
    }

    /// The server handshake keys, once the ServerHello is known.
    pub fn keys(&mut self, decrypter: RecordDecrypter) {
        self.decrypter = Some(decrypter);
    }

    /// The next event the buffered bytes hold, `Ok(None)` when more bytes are needed;
    /// an error for bytes that are no TLS 1.3 flight.
    pub fn next_event(&mut self) -> Result<Option<FlightEvent>, String> {
        loop {
            if let Some(event) = self.pop_message()? {
                return Ok(Some(event));
            }
            if self.deframer.next_is_sslv2() {
                return Err("SSLv2 record or content type >= 128 in answer to a TLS hello".into());
            }
            let Some(frame) = self.deframer.pop().map_err(|e| e.to_string())? else {
                return Ok(None);
            };
            let Frame::Record {
                content_type,
                payload,
                ..
            } = frame
            else {
                return Err("SSLv2 record in answer to a TLS hello".into());
            };
            match content_type {
                ContentType::ALERT => {
                    use crate::wire::Codec;
                    let alert = Alert::from_bytes(payload.get(..2).unwrap_or(&payload))
                        .map_err(|e| e.to_string())?;
                    return Ok(Some(FlightEvent::Alert(alert)));
                }
                ContentType::HANDSHAKE => self.plain.push(&payload),
                // RFC 8446 appendix D.4: a middlebox-compatibility ChangeCipherSpec; ignored.
                ContentType::CHANGE_CIPHER_SPEC => {}
                ContentType::APPLICATION_DATA => {
                    let Some(d) = self.decrypter.as_mut() else {
                        return Err("encrypted record before the ServerHello".into());
                    };
                    let (typ, content) = d.open(&payload).ok_or(
                        "an encrypted record that does not decrypt under the handshake keys",
                    )?;
                    match typ {
                        ContentType::HANDSHAKE => self.encrypted.push(&content),
                        ContentType::ALERT => {
                            use crate::wire::Codec;
                            let alert = Alert::from_bytes(content.get(..2).unwrap_or(&content))
                                .map_err(|e| e.to_string())?;
                            return Ok(Some(FlightEvent::Alert(alert)));
                        }
                        other => return Err(format!("unexpected encrypted {other:?} record")),
                    }
                }
                other => return Err(format!("unexpected {other:?} record")),
            }
        }
    }

    fn pop_message(&mut self) -> Result<Option<FlightEvent>, String> {
        if let Some((msg, raw)) = self.plain.pop().map_err(|e| e.to_string())? {
            return match msg {
                HandshakeMessage::ServerHello(sh) => {
                    Ok(Some(FlightEvent::ServerHello(Box::new(sh), raw)))
                }
                other => Err(format!("expected ServerHello, got {}", other.typ())),
            };
        }
        // The encrypted joiner is read only up to EncryptedExtensions: the TLS 1.3 Certificate
        // after it is not the TLS 1.2 one HandshakeMessage decodes.
        let Some(raw) = first_message(&mut self.encrypted) else {
            return Ok(None);
        };
        if raw.first() != Some(&HandshakeType::ENCRYPTED_EXTENSIONS.0) {
            return Err(format!(
                "expected EncryptedExtensions, got {}",
                HandshakeType(raw.first().copied().unwrap_or_default())
            ));
        }
        let mut r = Reader::new(raw.get(4..).unwrap_or_default());
        let exts: Vec<Extension> =
            read_list(&mut r, 2, "EncryptedExtensions").map_err(|e| e.to_string())?;
        r.expect_empty("EncryptedExtensions")
            .map_err(|e| e.to_string())?;
        Ok(Some(FlightEvent::EncryptedExtensions(exts)))
    }
}

/// The raw bytes of the first whole handshake message in `joiner`, without decoding it.
fn first_message(joiner: &mut HandshakeJoiner) -> Option<Vec<u8>> {
    joiner.pop_raw().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 8448 section 3 (simple 1-RTT handshake): from the shared secret and the hash of
    /// ClientHello..ServerHello to the server handshake traffic secret, key and IV.
    #[test]
    fn key_schedule_matches_rfc8448() {
        let suite = Suite::from_id(0x1301).unwrap();
        let shared = unhex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d");
        let hello_hash = unhex("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8");
        let secret = suite.server_handshake_secret(&shared, &hello_hash);
        assert_eq!(
            secret,
            unhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
        );
        assert_eq!(
            suite.expand_label(&secret, b"key", &[], 16),
            unhex("3fce516009c21727d0f2e4e86ee403bc")
        );
        assert_eq!(
            suite.expand_label(&secret, b"iv", &[], 12),
            unhex("5d313eb2671276ee13000b30")
        );
    }

    #[test]
    fn records_sealed_are_opened_and_garbage_is_not() {
        let suite = Suite::from_id(0x1303).unwrap();
        let mut tx = suite.encrypter(&[7; 32]).unwrap();
        let mut rx = suite.decrypter(&[7; 32]).unwrap();
        let record = tx.seal(ContentType::HANDSHAKE, b"hello");
        assert_eq!(
            rx.open(&record[5..]),
            Some((ContentType::HANDSHAKE, b"hello".to_vec()))
        );
        assert_eq!(rx.open(&record[5..]), None, "sequence number moved on");
        assert_eq!(rx.open(&[]), None);
    }

    #[test]
    fn the_reader_stops_at_garbage_and_floods() {
        let mut r = FlightReader13::new(100);
        assert!(r.feed(&[0u8; 200]).is_err());
        let mut r = FlightReader13::new(1 << 16);
        r.feed(b"HTTP/1.1 400 Bad Request\r\n").unwrap();
        assert!(r.next_event().is_err());
        let mut r = FlightReader13::new(1 << 16);
        r.feed(&[23, 3, 3, 0, 20]).unwrap();
        r.feed(&[0; 20]).unwrap();
        assert!(r.next_event().is_err(), "encrypted before ServerHello");
    }
}
