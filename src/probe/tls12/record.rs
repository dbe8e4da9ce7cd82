//! Record protection for one direction: AES-CBC with HMAC, MAC-then-encrypt (RFC 5246 section
//! 6.2.3.2, RFC 2246 section 6.2.3.2 with its chained IV) or encrypt-then-MAC (RFC 7366),
//! AES-GCM (RFC 5288) and ChaCha20-Poly1305 (RFC 7905). Both directions use the same type, so
//! a test server can run it with the server's keys.

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hmac;

use crate::wire::{ContentType, ProtocolVersion};

use super::suite::{BulkCipher, MacAlg, SuiteParams};

/// Why a protected record could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The MAC, the padding or the AEAD tag did not check out.
    #[error("bad record MAC")]
    BadRecordMac,
    /// The record is too short or not a whole number of blocks.
    #[error("malformed protected record: {0}")]
    Malformed(&'static str),
    /// The keys did not fit the cipher.
    #[error("bad key material")]
    BadKeys,
}

/// How the padding of a CBC record is written: right, or (for the TLS padding check) with
/// every padding byte but the length byte wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    Correct,
    /// The last byte says L; the L bytes before it are not L (RFC 5246 section 6.2.3.2 says
    /// each must be L). A server that checks only the last byte accepts it (POODLE-TLS).
    WrongBytes,
}

enum Kind {
    Cbc {
        mac: hmac::Key,
        mac_len: usize,
        key: Vec<u8>,
        /// TLS 1.0 chains the IV: the last ciphertext block of the previous record.
        chained_iv: Option<[u8; 16]>,
        etm: bool,
    },
    Gcm {
        key: LessSafeKey,
        salt: [u8; 4],
    },
    Chacha {
        key: LessSafeKey,
        iv: [u8; 12],
    },
}

/// The protection of one direction of a connection, with its sequence number.
pub struct RecordProtection {
    version: ProtocolVersion,
    seq: u64,
    kind: Kind,
}

impl std::fmt::Debug for RecordProtection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecordProtection({}, seq {})", self.version, self.seq)
    }
}

impl RecordProtection {
    /// Protection with one direction's keys of the key block. `etm` only matters for CBC.
    pub fn new(
        params: &SuiteParams,
        version: ProtocolVersion,
        mac_key: &[u8],
        key: &[u8],
        iv: &[u8],
        etm: bool,
    ) -> Result<Self, RecordError> {
        let kind = match params.cipher {
            BulkCipher::AesCbc { key_len } => {
                let alg = params.mac.unwrap_or(MacAlg::Sha1);
                if key.len() != key_len || mac_key.len() != alg.output_len() {
                    return Err(RecordError::BadKeys);
                }
                let chained_iv = if version == ProtocolVersion::TLS10 {
                    Some(iv.try_into().map_err(|_| RecordError::BadKeys)?)
                } else {
                    None
                };
                Kind::Cbc {
                    mac: hmac::Key::new(alg.ring(), mac_key),
                    mac_len: alg.output_len(),
                    key: key.to_vec(),
                    chained_iv,
                    etm,
                }
            }
            BulkCipher::AesGcm { key_len } => {
                let alg = if key_len == 16 {
                    &aead::AES_128_GCM
                } else {
                    &aead::AES_256_GCM
                };
                Kind::Gcm {
                    key: LessSafeKey::new(
                        UnboundKey::new(alg, key).map_err(|_| RecordError::BadKeys)?,
                    ),
                    salt: iv.try_into().map_err(|_| RecordError::BadKeys)?,
                }
            }
            BulkCipher::Chacha20Poly1305 => Kind::Chacha {
                key: LessSafeKey::new(
                    UnboundKey::new(&aead::CHACHA20_POLY1305, key)
                        .map_err(|_| RecordError::BadKeys)?,
                ),
                iv: iv.try_into().map_err(|_| RecordError::BadKeys)?,
            },
        };
        Ok(Self {
            version,
            seq: 0,
            kind,
        })
    }

    /// The sequence number of the next record.
    pub fn sequence(&self) -> u64 {
        self.seq
    }

