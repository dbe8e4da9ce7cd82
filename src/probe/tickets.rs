//! Reads the lifetime of TLS 1.3 NewSessionTicket messages (RFC 8446 section 4.6.1), which
//! rustls keeps to itself: the handshake's key log gives the server application traffic
//! secret, from which the records after the handshake are decrypted (RFC 8446 sections 5.2,
//! 5.3 and 7.3). Only post-handshake messages are read; the secret never leaves the process.

use std::sync::{Arc, Mutex};

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf;

use crate::wire::{ContentType, Deframer, Frame, HandshakeJoiner};

/// Keeps the server's first application traffic secret a handshake logs.
#[derive(Debug, Default)]
pub struct SecretLog {
    secret: Mutex<Option<Vec<u8>>>,
}

impl SecretLog {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    pub fn take(&self) -> Option<Vec<u8>> {
        self.secret.lock().ok().and_then(|mut s| s.take())
    }
}

impl rustls::KeyLog for SecretLog {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        if label == "SERVER_TRAFFIC_SECRET_0" {
            if let Ok(mut s) = self.secret.lock() {
                *s = Some(secret.to_vec());
            }
        }
    }

    fn will_log(&self, label: &str) -> bool {
        label == "SERVER_TRAFFIC_SECRET_0"
    }
}

/// The ticket lifetimes (seconds) in `records`, the raw bytes the server sent after the
/// handshake, encrypted under `secret` with TLS 1.3 suite `suite`. Stops at the first record
/// that does not decrypt.
pub fn ticket_lifetimes(suite: u16, secret: &[u8], records: &[u8]) -> Vec<u32> {
    let (hkdf_alg, aead_alg, key_len): (hkdf::Algorithm, &'static aead::Algorithm, usize) =
        match suite {
            0x1301 => (hkdf::HKDF_SHA256, &aead::AES_128_GCM, 16),
            0x1302 => (hkdf::HKDF_SHA384, &aead::AES_256_GCM, 32),
            0x1303 => (hkdf::HKDF_SHA256, &aead::CHACHA20_POLY1305, 32),
            _ => return vec![],
        };
    let prk = hkdf::Prk::new_less_safe(hkdf_alg, secret);
    let (Some(key), Some(iv)) = (
        expand_label(&prk, b"key", &[], key_len),
        expand_label(&prk, b"iv", &[], aead::NONCE_LEN),
    ) else {
        return vec![];
    };
    let Ok(unbound) = UnboundKey::new(aead_alg, &key) else {
        return vec![];
    };
    let key = LessSafeKey::new(unbound);
    let mut deframer = Deframer::default();
    deframer.push(records);
    let mut joiner = HandshakeJoiner::new(64 * 1024);
    let mut lifetimes = Vec::new();
    let mut seq = 0u64;
    while let Ok(Some(Frame::Record {
        content_type,
        payload,
        ..
    })) = deframer.pop()
    {
        if content_type != ContentType::APPLICATION_DATA {
            break;
        }
        let Some(plain) = open(&key, &iv, seq, &payload) else {
            break;
        };
        seq += 1;
        // TLSInnerPlaintext: content, the real type, then zero padding (RFC 8446 section 5.2).
        let Some(end) = plain.iter().rposition(|b| *b != 0) else {
            continue;
        };
        if ContentType(plain[end]) != ContentType::HANDSHAKE {
            continue;
        }
        joiner.push(&plain[..end]);
        while let Ok(Some((msg, _))) = joiner.pop() {
            lifetimes.extend(msg.ticket_lifetime());
        }
    }
    lifetimes
}

fn open(key: &LessSafeKey, iv: &[u8], seq: u64, payload: &[u8]) -> Option<Vec<u8>> {
    // The per-record nonce is the IV XOR the sequence number (RFC 8446 section 5.3).
    let mut nonce = [0u8; aead::NONCE_LEN];
    nonce.copy_from_slice(iv);
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    let len = u16::try_from(payload.len()).ok()?;
    let mut header = [23u8, 3, 3, 0, 0];
    header[3..].copy_from_slice(&len.to_be_bytes());
    let mut buf = payload.to_vec();
    let plain = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(header),
            &mut buf,
        )
        .ok()?;
    Some(plain.to_vec())
}

/// HKDF-Expand-Label (RFC 8446 section 7.1); also the QUIC key labels' (RFC 9001 section 5.1).
pub(crate) fn expand_label(
    prk: &hkdf::Prk,
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Option<Vec<u8>> {
    super::tls13::expand_label(prk, label, context, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8448 section 3 (simple 1-RTT handshake): the server application traffic secret,
    /// and the derived write key and IV.
    #[test]
    fn key_schedule_matches_rfc8448() {
        let secret = unhex("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643");
        let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, &secret);
        assert_eq!(
            expand_label(&prk, b"key", &[], 16).unwrap(),
            unhex("9f02283b6c9c07efc26bb9f2ac92e356")
        );
        assert_eq!(
            expand_label(&prk, b"iv", &[], 12).unwrap(),
            unhex("cf782b88dd83549aadf1e984")
        );
    }

    #[test]
    fn garbage_yields_nothing() {
        assert!(ticket_lifetimes(0x1301, &[1; 32], &[23, 3, 3, 0, 20, 0, 0]).is_empty());
        assert!(ticket_lifetimes(0x1301, &[1; 32], b"not tls at all").is_empty());
        assert!(ticket_lifetimes(0x9999, &[1; 32], &[]).is_empty());
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