    /// Protects one fragment of `ct`; returns the record payload (without the header).
    pub fn seal(&mut self, ct: ContentType, plaintext: &[u8]) -> Vec<u8> {
        self.seal_with(ct, plaintext, Padding::Correct)
    }

    /// [`Self::seal`], with the CBC padding written as `padding` says (AEAD: ignored).
    pub fn seal_with(&mut self, ct: ContentType, plaintext: &[u8], padding: Padding) -> Vec<u8> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let version = self.version;
        match &mut self.kind {
            Kind::Cbc {
                mac,
                mac_len: _,
                key,
                chained_iv,
                etm,
            } => {
                let explicit_iv: Vec<u8> = if chained_iv.is_some() {
                    Vec::new()
                } else {
                    let mut iv = [0u8; 16];
                    rand::Rng::fill(&mut rand::thread_rng(), &mut iv[..]);
                    iv.to_vec()
                };
                let iv: [u8; 16] = match chained_iv {
                    Some(iv) => *iv,
                    None => explicit_iv.clone().try_into().unwrap_or([0; 16]),
                };
                let mut data = plaintext.to_vec();
                if !*etm {
                    data.extend(mac_of(mac, seq, ct, version, &[plaintext]));
                }
                // RFC 5246 section 6.2.3.2: padding_length + 1 bytes, each the value padding_length.
                let mut pad = 15 - (data.len() % 16);
                if padding == Padding::WrongBytes && pad == 0 {
                    pad = 16;
                }
                for i in 0..=pad {
                    let b = if padding == Padding::WrongBytes && i < pad {
                        (pad as u8).wrapping_add(1 + i as u8)
                    } else {
                        pad as u8
                    };
                    data.push(b);
                }
                let ct_bytes = cbc_encrypt(key, &iv, data);
                if let Some(chain) = chained_iv {
                    if let Some(last) = ct_bytes.chunks_exact(16).last() {
                        chain.copy_from_slice(last);
                    }
                }
                let mut out = explicit_iv;
                out.extend(ct_bytes);
                if *etm {
                    // RFC 7366 section 3: the MAC covers the IV and the ciphertext.
                    let m = mac_of(mac, seq, ct, version, &[&out]);
                    out.extend(m);
                }
                out
            }
            Kind::Gcm { key, salt } => {
                let explicit = seq.to_be_bytes();
                let mut nonce = [0u8; 12];
                nonce[..4].copy_from_slice(salt);
                nonce[4..].copy_from_slice(&explicit);
                let mut buf = plaintext.to_vec();
                let aad = aead_aad(seq, ct, version, plaintext.len());
                // ring fails only on lengths far beyond a record's.
                let _ = key.seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad),
                    &mut buf,
                );
                let mut out = explicit.to_vec();
                out.extend(buf);
                out
            }
            Kind::Chacha { key, iv } => {
                let nonce = chacha_nonce(iv, seq);
                let mut buf = plaintext.to_vec();
                let aad = aead_aad(seq, ct, version, plaintext.len());
                let _ = key.seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad),
                    &mut buf,
                );
                buf
            }
        }
    }

    /// Opens one protected record payload of type `ct`.
    pub fn open(&mut self, ct: ContentType, payload: &[u8]) -> Result<Vec<u8>, RecordError> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let version = self.version;
        match &mut self.kind {
            Kind::Cbc {
                mac,
                mac_len,
                key,
                chained_iv,
                etm,
            } => {
                let mac_len = *mac_len;
                let iv_len = if chained_iv.is_some() { 0 } else { 16 };
                let (body, tag) = if *etm {
                    if payload.len() < iv_len + 16 + mac_len {
                        return Err(RecordError::Malformed("encrypt-then-MAC record too short"));
                    }
                    let (body, tag) = payload.split_at(payload.len() - mac_len);
                    let want = mac_of(mac, seq, ct, version, &[body]);
                    if !ct_eq(&want, tag) {
                        return Err(RecordError::BadRecordMac);
                    }
                    (body, Some(()))
                } else {
                    (payload, None)
                };
                if body.len() < iv_len + 16 || (body.len() - iv_len) % 16 != 0 {
                    return Err(RecordError::Malformed("CBC record not whole blocks"));
                }
                let (iv_bytes, ciphertext) = body.split_at(iv_len);
                let iv: [u8; 16] = match chained_iv {
                    Some(iv) => *iv,
                    None => iv_bytes.try_into().map_err(|_| RecordError::BadKeys)?,
                };
                if let Some(chain) = chained_iv {
                    chain.copy_from_slice(&ciphertext[ciphertext.len() - 16..]);
                }
                let mut plain = cbc_decrypt(key, &iv, ciphertext)?;
                let pad = *plain.last().ok_or(RecordError::BadRecordMac)? as usize;
                if pad + 1 > plain.len()
                    || plain[plain.len() - pad - 1..]
                        .iter()
                        .any(|&b| b as usize != pad)
                {
                    return Err(RecordError::BadRecordMac);
                }
                plain.truncate(plain.len() - pad - 1);
                if tag.is_none() {
                    if plain.len() < mac_len {
                        return Err(RecordError::BadRecordMac);
                    }
                    let got = plain.split_off(plain.len() - mac_len);
                    let want = mac_of(mac, seq, ct, version, &[&plain]);
                    if !ct_eq(&want, &got) {
                        return Err(RecordError::BadRecordMac);
                    }
                }
                Ok(plain)
            }
            Kind::Gcm { key, salt } => {
                if payload.len() < 8 + 16 {
                    return Err(RecordError::Malformed("GCM record too short"));
                }
                let mut nonce = [0u8; 12];
                nonce[..4].copy_from_slice(salt);
                nonce[4..].copy_from_slice(&payload[..8]);
                let mut buf = payload[8..].to_vec();
                let aad = aead_aad(seq, ct, version, buf.len() - 16);
                let plain = key
                    .open_in_place(
                        Nonce::assume_unique_for_key(nonce),
                        Aad::from(aad),
                        &mut buf,
                    )
                    .map_err(|_| RecordError::BadRecordMac)?;
                Ok(plain.to_vec())
            }
            Kind::Chacha { key, iv } => {
                if payload.len() < 16 {
                    return Err(RecordError::Malformed("ChaCha20-Poly1305 record too short"));
                }
                let nonce = chacha_nonce(iv, seq);
                let mut buf = payload.to_vec();
                let aad = aead_aad(seq, ct, version, buf.len() - 16);
                let plain = key
                    .open_in_place(
                        Nonce::assume_unique_for_key(nonce),
                        Aad::from(aad),
                        &mut buf,
                    )
                    .map_err(|_| RecordError::BadRecordMac)?;
                Ok(plain.to_vec())
            }
        }
    }
}

/// HMAC(mac_key, seq_num + type + version + length + fragment) (RFC 5246 section 6.2.3.1),
/// the fragment given in parts.
fn mac_of(
    key: &hmac::Key,
    seq: u64,
    ct: ContentType,
    version: ProtocolVersion,
    fragment: &[&[u8]],
) -> Vec<u8> {
    let len: usize = fragment.iter().map(|f| f.len()).sum();
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(&seq.to_be_bytes());
    ctx.update(&[ct.0]);
    ctx.update(&version.0.to_be_bytes());
    ctx.update(&(len as u16).to_be_bytes());
    for f in fragment {
        ctx.update(f);
    }
    ctx.sign().as_ref().to_vec()
}

/// additional_data = seq_num + type + version + length (RFC 5246 section 6.2.3.3).
fn aead_aad(seq: u64, ct: ContentType, version: ProtocolVersion, len: usize) -> [u8; 13] {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq.to_be_bytes());
    aad[8] = ct.0;
    aad[9..11].copy_from_slice(&version.0.to_be_bytes());
    aad[11..].copy_from_slice(&(len as u16).to_be_bytes());
    aad
}

/// RFC 7905 section 2: the 64-bit sequence number, left-padded to 12 bytes, XOR the IV.
fn chacha_nonce(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut nonce = *iv;
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    nonce
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn cbc_encrypt(key: &[u8], iv: &[u8; 16], mut data: Vec<u8>) -> Vec<u8> {
    let len = data.len();
    // `data` is a whole number of blocks and the key length was checked in `new`.
    let ok = match key.len() {
        16 => cbc::Encryptor::<aes::Aes128>::new_from_slices(key, iv)
            .ok()
            .and_then(|c| c.encrypt_padded_mut::<NoPadding>(&mut data, len).ok())
            .is_some(),
        _ => cbc::Encryptor::<aes::Aes256>::new_from_slices(key, iv)
            .ok()
            .and_then(|c| c.encrypt_padded_mut::<NoPadding>(&mut data, len).ok())
            .is_some(),
    };
    if ok {
        data
    } else {
        Vec::new()
    }
}

fn cbc_decrypt(key: &[u8], iv: &[u8; 16], data: &[u8]) -> Result<Vec<u8>, RecordError> {
    let mut buf = data.to_vec();
    let ok = match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .ok()
            .and_then(|c| c.decrypt_padded_mut::<NoPadding>(&mut buf).ok())
            .is_some(),
        _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .ok()
            .and_then(|c| c.decrypt_padded_mut::<NoPadding>(&mut buf).ok())
            .is_some(),
    };
    if ok {
        Ok(buf)
    } else {
        Err(RecordError::Malformed("CBC record not whole blocks"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::CipherSuite;

    fn pair(
        suite: u16,
        version: ProtocolVersion,
        etm: bool,
    ) -> (RecordProtection, RecordProtection) {
        let p = SuiteParams::of(CipherSuite(suite)).unwrap();
        let (m, k, i) = p.key_block_lengths();
        let mk = vec![7u8; m];
        let kk = vec![9u8; k];
        let iv = vec![3u8; i];
        (
            RecordProtection::new(&p, version, &mk, &kk, &iv, etm).unwrap(),
            RecordProtection::new(&p, version, &mk, &kk, &iv, etm).unwrap(),
        )
    }

    #[test]
    fn every_cipher_round_trips_and_rejects_tampering() {
        let cases = [
            (0x002f, ProtocolVersion::TLS10, false),
            (0x002f, ProtocolVersion::TLS10, true),
            (0x0035, ProtocolVersion::TLS11, false),
            (0x003d, ProtocolVersion::TLS12, true),
            (0xc024, ProtocolVersion::TLS12, false), // ECDHE-ECDSA-AES256-SHA384
            (0xc02f, ProtocolVersion::TLS12, false),
            (0xc030, ProtocolVersion::TLS12, false),
            (0xcca8, ProtocolVersion::TLS12, false),
        ];
        for (suite, v, etm) in cases {
            let (mut w, mut r) = pair(suite, v, etm);
            for len in [0usize, 1, 15, 16, 17, 100, 16384] {
                let msg: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let rec = w.seal(ContentType::APPLICATION_DATA, &msg);
                assert_eq!(
                    r.open(ContentType::APPLICATION_DATA, &rec).as_deref(),
                    Ok(&msg[..]),
                    "{suite:04x} {v} etm {etm} len {len}"
                );
            }
            let mut rec = w.seal(ContentType::HANDSHAKE, b"hello");
            let last = rec.len() - 1;
            rec[last] ^= 1;
            assert!(r.open(ContentType::HANDSHAKE, &rec).is_err(), "{suite:04x}");
            // Truncated and empty payloads are errors, never panics.
            for cut in 0..rec.len() {
                let (_, mut r2) = pair(suite, v, etm);
                let _ = r2.open(ContentType::HANDSHAKE, &rec[..cut]);
            }
        }
    }

    #[test]
    fn wrong_padding_bytes_are_rejected_as_bad_mac() {
        for len in [0usize, 5, 11, 12, 27] {
            let (mut w, mut r) = pair(0x002f, ProtocolVersion::TLS12, false);
            let rec = w.seal_with(
                ContentType::APPLICATION_DATA,
                &vec![1; len],
                Padding::WrongBytes,
            );
            assert_eq!(
                r.open(ContentType::APPLICATION_DATA, &rec),
                Err(RecordError::BadRecordMac),
                "len {len}"
            );
        }
    }
}
